/* script_args.h: the arguments of the directory's scripts
 * (fleet/scripts/NAME.lua), by name and in ARGV's order, a list per
 * script. fleet/directory.c builds each call's argv from it
 * (argv[FLEET_PLACE_ARG_room] = ...), and the build puts it before the
 * script as `local ARG` (FLEET_LUA_ARGS), so the script reads ARG.room,
 * never ARGV[2]. What each argument means is written at the top of its
 * script; tests/test_schema.c fails if those names or their order are not
 * this list's, or if the script reads a name the list lacks.
 *
 * X(S, name) for each; S is the script's tag (PLACE). Arguments past a
 * list (the rooms of a heartbeat, the members of a keep) follow it in
 * ARGV: the script reads them from ARGV[NARG + 1] on. A reply of several
 * fields is named the same way (FLEET_PLACE_REPLIES). */
#ifndef RICOCHET_FLEET_SCRIPT_ARGS_H
#define RICOCHET_FLEET_SCRIPT_ARGS_H

#define FLEET_PLACE_ARGS(X, S) \
    X(S, prefix) X(S, room) X(S, asker) X(S, ttl_ms) X(S, floor) X(S, suspect) \
    X(S, stale_ms) X(S, lost) X(S, out_ms) X(S, reporter) X(S, restore_ms)

/* then pairs of room and the claim value held */
#define FLEET_HEARTBEAT_ARGS(X, S) \
    X(S, prefix) X(S, addr) X(S, ttl_ms) X(S, instance) X(S, transport) X(S, capacity) \
    X(S, rooms) X(S, clients) X(S, draining) X(S, full) X(S, floor) X(S, stale_ms) \
    X(S, listing) X(S, most) X(S, shun_ms) X(S, keep_ms)

#define FLEET_RELEASE_ARGS(X, S) \
    X(S, prefix) X(S, room) X(S, value) X(S, addr) X(S, out_ms) X(S, ended)

#define FLEET_HANDOVER_ARGS(X, S) \
    X(S, prefix) X(S, room) X(S, value) X(S, addr) X(S, ttl_ms) X(S, floor) X(S, stale_ms)

/* then pairs of room and its entry */
#define FLEET_ROOMS_PUT_ARGS(X, S) \
    X(S, prefix) X(S, addr) X(S, instance)

/* then each pair of the match */
#define FLEET_LIST_ARGS(X, S) \
    X(S, prefix) X(S, room_prefix) X(S, after) X(S, match) X(S, page) X(S, walk) X(S, mode)

/* then the player ids of the room's members */
#define FLEET_KEEP_ARGS(X, S) \
    X(S, prefix) X(S, room) X(S, value) X(S, keep_ms) X(S, record) X(S, version) \
    X(S, restore)

/* What place returns, by name and in its reply's order: the script ends
 * `return REPLY{status = ..., claim = ...}` (FLEET_LUA_REPLY: a field not
 * given is ''), and fleet/directory.c reads element[FLEET_PLACE_REPLY_claim]. */
#define FLEET_PLACE_REPLIES(X, S) \
    X(S, status) X(S, claim) X(S, wait_ms) X(S, kept_out) X(S, record) X(S, version) \
    X(S, members) X(S, refused) X(S, why)

/* enum fleet_place_arg { FLEET_PLACE_ARG_prefix, ..., FLEET_PLACE_ARGC }:
 * the argument's index in argv (ARGV[index + 1]), and how many. */
#define FLEET_ARG_ENUM(S, name) FLEET_##S##_ARG_##name,
enum fleet_place_arg { FLEET_PLACE_ARGS(FLEET_ARG_ENUM, PLACE) FLEET_PLACE_ARGC };
enum fleet_heartbeat_arg { FLEET_HEARTBEAT_ARGS(FLEET_ARG_ENUM, HEARTBEAT) FLEET_HEARTBEAT_ARGC };
enum fleet_release_arg { FLEET_RELEASE_ARGS(FLEET_ARG_ENUM, RELEASE) FLEET_RELEASE_ARGC };
enum fleet_handover_arg { FLEET_HANDOVER_ARGS(FLEET_ARG_ENUM, HANDOVER) FLEET_HANDOVER_ARGC };
enum fleet_rooms_put_arg { FLEET_ROOMS_PUT_ARGS(FLEET_ARG_ENUM, ROOMS_PUT) FLEET_ROOMS_PUT_ARGC };
enum fleet_list_arg { FLEET_LIST_ARGS(FLEET_ARG_ENUM, LIST) FLEET_LIST_ARGC };
enum fleet_keep_arg { FLEET_KEEP_ARGS(FLEET_ARG_ENUM, KEEP) FLEET_KEEP_ARGC };

/* enum fleet_place_reply { FLEET_PLACE_REPLY_status, ..., FLEET_PLACE_REPLYC }:
 * the field's index in the reply, and how many. */
#define FLEET_REPLY_ENUM(S, name) FLEET_##S##_REPLY_##name,
enum fleet_place_reply { FLEET_PLACE_REPLIES(FLEET_REPLY_ENUM, PLACE) FLEET_PLACE_REPLYC };

/* The names of a list as C strings: {"prefix", "room", ...}. */
#define FLEET_ARG_NAME(S, name) #name,

/* The Lua preamble of a script taking list (FLEET_LUA_ARGS(FLEET_PLACE_ARGS)):
 * ARG.name is ARGV[its place in the list]; NARG is how many the list has. */
#define FLEET_ARG_LUA(S, name) "'" #name "', "
#define FLEET_LUA_ARGS(list) \
    "local ARG, NARG = {}, 0\n" \
    "for i, k in ipairs({" list(FLEET_ARG_LUA, _) "}) do ARG[k], NARG = ARGV[i], i end\n"

/* The Lua preamble of a script whose reply is list (FLEET_LUA_REPLY(
 * FLEET_PLACE_REPLIES)): REPLY{name = value, ...} is the reply, each field
 * in the list's place as a string ('' when not given); a name the list
 * lacks is an error, so a misspelt field fails where it is written. */
#define FLEET_LUA_REPLY(list) \
    "local function REPLY(t)\n" \
    "  local r, at = {}, {}\n" \
    "  for i, k in ipairs({" list(FLEET_ARG_LUA, _) "}) do at[k] = i; r[i] = '' end\n" \
    "  for k, v in pairs(t) do\n" \
    "    if not at[k] then error('REPLY has no field ' .. tostring(k)) end\n" \
    "    r[at[k]] = tostring(v)\n" \
    "  end\n" \
    "  return r\n" \
    "end\n"

#endif
