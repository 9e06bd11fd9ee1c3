/* test_e2e_lobby_watch.c: a lobby that stays, against the real relay on
 * 127.0.0.1 (PROTOCOL.md, "A lobby that stays"; docs/library.md, "Rooms
 * to list: a lobby"): over every edge that lists (enet, tcp, ws, webrtc,
 * quic, webtransport) a library lobby that watches (ricochet_watch_rooms)
 * is still open past the join timeout and the relay's --lobby-idle-ms
 * (the library pings), is told of a room made within 1 s, and one that
 * stops being polled is closed not_joined ("lobby idle") past the idle
 * bound; one over ENet holds 60 s at the relay's defaults and is then
 * told of a new room; raw TCP watchers: 2000 from one address, those past
 * --max-lobbies-per-address refused server_full and closed, the others
 * still told of a room, while two members of another room exchange every
 * state; past --max-lobbies the same; watch false brings the join timeout
 * back, and a join ends the watch; what ricochet_watch_rooms refuses
 * before sending. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/ricochet.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/streams.h"

enum { E_ENET, E_TCP, E_WS, E_WEBRTC, E_QUIC, E_WT, KINDS };
static const char *const kind_name[KINDS] = {"enet", "tcp", "ws", "webrtc", "quic",
                                             "webtransport"};

/* A lobby over kind, to the relay whose edges (enet, tcp, ws, webrtc,
 * quic) listen on ports. */
static struct ricochet *lobby(const uint16_t *ports, int kind, const char *name)
{
    static const enum ricochet_mode modes[KINDS] = {
        RICOCHET_MODE_RELIABLE, RICOCHET_MODE_TCP, RICOCHET_MODE_WS,
        RICOCHET_MODE_RELIABLE, RICOCHET_MODE_RELIABLE, RICOCHET_MODE_RELIABLE};
    static const enum ricochet_transport carriers[KINDS] = {
        RICOCHET_TRANSPORT_DEFAULT, RICOCHET_TRANSPORT_DEFAULT, RICOCHET_TRANSPORT_DEFAULT,
        RICOCHET_TRANSPORT_WEBRTC, RICOCHET_TRANSPORT_QUIC, RICOCHET_TRANSPORT_WEBTRANSPORT};
    /* a WebRTC offer goes to the ws edge; WebTransport is the quic edge's */
    static const int port_of[KINDS] = {0, 1, 2, 2, 4, 4};
    struct ricochet_config *cfg = players_config(ports[port_of[kind]], modes[kind], name);
    assert_int_equal(ricochet_config_set_transport(cfg, carriers[kind]), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_lobby(cfg, true), RICOCHET_OK);
    return players_connect(cfg);
}

/* A member of room over ENet on port. */
static struct ricochet *member(uint16_t port, const char *room, const char *name)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, name);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    return players_connect(cfg);
}

/* Polls every session of cs for ms; fails if any ends. */
static void poll_for(struct ricochet **cs, size_t n, uint64_t ms)
{
    struct ricochet_event ev;
    uint64_t until = clock_now_ms() + ms;
    while (clock_now_ms() < until)
        for (size_t i = 0; i < n; i++)
            while (cs[i] && ricochet_poll(cs[i], 5, &ev) == 1)
                if (ev.type == RICOCHET_EV_DISCONNECTED)
                    fail_msg("session %zu ended: %s", i, ricochet_end_reason(cs[i]));
}

/* Does the last listing of c name room? */
static bool lists(const struct ricochet *c, const char *room)
{
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    size_t n = ricochet_rooms(c, rooms, RICOCHET_ROOMS_PAGE, NULL);
    for (size_t i = 0; i < n && i < RICOCHET_ROOMS_PAGE; i++)
        if (!strcmp(rooms[i].room, room))
            return true;
    return false;
}

/* Polls cs (cs[who] the lobby) until the lobby's listing names room,
 * within ms; returns how long it took. Fails past ms. */
