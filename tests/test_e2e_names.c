/* test_e2e_names.c: players named in their own scripts through a real
 * relay: 민수 over ENet and Nguyễn Văn An over plain UDP, in one room, each
 * find the other's name whole in the roster and in the joined notice, and
 * the relay's log names both as they are; ricochet-bot named 민수 prints its
 * bots' names whole, its who-saw-whom rows lined up by display width; over
 * the wire, names with a control character, a bidi override, a zero-width
 * space, past the relay's --name-max or the protocol's 32 bytes are refused
 * bad_name with the words that say why, and bytes that are not UTF-8
 * bad_json; libricochet refuses the same before sending anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/ricochet.h"
#include "sys/textwidth.h"
#include "tests/support/harness.h"

#define WAIT_MS 10000
#define MINSU "민수"
#define NGUYEN "Nguyễn Văn An"

/* The member of client c named name, or NULL. */
static const struct ricochet_member *member_named(struct ricochet *c, const char *name)
{
    static struct ricochet_member ms[8];
    size_t n = ricochet_members(c, ms, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        if (!strcmp(ms[i].name, name))
            return &ms[i];
    return NULL;
}

static bool saw_joined(const struct harness_rec *r, size_t i, const char *name)
{
    for (size_t k = 0; k < r->n_joined[i]; k++)
        if (!strcmp(r->joined_name[i][k], name))
            return true;
    return false;
}

/* 민수 is in the room first; Nguyễn comes after and finds 민수 in the
 * welcome's roster, 민수 gets Nguyễn's joined notice. */
static void two_scripts_in_one_room(void **state)
{
    (void)state;
    struct harness_three t;
    const char *more[] = {"--max-per-address", "16", NULL};
    harness_three_start(&t, "tcp://127.0.0.1:0", more);
    static struct harness_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.c[0] = harness_client(t.enet, "names", MINSU, PROTO_MODE_UNSEQUENCED, false);
    rec.n = 1;
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &rec), 0);
    rec.c[1] = harness_client(t.udp, "names", NGUYEN, PROTO_MODE_UDP, false);
    rec.n = 2;
    assert_int_equal(harness_poll_until(rec.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &rec), 0);
    assert_non_null(member_named(rec.c[1], MINSU)); /* from the welcome's roster */
    assert_non_null(member_named(rec.c[0], NGUYEN));
    assert_true(saw_joined(&rec, 0, NGUYEN));
    /* the bot's words for the same players: the relay's log */
    for (size_t i = 0; i < 2; i++)
        ricochet_close(rec.c[i]);
    assert_int_equal(spawn_stop(&t.relay, SIGTERM, WAIT_MS), 0);
    char *log = spawn_read_stderr(&t.relay);
    assert_non_null(log);
    if (!strstr(log, "(" MINSU ", unsequenced") || !strstr(log, "(" NGUYEN ", udp"))
        fail_msg("the relay's log does not name " MINSU " and " NGUYEN ":\n%s", log);
    free(log);
    spawn_free(&t.relay);
}

/* Joins over plain UDP as the JSON name (already escaped for JSON) and
 * expects the error code and words in its message. */
static void expect_refused(uint16_t port, const char *name_json, const char *code,
                           const char *words)
{
    char join[256];
    static struct proto_control m;
    snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"%s\"}",
             name_json);
    int fd = harness_udp_socket(NULL);
    assert_true(harness_udp_join(fd, port, join, &m, WAIT_MS));
    close(fd);
    if (m.type != PROTO_CTL_ERROR || strcmp(m.code, code) != 0 || !strstr(m.text, words))
        fail_msg("%s: answered %s %s \"%s\", not %s \"%s\"", join, proto_ctl_type_name(m.type),
                 m.code, m.text, code, words);
    printf("%s: %s \"%s\"\n", join, m.code, m.text);
}

