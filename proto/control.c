/* control.c: JSON control messages through cJSON: what a message is (its
 * type and reason names, a blank one, the rules of rooms and text) and the
 * decoder; the encoder (control_encode.c) writes by these rules. Field
 * tables are in proto/PROTOCOL.md; these files are the reference
 * implementation. */
#include "control.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

static const char *const type_names[] = {
    "join", "welcome", "joined", "left", "error", "chat", "leave", "ping", "pong", "clock",
    "cookie", "sealed", "moved", "appeared", "vanished", "rooms", "room", "check", "late",
    "desync"
};
static const char *const reason_names[] = { "quit", "timeout", "kicked" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* cJSON prints numbers with 15 significant digits, so larger integers
 * would not survive a round trip. Times in µs stay below this for 31 years. */
#define JSON_INT_MAX ((double)PROTO_TIME_MAX)

const char *proto_ctl_type_name(enum proto_ctl_type type)
{
    return (unsigned)type < COUNT(type_names) ? type_names[type] : "?";
}

const char *proto_left_reason_name(enum proto_left_reason reason)
{
    return (unsigned)reason < COUNT(reason_names) ? reason_names[reason] : "?";
}

void proto_control_init(struct proto_control *m, enum proto_ctl_type type)
{
    memset(m, 0, offsetof(struct proto_control, roster));
    m->type = type;
}

/* 1..max bytes of [A-Za-z0-9_.-]; with empty_ok 0 bytes too. */
static int name_chars_valid(const char *s, size_t max, bool empty_ok)
{
    size_t n = strlen(s);
    if ((n == 0 && !empty_ok) || n > max)
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

int proto_room_valid(const char *room)
{
    return name_chars_valid(room, PROTO_ROOM_MAX, false);
}

int proto_prefix_valid(const char *prefix)
{
    return name_chars_valid(prefix, PROTO_ROOM_MAX, true);
}

int proto_hex16_valid(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == PROTO_HEX16_LEN && s[n] == '\0';
}

bool proto_aoi_valid(double aoi)
{
    return aoi == 0 || (aoi >= PROTO_AOI_MIN && aoi <= PROTO_AOI_MAX);
}

/* 1..max bytes of [A-Za-z0-9._:-], and of extra's characters. */
static int host_chars_valid(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_' || strchr(extra, c)))
            return 0;
    }
    return 1;
}

int proto_host_valid(const char *host)
{
    return host_chars_valid(host, PROTO_HOST_MAX, "");
}

int proto_addr_valid(const char *addr)
{
    return host_chars_valid(addr, PROTO_ADDR_MAX, "[]");
}

/* C0 controls, DEL, and C1 controls (U+0080-U+009F, UTF-8 C2 80-C2 9F):
 * none belongs in text a terminal will show (C1 0x9B is a CSI). */
static int is_control(const unsigned char *p)
{
    return p[0] < 0x20 || p[0] == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
}

int proto_text_valid(const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n > PROTO_TEXT_MAX || proto_utf8_valid_prefix(text, n) != n)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (is_control(p))
            return 0;
    return 1;
}

/* A \u0000 escape inside a JSON string: cJSON would end the C string there
 * and a field would be cut after validation ("ok\u0000\u001bevil" -> "ok"). */
static int has_escaped_nul(const char *s, size_t n)
{
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            in_string = !in_string;
        else if (in_string && s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
                return 1;
            i++; /* the escaped character: \" does not end the string */
        }
    }
    return 0;
}

/* ---- decoding ---------------------------------------------------------- */

/* Decoding context: where the fault and the reason go. */
struct reader {
    struct proto_fault *fault;
    char *why;
    size_t why_cap;
};

static int fail(struct reader *r, int rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records how (rc) and where (field: its wire name, NULL for the message
 * as a whole) decoding failed, and the reason for people. Returns rc. */
static int fail(struct reader *r, int rc, const char *field, const char *fmt, ...)
{
    r->fault->err = rc;
    r->fault->field = field ? field : "";
    if (r->why && r->why_cap > 0) {
#ifdef PROTO_WHY_REWORDED
        /* tests/test_control_reworded.c: no reason keeps its words */
        (void)fmt;
        snprintf(r->why, r->why_cap, "reworded");
#else
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, r->why_cap, fmt, ap);
        va_end(ap);
#endif
    }
    return rc;
}

