/* test_keyfile: ticket keys and ticket lists in files (sys/keyfile.c).
 * keygen writes 64 hex digits readable by the owner only and never
 * overwrites; a key file that is not exactly a key is refused with its
 * path; --ticket T or @FILE (one ticket a line, blank lines skipped) gives
 * the tickets in order, within the caller's maximum. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/keyfile.h"

static char dir[] = "/tmp/test_keyfile.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) && ticket_crypto_init() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* dir/name into path (256 bytes); returns path. */
static char *in_dir(char *path, const char *name)
{
    snprintf(path, 256, "%s/%s", dir, name);
    return path;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void generate_then_load(void **state)
{
    (void)state;
    char path[256], err[512];
    struct ticket_key a, b;
    assert_int_equal(keyfile_generate(in_dir(path, "k1"), err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    assert_int_equal(keyfile_load(path, &a, err, sizeof err), 0);
    /* never overwritten: the key stays the same */
    assert_int_equal(keyfile_generate(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "never overwritten"));
    assert_int_equal(keyfile_load(path, &b, err, sizeof err), 0);
    assert_memory_equal(a.secret, b.secret, TICKET_KEY_BYTES);
    assert_int_equal(a.id, b.id);
    /* a second key differs */
    assert_int_equal(keyfile_generate(in_dir(path, "k2"), err, sizeof err), 0);
    assert_int_equal(keyfile_load(path, &b, err, sizeof err), 0);
    assert_memory_not_equal(a.secret, b.secret, TICKET_KEY_BYTES);
}

static void bad_key_files_refused(void **state)
{
    (void)state;
    char path[256], err[512];
    struct ticket_key k;
    const char *bad[] = {
        "", "abcd\n", "zz00000000000000000000000000000000000000000000000000000000000000\n",
        "0000000000000000000000000000000000000000000000000000000000000000 extra\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(in_dir(path, "bad"), bad[i]);
        assert_int_equal(keyfile_load(path, &k, err, sizeof err), -1);
        assert_non_null(strstr(err, path));
    }
    /* without its newline, or with CRLF, a key is a key */
    write_file(path, "00000000000000000000000000000000000000000000000000000000000000ff");
    assert_int_equal(keyfile_load(path, &k, err, sizeof err), 0);
    assert_int_equal(k.secret[31], 0xff);
    write_file(path, "00000000000000000000000000000000000000000000000000000000000000ff\r\n");
    assert_int_equal(keyfile_load(path, &k, err, sizeof err), 0);
    assert_int_equal(keyfile_load(in_dir(path, "none"), &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
}

static void ticket_lists(void **state)
{
    (void)state;
    char path[256], arg[260], err[512];
    static char out[4][TICKET_TEXT_MAX + 1];
    assert_int_equal(keyfile_read_tickets("abc", out, 4, err, sizeof err), 1);
    assert_string_equal(out[0], "abc");
    write_file(in_dir(path, "list"), "t1\n\n  t2 \r\n# not skipped\nt4");
    snprintf(arg, sizeof arg, "@%s", path);
    assert_int_equal(keyfile_read_tickets(arg, out, 4, err, sizeof err), 4);
    assert_string_equal(out[1], "t2");
    assert_string_equal(out[2], "# not skipped");
    assert_string_equal(out[3], "t4");
    assert_int_equal(keyfile_read_tickets(arg, out, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than 3"));
    write_file(path, "\n \n");
    assert_int_equal(keyfile_read_tickets(arg, out, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "no ticket"));
    assert_int_equal(keyfile_read_tickets("@/nonexistent/x", out, 4, err, sizeof err), -1);
    static char longer[TICKET_TEXT_MAX + 2];
    memset(longer, 'A', sizeof longer - 1);
    assert_int_equal(keyfile_read_tickets(longer, out, 4, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generate_then_load),
        cmocka_unit_test(bad_key_files_refused),
        cmocka_unit_test(ticket_lists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
