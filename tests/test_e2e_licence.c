/* test_e2e_licence.c: the licence holds together. LICENSE is tracked and
 * is the MIT licence; every package's metadata the repository tracks (each
 * package.json, each pyproject.toml) says the SPDX id docs/licences.md
 * names, `MIT`; and docs/licences.md's table of linked libraries is what
 * `ldd` says the release relay and libricochet link: every library either
 * lists has a row, and every row's libraries are listed by one of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "tests/support/harness.h"

#define SPDX "MIT"
#define TABLE_HEADING "## What the relay and libricochet link"

/* A command's whole output (the caller frees); fails the test unless it exits 0. */
static char *output_of(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n;
    while ((n = fread(text + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            text = realloc(text, cap *= 2);
            assert_non_null(text);
        }
    }
    text[len] = '\0';
    if (pclose(p) != 0)
        fail_msg("failed: %s\n%s", cmd, text);
    return text;
}

static void license_is_tracked_and_mit(void **state)
{
    (void)state;
    char *tracked = output_of("git ls-files LICENSE");
    assert_string_equal(tracked, "LICENSE\n");
    free(tracked);
    char *text = harness_read_text("LICENSE");
    assert_non_null(text);
    assert_true(strncmp(text, "MIT License\n", 12) == 0);
    assert_non_null(strstr(text, "Permission is hereby granted, free of charge"));
    free(text);
    char *doc = harness_read_text("docs/licences.md");
    assert_non_null(doc);
    assert_non_null(strstr(doc, "SPDX id `" SPDX "`"));
    free(doc);
    char *readme = harness_read_text("README.md");
    assert_non_null(readme);
    assert_non_null(strstr(readme, "[MIT licence](LICENSE)"));
    free(readme);
}

/* Every tracked package.json's "license", every pyproject.toml's license
 * line: the one SPDX id. */
static void every_package_says_mit(void **state)
{
    (void)state;
    char *files = output_of("git ls-files '*package.json' '*pyproject.toml'");
    int seen = 0;
    for (char *save = NULL, *path = strtok_r(files, "\n", &save); path;
         path = strtok_r(NULL, "\n", &save)) {
        char *text = harness_read_text(path);
        assert_non_null(text);
        if (strstr(path, "package.json")) {
            cJSON *json = cJSON_Parse(text);
            const cJSON *lic = cJSON_GetObjectItemCaseSensitive(json, "license");
            if (!cJSON_IsString(lic) || strcmp(lic->valuestring, SPDX) != 0)
                fail_msg("%s: \"license\" is not \"" SPDX "\"", path);
            cJSON_Delete(json);
        } else if (!strstr(text, "\nlicense = {text = \"" SPDX "\"}\n") &&
                   !strstr(text, "\nlicense = \"" SPDX "\"\n")) {
            fail_msg("%s: no license = {text = \"" SPDX "\"}", path);
        }
        free(text);
        seen++;
    }
    free(files);
    assert_true(seen >= 3); /* the JavaScript, Python and C# packages at least */
}

/* Whether name (a soname) is a backquoted word of the table row line. */
static bool row_names(const char *line, const char *name)
{
    size_t n = strlen(name);
    for (const char *at = strchr(line, '`'); at; at = strchr(at + 1, '`'))
        if (strncmp(at + 1, name, n) == 0 && at[1 + n] == '`')
            return true;
    return false;
}

static void the_table_is_what_ldd_says(void **state)
{
    (void)state;
    free(output_of("env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s BUILD=build SAN= FUZZ= lib "
                   "build/bin/ricochet-relay 2>&1"));
    /* every soname either links, one a line (the kernel's vdso is no library);
     * the library by its link to the version just built (a build of an
     * older version leaves its file beside it) */
    char *linked = output_of("{ ldd build/bin/ricochet-relay; ldd build/lib/libricochet.so; } | "
                             "awk '{ n = $1; sub(\".*/\", \"\", n); print n }' | "
                             "grep -v '^linux-vdso' | sort -u");
    char *doc = harness_read_text("docs/licences.md");
    assert_non_null(doc);
    char *table = strstr(doc, TABLE_HEADING);
    assert_non_null(table);
    char *end = strstr(table + 1, "\n## ");
    if (end)
        *end = '\0';
    /* each linked library in a row */
    int n_linked = 0;
    char *copy = strdup(linked);
    for (char *save = NULL, *so = strtok_r(copy, "\n", &save); so; so = strtok_r(NULL, "\n", &save)) {
        bool found = false;
        for (const char *line = table; line && !found; line = strchr(line + 1, '\n'))
            found = line[1] == '|' && row_names(line + 1, so);
        if (!found)
            fail_msg("docs/licences.md: no row for %s, which ldd lists", so);
        n_linked++;
    }
    free(copy);
    assert_true(n_linked >= 10);
    /* each row's libraries linked */
    int rows = 0;
    for (char *line = strstr(table, "\n|"); line; line = strstr(line + 1, "\n|")) {
        char *nl = strchr(line + 1, '\n');
        char *first_bar = strchr(line + 2, '|'); /* the first cell ends */
        if (!first_bar || (nl && first_bar > nl) || !strchr(line + 2, '`') ||
            strchr(line + 2, '`') > first_bar)
            continue; /* the head, its rule */
        rows++;
        for (char *at = strchr(line + 2, '`'); at && at < first_bar;) {
            char *close = strchr(at + 1, '`');
            assert_non_null(close);
            char name[128];
            snprintf(name, sizeof name, "\n%.*s\n", (int)(close - at - 1), at + 1);
            char lined[strlen(linked) + 2];
            snprintf(lined, sizeof lined, "\n%s", linked);
            if (!strstr(lined, name))
                fail_msg("docs/licences.md: %.*s has a row, but neither the relay nor "
                         "libricochet links it", (int)(close - at - 1), at + 1);
            at = strchr(close + 1, '`');
        }
    }
    assert_true(rows >= 10);
    free(doc);
    free(linked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(license_is_tracked_and_mit),
        cmocka_unit_test(every_package_says_mit),
        cmocka_unit_test(the_table_is_what_ldd_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
