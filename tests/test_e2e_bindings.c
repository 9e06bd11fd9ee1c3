/* test_e2e_bindings.c: the three bindings against a real relay, the library
 * installed by `make install-lib`: the Python package's unittest (names and
 * texts as `str`, members with statistics, bad names refused with the rule, no
 * relay and a refused connection as a `DISCONNECTED` event then `EOFError`, the
 * README's example as written with a player of the test's and with no relay; an
 * `Interp` fed states late, out of order and lost, and fed the relay's states;
 * relays of its own: a relay gone, a rejoin through a relay's restart, tickets
 * sealed, joins of any room under a prefix (the fullest with space, then the
 * next) and listings in pages, a relay with `--room-list off` refusing both in
 * words; a lobby that watches the rooms open 60 s at the relay's defaults,
 * then told of a room made within a second, and closed at the join timeout
 * once its watch ends; the library not found, in words), the JavaScript package's `node
 * --test` in Node over the ws edge (and with no relay, a relay that never
 * answers, a web server that is no relay, refusals: a `close` event with its
 * reason and hint, never a crash; the README's example as written, in a folder
 * of its own; relays of its own: members with statistics, a rejoin through a
 * relay's restart, tickets whole or as a pass, rooms with properties (made,
 * listed and joined by them, refused in words), a lobby that watches as
 * Python's; HTTP polling (route `poll`) on a
 * relay with ws and poll edges: a polling session and a WebSocket member
 * exchanging states and events, long and short polling, `close()` seen as a
 * quit, a join refused, no relay, a relay gone and a server that never answers
 * as `close` events, and a server of the test's answering cut frames, an answer
 * too long and a 410; `listRooms` before the welcome `false`, nothing sent; the
 * script the build joins for a page, every module in it, exporting what the
 * modules do), the C# binding built with `mcs` and run with `mono`: payloads
 * byte for byte, events to the room and to one member, refusals before sending,
 * a closed session and a NULL answered with an error; as Python's, strings,
 * members, bad names, no relay, `Interp`, the README's example as written,
 * relays of its own (rooms and listings too, a lobby that watches as
 * Python's, its pages the RoomsChanged event), and with no `libricochet.so`
 * where mono looks a `DllNotFoundException` saying what to do */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"

static char scratch[64]; /* the DESTDIR, and where the C# program is built */
static struct spawn_proc relay;
static uint16_t enet_port, ws_port;

static int setup(void **state)
{
    (void)state;
    if (harness_install_lib(scratch, sizeof scratch) != 0)
        return -1;
    char lib[128];
    snprintf(lib, sizeof lib, "%s/usr/lib", scratch);
    setenv("LD_LIBRARY_PATH", lib, 1);
    /* the bindings' tests run relays of their own, from another folder */
    char *bin = realpath(harness_bin_dir(), NULL);
    if (!bin)
        return -1;
    setenv("RICOCHET_BIN", bin, 1);
    free(bin);
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                          NULL};
    if (harness_start_relay(&relay, args) < 0)
        return -1;
    enet_port = harness_edge_port(&relay, "enet");
    ws_port = harness_edge_port(&relay, "ws");
    return enet_port && ws_port ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs a shell command line (at most 120 s) and returns its exit code; its
 * output goes to stderr. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[2048], line[2100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "timeout 120 sh -c '%s' 1>&2", cmd);
    int rc = system(line);
    if (rc != 0)
        fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}

static void python_package_against_a_relay(void **state)
{
    (void)state;
    assert_int_equal(run("cd client/python && RICOCHET_PORT=%u python3 -m unittest discover "
                         "-s tests -v",
                         (unsigned)enet_port),
                     0);
}

static void javascript_package_in_node_against_a_relay(void **state)
{
    (void)state;
    /* Node without a global WebSocket takes ws from npm (npm ci: .ci/deps test) */
    if (access("client/js/node_modules/ws/package.json", R_OK) != 0 &&
        run("node -e \"process.exit(globalThis.WebSocket ? 0 : 1)\"") != 0)
        fail_msg("no WebSocket for Node: run .ci/deps test (npm ci in client/js)");
    assert_int_equal(run("cd client/js && RICOCHET_WS_URL=ws://127.0.0.1:%u/ node --test test/",
                         (unsigned)ws_port),
                     0);
}

static void csharp_binding_with_mono_against_a_relay(void **state)
{
    (void)state;
    assert_int_equal(run("mcs -nologo -warnaserror -out:%s/session_test.exe "
                         "client/csharp/Ricochet.cs client/csharp/tests/SessionTest.cs",
                         scratch),
                     0);
    assert_int_equal(run("mono %s/session_test.exe %u", scratch, (unsigned)enet_port), 0);
    /* no libricochet where mono looks: the exception says what to do */
    assert_int_equal(run("mkdir -p %s/empty && LD_LIBRARY_PATH=%s/empty mono %s/session_test.exe "
                         "--no-library",
                         scratch, scratch, scratch),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(python_package_against_a_relay),
        cmocka_unit_test(javascript_package_in_node_against_a_relay),
        cmocka_unit_test(csharp_binding_with_mono_against_a_relay),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
