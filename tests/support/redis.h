/* redis.h: test support: a real redis-server on a free 127.0.0.1 port
 * (lab/harness/redisproc.h), started and stopped by the test, for the fleet's
 * directory tests. Failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_REDIS_H
#define RICOCHET_TEST_REDIS_H

#include <stddef.h>

#include "lab/harness/redisproc.h"

/* redisproc_start, or the test fails. */
void test_redis_start(struct redisproc *r);

/* redisproc_start_with (more arguments), or the test fails. */
void test_redis_start_with(struct redisproc *r, const char *const *extra);

/* redisproc_start_sentinel, or the test fails. */
void test_redis_sentinel(struct redisproc *r, const char *master, uint16_t primary_port,
                         int quorum, unsigned down_ms);

/* A throwaway PKI in a new temporary folder (its path into dir, cap
 * bytes), made with the openssl command: ca.crt, server.crt and
 * server.key (for 127.0.0.1 and localhost, signed by the CA), client.crt
 * and client.key (signed by it), other-ca.crt (a CA that signed nothing
 * here). test_tls_remove deletes it. */
void test_tls_make(char *dir, size_t cap);
void test_tls_remove(const char *dir);

/* redisproc_restart (Redis down and back: its data is gone), or the test fails. */
void test_redis_restart(struct redisproc *r);

/* redisproc_stop. */
void test_redis_stop(struct redisproc *r);

/* One command through a fresh connection, for checking keys from the test:
 * the reply as text (a string, an integer in decimal, "(nil)", or an
 * array's elements joined by spaces) into out. */
void test_redis_cmd(const struct redisproc *r, char *out, size_t cap, const char *fmt, ...);

#endif
