/* client_test.h: a socket-free way into the client library's receive path,
 * for tests and fuzz targets only. Programs use ricochet.h (and client.h).
 *
 * Every transport hands every received message to the same function;
 * client_receive() calls it with bytes from the caller instead of a socket,
 * so a test can play the relay's side message by message, deterministically
 * (the caller passes the receive time). */
#ifndef RICOCHET_CLIENT_TEST_H
#define RICOCHET_CLIENT_TEST_H

#include "client.h"

/* A client on the third transport, the test double (client_detached.c):
 * no socket and no ENet host; cfg as for client_create, but host and port
 * are ignored. It starts as if its join were sent (waiting
 * for welcome), sends nothing (client_send_* return as if sent, or -1
 * where the real client needs a connection), and client_poll returns at
 * once: only the DISCONNECTED event once a relay error ended the session.
 * cfg->mode PROTO_MODE_UDP gives the udp transport's receive rules.
 * Returns NULL with a message in err on bad config. Free with
 * client_destroy. */
struct ricochet *client_create_detached(const struct client_config *cfg, char *err,
                                      size_t err_cap);

/* client_create_detached from a public configuration (as ricochet_connect
 * takes one): for programs that open sessions through ricochet.h. */
struct ricochet *client_connect_detached(const struct ricochet_config *cfg, char *err,
                                         size_t err_cap);

/* Feeds one received message to c as the transport would: len bytes that
 * arrived on channel (PROTO_CHANNEL_* for ENet, PROTO_CHANNEL_DATAGRAM for
 * udp; the other kind is dropped) with flags (PROTO_FLAG_*, proto/mode.h), at now_us.
 * Like one client_poll: first applies what the previous event left pending.
 * Returns 1 with *ev filled, 0 if the message was dropped (counted) or
 * gives no event, -1 if the client is disconnected and reads nothing more
 * (client_poll returns its DISCONNECTED event). bytes are not kept. */
int client_receive(struct ricochet *c, uint8_t channel, uint32_t flags, const uint8_t *bytes,
                   size_t len, uint64_t now_us, struct ricochet_event *ev);

/* The timers of one client_poll that need no socket, at now_us (the
 * caller's clock, as for client_receive): in udp mode, the expiry of a
 * member silent for timeout_ms (a LEFT event, reason timeout, one per
 * call). client_poll runs them with the real clock once the socket is
 * drained. Like client_receive, first applies what the previous event left
 * pending. Returns 1 with *ev filled, 0 if nothing is due, -1 if the client
 * is disconnected. */
int client_tick(struct ricochet *c, uint64_t now_us, struct ricochet_event *ev);

/* A client_create_detached client: the last control message it sent (its
 * join when nothing came yet; sealed in a sealed session) into out (cap
 * bytes). Returns its length, 0 if none (or cap too small). */
size_t client_last_control(const struct ricochet *c, uint8_t *out, size_t cap);

/* The same for the last state message it sent (a state, an inputs
 * message of a lockstep room). */
size_t client_last_state(const struct ricochet *c, uint8_t *out, size_t cap);

/* Messages dropped so far: undecodable, or unexpected at that point. */
uint64_t client_bad_messages(const struct ricochet *c);

#endif
