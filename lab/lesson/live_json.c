/* live_json.c: live.json in parts (see live_json.h): what the page polls,
 * each lane's figures and states as the loop published them. */
#include "live_json.h"
#include "live_calls.h"
#include "live_controls.h"
#include "live_guests.h"
#include "live_snapshot.h"
#include "live_state.h"

#include <string.h>

#define MODELS_SHOWN_US 20000000u /* a model change is in live.json this long: the strips
                                     draw their last 10 s */

#include "lab/netsim/droplog.h"
#include "proto/mode.h"

static void figures_json(FILE *f, const struct live_figures *x)
{
    fprintf(f, "{\"valid\":%s,\"window_s\":%.1f,\"grace_s\":%.1f,\"expected\":%llu,"
               "\"delivered\":%llu,\"disconnected\":%llu,\"late\":%llu,"
               "\"too_old\":%llu,\"netsim_dropped\":%llu,\"lost_explained\":%llu,"
               "\"delivered_pct\":%.2f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_gap_ms\":%.1f,"
               "\"max_gap_sender_ms\":%.1f,\"bytes_per_state\":%.1f,\"held\":%llu,"
               "\"out_of_order\":%llu,\"socket_dropped\":%llu,\"host_socket_dropped\":%llu,"
               "\"relay_kept\":%llu,\"sender_dropped\":%llu,\"socket_lost\":%llu,"
               "\"host_lost\":%llu,\"behind\":%llu,\"behind_ms\":%.0f,\"pending\":%llu",
            x->valid ? "true" : "false", x->window_s, x->grace_s, (unsigned long long)x->expected,
            (unsigned long long)x->delivered, (unsigned long long)x->disconnected,
            (unsigned long long)x->late, (unsigned long long)x->too_old,
            (unsigned long long)x->netsim_dropped, (unsigned long long)x->lost_explained,
            x->delivered_pct, x->p50_ms, x->p99_ms, x->max_gap_ms, x->max_gap_sender_ms,
            x->bytes_per_state, (unsigned long long)x->held,
            (unsigned long long)x->out_of_order, (unsigned long long)x->socket_dropped,
            (unsigned long long)x->host_socket_dropped, (unsigned long long)x->relay_kept,
            (unsigned long long)x->sender_dropped, (unsigned long long)x->socket_lost,
            (unsigned long long)x->host_lost, (unsigned long long)x->behind, x->behind_ms,
            (unsigned long long)x->pending);
    if (x->asks) /* HTTP polling: what asking costs */
        fprintf(f, ",\"ask_wait_ms\":%.1f,\"ask_wait_max_ms\":%.1f,"
                   "\"head_bytes_per_state\":%.1f,\"requests_per_state\":%.2f",
                x->ask_wait_ms, x->ask_wait_max_ms, x->head_bytes_per_state, x->requests_per_state);
    if (x->http)
        live_http_cost_json(f, x);
    fputc('}', f);
}

/* A mark: [seq, send ms, status, latency ms or null, x, y, vx, vy, drop up,
 * drop down, sender (0 first), arrival (the receiver's count, 0: none),
 * its first copy down lost (1: a datagram's, or a stream's segment, that
 * came again; 0: not), when netsim first saw it on the downlink (ms, null:
 * not yet): the order the relay sent it in, whatever its send ms, the
 * later state of its sender's it came after (0: in order)]. */
static void mark_json(FILE *f, const struct live_mark *m, uint64_t t0)
{
    fprintf(f, "[%u,%.1f,%u,", (unsigned)m->seq, live_ms_since(m->send_us, t0),
            (unsigned)m->status);
    if (m->status == LIVE_GOT)
        fprintf(f, "%.2f", (double)m->latency_us / 1e3);
    else
        fputs("null", f);
    fprintf(f, ",%.2f,%.2f,%.2f,%.2f,\"%s\",\"%s\",%u,%u,%u,", m->x, m->y, m->vx, m->vy,
            m->hop[0].drop ? droplog_event_name(m->hop[0].drop - 1) : "",
            m->hop[1].drop ? droplog_event_name(m->hop[1].drop - 1) : "", (unsigned)m->sender,
            (unsigned)(m->status == LIVE_GOT ? m->arrival : 0), (unsigned)m->hop[1].first_lost);
    if (m->hop[1].seen_us)
        fprintf(f, "%.1f", live_ms_since(m->hop[1].seen_us, t0));
    else
        fputs("null", f);
    fprintf(f, ",%u]", (unsigned)m->after);
}

void live_json_lane(FILE *f, const struct live_lane_snap *s, bool whole)
{
    const struct bench_lane *d = bench_lane(s->lane);
    fputs("{\"name\":", f);
    live_json_str(f, d->name);
    fputs(",\"title\":", f);
    live_json_str(f, d->title);
    fprintf(f, ",\"color\":\"%s\",\"lossless\":%s,\"state\":\"%s\",\"why\":", d->style.color,
            proto_mode_lossless(d->mode.mode) ? "true" : "false", s->state);
    live_json_str(f, s->why);
    if (!whole) {
        fputs(",\"brief\":true", f);
        return;
    }
    fputs(",\"ends\":", f);
    live_ends_json(f, s);
    fprintf(f, ",\"sender_id\":%u,\"sender_ids\":[", (unsigned)s->sender_id[0]);
    for (size_t k = 0; k < s->n_senders; k++)
        fprintf(f, "%s%u", k ? "," : "", (unsigned)s->sender_id[k]);
    fputs("],\"first_seq\":[", f);
    for (size_t k = 0; k < s->n_senders; k++)
        fprintf(f, "%s%u", k ? "," : "", (unsigned)s->seq0[k]);
    fputs("],\"figures\":", f);
    figures_json(f, &s->fig);
}

