/* test_e2e_lesson_order.c: what the lesson page's inspector says of order, in
 * headless Chromium with the lesson's real lanes at 5% loss, 60 ms of delay
 * and 40 ms of jitter that reorders: a TCP state that came late names the
 * segment it waited behind (its numbers, when netsim dropped it and when it
 * crossed again), an ENet reliable state the state it waited behind, each in
 * the page's language (English, then Korean); the datagram lanes count the
 * states that came after one their sender sent later, on the strip and in
 * live.json (unsequenced delivers them, sequenced throws them away as too
 * old), and the inspector names the later state such a state came after;
 * the relay's socket of the unsequenced lane's edge made to overflow (the
 * relay stopped a moment while datagrams are sent at it from within its
 * namespace): the figures count the kernel's drops at the relay's sockets,
 * and a state lost so, which netsim handed on and dropped nowhere, is said
 * to be lost on the way to the relay, a socket's receive buffer full */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/lesson.h"
#include "tests/support/procs.h"
#include "tests/support/servers.h"

#define WAIT_MS 60000

static const char *const args[] = {"--port", "0", "--door-port", "0", "--rate", "20",
                                   "--duration", "20", "--grace", "3", "--seed", "5", NULL};

#define INSPECT_MAX 300 /* states inspected at most for one finding */

/* The inspector's text after the page inspected a state of lane that pick
 * (JS, the lane's kept marks as m) picks, the one whose inspection
 * satisfies want (JS, the inspected state as d), trying first those that
 * first (JS, a mark's key to sort by, largest first) puts first; NULL, with
 * what was tried printed, if none does. The caller frees. */
static char *inspect_one(struct browser *b, const char *lane, const char *pick,
                         const char *first, const char *want)
{
    char expr[1400];
    snprintf(expr, sizeof expr,
             "lessonPage.marks('%s').filter((m) => (%s) && lessonPage.markPoint('%s', m.seq,"
             " m.sender)).map((m) => [m.seq, m.sender, ((m) => %s)(m)])"
             ".sort((a, b) => b[2] - a[2])", lane, pick, lane, first);
    cJSON *picked = browser_eval(b, expr);
    size_t tried = 0, with_hops = 0, held = 0;
    char *text = NULL;
    const cJSON *m;
    cJSON_ArrayForEach(m, picked) {
        if (tried == INSPECT_MAX)
            break;
        tried++;
        snprintf(expr, sizeof expr,
                 "(async () => { const d = await lessonPage.inspect('%s', %d, %d);"
                 " return !d.hops ? 0 : 1 | (d.hops.some((h) => h.held) ? 2 : 0) |"
                 " ((%s) ? 4 : 0); })()",
                 lane, cJSON_GetArrayItem(m, 0)->valueint, cJSON_GetArrayItem(m, 1)->valueint,
                 want);
        double got = browser_eval_number(b, expr);
        int found = got == got ? (int)got : 0; /* NaN: the page threw */
        with_hops += (found & 1) != 0;
        held += (found & 2) != 0;
        if (found & 4) {
            cJSON *shown = browser_eval(b, "document.getElementById('inspect').textContent");
            text = cJSON_IsString(shown) ? strdup(shown->valuestring) : NULL;
            cJSON_Delete(shown);
            break;
        }
    }
    print_message("%s: %d states picked, %zu inspected, %zu with their hops, %zu of them "
                  "held, %s\n", lane, cJSON_GetArraySize(picked), tried, with_hops, held,
                  text ? "the last as wanted" : "none as wanted");
    cJSON_Delete(picked);
    return text;
}

/* Whether text says key's words of file (their longest run between two
 * {names}); what it says from there printed, headed by lane. */
static bool says(const char *text, const cJSON *file, const char *key, const char *lane)
{
    char run[256] = "";
    for (const char *w = lesson_word(file, key); *w;) {
        size_t n = strcspn(w, "{");
        if (n > strlen(run))
            snprintf(run, sizeof run, "%.*s", (int)n, w);
        w += n;
        w += *w ? strcspn(w, "}") + (w[strcspn(w, "}")] ? 1 : 0) : 0;
    }
    const char *at = strstr(text, run);
    if (at)
        print_message("%s: %.300s\n", lane, at);
    return at != NULL;
}

/* The state of lane the inspector shows now, inspected again in lang
 * (then English again): the inspector's text (the caller frees). */
static char *again_in(struct browser *b, const char *lane, const char *lang)
{
    char expr[400];
    snprintf(expr, sizeof expr,
             "(async () => { const { seq, sender } = lessonPage.inspected();"
             " await lessonPage.setLang('%s'); await lessonPage.inspect('%s', seq, sender);"
             " const t = document.getElementById('inspect')"
             ".textContent; await lessonPage.setLang('en'); return t; })()", lang, lane);
    cJSON *got = browser_eval(b, expr);
    char *text = strdup(cJSON_IsString(got) ? got->valuestring : "");
    cJSON_Delete(got);
    return text;
}

