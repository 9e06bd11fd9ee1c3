/* test_player_name.c: a player's name in any script (proto_name_check):
 * Hangul and Vietnamese with its marks (composed or not) taken and decoded
 * byte for byte, from raw UTF-8 and from JSON's \u escapes; refused, each
 * with the words that say why: empty, only spaces (a Hangul filler too),
 * control characters (C0, DEL, C1, a line separator), format characters
 * (bidi overrides and isolates, zero-width ones, a byte order mark),
 * bytes that are not UTF-8 (a stray byte, a surrogate, an overlong form),
 * past the bound in bytes (PROTO_NAME_MAX or the relay's --name-max) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"

static struct proto_control decoded; /* large (roster): not on the stack */
static struct proto_control *const msg = &decoded;

/* Checks name against the bound max: NULL expects it taken, else the
 * reason's words. */
static void expect(const char *name, size_t max, const char *words)
{
    char why[PROTO_TEXT_MAX + 1] = "unset";
    int ok = proto_name_check(name, max, why, sizeof why);
    if (!words && !ok)
        fail_msg("'%s' refused: %s", name, why);
    if (words && (ok || !strstr(why, words)))
        fail_msg("'%s': %s, not \"%s\"", name, ok ? "taken" : why, words);
    if (!words)
        assert_string_equal(why, "");
}

static void names_in_any_script_are_taken(void **state)
{
    (void)state;
    expect("민수", PROTO_NAME_MAX, NULL);
    expect("Nguyễn", PROTO_NAME_MAX, NULL);
    expect("Nguyễn Thị Minh Khai", PROTO_NAME_MAX, NULL); /* 24 bytes, spaces inside */
    expect("Nguye\xcc\x82\xcc\x83n", PROTO_NAME_MAX, NULL); /* ê + tilde, decomposed */
    expect("Siti Nurhaliza", PROTO_NAME_MAX, NULL);
    expect("alice-1", PROTO_NAME_MAX, NULL);
    expect(" 민수 ", PROTO_NAME_MAX, NULL);
    /* ten Hangul syllables and two letters: 32 bytes, the bound */
    expect("가나다라마바사아자차ab", PROTO_NAME_MAX, NULL);
    expect("😀", PROTO_NAME_MAX, NULL);
    assert_true(proto_name_valid("민수"));
    assert_false(proto_name_valid(""));
}

static void refused_names_say_why(void **state)
{
    (void)state;
    expect("", PROTO_NAME_MAX, "a name may not be empty");
    expect("   ", PROTO_NAME_MAX, "a name may not be only spaces");
    expect("\xe3\x80\x80", PROTO_NAME_MAX, "only spaces"); /* ideographic space */
    expect("\xe3\x85\xa4", PROTO_NAME_MAX, "only spaces"); /* Hangul filler */
    expect("ana\x1b[31m", PROTO_NAME_MAX, "a name may not hold control characters (U+001B)");
    expect("a\tb", PROTO_NAME_MAX, "control characters (U+0009)");
    expect("a\x7f", PROTO_NAME_MAX, "control characters (U+007F)");
    expect("a\xc2\x9b", PROTO_NAME_MAX, "control characters (U+009B)"); /* C1 CSI */
    expect("a\xe2\x80\xa8", PROTO_NAME_MAX, "control characters (U+2028)");
    expect("\xe2\x80\xae" "nimda", PROTO_NAME_MAX,
           "a name may not hold invisible format characters (U+202E)");
    expect("a\xe2\x81\xa6" "b", PROTO_NAME_MAX, "format characters (U+2066)");
    expect("a\xe2\x80\x8b" "b", PROTO_NAME_MAX, "format characters (U+200B)");
    expect("\xef\xbb\xbf" "bom", PROTO_NAME_MAX, "format characters (U+FEFF)");
    expect("ab\xff", PROTO_NAME_MAX, "a name must be UTF-8 text (byte 3 is not)");
    expect("\xed\xa0\x80", PROTO_NAME_MAX, "must be UTF-8"); /* a surrogate */
    expect("\xc0\xaf", PROTO_NAME_MAX, "must be UTF-8");     /* overlong '/' */
    expect("\xea\xb0", PROTO_NAME_MAX, "must be UTF-8");     /* cut short */
    /* eleven Hangul syllables: 33 bytes, one past the bound */
    expect("가나다라마바사아자차카", PROTO_NAME_MAX,
           "a name may not be longer than 32 bytes of UTF-8 (this one is 33; a Hangul "
           "syllable takes 3");
    /* a relay's lower --name-max, in bytes: 민수 is 6 */
    expect("민수", 6, NULL);
    expect("민수a", 6, "longer than 6 bytes");
    assert_int_equal(proto_name_check("a\x01", 32, NULL, 0), 0);
}

