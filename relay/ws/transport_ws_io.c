/* transport_ws_io.c: a WebSocket connection's bytes in and out (see
 * transport_ws.h): recv() and send(), or for wss OpenSSL's TLS on the
 * same non-blocking socket, its handshake made inside the edge as bytes
 * arrive. Partial writes are on (SSL_MODE_ENABLE_PARTIAL_WRITE) and the
 * queue a write is retried from may have moved
 * (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER): the stream module writes from a
 * buffer that grows. TLS reads whole records: what it decrypted beyond
 * what was asked for (SSL_pending) is no longer the socket's, so epoll
 * will not say it is there: ws_io_pending does. Without read-ahead
 * (OpenSSL's default) it reads no more of the socket than the record it
 * is on: bytes it holds undecrypted (SSL_has_pending) are part of a record
 * whose rest has not come, and the rest will wake the socket; taking them
 * for input would spin on one byte. OpenSSL's socket BIO writes with write(2),
 * which raises SIGPIPE on a closed connection; the edge's own BIO sends
 * with MSG_NOSIGNAL, as the plain edge does. */
#include "transport_ws.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "sys/tls_error.h"

/* ---- a BIO on the connection's socket --------------------------------------- */

static int sock_fd(BIO *b)
{
    return (int)(intptr_t)BIO_get_data(b);
}

static int sock_write(BIO *b, const char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = send(sock_fd(b), buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int sock_read(BIO *b, char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = recv(sock_fd(b), buf, (size_t)len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static long sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* nothing is buffered here */
}

/* ---- the server's context ------------------------------------------------- */

int ws_io_setup(struct relay_ws *t, const struct relay_net_config *cfg, char *err,
                size_t err_cap)
{
    char why[256];
    if (!cfg->tls_cert || !*cfg->tls_cert || !cfg->tls_key || !*cfg->tls_key) {
        snprintf(err, err_cap, "wss needs --tls-cert FILE and --tls-key FILE");
        return -1;
    }
    t->ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (!t->ssl_ctx) {
        snprintf(err, err_cap, "TLS: %s", tls_error(why, sizeof why, "unknown TLS error"));
        return -1;
    }
    SSL_CTX_set_min_proto_version(t->ssl_ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(t->ssl_ctx, cfg->tls_cert) != 1) {
        snprintf(err, err_cap, "--tls-cert %s: %s", cfg->tls_cert, tls_error(why, sizeof why, "unknown TLS error"));
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ssl_ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1) {
        snprintf(err, err_cap, "--tls-key %s: %s", cfg->tls_key, tls_error(why, sizeof why, "unknown TLS error"));
        return -1;
    }
    if (SSL_CTX_check_private_key(t->ssl_ctx) != 1) {
        snprintf(err, err_cap, "--tls-key %s is not the key of --tls-cert %s", cfg->tls_key,
                 cfg->tls_cert);
        ERR_clear_error();
        return -1;
    }
    SSL_CTX_set_mode(t->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                     SSL_MODE_RELEASE_BUFFERS);
    t->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ricochet ws");
    if (!t->bio_method || !BIO_meth_set_write(t->bio_method, sock_write) ||
        !BIO_meth_set_read(t->bio_method, sock_read) ||
        !BIO_meth_set_ctrl(t->bio_method, sock_ctrl)) {
        snprintf(err, err_cap, "TLS: %s", tls_error(why, sizeof why, "unknown TLS error"));
        return -1;
    }
    return 0;
}

int ws_io_accept(struct relay_ws *t, uint32_t i)
{
    if (!t->tls)
        return 0;
    struct ws_conn *w = &t->conns[i];
    w->ssl = SSL_new(t->ssl_ctx);
    BIO *b = w->ssl ? BIO_new(t->bio_method) : NULL;
    if (!b) {
        ERR_clear_error();
        return -1;
    }
    BIO_set_data(b, (void *)(intptr_t)t->s.conns[i].fd);
    BIO_set_init(b, 1);
    SSL_set_bio(w->ssl, b, b); /* the SSL owns it */
    SSL_set_accept_state(w->ssl);
    return 0;
}

/* After a TLS call returned rc <= 0: -1 (nothing now) or -2 (failed); 0
 * for a close_notify (the end of the stream). */
static ssize_t tls_status(SSL *ssl, int rc)
{
    int e = SSL_get_error(ssl, rc);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return -1;
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    return -2;
}

ssize_t ws_io_read(struct relay_ws *t, uint32_t i, void *buf, size_t len)
{
    struct ws_conn *w = &t->conns[i];
    if (!t->tls) {
        ssize_t n = recv(t->s.conns[i].fd, buf, len, MSG_DONTWAIT);
        if (n >= 0)
            return n;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
    }
    if (!w->tls_up) {
        int rc = SSL_do_handshake(w->ssl);
        if (rc != 1) {
            ssize_t st = tls_status(w->ssl, rc);
            return st == 0 ? -2 : st; /* a close during the handshake: failed */
        }
        w->tls_up = true;
    }
    int rc = SSL_read(w->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    return rc > 0 ? rc : tls_status(w->ssl, rc);
}

ssize_t ws_io_write(void *edge, uint32_t i, const uint8_t *buf, size_t len)
{
    struct relay_ws *t = edge;
    struct ws_conn *w = &t->conns[i];
    if (!t->tls)
        return send(t->s.conns[i].fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (!w->tls_up) {
        errno = EPIPE; /* nothing is queued before the handshake: a bug, not a wait */
        return -1;
    }
    int rc = SSL_write(w->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (rc > 0)
        return rc;
    errno = tls_status(w->ssl, rc) == -1 ? EAGAIN : EPIPE;
    return -1;
}

bool ws_io_pending(const struct relay_ws *t, uint32_t i)
{
    const struct ws_conn *w = &t->conns[i];
    return w->ssl && SSL_pending(w->ssl) > 0;
}

bool ws_io_ready(const struct relay_ws *t, uint32_t i)
{
    return !t->tls || t->conns[i].tls_up;
}

void ws_io_finish(void *edge, uint32_t i)
{
    struct relay_ws *t = edge;
    struct ws_conn *w = &t->conns[i];
    if (w->ssl && w->tls_up && !w->tls_shut) {
        SSL_shutdown(w->ssl); /* one try, without waiting */
        w->tls_shut = true;
        ERR_clear_error();
    }
}

void ws_io_release(struct relay_ws *t, uint32_t i)
{
    struct ws_conn *w = &t->conns[i];
    if (!w->ssl)
        return;
    ws_io_finish(t, i); /* one try, without waiting: the socket closes next */
    SSL_free(w->ssl);
    w->ssl = NULL;
}

void ws_io_free(struct relay_ws *t)
{
    SSL_CTX_free(t->ssl_ctx);
    BIO_meth_free(t->bio_method);
    t->ssl_ctx = NULL;
    t->bio_method = NULL;
}
