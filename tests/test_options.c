/* test_options.c: the option table: both spellings, short options (`-p 9000`, a
 * short that sets a value), a renamed option's former name (command line and
 * config), `--check`, a repeated config key refused, flags, ranges, one-line
 * errors, config file then command line, config syntax errors with line/column,
 * config values of the wrong JSON type, `--help`, `--version`, typed fields
 * (unsigned of a given width, scaled; seconds kept as milliseconds), defaults
 * and clamping from the rows, a repeatable option (every value kept; the
 * command line's replace the config file's) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/options.h"

struct cfg {
    long port;
    double loss;
    bool reflect;
    char room[16];
    int mode;
};

static const struct option_def defs[] = {
    { "port", OPTION_INT, offsetof(struct cfg, port), "7777", 0, 65535, NULL, "UDP port",
      .short_name = 'p' },
    { "loss", OPTION_DOUBLE, offsetof(struct cfg, loss), "0", 0, 100, NULL, "loss %",
      .old_name = "drop" },
    { "reflect", OPTION_BOOL, offsetof(struct cfg, reflect), "false", 0, 0, NULL, "echo",
      .short_name = 'R' },
    { "room", OPTION_STRING, offsetof(struct cfg, room), "lobby", 1, 16, NULL, "room name" },
    { "mode", OPTION_CHOICE, offsetof(struct cfg, mode), "sequenced", 0, 0,
      "unsequenced|sequenced|reliable", "delivery mode", .short_name = 'r',
      .short_value = "reliable" },
    { 0 }
};

static const char *const some_signals[] = {"SIGHUP", "reloads nothing", NULL};
static const struct options_example some_examples[] = {
    {"Port 9000:", "prog -p 9000"}, {0}};
static const struct options_manual manual = {
    .description = "First paragraph.\n\n.Second paragraph, with a dot.",
    .signals = some_signals,
    .examples = some_examples,
    .config_example = "{\"port\": 9000}",
    .see_also = "docs.md",
};
static const struct options_program program = {
    .name = "my-prog", .summary = "does things. More words.\n.starts with a dot",
    .defs = defs, .manual = &manual};

static char err[256];

static int parse(struct cfg *c, int argc, char **argv)
{
    memset(c, 0x77, sizeof *c);
    return options_parse(defs, c, argc, argv, err, sizeof err);
}

static void defaults(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", NULL };
    assert_int_equal(parse(&c, 1, argv), 0);
    assert_int_equal(c.port, 7777);
    assert_true(c.loss == 0.0);
    assert_false(c.reflect);
    assert_string_equal(c.room, "lobby");
    assert_int_equal(c.mode, 1);
}

static void both_spellings_and_flags(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", "--port", "0", "--loss=2.5", "--reflect", "--room=r1",
                     "--mode", "reliable", NULL };
    assert_int_equal(parse(&c, 8, argv), 0);
    assert_int_equal(c.port, 0);
    assert_true(c.loss == 2.5);
    assert_true(c.reflect);
    assert_string_equal(c.room, "r1");
    assert_int_equal(c.mode, 2);

    char *argv2[] = { "prog", "--reflect=false", NULL };
    assert_int_equal(parse(&c, 2, argv2), 0);
    assert_false(c.reflect);
}

static void errors_are_one_line(void **state)
{
    (void)state;
    struct cfg c;
    struct { char *args[3]; const char *expect; } cases[] = {
        { { "prog", "--port", "70000" }, "--port: 70000 is out of range [0, 65535]" },
        { { "prog", "--port", "12x" }, "--port: '12x' is not a whole number" },
        { { "prog", "--loss", "nan" }, "--loss: 'nan' is not a number" },
        { { "prog", "--loss", "-1" }, "--loss: -1 is out of range [0, 100]" },
        { { "prog", "--colour", "red" }, "unknown option --colour (see --help)" },
        { { "prog", "--mode", "tcp" }, "--mode: 'tcp' is not one of unsequenced|sequenced|reliable" },
        { { "prog", "--room", "" }, "--room: length must be 1 to 15 characters" },
        { { "prog", "--reflect=maybe", NULL }, "--reflect: 'maybe' is not true or false" },
        { { "prog", "stray", NULL }, "unexpected argument 'stray' (see --help)" },
        { { "prog", "--port", NULL }, "--port needs a value" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int argc = cases[i].args[2] ? 3 : 2;
        assert_int_equal(parse(&c, argc, cases[i].args), -1);
        assert_string_equal(err, cases[i].expect);
        assert_null(strchr(err, '\n'));
    }
}

/* What iperf3 and netcat users type: -p 9000, -R (a flag), -r (a short
 * that sets a value), -h, -v; an unknown short is named. */
