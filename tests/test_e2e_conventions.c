/* test_e2e_conventions.c: what every program does alike. --version names the
 * program, ricochet's version and the ENet and cJSON versions; the manual
 * page make built shows every row of --help; every JSON output (relay
 * stats, netsim stats, bot --json with --interval records, bench --json)
 * parses with each key once per object and says which version produced it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <enet/enet.h>

#include "../sys/version.h"
#include "support/harness.h"
#include "support/json_strict.h"

#define WAIT_MS 60000

static const char *const programs[] = {"ricochet-relay", "ricochet-bot", "ricochet-client",
                                       "ricochet-netsim", "ricochet-bench", "ricochet-ticket"};

/* Runs dir/prog (dir NULL: a ricochet program) with args to its exit;
 * returns its stdout (the caller frees), stores the exit code in *code and,
 * if errout is not NULL, its stderr in *errout (the caller frees). */
static char *run_in(const char *dir, const char *prog, const char *const *args, int *code,
                    char **errout)
{
    struct spawn_proc p;
    char why[256];
    if (!dir)
        assert_int_equal(harness_spawn(&p, prog, args), 0);
    else if (spawn_start(&p, dir, prog, args, why, sizeof why) != 0)
        fail_msg("%s/%s: %s", dir, prog, why);
    *code = spawn_stop(&p, 0, WAIT_MS);
    char *out = spawn_read_stdout(&p), *err = spawn_read_stderr(&p);
    if (*code != 0)
        print_error("%s exited %d:\n%s\n", prog, *code, err ? err : "");
    spawn_free(&p);
    assert_non_null(out);
    if (errout)
        *errout = err;
    else
        free(err);
    return out;
}

static char *run(const char *prog, const char *const *args, int *code)
{
    return run_in(NULL, prog, args, code, NULL);
}

static void version_on_every_program(void **state)
{
    (void)state;
    char want[256];
    /* The header's versions: the libraries these programs were built with. */
    char libs[96];
    snprintf(libs, sizeof libs, " (ENet %d.%d.%d, cJSON %d.%d.%d)\n", ENET_VERSION_MAJOR,
             ENET_VERSION_MINOR, ENET_VERSION_PATCH, CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR,
             CJSON_VERSION_PATCH);
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        /* --version wins over a bad option, like --help */
        const char *args[] = {"--port", "99999999", "--version", NULL};
        int code;
        char *out = run(programs[i], args, &code);
        assert_int_equal(code, 0);
        snprintf(want, sizeof want, "%s %s%s", programs[i], version_ricochet(), libs);
        assert_string_equal(out, want);
        free(out);
    }
}

/* text with every run of white space made one space, in place. */
static char *squeeze(char *text)
{
    char *w = text;
    for (const char *r = text; *r; r++)
        if (!isspace((unsigned char)*r))
            *w++ = *r;
        else if (w > text && w[-1] != ' ')
            *w++ = ' ';
    *w = '\0';
    return text;
}

/* make writes BIN/../man/PROG.1 with PROG --man. Rendered by groff (as man
 * would: no hyphenation, ASCII), it shows every row of PROG --help: the
 * option, its help, range and default, word for word. */
static void man_page_lists_every_option(void **state)
{
    (void)state;
    char path[1024];
    int code;
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        snprintf(path, sizeof path, "%s/../man/%s.1", harness_bin_dir(), programs[i]);
        const char *groff[] = {"-man", "-Tascii", "-P-cbou", "-rHY=0", "-ww", path, NULL};
        char *warnings;
        char *page = squeeze(run_in("/usr/bin", "groff", groff, &code, &warnings));
        assert_int_equal(code, 0);
        if (warnings && warnings[0])
            fail_msg("groff on %s.1: %s", programs[i], warnings);
        free(warnings);
        assert_non_null(strstr(page, "NAME"));
        const char *args[] = {"--help", NULL};
        char *help = run(programs[i], args, &code);
        assert_int_equal(code, 0);
        int rows = 0;
        char *save = NULL;
        for (char *line = strtok_r(help, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (strncmp(line, "  --", 4) != 0)
                continue;
            rows++;
            if (!strstr(page, squeeze(line + 2)))
                fail_msg("%s.1 lacks the --help row '%s'", programs[i], line + 2);
        }
        assert_true(rows >= 5);
        free(help);
        free(page);
    }
}

