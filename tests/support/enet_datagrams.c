/* enet_datagrams.c: hand-made ENet commands (see enet_datagrams.h). */
#include "enet_datagrams.h"

#include <string.h>

size_t put_fragment(uint8_t *b, uint8_t command, uint8_t channel, uint16_t data_len,
                    uint32_t count, uint32_t number, uint32_t total)
{
    ENetProtocolSendFragment f;
    memset(&f, 0, sizeof f);
    f.header.command = command;
    f.header.channelID = channel;
    f.header.reliableSequenceNumber = ENET_HOST_TO_NET_16(1);
    f.startSequenceNumber = ENET_HOST_TO_NET_16(1);
    f.dataLength = ENET_HOST_TO_NET_16(data_len);
    f.fragmentCount = ENET_HOST_TO_NET_32(count);
    f.fragmentNumber = ENET_HOST_TO_NET_32(number);
    f.totalLength = ENET_HOST_TO_NET_32(total);
    f.fragmentOffset = ENET_HOST_TO_NET_32(number * 1000u);
    memcpy(b, &f, sizeof f);
    memset(b + sizeof f, 'x', data_len);
    return sizeof f + data_len;
}
