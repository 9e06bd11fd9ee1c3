/* test_e2e_lesson_page.c: the lesson page in headless Chromium shows the model
 * in force, in each of its languages, and follows a change made elsewhere. */
/* The lesson page in headless Chromium shows the model
 * in force: `ricochet-lesson --path-loss 5 --path-delay 40` opened shows 5% and
 * 40 ms, a page opened after a `PUT /model` of every control shows each
 * (sliders, bursts, reordering, both rates), an open page follows a change made
 * elsewhere (the delay alone: the loss goes, the rates netsim keeps stay), the
 * saturated uplink's preset at 80% of what the lanes send up with no rate
 * holding them, the same when pressed again under a rate; the
 * page in English, Indonesian, Korean and Vietnamese (`?lang=`): each file's
 * title, steps (open, each with its question), presets and labels on it and no key missing once the lanes are
 * drawn, the lesson's own sentences (the status line) in its words and none
 * left in English, its guide linked and served (`/guide/LANG`)
 * (`RICOCHET_SHOT_UPDATE=1`: each into `docs/lesson-page-LANG.png`); the
 * browser's languages choose the first the page speaks; the switch
 * changes the words and is kept for the next visit; the senders menu at 4 draws
 * four dots in every running lane, and paused (`lessonPage.pauseAt`) just
 * before a state dropped by netsim's paired loss came again, and read once
 * the lanes have gone on 16 s past that moment (a paused page keeps what it
 * shows), the TCP lane's four dots are all at states the relay sent before
 * it (netsim's order, not the send stamps a busy machine can reorder) and
 * the QUIC lane of a stream per sender's one (`RICOCHET_SHOT_UPDATE=1`: into `docs/lesson-four-senders.png`);
 * the Python players of docs/sockets.md (taken from the page byte for byte) run
 * against the door the lesson prints, over UDP and over TCP, each appear as a
 * lane labelled with its endpoint (its ephemeral port, the door it sent to,
 * the lesson's socket, the relay's address), its name, id and room and its figures (netsim's carried and dropped
 * within ten of the states sent, the round trip of its pings), each seeing the
 * other's states; garbage gets a line: `hello` over UDP the relay's silence
 * with its bytes, 80 bytes of `x` (again until answered: netsim loses 10%)
 * its `not_joined` (what the code means in
 * the page's language, and the relay's own words), `hello` on a stream its
 * `too_big`; no key missing in any language with the programs' lanes drawn; a
 * screenshot (`RICOCHET_SHOT_UPDATE=1`: into `docs/lesson-own-program.png`) */

/* tests/run: alone (its paired loss is a moment between two resends, and
 * which dots it froze a timing a neighbour's load moves) */
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

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/servers.h"

#define WAIT_MS 60000
#define PAGE_KEEPS_MS 15000 /* what the page keeps running: its strip (10 s) and trail (5 s) */

static const char *const langs[] = {"en", "id", "ko", "vi"};

/* ricochet-lesson as the test starts it: 5% loss and 40 ms end to end. */
static const char *const lesson_args[] = {"--port", "0", "--door-port", "0", "--rate", "10",
                                          "--duration", "5", "--path-loss", "5", "--path-delay",
                                          "40", NULL};

/* GET /model's in_force, once netsim has said it. */
static cJSON *in_force(const struct lesson *l)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        cJSON *j = lesson_get_json(l, "/model");
        cJSON *f = j ? cJSON_DetachItemFromObject(j, "in_force") : NULL;
        cJSON_Delete(j);
        if (cJSON_IsObject(f))
            return f;
        cJSON_Delete(f);
        clock_sleep_ms(200);
    }
    fail_msg("GET /model never said the model in force");
    return NULL;
}

/* PUT /model of body, again while netsim starts again (a lane's client
 * lost on a loaded host starts every lane and netsim anew: 502, 503). */
static void put_model(const struct lesson *l, const char *body)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    for (;;) {
        struct http_response r;
        assert_int_equal(http_send(l->at, "PUT", "/model", body, 10000, &r), 0);
        int status = r.status;
        if (status != 200 && (status < 502 || clock_now_ms() > deadline))
            fail_msg("PUT /model %s: %d %s", body, status, r.body);
        http_response_free(&r);
        if (status == 200)
            return;
        clock_sleep_ms(250);
    }
}

/* Loads the lesson's path anew and waits for the page. */
static void open_page(struct browser *b, const struct lesson *l, const char *path)
{
    char url[160];
    snprintf(url, sizeof url, "http://%s%s", l->at, path);
    browser_navigate(b, url);
    if (!browser_wait(b, "window.lessonPage && document.readyState === 'complete'", WAIT_MS))
        lesson_fail_with_page(b, "the page never loaded");
}

