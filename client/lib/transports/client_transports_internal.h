/* client_transports_internal.h: what the transports offer one another,
 * each part beside the file that defines it: the TCP edge's frames'
 * capabilities, a growing buffer (client_stream.c), WebRTC's offer
 * (client_offer.c), HTTP/1.1 answers (client_http_answer.c), an ENet peer's
 * end (client_enet.c). Private to client/lib/transports/. */
#ifndef RICOCHET_CLIENT_TRANSPORTS_INTERNAL_H
#define RICOCHET_CLIENT_TRANSPORTS_INTERNAL_H

#include "client/lib/client_internal.h"

/* What a transport carrying the TCP edge's frames can do (tcp, poll). */
#define CLIENT_CAPS_TCP_FRAMES { .modes = 1u << PROTO_MODE_TCP, .connection = true }

/* ---- buffers ---- */

/* Grows *buf (of *cap bytes) to hold need bytes, doubling from 4 KiB.
 * Returns 0, or -1 (out of memory: *buf as it was). */
int client_reserve(uint8_t **buf, size_t *cap, size_t need);

/* ---- WebRTC's signalling: one offer POSTed (client_offer.c) ---- */

#define CLIENT_OFFER_PATH "/rtc"

/* An offer on its way to a relay's ws edge (PROTOCOL.md, "Signalling:
 * POST /rtc") and its answer coming back, over one TCP connection, never
 * waiting: each step does what the socket allows. */
struct client_offer;

enum client_offer_state {
    CLIENT_OFFER_WAITING,  /* connecting, sending, or the answer not whole yet */
    CLIENT_OFFER_ANSWERED, /* 201: the answer's SDP */
    CLIENT_OFFER_FAILED    /* refused, cut or unreachable: why */
};

/* Starts connecting to relay (the ws edge's address) to POST sdp (the
 * offer, NUL-terminated) with pass (a ticket's; NULL: no Authorization).
 * Returns NULL with a one-line message in err. */
struct client_offer *client_offer_new(const union netaddr *relay, const char *sdp,
                                      const char *pass, char *err, size_t err_cap);

/* What the socket allows now; ANSWERED with the answer (NUL-terminated)
 * in answer[0..cap), FAILED with a one-line reason in why. */
enum client_offer_state client_offer_step(struct client_offer *o, char *answer, size_t cap,
                                          char *why, size_t why_cap);

int client_offer_fd(const struct client_offer *o);  /* its TCP connection */
void client_offer_free(struct client_offer *o);      /* NULL is fine */

/* ---- HTTP/1.1 answers: one reader for every transport (client_http_answer.c) ---- */

/* What the head of an answer says. */
struct client_http_answer {
    int status;
    size_t head_len;           /* through its blank line */
    size_t body_len;           /* its Content-Length (0 if none) */
    bool has_length;           /* it had a Content-Length */
    bool close;                /* Connection: close, or HTTP/1.0 without keep-alive */
};

/* The head of the answer at the start of buf[0..len). Returns 1 once it is
 * whole (*a filled), 0 while it is not, -1 if it is no answer this library
 * reads (not HTTP/1.x, a head over head_max bytes, a bad line, a bad or
 * second Content-Length, chunks: what is wrong in *why). */
int client_http_head_parse(const uint8_t *buf, size_t len, size_t head_max,
                           struct client_http_answer *a, const char **why);

/* The value of header name (any case) in a whole head[0..head_len) into
 * out, trimmed ("" if it has none). */
void client_http_header(const char *head, size_t head_len, const char *name, char *out,
                        size_t cap);

#define CLIENT_POLL_HEAD_MAX 8192              /* a polling answer's head, at most */
#define CLIENT_POLL_BODY_MAX (2 * (2 + 65535)) /* a GET's body: 64 KiB of whole frames,
                                                  or one frame longer than that */

/* A polling answer at the start of buf[0..len): as client_http_head_parse,
 * but 1 only once its body is whole too, and -1 also without a
 * Content-Length (but for 204 and 304) or with a body over the bound. */
int client_poll_answer_parse(const uint8_t *buf, size_t len, struct client_http_answer *a,
                             const char **why);

/* ---- an ENet peer's end, said (client_enet.c; client_wire.c too) ---- */

/* The relay closed the ENet connection, or it timed out. Why: the error
 * that came before it (client_connection_lost), else info (the code in the
 * disconnect data: PROTOCOL.md, a relay that closes a peer sends its error
 * code there too; NULL: none), else a guess from the phase. */
void client_enet_disconnected(struct ricochet *c, const struct proto_error_info *info);

#endif
