/* script_internal.h: what the engine's files share, each calling only those
 * below it: script.c (the folder, the engine) over script_hooks.c (the
 * hooks the core calls, a room's script started and ended) over
 * script_api.c (the room object, timers, the tick) over script_vm.c (a
 * room's Lua state within its limits, calls and their faults) over
 * script_sandbox.c (the libraries), script_bounded.c (the library
 * functions whose work no count hook sees, done in pieces within the
 * call's budget), script_share.c (the scripts' time, the relay's, each
 * room's and their hold on the loop, and the bounds on it) and script_watch.c
 * (the watchdog: a call past its time stopped at its next instruction).
 * Private to relay/script/. */
#ifndef RICOCHET_SCRIPT_INTERNAL_H
#define RICOCHET_SCRIPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
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

/* Why the call in hand is being stopped: its budget or its time, its
 * memory cap, or (a call that slipped in while the scripts' hold on the
 * loop was past half full, script_share.c) the hold's brim: no fault of
 * its room's, its input not judged. */
enum vm_stop { VM_RUNS, VM_BUDGET, VM_MEMORY, VM_BRIM };

/* How a call is made (script_vm_call): within the budget in hand (a
 * room's start: its sandbox, chunk and on_room are one call's worth), or
 * with a budget of its own, only while the scripts' hold on the loop
 * leaves it at least SCRIPT_HOLD_LEAST_US, or (a hook judging input) also
 * past that if its room is light (script_share_busy). */
enum vm_how { VM_GO_ON, VM_FRESH, VM_INPUT };

/* What script_vm_call answers. */
enum vm_call { VM_CALLED = 0, VM_FAILED = -1, VM_HELD = -2 };

/* The scripts together hold the relay's loop at most this long at a
 * stretch (script_share.c's bucket). */
#define SCRIPT_HOLD_MS SCRIPT_CALL_MS

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
    uint64_t spent;               /* instructions of the call in hand (and library work) */
    uint64_t deadline_us;         /* ... and when it is stopped (CLOCK_MONOTONIC): its
                                     SCRIPT_CALL_MS, or the hold's brim if sooner */
    uint32_t allowed_ms;          /* ... that is, this long after it started */
    bool slipped;                 /* ... the hold's brim, the call slipped in past half */
    uint64_t last_spent;          /* the instructions its last call ran (a new room's:
                                     SCRIPT_HOLD_LIGHT, as if heavy) */
    uint64_t looked;              /* library work since the clock was last read */
    volatile sig_atomic_t hurried; /* the watchdog made its count hook look at once */
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
    uint64_t hold_us;             /* the scripts' hold on the loop: µs of calls, less
                                     the time without them since (script_share.c) */
    uint64_t hold_at_us;          /* ... as of then */
    struct script_leave *leaves;  /* on_leave calls put off while the hold is full */
    size_t n_leaves, cap_leaves;
};