/* Waits until the page's controls are want (a JS object literal). */
static void controls_are(struct browser *b, const char *want, const char *what)
{
    char expr[512];
    snprintf(expr, sizeof expr, "(() => { const c = lessonPage.snapshot().controls, w = %s;"
             " return Object.keys(w).every((k) => c[k] === w[k]); })()", want);
    if (!browser_wait(b, expr, 10000)) {
        cJSON *c = browser_eval(b, "lessonPage.snapshot().controls");
        char *text = cJSON_PrintUnformatted(c);
        print_message("controls %s, want %s\n", text, want);
        free(text);
        cJSON_Delete(c);
        lesson_fail_with_page(b, what);
    }
}

/* What the lanes send up now (live.json's offered_kbps). */
static double offered_up(const struct lesson *l)
{
    cJSON *live = lesson_get_json(l, "/live.json?since=18446744073709551615");
    double offered = cJSON_GetNumberValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(live, "offered_kbps"), "up"));
    cJSON_Delete(live);
    return offered;
}

/* Clicks the saturated uplink's preset and waits until the uplink has a
 * rate in force (kbit/s); returns it. */
static double click_saturated(struct browser *b, const struct lesson *l)
{
    cJSON_Delete(browser_eval(b, "document.querySelector('#presets"
                                 " button[data-i18n=\"preset.uplink\"]').click()"));
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    for (;;) {
        cJSON *f = in_force(l);
        double up = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "up-rate-kbps"));
        cJSON_Delete(f);
        if (up > 0)
            return up;
        if (clock_now_ms() > deadline)
            lesson_fail_with_page(b, "the saturated uplink's preset never narrowed the uplink");
        clock_sleep_ms(250);
    }
}

/* The saturated uplink's preset narrows the uplink to 80% of what the
 * lanes send up (netsim's kbit/s in, live.json's offered_kbps) while no
 * rate holds them: in force in whole steps of 8 kbit/s, and the page's
 * rate menu at it. Pressed again under its own rate, it stays: the share
 * is of what the lanes send unheld, not of what the narrowed link lets
 * by. */
static void the_saturated_uplink_follows_the_lanes(struct browser *b, const struct lesson *l)
{
    clock_sleep_ms(5000); /* the lanes' intake measured with no rate (3 s) since the reset */
    double offered = offered_up(l), up = click_saturated(b, l);
    print_message("the saturated uplink: %.0f kbit/s in force, the lanes sent %.0f up\n", up,
                  offered);
    assert_true(fmod(up, 8) == 0);
    assert_true(up >= 0.64 * offered && up <= 0.96 * offered); /* 0.8, of what moves a little */
    char want[64];
    snprintf(want, sizeof want, "{up: %.0f, down: 0, delay: 20, loss: 0}", up);
    controls_are(b, want, "the rate menu never showed the saturated uplink's rate");
    clock_sleep_ms(5000); /* under its own rate a whole measure: what it lets by is less */
    double let_by = offered_up(l);
    cJSON_Delete(browser_eval(b, "lessonPage.preset('preset.uplink').then(() => 1)"));
    cJSON *f = in_force(l);
    double again = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "up-rate-kbps"));
    cJSON_Delete(f);
    print_message("pressed again under its rate: %.0f kbit/s, the narrowed link let %.0f by\n",
                  again, let_by);
    assert_true(again >= 0.85 * up && again <= 1.15 * up);
}

/* The model in force, at load and followed. */
static void the_model_in_force(struct browser *b, const struct lesson *l)
{
    cJSON *f = in_force(l);
    assert_true(cJSON_GetObjectItem(f, "path-loss")->valuedouble == 5);
    assert_true(cJSON_GetObjectItem(f, "path-delay")->valuedouble == 40);
    cJSON_Delete(f);
    open_page(b, l, "/");
    controls_are(b, "{loss: 5, delay: 40, jitter: 0, burst: 0, up: 0, down: 0}",
                 "a page opened after the start shows its defaults");
    put_model(l, "{\"path-loss\": 2, \"burst-length\": 3, \"path-delay\": 60, \"path-jitter\":"
                 " 10, \"reorder\": false, \"up-rate-kbps\": 512, \"down-rate-kbps\": 1024}");
    open_page(b, l, "/");
    controls_are(b, "{loss: 2, burst: 3, delay: 60, jitter: 10, reorder: false, up: 512,"
                    " down: 1024}", "a page opened after a PUT /model does not show it");
    cJSON *out = browser_eval(b, "document.querySelector('output[for=delay]').textContent");
    assert_string_equal(out->valuestring, "60 ms");
    cJSON_Delete(out);
    put_model(l, "{\"path-delay\": 80}");
    controls_are(b, "{loss: 0, burst: 0, delay: 80, jitter: 0, up: 512, down: 1024}",
                 "an open page never followed a change made elsewhere");
    print_message("the page shows the model in force: at the start, after a PUT, and after a"
                  " change made while it is open\n");
    put_model(l, "{\"path-loss\": 0, \"path-delay\": 0, \"up-rate-kbps\": 0,"
                 " \"down-rate-kbps\": 0}"); /* a clear network: the lanes run on */
    controls_are(b, "{loss: 0, delay: 0, up: 0, down: 0}", "the page never followed the reset");
    the_saturated_uplink_follows_the_lanes(b, l);
    put_model(l, "{\"path-delay\": 0, \"up-rate-kbps\": 0}");
    controls_are(b, "{delay: 0, up: 0}", "the page never followed the reset");
}



