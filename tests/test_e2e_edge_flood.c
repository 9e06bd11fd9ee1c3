/* test_e2e_edge_flood.c: no edge starves another. One relay with an ENet,
 * a plain-UDP and a WebSocket edge, three members on each in one room,
 * sending 50 states a second; then a flood of stray datagrams at the ENet
 * edge's port from a child process (bounded: 2.5 s, at most 4 million
 * datagrams). The loop services each edge one bounded batch a turn, from
 * a rotating start, so the flood raises the one-way latency of the
 * plain-UDP members and of the WebSocket members (their states to each
 * other) by no more than it raises the ENet members' (who wait behind it
 * in their own socket), give or take a generous margin; and both keep
 * receiving nearly everything. The figures are printed as one line ("edge
 * flood: ..."), which bench/edge_flood.sh collects over runs: this test
 * asserts the behaviour, not the numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000
#define EDGES 3               /* ENet, plain UDP, WebSocket */
#define PER_EDGE 3            /* members on each edge */
#define RATE_HZ 50
#define PHASE_MS 2000         /* each phase's measured time */
#define FLOOD_MS 2500         /* the flood's own bound (it starts before the phase) */
#define FLOOD_MAX 4000000     /* ... and its count */
#define FLOOD_BATCH 64        /* datagrams per sendmmsg */
#define MARGIN_US 50000       /* what another edge's members' rise may exceed the ENet
                                 members' by: scheduling noise on a shared machine */
#define SAMPLES 65536

/* Latencies of states between members of one edge, in one phase. */
struct lat {
    uint32_t us[SAMPLES];
    size_t n;
    uint64_t sent;   /* states sent by the edge's members in the phase */
};

static const char *const edge_name[EDGES] = {"enet", "udp", "ws"};
static const enum proto_mode edge_mode[EDGES] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_UDP,
                                                 PROTO_MODE_WS};

struct watch {
    struct harness_rec rec;
    uint32_t id[EDGES * PER_EDGE]; /* members 0..2: ENet, 3..5: plain UDP, 6..8: ws */
    struct lat *edge[EDGES];       /* the phase's, per edge: its members to each other */
};

static int side_of(const struct watch *w, uint32_t id)
{
    for (int i = 0; i < EDGES * PER_EDGE; i++)
        if (w->id[i] == id)
            return i / PER_EDGE;
    return -1;
}

static void on_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct watch *w = ctx;
    harness_rec_event(&w->rec, i, ev);
    if (ev->type != RICOCHET_EV_STATE || !w->edge[0])
        return;
    int from = side_of(w, ev->id), to = (int)(i / PER_EDGE);
    struct lat *l = w->edge[to];
    if (from == to && l->n < SAMPLES)
        l->us[l->n++] = ev->latency_us > 0 ? (uint32_t)ev->latency_us : 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t p99(struct lat *l)
{
    if (l->n == 0)
        return 0;
    qsort(l->us, l->n, sizeof l->us[0], cmp_u32);
    return l->us[l->n * 99 / 100];
}

/* Every member sends at RATE_HZ for ms, everyone polls; into lat, one per
 * edge. */
static void phase(struct watch *w, struct lat *lat, int ms)
{
    for (int e = 0; e < EDGES; e++) {
        memset(&lat[e], 0, sizeof lat[e]);
        w->edge[e] = &lat[e];
    }
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < end) {
        for (int i = 0; i < EDGES * PER_EDGE; i++) {
            struct ricochet_state s = {.x = (float)i, .y = 1};
            if (ricochet_send_state(w->rec.c[i], &s) == RICOCHET_OK)
                w->edge[i / PER_EDGE]->sent++;
            ricochet_flush(w->rec.c[i]); /* ENet sends now too, not at its next service */
        }
        harness_poll_for(w->rec.c, w->rec.n, 1000 / RATE_HZ, on_event, w);
    }
    harness_poll_for(w->rec.c, w->rec.n, 200, on_event, w); /* the last ones in flight */
    for (int e = 0; e < EDGES; e++)
        w->edge[e] = NULL;
}

/* The flood (the child's): stray datagrams at the ENet edge as fast as
 * sendmmsg goes, for FLOOD_MS or FLOOD_MAX. out: how many. */
