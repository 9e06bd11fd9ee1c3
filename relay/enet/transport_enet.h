/* transport_enet.h: what the files of the relay's ENet edge share. Not an
 * API: the program uses relay_enet_ops (transport.h). Each file owns a part
 * of struct relay_enet and writes only its own (it reads the rest):
 *   transport_enet.c         the host, its events and the loop's operations
 *   transport_enet_send.c    what the core sends (struct relay_transport)
 *   transport_enet_guards.c  what ENet may keep for a peer: half-open
 *                            handshakes, commands held out of order, the
 *                            backlog of a slow reader (struct enet_guards)
 *   transport_enet_batch.c   the batch lanes: a flush's states to a member
 *                            that takes batches (struct enet_lanes)
 *   transport_enet_acks.c    acknowledgements held back to ride with the
 *                            tick (struct enet_held_acks)
 *   transport_enet_proof.c   return routability: what a peer may get before
 *                            it echoed a cookie (struct enet_proofs)
 * A file calls only those below it in this list, never one above. */
#ifndef RICOCHET_TRANSPORT_ENET_H
#define RICOCHET_TRANSPORT_ENET_H

#include <arpa/inet.h>
#include <enet/enet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "relay/core/strangers.h"
#include "relay/transport.h"
#include "enet_internals.h"

/* ENet's lists of a peer are walked (O(the bound)) at most this often per
 * peer on the send and receive paths; in between, what we queue or it
 * sends is added to the last count, an upper bound. */
#define WALK_MS 10

/* ---- parts of struct relay_enet ---- */

/* What the relay keeps per peer slot to bound what ENet keeps for it. */
struct peer_guard {
    size_t out_packets;     /* queued to it (unsent or unacknowledged): at the last
                               walk plus what we queued since, an upper bound */
    size_t out_bytes;       /* the same in payload bytes */
    enet_uint32 out_walked; /* ENet ms of that walk */
    enet_uint32 held_since; /* ENet ms something was queued to it after nothing was */
    size_t held;            /* upper bound of the commands ENet holds from it */
    enet_uint32 held_walked;/* ENet ms held was last counted exactly */
};

/* The guards (transport_enet_guards.c). */
struct enet_guards {
    struct peer_guard *peer; /* per peer */
    enet_uint32 *opened;  /* per peer: ENet ms its handshake was first seen, 0 = none */
    size_t half_open_cap; /* handshakes in progress at once */
};

/* Acknowledgements held back (transport_enet_acks.c). */
struct enet_held_acks {
    struct relay_enet_acks *peer; /* per peer */
    uint32_t *peers;      /* the peers with some held, n_peers of them */
    size_t n_peers;
    uint64_t since_us;    /* when the first of those was held */
    uint32_t from;        /* the peer of the datagram read last, UINT32_MAX: none */
};

/* The states a flush sends a member whose join asked for batches travel
 * in batch packets (PROTOCOL.md, "Batches"), one per lane a peer: the
 * states channel, and the in-order channel's reliable and unsequenced
 * packets. A lane lists the states' own packets (each shared by all its
 * recipients) until the flush, then sends the one, or a batch of them
 * (transport_enet_batch.c). */
enum { BATCH_LANES = 3 };

struct enet_batch {
    uint32_t head, tail; /* its states: indices in enet_lanes.entries */
    uint16_t states;     /* 0: nothing open */
    uint16_t bytes;      /* the batch packet they would make */
};

struct batch_entry {
    uint32_t call;   /* its state: enet_lanes.calls' */
    uint32_t next;   /* the lane's next entry */
    uint32_t from;   /* the sender's peer handle */
};

/* One send_state call's state, for all its recipients until the flush:
 * its bytes (a copy in the lanes' arena, or the received packet's own) and
 * the packet made of them once a recipient needs one (a lone state, a peer
 * without batches), shared by all; NULL until then. A recipient that takes
 * batches needs none: its batch copies the bytes at the flush. */
