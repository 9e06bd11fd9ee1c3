/* test_relay_rooms_kept.c: the relay core through a fake transport and a
 * fake clock (support/fake_relay.h): rooms as their members see them and
 * as the relay keeps them (PROTOCOL.md, "Rooms with properties", "Rooms
 * kept"). A welcome carries the room as it is (owner, props, open, listed,
 * size); a room message from its owner and an owner handed on are pushed
 * to every member, in a room with interest too. A room's record taken on
 * one relay makes it again on another, empty, held and listed: its first joiner,
 * not its owner, finds its owner, settings and stay events as they were,
 * whatever its join asks of a room, its events' senders' ids no new
 * member's; the owner back is the owner; a room
 * nobody came back to ends with its hold, one whose owner did not come
 * back is owned by its eldest member; a record refused in words. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "proto/player.h"
#include "proto/room_record.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "tests/support/fake_relay.h"

/* peer joins room as name; key ("" none), props map (NULL none), size,
 * aoi as a join gives them. */
static int join_as(struct relay *r, uint32_t peer, const char *room, const char *name,
                   const char *key, const char *map, uint32_t size, float aoi)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "%s", room);
    snprintf(m.name, sizeof m.name, "%s", name);
    snprintf(m.key, sizeof m.key, "%s", key ? key : "");
    if (map)
        assert_int_equal(proto_props_add(&m.props, "props", "map", map, NULL, 0), 0);
    m.size = size;
    m.aoi = aoi;
    return send_control_msg(r, peer, PROTO_CHANNEL_CONTROL, &m);
}

static int keep(struct relay *r, uint32_t peer, const char *key, bool stay, const char *body)
{
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode_kept(buf, sizeof buf, key, stay, body, body ? strlen(body) : 0);
    assert_true(n > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                             (size_t)n, now_us);
}

/* The kept events peer was sent, their keys joined by ',' into out. */
static void kept_keys(uint32_t peer, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < fk.n_ctl; i++) {
        struct proto_event e;
        if (fk.ctl[i].peer != peer || !proto_is_event((const uint8_t *)fk.ctl[i].json,
                                                      fk.ctl[i].len) ||
            proto_event_decode((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len, &e) != 0 ||
            !(e.flags & PROTO_EVENT_KEPT))
            continue;
        at += (size_t)snprintf(out + at, cap - at, "%s%.*s", at ? "," : "", (int)e.key_len,
                               (const char *)e.key);
    }
}

/* The last control message of type sent to peer, decoded (events, which
 * last_ctl would take for control messages, passed by); NULL if none. */
static const struct proto_control *last_of(uint32_t peer, enum proto_ctl_type type)
{
    for (size_t i = fk.n_ctl; i-- > 0;)
        if (fk.ctl[i].peer == peer &&
            !proto_is_event((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len) &&
            ctl_at(i)->type == type)
            return ctl_at(i);
    return NULL;
}

/* The player id of peer's welcome (and its key into key, if not NULL). */
static void welcomed(uint32_t peer, char *player, char *key)
{
    const struct proto_control *w = last_of(peer, PROTO_CTL_WELCOME);
    assert_non_null(w);
    snprintf(player, PROTO_PLAYER_LEN + 1, "%s", w->player);
    if (key)
        snprintf(key, PROTO_KEY_LEN + 1, "%s", w->key);
}

static void a_welcome_tells_the_room(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 4);
    assert_int_equal(join_as(r, 0, "cave", "a", NULL, "arena", 3, 0), 0);
    char pa[PROTO_PLAYER_LEN + 1];
    welcomed(0, pa, NULL);
    const struct proto_control *w = last_of(0, PROTO_CTL_WELCOME);
    assert_string_equal(w->owner, pa);
    assert_string_equal(proto_props_get(&w->props, "map"), "arena");
    assert_int_equal(w->size, 3);
    assert_false(w->closed || w->unlisted);
    /* a joiner's own props change nothing: it gets the room as it is */
    assert_int_equal(join_as(r, 1, "cave", "b", NULL, "dust", 2, 0), 0);
    w = last_of(1, PROTO_CTL_WELCOME);
    assert_string_equal(w->owner, pa);
    assert_string_equal(proto_props_get(&w->props, "map"), "arena");
    assert_int_equal(w->size, 3);
    /* no size of its own: the relay's bound */
    assert_int_equal(join_as(r, 2, "plain", "c", NULL, NULL, 0, 0), 0);
    w = last_of(2, PROTO_CTL_WELCOME);
    assert_int_equal(w->props.n, 0);
    assert_true(w->size > 3);
    relay_destroy(r);
}

