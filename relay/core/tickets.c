/* tickets.c: tickets (see core.h; PROTOCOL.md, Tickets): a join's ticket
 * checked, the tickets live sessions hold, a sealed session started
 * (sealing.c keeps its keys). A refusal is the join's to make (join.c). */
#include "core.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_PEER UINT32_MAX

int core_tickets_alloc(struct relay *r)
{
    if (r->cfg.n_ticket_keys == 0)
        return 0;
    struct core_passes *ps = &r->passes;
    for (ps->cap = 16; ps->cap < 2 * r->cfg.peer_cap; ps->cap *= 2)
        ;
    ps->id = calloc(ps->cap, sizeof *ps->id);
    ps->peer = malloc(ps->cap * sizeof *ps->peer);
    if (!ps->id || !ps->peer)
        return -1;
    for (uint32_t i = 0; i < ps->cap; i++)
        ps->peer[i] = NO_PEER;
    return core_seals_alloc(r) == 0 ? ticket_crypto_init() : -1;
}

void core_tickets_free(struct relay *r)
{
    core_seals_free(r);
    free(r->passes.id);
    free(r->passes.peer);
}

/* ---- the tickets in use: linear probing, removal by backward shift ---- */

static uint32_t pass_home(const struct core_passes *ps, const uint8_t *id)
{
    uint32_t h;
    memcpy(&h, id, sizeof h); /* a tag: already random */
    return h & (ps->cap - 1);
}

/* The slot holding id, or the free slot where it would go (the set holds
 * at most peer_cap of 2 * peer_cap slots: there is always one). */
static uint32_t pass_find(const struct core_passes *ps, const uint8_t *id)
{
    uint32_t i = pass_home(ps, id);
    while (ps->peer[i] != NO_PEER && memcmp(ps->id[i], id, TICKET_ID_BYTES) != 0)
        i = (i + 1) & (ps->cap - 1);
    return i;
}

static void pass_remove(struct core_passes *ps, uint32_t i)
{
    uint32_t mask = ps->cap - 1;
    ps->peer[i] = NO_PEER;
    for (uint32_t j = (i + 1) & mask; ps->peer[j] != NO_PEER; j = (j + 1) & mask) {
        /* j may fill the hole at i if i lies between its home and j */
        if (((j - pass_home(ps, ps->id[j])) & mask) >= ((j - i) & mask)) {
            memcpy(ps->id[i], ps->id[j], TICKET_ID_BYTES);
            ps->peer[i] = ps->peer[j];
            ps->peer[j] = NO_PEER;
            i = j;
        }
    }
}

/* ---- admission ---- */

enum proto_error_code core_ticket_check(struct relay *r, const struct proto_control *m,
                                        struct ticket_claims *claims, char *why, size_t cap)
{
    if (!m->ticket[0]) {
        snprintf(why, cap, "this relay admits tickets only");
        return PROTO_ERROR_TICKET_REQUIRED;
    }
    const char *endpoints[RELAY_EDGES_MAX + 1];
    for (uint32_t i = 0; i < r->cfg.n_endpoints; i++)
        endpoints[i] = r->cfg.endpoints[i];
    const struct ticket_self self = {r->cfg.fleet_name, endpoints, r->cfg.n_endpoints};
    enum proto_error_code code =
        ticket_verify(m->ticket, r->cfg.ticket_keys, r->cfg.n_ticket_keys, &self, r->unix_s,
                      claims, why, cap);
    if (code == PROTO_ERROR_NONE && core_ticket_in_use(r, claims)) {
        snprintf(why, cap, "in use by a live session");
        return PROTO_ERROR_TICKET_REPLAYED;
    }
    return code;
}

bool core_ticket_in_use(const struct relay *r, const struct ticket_claims *claims)
{
    return r->passes.peer[pass_find(&r->passes, claims->id)] != NO_PEER;
}

bool core_ticket_same(const struct relay *r, uint32_t peer, const struct proto_control *m)
{
    const struct relay_peer *p = &r->peers[peer];
    uint8_t id[TICKET_ID_BYTES];
    if (!p->ticketed)
        return true;
    return ticket_pass_id(m->ticket, id) == 0 &&
           sodium_memcmp(id, p->ticket_id, TICKET_ID_BYTES) == 0;
}

void core_ticket_send_salt(struct relay *r, uint32_t peer)
{
    proto_control_init(&r->out, PROTO_CTL_SEALED);
    seal_salt_format(r->seals[peer].salt, r->out.salt);
    int n = core_encode_out(r);
    if (n < 0)
        return;
    /* In clear, past core_send_json: it says how to open what follows. */
    r->stats.control_out++;
    r->stats.bytes_out += (uint64_t)n;
    core_edge_stats(r, peer)->bytes_out += (uint64_t)n;
    core_edge(r, peer)->send_control(core_edge(r, peer)->ctx, peer, r->json, (size_t)n);
}

void core_ticket_bind(struct relay *r, uint32_t peer, const struct ticket_claims *claims)
{
    struct relay_peer *p = &r->peers[peer];
    uint32_t i = pass_find(&r->passes, claims->id);
    memcpy(r->passes.id[i], claims->id, TICKET_ID_BYTES);
    r->passes.peer[i] = peer;
    memcpy(p->ticket_id, claims->id, TICKET_ID_BYTES);
    p->ticketed = true;
    if (!r->cfg.encrypt)
        return;
    core_seal_start(r, peer, claims);
    core_ticket_send_salt(r, peer);
    p->sealed = true;
}

void core_ticket_release(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    if (p->ticketed) {
        uint32_t i = pass_find(&r->passes, p->ticket_id);
        if (r->passes.peer[i] == peer)
            pass_remove(&r->passes, i);
        p->ticketed = false;
    }
    if (p->sealed) {
        core_seal_stop(r, peer);
        p->sealed = false;
    }
}
