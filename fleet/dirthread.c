/* dirthread.c: see dirthread.h. The thread sleeps in poll(2) on its
 * request ring's eventfd until a request comes or timed work is due: the
 * heartbeat (registration and every held claim, one script call per 256
 * claims; then this relay's rooms' entries that changed), a reconnect, a
 * room whose reported holder is awaited, Agones' /ready retry, /health and
 * labels. A listing asked of it is answered from the directory at once. */
#include "dirthread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "sys/ring.h"
#include "keeps.h"
#include "suspects.h"

#define SHUTDOWN_ATTEMPTS 3 /* POST /shutdown tries at exit */

/* A room's entry as this relay last wrote it (its hash: what changed). */
struct written {
    char room[PROTO_ROOM_MAX + 1];
    uint64_t hash;
};

struct dirthread {
    struct dirthread_config cfg;
    struct ring *in;               /* loop -> thread */
    struct ring *out;              /* thread -> loop */
    pthread_t tid;
    bool stopping;                 /* FLEET_STOP seen */
    /* Redis */
    struct directory *dir;
    struct fleet_claim *held;      /* claims this relay holds */
    enum directory_renewal *res;   /* a heartbeat's answer per held claim */
    size_t n_held, cap_held;
    struct directory_load load;
    struct proto_room_entry *rooms; /* this relay's rooms as the loop last sent them, */
    struct proto_props *rooms_props; /* ... their props (in rooms' block), */
    size_t n_rooms;                /* ... in name order */
    bool listed;                   /* the loop sent its rooms at least once */
    struct written *written;       /* their entries in the directory, in name order */
    size_t n_written;
    char sweep[PROTO_ROOM_MAX + 1]; /* where the next heartbeat's sweep of the entries
                                      goes on ("": from the first) */
    struct suspects suspects;      /* rooms whose reported holder is awaited */
    struct keeps *keeps;           /* the held rooms' records and members (and those let
                                      go while the directory was away) */
    bool keeps_held_back;          /* Redis refused a record (past its maxmemory): none
                                      is written again before the next heartbeat */
    bool redis_full;               /* ... and it was said */
    bool unreachable;              /* as last told to the loop */
    bool told;                     /* the loop was told either way at least once */
    char why[256];                 /* the directory's error, as last logged */
    uint64_t next_beat, next_connect; /* ms */
    uint64_t unheard_until;        /* ms: placed on last until then (load.unheard_ms) */
    /* Agones */
    bool ready;                    /* /ready answered 2xx */
    uint64_t next_ready, next_health, next_label; /* ms */
    struct directory_load labelled; /* what the labels say */
    bool labels_set;
};

void fleet_msg_free(struct fleet_msg *m)
{
    free(m->listing);
    free(m->record);
    free(m->members);
    free(m->query);
    m->listing = NULL;
    m->record = m->members = NULL;
    m->query = NULL;
}

static void post(struct dirthread *t, const struct fleet_msg *m)
{
    if (ring_push(t->out, m))
        return;
    log_warn("fleet: result ring full, a %d result was dropped", (int)m->type);
    fleet_msg_free(&(struct fleet_msg){.listing = m->listing, .record = m->record,
                                       .members = m->members, .query = m->query});
}

/* ---- the held set ---- */

static size_t held_find(const struct dirthread *t, const char *room)
{
    size_t i = 0;
    while (i < t->n_held && strcmp(t->held[i].room, room) != 0)
        i++;
    return i;
}

static void held_put(struct dirthread *t, const struct fleet_claim *c)
{
    size_t i = held_find(t, c->room);
    if (i == t->n_held) {
        if (t->n_held == t->cap_held) {
            size_t cap = t->cap_held ? 2 * t->cap_held : 64;
            struct fleet_claim *h = realloc(t->held, cap * sizeof *h);
            enum directory_renewal *r = h ? realloc(t->res, cap * sizeof *r) : NULL;
            if (h)
                t->held = h;
            if (!r) {
                log_error("fleet: out of memory: room %s is not renewed", c->room);
                return;
            }
            t->res = r;
            t->cap_held = cap;
        }
        t->n_held++;
    }
    t->held[i] = *c;
}

