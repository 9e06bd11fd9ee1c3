/* test_e2e_scripts.c: room scripts (docs/scripts.md) in a real
 * ricochet-relay over ENet on 127.0.0.1, with libricochet as the players:
 * the examples as shipped (examples/scripts/gates.lua: a gate opens once,
 * to the first touch in the relay's order, kept by the room with the
 * score, a player's own claim refused, its clear of the score too; a
 * round timed by the room's clock, over when every gate is open or the
 * time is up, its winner kept by the room, a tie the first to reach it;
 * tag.lua: a teleport corrected to the speed limit and said to every
 * member, "it" kept by the room), what the room sends coming
 * from its reserved sender; a refused join's reason as the client reads
 * it; the bindings' tests' script (tests/scripts/bindings.lua) as
 * libricochet reads it: a refusal's reason, the room's word from
 * RICOCHET_ROOM_SENDER, its kept score no member clears, a latecomer
 * reading it; SIGHUP reads the scripts again, new rooms running the new ones, a
 * fault keeping the ones before; a script that fails its check stops the
 * relay at start (one line, file and line), and --check checks them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/ricochet.h"
#include "relay/core/script_port.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/room_scripts.h"

#define WAIT_MS 10000

static struct ricochet *player(uint16_t port, const char *room, const char *name,
                               const char *script)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, name);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    if (script)
        assert_int_equal(ricochet_config_set_room_prop(cfg, "script", script), RICOCHET_OK);
    return players_connect(cfg);
}

/* Polls c until an event of type passes want (NULL: any), or WAIT_MS; its
 * bytes (an EVENT's body) into body. */
static bool wait_for(struct ricochet *c, enum ricochet_event_type type,
                     bool (*want)(struct ricochet *c, const struct ricochet_event *ev),
                     struct ricochet_event *out)
{
    uint64_t end = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < end) {
        struct ricochet_event ev;
        while (ricochet_poll(c, 10, &ev) == 1) {
            if (ev.type == type && (!want || want(c, &ev))) {
                *out = ev;
                return true;
            }
        }
    }
    return false;
}

static char body[RICOCHET_EVENT_MAX + 1];

/* ev's body as a string into body. */
static const char *body_of(struct ricochet *c)
{
    size_t len = 0;
    const uint8_t *b = ricochet_event_bytes(c, &len);
    snprintf(body, sizeof body, "%.*s", (int)len, b ? (const char *)b : "");
    return body;
}

static bool score_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RELAY_SCRIPT_SENDER && strcmp(ricochet_event_key(c), "score") == 0;
}

static bool gate_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RELAY_SCRIPT_SENDER && strncmp(ricochet_event_key(c), "g0.", 3) == 0;
}

static bool it_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RELAY_SCRIPT_SENDER && strcmp(ricochet_event_key(c), "it") == 0;
}

static bool winner_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RELAY_SCRIPT_SENDER && strcmp(ricochet_event_key(c), "winner") == 0;
}

static bool clock_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RELAY_SCRIPT_SENDER && strcmp(ricochet_event_key(c), "clock") == 0;
}

static bool clock_zero(struct ricochet *c, const struct ricochet_event *ev)
{
    return clock_event(c, ev) && strcmp(body_of(c), "0") == 0;
}

static bool fix_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RELAY_SCRIPT_SENDER && !ricochet_event_key(c)[0] &&
           strncmp(body_of(c), "fix ", 4) == 0;
}

static void send_at(struct ricochet *c, float x, float y)
{
    struct ricochet_state s = {.x = x, .y = y};
    assert_int_equal(ricochet_send_state(c, &s), RICOCHET_OK);
    ricochet_flush(c);
}

static void start_examples(struct spawn_proc *relay, uint16_t *port)
{
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--script-dir", "examples/scripts",
                          NULL};
    assert_true(harness_start_relay(relay, args) > 0);
    *port = harness_edge_port(relay, "enet");
}

/* gates.lua: ann touches gate 0 (at 85, 50); bob, joining later, learns
 * from the room who opened it and the score; bob's own claim on gate 1 and
 * touch of gate 0 change nothing. */
