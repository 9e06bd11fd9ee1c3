/* test_ricochet.c: the public API of libricochet (client/lib/ricochet.h).
 *
 * The ABI: every public enum's values and every public struct's size and
 * field offsets are pinned (x86-64 and other LP64 targets), so a change
 * that would break programs built against the installed header fails here
 * first (docs/library.md, "Versions"). Then what the header promises:
 * configuration checks, mode names, events carrying their words by value,
 * a state's payload and an event's body handed whole until the next poll,
 * payloads and events sent or refused (too big, NULL), every call given a
 * NULL session or pointer returning an error rather than crashing,
 * members and statistics copied out as plain numbers, version numbers and
 * the log hook. Sessions are detached (client_test.h): the test plays the
 * relay message by message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/client.h"
#include "client/lib/client_test.h"
#include "client/lib/ricochet.h"
#include "proto/control.h"
#include "proto/mode.h"
#include "proto/wire.h"

#define T0 1000000000ull

static void enum_values_are_pinned(void **state)
{
    (void)state;
    assert_int_equal(RICOCHET_OK, 0);
    assert_int_equal(RICOCHET_E_INVALID, -1);
    assert_int_equal(RICOCHET_E_NOT_JOINED, -2);
    assert_int_equal(RICOCHET_E_SEND, -3);
    assert_int_equal(RICOCHET_E_UNSUPPORTED, -4);
    assert_int_equal(RICOCHET_E_TOO_BIG, -5);
    assert_int_equal(RICOCHET_MODE_UNSEQUENCED, 0);
    assert_int_equal(RICOCHET_MODE_SEQUENCED, 1);
    assert_int_equal(RICOCHET_MODE_RELIABLE, 2);
    assert_int_equal(RICOCHET_MODE_UDP, 3);
    assert_int_equal(RICOCHET_MODE_TCP, 4);
    assert_int_equal(RICOCHET_MODE_WS, 5);
    assert_int_equal(RICOCHET_MODE_STREAMS, 6);
    assert_int_equal(RICOCHET_TRANSPORT_DEFAULT, 0);
    assert_int_equal(RICOCHET_TRANSPORT_WEBRTC, 1);
    assert_int_equal(RICOCHET_TRANSPORT_QUIC, 2);
    assert_int_equal(RICOCHET_TRANSPORT_WEBTRANSPORT, 3);
    assert_int_equal(RICOCHET_EV_WELCOME, 0);
    assert_int_equal(RICOCHET_EV_STATE, 1);
    assert_int_equal(RICOCHET_EV_TOO_OLD, 2);
    assert_int_equal(RICOCHET_EV_JOINED, 3);
    assert_int_equal(RICOCHET_EV_LEFT, 4);
    assert_int_equal(RICOCHET_EV_CHAT, 5);
    assert_int_equal(RICOCHET_EV_ERROR, 6);
    assert_int_equal(RICOCHET_EV_DISCONNECTED, 7);
    assert_int_equal(RICOCHET_EV_MOVED, 8);
    assert_int_equal(RICOCHET_EV_APPEARED, 9);
    assert_int_equal(RICOCHET_EV_VANISHED, 10);
    assert_int_equal(RICOCHET_EV_EVENT, 11);
    assert_int_equal(RICOCHET_EV_ROOMS, 12);
    assert_int_equal(RICOCHET_EV_REJOINED, 13);
    assert_int_equal(RICOCHET_EV_ROOM, 14);
    assert_int_equal(RICOCHET_LOG_DEBUG, 0);
    assert_int_equal(RICOCHET_LOG_INFO, 1);
    assert_int_equal(RICOCHET_LOG_WARN, 2);
    assert_int_equal(RICOCHET_LOG_ERROR, 3);
    assert_int_equal(RICOCHET_LOG_OFF, 4);
    assert_int_equal(RICOCHET_INTERP_NONE, 0);
    assert_int_equal(RICOCHET_INTERP_BEFORE, 1);
    assert_int_equal(RICOCHET_INTERP_BETWEEN, 2);
    assert_int_equal(RICOCHET_INTERP_EXTRAPOLATED, 3);
    assert_int_equal(RICOCHET_INTERP_STALE, 4);
    assert_int_equal(RICOCHET_NAME_MAX, 32);
    assert_int_equal(RICOCHET_ROOM_MAX, 32);
    assert_int_equal(RICOCHET_TEXT_MAX, 200);
    assert_int_equal(RICOCHET_CODE_MAX, 31);
    assert_int_equal(RICOCHET_MEMBERS_MAX, 256);
    assert_int_equal(RICOCHET_DEFAULT_PORT, 7777);
    assert_int_equal(RICOCHET_DEFAULT_TIMEOUT_MS, 5000);
    assert_int_equal(RICOCHET_TICKET_MAX, 952);
    assert_int_equal(RICOCHET_PAYLOAD_MAX, 1135);
    assert_int_equal(RICOCHET_EVENT_MAX, 4096);
    assert_int_equal(RICOCHET_TO_ROOM, 0);
    assert_true(RICOCHET_ROOM_SENDER == 4294967295u);
    assert_string_equal(RICOCHET_END_TIMEOUT, "timeout");
    assert_string_equal(RICOCHET_END_REFUSED, "refused");
    assert_string_equal(RICOCHET_END_DISCONNECTED, "disconnected");
    assert_string_equal(RICOCHET_END_SOCKET, "socket");
    assert_string_equal(RICOCHET_END_WRONG_TRANSPORT, "wrong_transport");
    assert_string_equal(RICOCHET_END_MOVED_TOO_FAR, "moved_too_far");
}

#define ASSERT_LAYOUT(type, field, offset) assert_int_equal(offsetof(type, field), offset)

static void struct_layouts_are_pinned(void **state)
{
    (void)state;
#if UINTPTR_MAX == UINT64_MAX && defined(__x86_64__)
    assert_int_equal(sizeof(struct ricochet_state), 40);
    ASSERT_LAYOUT(struct ricochet_state, seq, 4);
    ASSERT_LAYOUT(struct ricochet_state, send_us, 8);
    ASSERT_LAYOUT(struct ricochet_state, x, 16);
    ASSERT_LAYOUT(struct ricochet_state, heading, 32);
    assert_int_equal(sizeof(struct ricochet_event), 352);
    ASSERT_LAYOUT(struct ricochet_event, id, 4);
    ASSERT_LAYOUT(struct ricochet_event, mode, 8);
    ASSERT_LAYOUT(struct ricochet_event, state, 16);
    ASSERT_LAYOUT(struct ricochet_event, recv_us, 56);
    ASSERT_LAYOUT(struct ricochet_event, latency_us, 64);
    ASSERT_LAYOUT(struct ricochet_event, latency_bound_us, 72);
    ASSERT_LAYOUT(struct ricochet_event, latency_known, 80);
    ASSERT_LAYOUT(struct ricochet_event, name, 81);
    ASSERT_LAYOUT(struct ricochet_event, code, 114);
    ASSERT_LAYOUT(struct ricochet_event, text, 146);
    assert_int_equal(sizeof(struct ricochet_stats), 88);
    ASSERT_LAYOUT(struct ricochet_stats, expected, 8);
    ASSERT_LAYOUT(struct ricochet_stats, no_latency, 48);
    ASSERT_LAYOUT(struct ricochet_stats, latency_max_us, 56);
    ASSERT_LAYOUT(struct ricochet_stats, latency_bound_us, 64);
    ASSERT_LAYOUT(struct ricochet_stats, latency_mean_us, 72);
    ASSERT_LAYOUT(struct ricochet_stats, jitter_us, 80);
    assert_int_equal(sizeof(struct ricochet_member), 184);
    ASSERT_LAYOUT(struct ricochet_member, name, 4);
    ASSERT_LAYOUT(struct ricochet_member, mode, 40);
    ASSERT_LAYOUT(struct ricochet_member, has_state, 44);
    ASSERT_LAYOUT(struct ricochet_member, last, 48);
    ASSERT_LAYOUT(struct ricochet_member, last_recv_us, 88);
    ASSERT_LAYOUT(struct ricochet_member, stats, 96);
    assert_int_equal(sizeof(struct ricochet_clock), 24);
    ASSERT_LAYOUT(struct ricochet_clock, offset_us, 8);
    ASSERT_LAYOUT(struct ricochet_clock, bound_us, 16);
    assert_int_equal(sizeof(struct ricochet_distribution), 48);
    ASSERT_LAYOUT(struct ricochet_distribution, p50_us, 8);
    ASSERT_LAYOUT(struct ricochet_distribution, max_us, 32);
    ASSERT_LAYOUT(struct ricochet_distribution, mean_us, 40);
    assert_int_equal(sizeof(struct ricochet_interp_point), 20);
    ASSERT_LAYOUT(struct ricochet_interp_point, x, 4);
    ASSERT_LAYOUT(struct ricochet_interp_point, y, 8);
    ASSERT_LAYOUT(struct ricochet_interp_point, seq_a, 12);
    ASSERT_LAYOUT(struct ricochet_interp_point, seq_b, 16);
#else
    skip(); /* pinned for x86-64, where the installed library is built and checked */
