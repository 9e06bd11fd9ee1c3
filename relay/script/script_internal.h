/* script_internal.h: what the engine's files share, each calling only those
 * below it: script.c (the folder, the engine) over script_hooks.c (the
 * hooks the core calls, a room's script started and ended) over
 * script_api.c (the room object, timers, the tick) over script_vm.c (a
 * room's Lua state within its limits, calls and their faults) over
 * script_sandbox.c (the libraries) and script_share.c (the scripts' time,
 * the relay's and each room's, and the bound on it). Private to
 * relay/script/. */
#ifndef RICOCHET_SCRIPT_INTERNAL_H
#define RICOCHET_SCRIPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lua.h>

#include "proto/control.h"
#include "script.h"
#include "relay/core/relay.h" /* struct relay_script_counts */
#include "relay/core/script_port.h"

#define SCRIPT_FILE_MAX (256 * 1024) /* a script's source, bytes */
#define SCRIPTS_MAX 64               /* scripts in the folder */
#define SCRIPT_LOG_RATE 5u           /* error lines a second, in all */
#define SCRIPT_LOG_BURST 10u         /* ... and at once */
#define SCRIPT_PATH_MAX 320 /* "@", --script-dir (255), "/", NAME.lua */

/* A script as read from the folder. */
struct script_source {
    char name[SCRIPT_NAME_MAX + 1];
    char path[SCRIPT_PATH_MAX];   /* the chunk's name: "@" and its path */
    char *text;
    size_t len;
};

enum vm_stop { VM_RUNS, VM_BUDGET, VM_MEMORY };

/* The field names of a member's and a state's tables, made once a room
 * (script_api_room) and kept in its registry (room_vm.keys_ref, at these
 * indices): a hook's tables are filled by them, no C string looked up a
 * state. */
enum script_key {
    SCRIPT_KEY_ID = 1, SCRIPT_KEY_NAME, SCRIPT_KEY_PLAYER, SCRIPT_KEY_X, SCRIPT_KEY_Y,
    SCRIPT_KEY_VX, SCRIPT_KEY_VY, SCRIPT_KEY_HEADING, SCRIPT_KEY_SEQ, SCRIPT_KEY_T,
    SCRIPT_KEYS
};

/* Time spent by scripts over the last second, in SCRIPT_SHARE_SLICES
 * slices (script_share.c): at, the newest slice's number (µs / its
 * length); us, each slice's µs; sum, theirs. */
#define SCRIPT_SHARE_SLICES 10
#define SCRIPT_SHARE_SLICE_US 100000u
struct script_ring {
    uint64_t at;
    uint32_t us[SCRIPT_SHARE_SLICES];
    uint64_t sum;
};

struct script_timer {
    uint64_t due_us;
    int ref;                      /* the function, in the registry */
};

/* A room's script: its own Lua state. */
struct room_vm {
    struct script_engine *eng;
    lua_State *L;                 /* NULL: the room runs no script (none, or off) */
    uint32_t slot;
    char room[PROTO_ROOM_MAX + 1];
    char script[SCRIPT_NAME_MAX + 1];
    char file[SCRIPT_PATH_MAX];   /* for messages: its path */
    int room_ref;                 /* the room object, in the registry */
    int keys_ref;                 /* the field names (enum script_key), in the registry */
    size_t used, cap;             /* Lua's memory: bytes held, at most */
    uint64_t spent;               /* instructions of the call in hand */
    uint64_t deadline_us;         /* ... and when it has run SCRIPT_CALL_MS (CLOCK_MONOTONIC) */
    uint64_t share_from_us;       /* the second its share counts (the relay's clock) */
    uint64_t share_spent;         /* ... and the instructions its calls ran in it */
    struct script_ring took;      /* µs its calls ran over the last second (script_share.c) */
    bool starting;                /* its start (sandbox, chunk, on_room): never put off */
    enum vm_stop stop;            /* why the call in hand is being stopped */
    bool in_call;                 /* no hook runs within another */
    bool off;                     /* switched off: hooks absent from now on */
    uint32_t errors;
    uint64_t tick_us, next_tick_us; /* room:tick_every (0: none) */
    struct script_timer timers[SCRIPT_TIMERS_MAX];
    uint32_t n_timers;
};

/* A room name prefix whose rooms run one script (--script-room). */
struct script_pin {
    char prefix[PROTO_ROOM_MAX + 1];
    char name[SCRIPT_NAME_MAX + 1];
};

struct script_engine {
    struct relay *r;
    struct script_settings set;
    struct script_pin pins[SCRIPT_PINS_MAX]; /* set.pins, read (script.c) */
    size_t n_pins;
    struct script_source *src;    /* n_src, in name order */
    size_t n_src;
    struct room_vm **rooms;       /* max_rooms slots: NULL, no room or not started;
                                     &none, a room that runs no script */
    struct room_vm none;          /* its state NULL: every hook absent */
    uint32_t max_rooms;
    struct relay_script_counts *counts;
    uint64_t now_us;              /* the newest time a call was given */
    uint64_t due_us;              /* the earliest timer or tick (UINT64_MAX: none) */
    uint64_t log_tokens, log_us;  /* error lines: a bucket, millionths of a line */
    uint64_t log_suppressed;
    struct script_ring took;      /* µs every room's calls ran over the last second */
    uint32_t rooms_ran;           /* rooms whose calls ran in it (counted each slice) */
};

