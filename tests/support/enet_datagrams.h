/* enet_datagrams.h: hand-made ENet commands, for the tests of what the
 * relay's ENet edge makes of datagrams no ENet peer would send
 * (test_enet_oversize, test_enet_crafted): a fragment command of any
 * channel, size and place in its packet, and the sizes the suite's relay
 * takes. */
#ifndef RICOCHET_TEST_ENET_DATAGRAMS_H
#define RICOCHET_TEST_ENET_DATAGRAMS_H

#include <enet/enet.h>
#include <stddef.h>
#include <stdint.h>

#define BIG 100000 /* > 65536, the relay's ENet maximumPacketSize here */
#define MAX_PACKET 65536
#define FRAG_SIZE sizeof(ENetProtocolSendFragment)

#define RELIABLE_FRAGMENT \
    (ENET_PROTOCOL_COMMAND_SEND_FRAGMENT | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE)
#define UNRELIABLE_FRAGMENT ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT

/* Writes at b a fragment command (fragment number of count, at offset
 * number * 1000 of a packet of total bytes, sequence 1) with data_len bytes
 * of 'x'; returns its size. */
size_t put_fragment(uint8_t *b, uint8_t command, uint8_t channel, uint16_t data_len,
                    uint32_t count, uint32_t number, uint32_t total);

#endif
