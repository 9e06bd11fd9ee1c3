/* transport_quic.h: what the files of the relay's QUIC edge share: their
 * functions, and the edge and a connection composed of parts, each
 * written by one file (below the map). The program uses relay_quic_ops
 * (transport.h); QUIC itself is ngtcp2's (0.12, Debian 12) on GnuTLS. A
 * file calls only those below it here:
 *   transport_quic.c        the socket, the loop's operations, every
 *                           datagram to its connection by its connection
 *                           ID; strangers answered without state: Retry,
 *                           Version Negotiation, stateless reset, refusals
 *   transport_quic_conn.c   a connection: ngtcp2 and GnuTLS set up, its
 *                           packets in, its timer, its closes and its end
 *   transport_quic_in.c     ngtcp2's callbacks: a connection a peer once
 *                           its control stream's first message came,
 *                           messages into the core, acknowledgements,
 *                           connection IDs, paths
 *   transport_quic_packets.c  a connection's packets, ngtcp2 writing
 *                           them from its queues: datagrams, then
 *                           streams, coalesced
 *   transport_quic_send.c   the core's sends, queued per connection:
 *                           control messages and reliable states on the
 *                           control stream, a stream per sender for a
 *                           streams member, unreliable states in
 *                           datagrams (in batches when asked, the newest
 *                           of each sender while congestion control
 *                           holds them back)
 *   transport_quic_h3.c     a WebTransport session (ALPN h3): HTTP/3's
 *                           streams read (settings, one extended CONNECT,
 *                           its ticket's pass), the answer, the session's
 *                           streams and datagrams told from HTTP/3's own
 *   transport_quic_tls.c    the certificate (files, or one drawn at start,
 *                           its fingerprint logged), the ALPNs the edge
 *                           takes (the transport parameters of each),
 *                           GnuTLS's session for a connection
 *   transport_quic_udp_out.c  UDP datagrams out of the socket (queued,
 *                           one sendmmsg), the connections marked to
 *                           write next
 *   quic_cids.c             connection IDs to slots (pure)
 *   quic_timers.c           each connection's next expiry, the earliest
 *                           first (pure)
 *
 * A connection's slot is its slot here, and base + slot its handle in the
 * core.
 *
 * The edge (struct relay_quic) and a connection (struct quic_conn) are
 * composed of parts, each written by one file and read by the others: the
 * larger declared in a header beside their owner
 * (transport_quic_conn_internal.h, transport_quic_send_internal.h,
 * transport_quic_h3_internal.h, transport_quic_tls_internal.h), the small
 * ones here, each naming its writer; a part written by several says so. */
#ifndef RICOCHET_TRANSPORT_QUIC_H
#define RICOCHET_TRANSPORT_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "proto/h3.h"
#include "proto/quic_crypto.h"
#include "proto/quicmsg.h"
#include "sys/dgram.h"
#include "sys/netaddr.h"
#include "sys/writer.h"
#include "relay/core/strangers.h"
#include "relay/core/waiting.h"
#include "relay/http/http_front.h"
#include "relay/transport.h"
/* The parts a connection and the edge are composed of, each written by
 * the file its header is beside: */
#include "transport_quic_conn_internal.h" /* slots, a connection's life */
#include "transport_quic_h3_internal.h"   /* an h3 connection's HTTP/3 */
#include "transport_quic_send_internal.h" /* a connection's queues */
#include "transport_quic_tls_internal.h"  /* certificates, a connection's TLS */

#define QUIC_EDGE_READ 64          /* datagrams per recvmmsg */
#define QUIC_EDGE_READS 16         /* recvmmsg calls per service; more waiting: a backlog */
#define QUIC_EDGE_DATAGRAM 2048    /* bytes read per datagram; a longer one is too_long */
#define QUIC_EDGE_PKT 1452         /* the longest UDP payload the edge writes */
#define QUIC_EDGE_OUT 256          /* datagrams queued for one sendmmsg */
#define QUIC_EDGE_SCID_LEN 16      /* bytes of the connection IDs the edge issues */
#define QUIC_EDGE_CIDS 10          /* connection IDs one connection is found by: ngtcp2
                                      issues at most 8, and the Retry's */
