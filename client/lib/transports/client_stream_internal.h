/* client_stream_internal.h: a TCP connection as the stream transports hold
 * it (tcp and ws one, poll two): client_stream.c's, the first member of each
 * one's state. Private to client/lib/. */
#ifndef RICOCHET_CLIENT_STREAM_INTERNAL_H
#define RICOCHET_CLIENT_STREAM_INTERNAL_H

#include "client/lib/client_internal.h"

/* ---- a TCP connection: tcp and ws (one), poll (two) (client_stream.c) ---- */

/* A stream transport's connection: its socket and what the kernel has not
 * taken yet, in order (bounded by each transport before it queues); the
 * first member of the transport's state. */
struct client_stream {
    int fd;
    uint8_t *out;
    size_t out_len, out_cap;
};

/* socket, TCP_NODELAY and connect without waiting (s->fd: the
 * connection, or -1). Returns 0, or -1 with a one-line message in err
 * ("socket: ...", "connect ADDR: ..."; s->fd, if any, the caller's to
 * close). */
int client_stream_dial(struct ricochet *c, struct client_stream *s, char *err, size_t err_cap);

/* The session's connection: client_stream_dial (err prefixed "client: "),
 * which the session polls for (PHASE_CONNECTING since its creation or hop). Returns 0, or -1 with a
 * one-line message in err. */
int client_stream_open(struct ricochet *c, struct client_stream *s, char *err, size_t err_cap);

/* Waits at most wait_ms for the TCP handshake. Returns 1 once it is done, 0
 * not yet, -1 if it failed (the session is dead: refused). */
int client_stream_connected(struct ricochet *c, struct client_stream *s, int wait_ms);

/* Queues bytes behind what waits. Returns 0, or -1 (out of memory). */
int client_stream_queue(struct client_stream *s, const void *bytes, size_t len);

/* Hands the kernel what waits, as much as it takes now. Returns 0, or -1
 * (the connection failed: the read side ends the session). */
int client_stream_push(struct ricochet *c, struct client_stream *s);

/* Before a read: what waits handed to the kernel; a connection that failed
 * ends the session (client_connection_lost). */
void client_stream_send_waiting(struct ricochet *c, struct client_stream *s);

/* Waits at most wait_ms, and the session's timers' 100 ms, for the
 * connection to be readable (or writable while bytes wait). */
void client_stream_wait(const struct client_stream *s, int wait_ms);

/* Closing is leaving: what waits goes first if the connection is up
 * (within DESTROY_WAIT_MS), then the end of our side, then the socket. */
void client_stream_close(struct ricochet *c, struct client_stream *s, bool up);

/* The session is dead: no more bytes either way (the descriptor stays the
 * session's until client_stream_close). */
void client_stream_hang_up(struct client_stream *s);

/* Operations for a transport whose state (c->tp) starts with its struct
 * client_stream: its descriptor (-1 without one), and the kernel's own
 * count, bytes TCP sent (retransmissions included) and received in order,
 * segments either way: what crossed the wire. */
int client_stream_op_fd(const struct ricochet *c);
void client_stream_op_netinfo(const struct ricochet *c, struct client_netinfo *info);
/* How long the relay has said nothing (c->heard_us): a stopped relay keeps
 * its connection open, so only its silence tells (a fleet's session: its
 * rejoin; any: client_stream_heard_lately). */
uint64_t client_stream_op_silent_us(const struct ricochet *c, uint64_t now_us);

/* Nothing left to read: is the relay still heard from? A path that lost
 * everything leaves the connection open (TCP retransmits for many
 * minutes), so a joined session pings once the relay has been silent for
 * a third of its timeout and ends, TIMEOUT, at the timeout (PROTOCOL.md,
 * Timers). Returns false if the session ended. */
bool client_stream_heard_lately(struct ricochet *c);

#endif
