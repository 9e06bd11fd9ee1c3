/* seal.c: sealed messages (see seal.h and PROTOCOL.md, Sealed sessions). */
#include "seal.h"
#include "byteorder.h"

#include <sodium.h>
#include <string.h>

/* The IETF nonce of a lane's counter: lane, three zero bytes, counter LE. */
static void make_nonce(uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES],
                       enum seal_lane lane, uint64_t counter)
{
    memset(nonce, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
    nonce[0] = (uint8_t)lane;
    for (int i = 0; i < 8; i++, counter >>= 8)
        nonce[4 + i] = (uint8_t)counter;
}

/* BLAKE2b of label, nonce and salt keyed with key, out_len bytes. */
static void keyed_hash(uint8_t *out, size_t out_len, const uint8_t key[SEAL_KEY_BYTES],
                       const char *label, const uint8_t nonce[SEAL_NONCE_BYTES],
                       const uint8_t salt[SEAL_SALT_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, SEAL_KEY_BYTES, out_len);
    crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
    crypto_generichash_update(&st, nonce, SEAL_NONCE_BYTES);
    crypto_generichash_update(&st, salt, SEAL_SALT_BYTES);
    crypto_generichash_final(&st, out, out_len);
    sodium_memzero(&st, sizeof st);
}

void seal_session_key(uint8_t out[SEAL_KEY_BYTES], const uint8_t ticket_key[SEAL_KEY_BYTES],
                      const uint8_t nonce[SEAL_NONCE_BYTES], const uint8_t salt[SEAL_SALT_BYTES])
{
    keyed_hash(out, SEAL_KEY_BYTES, ticket_key, "ricochet-session", nonce, salt);
}

void seal_proof(uint8_t out[SEAL_PROOF_BYTES], const uint8_t down_key[SEAL_KEY_BYTES],
                const uint8_t nonce[SEAL_NONCE_BYTES], const uint8_t salt[SEAL_SALT_BYTES])
{
    keyed_hash(out, SEAL_PROOF_BYTES, down_key, "ricochet-sealed", nonce, salt);
}

bool seal_proof_ok(const uint8_t tag[SEAL_PROOF_BYTES], const uint8_t down_key[SEAL_KEY_BYTES],
                   const uint8_t nonce[SEAL_NONCE_BYTES], const uint8_t salt[SEAL_SALT_BYTES])
{
    uint8_t want[SEAL_PROOF_BYTES];
    seal_proof(want, down_key, nonce, salt);
    return sodium_memcmp(want, tag, SEAL_PROOF_BYTES) == 0;
}

void seal_hex_format(const uint8_t b[16], char *hex)
{
    sodium_bin2hex(hex, SEAL_HEX_LEN + 1, b, 16);
}

int seal_hex_parse(const char *hex, uint8_t b[16])
{
    size_t n = 0;
    if (strlen(hex) != SEAL_HEX_LEN ||
        sodium_hex2bin(b, 16, hex, SEAL_HEX_LEN, NULL, &n, NULL) != 0 || n != 16)
        return -1;
    return 0;
}

void seal_tx_init(struct seal_tx *tx, const uint8_t key[SEAL_KEY_BYTES])
{
    memset(tx, 0, sizeof *tx);
    memcpy(tx->key, key, SEAL_KEY_BYTES);
}

void seal_rx_init(struct seal_rx *rx, const uint8_t key[SEAL_KEY_BYTES])
{
    memset(rx, 0, sizeof *rx);
    memcpy(rx->key, key, SEAL_KEY_BYTES);
}

void seal_tx_wipe(struct seal_tx *tx)
{
    sodium_memzero(tx, sizeof *tx);
}

void seal_rx_wipe(struct seal_rx *rx)
{
    sodium_memzero(rx, sizeof *rx);
}

bool seal_is_sealed(const uint8_t *bytes, size_t len)
{
    return len >= 1 && bytes[0] >= SEAL_PREFIX && bytes[0] < SEAL_PREFIX + SEAL_LANES;
}

int seal_box(struct seal_tx *tx, enum seal_lane lane, const uint8_t *in, size_t len,
             uint8_t *out, size_t cap)
{
    if ((unsigned)lane >= SEAL_LANES || cap < SEAL_OVERHEAD || len > cap - SEAL_OVERHEAD)
        return SEAL_E_SPACE;
    if (tx->next[lane] == UINT64_MAX)
        return SEAL_E_SPENT;
    uint64_t counter = tx->next[lane]++;
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    make_nonce(nonce, lane, counter);
    out[0] = (uint8_t)(SEAL_PREFIX | lane);
    be64_put(out + 1, counter);
    unsigned long long clen = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out + SEAL_HEADER_BYTES, &clen, in, len, out,
                                              SEAL_HEADER_BYTES, NULL, nonce, tx->key);
    return (int)(SEAL_HEADER_BYTES + clen);
}

/* Whether counter c may still be opened on window w: newer than anything
 * opened, or one of the SEAL_WINDOW counters up to the newest (top - 1)
 * and not opened yet: newest - 1023 may be, newest - 1024 may not. */
static bool window_fresh(const struct seal_window *w, uint64_t c)
{
    if (c >= w->top)
        return true;
    if (w->top - c > SEAL_WINDOW)
        return false;
    return !(w->seen[(c % SEAL_WINDOW) / 64] & (1ull << (c % 64)));
}

/* Records c as opened, sliding the window up to it first (the counters it
 * slides past were never opened: their bits are cleared). */
static void window_mark(struct seal_window *w, uint64_t c)
{
    if (c >= w->top) {
        if (c - w->top >= SEAL_WINDOW)
            memset(w->seen, 0, sizeof w->seen);
        else
            for (uint64_t k = w->top; k <= c; k++)
                w->seen[(k % SEAL_WINDOW) / 64] &= ~(1ull << (k % 64));
        w->top = c + 1;
    }
    w->seen[(c % SEAL_WINDOW) / 64] |= 1ull << (c % 64);
}

int seal_open(struct seal_rx *rx, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
              enum seal_lane *lane)
{
    if (len < SEAL_OVERHEAD || !seal_is_sealed(in, len))
        return SEAL_E_SHORT;
    if (len - SEAL_OVERHEAD > cap)
        return SEAL_E_SPACE;
    enum seal_lane l = (enum seal_lane)(in[0] - SEAL_PREFIX);
    uint64_t counter = be64_get(in + 1);
    struct seal_window *w = &rx->lane[l];
    if (!window_fresh(w, counter))
        return SEAL_E_REPLAY;
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    make_nonce(nonce, l, counter);
    unsigned long long plen = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plen, NULL, in + SEAL_HEADER_BYTES,
                                                  len - SEAL_HEADER_BYTES, in,
                                                  SEAL_HEADER_BYTES, nonce, rx->key) != 0)
        return SEAL_E_FORGED;
    window_mark(w, counter);
    if (lane)
        *lane = l;
    return (int)plen;
}

const char *seal_err_name(int err)
{
    switch (err) {
    case SEAL_E_SPACE: return "no_space";
    case SEAL_E_SHORT: return "not_sealed";
    case SEAL_E_FORGED: return "forged";
    case SEAL_E_REPLAY: return "replayed";
    case SEAL_E_SPENT: return "spent";
    default: return err >= 0 ? "ok" : "?";
    }
}
