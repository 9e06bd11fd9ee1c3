/* target_dtlsview.c: fuzzes dtlsview_datagram, netsim reading the states
 * inside a WebRTC flow's DTLS records (see targets.h).
 *
 * The input: a byte of settings (bit 0: the flow starts keyed, with this
 * target's keys), then datagrams, each a byte (bit 0: from the DTLS
 * client; bit 1: sealed), 2 bytes of length and its bytes. A sealed one's
 * bytes are the plaintext of one application record (an SCTP packet), which
 * the target seals with AES-128-GCM under the flow's keys when it has them
 * (else this target's), as a DTLS 1.2 peer does; the rest are datagrams as
 * they come. The key log holds one session, whose client random the
 * seeds' ClientHello carries. Checked: each state carries a channel and
 * kind a data channel's label gives; at most DTLSVIEW_CHANNELS channels; a
 * record sealed under the flow's keys opens; records left unread never
 * decrease. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lab/netsim/dtlsview.h"
#include "targets.h"

#define FUZZ_DTLS_PLAIN_MAX 2048
#define FUZZ_DTLS_RECORD (13 + 8 + FUZZ_DTLS_PLAIN_MAX + 16)

/* The key log's session: a client random and a master secret. */
static const uint8_t fuzz_dtls_random[DTLSVIEW_RANDOM] = {
    0x52, 0x69, 0x63, 0x6f, 0x63, 0x68, 0x65, 0x74, 0x20, 0x66, 0x75, 0x7a, 0x7a, 0x20, 0x72, 0x61,
    0x6e, 0x64, 0x6f, 0x6d, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b};
static char fuzz_dtls_keylog_path[64];

static void fuzz_dtls_keylog_remove(void)
{
    if (fuzz_dtls_keylog_path[0])
        unlink(fuzz_dtls_keylog_path);
}

/* A key log with the one session, written once per process. */
static struct dtlsview_keylog *fuzz_dtls_keylog(void)
{
    static struct dtlsview_keylog *k;
    if (k)
        return k;
    snprintf(fuzz_dtls_keylog_path, sizeof fuzz_dtls_keylog_path,
             "/tmp/ricochet-fuzz-keylog-XXXXXX");
    int fd = mkstemp(fuzz_dtls_keylog_path);
    FUZZ_CHECK(fd >= 0);
    atexit(fuzz_dtls_keylog_remove);
    FILE *f = fdopen(fd, "w");
    FUZZ_CHECK(f != NULL);
    fprintf(f, "# SSL/TLS secrets log file\nCLIENT_RANDOM ");
    for (size_t i = 0; i < DTLSVIEW_RANDOM; i++)
        fprintf(f, "%02x", fuzz_dtls_random[i]);
    fprintf(f, " ");
    for (size_t i = 0; i < DTLSVIEW_SECRET; i++)
        fprintf(f, "%02x", (unsigned)(i * 7 + 1) & 0xff);
    fprintf(f, "\n");
    FUZZ_CHECK(fclose(f) == 0);
    char err[128];
    k = dtlsview_keylog_open(fuzz_dtls_keylog_path, err, sizeof err);
    FUZZ_CHECK(k != NULL);
    return k;
}

/* One application record of epoch 1, sequence number seq, sealed with key
 * and iv (RFC 5288's nonce: the implicit 4 bytes, then the explicit 8,
 * here the epoch and sequence number; RFC 6347's additional data).
 * Returns its length. */
