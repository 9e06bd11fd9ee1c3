/* test_e2e_conventions.c: what every program does alike: `--version` on every
 * program; each manual page has NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
 * CONFIGURATION FILE, SIGNALS, EXIT STATUS, FILES, EXAMPLES and SEE ALSO, shows
 * every `--help` row, and its config example and examples are accepted by its
 * program; every JSON output (relay and netsim stats lines, `ricochet-bot
 * --json`, `ricochet-bench -J`) parsed with duplicate keys rejected
 * (`tests/support/json_strict.c`, shared with `test_bench_report`) and carrying
 * the version that produced it; a former option name warns that 0.2.0 will not
 * read it, and from 0.2.0 no program lists one */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <enet/enet.h>

#include "sys/options.h"
#include "sys/version.h"
#include "tests/support/harness.h"
#include "tests/support/json_strict.h"

#define WAIT_MS 60000

static const char *const programs[] = {"ricochet-relay", "ricochet-bot", "ricochet-client",
                                       "ricochet-netsim", "ricochet-bench", "ricochet-lesson",
                                       "ricochet-ticket", "ricochet-replay"};

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

/* text with every run of white space made one space, in place, and none
 * after a '|' (a manual page may break a line of choices there). */
static char *squeeze(char *text)
{
    char *w = text;
    for (const char *r = text; *r; r++)
        if (!isspace((unsigned char)*r))
            *w++ = *r;
        else if (w > text && w[-1] != ' ' && w[-1] != '|')
            *w++ = ' ';
    *w = '\0';
    return text;
}

/* The section heading of a rendered manual page (a line of its own at the
 * left margin) up to the next heading, squeezed into out. */
static void man_section(const char *page, const char *heading, char *out, size_t cap)
{
    char at_line[64];
    snprintf(at_line, sizeof at_line, "\n%s\n", heading);
    const char *from = strstr(page, at_line);
    out[0] = '\0';
    if (!from)
        return;
    from += strlen(at_line);
    const char *to = from;
    while ((to = strchr(to, '\n')) && !isupper((unsigned char)to[1]))
        to++;
    size_t n = to ? (size_t)(to - from) : strlen(from);
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), from);
    squeeze(out);
}

/* What the pages of some programs must say beyond --help: the relay's
 * signals, the bench's exit statuses, the client's keys. */
