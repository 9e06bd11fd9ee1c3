/* test_e2e_abuse_script_share.c: many rooms' scripts against the relay's
 * one thread, over 127.0.0.1 with the real relay (ENet) and room scripts
 * (docs/scripts.md). ROOMS members, each alone in a room of its own, send
 * events at 170 a second (under --rate-limit's 180) that make their room's
 * script loop just under its budget at every call; beside them two honest
 * players in a room without a script and two in a room whose script
 * referees every state and does little. Together the scripts would take
 * more than the relay's thread; the relay-wide bound (--script-share, 50%
 * by default) keeps them to half of its time, the rooms past their fair
 * part of it dropping what their script would have judged
 * (drops.script_busy), and both honest rooms get >= 99% of their states.
 * The scripts' time over the run (scripts.time_us) is asserted within the
 * share; the relay's CPU is printed, not asserted.
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
#define EVENT_HZ 170     /* under the relay's --rate-limit (180) */
#define EVENT_BYTES 200
#define ROOMS 40         /* attackers, each in a room of its own */
#define SHARE 50         /* --script-share's default, percent */

static const char near_lua[] = "function on_event(room, member, event)\n"
                               "  local n = 0\n"
                               "  for i = 1, 300000 do n = n + i end\n"
                               "end\n";
/* a referee that looks at every state and lets it pass */
static const char calm_lua[] = "function on_state(room, member, state)\n"
                               "  if state.x ~= state.x then return false end\n"
                               "end\n";

struct attack {
    struct session *s;
    size_t first, n;     /* the attackers' indexes in the session */
    uint64_t t0, sent;   /* events, each attacker's */
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
            ricochet_send_event(a->s->c[a->first + i], 0, body, sizeof body);
        a->sent++;
    }
}

/* A member of room, its script script (NULL: none). */
static int member(struct session *s, uint16_t port, const char *room, const char *name,
                  const char *script, bool honest, double rate_hz)
{
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, name);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    if (script)
        assert_int_equal(ricochet_config_set_room_prop(cfg, "script", script), RICOCHET_OK);
    int who = session_adopt(s, players_connect(cfg), name, honest, rate_hz);
    assert_true(who >= 0);
    return who;
}

/* Delivery between the two honest players at a and a + 1. */
static double pair_delivery(const struct session *s, size_t a, uint64_t *got, uint64_t *want)
{
    *got = *want = 0;
    for (size_t i = a; i < a + 2; i++) {
        size_t j = i == a ? a + 1 : a;
        *want += s->sent[j];
        *got += s->got_from[i][j] < s->sent[j] ? s->got_from[i][j] : s->sent[j];
    }
    return *want ? (double)*got / (double)*want : 0.0;
}

static void many_scripted_rooms_beside_honest_rooms(void **state)
{
    (void)state;
    char dir[SCRIPTS_DIR_MAX];
    scripts_dir_new(dir);
    scripts_put(dir, "near", near_lua);
    scripts_put(dir, "calm", calm_lua);
    struct spawn_proc relay;
    int port = scripts_relay_start(&relay, dir);
    struct session s;
    session_init(&s);
    member(&s, (uint16_t)port, "plain", "plain0", NULL, true, 30);
    member(&s, (uint16_t)port, "plain", "plain1", NULL, true, 30);
    member(&s, (uint16_t)port, "calm", "calm0", "calm", true, 30);
    member(&s, (uint16_t)port, "calm", "calm1", "calm", true, 30);
    struct attack a = {.s = &s, .first = s.n, .n = ROOMS};
    for (size_t i = 0; i < ROOMS; i++) {
        char room[16];
        snprintf(room, sizeof room, "near%zu", i);
        member(&s, (uint16_t)port, room, room, "near", false, 0);
    }
    session_wait_ready(&s, 0, 2);
    session_wait_ready(&s, 2, 4);
    long long time0 = harness_relay_stat(&relay, "scripts.time_us");
    double cpu0 = harness_usage(&relay).cpu_s;
    uint64_t t0 = clock_now_us();
    a.t0 = clock_now_ms();
    session_run(&s, RUN_MS, 1000, attack_hook, &a);
    double cpu = harness_usage(&relay).cpu_s - cpu0;
    long long spent = harness_relay_stat(&relay, "scripts.time_us") - time0;
    double wall_s = (double)(clock_now_us() - t0) / 1e6;
    uint64_t got[2], want[2];
    double plain = pair_delivery(&s, 0, &got[0], &want[0]);
    double calm = pair_delivery(&s, 2, &got[1], &want[1]);
    long long busy = harness_relay_stat(&relay, "drops.script_busy");
    long long deferred = harness_relay_stat(&relay, "scripts.busy");
    long long skipped = harness_relay_stat(&relay, "scripts.skipped");
    long long calls = harness_relay_stat(&relay, "scripts.calls");
    print_message("near x%d: honest delivery plain %.4f (%llu of %llu), scripted %.4f "
                  "(%llu of %llu); attacker sent %llu events each; relay cpu %.2f s over "
                  "%.2f s (%.2f of a core); scripts ran %.2f s; calls %lld, skipped %lld, "
                  "not made (busy) %lld, inputs dropped script_busy %lld\n",
                  ROOMS, plain, (unsigned long long)got[0], (unsigned long long)want[0], calm,
                  (unsigned long long)got[1], (unsigned long long)want[1],
                  (unsigned long long)a.sent, cpu, wall_s, cpu / wall_s, spent / 1e6, calls,
                  skipped, deferred, busy);
    assert_true(spawn_running(&relay));
    assert_true(plain >= 0.99);
    assert_true(calm >= 0.99);
    /* the scripts' time: within the share of the run and of the second
     * before it (the window), and the calls that overran it a little */
    assert_true(spent > 0);
    assert_true((double)spent <= (wall_s + 1.0) * SHARE / 100.0 * 1e6 + 500000.0);
    assert_true(busy > 0);
    session_free(&s);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    scripts_dir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_scripted_rooms_beside_honest_rooms),
    };
    return session_run_tests("abuse_script_share", tests, sizeof tests / sizeof tests[0]);
}
