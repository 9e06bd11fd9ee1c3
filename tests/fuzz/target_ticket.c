/* target_ticket.c: fuzzes what a relay and a client read of tickets and
 * sealed messages (see targets.h): the bytes as a pass (ticket_verify), as
 * the claims inside a pass sealed under the relay's key (so the fuzzer
 * reaches the claims reader past the seal, which it could never forge), as
 * a client's ticket (ticket_read) and as a sealed message (seal_open). */
#include <string.h>

#include <sodium.h>

#include "proto/seal.h"
#include "proto/ticket.h"
#include "targets.h"

#define FUZZ_TICKET_NOW 1800000000ull

static struct ticket_key fuzz_ticket_key(void)
{
    uint8_t secret[TICKET_KEY_BYTES];
    for (int i = 0; i < TICKET_KEY_BYTES; i++)
        secret[i] = (uint8_t)i;
    struct ticket_key key;
    ticket_key_from_secret(&key, secret);
    return key;
}

static void fuzz_ticket_check_claims(enum proto_error_code rc, const struct ticket_claims *c)
{
    FUZZ_CHECK(rc == PROTO_ERROR_NONE || rc == PROTO_ERROR_TICKET_MALFORMED ||
               rc == PROTO_ERROR_TICKET_EXPIRED || rc == PROTO_ERROR_TICKET_TAMPERED ||
               rc == PROTO_ERROR_TICKET_WRONG_RELAY);
    if (rc == PROTO_ERROR_NONE)
        FUZZ_CHECK(ticket_claims_invalid(c) == NULL);
}

/* data as the claims of a pass sealed under key, issued now for 60 s. */
static size_t fuzz_ticket_seal_claims(const struct ticket_key *key, const uint8_t *data,
                                      size_t size, uint8_t *pass)
{
    uint8_t *p = pass;
    *p++ = TICKET_FORMAT;
    for (int i = 3; i >= 0; i--)
        *p++ = (uint8_t)(key->id >> (8 * i));
    for (int t = 0; t < 2; t++)
        for (int i = 7; i >= 0; i--)
            *p++ = (uint8_t)((FUZZ_TICKET_NOW + 60u * (unsigned)t) >> (8 * i));
    memset(p, 0x42, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(pass + TICKET_PASS_HEADER, &n, data, size, pass,
                                               TICKET_PASS_HEADER, NULL, p, key->secret);
    return TICKET_PASS_HEADER + (size_t)n;
}

int fuzz_target_ticket(const uint8_t *data, size_t size)
{
    static char text[2 * TICKET_TEXT_MAX + 8];
    static uint8_t pass[TICKET_PASS_MAX + 2048];
    struct ticket_claims c;
    char out_pass[TICKET_PASS_TEXT_MAX + 1];
    FUZZ_CHECK(ticket_crypto_init() == 0);
    struct ticket_key key = fuzz_ticket_key();
    const char *here[] = {"127.0.0.1:7777"};
    const struct ticket_self self = {"ricochet", here, 1};

    /* the bytes as a pass, then as a client's ticket */
    if (size <= TICKET_BYTES_MAX + 16) {
        sodium_bin2base64(text, sizeof text, data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        fuzz_ticket_check_claims(
            ticket_verify(text, &key, 1, &self, FUZZ_TICKET_NOW, &c, NULL, 0), &c);
        if (ticket_read(text, &c, out_pass, sizeof out_pass) == 0)
            FUZZ_CHECK(ticket_claims_invalid(&c) == NULL &&
                       strlen(out_pass) <= TICKET_PASS_TEXT_MAX);
    }
    /* the bytes as sealed claims: the seal holds, the claims decide */
    if (size <= TICKET_CLAIMS_MAX + 64) {
        size_t n = fuzz_ticket_seal_claims(&key, data, size, pass);
        sodium_bin2base64(text, sizeof text, pass, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        enum proto_error_code rc =
            ticket_verify(text, &key, 1, &self, FUZZ_TICKET_NOW, &c, NULL, 0);
        FUZZ_CHECK(rc != PROTO_ERROR_TICKET_TAMPERED && rc != PROTO_ERROR_TICKET_EXPIRED);
        fuzz_ticket_check_claims(rc, &c);
    }
    /* the bytes as a sealed message */
    struct seal_rx rx;
    seal_rx_init(&rx, key.secret);
    static uint8_t plain[4096 + 64];
    int rc = seal_open(&rx, data, size, plain, sizeof plain, NULL);
    FUZZ_CHECK(rc == SEAL_E_SHORT || rc == SEAL_E_FORGED || rc == SEAL_E_SPACE ||
               (rc >= 0 && (size_t)rc + SEAL_OVERHEAD == size));
    return 0;
}