static void short_options(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", "-p", "9000", "-R", "-r", NULL };
    assert_int_equal(parse(&c, 5, argv), 0);
    assert_int_equal(c.port, 9000);
    assert_true(c.reflect);
    assert_int_equal(c.mode, 2);
    char *help[] = { "prog", "-h", NULL }, *version[] = { "prog", "-v", NULL };
    assert_int_equal(parse(&c, 2, help), OPTIONS_HELP);
    assert_int_equal(parse(&c, 2, version), OPTIONS_VERSION);
    char *unknown[] = { "prog", "-x", NULL }, *missing[] = { "prog", "-p", NULL };
    assert_int_equal(parse(&c, 2, unknown), -1);
    assert_string_equal(err, "unknown option '-x' (see --help)");
    assert_int_equal(parse(&c, 2, missing), -1);
    assert_string_equal(err, "-p (--port) needs a value");
}

static int parse_config_text(struct cfg *c, const char *text);

/* A renamed option's former name still works, on the command line and in a
 * config file, for one version; the two names of one option are one key. */
static void former_names_still_work(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", "--drop", "3", NULL };
    assert_int_equal(parse(&c, 3, argv), 0);
    assert_true(c.loss == 3.0);
    assert_int_equal(parse_config_text(&c, "{\"drop\": 4}"), 0);
    assert_true(c.loss == 4.0);
    assert_int_equal(parse_config_text(&c, "{\"drop\": 4, \"loss\": 5}"), -1);
    assert_non_null(strstr(err, "\"loss\" is given twice"));
}

/* --check reads everything, then asks to stop; a bad value is still an error. */
static void check_is_a_request_after_parsing(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", "--check", "--port", "9000", NULL };
    assert_int_equal(parse(&c, 4, argv), OPTIONS_CHECK);
    assert_int_equal(c.port, 9000);
    char *bad[] = { "prog", "--check", "--port", "99999", NULL };
    assert_int_equal(parse(&c, 4, bad), -1);
}

static void help_wins(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", "--port", "99999", "--help", NULL };
    assert_int_equal(parse(&c, 4, argv), 1);
}

static void version_is_a_request(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", "--port", "99999", "--version", NULL };
    assert_int_equal(parse(&c, 4, argv), OPTIONS_VERSION);
    char *both[] = { "prog", "--version", "--help", NULL };
    assert_int_equal(parse(&c, 3, both), OPTIONS_HELP);
}