struct batch_call {
    ENetPacket *pk;  /* one reference of ours until the flush, or NULL */
    uint32_t off;    /* the bytes at arena + off (when pk is not the received one) */
    uint16_t len;
    uint32_t flags;  /* the packet's, when it is made */
};

/* The batch lanes (transport_enet_batch.c). */
struct enet_lanes {
    struct enet_batch *lane;  /* per peer, BATCH_LANES each */
    uint32_t *peers;      /* the peers with a lane open since the flush, n_peers */
    bool *listed;         /* per peer: in peers */
    bool *batches;        /* per peer: its member takes its states in batches (the
                             core says so at its join: member) */
    size_t n_peers;
    struct batch_entry *entries; /* the lanes' states since the flush */
    size_t n_entries, cap_entries;
    struct batch_call *calls; /* the states handed over since the flush */
    size_t n_calls, cap_calls;
    uint8_t *arena;       /* their bytes */
    size_t arena_used, arena_cap;
};

/* A packet the lanes hand back to be queued: a lane closed. */
struct enet_lane_out {
    ENetPacket *pk;   /* one reference of the caller's, to let go of once queued */
    uint8_t channel;
    uint16_t states;  /* states in it */
};

/* Return routability (transport_enet_proof.c). */
struct enet_proof {
    uint8_t state;        /* how far its proof is (transport_enet_proof.c's enum) */
    uint8_t replies;      /* answers it got before its proof */
    bool closing;         /* the core closed it before its proof ... */
    uint8_t why;          /* ... with this code (enum proto_error_code) */
    enet_uint32 closing_at; /* ENet ms: then it goes, proof or not */
    char *held;           /* what the core said to it meanwhile (the first), or NULL */
    size_t held_len;
};

struct enet_proofs {
    uint8_t key[16];      /* the cookies' (cookies.h): random per relay start */
    struct enet_proof *of; /* per peer */
};

struct relay_enet {
    ENetHost *host;
    struct relay_net_config cfg;
    char addr[RELAY_ADDR_MAX];
    enet_uint32 *heard;   /* per peer: ENet ms when we last heard from it */
    enet_uint32 swept;    /* ENet ms of the last sweep */
    ENetPacket *current;  /* packet being handed to the core, reused to forward */
    bool queued;          /* something was queued since the last flush */
    uint64_t read_end_us; /* when a service last read the socket empty */
    struct relay *relay;  /* set while servicing, for counters */
    uint32_t base;        /* the core's handle of slot 0 (core's base) */
    uint64_t serviced_us; /* when service last ran: ENet's timers are due after it */
    struct strangers strangers; /* budgets of "we speak ENet" answers */
    unsigned reads;       /* datagrams the current enet_host_service call read */
    bool backlog;         /* the last service left datagrams unread */
    uint64_t socket_errors;   /* services ENet ended at a failed read, and datagrams
                                 the kernel refused to send */
    uint64_t refused_seen;    /* the socket's refused sends counted in socket_errors */
    uint64_t socket_warned_us; /* when that was last logged */
    struct enet_guards guards;
    struct enet_held_acks acks;
    struct enet_lanes lanes;
    struct enet_proofs proofs;
};

/* The core's handle of slot idx, and back. */
static inline uint32_t transport_enet_handle(const struct relay_enet *t, uint32_t idx)
{
    return t->base + idx;
}

static inline uint32_t transport_enet_slot(const struct relay_enet *t, uint32_t peer)
{
    return peer - t->base; /* a handle below base wraps: out of every range */
}

/* Counts a drop the transport saw (outside a service there is no core). */
static inline void transport_enet_count(struct relay_enet *t, enum relay_drop why)
{
    if (t->relay)
        relay_count_drop(t->relay, why);
}

/* Lets go of one reference to pk: ENet frees a packet it queued after its
 * last send, and deliver (transport_enet.c) the packet it is handing to
 * the core; the rest is ours to free. */
