/* quicmsg.c: ricochet's messages inside QUIC: frames on streams, the
 * channel byte of datagrams, a stream's bytes kept until acknowledged
 * (see quicmsg.h, PROTOCOL.md "QUIC"). */
#include "quicmsg.h"

#include <stdlib.h>
#include <string.h>

#include "mode.h"
#include "byteorder.h"

/* ---- reading frames ---- */

void quicmsg_reader_init(struct quicmsg_reader *r, size_t max)
{
    *r = (struct quicmsg_reader){.max = max < 1 ? 1 : max > QUICMSG_FRAME_MAX ? QUICMSG_FRAME_MAX
                                                                              : max};
}

void quicmsg_reader_free(struct quicmsg_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->head_have = 0;
    r->need = r->have = 0;
}

bool quicmsg_reader_partial(const struct quicmsg_reader *r)
{
    return r->head_have > 0;
}

int quicmsg_read(struct quicmsg_reader *r, const uint8_t *data, size_t len, size_t *used,
                 const uint8_t **msg, size_t *msg_len)
{
    size_t at = 0;
    while (r->head_have < QUICMSG_FRAME_HEAD && at < len)
        r->head[r->head_have++] = data[at++];
    *used = at;
    if (r->head_have < QUICMSG_FRAME_HEAD)
        return 0;
    if (r->have == 0 && r->need == 0) {
        r->need = be16_get(r->head);
        if (r->need == 0)
            return QUICMSG_E_EMPTY;
    }
    if (r->need > r->max) /* again for a caller that reads on past it: never copied */
        return QUICMSG_E_LONG;
    size_t left = len - at;
    if (r->have == 0 && left >= r->need) { /* the whole message in data: no copy */
        *msg = data + at;
        *msg_len = r->need;
        *used = at + r->need;
        r->head_have = 0;
        r->need = 0;
        return 1;
    }
    if (!r->buf && !(r->buf = malloc(r->max)))
        return -4;
    size_t take = r->need - r->have < left ? r->need - r->have : left;
    memcpy(r->buf + r->have, data + at, take);
    r->have += take;
    *used = at + take;
    if (r->have < r->need)
        return 0;
    *msg = r->buf;
    *msg_len = r->need;
    r->head_have = 0;
    r->need = r->have = 0;
    return 1;
}

/* ---- datagrams ---- */

bool quicmsg_datagram_channel(uint8_t channel)
{
    return channel == PROTO_CHANNEL_STATE || channel == PROTO_CHANNEL_RELIABLE;
}

size_t quicmsg_datagram_room(uint64_t max_frame, size_t path_max)
{
    const size_t frame = QUICMSG_DATAGRAM_HEAD + 3; /* the channel, a type, a 2-byte length */
    const size_t packet = 1 + 20 + 4 + 16;         /* a short header's, and the tag */
    uint64_t room = path_max > packet + frame ? path_max - packet - frame : 0;
    if (max_frame < frame)
        return 0;
    if (max_frame - frame < room)
        room = max_frame - frame;
    return room < PROTO_STATE_MAX ? (size_t)room : PROTO_STATE_MAX;
}

int quicmsg_datagram_open(const uint8_t *d, size_t len, uint8_t *channel, const uint8_t **msg,
                          size_t *msg_len)
{
    if (len <= QUICMSG_DATAGRAM_HEAD)
        return QUICMSG_E_EMPTY;
    if (!quicmsg_datagram_channel(d[0]))
        return QUICMSG_E_CHANNEL;
    *channel = d[0];
    *msg = d + QUICMSG_DATAGRAM_HEAD;
    *msg_len = len - QUICMSG_DATAGRAM_HEAD;
    return 0;
}

/* ---- a stream's bytes out ---- */

void quicmsg_out_init(struct quicmsg_out *o)
{
    *o = (struct quicmsg_out){0};
}

