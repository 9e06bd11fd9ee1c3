/* schema.c: see schema.h. The Lua scripts run inside Redis, one at a time
 * (a script is atomic), so "look, then claim" cannot interleave with
 * another relay's claim: that is what makes racing joins land on one
 * relay. Keys (P = the fleet name):
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

#include "../sys/netaddr.h"


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

/* Shared by the scripts. alive(p, v): does the relay named in claim value
 * v still run as the same instance (its hash exists and names that
 * instance)? raise_epoch(p, floor): the counter raised to floor (the
 * asking relay's high-water mark: the highest epoch it has seen, so epochs
 * keep growing even after Redis lost the counter); next_epoch(p, floor):
 * the next epoch, above floor. now_ms(): Redis's clock (TIME), ms: every
 * time the directory compares is its own.
 * pulse(p, now, stale): the directory is answering now (P:pulse); a gap
 * since the last call longer than two thirds of stale (two heartbeats)
 * starts a new run of service (P:up, returned). cutoff(now, up, stale): a
 * relay whose last heartbeat (its hash's beat) is older than this is
 * stale; -1 (none is) until the directory has answered for stale itself,
 * so a Redis that was paused or failed over finds nobody stale at once.
 * pick(p, asker, exclude, out, floor, cut): the live relay, not stale, not
 * draining, not full, not `exclude` nor `out`, with the fewest rooms for its
 * capacity (ties go to `asker`); a relay placed on last (P:shun:ADDR: a
 * report moved a room off it, or its clients were all dropped at once)
 * only when no other can take the room; takes the next epoch, counts the
 * room on that relay and returns the new claim value, or nil if none can
 * take it.
 * replicate_commands: what a script writes is replicated as its effects,
 * so it may read TIME first (Redis 7 always does; 5 and 6 need asking). */
#define LUA_COMMON \
    "redis.replicate_commands()\n" \
    "local function alive(p, v)\n" \
    "  local _, a, _, i = string.match(v, '^(%d+) (%S+) (%S+) (%S+)$')\n" \
    "  return a ~= nil and redis.call('HGET', p .. ':relay:' .. a, 'instance') == i\n" \
    "end\n" \
    "local function raise_epoch(p, floor)\n" \
    "  if (tonumber(redis.call('GET', p .. ':epoch')) or 0) < floor then\n" \
    "    redis.call('SET', p .. ':epoch', string.format('%d', floor))\n" \
    "  end\n" \
    "end\n" \
    "local function next_epoch(p, floor)\n" \
    "  raise_epoch(p, floor)\n" \
    "  return redis.call('INCR', p .. ':epoch')\n" \
    "end\n" \
    "local function now_ms()\n" \
    "  local t = redis.call('TIME')\n" \
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
    "end\n" \
    "local function pulse(p, now, stale)\n" \
    "  local last = tonumber(redis.call('GET', p .. ':pulse')) or 0\n" \
    "  local up = tonumber(redis.call('GET', p .. ':up')) or now\n" \
    "  if now - last > stale * 2 / 3 then\n" \
    "    up = now\n" \
    "    redis.call('SET', p .. ':up', string.format('%d', up))\n" \
    "  end\n" \
    "  redis.call('SET', p .. ':pulse', string.format('%d', now))\n" \
    "  return up\n" \
    "end\n" \
    "local function cutoff(now, up, stale)\n" \
    "  if now - up < stale then return -1 end\n" \
    "  return now - stale\n" \
    "end\n" \
    "local function pick(p, asker, exclude, out, floor, cut)\n" \
    "  local best, bscore, binst, btr\n" \
    "  for _, a in ipairs(redis.call('SMEMBERS', p .. ':relays')) do\n" \
    "    local h = redis.call('HMGET', p .. ':relay:' .. a, 'instance', 'transport',\n" \
    "                         'capacity', 'rooms', 'clients', 'draining', 'beat')\n" \
    "    if not h[1] then\n" \
    "      redis.call('SREM', p .. ':relays', a)\n" \
    "    elseif a ~= exclude and a ~= out and h[6] ~= '1' and\n" \
    "           tonumber(h[5]) < tonumber(h[3]) and\n" \
    "           (tonumber(h[7]) or cut) >= cut then\n" \
    "      local score = tonumber(h[4]) / tonumber(h[3])\n" \
    "      if redis.call('EXISTS', p .. ':shun:' .. a) == 1 then\n" \
    "        score = score + 2\n" \
    "      end\n" \
    "      if not best or score < bscore or (score == bscore and a == asker) then\n" \
    "        best, bscore, binst, btr = a, score, h[1], h[2]\n" \
    "      end\n" \
    "    end\n" \
    "  end\n" \
    "  if not best then return nil end\n" \
    "  local e = next_epoch(p, floor)\n" \
    "  redis.call('HINCRBY', p .. ':relay:' .. best, 'rooms', 1)\n" \
    "  return e .. ' ' .. best .. ' ' .. btr .. ' ' .. binst\n" \
    "end\n"

