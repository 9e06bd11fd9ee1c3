/* bench_report.c: the human table, JSON and CSV of a list of bench results
 * (one per scenario x mode); bench_plot.c draws them. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client/lib/ricochet.h"
#include "sys/version.h"
#include "lab/audit/audit.h"
#include "bench_yardstick.h"

/* A generator this late (p99) shaped a latency figure it is a quarter of. */
#define GENERATOR_LATE_US 5000

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

void bench_result_describe(char *buf, size_t cap, const struct bench_result *r)
{
    const struct bench_params *p = &r->params;
    int len = snprintf(buf, cap, "%ld clients, %g Hz, %ld B, loss %g%%, delay %g ms, jitter %g ms",
                       p->clients, p->rate_hz, p->payload, p->loss_pct, p->delay_ms,
                       p->jitter_ms);
    if (r->with_netsim && len > 0 && (size_t)len < cap)
        snprintf(buf + len, cap - (size_t)len,
                 " (netsim per hop: loss %.2f%%, delay %g ms, jitter +-%g ms, seed %llu)",
                 r->hop_loss_pct, r->hop_delay_ms, r->hop_jitter_ms,
                 (unsigned long long)r->netsim_seed);
}

static uint64_t audit_explained(const struct audit_result *a)
{
    return a->up + a->down + a->corrupt + a->too_old + a->enet_window + a->overflow +
           a->stale + a->sender_queue + a->relay_queue + a->late;
}

/* The audit's line under a result: what explains the missed states. */
static void table_audit(FILE *out, const struct bench_result *x)
{
    const struct audit_result *a = &x->audit;
    if (a->payload_checked)
        fprintf(out, "  payloads: %llu checked, %llu corrupted%s\n",
                (unsigned long long)a->payload_checked, (unsigned long long)a->payload_corrupt,
                a->payload_corrupt ? ": PAYLOAD CHECK FAILED" : "");
    if (!a->done) {
        if (a->skipped[0])
            fprintf(out, "  audit: not done: %s\n", a->skipped);
        return;
    }
    fprintf(out, "  audit: %llu missed, %llu explained (netsim up %llu, down %llu, corrupted "
                 "%llu, too old %llu, ENet window %llu, socket overflow %llu, relay stale %llu, "
                 "sender queue %llu, relay queue %llu, late %llu), %llu unexplained\n",
            (unsigned long long)a->missed, (unsigned long long)audit_explained(a),
            (unsigned long long)a->up, (unsigned long long)a->down,
            (unsigned long long)a->corrupt, (unsigned long long)a->too_old,
            (unsigned long long)a->enet_window, (unsigned long long)a->overflow,
            (unsigned long long)a->stale, (unsigned long long)a->sender_queue,
            (unsigned long long)a->relay_queue, (unsigned long long)a->late,
            (unsigned long long)a->unexplained);
    if (proto_mode_info(x->mode)->up_flags & PROTO_FLAG_RELIABLE)
        fprintf(out, "  audit: netsim dropped %llu window states: %llu retransmitted, %llu "
                     "redundant copies, %llu never forwarded after\n",
                (unsigned long long)a->state_drops, (unsigned long long)a->retransmitted,
                (unsigned long long)a->redundant, (unsigned long long)a->unretransmitted);
    if (proto_mode_info(x->mode)->stream)
        fprintf(out, "  audit: netsim dropped %llu TCP segments\n",
                (unsigned long long)a->segment_drops);
    if (proto_mode_lossless(x->mode))
        fprintf(out, "  audit: %llu deliveries held back by a drop (uplink %llu, downlink %llu), "
                     "each attributed to the dropped %s whose retransmission closed its gap; "
                     "%llu with no retransmission, %llu with no drop; %llu late without a "
                     "drop\n",
                (unsigned long long)a->held, (unsigned long long)a->held_up,
                (unsigned long long)a->held_down,
                proto_mode_info(x->mode)->stream ? "segment" : "datagram",
                (unsigned long long)a->held_unresolved, (unsigned long long)a->unattributed,
                (unsigned long long)a->late_unheld);
    if (!audit_clean(a))
        fprintf(out, "  AUDIT FAILED: %llu lost states unexplained, %llu drops never "
                     "retransmitted, %llu held back with no retransmission or no drop (listed "
                     "in the JSON)\n",
                (unsigned long long)a->unexplained, (unsigned long long)a->unretransmitted,
                (unsigned long long)(a->held_unresolved + a->unattributed));
    if (a->late_unheld)
        fprintf(out, "  note: %llu deliveries took over 200 ms more than the path's delay "
                     "after they left, with no drop to hold them back: this host fell behind, "
                     "not the network\n", (unsigned long long)a->late_unheld);
    if (a->netsim_socket_drops || a->relay_socket_drops)
        fprintf(out, "  note: full socket buffers dropped %llu datagrams at netsim and %llu at "
                     "the relay: this host was overloaded, not only the modelled network\n",
                (unsigned long long)a->netsim_socket_drops,
                (unsigned long long)a->relay_socket_drops);
}

/* The generator's line: its CPU, and how late it sent (inside every
 * latency figure); a note when it, not only the relay, shaped the figures. */
