/* key_guesses.c: joins with a key the relay does not hold, per source (see
 * key_guesses.h). */
#include "key_guesses.h"
#include "source_key.h"

#define MICRO 1000000ull /* buckets count in millionths of a join */

_Static_assert((KEY_GUESSES_SLOTS & (KEY_GUESSES_SLOTS - 1)) == 0, "a power of two");

bool key_guesses_may_try(struct key_guesses *g, const union netaddr *from, uint64_t now_us)
{
    uint64_t hash = source_key_member(from);
    uint64_t tag = hash | 1; /* never 0, which marks a free slot */
    struct key_guesses_slot *s = &g->slots[hash & (KEY_GUESSES_SLOTS - 1)];
    if (s->tag != tag)
        *s = (struct key_guesses_slot){ .tag = tag, .tokens = KEY_GUESSES_BURST * MICRO,
                                        .last_us = now_us };
    /* refilled to now; time going backwards refills nothing */
    uint64_t elapsed = now_us > s->last_us ? now_us - s->last_us : 0;
    if (elapsed > KEY_GUESSES_BURST * MICRO)
        elapsed = KEY_GUESSES_BURST * MICRO; /* longer refills fully anyway */
    s->tokens += elapsed * KEY_GUESSES_PER_S;
    if (s->tokens > KEY_GUESSES_BURST * MICRO)
        s->tokens = KEY_GUESSES_BURST * MICRO;
    if (now_us > s->last_us)
        s->last_us = now_us;
    if (s->tokens < MICRO)
        return false;
    s->tokens -= MICRO;
    return true;
}
