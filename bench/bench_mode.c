/* bench_mode.c: the lanes (see bench.h): what the clients of a run speak,
 * a delivery mode over a carrier, one row each; the names --modes takes
 * and the reports print, the order the tables, plots and the lesson page
 * list them in, and what each needs of the relay and of netsim. A new
 * lane is a row here. Pure. */
#include <stdio.h>
#include <string.h>

#include "../client/ricochet.h"
#include "bench.h"

/* In the order reports list them: the mode table's rows over their own
 * transports, then the ENet modes over WebRTC. */
/* In the order reports list them: the mode table's rows over their own
 * transports, then the ENet modes over WebRTC. Unsequenced and sequenced
 * often lie on top of each other in a plot: each lane has its own dash and
 * point type, and plots draw them from the last to the first, so
 * unsequenced comes out on top. */
static const struct bench_lane lanes[] = {
    {"unsequenced", "ENet, unsequenced", {PROTO_MODE_UNSEQUENCED, false},
     RICOCHET_TRANSPORT_DEFAULT, "enet", NULL, false, "enet", {"#1f77b4", 1, 7, 2.5}},
    {"sequenced", "ENet, sequenced", {PROTO_MODE_SEQUENCED, false}, RICOCHET_TRANSPORT_DEFAULT,
     "enet", NULL, false, "enet", {"#2ca02c", 2, 5, 2}},
    {"reliable", "ENet, reliable", {PROTO_MODE_RELIABLE, false}, RICOCHET_TRANSPORT_DEFAULT,
     "enet", NULL, false, "enet", {"#d62728", 1, 9, 2}},
    {"udp", "plain UDP", {PROTO_MODE_UDP, false}, RICOCHET_TRANSPORT_DEFAULT, "udp", NULL,
     false, "udp", {"#7f7f7f", 4, 11, 2}},
    {"tcp", "TCP, one stream", {PROTO_MODE_TCP, false}, RICOCHET_TRANSPORT_DEFAULT, "tcp",
     NULL, true, NULL, {"#ff7f0e", 1, 6, 2}},
    {"ws", "WebSocket", {PROTO_MODE_WS, false}, RICOCHET_TRANSPORT_DEFAULT, "ws", NULL, true,
     NULL, {"#9467bd", 2, 12, 2}},
    {"webrtc", "WebRTC, unsequenced", {PROTO_MODE_UNSEQUENCED, true}, RICOCHET_TRANSPORT_WEBRTC,
     "webrtc", "ws", false, "webrtc", {"#17becf", 3, 13, 2}},
    {"webrtc-sequenced", "WebRTC, sequenced", {PROTO_MODE_SEQUENCED, true},
     RICOCHET_TRANSPORT_WEBRTC, "webrtc", "ws", false, "webrtc", {"#bcbd22", 5, 4, 2}},
    {"webrtc-reliable", "WebRTC, reliable", {PROTO_MODE_RELIABLE, true},
     RICOCHET_TRANSPORT_WEBRTC, "webrtc", "ws", false, "webrtc", {"#8c564b", 3, 8, 2}},
};
#define N_LANES (sizeof lanes / sizeof lanes[0])
_Static_assert(N_LANES == BENCH_MODES, "a lane per row: BENCH_MODES counts them");

const struct bench_lane *bench_lane(int index)
{
    return index >= 0 && (size_t)index < N_LANES ? &lanes[index] : NULL;
}

int bench_mode_index(struct bench_mode m)
{
    for (size_t i = 0; i < N_LANES; i++)
        if (lanes[i].mode.mode == m.mode && lanes[i].mode.webrtc == m.webrtc)
            return (int)i;
    return -1;
}

struct bench_mode bench_mode_at(int index)
{
    const struct bench_lane *l = bench_lane(index);
    return l ? l->mode : (struct bench_mode){(enum proto_mode)index, false};
}

const struct bench_lane *bench_lane_of(struct bench_mode m)
{
    return bench_lane(bench_mode_index(m));
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

struct bench_mode bench_result_mode(const struct bench_result *r)
{
    return (struct bench_mode){r->mode, r->webrtc};
}
