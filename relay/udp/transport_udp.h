/* transport_udp.h: what the two files of the relay's plain-UDP edge share
 * (transport_udp.c: the socket, its endpoint table, strangers and the
 * loop's operations; transport_udp_send.c: what the core sends, batched).
 * Not an API: the program uses relay_udp_ops (transport.h). */
#ifndef RICOCHET_TRANSPORT_UDP_H
#define RICOCHET_TRANSPORT_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../../proto/wire.h"
#include "../../sys/netaddr.h"
#include "../core/strangers.h"
#include "../transport.h"

#define UDP_BATCH 64          /* datagrams per recvmmsg */
#define UDP_SEND_BATCH 1024   /* queued datagrams per sendmmsg (UIO_MAXIOV) */
#define UDP_SEND_BYTES (256 << 10) /* bytes of states those datagrams point at */
/* iovecs of a batch: its header, then one per state (the smallest: 40 bytes) */
#define UDP_MSG_IOVS (1 + (PROTO_BATCH_MAX - PROTO_BATCH_HEADER) / \
                          (PROTO_BATCH_ENTRY_HEAD + PROTO_STATE_SIZE))

struct udp_slot {
    bool used;
    union netaddr addr;      /* the member's endpoint, IPv4 or IPv6 */
    uint64_t last_us;        /* last datagram from it */
    int32_t next;            /* hash chain */
    int32_t open;            /* its queued datagram that may take more states, -1: none */
};

struct relay_udp {
    int fd;
    struct relay_net_config cfg;
    char addr[RELAY_ADDR_MAX];
    struct relay *relay;     /* set while servicing */

    struct udp_slot *slots;  /* peer_cap; the index is the core's peer handle */
    uint32_t *free_slots;    /* stack of unused slot indexes */
    uint32_t nfree;
    int32_t *buckets;        /* endpoint hash -> first slot, -1 = none */
    uint32_t bucket_mask;

    /* receive batch */
    struct mmsghdr rmsg[UDP_BATCH];
    struct iovec riov[UDP_BATCH];
    union netaddr rfrom[UDP_BATCH];
    uint8_t *rbuf;           /* UDP_BATCH buffers of rbuf_size */
    size_t rbuf_size;

    /* send batch: datagrams pointing into sbuf */
    uint8_t *sbuf;           /* UDP_SEND_BYTES: states, each after its entry head */
    size_t sbuf_used;
    struct mmsghdr smsg[UDP_SEND_BATCH];
    struct iovec *siov;      /* UDP_MSG_IOVS for each of smsg */
    union netaddr sto[UDP_SEND_BATCH];
    uint32_t sslot[UDP_SEND_BATCH];  /* the recipient's slot */
    uint16_t sbytes[UDP_SEND_BATCH]; /* the datagram's length */
    unsigned nsend;
    uint8_t batch_header[PROTO_BATCH_HEADER];

    uint64_t read_end_us;    /* when a service last read the socket empty */
    bool backlog;            /* the last service left datagrams unread */
    uint8_t cookie_key[16];  /* random per relay start */
    struct strangers strangers; /* reply budgets for non-members */
};

/* Forgets slot i's endpoint (nothing if i is out of range or unused). */
void transport_udp_slot_free(struct relay_udp *t, uint32_t i);

/* Counts n states or messages that could not be sent (outside a service
 * there is no core to count them). */
void transport_udp_count_failed(struct relay_udp *t, size_t n);

/* Sends every queued datagram (sendmmsg) and empties the send batch. */
void transport_udp_flush(struct relay_udp *t);

/* The core's side of transport t (a struct relay_udp *): its sends. */
struct relay_transport transport_udp_core(void *t);

#endif