/* The "version" (and "enet_version" unless enet is false) of a record. */
static void assert_versions(const cJSON *o, bool enet)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, version_ricochet());
    if (!enet)
        return;
    v = cJSON_GetObjectItemCaseSensitive(o, "enet_version");
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, version_enet());
}

/* json_strict_lines callbacks: a record with both versions, or only ours. */
static void with_enet(const cJSON *o, void *ctx)
{
    (void)ctx;
    assert_versions(o, true);
}

static void without_enet(const cJSON *o, void *ctx)
{
    (void)ctx;
    assert_versions(o, false);
}

/* A relay (stats every 0.2 s), netsim in front of it (stats every 0.2 s)
 * and a bot through netsim: every JSON line each prints. */
static void relay_netsim_bot_json(void **state)
{
    (void)state;
    struct spawn_proc relay, netsim;
    const char *rargs[] = {"--stats-interval", "0.2", NULL};
    int port = harness_start_relay(&relay, rargs);
    assert_true(port > 0);
    char upstream[64], err[256], nport[16];
    snprintf(upstream, sizeof upstream, "127.0.0.1:%d", port);
    const char *nargs[] = {"--relay", upstream, "--stats-interval", "0.2", "--loss", "1",
                           "--seed", "3", NULL};
    assert_int_equal(harness_spawn(&netsim, "ricochet-netsim", nargs), 0);
    int np = spawn_wait_listening(&netsim, 10000, err, sizeof err);
    if (np < 0)
        fail_msg("netsim: %s", err);
    snprintf(nport, sizeof nport, "%d", np);

    const char *bargs[] = {"--port", nport, "--count", "3", "--mode", "mixed", "--rate", "50",
                           "--duration", "1", "--seed", "5", "--json", "--interval", "0.5",
                           NULL};
    int code;
    char *out = run("ricochet-bot", bargs, &code);
    assert_int_equal(code, 0);
    /* one record per half second, then the summary */
    assert_true(json_strict_lines("ricochet-bot --json --interval", out, with_enet, NULL) >= 3);
    free(out);

    assert_int_equal(spawn_stop(&netsim, SIGTERM, WAIT_MS), 0);
    out = spawn_read_stdout(&netsim);
    assert_non_null(out);
    assert_true(json_strict_lines("ricochet-netsim stats", out, without_enet, NULL) >= 2);
    free(out);
    spawn_free(&netsim);

    assert_int_equal(spawn_stop(&relay, SIGTERM, WAIT_MS), 0);
    out = spawn_read_stdout(&relay);
    assert_non_null(out);
    assert_true(json_strict_lines("ricochet-relay stats", out, with_enet, NULL) >= 2);
    free(out);
    spawn_free(&relay);
}

static void bench_json(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "2", "--rate", "50", "--duration", "0.5", "--warmup",
                          "0", "--grace", "0.5", "--loss", "2", "--modes",
                          "unsequenced,reliable", "--json", "-", "--quiet", NULL};
    int code;
    char *out = run("ricochet-bench", args, &code);
    assert_int_equal(code, 0);
    cJSON *root = json_strict_parse("ricochet-bench --json", out);
    assert_versions(root, true);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "results")), 2);
    cJSON_Delete(root);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_on_every_program),
        cmocka_unit_test(man_page_lists_every_option),
        cmocka_unit_test(relay_netsim_bot_json),
        cmocka_unit_test(bench_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
