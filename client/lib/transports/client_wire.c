/* client_wire.c: the client library over ENet's wire, spoken directly from
 * a wire hub (client.h): one socket for up to 4095 ENet clients of one
 * relay, read with recvmmsg and written with sendmmsg, with no ENetHost at
 * all. The relay sees ordinary ENet peers, told apart by the peer id in
 * each datagram's header (the hub's slot of the client is the id it asks
 * the relay to use) and each CONNECT's connect id.
 *
 * What a client must do for ENet 1.3.17 and no more: CONNECT, acknowledge
 * VERIFY_CONNECT, number and acknowledge reliable commands per channel (the
 * peer's own sequence for pings and disconnects), resend what is not
 * acknowledged, hold what comes early and join reliable fragments
 * (client_wire_order.c), answer and send pings, and say goodbye with a
 * DISCONNECT. Its sends fit one datagram each (the swarm's joins and
 * states do): a longer one is refused, not fragmented. Control on channel
 * 0, states as the mode table says, as client_enet.c. The generator uses
 * it where ENet's hosts cost more CPU than the relay they measure. */
#include "client_transports_internal.h"
#include "client_wire_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <enet/enet.h>

#include "proto/enet/enet_speak.h"
#include "proto/errors.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"

#define WIRE_COMMANDS_MAX ENET_PROTOCOL_MAXIMUM_PACKET_COMMANDS /* per datagram */
#define WIRE_RTO_MIN_US 50000       /* a resend waits at least this */
#define WIRE_RTO_FIRST_US 500000    /* ... and before any round trip is known (ENet's) */

_Static_assert(PROTO_FLAG_RELIABLE == ENET_PACKET_FLAG_RELIABLE &&
                   PROTO_FLAG_UNSEQUENCED == ENET_PACKET_FLAG_UNSEQUENCED,
               "the flags a message arrives with are ENet's packet flags");
_Static_assert(CLIENT_WIRE_MTU == ENET_HOST_DEFAULT_MTU, "what enet_host_create proposes");

static uint16_t now_ms16(uint64_t now_us)
{
    return (uint16_t)(now_us / 1000u);
}

/* ---- sending: commands gathered per client, taken by the hub's flush ---- */

/* Room for a command of len bytes in c's datagrams (time: it wants an
 * acknowledgement), c listed in the hub's clients to flush; NULL if
 * WIRE_PEND_DATAGRAMS are full (the command is not sent: UDP's loss). */
static uint8_t *wire_room(struct ricochet *c, size_t len, bool time)
{
    struct client_wire *t = c->tp;
    struct wire_pend *p = t->n_pend ? &t->pend[t->n_pend - 1] : NULL;
    if (len > WIRE_BODY_MAX)
        return NULL;
    if (!p || WIRE_BODY_MAX - p->len < len || p->commands == WIRE_COMMANDS_MAX) {
        if (t->n_pend == WIRE_PEND_DATAGRAMS)
            return NULL;
        p = &t->pend[t->n_pend++];
        p->len = 0; /* not the bytes: zeroing an MTU per datagram cost more than the rest */
        p->commands = 0;
        p->time = false;
    }
    if (!t->dirty) {
        t->dirty = true;
        t->hub->dirty[t->hub->n_dirty++] = t->slot;
    }
    p->commands++;
    p->time |= time;
    uint8_t *at = p->bytes + p->len;
    p->len += len;
    return at;
}

void client_wire_take(struct ricochet *c, uint64_t now_us, client_wire_put_fn put, void *ctx)
{
    struct client_wire *t = c->tp;
    uint8_t h[ENET_SPEAK_HEADER_MAX];
    uint16_t now = now_ms16(now_us);
    for (unsigned k = 0; k < t->n_pend; k++) {
        size_t n = enet_speak_header(h, t->relay_peer, t->session, t->pend[k].time, now);
        put(ctx, &c->relay, h, n, t->pend[k].bytes, t->pend[k].len);
    }
    t->n_pend = 0;
    t->dirty = false;
}

