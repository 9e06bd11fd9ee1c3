/* test_e2e_players.c: players who keep who they are (PROTOCOL.md, "Players
 * who come back"), against a real relay on 127.0.0.1: two libricochet
 * sessions through a relay killed and started again on the same port keep
 * their keys and player ids, say MOVED once however many attempts the
 * rejoin takes, and each sees the other REJOINED, never a LEFT or a JOINED
 * (in a room with interest the other APPEARS again, and no LEFT comes); over plain UDP with the test's own sockets, a join with
 * a live member's key from the member's address takes its place back, its
 * id and all (the room told `joined` with `rejoined`, no `left`), while the
 * same key from another address (127.0.0.2) is a new player with a key of
 * its own and the member stays; a join without a key gets one, a malformed
 * key is refused `bad_field`; keys the relay does not hold, from one
 * address and port, taken in a burst, then refused `rate_limited`
 * (counted `drops.key_guesses`) until a second's share comes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay/core/join_cost_internal.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/raw.h"

#define WAIT_MS 20000 /* a rejoin on a loaded machine: generous */

/* A session of room "keep" at 127.0.0.1:port that rejoins a lost relay;
 * aoi > 0: the room it makes has that radius of interest. */
static struct ricochet *player(uint16_t port, const char *name, float aoi)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_UNSEQUENCED, name);
    assert_int_equal(ricochet_config_set_room(cfg, "keep"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, 3000), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_rejoin(cfg, WAIT_MS), RICOCHET_OK);
    if (aoi > 0)
        assert_int_equal(ricochet_config_set_aoi(cfg, aoi), RICOCHET_OK);
    return players_connect(cfg);
}

/* The relay at port killed, rec's sessions polled for down_ms, the relay
 * started again on port. */
static void relay_again(struct spawn_proc *relay, uint16_t port, struct harness_rec *rec,
                        int down_ms)
{
    assert_int_equal(spawn_stop(relay, SIGKILL, 5000), 128 + SIGKILL);
    spawn_free(relay);
    harness_poll_for(rec->c, rec->n, down_ms, harness_rec_event, rec);
    char url[40];
    snprintf(url, sizeof url, "enet://127.0.0.1:%u", (unsigned)port);
    const char *args[] = {"--listen", url, NULL};
    assert_true(harness_start_relay(relay, args) > 0);
}

static bool both_back(void *ctx)
{
    const struct harness_rec *r = ctx;
    return harness_all_see_all(ctx) && r->moved[0] >= 1 && r->moved[1] >= 1 &&
           r->rejoined[0] >= 1 && r->rejoined[1] >= 1;
}

/* A relay with an ENet edge, and ann and bob of room "keep" (its radius
 * of interest aoi) in rec; returns the edge's port. */