#define QUIC_EDGE_SECRET 32        /* bytes of the secret of tokens and resets */
#define QUIC_EDGE_RETRY_TOKEN_S 10 /* a Retry's token is good this long */
#define QUIC_EDGE_TOKEN_S 3600     /* a NEW_TOKEN token is good this long */
#define QUIC_EDGE_WINDOW (64u << 10) /* bytes a client may send ahead on a stream */
#define QUIC_EDGE_CONN_WINDOW (128u << 10) /* ... on the connection */
#define QUIC_EDGE_CID_LIMIT 4      /* connection IDs a client may give the edge */
#define QUIC_EDGE_WRITE_PKTS 64    /* packets one connection writes per call, at most */
#define QUIC_EDGE_ACK_RIDE_US 1000 /* a member's timer after its room's fan-out, so that
                                      the fan-out's packet carries the acknowledgement */
#define QUIC_EDGE_ACK_THRESH 16    /* with a tick: packets received before an
                                      acknowledgement is sent at once */
#define QUIC_EDGE_EXPIRIES 256     /* expired connections handled per service, at most */
#define QUIC_EDGE_CLOSE_US 2000000u /* a close waits this long for its last messages */
#define QUIC_EDGE_DGRAMS 256       /* datagrams queued to one connection, at most */
#define QUIC_EDGE_SENDERS 1024     /* streams of senders' own one connection keeps */
#define QUIC_EDGE_SENDER_IDLE_US 2000000u /* a sender's stream quiet this long, all its
                                             bytes acknowledged, is ended (FIN) */
#define QUIC_EDGE_CLOSE_RESENDS 4  /* closing: the close packet sent again at most */
#define QUIC_EDGE_H3_IDLE_MS 2000  /* h3: max_idle_timeout announced past --timeout-ms, which
                                      the edge keeps itself (a browser's timer runs a second
                                      short of what it is told) */

/* Where a connection is, from the edge's side. */
enum quic_phase {
    QUIC_PHASE_FREE = 0,
    QUIC_PHASE_HANDSHAKE,     /* the address validated, TLS under way */
    QUIC_PHASE_OPEN,          /* the handshake done, no message on the control stream yet */
    QUIC_PHASE_PEER,          /* a peer of the core */
    QUIC_PHASE_CLOSING,       /* the core closed it: its last messages leave first */
    QUIC_PHASE_ENDING,        /* closed: its CONNECTION_CLOSE sent (closing period) or
                                 the client's received (draining); freed at ending_us */
};

/* The applications the edge speaks, by the ALPN a client names: a row
 * each (transport_quic_tls.c), the connection's app its index. */
enum quic_app {
    QUIC_APP_RICOCHET = 0,    /* "ricochet": PROTOCOL.md, "QUIC" */
    QUIC_APP_H3,              /* "h3": a browser's WebTransport session, PROTOCOL.md,
                                 "WebTransport" */
    QUIC_APPS
};


/* What the edge counts itself: its part of the stats record, in this
 * order (the names: transport_quic_send.c). */
