/* fake_relay.h: the relay core (relay/core/relay.h, edge.h) driven through a fake
 * transport and a fake clock, for the relay's unit tests (test_relay_*.c):
 * the transport records every control message, state and disconnect the
 * core sends (in fk); helpers connect peers, join them, send states and
 * text, and read back what the core sent. The clock is now_us, moved by
 * the tests. A relay may also run on two fake edges at once (make_two_edge),
 * each recording which it is and failing the test if the core calls it
 * with a handle outside its range. */
#ifndef RICOCHET_TEST_FAKE_RELAY_H
#define RICOCHET_TEST_FAKE_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"

#define MAX_CTL 4096
#define MAX_STATES 8192
#define MAX_DISC 64

#define FAKE_CHANNEL_MODES ((1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) | \
                            (1u << PROTO_MODE_RELIABLE))

struct sent_ctl {
    uint32_t peer;
    int edge;             /* the fake edge it went through: FAKE_CHANNELS or FAKE_DATAGRAM */
    char *json;
    size_t len;
    size_t states_before; /* fk.n_states when it was sent: the order of the two */
};

struct sent_state {
    uint32_t from; /* the sender's handle */
    uint32_t peer;
    int edge;      /* the fake edge it went through */
    size_t call;   /* which send_state call it came in (fk.n_calls then) */
    uint8_t channel;
    uint32_t flags;
    size_t len;
    uint64_t at_us; /* fake clock when sent */
    uint8_t bytes[PROTO_STATE_MAX];
};

#define FAKE_HELD_PEERS 256 /* peers fake_holding_tp keeps a backlog for */

struct fake {
    struct sent_ctl ctl[MAX_CTL];
    size_t n_ctl;
    struct sent_state *states; /* MAX_STATES */
    size_t n_states;
    size_t n_calls;      /* send_state calls */
    uint32_t disc[MAX_DISC];
    enum proto_error_code disc_why[MAX_DISC]; /* the code the core closed it with */
    size_t disc_states[MAX_DISC]; /* fk.n_states when it was closed: the order of the two */
    size_t n_disc;
    /* fake_holding_tp: what it holds for each peer (its backlog), every
     * control message and reliable state adding its length until the test
     * takes it (fake_take), as a reader that reads when told to. */
    struct relay_backlog held[FAKE_HELD_PEERS];
    /* What the core told each peer's edge of its membership (member): the
     * way its states go down while it is one, and fk.n_ctl when told. */
    struct fake_member {
        bool is;
        struct relay_member_way way;
        size_t ctl_at;
    } member[FAKE_HELD_PEERS];
};

extern struct fake fk;               /* what the core sent since fake_clear */
extern struct proto_control *dec;    /* last decoded control (large) */
extern uint64_t now_us;              /* the fake clock */
/* The third transport, as the core sees it: one with channels (like ENet)
 * and a bare datagram socket (like plain UDP). */
extern const struct relay_transport fake_tp, fake_datagram_tp;
/* fake_tp with a backlog: what it is sent waits for the peer to take it. */
extern const struct relay_transport fake_holding_tp;

/* Peer takes bytes of what fake_holding_tp holds for it (all of it:
 * UINT64_MAX), at now_us. */
void fake_take(uint32_t peer, uint64_t bytes);
enum { FAKE_CHANNELS = 0, FAKE_DATAGRAM = 1 };

/* A relay on two fake edges, fake_tp then fake_datagram_tp, with `each`
 * handles each: [0, each) has channels, [each, 2 * each) is datagrams'.
 * cfg NULL: the default with room for 2 * each clients. */
struct relay *make_two_edge(const struct relay_config *cfg, uint32_t each);

/* make_two_edge with the capabilities of edges[0] and edges[1] (fake_tp
 * and fake_datagram_tp, changed: a secure one, ...): the first records
 * as FAKE_CHANNELS, the second as FAKE_DATAGRAM. */
struct relay *make_two_edge_of(const struct relay_config *cfg, uint32_t each,
                               const struct relay_transport edges[2]);

/* The negative return of relay_on_datagram for a drop reason. */
#define DROP(why) (-1 - (int)(why))

/* Forgets what the core sent. */
void fake_clear(void);

int fake_relay_setup(void **state);

int fake_relay_teardown(void **state);

/* A relay on transport tp (NULL: fake_tp) with cfg (NULL: 64 peers). */
struct relay *make_relay_on(const struct relay_config *cfg, const struct relay_transport *tp);

struct relay *make_relay(const struct relay_config *cfg);

void connect_peer(struct relay *r, uint32_t peer);

/* relay_peer_connect(r, peer, the address of endpoint, now_us):
 * endpoint a numeric "ip:port" or "[v6]:port" (asserted). */
int connect_at(struct relay *r, uint32_t peer, const char *endpoint);

/* connect_peer from IP address ip ("10.0.0.2"; its port the peer's own). */
void connect_peer_from(struct relay *r, uint32_t peer, const char *ip);

/* Sends raw text as a control message on channel 0. */
int send_text(struct relay *r, uint32_t peer, const char *json);

/* Encodes m and sends it on channel, reliable. */
int send_control_msg(struct relay *r, uint32_t peer, uint8_t channel,
                     const struct proto_control *m);

int join_on(struct relay *r, uint32_t peer, uint8_t channel, const char *room, const char *name,
            bool reflect);

int join(struct relay *r, uint32_t peer, const char *room, const char *name, bool reflect);

size_t make_state(uint8_t *buf, uint32_t sender, uint32_t seq, float x, size_t len);

int send_state(struct relay *r, uint32_t peer, uint32_t forged, uint32_t seq);

/* Decodes control message i into dec. */
const struct proto_control *ctl_at(size_t i);

/* Last control of type sent to peer, decoded into dec; NULL if none. */
const struct proto_control *last_ctl(uint32_t peer, enum proto_ctl_type type);

size_t count_ctl(uint32_t peer, enum proto_ctl_type type);

const char *last_error(uint32_t peer);

size_t states_to(uint32_t peer);

bool disconnected(uint32_t peer);

/* The wire name of the code peer was last disconnected with ("" if never). */
const char *disconnect_why(uint32_t peer);

uint64_t drops(const struct relay *r, enum relay_drop why);

/* The default config with room for 8 peers. */
struct relay_config small_config(void);

/* The default config with room for 64 peers (60 clients), without the
 * rate limit or the byte budget: for tests whose peers send as fast as
 * they like. */
struct relay_config unlimited_config(void);

/* A relay as make_relay_on(cfg, tp) with peers 0..n-1 connected. */
struct relay *relay_with_peers_on(const struct relay_config *cfg, const struct relay_transport *tp,
                                  uint32_t n);

struct relay *relay_with_peers(const struct relay_config *cfg, uint32_t n);

/* relay_with_peers(cfg, peers) where "a" (peer 0, id 1) and "b" (peer 1,
 * id 2) joined room "lobby", without reflect; the transport record cleared. */
struct relay *lobby_of_two(const struct relay_config *cfg, uint32_t peers);

/* Checks that peer's last left notice is about id with reason; returns it
 * (decoded into dec). */
const struct proto_control *expect_left(uint32_t peer, uint32_t id, enum proto_left_reason reason);

#endif
