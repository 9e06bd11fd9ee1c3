/* netsim_metrics.c: see netsim_metrics.h. */
#include "netsim_metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sys/httpd.h"
#include "sys/procstat.h"
#include "sys/promtext.h"
#include "sys/triple.h"
#include "sys/version.h"

struct netsim_metrics {
    struct httpd *http;
    struct triple *tb;
    struct netsim_options opts;   /* the HTTP thread's: the options of the model last taken */
    pthread_mutex_t lock;         /* over the slot below, never held for more than a copy */
    bool posted;                  /* a model waits for the loop */
    struct netsim_model models[NETSIM_DIRS];
    int wake;                     /* eventfd: readable while a model waits */
};

/* A counter or gauge with one sample per direction, read at off in each
 * direction's snapshot. */
struct dir_series {
    const char *name, *type, *help;
    size_t off;
};

#define MODEL_BODY_MAX 4096 /* PUT /model: a JSON object of the model's options */

#define DIR(f) offsetof(struct netsim_dir_snapshot, f)

static const struct dir_series dir_series[] = {
    { "ricochet_netsim_received_total", "counter", "Datagrams that entered the simulator.",
      DIR(received) },
    { "ricochet_netsim_received_bytes_total", "counter", "Bytes of those datagrams.",
      DIR(received_bytes) },
    { "ricochet_netsim_forwarded_total", "counter",
      "Copies handed on after their delay (duplicates included).", DIR(forwarded) },
    { "ricochet_netsim_forwarded_bytes_total", "counter", "Bytes of those copies.",
      DIR(forwarded_bytes) },
    { "ricochet_netsim_duplicated_total", "counter", "Extra copies the model made.",
      DIR(duplicated) },
    { "ricochet_netsim_corrupted_total", "counter",
      "Copies with one bit flipped, forwarded all the same.", DIR(corrupted) },
    { "ricochet_netsim_sent_at_once_total", "counter",
      "Copies --reorder-pct sent without their delay.", DIR(sent_at_once) },
    { "ricochet_netsim_reordered_total", "counter",
      "Copies handed on after a datagram that entered later.", DIR(reordered) },
    { "ricochet_netsim_paired_states_total", "counter",
      "States --paired-loss judged by their sequence numbers, each once.", DIR(paired_states) },
    { "ricochet_netsim_paired_lost_total", "counter",
      "Of them, those its verdict lost (their datagrams dropped).", DIR(paired_lost) },
    { "ricochet_netsim_pending_datagrams", "gauge",
      "Copies held now: waiting for their delay or queued at the bottleneck.", DIR(pending) },
    { "ricochet_netsim_send_errors_total", "counter", "Datagrams a socket refused to send.",
      DIR(send_errors) },
    { "ricochet_netsim_recv_errors_total", "counter", "Failed socket reads.",
      DIR(recv_errors) },
};

static uint64_t at(const struct netsim_dir_snapshot *d, size_t off)
{
    return *(const uint64_t *)(const void *)((const char *)d + off);
}

/* Drops: one sample per direction and reason. */
static void write_drops(struct promtext *t, const struct netsim_snapshot *s)
{
    static const struct {
        const char *reason;
        size_t off;
    } reasons[] = { { "loss", DIR(dropped_loss) }, { "burst", DIR(dropped_burst) },
                    { "queue", DIR(dropped_queue) }, { "overflow", DIR(dropped_overflow) } };
    promtext_family(t, "ricochet_netsim_drops_total", "counter",
                    "Datagrams dropped: loss (independent), burst (Gilbert-Elliott), queue "
                    "(the rate limit's queue full), overflow (too many held).");
    for (int d = 0; d < NETSIM_DIRS; d++)
        for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
            promtext_printf(t, "ricochet_netsim_drops_total{direction=\"%s\",reason=\"%s\"} %llu\n",
                            netsim_dir_name((enum netsim_dir)d), reasons[i].reason,
                            (unsigned long long)at(&s->dir[d], reasons[i].off));
}

