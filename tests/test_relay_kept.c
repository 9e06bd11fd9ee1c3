/* test_relay_kept.c: kept events (PROTOCOL.md, "Kept events") in the relay
 * core, through a fake transport (support/fake_relay.h): a joiner gets the
 * room's kept events right after its welcome, before the room's later
 * messages, in arrival order, marked kept, senders stamped; the newest of
 * a key replaces the old one and goes last; an empty one clears the key;
 * a sender's events go when it leaves but those sent with stay, and stay
 * when its player takes its own place back; the room's end takes them
 * all; the bound refuses an event whole (too_big, counted kept_full, not
 * forwarded) and a replacement within it is taken; a kept event to one
 * member or with a bad key is bad_state; a client's kept mark is cleared;
 * a kept key is its keeper's and the room owner's to replace or clear:
 * another member is refused not_owner, the keeper back with its key has
 * its rights back; a replay goes out over turns (8 events a turn) and
 * what comes for the joiner meanwhile waits behind it, in order; a source
 * joins 256 times at once (a full room), then 4 a second (rate_limited). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "tests/support/fake_relay.h"

#define KEPT_BOUND 16384 /* PROTOCOL.md's bound on a room's kept events */

/* peer keeps key = body (len 0: clears it), stay or not. */
static int keep(struct relay *r, uint32_t peer, const char *key, bool stay, const void *body,
                size_t len)
{
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode_kept(buf, sizeof buf, key, stay, body, len);
    assert_true(n > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                             (size_t)n, now_us);
}

/* What peer was sent, in order: 'w' a welcome, 'e' an event, 'j' a
 * joined, '?' anything else; events decoded into ev (bodies point into fk). */
static size_t sent_to(uint32_t peer, char *kinds, struct proto_event *ev, size_t cap)
{
    size_t n = 0, k = 0;
    for (size_t i = 0; i < fk.n_ctl && n + 1 < cap; i++) {
        if (fk.ctl[i].peer != peer)
            continue;
        const uint8_t *b = (const uint8_t *)fk.ctl[i].json;
        if (proto_is_event(b, fk.ctl[i].len)) {
            assert_int_equal(proto_event_decode(b, fk.ctl[i].len, &ev[k++]), PROTO_OK);
            kinds[n++] = 'e';
            continue;
        }
        enum proto_ctl_type t = ctl_at(i)->type;
        kinds[n++] = t == PROTO_CTL_WELCOME ? 'w' : t == PROTO_CTL_JOINED ? 'j' : '?';
    }
    kinds[n] = '\0';
    return k;
}

static void expect_kept(const struct proto_event *e, uint32_t sender, const char *key,
                        const char *body)
{
    assert_int_equal(e->sender, sender);
    assert_int_equal(e->to, PROTO_EVENT_ROOM);
    assert_true(e->flags & PROTO_EVENT_KEPT);
    assert_int_equal(e->key_len, strlen(key));
    assert_memory_equal(e->key, key, e->key_len);
    assert_int_equal(e->len, strlen(body));
    assert_memory_equal(e->body, body, e->len);
}

static void a_joiner_gets_them_in_order_after_its_welcome(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 4);
    assert_int_equal(keep(r, 0, "it", false, "b", 1), 0);
    assert_int_equal(keep(r, 0, "score", true, "1:0", 3), 0);
    assert_int_equal(keep(r, 1, "door3", true, "open", 4), 0);
    assert_int_equal(keep(r, 0, "it", false, "a", 1), 0); /* replaced: goes last */
    assert_int_equal(keep(r, 1, "door3", false, NULL, 0), 0); /* cleared */
    assert_int_equal(keep(r, 1, "nothing", false, NULL, 0), 0); /* a clear of none */
    /* live: each went to the room as it came, never marked kept */
    char kinds[32];
    struct proto_event ev[16];
    assert_int_equal(sent_to(1, kinds, ev, 16), 3);
    for (int i = 0; i < 3; i++)
        assert_false(ev[i].flags & PROTO_EVENT_KEPT);
    assert_int_equal(relay_stats(r)->events_in, 6);

    fake_clear();
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    assert_int_equal(keep(r, 1, "late", false, "x", 1), 0); /* the room's live traffic */
    assert_int_equal(sent_to(2, kinds, ev, 16), 3);
    assert_string_equal(kinds, "weee");
    expect_kept(&ev[0], 1, "score", "1:0");
    expect_kept(&ev[1], 1, "it", "a");
    assert_false(ev[2].flags & PROTO_EVENT_KEPT); /* the live one after */
    assert_int_equal(ev[2].sender, 2);
    /* the others hear of the joiner, and of nothing kept again */
    assert_int_equal(sent_to(0, kinds, ev, 16), 1);
    assert_string_equal(kinds, "je");
    relay_destroy(r);
}

