/* bench_limit.c: the machine's datagram limit (ricochet-bench
 * --datagram-limit): how many small datagrams one thread moves through
 * loopback per second, sent with sendmmsg and received with recvmmsg, so
 * the relay's deliveries per second per core can be read against it. */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"

#define LIMIT_BATCH 64

/* Sends batches of 40-byte datagrams from one socket to another and reads
 * them back, for ms milliseconds. Returns datagrams per second sent (and
 * received: the two are within one batch), or -1 with errno. */
double bench_datagram_limit(long ms)
{
    int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    double rate = -1;
    if (tx < 0 || rx < 0 || bind(rx, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(rx, (struct sockaddr *)&a, &alen) != 0 ||
        connect(tx, (struct sockaddr *)&a, sizeof a) != 0)
        goto out;
    uint8_t buf[LIMIT_BATCH][64];
    struct iovec iov[LIMIT_BATCH];
    struct mmsghdr msg[LIMIT_BATCH];
    uint64_t moved = 0;
    uint64_t t0 = clock_now_us(), end = t0 + (uint64_t)ms * 1000u;
    while (clock_now_us() < end) {
        for (int i = 0; i < LIMIT_BATCH; i++) {
            iov[i] = (struct iovec){.iov_base = buf[i], .iov_len = 40};
            msg[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
        }
        int sent = sendmmsg(tx, msg, LIMIT_BATCH, 0);
        if (sent < 0 && errno != EINTR && errno != ENOBUFS)
            goto out;
        for (int i = 0; i < LIMIT_BATCH; i++)
            iov[i].iov_len = sizeof buf[i];
        int got = recvmmsg(rx, msg, LIMIT_BATCH, MSG_DONTWAIT, NULL);
        if (got > 0)
            moved += (uint64_t)got;
    }
    rate = (double)moved * 1e6 / (double)(clock_now_us() - t0);
out:
    if (tx >= 0)
        close(tx);
    if (rx >= 0)
        close(rx);
    return rate;
}
