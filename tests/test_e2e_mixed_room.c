/* test_e2e_mixed_room.c: one room of four languages: a C player (this
 * test, libricochet), the Python package (libricochet through ctypes,
 * installed by `make install-lib`), the JavaScript package in Node over the
 * relay's ws edge, and the managed C# session under mono with no
 * libricochet where mono looks (tests/support/mixed/, client/csharp/tests/
 * mixed/): each keeps an event under its name, sends states with its name
 * as their payload, and has, from every other, a state with that payload
 * and the kept event (live, or replayed to it as a latecomer), then says
 * done to the room and leaves once every other said it too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

#define PLAYERS 4
static const char *const names[PLAYERS] = {"c", "py", "js", "cs"};

static char scratch[64];

static int setup(void **state)
{
    (void)state;
    return harness_install_lib(scratch, sizeof scratch);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

/* The others' names but mine, comma-separated. */
static void others_of(int me, char *out, size_t cap)
{
    out[0] = '\0';
    for (int i = 0; i < PLAYERS; i++)
        if (i != me)
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "", names[i]);
}

/* The C player, as the others (tests/support/mixed/mixed.py): true once it
 * saw all and every other said done, within 40 s. */
static bool c_player(uint16_t port)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", port), 0);
    assert_int_equal(ricochet_config_set_room(cfg, "mixed"), 0);
    assert_int_equal(ricochet_config_set_name(cfg, "c"), 0);
    char err[256];
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    assert_non_null(r);
    bool states[PLAYERS] = {false}, kept[PLAYERS] = {false}, done[PLAYERS] = {false}, said = false;
    states[0] = kept[0] = done[0] = true;
    uint64_t end = clock_now_ms() + 40000, next = 0;
    struct ricochet_event ev;
    for (;;) {
        bool all = true;
        for (int i = 0; i < PLAYERS; i++)
            all &= states[i] && kept[i];
        if (all && !said) {
            said = ricochet_send_event(r, RICOCHET_TO_ROOM, "done:c", 6) == RICOCHET_OK;
        }
        bool finished = said;
        for (int i = 0; i < PLAYERS; i++)
            finished &= done[i];
        if (finished || clock_now_ms() > end)
            break;
        while (ricochet_poll(r, 5, &ev) == 1) {
            size_t n = 0;
            const uint8_t *b = ricochet_event_bytes(r, &n);
            char text[64] = "";
            if (b && n < sizeof text) {
                memcpy(text, b, n);
                text[n] = '\0';
            }
            if (ev.type == RICOCHET_EV_WELCOME)
                assert_int_equal(ricochet_send_kept(r, "c", "c", 1, 0), RICOCHET_OK);
            for (int i = 1; i < PLAYERS; i++) {
                char word[32];
                snprintf(word, sizeof word, "done:%s", names[i]);
                if (ev.type == RICOCHET_EV_STATE && strcmp(text, names[i]) == 0)
                    states[i] = true;
                if (ev.type == RICOCHET_EV_EVENT && strcmp(text, names[i]) == 0 &&
                    strcmp(ricochet_event_key(r), names[i]) == 0)
                    kept[i] = true;
                if (ev.type == RICOCHET_EV_EVENT && strcmp(text, word) == 0)
                    done[i] = true;
            }
        }
        if (ricochet_joined(r) && clock_now_ms() >= next) {
            struct ricochet_state st = {.x = 10, .y = 20};
            ricochet_send_state_payload(r, &st, "c", 1);
            next = clock_now_ms() + 50;
        }
    }
    bool ok = said;
    for (int i = 0; i < PLAYERS; i++) {
        ok &= done[i];
        if (!states[i] || !kept[i] || !done[i])
            print_error("c missed %s: state %d kept %d done %d\n", names[i], states[i], kept[i],
                        done[i]);
    }
    ricochet_close(r);
    return ok;
}

static void four_languages_in_one_room(void **state)
{
    (void)state;
    if (access("client/js/node_modules/ws/package.json", R_OK) != 0 &&
        system("node -e \"process.exit(globalThis.WebSocket ? 0 : 1)\"") != 0)
        fail_msg("no WebSocket for Node: run .ci/deps test (npm ci in client/js)");
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t enet = harness_edge_port(&relay, "enet"), ws = harness_edge_port(&relay, "ws");
    char cmd[2048], others[64];
    snprintf(cmd, sizeof cmd, "mcs -nologo -warnaserror -out:%s/mixed.exe client/csharp/Ricochet/*.cs "
             "client/csharp/tests/mixed/Mixed.cs 1>&2", scratch);
    assert_int_equal(system(cmd), 0);
    /* the three others in the background, each its exit code into a file */
    others_of(1, others, sizeof others);
    snprintf(cmd, sizeof cmd, "(LD_LIBRARY_PATH=%s/usr/lib PYTHONPATH=client/python timeout 60 python3 "
             "tests/support/mixed/mixed.py 127.0.0.1 %u mixed py %s 1>&2; echo $? > %s/py.rc) &",
             scratch, (unsigned)enet, others, scratch);
    assert_int_equal(system(cmd), 0);
    others_of(2, others, sizeof others);
    snprintf(cmd, sizeof cmd, "(timeout 60 node tests/support/mixed/mixed.mjs ws://127.0.0.1:%u/ mixed js %s "
             "1>&2; echo $? > %s/js.rc) &", (unsigned)ws, others, scratch);
    assert_int_equal(system(cmd), 0);
    others_of(3, others, sizeof others);
    snprintf(cmd, sizeof cmd, "(mkdir -p %s/empty && LD_LIBRARY_PATH=%s/empty timeout 60 mono %s/mixed.exe "
             "%u mixed cs %s 1>&2; echo $? > %s/cs.rc) &", scratch, scratch, scratch, (unsigned)enet,
             others, scratch);
    assert_int_equal(system(cmd), 0);
    bool c_ok = c_player(enet);
    for (int i = 1; i < PLAYERS; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s.rc", scratch, names[i]);
        char *rc = NULL;
        for (int k = 0; k < 700 && (!(rc = harness_read_text(path)) || !rc[0]); k++) {
            free(rc); /* not yet, or not yet written */
            rc = NULL;
            clock_sleep_ms(100);
        }
        if (!rc || atoi(rc) != 0)
            fail_msg("the %s player: exit %s", names[i], rc ? rc : "(none within 70 s)");
        free(rc);
    }
    assert_true(c_ok);
    harness_stop(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_languages_in_one_room),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
