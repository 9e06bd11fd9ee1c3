/* test_quic_certificates.c: the relay's quic edge's certificates for
 * browsers (in process on 127.0.0.1): the one drawn is ECDSA P-256, valid
 * under 14 days; drawn again, new connections take the new one while a
 * member keeps its own, GET /wt's JSON names both hashes (the newest
 * first), and the old one is freed with its last connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "sys/clock.h"
#include "tests/support/quic_edge.h"

/* The certificate of slot i: ECDSA P-256, valid under 14 days. */
static void browser_certificate(const struct relay_quic *t, int i)
{
    gnutls_datum_t der;
    gnutls_x509_crt_t crt;
    unsigned bits = 0;
    assert_int_equal(gnutls_certificate_get_crt_raw(t->tls.certs[i].cred, 0, 0, &der), 0);
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER), 0);
    time_t from = gnutls_x509_crt_get_activation_time(crt);
    time_t until = gnutls_x509_crt_get_expiration_time(crt);
    assert_true(until > time(NULL) && until - from < 14 * 86400);
    assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_ECDSA);
    assert_int_equal(bits, 256);
    uint8_t md[32];
    assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, md), 0);
    assert_memory_equal(md, t->tls.certs[i].sha256, 32); /* the hash a page is given */
    gnutls_x509_crt_deinit(crt);
}

/* How many hashes GET /wt's JSON names (after its port, path and
 * timeout); the first in first (65 bytes). */
static int hashes_served(const struct relay_quic *t, char *first)
{
    char json[512];
    assert_true(transport_quic_tls_webtransport(t, json, sizeof json) > 0);
    char port[32];
    snprintf(port, sizeof port, "{\"port\":%u,\"path\":\"/wt\"", netaddr_port(&t->local));
    assert_non_null(strstr(json, port));
    char timeout[48]; /* the silence a page's keepalive must stay within */
    snprintf(timeout, sizeof timeout, ",\"timeout_ms\":%u,", (unsigned)t->cfg.timeout_ms);
    assert_non_null(strstr(json, timeout));
    const char *h = strstr(json, "\"hashes\":[");
    int n = 0;
    for (const char *q = h ? strchr(h, '[') : NULL; q && (q = strchr(q + 1, '"')); q++, n++) {
        if (n == 0)
            snprintf(first, 65, "%s", q + 1);
        q = strchr(q + 1, '"');
        if (!q)
            break;
    }
    return n;
}

static void certificates_for_browsers(void **state)
{
    (void)state;
    env_open(&E, 4);
    char first[65], hex[65];
    uint8_t was = E.t->tls.cert_now;
    browser_certificate(E.t, was);
    assert_int_equal(hashes_served(E.t, first), 1);
    struct harness_rec r = {.n = 1};
    r.c[0] = member(&E, "before", PROTO_MODE_UNSEQUENCED);
    welcome_all(&E, &r);
    assert_int_equal(E.t->tls.certs[was].conns, 1);
    assert_false(transport_quic_tls_renew(E.t, clock_now_us(), false)); /* not 6 days old */
    assert_true(transport_quic_tls_renew(E.t, clock_now_us(), true));
    uint8_t now = E.t->tls.cert_now;
    assert_int_not_equal(now, was);
    browser_certificate(E.t, now);
    assert_int_equal(hashes_served(E.t, first), 2);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", E.t->tls.certs[now].sha256[i]);
    assert_string_equal(first, hex); /* the newest first */
    assert_non_null(E.t->tls.certs[was].cred); /* its member's connection holds it */
    r.c[1] = member(&E, "after", PROTO_MODE_UNSEQUENCED);
    r.n = 2;
    welcome_all(&E, &r);
    assert_int_equal(E.t->tls.certs[now].conns, 1);
    ricochet_close(r.c[0]);
    r.c[0] = NULL;
    for (int k = 0; k < 400 && E.t->tls.certs[was].cred; k++)
        pump_for(&E, &r, 10);
    assert_null(E.t->tls.certs[was].cred); /* freed with its last connection */
    assert_int_equal(hashes_served(E.t, first), 2); /* still valid: its hash stays served */
    ricochet_close(r.c[1]);
    env_close(&E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(certificates_for_browsers),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
