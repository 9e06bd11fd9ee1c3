/* control_encode.c: control messages to JSON text, checked as the decoder
 * (control.c) would check them. */
#include "control.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define JSON_INT_MAX ((double)PROTO_TIME_MAX) /* cJSON's exact integers */

static cJSON *state_to_json(const struct proto_state *s)
{
    cJSON *o;
    uint8_t check[PROTO_STATE_SIZE];
    /* The binary codec's value rules hold for the JSON form too. */
    if (proto_state_encode(check, sizeof check, s) < 0)
        return NULL;
    o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "seq", s->seq);
    cJSON_AddNumberToObject(o, "t", (double)s->send_us);
    cJSON_AddNumberToObject(o, "x", s->x);
    cJSON_AddNumberToObject(o, "y", s->y);
    cJSON_AddNumberToObject(o, "vx", s->vx);
    cJSON_AddNumberToObject(o, "vy", s->vy);
    cJSON_AddNumberToObject(o, "heading", s->heading);
    return o;
}

/* A player's key or player id (player.h) as field name, left out when ""
 * (a relay that gives none, a join that has none). */
static int add_hex(cJSON *o, const char *name, const char *value, bool (*valid)(const char *))
{
    if (!value[0])
        return PROTO_OK;
    if (!valid(value))
        return PROTO_E_VALUE;
    cJSON_AddStringToObject(o, name, value);
    return PROTO_OK;
}

static int add_player(cJSON *o, const char *player)
{
    return add_hex(o, "player", player, proto_player_valid);
}

/* A member's fields (a roster entry, an appeared notice) into e. */
static int add_member(cJSON *e, const struct proto_member *mb)
{
    if (!proto_name_valid(mb->name) || (unsigned)mb->mode >= PROTO_MODE_COUNT)
        return PROTO_E_VALUE;
    cJSON_AddNumberToObject(e, "id", mb->id);
    cJSON_AddStringToObject(e, "name", mb->name);
    cJSON_AddStringToObject(e, "mode", proto_mode_name(mb->mode));
    if (add_player(e, mb->player) != PROTO_OK)
        return PROTO_E_VALUE;
    if (mb->has_state) {
        cJSON *st = state_to_json(&mb->state);
        if (!st)
            return PROTO_E_VALUE;
        cJSON_AddItemToObject(e, "state", st);
    } else {
        cJSON_AddNullToObject(e, "state");
    }
    if (mb->has_clock) {
        cJSON *ck = cJSON_AddObjectToObject(e, "clock");
        if (!ck || fabs((double)mb->clock_offset_us) > JSON_INT_MAX ||
            (double)mb->clock_bound_us > JSON_INT_MAX)
            return PROTO_E_VALUE;
        cJSON_AddNumberToObject(ck, "offset_us", (double)mb->clock_offset_us);
        cJSON_AddNumberToObject(ck, "bound_us", (double)mb->clock_bound_us);
    }
    return PROTO_OK;
}

static int add_roster(cJSON *o, const struct proto_control *m)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "roster");
    if (!arr || m->roster_len > PROTO_ROSTER_MAX)
        return PROTO_E_VALUE;
    for (size_t i = 0; i < m->roster_len; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e)
            return PROTO_E_VALUE;
        cJSON_AddItemToArray(arr, e);
        int rc = add_member(e, &m->roster[i]);
        if (rc != PROTO_OK)
            return rc;
    }
    return PROTO_OK;
}

/* A radius of interest, left out when 0 (none). */
static int add_aoi(cJSON *o, float aoi)
{
    if (!proto_aoi_valid(aoi))
        return PROTO_E_VALUE;
    if (aoi > 0)
        cJSON_AddNumberToObject(o, "aoi", aoi);
    return PROTO_OK;
}

/* A join's room settings (PROTOCOL.md, "Rooms with properties"), each
 * left out when it is the default. */
