/* test_e2e_referee.c: refereed rooms that outlive their relay, with
 * libricochet's players and the example scripts (examples/scripts). A
 * tic-tac-toe room (tictactoe.lua, pinned to its rooms by --script-room)
 * whose relay is SIGKILLed with --room-file and started again on the same
 * file: its players rejoin, the room's kept roles, score and board are as
 * they were, and the referee plays on from them (the player whose turn it
 * is not refused, the score counted on from the one kept, not afresh);
 * beside it a gates room (gates.lua: its gates, score and clock read back,
 * a gate open before not opened again) and a tag room (tag.lua: "it" the
 * same player again, with its new id). The same after a fleet's move: two
 * relays with enet, ws and poll edges sharing a redis-server directory, X
 * over ENet entering through the room's relay (the fleet's other given as
 * ricochet_config_add_relay's), O over a WebSocket and a watcher polling
 * over HTTP entering through the other; the room's relay is SIGKILLed and
 * every player is back on the other within its rejoin window, none ended
 * moved_too_far, the game as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/ricochet.h"
#include "sys/clock.h"
#include "tests/support/fleet_e2e.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000
#define REJOIN_MS 10000 /* each player's rejoin window */
#define SCRIPTS "--script-dir", "examples/scripts", "--script-room", "ttt-=tictactoe"

/* A player as the test sees it: the room's newest kept events by key, the
 * room's last words to it, its moves and its end. */
struct seat {
    struct ricochet *s;
    char name[16];
    char roles[64], board[16], score[32], last[16], it[16], it_player[20], clock[8];
    char gates[160];     /* the gates kept ("gN.PLAYER" keys, ',' between) */
    char said[128];      /* the room's last word (not kept) */
    unsigned moved;      /* MOVED events */
    char moved_code[RICOCHET_CODE_MAX + 1]; /* the first MOVED's code */
    char at[8];          /* the port of the relay its last WELCOME came from */
    char hops[160];      /* where its MOVED events sent it ("host:port", ' ' after each) */
    char end[RICOCHET_CODE_MAX + 1]; /* DISCONNECTED's code ("": none) */
};

static void seat_event(struct seat *t, const struct ricochet_event *ev)
{
    if (ev->type == RICOCHET_EV_WELCOME)
        snprintf(t->at, sizeof t->at, "%u", (unsigned)ricochet_relay_port(t->s));
    if (ev->type == RICOCHET_EV_MOVED) {
        if (!t->moved++)
            snprintf(t->moved_code, sizeof t->moved_code, "%s", ev->code);
        size_t at = strlen(t->hops);
        snprintf(t->hops + at, sizeof t->hops - at, "%s ", ev->text);
        /* what the room keeps comes again from the relay it goes to */
        t->roles[0] = t->board[0] = t->score[0] = t->it[0] = t->it_player[0] = '\0';
        t->gates[0] = t->clock[0] = '\0';
    }
    if (ev->type == RICOCHET_EV_DISCONNECTED)
        snprintf(t->end, sizeof t->end, "%s", ev->code);
    if (ev->type != RICOCHET_EV_EVENT || ev->id != RICOCHET_ROOM_SENDER)
        return;
    size_t len;
    const uint8_t *body = ricochet_event_bytes(t->s, &len);
    const char *key = ricochet_event_key(t->s);
    char text[128];
    snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1),
             (const char *)body);
    struct {
        const char *key;
        char *into;
        size_t cap;
    } kept[] = {{"roles", t->roles, sizeof t->roles}, {"board", t->board, sizeof t->board},
                {"score", t->score, sizeof t->score}, {"last", t->last, sizeof t->last},
                {"it", t->it, sizeof t->it}, {"it.player", t->it_player, sizeof t->it_player},
                {"clock", t->clock, sizeof t->clock}};
    if (!key[0]) {
        snprintf(t->said, sizeof t->said, "%s", text);
        return;
    }
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (strcmp(key, kept[i].key) == 0)
            snprintf(kept[i].into, kept[i].cap, "%s", text);
    if (key[0] == 'g' && len > 0 && !strstr(t->gates, key)) {
        size_t at = strlen(t->gates);
        snprintf(t->gates + at, sizeof t->gates - at, "%s%s", at ? "," : "", key);
    }
}

