/* test_e2e_lesson_page.c: the lesson page shows the model in force and
 * speaks its learners' languages, in headless Chromium (tests/support/
 * browser.c). ricochet-lesson starts at 5% loss and 40 ms end to end: a
 * page opened then shows them, not its defaults. After a PUT /model of
 * every control, a page opened shows each (sliders, bursts, reordering,
 * both rates); one already open follows a change it did not make (a PUT
 * naming the delay alone: the loss goes, the rates netsim keeps stay).
 * Then the page in English, Indonesian, Korean and Vietnamese (?lang=):
 * each file's words on it, no key missing once the lanes are drawn; the
 * browser's languages choose the first the page speaks; the switch on the
 * page changes the words at once and is kept for the next visit. */
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

#include "../harness/spawn.h"
#include "../sys/clock.h"
#include "support/browser.h"
#include "support/harness.h"
#include "support/http.h"
#include "support/lesson.h"
#include "support/servers.h"

#define WAIT_MS 60000

static const char *const langs[] = {"en", "id", "ko", "vi"};

/* ricochet-lesson as the test starts it: 5% loss and 40 ms end to end. */
static const char *const lesson_args[] = {"--port", "0", "--rate", "10", "--duration", "5",
                                          "--path-loss", "5", "--path-delay", "40", NULL};

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
}

/* The words of key in lang's file. */
static const char *word(const cJSON *file, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(file, key);
    if (!cJSON_IsString(v))
        fail_msg("no %s", key);
    return v->valuestring;
}

static cJSON *lang_file(const char *lang)
{
    char path[64];
    snprintf(path, sizeof path, "lesson/lang/%s.json", lang);
    char *text = harness_read_text(path);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_true(cJSON_IsObject(j));
    return j;
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

/* The page in lang: its words, and none missing once the lanes are drawn
 * with their figures. */
static void speaks(struct browser *b, const char *lang)
{
    cJSON *file = lang_file(lang);
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
    says(b, "h1", word(file, "title"));
    says(b, "#walk summary", word(file, "walk.title"));
    says(b, "#walk li:nth-child(6) span", word(file, "walk.6"));
    says(b, "#presets button:nth-child(3)", word(file, "preset.loss2"));
    says(b, "label:has(#burst) span", word(file, "ctl.bursts"));
    cJSON *missing = browser_eval(b, "lessonPage.snapshot().missing");
    if (cJSON_GetArraySize(missing) != 0) {
        char *text = cJSON_PrintUnformatted(missing);
        fail_msg("%s: keys missing: %s", lang, text);
    }
    cJSON_Delete(missing);
    print_message("the page in %s: \"%s\"\n", lang, word(file, "title"));
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
    browser_close(b);
    servers_remove_tree(dir);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_page_in_force_and_in_four_languages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
