/* test_e2e_writers.c: each part of a struct the design names (docs/design.md,
 * "Who writes what") is written by one file. For every row of the table
 * below (a folder, a field, the one file allowed to write it), the files
 * of that folder that write the field are found by reading them: an
 * assignment to it or to anything inside it (`x->f =`, `x.f.g[i] +=`,
 * `++x->f`, `x->f--`), or a memset, memcpy, memmove, strcpy, strncpy or
 * snprintf into it; a second writer fails, as calls_point_one_way fails on
 * a back call. A write through a pointer taken elsewhere is not seen: an
 * owner hands its part to no one. Run from the top of the repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"

/* A part and its one writer. base: the name a pointer to the struct goes
 * by throughout the folder ("c" for struct ricochet), when the field's
 * name alone is not the struct's (NULL: any). */
struct part {
    const char *folder, *what, *base, *field, *writer;
};

static const struct part parts[] = {
    /* the relay's core: struct relay */
    {"relay/core", "struct relay: edges", NULL, "edges", "relay/core/relay.c"},
    {"relay/core", "struct relay: census", NULL, "census", "relay/core/peers.c"},
    {"relay/core", "struct relay: next_id", NULL, "next_id", "relay/core/join.c"},
    {"relay/core", "struct relay: kick", NULL, "kick", "relay/core/refusals.c"},
    {"relay/core", "struct relay: tickets", NULL, "tickets", "relay/core/tickets.c"},
    {"relay/core", "struct relay: sealing", NULL, "sealing", "relay/core/sealing.c"},
    {"relay/core", "struct relay: flow", NULL, "flow", "relay/core/state_flow.c"},
    {"relay/core", "struct relay and a peer: backlog", NULL, "backlog", "relay/core/backlog.c"},
    {"relay/core", "struct relay: listing", NULL, "listing", "relay/core/listing.c"},
    {"relay/core", "struct relay: join_cost", NULL, "join_cost", "relay/core/join_cost.c"},
    {"relay/core", "struct relay: holds", NULL, "holds", "relay/core/control_out.c"},
    {"relay/core", "struct relay and a peer: lobby", NULL, "lobby", "relay/core/lobby.c"},
    {"relay/core", "struct relay: spots", NULL, "spots", "relay/core/interest.c"},
    {"relay/core", "struct relay: fleet", NULL, "fleet", "relay/core/fleet_hooks.c"},
    {"relay/core", "struct relay_peer: errors", NULL, "errors", "relay/core/control_out.c"},
    {"relay/core", "struct relay_peer: ticket", NULL, "ticket", "relay/core/tickets.c"},
    /* the relay's core: a room's grid (its other fields rooms.c sets as it
     * makes and frees the room: not one writer) */
    {"relay/core", "struct relay_room: grid", NULL, "grid", "relay/core/interest.c"},
    /* the relay's core: struct relay_peer */
    {"relay/core", "struct relay_peer: limits", NULL, "limits", "relay/core/limits.c"},
    {"relay/core", "struct relay_peer: strikes", NULL, "strikes", "relay/core/refusals.c"},
    {"relay/core", "struct relay_peer: welcomes", NULL, "welcomes", "relay/core/join.c"},
    {"relay/core", "struct relay_peer: sight", NULL, "sight", "relay/core/interest.c"},
    /* libricochet: struct ricochet's parts and loose fields */
    {"client/lib", "struct ricochet: ends", "c", "ends", "client/lib/client_phase.c"},
    {"client/lib", "struct ricochet: move", "c", "move", "client/lib/client_phase.c"},
    {"client/lib", "struct ricochet: hold", "c", "hold", "client/lib/client_send.c"},
    {"client/lib", "struct ricochet: roster", "c", "roster", "client/lib/client_members.c"},
    {"client/lib", "struct ricochet: sync", "c", "sync", "client/lib/client_send.c"},
    {"client/lib", "struct ricochet: next_seq", "c", "next_seq", "client/lib/client_send.c"},
    {"client/lib", "struct ricochet: cookie", "c", "cookie", "client/lib/client_phase.c"},
    {"client/lib", "struct ricochet: next_join_us", "c", "next_join_us",
     "client/lib/client_phase.c"},
    {"client/lib", "struct ricochet: heard_us", "c", "heard_us", "client/lib/client_receive.c"},
    {"client/lib", "struct ricochet: inputs", "c", "inputs", "client/lib/client_receive.c"},
    {"client/lib", "struct ricochet: sent_us", "c", "sent_us", "client/lib/client_send.c"},
    /* the QUIC edge: a connection's life */
    {"relay/quic", "struct quic_conn: life", NULL, "life", "relay/quic/quic_life.c"},
};