enum quic_count {
    QUIC_COUNT_RETRIES,       /* Retry packets sent: an address not yet validated */
    QUIC_COUNT_TOKENS_BAD,    /* Initials whose token did not verify */
    QUIC_COUNT_REFUSED,       /* Initials refused: no slot, or --max-half-open reached */
    QUIC_COUNT_VERSION_NEG,   /* Version Negotiation packets sent */
    QUIC_COUNT_RESETS,        /* stateless resets sent */
    QUIC_COUNT_UNANSWERED,    /* packets from strangers not answered: over the budget, too
                                 short to be answered within their size, or a 0-RTT
                                 packet for no connection */
    QUIC_COUNT_NOT_QUIC,      /* datagrams whose header does not read, or a first packet
                                 ngtcp2 does not accept */
    QUIC_COUNT_TOO_LONG,      /* datagrams over QUIC_EDGE_DATAGRAM */
    QUIC_COUNT_HANDSHAKES,    /* handshakes completed */
    QUIC_COUNT_ALPN_REFUSED,  /* handshakes refused for their ALPN */
    QUIC_COUNT_TLS_FAILED,    /* handshakes that failed otherwise */
    QUIC_COUNT_HALF_OPEN,     /* connections ended before they were peers */
    QUIC_COUNT_PROTOCOL,      /* connections closed for what QUIC refuses: streams over
                                 MAX_STREAMS, flow control, datagrams over the size
                                 announced, connection IDs misused, a frame unreadable */
    QUIC_COUNT_MIGRATIONS,    /* peers whose path changed, validated */
    QUIC_COUNT_DGRAMS_BAD,    /* datagrams refused: no channel byte or another, not a peer */
    QUIC_COUNT_DGRAMS_ACKED,  /* datagrams the relay sent, acknowledged */
    QUIC_COUNT_DGRAMS_LOST,   /* ... declared lost by ngtcp2 */
    QUIC_COUNT_DGRAMS_DROPPED, /* datagrams dropped before they left: more queued than
                                  QUIC_EDGE_DGRAMS while congestion control held them */
    QUIC_COUNT_STREAM_BYTES_ACKED, /* stream bytes the relay sent, acknowledged */
    QUIC_COUNT_STREAMS_OPENED, /* streams of a sender's own opened */
    QUIC_COUNT_STRAY,         /* messages on a stream for no such message (JSON on a
                                 sender's stream) */
    QUIC_COUNT_CLOSED_LATE,   /* closes whose last messages were still unacknowledged
                                 after QUIC_EDGE_CLOSE_US */
    QUIC_COUNT_TIMER_WAKES,   /* connections woken by their timers (ngtcp2's:
                                 acknowledgements, loss detection, pacing) */
    QUIC_COUNT_WT_SESSIONS,   /* WebTransport CONNECTs answered 200 */
    QUIC_COUNT_WT_REFUSED,    /* ... refused: another method, path or :protocol, a
                                 request malformed, a ticket refused, a second request */
    QUIC_COUNT_WT_SETTINGS,   /* h3 connections whose SETTINGS were malformed or
                                 contradictory (closed), or lacked WebTransport (its
                                 CONNECT refused) */
    QUIC_COUNT_WT_QPACK,      /* header blocks and QPACK encoder streams refused: a
                                 dynamic table (the relay allows none), a block or its
                                 fields past their bounds */
    QUIC_COUNT_WT_UNKNOWN,    /* datagrams and streams for no session of the connection */
    QUIC_COUNT_WT_H3_ERRORS,  /* h3 connections closed for another HTTP/3 error: a frame
                                 where none may be, a critical stream closed or given
                                 twice */
    QUIC_COUNTS
};

/* ---- quic_cids.c: connection IDs to slots ---- */

struct quic_cid_entry {
    uint8_t len;              /* 0: free */
    uint8_t id[NGTCP2_MAX_CIDLEN];
    uint32_t slot;
};

/* An open-addressing table, keyed by a keyed hash (SipHash): a client
 * cannot pick IDs that collide. */
struct quic_cids {
    struct quic_cid_entry *e;
    uint32_t cap;             /* a power of two, at least twice what it holds */
    uint32_t n;
    uint8_t key[16];
};

/* Room for max IDs; key is copied. Returns 0 or -1 (out of memory). */
int quic_cids_init(struct quic_cids *c, uint32_t max, const uint8_t key[16]);
void quic_cids_free(struct quic_cids *c);
/* Adds id[0..len) for slot (len 1..NGTCP2_MAX_CIDLEN). Returns 0, or -1 if
 * it is there already or the table is full. */
int quic_cids_add(struct quic_cids *c, const uint8_t *id, size_t len, uint32_t slot);
/* Removes id; nothing if absent. */
void quic_cids_remove(struct quic_cids *c, const uint8_t *id, size_t len);
/* The slot of id, or -1. */
int64_t quic_cids_find(const struct quic_cids *c, const uint8_t *id, size_t len);

