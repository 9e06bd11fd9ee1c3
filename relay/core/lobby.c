/* lobby.c: a lobby that stays (see lobby_internal.h and PROTOCOL.md's
 * section of that name): a connection that lists rooms with "watch": true
 * is kept past the join timeout while it sends a ping or a rooms request
 * at least every lobby_idle_ms, holds no member's place, and is sent a
 * fresh first page of its prefix (and match) when that page changes.
 * Looked at every LOBBY_LOOK_US, sent at most every LOBBY_PUSH_US, never
 * past its byte budget nor onto an edge still holding much for it (a push
 * skipped is not queued: the next look sends the page as it is then). A
 * change is found by the page's fingerprint, whatever made it: a room made
 * or gone, its members, capacity, props or open changed. In a fleet the
 * page is the directory's, as a rooms request's answer is (listing.c):
 * asked at most every LOBBY_PUSH_US (one ask a watcher, LOBBY_ASKS at
 * once, one a sweep for the watchers of one page), pushed when it answers
 * to each watcher of that page it changed for. A watch ends with
 * "watch": false, a join, or the connection. */
#define BY_LOBBY_C /* this file writes the parts BY_LOBBY_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "limits_internal.h"
#include "listing_internal.h"
#include "lobby_internal.h"
#include "peers_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"
#include "source_key.h"

/* What an edge may still hold for a watcher before a push waits (a page
 * of 64 rooms without props is under 5 KB), so that a lobby that does not
 * read is not queued page after page: the next goes once it took them. */
#define LOBBY_BACKLOG_MAX 16384u

int core_lobby_alloc(struct relay *r)
{
    uint32_t cap = r->cfg.max_lobbies < r->cfg.peer_cap ? r->cfg.max_lobbies : r->cfg.peer_cap;
    r->lobby.cap = cap;
    r->lobby.n = 0;
    r->lobby.at = cap ? calloc(cap, sizeof *r->lobby.at) : NULL;
    return cap && !r->lobby.at ? -1 : 0;
}

void core_lobby_free(struct relay *r)
{
    free(r->lobby.at);
    r->lobby.at = NULL;
    r->lobby.cap = r->lobby.n = 0;
}

/* peer's watch, or NULL. */
static struct core_watcher *watch_of(struct relay *r, uint32_t peer)
{
    const struct relay_peer *p = &r->peers[peer];
    if (!p->connected || !p->lobby || p->lobby > r->lobby.cap)
        return NULL;
    struct core_watcher *w = &r->lobby.at[p->lobby - 1];
    return w->used && w->peer == peer ? w : NULL;
}

bool relay_peer_watching(const struct relay *r, uint32_t peer)
{
    return relay_peer_connected(r, peer) && watch_of((struct relay *)r, peer) != NULL;
}

/* Is slot w still its peer's? (A teardown zeroed the peer, a new
 * connection may have its handle.) */
static bool slot_live(const struct relay *r, const struct core_watcher *w)
{
    const struct relay_peer *p = &r->peers[w->peer];
    return w->used && p->connected && !p->joined &&
           p->lobby == (uint32_t)(w - r->lobby.at) + 1;
}

static void slot_free(struct relay *r, struct core_watcher *w)
{
    struct relay_peer *p = &r->peers[w->peer];
    if (p->lobby == (uint32_t)(w - r->lobby.at) + 1)
        p->lobby = 0;
    if (w->ask) /* its answer, when it comes, finds no watch */
        r->lobby.asking--;
    w->used = false;
    w->ask = 0;
    r->lobby.n--;
}

/* FNV-1a over len bytes, from h. */
static uint64_t fnv(uint64_t h, const void *bytes, size_t len)
{
    const uint8_t *b = bytes;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* The fingerprint of r->out, a listing: its rooms, what each says and
 * more. Two pages alike have one; a change changes it but by chance. */
static uint64_t page_print(const struct relay *r)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const struct proto_control *o = &r->out;
    for (size_t i = 0; i < o->rooms_len; i++) {
        const struct proto_room_entry *e = &o->rooms[i];
        const struct proto_props *p = &o->rooms_props[i];
        uint32_t nums[4] = {e->members, e->capacity, e->closed, p->n};
        h = fnv(h, e->room, strlen(e->room) + 1);
        h = fnv(h, nums, sizeof nums);
        h = fnv(h, p->kv, p->len);
    }
    return fnv(h, &o->more, sizeof o->more);
}

