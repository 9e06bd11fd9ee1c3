/* redisconn.c: see redisconn.h. The socket is non-blocking from the start:
 * every wait is a poll(2) bounded by the call's deadline, for TCP and TLS
 * alike (OpenSSL says which way it waits: SSL_ERROR_WANT_READ or _WRITE). */
#include "redisconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/tls_error.h"

#define READ_CHUNK 16384

struct redisconn {
    int fd;
    SSL_CTX *ctx;                 /* TLS: NULL for plain TCP */
    SSL *ssl;
    redisReader *reader;
    uint32_t timeout_ms;
    char where[300];              /* "host:port", for messages */
};

void redisconn_close(struct redisconn *c)
{
    if (!c)
        return;
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    if (c->reader)
        redisReaderFree(c->reader);
    free(c);
}

int redisconn_fd(const struct redisconn *c)
{
    return c->fd;
}

/* Waits for events on the socket until deadline_us. Returns 1 if ready,
 * 0 on timeout, -1 on error. */
static int wait_fd(const struct redisconn *c, short events, uint64_t deadline_us)
{
    for (;;) {
        uint64_t now = clock_now_us();
        if (now >= deadline_us)
            return 0;
        struct pollfd p = {.fd = c->fd, .events = events};
        int n = poll(&p, 1, (int)((deadline_us - now + 999) / 1000));
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* ---- connect ---- */

/* A non-blocking TCP connection to one address, within the deadline. */
static int connect_one(struct redisconn *c, const struct addrinfo *ai, uint64_t deadline_us)
{
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    int soerr = errno;
    if (soerr == EINPROGRESS && wait_fd(c, POLLOUT, deadline_us) == 1) {
        socklen_t len = sizeof soerr;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
            return 0;
    } else if (soerr == EINPROGRESS) {
        soerr = ETIMEDOUT;
    }
    close(c->fd);
    c->fd = -1;
    errno = soerr;
    return -1;
}

static int tcp_connect(struct redisconn *c, const struct redisconn_opts *o, uint64_t deadline_us,
                       char *err, size_t err_cap)
{
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)o->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(o->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_cap, "redis %s: %s", c->where, gai_strerror(rc));
        return -1;
    }
    errno = ECONNREFUSED;
    for (const struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next)
        connect_one(c, ai, deadline_us);
    freeaddrinfo(res);
    if (c->fd < 0) {
        snprintf(err, err_cap, "redis %s: %s", c->where, strerror(errno));
        return -1;
    }
    return 0;
}

/* The TLS context: TLS 1.2 at least, the server verified against the CAs,
 * our certificate if we have one. */
static int tls_context(struct redisconn *c, const struct redisconn_tls *t, char *err,
                       size_t err_cap)
{
    char why[256];
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
        goto fail;
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if (t->ca && t->ca[0] ? SSL_CTX_load_verify_locations(c->ctx, t->ca, NULL) != 1
                          : SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
        snprintf(err, err_cap, "TLS: the CAs %s: %s", t->ca && t->ca[0] ? t->ca : "(system)",
                 tls_error(why, sizeof why, "the connection closed"));
        return -1;
    }
    if (t->cert && t->cert[0] &&
        (SSL_CTX_use_certificate_chain_file(c->ctx, t->cert) != 1 ||
         SSL_CTX_use_PrivateKey_file(c->ctx, t->key && t->key[0] ? t->key : t->cert,
                                     SSL_FILETYPE_PEM) != 1)) {
        snprintf(err, err_cap, "TLS: the client certificate %s: %s", t->cert,
                 tls_error(why, sizeof why, "the connection closed"));
        return -1;
    }
    return 0;
fail:
    snprintf(err, err_cap, "TLS: %s", tls_error(why, sizeof why, "the connection closed"));
    return -1;
}

