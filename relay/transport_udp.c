/* transport_udp.c: the relay over one bare UDP socket, no ENet
 * (ricochet-relay --transport udp). The baseline, and a lesson.
 *
 * A TCP server goes socket() -> bind() -> listen() -> accept(), and accept()
 * hands it a new socket per client: the kernel keeps track of who is
 * connected. A datagram (UDP) socket has no listen() and no accept(). We
 * socket() and bind() once, then recvfrom() datagrams from anyone; each
 * one comes with the sender's endpoint, an IP address plus a port (a client
 * gets an ephemeral port, like 127.0.0.1:50123, so two clients on one host
 * are still two endpoints). We answer with sendto() to that endpoint. The
 * same socket serves every client.
 *
 * So "who is connected" is ours to build: a table from endpoint (ip:port)
 * to a slot, filled when an endpoint sends a valid join and emptied when it
 * sends leave or falls silent for --timeout-ms. Nothing is retransmitted,
 * ordered or acknowledged: the client repeats its join until a welcome
 * comes back, and notices (joined, left, chat) may simply be lost. ENet
 * adds all of that (handshake, acks, resends, sequencing, channels,
 * fragmentation) on top of exactly this kind of socket.
 *
 * Batching: recvmmsg() reads up to UDP_BATCH datagrams in one system call
 * and sendmmsg() sends up to UDP_SEND_BATCH queued datagrams in one call:
 * the copies of the states of one receive batch or, with --tick-ms, of a
 * whole tick. Each state is copied once into a send buffer and every
 * recipient's datagram points at that copy: no per-recipient copy. A
 * member whose join asked for batches gets the states queued for it in one
 * datagram, up to PROTO_BATCH_MAX bytes (PROTOCOL.md, "Batches"): a tick's
 * states for one recipient then cost the kernel one datagram, not one
 * each. The datagram's iovecs are the batch header and each state's copy,
 * which carries its entry's length prefix in front of it. */
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../sys/clock.h"
#include "../sys/log.h"
#include "../sys/netaddr.h"
#include "../proto/siphash.h"
#include "../proto/enet/sniff.h"
#include "../proto/wire.h"
#include "strangers.h"

#define UDP_BATCH 64          /* datagrams per recvmmsg */
#define UDP_SEND_BATCH 1024   /* queued datagrams per sendmmsg (UIO_MAXIOV) */
#define UDP_SEND_BYTES (256 << 10) /* bytes of states those datagrams point at */
/* iovecs of a batch: its header, then one per state (the smallest: 40 bytes) */
#define UDP_MSG_IOVS (1 + (PROTO_BATCH_MAX - PROTO_BATCH_HEADER) / \
                          (PROTO_BATCH_ENTRY_HEAD + PROTO_STATE_SIZE))
#define UDP_MAX_BATCHES 16    /* recvmmsg calls per service; more waiting is a backlog,
                                 read after this turn's fan-out and sends */
#define SOCKET_BUFFER (4 << 20)
#define COOKIE_WINDOW_US 10000000ull /* a cookie is good for this window and the next */

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

/* ---- endpoint table --------------------------------------------------- */

/* Bucket of an endpoint: every byte of the address and port, mixed
 * (FNV-1a; the table is not exposed to chosen collisions beyond what
 * max_per_address and the cookie already bound). */
static uint32_t endpoint_hash(const struct relay_udp *t, const union netaddr *a)
{
    uint8_t key[NETADDR_KEY_MAX];
    size_t n = netaddr_key(a, key);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ key[i]) * 16777619u;
    h ^= h >> 15;
    return h & t->bucket_mask;
}

static int32_t slot_find(const struct relay_udp *t, const union netaddr *a)
{
    for (int32_t i = t->buckets[endpoint_hash(t, a)]; i >= 0; i = t->slots[i].next)
        if (netaddr_equal(&t->slots[i].addr, a))
            return i;
    return -1;
}

static int32_t slot_alloc(struct relay_udp *t, const union netaddr *a,
                          uint64_t now_us)
{
    if (t->nfree == 0)
        return -1;
    uint32_t i = t->free_slots[--t->nfree];
    uint32_t b = endpoint_hash(t, a);
    t->slots[i] = (struct udp_slot){
        .used = true, .addr = *a, .last_us = now_us, .next = t->buckets[b], .open = -1
    };
    t->buckets[b] = (int32_t)i;
    return (int32_t)i;
}