static void poll_seats(struct seat *seats, size_t n, int ms)
{
    struct ricochet_event ev;
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;)
        for (size_t i = 0; i < n; i++)
            while (seats[i].s && ricochet_poll(seats[i].s, i == 0 ? 5 : 0, &ev) == 1)
                seat_event(&seats[i], &ev);
}

/* Polls every seat until seats[who]'s field (a string of struct seat)
 * equals want; fails after WAIT_MS, or at an end. */
static void wait_field(struct seat *seats, size_t n, size_t who, size_t field, const char *want)
{
    const char *have = (const char *)&seats[who] + field;
    for (uint64_t end = clock_now_ms() + WAIT_MS; strcmp(have, want) != 0;) {
        if (clock_now_ms() > end || seats[who].end[0])
            fail_msg("%s: '%s', not '%s' (ended: '%s')", seats[who].name, have, want,
                     seats[who].end);
        poll_seats(seats, n, 10);
    }
}

#define WAIT(seats, n, who, field, want) \
    wait_field(seats, n, who, offsetof(struct seat, field), want)

/* seats[who] asks for cell; the room's answer to it is want. */
static void move(struct seat *seats, size_t n, size_t who, int cell, const char *want)
{
    char body[8];
    snprintf(body, sizeof body, "move %d", cell);
    seats[who].said[0] = '\0';
    assert_int_equal(ricochet_send_event(seats[who].s, RICOCHET_TO_ROOM, body, strlen(body)),
                     RICOCHET_OK);
    WAIT(seats, n, who, said, want);
}

static struct ricochet *player(const char *host, uint16_t port, const char *room,
                               const char *name, enum ricochet_mode mode,
                               enum ricochet_transport via, uint16_t more)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, host, port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, name), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, mode), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_transport(cfg, via), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_rejoin(cfg, REJOIN_MS), RICOCHET_OK);
    if (more)
        assert_int_equal(ricochet_config_add_relay(cfg, host, more), RICOCHET_OK);
    char err[256];
    struct ricochet *s = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!s)
        fail_msg("%s: %s", name, err);
    return s;
}

static void seat_up(struct seat *t, const char *name, struct ricochet *s)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->s = s;
}

/* X and O play a game X wins, then the next (O first) two moves in; the
 * room keeps it all. */
static void play_before(struct seat *s, size_t n)
{
    /* "X=PLAYER,O=PLAYER" told to each: both seated, joined */
    for (uint64_t end = clock_now_ms() + WAIT_MS;
         strlen(s[0].roles) != 37 || strlen(s[1].roles) != 37;) {
        assert_true(clock_now_ms() < end);
        poll_seats(s, n, 10);
    }
    static const struct {
        size_t who;
        int cell;
        const char *said;
    } moves[] = {{0, 1, "X 1"}, {1, 4, "O 4"}, {0, 2, "X 2"}, {1, 5, "O 5"}, {0, 3, "X wins"},
                 {1, 5, "O 5"}, {0, 1, "X 1"}};
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        move(s, n, moves[i].who, moves[i].cell, moves[i].said);
    for (size_t i = 0; i < n; i++) {
        WAIT(s, n, i, board, "X...O.... O");
        WAIT(s, n, i, score, "X=1,O=0,draw=0");
    }
}

/* Back after the restart or the move (a MOVED, its kept events cleared,
 * then those of the relay it is back on): the room's kept game as before,
 * and the referee playing on from it. */
static void play_after(struct seat *s, size_t n, const char *roles)
{
    for (size_t i = 0; i < n; i++) {
        WAIT(s, n, i, moved_code, "rejoin");
        WAIT(s, n, i, roles, roles);
        WAIT(s, n, i, board, "X...O.... O");
        WAIT(s, n, i, score, "X=1,O=0,draw=0");
        assert_string_equal(s[i].last, "X XXXOO....");
    }
    move(s, n, 0, 9, "refused: not your turn"); /* X's by its player, O's turn */
    move(s, n, 1, 4, "O 4");
    move(s, n, 0, 7, "X 7");
    move(s, n, 1, 6, "O wins");
    for (size_t i = 0; i < n; i++)
        WAIT(s, n, i, score, "X=1,O=1,draw=0"); /* on from the kept score */
}

