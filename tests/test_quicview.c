/* test_quicview.c: the states `ricochet-netsim --wire quic` reads inside QUIC
 * (`lab/netsim/quicview.c`), pinned by RFC 9001's Appendix A: the Initial keys of
 * A.1, the server's Initial of A.3 sealed by the test byte for byte and opened
 * (its suite and Connection ID read, a bad tag not opened), the ChaCha20 short
 * packet of A.5 opened at its packet number; then a session made by hand: a
 * client's Initial after a Retry (a new Destination Connection ID), the
 * server's, the traffic secrets in a key log; DATAGRAM frames' states on both
 * channels both ways; a stream's states, one cut across two packets, named
 * again in the packet that retransmits their bytes, a datagram read twice
 * naming the same ones, nothing after a gap; a key update followed and a late
 * packet of the old keys opened; nothing opened before the key log's lines,
 * then read; garbage and bad frames reported malformed; a WebTransport session
 * (its ClientHello offering the ALPN h3): a datagram read past its quarter
 * stream ID, the CONNECT's stream and HTTP/3's control stream passed over, the
 * session's stream past the client's preamble (cut inside it) and the server's
 * side without one, a sender's own stream past its type and session; a
 * ClientHello offering ricochet too read as ricochet's */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "lab/netsim/quicview.h"
#include "proto/wire.h"

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    for (; s[0] && s[1]; s += 2) {
        unsigned v;
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void assert_hex(const uint8_t *got, const char *want)
{
    uint8_t w[64];
    size_t n = unhex(want, w);
    assert_memory_equal(got, w, n);
}

/* ---- this test's sealer (AES-128-GCM): RFC 9001 §5.3, §5.4 ------------- */

/* Seals pkt[0..hdr) (its packet number, pn_len bytes, ending it) and the
 * payload after it; returns the packet's length. */
static size_t seal(const struct quickeys *k, uint8_t *pkt, size_t hdr, size_t pn_len,
                   uint64_t pn, const uint8_t *payload, size_t n)
{
    uint8_t nonce[12], mask[16];
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl, fin;
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, pkt, (int)hdr), 1);
    assert_int_equal(EVP_EncryptUpdate(c, pkt + hdr, &outl, payload, (int)n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(c, pkt + hdr + outl, &fin), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, pkt + hdr + n), 1);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(c, mask, &outl, pkt + hdr - pn_len + 4, 16), 1);
    EVP_CIPHER_CTX_free(c);
    pkt[0] ^= mask[0] & (pkt[0] & 0x80 ? 0x0f : 0x1f);
    for (size_t i = 0; i < pn_len; i++)
        pkt[hdr - pn_len + i] ^= mask[1 + i];
    return hdr + n + 16;
}

/* An Initial (2-byte packet number) of payload[0..n). */
static size_t initial(const struct quickeys *k, uint8_t *pkt, const uint8_t *dcid,
                      size_t dcid_len, const uint8_t *scid, size_t scid_len, uint64_t pn,
                      const uint8_t *payload, size_t n)
{
    size_t at = 0;
    pkt[at++] = 0xc1;
    memcpy(pkt + at, "\x00\x00\x00\x01", 4);
    at += 4;
    pkt[at++] = (uint8_t)dcid_len;
    memcpy(pkt + at, dcid, dcid_len);
    at += dcid_len;
    pkt[at++] = (uint8_t)scid_len;
    memcpy(pkt + at, scid, scid_len);
    at += scid_len;
    pkt[at++] = 0; /* no token */
    size_t len = 2 + n + 16;
    pkt[at++] = (uint8_t)(0x40 | len >> 8);
    pkt[at++] = (uint8_t)len;
    pkt[at++] = (uint8_t)(pn >> 8);
    pkt[at++] = (uint8_t)pn;
    return seal(k, pkt, at, 2, pn, payload, n);
}

/* A short-header packet (2-byte packet number, key phase) to a DCID of
 * dcid_len bytes. */
