/* kept_cost_main.c: kept-cost, what kept events (PROTOCOL.md, "Kept
 * events") cost the relay's core (relay/core/relay.h) by itself: no
 * socket, no edge, a fake clock.
 *
 * --members members join one room; a latecomer joins and leaves it
 * --joins times (its CPU per join: the welcome, the notices, the replay);
 * then one member keeps events of --size bytes under keys of 5 until the
 * room's bound refuses one, and the latecomer joins and leaves as many
 * times again, each time from a fresh source, its replay sent whole (the
 * clock stepped through its turns: PROTOCOL.md, "Kept events",
 * Replayed). It reports the CPU of a join into the empty store and into
 * the full one, what the full store counts and what the heap grew by to
 * hold it (glibc's mallinfo2: the store's buffer and its allocator's
 * rounding). Its one edge only counts what it is handed. Not installed. */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "sys/log.h"
#include "sys/options.h"

#define PROG "kept-cost"
#define TURN_US 100000ull /* the fake clock's step while a replay goes out over turns */

static uint64_t now_us = 1000000000ull; /* the fake clock: joins need no time to pass */

struct cost_options {
    unsigned members, joins, size;
    bool json;
};

static const struct option_def option_defs[] = {
    {"members", OPTION_UINT, offsetof(struct cost_options, members), "8", 1, 255, NULL,
     "members in the room before the latecomer", sizeof(unsigned), 0, 'n', NULL, NULL},
    {"joins", OPTION_UINT, offsetof(struct cost_options, joins), "20000", 1, 10000000, NULL,
     "the latecomer's joins (each then a leave) per store", sizeof(unsigned), 0, 'j', NULL,
     NULL},
    {"size", OPTION_UINT, offsetof(struct cost_options, size), "100", 1,
     PROTO_EVENT_BODY_MAX - 5, NULL, "bytes of each kept event's body (its key: 5 more)",
     sizeof(unsigned), 0, 's', NULL, NULL},
    {"json", OPTION_BOOL, offsetof(struct cost_options, json), "false", 0, 0, NULL,
     "one JSON object instead of the lines", 0, 0, 'J', NULL, NULL},
    {0},
};

static const struct options_program program = {
    .name = PROG,
    .summary = "What kept events cost the relay's core by itself (no socket, a fake clock): "
               "a join into a room with an empty and a full store, the store's memory.",
    .defs = option_defs,
};

static uint64_t sent; /* control messages and events the edge was handed */

static void count_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    (void)ctx, (void)peer, (void)json, (void)len;
    sent++;
}

static void count_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                        uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)ctx, (void)from, (void)peers, (void)n, (void)channel, (void)flags, (void)bytes;
    (void)len;
}

static void count_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)ctx, (void)peer, (void)why;
}

static void join(struct relay *r, uint32_t peer)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "room");
    snprintf(m.name, sizeof m.name, "m%u", (unsigned)peer);
    static char json[PROTO_CONTROL_MAX];
    int len = proto_control_encode(json, sizeof json, &m);
    if (len < 0 || relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE,
                                     (uint8_t *)json, (size_t)len, now_us) != 0)
        options_fail(PROG, "member %u could not join", (unsigned)peer);
}

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* 127.0.0.1:port, a member's address as an edge hands it over. */
static union netaddr loopback(uint16_t port)
{
    return (union netaddr){.v4 = {.sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}};
}

/* The latecomer (peer) joins and leaves n times: CPU per join, µs, and the
 * messages the edge was handed per join in *per. */
static double joins(struct relay *r, uint32_t peer, unsigned n, double *per)
{
    sent = 0;
    double cpu0 = cpu_us();
    for (unsigned i = 0; i < n; i++) {
        union netaddr at = loopback((uint16_t)(1000 + i % 60000)); /* a fresh source */
        relay_peer_connect(r, peer, &at, now_us);
        join(r, peer);
        while (relay_join_due(r) != UINT64_MAX) /* its replay, turn by turn */
            relay_tick(r, now_us += TURN_US);
        relay_peer_gone(r, peer, PROTO_LEFT_QUIT, now_us);
    }
    *per = (double)sent / n;
    return (cpu_us() - cpu0) / n;
}

/* Member 0 keeps events of size bytes until the room's bound refuses one:
 * how many it kept, their bytes in *counted. */
static unsigned fill(struct relay *r, unsigned size, size_t *counted)
{
    uint8_t body[PROTO_EVENT_BODY_MAX], buf[PROTO_EVENT_MAX];
    memset(body, 'k', size);
    unsigned n = 0;
    for (;; n++) {
        char key[8];
        snprintf(key, sizeof key, "k%04u", n);
        int len = proto_event_encode_kept(buf, sizeof buf, key, false, body, size);
        if (relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                              (size_t)len, now_us) != 0)
            break;
    }
    *counted = (size_t)n * (PROTO_EVENT_HEAD + 5 + size);
    return n;
}

int main(int argc, char **argv)
{
    struct cost_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    options_checked(&program);
    log_threshold = LOG_WARN; /* no line per join */
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = o.members + 1;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    static const struct relay_transport edge = {
        .name = "count", .modes = 1u << PROTO_MODE_UNSEQUENCED, .send_control = count_control,
        .send_state = count_state, .disconnect = count_disconnect};
    struct relay *r = relay_create(&cfg, &edge, 1);
    if (!r)
        options_fail(PROG, "out of memory");
    for (uint32_t i = 0; i < o.members; i++) {
        union netaddr at = loopback((uint16_t)(1 + i)); /* each a source of its own */
        relay_peer_connect(r, i, &at, now_us);
        join(r, i);
    }
    double per_empty, per_full;
    joins(r, o.members, o.joins / 10 + 1, &per_empty); /* warm: caches, the heap */
    double empty = joins(r, o.members, o.joins, &per_empty);
    size_t heap0 = mallinfo2().uordblks, counted;
    unsigned kept = fill(r, o.size, &counted);
    size_t heap = mallinfo2().uordblks - heap0;
    double full = joins(r, o.members, o.joins, &per_full);
    if (o.json)
        printf("{\"members\":%u,\"joins\":%u,\"size\":%u,\"kept\":%u,\"counted_bytes\":%zu,"
               "\"heap_bytes\":%zu,\"join_empty_us\":%.3f,\"join_full_us\":%.3f,"
               "\"sent_per_join_empty\":%.1f,\"sent_per_join_full\":%.1f}\n",
               o.members, o.joins, o.size, kept, counted, heap, empty, full, per_empty,
               per_full);
    else
        printf("%s: %u members, %u joins a store\n"
               "  full store: %u events of %u bytes (key 5), %zu bytes counted, heap +%zu\n"
               "  a join: %.2f us into the empty store (%.1f messages out), %.2f us into "
               "the full one (%.1f)\n",
               PROG, o.members, o.joins, kept, o.size, counted, heap, empty, per_empty, full,
               per_full);
    relay_destroy(r);
    return 0;
}
