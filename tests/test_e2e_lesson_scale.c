/* test_e2e_lesson_scale.c: the lesson explains every lost state at a
 * class's scale. ricochet-lesson in IP mode with its door on a bridge's
 * address (tests/support/nemesis.h; skipped without root), four senders a
 * lane (--senders 4, 20 states a second each: 800 a lane in a 10 s window)
 * through 2% loss for a minute and 5% for another, then one sender again,
 * then a class of 30 machines through the door (the docs' C players, UDP
 * and TCP in turn) beside the lanes. Every 2 s, live.json's figures (as a
 * page polls them, without the marks): in each running lane's window no
 * state lost that nothing explains (expected - delivered - lost_explained
 * - pending: a state its sender handed over late is within its grace still)
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
 * marks: lost with no drop, sent down by the relay or not, and the lesson's
 * word on the first three. A state lost while the machine fell behind (the
 * states beside it came far later than netsim held them) is said so on its
 * lane ("behind") and counted apart. The class's laptops: each of the 30
 * machines polls the students' view each second as a laptop's page does
 * (the lanes that page has in sight, its own program whole), one laptop's
 * page runs in headless Chromium on its machine and the projector's on the
 * teacher's, its lane picker listing the programs (after the chosen
 * lanes on the screen once picked): every laptop's answers hold its own program whole and no
 * other's, the laptop's page draws its own lane first and calls no other
 * its own, and a laptop is sent less than 20 KB a second (the bytes per
 * laptop per second printed, the page's as Chromium counts them too; the
 * view once sent some 160 KB). About four minutes, root (skipped
 * without). */

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
#include "tests/support/nemesis.h"
#include "tests/support/servers.h"

#define CLASS 30          /* the students' machines */
#define CLASS_PLAY "75"   /* seconds each student's program plays: the browsers, the watch */
#define PHASE_MS 60000    /* each loss's minute of four senders */
#define ONE_MS 25000      /* one sender again */
#define CLASS_MS 35000    /* the class through the door */
#define BEHIND_MAX_S 1.0  /* the reading's most behind netsim's newest line */
#define LOSSY_2 400       /* a lossy lane's states in a window at 2% that netsim drops none
                             of: a chance of 3e-4 */
