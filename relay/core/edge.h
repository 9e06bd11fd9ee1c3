/* edge.h: the edge contract. What an edge (a transport: ENet, plain UDP, a
 * stream, WebRTC, QUIC, a test's fake) is to the core, and every call it
 * makes into the core, in the order of ENet's events: a peer connects, a
 * datagram arrives, a peer goes; then what it counts or closes itself, what
 * it may ask, and an offer's ticket. The core answers through the
 * callbacks of struct relay_transport, from inside these calls, only with
 * handles of the edge's own range (relay_edge_base). The program's side
 * (the config, the counters, the tick, the rooms) is relay.h's. */
#ifndef RICOCHET_RELAY_EDGE_H
#define RICOCHET_RELAY_EDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/errors.h"
#include "proto/mode.h"
#include "drops.h"
#include "sys/netaddr.h"

#define RELAY_ADDR_MAX 64 /* "ip:port" text of a peer, NUL included */

/* Largest datagram a transport without fragmentation (plain UDP) sends, its
 * relay_transport.message_max: far below any path MTU's fragmentation
 * trouble and the 65507-byte UDP limit. A welcome that would be longer is
 * split (see relay_on_datagram). */
#define RELAY_DATAGRAM_MAX 1200

#define RELAY_EDGE_NAME_MAX 16 /* an edge's name ("enet", "udp:7790"), NUL included */
#define RELAY_EDGE_COUNTERS 32 /* an edge's own counters (relay_edge_counters), at most */

/* What an edge holds for one of its peers and the network has not yet
 * taken: the one measure the core's slow-reader policy reads, whatever
 * the edge (relay_transport's backlog; docs/design.md, "Backpressure"). */
struct relay_backlog {
    uint64_t bytes;    /* held, in the edge's own terms: framed and not written (a
                          stream), queued or sent and not acknowledged (ENet, QUIC,
                          SCTP) */
    uint64_t moved_us; /* when the network last took some of it (a stream's kernel
                          took bytes; a peer that acknowledges was heard from), on
                          the now_us clock; any time while nothing is held */
};

/* How a member's states go down, handed to its edge at its join (member). */
struct relay_member_way {
    bool batches;         /* its join asked for its states in batches (PROTOCOL.md,
                             "Batches"): the edge packs them where it can */
    enum proto_mode mode; /* the mode it joined in (its edge's, where the edge carries
                             one): QUIC gives a stream per sender for streams */
};

/* An edge (a transport) as the core sees it: how many handles it needs,
 * what it can carry (data, so the core never asks which transport it runs
 * on) and callbacks. The core calls them from inside its own calls
 * (relay_on_datagram, relay_tick, ...), only with handles of the edge's
 * own range; bytes passed in are only valid during the call.
 *
 * Zero copy, and when it is not. send_state's bytes are one of three:
 *   - without a tick (cfg.tick_us 0) and unsealed: the very buffer the
 *     sender's edge gave relay_on_datagram, the sender id stamped in place,
 *     in that call (bytes and len equal to its own). An edge may tell its
 *     own buffer by that pointer and length and forward what it received
 *     as it is: ENet queues the received packet itself to every recipient
 *     (another edge's buffer it copies, as any other bytes);
 *   - with a tick: a copy the core made when the state arrived and holds
 *     until the tick ends, sent from a later call (relay_tick; or a full
 *     queue, a leaver, a shutdown, a room moved, maybe while another
 *     datagram is in hand). Never the transport's buffer: ENet makes one
 *     new packet of it for all n recipients;
 *   - in sealed sessions (cfg.encrypt): the state sealed for its one
 *     recipient (n = 1), in a buffer of the core's.
 * A transport that keeps bytes past the call copies them (plain UDP: once
 * for all recipients) or holds a reference to its own buffer. */
