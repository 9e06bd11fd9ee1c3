/* test_e2e_lesson_laptops.c: a class of 30 laptops watching the lesson: every
 * lost state explained or its lane marked behind, each laptop's own lane
 * first, a laptop sent less than 20 KB a second. */
/* ricochet-lesson in IP mode with its door and its students' view on a
 * bridge's address (tests/support/nemesis.h; skipped without root), one
 * sender a lane at 5% loss, then 30 machines through the door (the docs' C
 * players, UDP and TCP in turn) beside the lanes. Every 2 s, live.json's
 * figures (tests/support/lesson_watch.h): in each running lane's window no
 * state lost that nothing explains (those lost while the machine fell
 * behind are said so on their lane, counted apart; those still within
 * their grace, their sender late, are on their way), the drop log's
 * reading within a second of netsim. The class's laptops: each of the 30
 * machines polls the students' view each second as a laptop's page does
 * (the lanes that page has in sight, its own program whole), one laptop's
 * page runs in headless Chromium on its machine and the projector's on the
 * teacher's, its lane picker listing the programs (after the chosen lanes
 * on the screen once picked): every laptop's answers hold its own program
 * whole and no other's, the laptop's page draws its own lane first and
 * calls no other its own, and a laptop is sent less than 20 KB a second
 * (the bytes per laptop per second printed, the page's as Chromium counts
 * them too, beside the 162 KB the view once sent). About 100 s, root
 * (skipped without). */

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
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/lesson_watch.h"
#include "tests/support/nemesis.h"
#include "tests/support/servers.h"

#define CLASS 30          /* the students' machines */
#define CLASS_PLAY "75"   /* seconds each student's program plays: the browsers, the watch */
#define ONE_MS 25000      /* one sender, before the class */
#define CLASS_MS 35000    /* the class through the door */
#define LOSSY_5 150       /* a lossy lane's states in a window at 5% that netsim drops none
                             of: a chance of 5e-4 */
#define WAIT_MS 60000

/* The class's laptops, each polling the students' view from its machine
 * as its page does, every second: the lanes in its page's sight whole
 * (shown, the laptop browser's; all their states the first time), its
 * own program whole whatever it shows; what each was sent. */
struct laptops {
    const struct nemesis *n;
    char view[64];                 /* the view's address */
    char shown[512];               /* the lanes a laptop's page has in sight (URL-encoded) */
    unsigned long long cursor[CLASS];
    uint64_t bytes[CLASS];         /* heads and bodies, since the first poll */
    int polls[CLASS], failed;
    int own_first[CLASS];          /* answers whose only whole program was the laptop's own */
    int others_whole;              /* answers with another's program whole */
};

/* Is the answer's one whole program the one from the laptop's address (its own)? */
static bool own_whole(const char *body, const char *address, bool *other)
{
    cJSON *j = cJSON_Parse(body);
    const cJSON *g;
    bool own = false;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) {
        if (cJSON_IsTrue(cJSON_GetObjectItem(g, "brief")))
            continue;
        const char *at = cJSON_GetStringValue(cJSON_GetObjectItem(g, "endpoint"));
        bool mine = at && !strncmp(at, address, strlen(address)) && at[strlen(address)] == ':';
        own |= mine;
        *other |= !mine;
    }
    cJSON_Delete(j);
    return own;
}

/* One round: each laptop asks the view from its own machine, as its page asks. */
static void laptops_poll(void *arg)
{
    struct laptops *c = arg;
    for (int i = 0; i < CLASS; i++) {
        char path[1200];
        snprintf(path, sizeof path, "/live.json?since=%llu&shown=%s%s%s", c->cursor[i],
                 c->shown, c->cursor[i] ? "" : "&fresh=", c->cursor[i] ? "" : c->shown);
        struct http_response r;
        nemesis_enter(c->n, i + 1);
        int rc = http_request(c->view, "GET", path, 10000, &r);
        nemesis_enter(c->n, NEMESIS_HUB);
        if (rc != 0 || r.status != 200) {
            c->failed += c->cursor[i] != 0; /* the first: the view's first frame on its way */
            if (rc == 0)
                http_response_free(&r);
            continue;
        }
        c->bytes[i] += r.len + strlen(r.headers);
        c->polls[i]++;
        bool other = false;
        c->own_first[i] += own_whole(r.body, nemesis_addr(c->n, i + 1), &other);
        c->others_whole += other;
        const char *at = strstr(r.body, "\"cursor\":");
        if (at)
            c->cursor[i] = strtoull(at + strlen("\"cursor\":"), NULL, 10);
        http_response_free(&r);
    }
}

