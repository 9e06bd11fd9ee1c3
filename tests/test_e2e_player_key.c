/* test_e2e_player_key.c: a player key kept past its process (ricochet.h:
 * ricochet_key, ricochet_config_set_key) against a real relay over ENet: a
 * session's key, handed to a new process after the session left, makes
 * that process's session the same player (ricochet_player), the room told
 * JOINED of that player; handed over while the first session is still in
 * the room (from the same address), the new one takes its place: its id
 * too, the room told REJOINED and no LEFT, the old session ended with
 * error replaced, once, and, though it had a rejoin window, not back in
 * the room (no second REJOINED in two seconds); a key of no session is a player
 * of that key all the same (a relay takes what it does not hold); the
 * library, logging at debug, never logs the key; a crowd of keys the
 * relay does not hold, behind one address and port (a hub), past the
 * relay's bound on them: the joins it refuses rate_limited go again a
 * second later, and every session joins as its key's player, none ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "client/lib/ricochet.h"
#include "relay/core/join_cost_internal.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

/* Every line the library logged (at debug) since the test began. */
static char logged[1 << 16];
static size_t logged_len;

static void keep_line(void *ctx, enum ricochet_log_level level, const char *line)
{
    (void)ctx;
    (void)level;
    int n = snprintf(logged + logged_len, sizeof logged - logged_len, "%s\n", line);
    if (n > 0 && logged_len + (size_t)n < sizeof logged)
        logged_len += (size_t)n;
}

struct room {
    struct spawn_proc relay;
    uint16_t port;
    struct ricochet *cs[2]; /* ann, and obs who watches the room */
    struct ricochet_event ev;
};

static struct ricochet *player(uint16_t port, const char *name, const char *key)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, name);
    assert_int_equal(ricochet_config_set_room(cfg, "keep"), RICOCHET_OK);
    if (key)
        assert_int_equal(ricochet_config_set_key(cfg, key), RICOCHET_OK);
    return players_connect(cfg);
}

static void room_open(struct room *t)
{
    const char *args[] = {"--log-level", "warn", NULL};
    memset(t, 0, sizeof *t);
    int port = harness_start_relay(&t->relay, args);
    assert_true(port > 0);
    t->port = (uint16_t)port;
    t->cs[1] = player(t->port, "obs", NULL);
    players_wait_event(t->cs, 2, 1, RICOCHET_EV_WELCOME, &t->ev);
    t->cs[0] = player(t->port, "ann", NULL);
    players_wait_event(t->cs, 2, 0, RICOCHET_EV_WELCOME, &t->ev);
    players_wait_event(t->cs, 2, 1, RICOCHET_EV_JOINED, &t->ev);
}

static void room_close(struct room *t)
{
    for (size_t i = 0; i < 2; i++)
        ricochet_close(t->cs[i]);
    free(harness_relay_finish(&t->relay));
    spawn_free(&t->relay);
}

/* In a new process: a session of key joins room "keep" and writes its
 * welcome's id and player id to fd ("ID PLAYER\n"), stays stay_ms, leaves. */
static pid_t resumer(uint16_t port, const char *key, int fd, int stay_ms)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0)
        return pid;
    struct ricochet *c = player(port, "ann", key);
    struct ricochet_event ev;
    int rc = 1;
    for (uint64_t end = ricochet_now_us() + 5000000; ricochet_now_us() < end;) {
        if (ricochet_poll(c, 20, &ev) == 1 && ev.type == RICOCHET_EV_WELCOME) {
            dprintf(fd, "%u %s\n", (unsigned)ricochet_id(c), ricochet_player(c, 0));
            rc = 0;
            break;
        }
    }
    for (uint64_t end = ricochet_now_us() + (uint64_t)stay_ms * 1000; ricochet_now_us() < end;)
        ricochet_poll(c, 20, &ev);
    ricochet_close(c);
    _exit(rc);
}

