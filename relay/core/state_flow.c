/* state_flow.c: a state's whole way through the relay (see state_flow_internal.h), in
 * the order it takes:
 *
 *   admit      every datagram (admit.c), then control messages go to
 *              control_in.c (relay.c says which)
 *   decode     the mode from its channel and flags, the state's bytes
 *   admit more dropped while its room's claim in the fleet is unconfirmed,
 *              or past its sender's budget (admit.c)
 *   stamp      its sender's relay id written over whatever the client wrote
 *   script     the room's script judges it: passed, corrected or dropped
 *              (scripted.c)
 *   interest   its sender moved: who sees whom follows (interest.c)
 *   tick       held until the end of its room's tick (cfg.tick_us); in a
 *              world, each group of receivers at the end of its own phase
 *              of the world's tick (cfg.world_tick_us), or
 *   shed       dropped if it waited longer than cfg.stale_us (unreliable)
 *   fan out    its recipients, grouped by edge, handed to each edge in one
 *              place (hand_over)
 *
 * What is said to a peer on the way (errors, a kick) is refusals.c's and
 * peers.c's; this file only decides and forwards. */
#define BY_STATE_FLOW_C /* this file writes the parts BY_STATE_FLOW_C marks */
#include "core.h"
#include "admit_internal.h"
#include "backlog_internal.h"
#include "interest_internal.h"
#include "limits_internal.h"
#include "refusals_internal.h"
#include "scripted_internal.h"
#include "sealing_internal.h"
#include "state_flow_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_PHASE_US 5000        /* rooms' ticks are staggered on this grid */

static uint64_t room_tick_us(const struct relay *r, uint32_t room);
static bool on_world_tick(const struct relay *r, uint32_t room);
static int hold(struct relay *r, uint32_t peer, enum proto_mode mode, const uint8_t *bytes,
                size_t len, uint32_t seq, uint64_t now_us);
static uint64_t arrived_by(const struct relay *r, uint64_t now_us);
static bool shed_stale(struct relay *r, enum proto_mode mode, uint64_t arrived_us,
                       uint64_t now_us);
static size_t fan_out_to(struct relay *r, uint32_t peer, size_t n, enum proto_mode mode,
                         const uint8_t *bytes, size_t len);
static void fan_out(struct relay *r, uint32_t peer, enum proto_mode mode, const uint8_t *bytes,
                    size_t len);

/* ---- decode ----------------------------------------------------------- */

/* The mode a state arriving on channel with flags came in: on a pseudo
 * channel (a bare datagram, a stream's frame, a WebSocket message) that
 * transport's own mode; a state channel's (channel, flags) is a row of the
 * mode table. Returns 0, or rejects (wrong_channel) and returns the
 * relay_on_datagram code. */
static int state_mode(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                      const uint8_t *bytes, enum proto_mode *mode, uint64_t now_us)
{
    if (channel == PROTO_CHANNEL_CONTROL)
        return core_reject_as(r, peer, RELAY_DROP_WRONG_CHANNEL, PROTO_ERROR_BAD_JSON,
                              now_us, "state on channel 0: states go on channel %u or %u",
                              PROTO_CHANNEL_STATE, PROTO_CHANNEL_RELIABLE);
    if (proto_channel_bare(channel) && proto_mode_from_up(channel, 0, mode) == 0)
        return 0;
    if (bytes[0] == '{' || proto_mode_from_up(channel, flags, mode) != 0 ||
        !proto_mode_info(*mode)->enet)
        return core_reject(r, peer, RELAY_DROP_WRONG_CHANNEL, now_us,
                           "no state mode sends on channel %u with flags %u (see PROTOCOL.md)",
                           (unsigned)channel, (unsigned)(flags & PROTO_FLAGS_MASK));
    return 0;
}

/* The state's bytes into *s. Returns 0, or rejects (too_big, bad_state
 * by cause) and returns the relay_on_datagram code. */
