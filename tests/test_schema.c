/* test_schema: the directory's data without Redis: claim values both ways,
 * key names, fleet names, advertised addresses, rooms' entries with their
 * flags and props (the longest within an entry's bound), the listing's
 * lines read back, and each script's arguments (and place's reply's
 * fields) named as its list names them (fleet/script_args.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/schema.h"

static char err[256];

static void claim_value_round_trips(void **state)
{
    (void)state;
    struct fleet_claim c = {.room = "lobby", .epoch = 42, .addr = "[::1]:7001",
                            .transport = "enet", .instance = "0123456789abcdef"};
    char v[FLEET_VALUE_MAX];
    int n = fleet_claim_format(&c, v, sizeof v);
    assert_string_equal(v, "42 [::1]:7001 enet 0123456789abcdef");
    assert_int_equal(n, (int)strlen(v));
    struct fleet_claim back;
    assert_int_equal(fleet_claim_parse("lobby", v, &back), 0);
    assert_string_equal(back.room, c.room);
    assert_int_equal(back.epoch, c.epoch);
    assert_string_equal(back.addr, c.addr);
    assert_string_equal(back.transport, c.transport);
    assert_string_equal(back.instance, c.instance);
    assert_int_equal(fleet_claim_format(&c, v, 10), -1); /* does not fit */
}

static void malformed_claim_values_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"", "42", "42 a:1 enet", "42 a:1 enet x y", "0 a:1 enet x",
                         "-1 a:1 enet x", "4x a:1 enet x", "42  a:1 enet x",
                         "42 a:1 enet 0123456789abcdef0", "42 a:1 transport x",
                         "99999999999999999999999 a:1 enet x"};
    struct fleet_claim c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (fleet_claim_parse("r", bad[i], &c) != -1)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(c.epoch, 0);
    }
    char room[PROTO_ROOM_MAX + 2];
    memset(room, 'r', sizeof room - 1);
    room[sizeof room - 1] = '\0';
    assert_int_equal(fleet_claim_parse(room, "1 a:1 udp x", &c), -1);
}

static void keys_and_names(void **state)
{
    (void)state;
    char k[FLEET_KEY_MAX];
    assert_int_equal(fleet_key(k, sizeof k, "ricochet", "room", "lobby"), 19);
    assert_string_equal(k, "ricochet:room:lobby");
    fleet_key(k, sizeof k, "eu-1", "relays", NULL);
    assert_string_equal(k, "eu-1:relays");
    assert_int_equal(fleet_key(k, 8, "ricochet", "room", "lobby"), -1);
    assert_true(fleet_name_valid("ricochet"));
    assert_true(fleet_name_valid("eu-west.1_a"));
    assert_false(fleet_name_valid(""));
    assert_false(fleet_name_valid("a:b"));
    assert_false(fleet_name_valid("a b"));
    assert_false(fleet_name_valid("0123456789012345678901234567890123"));
}

