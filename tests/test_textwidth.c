/* test_textwidth.c: terminal columns of UTF-8 text (sys/textwidth.h), in
 * the C locale (its own tables) and in C.UTF-8 (wcwidth's): a Hangul
 * syllable 2 columns, a Vietnamese letter 1 composed or decomposed (its
 * combining marks 0), ASCII 1; a cut never inside a character, a wide one
 * that does not fit left out; padding to exact columns; a byte that is not
 * UTF-8 one column of one byte */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <string.h>

#include "sys/textwidth.h"

static void widths(void)
{
    assert_int_equal(text_cols("alice-1"), 7);
    assert_int_equal(text_cols("민수"), 4);
    assert_int_equal(text_cols("Nguyễn Văn An"), 13);
    assert_int_equal(text_cols("Nguye\xcc\x82\xcc\x83n"), 6); /* ê + tilde, decomposed */
    assert_int_equal(text_cols("ab\xff"), 3);
    assert_int_equal(text_char_cols(0x1b), 0);
}

static void cuts_and_pads(void)
{
    char out[64];
    size_t used;
    assert_int_equal(text_fit("민수민수", 5, &used), 6); /* two syllables: the third is cut out */
    assert_int_equal(used, 4);
    assert_string_equal(text_pad(out, sizeof out, "민수민수", 5), "민수 ");
    assert_string_equal(text_pad(out, sizeof out, "Nguyễn", 8), "Nguyễn  ");
    assert_string_equal(text_pad(out, sizeof out, "Nguyễn Văn An", 6), "Nguyễn");
    assert_string_equal(text_pad(out, 8, "민수민수", 10), "민수 "); /* 8 bytes: two fit */
    assert_int_equal(text_cols(text_pad(out, sizeof out, "가나다", 10)), 10);
}

static void in_the_c_locale(void **state)
{
    (void)state;
    setlocale(LC_CTYPE, "C");
    widths();
    cuts_and_pads();
}

static void in_a_utf8_locale(void **state)
{
    (void)state;
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        skip();
    widths();
    cuts_and_pads();
    setlocale(LC_CTYPE, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_the_c_locale),
        cmocka_unit_test(in_a_utf8_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
