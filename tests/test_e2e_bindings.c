/* test_e2e_bindings.c: the three bindings of libricochet against a real
 * ricochet-relay, each through its own toolchain: the library installed
 * (`make install-lib` into a scratch DESTDIR, a release build), then the
 * Python package's unittest (client/python/tests), the JavaScript package's
 * `node --test` in Node over the relay's ws edge (client/js/test, `ws` from
 * npm ci; its poll.test.js also over the poll edge of a relay of its own),
 * and the C# binding built with Debian's mcs and run with mono
 * (client/csharp/tests). Each checks payloads byte for byte, events to the
 * room and to one member, refusals before sending, and a closed session or
 * a NULL answered with an error, never a crash; each also names and texts
 * as strings, the members with their statistics, bad names refused with
 * the rule, no relay and a refused connection reaching the game as events
 * (JavaScript's: a close event with its reason and hint), rejoin through a
 * relay's restart and tickets (relays of their own, from RICOCHET_BIN),
 * a member over HTTP polling (long and short) beside an ENet member in
 * Python and C# (a relay of their own with a poll edge),
 * each one's README example run as written (only the relay's address
 * changed) with a player of the test's, and with no relay; Python's and
 * C#'s libricochet not found said in words, joins of any room and a
 * relay's rooms listed (and refused by a relay with --room-list off), and
 * an Interp drawing a player between its states. */
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
