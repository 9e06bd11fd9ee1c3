/* lobby_internal.h: lobby.c's calls, on the connections that watch the rooms
 * listed (a lobby that stays: PROTOCOL.md, "A lobby that stays"), each told of
 * a change with a fresh first page (its part of struct relay: lobby_state.h,
 * which core.h includes). Private to relay/core/: a core file includes it when
 * it calls lobby.c, and only then. */
#ifndef RICOCHET_CORE_LOBBY_INTERNAL_H
#define RICOCHET_CORE_LOBBY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lobby_state.h"

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