/* Gathers a reliable command (bytes, len) and keeps it until acknowledged. */
static int wire_reliable(struct ricochet *c, uint8_t channel, uint16_t seq, const uint8_t *bytes,
                         size_t len)
{
    struct client_wire *t = c->tp;
    if (t->n_unacked == WIRE_UNACKED_MAX)
        return -1; /* the relay acknowledges nothing: its timeout ends this */
    uint8_t *copy = malloc(len);
    uint8_t *at = copy ? wire_room(c, len, true) : NULL;
    if (!at) {
        free(copy);
        return -1;
    }
    memcpy(copy, bytes, len);
    memcpy(at, bytes, len);
    uint64_t now = clock_now_us();
    t->unacked[t->n_unacked++] = (struct wire_unacked){
        .channel = channel, .seq = seq, .len = (uint16_t)len, .first_us = now, .sent_us = now,
        .bytes = copy};
    return 0;
}

static void wire_ack(struct ricochet *c, uint8_t channel, uint16_t seq, uint16_t sent_time)
{
    uint8_t *at = wire_room(c, ENET_SPEAK_ACK_SIZE, false);
    if (at)
        enet_speak_ack(at, ENET_SPEAK_ACK_SIZE, channel, seq, sent_time);
}

static void wire_ping(struct ricochet *c, uint64_t now)
{
    struct client_wire *t = c->tp;
    uint8_t cmd[ENET_SPEAK_PING_SIZE];
    uint16_t seq = ++t->peer_seq;
    enet_speak_ping(cmd, sizeof cmd, seq);
    wire_reliable(c, ENET_SPEAK_CONTROL_CHANNEL, seq, cmd, sizeof cmd);
    t->last_ping_us = now;
}

/* A send on channel of len bytes, as flags say (PROTO_FLAG_*). */
static int wire_send(struct ricochet *c, uint8_t channel, uint32_t flags, const void *buf,
                     size_t len)
{
    struct client_wire *t = c->tp;
    if (!t || t->state != WIRE_CONNECTED || channel >= PROTO_CHANNEL_COUNT)
        return -1;
    uint8_t cmd[WIRE_BODY_MAX];
    /* ENet sends a sequenced packet reliably when its unreliable numbers run out */
    bool reliable = (flags & PROTO_FLAG_RELIABLE) ||
                    (!(flags & PROTO_FLAG_UNSEQUENCED) && t->out_unreliable[channel] == 0xFFFF);
    if (reliable) {
        uint16_t seq = (uint16_t)(t->out_reliable[channel] + 1);
        size_t n = enet_speak_send(cmd, sizeof cmd, ENET_SPEAK_RELIABLE, channel, seq, 0, buf,
                                   len);
        if (n == 0 || wire_reliable(c, channel, seq, cmd, n) != 0)
            return -1;
        t->out_reliable[channel] = seq;
        t->out_unreliable[channel] = 0;
        return 0;
    }
    bool unseq = flags & PROTO_FLAG_UNSEQUENCED;
    uint16_t seq = unseq ? (uint16_t)(t->unsequenced_group + 1)
                         : (uint16_t)(t->out_unreliable[channel] + 1);
    size_t n = enet_speak_send(cmd, sizeof cmd, unseq ? ENET_SPEAK_UNSEQUENCED : ENET_SPEAK_UNRELIABLE,
                               channel, t->out_reliable[channel], seq, buf, len);
    uint8_t *at = n ? wire_room(c, n, false) : NULL;
    if (!at)
        return -1;
    memcpy(at, cmd, n);
    if (unseq)
        t->unsequenced_group = seq;
    else
        t->out_unreliable[channel] = seq;
    return 0;
}

/* ---- the transport ---- */

static uint32_t fresh_connect_id(void)
{
    static uint32_t counter;
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint32_t)clock_now_us();
    return r ^ ++counter * 2654435761u; /* distinct per client of this process */
}

