/* transport_enet.h: what the two files of the relay's ENet edge share
 * (transport_enet.c: the host, its events and the loop's operations;
 * transport_enet_send.c: what the core sends, and the bound on what ENet
 * queues to a slow reader). Not an API: the program uses relay_enet_ops
 * (transport.h). */
#ifndef RICOCHET_TRANSPORT_ENET_H
#define RICOCHET_TRANSPORT_ENET_H

#include <enet/enet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/strangers.h"
#include "../transport.h"

/* ENet's lists of a peer are walked (O(the bound)) at most this often per
 * peer on the send and receive paths; in between, what we queue or it
 * sends is added to the last count, an upper bound. */
#define WALK_MS 10

/* What the relay keeps per peer slot to bound what ENet keeps for it. */
struct peer_guard {
    size_t out_packets;     /* queued to it (unsent or unacknowledged): at the last
                               walk plus what we queued since, an upper bound */
    size_t out_bytes;       /* the same in payload bytes */
    enet_uint32 out_walked; /* ENet ms of that walk */
    enet_uint32 over_since; /* ENet ms since when its backlog is over a bound, 0 = not */
    size_t held;            /* upper bound of the commands ENet holds from it */
    enet_uint32 held_walked;/* ENet ms held was last counted exactly */
};

/* The states a flush sends a member whose join asked for batches travel
 * in batch packets (PROTOCOL.md, "Batches"), one per lane a peer: the
 * states channel, and the in-order channel's reliable and unsequenced
 * packets. A lane lists the states' own packets (each shared by all its
 * recipients) until the flush, then sends the one, or a batch of them
 * (transport_enet_batch.c). */
enum { BATCH_LANES = 3 };

struct enet_batch {
    uint32_t head, tail; /* its states: indices in relay_enet.entries */
    uint16_t states;     /* 0: nothing open */
    uint16_t bytes;      /* the batch packet they would make */
};

struct batch_entry {
    ENetPacket *pk;  /* one reference of ours, until its lane closes */
    uint32_t next;   /* the lane's next entry */
    uint32_t from;   /* the sender's peer handle */
};

struct relay_enet {
    ENetHost *host;
    struct relay_net_config cfg;
    char addr[RELAY_ADDR_MAX];
    enet_uint32 *heard;   /* per peer: ENet ms when we last heard from it */
    enet_uint32 *opened;  /* per peer: ENet ms its handshake was first seen, 0 = none */
    struct peer_guard *guard; /* per peer */
    size_t half_open_cap; /* handshakes in progress at once */
    enet_uint32 swept;    /* ENet ms of the last half-open sweep */
    ENetPacket *current;  /* packet being handed to the core, reused to forward */
    bool queued;          /* something was queued since the last flush */
    uint64_t read_end_us; /* when a service last read the socket empty */
    struct relay *relay;  /* set while servicing, for counters */
    struct strangers strangers; /* budgets of "we speak ENet" answers */
    unsigned reads;       /* datagrams the current enet_host_service call read */
    struct relay_enet_acks *acks; /* per peer: acknowledgements held back (transport_enet.c) */
    uint32_t *acks_peers; /* the peers with some held, n_acks_peers of them */
    size_t n_acks_peers;
    uint64_t acks_since_us; /* when the first of those was held */
    uint32_t ack_from;    /* the peer of the datagram read last, UINT32_MAX: none */
    bool backlog;         /* the last service left datagrams unread */
    struct enet_batch *batches; /* per peer, BATCH_LANES each */
    uint32_t *batch_peers; /* the peers with a lane open since the flush, n_batch_peers */
    bool *batch_listed;   /* per peer: in batch_peers */
    size_t n_batch_peers;
    struct batch_entry *entries; /* the lanes' states since the flush */
    size_t n_entries, cap_entries;
};

/* Counts a drop the transport saw (outside a service there is no core). */
void transport_enet_count(struct relay_enet *t, enum relay_drop why);

/* The core's side of transport t (a struct relay_enet *): its sends. */
struct relay_transport transport_enet_core(void *t);

/* Queues pk, which holds `states` states, to peer idx on channel, within
 * the slow-reader bound (transport_enet_send.c); counts what did not go. */
void transport_enet_queue_state(struct relay_enet *t, uint32_t idx, uint8_t channel,
                                ENetPacket *pk, size_t states);

/* Batches (transport_enet_batch.c). Allocates the per-peer lanes; 0 or -1. */
int transport_enet_batch_init(struct relay_enet *t);
void transport_enet_batch_free(struct relay_enet *t);
/* Puts the state packet pk from peer `from` (shared with other
 * recipients, or not) in peer idx's lane for channel and flags. Returns
 * false if the peer takes no batches or the state fits no batch: the
 * caller queues it as it is, behind what the peer's lanes held. */
bool transport_enet_batch_add(struct relay_enet *t, uint32_t from, uint32_t idx,
                              uint8_t channel, uint32_t flags, ENetPacket *pk);
/* Queues peer idx's open lanes to ENet, before anything else is queued to
 * it (a control message, a disconnect). */
void transport_enet_batch_close_peer(struct relay_enet *t, uint32_t idx);
/* Queues every open lane: before the flush. */
void transport_enet_batch_close_all(struct relay_enet *t);
/* Drops peer idx's open lanes, each state counted as `why`: its slot is
 * about to serve another connection, or it is closed as a slow reader. */
void transport_enet_batch_drop_peer(struct relay_enet *t, uint32_t idx, enum relay_drop why);

/* Closes peer idx if its backlog stayed over a bound for --slow-reader-ms
 * or reached twice a bound (slow_reader); now: ENet ms. */
void transport_enet_sweep_slow_reader(struct relay_enet *t, struct relay *r, uint32_t idx,
                                      enet_uint32 now);

#endif
