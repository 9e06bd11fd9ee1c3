/* test_e2e_writers.c: each part of a struct the design names (docs/design.md,
 * "Who writes what") is written by one file, and the compiler is what says so. */
/* A part is declared with its writer's mark (`BY_LIMITS_C struct
 * core_peer_limits limits;`), a macro its header defines as ONLY_ITS_WRITER
 * (sys/writer.h) unless the writer (limits.c) defined it empty before its
 * includes. In the writers check (make writers-check, which make all and
 * make tests run: every source compiled for its errors only with
 * -DRICOCHET_WRITERS_CHECK) that is const: in every other file a write to
 * the part, or to what its pointers point to, does not compile, nor does a
 * pointer taken of it that could write (a const discarded is an error,
 * WRITER_ERRORS in the Makefile). In the build that is linked it is
 * nothing: every file sees one type for each struct.
 *
 * compiler_refuses_a_stranger_writing proves the compiler bites: probes
 * compiled with the build's own compile line (flags.stamp beside
 * $RICOCHET_BIN) and the check's define that write a part from another
 * file (assigned, stepped, through a pointer taken of it, memcpy into it,
 * through a part's pointer) are refused for const, each probe compiled as
 * the writer is accepted, and each compiles without the define, as the
 * linked build sees it. What the compiler cannot see is read in the text: every part
 * of the table below is declared with its mark (each_part_carries_its_mark),
 * and each mark is defined empty by its writer alone, before its includes
 * (only_the_writer_lifts_a_mark): a file that defined another's mark would
 * write its part unseen. A cast that drops const is the one way left, and
 * no one writes it. Run from the top of the repository, after the build. */
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
#include <sys/wait.h>

#include "tests/support/harness.h"

/* A part: the header declaring it, its field, its mark and its writer;
 * decls: how many fields of that name the header marks (a relay's and a
 * peer's backlog). */
struct part {
    const char *header, *field, *mark, *writer;
    int decls;
};