static size_t onertt(const struct quickeys *k, uint8_t *pkt, size_t dcid_len, int phase,
                     uint64_t pn, const uint8_t *payload, size_t n)
{
    pkt[0] = (uint8_t)(0x41 | phase << 2);
    memset(pkt + 1, 0xcd, dcid_len);
    pkt[1 + dcid_len] = (uint8_t)(pn >> 8);
    pkt[2 + dcid_len] = (uint8_t)pn;
    return seal(k, pkt, 3 + dcid_len, 2, pn, payload, n);
}

/* ---- RFC 9001, Appendix A ------------------------------------------------ */

static const char a3_payload[] =
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
    "020304";
static const char a3_packet[] =
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee";
static const uint8_t a1_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void initial_keys_of_a1(void **state)
{
    (void)state;
    struct quickeys k[2];
    assert_int_equal(quickeys_initial(a1_dcid, sizeof a1_dcid, k), 0);
    assert_hex(k[0].secret, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
    assert_hex(k[0].key, "1f369613dd76d5467730efcbe3b1a22d");
    assert_hex(k[0].iv, "fa044b2f42a3fd3b46fb255c");
    assert_hex(k[0].hp, "9f50449e04a0e810283a1e9933adedd2");
    assert_hex(k[1].secret, "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");
    assert_hex(k[1].key, "cf3a5331653c364c88f0f379b6067e37");
    assert_hex(k[1].iv, "0ac1493ca1905853b0bba03e");
    assert_hex(k[1].hp, "c206b8d9b9f0f37644430b490eeaa314");
}

/* A.3: this test's sealer makes the RFC's packet; quicview opens it and
 * reads the ServerHello's suite and the server's Connection ID length. */
static void server_initial_of_a3(void **state)
{
    (void)state;
    uint8_t payload[128], want[256], pkt[256];
    size_t n = unhex(a3_payload, payload), want_len = unhex(a3_packet, want);
    struct quickeys k[2];
    assert_int_equal(quickeys_initial(a1_dcid, sizeof a1_dcid, k), 0);
    size_t hdr = unhex("c1000000010008f067a5502a4262b50040750001", pkt);
    assert_int_equal(seal(&k[1], pkt, hdr, 2, 1, payload, n), want_len);
    assert_memory_equal(pkt, want, want_len);

    struct quicview_flow f = {.initial_keyed = true};
    memcpy(f.initial, k, sizeof k);
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = quicview_datagram(&f, NULL, false, want, want_len, refs);
    assert_int_equal(r.malformed, 0);
    assert_int_equal(r.states, 0);
    assert_int_equal(f.unread, 0);
    assert_int_equal(f.suite, QUICKEYS_AES_128_GCM);
    assert_true(f.have_scid[1]);
    assert_int_equal(f.scid_len[1], 8);
    want[want_len - 1] ^= 1; /* a bad tag: not opened */
    quicview_datagram(&f, NULL, false, want, want_len, refs);
    assert_int_equal(f.unread, 1);
    quicview_flow_free(&f);
}

/* A.5: ChaCha20-Poly1305's keys from the secret, and its short packet
 * (a PING, packet number 654360564) opened. */
static void chacha_short_packet_of_a5(void **state)
{
    (void)state;
    uint8_t secret[32], pkt[32];
    unhex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b", secret);
    struct quicview_flow f = {.keyed = true, .have_scid = {true, true}};
    assert_int_equal(quickeys_traffic(QUICKEYS_CHACHA20, secret, 32, &f.app[1]), 0);
    assert_hex(f.app[1].key, "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8");
    assert_hex(f.app[1].iv, "e0459b3474bdd0e44a41c144");
    assert_hex(f.app[1].hp, "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4");
    f.largest[1][1] = 654360563;
    f.seen[1][1] = true;
    size_t n = unhex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb", pkt);
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = quicview_datagram(&f, NULL, false, pkt, n, refs);
    assert_int_equal(r.malformed, 0);
    assert_int_equal(f.unread, 0);
    assert_int_equal(f.packets, 1);
    assert_int_equal(f.largest[1][1], 654360564);
    assert_int_equal(quickeys_traffic(0x1304, secret, 32, &f.app[0]), -1);
    assert_int_equal(quickeys_traffic(QUICKEYS_AES_256_GCM, secret, 32, &f.app[0]), -1);
}

/* ---- a session made by hand ----------------------------------------------- */

#define CID_LEN 8
static const uint8_t client_cid[CID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t server_cid[CID_LEN] = {9, 10, 11, 12, 13, 14, 15, 16};

struct session {
    char keylog[64];
    struct dtlsview_keylog *k;
    struct quicview_flow f;
    struct quickeys app[2];
    uint64_t pn[2];
    struct statescan_ref refs[STATESCAN_MAX];
};

/* A state of sender, seq: PROTOCOL.md's header and a payload. */
static size_t state_msg(uint8_t *p, uint32_t sender, uint32_t seq)
{
    memset(p, 0, PROTO_STATE_SIZE);
    p[0] = PROTO_STATE_VERSION;
    p[1] = PROTO_MSG_STATE;
    for (int i = 0; i < 4; i++) {
        p[4 + i] = (uint8_t)(sender >> (24 - 8 * i));
        p[8 + i] = (uint8_t)(seq >> (24 - 8 * i));
    }
    return PROTO_STATE_SIZE;
}

/* The client's Initial (a CRYPTO frame, its ClientHello's random 0x11
 * each, and with alpn the ALPN extension offering it: "h3", or "h3" and
 * "ricochet"), padded to 1200 bytes, to the Destination Connection ID dcid. */
static size_t client_initial(uint8_t *pkt, const uint8_t *dcid, const char *alpn)
{
    struct quickeys k[2];
    uint8_t payload[1200 - 1 - 4 - 2 - 2 * CID_LEN - 1 - 2 - 2 - 16] = {0x06, 0x00, 0x40, 0x50,
                                                                      0x01, 0x00, 0x00, 0x4c,
                                                                      0x03, 0x03};
    memset(payload + 4 + 6, 0x11, DTLSVIEW_RANDOM);
    if (alpn) { /* no session ID, a suite, no compression, then the extension */
        static const uint8_t h3[] = {0, 0, 2, 0x13, 1, 1, 0, 0, 9, 0, 16, 0, 5, 0, 3, 2, 'h', '3'};
        static const uint8_t both[] = {0,   0,   2,   0x13, 1,   1,   0,   0,   18,  0,
                                       16,  0,   14,  0,    12,  2,   'h', '3', 8,   'r',
                                       'i', 'c', 'o', 'c',  'h', 'e', 't'};
        bool one = strcmp(alpn, "h3") == 0;
        memcpy(payload + 4 + 6 + DTLSVIEW_RANDOM, one ? h3 : both, one ? sizeof h3 : sizeof both);
    }
    assert_int_equal(quickeys_initial(dcid, CID_LEN, k), 0);
    return initial(&k[0], pkt, dcid, CID_LEN, client_cid, CID_LEN, 0, payload, sizeof payload);
}

/* The server's Initial: its ServerHello names TLS_AES_128_GCM_SHA256. */
static size_t server_initial(uint8_t *pkt, const uint8_t *dcid)
{
    struct quickeys k[2];
    uint8_t payload[64] = {0x06, 0x00, 0x40, 0x30, 0x02, 0x00, 0x00, 0x2c, 0x03, 0x03};
    memset(payload + 4 + 6, 0x22, DTLSVIEW_RANDOM);
    payload[4 + 38] = 0;    /* no session ID */
    payload[4 + 39] = 0x13; /* the suite */
    payload[4 + 40] = 0x01;
    assert_int_equal(quickeys_initial(dcid, CID_LEN, k), 0);
    return initial(&k[1], pkt, client_cid, CID_LEN, server_cid, CID_LEN, 0, payload,
                   sizeof payload);
}

static void keylog_line(FILE *f, const char *label, uint8_t fill)
{
    fprintf(f, "%s ", label);
    for (int i = 0; i < DTLSVIEW_RANDOM; i++)
        fprintf(f, "11");
    fputc(' ', f);
    for (int i = 0; i < 32; i++)
        fprintf(f, "%02x", fill);
    fputc('\n', f);
}

/* One datagram from the client (or the server) into the view; returns the
 * states found (s->refs). */
static struct statescan_result feed(struct session *s, bool from_client, const uint8_t *pkt,
                                    size_t n)
{
    return quicview_datagram(&s->f, s->k, from_client, pkt, n, s->refs);
}

/* A handshake seen by the view: the client's first Initial, a Retry's
 * answer (a new DCID), the server's Initial; with_keys: the key log
 * holds the session's traffic secrets. */
static void session_open_alpn(struct session *s, bool with_keys, const char *alpn)
{
    char err[160];
    uint8_t pkt[1500], first_dcid[CID_LEN] = {0xa0, 1, 2, 3, 4, 5, 6, 7},
                       retry_dcid[CID_LEN] = {0xb0, 1, 2, 3, 4, 5, 6, 7};
    memset(s, 0, sizeof *s);
    snprintf(s->keylog, sizeof s->keylog, "/tmp/test_quicview.XXXXXX");
    int fd = mkstemp(s->keylog);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    if (with_keys) {
        keylog_line(f, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0x99);
        keylog_line(f, "CLIENT_TRAFFIC_SECRET_0", 0x33);
        keylog_line(f, "SERVER_TRAFFIC_SECRET_0", 0x44);
    }
    fclose(f);
    s->k = dtlsview_keylog_open(s->keylog, err, sizeof err);
    assert_non_null(s->k);
    size_t n = client_initial(pkt, first_dcid, alpn);
    assert_int_equal(n, 1200);
    assert_true(quicview_is_initial(pkt, n));
    assert_int_equal(feed(s, true, pkt, n).malformed, 0);
    uint8_t retry[] = {0xf0, 0, 0, 0, 1, CID_LEN, 1, 2, 3, 4, 5, 6, 7, 8, CID_LEN, 0xb0, 1, 2,
                       3, 4, 5, 6, 7, 't', 'o', 'k', 'e', 'n'};
    assert_int_equal(feed(s, false, retry, sizeof retry).malformed, 0);
    n = client_initial(pkt, retry_dcid, alpn);
    feed(s, true, pkt, n);
    n = server_initial(pkt, retry_dcid);
    feed(s, false, pkt, n);
    assert_int_equal(s->f.unread, 0);
    assert_true(s->f.have_random);
    assert_int_equal(s->f.suite, QUICKEYS_AES_128_GCM);
    uint8_t secret[32];
    memset(secret, 0x33, 32);
    assert_int_equal(quickeys_traffic(QUICKEYS_AES_128_GCM, secret, 32, &s->app[0]), 0);
    memset(secret, 0x44, 32);
    assert_int_equal(quickeys_traffic(QUICKEYS_AES_128_GCM, secret, 32, &s->app[1]), 0);
}

static void session_open(struct session *s, bool with_keys)
{
    session_open_alpn(s, with_keys, NULL);
}

static void session_close(struct session *s)
{
    quicview_flow_free(&s->f);
    dtlsview_keylog_free(s->k);
    unlink(s->keylog);
}

/* A 1-RTT packet of frames[0..n) from a side, with its next number. */
static struct statescan_result send_1rtt(struct session *s, bool from_client,
                                         const uint8_t *frames, size_t n)
{
    uint8_t pkt[1500];
    int side = from_client ? 0 : 1;
    size_t len = onertt(&s->app[side], pkt, CID_LEN, 0, s->pn[side]++, frames, n);
    return feed(s, from_client, pkt, len);
}

/* A DATAGRAM frame (with its length) of a batch-less state on channel. */
static size_t datagram_frame(uint8_t *p, uint8_t channel, uint32_t sender, uint32_t seq)
{
    p[0] = 0x31;
    p[1] = 1 + PROTO_STATE_SIZE;
    p[2] = channel;
    return 3 + state_msg(p + 3, sender, seq);
}

static void datagram_frames(void **state)
{
    (void)state;
    struct session s;
    session_open(&s, true);
    uint8_t frames[256] = {0x01, 0x00}; /* PING, PADDING */
    size_t n = 2 + datagram_frame(frames + 2, PROTO_CHANNEL_STATE, 0, 7);
    n += datagram_frame(frames + n, 2, 0, 8);
    struct statescan_result r = send_1rtt(&s, true, frames, n);
    assert_int_equal(r.malformed, 0);
    assert_int_equal(r.states, 2);
    assert_int_equal(s.refs[0].seq, 7);
    assert_int_equal(s.refs[0].kind, STATESCAN_DATAGRAM);
    assert_int_equal(s.refs[0].channel, PROTO_CHANNEL_STATE);
    assert_int_equal(s.refs[1].seq, 8);
    assert_int_equal(s.refs[1].channel, 2);
    /* downstream, a sender's id stamped; an ACK before it */
    uint8_t down[256] = {0x02, 0x05, 0x00, 0x00, 0x05};
    n = 5 + datagram_frame(down + 5, PROTO_CHANNEL_STATE, 42, 9);
    r = send_1rtt(&s, false, down, n);
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].sender, 42);
    assert_int_equal(s.f.unread, 0);
    session_close(&s);
}