/* Is host an IP address (then the certificate must name the address)? */
static bool is_address(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int tls_handshake(struct redisconn *c, const struct redisconn_opts *o,
                         uint64_t deadline_us, char *err, size_t err_cap)
{
    char why[256];
    if (tls_context(c, o->tls, err, err_cap) != 0)
        return -1;
    if (!(c->ssl = SSL_new(c->ctx)) || SSL_set_fd(c->ssl, c->fd) != 1)
        goto fail;
    if (is_address(o->host)
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), o->host) != 1
            : SSL_set1_host(c->ssl, o->host) != 1 ||
                  SSL_set_tlsext_host_name(c->ssl, o->host) != 1)
        goto fail;
    for (;;) {
        int rc = SSL_connect(c->ssl);
        if (rc == 1)
            return 0;
        int e = SSL_get_error(c->ssl, rc);
        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (ev && wait_fd(c, ev, deadline_us) == 1)
            continue;
        long v = SSL_get_verify_result(c->ssl);
        if (v != X509_V_OK)
            snprintf(err, err_cap, "redis %s: TLS: the server's certificate: %s", c->where,
                     X509_verify_cert_error_string(v));
        else
            snprintf(err, err_cap, "redis %s: TLS handshake: %s", c->where,
                     ev ? "timed out" : tls_error(why, sizeof why, "the connection closed"));
        return -1;
    }
fail:
    snprintf(err, err_cap, "redis %s: TLS: %s", c->where, tls_error(why, sizeof why, "the connection closed"));
    return -1;
}

static int authenticate(struct redisconn *c, const struct redisconn_opts *o, char *err,
                        size_t err_cap)
{
    const char *argv[3] = {"AUTH", o->user, o->password};
    bool user = o->user && o->user[0];
    redisReply *r = user ? redisconn_argv(c, 3, argv, err, err_cap)
                         : redisconn_argv(c, 2, (const char *[]){"AUTH", o->password}, err,
                                          err_cap);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_ERROR ? -1 : 0;
    if (rc) /* WRONGPASS, or AUTH without a password set: never the password */
        snprintf(err, err_cap, "redis %s: AUTH%s%s: %.120s", c->where, user ? " as " : "",
                 user ? o->user : "", r->str);
    freeReplyObject(r);
    return rc;
}

struct redisconn *redisconn_open(const struct redisconn_opts *o, char *err, size_t err_cap)
{
    struct redisconn *c = calloc(1, sizeof *c);
    if (!c || !(c->reader = redisReaderCreate())) {
        snprintf(err, err_cap, "out of memory");
        free(c);
        return NULL;
    }
    c->fd = -1;
    c->timeout_ms = o->timeout_ms;
    snprintf(c->where, sizeof c->where, strchr(o->host, ':') ? "[%s]:%u" : "%s:%u", o->host,
             (unsigned)o->port);
    uint64_t deadline = clock_now_us() + (uint64_t)o->timeout_ms * 1000;
    if (tcp_connect(c, o, deadline, err, err_cap) != 0 ||
        (o->tls && tls_handshake(c, o, deadline, err, err_cap) != 0) ||
        (o->password && authenticate(c, o, err, err_cap) != 0)) {
        redisconn_close(c);
        return NULL;
    }
    return c;
}

/* ---- commands and replies ---- */

/* SSL_write with SIGPIPE held back: a test or a program that does not
 * ignore it must not die of a server that closed (plain TCP has
 * MSG_NOSIGNAL; OpenSSL writes with write(2)). */
static int tls_write(SSL *ssl, const char *buf, size_t len)
{
    sigset_t pipe, old;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old);
    int n = SSL_write(ssl, buf, (int)len);
    if (n <= 0) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe, NULL, &zero) > 0)
            ; /* the SIGPIPE this write raised, if any */
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return n;
}

static int write_all(struct redisconn *c, const char *buf, size_t len, uint64_t deadline_us,
                     char *err, size_t err_cap)
{
    char why[256];
    while (len > 0) {
        ssize_t n;
        short ev = POLLOUT;
        if (c->ssl) {
            n = tls_write(c->ssl, buf, len);
            int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, (int)n);
            if (e == SSL_ERROR_WANT_READ)
                ev = POLLIN;
            else if (n <= 0 && e != SSL_ERROR_WANT_WRITE)
                goto broken;
        } else {
            n = send(c->fd, buf, len, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                goto broken;
        }
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (wait_fd(c, ev, deadline_us) != 1) {
            snprintf(err, err_cap, "redis %s: timed out", c->where);
            return -1;
        }
    }
    return 0;
broken:
    snprintf(err, err_cap, "redis %s: %s", c->where,
             c->ssl ? tls_error(why, sizeof why, "the connection closed") : strerror(errno));
    return -1;
}