/* A TCP state late behind another state's dropped segment, a reliable one
 * behind another dropped state: each names it, in English and in Korean.
 * The latest states are inspected first, but every one arrived may be: a
 * state is also late for its own loss or a stall of the machine, and one
 * held behind another's loss may be only a little late (a quick
 * retransmission), so a bound on lateness alone left a dozen to try. */
static void late_names_its_loss(struct browser *b, const cJSON *en, const cJSON *ko)
{
    static const struct {
        const char *lane, *want, *key, *key_sender;
    } lanes[] = {
        /* in a staircase: behind another state's segment, not its own */
        {"tcp", "d.hops.some((h) => h.held && h.frame && h.held.start !== undefined &&"
                " h.held.start !== h.frame[0] && h.held.again_ms !== null)",
         "hold.segment", "hold.segment_sender"},
        {"reliable", "d.hops.some((h) => h.held && h.held.seq !== undefined &&"
                     " h.held.seq !== d.seq)", "hold.state", "hold.state"},
    };
    for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++) {
        char *text = inspect_one(b, lanes[i].lane, "m.status === 'arrived'", "m.recv - m.t",
                                 lanes[i].want);
        if (!text) {
            lesson_fail_with_page(b, "no late state names the loss it waited behind");
            return;
        }
        assert_true(says(text, en, lanes[i].key, lanes[i].lane) ||
                    says(text, en, lanes[i].key_sender, lanes[i].lane));
        free(text);
        text = again_in(b, lanes[i].lane, "ko");
        assert_true(says(text, ko, lanes[i].key, lanes[i].lane) ||
                    says(text, ko, lanes[i].key_sender, lanes[i].lane));
        free(text);
    }
}

/* The datagram lanes' states out of order: counted, on the strip, named. */
static void out_of_order_counted(struct browser *b, const cJSON *words)
{
    cJSON *s = browser_eval(b, "lessonPage.snapshot().lanes.filter((l) => l.name === "
                               "'unsequenced' || l.name === 'sequenced' || l.name === 'tcp')"
                               ".map((l) => [l.name, l.figures.out_of_order, l.figures.too_old])");
    const cJSON *x;
    cJSON_ArrayForEach(x, s) {
        const char *name = cJSON_GetArrayItem(x, 0)->valuestring;
        double n = cJSON_GetArrayItem(x, 1)->valuedouble;
        print_message("%s: %.0f out of order, %.0f too old\n", name, n,
                      cJSON_GetArrayItem(x, 2)->valuedouble);
        if (!strcmp(name, "tcp"))
            assert_true(n == 0); /* a stream keeps the order */
        else
            assert_true(n > 0);
    }
    cJSON_Delete(s);
    char *un = inspect_one(b, "unsequenced", "m.after > 0 && m.status === 'arrived'", "m.seq",
                           "d.after > 0");
    char *sq = inspect_one(b, "sequenced", "m.after > 0", "m.seq",
                           "d.after > 0 && d.status === 'too old'");
    if (!un || !sq) {
        lesson_fail_with_page(b, "no state out of order inspected");
        return;
    }
    char order[96], thrown[96];
    snprintf(order, sizeof order, "%s", strrchr(lesson_word(words, "insp.after_order"), '}') + 1);
    snprintf(thrown, sizeof thrown, "%s",
             strrchr(lesson_word(words, "insp.after_thrown"), '}') + 1);
    print_message("unsequenced: %.160s\nsequenced: %.160s\n", un, sq);
    assert_non_null(strstr(un, order));
    assert_non_null(strstr(sq, thrown));
    free(un);
    free(sq);
}

/* The relay's socket of the unsequenced lane's edge filled (the relay
 * stopped a moment, datagrams sent at it from within its namespace): the
 * kernel drops the states that come to it meanwhile, the lanes' figures
 * count the drops at the relay's sockets, and a state lost so, which
 * netsim handed on to the relay and dropped nowhere, is said to be lost on
 * the way to the relay, where a socket's receive buffer was full. */
