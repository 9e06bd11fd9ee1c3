/* lanes.c: the lanes (see lanes.h): what the clients of a run speak, a
 * delivery mode over a carrier, one row each; the names --modes takes and
 * the reports print, the order the tables, plots and the lesson page list
 * them in, and what each needs of the relay and of netsim. A new lane is a
 * row here. Pure. */
#include "lanes.h"

#include <stdio.h>
#include <string.h>

#include "client/lib/ricochet.h"

/* In the order reports list them: the mode table's rows over their own
 * transports, then the tcp mode over HTTP polls (beside the WebSocket,
 * which pushes: here the client asks), then the ENet modes over WebRTC, then over QUIC, then the
 * reference relay's (bench/reference/, the yardstick). Unsequenced
 * and sequenced often lie on top of each other in a plot: each lane has its
 * own dash and point type, and plots draw them from the last to the first,
 * so unsequenced comes out on top. */
#define OWN RICOCHET_TRANSPORT_DEFAULT
#define POLL RICOCHET_TRANSPORT_POLL
/* Short polling's interval: a state waits up to this for the next GET, a
 * quarter of a second the page's latency shows at a glance against the
 * long polls' (which answer as soon as a state is queued); at the lesson's
 * 20 states a second each answer brings about five, so each request and
 * answer head is shared by a handful of states, not paid by one. */
#define POLL_SHORT_INTERVAL_MS 250
#define MS_TEXT_(ms) #ms
#define MS_TEXT(ms) MS_TEXT_(ms) /* "250": the title says the row's interval */
#define RTC RICOCHET_TRANSPORT_WEBRTC
#define QUIC RICOCHET_TRANSPORT_QUIC
#define WT RICOCHET_TRANSPORT_WEBTRANSPORT
static const struct bench_lane lanes[] = {
    {"unsequenced", "ENet, unsequenced", {PROTO_MODE_UNSEQUENCED, OWN}, OWN, "enet", NULL, false,
     "enet", false, {"#1f77b4", 1, 7, 2.5}},
    {"sequenced", "ENet, sequenced", {PROTO_MODE_SEQUENCED, OWN}, OWN, "enet", NULL, false,
     "enet", false, {"#2ca02c", 2, 5, 2}},
    {"reliable", "ENet, reliable", {PROTO_MODE_RELIABLE, OWN}, OWN, "enet", NULL, false, "enet",
     false, {"#d62728", 1, 9, 2}},
    {"udp", "plain UDP", {PROTO_MODE_UDP, OWN}, OWN, "udp", NULL, false, "udp", false,
     {"#7f7f7f", 4, 11, 2}},
    {"tcp", "TCP, one stream", {PROTO_MODE_TCP, OWN}, OWN, "tcp", NULL, true, NULL, false,
     {"#ff7f0e", 1, 6, 2}},
    {"ws", "WebSocket", {PROTO_MODE_WS, OWN}, OWN, "ws", NULL, true, NULL, false,
     {"#9467bd", 2, 12, 2}},
    {"poll-long", "HTTP, long polling", {PROTO_MODE_TCP, POLL}, POLL, "poll", NULL, true, NULL,
     false, {"#aec7e8", 3, 6, 2}},
    {"poll-short", "HTTP, short polling (every " MS_TEXT(POLL_SHORT_INTERVAL_MS) " ms)", {PROTO_MODE_TCP, BENCH_CARRIER_POLL_SHORT},
     POLL, "poll", NULL, true, NULL, false, {"#ff9896", 4, 12, 2},
     .poll_interval_ms = POLL_SHORT_INTERVAL_MS},
    {"webrtc", "WebRTC, unsequenced", {PROTO_MODE_UNSEQUENCED, RTC}, RTC, "webrtc", "ws", false,
     "webrtc", true, {"#17becf", 3, 13, 2}},
    {"webrtc-sequenced", "WebRTC, sequenced", {PROTO_MODE_SEQUENCED, RTC}, RTC, "webrtc", "ws",
     false, "webrtc", true, {"#bcbd22", 5, 4, 2}},
    {"webrtc-reliable", "WebRTC, reliable", {PROTO_MODE_RELIABLE, RTC}, RTC, "webrtc", "ws",
     false, "webrtc", true, {"#8c564b", 3, 8, 2}},
    {"quic", "QUIC, datagrams", {PROTO_MODE_UNSEQUENCED, QUIC}, QUIC, "quic", NULL, false, "quic",
     true, {"#e377c2", 4, 2, 2}},
    {"quic-sequenced", "QUIC, sequenced datagrams", {PROTO_MODE_SEQUENCED, QUIC}, QUIC, "quic",
     NULL, false, "quic", true, {"#f7b6d2", 5, 3, 2}},
    {"quic-reliable", "QUIC, one stream", {PROTO_MODE_RELIABLE, QUIC}, QUIC, "quic", NULL, false,
     "quic", true, {"#c49c94", 2, 10, 2}},
    {"quic-streams", "QUIC, a stream per sender", {PROTO_MODE_STREAMS, QUIC}, QUIC, "quic", NULL,
     false, "quic", true, {"#393b79", 1, 14, 2}},
    {"wt", "WebTransport, datagrams", {PROTO_MODE_UNSEQUENCED, WT}, WT, "quic", NULL, false,
     "quic", true, {"#637939", 4, 1, 2}},
    {"wt-reliable", "WebTransport, one stream", {PROTO_MODE_RELIABLE, WT}, WT, "quic", NULL,
     false, "quic", true, {"#8c6d31", 2, 15, 2}},
    {"wt-streams", "WebTransport, a stream per sender", {PROTO_MODE_STREAMS, WT}, WT, "quic",
     NULL, false, "quic", true, {"#843c39", 1, 3, 2}},
    /* the yardstick: plain UDP through the least a relay can do with it;
     * not a lesson's lane (bench_lane() leaves it out), so it comes last */
    {"reference", "plain UDP, the reference relay", {PROTO_MODE_UDP, BENCH_CARRIER_REFERENCE},
     OWN, "udp", NULL, false, "udp", false, {"#000000", 3, 11, 1.5}, "reference-relay"},
};
#undef OWN
#undef POLL
#undef MS_TEXT
#undef MS_TEXT_
#undef RTC
#undef QUIC
#undef WT
#define N_LANES (sizeof lanes / sizeof lanes[0])
_Static_assert(N_LANES == BENCH_MODES, "a lane per row: BENCH_MODES counts them");
/* bench_lane() stops at the first row with a program of its own: they come last */