static int state_decode(struct relay *r, uint32_t peer, const uint8_t *bytes, size_t len,
                        struct proto_state *s, uint64_t now_us)
{
    int err = proto_state_decode(bytes, len, s);
    /* A relay that seals sends a state 25 bytes longer than it came, and
     * no datagram longer than PROTO_STATE_MAX: so its states are shorter,
     * whoever sends them (a secure edge's member too). Never truncated. */
    size_t max = r->cfg.encrypt ? SEAL_STATE_MAX : PROTO_STATE_MAX;
    if (err == PROTO_E_LONG || (err == PROTO_OK && len > max))
        return core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                           "state of %zu bytes, max %zu (a payload of %zu)", len, max,
                           max - PROTO_STATE_SIZE);
    if (err < 0) {
        switch (err) {
        case PROTO_E_SHORT: r->stats.state_errors[RELAY_STATE_ERR_SHORT]++; break;
        case PROTO_E_VERSION: r->stats.state_errors[RELAY_STATE_ERR_VERSION]++; break;
        case PROTO_E_TYPE: r->stats.state_errors[RELAY_STATE_ERR_TYPE]++; break;
        default: r->stats.state_errors[RELAY_STATE_ERR_VALUE]++; break;
        }
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "state: %s",
                           proto_strerror(err));
    }
    return 0;
}

/* ---- stamp, interest, then tick or shed, and fan out ------------------ */

int core_on_state(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                  uint8_t *bytes, size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    enum proto_mode mode;
    struct proto_state s;
    int rc = state_mode(r, peer, channel, flags, bytes, &mode, now_us);
    if (rc < 0 || (rc = state_decode(r, peer, bytes, len, &s, now_us)) < 0)
        return rc;
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                           "state before join: send join first");

    /* A fleet's room whose claim is unconfirmed: another relay may hold it
     * now, so its states wait rather than flow on two relays. */
    if (now_us >= r->rooms.at[p->room].lease_until_us) {
        r->stats.drops[RELAY_DROP_UNCONFIRMED]++;
        return -1 - (int)RELAY_DROP_UNCONFIRMED;
    }

    rc = core_budget_admit(r, peer, now_us);
    if (rc < 0)
        return rc;

    /* The relay is the authority on identity: whatever the client wrote in
     * the sender field is replaced by its relay id. */
    proto_state_stamp_sender(bytes, p->id);
    s.sender = p->id;
    if ((rc = core_script_state(r, peer, bytes, len, &s, now_us)) != 0)
        return 0; /* the room's script dropped it */
    /* Later joiners' rosters get the sender's newest state. A late one is
     * still forwarded, in every mode: only the receiver can tell whether
     * it is late where it arrives (a sequenced state late here may be in
     * time there, behind a newer one lost on the way down). */
    if (!p->has_state || proto_seq_after(s.seq, p->last.seq))
        p->last = s;
    p->has_state = true;
    core_interest_move(r, peer, p->last.x, p->last.y);
    r->stats.states_in++;
    r->stats.states_in_mode[mode]++;
    core_edge_stats(r, peer)->states_in++;
    r->rooms.at[p->room].states_in++;

    if (room_tick_us(r, p->room))
        return hold(r, peer, mode, bytes, len, s.seq, now_us);
    if (shed_stale(r, mode, arrived_by(r, now_us), now_us))
        return -1 - (int)RELAY_DROP_STALE; /* counted, no error: the relay fell behind */
    fan_out(r, peer, mode, bytes, len);
    return 0;
}

/* ---- tick ------------------------------------------------------------- */

/* One pass over the held states (relay_tick, or everything at once): the
 * rooms' states due by due_by go out, and each world group whose tick
 * ended by then (ends[g]: its latest end) gets what it has not had. */
struct tick_pass {
    uint64_t due_by, now_us;   /* now_us 0: nothing is stale */
    uint64_t ends[CORE_WORLD_GROUPS_MAX];
    uint64_t stale;            /* the groups whose tick ended more than stale_us ago */
};

/* The end of world group g's latest tick at or before t: group g ends its
 * ticks g x world_tick / groups after group 0's (0: none yet). */
