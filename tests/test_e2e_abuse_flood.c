/* test_e2e_abuse_flood.c: the relay under abuse, over 127.0.0.1 with the
 * real relay: honest clients (client library) run a session while
 * 100k random datagrams hit the relay port (ENet and udp transports); they
 * must still get their states. Randomness: seed 5 (printed). The relay
 * runs with --stale-ms 0: on a loaded host it may fall more than 20 ms
 * behind, and by default it then sheds the honest states that waited as
 * stale (counted, PROTOCOL.md); what is measured here is what the flood's
 * garbage costs them.
 * Everything is bounded in time; the relay and sockets are closed on every
 * path (the harness kills children at exit). */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "proto/control.h"
#include "stats/rng.h"
#include "proto/wire.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"
#include "tests/support/session.h"

#define ABUSE_SEED 5

/* ---- 1. 100k random datagrams while a session runs ---------------------- */

#define FLOOD_TOTAL 100000
#define FLOOD_SOCKETS 4

struct flood {
    struct rng rng;
    int fd[FLOOD_SOCKETS];
    struct sockaddr_in relay;
    uint64_t sent, send_errors;
    uint64_t start_us, per_ms; /* from start_us, per_ms datagrams a millisecond */
    uint64_t kinds[4];
    uint64_t reply_bytes, reply_datagrams, sent_bytes;
};

/* Random bytes; ENet-looking headers for peer ids 0..7; states (version 1)
 * from strangers; broken JSON. */
static size_t flood_make(struct flood *f, uint8_t *buf)
{
    uint32_t kind = rng_below(&f->rng, 4);
    size_t len = 1 + rng_below(&f->rng, kind == 0 ? 1400 : 120);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rng_u64(&f->rng);
    switch (kind) {
    case 1: /* ENet protocol header: peer id, maybe sent-time flag, commands */
        if (len < 4)
            len = 4;
        buf[0] = (uint8_t)(rng_below(&f->rng, 2) ? 0x80 : 0x00) | (uint8_t)rng_below(&f->rng, 2);
        buf[1] = (uint8_t)rng_below(&f->rng, 8);
        break;
    case 2: /* a state from nobody */
        len = raw_state_bytes(buf, 1400, rng_below(&f->rng, 5), (uint32_t)rng_u64(&f->rng),
                         PROTO_STATE_SIZE + rng_below(&f->rng, 100));
        if (rng_below(&f->rng, 4) == 0)
            buf[1 + rng_below(&f->rng, 38)] ^= (uint8_t)rng_u64(&f->rng);
        break;
    case 3: { /* JSON-ish */
        static const char *const j[] = {
            "{", "{\"type\":\"join\"", "{\"type\":\"join\",\"version\":2,\"room\":\"lobby\",\"name\":7}",
            "{\"type\":\"teleport\"}", "{\"type\":\"ping\",\"t\":-1}", "{}",
        };
        const char *s = j[rng_below(&f->rng, 6)];
        len = strlen(s);
        memcpy(buf, s, len);
        break;
    }
    }
    f->kinds[kind]++;
    return len;
}

static void flood_hook(void *ctx)
{
    struct flood *f = ctx;
    uint8_t buf[1500];
    /* at the rate, whatever the session's step; a stalled step is not made
     * up for with a burst (at most 5 ms worth) that would overflow the
     * relay's socket buffer and drop the honest clients' states too */
    uint64_t due = (clock_now_us() - f->start_us) * f->per_ms / 1000u;
    if (due > f->sent + 5 * f->per_ms)
        due = f->sent + 5 * f->per_ms;
    while (f->sent < due && f->sent < FLOOD_TOTAL) {
        size_t len = flood_make(f, buf);
        int fd = f->fd[f->sent % FLOOD_SOCKETS];
        if (sendto(fd, buf, len, 0, (struct sockaddr *)&f->relay, sizeof f->relay) < 0)
            f->send_errors++;
        f->sent++;
        f->sent_bytes += len;
    }
    for (int i = 0; i < FLOOD_SOCKETS; i++)
        f->reply_bytes += raw_udp_drain(f->fd[i], &f->reply_datagrams);
}

