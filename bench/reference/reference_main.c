/* reference_main.c: reference-relay, the least a relay can do with the
 * datagrams of ricochet's plain-UDP edge, as the bench's yardstick
 * (docs/benchmarks.md, "The reference relay"): one UDP socket, recvmmsg()
 * into a batch of buffers, each datagram handed to the table
 * (reference.c: find the sender's room, stamp its id into the state, queue
 * it to the room's other members), then sendmmsg() of what was queued. With
 * --tick-ms it sleeps to each tick's end, then reads what came and sends
 * (as ricochet-relay reads in batches while it holds states, never waking
 * for each datagram); with --tick-ms 0 it waits for each datagram and sends
 * after each read. ricochet's
 * clients (libricochet, the bench's swarm) drive it unchanged: it takes
 * their join without a cookie and answers a welcome. Never a server: no
 * return routability, no limits, no timeouts. Not installed. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/wire.h"
#include "sys/clock.h"
#include "sys/dgram.h"
#include "sys/options.h"
#include "sys/signals.h"
#include "reference.h"

#define PROG "reference-relay"
#define READ_BATCH 64          /* datagrams one recvmmsg() takes, as the relay's edge */
#define READS_PER_TURN 16      /* recvmmsg() calls a turn without a tick, at most */
#define SEND_BATCH 1024        /* datagrams one sendmmsg() takes */
#define SOCKET_BUFFER (4 << 20) /* the relay's plain-UDP edge asks the same */

struct reference_options {
    char bind[64];
    unsigned port, tick_ms, max_members;
};

static const struct option_def option_defs[] = {
    {"bind", OPTION_STRING, offsetof(struct reference_options, bind), "127.0.0.1", 1, 64, NULL,
     "address to listen on (a yardstick for loopback runs)", 0, 0, 'b', NULL, NULL},
    {"port", OPTION_UINT, offsetof(struct reference_options, port),
     OPTION_DEF(PROTO_DEFAULT_PORT), 0, 65535, NULL,
     "UDP port; 0: any free one (see the 'listening on' line)", sizeof(unsigned), 0, 'p',
     NULL, NULL},
    {"tick-ms", OPTION_UINT, offsetof(struct reference_options, tick_ms), "2", 0, 1000, NULL,
     "send what was queued once a tick (ricochet-relay's default is 2); 0: after each read",
     sizeof(unsigned), 0, 0, NULL, NULL},
    {"max-members", OPTION_UINT, offsetof(struct reference_options, max_members), "65536", 2,
     1 << 24, NULL, "the table's size: members at once (and rooms)", sizeof(unsigned), 0, 0,
     NULL, NULL},
    {0},
};

static const struct options_program program = {
    .name = PROG,
    .summary = "The bench's reference relay: the least a relay can do with ricochet's "
               "plain-UDP datagrams (a room table, the sender's id stamped, recvmmsg and "
               "sendmmsg). A yardstick on loopback, not a server: it takes joins without "
               "return routability and has no limits.",
    .defs = option_defs,
};

static volatile sig_atomic_t stop;

/* Where the datagrams of one flush are described for sendmmsg(). */
struct sender {
    struct mmsghdr *msg;
    struct iovec *iov;
    size_t cap;
    uint64_t failed; /* datagrams the kernel did not take */
};

