/* tickets.c: tickets (see tickets_internal.h; PROTOCOL.md, Tickets): a join's ticket
 * checked (and an offer's before it, relay_ticket_precheck), the tickets
 * live sessions hold, the tickets used here (each bound to the source of
 * its first session, an IPv4 address or an IPv6 /64, until it expires), a
 * sealed session started and its proof awaited (sealing.c keeps its keys). A
 * refusal is the join's to make (join.c). */
#define BY_TICKETS_C /* this file writes the parts BY_TICKETS_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "sealing_internal.h"
#include "tickets_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"
#include "source_key.h"

#define NO_PEER UINT32_MAX
#define USED_PER_PEER 16 /* used tickets remembered per peer slot */

int core_tickets_alloc(struct relay *r)
{
    if (r->cfg.n_ticket_keys == 0)
        return 0;
    struct core_passes *ps = &r->tickets.passes;
    for (ps->cap = 16; ps->cap < 2 * r->cfg.peer_cap; ps->cap *= 2)
        ;
    ps->id = calloc(ps->cap, sizeof *ps->id);
    ps->peer = malloc(ps->cap * sizeof *ps->peer);
    if (!ps->id || !ps->peer)
        return -1;
    for (uint32_t i = 0; i < ps->cap; i++)
        ps->peer[i] = NO_PEER;
    struct core_tickets *t = &r->tickets;
    for (t->used_sets = 1; t->used_sets * CORE_USED_WAYS < USED_PER_PEER * r->cfg.peer_cap;
         t->used_sets *= 2)
        ;
    t->used = calloc((size_t)t->used_sets * CORE_USED_WAYS, sizeof *t->used);
    if (!t->used)
        return -1;
    return core_seals_alloc(r) == 0 ? ticket_crypto_init() : -1;
}

void relay_set_unix_time(struct relay *r, uint64_t unix_s) { r->tickets.unix_s = unix_s; }

