/* test_e2e_quic_slow_reader.c: a QUIC member that stops reading while it
 * is sent states in datagrams and events of 1 KiB is closed `slow_reader`
 * within `--slow-reader-ms` and a second (a datagram written is not one
 * taken), and its sender hears it leave (kicked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "tests/support/quic_relay.h"

#define SLOW_READER_MS 2000 /* the relay's --slow-reader-ms, its default */

/* A QUIC member stops reading (never polled again, as a process stopped)
 * while an ENet member sends it unsequenced states at 30 a second (in
 * datagrams) and events of 1 KiB at 100 a second (on its control stream):
 * the relay must close it slow_reader once nothing of it was acknowledged
 * for --slow-reader-ms, and the sender hear it leave (kicked) within a
 * second more. A datagram the relay wrote is not one the client took:
 * probes carrying them kept the member open twice as long. */
static void a_stopped_member_hearing_datagrams_is_closed_in_time(void **state)
{
    (void)state;
    static struct edges e;
    edges_start(&e, NULL);
    struct harness_rec r = {.n = 2};
    r.c[0] = quic_client(e.quic, "stop", "stopped", PROTO_MODE_UNSEQUENCED, NULL);
    r.c[1] = harness_client(e.enet, "stop", "sender", PROTO_MODE_UNSEQUENCED, false);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event, harness_all_see_all,
                                        &r), 0);
    uint32_t stopped = ricochet_id(r.c[0]);
    struct harness_rec sender = {.n = 1};
    sender.c[0] = r.c[1];
    uint8_t body[1024];
    memset(body, 0x5a, sizeof body);
    uint64_t start = clock_now_ms(), states = 0, events = 0, took = 0;
    while (!took && clock_now_ms() - start < 4 * SLOW_READER_MS) {
        uint64_t t = clock_now_ms() - start;
        for (; states < t * 30 / 1000; states++) {
            struct ricochet_state st = {.x = 1, .y = 2};
            assert_int_equal(ricochet_send_state(sender.c[0], &st), RICOCHET_OK);
        }
        for (; events < t * 100 / 1000; events++)
            assert_int_equal(ricochet_send_event(sender.c[0], RICOCHET_TO_ROOM, body,
                                                 sizeof body), RICOCHET_OK);
        harness_poll_for(sender.c, 1, 5, harness_rec_event, &sender);
        if (harness_rec_saw_left(&sender, 0, stopped, PROTO_LEFT_KICKED))
            took = clock_now_ms() - start;
    }
    print_message("the stopped member left (kicked) %llu ms after it stopped\n",
                  (unsigned long long)took);
    assert_in_range(took, SLOW_READER_MS, SLOW_READER_MS + 1000);
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    char *out = harness_relay_finish(&e.relay);
    char *err = spawn_read_stderr(&e.relay);
    assert_non_null(strstr(err, "slow_reader"));
    free(out);
    free(err);
    spawn_free(&e.relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stopped_member_hearing_datagrams_is_closed_in_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