static void slot_free(struct relay_udp *t, uint32_t i)
{
    if (i >= t->cfg.peer_cap || !t->slots[i].used)
        return;
    int32_t *link = &t->buckets[endpoint_hash(t, &t->slots[i].addr)];
    while (*link >= 0 && *link != (int32_t)i)
        link = &t->slots[*link].next;
    if (*link == (int32_t)i)
        *link = t->slots[i].next;
    t->slots[i].used = false;
    t->free_slots[t->nfree++] = i;
}

/* Members from the same IP address (any port). Linear, but only run for a
 * control datagram from an unknown endpoint. */
static uint32_t slots_from_ip(const struct relay_udp *t, const union netaddr *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++)
        if (t->slots[i].used && netaddr_same_host(&t->slots[i].addr, a))
            n++;
    return n;
}

/* ---- sending ---------------------------------------------------------- */

static void count_failed(struct relay_udp *t, size_t n)
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
    unsigned off = 0, failed = 0;
    while (off < n) {
        /* sendmmsg sends in order and stops at the first failure: it
         * returns how many went, or -1 when the very first one failed. */
        int sent = send(fd, msgs + off, n - off, 0);
        if (sent > 0) {
            off += (unsigned)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            /* The socket buffer is full: the rest would fail alike. */
            log_debug("relay: sendmmsg: %s: %u datagrams dropped",
                      sent == 0 ? "nothing sent" : strerror(errno), n - off);
            for (; off < n; off++)
                failed += states_in(&msgs[off]);
            break;
        }
        /* This one datagram is refused (EMSGSIZE, EPERM, ...): skip it. */
        log_debug("relay: sendmmsg: %s", strerror(errno));
        failed += states_in(&msgs[off]);
        off++;
    }
    return failed;
}

/* Sends the queued state copies with as few sendmmsg calls as the kernel
 * allows. A full socket buffer means loss, as UDP always may: counted. */
static void send_flush(struct relay_udp *t)
{
    for (unsigned k = 0; k < t->nsend; k++)
        if (t->sslot[k] < t->cfg.peer_cap)
            t->slots[t->sslot[k]].open = -1;
    if (t->nsend > 0)
        count_failed(t, relay_udp_send_batch(t->fd, t->smsg, t->nsend, sendmmsg));
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
    bool batches = t->relay && relay_peer_batches(t->relay, slot);
    t->slots[slot].open = batches ? (int32_t)k : -1;
}

static void udp_send_state(void *ctx, const uint32_t *peers, size_t n,
                           uint8_t channel, uint32_t flags, const uint8_t *bytes,
                           size_t len)
{
    struct relay_udp *t = ctx;
    (void)channel; /* a bare socket has no channels and no flags */
    (void)flags;
    if (len == 0 || len > PROTO_BATCH_MAX)
        return; /* cannot happen: the core forwards at most PROTO_STATE_MAX, sealed */
    uint8_t *copy = NULL; /* one copy per state, after its entry head: for every recipient */
    size_t need = PROTO_BATCH_ENTRY_HEAD + len;
    for (size_t i = 0; i < n; i++) {
        uint32_t slot = peers[i];
        if (slot >= t->cfg.peer_cap || !t->slots[slot].used)
            continue;
        if (t->nsend == UDP_SEND_BATCH || (!copy && UDP_SEND_BYTES - t->sbuf_used < need)) {
            send_flush(t);
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

/* Control goes out at once with sendto(), after any queued states so that,
 * for one receiver, messages leave in the order the core produced them. */
static void udp_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    struct relay_udp *t = ctx;
    if (peer >= t->cfg.peer_cap || !t->slots[peer].used)
        return;
    if (len > RELAY_DATAGRAM_MAX) {
        /* The core splits what could be longer (the welcome); this is a
         * bug, but never an oversized datagram on the wire. */
        log_error("relay: control message of %zu bytes over the udp limit %d: not sent",
                  len, RELAY_DATAGRAM_MAX);
        count_failed(t, 1);
        return;
    }
    if ((!t->relay || !relay_peer_joined(t->relay, peer)) &&
        !strangers_may_reply(&t->strangers, &t->slots[peer].addr, false, clock_now_us()))
        return; /* a verified endpoint whose join was refused: its one error */
    send_flush(t);
    const union netaddr *to = &t->slots[peer].addr;
    while (sendto(t->fd, json, len, 0, &to->sa, netaddr_len(to)) < 0) {
        if (errno == EINTR)
            continue;
        log_debug("relay: sendto: %s", strerror(errno));
        count_failed(t, 1);
        break;
    }
}

/* No connection to close: forgetting the endpoint is all there is. */
static void udp_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)why; /* the error message was the only way to say it */
    slot_free(ctx, peer);
}