static char *write_temp(const char *text)
{
    static char path[] = "/tmp/ricochet-test-options-XXXXXX";
    strcpy(path, "/tmp/ricochet-test-options-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void config_file_then_command_line(void **state)
{
    (void)state;
    struct cfg c;
    char *path = write_temp("{\"port\": 9000, \"loss\": 5, \"reflect\": true, \"room\": \"cfg\"}");
    char *argv[] = { "prog", "--port", "9001", "--config", path, NULL };
    assert_int_equal(parse(&c, 5, argv), 0);
    assert_int_equal(c.port, 9001); /* the command line wins */
    assert_true(c.loss == 5.0);
    assert_true(c.reflect);
    assert_string_equal(c.room, "cfg");
    unlink(path);
}

static void config_file_errors(void **state)
{
    (void)state;
    struct cfg c;
    char *path = write_temp("{\"port\": 123456}");
    char *argv[] = { "prog", "--config", path, NULL };
    assert_int_equal(parse(&c, 3, argv), -1);
    assert_non_null(strstr(err, "--port: 123456 is out of range"));
    unlink(path);

    path = write_temp("{\"nosuch\": 1}");
    argv[2] = path;
    assert_int_equal(parse(&c, 3, argv), -1);
    assert_non_null(strstr(err, "unknown option --nosuch"));
    unlink(path);

    path = write_temp("[1, 2]");
    argv[2] = path;
    assert_int_equal(parse(&c, 3, argv), -1);
    assert_non_null(strstr(err, "not a JSON object"));
    unlink(path);

    argv[2] = "/nonexistent/ricochet.json";
    assert_int_equal(parse(&c, 3, argv), -1);
    assert_non_null(strstr(err, "No such file"));
}

/* Loads text as a config file; returns parse()'s result, err holds the message. */
static int parse_config_text(struct cfg *c, const char *text)
{
    char *path = write_temp(text);
    char *argv[] = { "prog", "--config", path, NULL };
    int rc = parse(c, 3, argv);
    unlink(path);
    return rc;
}

/* A syntax error says where, as an editor counts: lines from 1, columns in
 * characters from 1 (the é is one column, two bytes). */
static void config_syntax_error_says_where(void **state)
{
    (void)state;
    struct cfg c;
    struct { const char *text, *where; } cases[] = {
        { "not json", "JSON syntax error at line 1, column 1" },
        { "{\"port\": 9000,\n \"room\": }", "JSON syntax error at line 2, column 10" },
        { "{\n  \"room\": \"\xc3\xa9\",\n  \"loss\": 5 x\n}", "at line 3, column 13" },
        { "{\"port\": 9000} trailing", "JSON syntax error at line 1, column 16" },
        { "", "JSON syntax error at line 1, column 1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(parse_config_text(&c, cases[i].text), -1);
        if (!strstr(err, cases[i].where))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].where);
        assert_null(strchr(err, '\n'));
    }
}

/* {"port": "7790"} was accepted as 7790: each option takes one JSON type. */
static void config_value_of_wrong_type_is_an_error(void **state)
{
    (void)state;
    struct cfg c;
    struct { const char *text, *expect; } cases[] = {
        { "{\"port\": \"7790\"}", "\"port\" must be a number, not a string" },
        { "{\"loss\": true}", "\"loss\" must be a number, not a boolean" },
        { "{\"reflect\": \"true\"}", "\"reflect\" must be true or false, not a string" },
        { "{\"reflect\": 1}", "\"reflect\" must be true or false, not a number" },
        { "{\"room\": 5}", "\"room\" must be a string, not a number" },
        { "{\"mode\": null}", "\"mode\" must be a string, not null" },
        { "{\"port\": [7790]}", "\"port\" must be a number, not an array" },
        { "{\"port\": 7790.5}", "--port: '7790.5' is not a whole number" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(parse_config_text(&c, cases[i].text), -1);
        if (!strstr(err, cases[i].expect))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].expect);
    }
    assert_int_equal(parse_config_text(&c, "{\"port\": 7790, \"loss\": 2.5, \"reflect\": false,"
                                           " \"room\": \"r\", \"mode\": \"reliable\"}"), 0);
    assert_int_equal(c.port, 7790);
    assert_true(c.loss == 2.5);
    assert_false(c.reflect);
    assert_string_equal(c.room, "r");
    assert_int_equal(c.mode, 2);
}

/* {"port": 7790, "port": 7791} took the last value silently: a key given
 * twice is an error, named, with the object left as it was. */
