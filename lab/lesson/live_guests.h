/* live_guests.h: a program of the learner's own as the page sees it
 * (live_guests.c): its states, its pings' round trips, what netsim did to
 * them; live.json's "door" and "guests", GET /state of one of its states. */
#ifndef RICOCHET_LIVE_GUESTS_H
#define RICOCHET_LIVE_GUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct audit_line;
struct httpd_reply;
struct live_guest;
struct live_snapshot;

#define LIVE_GUESTS 40         /* programs of the learners' own at once: a class */
#define LIVE_GUEST_MARKS 256   /* a program's states for its strip (12.8 s at 20 Hz) */
#define LIVE_GUEST_RTTS 32     /* the round trips of a program's last pings */

/* One state a program sent, as the door passed it on (live_guests.c):
 * its place on the strip is the lesson's clock when the door read it, its
 * latency the time until netsim carried it to the relay (its own send_us
 * is the program's clock, not the lesson's). */
struct live_guest_mark {
    uint32_t seq;                   /* the program's own */
    uint8_t status;                 /* enum live_status: LIVE_GOT, netsim carried it up */
    uint8_t drop;                   /* enum droplog_event + 1 of netsim's drop; 0: none */
    char kind[16];                  /* netsim's word for what carried it ("plain", "stream") */
    uint64_t door_us, fwd_us, drop_us, changed_us; /* the lesson's clock (0: none) */
    uint32_t delay_us;              /* netsim's delay of it */
    float x, y, vx, vy;
    uint8_t bytes[40];              /* as the program sent them */
};

/* A program of the learner's own, through the door, as the page sees it: what the door read
 * of its bytes and what netsim's drop log said of its flow, counted since it came; its states
 * for its strip, and the round trips of its pings (the door reads a ping and the relay's
 * pong, both on the lesson's clock). */
struct live_guest_snap {
    bool tcp;
    char state[12];                 /* "joining", "joined", "gone" */
    char endpoint[48];              /* the program's address and port, as the door sees it */
    char flow[48];                  /* the door's socket for it, as netsim names the flow */
    char relay[48];                 /* where that socket sends: the relay's edge (or proxy) */
    uint32_t id;                    /* the relay's id for it (0: none yet) */
    char room[40], name[40];        /* of its join */
    uint64_t messages_up, states_up, states_down, bytes, datagrams;
    uint64_t fwd_up, dropped_up, fwd_down, dropped_down; /* netsim's: its states carried
                                       and dropped; a stream's, its states carried and its
                                       segments dropped (TCP sends them again) */
    double max_gap_ms;              /* the longest gap between its states netsim forwarded */
    char error_code[32], error_message[160]; /* the relay's last error to it */
    uint64_t error_us;
    struct live_sent {
        char hex[52];               /* a message's first 16 bytes, hex */
        size_t len;                 /* ... its length */
        bool raw;                   /* no whole message yet: a stream's first bytes */
    } sent;                         /* what the error answered: its last message no state if one
                                       went shortly before, else its last (no error: its last) */
    bool unanswered;                /* it has not joined and the relay answered none of it */
    char end[160];                  /* gone: why, in words */
    struct live_guest_mark marks[LIVE_GUEST_MARKS]; /* its last states, a ring */
    size_t marks_n, marks_at;
    double rtt_ms[LIVE_GUEST_RTTS]; /* ping to pong, as the door saw them, a ring */
    size_t rtt_n, rtt_at;
};
/* A state the program sent (m, len bytes, the whole) into its strip. */
void live_guest_state(struct live_guest *g, const unsigned char *m, size_t len,
                      uint64_t now_us);

/* A ping of the program's (t, its own clock) on its way up; the relay's
 * pong on its way down: a round trip, when it answers one of them. */
void live_guest_ping(struct live_guest *g, double t, uint64_t now_us);
void live_guest_pong(struct live_guest *g, double t, uint64_t now_us);

/* netsim's line a of one of the program's states on its way up into its
 * mark. */
void live_guest_hop(struct live_guest *g, const struct audit_line *a);

/* JSON text of s (escaped, quoted) into f: live.json's strings. */
void live_json_str(FILE *f, const char *s);

/* The snapshot's door, as live.json's "door": where a program goes. */
void live_door_head_json(FILE *f, const struct live_snapshot *s);

/* A program's lane name ("udp 198.19.0.2:40000": its protocol and endpoint). */
void live_guest_name(const struct live_guest_snap *g, char *out, size_t cap);

/* Program g as an item of live.json's "guests", open (no "}"): whole, what
 * the door and netsim saw of it; else its endpoint, name, id and state
 * only, "brief": true (a lane the page does not show now). */
void live_guest_json(FILE *f, const struct live_guest_snap *g, bool whole);

/* g's states changed after since, comma-separated, as the page's lanes'
 * marks begin: [seq, send ms, status, latency ms or null, x, y, vx, vy];
 * whether any was written. */
bool live_guest_marks(FILE *f, const struct live_guest_snap *g, uint64_t t0, uint64_t since);

/* GET /state for lane NAME when NAME is a program's ("udp" or "tcp", a
 * space, its endpoint): the state it sent as seq, as the page inspects a
 * lane's, into r. Returns false (r untouched) if NAME is no program's. */
bool live_guest_state_reply(const struct live_snapshot *s, const char *name, uint32_t seq,
                            struct httpd_reply *r);

#endif
