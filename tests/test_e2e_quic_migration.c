/* test_e2e_quic_migration.c: a QUIC member whose socket changes six times
 * (connection migration, as a NAT rebinding or a network change looks)
 * keeps its id and room: no left notice, no second welcome, its states
 * still flowing both ways, the edge counting each move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sys/clock.h"
#include "sys/netaddr.h"
#include "tests/support/quic_relay.h"

static uint16_t local_port(const struct ricochet *c)
{
    union netaddr a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(client_socket(c), &a.sa, &len), 0);
    return netaddr_port(&a);
}

/* A member whose socket changes (a new port: connection migration, as a
 * NAT rebinding or a network change looks) is the same member: its id, no
 * left notice, no second welcome, its states still flowing both ways; and
 * again a few times over (the relay issues new connection IDs as old ones
 * retire), its table of them bounded. */
static void a_member_that_moves_stays(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = quic_client(quic, "moving", "mover", PROTO_MODE_UNSEQUENCED, NULL);
    r.c[1] = quic_client(quic, "moving", "stay", PROTO_MODE_STREAMS, NULL);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    uint32_t mover = ricochet_id(r.c[0]), stay = ricochet_id(r.c[1]);
    /* the two handshakes race: a stay welcomed before the mover joined
     * heard its JOINED then, before any move */
    size_t joined = r.n_joined[1];
    harness_send_rounds(&r, 10);
    int moves = 0;
    uint64_t end = clock_now_ms() + WAIT_MS;
    for (int k = 0; k < 6; k++) {
        uint16_t was = local_port(r.c[0]);
        uint64_t heard = r.states[1][mover];
        if (client_rebind(r.c[0]) == 0) {
            moves++;
            assert_int_not_equal(local_port(r.c[0]), was);
        }
        harness_send_rounds(&r, 10);
        /* the relay heard the new socket before the next move: a relay
         * slowed past two moves would see one */
        while (r.states[1][mover] == heard && clock_now_ms() < end)
            harness_send_rounds(&r, 1);
    }
    while ((r.states[1][mover] < 60 || r.states[0][stay] < 70) && clock_now_ms() < end)
        harness_poll_for(r.c, 2, 50, harness_rec_event, &r);
    assert_true(moves >= 3);
    assert_int_equal(ricochet_id(r.c[0]), mover);
    if (r.n_left[1] != 0) { /* who left, why, and what the relay said of it */
        for (size_t k = 0; k < r.n_left[1]; k++)
            print_message("left: id %u (the mover is %u), reason %s\n", (unsigned)r.left[1][k],
                          (unsigned)mover, proto_left_reason_name(r.left_reason[1][k]));
        char *err = spawn_read_stderr(&relay);
        print_message("the relay's stderr:\n%s\n", err ? err : "(none)");
        free(err);
    }
    assert_int_equal(r.n_left[1], 0);
    assert_int_equal(r.n_joined[1], joined);
    assert_true(r.states[1][mover] >= 60); /* from every socket */
    assert_true(r.states[0][stay] >= 70);  /* to every socket: reliable, all of them */
    char *out = harness_relay_stats_now(&relay);
    assert_non_null(out);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.migrations"), moves);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.members"), 2);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.handshakes"), 2);
    free(out);
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_member_that_moves_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