/* A STREAM frame with offset and length of data[0..n) on stream id. */
static size_t stream_frame(uint8_t *p, uint8_t id, uint16_t off, const uint8_t *data, size_t n)
{
    p[0] = 0x0e;
    p[1] = id;
    p[2] = (uint8_t)(0x40 | off >> 8);
    p[3] = (uint8_t)off;
    p[4] = (uint8_t)(0x40 | n >> 8);
    p[5] = (uint8_t)n;
    memcpy(p + 6, data, n);
    return 6 + n;
}

/* Two framed states (2-byte lengths) into p; returns their length. */
static size_t two_frames(uint8_t *p, uint32_t seq)
{
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        p[n] = 0;
        p[n + 1] = PROTO_STATE_SIZE;
        n += 2 + state_msg(p + n + 2, 0, seq + (uint32_t)i);
    }
    return n;
}

static void stream_frames_and_retransmissions(void **state)
{
    (void)state;
    struct session s;
    session_open(&s, true);
    uint8_t bytes[256], frames[512];
    size_t b = two_frames(bytes, 100);
    /* the first state's frame in one packet, the second's cut across two */
    size_t cut = 2 + PROTO_STATE_SIZE + 5;
    struct statescan_result r = send_1rtt(&s, true, frames, stream_frame(frames, 0, 0, bytes, cut));
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].seq, 100);
    assert_int_equal(s.refs[0].kind, STATESCAN_RELIABLE);
    r = send_1rtt(&s, true, frames, stream_frame(frames, 0, (uint16_t)cut, bytes + cut, b - cut));
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].seq, 101);
    /* the first packet's bytes again, in a new packet: its state again */
    r = send_1rtt(&s, true, frames, stream_frame(frames, 0, 0, bytes, cut));
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].seq, 100);
    /* all of them again: both; the same datagram read twice: the same */
    uint8_t pkt[1500];
    size_t len = onertt(&s.app[0], pkt, CID_LEN, 0, s.pn[0]++, frames,
                        stream_frame(frames, 0, 0, bytes, b));
    for (int i = 0; i < 2; i++) {
        r = feed(&s, true, pkt, len);
        assert_int_equal(r.states, 2);
        assert_int_equal(s.refs[1].seq, 101);
    }
    /* another stream (the server's), after a gap on the first: nothing there */
    r = send_1rtt(&s, true, frames, stream_frame(frames, 0, (uint16_t)(b + 10), bytes, b));
    assert_int_equal(r.states, 0);
    r = send_1rtt(&s, false, frames, stream_frame(frames, 3, 0, bytes, b));
    assert_int_equal(r.states, 2);
    assert_int_equal(s.f.unread, 0);
    session_close(&s);
}

