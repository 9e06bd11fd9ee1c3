/* sentinel.c: see sentinel.h. Sentinels are asked without AUTH (a
 * sentinel's own requirepass is not supported); TLS as the URL says. */
#include "sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sentinel_watch {
    struct redisconn *c;
    char master[64];
    bool pinged;                   /* a PING sent and not answered yet */
};

/* A server the sentinels named, and how many of them did. */
struct named {
    char host[FLEET_URL_HOST_MAX];
    uint16_t port;
    size_t votes;
};

static struct redisconn *open_sentinel(const struct fleet_endpoint *e,
                                       const struct redisconn_tls *tls, uint32_t timeout_ms,
                                       char *err, size_t err_cap)
{
    struct redisconn_opts o = {.host = e->host, .port = e->port, .tls = tls,
                               .timeout_ms = timeout_ms};
    return redisconn_open(&o, err, err_cap);
}

/* One sentinel's answer: 0 with the primary, -1 with why. */
static int ask(const struct fleet_endpoint *e, const struct fleet_redis_url *u,
               const struct redisconn_tls *tls, uint32_t timeout_ms, char *host, size_t cap,
               uint16_t *port, char *err, size_t err_cap)
{
    struct redisconn *c = open_sentinel(e, tls, timeout_ms, err, err_cap);
    if (!c)
        return -1;
    const char *argv[] = {"SENTINEL", "get-master-addr-by-name", u->master};
    redisReply *r = redisconn_argv(c, 3, argv, err, err_cap);
    int rc = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
        long p = strtol(r->element[1]->str, NULL, 10);
        if (p > 0 && p < 65536 && r->element[0]->len < cap) {
            snprintf(host, cap, "%s", r->element[0]->str);
            *port = (uint16_t)p;
            rc = 0;
        }
    }
    if (r && rc != 0)
        snprintf(err, err_cap, "sentinel %s:%u knows no primary named %s%s%.100s",
                 e->host, (unsigned)e->port, u->master,
                 r->type == REDIS_REPLY_ERROR ? ": " : "",
                 r->type == REDIS_REPLY_ERROR ? r->str : "");
    freeReplyObject(r);
    redisconn_close(c);
    return rc;
}

/* One more sentinel named host:port: its tally in seen[] (n of them). */
static size_t vote(struct named *seen, size_t *n, const char *host, uint16_t port)
{
    size_t k = 0;
    while (k < *n && (seen[k].port != port || strcmp(seen[k].host, host) != 0))
        k++;
    if (k == *n) {
        seen[k] = (struct named){.port = port};
        snprintf(seen[k].host, sizeof seen[k].host, "%s", host);
        (*n)++;
    }
    return ++seen[k].votes;
}

/* The sentinels that did not answer moved to the end of u's list (in
 * their order): the next question asks those that did first. */
static void answered_first(struct fleet_redis_url *u, const bool *silent)
{
    struct fleet_endpoint sorted[FLEET_SENTINELS_MAX];
    size_t n = 0;
    for (int last = 0; last < 2; last++)
        for (size_t i = 0; i < u->n_sentinels; i++)
            if (silent[i] == (bool)last)
                sorted[n++] = u->sentinels[i];
    memcpy(u->sentinels, sorted, n * sizeof *sorted);
}

int sentinel_primary(struct fleet_redis_url *u, const struct redisconn_tls *tls,
                     uint32_t timeout_ms, char *host, size_t cap, uint16_t *port, char *err,
                     size_t err_cap)
{
    struct named seen[FLEET_SENTINELS_MAX];
    bool silent[FLEET_SENTINELS_MAX] = {false};
    size_t n_seen = 0, answers = 0, need = u->n_sentinels / 2 + 1;
    char why[256] = "", h[FLEET_URL_HOST_MAX];
    uint16_t p;
    int rc = -1;
    for (size_t i = 0; i < u->n_sentinels && rc != 0; i++) {
        silent[i] = ask(&u->sentinels[i], u, tls, timeout_ms, h, sizeof h, &p, why,
                        sizeof why) != 0;
        if (silent[i])
            continue;
        answers++;
        if (vote(seen, &n_seen, h, p) < need)
            continue;
        if (strlen(h) >= cap)
            break;
        snprintf(host, cap, "%s", h);
        *port = p;
        rc = 0;
    }
    answered_first(u, silent);
    if (rc == 0)
        return 0;
    if (n_seen > 1)
        snprintf(why, sizeof why, "they name %zu different servers", n_seen);
    snprintf(err, err_cap, "%zu of %zu sentinels answered, no majority names the primary of %s%s%s",
             answers, u->n_sentinels, u->master, why[0] ? ": " : "", why);
    return -1;
}

