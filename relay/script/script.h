/* script.h: room scripts, the game's rules on the relay (docs/scripts.md):
 * an operator's Lua 5.4 scripts from one folder, each room running the one
 * it names (its prop `script`) or the relay's default, in a sandbox of its
 * own: no files, processes, modules or bytecode, memory bounded per room,
 * instructions bounded per call. What ricochet-relay's loop calls; the
 * core meets the engine only through relay/core/script_port.h. */
#ifndef RICOCHET_SCRIPT_H
#define RICOCHET_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct relay;
struct script_engine;

#define SCRIPT_NAME_MAX 32        /* a script's name: 1.. of A-Z a-z 0-9 _ - */
#define SCRIPT_ERRORS_OFF 10      /* errors of one room's script before it is switched off */
#define SCRIPT_TICK_MIN_MS 10     /* room:tick_every's and room:after's shortest */
#define SCRIPT_TIMERS_MAX 64      /* timers a room's script has waiting at once */
#define SCRIPT_CALL_MS 50         /* a call running this long is stopped, as past its budget */
#define SCRIPT_ROOM_BUDGETS 10    /* budgets a room's calls may run in a second; past them
                                     its calls are skipped until the next */
#define SCRIPT_PINS_MAX 16        /* --script-room's, at most */

/* What a room does when its script is switched off (--script-failed). */
enum script_failed {
    SCRIPT_FAILED_CLOSE = 0, /* it goes on closed: no joiner, none of its members' events,
                                states or inputs passes */
    SCRIPT_FAILED_END        /* it ends: every member closed with error kicked */
};

/* What the operator chose (ricochet-relay --script-*). */
struct script_settings {
    char dir[256];                /* --script-dir: NAME.lua files ("": no scripts) */
    char default_name[SCRIPT_NAME_MAX + 1]; /* --script-default: every room's ("": none) */
    uint32_t memory_kb;           /* --script-memory-kb: a room's Lua memory, at most */
    uint64_t budget;              /* --script-budget: instructions a call may run */
    uint32_t share;               /* --script-share: percent of the relay's time all
                                     rooms' scripts may take (100, 0: no bound) */
    char pins[SCRIPT_PINS_MAX * (32 + SCRIPT_NAME_MAX + 2)]; /* --script-room's "PREFIX=NAME"s,
                                     one space between: the rooms whose names start with
                                     PREFIX run NAME, whatever their props say */
    int failed;                   /* --script-failed: enum script_failed */
};

/* Reads and checks every script of s->dir (each compiled and run once in a
 * sandbox of its own), then installs the engine into r (relay_set_script).
 * Returns 0, or -1 with one line in
 * err naming the file and line ("scripts/gates.lua:12: '=' expected near
 * 'x'"), nothing installed. */
int script_engine_open(struct script_engine **out, struct relay *r,
                       const struct script_settings *s, char *err, size_t cap);

/* Reads and checks every script of s->dir as script_engine_open does, for
 * no relay (ricochet-relay --check). Returns 0, or -1 with err. */
int script_check(const struct script_settings *s, char *err, size_t cap);

/* Reads the folder again (SIGHUP): rooms made from now on run the new
 * scripts, rooms alive go on with theirs. On a fault (err, one line) the
 * scripts before are kept. Returns 0 or -1. */
int script_engine_reload(struct script_engine *e, char *err, size_t cap);

/* When the engine next has work (a timer, a room's tick, a kick asked
 * for), on the relay's clock; UINT64_MAX: none. */
uint64_t script_engine_due(const struct script_engine *e);

/* Runs what is due by now_us: timers, ticks, then the kicks scripts asked
 * for. Call it every turn of the loop (cheap when nothing is due). Returns
 * whether it ran anything (then something may wait to be flushed). NULL:
 * nothing. */
bool script_engine_run(struct script_engine *e, uint64_t now_us);

/* How many scripts are loaded. */
size_t script_engine_scripts(const struct script_engine *e);

/* Uninstalls the engine and frees every room's script. NULL: nothing. */
void script_engine_close(struct script_engine *e);

#endif
