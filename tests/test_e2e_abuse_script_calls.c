/* test_e2e_abuse_script_calls.c: room scripts spending each call in library
 * work no count hook sees, at the worst arguments the memory cap allows: the
 * honest rooms beside them keep their states and their answers in time. */
/* Room scripts that spend each call in one
 * class of library function or instruction whose work no count hook sees
 * (string repetition, sorting, concatenation, formatting, patterns, utf8,
 * comparison of long strings; tests/support/room_scripts.c's table, the
 * worst arguments the default memory cap holds: string.rep of "" 2^62
 * times, a sort of 400 KB strings of zero bytes, %q of zero bytes...),
 * against the real relay (ENet) over 127.0.0.1. For each class, a relay
 * whose rooms run them: every 250 ms a new attacker makes a room whose
 * on_room does it (a room's start: its chunk and on_room), and another a
 * room whose on_event does it at each of its 50 events a second; beside
 * them two honest players in a room of their own get >= 99% of their
 * states, and a member of a third room whose states come back to it
 * (reflect) at 50 a second, the relay's answer to another room, gets each
 * within 100 ms, the longest printed (a thread of its own polls it every
 * millisecond, so the round trip is the relay's, not the attackers'). And
 * `ricochet-relay --check` on a folder whose chunk does it at its top
 * level ends within a second: one line naming the file and line (or the
 * options valid, for those that end well at once).
 * tests/run: alone (its bounds are latencies beside a load). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../client/lib/ricochet.h"
#include "../sys/clock.h"
#include "support/harness.h"
#include "support/players.h"
#include "support/room_scripts.h"
#include "support/session.h"

#define RUN_MS 1500
#define EVERY_MS 250     /* a new attacker of each kind this often */
#define EVENT_HZ 50      /* each hook attacker's events */
#define PING_HZ 50
#define RTT_MAX_MS 100
#define CHECK_MAX_MS 1000

/* The member whose states come back, on a thread of its own. */
struct pinger {
    pthread_t thread;
    struct ricochet *c;
    atomic_bool stop;
    uint64_t sent;
};

static void *pinger_loop(void *arg)
{
    struct pinger *p = arg;
    struct ricochet_event ev;
    bool joined = false;
    uint64_t next = clock_now_us();
    while (!atomic_load(&p->stop)) {
        while (ricochet_poll(p->c, 1, &ev) == 1)
            joined = joined || ev.type == RICOCHET_EV_WELCOME;
        if (joined && clock_now_us() >= next) {
            struct ricochet_state st = {.x = 1, .y = 1};
            if (ricochet_send_state(p->c, &st) == RICOCHET_OK)
                p->sent++;
            next += 1000000u / PING_HZ;
        }
    }
    return NULL;
}

struct attack {
    struct session *s;
    uint16_t port;
    const char *kind;
    uint64_t t0;
    uint32_t rounds;
    size_t hooks[SESSION_MAX_PEERS]; /* the attackers whose events call the hook */
    uint64_t since[SESSION_MAX_PEERS], sent[SESSION_MAX_PEERS];
    size_t n_hooks;
};

/* A new attacker making room (its prop script = script). */
static size_t attacker(struct attack *a, const char *room, const char *script)
{
    struct ricochet_config *cfg = players_config(a->port, RICOCHET_MODE_RELIABLE, room);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room_prop(cfg, "script", script), RICOCHET_OK);
    int who = session_adopt(a->s, players_connect(cfg), room, false, 0);
    assert_true(who >= 0);
    return (size_t)who;
}

/* Every EVERY_MS, for each script of the kind, an attacker starting a
 * room (on_room) and one sending events (on_event); the events, EVENT_HZ a
 * second each. */
static void attack_hook(void *ctx)
{
    struct attack *a = ctx;
    uint64_t now = clock_now_ms();
    while (a->rounds <= (now - a->t0) / EVERY_MS &&
           a->s->n + 2 * room_scripts_n_heavy <= SESSION_MAX_PEERS) {
        for (size_t i = 0; i < room_scripts_n_heavy; i++) {
            const struct room_scripts_heavy *h = &room_scripts_heavy[i];
            if (strcmp(h->kind, a->kind) != 0)
                continue;
            char room[48], script[48];
            snprintf(room, sizeof room, "start-%s-%u", h->name, (unsigned)a->rounds);
            snprintf(script, sizeof script, "start_%s", h->name);
            attacker(a, room, script);
            snprintf(room, sizeof room, "hook-%s-%u", h->name, (unsigned)a->rounds);
            snprintf(script, sizeof script, "hook_%s", h->name);
            a->since[a->n_hooks] = now;
            a->hooks[a->n_hooks++] = attacker(a, room, script);
        }
        a->rounds++;
    }
    for (size_t i = 0; i < a->n_hooks; i++)
        for (; a->sent[i] < (now - a->since[i]) * EVENT_HZ / 1000; a->sent[i]++)
            ricochet_send_event(a->s->c[a->hooks[i]], 0, "go", 2);
}

/* Scripts of the kind in dir: start_NAME (on_room), hook_NAME (on_event). */
static void put_scripts(const char *dir, const char *kind)
{
    char text[1024], name[48];
    for (size_t i = 0; i < room_scripts_n_heavy; i++) {
        const struct room_scripts_heavy *h = &room_scripts_heavy[i];
        if (strcmp(h->kind, kind) != 0)
            continue;
        snprintf(name, sizeof name, "start_%s", h->name);
        snprintf(text, sizeof text, "function on_room(room)\n%s\nend\n", h->body);
        scripts_put(dir, name, text);
        snprintf(name, sizeof name, "hook_%s", h->name);
        snprintf(text, sizeof text, "function on_event(room, member, event)\n%s\nend\n",
                 h->body);
        scripts_put(dir, name, text);
    }
}

