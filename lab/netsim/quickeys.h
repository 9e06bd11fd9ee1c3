/* quickeys.h: QUIC version 1's packet protection (RFC 9001 §5), as
 * netsim's reader of QUIC (quicview.h) opens a flow's packets: keys from a
 * client's first Destination Connection ID (the Initial keys, §5.2) or
 * from a TLS 1.3 traffic secret (HKDF-Expand-Label "quic key", "quic iv",
 * "quic hp"), the next generation's after a key update (§6, "quic ku"),
 * header protection removed (§5.4), the packet number decoded (RFC 9000
 * §A.3) and the payload opened (§5.3). The ciphers are OpenSSL's; nothing
 * here is a cipher.
 *
 * Pure: buffers in, keys and plaintext out. */
#ifndef RICOCHET_QUICKEYS_H
#define RICOCHET_QUICKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TLS 1.3's suites QUIC uses. */
#define QUICKEYS_AES_128_GCM 0x1301
#define QUICKEYS_AES_256_GCM 0x1302
#define QUICKEYS_CHACHA20 0x1303
#define QUICKEYS_PACKET_MAX 16384  /* longer packets are not opened */

/* One side's keys of one packet number space. */
struct quickeys {
    uint16_t suite;
    uint8_t secret_len;    /* the suite's hash's length: 32 or 48 */
    uint8_t secret[48];    /* what the keys came from (the next generation's start) */
    uint8_t key[32], iv[12], hp[32];
};

/* The Initial keys of a client's Destination Connection ID: out[0] the
 * client's, out[1] the server's. Returns 0, or -1. */
int quickeys_initial(const uint8_t *dcid, size_t dcid_len, struct quickeys out[2]);

/* The keys of a traffic secret (secret_len: its suite's hash's) under
 * suite. Returns 0, or -1 (an unknown suite, a length not its hash's). */
int quickeys_traffic(uint16_t suite, const uint8_t *secret, size_t secret_len,
                     struct quickeys *out);

/* The next generation of k: a new secret, key and IV; the header
 * protection key stays. Returns 0, or -1. */
int quickeys_next(const struct quickeys *k, struct quickeys *out);

/* A packet at pkt[0..end) (at most QUICKEYS_PACKET_MAX bytes): its header
 * protection removed with k (the packet number at pn_at; long_header: a
 * long header's first byte), its packet number decoded against the
 * largest of its space and side opened so far (seen: any), its payload
 * opened in place. Returns the plaintext's length (at *plain, inside pkt),
 * with *pn and *phase (a short header's key phase bit), or -1: pkt is then
 * as it came, for another key. */
long quickeys_unprotect(const struct quickeys *k, uint8_t *pkt, size_t pn_at, size_t end,
                        bool long_header, uint64_t largest, bool seen, uint64_t *pn,
                        uint8_t **plain, int *phase);

#endif
