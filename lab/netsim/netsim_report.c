/* netsim_report.c: ricochet-netsim's counters (see netsim_report.h). */
#include "netsim_report.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sys/log.h"
#include "sys/version.h"

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Adds the named numbers to o, in order. */
struct stat_field {
    const char *name;
    double v;
};

static void add_fields(cJSON *o, const struct stat_field *f, size_t n)
{
    for (size_t i = 0; o && i < n; i++)
        cJSON_AddNumberToObject(o, f[i].name, f[i].v);
}

static double rounded(double v, double scale)
{
    return round(v * scale) / scale;
}

/* One direction of the stats record (STATS.md, netsim kind). */
static void add_dir_json(cJSON *root, const struct netsim *sim,
                         const struct netsim_proxy_counts *pc, enum netsim_dir dir)
{
    const struct netsim_counters *c = netsim_counters(sim, dir);
    const struct histogram *h = &c->delay_us;
    const struct histogram *late = &pc->late_us[dir];
    uint64_t dropped = c->dropped_loss + c->dropped_burst + c->dropped_queue + c->dropped_overflow;
    cJSON *o = cJSON_AddObjectToObject(root, netsim_dir_name(dir));
    const struct stat_field head[] = {
        {"received", (double)c->received}, {"received_bytes", (double)c->received_bytes},
        {"forwarded", (double)c->forwarded}, {"forwarded_bytes", (double)c->forwarded_bytes},
        {"dropped", (double)dropped}, {"loss_pct", rounded(pct(dropped, c->received), 1e4)}};
    add_fields(o, head, sizeof head / sizeof head[0]);
    const struct stat_field drops[] = {
        {"loss", (double)c->dropped_loss}, {"burst", (double)c->dropped_burst},
        {"queue", (double)c->dropped_queue}, {"overflow", (double)c->dropped_overflow}};
    add_fields(o ? cJSON_AddObjectToObject(o, "drops") : NULL, drops, 4);
    const struct stat_field tail[] = {
        {"duplicated", (double)c->duplicated}, {"reordered", (double)c->reordered},
        {"corrupted", (double)c->corrupted}, {"sent_at_once", (double)c->sent_at_once},
        {"discarded", (double)c->discarded}, {"pending", (double)netsim_pending(sim, dir)},
        {"ge_bursts", (double)c->ge_bursts}, {"ge_bad", (double)c->ge_bad_datagrams},
        {"send_errors", (double)pc->send_errors[dir]},
        {"recv_errors", (double)pc->recv_errors[dir]}, {"stray", (double)pc->stray[dir]}};
    add_fields(o, tail, sizeof tail / sizeof tail[0]);
    const struct stat_field delay[] = {
        {"min", (double)(h->total ? h->min : 0)},
        {"p50", (double)histogram_percentile(h, 50)},
        {"p90", (double)histogram_percentile(h, 90)},
        {"p99", (double)histogram_percentile(h, 99)},
        {"p999", (double)histogram_percentile(h, 99.9)},
        {"max", (double)histogram_percentile(h, 100)},
        {"mean", rounded(histogram_mean(h), 10)}};
    add_fields(o ? cJSON_AddObjectToObject(o, "delay_us") : NULL, delay, 7);
    const struct stat_field late_f[] = {{"p50", (double)histogram_percentile(late, 50)},
                                        {"p99", (double)histogram_percentile(late, 99)},
                                        {"max", (double)histogram_percentile(late, 100)}};
    add_fields(o ? cJSON_AddObjectToObject(o, "late_us") : NULL, late_f, 3);
    const struct stat_field paired[] = {{"datagrams", (double)c->paired},
                                        {"states", (double)c->paired_states},
                                        {"lost", (double)c->paired_lost}};
    add_fields(o ? cJSON_AddObjectToObject(o, "paired") : NULL, paired, 3);
}

/* The stats record, netsim kind (STATS.md): one JSON line, one writer. */
void netsim_report_json(FILE *out, const struct netsim *sim, const struct netsim_proxy_counts *pc,
                        uint64_t now, bool final)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return;
    cJSON_AddStringToObject(root, "type", "stats");
    cJSON_AddStringToObject(root, "program", "netsim");
    cJSON_AddStringToObject(root, "version", version_ricochet());
    const struct stat_field head[] = {
        {"seed", (double)pc->seed}, {"uptime_s", rounded((double)(now - pc->start_us) / 1e6, 1e3)},
        {"flows", (double)pc->flows}, {"flows_created", (double)pc->flows_created},
        {"flows_expired", (double)pc->flows_expired},
        {"flows_refused", (double)pc->flows_refused}};
    add_fields(root, head, sizeof head / sizeof head[0]);
    add_dir_json(root, sim, pc, NETSIM_UP);
    add_dir_json(root, sim, pc, NETSIM_DOWN);
    cJSON_AddBoolToObject(root, "final", final);
    char *text = cJSON_PrintUnformatted(root);
    if (text)
        fprintf(out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
    fflush(out);
}

