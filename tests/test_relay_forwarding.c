/* test_relay_forwarding.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): forwarding: to every other member with the stamped id, channel,
 * flags and padding kept, a sequenced sender's late state, reflect, states before a join,
 * the late joiner's roster, clock offsets; events to the room or to one
 * member, stamped, and each refusal (no member, not joined, too long, cut
 * short); a state too long for a relay that seals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "sys/log.h"
#include "stats/rng.h"
#include "proto/seal.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "tests/support/fake_relay.h"

/* ---- forwarding ------------------------------------------------------- */

static void forwards_to_others_with_stamped_id(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 4);
    join(r, 2, "lobby", "c", false);
    join(r, 3, "elsewhere", "d", false);
    fake_clear();

    /* A forged sender id (2 = "b") is overwritten with the real one (1). */
    assert_int_equal(send_state(r, 0, 2, 7), 0);
    assert_int_equal(fk.n_states, 2);
    assert_int_equal(states_to(0), 0); /* never back to the sender */
    assert_int_equal(states_to(1), 1);
    assert_int_equal(states_to(2), 1);
    assert_int_equal(states_to(3), 0); /* other room */
    for (size_t i = 0; i < fk.n_states; i++) {
        struct proto_state s;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                         PROTO_OK);
        assert_int_equal(s.sender, 1);
        assert_int_equal(s.seq, 7);
        assert_true(s.x == 12.5f);
        assert_int_equal(fk.states[i].channel, PROTO_CHANNEL_STATE);
        assert_int_equal(fk.states[i].flags, PROTO_FLAG_UNSEQUENCED);
        assert_int_equal(fk.states[i].from, 0); /* the transport knows whose it is */
    }
    const struct relay_stats *st = relay_stats(r);
    assert_int_equal(st->states_in, 1);
    assert_int_equal(st->states_out, 2);
    relay_destroy(r);
}

/* Forwarded on the downstream channel and flags of the mode it arrived in
 * (proto/mode.c), padding kept. */
static void same_channel_and_flags_and_padding(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);

    uint64_t out0 = relay_stats(r)->bytes_out;
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 300); /* padded: bytes 40.. are 0xab */
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), 0);
    len = make_state(buf, 0, 2, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us), 0);
    len = make_state(buf, 0, 3, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us), 0);
    assert_int_equal(fk.n_states, 3);
    assert_int_equal(fk.states[0].channel, PROTO_CHANNEL_RELIABLE);
    assert_int_equal(fk.states[0].flags, PROTO_FLAG_RELIABLE);
    assert_int_equal(fk.states[0].len, 300);
    for (size_t i = PROTO_STATE_SIZE; i < 300; i++)
        assert_int_equal(fk.states[0].bytes[i], 0xab);
    for (int k = 1; k < 3; k++) {
        enum proto_mode m = k == 1 ? PROTO_MODE_SEQUENCED : PROTO_MODE_UNSEQUENCED;
        assert_int_equal(fk.states[k].channel, proto_mode_info(m)->down_channel);
        assert_int_equal(fk.states[k].flags, proto_mode_info(m)->down_flags);
    }
    assert_int_equal(relay_stats(r)->bytes_out - out0, 300 + 2 * PROTO_STATE_SIZE);
    relay_destroy(r);
}

/* The relay drops no state for being late, in any mode: only a receiver
 * can tell whether a sequenced state is late where it arrives (one late
 * here may be in time there, behind a newer one lost on the way down).
 * Later joiners' rosters get the sender's newest state, whatever the
 * order and modes its states came in. */
static void late_states_are_forwarded_rosters_keep_the_newest(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    uint8_t buf[PROTO_STATE_MAX];
    const struct { uint32_t seq; uint8_t ch; uint32_t flags; } steps[] = {
        {5, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED},
        {4, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED}, /* late */
        {5, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED}, /* repeated */
        {7, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE},
        {6, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED}, /* after a newer reliable one */
        {3, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t len = make_state(buf, 0, steps[i].seq, 1, 0);
        assert_int_equal(relay_on_datagram(r, 0, steps[i].ch, steps[i].flags, buf, len, now_us),
                         0);
        assert_int_equal(fk.n_states, i + 1);
    }
    assert_int_equal(relay_stats(r)->states_in, 6);
    for (enum relay_drop d = 0; d < RELAY_DROP_COUNT; d++)
        assert_int_equal(drops(r, d), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_ERROR), 0);
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    for (size_t i = 0; i < w->roster_len; i++)
        if (w->roster[i].id == relay_peer_id(r, 0)) {
            assert_true(w->roster[i].has_state);
            assert_int_equal(w->roster[i].state.seq, 7);
        }
    relay_destroy(r);
}

