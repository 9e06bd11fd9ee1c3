/* dgram.h: a bound UDP socket and its datagrams in and out in batches,
 * as every datagram edge of the relay reads them (udp, webrtc, quic) and
 * those with many sessions behind one socket write them: one recvmmsg()
 * into a batch of buffers, each datagram with its kernel receive stamp,
 * and a queue of datagrams (copied in, or written in place) that leaves in
 * as few sendmmsg() calls as the kernel allows. Memory is allocated once,
 * at init; nothing here blocks (the sockets are non-blocking). */
#ifndef RICOCHET_DGRAM_H
#define RICOCHET_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "clock.h"
#include "netaddr.h"

/* A non-blocking UDP socket bound to host:port (host NULL or "": 0.0.0.0;
 * port 0: a free one), its kernel buffers asked for buffer_bytes each,
 * each datagram stamped when the kernel receives it (clock_stamp_socket),
 * the address bound (the port a 0 got) into *local. Returns the socket, or
 * -1 with a one-line message in err. */
int dgram_bind(const char *host, uint16_t port, int buffer_bytes, union netaddr *local,
               char *err, size_t err_cap);

/* A batch of datagrams read: datagram i is msg[i].msg_len bytes at
 * iov[i].iov_base, from from[i] (the sockaddr as the kernel wrote it,
 * msg[i].msg_hdr.msg_namelen long; MSG_TRUNC in msg[i].msg_hdr.msg_flags
 * when it was longer than a buffer). */
struct dgram_in {
    unsigned cap;          /* datagrams one read takes, at most */
    size_t size;           /* bytes of each buffer */
    uint8_t *buf;          /* cap buffers of size bytes */
    struct mmsghdr *msg;
    struct iovec *iov;
    union netaddr *from;
    uint8_t *control;      /* cap control buffers of CLOCK_STAMP_CONTROL bytes */
};

/* cap buffers of size bytes. Returns 0, or -1 (out of memory; b is then
 * safe to free). */
int dgram_in_init(struct dgram_in *b, unsigned cap, size_t size);
void dgram_in_free(struct dgram_in *b);

/* One recvmmsg() on fd, without waiting. Returns the datagrams read, 0
 * when none waited (or a signal came first), or -1 on a socket error,
 * logged as "relay: WHO: recvmmsg: ...". */
int dgram_in_read(struct dgram_in *b, int fd, const char *who);

/* When the kernel received datagram i of the batch read, on clock_now_us's
 * clock (0: its socket stamps nothing: dgram_bind's do). */
uint64_t dgram_in_received_us(const struct dgram_in *b, int i);

/* Datagram i of the batch read: its bytes and its sender. Returns false
 * for one not to be read: from an address of no family we know, or cut
 * short (longer than a buffer: counted in *too_long). */
bool dgram_in_take(struct dgram_in *b, int i, const uint8_t **bytes, size_t *len,
                   const union netaddr **from, uint64_t *too_long);

/* Datagrams waiting to go out, each to its own address. */
struct dgram_out {
    unsigned cap, n;       /* datagrams the queue holds, at most; queued */
    size_t size;           /* bytes of each datagram, at most */
    uint8_t *buf;          /* cap datagrams of size bytes */
    struct mmsghdr *msg;
    struct iovec *iov;
    union netaddr *to;
};

/* Room for cap datagrams of size bytes. Returns 0, or -1 (out of memory;
 * q is then safe to free). */
int dgram_out_init(struct dgram_out *q, unsigned cap, size_t size);
void dgram_out_free(struct dgram_out *q);

/* The next datagram's buffer (size bytes), to be written in place and
 * then queued with dgram_out_add. Requires q->n < q->cap. */
uint8_t *dgram_out_slot(const struct dgram_out *q);

/* Queues len bytes of data to `to`: data is dgram_out_slot's buffer, or is
 * copied into it. Requires q->n < q->cap and len <= q->size. */
void dgram_out_add(struct dgram_out *q, const union netaddr *to, const uint8_t *data,
                   size_t len);

/* Sends the queue in order on fd, then empties it. A full socket buffer
 * fails what is left (lost, as on any network); a datagram the kernel
 * refuses (EMSGSIZE, EPERM, ...) is skipped, logged at debug as
 * "relay: WHO: sendmmsg: ...". Returns the datagrams that failed (fd < 0,
 * a socket already closed: none sent, none failed). */
unsigned dgram_out_send(struct dgram_out *q, int fd, const char *who);

/* The send loop under dgram_out_send and the plain-UDP edge's
 * (relay/udp/transport_udp_send.c): msgs[0..n) on fd through send
 * (sendmmsg(2), or a stand-in with its contract: the number sent, in
 * order, or -1 with errno when the first one failed). EINTR retries; a
 * datagram the kernel refuses (EMSGSIZE, EPERM, ...) is skipped; a full
 * socket buffer (EAGAIN, or nothing sent) fails it and all after it; both
 * logged at debug as "relay: WHO: sendmmsg: ...". Returns what failed,
 * each datagram counted as weight(it) (NULL: 1). */
unsigned dgram_send_all(int fd, struct mmsghdr *msgs, unsigned n,
                        int (*send)(int, struct mmsghdr *, unsigned, int),
                        unsigned (*weight)(const struct mmsghdr *), const char *who);

#endif