static void held_remove(struct dirthread *t, size_t i)
{
    t->held[i] = t->held[--t->n_held];
}

static bool mine(const struct dirthread *t, const struct fleet_claim *c)
{
    return strcmp(c->addr, t->cfg.dir.addr) == 0 &&
           strcmp(c->instance, t->cfg.dir.instance) == 0;
}

/* ---- Redis ---- */

/* Tells the loop when the directory starts or stops answering, and its
 * first answer: until then the loop counts it unreachable (not ready). */
static void set_reachable(struct dirthread *t, bool reachable, const char *why)
{
    if (t->told && t->unreachable == !reachable) {
        if (!reachable && strcmp(why, t->why) != 0) /* each change of the error */
            log_warn("fleet: directory still unreachable, now: %s", why);
        snprintf(t->why, sizeof t->why, "%s", reachable ? "" : why);
        return;
    }
    snprintf(t->why, sizeof t->why, "%s", reachable ? "" : why);
    bool again = t->told;
    t->told = true;
    t->unreachable = !reachable;
    if (reachable)
        log_info(again ? "fleet: directory reachable again" : "fleet: directory reachable");
    else
        log_warn("fleet: directory unreachable: %s", why);
    post(t, &(struct fleet_msg){.type = FLEET_REACHABLE, .unreachable = !reachable});
}

static void heartbeat(struct dirthread *t, uint64_t now_ms);
static bool write_keeps(struct dirthread *t);

/* The directory, once this relay's address is known: --advertise, or under
 * Agones the GameServer's address (asked until the sidecar knows it). */
static struct directory *make_directory(struct dirthread *t, char *err, size_t err_cap)
{
    if (!t->cfg.dir.addr[0]) {
        char host[256];
        uint16_t port;
        if (!t->cfg.use_agones) {
            snprintf(err, err_cap, "no address to advertise");
            return NULL;
        }
        if (agones_gameserver_address(&t->cfg.agones, host, sizeof host, &port, err,
                                      err_cap) != 0)
            return NULL;
        const char *fmt = strchr(host, ':') ? "[%s]:%u" : "%s:%u";
        snprintf(t->cfg.dir.addr, sizeof t->cfg.dir.addr, fmt, host, (unsigned)port);
        if (fleet_addr_check(t->cfg.dir.addr, err, err_cap) != 0) {
            t->cfg.dir.addr[0] = '\0';
            return NULL;
        }
        log_info("fleet: Agones says this relay is at %s", t->cfg.dir.addr);
    }
    struct directory *d = directory_create(&t->cfg.dir);
    if (!d)
        snprintf(err, err_cap, "out of memory");
    return d;
}

/* Connected, or tried to connect if a retry is due. On a new connection
 * the heartbeat runs at once: registration and claims reconciled first. */
static bool connected(struct dirthread *t, uint64_t now_ms)
{
    if (!t->cfg.use_directory)
        return false;
    if (t->dir && directory_connected(t->dir))
        return true;
    if (now_ms < t->next_connect)
        return false;
    char err[256];
    t->next_connect = now_ms + t->cfg.retry_ms;
    if (!t->dir && !(t->dir = make_directory(t, err, sizeof err))) {
        set_reachable(t, false, err);
        return false;
    }
    if (directory_connect(t->dir, err, sizeof err) != 0) {
        set_reachable(t, false, err);
        return false;
    }
    /* A new connection: Redis may have restarted empty, or a failover lost
     * its last writes: every entry and every record again, the records
     * before the heartbeat renews a lease. */
    t->n_written = 0;
    keeps_rewrite(t->keeps);
    heartbeat(t, now_ms);
    return directory_connected(t->dir);
}

struct proto_room_entry *fleet_listing_alloc(size_t n, struct proto_props **props)
{
    _Static_assert(_Alignof(struct proto_props) <= _Alignof(struct proto_room_entry),
                   "the props follow the rooms in one block");
    struct proto_room_entry *rooms = malloc(n * (sizeof *rooms + sizeof **props));
    *props = rooms ? (struct proto_props *)(rooms + n) : NULL;
    return rooms;
}

