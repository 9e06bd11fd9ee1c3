/* test_e2e_layout.c: the source tree keeps the shape a maintainer navigates
 * by. Outside tests/, no .c file is over 700 lines and no function over 80
 * (as universal-ctags counts them: ctags --fields=+ne); no two files and no
 * two folders include each other, even through others; test cases are
 * named without a "test_" prefix (the binary's name says that already).
 * Run from the top of the repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/spawn.h"
#include "support/harness.h"

#define FILE_LINES_MAX 700
#define FUNCTION_LINES_MAX 80
#define FILES_MAX 1024

struct tree {
    char *path[FILES_MAX]; /* production .c and .h files, "relay/core/peers.c" */
    size_t n;
};

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Adds the .c and .h files under dir ("" = the top), skipping tests/,
 * build/ and hidden folders. */
static void walk(struct tree *t, const char *dir)
{
    DIR *d = opendir(dir[0] ? dir : ".");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (!dir[0] && (strcmp(e->d_name, "tests") == 0 ||
                                                strcmp(e->d_name, "build") == 0)))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s%s%s", dir, dir[0] ? "/" : "", e->d_name);
        if (e->d_type == DT_DIR) {
            walk(t, path);
        } else if (has_suffix(path, ".c") || has_suffix(path, ".h")) {
            assert_true(t->n < FILES_MAX);
            t->path[t->n++] = strdup(path);
        }
    }
    closedir(d);
}

static void tree_load(struct tree *t)
{
    memset(t, 0, sizeof *t);
    walk(t, "");
    assert_true(t->n > 50); /* run from the top of the repository */
}

static void tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->path[i]);
}

/* The whole file at path, NUL-terminated (the caller frees). */
static char *read_text(const char *path)
{
    char *text = harness_read_text(path);
    if (!text)
        fail_msg("cannot read %s", path);
    return text;
}

static void files_are_short(void **state)
{
    (void)state;
    struct tree t;
    tree_load(&t);
    int over = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (!has_suffix(t.path[i], ".c"))
            continue;
        char *text = read_text(t.path[i]);
        size_t lines = 0;
        for (const char *p = text; *p; p++)
            lines += *p == '\n';
        if (lines > FILE_LINES_MAX) {
            print_error("%s: %zu lines (at most %d)\n", t.path[i], lines, FILE_LINES_MAX);
            over++;
        }
        free(text);
    }
    tree_free(&t);
    assert_int_equal(over, 0);
}

static void functions_are_short(void **state)
{
    (void)state;
    const char *args[] = {"-R", "--languages=C", "--kinds-C=f", "--fields=+ne",
                          "--exclude=tests", "--exclude=build", "-o", "-", ".", NULL};
    struct spawn_proc p;
    char why[256];
    if (spawn_start(&p, "/usr/bin", "ctags-universal", args, why, sizeof why) != 0)
        fail_msg("ctags-universal (Debian: universal-ctags): %s", why);
    assert_int_equal(spawn_stop(&p, 0, 60000), 0);
    char *out = spawn_read_stdout(&p);
    spawn_free(&p);
    assert_non_null(out);
    /* name \t file \t pattern \t ... line:N ... end:M */
    int functions = 0, over = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        const char *l = strstr(line, "\tline:"), *e = strstr(line, "\tend:");
        if (!l || !e)
            continue;
        long length = atol(e + 5) - atol(l + 6) + 1;
        functions++;
        if (length > FUNCTION_LINES_MAX) {
            print_error("%.*s: %ld lines (at most %d)\n", (int)strcspn(line, "\t\n"), line,
                        length, FUNCTION_LINES_MAX);
            over++;
        }
    }
    free(out);
    assert_true(functions > 500); /* ctags read the sources */
    assert_int_equal(over, 0);
}

/* The tree's includes as a graph of nodes (files, or their folders). */
struct graph {
    char *node[FILES_MAX];
    size_t n;
    bool *edge; /* n_max x n_max: edge[a * FILES_MAX + b], a includes b */
};

static size_t node_of(struct graph *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->node[i], name) == 0)
            return i;
    assert_true(g->n < FILES_MAX);
    g->node[g->n] = strdup(name);
    return g->n++;
}

/* path's folder ("" at the top) into buf. */
static void folder_of(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    snprintf(buf, cap, "%.*s", slash ? (int)(slash - path) : 0, path);
}