static uint64_t group_end(const struct relay *r, uint32_t g, uint64_t t)
{
    uint64_t tick = r->cfg.world_tick_us, off = g * (tick / r->flow.world_groups);
    uint64_t back = (t + tick - off) % tick;
    return t >= back ? t - back : 0;
}

/* A pass at t (UINT64_MAX: everything due), at now_us. A group whose tick
 * ended more than stale_us before now_us is stale: an unreliable state due
 * to it arrived before that end, so it waited longer (the relay fell
 * behind). */
static struct tick_pass pass_at(const struct relay *r, uint64_t t, uint64_t now_us)
{
    struct tick_pass pass = {.due_by = t, .now_us = now_us};
    for (uint32_t g = 0; g < r->flow.world_groups; g++) {
        pass.ends[g] = t == UINT64_MAX ? t : group_end(r, g, t);
        if (r->cfg.stale_us && pass.ends[g] < now_us && now_us - pass.ends[g] > r->cfg.stale_us)
            pass.stale |= 1ull << g;
    }
    return pass;
}

/* The world groups a held world state is due to at pass: those whose tick
 * ended after it arrived and that have not had it. */
static uint64_t groups_due(const struct relay *r, const struct relay_held *h,
                           const struct tick_pass *pass)
{
    uint64_t due = 0;
    for (uint32_t g = 0; g < r->flow.world_groups; g++)
        if (!(h->served >> g & 1) && pass->ends[g] > h->due_us)
            due |= 1ull << g;
    return due;
}

/* Sends a held world state to those who see its sender in the given
 * groups (itself too, if it asked for reflection and its group is one);
 * an unreliable one not to a stale group of the pass (counted stale
 * once). Returns whether it went. */
static bool serve_world(struct relay *r, struct relay_held *h, uint64_t groups,
                        const struct tick_pass *pass)
{
    const struct relay_peer *p = &r->peers[h->peer];
    enum proto_mode mode = (enum proto_mode)h->mode;
    if ((groups & pass->stale) && !(proto_mode_info(mode)->down_flags & PROTO_FLAG_RELIABLE)) {
        r->stats.drops[RELAY_DROP_STALE]++;
        groups &= ~pass->stale;
    }
    size_t n = core_interest_seers_in(r, h->peer, groups, r->recipients);
    if (p->reflect && (groups >> core_world_group(r, h->peer) & 1))
        r->recipients[n++] = h->peer;
    fan_out_to(r, h->peer, n, mode, r->flow.held_bytes + h->off, h->len);
    return groups != 0;
}

/* What a pass does with one held state: sends it where it is due. Returns
 * whether it went anywhere; *keep says whether it stays held (a world's
 * state until every group has had it; a room's until its due). */
static bool pass_one(struct relay *r, struct relay_held *h, const struct tick_pass *pass,
                     bool *keep)
{
    const struct relay_peer *p = &r->peers[h->peer];
    *keep = false;
    if (h->id == 0)
        return false; /* sent already (a leaver's), or gave way to a grown state */
    if (!h->world && h->due_us > pass->due_by) {
        *keep = true;
        return false;
    }
    if (!p->joined || p->id != h->id)
        return false;
    if (!h->world) {
        if (pass->now_us && shed_stale(r, (enum proto_mode)h->mode, h->arrived_us,
                                            pass->now_us))
            return false;
        fan_out(r, h->peer, (enum proto_mode)h->mode, r->flow.held_bytes + h->off, h->len);
        return true;
    }
    uint64_t groups = groups_due(r, h, pass);
    bool sent = groups && serve_world(r, h, groups, pass);
    h->served |= groups;
    *keep = h->served != core_world_all(r);
    return sent;
}

/* Runs a pass over the held states, in arrival order, keeping those that
 * stay (in order, packed at the front). A sender that left (or whose
 * handle now holds another session) since is skipped. Then when the next
 * is due: the rooms' earliest, and the next end of a world group that
 * has not had every state. Returns how many states went. */