static uint64_t told_of(struct ricochet **cs, size_t n, size_t who, const char *room,
                        uint64_t ms)
{
    struct ricochet_event ev;
    uint64_t start = clock_now_ms(), until = start + ms;
    while (clock_now_ms() < until)
        for (size_t i = 0; i < n; i++)
            while (cs[i] && ricochet_poll(cs[i], i == who ? 5 : 0, &ev) == 1) {
                if (ev.type == RICOCHET_EV_DISCONNECTED)
                    fail_msg("session %zu ended: %s", i, ricochet_end_reason(cs[i]));
                if (i == who && ev.type == RICOCHET_EV_ROOMS && lists(cs[i], room))
                    return clock_now_ms() - start;
            }
    fail_msg("lobby not told of %s within %llu ms", room, (unsigned long long)ms);
    return 0;
}

/* A lobby over kind that watches "w-": still open past the join timeout
 * and the idle bound, told of a room made within 1 s; then left unpolled,
 * closed not_joined past the idle bound. */
static void watch_over(const uint16_t *ports, int kind)
{
    struct ricochet_event ev;
    char room[32];
    snprintf(room, sizeof room, "w-%s", kind_name[kind]);
    struct ricochet *cs[2] = {lobby(ports, kind, "looker"), NULL};
    assert_int_equal(ricochet_watch_rooms(cs[0], "w-", NULL, 0, true), RICOCHET_OK);
    players_wait_event(cs, 1, 0, RICOCHET_EV_ROOMS, &ev);
    assert_true(ricochet_watching(cs[0]));
    assert_false(lists(cs[0], room));
    /* past --join-timeout-ms 400 and --lobby-idle-ms 3000 */
    poll_for(cs, 1, 4000);
    assert_true(ricochet_watching(cs[0]));
    cs[1] = member(ports[0], room, "maker");
    uint64_t took = told_of(cs, 2, 0, room, 1000);
    print_message("%s: a lobby watching 4 s told of a new room in %llu ms\n",
                  kind_name[kind], (unsigned long long)took);
    ricochet_close(cs[1]);
    /* unpolled: no ping, closed past the idle bound */
    uint64_t quiet_until = clock_now_ms() + 3500;
    while (clock_now_ms() < quiet_until)
        clock_sleep_ms(50);
    uint64_t deadline = clock_now_ms() + 5000;
    bool ended = false;
    while (!ended && clock_now_ms() < deadline)
        while (ricochet_poll(cs[0], 10, &ev) == 1)
            if (ev.type == RICOCHET_EV_DISCONNECTED) {
                ended = true;
                break;
            }
    assert_true(ended);
    assert_string_equal(ev.code, "not_joined");
    ricochet_close(cs[0]);
}

static void a_watching_lobby_stays_and_is_told_on_every_edge(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *schemes[] = {"enet", "tcp", "ws", "webrtc", "quic", NULL};
    const char *more[] = {"--log-level", "warn", "--join-timeout-ms", "400",
                          "--lobby-idle-ms", "3000",
                          /* a lobby left unpolled is no slow reader nor silent
                           * peer here: only the idle bound closes it */
                          "--slow-reader-ms", "0", "--timeout-ms", "20000", NULL};
    uint16_t ports[5];
    harness_start_edges(&relay, schemes, more, ports);
    for (int k = 0; k < KINDS; k++)
        watch_over(ports, k);
    long long idle = harness_relay_stat(&relay, "drops.join_timeout");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_int_equal(idle, KINDS);
}

/* The requirement as it stands: a lobby over ENet, at the relay's
 * defaults (2 s join timeout, 30 s idle bound), open at 60 s and told of
 * a new room then. */