static void changes_are_pushed_to_every_member(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 4);
    /* a world: b and c stand far from a, and hear of the room all the same */
    assert_int_equal(join_as(r, 0, "cave", "a", NULL, "arena", 0, 5.0f), 0);
    assert_int_equal(join_as(r, 1, "cave", "b", NULL, NULL, 0, 0), 0);
    assert_int_equal(join_as(r, 2, "cave", "c", NULL, NULL, 0, 0), 0);
    char pa[PROTO_PLAYER_LEN + 1], pb[PROTO_PLAYER_LEN + 1];
    welcomed(0, pa, NULL);
    welcomed(1, pb, NULL);
    fake_clear();
    assert_int_equal(send_text(r, 0, "{\"type\":\"room\",\"open\":false,"
                                     "\"props\":{\"map\":\"dust\"}}"), 0);
    for (uint32_t p = 0; p < 3; p++) {
        const struct proto_control *m = last_of(p, PROTO_CTL_ROOM);
        assert_non_null(m);
        assert_string_equal(m->room, "cave");
        assert_string_equal(m->owner, pa);
        assert_true(m->closed && !m->unlisted);
        assert_string_equal(proto_props_get(&m->props, "map"), "dust");
    }
    /* a refused change tells no one */
    fake_clear();
    assert_int_equal(send_text(r, 1, "{\"type\":\"room\",\"open\":true}"),
                     DROP(RELAY_DROP_NOT_ROOM_OWNER));
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOM) + count_ctl(2, PROTO_CTL_ROOM), 0);
    /* the owner leaves: its heir owns it, and every member is told */
    fake_clear();
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    for (uint32_t p = 1; p < 3; p++) {
        const struct proto_control *m = last_of(p, PROTO_CTL_ROOM);
        assert_non_null(m);
        assert_string_equal(m->owner, pb);
        assert_true(m->closed);
    }
    assert_int_equal(count_ctl(0, PROTO_CTL_ROOM), 0);
    relay_destroy(r);
}

static struct proto_room_record rec; /* large: not on the stack */

/* Room cave made on one relay by a (map arena, size 3, closed: false),
 * coin0 kept with stay by b, and a's own kept key without stay; its record
 * taken into rec, the relay gone. a's and b's keys and players out. */
static void cave_recorded(char *ka, char *pa, char *kb, char *pb)
{
    struct relay *r = relay_with_peers(NULL, 4);
    assert_int_equal(join_as(r, 0, "cave", "a", NULL, "arena", 3, 0), 0);
    welcomed(0, pa, ka);
    assert_int_equal(join_as(r, 1, "cave", "b", NULL, NULL, 0, 0), 0);
    welcomed(1, pb, kb);
    assert_int_equal(keep(r, 0, "coin0", true, "gold"), 0);
    assert_int_equal(keep(r, 1, "gem", true, "red"), 0);
    assert_int_equal(keep(r, 0, "mine", false, "x"), 0); /* its sender's: not kept past it */
    assert_int_equal(relay_room_record(r, "nowhere", &rec), -1);
    assert_int_equal(relay_room_record(r, "cave", &rec), 0);
    assert_string_equal(rec.owner, pa);
    assert_int_equal(rec.n_kept, 2);
    assert_string_equal(rec.kept[0].keeper, pa);
    assert_string_equal(rec.kept[1].keeper, pb);
    relay_destroy(r);
}

static void a_room_made_again_from_its_record(void **state)
{
    (void)state;
    char ka[PROTO_KEY_LEN + 1], pa[PROTO_PLAYER_LEN + 1];
    char kb[PROTO_KEY_LEN + 1], pb[PROTO_PLAYER_LEN + 1], keys[64], why[200];
    cave_recorded(ka, pa, kb, pb);
    struct relay *r = relay_with_peers(NULL, 6);
    uint64_t before = relay_rooms_changed(r);
    assert_int_equal(relay_room_restore(r, "cave", &rec, now_us, why, sizeof why), 0);
    assert_true(relay_rooms_changed(r) > before);
    assert_int_equal(relay_rooms(r), 1);
    assert_int_equal(relay_room_size(r, "cave"), 0);
    assert_string_equal(relay_room_at(r, 0, NULL), "cave");
    assert_int_equal(relay_room_restore(r, "cave", &rec, now_us, why, sizeof why), -1);
    assert_non_null(strstr(why, "here already"));
    /* listed while it waits, with no one in it */
    assert_int_equal(send_text(r, 5, "{\"type\":\"rooms\"}"), 0);
    const struct proto_control *l = last_of(5, PROTO_CTL_ROOMS);
    assert_non_null(l);
    assert_int_equal(l->rooms_len, 1);
    assert_string_equal(l->rooms[0].room, "cave");
    assert_int_equal(l->rooms[0].members, 0);
    assert_int_equal(l->rooms[0].capacity, 3);
    assert_string_equal(proto_props_get(&l->rooms_props[0], "map"), "arena");
    /* b first, with a join of its own mind: the room as it was */
    fake_clear();
    assert_int_equal(join_as(r, 0, "cave", "b", kb, "dust", 2, 0), 0);
    const struct proto_control *w = last_of(0, PROTO_CTL_WELCOME);
    assert_string_equal(w->player, pb);
    assert_true(w->id > 2); /* ann and bob were 1 and 2, as the replayed events say */
    assert_string_equal(w->owner, pa);
    assert_string_equal(proto_props_get(&w->props, "map"), "arena");
    assert_int_equal(w->size, 3);
    kept_keys(0, keys, sizeof keys);
    assert_string_equal(keys, "coin0,gem");
    /* b keeps its own key's rights, not a's */
    assert_int_equal(keep(r, 0, "gem", true, "blue"), 0);
    assert_int_equal(keep(r, 0, "coin0", true, NULL), DROP(RELAY_DROP_NOT_OWNER));
    /* a back: its room still */
    assert_int_equal(join_as(r, 1, "cave", "a", ka, NULL, 0, 0), 0);
    assert_string_equal(last_of(1, PROTO_CTL_WELCOME)->owner, pa);
    assert_int_equal(send_text(r, 1, "{\"type\":\"room\",\"listed\":false}"), 0);
    /* a latecomer gets the stay events; the room is full at its size */
    fake_clear();
    assert_int_equal(join_as(r, 2, "cave", "c", NULL, NULL, 0, 0), 0);
    kept_keys(2, keys, sizeof keys);
    assert_string_equal(keys, "coin0,gem");
    assert_int_equal(join_as(r, 3, "cave", "d", NULL, NULL, 0, 0), DROP(RELAY_DROP_ROOM_FULL));
    /* its record now: as it was, and what changed since */
    assert_int_equal(relay_room_record(r, "cave", &rec), 0);
    assert_string_equal(rec.owner, pa);
    assert_false(rec.listed);
    assert_int_equal(rec.size, 3);
    relay_destroy(r);
}