static size_t fan_out_due(struct relay *r, const struct tick_pass *pass)
{
    size_t sent = 0;
    uint32_t kept = 0;
    size_t kept_bytes = 0;
    uint64_t unserved = 0;
    r->flow.tick_due_us = UINT64_MAX;
    for (uint32_t i = 0; i < r->flow.nheld; i++) {
        struct relay_held *h = &r->flow.held[i];
        bool keep;
        sent += pass_one(r, h, pass, &keep);
        if (!keep)
            continue;
        /* A state's bytes follow its predecessors' (conflate never moves
         * them): later states only move down, memmove is safe. */
        if (h->off != kept_bytes)
            memmove(r->flow.held_bytes + kept_bytes, r->flow.held_bytes + h->off, h->len);
        h->off = (uint32_t)kept_bytes;
        kept_bytes += h->len;
        if (!h->world && h->due_us < r->flow.tick_due_us)
            r->flow.tick_due_us = h->due_us;
        unserved |= h->world ? ~h->served & core_world_all(r) : 0;
        if (kept != i) {
            r->peers[h->peer].held_at = kept;
            r->flow.held[kept] = *h;
        }
        kept++;
    }
    if (sent)
        r->stats.ticks++;
    r->flow.nheld = kept;
    r->flow.held_used = kept_bytes;
    r->flow.world_due_us = UINT64_MAX;
    for (uint32_t g = 0; g < r->flow.world_groups; g++) {
        uint64_t next = group_end(r, g, pass->now_us) + r->cfg.world_tick_us;
        if ((unserved >> g & 1) && next < r->flow.world_due_us)
            r->flow.world_due_us = next;
    }
    return sent;
}

size_t core_fan_out_held(struct relay *r, uint64_t now_us)
{
    struct tick_pass pass = pass_at(r, UINT64_MAX, now_us);
    return fan_out_due(r, &pass);
}

void core_last_forget(struct relay *r, uint32_t peer)
{
    r->peers[peer].has_state = false;
}

void core_fan_out_leaver(struct relay *r, uint32_t peer)
{
    const struct relay_peer *p = &r->peers[peer];
    for (uint32_t i = 0; i < r->flow.nheld; i++) {
        struct relay_held *h = &r->flow.held[i];
        if (h->peer != peer || h->id != p->id)
            continue;
        if (h->world) {
            struct tick_pass pass = pass_at(r, UINT64_MAX, 0);
            serve_world(r, h, core_world_all(r) & ~h->served, &pass);
        } else {
            fan_out(r, peer, (enum proto_mode)h->mode, r->flow.held_bytes + h->off, h->len);
        }
        h->id = 0; /* sent: no relay id is 0, so its tick skips it */
    }
}

/* When a state that room slot `room` receives at now_us is due. Ticks are
 * a fixed grid of tick_us, so the wait is at most tick_us. With many rooms
 * and a long tick, the rooms' grids are staggered: K = tick_us / 5 ms
 * phases (rounded up), room slot i ends its ticks (i mod K) x tick_us / K
 * after phase 0's. Each room still gets its whole tick in one fan-out, but
 * the relay sends a K-th of the rooms every 5 ms rather than all of them at
 * once: the fan-out of 2000 rooms' tick takes tens of ms, and the last
 * recipients would wait that long on top of the tick. */
static uint64_t tick_due(const struct relay *r, uint32_t room, uint64_t now_us)
{
    uint64_t tick = room_tick_us(r, room);
    uint64_t phases = (tick + TICK_PHASE_US - 1) / TICK_PHASE_US;
    uint64_t offset = room % phases * (tick / phases);
    return now_us - (now_us + tick - offset) % tick + tick;
}

uint64_t relay_peer_tick_due(const struct relay *r, uint32_t peer, uint64_t now_us)
{
    if (!r->cfg.tick_us || peer >= r->cfg.peer_cap || !r->peers[peer].connected ||
        !r->peers[peer].joined || on_world_tick(r, r->peers[peer].room))
        return 0;
    return tick_due(r, r->peers[peer].room, now_us);
}

