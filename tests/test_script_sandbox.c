/* test_script_sandbox.c: a room script can neither escape its sandbox nor hurt
 * the relay: what it must not do is stopped and counted, its rooms held to
 * their share of time, and the others go on. */
/* A room script can neither escape its sandbox nor
 * hurt the relay (docs/scripts.md, "The sandbox"): scripts that loop for
 * ever (and catch the stop with pcall), allocate past their cap (and catch
 * it), ask string.rep for a gigabyte, call os.execute, io.open, require,
 * load bytecode (string.dump, a binary chunk), set a finalizer, stop the
 * collector: each is stopped and counted (errors, and budget or memory),
 * the hook taken as absent, while another room on the same relay gets
 * every state its member sends, counted here; a room at its memory cap
 * still called; no code of a script's run outside a call (globals and a
 * correction with an __index); a heavy room held to its share of a
 * second, its calls past it not made, what they would judge dropped, and
 * its timers waiting; a room past its
 * part of the relay's share (--script-share) not called, its input
 * dropped, another room still judged. Each library function whose work no
 * count hook sees, and the instructions that do much at once, given the
 * worst arguments a room's memory allows (string.rep of "" 2^62 times, a
 * sort of long strings of zero bytes, with and without an order function,
 * concatenations, %q, utf8 over a whole string, a comparison of two long
 * strings, a plain find), in a hook and in a room's start: the call ends within
 * STALL_MS, stopped and counted as an error, its room's members told (an
 * event from the room, "script_error: ..."). Many rooms' calls at once hold
 * the loop no longer than one call may, the calls past it not made (dropped, busy), a start past
 * it refused busy, an on_leave past it called once the loop has gone on
 * without scripts. Between datagrams here the loop goes on without
 * scripts as long as they ran (as the relay's loop reads and sends), unless
 * a case says otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/room_record.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/script/script.h"
#include "tests/support/fake_relay.h"
#include "tests/support/room_scripts.h"

#define PWNED "/tmp/ricochet-script-escaped"

static char dir[SCRIPTS_DIR_MAX];

/* The loop goes on without scripts as long as they ran since the last
 * rest (real time: the scripts' hold on the loop drains; the relay's
 * clock, now_us, as the case moves it), then turns. */
static void rest(const struct relay *r, struct script_engine *e)
{
    static uint64_t mark;
    uint64_t t = relay_stats(r)->script.time_us, ran = t >= mark ? t - mark : t;
    mark = t;
    usleep((useconds_t)ran);
    script_engine_run(e, now_us);
}

static int setup(void **state)
{
    scripts_dir_new(dir);
    unlink(PWNED);
    return fake_relay_setup(state);
}

static int teardown(void **state)
{
    scripts_dir_free(dir);
    return fake_relay_teardown(state);
}

/* Each case: a script whose on_event does one bad thing; what it must cost
 * (a stop at the budget, at the memory cap, or a plain error). */