#define CORE "relay/core/core.h"
#define ROOMS "relay/core/rooms_internal.h"
#define CLIENT "client/lib/client_internal.h"
static const struct part parts[] = {
    /* the relay's core: struct relay and a peer (struct relay_peer) */
    {CORE, "cfg", "BY_RELAY_C", "relay/core/relay.c", 1},
    {CORE, "edges", "BY_RELAY_C", "relay/core/relay.c", 1},
    {CORE, "reply_cap", "BY_RELAY_C", "relay/core/relay.c", 1},
    {CORE, "census", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "next_id", "BY_JOIN_C", "relay/core/join.c", 1},
    {CORE, "welcomes", "BY_JOIN_C", "relay/core/join.c", 1},
    {CORE, "kick", "BY_REFUSALS_C", "relay/core/refusals.c", 1},
    {CORE, "strikes", "BY_REFUSALS_C", "relay/core/refusals.c", 1},
    {CORE, "tickets", "BY_TICKETS_C", "relay/core/tickets.c", 1},
    {CORE, "ticket", "BY_TICKETS_C", "relay/core/tickets.c", 1},
    {CORE, "sealing", "BY_SEALING_C", "relay/core/sealing.c", 1},
    {CORE, "flow", "BY_STATE_FLOW_C", "relay/core/state_flow.c", 1},
    {CORE, "backlog", "BY_BACKLOG_C", "relay/core/backlog.c", 2},
    {CORE, "listing", "BY_LISTING_C", "relay/core/listing.c", 1},
    {CORE, "join_cost", "BY_JOIN_COST_C", "relay/core/join_cost.c", 1},
    {CORE, "holds", "BY_CONTROL_OUT_C", "relay/core/control_out.c", 1},
    {CORE, "errors", "BY_CONTROL_OUT_C", "relay/core/control_out.c", 1},
    {CORE, "json", "BY_CONTROL_OUT_C", "relay/core/control_out.c", 1},
    {CORE, "lobby", "BY_LOBBY_C", "relay/core/lobby.c", 2},
    {CORE, "spots", "BY_INTEREST_C", "relay/core/interest.c", 1},
    {CORE, "sight", "BY_INTEREST_C", "relay/core/interest.c", 1},
    {CORE, "fleet", "BY_FLEET_HOOKS_C", "relay/core/fleet_hooks.c", 1},
    {CORE, "limits", "BY_LIMITS_C", "relay/core/limits.c", 1},
    {CORE, "bans", "BY_LIMITS_C", "relay/core/limits.c", 1},
    {CORE, "lockstep", "BY_LOCKSTEP_C", "relay/core/lockstep.c", 2},
    /* a peer's connection and membership, its player, what it said */
    {CORE, "connected", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "counted", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "at", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "addr", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "source", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "outside_us", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "joined", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "reflect", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "id", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "room", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "mode", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "name", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "has_clock", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "clock_offset_us", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "clock_bound_us", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "parked", "BY_PEERS_C", "relay/core/peers.c", 1},
    {CORE, "key", "BY_JOIN_C", "relay/core/join.c", 1},
    {CORE, "player", "BY_JOIN_C", "relay/core/join.c", 1},
    {CORE, "listing_ask", "BY_LISTING_C", "relay/core/listing.c", 1},
    {CORE, "has_state", "BY_STATE_FLOW_C", "relay/core/state_flow.c", 1},
    {CORE, "last", "BY_STATE_FLOW_C", "relay/core/state_flow.c", 1},
    {CORE, "held_at", "BY_STATE_FLOW_C", "relay/core/state_flow.c", 1},
    /* the rooms' table, and a room's own fields */
    {ROOMS, "lockstep", "BY_LOCKSTEP_C", "relay/core/lockstep.c", 1},
    {ROOMS, "at", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "by_name", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "n", "BY_ROOMS_C", "relay/core/rooms.c", 2}, /* the rooms', a room's members */
    {ROOMS, "changes", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "used", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "name", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "members", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "changed", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "keep_members", "BY_ROOMS_C", "relay/core/rooms.c", 1},
    {ROOMS, "lease_until_us", "BY_FLEET_HOOKS_C", "relay/core/fleet_hooks.c", 1},
    {ROOMS, "kept_changed", "BY_FLEET_HOOKS_C", "relay/core/fleet_hooks.c", 1},
    {ROOMS, "states_in", "BY_STATE_FLOW_C", "relay/core/state_flow.c", 1},
    {ROOMS, "states_out", "BY_STATE_FLOW_C", "relay/core/state_flow.c", 1},
    {ROOMS, "grid", "BY_INTEREST_C", "relay/core/interest.c", 1},
    {ROOMS, "kept", "BY_KEPT_C", "relay/core/kept.c", 1},
    {ROOMS, "settings", "BY_ROOM_SETTINGS_C", "relay/core/room_settings.c", 1},
    {ROOMS, "hold_until_us", "BY_ROOM_STORE_C", "relay/core/room_store.c", 1},
    /* libricochet: struct ricochet's parts and loose fields */
    {CLIENT, "ends", "BY_CLIENT_PHASE_C", "client/lib/client_phase.c", 1},
    {CLIENT, "move", "BY_CLIENT_PHASE_C", "client/lib/client_phase.c", 1},
    {CLIENT, "cookie", "BY_CLIENT_PHASE_C", "client/lib/client_phase.c", 1},
    {CLIENT, "next_join_us", "BY_CLIENT_PHASE_C", "client/lib/client_phase.c", 1},
    {CLIENT, "hold", "BY_CLIENT_SEND_C", "client/lib/client_send.c", 1},
    {CLIENT, "sync", "BY_CLIENT_SEND_C", "client/lib/client_send.c", 1},
    {CLIENT, "next_seq", "BY_CLIENT_SEND_C", "client/lib/client_send.c", 1},
    {CLIENT, "sent_us", "BY_CLIENT_SEND_C", "client/lib/client_send.c", 1},
    {CLIENT, "roster", "BY_CLIENT_MEMBERS_C", "client/lib/client_members.c", 1},
    {CLIENT, "lockstep", "BY_CLIENT_LOCKSTEP_C", "client/lib/client_lockstep.c", 1},
    {CLIENT, "heard_us", "BY_CLIENT_RECEIVE_C", "client/lib/client_receive.c", 1},
    {CLIENT, "inputs", "BY_CLIENT_RECEIVE_C", "client/lib/client_receive.c", 1},
    /* the QUIC edge: a connection's life, its TLS, its IDs */
    {"relay/quic/transport_quic.h", "life", "BY_QUIC_LIFE_C", "relay/quic/quic_life.c", 1},
    {"relay/quic/transport_quic.h", "tls", "BY_TRANSPORT_QUIC_TLS_C",
     "relay/quic/transport_quic_tls.c", 1},
    {"relay/quic/transport_quic.h", "ids", "BY_TRANSPORT_QUIC_IN_C",
     "relay/quic/transport_quic_in.c", 1},
};

/* A part's inner pointers, marked in the part's own header: what they point to is
 * the writer's too. */
