/* relay_fleet.c: see relay_fleet.h. The glue between three pieces that do not know
 * each other: the core (its fleet hooks), the placement cache (pure) and
 * the directory thread (its rings). */
#include "relay_fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fleet/agones.h"
#include "fleet/dirthread.h"
#include "fleet/placement.h"
#include "relay_fleet_rooms.h"
#include "relay/core/fleet.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "relay/core/relay.h"

#define HEARTBEATS_PER_TTL 10   /* heartbeat every TTL/10 */
#define STALE_HEARTBEATS 3      /* a relay that missed this many is stale: a reported
                                   holder is taken over (proto/FLEET.md) */
#define RETRY_MS 500            /* reconnect, and retry Agones' /ready */
#define REDIS_TIMEOUT_MS 500    /* each Redis call */
#define AGONES_TIMEOUT_MS 1000  /* each sidecar call */
#define AGONES_HEALTH_MS 1000   /* POST /health period (Agones checks every 5 s) */
#define CACHE_MS 1000           /* another relay's room, answered from the cache */
#define RING_SLOTS 4096         /* each direction */
#define AT_ONCE_US 16000000     /* members all dropped within this: "all at once" */

/* A rooms request or a join of any room asked of the directory. */
struct asked {
    uint32_t peer, ask;
    uint64_t deadline_us;            /* CLOCK_BOOTTIME: unanswered then, settled so */
    bool any;                        /* a join of any room, else a rooms request: */
    char prefix[PROTO_ROOM_MAX + 1];
    char after[PROTO_ROOM_MAX + 1];
    struct proto_props match;
};

struct relay_fleet {
    struct relay *r;
    struct dirthread *t;
    struct placement *p;             /* NULL without --directory */
    struct placement_outcome *out;   /* park_max, for settling */
    uint32_t park_max;
    bool draining, drained;
    bool unreachable;                /* the directory's last call failed, or none answered yet */
    uint64_t heartbeat_us;           /* a longer gap in the loop checks every lease again */
    uint64_t turn_boot_us;           /* CLOCK_BOOTTIME at the loop's last turn */
    uint64_t next_listing_us;        /* this relay's rooms go to the thread then */
    uint64_t park_us;                /* an ask of the directory is settled unanswered after */
    struct asked *asked;             /* park_max: asks of the directory awaiting it */
    size_t n_asked;
    uint32_t run;                    /* members dropped in a row, none leaving by itself */
    uint64_t run_from_us;            /* CLOCK_BOOTTIME of the run's first drop */
    struct fleet_placed placed;      /* rooms made from their records: park_max at most */
};

/* The port of the holder's edge of kind (the scheme before any ':' of
 * this relay's edge name) in a claim's edges, "enet" or "enet,udp:7778":
 * 0 for the first (at the claim's address), else its own; the first when
 * the holder has none of that kind. */
static uint16_t edge_port(const char *edges, const char *kind)
{
    size_t klen = strcspn(kind, ":");
    for (const char *e = strchr(edges, ','); e; e = strchr(e + 1, ',')) {
        const char *colon = strchr(e + 1, ':');
        if (colon && (size_t)(colon - (e + 1)) == klen && strncmp(e + 1, kind, klen) == 0)
            return (uint16_t)atoi(colon + 1);
    }
    return 0;
}

/* A claim as a moved for a member of this relay's edge `edge`: the
 * holder's edge of the same kind (host split from the claim's address). */
static bool moved_to(const struct relay_fleet *f, const struct fleet_claim *c, size_t edge,
                     struct relay_moved_to *to)
{
    char err[128];
    memset(to, 0, sizeof *to);
    if (netaddr_split_endpoint(c->addr, to->host, sizeof to->host, &to->port, err,
                               sizeof err) != 0 ||
        to->port == 0) {
        log_warn("fleet: room %s: holder address '%s': %s", c->room, c->addr, err);
        return false;
    }
    const char *kind = relay_edge_name(f->r, edge);
    if (strcspn(kind, ":") == 6 && strncmp(kind, "webrtc", 6) == 0)
        kind = "ws"; /* a WebRTC client reaches a relay through its offer's HTTP front */
    uint16_t port = edge_port(c->transport, kind);
    const char *went = port ? kind : c->transport; /* the kind it goes to, up to ':' or ',' */
    bool udp = strncmp(went, "udp", 3) == 0 && strchr(":,", went[3]);
    to->port = port ? port : to->port;
    to->transport = udp ? PROTO_MODE_UDP : PROTO_MODE_UNSEQUENCED;
    to->epoch = c->epoch;
    return true;
}

