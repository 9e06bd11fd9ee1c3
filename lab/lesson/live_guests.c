/* live_guests.c: a program of the learner's own as a lane of the page (see
 * live.h; docs/sockets.md, "Your program in the lesson"). The door
 * (live_door.c) hands it what it reads on the way: each state the program
 * sends, kept with its bytes and the lesson's clock when the door passed
 * it; netsim's line of that state on its way up (carried, with its delay,
 * or dropped); and the program's pings with the relay's pongs, whose round
 * trip the door times on its own clock, since a program's states carry its
 * clock and not the lesson's. From them, live.json's "guests" (each with
 * its states changed since the page's cursor: its dot and its strip) and
 * /state of one of them, shaped as a lane's so that the page inspects it
 * the same way. */
#include "live_guests.h"
#include "live_door.h"
#include "live_snapshot.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lab/audit/audit.h"
#include "lab/harness/figures.h"
#include "lab/netsim/droplog.h"
#include "proto/wire.h"
#include "sys/httpd.h"

/* The mark of the program's seq, if its ring still holds it. */
static struct live_guest_mark *mark_of(struct live_guest_snap *s, uint32_t seq)
{
    for (size_t k = 0; k < s->marks_n; k++) {
        struct live_guest_mark *m = &s->marks[(s->marks_at + LIVE_GUEST_MARKS - 1 - k) %
                                              LIVE_GUEST_MARKS];
        if (m->seq == seq)
            return m;
    }
    return NULL;
}

void live_guest_state(struct live_guest *g, const unsigned char *m, size_t len, uint64_t now_us)
{
    struct proto_state st;
    if (len < PROTO_STATE_SIZE || proto_state_decode(m, len, &st) != PROTO_OK)
        return; /* the relay says what is wrong with it: its error's line */
    struct live_guest_snap *s = &g->s;
    struct live_guest_mark *k = &s->marks[s->marks_at];
    *k = (struct live_guest_mark){.seq = st.seq, .status = LIVE_PENDING, .door_us = now_us,
                                  .changed_us = now_us, .x = st.x, .y = st.y, .vx = st.vx,
                                  .vy = st.vy};
    memcpy(k->bytes, m, PROTO_STATE_SIZE);
    s->marks_at = (s->marks_at + 1) % LIVE_GUEST_MARKS;
    s->marks_n += s->marks_n < LIVE_GUEST_MARKS;
}

void live_guest_ping(struct live_guest *g, double t, uint64_t now_us)
{
    g->pings[g->ping_at] = (struct live_ping){.t = t, .us = now_us};
    g->ping_at = (g->ping_at + 1) % LIVE_GUEST_PINGS;
}

void live_guest_pong(struct live_guest *g, double t, uint64_t now_us)
{
    for (size_t i = 0; i < LIVE_GUEST_PINGS; i++) {
        struct live_ping *p = &g->pings[i];
        if (!p->us || p->t != t || now_us < p->us)
            continue;
        g->s.rtt_ms[g->s.rtt_at] = (double)(now_us - p->us) / 1e3;
        g->s.rtt_at = (g->s.rtt_at + 1) % LIVE_GUEST_RTTS;
        g->s.rtt_n += g->s.rtt_n < LIVE_GUEST_RTTS;
        p->us = 0; /* a repeated pong times nothing */
        return;
    }
}

void live_guest_hop(struct live_guest *g, const struct audit_line *a)
{
    struct live_guest_mark *m = a->dir == NETSIM_UP ? mark_of(&g->s, a->seq) : NULL;
    if (!m || m->status == LIVE_GOT)
        return; /* another's state to it, one long gone, or a copy after the first */
    if (a->event == DROPLOG_FWD || a->event == DROPLOG_CORRUPT || a->event == DROPLOG_SENT) {
        m->status = LIVE_GOT;
        m->fwd_us = a->t_us;
        m->delay_us = (uint32_t)a->delay_us;
    } else if (a->event != DROPLOG_DUP && a->event != DROPLOG_EXIT) {
        m->status = LIVE_LOST; /* a datagram's: a stream's segments come again */
        m->drop = (uint8_t)(a->event + 1);
        m->drop_us = a->t_us;
    } else {
        return;
    }
    snprintf(m->kind, sizeof m->kind, "%s", a->kind);
    m->changed_us = a->t_us > m->changed_us ? a->t_us : m->changed_us + 1;
}