/* The rooms' entries (P:rooms, P:roomidx). entry_drop(p, room): the
 * entry gone from both. */
#define LUA_ENTRY \
    "local function entry_drop(p, room)\n" \
    "  redis.call('HDEL', p .. ':rooms', room)\n" \
    "  redis.call('ZREM', p .. ':roomidx', room)\n" \
    "end\n"

/* PLACE. ARGV:
 *   [1] prefix         [2] room          [3] asker's address
 *   [4] TTL ms         [5] floor         [6] suspect (0|1: a client of the
 *                                            room lost its holder)
 *   [7] stale ms       [8] the relay that client named lost ('' none)
 *   [9] out ms (the keep-out)            [10] the reporter's player id
 *                                            ('' none: no key, no evidence)
 * Returns {status, x, out, record, refused, members}:
 *   'held', value    the claim of a live holder (renewed for the TTL when
 *                    the holder asks: it starts a whole lease from this
 *                    answer); with suspect, a holder that beat within the
 *                    last half of `stale` (while the directory answered),
 *                    unless the report named it (below);
 *   'placed', value  a new claim (SET NX; XX over a dead holder's claim, or
 *                    with suspect over a holder stale for `stale` while the
 *                    directory answered, or over a holder that beat within
 *                    that half, which the report named, when the reporter
 *                    is one of the room's members as the holder published
 *                    them (P:members:ROOM) and no P:out:ROOM is set: a room
 *                    moves on a report at most once per out ms, that holder
 *                    then kept out of it for out ms and placed on last for
 *                    any room as long (P:shun:ADDR); it hears of it at its
 *                    next heartbeat) on the relay pick() chose (none: a
 *                    named holder keeps the room);
 *   'wait', ms       suspect, and the holder's heartbeats are overdue but
 *                    not stale yet: ask again in ms;
 *   'none', ''       no relay can take the room.
 * out: the relay kept out of the room (P:out:ROOM: a release whose room's
 * last member was dropped, or a report), '' if none. record: the room's
 * record (P:keep:ROOM) when the claim answered is the asker's, which
 * applies it before any join of the room; '' otherwise or none. refused:
 * '1' when the report named a holder that beats but its reporter is no
 * member of the room (a stranger: taken as a plain join), else '0'.
 * members: with the record, the player ids its last holder published
 * (space-separated): they take their places back in it, closed or not. */