static inline void transport_enet_release(struct relay_enet *t, ENetPacket *pk)
{
    if (--pk->referenceCount == 0 && pk != t->current)
        enet_packet_destroy(pk);
}

/* ENet's address of a peer (IPv4: ENet 1.3 speaks nothing else) as the
 * rest of the relay takes one. */
static inline union netaddr transport_enet_address(const ENetAddress *e)
{
    union netaddr a;
    memset(&a, 0, sizeof a);
    a.v4.sin_family = AF_INET;
    a.v4.sin_port = htons(e->port);
    a.v4.sin_addr.s_addr = e->host; /* network order already */
    return a;
}

/* ---- transport_enet_send.c ---- */

/* The core's side of transport t (a struct relay_enet *): its sends, for
 * handles from base on. */
struct relay_transport transport_enet_core(void *t, uint32_t base);

/* Queues every open lane: before the flush. */
void transport_enet_close_lanes(struct relay_enet *t);

/* ---- transport_enet_guards.c ---- */

/* Allocates the per-peer guards for cfg; 0 or -1. guards_free frees them. */
int transport_enet_guards_init(struct relay_enet *t, const struct relay_net_config *cfg);
void transport_enet_guards_free(struct relay_enet *t);

/* A new connection in slot idx: its counts start from zero. */
void transport_enet_guards_reset(struct relay_enet *t, uint32_t idx);

/* For the CONNECT ENet is about to take: true to refuse it (half_open). */
bool transport_enet_half_open_refuse(struct relay_enet *t);

/* Forgets slot idx's handshake if older than 5 s (half_open); now: ENet ms. */
void transport_enet_sweep_half_open(struct relay_enet *t, struct relay *r, uint32_t idx,
                                    enet_uint32 now);

/* For a datagram with data_commands from peer id: true to refuse it
 * (held_commands), if ENet could then hold more than --max-held-commands. */
bool transport_enet_held_refuse(struct relay_enet *t, unsigned id, size_t data_commands);

/* Would queueing len more bytes to peer idx take it over a bound (its
 * unreliable states then go as slow_reader)? backlog_add counts what was
 * queued. */
bool transport_enet_backlog_full(struct relay_enet *t, uint32_t idx, size_t len);
void transport_enet_backlog_add(struct relay_enet *t, uint32_t idx, size_t len);

/* The core's backlog of a peer (relay_transport's backlog): what ENet
 * holds queued to it, unsent or unacknowledged, and when it was last
 * heard from. */
void transport_enet_backlog(void *ctx, uint32_t handle, struct relay_backlog *out);

/* ---- transport_enet_batch.c ---- */

/* Allocates the per-peer lanes; 0 or -1. batch_free frees them. */
int transport_enet_batch_init(struct relay_enet *t);
void transport_enet_batch_free(struct relay_enet *t);

/* A state handed over (len bytes, to be sent with ENet's flags): own, the
 * received packet whose bytes they are (a reference kept until the flush),
 * or NULL (they are copied). Returns its call, or UINT32_MAX if out of
 * memory. */
uint32_t transport_enet_call_new(struct relay_enet *t, const uint8_t *bytes, size_t len,
                                 uint32_t flags, ENetPacket *own);

/* The packet of call (made at the first need, then shared); NULL if out of
 * memory. The call keeps its reference: take one of your own to keep it. */
ENetPacket *transport_enet_call_packet(struct relay_enet *t, uint32_t call);

/* Peer idx's member takes its states in batches, or not (the core's
 * member callback, at its join and its end). */
void transport_enet_batch_member(struct relay_enet *t, uint32_t idx, bool batches);

/* Puts the state of call from peer `from` in peer idx's lane for channel
 * and flags. Lanes it closes first (holding the sender's earlier states, or
 * full) go into out, in the order to queue them; returns how many (at most
 * BATCH_LANES), and in *taken whether the state is in a lane: if not (the
 * peer takes no batches, or the state fits no batch), the caller queues
 * the call's packet, after out. */
