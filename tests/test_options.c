/* test_options: the option table drives argv, config files and --help. */
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

#include "../proto/options.h"

struct cfg {
    long port;
    double loss;
    bool reflect;
    char room[16];
    int mode;
};

static const struct option_def defs[] = {
    { "port", OPTION_INT, offsetof(struct cfg, port), "7777", 0, 65535, NULL, "UDP port" },
    { "loss", OPTION_DOUBLE, offsetof(struct cfg, loss), "0", 0, 100, NULL, "loss %" },
    { "reflect", OPTION_BOOL, offsetof(struct cfg, reflect), "false", 0, 0, NULL, "echo" },
    { "room", OPTION_STRING, offsetof(struct cfg, room), "lobby", 1, 16, NULL, "room name" },
    { "mode", OPTION_CHOICE, offsetof(struct cfg, mode), "sequenced", 0, 0,
      "unsequenced|sequenced|reliable", "delivery mode" },
    { 0 }
};

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

static void help_wins(void **state)
{
    (void)state;
    struct cfg c;
    char *argv[] = { "prog", "--port", "99999", "--help", NULL };
    assert_int_equal(parse(&c, 4, argv), 1);
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

    path = write_temp("not json");
    argv[2] = path;
    assert_int_equal(parse(&c, 3, argv), -1);
    assert_non_null(strstr(err, "not a JSON object"));
    unlink(path);

    argv[2] = "/nonexistent/ricochet.json";
    assert_int_equal(parse(&c, 3, argv), -1);
    assert_non_null(strstr(err, "No such file"));
}

static void help_lists_every_option(void **state)
{
    (void)state;
    char text[4096] = "";
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    options_print_help(f, "prog", "does things", defs);
    fclose(f);
    for (const struct option_def *d = defs; d->name; d++)
        assert_non_null(strstr(text, d->name));
    assert_non_null(strstr(text, "(default 7777)"));
    assert_non_null(strstr(text, "[0..65535]"));
    assert_non_null(strstr(text, "--config FILE"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(both_spellings_and_flags),
        cmocka_unit_test(errors_are_one_line),
        cmocka_unit_test(help_wins),
        cmocka_unit_test(config_file_then_command_line),
        cmocka_unit_test(config_file_errors),
        cmocka_unit_test(help_lists_every_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
