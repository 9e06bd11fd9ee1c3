/* enet_wire.c: ENet 1.3.17's datagrams, read (see enet_wire.h). The sizes
 * and offsets are enet/protocol.h's packed layouts; the walk stops where
 * protocol.c's enet_protocol_handle_incoming_commands stops. */
#include "enet_wire.h"
#include "proto/byteorder.h"

#include <string.h>

#include <enet/protocol.h>

#if ENET_VERSION != ENET_WIRE_VERSION
#error "proto/enet/enet_wire.c reads ENet 1.3.17's wire: re-read protocol.h and protocol.c"
#endif

/* The layouts read below (packed). */
_Static_assert(sizeof(ENetProtocolHeader) == 4, "ENet header layout");
_Static_assert(offsetof(ENetProtocolHeader, sentTime) == 2, "ENet header layout");
_Static_assert(sizeof(ENetProtocolCommandHeader) == 4, "ENet command header layout");
_Static_assert(sizeof(ENetProtocolSendReliable) == 6, "ENet send layout");
_Static_assert(sizeof(ENetProtocolSendUnreliable) == 8, "ENet send layout");
_Static_assert(sizeof(ENetProtocolSendUnsequenced) == 8, "ENet send layout");
_Static_assert(sizeof(ENetProtocolSendFragment) == 24, "ENet fragment layout");
_Static_assert(sizeof(ENetProtocolConnect) == 48, "ENet connect layout");
_Static_assert(ENET_PROTOCOL_MAXIMUM_PEER_ID == ENET_WIRE_NO_PEER, "ENet peer id range");
_Static_assert(ENET_WIRE_PEERS_MAX == ENET_PROTOCOL_MAXIMUM_PEER_ID, "ENet's peer count limit");

/* Size of each command before its payload, by command number; 0 for
 * numbers ENet does not accept. */
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

int enet_wire_header(const uint8_t *d, size_t len, size_t checksum, struct enet_wire_header *h)
{
    if (len < 2)
        return -1;
    unsigned word = be16_get(d);
    h->peer_id = word & ENET_PROTOCOL_MAXIMUM_PEER_ID;
    h->session = (word & ENET_PROTOCOL_HEADER_SESSION_MASK) >> ENET_PROTOCOL_HEADER_SESSION_SHIFT;
    h->sent_time = (word & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) != 0;
    h->compressed = (word & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED) != 0;
    h->size = (h->sent_time ? sizeof(ENetProtocolHeader) : offsetof(ENetProtocolHeader, sentTime)) +
              checksum;
    return 0;
}

/* The fields of a command with a payload (cmd: its first byte). */
static void read_data_fields(const uint8_t *cmd, struct enet_wire_command *c)
{
    switch (c->command) {
    case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
        c->data_len = be16_get(cmd + offsetof(ENetProtocolSendReliable, dataLength));
        break;
    case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
        c->data_len = be16_get(cmd + offsetof(ENetProtocolSendUnreliable, dataLength));
        break;
    case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
        c->data_len = be16_get(cmd + offsetof(ENetProtocolSendUnsequenced, dataLength));
        c->unsequenced_group =
            be16_get(cmd + offsetof(ENetProtocolSendUnsequenced, unsequencedGroup));
        break;
    case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
    case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT:
        c->data_len = be16_get(cmd + offsetof(ENetProtocolSendFragment, dataLength));
        c->fragment_number = be32_get(cmd + offsetof(ENetProtocolSendFragment, fragmentNumber));
        c->fragment_count = be32_get(cmd + offsetof(ENetProtocolSendFragment, fragmentCount));
        c->total_length = be32_get(cmd + offsetof(ENetProtocolSendFragment, totalLength));
        c->fragment_offset = be32_get(cmd + offsetof(ENetProtocolSendFragment, fragmentOffset));
        break;
    case ENET_PROTOCOL_COMMAND_CONNECT:
        c->channel_count = be32_get(cmd + offsetof(ENetProtocolConnect, channelCount));
        memcpy(&c->connect_id, cmd + offsetof(ENetProtocolConnect, connectID),
               sizeof c->connect_id);
        break;
    default:
        break;
    }
}

int enet_wire_next(const uint8_t *d, size_t len, size_t *off, struct enet_wire_command *c)
{
    size_t at = *off;
    if (at == len)
        return 0;
    if (at > len || len - at < sizeof(ENetProtocolCommandHeader))
        return -1;
    memset(c, 0, sizeof *c);
    c->command = d[at] & ENET_PROTOCOL_COMMAND_MASK;
    c->acknowledge = (d[at] & ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE) != 0;
    c->channel = d[at + 1];
    c->size = c->command < ENET_PROTOCOL_COMMAND_COUNT ? command_sizes[c->command] : 0;
    if (c->size == 0 || len - at < c->size)
        return -1;
    read_data_fields(d + at, c);
    c->data_fits = c->data_len <= len - at - c->size;
    c->data = c->data_fits ? d + at + c->size : NULL;
    *off = at + c->size + (c->data_fits ? c->data_len : 0);
    return 1;
}