static int hub_take(struct client_wire_hub *hub, struct ricochet *c, size_t *slot, char *err,
                    size_t err_cap)
{
    for (size_t i = 0; i < hub->cap; i++) {
        if (!hub->slot[i]) {
            hub->slot[i] = c;
            *slot = i;
            return 0;
        }
    }
    snprintf(err, err_cap, "client: the wire hub is full (%zu clients)", hub->cap);
    return -1;
}

static int wire_open(struct ricochet *c, const struct client_config *cfg, char *err,
                     size_t err_cap)
{
    if (!cfg->wire_hub) {
        snprintf(err, err_cap, "client: ENet's wire is spoken from a wire hub only");
        return -1;
    }
    if (c->relay.sa.sa_family != AF_INET) {
        snprintf(err, err_cap, "client: %s is IPv6: ENet 1.3 speaks IPv4 only", cfg->host);
        return -1;
    }
    struct client_wire *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    c->tp = t;
    t->hub = cfg->wire_hub;
    if (hub_take(t->hub, c, &t->slot, err, err_cap) != 0) {
        t->hub = NULL;
        return -1;
    }
    t->relay_peer = ENET_WIRE_NO_PEER;
    t->connect_id = fresh_connect_id();
    t->ping_interval_ms = client_ping_quiet_ms(c, c->timeout_ms / 2);
    t->last_recv_us = clock_now_us();
    uint8_t cmd[ENET_SPEAK_CONNECT_SIZE];
    struct enet_speak_connect cc = {.my_peer_id = (uint16_t)t->slot, .reliable_seq = ++t->peer_seq,
                                    .mtu = CLIENT_WIRE_MTU,
                                    .window_size = ENET_PROTOCOL_MAXIMUM_WINDOW_SIZE,
                                    .channel_count = PROTO_CHANNEL_COUNT,
                                    .connect_id = t->connect_id,
                                    .data = PROTO_ENET_ECHOES_COOKIES};
    enet_speak_connect(cmd, sizeof cmd, &cc);
    if (wire_reliable(c, ENET_SPEAK_CONTROL_CHANNEL, cc.reliable_seq, cmd, sizeof cmd) != 0) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    return 0;
}

static void unacked_clear(struct client_wire *t)
{
    for (size_t i = 0; i < t->n_unacked; i++)
        free(t->unacked[i].bytes);
    t->n_unacked = 0;
}

/* A leaving client's datagram, kept by the hub until its next flush. */
static void part(void *ctx, const union netaddr *to, const uint8_t *h, size_t hn,
                 const uint8_t *body, size_t n)
{
    struct client_wire_hub *hub = ctx;
    if (hub->n_parting == hub->cap_parting) {
        size_t cap = hub->cap_parting ? 2 * hub->cap_parting : 16;
        struct wire_parting *p = realloc(hub->parting, cap * sizeof *p);
        if (!p)
            return; /* lost, as on the wire: the relay's timeout ends the peer */
        hub->parting = p;
        hub->cap_parting = cap;
    }
    uint8_t *bytes = malloc(hn + n);
    if (!bytes)
        return;
    memcpy(bytes, h, hn);
    memcpy(bytes + hn, body, n);
    hub->parting[hub->n_parting++] = (struct wire_parting){.to = *to, .len = hn + n,
                                                           .bytes = bytes};
}

/* Says goodbye (a DISCONNECT) and leaves the hub: what I gathered goes to
 * its parting datagrams, sent by its next flush; what the relay answers
 * is no one's any more. */
static void wire_leave(struct ricochet *c)
{
    struct client_wire *t = c->tp;
    struct client_wire_hub *hub = t ? t->hub : NULL;
    if (!hub)
        return;
    uint8_t *at = t->state == WIRE_CONNECTED
                      ? wire_room(c, ENET_SPEAK_DISCONNECT_SIZE, true) : NULL;
    if (at)
        enet_speak_disconnect(at, ENET_SPEAK_DISCONNECT_SIZE, ++t->peer_seq, 0);
    client_wire_take(c, clock_now_us(), part, hub);
    for (size_t i = 0; i < hub->n_dirty; i++) /* a later client of the slot lists it anew */
        if (hub->dirty[i] == t->slot)
            hub->dirty[i] = hub->dirty[--hub->n_dirty];
    t->dirty = false;
    t->n_pend = 0;
    t->state = WIRE_GONE;
    hub->slot[t->slot] = NULL;
    t->hub = NULL;
    unacked_clear(t);
}

