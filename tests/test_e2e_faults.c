/* test_e2e_faults.c: faults a member can bring on the relay, tried on
 * ricochet-relay over 127.0.0.1.
 *
 * A member that stops reading (its process stopped, its client no longer
 * polled) while another member floods the room with events under the
 * rate limit: the relay lives, the stalled member is closed once as a
 * slow reader, with one log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/client.h"
#include "../sys/clock.h"
#include "support/harness.h"

#define WAIT_MS 15000
#define EVENT_BODY 1024     /* an event of 1036 bytes on the wire */
#define FLOOD_PER_S 170     /* under the default rate limit (180 a second) */

/* A member of room at port over transport (QUIC, WebTransport, or the
 * mode's own). */
static struct ricochet *member(uint16_t port, const char *room, const char *name,
                               enum proto_mode mode, enum ricochet_transport transport)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room, .name = name,
                                .mode = mode, .timeout_ms = 5000, .transport = transport};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", name, err);
    return c;
}

/* How many lines of text hold both a and b. */
static int lines_with(const char *text, const char *a, const char *b)
{
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
        if (strstr(buf, a) && strstr(buf, b))
            n++;
        line = end ? end + 1 : NULL;
    }
    return n;
}

/* The victim joins over transport and stops reading; an ENet member sends
 * FLOOD_PER_S events of EVENT_BODY bytes a second to the room for 4 s. */
static void stalled_member_under_an_event_flood(enum ricochet_transport transport)
{
    static const char *const schemes[] = {"quic", "enet", NULL};
    uint16_t port[2];
    struct spawn_proc relay;
    harness_start_edges(&relay, schemes, NULL, port);

    struct ricochet *c[2];
    c[0] = member(port[0], "stall", "victim", PROTO_MODE_RELIABLE, transport);
    c[1] = member(port[1], "stall", "flooder", PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_DEFAULT);
    struct harness_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.c[0] = c[0];
    rec.c[1] = c[1];
    rec.n = 2;
    assert_int_equal(harness_poll_until(c, 2, WAIT_MS, harness_rec_event, harness_all_see_all,
                                        &rec), 0);
    /* From here the victim is never polled: it reads nothing, acknowledges
     * nothing, as a process stopped. */
    uint8_t body[EVENT_BODY];
    memset(body, 0x5a, sizeof body);
    uint64_t start = clock_now_ms(), sent = 0;
    while (clock_now_ms() - start < 4000 && spawn_running(&relay)) {
        uint64_t due = (clock_now_ms() - start) * FLOOD_PER_S / 1000;
        for (; sent < due; sent++)
            assert_int_equal(ricochet_send_event(c[1], RICOCHET_TO_ROOM, body, sizeof body),
                             RICOCHET_OK);
        harness_poll_for(&c[1], 1, 5, NULL, NULL);
    }
    assert_true(spawn_running(&relay)); /* the relay lives */
    char *out = harness_relay_finish(&relay);
    char *err = spawn_read_stderr(&relay);
    /* closed once, one line */
    assert_int_equal(lines_with(err, "closing", "slow_reader"), 1);
    assert_int_equal(harness_stats_field(out, true, "kicks"), 1);
    free(out);
    free(err);
    spawn_free(&relay);
    ricochet_close(c[0]);
    ricochet_close(c[1]);
}

static void a_stalled_quic_member_under_an_event_flood(void **state)
{
    (void)state;
    stalled_member_under_an_event_flood(RICOCHET_TRANSPORT_QUIC);
}

static void a_stalled_webtransport_member_under_an_event_flood(void **state)
{
    (void)state;
    stalled_member_under_an_event_flood(RICOCHET_TRANSPORT_WEBTRANSPORT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stalled_quic_member_under_an_event_flood),
        cmocka_unit_test(a_stalled_webtransport_member_under_an_event_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
