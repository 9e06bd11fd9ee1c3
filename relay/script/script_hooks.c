/* script_hooks.c: the hooks the core calls (relay/core/script_port.h's table), each
 * a room script's global function if it defines one: on_join, on_leave,
 * on_event, on_state, on_input (on_room when its room starts, script.c; on_tick and
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

/* Is vm a room's script switched off for its errors? Its room fails
 * closed: what the script would judge is dropped, a join refused. */
static bool off(const struct room_vm *vm)
{
    return vm && vm->off;
}

/* Before a hook that judges input (on_join, on_event, on_input, on_state):
 * true with the hook, the room and m (with its keys or not) pushed for
 * script_vm_call; false with the verdict in *v: DROP where the script is
 * off, PASS where there is no such hook, BUSY while the scripts' hold is
 * full (what is not judged is dropped or refused, never passed unjudged). */
static bool judging(struct room_vm *vm, const char *hook, const struct relay_script_member *m,
                    bool keys, enum relay_script_verdict *v)
{
    *v = RELAY_SCRIPT_DROP;
    if (off(vm))
        return false;
    *v = RELAY_SCRIPT_PASS;
    if (!script_vm_hook(vm, hook))
        return false;
    if (script_vm_held(vm)) {
        lua_pop(vm->L, 1);
        *v = RELAY_SCRIPT_BUSY;
        return false;
    }
    lua_rawgeti(vm->L, LUA_REGISTRYINDEX, vm->room_ref);
    script_api_member(vm->L, m, keys);
    return true;
}

/* A judging hook's verdict when script_vm_call did not call it or it
 * failed: dropped (busy, if held), never passed unjudged. */
