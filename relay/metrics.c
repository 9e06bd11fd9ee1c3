/* metrics.c: see metrics.h. Everything here runs in the HTTP thread and
 * reads only the board: the newest snapshot and the heartbeat. */
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/mode.h"
#include "sys/clock.h"
#include "sys/httpd.h"
#include "sys/log.h"
#include "sys/procstat.h"
#include "sys/version.h"

/* The page, compiled in by the Makefile from relay/page.html. */
extern const char relay_page_html[];
extern const size_t relay_page_html_len;

struct relay_metrics {
    struct httpd *http;
    struct relay_board *board;
    const char *transport;
};

/* ---- the ricochet_ series: one table, read by /metrics and the docs ---- */

struct metric {
    const char *name;
    const char *type; /* counter, gauge, histogram */
    const char *help;
    void (*write)(struct promtext *t, const struct metric *m, const struct relay_snapshot *s);
    size_t off;       /* the field in struct relay_snapshot the writer reads */
    const char *own;  /* or an edge's own counter by this name (relay_transport.counters) */
};

#define SNAP(f) offsetof(struct relay_snapshot, f)
#define EDGE(f) offsetof(struct relay_edge_stats, f)
#define AT(s, m, type) ((const type *)(const void *)((const char *)(s) + (m)->off))

static void put_u32(struct promtext *t, const struct metric *m, const struct relay_snapshot *s)
{
    promtext_sample_u64(t, m->name, NULL, NULL, *AT(s, m, uint32_t));
}

static void put_u64(struct promtext *t, const struct metric *m, const struct relay_snapshot *s)
{
    promtext_sample_u64(t, m->name, NULL, NULL, *AT(s, m, uint64_t));
}

/* A count of µs as seconds. */
static void put_us_s(struct promtext *t, const struct metric *m, const struct relay_snapshot *s)
{
    promtext_sample(t, m->name, NULL, NULL, (double)*AT(s, m, uint64_t) / 1e6);
}

static void put_by_mode(struct promtext *t, const struct metric *m,
                        const struct relay_snapshot *s)
{
    const uint64_t *v = AT(s, m, uint64_t);
    for (int i = 0; i < PROTO_MODE_COUNT; i++)
        promtext_sample_u64(t, m->name, "mode", proto_mode_name((enum proto_mode)i), v[i]);
}

/* A field of each edge's counters (off: in struct relay_edge_stats), by
 * the edge's name: a handful of values, never per client. */
static void put_by_edge_u32(struct promtext *t, const struct metric *m,
                            const struct relay_snapshot *s)
{
    for (uint32_t i = 0; i < s->stats.n_edges; i++)
        promtext_sample_u64(t, m->name, "edge", s->stats.edges[i].name,
                            *AT(&s->stats.edges[i], m, uint32_t));
}

static void put_by_edge_u64(struct promtext *t, const struct metric *m,
                            const struct relay_snapshot *s)
{
    for (uint32_t i = 0; i < s->stats.n_edges; i++)
        promtext_sample_u64(t, m->name, "edge", s->stats.edges[i].name,
                            *AT(&s->stats.edges[i], m, uint64_t));
}

/* An edge's own counter named m->own, by the edge's name; 0 for an edge
 * that keeps none (it never does what the counter counts). */
static void put_by_edge_own(struct promtext *t, const struct metric *m,
                            const struct relay_snapshot *s)
{
    for (uint32_t i = 0; i < s->stats.n_edges; i++) {
        const struct relay_edge_stats *e = &s->stats.edges[i];
        uint64_t v = 0;
        for (uint32_t k = 0; k < e->n_own; k++)
            if (strcmp(e->own_names[k], m->own) == 0)
                v = e->own[k];
        promtext_sample_u64(t, m->name, "edge", e->name, v);
    }
}

static void put_drops(struct promtext *t, const struct metric *m,
                      const struct relay_snapshot *s)
{
    const uint64_t *v = AT(s, m, uint64_t);
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        promtext_sample_u64(t, m->name, "reason", relay_drop_name((enum relay_drop)i), v[i]);
}

static void put_hist(struct promtext *t, const struct metric *m,
                     const struct relay_snapshot *s)
{
    const struct timehist *h = AT(s, m, struct timehist);
    promtext_histogram_us(t, m->name, NULL, timehist_bounds_us, h->counts, TIMEHIST_BOUNDS,
                          h->sum_us, h->count);
}

static void put_ready(struct promtext *t, const struct metric *m,
                      const struct relay_snapshot *s)
{
    promtext_sample_u64(t, m->name, NULL, NULL, relay_ready(&s->ready));
}