static void reflect_sends_back_to_sender(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 0, "lobby", "a", true);
    join(r, 1, "lobby", "b", false);
    fake_clear();
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(states_to(0), 1);
    assert_int_equal(states_to(1), 1);
    assert_int_equal(send_state(r, 1, 0, 1), 0); /* b did not ask */
    assert_int_equal(states_to(1), 1);
    assert_int_equal(states_to(0), 2);

    /* Alone in a room with reflect: still gets its own states. */
    connect_peer(r, 2);
    join(r, 2, "solo", "s", true);
    fake_clear();
    assert_int_equal(send_state(r, 2, 0, 1), 0);
    assert_int_equal(states_to(2), 1);
    struct proto_state s;
    assert_int_equal(proto_state_decode(fk.states[0].bytes, fk.states[0].len, &s), 0);
    assert_int_equal(s.sender, 3);
    relay_destroy(r);
}

static void state_before_join_dropped(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 1, "lobby", "b", false);
    fake_clear();
    assert_int_equal(send_state(r, 0, 0, 1), DROP(RELAY_DROP_NOT_JOINED));
    assert_int_equal(fk.n_states, 0);
    assert_string_equal(last_error(0), "not_joined");
    assert_int_equal(drops(r, RELAY_DROP_NOT_JOINED), 1);
    assert_int_equal(relay_stats(r)->states_in, 0);
    /* Many of them: counted, never a kick (a join may be on its way). */
    for (int i = 0; i < 40; i++) {
        now_us += 20000;
        send_state(r, 0, 0, (uint32_t)i);
    }
    assert_int_equal(drops(r, RELAY_DROP_NOT_JOINED), 41);
    assert_false(disconnected(0));
    assert_int_equal(fk.n_states, 0);
    relay_destroy(r);
}

/* A member's clock offset goes to the others (not back), stamped with its
 * id, and later joiners find it in the welcome's roster. */
static void clock_offsets_reach_the_room(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    assert_int_equal(send_text(r, 2, "{\"type\":\"clock\",\"offset_us\":5,\"bound_us\":1}"),
                     DROP(RELAY_DROP_NOT_JOINED));
    assert_int_equal(send_text(r, 0, "{\"type\":\"clock\",\"offset_us\":-10800000000,"
                                     "\"bound_us\":150}"), 0);
    const struct proto_control *m = last_ctl(1, PROTO_CTL_CLOCK);
    assert_non_null(m);
    assert_int_equal(m->id, 1);
    assert_true(m->clock_offset_us == -10800000000ll);
    assert_int_equal(m->clock_bound_us, 150);
    assert_null(last_ctl(0, PROTO_CTL_CLOCK));
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    for (size_t i = 0; i < w->roster_len; i++) {
        assert_int_equal(w->roster[i].has_clock, w->roster[i].id == 1);
        if (w->roster[i].id == 1)
            assert_true(w->roster[i].clock_offset_us == -10800000000ll);
    }
    relay_destroy(r);
}

static void late_joiner_gets_last_states(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 99, 41, 33.25f, 0);
    relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us);
    len = make_state(buf, 0, 42, 44.5f, 0);
    relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us);

    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->roster_len, 2);
    bool saw_a = false, saw_b = false;
    for (size_t i = 0; i < w->roster_len; i++) {
        const struct proto_member *m = &w->roster[i];
        if (m->id == 1) {
            saw_a = true;
            assert_true(m->has_state);
            assert_int_equal(m->state.seq, 42);
            assert_true(m->state.x == 44.5f);
            assert_string_equal(m->name, "a");
        } else if (m->id == 2) {
            saw_b = true;
            assert_false(m->has_state);
        }
    }
    assert_true(saw_a && saw_b);
    relay_destroy(r);
}

/* Sends an event from peer to `to` with body on the control channel. */
static int send_event(struct relay *r, uint32_t peer, uint32_t to, const uint8_t *body,
                      size_t len)
{
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode(buf, sizeof buf, to, body, len);
    assert_true(n > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                             (size_t)n, now_us);
}

/* The events the core sent to peer, decoded (bodies point into fk). */
static size_t events_to(uint32_t peer, struct proto_event *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        const uint8_t *b = (const uint8_t *)fk.ctl[i].json;
        if (fk.ctl[i].peer != peer || !proto_is_event(b, fk.ctl[i].len))
            continue;
        assert_true(n < cap);
        assert_int_equal(proto_event_decode(b, fk.ctl[i].len, &out[n]), PROTO_OK);
        n++;
    }
    return n;
}