static const char *const part_headers[] = {
    "relay/core/backlog_internal.h", "relay/core/control_out_internal.h",
    "relay/core/interest_internal.h", "relay/core/join_cost_internal.h",
    "relay/core/lobby_internal.h", "relay/core/sealing_internal.h",
    "relay/core/state_flow_internal.h", "relay/core/tickets_internal.h",
    "client/lib/client_members_internal.h", "client/lib/client_send_internal.h",
    "relay/quic/transport_quic_conn_internal.h", NULL};

/* The folders whose files may define a mark (all of the sources). */
static const char *const source_dirs[] = {"relay", "client", "proto", "sys", "tests", "lab",
                                          "bench", "fleet", "rtc", "stats", "ticket",
                                          "examples", NULL};

static bool ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* The mark of the writer of path, if the table names it one. */
static const char *mark_of_writer(const char *path)
{
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!strcmp(parts[i].writer, path))
            return parts[i].mark;
    return NULL;
}

static bool known_mark(const char *mark)
{
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!strcmp(parts[i].mark, mark))
            return true;
    return false;
}

/* Does the line (up to its comment) declare field, marked with mark:
 * the mark, and the field's name followed by ';' or '['? */
static bool marked_decl(const char *line, const char *field, const char *mark)
{
    char code[512];
    snprintf(code, sizeof code, "%s", line + strspn(line, " \t"));
    if (code[0] == '*')
        return false; /* a comment's line */
    char *comment = strstr(code, "/*");
    if (comment)
        *comment = '\0';
    const char *m = strstr(code, mark);
    if (!m || (m > code && ident_char(m[-1])) || ident_char(m[strlen(mark)]))
        return false;
    size_t k = strlen(field);
    for (const char *s = strstr(code, field); s; s = strstr(s + 1, field)) {
        if ((s > code && ident_char(s[-1])) || ident_char(s[k]))
            continue;
        const char *after = s + k;
        while (*after == ' ')
            after++;
        if (*after == ';' || *after == '[')
            return s > m;
    }
    return false;
}

/* How many lines of text declare field with mark. */
static int marked_decls(const char *text, const char *field, const char *mark)
{
    int n = 0;
    char line[512];
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        n += marked_decl(line, field, mark);
        p += len + (end != NULL);
    }
    return n;
}

/* The marker itself, on lines whose answer is known. */
static void marked_declarations_are_read(void **state)
{
    (void)state;
    assert_true(marked_decl("    BY_X_C struct s f; /* x.c's */", "f", "BY_X_C"));
    assert_true(marked_decl("    BY_X_C char f[8];", "f", "BY_X_C"));
    assert_true(marked_decl("    BY_X_C struct s *BY_X_C f;", "f", "BY_X_C"));
    assert_true(marked_decl("    struct s *BY_X_C *f;", "f", "BY_X_C"));
    assert_false(marked_decl("    struct s f; /* BY_X_C */", "f", "BY_X_C"));
    assert_false(marked_decl("    BY_X_C struct s ff;", "f", "BY_X_C"));
    assert_false(marked_decl("    BY_X_CC struct s f;", "f", "BY_X_C"));
    assert_false(marked_decl("    struct s f; BY_X_C int g;", "f", "BY_X_C"));
    assert_false(marked_decl(" * (BY_X_C struct s f;) a comment's", "f", "BY_X_C"));
}

/* Does text declare a pointer with a mark ("BY_X_C uint32_t *f;")? */
static bool marks_a_pointer(const char *text)
{
    char line[512];
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        line[strcspn(line, "/")] = '\0'; /* its comment off */
        const char *m = strstr(line, "BY_");
        if (line[strspn(line, " ")] != '#' && m && strchr(m, '*') && strchr(m, ';'))
            return true;
        p += len + (end != NULL);
    }
    return false;
}

/* Every part of the table is declared with its mark, and the parts'
 * headers mark inner pointers too. */
static void each_part_carries_its_mark(void **state)
{
    (void)state;
    int strays = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const struct part *p = &parts[i];
        char *text = harness_read_text(p->header);
        if (!text)
            fail_msg("cannot read %s (run from the top of the repository)", p->header);
        int n = marked_decls(text, p->field, p->mark);
        if (n != p->decls) {
            print_error("%s: %d declaration(s) of %s marked %s, not %d\n", p->header, n,
                        p->field, p->mark, p->decls);
            strays++;
        }
        free(text);
    }
    for (size_t i = 0; part_headers[i]; i++) {
        char *text = harness_read_text(part_headers[i]);
        assert_non_null(text);
        if (!marks_a_pointer(text)) {
            print_error("%s marks none of its parts' pointers\n", part_headers[i]);
            strays++;
        }
        free(text);
    }
    assert_int_equal(strays, 0);
}