static size_t fuzz_dtls_seal(const uint8_t key[16], const uint8_t iv[4], uint64_t seq,
                             const uint8_t *plain, size_t n, uint8_t *rec)
{
    uint8_t *h = rec, *explicit = rec + 13, *ct = rec + 13 + 8, nonce[12], aad[13];
    size_t len = 8 + n + 16;
    h[0] = 23; /* application data */
    h[1] = 0xfe;
    h[2] = 0xfd; /* DTLS 1.2 */
    h[3] = 0;
    h[4] = 1; /* epoch 1 */
    for (int i = 0; i < 6; i++)
        h[5 + i] = (uint8_t)(seq >> (8 * (5 - i)));
    h[11] = (uint8_t)(len >> 8);
    h[12] = (uint8_t)len;
    memcpy(explicit, h + 3, 8);
    memcpy(nonce, iv, 4);
    memcpy(nonce + 4, explicit, 8);
    memcpy(aad, h + 3, 8);
    memcpy(aad + 8, h, 3);
    aad[11] = (uint8_t)(n >> 8);
    aad[12] = (uint8_t)n;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, fin = 0;
    FUZZ_CHECK(c != NULL);
    FUZZ_CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce) == 1);
    FUZZ_CHECK(EVP_EncryptUpdate(c, NULL, &outl, aad, sizeof aad) == 1);
    FUZZ_CHECK(EVP_EncryptUpdate(c, ct, &outl, plain, (int)n) == 1);
    FUZZ_CHECK(EVP_EncryptFinal_ex(c, ct + outl, &fin) == 1);
    FUZZ_CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, ct + n) == 1);
    EVP_CIPHER_CTX_free(c);
    return 13 + len;
}

static void fuzz_dtls_check_result(const struct dtlsview_flow *f, struct statescan_result r,
                                   const struct statescan_ref *out)
{
    FUZZ_CHECK(r.peer == -1 && f->n_channels <= DTLSVIEW_CHANNELS);
    for (size_t i = 0; i < r.states && i < STATESCAN_MAX; i++) {
        FUZZ_CHECK(out[i].channel == 1 || out[i].channel == 2);
        FUZZ_CHECK(out[i].kind == STATESCAN_UNSEQUENCED ||
                   (out[i].kind == STATESCAN_RELIABLE && out[i].channel == 2));
    }
}

int fuzz_target_dtlsview(const uint8_t *data, size_t size)
{
    static struct dtlsview_flow f;
    static uint8_t rec[FUZZ_DTLS_RECORD];
    static const uint8_t own_key[16] = "ricochet fuzz k", own_iv[4] = {1, 2, 3, 4};
    struct dtlsview_keylog *k = fuzz_dtls_keylog();
    struct fuzz_input in = {data, size};
    memset(&f, 0, sizeof f);
    if (fuzz_byte(&in) & 1) {
        f.keyed = true;
        for (int d = 0; d < 2; d++) {
            memcpy(f.key[d], own_key, 16);
            memcpy(f.iv[d], own_iv, 4);
        }
    }
    uint64_t seq = 0;
    while (in.left > 0) {
        uint8_t op = fuzz_byte(&in);
        size_t len = (size_t)fuzz_byte(&in) << 8;
        len |= fuzz_byte(&in);
        len = len < in.left ? len : in.left;
        len = len < FUZZ_DTLS_PLAIN_MAX ? len : FUZZ_DTLS_PLAIN_MAX;
        bool from_client = op & 1;
        const uint8_t *bytes = in.p;
        in.p += len;
        in.left -= len;
        size_t n = len;
        bool keyed = f.keyed;
        int dir = from_client ? 0 : 1;
        if (op & 2) {
            n = fuzz_dtls_seal(keyed ? f.key[dir] : own_key, keyed ? f.iv[dir] : own_iv,
                               ++seq, bytes, len, rec);
            bytes = rec;
        }
        uint64_t unread = f.unread;
        struct statescan_ref out[STATESCAN_MAX];
        struct statescan_result r = dtlsview_datagram(&f, k, from_client, bytes, n, out);
        fuzz_dtls_check_result(&f, r, out);
        FUZZ_CHECK(f.unread >= unread);
        if ((op & 2) && keyed)
            FUZZ_CHECK(f.unread == unread); /* sealed under its keys: opened */
    }
    return 0;
}