static void table_generator(FILE *out, const struct bench_result *x)
{
    size_t procs = x->procs > 1 ? x->procs : 1;
    fprintf(out, "  generator: %zu process%s at", procs, procs > 1 ? "es" : "");
    for (size_t p = 0; p < procs && p < BENCH_MAX_PROCS; p++)
        fprintf(out, "%s %.0f%%", p ? "," : "",
                x->procs > 1 ? x->proc_cpu_pct[p] : x->bench_cpu_pct);
    fprintf(out, " of a core; sends left p99 %.2f ms after their intended time\n",
            ms(x->late_p99_us));
    if (x->bench_cpu_pct >= 90)
        fprintf(out, "  note: a generator process used %.0f%% of a core: the generator, not "
                     "only the relay, limits these figures\n", x->bench_cpu_pct);
    else if (x->late_p99_us >= GENERATOR_LATE_US && x->late_p99_us * 4 >= x->p99_us)
        fprintf(out, "  note: the generator itself sent late (p99 %.1f ms): the latency "
                     "figures include that delay\n", ms(x->late_p99_us));
    if (x->pause_ms > 0 && x->recovery_ms >= 0)
        fprintf(out, "  relay stopped %.0f ms at +%.2f s: on time again %.0f ms after it went on\n",
                x->pause_ms, x->pause_at_s, x->recovery_ms);
    else if (x->pause_ms > 0)
        fprintf(out, "  relay stopped %.0f ms at +%.2f s: not on time again within the window\n",
                x->pause_ms, x->pause_at_s);
}

/* What TCP did to recover, each way (IP mode). */
static void table_tcp(FILE *out, const struct bench_result *x)
{
    static const char *const way[2] = {"clients -> relay", "relay -> clients"};
    for (int side = 0; x->tcp.valid && side < 2; side++) {
        const uint64_t *n = x->tcp.n[side];
        fprintf(out, "  tcp %s: %llu segments sent again: %llu fast retransmits, %llu tail loss "
                     "probes, %llu timeouts (RTO)\n", way[side],
                (unsigned long long)n[BENCH_TCP_RETRANS], (unsigned long long)n[BENCH_TCP_FAST],
                (unsigned long long)n[BENCH_TCP_PROBES],
                (unsigned long long)n[BENCH_TCP_TIMEOUTS]);
    }
}

/* Under a row of --repeat: how many runs its medians are over, and each
 * figure's min-max. */
static void print_spread(FILE *out, const struct bench_result *x)
{
    static const char *const label[BENCH_F_COUNT] = {
        [BENCH_F_LOST] = "lost%", [BENCH_F_P50] = "p50", [BENCH_F_P90] = "p90",
        [BENCH_F_P99] = "p99", [BENCH_F_P999] = "p999", [BENCH_F_MAX] = "max",
        [BENCH_F_MEAN] = "mean", [BENCH_F_JITTER] = "jit", [BENCH_F_RELAY_CPU] = "cpu%",
        [BENCH_F_BENCH_CPU] = "bcpu%", [BENCH_F_BYTES] = "B/msg", [BENCH_F_LATE99] = "late99",
        [BENCH_F_RELAY_US] = "us/delivery", [BENCH_F_JOIN50] = "join50",
        [BENCH_F_JOIN99] = "join99", [BENCH_F_REJOIN] = "rejoin",
        [BENCH_F_RECOVERY] = "recovery", [BENCH_F_BPS] = "bps", [BENCH_F_GAP] = "gap",
        [BENCH_F_REDIS_CALLS] = "redis_calls/s", [BENCH_F_NEW_OUT] = "new_out",
        [BENCH_F_NEW_WAIT] = "new_wait"};
    fprintf(out, "  median of %zu run%s, min-max:", x->spread.runs,
            x->spread.runs == 1 ? "" : "s");
    /* the directory's figures mean something for a fleet only */
    int count = x->relays ? BENCH_F_COUNT : BENCH_F_REDIS_CALLS;
    for (int f = 0; f < count; f++)
        if (f != BENCH_F_MEAN)
            fprintf(out, " %s %.*f-%.*f", label[f], f == BENCH_F_BYTES ? 1 : 2,
                    x->spread.min[f], f == BENCH_F_BYTES ? 1 : 2, x->spread.max[f]);
    if (x->spread.runs < x->spread.repeats)
        fprintf(out, " (%zu of %zu runs failed)", x->spread.repeats - x->spread.runs,
                x->spread.repeats);
    fputc('\n', out);
}

/* A fleet's lines: rooms split, clients moved, the directory's calls, the
 * joins probed after a directory event, recovery after a kill or drain. */
static void table_fleet(FILE *out, const struct bench_result *x)
{
    if (!x->relays)
        return;
    fprintf(out, "  fleet of %zu relays: %zu room%s split over relays, %llu clients moved "
                 "after the event, the last welcomed again %.0f ms after it\n",
            x->relays, x->split_rooms, x->split_rooms == 1 ? "" : "s",
            (unsigned long long)x->moved, ms(x->rejoin_us));
    if (x->redis_calls_s >= 0)
        fprintf(out, "  the directory: %.2f calls a second per relay\n", x->redis_calls_s);
    if (x->probes)
        fprintf(out, "  joins probed after the event: %llu; new rooms refused %llu (the "
                     "last %.0f ms after it), the longest wait %.0f ms; existing rooms "
                     "held by two relays: %llu\n", (unsigned long long)x->probes,
                (unsigned long long)x->new_refused, x->new_rooms_out_ms, x->new_room_wait_ms,
                (unsigned long long)x->held_twice);
    if (x->event_at_s > 0 && x->recovery_ms >= 0)
        fprintf(out, "  the rooms it hit on time again %.0f ms after it (+%.2f s)\n",
                x->recovery_ms, x->event_at_s);
    else if (x->event_at_s > 0)
        fprintf(out, "  the rooms it hit not on time again within the window\n");
}

