/* script.c: the engine (see script.h): the operator's scripts read and
 * checked, and each room's Lua state in its sandbox, Redis's way. Only the
 * base, string, table, math and utf8 libraries, less what reaches a file,
 * a process, a module or bytecode (io, os, package, debug, require, dofile,
 * loadfile, string.dump; load takes text only), coroutines (a resume would
 * catch a stop) and patterns (their time is unbounded, no count sees it);
 * memory capped by an allocator per room (--script-memory-kb); each call
 * stopped past --script-budget instructions or SCRIPT_CALL_MS by a count
 * hook, a stop the script cannot catch; an error counted, logged with file
 * and line (a few lines a second in all), the hook taken as absent, and
 * SCRIPT_ERRORS_OFF of them switch the room's script off. */
#include "script_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "../../sys/clock.h"
#include "../../sys/log.h"

#define HOOK_EVERY 100           /* instructions between two looks at the budget: an
                                    instruction may copy a string of the whole cap */
#define LOG_RATE 5u              /* error lines a second, in all */
#define LOG_BURST 10u

/* ---- limits: memory, instructions ---------------------------------------- */

static void *vm_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct room_vm *vm = ud;
    size_t old = ptr ? osize : 0; /* without ptr, osize is a kind, not a size */
    if (nsize == 0) {
        free(ptr);
        vm->used -= old;
        return NULL;
    }
    if (nsize > old && vm->used - old + nsize > vm->cap)
        return NULL; /* Lua raises "not enough memory" (after a collection) */
    void *p = realloc(ptr, nsize);
    if (p)
        vm->used = vm->used - old + nsize;
    return p;
}

/* The budget, in instructions and in time: an instruction's cost is not
 * bounded (a concatenation copies up to the memory cap, a collection
 * walks it), so a call is also stopped once it has run SCRIPT_CALL_MS. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    struct room_vm *vm = script_vm_of(L);
    vm->spent += HOOK_EVERY;
    bool late = clock_now_us() > vm->deadline_us;
    if (vm->spent <= vm->eng->set.budget && !late && vm->stop != VM_BUDGET)
        return;
    vm->stop = VM_BUDGET; /* from now on every look stops it again */
    lua_getinfo(L, "Sl", ar);
    if (late && vm->spent <= vm->eng->set.budget)
        lua_pushfstring(L, "%s:%d: stopped: past %d ms", ar->short_src, ar->currentline,
                        SCRIPT_CALL_MS);
    else
        lua_pushfstring(L, "%s:%d: stopped: past its budget of %I instructions",
                        ar->short_src, ar->currentline, (lua_Integer)vm->eng->set.budget);
    lua_error(L);
}

/* Starts a call's budget. */
static void budget_start(struct room_vm *vm)
{
    vm->spent = 0;
    vm->stop = VM_RUNS;
    vm->deadline_us = clock_now_us() + SCRIPT_CALL_MS * 1000ull;
}

/* ---- the sandbox ----------------------------------------------------------- */

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

/* table.insert, remove and move around the original (upvalue 1): each
 * loops in C over a length the script gives (a __len of 2^40, a range),
 * where no hook looks: no metatable, and at most as many elements as the
 * room's memory could hold. */