/* Finds field `name`; returns it, or NULL and sets *rc when it is required
 * and missing. */
static const cJSON *field(struct reader *r, const cJSON *o, const char *name, int required, int *rc)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if ((!f || cJSON_IsNull(f)) && required)
        *rc = fail(r, PROTO_E_MISSING, name, "field \"%s\" is missing", name);
    return f && !cJSON_IsNull(f) ? f : NULL;
}

/* Finds string field `name`: PROTO_OK with *f set (NULL: absent, and
 * optional), or the failure. */
static int string_field(struct reader *r, const cJSON *o, const char *name, int required,
                        const cJSON **f)
{
    int rc = PROTO_OK;
    *f = field(r, o, name, required, &rc);
    if (*f && !cJSON_IsString(*f))
        return fail(r, PROTO_E_FIELD_TYPE, name, "field \"%s\" must be a string", name);
    return rc;
}

/* Reads a string field into dst (cap bytes incl. NUL). Too long or failing
 * `valid` is PROTO_E_VALUE. */
static int read_string(struct reader *r, const cJSON *o, const char *name, int required,
                       char *dst, size_t cap, int (*valid)(const char *))
{
    const cJSON *f;
    int rc = string_field(r, o, name, required, &f);
    if (rc != PROTO_OK || !f)
        return rc;
    if (strlen(f->valuestring) >= cap || (valid && !valid(f->valuestring)))
        return fail(r, PROTO_E_VALUE, name, "field \"%s\" is not a valid value", name);
    memcpy(dst, f->valuestring, strlen(f->valuestring) + 1);
    return PROTO_OK;
}

/* Reads a player's name field into dst (PROTO_NAME_MAX + 1 bytes): a
 * name that breaks the rule is PROTO_E_VALUE, its reason saying which part. */
static int read_name(struct reader *r, const cJSON *o, int required, char *dst)
{
    char why[PROTO_TEXT_MAX + 1];
    const cJSON *f;
    int rc = string_field(r, o, "name", required, &f);
    if (rc != PROTO_OK || !f)
        return rc;
    if (!proto_name_check(f->valuestring, PROTO_NAME_MAX, why, sizeof why))
        return fail(r, PROTO_E_VALUE, "name", "%s", why);
    memcpy(dst, f->valuestring, strlen(f->valuestring) + 1);
    return PROTO_OK;
}

/* Finds number field `name`: PROTO_OK with *f set (NULL: absent, and
 * optional), or the failure. */
static int number_field(struct reader *r, const cJSON *o, const char *name, int required,
                        const cJSON **f)
{
    int rc = PROTO_OK;
    *f = field(r, o, name, required, &rc);
    if (*f && !cJSON_IsNumber(*f))
        return fail(r, PROTO_E_FIELD_TYPE, name, "field \"%s\" must be a number", name);
    return rc;
}

/* Reads an integer field in [0, max]. */
static int read_uint(struct reader *r, const cJSON *o, const char *name, int required,
                     double max, uint64_t *dst)
{
    const cJSON *f;
    int rc = number_field(r, o, name, required, &f);
    if (rc != PROTO_OK || !f)
        return rc;
    if (!(f->valuedouble >= 0 && f->valuedouble <= max) ||
        f->valuedouble != floor(f->valuedouble))
        return fail(r, PROTO_E_VALUE, name, "field \"%s\" is out of range", name);
    *dst = (uint64_t)f->valuedouble;
    return PROTO_OK;
}

/* Reads a required integer field in [-max, max]. */
static int read_int(struct reader *r, const cJSON *o, const char *name, double max, int64_t *dst)
{
    const cJSON *f;
    int rc = number_field(r, o, name, 1, &f);
    if (rc != PROTO_OK || !f)
        return rc;
    if (!(fabs(f->valuedouble) <= max) || f->valuedouble != floor(f->valuedouble))
        return fail(r, PROTO_E_VALUE, name, "field \"%s\" is out of range", name);
    *dst = (int64_t)f->valuedouble;
    return PROTO_OK;
}

static int read_id(struct reader *r, const cJSON *o, const char *name, int required,
                   uint32_t *dst)
{
    uint64_t v = *dst;
    int rc = read_uint(r, o, name, required, 4294967295.0, &v);
    *dst = (uint32_t)v;
    return rc;
}