static void wire_close(struct ricochet *c)
{
    struct client_wire *t = c->tp;
    if (!t)
        return;
    wire_leave(c);
    free(t->frag);
    client_wire_held_clear(t);
    free(t);
    c->tp = NULL;
}

static void wire_hang_up(struct ricochet *c)
{
    wire_leave(c);
}

/* The relay closed the connection, or it timed out: as client_enet.c says
 * why. */
static void wire_gone(struct ricochet *c, bool told, uint32_t data)
{
    const struct proto_error_info *info =
        told ? proto_error_info((enum proto_error_code)data) : NULL;
    struct client_wire *t = c->tp;
    t->state = WIRE_GONE;
    client_enet_disconnected(c, info);
}

/* A resend's wait: the round trip and four times its variation (ENet's). */
static uint64_t wire_rto(const struct client_wire *t)
{
    uint64_t rto = t->rtt_us ? (uint64_t)t->rtt_us + 4u * t->rtt_var_us : WIRE_RTO_FIRST_US;
    return rto < WIRE_RTO_MIN_US ? WIRE_RTO_MIN_US : rto;
}

/* When u is sent again (its wait doubled once it was), or given up: the
 * earlier of the two. */
static uint64_t wire_resend_at(const struct ricochet *c, const struct wire_unacked *u,
                               uint64_t rto)
{
    uint64_t again = u->sent_us + (rto << (u->sent_us - u->first_us >= rto ? 1 : 0));
    uint64_t end = u->first_us + (uint64_t)c->timeout_ms * 1000u;
    return end < again ? end : again;
}

/* When I ping next: the relay quiet for ping_interval, and my last ping as
 * old (UINT64_MAX: not while a reliable command is on its way). */
static uint64_t wire_ping_at(const struct client_wire *t)
{
    uint64_t heard = t->last_recv_us > t->last_ping_us ? t->last_recv_us : t->last_ping_us;
    return t->n_unacked ? UINT64_MAX : heard + (uint64_t)t->ping_interval_ms * 1000u;
}

/* ENet's timers for one client: resends (after the round trip and four
 * times its variation, doubling, as ENet), the timeout (a reliable command
 * unacknowledged for timeout_ms), pings when the relay has been quiet. */
static void wire_timers(struct ricochet *c, uint64_t now)
{
    struct client_wire *t = c->tp;
    if (!t || !t->hub || t->state == WIRE_GONE)
        return;
    uint64_t rto = wire_rto(t);
    for (size_t i = 0; i < t->n_unacked; i++) {
        struct wire_unacked *u = &t->unacked[i];
        if (u->sent_us > now)
            continue; /* gathered after now was read */
        if (now - u->first_us >= (uint64_t)c->timeout_ms * 1000u) {
            t->state = WIRE_GONE;
            wire_leave(c);
            wire_gone(c, false, 0);
            return;
        }
        if (now >= wire_resend_at(c, u, rto)) {
            uint8_t *at = wire_room(c, u->len, true);
            if (!at)
                continue; /* no room this time */
            memcpy(at, u->bytes, u->len);
            u->sent_us = now;
        }
    }
    if (t->state == WIRE_CONNECTED) {
        client_ask_cookie_again(c, now);
        if (now >= wire_ping_at(t))
            wire_ping(c, now);
    }
}

static uint64_t wire_timers_due(const struct ricochet *c, uint64_t now)
{
    const struct client_wire *t = c->tp;
    if (!t || !t->hub || t->state != WIRE_CONNECTED)
        return now;
    uint64_t rto = wire_rto(t), due = wire_ping_at(t);
    for (size_t i = 0; i < t->n_unacked; i++) {
        uint64_t at = wire_resend_at(c, &t->unacked[i], rto);
        due = at < due ? at : due;
    }
    return due > now ? due : now;
}