static uint16_t start_pair(struct spawn_proc *relay, float aoi, struct harness_rec *rec)
{
    const char *args[] = {"--listen", "enet://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(relay, args) > 0);
    uint16_t port = harness_edge_port(relay, "enet");
    *rec = (struct harness_rec){.n = 2};
    rec->c[0] = player(port, "ann", aoi);
    rec->c[1] = player(port, "bob", aoi);
    return port;
}

static void a_restart_keeps_each_player(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct harness_rec rec;
    uint16_t port = start_pair(&relay, 0, &rec);
    assert_int_equal(harness_poll_until(rec.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &rec), 0);
    char key[2][40], me[2][20];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(strlen(ricochet_key(rec.c[i])), 32);
        assert_int_equal(strlen(ricochet_player(rec.c[i], 0)), 16);
        snprintf(key[i], sizeof key[i], "%s", ricochet_key(rec.c[i]));
        snprintf(me[i], sizeof me[i], "%s", ricochet_player(rec.c[i], 0));
    }
    assert_string_not_equal(key[0], key[1]);
    /* The others see my player id, never my key. */
    assert_string_equal(ricochet_player(rec.c[0], ricochet_id(rec.c[1])), me[1]);
    assert_string_not_equal(me[1], key[1]);

    /* Down for longer than an attempt to rejoin waits (rejoin_after, 1.5 s):
     * each session tries more than once, and says MOVED once. */
    relay_again(&relay, port, &rec, 3500);
    uint64_t started = clock_now_ms();
    for (int i = 0; i < 2; i++)
        rec.welcomed[i] = false;
    rec.n_joined[0] = rec.n_joined[1] = rec.n_left[0] = rec.n_left[1] = 0;
    assert_int_equal(harness_poll_until(rec.c, 2, WAIT_MS, harness_rec_event, both_back, &rec),
                     0);
    print_message("both players back (each told REJOINED) %llu ms after the relay listened\n",
                  (unsigned long long)(clock_now_ms() - started));
    for (int i = 0; i < 2; i++) {
        assert_string_equal(ricochet_key(rec.c[i]), key[i]);
        assert_string_equal(ricochet_player(rec.c[i], 0), me[i]);
        assert_string_equal(ricochet_player(rec.c[i], ricochet_id(rec.c[1 - i])), me[1 - i]);
        assert_int_equal(rec.rejoined[i], 1);
        assert_int_equal(rec.moved[i], 1); /* one a move, however many attempts */
        assert_int_equal(rec.n_left[i], 0);   /* not LEFT then JOINED */
        assert_int_equal(rec.n_joined[i], 0);
    }
    for (int i = 0; i < 2; i++)
        ricochet_close(rec.c[i]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static bool both_welcomed_again(void *ctx)
{
    const struct harness_rec *r = ctx;
    return harness_all_welcomed(ctx) && r->moved[0] >= 1 && r->moved[1] >= 1;
}

/* Each session sends a state near the others' (when it can: not while it
 * rejoins), then all are polled for 20 ms. */
static void send_near(struct harness_rec *rec)
{
    for (size_t i = 0; i < rec->n; i++) {
        struct ricochet_state s = {.x = 10, .y = 10 + (float)i};
        ricochet_send_state(rec->c[i], &s);
    }
    harness_poll_for(rec->c, rec->n, 20, harness_rec_event, rec);
}

/* In a room with interest the others come back as they come within sight
 * (APPEARED): no one is away, so no LEFT comes a timeout after the welcome
 * for the members that were in sight before. */
static void a_restart_in_a_room_with_interest(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct harness_rec rec;
    uint16_t port = start_pair(&relay, 50, &rec);
    for (uint64_t end = clock_now_ms() + WAIT_MS; !harness_all_see_all(&rec);) {
        assert_true(clock_now_ms() < end);
        send_near(&rec); /* in sight of each other */
    }
    relay_again(&relay, port, &rec, 0);
    for (int i = 0; i < 2; i++)
        rec.welcomed[i] = false;
    rec.n_left[0] = rec.n_left[1] = 0;
    for (uint64_t end = clock_now_ms() + WAIT_MS; !both_welcomed_again(&rec);) {
        assert_true(clock_now_ms() < end);
        send_near(&rec);
    }
    for (uint64_t end = clock_now_ms() + 4500; clock_now_ms() < end;) /* past the 3 s timeout */
        send_near(&rec);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rec.n_left[i], 0);
        assert_non_null(ricochet_player(rec.c[i], ricochet_id(rec.c[1 - i]))); /* in sight */
    }
    for (int i = 0; i < 2; i++)
        ricochet_close(rec.c[i]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* ---- plain UDP, the test's own sockets ---- */

/* A UDP socket bound to from (a loopback address) for the relay at port. */
static int udp_from(const char *from, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in me = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, from, &me.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    struct sockaddr_in to = raw_loopback(port);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    return fd;
}

static void send_control(int fd, const struct proto_control *m)
{
    char buf[2048];
    int len = proto_control_encode(buf, sizeof buf, m);
    assert_true(len > 0);
    assert_int_equal(send(fd, buf, (size_t)len, 0), len);
}

/* Sends a join of room "keep" as name with key ("": none), echoes the
 * relay's cookie, and waits for the answer of type want (a welcome, an
 * error), decoded into *out. */
static void udp_join(int fd, const char *name, const char *key, enum proto_ctl_type want,
                     struct proto_control *out)
{
    struct proto_control m, cookie;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "keep");
    snprintf(m.name, sizeof m.name, "%s", name);
    m.mode = PROTO_MODE_UDP;
    send_control(fd, &m);
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_COOKIE, NULL, 3000, &cookie), 0);
    memcpy(m.cookie, cookie.cookie, sizeof m.cookie);
    snprintf(m.key, sizeof m.key, "%s", key); /* unchecked by the encoder's caller */
    if (key[0] && !proto_key_valid(key)) { /* the encoder sends no invalid key: by hand */
        char buf[512];
        int len = snprintf(buf, sizeof buf, "{\"type\":\"join\",\"version\":3,\"room\":\"keep\","
                           "\"name\":\"%s\",\"mode\":\"udp\",\"cookie\":\"%s\",\"key\":\"%s\"}",
                           name, m.cookie, key);
        assert_int_equal(send(fd, buf, (size_t)len, 0), len);
    } else {
        send_control(fd, &m);
    }
    assert_int_equal(raw_udp_expect(fd, want, NULL, 3000, out), 0);
}

