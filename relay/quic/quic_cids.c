/* quic_cids.c: connection IDs to slots (see transport_quic.h): open
 * addressing with linear probing, removal by shifting back the entries
 * after it (no tombstones), keyed SipHash so that a client cannot choose
 * IDs that pile up in one run. Pure. */
#include "transport_quic.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int quic_cids_init(struct quic_cids *c, uint32_t max, const uint8_t key[16])
{
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)max && cap < (1u << 30))
        cap <<= 1;
    *c = (struct quic_cids){.cap = cap};
    memcpy(c->key, key, sizeof c->key);
    c->e = calloc(cap, sizeof *c->e);
    return c->e ? 0 : -1;
}

void quic_cids_free(struct quic_cids *c)
{
    free(c->e);
    c->e = NULL;
    c->n = c->cap = 0;
}

static uint32_t home(const struct quic_cids *c, const uint8_t *id, size_t len)
{
    uint8_t h[crypto_shorthash_BYTES]; /* SipHash-2-4 */
    uint32_t low;
    crypto_shorthash(h, id, len, c->key);
    memcpy(&low, h, sizeof low);
    return low & (c->cap - 1);
}

static bool same(const struct quic_cid_entry *e, const uint8_t *id, size_t len)
{
    return e->len == len && memcmp(e->id, id, len) == 0;
}

int64_t quic_cids_find(const struct quic_cids *c, const uint8_t *id, size_t len)
{
    if (len == 0 || len > NGTCP2_MAX_CIDLEN || !c->e)
        return -1;
    for (uint32_t i = home(c, id, len), k = 0; k < c->cap; i = (i + 1) & (c->cap - 1), k++) {
        const struct quic_cid_entry *e = &c->e[i];
        if (e->len == 0)
            return -1;
        if (same(e, id, len))
            return e->slot;
    }
    return -1;
}

int quic_cids_add(struct quic_cids *c, const uint8_t *id, size_t len, uint32_t slot)
{
    if (len == 0 || len > NGTCP2_MAX_CIDLEN || 2 * (c->n + 1) > c->cap)
        return -1;
    uint32_t i = home(c, id, len);
    while (c->e[i].len) {
        if (same(&c->e[i], id, len))
            return -1;
        i = (i + 1) & (c->cap - 1);
    }
    c->e[i].len = (uint8_t)len;
    memcpy(c->e[i].id, id, len);
    c->e[i].slot = slot;
    c->n++;
    return 0;
}

void quic_cids_remove(struct quic_cids *c, const uint8_t *id, size_t len)
{
    if (len == 0 || len > NGTCP2_MAX_CIDLEN || !c->e)
        return;
    uint32_t mask = c->cap - 1, i = home(c, id, len);
    while (c->e[i].len && !same(&c->e[i], id, len))
        i = (i + 1) & mask;
    if (!c->e[i].len)
        return;
    c->e[i].len = 0;
    c->n--;
    /* Shift back each entry of the run after it that may sit in the hole:
     * one whose home is not within (hole, j]. */
    for (uint32_t hole = i, j = (i + 1) & mask; c->e[j].len; j = (j + 1) & mask) {
        uint32_t h = home(c, c->e[j].id, c->e[j].len);
        bool stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
        if (stays)
            continue;
        c->e[hole] = c->e[j];
        c->e[j].len = 0;
        hole = j;
    }
}
