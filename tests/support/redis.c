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

void test_redis_start_with(struct redisproc *r, const char *const *extra)
{
    char err[512];
    if (redisproc_start_with(r, extra, err, sizeof err) != 0)
        fail_msg("%s", err);
}

void test_redis_sentinel(struct redisproc *r, const char *master, uint16_t primary_port,
                         int quorum, unsigned down_ms)
{
    char err[512];
    if (redisproc_start_sentinel(r, master, primary_port, quorum, down_ms, err, sizeof err) !=
        0)
        fail_msg("%s", err);
}

/* Runs a shell command of the PKI's; fails the test if it fails. */
static void pki(const char *dir, const char *cmd)
{
    char line[2048];
    snprintf(line, sizeof line, "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
    if (system(line) != 0)
        fail_msg("openssl failed: %s", cmd);
}

void test_tls_make(char *dir, size_t cap)
{
    char folder[] = "/tmp/ricochet-tls-XXXXXX";
    if (!mkdtemp(folder))
        fail_msg("mkdtemp failed");
    snprintf(dir, cap, "%s", folder);
    const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    char cmd[512];
    const char *cas[] = {"ca", "other-ca"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "openssl req -x509 %s -keyout %s.key -out %s.crt -days 2 "
                 "-subj /CN=ricochet-test-%s", ec, cas[i], cas[i], cas[i]);
        pki(dir, cmd);
    }
    pki(dir, "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext && "
             "printf 'extendedKeyUsage=clientAuth\n' > client.ext");
    const char *leaves[] = {"server", "client"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "openssl req %s -keyout %s.key -out %s.csr -subj /CN=%s && "
                 "openssl x509 -req -in %s.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                 "-out %s.crt -days 2 -extfile %s.ext", ec, leaves[i], leaves[i], leaves[i],
                 leaves[i], leaves[i], leaves[i]);
        pki(dir, cmd);
    }
}

void test_tls_remove(const char *dir)
{
    char cmd[300];
    if (strncmp(dir, "/tmp/ricochet-tls-", 18) != 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
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
