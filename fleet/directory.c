/* directory.c: see directory.h. Every change goes through one of the
 * schema's scripts by EVALSHA (loaded at connect; loaded again if Redis
 * answers NOSCRIPT after a restart), so each is atomic on the server. */
#include "directory.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redisconn.h"
#include "script_args.h"
#include "sentinel.h"

#define HEARTBEAT_CHUNK 256 /* claims renewed per script call */
#define STALE_BEATS 3       /* stale_ms by default: heartbeats of TTL/10 missed */
#define KEEP_OUT_TTLS 3     /* a relay kept out of a room (P:out:ROOM) this many TTLs, */
#define KEEP_OUT_MIN_MS 15000 /* ... and at least this long: its players' rejoins, each
                               of which may spend a client's timeout (5 s) on a join
                               sent there before the room was let go */

struct directory {
    struct directory_config cfg;
    struct redisconn_tls tls;            /* points into cfg */
    struct redisconn *c;                 /* NULL when not connected */
    struct sentinel_watch *watch;        /* with sentinels: +switch-master */
    char where[300];                     /* the server now: "host:port" */
    char sha[FLEET_SCRIPT_COUNT][41];    /* SCRIPT LOAD's answers */
    char values[HEARTBEAT_CHUNK][FLEET_VALUE_MAX]; /* a heartbeat's claim values */
    uint64_t high_water;                 /* the highest epoch seen: claims go above it */
};

struct directory *directory_create(const struct directory_config *cfg)
{
    struct directory *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = *cfg;
    if (!d->cfg.stale_ms)
        d->cfg.stale_ms = STALE_BEATS * (d->cfg.ttl_ms / 10 ? d->cfg.ttl_ms / 10 : 1);
    d->tls = (struct redisconn_tls){.ca = d->cfg.tls_ca, .cert = d->cfg.tls_cert,
                                    .key = d->cfg.tls_key};
    if (d->cfg.url.n_sentinels)
        snprintf(d->where, sizeof d->where, "(the primary of %s)", d->cfg.url.master);
    else
        snprintf(d->where, sizeof d->where, "%s:%u", d->cfg.url.host,
                 (unsigned)d->cfg.url.port);
    return d;
}

static void drop(struct directory *d)
{
    redisconn_close(d->c);
    d->c = NULL;
}

void directory_destroy(struct directory *d)
{
    if (!d)
        return;
    drop(d);
    sentinel_watch_close(d->watch);
    free(d);
}

bool directory_connected(const struct directory *d)
{
    return d->c != NULL;
}

int directory_event_fd(const struct directory *d)
{
    return d->watch ? sentinel_watch_fd(d->watch) : -1;
}

bool directory_on_event(struct directory *d, char *err, size_t err_cap)
{
    if (!d->watch)
        return false;
    int rc = sentinel_watch_read(d->watch, err, err_cap);
    if (rc < 0) { /* subscribed again at the next connect */
        sentinel_watch_close(d->watch);
        d->watch = NULL;
    }
    if (rc == 1)
        drop(d);
    return rc == 1;
}

/* Is this error reply from a server that is no longer the primary (a
 * failover demoted it)? Then the connection is no good either. */
static bool demoted(const redisReply *r)
{
    return strncmp(r->str, "READONLY", 8) == 0 || strstr(r->str, "read only replica") ||
           strncmp(r->str, "MASTERDOWN", 10) == 0;
}

/* A reply that is not an error, or NULL with err set (and the connection
 * dropped if the failure was I/O or the server is no primary). The caller
 * frees the reply. */