/* This relay's rooms from the loop (all of them, in name order): their
 * entries are written at the next heartbeat. */
static void set_rooms(struct dirthread *t, const struct fleet_msg *m)
{
    free(t->rooms);
    t->rooms = m->listing;
    t->rooms_props = m->props;
    t->n_rooms = m->listing ? m->n_listing : 0;
    t->listed = true;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ull;
    return h;
}

/* The changes of one heartbeat: rooms and their entries ("" removed). */
struct changes {
    const char *room[FLEET_PUT_PER_BEAT];
    const char *entry[FLEET_PUT_PER_BEAT];
    char text[FLEET_PUT_PER_BEAT][FLEET_ENTRY_MAX];
    size_t n;
};

/* This relay's rooms against what it wrote: each room whose entry changed
 * or is new, each room gone, into *c (FLEET_PUT_PER_BEAT at most: the rest
 * at the next heartbeat); *w becomes what is written once c is. */
static void diff_rooms(const struct dirthread *t, struct changes *c, struct written *w,
                       size_t *nw)
{
    size_t i = 0, j = 0;
    *nw = 0;
    c->n = 0;
    while (i < t->n_rooms || j < t->n_written) {
        const struct proto_room_entry *e = i < t->n_rooms ? &t->rooms[i] : NULL;
        const struct written *old = j < t->n_written ? &t->written[j] : NULL;
        int cmp = !e ? 1 : !old ? -1 : strcmp(e->room, old->room);
        bool spent = c->n == FLEET_PUT_PER_BEAT;
        if (cmp > 0) { /* gone from this relay */
            if (spent) {
                w[(*nw)++] = *old; /* removed at a later heartbeat */
            } else {
                c->room[c->n] = old->room;
                c->entry[c->n++] = "";
            }
            j++;
            continue;
        }
        char *text = spent ? NULL : c->text[c->n];
        char line[FLEET_ENTRY_MAX];
        if (fleet_room_entry_format(e, &t->rooms_props[i], text ? text : line,
                                    FLEET_ENTRY_MAX) < 0) {
            i++;
            j += cmp == 0;
            continue; /* cannot be: an entry's bounds are the line's */
        }
        uint64_t h = fnv1a(text ? text : line);
        if (cmp == 0 && old->hash == h) {
            w[(*nw)++] = *old;
        } else if (text) {
            c->room[c->n] = e->room;
            c->entry[c->n++] = text;
            w[*nw] = (struct written){.hash = h};
            memcpy(w[(*nw)++].room, e->room, sizeof w->room);
        } else if (cmp == 0) {
            w[(*nw)++] = *old; /* written at a later heartbeat */
        }
        i++;
        j += cmp == 0;
    }
}

/* This relay's rooms' entries that changed since it last wrote them, after
 * a heartbeat. On a failure nothing is taken as written: all again later. */
static void write_rooms(struct dirthread *t)
{
    char err[256];
    if (!t->listed)
        return;
    struct changes *c = malloc(sizeof *c);
    struct written *w = malloc((t->n_rooms + t->n_written + 1) * sizeof *w);
    size_t nw;
    if (!c || !w) {
        log_error("fleet: out of memory: this relay's rooms are not written");
        goto out;
    }
    diff_rooms(t, c, w, &nw);
    if (c->n && directory_rooms_put(t->dir, c->room, c->entry, c->n, err, sizeof err) != 0) {
        log_warn("fleet: this relay's rooms not written: %s", err);
        t->n_written = 0;
        goto out;
    }
    free(t->written);
    t->written = w;
    t->n_written = nw;
    w = NULL;
out:
    free(c);
    free(w);
}

/* A room released or handed over: its entry went with its claim. */
static void unwritten(struct dirthread *t, const char *room)
{
    for (size_t i = 0; i < t->n_written; i++)
        if (strcmp(t->written[i].room, room) == 0) {
            memmove(&t->written[i], &t->written[i + 1],
                    (t->n_written - i - 1) * sizeof *t->written);
            t->n_written--;
            return;
        }
}

/* A page of the fleet's rooms, or a pick of any room, from the directory:
 * the query goes back answered, or not (the directory did not answer). */