static const char place_lua[] = LUA_COMMON
    "local p, rk, asker = ARGV[1], ARGV[1] .. ':room:' .. ARGV[2], ARGV[3]\n"
    "local ttl, floor, stale = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[7])\n"
    "local ok = p .. ':out:' .. ARGV[2]\n"
    "local kk = p .. ':keep:' .. ARGV[2]\n"
    "local now = now_ms()\n"
    "local up = pulse(p, now, stale)\n"
    "local cur = redis.call('GET', rk)\n"
    "local exclude, named, refused = '', false, '0'\n"
    "local function answer(st, v, out)\n"
    "  local mine = v ~= '' and string.match(v, '^%d+ (%S+) ') == asker\n"
    "  local rec = mine and redis.call('GET', kk) or ''\n"
    "  local ids = rec ~= '' and redis.call('SMEMBERS', p .. ':members:' .. ARGV[2]) or {}\n"
    "  return {st, v, out or '', rec, refused, table.concat(ids, ' ')}\n"
    "end\n"
    "if cur and alive(p, cur) then\n"
    "  local holder = string.match(cur, '^%d+ (%S+) ')\n"
    "  if holder == asker then redis.call('PEXPIRE', rk, ttl) end\n"
    "  if holder == asker or ARGV[6] ~= '1' then return answer('held', cur) end\n"
    "  local beat = tonumber(redis.call('HGET', p .. ':relay:' .. holder, 'beat')) or now\n"
    "  local quiet = now - math.max(beat, up)\n"
    "  named = quiet * 2 < stale and holder == ARGV[8] and redis.call('EXISTS', ok) == 0\n"
    "  if named and (ARGV[10] == '' or\n"
    "                redis.call('SISMEMBER', p .. ':members:' .. ARGV[2], ARGV[10]) == 0) then\n"
    "    named, refused = false, '1'\n" /* a stranger's report moves nothing */
    "  end\n"
    "  if quiet * 2 < stale and not named then return answer('held', cur) end\n"
    "  if quiet < stale and not named then\n"
    "    return answer('wait', string.format('%d', stale - quiet))\n"
    "  end\n"
    "  exclude = holder\n"
    "end\n"
    "local out = redis.call('GET', ok) or ''\n"
    "local v = pick(p, asker, exclude, out, floor, cutoff(now, up, stale))\n"
    "if not v and named then return answer('held', cur) end\n"
    "if not v then return answer('none', '', out) end\n"
    "if named then\n"
    "  redis.call('SET', ok, exclude, 'PX', ARGV[9])\n"
    "  redis.call('SET', p .. ':shun:' .. exclude, '1', 'PX', ARGV[9])\n"
    "  out = exclude\n"
    "end\n"
    "redis.call('SET', rk, v, cur and 'XX' or 'NX', 'PX', ttl)\n"
    "return answer('placed', v, out)\n";

/* HEARTBEAT. ARGV:
 *   [1] prefix        [2] address       [3] TTL ms
 *   [4] instance      [5] transport     [6] capacity
 *   [7] rooms         [8] clients       [9] draining (0|1)
 *   [10] floor        [11] stale ms
 *   [12] listing (this relay's rooms, as an older relay published them: ''
 *        now; '-': as the call before published, for a heartbeat's later
 *        calls)
 *   [13] most (bytes of the other relays' listings to return; 0: none)
 *   [14] shun ms (its clients were all dropped at once: placed on last,
 *        P:shun:ADDR, for this long unless it is already for longer; 0: no)
 *   [15] keep ms (how long a room's record, P:keep:ROOM, outlives its last
 *        renewal)
 *   [16..] pairs of room and the claim value this relay holds
 * Registers the relay (hash with its beat, Redis's time now; TTL; index),
 * then renews each claim whose value is unchanged, with the room's members
 * and record (P:members:ROOM, P:keep:ROOM, for keep ms: they outlive the
 * claim, for the room's next holder).
 * Returns {renewals, listings}: renewals a flat array of triples for the
 * other claims: room, 'lost' and the live holder's value; or room,
 * 'reclaimed' and a new value (the claim had expired or its later holder
 * is gone: nobody holds it, so the epoch moves on and this relay keeps it);
 * listings the other registered relays' listings, those that fit in `most`
 * bytes. The epoch counter is first raised to the floor (the relay's
 * high-water mark, at least the highest epoch it holds), so epochs keep
 * growing even after Redis lost its data. */