/* moved_to for every edge of this relay (relay_room_move's). */
static bool moved_to_each(const struct relay_fleet *f, const struct fleet_claim *c,
                          struct relay_moved_to to[RELAY_EDGES_MAX])
{
    for (size_t i = 0; i < relay_stats(f->r)->n_edges; i++)
        if (!moved_to(f, c, i, &to[i]))
            return false;
    return true;
}

static enum proto_error_code refusal(enum placement_verdict v)
{
    switch (v) {
    case PLACEMENT_FULL: return PROTO_ERROR_SERVER_FULL;
    case PLACEMENT_DRAINING: return PROTO_ERROR_SHUTTING_DOWN;
    default: return PROTO_ERROR_DIRECTORY_UNAVAILABLE;
    }
}

static bool post(struct relay_fleet *f, const struct fleet_msg *m)
{
    if (dirthread_post(f->t, m))
        return true;
    log_warn("fleet: request ring full: a type %d request was dropped", (int)m->type);
    return false;
}

/* ---- leases: the placement's clock and the core's ---- */

/* The placement runs on CLOCK_BOOTTIME (a lease counts suspension); the
 * core on the loop's CLOCK_MONOTONIC. A room's lease on the core's clock
 * is as far from loop_us as the placement's is from boot_us; a suspension
 * after this is caught by the gap check (relay_fleet_turn). */
static uint64_t lease_on_loop(const struct relay_fleet *f, const char *room, uint64_t loop_us,
                              uint64_t boot_us)
{
    uint64_t until = placement_lease_until(f->p, room);
    if (until == UINT64_MAX)
        return UINT64_MAX;
    return until > boot_us ? loop_us + (until - boot_us) : 0;
}

struct lease_ctx {
    struct relay_fleet *f;
    uint64_t loop_us, boot_us;
};

static void set_lease(void *ctx, const char *room)
{
    struct lease_ctx *l = ctx;
    relay_room_lease(l->f->r, room, lease_on_loop(l->f, room, l->loop_us, l->boot_us));
}

/* Every room's lease as the placement has it now. */
static void refresh_leases(struct relay_fleet *f, uint64_t loop_us)
{
    struct lease_ctx l = {f, loop_us, clock_boot_us()};
    relay_each_room(f->r, set_lease, &l);
}

/* ---- the core's hooks ---- */

static uint64_t hook_lease(void *ctx, const char *room, uint64_t now_us)
{
    return lease_on_loop(ctx, room, now_us, clock_boot_us());
}

static enum relay_place hook_place(void *ctx, uint32_t peer, const char *room,
                                   uint64_t seen_epoch, const char *lost, const char *player,
                                   struct relay_moved_to *to, enum proto_error_code *code)
{
    struct relay_fleet *f = ctx;
    struct fleet_claim claim = {0};
    bool ask, suspect;
    uint64_t now = clock_boot_us();
    enum placement_verdict v = placement_join(f->p, room, peer, seen_epoch, lost, now, &claim,
                                              &ask, &suspect);
    switch (v) {
    case PLACEMENT_HERE:
        return RELAY_PLACE_HERE;
    case PLACEMENT_MOVED:
        if (moved_to(f, &claim, relay_peer_edge(f->r, peer), to))
            return RELAY_PLACE_MOVED;
        *code = PROTO_ERROR_DIRECTORY_UNAVAILABLE;
        return RELAY_PLACE_REFUSED;
    case PLACEMENT_PARKED: {
        struct fleet_msg m = {.type = FLEET_PLACE, .claim = claim, .suspect = suspect};
        snprintf(m.player, sizeof m.player, "%s", suspect ? player : "");
        if (!ask || post(f, &m))
            return RELAY_PLACE_WAIT;
        /* Nobody will answer: settle the room as unplaceable now. */
        struct placement_effect e;
        m = (struct fleet_msg){.type = FLEET_UNPLACED, .unreachable = true};
        snprintf(m.claim.room, sizeof m.claim.room, "%s", room);
        placement_apply(f->p, &m, now, f->out, f->park_max, &e); /* only this peer waited */
        *code = PROTO_ERROR_DIRECTORY_UNAVAILABLE;
        return RELAY_PLACE_REFUSED;
    }
    default:
        *code = refusal(v);
        return RELAY_PLACE_REFUSED;
    }
}

