/* lobby_internal.h: lobby.c's part of struct relay and its calls: the connections that
 * watch the rooms listed (a lobby that stays: PROTOCOL.md, "A lobby that stays"), each told
 * of a change with a fresh first page. Private to relay/core/: core.h includes it,
 * composing struct relay of its parts, and only lobby.c writes them. */
#ifndef RICOCHET_CORE_LOBBY_INTERNAL_H
#define RICOCHET_CORE_LOBBY_INTERNAL_H

/* BY_LOBBY_C marks what lobby.c alone writes: const in every other
 * file in the writers check (sys/writer.h; lobby.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_LOBBY_C
#define BY_LOBBY_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/props.h"

#define LOBBY_PUSH_US 500000u  /* a watcher is sent a page at most this often */
#define LOBBY_LOOK_US 200000u  /* ... and its page looked at this often for a change */
#define LOBBY_ASKS 8           /* a fleet: pages asked of its directory at once, at most
                                  (its asks wait beside the joins parked for it) */

/* A connection watching the rooms under a prefix. A slot is its peer's
 * while that peer's relay_peer.lobby names it back: a teardown (which
 * zeroes the peer) or a join (core_lobby_end) frees it, the former found
 * at the next sweep. */
struct core_watcher {
    bool used;
    uint32_t peer;
    uint64_t source;           /* its peer's source_key (what the per-address bound counts) */
    char prefix[PROTO_ROOM_MAX + 1];
    struct proto_props match;  /* its request's (n 0: any room) */
    uint64_t heard_us;         /* its last ping or rooms request */
    uint64_t pushed_us;        /* its last page (the answer or a push) */
    uint64_t looked_us;        /* its page last looked at */
    uint64_t sent;             /* the fingerprint of the last page it was sent */
    uint32_t ask;              /* a fleet: its page asked of the directory, not answered
                                  yet (0: none) */
};

/* The watchers: only lobby.c writes them (core_lobby_alloc at the relay's
 * creation). */
struct core_lobby {
    BY_LOBBY_C struct core_watcher *at; /* cap of them */
    uint32_t cap;              /* the most a relay keeps: max_lobbies, at most peer_cap */
    uint32_t n;                /* slots used (some maybe a gone peer's, until the sweep) */
    uint32_t asking;           /* slots with an ask of the directory (at most LOBBY_ASKS) */
};

struct relay;

int core_lobby_alloc(struct relay *r);
void core_lobby_free(struct relay *r);

/* A rooms request (m) from peer: a watch begun (watch true: within the
 * relay's and its address's bounds, else server_full and closed), ended
 * (false) or kept alive (either, or none), then answered as any
 * (core_on_rooms). Returns 0 or the relay_on_datagram code. */
int core_lobby_on_rooms(struct relay *r, uint32_t peer, const struct proto_control *m,
                        size_t len, uint64_t now_us);

/* A ping from peer: a watcher's keepalive. */
void core_lobby_heard(struct relay *r, uint32_t peer, uint64_t now_us);

/* peer watches no more (it joined a room). */
void core_lobby_end(struct relay *r, uint32_t peer);

/* Every 100 ms: slots of gone peers freed, a watcher silent past
 * lobby_idle_ms closed (not_joined), and each other told of a change
 * (a fresh first page, at most every LOBBY_PUSH_US, within its byte
 * budget and its edge's backlog: else skipped, the next look sends). In
 * a fleet the page is asked of its directory, as a rooms request's is
 * (at most every LOBBY_PUSH_US, one ask a watcher at a time), and pushed
 * when it answers (core_lobby_push_out). */
void core_lobby_sweep(struct relay *r, uint64_t now_us);

/* The fleet's directory answered ask for peer: was it peer's watch's ask
 * (a push's)? It is answered then. */
bool core_lobby_asked(struct relay *r, uint32_t peer, uint32_t ask);

/* r->out, peer's first page as the directory answered it (with this
 * relay's rooms merged in): sent to every watcher of that page it changed
 * for, as a push is. */
void core_lobby_push_out(struct relay *r, uint32_t peer, uint64_t now_us);

/* r->out, the directory's answer to peer's rooms request: if peer watches,
 * said to be a watch's, and a first page (after nothing) what its pushes
 * compare with. */
void core_lobby_answered(struct relay *r, uint32_t peer, const char *after);

#endif