/* w's first page into r->out (a listing to a watcher); its fingerprint. */
static uint64_t first_page(struct relay *r, const struct core_watcher *w)
{
    core_list_page(r, w->prefix, NULL, &w->match);
    r->out.watch = PROTO_WATCH_ON;
    return page_print(r);
}

/* Watchers now (live), all of them and of source. */
static void count_watchers(struct relay *r, uint64_t source, uint32_t *all, uint32_t *of_source)
{
    *all = *of_source = 0;
    for (uint32_t i = 0; i < r->lobby.cap; i++) {
        struct core_watcher *w = &r->lobby.at[i];
        if (!w->used)
            continue;
        if (!slot_live(r, w)) {
            slot_free(r, w);
            continue;
        }
        (*all)++;
        *of_source += w->source == source;
    }
}

/* Refuses peer's watch past a bound: server_full (forced), closed. */
static int refuse(struct relay *r, uint32_t peer, enum relay_drop why, uint64_t now_us,
                  const char *text)
{
    r->stats.drops[why]++;
    r->stats.listings_refused++;
    log_debug("relay: refusing %s's watch: %s", r->peers[peer].addr, text);
    core_send_error(r, peer, true, PROTO_ERROR_SERVER_FULL, now_us, "%s", text);
    core_peer_close(r, peer, PROTO_ERROR_SERVER_FULL);
    return -1 - (int)why;
}

/* Room for one more watch from peer? 0, or the refusal's code. */
static int watch_room(struct relay *r, uint32_t peer, uint64_t source, uint64_t now_us)
{
    char text[PROTO_TEXT_MAX + 1];
    uint32_t all, mine;
    count_watchers(r, source, &all, &mine);
    if (all >= r->lobby.cap) {
        snprintf(text, sizeof text,
                 "the relay keeps %" PRIu32 " lobbies watching already (--max-lobbies): "
                 "list without watch, or join",
                 r->lobby.cap);
        return refuse(r, peer, RELAY_DROP_SERVER_FULL, now_us, text);
    }
    if (mine >= r->cfg.max_lobbies_per_address) {
        snprintf(text, sizeof text,
                 "your address has %" PRIu32 " lobbies watching already "
                 "(--max-lobbies-per-address): list without watch, or join",
                 mine);
        return refuse(r, peer, RELAY_DROP_PER_ADDRESS, now_us, text);
    }
    return 0;
}

/* peer watches m's prefix and match from now (a free slot: watch_room
 * found one). */
static void watch_start(struct relay *r, uint32_t peer, const struct proto_control *m,
                        uint64_t now_us)
{
    struct core_watcher *w = watch_of(r, peer);
    if (!w) {
        for (uint32_t i = 0; i < r->lobby.cap && !w; i++)
            if (!r->lobby.at[i].used)
                w = &r->lobby.at[i];
        if (!w)
            return;
        *w = (struct core_watcher){.used = true, .peer = peer,
                                   .source = source_key(&r->peers[peer].at)};
        r->lobby.n++;
        r->peers[peer].lobby = (uint32_t)(w - r->lobby.at) + 1;
    }
    if (w->ask) { /* a page asked for what it watched before: its answer is ignored */
        w->ask = 0;
        r->lobby.asking--;
    }
    snprintf(w->prefix, sizeof w->prefix, "%s", m->prefix);
    w->match = m->match;
    w->heard_us = w->pushed_us = w->looked_us = now_us;
    /* What it was just answered may be a later page: its first is what
     * a push compares with. */
    w->sent = first_page(r, w);
}

