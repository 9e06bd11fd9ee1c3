/* test_relay_script.c: room scripts (docs/scripts.md) in the relay core,
 * through a fake transport (support/fake_relay.h) and the real engine
 * (relay/script): each hook (on_room, on_join, on_leave, on_event,
 * on_state, on_tick and timers; a state hook's tables its call's own,
 * their garbage collected) and what a script may do to its room
 * (send as the room, keep and clear the room's kept events, which no
 * member replaces or clears, props, open, kick, members, store); a script
 * chosen by the room's prop or the default; a check that names file and
 * line, a reload that keeps the scripts before on a fault; an erroring
 * hook's input dropped and its room told, a script switched off after its
 * errors closing or ending its room (--script-failed); a
 * room made again from its record read back by its script (room.restored,
 * room:kept(), room:kept(key) with its keeper, room:props()); a room
 * pinned to a script (--script-room) running it whatever its first join's
 * props, and refusing a join that names another, the longest prefix
 * winning, a pin to no script refused at start;
 * docs/scripts.md's examples, as written, without an error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "proto/room_record.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/script/script.h"
#include "relay/core/script_port.h"
#include "tests/support/fake_relay.h"
#include "tests/support/room_scripts.h"

static char dir[SCRIPTS_DIR_MAX];

static int setup(void **state)
{
    scripts_dir_new(dir);
    return fake_relay_setup(state);
}

static int teardown(void **state)
{
    scripts_dir_free(dir);
    return fake_relay_teardown(state);
}

static const struct relay_script_counts *counts(struct relay *r)
{
    return &relay_stats(r)->script;
}

/* A relay with peers 0..n-1 connected and the engine on dir's scripts. */
static struct relay *scripted(uint32_t n, const char *def, struct script_engine **e)
{
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, n);
    *e = scripts_engine(r, dir, def, 0, 0);
    return r;
}

static void done(struct relay *r, struct script_engine *e)
{
    script_engine_close(e);
    relay_destroy(r);
}

static void a_check_names_file_and_line(void **state)
{
    (void)state;
    scripts_put(dir, "good", "function on_join(room, m) end\n");
    scripts_put(dir, "bad", "function on_join(room, m)\n  return false\nend\nx = = 1\n");
    struct relay *r = relay_with_peers(NULL, 1);
    char err[512];
    assert_int_equal(scripts_engine_try(r, dir, "", err, sizeof err), -1);
    assert_non_null(strstr(err, "/bad.lua:4:"));
    assert_null(strchr(err, '\n'));
    scripts_put(dir, "bad", "while true do end\n"); /* a chunk that never ends */
    assert_int_equal(scripts_engine_try(r, dir, "", err, sizeof err), -1);
    assert_non_null(strstr(err, "/bad.lua:1: stopped: past its budget"));
    scripts_put(dir, "bad", "os.execute('true')\n"); /* the sandbox at load too */
    assert_int_equal(scripts_engine_try(r, dir, "", err, sizeof err), -1);
    assert_non_null(strstr(err, "/bad.lua:1:"));
    scripts_put(dir, "bad", "x = 1\n");
    assert_int_equal(scripts_engine_try(r, dir, "nosuch", err, sizeof err), -1);
    assert_non_null(strstr(err, "nosuch"));
    assert_int_equal(scripts_engine_try(r, dir, "bad", err, sizeof err), 0);
    relay_destroy(r);
}

/* on_room runs once when the room starts, before its first on_join; what
 * it keeps is replayed to every joiner; room.store lasts the room's life. */
static void on_room_starts_the_room(void **state)
{
    (void)state;
    scripts_put(dir, "rules",
                "function on_room(room)\n"
                "  room.store.n = 0\n"
                "  room:keep('rules', 'v1:' .. room.name)\n"
                "end\n"
                "function on_join(room, m)\n"
                "  room.store.n = room.store.n + 1\n"
                "  room:keep('joins', tostring(room.store.n))\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(3, "rules", &e);
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    struct proto_event ev;
    char body[PROTO_EVENT_MAX];
    /* what it kept is replayed after the welcome, in the order kept */
    assert_int_equal(events_to(0), 2);
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "1");
    assert_int_equal(ev.sender, RELAY_SCRIPT_SENDER);
    assert_true(ev.flags & PROTO_EVENT_KEPT);
    fake_clear();
    assert_int_equal(join(r, 1, "cave", "b", false), 0); /* store.n lasts: 2 */
    assert_true(last_event(0, &ev, body, sizeof body)); /* live, to the member in */
    assert_string_equal(body, "2");
    assert_int_equal(events_to(1), 2);
    assert_true(last_event(1, &ev, body, sizeof body));
    assert_string_equal(body, "2");
    done(r, e);
}