static void advertised_addresses(void **state)
{
    (void)state;
    assert_int_equal(fleet_addr_check("relay-1.example:7777", err, sizeof err), 0);
    assert_int_equal(fleet_addr_check("[fd00::2]:7001", err, sizeof err), 0);
    struct { const char *addr, *expect; } bad[] = {
        {"relay", "expected HOST:PORT"},
        {"relay:0", "the port must be 1 to 65535"},
        {"relay:70000", "the port must be 0 to 65535"},
        {"::1:7001", "brackets"},
        {"a b:1", "no spaces"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(fleet_addr_check(bad[i].addr, err, sizeof err), -1);
        if (!strstr(err, bad[i].expect))
            fail_msg("'%s': '%s' lacks '%s'", bad[i].addr, err, bad[i].expect);
    }
}


static void every_script_has_a_source(void **state)
{
    (void)state;
    for (int s = 0; s < FLEET_SCRIPT_COUNT; s++) {
        char opening[64];
        snprintf(opening, sizeof opening, "\n-- %s.lua: ", fleet_script_name((enum fleet_script)s));
        assert_non_null(strstr(fleet_script_source((enum fleet_script)s), opening));
    }
    assert_null(fleet_script_source(FLEET_SCRIPT_COUNT));
    assert_null(fleet_script_name(FLEET_SCRIPT_COUNT));
}

/* The names at text, each a Lua identifier after skip bytes of each line
 * (or quoted, when skip is 0: 'NAME', up to the '}'), into names[], up to
 * the first line that does not begin with a name after skip: how many. */
static size_t names_at(const char *text, size_t skip, char names[][32], size_t cap)
{
    size_t n = 0;
    for (const char *p = text; n < cap;) {
        if (skip) { /* "--   NAME  what it is\n", continued more indented */
            if (strncmp(p, "--", 2) != 0 || strspn(p + 2, " ") + 2 < skip)
                break;
            if (strspn(p + 2, " ") + 2 == skip) {
                size_t len = strspn(p + skip, "abcdefghijklmnopqrstuvwxyz_0123456789");
                if (len == 0 || len >= sizeof names[0])
                    break;
                snprintf(names[n++], sizeof names[0], "%.*s", (int)len, p + skip);
            }
            const char *eol = strchr(p, '\n');
            if (!eol)
                break;
            p = eol + 1;
        } else { /* 'NAME', 'NAME', } */
            p += strspn(p, " ,");
            if (*p != '\'')
                break;
            size_t len = strcspn(p + 1, "'");
            assert_true(len > 0 && len < sizeof names[0]);
            snprintf(names[n++], sizeof names[0], "%.*s", (int)len, p + 1);
            p += len + 2;
        }
    }
    return n;
}

/* The lines after the head of a block of script name's opening comment
 * (top: where it starts), head "\n-- ARG (" or "\n-- REPLY ("; fails if it
 * has none. */
static const char *block_of(const char *top, const char *head, const char *name)
{
    const char *block = strstr(top, head), *eol = block ? strchr(block + 1, '\n') : NULL;
    if (!eol)
        fail_msg("%s.lua: no \"%s\" block in its opening comment", name, head + 1);
    return eol ? eol + 1 : "";
}

/* A list's n names (fleet/script_args.h's) against the same names where
 * the build put them (the first ipairs list from built) and where script
 * name's opening comment says them (its block headed head, top its
 * opening): fails unless the three agree, in order. what: "argument". */
static void names_agree(const char *name, const char *what, const char *const *list, size_t n,
                        const char *built, const char *top, const char *head)
{
    char in_build[32][32], told[32][32];
    const char *at = strstr(built, "ipairs({");
    assert_non_null(at);
    assert_int_equal(names_at(at + 8, 0, in_build, 32), n);
    size_t told_n = names_at(block_of(top, head, name), 5, told, 32);
    for (size_t i = 0; i < n || i < told_n; i++) {
        if (i >= n || i >= told_n || strcmp(list[i], told[i]) != 0)
            fail_msg("%s.lua's opening comment names %s %zu '%s', fleet/script_args.h '%s'",
                     name, what, i + 1, i < told_n ? told[i] : "", i < n ? list[i] : "");
        assert_string_equal(list[i], in_build[i]);
    }
}

/* What keeps each script and its callers in step: its arguments' names
 * and order are one list (fleet/script_args.h) from which directory.c
 * builds argv and the build the script's preamble; the script's opening
 * comment says the same names in the same order; the script reads each
 * of them as ARG.NAME, no other, and no ARGV by a number. */
static void scripts_read_their_arguments_by_the_lists_names(void **state)
{
    (void)state;
    for (int s = 0; s < FLEET_SCRIPT_COUNT; s++) {
        enum fleet_script id = (enum fleet_script)s;
        const char *src = fleet_script_source(id), *name = fleet_script_name(id);
        size_t n;
        const char *const *args = fleet_script_args(id, &n);
        assert_true(n >= 2);
        assert_string_equal(args[0], "prefix"); /* the prefix is always ARGV[1] */
        char opening[64];
        snprintf(opening, sizeof opening, "\n-- %s.lua: ", name);
        const char *top = strstr(src, opening);
        assert_non_null(top);
        names_agree(name, "argument", args, n, src, top, "\n-- ARG (");
        for (const char *p = strstr(top, "ARG."); p; p = strstr(p + 1, "ARG.")) {
            size_t len = strspn(p + 4, "abcdefghijklmnopqrstuvwxyz_0123456789"), i = 0;
            while (i < n && (strlen(args[i]) != len || strncmp(args[i], p + 4, len) != 0))
                i++;
            if (i == n && !(p > src && p[-1] == 'N')) /* NARG. is no name */
                fail_msg("%s.lua reads ARG.%.*s, which fleet/script_args.h does not name",
                         name, (int)len, p + 4);
        }
        for (size_t i = 0; i < n; i++) {
            char used[48];
            snprintf(used, sizeof used, "ARG.%s", args[i]);
            const char *p = strstr(top, used);
            while (p && (p[-1] == 'N' || strchr("abcdefghijklmnopqrstuvwxyz_0123456789",
                                                p[strlen(used)]) != NULL))
                p = strstr(p + 1, used);
            if (!p)
                fail_msg("%s.lua never reads its argument %s", name, args[i]);
        }
        for (const char *p = strstr(src, "ARGV["); p; p = strstr(p + 1, "ARGV["))
            if (p[5] >= '0' && p[5] <= '9')
                fail_msg("%s.lua reads ARGV[%c...] by its number", name, p[5]);
    }
}

/* The same for a reply of named fields (fleet/script_args.h's
 * FLEET_PLACE_REPLIES): the build's REPLY{} puts each in the list's
 * place, the script's opening comment names them in that order, it sets
 * each by name somewhere and answers only through REPLY{}, never a table
 * by position; a script without such a reply never calls REPLY. */
static void scripts_reply_by_the_lists_names(void **state)
{
    (void)state;
    for (int s = 0; s < FLEET_SCRIPT_COUNT; s++) {
        enum fleet_script id = (enum fleet_script)s;
        const char *src = fleet_script_source(id), *name = fleet_script_name(id);
        char opening[64];
        snprintf(opening, sizeof opening, "\n-- %s.lua: ", name);
        const char *top = strstr(src, opening);
        assert_non_null(top);
        size_t n;
        const char *const *fields = fleet_script_replies(id, &n);
        const char *preamble = strstr(src, "local function REPLY(t)");
        if (!fields) {
            if (strstr(top, "REPLY{") || preamble)
                fail_msg("%s.lua answers through REPLY, but its list names no fields", name);
            continue;
        }
        assert_non_null(preamble);
        names_agree(name, "field of its reply", fields, n, preamble, top, "\n-- REPLY (");
        for (size_t i = 0; i < n; i++) {
            char set[48];
            snprintf(set, sizeof set, "%s = ", fields[i]);
            bool found = false;
            for (const char *p = strstr(top, "REPLY{"); p && !found; p = strstr(p + 1, "REPLY{"))
                found = strstr(p, set) && strstr(p, set) < strchr(p, '}');
            if (!found)
                fail_msg("%s.lua never sets its reply's %s", name, fields[i]);
        }
        if (strstr(top, "return {"))
            fail_msg("%s.lua answers a table by position", name);
    }
}

/* The LIST script's lines for rooms in[0..n): "ROOM ENTRY\n" each. */
static void lines(const struct proto_room_entry *in, const struct proto_props *p, size_t n,
                  char *text, size_t cap)
{
    size_t at = 0;
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char entry[FLEET_ENTRY_MAX];
        assert_true(fleet_room_entry_format(&in[i], p ? &p[i] : NULL, entry, sizeof entry) > 0);
        int k = snprintf(text + at, cap - at, "%s %s\n", in[i].room, entry);
        assert_true(k > 0 && (size_t)k < cap - at);
        at += (size_t)k;
    }
}

