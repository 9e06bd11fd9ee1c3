/* poll_client.h: a raw client of the relay's HTTP polling edge, for
 * tests (proto/PROTOCOL.md, "HTTP polling"): HTTP/1.1 by hand on two
 * keep-alive connections, one for GETs (long polls) and one for POSTs,
 * frames as on the TCP edge. Every wait is bounded; a GET is sent and its
 * answer read in steps, so a test's loop never blocks on one. */
#ifndef RICOCHET_TEST_POLL_CLIENT_H
#define RICOCHET_TEST_POLL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLL_CLIENT_BUF (128u << 10)

struct poll_client {
    char host[64];           /* the edge's IPv4 address */
    uint16_t port;           /* ... and port */
    char session[64];        /* the id the join's answer gave */
    uint32_t wait_ms;        /* each GET's wait= (0: short polls) */
    int get_fd, post_fd;     /* keep-alive connections, -1: none open */
    bool get_sent;           /* a GET is out, its answer not read whole */
    bool ended;              /* the relay said the session is over (404, 410) */
    int last_status;         /* the last answer's status */
    size_t last_answer;      /* ... and its bytes, head and body */
    uint64_t gets;           /* GETs sent */
    uint8_t in[POLL_CLIENT_BUF];   /* the GET connection's answer, as read */
    size_t in_len;
    uint8_t msgs[POLL_CLIENT_BUF]; /* frames received, not yet handed out */
    size_t msgs_off, msgs_len;
};

/* POSTs join (a join's JSON) to host:port (an IPv4 address) as a new
 * session; each GET waits wait_ms. Returns 0 with c->session set, or the
 * answer's status (or -1: no answer within ms). */
int poll_client_join(struct poll_client *c, const char *host, uint16_t port, const char *join,
                     uint32_t wait_ms, int ms);

/* POSTs the n messages msgs[i] (lens[i] bytes) in one body. Returns the
 * answer's status (204), or -1 if none came within ms. */
int poll_client_post(struct poll_client *c, const void *const *msgs, const size_t *lens,
                     size_t n, int ms);

/* One message: poll_client_post of one. */
int poll_client_send(struct poll_client *c, const void *msg, size_t len, int ms);

/* The next message received into buf (cap bytes; a longer one is cut),
 * asking with a GET when none is waiting, for up to ms. Returns its
 * length, -1 if none came within ms, 0 once the session ended. */
int poll_client_recv(struct poll_client *c, void *buf, size_t cap, int ms);

/* Ends the session (DELETE): its room is told it left, reason quit.
 * Returns the answer's status (204), or -1 if none came within ms. */
int poll_client_leave(struct poll_client *c, int ms);

/* The descriptor a GET's answer arrives on (-1 before the first). */
int poll_client_fd(const struct poll_client *c);

void poll_client_close(struct poll_client *c);

/* One request on a new connection to 127.0.0.1:port, raw bytes, and the
 * answer's status (-1: the connection closed or nothing came within ms);
 * its head and body into answer (NUL-terminated, cap bytes at most) if
 * not NULL. */
int poll_client_raw(uint16_t port, const void *request, size_t len, char *answer, size_t cap,
                    int ms);

/* The answer's status at the head of buf[0..len) once it is whole
 * (head and Content-Length bytes of body): its length into *whole and
 * where its body starts into *body; 0 while it is not whole, -1 if it is
 * no HTTP answer. */
int poll_client_answer(const uint8_t *buf, size_t len, size_t *whole, size_t *body);

#endif
