/* test_keys.c: every key of ricochet-client maps to its action, unknown keys
 * to none, and the chat line editor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <curses.h> /* KEY_* constants only; nothing is called */

#include "client/tui/keys.h"

struct binding {
    int ch;
    enum keys_action action;
};

static const struct binding bindings[] = {
    { KEY_UP, KEYS_UP }, { 'w', KEYS_UP }, { 'W', KEYS_UP }, { 'k', KEYS_UP },
    { KEY_DOWN, KEYS_DOWN }, { 's', KEYS_DOWN }, { 'S', KEYS_DOWN }, { 'j', KEYS_DOWN },
    { KEY_LEFT, KEYS_LEFT }, { 'a', KEYS_LEFT }, { 'A', KEYS_LEFT }, { 'h', KEYS_LEFT },
    { KEY_RIGHT, KEYS_RIGHT }, { 'd', KEYS_RIGHT }, { 'D', KEYS_RIGHT }, { 'l', KEYS_RIGHT },
    { ' ', KEYS_STOP }, { 'x', KEYS_STOP }, { 'X', KEYS_STOP },
    { '1', KEYS_MODE }, { '2', KEYS_MODE }, { '3', KEYS_MODE },
    { '+', KEYS_RATE_UP }, { '=', KEYS_RATE_UP },
    { '-', KEYS_RATE_DOWN }, { '_', KEYS_RATE_DOWN },
    { ']', KEYS_DELAY_UP }, { '[', KEYS_DELAY_DOWN },
    { 'i', KEYS_TOGGLE_INTERP }, { 'I', KEYS_TOGGLE_INTERP },
    { 'g', KEYS_TOGGLE_GHOST }, { 'G', KEYS_TOGGLE_GHOST },
    { 'c', KEYS_CHAT }, { 'C', KEYS_CHAT }, { 't', KEYS_CHAT }, { '\n', KEYS_CHAT },
    { '\r', KEYS_CHAT }, { KEY_ENTER, KEYS_CHAT },
    { '?', KEYS_HELP }, { KEY_F(1), KEYS_HELP },
    { 'r', KEYS_RECONNECT }, { 'R', KEYS_RECONNECT },
    { 12 /* Ctrl-L */, KEYS_REDRAW }, { KEY_RESIZE, KEYS_RESIZE },
    { 'q', KEYS_QUIT }, { 'Q', KEYS_QUIT },
};
#define NBIND (sizeof bindings / sizeof bindings[0])

static void every_binding(void **state)
{
    (void)state;
    for (size_t i = 0; i < NBIND; i++) {
        enum keys_action got = keys_action_for(bindings[i].ch);
        if (got != bindings[i].action)
            fail_msg("key %d: got %s, want %s", bindings[i].ch, keys_action_name(got),
                     keys_action_name(bindings[i].action));
    }
}

static void every_action_has_a_key(void **state)
{
    (void)state;
    /* Each action except none is reachable; a new action without a key fails. */
    for (int a = KEYS_NONE + 1; a < KEYS_ACTION_COUNT; a++) {
        int found = 0;
        for (size_t i = 0; i < NBIND; i++)
            found |= bindings[i].action == (enum keys_action)a;
        if (!found)
            fail_msg("action %s has no key in the table", keys_action_name((enum keys_action)a));
    }
}

static int bound(int ch)
{
    for (size_t i = 0; i < NBIND; i++)
        if (bindings[i].ch == ch)
            return 1;
    return 0;
}

static void unknown_keys_do_nothing(void **state)
{
    (void)state;
    /* Every byte and curses key code outside the table maps to none: no key
     * does something by accident (Esc in particular must not quit). */
    for (int ch = -1; ch < KEY_MAX; ch++)
        if (!bound(ch) && keys_action_for(ch) != KEYS_NONE)
            fail_msg("unbound key %d maps to %s", ch, keys_action_name(keys_action_for(ch)));
    assert_int_equal(keys_action_for(27), KEYS_NONE);
    assert_int_equal(keys_action_for(ERR), KEYS_NONE);
    assert_int_equal(keys_action_for('z'), KEYS_NONE);
    assert_int_equal(keys_action_for('4'), KEYS_NONE);
}

static void names_and_help(void **state)
{
    (void)state;
    size_t n;
    const struct keys_help_row *rows = keys_help(&n);
    assert_string_equal(keys_action_name(KEYS_QUIT), "quit");
    assert_string_equal(keys_action_name(KEYS_NONE), "none");
    assert_string_equal(keys_action_name((enum keys_action)999), "?");
    for (int a = 0; a < KEYS_ACTION_COUNT; a++)
        assert_non_null(keys_action_name((enum keys_action)a));
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(rows[i].keys);
        assert_non_null(rows[i].what);
    }
}

static void line_editor(void **state)
{
    (void)state;
    struct keys_line l;
    keys_line_clear(&l);
    assert_int_equal(keys_line_edit(&l, 'h'), KEYS_EDIT_CONTINUE);
    keys_line_edit(&l, 'i');
    keys_line_edit(&l, '!');
    assert_string_equal(l.text, "hi!");
    assert_int_equal(keys_line_edit(&l, KEY_BACKSPACE), KEYS_EDIT_CONTINUE);
    assert_string_equal(l.text, "hi");
    keys_line_edit(&l, 127);
    keys_line_edit(&l, 8);
    assert_string_equal(l.text, "");
    keys_line_edit(&l, 127); /* on empty: stays empty */
    assert_int_equal(l.len, 0);
    /* Control characters and curses keys are not text. */
    keys_line_edit(&l, '\t');
    keys_line_edit(&l, KEY_LEFT);
    keys_line_edit(&l, 0x80);
    assert_int_equal(l.len, 0);
    keys_line_edit(&l, 'o');
    keys_line_edit(&l, 'k');
    assert_int_equal(keys_line_edit(&l, '\n'), KEYS_EDIT_SUBMIT);
    assert_int_equal(keys_line_edit(&l, '\r'), KEYS_EDIT_SUBMIT);
    assert_int_equal(keys_line_edit(&l, KEY_ENTER), KEYS_EDIT_SUBMIT);
    assert_string_equal(l.text, "ok");
    assert_int_equal(keys_line_edit(&l, 27), KEYS_EDIT_CANCEL);
    keys_line_edit(&l, 21); /* Ctrl-U */
    assert_string_equal(l.text, "");
    /* Fills up to PROTO_TEXT_MAX and stops there. */
    for (int i = 0; i < PROTO_TEXT_MAX + 20; i++)
        keys_line_edit(&l, 'a' + i % 26);
    assert_int_equal(l.len, PROTO_TEXT_MAX);
    assert_int_equal(strlen(l.text), PROTO_TEXT_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_binding),
        cmocka_unit_test(every_action_has_a_key),
        cmocka_unit_test(unknown_keys_do_nothing),
        cmocka_unit_test(names_and_help),
        cmocka_unit_test(line_editor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