static const char heartbeat_lua[] = LUA_COMMON
    "local p, me, ttl = ARGV[1], ARGV[2], ARGV[3]\n"
    "local now = now_ms()\n"
    "pulse(p, now, tonumber(ARGV[11]))\n"
    "local k = p .. ':relay:' .. me\n"
    "redis.call('HSET', k, 'instance', ARGV[4], 'transport', ARGV[5], 'capacity', ARGV[6],\n"
    "           'rooms', ARGV[7], 'clients', ARGV[8], 'draining', ARGV[9],\n"
    "           'beat', string.format('%d', now))\n"
    "if ARGV[12] ~= '-' then redis.call('HSET', k, 'listing', ARGV[12]) end\n"
    "redis.call('PEXPIRE', k, ttl)\n"
    "local sk, shun = p .. ':shun:' .. me, tonumber(ARGV[14])\n"
    "if shun > 0 and redis.call('PTTL', sk) < shun then\n"
    "  redis.call('SET', sk, '1', 'PX', ARGV[14])\n"
    "end\n"
    "redis.call('SADD', p .. ':relays', me)\n"
    "local floor = tonumber(ARGV[10])\n"
    "for i = 17, #ARGV, 2 do\n"
    "  floor = math.max(floor, tonumber(string.match(ARGV[i], '^%d+')) or 0)\n"
    "end\n"
    "raise_epoch(p, floor)\n"
    "local out = {}\n"
    "local function renew(room)\n" /* the room's members and record live with it */
    "  redis.call('PEXPIRE', p .. ':members:' .. room, ARGV[15])\n"
    "  redis.call('PEXPIRE', p .. ':keep:' .. room, ARGV[15])\n"
    "end\n"
    "for i = 16, #ARGV - 1, 2 do\n"
    "  local rk = p .. ':room:' .. ARGV[i]\n"
    "  local cur = redis.call('GET', rk)\n"
    "  if cur == ARGV[i + 1] then\n"
    "    redis.call('PEXPIRE', rk, ttl)\n"
    "    renew(ARGV[i])\n"
    "  elseif cur and alive(p, cur) then\n"
    "    out[#out + 1] = ARGV[i]; out[#out + 1] = 'lost'; out[#out + 1] = cur\n"
    "  else\n"
    "    local v = next_epoch(p, floor) .. ' ' .. me .. ' ' .. ARGV[5] ..\n"
    "              ' ' .. ARGV[4]\n"
    "    redis.call('SET', rk, v, 'PX', ttl)\n"
    "    renew(ARGV[i])\n"
    "    out[#out + 1] = ARGV[i]; out[#out + 1] = 'reclaimed'; out[#out + 1] = v\n"
    "  end\n"
    "end\n"
    "local lists, left = {}, tonumber(ARGV[13])\n"
    "if left > 0 then\n"
    "  for _, a in ipairs(redis.call('SMEMBERS', p .. ':relays')) do\n"
    "    local l = a ~= me and redis.call('HGET', p .. ':relay:' .. a, 'listing')\n"
    "    if l and #l <= left then\n"
    "      lists[#lists + 1] = l; left = left - #l\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {out, lists}\n";

/* RELEASE. ARGV:
 *   [1] prefix        [2] room          [3] the claim value held
 *   [4] the holder's address            [5] out ms (0, or how long placement
 *                                           keeps the holder out of the
 *                                           room: P:out:ROOM)
 *   [6] ended ('1': the room ended, its last member left by itself)
 * Deletes the claim if it is still that value, with the room's members and
 * its entry (P:rooms, P:roomidx); its record too when the room ended, not
 * otherwise (its last member was dropped, or its members were sent to join
 * again elsewhere: the record waits for them). Returns 1 if it deleted the
 * claim. */
