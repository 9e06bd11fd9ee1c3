/* test_e2e_csharp_bindings.c: the C# binding against a real relay, with
 * the library installed by `make install-lib` (bindings.h): built with `mcs`
 * and run with `mono`: payloads byte for byte, events to the room and to one
 * member, refusals before sending, a closed session and a NULL answered with
 * an error; as Python's, strings, members, bad names, no relay, `Interp`, the
 * README's example as written, relays of its own (rooms and listings too, a
 * lobby that watches, its pages the RoomsChanged event), a room's script (a
 * refused join's reason, the room's word from its sender, Native.RoomSender,
 * its kept score), a lockstep room (frames byte for byte as the relay's
 * --lockstep-log, each slot's flag, a late input told and logged, the tick
 * the aim stepped over after it still played, a desync named), and with no `libricochet.so` where mono looks a
 * `DllNotFoundException` saying what to do; then the same tests again with
 * no libricochet at all, every session in managed C#, over ENet and then over
 * the relay's ws edge (a WebSocket and a wss member beside ENet ones in every
 * run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/bindings.h"

static struct bindings b;

static int setup(void **state)
{
    (void)state;
    return bindings_setup(&b);
}

static int teardown(void **state)
{
    (void)state;
    return bindings_teardown(&b);
}

static void csharp_binding_with_mono_against_a_relay(void **state)
{
    (void)state;
    assert_int_equal(bindings_run("mcs -nologo -warnaserror -out:%s/session_test.exe "
                                  "client/csharp/Ricochet/*.cs client/csharp/tests/*.cs",
                                  b.scratch),
                     0);
    assert_int_equal(bindings_run("RICOCHET_WS_PORT=%u mono %s/session_test.exe %u",
                                  (unsigned)b.ws_port, b.scratch, (unsigned)b.enet_port),
                     0);
    /* no libricochet where mono looks: the exception says what to do */
    assert_int_equal(bindings_run("mkdir -p %s/empty && LD_LIBRARY_PATH=%s/empty "
                                  "mono %s/session_test.exe --no-library",
                                  b.scratch, b.scratch, b.scratch),
                     0);
}

/* The C# binding with no libricochet anywhere mono looks (LD_LIBRARY_PATH
 * an empty folder, nothing installed): every session managed, the same tests
 * but the native library's own checks and HTTP polling's (an edge only
 * libricochet speaks), over ENet, then every ENet session of them over the
 * relay's ws edge instead. The run above holds its managed lobby a minute,
 * past the relay's 30 s of lobby idleness (its pings, the same over every
 * link); here 2 s over ENet, and 6 s over the WebSocket, past the 5 s a
 * stream may be silent. */
static void csharp_managed_with_no_library(void **state)
{
    (void)state;
    assert_int_equal(bindings_run("mcs -nologo -warnaserror -out:%s/managed_test.exe "
                                  "client/csharp/Ricochet/*.cs client/csharp/tests/*.cs",
                                  b.scratch),
                     0);
    static const char *const runs[][2] = {{"enet", "2"}, {"ws", "6"}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        assert_int_equal(bindings_run("mkdir -p %s/empty && LD_LIBRARY_PATH=%s/empty "
                                      "RICOCHET_NO_LIBRARY=1 RICOCHET_TEST_EDGE=%s "
                                      "RICOCHET_LOBBY_HOLD_S=%s RICOCHET_WS_PORT=%u "
                                      "mono %s/managed_test.exe %u",
                                      b.scratch, b.scratch, runs[i][0], runs[i][1],
                                      (unsigned)b.ws_port, b.scratch, (unsigned)b.enet_port),
                         0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csharp_binding_with_mono_against_a_relay),
        cmocka_unit_test(csharp_managed_with_no_library),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