#endif
}

static void versions(void **state)
{
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", RICOCHET_VERSION_MAJOR, RICOCHET_VERSION_MINOR,
             RICOCHET_VERSION_PATCH);
    assert_string_equal(ricochet_version(), want);
    assert_int_equal(ricochet_version_number(), RICOCHET_VERSION_NUMBER);
    assert_int_equal(ricochet_protocol_version(), PROTO_VERSION);
}

static void mode_names_round_trip(void **state)
{
    (void)state;
    for (int m = RICOCHET_MODE_UNSEQUENCED; m <= RICOCHET_MODE_STREAMS; m++) {
        enum ricochet_mode back;
        const char *name = ricochet_mode_name((enum ricochet_mode)m);
        assert_non_null(name);
        assert_string_equal(name, proto_mode_name((enum proto_mode)m));
        assert_int_equal(ricochet_mode_parse(name, &back), RICOCHET_OK);
        assert_int_equal(back, m);
    }
    enum ricochet_mode unchanged = RICOCHET_MODE_RELIABLE;
    assert_null(ricochet_mode_name((enum ricochet_mode)7));
    assert_int_equal(ricochet_mode_parse("fast", &unchanged), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_mode_parse(NULL, &unchanged), RICOCHET_E_INVALID);
    assert_int_equal(unchanged, RICOCHET_MODE_RELIABLE);
}