/* The types of the control messages fd gets within ms, in order. */
static size_t controls(int fd, int ms, struct proto_control *seen, size_t cap)
{
    size_t n = 0;
    char buf[PROTO_CONTROL_MAX + 1];
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end && n < cap;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, 20);
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got > 0 && buf[0] == '{' &&
            proto_control_decode(buf, (size_t)got, &seen[n], NULL, 0) == PROTO_OK)
            n++;
    }
    return n;
}

/* What watcher got within 600 ms: no left, one joined,
 * of id and player, with rejoined or not. */
static void watcher_saw_one_joined(int watcher, uint32_t id, const char *player, bool rejoined)
{
    struct proto_control seen[8];
    size_t n = controls(watcher, 600, seen, 8), joined = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(seen[i].type, PROTO_CTL_LEFT);
        if (seen[i].type != PROTO_CTL_JOINED)
            continue;
        joined++;
        assert_int_equal(seen[i].rejoined, rejoined);
        assert_int_equal(seen[i].id, id);
        assert_string_equal(seen[i].player, player);
    }
    assert_int_equal(joined, 1);
}

struct udp_room {
    struct spawn_proc relay;
    uint16_t port;
    int ann, obs;                       /* a member, and one who watches the room */
    struct proto_control ann_welcome, obs_welcome;
};