/* The students' view's address the lesson printed ("students watch on http://ADDR/"). */
static void view_at(const struct lesson *l, char *at, size_t cap)
{
    uint64_t deadline = clock_now_ms() + 10000;
    for (;;) {
        char *out = spawn_read_stdout(&l->proc);
        const char *u = out ? strstr(out, "the students watch on http://") : NULL;
        if (u) {
            u += strlen("the students watch on http://");
            snprintf(at, cap, "%.*s", (int)strcspn(u, "/"), u);
            free(out);
            return;
        }
        free(out);
        if (clock_now_ms() > deadline)
            fail_msg("the lesson printed no students' view");
        clock_sleep_ms(50);
    }
}

static void a_class_of_laptops(void **state)
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
                          "--view-address", address, "--view-port", "0",
                          "--rate", "20", "--duration", "10", "--senders", "1", "--seed", "5",
                          NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    struct laptops class_view = {.n = &n};
    view_at(&l, class_view.view, sizeof class_view.view);
    lesson_put(&l, "/model", "{\"path-loss\": 5, \"path-delay\": 40}");
    lesson_wait_running(&l, 1);
    struct lesson_tally one = {0}, class = {0};
    lesson_watch(&l, 1, LOSSY_5, ONE_MS, &one, "one sender, 5%", NULL, NULL);
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
    /* the teacher's projector and a laptop's page, in headless Chromium: the
     * laptop's on machine 1, its bytes as the browser counts them; the other
     * laptops ask what its page asks */
    char shelf[] = "/tmp/ricochet-lesson-laptops-XXXXXX", sub[600], url[160];
    servers_tmpdir(shelf);
    snprintf(sub, sizeof sub, "%s/teacher", shelf);
    mkdir(sub, 0700);
    snprintf(url, sizeof url, "%s?lanes=udp,tcp,poll-short&compact=1", l.url);
    struct browser *teacher = browser_open(sub, url, 1280, 720);
    snprintf(sub, sizeof sub, "%s/laptop", shelf);
    mkdir(sub, 0700);
    snprintf(url, sizeof url, "http://%s/", class_view.view);
    nemesis_enter(&n, 1);
    struct browser *laptop = browser_open(sub, url, 1280, 800);
    nemesis_enter(&n, NEMESIS_HUB);
    cJSON_Delete(browser_eval(laptop, "performance.setResourceTimingBufferSize(100000), 1"));
    /* its own lane first, the only one called its own, once the class plays */
    if (!browser_wait(laptop, "window.lessonPage && lessonPage.guestLanes().length >= 20 &&"
                              " lessonPage.guestLanes().filter((g) => g.mine).length === 1 &&"
                              " lessonPage.guestLanes().find((g) => g.mine).first &&"
                              " lessonPage.guestLanes().find((g) => g.mine).drawn > 5 &&"
                              " !lessonPage.guestLanes().some((g) => !g.mine && g.first)",
                      WAIT_MS))
        lesson_fail_with_page(laptop, "the laptop's own lane was not first");
    /* its lanes in sight, its own program aside (every laptop's own comes whole) */
    cJSON *sight = browser_eval(laptop, "encodeURIComponent(lessonPage.inView().filter((n) =>"
                                        " !/^(udp|tcp) /.test(n)).join(','))");
    snprintf(class_view.shown, sizeof class_view.shown, "%s", cJSON_GetStringValue(sight));
    cJSON_Delete(sight);
    print_message("a laptop's page has in sight: %s\n", class_view.shown);
    /* the projector's picker has the programs, and shows them after the chosen lanes */
    if (!browser_wait(teacher, "document.querySelectorAll('#pick [data-lane]').length >= 16 +"
                               " 20 && !!document.querySelector('#pick [data-lane=programs]') &&"
                               " document.querySelectorAll('#guests .guest:not(.hidden)').length"
                               " === 0", WAIT_MS))
        lesson_fail_with_page(teacher, "the projector's picker had no programs");
    cJSON_Delete(browser_eval(teacher, "lessonPage.choose(new Set(['udp', 'tcp', 'poll-short',"
                                       " 'programs']))"));
    if (!browser_wait(teacher, "(() => { const lanes = [...document.querySelectorAll("
                               "'#lanes .lane')].filter((e) => e.offsetParent !== null),"
                               " progs = [...document.querySelectorAll('#guests .guest')]"
                               ".filter((e) => e.offsetParent !== null); return lanes.length"
                               " === 3 && progs.length >= 20 && progs[0].getBoundingClientRect()"
                               ".top >= lanes[2].getBoundingClientRect().bottom; })()", WAIT_MS)) {
        cJSON *r = browser_eval(teacher, "[[...document.querySelectorAll('#lanes .lane')]"
                                         ".filter((e) => e.offsetParent !== null).map((e) =>"
                                         " e.getBoundingClientRect().bottom), [...document"
                                         ".querySelectorAll('#guests .guest')].filter((e) =>"
                                         " e.offsetParent !== null).length]");
        char *text = cJSON_PrintUnformatted(r);
        print_message("the projector's lanes' bottoms and programs shown: %s\n", text);
        free(text);
        cJSON_Delete(r);
        lesson_fail_with_page(teacher, "the programs did not come after the chosen lanes");
    }
    double page_from = browser_eval_number(laptop, "performance.now()");
    uint64_t class_from = clock_now_ms();
    lesson_watch(&l, 1, LOSSY_5, CLASS_MS, &class, "one sender and a class of 30",
                 laptops_poll, &class_view);
    char expr[300];
    snprintf(expr, sizeof expr, "performance.getEntriesByType('resource').filter((e) =>"
             " e.name.includes('/live.json') && e.startTime >= %f).reduce((a, e) => a +"
             " e.transferSize, 0)", page_from);
    double page_bytes = browser_eval_number(laptop, expr);
    double page_s = (browser_eval_number(laptop, "performance.now()") - page_from) / 1000;
    double class_s = (double)(clock_now_ms() - class_from) / 1000;
    uint64_t all_bytes = 0;
    int all_polls = 0, own = 0;
    for (int i = 0; i < CLASS; i++) {
        all_bytes += class_view.bytes[i];
        all_polls += class_view.polls[i];
        own += class_view.own_first[i] == class_view.polls[i] && class_view.polls[i] > 0;
    }
    double per_laptop = (double)all_bytes / CLASS / class_s / 1000;
    print_message("the class's laptops: %d polls (%d failed) over %.0f s, %.1f KB a laptop a "
                  "second (the laptop's page: %.1f KB a second; before the view's frames, "
                  "162 KB); %d of %d laptops sent their own program whole in every answer, "
                  "%d answers held another's whole\n", all_polls, class_view.failed, class_s,
                  per_laptop, page_bytes / page_s / 1000, own, CLASS, class_view.others_whole);
    browser_close(laptop);
    browser_close(teacher);
    servers_remove_tree(shelf);
    j = lesson_get_json(&l, "/live.json");
    int guests = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) /* joined, or stopped since */
        guests += cJSON_GetNumberValue(cJSON_GetObjectItem(g, "id")) > 0;
    cJSON_Delete(j);
    print_message("%d programs joined through the door\n", guests);
    for (int i = 0; i < CLASS; i++) {
        spawn_stop(&players[i], SIGTERM, 10000);
        spawn_free(&players[i]);
    }
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    nemesis_close(&n);
    lesson_tally_holds(&one);
    lesson_tally_holds(&class);
    assert_true(guests >= CLASS * 9 / 10);
    /* docs/class/plan.LANG.md: less than 20 KB a second a laptop, its own lane first */
    assert_true(per_laptop < 20 && page_bytes / page_s / 1000 < 20);
    assert_int_equal(class_view.failed, 0);
    assert_true(own >= CLASS * 9 / 10);
    assert_int_equal(class_view.others_whole, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_class_of_laptops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
