/* mode.c: the one table of delivery modes (see mode.h and PROTOCOL.md). */
#include "mode.h"

#include <stdio.h>
#include <string.h>

/* A plain-UDP sender's states go down on the state channel, unsequenced:
 * nothing was promised about their order on the way up. An edge without
 * channels (plain UDP itself) sends every state as a bare datagram, so
 * this is what a member of an edge with channels (ENet) gets, and it sees
 * them as unsequenced: the way down names the mode the states *arrive* in
 * (proto_mode_from_down finds the first row with it).
 *
 * Sequenced travels unsequenced on channel 2 both ways, and its order is
 * kept by seq, per sender, by the receiving client library alone
 * (PROTO_FILTER_DROP_OLD), each drop counted as too old: a state late at
 * the relay may be in time at a receiver. ENet's own sequencing would run
 * over the whole relay->receiver link, across senders, and drop A's state
 * because B's newer one came first; upstream its drops would be silent. */
static const struct proto_mode_info modes[PROTO_MODE_COUNT] = {
    [PROTO_MODE_UNSEQUENCED] = {
        "unsequenced", "unseq", '1', true, true,
        PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
        PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
        PROTO_ORDER_NONE, PROTO_FILTER_NONE,
        "may lose, may arrive out of order, never waits" },
    [PROTO_MODE_SEQUENCED] = {
        "sequenced", "seq", '2', true, true,
        PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED,
        PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED,
        PROTO_ORDER_PER_SENDER, PROTO_FILTER_DROP_OLD,
        "may lose, drops a sender's late states to keep its order, never waits" },
    [PROTO_MODE_RELIABLE] = {
        "reliable", "rel", '3', true, true,
        PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE,
        PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE,
        PROTO_ORDER_PER_LINK, PROTO_FILTER_NONE,
        "everything, in order; one loss stalls every reliable sender behind it" },
    [PROTO_MODE_UDP] = {
        "udp", "udp", 0, false, false,
        PROTO_CHANNEL_DATAGRAM, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
        PROTO_ORDER_NONE, PROTO_FILTER_NONE,
        "what the network gives, nothing more: the baseline" },
    /* One TCP connection to the relay carries every sender's states: a
     * lost segment holds back all that follow it, whoever sent them. To a
     * member of an edge with channels a TCP sender's states go as a
     * plain-UDP sender's do: on the state channel, unsequenced. */
    [PROTO_MODE_TCP] = {
        "tcp", "tcp", 0, false, false,
        PROTO_CHANNEL_STREAM, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
        PROTO_ORDER_PER_LINK, PROTO_FILTER_NONE,
        "everything, in order, on one stream: a lost segment holds back every sender behind it",
        true },
    /* A WebSocket is a TCP stream too (a browser's), with its own pseudo
     * channel so that a receiver tells it from tcp; its senders' states
     * go to members of an edge with channels as a tcp sender's do. */
    [PROTO_MODE_WS] = {
        "ws", "ws", 0, false, false,
        PROTO_CHANNEL_WEBSOCKET, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
        PROTO_ORDER_PER_LINK, PROTO_FILTER_NONE,
        "everything, in order, on one WebSocket: a lost segment holds back every sender "
        "behind it",
        true },
    /* QUIC (PROTOCOL.md, "QUIC"): a client's reliable states go up on a
     * stream of its own, and each sender's reach a member of this mode on a
     * stream the relay opens for that sender alone, so a loss holds back
     * only the states of the sender it belongs to. Members of other edges
     * get them as reliable states (ENet's reliable channel); a receiver's
     * own mode decides its last hop, so a reliable sender's states reach a
     * streams member on that sender's stream too. Only an edge with a
     * stream per sender (quic) carries it. */
    [PROTO_MODE_STREAMS] = {
        "streams", "strm", 0, false, false,
        PROTO_CHANNEL_SENDER_STREAM, PROTO_FLAG_RELIABLE,
        PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE,
        PROTO_ORDER_PER_SENDER, PROTO_FILTER_NONE,
        "everything, in order per sender: a loss holds back only its own sender's states" },
};

const struct proto_mode_info *proto_mode_info(enum proto_mode mode)
{
    return (unsigned)mode < PROTO_MODE_COUNT ? &modes[mode] : NULL;
}

const char *proto_mode_name(enum proto_mode mode)
{
    const struct proto_mode_info *m = proto_mode_info(mode);
    return m ? m->name : "?";
}

bool proto_mode_lossless(enum proto_mode mode)
{
    const struct proto_mode_info *m = proto_mode_info(mode);
    return m && (((m->up_flags | m->down_flags) & PROTO_FLAG_RELIABLE) || m->stream);
}

int proto_mode_parse(const char *name, enum proto_mode *mode)
{
    for (int i = 0; i < PROTO_MODE_COUNT; i++) {
        if (strcmp(name, modes[i].name) == 0) {
            *mode = (enum proto_mode)i;
            return 0;
        }
    }
    return -1;
}

/* The first row going up (or down) on channel with flags; going up on a
 * pseudo channel (a row not on ENet's channels) the flags do not count. */
static int find(bool up, uint8_t channel, uint32_t flags, enum proto_mode *mode)
{
    flags &= PROTO_FLAGS_MASK;
    for (int i = 0; i < PROTO_MODE_COUNT; i++) {
        const struct proto_mode_info *m = &modes[i];
        if (channel == (up ? m->up_channel : m->down_channel) &&
            (up ? (!m->enet || flags == m->up_flags) : flags == m->down_flags)) {
            *mode = (enum proto_mode)i;
            return 0;
        }
    }
    return -1;
}

int proto_mode_from_up(uint8_t channel, uint32_t flags, enum proto_mode *mode)
{
    return find(true, channel, flags, mode);
}

bool proto_channel_bare(uint8_t channel)
{
    for (int i = 0; i < PROTO_MODE_COUNT; i++)
        if (!modes[i].enet && modes[i].up_channel == channel)
            return true;
    return false;
}

int proto_mode_from_down(uint8_t channel, uint32_t flags, enum proto_mode *mode)
{
    if (proto_channel_bare(channel))
        return find(true, channel, 0, mode); /* the transport's own mode */
    return find(false, channel, flags, mode);
}

char *proto_mode_choices(char *buf, size_t cap, const char *extra)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < PROTO_MODE_COUNT && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "|" : "", modes[i].name);
    if (extra && n < cap)
        snprintf(buf + n, cap - n, "|%s", extra);
    return buf;
}

const char *proto_order_name(enum proto_order order)
{
    switch (order) {
    case PROTO_ORDER_NONE: return "none";
    case PROTO_ORDER_PER_SENDER: return "per sender";
    case PROTO_ORDER_PER_LINK: return "per link (every sender on it)";
    default: return "?";
    }
}
