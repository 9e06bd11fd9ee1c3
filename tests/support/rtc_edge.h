/* rtc_edge.h: the relay's webrtc edge and a core on it, in process on
 * 127.0.0.1, with WebRTC clients of rtc/rtc_peer.h on sockets of their
 * own, for test_transport_webrtc: offers answered through the edge's
 * answer (relay_webrtc_answer), the loop's turns over the edge
 * (support/edge_turn.h) with every client's socket read between them,
 * what each client got recorded
 * message by message (a batch as its states). */
#ifndef RICOCHET_TEST_RTC_EDGE_H
#define RICOCHET_TEST_RTC_EDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc/rtc_peer.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/transport.h"
#include "relay/webrtc/transport_webrtc.h"

#define RTC_CLIENTS 8
#define RTC_GOT_MAX 4096

/* One message a client got, on its stream sid: a control message (its
 * type, and code for an error) or a state (its sender and seq). */
struct rtc_got {
    uint16_t sid;
    bool binary;
    bool state;
    bool in_batch;            /* the state came in a batch message */
    enum proto_ctl_type type;
    uint32_t id;              /* a control message's subject (welcome: yours) */
    enum proto_left_reason reason; /* left */
    char code[PROTO_CODE_MAX + 1];
    uint32_t sender, seq;
};

struct rtc_client {
    struct rtc_peer *p;
    int fd;
    union netaddr addr;
    bool opened, closed;
    struct rtc_got *got;      /* RTC_GOT_MAX */
    size_t n_got;
    size_t batches;           /* batch messages among them */
    char answer[RELAY_ANSWER_MAX + 1];
};

struct rtc_env {
    void *t;                  /* the edge */
    struct relay *r;
    union netaddr relay_addr;
    struct rtc_client c[RTC_CLIENTS];
    uint64_t last_periodic_us;
};

extern struct rtc_env rtc_env;

/* The edge on 127.0.0.1:0 with net's limits (peer_cap and the rest; bind
 * and port are set here) and a core on it with cfg (NULL: the default,
 * peer_cap the edge's). */
void rtc_env_open(const struct relay_net_config *net, const struct relay_config *cfg);
void rtc_env_close(void);

/* The edge's default limits for these tests: 16 peers, 2048-byte messages. */
struct relay_net_config rtc_env_net(void);

/* Client i: a socket on 127.0.0.1:0, an rtc_peer opening the channels of
 * which (RTC_PEER_OPEN_*). */
void rtc_client_new(int i, unsigned which);
void rtc_client_free(int i);

/* Client i's offer through the edge's answer with pass (NULL: none),
 * from its own address. Returns the answer's result; on an answer, the
 * client reads it. */
int rtc_client_offer(int i, const char *pass);

/* The same, the offer said to come from `from` (NULL: unknown). */
int rtc_client_offer_from(int i, const char *pass, const union netaddr *from);

/* Turns of the loop for ms, every client's socket read between them. */
void rtc_pump(int ms);

/* Turns until client i's channels are open (asserts it within 5 s). */
void rtc_until_open(int i);

/* Turns until cond(i) holds or ms pass; returns whether it held. */
bool rtc_until(bool (*cond)(int i), int i, int ms);

/* Sends a control message (text) on client i's control channel. */
void rtc_send_json(int i, const char *json);

/* Sends a state of seq (x at 10 + seq) on client i's stream sid. */
void rtc_send_state(int i, uint16_t sid, uint32_t seq);

/* The same, padded to len bytes (PROTO_STATE_SIZE..PROTO_STATE_MAX). */
void rtc_send_padded(int i, uint16_t sid, uint32_t seq, size_t len);

/* Client i's joined, asserted: joins room as name (extra: more JSON members
 * of the join, or ""), until its welcome; returns its id. */
uint32_t rtc_join(int i, const char *room, const char *name, const char *extra);

/* The last control message of type client i got, or NULL. */
const struct rtc_got *rtc_last(int i, enum proto_ctl_type type);

/* States client i got from sender on sid (any sid: sid UINT16_MAX). */
size_t rtc_states(int i, uint32_t sender, uint16_t sid);

/* The edge's own counter called name (its part of the stats record). */
uint64_t rtc_counter(const char *name);

#endif