/* What the table's columns mean, under it. */
static void print_legend(FILE *out, const struct bench_result *r, size_t n)
{
    if (!n)
        return;
    fprintf(out,
            "lost%%: of sent x receivers, over the window; old: sequenced states receivers\n"
            "dropped as older than the sender's newest (the relay drops none for that);\n"
            "latency and jitter (RFC 3550) are one-way from the intended send time; gapms: the\n"
            "longest time between two states one receiver got from one sender; netsim%%: loss\n"
            "netsim's drop counts predict, 1-(1-up)(1-down), diff = lost%% - netsim%% (retx:\n"
            "ENet or TCP sent the drops again); rttms/enet%%: ENet's own RTT and loss: reliable\n"
            "commands each client sent (pings included) that it retransmitted, command or ack\n"
            "lost; cpu_s/cpu%%/rssMB: the relay's CPU seconds from the window's start to the\n"
            "end of the drain, as %% of one core, and its peak RSS; bcpu%%: the bench itself\n"
            "(near 100: the bench is the bottleneck); B/msg: wire bytes incl. IP and UDP (tcp,\n"
            "ws: TCP) headers, both hops, per delivered state; kbit/s: the same bytes as a bit\n"
            "rate over the window, every client in and out (iperf3's bits/sec); audit: every\n"
            "missed (or, reliable, tcp and ws, late) state matched to netsim's drop log\n"
            "(docs/benchmarks.md: auditing a run).\n");
    if (r[0].spread.repeats > 1)
        fprintf(out, "--repeat %zu: each figure is the median of the runs (counts: their total); "
                     "the line under a row\ngives each figure's min-max over the runs.\n",
                r[0].spread.repeats);
}

/* The lines under a row: spread, rooms, joins, what served it and where,
 * a fleet's, the generator, TCP, the audit, warnings. */
static void table_notes(FILE *out, const struct bench_result *x)
{
    if (x->spread.repeats > 1)
        print_spread(out, x);
    if (x->rooms > 1)
        fprintf(out, "  %zu rooms of up to %llu: worst room delivered %.2f%%, %zu below 99.9%%\n",
                 x->rooms, (unsigned long long)((x->params.clients + (long)x->rooms - 1) /
                                                (long)x->rooms),
                 x->worst_room_pct, x->rooms_below);
    fprintf(out, "  joins: connect to welcome p50 %.2f ms, p99 %.2f ms; %llu connects made "
                 "again\n", ms(x->join_p50_us), ms(x->join_p99_us),
            (unsigned long long)x->connect_retries);
    if (x->relay[0])
        fprintf(out, "  relay: %s%s\n", x->relay,
                x->carrier == BENCH_CARRIER_REFERENCE ? " (the reference relay, the yardstick)"
                                                      : " (--tcp-relay example)");
    if (x->ip_mode)
        fprintf(out, "  network: netsim's IP mode, clients in one namespace (198.18.0.1), "
                     "the relay in another (198.19.0.1)\n");
    table_fleet(out, x);
    table_generator(out, x);
    table_tcp(out, x);
    if (x->relay_measured && x->delivered && x->relay_ratio.rounds)
        fprintf(out, "  relay: %.2f us of CPU per delivered state; %.2fx (%.2f-%.2f) %s's, "
                     "paired round by round\n", x->relay_us_per_delivery, x->relay_ratio.median,
                x->relay_ratio.min, x->relay_ratio.max, bench_mode_name(x->relay_ratio.vs));
    else if (x->relay_measured && x->delivered)
        fprintf(out, "  relay: %.2f us of CPU per delivered state\n", x->relay_us_per_delivery);
    table_audit(out, x);
    if (!x->ok)
        fprintf(out, "  warning: %s\n", x->error);
    if (x->disconnects || x->send_errors)
        fprintf(out, "  warning: %llu clients disconnected, %llu sends failed\n",
                (unsigned long long)x->disconnects, (unsigned long long)x->send_errors);
}