static void config_setters_check_their_values(void **state)
{
    (void)state;
    struct ricochet_config *cfg = ricochet_config_new();
    char long_host[300];
    memset(long_host, 'h', sizeof long_host - 1);
    long_host[sizeof long_host - 1] = '\0';
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_relay(cfg, "", 7777), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_relay(cfg, long_host, 7777), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_relay(NULL, "a", 1), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_room(cfg, "no spaces"), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_name(cfg, ""), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_name(cfg, NULL), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_mode(cfg, (enum ricochet_mode)9), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, 3600001), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_rejoin_after(cfg, 99), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_rejoin_after(cfg, 3600001), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_rejoin_after(NULL, 1500), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_rejoin_after(cfg, 1000), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_reflect(NULL, true), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_aoi(cfg, -1), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_aoi(cfg, 0.001f), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_aoi(cfg, 2e5f), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_aoi(cfg, 0), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_aoi(cfg, 50), RICOCHET_OK);
    enum ricochet_transport past_last = (enum ricochet_transport)(RICOCHET_TRANSPORT_POLL + 1);
    assert_int_equal(ricochet_config_set_transport(cfg, past_last), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_transport(cfg, (enum ricochet_transport)-1),
                     RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_transport(cfg, RICOCHET_TRANSPORT_WEBTRANSPORT),
                     RICOCHET_OK);
    assert_int_equal(ricochet_config_set_transport(cfg, RICOCHET_TRANSPORT_DEFAULT),
                     RICOCHET_OK);

    /* No room and no name yet: connecting says which is missing, and opens
     * nothing. */
    char err[200] = "";
    ricochet_config_free(cfg);
    cfg = ricochet_config_new();
    assert_null(ricochet_connect(cfg, err, sizeof err));
    assert_non_null(strstr(err, "no relay (ricochet_config_set_relay)"));
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", 7777), RICOCHET_OK);
    assert_null(ricochet_connect(cfg, err, sizeof err));
    assert_non_null(strstr(err, "no room (ricochet_config_set_room"));
    assert_int_equal(ricochet_config_set_room(cfg, "lobby"), RICOCHET_OK);
    assert_null(ricochet_connect(cfg, err, sizeof err));
    assert_non_null(strstr(err, "no name (ricochet_config_set_name"));
    assert_null(ricochet_connect(NULL, NULL, 0)); /* no room for a message: fine */
    ricochet_config_free(cfg);
    ricochet_config_free(NULL);
}

/* Names and rooms are 1-32 bytes of [A-Za-z0-9_.-]: a setter refuses
 * another with the rule in words (ricochet_config_error), and connecting
 * after a refusal says the same, never that a name is "required". */
