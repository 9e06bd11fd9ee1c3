/* enet_internals.c: the relay's knowledge of ENet 1.3.17's insides (see
 * enet_internals.h). Each check here mirrors a test in ENet's protocol.c
 * (enet_protocol_handle_incoming_commands and the command handlers); if
 * ENet changes, re-read protocol.c and redo them. */
#include "enet_internals.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "transport.h"

#if ENET_VERSION != RELAY_ENET_WRITTEN_FOR
#error "relay/enet_internals.c mirrors ENet 1.3.17's protocol.c: re-read it for this ENet"
#endif

/* The wire layouts the walkers below read (enet/protocol.h, packed). */
_Static_assert(sizeof(ENetProtocolHeader) == 4, "ENet header layout");
_Static_assert(offsetof(ENetProtocolHeader, sentTime) == 2, "ENet header layout");
_Static_assert(sizeof(ENetProtocolCommandHeader) == 4, "ENet command header layout");
_Static_assert(sizeof(ENetProtocolSendReliable) == 6, "ENet send layout");
_Static_assert(sizeof(ENetProtocolSendUnreliable) == 8, "ENet send layout");
_Static_assert(sizeof(ENetProtocolSendUnsequenced) == 8, "ENet send layout");
_Static_assert(sizeof(ENetProtocolSendFragment) == 24, "ENet fragment layout");
_Static_assert(sizeof(ENetProtocolConnect) == 48, "ENet connect layout");
_Static_assert(ENET_PROTOCOL_MAXIMUM_PEER_ID == 0xFFF, "ENet peer id range");

int relay_enet_internals_check(char *err, size_t err_cap)
{
    ENetVersion v = enet_linked_version();
    if (v == RELAY_ENET_WRITTEN_FOR)
        return 0;
    snprintf(err, err_cap,
             "linked ENet is %u.%u.%u, the relay's guards were written for 1.3.17 "
             "(relay/enet_internals.c)",
             ENET_VERSION_GET_MAJOR(v), ENET_VERSION_GET_MINOR(v), ENET_VERSION_GET_PATCH(v));
    return -1;
}

void *relay_enet_intercept_ctx(ENetEvent *event)
{
    if (!event)
        return NULL;
    struct relay_enet_service_event *se =
        (struct relay_enet_service_event *)((char *)event -
                                            offsetof(struct relay_enet_service_event, event));
    return se->ctx;
}

/* A CONNECT that ENet will refuse without a word: no free peer slot
 * (server_full), or --max-per-address peers from that IP already
 * (per_address). The same scan as enet_protocol_handle_connect. Returns the
 * reason, or RELAY_DROP_COUNT if ENet goes ahead (or it is a resend). */
static enum relay_drop connect_refusal(const ENetHost *host, const enet_uint8 *cmd)
{
    ENetProtocolConnect c;
    memcpy(&c, cmd, sizeof c);
    enet_uint32 channels = ENET_NET_TO_HOST_32(c.channelCount);
    if (channels < ENET_PROTOCOL_MINIMUM_CHANNEL_COUNT ||
        channels > ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT)
        return RELAY_DROP_STRAY;
    bool free_slot = false;
    size_t same_ip = 0;
    for (size_t i = 0; i < host->peerCount; i++) {
        const ENetPeer *p = &host->peers[i];
        if (p->state == ENET_PEER_STATE_DISCONNECTED) {
            free_slot = true;
        } else if (p->state != ENET_PEER_STATE_CONNECTING &&
                   p->address.host == host->receivedAddress.host) {
            if (p->address.port == host->receivedAddress.port &&
                p->connectID == c.connectID)
                return RELAY_DROP_COUNT; /* a resent CONNECT: ENet ignores it */
            same_ip++;
        }
    }
    if (!free_slot)
        return RELAY_DROP_SERVER_FULL;
    if (same_ip >= host->duplicatePeers)
        return RELAY_DROP_PER_ADDRESS;
    return RELAY_DROP_COUNT;
}

/* Bytes of the datagram before its first command: the 16-bit peer id with
 * flags, the sent time if flagged, a checksum if the host uses one. */
