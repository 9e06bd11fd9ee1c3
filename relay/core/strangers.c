/* strangers.c: reply budgets for plain-UDP strangers (see strangers.h). */
#include "strangers.h"
#include "source_key.h"

#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

#define MICRO 1000000ull /* buckets count in millionths of a reply */

_Static_assert((STRANGERS_SLOTS & (STRANGERS_SLOTS - 1)) == 0, "a power of two");

void strangers_init(struct strangers *s, const uint8_t key[16], unsigned per_address,
                    uint64_t now_us)
{
    memset(s, 0, sizeof *s);
    memcpy(s->key, key, sizeof s->key);
    s->source_burst = per_address == 0                       ? 0
                      : per_address > STRANGERS_SOURCE_BURST ? per_address
                                                             : STRANGERS_SOURCE_BURST;
    s->tokens = STRANGERS_PER_S * MICRO;
    s->last_us = now_us;
}

/* Refills a bucket at rate a second up to burst; time going backwards
 * refills nothing. */
static void refill(uint64_t *tokens, uint64_t *last_us, uint64_t now_us, uint64_t rate,
                   uint64_t burst)
{
    uint64_t elapsed = now_us > *last_us ? now_us - *last_us : 0;
    if (elapsed > 1000 * MICRO)
        elapsed = 1000 * MICRO; /* anything longer refills fully anyway */
    *tokens += elapsed * rate;
    if (*tokens > burst * MICRO)
        *tokens = burst * MICRO;
    if (now_us > *last_us)
        *last_us = now_us;
}

/* The budget of from's source, refilled to now_us; NULL: none is kept. */
static struct strangers_slot *source_budget(struct strangers *s, const union netaddr *from,
                                            uint64_t now_us)
{
    if (!s->source_burst)
        return NULL;
    uint8_t src[SOURCE_BYTES_MAX];
    uint8_t h[crypto_shorthash_BYTES]; /* SipHash-2-4 */
    crypto_shorthash(h, src, source_bytes(from, src), s->key);
    uint64_t hash;
    memcpy(&hash, h, sizeof hash);
    uint64_t tag = hash | 1; /* never 0, which marks a free slot */
    struct strangers_slot *slot = &s->slots[hash & (STRANGERS_SLOTS - 1)];
    if (slot->tag != tag)
        *slot = (struct strangers_slot){ .tag = tag, .tokens = s->source_burst * MICRO,
                                         .last_us = now_us };
    refill(&slot->tokens, &slot->last_us, now_us, STRANGERS_SOURCE_PER_S, s->source_burst);
    return slot;
}

bool strangers_may_reply(struct strangers *s, const union netaddr *from, bool admission,
                         uint64_t now_us)
{
    struct strangers_slot *slot = source_budget(s, from, now_us);
    if (slot && slot->tokens < MICRO)
        return false;
    if (!admission) {
        refill(&s->tokens, &s->last_us, now_us, STRANGERS_PER_S, STRANGERS_PER_S);
        if (s->tokens < MICRO)
            return false;
        s->tokens -= MICRO;
    }
    if (slot)
        slot->tokens -= MICRO;
    return true;
}
