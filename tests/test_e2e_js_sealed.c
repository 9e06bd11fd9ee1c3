/* test_e2e_js_sealed.c: sealed sessions across bindings: on a relay that
 * seals (--ticket-key, --encrypt), a ricochet.js player in Node over the ws
 * edge (tests/support/sealed_player.mjs, libsodium-wrappers) and a C player
 * of libricochet over ENet share one room, each sealed, each receiving the
 * other's states with their payloads; a sealed state the JS player sends
 * with a byte changed is counted (drops.seal_forged) and dropped, and both
 * sessions go on. */
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
#include "sys/clock.h"
#include "sys/keyfile.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/servers.h"

static char dir[] = "/tmp/test_e2e_js_sealed.XXXXXX";
static char key_path[256], ticket_path[256];

/* A ticket for name in room "mixed" under the test's key, sealed. */
static void mint(const char *name, char *out, size_t cap)
{
    int n = ricochet_ticket_mint(key_path, "mixed", name, NULL, 300, 0, out, cap);
    if (n < 0)
        fail_msg("mint: %s", out);
}

/* The C player: polls, sends a state with payload "c" every 20 ms and
 * counts states of jay's payload "js", until the JS player exits (30 s at
 * most). Returns that count. */
static int play_until_exit(struct ricochet *c, struct spawn_proc *js)
{
    struct ricochet_event ev;
    struct ricochet_state me = {.x = 3, .y = 4};
    int got = 0;
    uint64_t deadline = clock_now_ms() + 30000, next = 0;
    while (spawn_running(js) && clock_now_ms() < deadline) {
        if (clock_now_ms() >= next) {
            ricochet_send_state_payload(c, &me, "c", 1);
            next = clock_now_ms() + 20;
        }
        int r = ricochet_poll(c, 10, &ev);
        assert_true(r >= 0);
        if (r == 1 && ev.type == RICOCHET_EV_DISCONNECTED)
            fail_msg("the C player was disconnected: %s %s", ev.code, ev.text);
        struct ricochet_member m;
        size_t len = 0;
        const void *p = r == 1 && ev.type == RICOCHET_EV_STATE ? ricochet_event_bytes(c, &len)
                                                              : NULL;
        if (p && len == 2 && memcmp(p, "js", 2) == 0 &&
            ricochet_member(c, ev.id, &m) == RICOCHET_OK && strcmp(m.name, "jay") == 0)
            got++;
    }
    return got;
}

static void a_js_and_a_c_player_share_a_sealed_room(void **state)
{
    (void)state;
    const char *args[] = {"--ticket-key", key_path, "--encrypt", "--listen", "enet://127.0.0.1:0",
                          "--listen", "ws://127.0.0.1:0", NULL};
    char err[256];
    servers_tmpdir(dir);
    snprintf(key_path, sizeof key_path, "%s/backend.key", dir);
    snprintf(ticket_path, sizeof ticket_path, "%s/jay.ticket", dir);
    if (keyfile_generate(key_path, err, sizeof err) != 0)
        fail_msg("%s", err);
    struct spawn_proc relay;
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t enet_port = harness_edge_port(&relay, "enet");
    uint16_t ws_port = harness_edge_port(&relay, "ws");

    char ticket[RICOCHET_TICKET_MAX + 1];
    mint("jay", ticket, sizeof ticket);
    FILE *f = fopen(ticket_path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", ticket);
    fclose(f);
    mint("cee", ticket, sizeof ticket);
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", enet_port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_ticket(cfg, ticket), RICOCHET_OK);
    struct ricochet *c = players_connect(cfg);
    struct ricochet *cs[] = {c};
    struct ricochet_event ev;
    players_wait_event(cs, 1, 0, RICOCHET_EV_WELCOME, &ev);
    assert_true(ricochet_sealed(c));

    if (access("client/js/node_modules/libsodium-wrappers/package.json", R_OK) != 0)
        fail_msg("no libsodium-wrappers for ricochet.js: run .ci/deps test (npm ci in client/js)");
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)ws_port);
    const char *js_args[] = {"tests/support/sealed_player.mjs", url, ticket_path, "cee", NULL};
    struct spawn_proc js;
    if (spawn_start(&js, "/usr/bin", "node", js_args, err, sizeof err) != 0)
        fail_msg("node: %s", err);
    int got = play_until_exit(c, &js);
    int rc = spawn_stop(&js, SIGTERM, 2000);
    char *out = spawn_read_stdout(&js);
    fprintf(stderr, "the JS player: %s", out ? out : "(nothing)\n");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\"sealed\":true"));
    assert_non_null(strstr(out, "\"bad\":0"));
    free(out);
    spawn_free(&js);
    assert_true(got >= 10);
    /* the changed one, and nothing else the two sent */
    assert_int_equal(harness_relay_stat(&relay, "drops.seal_forged"), 1);
    ricochet_close(c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    servers_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_js_and_a_c_player_share_a_sealed_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