void quicmsg_out_free(struct quicmsg_out *o)
{
    for (struct quicmsg_chunk *c = o->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    quicmsg_out_init(o);
}

/* Room for n more bytes in chunks (allocated now, so that an append never
 * fails half way). Returns 0 or -1. */
static int reserve(struct quicmsg_out *o, size_t n)
{
    size_t room = o->tail ? QUICMSG_CHUNK - o->tail->len : 0;
    while (room < n) {
        struct quicmsg_chunk *c = malloc(sizeof *c);
        if (!c)
            return -1;
        c->next = NULL;
        c->len = 0;
        if (o->tail)
            o->tail->next = c;
        else
            o->head = c;
        o->tail = c;
        room += QUICMSG_CHUNK;
    }
    return 0;
}

/* Appends n bytes (reserve made room): the chunk with space first. */
static void append(struct quicmsg_out *o, const uint8_t *bytes, size_t n)
{
    struct quicmsg_chunk *c = o->head;
    while (c->len == QUICMSG_CHUNK)
        c = c->next; /* the first chunk not full: the tail or the one before */
    if (o->unsent == 0) {
        o->send = c;
        o->send_off = c->len;
    }
    while (n > 0) {
        if (c->len == QUICMSG_CHUNK)
            c = c->next;
        size_t k = QUICMSG_CHUNK - c->len < n ? QUICMSG_CHUNK - c->len : n;
        memcpy(c->data + c->len, bytes, k);
        c->len += k;
        bytes += k;
        n -= k;
        o->queued += k;
        o->unsent += k;
        o->offset += k;
    }
}

int quicmsg_out_frame(struct quicmsg_out *o, const uint8_t *msg, size_t len, uint64_t limit)
{
    if (len == 0 || len > QUICMSG_FRAME_MAX ||
        (limit && o->queued + QUICMSG_FRAME_HEAD + len > limit) ||
        reserve(o, QUICMSG_FRAME_HEAD + len) != 0)
        return -1;
    uint8_t head[QUICMSG_FRAME_HEAD] = {(uint8_t)(len >> 8), (uint8_t)len};
    append(o, head, sizeof head);
    append(o, msg, len);
    return 0;
}

int quicmsg_out_bytes(struct quicmsg_out *o, const uint8_t *bytes, size_t len)
{
    if (len == 0 || reserve(o, len) != 0)
        return -1;
    append(o, bytes, len);
    return 0;
}

const uint8_t *quicmsg_out_next(const struct quicmsg_out *o, size_t *len)
{
    if (o->unsent == 0 || !o->send) {
        *len = 0;
        return NULL;
    }
    *len = o->send->len - o->send_off;
    return o->send->data + o->send_off;
}

void quicmsg_out_sent(struct quicmsg_out *o, size_t n)
{
    if (n > o->unsent)
        n = (size_t)o->unsent;
    while (n > 0 && o->send) {
        size_t k = o->send->len - o->send_off < n ? o->send->len - o->send_off : n;
        o->send_off += k;
        o->unsent -= k;
        n -= k;
        if (o->send_off == o->send->len && o->send->next) {
            o->send = o->send->next;
            o->send_off = 0;
        }
    }
    if (o->unsent == 0)
        o->send = NULL;
}

void quicmsg_out_acked(struct quicmsg_out *o, uint64_t n)
{
    uint64_t sent = o->queued - o->unsent;
    if (n > sent)
        n = sent;
    o->queued -= n;
    o->head_acked += n;
    /* Only the tail may be short; a head acknowledged whole goes. */
    while (o->head && o->head_acked >= o->head->len && o->head_acked > 0) {
        struct quicmsg_chunk *c = o->head;
        if (c->len < QUICMSG_CHUNK && o->send == c)
            break; /* bytes still to be sent from it */
        o->head_acked -= c->len;
        o->head = c->next;
        if (!o->head)
            o->tail = NULL;
        free(c);
    }
}