static void on_join_refuses_with_a_reason(void **state)
{
    (void)state;
    scripts_put(dir, "club",
                "function on_join(room, m)\n"
                "  if m.name == 'eve' then return false, 'no eve in ' .. room.name end\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(3, "", &e);
    assert_int_equal(join_script(r, 0, "club", "a", "club"), 0);
    assert_true(relay_peer_joined(r, 0));
    assert_int_equal(join_script(r, 1, "club", "eve", "club"), DROP(RELAY_DROP_SCRIPT_REFUSED));
    assert_false(relay_peer_joined(r, 1));
    assert_false(disconnected(1)); /* refused, not closed: it may join elsewhere */
    const struct proto_control *m = last_ctl(1, PROTO_CTL_ERROR);
    assert_non_null(m);
    assert_string_equal(m->code, "script_refused");
    assert_string_equal(m->text, "no eve in club");
    assert_int_equal(drops(r, RELAY_DROP_SCRIPT_REFUSED), 1);
    assert_int_equal(counts(r)->refused, 1);
    /* a room made for a refused join ends with it */
    assert_int_equal(join_script(r, 1, "den", "eve", "club"), DROP(RELAY_DROP_SCRIPT_REFUSED));
    assert_int_equal(relay_rooms(r), 1);
    /* a room naming a script the relay lacks takes no one */
    assert_int_equal(join_script(r, 2, "x", "c", "nosuch"), DROP(RELAY_DROP_SCRIPT_REFUSED));
    assert_non_null(strstr(last_ctl(2, PROTO_CTL_ERROR)->text, "no room script 'nosuch'"));
    /* a room with no script named and no default runs none, for its life */
    assert_int_equal(join(r, 2, "plain", "c", false), 0);
    assert_int_equal(send_text(r, 2, "{\"type\":\"room\",\"props\":{\"script\":\"club\"}}"), 0);
    assert_int_equal(join_script(r, 1, "plain", "eve", "club"), 0);
    done(r, e);
}

static void on_leave_sees_the_leaver(void **state)
{
    (void)state;
    scripts_put(dir, "bye",
                "function on_leave(room, m)\n"
                "  local n = #room:members()\n"
                "  room:send(m.name .. ' left at x=' .. tostring(m.x) .. ', ' .. n .. ' stay')\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(3, "bye", &e);
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    assert_int_equal(join(r, 1, "cave", "b", false), 0);
    assert_int_equal(send_state_xy(r, 1, 1, 7, 8), 0);
    fake_clear();
    assert_int_equal(send_text(r, 1, "{\"type\":\"leave\"}"), 0);
    struct proto_event ev;
    char body[PROTO_EVENT_MAX];
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "b left at x=7.0, 1 stay");
    assert_int_equal(ev.sender, RELAY_SCRIPT_SENDER);
    assert_int_equal(events_to(1), 0); /* the leaver is not told */
    done(r, e);
}

static void on_event_forwards_drops_or_replaces(void **state)
{
    (void)state;
    scripts_put(dir, "filter",
                "function on_event(room, m, ev)\n"
                "  if ev.body == 'secret' then return false end\n"
                "  if ev.body == 'shout' then return 'SHOUT from ' .. m.name end\n"
                "  if ev.body == 'bad' then return 42 end\n"
                "  if ev.body == 'boom' then error('boom') end\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(3, "filter", &e);
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    assert_int_equal(join(r, 1, "cave", "b", false), 0);
    fake_clear();
    struct proto_event ev;
    char body[PROTO_EVENT_MAX];
    assert_int_equal(send_event(r, 0, 0, "hello"), 0);
    assert_true(last_event(1, &ev, body, sizeof body));
    assert_string_equal(body, "hello");
    assert_int_equal(ev.sender, 1);
    assert_int_equal(send_event(r, 0, 0, "secret"), 0);
    assert_int_equal(events_to(1), 1);
    assert_int_equal(send_event(r, 0, 2, "shout"), 0); /* to one member: stays to it */
    assert_true(last_event(1, &ev, body, sizeof body));
    assert_string_equal(body, "SHOUT from a");
    assert_int_equal(ev.sender, 1);
    assert_int_equal(ev.to, 2);
    /* an erroring hook, or a bad answer: dropped, counted, the room told */
    assert_int_equal(send_event(r, 0, 0, "bad"), 0);
    assert_int_equal(send_event(r, 0, 0, "boom"), 0);
    assert_int_equal(events_to(1), 2 + 2); /* each failure told by the room */
    assert_true(last_event(1, &ev, body, sizeof body));
    assert_int_equal(ev.sender, PROTO_ROOM_SENDER);
    assert_non_null(strstr(body, "script_error: the room's script failed in on_event:"));
    assert_string_equal(last_error(1), "");
    assert_int_equal(counts(r)->dropped, 3);
    assert_int_equal(counts(r)->changed, 1);
    assert_int_equal(counts(r)->errors, 2);
    done(r, e);
}

static void on_state_forwards_drops_or_corrects(void **state)
{
    (void)state;
    scripts_put(dir, "walls",
                "function on_state(room, m, s)\n"
                "  if s.x < 0 then return false end\n"
                "  if s.x > 90 then return {x = 90, vx = 0} end\n"
                "  if s.x == 50 then return {x = 0/0} end\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(3, "walls", &e);
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    assert_int_equal(join(r, 1, "cave", "b", false), 0);
    fake_clear();
    struct proto_state s;
    assert_int_equal(send_state_xy(r, 0, 1, 10, 20), 0);
    assert_true(last_state(1, &s));
    assert_true(s.x == 10 && s.y == 20 && s.sender == 1);
    assert_int_equal(send_state_xy(r, 0, 2, -5, 20), 0);
    assert_int_equal(states_to(1), 1);
    assert_int_equal(send_state_xy(r, 0, 3, 95, 21), 0);
    assert_true(last_state(1, &s));
    assert_true(s.x == 90 && s.y == 21 && s.vx == 0 && s.seq == 3 && s.sender == 1);
    assert_int_equal(send_state_xy(r, 0, 4, 50, 22), 0); /* NaN: refused, dropped */
    assert_int_equal(states_to(1), 2);
    /* a joiner's roster has the corrected state as the last */
    assert_int_equal(send_state_xy(r, 0, 5, 99, 23), 0);
    assert_int_equal(join(r, 2, "cave", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    for (size_t i = 0; i < w->roster_len; i++)
        if (w->roster[i].id == 1)
            assert_true(w->roster[i].state.x == 90);
    assert_int_equal(counts(r)->dropped, 2);
    assert_int_equal(counts(r)->changed, 2);
    assert_int_equal(counts(r)->errors, 1);
    done(r, e);
}

/* A state hook's member and state are tables of their call's own, never
 * the last call's made over, and its garbage is collected: 3000 states
 * through a room at the least memory a script may hold, each call keeping
 * the last one's tables, making 100 bytes more and every other one
 * corrected, without an error. */
static void a_state_hooks_tables_are_its_calls_own(void **state)
{
    (void)state;
    scripts_put(dir, "fresh",
                "function on_state(room, m, s)\n"
                "  local st = room.store\n"
                "  if st.s and (st.s == s or st.m == m or st.s.x ~= st.x) then\n"
                "    error('the last call\\'s tables made over')\n"
                "  end\n"
                "  st.s, st.m, st.x = s, m, s.x\n"
                "  st.n = (st.n or 0) + 1\n"
                "  s.junk = string.rep('j', 100)\n"
                "  if st.n % 2 == 0 then return {y = -s.y} end\n"
                "end\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 2);
    struct script_engine *e = scripts_engine(r, dir, "fresh", 64, 0);
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    assert_int_equal(join(r, 1, "cave", "b", false), 0);
    fake_clear();
    struct proto_state s;
    for (uint32_t seq = 1; seq <= 3000; seq++) {
        assert_int_equal(send_state_xy(r, 0, seq, (float)seq, 5), 0);
        assert_true(last_state(1, &s));
        assert_true(s.x == (float)seq && s.y == (seq % 2 ? 5 : -5));
    }
    assert_int_equal(counts(r)->errors, 0);
    assert_int_equal(counts(r)->changed, 1500);
    done(r, e);
}

static void on_tick_and_timers_run_on_the_relays_clock(void **state)
{
    (void)state;
    scripts_put(dir, "clock",
                "function on_room(room)\n"
                "  room.store.ticks = 0\n"
                "  room:tick_every(100)\n"
                "  room:after(250, function(rm) rm:send('timer') end)\n"
                "end\n"
                "function on_tick(room, now)\n"
                "  room.store.ticks = room.store.ticks + 1\n"
                "  room:send('tick ' .. room.store.ticks)\n"
                "  if room.store.ticks == 3 then room:tick_every(0) end\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(2, "clock", &e);
    uint64_t start = now_us;
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    fake_clear();
    assert_int_equal(script_engine_due(e), start + 100000);
    script_engine_run(e, start + 50000);
    assert_int_equal(events_to(0), 0);
    struct proto_event ev;
    char body[PROTO_EVENT_MAX];
    script_engine_run(e, start + 100000);
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "tick 1");
    script_engine_run(e, start + 200000);
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "tick 2");
    script_engine_run(e, start + 250000);
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "timer");
    script_engine_run(e, start + 300000);
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "tick 3");
    assert_int_equal(script_engine_due(e), UINT64_MAX); /* no tick, no timer */
    script_engine_run(e, start + 900000);
    assert_int_equal(events_to(0), 4);
    done(r, e);
}

/* The room's own kept events: sent as the room, replayed, cleared; props,
 * open and kick as the room's say. */
static void the_room_keeps_sets_opens_and_kicks(void **state)
{
    (void)state;
    scripts_put(dir, "host",
                "function on_event(room, m, ev)\n"
                "  if ev.body == 'score' then room:keep('score', m.name .. ':1') end\n"
                "  if ev.body == 'reset' then room:clear('score') end\n"
                "  if ev.body == 'close' then\n"
                "    room:open(false); room:set_props{mode = 'ffa', n = 2}\n"
                "  end\n"
                "  if ev.body == 'kick' then\n"
                "    for _, o in ipairs(room:members()) do\n"
                "      if o.id ~= m.id then room:kick(o.id, 'out, ' .. o.name) end\n"
                "    end\n"
                "  end\n"
                "  return false\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(4, "host", &e);
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    assert_int_equal(join(r, 1, "cave", "b", false), 0);
    fake_clear();
    struct proto_event ev;
    char body[PROTO_EVENT_MAX];
    assert_int_equal(send_event(r, 0, 0, "score"), 0);
    assert_true(last_event(0, &ev, body, sizeof body)); /* the sender too: the room's */
    assert_string_equal(body, "a:1");
    assert_int_equal(ev.sender, RELAY_SCRIPT_SENDER);
    assert_true(ev.flags & PROTO_EVENT_KEEP);
    assert_true(ev.flags & PROTO_EVENT_STAY);
    assert_int_equal(send_text(r, 0, "{\"type\":\"leave\"}"), 0); /* the room's: stays */
    assert_int_equal(join(r, 2, "cave", "c", false), 0);
    assert_true(last_event(2, &ev, body, sizeof body));
    assert_string_equal(body, "a:1");
    assert_true(ev.flags & PROTO_EVENT_KEPT);
    assert_int_equal(send_event(r, 1, 0, "reset"), 0);
    fake_clear();
    assert_int_equal(join(r, 0, "cave", "a", false), 0);
    assert_int_equal(events_to(0), 0);
    assert_int_equal(send_event(r, 1, 0, "close"), 0);
    assert_int_equal(send_text(r, 0, "{\"type\":\"leave\"}"), 0);
    assert_int_equal(join(r, 0, "cave", "a", false), DROP(RELAY_DROP_ROOM_CLOSED));
    struct proto_props props;
    struct proto_room_entry list[4];
    assert_int_equal(relay_list_rooms(r, "", "", list, &props, 4, NULL), 1);
    assert_string_equal(proto_props_get(&props, "mode"), "ffa");
    assert_string_equal(proto_props_get(&props, "n"), "2");
    assert_null(proto_props_get(&props, "script"));
    assert_int_equal(send_event(r, 1, 0, "kick"), 0);
    assert_false(disconnected(2)); /* once the call is over: the engine's run */
    script_engine_run(e, now_us);
    assert_true(disconnected(2));
    assert_string_equal(disconnect_why(2), "kicked");
    assert_true(relay_peer_joined(r, 1));
    done(r, e);
}

/* peer keeps key = body (len 0: clears it), with stay. */
static int member_keeps(struct relay *r, uint32_t peer, const char *key, const char *body)
{
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode_kept(buf, sizeof buf, key, true, body, strlen(body));
    assert_true(n > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                             (size_t)n, now_us);
}

/* A key the room keeps is its own: no member replaces or clears it, not
 * even the room's owner (not_owner, nothing forwarded); its script does. */
static void the_rooms_keys_are_its_own(void **state)
{
    (void)state;
    scripts_put(dir, "keeper",
                "function on_room(room) room:keep('score', '0') end\n"
                "function on_event(room, m, ev)\n"
                "  if ev.body == 'reset' then room:clear('score') end\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(3, "keeper", &e);
    assert_int_equal(join(r, 0, "cave", "a", false), 0); /* the owner */
    assert_int_equal(join(r, 1, "cave", "b", false), 0);
    fake_clear();
    assert_int_equal(member_keeps(r, 0, "score", "99"), DROP(RELAY_DROP_NOT_OWNER));
    assert_string_equal(last_error(0), "not_owner");
    assert_int_equal(member_keeps(r, 1, "score", ""), DROP(RELAY_DROP_NOT_OWNER));
    assert_int_equal(events_to(0) + events_to(1), 0);
    assert_int_equal(drops(r, RELAY_DROP_NOT_OWNER), 2);
    assert_int_equal(member_keeps(r, 1, "mine", "b's"), 0); /* a key of its own: as ever */
    assert_int_equal(join(r, 2, "cave", "c", false), 0);
    struct proto_event ev;
    char body[PROTO_EVENT_MAX];
    assert_int_equal(events_to(2), 2);
    assert_true(last_event(2, &ev, body, sizeof body));
    assert_string_equal(body, "b's");
    assert_int_equal(send_event(r, 0, 0, "reset"), 0);
    assert_int_equal(member_keeps(r, 0, "score", "99"), 0); /* cleared: anyone's again */
    done(r, e);
}

/* A hook that errors on every call, in a pinned room (--script-room): a
 * join without props makes the room with its script all the same; each
 * state and event it would judge is dropped, never passed, and the members
 * hear of each failure (an event from the room: "script_error: " and where
 * and why); after 10 the script is off and the
 * room does what --script-failed says: close, closed for good (a newcomer
 * refused, the members told once more, nothing of theirs passing, no
 * further call); end, every member closed kicked. */
static void a_failing_hook_fails_closed(void **state)
{
    (void)state;
    scripts_put(dir, "flaky",
                "function on_state(room, m, s) error('no') end\n"
                "function on_event(room, m, ev) error('no') end\n");
    for (int failed = SCRIPT_FAILED_CLOSE; failed <= SCRIPT_FAILED_END; failed++) {
        struct relay_config cfg = unlimited_config();
        struct relay *r = relay_with_peers(&cfg, 3);
        struct script_engine *e = scripts_engine_pinned(r, dir, "f-=flaky", failed);
        assert_int_equal(join_script(r, 0, "f-1", "a", NULL), 0); /* no props: pinned */
        assert_int_equal(join_script(r, 1, "f-1", "b", NULL), 0);
        fake_clear();
        assert_int_equal(send_event(r, 1, 0, "hi"), 0);
        struct proto_event ev;
        char body[PROTO_EVENT_MAX];
        for (uint32_t p = 0; p < 2; p++) { /* the members hear of it, "hi" passed to none */
            assert_int_equal(events_to(p), 1);
            assert_true(last_event(p, &ev, body, sizeof body));
            assert_int_equal(ev.sender, PROTO_ROOM_SENDER);
            assert_int_equal(ev.to, PROTO_EVENT_ROOM);
            assert_true(strncmp(body, "script_error: the room's script failed in on_event: ",
                                52) == 0);
            assert_non_null(strstr(body, "flaky.lua:2: no"));
            assert_string_equal(last_error(p), "");
        }
        for (uint32_t i = 1; i < SCRIPT_ERRORS_OFF; i++)
            assert_int_equal(send_state_xy(r, 0, i, 1, 1), 0);
        assert_int_equal(states_to(1), 0); /* none passed unjudged */
        assert_int_equal(events_to(1), SCRIPT_ERRORS_OFF + (failed == SCRIPT_FAILED_CLOSE));
        assert_int_equal(counts(r)->errors, SCRIPT_ERRORS_OFF);
        assert_int_equal(counts(r)->dropped, SCRIPT_ERRORS_OFF);
        assert_int_equal(counts(r)->off, 1);
        if (failed == SCRIPT_FAILED_END) {
            assert_false(disconnected(0)); /* once the call is over: the engine's run */
            script_engine_run(e, now_us);
            for (uint32_t p = 0; p < 2; p++) {
                assert_true(disconnected(p));
                assert_string_equal(disconnect_why(p), "kicked");
                assert_string_equal(last_ctl(p, PROTO_CTL_ERROR)->text,
                                    "the room's script failed 10 times: the room ends");
            }
            assert_int_equal(relay_rooms(r), 0);
            done(r, e);
            continue;
        }
        for (uint32_t p = 0; p < 2; p++) { /* told once more */
            assert_true(last_event(p, &ev, body, sizeof body));
            assert_int_equal(ev.sender, PROTO_ROOM_SENDER);
            assert_string_equal(body, "script_error: the room's script failed 10 times: the "
                                      "room is closed and passes nothing of its members");
        }
        assert_int_equal(join_script(r, 2, "f-1", "c", NULL), DROP(RELAY_DROP_ROOM_CLOSED));
        fake_clear();
        for (uint32_t i = 1; i <= 5; i++) {
            assert_int_equal(send_state_xy(r, 0, SCRIPT_ERRORS_OFF + i, 1, 1), 0);
            assert_int_equal(send_event(r, 1, 0, "hi"), 0);
        }
        assert_int_equal(states_to(1) + events_to(0), 0);
        assert_int_equal(counts(r)->calls, 2 + SCRIPT_ERRORS_OFF); /* its start: two calls */
        assert_true(relay_peer_joined(r, 0) && relay_peer_joined(r, 1));
        done(r, e);
    }
}

static void a_reload_takes_new_rooms_and_keeps_on_a_fault(void **state)
{
    (void)state;
    scripts_put(dir, "ver", "function on_join(room, m) room:keep('v', '1') end\n");
    struct script_engine *e;
    struct relay *r = scripted(4, "ver", &e);
    assert_int_equal(join(r, 0, "old", "a", false), 0);
    assert_int_equal(join(r, 3, "old", "d", false), 0);
    scripts_put(dir, "ver", "function on_join(room, m) room:keep('v', '2') end\n");
    scripts_put(dir, "broken", "function (\n");
    char err[512];
    assert_int_equal(script_engine_reload(e, err, sizeof err), -1);
    assert_non_null(strstr(err, "/broken.lua:1:"));
    struct proto_event ev;
    char body[PROTO_EVENT_MAX];
    assert_int_equal(join(r, 1, "mid", "b", false), 0);
    assert_true(last_event(1, &ev, body, sizeof body));
    assert_string_equal(body, "1");
    scripts_put(dir, "broken", "x = 1\n");
    assert_int_equal(script_engine_reload(e, err, sizeof err), 0);
    assert_int_equal(script_engine_scripts(e), 2);
    assert_int_equal(join(r, 2, "new", "c", false), 0);
    assert_true(last_event(2, &ev, body, sizeof body));
    assert_string_equal(body, "2");
    assert_int_equal(send_text(r, 3, "{\"type\":\"leave\"}"), 0);
    fake_clear();
    assert_int_equal(join(r, 3, "old", "d", false), 0); /* a room alive keeps its own */
    assert_true(last_event(3, &ev, body, sizeof body));
    assert_string_equal(body, "1");
    assert_int_equal(counts(r)->reloads, 2);
    assert_int_equal(counts(r)->reload_errors, 1);
    done(r, e);
}

/* A room made again from its record (as --room-file does at start): its
 * script reads back where it came from, its kept events in order with
 * their keepers, one by its key, and its props. */
static void a_restored_room_is_read_back(void **state)
{
    (void)state;
    scripts_put(dir, "back",
                "function on_event(room, member, event)\n"
                "  local kept, props = room:kept(), room:props()\n"
                "  local score, keeper = room:kept('score')\n"
                "  local keys = {}\n"
                "  for i, k in ipairs(kept) do\n"
                "    keys[i] = k.key .. '=' .. k.body .. (k.room and '/room' or '/' .. k.keeper)\n"
                "  end\n"
                "  room:send(table.concat({tostring(room.restored), table.concat(keys, ','),\n"
                "                          tostring(score), tostring(keeper), tostring(props.map),\n"
                "                          tostring(room:kept('none'))}, ' '), member.id)\n"
                "  return false\n"
                "end\n");
    struct script_engine *e;
    struct relay *r = scripted(2, "", &e);
    struct proto_room_record rec;
    proto_room_record_init(&rec);
    char why[128];
    assert_int_equal(proto_props_add(&rec.props, "props", "script", "back", why, sizeof why), 0);
    assert_int_equal(proto_props_add(&rec.props, "props", "map", "dust", why, sizeof why), 0);
    struct {
        const char *key, *body, *keeper;
        uint32_t sender;
    } kept[] = {{"score", "X=2", RELAY_SCRIPT_KEEPER, RELAY_SCRIPT_SENDER},
                {"flag", "red", "1234567890abcdef", 7}};
    for (size_t i = 0; i < 2; i++) {
        uint8_t buf[PROTO_EVENT_MAX];
        int n = proto_event_encode_kept(buf, sizeof buf, kept[i].key, true, kept[i].body,
                                        strlen(kept[i].body));
        assert_true(n > 0);
        proto_state_stamp_sender(buf, kept[i].sender);
        assert_int_equal(proto_room_record_add_kept(&rec, kept[i].keeper, buf, (size_t)n, why,
                                                    sizeof why), 0);
    }
    assert_int_equal(relay_room_restore(r, "cave", &rec, now_us, why, sizeof why), 0);
    assert_int_equal(join_script(r, 0, "cave", "ann", NULL), 0);
    fake_clear();
    assert_int_equal(send_event(r, 0, 0, "say"), 0);
    struct proto_event ev;
    char body[256];
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "file score=X=2/room,flag=red/1234567890abcdef X=2 "
                              "0000000000000000 dust nil");
    /* a room a join makes is no restored one */
    assert_int_equal(join_script(r, 1, "new", "bob", "back"), 0);
    fake_clear();
    assert_int_equal(send_event(r, 1, 0, "say"), 0);
    assert_true(last_event(1, &ev, body, sizeof body));
    assert_string_equal(body, "nil  nil nil nil nil");
    done(r, e);
}

/* --script-room: rooms whose names start with a prefix run its script,
 * whatever their first join's props (none: the script all the same);
 * a join naming another is refused; the longest prefix wins. */
static void a_pinned_room_runs_its_script(void **state)
{
    (void)state;
    scripts_put(dir, "referee", "function on_join(room, member) room:keep('by', room.script) end\n");
    scripts_put(dir, "finals", "function on_join(room, member) room:keep('by', room.script) end\n");
    scripts_put(dir, "other", "function on_join() end\n");
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 3);
    struct script_engine *e = scripts_engine_pinned(r, dir, "ttt-=referee ttt-final=finals",
                                                    SCRIPT_FAILED_CLOSE);
    struct proto_event ev;
    char body[64];
    assert_int_equal(join_script(r, 0, "ttt-1", "ann", NULL), 0); /* no props: pinned all the same */
    assert_true(last_event(0, &ev, body, sizeof body));
    assert_string_equal(body, "referee");
    assert_int_equal(join_script(r, 1, "ttt-final-2", "bob", NULL), 0);
    assert_true(last_event(1, &ev, body, sizeof body));
    assert_string_equal(body, "finals");
    fake_clear();
    assert_true(join_script(r, 2, "ttt-9", "cid", "other") < 0); /* another script: refused */
    assert_string_equal(last_error(2), "script_refused");
    assert_non_null(strstr(last_ctl(2, PROTO_CTL_ERROR)->text, "runs the script 'referee'"));
    assert_int_equal(join_script(r, 2, "ttt-9", "cid", "referee"), 0); /* its own: admitted */
    script_engine_close(e);
    relay_destroy(r);
    char err[256];
    struct script_settings s = {.memory_kb = 1024, .budget = 1000000, .share = 50};
    snprintf(s.dir, sizeof s.dir, "%s", dir);
    snprintf(s.pins, sizeof s.pins, "ttt-=nothing");
    assert_int_equal(script_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "--script-room ttt-=nothing: no "));
}

/* Every ```lua block of docs/scripts.md, a script of its own, in a room
 * of two that join, move (one out of the arena), send events (one with
 * "spam"), tick for eleven seconds and leave: no error. */
static void the_docs_examples_run(void **state)
{
    (void)state;
    FILE *f = fopen("docs/scripts.md", "r");
    assert_non_null(f);
    static char doc[1 << 16];
    doc[fread(doc, 1, sizeof doc - 1, f)] = '\0';
    fclose(f);
    size_t n = 0;
    for (const char *p = doc; (p = strstr(p, "\n```lua\n"));) {
        p += strlen("\n```lua\n");
        const char *end = strstr(p, "\n```\n");
        assert_non_null(end);
        char name[32], text[4096];
        snprintf(name, sizeof name, "doc%zu", n++);
        snprintf(text, sizeof text, "%.*s\n", (int)(end - p), p);
        scripts_put(dir, name, text);
    }
    assert_true(n >= 4);
    struct script_engine *e;
    struct relay *r = scripted(2, "", &e);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "doc%zu", i);
        assert_int_equal(join_script(r, 0, name, "ann", name), 0);
        assert_int_equal(join_script(r, 1, name, "bob", name), 0);
        assert_int_equal(send_state_xy(r, 0, 1, 50, 50), 0);
        assert_int_equal(send_state_xy(r, 1, 1, 150, -3), 0);
        assert_int_equal(send_event(r, 0, 0, "hello"), 0);
        assert_int_equal(send_event(r, 1, 0, "buy spam"), 0);
        for (int s = 1; s <= 11; s++)
            script_engine_run(e, now_us + (uint64_t)s * 1000000);
        assert_int_equal(send_text(r, 0, "{\"type\":\"leave\"}"), 0);
        assert_int_equal(send_text(r, 1, "{\"type\":\"leave\"}"), 0);
        if (counts(r)->errors)
            fail_msg("docs/scripts.md's example %zu (%s.lua) failed", i + 1, name);
    }
    assert_int_equal(relay_rooms(r), 0);
    done(r, e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_check_names_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(on_room_starts_the_room, setup, teardown),
        cmocka_unit_test_setup_teardown(on_join_refuses_with_a_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(on_leave_sees_the_leaver, setup, teardown),
        cmocka_unit_test_setup_teardown(on_event_forwards_drops_or_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(on_state_forwards_drops_or_corrects, setup, teardown),
        cmocka_unit_test_setup_teardown(a_state_hooks_tables_are_its_calls_own, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(on_tick_and_timers_run_on_the_relays_clock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_room_keeps_sets_opens_and_kicks, setup, teardown),
        cmocka_unit_test_setup_teardown(the_rooms_keys_are_its_own, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failing_hook_fails_closed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_reload_takes_new_rooms_and_keeps_on_a_fault, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_restored_room_is_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pinned_room_runs_its_script, setup, teardown),
        cmocka_unit_test_setup_teardown(the_docs_examples_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
