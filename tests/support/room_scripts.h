/* room_scripts.h: room scripts (relay/script) in the relay's unit tests:
 * a folder of scripts made for a test, the engine on a fake relay
 * (fake_relay.h), joins that name a script, events and states in, and the
 * events the core sent out read back. */
#ifndef RICOCHET_TEST_ROOM_SCRIPTS_H
#define RICOCHET_TEST_ROOM_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/script/script.h"

#define SCRIPTS_DIR_MAX 64

/* A fresh folder for scripts (mkdtemp) into dir. */
void scripts_dir_new(char dir[SCRIPTS_DIR_MAX]);

/* Writes text as dir/name.lua. */
void scripts_put(const char *dir, const char *name, const char *text);

/* Removes dir and every file in it. */
void scripts_dir_free(const char *dir);

struct spawn_proc;

/* ricochet-relay (from $RICOCHET_BIN) with dir's scripts, for abuse tests:
 * no kicks, no bound per address, errors only in its log. Returns its
 * port (> 0), asserted. */
int scripts_relay_start(struct spawn_proc *relay, const char *dir);

/* The engine on r for dir's scripts (def: every room's, "" none), with
 * memory_kb and budget (0: the options' defaults, 1024 and 1000000), the
 * share's default (50);
 * asserted to start. */
struct script_engine *scripts_engine(struct relay *r, const char *dir, const char *def,
                                     uint32_t memory_kb, uint64_t budget);

/* The engine on r for dir's scripts (no default), with budget and
 * --script-share share (percent); asserted to start. */
struct script_engine *scripts_engine_share(struct relay *r, const char *dir, uint64_t budget,
                                           uint32_t share);

/* The engine on r for dir's scripts (no default), with --script-room's
 * pins ("PREFIX=NAME ...") and --script-failed's failed (enum
 * script_failed); asserted to start. */
struct script_engine *scripts_engine_pinned(struct relay *r, const char *dir, const char *pins,
                                            int failed);

/* The engine's open, its one-line error into err: 0 or -1. */
int scripts_engine_try(struct relay *r, const char *dir, const char *def, char *err,
                       size_t cap);

/* What a room's script does to spend its whole call in one class of
 * library function or instruction (kind: "repetition", "sorting",
 * "concatenation", "formatting", "patterns", "utf8", "comparison"), with
 * the worst arguments the default memory cap (1 MiB) holds: Lua statements
 * for a hook's body, on_room's or a chunk's. fails: the call fails (its
 * budget, its time, its memory cap, or a function the sandbox has not);
 * else it ends well, at once. */
struct room_scripts_heavy {
    const char *kind, *name, *body;
    bool fails;
};
extern const struct room_scripts_heavy room_scripts_heavy[];
extern const size_t room_scripts_n_heavy;

/* peer joins room as name, the room's prop script = script (NULL: none). */
int join_script(struct relay *r, uint32_t peer, const char *room, const char *name,
                const char *script);

/* peer sends an event of body (a string) to member `to` (0: the room). */
int send_event(struct relay *r, uint32_t peer, uint32_t to, const char *body);

/* peer sends a state at x, y (seq its sequence number). */
int send_state_xy(struct relay *r, uint32_t peer, uint32_t seq, float x, float y);

/* Events sent to peer since fake_clear, and the last of them (decoded into
 * *e, its body as a string into body, cap bytes); false: none. */
size_t events_to(uint32_t peer);
bool last_event(uint32_t peer, struct proto_event *e, char *body, size_t cap);

/* The last state sent to peer (decoded); false: none. */
bool last_state(uint32_t peer, struct proto_state *s);

#endif