/* Does room slot `room` fan out on a world's tick (a room with interest,
 * and the relay has one)? */
static bool on_world_tick(const struct relay *r, uint32_t room)
{
    return r->rooms.at[room].grid && r->cfg.world_tick_us;
}

/* The tick a state of room slot `room` waits for: a world's, else the
 * relay's (0: none). */
static uint64_t room_tick_us(const struct relay *r, uint32_t room)
{
    return on_world_tick(r, room) ? r->cfg.world_tick_us : r->cfg.tick_us;
}

/* A held world state arrived at `arrived` (now_us now) is due to each
 * group at that group's first tick end after it (at once to a group whose
 * tick has ended since: it was read late). */
static void world_due_after(struct relay *r, uint64_t arrived, uint64_t now_us)
{
    for (uint32_t g = 0; g < r->flow.world_groups; g++) {
        uint64_t end = group_end(r, g, now_us);
        uint64_t due = end > arrived ? now_us : end + r->cfg.world_tick_us;
        if (due < r->flow.world_due_us)
            r->flow.world_due_us = due;
    }
}

/* A held world state about to give way to a newer one that arrived at
 * `arrived` first goes to the groups whose tick ended between the two
 * arrivals (the tick that would send it has not run yet): each receiver
 * gets a state of every tick. */
static void serve_owed(struct relay *r, struct relay_held *h, uint64_t arrived)
{
    struct tick_pass pass = pass_at(r, arrived, r->now_us);
    uint64_t owed = groups_due(r, h, &pass);
    if (owed) {
        serve_world(r, h, owed, &pass);
        h->served |= owed;
    }
}

/* A world's tick sends each receiver the newest state of every sender it
 * sees: a state of peer's that arrives while its latest held one, both
 * unreliable on their way down, is still held takes that one's place (an
 * older arrival, by seq, gives way instead), due again to every group.
 * The one that gives way is counted conflated for each member that sees
 * peer and did not get it (the older arrival: every one). A newer state
 * longer than the held one (a bigger payload) does not fit in its bytes:
 * the held one is dropped (id 0) and the caller holds the new one at the
 * end, so that every held state's bytes stay after its predecessors'
 * (fan_out_due packs them in that order). Returns true if the state was
 * taken care of here. */
static bool conflate(struct relay *r, uint32_t peer, enum proto_mode mode, const uint8_t *bytes,
                     size_t len, uint32_t seq, uint64_t arrived, uint64_t age_from)
{
    const struct relay_peer *p = &r->peers[peer];
    struct relay_held *h = p->held_at < r->flow.nheld ? &r->flow.held[p->held_at] : NULL;
    if (!h || !h->world || h->peer != peer || h->id != p->id ||
        (proto_mode_info((enum proto_mode)h->mode)->down_flags & PROTO_FLAG_RELIABLE))
        return false;
    bool older = !proto_seq_after(seq, h->seq);
    if (!older)
        serve_owed(r, h, arrived);
    uint64_t missed = older ? core_world_all(r) : core_world_all(r) & ~h->served;
    size_t n = core_interest_seers_in(r, peer, missed, r->recipients);
    for (size_t i = 0; i < n; i++)
        relay_count_conflated(r, r->recipients[i], 1);
    if (older)
        return true; /* the held one is newer: this one gives way */
    if (len > h->len) {
        h->id = 0;
        return false;
    }
    memcpy(r->flow.held_bytes + h->off, bytes, len);
    h->len = (uint16_t)len;
    h->seq = seq;
    h->mode = (uint8_t)mode;
    h->served = 0;
    h->due_us = arrived;
    h->arrived_us = age_from;
    return true;
}

/* Holds a stamped state (a copy of it) until the end of its room's tick;
 * in a world, until every group of receivers has had it (in place of the
 * sender's older one: conflate). A full queue is sent at once: nothing is
 * dropped, it only goes out early. Returns 0. */
