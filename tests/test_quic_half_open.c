/* test_quic_half_open.c: connections to the relay's quic edge (in process
 * on 127.0.0.1, made by hand) whose handshake completes but that never
 * send a message are the edge's own budget (--max-half-open), never
 * clients of the core: past it a newcomer takes the place of the oldest
 * (freed without a word: a stateless reset answers its next packet), the
 * others are closed at the join timeout (not_joined), each counted
 * half_open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "relay/core/relay.h"
#include "tests/support/quic_edge.h"

static bool both_open(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b, (void)rv;
    return e->t->own[QUIC_COUNT_HANDSHAKES] == 2;
}

static bool third_open(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b, (void)rv;
    return e->t->own[QUIC_COUNT_HANDSHAKES] == 3;
}

static bool all_closed(const struct env *e, const struct bare *b, const int *rv)
{
    (void)e, (void)b;
    return rv[0] != 0 && rv[1] != 0 && rv[2] != 0;
}

/* Handshakes completed, no message ever: connections that have not joined,
 * the edge's own budget (--max-half-open), never clients of the core; a
 * newcomer past the budget takes the place of the oldest of them (freed
 * without a word: its next packet gets a stateless reset); the others are
 * closed at the join timeout with not_joined. */
static void a_connection_that_never_joins(void **state)
{
    (void)state;
    env_open(&E, 2);
    static struct bare b[3];
    int rv[3] = {0, 0, 0};
    bare_open(&E, &b[0], "mute1");
    bare_open(&E, &b[1], "mute2");
    assert_true(bare_pump(&E, b, 2, rv, 3000, both_open));
    assert_int_equal(E.t->slots.half_open, 2);
    assert_int_equal(relay_clients(E.r), 0);
    bare_open(&E, &b[2], "mute3"); /* a third: over --max-half-open */
    assert_true(bare_pump(&E, b, 3, rv, 3000, third_open));
    assert_int_equal(own(&E, QUIC_COUNT_REFUSED), 0);
    assert_int_equal(own(&E, QUIC_COUNT_HALF_OPEN), 1); /* the oldest gave way */
    assert_int_equal(E.t->slots.half_open, 2);
    /* the one that gave way speaks again (a PING): a stateless reset answers */
    ngtcp2_conn_set_keep_alive_timeout(b[0].q.conn, 10 * NGTCP2_MILLISECONDS);
    assert_true(bare_pump(&E, b, 3, rv, JOIN_MS + 2000, all_closed));
    assert_int_equal(rv[0], NGTCP2_ERR_DRAINING);
    assert_true(b[0].q.reset); /* forgotten: a stateless reset */
    for (int i = 1; i < 3; i++) {
        assert_int_equal(rv[i], NGTCP2_ERR_DRAINING);
        ngtcp2_connection_close_error ce;
        ngtcp2_conn_get_connection_close_error(b[i].q.conn, &ce);
        assert_int_equal(ce.type, NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION);
        assert_int_equal(ce.error_code, PROTO_ERROR_NOT_JOINED);
    }
    assert_int_equal(own(&E, QUIC_COUNT_HALF_OPEN), 3);
    assert_int_equal(E.t->slots.half_open, 0);
    assert_int_equal(relay_clients(E.r), 0);
    for (int i = 0; i < 3; i++)
        bare_close(&b[i]);
    env_close(&E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_connection_that_never_joins),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