void core_tickets_free(struct relay *r)
{
    for (uint32_t i = 0; r->peers && i < r->cfg.peer_cap; i++)
        if (r->peers[i].ticket.unproven) { /* a sealed join's proof still due */
            sodium_memzero(r->peers[i].ticket.unproven, sizeof *r->peers[i].ticket.unproven);
            free(r->peers[i].ticket.unproven);
            r->peers[i].ticket.unproven = NULL;
        }
    core_seals_free(r);
    free(r->tickets.passes.id);
    free(r->tickets.passes.peer);
    free(r->tickets.used);
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

/* ---- used tickets, bound to an address ---- */

/* The set id falls in (a tag: its bytes are random already). */
static struct core_used *used_set(const struct relay *r, const uint8_t *id)
{
    uint32_t h;
    memcpy(&h, id + 4, sizeof h);
    return &r->tickets.used[(size_t)(h & (r->tickets.used_sets - 1)) * CORE_USED_WAYS];
}

/* The live entry for id, or NULL. */
static struct core_used *used_find(const struct relay *r, const uint8_t *id)
{
    struct core_used *set = used_set(r, id);
    for (int i = 0; i < CORE_USED_WAYS; i++)
        if (set[i].until_s > r->tickets.unix_s &&
            sodium_memcmp(set[i].id, id, TICKET_ID_BYTES) == 0)
            return &set[i];
    return NULL;
}

/* Remembers claims' ticket as used from source (source_key: an address,
 * not a port: a client's next socket, or its NAT, may take another) until
 * it expires: in a free or expired entry of its set, else in place of the
 * one expiring first. */
static void used_add(struct relay *r, const struct ticket_claims *claims, uint64_t source)
{
    if (used_find(r, claims->id))
        return; /* bound already: the first address stays */
    struct core_used *set = used_set(r, claims->id), *e = &set[0];
    for (int i = 1; i < CORE_USED_WAYS && e->until_s > r->tickets.unix_s; i++)
        if (set[i].until_s <= r->tickets.unix_s || set[i].until_s < e->until_s)
            e = &set[i];
    if (e->until_s > r->tickets.unix_s)
        log_debug("relay: a used ticket forgotten early: its set of %d is full",
                  CORE_USED_WAYS);
    memcpy(e->id, claims->id, TICKET_ID_BYTES);
    e->source = source;
    e->until_s = claims->expires_s + TICKET_SKEW_S; /* then no relay takes it */
}

/* ---- admission ---- */

/* pass opened under the relay's keys, valid at its wall clock, naming it
 * (its fleet or one of its endpoints), and one its sessions can carry (a
 * sealed one needs a relay that seals). *opened: the claims could be read. */
static enum proto_error_code ticket_open(const struct relay *r, const char *pass,
                                         struct ticket_claims *claims, bool *opened, char *why,
                                         size_t cap)
{
    const char *endpoints[RELAY_EDGES_MAX + 1];
    for (uint32_t i = 0; i < r->cfg.n_endpoints; i++)
        endpoints[i] = r->cfg.endpoints[i];
    const struct ticket_self self = {r->cfg.fleet_name, endpoints, r->cfg.n_endpoints};
    enum proto_error_code code =
        ticket_verify(pass, r->cfg.ticket_keys, r->cfg.n_ticket_keys, &self, r->tickets.unix_s,
                      claims, why, cap);
    /* Past the seal, the keys are the player's: a refusal can be sealed. */
    *opened = code == PROTO_ERROR_NONE || code == PROTO_ERROR_TICKET_WRONG_RELAY;
    if (code != PROTO_ERROR_NONE)
        return code;
    if (claims->sealed && !r->cfg.encrypt) {
        snprintf(why, cap, "its session must be sealed: a relay run with --encrypt takes it");
        return PROTO_ERROR_TICKET_WRONG_RELAY;
    }
    return PROTO_ERROR_NONE;
}

/* The handle holding ticket id, or NO_PEER. */
static uint32_t pass_holder(const struct relay *r, const uint8_t *id)
{
    return r->tickets.passes.peer[pass_find(&r->tickets.passes, id)];
}

enum proto_error_code relay_ticket_precheck(struct relay *r, const char *pass, uint64_t now_us,
                                            uint32_t *holder, char *why, size_t cap)
{
    if (holder)
        *holder = NO_PEER;
    if (r->cfg.n_ticket_keys == 0)
        return PROTO_ERROR_NONE;
    core_clock(r, now_us);
    if (!pass || !pass[0]) {
        snprintf(why, cap, "this relay admits tickets only");
        return PROTO_ERROR_TICKET_REQUIRED;
    }
    struct ticket_claims claims;
    bool opened;
    enum proto_error_code code = ticket_open(r, pass, &claims, &opened, why, cap);
    uint32_t held = code == PROTO_ERROR_NONE ? pass_holder(r, claims.id) : NO_PEER;
    sodium_memzero(&claims, sizeof claims); /* nothing kept: relay_ticket_claim claims it */
    if (held == NO_PEER)
        return code;
    if (holder)
        *holder = held;
    snprintf(why, cap, "in use by a live session");
    return PROTO_ERROR_TICKET_REPLAYED;
}

/* peer holds no ticket any more. */
static void pass_let_go(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->ticket.held)
        return;
    uint32_t i = pass_find(&r->tickets.passes, p->ticket.id);
    if (r->tickets.passes.peer[i] == peer)
        pass_remove(&r->tickets.passes, i);
    p->ticket.held = false;
}

/* Adds ticket id to the tickets live sessions hold, held by peer (another
 * it held let go first). */
static void pass_hold(struct relay *r, uint32_t peer, const uint8_t *id)
{
    struct relay_peer *p = &r->peers[peer];
    if (p->ticket.held && sodium_memcmp(p->ticket.id, id, TICKET_ID_BYTES) != 0)
        pass_let_go(r, peer);
    uint32_t i = pass_find(&r->tickets.passes, id);
    memcpy(r->tickets.passes.id[i], id, TICKET_ID_BYTES);
    r->tickets.passes.peer[i] = peer;
    memcpy(p->ticket.id, id, TICKET_ID_BYTES);
    p->ticket.held = true;
}

void relay_ticket_claim(struct relay *r, const char *pass, uint32_t handle)
{
    uint8_t id[TICKET_ID_BYTES];
    if (r->cfg.n_ticket_keys == 0 || handle >= r->cfg.peer_cap || !pass ||
        ticket_pass_id(pass, id) != 0 || pass_holder(r, id) != NO_PEER)
        return; /* the precheck let no such pass through */
    pass_hold(r, handle, id);
}

void relay_ticket_unclaim(struct relay *r, uint32_t handle)
{
    if (r->cfg.n_ticket_keys && handle < r->cfg.peer_cap && !r->peers[handle].connected)
        core_ticket_release(r, handle);
}