static void man_page_says(const char *prog, const char *page)
{
    static const char *const musts[][3] = {
        {"ricochet-relay", "SIGNALS", "SIGUSR1 write a stats record"},
        {"ricochet-relay", "SIGNALS", "SIGINT, SIGTERM stop"},
        {"ricochet-bench", "EXIT STATUS", "3 the audit failed"},
        {"ricochet-bench", "EXIT STATUS", "130 stopped by SIGINT"},
        {"ricochet-client", "KEYS", "Ctrl-L"},
    };
    static char section[16384];
    for (size_t k = 0; k < sizeof musts / sizeof musts[0]; k++) {
        if (strcmp(musts[k][0], prog) != 0)
            continue;
        man_section(page, musts[k][1], section, sizeof section);
        if (!strstr(section, musts[k][2]))
            fail_msg("%s.1's %s section lacks '%s': '%s'", prog, musts[k][1], musts[k][2],
                     section);
    }
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
        char *page = run_in("/usr/bin", "groff", groff, &code, &warnings);
        assert_int_equal(code, 0);
        man_page_says(programs[i], page);
        static char see_also[4096];
        man_section(page, "SEE ALSO", see_also, sizeof see_also);
        if (!strstr(see_also, "installed in share/doc/ricochet"))
            fail_msg("%s.1's SEE ALSO does not say where the docs are installed", programs[i]);
        squeeze(page);
        if (warnings && warnings[0])
            fail_msg("groff on %s.1: %s", programs[i], warnings);
        free(warnings);
        static const char *const sections[] = {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS",
                                               "CONFIGURATION FILE", "SIGNALS", "EXIT STATUS",
                                               "FILES", "EXAMPLES", "SEE ALSO"};
        const char *at = page;
        for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
            if (!(at = strstr(at, sections[s])))
                fail_msg("%s.1 has no %s section (in order)", programs[i], sections[s]);
        const char *args[] = {"--help", NULL};
        char *help = run(programs[i], args, &code);
        assert_int_equal(code, 0);
        int rows = 0;
        char *save = NULL;
        for (char *line = strtok_r(help, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (strncmp(line, "  -", 3) != 0)
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

/* Whether prog's --help has the option name (long, without dashes) and
 * whether it takes a value. Returns 0 (absent), 1 (a flag) or 2 (a value). */
static int option_kind(const char *help, const char *name)
{
    char want[80];
    snprintf(want, sizeof want, "--%s ", name);
    for (const char *p = help; (p = strstr(p, want)) != NULL; p++) {
        const char *bol = p;
        while (bol > help && bol[-1] != '\n')
            bol--;
        /* the row's own option ("  --name" or "  -n, --name"), not a mention in a text */
        if (p != bol + 2 && !(p == bol + 6 && bol[2] == '-' && bol[4] == ','))
            continue;
        return p[strlen(want)] == 'V' && p[strlen(want) + 1] == ' ' ? 2 : 1;
    }
    return 0;
}

/* One meaning per name: an option two programs share takes a value in both
 * or in neither (--json was a flag in the bot, a file in the bench); the
 * bench's end-to-end impairments are named apart from netsim's per-hop
 * ones; and the short options iperf3 and netcat users type are taken. */
static void one_meaning_per_name(void **state)
{
    (void)state;
    char *help[sizeof programs / sizeof programs[0]];
    int code;
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        const char *args[] = {"--help", NULL};
        help[i] = run(programs[i], args, &code);
        assert_int_equal(code, 0);
    }
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char *copy = strdup(help[i]), *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            char *dd = strstr(l, "--");
            if (strncmp(l, "  -", 3) != 0 || !dd)
                continue;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(dd + 2, " "), dd + 2);
            int kind = option_kind(help[i], name);
            for (size_t j = 0; j < sizeof programs / sizeof programs[0]; j++) {
                int other = option_kind(help[j], name);
                if (other && other != kind)
                    fail_msg("--%s takes a value in %s but not in %s", name,
                             kind == 2 ? programs[i] : programs[j],
                             kind == 2 ? programs[j] : programs[i]);
            }
        }
        free(copy);
    }
    /* ricochet-bench's loss, delay and jitter are the whole path's */
    for (size_t k = 0; k < 3; k++) {
        static const char *const per_hop[] = {"loss", "delay", "jitter"};
        assert_int_equal(option_kind(help[4], per_hop[k]), 0);
        assert_int_not_equal(option_kind(help[3], per_hop[k]), 0);
    }
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
        free(help[i]);

    /* iperf3 and netcat habits, checked (--check: nothing runs) */
    static const char *const habits[][8] = {
        {"ricochet-relay", "-p", "7790", "-u", "-V", NULL},
        {"ricochet-bot", "-c", "127.0.0.1", "-p", "7790", "-t", "1", NULL},
        {"ricochet-bot", "-J", "-i", "1", "-P", "2", "-l", NULL},
        {"ricochet-bench", "-c", "127.0.0.1:7790", "-t", "1", "-J", NULL},
        {"ricochet-client", "-c", "127.0.0.1", "-p", "7790", "-u", NULL},
        {"ricochet-netsim", "--relay", "127.0.0.1:7790", "-t", "1", "-V", NULL},
    };
    for (size_t i = 0; i < sizeof habits / sizeof habits[0]; i++) {
        const char *args[10];
        size_t n = 0;
        for (size_t k = 1; habits[i][k] && n < 8; k++)
            args[n++] = habits[i][k];
        if (!strcmp(habits[i][0], "ricochet-bot") && !strcmp(args[n - 1], "-l"))
            args[n++] = "100";
        args[n++] = "--check";
        args[n] = NULL;
        char *out = run(habits[i][0], args, &code);
        if (code != 0)
            fail_msg("%s does not take %s ...", habits[i][0], args[0]);
        free(out);
    }
}

/* Former names (sys/options.h, old_name) have an end: every 0.1 version
 * reads them with a warning that names the version that will not
 * (ricochet-bench --json, now --json-file, for one), and once
 * RICOCHET_VERSION_BASE reaches OPTIONS_FORMER_UNTIL no program's --help
 * lists one. */