static redisReply *checked(struct directory *d, redisReply *r, const char *what, char *err,
                           size_t err_cap)
{
    if (!r) {
        drop(d); /* err says why */
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, err_cap, "redis %s: %s: %.200s", d->where, what, r->str);
        if (demoted(r))
            drop(d);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static int load_scripts(struct directory *d, char *err, size_t err_cap)
{
    for (int s = 0; s < FLEET_SCRIPT_COUNT; s++) {
        const char *argv[] = {"SCRIPT", "LOAD", fleet_script_source((enum fleet_script)s)};
        redisReply *r = checked(d, redisconn_argv(d->c, 3, argv, err, err_cap), "SCRIPT LOAD",
                                err, err_cap);
        if (!r)
            return -1;
        bool ok = r->type == REDIS_REPLY_STRING && r->len == 40;
        if (ok)
            memcpy(d->sha[s], r->str, 41);
        freeReplyObject(r);
        if (!ok) {
            snprintf(err, err_cap, "redis SCRIPT LOAD: unexpected reply");
            return -1;
        }
    }
    return 0;
}

/* The server to talk to: the URL's, or the primary the sentinels name
 * (subscribing to their failovers first, so that none is missed). */
static int server(struct directory *d, char *host, size_t cap, uint16_t *port, char *err,
                  size_t err_cap)
{
    struct fleet_redis_url *u = &d->cfg.url;
    if (!u->n_sentinels) {
        snprintf(host, cap, "%s", u->host);
        *port = u->port;
        return 0;
    }
    char why[256];
    if (!d->watch && !(d->watch = sentinel_watch_open(u, u->tls ? &d->tls : NULL,
                                                      d->cfg.timeout_ms, why, sizeof why)))
        snprintf(err, err_cap, "%s", why); /* no subscription: failures still reconnect */
    return sentinel_primary(u, u->tls ? &d->tls : NULL, d->cfg.timeout_ms, host, cap, port,
                            err, err_cap);
}

/* A server the sentinels name must say it is the primary (a sentinel may
 * not know of a failover yet). */
static int is_primary(struct directory *d, char *err, size_t err_cap)
{
    redisReply *r = checked(d, redisconn_cmd(d->c, err, err_cap, "ROLE"), "ROLE", err, err_cap);
    if (!r)
        return -1;
    bool master = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                  r->element[0]->type == REDIS_REPLY_STRING &&
                  strcmp(r->element[0]->str, "master") == 0;
    freeReplyObject(r);
    if (!master)
        snprintf(err, err_cap, "redis %s: not the primary (yet)", d->where);
    return master ? 0 : -1;
}

/* "host:port" ("[host]:port" for IPv6), as d->where says it. */
static void where_text(char *buf, size_t cap, const char *host, uint16_t port)
{
    snprintf(buf, cap, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
}

/* The subscription answered the PING of the last check, and gets another;
 * a silent one (its sentinel cut off or stopped) is opened again. A failed
 * open is left to the next check: the sentinels are asked at each one. */
static void keep_watching(struct directory *d)
{
    const struct fleet_redis_url *u = &d->cfg.url;
    char why[256];
    if (d->watch && sentinel_watch_ping(d->watch, why, sizeof why) != 0) {
        sentinel_watch_close(d->watch);
        d->watch = NULL;
    }
    if (!d->watch)
        d->watch = sentinel_watch_open(u, u->tls ? &d->tls : NULL, d->cfg.timeout_ms, why,
                                       sizeof why);
}

/* With sentinels, before each heartbeat: a majority of them still name the
 * server this connection is to, the server still says it is the primary,
 * and the subscription still answers. Otherwise the connection is dropped:
 * no lease is confirmed through a server the sentinels no longer name (an
 * old primary cut off with this relay still answers it), and a relay that
 * hears no sentinel finds its directory unreachable. */
static int still_primary(struct directory *d, char *err, size_t err_cap)
{
    struct fleet_redis_url *u = &d->cfg.url;
    char host[FLEET_URL_HOST_MAX], named[sizeof d->where];
    uint16_t port;
    if (directory_on_event(d, err, err_cap)) { /* a switch not read yet: dropped */
        snprintf(err, err_cap, "redis %s: the sentinels switched the primary", d->where);
        return -1;
    }
    if (sentinel_primary(u, u->tls ? &d->tls : NULL, d->cfg.timeout_ms, host, sizeof host,
                         &port, err, err_cap) != 0)
        goto fail;
    where_text(named, sizeof named, host, port);
    if (strcmp(named, d->where) != 0) {
        snprintf(err, err_cap, "redis %s: the sentinels name %s the primary now", d->where,
                 named);
        goto fail;
    }
    if (is_primary(d, err, err_cap) != 0)
        goto fail;
    keep_watching(d);
    return 0;
fail:
    drop(d);
    return -1;
}

int directory_connect(struct directory *d, char *err, size_t err_cap)
{
    drop(d);
    const struct fleet_redis_url *u = &d->cfg.url;
    char host[FLEET_URL_HOST_MAX];
    uint16_t port;
    if (server(d, host, sizeof host, &port, err, err_cap) != 0)
        return -1;
    where_text(d->where, sizeof d->where, host, port);
    struct redisconn_opts o = {.host = host, .port = port, .tls = u->tls ? &d->tls : NULL,
                               .user = u->user,
                               .password = u->has_password ? u->password : NULL,
                               .timeout_ms = d->cfg.timeout_ms};
    if (!(d->c = redisconn_open(&o, err, err_cap)))
        return -1;
    if (u->n_sentinels && is_primary(d, err, err_cap) != 0)
        goto fail;
    if (u->db) {
        redisReply *r = checked(d, redisconn_cmd(d->c, err, err_cap, "SELECT %u", u->db),
                                "SELECT", err, err_cap);
        if (!r)
            goto fail;
        freeReplyObject(r);
    }
    if (load_scripts(d, err, err_cap) != 0)
        goto fail;
    return 0;
fail:
    drop(d);
    return -1;
}

/* EVALSHA of script s with no keys and argc arguments: first each of its
 * named ones (fleet/script_args.h), then any that follow them. Returns the
 * reply (the caller frees it) or NULL with err set. */
static redisReply *evalsha(struct directory *d, enum fleet_script s, int argc,
                           const char **argv, char *err, size_t err_cap)
{
    size_t named;
    const char *const *names = fleet_script_args(s, &named);
    for (size_t i = 0; i < named; i++)
        if ((int)i >= argc || !argv[i]) { /* a caller's slip, not Redis's */
            snprintf(err, err_cap, "script %s: its argument %s is not given",
                     fleet_script_name(s), names[i]);
            return NULL;
        }
    if (!d->c) {
        snprintf(err, err_cap, "redis %s: not connected", d->where);
        return NULL;
    }
    const char **full = malloc(sizeof *full * (size_t)(argc + 3));
    if (!full) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    full[0] = "EVALSHA";
    full[1] = d->sha[s];
    full[2] = "0";
    memcpy(full + 3, argv, sizeof *full * (size_t)argc);
    redisReply *r = NULL;
    for (int attempt = 0; attempt < 2 && d->c; attempt++) {
        r = redisconn_argv(d->c, argc + 3, full, err, err_cap);
        if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
            freeReplyObject(r); /* Redis restarted without our scripts */
            r = NULL;
            if (load_scripts(d, err, err_cap) != 0)
                break;
            continue;
        }
        r = checked(d, r, "EVALSHA", err, err_cap);
        break;
    }
    free(full);
    return r;
}

static void ttl_text(const struct directory *d, char buf[16])
{
    snprintf(buf, 16, "%" PRIu32, d->cfg.ttl_ms);
}

static void stale_text(const struct directory *d, char buf[16])
{
    snprintf(buf, 16, "%" PRIu32, d->cfg.stale_ms);
}

/* Every claim this relay hears of raises its high-water mark: the floor of
 * the epochs its scripts hand out (proto/FLEET.md, invariant 2). */
static void seen(struct directory *d, const struct fleet_claim *c)
{
    if (c->epoch > d->high_water)
        d->high_water = c->epoch;
}

static void floor_text(const struct directory *d, char buf[24])
{
    snprintf(buf, 24, "%" PRIu64, d->high_water);
}

/* Applies one heartbeat reply ({triples room, status, value; listings:
 * none asked}) to held[0..n). */
static int apply_renewals(struct directory *d, const redisReply *reply,
                          struct fleet_claim *held, size_t n, enum directory_renewal *res,
                          char *err, size_t err_cap)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
        goto bad;
    const redisReply *r = reply->element[0];
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 3 != 0)
        goto bad;
    for (size_t k = 0; k < r->elements; k += 3) {
        const redisReply *room = r->element[k], *st = r->element[k + 1],
                         *val = r->element[k + 2];
        if (room->type != REDIS_REPLY_STRING || st->type != REDIS_REPLY_STRING ||
            val->type != REDIS_REPLY_STRING)
            goto bad;
        size_t i = 0;
        while (i < n && strcmp(held[i].room, room->str) != 0)
            i++;
        if (i == n || fleet_claim_parse(room->str, val->str, &held[i]) != 0)
            goto bad;
        seen(d, &held[i]);
        res[i] = strcmp(st->str, "lost") == 0 ? DIRECTORY_LOST : DIRECTORY_RECLAIMED;
    }
    return 0;
