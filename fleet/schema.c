/* schema.c: see schema.h. The Lua scripts (fleet/scripts/) run inside
 * Redis, one at a time (a script is atomic), so "look, then claim" cannot
 * interleave with another relay's claim: that is what makes racing joins
 * land on one relay. Keys (P = the fleet name):
 *   P:relay:ADDR  hash {instance, transport, capacity, rooms, clients,
 *                 draining (0, or 1: it takes no new rooms), beat (Redis's
 *                 time of its last heartbeat, ms),
 *                 listing (its rooms, "ROOM MEMBERS CAPACITY[ FLAGS]\n" each)},
 *                 expires after the TTL unless a heartbeat renews it
 *   P:relays      set of ADDR (an index; a member whose hash expired is dropped)
 *   P:room:ROOM   string "EPOCH ADDR TRANSPORT INSTANCE", expires after the TTL
 *                 unless its holder renews it; TRANSPORT: its holder's edges,
 *                 "enet" or "enet,udp:7778"
 *   P:out:ROOM    ADDR kept out of ROOM's placement (expires)
 *   P:members:ROOM set of the player ids of ROOM's members, as its holder
 *                 published them (FLEET_KEEP_MEMBERS at most), expires with
 *                 the record (a holder cut off loses its claim first: its
 *                 room's next holder takes them back in): a report that its
 *                 holder is lost counts only from one of them
 *   P:keep:ROOM   the room's record (settings, owner, stay kept events:
 *                 proto/room_record.h's JSON, FLEET_KEEP_BYTES at most), as
 *                 its holder last wrote it; expires a keep-out after its
 *                 holder last renewed it, so a new holder finds it
 *   P:shun:ADDR   "1": ADDR is placed on last (expires): players reported it
 *                 lost, or its heartbeat said its clients were all dropped at once
 *   P:rooms       hash ROOM -> "ADDR INSTANCE MEMBERS CAPACITY[ FLAGS][ {PROPS}]":
 *                 each room as its holder last wrote it (ROOMS_PUT); an entry
 *                 whose holder is gone or no longer claims the room is
 *                 skipped and removed by LIST
 *   P:roomidx     sorted set of the same names, score 0: ZRANGEBYLEX pages them
 *   P:epoch       counter: every claim takes the next value (INCR)
 *   P:pulse       Redis's time (ms) at the last script call
 *   P:up          ... at the start of the current run of calls no more than
 *                 two heartbeats apart: relays are judged stale only within it */
#include "schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sys/netaddr.h"
#include "script_args.h"


int fleet_claim_format(const struct fleet_claim *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%" PRIu64 " %s %s %s", c->epoch, c->addr, c->transport,
                     c->instance);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Copies the next space-separated word of *s into out (cap bytes with the
 * NUL) and moves *s past it. Returns -1 if there is none or it is too long. */
static int next_word(const char **s, char *out, size_t cap)
{
    const char *w = *s;
    size_t n = strcspn(w, " ");
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, w, n);
    out[n] = '\0';
    *s = w[n] == ' ' ? w + n + 1 : w + n;
    return 0;
}

/* A relay's edges as a claim names them: SCHEME then ",SCHEME:PORT" each
 * other, a scheme 1..FLEET_SCHEME_MAX lowercase letters, a port 1..65535. */
static bool edges_valid(const char *s)
{
    for (bool first = true;; first = false) {
        size_t n = 0;
        while (s[n] >= 'a' && s[n] <= 'z')
            n++;
        if (n == 0 || n > FLEET_SCHEME_MAX)
            return false;
        s += n;
        if (!first) {
            if (*s++ != ':')
                return false;
            char *end;
            errno = 0;
            unsigned long port = strtoul(s, &end, 10);
            if (errno || end == s || end - s > 5 || port < 1 || port > 65535)
                return false;
            s = end;
        }
        if (*s == '\0')
            return true;
        if (*s++ != ',')
            return false;
    }
}

int fleet_claim_parse(const char *room, const char *value, struct fleet_claim *c)
{
    memset(c, 0, sizeof *c);
    char epoch[24];
    const char *s = value;
    if (strlen(room) > PROTO_ROOM_MAX || next_word(&s, epoch, sizeof epoch) != 0 ||
        next_word(&s, c->addr, sizeof c->addr) != 0 ||
        next_word(&s, c->transport, sizeof c->transport) != 0 ||
        next_word(&s, c->instance, sizeof c->instance) != 0 || *s != '\0' ||
        !edges_valid(c->transport))
        goto fail;
    char *end;
    errno = 0;
    unsigned long long e = strtoull(epoch, &end, 10);
    if (errno || *end || e == 0 || epoch[0] == '-')
        goto fail;
    c->epoch = e;
    strcpy(c->room, room);
    return 0;
fail:
    memset(c, 0, sizeof *c);
    return -1;
}

