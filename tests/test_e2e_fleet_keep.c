/* test_e2e_fleet_keep.c: a fleet room's holder, owner and settings
 * against reports that it is lost, relays sharing a real `redis-server`:
 * a join from a client that was never in the room, reporting its holder
 * lost and naming it, moves nothing (the holder keeps the room, its
 * creator owns it, its settings stand; the report is counted); a member's
 * report moves it, and the room goes whole to its new relay (owner,
 * props, size, closed, `stay` kept events), as it does when that relay is
 * killed (SIGKILL) and the room is placed anew: each time its owner
 * reopens it and a newcomer gets what it kept. Redis filled to its
 * maxmemory: the room plays on, a new room is refused server_full in
 * words that name the limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/client.h"
#include "client/lib/ricochet.h"
#include "tests/support/fleet_e2e.h"
#include "tests/support/raw.h"
#include "tests/support/seen.h"

#define WAIT_MS FLEET_WAIT_MS
#define ROOM "g"

/* Polls until client i is joined through the relay at port. */
static void until_joined_at(struct seen *s, size_t i, uint16_t port)
{
    for (uint64_t end = clock_now_ms() + WAIT_MS; clock_now_ms() < end;) {
        seen_poll(s, ~0u);
        if (ricochet_joined(s->c[i]) && ricochet_relay_port(s->c[i]) == port)
            return;
        assert_false(s->gone[i]);
        clock_sleep_ms(5);
    }
    fail_msg("client %zu did not join through port %u", i, (unsigned)port);
}

/* Polls until client i is joined through x or y, not the relay at port
 * gone; returns which. */
static const struct fleet_relay *until_moved_off(struct seen *s, size_t i, uint16_t gone,
                                                 const struct fleet_relay *x,
                                                 const struct fleet_relay *y)
{
    for (uint64_t end = clock_now_ms() + 2 * WAIT_MS; clock_now_ms() < end;) {
        seen_poll(s, ~0u);
        uint16_t port = ricochet_relay_port(s->c[i]);
        if (ricochet_joined(s->c[i]) && port != gone)
            return port == x->port ? x : y;
        assert_false(s->gone[i]);
        clock_sleep_ms(5);
    }
    fail_msg("client %zu did not rejoin elsewhere", i);
    return NULL;
}

/* A client of the room through via, with what ask asks of a room it makes
 * (NULL: nothing); rejoin_ms > 0: it rejoins a lost relay through via. */
static size_t add(struct seen *s, const struct fleet_relay *via, const char *name,
                  const struct client_room_ask *ask, uint32_t rejoin_ms)
{
    return seen_add(s, &(struct client_config){.host = via->host, .port = via->port,
                                               .room = ROOM, .name = name,
                                               .mode = PROTO_MODE_RELIABLE, .timeout_ms = 1500,
                                               .rejoin_ms = rejoin_ms, .room_ask = ask});
}

/* Until the directory's key holds want (a substring; NULL: until it exists). */
static void until_key(const struct redisproc *redis, struct seen *s, const char *key,
                      const char *want)
{
    char out[8192];
    for (uint64_t end = clock_now_ms() + WAIT_MS; clock_now_ms() < end;) {
        test_redis_cmd(redis, out, sizeof out, "GET %s", key);
        if (strcmp(out, "(nil)") != 0 && (!want || strstr(out, want)))
            return;
        seen_pump(s, 50);
    }
    fail_msg("%s: '%.200s', not holding '%s'", key, out, want ? want : "anything");
}

/* The room's holder as the directory names it, "ip:port". */
static void holder(const struct redisproc *redis, char *addr, size_t cap)
{
    char out[256], *sp;
    test_redis_cmd(redis, out, sizeof out, "GET ricochet:room:" ROOM);
    sp = strchr(out, ' ');
    assert_non_null(sp);
    snprintf(addr, cap, "%.*s", (int)strcspn(sp + 1, " "), sp + 1);
}

static void assert_held_by(const struct redisproc *redis, const struct fleet_relay *r)
{
    char addr[64], want[64];
    holder(redis, addr, sizeof addr);
    snprintf(want, sizeof want, "127.0.0.1:%u", (unsigned)r->port);
    assert_string_equal(addr, want);
}

/* A join sent by hand through relay via: reporting the relay at lost_port
 * lost, with key ("": none). */