bool live_json_marks(FILE *f, const struct live_lane_snap *s, uint64_t t0, uint64_t since)
{
    bool any = false;
    for (size_t k = 0; k < s->n_marks; k++) {
        if (s->marks[k].changed_us <= since)
            continue;
        if (any)
            fputc(',', f);
        any = true;
        mark_json(f, &s->marks[k], t0);
    }
    return any;
}

static void net_json(FILE *f, const struct live_net_figures *n)
{
    fprintf(f, "{\"valid\":%s,\"window_s\":%.1f,\"path_loss_pct\":%.2f",
            n->valid ? "true" : "false", n->window_s, n->path_loss_pct);
    for (int d = 0; d < 2; d++)
        fprintf(f, ",\"%s\":{\"received\":%llu,\"kbps\":%.1f,\"dropped\":%llu,"
                   "\"drop_pct\":%.2f,\"states\":%llu,\"states_lost\":%llu,"
                   "\"state_loss_pct\":%.2f}",
                d ? "down" : "up", (unsigned long long)n->received[d], n->kbps[d],
                (unsigned long long)n->dropped[d], n->drop_pct[d],
                (unsigned long long)n->states[d], (unsigned long long)n->states_lost[d],
                n->state_loss_pct[d]);
    fputc('}', f);
}

static void status_json(FILE *f, const struct live_snapshot *s)
{
    fputs("{\"relay\":", f);
    live_json_str(f, s->relay);
    fprintf(f, ",\"relay_up\":%s,\"netsim\":", s->relay_up ? "true" : "false");
    live_json_str(f, s->netsim);
    fprintf(f, ",\"netsim_up\":%s,\"ip_mode\":%s,\"missing\":", s->netsim_up ? "true" : "false",
            s->ip_mode ? "true" : "false");
    live_json_str(f, s->missing);
    fputs(",\"incident\":", f);
    live_json_str(f, s->incident);
    fputs(",\"netsim_metrics\":[", f);
    for (size_t k = 0; k < s->n_netsims; k++) {
        fputs(k ? "," : "", f);
        live_json_str(f, s->netsim_metrics[k]);
    }
    fputs("]}", f);
}

void live_json_head(FILE *f, const struct live_snapshot *s, const char *model)
{
    fprintf(f, "{\"cursor\":%llu,\"now_ms\":%.1f,\"generation\":\"%llu.%llu\","
               "\"rate_hz\":%g,\"senders\":%d,\"senders_wanted\":%d,\"status\":",
            (unsigned long long)s->now_us, live_ms_since(s->now_us, s->t0_us),
            (unsigned long long)s->instance, (unsigned long long)s->generation, s->rate_hz,
            s->senders, s->senders_wanted);
    status_json(f, s);
    fprintf(f, ",\"model\":%s,\"net\":", model);
    net_json(f, &s->net);
    fprintf(f, ",\"log\":{\"behind_s\":%.3f,\"behind_max_s\":%.3f,\"unread_bytes\":%llu,"
               "\"read_bytes\":%llu,\"read_ms_per_s\":%.2f}",
            s->log.behind_s, s->log.behind_max_s, (unsigned long long)s->log.unread_bytes,
            (unsigned long long)s->log.read_bytes, s->log.read_ms_per_s);
    double offered[2] = {0, 0};
    for (size_t k = 0; k < s->n_netsims; k++)
        for (int d = 0; d < 2; d++)
            offered[d] += s->offered_kbps[k][d];
    fprintf(f, ",\"offered_kbps\":{\"up\":%.1f,\"down\":%.1f}", offered[0], offered[1]);
    fputs(",\"models\":[", f);
    bool any = false;
    for (size_t k = 0; k < s->n_models; k++) {
        char controls[512];
        if (s->models[k].t_us + MODELS_SHOWN_US < s->now_us)
            continue; /* past every strip */
        if (live_controls_of_change(s->models[k].text, controls, sizeof controls) != 0)
            snprintf(controls, sizeof controls, "null");
        fprintf(f, "%s{\"t_ms\":%.1f,\"controls\":%s,\"text\":", any ? "," : "",
                live_ms_since(s->models[k].t_us, s->t0_us), controls);
        live_json_str(f, s->models[k].text);
        fputc('}', f);
        any = true;
    }
    fputs("],", f);
}

const char *live_fate_name(unsigned fate)
{
    static const char *const names[LIVE_FATES] = {
        [LIVE_FATE_NONE] = "", [LIVE_FATE_NETSIM] = "netsim", [LIVE_FATE_TOO_OLD] = "too_old",
        [LIVE_FATE_CUT] = "cut", [LIVE_FATE_LATE] = "late", [LIVE_FATE_SEGMENT] = "segment",
        [LIVE_FATE_RELAY_KEPT] = "relay_kept", [LIVE_FATE_UNSENT] = "unsent",
        [LIVE_FATE_SOCKET] = "socket", [LIVE_FATE_HOST] = "host", [LIVE_FATE_BEHIND] = "behind",
        [LIVE_FATE_UNEXPLAINED] = "unexplained"};
    return fate < LIVE_FATES ? names[fate] : "";
}

bool live_json_listed(const char *list, const char *name)
{
    if (!list)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}