static void gates_open_once_and_the_room_keeps_them(void **state)
{
    (void)state;
    struct spawn_proc relay;
    uint16_t port;
    start_examples(&relay, &port);
    struct ricochet *c[2] = {player(port, "ring", "ann", "gates"), NULL};
    struct ricochet_event ev;
    players_wait_event(c, 1, 0, RICOCHET_EV_WELCOME, &ev);
    send_at(c[0], 85, 50);
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, score_event, &ev)); /* the room's, live */
    assert_string_equal(body_of(c[0]), "ann=1");
    c[1] = player(port, "ring", "bob", "gates");
    assert_true(wait_for(c[1], RICOCHET_EV_EVENT, gate_event, &ev));
    assert_string_equal(ev.code, "kept");
    size_t len = 0;
    const uint8_t *b = ricochet_event_bytes(c[1], &len);
    assert_int_equal(len, 4 + 3);
    assert_memory_equal(b, "\x01\x01\x00\x03" "ann", 7);
    assert_true(wait_for(c[1], RICOCHET_EV_EVENT, score_event, &ev));
    assert_string_equal(body_of(c[1]), "ann=1");
    /* bob: a claim of its own (dropped by the room), gate 0 again (taken) */
    assert_int_equal(ricochet_send_kept(c[1], "g1.bob", "\x01\x01\x01\x03" "bob", 7,
                                        RICOCHET_KEEP_STAY), RICOCHET_OK);
    send_at(c[1], 85, 50);
    send_at(c[1], 50 + 35 * cosf(2 * 3.14159265f / 8), 50 + 35 * sinf(2 * 3.14159265f / 8));
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, score_event, &ev));
    assert_string_equal(body_of(c[0]), "ann=1,bob=1"); /* gate 1, by touch */
    struct ricochet *late = player(port, "ring", "cy", "gates");
    size_t gates = 0;
    uint64_t end = clock_now_ms() + 2000;
    while (clock_now_ms() < end)
        while (ricochet_poll(late, 10, &ev) == 1)
            if (ev.type == RICOCHET_EV_EVENT && strcmp(ev.code, "kept") == 0 &&
                ricochet_event_key(late)[0] == 'g') {
                assert_int_equal(ev.id, RELAY_SCRIPT_SENDER); /* never bob's own claim */
                gates++;
            }
    assert_int_equal(gates, 2);
    ricochet_close(late);
    ricochet_close(c[0]);
    ricochet_close(c[1]);
    harness_stop(&relay);
}

/* Gate i's point on the ring. */
static float gate_x(int i) { return 50 + 35 * cosf((float)i * 2 * 3.14159265f / 8); }
static float gate_y(int i) { return 50 + 35 * sinf((float)i * 2 * 3.14159265f / 8); }

/* c touches gates from..to, each once the room's score says so. */
static void touch_gates(struct ricochet *c, int from, int to)
{
    struct ricochet_event ev;
    for (int i = from; i <= to; i++) {
        send_at(c, gate_x(i), gate_y(i));
        assert_true(wait_for(c, RICOCHET_EV_EVENT, score_event, &ev));
    }
}

/* gates.lua's round: ann opens four gates, then bob the other four, a
 * tie: the round is over with every gate open, its winner ann, first to
 * four. A latecomer learns the winner from the room; no member clears it,
 * nor the score. */
static void gates_round_ends_with_the_rooms_winner(void **state)
{
    (void)state;
    struct spawn_proc relay;
    uint16_t port;
    start_examples(&relay, &port);
    struct ricochet *c[2] = {player(port, "ring", "ann", "gates"), NULL};
    struct ricochet_event ev;
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, clock_event, &ev));
    assert_string_equal(body_of(c[0]), "300"); /* the round's seconds, from the first join */
    c[1] = player(port, "ring", "bob", "gates");
    players_wait_event(c, 2, 1, RICOCHET_EV_WELCOME, &ev);
    touch_gates(c[0], 0, 3);
    touch_gates(c[1], 4, 7);
    assert_true(wait_for(c[1], RICOCHET_EV_EVENT, winner_event, &ev));
    assert_string_equal(body_of(c[1]), "ann=4");
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, winner_event, &ev));
    assert_string_equal(body_of(c[0]), "ann=4");
    struct ricochet *late = player(port, "ring", "cy", "gates");
    assert_true(wait_for(late, RICOCHET_EV_EVENT, winner_event, &ev));
    assert_string_equal(ev.code, "kept");
    assert_string_equal(body_of(late), "ann=4");
    for (const char *const *key = (const char *const[]){"winner", "score", NULL}; *key; key++) {
        assert_int_equal(ricochet_send_kept(late, *key, NULL, 0, RICOCHET_KEEP_STAY),
                         RICOCHET_OK);
        ricochet_flush(late);
        assert_true(wait_for(late, RICOCHET_EV_ERROR, NULL, &ev));
        assert_string_equal(ev.code, "not_owner");
    }
    ricochet_close(late);
    ricochet_close(c[0]);
    ricochet_close(c[1]);
    harness_stop(&relay);
}

