/* test_e2e_lesson_scale.c: the lesson explains every lost state with four
 * senders a lane at 2% and 5% loss. */
/* ricochet-lesson (IP mode where the machine gives
 * namespaces) with --senders 4, 20 states a second each: 800 a lane in a
 * 10 s window, through 2% loss for 30 s and 5% for another 30. Every 2 s,
 * live.json's figures as a page polls them, without the marks
 * (tests/support/lesson_watch.h): in each running lane's window no state
 * lost that nothing explains (expected - delivered - lost_explained -
 * pending: a state its sender handed over late is within its grace still)
 * is 0); the reading of netsim's drop log, which every state's fate comes
 * from, never more than a second behind netsim's newest line (live.json's
 * "log": behind_max_s, the most over the publish before the look); a lossy
 * lane's window of 400 states or more at 2% (150 at 5%) says netsim
 * dropped some (none is a chance of 3e-4, 5e-4), and TCP's lane says in
 * some window of four senders that a state was held back behind another
 * sender's loss. The drop log grows some 600 KiB a second with four
 * senders: read at a fixed amount a turn, as it once was, it fell further
 * behind every second, the newest losses unexplained. A QUIC sender's
 * states its client dropped before they left (on a loaded machine,
 * congestion control held back its 64 datagrams at 5%: no network saw
 * them, netsim has no line) are its sender's, explained
 * ("sender_dropped"). A lane's unexplained states are printed with the
 * marks: lost with no drop, sent down by the relay or not, and the lesson's
 * word on the first three. A state lost while the machine fell behind (the
 * states beside it came far later than netsim held them) is said so on its
 * lane ("behind") and counted apart. The class of 30 is
 * test_e2e_lesson_laptops. About 70 s. */

/* tests/run: alone (the reading's pace is a rate: a neighbour's load moves
 * it) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>

#include "lab/harness/spawn.h"
#include "tests/support/harness.h"
#include "tests/support/lesson.h"
#include "tests/support/lesson_watch.h"

#define PHASE_MS 30000 /* each loss's half minute of four senders */
#define LOSSY_2 400    /* a lossy lane's states in a window at 2% that netsim drops none of:
                          a chance of 3e-4 */
#define LOSSY_5 150    /* ... at 5%: 5e-4 */

static void every_loss_explained_with_four_senders(void **state)
{
    (void)state;
    const char *args[] = {"--port", "0", "--rate", "20", "--duration", "10", "--senders", "4",
                          "--seed", "5", NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    lesson_put(&l, "/model", "{\"path-loss\": 2, \"path-delay\": 40}");
    lesson_wait_running(&l, 4);
    struct lesson_tally two = {0}, five = {0};
    lesson_watch(&l, 4, LOSSY_2, PHASE_MS, &two, "four senders, 2%", NULL, NULL);
    lesson_put(&l, "/model", "{\"path-loss\": 5, \"path-delay\": 40}");
    lesson_watch(&l, 4, LOSSY_5, PHASE_MS, &five, "four senders, 5%", NULL, NULL);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    lesson_tally_holds(&two);
    lesson_tally_holds(&five);
    assert_true(two.tcp_held + five.tcp_held >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_loss_explained_with_four_senders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
