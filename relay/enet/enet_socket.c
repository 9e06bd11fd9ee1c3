/* enet_socket.c: ENet's socket calls, taken over by the relay (see
 * enet_socket.h).
 *
 * Debian's libenet.so.7 calls enet_socket_send and enet_socket_receive
 * through its PLT, so a program that defines them itself gets ENet's calls:
 * this file's definitions win (symbol interposition; ENet is not patched).
 * For a socket the relay adopted they read a batch with one recvmmsg and
 * hand ENet one datagram a call, and gather ENet's sends (copied: ENet
 * frees a packet once "sent") for one sendmmsg at the flush, which the
 * relay's loop calls once a turn. A send to an address that has not shown
 * it receives there goes only within what that source sent
 * (enet_ledger.h); what does not go is counted and reported sent, as if
 * lost on the wire, so ENet resends it as it would. Other sockets (an ENet
 * client in the same process: the tests) work as ENet's unix.c does.
 *
 * The catches:
 *   - Only these two calls are ours. enet_socket_wait (enet_host_service
 *     with a timeout) polls the kernel, which no longer shows datagrams
 *     already read into a batch: the relay services with timeout 0 and,
 *     while enet_socket_pending, services again without waiting.
 *   - It works for a program linked against libenet.so: the definitions
 *     must be in the executable (they are pulled in with enet_socket_adopt)
 *     and exported, which the linker does for a symbol a shared library it
 *     links also defines. A static libenet would call its own.
 *   - ENet 1.3 speaks IPv4 only; so does this.
 *   - A sent datagram leaves at the flush, not at ENet's call: ENet's
 *     round-trip times include the rest of that turn (tens of µs).
 *   - ENet's calls carry the socket and nothing else, so the adopted
 *     sockets are found in a small table of this file's, unlocked: a
 *     program adopts and releases them on the thread of its loop, before
 *     and after any other thread's ENet host could read it. */
#include "enet_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/enet/enet_wire.h"
#include "sys/clock.h"
#include "enet_ledger.h"

#define DATAGRAM_MAX ENET_PROTOCOL_MAXIMUM_MTU /* ENet's receive buffer and largest send */

struct rx_slot {
    uint8_t data[DATAGRAM_MAX];
    uint8_t control[CLOCK_STAMP_CONTROL];
    struct sockaddr_in from;
};

struct tx_slot {
    uint8_t data[DATAGRAM_MAX];
    struct sockaddr_in to;
};

struct adopted {
    int fd;                        /* -1: a free entry */
    enet_socket_proven_fn proven;
    void *ctx;
    struct mmsghdr rx_msg[ENET_SOCKET_RX_BATCH];
    struct iovec rx_iov[ENET_SOCKET_RX_BATCH];
    struct rx_slot rx[ENET_SOCKET_RX_BATCH];
    unsigned rx_n, rx_next;        /* read by the last recvmmsg; handed to ENet */
    bool rx_short;                 /* that read took fewer than a batch: the socket was
                                      empty then, no call needed to find it so */
    uint64_t rx_us;                /* when it was made (the ledger's clock) */
    uint64_t received_us;          /* the stamp of the last handed to ENet */
    struct mmsghdr tx_msg[ENET_SOCKET_TX_BATCH];
    struct iovec tx_iov[ENET_SOCKET_TX_BATCH];
    struct tx_slot tx[ENET_SOCKET_TX_BATCH];
    unsigned tx_n;                 /* gathered since the last flush */
    struct enet_socket_counts counts;
    struct enet_ledger ledger;
};

static struct adopted *adopted[ENET_SOCKET_ADOPTED_MAX];

static struct adopted *find(int fd)
{
    for (size_t i = 0; i < ENET_SOCKET_ADOPTED_MAX; i++)
        if (adopted[i] && adopted[i]->fd == fd)
            return adopted[i];
    return NULL;
}

int enet_socket_adopt(int fd, enet_socket_proven_fn proven, void *ctx)
{
    size_t i = 0;
    while (i < ENET_SOCKET_ADOPTED_MAX && adopted[i])
        i++;
    if (i == ENET_SOCKET_ADOPTED_MAX || find(fd)) {
        errno = EBUSY;
        return -1;
    }
    struct adopted *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    if (clock_stamp_socket(fd) != 0) {
        free(a);
        return -1;
    }
    *a = (struct adopted){.fd = fd, .proven = proven, .ctx = ctx};
    enet_ledger_init(&a->ledger);
    adopted[i] = a;
    return 0;
}

