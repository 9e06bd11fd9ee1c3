/* streams.h: raw clients of the relay's stream edges for tests, what no
 * library sends: a TCP connection from a loopback source of the test's
 * choosing (127.0.0.2 is another address than 127.0.0.1), its messages in
 * the TCP edge's 2-byte frames or in WebSocket frames (the upgrade by
 * hand, client frames masked), in TLS for wss (OpenSSL, no certificate
 * checked: the relay's is the test's own), every wait bounded. */
#ifndef RICOCHET_TEST_STREAMS_H
#define RICOCHET_TEST_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum streams_kind {
    STREAMS_TCP,              /* 2-byte length, then the message */
    STREAMS_WS,               /* a WebSocket: binary frames after the upgrade */
    STREAMS_WSS,              /* the same in TLS */
};

struct streams_conn {
    int fd;                   /* -1: none */
    enum streams_kind kind;
    void *tls;                /* wss: its OpenSSL session */
    uint8_t buf[1 << 16];     /* read and not yet taken */
    size_t have;
};

/* A non-blocking TCP connection to 127.0.0.1:port from the address from
 * ("127.0.0.x"; NULL: the kernel's choice), TCP_NODELAY. Returns the
 * descriptor, or -1 (errno says why). */
int streams_connect(const char *from, uint16_t port);

/* c as a connection of kind from `from` to port, upgraded when a
 * WebSocket (its 101 awaited, up to 5 s; wss: its TLS handshake first).
 * Returns 0, or -1 (refused, closed, no 101). */
int streams_open(struct streams_conn *c, enum streams_kind kind, const char *from,
                 uint16_t port);

/* streams_open to the IPv4 address to (NULL: 127.0.0.1). */
int streams_open_to(struct streams_conn *c, enum streams_kind kind, const char *from,
                    const char *to, uint16_t port);

/* The descriptor to wait on: readable when streams_recv may have more. */
int streams_fd(const struct streams_conn *c);

/* Sends one message whole (a frame of its kind). Returns 0, or -1. */
int streams_send(struct streams_conn *c, const void *msg, size_t len);

/* The next message within ms, copied into out and NUL-terminated (cap
 * bytes, cut there; a binary one whole below that). Returns its length, 0
 * once the relay closed the stream (a WebSocket's close frame included),
 * -1 at the timeout. */
int streams_recv(struct streams_conn *c, char *out, size_t cap, int ms);

/* Has the relay closed c within ms (messages before the end skipped)? */
bool streams_closed_within(struct streams_conn *c, int ms);

void streams_close(struct streams_conn *c);

/* One HTTP request (its head and body, as given) from `from` to
 * 127.0.0.1:port, its answer read until the relay closes the connection
 * (ms at most; answer NULL: not kept). Returns the answer's status (201,
 * 503, ...), or -1 (no connection, no answer). */
int streams_http(const char *from, uint16_t port, const char *request, size_t len, char *answer,
                 size_t cap, int ms);

#endif