static int decode(const char *json, char *why, size_t cap)
{
    return proto_control_decode(json, strlen(json), msg, why, cap);
}

static void joins_and_notices_carry_the_name_intact(void **state)
{
    (void)state;
    char why[PROTO_TEXT_MAX + 1] = "";
    char buf[PROTO_CONTROL_MAX];
    assert_int_equal(decode("{\"type\":\"join\",\"room\":\"r\",\"name\":\"민수\"}", why,
                            sizeof why), PROTO_OK);
    assert_string_equal(msg->name, "민수");
    /* JSON's escapes of the same letters decode to the same bytes */
    assert_int_equal(decode("{\"type\":\"join\",\"room\":\"r\",\"name\":\"Nguy\\u1ec5n\"}", why,
                            sizeof why), PROTO_OK);
    assert_string_equal(msg->name, "Nguyễn");
    assert_int_equal(decode("{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\ubbfc\\uc218\"}",
                            why, sizeof why), PROTO_OK);
    assert_string_equal(msg->name, "민수");
    struct proto_control in;
    proto_control_init(&in, PROTO_CTL_JOINED);
    in.id = 7;
    strcpy(in.name, "Nguyễn Văn An");
    assert_true(proto_control_encode(buf, sizeof buf, &in) > 0);
    assert_non_null(strstr(buf, "\"name\":\"Nguyễn Văn An\"")); /* raw UTF-8, not \u */
    assert_int_equal(decode(buf, why, sizeof why), PROTO_OK);
    assert_string_equal(msg->name, "Nguyễn Văn An");
}

/* Each refusal of the decoder is bad_value on field "name", and its words
 * are the rule's (bytes that are not UTF-8, raw or a
 * lone surrogate's escape, fail the message as a whole: test_control). */
static void the_decoder_says_why_a_name_is_refused(void **state)
{
    (void)state;
    static const struct {
        const char *json, *why;
    } rows[] = {
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\u001bb\"}",
          "a name may not hold control characters (U+001B)" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\u202eabc\"}",
          "a name may not hold invisible format characters (U+202E)" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"  \"}", "a name may not be only spaces" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"가나다라마바사아자차카\"}",
          "a name may not be longer than 32 bytes of UTF-8 (this one is 33;" },
        { "{\"type\":\"joined\",\"id\":1,\"name\":\"\\u2066x\"}", "format characters (U+2066)" },
        { "{\"type\":\"chat\",\"id\":1,\"name\":\"\\u0085\",\"text\":\"hi\"}",
          "control characters (U+0085)" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char why[PROTO_TEXT_MAX + 1] = "";
        int rc = decode(rows[i].json, why, sizeof why);
        if (rc != PROTO_E_VALUE || strcmp(msg->fault.field, "name") != 0 ||
            !strstr(why, rows[i].why))
            fail_msg("%s: %d on \"%s\": %s", rows[i].json, rc, msg->fault.field, why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_in_any_script_are_taken),
        cmocka_unit_test(refused_names_say_why),
        cmocka_unit_test(joins_and_notices_carry_the_name_intact),
        cmocka_unit_test(the_decoder_says_why_a_name_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