void enet_socket_release(int fd)
{
    for (size_t i = 0; i < ENET_SOCKET_ADOPTED_MAX; i++)
        if (adopted[i] && adopted[i]->fd == fd) {
            enet_socket_flush(fd);
            free(adopted[i]);
            adopted[i] = NULL;
        }
}

/* ---- receiving -------------------------------------------------------- */

/* Reads the next batch; its count, 0 if the socket is empty, -1 on error. */
static int read_batch(struct adopted *a)
{
    for (unsigned i = 0; i < ENET_SOCKET_RX_BATCH; i++) {
        a->rx_iov[i] = (struct iovec){.iov_base = a->rx[i].data, .iov_len = DATAGRAM_MAX};
        a->rx_msg[i].msg_hdr = (struct msghdr){
            .msg_name = &a->rx[i].from, .msg_namelen = sizeof a->rx[i].from,
            .msg_iov = &a->rx_iov[i], .msg_iovlen = 1,
            .msg_control = a->rx[i].control, .msg_controllen = sizeof a->rx[i].control};
    }
    int n = recvmmsg(a->fd, a->rx_msg, ENET_SOCKET_RX_BATCH, MSG_DONTWAIT, NULL);
    a->rx_n = a->rx_next = 0;
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    a->rx_n = (unsigned)n;
    a->rx_short = n < ENET_SOCKET_RX_BATCH;
    a->rx_us = clock_now_us();
    a->counts.recvmmsg_calls += n > 0;
    return n;
}

/* Copies len bytes into ENet's buffers; false if they do not fit. */
static bool scatter(const uint8_t *data, size_t len, ENetBuffer *buffers, size_t count)
{
    for (size_t i = 0; i < count && len; i++) {
        size_t n = len < buffers[i].dataLength ? len : buffers[i].dataLength;
        memcpy(buffers[i].data, data, n);
        data += n, len -= n;
    }
    return len == 0;
}

/* The next datagram of a's batches for ENet, as ENet's call returns it;
 * one that does not fit ENet's buffers is counted and skipped (ENet's
 * own call fails, and with it the whole service). */
static int receive_adopted(struct adopted *a, ENetAddress *address, ENetBuffer *buffers,
                           size_t count)
{
    for (;;) {
        if (a->rx_next == a->rx_n && a->rx_short) {
            /* ENet stops reading at this 0; its next service reads again. */
            a->rx_short = false;
            return 0;
        }
        if (a->rx_next == a->rx_n) {
            int n = read_batch(a);
            if (n <= 0)
                return n;
        }
        struct mmsghdr *m = &a->rx_msg[a->rx_next];
        struct rx_slot *s = &a->rx[a->rx_next++];
        union netaddr from = {.v4 = s->from};
        enet_ledger_received(&a->ledger, &from, m->msg_len, a->rx_us);
        if ((m->msg_hdr.msg_flags & MSG_TRUNC) ||
            !scatter(s->data, m->msg_len, buffers, count)) {
            a->counts.truncated++;
            continue;
        }
        if (address) {
            address->host = s->from.sin_addr.s_addr;
            address->port = ntohs(s->from.sin_port);
        }
        a->received_us = clock_msg_received_us(&m->msg_hdr);
        return (int)m->msg_len;
    }
}

/* ENet's own (unix.c), for a socket not adopted. */
static int receive_plain(ENetSocket fd, ENetAddress *address, ENetBuffer *buffers,
                         size_t count)
{
    struct sockaddr_in sin;
    struct msghdr h = {.msg_iov = (struct iovec *)buffers, .msg_iovlen = count};
    if (address) {
        h.msg_name = &sin;
        h.msg_namelen = sizeof sin;
    }
    ssize_t n = recvmsg(fd, &h, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EWOULDBLOCK ? 0 : -1;
    if (h.msg_flags & MSG_TRUNC)
        return -1;
    if (address) {
        address->host = sin.sin_addr.s_addr;
        address->port = ntohs(sin.sin_port);
    }
    return (int)n;
}

/* Exported whatever -fvisibility says: libenet's calls must find them. */
#define INTERPOSED __attribute__((visibility("default")))

INTERPOSED int enet_socket_receive(ENetSocket fd, ENetAddress *address, ENetBuffer *buffers,
                        size_t count)
{
    struct adopted *a = find(fd);
    return a ? receive_adopted(a, address, buffers, count)
             : receive_plain(fd, address, buffers, count);
}

/* ---- sending ---------------------------------------------------------- */

static size_t buffers_length(const ENetBuffer *buffers, size_t count)
{
    size_t len = 0;
    for (size_t i = 0; i < count; i++)
        len += buffers[i].dataLength;
    return len;
}

static struct sockaddr_in sockaddr_of(const ENetAddress *address)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(address->port)};
    sin.sin_addr.s_addr = address->host;
    return sin;
}