/* ---- quic_timers.c: each slot's next expiry, the earliest first ---- */

struct quic_timers {
    uint32_t *heap;           /* slots, a binary min-heap by at[] */
    uint32_t *pos;            /* each slot's index in heap, UINT32_MAX: not in it */
    uint64_t *at;             /* each slot's expiry (µs) */
    uint32_t n, cap;
};

int quic_timers_init(struct quic_timers *q, uint32_t slots);
void quic_timers_free(struct quic_timers *q);
/* Sets slot's expiry (UINT64_MAX: none: it leaves the heap). */
void quic_timers_set(struct quic_timers *q, uint32_t slot, uint64_t at_us);
/* The earliest expiry (UINT64_MAX if none), and its slot. */
uint64_t quic_timers_next(const struct quic_timers *q, uint32_t *slot);

/* ---- the edge ---- */


/* The IDs the edge finds a connection by (c->ids), written by
 * transport_quic_in.c (transport_quic_cid_add, ngtcp2's callbacks); the
 * table of every connection's is t->cids. BY_TRANSPORT_QUIC_IN_C marks
 * them: const in every other file in the writers check (sys/writer.h;
 * transport_quic_in.c defines it empty before its includes). */
#ifndef BY_TRANSPORT_QUIC_IN_C
#define BY_TRANSPORT_QUIC_IN_C ONLY_ITS_WRITER
#endif
struct quic_conn_ids {
    uint8_t n;
    ngtcp2_cid cid[QUIC_EDGE_CIDS];
};

/* A connection's streams in (c->in): transport_quic_in.c reads them;
 * shared with transport_quic_h3.c, which names a WebTransport session's
 * control and own streams when their preambles are read. */
struct quic_streams_in {
    int64_t control_sid;      /* the control stream: 0, or a WebTransport session's first
                                 bidirectional stream */
    bool control_open;        /* the client opened the control stream */
    int64_t up_sid;           /* the client's own stream (streams mode), -1: none */
    struct quicmsg_reader control, up;
};

/* A connection: a slot of t->conns. transport_quic_conn.c takes and frees
 * it (every field then); while it lives each part names its writer. */
struct quic_conn {
    /* transport_quic_conn.c, when the slot is taken */
    ngtcp2_conn *conn;
    ngtcp2_crypto_conn_ref ref;
    struct relay_quic *edge;
    uint32_t slot;
    union netaddr remote;     /* the path's remote address (the newest validated): set
                                 when taken, then by transport_quic_in.c (a migration) */
    uint8_t app;              /* enum quic_app, from the ALPN: transport_quic_in.c */
    BY_QUIC_LIFE_C struct quic_life life; /* quic_life.c's */
    BY_TRANSPORT_QUIC_TLS_C struct quic_conn_tls tls; /* transport_quic_tls.c's */
    BY_TRANSPORT_QUIC_IN_C struct quic_conn_ids ids; /* transport_quic_in.c's */
    struct quic_streams_in in; /* transport_quic_in.c and transport_quic_h3.c */
    struct quic_h3 *h3;       /* QUIC_APP_H3: HTTP/3's side (NULL otherwise):
                                 transport_quic_h3.c */
    struct quic_queue queue;  /* transport_quic_send.c */
    uint64_t held_since_us;   /* output left unwritten since (0: none): datagrams
                                 conflated; transport_quic_packets.c */
    bool marked;              /* in the edge's list of connections to write:
                                 transport_quic_udp_out.c (a slot freed or taken keeps
                                 it) */
    ngtcp2_connection_close_error last_error; /* shared, set where an error is found:
                                                 transport_quic_conn.c, _in.c, _h3.c */
};

/* What the edge reads (t->read), written by transport_quic.c. */
struct quic_read {
    struct dgram_in in;       /* QUIC_EDGE_READ datagrams of QUIC_EDGE_DATAGRAM */
    bool backlog;             /* more waited than QUIC_EDGE_READS reads took */
    uint64_t end_us;          /* the last read that left nothing waiting ended then */
};

