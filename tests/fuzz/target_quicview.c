/* target_quicview.c: fuzzes quicview_datagram, netsim reading the states
 * inside a QUIC flow's packets (see targets.h).
 *
 * The input: a byte of settings (bit 0: the flow starts keyed, with this
 * target's 1-RTT keys and Connection IDs of 8 bytes), then datagrams, each
 * a byte (bit 0: from the client; bit 1: sealed), 2 bytes of length and
 * its bytes. A sealed one's bytes are the frames of one 1-RTT packet, which
 * the target seals (AES-128-GCM, header protection) under the flow's keys
 * when it has them (else this target's), with the next packet number of
 * its side; the rest are datagrams as they come (Initials, garbage).
 * Checked: each state is a DATAGRAM frame's on a state channel or a
 * stream's (reliable, channel 2); no more streams or marks than the
 * bounds; a packet sealed under the flow's keys opens; packets left unread
 * never decrease. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lab/netsim/quicview.h"
#include "targets.h"

#define FUZZ_QUIC_FRAMES_MAX 2048
#define FUZZ_QUIC_CID 8
#define FUZZ_QUIC_PACKET (1 + FUZZ_QUIC_CID + 2 + FUZZ_QUIC_FRAMES_MAX + 16)

/* A 1-RTT packet of frames[0..n) (at least 2 bytes: the sample needs
 * them; PADDING added) with packet number pn, sealed with k. */
static size_t fuzz_quic_seal(const struct quickeys *k, uint64_t pn, const uint8_t *frames,
                             size_t n, uint8_t *pkt)
{
    static uint8_t plain[FUZZ_QUIC_FRAMES_MAX + 2];
    size_t hdr = 1 + FUZZ_QUIC_CID + 2, m = n < 2 ? 2 : n;
    memset(plain, 0, m);
    memcpy(plain, frames, n);
    pkt[0] = 0x41;
    memset(pkt + 1, 0xcd, FUZZ_QUIC_CID);
    pkt[hdr - 2] = (uint8_t)(pn >> 8);
    pkt[hdr - 1] = (uint8_t)pn;
    uint8_t nonce[12], mask[16];
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, fin = 0;
    FUZZ_CHECK(c != NULL);
    FUZZ_CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) == 1);
    FUZZ_CHECK(EVP_EncryptUpdate(c, NULL, &outl, pkt, (int)hdr) == 1);
    FUZZ_CHECK(EVP_EncryptUpdate(c, pkt + hdr, &outl, plain, (int)m) == 1);
    FUZZ_CHECK(EVP_EncryptFinal_ex(c, pkt + hdr + outl, &fin) == 1);
    FUZZ_CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, pkt + hdr + m) == 1);
    FUZZ_CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL) == 1);
    FUZZ_CHECK(EVP_EncryptUpdate(c, mask, &outl, pkt + hdr - 2 + 4, 16) == 1);
    EVP_CIPHER_CTX_free(c);
    pkt[0] ^= mask[0] & 0x1f;
    pkt[hdr - 2] ^= mask[1];
    pkt[hdr - 1] ^= mask[2];
    return hdr + m + 16;
}

static void fuzz_quic_check(const struct quicview_flow *f, struct statescan_result r,
                            const struct statescan_ref *out)
{
    FUZZ_CHECK(r.peer == -1);
    for (size_t i = 0; i < r.states && i < STATESCAN_MAX; i++)
        FUZZ_CHECK((out[i].kind == STATESCAN_DATAGRAM &&
                    (out[i].channel == 1 || out[i].channel == 2)) ||
                   (out[i].kind == STATESCAN_RELIABLE && out[i].channel == 2));
    for (size_t i = 0; f->streams && i < QUICVIEW_STREAMS; i++)
        FUZZ_CHECK(f->streams[i].n_marks <= QUICVIEW_MARKS &&
                   f->streams[i].mark_next < QUICVIEW_MARKS);
}

/* The flow keyed with this target's keys (secrets of 0x5a and 0xa5). */
static void fuzz_quic_key(struct quicview_flow *f, struct quickeys own[2])
{
    uint8_t secret[32];
    for (int side = 0; side < 2; side++) {
        memset(secret, side ? 0xa5 : 0x5a, sizeof secret);
        FUZZ_CHECK(quickeys_traffic(QUICKEYS_AES_128_GCM, secret, 32, &own[side]) == 0);
    }
    if (!f)
        return;
    memcpy(f->app, own, 2 * sizeof *own);
    f->keyed = f->have_random = true;
    f->have_scid[0] = f->have_scid[1] = true;
    f->scid_len[0] = f->scid_len[1] = FUZZ_QUIC_CID;
}

int fuzz_target_quicview(const uint8_t *data, size_t size)
{
    static struct quicview_flow f;
    static uint8_t pkt[FUZZ_QUIC_PACKET];
    struct quickeys own[2];
    struct fuzz_input in = {data, size};
    memset(&f, 0, sizeof f);
    fuzz_quic_key((fuzz_byte(&in) & 1) ? &f : NULL, own);
    uint64_t pn[2] = {0, 0};
    while (in.left > 0) {
        uint8_t op = fuzz_byte(&in);
        size_t len = (size_t)fuzz_byte(&in) << 8;
        len |= fuzz_byte(&in);
        len = len < in.left ? len : in.left;
        len = len < FUZZ_QUIC_FRAMES_MAX ? len : FUZZ_QUIC_FRAMES_MAX;
        bool from_client = op & 1;
        int side = from_client ? 0 : 1;
        const uint8_t *bytes = in.p;
        in.p += len;
        in.left -= len;
        size_t n = len;
        bool keyed = f.keyed;
        if (op & 2) {
            n = fuzz_quic_seal(keyed ? &f.app[side] : &own[side], pn[side]++, bytes, len, pkt);
            bytes = pkt;
        }
        uint64_t unread = f.unread;
        struct statescan_ref out[STATESCAN_MAX];
        struct statescan_result r = quicview_datagram(&f, NULL, from_client, bytes, n, out);
        fuzz_quic_check(&f, r, out);
        FUZZ_CHECK(f.unread >= unread);
        if ((op & 2) && keyed)
            FUZZ_CHECK(f.unread == unread); /* sealed under its keys: opened */
    }
    quicview_flow_free(&f);
    return 0;
}
