/* test_e2e_lesson_view.c: the lesson in a class: the students' view served
 * apart, refusing the teacher's changes, one answer for all its viewers, the
 * lanes' figures untouched. */
/* The lesson in a class. `ricochet-lesson
 * --view-address 127.0.0.2` serves the students' view there: its page says
 * it is a viewer's (`/view.json`), a `PUT /model` and a `PUT /senders` from
 * it are refused (403) and the model in force stays as it was, `/state`,
 * `/calls` and `/pcap` are the teacher's page's; thirty viewers polling it each second
 * get one answer made for all of them (at most two distinct in a round of
 * thirty) and leave the lanes' figures as they were (every lane delivering
 * 100% on a clean network, its p50 within 5 ms of what it was without
 * them, a polling lane's within a quarter more: its poll's phase). In headless Chromium: the teacher's page at 1280x720 and at
 * 1920x1080 with `?lanes=udp,tcp,poll-short&compact=1` shows those three
 * lanes whole on its first screen, the controls above them, the choice
 * kept in the address across a reload; the students' view has no control
 * that changes the network, and the docs' Python player through the door
 * has its lane marked as the viewer's own (the same address); the
 * worksheet page in each language; the small things a beginner reads:
 * "1024" on the page in every language, a client's endpoint in the calls
 * starting with a capital in Indonesian and Vietnamese, the handshake
 * dated with the lesson's clock and said to date from the connection's
 * start, a lane's figures as CSV, a program's lane kept, greyed, after it
 * stopped until the teacher clears it. Screenshots
 * (`RICOCHET_SHOT_UPDATE=1`): `docs/lesson-projector-{en,id}.png`,
 * `docs/lesson-view-{en,ko}.png`, `docs/lesson-worksheet-{en,vi}.png`. */

/* tests/run: alone (thirty viewers' figures against none: a neighbour's
 * load would move them) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/servers.h"

#define WAIT_MS 60000
#define VIEWERS 30
#define THREE "udp,tcp,poll-short"

static const char *const langs[] = {"en", "id", "ko", "vi"};

static bool shots(void)
{
    return getenv("RICOCHET_SHOT_UPDATE") && !strcmp(getenv("RICOCHET_SHOT_UPDATE"), "1");
}

/* The students' view's address the lesson printed ("students watch on http://ADDR/"). */
static void view_at(const struct lesson *l, char *at, size_t cap)
{
    char *out = spawn_read_stdout(&l->proc);
    const char *u = out ? strstr(out, "the students watch on http://") : NULL;
    if (!u)
        fail_msg("the lesson printed no students' view: %s", out ? out : "");
    u += strlen("the students watch on http://");
    snprintf(at, cap, "%.*s", (int)strcspn(u, "/"), u);
    free(out);
}

static cJSON *get_json(const char *at, const char *path)
{
    struct http_response r;
    if (http_request(at, "GET", path, 10000, &r) != 0)
        return NULL;
    cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
    http_response_free(&r);
    return j;
}

/* Each running lane's p50 (ms) and delivered %, by name, once every lane
 * running has figures: {"udp": [p50, pct], ...}. */
static cJSON *figures(const char *at)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        cJSON *j = get_json(at, "/live.json?since=18446744073709551615");
        cJSON *out = cJSON_CreateObject();
        bool all = j != NULL;
        const cJSON *lane;
        cJSON_ArrayForEach(lane, cJSON_GetObjectItem(j, "lanes")) {
            const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(lane, "state"));
            if (!state || strcmp(state, "running"))
                continue;
            const cJSON *f = cJSON_GetObjectItem(lane, "figures");
            if (!cJSON_IsTrue(cJSON_GetObjectItem(f, "valid"))) {
                all = false;
                break;
            }
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(
                cJSON_GetNumberValue(cJSON_GetObjectItem(f, "p50_ms"))));
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(
                cJSON_GetNumberValue(cJSON_GetObjectItem(f, "delivered_pct"))));
            cJSON_AddItemToObject(out, cJSON_GetStringValue(cJSON_GetObjectItem(lane, "name")),
                                  pair);
        }
        cJSON_Delete(j);
        if (all && cJSON_GetArraySize(out) >= 8)
            return out;
        cJSON_Delete(out);
        clock_sleep_ms(500);
    }
    fail_msg("the lanes never had figures");
    return NULL;
}

/* A round of the viewers: each GET /live.json of the view once, as thirty
 * laptops polling each second do; returns how many distinct answers came,
 * and the largest's bytes into *most. */