/* ---- rooms placed here with what the directory kept of them ---- */

/* The room of m, placed here with its record, made from it now (before
 * any join of it: its owner and settings are the record's, not a
 * joiner's), its lease set. */
static void restore(struct relay_fleet *f, struct fleet_msg *m, uint64_t now_us)
{
    uint64_t boot = clock_boot_us();
    if (fleet_placed_restore(&f->placed, f->r, m, now_us, boot))
        relay_room_lease(f->r, m->claim.room, lease_on_loop(f, m->claim.room, now_us, boot));
}

static bool hook_was_member(void *ctx, const char *room, const char *player)
{
    struct relay_fleet *f = ctx;
    return fleet_placed_was_member(&f->placed, room, player);
}

/* What the directory keeps of each room that changed: its members (whose
 * report moves it; a room made here from its record counts those it had
 * too, while they may still come) and its record (what its next relay
 * applies). */
static void post_keep(void *ctx, const char *room, const char *members, uint32_t n,
                      const char *record)
{
    struct relay_fleet *f = ctx;
    struct fleet_msg m;
    if (!fleet_placed_keep(&f->placed, room, members, n, record, &m))
        log_error("fleet: room '%s': out of memory: not kept", room);
    else if (!post(f, &m))
        fleet_msg_free(&m);
}

/* A room whose last member was dropped here (timed out, or closed for
 * taking nothing) may have lost its players to a cut between them and
 * this relay, which still beats: they rejoin elsewhere, and this relay
 * keeps itself out of the room's placement for a while, lest it be handed
 * the room back with nobody able to reach it (a black hole). */
static void hook_room_closed(void *ctx, const char *room, bool dropped)
{
    struct relay_fleet *f = ctx;
    struct fleet_msg m = {.type = FLEET_RELEASE, .keep_out = dropped, .ended = !dropped};
    fleet_placed_drop(&f->placed, room);
    if (placement_room_closed(f->p, room, &m.claim))
        post(f, &m);
}

/* Its last members, two at least, all dropped within AT_ONCE_US (timed
 * out, or closed as slow readers: what a cut from its players makes),
 * none leaving by itself meanwhile: its players may be cut from it while
 * the directory still hears it, and it tells on itself (FLEET_UNHEARD),
 * once per such fall. */
static void hook_member_left(void *ctx, bool dropped, uint32_t members)
{
    struct relay_fleet *f = ctx;
    uint64_t now = clock_boot_us();
    if (!dropped) {
        f->run = 0;
        return;
    }
    if (f->run == 0 || now - f->run_from_us > AT_ONCE_US) {
        f->run = 0;
        f->run_from_us = now;
    }
    f->run++;
    if (members > 0)
        return;
    if (f->run >= 2)
        post(f, &(struct fleet_msg){.type = FLEET_UNHEARD, .clients = f->run});
    f->run = 0;
}

static void hook_peer_gone(void *ctx, uint32_t peer)
{
    struct relay_fleet *f = ctx;
    placement_forget(f->p, peer);
}

/* A rooms request or a join of any room, asked of the directory thread;
 * false if too many wait or the ring is full. */
