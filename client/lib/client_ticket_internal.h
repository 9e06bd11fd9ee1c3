/* client_ticket_internal.h: client_ticket.c's part of a session, and its calls: a
 * ticket and its sealed session.
 * client_internal.h includes it, composing struct ricochet of its parts;
 * only the file named here writes them. Private to client/lib/. */
#ifndef RICOCHET_CLIENT_TICKET_INTERNAL_H
#define RICOCHET_CLIENT_TICKET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "proto/seal.h"

struct ricochet;

/* A session's ticket (client_ticket.c); a client without one has none. */
struct client_ticket {
    char pass[PROTO_TICKET_MAX + 1];   /* the part for the relay, sent in each join */
    uint8_t up_key[SEAL_KEY_BYTES];    /* the ticket's keys, from which each session's */
    uint8_t down_key[SEAL_KEY_BYTES];  /* keys are derived with my nonce and its salt */
    bool must_seal;                    /* the ticket says the session must be sealed */
    uint8_t nonce[SEAL_NONCE_BYTES];   /* this join's (a new one for each join: a move, */
    char nonce_hex[SEAL_HEX_LEN + 1];  /* a rejoin), sent in it */
    bool sealed;                       /* the relay's `sealed` for this join came: keys */
    uint8_t salt[SEAL_SALT_BYTES];     /* ... from its salt, the only one of this join */
    struct seal_tx tx;                 /* what I send */
    struct seal_rx rx;                 /* what the relay sends */
};

/* ---- a ticket and its sealed session (client_ticket.c) ---- */

/* Reads ticket (text) into c->ticket; the ticket's room and name become the
 * session's. Returns 0, or -1 with a one-line message in err. */
int client_ticket_take(struct ricochet *c, const char *ticket, char *err, size_t err_cap);

/* The relay's `sealed` message (salt and tag, hex): the session is sealed
 * from now on, under keys derived from my join's nonce and the salt, if
 * the tag proves it the relay's answer to this join. One salt per join:
 * the same again is nothing new (*fresh false), another is refused.
 * Returns NULL (*fresh: the keys are new: the join goes again, sealed, as
 * the proof), or what is wrong with it (the caller drops and counts it). */
const char *client_ticket_salt(struct ricochet *c, const char *salt_hex, const char *tag_hex,
                               bool *fresh);

/* Opens a sealed message of len bytes into out (len bytes of room).
 * Returns the length inside, or -1 (no sealed session, forged, replayed). */
int client_ticket_open(struct ricochet *c, const uint8_t *in, size_t len, uint8_t *out);

/* in sealed on lane into out (len + SEAL_OVERHEAD of room) when the session
 * is sealed; else in itself. Returns what to send (its length in *out_len),
 * or NULL if it cannot be sealed. */
const uint8_t *client_ticket_seal(struct ricochet *c, enum seal_lane lane, const uint8_t *in,
                                  size_t len, uint8_t *out, size_t *out_len);

/* Whether the session is sealed; whether it must be (its ticket says so). */
bool client_ticket_sealed(const struct ricochet *c);
bool client_ticket_must_seal(const struct ricochet *c);

/* A new join with the same ticket (another relay of the fleet, or the same
 * again): a fresh nonce, no keys until that join's `sealed` message (an
 * error that came in clear is the caller's to forget: client_end_clear_forget). */
void client_ticket_restart(struct ricochet *c);

/* Wipes and frees c->ticket. */
void client_ticket_free(struct ricochet *c);

#endif
