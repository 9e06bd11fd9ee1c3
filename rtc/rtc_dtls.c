/* rtc_dtls.c: DTLS 1.2 over OpenSSL with a BIO of our own (see rtc_dtls.h).
 *
 * OpenSSL's memory BIO is a byte stream: the records of a flight would
 * run together and their datagram boundaries be lost. So the BIO here
 * hands each write (one record: OpenSSL writes a record at a time and
 * cuts handshake messages to the MTU set) to io->send as one datagram,
 * and reads back exactly the one datagram being input. */
#include "rtc_dtls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define COOKIE_LEN 16          /* bytes of HMAC-SHA256 kept: a HelloVerifyRequest of 44 */
#define TIMER_FIRST_US 500000  /* the first retransmission after 500 ms, doubling... */
#define TIMER_MAX_US 8000000   /* ... up to 8 s */
/* AEAD suites only: RTC_DTLS_OVERHEAD holds for each */
#define CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:" \
                "ECDHE-ECDSA-AES256-GCM-SHA384"

struct rtc_dtls_ctx {
    SSL_CTX *ssl_ctx;
    BIO_METHOD *bio_method;
    EVP_PKEY *key;
    X509 *cert;
    bool server;
    uint8_t fp[RTC_DTLS_FINGERPRINT];
    char fp_text[RTC_DTLS_FINGERPRINT_TEXT];
    uint8_t secret[32];        /* keys the cookies */
    struct rtc_dtls *spare;    /* server: listens until a cookie verifies, then is handed over */
    FILE *keylog;              /* rtc_dtls_ctx_keylog's file, or NULL */
};

struct rtc_dtls {
    struct rtc_dtls_ctx *ctx;
    SSL *ssl;
    struct rtc_dtls_io io;
    const uint8_t *in;         /* the datagram being input, read once by the BIO */
    size_t in_len;
    uint8_t fp[RTC_DTLS_FINGERPRINT]; /* the peer's, from its SDP */
    uint8_t peer_id[RTC_DTLS_PEER_ID_MAX];
    size_t peer_id_len;
    enum rtc_dtls_state state;
    unsigned sent;             /* datagrams written (tells a HelloVerifyRequest from silence) */
    char why[96];
};

/* --- the BIO: a datagram in, a datagram out per write --- */

static int bio_write(BIO *b, const char *data, int len)
{
    struct rtc_dtls *d = BIO_get_data(b);
    if (d)
        d->sent++;
    if (d && d->io.send && len > 0)
        d->io.send(d->io.ctx, (const uint8_t *)data, (size_t)len);
    return len;
}

static int bio_read(BIO *b, char *out, int cap)
{
    struct rtc_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!d || !d->in || cap <= 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = d->in_len < (size_t)cap ? d->in_len : (size_t)cap; /* cut, as recvfrom would */
    memcpy(out, d->in, n);
    d->in = NULL;
    d->in_len = 0;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    struct rtc_dtls *d = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return d && d->in ? (long)d->in_len : 0;
    default: /* WPENDING (nothing waits: each write left), MTU queries (none: set) */
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int bio_destroy(BIO *b)
{
    (void)b;
    return 1;
}

/* --- the certificate and its checks --- */

static X509 *self_signed(EVP_PKEY *key)
{
    X509 *x = X509_new();
    uint64_t serial;
    X509_NAME *name = NULL;
    if (!x || RAND_bytes((unsigned char *)&serial, sizeof serial) != 1)
        goto fail;
    serial >>= 1; /* positive */
    name = X509_NAME_new();
    if (!X509_set_version(x, 2) || !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) || !X509_set_pubkey(x, key) || !name ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ricochet",
                                    -1, -1, 0) ||
        !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
        !X509_sign(x, key, EVP_sha256()))
        goto fail;
    X509_NAME_free(name);
    return x;
fail:
    X509_NAME_free(name);
    X509_free(x);
    return NULL;
}

/* The peer's certificate chain check: its leaf must hash to the
 * fingerprint its SDP named; no authority is asked. */