int fleet_room_entry_format(const struct proto_room_entry *e, const struct proto_props *props,
                            char *buf, size_t cap)
{
    bool both = e->closed && e->unlisted;
    char json[FLEET_LIST_PROPS] = "";
    if (props && props->n && !e->unlisted) { /* an unlisted room lends only its name */
        json[0] = ' ';
        if (proto_props_print(json + 1, sizeof json - 1, props) < 0)
            return -1; /* cannot be: the props' bounds fit */
    }
    int k = snprintf(buf, cap, "%" PRIu32 " %" PRIu32 "%s%s%s%s%s", e->members, e->capacity,
                     e->closed || e->unlisted ? " " : "", e->closed ? "closed" : "",
                     both ? "," : "", e->unlisted ? "unlisted" : "", json);
    return k < 0 || (size_t)k >= cap ? -1 : k;
}

/* A room's flags, "closed", "unlisted" or both joined by ',', up to the
 * line's end, into e; false for any other word. */
static bool read_flags(const char *s, size_t len, struct proto_room_entry *e)
{
    while (len > 0) {
        size_t w = strcspn(s, ",\n");
        w = w < len ? w : len;
        if (w == 6 && strncmp(s, "closed", 6) == 0)
            e->closed = true;
        else if (w == 8 && strncmp(s, "unlisted", 8) == 0)
            e->unlisted = true;
        else
            return false;
        w += w < len; /* the ',' */
        s += w;
        len -= w;
    }
    return true;
}

/* A room's props, a JSON object of len bytes at s, into p. */
static bool read_props(const char *s, size_t len, struct proto_props *p)
{
    cJSON *o = cJSON_ParseWithLength(s, len);
    bool ok = o && proto_props_read(o, "props", p, NULL, 0) == PROTO_OK;
    cJSON_Delete(o);
    return ok;
}

/* What follows a room's capacity and a space, up to eol: flags, props
 * (from '{'), or flags, a space and props. */
static bool read_tail(const char *c, const char *eol, struct proto_room_entry *e,
                      struct proto_props *p)
{
    const char *brace = memchr(c, '{', (size_t)(eol - c));
    const char *flags_end = brace ? brace - 1 : eol;
    if (brace && brace > c && brace[-1] != ' ')
        return false;
    if (flags_end > c && !read_flags(c, (size_t)(flags_end - c), e))
        return false;
    return brace ? read_props(brace, (size_t)(eol - brace), p) : c < eol;
}