void bench_report_table(FILE *out, const struct bench_result *r, size_t n)
{
    int w = 11; /* the mode column: its longest name ("webrtc-sequenced") */
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(bench_mode_name(bench_result_mode(&r[i])));
        w = len > w ? len : w;
    }
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || !bench_params_equal(&r[i].params, &r[i - 1].params)) {
            char desc[256];
            bench_result_describe(desc, sizeof desc, &r[i]);
            fprintf(out, "%s== %s\n", i ? "\n" : "", desc);
            fprintf(out,
                    "%-*s %7s %8s %9s %6s %5s %5s %5s | %7s %7s %7s %7s %7s %7s %6s | %7s "
                    "%6s | %6s %6s | %6s %5s %6s %5s %6s %7s\n",
                    w, "mode", "sent", "expected", "delivered", "lost%", "dup", "reord", "old", "p50ms",
                    "p90ms", "p99ms", "p999ms", "maxms", "gapms", "jitms", "netsim%", "diff",
                    "rttms", "enet%", "cpu_s", "cpu%", "rssMB", "bcpu%", "B/msg", "kbit/s");
        }
        const struct bench_result *x = &r[i];
        if (!x->ok && x->expected == 0) {
            fprintf(out, "%-*s FAILED: %s\n", w, bench_mode_name(bench_result_mode(x)), x->error);
            continue;
        }
        char truth[16] = "-", diff[16] = "-", rtt[16] = "-", eloss[16] = "-";
        char cpu[16] = "-", cpus[16] = "-", rss[16] = "-";
        if (x->truth.valid) {
            snprintf(truth, sizeof truth, "%.2f", x->truth.e2e_loss_pct);
            /* ENet retransmits in reliable mode: netsim's drops are not lost */
            snprintf(diff, sizeof diff, proto_mode_lossless(x->mode) ? "retx" : "%+.2f",
                     x->loss_diff_pct);
        }
        if (proto_mode_info(x->mode)->enet && x->carrier == RICOCHET_TRANSPORT_DEFAULT) {
            snprintf(rtt, sizeof rtt, "%.1f", x->enet_rtt_ms);
            snprintf(eloss, sizeof eloss, "%.2f", x->enet_loss_pct);
        }
        if (x->relay_measured) {
            snprintf(cpu, sizeof cpu, "%.1f", x->relay_cpu_pct);
            snprintf(cpus, sizeof cpus, "%.2f", x->relay_cpu_s);
            snprintf(rss, sizeof rss, "%.1f", (double)x->relay_peak_rss_kb / 1024.0);
        }
        fprintf(out,
                "%-*s %7llu %8llu %9llu %6.2f %5llu %5llu %5llu | %7.2f %7.2f %7.2f %7.2f %7.2f "
                "%7.2f %6.2f | %7s %6s | %6s %6s | %6s %5s %6s %5.0f %6.1f %7.1f\n",
                w, bench_mode_name(bench_result_mode(x)), (unsigned long long)x->sent,
                (unsigned long long)x->expected, (unsigned long long)x->delivered,
                x->lost_pct, (unsigned long long)x->duplicates,
                (unsigned long long)x->reordered, (unsigned long long)x->too_old,
                ms(x->p50_us), ms(x->p90_us), ms(x->p99_us), ms(x->p999_us), ms(x->max_us),
                ms(x->max_gap_us), x->jitter_us / 1000.0, truth,
                diff, rtt, eloss, cpus, cpu, rss, x->bench_cpu_pct, x->bytes_per_msg,
                x->wire_bps / 1000.0);
        table_notes(out, x);
    }
    print_legend(out, r, n);
}

/* ---- JSON ---- */

#define WHERE(w) (1u << (w))
#define WHERE_MISSED (WHERE(AUDIT_WHERE_NONE) | WHERE(AUDIT_WHERE_UP_FWD) | \
                      WHERE(AUDIT_WHERE_DOWN_FWD))
#define WHERE_DROPS (WHERE(AUDIT_WHERE_UP_DROP) | WHERE(AUDIT_WHERE_DOWN_DROP))
#define WHERE_HELD (WHERE(AUDIT_WHERE_HELD) | WHERE(AUDIT_WHERE_SLOW))

/* The listed states whose where is in the mask (WHERE() bits), as an array. */
static void json_audit_items(cJSON *o, const struct audit_result *a, const char *name,
                             unsigned wheres)
{
    cJSON *arr = cJSON_AddArrayToObject(o, name);
    for (size_t k = 0; arr && k < a->listed; k++) {
        const struct audit_item *it = &a->items[k];
        if (!(wheres & WHERE(it->where)))
            continue;
        char flow[40];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "sender", it->sender);
        cJSON_AddNumberToObject(j, "seq", it->seq);
        if (it->receiver)
            cJSON_AddNumberToObject(j, "receiver", it->receiver);
        cJSON_AddStringToObject(j, "where", audit_where_name(it->where));
        audit_flow_str(&it->sender_flow, flow, sizeof flow);
        cJSON_AddStringToObject(j, "sender_flow", flow);
        if (it->receiver) {
            audit_flow_str(&it->receiver_flow, flow, sizeof flow);
            cJSON_AddStringToObject(j, "receiver_flow", flow);
        }
        cJSON_AddItemToArray(arr, j);
    }
}

