/* join_cost.c: what a join may cost the relay (see join_cost_internal.h):
 * each source's joins, keys it does not hold and bytes, and the replays of kept events going out
 * over turns within them. A replay is a copy of the room's kept events as
 * they were at the join (what changes later reaches the joiner live,
 * behind it: control_out.c holds the joiner's control way until the copy
 * is out): entries back to back, each its length (2 bytes), its bytes. */
#define BY_JOIN_COST_C /* this file writes the parts BY_JOIN_COST_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "join_cost_internal.h"
#include "kept_internal.h"
#include "limits_internal.h"

#include <stdlib.h>
#include <string.h>

#include "proto/byteorder.h"

#define ENTRY_HEAD 2

_Static_assert((JOIN_COST_SLOTS & (JOIN_COST_SLOTS - 1)) == 0, "a power of two");

struct core_replay {
    uint32_t id;        /* its member's id: a replay outlives no membership */
    uint64_t source;    /* its joiner's source: whose budget it spends */
    bool packed;        /* kept events in batches (plain UDP, asked for) */
    uint64_t due_us;    /* its next turn: a turn later, or when its budget is back to 0 */
    size_t head, used, cap;
    uint8_t *q;
};

/* ---- each source's joins, keys and bytes ---- */

_Static_assert(JOIN_COST_KEYS_BURST < JOIN_COST_JOINS_BURST,
               "a crowd's keys are bounded before its joins are");

/* Source's slot, its buckets refilled to now_us. Sources whose keys meet in
 * one slot share it: the slot changes hands only once its buckets are full
 * again (its last holder idle), so that no source's use hands another a
 * fresh bucket (a free slot's are empty until refilled: full at once). */
static struct join_cost_slot *slot_of(struct core_join_cost *jc, uint64_t source,
                                      uint64_t now_us)
{
    uint64_t tag = source | 1; /* never 0, which marks a free slot */
    struct join_cost_slot *s = &jc->slots[source & (JOIN_COST_SLOTS - 1)];
    if (!s->tag) { /* never used: full from now */
        s->bytes = JOIN_COST_BYTES_BURST;
        s->joins = JOIN_COST_JOINS_BURST * MICRO;
        s->keys = JOIN_COST_KEYS_BURST * MICRO;
        s->bytes_us = s->joins_us = s->keys_us = now_us;
    }
    uint64_t elapsed = now_us > s->bytes_us ? now_us - s->bytes_us : 0;
    if (elapsed > 100 * MICRO)
        elapsed = 100 * MICRO; /* anything longer refills fully anyway */
    if (now_us > s->bytes_us)
        s->bytes_us = now_us;
    s->bytes += (int64_t)(elapsed * JOIN_COST_BYTES_PER_S / MICRO);
    if (s->bytes > JOIN_COST_BYTES_BURST)
        s->bytes = JOIN_COST_BYTES_BURST;
    core_bucket_refill(&s->joins, &s->joins_us, now_us, JOIN_COST_JOINS_PER_S,
                       JOIN_COST_JOINS_BURST);
    core_bucket_refill(&s->keys, &s->keys_us, now_us, JOIN_COST_KEYS_PER_S,
                       JOIN_COST_KEYS_BURST);
    if (s->tag != tag && s->bytes == JOIN_COST_BYTES_BURST &&
        s->joins == JOIN_COST_JOINS_BURST * MICRO && s->keys == JOIN_COST_KEYS_BURST * MICRO)
        s->tag = tag; /* its holder idle: this source's now, nothing handed over */
    return s;
}

bool core_join_cost_spend(struct core_join_cost *jc, uint64_t source, enum core_join_spend what,
                          uint64_t now_us)
{
    struct join_cost_slot *s = slot_of(jc, source, now_us);
    uint64_t *tokens = what == CORE_JOIN_SPEND_KEY ? &s->keys : &s->joins;
    if (*tokens < MICRO)
        return false;
    *tokens -= MICRO;
    return true;
}

bool core_join_may(struct relay *r, uint32_t peer, uint64_t now_us)
{
    return core_join_cost_spend(&r->join_cost, r->peers[peer].source, CORE_JOIN_SPEND_JOIN,
                                now_us);
}

bool core_join_may_key(struct relay *r, uint32_t peer, uint64_t now_us)
{
    return core_join_cost_spend(&r->join_cost, r->peers[peer].source, CORE_JOIN_SPEND_KEY,
                                now_us);
}