static int read_float(struct reader *r, const cJSON *o, const char *name, float *dst)
{
    const cJSON *f;
    int rc = number_field(r, o, name, 1, &f);
    if (rc != PROTO_OK || !f)
        return rc;
    if (!(fabs(f->valuedouble) <= PROTO_VALUE_MAX))
        return fail(r, PROTO_E_VALUE, name, "field \"%s\" is out of range", name);
    *dst = (float)f->valuedouble;
    return PROTO_OK;
}

static int read_mode(struct reader *r, const cJSON *o, int required, enum proto_mode *mode)
{
    char name[16] = "";
    int rc = read_string(r, o, "mode", required, name, sizeof name, NULL);
    if (rc != PROTO_OK || name[0] == '\0')
        return rc;
    if (proto_mode_parse(name, mode) != 0)
        return fail(r, PROTO_E_VALUE, "mode", "field \"mode\" is not a valid value");
    return PROTO_OK;
}

static int read_bool(struct reader *r, const cJSON *o, const char *name, bool *dst)
{
    int rc = PROTO_OK;
    const cJSON *f = field(r, o, name, 0, &rc);
    if (!f)
        return rc;
    if (!cJSON_IsBool(f))
        return fail(r, PROTO_E_FIELD_TYPE, name, "field \"%s\" must be true or false", name);
    *dst = cJSON_IsTrue(f);
    return PROTO_OK;
}

static int read_state(struct reader *r, const cJSON *o, struct proto_state *s)
{
    uint64_t seq = 0;
    int rc;

    if (!cJSON_IsObject(o))
        return fail(r, PROTO_E_FIELD_TYPE, "state",
                    "field \"state\" must be an object or null");
    memset(s, 0, sizeof *s);
    if ((rc = read_uint(r, o, "seq", 1, 4294967295.0, &seq)) ||
        (rc = read_uint(r, o, "t", 1, JSON_INT_MAX, &s->send_us)) ||
        (rc = read_float(r, o, "x", &s->x)) || (rc = read_float(r, o, "y", &s->y)) ||
        (rc = read_float(r, o, "vx", &s->vx)) || (rc = read_float(r, o, "vy", &s->vy)) ||
        (rc = read_float(r, o, "heading", &s->heading)))
        return rc;
    s->seq = (uint32_t)seq;
    return PROTO_OK;
}

/* A member's fields (a roster entry, an appeared notice) from e. */
/* A player's key and player id (player.h), as read_string checks them. */
static int key_ok(const char *s)
{
    return proto_key_valid(s);
}

static int player_ok(const char *s)
{
    return proto_player_valid(s);
}

/* A notice's or welcome's player id: optional (a relay from before keys). */
static int read_player(struct reader *r, const cJSON *o, struct proto_control *m)
{
    return read_string(r, o, "player", 0, m->player, sizeof m->player, player_ok);
}

static int read_member(struct reader *r, const cJSON *e, struct proto_member *mb)
{
    int rc;
    memset(mb, 0, sizeof *mb);
    if ((rc = read_id(r, e, "id", 1, &mb->id)) ||
        (rc = read_name(r, e, 1, mb->name)) ||
        (rc = read_mode(r, e, 0, &mb->mode)) ||
        (rc = read_string(r, e, "player", 0, mb->player, sizeof mb->player, player_ok)))
        return rc;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "state");
    if (st && !cJSON_IsNull(st)) {
        if ((rc = read_state(r, st, &mb->state)))
            return rc;
        mb->state.sender = mb->id;
        mb->has_state = true;
    }
    const cJSON *ck = cJSON_GetObjectItemCaseSensitive(e, "clock");
    if (ck && !cJSON_IsNull(ck)) {
        uint64_t bound = 0;
        if (!cJSON_IsObject(ck))
            return fail(r, PROTO_E_FIELD_TYPE, "clock", "roster \"clock\" must be an object");
        if ((rc = read_int(r, ck, "offset_us", JSON_INT_MAX, &mb->clock_offset_us)) ||
            (rc = read_uint(r, ck, "bound_us", 1, JSON_INT_MAX, &bound)))
            return rc;
        mb->clock_bound_us = bound;
        mb->has_clock = true;
    }
    return PROTO_OK;
}