static void refused_names_say_why_over_the_wire(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--transport", "udp", "--name-max", "12", NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    expect_refused((uint16_t)port, "a\\u001b[2J", "bad_name",
                   "a name may not hold control characters (U+001B)");
    expect_refused((uint16_t)port, "\\u202enimda", "bad_name",
                   "a name may not hold invisible format characters (U+202E)");
    expect_refused((uint16_t)port, "a\xe2\x80\x8b" "b", "bad_name", "format characters (U+200B)");
    expect_refused((uint16_t)port, "   ", "bad_name", "a name may not be only spaces");
    expect_refused((uint16_t)port, "가나다라마", "bad_name",
                   "a name may not be longer than 12 bytes of UTF-8 (this one is 15;");
    expect_refused((uint16_t)port, "가나다라마바사아자차카", "bad_name",
                   "a name may not be longer than 32 bytes of UTF-8 (this one is 33;");
    expect_refused((uint16_t)port, "ab\xff", "bad_json", "not strict UTF-8");
    static struct proto_control m;
    int fd = harness_udp_socket(NULL);
    assert_true(harness_udp_join(fd, (uint16_t)port,
                                 "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\""
                                 MINSU "\",\"mode\":\"udp\"}", &m, WAIT_MS));
    close(fd);
    assert_int_equal(m.type, PROTO_CTL_WELCOME); /* 6 bytes: within --name-max 12 */
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static void the_library_refuses_before_sending(void **state)
{
    (void)state;
    struct ricochet_config *cfg = ricochet_config_new();
    assert_int_equal(ricochet_config_set_name(cfg, MINSU), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, "ab\xff"), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg),
                        "name 'ab\\xff': a name must be UTF-8 text (byte 3 is not)");
    assert_int_equal(ricochet_config_set_name(cfg, "\xe2\x81\xa6" MINSU), RICOCHET_E_INVALID);
    assert_string_equal(ricochet_config_error(cfg),
                        "name '\\xe2\\x81\\xa6" MINSU "': a name may not hold invisible format "
                        "characters (U+2066)");
    ricochet_config_free(cfg);
}

/* The rows of ricochet-bot's who-saw-whom table that start with prefix:
 * each the same display width as the first. Returns how many. */
static int rows_lined_up(char *out, const char *prefix)
{
    int rows = 0;
    size_t width = 0;
    char *table = strstr(out, "who saw whom");
    assert_non_null(table);
    for (char *save = NULL, *line = strtok_r(table, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, prefix, strlen(prefix)) != 0)
            continue;
        if (rows++ == 0)
            width = text_cols(line);
        else if (text_cols(line) != width)
            fail_msg("'%s' is %zu columns wide, the first row %zu", line, text_cols(line), width);
    }
    return rows;
}

static void the_bot_prints_names_whole(void **state)
{
    (void)state;
    struct spawn_proc relay, bot;
    const char *rargs[] = {"--max-per-address", "16", NULL};
    char port[16];
    int p = harness_start_relay(&relay, rargs);
    assert_true(p > 0);
    snprintf(port, sizeof port, "%d", p);
    const char *args[] = {"--port", port, "--count", "3", "--rate", "20", "--duration", "1",
                          "--seed", "7", "--name", MINSU, NULL};
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", args), 0);
    assert_int_equal(spawn_stop(&bot, 0, 60000), 0);
    char *out = spawn_read_stdout(&bot);
    assert_non_null(out);
    printf("%s", out);
    for (int i = 1; i <= 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "\n" MINSU "-%d (id ", i);
        if (!strstr(out, name))
            fail_msg("no line starts '%s'", name + 1);
    }
    assert_int_equal(rows_lined_up(out, "  " MINSU "-"), 3);
    free(out);
    spawn_free(&bot);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_scripts_in_one_room),
        cmocka_unit_test(refused_names_say_why_over_the_wire),
        cmocka_unit_test(the_library_refuses_before_sending),
        cmocka_unit_test(the_bot_prints_names_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
