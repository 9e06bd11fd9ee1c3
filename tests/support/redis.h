/* redis.h: test support: a real redis-server on a free 127.0.0.1 port
 * (harness/redisproc.h), started and stopped by the test, for the fleet's
 * directory tests. Failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_REDIS_H
#define RICOCHET_TEST_REDIS_H

#include <stddef.h>

#include "../../harness/redisproc.h"

/* redisproc_start, or the test fails. */
void test_redis_start(struct redisproc *r);

/* redisproc_restart (Redis down and back: its data is gone), or the test fails. */
void test_redis_restart(struct redisproc *r);

/* redisproc_stop. */
void test_redis_stop(struct redisproc *r);

/* One command through a fresh connection, for checking keys from the test:
 * the reply as text (a string, an integer in decimal, "(nil)", or an
 * array's elements joined by spaces) into out. */
void test_redis_cmd(const struct redisproc *r, char *out, size_t cap, const char *fmt, ...);

#endif