/* A room's flags go with it; a line without them (an older relay's) reads
 * open and listed; a flag not known skips its line. */
static void listing_lines_carry_flags(void **state)
{
    (void)state;
    struct proto_room_entry in[3] = {{.room = "a", .members = 1, .capacity = 8},
                                     {.room = "b", .members = 2, .capacity = 8, .closed = true},
                                     {.room = "c", .members = 3, .capacity = 8,
                                      .closed = true, .unlisted = true}};
    char text[3 * FLEET_LIST_LINE + 1];
    lines(in, NULL, 3, text, sizeof text);
    assert_string_equal(text, "a 1 8\nb 2 8 closed\nc 3 8 closed,unlisted\n");
    struct proto_room_entry out[8];
    struct proto_props props[8];
    memset(out, 0xff, sizeof out);
    size_t n = 0;
    fleet_listing_parse(text, out, props, 8, &n);
    fleet_listing_parse("d 4 8 unlisted\ne 5 8 hidden\nf 6 8 \n", out, props, 8, &n);
    assert_int_equal(n, 4);
    assert_false(out[0].closed || out[0].unlisted);
    assert_true(out[1].closed && !out[1].unlisted);
    assert_true(out[2].closed && out[2].unlisted);
    assert_string_equal(out[3].room, "d");
    assert_true(!out[3].closed && out[3].unlisted);
    char line[FLEET_LIST_LINE + 1];
    struct proto_room_entry most = {.members = UINT32_MAX, .capacity = UINT32_MAX,
                                    .closed = true, .unlisted = true};
    memset(most.room, 'r', PROTO_ROOM_MAX);
    lines(&most, NULL, 1, line, sizeof line); /* the longest line fits */
}

/* A room's entry in the directory is its line without its name: flags,
 * then a listed room's props; an unlisted room's props are not written. */
