/* ricochet_mint.c: the public API's ticket minting (ricochet.h's
 * ricochet_ticket_mint), for a game's backend: ricochet-ticket mint's work
 * (sys/keyfile.c's claims, proto/ticket.c's ticket) as a call. */
#include "client.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "proto/ticket.h"
#include "sys/clock.h"
#include "sys/keyfile.h"

int ricochet_ticket_mint(const char *key_file, const char *room, const char *name,
                         const char *where, uint32_t ttl_s, unsigned flags, char *out,
                         size_t cap)
{
    char err[512] = "";
    struct ticket_key key;
    struct ticket_claims claims;
    int n = -1;
    if (!out || cap == 0)
        return RICOCHET_E_INVALID;
    /* a fleet's name holds no ':', an endpoint does */
    bool relays = where && strchr(where, ':');
    struct keyfile_ask ask = {.room = room, .name = name,
                              .fleet = where && where[0] ? where : "ricochet",
                              .relays = relays ? where : NULL, .ttl_s = ttl_s,
                              .clear = flags & RICOCHET_TICKET_CLEAR};
    if (!key_file || !room || !name || cap < RICOCHET_TICKET_MAX + 1)
        snprintf(err, sizeof err, "ricochet_ticket_mint: a key file, a room, a name and "
                 "room for %d characters are needed", RICOCHET_TICKET_MAX);
    else if (flags & ~(unsigned)RICOCHET_TICKET_CLEAR)
        snprintf(err, sizeof err, "ricochet_ticket_mint: unknown flags 0x%x", flags);
    else if (ticket_crypto_init() != 0)
        snprintf(err, sizeof err, "ricochet_ticket_mint: libsodium cannot start");
    else if (keyfile_load(key_file, &key, err, sizeof err) == 0) {
        if (keyfile_claims(&ask, clock_unix_s(), &claims, err, sizeof err) == 0)
            n = ticket_mint(&key, &claims, out, cap);
        sodium_memzero(&key, sizeof key);
        sodium_memzero(&claims, sizeof claims);
    }
    if (n > 0)
        return n;
    snprintf(out, cap, "%s", err[0] ? err : "ricochet_ticket_mint: cannot mint the ticket");
    return RICOCHET_E_INVALID;
}