void core_join_unspend(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct join_cost_slot *s = slot_of(&r->join_cost, r->peers[peer].source, now_us);
    s->joins += MICRO;
    if (s->joins > JOIN_COST_JOINS_BURST * MICRO)
        s->joins = JOIN_COST_JOINS_BURST * MICRO;
}

struct core_join_mark core_join_mark(const struct relay *r)
{
    return (struct core_join_mark){ .datagrams = r->stats.control_out,
                                    .bytes = r->stats.bytes_out };
}

void core_join_charge(struct relay *r, uint32_t peer, struct core_join_mark mark,
                      uint64_t now_us)
{
    struct join_cost_slot *s = slot_of(&r->join_cost, r->peers[peer].source, now_us);
    uint64_t cost = r->stats.bytes_out - mark.bytes +
                    (r->stats.control_out - mark.datagrams) * JOIN_COST_DATAGRAM;
    s->bytes -= (int64_t)(cost < INT32_MAX ? cost : INT32_MAX);
}

/* ---- replays ---- */

/* peer's replay if it is under way for its membership now (one whose
 * member left stays until the next turn lets go of it). */
static struct core_replay *replay_of(struct relay *r, uint32_t peer)
{
    struct core_replay *rp = r->join_cost.of ? r->join_cost.of[peer] : NULL;
    const struct relay_peer *p = &r->peers[peer];
    return rp && p->connected && p->joined && p->id == rp->id ? rp : NULL;
}

static bool append(struct core_replay *rp, const uint8_t *bytes, size_t len)
{
    if (rp->used + ENTRY_HEAD + len > rp->cap) {
        size_t cap = rp->cap ? rp->cap : 1024;
        while (cap < rp->used + ENTRY_HEAD + len)
            cap *= 2;
        uint8_t *q = realloc(rp->q, cap);
        if (!q)
            return false;
        rp->q = q;
        rp->cap = cap;
    }
    be16_put(rp->q + rp->used, (uint16_t)len);
    memcpy(rp->q + rp->used + ENTRY_HEAD, bytes, len);
    rp->used += ENTRY_HEAD + len;
    return true;
}

static bool make_room(struct relay *r)
{
    struct core_join_cost *jc = &r->join_cost;
    if (jc->of)
        return true;
    jc->of = calloc(r->cfg.peer_cap, sizeof *jc->of);
    jc->active = calloc(r->cfg.peer_cap, sizeof *jc->active);
    if (jc->of && jc->active)
        return true;
    free(jc->of);
    free(jc->active);
    jc->of = NULL;
    jc->active = NULL;
    return false;
}

/* The entry at off: its bytes and length. */
static const uint8_t *entry_at(const struct core_replay *rp, size_t off, size_t *len)
{
    *len = be16_get(rp->q + off);
    return rp->q + off + ENTRY_HEAD;
}

/* Sends kept events from rp's head as one datagram: a batch of as many as
 * fit (packed), else the next one alone. Returns the bytes sent. */
static size_t send_kept(struct relay *r, uint32_t peer, struct core_replay *rp,
                        uint32_t *events)
{
    size_t len;
    const uint8_t *bytes = entry_at(rp, rp->head, &len);
    size_t max = core_edge(r, peer)->message_max;
    if (max > PROTO_BATCH_MAX)
        max = PROTO_BATCH_MAX;
    size_t next = rp->head + ENTRY_HEAD + len;
    if (rp->packed && next < rp->used) {
        uint8_t batch[PROTO_BATCH_MAX];
        size_t used = PROTO_BATCH_HEADER, at = rp->head, n = 0;
        proto_batch_begin(batch);
        while (at < rp->used) {
            const uint8_t *b = entry_at(rp, at, &len);
            if (proto_batch_add(batch, max, &used, b, len) != PROTO_OK)
                break;
            at += ENTRY_HEAD + len;
            n++;
        }
        if (n > 1) {
            rp->head = at;
            *events += n;
            core_send_bytes_now(r, UINT32_MAX, peer, batch, used);
            return used;
        }
        bytes = entry_at(rp, rp->head, &len);
    }
    rp->head = next;
    *events += 1;
    core_send_bytes_now(r, UINT32_MAX, peer, bytes, len);
    return len;
}

/* One turn of peer's replay: within its source's budget, at most
 * JOIN_COST_TURN_DATAGRAMS. Returns true once it is all out. */
