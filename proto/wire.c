/* wire.c: the binary state message. Layout in proto/PROTOCOL.md. */
#include "wire.h"
#include "byteorder.h"

#include <math.h>
#include <string.h>

/* Floats travel as their IEEE 754 binary32 bits, big-endian. */
static void put_f32(uint8_t *p, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    be32_put(p, bits);
}

static float get_f32(const uint8_t *p)
{
    uint32_t bits = be32_get(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int value_ok(float v)
{
    return isfinite(v) && fabsf(v) <= PROTO_VALUE_MAX;
}

static int state_values_ok(const struct proto_state *s)
{
    return s->send_us <= PROTO_TIME_MAX && value_ok(s->x) && value_ok(s->y) &&
           value_ok(s->vx) && value_ok(s->vy) && value_ok(s->heading);
}

int proto_state_encode(uint8_t *buf, size_t cap, const struct proto_state *s)
{
    if (cap < PROTO_STATE_SIZE)
        return PROTO_E_SPACE;
    if (!state_values_ok(s))
        return PROTO_E_VALUE;
    buf[0] = PROTO_STATE_VERSION;
    buf[1] = PROTO_MSG_STATE;
    be16_put(buf + 2, 0); /* reserved */
    be32_put(buf + 4, s->sender);
    be32_put(buf + 8, s->seq);
    be64_put(buf + 12, s->send_us);
    put_f32(buf + 20, s->x);
    put_f32(buf + 24, s->y);
    put_f32(buf + 28, s->vx);
    put_f32(buf + 32, s->vy);
    put_f32(buf + 36, s->heading);
    return PROTO_STATE_SIZE;
}

int proto_state_decode(const uint8_t *buf, size_t len, struct proto_state *s)
{
    struct proto_state tmp;

    if (len < 2)
        return PROTO_E_SHORT;
    if (buf[0] != PROTO_STATE_VERSION)
        return PROTO_E_VERSION;
    if (buf[1] != PROTO_MSG_STATE)
        return PROTO_E_TYPE;
    if (len < PROTO_STATE_SIZE)
        return PROTO_E_SHORT;
    if (len > PROTO_STATE_MAX)
        return PROTO_E_LONG;
    tmp.sender = be32_get(buf + 4);
    tmp.seq = be32_get(buf + 8);
    tmp.send_us = be64_get(buf + 12);
    tmp.x = get_f32(buf + 20);
    tmp.y = get_f32(buf + 24);
    tmp.vx = get_f32(buf + 28);
    tmp.vy = get_f32(buf + 32);
    tmp.heading = get_f32(buf + 36);
    if (!state_values_ok(&tmp))
        return PROTO_E_VALUE;
    *s = tmp;
    return PROTO_OK;
}

void proto_state_stamp_sender(uint8_t *buf, uint32_t sender)
{
    be32_put(buf + 4, sender);
}

uint32_t proto_state_sender(const uint8_t *buf, size_t len)
{
    return len >= 8 ? be32_get(buf + 4) : 0;
}

int proto_event_encode(uint8_t *buf, size_t cap, uint32_t to, const void *body, size_t len)
{
    if (len > PROTO_EVENT_BODY_MAX)
        return PROTO_E_LONG;
    if (!body && len > 0)
        return PROTO_E_VALUE;
    if (cap < PROTO_EVENT_HEAD + len)
        return PROTO_E_SPACE;
    buf[0] = PROTO_STATE_VERSION;
    buf[1] = PROTO_MSG_EVENT;
    be16_put(buf + 2, 0); /* reserved */
    be32_put(buf + 4, 0); /* the relay stamps the sender */
    be32_put(buf + 8, to);
    if (len)
        memcpy(buf + PROTO_EVENT_HEAD, body, len);
    return (int)(PROTO_EVENT_HEAD + len);
}

static bool key_byte(uint8_t c)
{
    return c >= 0x21 && c <= 0x7e;
}

bool proto_event_key_valid(const char *key)
{
    size_t n = 0;
    while (key && key[n] && n <= PROTO_EVENT_KEY_MAX)
        if (!key_byte((uint8_t)key[n++]))
            return false;
    return n >= 1 && n <= PROTO_EVENT_KEY_MAX;
}

int proto_event_encode_kept(uint8_t *buf, size_t cap, const char *key, bool stay,
                            const void *body, size_t len)
{
    if (!proto_event_key_valid(key) || (!body && len > 0))
        return PROTO_E_VALUE;
    size_t klen = strlen(key);
    if (klen + len > PROTO_EVENT_BODY_MAX)
        return PROTO_E_LONG;
    if (cap < PROTO_EVENT_HEAD + klen + len)
        return PROTO_E_SPACE;
    int n = proto_event_encode(buf, cap, PROTO_EVENT_ROOM, key, klen);
    buf[2] = (uint8_t)(PROTO_EVENT_KEEP | (stay ? PROTO_EVENT_STAY : 0));
    buf[3] = (uint8_t)klen;
    if (len)
        memcpy(buf + n, body, len);
    return n + (int)len;
}

/* A kept event's key (flags, byte 3), checked: its length, or -1. */
static int event_key_len(const uint8_t *buf, size_t len)
{
    uint8_t flags = buf[2], klen = buf[3];
    if (!(flags & PROTO_EVENT_KEEP))
        return klen || (flags & PROTO_EVENT_STAY) ? -1 : 0;
    if (klen < 1 || klen > PROTO_EVENT_KEY_MAX || PROTO_EVENT_HEAD + (size_t)klen > len)
        return -1;
    for (size_t i = 0; i < klen; i++)
        if (!key_byte(buf[PROTO_EVENT_HEAD + i]))
            return -1;
    return klen;
}

int proto_event_decode(const uint8_t *buf, size_t len, struct proto_event *e)
{
    if (len < 2)
        return PROTO_E_SHORT;
    if (buf[0] != PROTO_STATE_VERSION)
        return PROTO_E_VERSION;
    if (buf[1] != PROTO_MSG_EVENT)
        return PROTO_E_TYPE;
    if (len < PROTO_EVENT_HEAD)
        return PROTO_E_SHORT;
    if (len > PROTO_EVENT_MAX)
        return PROTO_E_LONG;
    int klen = event_key_len(buf, len);
    if (klen < 0)
        return PROTO_E_VALUE;
    const uint8_t *key = buf + PROTO_EVENT_HEAD;
    *e = (struct proto_event){.sender = be32_get(buf + 4), .to = be32_get(buf + 8),
                              .flags = buf[2], .key = klen ? key : NULL,
                              .key_len = (size_t)klen, .body = key + klen,
                              .len = len - PROTO_EVENT_HEAD - (size_t)klen};
    return PROTO_OK;
}

int proto_is_event(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == PROTO_STATE_VERSION && buf[1] == PROTO_MSG_EVENT;
}

void proto_batch_begin(uint8_t buf[PROTO_BATCH_HEADER])
{
    buf[0] = PROTO_STATE_VERSION;
    buf[1] = PROTO_MSG_BATCH;
    be16_put(buf + 2, 0);
}

void proto_batch_entry_head(uint8_t head[PROTO_BATCH_ENTRY_HEAD], size_t len)
{
    be16_put(head, (uint16_t)len);
}

int proto_batch_add(uint8_t *buf, size_t cap, size_t *used, const uint8_t *state, size_t len)
{
    if (len == 0)
        return PROTO_E_VALUE;
    if (cap > PROTO_BATCH_MAX)
        cap = PROTO_BATCH_MAX;
    if (*used > cap || cap - *used < PROTO_BATCH_ENTRY_HEAD + len)
        return PROTO_E_SPACE;
    proto_batch_entry_head(buf + *used, len);
    memcpy(buf + *used + PROTO_BATCH_ENTRY_HEAD, state, len);
    *used += PROTO_BATCH_ENTRY_HEAD + len;
    return PROTO_OK;
}

int proto_is_batch(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == PROTO_STATE_VERSION && buf[1] == PROTO_MSG_BATCH;
}

int proto_batch_check(const uint8_t *buf, size_t len)
{
    if (len > PROTO_BATCH_MAX)
        return PROTO_E_LONG;
    if (len < PROTO_BATCH_HEADER + PROTO_BATCH_ENTRY_HEAD + 1 || !proto_is_batch(buf, len))
        return PROTO_E_SHORT;
    int n = 0;
    for (size_t at = PROTO_BATCH_HEADER; at < len; n++) {
        if (len - at < PROTO_BATCH_ENTRY_HEAD)
            return PROTO_E_SHORT;
        size_t entry = (size_t)buf[at] << 8 | buf[at + 1];
        at += PROTO_BATCH_ENTRY_HEAD;
        if (entry == 0)
            return PROTO_E_VALUE;
        if (len - at < entry)
            return PROTO_E_SHORT;
        at += entry;
    }
    return n;
}

int proto_batch_next(const uint8_t *buf, size_t len, size_t *at, const uint8_t **entry,
                     size_t *entry_len)
{
    if (*at + PROTO_BATCH_ENTRY_HEAD > len)
        return 0;
    size_t n = (size_t)buf[*at] << 8 | buf[*at + 1];
    if (n == 0 || len - *at - PROTO_BATCH_ENTRY_HEAD < n)
        return 0; /* not a checked batch: stop rather than read past it */
    *entry = buf + *at + PROTO_BATCH_ENTRY_HEAD;
    *entry_len = n;
    *at += PROTO_BATCH_ENTRY_HEAD + n;
    return 1;
}

const char *proto_strerror(int err)
{
    switch (err) {
    case PROTO_OK: return "ok";
    case PROTO_E_SHORT: return "too short";
    case PROTO_E_VERSION: return "bad version";
    case PROTO_E_TYPE: return "unknown message type";
    case PROTO_E_VALUE: return "value out of range";
    case PROTO_E_SPACE: return "buffer too small";
    case PROTO_E_LONG: return "too long";
    case PROTO_E_JSON: return "not a JSON object";
    case PROTO_E_MISSING: return "missing field";
    case PROTO_E_FIELD_TYPE: return "field has the wrong type";
    case PROTO_E_UNKNOWN_TYPE: return "unknown control type";
    default: return "unknown error";
    }
}
