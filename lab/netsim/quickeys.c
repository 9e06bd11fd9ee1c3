/* quickeys.c: QUIC's packet protection, RFC 9001 (see quickeys.h). */
#include "quickeys.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#define TAG 16               /* every QUIC suite's AEAD tag */
#define SAMPLE 16            /* header protection's sample */

/* RFC 9001 §5.2: version 1's Initial salt. */
static const uint8_t initial_salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                         0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

static const char *suite_digest(uint16_t suite)
{
    return suite == QUICKEYS_AES_256_GCM ? "SHA384" : "SHA256";
}

static size_t suite_key_len(uint16_t suite)
{
    return suite == QUICKEYS_AES_128_GCM ? 16 : 32;
}

/* HKDF (RFC 5869) by OpenSSL: extract (salt given) or expand (info). */
static int hkdf(const char *digest, int mode, const uint8_t *key, size_t key_len,
                const uint8_t *salt_or_info, size_t sl, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len),
        OSSL_PARAM_construct_octet_string(mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY
                                              ? OSSL_KDF_PARAM_SALT
                                              : OSSL_KDF_PARAM_INFO,
                                          (void *)salt_or_info, sl),
        OSSL_PARAM_construct_end(),
    };
    int ok = c && EVP_KDF_derive(c, out, out_len, params) == 1;
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
    return ok ? 0 : -1;
}

/* TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an empty context. */
static int expand_label(const char *digest, const uint8_t *secret, size_t secret_len,
                        const char *label, uint8_t *out, size_t out_len)
{
    uint8_t info[2 + 1 + 6 + 32 + 1];
    size_t n = strlen(label);
    if (n > 32)
        return -1;
    info[0] = (uint8_t)(out_len >> 8);
    info[1] = (uint8_t)out_len;
    info[2] = (uint8_t)(6 + n);
    memcpy(info + 3, "tls13 ", 6);
    memcpy(info + 9, label, n);
    info[9 + n] = 0;
    return hkdf(digest, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, secret_len, info, 10 + n, out,
                out_len);
}

int quickeys_traffic(uint16_t suite, const uint8_t *secret, size_t secret_len,
                          struct quickeys *out)
{
    size_t hash = suite == QUICKEYS_AES_256_GCM ? 48 : 32, key = suite_key_len(suite);
    if ((suite != QUICKEYS_AES_128_GCM && suite != QUICKEYS_AES_256_GCM &&
         suite != QUICKEYS_CHACHA20) || secret_len != hash)
        return -1;
    const char *d = suite_digest(suite);
    memset(out, 0, sizeof *out);
    out->suite = suite;
    out->secret_len = (uint8_t)secret_len;
    memcpy(out->secret, secret, secret_len);
    if (expand_label(d, secret, secret_len, "quic key", out->key, key) ||
        expand_label(d, secret, secret_len, "quic iv", out->iv, sizeof out->iv) ||
        expand_label(d, secret, secret_len, "quic hp", out->hp, key))
        return -1;
    return 0;
}

int quickeys_initial(const uint8_t *dcid, size_t dcid_len, struct quickeys out[2])
{
    uint8_t initial[32], side[32];
    static const char *const labels[2] = {"client in", "server in"};
    if (hkdf("SHA256", EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dcid_len, initial_salt,
             sizeof initial_salt, initial, sizeof initial))
        return -1;
    for (int i = 0; i < 2; i++)
        if (expand_label("SHA256", initial, sizeof initial, labels[i], side, sizeof side) ||
            quickeys_traffic(QUICKEYS_AES_128_GCM, side, sizeof side, &out[i]))
            return -1;
    return 0;
}

int quickeys_next(const struct quickeys *k, struct quickeys *out)
{
    uint8_t secret[48];
    if (expand_label(suite_digest(k->suite), k->secret, k->secret_len, "quic ku", secret,
                     k->secret_len) ||
        quickeys_traffic(k->suite, secret, k->secret_len, out))
        return -1;
    memcpy(out->hp, k->hp, sizeof out->hp);
    return 0;
}

/* OpenSSL's cipher by name, fetched once (a fetch at every packet costs
 * more than the packet's decryption). NULL if OpenSSL has none. */
static const EVP_CIPHER *cipher(int which)
{
    static const char *const names[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
                                        "AES-128-ECB", "AES-256-ECB", "ChaCha20"};
    static EVP_CIPHER *fetched[6];
    if (!fetched[which])
        fetched[which] = EVP_CIPHER_fetch(NULL, names[which], NULL);
    return fetched[which];
}

