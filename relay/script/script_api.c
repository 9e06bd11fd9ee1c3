/* script_api.c: the `room` a room's script is given (docs/scripts.md,
 * "The room"): what it may do to its room, as the room itself (sender RELAY_SCRIPT_SENDER),
 * through the core's relay_script_* calls; its timers and tick. Every
 * method checks its arguments and raises a Lua error (counted as the
 * script's) on a bad one. */
#include "script_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "proto/props.h"

#define MEMBERS_MAX 256 /* room:members() lists at most these */

static struct room_vm *vm_at(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE); /* room:method(...): the room first */
    return script_vm_of(L);
}

/* room:send(bytes [, to]): to every member (to 0 or none) or one. */
static int api_send(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    size_t len;
    const char *body = luaL_checklstring(L, 2, &len);
    lua_Integer to = luaL_optinteger(L, 3, 0);
    if (len > PROTO_EVENT_BODY_MAX)
        return luaL_argerror(L, 2, lua_pushfstring(L, "an event's body is at most %d bytes",
                                                   PROTO_EVENT_BODY_MAX));
    luaL_argcheck(L, to >= 0 && to <= UINT32_MAX, 3, "a member's id");
    int n = relay_script_send(vm->eng->r, vm->slot, (uint32_t)to, body, len);
    if (n < 0) {
        luaL_pushfail(L);
        lua_pushfstring(L, "no member %I in the room", to);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* room:keep(key, bytes) and room:clear(key): the room's own kept events. */
static int keep(lua_State *L, const char *body, size_t len)
{
    struct room_vm *vm = vm_at(L);
    const char *key = luaL_checkstring(L, 2);
    luaL_argcheck(L, proto_event_key_valid(key), 2, "a key is 1..32 bytes of 0x21..0x7e");
    int k = relay_script_keep(vm->eng->r, vm->slot, key, body, len);
    if (k == -1)
        return luaL_error(L, "kept event '%s': key and bytes past %d", key, PROTO_EVENT_BODY_MAX);
    if (k < 0) {
        luaL_pushfail(L);
        lua_pushstring(L, k == -2 ? "the room's kept events are full" : "out of memory");
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int api_keep(lua_State *L)
{
    size_t len;
    const char *body = luaL_checklstring(L, 3, &len);
    luaL_argcheck(L, len > 0, 3, "no bytes: room:clear(key) clears a key");
    return keep(L, body, len);
}

static int api_clear(lua_State *L)
{
    return keep(L, NULL, 0);
}

/* room:set_props{k = v, ...}: the room's props replaced (strings, numbers). */
static int api_set_props(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    struct proto_props p = {0};
    char why[128];
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
            return luaL_error(L, "set_props: keys and values are strings");
        const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
        if (proto_props_add(&p, "set_props", k, v, why, sizeof why) != 0)
            return luaL_error(L, "%s", why);
        lua_pop(L, 1);
    }
    relay_script_props(vm->eng->r, vm->slot, &p);
    return 0;
}

/* room:props(): the room's props as they are now, {k = v, ...}. */
static int api_props(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    const struct proto_props *p = relay_script_room_props(vm->eng->r, vm->slot);
    lua_createtable(L, 0, p ? p->n : 0);
    for (size_t at = 0, i = 0; p && i < p->n; i++) {
        const char *k = p->kv + at, *v = k + strlen(k) + 1;
        lua_pushstring(L, v);
        lua_setfield(L, -2, k);
        at = (size_t)(v + strlen(v) + 1 - p->kv);
    }
    return 1;
}

/* Pushes a kept event as room:kept() lists it: {key, body, keeper, stay,
 * room: the room's own}. */
static void push_kept(lua_State *L, const struct proto_event *e, const char *keeper)
{
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, (const char *)e->key, e->key_len);
    lua_setfield(L, -2, "key");
    lua_pushlstring(L, (const char *)e->body, e->len);
    lua_setfield(L, -2, "body");
    lua_pushstring(L, keeper);
    lua_setfield(L, -2, "keeper");
    lua_pushboolean(L, (e->flags & PROTO_EVENT_STAY) != 0);
    lua_setfield(L, -2, "stay");
    lua_pushboolean(L, strcmp(keeper, RELAY_SCRIPT_KEEPER) == 0);
    lua_setfield(L, -2, "room");
}

/* room:kept(): the room's kept events in order (its own and its members'),
 * each {key, body, keeper, stay, room}; room:kept(key): that one's body and
 * keeper, or nil. What a restored room's script rebuilds its game from. */
static int api_kept(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    size_t want_len = 0;
    const char *want = luaL_optlstring(L, 2, NULL, &want_len);
    const uint8_t *bytes;
    size_t at = 0, len;
    char keeper[PROTO_PLAYER_LEN + 1];
    struct proto_event e;
    if (!want)
        lua_newtable(L);
    for (lua_Integer n = 0; relay_script_kept_next(vm->eng->r, vm->slot, &at, &bytes, &len,
                                                   keeper);) {
        if (proto_event_decode(bytes, len, &e) != PROTO_OK)
            continue; /* never: the store holds what was checked */
        if (!want) {
            push_kept(L, &e, keeper);
            lua_rawseti(L, -2, ++n);
        } else if (e.key_len == want_len && memcmp(e.key, want, want_len) == 0) {
            lua_pushlstring(L, (const char *)e.body, e.len);
            lua_pushstring(L, keeper);
            return 2;
        }
    }
    if (want)
        lua_pushnil(L);
    return 1;
}

static int api_open(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    relay_script_open(vm->eng->r, vm->slot, lua_toboolean(L, 2));
    return 0;
}

/* room:kick(id [, reason]): carried out once the call is over. */
static int api_kick(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    lua_Integer id = luaL_checkinteger(L, 2);
    const char *why = luaL_optstring(L, 3, "");
    bool ok = id > 0 && id <= UINT32_MAX &&
              relay_script_kick(vm->eng->r, vm->slot, (uint32_t)id, why);
    lua_pushboolean(L, ok);
    return 1;
}

int script_api_keys(struct room_vm *vm)
{
    lua_rawgeti(vm->L, LUA_REGISTRYINDEX, vm->keys_ref);
    return lua_gettop(vm->L);
}

void script_api_member(lua_State *L, const struct relay_script_member *m, bool state)
{
    int keys = script_api_keys(script_vm_of(L));
    lua_createtable(L, 0, state ? 10 : 3);
    script_api_set_int(L, keys, SCRIPT_KEY_ID, m->id);
    lua_rawgeti(L, keys, SCRIPT_KEY_NAME);
    lua_pushstring(L, m->name);
    lua_rawset(L, -3);
    lua_rawgeti(L, keys, SCRIPT_KEY_PLAYER);
    lua_pushstring(L, m->player);
    lua_rawset(L, -3);
    if (state && m->has_state) {
        script_api_set_num(L, keys, SCRIPT_KEY_X, m->state.x);
        script_api_set_num(L, keys, SCRIPT_KEY_Y, m->state.y);
        script_api_set_num(L, keys, SCRIPT_KEY_VX, m->state.vx);
        script_api_set_num(L, keys, SCRIPT_KEY_VY, m->state.vy);
        script_api_set_num(L, keys, SCRIPT_KEY_HEADING, m->state.heading);
        script_api_set_int(L, keys, SCRIPT_KEY_SEQ, m->state.seq);
        script_api_set_int(L, keys, SCRIPT_KEY_T, (lua_Integer)m->state.send_us);
    }
    lua_remove(L, keys);
}

/* room:members(): {id, name, player, and its last state's x, y, vx, vy,
 * heading, seq, t}, in the room's order. */
static int api_members(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    static struct relay_script_member m[MEMBERS_MAX]; /* the loop's thread only */
    size_t n = relay_script_members(vm->eng->r, vm->slot, m, MEMBERS_MAX);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        script_api_member(L, &m[i], true);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static uint64_t ms_arg(lua_State *L, int i, bool zero)
{
    lua_Integer ms = luaL_checkinteger(L, i);
    luaL_argcheck(L, (zero && ms == 0) || (ms >= SCRIPT_TICK_MIN_MS && ms <= 3600000), i,
                  "10..3600000 ms");
    return (uint64_t)ms * 1000;
}

/* room:tick_every(ms): on_tick(room, now) every ms (0: none). */
static int api_tick_every(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    vm->tick_us = ms_arg(L, 2, true);
    if (vm->tick_us) {
        vm->next_tick_us = vm->eng->now_us + vm->tick_us;
        script_due_at(vm->eng, vm->next_tick_us);
    }
    return 0;
}

/* room:after(ms, fn): fn(room) once, ms from now. */
static int api_after(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    uint64_t in = ms_arg(L, 2, false);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (vm->n_timers >= SCRIPT_TIMERS_MAX)
        return luaL_error(L, "room:after: %d timers wait already", SCRIPT_TIMERS_MAX);
    lua_settop(L, 3);
    struct script_timer *t = &vm->timers[vm->n_timers];
    t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    t->due_us = vm->eng->now_us + in;
    vm->n_timers++;
    script_due_at(vm->eng, t->due_us);
    return 0;
}

/* room:now(): the relay's clock, ms. */
static int api_now(lua_State *L)
{
    struct room_vm *vm = vm_at(L);
    lua_pushinteger(L, (lua_Integer)(vm->eng->now_us / 1000));
    return 1;
}

void script_api_room(struct room_vm *vm)
{
    static const luaL_Reg methods[] = {
        {"send", api_send}, {"keep", api_keep}, {"clear", api_clear},
        {"set_props", api_set_props}, {"props", api_props}, {"kept", api_kept},
        {"open", api_open}, {"kick", api_kick},
        {"members", api_members}, {"tick_every", api_tick_every}, {"after", api_after},
        {"now", api_now}, {NULL, NULL}};
    lua_State *L = vm->L;
    if (!lua_checkstack(L, 4)) {
        script_vm_close(vm); /* the room without its script */
        return;
    }
    lua_createtable(L, 0, 16);
    luaL_setfuncs(L, methods, 0);
    lua_pushstring(L, vm->room);
    lua_setfield(L, -2, "name");
    static const char *const from[] = {[RELAY_SCRIPT_FROM_FILE] = "file",
                                       [RELAY_SCRIPT_FROM_MOVE] = "move"};
    enum relay_script_from made =
        vm->eng->r ? relay_script_room_from(vm->eng->r, vm->slot) : RELAY_SCRIPT_MADE;
    if (made != RELAY_SCRIPT_MADE) { /* nil: a join made the room */
        lua_pushstring(L, from[made]);
        lua_setfield(L, -2, "restored");
    }
    lua_pushstring(L, vm->script);
    lua_setfield(L, -2, "script");
    lua_newtable(L);
    lua_setfield(L, -2, "store");
    vm->room_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    static const char *const names[SCRIPT_KEYS] = {
        [SCRIPT_KEY_ID] = "id", [SCRIPT_KEY_NAME] = "name", [SCRIPT_KEY_PLAYER] = "player",
        [SCRIPT_KEY_X] = "x", [SCRIPT_KEY_Y] = "y", [SCRIPT_KEY_VX] = "vx",
        [SCRIPT_KEY_VY] = "vy", [SCRIPT_KEY_HEADING] = "heading", [SCRIPT_KEY_SEQ] = "seq",
        [SCRIPT_KEY_T] = "t"};
    lua_createtable(L, SCRIPT_KEYS - 1, 0);
    for (int k = 1; k < SCRIPT_KEYS; k++) {
        lua_pushstring(L, names[k]);
        lua_rawseti(L, -2, k);
    }
    vm->keys_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Runs vm's timer i (taken off the list first: it may set another). */
static void run_timer(struct room_vm *vm, uint32_t i)
{
    lua_State *L = vm->L;
    int ref = vm->timers[i].ref;
    vm->timers[i] = vm->timers[--vm->n_timers];
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    if (vm->off || vm->in_call) {
        lua_pop(L, 1);
        return;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
    script_vm_call(vm, 1, 0, "a timer", VM_FRESH);
}

/* vm's tick, if due: on_tick(room, now ms); the next on the grid, none
 * skipped by a burst when the relay fell behind. */
static void tick(struct room_vm *vm, uint64_t now_us)
{
    if (!vm->tick_us || now_us < vm->next_tick_us)
        return;
    vm->next_tick_us += vm->tick_us;
    if (vm->next_tick_us <= now_us)
        vm->next_tick_us = now_us + vm->tick_us;
    if (!script_vm_hook(vm, "on_tick"))
        return;
    lua_rawgeti(vm->L, LUA_REGISTRYINDEX, vm->room_ref);
    lua_pushinteger(vm->L, (lua_Integer)(now_us / 1000));
    script_vm_call(vm, 2, 0, "on_tick", VM_FRESH);
}

void script_api_due(struct room_vm *vm, uint64_t now_us)
{
    struct script_engine *e = vm->eng;
    if (!vm->L || vm->off)
        return;
    if (script_vm_spent(vm)) { /* its share spent: its timers and tick wait */
        script_due_at(e, vm->share_from_us + 1000000u);
        return;
    }
    if (script_share_busy(vm, VM_FRESH)) { /* the share or the hold spent: they wait */
        script_due_at(e, now_us + SCRIPT_SHARE_SLICE_US);
        return;
    }
    /* The timers due now, earliest first; those set meanwhile wait for the next run,
     * and while the scripts' hold on the loop is full, all wait until it is not. */
    uint32_t n = vm->n_timers;
    for (uint32_t round = 0; round < n && vm->L && !vm->off; round++) {
        if (script_share_hold_left(e) < SCRIPT_HOLD_LEAST_US) {
            script_due_at(e, script_share_hold_free(e));
            return;
        }
        uint32_t at = UINT32_MAX;
        for (uint32_t i = 0; i < vm->n_timers; i++)
            if (vm->timers[i].due_us <= now_us &&
                (at == UINT32_MAX || vm->timers[i].due_us < vm->timers[at].due_us))
                at = i;
        if (at == UINT32_MAX)
            break;
        run_timer(vm, at);
    }
    if (!vm->off && script_share_hold_left(e) < SCRIPT_HOLD_LEAST_US)
        script_due_at(e, script_share_hold_free(e)); /* its tick, then */
    else if (!vm->off)
        tick(vm, now_us);
    if (vm->off)
        return;
    for (uint32_t i = 0; i < vm->n_timers; i++)
        script_due_at(e, vm->timers[i].due_us);
    if (vm->tick_us)
        script_due_at(e, vm->next_tick_us);
}
