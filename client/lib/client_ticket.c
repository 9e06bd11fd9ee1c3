/* client_ticket.c: a session's ticket and its sealed session (see
 * client_ticket_internal.h; PROTOCOL.md, Tickets and Sealed sessions). */
#include "client_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ticket.h"
#include "sys/log.h"

int client_ticket_take(struct ricochet *c, const char *ticket, char *err, size_t err_cap)
{
    struct ticket_claims claims;
    if (ticket_crypto_init() != 0) {
        snprintf(err, err_cap, "client: libsodium cannot start");
        return -1;
    }
    c->ticket = calloc(1, sizeof *c->ticket);
    if (!c->ticket) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    int rc = ticket_read(ticket, &claims, c->ticket->pass, sizeof c->ticket->pass);
    if (rc != 0) {
        snprintf(err, err_cap, "client: %s",
                 rc == -2 ? "a ticket of an older format: mint it again"
                          : "not a ticket (ricochet-ticket mint prints one)");
        return -1;
    }
    memcpy(c->ticket->up_key, claims.up_key, SEAL_KEY_BYTES);
    memcpy(c->ticket->down_key, claims.down_key, SEAL_KEY_BYTES);
    c->ticket->must_seal = claims.sealed;
    snprintf(c->room, sizeof c->room, "%s", claims.room);
    snprintf(c->name, sizeof c->name, "%s", claims.name);
    sodium_memzero(&claims, sizeof claims);
    client_ticket_restart(c);
    return 0;
}

const char *client_ticket_salt(struct ricochet *c, const char *salt_hex, const char *tag_hex,
                               bool *fresh)
{
    struct client_ticket *t = c->ticket;
    uint8_t salt[SEAL_SALT_BYTES], tag[SEAL_PROOF_BYTES], key[SEAL_KEY_BYTES];
    *fresh = false;
    if (!t || seal_hex_parse(salt_hex, salt) != 0 || seal_hex_parse(tag_hex, tag) != 0)
        return "a sealed session without a ticket";
    if (t->sealed)
        /* Keys start once per join: another salt (even the relay's, replayed
         * from another time) would start counters at 0 again. */
        return sodium_memcmp(salt, t->salt, sizeof salt) == 0 ? NULL
                                                              : "a second salt for one join";
    if (!seal_proof_ok(tag, t->down_key, t->nonce, salt))
        return "a salt whose tag is not the relay's for this join";
    memcpy(t->salt, salt, sizeof salt);
    seal_session_key(key, t->up_key, t->nonce, salt);
    seal_tx_init(&t->tx, key);
    seal_session_key(key, t->down_key, t->nonce, salt);
    seal_rx_init(&t->rx, key);
    sodium_memzero(key, sizeof key);
    t->sealed = true;
    *fresh = true;
    log_debug("client %s: the relay seals this session", c->name);
    return NULL;
}

int client_ticket_open(struct ricochet *c, const uint8_t *in, size_t len, uint8_t *out)
{
    if (!c->ticket || !c->ticket->sealed)
        return -1;
    int n = seal_open(&c->ticket->rx, in, len, out, len, NULL);
    return n < 0 ? -1 : n;
}

const uint8_t *client_ticket_seal(struct ricochet *c, enum seal_lane lane, const uint8_t *in,
                                  size_t len, uint8_t *out, size_t *out_len)
{
    if (!client_ticket_sealed(c)) {
        *out_len = len;
        return in;
    }
    int n = seal_box(&c->ticket->tx, lane, in, len, out, len + SEAL_OVERHEAD);
    if (n < 0)
        return NULL;
    *out_len = (size_t)n;
    return out;
}

bool client_ticket_sealed(const struct ricochet *c)
{
    return c->ticket && c->ticket->sealed;
}

bool client_ticket_must_seal(const struct ricochet *c)
{
    return c->ticket && c->ticket->must_seal && !c->caps.secure; /* DTLS keeps it */
}

void client_ticket_restart(struct ricochet *c)
{
    struct client_ticket *t = c->ticket;
    if (!t)
        return;
    seal_tx_wipe(&t->tx);
    seal_rx_wipe(&t->rx);
    t->sealed = false;
    randombytes_buf(t->nonce, sizeof t->nonce);
    seal_hex_format(t->nonce, t->nonce_hex);
}

void client_ticket_free(struct ricochet *c)
{
    if (!c->ticket)
        return;
    sodium_memzero(c->ticket, sizeof *c->ticket);
    free(c->ticket);
    c->ticket = NULL;
}