int core_lobby_on_rooms(struct relay *r, uint32_t peer, const struct proto_control *m,
                        size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    struct core_watcher *w = watch_of(r, peer);
    if (w)
        w->heard_us = now_us;
    if (w && m->watch == PROTO_WATCH_OFF) {
        slot_free(r, w);
        core_peer_outside(r, peer, now_us); /* the join timeout from now */
        w = NULL;
    }
    bool start = m->watch == PROTO_WATCH_ON && !p->joined && !m->listing;
    if (start && !w && relay_room_list_on(r) && !core_edge(r, peer)->forgeable &&
        !r->cfg.n_ticket_keys) {
        int rc = watch_room(r, peer, source_key(&p->at), now_us);
        if (rc < 0)
            return rc;
    }
    int rc = core_on_rooms(r, peer, m, len, now_us);
    if (rc == 0 && start && r->peers[peer].connected)
        watch_start(r, peer, m, now_us);
    return rc;
}

void core_lobby_heard(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct core_watcher *w = watch_of(r, peer);
    if (w)
        w->heard_us = now_us;
}

void core_lobby_end(struct relay *r, uint32_t peer)
{
    struct core_watcher *w = watch_of(r, peer);
    if (w)
        slot_free(r, w);
}

/* w's peer, heard from too long ago: closed. */
static void idle_close(struct relay *r, struct core_watcher *w, uint64_t now_us)
{
    uint32_t peer = w->peer;
    slot_free(r, w);
    r->stats.drops[RELAY_DROP_JOIN_TIMEOUT]++;
    log_debug("relay: closing %s: a lobby silent for %" PRIu32 " ms", r->peers[peer].addr,
              r->cfg.lobby_idle_ms);
    core_send_error(r, peer, true, PROTO_ERROR_NOT_JOINED, now_us,
                    "lobby idle: no ping or rooms request within %" PRIu32 " ms: closing",
                    r->cfg.lobby_idle_ms);
    core_peer_close(r, peer, PROTO_ERROR_NOT_JOINED);
}

/* May w's peer be sent a page now: within its byte budget, its edge not
 * holding much for it? */
static bool may_push(struct relay *r, const struct core_watcher *w, uint64_t now_us)
{
    const struct relay_transport *tp = core_edge(r, w->peer);
    if (tp->backlog) {
        struct relay_backlog b = {0};
        tp->backlog(tp->ctx, w->peer, &b);
        if (b.bytes > LOBBY_BACKLOG_MAX)
            return false;
    }
    return core_budget_left(r, w->peer, now_us);
}

/* What one sweep found of the pages it looked at: lobbies mostly watch a
 * few prefixes (every room, a game's), so each page is walked once a
 * sweep however many watch it. */
#define LOBBY_MEMO 8
struct looks {
    const struct core_watcher *of[LOBBY_MEMO]; /* a watcher of each page looked at */
    uint64_t print[LOBBY_MEMO];
    uint32_t n;
    const struct core_watcher *out; /* whose page r->out holds (NULL: none) */
};

/* Do a and b watch the same page? */
static bool same_page(const struct core_watcher *a, const struct core_watcher *b)
{
    return a && b && !strcmp(a->prefix, b->prefix) && a->match.n == b->match.n &&
           a->match.len == b->match.len && !memcmp(a->match.kv, b->match.kv, a->match.len);
}

/* The fingerprint of w's first page, walked unless this sweep did. */
static uint64_t look(struct relay *r, const struct core_watcher *w, struct looks *k)
{
    for (uint32_t i = 0; i < k->n; i++)
        if (same_page(k->of[i], w))
            return k->print[i];
    uint64_t print = first_page(r, w);
    k->out = w;
    if (k->n < LOBBY_MEMO) {
        k->of[k->n] = w;
        k->print[k->n++] = print;
    }
    return print;
}

/* r->out, w's page whose fingerprint is print, sent to w. */
static void send_page(struct relay *r, struct core_watcher *w, uint64_t print, uint64_t now_us)
{
    int n = core_encode_page(r, w->peer);
    if (n < 0)
        return;
    core_send_json(r, UINT32_MAX, w->peer, (size_t)n);
    core_budget_spend(r, w->peer, (uint64_t)n);
    r->stats.listings++;
    w->sent = print;
    w->pushed_us = now_us;
}

