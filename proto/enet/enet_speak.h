/* enet_speak.h: ENet 1.3.17's datagrams, written: the commands a client
 * sends (CONNECT, ACKNOWLEDGE, the three sends, PING, DISCONNECT) laid out
 * as enet/protocol.h packs them, and the fields of the relay's commands a
 * client needs that enet_wire.h does not read (reliable sequence numbers,
 * VERIFY_CONNECT, ACKNOWLEDGE). With enet_wire.h it lets one socket speak
 * for many ENet clients without an ENetHost each (the generator's wire
 * hubs, client/lib/transports/client_wire.c): what makes a generator lighter than the
 * relay it measures.
 *
 * Pure: writes into the caller's buffer (each writer says how many bytes
 * it needs at most, and returns how many it wrote, or 0 if cap is short),
 * reads only what it is given. */
#ifndef RICOCHET_ENET_SPEAK_H
#define RICOCHET_ENET_SPEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enet_wire.h"

#define ENET_SPEAK_HEADER_MAX 4     /* peer id word and sent time */
#define ENET_SPEAK_CONNECT_SIZE 48  /* ENetProtocolConnect */
#define ENET_SPEAK_ACK_SIZE 8       /* ENetProtocolAcknowledge */
#define ENET_SPEAK_PING_SIZE 4
#define ENET_SPEAK_DISCONNECT_SIZE 8
#define ENET_SPEAK_SEND_MAX 8       /* the fixed part of a send, before its payload */
#define ENET_SPEAK_CONTROL_CHANNEL 0xFFu /* connects, pings, disconnects: the peer's own
                                            reliable sequence, no channel's */

/* A datagram's header: to peer_id (the receiver's slot for me, or
 * ENET_WIRE_NO_PEER before it told me one) with the session bits; with
 * sent_time the header carries my time (ms, low 16 bits), which the
 * receiver echoes in its acknowledgements: ENet asks for it whenever a
 * command wants an acknowledgement. Returns 2 or 4. */
size_t enet_speak_header(uint8_t *out, unsigned peer_id, unsigned session, bool sent_time,
                         uint16_t time_ms);

/* CONNECT's fields as a client proposes them. */
struct enet_speak_connect {
    uint16_t my_peer_id;     /* my slot for the relay: its datagrams' header peer id */
    uint16_t reliable_seq;   /* the command's (the peer's own sequence: 1 for the first) */
    uint32_t mtu, window_size, channel_count;
    uint32_t connect_id;     /* as sent (ENet compares it unconverted) */
    uint32_t data;
};

/* A CONNECT command (ENET_SPEAK_CONNECT_SIZE bytes). */
size_t enet_speak_connect(uint8_t *out, size_t cap, const struct enet_speak_connect *c);

/* An ACKNOWLEDGE of the command (channel, reliable_seq) that came in a
 * datagram whose header said sent_time. */
size_t enet_speak_ack(uint8_t *out, size_t cap, uint8_t channel, uint16_t reliable_seq,
                      uint16_t sent_time);

/* A PING (reliable, the peer's own sequence). */
size_t enet_speak_ping(uint8_t *out, size_t cap, uint16_t reliable_seq);

/* A DISCONNECT (reliable, the peer's own sequence; data: ENet's event data). */
size_t enet_speak_disconnect(uint8_t *out, size_t cap, uint16_t reliable_seq, uint32_t data);

/* How a send goes: ENet's three kinds of packets that fit one datagram. */
enum enet_speak_kind {
    ENET_SPEAK_RELIABLE,    /* SEND_RELIABLE: the channel's reliable_seq, acknowledged */
    ENET_SPEAK_UNRELIABLE,  /* SEND_UNRELIABLE: after the channel's reliable_seq,
                               numbered seq (sequenced: older ones are dropped) */
    ENET_SPEAK_UNSEQUENCED, /* SEND_UNSEQUENCED: numbered by its group, seq */
};

/* A send of len bytes of data on channel. Returns the bytes written (its
 * fixed part and the data), 0 if cap is short or len over 65535. */
size_t enet_speak_send(uint8_t *out, size_t cap, enum enet_speak_kind kind, uint8_t channel,
                       uint16_t reliable_seq, uint16_t seq, const void *data, size_t len);

/* A command's reliable sequence number (cmd: its first byte, as
 * enet_wire_next found it; at least the 4 bytes of its header). */
uint16_t enet_speak_reliable_seq(const uint8_t *cmd);

/* VERIFY_CONNECT's fields (cmd: a whole VERIFY_CONNECT, enet_wire_next's). */
struct enet_speak_verify {
    uint16_t peer_id;        /* the relay's slot for me: my datagrams' header peer id */
    uint8_t incoming_session, outgoing_session; /* my header carries outgoing_session */
    uint32_t mtu, window_size, channel_count;
    uint32_t connect_id;     /* as sent: mine, echoed */
};
void enet_speak_read_verify(const uint8_t *cmd, struct enet_speak_verify *v);

/* ACKNOWLEDGE's fields (cmd: a whole ACKNOWLEDGE). */
void enet_speak_read_ack(const uint8_t *cmd, uint16_t *reliable_seq, uint16_t *sent_time);

/* A DISCONNECT's data (cmd: a whole DISCONNECT). */
uint32_t enet_speak_read_disconnect(const uint8_t *cmd);

/* The header's sent time (d: a datagram whose header says it has one). */
uint16_t enet_speak_read_sent_time(const uint8_t *d);

#endif