static void flood_child(uint16_t port, void *out)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    static uint8_t buf[FLOOD_BATCH][96];
    struct iovec iov[FLOOD_BATCH];
    struct mmsghdr msg[FLOOD_BATCH];
    for (int i = 0; i < FLOOD_BATCH; i++) {
        memset(buf[i], 0x5a ^ i, sizeof buf[i]); /* no ENet header ENet knows */
        iov[i] = (struct iovec){.iov_base = buf[i], .iov_len = sizeof buf[i]};
        msg[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &to, .msg_namelen = sizeof to,
                                              .msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    uint64_t sent = 0, end = clock_now_ms() + FLOOD_MS;
    while (fd >= 0 && sent < FLOOD_MAX && clock_now_ms() < end) {
        int n = sendmmsg(fd, msg, FLOOD_BATCH, 0);
        sent += n > 0 ? (uint64_t)n : 0;
    }
    if (fd >= 0)
        close(fd);
    memcpy(out, &sent, sizeof sent);
}

/* The relay and its members, each edge's in the room. */
static void members_join(struct watch *w, struct spawn_proc *relay)
{
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "udp://127.0.0.1:0",
                          "--listen", "ws://127.0.0.1:0", "--log-level", "warn",
                          "--stats-interval", "0", NULL};
    assert_true(harness_start_relay(relay, args) > 0);
    uint16_t port[EDGES];
    for (int e = 0; e < EDGES; e++)
        port[e] = harness_edge_port(relay, edge_name[e]);
    w->rec.n = EDGES * PER_EDGE;
    for (int i = 0; i < EDGES * PER_EDGE; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s%d", edge_name[i / PER_EDGE], i % PER_EDGE);
        w->rec.c[i] = harness_client(port[i / PER_EDGE], "fair", name,
                                     edge_mode[i / PER_EDGE], false);
    }
    assert_int_equal(harness_poll_until(w->rec.c, w->rec.n, WAIT_MS, on_event,
                                        harness_all_see_all, w), 0);
    for (int i = 0; i < EDGES * PER_EDGE; i++)
        w->id[i] = ricochet_id(w->rec.c[i]);
}

static void flood_spares_the_other_edges(void **state)
{
    (void)state;
    static struct watch w;
    static struct lat before[EDGES], during[EDGES];
    memset(&w, 0, sizeof w);
    struct spawn_proc relay;
    members_join(&w, &relay);

    phase(&w, before, PHASE_MS);
    long long stray0 = harness_relay_stat(&relay, "drops.stray");
    struct harness_child flooder;
    harness_child_start(&flooder, flood_child, harness_edge_port(&relay, "enet"),
                        sizeof(uint64_t));
    harness_poll_for(w.rec.c, w.rec.n, 200, on_event, &w); /* the flood fills the socket */
    phase(&w, during, PHASE_MS);
    uint64_t flood = 0;
    harness_child_finish(&flooder, &flood, sizeof flood);
    long long stray = harness_relay_stat(&relay, "drops.stray") - stray0;

    /* each edge's deliveries expected: each state to the PER_EDGE - 1 others */
    double got[EDGES];
    uint32_t p0[EDGES], p1[EDGES];
    for (int e = 0; e < EDGES; e++) {
        got[e] = during[e].sent ? (double)during[e].n / (double)(during[e].sent * (PER_EDGE - 1))
                                : 0;
        p0[e] = p99(&before[e]);
        p1[e] = p99(&during[e]);
    }
    print_message("edge flood: enet members p99 %.2f -> %.2f ms, udp members p99 %.2f -> "
                  "%.2f ms, ws members p99 %.2f -> %.2f ms, udp delivered %.1f%%, ws "
                  "delivered %.1f%%; flood %llu datagrams, relay read %lld\n",
                  p0[0] / 1e3, p1[0] / 1e3, p0[1] / 1e3, p1[1] / 1e3, p0[2] / 1e3, p1[2] / 1e3,
                  100 * got[1], 100 * got[2], (unsigned long long)flood, stray);
    assert_true(flood > 0 && stray > 0); /* the relay did read the flood */
    int64_t enet_rise = (int64_t)p1[0] - (int64_t)p0[0];
    for (int e = 1; e < EDGES; e++) {
        assert_true(got[e] >= 0.9);
        int64_t rise = (int64_t)p1[e] - (int64_t)p0[e];
        if (rise > (enet_rise > 0 ? enet_rise : 0) + MARGIN_US)
            fail_msg("the flood raised the %s members' p99 by %lld us, the ENet members' "
                     "by %lld us", edge_name[e], (long long)rise, (long long)enet_rise);
    }
    for (int i = 0; i < EDGES * PER_EDGE; i++)
        ricochet_close(w.rec.c[i]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flood_spares_the_other_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