static void json_audit(cJSON *o, const struct bench_result *x)
{
    const struct audit_result *a = &x->audit;
    cJSON *j = cJSON_AddObjectToObject(o, "audit");
    cJSON_AddBoolToObject(j, "done", a->done);
    cJSON_AddNumberToObject(j, "payloads_checked", (double)a->payload_checked);
    cJSON_AddNumberToObject(j, "payloads_corrupted", (double)a->payload_corrupt);
    if (!a->done) {
        if (a->skipped[0])
            cJSON_AddStringToObject(j, "skipped", a->skipped);
        return;
    }
    cJSON_AddBoolToObject(j, "clean", audit_clean(a));
    cJSON_AddNumberToObject(j, "missed", (double)a->missed);
    cJSON_AddNumberToObject(j, "explained", (double)audit_explained(a));
    cJSON *e = cJSON_AddObjectToObject(j, "explained_by");
    cJSON_AddNumberToObject(e, "netsim_up", (double)a->up);
    cJSON_AddNumberToObject(e, "netsim_down", (double)a->down);
    cJSON_AddNumberToObject(e, "netsim_corrupt", (double)a->corrupt);
    cJSON_AddNumberToObject(e, "too_old", (double)a->too_old);
    cJSON_AddNumberToObject(e, "enet_window", (double)a->enet_window);
    cJSON_AddNumberToObject(e, "socket_overflow", (double)a->overflow);
    cJSON_AddNumberToObject(e, "relay_stale", (double)a->stale);
    cJSON_AddNumberToObject(e, "sender_queue", (double)a->sender_queue);
    cJSON_AddNumberToObject(e, "relay_queue", (double)a->relay_queue);
    cJSON_AddNumberToObject(e, "late", (double)a->late);
    cJSON_AddNumberToObject(j, "unexplained", (double)a->unexplained);
    cJSON_AddNumberToObject(j, "netsim_dropped", (double)a->netsim_dropped);
    cJSON *w = cJSON_AddObjectToObject(j, "unexplained_where");
    for (int k = AUDIT_WHERE_NONE; k <= AUDIT_WHERE_DOWN_FWD; k++)
        cJSON_AddNumberToObject(w, audit_where_name(k), (double)a->unexplained_where[k]);
    json_audit_items(j, a, "unexplained_states", WHERE_MISSED);
    cJSON_AddNumberToObject(j, "not_sent", (double)a->not_sent);
    cJSON_AddNumberToObject(j, "socket_drops", (double)a->socket_drops);
    cJSON_AddNumberToObject(j, "netsim_socket_drops", (double)a->netsim_socket_drops);
    cJSON_AddNumberToObject(j, "relay_socket_drops", (double)a->relay_socket_drops);
    cJSON_AddNumberToObject(j, "relay_stale", (double)a->relay_stale);
    cJSON_AddNumberToObject(j, "relay_queued", (double)a->relay_queued);
    cJSON_AddNumberToObject(j, "log_states", (double)a->log_states);
    if (proto_mode_lossless(x->mode)) {
        cJSON *h = cJSON_AddObjectToObject(j, "held");
        cJSON_AddNumberToObject(h, "deliveries", (double)a->held);
        cJSON_AddNumberToObject(h, "by_uplink", (double)a->held_up);
        cJSON_AddNumberToObject(h, "by_downlink", (double)a->held_down);
        cJSON_AddNumberToObject(h, "unresolved", (double)a->held_unresolved);
        cJSON_AddNumberToObject(h, "unattributed", (double)a->unattributed);
        cJSON_AddNumberToObject(h, "late_unheld", (double)a->late_unheld);
        json_audit_items(h, a, "listed",
                         WHERE_HELD | (proto_mode_info(x->mode)->stream ? WHERE_DROPS : 0));
    }
    if (proto_mode_info(x->mode)->stream)
        cJSON_AddNumberToObject(j, "segment_drops", (double)a->segment_drops);
    if (proto_mode_info(x->mode)->up_flags & PROTO_FLAG_RELIABLE) {
        cJSON_AddNumberToObject(j, "state_drops", (double)a->state_drops);
        cJSON_AddNumberToObject(j, "retransmitted", (double)a->retransmitted);
        cJSON_AddNumberToObject(j, "redundant", (double)a->redundant);
        cJSON_AddNumberToObject(j, "unretransmitted", (double)a->unretransmitted);
        json_audit_items(j, a, "unretransmitted_states", WHERE_DROPS);
    }
    cJSON_AddNumberToObject(j, "listed_max", AUDIT_LIST);
}

/* --repeat: the runs the medians are over, and each figure's min-max. */
static void add_spread(cJSON *o, const struct bench_result *x)
{
    cJSON_AddNumberToObject(o, "runs", (double)x->spread.runs);
    cJSON_AddNumberToObject(o, "repeats", (double)(x->spread.repeats ? x->spread.repeats : 1));
    cJSON *spread = cJSON_AddObjectToObject(o, "spread");
    for (int f = 0; spread && f < BENCH_F_COUNT; f++) {
        cJSON *mm = cJSON_AddObjectToObject(spread, bench_figure_name((enum bench_figure)f));
        cJSON_AddNumberToObject(mm, "min", x->spread.min[f]);
        cJSON_AddNumberToObject(mm, "max", x->spread.max[f]);
    }
}

/* What netsim was given and what it did, and the audit, under a result. */
static void json_netsim(cJSON *o, const struct bench_result *x)
{
    cJSON *ns = cJSON_AddObjectToObject(o, "netsim");
    cJSON_AddBoolToObject(ns, "ip_mode", x->ip_mode);
    cJSON_AddNumberToObject(ns, "seed", (double)x->netsim_seed);
    cJSON_AddNumberToObject(ns, "hop_loss_pct", x->hop_loss_pct);
    cJSON_AddNumberToObject(ns, "hop_delay_ms", x->hop_delay_ms);
    cJSON_AddNumberToObject(ns, "hop_jitter_ms", x->hop_jitter_ms);
    if (x->truth.valid) {
        static const char *const dirs[2] = {"up", "down"};
        for (int d = 0; d < 2; d++) {
            cJSON *dj = cJSON_AddObjectToObject(ns, dirs[d]);
            cJSON_AddNumberToObject(dj, "received", (double)x->truth.received[d]);
            cJSON_AddNumberToObject(dj, "dropped", (double)x->truth.dropped[d]);
            cJSON_AddNumberToObject(dj, "drop_pct", x->truth.drop_pct[d]);
            cJSON_AddNumberToObject(dj, "duplicated", (double)x->truth.duplicated[d]);
            cJSON_AddNumberToObject(dj, "reordered", (double)x->truth.reordered[d]);
        }
        cJSON_AddNumberToObject(ns, "e2e_loss_pct", x->truth.e2e_loss_pct);
        if (!proto_mode_lossless(x->mode))
            cJSON_AddNumberToObject(ns, "measured_minus_netsim_pct", x->loss_diff_pct);
    }
    json_audit(o, x);
}