static void list(struct dirthread *t, const struct fleet_msg *m, uint64_t now_ms)
{
    char err[256] = "not connected";
    struct fleet_query *q = m->query;
    struct directory_query dq = {.prefix = q->prefix, .after = q->after, .match = &q->match,
                                 .any = q->any};
    q->answered = connected(t, now_ms) &&
                  directory_list(t->dir, &dq, &q->got, err, sizeof err) == 0;
    if (!q->answered)
        log_warn("fleet: rooms not listed: %s", err);
    post(t, &(struct fleet_msg){.type = FLEET_LISTED, .query = q});
}

/* Registration and every held claim; the loop hears of each claim lost or
 * reclaimed, then that all others stand (FLEET_CONFIRMED). */
static void heartbeat(struct dirthread *t, uint64_t now_ms)
{
    char err[256];
    uint64_t at = clock_boot_us(); /* before the call: the lease runs from here */
    t->next_beat = now_ms + t->cfg.heartbeat_ms;
    t->load.unheard_ms = now_ms < t->unheard_until ? (uint32_t)(t->unheard_until - now_ms) : 0;
    t->load.full = keeps_full(t->keeps);
    t->keeps_held_back = false;
    if (!write_keeps(t)) /* the holder's records first: no lease renewed before them */
        return;
    if (directory_heartbeat(t->dir, &t->load, t->held, t->n_held, t->res, err, sizeof err) !=
        0) {
        set_reachable(t, false, err);
        return;
    }
    set_reachable(t, true, NULL);
    for (size_t i = t->n_held; i-- > 0;) {
        if (t->res[i] == DIRECTORY_RENEWED)
            continue;
        bool lost = t->res[i] == DIRECTORY_LOST;
        post(t, &(struct fleet_msg){.type = lost ? FLEET_LOST : FLEET_RECLAIMED,
                                    .claim = t->held[i], .at_us = at});
        if (lost) {
            keeps_drop(t->keeps, t->held[i].room);
            held_remove(t, i);
        } else {
            keeps_rewrite(t->keeps); /* the claim had gone: so may its record */
        }
    }
    post(t, &(struct fleet_msg){.type = FLEET_CONFIRMED, .at_us = at});
    write_rooms(t);
    /* A dead relay's entries that no listing passes by (a prefix nobody
     * asks for) go too, a share of the index each heartbeat. */
    if (t->listed && directory_sweep(t->dir, t->sweep, err, sizeof err) != 0)
        log_warn("fleet: sweep of the rooms' entries: %s", err);
}

static void place(struct dirthread *t, const struct fleet_msg *m, uint64_t now_ms);

/* Each suspect due: placed again (awaited again, or settled). */
static void suspects_place(struct dirthread *t, uint64_t now_ms)
{
    struct fleet_msg m;
    while (suspects_due(&t->suspects, now_ms, &m))
        place(t, &m, now_ms);
}

/* What a placement asked with m did about a relay kept out of the room
 * or reported lost (got: its claim, NULL if none). */
static void log_placement(struct dirthread *t, const struct fleet_msg *m,
                          const struct directory_placement *pl, const struct fleet_claim *got)
{
    const char *room = m->claim.room, *out = pl->kept_out;
    const char *named = m->suspect ? m->claim.addr : "";
    if (out[0] && strcmp(out, named) == 0)
        log_info("fleet: room '%s': placement skipped %s, which a client reported lost", room,
                 out);
    else if (out[0])
        log_info("fleet: room '%s': placement skipped %s, kept out of the room (its members "
                 "were dropped there, or a client reported it lost)", room, out);
    if (pl->refused)
        log_warn("fleet: room '%s': a report that its holder %s is lost came from no member "
                 "of the room (player %s): taken as a plain join, the room stays", room,
                 named, m->player[0] ? m->player : "none");
    else if (got && named[0] && strcmp(got->addr, named) == 0)
        log_warn("fleet: room '%s': placement picked %s, which a client reported lost: it "
                 "beats, and the room cannot move now (no other relay, or moved on a report "
                 "already; epoch %llu)", room, got->addr, (unsigned long long)got->epoch);
    else if (got && m->suspect && !mine(t, got))
        log_info("fleet: room '%s': a client reported its relay lost%s%s; placement gives %s "
                 "(epoch %llu)", room, named[0] ? ", " : "", named, got->addr,
                 (unsigned long long)got->epoch);
}