static int read_roster(struct reader *r, const cJSON *o, struct proto_control *m)
{
    int rc = PROTO_OK;
    const cJSON *arr = field(r, o, "roster", 1, &rc), *e;
    if (!arr)
        return rc;
    if (!cJSON_IsArray(arr))
        return fail(r, PROTO_E_FIELD_TYPE, "roster", "field \"roster\" must be an array");
    m->roster_len = 0;
    cJSON_ArrayForEach(e, arr) {
        if (m->roster_len == PROTO_ROSTER_MAX)
            return fail(r, PROTO_E_VALUE, "roster", "field \"roster\" has too many members");
        if (!cJSON_IsObject(e))
            return fail(r, PROTO_E_FIELD_TYPE, "roster", "roster entries must be objects");
        if ((rc = read_member(r, e, &m->roster[m->roster_len])))
            return rc;
        m->roster_len++;
    }
    return PROTO_OK;
}

/* An optional radius of interest: absent is 0 (none). */
static int read_aoi(struct reader *r, const cJSON *o, float *aoi)
{
    int rc = PROTO_OK;
    const cJSON *f = field(r, o, "aoi", 0, &rc);
    if (!f)
        return rc;
    if (!cJSON_IsNumber(f))
        return fail(r, PROTO_E_FIELD_TYPE, "aoi", "field \"aoi\" must be a number");
    if (!proto_aoi_valid(f->valuedouble))
        return fail(r, PROTO_E_VALUE, "aoi", "field \"aoi\" is out of range");
    *aoi = (float)f->valuedouble;
    return PROTO_OK;
}

static int read_reason(struct reader *r, const cJSON *o, enum proto_left_reason *reason)
{
    char name[16];
    int rc = read_string(r, o, "reason", 1, name, sizeof name, NULL);
    if (rc != PROTO_OK)
        return rc;
    for (size_t i = 0; i < COUNT(reason_names); i++) {
        if (strcmp(name, reason_names[i]) == 0) {
            *reason = (enum proto_left_reason)i;
            return PROTO_OK;
        }
    }
    return fail(r, PROTO_E_VALUE, "reason", "field \"reason\" is not a valid value");
}

/* moved: where the room lives. */
static int read_moved(struct reader *r, const cJSON *o, struct proto_control *m)
{
    int rc;
    uint64_t port = 0;
    char transport[8];
    if ((rc = read_string(r, o, "room", 1, m->room, sizeof m->room, proto_room_valid)) ||
        (rc = read_string(r, o, "host", 1, m->host, sizeof m->host, proto_host_valid)) ||
        (rc = read_uint(r, o, "port", 1, 65535, &port)) ||
        (rc = read_string(r, o, "transport", 1, transport, sizeof transport, NULL)) ||
        (rc = read_uint(r, o, "epoch", 1, JSON_INT_MAX, &m->epoch)) ||
        (rc = read_id(r, o, "seq", 0, &m->seq)))
        return rc;
    m->forwarded = cJSON_GetObjectItemCaseSensitive(o, "seq") != NULL;
    if (port == 0)
        return fail(r, PROTO_E_VALUE, "port", "field \"port\" is out of range");
    if (m->epoch == 0)
        return fail(r, PROTO_E_VALUE, "epoch", "field \"epoch\" is out of range");
    m->port = (uint16_t)port;
    if (strcmp(transport, "udp") == 0)
        m->transport = PROTO_MODE_UDP;
    else if (strcmp(transport, "enet") == 0)
        m->transport = PROTO_MODE_UNSEQUENCED;
    else
        return fail(r, PROTO_E_VALUE, "transport", "field \"transport\" is not a valid value");
    return PROTO_OK;
}

/* The room fields of m's type (a join's settings, a room message's, a
 * welcome's room as it is, a rooms message's match and watch), or of its
 * listing's entry re (its props and open; SIZE_MAX: the message's own):
 * props.c reads them. */
static int read_room_fields(struct reader *r, const cJSON *o, struct proto_control *m, size_t re)
{
    char why[PROTO_TEXT_MAX + 1];
    const char *name = "";
    int rc = re < PROTO_ROOMS_PAGE
                 ? proto_room_entry_read(o, &m->rooms[re], &m->rooms_props[re], &name, why,
                                         sizeof why)
                 : proto_room_fields_read(o, m, &name, why, sizeof why);
    return rc == PROTO_OK ? rc : fail(r, rc, name, "%s", why);
}