static int hold(struct relay *r, uint32_t peer, enum proto_mode mode, const uint8_t *bytes,
                size_t len, uint32_t seq, uint64_t now_us)
{
    if (r->flow.nheld == TICK_QUEUE || TICK_ARENA - r->flow.held_used < len)
        core_fan_out_held(r, now_us);
    uint64_t after = r->flow.arrived_after_us;
    uint64_t arrived = after && after < now_us ? after : now_us;
    uint32_t room = r->peers[peer].room;
    bool world = on_world_tick(r, room);
    /* A room's state: due at its tick's end, aged from its arrival. A
     * world's: due_us is when it arrived (each group's end after it). */
    uint64_t due = world ? arrived : tick_due(r, room, arrived);
    if (world) {
        world_due_after(r, arrived, now_us);
        if (!(proto_mode_info(mode)->down_flags & PROTO_FLAG_RELIABLE) &&
            conflate(r, peer, mode, bytes, len, seq, arrived, arrived_by(r, now_us)))
            return 0;
    } else if (due < r->flow.tick_due_us) {
        r->flow.tick_due_us = due;
    }
    r->peers[peer].held_at = r->flow.nheld;
    struct relay_held *h = &r->flow.held[r->flow.nheld++];
    *h = (struct relay_held){ .peer = peer, .id = r->peers[peer].id, .mode = (uint8_t)mode,
                              .world = world, .len = (uint16_t)len, .seq = seq,
                              .off = (uint32_t)r->flow.held_used, .due_us = due,
                              .arrived_us = arrived_by(r, now_us) };
    memcpy(r->flow.held_bytes + r->flow.held_used, bytes, len);
    r->flow.held_used += len;
    return 0;
}

int core_flow_alloc(struct relay *r)
{
    struct core_flow *f = &r->flow;
    f->tick_due_us = f->world_due_us = UINT64_MAX;
    if (r->cfg.world_tick_us) {
        uint32_t groups = (r->cfg.world_tick_us + 4999) / 5000; /* a group every 5 ms */
        f->world_groups = groups < CORE_WORLD_GROUPS_MAX ? groups : CORE_WORLD_GROUPS_MAX;
    }
    f->by_edge = calloc(r->cfg.max_room_size + 1, sizeof *f->by_edge);
    if (!f->by_edge)
        return -1;
    if (r->cfg.tick_us || r->cfg.world_tick_us) {
        f->held = calloc(TICK_QUEUE, sizeof *f->held);
        f->held_bytes = malloc(TICK_ARENA);
        if (!f->held || !f->held_bytes)
            return -1;
    }
    return 0;
}

void core_flow_free(struct relay *r)
{
    free(r->flow.by_edge);
    free(r->flow.held);
    free(r->flow.held_bytes);
}

size_t core_tick(struct relay *r, uint64_t now_us)
{
    uint64_t due = relay_tick_due(r);
    if (now_us < due)
        return 0;
    timehist_record(&r->stats.tick_lag, now_us - due);
    struct tick_pass pass = pass_at(r, now_us, now_us);
    return fan_out_due(r, &pass);
}

void relay_fanout_took(struct relay *r, uint64_t us)
{
    timehist_record(&r->stats.fanout, us);
}

void relay_arrived(struct relay *r, uint64_t after_us, uint64_t by_us)
{
    r->flow.arrived_after_us = after_us;
    r->flow.arrived_by_us = by_us;
}

uint32_t relay_tick_us(const struct relay *r)
{
    return r->cfg.tick_us;
}

uint64_t relay_tick_due(const struct relay *r)
{
    if (!r->flow.nheld)
        return UINT64_MAX;
    return r->flow.tick_due_us < r->flow.world_due_us ? r->flow.tick_due_us : r->flow.world_due_us;
}

/* ---- shed ------------------------------------------------------------- */

/* By when the datagram in hand arrived (relay_arrived's by_us, or now_us). */
static uint64_t arrived_by(const struct relay *r, uint64_t now_us)
{
    return r->flow.arrived_by_us && r->flow.arrived_by_us < now_us ? r->flow.arrived_by_us : now_us;
}

