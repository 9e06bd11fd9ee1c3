/* ticket.h: join tickets, in the manner of netcode.io's connect tokens.
 *
 * A game's backend mints a ticket for one player under a 32-byte key it
 * shares with its relays. The ticket has two parts:
 *  - the pass, which the client sends in its join: a clear header (format,
 *    key id, issued, expires, nonce) and the claims sealed under the key with
 *    XChaCha20-Poly1305 (the header is the associated data);
 *  - the same claims in clear, for the client: room, name, where the ticket
 *    is valid (a fleet, or up to TICKET_RELAYS_MAX relay endpoints) and the
 *    session keys of both directions (seal.h).
 * Byte layouts are in PROTOCOL.md (Tickets). Text forms are base64url
 * without padding. Pure: no I/O and no clock (times are passed in); only
 * ticket_mint draws random bytes (libsodium's randombytes). */
#ifndef RICOCHET_TICKET_H
#define RICOCHET_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "errors.h"
#include "seal.h"

#define TICKET_KEY_BYTES 32
#define TICKET_ID_BYTES 16       /* a pass's tag, which names it for replay checks */
#define TICKET_FLEET_MAX 32      /* bytes of a fleet name (the name rules of PROTOCOL.md) */
#define TICKET_RELAYS_MAX 4      /* relay endpoints a ticket may name */
#define TICKET_ENDPOINT_MAX 47   /* "[v6 address]:65535" */
#define TICKET_TTL_MAX_S 604800  /* a week */
#define TICKET_SKEW_S 30         /* clock difference allowed between minter and relay */
/* Largest encodings (PROTOCOL.md, Tickets): the claims (keys, room, name,
 * an empty fleet and the most relays: a fleet is shorter), the pass (header,
 * sealed claims, tag), the client's ticket (format, pass length, pass,
 * claims), and the base64url text of the pass and of the ticket. */
#define TICKET_FORMAT 2          /* format 1 (no flags) is refused: mint it again */
#define TICKET_FLAG_SEALED 0x01  /* claims' flags: the session must be sealed */
#define TICKET_CLAIMS_MAX (2 * SEAL_KEY_BYTES + 1 + (1 + PROTO_ROOM_MAX) + (1 + PROTO_NAME_MAX) + \
                           1 + 1 + TICKET_RELAYS_MAX * (1 + TICKET_ENDPOINT_MAX))
#define TICKET_PASS_HEADER 45
#define TICKET_PASS_MAX (TICKET_PASS_HEADER + TICKET_CLAIMS_MAX + TICKET_ID_BYTES)
#define TICKET_BYTES_MAX (3 + TICKET_PASS_MAX + TICKET_CLAIMS_MAX)
#define TICKET_B64_LEN(n) (((n) * 4 + 2) / 3)
#define TICKET_PASS_TEXT_MAX TICKET_B64_LEN(TICKET_PASS_MAX) /* NUL excluded */
#define TICKET_TEXT_MAX TICKET_B64_LEN(TICKET_BYTES_MAX)     /* NUL excluded */

/* A backend key and its id (the first 4 bytes of its BLAKE2b hash), which
 * the pass names so a relay holding the current and previous keys knows
 * which to open it with. */
struct ticket_key {
    uint32_t id;
    uint8_t secret[TICKET_KEY_BYTES];
};

/* What a ticket says. Exactly one of fleet (non-empty) and relays
 * (n_relays > 0) says where it is valid. */
struct ticket_claims {
    char room[PROTO_ROOM_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    char fleet[TICKET_FLEET_MAX + 1];                         /* "" if relays are named */
    char relays[TICKET_RELAYS_MAX][TICKET_ENDPOINT_MAX + 1]; /* "ip:port", as written */
    unsigned n_relays;
    uint64_t issued_s, expires_s;                 /* Unix time, seconds */
    uint8_t up_key[SEAL_KEY_BYTES];               /* client -> relay */
    uint8_t down_key[SEAL_KEY_BYTES];             /* relay -> client */
    bool sealed;      /* the session must be sealed: a relay without --encrypt refuses
                         the ticket (ticket_wrong_relay), and the client takes nothing
                         in clear but what PROTOCOL.md lists (Sealed sessions) */
    uint8_t id[TICKET_ID_BYTES];                  /* the pass's tag (verify, read) */
};

/* Who is checking a pass: the relay's fleet name and the endpoints it
 * answers at, written as a ticket would name them. */
struct ticket_self {
    const char *fleet;
    const char *const *endpoints;
    size_t n_endpoints;
};

/* Initialises libsodium (once per process; thread-safe). Returns 0 or -1. */
int ticket_crypto_init(void);

/* Fills key from 32 secret bytes and computes its id. */
void ticket_key_from_secret(struct ticket_key *key, const uint8_t secret[TICKET_KEY_BYTES]);

/* Whether claims can be minted: valid room, name and fleet or endpoints
 * (1..TICKET_ENDPOINT_MAX printable bytes, no space), expires after issued
 * by at most TICKET_TTL_MAX_S. Returns NULL or a one-line reason. */
const char *ticket_claims_invalid(const struct ticket_claims *claims);

/* Mints a ticket for claims (room, name, scope, issued_s, expires_s set by
 * the caller; the session keys are drawn here and written into claims) under
 * key. Writes its text (NUL-terminated) into out. Returns its length, or -1
 * if the claims are invalid or cap is under TICKET_TEXT_MAX + 1. */
int ticket_mint(const struct ticket_key *key, struct ticket_claims *claims, char *out,
                size_t cap);

/* Client side: reads a ticket's clear claims and copies its pass (the text
 * to send in the join) into pass, which holds TICKET_PASS_TEXT_MAX + 1.
 * Returns 0, -1 if text is not a well-formed ticket, or -2 if it is one of
 * an older format (to be minted again). */
int ticket_read(const char *text, struct ticket_claims *claims, char *pass, size_t pass_cap);

/* The id (tag) of a pass, unverified: how a relay tells a member's
 * repeated join with the same ticket. Returns 0, or -1 if pass cannot be
 * one. */
int ticket_pass_id(const char *pass, uint8_t id[TICKET_ID_BYTES]);

/* What a relay says of a whole ticket sent where its pass belongs (a
 * backend's mistake: the ticket also holds the session keys, in clear). */
#define TICKET_WHOLE_TEXT "a whole ticket was sent, not its pass: send only the pass " \
                          "(the ticket's keys stay with the player)"

/* Relay side: checks pass (NUL-terminated base64url) against keys[0..n)
 * at now_s (Unix seconds) for self. On success fills claims and returns
 * PROTO_ERROR_NONE; otherwise one of PROTO_ERROR_TICKET_MALFORMED,
 * _EXPIRED, _TAMPERED, _WRONG_RELAY, and why (if not NULL) gets one line.
 * A whole ticket in place of its pass is _MALFORMED, TICKET_WHOLE_TEXT.
 * Whether the pass is in use (replayed) is the caller's to know. */
enum proto_error_code ticket_verify(const char *pass, const struct ticket_key *keys,
                                    size_t n_keys, const struct ticket_self *self,
                                    uint64_t now_s, struct ticket_claims *claims, char *why,
                                    size_t why_cap);

#endif