/* The joins: how long, connects made again, a fleet's moves, joins probed. */
static void json_joins(cJSON *o, const struct bench_result *x)
{
    cJSON_AddNumberToObject(o, "join_p50_ms", (double)x->join_p50_us / 1000.0);
    cJSON_AddNumberToObject(o, "join_p99_ms", (double)x->join_p99_us / 1000.0);
    cJSON_AddNumberToObject(o, "connect_retries", (double)x->connect_retries);
    if (x->relays) {
        cJSON_AddNumberToObject(o, "relays", (double)x->relays);
        cJSON_AddNumberToObject(o, "split_rooms", (double)x->split_rooms);
        cJSON_AddNumberToObject(o, "moved", (double)x->moved);
        cJSON_AddNumberToObject(o, "rejoin_ms", (double)x->rejoin_us / 1000.0);
        if (x->event_at_s > 0)
            cJSON_AddNumberToObject(o, "recovery_ms", x->recovery_ms);
        if (x->redis_calls_s >= 0)
            cJSON_AddNumberToObject(o, "redis_calls_per_relay_s", x->redis_calls_s);
    }
    if (x->probes) {
        cJSON *pr = cJSON_AddObjectToObject(o, "probes");
        cJSON_AddNumberToObject(pr, "joins", (double)x->probes);
        cJSON_AddNumberToObject(pr, "new_refused", (double)x->new_refused);
        cJSON_AddNumberToObject(pr, "new_rooms_out_ms", x->new_rooms_out_ms);
        cJSON_AddNumberToObject(pr, "new_room_wait_ms", x->new_room_wait_ms);
        cJSON_AddNumberToObject(pr, "held_twice", (double)x->held_twice);
    }
}

/* One-way latency and how late sends left, in ms. */
static void json_latency(cJSON *o, const struct bench_result *x)
{
    cJSON *lat = cJSON_AddObjectToObject(o, "latency_ms");
    cJSON_AddNumberToObject(lat, "p50", ms(x->p50_us));
    cJSON_AddNumberToObject(lat, "p90", ms(x->p90_us));
    cJSON_AddNumberToObject(lat, "p99", ms(x->p99_us));
    cJSON_AddNumberToObject(lat, "p999", ms(x->p999_us));
    cJSON_AddNumberToObject(lat, "max", ms(x->max_us));
    cJSON_AddNumberToObject(lat, "mean", x->mean_us / 1000.0);
    cJSON *late = cJSON_AddObjectToObject(o, "send_late_ms");
    cJSON_AddNumberToObject(late, "p50", ms(x->late_p50_us));
    cJSON_AddNumberToObject(late, "p99", ms(x->late_p99_us));
}

/* A stream's: what served it, how often short polls asked, and how TCP
 * recovered each way (IP mode). */
static void json_tcp(cJSON *o, const struct bench_result *x)
{
    static const char *const ways[2] = {"up", "down"};
    static const char *const names[BENCH_TCP_COUNTERS] = {"retransmitted", "fast",
                                                          "loss_probes", "timeouts"};
    if (x->relay[0])
        cJSON_AddStringToObject(o, "relay", x->relay);
    if (x->poll_interval_ms)
        cJSON_AddNumberToObject(o, "poll_interval_ms", x->poll_interval_ms);
    if (!x->tcp.valid)
        return;
    cJSON *tcp = cJSON_AddObjectToObject(o, "tcp_recovery");
    for (int side = 0; side < 2; side++) {
        cJSON *w = cJSON_AddObjectToObject(tcp, ways[side]);
        for (int k = 0; k < BENCH_TCP_COUNTERS; k++)
            cJSON_AddNumberToObject(w, names[k], (double)x->tcp.n[side][k]);
    }
}

/* x's record; r[0..n) are the run's results, the reference lane's among
 * them (bench_yardstick.h). */
