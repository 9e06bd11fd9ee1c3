/* test_e2e_lesson_scale.c: the lesson explains every lost state at a class's
 * scale. */
/* ricochet-lesson in IP mode with its door on a bridge's
 * address (tests/support/nemesis.h; skipped without root), four senders a
 * lane (--senders 4, 20 states a second each: 800 a lane in a 10 s window)
 * through 2% loss for a minute and 5% for another, then one sender again,
 * then a class of 30 machines through the door (the docs' C players, UDP
 * and TCP in turn) beside the lanes. Every 2 s, live.json's figures (as a
 * page polls them, without the marks): in each running lane's window no
 * state lost that nothing explains (expected - delivered - lost_explained
 * is 0); the reading of netsim's drop log, which every state's fate comes
 * from, never more than a second behind netsim's newest line (live.json's
 * "log": behind_max_s, the most over the publish before the look); a lossy
 * lane's window of 400 states or more at 2% (150 at 5%, one sender's too)
 * says netsim dropped some (none is a chance of 3e-4, 5e-4), and TCP's lane
 * says in some window of four senders that a state was held back behind
 * another sender's loss. The drop log grows some 600 KiB a second with four
 * senders: read at a fixed amount a turn, as it once was, it fell further
 * behind every second, the newest losses unexplained. A QUIC sender's
 * states its client dropped before they left (on a loaded machine,
 * congestion control held back its 64 datagrams at 5%: no network saw
 * them, netsim has no line) are its sender's, explained
 * ("sender_dropped"). A lane's unexplained states are printed with the
 * marks: lost with no drop, sent down by the relay or not. About four
 * minutes, root (skipped without). */

/* tests/run: alone (the reading's pace is a rate: a neighbour's load moves
 * it) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/nemesis.h"

#define CLASS 30          /* the students' machines */
#define CLASS_PLAY "45"   /* seconds each student's program plays */
#define PHASE_MS 60000    /* each loss's minute of four senders */
#define ONE_MS 25000      /* one sender again */
#define CLASS_MS 35000    /* the class through the door */
#define BEHIND_MAX_S 1.0  /* the reading's most behind netsim's newest line */
#define LOSSY_2 400       /* a lossy lane's states in a window at 2% that netsim drops none
                             of: a chance of 3e-4 */
#define LOSSY_5 150       /* ... at 5%: 5e-4 */
#define WAIT_MS 60000
#define FIGURES "/live.json?since=18446744073709551615" /* no marks: a page's poll, not 7 MB */

/* What a phase saw. */
struct tally {
    int samples;          /* live.json reads with a lane judged */
    int windows;          /* lanes' windows judged */
    long unexplained;     /* states lost that nothing explains, every window summed */
    double behind_max_s;  /* the reading's most behind */
    int silent_lossy;     /* lossy lanes' windows of 400 or more that say netsim dropped none */
    double tcp_held;      /* TCP's lane's held back behind another sender's loss, most */
    double unsent;        /* a lane's states its senders dropped before they left, most in a
                             window (explained: QUIC's congestion control held them back) */
    cJSON *marks;         /* live.json with the marks, read once a state is unexplained */
};

/* PUT body to path, again while netsim is not up yet to take a model (502). */
static void put(const struct lesson *l, const char *path, const char *body)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    int status = 0;
    while (status != 200 && clock_now_ms() < deadline) {
        struct http_response r;
        assert_int_equal(http_send(l->at, "PUT", path, body, 10000, &r), 0);
        status = r.status;
        http_response_free(&r);
        if (status != 200)
            clock_sleep_ms(500);
    }
    assert_int_equal(status, 200);
}

static double num(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));
}

static double num_at(const cJSON *a, int i)
{
    return cJSON_GetNumberValue(cJSON_GetArrayItem(a, i));
}

/* One read of live.json into t, with senders each lane's senders now (0:
 * any); the lanes not running with their senders, or whose window is not
 * whole, are left out; a lossy lane's window of at least lossy states must
 * say netsim dropped some. Returns the lanes judged. */
