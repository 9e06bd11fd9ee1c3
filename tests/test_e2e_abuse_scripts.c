/* test_e2e_abuse_scripts.c: a member against its room's script, over
 * 127.0.0.1 with the real relay (ENet) and room scripts (docs/scripts.md),
 * beside two honest players in another room. The member's events (at 170
 * a second, under --rate-limit's 180) make its room's script: fail at
 * every call; loop to its budget at every call (stopped); loop just under
 * its budget at every call (never stopped: its share of 10 budgets a
 * second is what bounds it); allocate to its memory cap at every call;
 * send every event to everyone, 1000 bytes, in a room of 13 more members.
 * And 14 members, each alone in a room of its own whose script loops just
 * under its budget at every event: each room spends its own share (many
 * more against the relay's, --script-share: test_e2e_abuse_script_share).
 * The honest players get >= 99% of their states in every case; the
 * relay's CPU over the run is printed beside the same member's events into
 * a room without a script, with the script's counts (errors, stops,
 * skipped calls, what it sent), and the relay lives through all of it.
 * tests/run: alone (its bounds are rates: delivery beside a load). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/ricochet.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/room_scripts.h"
#include "tests/support/session.h"

#define RUN_MS 5000
#define EVENT_HZ 170     /* under the relay's --rate-limit (180 a second) */
#define EVENT_BYTES 1000
#define CROWD 13         /* more members of the attacker's room */

/* The scripts, one per way to misbehave. */
static const struct {
    const char *name;
    const char *lua;
} scripts[] = {
    {"fail", "function on_event(room, member, event) error('no') end\n"
             "function on_state(room, member, state) error('no') end\n"},
    {"loop", "function on_event(room, member, event) while true do end end\n"},
    {"near", "function on_event(room, member, event)\n"
             "  local n = 0\n"
             "  for i = 1, 300000 do n = n + i end\n"
             "end\n"},
    {"alloc", "function on_event(room, member, event)\n"
              "  local t = room.store\n"
              "  for i = 1, 1e9 do t[#t + 1] = string.rep('x', 1000) .. i end\n"
              "end\n"},
    {"shout", "function on_event(room, member, event) room:send(event.body) end\n"},
};

#define ROOMS_MAX 14      /* attackers of rooms of their own, beside the honest two */

struct attack {
    struct session *s;
    size_t who[ROOMS_MAX]; /* the attackers' indexes in the session */
    size_t n;
    uint64_t t0, sent;     /* events, each attacker's */
};

/* The attackers' events, EVENT_HZ a second each. */
static void attack_hook(void *ctx)
{
    struct attack *a = ctx;
    uint64_t due = (clock_now_ms() - a->t0) * EVENT_HZ / 1000;
    static uint8_t body[EVENT_BYTES];
    memset(body, 'e', sizeof body);
    while (a->sent < due) {
        for (size_t i = 0; i < a->n; i++)
            ricochet_send_event(a->s->c[a->who[i]], 0, body, sizeof body);
        a->sent++;
    }
}

/* An attacker in room, its script script (NULL: none). */
static int attacker(struct session *s, uint16_t port, const char *room, const char *script)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, room);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    if (script)
        assert_int_equal(ricochet_config_set_room_prop(cfg, "script", script), RICOCHET_OK);
    int who = session_adopt(s, players_connect(cfg), room, false, 0);
    assert_true(who >= 0);
    return who;
}

/* The figures of one run. */
struct outcome {
    double delivery, cpu_s;
    long long errors, budget, memory, skipped, script_sent;
};

/* The attacker in room "bad" running script (NULL: none) with CROWD more
 * members, or (rooms > 1) that many attackers alone in rooms of their own,
 * beside the honest players in "honest". */