/* The resumer's line from fd: its id and player. */
static void resumed(int fd, unsigned *id, char player[17])
{
    char line[64] = {0};
    size_t n = 0;
    while (n < sizeof line - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
        n++;
    assert_int_equal(sscanf(line, "%u %16s", id, player), 2);
}

static void a_new_process_is_the_same_player(void **state)
{
    (void)state;
    struct room t;
    room_open(&t);
    char key[33], player[17];
    snprintf(key, sizeof key, "%s", ricochet_key(t.cs[0]));
    snprintf(player, sizeof player, "%s", ricochet_player(t.cs[0], 0));
    assert_int_equal(strlen(key), 32);
    ricochet_close(t.cs[0]); /* ann's process is gone */
    t.cs[0] = NULL;
    players_wait_event(t.cs, 2, 1, RICOCHET_EV_LEFT, &t.ev);

    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = resumer(t.port, key, p[1], 1500);
    unsigned id;
    char back[17];
    resumed(p[0], &id, back);
    assert_string_equal(back, player);
    players_wait_event(t.cs, 2, 1, RICOCHET_EV_JOINED, &t.ev);
    assert_string_equal(ricochet_player(t.cs[1], t.ev.id), player);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(p[0]);
    close(p[1]);
    room_close(&t);
    /* the library logged at debug all along, and never the key */
    assert_non_null(strstr(logged, "joined room keep"));
    assert_null(strstr(logged, key));
}

static void a_new_process_takes_its_place_back(void **state)
{
    (void)state;
    struct room t;
    room_open(&t);
    uint32_t ann = ricochet_id(t.cs[0]);
    char key[33], player[17];
    snprintf(key, sizeof key, "%s", ricochet_key(t.cs[0]));
    snprintf(player, sizeof player, "%s", ricochet_player(t.cs[0], 0));
    int p[2];
    assert_int_equal(pipe(p), 0);
    /* ann's session still a member, as a crashed process's would be */
    pid_t pid = resumer(t.port, key, p[1], 1500);
    unsigned id;
    char back[17];
    resumed(p[0], &id, back);
    assert_int_equal(id, ann);
    assert_string_equal(back, player);
    players_wait_event(t.cs, 2, 1, RICOCHET_EV_REJOINED, &t.ev);
    assert_int_equal(t.ev.id, ann);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(p[0]);
    close(p[1]);
    room_close(&t);
}

/* Two live sessions of one player, both with a rejoin window: the newer
 * takes the place, the older ends replaced and does not join again (it
 * would take the place back, and the two swap it for as long as both
 * live). */
static void a_second_live_session_ends_the_first_replaced(void **state)
{
    (void)state;
    struct room t;
    room_open(&t);
    ricochet_close(t.cs[0]); /* ann again, with a rejoin window */
    t.cs[0] = NULL;
    players_wait_event(t.cs, 2, 1, RICOCHET_EV_LEFT, &t.ev);
    struct ricochet_config *cfg = players_config(t.port, RICOCHET_MODE_RELIABLE, "ann");
    assert_int_equal(ricochet_config_set_room(cfg, "keep"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_rejoin(cfg, 10000), RICOCHET_OK);
    struct ricochet *cs[3] = {players_connect(cfg), t.cs[1], NULL};
    players_wait_event(cs, 3, 0, RICOCHET_EV_WELCOME, &t.ev);
    uint32_t ann = ricochet_id(cs[0]);
    cfg = players_config(t.port, RICOCHET_MODE_RELIABLE, "ann");
    assert_int_equal(ricochet_config_set_room(cfg, "keep"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_rejoin(cfg, 10000), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_key(cfg, ricochet_key(cs[0])), RICOCHET_OK);
    cs[2] = players_connect(cfg);
    unsigned replaced_errors = 0, ends = 0, rejoined = 0, left = 0, moved = 0;
    struct ricochet_event ev;
    for (uint64_t end = ricochet_now_us() + 3000000; ricochet_now_us() < end;) {
        for (size_t i = 0; i < 3; i++) {
            if (!cs[i] || ricochet_poll(cs[i], 5, &ev) != 1)
                continue;
            if (i == 0 && ev.type == RICOCHET_EV_ERROR)
                replaced_errors += strcmp(ev.code, "replaced") == 0;
            if (i == 0 && ev.type == RICOCHET_EV_DISCONNECTED) {
                assert_string_equal(ev.code, "replaced");
                assert_non_null(strstr(ricochet_end_reason(cs[0]), "replaced"));
                ends++;
            }
            moved += i == 0 && ev.type == RICOCHET_EV_MOVED;
            rejoined += i == 1 && ev.type == RICOCHET_EV_REJOINED;
            left += i == 1 && ev.type == RICOCHET_EV_LEFT;
            if (i == 1 && ev.type == RICOCHET_EV_REJOINED) {
                assert_int_equal(ev.id, ann);
                assert_int_equal(ricochet_event_was(cs[1]), ann); /* its own place: its id */
            }
        }
    }
    assert_int_equal(replaced_errors, 1);
    assert_int_equal(ends, 1);
    assert_int_equal(moved, 0);
    assert_int_equal(rejoined, 1);
    assert_int_equal(left, 0);
    assert_true(ricochet_joined(cs[2]));
    assert_int_equal(ricochet_id(cs[2]), ann);
    ricochet_close(cs[0]);
    ricochet_close(cs[2]);
    room_close(&t);
}

/* A key no session had: the relay takes it (it may have restarted). */
static void a_key_it_never_saw_is_taken(void **state)
{
    (void)state;
    struct room t;
    room_open(&t);
    const char *key = "00112233445566778899aabbccddeeff";
    struct ricochet *c = player(t.port, "cid", key);
    struct ricochet *cs[3] = {t.cs[0], t.cs[1], c};
    players_wait_event(cs, 3, 2, RICOCHET_EV_WELCOME, &t.ev);
    assert_string_equal(ricochet_key(c), key);
    assert_int_equal(strlen(ricochet_player(c, 0)), 16);
    ricochet_close(c);
    room_close(&t);
}

/* Past the relay's burst of keys it does not hold from one source, by
 * more than a slow machine's joins earn back while they go (1.5 s of
 * refill): two rooms of them. */
#define CROWD (JOIN_COST_KEYS_BURST + 3 * JOIN_COST_KEYS_PER_S / 2)

struct crowd {
    struct ricochet *c[CROWD];
    bool welcomed[CROWD], ended[CROWD];
    int refused; /* rate_limited errors, a join refused */
};

static void crowd_event(void *ctx, struct ricochet *c, void *user, const struct ricochet_event *ev)
{
    struct crowd *k = ctx;
    size_t i = (size_t)(uintptr_t)user;
    (void)c;
    if (ev->type == RICOCHET_EV_WELCOME)
        k->welcomed[i] = true;
    else if (ev->type == RICOCHET_EV_ERROR && strcmp(ev->code, "rate_limited") == 0)
        k->refused++;
    else if (ev->type == RICOCHET_EV_DISCONNECTED)
        k->ended[i] = true;
}

/* A crowd behind one address and port (an ENet hub of the library's),
 * each with a key the relay does not hold (as after its restart): past
 * the relay's burst some joins are refused rate_limited, and those
 * sessions join again each second (the relay's join deadline counted from
 * each refusal) until taken, each as its key's player; none ends. */
static void a_crowd_of_keys_from_one_address_gets_in(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--log-level", "warn", "--max-per-address", "512", NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    char err[256], keys[CROWD][33], names[CROWD][8];
    struct client_hub *hub = client_hub_create(CROWD, err, sizeof err);
    assert_non_null(hub);
    struct crowd k = {0};
    for (size_t i = 0; i < CROWD; i++) {
        snprintf(keys[i], sizeof keys[i], "%032zx", i + 0xc0ffee);
        snprintf(names[i], sizeof names[i], "p%zu", i);
        struct client_config cfg = {.host = "127.0.0.1", .port = (uint16_t)port,
                                    .room = i % 2 ? "crowd-b" : "crowd-a",
                                    .name = names[i], .mode = PROTO_MODE_RELIABLE,
                                    .timeout_ms = 8000, .hub = hub, .key = keys[i],
                                    .user = (void *)(uintptr_t)i};
        assert_non_null(k.c[i] = client_create(&cfg, err, sizeof err));
    }
    size_t in = 0;
    for (uint64_t end = ricochet_now_us() + 10000000; in < CROWD && ricochet_now_us() < end;) {
        client_hub_service(hub, crowd_event, &k);
        struct ricochet_event ev;
        in = 0;
        for (size_t i = 0; i < CROWD; i++) {
            if (ricochet_poll(k.c[i], 0, &ev) == 1)
                crowd_event(&k, k.c[i], (void *)(uintptr_t)i, &ev);
            assert_false(k.ended[i]);
            in += k.welcomed[i];
        }
        client_hub_flush(hub);
        usleep(2000);
    }
    assert_int_equal(in, CROWD);
    assert_true(k.refused > 0); /* the bound held some back, for a second */
    for (size_t i = 0; i < CROWD; i++) {
        assert_string_equal(ricochet_key(k.c[i]), keys[i]);
        ricochet_close(k.c[i]);
    }
    client_hub_destroy(hub);
    assert_true(harness_relay_stat(&relay, "drops.key_guesses") > 0);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    ricochet_set_log(RICOCHET_LOG_DEBUG, keep_line, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_process_is_the_same_player),
        cmocka_unit_test(a_new_process_takes_its_place_back),
        cmocka_unit_test(a_second_live_session_ends_the_first_replaced),
        cmocka_unit_test(a_key_it_never_saw_is_taken),
        cmocka_unit_test(a_crowd_of_keys_from_one_address_gets_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
