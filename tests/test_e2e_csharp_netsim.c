/* test_e2e_csharp_netsim.c: the managed C# session's ENet through a bad
 * network: ricochet-netsim between two managed sessions (one process under
 * mono, client/csharp/tests/netsim/Through.cs) and the relay, 5% loss and 40
 * ms of jitter (40 ms +- 40) each way, seeded. One sends 120 unsequenced
 * states and 100 reliable events to the other: every event arrives once and
 * in order (acknowledged, resent, held while early), and every state that
 * did not arrive is one that netsim's drop log says it dropped, on the way
 * up or down, and no state it dropped arrived. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

#define STATES 120
#define EVENTS 100

static void managed_enet_through_loss_and_jitter(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-cs-netsim-XXXXXX", cmd[2048], log[128], out[128];
    assert_non_null(mkdtemp(dir));
    snprintf(log, sizeof log, "%s/drops", dir);
    snprintf(out, sizeof out, "%s/through.out", dir);
    struct spawn_proc relay, netsim;
    int relay_port = harness_start_relay(&relay, NULL);
    assert_true(relay_port > 0);
    char relay_arg[32];
    snprintf(relay_arg, sizeof relay_arg, "127.0.0.1:%d", relay_port);
    const char *args[] = {"--relay", relay_arg, "--loss", "5", "--delay", "40", "--jitter", "40",
                          "--wire", "enet", "--seed", "7", "--drop-log", log, NULL};
    int port = harness_start_netsim(&netsim, args);
    snprintf(cmd, sizeof cmd,
             "timeout 120 sh -c 'mcs -nologo -warnaserror -out:%s/through.exe client/csharp/Ricochet/*.cs "
             "client/csharp/tests/netsim/Through.cs && mono %s/through.exe %d %d %d > %s'",
             dir, dir, port, STATES, EVENTS, out);
    int rc = system(cmd);
    harness_stop(&netsim);
    harness_stop(&relay);
    char *text = harness_read_text(out);
    assert_non_null(text);
    if (rc != 0 || !strstr(text, "events in order 100\n")) {
        print_error("the events: %.200s (exit %d)\n", text, rc);
        free(text);
        fail();
    }
    int got[STATES + 1] = {0}, dropped[STATES + 1] = {0};
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned seq;
        if (sscanf(line, "got %u", &seq) == 1 && seq >= 1 && seq <= STATES)
            got[seq]++;
    }
    free(text);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[512];
    int n_dropped = 0;
    while (fgets(line, sizeof line, f)) {
        char ev[16], dir_[8], flow[64], kind[16];
        uint64_t t;
        uint32_t sender, seq;
        if (line[0] == '#' ||
            sscanf(line, "%" SCNu64 " %15s %7s %63s %" SCNu32 " %" SCNu32 " %15s", &t, ev, dir_, flow,
                   &sender, &seq, kind) != 7 || strcmp(kind, "unsequenced") != 0)
            continue;
        if (strcmp(ev, "loss") == 0 || strcmp(ev, "burst") == 0 || strcmp(ev, "queue") == 0 ||
            strcmp(ev, "overflow") == 0) {
            assert_true(seq >= 1 && seq <= STATES);
            dropped[seq]++;
            n_dropped++;
        }
    }
    fclose(f);
    int missing = 0;
    for (int s = 1; s <= STATES; s++) {
        if (got[s] > 1 || got[s] + dropped[s] != 1)
            fail_msg("state %d: arrived %d times, netsim dropped it %d times", s, got[s], dropped[s]);
        missing += got[s] == 0;
    }
    assert_int_equal(missing, n_dropped);
    assert_true(n_dropped >= 1); /* 5% each way: about 12 of 120 */
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(managed_enet_through_loss_and_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