void netsim_metrics_write(struct promtext *t, const struct netsim_snapshot *s)
{
    for (size_t i = 0; i < sizeof dir_series / sizeof *dir_series; i++) {
        const struct dir_series *m = &dir_series[i];
        promtext_family(t, m->name, m->type, m->help);
        for (int d = 0; d < NETSIM_DIRS; d++)
            promtext_sample_u64(t, m->name, "direction", netsim_dir_name((enum netsim_dir)d),
                                at(&s->dir[d], m->off));
    }
    write_drops(t, s);
    promtext_family(t, "ricochet_netsim_delay_seconds", "histogram",
                    "Delay the model gave each forwarded copy, from entry to due.");
    for (int d = 0; d < NETSIM_DIRS; d++) {
        char labels[32];
        const struct timehist *h = &s->dir[d].delay;
        snprintf(labels, sizeof labels, "direction=\"%s\"", netsim_dir_name((enum netsim_dir)d));
        promtext_histogram_us(t, "ricochet_netsim_delay_seconds", labels, timehist_bounds_us,
                              h->counts, TIMEHIST_BOUNDS, h->sum_us, h->count);
    }
    promtext_family(t, "ricochet_netsim_flows", "gauge", "Client addresses with a flow now.");
    promtext_sample_u64(t, "ricochet_netsim_flows", NULL, NULL, s->flows);
    promtext_family(t, "ricochet_netsim_flows_created_total", "counter", "Flows created.");
    promtext_sample_u64(t, "ricochet_netsim_flows_created_total", NULL, NULL, s->flows_created);
    promtext_family(t, "ricochet_netsim_flows_expired_total", "counter",
                    "Flows ended after --flow-timeout of silence.");
    promtext_sample_u64(t, "ricochet_netsim_flows_expired_total", NULL, NULL, s->flows_expired);
    promtext_family(t, "ricochet_netsim_flows_refused_total", "counter",
                    "Flows refused: --max-flows reached.");
    promtext_sample_u64(t, "ricochet_netsim_flows_refused_total", NULL, NULL, s->flows_refused);
    promtext_family(t, "ricochet_build_info", "gauge",
                    "Always 1; the labels name the ricochet, ENet and cJSON versions.");
    promtext_printf(t, "ricochet_build_info{version=\"%s\",enet_version=\"%s\","
                       "cjson_version=\"%s\"} 1\n",
                    version_ricochet(), version_enet(), version_cjson());
}

static void on_metrics(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    struct netsim_metrics *m = ctx;
    const struct netsim_snapshot *s = triple_front(m->tb);
    if (!s) {
        r->status = 503;
        r->static_body = "starting: no snapshot yet\n";
        r->len = strlen(r->static_body);
        return;
    }
    struct promtext t = { 0 };
    netsim_metrics_write(&t, s);
    struct procstat ps;
    if (procstat_read(&ps) == 0)
        procstat_write(&t, &ps);
    r->content_type = PROMTEXT_CONTENT_TYPE;
    r->body = promtext_take(&t, &r->len);
}

