/* quic_timers.c: each connection's next expiry in a binary min-heap, so
 * that the loop's wait and a service's expired connections cost
 * O(log n), not a walk of every connection (see transport_quic.h). Pure. */
#include "transport_quic.h"

#include <stdlib.h>

#define NOWHERE UINT32_MAX

int quic_timers_init(struct quic_timers *q, uint32_t slots)
{
    *q = (struct quic_timers){.cap = slots};
    q->heap = calloc(slots ? slots : 1, sizeof *q->heap);
    q->pos = malloc((slots ? slots : 1) * sizeof *q->pos);
    q->at = calloc(slots ? slots : 1, sizeof *q->at);
    if (!q->heap || !q->pos || !q->at)
        return -1;
    for (uint32_t i = 0; i < slots; i++)
        q->pos[i] = NOWHERE;
    return 0;
}

void quic_timers_free(struct quic_timers *q)
{
    free(q->heap);
    free(q->pos);
    free(q->at);
    *q = (struct quic_timers){0};
}

static void put(struct quic_timers *q, uint32_t i, uint32_t slot)
{
    q->heap[i] = slot;
    q->pos[slot] = i;
}

static void up(struct quic_timers *q, uint32_t i)
{
    uint32_t slot = q->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (q->at[q->heap[parent]] <= q->at[slot])
            break;
        put(q, i, q->heap[parent]);
        i = parent;
    }
    put(q, i, slot);
}

static void down(struct quic_timers *q, uint32_t i)
{
    uint32_t slot = q->heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t best = q->at[slot];
        if (l < q->n && q->at[q->heap[l]] < best) {
            m = l;
            best = q->at[q->heap[l]];
        }
        if (r < q->n && q->at[q->heap[r]] < best)
            m = r;
        if (m == i)
            break;
        put(q, i, q->heap[m]);
        i = m;
    }
    put(q, i, slot);
}

void quic_timers_set(struct quic_timers *q, uint32_t slot, uint64_t at_us)
{
    if (slot >= q->cap)
        return;
    uint32_t i = q->pos[slot];
    if (at_us == UINT64_MAX) {
        if (i == NOWHERE)
            return;
        q->pos[slot] = NOWHERE;
        uint32_t last = q->heap[--q->n];
        if (i < q->n) {
            put(q, i, last);
            up(q, i);
            down(q, q->pos[last]);
        }
        return;
    }
    q->at[slot] = at_us;
    if (i == NOWHERE) {
        put(q, q->n++, slot);
        up(q, q->n - 1);
        return;
    }
    up(q, i);
    down(q, q->pos[slot]);
}

uint64_t quic_timers_next(const struct quic_timers *q, uint32_t *slot)
{
    if (q->n == 0)
        return UINT64_MAX;
    *slot = q->heap[0];
    return q->at[q->heap[0]];
}
