/* tcpstream.c: states in a TCP stream's frames (see tcpstream.h). */
#include "tcpstream.h"

#include <string.h>

/* A whole frame: its message read as a datagram, each state found. */
static size_t frame_done(struct tcpstream *s, uint32_t end, tcpstream_found_fn found, void *ctx)
{
    if (s->len > TCPSTREAM_MESSAGE_MAX)
        return 0;
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = statescan_datagram(STATESCAN_UDP, s->buf + 2, s->len, refs);
    for (size_t i = 0; i < r.states && i < STATESCAN_MAX; i++)
        found(ctx, &refs[i], s->frame_at, end);
    return r.states < STATESCAN_MAX ? r.states : STATESCAN_MAX;
}

/* One new byte b, sequence number n. */
static size_t take(struct tcpstream *s, uint8_t b, uint32_t n, tcpstream_found_fn found,
                   void *ctx)
{
    if (s->have == 0)
        s->frame_at = n;
    if (s->have < 2 + TCPSTREAM_MESSAGE_MAX)
        s->buf[s->have] = b;
    s->have++;
    if (s->have == 2) {
        s->len = (uint32_t)s->buf[0] << 8 | s->buf[1];
        s->lost = s->len == 0; /* no frame is empty: these are not frames */
        return 0;
    }
    if (s->have < 2 || s->have < 2 + s->len)
        return 0;
    s->have = 0;
    return frame_done(s, n + 1, found, ctx);
}

size_t tcpstream_segment(struct tcpstream *s, const struct ippacket *p, const uint8_t *payload,
                         tcpstream_found_fn found, void *ctx)
{
    if (p->flags & IPPACKET_SYN) {
        memset(s, 0, sizeof *s);
        s->started = true;
        s->next = p->seq + 1;
        return 0;
    }
    uint32_t end = p->seq + (uint32_t)p->payload_len;
    if (!s->started || s->lost || (int32_t)(end - s->next) <= 0)
        return 0; /* before a SYN, after a gap, or nothing new */
    if ((int32_t)(p->seq - s->next) > 0) {
        s->lost = true; /* bytes before these never crossed netsim */
        return 0;
    }
    size_t n = 0;
    for (uint32_t at = s->next; at != end && !s->lost; at++)
        n += take(s, payload[at - p->seq], at, found, ctx);
    s->next = end;
    return n;
}