static void former_names_have_an_end(void **state)
{
    (void)state;
    unsigned have[3], until[3];
    assert_int_equal(sscanf(RICOCHET_VERSION_BASE, "%u.%u.%u", &have[0], &have[1], &have[2]), 3);
    assert_int_equal(sscanf(OPTIONS_FORMER_UNTIL, "%u.%u.%u", &until[0], &until[1], &until[2]),
                     3);
    bool over = have[0] != until[0]   ? have[0] > until[0]
                : have[1] != until[1] ? have[1] > until[1]
                                      : have[2] >= until[2];
    int code;
    for (size_t i = 0; over && i < sizeof programs / sizeof programs[0]; i++) {
        const char *args[] = {"--help", NULL};
        char *help = run(programs[i], args, &code);
        if (strstr(help, "; formerly --"))
            fail_msg("%s %s still reads a former name: " OPTIONS_FORMER_UNTIL " does not",
                     programs[i], RICOCHET_VERSION_BASE);
        free(help);
    }
    if (over)
        return;
    const char *args[] = {"--json", "-", "--check", NULL};
    char *err = NULL, *out = run_in(NULL, "ricochet-bench", args, &code, &err);
    assert_int_equal(code, 0);
    assert_non_null(strstr(err, "warning: --json is the former name of --json-file; version "
                                OPTIONS_FORMER_UNTIL " will not read it"));
    free(out);
    free(err);
}

/* ricochet-bench --sweep takes the path's parameters by their option names
 * (path-loss=, as --path-loss); the former keys still work, with one warning
 * line; an unknown key is an error that lists the names. */
