/* ricochet_rooms.h: libricochet's rooms with properties, and the events
 * a room keeps for latecomers: a part of ricochet.h, which includes it
 * where its section stands (include <ricochet/ricochet.h>). The manual
 * page ricochet(3) renders it there. */
#ifndef RICOCHET_PUBLIC_ROOMS_H
#define RICOCHET_PUBLIC_ROOMS_H

#ifndef RICOCHET_H
#error "include <ricochet/ricochet.h>: ricochet_rooms.h is a part of it"
#endif

/* ---- rooms with properties ---- */

/* A room's property (PROTOCOL.md, "Rooms with properties"): a key of
 * 1..16 bytes of [A-Za-z0-9_.-] and a value of 0..64 bytes of printable
 * UTF-8. A room has at most RICOCHET_PROPS_MAX of them, 256 bytes of keys
 * and values together. */
#define RICOCHET_PROPS_MAX 8
struct ricochet_prop {
    char key[17];
    char value[65];
};

/* The join that makes its room sets it up: its props (one key at a time;
 * key NULL clears them), its size (1..the relay's room size; 0: the
 * relay's), whether it is listed, and whether it takes joiners (open false:
 * only its creator, until ricochet_set_room_open). A join to a room that
 * exists gets it as it is. With exists the room must exist already: else
 * DISCONNECTED, code no_such_room (a rejoin does not ask it). A join of
 * any room (ricochet_config_set_any_room) picks only rooms whose props
 * hold the match (one key at a time; key NULL clears), and a room it makes
 * gets the match as its props if none are set. RICOCHET_OK or
 * RICOCHET_E_INVALID (ricochet_config_error names the bound: "props: at
 * most 8 keys (k9 is the ninth)"). */
RICOCHET_API int ricochet_config_set_room_prop(struct ricochet_config *cfg, const char *key,
                                               const char *value);
RICOCHET_API int ricochet_config_set_room_match(struct ricochet_config *cfg, const char *key,
                                                const char *value);
RICOCHET_API int ricochet_config_set_room_size(struct ricochet_config *cfg, uint32_t size);
RICOCHET_API int ricochet_config_set_room_listed(struct ricochet_config *cfg, bool listed);
RICOCHET_API int ricochet_config_set_room_open(struct ricochet_config *cfg, bool open);
RICOCHET_API int ricochet_config_set_room_exists(struct ricochet_config *cfg, bool exists);

/* ricochet_list_rooms, listing only the rooms whose props hold the n pairs
 * of match (n 0: every room). A fleet's other relays list their rooms
 * with their props (a relay's past its 48 KB of props without).
 * RICOCHET_E_INVALID also for a match past the props' bounds. */
RICOCHET_API int ricochet_list_rooms_matching(struct ricochet *r, const char *prefix,
                                              const char *after,
                                              const struct ricochet_prop *match, size_t n);

/* The props of the last listing's room at index i (as ricochet_rooms lists
 * them) into out, at most cap of them; *open (may be NULL): it takes
 * joiners. Returns how many it has (0: none, or i past the listing). */
RICOCHET_API size_t ricochet_listed_props(const struct ricochet *r, size_t i,
                                          struct ricochet_prop *out, size_t cap, bool *open);

/* From my room's creator (the player whose join made it): open it to
 * joiners or close it, list it or not, replace its props (n pairs). No
 * answer; to another member the relay answers RICOCHET_EV_ERROR
 * not_creator. My later joins ask the room so (a rejoin to a restarted
 * relay makes it afresh as it is now). RICOCHET_OK, RICOCHET_E_NOT_JOINED, RICOCHET_E_INVALID
 * (props past their bounds) or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_set_room_open(struct ricochet *r, bool open);
RICOCHET_API int ricochet_set_room_listed(struct ricochet *r, bool listed);
RICOCHET_API int ricochet_set_room_props(struct ricochet *r, const struct ricochet_prop *props,
                                         size_t n);

/* A creator that leaves hands its room to the member longest in it, and
 * its RICOCHET_EV_LEFT says to whom: ricochet_left_creator, read after the
 * event, is that member's player id (ricochet_player's form), "" if the
 * last LEFT was not a creator's. ricochet_room_mine: since my welcome, the
 * last LEFT that named a creator named me, so the ricochet_set_room_*
 * calls are mine now (the LEFT of a creator that leaves reaches its heir
 * even in a room with interest; a room my own join made is mine too, but
 * no LEFT says so). */
RICOCHET_API const char *ricochet_left_creator(const struct ricochet *r);
RICOCHET_API bool ricochet_room_mine(const struct ricochet *r);

/* ---- a lobby that stays ---- */

/* A lobby (ricochet_config_set_lobby) that watches the relay's rooms
 * (PROTOCOL.md, "A lobby that stays"): watch true asks for the first page
 * of the rooms under prefix (NULL or "": all) whose props hold the n pairs
 * of match, as ricochet_list_rooms_matching, and for a fresh first page
 * whenever it changes (a room made or gone, its members, size, props or
 * open changed): each comes as RICOCHET_EV_ROOMS, ricochet_rooms's until
 * the next, at most one every 500 ms. While it watches the lobby has no
 * join timeout; the library pings to keep it (the relay closes a lobby
 * silent for its --lobby-idle-ms, 30 s: poll the session). A later
 * ricochet_list_rooms moves the watch to its prefix; watch false ends it
 * (the relay's --join-timeout-ms counts again from then), as
 * ricochet_join does. Asked while connecting: sent once connected. A relay
 * past its bound of lobbies (--max-lobbies, --max-lobbies-per-address)
 * ends the session server_full. RICOCHET_OK, RICOCHET_E_INVALID,
 * RICOCHET_E_UNSUPPORTED (not a lobby, or joined) or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_watch_rooms(struct ricochet *r, const char *prefix,
                                      const struct ricochet_prop *match, size_t n, bool watch);

/* Does the relay watch for this lobby: its last listing said so (a relay
 * older than the watch answers a page without, and closes the lobby at
 * its join timeout). */
RICOCHET_API bool ricochet_watching(const struct ricochet *r);

/* ---- kept events ---- */

#define RICOCHET_KEY_MAX 32     /* bytes of a kept event's key (ricochet_send_kept) */
#define RICOCHET_KEEP_STAY 1u   /* ricochet_send_kept: kept after I leave too */

/* Sends an event to the room that the relay keeps for who joins later
 * (PROTOCOL.md, "Kept events"): the newest per key (1..RICOCHET_KEY_MAX
 * bytes 0x21..0x7e), each replayed to a joiner after its WELCOME, in the
 * order kept, as RICOCHET_EV_EVENT with code "kept". len 0 clears the key;
 * key and data together at most RICOCHET_EVENT_MAX bytes. Kept until I
 * leave (flags RICOCHET_KEEP_STAY: while the room lives), never across a
 * relay's restart or a move. Past 16384 bytes a room the relay refuses it
 * (RICOCHET_EV_ERROR too_big). Returns as ricochet_send_event. */
RICOCHET_API int ricochet_send_kept(struct ricochet *r, const char *key, const void *data,
                                    size_t len, unsigned flags);

/* The key of the kept EVENT ricochet_poll returned last (live or
 * replayed), until the next poll; "" for any other. */
RICOCHET_API const char *ricochet_event_key(const struct ricochet *r);

#endif
