/* seal.h: sealed messages, AEAD with a nonce counter per direction and a
 * sliding replay window, in the manner of netcode.io's packets.
 *
 * Each direction of a ticketed session has its own 32-byte key (the ticket
 * carries both). A sealed message is
 *     [0x80 | lane] [counter, 8 bytes big-endian] [ciphertext] [16-byte tag]
 * sealed with libsodium's ChaCha20-Poly1305 IETF under the direction's key;
 * the nonce is the lane byte, three zero bytes and the counter (little-endian),
 * and the 9-byte header is the associated data. A lane is a stream of its own
 * counter and window: control messages, unreliable states and reliable
 * states travel differently (a reliable message held back by a retransmission
 * would otherwise fall behind the window of the states that overtook it).
 * Pure: no I/O, no clock; the caller owns every buffer. */
#ifndef RICOCHET_SEAL_H
#define RICOCHET_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES 32
#define SEAL_HEADER_BYTES 9  /* lane byte + counter */
#define SEAL_TAG_BYTES 16
#define SEAL_OVERHEAD (SEAL_HEADER_BYTES + SEAL_TAG_BYTES)
/* The longest state in a sealed session (payload included): sealed, it is
 * 1200 bytes, the longest datagram (wire.h's PROTO_STATE_MAX). */
#define SEAL_STATE_MAX (1200 - SEAL_OVERHEAD)
#define SEAL_PREFIX 0x80     /* byte 0 of a sealed message: SEAL_PREFIX | lane */
#define SEAL_WINDOW 1024     /* counters a lane remembers: its newest and the 1023 below;
                                one 1024 or more below the newest is refused */

enum seal_lane {
    SEAL_LANE_CONTROL = 0, /* JSON control messages */
    SEAL_LANE_STATE = 1,   /* states sent unreliably (unsequenced, sequenced, udp) */
    SEAL_LANE_RELIABLE = 2, /* states sent reliably */
    SEAL_LANES
};

/* Return codes of seal_box and seal_open (negative). */
enum seal_err {
    SEAL_E_SPACE = -1,  /* the output buffer is too small */
    SEAL_E_SHORT = -2,  /* not a sealed message: too short or another first byte */
    SEAL_E_FORGED = -3, /* the tag does not match: changed, or another key */
    SEAL_E_REPLAY = -4, /* this counter was opened already, or is older than the window */
    SEAL_E_SPENT = -5   /* the lane's counter is used up (2^64 messages) */
};

/* The sending side of one direction. */
struct seal_tx {
    uint8_t key[SEAL_KEY_BYTES];
    uint64_t next[SEAL_LANES]; /* counter of each lane's next message */
};

/* The receiving side of one direction: per lane, the newest counter opened
 * and which of the SEAL_WINDOW counters up to it (it included) were. */
struct seal_rx {
    uint8_t key[SEAL_KEY_BYTES];
    struct seal_window {
        uint64_t top;                     /* newest counter opened + 1; 0: none yet */
        uint64_t seen[SEAL_WINDOW / 64]; /* bit c % SEAL_WINDOW: counter c opened */
    } lane[SEAL_LANES];
};

#define SEAL_SALT_BYTES 16   /* the relay's salt of a session */
#define SEAL_NONCE_BYTES 16  /* the client's nonce of a join */
#define SEAL_PROOF_BYTES 16  /* the tag of a `sealed` message */
#define SEAL_HEX_LEN 32      /* each of the three as text: lowercase hex digits */

/* The key of one direction of one session: BLAKE2b-256 keyed with the
 * ticket's key of that direction, of "ricochet-session", the nonce the
 * client drew for its join and the salt the relay drew for the session.
 * Both halves are fresh, so counters that start again at 0 never repeat a
 * nonce under a key (neither side can make the other reuse one), and
 * nothing recorded from another session with the same ticket opens in
 * this one. */
void seal_session_key(uint8_t out[SEAL_KEY_BYTES], const uint8_t ticket_key[SEAL_KEY_BYTES],
                      const uint8_t nonce[SEAL_NONCE_BYTES],
                      const uint8_t salt[SEAL_SALT_BYTES]);

/* The tag of a `sealed` message: BLAKE2b-128 keyed with the ticket's down
 * key, of "ricochet-sealed", the join's nonce and the salt. Only a holder
 * of the ticket's keys (the relay that opened its pass) can make it, and
 * only for that join. seal_proof_ok compares in constant time. */
void seal_proof(uint8_t out[SEAL_PROOF_BYTES], const uint8_t down_key[SEAL_KEY_BYTES],
                const uint8_t nonce[SEAL_NONCE_BYTES], const uint8_t salt[SEAL_SALT_BYTES]);
bool seal_proof_ok(const uint8_t tag[SEAL_PROOF_BYTES], const uint8_t down_key[SEAL_KEY_BYTES],
                   const uint8_t nonce[SEAL_NONCE_BYTES], const uint8_t salt[SEAL_SALT_BYTES]);

/* A salt, a nonce or a tag (16 bytes) as messages carry it: SEAL_HEX_LEN
 * lowercase hex digits (hex holds SEAL_HEX_LEN + 1 bytes), and back
 * (returns 0, or -1 if hex is not one). */
void seal_hex_format(const uint8_t b[16], char *hex);
int seal_hex_parse(const char *hex, uint8_t b[16]);

/* Start a direction under key (copied); counters and windows at zero. */
void seal_tx_init(struct seal_tx *tx, const uint8_t key[SEAL_KEY_BYTES]);
void seal_rx_init(struct seal_rx *rx, const uint8_t key[SEAL_KEY_BYTES]);

/* Wipe the key (sodium_memzero) when the session ends. */
void seal_tx_wipe(struct seal_tx *tx);
void seal_rx_wipe(struct seal_rx *rx);

/* The first byte says a sealed message (of any lane). */
bool seal_is_sealed(const uint8_t *bytes, size_t len);

/* Seals in[0..len) on lane into out (len + SEAL_OVERHEAD bytes; in and out
 * must not overlap) and advances the lane's counter. Returns the sealed
 * length, SEAL_E_SPACE or SEAL_E_SPENT. */
int seal_box(struct seal_tx *tx, enum seal_lane lane, const uint8_t *in, size_t len,
             uint8_t *out, size_t cap);

/* Opens a sealed message into out (len - SEAL_OVERHEAD bytes) and records
 * its counter in the lane's window; *lane (if not NULL) gets its lane.
 * Returns the plaintext length, or SEAL_E_SHORT, SEAL_E_REPLAY (nothing
 * decrypted), SEAL_E_FORGED (the window untouched) or SEAL_E_SPACE. */
int seal_open(struct seal_rx *rx, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
              enum seal_lane *lane);

/* What a seal_err means, for logs: "forged", "replayed", ... */
const char *seal_err_name(int err);

#endif
