/* script_hooks.c: the hooks the core calls (relay/core/script_port.h's table), each
 * a room script's global function if it defines one: on_join, on_leave,
 * on_event, on_state (on_room when its room starts, script.c; on_tick and
 * timers, script_api.c). What a hook returns is read strictly: anything
 * but the documented answers is the script's error, and an error is taken
 * as if the hook were absent (docs/scripts.md, "Errors"). */
#include "script_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "sys/log.h"

/* The vm of a live room slot, started at its first join. */
static struct room_vm *vm_at(struct script_engine *e, uint32_t room)
{
    return room < e->max_rooms ? e->rooms[room] : NULL;
}

/* A refusal's reason as a client is told it: printable ASCII, cut. */
static void reason(const char *s, char *why, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++)
        why[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    why[n] = '\0';
}

/* The script the relay pins room to (the longest --script-room prefix it
 * starts with), or NULL. */
static const char *pinned(const struct script_engine *e, const char *room)
{
    const struct script_pin *best = NULL;
    for (size_t i = 0; i < e->n_pins; i++) {
        size_t len = strlen(e->pins[i].prefix);
        if (strncmp(room, e->pins[i].prefix, len) == 0 &&
            (!best || len > strlen(best->prefix)))
            best = &e->pins[i];
    }
    return best ? best->name : NULL;
}

/* Starts room's script: the one the relay pins its name to, else its prop
 * `script`, else the relay's default; none (or out of memory), e->none:
 * the room runs none for its life, whatever its props become. Returns
 * false with why when the room names a script this relay does not have,
 * or another than its pin (the slot stays undecided: it takes no one). */
static bool start(struct script_engine *e, uint32_t room, const char *name,
                  const struct proto_props *props, uint64_t now_us, char *why, size_t cap)
{
    const char *want = proto_props_get(props, "script"), *pin = pinned(e, name);
    if (pin && want && want[0] && strcmp(want, pin) != 0) {
        snprintf(why, cap, "room '%.32s' runs the script '%.32s' (the relay's --script-room)",
                 name, pin);
        return false;
    }
    if (pin)
        want = pin;
    if (!want || !want[0])
        want = e->set.default_name;
    const struct script_source *src = want[0] ? script_find(e, want) : NULL;
    if (want[0] && !src) {
        snprintf(why, cap, "this relay has no room script '%.32s'", want);
        return false;
    }
    e->rooms[room] = src ? script_vm_new(e, room, name, src, now_us) : &e->none;
    if (!e->rooms[room]) {
        log_warn("script: room '%s': out of memory: it runs without %s", name, src->name);
        e->rooms[room] = &e->none;
    }
    return true;
}

