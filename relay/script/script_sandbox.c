/* script_sandbox.c: the libraries a room's script gets (docs/scripts.md,
 * "The sandbox"), Redis's way: the base, string, table, math and utf8
 * libraries, less what reaches a file, a process, a module or bytecode
 * (io, os, package, debug, require, dofile, loadfile, string.dump; load
 * takes text only), coroutines (a resume would catch a stop) and patterns
 * (their time is unbounded, no count sees it); pcall and xpcall that pass
 * a stop on; collectgarbage without its tuning, setmetatable without __gc,
 * print into the log; string.rep and format, table.sort, concat, insert,
 * remove and move bounded (script_bounded.c). */
#include "script_internal.h"

#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "sys/log.h"


/* pcall and xpcall that pass a stop on: a script cannot catch its budget
 * or its memory cap and go on. extra: where the results start. */
static int pass_stop(lua_State *L, int status, int extra)
{
    struct room_vm *vm = script_vm_of(L);
    if (status == LUA_ERRMEM)
        vm->stop = VM_MEMORY;
    if (vm->stop != VM_RUNS)
        return lua_error(L); /* the error object is on top */
    if (status != LUA_OK) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, extra);
    return lua_gettop(L) - extra + 1;
}

static int sb_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    return pass_stop(L, lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0), 1);
}

/* xpcall(f, handler, ...): the handler called after f failed, as a
 * plain call, not as Lua's message handler: that one runs inside the
 * error's raise, where a stop raised by the count hook would run it with
 * every hook off (a handler that loops would never be stopped). */
static int sb_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_copy(L, 2, 1);
    lua_replace(L, 2); /* handler, function, arguments */
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 0);
    if (status == LUA_ERRMEM)
        script_vm_of(L)->stop = VM_MEMORY;
    if (status == LUA_OK || script_vm_of(L)->stop != VM_RUNS)
        return pass_stop(L, status, 2);
    lua_pushvalue(L, 1);
    lua_insert(L, -2); /* handler, handler, error */
    status = lua_pcall(L, 1, 1, 0);
    return pass_stop(L, status == LUA_OK ? LUA_ERRRUN : status, 2);
}

/* load(text [, name [, mode [, env]]]): text only, whatever mode says. */
static int sb_load(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    int env = !lua_isnone(L, 4) ? 4 : 0;
    if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (env) {
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

/* collectgarbage: "count", "step" and "collect" only (no stopping it, no
 * tuning it). */
static int sb_collectgarbage(lua_State *L)
{
    static const char *const opts[] = {"collect", "count", "step", NULL};
    int o = luaL_checkoption(L, 1, "collect", opts);
    if (o == 1) {
        int k = lua_gc(L, LUA_GCCOUNT);
        lua_pushnumber(L, (lua_Number)k + (lua_Number)lua_gc(L, LUA_GCCOUNTB) / 1024);
        return 1;
    }
    lua_pushboolean(L, o == 0 ? (lua_gc(L, LUA_GCCOLLECT), 1) : lua_gc(L, LUA_GCSTEP, 0));
    return 1;
}

/* setmetatable without __gc: a finalizer would run outside any call. */
static int sb_setmetatable(lua_State *L)
{
    if (lua_istable(L, 2) && lua_getfield(L, 2, "__gc") != LUA_TNIL)
        return luaL_error(L, "a room script's metatables have no __gc");
    lua_settop(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_setmetatable(L, 1);
    return 1;
}

/* print: a debug line of the relay's log. */
static int sb_print(lua_State *L)
{
    const struct room_vm *vm = script_vm_of(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1, n = lua_gettop(L); i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    log_debug("script %s (room '%s'): %.200s", vm->script, vm->room, lua_tostring(L, -1));
    return 0;
}

/* string.find, plain always: a pattern's time is unbounded. */
static int sb_find(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    lua_Integer init = luaL_optinteger(L, 3, 1);
    if (init < 0)
        init = (lua_Integer)ls + init + 1 > 0 ? (lua_Integer)ls + init + 1 : 1;
    else if (init == 0)
        init = 1;
    if ((size_t)init > ls + 1) {
        luaL_pushfail(L);
        return 1;
    }
    const char *at = lp == 0 ? s + init - 1 : memmem(s + init - 1, ls - (size_t)init + 1, p, lp);
    if (!at) {
        luaL_pushfail(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)(at - s) + 1);
    lua_pushinteger(L, (lua_Integer)(at - s) + (lua_Integer)lp);
    return 2;
}

static void nil_field(lua_State *L, int t, const char *name)
{
    lua_pushnil(L);
    lua_setfield(L, t, name);
}

/* The libraries a room's script gets, trimmed and wrapped. */
static void open_libraries(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    static const char *const gone[] = {"dofile", "loadfile", "require", "module", "io", "os",
                                       "package", "debug", "coroutine", NULL};
    for (const char *const *n = gone; *n; n++)
        nil_field(L, g, *n);
    static const luaL_Reg wrapped[] = {
        {"pcall", sb_pcall}, {"xpcall", sb_xpcall}, {"load", sb_load},
        {"collectgarbage", sb_collectgarbage}, {"setmetatable", sb_setmetatable},
        {"print", sb_print}, {NULL, NULL}};
    luaL_setfuncs(L, wrapped, 0);
    lua_getfield(L, g, LUA_STRLIBNAME);
    int s = lua_gettop(L);
    static const char *const patterns[] = {"dump", "match", "gmatch", "gsub", NULL};
    for (const char *const *n = patterns; *n; n++)
        nil_field(L, s, *n);
    lua_pushcfunction(L, sb_find);
    lua_setfield(L, s, "find");
    lua_getfield(L, g, LUA_TABLIBNAME);
    script_bounded_open(L, s, lua_gettop(L));
    lua_settop(L, g - 1);
}


int script_sandbox_open(lua_State *L)
{
    open_libraries(L);
    return 0;
}