/* Sends every pending datagram of r on fd, then empties r's queue. */
static void flush(struct reference *r, int fd, struct sender *s)
{
    size_t n;
    const struct reference_out *out = reference_pending(r, &n);
    if (n > s->cap) {
        struct mmsghdr *msg = realloc(s->msg, n * sizeof *msg);
        struct iovec *iov = msg ? realloc(s->iov, n * sizeof *iov) : NULL;
        if (msg)
            s->msg = msg;
        if (iov)
            s->iov = iov;
        if (!msg || !iov) {
            s->failed += n;
            reference_sent(r);
            return;
        }
        s->cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        s->iov[i] = (struct iovec){(void *)out[i].buf, out[i].len};
        s->msg[i] = (struct mmsghdr){.msg_hdr = {.msg_name = (void *)&out[i].to->sa,
                                                  .msg_namelen = netaddr_len(out[i].to),
                                                  .msg_iov = &s->iov[i], .msg_iovlen = 1}};
    }
    for (size_t sent = 0; sent < n;) {
        unsigned chunk = n - sent < SEND_BATCH ? (unsigned)(n - sent) : SEND_BATCH;
        int rc = sendmmsg(fd, s->msg + sent, chunk, 0);
        if (rc > 0) {
            sent += (size_t)rc;
        } else if (rc < 0 && errno == EINTR) {
            continue;
        } else if (rc < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
            s->failed += n - sent; /* a full socket buffer: lost, as on a network */
            break;
        } else {
            s->failed++; /* the kernel refuses this one: skip it */
            sent++;
        }
    }
    reference_sent(r);
}

/* Reads what waits (at most max_reads batches) into the table; with no
 * tick, sends after each read. */
static void read_turn(struct reference *r, int fd, struct dgram_in *in, struct sender *s,
                      bool tick, int max_reads)
{
    for (int reads = 0; reads < max_reads; reads++) {
        int n = dgram_in_read(in, fd, PROG);
        if (n <= 0)
            return;
        uint64_t now = clock_now_us();
        for (int i = 0; i < n; i++)
            if (!(in->msg[i].msg_hdr.msg_flags & MSG_TRUNC))
                reference_datagram(r, &in->from[i], in->iov[i].iov_base, in->msg[i].msg_len,
                                   now);
        if (!tick)
            flush(r, fd, s);
        if (n < (int)in->cap)
            return;
    }
}

/* The loop: with a tick, sleep to its end, read everything that came,
 * send; without, wait for a datagram, read, send. */
static void serve(struct reference *r, int fd, struct dgram_in *in, unsigned tick_ms)
{
    struct sender s = {0};
    uint64_t tick_us = (uint64_t)tick_ms * 1000u, next = clock_now_us() + tick_us;
    while (!stop) {
        if (!tick_us) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, -1) > 0)
                read_turn(r, fd, in, &s, false, READS_PER_TURN);
            continue;
        }
        clock_sleep_until_us(next); /* a stop waits for the tick's end */
        read_turn(r, fd, in, &s, true, INT32_MAX);
        flush(r, fd, &s);
        uint64_t now = clock_now_us();
        next += tick_us;
        if (next <= now) /* fell behind: the next tick from now */
            next = now + tick_us;
    }
    flush(r, fd, &s);
    struct reference_counts c = reference_counts(r);
    printf("%s: %llu states in, %llu deliveries in %llu datagrams (%llu not sent), "
           "%llu datagrams dropped, %llu members left\n", PROG, (unsigned long long)c.states,
           (unsigned long long)c.deliveries, (unsigned long long)c.datagrams,
           (unsigned long long)s.failed, (unsigned long long)c.dropped,
           (unsigned long long)c.members);
    free(s.msg);
    free(s.iov);
}

int main(int argc, char **argv)
{
    struct reference_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    options_checked(&program);
    union netaddr local;
    char err[256], where[NETADDR_STR_MAX];
    int fd = dgram_bind(o.bind, (uint16_t)o.port, SOCKET_BUFFER, &local, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "%s: error: %s\n", PROG, err);
        return 1;
    }
    struct reference *r = reference_new(o.max_members);
    struct dgram_in in;
    if (!r || dgram_in_init(&in, READ_BATCH, PROTO_STATE_MAX + 1) != 0) {
        fprintf(stderr, "%s: error: out of memory for %u members\n", PROG, o.max_members);
        return 1;
    }
    signals_install(&stop, NULL, NULL);
    /* the line ricochet-bench and the scripts wait for, as the relay's */
    fprintf(stderr, "listening on %s (udp)\n", netaddr_format(&local, where, sizeof where));
    serve(r, fd, &in, o.tick_ms);
    dgram_in_free(&in);
    reference_free(r);
    return 0;
}
