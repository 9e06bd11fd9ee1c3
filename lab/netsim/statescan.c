/* statescan.c: the states inside a udp or ENet datagram (see statescan.h).
 * ENet's header and commands are read by proto/enet/enet_wire.h, which
 * stops where ENet 1.3.17 stops. */
#include "statescan.h"

#include <enet/protocol.h>

#include "proto/enet/enet_wire.h"
#include "proto/wire.h"
#include "proto/byteorder.h"

#define SCAN_STATE_HEAD 12 /* version, type, reserved, sender, seq */

/* Records a state if the payload starts with a state header. */
static void scan_payload(const uint8_t *p, size_t len, size_t min_len, uint8_t channel,
                         uint8_t kind, struct statescan_result *r,
                         struct statescan_ref out[STATESCAN_MAX])
{
    if (len < min_len || p[0] != PROTO_STATE_VERSION || p[1] != PROTO_MSG_STATE)
        return;
    if (r->states < STATESCAN_MAX)
        out[r->states] = (struct statescan_ref){
            .sender = be32_get(p + 4), .seq = be32_get(p + 8), .channel = channel, .kind = kind};
    r->states++;
}

/* How a command carries its payload, or -1 if it carries none. */
static int scan_kind(unsigned command)
{
    switch (command) {
    case ENET_PROTOCOL_COMMAND_SEND_RELIABLE: return STATESCAN_RELIABLE;
    case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE: return STATESCAN_UNRELIABLE;
    case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED: return STATESCAN_UNSEQUENCED;
    case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
    case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT: return STATESCAN_FRAGMENT;
    default: return -1;
    }
}

static void scan_batch(const uint8_t *buf, size_t len, uint8_t channel, uint8_t kind,
                       struct statescan_result *r, struct statescan_ref out[STATESCAN_MAX]);

/* The states a command (whose payload fits) carries, if any: one, or a
 * batch's. */
static void scan_command(const struct enet_wire_command *c, struct statescan_result *r,
                         struct statescan_ref out[STATESCAN_MAX])
{
    int kind = scan_kind(c->command);
    if (kind < 0 || c->channel == PROTO_CHANNEL_CONTROL)
        return;
    size_t before = r->states;
    if (kind != STATESCAN_FRAGMENT && proto_is_batch(c->data, c->data_len))
        scan_batch(c->data, c->data_len, c->channel, (uint8_t)kind, r, out);
    else if (kind != STATESCAN_FRAGMENT)
        scan_payload(c->data, c->data_len, PROTO_STATE_SIZE, c->channel, (uint8_t)kind, r, out);
    else if (c->fragment_offset == 0)
        scan_payload(c->data, c->data_len, SCAN_STATE_HEAD, c->channel, (uint8_t)kind, r, out);
    for (size_t i = before; kind == STATESCAN_UNSEQUENCED && i < r->states && i < STATESCAN_MAX;
         i++)
        out[i].group = c->unsequenced_group;
}

static void scan_enet(const uint8_t *buf, size_t len, struct statescan_result *r,
                      struct statescan_ref out[STATESCAN_MAX])
{
    struct enet_wire_header h;
    if (enet_wire_header(buf, len, 0, &h) != 0) {
        r->malformed = 1;
        return;
    }
    r->peer = (int)h.peer_id;
    if (h.compressed) {
        r->compressed = 1;
        return;
    }
    if (len < h.size) {
        r->malformed = 1;
        return;
    }
    size_t at = h.size;
    struct enet_wire_command c;
    int rc;
    while ((rc = enet_wire_next(buf, len, &at, &c)) > 0 && c.data_fits) {
        r->commands++;
        scan_command(&c, r, out);
    }
    if (rc != 0)
        r->malformed = 1;
}

/* Every entry of a batch that is a state: a udp datagram's, or an ENet
 * command's payload on channel, whose kind its states take. */
static void scan_batch(const uint8_t *buf, size_t len, uint8_t channel, uint8_t kind,
                       struct statescan_result *r, struct statescan_ref out[STATESCAN_MAX])
{
    if (proto_batch_check(buf, len) < 0) {
        r->malformed = 1;
        return;
    }
    size_t at = PROTO_BATCH_HEADER, n;
    const uint8_t *entry;
    while (proto_batch_next(buf, len, &at, &entry, &n))
        scan_payload(entry, n, PROTO_STATE_SIZE, channel, kind, r, out);
}

struct statescan_result statescan_datagram(enum statescan_wire wire, const uint8_t *buf,
                                           size_t len, struct statescan_ref out[STATESCAN_MAX])
{
    struct statescan_result r = {.peer = -1};
    if (wire == STATESCAN_ENET)
        scan_enet(buf, len, &r, out);
    else if (proto_is_batch(buf, len))
        scan_batch(buf, len, 0, STATESCAN_BATCHED, &r, out);
    else /* anything else on a udp flow (join, control) is no state */
        scan_payload(buf, len, PROTO_STATE_SIZE, 0, STATESCAN_PLAIN, &r, out);
    return r;
}

const char *statescan_kind_name(int kind)
{
    static const char *const names[] = {"plain", "reliable", "unreliable", "unsequenced",
                                        "fragment", "batched", "datagram"};
    return kind >= 0 && kind <= STATESCAN_DATAGRAM ? names[kind] : "?";
}