static void entries_are_lines_without_their_names(void **state)
{
    (void)state;
    struct proto_room_entry e = {.room = "arena", .members = 3, .capacity = 8, .closed = true};
    struct proto_props p = {0};
    char text[FLEET_ENTRY_MAX];
    assert_int_equal(proto_props_add(&p, "props", "map", "dust", NULL, 0), 0);
    assert_int_equal(fleet_room_entry_format(&e, &p, text, sizeof text), 25);
    assert_string_equal(text, "3 8 closed {\"map\":\"dust\"}");
    e.unlisted = true;
    assert_true(fleet_room_entry_format(&e, &p, text, sizeof text) > 0);
    assert_string_equal(text, "3 8 closed,unlisted");
    e.closed = e.unlisted = false;
    assert_true(fleet_room_entry_format(&e, NULL, text, sizeof text) > 0);
    assert_string_equal(text, "3 8");
    assert_int_equal(fleet_room_entry_format(&e, NULL, text, 3), -1);
}

/* A listed room's props follow its flags as a JSON object, read back as
 * they were; an unlisted room's are not written; a line of props not well
 * formed is skipped. */
static void listing_lines_carry_props(void **state)
{
    (void)state;
    struct proto_room_entry in[3] = {{.room = "a", .members = 1, .capacity = 8},
                                     {.room = "b", .members = 2, .capacity = 8, .closed = true},
                                     {.room = "c", .members = 3, .capacity = 8, .unlisted = true}};
    struct proto_props p[3] = {0}, out_props[8];
    assert_int_equal(proto_props_add(&p[0], "props", "map", "dune \"2\"", NULL, 0), 0);
    assert_int_equal(proto_props_add(&p[1], "props", "mode", "ctf", NULL, 0), 0);
    p[2] = p[1];
    char text[3 * (FLEET_LIST_LINE + FLEET_LIST_PROPS) + 1];
    lines(in, p, 3, text, sizeof text);
    assert_string_equal(text, "a 1 8 {\"map\":\"dune \\\"2\\\"\"}\n"
                              "b 2 8 closed {\"mode\":\"ctf\"}\nc 3 8 unlisted\n");
    struct proto_room_entry out[8];
    size_t n = 0;
    fleet_listing_parse(text, out, out_props, 8, &n);
    fleet_listing_parse("d 1 8 {\"k\":1}\ne 1 8 closed{}\nf 1 8 {}\n", out, out_props, 8, &n);
    assert_int_equal(n, 4);
    assert_string_equal(proto_props_get(&out_props[0], "map"), "dune \"2\"");
    assert_true(out[1].closed);
    assert_string_equal(proto_props_get(&out_props[1], "mode"), "ctf");
    assert_int_equal(out_props[2].n, 0);
    assert_string_equal(out[3].room, "f");
    assert_int_equal(out_props[3].n, 0);
}

/* The longest props (8 keys, every value's byte a '"' to escape) fit an
 * entry's bound, and read back whole. */
static void the_longest_props_fit_an_entry(void **state)
{
    (void)state;
    struct proto_room_entry e = {.members = UINT32_MAX, .capacity = UINT32_MAX,
                                 .closed = true};
    struct proto_props p = {0}, out_props[1];
    char key[PROTO_PROP_KEY_MAX + 1], value[PROTO_PROP_VALUE_MAX + 1];
    memset(e.room, 'r', PROTO_ROOM_MAX);
    memset(value, '"', 28); /* each escaped: twice as long */
    value[28] = '\0';
    for (int k = 0; k < PROTO_PROPS_KEYS; k++) {
        snprintf(key, sizeof key, "k%d", k);
        assert_int_equal(proto_props_add(&p, "props", key, value, NULL, 0), 0);
    }
    char entry[FLEET_ENTRY_MAX], text[FLEET_LIST_LINE + FLEET_ENTRY_MAX];
    int len = fleet_room_entry_format(&e, &p, entry, sizeof entry);
    assert_true(len > 400 && len < FLEET_ENTRY_MAX);
    lines(&e, &p, 1, text, sizeof text);
    struct proto_room_entry out[1];
    size_t n = 0;
    fleet_listing_parse(text, out, out_props, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(out_props[0].n, PROTO_PROPS_KEYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claim_value_round_trips),
        cmocka_unit_test(malformed_claim_values_are_refused),
        cmocka_unit_test(keys_and_names),
        cmocka_unit_test(advertised_addresses),
        cmocka_unit_test(every_script_has_a_source),
        cmocka_unit_test(scripts_read_their_arguments_by_the_lists_names),
        cmocka_unit_test(scripts_reply_by_the_lists_names),
        cmocka_unit_test(listing_lines_carry_flags),
        cmocka_unit_test(entries_are_lines_without_their_names),
        cmocka_unit_test(listing_lines_carry_props),
        cmocka_unit_test(the_longest_props_fit_an_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