static void a_leaver_takes_its_own_but_those_that_stay(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 4);
    assert_int_equal(keep(r, 0, "flag", false, "a has it", 8), 0);
    assert_int_equal(keep(r, 0, "door", true, "open", 4), 0);
    assert_int_equal(keep(r, 1, "b", false, "b's", 3), 0);
    relay_peer_gone(r, 0, PROTO_LEFT_TIMEOUT, now_us);
    fake_clear();
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    char kinds[32];
    struct proto_event ev[16];
    assert_int_equal(sent_to(2, kinds, ev, 16), 2);
    expect_kept(&ev[0], 1, "door", "open"); /* its sender gone, its id kept */
    expect_kept(&ev[1], 2, "b", "b's");

    /* the room's end takes them all */
    relay_peer_gone(r, 1, PROTO_LEFT_QUIT, now_us);
    relay_peer_gone(r, 2, PROTO_LEFT_QUIT, now_us);
    fake_clear();
    assert_int_equal(join(r, 3, "lobby", "d", false), 0);
    assert_int_equal(sent_to(3, kinds, ev, 16), 0);
    assert_string_equal(kinds, "w");
    relay_destroy(r);
}

/* A player who takes its own place back (its key, its source, its room:
 * PROTOCOL.md, Players who come back) never left: its events stay. */
static void a_player_back_in_its_place_keeps_them(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 4);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    char key[PROTO_KEY_LEN + 1];
    snprintf(key, sizeof key, "%s", last_ctl(0, PROTO_CTL_WELCOME)->key);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    assert_int_equal(keep(r, 0, "flag", false, "mine", 4), 0);
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "lobby");
    snprintf(m.name, sizeof m.name, "a");
    snprintf(m.key, sizeof m.key, "%s", key);
    assert_int_equal(send_control_msg(r, 3, PROTO_CHANNEL_CONTROL, &m), 0);
    assert_true(last_ctl(1, PROTO_CTL_JOINED)->rejoined);
    fake_clear();
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    char kinds[32];
    struct proto_event ev[16];
    assert_int_equal(sent_to(2, kinds, ev, 16), 1);
    expect_kept(&ev[0], 1, "flag", "mine");
    relay_destroy(r);
}

static void the_bound_refuses_whole_and_says_so(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    uint8_t body[PROTO_EVENT_BODY_MAX];
    memset(body, 'z', sizeof body);
    char key[8];
    size_t each = PROTO_EVENT_HEAD + 2 + 1000, fit = KEPT_BOUND / each; /* 15 */
    for (size_t i = 0; i < fit; i++) {
        snprintf(key, sizeof key, "%02zu", i);
        assert_int_equal(keep(r, 0, key, false, body, 1000), 0);
    }
    fake_clear();
    assert_int_equal(keep(r, 0, "xx", false, body, 1000), DROP(RELAY_DROP_KEPT_FULL));
    assert_string_equal(last_error(0), "too_big");
    assert_non_null(strstr(last_ctl(0, PROTO_CTL_ERROR)->text, "keeps 16384 bytes"));
    assert_int_equal(drops(r, RELAY_DROP_KEPT_FULL), 1);
    char kinds[32];
    struct proto_event ev[16];
    assert_int_equal(sent_to(1, kinds, ev, 16), 0); /* not forwarded either */
    assert_false(disconnected(0));
    /* a replacement counts the one it replaces as gone; a clear makes room */
    assert_int_equal(keep(r, 0, "03", false, body, 1000), 0);
    assert_int_equal(keep(r, 0, "04", false, NULL, 0), 0);
    assert_int_equal(keep(r, 0, "xx", false, body, 1000), 0);
    assert_int_equal(drops(r, RELAY_DROP_KEPT_FULL), 1);
    relay_destroy(r);
}