size_t transport_enet_batch_add(struct relay_enet *t, uint32_t from, uint32_t idx,
                                uint8_t channel, uint32_t flags, uint32_t call,
                                struct enet_lane_out out[BATCH_LANES], bool *taken);

/* Closes peer idx's open lanes into out (one packet each, a lone state's
 * own or a batch), before anything else is queued to it (a control
 * message, a disconnect). Returns how many. A lane ENet could not get a
 * packet for (out of memory) is counted send_failed and left out. */
size_t transport_enet_batch_close(struct relay_enet *t, uint32_t idx,
                                  struct enet_lane_out out[BATCH_LANES]);

/* The peers with a lane open since batch_done, n of them into *peers. */
size_t transport_enet_batch_listed(const struct relay_enet *t, const uint32_t **peers);

/* Every lane closed: the lists and the calls (their packets let go of)
 * start again for the next flush. */
void transport_enet_batch_done(struct relay_enet *t);

/* Drops peer idx's open lanes, each state counted as `why`: its slot is
 * about to serve another connection, or it is closed as a slow reader. */
void transport_enet_batch_drop_peer(struct relay_enet *t, uint32_t idx, enum relay_drop why);

/* ---- transport_enet_acks.c ---- */

/* Allocates the per-peer holders; 0 or -1. acks_free frees them. */
int transport_enet_acks_init(struct relay_enet *t);
void transport_enet_acks_free(struct relay_enet *t);

/* The intercept saw a new datagram: the previous one's acknowledgements
 * are held back; from: this one's peer if its acknowledgements may be
 * held next (UINT32_MAX: not). */
void transport_enet_acks_hold(struct relay_enet *t);
void transport_enet_acks_from(struct relay_enet *t, uint32_t from);

/* Gives the held acknowledgements back at the end of a service: to a peer
 * with something queued at once, to the others when the next fan-out is
 * not due soon (next_fan_out_us; UINT64_MAX: none) or with all. Returns
 * true if any went back to ENet (a flush sends them). */
bool transport_enet_acks_return(struct relay_enet *t, uint64_t next_fan_out_us, bool all);

/* ---- transport_enet_proof.c ---- */

/* Allocates the per-peer proofs and draws the key; 0 or -1. proof_free
 * frees them. */
int transport_enet_proof_init(struct relay_enet *t);
void transport_enet_proof_free(struct relay_enet *t);

/* A new connection in slot idx, its CONNECT's data: unproven. */
void transport_enet_proof_connect(struct relay_enet *t, uint32_t idx, enet_uint32 data);

/* Has peer idx echoed a cookie (the core may say anything to it)? */
bool transport_enet_proven(const struct relay_enet *t, uint32_t idx);

/* Does pk, from peer idx on channel, go to the core? True once the peer
 * has shown it receives at its address (and pk is not the echo alone);
 * otherwise answers it (cookie; a client from before cookies: bad_version,
 * closed), counts it and returns false. */
bool transport_enet_proof_pass(struct relay_enet *t, uint32_t idx, uint8_t channel,
                               const ENetPacket *pk);

/* What the core says to, and how it closes, a peer that has not shown
 * its address yet: the first message is held, and goes whole (with the
 * close) once the peer shows it; the close without the message, as the
 * disconnect's code sent once, if it does not within 1 s, or at once if it
 * cannot (a client from before cookies). proof_sweep does that for slot
 * idx (now: ENet ms). */
void transport_enet_proof_hold(struct relay_enet *t, uint32_t idx, const char *json, size_t len);
void transport_enet_proof_close(struct relay_enet *t, uint32_t idx, enum proto_error_code why);
void transport_enet_proof_sweep(struct relay_enet *t, uint32_t idx, enet_uint32 now);

#endif
