/* test_e2e_docs.c: the documentation holds together. Every figure table of
 * README.md and docs/ is what docs/tables/doctables.sh makes of the committed
 * results (with a cost's multiple of the reference relay's beside it where
 * the records carry one), and every figure of their prose (and of proto/'s) is in those
 * results, docs/tables/tests.md's table of the test binaries what their
 * openers make (a short one or none taken too), and
 * proto/PROTOCOL.md's contents every section of it. Every
 * command of a "sh" block that runs build/bin/ricochet-X takes its options
 * (--check); a "json ricochet-X" block is a config file X takes, a "yaml
 * prometheus" block one promtool takes; a "sh run" block runs. Every
 * relative link in README.md, docs/ and proto/ reaches a file that exists
 * and, with an #anchor, a heading of that file; docs/clients.md's key table
 * lists every key of the terminal client's own help; nothing in the
 * repository reads like a lab notebook (how the software was written is
 * not the software); and the quick start's requirements hold (.ci/deps
 * needs no apt when pkg-config finds every library) and agree: README.md
 * names the Debian package of every library the Makefile links, and
 * .ci/deps installs those, no more, no fewer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/tui/keys.h"
#include "tests/support/harness.h"

/* The documents whose links are checked: README.md and the .md files of docs/ and proto/. */
#define MAX_DOCS 64
static char doc_paths[MAX_DOCS][512];
static size_t n_docs;

static void add_folder(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".md") != 0)
            continue;
        assert_true(n_docs < MAX_DOCS);
        snprintf(doc_paths[n_docs++], sizeof doc_paths[0], "%s/%s", dir, e->d_name);
    }
    closedir(d);
}

static int setup(void **state)
{
    (void)state;
    n_docs = 0;
    snprintf(doc_paths[n_docs++], sizeof doc_paths[0], "README.md");
    add_folder("docs");
    add_folder("docs/tables");
    add_folder("proto");
    return 0;
}

/* GitHub's anchor for a heading's text: lower case; letters, digits, '-'
 * and '_' kept (and any byte >= 0x80, so 'µ' survives); spaces become '-';
 * everything else dropped. */
static void heading_slug(const char *text, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isalnum(c) || c == '-' || c == '_' || c >= 0x80)
            out[o++] = (char)tolower(c);
        else if (c == ' ')
            out[o++] = '-';
    }
    out[o] = '\0';
}

/* Whether the markdown text has a heading whose anchor is anchor (a repeated
 * heading's later anchors get -1, -2, ...). Fenced code is not heading. */
static bool has_anchor(const char *text, const char *anchor)
{
    char seen[256][128];
    size_t n_seen = 0;
    bool fenced = false;
    for (const char *line = text; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= 3 && strncmp(line, "```", 3) == 0)
            fenced = !fenced;
        else if (!fenced && len > 1 && line[0] == '#') {
            size_t h = 0;
            while (h < len && line[h] == '#')
                h++;
            while (h < len && line[h] == ' ')
                h++;
            char slug[128];
            heading_slug(line + h, len - h, slug, sizeof slug);
            size_t dup = 0;
            for (size_t i = 0; i < n_seen; i++)
                dup += strcmp(seen[i], slug) == 0;
            char full[160];
            if (dup)
                snprintf(full, sizeof full, "%s-%zu", slug, dup);
            else
                snprintf(full, sizeof full, "%s", slug);
            if (strcmp(full, anchor) == 0)
                return true;
            if (n_seen < 256)
                snprintf(seen[n_seen++], sizeof seen[0], "%s", slug);
        }
        if (!end)
            break;
        line = end + 1;
    }
    return false;
}

/* Checks one link target written in the document at doc_path; returns the
 * number of broken links (0 or 1), printing each. */
static int check_target(const char *doc_path, const char *target, size_t len)
{
    if (len == 0 || strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0 ||
        strncmp(target, "mailto:", 7) == 0)
        return 0;
    char link[512];
    snprintf(link, sizeof link, "%.*s", (int)len, target);
    char *hash = strchr(link, '#');
    const char *anchor = NULL;
    if (hash) {
        *hash = '\0';
        anchor = hash + 1;
    }
    char path[1024];
    if (link[0] == '\0') {
        snprintf(path, sizeof path, "%s", doc_path);
    } else {
        const char *slash = strrchr(doc_path, '/');
        int dir_len = slash ? (int)(slash - doc_path + 1) : 0;
        snprintf(path, sizeof path, "%.*s%s", dir_len, doc_path, link);
    }
    char *text = harness_read_text(path); /* a folder reads as empty: it only has to exist */
    int broken = 0;
    if (!text) {
        print_error("%s: link to %s: no such file\n", doc_path, path);
        broken = 1;
    } else if (anchor && !has_anchor(text, anchor)) {
        print_error("%s: link to %s#%s: no such heading\n", doc_path, path, anchor);
        broken = 1;
    }
    free(text);
    return broken;
}

