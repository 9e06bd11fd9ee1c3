/* test_quic_leaving.c: how a member leaves the relay's quic edge (in
 * process on 127.0.0.1, libricochet's QUIC and WebTransport clients): a
 * client's FIN on its control stream (QUIC's, a WebTransport session's) or
 * on its CONNECT's stream is leaving: left (quit) at once, the connection
 * closed, no join timeout after it; a silent member is gone at
 * --timeout-ms (left timeout) over QUIC and over WebTransport, whose idle
 * timeout is announced QUIC_EDGE_H3_IDLE_MS longer (a browser's timer runs
 * a second short) and timed by the edge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "relay/core/relay.h"
#include "sys/clock.h"
#include "tests/support/quic_edge.h"

/* A client's end of its control stream is leaving, and on a WebTransport
 * session so is its end of the CONNECT's stream (what a page's
 * writer.close() and wt.close() send): the room hears left (quit) at
 * once, the relay closes the connection, and nothing waits for a join
 * timeout. ngtcp2 closes a stream only once both sides have ended it, and
 * the relay never ends its side of either: the FIN itself must count. */
static void a_stream_ended_is_leaving(void **state)
{
    (void)state;
    env_open(&E, 4);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 4;
    r.c[0] = member(&E, "stays", PROTO_MODE_RELIABLE);
    r.c[1] = member(&E, "quic", PROTO_MODE_RELIABLE);
    r.c[2] = member_over(&E, "wtcontrol", PROTO_MODE_UNSEQUENCED,
                         RICOCHET_TRANSPORT_WEBTRANSPORT);
    r.c[3] = member_over(&E, "wtconnect", PROTO_MODE_UNSEQUENCED,
                         RICOCHET_TRANSPORT_WEBTRANSPORT);
    welcome_all(&E, &r);
    pump_for(&E, &r, 100);
    uint32_t ids[4];
    for (size_t i = 0; i < 4; i++)
        ids[i] = ricochet_id(r.c[i]);
    uint64_t join_timeouts = relay_stats(E.r)->drops[RELAY_DROP_JOIN_TIMEOUT];
    uint64_t start = clock_now_us();
    for (size_t i = 1; i < 4; i++) /* the control stream (QUIC's 0, the session's), the CONNECT's */
        stream_send(r.c[i], link_of(r.c[i]), i == 3 ? 0 : link_of(r.c[i])->ctl_sid, NULL, 0,
                    true);
    for (int k = 0; k < 100 && r.n_left[0] < 3; k++)
        pump_for(&E, &r, 10);
    print_message("three streams ended: %zu left in %llu ms\n", r.n_left[0],
                  (unsigned long long)((clock_now_us() - start) / 1000));
    for (size_t i = 1; i < 4; i++) {
        assert_true(harness_rec_saw_left(&r, 0, ids[i], PROTO_LEFT_QUIT));
        assert_true(r.disconnected[i]);
    }
    assert_true(clock_now_us() - start < 500000); /* at once, not at a timeout */
    assert_int_equal(relay_clients(E.r), 1);
    assert_int_equal(relay_stats(E.r)->drops[RELAY_DROP_JOIN_TIMEOUT], join_timeouts);
    assert_int_equal(own(&E, QUIC_COUNT_PROTOCOL), 0);
    for (size_t i = 0; i < 4; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

/* A silent member of a relay of --timeout-ms 600: gone at 600 ms over QUIC
 * (ngtcp2's idle timeout, what the relay announced) and over WebTransport,
 * whose max_idle_timeout is announced QUIC_EDGE_H3_IDLE_MS longer (a
 * browser's own timer runs a second short of it) and whose silence the
 * edge times itself: left (timeout), without a packet. */
static void a_silent_session_is_gone_at_the_relay_timeout(void **state)
{
    (void)state;
    env_timeout_ms = 600;
    env_open(&E, 4);
    env_timeout_ms = 5000;
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    r.c[0] = member(&E, "talks", PROTO_MODE_UNSEQUENCED);
    r.c[1] = member(&E, "quic", PROTO_MODE_UNSEQUENCED);
    r.c[2] = member_over(&E, "wt", PROTO_MODE_UNSEQUENCED, RICOCHET_TRANSPORT_WEBTRANSPORT);
    welcome_all(&E, &r);
    for (size_t i = 0; i < 3; i++) /* what each client was told */
        assert_int_equal(ngtcp2_conn_get_remote_transport_params(link_of(r.c[i])->conn)
                             ->max_idle_timeout,
                         (600 + (i == 2 ? QUIC_EDGE_H3_IDLE_MS : 0)) * NGTCP2_MILLISECONDS);
    /* from now on only the first is read and sends */
    static struct harness_rec o;
    memset(&o, 0, sizeof o);
    o.n = 1;
    o.c[0] = r.c[0];
    uint32_t quic = ricochet_id(r.c[1]), wt = ricochet_id(r.c[2]);
    uint64_t start = clock_now_us(), gone_us[2] = {0, 0};
    while (clock_now_us() - start < 3000000 && (!gone_us[0] || !gone_us[1])) {
        struct ricochet_state st = {.x = 1};
        assert_int_equal(ricochet_send_state(o.c[0], &st), RICOCHET_OK);
        pump_for(&E, &o, 20);
        for (int k = 0; k < 2; k++)
            if (!gone_us[k] && harness_rec_saw_left(&o, 0, k ? wt : quic, PROTO_LEFT_TIMEOUT))
                gone_us[k] = clock_now_us() - start;
    }
    print_message("silent: gone after %llu ms over QUIC, %llu ms over WebTransport\n",
                  (unsigned long long)gone_us[0] / 1000, (unsigned long long)gone_us[1] / 1000);
    /* 600 ms and the edge's sweep every 100 ms; on a loaded machine later,
     * but well before WebTransport's announced 2.6 s: the edge times the
     * silence itself */
    for (int k = 0; k < 2; k++)
        assert_true(gone_us[k] >= 500000 && gone_us[k] < 2200000);
    assert_int_equal(relay_clients(E.r), 1);
    assert_int_equal(relay_stats(E.r)->timeouts, 2);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stream_ended_is_leaving),
        cmocka_unit_test(a_silent_session_is_gone_at_the_relay_timeout),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
