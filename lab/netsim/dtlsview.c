/* dtlsview.c: states inside a WebRTC flow's DTLS records (see dtlsview.h). */
#include "dtlsview.h"
#include "proto/byteorder.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#define RECORD_HEADER 13     /* type, version, epoch, sequence number, length */
#define TAG 16               /* every allowed suite's AEAD tag */
#define GCM_EXPLICIT 8       /* AES-GCM's nonce part in each record */
#define CT_HANDSHAKE 22
#define CT_APPLICATION 23
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define SCTP_HEADER 12
#define CHUNK_DATA 0
#define CHUNK_IDATA 64
#define PPID_DCEP 50
#define PPID_BINARY 53
#define DCEP_OPEN 3

/* ---- the key log -------------------------------------------------------- */

/* The labels kept: DTLS 1.2's master secret, QUIC's TLS 1.3 traffic
 * secrets (their index is the entry's label). */
static const char *const keylog_labels[] = {"CLIENT_RANDOM", "CLIENT_TRAFFIC_SECRET_0",
                                            "SERVER_TRAFFIC_SECRET_0"};
#define KEYLOG_LABELS (sizeof keylog_labels / sizeof keylog_labels[0])

struct keylog_entry {
    uint8_t label;           /* index in keylog_labels */
    uint8_t secret_len;      /* 32 or 48 */
    uint8_t random[DTLSVIEW_RANDOM];
    uint8_t secret[DTLSVIEW_SECRET];
};

struct dtlsview_keylog {
    char *path;
    long read_to;            /* the file's bytes read so far (whole lines) */
    struct keylog_entry *e;
    size_t n, cap;
};

struct dtlsview_keylog *dtlsview_keylog_open(const char *path, char *err, size_t err_cap)
{
    struct dtlsview_keylog *k = calloc(1, sizeof *k);
    if (k)
        k->path = strdup(path);
    if (!k || !k->path) {
        snprintf(err, err_cap, "out of memory");
        dtlsview_keylog_free(k);
        return NULL;
    }
    return k;
}

void dtlsview_keylog_free(struct dtlsview_keylog *k)
{
    if (!k)
        return;
    free(k->path);
    free(k->e);
    free(k);
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* n bytes of hex at s (2n hex digits, nothing else: sscanf's %2x would
 * take "1`" or "+1" for a byte) into out. Returns 0, or -1. */
static int unhex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hi < 0 ? -1 : hex_digit(s[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* One line of a label kept (a secret of 32 or 48 bytes); anything else
 * is not ours. */
static void keylog_take(struct dtlsview_keylog *k, const char *line)
{
    char label[32], rnd[2 * DTLSVIEW_RANDOM + 1], sec[2 * DTLSVIEW_SECRET + 1];
    struct keylog_entry e = {0};
    if (sscanf(line, "%31s %64s %96s", label, rnd, sec) != 3)
        return;
    while (e.label < KEYLOG_LABELS && strcmp(label, keylog_labels[e.label]) != 0)
        e.label++;
    size_t sec_len = strlen(sec) / 2;
    if (e.label == KEYLOG_LABELS || strlen(rnd) != 2 * DTLSVIEW_RANDOM ||
        strlen(sec) % 2 || (sec_len != 32 && sec_len != DTLSVIEW_SECRET) ||
        (e.label == 0 && sec_len != DTLSVIEW_SECRET) || unhex(rnd, e.random, DTLSVIEW_RANDOM) ||
        unhex(sec, e.secret, sec_len))
        return;
    e.secret_len = (uint8_t)sec_len;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 64;
        struct keylog_entry *grown = realloc(k->e, cap * sizeof *grown);
        if (!grown)
            return;
        k->e = grown;
        k->cap = cap;
    }
    k->e[k->n++] = e;
}

/* The lines written since the last read (a line not yet ended waits). A
 * line longer than the buffer, or holding a NUL byte, is no line of the
 * clients' (another tool's, a browser's sharing the file): passed over,
 * so that the sessions after it are read. */
static void keylog_reread(struct dtlsview_keylog *k)
{
    FILE *f = fopen(k->path, "r");
    if (!f)
        return;
    char line[512];
    size_t n = 0;
    bool over = false; /* the line in hand is longer than line[] */
    int c;
    if (fseek(f, k->read_to, SEEK_SET) == 0)
        while ((c = getc(f)) != EOF) {
            if (c != '\n') {
                if (n < sizeof line - 1)
                    line[n++] = (char)c;
                else
                    over = true;
                continue;
            }
            line[n] = '\0';
            if (!over)
                keylog_take(k, line); /* (a NUL ends it early: it reads as what precedes) */
            n = 0;
            over = false;
            k->read_to = ftell(f);
        }
    fclose(f);
}

static const struct keylog_entry *keylog_lookup(struct dtlsview_keylog *k, unsigned label,
                                                const uint8_t *random)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = k->n; i-- > 0;)
            if (k->e[i].label == label && memcmp(k->e[i].random, random, DTLSVIEW_RANDOM) == 0)
                return &k->e[i];
        if (pass == 0)
            keylog_reread(k);
    }
    return NULL;
}