/* Every "](target)" outside fenced code and inline code spans. */
static int check_links_of(const char *doc_path)
{
    char *text = harness_read_text(doc_path);
    assert_non_null(text);
    int broken = 0;
    bool fenced = false, code = false;
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && strncmp(p, "```", 3) == 0) {
            fenced = !fenced;
            p += 2;
            continue;
        }
        if (fenced)
            continue;
        if (*p == '`')
            code = !code;
        else if (*p == '\n' && p[1] == '\n')
            code = false; /* a paragraph ends any unclosed span */
        if (code || p[0] != ']' || p[1] != '(')
            continue;
        const char *start = p + 2, *end = strchr(start, ')');
        if (!end)
            break;
        broken += check_target(doc_path, start, (size_t)(end - start));
    }
    free(text);
    return broken;
}

static void relative_links_resolve(void **state)
{
    (void)state;
    int broken = 0;
    for (size_t i = 0; i < n_docs; i++)
        broken += check_links_of(doc_paths[i]);
    assert_int_equal(broken, 0);
}

/* The README is the map of docs/: it links to every document there, and
 * stays short (what it is, the quick start, the modes, headline figures,
 * the map), so the rest goes into docs/. */
static void readme_maps_docs(void **state)
{
    (void)state;
    char *readme = harness_read_text("README.md");
    assert_non_null(readme);
    int unmapped = 0, lines = 0;
    for (const char *p = readme; *p; p++)
        lines += *p == '\n';
    for (size_t i = 0; i < n_docs; i++) {
        char link[600];
        snprintf(link, sizeof link, "](%s)", doc_paths[i]);
        if (strncmp(doc_paths[i], "docs/", 5) == 0 && !strstr(readme, link)) {
            print_error("README.md: no link to %s in the map of the docs\n", doc_paths[i]);
            unmapped++;
        }
    }
    free(readme);
    assert_int_equal(unmapped, 0);
    if (lines > 260)
        fail_msg("README.md has %d lines: keep it under 260, move the rest into docs/", lines);
}

/* The checker itself: a good link, a missing file and a missing heading. */
static void link_checker_finds_broken_links(void **state)
{
    (void)state;
    assert_int_equal(check_target("README.md", "docs/design.md", 14), 0);
    assert_int_equal(check_target("docs/design.md", "../README.md#quick-start", 24), 0);
    assert_int_equal(check_target("docs/design.md", "nowhere.md", 10), 1);
    assert_int_equal(check_target("README.md", "#no-such-heading", 16), 1);
    assert_true(has_anchor("## ENet 1.3.17's weak spots\n", "enet-1317s-weak-spots"));
    assert_true(has_anchor("# A\n## A\n", "a-1"));
    assert_false(has_anchor("```\n# not a heading\n```\n", "not-a-heading"));
}

/* docs/clients.md's key table has a row for every key the client's own
 * help lists (keys.c), spelled the same: "| Ctrl-L | ...". */
static void keys_in_clients_doc(void **state)
{
    (void)state;
    char *readme = harness_read_text("docs/clients.md");
    assert_non_null(readme);
    size_t n;
    const struct keys_help_row *rows = keys_help(&n);
    assert_true(n > 5);
    for (size_t i = 0; i < n; i++) {
        char cell[64];
        snprintf(cell, sizeof cell, "\n| %s | ", rows[i].keys);
        if (!strstr(readme, cell))
            fail_msg("docs/clients.md's key table has no row '| %s |' (%s)", rows[i].keys,
                     rows[i].what);
    }
    free(readme);
}

/* What a newcomer must not have to find out alone: the quick start names the
 * platform and the exact ENet version before any command needs them, and
 * the operations doc opens with its threat model. */
static void requirements_and_threat_model_first(void **state)
{
    (void)state;
    char *readme = harness_read_text("README.md"), *ops = harness_read_text("docs/operations.md");
    assert_non_null(readme);
    assert_non_null(ops);
    const char *req = strstr(readme, "**Requirements.**");
    const char *next = req ? strstr(req, "\n## ") : NULL;
    if (!req || !next || strstr(readme, "\n## Quick start") > req)
        fail_msg("README.md's quick start has no **Requirements.** paragraph");
    static const char *const musts[] = {"Linux", "ENet **1.3.17** exactly", "pkg-config"};
    for (size_t i = 0; i < sizeof musts / sizeof musts[0]; i++) {
        const char *at = strstr(req, musts[i]);
        if (!at || at > next)
            fail_msg("README.md's requirements do not say '%s'", musts[i]);
    }
    const char *first = strstr(ops, "\n## ");
    static const char threat[] = "\n## Threat model\n";
    if (!first || strncmp(first, threat, sizeof threat - 1) != 0)
        fail_msg("docs/operations.md does not open with its threat model");
    free(readme);
    free(ops);
}