static cJSON *result_json(const struct bench_result *x, const struct bench_result *r, size_t n,
                          double floor_dps)
{
    cJSON *o = cJSON_CreateObject();
    const struct bench_params *p = &x->params;
    cJSON_AddStringToObject(o, "mode", bench_mode_name(bench_result_mode(x)));
    cJSON_AddBoolToObject(o, "ok", x->ok);
    if (x->error[0])
        cJSON_AddStringToObject(o, "error", x->error);
    cJSON_AddNumberToObject(o, "clients", (double)p->clients);
    cJSON_AddNumberToObject(o, "rate_hz", p->rate_hz);
    cJSON_AddNumberToObject(o, "payload", (double)p->payload);
    cJSON_AddNumberToObject(o, "loss_pct", p->loss_pct);
    cJSON_AddNumberToObject(o, "delay_ms", p->delay_ms);
    cJSON_AddNumberToObject(o, "jitter_ms", p->jitter_ms);
    bench_yardstick_floor(o, floor_dps);
    cJSON_AddNumberToObject(o, "sent", (double)x->sent);
    cJSON_AddNumberToObject(o, "send_errors", (double)x->send_errors);
    cJSON_AddNumberToObject(o, "expected", (double)x->expected);
    cJSON_AddNumberToObject(o, "delivered", (double)x->delivered);
    cJSON_AddNumberToObject(o, "lost_pct", x->lost_pct);
    cJSON_AddNumberToObject(o, "delivery_pct", 100.0 - x->lost_pct);
    cJSON_AddNumberToObject(o, "duplicates", (double)x->duplicates);
    cJSON_AddNumberToObject(o, "reordered", (double)x->reordered);
    cJSON_AddNumberToObject(o, "too_old", (double)x->too_old);
    cJSON_AddNumberToObject(o, "clock_bound_ms", (double)x->clock_bound_us / 1000.0);
    json_latency(o, x);
    if (x->pause_ms > 0) {
        cJSON *pause = cJSON_AddObjectToObject(o, "relay_pause");
        cJSON_AddNumberToObject(pause, "ms", x->pause_ms);
        cJSON_AddNumberToObject(pause, "at_s", x->pause_at_s);
        cJSON_AddNumberToObject(pause, "recovery_ms", x->recovery_ms);
    }
    /* measured (RFC 3550), beside the configured "jitter_ms": named as in the CSV */
    cJSON_AddNumberToObject(o, "jitter_ms_measured", x->jitter_us / 1000.0);
    cJSON_AddNumberToObject(o, "enet_rtt_ms", x->enet_rtt_ms);
    cJSON_AddNumberToObject(o, "enet_loss_pct", x->enet_loss_pct);
    cJSON_AddNumberToObject(o, "disconnects", (double)x->disconnects);
    if (x->relay_measured) {
        cJSON_AddNumberToObject(o, "relay_cpu_s", x->relay_cpu_s);
        cJSON_AddNumberToObject(o, "relay_cpu_pct", x->relay_cpu_pct);
        cJSON_AddNumberToObject(o, "relay_us_per_delivery", x->relay_us_per_delivery);
        bench_yardstick_reference(o, x, r, n);
        if (x->relay_ratio.rounds) {
            cJSON *q = cJSON_AddObjectToObject(o, "relay_us_ratio");
            cJSON_AddStringToObject(q, "vs", bench_mode_name(x->relay_ratio.vs));
            cJSON_AddNumberToObject(q, "median", x->relay_ratio.median);
            cJSON_AddNumberToObject(q, "min", x->relay_ratio.min);
            cJSON_AddNumberToObject(q, "max", x->relay_ratio.max);
            cJSON_AddNumberToObject(q, "rounds", (double)x->relay_ratio.rounds);
        }
        cJSON_AddNumberToObject(o, "relay_peak_rss_kb", (double)x->relay_peak_rss_kb);
        cJSON_AddNumberToObject(o, "relay_drops", (double)x->relay_drops);
    }
    cJSON_AddNumberToObject(o, "bench_cpu_pct", x->bench_cpu_pct);
    cJSON_AddNumberToObject(o, "rooms", (double)x->rooms);
    cJSON_AddNumberToObject(o, "worst_room_pct", x->worst_room_pct);
    cJSON_AddNumberToObject(o, "rooms_below_99_9", (double)x->rooms_below);
    cJSON_AddNumberToObject(o, "procs", (double)(x->procs ? x->procs : 1));
    cJSON *pc = cJSON_AddArrayToObject(o, "proc_cpu_pct");
    for (size_t k = 0; pc && k < x->procs && k < BENCH_MAX_PROCS; k++)
        cJSON_AddItemToArray(pc, cJSON_CreateNumber(x->proc_cpu_pct[k]));
    if (pc && x->procs <= 1)
        cJSON_AddItemToArray(pc, cJSON_CreateNumber(x->bench_cpu_pct));
    cJSON_AddNumberToObject(o, "wire_bytes", (double)x->wire_bytes);
    cJSON_AddNumberToObject(o, "wire_datagrams", (double)x->wire_datagrams);
    cJSON_AddNumberToObject(o, "bytes_per_msg", x->bytes_per_msg);
    json_joins(o, x);
    cJSON_AddNumberToObject(o, "wire_bps", x->wire_bps);
    cJSON_AddNumberToObject(o, "max_gap_ms", ms(x->max_gap_us));
    json_tcp(o, x);
    add_spread(o, x);
    if (x->with_netsim)
        json_netsim(o, x);
    else if (x->audit.payload_checked)
        json_audit(o, x); /* --payload-check counts without netsim too */
    return o;
}

void bench_command_line(int argc, char **argv, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && used < cap - 1; i++) {
        bool quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t\"'$`\\*?;&|<>()#~") != NULL;
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "", quote ? "'" : "");
        for (const char *c = argv[i]; *c && used < cap - 1; c++) /* ' -> '\'' */
            used += (size_t)snprintf(out + used, cap - used, *c == '\'' ? "'\\''" : "%c", *c);
        if (quote && used < cap - 1)
            used += (size_t)snprintf(out + used, cap - used, "'");
    }
}

