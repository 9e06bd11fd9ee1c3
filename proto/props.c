/* props.c: a room's properties (see props.h): added within their bounds,
 * read from and written to JSON, looked up and matched. */
#include "props.h"
#include "control.h"
#include "player.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

static int say(char *why, size_t cap, const char *fmt, const char *a)
{
    if (why && cap)
        snprintf(why, cap, fmt, a);
    return -1;
}

static bool key_valid(const char *key)
{
    size_t n = strlen(key);
    return n >= 1 && n <= PROTO_PROP_KEY_MAX &&
           strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* Printable UTF-8: no C0, DEL or C1 control character. */
static bool value_valid(const char *value)
{
    size_t n = strlen(value);
    if (n > PROTO_PROP_VALUE_MAX || proto_utf8_valid_prefix(value, n) != n)
        return false;
    for (const unsigned char *s = (const unsigned char *)value; *s; s++)
        if (*s < 0x20 || *s == 0x7f || (s[0] == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0))
            return false;
    return true;
}

int proto_props_add(struct proto_props *p, const char *key, const char *value,
                    char *why, size_t why_cap)
{
    if (!key_valid(key))
        return say(why, why_cap, "props: key '%.20s' is not 1..16 bytes of A-Z a-z 0-9 _ . -",
                   key);
    if (!value_valid(value))
        return say(why, why_cap, "props: the value of '%s' is not 0..64 bytes of printable "
                   "UTF-8", key);
    if (proto_props_get(p, key))
        return say(why, why_cap, "props: key '%s' given twice", key);
    if (p->n >= PROTO_PROPS_KEYS)
        return say(why, why_cap, "props: at most 8 keys (%s is the ninth)", key);
    size_t kn = strlen(key), vn = strlen(value);
    if (p->len - p->n * 2u + kn + vn > PROTO_PROPS_BYTES)
        return say(why, why_cap, "props: keys and values are at most 256 bytes together "
                   "(%s passes it)", key);
    memcpy(p->kv + p->len, key, kn + 1);
    memcpy(p->kv + p->len + kn + 1, value, vn + 1);
    p->len = (uint16_t)(p->len + kn + vn + 2);
    p->n++;
    return 0;
}

int proto_props_read(const struct cJSON *o, const char *name, struct proto_props *p,
                     char *why, size_t why_cap)
{
    const cJSON *e;
    memset(p, 0, sizeof *p);
    if (!cJSON_IsObject(o)) {
        say(why, why_cap, "field \"%s\" must be an object of strings", name);
        return PROTO_E_FIELD_TYPE;
    }
    cJSON_ArrayForEach(e, o) {
        if (!cJSON_IsString(e)) {
            say(why, why_cap, "%s: every value is a string", name);
            return PROTO_E_FIELD_TYPE;
        }
        if (proto_props_add(p, e->string, e->valuestring, why, why_cap) != 0) {
            if (why && why_cap && strncmp(why, "props", 5) == 0 && strcmp(name, "props"))
                memcpy(why, name, 5); /* "match" is as long as "props" */
            return PROTO_E_VALUE;
        }
    }
    return PROTO_OK;
}

int proto_props_add_json(struct cJSON *o, const char *name, const struct proto_props *p)
{
    cJSON *obj = cJSON_AddObjectToObject(o, name);
    const char *value;
    if (!obj)
        return PROTO_E_SPACE;
    for (const char *k = proto_props_next(p, NULL, &value); k; k = proto_props_next(p, k, &value))
        if (!cJSON_AddStringToObject(obj, k, value))
            return PROTO_E_SPACE;
    return PROTO_OK;
}

/* s as a JSON string's contents: a value holds no control character, so
 * only the quote and the backslash need an escape. */
static bool put_escaped(char *buf, size_t cap, size_t *at, const char *s)
{
    for (; *s; s++) {
        bool esc = *s == '"' || *s == '\\';
        if (*at + 1 + esc >= cap)
            return false;
        if (esc)
            buf[(*at)++] = '\\';
        buf[(*at)++] = *s;
    }
    return true;
}

int proto_props_print(char *buf, size_t cap, const struct proto_props *p)
{
    size_t at = 0;
    const char *value;
    if (cap < 3)
        return -1;
    buf[at++] = '{';
    for (const char *k = proto_props_next(p, NULL, &value); k; k = proto_props_next(p, k, &value)) {
        int n = snprintf(buf + at, cap - at, "%s\"%s\":\"", at > 1 ? "," : "", k);
        if (n < 0 || (size_t)n >= cap - at)
            return -1;
        at += (size_t)n;
        if (!put_escaped(buf, cap, &at, value) || at + 2 >= cap)
            return -1;
        buf[at++] = '"';
    }
    if (at + 2 > cap)
        return -1;
    buf[at++] = '}';
    buf[at] = '\0';
    return (int)at;
}

const char *proto_props_next(const struct proto_props *p, const char *at, const char **value)
{
    const char *k = at ? *value + strlen(*value) + 1 : p->kv;
    if (k >= p->kv + p->len)
        return NULL;
    *value = k + strlen(k) + 1;
    return k;
}

const char *proto_props_get(const struct proto_props *p, const char *key)
{
    const char *value;
    for (const char *k = proto_props_next(p, NULL, &value); k; k = proto_props_next(p, k, &value))
        if (strcmp(k, key) == 0)
            return value;
    return NULL;
}

bool proto_props_match(const struct proto_props *have, const struct proto_props *want)
{
    const char *value;
    for (const char *k = proto_props_next(want, NULL, &value); k;
         k = proto_props_next(want, k, &value)) {
        const char *mine = proto_props_get(have, k);
        if (!mine || strcmp(mine, value) != 0)
            return false;
    }
    return true;
}

/* ---- the fields that carry them ---- */

/* Where a field failed: *field names it, why says how in words; returns rc. */
static int field_fail(const char **field, const char *name, int rc, char *why, size_t cap,
                      const char *words)
{
    *field = name;
    say(why, cap, "%s", words);
    return rc;
}

/* A bool field, absent: *dst untouched. */
static int read_flag(const cJSON *o, const char *name, bool *dst, const char **field,
                     char *why, size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!f || cJSON_IsNull(f))
        return PROTO_OK;
    if (!cJSON_IsBool(f)) {
        say(why, cap, "field \"%s\" must be true or false", name);
        *field = name;
        return PROTO_E_FIELD_TYPE;
    }
    *dst = cJSON_IsTrue(f);
    return PROTO_OK;
}

