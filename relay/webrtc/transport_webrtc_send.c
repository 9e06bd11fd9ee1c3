/* transport_webrtc_send.c: what the core sends through the WebRTC edge:
 * states on each member's data channels (transport_webrtc_channels.c says
 * which), control messages on its control channel, and closes.
 *
 * Every message is one SCTP message of its channel: a state, a batch or a
 * control message (as text), exactly as it would travel alone in an ENet
 * packet. A member whose join asked for batches gets the states of one
 * flush on one channel in one batch message (PROTOCOL.md, "Batches"), at
 * most RTC_EDGE_BATCH_MAX bytes so that it is one SCTP chunk in one
 * datagram (a lost piece of an unreliable message loses all of it); what
 * is sent to that member after them (a control message, a close) sends
 * its batches first.
 *
 * A close waits for the member's last messages (its error, a final
 * notice) to be acknowledged, RTC_EDGE_CLOSE_US at most, then aborts the
 * association (usrsctp closes with SO_LINGER 0: no timer outlives it). */
#include "transport_webrtc.h"

#include <string.h>

#include "sys/clock.h"
#include "sys/log.h"

/* The session of a handle of this edge if it is a peer of the core. */
static struct rtc_edge_slot *peer_slot(struct relay_webrtc *t, uint32_t handle, uint32_t *slot)
{
    uint32_t i = handle - t->base; /* a handle below base wraps: out of range */
    if (i >= t->cfg.peer_cap || t->slots[i].phase != RTC_PHASE_PEER)
        return NULL;
    *slot = i;
    return &t->slots[i];
}

/* Counts a message the session would not take: a full send buffer drops an
 * unreliable state as a slow reader's; anything else failed. */
static void count_unsent(struct relay_webrtc *t, bool state, bool reliable)
{
    if (!t->relay)
        return;
    relay_count_drop(t->relay, state && !reliable ? RELAY_DROP_SLOW_READER
                                                  : RELAY_DROP_SEND_FAILED);
}

/* Sends one message on slot's role (binary unless text). */
static void send_on(struct relay_webrtc *t, uint32_t slot, enum rtc_role role, bool text,
                    const uint8_t *data, size_t len)
{
    struct rtc_edge_slot *s = &t->slots[slot];
    uint16_t sid = s->sid[role];
    if (sid == RTC_EDGE_NO_SID || rtc_host_send(t->host, slot, sid, !text, data, len) != 0) {
        count_unsent(t, !text, role == RTC_ROLE_CONTROL);
        return;
    }
    s->sent_bytes += len;
    s->sent_msgs++;
    if (!s->owed) {
        s->owed = true;
        s->owed_us = clock_now_us();
    }
}

void transport_webrtc_backlog(void *ctx, uint32_t handle, struct relay_backlog *out)
{
    struct relay_webrtc *t = ctx;
    uint32_t slot;
    struct rtc_edge_slot *s = peer_slot(t, handle, &slot);
    if (!s)
        return;
    unsigned chunks = rtc_host_unsent(t->host, slot);
    if (chunks == 0) {
        s->owed = false;
        return;
    }
    /* SCTP counts chunks (a message up to its path's MTU is one): at the
     * session's average message size. */
    out->bytes = s->sent_msgs ? (uint64_t)chunks * (s->sent_bytes / s->sent_msgs) : 0;
    uint64_t heard = rtc_host_heard(t->host, slot);
    out->moved_us = s->owed && s->owed_us > heard ? s->owed_us : heard;
}

/* ---- batches ------------------------------------------------------------ */

/* Sends lane k: its one state alone, or the batch. */
static void lane_send(struct relay_webrtc *t, unsigned k)
{
    struct rtc_lane *l = &t->lanes[k];
    struct rtc_edge_slot *s = &t->slots[l->slot];
    if (s->lane[l->role] != k + 1)
        return; /* its session went, or the lane was sent already */
    s->lane[l->role] = 0;
    if (s->phase != RTC_PHASE_PEER)
        return;
    const uint8_t *at = t->arena + l->off;
    if (l->count == 1)
        send_on(t, l->slot, l->role, false, at + PROTO_BATCH_HEADER + PROTO_BATCH_ENTRY_HEAD,
                l->len - PROTO_BATCH_HEADER - PROTO_BATCH_ENTRY_HEAD);
    else
        send_on(t, l->slot, l->role, false, at, l->len);
}

