/* test_e2e_lesson_guest.c: a program of the learner's own is a lane of the
 * lesson page, in headless Chromium: the Python players of docs/sockets.md
 * (taken from the page byte for byte), over plain UDP and over TCP, through
 * the lesson's door at 5% loss and 40 ms each way: each one's dot moves on its
 * arena (where the relay has it), its strip fills with its states (each at
 * its time to the relay, lost ones crossed), a state there clicked (paused)
 * opens the inspector on the bytes the program sent, seq and position
 * included, and netsim's word on its way up; the round trip of its pings
 * (ping to the relay's pong, as the door saw them) shown on its lane, at
 * least the path's delay; no key missing in any language */
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
#include "tests/support/servers.h"

#define WAIT_MS 60000

static const char *const langs[] = {"en", "id", "ko", "vi"};

/* The program's lane as the page draws it (lessonPage.guestLanes()), once
 * cond (a JS expression of l) holds; fails with the page if it never does. */
static cJSON *lane_when(struct browser *b, const char *name, const char *cond, const char *what)
{
    char expr[640];
    snprintf(expr, sizeof expr, "lessonPage.guestLanes().find((l) => l.name === '%s' && (%s))",
             name, cond);
    if (!browser_wait(b, expr, WAIT_MS))
        lesson_fail_with_page(b, what);
    return browser_eval(b, expr);
}

/* Where the lane's dot is drawn now (the interpolated one), as "x y". */
static void dot_at(struct browser *b, const char *name, char *out, size_t cap)
{
    cJSON *l = lane_when(b, name, "l.shown && l.shown.interp", "the program has no dot");
    const cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(l, "shown"),
                                                             "interp"), "x");
    const cJSON *q = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(l, "shown"),
                                                             "interp"), "y");
    snprintf(out, cap, "%.2f %.2f", p->valuedouble, q->valuedouble);
    cJSON_Delete(l);
}

/* Paused, a state of the lane's strip clicked; returns what the inspector
 * shows of it. Clicked again (three times at most) if the inspector does
 * not show it within 10 s: a page still laying out moves the strip from
 * under the point. */
static cJSON *click_state(struct browser *b, const char *name)
{
    char expr[640];
    bool shown = false;
    for (int tries = 0; tries < 3 && !shown; tries++) {
        /* paused, the inspector of an earlier click shut: it holds the window's bottom right */
        cJSON_Delete(browser_eval(b, "lessonPage.pause(true);"
                                     " document.getElementById('inspect').className = ''"));
        snprintf(expr, sizeof expr, "(() => { const l = lessonPage.guestLanes().find((x) =>"
                 " x.name === '%s'), q = l && l.points[Math.floor(l.points.length / 2)];"
                 " const p = q && lessonPage.guestPoint('%s', q.seq); if (!p) return 0;"
                 " document.elementFromPoint(p.x, p.y).dispatchEvent(new MouseEvent('click',"
                 " {clientX: p.x, clientY: p.y, bubbles: true})); return q.seq; })()", name,
                 name);
        double seq = browser_eval_number(b, expr);
        if (!(seq > 0))
            lesson_fail_with_page(b, "no state of the program drawn to click");
        snprintf(expr, sizeof expr, "lessonPage.inspected() && lessonPage.inspected().lane ==="
                 " '%s' && lessonPage.inspected().seq === %.0f", name, seq);
        shown = browser_wait(b, expr, 10000);
    }
    if (!shown)
        lesson_fail_with_page(b, "the inspector never showed the program's state");
    cJSON *in = browser_eval(b, "lessonPage.inspected()");
    cJSON_Delete(browser_eval(b, "lessonPage.pause(false)"));
    return in;
}

/* The value the inspector shows for field. */
static double field(const cJSON *in, const char *name)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(in, "rows"))
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "field")), name))
            return cJSON_GetObjectItem(r, "value")->valuedouble;
    fail_msg("the inspector shows no field %s", name);
    return 0;
}

/* One program's lane: its dot moving, its strip filling, a state clicked,
 * the round trip of its pings. */