static bool ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* text with its comments, strings and character constants blanked out
 * (newlines kept), so that only code is read. */
static void blank_non_code(char *text)
{
    for (char *p = text; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            end = end ? end + 2 : p + strlen(p);
            for (; p < end; p++)
                *p = *p == '\n' ? '\n' : ' ';
            p--;
        } else if (p[0] == '/' && p[1] == '/') {
            for (; *p && *p != '\n'; p++)
                *p = ' ';
            p--;
        } else if (*p == '"' || *p == '\'') {
            char quote = *p;
            for (p++; *p && *p != quote && *p != '\n'; p++) {
                if (*p == '\\' && p[1])
                    *p++ = ' ';
                *p = ' ';
            }
            if (!*p)
                break;
        }
    }
}

/* Past an lvalue's tail at p: `.f`, `->f`, `[...]` and spaces. */
static const char *skip_tail(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '.' || (p[0] == '-' && p[1] == '>')) {
            p += *p == '.' ? 1 : 2;
            while (*p == ' ')
                p++;
            while (ident_char(*p))
                p++;
        } else if (*p == '[') {
            int depth = 0;
            do
                depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
            while (*++p && depth > 0);
        } else {
            return p;
        }
    }
}

/* Back from the access at p (its `.` or `->`) to where its lvalue starts:
 * over names, `.`, `->` and `[...]`. */
static const char *lvalue_start(const char *text, const char *p)
{
    while (p > text) {
        const char *q = p - 1;
        if (ident_char(*q) || *q == '.') {
            p = q;
        } else if (*q == '>' && q > text && q[-1] == '-') {
            p = q - 1;
        } else if (*q == ']') {
            int depth = 0;
            do
                depth += *q == ']' ? 1 : *q == '[' ? -1 : 0;
            while (depth > 0 && q-- > text);
            p = q;
        } else {
            break;
        }
    }
    return p;
}

/* The name just before p, skipping spaces: into out (cap bytes). */
static void word_before(const char *text, const char *p, char *out, size_t cap)
{
    while (p > text && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n'))
        p--;
    const char *end = p;
    while (p > text && ident_char(p[-1]))
        p--;
    snprintf(out, cap, "%.*s", (int)(end - p), p);
}

/* Is the lvalue [start, tail) written: assigned, stepped, or the first
 * argument of a function that writes into it? */
static bool written(const char *text, const char *start, const char *tail)
{
    const char *op = tail;
    if ((op[0] == '+' && op[1] == '+') || (op[0] == '-' && op[1] == '-'))
        return true;
    if (op[0] == '=' && op[1] != '=')
        return true;
    if (strchr("+-*/%&|^", op[0]) && op[0] && op[1] == '=')
        return true;
    if ((!strncmp(op, "<<=", 3) || !strncmp(op, ">>=", 3)))
        return true;
    const char *b = start;
    while (b > text && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    if (b - text >= 2 && ((b[-1] == '+' && b[-2] == '+') || (b[-1] == '-' && b[-2] == '-')))
        return true;
    if (b > text && b[-1] == '&')
        b--;
    while (b > text && b[-1] == ' ')
        b--;
    if (b == text || b[-1] != '(' || *op != ',')
        return false;
    static const char *const fills[] = {"memset", "memcpy",  "memmove", "strcpy",
                                        "strncpy", "snprintf", NULL};
    char fn[32];
    word_before(text, b - 1, fn, sizeof fn);
    for (size_t i = 0; fills[i]; i++)
        if (!strcmp(fn, fills[i]))
            return true;
    return false;
}

/* How many times code (blanked: blank_non_code) writes p's field. */
static int writes_in(const char *code, const struct part *p)
{
    int n = 0;
    size_t k = strlen(p->field);
    for (const char *s = strstr(code, p->field); s; s = strstr(s + 1, p->field)) {
        if ((s > code && ident_char(s[-1])) || ident_char(s[k]))
            continue;
        const char *a = s;
        while (a > code && a[-1] == ' ')
            a--;
        bool arrow = a - code >= 2 && a[-1] == '>' && a[-2] == '-';
        if (!arrow && !(a > code && a[-1] == '.'))
            continue;
        const char *access = a - (arrow ? 2 : 1);
        if (p->base) {
            char base[64];
            word_before(code, access, base, sizeof base);
            const char *before = access - strlen(base);
            bool inner = before > code && (before[-1] == '.' || before[-1] == '>');
            if (strcmp(base, p->base) || inner) /* not x.c->f */
                continue;
        }
        if (written(code, lvalue_start(code, access), skip_tail(s + k)))
            n++;
    }
    return n;
}

/* Every .c and .h file under dir into paths (n of them, at most cap). */
static void list_sources(const char *dir, char **paths, size_t *n, size_t cap)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512];
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) {
            list_sources(path, paths, n, cap);
        } else if (len > 2 && e->d_name[len - 2] == '.' && strchr("ch", e->d_name[len - 1])) {
            assert_true(*n < cap);
            paths[(*n)++] = strdup(path);
        }
    }
    closedir(d);
}

