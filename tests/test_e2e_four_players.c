/* test_e2e_four_players.c: the four-language room, played as a new game
 * developer would from the docs' commands as written. docs/library.md's
 * "Build and link" installs the library into a prefix of a scratch $HOME
 * and links the C player against it (found through its rpath); the C#
 * player is built as client/csharp/README.md says (mcs with the files of
 * Ricochet/) and run by mono, the Python player takes the library through
 * LD_LIBRARY_PATH as client/python/README.md says (the package from the
 * checkout: `pip install` needs setuptools from the network), and the
 * Node player imports ricochet-relay-client from its node_modules (the
 * checkout's client/js). The players (tests/support/four_players/, each
 * written from its binding's README alone) join one room of a relay with
 * an ENet and a ws edge: each sees the others' payloads, events and roster
 * and lists the room with its four members; the relay is killed and
 * started again on the same ports, every player rejoins and sees it all
 * again; then all leave and exit 0. Bounded: 30 s per player at most. */
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

#include "tests/support/harness.h"

#define ROOM "four"
#define PHASE_MS 20000 /* a phase's wait for each player's word */

enum { C, PY, CS, JS, PLAYERS };
static const char *const names[PLAYERS] = {"c", "py", "cs", "js"};

static char home[64] = "/tmp/ricochet-four-XXXXXX";

/* library.md's two blocks: the library into $HOME/.local, then the C
 * player linked from a game's folder; the C# player built as its README
 * says; the Node package where Node looks for it. */
static void build_players(const char *top)
{
    const char *clean = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u SAN -u FUZZ "
                        "-u CFLAGS -u PKG_CONFIG_PATH -u PKG_CONFIG_SYSROOT_DIR "
                        "-u LD_LIBRARY_PATH";
    const char *four = "tests/support/four_players";
    char path[128];
    snprintf(path, sizeof path, "%s/install.sh", home);
    harness_sh_block("docs/library.md", "## Build and link", 0, path);
    snprintf(path, sizeof path, "%s/link.sh", home);
    harness_sh_block("docs/library.md", "## Build and link", 1, path);
    harness_sh("%s HOME=%s sh -e %s/install.sh > %s/install.log 2>&1 || "
               "{ cat %s/install.log; exit 1; }", clean, home, home, home, home);
    harness_sh("mkdir %s/game && cp %s/player.c %s/game/game.c", home, four, home);
    harness_sh("cd %s/game && %s HOME=%s sh -e %s/link.sh", home, clean, home, home);
    harness_sh("mkdir %s/cs && cp -r client/csharp/Ricochet %s/Player.cs %s/cs/", home, four,
               home);
    harness_sh("cd %s/cs && mcs -nologo -out:player.exe Player.cs Ricochet/*.cs", home);
    harness_sh("mkdir -p %s/js/node_modules %s/py && cp %s/player.mjs %s/js/ && "
               "cp %s/player.py %s/py/", home, home, four, home, four, home);
    harness_sh("ln -s %s/client/js %s/js/node_modules/ricochet-relay-client", top, home);
}

/* Starts player i against the relay's ENet port (the Node player: its ws
 * edge); each but the C one finds the library through LD_LIBRARY_PATH. */
static void start_player(struct spawn_proc *p, int i, const char *top, uint16_t enet,
                         uint16_t ws)
{
    char err[256], port[8], url[64], lib[128], py[600], prog[128];
    snprintf(port, sizeof port, "%u", (unsigned)enet);
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)ws);
    snprintf(lib, sizeof lib, "LD_LIBRARY_PATH=%s/.local/lib", home);
    snprintf(py, sizeof py, "PYTHONPATH=%s/client/python", top);
    const char *const c[] = {"127.0.0.1", port, ROOM, names[C], NULL};
    const char *const python[] = {lib, py, "python3", prog, "127.0.0.1", port, ROOM,
                                  names[PY], NULL};
    const char *const mono[] = {lib, "mono", prog, "127.0.0.1", port, ROOM, names[CS], NULL};
    const char *const node[] = {"node", prog, url, ROOM, names[JS], NULL};
    const char *const *args[PLAYERS] = {c, python, mono, node};
    static const char *const files[PLAYERS] = {"game", "py/player.py", "cs/player.exe",
                                               "js/player.mjs"};
    snprintf(prog, sizeof prog, "%s/%s", home, files[i]);
    int rc = i == C ? spawn_start(p, prog, "game", c, err, sizeof err) /* game/game */
                    : spawn_start(p, "/usr/bin", "env", args[i], err, sizeof err);
    if (rc != 0)
        fail_msg("player %s: %s", names[i], err);
}

/* Each player says "NAME: phase N ok" (it saw all it should) in time;
 * else what every player said is printed. */
static void each_says(struct spawn_proc *players, int phase)
{
    for (int i = 0; i < PLAYERS; i++) {
        char want[32], line[256], err[1024];
        snprintf(want, sizeof want, "%s: phase %d ok", names[i], phase);
        if (spawn_wait_line(&players[i], want, PHASE_MS, line, sizeof line, err,
                            sizeof err) == 0)
            continue;
        for (int k = 0; k < PLAYERS; k++) {
            char *said = spawn_read_stderr(&players[k]);
            fprintf(stderr, "player %s said:\n%s", names[k], said ? said : "");
            free(said);
        }
        fail_msg("no '%s': %s", want, err);
    }
}

static void four_languages_in_one_room_through_a_restart(void **state)
{
    (void)state;
    char top[512];
    assert_non_null(getcwd(top, sizeof top));
    /* Node 18 and 20 take their WebSocket from ws (npm ci: .ci/deps test) */
    if (access("client/js/node_modules/ws/package.json", R_OK) != 0)
        harness_sh("node -e \"process.exit(globalThis.WebSocket ? 0 : 1)\" || "
                   "{ echo 'no WebSocket for Node: run .ci/deps test (npm ci in client/js)'; "
                   "exit 1; }");
    assert_non_null(mkdtemp(home));
    unsetenv("LD_LIBRARY_PATH"); /* the C player's rpath alone */
    build_players(top);

    struct spawn_proc relay, players[PLAYERS];
    const char *first[] = {"--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                           NULL};
    assert_true(harness_start_relay(&relay, first) > 0);
    uint16_t enet = harness_edge_port(&relay, "enet"), ws = harness_edge_port(&relay, "ws");
    for (int i = 0; i < PLAYERS; i++)
        start_player(&players[i], i, top, enet, ws);
    each_says(players, 1);

    /* The relay killed and started again on the same ports: every player
     * rejoins (rejoin_ms) and plays phase 2 in the room made afresh. */
    assert_int_equal(spawn_stop(&relay, SIGKILL, 5000), 128 + SIGKILL);
    spawn_free(&relay);
    char e[40], w[40];
    snprintf(e, sizeof e, "enet://127.0.0.1:%u", (unsigned)enet);
    snprintf(w, sizeof w, "ws://127.0.0.1:%u", (unsigned)ws);
    const char *again[] = {"--listen", e, "--listen", w, NULL};
    assert_true(harness_start_relay(&relay, again) > 0);
    each_says(players, 2);

    for (int i = 0; i < PLAYERS; i++) {
        int code = spawn_stop(&players[i], 0, PHASE_MS);
        char *err = spawn_read_stderr(&players[i]);
        fprintf(stderr, "player %s (exit %d):\n%s", names[i], code, err ? err : "");
        assert_int_equal(code, 0);
        assert_non_null(strstr(err, ": left\n"));
        free(err);
        spawn_free(&players[i]);
    }
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    harness_sh("rm -rf %s", home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_languages_in_one_room_through_a_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
