/* live_http.c: the lesson's page server (see live.h), in libmicrohttpd's
 * thread (sys/httpd.h). It reads the newest snapshot the loop published
 * and formats it; it never touches the loop's state. Routes:
 *   GET /, /lesson.js, /lesson_guests.js, /lesson_arena.js, /lesson_words.js,
 *       /lesson_calls.js, /lesson_inspect.js, /ricochet.js
 *                       the page (lesson/lesson.html and its modules) and
 *                       the protocol's module (client/js/ricochet.js), compiled in
 *   GET /lang/LANG.json  the page's words in en, id, ko or vi
 *                       (lesson/lang/), compiled in
 *   GET /guide/LANG     the student's guide in id, ko or vi
 *                       (docs/sockets.LANG.md), compiled in
 *   GET /live.json?since=CURSOR       every lane's figures and the states
 *                       changed since the cursor of an earlier answer
 *   GET /state?lane=NAME&seq=N[&sender=K]   one state (of the lane's sender
 *                       K, 0 first; or of a program's, NAME "udp IP:PORT"):
 *                       its 40 bytes, what carried it (netsim's drop log,
 *                       up and down) and the loss it waited behind
 *                       (live_state.c)
 *   GET /pcap?lane=NAME    the lane's last packets on the clients' side of
 *                       netsim (IP mode), a pcap file (live_pcap.c)
 *   GET /calls?lane=NAME   the system calls of the lane's two ends, with
 *                       their descriptors and ports, and its handshakes
 *   PUT /senders        {"senders": 1 or 4}: each lane's senders; the loop
 *                       starts the lanes again with them
 *   GET /model, PUT /model            the controls: the path's loss, delay
 *                       and jitter end to end (--path-loss, ...: the bench's
 *                       own rows, split per hop as the bench splits them),
 *                       burst-length, and any of netsim's model options as
 *                       they are, and a rate as a share of what the lanes
 *                       send (up-rate-share: 0.8, the saturated uplink's
 *                       preset); handed to every netsim (PUT /model on its
 *                       --metrics), whose 400 and one-line error come back
 *                       as they are
 *   GET /view.json      who reads: {"view": false, "you": ADDRESS} here
 *   GET /worksheet, /worksheet/LANG.md   the students' worksheet
 *                       (docs/class/worksheet.LANG.md) and its page
 * Anything else: 404 or 405.
 *
 * The students' view (live_http_view: --view-address) is a second server,
 * on the class's network, in a thread of its own: the same page and files,
 * read-only. Its /live.json is one answer for every viewer, made by the
 * loop (live_http_view_take) at most every VIEW_EVERY_US while a viewer has
 * asked in the last VIEW_IDLE_US, each state changed in the last
 * VIEW_SINCE_US in it: a viewer costs a copy of those bytes, nothing more.
 * It never reads the snapshots (the page's server is their one reader):
 * /state and /calls are the teacher's page's; a PUT /model or /senders
 * from a viewer is refused (403), and /view.json says {"view": true, "you":
 * the viewer's address}, its program's lane the one from that address. */
#include "live_http.h"
#include "live_pcap.h"
#include "live.h"
#include "live_calls.h"
#include "live_client.h"
#include "live_controls.h"
#include "live_guests.h"
#include "live_lanes.h"
#include "live_snapshot.h"
#include "live_state.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lab/netsim/droplog.h"
#include "lab/netsim/statescan.h"
#include "proto/wire.h"
#include "sys/clock.h"
#include "sys/httpd.h"
#include "sys/netaddr.h"
#include "sys/triple.h"

#define CONTROLS_MAX 2048     /* a PUT /model's body */
#define NETSIM_TIMEOUT_MS 2000
#define ANSWER_MAX 8192
#define VIEW_EVERY_US 500000u   /* the students' view's answer, made again at most this often */
#define VIEW_SINCE_US 2500000u  /* ... with the states changed this long back: a viewer
                                   polling each second misses none, one poll lost none */
#define VIEW_IDLE_US 10000000u  /* ... made while a viewer asked within this long */

