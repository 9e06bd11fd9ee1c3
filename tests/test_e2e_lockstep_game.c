/* test_e2e_lockstep_game.c: the lockstep example game (client/examples/
 * trails.c, built as a game developer builds it) through a real relay:
 * two players start, one is killed (SIGKILL) and started again with its
 * saved key, a third joins 4 s in (from the snapshot a player keeps, and
 * the frames since); all three end with the same world at the same tick,
 * and ricochet-replay, playing the relay's kept log (--lockstep-log) back
 * to the game as a spectator, ends with that world too; the relay's
 * trails page (client/js/trails.js) in headless Chromium and trails.c
 * play one room and end with the same world. */
/* A player joins late here after 4 s, not a minute: the same path (a
 * snapshot, then the frames since), in the time a test may take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client/lib/ricochet.h"
#include "tests/support/browser.h"
#include "tests/support/examples.h"
#include "tests/support/harness.h"
#include "tests/support/servers.h"

#define UNTIL "160" /* ticks: 8 s at the game's 20 Hz */
#define WAIT_MS 40000

static char scratch[64]; /* the DESTDIR, and where trails is built */

static int setup(void **state)
{
    (void)state;
    return examples_build(scratch, sizeof scratch, "trails");
}

static int teardown(void **state)
{
    (void)state;
    return examples_remove(scratch);
}

/* trails with args, against the library installed in scratch. */
static void start(struct spawn_proc *p, const char *const *args)
{
    char err[256], lib[96];
    snprintf(lib, sizeof lib, "%s/usr/lib", scratch);
    setenv("LD_LIBRARY_PATH", lib, 1);
    int rc = spawn_start(p, scratch, "trails", args, err, sizeof err);
    unsetenv("LD_LIBRARY_PATH");
    if (rc != 0)
        fail_msg("trails: %s", err);
}

/* p's output once it stopped by itself: its world's sum at tick until. */
static char *finish_at(struct spawn_proc *p, const char *who, const char *until, char *sum,
                       size_t cap)
{
    char said[64];
    snprintf(said, sizeof said, "trails: tick %s sum ", until);
    int code = spawn_stop(p, 0, WAIT_MS);
    char *out = spawn_read_stdout(p), *err = spawn_read_stderr(p);
    assert_non_null(out);
    if (code != 0)
        fail_msg("%s exited %d: %s%s", who, code, out, err ? err : "");
    free(err);
    const char *at = strstr(out, said);
    if (!at)
        fail_msg("%s said no sum: %s", who, out);
    snprintf(sum, cap, "%.16s", at + strlen(said));
    return out;
}

static char *finish(struct spawn_proc *p, const char *who, char *sum, size_t cap)
{
    return finish_at(p, who, UNTIL, sum, cap);
}

/* The slot a player's output says it got. */
static int slot_of(const char *out)
{
    const char *at = strstr(out, "trails: slot ");
    return at ? atoi(at + strlen("trails: slot ")) : -2;
}

