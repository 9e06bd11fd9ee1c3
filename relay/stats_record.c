/* stats_record.c: the relay's stats record, as JSON or as a line for a
 * person (see stats_record.h). Reads the core only through relay.h. */
#include "stats_record.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sys/version.h"

/* The lockstep rooms' counters, "lockstep". */
static void add_lockstep(cJSON *o, const struct relay_lockstep_counts *l)
{
    cJSON *lockstep = cJSON_AddObjectToObject(o, "lockstep");
    const struct {
        const char *name;
        uint64_t v;
    } ls[] = {
        {"rooms", l->rooms}, {"frames", l->frames}, {"inputs", l->inputs},
        {"duplicates", l->duplicates}, {"late", l->late}, {"far", l->far},
        {"stand_ins", l->stand_ins}, {"frames_out", l->frames_out},
        {"datagrams", l->datagrams}, {"catch_ups", l->catch_ups}, {"checks", l->checks},
        {"desyncs", l->desyncs},
    };
    for (size_t i = 0; lockstep && i < sizeof ls / sizeof ls[0]; i++)
        cJSON_AddNumberToObject(lockstep, ls[i].name, (double)ls[i].v);
}

/* The stats record, relay kind (STATS.md): one writer, cJSON. Field names
 * and order are the record's schema; tests and the bench read them. */
static cJSON *stats_record(const struct relay *r, double uptime_s, bool final)
{
    const struct relay_stats *s = relay_stats(r);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "type", "stats");
    cJSON_AddStringToObject(o, "program", "relay");
    cJSON_AddStringToObject(o, "version", version_ricochet());
    cJSON_AddStringToObject(o, "enet_version", version_enet());
    cJSON_AddNumberToObject(o, "uptime_s", round(uptime_s * 1000) / 1000);
    const struct {
        const char *name;
        uint64_t v;
    } counters[] = {
        {"clients", relay_clients(r)}, {"rooms", relay_rooms(r)}, {"members", relay_members(r)},
        {"states_in", s->states_in}, {"states_out", s->states_out},
        {"bytes_in", s->bytes_in}, {"bytes_out", s->bytes_out},
        {"control_in", s->control_in}, {"control_out", s->control_out},
        {"events_in", s->events_in}, {"events_out", s->events_out},
        {"joins", s->joins}, {"leaves", s->leaves}, {"timeouts", s->timeouts},
        {"kicks", s->kicks}, {"errors_sent", s->errors_sent},
        {"errors_suppressed", s->errors_suppressed}, {"ticks", s->ticks},
        {"moved", s->moved}, {"parked", s->parked}, {"reports_refused", s->reports_refused},
        {"listings", s->listings}, {"listings_refused", s->listings_refused},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        cJSON_AddNumberToObject(o, counters[i].name, (double)counters[i].v);
    cJSON *drops = cJSON_AddObjectToObject(o, "drops");
    for (int i = 0; drops && i < RELAY_DROP_COUNT; i++)
        cJSON_AddNumberToObject(drops, relay_drop_name(i), (double)s->drops[i]);
    cJSON *bad = cJSON_AddObjectToObject(o, "bad_state");
    static const char *const causes[RELAY_STATE_ERR_COUNT] = {"short", "version", "type",
                                                              "value"};
    for (int i = 0; bad && i < RELAY_STATE_ERR_COUNT; i++)
        cJSON_AddNumberToObject(bad, causes[i], (double)s->state_errors[i]);
    cJSON *scripts = cJSON_AddObjectToObject(o, "scripts");
    const struct {
        const char *name;
        uint64_t v;
    } sc[] = {
        {"calls", s->script.calls}, {"errors", s->script.errors},
        {"budget", s->script.budget}, {"memory", s->script.memory}, {"off", s->script.off},
        {"refused", s->script.refused}, {"dropped", s->script.dropped},
        {"changed", s->script.changed}, {"skipped", s->script.skipped},
        {"busy", s->script.busy}, {"time_us", s->script.time_us},
        {"sent", s->script.sent},
        {"reloads", s->script.reloads}, {"reload_errors", s->script.reload_errors},
    };
    for (size_t i = 0; scripts && i < sizeof sc / sizeof sc[0]; i++)
        cJSON_AddNumberToObject(scripts, sc[i].name, (double)sc[i].v);
    add_lockstep(o, &s->lockstep);
    cJSON *edges = cJSON_AddObjectToObject(o, "edges");
    for (uint32_t i = 0; edges && i < s->n_edges; i++) {
        const struct relay_edge_stats *e = &s->edges[i];
        cJSON *x = cJSON_AddObjectToObject(edges, e->name);
        const struct {
            const char *name;
            uint64_t v;
        } per[] = {
            {"clients", e->clients}, {"members", e->members}, {"states_in", e->states_in},
            {"states_out", e->states_out}, {"bytes_in", e->bytes_in},
            {"bytes_out", e->bytes_out}, {"conflated", e->conflated},
        };
        for (size_t k = 0; x && k < sizeof per / sizeof per[0]; k++)
            cJSON_AddNumberToObject(x, per[k].name, (double)per[k].v);
        for (uint32_t k = 0; x && k < e->n_own; k++) /* what the edge counted itself */
            cJSON_AddNumberToObject(x, e->own_names[k], (double)e->own[k]);
    }
    cJSON_AddBoolToObject(o, "final", final);
    return o;
}