static void config_repeated_key_is_an_error(void **state)
{
    (void)state;
    struct cfg c;
    assert_int_equal(parse_config_text(&c, "{\"port\": 7790, \"room\": \"r\", \"port\": 7791}"),
                     -1);
    if (!strstr(err, "\"port\" is given twice"))
        fail_msg("'%s' does not name the repeated key", err);
    assert_int_equal(parse_config_text(&c, "{\"room\": \"a\", \"reflect\": true}"), 0);
}

static void help_lists_every_option(void **state)
{
    (void)state;
    char text[4096] = "";
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    options_print_help(f, &program);
    fclose(f);
    for (const struct option_def *d = defs; d->name; d++)
        assert_non_null(strstr(text, d->name));
    assert_non_null(strstr(text, "(default 7777)"));
    assert_non_null(strstr(text, "[0..65535]"));
    assert_non_null(strstr(text, "--config FILE"));
    assert_non_null(strstr(text, "-v, --version"));
    assert_non_null(strstr(text, "--check"));
    assert_non_null(strstr(text, "  -p, --port V "));
    assert_non_null(strstr(text, "delivery mode; -r: reliable {"));
    assert_non_null(strstr(text, "loss %; formerly --drop [0..100]"));
}

static void man_page_is_the_help_rows(void **state)
{
    (void)state;
    char text[8192] = "", want[128];
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    options_print_man(f, &program);
    fclose(f);
    assert_non_null(strstr(text, ".TH MY\\-PROG 1 "));
    /* NAME is the first sentence; a summary line is never read as a request */
    assert_non_null(strstr(text, "\n.SH NAME\nmy\\-prog \\- does things\n"));
    assert_non_null(strstr(text, "\n\\&.starts with a dot\n"));
    for (const struct option_def *d = defs; d->name; d++) {
        snprintf(want, sizeof want, "\\-\\-%s\\fR", d->name);
        assert_non_null(strstr(text, want));
    }
    assert_non_null(strstr(text, "\\-\\-port\\fR \\fIV\\fR\n\\&UDP port [0..65535] (default 7777)\n"));
    assert_non_null(strstr(text, "\\fB\\-v, \\-\\-version\\fR\n"));
    assert_non_null(strstr(text, "\\fB\\-p, \\-\\-port\\fR \\fIV\\fR\n"));
    /* the hand-written part: paragraphs, sections, examples, the config example */
    assert_non_null(strstr(text, "\n.PP\n\\&First paragraph.\n.PP\n\\&.Second paragraph"));
    const char *sections[] = {".SH DESCRIPTION", ".SH OPTIONS", ".SH CONFIGURATION FILE",
                              ".SH SIGNALS", ".SH EXIT STATUS", ".SH FILES", ".SH EXAMPLES",
                              ".SH SEE ALSO"};
    const char *at = text;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        const char *s = strstr(at, sections[i]);
        if (!s)
            fail_msg("no %s after the previous section", sections[i]);
        at = s;
    }
    assert_non_null(strstr(text, "\\fBSIGHUP\\fR\n\\&reloads nothing\n"));
    assert_non_null(strstr(text, "\\&prog \\-p 9000\n"));
    assert_non_null(strstr(text, "\\&{\"port\": 9000}\n"));
    assert_non_null(strstr(text, "docs.md"));
}

/* ---- typed fields: OPTION_UINT and OPTION_SECONDS ---- */

struct typed {
    uint16_t port;
    uint32_t clients;
    size_t bytes;
    uint32_t ban_ms;   /* given in whole seconds */
    uint32_t after_ms; /* given in seconds with decimals */
};

#define T(f) offsetof(struct typed, f)
static const struct option_def typed_defs[] = {
    { "port", OPTION_UINT, T(port), "7777", 0, 65535, NULL, "port", sizeof(uint16_t) },
    { "clients", OPTION_UINT, T(clients), "1024", 1, 4000, NULL, "clients", sizeof(uint32_t) },
    { "bytes", OPTION_UINT, T(bytes), "1048576", 4096, 268435456, NULL, "bytes",
      sizeof(size_t) },
    { "ban-s", OPTION_UINT, T(ban_ms), "10", 0, 86400, NULL, "ban", sizeof(uint32_t), 1000 },
    { "after", OPTION_SECONDS, T(after_ms), "2", 0, 3600, NULL, "after" },
    { 0 }
};
#undef T