/* rooms: a request (prefix, after), or a listing (rooms, more, prefix,
 * partial):
 * the field "rooms" says which. */
static int read_rooms(struct reader *r, const cJSON *o, struct proto_control *m)
{
    int rc;
    if ((rc = read_string(r, o, "prefix", 0, m->prefix, sizeof m->prefix, proto_prefix_valid)))
        return rc;
    const cJSON *arr = field(r, o, "rooms", 0, &rc), *e;
    if (!arr) {
        if ((rc = read_string(r, o, "after", 0, m->after, sizeof m->after, proto_prefix_valid)))
            return rc;
        return read_room_fields(r, o, m, SIZE_MAX); /* its match */
    }
    if (!cJSON_IsArray(arr))
        return fail(r, PROTO_E_FIELD_TYPE, "rooms", "field \"rooms\" must be an array");
    m->listing = true;
    cJSON_ArrayForEach(e, arr) {
        uint64_t members = 0, capacity = 0;
        if (m->rooms_len == PROTO_ROOMS_PAGE)
            return fail(r, PROTO_E_VALUE, "rooms", "field \"rooms\" lists more than %d",
                        PROTO_ROOMS_PAGE);
        struct proto_room_entry *re = &m->rooms[m->rooms_len];
        if (!cJSON_IsObject(e))
            return fail(r, PROTO_E_FIELD_TYPE, "rooms", "rooms entries must be objects");
        if ((rc = read_string(r, e, "room", 1, re->room, sizeof re->room, proto_room_valid)) ||
            (rc = read_uint(r, e, "members", 1, 4294967295.0, &members)) ||
            (rc = read_uint(r, e, "capacity", 1, 4294967295.0, &capacity)) ||
            (rc = read_room_fields(r, e, m, m->rooms_len)))
            return rc;
        re->members = (uint32_t)members;
        re->capacity = (uint32_t)capacity;
        m->rooms_len++;
    }
    if ((rc = read_bool(r, o, "partial", &m->partial)))
        return rc;
    rc = read_bool(r, o, "more", &m->more);
    return rc ? rc : read_room_fields(r, o, m, SIZE_MAX); /* its watch */
}

/* Error messages from a relay are shown, not trusted: over-long ones are
 * cut rather than rejected, so the code still gets through. */
static int read_message(struct reader *r, const cJSON *o, char *dst)
{
    int rc = PROTO_OK;
    const cJSON *f = field(r, o, "message", 1, &rc);
    if (!f)
        return rc;
    if (!cJSON_IsString(f))
        return fail(r, PROTO_E_FIELD_TYPE, "message", "field \"message\" must be a string");
    snprintf(dst, PROTO_TEXT_MAX + 1, "%s", f->valuestring);
    dst[proto_utf8_valid_prefix(dst, strlen(dst))] = '\0'; /* the cut may split a character */
    if (dst[0] == '\0')
        return fail(r, PROTO_E_VALUE, "message", "field \"message\" is empty");
    for (unsigned char *p = (unsigned char *)dst; *p; p++)
        if (is_control(p)) {
            if (p[0] == 0xc2) /* a C1 control is two bytes */
                *p++ = ' ';
            *p = ' ';
        }
    return PROTO_OK;
}

/* The lockstep fields of m's type (lockstep_json.c reads them). */
static int read_lockstep(struct reader *r, const cJSON *o, struct proto_control *m)
{
    char why[PROTO_TEXT_MAX + 1];
    const char *name = "";
    int rc = proto_lockstep_fields_read(o, m, &name, why, sizeof why);
    return rc == PROTO_OK ? rc : fail(r, rc, name, "%s", why);
}