/* A WebTransport session (the ClientHello offers h3 alone): a datagram's
 * quarter stream ID skipped; the CONNECT's stream passed over; the
 * session's stream read past the client's preamble, the server's side of
 * it without one; of the server's unidirectional streams, HTTP/3's
 * control stream passed over and a sender's own (0x54) read. Offering
 * ricochet too, a flow is ricochet's. */
static void webtransport_session(void **state)
{
    (void)state;
    struct session s;
    session_open_alpn(&s, true, "h3");
    assert_true(s.f.h3);
    uint8_t bytes[256], frames[512], dg[64];
    dg[0] = 0x31;
    dg[1] = 2 + PROTO_STATE_SIZE;
    dg[2] = 0x00; /* the quarter stream ID */
    dg[3] = 1;
    size_t n = 4 + state_msg(dg + 4, 0, 7);
    struct statescan_result r = send_1rtt(&s, true, dg, n);
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].seq, 7);
    assert_int_equal(s.refs[0].channel, 1);
    /* the CONNECT's stream: bytes that would read as a framed state */
    bytes[0] = 0;
    bytes[1] = PROTO_STATE_SIZE;
    size_t b = 2 + state_msg(bytes + 2, 0, 8);
    r = send_1rtt(&s, true, frames, stream_frame(frames, 0, 0, bytes, b));
    assert_int_equal(r.states + r.malformed, 0);
    /* the session's stream: 0x41 (two bytes) and the session's ID first */
    bytes[0] = 0x40;
    bytes[1] = 0x41;
    bytes[2] = 0x00;
    b = 3 + two_frames(bytes + 3, 20);
    r = send_1rtt(&s, true, frames, stream_frame(frames, 4, 0, bytes, 1)); /* cut in 0x41 */
    assert_int_equal(r.states, 0);
    r = send_1rtt(&s, true, frames, stream_frame(frames, 4, 1, bytes + 1, b - 1));
    assert_int_equal(r.states, 2);
    assert_int_equal(s.refs[1].seq, 21);
    r = send_1rtt(&s, false, frames, stream_frame(frames, 4, 0, bytes + 3, b - 3));
    assert_int_equal(r.states, 2);
    /* the server's control stream (type 0), its bytes past two varints
     * those of a framed state; then a sender's own */
    bytes[0] = bytes[1] = bytes[2] = 0;
    bytes[3] = PROTO_STATE_SIZE;
    b = 4 + state_msg(bytes + 4, 0, 9);
    r = send_1rtt(&s, false, frames, stream_frame(frames, 3, 0, bytes, b));
    assert_int_equal(r.states, 0);
    bytes[0] = 0x40;
    bytes[1] = 0x54;
    b = 3 + two_frames(bytes + 3, 30);
    r = send_1rtt(&s, false, frames, stream_frame(frames, 7, 0, bytes, b));
    assert_int_equal(r.states, 2);
    assert_int_equal(s.refs[0].seq, 30);
    assert_int_equal(s.f.unread, 0);
    session_close(&s);

    session_open_alpn(&s, true, "both");
    assert_false(s.f.h3);
    n = state_msg(dg + 3, 0, 9); /* ricochet's datagram: the channel byte first */
    dg[1] = (uint8_t)(1 + n);
    dg[2] = 2;
    r = send_1rtt(&s, true, dg, 3 + n);
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].channel, 2);
    session_close(&s);
}

