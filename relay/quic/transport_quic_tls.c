/* transport_quic_tls.c: the QUIC edge's TLS (GnuTLS, which ngtcp2's
 * crypto helper drives): its certificate, the ALPNs it takes, a session
 * per connection.
 *
 * The certificate is --tls-cert and --tls-key, as for wss; without them a
 * certificate drawn at start, whose SHA-256 the relay logs so that a client
 * can pin it, made as a browser's serverCertificateHashes takes it (ECDSA
 * P-256, valid for less than 14 days) and drawn again every
 * QUIC_CERT_RENEW_S for new connections; a page learns the hashes of those
 * still valid from the edge's GET /wt (transport_quic_tls_webtransport),
 * each time it opens a session. A drawn certificate is freed with the last
 * connection that took it, once a newer one is drawn.
 * Sessions issue no tickets: without resumption there is no 0-RTT, whose
 * data could be replayed. The ALPN picks the application (enum quic_app):
 * one row per application, and a client naming none of them is refused in
 * the handshake (no_application_protocol). */
#define BY_TRANSPORT_QUIC_TLS_C /* this file writes the parts BY_TRANSPORT_QUIC_TLS_C marks */
#include "transport_quic.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <inttypes.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sys/log.h"

/* The applications, by ALPN: the connection's app is the row's index. */
static const char *const alpns[QUIC_APPS] = {
    [QUIC_APP_RICOCHET] = QUICMSG_ALPN,
    [QUIC_APP_H3] = H3_ALPN,
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

static void hex(const uint8_t *md, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* A self-signed certificate drawn now into slot: ECDSA P-256, valid from
 * QUIC_CERT_BEFORE_S before now for QUIC_CERT_VALID_S after (under the 14
 * days a browser's serverCertificateHashes takes), with the extensions
 * Chromium asks of it (basic constraints: not a CA; key usage: a digital
 * signature; for serverAuth; the name 127.0.0.1 and localhost). Returns 0
 * or -1. */
static int draw_certificate(struct relay_quic *t, struct quic_cert *slot, uint64_t now_us)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    gnutls_datum_t der = {0};
    uint8_t serial[16];
    time_t now = time(NULL);
    int rc = -1;
    if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) != 0 ||
        gnutls_certificate_allocate_credentials(&cred) != 0 ||
        gnutls_x509_privkey_init(&key) != 0 ||
        gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) != 0 ||
        gnutls_x509_crt_init(&crt) != 0)
        goto fail;
    serial[0] &= 0x7f; /* a positive serial */
    if (gnutls_x509_crt_set_version(crt, 3) != 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof serial) != 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - QUIC_CERT_BEFORE_S) != 0 ||
        gnutls_x509_crt_set_expiration_time(crt, now + QUIC_CERT_VALID_S) != 0 ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "ricochet-relay",
                                      strlen("ricochet-relay")) != 0 ||
        gnutls_x509_crt_set_basic_constraints(crt, 0, -1) != 0 ||
        gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) != 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) != 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                             GNUTLS_FSAN_APPEND) != 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, "\x7f\0\0\1", 4,
                                             GNUTLS_FSAN_APPEND) != 0 ||
        gnutls_x509_crt_set_key(crt, key) != 0 ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) != 0 ||
        gnutls_certificate_set_x509_key(cred, &crt, 1, key) < 0 ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) != 0 ||
        gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, slot->sha256) != 0)
        goto fail;
    char fp[96];
    log_info("relay: quic: %s: a certificate drawn, valid until %lld, SHA-256 %s", t->addr,
             (long long)(now + QUIC_CERT_VALID_S),
             transport_quic_fingerprint(der.data, der.size, fp));
    slot->cred = cred;
    slot->expires_s = (int64_t)now + QUIC_CERT_VALID_S;
    slot->drawn_us = now_us;
    slot->conns = 0;
    cred = NULL;
    rc = 0;
fail:
    gnutls_free(der.data);
    if (cred)
        gnutls_certificate_free_credentials(cred);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return rc;
}

