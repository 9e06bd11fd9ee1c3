/* test_log.c: the logger's sink. An injected sink gets each line at or
 * above the threshold with its level and the formatted text, and nothing
 * else; the default sink writes "YYYY-MM-DD HH:MM:SS.mmm LEVEL text" to
 * stderr; log_set_sink(NULL) brings it back; the JSON sink keeps a
 * character whole exactly where the control messages' text takes it; the
 * level names parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "sys/log.h"

struct caught {
    int n;
    enum log_level level[8];
    char msg[8][64];
};

static void catch_line(void *ctx, enum log_level level, const char *msg)
{
    struct caught *c = ctx;
    if (c->n < 8) {
        c->level[c->n] = level;
        snprintf(c->msg[c->n], sizeof c->msg[c->n], "%s", msg);
    }
    c->n++;
}

static void injected_sink_gets_lines_above_threshold(void **state)
{
    (void)state;
    struct caught c = { 0 };
    log_set_sink(catch_line, &c);
    log_threshold = LOG_INFO;
    log_debug("hidden %d", 1);
    log_info("joined %s as %u", "127.0.0.1:5000", 3u);
    log_warn("slow");
    log_error("gone");
    log_msg(LOG_OFF, "never: OFF is a threshold, not a level");
    log_threshold = LOG_ERROR;
    log_warn("hidden too");
    log_set_sink(NULL, NULL);
    log_threshold = LOG_INFO;
    assert_int_equal(c.n, 3);
    assert_int_equal(c.level[0], LOG_INFO);
    assert_string_equal(c.msg[0], "joined 127.0.0.1:5000 as 3");
    assert_int_equal(c.level[1], LOG_WARN);
    assert_string_equal(c.msg[1], "slow");
    assert_int_equal(c.level[2], LOG_ERROR);
    assert_string_equal(c.msg[2], "gone");
}

/* Runs log_warn(text) with stderr sent to a temporary file; returns what
 * was written (static). */
static const char *stderr_of_warn(const char *text)
{
    static char out[256];
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    log_warn("%s", text);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static void default_sink_writes_stamped_lines_to_stderr(void **state)
{
    (void)state;
    struct caught c = { 0 };
    log_set_sink(catch_line, &c);
    log_set_sink(NULL, NULL); /* back to the default */
    const char *line = stderr_of_warn("relay: hello");
    assert_int_equal(c.n, 0);
    /* 2026-11-21 12:00:00.123 WARN  relay: hello\n */
    int y, mo, d, h, mi, s, ms;
    char tag[8], rest[64];
    assert_int_equal(sscanf(line, "%4d-%2d-%2d %2d:%2d:%2d.%3d %7s %63[^\n]", &y, &mo, &d, &h,
                            &mi, &s, &ms, tag, rest), 9);
    assert_true(y >= 2024 && mo >= 1 && mo <= 12 && ms >= 0 && ms <= 999);
    assert_string_equal(tag, "WARN");
    assert_string_equal(rest, "relay: hello");
    assert_string_equal(line + strlen(line) - 1, "\n");
}

/* --log-json: one JSON object per line, UTC time, the level's name, the
 * program, and the message escaped so any bytes stay one valid line. */
static void json_sink_writes_one_object_per_line(void **state)
{
    (void)state;
    log_set_sink(log_json_sink, "ricochet-relay");
    const char *line = stderr_of_warn("bad \"name\" a\\b\nc\x01 caf\xc3\xa9 \xff\xc3(");
    log_set_sink(NULL, NULL);
    assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1); /* one line */
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring, "warn");
    assert_string_equal(cJSON_GetObjectItem(o, "program")->valuestring, "ricochet-relay");
    assert_string_equal(cJSON_GetObjectItem(o, "msg")->valuestring,
                        "bad \"name\" a\\b\nc\x01 caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd(");
    const char *t = cJSON_GetObjectItem(o, "time")->valuestring;
    int y, mo, d, h, mi, sec, ms;
    char z;
    assert_int_equal(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec,
                            &ms, &z), 8);
    assert_int_equal(z, 'Z');
    cJSON_Delete(o);
}

/* The log's JSON keeps a character whole exactly where the control
 * messages' text takes it (one reading of UTF-8, proto/utf8.h): each
 * sequence the decoder refuses becomes U+FFFD, each it takes stays. */
static void json_sink_reads_utf8_as_the_protocol(void **state)
{
    (void)state;
    static const char *const seqs[] = {
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8e\xae", "\xea\xb0\x80", /* taken */
        "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",         /* overlong */
        "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", /* surrogate, too high */
        "\xe2\x82", "\x80", "\xfe"};                               /* cut, stray */
    log_set_sink(log_json_sink, "test");
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        char text[16];
        snprintf(text, sizeof text, "a%sb", seqs[i]);
        cJSON *o = cJSON_Parse(stderr_of_warn(text));
        assert_non_null(o);
        const char *msg = cJSON_GetObjectItem(o, "msg")->valuestring;
        bool kept = !strcmp(msg, text);
        if (kept != (proto_text_valid(text) != 0))
            fail_msg("#%zu: the log %s it, the protocol %s it", i, kept ? "kept" : "replaced",
                     proto_text_valid(text) ? "takes" : "refuses");
        if (!kept)
            assert_non_null(strstr(msg, "\xef\xbf\xbd"));
        cJSON_Delete(o);
    }
    log_set_sink(NULL, NULL);
}

static void level_names(void **state)
{
    (void)state;
    static const char *const names[] = { "debug", "info", "warn", "error", "off" };
    for (int i = LOG_DEBUG; i <= LOG_OFF; i++) {
        enum log_level l = LOG_ERROR;
        assert_int_equal(log_level_parse(names[i], &l), 0);
        assert_int_equal(l, i);
    }
    enum log_level l = LOG_WARN;
    assert_int_equal(log_level_parse("verbose", &l), -1);
    assert_int_equal(log_level_parse("INFO", &l), -1);
    assert_int_equal(l, LOG_WARN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(injected_sink_gets_lines_above_threshold),
        cmocka_unit_test(default_sink_writes_stamped_lines_to_stderr),
        cmocka_unit_test(json_sink_writes_one_object_per_line),
        cmocka_unit_test(json_sink_reads_utf8_as_the_protocol),
        cmocka_unit_test(level_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