/* The hub reads for me (client_wire_hub_service): only timers run here. */
static int wire_service(struct ricochet *c, uint64_t deadline_us, struct ricochet_event *ev)
{
    (void)deadline_us;
    (void)ev;
    uint64_t now = clock_now_us();
    if (client_timers(c, now)) {
        now = clock_now_us(); /* after what the session's timers sent */
        wire_timers(c, now);
        if (c->phase != PHASE_DEAD)
            client_silence_check(c, now);
    }
    return 0;
}

static int wire_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    (void)c;
    (void)wait_ms;
    (void)ev;
    return 0; /* a hub client never steps: the hub reads */
}

static bool wire_ready(const struct ricochet *c)
{
    const struct client_wire *t = c->tp;
    return t && t->state == WIRE_CONNECTED;
}

static int wire_send_control(struct ricochet *c, const uint8_t *buf, size_t len)
{
    return wire_send(c, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf, len);
}

static int wire_send_state(struct ricochet *c, const struct proto_mode_info *mi,
                           const uint8_t *buf, size_t len)
{
    return wire_send(c, mi->up_channel, mi->up_flags, buf, len);
}

/* The hub's flush sends for all its clients (client_wire_hub_flush). */
static void wire_flush(struct ricochet *c)
{
    (void)c;
}

static int wire_fd(const struct ricochet *c)
{
    const struct client_wire *t = c->tp;
    return t && t->hub ? t->hub->fd : -1;
}

static void wire_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    const struct client_wire *t = c->tp;
    if (!t || t->state != WIRE_CONNECTED)
        return;
    info->enet_peer_out = t->relay_peer;
    info->enet_peer_in = (int)t->slot;
    info->enet_rtt_ms = t->rtt_us / 1000u;
    info->enet_rtt_var_ms = t->rtt_var_us / 1000u;
}

static uint64_t wire_silent_us(const struct ricochet *c, uint64_t now_us)
{
    const struct client_wire *t = c->tp;
    if (!t || t->state != WIRE_CONNECTED || now_us < t->last_recv_us)
        return 0;
    return now_us - t->last_recv_us;
}

const struct client_transport_ops client_wire_ops = {
    .caps = {
        .modes = (1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) |
                 (1u << PROTO_MODE_RELIABLE),
        .channels = true,
        .connection = true,
    },
    .open = wire_open,
    .close = wire_close,
    .service = wire_service,
    .step = wire_step,
    .ready = wire_ready,
    .send_control = wire_send_control,
    .send_state = wire_send_state,
    .hang_up = wire_hang_up,
    .flush = wire_flush,
    .fd = wire_fd,
    .netinfo = wire_netinfo,
    .silent_us = wire_silent_us,
    .timers_due_us = wire_timers_due,
};

/* ---- receiving: a datagram's commands, for the client its header names ---- */

/* The acknowledgement of my reliable command (channel, seq) came: forget
 * it, and learn the round trip from the time it echoes. */
static void on_ack(struct ricochet *c, const uint8_t *cmd, uint8_t channel, uint64_t now)
{
    struct client_wire *t = c->tp;
    uint16_t seq, sent;
    enet_speak_read_ack(cmd, &seq, &sent);
    uint16_t rtt_ms = (uint16_t)(now_ms16(now) - sent);
    if (rtt_ms < 0x8000u) {
        uint32_t rtt = (uint32_t)rtt_ms * 1000u;
        if (t->rtt_us == 0) {
            t->rtt_us = rtt ? rtt : 1;
            t->rtt_var_us = rtt / 2;
        } else {
            uint32_t diff = rtt > t->rtt_us ? rtt - t->rtt_us : t->rtt_us - rtt;
            t->rtt_var_us = t->rtt_var_us - t->rtt_var_us / 4 + diff / 4;
            t->rtt_us = rtt > t->rtt_us ? t->rtt_us + diff / 8 : t->rtt_us - diff / 8;
        }
    }
    for (size_t i = 0; i < t->n_unacked; i++) {
        if (t->unacked[i].channel == channel && t->unacked[i].seq == seq) {
            free(t->unacked[i].bytes);
            t->unacked[i] = t->unacked[--t->n_unacked];
            return;
        }
    }
}

