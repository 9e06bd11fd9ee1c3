/* sniff.c: a datagram's transport from its first bytes (see sniff.h). */
#include "sniff.h"

#include <string.h>

#include <enet/protocol.h>

bool sniff_is_json(const uint8_t *bytes, size_t len)
{
    return len > 0 && bytes[0] == '{';
}

/* Offset of the first command header after ENet's protocol header, or 0 if
 * the header is not one we read (compressed). */
static size_t enet_command_offset(const uint8_t *bytes, size_t len, unsigned *peer_id)
{
    if (len < 2)
        return 0;
    unsigned word = (unsigned)bytes[0] << 8 | bytes[1];
    if (word & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED)
        return 0;
    *peer_id = word & ENET_PROTOCOL_MAXIMUM_PEER_ID;
    return word & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME ? 4 : 2;
}

bool sniff_is_enet_connect(const uint8_t *bytes, size_t len)
{
    unsigned peer_id = 0;
    size_t off = enet_command_offset(bytes, len, &peer_id);
    return off > 0 && peer_id == ENET_PROTOCOL_MAXIMUM_PEER_ID &&
           len >= off + sizeof(ENetProtocolConnect) &&
           (bytes[off] & ENET_PROTOCOL_COMMAND_MASK) == ENET_PROTOCOL_COMMAND_CONNECT;
}

void sniff_enet_reply(uint8_t out[SNIFF_ENET_REPLY_LEN])
{
    memset(out, 0, SNIFF_ENET_REPLY_LEN);
    out[0] = ENET_PROTOCOL_MAXIMUM_PEER_ID >> 8; /* no flags, no sent time */
    out[1] = ENET_PROTOCOL_MAXIMUM_PEER_ID & 0xff;
    out[2] = ENET_PROTOCOL_COMMAND_DISCONNECT;  /* unacknowledged */
    out[3] = 0xff;                              /* channel: none */
    /* reliable sequence 0 (bytes 4-5), disconnect data 0 (bytes 6-9) */
}

bool sniff_is_enet_reply(const uint8_t *bytes, size_t len)
{
    uint8_t reply[SNIFF_ENET_REPLY_LEN];
    sniff_enet_reply(reply);
    return len == SNIFF_ENET_REPLY_LEN && memcmp(bytes, reply, 4) == 0;
}