static const uint8_t *keylog_find(struct dtlsview_keylog *k, const uint8_t *random)
{
    const struct keylog_entry *e = keylog_lookup(k, 0, random);
    return e ? e->secret : NULL;
}

size_t dtlsview_keylog_secret(struct dtlsview_keylog *k, const char *label,
                              const uint8_t random[DTLSVIEW_RANDOM], uint8_t *out, size_t cap)
{
    unsigned i = 0;
    while (i < KEYLOG_LABELS && strcmp(label, keylog_labels[i]) != 0)
        i++;
    const struct keylog_entry *e = k && i < KEYLOG_LABELS ? keylog_lookup(k, i, random) : NULL;
    if (!e || e->secret_len > cap)
        return 0;
    memcpy(out, e->secret, e->secret_len);
    return e->secret_len;
}

/* ---- keys --------------------------------------------------------------- */

/* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: the suite browsers and
 * ricochet's peers ask for first, so every WebRTC flow here has it; a flow
 * of another suite stays unread (counted). */
#define SUITE_AES128_GCM 0xC02B
#define KEY_LEN 16
#define IV_LEN 4             /* the nonce's implicit part, from the key block */

/* The key block (RFC 5246 §6.3) from the master secret: the client's and
 * the server's write keys, then their IVs (an AEAD suite: no MAC keys). */
static bool derive(struct dtlsview_flow *f, const uint8_t *secret)
{
    if (f->suite != SUITE_AES128_GCM)
        return false;
    uint8_t seed[13 + 2 * DTLSVIEW_RANDOM], block[2 * KEY_LEN + 2 * IV_LEN];
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, f->server_random, DTLSVIEW_RANDOM);
    memcpy(seed + 13 + DTLSVIEW_RANDOM, f->client_random, DTLSVIEW_RANDOM);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret,
                                          DTLSVIEW_SECRET),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
        OSSL_PARAM_construct_end(),
    };
    bool ok = kctx && EVP_KDF_derive(kctx, block, sizeof block, params) == 1;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    if (!ok)
        return false;
    memcpy(f->key[0], block, KEY_LEN);
    memcpy(f->key[1], block + KEY_LEN, KEY_LEN);
    memcpy(f->iv[0], block + 2 * KEY_LEN, IV_LEN);
    memcpy(f->iv[1], block + 2 * KEY_LEN + IV_LEN, IV_LEN);
    return true;
}

/* Opens one application record (header h, fragment p[0..n): the nonce's
 * explicit part, the ciphertext, the tag) into out. Returns the
 * plaintext's length, or -1. */
static int open_record(const struct dtlsview_flow *f, int dir, const uint8_t *h,
                       const uint8_t *p, size_t n, uint8_t *out)
{
    uint8_t nonce[IV_LEN + GCM_EXPLICIT], aad[13];
    if (n < GCM_EXPLICIT + TAG)
        return -1;
    memcpy(nonce, f->iv[dir], IV_LEN);
    memcpy(nonce + IV_LEN, p, GCM_EXPLICIT);
    size_t len = n - GCM_EXPLICIT - TAG;
    memcpy(aad, h + 3, 8); /* epoch and sequence number, type, version, length */
    memcpy(aad + 8, h, 3);
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, fin = 0;
    bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, f->key[dir], nonce) == 1 &&
              EVP_DecryptUpdate(c, NULL, &outl, aad, sizeof aad) == 1 &&
              EVP_DecryptUpdate(c, out, &outl, p + GCM_EXPLICIT, (int)len) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG,
                                  (void *)(p + GCM_EXPLICIT + len)) == 1 &&
              EVP_DecryptFinal_ex(c, out + outl, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? outl + fin : -1;
}

/* ---- handshake: randoms and the suite ------------------------------------ */

static void handshake(struct dtlsview_flow *f, const uint8_t *p, size_t n)
{
    if (n < 12 + 2 + DTLSVIEW_RANDOM || p[6] | p[7] | p[8]) /* a first fragment only */
        return;
    const uint8_t *body = p + 12, *random = body + 2;
    if (p[0] == HS_CLIENT_HELLO) {
        if (!f->have_client || memcmp(f->client_random, random, DTLSVIEW_RANDOM) != 0) {
            /* a new session: new keys, a new association's channels */
            memset(f, 0, offsetof(struct dtlsview_flow, unread));
            memcpy(f->client_random, random, DTLSVIEW_RANDOM);
            f->have_client = true;
        }
    } else if (p[0] == HS_SERVER_HELLO) {
        size_t sid = 12 + 2 + DTLSVIEW_RANDOM;
        if (n < sid + 1 || n < sid + 1 + p[sid] + 2)
            return;
        memcpy(f->server_random, random, DTLSVIEW_RANDOM);
        f->suite = (uint16_t)(p[sid + 1 + p[sid]] << 8 | p[sid + 1 + p[sid] + 1]);
        f->have_server = true;
    }
}