static bool hook_list(void *ctx, uint32_t peer, uint32_t ask, bool any, const char *prefix,
                      const char *after, const struct proto_props *match)
{
    struct relay_fleet *f = ctx;
    struct fleet_query *q;
    if (f->n_asked == f->park_max || !(q = calloc(1, sizeof *q)))
        return false;
    *q = (struct fleet_query){.peer = peer, .ask = ask, .any = any};
    snprintf(q->prefix, sizeof q->prefix, "%s", prefix);
    snprintf(q->after, sizeof q->after, "%s", after ? after : "");
    if (match)
        q->match = *match;
    if (!post(f, &(struct fleet_msg){.type = FLEET_LIST, .query = q})) {
        free(q);
        return false;
    }
    struct asked *a = &f->asked[f->n_asked++];
    *a = (struct asked){.peer = peer, .ask = ask, .any = any, .match = q->match,
                        .deadline_us = clock_boot_us() + f->park_us};
    memcpy(a->prefix, q->prefix, sizeof a->prefix);
    memcpy(a->after, q->after, sizeof a->after);
    return true;
}

/* The directory's answer to a (q, NULL: none in time) to the core. */
static void answer(struct relay_fleet *f, const struct asked *a, const struct fleet_query *q,
                   uint64_t now_us)
{
    bool got = q && q->answered;
    if (a->any) {
        struct relay_any_answer an = {.answered = got, .pick = got ? &q->got.pick : NULL,
                                      .free = got ? q->got.free : ""};
        relay_any_settle(f->r, a->peer, a->ask, &an, &a->match, now_us);
        return;
    }
    struct relay_rooms_answer an = {.prefix = a->prefix, .after = a->after,
                                    .match = &a->match, .answered = got};
    if (got) {
        an.rooms = q->got.rooms;
        an.props = q->got.props;
        an.n = q->got.n;
        an.more = q->got.more;
    }
    relay_rooms_settle(f->r, a->peer, a->ask, &an, now_us);
}

/* A query the thread answered: to the core, if it still waits. */
static void listed(struct relay_fleet *f, struct fleet_query *q, uint64_t now_us)
{
    for (size_t i = 0; i < f->n_asked; i++)
        if (f->asked[i].peer == q->peer && f->asked[i].ask == q->ask) {
            struct asked a = f->asked[i];
            f->asked[i] = f->asked[--f->n_asked];
            answer(f, &a, q, now_us);
            break;
        }
    free(q);
}

/* ---- results ---- */

/* Why no relay of the fleet takes a new room, in the words a refused
 * join is told (NULL: the error table's). */
static const char *limit_text(enum directory_limit limit)
{
    switch (limit) {
    case DIRECTORY_LIMIT_MAXMEMORY:
        return "the fleet's directory is full (Redis is past its maxmemory): no new room "
               "now; the rooms there play on";
    case DIRECTORY_LIMIT_RECORDS:
        return "every relay of the fleet that could take the room holds its budget of "
               "rooms' records (--directory-records-mb): no new room now";
    case DIRECTORY_LIMIT_CLIENTS:
        return "every relay of the fleet is at its --max-clients: no new room now";
    default:
        return NULL;
    }
}

/* The parked joins settled (o[0..n)); a refused one is told why (the
 * limit that kept its room from every relay, if that is why). */
static void settle(struct relay_fleet *f, const struct placement_outcome *o, size_t n,
                   enum directory_limit limit, uint64_t now_us)
{
    for (size_t i = 0; i < n; i++) {
        struct relay_moved_to to;
        if (o[i].verdict == PLACEMENT_HERE)
            relay_join_settle(f->r, o[i].peer, RELAY_PLACE_HERE, NULL, PROTO_ERROR_NONE, NULL,
                              now_us);
        else if (o[i].verdict == PLACEMENT_MOVED &&
                 moved_to(f, &o[i].claim, relay_peer_edge(f->r, o[i].peer), &to))
            relay_join_settle(f->r, o[i].peer, RELAY_PLACE_MOVED, &to, PROTO_ERROR_NONE, NULL,
                              now_us);
        else
            relay_join_settle(f->r, o[i].peer, RELAY_PLACE_REFUSED, NULL,
                              refusal(o[i].verdict),
                              o[i].verdict == PLACEMENT_FULL ? limit_text(limit) : NULL,
                              now_us);
    }
}