/* The members a placement gave with a record (space-separated), into r
 * as FLEET_KEEP carries them (ids back to back); a word that is no player
 * id is left out (the text comes from Redis). */
static void placed_members(char *ids, struct fleet_msg *r)
{
    if (ids && (r->members = malloc(strlen(ids) + 1))) {
        for (char *save, *w = strtok_r(ids, " ", &save); w; w = strtok_r(NULL, " ", &save))
            if (proto_player_valid(w))
                memcpy(r->members + (size_t)r->n_members++ * PROTO_PLAYER_LEN, w,
                       PROTO_PLAYER_LEN);
    }
}

static void place(struct dirthread *t, const struct fleet_msg *m, uint64_t now_ms)
{
    char err[256];
    struct fleet_msg r = {.type = FLEET_UNPLACED, .claim = m->claim, .at_us = clock_boot_us(),
                          .suspect = m->suspect};
    if (t->load.draining) {
        post(t, &r); /* a draining relay places nothing */
        return;
    }
    struct directory_placement pl = {0};
    const char *lost = m->suspect ? m->claim.addr : NULL; /* the relay named lost, or "" */
    enum directory_outcome o =
        connected(t, now_ms)
            ? directory_place(t->dir, m->claim.room, lost, m->player, &pl, err, sizeof err)
            : DIRECTORY_FAILED;
    if (o != DIRECTORY_FAILED)
        log_placement(t, m, &pl, o == DIRECTORY_CLAIMED ? &pl.claim : NULL);
    if (o == DIRECTORY_WAIT &&
        suspects_await(&t->suspects, m, now_ms, pl.wait_ms, t->cfg.dir.stale_ms)) {
        directory_placement_free(&pl);
        return;
    }
    suspects_forget(&t->suspects, m->claim.room);
    if (o == DIRECTORY_CLAIMED) {
        r.type = FLEET_PLACED;
        r.claim = pl.claim;
        r.refused = pl.refused;
        r.record = pl.record; /* only with this relay's claim */
        pl.record = NULL;
        placed_members(pl.members, &r);
        if (mine(t, &r.claim)) {
            held_put(t, &r.claim);
            keeps_seed(t->keeps, r.claim.room, pl.version);
        }
    } else {
        /* waited long enough (the client asks again), none, or no answer */
        r.unreachable = o != DIRECTORY_NONE;
        r.limit = pl.limit;
        if (o == DIRECTORY_FAILED && t->dir && directory_connected(t->dir))
            log_warn("fleet: %s", err); /* an answer, but not one we understand */
        else if (o == DIRECTORY_FAILED)
            set_reachable(t, false, err);
    }
    directory_placement_free(&pl);
    post(t, &r);
}

static void release(struct dirthread *t, const struct fleet_msg *m, uint64_t now_ms)
{
    char err[256];
    const struct fleet_claim *c = &m->claim;
    bool keep_out = m->keep_out, ended = m->ended;
    uint32_t out_ms = keep_out && t->dir ? directory_keep_out_ms(t->dir) : 0;
    size_t i = held_find(t, c->room);
    if (i < t->n_held && t->held[i].epoch == c->epoch)
        held_remove(t, i);
    unwritten(t, c->room);
    if (m->let_go)
        keeps_let_go(t->keeps, c); /* restored when the directory answers again */
    else
        keeps_drop(t->keeps, c->room);
    if (keep_out)
        log_warn("fleet: room '%s': its last member was dropped here: released, this relay "
                 "kept out of it for %u ms", c->room, out_ms);
    /* Unreachable: the claim lapses by itself after the TTL. */
    if (connected(t, now_ms) && directory_release(t->dir, c, out_ms, ended, err, sizeof err) < 0)
        log_warn("fleet: release of room %s: %s", c->room, err);
}

/* ---- keeps: what the directory keeps of held rooms ---- */

