/* test_e2e_lobby_silent.c: how long a lobby that watches may stay silent,
 * as PROTOCOL.md says ("A lobby that stays", "Staying"), against the real
 * relay at its defaults on 127.0.0.1: over TCP and WebSocket a raw watcher
 * written from the spec that sends nothing after its watch is closed at
 * --timeout-ms (5 s), not before and within 1.5 s after; one that pings
 * within a third of it (every 1.5 s) is still watching at 8 s, each ping
 * answered with a pong and a rooms request with its page. (The relay's own
 * --lobby-idle-ms, 30 s, is tested on the core's clock: test_relay_lobby.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/streams.h"

#define WATCH "{\"type\":\"rooms\",\"prefix\":\"g\",\"watch\":true}"
#define ASK "{\"type\":\"rooms\",\"prefix\":\"g\"}"
#define PING "{\"type\":\"ping\",\"t\":1}"
#define TIMEOUT_MS 5000   /* --timeout-ms's default (PROTOCOL.md, "Timers") */
#define LATE_MS 1500      /* the relay looks at its connections' silence this late at most */
#define PING_MS 1500      /* within a third of TIMEOUT_MS */
#define RUN_MS 8000

enum { SILENT_TCP, SILENT_WS, PINGING_TCP, PINGING_WS, N };

struct watcher {
    struct streams_conn c;
    bool pings;
    uint64_t last_sent_ms, closed_ms; /* closed_ms 0: open */
    int pongs, pages;
};

static struct watcher w[N];

/* Takes what came to x within ms; notes its close. */
static void drain(struct watcher *x, int ms)
{
    char msg[4096];
    int n;
    while (!x->closed_ms && (n = streams_recv(&x->c, msg, sizeof msg, ms)) >= 0) {
        if (n == 0) {
            x->closed_ms = clock_now_ms();
            return;
        }
        x->pongs += strstr(msg, "\"type\":\"pong\"") != NULL;
        x->pages += strstr(msg, "\"type\":\"rooms\"") != NULL;
        ms = 0;
    }
}

static void send_msg(struct watcher *x, const char *msg)
{
    assert_int_equal(streams_send(&x->c, msg, strlen(msg)), 0);
    x->last_sent_ms = clock_now_ms();
}

static void a_silent_watcher_stays_as_long_as_the_protocol_says(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *schemes[] = {"tcp", "ws", NULL};
    const char *more[] = {"--log-level", "warn", NULL};
    uint16_t ports[2];
    harness_start_edges(&relay, schemes, more, ports);
    for (int i = 0; i < N; i++) {
        bool ws = i == SILENT_WS || i == PINGING_WS;
        w[i].pings = i >= PINGING_TCP;
        assert_int_equal(streams_open(&w[i].c, ws ? STREAMS_WS : STREAMS_TCP, NULL,
                                      ports[ws]), 0);
        send_msg(&w[i], WATCH);
        char msg[4096];
        assert_true(streams_recv(&w[i].c, msg, sizeof msg, 3000) > 0);
        assert_non_null(strstr(msg, "\"watch\":true"));
        w[i].pages = 1;
    }
    uint64_t start = clock_now_ms();
    while (clock_now_ms() - start < RUN_MS) {
        for (int i = 0; i < N; i++) {
            if (w[i].pings && clock_now_ms() - w[i].last_sent_ms >= PING_MS)
                send_msg(&w[i], PING);
            drain(&w[i], 0);
        }
        clock_sleep_ms(20);
    }
    for (int i = PINGING_TCP; i < N; i++)
        send_msg(&w[i], ASK);
    for (int i = 0; i < N; i++)
        drain(&w[i], i >= PINGING_TCP ? 2000 : 0);
    const char *names[N] = {"silent tcp", "silent ws", "pinging tcp", "pinging ws"};
    for (int i = 0; i < N; i++) {
        if (w[i].closed_ms)
            print_message("%s: closed %llu ms after it last sent\n", names[i],
                          (unsigned long long)(w[i].closed_ms - w[i].last_sent_ms));
        else
            print_message("%s: watching at %llu ms, %d pongs, %d pages\n", names[i],
                          (unsigned long long)(clock_now_ms() - start), w[i].pongs,
                          w[i].pages);
    }
    for (int i = 0; i < PINGING_TCP; i++) {
        assert_true(w[i].closed_ms);
        assert_true(w[i].closed_ms - w[i].last_sent_ms >= TIMEOUT_MS);
        assert_true(w[i].closed_ms - w[i].last_sent_ms <= TIMEOUT_MS + LATE_MS);
    }
    for (int i = PINGING_TCP; i < N; i++) {
        assert_false(w[i].closed_ms);
        assert_true(w[i].pongs >= RUN_MS / PING_MS);
        assert_true(w[i].pages >= 2); /* the watch's, and the last ask's */
    }
    for (int i = 0; i < N; i++)
        streams_close(&w[i].c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_silent_watcher_stays_as_long_as_the_protocol_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