static int sb_table_bounded(lua_State *L)
{
    struct room_vm *vm = script_vm_of(L);
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    bool move = strcmp(name, "move") == 0;
    luaL_checktype(L, 1, LUA_TTABLE);
    for (int i = 1; i <= lua_gettop(L); i += 4) /* move's destination is argument 5 */
        if (lua_istable(L, i) && lua_getmetatable(L, i))
            return luaL_error(L, "table.%s: not on a table with a metatable", name);
    lua_Integer most = (lua_Integer)(vm->cap / 16);
    if (move) {
        lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
        if (e >= f && ((lua_Unsigned)e - (lua_Unsigned)f) >= (lua_Unsigned)most)
            return luaL_error(L, "table.move: more than %I elements", most);
    } else if ((lua_Integer)lua_rawlen(L, 1) > most) {
        return luaL_error(L, "table.%s: more than %I elements", name, most);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
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
static void sandbox(lua_State *L)
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
    int t = lua_gettop(L);
    static const char *const bounded[] = {"insert", "remove", "move", NULL};
    for (const char *const *n = bounded; *n; n++) {
        lua_getfield(L, t, *n);
        lua_pushstring(L, *n);
        lua_pushcclosure(L, sb_table_bounded, 2);
        lua_setfield(L, t, *n);
    }
    lua_settop(L, g - 1);
}

/* ---- calls and their faults ---------------------------------------------- */

/* One error line, within the engine's bucket (LOG_RATE a second). */
static void say(struct script_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct script_engine *e, const char *fmt, ...)
{
    uint64_t now = e->now_us;
    uint64_t add = (now - e->log_us) * LOG_RATE; /* millionths of a line */
    e->log_us = now;
    e->log_tokens = e->log_tokens + add > LOG_BURST * 1000000ull ? LOG_BURST * 1000000ull
                                                                 : e->log_tokens + add;
    if (e->log_tokens < 1000000ull) {
        e->log_suppressed++;
        return;
    }
    e->log_tokens -= 1000000ull;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' '; /* one line, whatever the script's message */
    if (e->log_suppressed)
        log_warn("%s (and %" PRIu64 " lines not shown)", line, e->log_suppressed);
    else
        log_warn("%s", line);
    e->log_suppressed = 0;
}

/* One more error of vm's: counted; too many, and its script is off. */
static void vm_error(struct room_vm *vm, const char *what, const char *msg)
{
    struct script_engine *e = vm->eng;
    e->counts->errors++;
    if (vm->stop == VM_BUDGET)
        e->counts->budget++;
    else if (vm->stop == VM_MEMORY)
        e->counts->memory++;
    vm->errors++;
    say(e, "script: room '%s': %s: %s%s", vm->room, what, msg,
        vm->stop == VM_MEMORY ? " (its memory cap)" : "");
    if (vm->errors >= SCRIPT_ERRORS_OFF && !vm->off) {
        vm->off = true;
        e->counts->off++;
        log_warn("script: room '%s': %s switched off after %u errors: the room goes on "
                 "without it", vm->room, vm->file, (unsigned)vm->errors);
    }
}

void script_vm_fault(struct room_vm *vm, const char *what, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vm->stop = VM_RUNS;
    vm_error(vm, what, msg);
}

bool script_vm_hook(struct room_vm *vm, const char *name)
{
    if (!vm || !vm->L || vm->off || vm->in_call)
        return false;
    if (lua_getglobal(vm->L, name) == LUA_TFUNCTION)
        return true;
    lua_pop(vm->L, 1);
    return false;
}

int script_vm_call(struct room_vm *vm, int nargs, int nres, const char *what)
{
    lua_State *L = vm->L;
    budget_start(vm);
    vm->in_call = true;
    vm->eng->counts->calls++;
    int status = lua_pcall(L, nargs, nres, 0);
    vm->in_call = false;
    if (status == LUA_OK) {
        vm->stop = VM_RUNS;
        return 0;
    }
    if (status == LUA_ERRMEM)
        vm->stop = VM_MEMORY;
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(an error object)";
    char where[SCRIPT_PATH_MAX + 8] = "";
    if (vm->stop == VM_MEMORY || !strchr(msg, ':'))
        snprintf(where, sizeof where, "%s: ", vm->file); /* no line of its own: the file */
    char text[512];
    snprintf(text, sizeof text, "%s%s", where, msg);
    lua_pop(L, 1);
    vm_error(vm, what, text);
    vm->stop = VM_RUNS;
    return -1;
}

void script_due_at(struct script_engine *e, uint64_t t)
{
    if (t < e->due_us)
        e->due_us = t;
}

/* ---- a room's state ---------------------------------------------------------- */

/* sandbox() as a protected call: out of memory while it runs is an error,
 * not an abort. */
static int sandbox_call(lua_State *L)
{
    sandbox(L);
    return 0;
}

static void vm_close(struct room_vm *vm)
{
    if (!vm->L)
        return;
    vm->stop = VM_BUDGET; /* nothing may run at the close */
    lua_close(vm->L);
    vm->L = NULL;
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
    snprintf(vm->room, sizeof vm->room, "%s", room);
    snprintf(vm->script, sizeof vm->script, "%s", src->name);
    snprintf(vm->file, sizeof vm->file, "%s", src->path + 1);
    e->now_us = now_us;
    vm->L = lua_newstate(vm_alloc, vm);
    if (!vm->L) {
        free(vm);
        return NULL;
    }
    lua_State *L = vm->L;
    *(struct room_vm **)lua_getextraspace(L) = vm;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_pushcfunction(L, sandbox_call);
    if (script_vm_call(vm, 0, 0, "its sandbox") != 0) {
        vm_close(vm);
        return vm; /* a room without its script: counted */
    }
    int st = luaL_loadbufferx(L, src->text, src->len, src->path, "t");
    if (st != LUA_OK) {
        script_vm_fault(vm, "load", "%s", lua_tostring(L, -1));
        vm_close(vm);
        return vm;
    }
    if (script_vm_call(vm, 0, 0, "its chunk") != 0) {
        vm_close(vm);
        return vm;
    }
    script_api_room(vm);
    if (!vm->L)
        return vm;
    if (script_vm_hook(vm, "on_room")) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, vm->room_ref);
        script_vm_call(vm, 1, 0, "on_room");
    }
    return vm;
}

