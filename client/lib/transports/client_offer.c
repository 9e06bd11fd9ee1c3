/* client_offer.c: WebRTC's signalling for the client library (see
 * client_transports_internal.h): one offer POSTed to a relay's ws edge, its answer
 * read (PROTOCOL.md, "Signalling: POST /rtc"), without blocking.
 *
 * socket, connect (the session polls for it), then one HTTP/1.1 request,
 * "Connection: close": the offer as application/sdp, a ticket's pass as
 * "Authorization: Bearer". The answer is a head of at most
 * OFFER_HEAD_MAX bytes and a body of its Content-Length: 201 with the
 * answer's SDP, or a refusal whose first line of text says why (400, 403,
 * 404, 503, ...). Nothing here knows what SDP says. */
#include "client_transports_internal.h"

#include <errno.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/log.h"

#define OFFER_HEAD_MAX 4096      /* the relay's answer's head, at most */
#define OFFER_BODY_MAX 4096      /* its body (the answer's SDP is 1 KiB at most) */
#define OFFER_REQUEST_MAX 20480  /* head and offer (an offer is 16 KiB at most) */

enum offer_stage { OFFER_CONNECTING, OFFER_SENDING, OFFER_READING, OFFER_DONE };

struct client_offer {
    int fd;
    enum offer_stage stage;
    char *out;                       /* the request */
    size_t out_len, out_at;
    char in[OFFER_HEAD_MAX + OFFER_BODY_MAX + 1];
    size_t in_len;
};

/* The request: POST /rtc with the offer. Returns 0, or -1 (too long). */
static int offer_request(struct client_offer *o, const union netaddr *relay, const char *sdp,
                         const char *pass)
{
    char host[NETADDR_STR_MAX], auth[PROTO_TICKET_MAX + 32] = "";
    size_t len = strlen(sdp);
    if (pass)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", pass);
    o->out = malloc(OFFER_REQUEST_MAX);
    if (!o->out)
        return -1;
    int n = snprintf(o->out, OFFER_REQUEST_MAX,
                     "POST " CLIENT_OFFER_PATH " HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Type: application/sdp\r\n%sContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     netaddr_format(relay, host, sizeof host), auth, len, sdp);
    if (n <= 0 || n >= OFFER_REQUEST_MAX)
        return -1;
    o->out_len = (size_t)n;
    return 0;
}

struct client_offer *client_offer_new(const union netaddr *relay, const char *sdp,
                                      const char *pass, char *err, size_t err_cap)
{
    struct client_offer *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, err_cap, "client: out of memory");
        return NULL;
    }
    o->fd = -1;
    if (offer_request(o, relay, sdp, pass) != 0) {
        snprintf(err, err_cap, "client: the offer does not fit a request");
        goto fail;
    }
    o->fd = socket(relay->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (o->fd < 0) {
        snprintf(err, err_cap, "client: socket: %s", strerror(errno));
        goto fail;
    }
    int one = 1;
    setsockopt(o->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(o->fd, &relay->sa, netaddr_len(relay)) != 0 && errno != EINPROGRESS) {
        char addr[NETADDR_STR_MAX];
        snprintf(err, err_cap, "client: connect %s: %s",
                 netaddr_format(relay, addr, sizeof addr), strerror(errno));
        goto fail;
    }
    return o;
fail:
    client_offer_free(o);
    return NULL;
}

void client_offer_free(struct client_offer *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    free(o->out);
    free(o);
}

int client_offer_fd(const struct client_offer *o)
{
    return o ? o->fd : -1;
}

/* Connecting: the connection's outcome, once known. Returns 0 (wait, or
 * connected), or -1 with why. */