static void sweep_keys_are_option_names(void **state)
{
    (void)state;
    static const struct {
        const char *sweep;
        int code;
        const char *on_stderr; /* NULL: nothing */
    } cases[] = {
        {"path-loss=0,5", 0, NULL},
        {"path-delay=10,20", 0, NULL},
        {"path-jitter=0,10", 0, NULL},
        {"clients=2,4", 0, NULL},
        {"loss=0,5", 0, "warning: --sweep loss= is the former name of --sweep path-loss="},
        {"delay=10", 0, "warning: --sweep delay= is the former name of --sweep path-delay="},
        {"jitter=10", 0, "warning: --sweep jitter= is the former name of --sweep path-jitter="},
        {"path-clients=2", 2, "(clients|rate|payload|path-loss|path-delay|path-jitter)"},
        {"path-loss=100", 2, "path-loss 100 is out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"--sweep", cases[i].sweep, "--check", NULL};
        int code;
        char *err = NULL;
        free(run_in(NULL, "ricochet-bench", args, &code, &err));
        assert_non_null(err);
        if (code != cases[i].code)
            fail_msg("--sweep %s: exit %d, want %d", cases[i].sweep, code, cases[i].code);
        if (cases[i].on_stderr ? !strstr(err, cases[i].on_stderr) || strchr(err, '\n') !=
                                     err + strlen(err) - 1
                               : err[0] != '\0')
            fail_msg("--sweep %s: stderr '%s'", cases[i].sweep, err);
        free(err);
    }
}

/* The text of a roff literal block (.nf ... .fi) as typed: \& dropped,
 * \- and \e back to - and \, continuation lines joined. Returns the text
 * after the block, or NULL if there is none after from. */
static const char *literal_block(const char *from, char *out, size_t cap)
{
    const char *nf = strstr(from, "\n.nf\n"), *fi = nf ? strstr(nf, "\n.fi\n") : NULL;
    if (!fi)
        return NULL;
    size_t o = 0;
    for (const char *p = nf + 5; p < fi && o + 1 < cap; p++) {
        if (p[0] == '\\' && p[1] == '&') {
            p++;
        } else if (p[0] == '\\' && (p[1] == '-' || p[1] == 'e')) {
            out[o++] = p[1] == '-' ? '-' : '\\';
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    /* "\<newline>    " continues the line */
    char *w = out;
    for (const char *r = out; *r; r++) {
        if (r[0] == '\\' && r[1] == '\n') {
            r++;
            while (r[1] == ' ')
                r++;
            continue;
        }
        *w++ = *r;
    }
    *w = '\0';
    return fi + 4;
}

/* Runs one example line of a manual page (up to a pipe) in dir: a
 * ricochet program's options with --check added, ricochet-ticket's keygen
 * as it is. Returns the exit code. */
static int run_example(const char *dir, const char *line)
{
    char copy[1024], *save = NULL;
    const char *args[32];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%.*s", (int)strcspn(line, "|"), line);
    char *prog = strtok_r(copy, " ", &save);
    if (!prog || strncmp(prog, "ricochet-", 9) != 0)
        return 0; /* not a ricochet program (a shell command around it) */
    for (char *a = strtok_r(NULL, " ", &save); a && n < 30; a = strtok_r(NULL, " ", &save))
        args[n++] = a;
    if (!(n > 0 && !strcmp(args[0], "keygen")))
        args[n++] = "--check";
    args[n] = NULL;
    char bin[1024], cmd[2048];
    snprintf(bin, sizeof bin, "%s/%s", harness_bin_dir(), prog);
    if (bin[0] != '/') { /* spawn runs in dir: the program's path must not be relative */
        char cwd[512];
        assert_non_null(getcwd(cwd, sizeof cwd));
        snprintf(bin, sizeof bin, "%s/%s/%s", cwd, harness_bin_dir(), prog);
    }
    int len = snprintf(cmd, sizeof cmd, "cd '%s' && '%s'", dir, bin);
    for (size_t i = 0; i < n; i++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " '%s'", args[i]);
    snprintf(cmd + len, sizeof cmd - (size_t)len, " >/dev/null");
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Each program takes the config example of its manual page, and every
 * command of its EXAMPLES (checked with --check, run in a folder where the
 * config files the examples name hold the page's example, and examples/ is
 * the source tree's). */
static void man_examples_are_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        const char *args[] = {"--man", NULL};
        int code;
        char *page = run(programs[i], args, &code);
        assert_int_equal(code, 0);
        char dir[] = "/tmp/ricochet-examples-XXXXXX", text[4096], path[512];
        assert_non_null(mkdtemp(dir));
        const char *config = strstr(page, ".SH CONFIGURATION FILE");
        assert_non_null(config);
        const char *after = literal_block(config, text, sizeof text);
        assert_non_null(after);
        const char *examples = strstr(page, ".SH EXAMPLES");
        assert_true(examples && after < examples); /* the block is the config's */
        char cwd[512], tree[600]; /* the examples the source tree holds (examples/scripts) */
        assert_non_null(getcwd(cwd, sizeof cwd));
        snprintf(tree, sizeof tree, "%s/examples", cwd);
        snprintf(path, sizeof path, "%s/examples", dir);
        assert_int_equal(symlink(tree, path), 0);
        static const char *const names[] = {"config.json", "relay.json", NULL};
        for (size_t k = 0; names[k]; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[k]);
            FILE *f = fopen(path, "w");
            assert_non_null(f);
            fputs(text, f);
            fclose(f);
        }
        char line[600];
        snprintf(line, sizeof line, "%s --config config.json", programs[i]);
        if (run_example(dir, line) != 0)
            fail_msg("%s does not take its manual's config example: %s", programs[i], text);
        int seen = 0;
        for (const char *at = examples; (at = literal_block(at, text, sizeof text)) != NULL;) {
            char *save = NULL;
            for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                seen++;
                if (run_example(dir, l) != 0)
                    fail_msg("%s's manual example fails: %s", programs[i], l);
            }
        }
        assert_true(seen >= 1);
        char rm[600];
        snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
        assert_int_equal(system(rm), 0);
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
                          "0", "--grace", "0.5", "--path-loss", "2", "--modes",
                          "unsequenced,reliable", "-J", "--quiet", NULL};
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
        cmocka_unit_test(man_examples_are_accepted),
        cmocka_unit_test(one_meaning_per_name),
        cmocka_unit_test(sweep_keys_are_option_names),
        cmocka_unit_test(former_names_have_an_end),
        cmocka_unit_test(relay_netsim_bot_json),
        cmocka_unit_test(bench_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
