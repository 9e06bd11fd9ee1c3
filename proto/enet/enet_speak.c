/* enet_speak.c: ENet 1.3.17's datagrams, written (see enet_speak.h). The
 * layouts are enet/protocol.h's packed structs, every field in network
 * order; which sequence number a command carries follows peer.c's
 * enet_peer_setup_outgoing_command. */
#include "enet_speak.h"
#include "proto/byteorder.h"

#include <string.h>

#include <enet/protocol.h>

#if ENET_VERSION != ENET_WIRE_VERSION
#error "proto/enet/enet_speak.c writes ENet 1.3.17's wire: re-read protocol.h and peer.c"
#endif

_Static_assert(sizeof(ENetProtocolConnect) == ENET_SPEAK_CONNECT_SIZE, "ENet connect layout");
_Static_assert(sizeof(ENetProtocolAcknowledge) == ENET_SPEAK_ACK_SIZE, "ENet ack layout");
_Static_assert(sizeof(ENetProtocolPing) == ENET_SPEAK_PING_SIZE, "ENet ping layout");
_Static_assert(sizeof(ENetProtocolDisconnect) == ENET_SPEAK_DISCONNECT_SIZE,
               "ENet disconnect layout");
_Static_assert(sizeof(ENetProtocolSendUnreliable) == ENET_SPEAK_SEND_MAX &&
                   sizeof(ENetProtocolSendUnsequenced) == ENET_SPEAK_SEND_MAX,
               "ENet send layout");
_Static_assert(sizeof(ENetProtocolVerifyConnect) == 44, "ENet verify layout");

/* The 4-byte command header every command starts with. */
static void command_header(uint8_t *out, unsigned command, uint8_t channel, uint16_t seq)
{
    out[0] = (uint8_t)command;
    out[1] = channel;
    be16_put(out + 2, seq);
}

size_t enet_speak_header(uint8_t *out, unsigned peer_id, unsigned session, bool sent_time,
                         uint16_t time_ms)
{
    unsigned word = (peer_id & ENET_PROTOCOL_MAXIMUM_PEER_ID) |
                    (session << ENET_PROTOCOL_HEADER_SESSION_SHIFT &
                     ENET_PROTOCOL_HEADER_SESSION_MASK) |
                    (sent_time ? ENET_PROTOCOL_HEADER_FLAG_SENT_TIME : 0);
    be16_put(out, (uint16_t)word);
    if (!sent_time)
        return offsetof(ENetProtocolHeader, sentTime);
    be16_put(out + offsetof(ENetProtocolHeader, sentTime), time_ms);
    return sizeof(ENetProtocolHeader);
}

size_t enet_speak_connect(uint8_t *out, size_t cap, const struct enet_speak_connect *c)
{
    if (cap < sizeof(ENetProtocolConnect))
        return 0;
    memset(out, 0, sizeof(ENetProtocolConnect));
    command_header(out, ENET_PROTOCOL_COMMAND_CONNECT | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                   ENET_SPEAK_CONTROL_CHANNEL, c->reliable_seq);
    be16_put(out + offsetof(ENetProtocolConnect, outgoingPeerID), c->my_peer_id);
    out[offsetof(ENetProtocolConnect, incomingSessionID)] = 0xFF; /* none yet: the relay picks */
    out[offsetof(ENetProtocolConnect, outgoingSessionID)] = 0xFF;
    be32_put(out + offsetof(ENetProtocolConnect, mtu), c->mtu);
    be32_put(out + offsetof(ENetProtocolConnect, windowSize), c->window_size);
    be32_put(out + offsetof(ENetProtocolConnect, channelCount), c->channel_count);
    /* bandwidths 0 (unlimited); throttle as enet_host_connect proposes it */
    be32_put(out + offsetof(ENetProtocolConnect, packetThrottleInterval),
          ENET_PEER_PACKET_THROTTLE_INTERVAL);
    be32_put(out + offsetof(ENetProtocolConnect, packetThrottleAcceleration),
          ENET_PEER_PACKET_THROTTLE_ACCELERATION);
    be32_put(out + offsetof(ENetProtocolConnect, packetThrottleDeceleration),
          ENET_PEER_PACKET_THROTTLE_DECELERATION);
    memcpy(out + offsetof(ENetProtocolConnect, connectID), &c->connect_id, sizeof c->connect_id);
    be32_put(out + offsetof(ENetProtocolConnect, data), c->data);
    return sizeof(ENetProtocolConnect);
}

size_t enet_speak_ack(uint8_t *out, size_t cap, uint8_t channel, uint16_t reliable_seq,
                      uint16_t sent_time)
{
    if (cap < sizeof(ENetProtocolAcknowledge))
        return 0;
    command_header(out, ENET_PROTOCOL_COMMAND_ACKNOWLEDGE, channel, reliable_seq);
    be16_put(out + offsetof(ENetProtocolAcknowledge, receivedReliableSequenceNumber), reliable_seq);
    be16_put(out + offsetof(ENetProtocolAcknowledge, receivedSentTime), sent_time);
    return sizeof(ENetProtocolAcknowledge);
}