/* A bare socket: no fragmentation (RELAY_DATAGRAM_MAX), no handshake (a
 * member's source address can be forged), one mode. */
static struct relay_transport udp_core(void *t)
{
    return (struct relay_transport){
        .ctx = t,
        .message_max = RELAY_DATAGRAM_MAX,
        .forgeable = true,
        .modes = 1u << PROTO_MODE_UDP,
        .send_control = udp_send_control,
        .send_state = udp_send_state,
        .disconnect = udp_disconnect,
    };
}

/* ---- lifecycle -------------------------------------------------------- */

/* socket(), bind(), and the address we got. Returns 0, or -1 with a
 * message in err. */
static int udp_bind(struct relay_udp *t, const struct relay_net_config *cfg, char *err,
                    size_t err_cap)
{
    /* 0. Which address: IPv4 or IPv6, a literal or a name. */
    union netaddr local;
    const char *host = cfg->bind && *cfg->bind ? cfg->bind : "0.0.0.0";
    char why[200];
    if (netaddr_resolve(host, cfg->port, &local, why, sizeof why) != 0) {
        snprintf(err, err_cap, "bind address: %s", why);
        return -1;
    }
    /* 1. socket(): an endpoint for datagrams (SOCK_DGRAM = UDP), of the
     * address's family; bound to :: it serves IPv4 clients too. */
    t->fd = netaddr_udp_socket(&local, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (t->fd < 0) {
        snprintf(err, err_cap, "socket: %s", strerror(errno));
        return -1;
    }
    int size = SOCKET_BUFFER;
    setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);

    /* 2. bind(): give it our address and port, so clients know where to
     * send. Port 0 asks the kernel for any free port. */
    if (bind(t->fd, &local.sa, netaddr_len(&local)) != 0) {
        snprintf(err, err_cap, "bind %s:%u: %s", host, (unsigned)cfg->port,
                 strerror(errno));
        return -1;
    }
    /* 3. No listen(), no accept(): from here on we just recvfrom(). */
    socklen_t len = sizeof local;
    if (getsockname(t->fd, &local.sa, &len) != 0) {
        snprintf(err, err_cap, "getsockname: %s", strerror(errno));
        return -1;
    }
    netaddr_format(&local, t->addr, sizeof t->addr);
    return 0;
}

static void udp_destroy(void *ctx);