/* This relay's rooms (all of them, in name order) to the thread, whose
 * heartbeats write the entries of those that changed. */
static void post_listing(struct relay_fleet *f)
{
    size_t n = relay_rooms(f->r);
    struct fleet_msg m = {.type = FLEET_LISTING};
    if (n && !(m.listing = fleet_listing_alloc(n, &m.props)))
        return; /* published again at the next heartbeat */
    m.n_listing = (uint32_t)relay_list_rooms(f->r, "", NULL, m.listing, m.props, n, NULL);
    if (!post(f, &m))
        free(m.listing);
}

static void apply(struct relay_fleet *f, struct fleet_msg *m, uint64_t now_us)
{
    if (m->type == FLEET_LISTED) {
        listed(f, m->query, now_us);
        return;
    }
    if (m->type == FLEET_REACHABLE)
        f->unreachable = m->unreachable;
    if (m->type == FLEET_DRAINED) {
        f->drained = true;
        return;
    }
    if (!f->p)
        return;
    if (m->type == FLEET_PLACED && m->refused)
        relay_count_report_refused(f->r);
    struct placement_effect e;
    size_t n = placement_apply(f->p, m, clock_boot_us(), f->out, f->park_max, &e);
    if (m->type == FLEET_PLACED && m->record && !e.release) /* before its joins go on */
        restore(f, m, now_us);
    fleet_msg_free(m);
    settle(f, f->out, n, m->type == FLEET_UNPLACED ? m->limit : DIRECTORY_LIMIT_NONE, now_us);
    if (m->type == FLEET_CONFIRMED || m->type == FLEET_RECLAIMED)
        refresh_leases(f, now_us);
    if (e.release)
        post(f, &(struct fleet_msg){.type = FLEET_RELEASE, .claim = e.claim});
    if (e.ask) { /* lost: the parked joins expire if nobody answers */
        post(f, &(struct fleet_msg){.type = FLEET_PLACE, .claim = e.claim, .suspect = true});
    }
    if (e.move_members) {
        struct relay_moved_to to[RELAY_EDGES_MAX];
        fleet_placed_drop(&f->placed, e.claim.room);
        bool somewhere = e.claim.epoch && moved_to_each(f, &e.claim, to);
        relay_room_move(f->r, e.claim.room, somewhere ? to : NULL, now_us);
    }
}

void relay_fleet_poll(struct relay_fleet *f, uint64_t now_us)
{
    if (!f)
        return;
    struct fleet_msg m;
    dirthread_ack(f->t);
    while (dirthread_poll(f->t, &m))
        apply(f, &m, now_us);
}

void relay_fleet_turn(struct relay_fleet *f, uint64_t now_us)
{
    if (!f || !f->p)
        return;
    uint64_t boot = clock_boot_us(), gap = f->turn_boot_us ? boot - f->turn_boot_us : 0;
    f->turn_boot_us = boot;
    if (gap <= f->heartbeat_us)
        return;
    log_info("fleet: the loop was away %llu ms, longer than a heartbeat: leases checked",
             (unsigned long long)(gap / 1000));
    refresh_leases(f, now_us);
}

#define LAPSED_PER_TICK 64 /* rooms let go at one tick; the rest at the next */

struct lapsed {
    const struct placement *p;
    uint64_t boot_us;
    char room[LAPSED_PER_TICK][PROTO_ROOM_MAX + 1];
    size_t n;
};

static void find_lapsed(void *ctx, const char *room)
{
    struct lapsed *l = ctx;
    if (l->n < LAPSED_PER_TICK && placement_lease_until(l->p, room) <= l->boot_us)
        snprintf(l->room[l->n++], sizeof l->room[0], "%s", room);
}

