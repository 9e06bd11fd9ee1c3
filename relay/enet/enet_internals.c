/* enet_internals.c: the relay's knowledge of ENet 1.3.17's insides (see
 * enet_internals.h). Each check here mirrors a test in ENet's protocol.c
 * (enet_protocol_handle_incoming_commands and the command handlers); if
 * ENet changes, re-read protocol.c and redo them. */
#include "enet_internals.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <enet/time.h>

#include "proto/enet/enet_wire.h"
#include "relay/transport.h"

#if ENET_VERSION != ENET_WIRE_VERSION
#error "relay/enet/enet_internals.c mirrors ENet 1.3.17's protocol.c: re-read it for this ENet"
#endif

int relay_enet_internals_check(char *err, size_t err_cap)
{
    ENetVersion v = enet_linked_version();
    if (v == ENET_WIRE_VERSION)
        return 0;
    snprintf(err, err_cap,
             "linked ENet is %u.%u.%u, the relay's guards were written for 1.3.17 "
             "(relay/enet/enet_internals.c)",
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

ENetPeer *relay_enet_peer_of_address(ENetHost *host, const ENetAddress *to)
{
    uintptr_t at = (uintptr_t)to, first = (uintptr_t)host->peers;
    size_t off = offsetof(ENetPeer, address);
    if (at < first + off || at >= first + host->peerCount * sizeof(ENetPeer))
        return NULL;
    if ((at - first - off) % sizeof(ENetPeer) != 0)
        return NULL;
    return &host->peers[(at - first - off) / sizeof(ENetPeer)];
}

bool relay_enet_read_all(int rc, const ENetEvent *returned, unsigned reads)
{
    if (reads >= RELAY_ENET_READS_PER_SERVICE)
        return false;
    return rc == 0 || returned->type == ENET_EVENT_TYPE_RECEIVE;
}

static size_t checksum_size(const ENetHost *host)
{
    return host->checksum ? sizeof(enet_uint32) : 0;
}

/* ENet's scan of its peer slots for a CONNECT from host->receivedAddress
 * with connect_id (enet_protocol_handle_connect), and the half-open
 * handshakes beside it (see relay_enet_connect_scan). */
static void scan_slots(const ENetHost *host, enet_uint32 connect_id, const enet_uint32 *opened,
                       struct relay_enet_connect *c)
{
    *c = (struct relay_enet_connect){ .slot = SIZE_MAX, .oldest = SIZE_MAX };
    for (size_t i = 0; i < host->peerCount; i++) {
        const ENetPeer *p = &host->peers[i];
        if (p->state == ENET_PEER_STATE_DISCONNECTED) {
            if (c->slot == SIZE_MAX)
                c->slot = i;
            continue;
        }
        bool half_open = p->state == ENET_PEER_STATE_ACKNOWLEDGING_CONNECT;
        c->half_open += half_open;
        if (half_open && opened &&
            (c->oldest == SIZE_MAX || ENET_TIME_LESS(opened[i], opened[c->oldest])))
            c->oldest = i;
        if (p->state == ENET_PEER_STATE_CONNECTING ||
            p->address.host != host->receivedAddress.host)
            continue;
        if (p->address.port == host->receivedAddress.port && p->connectID == connect_id)
            c->resend = true;
        else {
            c->same_ip++;
            c->half_open_same_ip += half_open;
        }
    }
}

/* A CONNECT that ENet will refuse without a word: a channel count out of
 * its range (stray), no free peer slot (server_full), or --max-per-address
 * peers from that IP already (per_address). Returns the reason, or
 * RELAY_DROP_COUNT if ENet goes ahead (or it is a resend, which ENet
 * ignores). */
static enum relay_drop connect_refusal(const ENetHost *host, const struct enet_wire_command *cmd)
{
    if (cmd->channel_count < ENET_PROTOCOL_MINIMUM_CHANNEL_COUNT ||
        cmd->channel_count > ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT)
        return RELAY_DROP_STRAY;
    struct relay_enet_connect c;
    scan_slots(host, cmd->connect_id, NULL, &c);
    if (c.resend)
        return RELAY_DROP_COUNT;
    if (c.slot == SIZE_MAX)
        return RELAY_DROP_SERVER_FULL;
    if (c.same_ip >= host->duplicatePeers)
        return RELAY_DROP_PER_ADDRESS;
    return RELAY_DROP_COUNT;
}

/* Would ENet drop this datagram without a trace? The same tests as ENet
 * 1.3's enet_protocol_handle_incoming_commands: the peer id (its index in
 * host->peers, or 0xFFF before a connection), the sender's address and the
 * session must match a live peer, and an id-less datagram must start with
 * CONNECT. Returns why (a relay_drop), or RELAY_DROP_COUNT if ENet takes
 * it; *peer_id gets the peer id. */
enum relay_drop relay_enet_would_ignore(const ENetHost *host, unsigned *peer_id)
{
    const enet_uint8 *d = host->receivedData;
    size_t len = host->receivedDataLength;
    struct enet_wire_header h;
    *peer_id = ENET_PROTOCOL_MAXIMUM_PEER_ID;
    if (enet_wire_header(d, len, checksum_size(host), &h) != 0)
        return RELAY_DROP_STRAY;
    *peer_id = h.peer_id;
    if (h.compressed)
        return RELAY_DROP_STRAY; /* we set no compressor */
    if (h.peer_id == ENET_WIRE_NO_PEER) {
        struct enet_wire_command c;
        size_t off = h.size;
        if (enet_wire_next(d, len, &off, &c) <= 0 || c.command != ENET_PROTOCOL_COMMAND_CONNECT)
            return RELAY_DROP_STRAY;
        return connect_refusal(host, &c);
    }
    if (h.peer_id >= host->peerCount)
        return RELAY_DROP_STRAY;
    const ENetPeer *p = &host->peers[h.peer_id];
    if (p->state == ENET_PEER_STATE_DISCONNECTED || p->state == ENET_PEER_STATE_ZOMBIE)
        return RELAY_DROP_STRAY;
    if ((host->receivedAddress.host != p->address.host ||
         host->receivedAddress.port != p->address.port) &&
        p->address.host != ENET_HOST_BROADCAST)
        return RELAY_DROP_STRAY;
    if (p->outgoingPeerID < ENET_PROTOCOL_MAXIMUM_PEER_ID && h.session != p->incomingSessionID)
        return RELAY_DROP_STRAY;
    return RELAY_DROP_COUNT;
}

void relay_enet_connect_scan(const ENetHost *host, const enet_uint32 *opened,
                             struct relay_enet_connect *c)
{
    struct enet_wire_header h;
    struct enet_wire_command cmd = { 0 };
    if (enet_wire_header(host->receivedData, host->receivedDataLength, checksum_size(host),
                         &h) == 0) {
        size_t off = h.size;
        enet_wire_next(host->receivedData, host->receivedDataLength, &off, &cmd);
    }
    scan_slots(host, cmd.connect_id, opened, c);
}

/* ENet drops a fragment of a packet longer than the host's
 * maximumPacketSize without a counter, an error or an acknowledgement: a
 * reliable one is resent forever and its channel never moves on. This walks
 * the commands the way enet_protocol_handle_incoming_commands does and stops
 * where it stops (truncated or unknown command, payload past the end, a bad
 * channel, CONNECT or DISCONNECT, an acknowledged command in a datagram
 * without a sent time), so only a fragment ENet would reach counts. */
bool relay_enet_find_oversize(const uint8_t *d, size_t len, size_t extra_header,
                              size_t channels, size_t max_packet,
                              struct relay_enet_oversize *o)
{
    struct enet_wire_header h;
    struct enet_wire_command c;
    if (enet_wire_header(d, len, extra_header, &h) != 0)
        return false;
    size_t off = h.size;
    while (enet_wire_next(d, len, &off, &c) > 0) {
        switch (c.command) {
        case ENET_PROTOCOL_COMMAND_CONNECT:    /* refused on a live peer */
        case ENET_PROTOCOL_COMMAND_DISCONNECT: /* no sends are taken after it */
            return false;
        case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
            if (c.channel >= channels)
                return false;
            break;
        case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT:
            if (c.channel >= channels || c.data_len == 0 || !c.data_fits)
                return false; /* ENet rejects it for another reason */
            if (c.total_length > max_packet) {
                o->total = c.total_length;
                o->reliable = c.command == ENET_PROTOCOL_COMMAND_SEND_FRAGMENT;
                o->first = c.fragment_number == 0;
                return true;
            }
            break;
        default:
            break;
        }
        if (!c.data_fits || (c.acknowledge && !h.sent_time))
            return false;
    }
    return false;
}

/* A fragment ENet 1.3.17 would take but 1.3.18 refuses (upstream 657eaf9):
 * the packet must hold at least a byte per fragment, and each fragment lie
 * inside it. */
static bool fragment_inconsistent(const struct enet_wire_command *c)
{
    return c->fragment_count == 0 ||
           c->fragment_count > ENET_PROTOCOL_MAXIMUM_FRAGMENT_COUNT ||
           c->fragment_number >= c->fragment_count || c->total_length < c->fragment_count ||
           c->fragment_offset >= c->total_length ||
           c->data_len > c->total_length - c->fragment_offset;
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
    struct enet_wire_header h;
    struct enet_wire_command c;
    *out = (struct relay_enet_scanned){ 0 };
    if (enet_wire_header(d, len, extra_header, &h) != 0)
        return RELAY_DROP_COUNT;
    size_t off = h.size;
    while (enet_wire_next(d, len, &off, &c) > 0) {
        if (c.acknowledge && !h.sent_time)
            return RELAY_DROP_ENET_GUARD;
        bool data = true;
        switch (c.command) {
        case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
            /* An empty one is a packet like any other (the core refuses
             * it); held out of order it counts like any other too. */
            break;
        case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT:
            if (c.data_len == 0 || fragment_inconsistent(&c))
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
        if (!c.data_fits)
            return RELAY_DROP_COUNT;
        out->data_commands += data;
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

void relay_enet_acks_init(struct relay_enet_acks *held)
{
    enet_list_clear(&held->list);
    held->connect_id = 0;
}

void relay_enet_hold_acks(ENetPeer *p, struct relay_enet_acks *held)
{
    if (enet_list_empty(&p->acknowledgements))
        return;
    if (held->connect_id != p->connectID)
        relay_enet_return_acks(p, held); /* an earlier connection's: freed */
    held->connect_id = p->connectID;
    enet_list_move(enet_list_end(&held->list), enet_list_front(&p->acknowledgements),
                   enet_list_back(&p->acknowledgements));
}

size_t relay_enet_return_acks(ENetPeer *p, struct relay_enet_acks *held)
{
    if (enet_list_empty(&held->list))
        return 0;
    bool live = p->state == ENET_PEER_STATE_CONNECTED ||
                p->state == ENET_PEER_STATE_DISCONNECT_LATER;
    if (live && p->connectID == held->connect_id) {
        size_t n = enet_list_size(&held->list);
        enet_list_move(enet_list_begin(&p->acknowledgements), enet_list_front(&held->list),
                       enet_list_back(&held->list));
        return n;
    }
    while (!enet_list_empty(&held->list))
        enet_free(enet_list_remove(enet_list_begin(&held->list)));
    return 0;
}