/* A fleet: w's first page asked of the directory, unless w waits for an
 * answer, was asked within LOBBY_PUSH_US, or a watcher of its page was
 * asked this sweep (that answer goes to w too); k->of: those asked. */
static void ask_page(struct relay *r, struct core_watcher *w, uint64_t now_us, struct looks *k)
{
    if (w->ask || now_us < w->looked_us + LOBBY_PUSH_US)
        return;
    w->looked_us = now_us;
    for (uint32_t i = 0; i < k->n; i++)
        if (same_page(k->of[i], w))
            return;
    if (r->lobby.asking >= LOBBY_ASKS)
        return; /* the next look asks again */
    uint32_t ask = core_next_ask(r);
    if (!r->fleet.list(r->fleet.ctx, w->peer, ask, false, w->prefix, "", &w->match))
        return;
    w->ask = ask;
    r->lobby.asking++;
    if (k->n < LOBBY_MEMO)
        k->of[k->n++] = w;
}

/* w's first page, if it changed since the last it was sent and it may be
 * sent now (a fleet: asked of its directory). */
static void push(struct relay *r, struct core_watcher *w, uint64_t now_us, struct looks *k)
{
    if (r->fleet.list) {
        ask_page(r, w, now_us, k);
        return;
    }
    w->looked_us = now_us;
    uint64_t print = look(r, w, k);
    if (print == w->sent || !may_push(r, w, now_us))
        return;
    if (!same_page(k->out, w)) { /* r->out holds another's */
        first_page(r, w);
        k->out = w;
    }
    send_page(r, w, print, now_us);
}

bool core_lobby_asked(struct relay *r, uint32_t peer, uint32_t ask)
{
    struct core_watcher *w = watch_of(r, peer);
    if (!ask || !w || w->ask != ask)
        return false;
    w->ask = 0;
    r->lobby.asking--;
    return true;
}

void core_lobby_push_out(struct relay *r, uint32_t peer, uint64_t now_us)
{
    const struct core_watcher *asker = watch_of(r, peer);
    if (!asker)
        return;
    r->out.watch = PROTO_WATCH_ON;
    uint64_t print = page_print(r);
    size_t n = r->out.rooms_len;
    bool more = r->out.more;
    for (uint32_t i = 0; i < r->lobby.cap; i++) {
        struct core_watcher *w = &r->lobby.at[i];
        if (w != asker && (!slot_live(r, w) || !same_page(w, asker)))
            continue;
        w->looked_us = asker->looked_us; /* the watchers of a page asked at once from now */
        if (print == w->sent || now_us < w->pushed_us + LOBBY_PUSH_US || !may_push(r, w, now_us))
            continue;
        r->out.rooms_len = n; /* as the directory answered: a page is cut to each edge */
        r->out.more = more;
        send_page(r, w, print, now_us);
    }
}

void core_lobby_answered(struct relay *r, uint32_t peer, const char *after)
{
    struct core_watcher *w = watch_of(r, peer);
    if (!w)
        return;
    r->out.watch = PROTO_WATCH_ON;
    if (!after || !after[0])
        w->sent = page_print(r);
}

void core_lobby_sweep(struct relay *r, uint64_t now_us)
{
    uint64_t idle = (uint64_t)r->cfg.lobby_idle_ms * 1000;
    struct looks k = {.n = 0};
    for (uint32_t i = 0; i < r->lobby.cap && r->lobby.n; i++) {
        struct core_watcher *w = &r->lobby.at[i];
        if (!w->used)
            continue;
        if (!slot_live(r, w))
            slot_free(r, w);
        else if (now_us >= w->heard_us + idle)
            idle_close(r, w, now_us);
        else if (now_us >= w->pushed_us + LOBBY_PUSH_US && now_us >= w->looked_us + LOBBY_LOOK_US &&
                 relay_room_list_on(r))
            push(r, w, now_us, &k);
    }
}