/* Each into a field of its own width, scaled, with the messages of
 * OPTION_INT and OPTION_DOUBLE; defaults and clamping from the same rows. */
static void typed_fields(void **state)
{
    (void)state;
    struct typed t;
    memset(&t, 0x77, sizeof t);
    assert_int_equal(options_defaults(typed_defs, &t, err, sizeof err), 0);
    assert_int_equal(t.port, 7777);
    assert_int_equal(t.clients, 1024);
    assert_int_equal(t.bytes, 1048576);
    assert_int_equal(t.ban_ms, 10000);
    assert_int_equal(t.after_ms, 2000);

    char *argv[] = { "prog", "--port=65535", "--clients", "4000", "--bytes", "268435456",
                     "--ban-s", "86400", "--after", "0.0015", NULL };
    assert_int_equal(options_parse(typed_defs, &t, 10, argv, err, sizeof err), 0);
    assert_int_equal(t.port, 65535);
    assert_int_equal(t.clients, 4000);
    assert_int_equal(t.bytes, 268435456);
    assert_int_equal(t.ban_ms, 86400000u);
    assert_int_equal(t.after_ms, 2); /* rounded */

    struct { const char *name, *value, *expect; } bad[] = {
        { "port", "65536", "--port: 65536 is out of range [0, 65535]" },
        { "clients", "1.5", "--clients: '1.5' is not a whole number" },
        { "ban-s", "0.5", "--ban-s: '0.5' is not a whole number" },
        { "after", "0.0001", "--after: 0.0001 is too small: use 0 (off) or at least 0.001" },
        { "after", "x", "--after: 'x' is not a number" },
        { "after", "3601", "--after: 3601 is out of range [0, 3600]" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(options_set(typed_defs, &t, bad[i].name, bad[i].value, err,
                                     sizeof err), -1);
        assert_string_equal(err, bad[i].expect);
    }
    assert_int_equal(options_set(typed_defs, &t, "after", "0", err, sizeof err), 0);
    assert_int_equal(t.after_ms, 0);

    /* Filled by code: brought into range, scaled bounds for scaled fields. */
    t = (struct typed){ .port = 1, .clients = 0, .bytes = 1, .ban_ms = 4000000000u,
                        .after_ms = 4000000000u };
    options_clamp(typed_defs, &t);
    assert_int_equal(t.port, 1);
    assert_int_equal(t.clients, 1);
    assert_int_equal(t.bytes, 4096);
    assert_int_equal(t.ban_ms, 86400000u);
    assert_int_equal(t.after_ms, 3600000u);
}

/* A row whose range does not fit its field (scaled) is refused, not
 * silently truncated. */
static void typed_table_errors(void **state)
{
    (void)state;
    uint32_t v = 0;
    const struct option_def wide[] = {
        { "big", OPTION_UINT, 0, "1", 0, 5000000, NULL, "too wide scaled", sizeof v, 1000 },
        { "odd", OPTION_UINT, 0, "1", 0, 10, NULL, "no such width", 3 },
        { 0 }
    };
    assert_int_equal(options_set(wide, &v, "big", "1", err, sizeof err), -1);
    assert_string_equal(err, "--big: bad option table entry");
    assert_int_equal(options_set(wide, &v, "odd", "1", err, sizeof err), -1);
    assert_int_equal(options_defaults(wide, &v, err, sizeof err), -1);
}

/* A repeatable option (OPTION_LIST): every value given, joined by a space;
 * the command line's first one replaces the config file's (a string or an
 * array there); empty values, values with a space and too many characters
 * are one-line errors; --help says it repeats. */
struct listed {
    char listen[24];
    long port;
};

static const struct option_def list_defs[] = {
    { "listen", OPTION_LIST, offsetof(struct listed, listen), "", 0, 24, NULL, "an edge" },
    { "port", OPTION_INT, offsetof(struct listed, port), "7", 0, 99, NULL, "a port" },
    { 0 }
};

static void a_list_takes_every_value(void **state)
{
    (void)state;
    struct listed l;
    char *none[] = { "prog", NULL };
    assert_int_equal(options_parse(list_defs, &l, 1, none, err, sizeof err), 0);
    assert_string_equal(l.listen, "");
    char *two[] = { "prog", "--listen", "a://1", "--port", "9", "--listen=b://2", NULL };
    assert_int_equal(options_parse(list_defs, &l, 6, two, err, sizeof err), 0);
    assert_string_equal(l.listen, "a://1 b://2");

    char *path = write_temp("{\"listen\": [\"c://3\", \"d://4\"]}");
    char *cfg_only[] = { "prog", "--config", path, NULL };
    assert_int_equal(options_parse(list_defs, &l, 3, cfg_only, err, sizeof err), 0);
    assert_string_equal(l.listen, "c://3 d://4");
    char *both[] = { "prog", "--config", path, "--listen", "e://5", NULL };
    assert_int_equal(options_parse(list_defs, &l, 5, both, err, sizeof err), 0);
    assert_string_equal(l.listen, "e://5"); /* the command line's replace the file's */
    unlink(path);
    path = write_temp("{\"listen\": \"f://6\"}");
    char *one[] = { "prog", "--config", path, NULL };
    assert_int_equal(options_parse(list_defs, &l, 3, one, err, sizeof err), 0);
    assert_string_equal(l.listen, "f://6");
    unlink(path);
    path = write_temp("{\"listen\": [\"g://7\", 8]}");
    char *mixed[] = { "prog", "--config", path, NULL };
    assert_int_equal(options_parse(list_defs, &l, 3, mixed, err, sizeof err), -1);
    assert_non_null(strstr(err, "a string or an array of strings"));
    unlink(path);

    char *bad[][4] = { { "prog", "--listen", "", NULL }, { "prog", "--listen", "a b", NULL },
                       { "prog", "--listen", "abcdefghijklmnopqrstuvwxyz", NULL } };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(options_parse(list_defs, &l, 3, bad[i], err, sizeof err), -1);
        assert_true(strncmp(err, "--listen", 8) == 0 && !strchr(err, '\n'));
    }
    char *over[] = { "prog", "--listen", "abcdefghij", "--listen", "klmnopqrst", "--listen",
                     "uvw", NULL };
    assert_int_equal(options_parse(list_defs, &l, 7, over, err, sizeof err), -1);
    assert_non_null(strstr(err, "over 23 characters in all"));
    struct options_row row;
    assert_true(options_help_row(list_defs, 0, &row));
    assert_non_null(strstr(row.text, "(repeatable)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(both_spellings_and_flags),
        cmocka_unit_test(errors_are_one_line),
        cmocka_unit_test(help_wins),
        cmocka_unit_test(version_is_a_request),
        cmocka_unit_test(config_file_then_command_line),
        cmocka_unit_test(config_file_errors),
        cmocka_unit_test(config_syntax_error_says_where),
        cmocka_unit_test(config_value_of_wrong_type_is_an_error),
        cmocka_unit_test(config_repeated_key_is_an_error),
        cmocka_unit_test(short_options),
        cmocka_unit_test(former_names_still_work),
        cmocka_unit_test(check_is_a_request_after_parsing),
        cmocka_unit_test(help_lists_every_option),
        cmocka_unit_test(man_page_is_the_help_rows),
        cmocka_unit_test(typed_fields),
        cmocka_unit_test(typed_table_errors),
        cmocka_unit_test(a_list_takes_every_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
