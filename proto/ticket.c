/* ticket.c: join tickets (see ticket.h and PROTOCOL.md, Tickets). */
#include "ticket.h"
#include "byteorder.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

_Static_assert(TICKET_PASS_HEADER == 1 + 4 + 8 + 8 + NONCE_BYTES, "pass header layout");
_Static_assert(TICKET_ID_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "id is the tag");
_Static_assert(1 + TICKET_FLEET_MAX + 1 <= 1 + 1 + TICKET_RELAYS_MAX * (1 + TICKET_ENDPOINT_MAX),
               "a fleet is shorter than the most relays");
_Static_assert(TICKET_TEXT_MAX == PROTO_TICKET_MAX, "a join holds a whole ticket, to say so");
_Static_assert(TICKET_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");

/* A cursor over a caller's buffer; ok turns false at the first overrun. */
struct cursor {
    uint8_t *p;
    size_t len, at;
    bool ok;
};

static void put(struct cursor *c, const void *bytes, size_t n)
{
    if (!c->ok || n > c->len - c->at) {
        c->ok = false;
        return;
    }
    memcpy(c->p + c->at, bytes, n);
    c->at += n;
}

static void put_uint(struct cursor *c, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[n - 1 - i] = (uint8_t)(v >> (8 * i));
    put(c, b, n);
}

static void put_str(struct cursor *c, const char *s)
{
    size_t n = strlen(s);
    put_uint(c, n, 1);
    put(c, s, n);
}

static const uint8_t *take(struct cursor *c, size_t n)
{
    if (!c->ok || n > c->len - c->at) {
        c->ok = false;
        return NULL;
    }
    c->at += n;
    return c->p + c->at - n;
}

static uint64_t take_uint(struct cursor *c, size_t n)
{
    const uint8_t *b = take(c, n);
    uint64_t v = 0;
    for (size_t i = 0; b && i < n; i++)
        v = (v << 8) | b[i];
    return v;
}

/* A length-prefixed string of at most max bytes into out (max + 1). */
static void take_str(struct cursor *c, char *out, size_t max)
{
    size_t n = (size_t)take_uint(c, 1);
    const uint8_t *b = n <= max ? take(c, n) : NULL;
    if (!b) {
        c->ok = false;
        out[0] = '\0';
        return;
    }
    memcpy(out, b, n);
    out[n] = '\0';
}

int ticket_crypto_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void ticket_key_from_secret(struct ticket_key *key, const uint8_t secret[TICKET_KEY_BYTES])
{
    uint8_t hash[crypto_generichash_BYTES];
    crypto_generichash(hash, sizeof hash, secret, TICKET_KEY_BYTES, NULL, 0);
    memcpy(key->secret, secret, TICKET_KEY_BYTES);
    key->id = be32_get(hash);
}

/* 1..TICKET_ENDPOINT_MAX printable ASCII bytes without a space. */
static bool endpoint_valid(const char *e)
{
    size_t n = strlen(e);
    for (size_t i = 0; i < n; i++)
        if (e[i] <= ' ' || e[i] > '~')
            return false;
    return n >= 1 && n <= TICKET_ENDPOINT_MAX;
}

const char *ticket_claims_invalid(const struct ticket_claims *c)
{
    if (!proto_room_valid(c->room))
        return "the room breaks the name rules (1-32 of A-Z a-z 0-9 _ - .)";
    if (!proto_name_valid(c->name))
        return "the name breaks the name rule (1-32 bytes of UTF-8, no control or format "
               "characters, not only spaces)";
    if ((c->fleet[0] != '\0') == (c->n_relays > 0))
        return "a ticket names either a fleet or relays, not both or neither";
    if (c->fleet[0] && !proto_room_valid(c->fleet)) /* a key in the directory: ASCII */
        return "the fleet breaks the name rules (1-32 of A-Z a-z 0-9 _ - .)";
    if (c->n_relays > TICKET_RELAYS_MAX)
        return "a ticket names at most 4 relays";
    for (unsigned i = 0; i < c->n_relays; i++)
        if (!endpoint_valid(c->relays[i]))
            return "a relay endpoint is empty, has a space or is too long";
    if (c->expires_s <= c->issued_s || c->expires_s - c->issued_s > TICKET_TTL_MAX_S)
        return "the expiry is not after the issue time, or more than a week after";
    return NULL;
}

static void put_claims(struct cursor *c, const struct ticket_claims *cl)
{
    put(c, cl->up_key, SEAL_KEY_BYTES);
    put(c, cl->down_key, SEAL_KEY_BYTES);
    put_uint(c, cl->sealed ? TICKET_FLAG_SEALED : 0, 1);
    put_str(c, cl->room);
    put_str(c, cl->name);
    put_str(c, cl->fleet);
    put_uint(c, cl->n_relays, 1);
    for (unsigned i = 0; i < cl->n_relays; i++)
        put_str(c, cl->relays[i]);
}

/* Reads claims (keys, room, name, scope) and checks them; issued_s and
 * expires_s must be set already. Returns 0 or -1. */
static int take_claims(struct cursor *c, struct ticket_claims *cl)
{
    const uint8_t *up = take(c, SEAL_KEY_BYTES), *down = take(c, SEAL_KEY_BYTES);
    if (!up || !down)
        return -1;
    memcpy(cl->up_key, up, SEAL_KEY_BYTES);
    memcpy(cl->down_key, down, SEAL_KEY_BYTES);
    uint64_t flags = take_uint(c, 1);
    if (flags & ~(uint64_t)TICKET_FLAG_SEALED)
        return -1; /* a flag this version does not know: it cannot honour it */
    cl->sealed = (flags & TICKET_FLAG_SEALED) != 0;
    take_str(c, cl->room, PROTO_ROOM_MAX);
    take_str(c, cl->name, PROTO_NAME_MAX);
    take_str(c, cl->fleet, TICKET_FLEET_MAX);
    cl->n_relays = (unsigned)take_uint(c, 1);
    if (cl->n_relays > TICKET_RELAYS_MAX)
        return -1;
    for (unsigned i = 0; i < cl->n_relays; i++)
        take_str(c, cl->relays[i], TICKET_ENDPOINT_MAX);
    return c->ok && c->at == c->len && !ticket_claims_invalid(cl) ? 0 : -1;
}

/* The pass's clear header; out holds TICKET_PASS_HEADER bytes. */
static void put_header(uint8_t *out, uint32_t key_id, const struct ticket_claims *cl,
                       const uint8_t nonce[NONCE_BYTES])
{
    struct cursor c = {out, TICKET_PASS_HEADER, 0, true};
    put_uint(&c, TICKET_FORMAT, 1);
    put_uint(&c, key_id, 4);
    put_uint(&c, cl->issued_s, 8);
    put_uint(&c, cl->expires_s, 8);
    put(&c, nonce, NONCE_BYTES);
}

/* The pass of claims under key into pass (TICKET_PASS_MAX); its length. */
static size_t seal_pass(const struct ticket_key *key, struct ticket_claims *cl, uint8_t *pass)
{
    uint8_t nonce[NONCE_BYTES], plain[TICKET_CLAIMS_MAX];
    randombytes_buf(nonce, sizeof nonce);
    put_header(pass, key->id, cl, nonce);
    struct cursor c = {plain, sizeof plain, 0, true};
    put_claims(&c, cl);
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(pass + TICKET_PASS_HEADER, &n, plain, c.at,
                                               pass, TICKET_PASS_HEADER, NULL, nonce,
                                               key->secret);
    sodium_memzero(plain, sizeof plain);
    size_t len = TICKET_PASS_HEADER + (size_t)n;
    memcpy(cl->id, pass + len - TICKET_ID_BYTES, TICKET_ID_BYTES);
    return len;
}

int ticket_mint(const struct ticket_key *key, struct ticket_claims *claims, char *out,
                size_t cap)
{
    if (ticket_claims_invalid(claims) || cap < TICKET_TEXT_MAX + 1)
        return -1;
    randombytes_buf(claims->up_key, SEAL_KEY_BYTES);
    randombytes_buf(claims->down_key, SEAL_KEY_BYTES);
    uint8_t pass[TICKET_PASS_MAX], bytes[TICKET_BYTES_MAX];
    size_t pass_len = seal_pass(key, claims, pass);
    struct cursor c = {bytes, sizeof bytes, 0, true};
    put_uint(&c, TICKET_FORMAT, 1);
    put_uint(&c, pass_len, 2);
    put(&c, pass, pass_len);
    put_claims(&c, claims);
    sodium_bin2base64(out, cap, bytes, c.at, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes, sizeof bytes);
    return (int)strlen(out);
}

/* base64url text (NUL-terminated) into out[0..max); its length or -1. */
static long from_base64(const char *text, uint8_t *out, size_t max)
{
    size_t n = 0;
    if (sodium_base642bin(out, max, text, strlen(text), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    return (long)n;
}

/* The header fields of a pass of len bytes; -1 if it cannot be one, -2 if
 * it is one of an older format. */
static int read_header(const uint8_t *pass, size_t len, uint32_t *key_id,
                       struct ticket_claims *cl)
{
    struct cursor c = {(uint8_t *)pass, len, 0, true};
    if (len < TICKET_PASS_HEADER + TICKET_ID_BYTES)
        return -1;
    uint64_t format = take_uint(&c, 1);
    if (format != TICKET_FORMAT)
        return format >= 1 && format < TICKET_FORMAT ? -2 : -1;
    *key_id = (uint32_t)take_uint(&c, 4);
    cl->issued_s = take_uint(&c, 8);
    cl->expires_s = take_uint(&c, 8);
    memcpy(cl->id, pass + len - TICKET_ID_BYTES, TICKET_ID_BYTES);
    return 0;
}

int ticket_read(const char *text, struct ticket_claims *claims, char *pass, size_t pass_cap)
{
    uint8_t bytes[TICKET_BYTES_MAX];
    memset(claims, 0, sizeof *claims);
    long n = from_base64(text, bytes, sizeof bytes);
    struct cursor c = {bytes, n < 0 ? 0 : (size_t)n, 0, true};
    uint32_t key_id;
    uint64_t format = n < 0 ? 0 : take_uint(&c, 1);
    if (format >= 1 && format < TICKET_FORMAT)
        return -2;
    if (format != TICKET_FORMAT || pass_cap < TICKET_PASS_TEXT_MAX + 1)
        return -1;
    size_t pass_len = (size_t)take_uint(&c, 2);
    const uint8_t *p = pass_len <= TICKET_PASS_MAX ? take(&c, pass_len) : NULL;
    if (!p || read_header(p, pass_len, &key_id, claims) != 0)
        return -1;
    struct cursor rest = {bytes + c.at, c.len - c.at, 0, true};
    int rc = take_claims(&rest, claims);
    if (rc == 0)
        sodium_bin2base64(pass, pass_cap, p, pass_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes, sizeof bytes);
    return rc;
}

int ticket_pass_id(const char *pass, uint8_t id[TICKET_ID_BYTES])
{
    uint8_t bytes[TICKET_PASS_MAX];
    struct ticket_claims cl;
    uint32_t key_id;
    long n = strlen(pass) <= TICKET_PASS_TEXT_MAX ? from_base64(pass, bytes, sizeof bytes) : -1;
    if (n < 0 || read_header(bytes, (size_t)n, &key_id, &cl) != 0)
        return -1;
    memcpy(id, cl.id, TICKET_ID_BYTES);
    return 0;
}

static bool scope_matches(const struct ticket_claims *cl, const struct ticket_self *self)
{
    if (cl->fleet[0])
        return self->fleet && strcmp(cl->fleet, self->fleet) == 0;
    for (unsigned i = 0; i < cl->n_relays; i++)
        for (size_t k = 0; k < self->n_endpoints; k++)
            if (strcmp(cl->relays[i], self->endpoints[k]) == 0)
                return true;
    return false;
}

/* Opens the sealed claims of pass under the key it names; -1 if none of
 * keys has its id or the tag does not match. */
static int open_pass(const uint8_t *pass, size_t len, uint32_t key_id,
                     const struct ticket_key *keys, size_t n_keys, struct ticket_claims *cl)
{
    const struct ticket_key *key = NULL;
    for (size_t i = 0; i < n_keys && !key; i++)
        if (keys[i].id == key_id)
            key = &keys[i];
    uint8_t plain[TICKET_CLAIMS_MAX];
    unsigned long long n = 0;
    if (!key || len > TICKET_PASS_MAX ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain, &n, NULL, pass + TICKET_PASS_HEADER, len - TICKET_PASS_HEADER, pass,
            TICKET_PASS_HEADER, pass + TICKET_PASS_HEADER - NONCE_BYTES, key->secret) != 0)
        return -1;
    struct cursor c = {plain, (size_t)n, 0, true};
    int rc = take_claims(&c, cl) == 0 ? 0 : -2;
    sodium_memzero(plain, sizeof plain);
    return rc;
}

static enum proto_error_code refuse(enum proto_error_code code, char *why, size_t cap,
                                    const char *text)
{
    if (why && cap)
        snprintf(why, cap, "%s", text);
    return code;
}

/* A ticket valid elsewhere, which of its causes in words: the fleets, or
 * the relays it names and this relay's own endpoints (a relay on a
 * wildcard address has none), so whoever minted it sees what to change. */
static enum proto_error_code refuse_scope(const struct ticket_claims *cl,
                                          const struct ticket_self *self, char *why, size_t cap)
{
    if (!why || !cap)
        return PROTO_ERROR_TICKET_WRONG_RELAY;
    if (cl->fleet[0]) {
        snprintf(why, cap, "valid in the fleet '%s', and this relay is in %s%s%s", cl->fleet,
                 self->fleet ? "'" : "none", self->fleet ? self->fleet : "",
                 self->fleet ? "'" : "");
        return PROTO_ERROR_TICKET_WRONG_RELAY;
    }
    size_t at = (size_t)snprintf(why, cap, "valid on the relays");
    for (unsigned i = 0; i < cl->n_relays && at < cap; i++)
        at += (size_t)snprintf(why + at, cap - at, " %s", cl->relays[i]);
    if (at < cap && !self->n_endpoints)
        snprintf(why + at, cap - at, ", and this relay listens on no address a ticket can name "
                 "(a wildcard)");
    else if (at < cap)
        at += (size_t)snprintf(why + at, cap - at, ", and this relay is none of them: it is");
    for (size_t k = 0; k < self->n_endpoints && at < cap; k++)
        at += (size_t)snprintf(why + at, cap - at, " %s", self->endpoints[k]);
    return PROTO_ERROR_TICKET_WRONG_RELAY;
}

/* Is text a whole ticket (what mint gives the player) rather than its
 * pass? Asked only of what failed as a pass, so a pass is never taken for
 * one. */
static bool whole_ticket(const char *text)
{
    struct ticket_claims c;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    bool whole = ticket_read(text, &c, pass, sizeof pass) == 0;
    sodium_memzero(&c, sizeof c);
    return whole;
}

static enum proto_error_code verify_pass(const char *pass, const struct ticket_key *keys,
                                         size_t n_keys, const struct ticket_self *self,
                                         uint64_t now_s, struct ticket_claims *cl, char *why,
                                         size_t why_cap)
{
    uint8_t bytes[TICKET_PASS_MAX];
    uint32_t key_id;
    memset(cl, 0, sizeof *cl);
    long n = strlen(pass) <= TICKET_PASS_TEXT_MAX ? from_base64(pass, bytes, sizeof bytes) : -1;
    int header = n < 0 ? -1 : read_header(bytes, (size_t)n, &key_id, cl);
    if (header == -2)
        return refuse(PROTO_ERROR_TICKET_MALFORMED, why, why_cap,
                      "a ticket of an older format: mint it again");
    if (header != 0)
        return refuse(PROTO_ERROR_TICKET_MALFORMED, why, why_cap, "not a ticket");
    if (cl->issued_s > now_s + TICKET_SKEW_S)
        return refuse(PROTO_ERROR_TICKET_EXPIRED, why, why_cap, "issued in the future");
    if (now_s >= cl->expires_s + TICKET_SKEW_S)
        return refuse(PROTO_ERROR_TICKET_EXPIRED, why, why_cap, "expired");
    int rc = open_pass(bytes, (size_t)n, key_id, keys, n_keys, cl);
    if (rc == -1)
        return refuse(PROTO_ERROR_TICKET_TAMPERED, why, why_cap,
                      "changed, or sealed under a key this relay does not hold");
    if (rc != 0)
        return refuse(PROTO_ERROR_TICKET_MALFORMED, why, why_cap, "unreadable claims");
    if (!scope_matches(cl, self))
        return refuse_scope(cl, self, why, why_cap);
    return PROTO_ERROR_NONE;
}

enum proto_error_code ticket_verify(const char *pass, const struct ticket_key *keys,
                                    size_t n_keys, const struct ticket_self *self,
                                    uint64_t now_s, struct ticket_claims *cl, char *why,
                                    size_t why_cap)
{
    enum proto_error_code code = verify_pass(pass, keys, n_keys, self, now_s, cl, why, why_cap);
    if (code == PROTO_ERROR_NONE || code == PROTO_ERROR_TICKET_WRONG_RELAY ||
        !whole_ticket(pass))
        return code;
    /* Read as a pass, a ticket's first bytes give a time of nonsense. */
    memset(cl, 0, sizeof *cl);
    return refuse(PROTO_ERROR_TICKET_MALFORMED, why, why_cap, TICKET_WHOLE_TEXT);
}
