/* refusals.c: why a datagram is refused (see refusals_internal.h): each reason's
 * counter, the error its sender is told, and strikes for malformed input
 * (too many and the sender is kicked, by the teardown in peers.c once the
 * input is handled). */
#define BY_REFUSALS_C /* this file writes the parts BY_REFUSALS_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "refusals_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "sys/log.h"

/* Every drop reason: its counter in the stats record, the error code the
 * client is told (NONE: none, or the caller sends its own), and whether it
 * means malformed input, which earns a strike. */
static const struct {
    const char *name;
    enum proto_error_code code;
    bool strike;
} drop_info[RELAY_DROP_COUNT] = {
    [RELAY_DROP_NOT_JOINED] = { "not_joined", PROTO_ERROR_NOT_JOINED, false },
    [RELAY_DROP_BAD_STATE] = { "bad_state", PROTO_ERROR_BAD_STATE, true },
    [RELAY_DROP_BAD_JSON] = { "bad_json", PROTO_ERROR_BAD_JSON, true },
    [RELAY_DROP_MISSING_FIELD] = { "missing_field", PROTO_ERROR_MISSING_FIELD, true },
    [RELAY_DROP_BAD_FIELD] = { "bad_field", PROTO_ERROR_BAD_FIELD, true },
    [RELAY_DROP_UNKNOWN_TYPE] = { "unknown_type", PROTO_ERROR_UNKNOWN_TYPE, true },
    [RELAY_DROP_WRONG_CHANNEL] = { "wrong_channel", PROTO_ERROR_BAD_STATE, true },
    [RELAY_DROP_TOO_BIG] = { "too_big", PROTO_ERROR_TOO_BIG, true },
    [RELAY_DROP_RATE_LIMITED] = { "rate_limited", PROTO_ERROR_RATE_LIMITED, false },
    [RELAY_DROP_ROOM_FULL] = { "room_full", PROTO_ERROR_ROOM_FULL, false },
    [RELAY_DROP_TOO_MANY_ROOMS] = { "too_many_rooms", PROTO_ERROR_TOO_MANY_ROOMS, false },
    [RELAY_DROP_SERVER_FULL] = { "server_full", PROTO_ERROR_SERVER_FULL, false },
    [RELAY_DROP_BAD_NAME] = { "bad_name", PROTO_ERROR_BAD_NAME, false },
    [RELAY_DROP_BAD_ROOM] = { "bad_room", PROTO_ERROR_BAD_ROOM, false },
    [RELAY_DROP_ALREADY_JOINED] = { "already_joined", PROTO_ERROR_ALREADY_JOINED, false },
    [RELAY_DROP_CLOSED] = { "closed", PROTO_ERROR_NONE, false },
    [RELAY_DROP_PER_ADDRESS] = { "per_address", PROTO_ERROR_NONE, false },
    [RELAY_DROP_SEND_FAILED] = { "send_failed", PROTO_ERROR_NONE, false },
    [RELAY_DROP_STRAY] = { "stray", PROTO_ERROR_NONE, false },
    [RELAY_DROP_BAD_CHANNELS] = { "bad_channels", PROTO_ERROR_NONE, false },
    [RELAY_DROP_BANNED] = { "banned", PROTO_ERROR_KICKED, false },
    [RELAY_DROP_BAD_VERSION] = { "bad_version", PROTO_ERROR_BAD_VERSION, false },
    [RELAY_DROP_UNVERIFIED] = { "unverified", PROTO_ERROR_NONE, false },
    [RELAY_DROP_ENET_GUARD] = { "enet_guard", PROTO_ERROR_NONE, false },
    [RELAY_DROP_HALF_OPEN] = { "half_open", PROTO_ERROR_NONE, false },
    [RELAY_DROP_SLOW_READER] = { "slow_reader", PROTO_ERROR_NONE, false },
    [RELAY_DROP_HELD_COMMANDS] = { "held_commands", PROTO_ERROR_NONE, false },
    [RELAY_DROP_SEND_CLOSING] = { "send_closing", PROTO_ERROR_NONE, false },
    [RELAY_DROP_TICKET_REQUIRED] = { "ticket_required", PROTO_ERROR_TICKET_REQUIRED, false },
    [RELAY_DROP_TICKET_EXPIRED] = { "ticket_expired", PROTO_ERROR_TICKET_EXPIRED, false },
    [RELAY_DROP_TICKET_WRONG_RELAY] = { "ticket_wrong_relay", PROTO_ERROR_TICKET_WRONG_RELAY,
                                        false },
    [RELAY_DROP_TICKET_TAMPERED] = { "ticket_tampered", PROTO_ERROR_TICKET_TAMPERED, false },
    [RELAY_DROP_TICKET_REPLAYED] = { "ticket_replayed", PROTO_ERROR_TICKET_REPLAYED, false },
    [RELAY_DROP_TICKET_MALFORMED] = { "ticket_malformed", PROTO_ERROR_TICKET_MALFORMED, false },
    [RELAY_DROP_SEAL_FORGED] = { "seal_forged", PROTO_ERROR_NONE, false },
    [RELAY_DROP_SEAL_REPLAYED] = { "seal_replayed", PROTO_ERROR_NONE, false },
    [RELAY_DROP_UNSEALED] = { "unsealed", PROTO_ERROR_NONE, false },
    [RELAY_DROP_UNCONFIRMED] = { "unconfirmed", PROTO_ERROR_NONE, false },
    [RELAY_DROP_UNPLACED] = { "unplaced", PROTO_ERROR_DIRECTORY_UNAVAILABLE, false },
    [RELAY_DROP_STALE] = { "stale", PROTO_ERROR_NONE, false },
    [RELAY_DROP_JOIN_TIMEOUT] = { "join_timeout", PROTO_ERROR_NONE, false },
    [RELAY_DROP_BAD_HTTP] = { "bad_http", PROTO_ERROR_NONE, false },
    [RELAY_DROP_BAD_FRAME] = { "bad_frame", PROTO_ERROR_NONE, false },
    [RELAY_DROP_NO_MEMBER] = { "no_member", PROTO_ERROR_NO_MEMBER, false },
    [RELAY_DROP_THROTTLED] = { "throttled", PROTO_ERROR_THROTTLED, false },
    [RELAY_DROP_LISTING_OFF] = { "listing_off", PROTO_ERROR_LISTING_OFF, false },
    [RELAY_DROP_KEPT_FULL] = { "kept_full", PROTO_ERROR_TOO_BIG, false },
    [RELAY_DROP_NO_SUCH_ROOM] = { "no_such_room", PROTO_ERROR_NO_SUCH_ROOM, false },
    [RELAY_DROP_ROOM_CLOSED] = { "room_closed", PROTO_ERROR_ROOM_CLOSED, false },
    [RELAY_DROP_NOT_ROOM_OWNER] = { "not_room_owner", PROTO_ERROR_NOT_ROOM_OWNER, false },
    [RELAY_DROP_NOT_OWNER] = { "not_owner", PROTO_ERROR_NOT_OWNER, false },
    [RELAY_DROP_KEY_GUESSES] = { "key_guesses", PROTO_ERROR_RATE_LIMITED, false },
    [RELAY_DROP_SCRIPT_REFUSED] = { "script_refused", PROTO_ERROR_SCRIPT_REFUSED, false },
    [RELAY_DROP_SCRIPT_BUSY] = { "script_busy", PROTO_ERROR_NONE, false },
};