static void *udp_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_udp *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->fd = -1;
    t->cfg = *cfg;
    if (t->cfg.peer_cap < 1)
        t->cfg.peer_cap = 1;
    uint32_t nbuckets = 16;
    while (nbuckets < 2 * t->cfg.peer_cap)
        nbuckets <<= 1;
    t->bucket_mask = nbuckets - 1;
    /* One byte more than the largest accepted datagram, so a longer one
     * shows as too long rather than silently cut (MSG_TRUNC). */
    t->rbuf_size = (cfg->max_packet_size ? cfg->max_packet_size : 2048) + 1;
    t->slots = calloc(t->cfg.peer_cap, sizeof *t->slots);
    t->free_slots = calloc(t->cfg.peer_cap, sizeof *t->free_slots);
    t->buckets = malloc(nbuckets * sizeof *t->buckets);
    t->rbuf = malloc(UDP_BATCH * t->rbuf_size);
    t->sbuf = malloc(UDP_SEND_BYTES);
    t->siov = malloc(UDP_SEND_BATCH * UDP_MSG_IOVS * sizeof *t->siov);
    proto_batch_begin(t->batch_header);
    if (!t->slots || !t->free_slots || !t->buckets || !t->rbuf || !t->sbuf || !t->siov) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < nbuckets; i++)
        t->buckets[i] = -1;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++)
        t->free_slots[t->nfree++] = t->cfg.peer_cap - 1 - i; /* slot 0 first */
    uint8_t strangers_key[16];
    if (getrandom(t->cookie_key, sizeof t->cookie_key, 0) != sizeof t->cookie_key ||
        getrandom(strangers_key, sizeof strangers_key, 0) != sizeof strangers_key) {
        snprintf(err, err_cap, "getrandom: %s", strerror(errno));
        goto fail;
    }
    strangers_init(&t->strangers, strangers_key, cfg->max_per_address, clock_now_us());

    if (udp_bind(t, cfg, err, err_cap) != 0)
        goto fail;
    for (unsigned i = 0; i < UDP_BATCH; i++)
        t->riov[i] = (struct iovec){ .iov_base = t->rbuf + i * t->rbuf_size,
                                     .iov_len = t->rbuf_size };
    return t;

fail:
    udp_destroy(t);
    return NULL;
}

static int udp_fd_op(const void *ctx)
{
    return relay_udp_fd(ctx);
}

static const char *udp_address(const void *ctx)
{
    const struct relay_udp *t = ctx;
    return t->addr;
}

int relay_udp_fd(const struct relay_udp *t)
{
    return t->fd;
}

static void udp_destroy(void *ctx)
{
    struct relay_udp *t = ctx;
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    free(t->slots);
    free(t->free_slots);
    free(t->buckets);
    free(t->rbuf);
    free(t->sbuf);
    free(t->siov);
    free(t);
}

/* ---- return routability ---------------------------------------------
 * Anyone can put any source address on a datagram. Before the relay keeps
 * state for an endpoint, answers it with more than it sent, or tells a room
 * about it, the endpoint must prove it receives at its address: its join
 * echoes a cookie the relay sent there. The cookie is a keyed hash of the
 * endpoint and a 10 s window, so the relay remembers nothing until then (as
 * DTLS HelloVerifyRequest, QUIC Retry, netcode.io connect tokens). */

uint64_t relay_udp_cookie(const uint8_t key[16], const union netaddr *a, uint64_t window)
{
    uint8_t in[NETADDR_KEY_MAX + 8];
    size_t n = netaddr_key(a, in); /* the whole address (4 or 16 bytes) and the port */
    for (int i = 0; i < 8; i++)
        in[n + (size_t)i] = (uint8_t)(window >> (8 * i));
    return siphash24(key, in, n + 8);
}

static uint64_t cookie_for(const struct relay_udp *t, const union netaddr *a,
                           uint64_t window)
{
    return relay_udp_cookie(t->cookie_key, a, window);
}

/* The current window's cookie, or the previous window's too. */
static bool cookie_valid(const struct relay_udp *t, const union netaddr *a,
                         const char *text, uint64_t now_us)
{
    char *end;
    if (!text || strlen(text) != 16)
        return false;
    uint64_t c = strtoull(text, &end, 16);
    if (*end)
        return false;
    uint64_t w = now_us / COOKIE_WINDOW_US;
    return c == cookie_for(t, a, w) || (w > 0 && c == cookie_for(t, a, w - 1));
}

/* Sends json to a stranger only if it is no longer than what the stranger
 * sent (amplification at most 1x) and its budgets allow (strangers.h;
 * admission: the cookie answering a join). */
static void reply_stranger(struct relay_udp *t, const union netaddr *to, const char *json,
                           size_t request_len, bool admission)
{
    size_t len = strlen(json);
    if (len > request_len || !strangers_may_reply(&t->strangers, to, admission, clock_now_us()))
        return;
    send_flush(t);
    if (sendto(t->fd, json, len, 0, &to->sa, netaddr_len(to)) < 0)
        count_failed(t, 1);
}

/* A datagram from an endpoint that is not a member. Returns true if it is a
 * join of this version echoing a valid cookie (go on as a member to be);
 * otherwise answers it (cookie, bad_version or not_joined, never longer than
 * the datagram), counts it and returns false. */