static int verify_fingerprint(X509_STORE_CTX *store, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct rtc_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    if (!d || !leaf || !X509_digest(leaf, EVP_sha256(), md, &md_len) ||
        md_len != RTC_DTLS_FINGERPRINT || CRYPTO_memcmp(md, d->fp, md_len) != 0) {
        if (d)
            snprintf(d->why, sizeof d->why, "the peer's certificate is not the SDP's fingerprint");
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    return 1;
}

/* A cookie: HMAC-SHA256 of the caller's name for the peer, under the
 * context's secret, cut to COOKIE_LEN. */
static int cookie_of(SSL *ssl, unsigned char *out)
{
    struct rtc_dtls *d = SSL_get_app_data(ssl);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    if (!d || !HMAC(EVP_sha256(), d->ctx->secret, sizeof d->ctx->secret, d->peer_id,
                    d->peer_id_len, md, &md_len))
        return 0;
    memcpy(out, md, COOKIE_LEN);
    return 1;
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    *len = COOKIE_LEN;
    return cookie_of(ssl, cookie);
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    unsigned char want[COOKIE_LEN];
    return len == COOKIE_LEN && cookie_of(ssl, want) && CRYPTO_memcmp(want, cookie, len) == 0;
}

/* The retransmission timer's next period (0: the first). */
static unsigned int timer_next(SSL *ssl, unsigned int previous_us)
{
    (void)ssl;
    if (previous_us == 0)
        return TIMER_FIRST_US;
    return previous_us >= TIMER_MAX_US / 2 ? TIMER_MAX_US : previous_us * 2;
}

static void fingerprint_text(const uint8_t *fp, char *out)
{
    for (int i = 0; i < RTC_DTLS_FINGERPRINT; i++)
        sprintf(out + 3 * i, "%02X%s", fp[i], i + 1 < RTC_DTLS_FINGERPRINT ? ":" : "");
}

static int setup_ssl_ctx(struct rtc_dtls_ctx *c)
{
    SSL_CTX *s = c->ssl_ctx;
    SSL_CTX_set_min_proto_version(s, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(s, DTLS1_2_VERSION);
    SSL_CTX_set_options(s, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(s, verify_fingerprint, NULL);
    SSL_CTX_set_cookie_generate_cb(s, cookie_generate);
    SSL_CTX_set_cookie_verify_cb(s, cookie_verify);
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(s, SSL_MODE_RELEASE_BUFFERS);
    /* SRTP keys are never used; a browser offering use_srtp gets a profile */
    if (SSL_CTX_set_tlsext_use_srtp(s, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
        return 0;
    return SSL_CTX_set_cipher_list(s, CIPHERS) && SSL_CTX_set1_groups_list(s, "X25519:P-256") &&
           SSL_CTX_use_certificate(s, c->cert) && SSL_CTX_use_PrivateKey(s, c->key) &&
           SSL_CTX_check_private_key(s);
}

/* One line of NSS's key log format per session, as OpenSSL makes it. */
static void keylog_line(const SSL *ssl, const char *line)
{
    struct rtc_dtls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (c && c->keylog) {
        fprintf(c->keylog, "%s\n", line);
        fflush(c->keylog); /* before the flight that uses the keys leaves */
    }
}

int rtc_dtls_ctx_keylog(struct rtc_dtls_ctx *c, const char *path, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        snprintf(err, err_cap, "key log %s: %s", path, strerror(errno));
        return -1;
    }
    if (c->keylog)
        fclose(c->keylog);
    c->keylog = f;
    SSL_CTX_set_app_data(c->ssl_ctx, c);
    SSL_CTX_set_keylog_callback(c->ssl_ctx, keylog_line);
    return 0;
}

struct rtc_dtls_ctx *rtc_dtls_ctx_new(bool server, char *err, size_t err_cap)
{
    struct rtc_dtls_ctx *c = calloc(1, sizeof *c);
    unsigned md_len = 0;
    if (!c)
        goto fail;
    c->server = server;
    c->ssl_ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    c->key = EVP_EC_gen("P-256");
    c->cert = c->key ? self_signed(c->key) : NULL;
    c->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rtc_dtls");
    if (!c->ssl_ctx || !c->cert || !c->bio_method ||
        RAND_bytes(c->secret, sizeof c->secret) != 1 ||
        !X509_digest(c->cert, EVP_sha256(), c->fp, &md_len) || md_len != RTC_DTLS_FINGERPRINT ||
        !setup_ssl_ctx(c))
        goto fail;
    BIO_meth_set_write(c->bio_method, bio_write);
    BIO_meth_set_read(c->bio_method, bio_read);
    BIO_meth_set_ctrl(c->bio_method, bio_ctrl);
    BIO_meth_set_create(c->bio_method, bio_create);
    BIO_meth_set_destroy(c->bio_method, bio_destroy);
    fingerprint_text(c->fp, c->fp_text);
    return c;
fail:
    snprintf(err, err_cap, "DTLS: cannot set up OpenSSL: %s",
             ERR_reason_error_string(ERR_peek_last_error()) ? ERR_reason_error_string(ERR_peek_last_error())
                                                             : "out of memory");
    ERR_clear_error();
    rtc_dtls_ctx_free(c);
    return NULL;
}

void rtc_dtls_ctx_free(struct rtc_dtls_ctx *c)
{
    if (!c)
        return;
    rtc_dtls_free(c->spare);
    if (c->keylog)
        fclose(c->keylog);
    SSL_CTX_free(c->ssl_ctx);
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    BIO_meth_free(c->bio_method);
    free(c);
}

const char *rtc_dtls_ctx_fingerprint(const struct rtc_dtls_ctx *c)
{
    return c->fp_text;
}

const uint8_t *rtc_dtls_ctx_fingerprint_bytes(const struct rtc_dtls_ctx *c)
{
    return c->fp;
}

/* --- associations --- */

static struct rtc_dtls *dtls_new(struct rtc_dtls_ctx *c)
{
    struct rtc_dtls *d = calloc(1, sizeof *d);
    BIO *bio = NULL;
    if (!d)
        return NULL;
    d->ctx = c;
    d->ssl = SSL_new(c->ssl_ctx);
    bio = BIO_new(c->bio_method);
    if (!d->ssl || !bio) {
        BIO_free(bio);
        SSL_free(d->ssl);
        free(d);
        ERR_clear_error();
        return NULL;
    }
    BIO_set_data(bio, d);
    SSL_set_bio(d->ssl, bio, bio);
    SSL_set_app_data(d->ssl, d);
    SSL_set_mtu(d->ssl, RTC_DTLS_MTU);
    /* Records never carry more than a datagram: the write buffer is sized
     * by this (16 KiB otherwise, kept for the session's life in DTLS). */
    SSL_set_max_send_fragment(d->ssl, RTC_DTLS_MTU);
    DTLS_set_timer_cb(d->ssl, timer_next);
    return d;
}

/* After an SSL call that returned ret: the state it leaves. */
static void after_call(struct rtc_dtls *d, int ret)
{
    int e = SSL_get_error(d->ssl, ret);
    if (e == SSL_ERROR_ZERO_RETURN) {
        d->state = RTC_DTLS_CLOSED;
    } else if (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL) {
        if (!d->why[0])
            snprintf(d->why, sizeof d->why, "DTLS: %s",
                     ERR_reason_error_string(ERR_peek_last_error())
                         ? ERR_reason_error_string(ERR_peek_last_error())
                         : "failed");
        d->state = RTC_DTLS_FAILED;
    }
    ERR_clear_error();
}

/* Handshake progress, then every record the datagram held. */
static void pump(struct rtc_dtls *d)
{
    if (d->state == RTC_DTLS_HANDSHAKE) {
        int ret = SSL_do_handshake(d->ssl);
        if (ret == 1)
            d->state = RTC_DTLS_CONNECTED;
        else
            after_call(d, ret);
    }
    uint8_t buf[RTC_DTLS_MTU];
    while (d->state == RTC_DTLS_CONNECTED) {
        int n = SSL_read(d->ssl, buf, sizeof buf);
        if (n <= 0) {
            after_call(d, n);
            break;
        }
        if (d->io.data)
            d->io.data(d->io.ctx, buf, (size_t)n);
    }
}

enum rtc_dtls_listen rtc_dtls_listen(struct rtc_dtls_ctx *c, const uint8_t *peer_id,
                                     size_t id_len, const uint8_t *data, size_t len,
                                     const uint8_t fp[RTC_DTLS_FINGERPRINT],
                                     const struct rtc_dtls_io *io, struct rtc_dtls **out)
{
    *out = NULL;
    if (!c->server || id_len > RTC_DTLS_PEER_ID_MAX)
        return RTC_DTLS_LISTEN_DROPPED;
    if (!c->spare && !(c->spare = dtls_new(c)))
        return RTC_DTLS_LISTEN_DROPPED;
    struct rtc_dtls *d = c->spare;
    memcpy(d->peer_id, peer_id, id_len);
    d->peer_id_len = id_len;
    d->io = *io;
    d->in = data;
    d->in_len = len;
    d->sent = 0;
    BIO_ADDR *client = BIO_ADDR_new();
    int ret = client ? DTLSv1_listen(d->ssl, client) : -1;
    BIO_ADDR_free(client);
    d->in = NULL;
    d->in_len = 0;
    ERR_clear_error();
    if (ret <= 0) {
        /* a HelloVerifyRequest went out through io, or nothing did */
        d->io = (struct rtc_dtls_io){0};
        return d->sent ? RTC_DTLS_LISTEN_VERIFY : RTC_DTLS_LISTEN_DROPPED;
    }
    c->spare = NULL;
    memcpy(d->fp, fp, RTC_DTLS_FINGERPRINT);
    pump(d); /* the buffered ClientHello: the server's flight */
    *out = d;
    return RTC_DTLS_LISTEN_ACCEPTED;
}

struct rtc_dtls *rtc_dtls_connect(struct rtc_dtls_ctx *c, const uint8_t fp[RTC_DTLS_FINGERPRINT],
                                  const struct rtc_dtls_io *io)
{
    struct rtc_dtls *d = c->server ? NULL : dtls_new(c);
    if (!d)
        return NULL;
    memcpy(d->fp, fp, RTC_DTLS_FINGERPRINT);
    d->io = *io;
    SSL_set_connect_state(d->ssl);
    pump(d); /* the ClientHello */
    return d;
}

enum rtc_dtls_state rtc_dtls_input(struct rtc_dtls *d, const uint8_t *data, size_t len)
{
    if (d->state == RTC_DTLS_HANDSHAKE || d->state == RTC_DTLS_CONNECTED) {
        d->in = data;
        d->in_len = len;
        pump(d);
        d->in = NULL;
        d->in_len = 0;
    }
    return d->state;
}

int rtc_dtls_write(struct rtc_dtls *d, const uint8_t *data, size_t len)
{
    if (d->state != RTC_DTLS_CONNECTED || len == 0 || len > RTC_DTLS_MTU - RTC_DTLS_OVERHEAD)
        return -1;
    int n = SSL_write(d->ssl, data, (int)len);
    if (n <= 0) {
        after_call(d, n);
        return -1;
    }
    return 0;
}

enum rtc_dtls_state rtc_dtls_state(const struct rtc_dtls *d)
{
    return d->state;
}

uint64_t rtc_dtls_timeout_us(struct rtc_dtls *d)
{
    struct timeval tv;
    if (d->state != RTC_DTLS_HANDSHAKE || DTLSv1_get_timeout(d->ssl, &tv) != 1)
        return UINT64_MAX;
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void rtc_dtls_on_timeout(struct rtc_dtls *d)
{
    if (d->state != RTC_DTLS_HANDSHAKE)
        return;
    int ret = DTLSv1_handle_timeout(d->ssl);
    if (ret < 0)
        after_call(d, ret);
    ERR_clear_error();
}

void rtc_dtls_close(struct rtc_dtls *d)
{
    if (d->state == RTC_DTLS_CONNECTED)
        (void)SSL_shutdown(d->ssl);
    ERR_clear_error();
    if (d->state != RTC_DTLS_FAILED)
        d->state = RTC_DTLS_CLOSED;
}

void rtc_dtls_free(struct rtc_dtls *d)
{
    if (!d)
        return;
    SSL_free(d->ssl);
    free(d);
}

const char *rtc_dtls_why(const struct rtc_dtls *d)
{
    return d->why;
}
