/* test_e2e_layout.c: the source tree keeps the shape a maintainer navigates
 * by: a file a concern, includes from the top, no cycles between files or
 * folders, no long functions, private headers kept private, every file opening
 * with what it holds. */
/* A file holds one object or one concern, whatever its length (past
 * about 1,000 lines is a prompt to look, not a rule); a header includes
 * what it needs at its top, never a part of its own after its first
 * declaration (a module's public header is one file), and names a header
 * of another folder from the top ("proto/wire.h", never "../"); no function is over
 * 80 lines (as universal-ctags counts them: ctags --fields=+ne); no two files and no
 * two folders include each other, even through others; no two files call
 * each other, even through others (a function or a table of one used by
 * another, as the objects' symbol tables say: nm on the objects beside
 * $RICOCHET_BIN); the product's folders never include the lab's
 * (docs/design.md, "Where things go"); no production file includes
 * another component's private header; every production file opens with a
 * comment (the Python binding's modules with a docstring, the C# binding's
 * files with a // comment, each binding a folder of files); test cases are
 * named without a "test_" prefix (the binary's name says that already). Run from the top of the repository,
 * after the build.
 *
 * A component is a folder (relay/core, relay/quic, client, client/swarm,
 * bench, lesson, harness, ...); its public headers are those other
 * components are meant to include (client/lib/ricochet.h, and client/lib/client.h,
 * the library's API for ricochet's own tools). A header is private to its
 * folder, included only by the files in it and in the folders below it
 * (client/lib/transports/ includes client/lib's), when its name ends in
 * _internal.h or _internals.h (client/lib/client_internal.h,
 * bench/run_internal.h, relay/enet/enet_internals.h), or private_homes
 * below names it or its folder. Tests may include any header: they test
 * the insides. */
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
#include <unistd.h>

#include "lab/harness/spawn.h"
#include "tests/support/harness.h"

#define FILE_LINES_MAX 700
#define MAIN_LINES_MAX 300 /* a program's X_main.c: options, the loop, little else */
#define FUNCTION_LINES_MAX 80
#define FILES_MAX 1024

struct tree {
    char *path[FILES_MAX]; /* production .c, .h and .js files, "relay/core/peers.c" */
    size_t n;
};

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The JavaScript a page or the npm package runs (client/js/, lab/lesson/):
 * held to the C's opening comment. Not its tests
 * (client/js/test/), nor the bench's Node peers. */
static bool production_js(const char *path)
{
    return has_suffix(path, ".js") &&
           (strncmp(path, "client/js/", 10) == 0 || strncmp(path, "lab/lesson/", 11) == 0);
}

/* Adds the .c and .h files under dir ("" = the top) and the production
 * JavaScript, skipping tests/, build/, client/js/test/, node_modules/ and
 * hidden folders. */
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
            if (strcmp(e->d_name, "node_modules") != 0 && strcmp(path, "client/js/test") != 0)
                walk(t, path);
        } else if (has_suffix(path, ".c") || has_suffix(path, ".h") || production_js(path)) {
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

/* The line of text's first #include that comes after a declaration (a
 * line that is neither blank, a comment nor a preprocessor line), or 0. */
static size_t late_include(const char *text)
{
    bool comment = false, declared = false;
    size_t line = 0;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        line++;
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t'))
            q++;
        bool blank = q == p + len;
        if (comment) {
            comment = !memmem(q, (size_t)(p + len - q), "*/", 2);
        } else if (strncmp(q, "/*", 2) == 0) {
            comment = !memmem(q + 2, (size_t)(p + len - q - 2), "*/", 2);
        } else if (strncmp(q, "#include", 8) == 0) {
            if (declared)
                return line;
        } else if (!blank && *q != '#' && strncmp(q, "//", 2) != 0) {
            declared = true;
        }
        p += len + (end != NULL);
    }
    return 0;
}

/* A header is one file read top to bottom: what it includes stands at its
 * top, so a module's parts are never spliced into the middle of it. */
