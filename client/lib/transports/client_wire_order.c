/* client_wire_order.c: what a client speaking ENet's wire (client_wire.c)
 * receives out of its order: reliable commands that came early, held and
 * acknowledged until the ones before them come (as ENet holds them, so a
 * loss costs the relay one resend, not a resend of all that followed it),
 * and a reliable message's fragments joined into the message. */
#include "client/lib/client_internal.h"
#include "client_wire_internal.h"

#include <stdlib.h>
#include <string.h>

#define WIRE_FRAGMENTS_MAX PROTO_CONTROL_MAX /* a reassembled message, bytes */

int client_wire_hold(struct client_wire *t, const struct enet_wire_command *w, uint16_t seq)
{
    for (size_t i = 0; i < t->n_held; i++)
        if (t->held[i].channel == w->channel && t->held[i].seq == seq)
            return 0; /* held already: acknowledged again */
    if (t->n_held == WIRE_HELD_MAX || (uint16_t)(seq - t->in_reliable[w->channel]) > WIRE_HELD_MAX)
        return -1;
    uint8_t *bytes = malloc(w->data_len ? w->data_len : 1);
    if (!bytes)
        return -1;
    memcpy(bytes, w->data, w->data_len);
    struct wire_held *h = &t->held[t->n_held++];
    *h = (struct wire_held){.channel = w->channel, .seq = seq, .command = *w, .bytes = bytes};
    h->command.data = bytes;
    return 0;
}

bool client_wire_unhold(struct client_wire *t, uint8_t channel, uint16_t seq,
                        struct enet_wire_command *w, uint8_t **bytes)
{
    for (size_t i = 0; i < t->n_held; i++) {
        if (t->held[i].channel == channel && t->held[i].seq == seq) {
            *w = t->held[i].command;
            *bytes = t->held[i].bytes;
            t->held[i] = t->held[--t->n_held];
            return true;
        }
    }
    return false;
}

void client_wire_held_clear(struct client_wire *t)
{
    for (size_t i = 0; i < t->n_held; i++)
        free(t->held[i].bytes);
    t->n_held = 0;
}

const uint8_t *client_wire_fragment(struct ricochet *c, const struct enet_wire_command *w,
                                    size_t *len)
{
    struct client_wire *t = c->tp;
    if (w->fragment_number == 0) {
        free(t->frag);
        t->frag = NULL;
        if (w->total_length == 0 || w->total_length > WIRE_FRAGMENTS_MAX ||
            w->fragment_count == 0 || !(t->frag = malloc(w->total_length))) {
            client_bad_message(c, "ENet fragment too long", 0);
            return NULL;
        }
        t->frag_total = w->total_length;
        t->frag_count = w->fragment_count;
        t->frag_got = t->frag_next = 0;
        t->frag_channel = w->channel;
    }
    if (!t->frag || w->fragment_number != t->frag_next || w->channel != t->frag_channel ||
        w->fragment_offset > t->frag_total || w->data_len > t->frag_total - w->fragment_offset) {
        client_bad_message(c, "ENet fragment out of place", 0);
        return NULL;
    }
    memcpy(t->frag + w->fragment_offset, w->data, w->data_len);
    t->frag_got += (uint32_t)w->data_len;
    t->frag_next++;
    if (t->frag_next < t->frag_count)
        return NULL;
    *len = t->frag_got == t->frag_total ? t->frag_total : 0;
    return t->frag;
}

