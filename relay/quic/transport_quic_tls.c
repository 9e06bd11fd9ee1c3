/* transport_quic_tls.c: the QUIC edge's TLS (GnuTLS, which ngtcp2's
 * crypto helper drives): its certificate, the ALPNs it takes, a session
 * per connection.
 *
 * The certificate is --tls-cert and --tls-key, as for wss; without them a
 * certificate drawn at start (ECDSA P-256, valid a year, for loopback and
 * benchmarks), whose SHA-256 the relay logs so that a client can pin it.
 * Sessions issue no tickets: without resumption there is no 0-RTT, whose
 * data could be replayed. The ALPN picks the application (enum quic_app):
 * one row per application, and a client naming none of them is refused in
 * the handshake (no_application_protocol). */
#include "transport_quic.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../sys/log.h"

/* The applications, by ALPN: the connection's app is the row's index. */
static const char *const alpns[QUIC_APPS] = {
    [QUIC_APP_RICOCHET] = QUICMSG_ALPN,
};

/* TLS 1.3 only (QUIC's), its AEADs and groups as ngtcp2's examples take
 * them; no middlebox compatibility mode (QUIC has no middleboxes to fool). */
#define PRIORITY                                                                        \
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:" \
    "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:"             \
    "+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1"

char *transport_quic_fingerprint(const uint8_t *der, size_t len, char *out)
{
    uint8_t md[32];
    out[0] = '\0';
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, md) != 0)
        return out;
    for (size_t i = 0; i < sizeof md; i++)
        sprintf(out + 3 * i, i + 1 < sizeof md ? "%02X:" : "%02X", md[i]);
    return out;
}

/* A self-signed certificate drawn now, into t->cred. Returns 0 or -1. */
static int draw_certificate(struct relay_quic *t, char *err, size_t cap)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    uint8_t serial[16];
    time_t now = time(NULL);
    int rc = -1;
    if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) != 0 ||
        gnutls_x509_privkey_init(&key) != 0 ||
        gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) != 0 ||
        gnutls_x509_crt_init(&crt) != 0)
        goto fail;
    serial[0] &= 0x7f; /* a positive serial */
    if (gnutls_x509_crt_set_version(crt, 3) != 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof serial) != 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - 3600) != 0 ||
        gnutls_x509_crt_set_expiration_time(crt, now + 365 * 24 * 3600) != 0 ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "ricochet-relay",
                                      strlen("ricochet-relay")) != 0 ||
        gnutls_x509_crt_set_key(crt, key) != 0 ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) != 0 ||
        gnutls_certificate_set_x509_key(t->cred, &crt, 1, key) < 0)
        goto fail;
    gnutls_datum_t der = {0};
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) == 0) {
        char fp[96];
        log_info("relay: quic: %s: a certificate drawn at start, SHA-256 %s", t->addr,
                 transport_quic_fingerprint(der.data, der.size, fp));
        gnutls_free(der.data);
    }
    rc = 0;
fail:
    if (rc != 0)
        snprintf(err, cap, "quic: could not draw a certificate");
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return rc;
}

/* --tls-cert and --tls-key into t->cred. Returns 0 or -1. */
static int load_certificate(struct relay_quic *t, char *err, size_t cap)
{
    const char *cert = t->cfg.tls_cert, *key = t->cfg.tls_key;
    int rc = gnutls_certificate_set_x509_key_file(t->cred, cert, key, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
        snprintf(err, cap, "--tls-cert %s, --tls-key %s: %s", cert, key, gnutls_strerror(rc));
        return -1;
    }
    gnutls_datum_t der;
    if (gnutls_certificate_get_crt_raw(t->cred, 0, 0, &der) == 0) {
        char fp[96];
        log_info("relay: quic: %s: certificate %s, SHA-256 %s", t->addr, cert,
                 transport_quic_fingerprint(der.data, der.size, fp));
    }
    return 0;
}

int transport_quic_tls_init(struct relay_quic *t, char *err, size_t err_cap)
{
    bool cert = t->cfg.tls_cert && *t->cfg.tls_cert, key = t->cfg.tls_key && *t->cfg.tls_key;
    if (cert != key) {
        snprintf(err, err_cap, "quic: --tls-cert and --tls-key go together (or neither: a "
                               "certificate drawn at start)");
        return -1;
    }
    if (gnutls_certificate_allocate_credentials(&t->cred) != 0 ||
        gnutls_priority_init(&t->priority, PRIORITY, NULL) != 0) {
        snprintf(err, err_cap, "quic: GnuTLS would not start");
        return -1;
    }
    return cert ? load_certificate(t, err, err_cap) : draw_certificate(t, err, err_cap);
}

void transport_quic_tls_free(struct relay_quic *t)
{
    if (t->cred)
        gnutls_certificate_free_credentials(t->cred);
    if (t->priority)
        gnutls_priority_deinit(t->priority);
    t->cred = NULL;
    t->priority = NULL;
}

int transport_quic_tls_session(struct relay_quic *t, struct quic_conn *c)
{
    gnutls_datum_t protos[QUIC_APPS];
    for (int i = 0; i < QUIC_APPS; i++)
        protos[i] = (gnutls_datum_t){.data = (unsigned char *)alpns[i],
                                     .size = (unsigned)strlen(alpns[i])};
    if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NO_TICKETS) != 0)
        return -1;
    if (gnutls_priority_set(c->tls, t->priority) != 0 ||
        ngtcp2_crypto_gnutls_configure_server_session(c->tls) != 0 ||
        gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, t->cred) != 0 ||
        gnutls_alpn_set_protocols(c->tls, protos, QUIC_APPS, GNUTLS_ALPN_MANDATORY) != 0)
        return -1;
    gnutls_session_set_ptr(c->tls, &c->ref);
    ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
    return 0;
}

enum quic_app transport_quic_tls_app(const struct quic_conn *c)
{
    gnutls_datum_t p;
    if (!c->tls || gnutls_alpn_get_selected_protocol(c->tls, &p) != 0)
        return QUIC_APPS;
    for (int i = 0; i < QUIC_APPS; i++)
        if (p.size == strlen(alpns[i]) && memcmp(p.data, alpns[i], p.size) == 0)
            return (enum quic_app)i;
    return QUIC_APPS;
}