void transport_webrtc_lanes_flush(struct relay_webrtc *t)
{
    for (unsigned k = 0; k < t->n_lanes; k++)
        lane_send(t, k);
    t->n_lanes = 0;
    t->arena_used = 0;
}

void transport_webrtc_lanes_drop(struct relay_webrtc *t, uint32_t slot)
{
    memset(t->slots[slot].lane, 0, sizeof t->slots[slot].lane);
}

/* Sends slot's open batches now (before a control message or a close). */
static void lanes_close(struct relay_webrtc *t, uint32_t slot)
{
    for (int role = 0; role < RTC_ROLES; role++)
        if (t->slots[slot].lane[role])
            lane_send(t, t->slots[slot].lane[role] - 1);
}

/* Adds a state to slot's batch on role, opening one (sending what is full). */
static void lane_add(struct relay_webrtc *t, uint32_t slot, enum rtc_role role,
                     const uint8_t *bytes, size_t len)
{
    struct rtc_edge_slot *s = &t->slots[slot];
    struct rtc_lane *l = s->lane[role] ? &t->lanes[s->lane[role] - 1] : NULL;
    if (l && l->len + PROTO_BATCH_ENTRY_HEAD + len > RTC_EDGE_BATCH_MAX) {
        lane_send(t, s->lane[role] - 1);
        l = NULL;
    }
    if (!l) {
        if (t->arena_used + RTC_EDGE_BATCH_MAX > RTC_EDGE_ARENA)
            transport_webrtc_lanes_flush(t); /* every batch of the flush so far */
        unsigned k = t->n_lanes++;
        l = &t->lanes[k];
        *l = (struct rtc_lane){.slot = slot, .role = (uint8_t)role,
                               .off = (uint32_t)t->arena_used, .len = PROTO_BATCH_HEADER};
        proto_batch_begin(t->arena + l->off);
        t->arena_used += RTC_EDGE_BATCH_MAX;
        s->lane[role] = k + 1;
    }
    uint8_t *at = t->arena + l->off + l->len;
    proto_batch_entry_head(at, len);
    memcpy(at + PROTO_BATCH_ENTRY_HEAD, bytes, len);
    l->len += (uint32_t)(PROTO_BATCH_ENTRY_HEAD + len);
    l->count++;
}

/* ---- the core's calls ---------------------------------------------------- */

/* The open roles of a session, as bits. */
static unsigned open_roles(const struct rtc_edge_slot *s)
{
    unsigned open = 0;
    for (int role = 0; role < RTC_ROLES; role++)
        if (s->sid[role] != RTC_EDGE_NO_SID)
            open |= 1u << role;
    return open;
}

static void webrtc_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                              uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    struct relay_webrtc *t = ctx;
    (void)from; /* each recipient's channel keeps its senders' states in order */
    bool fits = len > 0 && PROTO_BATCH_HEADER + PROTO_BATCH_ENTRY_HEAD + len <= RTC_EDGE_BATCH_MAX;
    for (size_t i = 0; i < n; i++) {
        uint32_t slot;
        struct rtc_edge_slot *s = peer_slot(t, peers[i], &slot);
        if (!s)
            continue;
        enum rtc_role role = transport_webrtc_down(channel, flags, open_roles(s));
        if (role == RTC_ROLE_NONE) {
            count_unsent(t, true, false);
        } else if (fits && s->batches) {
            lane_add(t, slot, role, bytes, len);
        } else {
            if (s->lane[role]) /* a long (padded) state goes alone, after the batch */
                lane_send(t, s->lane[role] - 1);
            send_on(t, slot, role, false, bytes, len);
        }
    }
}

/* A control message goes out as text on the control channel, after the
 * member's batches; an event (binary, the game's bytes) as binary. */
static void webrtc_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    struct relay_webrtc *t = ctx;
    uint32_t slot;
    if (!peer_slot(t, peer, &slot))
        return;
    lanes_close(t, slot);
    send_on(t, slot, RTC_ROLE_CONTROL, len > 0 && json[0] == '{', (const uint8_t *)json, len);
}