/* t_us on the page's clock: ms since the lanes' start (t0). */
static double page_ms(uint64_t t_us, uint64_t t0_us)
{
    return ((double)t_us - (double)t0_us) / 1e3;
}

/* The mark's latency: the door to the relay, netsim's carrying included. */
static double up_ms(const struct live_guest_mark *m)
{
    return m->fwd_us > m->door_us ? (double)(m->fwd_us - m->door_us) / 1e3 : 0;
}

/* Its states changed since the cursor, as the page's lanes' marks begin:
 * [seq, send ms, status, latency ms or null, x, y, vx, vy]. */
static void marks_json(FILE *f, const struct live_guest_snap *g, uint64_t t0, uint64_t since)
{
    fputs(",\"marks\":[", f);
    bool first = true;
    for (size_t k = 0; k < g->marks_n; k++) {
        const struct live_guest_mark *m =
            &g->marks[(g->marks_at + LIVE_GUEST_MARKS - g->marks_n + k) % LIVE_GUEST_MARKS];
        if (m->changed_us <= since)
            continue;
        fprintf(f, "%s[%u,%.1f,%u,", first ? "" : ",", (unsigned)m->seq, page_ms(m->door_us, t0),
                (unsigned)m->status);
        if (m->status == LIVE_GOT)
            fprintf(f, "%.2f", up_ms(m));
        else
            fputs("null", f);
        fprintf(f, ",%.2f,%.2f,%.2f,%.2f]", m->x, m->y, m->vx, m->vy);
        first = false;
    }
    fputc(']', f);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Its pings' round trips: how many, the median and the last (null: none). */
static void rtt_json(FILE *f, const struct live_guest_snap *g)
{
    if (!g->rtt_n) {
        fputs(",\"rtt\":null", f);
        return;
    }
    double v[LIVE_GUEST_RTTS];
    memcpy(v, g->rtt_ms, sizeof v);
    qsort(v, g->rtt_n, sizeof v[0], by_value);
    fprintf(f, ",\"rtt\":{\"n\":%zu,\"p50_ms\":%.1f,\"last_ms\":%.1f}", g->rtt_n,
            v[g->rtt_n / 2], g->rtt_ms[(g->rtt_at + LIVE_GUEST_RTTS - 1) % LIVE_GUEST_RTTS]);
}

void live_json_str(FILE *f, const char *s)
{
    cJSON *item = cJSON_CreateStringReference(s);
    char *t = item ? cJSON_PrintUnformatted(item) : NULL;
    fputs(t ? t : "\"\"", f);
    free(t);
    cJSON_Delete(item);
}

/* One program's part of live.json. */
static void guest_json(FILE *f, const struct live_guest_snap *g, uint64_t t0, uint64_t since)
{
    const char *text[][2] = {{"state", g->state}, {"endpoint", g->endpoint},
                             {"flow", g->flow}, {"relay", g->relay}, {"room", g->room},
                             {"name", g->name}, {"error_code", g->error_code},
                             {"error_message", g->error_message}, {"sent_hex", g->sent.hex},
                             {"end", g->end}};
    fprintf(f, "{\"proto\":\"%s\",\"id\":%u", g->tcp ? "tcp" : "udp", g->id);
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        fprintf(f, ",\"%s\":", text[i][0]);
        live_json_str(f, text[i][1]);
    }
    const uint64_t n[] = {g->messages_up, g->states_up, g->states_down, g->fwd_up,
                          g->dropped_up, g->fwd_down, g->dropped_down, g->sent.len};
    const char *names[] = {"messages_up", "states_up", "states_down", "fwd_up",
                           "dropped_up", "fwd_down", "dropped_down", "sent_len"};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        fprintf(f, ",\"%s\":%llu", names[i], (unsigned long long)n[i]);
    /* what a state carried cost on the wire, both ways, as the lanes' figure; a stream's
       segments are not the door's to count */
    uint64_t carried = g->fwd_up + g->fwd_down;
    if (!g->tcp && carried)
        fprintf(f, ",\"bytes_per_state\":%.1f",
                figures_bytes_per_state(PROTO_MODE_UDP, g->bytes, g->datagrams, carried));
    else
        fputs(",\"bytes_per_state\":null", f);
    fprintf(f, ",\"max_gap_ms\":%.1f,\"unanswered\":%s,\"sent_raw\":%s", g->max_gap_ms,
            g->unanswered ? "true" : "false", g->sent.raw ? "true" : "false");
    rtt_json(f, g);
    marks_json(f, g, t0, since);
    fputc('}', f);
}