static int viewers_poll(const char *view, size_t *most)
{
    char *seen[VIEWERS];
    int distinct = 0;
    for (int i = 0; i < VIEWERS; i++) {
        struct http_response r;
        assert_int_equal(http_request(view, "GET", "/live.json?since=0", 10000, &r), 0);
        assert_int_equal(r.status, 200);
        bool again = false;
        for (int k = 0; k < distinct && !again; k++)
            again = !strcmp(seen[k], r.body);
        if (!again)
            seen[distinct++] = strdup(r.body);
        if (r.len > *most)
            *most = r.len;
        http_response_free(&r);
    }
    for (int k = 0; k < distinct; k++)
        free(seen[k]);
    return distinct;
}

/* GET /model's in_force as text, once netsim has said it (the caller frees). */
static char *in_force(const struct lesson *l)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        cJSON *j = get_json(l->at, "/model");
        const cJSON *f = cJSON_GetObjectItem(j, "in_force");
        char *text = cJSON_IsObject(f) ? cJSON_PrintUnformatted(f) : NULL;
        cJSON_Delete(j);
        if (text)
            return text;
        clock_sleep_ms(200);
    }
    fail_msg("GET /model never said the model in force");
    return NULL;
}

static void a_students_view_changes_nothing(const struct lesson *l, const char *view)
{
    cJSON *who = get_json(view, "/view.json"), *teacher = get_json(l->at, "/view.json");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(who, "view")));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(who, "you")), "127.0.0.1");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(teacher, "view")));
    cJSON_Delete(who);
    cJSON_Delete(teacher);
    char *was = in_force(l);
    struct http_response r;
    assert_int_equal(http_send(view, "PUT", "/model", "{\"path-loss\": 20}", 10000, &r), 0);
    print_message("PUT /model from the view: %d %s", r.status, r.body);
    assert_int_equal(r.status, 403);
    http_response_free(&r);
    assert_int_equal(http_send(view, "PUT", "/senders", "{\"senders\": 4}", 10000, &r), 0);
    assert_int_equal(r.status, 403);
    http_response_free(&r);
    static const char *const teachers[] = {"/state?lane=udp&seq=1", "/calls?lane=tcp",
                                           "/pcap?lane=udp"};
    for (size_t i = 0; i < sizeof teachers / sizeof teachers[0]; i++) {
        assert_int_equal(http_request(view, "GET", teachers[i], 10000, &r), 0);
        assert_int_equal(r.status, 403);
        http_response_free(&r);
    }
    clock_sleep_ms(500);
    char *is = in_force(l);
    assert_string_equal(was, is); /* the network as the teacher left it */
    cJSON *live = get_json(l->at, "/live.json?since=18446744073709551615");
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(live, "senders_wanted")), 1);
    cJSON_Delete(live);
    free(was);
    free(is);
}

/* The CPU seconds the process pid has used so far (/proc/PID/stat's utime and stime). */
static double cpu_s(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                            &st), 2);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Thirty viewers for 12 s, a round a second: one answer shared, and the
 * lanes' figures as they were without them. */