static bool stranger_verified(struct relay_udp *t, struct relay *r,
                              const union netaddr *from, const uint8_t *bytes,
                              size_t len, uint64_t now_us)
{
    cJSON *o = len > 0 && bytes[0] == '{' ? cJSON_ParseWithLength((const char *)bytes, len)
                                          : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    bool join = cJSON_IsString(type) && strcmp(type->valuestring, "join") == 0;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *cookie = cJSON_GetObjectItemCaseSensitive(o, "cookie");
    bool ok = false;
    char reply[64];
    if (!join && sniff_is_enet_connect(bytes, len)) {
        /* An ENet client: the usual answer is longer than its 52-byte
         * connect, this one is not, and it tells the client we are plain
         * UDP (PROTOCOL.md, "Transport mismatch"). */
        relay_count_drop(r, RELAY_DROP_NOT_JOINED);
        reply_stranger(t, from, "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"udp\"}", len,
                       false);
    } else if (!join) {
        relay_count_drop(r, RELAY_DROP_NOT_JOINED);
        reply_stranger(t, from, "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"join\"}", len,
                       false);
    } else if (!cJSON_IsNumber(version) || version->valuedouble != PROTO_VERSION) {
        relay_count_drop(r, RELAY_DROP_BAD_VERSION);
        reply_stranger(t, from, "{\"type\":\"error\",\"code\":\"bad_version\",\"message\":\"upgrade\"}", len,
                       false);
    } else if (cJSON_IsString(cookie) && cookie_valid(t, from, cookie->valuestring, now_us)) {
        ok = true;
    } else {
        relay_count_drop(r, RELAY_DROP_UNVERIFIED);
        snprintf(reply, sizeof reply, "{\"type\":\"cookie\",\"cookie\":\"%016llx\"}",
                 (unsigned long long)cookie_for(t, from, now_us / COOKIE_WINDOW_US));
        reply_stranger(t, from, reply, len, true);
    }
    cJSON_Delete(o);
    return ok;
}

/* ---- receiving -------------------------------------------------------- */

static void on_datagram(struct relay_udp *t, struct relay *r, unsigned k)
{
    const struct msghdr *h = &t->rmsg[k].msg_hdr;
    uint8_t *bytes = t->riov[k].iov_base;
    size_t len = t->rmsg[k].msg_len;
    union netaddr *from = &t->rfrom[k];
    uint64_t now = clock_now_us();

    if (netaddr_from_sockaddr(from, &from->sa, h->msg_namelen) != 0)
        return;
    /* Longer than our buffer (max_packet_size + 1): the kernel cut it and
     * only says so in msg_flags. */
    bool truncated = (h->msg_flags & MSG_TRUNC) != 0;

    int32_t slot = slot_find(t, from);
    if (slot < 0 && len >= t->rbuf_size) {
        /* A stranger's datagram over max_packet_size (a cut one is
         * rbuf_size long too): the first check, and no reply. */
        relay_count_drop(r, RELAY_DROP_TOO_BIG);
        return;
    }
    if (slot < 0 && !stranger_verified(t, r, from, bytes, len, now))
        return; /* no state, no notice, a reply no longer than the datagram */
    if (slot < 0) {
        /* An endpoint we do not know. It gets a slot for the length of this
         * datagram; the slot stays only if the datagram made it a member. */
        if (len > 0 && bytes[0] == '{' && t->cfg.max_per_address &&
            slots_from_ip(t, from) >= t->cfg.max_per_address) {
            relay_count_drop(r, RELAY_DROP_PER_ADDRESS);
            return;
        }
        slot = slot_alloc(t, from, now);
        if (slot < 0) {
            relay_count_drop(r, RELAY_DROP_SERVER_FULL);
            return;
        }
        char addr[RELAY_ADDR_MAX];
        netaddr_format(from, addr, sizeof addr);
        if (relay_peer_connect(r, (uint32_t)slot, addr, now) != 0) {
            slot_free(t, (uint32_t)slot);
            return;
        }
    }
    t->slots[slot].last_us = now;
    relay_on_datagram(r, (uint32_t)slot, PROTO_CHANNEL_DATAGRAM,
                      truncated ? RELAY_IN_TRUNCATED : 0, bytes, len, now);
    /* Not (or no longer) a member: leave sent, join refused, or just noise. */
    if (t->slots[slot].used && !relay_peer_joined(r, (uint32_t)slot)) {
        relay_peer_gone(r, (uint32_t)slot, PROTO_LEFT_QUIT, now);
        slot_free(t, (uint32_t)slot);
    }
}

