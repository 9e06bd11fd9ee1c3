/* script_vm.c: a room's Lua state within its limits (see script.h): an
 * allocator that refuses past --script-memory-kb (and keeps small blocks
 * for the next: a hook's tables), a count hook that stops a call past
 * --script-budget instructions or SCRIPT_CALL_MS, calls made within them,
 * and their faults: counted, logged with file and line (a few lines a
 * second in all), SCRIPT_ERRORS_OFF of them and the room's script is off. */
#include "script_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "sys/clock.h"
#include "sys/log.h"

#define HOOK_EVERY 100           /* instructions between two looks at the budget: an
                                    instruction may copy a string of the whole cap */

/* ---- small blocks: kept for the next, not freed --------------------------- */

/* A hook's call makes and drops a few small blocks (its member's and its
 * state's tables, their strings): malloc and free each, a state a room
 * at a time, cost more than the call. Blocks of up to POOL_BLOCK_MAX
 * bytes freed by any room's state go on a list of their size class (16
 * bytes apart), at most POOL_HOLD_MAX bytes in all, and are handed out
 * again; a thread's list is freed when its last state is closed. */
#define POOL_GRAIN 16
#define POOL_BLOCK_MAX 512
#define POOL_CLASSES (POOL_BLOCK_MAX / POOL_GRAIN)
#define POOL_HOLD_MAX (1024 * 1024)

struct pool_block { struct pool_block *next; };

static _Thread_local struct {
    struct pool_block *free[POOL_CLASSES];
    size_t held;                  /* bytes on the lists */
    size_t states;                /* Lua states open: at 0, the lists are freed */
} pool;

static size_t pool_class(size_t n) { return (n + POOL_GRAIN - 1) / POOL_GRAIN - 1; }

static void *pool_get(size_t n)
{
    if (n > POOL_BLOCK_MAX)
        return malloc(n);
    size_t c = pool_class(n);
    struct pool_block *b = pool.free[c];
    if (!b)
        return malloc((c + 1) * POOL_GRAIN);
    pool.free[c] = b->next;
    pool.held -= (c + 1) * POOL_GRAIN;
    return b;
}

static void pool_put(void *p, size_t n)
{
    if (!p)
        return;
    if (n > POOL_BLOCK_MAX || pool.held + POOL_BLOCK_MAX > POOL_HOLD_MAX) {
        free(p);
        return;
    }
    size_t c = pool_class(n);
    struct pool_block *b = p;
    b->next = pool.free[c];
    pool.free[c] = b;
    pool.held += (c + 1) * POOL_GRAIN;
}

static void pool_drain(void)
{
    for (size_t c = 0; c < POOL_CLASSES; c++)
        while (pool.free[c]) {
            struct pool_block *b = pool.free[c];
            pool.free[c] = b->next;
            free(b);
        }
    pool.held = 0;
}

/* Block p of old bytes (0: none) resized to n (> 0): within its size
 * class, itself; else a new one, p's bytes copied, p let go. NULL: out of
 * memory, p as it was (a shrink: p, at least n bytes, a block of n from
 * then on). */
static void *pool_resize(void *p, size_t old, size_t n)
{
    if (p && old > POOL_BLOCK_MAX && n > POOL_BLOCK_MAX)
        return realloc(p, n);
    if (p && old <= POOL_BLOCK_MAX && n <= POOL_BLOCK_MAX && pool_class(old) == pool_class(n))
        return p;
    void *q = pool_get(n);
    if (!q)
        return p && n < old ? p : NULL; /* Lua takes a shrink never to fail: p is large enough */
    if (p) {
        memcpy(q, p, old < n ? old : n);
        pool_put(p, old);
    }
    return q;
}

/* ---- limits: memory, instructions ---------------------------------------- */

static void *vm_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct room_vm *vm = ud;
    size_t old = ptr ? osize : 0; /* without ptr, osize is a kind, not a size */
    if (nsize == 0) {
        pool_put(ptr, old);
        vm->used -= old;
        return NULL;
    }
    /* Only within a call: what the relay pushes for a hook (the room, a
     * member, an event, at most a few KiB, garbage by the next call) is
     * made outside any, where a refusal would make Lua abort the relay. */
    if (nsize > old && vm->in_call && vm->used - old + nsize > vm->cap)
        return NULL; /* Lua raises "not enough memory" (after a collection) */
    void *p = pool_resize(ptr, old, nsize);
    if (p)
        vm->used = vm->used - old + nsize;
    return p;
}