/* ---- SCTP inside ----------------------------------------------------------- */

static void channel_open(struct dtlsview_flow *f, uint16_t sid, const uint8_t *m, size_t n)
{
    if (n < 12 || m[0] != DCEP_OPEN)
        return;
    size_t label_len = (size_t)m[8] << 8 | m[9];
    if (12 + label_len > n)
        return;
    const char *label = (const char *)m + 12;
    uint8_t channel = 1, kind = STATESCAN_UNSEQUENCED;
    if (label_len == 9 && memcmp(label, "sequenced", 9) == 0)
        channel = 2;
    else if (label_len == 7 && memcmp(label, "control", 7) == 0) {
        channel = 2;
        kind = STATESCAN_RELIABLE;
    }
    uint32_t i = 0;
    while (i < f->n_channels && f->channels[i].sid != sid)
        i++;
    if (i == DTLSVIEW_CHANNELS)
        return;
    f->channels[i].sid = sid;
    f->channels[i].channel = channel;
    f->channels[i].kind = kind;
    if (i == f->n_channels)
        f->n_channels++;
}

/* The states of one whole binary message on stream sid. */
static void message(const struct dtlsview_flow *f, uint16_t sid, const uint8_t *m, size_t n,
                    struct statescan_result *r, struct statescan_ref *out)
{
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result got = statescan_datagram(STATESCAN_UDP, m, n, refs);
    uint8_t channel = 1, kind = STATESCAN_UNSEQUENCED;
    for (uint32_t i = 0; i < f->n_channels; i++)
        if (f->channels[i].sid == sid) {
            channel = f->channels[i].channel;
            kind = f->channels[i].kind;
        }
    for (size_t i = 0; i < got.states && i < STATESCAN_MAX; i++) {
        if (r->states < STATESCAN_MAX) {
            out[r->states] = refs[i];
            out[r->states].channel = channel;
            out[r->states].kind = kind;
        }
        r->states++;
    }
}

/* Every DATA and I-DATA chunk of an SCTP packet: a whole message (its
 * first and last fragment in one chunk) is a channel's open or states. */
static void sctp_packet(struct dtlsview_flow *f, const uint8_t *p, size_t n,
                        struct statescan_result *r, struct statescan_ref *out)
{
    size_t at = SCTP_HEADER;
    if (n < SCTP_HEADER) {
        r->malformed = 1;
        return;
    }
    while (at + 4 <= n) {
        size_t len = (size_t)p[at + 2] << 8 | p[at + 3];
        if (len < 4 || at + len > n) {
            r->malformed = 1;
            return;
        }
        uint8_t type = p[at], flags = p[at + 1];
        size_t data = type == CHUNK_DATA ? 16 : 20;
        if ((type == CHUNK_DATA || type == CHUNK_IDATA) && len >= data && (flags & 3) == 3) {
            uint16_t sid = (uint16_t)(p[at + 8] << 8 | p[at + 9]);
            const uint8_t *q = p + at + (type == CHUNK_DATA ? 12 : 16);
            uint32_t ppid = be32_get(q);
            if (ppid == PPID_DCEP)
                channel_open(f, sid, p + at + data, len - data);
            else if (ppid == PPID_BINARY)
                message(f, sid, p + at + data, len - data, r, out);
        }
        at += (len + 3) & ~(size_t)3;
    }
}

/* ---- records ------------------------------------------------------------- */

struct statescan_result dtlsview_datagram(struct dtlsview_flow *f, struct dtlsview_keylog *k,
                                          bool from_client, const uint8_t *buf, size_t len,
                                          struct statescan_ref out[STATESCAN_MAX])
{
    struct statescan_result r = {.peer = -1};
    uint8_t plain[1 << 14]; /* a record's largest plaintext */
    size_t at = 0;
    while (at + RECORD_HEADER <= len) {
        const uint8_t *h = buf + at;
        size_t n = (size_t)h[11] << 8 | h[12];
        uint16_t epoch = (uint16_t)(h[3] << 8 | h[4]);
        if (h[0] < 20 || h[0] > 63 || at + RECORD_HEADER + n > len) {
            r.malformed = 1; /* not DTLS (RFC 7983), or cut short */
            break;
        }
        const uint8_t *p = h + RECORD_HEADER;
        at += RECORD_HEADER + n;
        if (h[0] == CT_HANDSHAKE && epoch == 0) {
            handshake(f, p, n);
            continue;
        }
        if (h[0] != CT_APPLICATION || epoch == 0)
            continue;
        if (!f->keyed && f->have_client && f->have_server) {
            const uint8_t *secret = keylog_find(k, f->client_random);
            f->keyed = secret && derive(f, secret);
        }
        int got = f->keyed && n <= sizeof plain ? open_record(f, !from_client, h, p, n, plain) : -1;
        if (got < 0) {
            f->unread++;
            continue;
        }
        sctp_packet(f, plain, (size_t)got, &r, out);
    }
    return r;
}