static int offer_connecting(struct client_offer *o, char *why, size_t cap)
{
    struct pollfd p = {.fd = o->fd, .events = POLLOUT};
    if (poll(&p, 1, 0) <= 0)
        return 0;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(o->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    if (soerr) {
        snprintf(why, cap, "could not reach the relay's HTTP front: %s", strerror(soerr));
        return -1;
    }
    o->stage = OFFER_SENDING;
    return 0;
}

/* Sending: as much of the request as the kernel takes. Returns 0, or -1. */
static int offer_sending(struct client_offer *o, char *why, size_t cap)
{
    while (o->out_at < o->out_len) {
        ssize_t n = send(o->fd, o->out + o->out_at, o->out_len - o->out_at,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        if (n < 0) {
            snprintf(why, cap, "could not send the offer: %s", strerror(errno));
            return -1;
        }
        o->out_at += (size_t)n;
    }
    o->stage = OFFER_READING;
    return 0;
}

/* The relay's refusal as one line: its status and the first line of its
 * text, printable characters only. */
static void refusal(int status, const char *body, size_t len, char *why, size_t cap)
{
    char line[121];
    size_t k = 0;
    for (size_t i = 0; i < len && k < sizeof line - 1 && body[i] != '\r' && body[i] != '\n'; i++)
        if (body[i] >= ' ' && body[i] < 0x7f)
            line[k++] = body[i];
    line[k] = '\0';
    snprintf(why, cap, "the relay refused the offer: %d%s%s", status, k ? " " : "", line);
}

/* The answer, once whole. Returns 1 with answer set, 0 (more to read), or
 * -1 with why. */
static int offer_answer(struct client_offer *o, bool eof, char *answer, size_t cap,
                        char *why, size_t why_cap)
{
    struct client_http_answer a;
    const char *wrong = "";
    int whole = client_http_head_parse((const uint8_t *)o->in, o->in_len, OFFER_HEAD_MAX, &a,
                                       &wrong);
    if (whole < 0) {
        snprintf(why, why_cap, "the relay's answer is not HTTP this library reads (%s): is "
                 "this its ws edge?", wrong);
        return -1;
    }
    if (whole == 0 && eof) {
        snprintf(why, why_cap, "the relay closed the connection before its answer");
        return -1;
    }
    if (whole == 0)
        return 0;
    size_t head = a.head_len, body = o->in_len - head;
    int status = a.status;
    if (!eof && (!a.has_length || body < a.body_len))
        return 0; /* without a length, the body ends with the connection */
    if (a.has_length && body > a.body_len)
        body = a.body_len;
    if (status != 201) {
        refusal(status, o->in + head, body, why, why_cap);
        return -1;
    }
    if (body == 0 || body >= cap || (a.has_length && body < a.body_len)) {
        snprintf(why, why_cap, "the relay's answer has %s", body ? "a body cut short or too long"
                                                                 : "no SDP");
        return -1;
    }
    memcpy(answer, o->in + head, body);
    answer[body] = '\0';
    return 1;
}

/* Reading: what came of the answer. Returns as offer_answer. */
static int offer_reading(struct client_offer *o, char *answer, size_t cap, char *why,
                         size_t why_cap)
{
    bool eof = false;
    while (o->in_len < sizeof o->in - 1) {
        ssize_t n = recv(o->fd, o->in + o->in_len, sizeof o->in - 1 - o->in_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        if (n <= 0) {
            eof = true;
            break;
        }
        o->in_len += (size_t)n;
    }
    o->in[o->in_len] = '\0';
    return offer_answer(o, eof || o->in_len == sizeof o->in - 1, answer, cap, why, why_cap);
}

enum client_offer_state client_offer_step(struct client_offer *o, char *answer, size_t cap,
                                          char *why, size_t why_cap)
{
    int rc = 0;
    if (o->stage == OFFER_CONNECTING)
        rc = offer_connecting(o, why, why_cap);
    if (rc == 0 && o->stage == OFFER_SENDING)
        rc = offer_sending(o, why, why_cap);
    if (rc == 0 && o->stage == OFFER_READING)
        rc = offer_reading(o, answer, cap, why, why_cap);
    if (rc != 0) {
        o->stage = OFFER_DONE;
        log_debug("client: POST " CLIENT_OFFER_PATH ": %s", rc > 0 ? "answered" : why);
    }
    return rc > 0 ? CLIENT_OFFER_ANSWERED : rc < 0 ? CLIENT_OFFER_FAILED : CLIENT_OFFER_WAITING;
}
