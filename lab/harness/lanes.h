/* lanes.h: the lanes (docs/design.md, "Lanes, modes and edges"), one
 * table that ricochet-bench measures and ricochet-lesson draws: what the
 * clients of a lane speak, a delivery mode over a carrier, and what each
 * needs of the relay and of netsim. Here, beside the children both start,
 * so that the lesson reads the table without linking the bench; its names
 * are the bench's, whose --modes and reports print them. */
#ifndef RICOCHET_LANES_H
#define RICOCHET_LANES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/mode.h"

/* What the clients of a run speak: a delivery mode over its own transport
 * (ENet, plain UDP, TCP, a WebSocket), the tcp mode over HTTP requests
 * (the relay's poll edge: long polls, or short ones, a carrier of their
 * own each, BENCH_CARRIER_POLL_SHORT), one of the ENet modes over WebRTC's
 * data channels (webrtc: the relay's webrtc edge, the offers through its ws
 * edge), or the ENet modes and streams over QUIC (the relay's quic edge).
 * A mode says how states are delivered, the carrier what carries them. */
struct bench_mode {
    enum proto_mode mode;
    uint8_t carrier;        /* enum ricochet_transport: RICOCHET_TRANSPORT_DEFAULT (the
                               mode's own), _POLL (long polls), _WEBRTC, _QUIC or
                               _WEBTRANSPORT; or BENCH_CARRIER_POLL_SHORT or
                               BENCH_CARRIER_REFERENCE */
};
#define BENCH_MODES 19 /* the lanes: the mode table's rows over their own transports, the
                          tcp mode over HTTP long and short polls, the ENet modes over
                          WebRTC, the ENet modes and streams over QUIC, datagrams and both
                          kinds of streams over WebTransport, and the reference relay's
                          plain UDP */
/* Not a ricochet_transport: HTTP polling, as RICOCHET_TRANSPORT_POLL, with
 * short polls (a GET every interval, answered at once) where _POLL's lane
 * long-polls: two lanes of one mode over one transport, told apart by
 * their carrier; the row's poll_interval_ms says how the clients ask. */
#define BENCH_CARRIER_POLL_SHORT 0x81
/* Not a ricochet_transport: plain UDP, as the udp mode, served by the
 * reference relay (bench/reference/, the bench's yardstick) instead of
 * ricochet-relay. */
#define BENCH_CARRIER_REFERENCE 0x80

/* A lane: one carrier and one mode over it, a row of lanes.c's table.
 * --modes, the reports' order, the plots, ricochet-lesson and its page
 * read the rows; a new lane is a row, never a branch. */
struct bench_lane {
    const char *name;       /* "unsequenced", "webrtc-reliable": --modes, the reports */
    const char *title;      /* "ENet, unsequenced": the lesson page's heading */
    struct bench_mode mode;
    int transport;          /* enum ricochet_transport: what the clients' config asks for */
    const char *edge;       /* the relay edge's scheme its sessions run on ("enet", "ws") */
    const char *offers;     /* the edge its clients connect to first, when another (webrtc:
                               its offers go to "ws"); NULL: edge */
    bool ip;                /* a TCP stream: netsim impairs it in IP mode only */
    const char *wire;       /* netsim's --wire reader of its datagrams ("enet", "udp",
                               "webrtc" and "quic" with the clients' key log); NULL: a
                               stream (ip), read by IP mode from its TCP segments */
    bool secure;            /* the carrier encrypts every byte: with --encrypt the relay
                               seals none of its sessions */
    struct {                /* how plots and the lesson page draw it */
        const char *color;  /* "#1f77b4" */
        int dash, point;    /* gnuplot's dt and pt */
        double width;       /* gnuplot's lw */
    } style;
    const char *program;    /* the relay that serves it, when not ricochet-relay
                               ("reference-relay", beside the programs); such a row
                               comes last, and bench_lane() leaves it out */
    uint32_t poll_interval_ms; /* HTTP polling (transport RICOCHET_TRANSPORT_POLL): 0, long
                               polls (each GET held until a message is queued); else a
                               short poll every this many ms (ricochet_config_set_poll) */
};

/* Row index, 0 to BENCH_MODES - 1, or NULL; NULL too for a row with a
 * program of its own (the reference relay's, last): the lesson walks the
 * rows with it, and --modes, the reports and the plots take every row. */
const struct bench_lane *bench_lane(int index);
/* m's row, or NULL (no such lane: a mode without ENet over WebRTC). */
const struct bench_lane *bench_lane_of(struct bench_mode m);
/* Does netsim read l's datagrams with its clients' key log (webrtc, quic)? */
bool bench_lane_keyed(const struct bench_lane *l);

/* "unsequenced", ..., "ws" (the mode table's), then "webrtc" (unsequenced
 * over WebRTC), "webrtc-sequenced", "webrtc-reliable": the lanes' names. */
const char *bench_mode_name(struct bench_mode m);
/* Parses a name above into *m. Returns 0, or -1. */
int bench_mode_parse(const char *name, struct bench_mode *m);
/* Every name, comma-separated, into buf. Returns buf. */
char *bench_mode_choices(char *buf, size_t cap);
/* The order reports list modes in, 0 to BENCH_MODES - 1 (-1: no such
 * mode: a mode without ENet over WebRTC), and back. */
int bench_mode_index(struct bench_mode m);
struct bench_mode bench_mode_at(int index);

#endif