/* The page and its modules (the Makefile's gen/lesson_files.c). */
extern const char live_lesson_html[], live_lesson_js[], live_ricochet_js[];
extern const size_t live_lesson_html_len, live_lesson_js_len, live_ricochet_js_len;
extern const char live_guests_js[], live_arena_js[], live_words_js[], live_calls_js[];
extern const size_t live_guests_js_len, live_arena_js_len, live_words_js_len, live_calls_js_len;
extern const char live_inspect_js[];
extern const size_t live_inspect_js_len;
extern const char live_lang_en[], live_lang_id[], live_lang_ko[], live_lang_vi[];
extern const size_t live_lang_en_len, live_lang_id_len, live_lang_ko_len, live_lang_vi_len;
extern const char live_guide_id[], live_guide_ko[], live_guide_vi[];
extern const char live_worksheet_html[], live_worksheet_en[], live_worksheet_id[],
    live_worksheet_ko[], live_worksheet_vi[];
extern const size_t live_worksheet_html_len, live_worksheet_en_len, live_worksheet_id_len,
    live_worksheet_ko_len, live_worksheet_vi_len;
extern const size_t live_guide_id_len, live_guide_ko_len, live_guide_vi_len;

struct live_http {
    struct httpd *http;
    struct triple *tb;
    pthread_mutex_t lock;          /* over the two texts below (the loop reads them) */
    char controls[CONTROLS_MAX];   /* the last controls netsim took, as the page sent them */
    char model[ANSWER_MAX];        /* ... and netsim's answer: the model in force */
    char in_force[CONTROLS_MAX];   /* that model as the page's controls ("": not known yet) */
    bool unlimited[2];             /* ... holds neither way to a rate (up, down) */
    uint64_t changed_us;           /* when netsim last took a model */
    double free_kbps[2][LIVE_NETSIMS][2]; /* each netsim's intake each way while no rate held
                                      it, with one sender a lane and with four (0: not
                                      measured): what a rate's share is of, so that a
                                      share asked under a rate is not of what it let by */
    _Atomic int *senders_wanted;   /* the loop's: each lane's senders, as the page asks */
    struct httpd *view;            /* the students' view (NULL: none) */
    pthread_mutex_t view_lock;     /* over its answer below (the loop makes it) */
    char *view_body;               /* its /live.json, one for every viewer (NULL: none yet) */
    size_t view_len;
    uint64_t view_made_us;         /* the loop's: when it made it */
    _Atomic uint64_t view_asked_us; /* when a viewer last asked for it */
    struct live_pcap *pcap;        /* the lanes' last packets (NULL: no IP mode) */
};