bad:
    snprintf(err, err_cap, "redis: unexpected heartbeat reply");
    return -1;
}

/* One heartbeat call: head[] (the named ARGV) and held[0..n) renewed, n <=
 * HEARTBEAT_CHUNK. */
static int heartbeat_chunk(struct directory *d, const char *const head[FLEET_HEARTBEAT_ARGC],
                           struct fleet_claim *held, size_t n, enum directory_renewal *res,
                           char *err, size_t err_cap)
{
    const char *argv[FLEET_HEARTBEAT_ARGC + 2 * HEARTBEAT_CHUNK];
    memcpy(argv, head, sizeof *argv * FLEET_HEARTBEAT_ARGC);
    for (size_t i = 0; i < n; i++) {
        res[i] = DIRECTORY_RENEWED;
        seen(d, &held[i]);
        if (fleet_claim_format(&held[i], d->values[i], sizeof d->values[i]) < 0) {
            snprintf(err, err_cap, "claim of room %s does not fit", held[i].room);
            return -1;
        }
        argv[FLEET_HEARTBEAT_ARGC + 2 * i] = held[i].room;
        argv[FLEET_HEARTBEAT_ARGC + 2 * i + 1] = d->values[i];
    }
    redisReply *r = evalsha(d, FLEET_SCRIPT_HEARTBEAT, FLEET_HEARTBEAT_ARGC + 2 * (int)n, argv,
                            err, err_cap);
    if (!r)
        return -1;
    int rc = apply_renewals(d, r, held, n, res, err, err_cap);
    freeReplyObject(r);
    return rc;
}