void netsim_report_human(const struct netsim *sim, const struct netsim_proxy_counts *pc,
                         uint64_t now)
{
    const struct netsim_counters *u = netsim_counters(sim, NETSIM_UP);
    const struct netsim_counters *d = netsim_counters(sim, NETSIM_DOWN);
    fprintf(stderr,
            "netsim: seed %llu, %.1f s, flows %zu (created %llu, expired %llu, refused %llu)\n"
            "  %-18s %12s %12s\n",
            (unsigned long long)pc->seed, (double)(now - pc->start_us) / 1e6, pc->flows,
            (unsigned long long)pc->flows_created, (unsigned long long)pc->flows_expired,
            (unsigned long long)pc->flows_refused, "", "up", "down");
#define ROW(LABEL, EXPR_U, EXPR_D)                                                           \
    fprintf(stderr, "  %-18s %12llu %12llu\n", LABEL, (unsigned long long)(EXPR_U),          \
            (unsigned long long)(EXPR_D))
    ROW("received", u->received, d->received);
    ROW("forwarded", u->forwarded, d->forwarded);
    ROW("dropped loss", u->dropped_loss, d->dropped_loss);
    ROW("dropped burst", u->dropped_burst, d->dropped_burst);
    ROW("dropped queue", u->dropped_queue, d->dropped_queue);
    ROW("dropped overflow", u->dropped_overflow, d->dropped_overflow);
    ROW("duplicated", u->duplicated, d->duplicated);
    ROW("reordered", u->reordered, d->reordered);
    ROW("corrupted", u->corrupted, d->corrupted);
    ROW("sent at once", u->sent_at_once, d->sent_at_once);
    ROW("discarded at exit", u->discarded + netsim_pending(sim, NETSIM_UP),
        d->discarded + netsim_pending(sim, NETSIM_DOWN));
    ROW("send errors", pc->send_errors[NETSIM_UP], pc->send_errors[NETSIM_DOWN]);
    ROW("recv errors", pc->recv_errors[NETSIM_UP], pc->recv_errors[NETSIM_DOWN]);
#undef ROW
    uint64_t du = u->dropped_loss + u->dropped_burst + u->dropped_queue + u->dropped_overflow;
    uint64_t dd = d->dropped_loss + d->dropped_burst + d->dropped_queue + d->dropped_overflow;
    fprintf(stderr, "  %-18s %11.3f%% %11.3f%%\n", "dropped", pct(du, u->received),
            pct(dd, d->received));
    const double ps[] = {50, 99, 100};
    const char *names[] = {"delay p50 ms", "delay p99 ms", "delay max ms"};
    for (int i = 0; i < 3; i++)
        fprintf(stderr, "  %-18s %12.3f %12.3f\n", names[i],
                (double)histogram_percentile(&u->delay_us, ps[i]) / 1000.0,
                (double)histogram_percentile(&d->delay_us, ps[i]) / 1000.0);
    fprintf(stderr, "  %-18s %12.3f %12.3f\n", "late p99 ms",
            (double)histogram_percentile(&pc->late_us[NETSIM_UP], 99) / 1000.0,
            (double)histogram_percentile(&pc->late_us[NETSIM_DOWN], 99) / 1000.0);
}

int netsim_report_file(const char *path, const struct netsim *sim,
                       const struct netsim_proxy_counts *pc, uint64_t now)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        log_error("netsim: --stats-file %s: %s", path, strerror(errno));
        return -1;
    }
    netsim_report_json(f, sim, pc, now, true);
    if (fclose(f) != 0) {
        log_error("netsim: --stats-file %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void netsim_report_model(enum netsim_dir dir, const struct netsim_model *m)
{
    char ge[96] = "off";
    if (m->ge_p_pct > 0 || m->ge_loss_good_pct > 0)
        snprintf(ge, sizeof ge, "p=%g%% r=%g%% loss good=%g%% bad=%g%%", m->ge_p_pct,
                 m->ge_r_pct, m->ge_loss_good_pct, m->ge_loss_bad_pct);
    char rate[96] = "unlimited";
    if (m->rate_kbps > 0)
        snprintf(rate, sizeof rate, "%g kbit/s queue %llu pkts %llu B (0 = no limit)",
                 m->rate_kbps, (unsigned long long)m->queue_packets,
                 (unsigned long long)m->queue_bytes);
    log_info("netsim: %-4s loss %g%%, ge %s, delay %g ms jitter %g ms %s%s, dup %g%%, "
             "rate %s",
             netsim_dir_name(dir), m->loss_pct, ge, m->delay_ms, m->jitter_ms,
             m->jitter_dist == NETSIM_JITTER_NORMAL ? "normal" : "uniform",
             m->reorder ? " reorder" : "", m->dup_pct, rate);
}
