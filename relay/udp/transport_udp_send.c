/* transport_udp_send.c: what the core sends through the relay's plain-UDP
 * edge: states, control messages, and disconnects (forgetting an endpoint).
 *
 * Batching: the datagrams queued (up to UDP_SEND_QUEUE) leave in as few
 * sendmmsg() calls as the kernel allows (UIO_MAXIOV each): the copies of the
 * states of one receive batch or, with a tick, of a whole tick, a world's
 * late one to every group of receivers at once included. Each state is copied
 * once into a send buffer and every recipient's datagram points at that copy:
 * no per-recipient copy. A member whose join asked for batches gets the
 * states queued for it in one datagram, up to PROTO_BATCH_MAX bytes
 * (PROTOCOL.md, "Batches"): a tick's states for one recipient then cost the
 * kernel one datagram, not one each. The datagram's iovecs are the batch
 * header and each state's copy, which carries its entry's length prefix in
 * front of it. */
#include "transport_udp.h"

#include <string.h>

#include "sys/clock.h"
#include "sys/dgram.h"
#include "sys/log.h"

/* ---- sending ---------------------------------------------------------- */

void transport_udp_count_failed(struct relay_udp *t, size_t n)
{
    if (t->relay)
        for (size_t i = 0; i < n; i++)
            relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
}

/* States in a queued datagram: a batch's iovecs are its header and one per
 * state. */
static unsigned states_in(const struct mmsghdr *m)
{
    return m->msg_hdr.msg_iovlen > 1 ? (unsigned)m->msg_hdr.msg_iovlen - 1 : 1;
}

unsigned relay_udp_send_batch(int fd, struct mmsghdr *msgs, unsigned n,
                              int (*send)(int, struct mmsghdr *, unsigned, int))
{
    return dgram_send_all(fd, msgs, n, send, states_in, "udp");
}

/* Sends the queued state copies with as few sendmmsg calls as the kernel
 * allows. A full socket buffer means loss, as UDP always may: counted. */
void transport_udp_flush(struct relay_udp *t)
{
    for (unsigned k = 0; k < t->nsend; k++)
        if (t->sslot[k] < t->cfg.peer_cap)
            t->slots[t->sslot[k]].open = -1;
    if (t->nsend > 0)
        transport_udp_count_failed(t, relay_udp_send_batch(t->fd, t->smsg, t->nsend,
                                                           sendmmsg));
    t->nsend = 0;
    t->sbuf_used = 0;
}

/* Adds the state at copy (len bytes after its entry head) to the slot's
 * open datagram if it fits: a lone state becomes a batch of two. */
static bool batch_append(struct relay_udp *t, uint32_t slot, uint8_t *copy, size_t len)
{
    int32_t k = t->slots[slot].open;
    if (k < 0)
        return false;
    struct msghdr *h = &t->smsg[k].msg_hdr;
    size_t bytes = h->msg_iovlen == 1 ? PROTO_BATCH_HEADER + PROTO_BATCH_ENTRY_HEAD + t->sbytes[k]
                                      : t->sbytes[k];
    if (h->msg_iovlen == UDP_MSG_IOVS ||
        bytes + PROTO_BATCH_ENTRY_HEAD + len > PROTO_BATCH_MAX)
        return false;
    if (h->msg_iovlen == 1) { /* the lone state, with its entry head, after the header */
        h->msg_iov[1] = (struct iovec){.iov_base = (uint8_t *)h->msg_iov[0].iov_base -
                                                   PROTO_BATCH_ENTRY_HEAD,
                                       .iov_len = h->msg_iov[0].iov_len + PROTO_BATCH_ENTRY_HEAD};
        h->msg_iov[0] = (struct iovec){.iov_base = t->batch_header, .iov_len = PROTO_BATCH_HEADER};
        h->msg_iovlen = 2;
    }
    h->msg_iov[h->msg_iovlen++] = (struct iovec){.iov_base = copy,
                                                 .iov_len = PROTO_BATCH_ENTRY_HEAD + len};
    t->sbytes[k] = (uint16_t)(bytes + PROTO_BATCH_ENTRY_HEAD + len);
    return true;
}

/* Queues a datagram of the one state at copy + PROTO_BATCH_ENTRY_HEAD to
 * the slot's endpoint; open to more if its member takes batches. */
static void queue_datagram(struct relay_udp *t, uint32_t slot, uint8_t *copy, size_t len)
{
    unsigned k = t->nsend++;
    struct iovec *iov = t->siov + (size_t)k * UDP_MSG_IOVS;
    t->sto[k] = t->slots[slot].addr;
    t->sslot[k] = slot;
    t->sbytes[k] = (uint16_t)len;
    iov[0] = (struct iovec){.iov_base = copy + PROTO_BATCH_ENTRY_HEAD, .iov_len = len};
    t->smsg[k] = (struct mmsghdr){
        .msg_hdr = { .msg_name = &t->sto[k], .msg_namelen = netaddr_len(&t->sto[k]),
                     .msg_iov = iov, .msg_iovlen = 1 }
    };
    t->slots[slot].open = t->slots[slot].batches ? (int32_t)k : -1;
}