static void lost_in_the_host_named(struct browser *b, const struct lesson *l, const cJSON *words)
{
    cJSON *j = lesson_get_json(l, "/live.json?since=18446744073709551615");
    const char *at = NULL;
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "lanes"))
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "name")), "unsequenced"))
            at = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "ends"), "relay"));
    pid_t relay;
    assert_true(at && strchr(at, ':'));
    assert_int_equal(procs_children(l->proc.pid, "ricochet-relay", &relay, 1), 1);
    /* The flood, started and ready before the relay stops: on a busy
     * machine Python's own start would stop the relay longer than its
     * clients wait for it, and they would be lost with their connections. */
    char netns[64], script[400], err[256];
    snprintf(netns, sizeof netns, "--net=/proc/%d/ns/net", (int)relay);
    snprintf(script, sizeof script,
             "import signal, socket, sys\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n"
             "print('ready', file=sys.stderr, flush=True)\n"
             "signal.sigwait({signal.SIGUSR1})\n"
             "for _ in range(8000): s.sendto(b'x' * 1000, ('%.*s', %s))\n",
             (int)(strchr(at, ':') - at), at, strchr(at, ':') + 1);
    const char *flood_args[] = {netns, "python3", "-c", script, NULL};
    struct spawn_proc flood;
    char line[64];
    assert_int_equal(spawn_start(&flood, "/usr/bin", "nsenter", flood_args, err, sizeof err), 0);
    if (spawn_wait_line(&flood, "ready", WAIT_MS, line, sizeof line, err, sizeof err) != 0)
        fail_msg("the flood never started: %s", err);
    cJSON_Delete(j);
    cJSON_Delete(browser_eval(b, "lessonPage.pause(false)"));
    assert_int_equal(kill(relay, SIGSTOP), 0);
    uint64_t stopped = clock_now_ms();
    assert_int_equal(spawn_signal(&flood, SIGUSR1), 0);
    int rc = spawn_stop(&flood, 0, WAIT_MS); /* more than its receive buffer (8 MB) holds */
    uint64_t flooded = clock_now_ms() - stopped;
    clock_sleep_ms(1500); /* the senders' states meet a full socket */
    assert_int_equal(kill(relay, SIGCONT), 0);
    spawn_free(&flood);
    print_message("the relay stopped %llu ms, %llu of them its socket flooded\n",
                  (unsigned long long)(clock_now_ms() - stopped), (unsigned long long)flooded);
    assert_int_equal(rc, 0);
    const char *lost = "m.status === 'lost' && !m.up && !m.down";
    char expr[400];
    snprintf(expr, sizeof expr, "lessonPage.snapshot().lanes.find((l) => l.name === "
             "'unsequenced').figures.host_socket_dropped > 0 && lessonPage.marks('unsequenced')"
             ".some((m) => %s && lessonPage.markPoint('unsequenced', m.seq))", lost);
    if (!browser_wait(b, expr, WAIT_MS))
        lesson_fail_with_page(b, "no state lost at the relay's socket");
    cJSON_Delete(browser_eval(b, "lessonPage.pause(true)"));
    char *text = inspect_one(b, "unsequenced", lost, "m.seq",
                             "d.status === 'lost' && d.hops[0].fwds > 0 && !d.hops[1].fwds");
    if (!text) {
        lesson_fail_with_page(b, "no state lost at the relay's socket drawn");
        return;
    }
    assert_true(says(text, words, "insp.host_relay", "unsequenced, lost in the host"));
    free(text);
}

static void the_inspector_says_what_held_it(void **state)
{
    (void)state;
    struct lesson l;
    char dir[] = "/tmp/ricochet-lesson-order-XXXXXX";
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    cJSON *j = lesson_get_json(&l, "/live.json");
    bool ip = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "ip_mode"));
    cJSON_Delete(j);
    if (!ip) { /* no namespaces: no TCP lane to look at */
        spawn_stop(&l.proc, SIGINT, 15000);
        spawn_free(&l.proc);
        skip();
    }
    servers_tmpdir(dir);
    char url[160];
    snprintf(url, sizeof url, "%s?lang=en", l.url);
    struct browser *b = browser_open(dir, url, 1500, 2650);
    if (!browser_wait(b, "window.lessonPage && lessonPage.snapshot().lanes.length >= 16 &&"
                         " ['tcp', 'reliable', 'unsequenced', 'sequenced'].every((n) =>"
                         " lessonPage.snapshot().lanes.some((l) => l.name === n &&"
                         " l.state === 'running'))", WAIT_MS))
        lesson_fail_with_page(b, "the lanes never ran");
    cJSON_Delete(browser_eval(b, "lessonPage.setControls({loss: 5, delay: 60, jitter: 40,"
                                 " reorder: true})"));
    clock_sleep_ms(16000); /* states enough under the model */
    /* a state of each datagram lane out of order in its strip, to click */
    if (!browser_wait(b, "['unsequenced', 'sequenced'].every((n) => lessonPage.marks(n).some("
                         "(m) => m.after && m.status === (n === 'sequenced' ? 'too old' :"
                         " 'arrived') && lessonPage.markPoint(n, m.seq)) && lessonPage.snapshot()"
                         ".lanes.find((l) => l.name === n).figures.out_of_order > 0)", WAIT_MS))
        lesson_fail_with_page(b, "nothing came out of order");
    cJSON_Delete(browser_eval(b, "lessonPage.pause(true)"));
    cJSON *en = lesson_lang("en"), *ko = lesson_lang("ko");
    late_names_its_loss(b, en, ko);
    out_of_order_counted(b, en);
    lost_in_the_host_named(b, &l, en);
    cJSON_Delete(en);
    cJSON_Delete(ko);
    lesson_end(&l, b, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_inspector_says_what_held_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