static enum relay_script_verdict on_join(void *ctx, uint32_t room, const char *name,
                                         const struct proto_props *props,
                                         const struct relay_script_member *m, uint64_t now_us,
                                         char *why, size_t cap)
{
    struct script_engine *e = ctx;
    if (room >= e->max_rooms)
        return RELAY_SCRIPT_PASS;
    e->now_us = now_us;
    if (!e->rooms[room] && !start(e, room, name, props, now_us, why, cap))
        return RELAY_SCRIPT_DROP;
    struct room_vm *vm = e->rooms[room];
    if (!script_vm_hook(vm, "on_join"))
        return RELAY_SCRIPT_PASS;
    lua_State *L = vm->L;
    if (script_vm_held(vm)) {
        lua_pop(L, 1);
        return RELAY_SCRIPT_BUSY;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
    script_api_member(L, m, false);
    if (script_vm_call(vm, 2, 2, "on_join") != 0)
        return RELAY_SCRIPT_PASS;
    bool ok = !(lua_isboolean(L, -2) && !lua_toboolean(L, -2));
    if (!ok)
        reason(lua_isstring(L, -1) ? lua_tostring(L, -1) : "the room's script refused the join",
               why, cap);
    lua_pop(L, 2);
    return ok ? RELAY_SCRIPT_PASS : RELAY_SCRIPT_DROP;
}

static void on_leave(void *ctx, uint32_t room, const struct relay_script_member *m,
                     uint64_t now_us)
{
    struct script_engine *e = ctx;
    struct room_vm *vm = vm_at(e, room);
    if (now_us > e->now_us)
        e->now_us = now_us;
    if (!script_vm_hook(vm, "on_leave"))
        return;
    lua_rawgeti(vm->L, LUA_REGISTRYINDEX, vm->room_ref);
    script_api_member(vm->L, m, true);
    script_vm_call(vm, 2, 0, "on_leave");
}

static enum relay_script_verdict on_event(void *ctx, uint32_t room,
                                          const struct relay_script_member *m,
                                          const struct proto_event *ev, uint8_t *body,
                                          size_t *len, uint64_t now_us)
{
    struct script_engine *e = ctx;
    struct room_vm *vm = vm_at(e, room);
    e->now_us = now_us;
    if (!script_vm_hook(vm, "on_event"))
        return RELAY_SCRIPT_PASS;
    lua_State *L = vm->L;
    if (script_vm_held(vm)) { /* not judged: dropped, never passed unjudged */
        lua_pop(L, 1);
        return RELAY_SCRIPT_BUSY;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
    script_api_member(L, m, true);
    lua_createtable(L, 0, 4);
    lua_pushlstring(L, (const char *)ev->body, ev->len);
    lua_setfield(L, -2, "body");
    lua_pushinteger(L, ev->to);
    lua_setfield(L, -2, "to");
    if (ev->key_len) {
        lua_pushlstring(L, (const char *)ev->key, ev->key_len);
        lua_setfield(L, -2, "key");
        lua_pushboolean(L, ev->flags & PROTO_EVENT_STAY);
        lua_setfield(L, -2, "stay");
    }
    if (script_vm_call(vm, 3, 1, "on_event") != 0)
        return RELAY_SCRIPT_PASS;
    enum relay_script_verdict v = RELAY_SCRIPT_PASS;
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
        v = RELAY_SCRIPT_DROP;
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        if (n > *len) {
            script_vm_fault(vm, "on_event", "%s: a new body of %zu bytes, at most %zu",
                            vm->file, n, *len);
        } else {
            memcpy(body, s, n);
            *len = n;
            v = RELAY_SCRIPT_CHANGED;
        }
    } else if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
        script_vm_fault(vm, "on_event", "%s: returned a %s: nil, true, false or a string",
                        vm->file, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return v;
}

/* Field k of the table on top as a state's float, into *f (absent: as it
 * was), read raw (outside a call no code of the script's may run) by the
 * names at index keys. False: not a number, or out of the protocol's
 * range. */
static bool state_field(lua_State *L, int keys, enum script_key k, float *f)
{
    lua_rawgeti(L, keys, k);
    int t = lua_rawget(L, -2);
    bool ok = t == LUA_TNIL;
    if (t == LUA_TNUMBER) {
        double v = lua_tonumber(L, -1);
        ok = isfinite(v) && fabs(v) <= PROTO_VALUE_MAX;
        if (ok)
            *f = (float)v;
    }
    lua_pop(L, 1);
    return ok;
}

/* A correction, the table on top, into *s: false if any field is bad. */
static bool correction(struct room_vm *vm, struct proto_state *s)
{
    lua_State *L = vm->L;
    int keys = script_api_keys(vm);
    lua_pushvalue(L, -2);
    struct proto_state c = *s;
    bool ok = state_field(L, keys, SCRIPT_KEY_X, &c.x) &&
              state_field(L, keys, SCRIPT_KEY_Y, &c.y) &&
              state_field(L, keys, SCRIPT_KEY_VX, &c.vx) &&
              state_field(L, keys, SCRIPT_KEY_VY, &c.vy) &&
              state_field(L, keys, SCRIPT_KEY_HEADING, &c.heading);
    lua_pop(L, 2);
    if (ok)
        *s = c;
    return ok;
}

static enum relay_script_verdict on_state(void *ctx, uint32_t room,
                                          const struct relay_script_member *m,
                                          struct proto_state *s, uint64_t now_us)
{
    struct script_engine *e = ctx;
    struct room_vm *vm = vm_at(e, room);
    e->now_us = now_us;
    if (!script_vm_hook(vm, "on_state"))
        return RELAY_SCRIPT_PASS;
    lua_State *L = vm->L;
    if (script_vm_held(vm)) { /* not judged: dropped, never passed unjudged */
        lua_pop(L, 1);
        return RELAY_SCRIPT_BUSY;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
    script_api_member(L, m, true);
    int keys = script_api_keys(vm);
    lua_createtable(L, 0, 7);
    script_api_set_num(L, keys, SCRIPT_KEY_X, s->x);
    script_api_set_num(L, keys, SCRIPT_KEY_Y, s->y);
    script_api_set_num(L, keys, SCRIPT_KEY_VX, s->vx);
    script_api_set_num(L, keys, SCRIPT_KEY_VY, s->vy);
    script_api_set_num(L, keys, SCRIPT_KEY_HEADING, s->heading);
    script_api_set_int(L, keys, SCRIPT_KEY_SEQ, s->seq);
    script_api_set_int(L, keys, SCRIPT_KEY_T, (lua_Integer)s->send_us);
    lua_remove(L, keys);
    if (script_vm_call(vm, 3, 1, "on_state") != 0)
        return RELAY_SCRIPT_PASS;
    enum relay_script_verdict v = RELAY_SCRIPT_PASS;
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
        v = RELAY_SCRIPT_DROP;
    } else if (lua_istable(L, -1)) {
        if (correction(vm, s))
            v = RELAY_SCRIPT_CHANGED;
        else
            script_vm_fault(vm, "on_state", "%s: a correction's x, y, vx, vy, heading are "
                            "numbers within +-1e6", vm->file);
    } else if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
        script_vm_fault(vm, "on_state", "%s: returned a %s: nil, true, false or a table",
                        vm->file, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return v;
}

struct room_vm *script_vm_new(struct script_engine *e, uint32_t slot, const char *room,
                              const struct script_source *src, uint64_t now_us)
{
    struct room_vm *vm = calloc(1, sizeof *vm);
    if (!vm)
        return NULL;
    vm->eng = e;
    vm->slot = slot;
    vm->cap = (size_t)e->set.memory_kb * 1024;
    vm->room_ref = LUA_NOREF;
    vm->keys_ref = LUA_NOREF;
    snprintf(vm->room, sizeof vm->room, "%s", room);
    snprintf(vm->script, sizeof vm->script, "%s", src->name);
    snprintf(vm->file, sizeof vm->file, "%s", src->path + 1);
    e->now_us = now_us;
    vm->L = script_vm_state(vm);
    if (!vm->L) {
        free(vm);
        return NULL;
    }
    lua_State *L = vm->L;
    vm->starting = true; /* its start runs whole, whatever the share */
    lua_pushcfunction(L, script_sandbox_open);
    if (script_vm_call(vm, 0, 0, "its sandbox") != 0) {
        script_vm_close(vm);
        return vm; /* a room without its script: counted */
    }
    int st = luaL_loadbufferx(L, src->text, src->len, src->path, "t");
    if (st != LUA_OK) {
        script_vm_fault(vm, "load", "%s", lua_tostring(L, -1));
        script_vm_close(vm);
        return vm;
    }
    if (script_vm_call(vm, 0, 0, "its chunk") != 0) {
        script_vm_close(vm);
        return vm;
    }
    script_api_room(vm);
    if (vm->L && script_vm_hook(vm, "on_room")) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
        script_vm_call(vm, 1, 0, "on_room");
    }
    vm->starting = false;
    return vm;
}

void script_vm_free(struct room_vm *vm)
{
    if (!vm)
        return;
    script_vm_close(vm);
    free(vm);
}


static void room_end(void *ctx, uint32_t room)
{
    struct script_engine *e = ctx;
    if (room >= e->max_rooms || !e->rooms[room])
        return;
    struct room_vm *vm = e->rooms[room];
    e->rooms[room] = NULL;
    if (vm == &e->none)
        return;
    if (vm->in_call) { /* never: a room ends under no hook (kicks wait for the call's end) */
        vm->off = true;
        return;
    }
    script_vm_free(vm);
}

void script_hooks_ops(struct script_engine *e, struct relay_script_ops *ops)
{
    *ops = (struct relay_script_ops){.ctx = e, .join = on_join, .leave = on_leave,
                                     .event = on_event, .state = on_state,
                                     .room_end = room_end};
}