static void thirty_viewers_cost_nothing(const struct lesson *l, const char *view)
{
    clock_sleep_ms(6000); /* a whole window of figures since the lanes began */
    double cpu0 = cpu_s(l->proc.pid);
    clock_sleep_ms(12000);
    double idle = cpu_s(l->proc.pid) - cpu0; /* the lesson's own 12 s, no viewer */
    cJSON *alone = figures(l->at);
    cJSON *first = NULL; /* the first viewer's ask starts the shared answer: made within 1 s */
    for (int i = 0; i < 50 && !first; i++, clock_sleep_ms(first ? 0 : 100))
        first = get_json(view, "/live.json");
    assert_non_null(first);
    cJSON_Delete(first);
    size_t most = 0;
    int rounds = 0, shared = 0;
    cpu0 = cpu_s(l->proc.pid);
    uint64_t end = clock_now_ms() + 12000;
    while (clock_now_ms() < end) {
        uint64_t next = clock_now_ms() + 1000;
        shared += viewers_poll(view, &most) <= 2;
        rounds++;
        while (clock_now_ms() < next)
            clock_sleep_ms(20);
    }
    double watched_cpu = cpu_s(l->proc.pid) - cpu0;
    cJSON *watched = figures(l->at);
    print_message("the lesson's CPU over 12 s: %.2f s alone, %.2f s with %d viewers\n", idle,
                  watched_cpu, VIEWERS);
    assert_true(watched_cpu < idle * 1.3 + 0.5); /* one answer made twice a second, copied */
    print_message("%d rounds of %d viewers, %d of them one answer for all (or two: made "
                  "between), at most %zu bytes each\n", rounds, VIEWERS, shared, most);
    assert_true(shared >= rounds - 1);
    assert_true(most < 400000);
    int compared = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, alone) {
        const cJSON *w = cJSON_GetObjectItem(watched, a->string);
        if (!w)
            continue;
        double p50a = cJSON_GetArrayItem(a, 0)->valuedouble;
        double p50w = cJSON_GetArrayItem(w, 0)->valuedouble;
        double pct_a = cJSON_GetArrayItem(a, 1)->valuedouble;
        double pct_w = cJSON_GetArrayItem(w, 1)->valuedouble;
        print_message("  %-16s p50 %.1f -> %.1f ms, delivered %.1f -> %.1f%%\n", a->string, p50a,
                      p50w, pct_a, pct_w);
        assert_true(pct_w >= pct_a - 0.01 || pct_w >= 99.9);
        /* a polling lane's p50 is its poll's phase against the sends: it moves by itself */
        assert_true(fabs(p50w - p50a) < 5.0 + 0.25 * fmax(p50a, p50w));
        compared++;
    }
    assert_true(compared >= 8);
    cJSON_Delete(alone);
    cJSON_Delete(watched);
}

static void open_page(struct browser *b, const char *at, const char *path)
{
    char url[200];
    snprintf(url, sizeof url, "http://%s%s", at, path);
    browser_navigate(b, url);
    if (!browser_wait(b, "window.lessonPage && document.readyState === 'complete' &&"
                         " lessonPage.snapshot().lanes.length >= 8", WAIT_MS))
        lesson_fail_with_page(b, "the page never loaded");
}

/* The three lanes chosen, whole on the first screen, the controls above them. */
static void three_lanes_on_one_screen(struct browser *b, const char *lang, int w, int h)
{
    char expr[1024];
    snprintf(expr, sizeof expr,
             "(() => { const H = innerHeight, shown = [...document.querySelectorAll('#lanes"
             " .lane')].filter((e) => e.offsetParent !== null);"
             " const c = document.getElementById('controls').getBoundingClientRect();"
             " return innerWidth === %d && lessonPage.snapshot().lang === '%s' &&"
             " shown.length === 3 && shown.every((e) => e.getBoundingClientRect().bottom <= H)"
             " && c.bottom <= shown[0].getBoundingClientRect().top && c.top >= 0 &&"
             " lessonPage.shownLanes().join() === '" THREE "' && lessonPage.compact(); })()",
             w, lang);
    if (!browser_wait(b, expr, WAIT_MS)) {
        cJSON *r = browser_eval(b, "[...document.querySelectorAll('#lanes .lane')].filter((e) =>"
                                   " e.offsetParent !== null).map((e) => [e.dataset.lane,"
                                   " e.getBoundingClientRect().top, e.getBoundingClientRect()"
                                   ".bottom])");
        char *text = cJSON_PrintUnformatted(r);
        print_message("%dx%d: lanes shown %s\n", w, h, text);
        free(text);
        cJSON_Delete(r);
        lesson_fail_with_page(b, "three lanes were not on one screen");
    }
}

static void the_projector(const struct lesson *l, const char *dir)
{
    static const int sizes[][2] = {{1280, 720}, {1920, 1080}};
    for (size_t s = 0; s < 2; s++) {
        char sub[600];
        snprintf(sub, sizeof sub, "%s/p%zu", dir, s);
        mkdir(sub, 0700);
        struct browser *b = browser_open(sub, "about:blank", sizes[s][0], sizes[s][1]);
        for (size_t i = 0; i < (s ? 1 : 2); i++) {
            char path[80];
            snprintf(path, sizeof path, "/?lang=%s&lanes=" THREE "&compact=1", langs[i]);
            open_page(b, l->at, path);
            three_lanes_on_one_screen(b, langs[i], sizes[s][0], sizes[s][1]);
            cJSON *teacher = browser_eval(b, "document.getElementById('loss').offsetParent"
                                             " !== null && !lessonPage.viewer().view");
            assert_true(cJSON_IsTrue(teacher));
            cJSON_Delete(teacher);
            if (!s) {
                clock_sleep_ms(1500); /* strips drawn */
                char png[600];
                snprintf(png, sizeof png, "%s/projector-%s.png", dir, langs[i]);
                if (shots())
                    snprintf(png, sizeof png, "docs/lesson-projector-%s.png", langs[i]);
                print_message("the projector in %s: %ld bytes\n", langs[i],
                              browser_screenshot(b, png));
            }
        }
        if (!s) { /* the choice survives a reload, from the address */
            cJSON_Delete(browser_eval(b, "lessonPage.choose(new Set(['udp', 'tcp']))"));
            cJSON *url = browser_eval(b, "location.search");
            assert_non_null(strstr(cJSON_GetStringValue(url), "lanes=udp%2Ctcp"));
            cJSON_Delete(url);
            cJSON_Delete(browser_eval(b, "location.reload()"));
            clock_sleep_ms(500);
            assert_true(browser_wait(b, "window.lessonPage && lessonPage.shownLanes().join()"
                                        " === 'udp,tcp'", WAIT_MS));
        }
        browser_close(b);
    }
}

