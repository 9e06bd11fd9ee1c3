/* dgram.c: datagrams in and out of one UDP socket in batches (dgram.h). */
#include "dgram.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int dgram_bind(const char *host, uint16_t port, int buffer_bytes, union netaddr *local,
               char *err, size_t err_cap)
{
    if (netaddr_resolve_bind(host, port, local, err, err_cap) != 0)
        return -1;
    int fd = netaddr_udp_socket(local, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_cap, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
    clock_stamp_socket(fd); /* each datagram's arrival, with it: no ioctl a batch */
    socklen_t len = sizeof *local;
    if (bind(fd, &local->sa, netaddr_len(local)) != 0 ||
        getsockname(fd, &local->sa, &len) != 0) {
        char at[NETADDR_STR_MAX];
        snprintf(err, err_cap, "bind %s: %s", netaddr_format(local, at, sizeof at),
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int dgram_in_init(struct dgram_in *b, unsigned cap, size_t size)
{
    *b = (struct dgram_in){.cap = cap, .size = size};
    b->buf = malloc((size_t)cap * size);
    b->msg = calloc(cap, sizeof *b->msg);
    b->iov = calloc(cap, sizeof *b->iov);
    b->from = calloc(cap, sizeof *b->from);
    b->control = calloc(cap, CLOCK_STAMP_CONTROL);
    if (!b->buf || !b->msg || !b->iov || !b->from || !b->control)
        return -1;
    for (unsigned i = 0; i < cap; i++)
        b->iov[i] = (struct iovec){.iov_base = b->buf + (size_t)i * size, .iov_len = size};
    return 0;
}

void dgram_in_free(struct dgram_in *b)
{
    free(b->buf);
    free(b->msg);
    free(b->iov);
    free(b->from);
    free(b->control);
    *b = (struct dgram_in){0};
}

int dgram_in_read(struct dgram_in *b, int fd, const char *who)
{
    for (unsigned i = 0; i < b->cap; i++)
        b->msg[i] = (struct mmsghdr){
            .msg_hdr = {.msg_name = &b->from[i], .msg_namelen = sizeof b->from[i],
                        .msg_iov = &b->iov[i], .msg_iovlen = 1,
                        .msg_control = b->control + (size_t)i * CLOCK_STAMP_CONTROL,
                        .msg_controllen = CLOCK_STAMP_CONTROL}};
    int n = recvmmsg(fd, b->msg, b->cap, MSG_DONTWAIT, NULL);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    log_error("relay: %s: recvmmsg: %s", who, strerror(errno));
    return -1;
}

uint64_t dgram_in_received_us(const struct dgram_in *b, int i)
{
    return clock_msg_received_us(&b->msg[i].msg_hdr);
}

bool dgram_in_take(struct dgram_in *b, int i, const uint8_t **bytes, size_t *len,
                   const union netaddr **from, uint64_t *too_long)
{
    const struct msghdr *h = &b->msg[i].msg_hdr;
    union netaddr *a = &b->from[i];
    if (netaddr_from_sockaddr(a, &a->sa, h->msg_namelen) != 0)
        return false;
    if (h->msg_flags & MSG_TRUNC) {
        (*too_long)++;
        return false;
    }
    *bytes = b->iov[i].iov_base;
    *len = b->msg[i].msg_len;
    *from = a;
    return true;
}

int dgram_out_init(struct dgram_out *q, unsigned cap, size_t size)
{
    *q = (struct dgram_out){.cap = cap, .size = size};
    q->buf = malloc((size_t)cap * size);
    q->msg = calloc(cap, sizeof *q->msg);
    q->iov = calloc(cap, sizeof *q->iov);
    q->to = calloc(cap, sizeof *q->to);
    return q->buf && q->msg && q->iov && q->to ? 0 : -1;
}

void dgram_out_free(struct dgram_out *q)
{
    free(q->buf);
    free(q->msg);
    free(q->iov);
    free(q->to);
    *q = (struct dgram_out){0};
}

uint8_t *dgram_out_slot(const struct dgram_out *q)
{
    return q->buf + (size_t)q->n * q->size;
}

void dgram_out_add(struct dgram_out *q, const union netaddr *to, const uint8_t *data,
                   size_t len)
{
    unsigned k = q->n++;
    uint8_t *copy = q->buf + (size_t)k * q->size;
    if (copy != data)
        memcpy(copy, data, len);
    q->to[k] = *to;
    q->iov[k] = (struct iovec){.iov_base = copy, .iov_len = len};
    q->msg[k] = (struct mmsghdr){
        .msg_hdr = {.msg_name = &q->to[k], .msg_namelen = netaddr_len(&q->to[k]),
                    .msg_iov = &q->iov[k], .msg_iovlen = 1}};
}

unsigned dgram_send_all(int fd, struct mmsghdr *msgs, unsigned n,
                        int (*send)(int, struct mmsghdr *, unsigned, int),
                        unsigned (*weight)(const struct mmsghdr *), const char *who)
{
    unsigned off = 0, failed = 0;
    while (off < n) {
        /* sendmmsg sends in order and stops at the first failure: it
         * returns how many went, or -1 when the very first one failed */
        int sent = send(fd, msgs + off, n - off, 0);
        if (sent > 0) {
            off += (unsigned)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            /* a full socket buffer: the rest would fail alike */
            log_debug("relay: %s: sendmmsg: %s: %u datagrams dropped", who,
                      sent == 0 ? "nothing sent" : strerror(errno), n - off);
            for (; off < n; off++)
                failed += weight ? weight(&msgs[off]) : 1;
            break;
        }
        log_debug("relay: %s: sendmmsg: %s", who, strerror(errno)); /* this one refused */
        failed += weight ? weight(&msgs[off]) : 1;
        off++;
    }
    return failed;
}

unsigned dgram_out_send(struct dgram_out *q, int fd, const char *who)
{
    unsigned failed = fd >= 0 ? dgram_send_all(fd, q->msg, q->n, sendmmsg, NULL, who) : 0;
    q->n = 0;
    return failed;
}