static void headers_include_at_their_top(void **state)
{
    (void)state;
    struct tree t;
    tree_load(&t);
    int late = 0, headers = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (!has_suffix(t.path[i], ".h"))
            continue;
        headers++;
        char *text = read_text(t.path[i]);
        size_t line = late_include(text);
        if (line) {
            print_error("%s:%zu: an #include after the header's first declaration\n",
                        t.path[i], line);
            late++;
        }
        free(text);
    }
    tree_free(&t);
    assert_true(headers >= 50); /* the headers were read */
    /* The rule itself, on a header that splices a part in. */
    assert_int_equal(late_include("/* x.h */\n#include <a.h>\nint f(void);\n"
                                  "#include \"x_part.h\"\n"), 4);
    assert_int_equal(late_include("/* x.h: #include in words */\n#include <a.h>\n"
                                  "/* int f(void); */\n#include <b.h>\nint f(void);\n"), 0);
    assert_int_equal(late, 0);
}

/* The files of a binding's folder dir whose names end in suffix that do
 * not open with opening (a Python docstring, a C# comment), each said;
 * how many of them there are into *files. */
static int bindings_bare(const char *dir, const char *suffix, const char *opening,
                         int *files)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int bare = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = read_text(path);
        (*files)++;
        if (strncmp(text, opening, strlen(opening)) != 0) {
            print_error("%s: opens with no %s saying what it holds\n", path, opening);
            bare++;
        }
        free(text);
    }
    closedir(d);
    return bare;
}

/* Every production file opens with a comment saying what it holds: the
 * first thing a reader meets, and what the docs' map of files is read
 * against; the Python binding's modules with a docstring, the C# binding's
 * files with a // comment. */
static void files_open_with_what_they_hold(void **state)
{
    (void)state;
    struct tree t;
    tree_load(&t);
    int bare = 0;
    for (size_t i = 0; i < t.n; i++) {
        char *text = read_text(t.path[i]);
        if (strncmp(text, "/*", 2) != 0) {
            print_error("%s: opens with no comment saying what it holds\n", t.path[i]);
            bare++;
        }
        free(text);
    }
    tree_free(&t);
    int python = 0, csharp = 0;
    bare += bindings_bare("client/python/ricochet", ".py", "\"\"\"", &python);
    bare += bindings_bare("client/csharp/Ricochet", ".cs", "//", &csharp);
    assert_true(python > 1 && csharp > 1); /* the bindings a folder of files each */
    assert_int_equal(bare, 0);
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
    size_t climbs; /* includes that climb ("../"): they name the path from the top */
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

/* The file an #include "rel" of a file in dir names, as the compiler finds
 * it: beside the file, else from the top (-iquote .), into buf. */
static void resolve(const char *dir, const char *rel, char *buf, size_t cap)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s%s%s", dir, dir[0] ? "/" : "", rel);
    if (access(tmp, F_OK) != 0)
        snprintf(tmp, sizeof tmp, "%s", rel);
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
            if (strstr(rel, "../") && !by_folder) {
                print_error("%s includes \"%s\": name it from the top\n", t->path[i], rel);
                g->climbs++;
            }
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
        size_t climbs = g.climbs;
        graph_free(&g);
        assert_false(cycle);
        assert_int_equal(climbs, 0);
    }
    tree_free(&t);
}

/* The two wings (docs/design.md, "Where things go"): the product, what a
 * game or an operator runs, never includes the lab, what measures, teaches
 * and tests it. The lab may include the product. */
static const char *const product_wing[] = {"proto/", "stats/", "sys/", "rtc/", "relay/",
                                           "fleet/", "ticket/", "client/", NULL};
static const char *const lab_wing[] = {"lab/", "bench/", "tests/", "examples/", NULL};

static bool in_wing(const char *path, const char *const *wing)
{
    for (size_t i = 0; wing[i]; i++)
        if (strncmp(path, wing[i], strlen(wing[i])) == 0)
            return true;
    return false;
}

static void product_never_includes_the_lab(void **state)
{
    (void)state;
    struct tree t;
    tree_load(&t);
    size_t product = 0, crossings = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (!in_wing(t.path[i], product_wing))
            continue;
        product++;
        char *text = read_text(t.path[i]), dir[512], rel[512], target[512];
        folder_of(t.path[i], dir, sizeof dir);
        for (char *p = strstr(text, "#include \""); p; p = strstr(p + 1, "#include \"")) {
            if (sscanf(p, "#include \"%511[^\"]\"", rel) != 1)
                continue;
            resolve(dir, rel, target, sizeof target);
            if (in_wing(target, lab_wing)) {
                print_error("%s includes %s: the product never includes the lab\n",
                            t.path[i], target);
                crossings++;
            }
        }
        free(text);
    }
    tree_free(&t);
    assert_true(product > 100); /* the walk found the product */
    assert_int_equal(crossings, 0);
}