static const struct {
    const char *name, *body;
    int budget, memory;
} cases[] = {
    {"forever", "while true do end", 1, 0},
    {"caught", "while true do pcall(function() while true do end end) end", 1, 0},
    {"xcaught", "while true do xpcall(function() while true do end end, function(e)\n"
                "  while true do end end) end", 1, 0},
    {"recursion", "local function f() return 1 + f() end f()", 0, 1},
    {"hoard", "local t = {} for i = 1, 1e9 do t[i] = i end", 0, 1},
    {"hoard_caught", "local t = {} while true do pcall(function()\n"
                     "  for i = 1, 1e9 do t[#t + 1] = {} end end) end", 0, 1},
    {"gigabyte", "local s = string.rep('x', 1 << 30)", 0, 1},
    {"copies", "local s = string.rep('x', 30000) while true do local t = s .. s end", 1, 0},
    {"collects", "while true do collectgarbage() end", 1, 0},
    {"move", "table.move({}, 1, 1 << 40, 1, {})", 0, 0},
    {"insert", "table.insert(setmetatable({}, {__len = function() return 1 << 40 end}), 1, 0)",
     0, 0},
    {"concat", "local s = 'xx' while true do s = s .. s end", 0, 1},
    {"execute", "os.execute('touch " PWNED "')", 0, 0},
    {"open", "io.open('" PWNED "', 'w'):write('x')", 0, 0},
    {"require", "require('os').execute('touch " PWNED "')", 0, 0},
    {"dump", "load(string.dump(function() end))()", 0, 0},
    {"binary", "local f, why = load('\\27LuaT\\0\\25\\147\\r\\n\\26\\n', 'b', 'b')\n"
               "assert(f, why)", 0, 0},
    {"dofile", "dofile('/etc/passwd')", 0, 0},
    {"debug", "debug.sethook()", 0, 0},
    {"package", "package.loadlib('libc.so.6', 'system')", 0, 0},
    {"finalizer", "setmetatable({}, {__gc = function() while true do end end})", 0, 0},
    {"collector", "collectgarbage('stop')", 0, 0},
    {"coroutine", "coroutine.wrap(function() while true do end end)()", 0, 0},
    {"pattern", "string.rep('a', 1e5):match(string.rep('a*', 30) .. 'b')", 0, 0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static void each_escape_is_stopped_and_counted(void **state)
{
    (void)state;
    char text[512];
    for (size_t i = 0; i < N_CASES; i++) {
        snprintf(text, sizeof text, "function on_event(room, m, ev)\n%s\nend\n", cases[i].body);
        scripts_put(dir, cases[i].name, text);
    }
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 4);
    struct script_engine *e = scripts_engine(r, dir, "", 256, 200000);
    /* the calm room, no script: 0 sends, 1 counts what it gets */
    assert_int_equal(join(r, 0, "calm", "a", false), 0);
    assert_int_equal(join(r, 1, "calm", "b", false), 0);
    uint32_t sent = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        const struct relay_script_counts before = relay_stats(r)->script;
        assert_int_equal(join_script(r, 2, cases[i].name, "evil", cases[i].name), 0);
        assert_int_equal(join_script(r, 3, cases[i].name, "peer", cases[i].name), 0);
        fake_clear();
        assert_int_equal(send_state_xy(r, 0, ++sent, 1, 1), 0);
        assert_int_equal(send_event(r, 2, 0, "go"), 0);
        assert_int_equal(send_state_xy(r, 0, ++sent, 2, 2), 0);
        const struct relay_script_counts *c = &relay_stats(r)->script;
        if (c->errors != before.errors + 1)
            fail_msg("%s: %llu errors, not 1", cases[i].name,
                     (unsigned long long)(c->errors - before.errors));
        if (c->budget - before.budget != (uint64_t)cases[i].budget ||
            c->memory - before.memory != (uint64_t)cases[i].memory)
            fail_msg("%s: budget %llu, memory %llu", cases[i].name,
                     (unsigned long long)(c->budget - before.budget),
                     (unsigned long long)(c->memory - before.memory));
        /* an erroring hook: its event dropped, the room's word of it the one event */
        assert_int_equal(events_to(3), 1);
        struct proto_event ev;
        char told[PROTO_EVENT_MAX];
        assert_true(last_event(3, &ev, told, sizeof told));
        assert_int_equal(ev.sender, PROTO_ROOM_SENDER);
        assert_int_equal(states_to(1), 2);
        assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
        assert_int_equal(send_text(r, 3, "{\"type\":\"leave\"}"), 0);
        rest(r, e);
    }
    assert_int_equal(access(PWNED, F_OK), -1);
    assert_int_equal(relay_stats(r)->drops[RELAY_DROP_SCRIPT_REFUSED], 0);
    script_engine_close(e);
    relay_destroy(r);
}

/* A script stuck in a loop on every state costs its room, never another:
 * every state of the calm room goes through while the other's are each
 * stopped, then its script switched off. */