static bool replay_turn(struct relay *r, uint32_t peer, struct core_replay *rp,
                        uint64_t now_us)
{
    struct join_cost_slot *s = slot_of(&r->join_cost, rp->source, now_us);
    uint32_t datagrams = 0, events = 0;
    while (rp->head < rp->used && datagrams < JOIN_COST_TURN_DATAGRAMS && s->bytes >= 0 &&
           !r->peers[peer].backlog.closing) {
        size_t sent = send_kept(r, peer, rp, &events);
        s->bytes -= (int64_t)(sent + JOIN_COST_DATAGRAM);
        datagrams++;
    }
    r->stats.events_out += events;
    if (rp->head >= rp->used)
        return true;
    uint64_t wait_us = JOIN_COST_TURN_US;
    if (s->bytes < 0) /* until its budget is back: no turn for nothing before */
        wait_us = (uint64_t)-s->bytes * MICRO / JOIN_COST_BYTES_PER_S + 1;
    rp->due_us = now_us + (wait_us > JOIN_COST_TURN_US ? wait_us : JOIN_COST_TURN_US);
    if (!r->join_cost.due_us || rp->due_us < r->join_cost.due_us)
        r->join_cost.due_us = rp->due_us;
    return false;
}

/* Lets go of peer's replay (out, or its member gone) and of the hold of
 * its control way: what waited goes out now, if it is still the member. */
static void replay_end(struct relay *r, uint32_t peer)
{
    struct core_replay *rp = r->join_cost.of[peer];
    r->join_cost.of[peer] = NULL;
    free(rp->q);
    free(rp);
    core_out_release(r, peer);
}

void core_join_replay(struct relay *r, uint32_t peer, const struct relay_room *room,
                      const struct proto_control *m, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    size_t at = 0, len;
    const uint8_t *bytes;
    if (!core_kept_next(room, &at, &bytes, &len, NULL))
        return; /* nothing kept: nothing to replay */
    struct core_join_cost *jc = &r->join_cost;
    struct core_replay *rp = make_room(r) ? jc->of[peer] : NULL;
    if (rp) { /* its slot's last, its member gone: let go of at its next turn */
        free(rp->q);
        *rp = (struct core_replay){ 0 };
    } else if (jc->of && (rp = calloc(1, sizeof *rp)) != NULL) {
        jc->of[peer] = rp;
        jc->active[jc->n_active++] = peer;
    }
    if (!rp) { /* out of memory: nothing replayed, as an empty store */
        r->stats.drops[RELAY_DROP_SEND_FAILED]++;
        return;
    }
    rp->id = p->id;
    rp->source = p->source;
    /* packed where a datagram is a message (plain UDP): a stream frames each anyway */
    rp->packed = m->batch_kept && core_edge(r, peer)->forgeable &&
                 core_edge(r, peer)->message_max && !p->ticket.sealed;
    bool copied = true;
    do
        copied = append(rp, bytes, len);
    while (copied && core_kept_next(room, &at, &bytes, &len, NULL));
    /* The first turn now; what is left goes on over turns, and what else
     * comes for the joiner on the control way waits behind it. */
    if (!copied || (!replay_turn(r, peer, rp, now_us) && !core_out_hold(r, peer))) {
        rp->id = 0; /* out of memory: the next turn lets go of it */
        r->stats.drops[RELAY_DROP_SEND_FAILED]++;
    }
}

void core_join_turn(struct relay *r, uint64_t now_us)
{
    struct core_join_cost *jc = &r->join_cost;
    if (!jc->n_active || now_us < jc->due_us)
        return;
    jc->due_us = 0; /* the replays' turns set it again */
    for (uint32_t i = 0; i < jc->n_active;) {
        uint32_t peer = jc->active[i];
        struct core_replay *rp = replay_of(r, peer);
        if (rp && rp->head < rp->used && now_us < rp->due_us) { /* not its turn yet */
            if (!jc->due_us || rp->due_us < jc->due_us)
                jc->due_us = rp->due_us;
            i++;
        } else if (!rp || rp->head >= rp->used || replay_turn(r, peer, rp, now_us)) {
            replay_end(r, peer);
            jc->active[i] = jc->active[--jc->n_active];
        } else {
            i++;
        }
    }
}

uint64_t relay_join_due(const struct relay *r)
{
    const struct core_join_cost *jc = &r->join_cost;
    return jc->n_active ? jc->due_us : UINT64_MAX;
}

void core_join_cost_free(struct relay *r)
{
    struct core_join_cost *jc = &r->join_cost;
    for (uint32_t i = 0; jc->of && i < r->cfg.peer_cap; i++)
        if (jc->of[i]) {
            free(jc->of[i]->q);
            free(jc->of[i]);
        }
    free(jc->of);
    free(jc->active);
    jc->of = NULL;
    jc->active = NULL;
    jc->n_active = 0;
}
