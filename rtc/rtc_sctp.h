/* rtc_sctp.h: SCTP over DTLS (RFC 8261) on usrsctp's AF_CONN interface,
 * with the data channels of RFC 8831 and their establishment (DCEP, RFC
 * 8832): packets in and out as bytes, channels opened by either side,
 * messages in and out as plain bytes on a channel's stream.
 *
 * usrsctp is one stack per process. rtc_sctp_global_init starts it
 * without its timer and receive threads (usrsctp_init_nothreads); its
 * iterator thread still starts, and sleeps unless a send asks for
 * SCTP_SENDALL or an address is added on the fly, which nothing here
 * does. So every callback (a packet out, a message in) runs on the
 * calling thread, inside rtc_sctp_input, rtc_sctp_send, rtc_sctp_open,
 * rtc_sctp_timers or rtc_sctp_free: one thread must make all these calls.
 * The caller drives usrsctp's timers with rtc_sctp_timers at
 * rtc_sctp_due. Nothing may be freed from inside a callback. */
#ifndef RICOCHET_RTC_SCTP_H
#define RICOCHET_RTC_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_SCTP_STREAMS 16        /* streams each way, so channel ids 0..15 */
#define RTC_SCTP_MTU 1160          /* an SCTP packet fits a DTLS record of 1200 bytes */
/* How often usrsctp's timers are walked (its own thread walks every 10 ms).
 * Each walk visits every timer of every association (usrsctp keeps them in
 * one unsorted list), due or not; and every timer it runs here lasts 200 ms
 * or more (the retransmission timeout's floor, the SACK delay), so a walk
 * every 20 ms keeps each within a tenth of its length at half the cost. */
#define RTC_SCTP_TICK_US 20000
#define RTC_SCTP_LABEL_MAX 63      /* bytes of a channel's label kept */
/* Delayed SACK as RFC 4960 (6.2) has it: a packet is acknowledged with the
 * second after it, or this long after it arrived (usrsctp's own default; a
 * SACK also rides with DATA going the other way). At a few messages a
 * second each way a shorter delay sends a SACK datagram for every packet. */
#define RTC_SCTP_SACK_DELAY_MS 200
#define RTC_SCTP_SACK_FREQ 2

struct rtc_sctp;

enum rtc_sctp_state { RTC_SCTP_CONNECTING = 0, RTC_SCTP_OPEN, RTC_SCTP_CLOSED };

/* A data channel: its stream id and what DCEP said of it. */
struct rtc_sctp_channel {
    uint16_t sid;
    uint8_t type;               /* a DCEP channel type (rtc_dcep.h) */
    uint32_t reliability;       /* retransmissions or milliseconds, by type */
    bool ordered, reliable;
    bool ours;                  /* opened by this side */
    char label[RTC_SCTP_LABEL_MAX + 1];
};

/* What an association reports; ctx is the caller's. */
struct rtc_sctp_ops {
    void (*send)(void *ctx, const uint8_t *packet, size_t len);   /* for the DTLS layer */
    void (*state)(void *ctx, enum rtc_sctp_state state);
    void (*channel)(void *ctx, const struct rtc_sctp_channel *ch); /* open: theirs, or ours acked */
    void (*closed)(void *ctx, uint16_t sid);                       /* a channel reset */
    void (*message)(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len);
};

/* What an association refused. */
struct rtc_sctp_counters {
    uint64_t oversize;          /* messages over max_message, dropped */
    uint64_t bad_dcep;          /* DCEP messages that do not read, or on a wrong stream */
    uint64_t channels_refused;  /* opens past channels_max: the stream is reset */
    uint64_t stray;             /* messages on a stream without a channel, or of an unknown PPID */
    uint64_t send_blocked;      /* sends refused because the send buffer was full */
};

struct rtc_sctp_config {
    uint16_t local_port, remote_port; /* a=sctp-port of each side */
    bool dtls_server;                 /* opens odd stream ids (the peer's may be any free one) */
    uint32_t max_message;             /* bytes; a longer message in is dropped */
    unsigned channels_max;            /* channels the peer may open (up to RTC_SCTP_STREAMS) */
    uint32_t buffer;                  /* send and receive buffer, bytes */
    struct rtc_sctp_counters *counters; /* where to count (shared by many); NULL: its own */
};


/* Starts usrsctp for the process, once (later calls do nothing); now_us
 * starts its timers' clock. Returns 0, or -1. */
int rtc_sctp_global_init(uint64_t now_us);

/* usrsctp's timers, advanced to now_us (whole milliseconds). */
void rtc_sctp_timers(uint64_t now_us);

/* When rtc_sctp_timers is next due: every RTC_SCTP_TICK_US while an
 * association exists, UINT64_MAX while none does. */
uint64_t rtc_sctp_due(void);

/* Associations alive in the process. */
unsigned rtc_sctp_count(void);

/* A new association: binds, connects and sends its INIT through
 * ops->send at once. NULL if usrsctp refuses (or is not started). */
struct rtc_sctp *rtc_sctp_new(const struct rtc_sctp_config *cfg, const struct rtc_sctp_ops *ops,
                              void *ctx);

/* One SCTP packet from the peer (a DTLS record's payload). */
void rtc_sctp_input(struct rtc_sctp *a, const uint8_t *packet, size_t len);

/* Opens a channel of this side on stream sid (of this side's parity):
 * sends DATA_CHANNEL_OPEN; messages may follow at once. Returns 0, or -1. */
int rtc_sctp_open(struct rtc_sctp *a, uint16_t sid, uint8_t type, uint32_t reliability,
                  const char *label);

/* Sends one message on channel sid, as its type says (order,
 * retransmissions). Returns 0, or -1: no such channel, too long for the
 * peer, or the send buffer full (counted). */
int rtc_sctp_send(struct rtc_sctp *a, uint16_t sid, bool binary, const uint8_t *data, size_t len);

/* Closes channel sid (resets its outgoing stream). */
void rtc_sctp_close_channel(struct rtc_sctp *a, uint16_t sid);

/* The peer's largest message (its a=max-message-size; 0: any). */
void rtc_sctp_set_peer_max(struct rtc_sctp *a, uint32_t max_message);

/* Messages' chunks sent and not yet acknowledged, or not yet sent (0 once
 * everything arrived, or when the association is not open). */
unsigned rtc_sctp_unsent(const struct rtc_sctp *a);

enum rtc_sctp_state rtc_sctp_state(const struct rtc_sctp *a);

/* The channel on stream sid, or NULL. */
const struct rtc_sctp_channel *rtc_sctp_channel(const struct rtc_sctp *a, uint16_t sid);

/* What it counted (into cfg->counters when given). */
const struct rtc_sctp_counters *rtc_sctp_counters(const struct rtc_sctp *a);

/* Aborts the association (an ABORT goes out through ops->send) and frees
 * it; no callback but send runs during the call. */
void rtc_sctp_free(struct rtc_sctp *a);

#endif
