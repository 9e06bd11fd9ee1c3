/* target_statescan.c: fuzzes statescan_datagram (see targets.h). The first
 * byte picks the wire (udp or ENet), the rest is the datagram. Checked: no
 * read beyond the input (ASan), every state found starts with a state header
 * inside the input, and a udp datagram holds one state, or a batch's.
 * With the first byte's bit 1 set, the rest is an IP packet as netsim's IP
 * mode reads it (ippacket_parse), its UDP payload scanned as above, a TCP
 * segment's frames read as the first bytes of a stream (tcpstream.h). */
#include <string.h>

#include "lab/netsim/ippacket.h"
#include "lab/netsim/statescan.h"
#include "lab/netsim/tcpstream.h"
#include "proto/wire.h"
#include "targets.h"

/* A state in a TCP stream: its frame holds at least a length and a state. */
static void stream_state(void *ctx, const struct statescan_ref *ref, uint32_t start,
                         uint32_t end)
{
    (void)ctx;
    (void)ref;
    FUZZ_CHECK(end - start >= 2 + PROTO_STATE_SIZE && end - start <= 2 + TCPSTREAM_MESSAGE_MAX);
}

/* An IP packet: what it says stays inside it; a TCP segment's frames. */
static int fuzz_ip_packet(const uint8_t *buf, size_t len)
{
    struct ippacket p;
    if (ippacket_parse(buf, len, &p) != 0)
        return 0;
    FUZZ_CHECK(p.payload_off <= len && p.payload_len <= len - p.payload_off);
    FUZZ_CHECK(!p.ports || p.proto == IPPACKET_TCP || p.proto == IPPACKET_UDP);
    if (p.ports && p.proto == IPPACKET_TCP)
        FUZZ_CHECK(p.seq_len == p.payload_len + !!(p.flags & IPPACKET_SYN) +
                                    !!(p.flags & IPPACKET_FIN));
    char flags[IPPACKET_FLAGS_MAX];
    FUZZ_CHECK(strlen(ippacket_flags(p.flags, flags)) >= 1);
    struct statescan_ref out[STATESCAN_MAX];
    if (p.ports && p.proto == IPPACKET_UDP)
        (void)statescan_datagram(STATESCAN_ENET, buf + p.payload_off, p.payload_len, out);
    if (p.ports && p.proto == IPPACKET_TCP && !(p.flags & IPPACKET_SYN)) {
        /* the segment as the first of a stream: its frames' states */
        static struct tcpstream st;
        struct ippacket syn = {.proto = IPPACKET_TCP, .seq = p.seq - 1, .flags = IPPACKET_SYN};
        tcpstream_segment(&st, &syn, NULL, stream_state, NULL);
        tcpstream_segment(&st, &p, buf + p.payload_off, stream_state, NULL);
    }
    return 0;
}

int fuzz_target_statescan(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 2)
        return fuzz_ip_packet(data + 1, size - 1);
    enum statescan_wire wire = data[0] & 1 ? STATESCAN_ENET : STATESCAN_UDP;
    struct statescan_ref out[STATESCAN_MAX];
    struct statescan_result r = statescan_datagram(wire, data + 1, size - 1, out);
    FUZZ_CHECK(r.states * 12 <= size - 1); /* each needs its 12-byte header */
    if (wire == STATESCAN_UDP) {
        FUZZ_CHECK(r.commands == 0 && !r.compressed);
        if (proto_is_batch(data + 1, size - 1)) {
            int n = proto_batch_check(data + 1, size - 1);
            FUZZ_CHECK(n >= 0 ? r.states <= (size_t)n && !r.malformed
                              : r.states == 0 && r.malformed);
            for (size_t i = 0; i < r.states && i < STATESCAN_MAX; i++)
                FUZZ_CHECK(out[i].kind == STATESCAN_BATCHED);
            return 0;
        }
        FUZZ_CHECK(r.states <= 1);
        if (r.states == 1) {
            struct proto_state s;
            FUZZ_CHECK(size - 1 >= PROTO_STATE_SIZE);
            FUZZ_CHECK(out[0].kind == STATESCAN_PLAIN);
            if (proto_state_decode(data + 1, size - 1, &s) == PROTO_OK)
                FUZZ_CHECK(s.sender == out[0].sender && s.seq == out[0].seq);
        }
        return 0;
    }
    FUZZ_CHECK(!(r.compressed && (r.states || r.commands)));
    /* every state is a command's; a command's batch holds several */
    FUZZ_CHECK(r.commands > 0 || r.states == 0);
    for (size_t i = 0; i < r.states && i < STATESCAN_MAX; i++) {
        FUZZ_CHECK(out[i].channel != PROTO_CHANNEL_CONTROL);
        FUZZ_CHECK(out[i].kind >= STATESCAN_RELIABLE && out[i].kind <= STATESCAN_FRAGMENT);
        FUZZ_CHECK(strcmp(statescan_kind_name(out[i].kind), "?") != 0);
    }
    return 0;
}