/* The relay under the kind's attack, beside the honest players and the
 * member whose states come back. */
static void under_attack(const char *kind)
{
    char dir[SCRIPTS_DIR_MAX];
    scripts_dir_new(dir);
    put_scripts(dir, kind);
    struct spawn_proc relay;
    int port = scripts_relay_start(&relay, dir);
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "honest", "honest0", PROTO_MODE_RELIABLE, true, 30);
    session_add(&s, (uint16_t)port, "honest", "honest1", PROTO_MODE_RELIABLE, true, 30);
    struct ricochet_config *cfg = players_config((uint16_t)port, RICOCHET_MODE_UNSEQUENCED,
                                                 "pinger");
    assert_int_equal(ricochet_config_set_room(cfg, "ping"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_reflect(cfg, true), RICOCHET_OK);
    struct pinger pg = {.c = players_connect(cfg)};
    assert_int_equal(pthread_create(&pg.thread, NULL, pinger_loop, &pg), 0);
    session_wait_ready(&s, 0, 2);
    struct attack a = {.s = &s, .port = (uint16_t)port, .kind = kind, .t0 = clock_now_ms()};
    session_run(&s, RUN_MS, 1000, attack_hook, &a);
    atomic_store(&pg.stop, true);
    assert_int_equal(pthread_join(pg.thread, NULL), 0);
    uint64_t got = 0, want = 0;
    double delivery = session_delivery(&s, &got, &want);
    struct ricochet_distribution rtt;
    struct ricochet_stats st;
    ricochet_rtt(pg.c, &rtt, &st);
    long long errors = harness_relay_stat(&relay, "scripts.errors");
    long long busy = harness_relay_stat(&relay, "scripts.busy");
    long long time_us = harness_relay_stat(&relay, "scripts.time_us");
    print_message("%-13s honest delivery %.4f (%llu of %llu); back to the pinger %llu of "
                  "%llu, round trip p50 %.1f ms, p99 %.1f ms, max %.1f ms; %u rounds of "
                  "attackers; script errors %lld, busy %lld, time %.2f s\n",
                  kind, delivery, (unsigned long long)got, (unsigned long long)want,
                  (unsigned long long)rtt.count, (unsigned long long)pg.sent,
                  rtt.p50_us / 1000.0, rtt.p99_us / 1000.0, rtt.max_us / 1000.0,
                  (unsigned)a.rounds, errors, busy, time_us / 1e6);
    assert_true(spawn_running(&relay));
    assert_true(delivery >= 0.99);
    assert_true(rtt.count >= pg.sent * 9 / 10);
    if (rtt.max_us > RTT_MAX_MS * 1000u)
        fail_msg("%s: the relay answered the pinger %.1f ms late", kind, rtt.max_us / 1000.0);
    for (size_t i = 0; i < room_scripts_n_heavy; i++)
        if (room_scripts_heavy[i].fails && strcmp(room_scripts_heavy[i].kind, kind) == 0)
            assert_true(errors > 0);
    session_free(&s);
    ricochet_close(pg.c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    scripts_dir_free(dir);
}

/* --check on a folder whose one chunk does it at its top level: within
 * CHECK_MAX_MS, one line naming the file and line, exit 2 (or valid);
 * killed if it runs 10 s, so a check that never ends fails the test. */
static void check_ends(const char *kind)
{
    for (size_t i = 0; i < room_scripts_n_heavy; i++) {
        const struct room_scripts_heavy *h = &room_scripts_heavy[i];
        if (strcmp(h->kind, kind) != 0)
            continue;
        char dir[SCRIPTS_DIR_MAX], cmd[512], out[1024] = "", want[256];
        scripts_dir_new(dir);
        scripts_put(dir, h->name, h->body);
        snprintf(cmd, sizeof cmd, "timeout -s KILL 10 %s/ricochet-relay --script-dir %s "
                 "--check 2>&1 </dev/null; echo rc=$?", harness_bin_dir(), dir);
        uint64_t t0 = clock_now_us();
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = '\0';
        pclose(p);
        uint64_t took = clock_now_us() - t0;
        print_message("--check %-12s %5.0f ms: %s", h->name, took / 1000.0, out);
        if (took > CHECK_MAX_MS * 1000u)
            fail_msg("--check on %s took %.0f ms", h->name, took / 1000.0);
        if (h->fails) {
            snprintf(want, sizeof want, "ricochet-relay: error: %s/%s.lua:", dir, h->name);
            const char *nl = strchr(out, '\n');
            assert_true(strncmp(out, want, strlen(want)) == 0);
            assert_non_null(nl);
            assert_string_equal(nl + 1, "rc=2\n"); /* one line, then the status */
        } else {
            assert_non_null(strstr(out, "rc=0\n"));
        }
        scripts_dir_free(dir);
    }
}

#define CLASS(fn, kind)                                                                   \
    static void fn(void **state)                                                          \
    {                                                                                     \
        (void)state;                                                                      \
        check_ends(kind);                                                                 \
        under_attack(kind);                                                               \
    }

CLASS(string_repetition, "repetition")
CLASS(sorting, "sorting")
CLASS(concatenation, "concatenation")
CLASS(formatting, "formatting")
CLASS(pattern_matching, "patterns")
CLASS(utf8, "utf8")
CLASS(comparing_long_strings, "comparison")

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(string_repetition), cmocka_unit_test(sorting),
        cmocka_unit_test(concatenation),     cmocka_unit_test(formatting),
        cmocka_unit_test(pattern_matching),  cmocka_unit_test(utf8),
        cmocka_unit_test(comparing_long_strings),
    };
    return session_run_tests("abuse_script_calls", tests, sizeof tests / sizeof tests[0]);
}