/* --tls-cert and --tls-key into certs[0]. Returns 0 or -1. */
static int load_certificate(struct relay_quic *t, char *err, size_t cap)
{
    const char *cert = t->cfg.tls_cert, *key = t->cfg.tls_key;
    struct quic_cert *slot = &t->tls.certs[0];
    int rc = gnutls_certificate_allocate_credentials(&slot->cred);
    if (rc == 0)
        rc = gnutls_certificate_set_x509_key_file(slot->cred, cert, key, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
        snprintf(err, cap, "--tls-cert %s, --tls-key %s: %s", cert, key, gnutls_strerror(rc));
        return -1;
    }
    gnutls_datum_t der;
    if (gnutls_certificate_get_crt_raw(slot->cred, 0, 0, &der) == 0) {
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
    if (gnutls_priority_init(&t->tls.priority, PRIORITY, NULL) != 0) {
        snprintf(err, err_cap, "quic: GnuTLS would not start");
        return -1;
    }
    if (cert)
        return load_certificate(t, err, err_cap);
    t->tls.drawn = true;
    t->tls.cert_now = 0;
    if (draw_certificate(t, &t->tls.certs[0], t->now_us) != 0) {
        snprintf(err, err_cap, "quic: could not draw a certificate");
        return -1;
    }
    return 0;
}

void transport_quic_tls_free(struct relay_quic *t)
{
    for (int i = 0; i < QUIC_CERT_GENS; i++) {
        if (t->tls.certs[i].cred)
            gnutls_certificate_free_credentials(t->tls.certs[i].cred);
        t->tls.certs[i].cred = NULL;
    }
    if (t->tls.priority)
        gnutls_priority_deinit(t->tls.priority);
    t->tls.priority = NULL;
}

bool transport_quic_tls_renew(struct relay_quic *t, uint64_t now_us, bool force)
{
    const struct quic_cert *newest = &t->tls.certs[t->tls.cert_now];
    if (!t->tls.drawn || (!force && now_us - newest->drawn_us < QUIC_CERT_RENEW_S * 1000000ull))
        return false;
    for (uint8_t i = 0; i < QUIC_CERT_GENS; i++) {
        struct quic_cert *slot = &t->tls.certs[i];
        if (i == t->tls.cert_now || (slot->cred && slot->conns > 0))
            continue;
        if (slot->cred)
            gnutls_certificate_free_credentials(slot->cred);
        slot->cred = NULL;
        if (draw_certificate(t, slot, now_us) != 0)
            return false;
        struct quic_cert *old = &t->tls.certs[t->tls.cert_now];
        t->tls.cert_now = i;
        if (old->conns == 0) { /* held by no connection: gone (its hash stays served) */
            gnutls_certificate_free_credentials(old->cred);
            old->cred = NULL;
        }
        return true;
    }
    return false; /* every slot held by a connection: at a later tick */
}

void transport_quic_tls_end(struct relay_quic *t, struct quic_conn *c)
{
    struct quic_cert *slot = &t->tls.certs[c->tls.cert];
    if (!c->tls.session || slot->conns == 0)
        return;
    if (--slot->conns == 0 && c->tls.cert != t->tls.cert_now && slot->cred) {
        gnutls_certificate_free_credentials(slot->cred);
        slot->cred = NULL;
    }
}

int transport_quic_tls_webtransport(const struct relay_quic *t, char *out, size_t cap)
{
    const char *port = strrchr(t->addr, ':');
    int n = snprintf(out, cap, "{\"port\":%s,\"path\":\"%s\",\"timeout_ms\":%" PRIu32
                     ",\"hashes\":[", port ? port + 1 : "0", QUIC_WT_PATH, t->cfg.timeout_ms);
    int64_t now = (int64_t)time(NULL);
    for (int k = 0; t->tls.drawn && k < QUIC_CERT_GENS && n > 0 && (size_t)n < cap; k++) {
        /* the newest first, then the others still valid */
        const struct quic_cert *c = &t->tls.certs[(t->tls.cert_now + QUIC_CERT_GENS - k) % QUIC_CERT_GENS];
        char h[65];
        if (c->expires_s <= now)
            continue;
        hex(c->sha256, sizeof c->sha256, h);
        n += snprintf(out + n, cap - (size_t)n, "%s\"%s\"", out[n - 1] == '[' ? "" : ",", h);
    }
    if (n > 0 && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, "]}");
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* After the ClientHello, its ALPN chosen and before the handshake's keys:
 * an h3 connection's transport parameters are HTTP/3's (PROTOCOL.md,
 * "WebTransport"): two bidirectional streams (the CONNECT's and the
 * session's control stream), QUIC_H3_UNIS unidirectional ones (HTTP/3's
 * control stream, QPACK's two, the session's own), room in a datagram for
 * the quarter stream ID, and an idle timeout QUIC_EDGE_H3_IDLE_MS past
 * --timeout-ms: Chromium's own timer runs a second short of the timeout it
 * is told (QuicConnection::SetNetworkTimeouts), so told --timeout-ms it
 * would close a page's session before the relay's silence did, and for
 * --timeout-ms near a second within a third of it; the edge expires a
 * silent session at --timeout-ms itself (transport_quic_sweep). */
static int client_hello_read(gnutls_session_t session, unsigned type, unsigned when,
                             unsigned incoming, const gnutls_datum_t *msg)
{
    (void)type, (void)when, (void)incoming, (void)msg;
    ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(session);
    struct quic_conn *c = ref->user_data;
    if (transport_quic_tls_app(c) != QUIC_APP_H3)
        return 0;
    ngtcp2_transport_params p = *ngtcp2_conn_get_local_transport_params(c->conn);
    p.initial_max_streams_bidi = 2;
    p.initial_max_streams_uni = QUIC_H3_UNIS;
    p.max_datagram_frame_size = QUICMSG_DATAGRAM_FRAME_MAX + 8;
    p.max_idle_timeout += QUIC_EDGE_H3_IDLE_MS * NGTCP2_MILLISECONDS;
    return ngtcp2_conn_set_local_transport_params(c->conn, &p) == 0 ? 0 : -1;
}

int transport_quic_tls_session(struct relay_quic *t, struct quic_conn *c)
{
    gnutls_datum_t protos[QUIC_APPS];
    for (int i = 0; i < QUIC_APPS; i++)
        protos[i] = (gnutls_datum_t){.data = (unsigned char *)alpns[i],
                                     .size = (unsigned)strlen(alpns[i])};
    if (gnutls_init(&c->tls.session, GNUTLS_SERVER | GNUTLS_NO_TICKETS) != 0)
        return -1;
    c->tls.cert = t->tls.cert_now; /* held from now on: transport_quic_tls_end lets go */
    t->tls.certs[c->tls.cert].conns++;
    if (gnutls_priority_set(c->tls.session, t->tls.priority) != 0 ||
        ngtcp2_crypto_gnutls_configure_server_session(c->tls.session) != 0 ||
        gnutls_credentials_set(c->tls.session, GNUTLS_CRD_CERTIFICATE, t->tls.certs[t->tls.cert_now].cred) != 0 ||
        gnutls_alpn_set_protocols(c->tls.session, protos, QUIC_APPS, GNUTLS_ALPN_MANDATORY) != 0)
        return -1;
    gnutls_session_set_ptr(c->tls.session, &c->ref);
    gnutls_handshake_set_hook_function(c->tls.session, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_POST,
                                       client_hello_read);
    ngtcp2_conn_set_tls_native_handle(c->conn, c->tls.session);
    return 0;
}

enum quic_app transport_quic_tls_app(const struct quic_conn *c)
{
    gnutls_datum_t p;
    if (!c->tls.session || gnutls_alpn_get_selected_protocol(c->tls.session, &p) != 0)
        return QUIC_APPS;
    for (int i = 0; i < QUIC_APPS; i++)
        if (p.size == strlen(alpns[i]) && memcmp(p.data, alpns[i], p.size) == 0)
            return (enum quic_app)i;
    return QUIC_APPS;
}