/* The code of path, blanked (the caller frees). */
static char *code_of(const char *path)
{
    char *text = harness_read_text(path);
    if (!text)
        fail_msg("cannot read %s", path);
    blank_non_code(text);
    return text;
}

/* Each of lines (NULL-ended) writes p's field n times. */
static void expect_writes(const char *const *lines, const struct part *p, int n)
{
    for (size_t i = 0; lines[i]; i++) {
        char *code = strdup(lines[i]);
        blank_non_code(code);
        if (writes_in(code, p) != n)
            fail_msg("%s: not %d write(s) of %s", lines[i], n, p->field);
        free(code);
    }
}

/* The finder itself, on lines whose answer is known. */
static void finder_sees_writes_and_only_writes(void **state)
{
    (void)state;
    const struct part f = {"", "", NULL, "f", ""}, cf = {"", "", "c", "f", ""};
    static const char *const writes[] = {
        "x->f = 1;",          "x.f = 1;",           "x->f.g[i + 1] += 2;", "x->f <<= 1;",
        "++x->f;",            "x->a[2].f--;",       "r->peers[p].f.n++;", "memset(&x->f, 0, 4);",
        "memcpy(x->f.id, s, 8);", "snprintf(x->f, sizeof x->f, \"a\");", NULL};
    static const char *const reads[] = {
        "y = x->f;",           "if (x->f == 1) {}",     "g(x->f);", "memcpy(y, x->f, 8);",
        "y = x->f + 1;",       "x->ff = 1;",            "f = 1;",   "/* x->f = 1 */ y = 0;",
        "s = \"x->f = 1\";",   "a[x->f] = 1;",          "y += x->f.n;", NULL};
    expect_writes(writes, &f, 1);
    expect_writes(reads, &f, 0);
    char code[] = "c->f = 1; t->f = 2; x.c->f = 3;";
    assert_int_equal(writes_in(code, &cf), 1); /* by base: c's alone */
}

/* Each part of the table has its one writer, and it is seen writing. */
static void each_part_has_one_writer(void **state)
{
    (void)state;
    int strays = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const struct part *p = &parts[i];
        char *paths[512];
        size_t n = 0;
        list_sources(p->folder, paths, &n, 512);
        assert_true(n > 5); /* run from the top of the repository */
        int owner = 0;
        for (size_t j = 0; j < n; j++) {
            char *code = code_of(paths[j]);
            int w = writes_in(code, p);
            if (w && !strcmp(paths[j], p->writer)) {
                owner += w;
            } else if (w) {
                print_error("%s is written by %s (%d times), not only by %s\n", p->what,
                            paths[j], w, p->writer);
                strays++;
            }
            free(code);
            free(paths[j]);
        }
        if (!owner) {
            print_error("%s: %s is not seen writing it\n", p->what, p->writer);
            strays++;
        }
    }
    assert_int_equal(strays, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finder_sees_writes_and_only_writes),
        cmocka_unit_test(each_part_has_one_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