static const struct fleet_claim *held_claim(void *ctx, const char *room)
{
    struct dirthread *t = ctx;
    size_t i = held_find(t, room);
    return i < t->n_held ? &t->held[i] : NULL;
}

/* Writes each room's record and members waiting (connected). Returns
 * false if the directory stopped answering (said). Redis past its
 * maxmemory holds them back until the next heartbeat (said once). */
static bool write_keeps(struct dirthread *t)
{
    char err[256];
    if (t->keeps_held_back || keeps_waiting(t->keeps) == 0)
        return true;
    switch (keeps_write(t->keeps, t->dir, held_claim, t, err, sizeof err)) {
    case KEEPS_UNREACHABLE:
        set_reachable(t, false, err);
        return false;
    case KEEPS_REDIS_FULL:
        if (!t->redis_full)
            log_warn("fleet: %s: rooms' records are written again when it has room", err);
        t->redis_full = t->keeps_held_back = true;
        return true;
    case KEEPS_WRITTEN:
        if (t->redis_full)
            log_info("fleet: the directory takes the rooms' records again");
        t->redis_full = false;
        return true;
    }
    return true;
}

static void keeps_flush(struct dirthread *t, uint64_t now_ms)
{
    if (keeps_waiting(t->keeps) > 0 && !t->keeps_held_back && connected(t, now_ms))
        write_keeps(t);
}

/* This relay's clients were all dropped at once (timed out, or closed as
 * slow readers): a cut between it and its
 * players is likelier than each leaving, so it tells the directory to
 * place new rooms elsewhere while any other relay can take them, for as
 * long as a relay reported lost is kept out of a room. */
static void unheard(struct dirthread *t, uint32_t clients, uint64_t now_ms)
{
    uint32_t ms = t->dir ? directory_keep_out_ms(t->dir) : 0;
    t->unheard_until = now_ms + ms;
    log_warn("fleet: all %u clients dropped at once: its players may not reach this "
             "relay; new rooms are placed on it last for %u ms", (unsigned)clients, ms);
}

/* Every held room to another relay; the loop learns where each went. */
static void drain(struct dirthread *t, uint64_t now_ms)
{
    char err[256];
    t->load.draining = true;
    keeps_flush(t, now_ms); /* the rooms' last records go with them */
    if (connected(t, now_ms))
        heartbeat(t, now_ms); /* placements stop choosing this relay */
    while (t->n_held > 0) {
        struct fleet_msg r = {.type = FLEET_HANDED, .at_us = clock_boot_us()};
        const struct fleet_claim *c = &t->held[t->n_held - 1];
        int rc = connected(t, now_ms) ? directory_handover(t->dir, c, &r.claim, err, sizeof err)
                                      : -1;
        if (rc < 0)
            log_warn("fleet: room %s not handed over: %s", c->room, err);
        if (rc <= 0) { /* nowhere to go: epoch 0 */
            memset(&r.claim, 0, sizeof r.claim);
            strcpy(r.claim.room, c->room);
        }
        post(t, &r);
        unwritten(t, c->room);
        keeps_drop(t->keeps, c->room);
        t->n_held--;
    }
    if (connected(t, now_ms) && directory_deregister(t->dir, err, sizeof err) != 0)
        log_warn("fleet: deregister: %s", err);
    post(t, &(struct fleet_msg){.type = FLEET_DRAINED, .at_us = clock_boot_us()});
}

/* ---- Agones ---- */

static void agones_labels(struct dirthread *t, uint64_t now_ms);

static void agones_due(struct dirthread *t, uint64_t now_ms)
{
    char err[256];
    if (!t->ready && now_ms >= t->next_ready) {
        int st = agones_ready(&t->cfg.agones, err, sizeof err);
        t->ready = st >= 200 && st < 300;
        t->next_ready = now_ms + t->cfg.retry_ms;
        if (t->ready)
            log_info("fleet: Agones: ready");
        else if (st > 0)
            log_warn("fleet: Agones /ready answered %d", st);
    }
    if (now_ms >= t->next_health) {
        agones_health(&t->cfg.agones, err, sizeof err); /* a miss is retried next period */
        t->next_health = now_ms + t->cfg.health_ms;
    }
    if (t->ready && now_ms >= t->next_label)
        agones_labels(t, now_ms);
}

