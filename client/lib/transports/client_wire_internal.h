/* client_wire_internal.h: ENet's wire spoken by a client without an
 * ENetHost (client_wire.c's: its reliable commands, early ones held,
 * fragments joined) and the wire hub whose socket carries many of them
 * (client_wire_hub.c's). Private to client/lib/. */
#ifndef RICOCHET_CLIENT_WIRE_INTERNAL_H
#define RICOCHET_CLIENT_WIRE_INTERNAL_H

#include "client_hub_io_internal.h"
#include "client/lib/client_internal.h"
#include "proto/enet/enet_wire.h"

/* ---- ENet's wire from a wire hub (client_wire.c; client_wire_hub.c, the
 * socket, takes what the clients gathered and hands them what came) ---- */

#define CLIENT_WIRE_MTU 1400        /* ENet's default, proposed in the CONNECT */
#define WIRE_BODY_MAX (CLIENT_WIRE_MTU - 4) /* a datagram's commands, after its header */
#define WIRE_PEND_DATAGRAMS 4       /* gathered per client between the hub's flushes */
#define WIRE_UNACKED_MAX 256        /* reliable commands on their way, per client */
#define WIRE_HELD_MAX 64            /* reliable commands come early, held per client */

enum wire_state { WIRE_CONNECTING, WIRE_CONNECTED, WIRE_GONE };

/* A reliable command on its way: resent until acknowledged. */
struct wire_unacked {
    uint8_t channel;
    uint16_t seq;
    uint16_t len;
    uint64_t first_us, sent_us;
    uint8_t *bytes;
};

/* A reliable command that came before its turn, its bytes its own. */
struct wire_held {
    uint8_t channel;
    uint16_t seq;
    struct enet_wire_command command; /* data: bytes */
    uint8_t *bytes;
};

struct client_wire {
    struct client_wire_hub *hub;
    size_t slot;                  /* my peer id for the relay */
    enum wire_state state;
    uint32_t connect_id;
    uint16_t relay_peer;          /* the relay's slot for me (ENET_WIRE_NO_PEER: none yet) */
    uint8_t session;              /* the session bits my headers carry */
    uint16_t peer_seq;            /* my reliable sequence on channel 0xFF */
    uint16_t out_reliable[PROTO_CHANNEL_COUNT], out_unreliable[PROTO_CHANNEL_COUNT];
    uint16_t unsequenced_group;
    uint16_t in_reliable[PROTO_CHANNEL_COUNT]; /* the last delivered, per channel */
    struct wire_unacked unacked[WIRE_UNACKED_MAX];
    size_t n_unacked;
    struct wire_pend {            /* a datagram's commands, gathered (no header yet) */
        uint8_t bytes[WIRE_BODY_MAX];
        size_t len;
        unsigned commands;
        bool time;                /* one of them wants an acknowledgement */
    } pend[WIRE_PEND_DATAGRAMS];
    unsigned n_pend;              /* begun; the last takes more */
    bool dirty;                   /* in the hub's list of clients with commands */
    struct wire_held held[WIRE_HELD_MAX];
    size_t n_held;
    uint8_t *frag;                /* a reliable message being reassembled (NULL: none) */
    uint32_t frag_total, frag_got, frag_count, frag_next;
    uint8_t frag_channel;
    uint64_t last_recv_us, last_ping_us;
    uint32_t rtt_us, rtt_var_us;  /* 0: none measured yet */
    uint32_t ping_interval_ms;
    struct client_batch batch;
};

/* A leaving client's datagram, sent by the hub's next flush. */
struct wire_parting {
    union netaddr to;
    size_t len;
    uint8_t *bytes;
};

struct wire_hub_io;                /* the hub's recvmmsg and sendmmsg (client_wire_hub.c) */

struct client_wire_hub {
    int fd;
    size_t cap;
    struct ricochet **slot;        /* cap: each peer id's client (NULL: free) */
    size_t *dirty;                 /* slots with commands gathered */
    size_t n_dirty;
    struct wire_parting *parting;  /* goodbyes of clients gone since the last flush */
    size_t n_parting, cap_parting;
    struct client_hub_counts n;   /* client_hub_io.c's */
    struct wire_hub_io *io;
    bool gso;                      /* the kernel segments a run of datagrams (UDP_SEGMENT) */
};

/* Where a client's datagrams go: a header (h, hn) and its commands. */
typedef void (*client_wire_put_fn)(void *ctx, const union netaddr *to, const uint8_t *h,
                                   size_t hn, const uint8_t *body, size_t n);

/* Hands c's gathered datagrams, each under its header (sent at now_us), to
 * put; empties them. */
void client_wire_take(struct ricochet *c, uint64_t now_us, client_wire_put_fn put, void *ctx);

/* Holds an early reliable command w (numbered seq) of t's. Returns 0 if it
 * is held (now or already: acknowledge it), -1 if there is no room or it
 * is too far ahead (drop it unacknowledged: the relay resends it). */
int client_wire_hold(struct client_wire *t, const struct enet_wire_command *w, uint16_t seq);

/* The held command numbered seq on channel, if any: true with it in *w
 * and its bytes (the caller's to free) in *bytes. */
bool client_wire_unhold(struct client_wire *t, uint8_t channel, uint16_t seq,
                        struct enet_wire_command *w, uint8_t **bytes);

void client_wire_held_clear(struct client_wire *t); /* frees what is held */

/* A fragment of a reliable message, in its turn: the message once whole
 * (its length in *len; the bytes are t->frag, the caller frees them),
 * else NULL. A fragment out of place is counted and dropped. */
const uint8_t *client_wire_fragment(struct ricochet *c, const struct enet_wire_command *w,
                                    size_t *len);

/* One datagram (d, len) from c's relay: its commands in order, every event
 * they make to fn (with c's cfg.user), then c's end if it died. */
void client_wire_datagram(struct ricochet *c, const uint8_t *d, size_t len, uint64_t now,
                          client_hub_fn fn, void *ctx);

#endif