/* Rooms whose lease ran out while the directory does not answer: another
 * relay may hold them by now, and this one cannot learn which. Their
 * members are sent to join again through another relay that can ask
 * (rather than wait here in silence while newcomers start the room
 * elsewhere), and the claim is let go. A relay that was paused and
 * reaches the directory waits for its next heartbeat instead. */
static void let_go_lapsed(struct relay_fleet *f, uint64_t now_us)
{
    if (!f->unreachable)
        return;
    struct lapsed *l = malloc(sizeof *l);
    if (!l)
        return; /* at the next tick */
    *l = (struct lapsed){.p = f->p, .boot_us = clock_boot_us()};
    relay_each_room(f->r, find_lapsed, l);
    for (size_t i = 0; i < l->n; i++) {
        struct fleet_msg m = {.type = FLEET_RELEASE, .let_go = true};
        relay_room_let_go(f->r, l->room[i], now_us);
        if (placement_room_closed(f->p, l->room[i], &m.claim))
            post(f, &m);
    }
    free(l);
}

/* Asks of the directory past their deadline: settled unanswered (the
 * request answered from this relay's rooms, the join refused). */
static void expire_asked(struct relay_fleet *f, uint64_t now_us)
{
    uint64_t boot = clock_boot_us();
    for (size_t i = f->n_asked; i-- > 0;)
        if (f->asked[i].deadline_us <= boot) {
            struct asked a = f->asked[i];
            f->asked[i] = f->asked[--f->n_asked];
            answer(f, &a, NULL, now_us);
        }
}

void relay_fleet_tick(struct relay_fleet *f, uint64_t now_us)
{
    if (!f)
        return;
    post(f, &(struct fleet_msg){.type = FLEET_LOAD, .rooms = relay_rooms(f->r),
                                .clients = relay_clients(f->r)});
    if (!f->p)
        return;
    /* --room-list off: its rooms are reached by their names only */
    if (now_us >= f->next_listing_us && relay_room_list_on(f->r)) {
        f->next_listing_us = now_us + f->heartbeat_us;
        post_listing(f);
    }
    settle(f, f->out, placement_expire(f->p, clock_boot_us(), f->out, f->park_max),
           DIRECTORY_LIMIT_NONE, now_us);
    expire_asked(f, now_us);
    let_go_lapsed(f, now_us);
    relay_each_changed_room(f->r, post_keep, f);
    fleet_placed_due(&f->placed, clock_boot_us());
}

int relay_fleet_fd(const struct relay_fleet *f)
{
    return f ? dirthread_fd(f->t) : -1;
}

void relay_fleet_drain(struct relay_fleet *f, uint64_t now_us)
{
    if (!f || f->draining)
        return;
    f->draining = true;
    if (f->p) {
        relay_each_changed_room(f->r, post_keep, f); /* kept before the rooms move */
        settle(f, f->out, placement_drain(f->p, f->out, f->park_max), DIRECTORY_LIMIT_NONE,
               now_us);
    }
    if (!post(f, &(struct fleet_msg){.type = FLEET_DRAIN}))
        f->drained = true; /* nobody to wait for */
}

bool relay_fleet_drained(const struct relay_fleet *f)
{
    return !f || f->drained;
}

bool relay_fleet_reachable(const struct relay_fleet *f)
{
    return !f || !f->unreachable;
}

/* ---- start and stop ---- */

/* --advertise as a claim names this relay: HOST:0 takes the port it
 * listens on. Returns 0 with out filled, or -1 with a message. */
static int advertised(const char *advertise, uint16_t listen_port, char *out, size_t cap,
                      char *err, size_t err_cap)
{
    char host[FLEET_ADDR_MAX];
    uint16_t port;
    if (netaddr_split_endpoint(advertise, host, sizeof host, &port, err, err_cap) != 0)
        return -1;
    if (port)
        snprintf(out, cap, "%s", advertise);
    else
        snprintf(out, cap, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                 (unsigned)listen_port);
    return fleet_addr_check(out, err, err_cap);
}

