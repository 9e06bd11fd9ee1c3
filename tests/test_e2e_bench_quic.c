/* test_e2e_bench_quic.c: ricochet-bench's lanes over QUIC (relay, netsim
 * and bench spawned from $RICOCHET_BIN): libricochet's QUIC transport
 * against the relay's quic edge, through netsim's proxy at 5% loss with
 * 20 ms of delay. The datagram lanes (quic, quic-sequenced) lose what the
 * network loses and what a full datagram queue drops before it leaves (the
 * sender's, the relay's to a receiver); the stream lanes (quic-reliable,
 * quic-streams) lose nothing. netsim reads their packets with the clients'
 * key log (--wire quic), so each is audited as an ENet lane beside them is:
 * every missed datagram state explained by a drop netsim logged or a
 * queue's count, every dropped stream state retransmitted and each delivery
 * it held back attributed, nothing unexplained. The WebTransport lanes (wt, wt-reliable,
 * wt-streams: libricochet's session on the edge's ALPN h3) likewise, netsim
 * reading past HTTP/3's prefixes. With --encrypt the relay seals nothing
 * of theirs (TLS does) and seals the ENet lane's. A setup paced
 * (--join-every) to last several of the relay's idle timeouts keeps its
 * first clients. A QUIC lane and --fleet are refused in one line. */

/* tests/run: alone (its long setup keeps clients by pinging within 0.5 s
 * against a 1.5 s idle timeout: a neighbour's load stretches a turn) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "tests/support/bench_json.h"
#include "tests/support/harness.h"

/* A datagram lane's audit: netsim read its states inside QUIC, and each
 * missed one is a drop on the sender's uplink or the receiver's downlink
 * (or late, or a full socket, or shed by the relay, or dropped before it
 * left a full datagram queue: the sender's, or the relay's to the
 * receiver, as congestion control holds them back on a busy host). */
static void audited_datagrams(const cJSON *r)
{
    double expected = bj_num(r, "expected"), missed = expected - bj_num(r, "delivered");
    double dropped = bj_num(r, "audit.netsim_dropped");
    double queues = bj_num(r, "audit.explained_by.sender_queue") +
                    bj_num(r, "audit.explained_by.relay_queue");
    print_message("  %.0f missed: %.0f dropped by netsim, %.0f by a full queue, %.0f late, "
                  "%.0f in full sockets, %.0f shed as stale, %.0f too old, %.0f unexplained\n",
                  missed, dropped, queues, bj_num(r, "audit.explained_by.late"),
                  bj_num(r, "audit.explained_by.socket_overflow"),
                  bj_num(r, "audit.explained_by.relay_stale"),
                  bj_num(r, "audit.explained_by.too_old"), bj_num(r, "audit.unexplained"));
    assert_true(bj_flag(r, "audit", "done"));
    assert_true(bj_num(r, "audit.log_states") > expected / 2); /* netsim read inside QUIC */
    assert_true(bj_num(r, "audit.unexplained") == 0);
    assert_true(bj_num(r, "audit.explained") == missed);
    assert_true(bj_num(r, "audit.explained_by.enet_window") == 0);
    assert_true(bj_num(r, "audit.explained_by.netsim_up") > 0);
    assert_true(bj_num(r, "audit.explained_by.netsim_down") > 0);
    assert_true(missed == dropped + bj_num(r, "audit.explained_by.late") +
                              bj_num(r, "audit.explained_by.socket_overflow") +
                              bj_num(r, "audit.explained_by.relay_stale") +
                              bj_num(r, "audit.explained_by.too_old") + queues);
}

/* A stream lane's audit: every drop of a state retransmitted (QUIC's
 * stream bytes in a later packet), each delivery it held back attributed
 * to it. */
static void audited_streams(const cJSON *r)
{
    assert_true(bj_flag(r, "audit", "clean"));
    assert_true(bj_num(r, "audit.state_drops") > 0);
    assert_true(bj_num(r, "audit.unretransmitted") == 0);
    assert_true(bj_num(r, "audit.state_drops") ==
                bj_num(r, "audit.retransmitted") + bj_num(r, "audit.redundant"));
    assert_true(bj_num(r, "audit.held.deliveries") > 0);
    assert_true(bj_num(r, "audit.held.unattributed") == 0);
    assert_true(bj_num(r, "audit.held.unresolved") == 0);
}

static void every_lane_through_loss(void **state)
{
    (void)state;
    /* 4 clients x 40 Hz x 3 s = 480 states, 1440 deliveries a lane */
    const char *args[] = {"--clients", "4", "--rate", "40", "--duration", "3", "--warmup", "1",
                          "--grace", "2", "--path-loss", "5", "--path-delay", "20", "--seed",
                          "5", "--modes", "quic,quic-sequenced,quic-reliable,quic-streams,"
                          "unsequenced", "--json-file", "-", "--quiet", NULL};
    const cJSON *results = bj_results(args);
    assert_int_equal(cJSON_GetArraySize(results), 5);
    static const char *const lossy[] = {"quic", "quic-sequenced"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *r = bj_mode(results, lossy[i]);
        assert_true(bj_flag(r, "ok", NULL));
        print_message("%s: %.2f%% lost of %.0f, netsim dropped %.2f%% of its datagrams, "
                      "p99 %.1f ms\n", lossy[i], bj_num(r, "lost_pct"), bj_num(r, "expected"),
                      bj_num(r, "netsim.e2e_loss_pct"), bj_num(r, "latency_ms.p99"));
        assert_true(bj_num(r, "expected") >= 1000);
        assert_true(bj_num(r, "lost_pct") > 0);
        /* never resent, as the reliable lane beside it is: the audit finds every
         * state netsim dropped missed, and names what else was (its p99 is a
         * figure for the benchmarks, which a neighbour's load moves) */
        audited_datagrams(r);
    }
    static const char *const lossless[] = {"quic-reliable", "quic-streams"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *r = bj_mode(results, lossless[i]);
        assert_true(bj_flag(r, "ok", NULL));
        print_message("%s: %.0f of %.0f delivered, p99 %.1f ms\n", lossless[i],
                      bj_num(r, "delivered"), bj_num(r, "expected"), bj_num(r, "latency_ms.p99"));
        assert_true(bj_num(r, "expected") >= 1000);
        assert_true(bj_num(r, "delivered") == bj_num(r, "expected"));
        assert_true(bj_num(r, "duplicates") == 0);
        audited_streams(r);
    }
    const cJSON *e = bj_mode(results, "unsequenced");
    assert_true(bj_flag(e, "audit", "done"));
    assert_true(bj_num(e, "audit.unexplained") == 0);
}