static struct outcome run(const char *dir, const char *script, size_t rooms)
{
    struct spawn_proc relay;
    const char *args[] = {"--script-dir", dir, "--kick-after", "0", "--log-level", "error",
                          NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "honest", "honest0", PROTO_MODE_RELIABLE, true, 30);
    session_add(&s, (uint16_t)port, "honest", "honest1", PROTO_MODE_RELIABLE, true, 30);
    struct attack a = {.s = &s, .n = rooms};
    for (size_t i = 0; i < rooms; i++) {
        char room[16];
        snprintf(room, sizeof room, rooms > 1 ? "bad%zu" : "bad", i);
        a.who[i] = (size_t)attacker(&s, (uint16_t)port, room, script);
    }
    for (int i = 0; rooms == 1 && i < CROWD; i++) {
        char name[24];
        snprintf(name, sizeof name, "crowd%d", i);
        assert_true(session_add(&s, (uint16_t)port, "bad", name, PROTO_MODE_RELIABLE, false,
                                0) >= 0);
    }
    session_wait_ready(&s, 0, 2);
    a.t0 = clock_now_ms();
    double cpu0 = harness_usage(&relay).cpu_s;
    session_run(&s, RUN_MS, 1000, attack_hook, &a);
    struct outcome o = {.cpu_s = harness_usage(&relay).cpu_s - cpu0};
    uint64_t got = 0, want = 0;
    o.delivery = session_delivery(&s, &got, &want);
    o.errors = harness_relay_stat(&relay, "scripts.errors");
    o.budget = harness_relay_stat(&relay, "scripts.budget");
    o.memory = harness_relay_stat(&relay, "scripts.memory");
    o.skipped = harness_relay_stat(&relay, "scripts.skipped");
    o.script_sent = harness_relay_stat(&relay, "scripts.sent");
    print_message("%-6s x%zu honest delivery %.4f (%llu of %llu); attacker sent %llu events; "
                  "relay cpu %.2f s; script errors %lld, budget %lld, memory %lld, "
                  "skipped %lld, sent %lld\n",
                  script ? script : "(none)", rooms, o.delivery, (unsigned long long)got,
                  (unsigned long long)want, (unsigned long long)a.sent, o.cpu_s, o.errors,
                  o.budget, o.memory, o.skipped, o.script_sent);
    assert_true(spawn_running(&relay));
    session_free(&s);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    return o;
}

static void each_script_beside_honest_players(void **state)
{
    (void)state;
    char dir[SCRIPTS_DIR_MAX];
    scripts_dir_new(dir);
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
        scripts_put(dir, scripts[i].name, scripts[i].lua);
    struct outcome base = run(dir, NULL, 1);
    assert_true(base.delivery >= 0.99);
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        struct outcome o = run(dir, scripts[i].name, 1);
        print_message("%-6s relay cpu %.2fx of the same events without a script\n",
                      scripts[i].name, base.cpu_s > 0 ? o.cpu_s / base.cpu_s : 0);
        assert_true(o.delivery >= 0.99);
    }
    scripts_dir_free(dir);
}

/* ROOMS_MAX members, each alone in a room of its own whose script loops
 * just under its budget at every event: each room spends its share. */
static void many_rooms_each_spending_its_share(void **state)
{
    (void)state;
    char dir[SCRIPTS_DIR_MAX];
    scripts_dir_new(dir);
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
        scripts_put(dir, scripts[i].name, scripts[i].lua);
    struct outcome base = run(dir, NULL, ROOMS_MAX);
    struct outcome o = run(dir, "near", ROOMS_MAX);
    print_message("near x%d relay cpu %.2fx of the same events without a script\n", ROOMS_MAX,
                  base.cpu_s > 0 ? o.cpu_s / base.cpu_s : 0);
    assert_true(base.delivery >= 0.99);
    assert_true(o.delivery >= 0.99);
    scripts_dir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_script_beside_honest_players),
        cmocka_unit_test(many_rooms_each_spending_its_share),
    };
    return session_run_tests("abuse_scripts", tests, sizeof tests / sizeof tests[0]);
}
