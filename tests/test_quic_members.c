/* test_quic_members.c: members over the relay's quic edge (in process on
 * 127.0.0.1, libricochet's QUIC clients): states of every QUIC way both
 * ways; the streams a client may open are the contract's (MAX_STREAMS:
 * one bidirectional, one of its own); an empty datagram (which ngtcp2
 * asserts against) dropped at both ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "client/lib/client_test.h"
#include "relay/core/relay.h"
#include "tests/support/quic_edge.h"

/* Every QUIC way both ways through the edge in process; the streams a
 * client may open are the contract's: one bidirectional, one of its own. */
static void members_play_and_streams_are_bounded(void **state)
{
    (void)state;
    env_open(&E, 4);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    r.c[0] = member(&E, "dg", PROTO_MODE_SEQUENCED);
    r.c[1] = member(&E, "rel", PROTO_MODE_RELIABLE);
    r.c[2] = member(&E, "str", PROTO_MODE_STREAMS);
    welcome_all(&E, &r);
    for (int k = 0; k < 20; k++) {
        for (size_t i = 0; i < 3; i++) {
            struct ricochet_state st = {.x = (float)k};
            assert_int_equal(ricochet_send_state(r.c[i], &st), RICOCHET_OK);
        }
        pump_for(&E, &r, 5);
    }
    pump_for(&E, &r, 200);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            if (i != j)
                assert_in_range(r.states[i][ricochet_id(r.c[j])], 18, 20);
    assert_int_equal(r.states[2][ricochet_id(r.c[1])], 20); /* reliable to streams: all */
    assert_int_equal(r.arrived_as[2][ricochet_id(r.c[1])], PROTO_MODE_STREAMS);
    assert_int_equal(r.arrived_as[1][ricochet_id(r.c[2])], PROTO_MODE_RELIABLE);
    assert_int_equal(r.arrived_as[1][ricochet_id(r.c[0])], PROTO_MODE_SEQUENCED);
    /* MAX_STREAMS as announced: the control stream and one of its own */
    ngtcp2_conn *conn = link_of(r.c[2])->conn;
    int64_t sid;
    assert_int_equal(ngtcp2_conn_get_streams_bidi_left(conn), 0);
    assert_int_equal(ngtcp2_conn_get_streams_uni_left(conn), 0); /* streams: it opened it */
    assert_int_equal(ngtcp2_conn_open_bidi_stream(conn, &sid, NULL),
                     NGTCP2_ERR_STREAM_ID_BLOCKED);
    assert_int_equal(ngtcp2_conn_open_uni_stream(conn, &sid, NULL),
                     NGTCP2_ERR_STREAM_ID_BLOCKED);
    assert_true(own(&E, QUIC_COUNT_DGRAMS_ACKED) >= 30);
    /* an empty datagram from the relay's address: dropped, counted, nothing more */
    union netaddr me;
    socklen_t alen = sizeof me;
    assert_int_equal(getsockname(client_socket(r.c[1]), &me.sa, &alen), 0);
    uint64_t bad = client_bad_messages(r.c[1]);
    assert_int_equal(sendto(E.t->fd, "", 0, 0, &me.sa, alen), 0);
    pump_for(&E, &r, 50);
    assert_int_equal(client_bad_messages(r.c[1]), bad + 1);
    assert_false(r.disconnected[1]);
    assert_int_equal(own(&E, QUIC_COUNT_PROTOCOL), 0);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    pump_for(&E, NULL, 100);
    assert_int_equal(relay_clients(E.r), 0);
    env_close(&E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(members_play_and_streams_are_bounded),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