static void refusals_and_the_relays_mark(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    uint8_t buf[PROTO_EVENT_MAX];
    /* kept, to one member: no room's to keep */
    int n = proto_event_encode_kept(buf, sizeof buf, "k", false, "x", 1);
    buf[11] = 2;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                                       (size_t)n, now_us), DROP(RELAY_DROP_BAD_STATE));
    assert_non_null(strstr(last_ctl(0, PROTO_CTL_ERROR)->text, "goes to the room"));
    /* a key with a space */
    n = proto_event_encode_kept(buf, sizeof buf, "kk", false, "x", 1);
    buf[PROTO_EVENT_HEAD] = ' ';
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                                       (size_t)n, now_us), DROP(RELAY_DROP_BAD_STATE));
    assert_non_null(strstr(last_ctl(0, PROTO_CTL_ERROR)->text, "key is 1..32 bytes"));
    /* a client's own kept mark, on a plain event: cleared on the way */
    fake_clear();
    n = proto_event_encode(buf, sizeof buf, PROTO_EVENT_ROOM, "x", 1);
    buf[2] = PROTO_EVENT_KEPT;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                                       (size_t)n, now_us), 0);
    char kinds[32];
    struct proto_event ev[4];
    assert_int_equal(sent_to(1, kinds, ev, 4), 1);
    assert_int_equal(ev[0].flags, 0);
    relay_destroy(r);
}

/* peer joins room as name with key (a player coming back on a new connection). */
static void join_with_key(struct relay *r, uint32_t peer, const char *name, const char *key)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "lobby");
    snprintf(m.name, sizeof m.name, "%s", name);
    snprintf(m.key, sizeof m.key, "%s", key);
    assert_int_equal(send_control_msg(r, peer, PROTO_CHANNEL_CONTROL, &m), 0);
}

/* Only the player that kept a key, or the room's owner, replaces or
 * clears it: another member is refused whole (not_owner, counted, not
 * forwarded, not kept) and stays; a stay key whose keeper left is the
 * owner's; the keeper back with its key has its rights back. */
static void a_kept_key_is_its_keepers(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 6);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0); /* a made the room: its owner */
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    char key_b[PROTO_KEY_LEN + 1];
    snprintf(key_b, sizeof key_b, "%s", last_ctl(1, PROTO_CTL_WELCOME)->key);
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    assert_int_equal(keep(r, 1, "coin0", true, "gold", 4), 0);
    fake_clear();
    assert_int_equal(keep(r, 2, "coin0", true, "mine", 4), DROP(RELAY_DROP_NOT_OWNER));
    assert_string_equal(last_error(2), "not_owner");
    assert_non_null(strstr(last_ctl(2, PROTO_CTL_ERROR)->text,
                           "the kept key 'coin0' is another player's"));
    assert_int_equal(keep(r, 2, "coin0", true, NULL, 0), DROP(RELAY_DROP_NOT_OWNER));
    assert_int_equal(drops(r, RELAY_DROP_NOT_OWNER), 2);
    assert_false(disconnected(2));
    char kinds[32];
    struct proto_event ev[16];
    assert_int_equal(sent_to(0, kinds, ev, 16), 0); /* not forwarded */
    /* the keeper replaces its own; a key of no one's is anyone's */
    assert_int_equal(keep(r, 1, "coin0", true, "gold2", 5), 0);
    assert_int_equal(keep(r, 2, "door", true, "shut", 4), 0);

    /* the keeper gone, its stay key is the owner's: not another member's */
    relay_peer_gone(r, 1, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(keep(r, 2, "coin0", true, NULL, 0), DROP(RELAY_DROP_NOT_OWNER));
    /* the keeper back with its key (a new connection): its own again */
    connect_peer(r, 3);
    join_with_key(r, 3, "b", key_b);
    assert_int_equal(keep(r, 3, "coin0", true, "gold3", 5), 0);
    /* the owner replaces or clears anyone's */
    assert_int_equal(keep(r, 0, "door", true, "open", 4), 0);
    assert_int_equal(keep(r, 2, "door", true, NULL, 0), DROP(RELAY_DROP_NOT_OWNER));
    assert_int_equal(keep(r, 0, "coin0", true, NULL, 0), 0);
    fake_clear();
    assert_int_equal(join(r, 4, "lobby", "d", false), 0);
    assert_int_equal(sent_to(4, kinds, ev, 16), 1);
    expect_kept(&ev[0], 1, "door", "open");
    relay_destroy(r);
}

