/* enet_ledger.c: bytes owed to sources not yet shown (see enet_ledger.h). */
#include "enet_ledger.h"

#include <string.h>

#include "relay/core/source_key.h"

_Static_assert((LEDGER_SLOTS & (LEDGER_SLOTS - 1)) == 0, "a power of two");

void enet_ledger_init(struct enet_ledger *l)
{
    memset(l, 0, sizeof *l);
}

/* a's slot, taken over (nothing owed) if another source held it or it
 * was idle too long. A time before the last (a batch's bytes credited at
 * its read, after a send) is no idleness. */
static struct ledger_slot *slot_of(struct enet_ledger *l, const union netaddr *a,
                                   uint64_t now_us)
{
    uint64_t tag = source_key(a);
    struct ledger_slot *s = &l->slots[tag & (LEDGER_SLOTS - 1)];
    if (s->tag != tag || (now_us > s->last_us && now_us - s->last_us > LEDGER_IDLE_US))
        *s = (struct ledger_slot){.tag = tag, .last_us = now_us};
    if (now_us > s->last_us)
        s->last_us = now_us;
    return s;
}

void enet_ledger_received(struct enet_ledger *l, const union netaddr *from, size_t len,
                          uint64_t now_us)
{
    slot_of(l, from, now_us)->credit += len;
}

bool enet_ledger_spend(struct enet_ledger *l, const union netaddr *to, size_t len,
                       size_t keep, uint64_t now_us)
{
    struct ledger_slot *s = slot_of(l, to, now_us);
    if (s->credit < (uint64_t)len + keep)
        return false;
    s->credit -= len;
    return true;
}