/* The password: the first line of path (its line end removed). Returns 0,
 * or -1 with a message that never shows the file's content. */
static int read_password(const char *path, struct fleet_redis_url *u, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_cap, "--directory-password-file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[FLEET_URL_SECRET_MAX + 2] = "";
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (!ok || n == 0 || n >= FLEET_URL_SECRET_MAX) {
        snprintf(err, err_cap, "--directory-password-file %s: expected a password of 1 to %d "
                 "bytes on its first line", path, FLEET_URL_SECRET_MAX - 1);
        return -1;
    }
    memcpy(u->password, line, n + 1);
    u->has_password = true;
    explicit_bzero(line, sizeof line);
    return 0;
}

/* --directory and what goes with it into c->dir. */
static int directory_url(struct dirthread_config *c, const struct relay_fleet_settings *s,
                         char *err, size_t err_cap)
{
    char why[400];
    if (fleet_redis_url_parse(s->directory, &c->dir.url, why, sizeof why) != 0) {
        snprintf(err, err_cap, "--directory %s", why);
        return -1;
    }
    if (s->password_file[0] && read_password(s->password_file, &c->dir.url, err, err_cap) != 0)
        return -1;
    if (!c->dir.url.tls && (s->tls_ca[0] || s->tls_cert[0] || s->tls_key[0])) {
        snprintf(err, err_cap, "--directory-ca, -cert and -key need a rediss:// directory");
        return -1;
    }
    if (!s->tls_cert[0] != !s->tls_key[0]) {
        snprintf(err, err_cap, "--directory-cert and --directory-key go together");
        return -1;
    }
    snprintf(c->dir.tls_ca, sizeof c->dir.tls_ca, "%s", s->tls_ca);
    snprintf(c->dir.tls_cert, sizeof c->dir.tls_cert, "%s", s->tls_cert);
    snprintf(c->dir.tls_key, sizeof c->dir.tls_key, "%s", s->tls_key);
    return 0;
}

/* The thread's configuration from the settings; -1 with err if invalid. */
static int configure(struct dirthread_config *c, const struct relay_fleet_settings *s,
                     const char *name, const char *transport, uint16_t listen_port,
                     uint32_t capacity, char *err, size_t err_cap)
{
    memset(c, 0, sizeof *c);
    int agones = agones_port_from_env(&c->agones.port, err, err_cap);
    if (agones < 0)
        return -1;
    c->use_agones = agones == 1;
    c->use_directory = s->directory[0] != '\0';
    if (!fleet_name_valid(name)) {
        snprintf(err, err_cap, "--fleet-name '%s': 1..%d bytes of A-Z a-z 0-9 _ . -", name,
                 FLEET_NAME_MAX);
        return -1;
    }
    if (c->use_directory && directory_url(c, s, err, err_cap) != 0)
        return -1;
    if (c->use_directory && !s->advertise[0] && !c->use_agones) {
        snprintf(err, err_cap, "--directory needs --advertise HOST:PORT (the address clients "
                 "reach this relay at)");
        return -1;
    }
    if (s->advertise[0] && advertised(s->advertise, listen_port, c->dir.addr,
                                      sizeof c->dir.addr, err, err_cap) != 0)
        return -1;
    snprintf(c->dir.prefix, sizeof c->dir.prefix, "%s", name);
    snprintf(c->dir.transport, sizeof c->dir.transport, "%s", transport);
    uint8_t rnd[FLEET_INSTANCE_LEN / 2];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        snprintf(err, err_cap, "getrandom failed");
        return -1;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(c->dir.instance + 2 * i, 3, "%02x", rnd[i]);
    c->dir.capacity = capacity;
    c->dir.ttl_ms = s->ttl_ms;
    c->dir.timeout_ms = REDIS_TIMEOUT_MS;
    c->heartbeat_ms = s->ttl_ms / HEARTBEATS_PER_TTL ? s->ttl_ms / HEARTBEATS_PER_TTL : 1;
    c->dir.stale_ms = STALE_HEARTBEATS * c->heartbeat_ms;
    /* after the directory was away, every relay is back within a reconnect
     * (its connect and first call each bounded by the timeout) and writes
     * its rooms' records before its first heartbeat */
    c->dir.restore_ms = RETRY_MS + 2 * REDIS_TIMEOUT_MS + c->heartbeat_ms;
    c->records_budget = (size_t)s->records_mb * 1024 * 1024;
    c->retry_ms = RETRY_MS;
    c->agones.timeout_ms = AGONES_TIMEOUT_MS;
    c->health_ms = AGONES_HEALTH_MS;
    c->ring_slots = RING_SLOTS;
    return 0;
}