void script_vm_free(struct room_vm *vm)
{
    if (!vm)
        return;
    vm_close(vm);
    free(vm);
}

/* ---- the folder ----------------------------------------------------------------- */

static bool name_ok(const char *name, size_t len)
{
    if (len < 1 || len > SCRIPT_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void sources_free(struct script_source *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(src[i].text);
    free(src);
}

/* Reads path whole (at most SCRIPT_FILE_MAX bytes) into s. */
static int read_source(struct script_source *s, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    s->text = malloc(SCRIPT_FILE_MAX + 1);
    size_t n = s->text ? fread(s->text, 1, SCRIPT_FILE_MAX + 1, f) : 0;
    bool bad = ferror(f);
    fclose(f);
    if (!s->text || bad || n > SCRIPT_FILE_MAX) {
        snprintf(err, cap, "%s: %s", path,
                 !s->text ? "out of memory" : bad ? "cannot read it" : "longer than 256 KiB");
        return -1;
    }
    s->len = n;
    char *fit = realloc(s->text, n ? n : 1); /* what it holds, not the bound */
    s->text = fit ? fit : s->text;
    return 0;
}

/* A scratch room for s: compiled and its chunk run in the sandbox, within
 * the limits. Returns 0 or -1 with err (file and line). */
static int check_source(struct script_engine *e, const struct script_source *s, char *err,
                        size_t cap)
{
    struct room_vm vm = {.eng = e, .cap = (size_t)e->set.memory_kb * 1024,
                         .room_ref = LUA_NOREF};
    snprintf(vm.file, sizeof vm.file, "%s", s->path + 1);
    vm.L = lua_newstate(vm_alloc, &vm);
    if (!vm.L) {
        snprintf(err, cap, "%s: out of memory", vm.file);
        return -1;
    }
    lua_State *L = vm.L;
    *(struct room_vm **)lua_getextraspace(L) = &vm;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_pushcfunction(L, sandbox_call);
    budget_start(&vm);
    int st = lua_pcall(L, 0, 0, 0);
    if (st == LUA_OK)
        st = luaL_loadbufferx(L, s->text, s->len, s->path, "t");
    if (st == LUA_OK) {
        budget_start(&vm);
        vm.in_call = true;
        st = lua_pcall(L, 0, 0, 0);
    }
    if (st != LUA_OK) {
        const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "an error";
        snprintf(err, cap, "%s%s%s", strchr(msg, ':') ? "" : vm.file,
                 strchr(msg, ':') ? "" : ": ", msg);
        for (char *c = err; *c; c++)
            if (*c == '\n' || *c == '\r' || *c == '\t')
                *c = ' ';
    }
    vm.stop = VM_BUDGET;
    lua_close(L);
    return st == LUA_OK ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct script_source *)a)->name,
                  ((const struct script_source *)b)->name);
}

/* Every NAME.lua of the folder, read and checked, into *out (name order).
 * Returns how many, or -1 with err. */
