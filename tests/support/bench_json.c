/* bench_json.c: ricochet-bench runs for tests, and its JSON read
 * (bench_json.h). */
#include "bench_json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

static cJSON *last;

int bj_free(void **state)
{
    (void)state;
    cJSON_Delete(last);
    last = NULL;
    return 0;
}

const cJSON *bj_finish(struct spawn_proc *p, int want)
{
    int code = spawn_stop(p, 0, 120000);
    char *out = spawn_read_stdout(p), *err = spawn_read_stderr(p);
    spawn_free(p);
    bj_free(NULL);
    last = code == want && out ? cJSON_Parse(out) : NULL;
    if (!last)
        print_error("ricochet-bench exited %d, not %d; stderr:\n%s\n", code, want,
                    err ? err : "");
    free(out);
    free(err);
    assert_non_null(last);
    return cJSON_GetObjectItemCaseSensitive(last, "results");
}

const cJSON *bj_results(const char *const *args)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    return bj_finish(&p, 0);
}

const cJSON *bj_script_runs(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/runs.json", dir);
    char *text = harness_read_text(path);
    if (!text)
        fail_msg("no %s", path);
    bj_free(NULL);
    last = cJSON_Parse(text);
    free(text);
    if (!last)
        fail_msg("%s does not parse", path);
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(last, "runs");
    if (!cJSON_IsArray(runs))
        fail_msg("%s holds no runs", path);
    return runs;
}

double bj_num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, "."))
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    if (!cJSON_IsNumber(cur))
        fail_msg("field %s missing", path);
    return cur->valuedouble;
}

bool bj_flag(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return cJSON_IsTrue(b ? cJSON_GetObjectItemCaseSensitive(x, b) : x);
}

const cJSON *bj_mode(const cJSON *results, const char *mode)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, results) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "mode");
        if (cJSON_IsString(m) && !strcmp(m->valuestring, mode))
            return r;
    }
    fail_msg("no result for mode %s", mode);
    return NULL;
}
