/* test_quic_moves.c: a member of the relay's quic edge (in process on
 * 127.0.0.1) moving again and again: connection IDs retired and issued,
 * the table never more than QUIC_EDGE_CIDS a connection, the member
 * staying; then a connection the relay forgot gets a stateless reset,
 * which ends the client at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "client/lib/client_test.h"
#include "tests/support/quic_edge.h"

/* A member moving again and again: each move retires connection IDs and
 * the edge issues new ones; the table holds at most QUIC_EDGE_CIDS for the
 * connection, and the member stays. Then the relay forgets it: its next
 * packet gets a stateless reset, which ends the client at once. */
static void moves_and_a_forgotten_connection(void **state)
{
    (void)state;
    env_open(&E, 4);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = member(&E, "mover", PROTO_MODE_RELIABLE);
    r.c[1] = member(&E, "other", PROTO_MODE_RELIABLE);
    welcome_all(&E, &r);
    int moved = 0;
    for (int k = 0; k < 12; k++) {
        moved += client_rebind(r.c[0]) == 0;
        struct ricochet_state st = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[0], &st), RICOCHET_OK);
        pump_for(&E, &r, 60);
        assert_true(E.t->cids.n <= 2 * QUIC_EDGE_CIDS);
    }
    assert_true(moved >= 6);
    assert_int_equal(own(&E, QUIC_COUNT_MIGRATIONS), moved);
    assert_int_equal(r.states[1][ricochet_id(r.c[0])], 12);
    assert_int_equal(r.n_left[1], 0);
    assert_false(r.disconnected[0]);
    /* forgotten: every connection freed without a word */
    transport_quic_free_all(E.t);
    for (int k = 0; k < 100 && !r.disconnected[0]; k++) {
        struct ricochet_state st = {.x = 1};
        ricochet_send_state(r.c[0], &st);
        pump_for(&E, &r, 20);
    }
    assert_true(r.disconnected[0]);
    assert_true(link_of(r.c[0]) == NULL || link_of(r.c[0])->reset);
    assert_true(own(&E, QUIC_COUNT_RESETS) >= 1);
    assert_non_null(strstr(ricochet_end_reason(r.c[0]), "reset"));
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moves_and_a_forgotten_connection),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