/* gates.lua with its round cut to 2 s (the shipped script, that constant
 * changed): the clock runs down to 0, the room names the winner so far,
 * and no gate opens after. */
static void gates_round_ends_when_the_time_is_up(void **state)
{
    (void)state;
    char dir[SCRIPTS_DIR_MAX];
    char *text = harness_read_text("examples/scripts/gates.lua");
    assert_non_null(text);
    char *round = strstr(text, "local ROUND = 300");
    assert_non_null(round);
    memcpy(round, "local ROUND =   2", 17);
    scripts_dir_new(dir);
    scripts_put(dir, "gates", text);
    free(text);
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--script-dir", dir, NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "enet");
    struct ricochet *c = player(port, "ring", "ann", "gates");
    struct ricochet_event ev;
    players_wait_event(&c, 1, 0, RICOCHET_EV_WELCOME, &ev);
    touch_gates(c, 0, 0);
    assert_true(wait_for(c, RICOCHET_EV_EVENT, clock_zero, &ev));
    assert_true(wait_for(c, RICOCHET_EV_EVENT, winner_event, &ev));
    assert_string_equal(body_of(c), "ann=1");
    send_at(c, gate_x(1), gate_y(1));
    uint64_t end = clock_now_ms() + 1000;
    while (clock_now_ms() < end)
        while (ricochet_poll(c, 10, &ev) == 1)
            if (ev.type == RICOCHET_EV_EVENT && ev.id == RELAY_SCRIPT_SENDER)
                fail_msg("the room said %s after its round", ricochet_event_key(c));
    ricochet_close(c);
    harness_stop(&relay);
    scripts_dir_free(dir);
}

/* tag.lua: ann, first in, is "it"; bob's teleport from (10, 10) to
 * (90, 90) reaches ann corrected to what the speed limit allows. */
static void tag_corrects_a_teleport(void **state)
{
    (void)state;
    struct spawn_proc relay;
    uint16_t port;
    start_examples(&relay, &port);
    struct ricochet *c[2] = {player(port, "yard", "ann", "tag"), NULL};
    struct ricochet_event ev;
    players_wait_event(c, 1, 0, RICOCHET_EV_WELCOME, &ev);
    uint32_t ann = ev.id;
    c[1] = player(port, "yard", "bob", "tag");
    assert_true(wait_for(c[1], RICOCHET_EV_EVENT, it_event, &ev));
    char want[16];
    snprintf(want, sizeof want, "%u", (unsigned)ann);
    assert_string_equal(body_of(c[1]), want);
    send_at(c[1], 10, 10);
    assert_true(wait_for(c[0], RICOCHET_EV_STATE, NULL, &ev));
    assert_true(fabsf(ev.state.x - 10) < 0.01f);
    uint64_t first_us = ev.state.send_us;
    usleep(20000);
    send_at(c[1], 90, 90); /* 113 units in some 20 ms */
    char said[64] = ""; /* the room's word to ann, before the state it corrected */
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, fix_event, &ev));
    snprintf(said, sizeof said, "%s", body_of(c[0]));
    assert_true(wait_for(c[0], RICOCHET_EV_STATE, NULL, &ev));
    /* as far as tag.lua's SPEED (40/s) and SLACK (2) allow in the time between */
    double most = 40.0 * (double)(ev.state.send_us - first_us) / 1e6 + 2;
    double d = hypot(ev.state.x - 10.0, ev.state.y - 10.0);
    if (d > most + 0.01 || d > 100)
        fail_msg("the teleport went %.1f units, at most %.1f: not corrected", d, most);
    assert_true(d > most - 0.01); /* it moved as far as it could */
    /* the room says so to both: "fix ID X Y", where the state went */
    char fix[64];
    snprintf(fix, sizeof fix, "fix %u %.2f %.2f", (unsigned)ev.id, ev.state.x, ev.state.y);
    assert_string_equal(said, fix);
    assert_true(wait_for(c[1], RICOCHET_EV_EVENT, fix_event, &ev));
    assert_string_equal(body_of(c[1]), fix);
    ricochet_close(c[0]);
    ricochet_close(c[1]);
    harness_stop(&relay);
}

