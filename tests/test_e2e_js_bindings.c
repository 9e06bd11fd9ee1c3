/* test_e2e_js_bindings.c: the JavaScript package's node --test in Node against
 * real relays, over the ws edge and HTTP polling: failures as close events,
 * never a crash, and the README's example as written. */
/* The JavaScript package's `node --test` in Node
 * against a real relay's ws edge (bindings.h): with no relay, a relay that
 * never answers, a web server that is no relay, refusals: a `close` event
 * with its reason and hint, never a crash; the README's example as written,
 * in a folder of its own; relays of its own: members with statistics, a
 * rejoin through a relay's restart, tickets whole or as a pass, rooms with
 * properties (made, listed and joined by them, refused in words); HTTP
 * polling (route `poll`) on a relay with ws and poll edges: a polling
 * session and a WebSocket member exchanging states and events, long and
 * short polling, `close()` seen as a quit, a join refused, no relay, a relay
 * gone and a server that never answers as `close` events, and a server of
 * the test's answering cut frames, an answer too long and a 410;
 * `listRooms` before the welcome `false`, nothing sent; the script the build
 * joins for a page, every module in it, exporting what the modules do; a
 * room's script (a relay of its own with --script-dir tests/scripts): a
 * refused join's reason, the room's word from its sender (ROOM_SENDER), its
 * kept score no member clears, a latecomer reading it; a refereed room
 * through a relay's SIGKILL and a fleet's move with a WebSocket, a polling
 * and an ENet player, a second live session ending the first `replaced`; a
 * lockstep room of two WebSocket players and a polling one (frames byte for
 * byte as the relay's --lockstep-log, each slot's flag, a late input told
 * and logged, the tick the aim stepped over after it still played, a
 * desync named).
 * Apart, in a run of its own (it holds a minute): a lobby that watches the
 * rooms open 60 s at the relay's defaults, as Python's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "tests/support/bindings.h"

static struct bindings b;

static int setup(void **state)
{
    (void)state;
    /* Node without a global WebSocket takes ws from npm (npm ci: .ci/deps test) */
    if (access("client/js/node_modules/ws/package.json", R_OK) != 0 &&
        bindings_run("node -e \"process.exit(globalThis.WebSocket ? 0 : 1)\"") != 0) {
        fprintf(stderr, "no WebSocket for Node: run .ci/deps test (npm ci in client/js)\n");
        return -1;
    }
    return bindings_setup(&b);
}

static int teardown(void **state)
{
    (void)state;
    return bindings_teardown(&b);
}

/* Every test file of the package but the lobby's minute. */
static void javascript_package_in_node_against_a_relay(void **state)
{
    (void)state;
    assert_int_equal(bindings_run("cd client/js && RICOCHET_WS_URL=ws://127.0.0.1:%u/ "
                                  "node --test $(ls test/*.test.js | grep -v /lobby.test.js)",
                                  (unsigned)b.ws_port),
                     0);
}

static void javascript_lobby_that_watches_a_minute(void **state)
{
    (void)state;
    assert_int_equal(bindings_run("cd client/js && RICOCHET_WS_URL=ws://127.0.0.1:%u/ "
                                  "node --test test/lobby.test.js",
                                  (unsigned)b.ws_port),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(javascript_package_in_node_against_a_relay),
        cmocka_unit_test(javascript_lobby_that_watches_a_minute),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