static void a_replay_goes_over_turns_and_what_comes_waits(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    struct relay *r = lobby_of_two(&cfg, 4);
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%03d", i);
        assert_int_equal(keep(r, 0, key, false, "x", 1), 0);
    }
    fake_clear();
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    char kinds[256];
    static struct proto_event ev[128];
    assert_int_equal(sent_to(2, kinds, ev, 128), 8); /* a turn's worth at once */
    assert_int_equal(keep(r, 1, "late", false, "y", 1), 0); /* the room's live traffic */
    assert_int_equal(sent_to(2, kinds, ev, 128), 8);       /* ... waits behind the rest */
    int turns = 0;
    for (; turns < 100 && relay_join_due(r) != UINT64_MAX; turns++) {
        if (relay_join_due(r) > now_us)
            now_us = relay_join_due(r);
        relay_tick(r, now_us);
    }
    assert_true(turns >= 12); /* 100 events: 13 turns of 8 at most */
    assert_int_equal(sent_to(2, kinds, ev, 128), 101);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%03d", i);
        expect_kept(&ev[i], 1, key, "x");
    }
    assert_false(ev[100].flags & PROTO_EVENT_KEPT); /* the live one, last */
    assert_int_equal(ev[100].sender, 2);
    assert_memory_equal(ev[100].key, "late", 4);
    relay_destroy(r);
}

static void a_source_joins_a_full_room_at_once_then_4_a_second(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    struct relay *r = make_relay(&cfg);
    connect_peer_from(r, 0, "10.0.0.7");
    connect_peer_from(r, 1, "10.0.0.8");
    for (int i = 0; i < 256; i++) { /* a full room's joins from one source, at once */
        assert_int_equal(join(r, 0, "lobby", "n", false), 0);
        assert_int_equal(send_text(r, 0, "{\"type\":\"leave\"}"), 0);
    }
    assert_true(join(r, 0, "lobby", "n", false) != 0); /* the 257th */
    assert_string_equal(last_error(0), "rate_limited");
    assert_int_equal(join(r, 1, "lobby", "n", false), 0); /* another source: its own */
    now_us += 1000000 / 4; /* a join's token back */
    assert_int_equal(join(r, 0, "lobby", "n", false), 0);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_joiner_gets_them_in_order_after_its_welcome),
        cmocka_unit_test(a_leaver_takes_its_own_but_those_that_stay),
        cmocka_unit_test(a_player_back_in_its_place_keeps_them),
        cmocka_unit_test(the_bound_refuses_whole_and_says_so),
        cmocka_unit_test(refusals_and_the_relays_mark),
        cmocka_unit_test(a_kept_key_is_its_keepers),
        cmocka_unit_test(a_replay_goes_over_turns_and_what_comes_waits),
        cmocka_unit_test(a_source_joins_a_full_room_at_once_then_4_a_second),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