static void raw_join(struct raw_enet *re, const struct fleet_relay *via, uint16_t lost_port,
                     const char *name, const char *key)
{
    char join[512];
    assert_int_equal(raw_enet_open(re, via->port), 0);
    snprintf(join, sizeof join,
             "{\"type\":\"join\",\"version\":%d,\"room\":\"" ROOM "\",\"name\":\"%s\","
             "\"mode\":\"reliable\",\"lost\":true,\"lost_relay\":\"127.0.0.1:%u\"%s%s%s}",
             PROTO_VERSION, name, (unsigned)lost_port, key[0] ? ",\"key\":\"" : "", key,
             key[0] ? "\"" : "");
    raw_enet_send(re, PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, join, strlen(join));
}

/* The room Alice makes: a map, three members at most, closed. */
static struct client_room_ask dune(void)
{
    struct client_room_ask ask = {.size = 3, .closed = true};
    assert_int_equal(proto_props_add(&ask.props, "props", "map", "dune", NULL, 0), 0);
    return ask;
}

/* A newcomer through via is refused (closed), its owner (s->c[owner])
 * reopens the room, and the next newcomer is let in with the room's stay
 * kept event; a third fills it, a fourth is refused (its size); a listing
 * shows its props. */
static void room_is_whole(struct seen *s, size_t owner, const struct fleet_relay *via)
{
    size_t bob = add(s, via, "bob", NULL, 0);
    seen_until_settled(s, bob, WAIT_MS);
    assert_true(s->gone[bob]);
    assert_string_equal(s->code[bob], "room_closed");
    assert_int_equal(ricochet_set_room_open(s->c[owner], true), RICOCHET_OK);
    seen_pump(s, 300);
    assert_string_equal(s->code[owner], ""); /* no not_creator */
    size_t carol = add(s, via, "carol", NULL, 0);
    seen_until_settled(s, carol, WAIT_MS);
    assert_false(s->gone[carol]);
    seen_pump(s, 300);
    assert_string_equal(s->kept[carol], "flag=red");
    size_t dave = add(s, via, "dave", NULL, 0), erin;
    seen_until_settled(s, dave, WAIT_MS);
    assert_false(s->gone[dave]);
    erin = add(s, via, "erin", NULL, 0);
    seen_until_settled(s, erin, WAIT_MS);
    assert_true(s->gone[erin]);
    assert_string_equal(s->code[erin], "room_full");

    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    struct ricochet_prop props[2];
    struct ricochet_event ev;
    bool listed = false;
    assert_int_equal(ricochet_list_rooms(s->c[carol], "", NULL), RICOCHET_OK);
    for (uint64_t end = clock_now_ms() + WAIT_MS; clock_now_ms() < end && !listed;) {
        seen_pump(s, 0);
        while (!listed && ricochet_poll(s->c[carol], 10, &ev) == 1)
            listed = ev.type == RICOCHET_EV_ROOMS;
    }
    assert_true(listed);
    assert_int_equal(ricochet_rooms(s->c[carol], rooms, RICOCHET_ROOMS_PAGE, NULL), 1);
    assert_int_equal(ricochet_listed_props(s->c[carol], 0, props, 2, NULL), 1);
    assert_string_equal(props[0].key, "map");
    assert_string_equal(props[0].value, "dune");
    for (size_t i = bob; i < s->n; i++) { /* the newcomers leave; the owner closes it */
        ricochet_close(s->c[i]);
        s->c[i] = NULL;
    }
    s->n = bob;
    assert_int_equal(ricochet_set_room_open(s->c[owner], false), RICOCHET_OK);
}

/* A client that was never in the room joins another relay reporting the
 * holder lost and naming it: the room stays where it is (the report is
 * taken as a plain join: moved to the holder, refused there, the room
 * being closed), counted by the relay it came through; its creator still
 * owns it. Without a key, the same. */