static void udp_room_start(struct udp_room *u)
{
    const char *args[] = {"--listen", "udp://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&u->relay, args) > 0);
    u->port = harness_edge_port(&u->relay, "udp");
    u->obs = udp_from("127.0.0.1", u->port);
    udp_join(u->obs, "obs", "", PROTO_CTL_WELCOME, &u->obs_welcome);
    u->ann = udp_from("127.0.0.1", u->port);
    udp_join(u->ann, "ann", "", PROTO_CTL_WELCOME, &u->ann_welcome);
    /* A join without a key (a client from before keys) is given one. */
    assert_true(proto_key_valid(u->ann_welcome.key));
    assert_true(proto_player_valid(u->ann_welcome.player));
    char player[PROTO_PLAYER_LEN + 1];
    proto_player_of(u->ann_welcome.key, player);
    assert_string_equal(u->ann_welcome.player, player);
    struct proto_control joined;
    assert_int_equal(raw_udp_expect(u->obs, PROTO_CTL_JOINED, NULL, 3000, &joined), 0);
    assert_string_equal(joined.player, u->ann_welcome.player);
    assert_false(joined.rejoined);
}

static void udp_room_stop(struct udp_room *u)
{
    close(u->ann);
    close(u->obs);
    free(harness_relay_finish(&u->relay));
    spawn_free(&u->relay);
}

/* A join with ann's key from the address from, in a room of ann and a
 * watcher: from ann's address it takes ann's place (ann's id, key and
 * player; the watcher told joined with rejoined, no left); from another
 * it is a new player (its own id, key and player; joined; ann stays). */
static void anns_key_from(const char *from, bool takes_place)
{
    struct udp_room u;
    struct proto_control w;
    udp_room_start(&u);
    int fd = udp_from(from, u.port);
    udp_join(fd, "ann", u.ann_welcome.key, PROTO_CTL_WELCOME, &w);
    assert_int_equal(w.id == u.ann_welcome.id, takes_place);
    assert_int_equal(strcmp(w.key, u.ann_welcome.key) == 0, takes_place);
    assert_int_equal(strcmp(w.player, u.ann_welcome.player) == 0, takes_place);
    watcher_saw_one_joined(u.obs, w.id, w.player, takes_place);
    if (!takes_place) { /* ann is still a member: its ping is answered */
        struct proto_control ping, pong;
        proto_control_init(&ping, PROTO_CTL_PING);
        ping.t = 7;
        send_control(u.ann, &ping);
        assert_int_equal(raw_udp_expect(u.ann, PROTO_CTL_PONG, NULL, 3000, &pong), 0);
    }
    close(fd);
    udp_room_stop(&u);
}

/* ann's socket gone (a new one, as after a network change): its key from
 * its address takes its place back. */
static void its_key_from_its_address_takes_its_place_back(void **state)
{
    (void)state;
    anns_key_from("127.0.0.1", true);
}

/* ann's key, seen on the path, sent from another address: a new player;
 * ann stays. */
static void its_key_from_another_address_is_a_new_player(void **state)
{
    (void)state;
    anns_key_from("127.0.0.2", false);
}

/* A key that is no key is refused. */
static void a_malformed_key_is_refused(void **state)
{
    (void)state;
    struct udp_room u;
    struct proto_control err;
    udp_room_start(&u);
    int bad = udp_from("127.0.0.1", u.port);
    udp_join(bad, "cid", "not-a-key", PROTO_CTL_ERROR, &err);
    assert_string_equal(err.code, "bad_field");
    close(bad);
    udp_room_stop(&u);
}

/* Keys the relay does not hold, presented from one address and port in
 * turn (a join, then a leave): a burst of them welcomed as players of
 * those keys, the next refused rate_limited and counted, a second later
 * one more taken. */
static void keys_it_does_not_hold_are_bounded(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "udp://127.0.0.1:0", "--max-per-address", "64", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "udp");
    int fd = udp_from("127.0.0.1", port);
    struct proto_control w, leave;
    proto_control_init(&leave, PROTO_CTL_LEAVE);
    char key[PROTO_KEY_LEN + 1];
    /* Its cookie once, then echoed in each join: the relay's answers to a
     * stranger's requests have a budget of their own (strangers.h). */
    struct proto_control join, cookie;
    proto_control_init(&join, PROTO_CTL_JOIN);
    snprintf(join.room, sizeof join.room, "keep");
    snprintf(join.name, sizeof join.name, "guess");
    join.mode = PROTO_MODE_UDP;
    send_control(fd, &join);
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_COOKIE, NULL, 3000, &cookie), 0);
    memcpy(join.cookie, cookie.cookie, sizeof join.cookie);
    /* A burst's worth of keys is taken; the bucket refills while the burst
     * goes on, so a slow machine's burst earns a few more before the first
     * refusal: as many as its time at JOIN_COST_KEYS_PER_S, no more. */
    uint64_t start_ms = clock_now_ms();
    int taken = 0;
    for (;; taken++) {
        snprintf(key, sizeof key, "%032x", taken + 1);
        memcpy(join.key, key, sizeof join.key);
        send_control(fd, &join);
        do
            assert_int_equal(raw_udp_next(fd, 3000, &w), 0);
        while (w.type != PROTO_CTL_WELCOME && w.type != PROTO_CTL_ERROR);
        if (w.type == PROTO_CTL_ERROR)
            break;
        assert_string_equal(w.key, key); /* a key it did not hold: taken */
        send_control(fd, &leave);
    }
    uint64_t earned = (clock_now_ms() - start_ms) * JOIN_COST_KEYS_PER_S / 1000 + 1;
    assert_in_range(taken, JOIN_COST_KEYS_BURST, JOIN_COST_KEYS_BURST + earned);
    assert_string_equal(w.code, "rate_limited");
    assert_non_null(strstr(w.text, "keys this relay does not hold"));
    assert_int_equal(harness_relay_stat(&relay, "drops.key_guesses"), 1);
    snprintf(key, sizeof key, "%032x", 0x10000); /* one no burst's join tried */
    usleep(1000000 / JOIN_COST_KEYS_PER_S + 50000); /* a token back */
    udp_join(fd, "guess", key, PROTO_CTL_WELCOME, &w);
    assert_string_equal(w.key, key);
    close(fd);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_restart_keeps_each_player),
        cmocka_unit_test(a_restart_in_a_room_with_interest),
        cmocka_unit_test(its_key_from_its_address_takes_its_place_back),
        cmocka_unit_test(its_key_from_another_address_is_a_new_player),
        cmocka_unit_test(a_malformed_key_is_refused),
        cmocka_unit_test(keys_it_does_not_hold_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
