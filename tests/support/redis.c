/* redis.c: see redis.h. */
#include "redis.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
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

#include "../../sys/clock.h"

/* A port nobody listens on now: bind port 0 and ask which it was. */
static uint16_t free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* The folder on PATH that holds redis-server. */
static void redis_dir(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path ? path : "/usr/bin:/usr/sbin");
    for (char *save, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char full[4200];
        snprintf(full, sizeof full, "%s/redis-server", d);
        if (access(full, X_OK) == 0) {
            snprintf(out, cap, "%s", d);
            return;
        }
    }
    fail_msg("redis-server is not on PATH (.ci/deps test installs it)");
}

static bool answers_ping(uint16_t port)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    bool ok = false;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

static void start_on_port(struct test_redis *r)
{
    char dir[1024], port[8], err[512];
    redis_dir(dir, sizeof dir);
    snprintf(port, sizeof port, "%u", r->port);
    const char *args[] = {"--port", port, "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--daemonize", "no", NULL};
    if (spawn_start(&r->proc, dir, "redis-server", args, err, sizeof err) != 0)
        fail_msg("%s", err);
    uint64_t deadline = clock_now_ms() + 5000;
    while (!answers_ping(r->port)) {
        if (!spawn_running(&r->proc) || clock_now_ms() > deadline) {
            char *e = spawn_read_stdout(&r->proc);
            fail_msg("redis-server on port %u did not start: %s", r->port, e ? e : "");
        }
        clock_sleep_ms(20);
    }
}

void test_redis_start(struct test_redis *r)
{
    memset(r, 0, sizeof *r);
    r->port = free_tcp_port();
    snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%u", r->port);
    start_on_port(r);
}

void test_redis_restart(struct test_redis *r)
{
    start_on_port(r);
}

void test_redis_stop(struct test_redis *r)
{
    if (r->proc.pid > 0)
        spawn_stop(&r->proc, SIGTERM, 3000);
    spawn_free(&r->proc);
    memset(&r->proc, 0, sizeof r->proc);
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

void test_redis_cmd(const struct test_redis *r, char *out, size_t cap, const char *fmt, ...)
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