static int add_room_settings(cJSON *o, const struct proto_control *m)
{
    if (m->props.n && proto_props_add_json(o, "props", &m->props) != PROTO_OK)
        return PROTO_E_SPACE;
    if (m->match.n && proto_props_add_json(o, "match", &m->match) != PROTO_OK)
        return PROTO_E_SPACE;
    if (m->size > PROTO_ROOM_SIZE_MAX)
        return PROTO_E_VALUE;
    if (m->size)
        cJSON_AddNumberToObject(o, "size", m->size);
    if (m->unlisted)
        cJSON_AddBoolToObject(o, "listed", false);
    if (m->closed)
        cJSON_AddBoolToObject(o, "open", false);
    if (m->exists)
        cJSON_AddBoolToObject(o, "exists", true);
    return PROTO_OK;
}

/* welcome, and a room pushed: the room as it is, every field. */
static int add_room_state(cJSON *o, const struct proto_control *m)
{
    if (m->owner[0] && !proto_player_valid(m->owner))
        return PROTO_E_VALUE;
    cJSON_AddStringToObject(o, "owner", m->owner);
    if (proto_props_add_json(o, "props", &m->props) != PROTO_OK)
        return PROTO_E_SPACE;
    cJSON_AddBoolToObject(o, "open", !m->closed);
    cJSON_AddBoolToObject(o, "listed", !m->unlisted);
    cJSON_AddNumberToObject(o, "size", m->size);
    return PROTO_OK;
}

/* room: from a client the fields room_set names; from the relay (room
 * set) the room as it is. */
static int add_room(cJSON *o, const struct proto_control *m)
{
    if (m->room[0]) {
        if (!proto_room_valid(m->room))
            return PROTO_E_VALUE;
        cJSON_AddStringToObject(o, "room", m->room);
        return add_room_state(o, m);
    }
    if (m->room_set & PROTO_ROOM_SET_OPEN)
        cJSON_AddBoolToObject(o, "open", !m->closed);
    if (m->room_set & PROTO_ROOM_SET_LISTED)
        cJSON_AddBoolToObject(o, "listed", !m->unlisted);
    if (m->room_set & PROTO_ROOM_SET_PROPS)
        return proto_props_add_json(o, "props", &m->props);
    return PROTO_OK;
}

/* join: with a ticket the room and name are the ticket's: may be left out. */
static int add_join(cJSON *o, const struct proto_control *m)
{
    if ((!m->ticket[0] || m->room[0]) && !proto_room_valid(m->room))
        return PROTO_E_VALUE;
    if ((!m->ticket[0] || m->name[0]) && !proto_name_valid(m->name))
        return PROTO_E_VALUE;
    if ((unsigned)m->mode >= PROTO_MODE_COUNT)
        return PROTO_E_VALUE;
    if (m->nonce[0] && !proto_hex16_valid(m->nonce))
        return PROTO_E_VALUE;
    if (m->ticket[0])
        cJSON_AddStringToObject(o, "ticket", m->ticket);
    if (m->nonce[0])
        cJSON_AddStringToObject(o, "nonce", m->nonce);
    if (m->room[0])
        cJSON_AddStringToObject(o, "room", m->room);
    if (m->name[0])
        cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "mode", proto_mode_name(m->mode));
    cJSON_AddBoolToObject(o, "reflect", m->reflect);
    if (m->batch)
        cJSON_AddBoolToObject(o, "batch", true);
    if (m->batch_kept)
        cJSON_AddBoolToObject(o, "batch_kept", true);
    if (m->lost)
        cJSON_AddBoolToObject(o, "lost", true);
    if (m->lost && m->lost_relay[0])
        cJSON_AddStringToObject(o, "lost_relay", m->lost_relay);
    if (m->any)
        cJSON_AddBoolToObject(o, "any", true);
    cJSON_AddNumberToObject(o, "version", PROTO_VERSION);
    if (m->cookie[0])
        cJSON_AddStringToObject(o, "cookie", m->cookie);
    if (add_hex(o, "key", m->key, proto_key_valid) != PROTO_OK)
        return PROTO_E_VALUE;
    if (m->epoch) {
        if ((double)m->epoch > JSON_INT_MAX)
            return PROTO_E_VALUE;
        cJSON_AddNumberToObject(o, "epoch", (double)m->epoch);
    }
    if (add_room_settings(o, m) != PROTO_OK || proto_lockstep_fields_add(o, m) != PROTO_OK)
        return PROTO_E_VALUE;
    return add_aoi(o, m->aoi);
}