static void put_build_info(struct promtext *t, const struct metric *m,
                           const struct relay_snapshot *s)
{
    (void)s;
    promtext_printf(t, "%s{version=\"%s\",enet_version=\"%s\",cjson_version=\"%s\"} 1\n",
                    m->name, version_ricochet(), version_enet(), version_cjson());
}

static const struct metric metrics[] = {
    { "ricochet_clients", "gauge", "Connected clients, joined to a room or not.", put_u32,
      SNAP(clients) },
    { "ricochet_members", "gauge", "Clients joined to a room.", put_u32, SNAP(members) },
    { "ricochet_rooms", "gauge", "Live rooms.", put_u32, SNAP(rooms) },
    { "ricochet_max_clients", "gauge", "Connected clients allowed (--max-clients).", put_u32,
      SNAP(max_clients) },
    { "ricochet_max_rooms", "gauge", "Live rooms allowed (--max-rooms).", put_u32,
      SNAP(max_rooms) },
    { "ricochet_states_received_total", "counter",
      "Valid states received from members, by the mode they came in.", put_by_mode,
      SNAP(stats.states_in_mode) },
    { "ricochet_states_sent_total", "counter",
      "State copies sent (one per recipient), by the mode they came in.", put_by_mode,
      SNAP(stats.states_out_mode) },
    { "ricochet_received_bytes_total", "counter",
      "Payload bytes of every datagram received.", put_u64, SNAP(stats.bytes_in) },
    { "ricochet_sent_bytes_total", "counter", "Payload bytes of every message sent.", put_u64,
      SNAP(stats.bytes_out) },
    { "ricochet_control_received_total", "counter", "Valid control messages received.",
      put_u64, SNAP(stats.control_in) },
    { "ricochet_control_sent_total", "counter", "Control messages sent.", put_u64,
      SNAP(stats.control_out) },
    { "ricochet_events_received_total", "counter", "Valid events received from members.",
      put_u64, SNAP(stats.events_in) },
    { "ricochet_events_sent_total", "counter", "Event copies sent (one per recipient).",
      put_u64, SNAP(stats.events_out) },
    { "ricochet_drops_total", "counter",
      "Datagrams, joins and connections refused, by reason.", put_drops, SNAP(stats.drops) },
    { "ricochet_joins_total", "counter", "Joins accepted.", put_u64, SNAP(stats.joins) },
    { "ricochet_leaves_total", "counter", "Members that left (quit or disconnected).",
      put_u64, SNAP(stats.leaves) },
    { "ricochet_timeouts_total", "counter", "Members that went silent and timed out.",
      put_u64, SNAP(stats.timeouts) },
    { "ricochet_kicks_total", "counter", "Clients closed by the relay for abuse.", put_u64,
      SNAP(stats.kicks) },
    { "ricochet_errors_sent_total", "counter", "Error messages sent to clients.", put_u64,
      SNAP(stats.errors_sent) },
    { "ricochet_ticks_total", "counter", "Tick fan-outs that sent at least one state.",
      put_u64, SNAP(stats.ticks) },
    { "ricochet_listings_total", "counter", "Rooms requests answered with a listing.",
      put_u64, SNAP(stats.listings) },
    { "ricochet_listings_refused_total", "counter",
      "Rooms requests refused (not a member over plain UDP, listing off, byte budget, a "
      "fleet's request before the last was answered).",
      put_u64, SNAP(stats.listings_refused) },
    { "ricochet_script_calls_total", "counter",
      "Calls into rooms' scripts: hooks, timers, ticks (a room's start: two).", put_u64,
      SNAP(stats.script.calls) },
    { "ricochet_script_errors_total", "counter",
      "Calls of rooms' scripts that failed, stops included (the hook taken as absent).",
      put_u64, SNAP(stats.script.errors) },
    { "ricochet_script_stopped_budget_total", "counter",
      "Calls of rooms' scripts stopped past --script-budget instructions or 50 ms.", put_u64,
      SNAP(stats.script.budget) },
    { "ricochet_script_stopped_memory_total", "counter",
      "Calls of rooms' scripts stopped at --script-memory-kb.", put_u64,
      SNAP(stats.script.memory) },
    { "ricochet_script_off_total", "counter",
      "Rooms whose script was switched off after too many errors.", put_u64,
      SNAP(stats.script.off) },
    { "ricochet_script_refused_total", "counter", "Joins a room's script refused.", put_u64,
      SNAP(stats.script.refused) },
    { "ricochet_script_dropped_total", "counter",
      "Events and states a room's script dropped.", put_u64, SNAP(stats.script.dropped) },
    { "ricochet_script_changed_total", "counter",
      "Events a room's script replaced and states it corrected.", put_u64,
      SNAP(stats.script.changed) },
    { "ricochet_script_skipped_total", "counter",
      "Calls of rooms' scripts not made: their room had spent its 10 budgets of the second "
      "(what they would have judged dropped, `script_busy`).",
      put_u64, SNAP(stats.script.skipped) },
    { "ricochet_script_busy_total", "counter",
      "Calls of rooms' scripts not made or put off: the scripts had spent --script-share of "
      "the last second, their room more than its part.", put_u64, SNAP(stats.script.busy) },
    { "ricochet_script_seconds_total", "counter",
      "Time rooms' scripts ran, by the clock around each call.", put_us_s,
      SNAP(stats.script.time_us) },
    { "ricochet_script_sent_total", "counter",
      "Event copies rooms' scripts sent as their room.", put_u64, SNAP(stats.script.sent) },
    { "ricochet_script_reloads_total", "counter",
      "Times the script folder was read again (SIGHUP).", put_u64,
      SNAP(stats.script.reloads) },
    { "ricochet_script_reload_errors_total", "counter",
      "Reads of the script folder refused (a script failed its check): the ones before kept.",
      put_u64, SNAP(stats.script.reload_errors) },
    { "ricochet_edge_clients", "gauge", "Connected clients, by the edge they came through.",
      put_by_edge_u32, EDGE(clients) },
    { "ricochet_edge_members", "gauge", "Clients joined to a room, by their edge.",
      put_by_edge_u32, EDGE(members) },
    { "ricochet_edge_states_received_total", "counter",
      "Valid states received from members, by their edge.", put_by_edge_u64,
      EDGE(states_in) },
    { "ricochet_edge_states_sent_total", "counter",
      "State copies sent (one per recipient), by the recipient's edge.", put_by_edge_u64,
      EDGE(states_out) },
    { "ricochet_edge_received_bytes_total", "counter",
      "Payload bytes of every datagram received, by the edge.", put_by_edge_u64,
      EDGE(bytes_in) },
    { "ricochet_edge_sent_bytes_total", "counter",
      "Payload bytes of every message sent, by the edge.", put_by_edge_u64, EDGE(bytes_out) },
    { "ricochet_edge_conflated_total", "counter",
      "States to a member replaced by a newer one of the same sender before they left (a "
      "stream edge's full send buffer, a world's tick), by the edge.", put_by_edge_u64,
      EDGE(conflated) },
    { "ricochet_edge_withheld_total", "counter",
      "Datagrams not sent to an address that has not shown it receives there, past the "
      "bytes it sent (the ENet edge's own handshake and resends), by the edge.",
      put_by_edge_own, 0, "withheld" },
    { "ricochet_edge_withheld_bytes_total", "counter",
      "Bytes of those datagrams, by the edge.", put_by_edge_own, 0, "withheld_bytes" },
    { "ricochet_loop_iteration_seconds", "histogram",
      "Wall time of one turn of the relay's loop, its wait for input excluded.", put_hist,
      SNAP(loop.iteration) },
    { "ricochet_fanout_seconds", "histogram",
      "Time to fan out one tick's states and send them (with --tick-ms above 0).", put_hist,
      SNAP(stats.fanout) },
    { "ricochet_tick_lag_seconds", "histogram",
      "How long after its tick ended a tick's fan-out began (with --tick-ms above 0).",
      put_hist, SNAP(stats.tick_lag) },
    { "ricochet_ready", "gauge",
      "1 when ready for players: listening, not draining, its directory reachable if any.",
      put_ready, 0 },
    { "ricochet_build_info", "gauge",
      "Always 1; the labels name the ricochet, ENet and cJSON versions.", put_build_info, 0 },
};