/* What the edge sends (t->udp), written by transport_quic_udp_out.c
 * (transport_quic.c makes and frees it with the edge). */
struct quic_udp_out {
    struct dgram_out out;     /* QUIC_EDGE_OUT datagrams of QUIC_EDGE_PKT, one sendmmsg */
    uint64_t sent_bytes;      /* UDP payload bytes sent (what tests and the fuzz target
                                 weigh against what came) */
    uint32_t *marked, n_marked; /* connections to write, each once */
};

/* The edge: its parts each name their writer. */
struct relay_quic {
    /* transport_quic.c, at its creation */
    int fd;
    struct relay_net_config cfg;
    char addr[RELAY_ADDR_MAX];
    union netaddr local;      /* the address bound: every path's local end */
    unsigned max_half_open;   /* connections that have not joined (peers or not), at most */
    uint8_t secret[QUIC_EDGE_SECRET]; /* tokens' and stateless resets' */
    uint8_t *message;         /* a message copied for the core (max_packet_size):
                                 scratch of transport_quic_in.c */
    uint32_t base;            /* the core's handle of slot 0: transport_quic_send.c, as
                                 the core takes the edge (transport_quic_core) */
    /* the input in hand: transport_quic.c's entry points */
    struct relay *relay;      /* set while servicing, flushing, ticking */
    uint64_t now_us;          /* the time of the batch in hand */

    struct quic_conn *conns;  /* cfg.peer_cap: a connection's parts name their writers */
    struct quic_slots slots;  /* transport_quic_conn.c */
    struct quic_cids cids;    /* quic_cids.c: transport_quic_in.c adds and retires a
                                 connection's, transport_quic_conn.c removes them at
                                 its end */
    struct quic_timers timers; /* quic_timers.c: transport_quic_packets.c and
                                  transport_quic_conn.c set a connection's,
                                  transport_quic.c clears one expired */
    struct strangers strangers; /* strangers.c, for transport_quic.c */
    struct quic_tls tls;      /* transport_quic_tls.c */
    struct quic_read read;    /* transport_quic.c */
    struct quic_udp_out udp;  /* transport_quic_udp_out.c */
    uint64_t own[QUIC_COUNTS]; /* shared: each file counts what it sees */
};

/* ---- quic_life.c: a connection's life (c->life) and the slots' counts
 * of the half-open and the closing, written there alone ---- */

/* c made (transport_quic_conn.c): HANDSHAKE since now_us, counted half-open. */
void quic_life_begin(struct relay_quic *t, struct quic_conn *c, uint64_t now_us);
/* Its handshake done: OPEN since now_us (transport_quic_in.c). */
void quic_life_opened(struct quic_conn *c, uint64_t now_us);
/* Its control stream's first message came: no longer half-open, then a
 * peer of the core (transport_quic_in.c). */
void quic_life_joined(struct relay_quic *t);
void quic_life_peered(struct quic_conn *c);
/* Closed by the core or refused, its last messages leaving first: CLOSING
 * since since_us, code its application error code (transport_quic_in.c,
 * transport_quic_send.c). */
void quic_life_close_begin(struct relay_quic *t, struct quic_conn *c, uint64_t code,
                           uint64_t since_us);
/* A packet of the client's read now. */
void quic_life_heard(struct quic_conn *c, uint64_t now_us);
/* c leaves the phase it is in: the counts of it undone. Returns that phase. */
enum quic_phase quic_life_leave(struct relay_quic *t, struct quic_conn *c);
/* True the first time it is asked: the core is to hear of c's end once. */
bool quic_life_first_gone(struct quic_conn *c);
/* ENDING, freed after three PTOs; with close_pkt (len bytes), kept to answer
 * late packets with (returns true), else draining, nothing said again. */
bool quic_life_ending(struct relay_quic *t, struct quic_conn *c, uint64_t now_us,
                      const uint8_t *close_pkt, size_t len);
/* The close packet to send again for a late packet of in_len bytes (counted;
 * *len its length), or NULL: a few times at most, no more than 3x in_len. */
