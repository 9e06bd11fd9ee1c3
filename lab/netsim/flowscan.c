/* flowscan.c: the states of a flow's datagrams (see flowscan.h). */
#include "flowscan.h"

#include <stdlib.h>
#include <string.h>

#include "proto/enet/sniff.h"
#include "proto/byteorder.h"

#define STUN_COOKIE 0x2112A442u

void flowscan_init(struct flowscan *fs, int wire)
{
    memset(fs, 0, sizeof *fs);
    fs->wire = wire == NETSIM_WIRE_AUTO ? -1 : wire;
}

void flowscan_free(struct flowscan *fs)
{
    free(fs->dtls);
    fs->dtls = NULL;
    if (fs->quic)
        quicview_flow_free(fs->quic);
    free(fs->quic);
    fs->quic = NULL;
}

const char *flowscan_wire_name(int wire)
{
    static const char *const names[] = {"udp", "enet", "webrtc", "quic", "auto"};
    return wire >= 0 && wire <= NETSIM_WIRE_AUTO ? names[wire] : "?";
}

/* --wire auto: what a flow's first datagram speaks. A STUN message (its
 * first two bits 0, the magic cookie at 4) or a DTLS record (first byte
 * 20 to 63, RFC 7983) is WebRTC's; a QUIC version 1 Initial (a long
 * header's first bits, version 1, padded to 1200 bytes) QUIC's; a JSON
 * object, a plain-UDP client's join; anything else ENet's. */
static int sniff_wire(const uint8_t *p, size_t len)
{
    if (len >= 20 && p[0] < 4 &&
        be32_get(p + 4) == STUN_COOKIE)
        return NETSIM_WIRE_WEBRTC;
    if (len >= 13 && p[0] >= 20 && p[0] <= 63)
        return NETSIM_WIRE_WEBRTC;
    if (quicview_is_initial(p, len))
        return NETSIM_WIRE_QUIC;
    if (sniff_is_json(p, len))
        return NETSIM_WIRE_UDP;
    return NETSIM_WIRE_ENET;
}

struct statescan_result flowscan_datagram(struct flowscan *fs, struct dtlsview_keylog *keylog,
                                          enum netsim_dir dir, const uint8_t *payload,
                                          size_t len, struct statescan_ref out[STATESCAN_MAX])
{
    if (fs->wire < 0)
        fs->wire = sniff_wire(payload, len);
    if (fs->wire == NETSIM_WIRE_QUIC) {
        if (!fs->quic)
            fs->quic = calloc(1, sizeof *fs->quic);
        if (!fs->quic) /* out of memory: unread */
            return (struct statescan_result){.peer = -1, .malformed = 1};
        /* the flow's client is QUIC's client; without keys, 1-RTT stays unread */
        return quicview_datagram(fs->quic, keylog, dir == NETSIM_UP, payload, len, out);
    }
    if (fs->wire != NETSIM_WIRE_WEBRTC)
        return statescan_datagram(fs->wire == NETSIM_WIRE_ENET ? STATESCAN_ENET : STATESCAN_UDP,
                                  payload, len, out);
    if (!fs->dtls)
        fs->dtls = calloc(1, sizeof *fs->dtls);
    if (!fs->dtls || !keylog) /* out of memory, or no keys: unread */
        return (struct statescan_result){.peer = -1, .malformed = 1};
    /* the flow's client is the DTLS client */
    return dtlsview_datagram(fs->dtls, keylog, dir == NETSIM_UP, payload, len, out);
}

void flowscan_arrived(struct flowscan *fs, struct dtlsview_keylog *keylog, enum netsim_dir dir,
                      const uint8_t *payload, size_t len)
{
    struct statescan_ref refs[STATESCAN_MAX];
    if (fs->wire < 0 && len > 0)
        fs->wire = sniff_wire(payload, len);
    if (fs->wire == NETSIM_WIRE_QUIC)
        flowscan_datagram(fs, keylog, dir, payload, len, refs);
}

size_t flowscan_first(struct flowscan *fs, enum netsim_dir dir, const struct statescan_result *r,
                      const struct statescan_ref *refs, uint32_t *seqs)
{
    size_t n = 0;
    for (size_t i = 0; i < r->states && i < STATESCAN_MAX; i++) {
        const struct statescan_ref *ref = &refs[i];
        size_t k = 0;
        while (k < FLOWSCAN_SENDERS &&
               !(fs->judged[k].used && fs->judged[k].dir == dir &&
                 fs->judged[k].peer == r->peer && fs->judged[k].sender == ref->sender))
            k++;
        if (k == FLOWSCAN_SENDERS) { /* a sender not seen (or forgotten): new */
            k = fs->next;
            fs->next = (uint8_t)((fs->next + 1) % FLOWSCAN_SENDERS);
            fs->judged[k].used = true;
            fs->judged[k].dir = (uint8_t)dir;
            fs->judged[k].peer = (int16_t)r->peer;
            fs->judged[k].sender = ref->sender;
            fs->judged[k].highest = ref->seq - 1;
        }
        uint32_t ahead = ref->seq - fs->judged[k].highest;
        if (ahead == 0 || ahead >= 0x80000000u) /* wrap-safe: at or before the highest */
            continue;
        fs->judged[k].highest = ref->seq;
        seqs[n++] = ref->seq;
    }
    return n;
}