/* The text of the page's element at selector is want. */
static void says(struct browser *b, const char *selector, const char *want)
{
    char expr[256];
    snprintf(expr, sizeof expr, "document.querySelector('%s').textContent", selector);
    cJSON *got = browser_eval(b, expr);
    if (!cJSON_IsString(got) || strcmp(got->valuestring, want) != 0)
        fail_msg("%s says \"%s\", not \"%s\"", selector,
                 cJSON_IsString(got) ? got->valuestring : "-", want);
    cJSON_Delete(got);
}

/* The HTTP polling lanes, where the lesson runs them (IP mode): each
 * drawn under its title in lang with what asking costs, in lang's words
 * (the text of fig.ask before its first figure). */
static void asks_in(struct browser *b, const cJSON *file, const char *lang)
{
    static const char *const lanes[] = {"poll-long", "poll-short"};
    char expr[640], key[32], ask[64];
    const char *w = lesson_word(file, "fig.ask");
    snprintf(ask, sizeof ask, "%.*s", (int)strcspn(w, "{"), w);
    for (size_t i = 0; i < 2; i++) {
        snprintf(key, sizeof key, "lane.%s", lanes[i]);
        snprintf(expr, sizeof expr,
                 "(() => { const l = lessonPage.snapshot().lanes.find((x) => x.name === '%s');"
                 " if (!l || l.state === 'missing') return true;"
                 " if (!l.figures || !l.figures.valid) return false;"
                 " const e = [...document.querySelectorAll('#lanes .lane')].find((x) =>"
                 " x.querySelector('h2').textContent === '%s');"
                 " return !!e && e.querySelector('.figs').textContent.includes('%s'); })()",
                 lanes[i], lesson_word(file, key), ask);
        if (!browser_wait(b, expr, WAIT_MS))
            lesson_fail_with_page(b, "a polling lane never said what asking costs");
        print_message("  %s: %s, \"%s...\"\n", lang, lesson_word(file, key), ask);
    }
}

/* What the lesson says of itself in lang: the status line (the relay
 * running) in lang's words and no sentence of the lesson's left in English;
 * the page's link to lang's guide (docs/sockets.LANG.md) brings it. */
static void says_its_own(struct browser *b, const cJSON *file, const char *lang)
{
    char expr[512];
    snprintf(expr, sizeof expr, "document.getElementById('status').textContent.includes('%s')",
             lesson_word(file, "srv.running"));
    if (!browser_wait(b, expr, WAIT_MS))
        lesson_fail_with_page(b, "the status line never said the relay runs in its language");
    cJSON *left = browser_eval(b, "lessonPage.snapshot().untranslated");
    if (cJSON_GetArraySize(left) != 0) {
        char *text = cJSON_PrintUnformatted(left);
        fail_msg("%s: the lesson's sentences left in English: %s", lang, text);
    }
    cJSON_Delete(left);
    if (!strcmp(lang, "en"))
        return; /* English's guide is docs/sockets.md, not served */
    char path[64];
    snprintf(path, sizeof path, "docs/sockets.%s.md", lang);
    char *guide = harness_read_text(path);
    assert_non_null(guide);
    cJSON *got = browser_eval(b, "fetch(document.getElementById('guide').href)"
                                 ".then((r) => r.ok ? r.text() : 'HTTP ' + r.status)");
    if (!cJSON_IsString(got) || strcmp(got->valuestring, guide) != 0)
        fail_msg("%s: the page's guide link brings \"%.60s\", not %s", lang,
                 cJSON_IsString(got) ? got->valuestring : "-", path);
    cJSON_Delete(got);
    free(guide);
}

/* The page in lang: its words, and none missing once the lanes are drawn
 * with their figures. */