/* SUBSCRIBE, and its confirmation within the timeout: a sentinel that
 * takes the connection but is stopped or cut off is not relied on. */
static int subscribe(struct redisconn *c, uint32_t timeout_ms, char *err, size_t err_cap)
{
    const char *argv[] = {"SUBSCRIBE", "+switch-master"};
    redisReply *r = NULL;
    if (redisconn_send(c, 2, argv, err, err_cap) != 0)
        return -1;
    int rc = redisconn_read(c, (int)timeout_ms, &r, err, err_cap);
    bool ok = rc == 1 && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
              r->element[0]->type == REDIS_REPLY_STRING &&
              strcmp(r->element[0]->str, "subscribe") == 0;
    if (rc >= 0 && !ok)
        snprintf(err, err_cap, "a sentinel did not confirm the subscription");
    freeReplyObject(r);
    return ok ? 0 : -1;
}

struct sentinel_watch *sentinel_watch_open(const struct fleet_redis_url *u,
                                           const struct redisconn_tls *tls,
                                           uint32_t timeout_ms, char *err, size_t err_cap)
{
    struct sentinel_watch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    snprintf(w->master, sizeof w->master, "%s", u->master);
    for (size_t i = 0; i < u->n_sentinels && !w->c; i++) {
        w->c = open_sentinel(&u->sentinels[i], tls, timeout_ms, err, err_cap);
        if (w->c && subscribe(w->c, timeout_ms, err, err_cap) != 0) {
            redisconn_close(w->c);
            w->c = NULL;
        }
    }
    if (!w->c) {
        free(w);
        return NULL;
    }
    return w;
}

void sentinel_watch_close(struct sentinel_watch *w)
{
    if (!w)
        return;
    redisconn_close(w->c);
    free(w);
}

int sentinel_watch_fd(const struct sentinel_watch *w)
{
    return redisconn_fd(w->c);
}

/* A pub/sub message "message", "+switch-master", "NAME OLDIP OLDPORT NEWIP
 * NEWPORT" about our primary? (The subscription's confirmation is not.) */
static bool switched(const struct sentinel_watch *w, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[2]->type != REDIS_REPLY_STRING ||
        strcmp(r->element[0]->str, "message") != 0)
        return false;
    size_t n = strlen(w->master);
    return strncmp(r->element[2]->str, w->master, n) == 0 && r->element[2]->str[n] == ' ';
}

/* The answer to a PING on a subscription: "pong", "". */
static bool pong(const redisReply *r)
{
    return r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
           r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "pong") == 0;
}

int sentinel_watch_read(struct sentinel_watch *w, char *err, size_t err_cap)
{
    int any = 0, rc;
    redisReply *r;
    while ((rc = redisconn_read(w->c, 0, &r, err, err_cap)) == 1) {
        any |= switched(w, r);
        if (pong(r))
            w->pinged = false;
        freeReplyObject(r);
    }
    return any ? 1 : rc < 0 ? -1 : 0;
}

int sentinel_watch_ping(struct sentinel_watch *w, char *err, size_t err_cap)
{
    if (w->pinged) {
        snprintf(err, err_cap, "the sentinel's subscription did not answer a PING");
        return -1;
    }
    const char *argv[] = {"PING"};
    if (redisconn_send(w->c, 1, argv, err, err_cap) != 0)
        return -1;
    w->pinged = true;
    return 0;
}