void relay_metrics_write(struct promtext *t, const struct relay_snapshot *s)
{
    for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++) {
        promtext_family(t, metrics[i].name, metrics[i].type, metrics[i].help);
        metrics[i].write(t, &metrics[i], s);
    }
}

/* ---- /stats.json ------------------------------------------------------- */

static cJSON *by_mode(const uint64_t *v)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < PROTO_MODE_COUNT; i++)
        cJSON_AddNumberToObject(o, proto_mode_name((enum proto_mode)i), (double)v[i]);
    return o;
}

static cJSON *histogram_json(const struct timehist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)h->count);
    cJSON_AddNumberToObject(o, "sum_s", (double)h->sum_us / 1e6);
    return o;
}

/* The last seconds' rates, oldest first: {"in":[...],"out":[...]}. */
static cJSON *per_second_json(const struct relay_loop_figures *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *in = cJSON_AddArrayToObject(o, "in"), *out = cJSON_AddArrayToObject(o, "out");
    for (uint32_t i = 1; i < f->seconds; i++) {
        cJSON_AddItemToArray(in, cJSON_CreateNumber((double)(f->second_in[i] -
                                                             f->second_in[i - 1])));
        cJSON_AddItemToArray(out, cJSON_CreateNumber((double)(f->second_out[i] -
                                                              f->second_out[i - 1])));
    }
    return o;
}

