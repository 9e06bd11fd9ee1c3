/* transport_webrtc.h: what the files of the relay's WebRTC edge share. The
 * program uses relay_webrtc_ops (transport.h); the sessions themselves are
 * the webrtc modules' (rtc_host.h lists them). A file calls only those
 * below it here:
 *   transport_webrtc.c           the socket, the host's callbacks (a session
 *                                a peer once its control channel opens, its
 *                                end a peer gone), the loop's operations,
 *                                the answer to an offer (its POST /rtc
 *                                route on the relay's HTTP front)
 *   transport_webrtc_send.c      what the core sends: states on the
 *                                member's channels (in batches when asked),
 *                                control messages, a close that waits for
 *                                its last messages
 *   transport_webrtc_out.c       datagrams out: queued, sent with sendmmsg
 *   transport_webrtc_channels.c  channels by label: a channel's role, a
 *                                message's way into the core, a state's
 *                                channel down (pure)
 *
 * A session's slot in the host is its slot here, and base + slot is its
 * handle in the core. */
#ifndef RICOCHET_TRANSPORT_WEBRTC_H
#define RICOCHET_TRANSPORT_WEBRTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/wire.h"
#include "sys/dgram.h"
#include "sys/netaddr.h"
#include "relay/http/http_front.h"
#include "relay/transport.h"
#include "rtc/rtc_dtls.h"
#include "rtc_host.h"
#include "rtc/rtc_sctp.h"

#define RTC_EDGE_READ 64          /* datagrams per recvmmsg */
#define RTC_EDGE_READS 16         /* recvmmsg calls per service; more waiting: a backlog */
#define RTC_EDGE_DATAGRAM 2048    /* bytes read per datagram; a longer one is too_long */
#define RTC_EDGE_OUT 512          /* datagrams queued for one sendmmsg */
#define RTC_EDGE_OPEN_US 5000000u /* SCTP up to its control channel, at most */
#define RTC_EDGE_CLOSE_US 2000000u /* a close waits this long for its last messages */
#define RTC_EDGE_EVICT_US 250000u /* past max_half_open, the oldest session not yet checked
                                     gives way to a new offer only if this old (as ENet's
                                     half-open handshakes) */
#define RTC_EDGE_BATCH_MAX 1120   /* a batch's bytes: one SCTP chunk in one datagram */
#define RTC_EDGE_ARENA (256u << 10) /* bytes of the batches open in one flush */
#define RTC_EDGE_NO_SID 0xffffu

/* A channel's role, by its label (PROTOCOL.md, "WebRTC data channels"). */
enum rtc_role {
    RTC_ROLE_CONTROL = 0,     /* "control": ordered, reliable */
    RTC_ROLE_UNSEQUENCED,     /* "unsequenced": unordered, no retransmission */
    RTC_ROLE_SEQUENCED,       /* "sequenced": the same */
    RTC_ROLES,
    RTC_ROLE_NONE = 0xff
};

/* Where a session is, from the edge's side. */
enum rtc_phase {
    RTC_PHASE_FREE = 0,
    RTC_PHASE_OFFERED,        /* answered; ICE, DTLS and SCTP under way */
    RTC_PHASE_UP,             /* SCTP up, its control channel not yet open */
    RTC_PHASE_PEER,           /* a peer of the core */
    RTC_PHASE_CLOSING,        /* the core closed it: its last messages leave first */
};

/* What the edge counts itself: its part of the stats record, in this
 * order (the names: transport_webrtc.c). */