/* Words about how the software was written, searched in every file of the
 * repository but .git and build/. Each pattern is written so that it does
 * not match itself. */
static void no_lab_notebook(void **state)
{
    (void)state;
    FILE *p = popen("grep -rniE 'engin[e]er|this sessio[n] took|during th[e] session|"
                    "issue [0-9]+' --exclude-dir=.git --exclude-dir=build . 2>&1",
                    "r");
    assert_non_null(p);
    char line[512];
    int hits = 0;
    while (fgets(line, sizeof line, p)) {
        print_error("%s", line);
        hits++;
    }
    assert_int_equal(pclose(p) >> 8, hits ? 0 : 1); /* grep: 1 = nothing found */
    assert_int_equal(hits, 0);
}

/* The figure tables: each block "<!-- table NAME -->" of README.md and
 * docs/ is exactly what docs/tables/doctables.sh makes of the committed results. */
static void tables_match_results(void **state)
{
    (void)state;
    int rc = system("docs/tables/doctables.sh --check README.md docs/*.md docs/tables/*.md");
    assert_int_equal(rc, 0);
}

/* doctables.sh's table NAME of the results folder dir, into out. */
static void table_of(const char *dir, const char *name, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "RICOCHET_RESULTS=%s docs/tables/doctables.sh %s", dir, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = '\0';
    assert_int_equal(pclose(p), 0);
}

/* A cost's multiple of the reference relay's stands beside it in the tables
 * where the records carry it (a reference lane ran beside them), with the
 * paired rounds' min-max; the tables of records without it keep their
 * columns. And --floor, which the caption gives as the machine's, is not
 * in the caption's command. */
static void tables_show_the_reference_where_records_have_it(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-doctables-XXXXXX", path[600], text[8192];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "mkdir -p %s/scale/rooms", dir);
    assert_int_equal(system(path), 0);
    static const char *const records[2] = {
        /* [1]: with the reference's multiple, [0]: without */
        "{\"clients\":1000",
        "{\"clients\":1000,\"x_reference\":1.25,\"relay_us_ratio\":{\"vs\":\"reference\","
        "\"median\":1.25,\"min\":1.1,\"max\":1.4,\"rounds\":3}"};
    for (int with = 1; with >= 0; with--) {
        snprintf(path, sizeof path, "%s/scale/rooms/results.json", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "{\"command\":\"ricochet-bench --floor 250000 --clients 1000\","
                   "\"date\":\"2026-11-26 06:00 UTC\",\"results\":[%s,\"lost_pct\":0,"
                   "\"latency_ms\":{\"p50\":25,\"p99\":50},\"relay_cpu_pct\":5,"
                   "\"relay_us_per_delivery\":0.7,\"bench_cpu_pct\":26,"
                   "\"relay_peak_rss_kb\":8000,\"floor_dgrams_per_s\":250000}]}\n",
                records[with]);
        fclose(f);
        table_of(dir, "rooms", text, sizeof text);
        if (with) {
            assert_non_null(strstr(text, "| × floor | × reference | generator CPU |"));
            assert_non_null(strstr(text, "| 1.25 (1.10-1.40)x |"));
        } else {
            assert_null(strstr(text, "reference"));
            assert_non_null(strstr(text, "| × floor | generator CPU |"));
        }
        assert_non_null(strstr(text, "with `ricochet-bench --clients 1000`"));
    }
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

/* What the figures are checked against: the generated table blocks of the
 * documents and every text file of the committed results, one string. */
struct corpus {
    char *text;
    size_t len, cap;
};

static void corpus_add(struct corpus *c, const char *s, size_t n)
{
    if (c->len + n + 2 > c->cap) {
        c->cap = (c->len + n + 2) * 2;
        c->text = realloc(c->text, c->cap);
        assert_non_null(c->text);
    }
    memcpy(c->text + c->len, s, n);
    c->len += n;
    c->text[c->len++] = '\n';
    c->text[c->len] = '\0';
}

static void corpus_add_results(struct corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = strlen(e->d_name);
        if (e->d_type == DT_DIR) {
            corpus_add_results(c, path);
        } else if (len > 4 && strcmp(e->d_name + len - 4, ".txt") == 0) {
            char *text = harness_read_text(path);
            assert_non_null(text);
            corpus_add(c, text, strlen(text));
            free(text);
        }
    }
    closedir(d);
}