/* Is a state of mode, arrived at arrived_us, stale at now_us (unreliable
 * on its way down, and older than cfg.stale_us)? If so it is counted
 * (stale) and the caller drops it. */
static bool shed_stale(struct relay *r, enum proto_mode mode, uint64_t arrived_us,
                       uint64_t now_us)
{
    if (!r->cfg.stale_us || (proto_mode_info(mode)->down_flags & PROTO_FLAG_RELIABLE) ||
        now_us <= arrived_us ||
        now_us - arrived_us <= r->cfg.stale_us)
        return false;
    r->stats.drops[RELAY_DROP_STALE]++;
    return true;
}

/* ---- fan out ---------------------------------------------------------- */

/* Who gets a state from peer: those who see it in a room with interest,
 * else the other members of its room; and itself if it asked for
 * reflection. Into r->recipients; returns how many. */
static size_t recipients(struct relay *r, uint32_t peer)
{
    const struct relay_peer *p = &r->peers[peer];
    const struct relay_room *room = &r->rooms.at[p->room];
    size_t n = 0;
    if (room->grid) {
        n = core_interest_seers(r, peer, r->recipients);
        if (p->reflect)
            r->recipients[n++] = peer;
    } else {
        for (uint32_t i = 0; i < room->n; i++)
            if (room->members[i] != peer || p->reflect)
                r->recipients[n++] = room->members[i];
    }
    return n;
}

/* Groups the n recipients in r->recipients by edge, in the edges' order
 * and each edge's in the room's, into r->flow.by_edge; start[e] is where edge
 * e's share begins (start[n_edges] = n). A counting sort: O(n + edges). */
static void group_by_edge(struct relay *r, size_t n, uint32_t start[RELAY_EDGES_MAX + 1])
{
    uint32_t at[RELAY_EDGES_MAX] = {0};
    for (size_t i = 0; i < n; i++)
        at[r->edges.of[r->recipients[i]]]++;
    start[0] = 0;
    for (uint32_t e = 0; e < r->edges.n; e++) {
        start[e + 1] = start[e] + at[e];
        at[e] = start[e];
    }
    for (size_t i = 0; i < n; i++)
        r->flow.by_edge[at[r->edges.of[r->recipients[i]]]++] = r->recipients[i];
}

/* Edge e's share of a fan-out: n recipients at peers get len bytes. */
static void hand_to_edge(struct relay *r, uint32_t e, uint32_t from, const uint32_t *peers,
                         size_t n, uint8_t channel, uint32_t flags, const uint8_t *bytes,
                         size_t len)
{
    const struct relay_transport *tp = &r->edges.at[e].tp;
    struct relay_edge_stats *es = &r->stats.edges[e];
    r->stats.states_out += n;
    r->stats.bytes_out += (uint64_t)n * len;
    es->states_out += n;
    es->bytes_out += (uint64_t)n * len;
    tp->send_state(tp->ctx, from, peers, n, channel, flags, bytes, len);
}

/* Edge e's share, each of the n recipients at peers its own seal (or
 * bytes as they are to one whose session is not sealed), one call each.
 * Returns how many it was handed to. */
static size_t hand_sealed(struct relay *r, uint32_t e, uint32_t from, const uint32_t *peers,
                          size_t n, uint8_t channel, uint32_t flags, const uint8_t *bytes,
                          size_t len)
{
    enum seal_lane lane = flags & PROTO_FLAG_RELIABLE ? SEAL_LANE_RELIABLE : SEAL_LANE_STATE;
    uint8_t box[PROTO_STATE_MAX + SEAL_OVERHEAD];
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
        size_t out;
        const uint8_t *b = core_seal_for(r, peers[i], lane, bytes, len, box, sizeof box, &out);
        if (!b)
            continue;
        hand_to_edge(r, e, from, &peers[i], 1, channel, flags, b, out);
        sent++;
    }
    return sent;
}