/* A script's refusal reaches the client whole: its code and reason. */
static void a_refused_join_tells_its_reason(void **state)
{
    (void)state;
    char dir[SCRIPTS_DIR_MAX];
    scripts_dir_new(dir);
    scripts_put(dir, "door",
                "function on_join(room, m)\n"
                "  if m.name ~= 'host' then return false, 'the door is shut to ' .. m.name end\n"
                "end\n");
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--script-dir", dir,
                          "--script-default", "door", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "enet");
    struct ricochet *host = player(port, "hall", "host", NULL);
    struct ricochet_event ev;
    players_wait_event(&host, 1, 0, RICOCHET_EV_WELCOME, &ev);
    struct ricochet *eve = player(port, "hall", "eve", NULL);
    assert_true(wait_for(eve, RICOCHET_EV_ERROR, NULL, &ev));
    assert_string_equal(ev.code, "script_refused");
    assert_string_equal(ev.text, "the door is shut to eve");
    assert_true(wait_for(eve, RICOCHET_EV_DISCONNECTED, NULL, &ev));
    assert_non_null(strstr(ricochet_end_reason(eve), "the door is shut to eve"));
    ricochet_close(eve);
    ricochet_close(host);
    harness_stop(&relay);
    scripts_dir_free(dir);
}

static bool word_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RELAY_SCRIPT_SENDER && strcmp(ricochet_event_key(c), "word") == 0;
}

_Static_assert(RICOCHET_ROOM_SENDER == RELAY_SCRIPT_SENDER, "the library names the room's sender");

static bool room_event(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RICOCHET_ROOM_SENDER && !ricochet_event_key(c)[0];
}

static bool room_score(struct ricochet *c, const struct ricochet_event *ev)
{
    return ev->id == RICOCHET_ROOM_SENDER && strcmp(ricochet_event_key(c), "score") == 0;
}

/* tests/scripts/bindings.lua, the bindings' own tests' script, as
 * libricochet reads it: "banned" refused with the script's reason, bob's
 * join said by the room to ann (RICOCHET_ROOM_SENDER), and the room's
 * kept "score" cleared by neither bob nor ann (the room's owner), a
 * latecomer reading it. */
static void the_bindings_script_through_the_library(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--script-dir", "tests/scripts", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "enet");
    struct ricochet *c[2] = {player(port, "den", "ann", "bindings"), NULL};
    struct ricochet_event ev;
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, room_score, &ev));
    assert_string_equal(ev.code, "kept");
    assert_string_equal(body_of(c[0]), "1");
    c[1] = player(port, "den", "bob", NULL); /* bob's join goes on as bob polls */
    assert_true(wait_for(c[1], RICOCHET_EV_EVENT, room_score, &ev));
    assert_string_equal(body_of(c[1]), "2");
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, room_event, &ev));
    assert_string_equal(ev.code, "room");
    assert_string_equal(body_of(c[0]), "hello bob");
    assert_string_equal(ev.name, ""); /* no member is the room */
    struct ricochet *banned = player(port, "den", "banned", NULL);
    assert_true(wait_for(banned, RICOCHET_EV_ERROR, NULL, &ev));
    assert_string_equal(ev.code, "script_refused");
    assert_string_equal(ev.text, "no entry for banned");
    assert_true(wait_for(banned, RICOCHET_EV_DISCONNECTED, NULL, &ev));
    assert_string_equal(ev.code, "script_refused");
    ricochet_close(banned);
    for (int i = 1; i >= 0; i--) { /* bob's clear, then the owner's */
        assert_int_equal(ricochet_send_kept(c[i], "score", NULL, 0, RICOCHET_KEEP_STAY),
                         RICOCHET_OK);
        ricochet_flush(c[i]);
        assert_true(wait_for(c[i], RICOCHET_EV_ERROR, NULL, &ev));
        assert_string_equal(ev.code, "not_owner");
        assert_non_null(strstr(ev.text, "score"));
    }
    struct ricochet *late = player(port, "den", "cy", NULL);
    assert_true(wait_for(late, RICOCHET_EV_EVENT, room_score, &ev));
    assert_string_equal(ev.code, "kept");
    assert_string_equal(body_of(late), "3");
    ricochet_close(late);
    ricochet_close(c[0]);
    ricochet_close(c[1]);
    harness_stop(&relay);
}