static void a_hold_ends(void **state)
{
    (void)state;
    char ka[PROTO_KEY_LEN + 1], pa[PROTO_PLAYER_LEN + 1];
    char kb[PROTO_KEY_LEN + 1], pb[PROTO_PLAYER_LEN + 1], why[200];
    cave_recorded(ka, pa, kb, pb);
    struct relay_config cfg = small_config();
    cfg.room_hold_s = 2;
    struct relay *r = relay_with_peers(&cfg, 4);
    assert_int_equal(relay_room_restore(r, "cave", &rec, now_us, why, sizeof why), 0);
    now_us += 1900000;
    relay_sweep(r, now_us);
    assert_int_equal(relay_rooms(r), 1); /* still held */
    now_us += 200000;
    relay_sweep(r, now_us);
    assert_int_equal(relay_rooms(r), 0); /* nobody came back: it ends */

    /* b came back, a did not: once the hold is over b owns it, and is told */
    assert_int_equal(relay_room_restore(r, "cave", &rec, now_us, why, sizeof why), 0);
    connect_peer(r, 0); /* closed meanwhile: not members within --join-timeout-ms */
    connect_peer(r, 1);
    assert_int_equal(join_as(r, 0, "cave", "b", kb, NULL, 0, 0), 0);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us); /* gone and back: the hold holds it */
    assert_int_equal(relay_rooms(r), 1);
    assert_int_equal(join_as(r, 1, "cave", "b", kb, NULL, 0, 0), 0);
    assert_string_equal(last_of(1, PROTO_CTL_WELCOME)->owner, pa);
    fake_clear();
    now_us += 2100000;
    relay_sweep(r, now_us);
    const struct proto_control *m = last_of(1, PROTO_CTL_ROOM);
    assert_non_null(m);
    assert_string_equal(m->owner, pb);
    /* the hold over, the room ends with its last member as any room */
    relay_peer_gone(r, 1, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(relay_rooms(r), 0);
    relay_destroy(r);
}

static void records_refused(void **state)
{
    (void)state;
    char why[200];
    struct relay_config cfg = small_config();
    cfg.max_rooms = 1;
    cfg.max_room_size = 4;
    struct relay *r = relay_with_peers(&cfg, 2);
    proto_room_record_init(&rec);
    rec.size = 5;
    assert_int_equal(relay_room_restore(r, "cave", &rec, now_us, why, sizeof why), -1);
    assert_non_null(strstr(why, "past the 4 members"));
    rec.size = 4;
    assert_int_equal(relay_room_restore(r, "no room", &rec, now_us, why, sizeof why), -1);
    assert_non_null(strstr(why, "not a room name"));
    assert_int_equal(relay_room_restore(r, "cave", &rec, now_us, why, sizeof why), 0);
    assert_int_equal(relay_room_restore(r, "cove", &rec, now_us, why, sizeof why), -1);
    assert_non_null(strstr(why, "--max-rooms 1"));
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_welcome_tells_the_room),
        cmocka_unit_test(changes_are_pushed_to_every_member),
        cmocka_unit_test(a_room_made_again_from_its_record),
        cmocka_unit_test(a_hold_ends),
        cmocka_unit_test(records_refused),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
