/* netsim_ip.c: ricochet-netsim's IP mode: two TUN devices instead of
 * sockets (see netsim_ip.h). */
#include "netsim_ip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/log.h"
#include "ippacket.h"
#include "statescan.h"
#include "tcpstream.h"
#include "tun.h"

#define IP_READ_BATCH 256 /* packets read per device per loop turn */

/* The namespace a path names, as (device, inode); false if it names none. */
static bool netns_id(const char *path, struct stat *st)
{
    return stat(path, st) == 0;
}

/* Refuses netsim's own namespace (a typo, or a namespace not made yet,
 * would put a device among the host's own interfaces) and one namespace
 * for both sides. Returns 0, or -1 (logged). */
static int sides_check(const struct netsim_options *cfg)
{
    struct stat own, c, r;
    if (!netns_id("/proc/thread-self/ns/net", &own) || !netns_id(cfg->client_netns, &c) ||
        !netns_id(cfg->relay_netns, &r))
        return 0; /* tun_open_in says what it cannot open */
    const char *which = c.st_ino == own.st_ino && c.st_dev == own.st_dev ? "--client-netns"
                        : r.st_ino == own.st_ino && r.st_dev == own.st_dev ? "--relay-netns"
                                                                            : NULL;
    if (which) {
        log_error("netsim: %s %s is netsim's own network namespace: IP mode wires two others, "
                  "never this one's interfaces", which,
                  which[2] == 'c' ? cfg->client_netns : cfg->relay_netns);
        return -1;
    }
    if (c.st_ino == r.st_ino && c.st_dev == r.st_dev) {
        log_error("netsim: --client-netns and --relay-netns name one namespace: IP mode needs "
                  "two");
        return -1;
    }
    return 0;
}

int netsim_ip_open(struct netsim_proxy *px, const struct netsim_setup *setup)
{
    char err[256];
    (void)setup;
    if (sides_check(&px->cfg) < 0)
        return -1;
    px->tun_fd[NETSIM_UP] = tun_open_in(px->cfg.client_netns, NETSIM_IP_CLIENT, err, sizeof err);
    if (px->tun_fd[NETSIM_UP] < 0) {
        log_error("netsim: --client-netns %s", err);
        return -1;
    }
    px->tun_fd[NETSIM_DOWN] = tun_open_in(px->cfg.relay_netns, NETSIM_IP_RELAY, err, sizeof err);
    if (px->tun_fd[NETSIM_DOWN] < 0) {
        log_error("netsim: --relay-netns %s", err);
        return -1;
    }
    return 0;
}

void netsim_ip_close(struct netsim_proxy *px)
{
    for (int i = 0; i < NETSIM_DIRS; i++) {
        if (px->tun_fd[i] >= 0)
            close(px->tun_fd[i]);
        px->tun_fd[i] = -1;
    }
}

/* The flow's endpoint: the client side's address and port. */
static void client_endpoint(const struct ippacket *p, enum netsim_dir dir, union netaddr *out)
{
    if (dir == NETSIM_UP)
        ippacket_endpoint(p->src, p->sport, out);
    else
        ippacket_endpoint(p->dst, p->dport, out);
}

/* Carried: IPv4 between two addresses of the benchmarking range, the
 * reading side's to the other's (anything else a kernel routes into its
 * device, a default route's traffic, is not the run's). */
static bool carried(const struct ippacket *p)
{
    return ippacket_in_bench_range(p->src) && ippacket_in_bench_range(p->dst) &&
           p->src != p->dst;
}

/* The flow of the packet's client endpoint and protocol, a new one, or the
 * last slot (shared, counted as refused) once --max-flows are in use. */
static size_t flow_of(struct netsim_proxy *px, const struct ippacket *p, enum netsim_dir dir,
                      uint64_t now)
{
    union netaddr ep;
    client_endpoint(p, dir, &ep);
    size_t max = (size_t)px->cfg.max_flows, free_at = max;
    for (size_t i = 0; i < max; i++) {
        struct netsim_flow *f = &px->flows[i];
        if (f->used && f->proto == p->proto && netaddr_equal(&f->client, &ep))
            return i;
        if (!f->used && free_at == max)
            free_at = i;
    }
    if (free_at == max) {
        if (px->counts.flows_refused++ == 0)
            log_warn("netsim: %zu flows in use: packets of further endpoints share one "
                     "(see --max-flows)", max);
        return max;
    }
    px->flows[free_at] = (struct netsim_flow){
        .used = true, .client = ep, .proto = p->proto, .fd = -1, .last_us = now};
    flowscan_init(&px->flows[free_at].scan, px->cfg.wire);
    /* the frames of a TCP stream, for the drop log and paired loss (none if
     * out of memory: the segments are logged all the same, and draw) */
    if (p->proto == IPPACKET_TCP && (px->drop_log || px->cfg.paired_loss))
        px->flows[free_at].stream = calloc(NETSIM_DIRS, sizeof(struct tcpstream));
    px->counts.flows++;
    px->counts.flows_created++;
    return free_at;
}