/* RFC 9001 §6.1: the next secret, HKDF-Expand-Label(secret, "quic ku"). */
static void next_secret(const struct quickeys *k, uint8_t out[32])
{
    static const uint8_t info[] = {0, 32, 13, 't', 'l', 's', '1', '3', ' ', 'q', 'u', 'i', 'c',
                                   ' ', 'k', 'u', 0};
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)k->secret, 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, sizeof info),
        OSSL_PARAM_construct_end(),
    };
    assert_int_equal(EVP_KDF_derive(c, out, 32, params), 1);
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
}

/* A key update: the next generation's keys ("quic ku") open a packet whose
 * key phase bit turned; the generation before still opens a late one. */
static void key_update(void **state)
{
    (void)state;
    struct session s;
    session_open(&s, true);
    uint8_t frames[256], pkt[1500], late[1500];
    size_t n = datagram_frame(frames, PROTO_CHANNEL_STATE, 0, 1);
    size_t late_len = onertt(&s.app[0], late, CID_LEN, 0, s.pn[0]++, frames, n);
    assert_int_equal(send_1rtt(&s, true, frames, n).states, 1);
    uint8_t secret[32];
    struct quickeys next;
    next_secret(&s.app[0], secret);
    assert_int_equal(quickeys_traffic(QUICKEYS_AES_128_GCM, secret, 32, &next), 0);
    memcpy(next.hp, s.app[0].hp, sizeof next.hp);
    n = datagram_frame(frames, PROTO_CHANNEL_STATE, 0, 2);
    size_t len = onertt(&next, pkt, CID_LEN, 1, s.pn[0]++, frames, n);
    struct statescan_result r = feed(&s, true, pkt, len);
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].seq, 2);
    assert_int_equal(s.f.phase[0], 1);
    r = feed(&s, true, late, late_len);
    assert_int_equal(r.states, 1);
    assert_int_equal(s.refs[0].seq, 1);
    assert_int_equal(s.f.unread, 0);
    session_close(&s);
}