static void run_flood(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--log-level", "warn", "--stats-interval", "0",
                                "--stale-ms", "0", NULL };
    const char *args_udp[] = { "--transport", "udp", "--log-level", "warn",
                               "--stats-interval", "0", "--stale-ms", "0", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);

    struct session s;
    session_init(&s);
    const enum proto_mode modes[] = { PROTO_MODE_UNSEQUENCED, PROTO_MODE_SEQUENCED,
                                      PROTO_MODE_RELIABLE, PROTO_MODE_UNSEQUENCED };
    for (int i = 0; i < 4; i++) {
        char name[24];
        snprintf(name, sizeof name, "honest%d", i);
        assert_true(session_add(&s, (uint16_t)port, "lobby", name,
                                udp ? PROTO_MODE_UDP : modes[i], true, 30) >= 0);
    }
    session_wait_ready(&s, 0, s.n);

    struct flood f;
    memset(&f, 0, sizeof f);
    rng_seed(&f.rng, ABUSE_SEED);
    f.relay = raw_loopback((uint16_t)port);
    for (int i = 0; i < FLOOD_SOCKETS; i++)
        f.fd[i] = harness_udp_socket(NULL);
    f.per_ms = 20; /* ~100k in 5 s */
    long long rcvbuf0 = raw_udp_snmp("RcvbufErrors");

    uint64_t t0 = clock_now_ms();
    f.start_us = clock_now_us();
    while (f.sent < FLOOD_TOTAL && clock_now_ms() - t0 < 60000)
        session_run(&s, 1000, 0, flood_hook, &f);
    uint64_t flood_ms = clock_now_ms() - t0;
    session_run(&s, 500, 1000, flood_hook, &f); /* honest traffic after the flood */
    long long rcvbuf1 = raw_udp_snmp("RcvbufErrors");

    assert_true(spawn_running(&relay)); /* stayed up */
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    for (size_t i = 0; i < s.n; i++) {
        assert_false(s.dead[i]);
        assert_true(ricochet_joined(s.c[i]));
        assert_int_equal(s.got_unknown[i], 0); /* no state from a stranger got through */
    }
    char *out = harness_relay_finish(&relay);
    long long drops = harness_stats_field(out, true, "drops.*");
    long long bad_state = harness_stats_field(out, true, "drops.bad_state");
    long long bad_json = harness_stats_field(out, true, "drops.bad_json");
    long long not_joined = harness_stats_field(out, true, "drops.not_joined");
    long long stray = harness_stats_field(out, true, "drops.stray");
    long long kicks = harness_stats_field(out, true, "kicks");
    print_message("flood %s: %llu datagrams (%llu bytes, %llu send errors) in %llu ms; "
                  "kinds random/enet-header/state/json %llu/%llu/%llu/%llu; "
                  "honest delivery %.4f (%llu/%llu); relay drops total %lld "
                  "(bad_state %lld, bad_json %lld, not_joined %lld, stray %lld), kicks %lld; "
                  "kernel RcvbufErrors +%lld; replies to the flood: %llu datagrams, %llu bytes\n",
                  udp ? "udp" : "enet", (unsigned long long)f.sent,
                  (unsigned long long)f.sent_bytes, (unsigned long long)f.send_errors,
                  (unsigned long long)flood_ms, (unsigned long long)f.kinds[0],
                  (unsigned long long)f.kinds[1], (unsigned long long)f.kinds[2],
                  (unsigned long long)f.kinds[3], delivery, (unsigned long long)got,
                  (unsigned long long)want, drops, bad_state, bad_json, not_joined, stray, kicks,
                  rcvbuf1 - rcvbuf0, (unsigned long long)f.reply_datagrams,
                  (unsigned long long)f.reply_bytes);
    assert_true(f.sent == FLOOD_TOTAL);
    assert_true(want > 0);
    assert_true(delivery >= 0.99);
    assert_int_equal(kicks, 0); /* no honest client was kicked */
    /* Drops counted: every datagram the relay got is counted (the kernel
     * may have dropped some before the relay read them). */
    long long lost_in_kernel = rcvbuf1 - rcvbuf0;
    assert_true(drops >= (long long)FLOOD_TOTAL - lost_in_kernel - FLOOD_TOTAL / 100);
    free(out);
    session_free(&s);
    for (int i = 0; i < FLOOD_SOCKETS; i++)
        close(f.fd[i]);
    spawn_free(&relay);
}

static void flood_enet(void **state)
{
    (void)state;
    run_flood(false);
}

static void flood_udp(void **state)
{
    (void)state;
    run_flood(true);
}

int main(void)
{
    print_message("test_e2e_abuse_flood: seed %d\n", ABUSE_SEED);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flood_enet),
        cmocka_unit_test(flood_udp),
    };
    return session_run_tests("abuse_flood", tests, sizeof tests / sizeof tests[0]);
}