static void an_outsiders_report_moves_nothing(void **state)
{
    (void)state;
    struct redisproc redis;
    struct fleet_relay a, b;
    test_redis_start(&redis);
    fleet_start_relay(&a, redis.url, NULL);
    fleet_start_relay(&b, redis.url, NULL);
    struct seen s = {0};
    struct client_room_ask ask = dune();
    size_t alice = add(&s, &a, "alice", &ask, 0);
    until_joined_at(&s, alice, a.port);
    until_key(&redis, &s, "ricochet:keep:" ROOM,
              ricochet_player(s.c[alice], ricochet_id(s.c[alice])));

    const char *keys[] = {"0123456789abcdef0123456789abcdef", ""};
    for (size_t k = 0; k < 2; k++) {
        struct raw_enet mallory = {0};
        struct proto_control msg;
        raw_join(&mallory, &b, a.port, "mallory", keys[k]);
        assert_int_equal(raw_enet_expect(&mallory, PROTO_CTL_MOVED, NULL, 5000, &msg), 0);
        assert_int_equal(msg.port, a.port);
        raw_enet_close(&mallory);
        assert_held_by(&redis, &a);
        assert_int_equal(fleet_relay_stat(&b, "reports_refused"), (long long)k + 1);
    }
    seen_pump(&s, 500); /* a heartbeat or two: nothing moves */
    assert_held_by(&redis, &a);
    assert_int_equal(s.moved[alice], 0);
    assert_true(ricochet_joined(s.c[alice]));
    assert_int_equal(ricochet_set_room_open(s.c[alice], true), RICOCHET_OK);
    seen_pump(&s, 300);
    assert_string_equal(s.code[alice], "");
    assert_int_equal(fleet_relay_stat(&a, "drops.not_room_owner"), 0);
    ricochet_close(s.c[alice]);
    free(fleet_relay_finish(&a));
    free(fleet_relay_finish(&b));
    test_redis_stop(&redis);
}

/* A member's report naming the holder moves the room, and it goes whole:
 * on the new relay its owner is still Alice, its props, size and closed
 * stand, and its stay kept event is replayed; then that relay is killed
 * and the room, placed anew (on a third relay while the first is kept out
 * of it after the report), is whole again there. */
static void a_members_report_moves_the_room_whole(void **state)
{
    (void)state;
    struct redisproc redis;
    struct fleet_relay a, b, c;
    test_redis_start(&redis);
    fleet_start_relay(&a, redis.url, NULL);
    fleet_start_relay(&b, redis.url, NULL);
    struct seen s = {0};
    struct client_room_ask ask = dune();
    size_t alice = add(&s, &a, "alice", &ask, 10000);
    until_joined_at(&s, alice, a.port);
    assert_int_equal(ricochet_send_kept(s.c[alice], "flag", "red", 3, RICOCHET_KEEP_STAY),
                     RICOCHET_OK);
    char player[64], key[64];
    snprintf(player, sizeof player, "%s", ricochet_player(s.c[alice], ricochet_id(s.c[alice])));
    snprintf(key, sizeof key, "%s", ricochet_key(s.c[alice]));
    until_key(&redis, &s, "ricochet:keep:" ROOM, "\"kept\":\"A"); /* the flag's entry */

    /* Alice's own player reports a lost through b (a second connection of
     * hers): the room moves to b, and Alice follows a's moved there. */
    struct raw_enet twin = {0};
    struct proto_control msg;
    raw_join(&twin, &b, a.port, "alice", key);
    assert_int_equal(raw_enet_expect(&twin, PROTO_CTL_WELCOME, NULL, 5000, &msg), 0);
    assert_held_by(&redis, &b);
    char out[64];
    test_redis_cmd(&redis, out, sizeof out, "SISMEMBER ricochet:members:" ROOM " %s", player);
    assert_string_equal(out, "1"); /* a member of the room on b too */
    until_joined_at(&s, alice, b.port);
    raw_enet_close(&twin);
    assert_int_equal(fleet_relay_stat(&b, "reports_refused"), 0);
    room_is_whole(&s, alice, &b);

    /* b dies; Alice rejoins through a, which is kept out: c takes it. */
    fleet_start_relay(&c, redis.url, NULL);
    until_key(&redis, &s, "ricochet:keep:" ROOM, "\"open\":false");
    spawn_stop(&b.p, SIGKILL, 2000);
    const struct fleet_relay *now = until_moved_off(&s, alice, b.port, &a, &c);
    assert_held_by(&redis, now);
    assert_string_equal(ricochet_player(s.c[alice], ricochet_id(s.c[alice])), player);
    room_is_whole(&s, alice, now);
    ricochet_close(s.c[alice]);
    free(fleet_relay_finish(&a));
    free(fleet_relay_finish(&c));
    test_redis_stop(&redis);
}

