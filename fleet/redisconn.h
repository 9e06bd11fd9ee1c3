/* redisconn.h: one connection to a Redis server or a Sentinel, for the
 * directory thread: TCP, or TLS through OpenSSL, AUTH as an ACL user, and
 * each call bounded by a deadline. Debian 12's hiredis (0.14.1) has no
 * TLS (it came with hiredis 1.0), so the socket and its TLS session are
 * ours; hiredis only formats the commands and parses the replies (its
 * reader, which reads from no socket).
 *
 * Blocking calls, each within the timeout: never for the relay's loop.
 * After an I/O failure the connection is broken: close it and open
 * another. Not thread-safe: one thread owns a connection. */
#ifndef RICOCHET_FLEET_REDISCONN_H
#define RICOCHET_FLEET_REDISCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis.h>

/* TLS (rediss://): the server's certificate is verified against ca and
 * must name the host asked for (a name, or an IP address). */
struct redisconn_tls {
    const char *ca;    /* PEM file of the CAs to trust; NULL or "": the system's */
    const char *cert;  /* PEM client certificate, when the server asks for one; NULL: none */
    const char *key;   /* PEM key of cert */
};

struct redisconn_opts {
    const char *host;                 /* a name or an address */
    uint16_t port;
    const struct redisconn_tls *tls;  /* NULL: plain TCP */
    const char *user;                 /* ACL user, NULL or "": the default user */
    const char *password;             /* NULL: no AUTH */
    uint32_t timeout_ms;              /* connect with TLS and AUTH; then each call */
};

struct redisconn;

/* Connects (and shakes hands, and authenticates). Returns the connection,
 * or NULL with a one-line message in err (never the password). */
struct redisconn *redisconn_open(const struct redisconn_opts *o, char *err, size_t err_cap);

void redisconn_close(struct redisconn *c); /* NULL is fine */

/* One command (argv, argc words) and its reply, within the timeout.
 * Returns the reply (the caller frees it with freeReplyObject; it may be
 * an error reply), or NULL with a message in err: the connection is then
 * broken. */
redisReply *redisconn_argv(struct redisconn *c, int argc, const char **argv, char *err,
                           size_t err_cap);

/* The same with a hiredis format ("SELECT %u"). */
redisReply *redisconn_cmd(struct redisconn *c, char *err, size_t err_cap, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

/* For a subscription: sends a command without reading its reply. Returns
 * 0, or -1 with a message (broken). */
int redisconn_send(struct redisconn *c, int argc, const char **argv, char *err,
                   size_t err_cap);

/* The next reply if one comes within wait_ms (0: only what is here).
 * Returns 1 with *reply (the caller frees it), 0 if none came, -1 with a
 * message if the connection broke. */
int redisconn_read(struct redisconn *c, int wait_ms, redisReply **reply, char *err,
                   size_t err_cap);

/* Its socket, for poll(2) (readable: redisconn_read has something). */
int redisconn_fd(const struct redisconn *c);

#endif