/* Header protection's mask from a sample (RFC 9001 §5.4.3, §5.4.4). */
static int hp_mask(const struct quickeys *k, const uint8_t *sample, uint8_t mask[5])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t block[SAMPLE + 16];
    static const uint8_t zeros[5];
    int outl = 0, ok;
    if (k->suite == QUICKEYS_CHACHA20)
        ok = c && cipher(5) && EVP_EncryptInit_ex(c, cipher(5), NULL, k->hp, sample) == 1 &&
             EVP_EncryptUpdate(c, block, &outl, zeros, sizeof zeros) == 1;
    else
        ok = c && cipher(k->suite == QUICKEYS_AES_128_GCM ? 3 : 4) &&
             EVP_EncryptInit_ex(c, cipher(k->suite == QUICKEYS_AES_128_GCM ? 3 : 4), NULL, k->hp,
                                NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
             EVP_EncryptUpdate(c, block, &outl, sample, SAMPLE) == 1;
    EVP_CIPHER_CTX_free(c);
    if (ok)
        memcpy(mask, block, 5);
    return ok ? 0 : -1;
}

static const EVP_CIPHER *aead(uint16_t suite)
{
    return cipher(suite == QUICKEYS_AES_128_GCM ? 0 : suite == QUICKEYS_AES_256_GCM ? 1 : 2);
}

/* Opens a payload in place: hdr[0..hdr_len) its header (unprotected) as
 * associated data, p[0..n) the ciphertext and its tag. Returns the
 * plaintext's length, or -1. */
static long open_payload(const struct quickeys *k, uint64_t pn, const uint8_t *hdr,
                         size_t hdr_len, uint8_t *p, size_t n)
{
    uint8_t nonce[12];
    if (n < TAG)
        return -1;
    memcpy(nonce, k->iv, sizeof nonce);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, fin = 0;
    size_t len = n - TAG;
    bool ok = c && aead(k->suite) && EVP_DecryptInit_ex(c, aead(k->suite), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, sizeof nonce, NULL) == 1 &&
              EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) == 1 &&
              EVP_DecryptUpdate(c, NULL, &outl, hdr, (int)hdr_len) == 1 &&
              EVP_DecryptUpdate(c, p, &outl, p, (int)len) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG, p + len) == 1 &&
              EVP_DecryptFinal_ex(c, p + outl, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? (long)outl + fin : -1;
}

/* RFC 9000 §A.3: the full packet number of a truncated one of pn_len
 * bytes, the largest opened so far being largest (none: seen false). */
static uint64_t decode_pn(uint64_t truncated, size_t pn_len, uint64_t largest, bool seen)
{
    uint64_t expected = seen ? largest + 1 : 0, win = (uint64_t)1 << (8 * pn_len);
    uint64_t hwin = win / 2, mask = win - 1;
    uint64_t candidate = (expected & ~mask) | truncated;
    if (candidate + hwin <= expected && candidate < ((uint64_t)1 << 62) - win)
        return candidate + win;
    if (candidate > expected + hwin && candidate >= win)
        return candidate - win;
    return candidate;
}

long quickeys_unprotect(const struct quickeys *k, uint8_t *pkt, size_t pn_at, size_t end,
                      bool long_header, uint64_t largest, bool seen, uint64_t *pn,
                      uint8_t **plain, int *phase)
{
    uint8_t mask[5];
    if (pn_at + 4 + SAMPLE > end || hp_mask(k, pkt + pn_at + 4, mask))
        return -1;
    uint8_t first = pkt[0] ^ (mask[0] & (long_header ? 0x0f : 0x1f));
    size_t pn_len = (size_t)(first & 3) + 1;
    uint64_t truncated = 0;
    uint8_t saved[5] = {pkt[0]};
    for (size_t i = 0; i < pn_len; i++) {
        saved[1 + i] = pkt[pn_at + i];
        pkt[pn_at + i] ^= mask[1 + i];
        truncated = truncated << 8 | pkt[pn_at + i];
    }
    pkt[0] = first;
    *phase = (first >> 2) & 1;
    *pn = decode_pn(truncated, pn_len, largest, seen);
    size_t at = pn_at + pn_len;
    uint8_t body[QUICKEYS_PACKET_MAX];
    memcpy(body, pkt + at, end - at); /* pkt's payload stays for another try */
    long got = open_payload(k, *pn, pkt, at, body, end - at);
    pkt[0] = saved[0]; /* the header as it came, for another key */
    for (size_t i = 0; i < pn_len; i++)
        pkt[pn_at + i] = saved[1 + i];
    if (got < 0)
        return -1;
    memcpy(pkt + at, body, (size_t)got);
    *plain = pkt + at;
    return got;
}