/* joined and left: a member's id and name, with its mode or why it left. */
static int add_member_notice(cJSON *o, const struct proto_control *m)
{
    if (!proto_name_valid(m->name))
        return PROTO_E_VALUE;
    if (m->type == PROTO_CTL_JOINED ? (unsigned)m->mode >= PROTO_MODE_COUNT
                                    : strcmp(proto_left_reason_name(m->reason), "?") == 0)
        return PROTO_E_VALUE;
    cJSON_AddNumberToObject(o, "id", m->id);
    cJSON_AddStringToObject(o, "name", m->name);
    if (add_player(o, m->player) != PROTO_OK)
        return PROTO_E_VALUE;
    if (m->type == PROTO_CTL_JOINED && m->rejoined)
        cJSON_AddBoolToObject(o, "rejoined", true);
    /* a left's new owner goes by the wire's first name for it (PROTOCOL.md) */
    if (m->type == PROTO_CTL_LEFT && add_hex(o, "creator", m->owner, proto_player_valid))
        return PROTO_E_VALUE;
    if (m->type == PROTO_CTL_LEFT) {
        cJSON_AddStringToObject(o, "reason", proto_left_reason_name(m->reason));
        return PROTO_OK;
    }
    cJSON_AddStringToObject(o, "mode", proto_mode_name(m->mode));
    return proto_lockstep_fields_add(o, m); /* a lockstep room's slot */
}

/* error and chat: text, with a code or (from the relay) who said it. */
static int add_text(cJSON *o, const struct proto_control *m)
{
    if (!proto_text_valid(m->text))
        return PROTO_E_VALUE;
    if (m->type == PROTO_CTL_ERROR) {
        if (m->code[0] == '\0')
            return PROTO_E_VALUE;
        cJSON_AddStringToObject(o, "code", m->code);
        cJSON_AddStringToObject(o, "message", m->text);
        return PROTO_OK;
    }
    if (m->id != 0) { /* relay -> members: who said it */
        if (!proto_name_valid(m->name))
            return PROTO_E_VALUE;
        cJSON_AddNumberToObject(o, "id", m->id);
        cJSON_AddStringToObject(o, "name", m->name);
    }
    cJSON_AddStringToObject(o, "text", m->text);
    return PROTO_OK;
}

/* clock, ping and pong: times in µs. */
static int add_times(cJSON *o, const struct proto_control *m)
{
    if (m->type == PROTO_CTL_CLOCK) {
        if (fabs((double)m->clock_offset_us) > JSON_INT_MAX ||
            (double)m->clock_bound_us > JSON_INT_MAX)
            return PROTO_E_VALUE;
        if (m->id != 0)
            cJSON_AddNumberToObject(o, "id", m->id);
        cJSON_AddNumberToObject(o, "offset_us", (double)m->clock_offset_us);
        cJSON_AddNumberToObject(o, "bound_us", (double)m->clock_bound_us);
        return PROTO_OK;
    }
    if ((double)m->t > JSON_INT_MAX || (double)m->relay_t > JSON_INT_MAX)
        return PROTO_E_VALUE;
    cJSON_AddNumberToObject(o, "t", (double)m->t);
    if (m->type == PROTO_CTL_PONG && m->relay_t)
        cJSON_AddNumberToObject(o, "relay_t", (double)m->relay_t);
    return PROTO_OK;
}