struct relay_transport {
    void *ctx;
    const char *name;   /* "enet", "udp": the label of its counters (struct
                           relay_edge_stats), at most RELAY_EDGE_NAME_MAX - 1 bytes */
    uint32_t peers;     /* handles it needs, [base, base + peers) (relay_edge_base);
                           0: cfg.peer_cap */
    size_t message_max; /* longest message it sends in one datagram, bytes; 0 = any
                           (it fragments). A longer welcome is split. */
    bool forgeable;     /* anyone can send as a peer (no handshake binds a source
                           address): a repeated join is answered at most every
                           250 ms, 8 times a membership */
    uint32_t modes;     /* bit (1u << mode) per enum proto_mode it carries; with one
                           bit, every member gets that mode whatever its join asks */
    bool count_at_join; /* its peers count against max_clients from their join, not
                           their connection: it bounds those that have not joined
                           itself (a stream edge: --max-half-open), so they keep no
                           member of another edge out */
    bool secure;        /* it encrypts and authenticates every byte itself (DTLS,
                           TLS): with cfg.encrypt its members are not sealed again,
                           a sealed ticket's join taken in clear (docs/design.md,
                           "Browsers") */
    const char *const *counters; /* the names of its own counters, NULL-terminated
                           (RELAY_EDGE_COUNTERS at most; NULL: none): its part of the
                           stats record, set by relay_edge_counters */
    /* Sends one control JSON message (len bytes, no NUL needed) to peer,
     * reliably where the transport can (ENet channel 0). */
    void (*send_control)(void *ctx, uint32_t peer, const char *json, size_t len);
    /* Sends one stamped state from peer `from` (a handle of any edge) to
     * the n peers in `peers` (all of this edge) on channel with flags
     * (PROTO_FLAG_*: the sender's mode's way down, proto/mode.c; an edge
     * without channels ignores them); bytes: see "Zero copy" above. A
     * transport that regroups states keeps each sender's in order to each
     * recipient. */
    void (*send_state)(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                       uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len);
    /* Closes peer after what is already queued to it (the error telling it
     * why; why is that error's code, which ENet also sends as the disconnect
     * data). The core has already forgotten it: a later relay_peer_gone()
     * for it is ignored. */
    void (*disconnect)(void *ctx, uint32_t peer, enum proto_error_code why);
    /* What the edge holds for peer now, into *out (cheap: the core asks
     * before each reliable message and every sweep). Never calls the core.
     * NULL: the edge holds nothing past a flush (plain UDP). */
    void (*backlog)(void *ctx, uint32_t peer, struct relay_backlog *out);
    /* peer became a member of a room, its states going down as way says,
     * or stopped being one (way NULL: it left, was kicked or went): what
     * an edge keeps to shape its sends, so that it never asks the core in
     * the middle of one. Called before any message of its membership is
     * sent, and as it ends. Never calls the core. NULL: the edge needs none. */
    void (*member)(void *ctx, uint32_t peer, const struct relay_member_way *way);
};

struct relay;

/* ---- a peer connects ---- */

/* A transport peer appeared (a handshake completed, or a verified join
 * from a new address). addr is its address (NULL: none known), from which
 * the core computes its source key once (source_key.h) and its text for
 * logs. Returns 0, or -1 if refused
 * (peer out of range: nothing sent; server full, or after relay_shutdown:
 * error server_full or shutting_down sent and disconnect called).
 * A handle the core still holds as connected means the transport missed a
 * gone: the old session ends first (left quit to its room) and the new
 * peer is taken, because the transport's slot is the truth (ENet hands a
 * slot out again only once it is free). */
int relay_peer_connect(struct relay *r, uint32_t peer, const union netaddr *addr,
                       uint64_t now_us);

/* ---- a datagram arrives ---- */

/* A flag relay_on_datagram takes beside the PROTO_FLAG_* a datagram arrived
 * with: the transport could read only the first len bytes of a longer one
 * (a datagram socket's MSG_TRUNC); the real length is unknown. */
#define RELAY_IN_TRUNCATED 0x80000000u

/* The one entry point for network bytes: a datagram of len bytes from peer
 * on channel (PROTO_CHANNEL_* or PROTO_CHANNEL_DATAGRAM) with the flags it
 * arrived with. Validates, counts, answers, forwards. A state's bytes are
 * stamped in place (its sender id) and, without a tick, handed back to
 * send_state (struct relay_transport, "Zero copy"). Returns 0 if
 * accepted, or -1 - enum relay_drop if dropped. Never crashes on any input.
 * With RELAY_IN_TRUNCATED it is counted like a datagram of len bytes (rate
 * limit, bytes_in), then dropped as too_big ("more than len bytes") with a
 * strike.
 * A repeated join for the member's own room is answered with the same
 * welcome; over a forgeable transport at most once per 250 ms, more are
 * ignored. A welcome longer than the transport's message_max lists the
 * first roster members that fit and is followed by one joined notice per
 * member left out. */
int relay_on_datagram(struct relay *r, uint32_t peer, uint8_t channel,
                      uint32_t flags, uint8_t *bytes, size_t len,
                      uint64_t now_us);

/* A transport that reads in batches says, before each, what it knows of
 * when the datagrams it hands over next arrived: after after_us (its
 * previous read ended then) and by by_us (when the kernel received the
 * batch's last datagram). A held state counts as arrived at after_us for
 * its tick (not at now_us, which may be after the tick's end), so a late
 * read never pushes a state into the next tick; and as arrived at by_us
 * for its age, so a state that waited in the socket while the relay was
 * behind is shed as stale (cfg.stale_us) rather than forwarded late, and
 * no state is taken for older than it is. Everything else (pongs' clock,
 * rate limits) keeps now_us. A 0, or a time after now_us, means now_us. */
void relay_arrived(struct relay *r, uint64_t after_us, uint64_t by_us);

/* ---- a peer goes ---- */

/* A peer is gone (disconnected, silent too long, or not a member after its
 * datagram). reason is
 * PROTO_LEFT_QUIT or PROTO_LEFT_TIMEOUT; members of its room get a left
 * notice. Ignored for a peer the core does not know. */
void relay_peer_gone(struct relay *r, uint32_t peer,
                     enum proto_left_reason reason, uint64_t now_us);

/* ---- what the edge counts or closes itself ---- */