/* WebTransport's lanes through the same network: its datagrams lose about
 * what netsim dropped, each loss explained; its streams lose nothing,
 * every drop retransmitted and every hold attributed. */
static void webtransport_lanes_through_loss(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "4", "--rate", "40", "--duration", "3", "--warmup", "1",
                          "--grace", "2", "--path-loss", "5", "--path-delay", "20", "--seed",
                          "6", "--modes", "wt,wt-reliable,wt-streams", "--json-file", "-",
                          "--quiet", NULL};
    const cJSON *results = bj_results(args);
    assert_int_equal(cJSON_GetArraySize(results), 3);
    const cJSON *r = bj_mode(results, "wt");
    assert_true(bj_flag(r, "ok", NULL));
    print_message("wt: %.2f%% lost of %.0f, netsim dropped %.2f%% of its datagrams\n",
                  bj_num(r, "lost_pct"), bj_num(r, "expected"), bj_num(r, "netsim.e2e_loss_pct"));
    assert_true(bj_num(r, "expected") >= 1000);
    assert_true(bj_num(r, "lost_pct") > 0);
    audited_datagrams(r);
    static const char *const lossless[] = {"wt-reliable", "wt-streams"};
    for (size_t i = 0; i < 2; i++) {
        r = bj_mode(results, lossless[i]);
        assert_true(bj_flag(r, "ok", NULL));
        print_message("%s: %.0f of %.0f delivered\n", lossless[i], bj_num(r, "delivered"),
                      bj_num(r, "expected"));
        assert_true(bj_num(r, "delivered") == bj_num(r, "expected"));
        audited_streams(r);
    }
}

/* --encrypt: the bench's relay takes sealed tickets and seals its ENet
 * sessions; its QUIC clients join with theirs and the relay seals nothing
 * of theirs. */
static void sealing_relay_seals_none(void **state)
{
    (void)state;
    /* a grace of 5 s: on a busy machine a turn of the bench or the relay can
       hold a state past a second; late, not lost (no network loses it here).
       --stale-ms 0: a relay a busy host held back would by default shed the
       unsequenced lane's states as stale (33 of 90 beside two busy loops) */
    const char *args[] = {"--clients", "3", "--rate", "30", "--duration", "1", "--warmup",
                          "0.5", "--grace", "5", "--encrypt", "--seed", "4", "--modes",
                          "quic-streams,unsequenced", "--relay-args", "--stale-ms 0",
                          "--json-file", "-", "--quiet", NULL};
    const cJSON *results = bj_results(args);
    static const char *const lanes[] = {"quic-streams", "unsequenced"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *r = bj_mode(results, lanes[i]);
        assert_true(bj_flag(r, "ok", NULL));
        assert_true(bj_num(r, "lost_pct") == 0.0);
        assert_true(bj_num(r, "delivered") > 0);
    }
}

/* A swarm of QUIC clients can take a while to set up (a handshake each,
 * a slow machine): the first, joined and with nothing to send yet, keep
 * their sessions: they are serviced while the others are made, and ping
 * within a third of the relay's idle timeout (its transport parameter).
 * The joins are paced so the setup lasts about four of the relay's 1.5 s
 * idle timeouts; a ping every 0.5 s outlasts a busy machine's stalls. */
static void a_long_setup_keeps_its_first_clients(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "64", "--room-size", "8", "--rate", "10",
                          "--duration", "1", "--warmup", "0.5", "--grace", "1", "--modes",
                          "quic", "--join-every", "100", "--relay-args", "--timeout-ms 1500",
                          "--setup-timeout", "60", "--json-file", "-", "--quiet", NULL};
    const cJSON *r = bj_mode(bj_results(args), "quic");
    assert_true(bj_flag(r, "ok", NULL));
    assert_true(bj_num(r, "delivered") > 0);
}

/* A QUIC lane runs on one relay: with --fleet, one line and exit 2. */
static void fleet_refused(void **state)
{
    (void)state;
    const char *args[] = {"--modes", "quic", "--fleet", "2", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    assert_int_equal(spawn_stop(&p, 0, 10000), 2);
    char *err = spawn_read_stderr(&p);
    spawn_free(&p);
    assert_non_null(err);
    assert_non_null(
        strstr(err, "ricochet-bench: error: --modes quic... or wt...: not with --fleet"));
    assert_null(strchr(strchr(err, '\n') + 1, '\n'));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_lane_through_loss),
        cmocka_unit_test(webtransport_lanes_through_loss),
        cmocka_unit_test(sealing_relay_seals_none),
        cmocka_unit_test(a_long_setup_keeps_its_first_clients),
        cmocka_unit_test(fleet_refused),
    };
    return cmocka_run_group_tests(tests, NULL, bj_free);
}