static void a_stuck_room_never_starves_another(void **state)
{
    (void)state;
    scripts_put(dir, "stuck", "function on_state(room, m, s) while true do end end\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 4);
    struct script_engine *e = scripts_engine(r, dir, "", 0, 0);
    assert_int_equal(join(r, 0, "calm", "a", false), 0);
    assert_int_equal(join(r, 1, "calm", "b", false), 0);
    assert_int_equal(join_script(r, 2, "jam", "c", "stuck"), 0);
    assert_int_equal(join_script(r, 3, "jam", "d", "stuck"), 0);
    fake_clear();
    uint32_t n = 200;
    for (uint32_t i = 1; i <= n; i++) {
        assert_int_equal(send_state_xy(r, 0, i, 1, 1), 0);
        assert_int_equal(send_state_xy(r, 2, i, 1, 1), 0);
        rest(r, e);
    }
    assert_int_equal(states_to(1), n);
    assert_int_equal(states_to(3), 0); /* stopped, then off: none passed unjudged */
    const struct relay_script_counts *c = &relay_stats(r)->script;
    assert_int_equal(c->budget, SCRIPT_ERRORS_OFF);
    assert_int_equal(c->off, 1);
    script_engine_close(e);
    relay_destroy(r);
}

/* A script that holds its whole memory cap (what it filled stays in
 * room.store) still has its hooks called: what the relay hands a hook
 * (the room, the member, the event) is made before the call, outside the
 * cap, so it never fails there (Lua would abort the relay); inside the call
 * the cap holds. */
static void a_full_room_is_still_called(void **state)
{
    (void)state;
    scripts_put(dir, "full",
                "function on_room(room)\n"
                "  room.store.t = {}\n"
                "  for i = 1, 1e9 do room.store.t[i] = string.rep('x', 64) .. i end\n"
                "end\n"
                "function on_event(room, m, ev) room:send(ev.body .. string.rep('y', 300)) end\n"
                "function on_state(room, m, s) return {x = 1} end\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 4);
    struct script_engine *e = scripts_engine(r, dir, "full", 64, 0);
    assert_int_equal(join(r, 0, "calm", "a", false), 0); /* on_room stopped at the cap */
    assert_int_equal(join(r, 1, "calm", "b", false), 0);
    for (uint32_t i = 1; i <= 5; i++) {
        assert_int_equal(send_event(r, 0, 0, "big event body, pushed outside the call"), 0);
        assert_int_equal(send_state_xy(r, 0, i, 5, 5), 0);
    }
    assert_true(relay_stats(r)->script.memory >= 1);
    assert_true(relay_peer_joined(r, 1));
    script_engine_close(e);
    relay_destroy(r);
}

/* What the relay reads of a script outside a call is read raw: a hook
 * looked up in globals that have an __index, a correction whose fields
 * come from an __index that loops or fails, run no code of the script's
 * there (no budget, no protection: Lua would abort the relay). */
static void no_script_code_runs_outside_a_call(void **state)
{
    (void)state;
    scripts_put(dir, "tricks",
                "local trap = {__index = function() while true do end end}\n"
                "function on_state(room, m, s)\n"
                "  setmetatable(_G, {__index = function(t, k) error('looked up ' .. k) end})\n"
                "  return setmetatable({y = 7}, trap)\n"
                "end\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 4);
    struct script_engine *e = scripts_engine(r, dir, "tricks", 0, 0);
    assert_int_equal(join(r, 0, "calm", "a", false), 0);
    assert_int_equal(join(r, 1, "calm", "b", false), 0);
    fake_clear();
    for (uint32_t i = 1; i <= 3; i++) {
        assert_int_equal(send_event(r, 0, 0, "any hook absent: looked up raw"), 0);
        assert_int_equal(send_state_xy(r, 0, i, 5, 5), 0);
    }
    struct proto_state s;
    assert_true(last_state(1, &s));
    assert_true(s.x == 5 && s.y == 7); /* the fields it has; an absent one as it came */
    assert_int_equal(events_to(1), 3);
    script_engine_close(e);
    relay_destroy(r);
}

/* A script within its budget on every call, but heavy on each state, takes
 * no more than its share of a second (SCRIPT_ROOM_BUDGETS budgets): its calls
 * past it are not made (counted skipped) and the states they would have
 * judged dropped (drops.script_busy), never forwarded unjudged; the timers
 * it set wait for its next second, and another room gets every state. */
static void a_heavy_room_takes_its_share_only(void **state)
{
    (void)state;
    scripts_put(dir, "heavy",
                "function on_room(room) room:after(10, function(r) r:send('late') end) end\n"
                "function on_state(room, m, s)\n"
                "  local n = 0 for i = 1, 30000 do n = n + i end\n"
                "  return {x = 1}\n"
                "end\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 4);
    struct script_engine *e = scripts_engine(r, dir, "", 0, 200000);
    assert_int_equal(join(r, 0, "calm", "a", false), 0);
    assert_int_equal(join(r, 1, "calm", "b", false), 0);
    assert_int_equal(join_script(r, 2, "hot", "c", "heavy"), 0);
    assert_int_equal(join_script(r, 3, "hot", "d", "heavy"), 0);
    fake_clear();
    uint32_t n = 200, corrected = 0;
    for (uint32_t i = 1; i <= n; i++) {
        assert_int_equal(send_state_xy(r, 0, i, 5, 5), 0);
        uint32_t had = states_to(3);
        assert_int_equal(send_state_xy(r, 2, i, 5, 5), 0);
        rest(r, e);
        if (states_to(3) == had)
            continue; /* not judged: dropped */
        struct proto_state s;
        assert_true(last_state(3, &s));
        assert_true(s.x == 1); /* judged: corrected */
        corrected++;
    }
    assert_int_equal(states_to(1), n);
    assert_int_equal(relay_stats(r)->drops[RELAY_DROP_SCRIPT_BUSY], n - corrected);
    const struct relay_script_counts *c = &relay_stats(r)->script;
    if (corrected >= n || c->skipped != n - corrected || c->errors != 0)
        fail_msg("%u corrected, %llu skipped, %llu errors", (unsigned)corrected,
                 (unsigned long long)c->skipped, (unsigned long long)c->errors);
    script_engine_run(e, now_us + 20000); /* its timer: its share is spent */
    assert_int_equal(events_to(3), 0);
    script_engine_run(e, now_us + 1000000); /* its next second */
    assert_int_equal(events_to(3), 1);
    script_engine_close(e);
    relay_destroy(r);
}

/* Once the scripts have spent the relay's share of its second (5%: 50 ms),
 * a room past its part of it (the share over the two rooms that ran) is
 * not called: its state is dropped, never forwarded unjudged
 * (drops.script_busy), its timer waits; the other room, under its part,
 * has every state judged. */
static void a_room_past_its_part_of_the_relay_share_waits(void **state)
{
    (void)state;
    scripts_put(dir, "heavy",
                "function on_room(room) room:after(10, function(r) r:send('late') end) end\n"
                "function on_state(room, m, s)\n"
                "  local n = 0 for i = 1, 300000 do n = n + i end\n"
                "  return {x = 1}\n"
                "end\n");
    scripts_put(dir, "light", "function on_state(room, m, s) return {x = 2} end\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 5);
    struct script_engine *e = scripts_engine_share(r, dir, 50000000, 5);
    assert_int_equal(join_script(r, 0, "calm", "a", "light"), 0);
    assert_int_equal(join_script(r, 1, "calm", "b", "light"), 0);
    assert_int_equal(join_script(r, 2, "hot", "c", "heavy"), 0);
    assert_int_equal(join_script(r, 3, "hot", "d", "heavy"), 0);
    fake_clear();
    const struct relay_script_counts *c = &relay_stats(r)->script;
    uint32_t sent = 0;
    while (c->busy == 0 && sent < 400) {
        assert_int_equal(send_state_xy(r, 2, ++sent, 5, 5), 0);
        rest(r, e);
    }
    assert_int_equal(c->busy, 1);
    assert_int_equal(states_to(3), sent - 1); /* the one not judged: dropped */
    assert_int_equal(relay_stats(r)->drops[RELAY_DROP_SCRIPT_BUSY], 1);
    struct proto_state s;
    assert_true(last_state(3, &s));
    assert_true(s.x == 1); /* every one forwarded was judged */
    for (uint32_t i = 1; i <= 20; i++) {
        assert_int_equal(send_state_xy(r, 0, i, 5, 5), 0);
        assert_true(last_state(1, &s));
        assert_true(s.x == 2);
    }
    assert_int_equal(states_to(1), 20);
    script_engine_run(e, now_us + 20000); /* its timer waits */
    assert_int_equal(events_to(3), 0);
    assert_int_equal(c->busy, 2);
    assert_true(c->time_us >= 50000);
    /* a room's start is a call too: with the share spent, none is made */
    assert_int_not_equal(join_script(r, 4, "new", "e", "light"), 0);
    assert_string_equal(last_error(4), "script_refused");
    assert_int_equal(c->busy, 3);
    script_engine_close(e);
    relay_destroy(r);
}

/* The longest a call may hold the loop: its 50 ms and one step past it
 * (an instruction or a library piece: at the default memory cap, a
 * comparison of two 1 MiB strings of zero bytes is the longest known,
 * about 20 ms here). Measured as this thread's CPU time: a busy machine
 * that takes the core away meanwhile is not the relay's doing (the
 * relay's own bound is by the clock; test_e2e_abuse_script_calls pings
 * it). */
#define STALL_MS 100

static uint64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Every heavy body as a script of its name, inside the function fmt
 * makes of it ("function on_event(room, m, ev)\n%s\nend\n"). */
static void put_heavy(const char *fmt)
{
    char text[1024];
    for (size_t i = 0; i < room_scripts_n_heavy; i++) {
        snprintf(text, sizeof text, fmt, room_scripts_heavy[i].body);
        scripts_put(dir, room_scripts_heavy[i].name, text);
    }
}

/* h's call (what) took took µs of this thread's CPU, the counts before it
 * were before: within STALL_MS, one error if h fails, else none. */
static void judge_heavy(const struct room_scripts_heavy *h, const char *what, uint64_t took,
                        const struct relay_script_counts *before, const struct relay *r)
{
    const struct relay_script_counts *c = &relay_stats(r)->script;
    print_message("%-12s %-8s %6.1f ms, errors %llu, budget %llu, memory %llu\n", h->name,
                  what, took / 1000.0, (unsigned long long)(c->errors - before->errors),
                  (unsigned long long)(c->budget - before->budget),
                  (unsigned long long)(c->memory - before->memory));
    if (took > STALL_MS * 1000u)
        fail_msg("%s: %s held the loop %.1f ms", h->name, what, took / 1000.0);
    if (c->errors - before->errors != (h->fails ? 1u : 0u))
        fail_msg("%s: %llu errors", h->name, (unsigned long long)(c->errors - before->errors));
}

/* Each in a hook: stopped within STALL_MS (or done at once), counted, the
 * room's members told; the calm room gets every state. */
static void each_heavy_call_ends_in_time(void **state)
{
    (void)state;
    put_heavy("function on_event(room, m, ev)\n%s\nend\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 4);
    /* the share unbounded: each case judged by its own time alone */
    struct script_engine *e = scripts_engine_share(r, dir, 0, 100);
    assert_int_equal(join(r, 0, "calm", "a", false), 0);
    assert_int_equal(join(r, 1, "calm", "b", false), 0);
    uint32_t sent = 0;
    for (size_t i = 0; i < room_scripts_n_heavy; i++) {
        const struct room_scripts_heavy *h = &room_scripts_heavy[i];
        now_us += 2000000; /* each member's error budget full again */
        const struct relay_script_counts before = relay_stats(r)->script;
        assert_int_equal(join_script(r, 2, h->name, "evil", h->name), 0);
        assert_int_equal(join_script(r, 3, h->name, "peer", h->name), 0);
        rest(r, e);
        fake_clear();
        assert_int_equal(send_state_xy(r, 0, ++sent, 1, 1), 0);
        uint64_t t0 = cpu_us();
        assert_int_equal(send_event(r, 2, 0, "go"), 0);
        judge_heavy(h, "on_event", cpu_us() - t0, &before, r);
        assert_int_equal(send_state_xy(r, 0, ++sent, 2, 2), 0);
        if (h->fails) {
            struct proto_event ev;
            char told[PROTO_EVENT_MAX];
            assert_true(last_event(3, &ev, told, sizeof told));
            assert_int_equal(ev.sender, PROTO_ROOM_SENDER);
            if (strncmp(told, "script_error: ", 14) != 0 || !strstr(told, h->name))
                fail_msg("%s: told \"%s\"", h->name, told);
        }
        assert_int_equal(states_to(1), 2);
        assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
        assert_int_equal(send_text(r, 3, "{\"type\":\"leave\"}"), 0);
        rest(r, e);
    }
    script_engine_close(e);
    relay_destroy(r);
}

/* Each in on_room, which runs when its room is made, with its chunk
 * (one call's budget and time for both; a chunk that does it at once
 * fails the start's check: test_e2e_abuse_script_calls): the join ends
 * within STALL_MS, admitted. */
static void each_heavy_start_ends_in_time(void **state)
{
    (void)state;
    put_heavy("function on_room(room)\n%s\nend\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 4);
    struct script_engine *e = scripts_engine_share(r, dir, 0, 100);
    for (size_t i = 0; i < room_scripts_n_heavy; i++) {
        const struct room_scripts_heavy *h = &room_scripts_heavy[i];
        const struct relay_script_counts before = relay_stats(r)->script;
        uint64_t t0 = cpu_us();
        assert_int_equal(join_script(r, 2, h->name, "evil", h->name), 0);
        judge_heavy(h, "its start", cpu_us() - t0, &before, r);
        assert_true(relay_peer_joined(r, 2));
        assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
        rest(r, e);
    }
    script_engine_close(e);
    relay_destroy(r);
}

/* Rooms whose scripts each run to their time at every event, an event
 * from each at once: the scripts hold the loop at most one call's time
 * (and a step), the first call stopped (an error), the others not made
 * (busy: their events dropped); once the loop has gone on without them
 * as long, the next room's is made. A room started meanwhile is refused
 * busy; an on_leave meanwhile is called once the loop turns after, its
 * member as it was. */
static void the_scripts_hold_the_loop_one_calls_time(void **state)
{
    (void)state;
    scripts_put(dir, "slow", "function on_event(room, m, ev) while true do end end\n");
    scripts_put(dir, "keeper", "function on_leave(room, m) room:keep('gone', m.name) end\n");
    struct relay_config cfg = unlimited_config();
    enum { ROOMS = 6 };
    struct relay *r = relay_with_peers(&cfg, 2 * ROOMS + 3);
    struct script_engine *e = scripts_engine(r, dir, "", 0, 1000000000);
    for (uint32_t i = 0; i < ROOMS; i++) {
        char room[16];
        snprintf(room, sizeof room, "slow%u", (unsigned)i);
        assert_int_equal(join_script(r, 2 * i, room, "evil", "slow"), 0);
        assert_int_equal(join_script(r, 2 * i + 1, room, "peer", "slow"), 0);
    }
    assert_int_equal(join_script(r, 2 * ROOMS, "kept", "ann", "keeper"), 0);
    assert_int_equal(join_script(r, 2 * ROOMS + 1, "kept", "bob", "keeper"), 0);
    rest(r, e);
    fake_clear();
    const struct relay_script_counts *c = &relay_stats(r)->script;
    uint64_t t0 = cpu_us();
    for (uint32_t i = 0; i < ROOMS; i++) /* at once */
        assert_int_equal(send_event(r, 2 * i, 0, "go"), 0);
    assert_int_not_equal(join_script(r, 2 * ROOMS + 2, "late", "cat", "keeper"), 0);
    assert_int_equal(send_text(r, 2 * ROOMS, "{\"type\":\"leave\"}"), 0);
    uint64_t took = cpu_us() - t0;
    print_message("%d rooms' calls at once: %.1f ms, errors %llu, busy %llu\n", ROOMS,
                  took / 1000.0, (unsigned long long)c->errors, (unsigned long long)c->busy);
    if (took > STALL_MS * 1000u)
        fail_msg("the scripts held the loop %.1f ms", took / 1000.0);
    assert_int_equal(c->errors, 1);
    assert_int_equal(c->busy, ROOMS - 1 + 1);            /* the events, the start */
    assert_int_equal(drops(r, RELAY_DROP_SCRIPT_BUSY), ROOMS - 1 + 1);
    assert_false(relay_peer_joined(r, 2 * ROOMS + 2));    /* refused: busy */
    assert_string_equal(last_error(2 * ROOMS + 2), "script_refused");
    assert_int_equal(events_to(1), 1); /* stopped: dropped, the room's word of it alone */
    struct proto_event ev;
    char told[PROTO_EVENT_MAX];
    assert_true(last_event(1, &ev, told, sizeof told));
    assert_int_equal(ev.sender, PROTO_ROOM_SENDER);
    for (uint32_t i = 1; i < ROOMS; i++)
        assert_int_equal(events_to(2 * i + 1), 0);        /* not judged: dropped */
    assert_int_equal(events_to(2 * ROOMS + 1), 0);        /* its on_leave waits */
    script_engine_run(e, now_us);                         /* the loop turns: still full */
    assert_int_equal(events_to(2 * ROOMS + 1), 0);
    now_us += SCRIPT_CALL_MS * 1000;                      /* once it is not */
    rest(r, e);
    assert_int_equal(events_to(2 * ROOMS + 1), 1);
    assert_true(last_event(2 * ROOMS + 1, &ev, told, sizeof told));
    assert_string_equal(told, "ann");
    assert_int_equal(send_event(r, 2, 0, "go"), 0);       /* made */
    assert_int_equal(c->errors, 2);
    script_engine_close(e);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_escape_is_stopped_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(a_stuck_room_never_starves_another, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_room_is_still_called, setup, teardown),
        cmocka_unit_test_setup_teardown(no_script_code_runs_outside_a_call, setup, teardown),
        cmocka_unit_test_setup_teardown(a_heavy_room_takes_its_share_only, setup, teardown),
        cmocka_unit_test_setup_teardown(a_room_past_its_part_of_the_relay_share_waits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(each_heavy_call_ends_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(each_heavy_start_ends_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(the_scripts_hold_the_loop_one_calls_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
