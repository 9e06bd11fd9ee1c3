/* sentinel.c: see sentinel.h. Sentinels are asked without AUTH (a
 * sentinel's own requirepass is not supported); TLS as the URL says. */
#include "sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sentinel_watch {
    struct redisconn *c;
    char master[64];
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

int sentinel_primary(const struct fleet_redis_url *u, const struct redisconn_tls *tls,
                     uint32_t timeout_ms, char *host, size_t cap, uint16_t *port, char *err,
                     size_t err_cap)
{
    for (size_t i = 0; i < u->n_sentinels; i++)
        if (ask(&u->sentinels[i], u, tls, timeout_ms, host, cap, port, err, err_cap) == 0)
            return 0;
    return -1; /* err says why the last one failed */
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
    const char *argv[] = {"SUBSCRIBE", "+switch-master"};
    for (size_t i = 0; i < u->n_sentinels && !w->c; i++) {
        w->c = open_sentinel(&u->sentinels[i], tls, timeout_ms, err, err_cap);
        if (w->c && redisconn_send(w->c, 2, argv, err, err_cap) != 0) {
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

int sentinel_watch_read(struct sentinel_watch *w, char *err, size_t err_cap)
{
    int any = 0, rc;
    redisReply *r;
    while ((rc = redisconn_read(w->c, 0, &r, err, err_cap)) == 1) {
        any |= switched(w, r);
        freeReplyObject(r);
    }
    return any ? 1 : rc < 0 ? -1 : 0;
}