/* Without the key log's lines nothing opens; the lines written later are
 * read then. */
static void keys_logged_late(void **state)
{
    (void)state;
    struct session s;
    session_open(&s, false);
    uint8_t frames[256];
    size_t n = datagram_frame(frames, PROTO_CHANNEL_STATE, 0, 1);
    assert_int_equal(send_1rtt(&s, true, frames, n).states, 0);
    assert_int_equal(s.f.unread, 1);
    FILE *f = fopen(s.keylog, "a");
    keylog_line(f, "CLIENT_TRAFFIC_SECRET_0", 0x33);
    keylog_line(f, "SERVER_TRAFFIC_SECRET_0", 0x44);
    fclose(f);
    assert_int_equal(send_1rtt(&s, true, frames, n).states, 1);
    session_close(&s);
}

/* Bytes that are no QUIC: reported, never read past their end. */
static void garbage(void **state)
{
    (void)state;
    struct session s;
    session_open(&s, true);
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 1);
    junk[0] = 0xc0; /* a long header of another version */
    assert_int_equal(feed(&s, true, junk, sizeof junk).malformed, 1);
    junk[1] = junk[2] = junk[3] = 0;
    junk[4] = 1;
    junk[5] = 200; /* a Connection ID too long */
    assert_int_equal(feed(&s, true, junk, sizeof junk).malformed, 1);
    assert_int_equal(feed(&s, true, junk, 3).malformed, 1);
    /* a frame of a type QUIC does not have, in a packet that opens */
    uint8_t frames[4] = {0x01, 0x40, 0x21, 0x00};
    assert_int_equal(send_1rtt(&s, true, frames, sizeof frames).malformed, 1);
    /* a DATAGRAM frame whose length runs past the packet */
    uint8_t cut[4] = {0x31, 0x40, 0xff, 0x01};
    assert_int_equal(send_1rtt(&s, true, cut, sizeof cut).malformed, 1);
    session_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initial_keys_of_a1),
        cmocka_unit_test(server_initial_of_a3),
        cmocka_unit_test(chacha_short_packet_of_a5),
        cmocka_unit_test(datagram_frames),
        cmocka_unit_test(stream_frames_and_retransmissions),
        cmocka_unit_test(webtransport_session),
        cmocka_unit_test(key_update),
        cmocka_unit_test(keys_logged_late),
        cmocka_unit_test(garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