static void events_reach_the_room_or_one_member_stamped(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 4);
    join(r, 2, "lobby", "c", false);
    join(r, 3, "elsewhere", "d", false);
    fake_clear();
    uint8_t body[PROTO_EVENT_BODY_MAX];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i ^ 0x5a);
    struct proto_event got[4];

    /* to the room: every other member of it, the sender's id stamped, the
     * body whole, in the order sent */
    assert_int_equal(send_event(r, 0, PROTO_EVENT_ROOM, body, sizeof body), 0);
    assert_int_equal(send_event(r, 0, PROTO_EVENT_ROOM, body + 1, 3), 0);
    assert_int_equal(events_to(0, got, 4), 0);
    assert_int_equal(events_to(3, got, 4), 0); /* another room */
    for (uint32_t p = 1; p <= 2; p++) {
        assert_int_equal(events_to(p, got, 4), 2);
        assert_int_equal(got[0].sender, 1);
        assert_int_equal(got[0].to, PROTO_EVENT_ROOM);
        assert_int_equal(got[0].len, sizeof body);
        assert_memory_equal(got[0].body, body, sizeof body);
        assert_int_equal(got[1].len, 3);
        assert_memory_equal(got[1].body, body + 1, 3);
    }
    /* to one member, by its id (c is 3): only it */
    fake_clear();
    assert_int_equal(send_event(r, 1, 3, body, 10), 0);
    assert_int_equal(events_to(0, got, 4), 0);
    assert_int_equal(events_to(2, got, 4), 1);
    assert_int_equal(got[0].sender, 2);
    assert_int_equal(got[0].to, 3);
    assert_int_equal(relay_stats(r)->events_in, 3);
    assert_int_equal(relay_stats(r)->events_out, 5);

    /* refused, each counted and told: an id in another room (d is 4), or
     * in none; too long; cut short; before a join */
    fake_clear();
    assert_int_equal(send_event(r, 0, 4, body, 1), DROP(RELAY_DROP_NO_MEMBER));
    assert_string_equal(last_error(0), "no_member");
    assert_non_null(strstr(last_ctl(0, PROTO_CTL_ERROR)->text, "no member 4"));
    assert_int_equal(send_event(r, 0, 99, body, 1), DROP(RELAY_DROP_NO_MEMBER));
    assert_int_equal(drops(r, RELAY_DROP_NO_MEMBER), 2);
    uint8_t big[PROTO_EVENT_MAX + 1];
    assert_int_equal(proto_event_encode(big, sizeof big, 0, body, PROTO_EVENT_BODY_MAX),
                     PROTO_EVENT_MAX);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, big,
                                       sizeof big, now_us), DROP(RELAY_DROP_TOO_BIG));
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, big,
                                       PROTO_EVENT_HEAD - 1, now_us), DROP(RELAY_DROP_BAD_STATE));
    connect_peer(r, 5);
    assert_int_equal(send_event(r, 5, PROTO_EVENT_ROOM, body, 1), DROP(RELAY_DROP_NOT_JOINED));
    for (uint32_t p = 1; p <= 4; p++)
        assert_int_equal(events_to(p, got, 4), 0);
    /* on a state channel an event is no state */
    assert_int_equal(proto_event_encode(big, sizeof big, 0, body, 30), PROTO_EVENT_HEAD + 30);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, big,
                                       PROTO_EVENT_HEAD + 30, now_us), DROP(RELAY_DROP_BAD_STATE));
    assert_int_equal(relay_stats(r)->events_in, 3);
    relay_destroy(r);
}

/* A relay that seals takes states up to SEAL_STATE_MAX, from every member
 * (sealed, each state is 25 bytes longer and no datagram over 1200): a
 * longer one is refused too_big, never cut; one in clear takes 1200. */
static void a_relay_that_seals_takes_shorter_states(void **state)
{
    (void)state;
    uint8_t buf[PROTO_STATE_MAX];
    for (int seals = 0; seals <= 1; seals++) {
        struct relay_config cfg = small_config();
        cfg.encrypt = seals; /* its members here are in clear: as a secure edge's */
        struct relay *r = lobby_of_two(&cfg, 4);
        size_t max = seals ? SEAL_STATE_MAX : PROTO_STATE_MAX;
        size_t len = make_state(buf, 0, 1, 1, max);
        assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
                                           buf, len, now_us), 0);
        assert_int_equal(fk.n_states, 1);
        assert_int_equal(fk.states[0].len, max);
        if (seals) {
            len = make_state(buf, 0, 2, 1, max + 1);
            assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE,
                                               PROTO_FLAG_UNSEQUENCED, buf, len, now_us),
                             DROP(RELAY_DROP_TOO_BIG));
            assert_string_equal(last_error(0), "too_big");
            assert_int_equal(fk.n_states, 1);
        }
        relay_destroy(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forwards_to_others_with_stamped_id),
        cmocka_unit_test(same_channel_and_flags_and_padding),
        cmocka_unit_test(late_states_are_forwarded_rosters_keep_the_newest),
        cmocka_unit_test(reflect_sends_back_to_sender),
        cmocka_unit_test(state_before_join_dropped),
        cmocka_unit_test(late_joiner_gets_last_states),
        cmocka_unit_test(clock_offsets_reach_the_room),
        cmocka_unit_test(events_reach_the_room_or_one_member_stamped),
        cmocka_unit_test(a_relay_that_seals_takes_shorter_states),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
