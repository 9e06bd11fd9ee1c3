/* bench_mode.c: what the clients of a run speak (see bench.h): a delivery
 * mode over its own transport, or an ENet mode over WebRTC's data
 * channels; the names --modes takes and the reports print, and the order
 * the tables and plots list them in. Pure. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* The ENet modes over WebRTC, in the mode table's order: their names. */
static const struct {
    enum proto_mode mode;
    const char *name;
} over_webrtc[BENCH_MODES - PROTO_MODE_COUNT] = {
    {PROTO_MODE_UNSEQUENCED, "webrtc"},
    {PROTO_MODE_SEQUENCED, "webrtc-sequenced"},
    {PROTO_MODE_RELIABLE, "webrtc-reliable"},
};
#define OVER_WEBRTC (sizeof over_webrtc / sizeof over_webrtc[0])

int bench_mode_index(struct bench_mode m)
{
    if (!m.webrtc)
        return (int)m.mode;
    for (size_t i = 0; i < OVER_WEBRTC; i++)
        if (over_webrtc[i].mode == m.mode)
            return PROTO_MODE_COUNT + (int)i;
    return -1;
}

struct bench_mode bench_mode_at(int index)
{
    if (index >= PROTO_MODE_COUNT && index < BENCH_MODES)
        return (struct bench_mode){over_webrtc[index - PROTO_MODE_COUNT].mode, true};
    return (struct bench_mode){(enum proto_mode)index, false};
}

const char *bench_mode_name(struct bench_mode m)
{
    int i = bench_mode_index(m);
    return i >= PROTO_MODE_COUNT ? over_webrtc[i - PROTO_MODE_COUNT].name : proto_mode_name(m.mode);
}

int bench_mode_parse(const char *name, struct bench_mode *m)
{
    for (int i = 0; i < BENCH_MODES; i++) {
        struct bench_mode x = bench_mode_at(i);
        if (strcmp(name, bench_mode_name(x)) == 0) {
            *m = x;
            return 0;
        }
    }
    return -1;
}

char *bench_mode_choices(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < BENCH_MODES && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "",
                              bench_mode_name(bench_mode_at(i)));
    return buf;
}

struct bench_mode bench_result_mode(const struct bench_result *r)
{
    return (struct bench_mode){r->mode, r->webrtc};
}