/* Does datagram d (len bytes; the relay's host has no checksum) carry
 * acknowledgements alone? */
static bool acks_only(const uint8_t *d, size_t len)
{
    struct enet_wire_header h;
    struct enet_wire_command c;
    if (enet_wire_header(d, len, 0, &h) != 0)
        return false;
    size_t off = h.size;
    int rc;
    while ((rc = enet_wire_next(d, len, &off, &c)) == 1)
        if (c.command != ENET_PROTOCOL_COMMAND_ACKNOWLEDGE)
            return false;
    return rc == 0 && off > h.size;
}

/* May datagram d go to `to`: has it shown its address, or is it owed d? */
static bool may_send(struct adopted *a, const ENetAddress *to, const uint8_t *d, size_t len)
{
    if (a->proven && a->proven(a->ctx, to))
        return true;
    union netaddr dest = {.v4 = sockaddr_of(to)};
    return enet_ledger_spend(&a->ledger, &dest, len, acks_only(d, len) ? LEDGER_KEEP : 0,
                             clock_now_us());
}

static int send_adopted(struct adopted *a, const ENetAddress *to, const ENetBuffer *buffers,
                        size_t count)
{
    size_t len = buffers_length(buffers, count);
    if (len > DATAGRAM_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    struct tx_slot *s = &a->tx[a->tx_n];
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(s->data + off, buffers[i].data, buffers[i].dataLength);
        off += buffers[i].dataLength;
    }
    if (!may_send(a, to, s->data, len)) {
        a->counts.withheld++;
        a->counts.withheld_bytes += len;
        return (int)len;
    }
    s->to = sockaddr_of(to);
    a->tx_iov[a->tx_n] = (struct iovec){.iov_base = s->data, .iov_len = len};
    a->tx_msg[a->tx_n].msg_hdr = (struct msghdr){
        .msg_name = &s->to, .msg_namelen = sizeof s->to,
        .msg_iov = &a->tx_iov[a->tx_n], .msg_iovlen = 1};
    if (++a->tx_n == ENET_SOCKET_TX_BATCH)
        enet_socket_flush(a->fd); /* full: nothing waits for room */
    return (int)len;
}

/* ENet's own (unix.c), for a socket not adopted or an unaddressed send. */
static int send_plain(ENetSocket fd, const ENetAddress *address, const ENetBuffer *buffers,
                      size_t count)
{
    struct sockaddr_in sin;
    struct msghdr h = {.msg_iov = (struct iovec *)buffers, .msg_iovlen = count};
    if (address) {
        sin = sockaddr_of(address);
        h.msg_name = &sin;
        h.msg_namelen = sizeof sin;
    }
    ssize_t n = sendmsg(fd, &h, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EWOULDBLOCK ? 0 : -1;
    return (int)n;
}

INTERPOSED int enet_socket_send(ENetSocket fd, const ENetAddress *address, const ENetBuffer *buffers,
                     size_t count)
{
    struct adopted *a = find(fd);
    return a && address ? send_adopted(a, address, buffers, count)
                        : send_plain(fd, address, buffers, count);
}

size_t enet_socket_flush(int fd)
{
    struct adopted *a = find(fd);
    size_t refused = 0;
    int why = 0;
    if (!a)
        return 0;
    for (unsigned i = 0; i < a->tx_n;) {
        int n = sendmmsg(fd, a->tx_msg + i, a->tx_n - i, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            a->counts.sendmmsg_calls++;
            a->counts.sent += (unsigned)n;
            i += (unsigned)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            a->counts.send_full += a->tx_n - i;
            break; /* the socket's buffer is full: the rest are lost, as ENet's would be */
        } else {
            why = errno; /* the kernel refused this one: lost; the rest go */
            refused++;
            i++;
        }
    }
    a->tx_n = 0;
    a->counts.refused += refused;
    if (refused)
        a->counts.refused_errno = why;
    return refused;
}

uint64_t enet_socket_received_us(int fd)
{
    const struct adopted *a = find(fd);
    return a ? a->received_us : 0;
}

bool enet_socket_pending(int fd)
{
    const struct adopted *a = find(fd);
    return a && a->rx_next < a->rx_n;
}

struct enet_socket_counts enet_socket_counts(int fd)
{
    const struct adopted *a = find(fd);
    return a ? a->counts : (struct enet_socket_counts){0};
}