static struct placement *make_placement(const struct dirthread_config *c,
                                        const struct relay_fleet_settings *s)
{
    struct placement_config pc = {.lease_ms = s->ttl_ms - c->heartbeat_ms,
                                  .cache_ms = CACHE_MS, .park_ms = s->park_ms,
                                  .park_max = s->park_max};
    snprintf(pc.instance, sizeof pc.instance, "%s", c->dir.instance);
    if (getrandom(pc.hash_key, sizeof pc.hash_key, 0) != (ssize_t)sizeof pc.hash_key)
        return NULL;
    return placement_create(&pc);
}

int relay_fleet_start(struct relay_fleet **out, const struct relay_fleet_settings *s,
                      const char *fleet_name, struct relay *r, const char *transport,
                      uint16_t listen_port, uint32_t capacity, char *err, size_t err_cap)
{
    struct dirthread_config c;
    *out = NULL;
    if (configure(&c, s, fleet_name, transport, listen_port, capacity, err, err_cap) != 0)
        return -1;
    if (!c.use_directory && !c.use_agones)
        return 0;
    struct relay_fleet *f = calloc(1, sizeof *f);
    if (!f || !(f->out = calloc(s->park_max, sizeof *f->out)) ||
        !(f->asked = calloc(s->park_max, sizeof *f->asked)) ||
        fleet_placed_init(&f->placed, s->park_max) != 0 ||
        (c.use_directory && !(f->p = make_placement(&c, s)))) {
        snprintf(err, err_cap, "fleet: out of memory");
        goto fail;
    }
    f->r = r;
    f->park_max = s->park_max;
    f->park_us = (uint64_t)s->park_ms * 1000;
    f->unreachable = c.use_directory; /* not ready until the directory first answers */
    f->heartbeat_us = (uint64_t)c.heartbeat_ms * 1000;
    if (!(f->t = dirthread_start(&c, err, err_cap)))
        goto fail;
    if (f->p)
        relay_set_fleet(r, &(struct relay_fleet_hooks){.place = hook_place,
                                                         .lease = hook_lease,
                                                         .room_closed = hook_room_closed,
                                                         .member_left = hook_member_left,
                                                         .peer_gone = hook_peer_gone,
                                                         .list = relay_room_list_on(r)
                                                                     ? hook_list
                                                                     : NULL,
                                                         .was_member = hook_was_member,
                                                         .ctx = f});
    char where[600] = "";
    if (c.use_directory)
        fleet_redis_url_text(&c.dir.url, where, sizeof where); /* no password in logs */
    log_info("fleet: %s%s%s%s (instance %s)", c.use_directory ? "directory " : "", where,
             c.use_directory && c.use_agones ? ", " : "", c.use_agones ? "Agones SDK" : "",
             c.dir.instance);
    *out = f;
    return 0;
fail:
    if (f) {
        placement_destroy(f->p);
        free(f->out);
        free(f->asked);
        fleet_placed_free(&f->placed);
        free(f);
    }
    return -1;
}

void relay_fleet_stop(struct relay_fleet *f)
{
    if (!f)
        return;
    relay_set_fleet(f->r, &(struct relay_fleet_hooks){0});
    dirthread_stop(f->t);
    placement_destroy(f->p);
    fleet_placed_free(&f->placed);
    free(f->out);
    free(f->asked);
    free(f);
}