/* props or match (name), absent: *p empty; *present (may be NULL) says it came. */
static int read_set(const cJSON *o, const char *name, struct proto_props *p, bool *present,
                    const char **field, char *why, size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    memset(p, 0, sizeof *p);
    if (!f || cJSON_IsNull(f))
        return PROTO_OK;
    if (present)
        *present = true;
    int rc = proto_props_read(f, name, p, why, cap);
    if (rc != PROTO_OK)
        *field = name;
    return rc;
}

/* open and listed (each true when absent) into m->closed and m->unlisted;
 * m->room_set says which came. */
static int read_open_listed(const cJSON *o, struct proto_control *m, const char **field,
                            char *why, size_t cap)
{
    bool open = true, listed = true;
    int rc;
    if ((rc = read_flag(o, "open", &open, field, why, cap)) ||
        (rc = read_flag(o, "listed", &listed, field, why, cap)))
        return rc;
    m->closed = !open;
    m->unlisted = !listed;
    m->room_set = (uint8_t)((cJSON_GetObjectItemCaseSensitive(o, "open") ? PROTO_ROOM_SET_OPEN : 0) |
                            (cJSON_GetObjectItemCaseSensitive(o, "listed") ? PROTO_ROOM_SET_LISTED
                                                                           : 0));
    return PROTO_OK;
}