/* Each "#define BY_..." of path: a header's fallback (ONLY_ITS_WRITER,
 * under its #ifndef) or a writer lifting its mark (empty, before its first
 * #include). Counts each mark's lifts in lifts[] (by the table's order of
 * marks: index of its first row) and its fallbacks in fallbacks[]. */
static int read_defines(const char *path, int *lifts, int *fallbacks)
{
    char *text = harness_read_text(path);
    if (!text)
        return 0;
    int strays = 0;
    bool included = false;
    const char *mine = mark_of_writer(path);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (!strncmp(line, "#include", 8))
            included = true;
        if (strncmp(line, "#define BY_", 11))
            continue;
        char mark[64];
        size_t k = 0;
        for (const char *s = line + 8; ident_char(*s) && k + 1 < sizeof mark; s++)
            mark[k++] = *s;
        mark[k] = '\0';
        const char *body = line + 8 + k;
        while (*body == ' ')
            body++;
        bool lift = !*body || !strncmp(body, "/*", 2);
        size_t row = 0;
        while (row < sizeof parts / sizeof parts[0] && strcmp(parts[row].mark, mark))
            row++;
        if (!known_mark(mark)) {
            print_error("%s defines %s, a mark no part of the table has\n", path, mark);
            strays++;
        } else if (lift && (!mine || strcmp(mine, mark))) {
            print_error("%s lifts %s: only its writer may\n", path, mark);
            strays++;
        } else if (lift && included) {
            print_error("%s lifts %s after an #include: too late for its headers\n", path, mark);
            strays++;
        } else if (lift) {
            lifts[row]++;
        } else if (!strncmp(body, "ONLY_ITS_WRITER", 15) && !ident_char(body[15])) {
            fallbacks[row]++;
        } else {
            print_error("%s defines %s as neither ONLY_ITS_WRITER nor empty\n", path, mark);
            strays++;
        }
    }
    free(text);
    return strays;
}

/* Every .c and .h file under dir, read by read_defines. */
static int walk_defines(const char *dir, int *lifts, int *fallbacks)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int strays = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512];
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "node_modules"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            strays += walk_defines(path, lifts, fallbacks);
        else if (len > 2 && e->d_name[len - 2] == '.' && strchr("ch", e->d_name[len - 1]))
            strays += read_defines(path, lifts, fallbacks);
    }
    closedir(d);
    return strays;
}

/* Each mark is lifted by its writer alone, before its includes, and has one
 * fallback, ONLY_ITS_WRITER (const in the writers check). */
static void only_the_writer_lifts_a_mark(void **state)
{
    (void)state;
    int lifts[sizeof parts / sizeof parts[0]] = {0};
    int fallbacks[sizeof parts / sizeof parts[0]] = {0};
    int strays = 0;
    for (size_t i = 0; source_dirs[i]; i++)
        strays += walk_defines(source_dirs[i], lifts, fallbacks);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t row = 0;
        while (strcmp(parts[row].mark, parts[i].mark))
            row++;
        if (row != i)
            continue; /* a mark's first row counts for all its rows */
        if (lifts[i] != 1 || fallbacks[i] != 1) {
            print_error("%s: lifted %d time(s) (by %s alone: once), %d ONLY_ITS_WRITER "
                        "fallback(s) (one)\n", parts[i].mark, lifts[i], parts[i].writer, fallbacks[i]);
            strays++;
        }
    }
    assert_int_equal(strays, 0);
}

/* A probe: the header it includes, the pointer it is given, a mark and a
 * write of that mark's part. */
struct probe {
    const char *header, *param, *mark, *write;
};