/* SIGHUP reads the scripts again: a room made after runs the new one, a
 * room alive keeps its own; a script that fails its check leaves the ones
 * before (the relay goes on, the line in its log). */
static void sighup_reads_them_again(void **state)
{
    (void)state;
    char dir[SCRIPTS_DIR_MAX];
    scripts_dir_new(dir);
    scripts_put(dir, "say", "function on_join(room) room:keep('word', 'one') end\n");
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--script-dir", dir,
                          "--script-default", "say", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "enet");
    struct ricochet *c[3] = {player(port, "old", "ann", NULL), NULL, NULL};
    struct ricochet_event ev;
    assert_true(wait_for(c[0], RICOCHET_EV_EVENT, word_event, &ev));
    assert_string_equal(body_of(c[0]), "one");
    scripts_put(dir, "say", "function on_join(room) room:keep('word', 'two') end\n");
    scripts_put(dir, "bad", "x = = 1\n");
    assert_int_equal(kill(relay.pid, SIGHUP), 0);
    usleep(300000);
    c[1] = player(port, "new", "bob", NULL);
    assert_true(wait_for(c[1], RICOCHET_EV_EVENT, word_event, &ev));
    assert_string_equal(body_of(c[1]), "one"); /* the reload was refused */
    char bad[SCRIPTS_DIR_MAX + 16];
    snprintf(bad, sizeof bad, "%s/bad.lua", dir);
    assert_int_equal(unlink(bad), 0);
    assert_int_equal(kill(relay.pid, SIGHUP), 0);
    usleep(300000);
    c[2] = player(port, "newer", "cy", NULL);
    assert_true(wait_for(c[2], RICOCHET_EV_EVENT, word_event, &ev));
    assert_string_equal(body_of(c[2]), "two");
    for (int i = 0; i < 3; i++)
        ricochet_close(c[i]);
    char *log = spawn_read_stderr(&relay);
    assert_non_null(log);
    assert_non_null(strstr(log, "/bad.lua:1: unexpected symbol near '='"));
    free(log);
    harness_stop(&relay);
    scripts_dir_free(dir);
}

/* A script that fails its check: the relay does not start, one line says
 * which file and line; --check says the same. */
static void a_bad_script_stops_the_start(void **state)
{
    (void)state;
    char dir[SCRIPTS_DIR_MAX], cmd[512], out[512] = "";
    scripts_dir_new(dir);
    scripts_put(dir, "ok", "function on_join() end\n");
    scripts_put(dir, "typo", "function on_join(room, m)\n  if m.name = 'x' then end\nend\n");
    for (int check = 0; check < 2; check++) {
        snprintf(cmd, sizeof cmd, "%s/ricochet-relay --listen enet://127.0.0.1:0 "
                 "--script-dir %s%s 2>&1 </dev/null; echo rc=$?", harness_bin_dir(), dir,
                 check ? " --check" : "");
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = '\0';
        pclose(p);
        char want[256];
        snprintf(want, sizeof want, "ricochet-relay: error: %s/typo.lua:2: 'then' expected "
                 "near '='\nrc=2\n", dir);
        assert_string_equal(out, want);
    }
    scripts_dir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gates_open_once_and_the_room_keeps_them),
        cmocka_unit_test(gates_round_ends_with_the_rooms_winner),
        cmocka_unit_test(gates_round_ends_when_the_time_is_up),
        cmocka_unit_test(tag_corrects_a_teleport),
        cmocka_unit_test(a_refused_join_tells_its_reason),
        cmocka_unit_test(the_bindings_script_through_the_library),
        cmocka_unit_test(sighup_reads_them_again),
        cmocka_unit_test(a_bad_script_stops_the_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