/* dir + "/" + rel with "x/../" folded away, into buf. */
static void resolve(const char *dir, const char *rel, char *buf, size_t cap)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s%s%s", dir, dir[0] ? "/" : "", rel);
    char *part[64];
    size_t n = 0;
    for (char *s = strtok(tmp, "/"); s && n < 64; s = strtok(NULL, "/")) {
        if (strcmp(s, "..") == 0 && n > 0 && strcmp(part[n - 1], "..") != 0)
            n--;
        else if (strcmp(s, ".") != 0)
            part[n++] = s;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? "/" : "", part[i]);
}

/* Adds an edge for every #include "..." of the tree's files: between the
 * files, or (by_folder) between their folders when they differ. */
static void graph_load(struct graph *g, const struct tree *t, bool by_folder)
{
    memset(g, 0, sizeof *g);
    g->edge = calloc((size_t)FILES_MAX * FILES_MAX, sizeof *g->edge);
    assert_non_null(g->edge);
    for (size_t i = 0; i < t->n; i++) {
        char *text = read_text(t->path[i]), dir[512], target[512], a[512], b[512];
        folder_of(t->path[i], dir, sizeof dir);
        for (char *p = strstr(text, "#include \""); p; p = strstr(p + 1, "#include \"")) {
            char rel[512];
            if (sscanf(p, "#include \"%511[^\"]\"", rel) != 1)
                continue;
            resolve(dir, rel, target, sizeof target);
            snprintf(a, sizeof a, "%s", t->path[i]);
            snprintf(b, sizeof b, "%s", target);
            if (by_folder) {
                folder_of(t->path[i], a, sizeof a);
                folder_of(target, b, sizeof b);
                if (strcmp(a, b) == 0)
                    continue;
            }
            g->edge[node_of(g, a) * FILES_MAX + node_of(g, b)] = true;
        }
        free(text);
    }
}

static void graph_free(struct graph *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->node[i]);
    free(g->edge);
}

/* Depth-first search from u; returns true (printing the way) at a node on
 * the current path. state: 0 new, 1 on the path, 2 done. */
static bool on_cycle(const struct graph *g, size_t u, unsigned char *state)
{
    state[u] = 1;
    for (size_t v = 0; v < g->n; v++) {
        if (!g->edge[u * FILES_MAX + v])
            continue;
        if (state[v] == 1 || (state[v] == 0 && on_cycle(g, v, state))) {
            print_error("  %s includes %s\n", g->node[u], g->node[v]);
            return true;
        }
    }
    state[u] = 2;
    return false;
}

static void includes_point_one_way(void **state)
{
    (void)state;
    struct tree t;
    tree_load(&t);
    for (int by_folder = 0; by_folder < 2; by_folder++) {
        struct graph g;
        graph_load(&g, &t, by_folder);
        unsigned char seen[FILES_MAX] = {0};
        bool cycle = false;
        for (size_t u = 0; u < g.n && !cycle; u++)
            if (seen[u] == 0 && on_cycle(&g, u, seen))
                cycle = true;
        if (cycle)
            print_error("a cycle of %s (read upwards)\n", by_folder ? "folders" : "files");
        graph_free(&g);
        assert_false(cycle);
    }
    tree_free(&t);
}

static void case_names_have_no_test_prefix(void **state)
{
    (void)state;
    DIR *d = opendir("tests");
    assert_non_null(d);
    int files = 0, prefixed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0 || !has_suffix(e->d_name, ".c"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/%s", e->d_name);
        char *text = read_text(path);
        files++;
        for (char *p = strstr(text, "cmocka_unit_test"); p; p = strstr(p + 1, "cmocka_unit_test")) {
            char *open = strchr(p, '(');
            if (!open)
                break;
            open += strspn(open + 1, " \t\n") + 1;
            if (strncmp(open, "test_", 5) == 0) {
                print_error("%s: %.*s\n", path, (int)strcspn(open, ",)"), open);
                prefixed++;
            }
        }
        free(text);
    }
    closedir(d);
    assert_true(files > 20);
    assert_int_equal(prefixed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_are_short),
        cmocka_unit_test(functions_are_short),
        cmocka_unit_test(includes_point_one_way),
        cmocka_unit_test(case_names_have_no_test_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
