/* statescan.c: the states inside a udp or ENet datagram (see statescan.h).
 * The ENet walk mirrors enet_protocol_handle_incoming_commands (1.3.17):
 * same command sizes, same stop on a short or unknown command. */
#include "statescan.h"

#include <enet/protocol.h>

#include "../../proto/wire.h"

#define SCAN_STATE_HEAD 12 /* version, type, reserved, sender, seq */

/* sizeof each command's fixed part, indexed by command number; 0 = unknown. */
static const uint8_t scan_cmd_size[ENET_PROTOCOL_COMMAND_COUNT] = {
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

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Records a state if the payload starts with a state header. */
static void scan_payload(const uint8_t *p, size_t len, size_t min_len, uint8_t channel,
                         uint8_t kind, struct statescan_result *r,
                         struct statescan_ref out[STATESCAN_MAX])
{
    if (len < min_len || p[0] != PROTO_STATE_VERSION || p[1] != PROTO_MSG_STATE)
        return;
    if (r->states < STATESCAN_MAX)
        out[r->states] = (struct statescan_ref){
            .sender = get32(p + 4), .seq = get32(p + 8), .channel = channel, .kind = kind};
    r->states++;
}

/* Offset of the data length field in a command that carries data, or 0. */
static size_t scan_length_at(int cmd, uint8_t *kind)
{
    switch (cmd) {
    case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
        *kind = STATESCAN_RELIABLE;
        return offsetof(ENetProtocolSendReliable, dataLength);
    case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
        *kind = STATESCAN_UNRELIABLE;
        return offsetof(ENetProtocolSendUnreliable, dataLength);
    case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
        *kind = STATESCAN_UNSEQUENCED;
        return offsetof(ENetProtocolSendUnsequenced, dataLength);
    case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
    case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT:
        *kind = STATESCAN_FRAGMENT;
        return offsetof(ENetProtocolSendFragment, dataLength);
    default:
        return 0;
    }
}

/* One command at buf[at]; returns its total length (data included), or 0 if
 * ENet would stop here. */
static size_t scan_command(const uint8_t *buf, size_t len, size_t at, struct statescan_result *r,
                           struct statescan_ref out[STATESCAN_MAX])
{
    if (len - at < sizeof(ENetProtocolCommandHeader))
        return 0;
    int cmd = buf[at] & ENET_PROTOCOL_COMMAND_MASK;
    size_t size = cmd < ENET_PROTOCOL_COMMAND_COUNT ? scan_cmd_size[cmd] : 0;
    if (size == 0 || len - at < size)
        return 0;
    uint8_t kind = 0;
    size_t length_at = scan_length_at(cmd, &kind);
    if (!length_at)
        return size;
    size_t data = get16(buf + at + length_at);
    if (len - at - size < data)
        return 0;
    const uint8_t *payload = buf + at + size;
    uint8_t channel = buf[at + 1];
    if (channel == PROTO_CHANNEL_CONTROL)
        return size + data;
    size_t before = r->states;
    if (kind != STATESCAN_FRAGMENT)
        scan_payload(payload, data, PROTO_STATE_SIZE, channel, kind, r, out);
    else if (get32(buf + at + offsetof(ENetProtocolSendFragment, fragmentOffset)) == 0)
        scan_payload(payload, data, SCAN_STATE_HEAD, channel, kind, r, out);
    if (kind == STATESCAN_UNSEQUENCED && r->states > before && before < STATESCAN_MAX)
        out[before].group =
            get16(buf + at + offsetof(ENetProtocolSendUnsequenced, unsequencedGroup));
    return size + data;
}

static void scan_enet(const uint8_t *buf, size_t len, struct statescan_result *r,
                      struct statescan_ref out[STATESCAN_MAX])
{
    if (len < 2) {
        r->malformed = 1;
        return;
    }
    uint16_t flags = get16(buf) & ENET_PROTOCOL_HEADER_FLAG_MASK;
    r->peer = get16(buf) & ENET_PROTOCOL_MAXIMUM_PEER_ID;
    if (flags & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED) {
        r->compressed = 1;
        return;
    }
    size_t at = flags & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME ? sizeof(ENetProtocolHeader) : 2;
    if (len < at) {
        r->malformed = 1;
        return;
    }
    while (at < len) {
        size_t n = scan_command(buf, len, at, r, out);
        if (n == 0) {
            r->malformed = 1;
            return;
        }
        r->commands++;
        at += n;
    }
}

struct statescan_result statescan_datagram(enum statescan_wire wire, const uint8_t *buf,
                                           size_t len, struct statescan_ref out[STATESCAN_MAX])
{
    struct statescan_result r = {.peer = -1};
    if (wire == STATESCAN_ENET)
        scan_enet(buf, len, &r, out);
    else /* anything else on a udp flow (join, control) is no state */
        scan_payload(buf, len, PROTO_STATE_SIZE, 0, STATESCAN_PLAIN, &r, out);
    return r;
}

const char *statescan_kind_name(int kind)
{
    static const char *const names[] = {"plain", "reliable", "unreliable", "unsequenced",
                                        "fragment"};
    return kind >= 0 && kind <= STATESCAN_FRAGMENT ? names[kind] : "?";
}