static void speaks(struct browser *b, const char *lang)
{
    cJSON *file = lesson_lang(lang);
    char expr[256];
    snprintf(expr, sizeof expr, "lessonPage.snapshot().lang === '%s' &&"
             " document.documentElement.lang === '%s' && lessonPage.snapshot().lanes.length >= 11"
             " && lessonPage.snapshot().lanes.some((l) => l.figures && l.figures.valid)", lang,
             lang);
    if (!browser_wait(b, expr, WAIT_MS)) {
        cJSON *was = browser_eval(b, "(() => { const s = lessonPage.snapshot(); return"
                                     " [s.lang, document.documentElement.lang, s.lanes.length,"
                                     " s.lanes.filter((l) => l.figures && l.figures.valid).length,"
                                     " s.generation, s.status && s.status.incident]; })()");
        char *text = cJSON_PrintUnformatted(was);
        print_message("language, the page's lang, lanes, lanes with figures, generation, "
                      "incident: %s\n", text);
        free(text);
        cJSON_Delete(was);
        lesson_fail_with_page(b, "the page never spoke its language");
    }
    clock_sleep_ms(500); /* frames drawn in it */
    says(b, "h1", lesson_word(file, "title"));
    says(b, "#walk summary", lesson_word(file, "walk.title"));
    says(b, "#walk li:nth-child(6) span", lesson_word(file, "walk.6"));
    says(b, "#walk li:nth-child(6) .ask", lesson_word(file, "walk.6.ask"));
    cJSON *walk_open = browser_eval(b, "document.getElementById('walk').open");
    assert_true(cJSON_IsTrue(walk_open)); /* the steps open, not folded shut */
    cJSON_Delete(walk_open);
    says(b, "#presets button[data-i18n=\"preset.loss2\"]", lesson_word(file, "preset.loss2"));
    says(b, "label:has(#burst) span", lesson_word(file, "ctl.bursts"));
    asks_in(b, file, lang);
    cJSON *missing = browser_eval(b, "lessonPage.snapshot().missing");
    if (cJSON_GetArraySize(missing) != 0) {
        char *text = cJSON_PrintUnformatted(missing);
        fail_msg("%s: keys missing: %s", lang, text);
    }
    cJSON_Delete(missing);
    says_its_own(b, file, lang);
    if (getenv("RICOCHET_SHOT_UPDATE") && !strcmp(getenv("RICOCHET_SHOT_UPDATE"), "1")) {
        char png[64];
        snprintf(png, sizeof png, "docs/lesson-page-%s.png", lang);
        browser_screenshot(b, png);
    }
    print_message("the page in %s: \"%s\"\n", lang, lesson_word(file, "title"));
    cJSON_Delete(file);
}

/* Chosen from the browser's languages; the switch; kept. */
static void the_languages(struct browser *b, const struct lesson *l)
{
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        char path[32];
        snprintf(path, sizeof path, "/?lang=%s", langs[i]);
        open_page(b, l, path);
        speaks(b, langs[i]);
    }
    static const char *const choices[][2] = {
        {"['ko-KR', 'en-US']", "ko"}, {"['fr-FR', 'vi']", "vi"}, {"['id-ID', 'id']", "id"},
        {"['fr', 'de']", "en"}, {"[]", "en"}};
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        char expr[128];
        snprintf(expr, sizeof expr, "lessonPage.pickLang(%s)", choices[i][0]);
        cJSON *got = browser_eval(b, expr);
        assert_string_equal(got->valuestring, choices[i][1]);
        cJSON_Delete(got);
    }
    open_page(b, l, "/");
    if (!browser_wait(b, "lessonPage.snapshot().lang === lessonPage.pickLang(navigator.languages)",
                      5000))
        lesson_fail_with_page(b, "the browser's language was not the page's");
    cJSON_Delete(browser_eval(b, "(() => { const s = document.getElementById('lang');"
                                 " s.value = 'vi'; s.dispatchEvent(new Event('change')); })()"));
    speaks(b, "vi");
    open_page(b, l, "/");
    speaks(b, "vi"); /* the reader's choice, kept */
}

/* The senders menu at 4 (the loss off first: 85 clients join): every
 * running lane draws four senders' dots, and no word is missing. */
static void four_senders_on_the_page(struct browser *b, const struct lesson *l)
{
    put_model(l, "{\"path-loss\": 0}");
    cJSON_Delete(browser_eval(b, "(() => { const s = document.getElementById('senders');"
                                 " s.value = '4'; s.dispatchEvent(new Event('change')); })()"));
    const char *drawn = "(() => { const s = lessonPage.snapshot(), run = s.lanes.filter((l) =>"
                        " l.state === 'running'); return s.senders === 4 && run.length >= 11 &&"
                        " run.every((l) => l.senders === 4 && l.shown && l.shown.senders &&"
                        " l.shown.senders.filter((d) => d.raw).length === 4); })()";
    if (!browser_wait(b, drawn, 2 * WAIT_MS))
        lesson_fail_with_page(b, "the lanes never drew four senders");
    cJSON *file = lesson_lang("vi");
    says(b, "label:has(#senders) span", lesson_word(file, "ctl.senders"));
    says(b, "[data-i18n=\"senders.key\"]", lesson_word(file, "senders.key"));
    cJSON_Delete(file);
    cJSON *missing = browser_eval(b, "lessonPage.snapshot().missing");
    assert_int_equal(cJSON_GetArraySize(missing), 0);
    cJSON_Delete(missing);
    print_message("four senders on the page: every running lane draws four dots\n");
}