/* The fields of a join. */
static int read_join(struct reader *r, const cJSON *o, struct proto_control *m)
{
    int rc;
    m->mode = PROTO_MODE_UNSEQUENCED;
    m->version = 1; /* version 1 clients did not say */
    if ((rc = read_id(r, o, "version", 0, &m->version)) ||
        (rc = read_string(r, o, "ticket", 0, m->ticket, sizeof m->ticket, NULL)) ||
        (rc = read_string(r, o, "nonce", 0, m->nonce, sizeof m->nonce, proto_hex16_valid)))
        return rc;
    /* A ticket names the room and the player: then they are optional. */
    int need = m->ticket[0] == '\0';
    if ((rc = read_string(r, o, "room", need, m->room, sizeof m->room, proto_room_valid)) ||
        (rc = read_name(r, o, need, m->name)) ||
        (rc = read_mode(r, o, 0, &m->mode)) || (rc = read_bool(r, o, "reflect", &m->reflect)) ||
        (rc = read_bool(r, o, "batch", &m->batch)) ||
        (rc = read_bool(r, o, "batch_kept", &m->batch_kept)) ||
        (rc = read_bool(r, o, "lost", &m->lost)) ||
        (rc = read_bool(r, o, "any", &m->any)) ||
        (rc = read_string(r, o, "key", 0, m->key, sizeof m->key, key_ok)))
        return rc;
    if ((rc = read_uint(r, o, "epoch", 0, JSON_INT_MAX, &m->epoch)) ||
        (rc = read_aoi(r, o, &m->aoi)) ||
        (rc = read_string(r, o, "lost_relay", 0, m->lost_relay, sizeof m->lost_relay,
                          proto_addr_valid)) ||
        (rc = read_room_fields(r, o, m, SIZE_MAX)) || (rc = read_lockstep(r, o, m)))
        return rc;
    return read_string(r, o, "cookie", 0, m->cookie, sizeof m->cookie, NULL);
}

/* joined and left: the member, and what came with it (a left: why, and an
 * owner's, who has its room now: "creator" on the wire, PROTOCOL.md). */
static int read_member_notice(struct reader *r, const cJSON *o, struct proto_control *m)
{
    int rc;
    if ((rc = read_id(r, o, "id", 1, &m->id)) ||
        (rc = read_name(r, o, 1, m->name)) ||
        (rc = read_player(r, o, m)) || (rc = read_bool(r, o, "rejoined", &m->rejoined)))
        return rc;
    if (m->type == PROTO_CTL_JOINED)
        return (rc = read_mode(r, o, 0, &m->mode)) ? rc : read_lockstep(r, o, m);
    if ((rc = read_string(r, o, "creator", 0, m->owner, sizeof m->owner, player_ok)))
        return rc;
    return read_reason(r, o, &m->reason);
}