static enum relay_script_verdict uncalled(int rc)
{
    return rc == VM_HELD ? RELAY_SCRIPT_BUSY : RELAY_SCRIPT_DROP;
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
 * RELAY_SCRIPT_PASS; RELAY_SCRIPT_DROP with why when the room names a
 * script this relay does not have, or another than its pin; or
 * RELAY_SCRIPT_BUSY, the scripts short of time (its start is a call as
 * any other). Refused, the slot stays undecided: a later join tries again. */
static enum relay_script_verdict start(struct script_engine *e, uint32_t room,
                                       const char *name, const struct proto_props *props,
                                       uint64_t now_us, char *why, size_t cap)
{
    const char *want = proto_props_get(props, "script"), *pin = pinned(e, name);
    if (pin && want && want[0] && strcmp(want, pin) != 0) {
        snprintf(why, cap, "room '%.32s' runs the script '%.32s' (the relay's --script-room)",
                 name, pin);
        return RELAY_SCRIPT_DROP;
    }
    if (pin)
        want = pin;
    if (!want || !want[0])
        want = e->set.default_name;
    const struct script_source *src = want[0] ? script_find(e, want) : NULL;
    if (want[0] && !src) {
        snprintf(why, cap, "this relay has no room script '%.32s'", want);
        return RELAY_SCRIPT_DROP;
    }
    if (!src) {
        e->rooms[room] = &e->none;
        return RELAY_SCRIPT_PASS;
    }
    bool held = false;
    struct room_vm *vm = script_vm_new(e, room, name, src, now_us, &held);
    if (held) {
        script_vm_free(vm);
        return RELAY_SCRIPT_BUSY;
    }
    if (!vm || !vm->L) { /* out of memory, or its chunk failed: never a room without it */
        if (!vm)
            log_warn("script: room '%s': out of memory for %s: the join refused", name,
                     src->name);
        script_vm_free(vm);
        snprintf(why, cap, "the room's script '%.32s' could not start", src->name);
        return RELAY_SCRIPT_DROP;
    }
    e->rooms[room] = vm;
    return RELAY_SCRIPT_PASS;
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
    if (!e->rooms[room]) {
        enum relay_script_verdict v = start(e, room, name, props, now_us, why, cap);
        if (v != RELAY_SCRIPT_PASS)
            return v;
    }
    struct room_vm *vm = e->rooms[room];
    if (off(vm)) {
        snprintf(why, cap, "the room's script failed %u times: the room takes no one",
                 (unsigned)vm->errors);
        return RELAY_SCRIPT_DROP;
    }
    enum relay_script_verdict v;
    if (!judging(vm, "on_join", m, false, &v))
        return v;
    lua_State *L = vm->L;
    int rc = script_vm_call(vm, 2, 2, "on_join", VM_INPUT);
    if (rc == VM_FAILED)
        reason("the room's script failed in on_join", why, cap);
    if (rc != VM_CALLED)
        return uncalled(rc);
    bool ok = !(lua_isboolean(L, -2) && !lua_toboolean(L, -2));
    if (!ok)
        reason(lua_isstring(L, -1) ? lua_tostring(L, -1) : "the room's script refused the join",
               why, cap);
    lua_pop(L, 2);
    return ok ? RELAY_SCRIPT_PASS : RELAY_SCRIPT_DROP;
}

/* m's on_leave, now: its room's script still the one it left. */
static void call_leave(struct room_vm *vm, const struct relay_script_member *m)
{
    if (!script_vm_hook(vm, "on_leave"))
        return;
    lua_rawgeti(vm->L, LUA_REGISTRYINDEX, vm->room_ref);
    script_api_member(vm->L, m, true);
    script_vm_call(vm, 2, 0, "on_leave", VM_FRESH);
}

/* A member leaves: on_leave is called always (a script that keeps who
 * plays learns of each leave), but not while the scripts' hold on the
 * loop is full: then it is put off until it is not (script_hooks_leaves,
 * from script_engine_run), in order, its member as it was. */
static void on_leave(void *ctx, uint32_t room, const struct relay_script_member *m,
                     uint64_t now_us)
{
    struct script_engine *e = ctx;
    struct room_vm *vm = vm_at(e, room);
    if (now_us > e->now_us)
        e->now_us = now_us;
    if (!vm || !vm->L || vm->off)
        return;
    if (!e->n_leaves && script_share_hold_left(e) >= SCRIPT_HOLD_LEAST_US) {
        call_leave(vm, m);
        return;
    }
    if (e->n_leaves == e->cap_leaves) {
        size_t cap = e->cap_leaves ? 2 * e->cap_leaves : 16;
        struct script_leave *more = realloc(e->leaves, cap * sizeof *more);
        if (!more) {
            log_warn("script: room '%s': out of memory: on_leave of %u not called", vm->room,
                     (unsigned)m->id);
            return;
        }
        e->leaves = more;
        e->cap_leaves = cap;
    }
    e->leaves[e->n_leaves++] = (struct script_leave){.room = room, .m = *m};
    script_due_at(e, script_share_hold_free(e));
}

void script_hooks_leaves(struct script_engine *e)
{
    size_t done = 0;
    while (done < e->n_leaves && script_share_hold_left(e) >= SCRIPT_HOLD_LEAST_US) {
        const struct script_leave *l = &e->leaves[done++];
        struct room_vm *vm = vm_at(e, l->room);
        if (vm && vm->L && !vm->off)
            call_leave(vm, &l->m);
    }
    if (done) {
        memmove(e->leaves, e->leaves + done, (e->n_leaves - done) * sizeof *e->leaves);
        e->n_leaves -= done;
    }
    if (e->n_leaves)
        script_due_at(e, script_share_hold_free(e));
}

/* What a hook that returns bytes said (its one result on top of the stack,
 * popped): false, DROP; a string of at most *len bytes, CHANGED, copied to
 * out, its length in *len; nil or true, PASS; anything else the script's
 * fault (named hook), DROP. */
static enum relay_script_verdict hook_bytes(struct room_vm *vm, const char *hook,
                                                   uint8_t *out, size_t *len)
{
    lua_State *L = vm->L;
    enum relay_script_verdict v = RELAY_SCRIPT_PASS;
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
        v = RELAY_SCRIPT_DROP;
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        if (n > *len) {
            script_vm_fault(vm, hook, "%s: %zu bytes returned, at most %zu", vm->file, n, *len);
            v = RELAY_SCRIPT_DROP;
        } else {
            memcpy(out, s, n);
            *len = n;
            v = RELAY_SCRIPT_CHANGED;
        }
    } else if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
        script_vm_fault(vm, hook, "%s: returned a %s: nil, true, false or a string", vm->file,
                        luaL_typename(L, -1));
        v = RELAY_SCRIPT_DROP;
    }
    lua_pop(L, 1);
    return v;
}

static enum relay_script_verdict on_event(void *ctx, uint32_t room,
                                          const struct relay_script_member *m,
                                          const struct proto_event *ev, uint8_t *body,
                                          size_t *len, uint64_t now_us)
{
    struct script_engine *e = ctx;
    struct room_vm *vm = vm_at(e, room);
    e->now_us = now_us;
    enum relay_script_verdict v;
    if (!judging(vm, "on_event", m, true, &v))
        return v;
    lua_State *L = vm->L;
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
    int rc = script_vm_call(vm, 3, 1, "on_event", VM_INPUT);
    if (rc != VM_CALLED)
        return uncalled(rc);
    return hook_bytes(vm, "on_event", body, len);
}


/* A lockstep room's input (PROTOCOL.md, "Rules on the relay"), before any
 * frame has it: on_input(room, member, {tick, slot, data}) lets it through
 * (nil, true), refuses it (false: the slot's stand-in goes in the frame)
 * or rewrites it (a string of at most the room's input_max). */