enum rtc_count {
    RTC_COUNT_OFFERS,         /* offers answered */
    RTC_COUNT_OFFERS_BAD,     /* offers whose SDP did not read or asked what it lacks */
    RTC_COUNT_OFFERS_TICKET,  /* offers refused by the ticket precheck */
    RTC_COUNT_OFFERS_FULL,    /* offers refused: sessions or half-open sessions full */
    RTC_COUNT_STUN_MALFORMED, /* not STUN, or its FINGERPRINT wrong */
    RTC_COUNT_STUN_UNKNOWN,   /* a check naming no session */
    RTC_COUNT_STUN_INTEGRITY, /* a check under a wrong password */
    RTC_COUNT_STUN_NOT_CHECK, /* a request that is not a controlling agent's check */
    RTC_COUNT_DTLS_UNVERIFIED, /* DTLS from an address no check came from */
    RTC_COUNT_NOT_WEBRTC,     /* neither STUN nor DTLS */
    RTC_COUNT_TOO_LONG,       /* a datagram over RTC_EDGE_DATAGRAM */
    RTC_COUNT_HALF_OPEN,      /* sessions ended before they were peers */
    RTC_COUNT_EVICTED,        /* sessions not yet checked closed for a newer offer: of
                                 its pass, its address, or past max_half_open */
    RTC_COUNT_CHANNELS_REFUSED, /* channels closed: another label or kind, a second
                                   of one label, past the channels a session may open */
    RTC_COUNT_DCEP_BAD,       /* channel opens that did not read */
    RTC_COUNT_STRAY,          /* messages on no channel of the contract */
    RTC_COUNT_OVERSIZE,       /* messages over the size the answer allows */
    RTC_COUNT_SEND_BLOCKED,   /* sends refused by a full SCTP send buffer */
    RTC_COUNT_CLOSED_LATE,    /* closes whose last messages were still unacknowledged
                                 after RTC_EDGE_CLOSE_US */
    RTC_COUNTS
};

struct rtc_edge_slot {
    uint8_t phase;            /* enum rtc_phase */
    uint16_t sid[RTC_ROLES];  /* each role's stream, RTC_EDGE_NO_SID: not open */
    uint8_t role[RTC_SCTP_STREAMS]; /* each stream's role, RTC_ROLE_NONE: none */
    uint64_t since_us;        /* offered, up or closing since */
    union netaddr offer_from; /* where its offer came from (its HTTP request's source) */
    bool from_known;          /* ... if that was said */
    uint32_t lane[RTC_ROLES]; /* 1 + its open batch's index in the flush's list, 0: none */
    bool batches;             /* its member takes its states in batches (the core's
                                 member, at its join) */
    uint64_t sent_bytes, sent_msgs; /* every message handed to SCTP: their average size
                                 turns SCTP's chunks outstanding into bytes */
    bool owed;                /* something sent may be outstanding */
    uint64_t owed_us;         /* ... since its first message after none was */
};

/* A batch being filled for one member on one role: its bytes in the arena. */
struct rtc_lane {
    uint32_t slot;
    uint8_t role;
    uint16_t count;           /* states in it */
    uint32_t off, len;        /* in the arena: the header, then entries */
};

struct relay_webrtc {
    int fd;
    struct relay_net_config cfg;
    char addr[RELAY_ADDR_MAX];
    union netaddr advertise;  /* the host candidate answers carry */
    struct relay *relay;      /* set while servicing, flushing, ticking, answering */
    uint32_t base;            /* the core's handle of slot 0 */
    struct rtc_host *host;
    struct rtc_edge_slot *slots; /* cfg.peer_cap */
    unsigned half_open;       /* sessions offered or up, not yet peers */
    unsigned max_half_open;
    unsigned closing;         /* sessions in RTC_PHASE_CLOSING */
    uint32_t *gone;           /* peers whose session ended, to report (peer_cap) */
    uint8_t *gone_why;        /* ... and why (enum proto_left_reason) */
    unsigned n_gone;
    uint8_t *message;         /* a message copied for the core (max_packet_size) */

    struct dgram_in in;       /* RTC_EDGE_READ datagrams of RTC_EDGE_DATAGRAM */
    bool backlog;
    uint64_t read_end_us;

    struct dgram_out out;     /* RTC_EDGE_OUT datagrams of RTC_DTLS_MTU, one sendmmsg */

    /* batches of this flush */
    uint8_t *arena;           /* RTC_EDGE_ARENA */
    size_t arena_used;
    struct rtc_lane *lanes;   /* RTC_EDGE_ARENA / RTC_EDGE_BATCH_MAX */
    unsigned n_lanes;

