/* test_e2e_bench_webrtc.c: ricochet-bench's modes over WebRTC (relay,
 * netsim and bench spawned from $RICOCHET_BIN), through netsim at 5% loss
 * with 20 ms of delay and 10 of jitter. netsim sits in front of the
 * relay's webrtc edge, whose answers name it, and reads the states inside
 * DTLS with the key log the bench's clients write. The unordered channel
 * (webrtc) loses about what netsim dropped, every lost state explained by
 * netsim's drop log state by state, and keeps the path's p99; the reliable
 * one (webrtc-reliable, on control) loses nothing, every drop followed by
 * SCTP's retransmission, each state held back by a drop attributed to it,
 * and pays in the tail. With --encrypt the relay seals nothing of theirs
 * and they play as in clear. */

/* tests/run: alone (its losses are compared with netsim's on a timing a
 * neighbour's load moves) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "tests/support/bench_json.h"
#include "tests/support/harness.h"

#define PATH_DELAY_MS 20
#define PATH_JITTER_MS 10
#define RTO_MIN_MS 200 /* rtc_sctp.c: a retransmission waits at least this */

/* webrtc at 5%: the loss is the network's, every missed state one netsim
 * dropped on the sender's uplink or the receiver's downlink, and nothing
 * waits: p99 short of SCTP's shortest retransmission (rtc_sctp.c's minimum
 * RTO, 200 ms) past the path's delay and jitter, with room for a busy
 * machine's scheduling (68 ms measured beside two busy loops). */
static void check_unordered(const cJSON *r)
{
    assert_true(bj_flag(r, "ok", NULL));
    double expected = bj_num(r, "expected"), delivered = bj_num(r, "delivered");
    double lost = bj_num(r, "lost_pct"), truth = bj_num(r, "netsim.e2e_loss_pct");
    double missed = expected - delivered, dropped = bj_num(r, "audit.netsim_dropped");
    print_message("webrtc: %.2f%% lost (%.0f of %.0f), netsim's log: %.0f dropped on the way; "
                  "netsim dropped %.2f%% of its datagrams; p99 %.1f ms\n",
                  lost, missed, expected, dropped, truth, bj_num(r, "latency_ms.p99"));
    assert_true(expected >= 1500);
    assert_true(lost >= 1.5 && lost <= 11.0);
    assert_true(fabs(lost - truth) < 4.0);
    assert_true(bj_flag(r, "audit", "done"));
    assert_true(bj_num(r, "audit.log_states") > expected / 2); /* netsim read inside DTLS */
    assert_true(bj_num(r, "audit.unexplained") == 0);
    assert_true(bj_num(r, "audit.explained") == missed);
    assert_true(dropped == bj_num(r, "audit.explained_by.netsim_up") +
                               bj_num(r, "audit.explained_by.netsim_down"));
    assert_true(bj_num(r, "audit.explained_by.netsim_up") > 0);
    assert_true(bj_num(r, "audit.explained_by.netsim_down") > 0);
    assert_true(missed == dropped + bj_num(r, "audit.explained_by.late") +
                              bj_num(r, "audit.explained_by.socket_overflow") +
                              bj_num(r, "audit.explained_by.relay_stale") +
                              bj_num(r, "audit.explained_by.sender_queue") +
                              bj_num(r, "audit.explained_by.relay_queue"));
    assert_true(bj_num(r, "audit.explained_by.too_old") == 0); /* unordered: none too old */
    assert_true(bj_num(r, "audit.explained_by.netsim_corrupt") == 0); /* netsim drops only */
    assert_true(bj_num(r, "audit.explained_by.enet_window") == 0); /* no ENet here */
    assert_true(bj_num(r, "latency_ms.p50") >= PATH_DELAY_MS - PATH_JITTER_MS);
    assert_true(bj_num(r, "latency_ms.p99") < PATH_DELAY_MS + PATH_JITTER_MS + RTO_MIN_MS);
}

/* webrtc-reliable at 5%: everything, every drop retransmitted, what the
 * drops held back attributed to them, and a tail past the unordered one. */
static void check_reliable(const cJSON *r, const cJSON *unordered)
{
    assert_true(bj_flag(r, "ok", NULL));
    print_message("webrtc-reliable: %.0f of %.0f delivered, %.0f drops retransmitted, "
                  "%.0f deliveries held back; p99 %.1f ms\n", bj_num(r, "delivered"),
                  bj_num(r, "expected"), bj_num(r, "audit.retransmitted"),
                  bj_num(r, "audit.held.deliveries"), bj_num(r, "latency_ms.p99"));
    assert_true(bj_num(r, "delivered") == bj_num(r, "expected"));
    assert_true(bj_num(r, "lost_pct") == 0.0);
    assert_true(bj_num(r, "duplicates") == 0.0);
    assert_true(bj_flag(r, "audit", "clean"));
    assert_true(bj_num(r, "audit.state_drops") > 0);
    assert_true(bj_num(r, "audit.unretransmitted") == 0);
    assert_true(bj_num(r, "audit.state_drops") ==
                bj_num(r, "audit.retransmitted") + bj_num(r, "audit.redundant"));
    assert_true(bj_num(r, "audit.held.deliveries") > 0);
    assert_true(bj_num(r, "audit.held.unattributed") == 0);
    assert_true(bj_num(r, "audit.held.unresolved") == 0);
    assert_true(bj_num(r, "latency_ms.p99") > bj_num(unordered, "latency_ms.p99"));
}

static void loss_on_each_channel(void **state)
{
    (void)state;
    /* 4 clients x 60 Hz x 3 s = 720 states, 2160 deliveries a mode */
    const char *args[] = {"--clients", "4", "--rate", "60", "--duration", "3", "--warmup", "1",
                          "--grace", "2", "--path-loss", "5", "--path-delay", "20",
                          "--path-jitter", "10", "--seed", "3",
                          "--modes", "webrtc,webrtc-reliable", "--json-file", "-", "--quiet",
                          NULL};
    const cJSON *results = bj_results(args);
    assert_int_equal(cJSON_GetArraySize(results), 2);
    const cJSON *u = bj_mode(results, "webrtc");
    check_unordered(u);
    check_reliable(bj_mode(results, "webrtc-reliable"), u);
}

/* --encrypt: the bench's relay takes sealed tickets and seals; its WebRTC
 * clients join with theirs, the relay seals nothing of theirs (DTLS does),
 * and netsim still reads them with the key log. */
static void sealing_relay_seals_none(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "3", "--rate", "30", "--duration", "1", "--warmup",
                          "0.5", "--grace", "1", "--netsim", "--encrypt", "--seed", "4",
                          "--modes", "webrtc-sequenced", "--json-file", "-", "--quiet", NULL};
    const cJSON *r = bj_mode(bj_results(args), "webrtc-sequenced");
    assert_true(bj_flag(r, "ok", NULL));
    assert_true(bj_num(r, "lost_pct") == 0.0);
    assert_true(bj_flag(r, "audit", "done"));
    assert_true(bj_num(r, "audit.log_states") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_on_each_channel),
        cmocka_unit_test(sealing_relay_seals_none),
    };
    return cmocka_run_group_tests(tests, NULL, bj_free);
}