/* Calls line_fn(line, len, in_table, ctx) for every line of text outside
 * fenced code; in_table says whether it is inside a generated table block. */
static void for_each_line(const char *text, void (*line_fn)(const char *, size_t, bool, void *),
                          void *ctx)
{
    bool fenced = false, table = false;
    for (const char *line = text; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= 3 && strncmp(line, "```", 3) == 0)
            fenced = !fenced;
        else if (!fenced && strncmp(line, "<!-- table ", 11) == 0)
            table = true;
        else if (!fenced && strncmp(line, "<!-- /table -->", 15) == 0)
            table = false;
        else if (!fenced)
            line_fn(line, len, table, ctx);
        if (!end)
            break;
        line = end + 1;
    }
}

static void collect_tables(const char *line, size_t len, bool in_table, void *ctx)
{
    if (in_table)
        corpus_add(ctx, line, len);
}

/* Whether the figure f (digits, '.' and ',') stands alone somewhere in the
 * corpus: not inside a longer number. */
static bool in_corpus(const struct corpus *c, const char *f)
{
    size_t n = strlen(f);
    for (const char *p = c->text; (p = strstr(p, f)) != NULL; p++) {
        bool before = p > c->text && (isdigit((unsigned char)p[-1]) || p[-1] == '.' ||
                                      p[-1] == ',');
        bool after = isdigit((unsigned char)p[n]) ||
                     ((p[n] == '.' || p[n] == ',') && isdigit((unsigned char)p[n + 1]));
        if (!before && !after)
            return true;
    }
    return false;
}

struct figure_check {
    const char *doc;
    const struct corpus *corpus;
    int missing;
};

/* Reads a number at p (digits with ',' and one '.'); returns its length, 0
 * if p holds none or a dotted version/address (two dots). */
static size_t number_at(const char *p, const char *end, bool *decimal)
{
    size_t n = 0, dots = 0;
    while (p + n < end && (isdigit((unsigned char)p[n]) ||
                           ((p[n] == '.' || p[n] == ',') && p + n + 1 < end &&
                            isdigit((unsigned char)p[n + 1])))) {
        dots += p[n] == '.';
        n++;
    }
    *decimal = dots == 1;
    return dots > 1 ? 0 : n;
}

static bool unit_follows(const char *p, const char *end)
{
    static const char *const units[] = { "ms", "µs", "%", "MB", "KiB", "kB", "MiB", "x ",
                                         "x)", "x,", "x.", "kbit/s", "Mbit/s", "core" };
    if (p < end && *p == ' ')
        p++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i]);
        if ((size_t)(end - p) >= n && strncmp(p, units[i], n) == 0)
            return true;
    }
    return false;
}

static void check_figure(struct figure_check *fc, const char *f, size_t n, const char *line,
                         size_t len)
{
    char fig[32];
    snprintf(fig, sizeof fig, "%.*s", (int)(n < 31 ? n : 31), f);
    if (!in_corpus(fc->corpus, fig)) {
        print_error("%s: the figure %s (in \"%.*s\") is in no committed result\n", fc->doc, fig,
                    (int)(len < 100 ? len : 100), line);
        fc->missing++;
    }
}

/* A figure of prose: a decimal number with a unit, or both ends of a
 * min-max range "(lo-hi". Inline code is not prose. */
static void check_line_figures(const char *line, size_t len, bool in_table, void *ctx)
{
    struct figure_check *fc = ctx;
    if (in_table)
        return;
    const char *end = line + len;
    bool code = false, decimal;
    for (const char *p = line; p < end; p++) {
        if (*p == '`')
            code = !code;
        if (code)
            continue;
        size_t lo, hi;
        if (*p == '(' && (lo = number_at(p + 1, end, &decimal)) > 0 && p[1 + lo] == '-' &&
            (hi = number_at(p + 2 + lo, end, &decimal)) > 0) {
            check_figure(fc, p + 1, lo, line, len);
            check_figure(fc, p + 2 + lo, hi, line, len);
            p += 1 + lo + hi;
            continue;
        }
        if (!isdigit((unsigned char)*p) ||
            (p > line && (isalnum((unsigned char)p[-1]) || strchr("._-/", p[-1]))))
            continue;
        size_t n = number_at(p, end, &decimal);
        if (n > 0 && decimal && unit_follows(p + n, end))
            check_figure(fc, p, n, line, len);
        while (p + 1 < end && (isalnum((unsigned char)p[1]) || p[1] == '.' || p[1] == ','))
            p++; /* past the token (a version, an address, a word) */
    }
}