/* A state x of one sender whose first copy netsim's paired loss dropped on
 * the way down in both the TCP lane and the QUIC lane of a stream per
 * sender, each copy resent and come, and a moment before either copy came
 * late enough for the others' next states to have come over QUIC (checked
 * below: held 80 ms at least, twice the 40 ms path, as a resent copy is;
 * on a quiet machine TCP and QUIC resend within 100 ms):
 * {sender, seq, t, at, tcp, quic} (the lesson's ms; tcp and quic: when netsim
 * first saw x on each lane's downlink), the newest such x; or, when none
 * is, {none: [...]}: how many of the TCP lane's states passed each step
 * (lost first on the way down; its QUIC copy too, both come and seen by
 * netsim; held 80 ms and before the lanes' last second; every other
 * sender's QUIC dot moved on by then), for a failure to say which step
 * none passed. Order is what netsim saw the relay send, not the send ms:
 * on a busy machine a sender's state can leave after another's stamped
 * later. Another sender's dot moved on when one of its states netsim saw
 * after x's QUIC copy came before the moment: its stream holds nothing
 * behind x's, so the dot shows that state or a newer one. */
#define FIND_PAIRED_LOSS                                                                      \
    "(() => { const tcp = lessonPage.marks('tcp'), q = lessonPage.marks('quic-streams');"      \
    " const key = (m) => m.sender + ':' + m.seq, inQ = new Map(q.map((m) => [key(m), m]));"   \
    " const came = (ms) => Math.max(...ms.filter((m) => m.recv !== null).map((m) => m.recv));" \
    " const known = Math.min(came(tcp), came(q)) - 1000, none = [0, 0, 0, 0];"                 \
    " for (const x of tcp.reverse()) {"                                                        \
    "  if (!x.firstLost || x.up) continue; none[0]++; const y = inQ.get(key(x));"              \
    "  if (!y || !y.firstLost || y.up || x.status !== 'arrived' || y.status !== 'arrived' ||"  \
    "      x.seen === null || y.seen === null) continue; none[1]++;"                           \
    "  const at = Math.min(x.recv, y.recv) - 1;"                                               \
    "  if (at - x.t < 80 || at > known) continue; none[2]++;"                                  \
    "  const others = [0, 1, 2, 3].filter((k) => k !== x.sender).every((k) =>"                \
    "   q.some((m) => m.sender === k && m.seen !== null && m.seen > y.seen &&"                 \
    "               m.recv !== null && m.recv < at));"                                         \
    "  if (others) return { sender: x.sender, seq: x.seq, t: x.t, at, tcp: x.seen,"           \
    "                       quic: y.seen };"                                                   \
    "  none[3]++; }"                                                                           \
    " return { none }; })()"

/* How many of lane's four dots, drawn at `at`, are frozen behind the lost
 * state (sender's seq, its first copy seen by netsim on the downlink at
 * `seen`): its own sender's dot shows an older state of that sender, another
 * sender's one netsim saw no later than `seen` (-1 until the lane is drawn
 * at `at` and netsim's word on each dot's state is on the page). The lost
 * sender's dot is judged by order, not by time: a state before the lost one
 * that left in the same packet, both lost, both resent, was seen when the
 * lost one was and may come first. What each dot shows is printed. */
static int frozen_dots(struct browser *b, const char *lane, double at, double seen, int sender,
                       int seq)
{
    char expr[1200];
    snprintf(expr, sizeof expr,
             "(() => { const l = lessonPage.snapshot().lanes.find((x) => x.name === '%s');"
             " if (!l.shown || Math.abs(l.shown.at - %.3f) > 0.01) return null;"
             " const ms = new Map(lessonPage.marks('%s').map((m) => [m.sender + ':' + m.seq, m]));"
             " const of = l.shown.senders.map((d, k) => d.raw && ms.get(k + ':' + d.raw.seq));"
             " if (of.some((m) => m && m.seen === null)) return null;"
             " const frozen = of.map((m, k) => !m || (k === %d ? m.seq < %d : m.seen <= %.3f));"
             " return { n: frozen.filter((f) => f).length, dots: of.map((m, k) => m ?"
             " `${k + 1}: ${m.seq} seen ${m.seen} came ${m.recv}${frozen[k] ? ' frozen' : ''}`"
             " : `${k + 1}: none`).join(', ') }; })()",
             lane, at, lane, sender, seq, seen);
    uint64_t deadline = clock_now_ms() + 5000;
    cJSON *got = NULL;
    while (!cJSON_IsObject(got) && clock_now_ms() < deadline) {
        cJSON_Delete(got);
        got = browser_eval(b, expr);
        if (!cJSON_IsObject(got))
            clock_sleep_ms(50);
    }
    int n = -1;
    if (cJSON_IsObject(got)) {
        n = cJSON_GetObjectItemCaseSensitive(got, "n")->valueint;
        print_message("%s at %.0f, behind %d's %d seen %.1f: %s\n", lane, at, sender + 1, seq,
                      seen, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(got, "dots")));
    }
    cJSON_Delete(got);
    return n;
}