enum proto_error_code core_ticket_check(struct relay *r, uint32_t peer,
                                        const struct proto_control *m,
                                        struct ticket_claims *claims, bool *opened, char *why,
                                        size_t cap)
{
    *opened = false;
    if (!m->ticket[0]) {
        snprintf(why, cap, "this relay admits tickets only");
        return PROTO_ERROR_TICKET_REQUIRED;
    }
    enum proto_error_code code = ticket_open(r, m->ticket, claims, opened, why, cap);
    if (code != PROTO_ERROR_NONE)
        return code;
    if (core_ticket_in_use(r, claims, peer)) {
        snprintf(why, cap, "in use by a live session");
        return PROTO_ERROR_TICKET_REPLAYED;
    }
    const struct core_used *u = used_find(r, claims->id);
    if (u && u->source != source_key(&r->peers[peer].at)) {
        snprintf(why, cap, "used from another address");
        return PROTO_ERROR_TICKET_REPLAYED;
    }
    return code;
}

bool core_ticket_in_use(const struct relay *r, const struct ticket_claims *claims, uint32_t peer)
{
    uint32_t held = pass_holder(r, claims->id);
    return held != NO_PEER && held != peer;
}

bool core_ticket_same(const struct relay *r, uint32_t peer, const struct proto_control *m)
{
    const struct relay_peer *p = &r->peers[peer];
    uint8_t id[TICKET_ID_BYTES];
    if (!p->ticket.held)
        return true;
    return ticket_pass_id(m->ticket, id) == 0 &&
           sodium_memcmp(id, p->ticket.id, TICKET_ID_BYTES) == 0;
}

/* ---- a sealed session started, its proof awaited ---- */

/* Sends peer its session's `sealed` message, in clear (it says how to open
 * what follows), no longer than what peer sent (r->reply_cap). */
static void send_sealed(struct relay *r, uint32_t peer)
{
    const struct core_seal *s = &r->sealing.seals[peer];
    proto_control_init(&r->out, PROTO_CTL_SEALED);
    seal_hex_format(s->salt, r->out.salt);
    seal_hex_format(s->proof, r->out.tag);
    int n = core_encode_out(r);
    if (n < 0 || (r->reply_cap && (size_t)n > r->reply_cap))
        return;
    r->stats.control_out++;
    r->stats.bytes_out += (uint64_t)n;
    core_edge_stats(r, peer)->bytes_out += (uint64_t)n;
    core_edge(r, peer)->send_control(core_edge(r, peer)->ctx, peer, r->json, (size_t)n);
}

int core_ticket_seal(struct relay *r, uint32_t peer, const struct ticket_claims *claims,
                     const char *nonce, bool prove, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    uint8_t n[SEAL_NONCE_BYTES];
    if (seal_hex_parse(nonce, n) != 0)
        return -1; /* the decoder let no other through */
    if (prove) {
        if (!p->ticket.unproven && !(p->ticket.unproven = malloc(sizeof *p->ticket.unproven)))
            return -1;
        *p->ticket.unproven = *claims;
    }
    core_seal_start(r, peer, claims, n, now_us);
    p->ticket.sealed = true;
    send_sealed(r, peer);
    return 0;
}

bool core_ticket_resend(struct relay *r, uint32_t peer, const char *nonce)
{
    uint8_t n[SEAL_NONCE_BYTES];
    if (!r->peers[peer].ticket.unproven || seal_hex_parse(nonce, n) != 0 ||
        sodium_memcmp(n, r->sealing.seals[peer].nonce, SEAL_NONCE_BYTES) != 0)
        return false;
    send_sealed(r, peer);
    return true;
}

void core_ticket_bind(struct relay *r, uint32_t peer, const struct ticket_claims *claims)
{
    struct relay_peer *p = &r->peers[peer];
    pass_hold(r, peer, claims->id);
    used_add(r, claims, source_key(&p->at));
    if (p->ticket.unproven) { /* proven: admitted */
        sodium_memzero(p->ticket.unproven, sizeof *p->ticket.unproven);
        free(p->ticket.unproven);
        p->ticket.unproven = NULL;
    }
}

void core_ticket_release(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    pass_let_go(r, peer);
    if (p->ticket.unproven) {
        sodium_memzero(p->ticket.unproven, sizeof *p->ticket.unproven);
        free(p->ticket.unproven);
        p->ticket.unproven = NULL;
    }
    if (p->ticket.sealed) {
        core_seal_stop(r, peer);
        p->ticket.sealed = false;
    }
}
