/* sniff.h: which transport a datagram speaks, from its first bytes, so a
 * client and a relay of different transports (ENet against --transport
 * udp, or the reverse) can say so at once instead of timing out.
 *
 * Plain UDP control datagrams are JSON objects: the first byte is '{'. An
 * ENet datagram starts with its protocol header (peer id with flags, an
 * optional sent time) and a command header whose low 4 bits name one of
 * ENet's 12 commands. Pure: no I/O. */
#ifndef RICOCHET_SNIFF_H
#define RICOCHET_SNIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A plain-UDP control datagram (JSON object). */
bool sniff_is_json(const uint8_t *bytes, size_t len);


/* An ENet connect request: sent to no peer yet (peer id 0xFFF), first
 * command CONNECT, long enough to hold it. */
bool sniff_is_enet_connect(const uint8_t *bytes, size_t len);

/* What an ENet relay answers a JSON datagram with: an ENet header to no
 * peer (0xFFF) and one DISCONNECT command, which ENet clients ignore and a
 * plain-UDP client recognises (sniff_is_enet_reply). Writes
 * SNIFF_ENET_REPLY_LEN bytes. */
#define SNIFF_ENET_REPLY_LEN 10
void sniff_enet_reply(uint8_t out[SNIFF_ENET_REPLY_LEN]);

/* Exactly that answer's shape: 10 bytes, an ENet header to peer 0xFFF
 * without flags, command DISCONNECT. Nothing a plain-UDP relay sends (JSON
 * starts with '{', a state with its version byte 1) looks like it. */
bool sniff_is_enet_reply(const uint8_t *bytes, size_t len);

#endif
