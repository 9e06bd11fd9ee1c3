/* lockstep.c: a lockstep room's inputs and frames, byte for byte (see
 * lockstep.h; proto/PROTOCOL.md, "Lockstep rooms"). */
#include "lockstep.h"

#include <stdio.h>
#include <string.h>

#include "byteorder.h"
#include "wire.h"

void proto_lockstep_defaults(struct proto_lockstep_settings *s)
{
    *s = (struct proto_lockstep_settings){.hz = 30, .delay = 4, .slots = 8, .input_max = 16,
                                          .stand_in_last = true, .check_every = 30,
                                          .spectator_delay = 60};
}

int proto_lockstep_valid(const struct proto_lockstep_settings *s, char *why, size_t why_cap)
{
    static const struct {
        const char *name;
        size_t at;
        uint32_t lo, hi;
    } bounds[] = {
        {"hz", offsetof(struct proto_lockstep_settings, hz), 10, 60},
        {"delay", offsetof(struct proto_lockstep_settings, delay), 0, 32},
        {"slots", offsetof(struct proto_lockstep_settings, slots), 1, PROTO_LOCKSTEP_SLOTS_MAX},
        {"input_max", offsetof(struct proto_lockstep_settings, input_max), 1,
         PROTO_LOCKSTEP_INPUT_MAX},
        {"check_every", offsetof(struct proto_lockstep_settings, check_every), 0, 600},
        {"spectator_delay", offsetof(struct proto_lockstep_settings, spectator_delay), 0, 600},
    };
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        uint32_t v;
        memcpy(&v, (const char *)s + bounds[i].at, sizeof v);
        if (v < bounds[i].lo || v > bounds[i].hi) {
            if (why && why_cap)
                snprintf(why, why_cap, "lockstep: %s is %u, not within %u..%u", bounds[i].name,
                         (unsigned)v, (unsigned)bounds[i].lo, (unsigned)bounds[i].hi);
            return -1;
        }
    }
    if (s->slots * (s->input_max + 2) > PROTO_LOCKSTEP_FRAME_MAX) {
        if (why && why_cap)
            snprintf(why, why_cap, "lockstep: slots x (input_max + 2) is %u, more than %d",
                     (unsigned)(s->slots * (s->input_max + 2)), PROTO_LOCKSTEP_FRAME_MAX);
        return -1;
    }
    return 0;
}

uint32_t proto_lockstep_period_us(uint32_t hz)
{
    return hz ? 1000000u / hz : 0;
}

/* The head both messages share: version, type, a count byte, a byte, two words. */
static int head_check(const uint8_t *buf, size_t len, uint8_t type)
{
    if (len < 2)
        return PROTO_E_SHORT;
    if (buf[0] != PROTO_STATE_VERSION)
        return PROTO_E_VERSION;
    if (buf[1] != type)
        return PROTO_E_TYPE;
    return len < PROTO_LOCKSTEP_HEAD ? PROTO_E_SHORT : PROTO_OK;
}

/* ---- inputs ---- */

int proto_inputs_decode(const uint8_t *buf, size_t len, uint32_t input_max,
                        struct proto_inputs *in)
{
    int rc = head_check(buf, len, PROTO_MSG_INPUTS);
    if (rc != PROTO_OK)
        return rc;
    uint32_t count = buf[2];
    if (count > PROTO_INPUTS_MAX)
        return PROTO_E_VALUE;
    size_t at = PROTO_LOCKSTEP_HEAD;
    for (uint32_t i = 0; i < count; i++) {
        if (at >= len)
            return PROTO_E_SHORT;
        size_t n = buf[at];
        if (n > input_max)
            return PROTO_E_VALUE;
        if (len - at - 1 < n)
            return PROTO_E_SHORT;
        at += 1 + n;
    }
    if (at != len)
        return PROTO_E_VALUE;
    *in = (struct proto_inputs){.ack = be32_get(buf + 4), .first = be32_get(buf + 8),
                                .count = count, .buf = buf, .len = len};
    return PROTO_OK;
}

int proto_inputs_next(const struct proto_inputs *in, size_t *at, const uint8_t **data,
                      size_t *n)
{
    if (*at >= in->len)
        return 0;
    *n = in->buf[*at];
    *data = in->buf + *at + 1;
    *at += 1 + *n;
    return 1;
}

int proto_inputs_encode(uint8_t *buf, size_t cap, uint32_t ack, uint32_t first,
                        const uint8_t *const *data, const size_t *lens, size_t count)
{
    if (count > PROTO_INPUTS_MAX)
        return PROTO_E_VALUE;
    size_t need = PROTO_LOCKSTEP_HEAD;
    for (size_t i = 0; i < count; i++) {
        if (lens[i] > PROTO_LOCKSTEP_INPUT_MAX || (lens[i] && !data[i]))
            return PROTO_E_VALUE;
        need += 1 + lens[i];
    }
    if (need > cap)
        return PROTO_E_SPACE;
    buf[0] = PROTO_STATE_VERSION;
    buf[1] = PROTO_MSG_INPUTS;
    buf[2] = (uint8_t)count;
    buf[3] = 0;
    be32_put(buf + 4, ack);
    be32_put(buf + 8, first);
    size_t at = PROTO_LOCKSTEP_HEAD;
    for (size_t i = 0; i < count; i++) {
        buf[at] = (uint8_t)lens[i];
        if (lens[i])
            memcpy(buf + at + 1, data[i], lens[i]);
        at += 1 + lens[i];
    }
    return (int)at;
}