/* Counts a rejection seen by the transport (per_address, send_failed, ...). */
void relay_count_drop(struct relay *r, enum relay_drop why);

/* A stream edge replaced n states pending to peer by newer ones of the
 * same senders (its send buffer was full): counted as its edge's
 * conflated. */
void relay_count_conflated(struct relay *r, uint32_t peer, uint64_t n);

/* An edge's own counters as they stand (what it refused before the core
 * saw anything: offers, checks, handshakes, channels): values[0..n) in the
 * order of its relay_transport.counters, for the edge of handle (any of
 * its own, its base included), into its part of the stats record. */
void relay_edge_counters(struct relay *r, uint32_t handle, const uint64_t *values, size_t n);

/* The transport saw peer send a message of len bytes that it will never
 * deliver (over its own reassembly limit max). Counts
 * too_big and answers error too_big (a strike, like any too_big; in a
 * sealed session neither: anyone may have sent it). With
 * fatal (the message sits on a reliable channel, which can never move past
 * it) the peer is closed instead: error too_big, left kicked to its room,
 * disconnect. Ignored for a peer the core does not hold as connected. */
void relay_peer_too_big(struct relay *r, uint32_t peer, uint64_t len, uint64_t max,
                        bool fatal, uint64_t now_us);

/* The transport closes peer for a reason of its own: error `code` with
 * `text` to it (forced past its error budget), left kicked to its room, a
 * kick counted, disconnect (with code). Ignored for a peer the core does
 * not hold as connected. */
void relay_peer_evict(struct relay *r, uint32_t peer, enum proto_error_code code,
                      const char *text, uint64_t now_us);

/* ---- what it may ask ---- */

/* Is peer connected / a member of a room? Its relay id (0 if not joined). */
bool relay_peer_connected(const struct relay *r, uint32_t peer);
bool relay_peer_joined(const struct relay *r, uint32_t peer);
uint32_t relay_peer_id(const struct relay *r, uint32_t peer);
/* Does peer's join wait for a fleet's directory (parked)? A transport
 * keeps such a peer as it keeps a member: the answer is its. */
bool relay_peer_parked(const struct relay *r, uint32_t peer);
/* Does peer watch the rooms (a lobby that stays)? A transport keeps such a
 * peer as it keeps a member: --max-lobbies bounds them, not its budget of
 * connections that have not joined. */
bool relay_peer_watching(const struct relay *r, uint32_t peer);
/* Is peer's ticketed join waiting for its proof (a sealed session's first
 * sealed join)? A transport keeps such a peer though it is no member yet
 * (the join timeout bounds it). */
bool relay_peer_proving(const struct relay *r, uint32_t peer);
/* When peer's room next fans out its held states, after now_us (cfg.tick_us
 * > 0, a room without a world's tick); 0 when its states go out as they
 * come, or peer is no member. An edge that acknowledges what it receives
 * (QUIC) holds the acknowledgement until then, to ride with that fan-out. */
uint64_t relay_peer_tick_due(const struct relay *r, uint32_t peer, uint64_t now_us);
/* The members of handle's edge now (any handle of it, its base included). */
uint32_t relay_edge_members(const struct relay *r, uint32_t handle);
/* When the earliest held state is due; UINT64_MAX if none is held. */
uint64_t relay_tick_due(const struct relay *r);
/* The tick states are held for (cfg.tick_us; 0: none). */
uint32_t relay_tick_us(const struct relay *r);

/* ---- an offer's ticket (an edge whose sessions begin with an offer) ---- */

/* An edge whose sessions begin with an offer (webrtc) asks before it keeps
 * any state for one: with tickets (cfg.n_ticket_keys), pass (NULL or "":
 * none came) must open under the relay's keys, be valid at the wall clock
 * (relay_set_unix_time), name this relay (its fleet or an endpoint), be
 * one its sessions can carry (a sealed one needs cfg.encrypt) and be held
 * by no live session (ticket_replayed, *holder set to the handle that
 * holds it: a member's, or another offer's session, relay_ticket_claim).
 * Nothing is claimed or counted. Returns PROTO_ERROR_NONE (always, without
 * tickets) or the ticket_* code, with a one-line reason in why; *holder
 * (if not NULL) is UINT32_MAX but for ticket_replayed. */
enum proto_error_code relay_ticket_precheck(struct relay *r, const char *pass, uint64_t now_us,
                                            uint32_t *holder, char *why, size_t cap);

/* The session an offer opened, handle (not yet a peer), holds pass (which
 * relay_ticket_precheck took just before): no other offer or join may use
 * it while it lives. The peer it becomes keeps it, and its join with that
 * pass is its own; the pass is free again when that peer goes, or when
 * the edge lets go of a session that never became one (relay_ticket_unclaim).
 * Nothing without tickets. */
void relay_ticket_claim(struct relay *r, const char *pass, uint32_t handle);

/* The session at handle ended before it was a peer: the pass it claimed
 * is free again. Ignored for a connected peer (the core lets go of its
 * own) and a handle that claims none. */
void relay_ticket_unclaim(struct relay *r, uint32_t handle);

#endif