static int look(const struct lesson *l, int senders, double lossy, struct tally *t,
                const char *phase)
{
    cJSON *j = lesson_get_json(l, FIGURES);
    assert_non_null(j);
    const cJSON *log = cJSON_GetObjectItem(j, "log");
    assert_non_null(log);
    double behind = num(log, "behind_max_s");
    if (behind > t->behind_max_s)
        t->behind_max_s = behind;
    if (behind > BEHIND_MAX_S)
        print_message("%s: the drop log's reading %.2f s behind (%.0f bytes unread)\n", phase,
                      behind, num(log, "unread_bytes"));
    int judged = 0;
    const cJSON *lane;
    if (senders && (int)num(j, "senders") != senders) {
        cJSON_Delete(j);
        return 0;
    }
    cJSON_ArrayForEach(lane, cJSON_GetObjectItem(j, "lanes")) {
        const cJSON *f = cJSON_GetObjectItem(lane, "figures");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(lane, "name"));
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(lane, "state"));
        if (!st || strcmp(st, "running") || !cJSON_IsTrue(cJSON_GetObjectItem(f, "valid")) ||
            num(f, "window_s") < 9)
            continue;
        judged++;
        double expected = num(f, "expected"), delivered = num(f, "delivered");
        double explained = num(f, "lost_explained"), dropped = num(f, "netsim_dropped");
        long unexplained = (long)(expected - delivered - explained);
        if (unexplained > 0) {
            int down = 0, none = 0; /* lost, no drop: the relay sent it on, or not (the marks
                                       of the look after this one, every lane's, once) */
            if (!t->marks) {
                t->marks = lesson_get_json(l, "/live.json");
                if (t->marks)
                    print_message("%s: the lanes' marks read\n", phase);
            }
            const cJSON *ml = NULL, *x;
            cJSON_ArrayForEach(x, cJSON_GetObjectItem(t->marks, "lanes"))
                if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "name")), name))
                    ml = x;
            const cJSON *m;
            cJSON_ArrayForEach(m, cJSON_GetObjectItem(ml, "marks")) {
                const char *up_drop = cJSON_GetStringValue(cJSON_GetArrayItem(m, 8));
                const char *down_drop = cJSON_GetStringValue(cJSON_GetArrayItem(m, 9));
                if (num_at(m, 2) != 2 || !up_drop || up_drop[0] || !down_drop || down_drop[0])
                    continue;
                down += cJSON_IsNumber(cJSON_GetArrayItem(m, 13));
                none += !cJSON_IsNumber(cJSON_GetArrayItem(m, 13));
            }
            print_message("%s: lane %s: %ld of %.0f states lost, nothing explains them "
                          "(netsim dropped %.0f; delivered %.0f, explained %.0f; kernel "
                          "dropped %.0f at its receiver, %.0f at the relay and netsim; "
                          "relay kept %.0f; its senders dropped %.0f before they left; its "
                          "marks lost undropped: %d sent down, %d not)\n",
                          phase, name, unexplained, expected, dropped, delivered, explained,
                          num(f, "socket_dropped"), num(f, "host_socket_dropped"),
                          num(f, "relay_kept"), num(f, "sender_dropped"), down, none);
            t->unexplained += unexplained;
        }
        bool lossless = cJSON_IsTrue(cJSON_GetObjectItem(lane, "lossless"));
        if (!lossless && expected >= lossy && dropped == 0) {
            print_message("%s: lane %s: netsim dropped 0 of %.0f\n", phase, name, expected);
            t->silent_lossy++;
        }
        if (name && !strcmp(name, "tcp") && num(f, "held") > t->tcp_held)
            t->tcp_held = num(f, "held");
        if (num(f, "sender_dropped") > t->unsent)
            t->unsent = num(f, "sender_dropped");
    }
    t->windows += judged;
    t->samples += judged > 0;
    cJSON_Delete(j);
    return judged;
}

/* Reads live.json every 2 s for ms; the lanes judged with senders each. */
static void watch(const struct lesson *l, int senders, double lossy, uint64_t ms,
                  struct tally *t, const char *phase)
{
    uint64_t end = clock_now_ms() + ms;
    while (clock_now_ms() < end) {
        clock_sleep_ms(2000);
        look(l, senders, lossy, t, phase);
    }
    print_message("%s: %d looks, %d windows: %ld states unexplained, the reading at most "
                  "%.2f s behind, TCP's held back at most %.0f, a lane's senders dropped at "
                  "most %.0f before they left\n", phase, t->samples, t->windows,
                  t->unexplained, t->behind_max_s, t->tcp_held, t->unsent);
    cJSON_Delete(t->marks);
    t->marks = NULL;
}