/* ---- frames ---- */

size_t proto_frame_measure(const uint8_t *p, size_t len, uint32_t slots)
{
    size_t at = 0;
    for (uint32_t s = 0; s < slots; s++) {
        if (at >= len || p[at] > PROTO_SLOT_LEFT)
            return 0;
        uint8_t flag = p[at++];
        if (flag == PROTO_SLOT_PRESENT || flag == PROTO_SLOT_REPEATED) {
            if (at >= len || len - at - 1 < p[at])
                return 0;
            at += 1 + (size_t)p[at];
        }
    }
    return at;
}

int proto_frames_decode(const uint8_t *buf, size_t len, struct proto_frames *fr)
{
    int rc = head_check(buf, len, PROTO_MSG_FRAMES);
    if (rc != PROTO_OK)
        return rc;
    uint32_t count = buf[2], slots = buf[3];
    if (count == 0 || slots == 0 || slots > PROTO_LOCKSTEP_SLOTS_MAX)
        return PROTO_E_VALUE;
    size_t at = PROTO_LOCKSTEP_HEAD;
    for (uint32_t i = 0; i < count; i++) {
        size_t n = proto_frame_measure(buf + at, len - at, slots);
        if (n == 0)
            return PROTO_E_VALUE;
        at += n;
    }
    if (at != len)
        return PROTO_E_VALUE;
    *fr = (struct proto_frames){.count = count, .slots = slots, .first = be32_get(buf + 4),
                                .held = be32_get(buf + 8), .buf = buf, .len = len};
    return PROTO_OK;
}

int proto_frames_next(const struct proto_frames *fr, size_t *at, const uint8_t **frame,
                      size_t *n)
{
    if (*at >= fr->len)
        return 0;
    *n = proto_frame_measure(fr->buf + *at, fr->len - *at, fr->slots);
    *frame = fr->buf + *at;
    *at += *n;
    return *n > 0;
}

void proto_frames_begin(uint8_t *buf, uint32_t slots, uint32_t first, uint32_t held)
{
    buf[0] = PROTO_STATE_VERSION;
    buf[1] = PROTO_MSG_FRAMES;
    buf[2] = 0;
    buf[3] = (uint8_t)slots;
    be32_put(buf + 4, first);
    be32_put(buf + 8, held);
}

int proto_frames_add(uint8_t *buf, size_t cap, size_t *used, const uint8_t *frame, size_t len)
{
    if (buf[2] == PROTO_FRAMES_COUNT_MAX || *used > cap || cap - *used < len)
        return PROTO_E_SPACE;
    memcpy(buf + *used, frame, len);
    *used += len;
    buf[2]++;
    return PROTO_OK;
}

int proto_frame_slot(const uint8_t *frame, size_t len, uint32_t slots, uint32_t slot,
                     enum proto_slot_flag *flag, const uint8_t **data, size_t *n)
{
    size_t at = 0;
    for (uint32_t s = 0; s < slots && at < len; s++) {
        uint8_t f = frame[at++];
        bool bytes = f == PROTO_SLOT_PRESENT || f == PROTO_SLOT_REPEATED;
        size_t k = bytes && at < len ? frame[at] : 0;
        if (s == slot) {
            *flag = (enum proto_slot_flag)f;
            *data = bytes ? frame + at + 1 : NULL;
            *n = k;
            return 0;
        }
        at += bytes ? 1 + k : 0;
    }
    return -1;
}

int proto_frame_put(uint8_t *buf, size_t cap, size_t *used, enum proto_slot_flag flag,
                    const uint8_t *data, size_t n)
{
    bool bytes = flag == PROTO_SLOT_PRESENT || flag == PROTO_SLOT_REPEATED;
    size_t need = bytes ? 2 + n : 1;
    if (*used > cap || cap - *used < need || n > PROTO_LOCKSTEP_INPUT_MAX)
        return PROTO_E_SPACE;
    buf[(*used)++] = (uint8_t)flag;
    if (bytes) {
        buf[(*used)++] = (uint8_t)n;
        if (n)
            memcpy(buf + *used, data, n);
        *used += n;
    }
    return PROTO_OK;
}

bool proto_is_inputs(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == PROTO_STATE_VERSION && buf[1] == PROTO_MSG_INPUTS;
}

bool proto_is_frames(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == PROTO_STATE_VERSION && buf[1] == PROTO_MSG_FRAMES;
}

const char *proto_slot_flag_name(enum proto_slot_flag flag)
{
    static const char *const names[] = {"empty", "present", "repeated", "left"};
    return (unsigned)flag <= PROTO_SLOT_LEFT ? names[flag] : "?";
}

void proto_sum_format(uint64_t sum, char out[PROTO_SUM_LEN + 1])
{
    snprintf(out, PROTO_SUM_LEN + 1, "%016llx", (unsigned long long)sum);
}

int proto_sum_parse(const char *hex, uint64_t *sum)
{
    uint64_t v = 0;
    for (int i = 0; i < PROTO_SUM_LEN; i++) {
        char c = hex[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint64_t)d;
    }
    if (hex[PROTO_SUM_LEN] != '\0')
        return -1;
    *sum = v;
    return 0;
}
