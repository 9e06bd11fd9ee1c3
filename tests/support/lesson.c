/* lesson.c: ricochet-lesson as its tests start it (see lesson.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sys/clock.h"
#include "harness.h"
#include "http.h"
#include "lesson.h"

void lesson_start(struct lesson *l, const char *dir, const char *prog,
                  const char *const *args)
{
    char err[256];
    assert_int_equal(spawn_start(&l->proc, dir, prog, args, err, sizeof err), 0);
    uint64_t deadline = clock_now_ms() + 30000;
    for (;;) {
        char *out = spawn_read_stdout(&l->proc);
        const char *u = out ? strstr(out, "the lesson on http://") : NULL;
        if (u && strchr(u, '\n')) {
            u += strlen("the lesson on http://");
            snprintf(l->at, sizeof l->at, "%.*s", (int)strcspn(u, "/"), u);
            snprintf(l->url, sizeof l->url, "http://%s/", l->at);
            free(out);
            return;
        }
        free(out);
        if (!spawn_running(&l->proc) || clock_now_ms() > deadline) {
            char *e = spawn_read_stderr(&l->proc);
            fail_msg("no lesson URL; stderr:\n%s", e ? e : "");
        }
        clock_sleep_ms(50);
    }
}

cJSON *lesson_get_json(const struct lesson *l, const char *path)
{
    struct http_response r = http_get(l->at, path);
    cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
    http_response_free(&r);
    return j;
}

cJSON *lesson_lang(const char *lang)
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

const char *lesson_word(const cJSON *file, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(file, key);
    if (!cJSON_IsString(v))
        fail_msg("no %s", key);
    return v->valuestring;
}

void lesson_fail_with_page(struct browser *b, const char *what)
{
    browser_fail(b, "window.lessonPage && window.lessonPage.snapshot()", what);
}