int directory_heartbeat(struct directory *d, const struct directory_load *load,
                        struct fleet_claim *held, size_t n, enum directory_renewal *res,
                        char *err, size_t err_cap)
{
    char ttl[16], capacity[16], rooms[16], clients[16], floor[24], stale[16], shun[16];
    char keep[16];
    if (d->cfg.url.n_sentinels && d->c && still_primary(d, err, err_cap) != 0)
        return -1;
    ttl_text(d, ttl);
    stale_text(d, stale);
    for (size_t i = 0; i < n; i++)
        seen(d, &held[i]);
    floor_text(d, floor);
    snprintf(capacity, sizeof capacity, "%" PRIu32, d->cfg.capacity);
    snprintf(rooms, sizeof rooms, "%" PRIu32, load->rooms);
    snprintf(clients, sizeof clients, "%" PRIu32, load->clients);
    snprintf(shun, sizeof shun, "%" PRIu32, load->unheard_ms);
    snprintf(keep, sizeof keep, "%" PRIu32, directory_keep_out_ms(d));
    /* No listing in the hash, none read back: the rooms' entries are kept
     * beside the claims (directory_rooms_put) and read a page at a time
     * (directory_list). */
    const char *head[FLEET_HEARTBEAT_ARGC] = {
        [FLEET_HEARTBEAT_ARG_prefix] = d->cfg.prefix,
        [FLEET_HEARTBEAT_ARG_addr] = d->cfg.addr,
        [FLEET_HEARTBEAT_ARG_ttl_ms] = ttl,
        [FLEET_HEARTBEAT_ARG_instance] = d->cfg.instance,
        [FLEET_HEARTBEAT_ARG_transport] = d->cfg.transport,
        [FLEET_HEARTBEAT_ARG_capacity] = capacity,
        [FLEET_HEARTBEAT_ARG_rooms] = rooms,
        [FLEET_HEARTBEAT_ARG_clients] = clients,
        [FLEET_HEARTBEAT_ARG_draining] = load->draining ? "1" : "0",
        [FLEET_HEARTBEAT_ARG_full] = load->full ? "1" : "0",
        [FLEET_HEARTBEAT_ARG_floor] = floor,
        [FLEET_HEARTBEAT_ARG_stale_ms] = stale,
        [FLEET_HEARTBEAT_ARG_listing] = "", /* an older relay's: emptied */
        [FLEET_HEARTBEAT_ARG_most] = "0",
        [FLEET_HEARTBEAT_ARG_shun_ms] = shun,
        [FLEET_HEARTBEAT_ARG_keep_ms] = keep,
    };
    size_t done = 0;
    do { /* at least once: with no claims it still registers */
        size_t k = n - done < HEARTBEAT_CHUNK ? n - done : HEARTBEAT_CHUNK;
        if (heartbeat_chunk(d, head, held + done, k, res + done, err, err_cap) != 0)
            return -1;
        head[FLEET_HEARTBEAT_ARG_listing] = "-"; /* the hash's listing is emptied once */
        head[FLEET_HEARTBEAT_ARG_shun_ms] = "0";
        done += k;
    } while (done < n);
    return 0;
}

#define PUT_CHUNK 256 /* entries written per script call */

int directory_rooms_put(struct directory *d, const char *const *rooms,
                        const char *const *entries, size_t n, char *err, size_t err_cap)
{
    enum { NAMED = FLEET_ROOMS_PUT_ARGC };
    const char *argv[NAMED + 2 * PUT_CHUNK] = {[FLEET_ROOMS_PUT_ARG_prefix] = d->cfg.prefix,
                                               [FLEET_ROOMS_PUT_ARG_addr] = d->cfg.addr,
                                               [FLEET_ROOMS_PUT_ARG_instance] = d->cfg.instance};
    for (size_t done = 0; done < n;) {
        size_t k = n - done < PUT_CHUNK ? n - done : PUT_CHUNK;
        for (size_t i = 0; i < k; i++) {
            argv[NAMED + 2 * i] = rooms[done + i];
            argv[NAMED + 2 * i + 1] = entries[done + i];
        }
        redisReply *r = evalsha(d, FLEET_SCRIPT_ROOMS_PUT, NAMED + 2 * (int)k, argv, err, err_cap);
        if (!r)
            return -1;
        bool ok = r->type == REDIS_REPLY_INTEGER;
        freeReplyObject(r);
        if (!ok) {
            snprintf(err, err_cap, "redis: unexpected reply writing rooms");
            return -1;
        }
        done += k;
    }
    return 0;
}