void live_door_json(FILE *f, const struct live_snapshot *s, uint64_t since)
{
    const char *door[][2] = {{"udp", s->door_udp}, {"tcp", s->door_tcp},
                             {"relay_udp", s->door_relay_udp}, {"relay_tcp", s->door_relay_tcp},
                             {"why", s->door_why}};
    fputs("\"door\":{", f);
    for (size_t i = 0; i < sizeof door / sizeof door[0]; i++) {
        fprintf(f, "%s\"%s\":", i ? "," : "", door[i][0]);
        live_json_str(f, door[i][1]);
    }
    fprintf(f, ",\"proxy\":%s},\"guests\":[", s->ip_mode ? "false" : "true");
    for (size_t k = 0; k < s->n_guests; k++) {
        fputs(k ? "," : "", f);
        guest_json(f, &s->guests[k], s->t0_us, since);
    }
    fputs("]", f);
}

/* The program whose lane is name ("udp 127.0.0.1:40000"), or NULL. */
static const struct live_guest_snap *guest_named(const struct live_snapshot *s, const char *name)
{
    for (size_t k = 0; k < s->n_guests; k++) {
        const struct live_guest_snap *g = &s->guests[k];
        size_t p = strlen(g->tcp ? "tcp" : "udp");
        if (!strncmp(name, g->tcp ? "tcp" : "udp", p) && name[p] == ' ' &&
            !strcmp(name + p + 1, g->endpoint))
            return g;
    }
    return NULL;
}

/* Its way up, as a lane's hop: netsim's line of it (a stream's: its frame's
 * bytes carried, no datagram to name). */
static void hop_json(FILE *f, const struct live_guest_snap *g, const struct live_guest_mark *m,
                     uint64_t t0)
{
    fputs("{\"dir\":\"up\",\"flow\":", f);
    live_json_str(f, g->flow);
    fprintf(f, ",\"drop\":\"%s\",\"drop_ms\":%.1f,\"fwds\":%u,\"fwd_ms\":%.1f,\"delay_ms\":%.2f,"
               "\"kind\":",
            m->drop ? droplog_event_name(m->drop - 1) : "", m->drop ? page_ms(m->drop_us, t0) : 0,
            m->status == LIVE_GOT ? 1u : 0u, m->fwd_us ? page_ms(m->fwd_us, t0) : 0,
            m->delay_us / 1e3);
    live_json_str(f, m->kind);
    fputs(",\"peer\":-1,\"group\":-1,\"frame\":null,\"segments\":[]}", f);
}

bool live_guest_state_reply(const struct live_snapshot *s, const char *name, uint32_t seq,
                            struct httpd_reply *r)
{
    const struct live_guest_snap *g = guest_named(s, name);
    if (!g)
        return false;
    const struct live_guest_mark *m = mark_of((struct live_guest_snap *)g, seq);
    char *text = NULL, hex[2 * PROTO_STATE_SIZE + 1] = "";
    size_t len = 0;
    FILE *f = m ? open_memstream(&text, &len) : NULL;
    if (!f) {
        r->status = m ? 500 : 404;
        r->content_type = "text/plain";
        len = (size_t)asprintf(&r->body, "%s: no state %u kept (a program's last %d are)\n",
                               name, (unsigned)seq, LIVE_GUEST_MARKS);
        r->len = r->body ? len : 0;
        return true;
    }
    for (int i = 0; i < PROTO_STATE_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->bytes[i]);
    fputs("{\"lane\":", f);
    live_json_str(f, name);
    fprintf(f, ",\"wire\":\"%s\",\"seq\":%u,\"status\":%u,\"send_ms\":%.1f,\"latency_ms\":%.2f,"
               "\"recv_ms\":%.1f,\"sender\":0,\"sender_id\":%u,\"bytes\":\"%s\",\"hops\":[",
            g->tcp ? "stream" : "udp", (unsigned)m->seq, (unsigned)m->status,
            page_ms(m->door_us, s->t0_us), m->status == LIVE_GOT ? up_ms(m) : -1,
            m->fwd_us ? page_ms(m->fwd_us, s->t0_us) : -1, (unsigned)g->id, hex);
    hop_json(f, g, m, s->t0_us);
    fputs("]}", f);
    fclose(f);
    r->content_type = "application/json";
    r->body = text;
    r->len = len;
    return true;
}