static size_t header_size(const ENetHost *host, unsigned flags)
{
    size_t n = (flags & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? sizeof(ENetProtocolHeader)
                                                            : offsetof(ENetProtocolHeader,
                                                                       sentTime);
    return host->checksum ? n + sizeof(enet_uint32) : n;
}

/* Would ENet drop this datagram without a trace? The same tests as ENet
 * 1.3's enet_protocol_handle_incoming_commands: the first 16 bits carry the
 * peer id (its index in host->peers, or 0xFFF before a connection) with
 * flag and session bits; the id, the sender's address and the session must
 * match a live peer, and an id-less datagram must start with CONNECT.
 * Returns why (a relay_drop), or RELAY_DROP_COUNT if ENet takes it; *peer_id
 * gets the peer id. */
enum relay_drop relay_enet_would_ignore(const ENetHost *host, unsigned *peer_id)
{
    const enet_uint8 *d = host->receivedData;
    size_t len = host->receivedDataLength;
    *peer_id = ENET_PROTOCOL_MAXIMUM_PEER_ID;
    if (len < 2)
        return RELAY_DROP_STRAY;
    unsigned h = (unsigned)d[0] << 8 | d[1];
    unsigned flags = h & ENET_PROTOCOL_HEADER_FLAG_MASK;
    unsigned session = (h & ENET_PROTOCOL_HEADER_SESSION_MASK) >>
                       ENET_PROTOCOL_HEADER_SESSION_SHIFT;
    unsigned id = h & ~(unsigned)(ENET_PROTOCOL_HEADER_FLAG_MASK |
                                  ENET_PROTOCOL_HEADER_SESSION_MASK) & 0xffffu;
    size_t header = header_size(host, flags);
    *peer_id = id;
    if (flags & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED)
        return RELAY_DROP_STRAY; /* we set no compressor */
    if (id == ENET_PROTOCOL_MAXIMUM_PEER_ID) {
        if (len < header + sizeof(ENetProtocolConnect) ||
            (d[header] & ENET_PROTOCOL_COMMAND_MASK) != ENET_PROTOCOL_COMMAND_CONNECT)
            return RELAY_DROP_STRAY;
        return connect_refusal(host, d + header);
    }
    if (id >= host->peerCount)
        return RELAY_DROP_STRAY;
    const ENetPeer *p = &host->peers[id];
    if (p->state == ENET_PEER_STATE_DISCONNECTED || p->state == ENET_PEER_STATE_ZOMBIE)
        return RELAY_DROP_STRAY;
    if ((host->receivedAddress.host != p->address.host ||
         host->receivedAddress.port != p->address.port) &&
        p->address.host != ENET_HOST_BROADCAST)
        return RELAY_DROP_STRAY;
    if (p->outgoingPeerID < ENET_PROTOCOL_MAXIMUM_PEER_ID && session != p->incomingSessionID)
        return RELAY_DROP_STRAY;
    return RELAY_DROP_COUNT;
}

enet_uint32 relay_enet_connect_id(const ENetHost *host)
{
    const enet_uint8 *d = host->receivedData;
    unsigned flags = ((unsigned)d[0] << 8 | d[1]) & ENET_PROTOCOL_HEADER_FLAG_MASK;
    ENetProtocolConnect c;
    memcpy(&c, d + header_size(host, flags), sizeof c);
    return c.connectID; /* as ENet compares it: unconverted */
}

/* Size of each ENet command before its payload, by command number; 0 for
 * numbers ENet does not accept (the layouts of enet/protocol.h). */
static const size_t command_sizes[ENET_PROTOCOL_COMMAND_COUNT] = {
    [ENET_PROTOCOL_COMMAND_ACKNOWLEDGE] = sizeof(ENetProtocolAcknowledge),
    [ENET_PROTOCOL_COMMAND_CONNECT] = sizeof(ENetProtocolConnect),
    [ENET_PROTOCOL_COMMAND_VERIFY_CONNECT] = sizeof(ENetProtocolVerifyConnect),
    [ENET_PROTOCOL_COMMAND_DISCONNECT] = sizeof(ENetProtocolDisconnect),
    [ENET_PROTOCOL_COMMAND_PING] = sizeof(ENetProtocolPing),
    [ENET_PROTOCOL_COMMAND_SEND_RELIABLE] = sizeof(ENetProtocolSendReliable),
    [ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE] = sizeof(ENetProtocolSendUnreliable),
    [ENET_PROTOCOL_COMMAND_SEND_FRAGMENT] = sizeof(ENetProtocolSendFragment),
    [ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED] = sizeof(ENetProtocolSendUnsequenced),
    [ENET_PROTOCOL_COMMAND_BANDWIDTH_LIMIT] = sizeof(ENetProtocolBandwidthLimit),
    [ENET_PROTOCOL_COMMAND_THROTTLE_CONFIGURE] = sizeof(ENetProtocolThrottleConfigure),
    [ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT] = sizeof(ENetProtocolSendFragment),
};

/* ENet drops a fragment of a packet longer than the host's
 * maximumPacketSize without a counter, an error or an acknowledgement: a
 * reliable one is resent forever and its channel never moves on. This walks
 * the commands the way enet_protocol_handle_incoming_commands does and stops
 * where it stops (truncated or unknown command, payload past the end, a bad
 * channel, CONNECT or DISCONNECT, an acknowledged command in a datagram
 * without a sent time), so only a fragment ENet would reach counts. Every
 * read is bounds-checked against len. */
bool relay_enet_find_oversize(const uint8_t *d, size_t len, size_t extra_header,
                              size_t channels, size_t max_packet,
                              struct relay_enet_oversize *o)
{
    if (len < 2)
        return false;
    unsigned flags = ((unsigned)d[0] << 8 | d[1]) & ENET_PROTOCOL_HEADER_FLAG_MASK;
    size_t off = ((flags & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? sizeof(ENetProtocolHeader)
                                                               : offsetof(ENetProtocolHeader,
                                                                          sentTime)) +
                 extra_header;
    while (off < len && len - off >= sizeof(ENetProtocolCommandHeader)) {
        unsigned cmd = d[off] & ENET_PROTOCOL_COMMAND_MASK;
        unsigned channel = d[off + 1];
        if (cmd >= ENET_PROTOCOL_COMMAND_COUNT || command_sizes[cmd] == 0 ||
            len - off < command_sizes[cmd])
            return false;
        size_t size = command_sizes[cmd];
        size_t payload = 0;
        switch (cmd) {
        case ENET_PROTOCOL_COMMAND_CONNECT:    /* refused on a live peer */
        case ENET_PROTOCOL_COMMAND_DISCONNECT: /* no sends are taken after it */
            return false;
        case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
            if (channel >= channels)
                return false;
            /* dataLength is the command's last field in all three */
            payload = (size_t)d[off + size - 2] << 8 | d[off + size - 1];
            break;
        case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT: {
            ENetProtocolSendFragment f;
            memcpy(&f, d + off, sizeof f);
            payload = ENET_NET_TO_HOST_16(f.dataLength);
            uint32_t total = ENET_NET_TO_HOST_32(f.totalLength);
            if (channel >= channels || payload == 0 || payload > len - off - size)
                return false; /* ENet rejects it for another reason */
            if (total > max_packet) {
                o->total = total;
                o->reliable = cmd == ENET_PROTOCOL_COMMAND_SEND_FRAGMENT;
                o->first = ENET_NET_TO_HOST_32(f.fragmentNumber) == 0;
                return true;
            }
            break;
        }
        default:
            break;
        }
        if (payload > len - off - size)
            return false;
        if ((d[off] & ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE) &&
            !(flags & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME))
            return false;
        off += size + payload;
    }
    return false;
}

/* A fragment ENet 1.3.17 would take but 1.3.18 refuses (upstream 657eaf9):
 * the packet must hold at least a byte per fragment, and each fragment lie
 * inside it. */
static bool fragment_inconsistent(const enet_uint8 *cmd, size_t payload)
{
    ENetProtocolSendFragment f;
    memcpy(&f, cmd, sizeof f);
    uint32_t count = ENET_NET_TO_HOST_32(f.fragmentCount);
    uint32_t number = ENET_NET_TO_HOST_32(f.fragmentNumber);
    uint32_t total = ENET_NET_TO_HOST_32(f.totalLength);
    uint32_t offset = ENET_NET_TO_HOST_32(f.fragmentOffset);
    return count == 0 || count > ENET_PROTOCOL_MAXIMUM_FRAGMENT_COUNT || number >= count ||
           total < count || offset >= total || payload > total - offset;
}

/* Walks the commands as ENet does and stops where it stops (see
 * relay_enet_find_oversize). */
enum relay_drop relay_enet_refusal(const uint8_t *d, size_t len, size_t extra_header)
{
    struct relay_enet_scanned scanned;
    return relay_enet_scan(d, len, extra_header, &scanned);
}

enum relay_drop relay_enet_scan(const uint8_t *d, size_t len, size_t extra_header,
                                struct relay_enet_scanned *out)
{
    *out = (struct relay_enet_scanned){ 0 };
    if (len < 2)
        return RELAY_DROP_COUNT;
    bool sent_time = (((unsigned)d[0] << 8 | d[1]) & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) != 0;
    size_t off = (sent_time ? sizeof(ENetProtocolHeader)
                            : offsetof(ENetProtocolHeader, sentTime)) +
                 extra_header;
    while (off < len && len - off >= sizeof(ENetProtocolCommandHeader)) {
        unsigned cmd = d[off] & ENET_PROTOCOL_COMMAND_MASK;
        if (cmd >= ENET_PROTOCOL_COMMAND_COUNT || command_sizes[cmd] == 0 ||
            len - off < command_sizes[cmd])
            return RELAY_DROP_COUNT;
        size_t size = command_sizes[cmd];
        if ((d[off] & ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE) && !sent_time)
            return RELAY_DROP_ENET_GUARD;
        size_t payload = 0;
        bool data = true;
        switch (cmd) {
        case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
            /* An empty one is a packet like any other (the core refuses
             * it); held out of order it counts like any other too. */
            payload = (size_t)d[off + size - 2] << 8 | d[off + size - 1];
            break;
        case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT:
            payload = (size_t)d[off + 6] << 8 | d[off + 7]; /* dataLength */
            if (payload == 0 || fragment_inconsistent(d + off, payload))
                return RELAY_DROP_ENET_GUARD;
            break;
        case ENET_PROTOCOL_COMMAND_DISCONNECT:
            out->disconnect = true;
            data = false;
            break;
        default:
            data = false;
            break;
        }
        if (payload > len - off - size)
            return RELAY_DROP_COUNT;
        out->data_commands += data;
        off += size + payload;
    }
    return RELAY_DROP_COUNT;
}

/* ---- what ENet holds per peer (its lists, walked with a limit) --------- */

void relay_enet_backlog(const ENetPeer *p, size_t max_packets, struct relay_enet_backlog *b)
{
    const ENetList *lists[] = { &p->outgoingCommands, &p->sentReliableCommands };
    b->packets = 0;
    b->bytes = 0;
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        for (ENetListIterator it = enet_list_begin(lists[i]);
             it != enet_list_end(lists[i]) && b->packets <= max_packets;
             it = enet_list_next(it)) {
            const ENetOutgoingCommand *c = (const ENetOutgoingCommand *)it;
            if (!c->packet)
                continue; /* ping, disconnect...: ENet's own, no payload */
            b->packets++;
            b->bytes += c->fragmentLength;
        }
}

size_t relay_enet_purge_outgoing(ENetPeer *p, unsigned keep_channel)
{
    size_t n = 0;
    ENetListIterator it = enet_list_begin(&p->outgoingCommands);
    while (it != enet_list_end(&p->outgoingCommands)) {
        ENetOutgoingCommand *c = (ENetOutgoingCommand *)it;
        it = enet_list_next(it);
        if (!c->packet || c->command.header.channelID == keep_channel)
            continue;
        enet_list_remove(&c->outgoingCommandList);
        if (--c->packet->referenceCount == 0)
            enet_packet_destroy(c->packet);
        enet_free(c);
        n++;
    }
    return n;
}

bool relay_enet_holds_none(const ENetPeer *p)
{
    for (size_t i = 0; i < p->channelCount; i++) {
        const ENetChannel *c = &p->channels[i];
        if (!enet_list_empty(&c->incomingReliableCommands) ||
            !enet_list_empty(&c->incomingUnreliableCommands))
            return false;
    }
    return true;
}

size_t relay_enet_held(const ENetPeer *p, size_t limit)
{
    size_t n = 0;
    for (size_t i = 0; i < p->channelCount && n <= limit; i++) {
        const ENetList *lists[] = { &p->channels[i].incomingReliableCommands,
                                    &p->channels[i].incomingUnreliableCommands };
        for (size_t j = 0; j < 2; j++)
            for (ENetListIterator it = enet_list_begin(lists[j]);
                 it != enet_list_end(lists[j]) && n <= limit; it = enet_list_next(it))
                n++;
    }
    return n;
}