/* A match as LIST takes it: the JSON object, and each pair as the
 * entries' props print it ('"KEY":"VALUE"'). */
struct list_match {
    char json[PROTO_PROPS_BYTES * 2 + 64];
    char pair[PROTO_PROPS_KEYS][PROTO_PROPS_BYTES * 2 + 8];
    size_t n;
};

static int list_match(const struct proto_props *m, struct list_match *out)
{
    const char *k, *v;
    memset(out, 0, sizeof *out);
    if (!m || !m->n)
        return 0;
    if (proto_props_print(out->json, sizeof out->json, m) < 0)
        return -1;
    for (k = proto_props_next(m, NULL, &v); k && out->n < PROTO_PROPS_KEYS;
         k = proto_props_next(m, k, &v)) {
        struct proto_props one = {0};
        char *p = out->pair[out->n];
        if (proto_props_add(&one, "props", k, v, NULL, 0) != 0 ||
            proto_props_print(p, sizeof out->pair[0], &one) < 2)
            return -1;
        size_t len = strlen(p);
        memmove(p, p + 1, len - 2); /* the braces off */
        p[len - 2] = '\0';
        out->n++;
    }
    return 0;
}

/* One LIST call: {text, code, last} into its parts (text and last are
 * the reply's: valid until it is freed). */
static redisReply *list_call(struct directory *d, const char *prefix, const char *after,
                             const struct list_match *match, uint32_t page, const char *mode,
                             const char **text, long long *code, const char **last,
                             char *err, size_t err_cap)
{
    char page_s[16], walk_s[16];
    snprintf(page_s, sizeof page_s, "%" PRIu32, page);
    snprintf(walk_s, sizeof walk_s, "%d", FLEET_LIST_WALK);
    const char *argv[FLEET_LIST_ARGC + PROTO_PROPS_KEYS] = {
        [FLEET_LIST_ARG_prefix] = d->cfg.prefix, [FLEET_LIST_ARG_room_prefix] = prefix,
        [FLEET_LIST_ARG_after] = after,          [FLEET_LIST_ARG_match] = match->json,
        [FLEET_LIST_ARG_page] = page_s,          [FLEET_LIST_ARG_walk] = walk_s,
        [FLEET_LIST_ARG_mode] = mode};
    for (size_t i = 0; i < match->n; i++)
        argv[FLEET_LIST_ARGC + i] = match->pair[i];
    redisReply *r = evalsha(d, FLEET_SCRIPT_LIST, FLEET_LIST_ARGC + (int)match->n, argv, err,
                            err_cap);
    if (!r)
        return NULL;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_INTEGER ||
        r->element[2]->type != REDIS_REPLY_STRING) {
        snprintf(err, err_cap, "redis: unexpected listing reply");
        freeReplyObject(r);
        return NULL;
    }
    *text = r->element[0]->str;
    *code = r->element[1]->integer;
    *last = r->element[2]->str;
    return r;
}

int directory_list(struct directory *d, const struct directory_query *q,
                   struct directory_listing *out, char *err, size_t err_cap)
{
    static const struct list_match none;
    struct list_match match;
    char after[PROTO_ROOM_MAX + 1];
    const char *mode = q->any ? "any" : "list";
    memset(out, 0, sizeof *out);
    if (list_match(q->match, &match) != 0) {
        snprintf(err, err_cap, "match does not fit");
        return -1;
    }
    snprintf(after, sizeof after, "%s", q->after ? q->after : "");
    for (;;) {
        const char *text, *last;
        long long code;
        size_t want = out->n < PROTO_ROOMS_PAGE ? PROTO_ROOMS_PAGE - out->n : 0;
        redisReply *r = list_call(d, q->prefix, after, &match, (uint32_t)want, mode, &text,
                                  &code, &last, err, err_cap);
        if (!r)
            return -1;
        out->calls++;
        out->walked += FLEET_LIST_WALK; /* at most: what a call may look at */
        if (q->any) {
            struct proto_room_entry e[1];
            struct proto_props pp[1];
            size_t k = 0;
            fleet_listing_parse(text, e, pp, 1, &k);
            if (k && (!out->pick.room[0] || e[0].members > out->pick.members)) {
                out->pick = e[0];
                out->props[0] = pp[0];
            }
        } else {
            fleet_listing_parse(text, out->rooms, out->props, PROTO_ROOMS_PAGE, &out->n);
        }
        snprintf(after, sizeof after, "%s", last);
        freeReplyObject(r);
        if (code == 1)
            out->more = true;
        if (code != 2)
            break;
        /* The page as it stands, the rest after its last room: a page that
         * has one, so that asking after it always gets on. */
        if (out->walked >= FLEET_LIST_WALK_MOST && (q->any || out->n > 0)) {
            out->more = !q->any;
            break;
        }
    }
    if (!q->any || out->pick.room[0])
        return 0;
    const char *text, *last;
    long long code;
    redisReply *r = list_call(d, q->prefix, "", &none, 0, "free", &text, &code, &last, err,
                              err_cap);
    if (!r)
        return -1;
    out->calls++;
    snprintf(out->free, sizeof out->free, "%s", text);
    freeReplyObject(r);
    return 0;
}