/* Headers private to their folder besides *_internal.h and *_internals.h:
 * a path, or a folder ("bench/") whose every header is. */
static const char *const private_homes[] = {
    "relay/core/core.h",    /* the core's files' insides: others include relay.h, edge.h */
    "client/lib/client_test.h", /* libricochet's way in for tests and fuzz targets */
    "bench/",               /* ricochet-bench's own: what it shares is in lab/harness/ */
    "lab/lesson/",          /* ricochet-lesson's own */
    NULL};

/* Is header (a path from the top) private to its folder? */
static bool header_private(const char *header)
{
    char dir[512];
    if (has_suffix(header, "_internal.h") || has_suffix(header, "_internals.h"))
        return true;
    folder_of(header, dir, sizeof dir);
    strcat(dir, "/");
    for (size_t i = 0; private_homes[i]; i++)
        if (!strcmp(header, private_homes[i]) || !strcmp(dir, private_homes[i]))
            return true;
    return false;
}

static void private_headers_stay_home(void **state)
{
    (void)state;
    struct tree t;
    tree_load(&t);
    int strays = 0, private = 0;
    for (size_t i = 0; i < t.n; i++) {
        char *text = read_text(t.path[i]), dir[512], target[512], home[512];
        folder_of(t.path[i], dir, sizeof dir);
        for (char *p = strstr(text, "#include \""); p; p = strstr(p + 1, "#include \"")) {
            char rel[512];
            if (sscanf(p, "#include \"%511[^\"]\"", rel) != 1)
                continue;
            resolve(dir, rel, target, sizeof target);
            if (!header_private(target))
                continue;
            private++;
            folder_of(target, home, sizeof home);
            size_t k = strlen(home);
            if (strncmp(home, dir, k) != 0 || (dir[k] != '\0' && dir[k] != '/')) {
                print_error("%s includes %s, private to %s/\n", t.path[i], target, home);
                strays++;
            }
        }
        free(text);
    }
    tree_free(&t);
    assert_true(private > 20); /* the rule sees the private headers it is about */
    assert_int_equal(strays, 0);
}

/* ---- calls: the objects' symbol tables ---- */

/* A global symbol and the file whose object defines it. */
struct symbol {
    const char *name;
    size_t node;
};

static int symbol_cmp(const void *a, const void *b)
{
    return strcmp(((const struct symbol *)a)->name, ((const struct symbol *)b)->name);
}

/* What nm -A says of every object beside RICOCHET_BIN (build/asan/obj for
 * build/asan/bin) but the tests' and generated ones: "OBJ/x/y.o:ADDR T
 * name" or "OBJ/x/y.o:   U name" (the caller frees); obj gets the folder. */
static char *symbol_tables(char *obj, size_t cap)
{
    snprintf(obj, cap, "%s", harness_bin_dir());
    char *slash = strrchr(obj, '/');
    snprintf(slash ? slash + 1 : obj, cap - (size_t)(slash ? slash + 1 - obj : 0), "obj");
    char not_tests[600], not_gen[600];
    snprintf(not_tests, sizeof not_tests, "%s/tests/*", obj);
    snprintf(not_gen, sizeof not_gen, "%s/gen/*", obj);
    const char *args[] = {obj, "-name", "*.o", "-not", "-path", not_tests, "-not", "-path",
                          not_gen, "-exec", "nm", "-A", "{}", "+", NULL};
    struct spawn_proc p;
    char why[256];
    if (spawn_start(&p, "/usr/bin", "find", args, why, sizeof why) != 0)
        fail_msg("find: %s", why);
    assert_int_equal(spawn_stop(&p, 0, 60000), 0);
    char *out = spawn_read_stdout(&p);
    spawn_free(&p);
    assert_non_null(out);
    return out;
}

/* One line of nm -A: the source file of its object (into src; false for an
 * object whose source is gone, left by a file since moved), the symbol's
 * type letter and its name. */
static bool symbol_line(char *line, const char *obj, char *src, size_t cap, char *type,
                        char **name)
{
    char *colon = strstr(line, ".o:");
    char *space = strrchr(line, ' ');
    size_t skip = strlen(obj) + 1;
    if (!colon || !space || space < colon + 3 || space - line < 2 ||
        (size_t)(colon - line) <= skip)
        return false;
    *colon = '\0';
    snprintf(src, cap, "%s.c", line + skip);
    *type = space[-1];
    *name = space + 1;
    return access(src, F_OK) == 0;
}

