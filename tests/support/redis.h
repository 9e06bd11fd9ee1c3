/* redis.h: test support: a real redis-server on a free 127.0.0.1 port,
 * started and stopped by the test (no persistence, no config file), for
 * the fleet's directory tests. Failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_REDIS_H
#define RICOCHET_TEST_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "../../sys/spawn.h"

struct test_redis {
    struct spawn_proc proc;
    uint16_t port;
    char url[64]; /* "redis://127.0.0.1:PORT" */
};

/* Starts redis-server (found on PATH) on a free loopback port and waits up
 * to 5 s until it answers PING. */
void test_redis_start(struct test_redis *r);

/* Starts it again on the same port after test_redis_stop (Redis down and
 * back: the data is gone, as after a restart without persistence). */
void test_redis_restart(struct test_redis *r);

/* Stops it (SIGTERM, then SIGKILL) and frees the process. Safe to repeat. */
void test_redis_stop(struct test_redis *r);

/* One command through a fresh connection, for checking keys from the test:
 * the reply as text (a string, an integer in decimal, "(nil)", or an
 * array's elements joined by spaces) into out. */
void test_redis_cmd(const struct test_redis *r, char *out, size_t cap, const char *fmt, ...);

#endif