size_t enet_speak_ping(uint8_t *out, size_t cap, uint16_t reliable_seq)
{
    if (cap < sizeof(ENetProtocolPing))
        return 0;
    command_header(out, ENET_PROTOCOL_COMMAND_PING | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                   ENET_SPEAK_CONTROL_CHANNEL, reliable_seq);
    return sizeof(ENetProtocolPing);
}

size_t enet_speak_disconnect(uint8_t *out, size_t cap, uint16_t reliable_seq, uint32_t data)
{
    if (cap < sizeof(ENetProtocolDisconnect))
        return 0;
    command_header(out,
                   ENET_PROTOCOL_COMMAND_DISCONNECT | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                   ENET_SPEAK_CONTROL_CHANNEL, reliable_seq);
    be32_put(out + offsetof(ENetProtocolDisconnect, data), data);
    return sizeof(ENetProtocolDisconnect);
}

size_t enet_speak_send(uint8_t *out, size_t cap, enum enet_speak_kind kind, uint8_t channel,
                       uint16_t reliable_seq, uint16_t seq, const void *data, size_t len)
{
    size_t fixed;
    switch (kind) {
    case ENET_SPEAK_RELIABLE:
        fixed = sizeof(ENetProtocolSendReliable);
        if (len > 0xFFFF || cap < fixed || cap - fixed < len)
            return 0;
        command_header(out,
                       ENET_PROTOCOL_COMMAND_SEND_RELIABLE | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                       channel, reliable_seq);
        be16_put(out + offsetof(ENetProtocolSendReliable, dataLength), (uint16_t)len);
        break;
    case ENET_SPEAK_UNRELIABLE:
        fixed = sizeof(ENetProtocolSendUnreliable);
        if (len > 0xFFFF || cap < fixed || cap - fixed < len)
            return 0;
        command_header(out, ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE, channel, reliable_seq);
        be16_put(out + offsetof(ENetProtocolSendUnreliable, unreliableSequenceNumber), seq);
        be16_put(out + offsetof(ENetProtocolSendUnreliable, dataLength), (uint16_t)len);
        break;
    case ENET_SPEAK_UNSEQUENCED:
        fixed = sizeof(ENetProtocolSendUnsequenced);
        if (len > 0xFFFF || cap < fixed || cap - fixed < len)
            return 0;
        /* reliable sequence 0: ENet numbers unsequenced sends by group only */
        command_header(out,
                       ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED |
                           ENET_PROTOCOL_COMMAND_FLAG_UNSEQUENCED,
                       channel, 0);
        be16_put(out + offsetof(ENetProtocolSendUnsequenced, unsequencedGroup), seq);
        be16_put(out + offsetof(ENetProtocolSendUnsequenced, dataLength), (uint16_t)len);
        break;
    default:
        return 0;
    }
    if (len)
        memcpy(out + fixed, data, len);
    return fixed + len;
}

uint16_t enet_speak_reliable_seq(const uint8_t *cmd)
{
    return be16_get(cmd + offsetof(ENetProtocolCommandHeader, reliableSequenceNumber));
}

void enet_speak_read_verify(const uint8_t *cmd, struct enet_speak_verify *v)
{
    v->peer_id = be16_get(cmd + offsetof(ENetProtocolVerifyConnect, outgoingPeerID));
    v->incoming_session = cmd[offsetof(ENetProtocolVerifyConnect, incomingSessionID)];
    v->outgoing_session = cmd[offsetof(ENetProtocolVerifyConnect, outgoingSessionID)];
    v->mtu = be32_get(cmd + offsetof(ENetProtocolVerifyConnect, mtu));
    v->window_size = be32_get(cmd + offsetof(ENetProtocolVerifyConnect, windowSize));
    v->channel_count = be32_get(cmd + offsetof(ENetProtocolVerifyConnect, channelCount));
    memcpy(&v->connect_id, cmd + offsetof(ENetProtocolVerifyConnect, connectID),
           sizeof v->connect_id);
}

void enet_speak_read_ack(const uint8_t *cmd, uint16_t *reliable_seq, uint16_t *sent_time)
{
    *reliable_seq = be16_get(cmd + offsetof(ENetProtocolAcknowledge, receivedReliableSequenceNumber));
    *sent_time = be16_get(cmd + offsetof(ENetProtocolAcknowledge, receivedSentTime));
}

uint32_t enet_speak_read_disconnect(const uint8_t *cmd)
{
    return be32_get(cmd + offsetof(ENetProtocolDisconnect, data));
}

uint16_t enet_speak_read_sent_time(const uint8_t *d)
{
    return be16_get(d + offsetof(ENetProtocolHeader, sentTime));
}