int directory_sweep(struct directory *d, char cursor[PROTO_ROOM_MAX + 1], char *err,
                    size_t err_cap)
{
    static const struct list_match none;
    char walk[16], after[PROTO_ROOM_MAX + 1];
    snprintf(walk, sizeof walk, "%d", FLEET_SWEEP_PER_BEAT);
    memcpy(after, cursor, sizeof after);
    const char *argv[FLEET_LIST_ARGC] = {
        [FLEET_LIST_ARG_prefix] = d->cfg.prefix, [FLEET_LIST_ARG_room_prefix] = "",
        [FLEET_LIST_ARG_after] = after,          [FLEET_LIST_ARG_match] = none.json,
        [FLEET_LIST_ARG_page] = "0",             [FLEET_LIST_ARG_walk] = walk,
        [FLEET_LIST_ARG_mode] = "sweep"};
    redisReply *r = evalsha(d, FLEET_SCRIPT_LIST, FLEET_LIST_ARGC, argv, err, err_cap);
    if (!r)
        return -1;
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
              r->element[1]->type == REDIS_REPLY_INTEGER &&
              r->element[2]->type == REDIS_REPLY_STRING;
    if (ok)
        snprintf(cursor, PROTO_ROOM_MAX + 1, "%s",
                 r->element[1]->integer == 2 ? r->element[2]->str : "");
    else
        snprintf(err, err_cap, "redis: unexpected sweep reply");
    freeReplyObject(r);
    return ok ? 0 : -1;
}