/* VERIFY_CONNECT: the relay's slot for me and the session bits; then the
 * join, as ENet's connect event starts it. */
static void on_verify(struct ricochet *c, const uint8_t *cmd)
{
    struct client_wire *t = c->tp;
    struct enet_speak_verify v;
    enet_speak_read_verify(cmd, &v);
    if (t->state != WIRE_CONNECTING || v.connect_id != t->connect_id ||
        v.peer_id >= ENET_WIRE_NO_PEER) {
        client_bad_message(c, "unexpected ENet verify", 0);
        return;
    }
    t->relay_peer = v.peer_id;
    t->session = v.outgoing_session;
    t->state = WIRE_CONNECTED;
    for (size_t i = 0; i < t->n_unacked; i++) { /* the CONNECT is answered */
        if (t->unacked[i].channel == ENET_SPEAK_CONTROL_CHANNEL && t->unacked[i].seq == 1) {
            free(t->unacked[i].bytes);
            t->unacked[i] = t->unacked[--t->n_unacked];
            break;
        }
    }
}

/* Hands one message to the session and every event of it to fn. */
static void deliver(struct ricochet *c, uint8_t channel, uint32_t flags, const uint8_t *buf,
                    size_t len, uint64_t now, client_hub_fn fn, void *ctx)
{
    struct client_wire *t = c->tp;
    struct ricochet_event ev;
    memset(&ev, 0, sizeof ev);
    client_settle(c);
    if (c->phase == PHASE_DEAD)
        return;
    if (client_receive_arrived(c, &t->batch, buf, len, channel, flags, now, &ev) == 1)
        fn(ctx, c, c->user, &ev);
    while (c->phase != PHASE_DEAD && t->batch.len > 0 &&
           (client_settle(c), client_batch_step(c, &t->batch, &ev) == 1))
        fn(ctx, c, c->user, &ev);
    t->batch.len = 0; /* the buffer is the hub's: nothing of it waits */
}

/* A reliable send or fragment, the next of its channel: delivered (a
 * fragment once its message is whole). */
static void take_reliable(struct ricochet *c, const struct enet_wire_command *w, uint16_t seq,
                          uint64_t now, client_hub_fn fn, void *ctx)
{
    struct client_wire *t = c->tp;
    t->in_reliable[w->channel] = seq;
    const uint8_t *msg = w->data;
    size_t n = w->data_len;
    if (w->command == ENET_PROTOCOL_COMMAND_SEND_FRAGMENT &&
        !(msg = client_wire_fragment(c, w, &n)))
        return;
    if (n)
        deliver(c, w->channel, PROTO_FLAG_RELIABLE, msg, n, now, fn, ctx);
    if (msg == t->frag) {
        free(t->frag);
        t->frag = NULL;
    }
}

/* A reliable send or fragment numbered seq (ack: the sent time to echo in
 * its acknowledgement, -1 for none): delivered if it is the next of its
 * channel, with what was held after it; held if early (as ENet holds it),
 * or dropped unacknowledged if there is no room (the relay resends it). */