/* An on_leave put off: the scripts' hold was full (script_hooks.c). */
struct script_leave {
    uint32_t room;
    struct relay_script_member m;
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

/* ---- script_bounded.c ---- */

/* string.rep and format (of the string library at index string_lib),
 * table.sort, concat, insert, remove and move (table_lib) replaced by
 * ones that count their work in the call's budget, in pieces. */
void script_bounded_open(lua_State *L, int string_lib, int table_lib);

/* ---- script_share.c ---- */

/* May vm's call be made now? Not (counted busy: the input it would judge
 * dropped, a timer or tick put off, a start refused) while the relay's
 * share (--script-share) of the last second is spent and vm past its fair
 * part of it (the share over the rooms whose scripts ran in that second),
 * or, for a room being started, while it is spent at all; nor while the
 * scripts' hold on the loop leaves less than SCRIPT_HOLD_LEAST_US, but for
 * how VM_INPUT of a light room (its last call ran fewer than
 * SCRIPT_HOLD_LIGHT instructions: counted, not timed, so that a busy
 * machine does not make it heavy), which slips in until the hold is
 * SCRIPT_HOLD_SLIP_CAP_US past its brim. */
#define SCRIPT_HOLD_LIGHT 10000
bool script_share_busy(struct room_vm *vm, enum vm_how how);

/* How long a call starting now may run before the scripts' hold on the
 * loop is full (µs, at most SCRIPT_HOLD_MS; past the brim, less than 0).
 * With less than SCRIPT_HOLD_LEAST_US left calls wait (every call made
 * otherwise has at least that long), but one that slips in, which has at
 * least SCRIPT_HOLD_SLIP_US (a light room's call is not cut at the brim);
 * none slips in once the hold is SCRIPT_HOLD_SLIP_CAP_US past its brim,
 * which it then passes by at most that, SCRIPT_HOLD_SLIP_US and a step. */
#define SCRIPT_HOLD_LEAST_US ((int64_t)SCRIPT_HOLD_MS * 1000 / 2)
#define SCRIPT_HOLD_SLIP_US 5000
#define SCRIPT_HOLD_SLIP_CAP_US 10000
int64_t script_share_hold_left(struct script_engine *e);

/* When calls may start again, on the relay's clock (e->now_us: now, or
 * as soon as the hold has drained to SCRIPT_HOLD_LEAST_US left). */
uint64_t script_share_hold_free(struct script_engine *e);

/* A call of vm's ran from t0 to t1 (clock_now_us): counted in the
 * scripts' time, the relay's and the room's. */
void script_share_took(struct room_vm *vm, uint64_t t0, uint64_t t1);

/* ---- script_vm.c ---- */

/* A new Lua state for vm: its allocator (vm->cap) and its count hook, vm
 * in its extra space; no library yet. NULL out of memory. */
lua_State *script_vm_state(struct room_vm *vm);

/* lua_pcall of the function below nargs arguments on vm's stack, within
 * the budget (fresh: a budget of its own; else the one in hand goes on),
 * watched: Lua's status, its error on top. What script_vm_call and the
 * scripts' check call. */
int script_vm_pcall(struct room_vm *vm, int nargs, int nres, bool fresh);

/* Library work of the call in hand, units instructions' worth (a library
 * function counts SCRIPT_WORK_BYTES bytes it reads or writes as one):
 * counted in its budget, and the call stopped (a Lua error: never
 * returns) once past it or its time, as the count hook stops it. The
 * clock is read once every SCRIPT_WORK_LOOK units. */
#define SCRIPT_WORK_BYTES 64
#define SCRIPT_WORK_LOOK 4096
void script_vm_work(lua_State *L, uint64_t units);

/* The watchdog (script_watch.c), one a process: begun with the engine or
 * the check; a call in hand still running SCRIPT_WATCH_SLACK_MS past its
 * deadline is made to stop at its next instruction. */
#define SCRIPT_WATCH_SLACK_MS 2
void script_watch_start(void);
/* vm's call begins (its deadline set) or ends (NULL). */
void script_watch_call(struct room_vm *vm);
/* The hook the watchdog makes Lua call at vm's next instruction. */
void script_watch_hook(lua_Hook hook);

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
 * budget (how: enum vm_how); nres results left on success. Returns
 * VM_CALLED; VM_FAILED (an error, script_vm_error's; or skipped, its
 * room's share spent: counted); or VM_HELD (not called, the scripts'
 * hold on the loop full; or slipped in and stopped at its brim: not
 * judged, counted busy), the stack as before the function. */
int script_vm_call(struct room_vm *vm, int nargs, int nres, const char *what,
                   enum vm_how how);

/* The one place a script's fault goes (an error, a stop past its budget,
 * its time or its memory, a bad answer): counted (errors, and budget or
 * memory), logged (file and line, a few lines a second in all), the
 * room's members told (an event from the room, relay_script_tell), and
 * after SCRIPT_ERRORS_OFF of them the room's script switched off. */
void script_vm_error(struct room_vm *vm, const char *what, const char *msg);

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
 * made, on_room called, all within one call's budget. NULL out of memory;
 * a chunk that fails leaves it without a state (counted); *held: not
 * started, the scripts short of time (the caller frees it). */
struct room_vm *script_vm_new(struct script_engine *e, uint32_t slot, const char *room,
                              const struct script_source *src, uint64_t now_us, bool *held);

/* Calls the on_leave put off, while the scripts' hold allows. */
void script_hooks_leaves(struct script_engine *e);
void script_vm_free(struct room_vm *vm);

/* The table script_engine_open installs. */
void script_hooks_ops(struct script_engine *e, struct relay_script_ops *ops);


#endif
