/* target_enetguard.c: fuzzes the relay's guards in front of ENet 1.3.17
 * (relay/enet/enet_internals.h: relay_enet_scan, relay_enet_refusal,
 * relay_enet_find_oversize) and the ENet wire reader under them
 * (proto/enet/enet_wire.h), with the sniffer's tests (sniff.h) on the same
 * bytes; see targets.h.
 *
 * The input: a byte of settings (bit 0: the host checksums, 4 more header
 * bytes), the peer's channel count, 2 bytes of --max-packet-size, then the
 * datagram. Checked: the walk moves forward and every payload it points at
 * lies inside the datagram; scan and refusal agree, and a datagram ENet
 * would take has no more data commands than commands; an oversize fragment
 * is one the walk meets, on a channel the peer has, announcing more than
 * the limit; a datagram cut short never counts more than the whole. */
#include <string.h>

#include <enet/protocol.h>

#include "proto/enet/enet_wire.h"
#include "proto/enet/sniff.h"
#include "relay/enet/enet_internals.h"
#include "targets.h"

/* The commands ENet's walk meets in d, and whether one of them is the
 * fragment o names on a channel below channels. */
static size_t fuzz_enet_walk(const uint8_t *d, size_t len, size_t extra,
                             const struct relay_enet_oversize *o, size_t channels, int *met)
{
    struct enet_wire_header h;
    struct enet_wire_command c;
    *met = 0;
    if (enet_wire_header(d, len, extra, &h) != 0) {
        FUZZ_CHECK(len < 2);
        return 0;
    }
    FUZZ_CHECK(h.peer_id <= ENET_WIRE_NO_PEER && h.size == (h.sent_time ? 4u : 2u) + extra);
    size_t off = h.size, n = 0, prev = off;
    int rc;
    while ((rc = enet_wire_next(d, len, &off, &c)) > 0) {
        FUZZ_CHECK(c.size >= 4 && off <= len);
        FUZZ_CHECK(off == prev + c.size + (c.data_fits ? c.data_len : 0));
        FUZZ_CHECK(c.data_fits == (c.data != NULL));
        if (c.data_fits)
            FUZZ_CHECK(c.data == d + prev + c.size);
        n++;
        int fragment = c.command == ENET_PROTOCOL_COMMAND_SEND_FRAGMENT ||
                       c.command == ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT;
        if (o && fragment && c.channel < channels && c.total_length == o->total &&
            (c.fragment_number == 0) == o->first)
            *met = 1;
        if (!c.data_fits)
            break; /* ENet's walk ends at a payload that does not fit */
        prev = off;
    }
    FUZZ_CHECK(rc <= 1 && (rc != 0 || off == len));
    return n;
}

int fuzz_target_enetguard(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    uint8_t settings = fuzz_byte(&in);
    size_t extra = settings & 1 ? 4 : 0;
    size_t channels = fuzz_byte(&in);
    size_t max_packet = (size_t)fuzz_byte(&in) << 8;
    max_packet |= fuzz_byte(&in);
    const uint8_t *d = in.p;
    size_t len = in.left;

    struct relay_enet_scanned scanned;
    enum relay_drop why = relay_enet_scan(d, len, extra, &scanned);
    FUZZ_CHECK(why == RELAY_DROP_COUNT || why == RELAY_DROP_ENET_GUARD);
    FUZZ_CHECK(relay_enet_refusal(d, len, extra) == why);
    int met;
    size_t commands = fuzz_enet_walk(d, len, extra, NULL, 0, &met);
    FUZZ_CHECK(scanned.data_commands <= commands);
    if (why == RELAY_DROP_COUNT && len > 0) {
        /* Cut short, ENet takes fewer commands, never more. */
        struct relay_enet_scanned cut;
        if (relay_enet_scan(d, len - 1, extra, &cut) == RELAY_DROP_COUNT)
            FUZZ_CHECK(cut.data_commands <= scanned.data_commands);
    }

    struct relay_enet_oversize o;
    memset(&o, 0, sizeof o);
    if (relay_enet_find_oversize(d, len, extra, channels, max_packet, &o)) {
        FUZZ_CHECK(o.total > max_packet);
        (void)fuzz_enet_walk(d, len, extra, &o, channels, &met);
        FUZZ_CHECK(met);
        /* With a limit at least that packet's, it is no longer oversize. */
        struct relay_enet_oversize o2;
        if (relay_enet_find_oversize(d, len, extra, channels, o.total, &o2))
            FUZZ_CHECK(o2.total > o.total);
    }

    /* What the sniffer says of the same bytes: JSON opens with '{'; a
     * CONNECT is to no peer, its first command whole; its reply is the
     * one sniff_enet_reply makes. */
    if (sniff_is_json(d, len))
        FUZZ_CHECK(d[0] == '{');
    if (sniff_is_enet_connect(d, len)) {
        struct enet_wire_header h;
        FUZZ_CHECK(enet_wire_header(d, len, 0, &h) == 0 && h.peer_id == ENET_WIRE_NO_PEER);
        FUZZ_CHECK((d[h.size] & ENET_PROTOCOL_COMMAND_MASK) == ENET_PROTOCOL_COMMAND_CONNECT);
        FUZZ_CHECK(len >= h.size + sizeof(ENetProtocolConnect));
    }
    uint8_t reply[SNIFF_ENET_REPLY_LEN];
    sniff_enet_reply(reply);
    FUZZ_CHECK(sniff_is_enet_reply(reply, sizeof reply));
    if (sniff_is_enet_reply(d, len))
        FUZZ_CHECK(len == SNIFF_ENET_REPLY_LEN && memcmp(d, reply, 4) == 0);
    return 0;
}