static const char release_lua[] = LUA_ENTRY
    "local p, rk = ARGV[1], ARGV[1] .. ':room:' .. ARGV[2]\n"
    "if (tonumber(ARGV[5]) or 0) > 0 then\n"
    "  redis.call('SET', p .. ':out:' .. ARGV[2], ARGV[4], 'PX', ARGV[5])\n"
    "end\n"
    "if redis.call('GET', rk) ~= ARGV[3] then return 0 end\n"
    "redis.call('DEL', rk, p .. ':members:' .. ARGV[2])\n"
    "if ARGV[6] == '1' then redis.call('DEL', p .. ':keep:' .. ARGV[2]) end\n"
    "entry_drop(p, ARGV[2])\n"
    "local k = p .. ':relay:' .. ARGV[4]\n"
    "if redis.call('EXISTS', k) == 1 then redis.call('HINCRBY', k, 'rooms', -1) end\n"
    "return 1\n";

/* HANDOVER. ARGV: prefix, room, the value held, the holder's address, TTL
 * ms, floor, stale ms. Moves the claim to the relay pick() chooses among
 * the others. Returns {'moved', new value}, {'lost', the live holder's value} if this
 * relay no longer held it, or {'gone', ''} (claim deleted) if no other
 * relay can take it. The room's entry goes either way but 'lost': its new
 * holder writes it once its members are there. */
static const char handover_lua[] = LUA_COMMON LUA_ENTRY
    "local p, rk = ARGV[1], ARGV[1] .. ':room:' .. ARGV[2]\n"
    "local cur = redis.call('GET', rk)\n"
    "if cur ~= ARGV[3] and cur and alive(p, cur) then return {'lost', cur} end\n"
    "entry_drop(p, ARGV[2])\n"
    "local now = now_ms()\n"
    "local up = pulse(p, now, tonumber(ARGV[7]))\n"
    "local v = pick(p, '', ARGV[4], '', tonumber(ARGV[6]),\n"
    "               cutoff(now, up, tonumber(ARGV[7])))\n"
    "if not v then\n"
    "  redis.call('DEL', rk)\n"
    "  return {'gone', ''}\n"
    "end\n"
    "redis.call('SET', rk, v, 'PX', ARGV[5])\n"
    "return {'moved', v}\n";

/* ROOMS_PUT. ARGV: prefix, the writer's address, its instance, then pairs
 * of room and its entry as fleet_room_entry_format writes it ("MEMBERS
 * CAPACITY[ FLAGS][ {PROPS}]"; '': the room is gone from the writer). An
 * entry is written (P:rooms: "ADDR INSTANCE " before it; P:roomidx) only
 * while the writer's claim of the room stands, so a relay that lost a room
 * never overwrites its new holder's; a removal takes only the writer's own
 * entry. Returns how many entries were not written (their claim is not
 * the writer's). */
static const char rooms_put_lua[] = LUA_ENTRY
    "local p, me = ARGV[1], ARGV[2] .. ' ' .. ARGV[3]\n"
    "local h, skipped = p .. ':rooms', 0\n"
    "for i = 4, #ARGV - 1, 2 do\n"
    "  local room, v = ARGV[i], ARGV[i + 1]\n"
    "  if v == '' then\n"
    "    local cur = redis.call('HGET', h, room)\n"
    "    if cur and string.sub(cur, 1, #me + 1) == me .. ' ' then entry_drop(p, room) end\n"
    "  else\n"
    "    local c, a, inst = redis.call('GET', p .. ':room:' .. room)\n"
    "    if c then a, inst = string.match(c, '^%d+ (%S+) %S+ (%S+)$') end\n"
    "    if a and a .. ' ' .. inst == me then\n"
    "      redis.call('HSET', h, room, me .. ' ' .. v)\n"
    "      redis.call('ZADD', p .. ':roomidx', 0, room)\n"
    "    else\n"
    "      skipped = skipped + 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return skipped\n";