static void udp_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                           uint8_t channel, uint32_t flags, const uint8_t *bytes,
                           size_t len)
{
    struct relay_udp *t = ctx;
    (void)from;    /* one datagram stream per recipient: queued in order */
    (void)channel; /* a bare socket has no channels and no flags */
    (void)flags;
    if (len == 0 || len > PROTO_BATCH_MAX)
        return; /* cannot happen: the core forwards at most PROTO_STATE_MAX, sealed */
    uint8_t *copy = NULL; /* one copy per state, after its entry head: for every recipient */
    size_t need = PROTO_BATCH_ENTRY_HEAD + len;
    for (size_t i = 0; i < n; i++) {
        uint32_t slot = peers[i] - t->base; /* a handle below base wraps: out of range */
        if (slot >= t->cfg.peer_cap || !t->slots[slot].used)
            continue;
        if (t->nsend == UDP_SEND_QUEUE || (!copy && UDP_SEND_BYTES - t->sbuf_used < need)) {
            transport_udp_flush(t);
            copy = NULL;
        }
        if (!copy) {
            copy = t->sbuf + t->sbuf_used;
            proto_batch_entry_head(copy, len);
            memcpy(copy + PROTO_BATCH_ENTRY_HEAD, bytes, len);
            t->sbuf_used += need;
        }
        if (!batch_append(t, slot, copy, len))
            queue_datagram(t, slot, copy, len);
    }
}

/* Control joins the queue, after the states queued before it (datagrams
 * leave in queue order: for one receiver, messages leave in the order the
 * core produced them), never in a batch: the receiver's next state starts
 * a datagram of its own. A world's appeared and vanished notices, many a
 * second, so cost no system call each, nor cut the queue short. */
static void udp_send_control(void *ctx, uint32_t handle, const char *json, size_t len)
{
    struct relay_udp *t = ctx;
    uint32_t peer = handle - t->base;
    if (peer >= t->cfg.peer_cap || !t->slots[peer].used)
        return;
    if (len > RELAY_DATAGRAM_MAX) {
        /* The core splits what could be longer (the welcome); this is a
         * bug, but never an oversized datagram on the wire. */
        log_error("relay: control message of %zu bytes over the udp limit %d: not sent",
                  len, RELAY_DATAGRAM_MAX);
        transport_udp_count_failed(t, 1);
        return;
    }
    if (!t->slots[peer].member &&
        !strangers_may_reply(&t->strangers, &t->slots[peer].addr, false, clock_now_us()))
        return; /* a verified endpoint whose join was refused: its one error */
    if (t->nsend == UDP_SEND_QUEUE || UDP_SEND_BYTES - t->sbuf_used < PROTO_BATCH_ENTRY_HEAD + len)
        transport_udp_flush(t);
    uint8_t *copy = t->sbuf + t->sbuf_used;
    memcpy(copy + PROTO_BATCH_ENTRY_HEAD, json, len);
    t->sbuf_used += PROTO_BATCH_ENTRY_HEAD + len;
    queue_datagram(t, peer, copy, len);
    t->slots[peer].open = -1; /* a message of its own */
}

/* What the core says of a member's way down: whether it is one, and takes
 * its states in batches. */
static void udp_member(void *ctx, uint32_t handle, const struct relay_member_way *way)
{
    struct relay_udp *t = ctx;
    uint32_t slot = handle - t->base;
    if (slot >= t->cfg.peer_cap || !t->slots[slot].used)
        return;
    t->slots[slot].member = way != NULL;
    t->slots[slot].batches = way && way->batches;
}

/* No connection to close: forgetting the endpoint is all there is. */
static void udp_disconnect(void *ctx, uint32_t handle, enum proto_error_code why)
{
    struct relay_udp *t = ctx;
    (void)why; /* the error message was the only way to say it */
    transport_udp_slot_free(t, handle - t->base);
}

/* A bare socket: no fragmentation (RELAY_DATAGRAM_MAX), no handshake (a
 * member's source address can be forged), one mode. */
struct relay_transport transport_udp_core(void *ctx, uint32_t base)
{
    struct relay_udp *t = ctx;
    t->base = base;
    return (struct relay_transport){
        .ctx = t,
        .name = "udp",
        .peers = t->cfg.peer_cap,
        .message_max = RELAY_DATAGRAM_MAX,
        .forgeable = true,
        .modes = 1u << PROTO_MODE_UDP,
        .send_control = udp_send_control,
        .send_state = udp_send_state,
        .disconnect = udp_disconnect,
        .member = udp_member,
    };
}
