/* test_e2e_udp_flood.c: honest plain-UDP newcomers while a flood of joins
 * that never echo their cookie (as from forged sources) comes from 70
 * addresses (127.0.0.2..71, all on lo) at 1,000 a second, against the real
 * relay (--transport udp). Every newcomer's first join must be answered with
 * its cookie (no retry), and the relay must send the flood no more bytes
 * than it received. It prints the join times (the figures of docs/). Everything
 * is bounded in time; the flooder is a child process that stops by itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define FLOOD_ADDRS 70
#define FLOOD_RATE 1000      /* joins a second, round robin over the addresses */
#define FLOOD_MS 9000
#define JOIN_BYTES 56        /* a small join: the cookie it gets back is 45 bytes */
#define HONEST 6
#define HONEST_AT_MS 1000    /* into the flood */
#define HONEST_MAX_MS 7000   /* the flood goes on all this time */

struct flood_totals {
    unsigned long long joins, bytes_sent, bytes_received;
};

/* Reads every socket empty, counting the bytes. */
static void flood_drain(const int *fds, struct flood_totals *tot)
{
    uint8_t b[2048];
    for (int i = 0; i < FLOOD_ADDRS; i++) {
        ssize_t n;
        while ((n = recv(fds[i], b, sizeof b, MSG_DONTWAIT)) >= 0)
            tot->bytes_received += (unsigned long long)n;
    }
}

/* The flooder (a child process): FLOOD_RATE joins a second for FLOOD_MS,
 * from FLOOD_ADDRS addresses, never echoing a cookie. */
static struct flood_totals flood_run(uint16_t port)
{
    struct flood_totals tot = { 0 };
    int fds[FLOOD_ADDRS];
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < FLOOD_ADDRS; i++) {
        struct sockaddr_in from = { .sin_family = AF_INET };
        from.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)i);
        fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&from, sizeof from) != 0)
            _exit(2);
    }
    static const char join[] = "{\"type\":\"join\",\"version\":2,\"room\":\"f\",\"name\":\"m\","
                               "\"p\":\"\"}";
    _Static_assert(sizeof join - 1 == JOIN_BYTES, "the flood's join");
    uint64_t start = clock_now_ms();
    for (uint64_t now = start; now - start < FLOOD_MS; now = clock_now_ms()) {
        while (tot.joins < (now - start + 1) * FLOOD_RATE / 1000) {
            if (sendto(fds[tot.joins % FLOOD_ADDRS], join, JOIN_BYTES, 0,
                       (struct sockaddr *)&to, sizeof to) == JOIN_BYTES)
                tot.bytes_sent += JOIN_BYTES;
            tot.joins++;
        }
        flood_drain(fds, &tot);
        clock_sleep_ms(1);
    }
    clock_sleep_ms(100);
    flood_drain(fds, &tot);
    for (int i = 0; i < FLOOD_ADDRS; i++)
        close(fds[i]);
    return tot;
}

/* flood_run in harness_child_start's form. */
static void flood_child(uint16_t port, void *out)
{
    *(struct flood_totals *)out = flood_run(port);
}

struct newcomers {
    uint64_t start_ms;
    uint64_t in_ms[HONEST]; /* 0: not yet */
    size_t in;
};

static void newcomer_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct newcomers *nc = ctx;
    if (ev->type == RICOCHET_EV_WELCOME && !nc->in_ms[i]) {
        nc->in_ms[i] = clock_now_ms() - nc->start_ms + 1; /* +1: 0 means not yet */
        nc->in++;
    }
}

static bool all_in(void *ctx)
{
    const struct newcomers *nc = ctx;
    return nc->in == HONEST;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Six plain-UDP clients start together 1 s into the flood: each must get
 * in while the flood lasts, with its first join answered: drops.unverified
 * (joins without a valid cookie) is the flood's joins plus one a newcomer.
 * A reply budget shared with the flood left most joins unanswered: newcomers
 * retried for seconds. */
static void newcomers_under_forged_joins(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--transport", "udp", "--log-level", "error", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct harness_child flooder;
    harness_child_start(&flooder, flood_child, (uint16_t)port, sizeof(struct flood_totals));
    clock_sleep_ms(HONEST_AT_MS);
    struct ricochet *c[HONEST];
    struct newcomers nc = { .start_ms = clock_now_ms() };
    for (int i = 0; i < HONEST; i++) {
        char name[24];
        snprintf(name, sizeof name, "honest%d", i);
        c[i] = harness_client((uint16_t)port, "honest", name, PROTO_MODE_UDP, false);
    }
    harness_poll_until(c, HONEST, HONEST_MAX_MS, newcomer_event, all_in, &nc);
    for (int i = 0; i < HONEST; i++)
        ricochet_close(c[i]);
    struct flood_totals tot;
    harness_child_finish(&flooder, &tot, sizeof tot);
    long long unverified = harness_relay_stat(&relay, "drops.unverified");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);

    uint64_t ms[HONEST];
    for (int i = 0; i < HONEST; i++)
        ms[i] = nc.in_ms[i] ? nc.in_ms[i] - 1 : UINT64_MAX;
    qsort(ms, HONEST, sizeof ms[0], cmp_u64);
    double amp = tot.bytes_sent ? (double)tot.bytes_received / (double)tot.bytes_sent : 0;
    char list[128] = "";
    for (int i = 0; i < HONEST; i++) {
        size_t used = strlen(list);
        if (ms[i] == UINT64_MAX)
            snprintf(list + used, sizeof list - used, "%s>%d", i ? " " : "", HONEST_MAX_MS);
        else
            snprintf(list + used, sizeof list - used, "%s%llu", i ? " " : "",
                     (unsigned long long)ms[i]);
    }
    print_message("join flood: %llu forged joins from %d addresses over %d ms (%llu bytes); %d newcomers "
                  "from %d ms: %zu got in, join times (ms) %s, median %s%llu; the relay sent "
                  "the flood %llu bytes (%.2fx); drops.unverified %lld\n",
                  tot.joins, FLOOD_ADDRS, FLOOD_MS, tot.bytes_sent, HONEST, HONEST_AT_MS, nc.in,
                  list, ms[HONEST / 2] == UINT64_MAX ? ">" : "",
                  (unsigned long long)(ms[HONEST / 2] == UINT64_MAX ? HONEST_MAX_MS
                                                                    : ms[HONEST / 2]),
                  tot.bytes_received, amp, unverified);
    assert_int_equal(nc.in, HONEST);
    assert_int_equal(unverified, (long long)tot.joins + HONEST);
    assert_true(amp <= 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(newcomers_under_forged_joins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
