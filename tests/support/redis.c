/* redis.c: see redis.h. */
#include "redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <hiredis.h>


void test_redis_start(struct redisproc *r)
{
    char err[512];
    if (redisproc_start(r, err, sizeof err) != 0)
        fail_msg("%s", err);
}

void test_redis_restart(struct redisproc *r)
{
    char err[512];
    if (redisproc_restart(r, err, sizeof err) != 0)
        fail_msg("%s", err);
}

void test_redis_stop(struct redisproc *r)
{
    redisproc_stop(r);
}

static void reply_text(const redisReply *rep, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    switch (rep->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        snprintf(out, cap, "%s", rep->str);
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(out, cap, "%lld", rep->integer);
        break;
    case REDIS_REPLY_NIL:
        snprintf(out, cap, "(nil)");
        break;
    case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < rep->elements && used + 1 < cap; i++) {
            char one[512];
            reply_text(rep->element[i], one, sizeof one);
            int n = snprintf(out + used, cap - used, "%s%s", i ? " " : "", one);
            used += n > 0 ? (size_t)n : 0;
        }
        break;
    }
}

void test_redis_cmd(const struct redisproc *r, char *out, size_t cap, const char *fmt, ...)
{
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    if (!c || c->err)
        fail_msg("redis on port %u: %s", r->port, c ? c->errstr : "out of memory");
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!rep)
        fail_msg("redis on port %u: %s", r->port, c->errstr);
    reply_text(rep, out, cap);
    freeReplyObject(rep);
    redisFree(c);
}