static void late_killed_and_replayed_players_end_alike(void **state)
{
    (void)state;
    char log_path[] = "/tmp/ricochet-trails-log-XXXXXX";
    int fd = mkstemp(log_path);
    assert_true(fd >= 0);
    close(fd);
    char key_path[96];
    snprintf(key_path, sizeof key_path, "%s/ben.key", scratch);
    struct spawn_proc relay, ana, ben, ben2, cat, replay, watch;
    const char *relay_args[] = {"--listen", "enet://127.0.0.1:0", "--lockstep-log", log_path,
                                NULL};
    assert_true(harness_start_relay(&relay, relay_args) > 0);
    char port[8];
    snprintf(port, sizeof port, "%u", harness_edge_port(&relay, "enet"));
    const char *ana_args[] = {"--auto", "0", "--until", UNTIL, "--snap-every", "40", "--name",
                              "ana", "127.0.0.1", port, "game", NULL};
    start(&ana, ana_args);
    const char *ben_args[] = {"--auto", "0", "--until", UNTIL, "--key-file", key_path,
                              "--name", "ben", "127.0.0.1", port, "game", NULL};
    start(&ben, ben_args);
    /* ben plays 2 s, then is killed, and comes back with its key */
    uint64_t t0 = ricochet_now_us();
    usleep(2000000);
    if (access(key_path, R_OK) != 0) {
        char *o = spawn_read_stdout(&ben), *e = spawn_read_stderr(&ben);
        fail_msg("ben saved no key in 2 s: %s%s", o ? o : "", e ? e : "");
    }
    assert_int_equal(spawn_stop(&ben, SIGKILL, 5000), 128 + SIGKILL);
    char *ben_out = spawn_read_stdout(&ben);
    assert_non_null(ben_out);
    int ben_slot = slot_of(ben_out);
    assert_true(ben_slot >= 0);
    usleep(500000);
    start(&ben2, ben_args);
    /* cat joins 4 s in, past a snapshot (every 40 ticks: 2 s) */
    usleep((useconds_t)(4000000 - (ricochet_now_us() - t0)));
    const char *cat_args[] = {"--auto", "0", "--until", UNTIL, "--name", "cat", "127.0.0.1",
                              port, "game", NULL};
    start(&cat, cat_args);

    char sum_ana[17], sum_ben[17], sum_cat[17], sum_replay[17];
    char *outs[3];
    outs[0] = finish(&ana, "ana", sum_ana, sizeof sum_ana);
    outs[1] = finish(&ben2, "ben again", sum_ben, sizeof sum_ben);
    outs[2] = finish(&cat, "cat", sum_cat, sizeof sum_cat);
    print_message("tick " UNTIL ": ana %s, ben again %s, cat %s\n", sum_ana, sum_ben, sum_cat);
    assert_string_equal(sum_ben, sum_ana);
    assert_string_equal(sum_cat, sum_ana);
    /* ben came back to its slot; ben and cat loaded a snapshot */
    assert_int_equal(slot_of(outs[1]), ben_slot);
    assert_non_null(strstr(outs[1], "snapshot loaded"));
    assert_non_null(strstr(outs[2], "snapshot loaded"));
    assert_null(strstr(outs[0], "snapshot loaded")); /* ana played from the first tick */
    free(harness_relay_finish(&relay)); /* its log flushed whole */
    spawn_free(&relay);

    /* the kept log, played back to the game as a spectator */
    const char *replay_args[] = {"--log", log_path, "--speed", "4", NULL};
    assert_int_equal(harness_spawn(&replay, "ricochet-replay", replay_args), 0);
    char err[256];
    int rport = spawn_wait_listening(&replay, 10000, err, sizeof err);
    if (rport < 0)
        fail_msg("ricochet-replay: %s", err);
    snprintf(port, sizeof port, "%d", rport);
    const char *watch_args[] = {"--auto", "0", "--until", UNTIL, "--spectator", "--udp",
                                "127.0.0.1", port, "game", NULL};
    start(&watch, watch_args);
    char *out = finish(&watch, "the replay's spectator", sum_replay, sizeof sum_replay);
    assert_string_equal(sum_replay, sum_ana);
    assert_int_equal(spawn_stop(&replay, SIGTERM, 5000), 0);
    free(out);
    for (int i = 0; i < 3; i++)
        free(outs[i]);
    free(ben_out);
    spawn_free(&ana), spawn_free(&ben), spawn_free(&ben2), spawn_free(&cat);
    spawn_free(&replay), spawn_free(&watch);
    unlink(log_path);
}

#define PAGE "window.ricochetTrails && window.ricochetTrails.snapshot()"

/* The relay's trails page (/trails, client/js/trails.js) in headless
 * Chromium over the WebSocket edge and trails.c over ENet, in one room:
 * both end at tick 60 with the same world. */
static void a_page_and_a_terminal_play_one_room(void **state)
{
    (void)state;
    struct spawn_proc relay, term;
    const char *relay_args[] = {"--listen", "enet://127.0.0.1:0", "--listen",
                                "ws://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, relay_args) > 0);
    char port[8], url[160], dir[] = "/tmp/ricochet-trails-XXXXXX";
    snprintf(port, sizeof port, "%u", harness_edge_port(&relay, "enet"));
    snprintf(url, sizeof url, "http://127.0.0.1:%u/trails?name=web&room=duo&auto=1&until=60",
             harness_edge_port(&relay, "ws"));
    servers_tmpdir(dir);
    struct browser *b = browser_open(dir, url, 800, 500);
    if (!browser_wait(b, PAGE " && " PAGE ".phase === 'joined'", WAIT_MS))
        browser_fail(b, PAGE, "the page never joined");
    const char *args[] = {"--auto", "0", "--until", "60", "--name", "term", "127.0.0.1", port,
                          "duo", NULL};
    start(&term, args);
    char sum[17];
    char *out = finish_at(&term, "the terminal", "60", sum, sizeof sum);
    if (!browser_wait(b, PAGE ".phase === 'done'", WAIT_MS))
        browser_fail(b, PAGE, "the page never reached tick 60");
    cJSON *snap = browser_eval(b, PAGE);
    const cJSON *sums = cJSON_GetObjectItem(snap, "sums");
    const cJSON *at = cJSON_GetObjectItem(sums, "60");
    assert_true(cJSON_IsString(at));
    print_message("tick 60: the page %s, the terminal %s\n", at->valuestring, sum);
    assert_string_equal(at->valuestring, sum);
    cJSON_Delete(snap);
    browser_close(b);
    free(out);
    spawn_free(&term);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    servers_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(late_killed_and_replayed_players_end_alike),
        cmocka_unit_test(a_page_and_a_terminal_play_one_room),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