/* The budget, in instructions and in time: an instruction's cost is not
 * bounded (a concatenation copies up to the memory cap, a comparison of
 * two long strings of zero bytes walks them a zero at a time), so a call
 * is also stopped once it has run SCRIPT_CALL_MS, or what was left of its
 * turn's time when it started if less (vm->deadline_us). Raises the stop:
 * never returns. ar: the count hook's record, for file and line (NULL:
 * the level that called the library function in hand). */
static int stop(lua_State *L, struct room_vm *vm, bool late, lua_Debug *ar)
{
    /* every look from now stops it again; one that slipped in, stopped at the
     * hold's brim before its own time, is not at fault */
    vm->stop = late && vm->slipped && vm->spent <= vm->eng->set.budget ? VM_BRIM : VM_BUDGET;
    char at[LUA_IDSIZE + 24] = "";
    if (ar && lua_getinfo(L, "Sl", ar))
        snprintf(at, sizeof at, "%s:%d: ", ar->short_src, ar->currentline);
    else if (!ar) {
        luaL_where(L, 1);
        snprintf(at, sizeof at, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (late && vm->spent <= vm->eng->set.budget)
        lua_pushfstring(L, "%sstopped: past %d ms%s", at, (int)vm->allowed_ms,
                        vm->allowed_ms < SCRIPT_CALL_MS ? " (what the scripts' hold on the "
                                                          "loop had left)" : "");
    else
        lua_pushfstring(L, "%sstopped: past its budget of %I instructions", at,
                        (lua_Integer)vm->eng->set.budget);
    return lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    struct room_vm *vm = script_vm_of(L);
    if (vm->hurried) { /* the watchdog's look: at every instruction no more */
        vm->hurried = 0;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    } else {
        vm->spent += HOOK_EVERY;
    }
    bool late = clock_now_us() > vm->deadline_us;
    if (vm->spent <= vm->eng->set.budget && !late && vm->stop == VM_RUNS)
        return;
    stop(L, vm, late || vm->stop == VM_BRIM, ar);
}

void script_vm_work(lua_State *L, uint64_t units)
{
    struct room_vm *vm = script_vm_of(L);
    vm->spent += units;
    vm->looked += units;
    bool late = false;
    if (vm->looked >= SCRIPT_WORK_LOOK) {
        vm->looked = 0;
        late = clock_now_us() > vm->deadline_us;
    }
    if (vm->spent > vm->eng->set.budget || late || vm->stop != VM_RUNS)
        stop(L, vm, late || vm->stop == VM_BRIM, NULL);
}

/* Starts a call's budget; returns the time it starts. Its deadline: its
 * own SCRIPT_CALL_MS, or sooner the brim of the scripts' hold on the loop. */
static uint64_t budget_start(struct room_vm *vm)
{
    uint64_t now = clock_now_us(), own = SCRIPT_CALL_MS * 1000ull;
    int64_t hold = script_share_hold_left(vm->eng);
    vm->spent = 0;
    vm->looked = 0;
    vm->stop = VM_RUNS;
    vm->slipped = hold < SCRIPT_HOLD_LEAST_US;
    /* one that slipped in has enough for a light room's call */
    uint64_t left = hold < SCRIPT_HOLD_SLIP_US ? SCRIPT_HOLD_SLIP_US : (uint64_t)hold;
    vm->deadline_us = now + (left < own ? left : own);
    vm->allowed_ms = (uint32_t)((left < own ? left : own) / 1000);
    if (vm->hurried) {
        vm->hurried = 0;
        lua_sethook(vm->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    }
    script_watch_call(vm);
    return now;
}

/* ---- calls and their faults ---------------------------------------------- */

/* One error line, within the engine's bucket (SCRIPT_LOG_RATE a second). */
static void say(struct script_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct script_engine *e, const char *fmt, ...)
{
    uint64_t now = e->now_us, most = SCRIPT_LOG_BURST * 1000000ull;
    uint64_t add = (now - e->log_us) * SCRIPT_LOG_RATE; /* millionths of a line */
    e->log_us = now;
    e->log_tokens = e->log_tokens + add > most ? most : e->log_tokens + add;
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

void script_vm_error(struct room_vm *vm, const char *what, const char *msg)
{
    struct script_engine *e = vm->eng;
    e->counts->errors++;
    if (vm->stop == VM_BUDGET)
        e->counts->budget++;
    else if (vm->stop == VM_MEMORY)
        e->counts->memory++;
    vm->errors++;
    const char *cap = vm->stop == VM_MEMORY ? " (its memory cap)" : "";
    say(e, "script: room '%s': %s: %s%s", vm->room, what, msg, cap);
    char told[PROTO_TEXT_MAX + 1];
    snprintf(told, sizeof told, "the room's script failed in %s: %s%s", what, msg, cap);
    if (e->r)
        relay_script_tell(e->r, vm->slot, told);
    if (vm->errors >= SCRIPT_ERRORS_OFF && !vm->off) { /* off: the room fails closed */
        vm->off = true;
        e->counts->off++;
        bool end = e->set.failed == SCRIPT_FAILED_END;
        log_warn("script: room '%s': %s switched off after %u errors: the room %s", vm->room,
                 vm->file, (unsigned)vm->errors,
                 end ? "ends" : "is closed, passing nothing of its members");
        snprintf(told, sizeof told, "the room's script failed %u times: the room %s",
                 (unsigned)vm->errors,
                 end ? "ends" : "is closed and passes nothing of its members");
        if (e->r)
            relay_script_failed(e->r, vm->slot, end, told);
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
    script_vm_error(vm, what, msg);
}

bool script_vm_hook(struct room_vm *vm, const char *name)
{
    if (!vm || !vm->L || vm->off || vm->in_call)
        return false;
    lua_State *L = vm->L; /* raw: no code of the script's runs outside a call */
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushstring(L, name);
    int t = lua_rawget(L, -2);
    lua_remove(L, -2);
    if (t == LUA_TFUNCTION)
        return true;
    lua_pop(L, 1);
    return false;
}

bool script_vm_spent(struct room_vm *vm)
{
    uint64_t now = vm->eng->now_us;
    if (now - vm->share_from_us >= 1000000u || now < vm->share_from_us) {
        vm->share_from_us = now; /* a new second */
        vm->share_spent = 0;
    }
    return vm->share_spent >= SCRIPT_ROOM_BUDGETS * vm->eng->set.budget;
}

bool script_vm_held(struct room_vm *vm)
{
    if (!vm->starting && script_vm_spent(vm)) { /* its own budgets of this second */
        vm->eng->counts->skipped++;
        return true;
    }
    return script_share_busy(vm, VM_INPUT);
}

int script_vm_call(struct room_vm *vm, int nargs, int nres, const char *what,
                   enum vm_how how)
{
    lua_State *L = vm->L;
    if (script_vm_spent(vm) && !vm->starting) { /* as if no hook: its room had its share */
        vm->eng->counts->skipped++;
        lua_pop(L, nargs + 1);
        return VM_FAILED;
    }
    if (how != VM_GO_ON && script_share_hold_left(vm->eng) <
                               (how == VM_INPUT ? -SCRIPT_HOLD_SLIP_CAP_US
                                                : SCRIPT_HOLD_LEAST_US)) { /* later */
        vm->eng->counts->busy++;
        lua_pop(L, nargs + 1);
        return VM_HELD;
    }
    uint64_t t0 = clock_now_us(), from = how == VM_GO_ON ? vm->spent : 0;
    vm->eng->counts->calls++;
    int status = script_vm_pcall(vm, nargs, nres, how != VM_GO_ON);
    script_share_took(vm, t0, clock_now_us());
    vm->share_spent += vm->spent - from;
    vm->last_spent = vm->spent;
    if (status == LUA_OK) {
        vm->stop = VM_RUNS;
        return VM_CALLED;
    }
    if (vm->stop == VM_BRIM) { /* slipped in and stopped at the hold's brim: not judged */
        lua_pop(L, 1);
        vm->eng->counts->busy++;
        vm->stop = VM_RUNS;
        return VM_HELD;
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
    script_vm_error(vm, what, text);
    vm->stop = VM_RUNS;
    return VM_FAILED;
}

void script_due_at(struct script_engine *e, uint64_t t)
{
    if (t < e->due_us)
        e->due_us = t;
}


lua_State *script_vm_state(struct room_vm *vm)
{
    script_watch_start();
    pool.states++;
    lua_State *L = lua_newstate(vm_alloc, vm);
    if (!L) {
        if (--pool.states == 0)
            pool_drain();
        return NULL;
    }
    *(struct room_vm **)lua_getextraspace(L) = vm;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    script_watch_hook(count_hook);
    /* generational: a hook's member and state tables die young, and a
     * young collection walks them alone, not the libraries each time */
    lua_gc(L, LUA_GCGEN, 0, 0);
    return L;
}

int script_vm_pcall(struct room_vm *vm, int nargs, int nres, bool fresh)
{
    if (fresh)
        budget_start(vm);
    else
        script_watch_call(vm);
    vm->in_call = true;
    int status = lua_pcall(vm->L, nargs, nres, 0);
    vm->in_call = false;
    script_watch_call(NULL);
    return status;
}

void script_vm_close(struct room_vm *vm)
{
    if (!vm->L)
        return;
    vm->stop = VM_BUDGET; /* nothing may run at the close */
    lua_close(vm->L);
    vm->L = NULL;
    if (--pool.states == 0)
        pool_drain();
}