/* Labels, at most once a period: rooms and clients when they changed;
 * gs-session-ready every time (an allocation sets it to "false"; Agones'
 * high-density pattern leaves setting it back to the game server), "true"
 * while this relay takes more clients and is not draining. */
static void agones_labels(struct dirthread *t, uint64_t now_ms)
{
    char err[256], rooms[16], clients[16];
    t->next_label = now_ms + t->cfg.health_ms;
    bool more = !t->load.draining && t->load.clients < t->cfg.dir.capacity;
    agones_label(&t->cfg.agones, "gs-session-ready", more ? "true" : "false", err, sizeof err);
    if (t->labels_set && t->labelled.rooms == t->load.rooms &&
        t->labelled.clients == t->load.clients)
        return;
    snprintf(rooms, sizeof rooms, "%u", (unsigned)t->load.rooms);
    snprintf(clients, sizeof clients, "%u", (unsigned)t->load.clients);
    int a = agones_label(&t->cfg.agones, "rooms", rooms, err, sizeof err);
    int b = agones_label(&t->cfg.agones, "clients", clients, err, sizeof err);
    t->labels_set = a >= 200 && a < 300 && b >= 200 && b < 300;
    if (t->labels_set)
        t->labelled = t->load;
}

static void agones_goodbye(struct dirthread *t)
{
    char err[256];
    for (int i = 0; i < SHUTDOWN_ATTEMPTS; i++) {
        int st = agones_shutdown(&t->cfg.agones, err, sizeof err);
        if (st >= 200 && st < 300)
            return;
        if (st > 0)
            snprintf(err, sizeof err, "answered %d", st);
    }
    log_warn("fleet: Agones /shutdown: %s", err);
}

/* ---- the thread ---- */

static void handle(struct dirthread *t, const struct fleet_msg *m, uint64_t now_ms)
{
    switch (m->type) {
    case FLEET_PLACE:
        place(t, m, now_ms);
        break;
    case FLEET_RELEASE:
        release(t, m, now_ms);
        break;
    case FLEET_LOAD:
        t->load.rooms = m->rooms;
        t->load.clients = m->clients;
        break;
    case FLEET_UNHEARD:
        unheard(t, m->clients, now_ms);
        break;
    case FLEET_LISTING:
        set_rooms(t, m);
        break;
    case FLEET_LIST:
        list(t, m, now_ms);
        break;
    case FLEET_KEEP:
        keeps_put(t->keeps, m->claim.room, m->members, m->n_members, m->record);
        break;
    case FLEET_DRAIN:
        drain(t, now_ms);
        break;
    case FLEET_STOP:
        t->stopping = true;
        break;
    default:
        break; /* results never come this way */
    }
}

static uint64_t next_due(const struct dirthread *t)
{
    uint64_t due = UINT64_MAX;
    if (t->cfg.use_directory)
        due = t->dir && directory_connected(t->dir) ? t->next_beat : t->next_connect;
    if (t->cfg.use_agones) {
        if (!t->ready && t->next_ready < due)
            due = t->next_ready;
        if (t->next_health < due)
            due = t->next_health;
    }
    if (suspects_next(&t->suspects) < due)
        due = suspects_next(&t->suspects);
    return due;
}

/* Sleeps until a request comes, the sentinels say something, or timed
 * work is due. A failover the sentinels announce is followed at once. */
static void sleep_until_due(struct dirthread *t)
{
    char err[256];
    uint64_t now = clock_now_ms(), due = next_due(t);
    int wait = due == UINT64_MAX ? -1 : due > now ? (int)(due - now) : 0;
    struct pollfd p[2] = {{.fd = ring_fd(t->in), .events = POLLIN},
                          {.fd = t->dir ? directory_event_fd(t->dir) : -1, .events = POLLIN}};
    if (poll(p, 2, wait) < 0 && errno != EINTR)
        log_error("fleet: poll: %s", strerror(errno));
    if (p[1].fd >= 0 && p[1].revents && directory_on_event(t->dir, err, sizeof err)) {
        log_warn("fleet: the sentinels switched the directory's primary: following them");
        t->next_connect = 0; /* reconnect (and heartbeat) now */
    }
}