/* {"up": {"loss": 5, ...}, "down": {...}}: the model by the options' names. */
static char *models_json(const struct netsim_model models[NETSIM_DIRS])
{
    cJSON *root = cJSON_CreateObject();
    for (int d = 0; root && d < NETSIM_DIRS; d++) {
        cJSON *o = cJSON_AddObjectToObject(root, netsim_dir_name((enum netsim_dir)d));
        char value[64], *end;
        const char *name;
        for (size_t i = 0; o && (name = netsim_model_field(&models[d], i, value, sizeof value));
             i++) {
            double x = strtod(value, &end);
            if (!strcmp(value, "true") || !strcmp(value, "false"))
                cJSON_AddBoolToObject(o, name, value[0] == 't');
            else if (end != value && !*end)
                cJSON_AddNumberToObject(o, name, x);
            else
                cJSON_AddStringToObject(o, name, value);
        }
    }
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static void json_reply(struct httpd_reply *r, unsigned status, char *text)
{
    r->status = status;
    r->content_type = "application/json";
    r->body = text;
    r->len = text ? strlen(text) : 0;
}

static void on_model_get(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    struct netsim_metrics *m = ctx;
    (void)req;
    struct netsim_model models[NETSIM_DIRS];
    char err[200];
    if (netsim_models_from(&m->opts, models, err, sizeof err) != 0)
        return; /* the options were checked when taken: 500 */
    json_reply(r, 200, models_json(models));
}

/* PUT /model: checked by netsim's option rows, handed to the loop (which
 * takes the newest at its next turn), answered with the model. */
static void on_model_put(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    struct netsim_metrics *m = ctx;
    struct netsim_model models[NETSIM_DIRS];
    char err[256];
    if (netsim_model_apply(&m->opts, req->body, models, err, sizeof err) != 0) {
        char line[300];
        snprintf(line, sizeof line, "%s\n", err);
        r->status = 400;
        r->content_type = "text/plain; charset=utf-8";
        r->body = strdup(line);
        r->len = r->body ? strlen(r->body) : 0;
        return;
    }
    pthread_mutex_lock(&m->lock);
    memcpy(m->models, models, sizeof models);
    m->posted = true;
    pthread_mutex_unlock(&m->lock);
    uint64_t one = 1;
    if (write(m->wake, &one, sizeof one) < 0) {
        /* a full counter: the loop has a wake-up pending already */
    }
    json_reply(r, 200, models_json(models));
}

static const struct httpd_route routes[] = {
    { "/metrics", on_metrics }, { "/model", on_model_get },
    { "/model", on_model_put, "PUT", MODEL_BODY_MAX }, { 0 }
};

struct netsim_metrics *netsim_metrics_start(const union netaddr *addr,
                                            const struct netsim_options *opts, char *err,
                                            size_t err_cap)
{
    struct netsim_metrics *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    m->opts = *opts;
    m->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&m->lock, NULL);
    m->tb = triple_create(sizeof(struct netsim_snapshot));
    if (!m->tb || m->wake < 0) {
        snprintf(err, err_cap, "%s", m->tb ? strerror(errno) : "out of memory");
        goto fail;
    }
    m->http = httpd_start(addr, routes, m, err, err_cap);
    if (!m->http)
        goto fail;
    return m;
fail:
    if (m->wake >= 0)
        close(m->wake);
    pthread_mutex_destroy(&m->lock);
    triple_destroy(m->tb);
    free(m);
    return NULL;
}

int netsim_metrics_fd(const struct netsim_metrics *m)
{
    return m ? m->wake : -1;
}

bool netsim_metrics_take(struct netsim_metrics *m, struct netsim_model models[NETSIM_DIRS])
{
    uint64_t n;
    bool got = false;
    if (!m || pthread_mutex_trylock(&m->lock) != 0)
        return false; /* never waits: the HTTP thread is copying; next turn */
    if (m->posted) {
        memcpy(models, m->models, sizeof m->models);
        m->posted = false;
        got = true;
    }
    pthread_mutex_unlock(&m->lock);
    if (read(m->wake, &n, sizeof n) < 0) {
        /* nothing to read: no wake-up was pending */
    }
    return got;
}

void netsim_metrics_publish(struct netsim_metrics *m, const struct netsim *sim,
                            const struct netsim_proxy_counts *c)
{
    if (!m)
        return;
    struct netsim_snapshot *s = triple_back(m->tb);
    s->flows = c->flows;
    s->flows_created = c->flows_created;
    s->flows_expired = c->flows_expired;
    s->flows_refused = c->flows_refused;
    for (int d = 0; d < NETSIM_DIRS; d++) {
        const struct netsim_counters *n = netsim_counters(sim, (enum netsim_dir)d);
        s->dir[d] = (struct netsim_dir_snapshot){
            .received = n->received, .received_bytes = n->received_bytes,
            .forwarded = n->forwarded, .forwarded_bytes = n->forwarded_bytes,
            .dropped_loss = n->dropped_loss, .dropped_burst = n->dropped_burst,
            .dropped_queue = n->dropped_queue, .dropped_overflow = n->dropped_overflow,
            .duplicated = n->duplicated, .corrupted = n->corrupted,
            .sent_at_once = n->sent_at_once, .reordered = n->reordered,
            .paired_states = n->paired_states, .paired_lost = n->paired_lost,
            .pending = netsim_pending(sim, (enum netsim_dir)d),
            .send_errors = c->send_errors[d], .recv_errors = c->recv_errors[d],
            .delay = n->delay,
        };
    }
    triple_publish(m->tb);
}

const char *netsim_metrics_address(const struct netsim_metrics *m)
{
    return httpd_address(m->http);
}

void netsim_metrics_stop(struct netsim_metrics *m)
{
    if (!m)
        return;
    httpd_stop(m->http);
    triple_destroy(m->tb);
    close(m->wake);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
