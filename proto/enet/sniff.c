/* sniff.c: a datagram's transport from its first bytes (see sniff.h). */
#include "sniff.h"

#include <string.h>

#include <enet/protocol.h>

#include "enet_wire.h"

bool sniff_is_json(const uint8_t *bytes, size_t len)
{
    return len > 0 && bytes[0] == '{';
}

bool sniff_is_enet_connect(const uint8_t *bytes, size_t len)
{
    struct enet_wire_header h;
    struct enet_wire_command c;
    if (enet_wire_header(bytes, len, 0, &h) != 0 || h.compressed ||
        h.peer_id != ENET_WIRE_NO_PEER)
        return false;
    size_t off = h.size;
    return enet_wire_next(bytes, len, &off, &c) > 0 &&
           c.command == ENET_PROTOCOL_COMMAND_CONNECT;
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
