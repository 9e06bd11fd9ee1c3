/* target_flowscan.c: fuzzes flowscan, how netsim reads a flow's datagrams
 * for its drop log and paired loss (lab/netsim/flowscan.c; see targets.h): the
 * wire a flow speaks (--wire, or with auto what its first datagram shows),
 * each datagram read by that wire's reader, and the states a flow shows
 * for the first time.
 *
 * The input: a byte for --wire (udp, enet, webrtc, quic or auto), then
 * datagrams, each a byte (bit 0: down; bit 1: only arrived, as netsim
 * takes it in), 2 bytes of length and its bytes. Checked: the wire, once
 * chosen, stays; a datagram reads as the wire's own reader reads it
 * (statescan for udp and ENet, quicview for QUIC, on a flow of its own fed
 * the same; WebRTC without a key log reads nothing); the states shown for
 * the first time are states of the datagram, each shown once: a datagram
 * of one sender's states, their numbers within a quarter of the space of
 * each other, shows none twice, judged once or again (numbers further
 * apart may, as wrap-safe comparisons must). */
#include <stdbool.h>

#include "lab/netsim/flowscan.h"
#include "targets.h"

#define FFS_DATAGRAMS 64

static void ffs_same(const struct statescan_result *a, const struct statescan_ref *ra,
                     const struct statescan_result *b, const struct statescan_ref *rb)
{
    FUZZ_CHECK(a->states == b->states && a->malformed == b->malformed &&
               a->compressed == b->compressed && a->peer == b->peer);
    for (size_t i = 0; i < a->states && i < STATESCAN_MAX; i++)
        FUZZ_CHECK(ra[i].sender == rb[i].sender && ra[i].seq == rb[i].seq &&
                   ra[i].channel == rb[i].channel && ra[i].kind == rb[i].kind &&
                   ra[i].group == rb[i].group);
}

int fuzz_target_flowscan(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    int wire = fuzz_byte(&in) % (NETSIM_WIRE_AUTO + 1);
    struct flowscan fs;
    struct quicview_flow q; /* the QUIC reader on its own, fed the same */
    static struct statescan_ref refs[STATESCAN_MAX], own[STATESCAN_MAX];
    uint32_t seqs[STATESCAN_MAX];
    flowscan_init(&fs, wire);
    memset(&q, 0, sizeof q);
    int chosen = wire == NETSIM_WIRE_AUTO ? -1 : wire;
    for (int k = 0; k < FFS_DATAGRAMS && in.left > 0; k++) {
        uint8_t how = fuzz_byte(&in);
        size_t len = (size_t)fuzz_byte(&in) << 8 | fuzz_byte(&in);
        len %= 2048;
        uint8_t *p = fuzz_take(&in, len);
        enum netsim_dir dir = how & 1 ? NETSIM_DOWN : NETSIM_UP;
        if (how & 2) {
            flowscan_arrived(&fs, NULL, dir, p, len);
            if (fs.wire == NETSIM_WIRE_QUIC) { /* read there: the QUIC reader's turn too */
                quicview_datagram(&q, NULL, dir == NETSIM_UP, p, len, own);
            }
        } else {
            struct statescan_result r = flowscan_datagram(&fs, NULL, dir, p, len, refs);
            struct statescan_result o;
            switch (fs.wire) {
            case NETSIM_WIRE_UDP:
            case NETSIM_WIRE_ENET:
                o = statescan_datagram(fs.wire == NETSIM_WIRE_ENET ? STATESCAN_ENET
                                                                    : STATESCAN_UDP,
                                       p, len, own);
                ffs_same(&r, refs, &o, own);
                break;
            case NETSIM_WIRE_QUIC:
                o = quicview_datagram(&q, NULL, dir == NETSIM_UP, p, len, own);
                ffs_same(&r, refs, &o, own);
                break;
            case NETSIM_WIRE_WEBRTC:
                FUZZ_CHECK(r.states == 0 && r.malformed == 1); /* no key log: unread */
                break;
            default:
                FUZZ_CHECK(!"a flow read with no wire");
            }
            /* the states shown for the first time: the datagram's, each once */
            size_t n = flowscan_first(&fs, dir, &r, refs, seqs);
            size_t states = r.states < STATESCAN_MAX ? r.states : STATESCAN_MAX;
            FUZZ_CHECK(n <= states);
            for (size_t i = 0; i < n; i++) {
                bool of_it = false;
                for (size_t j = 0; j < states && !of_it; j++)
                    of_it = refs[j].seq == seqs[i];
                FUZZ_CHECK(of_it);
            }
            /* one sender's states (a seq names one state), their numbers within
             * a quarter of the space of each other (as a sender's are) */
            bool near = states > 0;
            for (size_t i = 0; i < states; i++)
                for (size_t j = 0; j < states; j++)
                    near &= refs[i].sender == refs[j].sender &&
                            refs[i].seq - refs[j].seq + 0x40000000u < 0x80000000u;
            if (near) { /* shown once: not twice in a call, nor judged again */
                uint32_t again[STATESCAN_MAX];
                size_t m = flowscan_first(&fs, dir, &r, refs, again);
                for (size_t i = 0; i < n; i++) {
                    for (size_t j = i + 1; j < n; j++)
                        FUZZ_CHECK(seqs[i] != seqs[j]);
                    for (size_t j = 0; j < m; j++)
                        FUZZ_CHECK(seqs[i] != again[j]);
                }
            }
        }
        if (chosen < 0 && fs.wire >= 0)
            chosen = fs.wire;
        FUZZ_CHECK(fs.wire == chosen);
        free(p);
    }
    flowscan_free(&fs);
    quicview_flow_free(&q);
    return 0;
}