static int receive_batches(struct relay_udp *t, struct relay *r);

static int udp_service(void *ctx, struct relay *r, int timeout_ms)
{
    struct relay_udp *t = ctx;
    t->relay = r;
    t->backlog = false;
    struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
    int ready = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (ready < 0 && errno != EINTR)
        return -1;
    int total = 0;
    if (ready > 0)
        total = receive_batches(t, r);
    if (total < 0)
        return -1;
    if (!t->backlog) /* the next read's floor (relay_arrived) */
        t->read_end_us = clock_now_us();
    /* With --tick-ms: the tick's states, all in one sendmmsg. */
    uint64_t tick_start = clock_now_us();
    size_t fanned = relay_tick(r, tick_start);
    send_flush(t);
    if (fanned)
        relay_fanout_took(r, clock_now_us() - tick_start);
    return total;
}

/* Reads and handles up to UDP_MAX_BATCHES recvmmsg batches. Returns
 * datagrams read, or -1 on a socket error. */
static int receive_batches(struct relay_udp *t, struct relay *r)
{
    int total = 0;
    for (int b = 0; b < UDP_MAX_BATCHES; b++) {
        for (unsigned i = 0; i < UDP_BATCH; i++)
            t->rmsg[i] = (struct mmsghdr){
                .msg_hdr = { .msg_name = &t->rfrom[i], .msg_namelen = sizeof t->rfrom[i],
                             .msg_iov = &t->riov[i], .msg_iovlen = 1 }
            };
        /* recvfrom() for up to UDP_BATCH datagrams at once; each comes
         * with its sender's endpoint in msg_name. */
        int n = recvmmsg(t->fd, t->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return total;
            if (errno == EINTR)
                break;
            log_error("relay: recvmmsg: %s", strerror(errno));
            return -1;
        }
        /* They arrived after the socket was last empty, and by when the
         * kernel received the last of them. */
        relay_arrived(r, t->read_end_us, clock_socket_received_us(t->fd));
        for (int i = 0; i < n; i++)
            on_datagram(t, r, (unsigned)i);
        send_flush(t); /* without ticks: this batch's states, at once */
        total += n;
        if (n < UDP_BATCH)
            return total;
    }
    t->backlog = true;
    return total;
}

static bool udp_backlog(const void *ctx)
{
    const struct relay_udp *t = ctx;
    return t->backlog;
}

static void udp_tick(void *ctx, struct relay *r)
{
    struct relay_udp *t = ctx;
    t->relay = r;
    uint64_t now = clock_now_us();
    uint64_t limit = (uint64_t)t->cfg.timeout_ms * 1000;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++) {
        if (!t->slots[i].used || now - t->slots[i].last_us < limit)
            continue;
        /* Silence is the only sign a UDP client is gone. */
        relay_peer_gone(r, i, PROTO_LEFT_TIMEOUT, now);
        slot_free(t, i);
    }
    relay_sweep(r, now);
    send_flush(t);
}

/* Nothing is acknowledged: sending what is queued is all a goodbye takes. */
static void udp_drain(void *ctx, struct relay *r, int max_ms)
{
    struct relay_udp *t = ctx;
    (void)max_ms;
    t->relay = r;
    send_flush(t);
}

const struct relay_transport_ops relay_udp_ops = {
    .name = "udp",
    /* Every state is its own datagram anyway: a tick would only bunch the
     * sends (docs/benchmarks.md, "Tick batching"). */
    .default_tick_ms = 0,
    .create = udp_create,
    .core = udp_core,
    .address = udp_address,
    .fd = udp_fd_op,
    .service = udp_service,
    .backlog = udp_backlog,
    .tick = udp_tick,
    .drain = udp_drain,
    .destroy = udp_destroy,
};
