/* live_pcap.c: each lane's last packets as a pcap file (see live_pcap.h).
 *
 * The socket is AF_PACKET, SOCK_DGRAM (no link header: a TUN device has
 * none, and loopback's is cut too), made in the clients' namespace
 * (netlab_socket) and bound to no device, so that netsim's device made
 * again after a restart is still seen. A packet the clients sent (outgoing)
 * is a lane's uplink by its source port, one that came in its downlink by
 * its destination port. Each lane keeps a ring of its last packets, each
 * one allocated at its length; the file is written here (24 bytes of file
 * header, 16 a packet), as libpcap would, with no library to link. */
#include "live_pcap.h"
#include "live.h"
#include "live_lanes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lab/harness/netlab.h"

#define READ_MAX 512          /* packets read a turn at most */
#define SNAP 65535
#define RCVBUF (4 << 20)      /* a turn held up (the loop's 5 ms, or a busy machine's more) */
#define LINKTYPE_RAW 101      /* the file's link type: IPv4 or IPv6, no link header */

struct pcap_pkt {
    struct timeval at;
    uint32_t len;
    unsigned char bytes[];
};

struct lane_ring {
    const char *name;         /* the lane's (the table's, static) */
    struct pcap_pkt *pkt[LIVE_PCAP_PACKETS];
    size_t at, n;             /* the next slot; how many kept */
};

struct live_pcap {
    int fd;
    pthread_mutex_t lock;     /* over the rings: the page's thread copies them */
    size_t n_lanes;
    struct lane_ring lanes[BENCH_MODES];
    unsigned char buf[SNAP];
};

struct live_pcap *live_pcap_open(const struct netlab *lab, const struct live *lv, char *err,
                                 size_t err_cap)
{
    struct live_pcap *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    p->fd = netlab_socket(lab, NETLAB_CLIENT, AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          htons(ETH_P_ALL)); /* ETH_P_IP alone misses what goes out */
    if (p->fd < 0) {
        snprintf(err, err_cap, "a packet socket in the clients' namespace: %s", strerror(errno));
        free(p);
        return NULL;
    }
    int size = RCVBUF;
    (void)setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size); /* best effort */
    pthread_mutex_init(&p->lock, NULL);
    p->n_lanes = lv->n_lanes;
    for (size_t k = 0; k < lv->n_lanes; k++)
        p->lanes[k].name = lv->lanes[k].def->name;
    return p;
}

/* The port after a flow's last ':' ("198.18.0.1:40000"), 0 if none. */
static uint16_t flow_port(const char *flow)
{
    const char *c = strrchr(flow, ':');
    long v = c ? strtol(c + 1, NULL, 10) : 0;
    return v > 0 && v < 65536 ? (uint16_t)v : 0;
}

/* The lanes' client ports now: each one's senders' (up) and receiver's
 * (down), 0 where none. */
struct ports {
    uint16_t up[BENCH_MODES][LIVE_SENDERS], down[BENCH_MODES];
};

static void ports_now(const struct live *lv, struct ports *ps)
{
    memset(ps, 0, sizeof *ps);
    for (size_t k = 0; k < lv->n_lanes; k++) {
        const struct live_lane *l = &lv->lanes[k];
        if (!l->clients)
            continue;
        ps->down[k] = flow_port(l->down_flow);
        for (size_t s = 0; s < l->n_senders; s++)
            ps->up[k][s] = flow_port(l->up_flow[s]);
    }
}

/* The lane whose client holds port (its uplink when up, else its
 * downlink), or -1. */
static int lane_of_port(const struct ports *ps, size_t n_lanes, uint16_t port, bool up)
{
    for (size_t k = 0; port && k < n_lanes; k++) {
        if (!up && ps->down[k] == port)
            return (int)k;
        for (size_t s = 0; up && s < LIVE_SENDERS; s++)
            if (ps->up[k][s] == port)
                return (int)k;
    }
    return -1;
}

/* The client's port of an IPv4 UDP or TCP packet (its source port going
 * up, its destination's coming down), 0 if it has none. */