static int add_moved(cJSON *o, const struct proto_control *m)
{
    if (!proto_room_valid(m->room) || !proto_host_valid(m->host) || m->port == 0 ||
        m->epoch == 0 || (double)m->epoch > JSON_INT_MAX)
        return PROTO_E_VALUE;
    cJSON_AddStringToObject(o, "room", m->room);
    cJSON_AddStringToObject(o, "host", m->host);
    cJSON_AddNumberToObject(o, "port", m->port);
    cJSON_AddStringToObject(o, "transport", m->transport == PROTO_MODE_UDP ? "udp" : "enet");
    cJSON_AddNumberToObject(o, "epoch", (double)m->epoch);
    if (m->forwarded)
        cJSON_AddNumberToObject(o, "seq", m->seq);
    return PROTO_OK;
}

/* rooms, a request: prefix and after, each left out when "" (a listing is
 * encode_listing's). */
static int add_rooms(cJSON *o, const struct proto_control *m)
{
    if (!proto_prefix_valid(m->prefix) || !proto_prefix_valid(m->after))
        return PROTO_E_VALUE;
    if (m->prefix[0])
        cJSON_AddStringToObject(o, "prefix", m->prefix);
    if (m->after[0])
        cJSON_AddStringToObject(o, "after", m->after);
    if (m->watch)
        cJSON_AddBoolToObject(o, "watch", m->watch == PROTO_WATCH_ON);
    if (m->match.n)
        return proto_props_add_json(o, "match", &m->match);
    return PROTO_OK;
}

/* Appends what fmt makes to buf at *at; false once it does not fit. */
__attribute__((format(printf, 4, 5))) static bool put(char *buf, size_t cap, size_t *at,
                                                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, cap - *at, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *at)
        return false;
    *at += (size_t)n;
    return true;
}

/* A listed room's props, `,"props":{...}`, left out when it has none. */
static bool put_props(char *buf, size_t cap, size_t *at, const struct proto_props *p)
{
    if (!p->n)
        return true;
    if (!put(buf, cap, at, ",\"props\":"))
        return false;
    int n = proto_props_print(buf + *at, cap - *at, p);
    if (n < 0)
        return false;
    *at += (size_t)n;
    return true;
}

/* rooms, a listing (the prefix, the rooms, more), written as cJSON writes
 * it but directly: its names need no escapes and its numbers are whole,
 * and cJSON's way with a number (a printf, then a scanf to check it) made
 * a page of 64 rooms cost the relay 190 us, 25 pings' worth. */
static int encode_listing(char *buf, size_t cap, const struct proto_control *m)
{
    size_t at = 0;
    bool ok;
    if (!proto_prefix_valid(m->prefix) || m->rooms_len > PROTO_ROOMS_PAGE)
        return PROTO_E_VALUE;
    if (cap > PROTO_CONTROL_MAX + 1)
        cap = PROTO_CONTROL_MAX + 1;
    ok = put(buf, cap, &at, "{\"type\":\"rooms\"%s%s%s,\"rooms\":[",
             m->prefix[0] ? ",\"prefix\":\"" : "", m->prefix, m->prefix[0] ? "\"" : "");
    for (size_t i = 0; ok && i < m->rooms_len; i++) {
        const struct proto_room_entry *re = &m->rooms[i];
        if (!proto_room_valid(re->room))
            return PROTO_E_VALUE;
        ok = put(buf, cap, &at, "%s{\"room\":\"%s\",\"members\":%" PRIu32
                 ",\"capacity\":%" PRIu32 "%s", i ? "," : "", re->room, re->members,
                 re->capacity, re->closed ? ",\"open\":false" : "");
        ok = ok && put_props(buf, cap, &at, &m->rooms_props[i]) && put(buf, cap, &at, "}");
    }
    ok = ok && put(buf, cap, &at, "],%s\"more\":%s%s}", m->partial ? "\"partial\":true," : "",
                   m->more ? "true" : "false",
                   m->watch == PROTO_WATCH_ON ? ",\"watch\":true" : "");
    return ok ? (int)at : PROTO_E_SPACE;
}