const char *relay_drop_name(enum relay_drop why)
{
    if ((unsigned)why >= RELAY_DROP_COUNT)
        return "?";
    return drop_info[why].name ? drop_info[why].name : "?";
}

void relay_count_drop(struct relay *r, enum relay_drop why)
{
    if ((unsigned)why < RELAY_DROP_COUNT)
        r->stats.drops[why]++;
}

void relay_count_conflated(struct relay *r, uint32_t peer, uint64_t n)
{
    if (peer < r->cfg.peer_cap)
        core_edge_stats(r, peer)->conflated += n;
}

void relay_edge_counters(struct relay *r, uint32_t handle, const uint64_t *values, size_t n)
{
    if (handle >= r->cfg.peer_cap)
        return;
    struct relay_edge_stats *es = core_edge_stats(r, handle);
    for (size_t i = 0; i < n && i < es->n_own; i++)
        es->own[i] = values[i];
}

/* Adds a strike (decaying at 1/s); returns true if the peer is to be kicked. */
static bool strike(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (r->cfg.max_strikes == 0)
        return false;
    uint64_t elapsed = now_us > p->strikes.us ? now_us - p->strikes.us : 0;
    p->strikes.micro = elapsed >= p->strikes.micro ? 0 : p->strikes.micro - elapsed;
    if (now_us > p->strikes.us)
        p->strikes.us = now_us;
    p->strikes.micro += MICRO;
    if (p->strikes.micro > (uint64_t)r->cfg.max_strikes * MICRO) {
        char why[64];
        snprintf(why, sizeof why, "more than %" PRIu32 " invalid messages",
                 r->cfg.max_strikes);
        core_kick_later(r, peer, why);
        return true;
    }
    return false;
}

int core_reject_as(struct relay *r, uint32_t peer, enum relay_drop why,
                   enum proto_error_code code, uint64_t now_us, const char *fmt, ...)
{
    r->stats.drops[why]++;
    char text[PROTO_TEXT_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    log_debug("relay: %s: %s: %s", r->peers[peer].addr, drop_info[why].name, text);
    if (drop_info[why].strike && strike(r, peer, now_us))
        return -1 - (int)why;
    if (code == PROTO_ERROR_NONE)
        code = drop_info[why].code;
    if (code != PROTO_ERROR_NONE)
        core_send_error(r, peer, false, code, now_us, "%s", text);
    return -1 - (int)why;
}

void core_strikes_start(struct relay *r, uint32_t peer, uint64_t now_us)
{
    r->peers[peer].strikes.us = now_us;
}

void core_kick_later(struct relay *r, uint32_t peer, const char *why)
{
    r->kick.due = true;
    r->kick.peer = peer;
    snprintf(r->kick.why, sizeof r->kick.why, "%s", why);
}

const char *core_kick_take(struct relay *r, uint32_t *peer)
{
    if (!r->kick.due)
        return NULL;
    r->kick.due = false;
    *peer = r->kick.peer;
    return r->kick.why;
}
