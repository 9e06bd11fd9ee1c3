/* enet_wire.h: ENet 1.3.17's datagrams, read: the one place in the tree
 * that parses ENet's protocol header and its commands (sizes, payload
 * lengths, fragment and connect fields), the way ENet's protocol.c
 * (enet_protocol_handle_incoming_commands) walks them. The relay's guards
 * (relay/enet/enet_internals.c), netsim's state scan (lab/netsim/statescan.c)
 * and the transport sniffer (sniff.c) all read ENet's wire through it.
 *
 * Pinned: it refuses to compile against another ENet (ENET_WIRE_VERSION);
 * on an upgrade, re-read protocol.h and protocol.c and redo it. Pure: reads
 * (d, len) only, never past len; any bytes are safe. */
#ifndef RICOCHET_ENET_WIRE_H
#define RICOCHET_ENET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <enet/enet.h>

/* The ENet whose wire this reads. */
#define ENET_WIRE_VERSION ENET_VERSION_CREATE(1, 3, 17)

#define ENET_WIRE_NO_PEER 0xFFFu /* the peer id of a datagram to no peer yet (CONNECT) */
#define ENET_WIRE_PEERS_MAX 4095 /* peers one host holds: the ids below ENET_WIRE_NO_PEER
                                    (enet_host_create refuses more) */

/* A datagram's protocol header. */
struct enet_wire_header {
    unsigned peer_id;  /* the receiver's slot for the sender, or ENET_WIRE_NO_PEER */
    unsigned session;  /* the session bits beside it */
    bool sent_time;    /* the header carries the sender's time (acknowledged commands need it) */
    bool compressed;   /* the commands are compressed (ricochet compresses nothing) */
    size_t size;       /* bytes before the first command, the checksum included */
};

/* Reads the header of the datagram d (len bytes); checksum: the bytes of
 * the host's checksum after it (4 with one, else 0). Returns 0, or -1 if
 * len < 2 (no header at all). */
int enet_wire_header(const uint8_t *d, size_t len, size_t checksum, struct enet_wire_header *h);

/* One command as ENet sees it. */
struct enet_wire_command {
    unsigned command;   /* ENET_PROTOCOL_COMMAND_*, flags masked off */
    bool acknowledge;   /* ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE */
    uint8_t channel;    /* channelID */
    size_t size;        /* its fixed part, bytes */
    size_t data_len;    /* the payload it announces (sends, fragments), bytes; 0: none */
    bool data_fits;     /* ... which lies within the datagram */
    const uint8_t *data; /* ... there, if it fits (else NULL) */
    /* sends and fragments (host order): */
    uint16_t unsequenced_group;
    uint32_t fragment_number, fragment_count, total_length, fragment_offset;
    /* CONNECT: */
    uint32_t channel_count; /* host order */
    uint32_t connect_id;    /* as sent: ENet compares it unconverted */
};

/* The command at d + *off (within len bytes); moves *off past it and, if
 * its payload fits, past that. Returns 1 for a command, 0 at the end (*off
 * == len), or -1 where ENet stops reading: fewer bytes left than a command
 * header or than the command's fixed part, or a command number ENet does
 * not know. A command whose payload does not fit (data_fits false) also
 * ends ENet's walk: callers stop after looking at it. */
int enet_wire_next(const uint8_t *d, size_t len, size_t *off, struct enet_wire_command *c);

#endif