/* A join's size: absent 0, else min (1; the room as it is: 0)..PROTO_ROOM_SIZE_MAX. */
static int read_size(const cJSON *o, uint32_t *size, double min, const char **field, char *why,
                     size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "size");
    if (!f || cJSON_IsNull(f))
        return PROTO_OK;
    if (!cJSON_IsNumber(f))
        return field_fail(field, "size", PROTO_E_FIELD_TYPE, why, cap,
                          "field \"size\" must be a number");
    double v = f->valuedouble;
    if (!(v >= min && v <= PROTO_ROOM_SIZE_MAX) || v != floor(v))
        return field_fail(field, "size", PROTO_E_VALUE, why, cap,
                          "field \"size\" is out of range (1..4095)");
    *size = (uint32_t)v;
    return PROTO_OK;
}

/* A string field (absent: dst untouched) that valid takes, into dst (cap bytes). */
static int read_text(const cJSON *o, const char *name, char *dst, size_t dst_cap,
                     bool (*valid)(const char *), const char **field, char *why, size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!f || cJSON_IsNull(f))
        return PROTO_OK;
    if (!cJSON_IsString(f))
        return field_fail(field, name, PROTO_E_FIELD_TYPE, why, cap, "a field must be a string");
    if (strlen(f->valuestring) >= dst_cap || !valid(f->valuestring))
        return field_fail(field, name, PROTO_E_VALUE, why, cap, "a field is not a valid value");
    snprintf(dst, dst_cap, "%s", f->valuestring);
    return PROTO_OK;
}

static bool owner_valid(const char *s)
{
    return s[0] == '\0' || proto_player_valid(s);
}

/* The room as it is (a welcome's, a room message's from the relay): its
 * owner, size, open, listed and props, each optional (a relay before them
 * sends none). */
static int read_room_state(const cJSON *o, struct proto_control *m, const char **field,
                           char *why, size_t cap)
{
    int rc;
    bool props = false;
    if ((rc = read_text(o, "owner", m->owner, sizeof m->owner, owner_valid, field, why, cap)) ||
        (rc = read_size(o, &m->size, 0, field, why, cap)) ||
        (rc = read_open_listed(o, m, field, why, cap)) ||
        (rc = read_set(o, "props", &m->props, &props, field, why, cap)))
        return rc;
    if (props)
        m->room_set |= PROTO_ROOM_SET_PROPS;
    return PROTO_OK;
}

int proto_room_fields_read(const struct cJSON *o, struct proto_control *m, const char **field,
                           char *why, size_t why_cap)
{
    bool props = false;
    int rc;
    switch (m->type) {
    case PROTO_CTL_JOIN:
        if ((rc = read_set(o, "props", &m->props, NULL, field, why, why_cap)) ||
            (rc = read_set(o, "match", &m->match, NULL, field, why, why_cap)) ||
            (rc = read_flag(o, "exists", &m->exists, field, why, why_cap)) ||
            (rc = read_open_listed(o, m, field, why, why_cap)))
            return rc;
        m->room_set = 0;
        return read_size(o, &m->size, 1, field, why, why_cap);
    case PROTO_CTL_WELCOME:
        return read_room_state(o, m, field, why, why_cap);
    case PROTO_CTL_ROOM: /* from the relay it names its room (control.c read it) */
        if (m->room[0])
            return read_room_state(o, m, field, why, why_cap);
        if ((rc = read_open_listed(o, m, field, why, why_cap)) ||
            (rc = read_set(o, "props", &m->props, &props, field, why, why_cap)))
            return rc;
        if (props)
            m->room_set |= PROTO_ROOM_SET_PROPS;
        return PROTO_OK;
    case PROTO_CTL_ROOMS:
        return read_set(o, "match", &m->match, NULL, field, why, why_cap);
    default:
        return PROTO_OK;
    }
}

int proto_room_entry_read(const struct cJSON *o, struct proto_room_entry *re,
                          struct proto_props *props, const char **field, char *why,
                          size_t why_cap)
{
    bool open = true;
    int rc;
    if ((rc = read_set(o, "props", props, NULL, field, why, why_cap)) ||
        (rc = read_flag(o, "open", &open, field, why, why_cap)))
        return rc;
    re->closed = !open;
    re->unlisted = false; /* a listing sent names listed rooms only */
    return PROTO_OK;
}