/* A gates player (its room runs gates.lua) steps onto gate 0 (50 + 35, 50). */
static void touch_gate(struct seat *s, size_t n, size_t who, float x, float y)
{
    struct ricochet_state st = {.x = x, .y = y};
    for (uint64_t end = clock_now_ms() + WAIT_MS; ricochet_send_state(s[who].s, &st) != RICOCHET_OK;) {
        assert_true(clock_now_ms() < end);
        poll_seats(s, n, 20);
    }
}

static void room_file_restart(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-referee-XXXXXX", file[64], listen[40];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/rooms.json", dir);
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--room-file", file, SCRIPTS,
                          "--stats-interval", "0", NULL};
    struct spawn_proc relay;
    int p = harness_start_relay(&relay, args);
    assert_true(p > 0);
    snprintf(listen, sizeof listen, "enet://127.0.0.1:%d", p);

    struct seat s[4];
    seat_up(&s[0], "ann", player("127.0.0.1", (uint16_t)p, "ttt-1", "ann",
                                 RICOCHET_MODE_RELIABLE, RICOCHET_TRANSPORT_DEFAULT, 0));
    WAIT(s, 1, 0, board, "......... X");
    seat_up(&s[1], "bob", player("127.0.0.1", (uint16_t)p, "ttt-1", "bob",
                                 RICOCHET_MODE_RELIABLE, RICOCHET_TRANSPORT_DEFAULT, 0));
    /* a gates room and a tag room of one player each beside it */
    struct ricochet_config *cfg;
    struct ricochet *g = NULL, *t = NULL;
    const char *extra[2][2] = {{"ring", "gates"}, {"yard", "tag"}};
    for (int i = 0; i < 2; i++) {
        cfg = ricochet_config_new();
        ricochet_config_set_relay(cfg, "127.0.0.1", (uint16_t)p);
        ricochet_config_set_room(cfg, extra[i][0]);
        ricochet_config_set_name(cfg, i ? "tim" : "gus");
        ricochet_config_set_mode(cfg, RICOCHET_MODE_RELIABLE);
        ricochet_config_set_rejoin(cfg, REJOIN_MS);
        assert_int_equal(ricochet_config_set_room_prop(cfg, "script", extra[i][1]), RICOCHET_OK);
        char err[256];
        *(i ? &t : &g) = ricochet_connect(cfg, err, sizeof err);
        ricochet_config_free(cfg);
        assert_non_null(i ? t : g);
    }
    seat_up(&s[2], "gus", g);
    seat_up(&s[3], "tim", t);
    play_before(s, 2);
    char roles[64];
    snprintf(roles, sizeof roles, "%s", s[0].roles);
    assert_non_null(strstr(roles, ricochet_player(s[0].s, 0)));
    assert_non_null(strstr(roles, ricochet_player(s[1].s, 0)));
    touch_gate(s, 4, 2, 85, 50);
    char gate[40];
    snprintf(gate, sizeof gate, "g0.%s", ricochet_player(s[2].s, 0));
    WAIT(s, 4, 2, gates, gate);
    WAIT(s, 4, 3, it_player, ricochet_player(s[3].s, 0));
    poll_seats(s, 4, 300); /* the file is written within 100 ms of a change */

    spawn_stop(&relay, SIGKILL, 2000);
    spawn_free(&relay);
    const char *again[] = {"--listen", listen, "--room-file", file, SCRIPTS,
                           "--stats-interval", "0", NULL};
    assert_true(harness_start_relay(&relay, again) == p);
    play_after(s, 2, roles);
    /* gates: the gate open before is still gus's, the score counted on */
    WAIT(s, 4, 2, moved_code, "rejoin");
    WAIT(s, 4, 3, moved_code, "rejoin");
    WAIT(s, 4, 2, gates, gate);
    assert_true(atoi(s[2].clock) > 200); /* the round goes on, its clock read back */
    touch_gate(s, 4, 2, 85, 50);
    touch_gate(s, 4, 2, 50, 85); /* gate 2 */
    char two[90];
    snprintf(two, sizeof two, "g0.%s,g2.%s", ricochet_player(s[2].s, 0),
             ricochet_player(s[2].s, 0));
    WAIT(s, 4, 2, gates, two);
    /* tag: "it" the same player, with its id on this relay */
    WAIT(s, 4, 3, it_player, ricochet_player(s[3].s, 0));
    char id[16];
    snprintf(id, sizeof id, "%u", (unsigned)ricochet_id(s[3].s));
    WAIT(s, 4, 3, it, id);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(s[i].end, "");
        assert_string_equal(s[i].moved_code, "rejoin");
        ricochet_close(s[i].s);
    }
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    harness_sh("rm -rf '%s'", dir);
}