/* The core forgot peer: its batches leave, then its session waits for its
 * last messages to be acknowledged (transport_webrtc_closing). */
static void webrtc_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    struct relay_webrtc *t = ctx;
    (void)why; /* its error message said it */
    uint32_t slot;
    struct rtc_edge_slot *s = peer_slot(t, peer, &slot);
    if (!s)
        return;
    lanes_close(t, slot);
    s->phase = RTC_PHASE_CLOSING;
    s->since_us = clock_now_us();
    t->closing++;
}

void transport_webrtc_closing(struct relay_webrtc *t, uint64_t now_us)
{
    for (uint32_t i = 0; t->closing && i < t->cfg.peer_cap; i++) {
        struct rtc_edge_slot *s = &t->slots[i];
        if (s->phase != RTC_PHASE_CLOSING)
            continue;
        bool late = now_us - s->since_us >= RTC_EDGE_CLOSE_US;
        if (!late && rtc_host_unsent(t->host, i) > 0)
            continue;
        if (late && rtc_host_unsent(t->host, i) > 0)
            t->own[RTC_COUNT_CLOSED_LATE]++;
        rtc_host_close(t->host, i); /* no ended callback: the slot is free after */
        memset(s, 0, sizeof *s);
        t->closing--;
    }
}

/* Whether a member takes its states in batches, as the core says. */
static void webrtc_member(void *ctx, uint32_t handle, const struct relay_member_way *way)
{
    uint32_t slot;
    struct rtc_edge_slot *s = peer_slot(ctx, handle, &slot);
    if (s)
        s->batches = way && way->batches;
}

/* Sessions of browsers: every byte encrypted by DTLS (secure), channels
 * (the ENet modes), SCTP fragments and reassembles (no message_max), and
 * ICE's checks bind a session to its address (not forgeable). */
struct relay_transport transport_webrtc_core(void *ctx, uint32_t base)
{
    static const char *const counters[RTC_COUNTS + 1] = {
        [RTC_COUNT_OFFERS] = "offers",
        [RTC_COUNT_OFFERS_BAD] = "offers_bad",
        [RTC_COUNT_OFFERS_TICKET] = "offers_ticket",
        [RTC_COUNT_OFFERS_FULL] = "offers_full",
        [RTC_COUNT_STUN_MALFORMED] = "stun_malformed",
        [RTC_COUNT_STUN_UNKNOWN] = "stun_unknown",
        [RTC_COUNT_STUN_INTEGRITY] = "stun_integrity",
        [RTC_COUNT_STUN_NOT_CHECK] = "stun_not_check",
        [RTC_COUNT_DTLS_UNVERIFIED] = "dtls_unverified",
        [RTC_COUNT_NOT_WEBRTC] = "not_webrtc",
        [RTC_COUNT_TOO_LONG] = "too_long",
        [RTC_COUNT_HALF_OPEN] = "half_open",
        [RTC_COUNT_EVICTED] = "evicted",
        [RTC_COUNT_CHANNELS_REFUSED] = "channels_refused",
        [RTC_COUNT_DCEP_BAD] = "dcep_bad",
        [RTC_COUNT_STRAY] = "stray_messages",
        [RTC_COUNT_OVERSIZE] = "oversize",
        [RTC_COUNT_SEND_BLOCKED] = "send_blocked",
        [RTC_COUNT_CLOSED_LATE] = "closed_late",
        [RTC_COUNTS] = NULL,
    };
    struct relay_webrtc *t = ctx;
    t->base = base;
    return (struct relay_transport){
        .ctx = t,
        .name = "webrtc",
        .peers = t->cfg.peer_cap,
        .message_max = 0,
        .forgeable = false,
        .modes = (1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) |
                 (1u << PROTO_MODE_RELIABLE),
        .secure = true,
        .counters = counters,
        .send_control = webrtc_send_control,
        .send_state = webrtc_send_state,
        .disconnect = webrtc_disconnect,
        .backlog = transport_webrtc_backlog,
        .member = webrtc_member,
    };
}