int directory_deregister(struct directory *d, char *err, size_t err_cap)
{
    char key[FLEET_KEY_MAX], set[FLEET_KEY_MAX];
    if (!d->c) {
        snprintf(err, err_cap, "redis %s: not connected", d->where);
        return -1;
    }
    fleet_key(key, sizeof key, d->cfg.prefix, "relay", d->cfg.addr);
    fleet_key(set, sizeof set, d->cfg.prefix, "relays", NULL);
    redisReply *r = checked(d, redisconn_cmd(d->c, err, err_cap, "DEL %s", key), "DEL", err,
                            err_cap);
    if (!r)
        return -1;
    freeReplyObject(r);
    r = checked(d, redisconn_cmd(d->c, err, err_cap, "SREM %s %s", set, d->cfg.addr), "SREM",
                err, err_cap);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

void directory_placement_free(struct directory_placement *p)
{
    free(p->record);
    free(p->members);
    p->record = p->members = NULL;
}

/* A field of a place reply, by its name: the string, or NULL if the
 * reply is not the script's (its length into *len). */
static const char *field(const redisReply *r, enum fleet_place_reply f, size_t *len)
{
    const redisReply *e = r->element[f];
    *len = e->len;
    return e->type == REDIS_REPLY_STRING ? e->str : NULL;
}

/* A place reply (FLEET_PLACE_REPLIES) into *out; DIRECTORY_FAILED if it is
 * not one. */
static enum directory_outcome place_reply(struct directory *d, const char *room,
                                          const redisReply *r,
                                          struct directory_placement *out)
{
    size_t len;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != FLEET_PLACE_REPLYC)
        return DIRECTORY_FAILED;
    for (size_t i = 0; i < FLEET_PLACE_REPLYC; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return DIRECTORY_FAILED;
    const char *status = field(r, FLEET_PLACE_REPLY_status, &len);
    snprintf(out->kept_out, sizeof out->kept_out, "%s",
             field(r, FLEET_PLACE_REPLY_kept_out, &len));
    out->refused = strcmp(field(r, FLEET_PLACE_REPLY_refused, &len), "1") == 0;
    const char *record = field(r, FLEET_PLACE_REPLY_record, &len);
    if (len > 0 && len <= FLEET_KEEP_BYTES && !(out->record = strdup(record)))
        return DIRECTORY_FAILED;
    out->version = strtoull(field(r, FLEET_PLACE_REPLY_version, &len), NULL, 10);
    const char *members = field(r, FLEET_PLACE_REPLY_members, &len);
    size_t most = (size_t)FLEET_KEEP_MEMBERS * (PROTO_PLAYER_LEN + 1);
    if (out->record && len > 0 && !(out->members = strndup(members, most)))
        return DIRECTORY_FAILED;
    const char *why = field(r, FLEET_PLACE_REPLY_why, &len);
    out->limit = strcmp(why, "maxmemory") == 0 ? DIRECTORY_LIMIT_MAXMEMORY
                 : strcmp(why, "records") == 0 ? DIRECTORY_LIMIT_RECORDS
                 : strcmp(why, "clients") == 0 ? DIRECTORY_LIMIT_CLIENTS
                                               : DIRECTORY_LIMIT_NONE;
    if (strcmp(status, "none") == 0 || strcmp(status, "full") == 0)
        return DIRECTORY_NONE;
    if (strcmp(status, "wait") == 0) {
        char *end;
        unsigned long ms = strtoul(field(r, FLEET_PLACE_REPLY_wait_ms, &len), &end, 10);
        out->wait_ms = *end || ms > d->cfg.stale_ms ? d->cfg.stale_ms : (uint32_t)ms;
        return DIRECTORY_WAIT;
    }
    if ((strcmp(status, "held") != 0 && strcmp(status, "placed") != 0) ||
        fleet_claim_parse(room, field(r, FLEET_PLACE_REPLY_claim, &len), &out->claim) != 0)
        return DIRECTORY_FAILED;
    seen(d, &out->claim);
    return DIRECTORY_CLAIMED;
}

uint32_t directory_keep_out_ms(const struct directory *d)
{
    uint32_t ms = KEEP_OUT_TTLS * d->cfg.ttl_ms;
    return ms < KEEP_OUT_MIN_MS ? KEEP_OUT_MIN_MS : ms;
}

enum directory_outcome directory_place(struct directory *d, const char *room, const char *lost,
                                       const char *reporter, struct directory_placement *out,
                                       char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    char ttl[16], floor[24], stale[16], keep_out[16], restore[16];
    ttl_text(d, ttl);
    floor_text(d, floor);
    stale_text(d, stale);
    snprintf(keep_out, sizeof keep_out, "%u", directory_keep_out_ms(d));
    snprintf(restore, sizeof restore, "%" PRIu32, d->cfg.restore_ms);
    const char *argv[FLEET_PLACE_ARGC] = {
        [FLEET_PLACE_ARG_prefix] = d->cfg.prefix,
        [FLEET_PLACE_ARG_room] = room,
        [FLEET_PLACE_ARG_asker] = d->cfg.addr,
        [FLEET_PLACE_ARG_ttl_ms] = ttl,
        [FLEET_PLACE_ARG_floor] = floor,
        [FLEET_PLACE_ARG_suspect] = lost ? "1" : "0",
        [FLEET_PLACE_ARG_stale_ms] = stale,
        [FLEET_PLACE_ARG_lost] = lost ? lost : "",
        [FLEET_PLACE_ARG_out_ms] = keep_out,
        [FLEET_PLACE_ARG_reporter] = reporter ? reporter : "",
        [FLEET_PLACE_ARG_restore_ms] = restore,
    };
    redisReply *r = evalsha(d, FLEET_SCRIPT_PLACE, FLEET_PLACE_ARGC, argv, err, err_cap);
    if (!r)
        return DIRECTORY_FAILED;
    enum directory_outcome o = place_reply(d, room, r, out);
    if (o == DIRECTORY_FAILED)
        snprintf(err, err_cap, "redis: unexpected placement reply for room %s", room);
    freeReplyObject(r);
    return o;
}

enum directory_kept directory_keep(struct directory *d, const struct fleet_claim *c,
                                   const char *record, uint64_t version, bool restore,
                                   const char *const *members, size_t n, char *err,
                                   size_t err_cap)
{
    char value[FLEET_VALUE_MAX], keep[16], ver[24];
    if (n > FLEET_KEEP_MEMBERS)
        n = FLEET_KEEP_MEMBERS;
    if (record && strlen(record) > FLEET_KEEP_BYTES) {
        snprintf(err, err_cap, "room %s: its record is past %d bytes: not written", c->room,
                 FLEET_KEEP_BYTES);
        record = NULL; /* its members are still published */
    }
    fleet_claim_format(c, value, sizeof value);
    snprintf(keep, sizeof keep, "%u", directory_keep_out_ms(d));
    snprintf(ver, sizeof ver, "%" PRIu64, version);
    const char **argv = malloc(sizeof *argv * (FLEET_KEEP_ARGC + n));
    if (!argv) {
        snprintf(err, err_cap, "out of memory");
        return DIRECTORY_KEPT_FAILED;
    }
    const char *head[FLEET_KEEP_ARGC] = {
        [FLEET_KEEP_ARG_prefix] = d->cfg.prefix, [FLEET_KEEP_ARG_room] = c->room,
        [FLEET_KEEP_ARG_value] = value,          [FLEET_KEEP_ARG_keep_ms] = keep,
        [FLEET_KEEP_ARG_record] = record ? record : "-",
        [FLEET_KEEP_ARG_version] = ver,          [FLEET_KEEP_ARG_restore] = restore ? "1" : "0"};
    memcpy(argv, head, sizeof head);
    memcpy(argv + FLEET_KEEP_ARGC, members, sizeof *argv * n);
    redisReply *r = evalsha(d, FLEET_SCRIPT_KEEP, FLEET_KEEP_ARGC + (int)n, argv, err, err_cap);
    free(argv);
    if (!r)
        return DIRECTORY_KEPT_FAILED;
    long long rc = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    switch (rc) {
    case 0: return DIRECTORY_KEPT_NOT_OURS;
    case 1: return DIRECTORY_KEPT;
    case 2: return DIRECTORY_KEPT_NEWER;
    case 3:
        snprintf(err, err_cap, "room %s: its record is not written: Redis %s is past its "
                 "maxmemory", c->room, d->where);
        return DIRECTORY_KEPT_FULL;
    default:
        snprintf(err, err_cap, "redis: unexpected keep reply");
        return DIRECTORY_KEPT_FAILED;
    }
}

int directory_release(struct directory *d, const struct fleet_claim *c, uint32_t out_ms,
                      bool ended, char *err, size_t err_cap)
{
    char value[FLEET_VALUE_MAX], out[16];
    fleet_claim_format(c, value, sizeof value);
    snprintf(out, sizeof out, "%u", out_ms);
    const char *argv[FLEET_RELEASE_ARGC] = {
        [FLEET_RELEASE_ARG_prefix] = d->cfg.prefix, [FLEET_RELEASE_ARG_room] = c->room,
        [FLEET_RELEASE_ARG_value] = value,          [FLEET_RELEASE_ARG_addr] = d->cfg.addr,
        [FLEET_RELEASE_ARG_out_ms] = out,           [FLEET_RELEASE_ARG_ended] = ended ? "1" : "0"};
    redisReply *r = evalsha(d, FLEET_SCRIPT_RELEASE, FLEET_RELEASE_ARGC, argv, err, err_cap);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    if (rc < 0)
        snprintf(err, err_cap, "redis: unexpected release reply");
    freeReplyObject(r);
    return rc;
}

int directory_handover(struct directory *d, const struct fleet_claim *c,
                       struct fleet_claim *out, char *err, size_t err_cap)
{
    char value[FLEET_VALUE_MAX], ttl[16], floor[24], stale[16];
    fleet_claim_format(c, value, sizeof value);
    ttl_text(d, ttl);
    seen(d, c);
    floor_text(d, floor);
    stale_text(d, stale);
    const char *argv[FLEET_HANDOVER_ARGC] = {
        [FLEET_HANDOVER_ARG_prefix] = d->cfg.prefix, [FLEET_HANDOVER_ARG_room] = c->room,
        [FLEET_HANDOVER_ARG_value] = value,          [FLEET_HANDOVER_ARG_addr] = d->cfg.addr,
        [FLEET_HANDOVER_ARG_ttl_ms] = ttl,           [FLEET_HANDOVER_ARG_floor] = floor,
        [FLEET_HANDOVER_ARG_stale_ms] = stale};
    redisReply *r = evalsha(d, FLEET_SCRIPT_HANDOVER, FLEET_HANDOVER_ARGC, argv, err, err_cap);
    if (!r)
        return -1;
    int rc = -1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING &&
        r->element[1]->type == REDIS_REPLY_STRING) {
        const char *st = r->element[0]->str, *v = r->element[1]->str;
        if (strcmp(st, "gone") == 0) {
            memset(out, 0, sizeof *out);
            rc = 0;
        } else if (fleet_claim_parse(c->room, v, out) == 0) {
            rc = strcmp(st, "moved") == 0 ? 1 : 2;
            seen(d, out);
        }
    }
    if (rc < 0)
        snprintf(err, err_cap, "redis: unexpected handover reply for room %s", c->room);
    freeReplyObject(r);
    return rc;
}
