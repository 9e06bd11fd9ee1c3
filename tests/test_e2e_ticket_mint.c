/* test_e2e_ticket_mint.c: ricochet_ticket_mint, as a game's backend calls
 * it (docs/tickets.md, "Minting in a backend"): a ticket it mints under the
 * relay's key file joins ricochet-relay --ticket-key (sealed with
 * --encrypt; with RICOCHET_TICKET_CLEAR, in clear on a relay without it) in
 * the ticket's room, also as a line with its newline; one
 * minted for the relay's endpoint joins it; one under another key is
 * refused ticket_tampered; mistakes (no key file, a bad room, a ttl past a
 * week, an unknown flag, a short buffer) are one line in the buffer. And a
 * ticket ricochet.js's mintTicket (client/js/mint.js, in Node) mints joins
 * a relay with --encrypt through the library, sealed: the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/ricochet.h"
#include "sys/clock.h"
#include "sys/keyfile.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

static char dir[] = "/tmp/test_e2e_ticket_mint.XXXXXX";
static char key_path[256], other_key_path[256];

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (!mkdtemp(dir))
        return -1;
    snprintf(key_path, sizeof key_path, "%s/backend.key", dir);
    snprintf(other_key_path, sizeof other_key_path, "%s/other.key", dir);
    return keyfile_generate(key_path, err, sizeof err) == 0 &&
                   keyfile_generate(other_key_path, err, sizeof err) == 0
               ? 0
               : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A session of ticket (room and name the ticket's) at 127.0.0.1:port. */
static struct ricochet *ticketed(uint16_t port, const char *ticket)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_ticket(cfg, ticket), RICOCHET_OK);
    return players_connect(cfg);
}

/* Polls c until it is welcomed (true) or its session ends (false). */
static bool welcomed(struct ricochet *c)
{
    struct ricochet_event ev;
    uint64_t deadline = clock_now_ms() + 10000;
    while (clock_now_ms() < deadline) {
        int r = ricochet_poll(c, 20, &ev);
        if (r < 0 || (r == 1 && ev.type == RICOCHET_EV_DISCONNECTED))
            return false;
        if (r == 1 && ev.type == RICOCHET_EV_WELCOME)
            return true;
    }
    fail_msg("neither welcomed nor ended in 10 s");
    return false;
}

/* The relay with args; a ticket minted with flags (for its endpoint only
 * if endpoint) joins it, sealed if it must be, with a newline after it. */
static void minted_joins(const char *const *args, bool endpoint, unsigned flags, bool sealed)
{
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    char t[RICOCHET_TICKET_MAX + 2], where[64];
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    int n = ricochet_ticket_mint(key_path, "lobby", "ana", endpoint ? where : NULL, 60, flags,
                                 t, sizeof t - 1);
    if (n <= 0)
        fail_msg("ricochet_ticket_mint: %s", t);
    assert_int_equal((size_t)n, strlen(t));
    strcat(t, "\n"); /* as a line of a file */
    struct ricochet *c = ticketed((uint16_t)port, t);
    assert_true(welcomed(c));
    assert_string_equal(ricochet_room_name(c), "lobby");
    assert_int_equal(ricochet_sealed(c), sealed);
    ricochet_close(c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static void a_minted_ticket_joins(void **state)
{
    (void)state;
    const char *encrypt[] = {"--ticket-key", key_path, "--encrypt", NULL};
    const char *clear[] = {"--ticket-key", key_path, NULL};
    minted_joins(encrypt, false, 0, true);
    minted_joins(clear, false, RICOCHET_TICKET_CLEAR, false);
    minted_joins(encrypt, true, 0, true);
}

static void another_key_is_refused(void **state)
{
    (void)state;
    const char *args[] = {"--ticket-key", key_path, NULL};
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    char t[RICOCHET_TICKET_MAX + 1];
    assert_true(ricochet_ticket_mint(other_key_path, "lobby", "eve", NULL, 60,
                                     RICOCHET_TICKET_CLEAR, t, sizeof t) > 0);
    struct ricochet *c = ticketed((uint16_t)port, t);
    assert_false(welcomed(c));
    if (!strstr(ricochet_end_reason(c), "ticket_tampered"))
        fail_msg("not refused as tampered: %s", ricochet_end_reason(c));
    ricochet_close(c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* Each mistake: RICOCHET_E_INVALID and one line with words in out. */
static void mistake(const char *key, const char *room, uint32_t ttl_s, unsigned flags,
                    size_t cap, const char *words)
{
    char out[RICOCHET_TICKET_MAX + 1];
    assert_int_equal(ricochet_ticket_mint(key, room, "ana", NULL, ttl_s, flags, out, cap),
                     RICOCHET_E_INVALID);
    if (!strstr(out, words) || strchr(out, '\n'))
        fail_msg("not one line saying \"%s\": %s", words, out);
}

static void mistakes_are_one_line(void **state)
{
    (void)state;
    mistake("/nonexistent/k", "lobby", 60, 0, sizeof(char[RICOCHET_TICKET_MAX + 1]),
            "No such file");
    mistake(key_path, "a b", 60, 0, RICOCHET_TICKET_MAX + 1, "room");
    mistake(key_path, "lobby", 604801, 0, RICOCHET_TICKET_MAX + 1, "week");
    mistake(key_path, "lobby", 60, 2, RICOCHET_TICKET_MAX + 1, "flags");
    mistake(key_path, "lobby", 60, 0, 100, "room for");
    assert_int_equal(ricochet_ticket_mint(key_path, "lobby", "ana", NULL, 60, 0, NULL, 0),
                     RICOCHET_E_INVALID);
}

static void a_ticket_node_mints_joins_sealed(void **state)
{
    (void)state;
    if (access("client/js/node_modules/libsodium-wrappers/package.json", R_OK) != 0)
        fail_msg("no libsodium-wrappers for mint.js: run .ci/deps test (npm ci in client/js)");
    char cmd[1024], t[RICOCHET_TICKET_MAX + 2] = "";
    snprintf(cmd, sizeof cmd,
             "cd client/js && node --input-type=module -e 'import { mintTicket } from "
             "\"./mint.js\"; console.log(await mintTicket(\"%s\", { room: \"lobby\", "
             "name: \"ana\", ttlS: 60 }))'",
             key_path);
    FILE *node = popen(cmd, "r");
    assert_non_null(node);
    assert_non_null(fgets(t, sizeof t, node));
    assert_int_equal(pclose(node), 0);
    const char *args[] = {"--ticket-key", key_path, "--encrypt", NULL};
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct ricochet *c = ticketed((uint16_t)port, t);
    assert_true(welcomed(c));
    assert_string_equal(ricochet_room_name(c), "lobby");
    assert_true(ricochet_sealed(c));
    ricochet_close(c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_minted_ticket_joins),
        cmocka_unit_test(another_key_is_refused),
        cmocka_unit_test(mistakes_are_one_line),
        cmocka_unit_test(a_ticket_node_mints_joins_sealed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