/* LIST. ARGV: prefix, room prefix, after ('': from the first), match (a
 * JSON object of strings, '': any), page (entries to return), walk (names
 * of P:roomidx to look at, at most), mode, then each pair of the match as
 * the props' JSON prints it ('"KEY":"VALUE"': an entry without them all
 * is passed by before its props are read). Mode:
 *   'list'  the rooms under the room prefix after `after`, listed (not
 *           unlisted) and whose props hold every key of match with an equal
 *           value, in name order;
 *   'any'   of those, the fullest open one with space (first by name of
 *           equals), the walk ended by one with a single place left;
 *   'sweep' none: only the entries whose holder is gone removed, whether
 *           they would be listed or not (a heartbeat's share of the index);
 *   'free'  the room prefix and the smallest number 1..9999 no entry names
 *           (a room placed but not yet written may be named again: the
 *           join goes there, as two joins racing for one new name do).
 * An entry whose holder is not the live relay (P:relay:ADDR's instance)
 * that claims the room (P:room:ROOM) is skipped and removed: a dead
 * relay's rooms leave the listing with its claims (the holder is checked
 * only for the entries that would be returned: the walk reads 128 names
 * and their entries at a time, a GET a room and one HGET a holder the
 * rest). Returns {text, code,
 * last}: text the rooms, "ROOM MEMBERS CAPACITY[ FLAGS][ {PROPS}]\n" each
 * ('list': at most page; 'any': the one picked or ''; 'free': the name or
 * '' when every number is taken); code 0: no room follows, 1: a room
 * that matches follows the page ('list'), 2: the walk stopped at its
 * bound, ask again after last; last: the last name looked at. */
static const char list_lua[] = LUA_ENTRY
    "local p, pre, after, want = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
    "local page, walk, mode = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]\n"
    "local h = p .. ':rooms'\n"
    "if mode == 'free' then\n"
    "  for k = 1, 9999 do\n"
    "    local name = pre .. k\n"
    "    if redis.call('HEXISTS', h, name) == 0 then\n"
    "      return {name, 0, ''}\n"
    "    end\n"
    "  end\n"
    "  return {'', 0, ''}\n"
    "end\n"
    "local match\n"
    "if want ~= '' then match = cjson.decode(want) end\n"
    "local lo = '[' .. pre\n"
    "if after ~= '' and after >= pre then lo = '(' .. after end\n"
    "local hi = '+'\n"
    "if pre ~= '' then hi = '[' .. pre .. '\\255' end\n"
    "local lives, out, best, bestm, last = {}, {}, '', -1, ''\n"
    "local function live(a, inst)\n"
    "  local k = a .. ' ' .. inst\n"
    "  if lives[k] == nil then\n"
    "    lives[k] = redis.call('HGET', p .. ':relay:' .. a, 'instance') == inst\n"
    "  end\n"
    "  return lives[k]\n"
    "end\n"
    "local function holds(v, room)\n"
    "  local a, inst = string.match(v, '^(%S+) (%S+) ')\n"
    "  local c = a and redis.call('GET', p .. ':room:' .. room)\n"
    "  if not c then return false end\n"
    "  local ca, ci = string.match(c, '^%d+ (%S+) %S+ (%S+)$')\n"
    "  return ca == a and ci == inst and live(a, inst)\n"
    "end\n"
    "local function props_hold(tail)\n"
    "  if not match then return true end\n"
    "  for i = 8, #ARGV do\n"
    "    if not string.find(tail, ARGV[i], 1, true) then return false end\n"
    "  end\n"
    "  local b, props = string.find(tail, '{', 1, true), {}\n"
    "  if b then\n"
    "    local ok, o = pcall(cjson.decode, string.sub(tail, b))\n"
    "    if not ok or type(o) ~= 'table' then return false end\n"
    "    props = o\n"
    "  end\n"
    "  for k, v in pairs(match) do\n"
    "    if props[k] ~= v then return false end\n"
    "  end\n"
    "  return true\n"
    "end\n"
    "local walked = 0\n"
    "while walked < walk do\n"
    "  local want = math.min(128, walk - walked)\n"
    "  local names = redis.call('ZRANGEBYLEX', p .. ':roomidx', lo, hi, 'LIMIT', 0, want)\n"
    "  if #names == 0 then break end\n"
    "  local vals = redis.call('HMGET', h, unpack(names))\n"
    "  for k, room in ipairs(names) do\n"
    "    last = room\n"
    "    local v = vals[k]\n"
    "    local m, c, tail, flags\n"
    "    if v then m, c, tail = string.match(v, '^%S+ %S+ (%d+) (%d+)(.*)$') end\n"
    "    if m then\n"
    "      local b = string.find(tail, '{', 1, true)\n"
    "      flags = b and string.sub(tail, 1, b - 1) or tail\n"
    "    end\n"
    "    if not m or (mode == 'sweep' and not holds(v, room)) then\n"
    "      entry_drop(p, room)\n"
    "    elseif mode == 'sweep' then\n"
    "    elseif not string.find(flags, 'unlisted', 1, true) and props_hold(tail) then\n"
    "      if not holds(v, room) then\n"
    "        entry_drop(p, room)\n"
    "      elseif mode == 'any' then\n"
    "        m, c = tonumber(m), tonumber(c)\n"
    "        if not string.find(flags, 'closed', 1, true) and m < c and m > bestm then\n"
    "          best, bestm = room .. ' ' .. m .. ' ' .. c .. tail .. '\\n', m\n"
    "          if m + 1 == c then return {best, 0, room} end\n"
    "        end\n"
    "      else\n"
    "        if #out == page then return {table.concat(out), 1, last} end\n"
    "        out[#out + 1] = room .. ' ' .. m .. ' ' .. c .. tail .. '\\n'\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  walked = walked + #names\n"
    "  if #names < want then break end\n"
    "  lo = '(' .. names[#names]\n"
    "end\n"
    "local code = 0\n"
    "if walked == walk then code = 2 end\n"
    "if mode ~= 'list' then return {best, code, last} end\n"
    "return {table.concat(out), code, last}\n";
