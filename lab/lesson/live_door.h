/* live_door.h: the door for a program of the learner's own (live_door.c):
 * its sockets, the programs it holds, and what it reads of their bytes on
 * the way to the relay. */
#ifndef RICOCHET_LIVE_DOOR_H
#define RICOCHET_LIVE_DOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "relay/core/strangers.h"
#include "sys/netaddr.h"
#include "live_guests.h"

struct audit_line;
struct live;
struct live_snapshot;

#define LIVE_GUESTS_PER_ADDRESS 4 /* programs of the learners' own from one address (an
                                     IPv6 /64), loopback's aside (the lesson's machine is
                                     the teacher's) */
#define LIVE_GUEST_GAPS 256    /* the times netsim forwarded a program's states */
#define LIVE_GUEST_PINGS 8     /* a program's pings on their way to the relay */

/* A message of a stream, read as it goes by: its 2-byte length, then its
 * bytes (a control message's whole: a welcome to a room of many carries
 * its roster, tens of kilobytes, before the door knows the program's id). */
struct live_frame_reader {
    size_t head, len, have;         /* length bytes read; the message's length; read of it */
    unsigned char msg[PROTO_CONTROL_MAX];
};

/* A program of the learner's own, as the door holds it. */
struct live_guest {
    bool used;
    struct live_guest_snap s;
    int fd;                         /* the door's socket for it, towards the relay */
    int conn;                       /* TCP: the program's connection (-1: UDP) */
    bool connected;                 /* TCP: fd's connect done */
    uint16_t target_port;           /* fd's destination port (a relay started again: another) */
    union netaddr from;             /* the program's endpoint */
    bool spoke;                     /* it has sent a byte (TCP: else silent) */
    bool welcomed;                  /* the relay welcomed it: its place is never taken */
    uint64_t born_us;               /* when it came (the oldest not joined goes first) */
    unsigned char raw[16];          /* TCP: its stream's first bytes */
    struct live_sent last, odd;     /* its last message, and its last that was no state */
    uint64_t odd_us;                /* ... when it went */
    uint64_t last_us, last_sent_us, gone_us;
    bool answered;                  /* the relay has sent it something */
    struct live_frame_reader rd[2]; /* TCP: up (the program's), down (the relay's) */
    unsigned char pend[2][16384];   /* TCP: bytes waiting for their socket: up, down */
    size_t pend_n[2];
    uint64_t fwd_t[LIVE_GUEST_GAPS]; /* when netsim forwarded its states up, a ring */
    size_t fwd_n, fwd_at;
    struct live_ping {
        double t;                   /* the ping's t, as the program sent it */
        uint64_t us;                /* when the door passed it up (0: a free place) */
    } pings[LIVE_GUEST_PINGS];
    size_t ping_at;
};

/* The door: its two sockets in the lesson's own namespace, and the
 * programs that came through it. */
struct live_door {
    int udp, tcp;                   /* -1: none */
    char udp_at[48], tcp_at[48];
    char why[200];
    struct live_guest guests[LIVE_GUESTS];
    uint8_t cookie_key[16];         /* the door's cookies (live_door_strangers.c) */
    struct strangers strangers;     /* its budgets for what it answers those it holds none for */
};
/* Opens the door on cfg->door_address and door_port: UDP always, TCP in
 * IP mode (netsim impairs a stream only there; lv->door.why says so).
 * Returns 0, or -1 with a one-line message in err. */
int live_door_open(struct live *lv, char *err, size_t err_cap);

/* Does the open door listen on loopback only? */
bool live_door_local(const struct live *lv);

/* Carries what is waiting, both ways, without blocking: new programs,
 * their bytes to the relay, the relay's to them. */
void live_door_step(struct live *lv, uint64_t now_us);

/* A drop log line of a program's flow into its counts; false if the flow
 * is none of theirs. */
bool live_door_log(struct live *lv, const struct audit_line *a);

/* The door and its programs into the snapshot; a program gone some
 * seconds ago, forgotten. */
void live_door_snap(struct live *lv, struct live_snapshot *s, uint64_t now_us);

void live_door_close(struct live *lv);

#endif
