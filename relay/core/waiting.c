/* waiting.c: which of an edge's connections that have not joined gives
 * way to a newcomer (see waiting.h). Pure, but for the process's hash key. */
#include "waiting.h"
#include "source_key.h"

#include <stdlib.h>

int waiting_init(struct waiting *w, uint32_t slots)
{
    *w = (struct waiting){.best = UINT32_MAX};
    for (w->cap = 16; w->cap < 2 * (uint64_t)slots; w->cap *= 2)
        ;
    w->e = calloc(w->cap, sizeof *w->e);
    return w->e ? 0 : -1;
}

void waiting_free(struct waiting *w)
{
    free(w->e);
    *w = (struct waiting){.best = UINT32_MAX};
}

void waiting_begin(struct waiting *w)
{
    for (uint32_t k = 0; k < w->cap; k++)
        w->e[k].source = 0;
    w->n = 0;
    w->best = UINT32_MAX;
}

/* Is entry a ahead of b: more connections, or as many and an older oldest? */
static bool ahead(const struct waiting_entry *a, const struct waiting_entry *b)
{
    return a->count > b->count || (a->count == b->count && a->oldest_us < b->oldest_us);
}

void waiting_add(struct waiting *w, uint32_t slot, const union netaddr *addr,
                 uint64_t opened_us)
{
    if (w->n >= w->cap / 2)
        return; /* more than the slots it was made for: a bug of the caller's */
    uint64_t source = source_key(addr);
    uint32_t mask = w->cap - 1, k = (uint32_t)source & mask;
    while (w->e[k].source && w->e[k].source != source)
        k = (k + 1) & mask;
    struct waiting_entry *t = &w->e[k];
    if (!t->source)
        *t = (struct waiting_entry){.source = source, .oldest = slot, .oldest_us = opened_us};
    t->count++;
    if (opened_us < t->oldest_us) {
        t->oldest = slot;
        t->oldest_us = opened_us;
    }
    w->n++;
    if (w->best == UINT32_MAX || ahead(t, &w->e[w->best]))
        w->best = k;
}

uint32_t waiting_pick(const struct waiting *w, uint32_t *n)
{
    *n = w->n;
    return w->best == UINT32_MAX ? UINT32_MAX : w->e[w->best].oldest;
}
