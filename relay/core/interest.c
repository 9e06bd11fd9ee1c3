/* interest.c: rooms with interest (see interest_internal.h): who sees whom in a room
 * created with a radius. Each member's last position sits in a hash grid
 * of square cells as wide as the radius, so everyone it could come to see
 * is in the 3 x 3 cells around it (positions and the buckets' lists in one
 * small array, r->spots: a move reads a hundred others'); who sees whom is
 * a symmetric relation kept as one bitset over peer handles per member. A state moves its sender,
 * updates the relation (enter within the radius, leave beyond
 * PROTO_AOI_LEAVE times it), tells both sides of each change (appeared,
 * vanished), and then goes to those who see the sender. */
#define BY_INTEREST_C /* this file writes the parts BY_INTEREST_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "interest_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

static size_t words(const struct relay *r)
{
    return (r->cfg.peer_cap + 63) / 64;
}

static void set_seen(struct relay *r, uint32_t a, uint32_t b, bool on)
{
    uint64_t *wa = &r->peers[a].sight.sees[b / 64], *wb = &r->peers[b].sight.sees[a / 64];
    uint64_t ba = 1ull << (b % 64), bb = 1ull << (a % 64);
    *wa = on ? *wa | ba : *wa & ~ba;
    *wb = on ? *wb | bb : *wb & ~bb;
}

/* The bucket of cell (cx, cy): a multiplicative hash of both. */
static uint32_t bucket_of(const struct core_grid *g, int64_t cx, int64_t cy)
{
    uint64_t h = (uint64_t)cx * 0x9e3779b97f4a7c15ull ^ (uint64_t)cy * 0xc2b2ae3d27d4eb4full;
    return (uint32_t)(h >> 32) & g->mask;
}

static int64_t cell_of(const struct core_grid *g, float v)
{
    return (int64_t)floorf(v / g->radius);
}

static void unlink_peer(struct relay *r, struct core_grid *g, uint32_t peer)
{
    struct core_sight *s = &r->peers[peer].sight;
    uint32_t next = r->spots[peer].next;
    if (s->prev != NONE)
        r->spots[s->prev].next = next;
    else
        g->head[s->bucket] = next;
    if (next != NONE)
        r->peers[next].sight.prev = s->prev;
}

static void link_peer(struct relay *r, struct core_grid *g, uint32_t peer, uint32_t bucket)
{
    struct core_sight *s = &r->peers[peer].sight;
    uint32_t next = g->head[bucket];
    s->bucket = bucket;
    s->prev = NONE;
    r->spots[peer].next = next;
    if (next != NONE)
        r->peers[next].sight.prev = peer;
    g->head[bucket] = peer;
}

static float dist2(const struct core_spot *a, const struct core_spot *b)
{
    float dx = a->x - b->x, dy = a->y - b->y;
    return dx * dx + dy * dy;
}

/* Tells `to` that `who` came into sight, with its last state and clock. */
static void send_appeared(struct relay *r, uint32_t to, uint32_t who)
{
    const struct relay_peer *w = &r->peers[who];
    proto_control_init(&r->out, PROTO_CTL_APPEARED);
    r->out.id = w->id;
    r->out.member = (struct proto_member){
        .id = w->id, .mode = w->mode, .has_state = w->has_state, .state = w->last,
        .has_clock = w->has_clock, .clock_offset_us = w->clock_offset_us,
        .clock_bound_us = w->clock_bound_us };
    memcpy(r->out.member.name, w->name, sizeof r->out.member.name);
    memcpy(r->out.member.player, w->player, sizeof r->out.member.player);
    core_send_out(r, to);
}

static void send_vanished(struct relay *r, uint32_t to, uint32_t who)
{
    proto_control_init(&r->out, PROTO_CTL_VANISHED);
    r->out.id = r->peers[who].id;
    core_send_out(r, to);
}

/* Those peer sees and who moved beyond the leave radius: unseen, both told. */
static void drop_far(struct relay *r, uint32_t peer, float leave2)
{
    const struct core_sight *s = &r->peers[peer].sight;
    const struct core_spot *at = &r->spots[peer];
    for (size_t w = 0; w < words(r); w++) {
        for (uint64_t bits = s->sees[w]; bits; bits &= bits - 1) {
            uint32_t other = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            if (dist2(at, &r->spots[other]) <= leave2)
                continue;
            set_seen(r, peer, other, false);
            send_vanished(r, peer, other);
            send_vanished(r, other, peer);
        }
    }
}

/* Those in the 3 x 3 cells around peer, unseen and within the radius:
 * seen, both told. */