enum { EDGE_ENET, EDGE_WS, EDGE_POLL, EDGES };

struct edged {
    struct spawn_proc p;
    uint16_t ports[EDGES];
};

static void start_edged(struct edged *r, const struct redisproc *redis)
{
    static const char *const schemes[] = {"enet", "ws", "poll", NULL};
    const char *const more[] = {"--directory", redis->url, "--advertise", "127.0.0.1:0",
                                "--directory-ttl", FLEET_TTL, SCRIPTS, "--stats-interval",
                                "0", NULL};
    memset(r, 0, sizeof *r);
    harness_start_edges(&r->p, schemes, more, r->ports);
}

static void fleet_move(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct edged a, b;
    start_edged(&a, &redis);
    start_edged(&b, &redis);
    struct seat s[3];
    /* X places the room on a, through a, with b to rejoin through */
    seat_up(&s[0], "ann", player("127.0.0.1", a.ports[EDGE_ENET], "ttt-2", "ann",
                                 RICOCHET_MODE_RELIABLE, RICOCHET_TRANSPORT_DEFAULT,
                                 b.ports[EDGE_ENET]));
    WAIT(s, 1, 0, board, "......... X");
    seat_up(&s[1], "bob", player("127.0.0.1", b.ports[EDGE_WS], "ttt-2", "bob",
                                 RICOCHET_MODE_WS, RICOCHET_TRANSPORT_DEFAULT, 0));
    play_before(s, 2);
    seat_up(&s[2], "cat", player("127.0.0.1", b.ports[EDGE_POLL], "ttt-2", "cat",
                                 RICOCHET_MODE_TCP, RICOCHET_TRANSPORT_POLL, 0));
    WAIT(s, 3, 2, score, "X=1,O=0,draw=0");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ricochet_relay_port(s[i].s), a.ports[i]);
    char roles[64];
    snprintf(roles, sizeof roles, "%s", s[0].roles);
    poll_seats(s, 3, 300); /* the directory has the room's record */
    for (size_t i = 0; i < 3; i++) /* the moves from here on */
        s[i].moved = 0, s[i].hops[0] = '\0';

    spawn_stop(&a.p, SIGKILL, 2000);
    uint64_t killed = clock_now_ms();
    for (size_t i = 0; i < 3; i++) {
        char port[8];
        snprintf(port, sizeof port, "%u", (unsigned)b.ports[i]);
        WAIT(s, 3, i, moved_code, "rejoin");
        WAIT(s, 3, i, at, port);
        WAIT(s, 3, i, board, "X...O.... O"); /* replayed after its welcome there */
        snprintf(port, sizeof port, ":%u ", (unsigned)a.ports[i]);
        if (strstr(s[i].hops, port)) /* never sent back to the relay it reported lost */
            fail_msg("%s went back to a: %s", s[i].name, s[i].hops);
    }
    uint64_t back = clock_now_ms() - killed;
    print_message("every player back on b %llu ms after a's kill\n", (unsigned long long)back);
    assert_true(back < REJOIN_MS);
    play_after(s, 3, roles);
    move(s, 3, 2, 1, "refused: you watch: two players play");
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(s[i].end, ""); /* none ended: moved_too_far, or any */
        ricochet_close(s[i].s);
    }
    spawn_free(&a.p);
    free(harness_relay_finish(&b.p));
    spawn_free(&b.p);
    test_redis_stop(&redis);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(room_file_restart),
        cmocka_unit_test(fleet_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