/* The next error or end of c, polling up to ms: its code and words. */
static bool refused_with(struct ricochet *c, int ms, char *code, char *text)
{
    struct ricochet_event ev;
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;)
        if (ricochet_poll(c, 10, &ev) == 1 &&
            (ev.type == RICOCHET_EV_ERROR || ev.type == RICOCHET_EV_DISCONNECTED)) {
            strcpy(code, ev.code);
            strcpy(text, ev.text);
            return true;
        }
    return false;
}

/* Redis filled to its configured limit (maxmemory, noeviction, as
 * proto/FLEET.md says to run it): the room that plays goes on playing
 * through three TTLs (its holder's heartbeats still renew its claim, no
 * state held back), a new room is refused server_full with words that
 * name the limit, and once Redis has room again new rooms are placed. */
static void a_full_directory_keeps_its_rooms_and_refuses_new_ones(void **state)
{
    (void)state;
    struct redisproc redis;
    struct fleet_relay a, b;
    test_redis_start(&redis);
    fleet_start_relay(&a, redis.url, NULL);
    fleet_start_relay(&b, redis.url, NULL);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = fleet_client(&a, ROOM, "alice", PROTO_MODE_RELIABLE, 5000, 0);
    rec.c[1] = fleet_client(&b, ROOM, "bob", PROTO_MODE_RELIABLE, 5000, 0);
    fleet_until_all_see_all(&rec, WAIT_MS);

    char text[4096], code[RICOCHET_CODE_MAX + 1], why[RICOCHET_TEXT_MAX + 1];
    test_redis_cmd(&redis, text, sizeof text, "CONFIG SET maxmemory-policy noeviction");
    test_redis_cmd(&redis, text, sizeof text, "INFO memory");
    const char *at = strstr(text, "used_memory:");
    assert_non_null(at);
    unsigned long long used = strtoull(at + 12, NULL, 10);
    test_redis_cmd(&redis, text, sizeof text, "CONFIG SET maxmemory %llu", used + 1024 * 1024);
    test_redis_cmd(&redis, text, sizeof text, "EVAL %s 0",
                   "for i = 1, 1280 do redis.call('SET', 'ballast' .. i, string.rep('x', 1000)) "
                   "end return 1");
    test_redis_cmd(&redis, text, sizeof text, "SET one more");
    assert_non_null(strstr(text, "OOM")); /* full */

    uint64_t got[2] = {0}, end = clock_now_ms() + 3 * atoi(FLEET_TTL) * 1000;
    while (clock_now_ms() < end) {
        for (size_t i = 0; i < 2; i++) {
            ricochet_send_state(rec.c[i], &(struct ricochet_state){.x = 1});
            got[i] = rec.states[i][ricochet_id(rec.c[1 - i])];
        }
        harness_poll_for(rec.c, rec.n, 50, harness_rec_event, &rec);
    }
    harness_poll_for(rec.c, rec.n, 300, harness_rec_event, &rec);
    for (size_t i = 0; i < 2; i++) {
        assert_true(ricochet_joined(rec.c[i]));
        assert_true(rec.states[i][ricochet_id(rec.c[1 - i])] > got[i]); /* still flowing */
    }
    assert_int_equal(fleet_relay_stat(&a, "drops.unconfirmed"), 0);

    struct ricochet *fresh = fleet_client(&b, "fresh", "carol", PROTO_MODE_RELIABLE, 5000, 0);
    assert_true(refused_with(fresh, WAIT_MS, code, why));
    assert_string_equal(code, "server_full");
    if (!strstr(why, "maxmemory"))
        fail_msg("refused with '%s', which names no limit", why);
    ricochet_close(fresh);

    test_redis_cmd(&redis, text, sizeof text, "EVAL %s 0",
                   "for i = 1, 1280 do redis.call('DEL', 'ballast' .. i) end return 1");
    fresh = fleet_client(&b, "fresh", "carol", PROTO_MODE_RELIABLE, 5000, 0);
    struct harness_rec one = {.c = {fresh}, .n = 1};
    assert_int_equal(harness_poll_until(one.c, 1, WAIT_MS, NULL, fleet_all_welcomed, &one), 0);
    ricochet_close(fresh);
    fleet_close_clients(&rec);
    free(fleet_relay_finish(&a));
    free(fleet_relay_finish(&b));
    test_redis_stop(&redis);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_outsiders_report_moves_nothing),
        cmocka_unit_test(a_members_report_moves_the_room_whole),
        cmocka_unit_test(a_full_directory_keeps_its_rooms_and_refuses_new_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