/* Every figure written in prose, outside the generated tables, is one of
 * theirs or one of the committed results' text files. */
static void prose_figures_are_in_results(void **state)
{
    (void)state;
    struct corpus c = { 0 };
    char *texts[MAX_DOCS];
    for (size_t i = 0; i < n_docs; i++) {
        texts[i] = harness_read_text(doc_paths[i]);
        assert_non_null(texts[i]);
        for_each_line(texts[i], collect_tables, &c);
    }
    corpus_add_results(&c, "bench/results");
    assert_non_null(c.text);
    int missing = 0;
    for (size_t i = 0; i < n_docs; i++) {
        struct figure_check fc = { doc_paths[i], &c, 0 };
        for_each_line(texts[i], check_line_figures, &fc);
        missing += fc.missing;
        free(texts[i]);
    }
    free(c.text);
    assert_int_equal(missing, 0);
}

/* ---- the examples of the documents ---- */

/* One fenced block of a document: its info string ("sh", "sh run", "json
 * ricochet-relay") and its text, continuation lines joined. */
struct block {
    char info[64];
    char text[8192];
};

/* The next fenced block of text after *at (advanced past it); false at
 * the end. */
static bool next_block(const char **at, struct block *b)
{
    const char *open = *at;
    while ((open = strstr(open, "```")) != NULL && open != *at && open[-1] != '\n')
        open += 3;
    if (!open)
        return false;
    const char *info_end = strchr(open, '\n');
    const char *close = info_end ? strstr(info_end, "\n```") : NULL;
    if (!close)
        return false;
    snprintf(b->info, sizeof b->info, "%.*s", (int)(info_end - open - 3), open + 3);
    size_t o = 0;
    for (const char *p = info_end + 1; p < close + 1 && o + 1 < sizeof b->text; p++) {
        if (p[0] == '\\' && p[1] == '\n') { /* "\<newline>    " continues the line */
            for (p += 2; *p == ' '; p++)
                ;
            p--;
            continue;
        }
        b->text[o++] = *p;
    }
    b->text[o] = '\0';
    *at = close + 4;
    return true;
}

/* "$RICOCHET_BIN/prog", absolute (commands run in a scratch folder). */
static void program_path(const char *prog, size_t len, char *out, size_t cap)
{
    const char *bin = getenv("RICOCHET_BIN");
    char cwd[512] = "";
    bin = bin ? bin : "build/asan/bin";
    if (bin[0] != '/')
        assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(out, cap, "%s%s%s/%.*s", cwd, cwd[0] ? "/" : "", bin, (int)len, prog);
}

/* Checks one command of a document: "build/bin/ricochet-X ARGS" (up to a
 * pipe, a ';', a '&' or a comment) is run in dir with --check added, or as
 * it is for ricochet-ticket keygen. Returns 1 if it fails, else 0. */
static int check_command(const char *doc, const char *dir, const char *line)
{
    const char *p = strstr(line, "build/bin/ricochet-");
    if (!p || (p > line && p[-1] != ' ' && p[-1] != '(' && p[-1] != '$'))
        return 0;
    p += strlen("build/bin/");
    size_t prog_len = strcspn(p, " \n");
    size_t args_len = strcspn(p + prog_len, "|;&#\n");
    char bin[1024], cmd[4096];
    program_path(p, prog_len, bin, sizeof bin);
    bool keygen = strstr(p + prog_len, " keygen ") == p + prog_len;
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s'%.*s%s >/dev/null 2>err.txt",
             dir, bin, (int)args_len, p + prog_len, keygen ? "" : " --check");
    int rc = system(cmd);
    if (rc == 0)
        return 0;
    char err_path[600];
    snprintf(err_path, sizeof err_path, "%s/err.txt", dir);
    char *err = harness_read_text(err_path);
    print_error("%s: the command '%.*s' fails (%d): %s", doc, (int)(prog_len + args_len), p,
                rc, err ? err : "");
    free(err);
    return 1;
}