int bench_report_json(FILE *out, const struct bench_result *r, size_t n,
                      const struct bench_run_info *info)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "type", "bench");
    cJSON_AddStringToObject(root, "version", version_ricochet());
    cJSON_AddStringToObject(root, "enet_version", version_enet());
    if (info && info->command)
        cJSON_AddStringToObject(root, "command", info->command);
    if (info && info->date)
        cJSON_AddStringToObject(root, "date", info->date);
    cJSON *arr = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, result_json(&r[i], r, n, info ? info->floor_dps : 0));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    int rc = fprintf(out, "%s\n", text) < 0 ? -1 : 0;
    free(text);
    return rc;
}

/* ---- CSV ---- */

int bench_report_csv(FILE *out, const struct bench_result *r, size_t n)
{
    fprintf(out, "mode,ok,clients,rate_hz,payload,loss_pct,delay_ms,jitter_ms,sent,expected,"
                 "delivered,lost_pct,duplicates,reordered,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,"
                 "mean_ms,jitter_ms_measured,enet_rtt_ms,enet_loss_pct,netsim_loss_pct,"
                 "loss_diff_pct,relay_cpu_s,relay_cpu_pct,relay_peak_rss_kb,bench_cpu_pct,"
                 "bytes_per_msg,disconnects,send_errors,runs,send_late_p99_ms,pause_ms,"
                 "recovery_ms,relay_us_per_delivery,join_p50_ms,join_p99_ms,relays,split_rooms,"
                 "moved,rejoin_ms,wire_bps,max_gap_ms,redis_calls_per_relay_s,probes,new_refused,"
                 "new_rooms_out_ms,new_room_wait_ms,held_twice");
    for (int f = 0; f < BENCH_F_COUNT; f++)
        fprintf(out, ",%s_min,%s_max", bench_figure_name((enum bench_figure)f),
                bench_figure_name((enum bench_figure)f));
    fprintf(out, ",audit_missed,audit_explained,audit_unexplained,audit_too_old,"
                 "audit_unretransmitted\n");
    for (size_t i = 0; i < n; i++) {
        const struct bench_result *x = &r[i];
        const struct bench_params *p = &x->params;
        fprintf(out,
                "%s,%d,%ld,%g,%ld,%g,%g,%g,%llu,%llu,%llu,%.4f,%llu,%llu,%.3f,%.3f,%.3f,%.3f,"
                "%.3f,%.3f,%.3f,%.2f,%.3f,",
                bench_mode_name(bench_result_mode(x)), x->ok ? 1 : 0, p->clients, p->rate_hz, p->payload,
                p->loss_pct, p->delay_ms, p->jitter_ms, (unsigned long long)x->sent,
                (unsigned long long)x->expected, (unsigned long long)x->delivered, x->lost_pct,
                (unsigned long long)x->duplicates, (unsigned long long)x->reordered,
                ms(x->p50_us), ms(x->p90_us), ms(x->p99_us), ms(x->p999_us), ms(x->max_us),
                x->mean_us / 1000.0, x->jitter_us / 1000.0, x->enet_rtt_ms, x->enet_loss_pct);
        if (x->truth.valid)
            fprintf(out, "%.4f,%.4f,", x->truth.e2e_loss_pct, x->loss_diff_pct);
        else
            fprintf(out, ",,");
        if (x->relay_measured)
            fprintf(out, "%.3f,%.2f,%ld,", x->relay_cpu_s, x->relay_cpu_pct,
                    x->relay_peak_rss_kb);
        else
            fprintf(out, ",,,");
        fprintf(out, "%.2f,%.2f,%llu,%llu,%zu,%.3f,", x->bench_cpu_pct, x->bytes_per_msg,
                (unsigned long long)x->disconnects, (unsigned long long)x->send_errors,
                x->spread.runs, ms(x->late_p99_us));
        if (x->pause_ms > 0 || x->event_at_s > 0)
            fprintf(out, "%.0f,%.0f,", x->pause_ms, x->recovery_ms);
        else
            fprintf(out, ",,");
        if (x->relay_measured) /* as precise as its min and max: a median never outside them */
            fprintf(out, "%.4f,", x->relay_us_per_delivery);
        else
            fprintf(out, ",");
        fprintf(out, "%.3f,%.3f,%zu,%zu,%llu,%.3f,", ms(x->join_p50_us), ms(x->join_p99_us),
                x->relays, x->split_rooms, (unsigned long long)x->moved, ms(x->rejoin_us));
        fprintf(out, "%.0f,%.3f,", x->wire_bps, ms(x->max_gap_us));
        if (x->relays && x->redis_calls_s >= 0)
            fprintf(out, "%.3f,", x->redis_calls_s);
        else
            fprintf(out, ",");
        fprintf(out, "%llu,%llu,%.0f,%.0f,%llu,", (unsigned long long)x->probes,
                (unsigned long long)x->new_refused, x->new_rooms_out_ms, x->new_room_wait_ms,
                (unsigned long long)x->held_twice);
        for (int f = 0; f < BENCH_F_COUNT; f++)
            fprintf(out, "%.4f,%.4f,", x->spread.min[f], x->spread.max[f]);
        const struct audit_result *a = &x->audit;
        if (a->done) /* empty when not audited */
            fprintf(out, "%llu,%llu,%llu,%llu,%llu\n", (unsigned long long)a->missed,
                    (unsigned long long)audit_explained(a), (unsigned long long)a->unexplained,
                    (unsigned long long)a->too_old,
                    (unsigned long long)a->unretransmitted);
        else
            fprintf(out, ",,,,\n");
    }
    return ferror(out) ? -1 : 0;
}