/* The small things: "1024" said in every language; the calls' sentences
 * that begin with a name begin with a capital; the handshake's time. */
static void small_things(const struct lesson *l, struct browser *b)
{
    for (size_t i = 0; i < 4; i++) {
        char path[40], expr[400];
        snprintf(path, sizeof path, "/?lang=%s", langs[i]);
        open_page(b, l->at, path);
        snprintf(expr, sizeof expr, "lessonPage.snapshot().lang === '%s' &&"
                 " document.getElementById('ports-key').textContent.includes('1024') &&"
                 " [...document.querySelectorAll('.lane .ends')].some((e) =>"
                 " e.textContent.includes('1024'))", langs[i]);
        if (!browser_wait(b, expr, WAIT_MS))
            lesson_fail_with_page(b, "the page never said 1024");
        const char *calls = "lessonPage.showCalls('tcp').then((c) => !c.error &&"
                            " c.handshake.some((h) => h.length) &&"
                            " [...document.querySelectorAll('#inspect p')].map((e) =>"
                            " e.textContent))";
        if (!browser_wait(b, calls, WAIT_MS)) {
            cJSON *box = browser_eval(b, "document.getElementById('inspect').innerHTML");
            print_message("the inspector: %.2000s\n", cJSON_GetStringValue(box));
            lesson_fail_with_page(b, "the TCP lane's calls never showed a handshake");
        }
        cJSON *paras = browser_eval(b, calls);
        const cJSON *p;
        int capitals = 0, dated = 0;
        cJSON *file = lesson_lang(langs[i]);
        char when[64];
        snprintf(when, sizeof when, "%.40s", lesson_word(file, "hs.when"));
        cJSON_ArrayForEach(p, paras) {
            const char *t = p->valuestring;
            capitals += t[0] >= 'a' && t[0] <= 'z' ? 0 : 1;
            assert_false(t[0] >= 'a' && t[0] <= 'z'); /* "pengirim, klien di": a capital */
            dated += strstr(t, when) != NULL;
        }
        if (capitals < 3 || dated < 1) {
            char *text = cJSON_PrintUnformatted(paras);
            fail_msg("%s: the calls' paragraphs: %s", langs[i], text);
        }
        cJSON_Delete(paras);
        cJSON_Delete(file);
    }
    cJSON *csv = browser_eval(b, "lessonPage.laneCsv('udp')");
    const char *text = cJSON_GetStringValue(csv);
    assert_non_null(text);
    assert_true(!strncmp(text, "seq,sender,send_ms,status,latency_ms", 36));
    assert_non_null(strstr(text, "\nfigure,value\n"));
    assert_non_null(strstr(text, "\ndelivered_pct,"));
    cJSON_Delete(csv);
}

/* The students' view: read-only, the docs' player's lane marked as the viewer's own;
 * kept, greyed, when it stops, until cleared. */