static void add_near(struct relay *r, const struct core_grid *g, uint32_t peer)
{
    const struct core_spot *at = &r->spots[peer];
    const uint64_t *sees = r->peers[peer].sight.sees;
    int64_t cx = cell_of(g, at->x), cy = cell_of(g, at->y);
    uint32_t done[9];
    size_t ndone = 0;
    float enter2 = g->radius * g->radius;
    for (int dy = -1; dy <= 1; dy++) {
        for (int dx = -1; dx <= 1; dx++) {
            uint32_t b = bucket_of(g, cx + dx, cy + dy);
            bool seen_bucket = false;
            for (size_t i = 0; i < ndone; i++)
                seen_bucket |= done[i] == b;
            if (seen_bucket)
                continue; /* two cells in one bucket: walk it once */
            done[ndone++] = b;
            for (uint32_t o = g->head[b]; o != NONE; o = r->spots[o].next) {
                if (o == peer || (sees[o / 64] >> (o % 64) & 1) ||
                    dist2(at, &r->spots[o]) > enter2)
                    continue;
                set_seen(r, peer, o, true);
                send_appeared(r, peer, o);
                send_appeared(r, o, peer);
            }
        }
    }
}

int core_interest_open(struct relay *r, struct relay_room *room, float radius)
{
    uint32_t buckets = 16;
    while (buckets < 2 * r->cfg.max_room_size)
        buckets *= 2;
    struct core_grid *g = calloc(1, sizeof *g);
    uint32_t *head = malloc(buckets * sizeof *head);
    if (!g || !head) {
        free(g);
        free(head);
        return -1;
    }
    memset(head, 0xff, buckets * sizeof *head); /* NONE */
    *g = (struct core_grid){ .radius = radius, .leave = radius * PROTO_AOI_LEAVE,
                             .mask = buckets - 1, .head = head };
    room->grid = g;
    return 0;
}

void core_interest_close(struct relay_room *room)
{
    if (!room->grid)
        return;
    free(room->grid->head);
    free(room->grid);
    room->grid = NULL;
}

int core_interest_join(struct relay *r, uint32_t peer)
{
    struct core_sight *s = &r->peers[peer].sight;
    s->sees = calloc(words(r), sizeof *s->sees);
    s->placed = false;
    return s->sees ? 0 : -1;
}

void core_interest_leave(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    struct core_grid *g = r->rooms.at[p->room].grid;
    if (!g || !p->sight.sees)
        return;
    for (size_t w = 0; w < words(r); w++)
        for (uint64_t bits = p->sight.sees[w]; bits; bits &= bits - 1)
            set_seen(r, peer, (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits)), false);
    if (p->sight.placed)
        unlink_peer(r, g, peer);
    core_interest_forget(r, peer);
}

int core_spots_alloc(struct relay *r)
{
    r->spots = calloc(r->cfg.peer_cap, sizeof *r->spots);
    return r->spots ? 0 : -1;
}

void core_spots_free(struct relay *r) { free(r->spots); }

void core_interest_forget(struct relay *r, uint32_t peer)
{
    free(r->peers[peer].sight.sees);
    memset(&r->peers[peer].sight, 0, sizeof r->peers[peer].sight);
}

void core_interest_move(struct relay *r, uint32_t peer, float x, float y)
{
    struct relay_peer *p = &r->peers[peer];
    struct core_grid *g = r->rooms.at[p->room].grid;
    if (!g || !p->sight.sees)
        return;
    uint32_t b = bucket_of(g, cell_of(g, x), cell_of(g, y));
    if (!p->sight.placed || p->sight.bucket != b) {
        if (p->sight.placed)
            unlink_peer(r, g, peer);
        link_peer(r, g, peer, b);
        p->sight.placed = true;
    }
    r->spots[peer].x = x;
    r->spots[peer].y = y;
    drop_far(r, peer, g->leave * g->leave);
    add_near(r, g, peer);
}

size_t core_interest_seers(const struct relay *r, uint32_t peer, uint32_t *out)
{
    const struct relay_peer *p = &r->peers[peer];
    size_t n = 0;
    if (!p->sight.sees)
        return 0;
    for (size_t w = 0; w < words(r); w++)
        for (uint64_t bits = p->sight.sees[w]; bits; bits &= bits - 1)
            out[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
    return n;
}

size_t core_interest_seers_in(const struct relay *r, uint32_t peer, uint64_t groups,
                              uint32_t *out)
{
    const struct relay_peer *p = &r->peers[peer];
    size_t n = 0;
    if (!p->sight.sees || !r->flow.world_groups)
        return 0;
    /* a word's handles are one group (core_world_group): its words only */
    for (; groups; groups &= groups - 1)
        for (size_t w = (size_t)__builtin_ctzll(groups); w < words(r); w += r->flow.world_groups)
            for (uint64_t bits = p->sight.sees[w]; bits; bits &= bits - 1)
                out[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
    return n;
}

void core_send_out_near(struct relay *r, uint32_t peer, uint32_t from)
{
    core_send_out_near_and(r, peer, from, UINT32_MAX);
}

void core_send_out_near_and(struct relay *r, uint32_t peer, uint32_t from, uint32_t also)
{
    const struct relay_room *room = &r->rooms.at[r->peers[peer].room];
    if (!room->grid) {
        core_send_out_room(r, room, peer, from); /* also is a member: it hears it */
        return;
    }
    size_t n = core_interest_seers(r, peer, r->recipients);
    bool seen = also == UINT32_MAX;
    for (size_t i = 0; i < n && !seen; i++)
        seen = r->recipients[i] == also;
    if (!seen)
        r->recipients[n++] = also; /* a member other than peer: there is room for it */
    core_send_out_many(r, r->recipients, n, from);
}
