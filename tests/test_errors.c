/* test_errors: the error code table (proto/errors.c) is the one the spec
 * documents: every row of PROTOCOL.md's "Error codes" table names a code
 * with its number and whether it ends the session, exactly as the code
 * has it, and the other way round; names map back to their codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"

static char *spec;

static int setup(void **state)
{
    (void)state;
    const char *path = getenv("RICOCHET_PROTOCOL");
    FILE *f = fopen(path ? path : "proto/PROTOCOL.md", "r");
    if (!f)
        return -1;
    static char buf[1 << 18];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    spec = strstr(buf, "### Error codes");
    return spec ? 0 : -1;
}

static void names_round_trip(void **state)
{
    (void)state;
    assert_null(proto_error_info(PROTO_ERROR_NONE));
    assert_null(proto_error_info(PROTO_ERROR_COUNT));
    assert_int_equal(proto_error_from_name("join_failed"), PROTO_ERROR_NONE);
    assert_int_equal(proto_error_from_name(NULL), PROTO_ERROR_NONE);
    for (int i = 1; i < PROTO_ERROR_COUNT; i++) {
        const struct proto_error_info *e = proto_error_info((enum proto_error_code)i);
        assert_non_null(e);
        assert_true(strlen(e->name) > 0 && strlen(e->text) > 0);
        assert_int_equal(proto_error_from_name(e->name), i);
    }
}

/* Splits a table row "| a | b | ... |" into at most max trimmed cells of
 * at most 511 bytes; returns how many. */
static int cells(const char *row, char out[][512], int max)
{
    int n = 0;
    const char *p = strchr(row, '|');
    while (p && n < max) {
        const char *q = strchr(p + 1, '|');
        const char *nl = strchr(p + 1, '\n');
        if (!q || (nl && nl < q))
            break;
        const char *a = p + 1, *b = q;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        snprintf(out[n++], 512, "%.*s", (int)(b - a), a);
        p = q;
    }
    return n;
}

/* The spec's row of code: "| `name` | no. | when | then | ends |", where
 * one row may hold two codes ("`a` / `b`", "5 / 6"). Checks number and ends. */
static void check_row(enum proto_error_code code)
{
    const struct proto_error_info *e = proto_error_info(code);
    char key[64];
    snprintf(key, sizeof key, "`%s`", e->name);
    const char *hit = strstr(spec, key);
    if (!hit)
        fail_msg("PROTOCOL.md's error table has no row for %s", e->name);
    const char *row = hit;
    while (row > spec && row[-1] != '\n')
        row--;
    char c[8][512];
    int n = cells(row, c, 8);
    assert_int_equal(n, 5);
    const char *at = strstr(c[0], key);
    assert_non_null(at);
    int k = 0; /* which name of the cell */
    for (const char *q = c[0]; q < at; q++)
        k += *q == '/';
    const char *num = c[1];
    for (int i = 0; i < k && num; i++)
        num = strchr(num, '/') ? strchr(num, '/') + 1 : NULL;
    assert_non_null(num);
    long no = strtol(num, NULL, 10);
    if (no != (long)code)
        fail_msg("%s: PROTOCOL.md says number %ld, errors.c %d", e->name, no, (int)code);
    bool doc_ends = strcmp(c[4], "yes") == 0;
    if (doc_ends != e->ends_session)
        fail_msg("%s: PROTOCOL.md says ends '%s', errors.c %d", e->name, c[4], e->ends_session);
}

static void spec_table_matches(void **state)
{
    (void)state;
    for (int i = 1; i < PROTO_ERROR_COUNT; i++)
        check_row((enum proto_error_code)i);
    /* ... and every code row of the spec is in the table. */
    const char *end = strstr(spec, "\n\n|") ? strstr(strstr(spec, "\n\n|") + 2, "\n\n")
                                            : NULL;
    assert_non_null(end);
    for (const char *p = strstr(spec, "\n| `"); p && p < end; p = strstr(p + 1, "\n| `")) {
        char name[64];
        if (sscanf(p, "\n| `%63[a-z_]`", name) == 1 &&
            proto_error_from_name(name) == PROTO_ERROR_NONE)
            fail_msg("PROTOCOL.md documents error %s, errors.c has no such code", name);
    }
}

static void describe(void **state)
{
    (void)state;
    char buf[256];
    proto_error_describe(buf, sizeof buf, PROTO_ERROR_SERVER_FULL,
                         "the relay is full: 1024 clients", false);
    assert_string_equal(buf, "relay refused the join: server_full (the relay is full: 1024 clients)");
    proto_error_describe(buf, sizeof buf, PROTO_ERROR_KICKED, "", true);
    assert_string_equal(buf, "relay ended the session: kicked (kicked by the relay)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(spec_table_matches),
        cmocka_unit_test(describe),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