const uint8_t *quic_life_close_again(struct quic_conn *c, size_t in_len, size_t *len);
/* What c's life holds, freed with c. */
void quic_life_free(struct quic_conn *c);

/* ngtcp2's time is nanoseconds, the loop's microseconds. */
static inline ngtcp2_tstamp quic_ns(uint64_t us)
{
    return (ngtcp2_tstamp)us * 1000u;
}

static inline uint64_t quic_us(ngtcp2_tstamp ts)
{
    return ts == UINT64_MAX ? UINT64_MAX : ts / 1000u;
}

/* ---- transport_quic_in.c ---- */

/* ngtcp2's callbacks of every connection (user data: its struct
 * quic_conn). */
extern const ngtcp2_callbacks transport_quic_callbacks;

/* GnuTLS's way back to the connection (ngtcp2_crypto_conn_ref.get_conn). */
ngtcp2_conn *transport_quic_get_conn(ngtcp2_crypto_conn_ref *ref);

/* c is found by cid from now on. Returns 0, or -1 (c has QUIC_EDGE_CIDS,
 * or the ID is another's). */
int transport_quic_cid_add(struct relay_quic *t, struct quic_conn *c, const ngtcp2_cid *cid);

/* ---- transport_quic_packets.c ---- */

/* Writes c's packets (handshake, acknowledgements, datagrams, streams)
 * into the edge's queue, QUIC_EDGE_WRITE_PKTS at most, then its timer.
 * Returns 0, or a negative ngtcp2 error (the connection is over). */
int transport_quic_packets(struct relay_quic *t, struct quic_conn *c, uint64_t now_us);
/* After a write: whether c has output left unwritten, held_since_us set
 * to now_us if it was not held already (0 once nothing is left). */
bool transport_quic_mark_held(struct quic_conn *c, uint64_t now_us);
/* c's timer, at ngtcp2's next expiry; for a member that holds its
 * acknowledgements (transport_quic_holds: the relay has a tick), not
 * before its room's next fan-out and QUIC_EDGE_ACK_RIDE_US more. */
void transport_quic_timer(struct relay_quic *t, struct quic_conn *c, uint64_t now_us);
bool transport_quic_holds(const struct relay_quic *t, const struct quic_conn *c);

/* ---- transport_quic_send.c ---- */

/* The core's side of transport t (a struct relay_quic *): its sends, for
 * handles from base on. */
struct relay_transport transport_quic_core(void *t, uint32_t base);

/* The connection of a handle of this edge if it is a peer (or closing:
 * closing true), else NULL. */
struct quic_conn *transport_quic_peer(struct relay_quic *t, uint32_t handle, bool closing);

/* Queues the next datagram payload of c (a state, or a batch of the states
 * of one channel when its member batches) into out (QUICMSG_DATAGRAM_MAX
 * bytes). Returns its length, 0 if none is queued. */
size_t transport_quic_dgram_peek(struct quic_conn *c, uint8_t *out, unsigned *count);
/* Does c's client take a datagram of a len-byte message, within its
 * path's packets now? */
bool transport_quic_dgram_fits(const struct quic_conn *c, size_t len);

/* The first count queued datagrams left (written). */
void transport_quic_dgram_pop(struct quic_conn *c, unsigned count);

/* Frees what c queued: streams out, datagrams. */
void transport_quic_out_free(struct quic_conn *c);

/* The network took some of c's backlog now (a stream's bytes or a
 * datagram acknowledged): its queue's moved_us. */
void transport_quic_backlog_moved(struct quic_conn *c);

/* Bytes queued to c and not acknowledged (every stream), datagrams aside. */
uint64_t transport_quic_queued(const struct quic_conn *c);

/* The core's backlog of a peer (relay_transport's backlog): its streams'
 * bytes not acknowledged and its datagrams queued; when the network last
 * took some (an acknowledgement, a datagram written) or it was empty. */
void transport_quic_backlog(void *ctx, uint32_t handle, struct relay_backlog *out);