    uint64_t own[RTC_COUNTS]; /* what the edge counted (the host counts the rest) */
};

/* ---- transport_webrtc.c ---- */

/* Why an offer was not answered (relay_webrtc_answer's negative returns;
 * HTTP's status beside each). */
enum relay_offer_refusal {
    RELAY_OFFER_BAD = -1,     /* 400: the SDP does not read, or asks what the edge lacks */
    RELAY_OFFER_TICKET = -2,  /* 403: a ticket needed, missing, or refused */
    RELAY_OFFER_FULL = -3,    /* 503: no room for another session */
};

/* The longest answer relay_webrtc_answer writes (its SDP), NUL aside: a
 * caller's out of RELAY_ANSWER_MAX + 1 bytes always has room. */
#define RELAY_ANSWER_MAX 1024

/* Answers offer[0..len) of edge t (a struct relay_webrtc *) for a client
 * whose ticket is pass (NULL: none came), from the address from (its HTTP
 * request's source; NULL: unknown): the ticket checked by the core first
 * when the relay needs one and claimed by the session it opens (POST
 * /rtc's route; tests call it as that route would). Returns the answer's
 * length (NUL-terminated in out), or a negative enum relay_offer_refusal
 * with a one-line reason in why; counted at once. */
int relay_webrtc_answer(void *t, struct relay *r, const char *offer, size_t len,
                        const char *pass, const union netaddr *from, char *out, size_t cap,
                        char *why, size_t why_cap);

/* ---- transport_webrtc_send.c ---- */

/* The core's side of transport t (a struct relay_webrtc *): its sends, for
 * handles from base on. */
struct relay_transport transport_webrtc_core(void *t, uint32_t base);

/* Sends every batch of this flush (a batch of one state as the state). */
void transport_webrtc_lanes_flush(struct relay_webrtc *t);

/* Forgets slot's batches not yet sent (its session is gone). */
void transport_webrtc_lanes_drop(struct relay_webrtc *t, uint32_t slot);

/* The core's backlog of a peer (relay_transport's backlog): SCTP's chunks
 * not yet acknowledged, in bytes at the session's average message; when a
 * DTLS datagram last came from it (its acknowledgements ride in them). */
void transport_webrtc_backlog(void *ctx, uint32_t handle, struct relay_backlog *out);

/* Closes each closing session whose last messages were acknowledged, or
 * that waited RTC_EDGE_CLOSE_US (counted closed_late). */
void transport_webrtc_closing(struct relay_webrtc *t, uint64_t now_us);

/* ---- transport_webrtc_out.c ---- */

/* Queues one datagram to `to` (copied; at most RTC_DTLS_MTU bytes),
 * sending what is queued first when the queue is full. */
void transport_webrtc_queue(struct relay_webrtc *t, const union netaddr *to,
                            const uint8_t *data, size_t len);

/* Sends every queued datagram (sendmmsg); a full socket buffer drops the
 * rest, counted send_failed when the core is at hand. */
void transport_webrtc_out_flush(struct relay_webrtc *t);

/* ---- transport_webrtc_channels.c ---- */

/* The label of a role ("control", ...). */
const char *transport_webrtc_label(enum rtc_role role);

/* The role of a channel the peer opened: its label, and its kind (control
 * ordered and reliable; the state channels unordered, partly reliable).
 * RTC_ROLE_NONE: refused. */
enum rtc_role transport_webrtc_role(const struct rtc_sctp_channel *ch);

/* A member's message of len bytes on role: the (channel, flags) the core
 * takes it with (PROTO_CHANNEL_*, PROTO_FLAG_*): on control, a JSON
 * message ('{' first) or a reliable state. */
void transport_webrtc_up(enum rtc_role role, const uint8_t *data, size_t len, uint8_t *channel,
                         uint32_t *flags);

/* The role a state going down on (channel, flags) takes to a member whose
 * open roles are the bits (1 << role) of open: its own mode's channel,
 * else the other state channel, else control. RTC_ROLE_NONE: none open. */
enum rtc_role transport_webrtc_down(uint8_t channel, uint32_t flags, unsigned open);

#endif
