/* test_e2e_docs.c: the documentation holds together. Every relative link in
 * README.md, docs/ and proto/ reaches a file that exists and, with an
 * #anchor, a heading of that file; the README's key table lists every key of
 * the terminal client's own help; nothing in the repository reads like a
 * lab notebook (how the software was written is not the software); and the
 * quick start's requirements hold (.ci/deps needs no apt when pkg-config
 * finds every library). */
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

#include "../client/tui/keys.h"

/* The whole file at path, NUL-terminated (the caller frees), or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

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
    char *text = read_text(path); /* a folder reads as empty: it only has to exist */
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
    char *text = read_text(doc_path);
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

/* The README's key table has a row for every key the client's own help
 * lists (keys.c), spelled the same: "| Ctrl-L | ...". */
static void keys_in_readme(void **state)
{
    (void)state;
    char *readme = read_text("README.md");
    assert_non_null(readme);
    size_t n;
    const struct keys_help_row *rows = keys_help(&n);
    assert_true(n > 5);
    for (size_t i = 0; i < n; i++) {
        char cell[64];
        snprintf(cell, sizeof cell, "\n| %s | ", rows[i].keys);
        if (!strstr(readme, cell))
            fail_msg("README.md's key table has no row '| %s |' (%s)", rows[i].keys,
                     rows[i].what);
    }
    free(readme);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_checker_finds_broken_links),
        cmocka_unit_test(relative_links_resolve),
        cmocka_unit_test(keys_in_readme),
        cmocka_unit_test(no_lab_notebook),
        cmocka_unit_test(deps_found_without_apt),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