/* Every row, the reference relay's too. */
static const struct bench_lane *row(int index)
{
    return index >= 0 && (size_t)index < N_LANES ? &lanes[index] : NULL;
}

const struct bench_lane *bench_lane(int index)
{
    const struct bench_lane *l = row(index);
    return l && !l->program ? l : NULL;
}

int bench_mode_index(struct bench_mode m)
{
    for (size_t i = 0; i < N_LANES; i++)
        if (lanes[i].mode.mode == m.mode && lanes[i].mode.carrier == m.carrier)
            return (int)i;
    return -1;
}

struct bench_mode bench_mode_at(int index)
{
    const struct bench_lane *l = row(index);
    return l ? l->mode : (struct bench_mode){(enum proto_mode)index, RICOCHET_TRANSPORT_DEFAULT};
}

const struct bench_lane *bench_lane_of(struct bench_mode m)
{
    return row(bench_mode_index(m));
}

bool bench_lane_keyed(const struct bench_lane *l)
{
    return l && l->wire && (!strcmp(l->wire, "webrtc") || !strcmp(l->wire, "quic"));
}

const char *bench_mode_name(struct bench_mode m)
{
    const struct bench_lane *l = bench_lane_of(m);
    return l ? l->name : proto_mode_name(m.mode);
}

int bench_mode_parse(const char *name, struct bench_mode *m)
{
    for (size_t i = 0; i < N_LANES; i++) {
        if (strcmp(name, lanes[i].name) == 0) {
            *m = lanes[i].mode;
            return 0;
        }
    }
    return -1;
}

char *bench_mode_choices(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_LANES && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "", lanes[i].name);
    return buf;
}