static uint16_t client_port(const unsigned char *b, size_t len, bool up)
{
    if (len < 20 || b[0] >> 4 != 4)
        return 0;
    size_t ihl = (size_t)(b[0] & 15) * 4;
    if ((b[9] != IPPROTO_UDP && b[9] != IPPROTO_TCP) || len < ihl + 4 ||
        ((b[6] & 0x1f) | b[7]) != 0) /* a fragment after the first has no ports */
        return 0;
    const unsigned char *t = b + ihl + (up ? 0 : 2);
    return (uint16_t)(t[0] << 8 | t[1]);
}

static void keep(struct lane_ring *r, const unsigned char *b, size_t len)
{
    struct pcap_pkt *x = malloc(sizeof *x + len);
    if (!x)
        return;
    gettimeofday(&x->at, NULL);
    x->len = (uint32_t)len;
    memcpy(x->bytes, b, len);
    free(r->pkt[r->at]);
    r->pkt[r->at] = x;
    r->at = (r->at + 1) % LIVE_PCAP_PACKETS;
    r->n += r->n < LIVE_PCAP_PACKETS;
}

void live_pcap_read(struct live_pcap *p, const struct live *lv)
{
    struct ports ps;
    if (p)
        ports_now(lv, &ps);
    for (int n = 0; p && n < READ_MAX; n++) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t len = recvfrom(p->fd, p->buf, sizeof p->buf, 0, (struct sockaddr *)&from, &fl);
        if (len <= 0)
            return; /* EAGAIN: all read */
        if (from.sll_ifindex == 1) /* loopback: no lane's */
            continue;
        bool up = from.sll_pkttype == PACKET_OUTGOING;
        int k = lane_of_port(&ps, lv->n_lanes, client_port(p->buf, (size_t)len, up), up);
        if (k < 0)
            continue;
        pthread_mutex_lock(&p->lock);
        keep(&p->lanes[k], p->buf, (size_t)len);
        pthread_mutex_unlock(&p->lock);
    }
}

static void put32(unsigned char *d, uint32_t v)
{
    memcpy(d, &v, 4); /* the file's byte order is the writer's: its magic says which */
}

unsigned char *live_pcap_lane(struct live_pcap *p, const char *name, size_t *len)
{
    const struct lane_ring *r = NULL;
    for (size_t k = 0; p && name && k < p->n_lanes; k++)
        if (!strcmp(p->lanes[k].name, name))
            r = &p->lanes[k];
    if (!r)
        return NULL;
    pthread_mutex_lock(&p->lock);
    size_t size = 24;
    for (size_t i = 0; i < r->n; i++)
        size += 16 + r->pkt[(r->at + LIVE_PCAP_PACKETS - r->n + i) % LIVE_PCAP_PACKETS]->len;
    unsigned char *out = malloc(size), *d = out;
    if (out) {
        uint16_t ver[2] = {2, 4};
        put32(d, 0xa1b2c3d4u); /* microseconds */
        memcpy(d + 4, ver, 4);
        put32(d + 8, 0);  /* GMT */
        put32(d + 12, 0); /* accuracy */
        put32(d + 16, SNAP);
        put32(d + 20, LINKTYPE_RAW);
        d += 24;
        for (size_t i = 0; i < r->n; i++) {
            const struct pcap_pkt *x =
                r->pkt[(r->at + LIVE_PCAP_PACKETS - r->n + i) % LIVE_PCAP_PACKETS];
            put32(d, (uint32_t)x->at.tv_sec);
            put32(d + 4, (uint32_t)x->at.tv_usec);
            put32(d + 8, x->len);
            put32(d + 12, x->len);
            memcpy(d + 16, x->bytes, x->len);
            d += 16 + x->len;
        }
        *len = size;
    }
    pthread_mutex_unlock(&p->lock);
    return out;
}

void live_pcap_close(struct live_pcap *p)
{
    if (!p)
        return;
    close(p->fd);
    for (size_t k = 0; k < p->n_lanes; k++)
        for (size_t i = 0; i < LIVE_PCAP_PACKETS; i++)
            free(p->lanes[k].pkt[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