static void a_lobby_holds_sixty_seconds(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct ricochet_event ev;
    const char *args[] = {"--log-level", "warn", NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct ricochet *cs[2] = {NULL, NULL};
    struct ricochet_config *cfg = players_config((uint16_t)port, RICOCHET_MODE_RELIABLE, "l");
    assert_int_equal(ricochet_config_set_lobby(cfg, true), RICOCHET_OK);
    cs[0] = players_connect(cfg);
    /* asked while connecting: it goes once connected */
    assert_int_equal(ricochet_watch_rooms(cs[0], NULL, NULL, 0, true), RICOCHET_OK);
    players_wait_event(cs, 1, 0, RICOCHET_EV_ROOMS, &ev);
    assert_true(ricochet_watching(cs[0]));
    poll_for(cs, 1, 60000);
    assert_true(ricochet_watching(cs[0]));
    cs[1] = member((uint16_t)port, "late", "maker");
    told_of(cs, 2, 0, "late", 1000);
    ricochet_close(cs[0]);
    ricochet_close(cs[1]);
    long long timeouts = harness_relay_stat(&relay, "drops.join_timeout");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_int_equal(timeouts, 0);
}

#define WATCH "{\"type\":\"rooms\",\"prefix\":\"g\",\"watch\":true}"
#define ATTEMPTS 2000
#define KEPT 8

/* Opens c over TCP and asks it to watch; true if the relay took the
 * watch (a listing with watch), false if it refused (server_full, then
 * closed: both checked). */
static bool tcp_watch(struct streams_conn *c, uint16_t port, const char *bound)
{
    char msg[4096];
    assert_int_equal(streams_open(c, STREAMS_TCP, "127.0.0.1", port), 0);
    assert_int_equal(streams_send(c, WATCH, strlen(WATCH)), 0);
    assert_true(streams_recv(c, msg, sizeof msg, 3000) > 0);
    if (strstr(msg, "\"type\":\"rooms\"")) {
        assert_non_null(strstr(msg, "\"watch\":true"));
        return true;
    }
    assert_non_null(strstr(msg, "\"code\":\"server_full\""));
    assert_non_null(strstr(msg, bound));
    assert_true(streams_closed_within(c, 3000));
    streams_close(c);
    return false;
}

/* Two members of "game" exchange one state each way, reliably: both
 * counted when they come. */
static void exchange(struct ricochet **m, uint32_t *got)
{
    struct ricochet_state s = {.x = 1, .y = 2};
    struct ricochet_event ev;
    for (int i = 0; i < 2; i++)
        assert_int_equal(ricochet_send_state(m[i], &s), RICOCHET_OK);
    for (int i = 0; i < 2; i++)
        while (ricochet_poll(m[i], 0, &ev) == 1) {
            if (ev.type == RICOCHET_EV_DISCONNECTED)
                fail_msg("member %d ended: %s", i, ricochet_end_reason(m[i]));
            got[i] += ev.type == RICOCHET_EV_STATE;
        }
}

static void watchers_past_the_bounds_are_refused(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *schemes[] = {"enet", "tcp", NULL};
    const char *more[] = {"--log-level", "warn", "--lobby-idle-ms", "60000", NULL};
    uint16_t ports[2];
    harness_start_edges(&relay, schemes, more, ports);
    struct ricochet *m[2] = {member(ports[0], "other", "m0"), member(ports[0], "other", "m1")};
    struct ricochet_event ev;
    players_wait_event(m, 2, 0, RICOCHET_EV_WELCOME, &ev);
    players_wait_event(m, 2, 1, RICOCHET_EV_WELCOME, &ev);
    struct streams_conn *kept = calloc(KEPT + 1, sizeof *kept);
    assert_non_null(kept);
    uint32_t got[2] = {0, 0}, sent = 0, took = 0, refused = 0;
    for (int i = 0; i < ATTEMPTS; i++) {
        struct streams_conn *c = &kept[took < KEPT ? took : KEPT];
        if (tcp_watch(c, ports[1], "--max-lobbies-per-address"))
            took++;
        else
            refused++;
        if (i % 10 == 0) {
            exchange(m, got);
            sent++;
        }
    }
    assert_int_equal(took, KEPT);
    assert_int_equal(refused, ATTEMPTS - KEPT);
    /* every state of the members came across the flood */
    uint64_t deadline = clock_now_ms() + 5000;
    while ((got[0] < sent || got[1] < sent) && clock_now_ms() < deadline)
        for (int i = 0; i < 2; i++)
            while (ricochet_poll(m[i], 5, &ev) == 1)
                got[i] += ev.type == RICOCHET_EV_STATE;
    assert_int_equal(got[0], sent);
    assert_int_equal(got[1], sent);
    /* the watchers kept are told of a room made */
    struct ricochet *maker = member(ports[0], "game", "maker");
    players_wait_event(&maker, 1, 0, RICOCHET_EV_WELCOME, &ev);
    char msg[4096];
    for (int k = 0; k < KEPT; k++) {
        int n;
        do
            n = streams_recv(&kept[k], msg, sizeof msg, 1500);
        while (n > 0 && !strstr(msg, "\"room\":\"game\""));
        assert_true(n > 0);
        streams_close(&kept[k]);
    }
    free(kept);
    ricochet_close(maker);
    ricochet_close(m[0]);
    ricochet_close(m[1]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static void a_relay_keeps_max_lobbies(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *schemes[] = {"tcp", NULL};
    const char *more[] = {"--log-level", "warn", "--max-lobbies", "3", NULL};
    uint16_t port;
    harness_start_edges(&relay, schemes, more, &port);
    struct streams_conn *c = calloc(4, sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < 3; i++)
        assert_true(tcp_watch(&c[i], port, ""));
    assert_false(tcp_watch(&c[3], port, "--max-lobbies)"));
    /* one that ends its watch is closed at the join timeout (2 s) */
    const char *off = "{\"type\":\"rooms\",\"watch\":false}";
    assert_int_equal(streams_send(&c[0], off, strlen(off)), 0);
    assert_true(streams_closed_within(&c[0], 4000));
    /* its place is free again: a fourth watches */
    assert_true(tcp_watch(&c[3], port, ""));
    /* one that joins watches no more: a room made is no page to it, and
     * a watcher is told of it */
    const char *join_x = "{\"type\":\"join\",\"version\":3,\"room\":\"x\",\"name\":\"j\"}";
    const char *join_g = "{\"type\":\"join\",\"version\":3,\"room\":\"g2\",\"name\":\"k\"}";
    char msg[4096];
    assert_int_equal(streams_send(&c[1], join_x, strlen(join_x)), 0);
    assert_true(streams_recv(&c[1], msg, sizeof msg, 3000) > 0);
    if (!strstr(msg, "\"type\":\"welcome\""))
        fail_msg("%s", msg);
    assert_int_equal(streams_send(&c[2], join_g, strlen(join_g)), 0);
    int n;
    do
        n = streams_recv(&c[3], msg, sizeof msg, 1500);
    while (n > 0 && !strstr(msg, "\"room\":\"g2\""));
    assert_true(n > 0);
    while ((n = streams_recv(&c[1], msg, sizeof msg, 1000)) > 0)
        assert_null(strstr(msg, "\"type\":\"rooms\""));
    for (int i = 0; i < 4; i++)
        streams_close(&c[i]);
    free(c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* What ricochet_watch_rooms refuses before sending: no session, a bad
 * prefix or match, a session that is no lobby. */
static void watch_rooms_refusals(void **state)
{
    (void)state;
    struct ricochet_prop bad = {.key = "a b", .value = "x"};
    assert_int_equal(ricochet_watch_rooms(NULL, "", NULL, 0, true), RICOCHET_E_INVALID);
    assert_false(ricochet_watching(NULL));
    struct ricochet_config *cfg = players_config(7, RICOCHET_MODE_RELIABLE, "l");
    assert_int_equal(ricochet_config_set_lobby(cfg, true), RICOCHET_OK);
    struct ricochet *l = players_connect(cfg);
    assert_int_equal(ricochet_watch_rooms(l, "a b", NULL, 0, true), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_watch_rooms(l, "", NULL, 1, true), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_watch_rooms(l, "", &bad, 1, true), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_watch_rooms(l, "g", NULL, 0, true), RICOCHET_OK); /* once up */
    assert_false(ricochet_watching(l)); /* no listing said so yet */
    ricochet_close(l);
    cfg = players_config(7, RICOCHET_MODE_RELIABLE, "m");
    assert_int_equal(ricochet_config_set_room(cfg, "r"), RICOCHET_OK);
    struct ricochet *m = players_connect(cfg);
    assert_int_equal(ricochet_watch_rooms(m, "", NULL, 0, true), RICOCHET_E_UNSUPPORTED);
    ricochet_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_watching_lobby_stays_and_is_told_on_every_edge),
        cmocka_unit_test(watchers_past_the_bounds_are_refused),
        cmocka_unit_test(a_relay_keeps_max_lobbies),
        cmocka_unit_test(watch_rooms_refusals),
        cmocka_unit_test(a_lobby_holds_sixty_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