static void the_students_view(const struct lesson *l, const char *view, const char *dir)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/v", dir);
    mkdir(sub, 0700);
    struct browser *b = browser_open(sub, "about:blank", 1280, 720);
    open_page(b, view, "/?lang=en");
    struct spawn_proc udp, tcp;
    lesson_doc_players(l, b, dir, &udp, &tcp);
    static const char *const views[] = {"en", "ko"};
    for (size_t i = 0; i < 2; i++) {
        char path[80], expr[600];
        snprintf(path, sizeof path, "/?lang=%s&lanes=udp,tcp&compact=1", views[i]);
        open_page(b, view, path);
        snprintf(expr, sizeof expr,
                 "lessonPage.snapshot().lang === '%s' && lessonPage.viewer().view &&"
                 " document.getElementById('loss').offsetParent === null &&"
                 " document.getElementById('presets').offsetParent === null &&"
                 " document.getElementById('senders').offsetParent === null &&"
                 " document.getElementById('viewer').offsetParent !== null &&"
                 " lessonPage.guestLanes().filter((g) => g.mine && g.drawn > 5).length === 2 &&"
                 " lessonPage.snapshot().lanes.some((l) => l.figures && l.figures.valid)",
                 views[i]);
        if (!browser_wait(b, expr, WAIT_MS))
            lesson_fail_with_page(b, "the students' view was not read-only with its lanes marked");
        clock_sleep_ms(1000);
        char png[600];
        snprintf(png, sizeof png, "%s/view-%s.png", dir, views[i]);
        if (shots())
            snprintf(png, sizeof png, "docs/lesson-view-%s.png", views[i]);
        print_message("the students' view in %s: %ld bytes\n", views[i],
                      browser_screenshot(b, png));
    }
    /* the model as the page shows it stays the teacher's: setControls sends nothing */
    cJSON_Delete(browser_eval(b, "lessonPage.setControls({loss: 25})"));
    clock_sleep_ms(500);
    cJSON *m = get_json(l->at, "/model");
    cJSON *loss = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "in_force"), "path-loss");
    assert_true(cJSON_IsNumber(loss) && loss->valuedouble == 0);
    cJSON_Delete(m);
    assert_true(spawn_stop(&udp, SIGTERM, 5000) >= 0);
    assert_true(spawn_stop(&tcp, SIGTERM, 5000) >= 0);
    spawn_free(&udp);
    spawn_free(&tcp);
    /* the lesson lets them go 15 s after they went (a UDP program silent 30 s); the page
     * keeps them, greyed */
    if (!browser_wait(b, "lessonPage.snapshot().guests.length === 0 &&"
                         " lessonPage.guestLanes().filter((g) => g.kept).length === 2", 90000))
        lesson_fail_with_page(b, "the stopped programs' lanes were not kept");
    cJSON_Delete(browser_eval(b, "lessonPage.clearGone()"));
    assert_true(browser_wait(b, "lessonPage.guestLanes().length === 0", 5000));
    browser_close(b);
}

static void the_worksheet(const struct lesson *l, const char *dir)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/w", dir);
    mkdir(sub, 0700);
    struct browser *b = browser_open(sub, "about:blank", 1000, 1300);
    for (size_t i = 0; i < 4; i++) {
        char url[200], expr[200];
        snprintf(url, sizeof url, "http://%s/worksheet?lang=%s", l->at, langs[i]);
        browser_navigate(b, url);
        snprintf(expr, sizeof expr, "window.worksheet && worksheet.lang === '%s' &&"
                 " document.querySelectorAll('.answer').length === 10 &&"
                 " document.querySelectorAll('pre').length >= 1", langs[i]);
        if (!browser_wait(b, expr, 20000))
            browser_fail(b, "document.body.textContent", "the worksheet was not drawn");
        if (i == 0 || i == 3) {
            char png[600];
            snprintf(png, sizeof png, "%s/worksheet-%s.png", dir, langs[i]);
            if (shots())
                snprintf(png, sizeof png, "docs/lesson-worksheet-%s.png", langs[i]);
            print_message("the worksheet in %s: %ld bytes\n", langs[i], browser_screenshot(b, png));
        }
    }
    browser_close(b);
}

static void a_class_watches(void **state)
{
    (void)state;
    struct lesson l;
    char dir[] = "/tmp/ricochet-lesson-view-XXXXXX", view[64];
    const char *args[] = {"--port", "0", "--door-port", "0", "--view-address", "127.0.0.2",
                          "--view-port", "0", "--rate", "10", "--duration", "5", NULL};
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    servers_tmpdir(dir);
    view_at(&l, view, sizeof view);
    char *said = spawn_read_stderr(&l.proc);
    assert_non_null(strstr(said, "warning: the lesson's view is open to other machines"));
    free(said);
    struct browser *b = browser_open(dir, "about:blank", 1400, 1000);
    small_things(&l, b);
    browser_close(b);
    a_students_view_changes_nothing(&l, view);
    thirty_viewers_cost_nothing(&l, view);
    the_projector(&l, dir);
    the_students_view(&l, view, dir);
    the_worksheet(&l, dir);
    servers_remove_tree(dir);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_class_watches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