/* What a state found in a stream is logged with. */
struct stream_log {
    struct netsim_proxy *px;
    enum netsim_dir dir;
    uint64_t now;
    char flow[NETADDR_STR_MAX];
};

static void stream_state(void *ctx, const struct statescan_ref *ref, uint32_t start,
                         uint32_t end)
{
    struct stream_log *l = ctx;
    if (l->px->drop_log)
        droplog_stream_state(l->px->drop_log, &l->px->drop_counts, l->dir, l->flow, l->now,
                             ref, start, end);
    if (l->px->stream_n < STATESCAN_MAX) /* new by construction: its frame's end is */
        l->px->stream_seqs[l->px->stream_n++] = ref->seq;
}

/* --drop-log and --paired-loss: the states a TCP segment completes, the
 * first time it is seen (px->stream_seqs); a UDP packet's payload as it
 * arrives (flowscan_arrived: a QUIC flow's streams). */
static void stream_read(struct netsim_proxy *px, struct netsim_flow *f, const struct ippacket *p,
                        enum netsim_dir dir, uint64_t now)
{
    px->stream_n = 0;
    if (p->proto == IPPACKET_UDP && p->ports && (px->drop_log || px->cfg.paired_loss))
        flowscan_arrived(&f->scan, px->keylog, dir, px->buf + p->payload_off, p->payload_len);
    if (!f->stream || !p->ports)
        return;
    struct stream_log l = {.px = px, .dir = dir, .now = now};
    netaddr_format(&f->client, l.flow, sizeof l.flow);
    tcpstream_segment(&f->stream[dir], p, px->buf + p->payload_off, stream_state, &l);
}

size_t netsim_ip_read(struct netsim_proxy *px, enum netsim_dir dir, uint64_t now, size_t *flow)
{
    for (;;) {
        ssize_t len = read(px->tun_fd[dir], px->buf, sizeof px->buf);
        if (len < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                px->counts.recv_errors[dir]++;
                log_debug("netsim: read %s: %s", netsim_dir_name(dir), strerror(errno));
            }
            return 0;
        }
        struct ippacket p;
        if (len == 0 || ippacket_parse(px->buf, (size_t)len, &p) != 0 || !carried(&p)) {
            px->counts.stray[dir]++;
            continue;
        }
        *flow = flow_of(px, &p, dir, now);
        stream_read(px, &px->flows[*flow], &p, dir, now);
        return (size_t)len;
    }
}

long netsim_ip_send(struct netsim_proxy *px, const struct netsim_datagram *dg)
{
    int to = px->tun_fd[dg->dir == NETSIM_UP ? NETSIM_DOWN : NETSIM_UP];
    return (long)write(to, dg->bytes, dg->len);
}

size_t netsim_ip_first_states(struct netsim_proxy *px, struct netsim_flow *f,
                              enum netsim_dir dir, const unsigned char *bytes, size_t len,
                              uint32_t *seqs)
{
    struct ippacket p;
    if (ippacket_parse(bytes, len, &p) != 0 || !p.ports)
        return 0;
    if (p.proto == IPPACKET_TCP) {
        memcpy(seqs, px->stream_seqs, px->stream_n * sizeof *seqs);
        return px->stream_n;
    }
    if (p.proto != IPPACKET_UDP)
        return 0;
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = flowscan_datagram(&f->scan, px->keylog, dir,
                                                  bytes + p.payload_off, p.payload_len, refs);
    return flowscan_first(&f->scan, dir, &r, refs, seqs);
}

/* Is p the client's first bare ACK, the last of the handshake (SYN,
 * SYN-ACK, ACK)? Logged once a flow, so that a student sees all three. */
static bool handshake_ack(struct netsim_flow *f, enum netsim_dir dir, const struct ippacket *p)
{
    if (dir != NETSIM_UP || f->handshake_acked || p->seq_len > 0 || p->flags != IPPACKET_ACK)
        return false;
    f->handshake_acked = true;
    return true;
}

void netsim_ip_log(struct netsim_proxy *px, struct netsim_flow *f, enum droplog_event ev,
                   enum netsim_dir dir, uint64_t now, uint64_t delay_us,
                   const unsigned char *bytes, size_t len)
{
    struct ippacket p;
    if (ippacket_parse(bytes, len, &p) != 0 || !p.ports)
        return;
    union netaddr ep;
    char flow[NETADDR_STR_MAX];
    client_endpoint(&p, dir, &ep);
    netaddr_format(&ep, flow, sizeof flow);
    if (p.proto == IPPACKET_UDP) {
        struct statescan_ref refs[STATESCAN_MAX];
        struct statescan_result r = flowscan_datagram(&f->scan, px->keylog, dir,
                                                      bytes + p.payload_off, p.payload_len,
                                                      refs);
        droplog_datagram(px->drop_log, &px->drop_counts, ev, dir, flow, now, delay_us, &r, refs);
    }
    else if (p.proto == IPPACKET_TCP && (p.seq_len > 0 || (p.flags & IPPACKET_RST) ||
                                         handshake_ack(f, dir, &p)))
        droplog_segment(px->drop_log, &px->drop_counts, ev, dir, flow, now, delay_us, &p);
}