/* The one place a state is handed to the edges: the n recipients in
 * r->recipients get bytes (the sender's edge's own buffer or a held copy:
 * relay.h, send_state) on its mode's way down (channel and flags), each
 * edge its share in one call (one edge: all of them at once, ungrouped);
 * in sealed sessions each its own seal, one call each (a secure edge's
 * members, never sealed, all at once). Returns how many it was handed to. */
static size_t hand_over(struct relay *r, uint32_t from, size_t n, enum proto_mode mode,
                        const uint8_t *bytes, size_t len)
{
    const struct proto_mode_info *mi = proto_mode_info(mode);
    uint8_t channel = mi->down_channel;
    uint32_t flags = mi->down_flags & PROTO_FLAGS_MASK;
    if (!r->cfg.encrypt && r->edges.n == 1) {
        hand_to_edge(r, 0, from, r->recipients, n, channel, flags, bytes, len);
        return n;
    }
    uint32_t start[RELAY_EDGES_MAX + 1];
    size_t sent = 0;
    group_by_edge(r, n, start);
    for (uint32_t e = 0; e < r->edges.n; e++) {
        size_t k = start[e + 1] - start[e];
        if (k == 0)
            continue;
        if (r->cfg.encrypt && !r->edges.at[e].tp.secure) {
            sent += hand_sealed(r, e, from, r->flow.by_edge + start[e], k, channel, flags, bytes,
                                len);
            continue;
        }
        hand_to_edge(r, e, from, r->flow.by_edge + start[e], k, channel, flags, bytes, len);
        sent += k;
    }
    return sent;
}

/* Of the n recipients in r->recipients, those a state from peer of len
 * bytes may go to (backlog.c), kept in order: none whose close is decided;
 * and a reliable state, which waits in a queue, only where core_out_admit
 * lets it (a receiver that falls behind: its bound, the throttle).
 * Returns how many are left. */
static size_t admitted(struct relay *r, uint32_t peer, size_t n, bool reliable, size_t len)
{
    if (!reliable && r->backlog.n_closes == 0)
        return n; /* the common case: no one to leave out, nothing to read */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t to = r->recipients[i];
        bool ok = reliable ? core_out_admit(r, peer, to, len) : !r->peers[to].backlog.closing;
        if (ok)
            r->recipients[k++] = to;
        else if (!reliable)
            r->stats.drops[RELAY_DROP_SEND_CLOSING]++;
    }
    return k;
}

/* Sends a stamped state from peer, which came in mode, to the n recipients
 * in r->recipients (those admitted), counted by that mode and by its room
 * and spent from peer's byte budget; not if the
 * room's lease has run out by the newest time the core knows (a fleet's
 * room: another relay may hold it now; counted unconfirmed). The lease is
 * checked here, where states leave, and not only where they come in: a
 * state held for its tick, or read after the relay was stopped, may leave
 * later than it came. Returns how many it was handed to. */
static size_t fan_out_to(struct relay *r, uint32_t peer, size_t n, enum proto_mode mode,
                         const uint8_t *bytes, size_t len)
{
    if (r->now_us >= r->rooms.at[r->peers[peer].room].lease_until_us) {
        r->stats.drops[RELAY_DROP_UNCONFIRMED]++;
        return 0;
    }
    n = admitted(r, peer, n, proto_mode_info(mode)->down_flags & PROTO_FLAG_RELIABLE, len);
    if (n == 0)
        return 0;
    n = hand_over(r, peer, n, mode, bytes, len);
    r->stats.states_out_mode[mode] += n;
    r->rooms.at[r->peers[peer].room].states_out += n;
    core_budget_spend(r, peer, (uint64_t)n * len);
    return n;
}

/* fan_out_to every recipient of peer's state (recipients). */
static void fan_out(struct relay *r, uint32_t peer, enum proto_mode mode, const uint8_t *bytes,
                    size_t len)
{
    fan_out_to(r, peer, recipients(r, peer), mode, bytes, len);
}