/* A paired loss on the four-sender page, paused just before the lost
 * state's resent copy came: in the TCP lane every sender's dot is frozen
 * behind it, in the QUIC lane of a stream per sender only its sender's.
 * With RICOCHET_SHOT_UPDATE=1 that moment goes to
 * docs/lesson-four-senders.png. */
static void a_paired_loss_freezes(struct browser *b, const struct lesson *l, const char *dir)
{
    put_model(l, "{\"path-loss\": 5, \"path-delay\": 40}");
    cJSON *x = NULL;
    uint64_t deadline = clock_now_ms() + 2 * WAIT_MS;
    int passed[4] = {0}; /* the most states each step of the search passed at once */
    while (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "at")) &&
           clock_now_ms() < deadline) {
        cJSON_Delete(x);
        clock_sleep_ms(500);
        x = browser_eval(b, FIND_PAIRED_LOSS);
        cJSON *none = cJSON_GetObjectItemCaseSensitive(x, "none");
        for (int i = 0; i < 4 && cJSON_GetArraySize(none) == 4; i++) {
            int n = cJSON_GetArrayItem(none, i)->valueint;
            passed[i] = n > passed[i] ? n : passed[i];
        }
    }
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "at"))) {
        print_message("the TCP lane's states at most: lost first on the way down %d, its QUIC "
                      "copy too and both come %d, held 80 ms %d, not every other dot moved on "
                      "%d\n", passed[0], passed[1], passed[2], passed[3]);
        lesson_fail_with_page(b, "no state lost in both the TCP and the QUIC lane came");
    }
    double t = cJSON_GetObjectItemCaseSensitive(x, "t")->valuedouble;
    double at = cJSON_GetObjectItemCaseSensitive(x, "at")->valuedouble;
    int sender = cJSON_GetObjectItemCaseSensitive(x, "sender")->valueint;
    int seq = cJSON_GetObjectItemCaseSensitive(x, "seq")->valueint;
    double seen_tcp = cJSON_GetObjectItemCaseSensitive(x, "tcp")->valuedouble;
    double seen_quic = cJSON_GetObjectItemCaseSensitive(x, "quic")->valuedouble;
    cJSON_Delete(x);
    char expr[160];
    snprintf(expr, sizeof expr, "lessonPage.pauseAt(%.3f)", at);
    cJSON_Delete(browser_eval(b, expr));
    /* the moment stays while the reader looks: read once the page has gone on past the
       states it keeps running (the strip and the trail, 15 s) */
    snprintf(expr, sizeof expr, "Math.max(...lessonPage.marks('tcp').map((m) => m.t)) > %.3f",
             at + PAGE_KEEPS_MS + 1000);
    if (!browser_wait(b, expr, WAIT_MS))
        lesson_fail_with_page(b, "the lanes never went on past the paused moment");
    int tcp = frozen_dots(b, "tcp", at, seen_tcp, sender, seq);
    int quic = frozen_dots(b, "quic-streams", at, seen_quic, sender, seq);
    print_message("a paired loss of sender %d's state, %.0f ms after it was sent, paused and "
                  "read %d s on: frozen dots, tcp %d of 4, quic-streams %d of 4\n", sender + 1,
                  at - t, PAGE_KEEPS_MS / 1000 + 1, tcp, quic);
    /* The picture: in English, the one-stream lanes beside the per-sender one and
     * QUIC's datagrams, the others hidden. */
    cJSON_Delete(browser_eval(b, "lessonPage.setLang('en')"));
    if (!browser_wait(b, "lessonPage.snapshot().lang === 'en'", 10000))
        lesson_fail_with_page(b, "the page never spoke English again");
    cJSON_Delete(browser_eval(b, "document.querySelectorAll('.lane').forEach((el) => {"
                                 " el.style.display = ['tcp', 'quic-reliable', 'quic-streams',"
                                 " 'quic'].includes(el.dataset.lane) ? '' : 'none'; })"));
    clock_sleep_ms(300); /* a frame or two */
    bool update = getenv("RICOCHET_SHOT_UPDATE") && !strcmp(getenv("RICOCHET_SHOT_UPDATE"), "1");
    char png[160];
    snprintf(png, sizeof png, "%s/four.png", dir);
    browser_screenshot(b, update ? "docs/lesson-four-senders.png" : png);
    cJSON_Delete(browser_eval(b, "lessonPage.pause(false)"));
    assert_int_equal(tcp, 4);
    assert_int_equal(quic, 1);
}