static void a_program_is_a_lane(struct browser *b, const char *proto, int port)
{
    char name[64], cond[320], a[32], z[32];
    snprintf(name, sizeof name, "%s 127.0.0.1:%d", proto, port);
    cJSON_Delete(lane_when(b, name, "l.drawn >= 20", "the program's strip never filled"));
    dot_at(b, name, a, sizeof a);
    clock_sleep_ms(1000);
    dot_at(b, name, z, sizeof z);
    print_message("%s: its dot at %s, a second later at %s\n", name, a, z);
    assert_string_not_equal(a, z);
    cJSON *in = click_state(b, name);
    const cJSON *hop = cJSON_GetArrayItem(cJSON_GetObjectItem(in, "hops"), 0);
    print_message("%s: state %.0f, %s, x %.2f\n", name, field(in, "ricochet.state.seq"),
                  cJSON_GetStringValue(cJSON_GetObjectItem(in, "status")), field(in, "ricochet.state.x"));
    assert_true(field(in, "ricochet.state.seq") == cJSON_GetObjectItem(in, "seq")->valuedouble);
    assert_true(field(in, "ricochet.state.x") >= 20 && field(in, "ricochet.state.x") <= 80); /* the docs' circle */
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(hop, "dir")), "up");
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(hop, "flow")), "198.18."));
    cJSON_Delete(in);
    /* its pings' round trip: at least the path's delay (40 ms), on its lane */
    snprintf(cond, sizeof cond, "lessonPage.snapshot().guests.find((g) => g.proto + ' ' +"
             " g.endpoint === '%s' && g.rtt && g.rtt.n >= 2)", name);
    if (!browser_wait(b, cond, WAIT_MS))
        lesson_fail_with_page(b, "the program's pings were never timed");
    cJSON *g = browser_eval(b, cond);
    double rtt = cJSON_GetObjectItem(cJSON_GetObjectItem(g, "rtt"), "p50_ms")->valuedouble;
    print_message("%s: round trip p50 %.1f ms\n", name, rtt);
    assert_true(rtt >= 35 && rtt < 5000);
    cJSON_Delete(g);
    snprintf(cond, sizeof cond, "[...document.querySelectorAll('#guests .guest')].some((c) =>"
             " c.dataset.guest === '%s' && c.textContent.includes('pong: p50 '))", name);
    if (!browser_wait(b, cond, 10000))
        lesson_fail_with_page(b, "the program's round trip is not on its lane");
}

static void programs_are_lanes(void **state)
{
    (void)state;
    struct lesson l;
    char dir[] = "/tmp/ricochet-lesson-guest-XXXXXX";
    const char *args[] = {"--port", "0", "--door-port", "0", "--rate", "10", "--duration", "5",
                          "--path-loss", "5", "--path-delay", "40", NULL};
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    servers_tmpdir(dir);
    struct browser *b = browser_open(dir, l.url, 1500, 1200);
    struct spawn_proc udp, tcp;
    lesson_doc_players(&l, b, dir, &udp, &tcp);
    a_program_is_a_lane(b, "udp", lesson_player_port(&udp));
    a_program_is_a_lane(b, "tcp", lesson_player_port(&tcp));
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) { /* every word in each */
        char path[128], expr[200];
        snprintf(path, sizeof path, "http://%s/?lang=%s", l.at, langs[i]);
        browser_navigate(b, path);
        snprintf(expr, sizeof expr, "window.lessonPage && lessonPage.snapshot().lang === '%s' &&"
                 " lessonPage.guestLanes().filter((l) => l.drawn > 0).length >= 2", langs[i]);
        if (!browser_wait(b, expr, WAIT_MS))
            lesson_fail_with_page(b, "the programs' lanes were not drawn");
        cJSON *missing = browser_eval(b, "lessonPage.snapshot().missing");
        if (cJSON_GetArraySize(missing) != 0)
            fail_msg("%s: keys missing: %s", langs[i], cJSON_PrintUnformatted(missing));
        cJSON_Delete(missing);
    }
    assert_int_equal(spawn_stop(&udp, SIGTERM, 5000) >= 0, 1);
    assert_int_equal(spawn_stop(&tcp, SIGTERM, 5000) >= 0, 1);
    spawn_free(&udp);
    spawn_free(&tcp);
    lesson_end(&l, b, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(programs_are_lanes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