static void bad_names_say_the_rule(void **state)
{
    (void)state;
    struct ricochet_config *cfg = ricochet_config_new();
    char err[200] = "", long_name[40];
    memset(long_name, 'x', 33);
    long_name[33] = '\0';
    assert_string_equal(ricochet_config_error(cfg), "");
    assert_string_equal(ricochet_config_error(NULL), "");
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", 7777), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "lobby"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, "a\x1b"), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg),
                        "name 'a\\x1b': a name may not hold control characters (U+001B)");
    assert_null(ricochet_connect(cfg, err, sizeof err));
    assert_non_null(strstr(err, "name 'a\\x1b': a name may not hold control characters"));
    assert_null(strchr(err, '\n'));
    /* each kind of bad: too long, empty, none, only spaces, a bidi override
     * (shown escaped, the text beside it as it is: the message stays one
     * printable line) */
    assert_int_equal(ricochet_config_set_name(cfg, long_name), RICOCHET_E_INVALID);
    assert_non_null(strstr(ricochet_config_error(cfg), "xxxxxxxxx': a name may not be longer "
                                                       "than 32 bytes of UTF-8 (this one is 33;"));
    assert_int_equal(ricochet_config_set_name(cfg, ""), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg), "name '': a name may not be empty");
    assert_int_equal(ricochet_config_set_name(cfg, NULL), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg), "no name: a name may not be empty");
    assert_int_equal(ricochet_config_set_name(cfg, "  "), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg), "name '  ': a name may not be only spaces");
    assert_int_equal(ricochet_config_set_name(cfg, "민수\xe2\x80\xae"), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg),
                        "name '민수\\xe2\\x80\\xae': a name may not hold invisible format "
                        "characters (U+202E)");
    assert_int_equal(ricochet_config_set_room(cfg, "no spaces"), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg),
                        "room 'no spaces': 1-32 of A-Z a-z 0-9 _ . -");
    /* a good value clears the refusal; connecting then says the room's */
    assert_int_equal(ricochet_config_set_name(cfg, "Nguyễn Văn An"), RICOCHET_OK);
    assert_string_equal(ricochet_config_error(cfg), "");
    assert_null(ricochet_connect(cfg, err, sizeof err));
    assert_non_null(strstr(err, "room 'no spaces': 1-32 of A-Z a-z 0-9 _ . -"));
    assert_int_equal(ricochet_config_set_room(cfg, "lobby"), RICOCHET_OK);
    struct ricochet *r = client_connect_detached(cfg, err, sizeof err);
    assert_non_null(r);
    ricochet_close(r);
    /* the other setters say their rule too */
    assert_int_equal(ricochet_config_set_relay(cfg, "", 7777), RICOCHET_E_INVALID);
    assert_non_null(strstr(ricochet_config_error(cfg), "relay"));
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, 0), RICOCHET_E_INVALID);
    assert_non_null(strstr(ricochet_config_error(cfg), "1..3600000"));
    ricochet_config_free(cfg);
}

/* A detached session (mode as given) named "me" in room "r". */
static struct ricochet *session(enum ricochet_mode mode)
{
    struct ricochet_config *cfg = ricochet_config_new();
    char err[200];
    assert_int_equal(ricochet_config_set_relay(cfg, "relay.example", 7000), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "r"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, "me"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, mode), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, 2000), RICOCHET_OK);
    struct ricochet *r = client_connect_detached(cfg, err, sizeof err);
    ricochet_config_free(cfg); /* the session keeps nothing of it */
    assert_non_null(r);
    return r;
}

/* The relay says m on the control channel at now; returns the event's
 * presence (client_receive's answer). */
static int relay_says(struct ricochet *r, const struct proto_control *m, uint64_t now,
                      struct ricochet_event *ev)
{
    char buf[4096];
    int len = proto_control_encode(buf, sizeof buf, m);
    assert_true(len > 0);
    return client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, (uint8_t *)buf,
                          (size_t)len, now, ev);
}

static int relay_state(struct ricochet *r, uint32_t sender, uint32_t seq, uint64_t send_us,
                       uint64_t now, struct ricochet_event *ev)
{
    uint8_t buf[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = sender, .seq = seq, .send_us = send_us, .x = 12.5f,
                            .y = 50.0f, .vx = -1.0f, .heading = 3.0f};
    const struct proto_mode_info *mi = proto_mode_info(PROTO_MODE_UNSEQUENCED);
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    return client_receive(r, mi->down_channel, mi->down_flags, buf, sizeof buf, now, ev);
}

