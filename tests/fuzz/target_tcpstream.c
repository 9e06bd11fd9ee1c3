/* target_tcpstream.c: fuzzes tcpstream_segment, netsim's IP mode reading
 * the states in one direction of a TCP stream (see targets.h).
 *
 * The input: 4 bytes of initial sequence number, a count of segments, 4
 * bytes per segment (where it starts against the newest byte sent so far,
 * -128..127, so retransmissions and gaps; its length; its flags), then the
 * stream's bytes (2-byte frames, or a WebSocket's HTTP head and frames).
 * The stream is read twice: whole, in one segment, and cut as the input
 * says. Checked: each state's frame lies in the bytes fed, no longer than
 * a frame can be; a call returns as many states as it named; cut anyhow,
 * the stream names the states the whole one names, in the same order with
 * the same sequence numbers (after a gap, the ones before it); nothing
 * without a SYN. */
#include <string.h>

#include "lab/netsim/tcpstream.h"
#include "targets.h"

#define FUZZ_TCP_FOUND_MAX 2048 /* far above the states 8 KiB of stream holds */
#define FUZZ_TCP_SEGMENTS_MAX 64

struct fuzz_tcp_found {
    size_t n;      /* states named, all of them */
    size_t calls;  /* states the current call named */
    uint32_t first; /* the stream's first byte's number */
    uint32_t fed;   /* bytes fed so far, from first */
    struct {
        uint32_t sender, seq, start, end;
    } at[FUZZ_TCP_FOUND_MAX];
};

static void fuzz_tcp_on_found(void *ctx, const struct statescan_ref *ref, uint32_t start,
                              uint32_t end)
{
    struct fuzz_tcp_found *f = ctx;
    uint32_t from = start - f->first, to = end - f->first; /* modulo 2^32 */
    FUZZ_CHECK(from < to && to <= f->fed);
    FUZZ_CHECK(to - from <= TCPSTREAM_WS_HEADER_MAX + TCPSTREAM_MESSAGE_MAX);
    f->calls++;
    if (f->n < FUZZ_TCP_FOUND_MAX) {
        f->at[f->n].sender = ref->sender;
        f->at[f->n].seq = ref->seq;
        f->at[f->n].start = start;
        f->at[f->n].end = end;
    }
    f->n++;
}

/* Feeds bytes [off, off + len) of the stream; checks the count returned. */
static void fuzz_tcp_feed(struct tcpstream *s, struct fuzz_tcp_found *f, uint32_t isn,
                          const uint8_t *bytes, size_t off, size_t len, uint8_t flags)
{
    struct ippacket p = {.proto = IPPACKET_TCP, .ports = true, .seq = isn + 1 + (uint32_t)off,
                         .flags = (uint8_t)(flags & ~IPPACKET_SYN), .payload_len = len};
    p.seq_len = (uint32_t)len + !!(p.flags & IPPACKET_FIN);
    if (off + len > f->fed)
        f->fed = (uint32_t)(off + len);
    f->calls = 0;
    size_t n = tcpstream_segment(s, &p, bytes + off, fuzz_tcp_on_found, f);
    FUZZ_CHECK(n == f->calls);
}

static void fuzz_tcp_syn(struct tcpstream *s, struct fuzz_tcp_found *f, uint32_t isn)
{
    struct ippacket syn = {.proto = IPPACKET_TCP, .ports = true, .seq = isn,
                           .flags = IPPACKET_SYN, .seq_len = 1};
    f->n = f->calls = f->fed = 0;
    f->first = isn + 1;
    FUZZ_CHECK(tcpstream_segment(s, &syn, NULL, fuzz_tcp_on_found, f) == 0);
    FUZZ_CHECK(s->started && !s->lost && s->next == isn + 1);
}

int fuzz_target_tcpstream(const uint8_t *data, size_t size)
{
    static struct tcpstream whole_s, cut_s;
    static struct fuzz_tcp_found whole, cut;
    struct fuzz_input in = {data, size};
    uint32_t isn = 0;
    for (int i = 0; i < 4; i++)
        isn = isn << 8 | fuzz_byte(&in);
    size_t segments = fuzz_byte(&in) % (FUZZ_TCP_SEGMENTS_MAX + 1);
    const uint8_t *plan = in.p;
    size_t plan_len = in.left < 4 * segments ? in.left : 4 * segments;
    in.p += plan_len;
    in.left -= plan_len;
    const uint8_t *bytes = in.p;
    size_t len = in.left;

    /* Before a SYN nothing is read. */
    memset(&cut_s, 0, sizeof cut_s);
    cut.first = isn + 1;
    cut.fed = (uint32_t)len;
    fuzz_tcp_feed(&cut_s, &cut, isn, bytes, 0, len, IPPACKET_ACK);
    FUZZ_CHECK(cut.calls == 0 && !cut_s.started);

    fuzz_tcp_syn(&whole_s, &whole, isn);
    fuzz_tcp_feed(&whole_s, &whole, isn, bytes, 0, len, IPPACKET_ACK | IPPACKET_PSH);

    fuzz_tcp_syn(&cut_s, &cut, isn);
    size_t next = 0; /* the stream's bytes the cut reading has seen */
    int gap = 0;
    for (size_t k = 0; k + 4 <= plan_len; k += 4) {
        long off = (long)next + (int8_t)plan[k];
        size_t seg = (size_t)plan[k + 1] << 8 | plan[k + 2];
        if (off < 0)
            off = 0;
        if ((size_t)off > len)
            off = (long)len;
        if (seg > len - (size_t)off)
            seg = len - (size_t)off;
        if ((size_t)off > next)
            gap = 1; /* bytes before these were never seen (even by an empty one) */
        fuzz_tcp_feed(&cut_s, &cut, isn, bytes, (size_t)off, seg, plan[k + 3]);
        if (!gap && (size_t)off + seg > next)
            next = (size_t)off + seg;
    }
    /* Everything again, as a retransmission would: the rest is read. */
    fuzz_tcp_feed(&cut_s, &cut, isn, bytes, 0, len, IPPACKET_ACK);

    FUZZ_CHECK(gap ? cut.n <= whole.n : cut.n == whole.n);
    size_t same = cut.n < FUZZ_TCP_FOUND_MAX ? cut.n : FUZZ_TCP_FOUND_MAX;
    for (size_t i = 0; i < same; i++)
        FUZZ_CHECK(memcmp(&cut.at[i], &whole.at[i], sizeof cut.at[i]) == 0);
    return 0;
}
