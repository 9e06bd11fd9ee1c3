/* http_client.h: one HTTP/1.0 request over a fresh TCP connection, on
 * libcurl, blocking and bounded by one timeout (connect, send and the
 * whole answer): the fleet's calls to the Agones sidecar, the lesson's
 * calls to netsim's --metrics endpoint, the tests' requests. No proxy from
 * the environment, no redirect followed, the path sent as given (no dot
 * segments squashed), nothing kept between calls. HTTP/1.0, as the
 * hand-written clients before it: an answer is never chunked and ends at
 * its length or the close. */
#ifndef RICOCHET_HTTP_CLIENT_H
#define RICOCHET_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct http_client_request {
    const char *endpoint; /* "127.0.0.1:PORT", "[::1]:PORT", "localhost:PORT" */
    const char *method;   /* "GET", "PUT", ...; "HEAD" reads no body */
    const char *path;     /* with its query, sent as is */
    const char *host;     /* the Host header; NULL: endpoint; "": none sent */
    const char *body;     /* sent as application/json with its length; NULL: none */
    unsigned timeout_ms;  /* the whole exchange */
    size_t answer_max;    /* the most of the answer's body kept (longer: cut, the
                             rest unread); 0: no bound */
};

struct http_client_answer {
    int status;    /* 200, 404, ... */
    char *headers; /* the status line and header lines as received (CRLF
                      between them, none after the last), NUL-ended */
    char *body;    /* NUL-ended, len bytes before the NUL */
    size_t len;
    bool cut;      /* the body was longer than answer_max */
};

/* What went wrong with a request, for a program to branch on; err's text
 * is for people and may change. */
enum http_client_fault {
    HTTP_CLIENT_OK = 0,
    HTTP_CLIENT_NOT_SENT,      /* the request could not be made (too long, out of memory) */
    HTTP_CLIENT_NO_CONNECTION, /* no connection was made (refused, unreachable) */
    HTTP_CLIENT_NO_ANSWER,     /* connected, but no whole HTTP answer came in time */
};

/* Sends req and reads the answer into *out (http_client_answer_free frees
 * it). Returns HTTP_CLIENT_OK, or the fault's kind with a one-line message
 * in err that begins with the endpoint (a connect error's strerror, "no
 * HTTP answer within N ms"); *out is then zeroed. */
enum http_client_fault http_client_send(const struct http_client_request *req,
                                        struct http_client_answer *out, char *err,
                                        size_t err_cap);

/* Frees what an answer holds and zeroes it; a zeroed answer is fine. */
void http_client_answer_free(struct http_client_answer *a);

#endif