static long read_folder(struct script_engine *e, struct script_source **out, char *err,
                        size_t cap)
{
    DIR *d = opendir(e->set.dir);
    if (!d) {
        snprintf(err, cap, "--script-dir %s: %s", e->set.dir, strerror(errno));
        return -1;
    }
    struct script_source *src = calloc(SCRIPTS_MAX, sizeof *src);
    size_t n = 0;
    int rc = src ? 0 : -1;
    if (!src)
        snprintf(err, cap, "out of memory");
    for (struct dirent *de; rc == 0 && (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0)
            continue;
        if (!name_ok(de->d_name, len - 4)) {
            log_warn("script: %s/%s: not read: a script's name is 1..%d of A-Z a-z 0-9 _ -",
                     e->set.dir, de->d_name, SCRIPT_NAME_MAX);
            continue;
        }
        if (n == SCRIPTS_MAX) {
            snprintf(err, cap, "--script-dir %s: more than %d scripts", e->set.dir, SCRIPTS_MAX);
            rc = -1;
            break;
        }
        struct script_source *s = &src[n++];
        snprintf(s->name, sizeof s->name, "%.*s", (int)(len - 4), de->d_name);
        snprintf(s->path, sizeof s->path, "@%.255s/%.40s", e->set.dir, de->d_name);
        rc = read_source(s, s->path + 1, err, cap);
        if (rc == 0)
            rc = check_source(e, s, err, cap);
    }
    closedir(d);
    if (rc != 0) {
        sources_free(src, n);
        return -1;
    }
    qsort(src, n, sizeof *src, by_name);
    *out = src;
    return (long)n;
}

const struct script_source *script_find(const struct script_engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_src; i++)
        if (strcmp(e->src[i].name, name) == 0)
            return &e->src[i];
    return NULL;
}

/* Reads the folder into e (the scripts before freed), the default checked. */
static int load(struct script_engine *e, char *err, size_t cap)
{
    struct script_source *src = NULL;
    long n = read_folder(e, &src, err, cap);
    if (n < 0)
        return -1;
    struct script_engine probe = {.src = src, .n_src = (size_t)n};
    if (e->set.default_name[0] && !script_find(&probe, e->set.default_name)) {
        snprintf(err, cap, "--script-default %s: no %s/%s.lua", e->set.default_name, e->set.dir,
                 e->set.default_name);
        sources_free(src, (size_t)n);
        return -1;
    }
    sources_free(e->src, e->n_src);
    e->src = src;
    e->n_src = (size_t)n;
    return 0;
}

int script_check(const struct script_settings *s, char *err, size_t cap)
{
    struct relay_script_counts counts = {0};
    struct script_engine e = {.set = *s, .counts = &counts, .due_us = UINT64_MAX};
    int rc = load(&e, err, cap);
    sources_free(e.src, e.n_src);
    return rc;
}

int script_engine_open(struct script_engine **out, struct relay *r,
                       const struct script_settings *s, char *err, size_t cap)
{
    uint32_t max_rooms = relay_script_slots(r);
    *out = NULL;
    struct script_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->rooms = calloc(max_rooms ? max_rooms : 1, sizeof *e->rooms))) {
        free(e);
        snprintf(err, cap, "out of memory");
        return -1;
    }
    e->r = r;
    e->set = *s;
    e->max_rooms = max_rooms;
    e->due_us = UINT64_MAX;
    e->log_tokens = LOG_BURST * 1000000ull;
    e->counts = relay_script_counts(r);
    if (load(e, err, cap) != 0) {
        free(e->rooms);
        free(e);
        return -1;
    }
    struct relay_script_ops ops;
    script_hooks_ops(e, &ops);
    relay_set_script(r, &ops);
    log_info("script: %zu scripts from %s%s%s", e->n_src, s->dir,
             s->default_name[0] ? ", every room's: " : "", s->default_name);
    *out = e;
    return 0;
}

int script_engine_reload(struct script_engine *e, char *err, size_t cap)
{
    e->counts->reloads++;
    if (load(e, err, cap) != 0) {
        e->counts->reload_errors++;
        return -1;
    }
    log_info("script: %zu scripts read again from %s: new rooms run them", e->n_src, e->set.dir);
    return 0;
}

size_t script_engine_scripts(const struct script_engine *e)
{
    return e ? e->n_src : 0;
}

uint64_t script_engine_due(const struct script_engine *e)
{
    return e ? e->due_us : UINT64_MAX;
}

bool script_engine_run(struct script_engine *e, uint64_t now_us)
{
    if (!e)
        return false;
    bool ran = now_us >= e->due_us;
    if (ran) {
        e->now_us = now_us;
        e->due_us = UINT64_MAX;
        for (uint32_t i = 0; i < e->max_rooms; i++)
            if (e->rooms[i])
                script_api_due(e->rooms[i], now_us);
    }
    return relay_script_settle(e->r, now_us) || ran;
}

void script_engine_close(struct script_engine *e)
{
    if (!e)
        return;
    relay_set_script(e->r, NULL);
    for (uint32_t i = 0; i < e->max_rooms; i++)
        script_vm_free(e->rooms[i]);
    free(e->rooms);
    sources_free(e->src, e->n_src);
    free(e);
}