/* Waits until most lanes run with senders each and a whole window. */
static void wait_running(const struct lesson *l, int senders)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        clock_sleep_ms(1000);
        cJSON *j = lesson_get_json(l, FIGURES);
        int running = 0;
        const cJSON *lane;
        bool ok = j && (int)num(j, "senders") == senders;
        cJSON_ArrayForEach(lane, cJSON_GetObjectItem(j, "lanes")) {
            const cJSON *f = cJSON_GetObjectItem(lane, "figures");
            const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(lane, "state"));
            running += st && !strcmp(st, "running") && num(f, "window_s") >= 9;
        }
        cJSON_Delete(j);
        if (ok && running >= 11)
            return;
    }
    fail_msg("the lanes never ran with %d senders and a whole window", senders);
}

static void every_loss_explained_at_a_class_scale(void **state)
{
    (void)state;
    struct nemesis n;
    char why[256], err[256], dir[512], port_s[8];
    if (nemesis_open(&n, CLASS + 1, why, sizeof why) != 0) {
        print_message("skipped: %s\n", why);
        skip();
    }
    const char *address = nemesis_addr(&n, NEMESIS_HUB);
    const char *args[] = {"--port", "0", "--door-port", "0", "--door-address", address,
                          "--rate", "20", "--duration", "10", "--senders", "4", "--seed", "5",
                          NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    put(&l, "/model", "{\"path-loss\": 2, \"path-delay\": 40}");
    wait_running(&l, 4);
    struct tally two = {0}, five = {0}, one = {0}, class = {0};
    watch(&l, 4, LOSSY_2, PHASE_MS, &two, "four senders, 2%");
    put(&l, "/model", "{\"path-loss\": 5, \"path-delay\": 40}");
    watch(&l, 4, LOSSY_5, PHASE_MS, &five, "four senders, 5%");
    put(&l, "/senders", "{\"senders\": 1}");
    wait_running(&l, 1);
    watch(&l, 1, LOSSY_5, ONE_MS, &one, "one sender, 5%");
    /* the class: every machine at once, over UDP and TCP in turn */
    cJSON *j = lesson_get_json(&l, "/live.json");
    const char *udp = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "door"),
                                                               "udp"));
    assert_non_null(udp);
    snprintf(port_s, sizeof port_s, "%s", strrchr(udp, ':') + 1);
    cJSON_Delete(j);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    struct spawn_proc players[CLASS];
    const char *player_args[] = {address, port_s, CLASS_PLAY, NULL};
    for (int i = 0; i < CLASS; i++)
        assert_int_equal(spawn_start_in(&players[i], n.ns[i + 1], dir,
                                        i % 2 ? "tcp_player" : "udp_player", player_args, err,
                                        sizeof err), 0);
    watch(&l, 1, LOSSY_5, CLASS_MS, &class, "one sender and a class of 30");
    j = lesson_get_json(&l, "/live.json");
    int guests = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) {
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(g, "state"));
        guests += st && !strcmp(st, "joined");
    }
    cJSON_Delete(j);
    print_message("%d programs joined through the door\n", guests);
    for (int i = 0; i < CLASS; i++) {
        spawn_stop(&players[i], SIGTERM, 10000);
        spawn_free(&players[i]);
    }
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    nemesis_close(&n);
    const struct tally *all[] = {&two, &five, &one, &class};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        assert_true(all[k]->samples >= 5); /* judged, not skipped */
        assert_int_equal(all[k]->unexplained, 0);
        assert_true(all[k]->behind_max_s <= BEHIND_MAX_S);
        assert_int_equal(all[k]->silent_lossy, 0);
    }
    assert_true(guests >= CLASS * 9 / 10);
    assert_true(two.tcp_held + five.tcp_held >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_loss_explained_at_a_class_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