/* Reads what the socket has (waiting until deadline_us for something) into
 * the reader. Returns 1 if bytes came, 0 on timeout, -1 if broken. */
static int read_some(struct redisconn *c, uint64_t deadline_us, char *err, size_t err_cap)
{
    char buf[READ_CHUNK], why[256];
    for (;;) {
        ssize_t n;
        short ev = POLLIN;
        if (c->ssl) {
            n = SSL_read(c->ssl, buf, sizeof buf);
            int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, (int)n);
            if (e == SSL_ERROR_WANT_WRITE)
                ev = POLLOUT;
            else if (n <= 0 && e != SSL_ERROR_WANT_READ) {
                snprintf(err, err_cap, "redis %s: %s", c->where, tls_error(why, sizeof why, "the connection closed"));
                return -1;
            }
        } else {
            n = recv(c->fd, buf, sizeof buf, 0);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                snprintf(err, err_cap, "redis %s: %s", c->where,
                         n == 0 ? "the connection closed" : strerror(errno));
                return -1;
            }
        }
        if (n > 0) {
            if (redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK) {
                snprintf(err, err_cap, "redis %s: out of memory", c->where);
                return -1;
            }
            return 1;
        }
        int w = wait_fd(c, ev, deadline_us);
        if (w <= 0)
            return w;
    }
}

/* The next whole reply, reading until deadline_us. 1, 0 (none by then) or
 * -1 (broken, or a protocol error). */
static int next_reply(struct redisconn *c, uint64_t deadline_us, redisReply **reply,
                      char *err, size_t err_cap)
{
    for (;;) {
        void *r = NULL;
        if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
            snprintf(err, err_cap, "redis %s: %s", c->where, c->reader->errstr);
            return -1;
        }
        if (r) {
            *reply = r;
            return 1;
        }
        int rc = read_some(c, deadline_us, err, err_cap);
        if (rc <= 0)
            return rc;
    }
}

int redisconn_send(struct redisconn *c, int argc, const char **argv, char *err,
                   size_t err_cap)
{
    char *cmd;
    int len = redisFormatCommandArgv(&cmd, argc, argv, NULL);
    if (len < 0) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    uint64_t deadline = clock_now_us() + (uint64_t)c->timeout_ms * 1000;
    int rc = write_all(c, cmd, (size_t)len, deadline, err, err_cap);
    redisFreeCommand(cmd);
    return rc;
}

int redisconn_read(struct redisconn *c, int wait_ms, redisReply **reply, char *err,
                   size_t err_cap)
{
    return next_reply(c, clock_now_us() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000, reply,
                      err, err_cap);
}

redisReply *redisconn_argv(struct redisconn *c, int argc, const char **argv, char *err,
                           size_t err_cap)
{
    if (redisconn_send(c, argc, argv, err, err_cap) != 0)
        return NULL;
    redisReply *r = NULL;
    uint64_t deadline = clock_now_us() + (uint64_t)c->timeout_ms * 1000;
    int rc = next_reply(c, deadline, &r, err, err_cap);
    if (rc == 0)
        snprintf(err, err_cap, "redis %s: timed out", c->where);
    return rc == 1 ? r : NULL;
}

redisReply *redisconn_cmd(struct redisconn *c, char *err, size_t err_cap, const char *fmt,
                          ...)
{
    char *cmd;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    if (len < 0) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    uint64_t deadline = clock_now_us() + (uint64_t)c->timeout_ms * 1000;
    int rc = write_all(c, cmd, (size_t)len, deadline, err, err_cap);
    redisFreeCommand(cmd);
    redisReply *r = NULL;
    if (rc == 0 && (rc = next_reply(c, deadline, &r, err, err_cap)) == 0)
        snprintf(err, err_cap, "redis %s: timed out", c->where);
    return rc == 1 ? r : NULL;
}