static const struct probe probes[] = {
    {CORE, "struct relay *r", "BY_JOIN_COST_C", "r->join_cost.n_active = 1;"},
    {CORE, "struct relay *r", "BY_PEERS_C", "r->census.members++;"},
    {CORE, "struct relay *r", "BY_PEERS_C", "uint32_t *n = &r->census.members; *n = 1;"},
    {CORE, "struct relay *r", "BY_REFUSALS_C",
     "memcpy(&r->kick, &(struct core_kick){.due = true}, sizeof r->kick);"},
    {CORE, "struct relay *r", "BY_STATE_FLOW_C", "r->flow.by_edge[0] = 1;"},
    {CORE, "struct relay *r", "BY_LIMITS_C", "r->peers[0].limits.tokens = 0;"},
    {CORE, "struct relay *r", "BY_PEERS_C", "r->peers[0].joined = true;"},
    {CORE, "struct relay *r", "BY_INTEREST_C", "r->rooms.at[0].grid->head[0] = 0;"},
    {CORE, "struct relay *r", "BY_ROOM_SETTINGS_C", "r->rooms.at[0].settings.owner[0] = 'a';"},
    {CORE, "struct relay *r", "BY_ROOM_SETTINGS_C",
     "memcpy(r->rooms.at[0].settings.owner, \"a\", 2);"},
    {CORE, "struct relay *r", "BY_ROOMS_C", "r->rooms.at[0].n++;"},
    {CLIENT, "struct ricochet *c", "BY_CLIENT_SEND_C", "c->next_seq = 7;"},
    {CLIENT, "struct ricochet *c", "BY_CLIENT_MEMBERS_C", "c->roster.member_ids[0] = 7;"},
    {"relay/quic/transport_quic.h", "struct quic_conn *c", "BY_QUIC_LIFE_C",
     "c->life.phase = QUIC_PHASE_OPEN;"},
};

/* The build's compile line (flags.stamp beside $RICOCHET_BIN), without
 * its dependency files, into line. */
static void compile_line(char *line, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s", harness_bin_dir());
    char *slash = strrchr(path, '/'); /* the build's folder: bin's parent */
    snprintf(slash ? slash + 1 : path, sizeof path - (size_t)(slash ? slash + 1 - path : 0),
             "flags.stamp");
    char *text = harness_read_text(path);
    if (!text)
        fail_msg("cannot read %s: build first", path);
    text[strcspn(text, "\n")] = '\0';
    char *at;
    while ((at = strstr(text, " -MMD")) || (at = strstr(text, " -MP")))
        memmove(at, at + (at[3] == 'M' ? 5 : 4), strlen(at + (at[3] == 'M' ? 5 : 4)) + 1);
    snprintf(line, cap, "%s", text);
    free(text);
}

/* Compiles p as its mark's writer (writer) or as any other file, in the
 * writers check (check) or as the linked build: its exit status; what the
 * compiler said into said. */
static int compile_probe(const char *line, const char *dir, const struct probe *p, bool writer,
                         bool check, char *said, size_t cap)
{
    char src[600], out[600], cmd[4096];
    snprintf(src, sizeof src, "%s/probe.c", dir);
    snprintf(out, sizeof out, "%s/said.txt", dir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    if (writer)
        fprintf(f, "#define %s /* the probe is the writer */\n", p->mark);
    fprintf(f, "#include \"%s\"\n#include <string.h>\n"
               "void probe(%s);\nvoid probe(%s)\n{\n    %s\n}\n",
            p->header, p->param, p->param, p->write);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s%s -fsyntax-only -I. '%s' >'%s' 2>&1", line,
             check ? " -DRICOCHET_WRITERS_CHECK" : "", src, out);
    int rc = system(cmd);
    char *text = harness_read_text(out);
    snprintf(said, cap, "%s", text ? text : "");
    free(text);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* In the writers check, each probe is refused, for const, from any file
 * but its writer, and accepted as the writer: the compiler holds each part
 * to its writer. Without the check's define, as the linked build is
 * compiled, it is accepted from any file: no file sees a const the others
 * do not. */
static void compiler_refuses_a_stranger_writing(void **state)
{
    (void)state;
    static char line[4096], said[8192];
    compile_line(line, sizeof line);
    char dir[] = "/tmp/ricochet-writers-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const struct probe *p = &probes[i];
        if (compile_probe(line, dir, p, true, true, said, sizeof said) != 0)
            fail_msg("as the writer (%s), `%s` is refused:\n%s", p->mark, p->write, said);
        if (compile_probe(line, dir, p, false, true, said, sizeof said) == 0)
            fail_msg("`%s` compiles outside its writer (%s)", p->write, p->mark);
        if (!strstr(said, "read-only") && !strstr(said, "const"))
            fail_msg("`%s` is refused, but not for const:\n%s", p->write, said);
        if (compile_probe(line, dir, p, false, false, said, sizeof said) != 0)
            fail_msg("`%s` is refused in the linked build (its marks are const there):\n%s",
                     p->write, said);
    }
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(marked_declarations_are_read),
        cmocka_unit_test(each_part_carries_its_mark),
        cmocka_unit_test(only_the_writer_lifts_a_mark),
        cmocka_unit_test(compiler_refuses_a_stranger_writing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