static int read_fields(struct reader *r, const cJSON *o, struct proto_control *m)
{
    int rc;
    uint64_t t = 0;

    switch (m->type) {
    case PROTO_CTL_JOIN:
        return read_join(r, o, m);
    case PROTO_CTL_COOKIE:
        return read_string(r, o, "cookie", 1, m->cookie, sizeof m->cookie, NULL);
    case PROTO_CTL_SEALED:
        if ((rc = read_string(r, o, "salt", 1, m->salt, sizeof m->salt, proto_hex16_valid)))
            return rc;
        return read_string(r, o, "tag", 1, m->tag, sizeof m->tag, proto_hex16_valid);
    case PROTO_CTL_MOVED:
        return read_moved(r, o, m);
    case PROTO_CTL_WELCOME:
        if ((rc = read_id(r, o, "id", 1, &m->id)) ||
            (rc = read_string(r, o, "room", 1, m->room, sizeof m->room, proto_room_valid)) ||
            (rc = read_aoi(r, o, &m->aoi)) || (rc = read_player(r, o, m)) ||
            (rc = read_string(r, o, "key", 0, m->key, sizeof m->key, key_ok)) ||
            (rc = read_room_fields(r, o, m, SIZE_MAX)) || /* the room as it is */
            (rc = read_lockstep(r, o, m)))
            return rc;
        return read_roster(r, o, m);
    case PROTO_CTL_APPEARED:
        if ((rc = read_member(r, o, &m->member)))
            return rc;
        m->id = m->member.id;
        return PROTO_OK;
    case PROTO_CTL_VANISHED:
        return read_id(r, o, "id", 1, &m->id);
    case PROTO_CTL_JOINED:
    case PROTO_CTL_LEFT:
        return read_member_notice(r, o, m);
    case PROTO_CTL_ERROR:
        if ((rc = read_string(r, o, "code", 1, m->code, sizeof m->code, NULL)))
            return rc;
        if (m->code[0] == '\0')
            return fail(r, PROTO_E_VALUE, "code", "field \"code\" is empty");
        return read_message(r, o, m->text);
    case PROTO_CTL_CHAT:
        if ((rc = read_string(r, o, "text", 1, m->text, sizeof m->text, proto_text_valid)) ||
            (rc = read_id(r, o, "id", 0, &m->id)))
            return rc;
        /* From the relay a chat names its speaker: id and name go together.
         * Without an id (client -> relay) a name is ignored like any
         * unknown field. */
        if (m->id == 0)
            return PROTO_OK;
        return read_name(r, o, 1, m->name);
    case PROTO_CTL_LEAVE:
        return PROTO_OK;
    case PROTO_CTL_ROOMS:
        return read_rooms(r, o, m);
    case PROTO_CTL_ROOM: /* from the relay it names its room: then the room as it is */
        if ((rc = read_string(r, o, "room", 0, m->room, sizeof m->room, proto_room_valid)))
            return rc;
        return read_room_fields(r, o, m, SIZE_MAX);
    case PROTO_CTL_CLOCK:
        if ((rc = read_id(r, o, "id", 0, &m->id)) ||
            (rc = read_uint(r, o, "bound_us", 1, JSON_INT_MAX, &t)))
            return rc;
        m->clock_bound_us = t;
        return read_int(r, o, "offset_us", JSON_INT_MAX, &m->clock_offset_us);
    case PROTO_CTL_CHECK: case PROTO_CTL_LATE: case PROTO_CTL_DESYNC: /* lockstep rooms' */
        return read_lockstep(r, o, m);
    case PROTO_CTL_PING:
    case PROTO_CTL_PONG:
        rc = read_uint(r, o, "t", 0, JSON_INT_MAX, &t);
        m->t = t;
        if (rc == PROTO_OK && m->type == PROTO_CTL_PONG) {
            t = 0;
            rc = read_uint(r, o, "relay_t", 0, JSON_INT_MAX, &t);
            m->relay_t = t;
        }
        return rc;
    }
    return PROTO_E_UNKNOWN_TYPE;
}

int proto_control_decode(const char *buf, size_t len, struct proto_control *m,
                         char *why, size_t why_cap)
{
    struct reader r = { &m->fault, why, why_cap };
    cJSON *o;
    const cJSON *type;
    int rc = PROTO_E_UNKNOWN_TYPE;

    m->fault = (struct proto_fault){ PROTO_OK, "" };
    if (why && why_cap)
        why[0] = '\0';
    if (len > PROTO_CONTROL_MAX)
        return fail(&r, PROTO_E_LONG, NULL, "control message longer than %d bytes",
                    PROTO_CONTROL_MAX);
    /* JSON is UTF-8 (RFC 8259): check the bytes before cJSON, which passes
     * invalid ones through; and refuse NUL, raw or escaped, which cJSON's C
     * strings would silently cut at. */
    if (proto_utf8_valid_prefix(buf, len) != len)
        return fail(&r, PROTO_E_JSON, NULL, "not strict UTF-8 (or holds a NUL byte)");
    if (has_escaped_nul(buf, len))
        return fail(&r, PROTO_E_VALUE, NULL, "a string holds \\u0000");
    o = cJSON_ParseWithLength(buf, len);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return fail(&r, PROTO_E_JSON, NULL, "not a JSON object");
    }
    /* The roster is large: cleared only as far as proto_control_init does;
     * the type is read below. */
    proto_control_init(m, (enum proto_ctl_type)0);
    type = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (!type) {
        rc = fail(&r, PROTO_E_MISSING, "type", "field \"type\" is missing");
    } else if (!cJSON_IsString(type)) {
        rc = fail(&r, PROTO_E_FIELD_TYPE, "type", "field \"type\" must be a string");
    } else {
        for (size_t i = 0; i < COUNT(type_names); i++) {
            if (strcmp(type->valuestring, type_names[i]) == 0) {
                m->type = (enum proto_ctl_type)i;
                rc = read_fields(&r, o, m);
                break;
            }
        }
        if (rc == PROTO_E_UNKNOWN_TYPE)
            fail(&r, rc, "type", "unknown type \"%.40s\"", type->valuestring);
    }
    cJSON_Delete(o);
    return rc;
}