static void reply_text(struct httpd_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply_text(struct httpd_reply *r, unsigned status, const char *fmt, ...)
{
    va_list ap;
    char *text = NULL;
    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    va_end(ap);
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->body = text;
    r->len = text ? strlen(text) : 0;
}

static void reply_static(struct httpd_reply *r, const char *type, const char *body, size_t len)
{
    r->content_type = type;
    r->static_body = body;
    r->len = len;
}

/* A handler serving a file compiled in (Makefile: lesson_files.c). */
#define STATIC_FILE(NAME, TYPE, BODY)                                                      \
    static void NAME(void *ctx, const struct httpd_request *q, struct httpd_reply *r)      \
    {                                                                                      \
        (void)ctx;                                                                         \
        (void)q;                                                                           \
        reply_static(r, TYPE, BODY, BODY##_len);                                           \
    }
#define JS_TYPE "text/javascript; charset=utf-8"
STATIC_FILE(on_page, "text/html; charset=utf-8", live_lesson_html)
STATIC_FILE(on_lesson_js, JS_TYPE, live_lesson_js)
STATIC_FILE(on_guests_js, JS_TYPE, live_guests_js)
STATIC_FILE(on_arena_js, JS_TYPE, live_arena_js)
STATIC_FILE(on_words_js, JS_TYPE, live_words_js)
STATIC_FILE(on_calls_js, JS_TYPE, live_calls_js)
STATIC_FILE(on_inspect_js, JS_TYPE, live_inspect_js)
STATIC_FILE(on_ricochet_js, JS_TYPE, live_ricochet_js)

/* GET /lang/LANG.json: the page's words, a handler a language. */
#define LANG_TYPE "application/json; charset=utf-8"
STATIC_FILE(on_lang_en, LANG_TYPE, live_lang_en)
STATIC_FILE(on_lang_id, LANG_TYPE, live_lang_id)
STATIC_FILE(on_lang_ko, LANG_TYPE, live_lang_ko)
STATIC_FILE(on_lang_vi, LANG_TYPE, live_lang_vi)

/* GET /guide/LANG: the student's guide to the page (docs/sockets.LANG.md), as text. */
#define GUIDE_TYPE "text/plain; charset=utf-8"
STATIC_FILE(on_guide_id, GUIDE_TYPE, live_guide_id)
STATIC_FILE(on_guide_ko, GUIDE_TYPE, live_guide_ko)
STATIC_FILE(on_guide_vi, GUIDE_TYPE, live_guide_vi)

/* GET /worksheet, /worksheet/LANG.md: the students' sheet (docs/class/). */
STATIC_FILE(on_worksheet, "text/html; charset=utf-8", live_worksheet_html)
#define MD_TYPE "text/markdown; charset=utf-8"
STATIC_FILE(on_worksheet_en, MD_TYPE, live_worksheet_en)
STATIC_FILE(on_worksheet_id, MD_TYPE, live_worksheet_id)
STATIC_FILE(on_worksheet_ko, MD_TYPE, live_worksheet_ko)
STATIC_FILE(on_worksheet_vi, MD_TYPE, live_worksheet_vi)

static void on_favicon(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    (void)ctx;
    (void)q;
    r->status = 204;
    reply_static(r, "text/plain", "", 0);
}

/* The newest snapshot, or NULL (the reply made: 503) before the first. */
static const struct live_snapshot *newest(struct live_http *h, struct httpd_reply *r)
{
    const struct live_snapshot *s = triple_front(h->tb);
    if (!s)
        reply_text(r, 503, "starting: no snapshot yet\n");
    return s;
}

static void figures_json(FILE *f, const struct live_figures *x)
{
    fprintf(f, "{\"valid\":%s,\"window_s\":%.1f,\"grace_s\":%.1f,\"expected\":%llu,"
               "\"delivered\":%llu,\"disconnected\":%llu,\"late\":%llu,"
               "\"too_old\":%llu,\"netsim_dropped\":%llu,\"lost_explained\":%llu,"
               "\"delivered_pct\":%.2f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_gap_ms\":%.1f,"
               "\"max_gap_sender_ms\":%.1f,\"bytes_per_state\":%.1f,\"held\":%llu,"
               "\"out_of_order\":%llu,\"socket_dropped\":%llu,\"host_socket_dropped\":%llu,"
               "\"relay_kept\":%llu,\"sender_dropped\":%llu",
            x->valid ? "true" : "false", x->window_s, x->grace_s, (unsigned long long)x->expected,
            (unsigned long long)x->delivered, (unsigned long long)x->disconnected,
            (unsigned long long)x->late, (unsigned long long)x->too_old,
            (unsigned long long)x->netsim_dropped, (unsigned long long)x->lost_explained,
            x->delivered_pct, x->p50_ms, x->p99_ms, x->max_gap_ms, x->max_gap_sender_ms,
            x->bytes_per_state, (unsigned long long)x->held,
            (unsigned long long)x->out_of_order, (unsigned long long)x->socket_dropped,
            (unsigned long long)x->host_socket_dropped, (unsigned long long)x->relay_kept,
            (unsigned long long)x->sender_dropped);
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

static void lane_json(FILE *f, const struct live_lane_snap *s, uint64_t t0, uint64_t since)
{
    const struct bench_lane *d = bench_lane(s->lane);
    fputs("{\"name\":", f);
    live_json_str(f, d->name);
    fputs(",\"title\":", f);
    live_json_str(f, d->title);
    fprintf(f, ",\"color\":\"%s\",\"lossless\":%s,\"state\":\"%s\",\"why\":", d->style.color,
            proto_mode_lossless(d->mode.mode) ? "true" : "false", s->state);
    live_json_str(f, s->why);
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
    fputs(",\"marks\":[", f);
    bool first = true;
    for (size_t k = 0; k < s->n_marks; k++) {
        if (s->marks[k].changed_us <= since)
            continue;
        if (!first)
            fputc(',', f);
        first = false;
        mark_json(f, &s->marks[k], t0);
    }
    fputs("]}", f);
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

/* Netsim's model (answer, its GET or PUT /model's) taken as the model in
 * force, and so as the controls' in force. The lock held. */
static void take_model(struct live_http *h, const char *answer)
{
    snprintf(h->model, sizeof h->model, "%s", answer);
    if (live_controls_in_force(answer, h->in_force, sizeof h->in_force) != 0)
        h->in_force[0] = '\0';
    cJSON *m = cJSON_Parse(answer);
    for (int d = 0; d < 2; d++) {
        const cJSON *rate = cJSON_GetObjectItem(cJSON_GetObjectItem(m, d ? "down" : "up"),
                                                "rate-kbps");
        h->unlimited[d] = cJSON_IsNumber(rate) && rate->valuedouble == 0;
    }
    cJSON_Delete(m);
    h->changed_us = clock_now_us();
}

/* What each netsim of s takes in each way while no rate holds it,
 * remembered once the model has been so for a whole measure. */
static void remember_free(struct live_http *h, const struct live_snapshot *s)
{
    pthread_mutex_lock(&h->lock);
    int by_senders = s->senders > 1;
    for (int d = 0; d < 2; d++)
        for (size_t k = 0; k < s->n_netsims; k++)
            if (h->unlimited[d] && s->offered_kbps[k][d] > 0 &&
                s->now_us > h->changed_us + (LIVE_OFFERED_S + 1) * 1000000u)
                h->free_kbps[by_senders][k][d] = s->offered_kbps[k][d];
    pthread_mutex_unlock(&h->lock);
}

/* What a rate's share through netsim k of s is of, each way: its intake
 * while no rate held it, or (never measured so) its intake now. */
static void share_base(struct live_http *h, const struct live_snapshot *s, size_t k,
                       double base[2])
{
    pthread_mutex_lock(&h->lock);
    for (int d = 0; d < 2; d++) {
        double free_kbps = h->free_kbps[s->senders > 1][k][d];
        base[d] = free_kbps > 0 ? free_kbps : s->offered_kbps[k][d];
    }
    pthread_mutex_unlock(&h->lock);
}

/* Before the first change: the model netsim started with (the lesson's
 * options and --netsim-args), asked of the first netsim once. */
static void know_model(struct live_http *h, const struct live_snapshot *s)
{
    pthread_mutex_lock(&h->lock);
    bool known = h->in_force[0] != '\0';
    pthread_mutex_unlock(&h->lock);
    char answer[ANSWER_MAX];
    int status = 0;
    if (known || !s || !s->n_netsims || !s->netsim_up ||
        live_client_request(s->netsim_metrics[0], "GET", "/model", NULL, NETSIM_TIMEOUT_MS,
                            &status, answer, sizeof answer) != 0 || status != 200)
        return;
    pthread_mutex_lock(&h->lock);
    if (!h->in_force[0])
        take_model(h, answer);
    pthread_mutex_unlock(&h->lock);
}

/* The controls as the page last set them, netsim's model and the
 * controls in force (null until known). */
static void model_json(FILE *f, struct live_http *h)
{
    pthread_mutex_lock(&h->lock);
    fprintf(f, "{\"controls\":%s,\"netsim\":%s,\"in_force\":%s}",
            h->controls[0] ? h->controls : "{}", h->model[0] ? h->model : "null",
            h->in_force[0] ? h->in_force : "null");
    pthread_mutex_unlock(&h->lock);
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

/* s as live.json, its states changed after since, into *text (malloc'd,
 * *len bytes). Returns 0, or -1 out of memory. */
static int live_json(struct live_http *h, const struct live_snapshot *s, uint64_t since,
                     char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = open_memstream(text, len);
    if (!f)
        return -1;
    fprintf(f, "{\"cursor\":%llu,\"now_ms\":%.1f,\"generation\":\"%llu.%llu\","
               "\"rate_hz\":%g,\"senders\":%d,\"senders_wanted\":%d,\"status\":",
            (unsigned long long)s->now_us, live_ms_since(s->now_us, s->t0_us),
            (unsigned long long)s->instance, (unsigned long long)s->generation, s->rate_hz,
            s->senders, s->senders_wanted);
    status_json(f, s);
    fputs(",\"model\":", f);
    model_json(f, h);
    fputs(",\"net\":", f);
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
    for (size_t k = 0; k < s->n_models; k++) {
        fprintf(f, "%s{\"t_ms\":%.1f,\"text\":", k ? "," : "",
                live_ms_since(s->models[k].t_us, s->t0_us));
        live_json_str(f, s->models[k].text);
        fputc('}', f);
    }
    fputs("],\"lanes\":[", f);
    for (size_t k = 0; k < s->n_lanes; k++) {
        fputs(k ? "," : "", f);
        lane_json(f, &s->lanes[k], s->t0_us, since);
    }
    fputs("],", f);
    live_door_json(f, s, since);
    fputs("}", f);
    fclose(f);
    return *text ? 0 : -1;
}

static void on_live(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    struct live_http *h = ctx;
    const struct live_snapshot *s = newest(h, r);
    if (!s)
        return;
    know_model(h, s);
    remember_free(h, s);
    const char *since_text = httpd_arg(q, "since");
    uint64_t since = since_text ? strtoull(since_text, NULL, 10) : 0;
    char *text;
    size_t len;
    if (live_json(h, s, since, &text, &len) != 0)
        return; /* 500 */
    r->content_type = "application/json";
    r->body = text;
    r->len = len;
}

/* GET /view.json: who reads the page, and from where. */
static void view_json(const struct httpd_request *q, struct httpd_reply *r, bool view)
{
    union netaddr peer;
    char at[64] = "";
    if (httpd_peer(q, &peer)) {
        netaddr_format(&peer, at, sizeof at);
        at[strcspn(at, "]")] = '\0'; /* the address alone: "[::1]:80" is "::1" */
        char *colon = at[0] == '[' ? NULL : strrchr(at, ':');
        if (colon)
            *colon = '\0';
        if (at[0] == '[')
            memmove(at, at + 1, strlen(at));
    }
    reply_text(r, 200, "{\"view\":%s,\"you\":\"%s\"}\n", view ? "true" : "false", at);
    r->content_type = "application/json";
}

static void on_view_teacher(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    (void)ctx;
    view_json(q, r, false);
}

static void on_view_student(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    (void)ctx;
    view_json(q, r, true);
}

/* The students' view's GET /live.json: the one answer the loop made (503
 * until the first; the next made within VIEW_EVERY_US once asked). */
static void on_view_live(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    struct live_http *h = ctx;
    (void)q;
    h->view_asked_us = clock_now_us();
    pthread_mutex_lock(&h->view_lock);
    char *copy = h->view_body ? malloc(h->view_len) : NULL;
    if (copy)
        memcpy(copy, h->view_body, h->view_len);
    size_t len = h->view_len;
    bool made = h->view_body != NULL;
    pthread_mutex_unlock(&h->view_lock);
    if (!made) {
        reply_text(r, 503, "starting: no snapshot yet\n");
        return;
    }
    r->content_type = "application/json";
    r->body = copy;
    r->len = copy ? len : 0;
}

/* GET /model from a viewer: the controls in force, to read. */
static void on_view_model(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    char *text = NULL;
    size_t len = 0;
    (void)q;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    model_json(f, ctx);
    fclose(f);
    r->content_type = "application/json";
    r->body = text;
    r->len = len;
}

static void on_view_refused(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    (void)ctx;
    (void)q;
    reply_text(r, 403, "a student's view changes nothing: the network is the teacher's, "
                       "on the lesson's own page\n");
}

static void on_view_teachers(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    (void)ctx;
    (void)q;
    reply_text(r, 403, "a student's view shows the lanes: the teacher's page looks inside "
                       "them\n");
}

/* GET /state?lane=NAME&seq=N: one state, as the receiver read it (its 40
 * bytes, encoded by proto/wire.c from what it decoded), and what carried
 * it each way. */
static void on_state(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    struct live_http *h = ctx;
    const char *name = httpd_arg(q, "lane"), *seq_text = httpd_arg(q, "seq");
    const char *sender_text = httpd_arg(q, "sender");
    char *end = NULL, *end_k = NULL;
    unsigned long seq = seq_text ? strtoul(seq_text, &end, 10) : 0;
    unsigned long who = sender_text ? strtoul(sender_text, &end_k, 10) : 0;
    if (!name || !seq_text || !*seq_text || *end || seq > UINT32_MAX ||
        (sender_text && (!*sender_text || *end_k || who >= LIVE_SENDERS))) {
        reply_text(r, 400, "want /state?lane=NAME&seq=N, and &sender=K (0 to %d) if more "
                   "than one\n", LIVE_SENDERS - 1);
        return;
    }
    const struct live_snapshot *s = newest(h, r);
    const struct live_lane_snap *l = NULL;
    for (size_t k = 0; s && !l && k < s->n_lanes; k++)
        if (!strcmp(bench_lane(s->lanes[k].lane)->name, name))
            l = &s->lanes[k];
    const struct live_mark *m = NULL;
    for (size_t k = 0; l && !m && k < l->n_marks; k++)
        if (l->marks[k].seq == seq && l->marks[k].sender == who)
            m = &l->marks[k];
    if (!s || (!l && live_guest_state_reply(s, name, (uint32_t)seq, r)))
        return;
    if (!m) {
        reply_text(r, 404, "%s: no state %lu of sender %lu kept (the lane holds its last %d)\n",
                   name, seq, who, LIVE_MARKS);
        return;
    }
    uint8_t bytes[PROTO_STATE_SIZE];
    uint32_t id = l->sender_id[m->sender < l->n_senders ? m->sender : 0];
    struct proto_state st = {.sender = id, .seq = m->seq, .send_us = m->send_us,
                             .x = m->x, .y = m->y, .vx = m->vx, .vy = m->vy,
                             .heading = m->heading};
    char *text = NULL, hex[2 * PROTO_STATE_SIZE + 1] = "";
    size_t len = 0;
    if (proto_state_encode(bytes, sizeof bytes, &st) == PROTO_STATE_SIZE)
        for (int i = 0; i < PROTO_STATE_SIZE; i++)
            snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    fprintf(f, "{\"lane\":");
    live_json_str(f, name);
    fprintf(f, ",\"wire\":");
    const char *wire = bench_lane(l->lane)->wire;
    live_json_str(f, wire ? wire : "stream");
    fprintf(f, ",\"seq\":%u,\"status\":%u,\"send_ms\":%.1f,\"latency_ms\":%.2f,\"recv_ms\":%.1f,"
               "\"sender\":%u,\"sender_id\":%u,\"after\":%u,\"unsent\":%s,\"bytes\":\"%s\","
               "\"hops\":[",
            (unsigned)m->seq, (unsigned)m->status, live_ms_since(m->send_us, s->t0_us),
            m->status == LIVE_GOT ? (double)m->latency_us / 1e3 : -1,
            m->recv_us ? live_ms_since(m->recv_us, s->t0_us) : -1, (unsigned)m->sender,
            (unsigned)id, (unsigned)m->after, m->unsent ? "true" : "false", hex);
    live_hop_json(f, l, m, 0, s->t0_us);
    fputc(',', f);
    live_hop_json(f, l, m, 1, s->t0_us);
    fputs("]}", f);
    fclose(f);
    r->content_type = "application/json";
    r->body = text;
    r->len = len;
}

/* GET /pcap?lane=NAME: the lane's last packets on the clients' side of
 * netsim, as a pcap file (live_pcap.c). */
static void on_pcap(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    struct live_http *h = ctx;
    const char *name = httpd_arg(q, "lane");
    size_t len = 0;
    if (!h->pcap) {
        reply_text(r, 404, "no capture: the lanes cross netsim's devices in IP mode only\n");
        return;
    }
    unsigned char *bytes = live_pcap_lane(h->pcap, name, &len);
    if (!bytes) {
        reply_text(r, 404, "want /pcap?lane=NAME, a lane of the page's\n");
        return;
    }
    r->content_type = "application/vnd.tcpdump.pcap";
    r->body = (char *)bytes;
    r->len = len;
}

/* GET /calls?lane=NAME (live_calls.c). */
static void on_calls(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    const struct live_snapshot *s = newest(ctx, r);
    char why[160];
    unsigned status;
    char *text = s ? live_calls_text(s, httpd_arg(q, "lane"), &status, why, sizeof why) : NULL;
    if (s && !text)
        reply_text(r, status, "%s\n", why);
    r->content_type = text ? "application/json" : r->content_type;
    r->body = text ? text : r->body;
    r->len = text ? strlen(text) : r->len;
}

static void on_model_get(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    struct live_http *h = ctx;
    (void)q;
    know_model(h, triple_front(h->tb));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    model_json(f, h);
    fclose(f);
    r->content_type = "application/json";
    r->body = text;
    r->len = len;
}

/* PUT /model: the controls checked, made netsim's, handed to every
 * netsim (a rate's share: of what goes through that one); the first
 * refusal comes back as netsim said it. */
static void on_model_put(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    struct live_http *h = ctx;
    const struct live_snapshot *s = newest(h, r);
    if (!s)
        return;
    char err[256], *body = NULL, answer[ANSWER_MAX];
    double base[2] = {0, 0};
    remember_free(h, s);
    int status = 200, rc = 0;
    for (size_t k = 0; k < s->n_netsims || k == 0; k++) {
        if (k < s->n_netsims)
            share_base(h, s, k, base);
        free(body);
        if ((rc = live_controls_to_model(q->body, base, &body, err, sizeof err)) != 0 ||
            k >= s->n_netsims)
            break;
        if (live_client_request(s->netsim_metrics[k], "PUT", "/model", body, NETSIM_TIMEOUT_MS,
                                &status, answer, sizeof answer) != 0)
            status = 502;
        if (status != 200)
            break;
    }
    if (rc == -1) {
        reply_text(r, 400, "%s\n", err);
    } else if (rc != 0) {
        reply_text(r, 500, "out of memory\n");
    } else if (!s->n_netsims) {
        reply_text(r, 503, "no netsim is running\n");
    } else if (status == 200) {
        pthread_mutex_lock(&h->lock);
        snprintf(h->controls, sizeof h->controls, "%s", q->body);
        take_model(h, answer);
        pthread_mutex_unlock(&h->lock);
        char *copy = strdup(answer);
        r->content_type = "application/json";
        r->body = copy;
        r->len = copy ? strlen(copy) : 0;
    } else {
        reply_text(r, status, "%s%s", status == 502 ? "netsim: " : "", answer);
    }
    free(body);
}

/* PUT /senders: {"senders": 1 or LIVE_SENDERS}, the lanes started again with them. */
static void on_senders_put(void *ctx, const struct httpd_request *q, struct httpd_reply *r)
{
    struct live_http *h = ctx;
    cJSON *in = cJSON_Parse(q->body);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, "senders");
    int n = cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
    if (cJSON_IsNumber(v) && v->valuedouble == n && (n == 1 || n == LIVE_SENDERS)) {
        *h->senders_wanted = n;
        reply_text(r, 200, "senders: %d\n", n);
    } else {
        reply_text(r, 400, "want {\"senders\": 1 or %d}\n", LIVE_SENDERS);
    }
    cJSON_Delete(in);
}

static const struct httpd_route routes[] = {
    {"/", on_page}, {"/lesson.js", on_lesson_js}, {"/ricochet.js", on_ricochet_js},
    {"/lesson_guests.js", on_guests_js}, {"/lesson_arena.js", on_arena_js},
    {"/lesson_words.js", on_words_js}, {"/lesson_calls.js", on_calls_js}, {"/calls", on_calls},
    {"/lesson_inspect.js", on_inspect_js},
    {"/guide/id", on_guide_id}, {"/guide/ko", on_guide_ko}, {"/guide/vi", on_guide_vi},
    {"/lang/en.json", on_lang_en}, {"/lang/id.json", on_lang_id},
    {"/lang/ko.json", on_lang_ko}, {"/lang/vi.json", on_lang_vi},
    {"/favicon.ico", on_favicon}, {"/live.json", on_live}, {"/state", on_state},
    {"/pcap", on_pcap}, {"/model", on_model_get}, {"/model", on_model_put, "PUT", CONTROLS_MAX - 1},
    {"/senders", on_senders_put, "PUT", 64}, {"/view.json", on_view_teacher},
    {"/worksheet", on_worksheet}, {"/worksheet/en.md", on_worksheet_en},
    {"/worksheet/id.md", on_worksheet_id}, {"/worksheet/ko.md", on_worksheet_ko},
    {"/worksheet/vi.md", on_worksheet_vi}, {0}};

/* The students' view: the page's files, its one /live.json, and no change. */
static const struct httpd_route view_routes[] = {
    {"/", on_page}, {"/lesson.js", on_lesson_js}, {"/ricochet.js", on_ricochet_js},
    {"/lesson_guests.js", on_guests_js}, {"/lesson_arena.js", on_arena_js},
    {"/lesson_words.js", on_words_js}, {"/lesson_calls.js", on_calls_js},
    {"/lesson_inspect.js", on_inspect_js},
    {"/guide/id", on_guide_id}, {"/guide/ko", on_guide_ko}, {"/guide/vi", on_guide_vi},
    {"/lang/en.json", on_lang_en}, {"/lang/id.json", on_lang_id},
    {"/lang/ko.json", on_lang_ko}, {"/lang/vi.json", on_lang_vi},
    {"/favicon.ico", on_favicon}, {"/live.json", on_view_live}, {"/view.json", on_view_student},
    {"/model", on_view_model}, {"/model", on_view_refused, "PUT", CONTROLS_MAX - 1},
    {"/senders", on_view_refused, "PUT", 64}, {"/state", on_view_teachers},
    {"/calls", on_view_teachers}, {"/pcap", on_view_teachers},
    {"/worksheet", on_worksheet}, {"/worksheet/en.md", on_worksheet_en},
    {"/worksheet/id.md", on_worksheet_id}, {"/worksheet/ko.md", on_worksheet_ko},
    {"/worksheet/vi.md", on_worksheet_vi}, {0}};

struct live_http *live_http_start(struct live *lv, int port, char *err, size_t err_cap)
{
    union netaddr at;
    char text[16];
    snprintf(text, sizeof text, "%d", port);
    struct live_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    h->tb = lv->tb;
    h->senders_wanted = &lv->senders_wanted;
    h->pcap = lv->pcap;
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->view_lock, NULL);
    if (httpd_parse_listen(text, &at, err, err_cap) != 0 ||
        !(h->http = httpd_start(&at, routes, h, err, err_cap))) {
        pthread_mutex_destroy(&h->lock);
        pthread_mutex_destroy(&h->view_lock);
        free(h);
        return NULL;
    }
    return h;
}

int live_http_view(struct live_http *h, const char *address, int port, char *err,
                   size_t err_cap)
{
    union netaddr at;
    if (netaddr_resolve_bind(address, (uint16_t)port, &at, err, err_cap) != 0)
        return -1;
    return (h->view = httpd_start(&at, view_routes, h, err, err_cap)) ? 0 : -1;
}

const char *live_http_view_address(const struct live_http *h)
{
    return h && h->view ? httpd_address(h->view) : NULL;
}

void live_http_view_take(struct live_http *h, const struct live_snapshot *s)
{
    if (!h || !h->view || s->now_us < h->view_made_us + VIEW_EVERY_US ||
        clock_now_us() > h->view_asked_us + VIEW_IDLE_US)
        return;
    char *text;
    size_t len;
    uint64_t since = s->now_us > VIEW_SINCE_US ? s->now_us - VIEW_SINCE_US : 0;
    if (live_json(h, s, since, &text, &len) != 0)
        return;
    h->view_made_us = s->now_us;
    pthread_mutex_lock(&h->view_lock);
    char *old = h->view_body;
    h->view_body = text;
    h->view_len = len;
    pthread_mutex_unlock(&h->view_lock);
    free(old);
}

const char *live_http_address(const struct live_http *h)
{
    return httpd_address(h->http);
}

void live_http_model(struct live_http *h, char *buf, size_t cap)
{
    char *body, err[256];
    pthread_mutex_lock(&h->lock); /* after a change: every control in force, not the last's */
    live_controls_to_model(!h->controls[0] ? "" : h->in_force[0] ? h->in_force : h->controls,
                           NULL, &body, err, sizeof err);
    pthread_mutex_unlock(&h->lock);
    snprintf(buf, cap, "%s", body ? body : "");
    free(body);
}

void live_http_stop(struct live_http *h)
{
    if (!h)
        return;
    httpd_stop(h->view);
    httpd_stop(h->http);
    free(h->view_body);
    pthread_mutex_destroy(&h->view_lock);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