static void the_page_in_force_and_in_four_languages(void **state)
{
    (void)state;
    struct lesson l;
    char dir[] = "/tmp/ricochet-lesson-page-XXXXXX";
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", lesson_args);
    servers_tmpdir(dir);
    struct browser *b = browser_open(dir, l.url, 1500, 1200);
    if (!browser_wait(b, "window.lessonPage", WAIT_MS))
        lesson_fail_with_page(b, "the page never loaded");
    the_model_in_force(b, &l);
    the_languages(b, &l);
    four_senders_on_the_page(b, &l);
    a_paired_loss_freezes(b, &l, dir);
    lesson_end(&l, b, dir);
}

/* The players running through the door, for a failure to say how each
 * ended (NULL: none). */
static struct spawn_proc *players[2];

/* What each player said last, on standard output and standard error. */
static void players_said(void)
{
    for (size_t i = 0; i < 2 && players[i]; i++) {
        char *out = spawn_read_stdout(players[i]), *err = spawn_read_stderr(players[i]);
        size_t n = out ? strlen(out) : 0;
        print_message("player %zu (%s): ...%s%s\n", i + 1,
                      spawn_running(players[i]) ? "running" : "ended",
                      out ? out + (n > 300 ? n - 300 : 0) : "", err ? err : "");
        free(out);
        free(err);
    }
}

/* Waits for a program's card whose text has every one of want (NULL
 * ended), or fails with the page. */
static void card_says(struct browser *b, const char *const *want, const char *what)
{
    char expr[1024];
    size_t n = (size_t)snprintf(expr, sizeof expr, "[...document.querySelectorAll("
                                "'#guests .guest')].some((c) => [");
    for (size_t i = 0; want[i]; i++)
        n += (size_t)snprintf(expr + n, sizeof expr - n, "%s`%s`", i ? "," : "", want[i]);
    snprintf(expr + n, sizeof expr - n, "].every((w) => c.textContent.includes(w)))");
    if (!browser_wait(b, expr, WAIT_MS)) {
        cJSON *cards = browser_eval(b, "[...document.querySelectorAll('#guests .guest')]"
                                       ".map((c) => c.textContent)");
        char *text = cJSON_PrintUnformatted(cards);
        print_message("the cards: %s\n", text);
        free(text);
        cJSON_Delete(cards);
        /* what the page was told of the guests and why lanes started again, whole: the
           page's own dump below is cut short */
        cJSON *said = browser_eval(b, "(() => { const s = lessonPage.snapshot(); return {"
                                      " incident: s.status && s.status.incident,"
                                      " door: s.door, guests: s.guests }; })()");
        text = cJSON_PrintUnformatted(said);
        print_message("the guests: %s\n", text);
        free(text);
        cJSON_Delete(said);
        players_said();
        lesson_fail_with_page(b, what);
    }
}

/* A few bytes to the door from a socket of their own (python3 -c), sent
 * again until answered, tries times at most: netsim loses 10% of the path,
 * a datagram or its answer. */
static void send_garbage(const char *kind, int port, const char *bytes, int tries)
{
    char code[640], err[256];
    struct spawn_proc p;
    snprintf(code, sizeof code, "import socket, time\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_%s)\n"
             "s.connect(('127.0.0.1', %d))\n"
             "s.settimeout(0.5)\n"
             "for _ in range(%d):\n"
             "    s.send(%s)\n"
             "    try:\n"
             "        s.recv(2048)\n"
             "        break\n"
             "    except OSError:\n"
             "        pass\n"
             "time.sleep(2)\n", kind, port, tries, bytes);
    const char *args[] = {"-c", code, NULL};
    assert_int_equal(spawn_start(&p, "/usr/bin", "python3", args, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&p, 0, 15000), 0);
    spawn_free(&p);
}