/* KEEP. ARGV:
 *   [1] prefix        [2] room          [3] the claim value held
 *   [4] TTL ms (unused: the members live with the record)
 *   [5] keep ms       [6] the room's record ('-': as written before)
 *   [7..] the player ids of its members (FLEET_KEEP_MEMBERS at most)
 * What the holder of a room publishes of it when it changes: its members
 * (P:members:ROOM, replaced: whose report of the holder lost counts, and
 * who take their places back on its next holder) and its record
 * (P:keep:ROOM: what a new holder applies), both for keep ms. Only while
 * the claim is still that value (a relay that lost the room writes
 * nothing). Returns 1 if written, 0 if not held. */
static const char keep_lua[] =
    "local p, room = ARGV[1], ARGV[2]\n"
    "if redis.call('GET', p .. ':room:' .. room) ~= ARGV[3] then return 0 end\n"
    "local mk = p .. ':members:' .. room\n"
    "redis.call('DEL', mk)\n"
    "for i = 7, #ARGV do redis.call('SADD', mk, ARGV[i]) end\n"
    "if #ARGV >= 7 then redis.call('PEXPIRE', mk, ARGV[5]) end\n"
    "if ARGV[6] ~= '-' then\n"
    "  redis.call('SET', p .. ':keep:' .. room, ARGV[6], 'PX', ARGV[5])\n"
    "end\n"
    "return 1\n";

const char *fleet_script_source(enum fleet_script s)
{
    static const char *const sources[FLEET_SCRIPT_COUNT] = {
        [FLEET_SCRIPT_PLACE] = place_lua,
        [FLEET_SCRIPT_HEARTBEAT] = heartbeat_lua,
        [FLEET_SCRIPT_RELEASE] = release_lua,
        [FLEET_SCRIPT_HANDOVER] = handover_lua,
        [FLEET_SCRIPT_ROOMS_PUT] = rooms_put_lua,
        [FLEET_SCRIPT_LIST] = list_lua,
        [FLEET_SCRIPT_KEEP] = keep_lua,
    };
    return (unsigned)s < FLEET_SCRIPT_COUNT ? sources[s] : NULL;
}
