/* transport_udp.h: what the files of the relay's plain-UDP edge share. The
 * program uses relay_udp_ops (transport.h); the relay_udp_ functions at the
 * end are public for tests. A file calls only those below it here:
 *   transport_udp.c            the socket, receiving, the loop's operations
 *   transport_udp_cookies.c    strangers: the cookie a join must echo, and
 *                              the answers no longer than what they sent
 *   transport_udp_send.c       what the core sends, batched (sendmmsg)
 *   transport_udp_endpoints.c  the table of endpoints: a slot per member */
#ifndef RICOCHET_TRANSPORT_UDP_H
#define RICOCHET_TRANSPORT_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/wire.h"
#include "sys/clock.h"
#include "sys/dgram.h"
#include "sys/netaddr.h"
#include "relay/core/strangers.h"
#include "relay/transport.h"

#define UDP_BATCH 64          /* datagrams per recvmmsg */
/* Datagrams queued before a flush, sent UIO_MAXIOV (1024) a sendmmsg call:
 * a world's late tick reaches every group of receivers in one pass, and a
 * flush in the middle would close every receiver's open batch (a world of
 * 3000 then sent about two states a datagram, not a tick's thirty). */
#define UDP_SEND_QUEUE 8192
#define UDP_SEND_BYTES (512 << 10) /* bytes of states those datagrams point at: a
                                      whole tick's held states (TICK_ARENA), heads too */
/* iovecs of a batch: its header, then one per state (the smallest: 40 bytes) */
#define UDP_MSG_IOVS (1 + (PROTO_BATCH_MAX - PROTO_BATCH_HEADER) / \
                          (PROTO_BATCH_ENTRY_HEAD + PROTO_STATE_SIZE))

struct udp_slot {
    bool used;
    union netaddr addr;      /* the member's endpoint, IPv4 or IPv6 */
    uint64_t last_us;        /* last datagram from it */
    int32_t next;            /* hash chain */
    int32_t open;            /* its queued datagram that may take more states, -1: none */
    bool member, batches;    /* what the core said at its join (member): a member of a
                                room, whose states go in batches */
};

struct relay_udp {
    int fd;
    struct relay_net_config cfg;
    char addr[RELAY_ADDR_MAX];
    struct relay *relay;     /* set while servicing */
    uint32_t base;           /* the core's handle of slot 0 (core's base) */

    struct udp_slot *slots;  /* peer_cap; the core's handle is base + the index */
    uint32_t *free_slots;    /* stack of unused slot indexes */
    uint32_t nfree;
    int32_t *buckets;        /* endpoint hash -> first slot, -1 = none */
    uint32_t bucket_mask;

    /* receive batch: UDP_BATCH buffers of max_packet_size + 1 bytes */
    struct dgram_in in;

    /* send batch: datagrams pointing into sbuf */
    uint8_t *sbuf;           /* UDP_SEND_BYTES: states, each after its entry head */
    size_t sbuf_used;
    struct mmsghdr smsg[UDP_SEND_QUEUE];
    struct iovec *siov;      /* UDP_MSG_IOVS for each of smsg */
    union netaddr sto[UDP_SEND_QUEUE];
    uint32_t sslot[UDP_SEND_QUEUE];  /* the recipient's slot */
    uint16_t sbytes[UDP_SEND_QUEUE]; /* the datagram's length */
    unsigned nsend;
    uint8_t batch_header[PROTO_BATCH_HEADER];

    uint64_t read_end_us;    /* when a service last read the socket empty */
    bool backlog;            /* the last service left datagrams unread */
    uint8_t cookie_key[16];  /* random per relay start */
    struct strangers strangers; /* reply budgets for non-members */
};

/* ---- transport_udp_cookies.c ---- */

/* A datagram from an endpoint that is not a member. Returns true if it is a
 * join of this version echoing a valid cookie (go on as a member to be);
 * otherwise answers it (cookie, bad_version or not_joined, never longer than
 * the datagram), counts it and returns false. */
bool transport_udp_stranger_verified(struct relay_udp *t, struct relay *r,
                                     const union netaddr *from, const uint8_t *bytes,
                                     size_t len, uint64_t now_us);

/* ---- transport_udp_send.c ---- */

/* Counts n states or messages that could not be sent (outside a service
 * there is no core to count them). */
void transport_udp_count_failed(struct relay_udp *t, size_t n);

/* Sends every queued datagram (sendmmsg) and empties the send batch. */
void transport_udp_flush(struct relay_udp *t);

/* The core's side of transport t (a struct relay_udp *): its sends, for
 * handles from base on. */
struct relay_transport transport_udp_core(void *t, uint32_t base);

/* ---- transport_udp_endpoints.c ---- */

/* Allocates the table for t->cfg.peer_cap slots; 0 or -1 (endpoints_free
 * frees what there is). */
int transport_udp_endpoints_init(struct relay_udp *t);
void transport_udp_endpoints_free(struct relay_udp *t);

/* The slot of endpoint a, or -1. */
int32_t transport_udp_slot_find(const struct relay_udp *t, const union netaddr *a);

/* A slot for endpoint a, heard at now_us; -1 if every slot is taken. */
int32_t transport_udp_slot_alloc(struct relay_udp *t, const union netaddr *a, uint64_t now_us);

/* Forgets slot i's endpoint (nothing if i is out of range or unused). */
void transport_udp_slot_free(struct relay_udp *t, uint32_t i);

/* Members from the same IP address as a (any port). */
uint32_t transport_udp_slots_from_ip(const struct relay_udp *t, const union netaddr *a);

/* ---- for tests ---- */

/* The socket of a relay_udp_ops transport, for tests that poll(2) it. */
int relay_udp_fd(const struct relay_udp *t);

/* The transport's send loop (transport_udp_send.c): sends msgs[0..n) on fd
 * through send (sendmmsg(2)'s contract: the number sent, in order, or -1
 * with errno when the first one failed). A datagram the kernel refuses
 * (EMSGSIZE, EPERM, ...) is skipped; a full socket buffer (EAGAIN) drops it
 * and all after it. EINTR retries. Returns how many states were not sent,
 * each counted once: a datagram of k > 1 iovecs is a batch of k - 1. */
unsigned relay_udp_send_batch(int fd, struct mmsghdr *msgs, unsigned n,
                              int (*send)(int, struct mmsghdr *, unsigned, int));

#endif