int relay_stats_json(const struct relay *r, char *buf, size_t cap,
                     double uptime_s, bool final)
{
    cJSON *o = stats_record(r, uptime_s, final);
    /* cJSON wants 5 bytes of slack; one more for the newline. */
    bool ok = o && cap > 6 && cJSON_PrintPreallocated(o, buf, (int)(cap - 6), false);
    cJSON_Delete(o);
    if (!ok)
        return -1;
    size_t len = strlen(buf);
    buf[len] = '\n';
    buf[len + 1] = '\0';
    return (int)len + 1;
}

/* Appends to buf at *off; sets *off past cap on overflow. */
static void put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
    if (*off >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    *off = n < 0 ? cap : *off + (size_t)n;
}

/* Per second over interval_s: a rate for the line on a terminal. */
static double per_s(uint64_t now, uint64_t before, double interval_s)
{
    return interval_s > 0 && now >= before ? (double)(now - before) / interval_s : 0;
}

int relay_stats_text(const struct relay *r, const struct relay_stats *prev, double interval_s,
                     char *buf, size_t cap, double uptime_s, bool final)
{
    static const struct relay_stats zero;
    const struct relay_stats *s = relay_stats(r);
    uint64_t dropped = 0;
    size_t off = 0;
    if (!prev)
        prev = &zero;
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        dropped += s->drops[i];
    put(buf, cap, &off,
        "relay %.1fs%s: %" PRIu32 " clients, %" PRIu32 " joined, %" PRIu32 " rooms | states "
        "%.0f/s in, %.0f/s out | %.1f kB/s in, %.1f kB/s out | joins %" PRIu64
        ", leaves %" PRIu64 ", timeouts %" PRIu64 ", kicks %" PRIu64 " | drops %" PRIu64,
        uptime_s, final ? " (final, rates over the run)" : "", relay_clients(r),
        relay_members(r), relay_rooms(r),
        per_s(s->states_in, prev->states_in, interval_s),
        per_s(s->states_out, prev->states_out, interval_s),
        per_s(s->bytes_in, prev->bytes_in, interval_s) / 1e3,
        per_s(s->bytes_out, prev->bytes_out, interval_s) / 1e3, s->joins, s->leaves,
        s->timeouts, s->kicks, dropped);
    /* only the reasons that happened, most of the 26 never do */
    const char *sep = " (";
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        if (s->drops[i]) {
            put(buf, cap, &off, "%s%s %" PRIu64, sep, relay_drop_name(i), s->drops[i]);
            sep = ", ";
        }
    put(buf, cap, &off, "%s", dropped ? ")" : "");
    /* with several edges, each one's members and states in */
    for (uint32_t i = 0; s->n_edges > 1 && i < s->n_edges; i++)
        put(buf, cap, &off, "%s%s %" PRIu32 " joined %.0f/s in", i ? ", " : " | edges: ",
            s->edges[i].name, s->edges[i].members,
            per_s(s->edges[i].states_in, prev->edges[i].states_in, interval_s));
    put(buf, cap, &off, "\n");
    if (off >= cap)
        return -1;
    return (int)off;
}

void relay_stats_print(const struct relay *r, struct relay_stats_out *so, uint64_t now_us,
                       bool final)
{
    char line[4096];
    double uptime = (double)(now_us - so->start_us) / 1e6;
    int n;
    if (so->json)
        n = relay_stats_json(r, line, sizeof line, uptime, final);
    else if (final)
        n = relay_stats_text(r, NULL, uptime, line, sizeof line, uptime, true);
    else
        n = relay_stats_text(r, &so->prev, (double)(now_us - so->prev_us) / 1e6, line,
                             sizeof line, uptime, false);
    so->prev = *relay_stats(r);
    so->prev_us = now_us;
    if (n > 0) {
        fputs(line, stdout);
        fflush(stdout);
    }
}