static enum relay_script_verdict on_input(void *ctx, uint32_t room,
                                          const struct relay_script_member *m, uint32_t tick,
                                          uint32_t slot, const uint8_t *data, size_t len,
                                          uint8_t *out, size_t *out_len, uint64_t now_us)
{
    struct script_engine *e = ctx;
    struct room_vm *vm = vm_at(e, room);
    e->now_us = now_us;
    enum relay_script_verdict v;
    if (!judging(vm, "on_input", m, false, &v))
        return v;
    lua_State *L = vm->L;
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, tick);
    lua_setfield(L, -2, "tick");
    lua_pushinteger(L, slot);
    lua_setfield(L, -2, "slot");
    lua_pushlstring(L, (const char *)data, len);
    lua_setfield(L, -2, "data");
    int rc = script_vm_call(vm, 3, 1, "on_input", VM_INPUT);
    if (rc != VM_CALLED)
        return uncalled(rc);
    return hook_bytes(vm, "on_input", out, out_len);
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
    enum relay_script_verdict v;
    if (!judging(vm, "on_state", m, true, &v))
        return v;
    lua_State *L = vm->L;
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
    int rc = script_vm_call(vm, 3, 1, "on_state", VM_INPUT);
    if (rc != VM_CALLED)
        return uncalled(rc);
    v = RELAY_SCRIPT_PASS;
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
        v = RELAY_SCRIPT_DROP;
    } else if (lua_istable(L, -1)) {
        if (correction(vm, s)) {
            v = RELAY_SCRIPT_CHANGED;
        } else {
            script_vm_fault(vm, "on_state", "%s: a correction's x, y, vx, vy, heading are "
                            "numbers within +-1e6", vm->file);
            v = RELAY_SCRIPT_DROP;
        }
    } else if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
        script_vm_fault(vm, "on_state", "%s: returned a %s: nil, true, false or a table",
                        vm->file, luaL_typename(L, -1));
        v = RELAY_SCRIPT_DROP;
    }
    lua_pop(L, 1);
    return v;
}

struct room_vm *script_vm_new(struct script_engine *e, uint32_t slot, const char *room,
                              const struct script_source *src, uint64_t now_us, bool *held)
{
    struct room_vm *vm = calloc(1, sizeof *vm);
    if (!vm)
        return NULL;
    vm->eng = e;
    vm->slot = slot;
    vm->cap = (size_t)e->set.memory_kb * 1024;
    vm->room_ref = LUA_NOREF;
    vm->keys_ref = LUA_NOREF;
    vm->starting = true; /* its start: one call's budget, and the share's to allow */
    snprintf(vm->room, sizeof vm->room, "%s", room);
    snprintf(vm->script, sizeof vm->script, "%s", src->name);
    snprintf(vm->file, sizeof vm->file, "%s", src->path + 1);
    e->now_us = now_us;
    if (script_share_busy(vm, VM_FRESH)) {
        *held = true;
        return vm;
    }
    vm->L = script_vm_state(vm);
    if (!vm->L) {
        free(vm);
        return NULL;
    }
    lua_State *L = vm->L;
    lua_pushcfunction(L, script_sandbox_open);
    int rc = script_vm_call(vm, 0, 0, "its sandbox", VM_FRESH);
    if (rc == VM_CALLED) {
        if (luaL_loadbufferx(L, src->text, src->len, src->path, "t") != LUA_OK) {
            script_vm_fault(vm, "load", "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            rc = VM_FAILED;
        } else {
            rc = script_vm_call(vm, 0, 0, "its chunk", VM_GO_ON);
        }
    }
    if (rc == VM_CALLED) {
        script_api_room(vm);
        if (vm->L && script_vm_hook(vm, "on_room")) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
            rc = script_vm_call(vm, 1, 0, "on_room", VM_GO_ON);
            if (rc == VM_FAILED)
                rc = VM_CALLED; /* counted; the script goes on */
        }
    }
    if (rc == VM_HELD)
        *held = true; /* stopped at the turn's end: not started, the join refused busy */
    else if (rc != VM_CALLED)
        script_vm_close(vm); /* a room without its script: counted */
    vm->starting = false;
    vm->last_spent = SCRIPT_HOLD_LIGHT; /* light once a hook of its own has run short */
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
    size_t kept = 0; /* its leaves put off go with it: the slot may be another room's next */
    for (size_t i = 0; i < e->n_leaves; i++)
        if (e->leaves[i].room != room)
            e->leaves[kept++] = e->leaves[i];
    e->n_leaves = kept;
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
                                     .input = on_input, .room_end = room_end};
}