static void programs_of_ones_own(void **state)
{
    (void)state;
    struct lesson l;
    char dir[] = "/tmp/ricochet-lesson-own-XXXXXX";
    const char *args[] = {"--port", "0", "--door-port", "0", "--rate", "10", "--duration", "5",
                          "--path-loss", "10", NULL};
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    servers_tmpdir(dir);
    struct browser *b = browser_open(dir, l.url, 1500, 1200);
    struct spawn_proc udp, tcp;
    int door = lesson_doc_players(&l, b, dir, &udp, &tcp); /* stopped at the end */
    players[0] = &udp;
    players[1] = &tcp;
    char endpoint[2][96];
    int ports[2] = {lesson_player_port(&udp), lesson_player_port(&tcp)};
    for (int i = 0; i < 2; i++) /* its port's kind, and the door it sent to, with its own */
        snprintf(endpoint[i], sizeof endpoint[i], "127.0.0.1:%d (its ephemeral port %d) → "
                 "the lesson's door 127.0.0.1:%d (its fixed port %d) → ", ports[i], ports[i],
                 door, door);
    /* each a lane: who, its endpoint through the lesson's socket to the relay, its figures
       (netsim at 10%: its states carried, some dropped), latency said not measurable */
    const char *udp_lane[] = {"your program, plain UDP: py, id ", "in room lobby", endpoint[0],
                              " → the lesson's socket 198.18.0.1:", " → the relay 198.19.0.1:",
                              "netsim carried ", "round trip to the relay, its ping", NULL};
    card_says(b, udp_lane, "the Python player over UDP never appeared as a lane");
    const char *tcp_lane[] = {"your program, TCP: py, id ", endpoint[1], "cross to the relay",
                              NULL};
    card_says(b, tcp_lane, "the Python player over TCP never appeared as a lane");
    const char *udp_joined = "lessonPage.snapshot().guests.find((g) => g.proto === 'udp' &&"
                             " g.state === 'joined' && g.states_up >= 60)";
    if (!browser_wait(b, udp_joined, WAIT_MS))
        lesson_fail_with_page(b, "the UDP player never sent 60 states through the door");
    cJSON *g = browser_eval(b, udp_joined);
    assert_true(cJSON_IsObject(g));
    double sent = cJSON_GetObjectItem(g, "states_up")->valuedouble;
    double fwd = cJSON_GetObjectItem(g, "fwd_up")->valuedouble;
    double dropped = cJSON_GetObjectItem(g, "dropped_up")->valuedouble;
    print_message("the UDP player: %.0f states sent, netsim carried %.0f and dropped %.0f\n",
                  sent, fwd, dropped);
    /* netsim's word on every state the door passed, but the last few on their way */
    assert_true(fwd > 0 && fwd + dropped <= sent && fwd + dropped + 10 >= sent);
    cJSON_Delete(g);
    /* the two players see each other's states through the door */
    const char *sees[] = {"your program, plain UDP", "states to it: ", NULL};
    card_says(b, sees, "no card");
    assert_true(browser_wait(b, "lessonPage.snapshot().guests.every((g) => g.state !== 'joined'"
                                " || g.states_down > 0)", WAIT_MS));
    send_garbage("DGRAM", door, "b'hello'", 1); /* shorter than any answer: none */
    const char *silent[] = {"answered none of its 1 messages", "5 bytes, 68 65 6c 6c 6f", NULL};
    card_says(b, silent, "a silent relay to garbage had no line on the page");
    send_garbage("DGRAM", door, "b'x' * 80", 10);
    const char *refused[] = {"the relay answered not_joined: not a member of a room: join first",
                             "the relay's own words: \"", "80 bytes: 78 78", NULL};
    card_says(b, refused, "the relay's not_joined had no line on the page");
    send_garbage("STREAM", door, "b'hello'", 1);
    const char *framing[] = {"the relay answered too_big", "its stream began with 5 bytes",
                             "68 65 6c 6c 6f", NULL};
    card_says(b, framing, "a garbled stream had no line on the page");
    bool update = getenv("RICOCHET_SHOT_UPDATE") && !strcmp(getenv("RICOCHET_SHOT_UPDATE"), "1");
    char png[160];
    snprintf(png, sizeof png, "%s/own.png", dir);
    cJSON_Delete(browser_eval(b, "document.getElementById('door').scrollIntoView()"));
    print_message("screenshot: %ld bytes\n",
                  browser_screenshot(b, update ? "docs/lesson-own-program.png" : png));
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) { /* every word in each */
        char path[32], expr[160];
        snprintf(path, sizeof path, "/?lang=%s", langs[i]);
        open_page(b, &l, path);
        snprintf(expr, sizeof expr, "document.querySelectorAll('#guests .guest').length >= 4 &&"
                 " lessonPage.snapshot().lang === '%s'", langs[i]);
        if (!browser_wait(b, expr, WAIT_MS))
            lesson_fail_with_page(b, "the programs' lanes were not drawn");
        cJSON *missing = browser_eval(b, "lessonPage.snapshot().missing");
        if (cJSON_GetArraySize(missing) != 0)
            fail_msg("%s: keys missing: %s", langs[i], cJSON_PrintUnformatted(missing));
        cJSON_Delete(missing);
        cJSON *file = lesson_lang(langs[i]); /* the relay's error in the page's words */
        const char *meaning[] = {lesson_word(file, "err.not_joined"), NULL};
        card_says(b, meaning, "the relay's not_joined was not said in the page's language");
        cJSON_Delete(file);
    }
    assert_int_equal(spawn_stop(&udp, SIGTERM, 5000) >= 0, 1);
    assert_int_equal(spawn_stop(&tcp, SIGTERM, 5000) >= 0, 1);
    players[0] = players[1] = NULL;
    spawn_free(&udp);
    spawn_free(&tcp);
    lesson_end(&l, b, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_page_in_force_and_in_four_languages),
        cmocka_unit_test(programs_of_ones_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
