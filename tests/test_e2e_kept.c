/* test_e2e_kept.c: kept events through a real ricochet-relay over ENet on
 * 127.0.0.1, with libricochet (ricochet_send_kept, ricochet_event_key): a
 * latecomer gets the room's kept events after its WELCOME, before the
 * room's live events, in order, as EVENTs with code "kept", key and bytes
 * whole: the newest of a key, a cleared key gone; the library refuses a
 * bad key or too many bytes before sending; a relay's restart loses them
 * (the players back through their rejoin, a newcomer gets none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "client/lib/ricochet.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

#define WAIT_MS 20000 /* a loaded machine: generous */
#define SEEN_MAX 64

/* What one session was given, in order. */
struct seen {
    size_t n;
    struct {
        enum ricochet_event_type type;
        char code[RICOCHET_CODE_MAX + 1];
        char key[RICOCHET_KEY_MAX + 1];
        char body[64];
    } at[SEEN_MAX];
};

static size_t count(const struct seen *s, enum ricochet_event_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->at[i].type == type;
    return n;
}

/* Polls every session (recording into seen[i]) until seen[who] holds
 * want events of type, or WAIT_MS; then for linger_ms more. */
static void pump(struct ricochet *const *c, struct seen *seen, size_t n, size_t who,
                 enum ricochet_event_type type, size_t want, int linger_ms)
{
    uint64_t end = clock_now_ms() + WAIT_MS, linger = 0;
    while (clock_now_ms() < (linger ? linger : end)) {
        for (size_t i = 0; i < n; i++) {
            struct ricochet_event ev;
            while (c[i] && ricochet_poll(c[i], 2, &ev) == 1 && seen[i].n < SEEN_MAX) {
                size_t len = 0;
                const uint8_t *b = ricochet_event_bytes(c[i], &len);
                struct seen *s = &seen[i];
                s->at[s->n].type = ev.type;
                snprintf(s->at[s->n].code, sizeof s->at[s->n].code, "%s", ev.code);
                snprintf(s->at[s->n].key, sizeof s->at[s->n].key, "%s", ricochet_event_key(c[i]));
                snprintf(s->at[s->n].body, sizeof s->at[s->n].body, "%.*s",
                         (int)(ev.type == RICOCHET_EV_EVENT ? len : 0), b ? (const char *)b : "");
                s->n++;
            }
        }
        if (!linger && count(&seen[who], type) >= want)
            linger = clock_now_ms() + (uint64_t)linger_ms;
    }
    assert_true(count(&seen[who], type) >= want);
}

static struct ricochet *player(uint16_t port, const char *name)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_UNSEQUENCED, name);
    assert_int_equal(ricochet_config_set_room(cfg, "tag"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_rejoin(cfg, WAIT_MS), RICOCHET_OK);
    return players_connect(cfg);
}

static void expect(const struct seen *s, size_t i, enum ricochet_event_type type,
                   const char *code, const char *key, const char *body)
{
    assert_true(i < s->n);
    assert_int_equal(s->at[i].type, type);
    assert_string_equal(s->at[i].code, code);
    assert_string_equal(s->at[i].key, key);
    assert_string_equal(s->at[i].body, body);
}

static void a_latecomer_catches_up_a_restart_forgets(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "enet");
    struct ricochet *c[3] = {player(port, "ann"), NULL, NULL};
    struct seen seen[3] = {0};
    pump(c, seen, 1, 0, RICOCHET_EV_WELCOME, 1, 0);

    /* refused before sending: a key with a space, none, too many bytes */
    uint8_t big[RICOCHET_EVENT_MAX] = {0};
    assert_int_equal(ricochet_send_kept(c[0], "a b", "x", 1, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_kept(c[0], "", "x", 1, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_kept(c[0], "k", "x", 1, 2), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_send_kept(c[0], "k", big, sizeof big, 0), RICOCHET_E_TOO_BIG);

    assert_int_equal(ricochet_send_kept(c[0], "it", "bob", 3, 0), RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(c[0], "score", "1:0", 3, RICOCHET_KEEP_STAY),
                     RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(c[0], "door", "open", 4, RICOCHET_KEEP_STAY),
                     RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(c[0], "it", "ann", 3, 0), RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(c[0], "door", NULL, 0, 0), RICOCHET_OK);
    ricochet_flush(c[0]);

    c[1] = player(port, "bob");
    pump(c, seen, 2, 1, RICOCHET_EV_EVENT, 2, 0);
    assert_int_equal(ricochet_send_event(c[0], RICOCHET_TO_ROOM, "live", 4), RICOCHET_OK);
    pump(c, seen, 2, 1, RICOCHET_EV_EVENT, 3, 300);
    /* bob: its welcome, the two kept in order, then the live one */
    size_t w = 0;
    while (w < seen[1].n && seen[1].at[w].type != RICOCHET_EV_WELCOME)
        assert_int_not_equal(seen[1].at[w++].type, RICOCHET_EV_EVENT);
    expect(&seen[1], w + 1, RICOCHET_EV_EVENT, "kept", "score", "1:0");
    expect(&seen[1], w + 2, RICOCHET_EV_EVENT, "kept", "it", "ann");
    size_t live = w + 3;
    while (live < seen[1].n && seen[1].at[live].type != RICOCHET_EV_EVENT)
        live++;
    expect(&seen[1], live, RICOCHET_EV_EVENT, "room", "", "live");
    assert_int_equal(count(&seen[1], RICOCHET_EV_EVENT), 3);

    /* the relay killed and started again on its port: both back, and a
     * newcomer gets nothing kept */
    assert_int_equal(spawn_stop(&relay, SIGKILL, 5000), 128 + SIGKILL);
    spawn_free(&relay);
    char url[40];
    snprintf(url, sizeof url, "enet://127.0.0.1:%u", (unsigned)port);
    const char *again[] = {"--listen", url, NULL};
    assert_true(harness_start_relay(&relay, again) > 0);
    pump(c, seen, 2, 0, RICOCHET_EV_WELCOME, 2, 0);
    pump(c, seen, 2, 1, RICOCHET_EV_WELCOME, 2, 0);
    c[2] = player(port, "cat");
    pump(c, seen, 3, 2, RICOCHET_EV_WELCOME, 1, 500);
    assert_int_equal(count(&seen[2], RICOCHET_EV_EVENT), 0);
    assert_int_equal(count(&seen[1], RICOCHET_EV_EVENT), 3);
    for (int i = 0; i < 3; i++)
        ricochet_close(c[i]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_latecomer_catches_up_a_restart_forgets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