static void events_carry_their_words(void **state)
{
    (void)state;
    struct ricochet *r = session(RICOCHET_MODE_UNSEQUENCED);
    struct ricochet_event ev;
    static struct proto_control m;
    assert_string_equal(ricochet_relay_host(r), "relay.example");
    assert_int_equal(ricochet_relay_port(r), 7000);

    proto_control_init(&m, PROTO_CTL_WELCOME);
    m.id = 4;
    snprintf(m.room, sizeof m.room, "r");
    m.roster_len = 1;
    m.roster[0] = (struct proto_member){.id = 9, .mode = PROTO_MODE_RELIABLE};
    snprintf(m.roster[0].name, sizeof m.roster[0].name, "nine");
    assert_int_equal(relay_says(r, &m, T0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    assert_int_equal(ev.id, 4);
    assert_int_equal(ev.mode, RICOCHET_MODE_UNSEQUENCED);
    assert_true(ricochet_joined(r));
    assert_int_equal(ricochet_id(r), 4);

    proto_control_init(&m, PROTO_CTL_CHAT);
    m.id = 9;
    snprintf(m.name, sizeof m.name, "nine");
    snprintf(m.text, sizeof m.text, "hello there");
    assert_int_equal(relay_says(r, &m, T0 + 1, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_CHAT);
    assert_int_equal(ev.id, 9);
    assert_string_equal(ev.name, "nine");
    assert_string_equal(ev.text, "hello there");

    proto_control_init(&m, PROTO_CTL_LEFT);
    m.id = 9;
    snprintf(m.name, sizeof m.name, "nine");
    m.reason = PROTO_LEFT_KICKED;
    assert_int_equal(relay_says(r, &m, T0 + 2, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_LEFT);
    assert_string_equal(ev.code, "kicked");
    assert_string_equal(ev.name, "nine");
    ricochet_close(r);
}

static void members_and_stats_are_plain_copies(void **state)
{
    (void)state;
    struct ricochet *r = session(RICOCHET_MODE_UNSEQUENCED);
    struct ricochet_event ev;
    static struct proto_control m;
    proto_control_init(&m, PROTO_CTL_WELCOME);
    m.id = 4;
    snprintf(m.room, sizeof m.room, "r");
    assert_int_equal(relay_says(r, &m, T0, &ev), 1);
    proto_control_init(&m, PROTO_CTL_JOINED);
    m.id = 7;
    m.mode = PROTO_MODE_SEQUENCED;
    snprintf(m.name, sizeof m.name, "seven");
    assert_int_equal(relay_says(r, &m, T0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_JOINED);
    assert_int_equal(ev.mode, RICOCHET_MODE_SEQUENCED);

    /* seq 1, 2, 2 (a duplicate), 5: 3 and 4 lost. One host, one clock:
     * the latency is recv - send, but unknown until both offsets are. */
    assert_int_equal(relay_state(r, 7, 1, T0, T0 + 1000, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_STATE);
    assert_int_equal(ev.state.sender, 7);
    assert_int_equal(ev.state.seq, 1);
    assert_true(ev.state.x == 12.5f && ev.state.heading == 3.0f);
    assert_false(ev.latency_known);
    relay_state(r, 7, 2, T0, T0 + 2000, &ev);
    relay_state(r, 7, 2, T0, T0 + 2500, &ev);
    relay_state(r, 7, 5, T0, T0 + 3000, &ev);

    struct ricochet_member out[RICOCHET_MEMBERS_MAX];
    assert_int_equal(ricochet_members(r, NULL, 0), 1); /* how many, nothing copied */
    assert_int_equal(ricochet_members(r, out, RICOCHET_MEMBERS_MAX), 1);
    assert_int_equal(out[0].id, 7);
    assert_string_equal(out[0].name, "seven");
    assert_int_equal(out[0].mode, RICOCHET_MODE_SEQUENCED);
    assert_true(out[0].has_state);
    assert_int_equal(out[0].last.seq, 5);
    assert_int_equal(out[0].last_recv_us, T0 + 3000);
    const struct client_member *inside = client_member(r, 7);
    assert_int_equal(out[0].stats.received, inside->stats.received);
    assert_int_equal(out[0].stats.received, 3);
    assert_int_equal(out[0].stats.expected, 5);
    assert_int_equal(out[0].stats.lost, 2);
    assert_int_equal(out[0].stats.duplicates, 1);
    assert_int_equal(out[0].stats.no_latency, 3); /* no clock offsets yet */

    struct ricochet_member one;
    assert_int_equal(ricochet_member(r, 7, &one), RICOCHET_OK);
    assert_memory_equal(&one, &out[0], sizeof one);
    assert_int_equal(ricochet_member(r, 8, &one), RICOCHET_E_INVALID);

    struct ricochet_clock clock;
    struct ricochet_distribution lat;
    ricochet_clock(r, &clock);
    assert_false(clock.known);
    ricochet_latency(r, &lat);
    assert_int_equal(lat.count, 0); /* nothing timed without offsets */
    ricochet_close(r);
}

static void sending_says_why_not(void **state)
{
    (void)state;
    struct ricochet *r = session(RICOCHET_MODE_UDP);
    struct ricochet_state s = {.x = 1};
    assert_int_equal(ricochet_send_state(r, &s), RICOCHET_E_NOT_JOINED);
    assert_int_equal(ricochet_send_chat(r, "hi"), RICOCHET_E_NOT_JOINED);
    assert_int_equal(ricochet_send_chat(r, ""), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_state(r, NULL), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_set_mode(r, RICOCHET_MODE_RELIABLE), RICOCHET_E_UNSUPPORTED);
    assert_int_equal(ricochet_set_mode(r, (enum ricochet_mode)-1), RICOCHET_E_INVALID);

    struct ricochet_event ev;
    static struct proto_control m;
    proto_control_init(&m, PROTO_CTL_WELCOME);
    m.id = 2;
    snprintf(m.room, sizeof m.room, "r");
    uint8_t buf[4096];
    int len = proto_control_encode((char *)buf, sizeof buf, &m);
    assert_int_equal(client_receive(r, PROTO_CHANNEL_DATAGRAM, 0, buf, (size_t)len, T0, &ev), 1);
    assert_int_equal(ricochet_send_state(r, &s), RICOCHET_OK); /* udp: no connection needed */
    assert_int_equal(client_next_seq(r), 2);
    s.x = 1e9f; /* beyond the wire's values */
    assert_int_equal(ricochet_send_state(r, &s), RICOCHET_E_INVALID);
    assert_int_equal(client_next_seq(r), 2);
    assert_int_equal(ricochet_send_chat(r, "hi"), RICOCHET_OK);
    ricochet_close(r);
}

struct log_catch {
    enum ricochet_log_level level;
    char line[256];
    int lines;
};

static void catch_line(void *ctx, enum ricochet_log_level level, const char *line)
{
    struct log_catch *lc = ctx;
    lc->level = level;
    snprintf(lc->line, sizeof lc->line, "%s", line);
    lc->lines++;
}

static void logs_go_where_the_program_says(void **state)
{
    (void)state;
    struct log_catch lc = {0};
    ricochet_set_log(RICOCHET_LOG_DEBUG, catch_line, &lc);
    struct ricochet *r = session(RICOCHET_MODE_UNSEQUENCED);
    struct ricochet_event ev;
    uint8_t junk[3] = {'{', 'x', '}'};
    assert_int_equal(client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, junk,
                                    sizeof junk, T0, &ev), 0);
    assert_int_equal(lc.level, RICOCHET_LOG_DEBUG);
    assert_non_null(strstr(lc.line, "dropped control message"));
    int seen = lc.lines;
    ricochet_set_log(RICOCHET_LOG_OFF, catch_line, &lc);
    client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, junk, sizeof junk, T0, &ev);
    assert_int_equal(lc.lines, seen);
    ricochet_set_log(RICOCHET_LOG_INFO, NULL, NULL);
    ricochet_close(r);
}

/* A state's payload and an event's body reach the game whole, pointed to
 * until the next poll; what a game sends is refused whole past its limit. */
static void payloads_and_events_reach_the_game(void **state)
{
    (void)state;
    struct ricochet *r = session(RICOCHET_MODE_SEQUENCED);
    struct ricochet_event ev;
    static struct proto_control m;
    size_t len = 99;
    assert_null(ricochet_event_bytes(r, &len));
    assert_int_equal(len, 0);
    /* before the welcome: nothing goes */
    uint8_t body[RICOCHET_EVENT_MAX + 1] = {1, 2, 3};
    assert_int_equal(ricochet_send_event(r, RICOCHET_TO_ROOM, body, 3), RICOCHET_E_NOT_JOINED);
    proto_control_init(&m, PROTO_CTL_WELCOME);
    m.id = 4;
    snprintf(m.room, sizeof m.room, "r");
    m.roster_len = 1;
    m.roster[0] = (struct proto_member){.id = 9, .mode = PROTO_MODE_RELIABLE};
    snprintf(m.roster[0].name, sizeof m.roster[0].name, "nine");
    assert_int_equal(relay_says(r, &m, T0, &ev), 1);

    /* a state of 40 + 300 bytes: the payload, whole */
    uint8_t buf[PROTO_STATE_MAX];
    struct proto_state s = {.sender = 9, .seq = 5, .send_us = T0, .x = 1, .y = 2};
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    for (size_t i = 0; i < 300; i++)
        buf[PROTO_STATE_SIZE + i] = (uint8_t)(i * 13 + 1);
    const struct proto_mode_info *mi = proto_mode_info(PROTO_MODE_SEQUENCED);
    assert_int_equal(client_receive(r, mi->down_channel, mi->down_flags, buf,
                                    PROTO_STATE_SIZE + 300, T0 + 1, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_STATE);
    const uint8_t *p = ricochet_event_bytes(r, &len);
    assert_int_equal(len, 300);
    assert_memory_equal(p, buf + PROTO_STATE_SIZE, 300);
    /* the same state again is too old: its payload comes with it too */
    assert_int_equal(client_receive(r, mi->down_channel, mi->down_flags, buf,
                                    PROTO_STATE_SIZE + 7, T0 + 2, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_TOO_OLD);
    assert_non_null(ricochet_event_bytes(r, &len));
    assert_int_equal(len, 7);

    /* an event to the room, then one to me alone, stamped by the relay */
    uint8_t evb[PROTO_EVENT_MAX];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i ^ 0xa5);
    int n = proto_event_encode(evb, sizeof evb, RICOCHET_TO_ROOM, body, RICOCHET_EVENT_MAX);
    proto_state_stamp_sender(evb, 9);
    assert_int_equal(client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, evb,
                                    (size_t)n, T0 + 3, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_EVENT);
    assert_int_equal(ev.id, 9);
    assert_string_equal(ev.name, "nine");
    assert_string_equal(ev.code, "room");
    p = ricochet_event_bytes(r, &len);
    assert_int_equal(len, RICOCHET_EVENT_MAX);
    assert_memory_equal(p, body, RICOCHET_EVENT_MAX);
    n = proto_event_encode(evb, sizeof evb, 4, NULL, 0);
    proto_state_stamp_sender(evb, 9);
    assert_int_equal(client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, evb,
                                    (size_t)n, T0 + 4, &ev), 1);
    assert_string_equal(ev.code, "direct");
    assert_null(ricochet_event_bytes(r, &len)); /* an empty body */
    assert_int_equal(len, 0);
    /* one for another member, or without a sender, is dropped */
    n = proto_event_encode(evb, sizeof evb, 5, body, 3);
    proto_state_stamp_sender(evb, 9);
    assert_int_equal(client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, evb,
                                    (size_t)n, T0 + 5, &ev), 0);
    n = proto_event_encode(evb, sizeof evb, 0, body, 3);
    assert_int_equal(client_receive(r, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, evb,
                                    (size_t)n, T0 + 5, &ev), 0);
    /* the next message's event has none of the last one's bytes */
    proto_control_init(&m, PROTO_CTL_CHAT);
    m.id = 9;
    snprintf(m.name, sizeof m.name, "nine");
    snprintf(m.text, sizeof m.text, "hi");
    assert_int_equal(relay_says(r, &m, T0 + 6, &ev), 1);
    assert_null(ricochet_event_bytes(r, &len));

    /* sending (a plain-UDP session: the test double sends without a
     * connection): the limits, refused whole */
    ricochet_close(r);
    r = session(RICOCHET_MODE_UDP);
    proto_control_init(&m, PROTO_CTL_WELCOME);
    m.id = 4;
    snprintf(m.room, sizeof m.room, "r");
    char json[512];
    n = proto_control_encode(json, sizeof json, &m);
    assert_int_equal(client_receive(r, PROTO_CHANNEL_DATAGRAM, 0, (const uint8_t *)json,
                                    (size_t)n, T0 + 7, &ev), 1);
    struct ricochet_state st = {.x = 1, .y = 1};
    static uint8_t big[RICOCHET_PAYLOAD_MAX + 1];
    assert_int_equal(ricochet_send_state_payload(r, &st, big, RICOCHET_PAYLOAD_MAX + 1),
                     RICOCHET_E_TOO_BIG);
    assert_int_equal(ricochet_send_state_payload(r, &st, NULL, 3), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_state_payload(r, &st, big, RICOCHET_PAYLOAD_MAX), RICOCHET_OK);
    assert_int_equal(ricochet_send_state_payload(r, &st, NULL, 0), RICOCHET_OK);
    assert_int_equal(ricochet_send_event(r, 9, body, RICOCHET_EVENT_MAX + 1), RICOCHET_E_TOO_BIG);
    assert_int_equal(ricochet_send_event(r, 9, NULL, 1), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_event(r, 9, body, 17), RICOCHET_OK);
    uint8_t sent[PROTO_EVENT_MAX];
    size_t got = client_last_control(r, sent, sizeof sent);
    struct proto_event e;
    assert_int_equal(proto_event_decode(sent, got, &e), PROTO_OK);
    assert_int_equal(e.sender, 0);
    assert_int_equal(e.to, 9);
    assert_int_equal(e.len, 17);
    assert_memory_equal(e.body, body, 17);
    assert_non_null(strstr(ricochet_strerror(RICOCHET_E_TOO_BIG), "too big"));
    assert_string_equal(ricochet_strerror(RICOCHET_OK), "ok");
    assert_string_equal(ricochet_strerror(-99), "unknown status");
    ricochet_close(r);
}

/* Every call given a NULL session or pointer answers an error (or does
 * nothing), never crashes: what a binding passes for a closed session. */
static void null_is_an_error_never_a_crash(void **state)
{
    (void)state;
    struct ricochet_event ev;
    struct ricochet_state st = {0};
    struct ricochet_member mem;
    struct ricochet_clock clk;
    struct ricochet_distribution dist;
    struct ricochet_stats stats;
    size_t len = 5;
    assert_int_equal(ricochet_poll(NULL, 0, &ev), -1);
    assert_int_equal(ricochet_fd(NULL), -1);
    assert_int_equal(ricochet_send_state(NULL, &st), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_state_payload(NULL, &st, "x", 1), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_event(NULL, 0, "x", 1), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_chat(NULL, "hi"), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_set_mode(NULL, RICOCHET_MODE_RELIABLE), RICOCHET_E_INVALID);
    ricochet_flush(NULL);
    assert_null(ricochet_event_bytes(NULL, &len));
    assert_int_equal(len, 0);
    assert_false(ricochet_joined(NULL));
    assert_false(ricochet_sealed(NULL));
    assert_int_equal(ricochet_id(NULL), 0);
    assert_true(ricochet_room_aoi(NULL) == 0);
    assert_int_equal(ricochet_mode(NULL), RICOCHET_MODE_UNSEQUENCED);
    assert_int_equal(ricochet_transport(NULL), RICOCHET_TRANSPORT_DEFAULT);
    assert_string_equal(ricochet_relay_host(NULL), "");
    assert_int_equal(ricochet_relay_port(NULL), 0);
    assert_string_equal(ricochet_end_reason(NULL), "");
    assert_int_equal(ricochet_members(NULL, &mem, 1), 0);
    assert_int_equal(ricochet_member(NULL, 1, &mem), RICOCHET_E_INVALID);
    ricochet_clock(NULL, &clk);
    ricochet_latency(NULL, &dist);
    ricochet_rtt(NULL, &dist, &stats);
    ricochet_close(NULL);
    /* a live session given NULL pointers */
    struct ricochet *r = session(RICOCHET_MODE_UNSEQUENCED);
    assert_int_equal(ricochet_poll(r, 0, NULL), -1);
    assert_int_equal(ricochet_send_state(r, NULL), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_chat(r, NULL), RICOCHET_E_INVALID);
    assert_null(ricochet_event_bytes(r, NULL));
    assert_int_equal(ricochet_members(r, NULL, 4), 0);
    assert_int_equal(ricochet_member(r, 1, NULL), RICOCHET_E_INVALID);
    ricochet_clock(r, NULL);
    ricochet_latency(r, NULL);
    ricochet_rtt(r, NULL, NULL);
    ricochet_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enum_values_are_pinned),
        cmocka_unit_test(struct_layouts_are_pinned),
        cmocka_unit_test(versions),
        cmocka_unit_test(mode_names_round_trip),
        cmocka_unit_test(config_setters_check_their_values),
        cmocka_unit_test(bad_names_say_the_rule),
        cmocka_unit_test(events_carry_their_words),
        cmocka_unit_test(members_and_stats_are_plain_copies),
        cmocka_unit_test(sending_says_why_not),
        cmocka_unit_test(logs_go_where_the_program_says),
        cmocka_unit_test(payloads_and_events_reach_the_game),
        cmocka_unit_test(null_is_an_error_never_a_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