/* A sender's stream of c by QUIC stream id, or NULL. */
struct quic_sender *transport_quic_sender(struct quic_conn *c, int64_t sid);

/* Ends the streams of c's senders quiet for QUIC_EDGE_SENDER_IDLE_US with
 * everything acknowledged (their FIN queued); forgets those closed. */
void transport_quic_senders_idle(struct quic_conn *c, uint64_t now_us);

/* ---- transport_quic.c ---- */

/* One datagram of len bytes from `from` (what the edge's read hands it;
 * the tests' and the fuzz target's way in): to the connection its ID
 * names, or a stranger's, answered without state and never with more
 * bytes than it has. */
void transport_quic_route(struct relay_quic *t, const uint8_t *pkt, size_t len,
                          const union netaddr *from);

/* ---- transport_quic_conn.c ---- */

/* A connection for an Initial whose address is validated: hd is its
 * header (the client's IDs, the token), odcid the client's first
 * destination ID when it came through a Retry (NULL: a NEW_TOKEN token).
 * Returns the slot, or -1 (no slot, or ngtcp2 or GnuTLS refused: counted). */
int transport_quic_accept(struct relay_quic *t, const ngtcp2_pkt_hd *hd, const ngtcp2_cid *odcid,
                          const union netaddr *from, uint64_t now_us);

/* A packet for c's connection from `from`. */
void transport_quic_input(struct relay_quic *t, struct quic_conn *c, const union netaddr *from,
                          const uint8_t *pkt, size_t len, uint64_t now_us);

/* Writes what c has to send (handshake, acknowledgements, streams,
 * datagrams) into the edge's queue of datagrams; then its timer. */
void transport_quic_write(struct relay_quic *t, struct quic_conn *c, uint64_t now_us);

/* c's timer expired: ngtcp2's expiry (loss detection, idle timeout, ...),
 * or its ending's end. */
void transport_quic_expired(struct relay_quic *t, struct quic_conn *c, uint64_t now_us);

/* Writes every marked connection. */
void transport_quic_write_marked(struct relay_quic *t, uint64_t now_us);

/* The core closed c (CLOSING): once its control stream is acknowledged, or
 * QUIC_EDGE_CLOSE_US after, its CONNECTION_CLOSE. Called every write. */
void transport_quic_closing(struct relay_quic *t, struct quic_conn *c, uint64_t now_us);

/* Every 100 ms: half-open connections past the join timeout closed, h3
 * peers silent for --timeout-ms gone (left timeout). */
void transport_quic_sweep(struct relay_quic *t, uint64_t now_us);

/* Frees every connection (no packet sent), at the edge's end. */
void transport_quic_free_all(struct relay_quic *t);

/* Tells the core of the peers whose connection ended since, and why. */
void transport_quic_report_gone(struct relay_quic *t);

/* ---- transport_quic_h3.c ---- */

/* An h3 connection's HTTP/3 side, at its handshake: its control stream's
 * bytes queued (opened at the next write). Returns 0 or -1 (memory). */
int transport_quic_h3_start(struct relay_quic *t, struct quic_conn *c);

/* Frees c's HTTP/3 side (nothing if none). */
void transport_quic_h3_free(struct quic_conn *c);

/* Opens HTTP/3's control stream of an h3 connection, at a write once the
 * handshake is done (nothing if it is open, or without stream credit). */
void transport_quic_h3_open(struct quic_conn *c);

/* Bytes data[0..len) of c's stream sid: HTTP/3's own are read here
 * (returns 0); a WebTransport stream of the session past its preamble
 * (*skip bytes) is the member's control stream (c->control_sid) or own
 * stream (c->up_sid): returns 1, the rest being the session's. Returns
 * NGTCP2_ERR_CALLBACK_FAILURE (c->last_error set, counted) when the
 * connection must close. */
int transport_quic_h3_stream(struct relay_quic *t, struct quic_conn *c, int64_t sid,
                             const uint8_t *data, size_t len, size_t *skip);