static void on_reliable(struct ricochet *c, const struct enet_wire_command *w, uint16_t seq,
                        int32_t ack, uint64_t now, client_hub_fn fn, void *ctx)
{
    struct client_wire *t = c->tp;
    if (w->channel >= PROTO_CHANNEL_COUNT || t->state != WIRE_CONNECTED) {
        client_bad_message(c, "unexpected ENet send", 0);
        return;
    }
    int16_t ahead = (int16_t)(seq - t->in_reliable[w->channel]);
    if (ahead > 1 && client_wire_hold(t, w, seq) != 0)
        return; /* no room: not acknowledged */
    if (ack >= 0)
        wire_ack(c, w->channel, seq, (uint16_t)ack);
    if (ahead != 1)
        return; /* held, or came already */
    take_reliable(c, w, seq, now, fn, ctx);
    struct enet_wire_command held;
    uint8_t *bytes;
    while (t->hub && c->phase != PHASE_DEAD &&
           client_wire_unhold(t, w->channel, (uint16_t)(t->in_reliable[w->channel] + 1), &held,
                              &bytes)) {
        take_reliable(c, &held, (uint16_t)(t->in_reliable[w->channel] + 1), now, fn, ctx);
        free(bytes);
    }
}

void client_wire_datagram(struct ricochet *c, const uint8_t *d, size_t len, uint64_t now,
                          client_hub_fn fn, void *ctx)
{
    struct client_wire *t = c->tp;
    struct enet_wire_header h;
    if (enet_wire_header(d, len, 0, &h) != 0 || h.size > len || h.compressed) {
        client_bad_message(c, "bad ENet header", 0);
        return;
    }
    uint16_t sent_time = h.sent_time ? enet_speak_read_sent_time(d) : 0;
    t->last_recv_us = now;
    client_input_counted(c);
    struct enet_wire_command w;
    for (size_t off = h.size, at = off; t->hub && c->phase != PHASE_DEAD;) {
        at = off;
        int r = enet_wire_next(d, len, &off, &w);
        if (r == 0)
            break;
        if (r < 0 || !w.data_fits) {
            client_bad_message(c, "bad ENet command", 0);
            break;
        }
        const uint8_t *cmd = d + at;
        uint16_t seq = enet_speak_reliable_seq(cmd);
        bool ack = w.acknowledge && h.sent_time;
        switch (w.command) {
        case ENET_PROTOCOL_COMMAND_ACKNOWLEDGE:
            on_ack(c, cmd, w.channel, now);
            break;
        case ENET_PROTOCOL_COMMAND_VERIFY_CONNECT:
            on_verify(c, cmd);
            if (ack && t->state == WIRE_CONNECTED)
                wire_ack(c, w.channel, seq, sent_time);
            if (t->state == WIRE_CONNECTED && c->phase == PHASE_CONNECTING) {
                client_join_now(c);
                client_cookie_asked(c, now);
            }
            break;
        case ENET_PROTOCOL_COMMAND_DISCONNECT:
            if (ack)
                wire_ack(c, w.channel, seq, sent_time);
            t->state = WIRE_GONE; /* no goodbye of mine: the relay said it */
            wire_leave(c); /* the acknowledgement goes with the hub's next send */
            wire_gone(c, true, enet_speak_read_disconnect(cmd));
            break;
        case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
            on_reliable(c, &w, seq, ack ? sent_time : -1, now, fn, ctx);
            break;
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
        case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
            if (w.channel >= PROTO_CHANNEL_COUNT || t->state != WIRE_CONNECTED) {
                client_bad_message(c, "unexpected ENet send", 0);
                break;
            }
            deliver(c, w.channel,
                    w.command == ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED ? PROTO_FLAG_UNSEQUENCED
                                                                        : 0,
                    w.data, w.data_len, now, fn, ctx);
            break;
        case ENET_PROTOCOL_COMMAND_PING:
        case ENET_PROTOCOL_COMMAND_BANDWIDTH_LIMIT:
        case ENET_PROTOCOL_COMMAND_THROTTLE_CONFIGURE:
            if (ack) /* the peer's own sequence: nothing to order */
                wire_ack(c, w.channel, seq, sent_time);
            break;
        default: /* CONNECT to a client, unreliable fragments: ricochet sends none */
            client_bad_message(c, "unexpected ENet command", 0);
            break;
        }
    }
    struct ricochet_event ev;
    while (c->phase == PHASE_DEAD && (client_settle(c), client_final_event(c, &ev) == 1))
        fn(ctx, c, c->user, &ev);
}
