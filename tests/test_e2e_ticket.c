/* test_e2e_ticket.c: ricochet-ticket, the program. keygen writes a key the
 * library loads (and refuses to overwrite it); mint prints tickets that a
 * client reads and a relay holding the key opens, with the room, name,
 * fleet or canonical relay endpoints and lifetime asked for; --count N
 * prints N tickets for NAME-1 .. NAME-N; mistakes end with exit 2 and one
 * line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/clock.h"
#include "../ticket/keyfile.h"
#include "support/harness.h"

static char dir[] = "/tmp/test_e2e_ticket.XXXXXX";
static char key_path[256];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir) || ticket_crypto_init() != 0)
        return -1;
    snprintf(key_path, sizeof key_path, "%s/backend.key", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs ricochet-ticket with args to its exit; returns its stdout (the
 * caller frees) and its exit code in *code, its stderr in err (cap bytes). */
static char *ticket_prog(const char *const *args, int *code, char *err, size_t cap)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-ticket", args), 0);
    *code = spawn_stop(&p, 0, 10000);
    char *out = spawn_read_stdout(&p), *e = spawn_read_stderr(&p);
    snprintf(err, cap, "%s", e ? e : "");
    free(e);
    spawn_free(&p);
    assert_non_null(out);
    return out;
}

static void keygen_then_mint(void **state)
{
    (void)state;
    int code;
    char err[512];
    const char *keygen[] = {"keygen", key_path, NULL};
    free(ticket_prog(keygen, &code, err, sizeof err));
    assert_int_equal(code, 0);
    struct ticket_key key;
    assert_int_equal(keyfile_load(key_path, &key, err, sizeof err), 0);
    /* a second keygen on the same file fails and keeps the key */
    free(ticket_prog(keygen, &code, err, sizeof err));
    assert_int_equal(code, 2);
    assert_non_null(strstr(err, "never overwritten"));

    uint64_t before = clock_unix_s();
    const char *mint[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "alice",
                          "--ttl", "120", NULL};
    char *out = ticket_prog(mint, &code, err, sizeof err);
    assert_int_equal(code, 0);
    assert_non_null(strchr(out, '\n'));
    *strchr(out, '\n') = '\0';
    struct ticket_claims read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    assert_int_equal(ticket_read(out, &read, pass, sizeof pass), 0);
    assert_string_equal(read.room, "lobby");
    assert_string_equal(read.name, "alice");
    assert_string_equal(read.fleet, "ricochet");
    assert_true(read.issued_s >= before && read.issued_s <= clock_unix_s());
    assert_int_equal(read.expires_s - read.issued_s, 120);
    const struct ticket_self self = {"ricochet", NULL, 0};
    assert_int_equal(ticket_verify(pass, &key, 1, &self, clock_unix_s(), &opened, NULL, 0),
                     PROTO_ERROR_NONE);
    assert_memory_equal(opened.up_key, read.up_key, SEAL_KEY_BYTES);
    free(out);
}

static void mint_relays_and_count(void **state)
{
    (void)state;
    int code;
    char err[512];
    const char *mint[] = {"mint", "--key", key_path, "--room", "r", "--name", "bot",
                          "--relay", "localhost:7000,[::1]:7001", "--count", "3", NULL};
    char *out = ticket_prog(mint, &code, err, sizeof err);
    assert_int_equal(code, 0);
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct ticket_claims read;
        char pass[TICKET_PASS_TEXT_MAX + 1], name[16];
        assert_int_equal(ticket_read(line, &read, pass, sizeof pass), 0);
        snprintf(name, sizeof name, "bot-%d", ++n);
        assert_string_equal(read.name, name);
        assert_string_equal(read.fleet, "");
        assert_int_equal(read.n_relays, 2);
        assert_string_equal(read.relays[0], "127.0.0.1:7000");
        assert_string_equal(read.relays[1], "[::1]:7001");
    }
    assert_int_equal(n, 3);
    free(out);
}

static void mistakes_are_one_line(void **state)
{
    (void)state;
    const char *none[] = {NULL};
    const char *no_name[] = {"mint", "--key", key_path, "--room", "r", NULL};
    const char *bad_room[] = {"mint", "--key", key_path, "--room", "a b", "--name", "n", NULL};
    const char *no_key[] = {"mint", "--key", "/nonexistent/k", "--room", "r", "--name", "n",
                            NULL};
    const char *bad_relay[] = {"mint", "--key", key_path, "--room", "r", "--name", "n",
                               "--relay", "nowhere.invalid:x", NULL};
    const char *long_ttl[] = {"mint", "--key", key_path, "--room", "r", "--name", "n",
                              "--ttl", "604801", NULL};
    const char *const *cases[] = {none, no_name, bad_room, no_key, bad_relay, long_ttl};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code;
        char err[512];
        char *out = ticket_prog(cases[i], &code, err, sizeof err);
        assert_int_equal(code, 2);
        assert_string_equal(out, "");
        assert_true(strncmp(err, "ricochet-ticket: error: ", 24) == 0);
        assert_non_null(strchr(err, '\n'));
        assert_ptr_equal(strchr(err, '\n') + 1, err + strlen(err)); /* one line */
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keygen_then_mint),
        cmocka_unit_test(mint_relays_and_count),
        cmocka_unit_test(mistakes_are_one_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