/* c's stream sid closed: 1 if it was the CONNECT's (the session's end), 2
 * a client's unidirectional stream whose credit goes back, -1 a critical
 * stream (closed: c->last_error set, counted), 0 otherwise. */
int transport_quic_h3_closed(struct relay_quic *t, struct quic_conn *c, int64_t sid);

/* A datagram d[0..len) of c: its quarter stream ID must name c's session;
 * *rest the rest (the channel byte, the message). Returns 0, or -1
 * (counted wt_unknown_session). */
int transport_quic_h3_datagram(struct relay_quic *t, struct quic_conn *c, const uint8_t *d,
                               size_t len, const uint8_t **rest, size_t *rest_len);

/* What goes before a datagram's channel byte to c (its session's quarter
 * stream ID; nothing on ALPN ricochet) into out (8 bytes). Returns its
 * length. */
size_t transport_quic_h3_dgram_head(const struct quic_conn *c, uint8_t *out);

/* ---- transport_quic_tls.c ---- */

/* The certificate: tls_cert and tls_key (PEM files), or, without both, a
 * certificate drawn now (ECDSA P-256, its SHA-256 fingerprint logged).
 * Also the priority string every session takes. Returns 0, or -1 with a
 * one-line message in err. */
int transport_quic_tls_init(struct relay_quic *t, char *err, size_t err_cap);
void transport_quic_tls_free(struct relay_quic *t);

/* GnuTLS's server session for c (no session tickets, hence no 0-RTT; the
 * ALPNs of the applications, each with its transport parameters; the
 * newest certificate, held by c until transport_quic_tls_end), bound to
 * its ngtcp2 connection. Returns 0 or -1. */
int transport_quic_tls_session(struct relay_quic *t, struct quic_conn *c);

/* c's session is gone: its certificate is held by one connection fewer
 * (one drawn and no longer the newest is freed with its last). */
void transport_quic_tls_end(struct relay_quic *t, struct quic_conn *c);

/* A drawn certificate QUIC_CERT_RENEW_S old: a new one drawn for new
 * connections (force: now, whatever its age). Nothing behind --tls-cert,
 * or while every slot is held. Returns whether one was drawn. */
bool transport_quic_tls_renew(struct relay_quic *t, uint64_t now_us, bool force);

/* What a page needs to open a WebTransport session here, as JSON into out
 * (cap): {"port": P, "path": "/wt", "timeout_ms": T, "hashes": ["hex", ...]},
 * T the silence after which a session is gone (--timeout-ms: a page that
 * only listens pings within a third of it), the hashes of the drawn
 * certificates still valid, the newest first (none behind --tls-cert: the
 * browser checks that one itself). Returns its length, or -1 if cap is
 * short. */
int transport_quic_tls_webtransport(const struct relay_quic *t, char *out, size_t cap);

/* The application of the ALPN c's handshake chose (QUIC_APPS: none). */
enum quic_app transport_quic_tls_app(const struct quic_conn *c);

/* The SHA-256 of DER bytes der[0..len) as hex pairs with colons, into out
 * (96 bytes). Returns out. */
char *transport_quic_fingerprint(const uint8_t *der, size_t len, char *out);

/* ---- transport_quic_udp_out.c ---- */

/* Puts c in the list of connections the next write pass writes. */
void transport_quic_mark(struct relay_quic *t, struct quic_conn *c);

/* The pass (transport_quic_write_marked): the i-th connection marked, no
 * longer marked (it may be marked again while written); then the list
 * emptied. */
struct quic_conn *transport_quic_unmark(struct relay_quic *t, uint32_t i);
void transport_quic_marked_clear(struct relay_quic *t);

/* Queues one datagram to `to` (copied; at most QUIC_EDGE_PKT bytes),
 * sending what is queued first when the queue is full. */
void transport_quic_queue(struct relay_quic *t, const union netaddr *to, const uint8_t *data,
                          size_t len);

/* Sends every queued datagram (sendmmsg); a full socket buffer drops the
 * rest (QUIC resends what is reliable), counted send_failed. */
void transport_quic_out_flush(struct relay_quic *t);

#endif