/* A decimal uint32 of *s up to the next c, *s moved past c. */
static bool next_count(const char **s, char c, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(*s, &end, 10);
    if (errno || end == *s || **s < '0' || **s > '9' || *end != c || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    *s = end + 1;
    return true;
}

void fleet_listing_parse(const char *text, struct proto_room_entry *out,
                         struct proto_props *props, size_t cap, size_t *n)
{
    for (const char *s = text; *s && *n < cap;) {
        const char *eol = strchr(s, '\n');
        size_t line = eol ? (size_t)(eol - s) : strlen(s);
        struct proto_room_entry *e = &out[*n];
        size_t rl = strcspn(s, " \n");
        const char *c = s + rl + 1;
        if (rl >= 1 && rl <= PROTO_ROOM_MAX && s[rl] == ' ' && eol) {
            memset(e, 0, sizeof *e); /* open and listed, unless its flags say not */
            memset(&props[*n], 0, sizeof props[*n]);
            memcpy(e->room, s, rl);
            if (proto_room_valid(e->room) && next_count(&c, ' ', &e->members) &&
                (next_count(&c, '\n', &e->capacity) ||
                 (next_count(&c, ' ', &e->capacity) && read_tail(c, eol, e, &props[*n]))))
                (*n)++;
        }
        s += line + (eol != NULL);
    }
}

int fleet_key(char *buf, size_t cap, const char *prefix, const char *kind, const char *name)
{
    int n = name ? snprintf(buf, cap, "%s:%s:%s", prefix, kind, name)
                 : snprintf(buf, cap, "%s:%s", prefix, kind);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

bool fleet_name_valid(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= FLEET_NAME_MAX && proto_room_valid(name);
}

int fleet_addr_check(const char *addr, char *err, size_t err_cap)
{
    char host[FLEET_ADDR_MAX];
    uint16_t port;
    if (strlen(addr) >= FLEET_ADDR_MAX || strchr(addr, ' ')) {
        snprintf(err, err_cap, "'%s': expected HOST:PORT (no spaces, under %d bytes)", addr,
                 FLEET_ADDR_MAX);
        return -1;
    }
    if (netaddr_split_endpoint(addr, host, sizeof host, &port, err, err_cap) != 0)
        return -1;
    if (port == 0) {
        snprintf(err, err_cap, "'%s': the port must be 1 to 65535", addr);
        return -1;
    }
    return 0;
}

/* The scripts' sources, fleet/scripts/NAME.lua after their arguments'
 * preamble and the shared functions they call (the Makefile builds them
 * into the fleet's library). */
extern const char fleet_lua_place[], fleet_lua_heartbeat[], fleet_lua_release[],
    fleet_lua_handover[], fleet_lua_rooms_put[], fleet_lua_list[], fleet_lua_keep[];

static const char *const place_args[] = {FLEET_PLACE_ARGS(FLEET_ARG_NAME, PLACE)};
static const char *const heartbeat_args[] = {FLEET_HEARTBEAT_ARGS(FLEET_ARG_NAME, HEARTBEAT)};
static const char *const release_args[] = {FLEET_RELEASE_ARGS(FLEET_ARG_NAME, RELEASE)};
static const char *const handover_args[] = {FLEET_HANDOVER_ARGS(FLEET_ARG_NAME, HANDOVER)};
static const char *const rooms_put_args[] = {FLEET_ROOMS_PUT_ARGS(FLEET_ARG_NAME, ROOMS_PUT)};
static const char *const list_args[] = {FLEET_LIST_ARGS(FLEET_ARG_NAME, LIST)};
static const char *const keep_args[] = {FLEET_KEEP_ARGS(FLEET_ARG_NAME, KEEP)};
static const char *const place_replies[] = {FLEET_PLACE_REPLIES(FLEET_ARG_NAME, PLACE)};

#define SCRIPT(name) \
    {#name, fleet_lua_##name, name##_args, sizeof name##_args / sizeof *name##_args, NULL, 0}
static const struct {
    const char *name, *source;
    const char *const *args;
    size_t n_args;
    const char *const *replies; /* a reply of named fields; NULL: none */
    size_t n_replies;
} scripts[FLEET_SCRIPT_COUNT] = {
    [FLEET_SCRIPT_PLACE] = {"place", fleet_lua_place, place_args,
                            sizeof place_args / sizeof *place_args, place_replies,
                            sizeof place_replies / sizeof *place_replies},
    [FLEET_SCRIPT_HEARTBEAT] = SCRIPT(heartbeat),
    [FLEET_SCRIPT_RELEASE] = SCRIPT(release),
    [FLEET_SCRIPT_HANDOVER] = SCRIPT(handover),
    [FLEET_SCRIPT_ROOMS_PUT] = SCRIPT(rooms_put),
    [FLEET_SCRIPT_LIST] = SCRIPT(list),
    [FLEET_SCRIPT_KEEP] = SCRIPT(keep),
};

const char *fleet_script_source(enum fleet_script s)
{
    return (unsigned)s < FLEET_SCRIPT_COUNT ? scripts[s].source : NULL;
}

const char *fleet_script_name(enum fleet_script s)
{
    return (unsigned)s < FLEET_SCRIPT_COUNT ? scripts[s].name : NULL;
}

const char *const *fleet_script_args(enum fleet_script s, size_t *n)
{
    *n = (unsigned)s < FLEET_SCRIPT_COUNT ? scripts[s].n_args : 0;
    return (unsigned)s < FLEET_SCRIPT_COUNT ? scripts[s].args : NULL;
}

const char *const *fleet_script_replies(enum fleet_script s, size_t *n)
{
    *n = (unsigned)s < FLEET_SCRIPT_COUNT ? scripts[s].n_replies : 0;
    return (unsigned)s < FLEET_SCRIPT_COUNT ? scripts[s].replies : NULL;
}