/* A config example ("```json ricochet-relay"): the program takes it. */
static int check_config(const char *doc, const char *dir, const struct block *b)
{
    const char *prog = b->info + strlen("json ");
    char path[600], line[700];
    snprintf(path, sizeof path, "%s/example.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(b->text, f);
    fclose(f);
    snprintf(line, sizeof line, "build/bin/%s --config example.json", prog);
    return check_command(doc, dir, line);
}

/* A Prometheus configuration example ("```yaml prometheus"): promtool
 * takes it. */
static int check_prometheus(const char *doc, const char *dir, const struct block *b)
{
    char path[600], cmd[1400];
    snprintf(path, sizeof path, "%s/prometheus.yml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(b->text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "promtool check config '%s' >'%s/err.txt' 2>&1", path, dir);
    if (system(cmd) == 0)
        return 0;
    snprintf(path, sizeof path, "%s/err.txt", dir);
    char *err = harness_read_text(path);
    print_error("%s: promtool does not take the example:\n%s%s", doc, b->text, err ? err : "");
    free(err);
    return 1;
}

/* A block marked "sh run" is run as it is (short, self-contained
 * commands), with build/bin/ standing for $RICOCHET_BIN/. */
static int run_block(const char *doc, const char *dir, const struct block *b)
{
    char script[600], bin[1024], cmd[2048];
    snprintf(script, sizeof script, "%s/block.sh", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    program_path("", 0, bin, sizeof bin);
    for (const char *p = b->text; *p;) {
        const char *at = strstr(p, "build/bin/");
        if (!at) {
            fputs(p, f);
            break;
        }
        fprintf(f, "%.*s%s", (int)(at - p), p, bin);
        p = at + strlen("build/bin/");
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout 120 sh -e block.sh >/dev/null 2>&1", dir);
    if (system(cmd) == 0)
        return 0;
    print_error("%s: the runnable block fails:\n%s", doc, b->text);
    return 1;
}

/* Every command of the documents that runs a ricochet program takes its
 * options (--check), every config example is taken by its program, and
 * the blocks marked "sh run" run. */
static void examples_work(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-doc-examples-XXXXXX", cwd[512], link[600];
    assert_non_null(mkdtemp(dir));
    /* a command's examples/ (--script-dir examples/scripts) is the checkout's, as a
     * reader in it runs the command */
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(link, sizeof link, "%s/examples", dir);
    strncat(cwd, "/examples", sizeof cwd - strlen(cwd) - 1);
    assert_int_equal(symlink(cwd, link), 0);
    int failed = 0, commands = 0, configs = 0, runs = 0;
    for (size_t i = 0; i < n_docs; i++) {
        if (strncmp(doc_paths[i], "proto/", 6) == 0)
            continue;
        char *text = harness_read_text(doc_paths[i]);
        assert_non_null(text);
        const char *at = text;
        static struct block b;
        while (next_block(&at, &b)) {
            if (!strncmp(b.info, "json ricochet-", 14) || !strcmp(b.info, "yaml prometheus")) {
                failed += b.info[0] == 'j' ? check_config(doc_paths[i], dir, &b)
                                           : check_prometheus(doc_paths[i], dir, &b);
                configs++;
                continue;
            }
            if (strncmp(b.info, "sh", 2) != 0)
                continue;
            if (!strcmp(b.info, "sh run")) {
                failed += run_block(doc_paths[i], dir, &b);
                runs++;
            }
            char *save = NULL;
            for (char *l = strtok_r(b.text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                commands += strstr(l, "build/bin/ricochet-") != NULL;
                failed += check_command(doc_paths[i], dir, l);
            }
        }
        free(text);
    }
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    assert_true(commands > 10 && configs >= 2 && runs >= 1);
    assert_int_equal(failed, 0);
}

/* Runs .ci/deps with PATH holding only links to the tools it may use (no
 * dpkg, no apt-get) and env prepended ("" for none); returns its exit
 * status, its stderr in err. */
static int deps_without_apt(const char *env, char *err, size_t cap)
{
    char dir[] = "/tmp/ricochet-deps-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "for t in sh cc make pkg-config; do p=$(command -v $t) && ln -s \"$p\" %s/$t; done; "
             "%s PATH=%s .ci/deps 2>&1 >/dev/null; echo \"rc=$?\"; rm -rf %s",
             dir, env, dir, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(err, 1, cap - 1, p);
    err[len] = '\0';
    pclose(p);
    const char *rc = strstr(err, "rc=");
    assert_non_null(rc);
    return atoi(rc + 3);
}

/* proto/PROTOCOL.md is long: its contents list every section (## and ###)
 * by its anchor, so a reader finds one and a new section is not left out. */
static void protocol_contents_complete(void **state)
{
    (void)state;
    char *text = harness_read_text("proto/PROTOCOL.md");
    assert_non_null(text);
    assert_non_null(strstr(text, "\n## Contents\n"));
    int missing = 0;
    bool fenced = false;
    for (const char *line = text; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= 3 && strncmp(line, "```", 3) == 0)
            fenced = !fenced;
        size_t hashes = 0;
        while (hashes < len && line[hashes] == '#')
            hashes++;
        if (!fenced && (hashes == 2 || hashes == 3) && hashes < len && line[hashes] == ' ' &&
            strncmp(line, "## Contents", len) != 0) {
            char slug[256], link[300];
            heading_slug(line + hashes + 1, len - hashes - 1, slug, sizeof slug);
            snprintf(link, sizeof link, "](#%s)", slug);
            if (!strstr(text, link)) {
                print_error("proto/PROTOCOL.md: %.*s is not in its contents\n", (int)len, line);
                missing++;
            }
        }
        if (!end)
            break;
        line = end + 1;
    }
    free(text);
    assert_int_equal(missing, 0);
}

/* Writes text to dir/name. */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* docs/tables/tests.md's table of test binaries is generated (tables_match_results
 * checks it is today's): a row a tests/test_*.c, its opener's words, unit
 * tests then end-to-end ones, each by name. A short opener is a short row,
 * one without the file's name as its start is taken whole, a file without
 * an opener still gets its row, and a '|' cannot break the table. */
static void tests_table_from_openers(void **state)
{
    (void)state;
    char *doc = harness_read_text("docs/tables/tests.md");
    assert_non_null(doc);
    assert_non_null(strstr(doc, "<!-- table tests -->\n| binary | what it checks |"));
    free(doc);
    char dir[] = "/tmp/ricochet-tests-map-XXXXXX", cmd[600], text[4096];
    assert_non_null(mkdtemp(dir));
    write_file(dir, "test_short.c", "/* test_short.c: x. */\nint x;\n");
    write_file(dir, "test_bare.c", "#include <stdio.h>\n/* not an opener */\n");
    write_file(dir, "test_e2e_long.c", "/* the relay, end to end: a | b,\n *   and  more\n"
                                       " * words. */\n/* tests/run: alone */\n");
    write_file(dir, "test_apart.h", "/* test_apart.h: not a test binary */\n");
    snprintf(cmd, sizeof cmd, "sh docs/tables/tests_map.sh %s", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(text, 1, sizeof text - 1, p);
    text[len] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_string_equal(text, "| binary | what it checks |\n|---|---|\n"
                              "| **unit (one per module, in one process)** | |\n"
                              "| `test_bare` | (no opening comment) |\n"
                              "| `test_short` | x. |\n"
                              "| **end to end (the programs over 127.0.0.1)** | |\n"
                              "| `test_e2e_long` | the relay, end to end: a \\| b, and more words. |\n");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* The quick start's promise: with every library there (pkg-config says so)
 * nothing asks for dpkg or apt-get; with one missing and no apt-get, one
 * line names it. */
static void deps_found_without_apt(void **state)
{
    (void)state;
    char err[4096];
    int rc = deps_without_apt("", err, sizeof err);
    if (rc != 0)
        fail_msg(".ci/deps failed on a machine with every library but no apt:\n%s", err);
    rc = deps_without_apt("PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH=", err, sizeof err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "libenet-dev"));
    assert_null(strstr(err, "apt-get: not found"));
}

/* ---- the libraries the build needs, named alike everywhere ---- */

/* The Debian package of each pkg-config module the Makefile links (wslay
 * has no .pc file: the Makefile links it by name, under the same name). */
static const struct {
    const char *module, *package;
} library_packages[] = {
    {"libenet", "libenet-dev"},       {"libcjson", "libcjson-dev"},
    {"ncursesw", "libncurses-dev"},   {"libpcap", "libpcap-dev"},
    {"libsodium", "libsodium-dev"},   {"libmicrohttpd", "libmicrohttpd-dev"},
    {"hiredis", "libhiredis-dev"},    {"usrsctp", "libusrsctp-dev"},
    {"openssl", "libssl-dev"},        {"wslay", "libwslay-dev"},
    {"cmocka", "libcmocka-dev"},
    {"libngtcp2", "libngtcp2-dev"},   {"libngtcp2_crypto_gnutls", "libngtcp2-crypto-gnutls-dev"},
    {"gnutls", "libgnutls28-dev"},    {"libnghttp3", "libnghttp3-dev"},
    {"libcurl", "libcurl4-gnutls-dev"}, {"lua5.4", "liblua5.4-dev"},
};
#define LIBRARIES_MAX 32

struct names {
    char name[LIBRARIES_MAX][48];
    size_t n;
};

static void names_add(struct names *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->name[i]) == len && strncmp(s->name[i], name, len) == 0)
            return;
    assert_true(s->n < LIBRARIES_MAX && len < sizeof s->name[0]);
    snprintf(s->name[s->n++], sizeof s->name[0], "%.*s", (int)len, name);
}

static bool names_have(const struct names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return true;
    return false;
}

/* Every word "lib...-dev" of text[0..len) (in backticks or not). */
static void dev_packages(const char *text, size_t len, struct names *out)
{
    for (const char *p = text; p < text + len && (p = strstr(p, "lib")) && p < text + len; p++) {
        if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
            continue;
        size_t n = 0;
        while (p + n < text + len &&
               (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '.'))
            n++; /* a Debian name may hold a dot (liblua5.4-dev) */
        while (n && p[n - 1] == '.')
            n--; /* ... a sentence's full stop is not one */
        if (n > 7 && strncmp(p + n - 4, "-dev", 4) == 0)
            names_add(out, p, n);
        p += n ? n - 1 : 0;
    }
}

/* The Debian packages of the modules of every X_PKGS line of the Makefile. */
static void makefile_packages(struct names *out)
{
    char *mk = harness_read_text("Makefile");
    assert_non_null(mk);
    for (char *line = strstr(mk, "_PKGS := "); line; line = strstr(line + 1, "_PKGS := ")) {
        const char *p = line + 9;
        for (;;) {
            while (*p == ' ' || *p == '\\' || *p == '\n')
                if (*p++ == '\n' && p[-2] != '\\')
                    goto next;
            size_t n = strcspn(p, " \\\n");
            if (n == 0)
                break;
            if (*p == '$') { /* another X_PKGS's modules: read where it is set */
                p += n;
                continue;
            }
            size_t k = 0, count = sizeof library_packages / sizeof library_packages[0];
            while (k < count && (strlen(library_packages[k].module) != n ||
                                 strncmp(library_packages[k].module, p, n) != 0))
                k++;
            if (k == count)
                fail_msg("the Makefile links the module %.*s: name its Debian package in "
                         "test_e2e_docs, in README.md's requirements and in .ci/deps",
                         (int)n, p);
            names_add(out, library_packages[k].package, strlen(library_packages[k].package));
            p += n;
        }
    next:;
    }
    free(mk);
}

/* README.md's requirements name the Debian package of every library the
 * Makefile links, and .ci/deps installs exactly those (its base list,
 * what building needs), no more and no fewer. */
static void requirements_name_every_library(void **state)
{
    (void)state;
    struct names linked = {0}, readme = {0}, deps = {0};
    makefile_packages(&linked);
    char *text = harness_read_text("README.md"), *ci = harness_read_text(".ci/deps");
    assert_non_null(text);
    assert_non_null(ci);
    const char *req = strstr(text, "**Requirements.**"), *end = req ? strstr(req, "\n\n") : NULL;
    assert_non_null(end);
    dev_packages(req, (size_t)(end - req), &readme);
    const char *pkgs = strstr(ci, "\npkgs=\""), *close = pkgs ? strchr(pkgs + 7, '"') : NULL;
    assert_non_null(close);
    dev_packages(pkgs, (size_t)(close - pkgs), &deps);
    int missing = 0;
    for (size_t i = 0; i < linked.n; i++) {
        if (!names_have(&readme, linked.name[i]) && ++missing)
            print_error("README.md's requirements do not name %s\n", linked.name[i]);
        if (!names_have(&deps, linked.name[i]) && ++missing)
            print_error(".ci/deps does not install %s\n", linked.name[i]);
    }
    for (size_t i = 0; i < readme.n; i++)
        if (!names_have(&linked, readme.name[i]) && ++missing)
            print_error("README.md's requirements name %s, which nothing links\n",
                        readme.name[i]);
    for (size_t i = 0; i < deps.n; i++)
        if (!names_have(&linked, deps.name[i]) && ++missing)
            print_error(".ci/deps installs %s, which nothing links\n", deps.name[i]);
    assert_int_equal(missing, 0);
    assert_true(linked.n >= 11);
    free(text);
    free(ci);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_checker_finds_broken_links),
        cmocka_unit_test(relative_links_resolve),
        cmocka_unit_test(readme_maps_docs),
        cmocka_unit_test(keys_in_clients_doc),
        cmocka_unit_test(requirements_and_threat_model_first),
        cmocka_unit_test(no_lab_notebook),
        cmocka_unit_test(tables_match_results),
        cmocka_unit_test(tables_show_the_reference_where_records_have_it),
        cmocka_unit_test(examples_work),
        cmocka_unit_test(prose_figures_are_in_results),
        cmocka_unit_test(deps_found_without_apt),
        cmocka_unit_test(requirements_name_every_library),
        cmocka_unit_test(tests_table_from_openers),
        cmocka_unit_test(protocol_contents_complete),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