/* Adds the type-specific fields; checks what the receiver would reject. */
static int add_fields(cJSON *o, const struct proto_control *m)
{
    switch (m->type) {
    case PROTO_CTL_JOIN:
        return add_join(o, m);
    case PROTO_CTL_WELCOME:
        if (!proto_room_valid(m->room) || add_aoi(o, m->aoi) != PROTO_OK)
            return PROTO_E_VALUE;
        cJSON_AddNumberToObject(o, "id", m->id);
        cJSON_AddStringToObject(o, "room", m->room);
        if (add_player(o, m->player) != PROTO_OK ||
            add_hex(o, "key", m->key, proto_key_valid) != PROTO_OK ||
            add_room_state(o, m) != PROTO_OK || proto_lockstep_fields_add(o, m) != PROTO_OK)
            return PROTO_E_VALUE;
        return add_roster(o, m);
    case PROTO_CTL_APPEARED:
        return add_member(o, &m->member);
    case PROTO_CTL_VANISHED:
        cJSON_AddNumberToObject(o, "id", m->id);
        return PROTO_OK;
    case PROTO_CTL_JOINED:
    case PROTO_CTL_LEFT:
        return add_member_notice(o, m);
    case PROTO_CTL_ERROR:
    case PROTO_CTL_CHAT:
        return add_text(o, m);
    case PROTO_CTL_LEAVE:
        return PROTO_OK;
    case PROTO_CTL_CLOCK:
    case PROTO_CTL_PING:
    case PROTO_CTL_PONG:
        return add_times(o, m);
    case PROTO_CTL_COOKIE:
        cJSON_AddStringToObject(o, "cookie", m->cookie);
        return PROTO_OK;
    case PROTO_CTL_SEALED:
        if (!proto_hex16_valid(m->salt) || !proto_hex16_valid(m->tag))
            return PROTO_E_VALUE;
        cJSON_AddStringToObject(o, "salt", m->salt);
        cJSON_AddStringToObject(o, "tag", m->tag);
        return PROTO_OK;
    case PROTO_CTL_MOVED:
        return add_moved(o, m);
    case PROTO_CTL_ROOMS:
        return add_rooms(o, m);
    case PROTO_CTL_ROOM:
        return add_room(o, m);
    case PROTO_CTL_CHECK:
    case PROTO_CTL_LATE:
    case PROTO_CTL_DESYNC:
        return proto_lockstep_fields_add(o, m);
    }
    return PROTO_E_VALUE;
}

int proto_control_encode(char *buf, size_t cap, const struct proto_control *m)
{
    cJSON *o;
    char *text = NULL;
    size_t len;
    int rc;

    if (strcmp(proto_ctl_type_name(m->type), "?") == 0)
        return PROTO_E_VALUE;
    if (m->type == PROTO_CTL_ROOMS && m->listing)
        return encode_listing(buf, cap, m);
    o = cJSON_CreateObject();
    if (!o)
        return PROTO_E_SPACE;
    cJSON_AddStringToObject(o, "type", proto_ctl_type_name(m->type));
    rc = add_fields(o, m);
    if (rc == PROTO_OK) {
        text = cJSON_PrintUnformatted(o);
        if (!text)
            rc = PROTO_E_SPACE;
    }
    cJSON_Delete(o);
    if (rc != PROTO_OK)
        return rc;
    len = strlen(text);
    if (len + 1 > cap || len > PROTO_CONTROL_MAX) {
        cJSON_free(text);
        return PROTO_E_SPACE;
    }
    memcpy(buf, text, len + 1);
    cJSON_free(text);
    return (int)len;
}