/* The call graph between the tree's files (g) from the symbol tables: a
 * edge a -> b when a's object uses a global symbol b's defines. Returns
 * the number of objects read. */
static size_t calls_load(struct graph *g)
{
    char obj[512], src[600];
    char *out = symbol_tables(obj, sizeof obj);
    memset(g, 0, sizeof *g);
    g->edge = calloc((size_t)FILES_MAX * FILES_MAX, sizeof *g->edge);
    struct symbol *defs = calloc(1 << 16, sizeof *defs), *uses = calloc(1 << 16, sizeof *uses);
    assert_true(g->edge && defs && uses);
    size_t n_defs = 0, n_uses = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char type, *name;
        if (!symbol_line(line, obj, src, sizeof src, &type, &name))
            continue;
        size_t node = node_of(g, src);
        assert_true(n_defs < (1 << 16) && n_uses < (1 << 16));
        if (type == 'U')
            uses[n_uses++] = (struct symbol){name, node};
        else if (strchr("TDBRC", type))
            defs[n_defs++] = (struct symbol){name, node};
    }
    qsort(defs, n_defs, sizeof *defs, symbol_cmp);
    for (size_t i = 0; i < n_uses; i++) {
        const struct symbol *d = bsearch(&uses[i], defs, n_defs, sizeof *defs, symbol_cmp);
        if (d && d->node != uses[i].node)
            g->edge[uses[i].node * FILES_MAX + d->node] = true;
    }
    free(defs);
    free(uses);
    free(out);
    return g->n;
}

/* Tarjan's strongly connected components: the groups of files that reach
 * each other through calls. Each group of two or more gets one number in
 * group[] (0: none); returns how many there are. */
struct tarjan {
    const struct graph *g;
    int index[FILES_MAX], low[FILES_MAX], group[FILES_MAX];
    size_t stack[FILES_MAX], depth;
    bool on_stack[FILES_MAX];
    int next, groups;
};

static void tarjan_visit(struct tarjan *t, size_t u)
{
    t->index[u] = t->low[u] = ++t->next;
    t->stack[t->depth++] = u;
    t->on_stack[u] = true;
    for (size_t v = 0; v < t->g->n; v++) {
        if (!t->g->edge[u * FILES_MAX + v])
            continue;
        if (!t->index[v]) {
            tarjan_visit(t, v);
            t->low[u] = t->low[v] < t->low[u] ? t->low[v] : t->low[u];
        } else if (t->on_stack[v] && t->index[v] < t->low[u]) {
            t->low[u] = t->index[v];
        }
    }
    if (t->low[u] != t->index[u])
        return;
    size_t first = t->depth;
    do
        t->on_stack[t->stack[--first]] = false;
    while (t->stack[first] != u);
    if (t->depth - first > 1) {
        t->groups++;
        for (size_t i = first; i < t->depth; i++)
            t->group[t->stack[i]] = t->groups;
    }
    t->depth = first;
}

static void calls_point_one_way(void **state)
{
    (void)state;
    struct graph g;
    assert_true(calls_load(&g) > 50); /* the build's objects were read */
    struct tarjan *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->g = &g;
    for (size_t u = 0; u < g.n; u++)
        if (!t->index[u])
            tarjan_visit(t, u);
    for (int k = 1; k <= t->groups; k++) {
        print_error("a cycle of calls between files:");
        for (size_t u = 0; u < g.n; u++)
            if (t->group[u] == k)
                print_error(" %s", g.node[u]);
        print_error("\n");
        for (size_t u = 0; u < g.n; u++)
            for (size_t v = 0; v < g.n; v++)
                if (t->group[u] == k && t->group[v] == k && g.edge[u * FILES_MAX + v])
                    print_error("  %s calls %s\n", g.node[u], g.node[v]);
    }
    int groups = t->groups;
    free(t);
    graph_free(&g);
    assert_int_equal(groups, 0);
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
        cmocka_unit_test(headers_include_at_their_top),
        cmocka_unit_test(files_open_with_what_they_hold),
        cmocka_unit_test(functions_are_short),
        cmocka_unit_test(includes_point_one_way),
        cmocka_unit_test(product_never_includes_the_lab),
        cmocka_unit_test(private_headers_stay_home),
        cmocka_unit_test(calls_point_one_way),
        cmocka_unit_test(case_names_have_no_test_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