static cJSON *busiest_json(const struct relay_snapshot *s)
{
    cJSON *a = cJSON_CreateArray();
    for (uint32_t i = 0; i < s->nbusiest; i++) {
        const struct relay_room_info *ri = &s->busiest[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "room", ri->name);
        cJSON_AddNumberToObject(o, "members", ri->members);
        cJSON_AddNumberToObject(o, "states_in", (double)ri->states_in);
        cJSON_AddNumberToObject(o, "states_out", (double)ri->states_out);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

char *relay_metrics_json(const struct relay_snapshot *s, const char *transport)
{
    const struct relay_stats *st = &s->stats;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", version_ricochet());
    cJSON_AddStringToObject(o, "transport", transport);
    cJSON_AddNumberToObject(o, "tick_ms", s->tick_us / 1000.0);
    cJSON_AddNumberToObject(o, "uptime_s", s->uptime_s);
    cJSON_AddBoolToObject(o, "ready", relay_ready(&s->ready));
    cJSON_AddNumberToObject(o, "clients", s->clients);
    cJSON_AddNumberToObject(o, "members", s->members);
    cJSON_AddNumberToObject(o, "rooms", s->rooms);
    cJSON_AddNumberToObject(o, "max_clients", s->max_clients);
    cJSON_AddItemToObject(o, "states_in", by_mode(st->states_in_mode));
    cJSON_AddItemToObject(o, "states_out", by_mode(st->states_out_mode));
    cJSON_AddNumberToObject(o, "bytes_in", (double)st->bytes_in);
    cJSON_AddNumberToObject(o, "bytes_out", (double)st->bytes_out);
    cJSON_AddNumberToObject(o, "joins", (double)st->joins);
    cJSON_AddNumberToObject(o, "leaves", (double)st->leaves);
    cJSON_AddNumberToObject(o, "timeouts", (double)st->timeouts);
    cJSON_AddNumberToObject(o, "kicks", (double)st->kicks);
    cJSON *drops = cJSON_AddObjectToObject(o, "drops");
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        cJSON_AddNumberToObject(drops, relay_drop_name((enum relay_drop)i),
                                (double)st->drops[i]);
    cJSON_AddItemToObject(o, "loop_iteration", histogram_json(&s->loop.iteration));
    cJSON_AddItemToObject(o, "per_second", per_second_json(&s->loop));
    cJSON_AddItemToObject(o, "fanout", histogram_json(&st->fanout));
    cJSON_AddItemToObject(o, "tick_lag", histogram_json(&st->tick_lag));
    cJSON_AddItemToObject(o, "busiest", busiest_json(s));
    cJSON *edges = cJSON_AddArrayToObject(o, "edges");
    for (uint32_t i = 0; i < st->n_edges; i++) {
        const struct relay_edge_stats *e = &st->edges[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "edge", e->name);
        cJSON_AddNumberToObject(x, "clients", e->clients);
        cJSON_AddNumberToObject(x, "members", e->members);
        cJSON_AddNumberToObject(x, "states_in", (double)e->states_in);
        cJSON_AddNumberToObject(x, "states_out", (double)e->states_out);
        cJSON_AddNumberToObject(x, "bytes_in", (double)e->bytes_in);
        cJSON_AddNumberToObject(x, "bytes_out", (double)e->bytes_out);
        cJSON_AddNumberToObject(x, "conflated", (double)e->conflated);
        cJSON_AddItemToArray(edges, x);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* ---- the routes -------------------------------------------------------- */

static void text_reply(struct httpd_reply *r, unsigned status, const char *text)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->body = strdup(text);
    r->len = r->body ? strlen(r->body) : 0;
}

/* Is the loop alive? Writes why not into why. */
static bool alive(const struct relay_metrics *m, char *why, size_t cap)
{
    uint64_t beat = relay_board_heartbeat(m->board), now = clock_now_us();
    if (beat == 0) {
        snprintf(why, cap, "starting: the loop has not turned yet\n");
        return false;
    }
    if (now > beat && now - beat > RELAY_ALIVE_US) {
        snprintf(why, cap, "stalled: the loop last turned %" PRIu64 " ms ago\n",
                 (now - beat) / 1000);
        return false;
    }
    snprintf(why, cap, "ok\n");
    return true;
}

static void on_healthz(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    char why[128];
    bool ok = alive(ctx, why, sizeof why);
    text_reply(r, ok ? 200 : 503, why);
}

/* The newest snapshot; NULL (the reply made: 503) before the first. */
static const struct relay_snapshot *newest(struct relay_metrics *m, struct httpd_reply *r)
{
    const struct relay_snapshot *s = relay_board_newest(m->board);
    if (!s)
        text_reply(r, 503, "starting: no snapshot yet\n");
    return s;
}

/* Ready, and alive: a stalled loop serves no one whatever its last
 * snapshot said. */
static void on_readyz(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    struct relay_metrics *m = ctx;
    char why[256];
    const struct relay_snapshot *s = newest(m, r);
    if (!s)
        return;
    if (!alive(m, why, sizeof why)) {
        text_reply(r, 503, why);
        return;
    }
    const struct relay_readiness *ready = &s->ready;
    snprintf(why, sizeof why, "%s%s%s%s\n", relay_ready(ready) ? "ready" : "not ready:",
             ready->listening ? "" : " not listening", ready->draining ? " draining" : "",
             ready->directory_configured && !ready->directory_reachable
                 ? " directory unreachable"
                 : "");
    text_reply(r, relay_ready(ready) ? 200 : 503, why);
}

static void on_metrics(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    const struct relay_snapshot *s = newest(ctx, r);
    if (!s)
        return;
    struct promtext t = { 0 };
    relay_metrics_write(&t, s);
    struct procstat ps;
    if (procstat_read(&ps) == 0)
        procstat_write(&t, &ps);
    r->content_type = PROMTEXT_CONTENT_TYPE;
    r->body = promtext_take(&t, &r->len);
}

static void on_stats_json(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    struct relay_metrics *m = ctx;
    const struct relay_snapshot *s = newest(m, r);
    if (!s)
        return;
    r->content_type = "application/json";
    r->body = relay_metrics_json(s, m->transport);
    r->len = r->body ? strlen(r->body) : 0;
}

static void on_page(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    (void)ctx;
    r->content_type = "text/html; charset=utf-8";
    r->static_body = relay_page_html;
    r->len = relay_page_html_len;
}

static const struct httpd_route routes[] = {
    { "/metrics", on_metrics }, { "/healthz", on_healthz }, { "/readyz", on_readyz },
    { "/stats.json", on_stats_json }, { "/", on_page }, { 0 }
};

struct relay_metrics *relay_metrics_start(const union netaddr *addr, struct relay_board *board,
                                          const char *transport, char *err, size_t err_cap)
{
    struct relay_metrics *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    m->board = board;
    m->transport = transport;
    m->http = httpd_start(addr, routes, m, err, err_cap);
    if (!m->http) {
        free(m);
        return NULL;
    }
    return m;
}

const char *relay_metrics_address(const struct relay_metrics *m)
{
    return httpd_address(m->http);
}

void relay_metrics_stop(struct relay_metrics *m)
{
    if (!m)
        return;
    httpd_stop(m->http);
    free(m);
}

int relay_metrics_open(const union netaddr *at, const char *transport,
                       struct relay_board **board, struct relay_metrics **m, char *err,
                       size_t err_cap)
{
    char why[256];
    *board = relay_board_create();
    if (!*board) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    *m = relay_metrics_start(at, *board, transport, why, sizeof why);
    if (!*m) {
        snprintf(err, err_cap, "--metrics: %s", why);
        return -1;
    }
    if (!netaddr_is_loopback(at))
        log_warn("relay: --metrics %s serves beyond this machine: anyone who reaches it "
                 "reads the relay's figures", relay_metrics_address(*m));
    /* Scripts and tests read the port from this line. */
    if (log_threshold <= LOG_INFO)
        log_info("metrics on http://%s/", relay_metrics_address(*m));
    else
        fprintf(stderr, "metrics on http://%s/\n", relay_metrics_address(*m));
    return 0;
}
