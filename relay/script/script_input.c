/* script_input.c: a lockstep room's on_input hook (docs/scripts.md, PROTOCOL.md
 * "Rules on the relay"): the script sees each input as the relay takes it,
 * before any frame has it, and lets it through (nil, true), refuses it
 * (false: the slot's stand-in goes in the frame) or rewrites its bytes (a
 * string of at most the room's input_max). Anything else is the script's
 * error, the hook taken as absent. */
#include "script_internal.h"

enum relay_script_verdict script_on_input(void *ctx, uint32_t room,
                                          const struct relay_script_member *m, uint32_t tick,
                                          uint32_t slot, const uint8_t *data, size_t len,
                                          uint8_t *out, size_t *out_len, uint64_t now_us)
{
    struct script_engine *e = ctx;
    struct room_vm *vm = room < e->max_rooms ? e->rooms[room] : NULL;
    e->now_us = now_us;
    if (!script_vm_hook(vm, "on_input"))
        return RELAY_SCRIPT_PASS;
    lua_State *L = vm->L;
    if (script_vm_held(vm)) { /* not judged: refused, never passed unjudged */
        lua_pop(L, 1);
        return RELAY_SCRIPT_BUSY;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
    script_api_member(L, m, false);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, tick);
    lua_setfield(L, -2, "tick");
    lua_pushinteger(L, slot);
    lua_setfield(L, -2, "slot");
    lua_pushlstring(L, (const char *)data, len);
    lua_setfield(L, -2, "data");
    if (script_vm_call(vm, 3, 1, "on_input") != 0)
        return RELAY_SCRIPT_PASS;
    return script_hook_bytes(vm, "on_input", out, out_len);
}