#define LOSSY_5 150       /* ... at 5%: 5e-4 */
#define WAIT_MS 60000
#define FIGURES "/live.json?since=18446744073709551615" /* no marks: a page's poll, not 7 MB */

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
static void laptops_poll(struct laptops *c)
{
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

/* What a phase saw. */
struct tally {
    int samples;          /* live.json reads with a lane judged */
    int windows;          /* lanes' windows judged */
    long unexplained;     /* states lost that nothing explains, every window summed */
    long behind;          /* states lost while the machine fell behind (the lane says so) */
    double behind_ms;     /* ... how late the states beside them came, at most */
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
        /* not come yet within their grace (handed over late) are on their way, not lost */
        long unexplained = (long)(expected - delivered - explained - num(f, "pending"));
        if (unexplained > 0) {
            /* lost, no drop: the relay sent it on, or not (the marks of the look after
             * this one, every lane's, once); the first three nothing explains, shown */
            int down = 0, none = 0, shown = 0;
            if (!t->marks) /* once a look: the states of its windows */
                t->marks = lesson_get_json(l, "/live.json");
            const cJSON *ml = NULL, *x;
            cJSON_ArrayForEach(x, cJSON_GetObjectItem(t->marks, "lanes"))
                if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "name")), name))
                    ml = x;
            const cJSON *m;
            cJSON_ArrayForEach(m, cJSON_GetObjectItem(ml, "marks")) {
                const char *up_drop = cJSON_GetStringValue(cJSON_GetArrayItem(m, 8));
                const char *down_drop = cJSON_GetStringValue(cJSON_GetArrayItem(m, 9));
                if (num_at(m, 2) != 2)
                    continue;
                bool undropped = up_drop && !up_drop[0] && down_drop && !down_drop[0];
                down += undropped && cJSON_IsNumber(cJSON_GetArrayItem(m, 13));
                none += undropped && !cJSON_IsNumber(cJSON_GetArrayItem(m, 13));
                if (shown < 3) { /* the lesson's word on an unexplained one: its hops */
                    char path[160];
                    snprintf(path, sizeof path, "/state?lane=%s&seq=%d&sender=%d", name,
                             (int)num_at(m, 0), (int)num_at(m, 10));
                    cJSON *one = lesson_get_json(l, path);
                    const char *fate = cJSON_GetStringValue(cJSON_GetObjectItem(one, "fate"));
                    char *text = one ? cJSON_PrintUnformatted(one) : NULL;
                    if (fate && !strcmp(fate, "unexplained") && ++shown)
                        print_message("%s: lane %s, state %d: %.1400s\n", phase, name,
                                      (int)num_at(m, 0), text);
                    free(text);
                    cJSON_Delete(one);
                }
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
        if (num(f, "behind") > 0) {
            t->behind += (long)num(f, "behind");
            if (num(f, "behind_ms") > t->behind_ms)
                t->behind_ms = num(f, "behind_ms");
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
    cJSON_Delete(t->marks);
    t->marks = NULL;
    return judged;
}

/* Reads live.json every 2 s for ms; the lanes judged with senders each;
 * the class's laptops (NULL: none) polling each second meanwhile. */
static void watch(const struct lesson *l, int senders, double lossy, uint64_t ms,
                  struct tally *t, const char *phase, struct laptops *c)
{
    uint64_t end = clock_now_ms() + ms;
    for (int turn = 1; clock_now_ms() < end; turn++) {
        uint64_t next = clock_now_ms() + 1000;
        if (c)
            laptops_poll(c);
        if (clock_now_ms() < next)
            clock_sleep_ms(next - clock_now_ms());
        if (turn % 2 == 0)
            look(l, senders, lossy, t, phase);
    }
    print_message("%s: %d looks, %d windows: %ld states unexplained, %ld lost while the "
                  "machine fell behind (said on their lanes; the states beside them up to "
                  "%.0f ms late), the reading at most %.2f s behind, TCP's held back at most "
                  "%.0f, a lane's senders dropped at most %.0f before they left\n", phase,
                  t->samples, t->windows, t->unexplained, t->behind, t->behind_ms,
                  t->behind_max_s, t->tcp_held, t->unsent);
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
                          "--view-address", address, "--view-port", "0",
                          "--rate", "20", "--duration", "10", "--senders", "4", "--seed", "5",
                          NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    struct laptops class_view = {.n = &n};
    view_at(&l, class_view.view, sizeof class_view.view);
    put(&l, "/model", "{\"path-loss\": 2, \"path-delay\": 40}");
    wait_running(&l, 4);
    struct tally two = {0}, five = {0}, one = {0}, class = {0};
    watch(&l, 4, LOSSY_2, PHASE_MS, &two, "four senders, 2%", NULL);
    put(&l, "/model", "{\"path-loss\": 5, \"path-delay\": 40}");
    watch(&l, 4, LOSSY_5, PHASE_MS, &five, "four senders, 5%", NULL);
    put(&l, "/senders", "{\"senders\": 1}");
    wait_running(&l, 1);
    watch(&l, 1, LOSSY_5, ONE_MS, &one, "one sender, 5%", NULL);
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
    char shelf[] = "/tmp/ricochet-lesson-scale-XXXXXX", sub[600], url[160];
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
    watch(&l, 1, LOSSY_5, CLASS_MS, &class, "one sender and a class of 30", &class_view);
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
    const struct tally *all[] = {&two, &five, &one, &class};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        assert_true(all[k]->samples >= 5); /* judged, not skipped */
        assert_int_equal(all[k]->unexplained, 0);
        assert_true(all[k]->behind_max_s <= BEHIND_MAX_S);
        assert_int_equal(all[k]->silent_lossy, 0);
    }
    assert_true(guests >= CLASS * 9 / 10);
    /* docs/class/plan.LANG.md: less than 20 KB a second a laptop, its own lane first */
    assert_true(per_laptop < 20 && page_bytes / page_s / 1000 < 20);
    assert_int_equal(class_view.failed, 0);
    assert_true(own >= CLASS * 9 / 10);
    assert_int_equal(class_view.others_whole, 0);
    assert_true(two.tcp_held + five.tcp_held >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_loss_explained_at_a_class_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
