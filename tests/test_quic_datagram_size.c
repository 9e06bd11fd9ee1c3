/* test_quic_datagram_size.c: a DATAGRAM frame over the size the relay's
 * quic edge announced (in process on 127.0.0.1), in a packet sealed by
 * hand with the client's keys (its key log), closes its connection
 * (PROTOCOL_VIOLATION, counted) and the others play on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "client/lib/client_test.h"
#include "tests/support/quic_edge.h"

/* A 1-RTT packet of the client's connection made by hand: its traffic
 * secret from the key log (CLIENT_TRAFFIC_SECRET_0), the connection's
 * cipher suite, its current destination ID, packet number pn; payload
 * encrypted and the header protected as RFC 9001 says (5.3, 5.4). Returns
 * the packet's length in out. */
static size_t forge_1rtt(struct client_quic *q, const char *keylog, uint64_t pn,
                         const uint8_t *payload, size_t len, uint8_t *out)
{
    char *log = harness_read_text(keylog), *line = log ? strstr(log, "CLIENT_TRAFFIC_SECRET_0 ")
                                                       : NULL;
    assert_non_null(line);
    const char *hex = strchr(line + strlen("CLIENT_TRAFFIC_SECRET_0 "), ' ') + 1;
    uint8_t secret[64], key[32], iv[16], hpkey[32];
    size_t secretlen = 0;
    while (secretlen < sizeof secret && sscanf(hex + 2 * secretlen, "%2hhx", &secret[secretlen]) == 1)
        secretlen++;
    free(log);
    const ngtcp2_crypto_ctx *ctx = ngtcp2_conn_get_crypto_ctx(q->conn);
    size_t keylen = ngtcp2_crypto_aead_keylen(&ctx->aead);
    size_t ivlen = ngtcp2_crypto_packet_protection_ivlen(&ctx->aead);
    assert_int_equal(ngtcp2_crypto_hkdf_expand_label(key, keylen, &ctx->md, secret, secretlen,
                                                     (const uint8_t *)"quic key", 8), 0);
    assert_int_equal(ngtcp2_crypto_hkdf_expand_label(iv, ivlen, &ctx->md, secret, secretlen,
                                                     (const uint8_t *)"quic iv", 7), 0);
    assert_int_equal(ngtcp2_crypto_hkdf_expand_label(hpkey, keylen, &ctx->md, secret,
                                                     secretlen, (const uint8_t *)"quic hp", 7),
                     0);
    const ngtcp2_cid *dcid = ngtcp2_conn_get_dcid(q->conn);
    size_t n = 0;
    out[n++] = 0x40 | 0x03; /* short header, fixed bit, key phase 0, 4-byte number */
    memcpy(out + n, dcid->data, dcid->datalen);
    n += dcid->datalen;
    size_t pn_at = n;
    for (int k = 3; k >= 0; k--)
        out[n++] = (uint8_t)(pn >> (8 * k));
    uint8_t nonce[16];
    memcpy(nonce, iv, ivlen);
    for (int k = 0; k < 8; k++)
        nonce[ivlen - 1 - (size_t)k] ^= (uint8_t)(pn >> (8 * k));
    ngtcp2_crypto_aead_ctx actx;
    assert_int_equal(ngtcp2_crypto_aead_ctx_encrypt_init(&actx, &ctx->aead, key, ivlen), 0);
    assert_int_equal(ngtcp2_crypto_encrypt(out + n, &ctx->aead, &actx, payload, len, nonce,
                                           ivlen, out, n), 0);
    ngtcp2_crypto_aead_ctx_free(&actx);
    n += len + ctx->aead.max_overhead;
    gnutls_cipher_hd_t hd;
    gnutls_datum_t hk = {.data = hpkey, .size = (unsigned)keylen};
    assert_int_equal(gnutls_cipher_init(&hd, (gnutls_cipher_algorithm_t)(intptr_t)
                                                 ctx->hp.native_handle, &hk, NULL), 0);
    ngtcp2_crypto_cipher_ctx cctx = {.native_handle = hd};
    uint8_t mask[32];
    assert_int_equal(ngtcp2_crypto_hp_mask(mask, &ctx->hp, &cctx, out + pn_at + 4), 0);
    gnutls_cipher_deinit(hd);
    out[0] ^= mask[0] & 0x1f;
    for (int k = 0; k < 4; k++)
        out[pn_at + (size_t)k] ^= mask[1 + k];
    return n;
}

/* A DATAGRAM frame over the max_datagram_frame_size the edge announced,
 * in a packet the client's keys seal (made by hand: no QUIC library sends
 * one): the edge closes its connection (PROTOCOL_VIOLATION, counted) and
 * the others play on. */
static void a_datagram_over_the_size_announced(void **state)
{
    (void)state;
    env_open(&E, 4);
    char dir[] = "/tmp/ricochet-quic-XXXXXX", keylog[64];
    assert_non_null(mkdtemp(dir));
    snprintf(keylog, sizeof keylog, "%s/keys", dir);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    struct client_config cfg = {.host = "127.0.0.1", .port = E.port, .room = "q", .name = "big",
                                .mode = PROTO_MODE_UNSEQUENCED, .timeout_ms = 5000,
                                .keylog = keylog, .transport = RICOCHET_TRANSPORT_QUIC};
    char err[256];
    r.c[0] = client_create(&cfg, err, sizeof err);
    assert_non_null(r.c[0]);
    r.c[1] = member(&E, "ok1", PROTO_MODE_UNSEQUENCED);
    r.c[2] = member(&E, "ok2", PROTO_MODE_RELIABLE);
    welcome_all(&E, &r);
    struct client_quic *q = link_of(r.c[0]);
    assert_int_equal(ngtcp2_conn_get_remote_transport_params(q->conn)->max_datagram_frame_size,
                     QUICMSG_DATAGRAM_FRAME_MAX);
    uint8_t frame[1300], pkt[1400];
    size_t n = 0;
    frame[n++] = 0x31; /* DATAGRAM with a length */
    frame[n++] = 0x40 | (1250 >> 8);
    frame[n++] = 1250 & 0xff;
    memset(frame + n, 0, 1250);
    frame[n] = PROTO_CHANNEL_STATE;
    n += 1250;
    size_t len = forge_1rtt(q, keylog, r.c[0]->wire.dgrams_sent + 1000, frame, n, pkt);
    assert_int_equal(send(q->fd, pkt, len, 0), (ssize_t)len);
    pump_for(&E, &r, 300);
    assert_int_equal(own(&E, QUIC_COUNT_PROTOCOL), 1);
    assert_true(r.disconnected[0]);
    uint32_t gone = ricochet_id(r.c[0]);
    assert_true(harness_rec_saw_left(&r, 1, gone, PROTO_LEFT_QUIT));
    for (int k = 0; k < 10; k++) {
        struct ricochet_state st = {.x = 1};
        assert_int_equal(ricochet_send_state(r.c[2], &st), RICOCHET_OK);
        pump_for(&E, &r, 5);
    }
    pump_for(&E, &r, 100);
    assert_int_equal(r.states[1][ricochet_id(r.c[2])], 10);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    unlink(keylog);
    rmdir(dir);
    env_close(&E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_datagram_over_the_size_announced),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
