/* droplog.h: ricochet-netsim --drop-log, what netsim did to each state.
 *
 * One line per state (found by statescan.h inside each datagram) per event:
 *
 *     T_US EVENT DIR FLOW SENDER SEQ KIND DELAY_US PEER GROUP
 *
 * T_US: netsim's monotonic clock, µs. EVENT: loss, burst, queue, overflow
 * (dropped, by cause), dup (an extra copy was made; both copies later show
 * as fwd), fwd (handed to the socket; DELAY_US is the delay the model chose,
 * 0 for the other events), exit (still held when netsim stopped: thrown
 * away, in the stats' "discarded at exit"), corrupt (handed to the socket
 * with one bit flipped, --corrupt: the states as they were before, DELAY_US
 * as for fwd; the receiver may or may not make anything of it). DIR: up or down. FLOW: the client's ip:port, the
 * same on both directions. SENDER: the id in the state (0 on the uplink: the
 * relay stamps it downstream). KIND: statescan_kind_name. PEER: over ENet
 * the peer id in the datagram's header (the receiving host's slot for the
 * sending one: on the uplink the relay's id for the client, on the downlink
 * the client host's own), which tells apart clients sharing one socket; "-"
 * for udp. GROUP: an unsequenced command's group ("-" for other kinds):
 * ENet's receiver discards one older than its window of 1024 groups, so a
 * state reordered across that window's edge is lost although forwarded.
 *
 * In IP mode (netsim_ip.h) FLOW is the client side's endpoint of the
 * packet (its source up, its destination down); a UDP packet's payload is
 * read as above, and a TCP segment that takes sequence space (data, SYN,
 * FIN) or resets gets one line of its own, KIND "segment", no state:
 *
 *     T_US EVENT DIR FLOW - - segment DELAY_US START:END FLAGS
 *
 * START:END: the sequence numbers it covers, as on the wire (END = START +
 * payload + SYN + FIN, modulo 2^32; tcpdump -S prints them so); FLAGS:
 * tcpdump's letters ("S", "P.", "FP."). A retransmission is a later
 * segment over the same numbers. Segments that only acknowledge are in the
 * capture, not here, but for a connection's first from the client, the
 * handshake's last (START:END empty, FLAGS "."): SYN, SYN-ACK and ACK each
 * get a line. The states a TCP stream carries (in PROTOCOL.md's
 * frames, tcpstream.h) get a line each, the first time netsim sees their
 * frame's last byte, event "sent", KIND "stream", DELAY_US 0:
 *
 *     T_US sent DIR FLOW SENDER SEQ stream 0 START:END -
 *
 * START:END: the sequence numbers its frame took (the receiver has the
 * state once every number before END has arrived); what happened to the
 * segments that carried them is in their own lines.
 * The model in force gets a line per direction each time it changes
 * (PUT /model on --metrics), with its time and each setting that is not
 * netsim's default (none: a perfect wire) by the name of its option:
 *
 *     T_US model DIR loss=5.13 delay=20 rate-kbps=256
 *
 * so each drop after it is read against the model that made it; the model
 * of the start is the header's, in the same form after "# ".
 * Lines starting with # are comments. */
#ifndef RICOCHET_DROPLOG_H
#define RICOCHET_DROPLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ippacket.h"
#include "netsim.h"
#include "statescan.h"

/* What happened to a datagram. */
enum droplog_event {
    DROPLOG_LOSS = 0,
    DROPLOG_BURST,
    DROPLOG_QUEUE,
    DROPLOG_OVERFLOW,
    DROPLOG_DUP,
    DROPLOG_FWD,
    DROPLOG_EXIT,
    DROPLOG_CORRUPT,
    DROPLOG_SENT,       /* IP mode: a state of a TCP stream, first sent */
    DROPLOG_EVENTS
};

struct droplog_counts {
    uint64_t states[DROPLOG_EVENTS];   /* state lines written per event */
    uint64_t segments[DROPLOG_EVENTS]; /* TCP segment lines written per event (IP mode) */
    uint64_t unreadable;             /* datagrams statescan called malformed or compressed */
};

/* Writes the comment header to out. */
/* wire: what the datagrams are ("enet", "udp", "webrtc"). */
void droplog_header(FILE *out, const char *wire);

/* Writes one line per state found in a datagram (r and refs, as
 * statescan_datagram or dtlsview_datagram found them); counts them in c,
 * and the datagram as unreadable if it was. */
void droplog_datagram(FILE *out, struct droplog_counts *c, enum droplog_event ev,
                      enum netsim_dir dir, const char *flow, uint64_t t_us, uint64_t delay_us,
                      const struct statescan_result *r, const struct statescan_ref *refs);

/* IP mode: the line of one TCP segment p (parsed by ippacket_parse, its
 * transport header read); counts it in c. */
void droplog_segment(FILE *out, struct droplog_counts *c, enum droplog_event ev,
                     enum netsim_dir dir, const char *flow, uint64_t t_us, uint64_t delay_us,
                     const struct ippacket *p);

/* IP mode: the line of a state found in a TCP stream (tcpstream.h): its
 * frame took the sequence numbers [start, end); counts it in c. */
void droplog_stream_state(FILE *out, struct droplog_counts *c, enum netsim_dir dir,
                          const char *flow, uint64_t t_us, const struct statescan_ref *ref,
                          uint32_t start, uint32_t end);

/* The line of the model m in force in dir from t_us on, its settings that
 * differ from base's (netsim's defaults); start: the header's, a comment. */
void droplog_model(FILE *out, uint64_t t_us, enum netsim_dir dir, const struct netsim_model *m,
                   const struct netsim_model *base, bool start);

/* The counters of one direction that name an event (loss .. dup), taken
 * before and after a netsim_submit: each one that moved is what happened to
 * that datagram (a duplicated datagram may also lose a copy to the queue). */
struct droplog_mark {
    uint64_t n[DROPLOG_FWD];
};
void droplog_mark(struct droplog_mark *m, const struct netsim_counters *c);

/* "loss", "burst", "queue", "overflow", "dup", "fwd", "exit", "corrupt", "sent"; parses back with
 * droplog_event_parse (-1 if unknown). */
const char *droplog_event_name(enum droplog_event ev);
int droplog_event_parse(const char *name);

#endif