/* The heartbeat, if it is due and the directory connected. */
static void beat_if_due(struct dirthread *t)
{
    uint64_t now = clock_now_ms();
    if (t->cfg.use_directory && t->dir && directory_connected(t->dir) && now >= t->next_beat)
        heartbeat(t, now);
}

static void *thread_loop(void *arg)
{
    struct dirthread *t = arg;
    while (!t->stopping) {
        sleep_until_due(t);
        ring_ack(t->in);
        struct fleet_msg m;
        while (!t->stopping && ring_pop(t->in, &m)) {
            handle(t, &m, clock_now_ms());
            beat_if_due(t); /* between listings too: a queue of them never costs a lease */
        }
        keeps_flush(t, clock_now_ms());
        uint64_t now = clock_now_ms();
        if (t->cfg.use_directory && connected(t, now) && now >= t->next_beat)
            heartbeat(t, now);
        suspects_place(t, clock_now_ms());
        if (t->cfg.use_agones)
            agones_due(t, clock_now_ms());
    }
    char err[256];
    keeps_flush(t, clock_now_ms()); /* what changed last goes before the claims */
    bool up = t->cfg.use_directory && t->dir && directory_connected(t->dir);
    for (size_t i = 0; i < t->n_held && up; i++)
        directory_release(t->dir, &t->held[i], 0, false, err, sizeof err); /* kept */
    if (up)
        directory_deregister(t->dir, err, sizeof err);
    if (t->cfg.use_agones)
        agones_goodbye(t);
    return NULL;
}

/* Every message left in ring, what it owns freed. */
static void empty(struct ring *ring)
{
    struct fleet_msg m;
    while (ring && ring_pop(ring, &m))
        fleet_msg_free(&m);
}

static void destroy(struct dirthread *t)
{
    empty(t->in);
    empty(t->out);
    ring_destroy(t->in);
    ring_destroy(t->out);
    directory_destroy(t->dir);
    free(t->held);
    free(t->res);
    free(t->rooms);
    free(t->written);
    keeps_destroy(t->keeps);
    free(t);
}

struct dirthread *dirthread_start(const struct dirthread_config *cfg, char *err,
                                  size_t err_cap)
{
    struct dirthread *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "fleet: out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    if (!t->cfg.dir.stale_ms)
        t->cfg.dir.stale_ms = 3 * t->cfg.heartbeat_ms;
    t->in = ring_create(cfg->ring_slots, sizeof(struct fleet_msg), err, err_cap);
    t->out = t->in ? ring_create(cfg->ring_slots, sizeof(struct fleet_msg), err, err_cap) : NULL;
    if (!t->out)
        goto fail;
    if (!(t->keeps = keeps_create(cfg->records_budget))) {
        snprintf(err, err_cap, "fleet: out of memory");
        goto fail;
    }
    int rc = pthread_create(&t->tid, NULL, thread_loop, t);
    if (rc != 0) {
        snprintf(err, err_cap, "fleet: pthread_create: %s", strerror(rc));
        goto fail;
    }
    return t;
fail:
    destroy(t);
    return NULL;
}

bool dirthread_post(struct dirthread *t, const struct fleet_msg *m)
{
    return ring_push(t->in, m);
}

bool dirthread_poll(struct dirthread *t, struct fleet_msg *m)
{
    return ring_pop(t->out, m);
}

int dirthread_fd(const struct dirthread *t)
{
    return ring_fd(t->out);
}

void dirthread_ack(struct dirthread *t)
{
    ring_ack(t->out);
}

uint64_t dirthread_refused_requests(const struct dirthread *t)
{
    return ring_refused(t->in);
}

uint64_t dirthread_refused_results(const struct dirthread *t)
{
    return ring_refused(t->out);
}

void dirthread_stop(struct dirthread *t)
{
    if (!t)
        return;
    struct fleet_msg m = {.type = FLEET_STOP};
    while (!ring_push(t->in, &m))
        clock_sleep_ms(1); /* the thread empties its ring on every turn */
    pthread_join(t->tid, NULL);
    destroy(t);
}