/* The script called name, or NULL. */
static inline const struct script_source *script_find(const struct script_engine *e,
                                                      const char *name)
{
    for (size_t i = 0; i < e->n_src; i++)
        if (strcmp(e->src[i].name, name) == 0)
            return &e->src[i];
    return NULL;
}

/* Finds the vm of L (its extra space). */
static inline struct room_vm *script_vm_of(lua_State *L)
{
    return *(struct room_vm **)lua_getextraspace(L);
}

/* ---- script_sandbox.c ---- */

/* Opens the sandbox's libraries in L (a lua_CFunction: called protected,
 * so that running out of memory there is an error, not an abort). */
int script_sandbox_open(lua_State *L);

/* ---- script_share.c ---- */

/* Is the relay's share (--script-share) of the last second spent by
 * scripts, and vm past its fair part of it (the share over the rooms
 * whose scripts ran in that second)? Then its call is not to be made
 * (counted busy): the input it would judge dropped, a timer or tick put
 * off. A room being started never is. */
bool script_share_busy(struct room_vm *vm);

/* A call of vm's ran from t0 to t1 (clock_now_us): counted in the
 * scripts' time, the relay's and the room's. */
void script_share_took(struct room_vm *vm, uint64_t t0, uint64_t t1);

/* ---- script_vm.c ---- */

/* A new Lua state for vm: its allocator (vm->cap) and its count hook, vm
 * in its extra space; no library yet. NULL out of memory. */
lua_State *script_vm_state(struct room_vm *vm);

/* Starts a call's budget (instructions and time) in vm. */
void script_vm_budget(struct room_vm *vm);

/* Closes vm's state (nothing of the script runs at the close). */
void script_vm_close(struct room_vm *vm);

/* Has vm spent its share of the second (SCRIPT_ROOM_BUDGETS budgets)? Its calls
 * are skipped until the next (counted skipped). */
bool script_vm_spent(struct room_vm *vm);

/* Is a hook of vm, about to judge input, not to be called: its room's own
 * budgets of this second spent (counted skipped) or the relay's share
 * (script_share_busy)? The input it would judge is then dropped, never
 * passed unjudged. A room being started never is. */
bool script_vm_held(struct room_vm *vm);

/* Pushes global function name of vm (true), or nothing (false: none, or
 * the script is off or in a call already). */
bool script_vm_hook(struct room_vm *vm, const char *name);

/* Calls the function below nargs arguments on vm's stack, within the
 * budget; nres results left on success. Returns 0, or -1 (an error:
 * counted, logged; or skipped, its room's share spent: counted), the
 * stack as before the function. */
int script_vm_call(struct room_vm *vm, int nargs, int nres, const char *what);

/* A script fault outside a Lua error (a bad return): counted and logged
 * as one. */
void script_vm_fault(struct room_vm *vm, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The engine's next due time, min with t. */
void script_due_at(struct script_engine *e, uint64_t t);

/* ---- script_api.c ---- */

/* Makes the room object (the `room` every hook gets) and leaves it in the
 * registry (vm->room_ref). */
void script_api_room(struct room_vm *vm);

/* Pushes vm's field names (a table, SCRIPT_KEYS - 1 strings); returns its
 * index on the stack. */
int script_api_keys(struct room_vm *vm);

/* Sets field k of the table on top to v, by the names at index keys. */
static inline void script_api_set_num(lua_State *L, int keys, enum script_key k, double v)
{
    lua_rawgeti(L, keys, k);
    lua_pushnumber(L, v);
    lua_rawset(L, -3);
}

static inline void script_api_set_int(lua_State *L, int keys, enum script_key k,
                                      lua_Integer v)
{
    lua_rawgeti(L, keys, k);
    lua_pushinteger(L, v);
    lua_rawset(L, -3);
}

/* Pushes a member as a table {id, name, player} (with its last state: x,
 * y, vx, vy, heading, seq, t: its send time, µs of its own clock). */
void script_api_member(lua_State *L, const struct relay_script_member *m, bool state);

/* Runs vm's due timers and tick at now_us. */
void script_api_due(struct room_vm *vm, uint64_t now_us);

/* ---- script_hooks.c ---- */

/* A room's state for script src: sandboxed, the chunk run, the room object
 * made, on_room called. NULL out of memory; a chunk that fails leaves it
 * without a state (counted). */
struct room_vm *script_vm_new(struct script_engine *e, uint32_t slot, const char *room,
                              const struct script_source *src, uint64_t now_us);
void script_vm_free(struct room_vm *vm);

/* The table script_engine_open installs. */
void script_hooks_ops(struct script_engine *e, struct relay_script_ops *ops);

#endif
