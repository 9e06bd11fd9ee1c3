/* transport_poll.h: the relay's HTTP polling edge, inside. The program
 * uses relay_poll_ops (transport.h); its files, each calling only those
 * after it: transport_poll.c (the requests on the connections, the
 * loop's operations), poll_session.c (the sessions the core sees as
 * peers, their queues, a GET's answer) and poll_wire.c (the query, the
 * session ids and the frames, without I/O). Its connections, their
 * listening socket and their output queues are relay/stream/stream.h's.
 *
 * A member here is a session, not a connection: a join POSTed to /poll
 * opens one and is answered with its id; later requests name it (s=ID),
 * on whichever connection they come (PROTOCOL.md, "HTTP polling"). What
 * the relay sends a session waits in the session's queue, framed as on
 * the TCP edge (2-byte length, message), until a GET takes it. */
#ifndef RICOCHET_TRANSPORT_POLL_H
#define RICOCHET_TRANSPORT_POLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/stream/stream.h"
#include "relay/transport.h"
#include "poll_wire.h"

#define POLL_FRAME_MAX 65535u          /* a frame's length field */
#define POLL_CLOSE_LINGER_US 2000000u  /* a session the core closed keeps its last messages
                                          (the error saying why) this long for a GET */
#define POLL_NONE UINT32_MAX
#define POLL_REFUSED_KEPT 64           /* refused joins whose last messages wait, at most */
#define POLL_REFUSED_PER_SOURCE 4      /* ... of one source (an IPv4 address, an IPv6 /64) */
#define POLL_REFUSED_BYTES 512         /* ... each: whole frames (an error is far shorter) */

/* A session: the core's peer (handle base + its slot). */
struct poll_session {
    bool used;
    bool closing;            /* the core closed it: its queue waits for one more GET */
    bool ready;              /* in the list of sessions with a held GET to answer */
    uint8_t secret[POLL_SECRET_BYTES]; /* the random part of its id */
    union netaddr addr;      /* where its join came from */
    uint64_t asked_us;       /* its last request (or now, while a GET of it is held) */
    uint64_t closing_us;     /* when the core closed it */
    uint64_t took_us;        /* a GET last took some of its queue, or one answer's worth
                                at most waited (the backlog's moved_us) */
    uint8_t *out;            /* frames waiting for a GET */
    size_t out_len, out_cap;
    struct stream_held *held; /* while its queue holds more than one answer: each sender's
                                 newest unreliable state (conflated) */
    uint32_t n_held, held_cap;
    uint32_t waiter;         /* the connection holding a GET of it, or POLL_NONE */
};

/* A join the core refused (a bad room, the server full): its session is
 * freed at once, so refusals hold no slot and count toward no one's 503;
 * its last messages (the error saying why) wait here for one GET of its
 * id, POLL_CLOSE_LINGER_US at most. */
struct poll_refused {
    uint64_t source;         /* source_key of where its join came from; 0: a free entry */
    uint64_t until_us;       /* kept until then */
    uint32_t slot;           /* its id: the slot it had, and its secret */
    uint8_t secret[POLL_SECRET_BYTES];
    uint16_t len;
    uint8_t frames[POLL_REFUSED_BYTES];
};

/* A connection's side of the edge: its input and the GET it holds. */
struct poll_conn {
    uint8_t *in;             /* what was read of its next requests */
    size_t in_len;
    uint64_t started_us;     /* the first byte of an unanswered request (0: none) */
    uint32_t session;        /* holding a GET of this session (POLL_NONE: none) */
    uint64_t wait_until_us;  /* ... answered empty at this time */
    bool keep;               /* the held GET's answer keeps the connection open */
    bool again;              /* in the list of connections to read again */
    char cors[HTTP_CORS_MAX]; /* the held GET's CORS lines */
};

struct relay_poll {
    struct stream_edge s;    /* first (stream.h): the listening socket, the epoll set, the
                                connections and their output */
    struct relay_net_config cfg;
    struct relay *relay;     /* set while servicing, flushing, ticking */
    uint32_t base;           /* the core's handle of session 0 */
    uint32_t n_sessions;     /* cfg.peer_cap */
    struct poll_session *sessions;
    uint32_t *free_sessions, n_free;
    uint32_t *ready, n_ready; /* sessions with a held GET and something for it */
    struct poll_conn *conns; /* per connection slot */
    uint32_t n_holding;      /* connections holding a GET */
    uint64_t wait_end_us;    /* no held GET's wait ends before this (UINT64_MAX: none
                                known); the earliest, or earlier */
    uint32_t *again, n_again; /* connections whose GET was answered with a request
                                 read behind it: processed at the next service */
    struct poll_refused refused[POLL_REFUSED_KEPT];
    size_t body_max;         /* a POST's body, at most */
    size_t in_cap;           /* a connection's input: a head and a body */
};

/* ---- poll_session.c ---- */

/* Counts a drop (while the core is known: servicing, flushing, ticking). */
void poll_count(struct relay_poll *t, enum relay_drop why);

/* An answer's head into connection ci's queue: the status line, the
 * header lines of extra, Content-Length (but for a 204), and Connection:
 * close unless keep. Returns false if it could not be queued. */
bool poll_head(struct relay_poll *t, uint32_t ci, int status, const char *extra, size_t length,
               bool keep);

/* Connection ci's GET was answered: requests read behind it are taken at
 * the next service. */
void poll_read_again(struct relay_poll *t, uint32_t ci);

/* Connection ci stops holding its GET (the caller answers it). */
void poll_unhold(struct relay_poll *t, uint32_t ci);

/* Frees session si, the core having forgotten it; a GET of it still held
 * is answered empty. */
void poll_session_free(struct relay_poll *t, uint32_t si, uint64_t now_us);

/* Sessions (in use) whose join came from addr's host. */
uint32_t poll_sessions_from_host(const struct relay_poll *t, const union netaddr *addr);

/* The core's side of the edge (transport.h's core): sessions from base. */
struct relay_transport poll_core(void *ctx, uint32_t base);

/* Answers connection ci's GET of session si now with what waits (one
 * answer's worth, perhaps nothing) and cors; the connection ends after it
 * unless keep; a closed session whose queue is all taken is freed. */
void poll_answer_now(struct relay_poll *t, uint32_t ci, uint32_t si, const char *cors,
                     bool keep, uint64_t now_us);

/* Session si, closed by the core while its join was handled: its last
 * messages kept for one GET of its id (the oldest of its source's, or of
 * all, making room), and the session freed. */
void poll_refused_keep(struct relay_poll *t, uint32_t si, uint64_t now_us);

/* Answers connection ci's GET of q's id with a refused join's last
 * messages, if they are kept (then no more). Returns false if not. */
bool poll_refused_answer(struct relay_poll *t, uint32_t ci, const struct poll_query *q,
                         const char *cors, bool keep, uint64_t now_us);

/* Session si's held GET (if any), answered now with what waits. */
void poll_answer_held(struct relay_poll *t, uint32_t si, uint64_t now_us);

#endif
