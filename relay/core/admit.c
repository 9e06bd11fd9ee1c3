/* admit.c: the first step of every datagram's way through the relay (see
 * state_flow.c for the rest): a known peer, counted, within its rate and
 * the size limit, opened if sealed. In a sealed session only what opens is
 * counted against the peer. */
#include "core.h"
#include "admit_internal.h"
#include "control_out_internal.h"
#include "limits_internal.h"
#include "peers_internal.h"
#include "refusals_internal.h"
#include "sealing_internal.h"

#include <inttypes.h>
#include <stdio.h>

/* What a limit's verdict means for the peer: dropped (warned at most once
 * a second, kicked after kick_after_ms of abuse), or go on. bytes: the
 * byte budget's verdict, else the rate's. Returns 0 to go on or the
 * relay_on_datagram code. */
static int limit_verdict(struct relay *r, uint32_t peer, enum core_rate verdict,
                         uint64_t streak_us, bool bytes, uint64_t now_us)
{
    uint32_t limit = bytes ? r->cfg.byte_limit : r->cfg.rate_limit;
    uint32_t burst = bytes ? r->cfg.byte_burst : r->cfg.rate_burst;
    const char *unit = bytes ? "bytes/s into your room" : "messages/s";
    switch (verdict) {
    case CORE_RATE_OK:
        return 0;
    case CORE_RATE_KICK: {
        char why[96];
        snprintf(why, sizeof why, "over the %s limit of %" PRIu32 "/s for %.1f s",
                 bytes ? "byte" : "rate", limit, (double)streak_us / 1e6);
        core_kick_later(r, peer, why);
        break;
    }
    case CORE_RATE_WARN:
        core_send_error(r, peer, false, PROTO_ERROR_RATE_LIMITED, now_us,
                        "over %" PRIu32 " %s (burst %" PRIu32 "): dropped%s", limit, unit, burst,
                        r->cfg.kick_after_ms ? "; keep it up and you are kicked" : "");
        break;
    case CORE_RATE_DROP:
        break;
    }
    return -1 - RELAY_DROP_RATE_LIMITED;
}

/* A datagram's rate (rate_limit). */
static int rate_admit(struct relay *r, uint32_t peer, uint64_t now_us)
{
    uint64_t streak = 0;
    enum core_rate v = core_rate_check(r, peer, now_us, &streak);
    return limit_verdict(r, peer, v, streak, false, now_us);
}

int core_budget_admit(struct relay *r, uint32_t peer, uint64_t now_us)
{
    uint64_t streak = 0;
    enum core_rate v = core_budget_check(r, peer, now_us, &streak);
    return limit_verdict(r, peer, v, streak, true, now_us);
}

/* A datagram of a peer whose session's keys are drawn: only what opens is
 * its own. What does not (clear, forged, replayed, too long or cut short)
 * anyone on the path could have sent: counted and dropped, it earns no
 * strike, spends nothing of the peer's rate limit and keeps no one alive
 * (sealing.c: heard_us). A clear join before the proof goes on to
 * join.c. Returns 0 to go on or the relay_on_datagram code. */
static int admit_sealed(struct relay *r, uint32_t peer, uint32_t flags, uint8_t **bytes,
                        size_t *len, uint64_t now_us)
{
    if ((flags & RELAY_IN_TRUNCATED) || *len > r->cfg.max_packet_size) {
        r->stats.drops[RELAY_DROP_TOO_BIG]++;
        return -1 - RELAY_DROP_TOO_BIG;
    }
    if (!*bytes || *len == 0) {
        r->stats.drops[RELAY_DROP_UNSEALED]++;
        return -1 - RELAY_DROP_UNSEALED;
    }
    int rc = core_unseal(r, peer, bytes, len, now_us);
    if (rc < 0 || r->sealing.in_clear)
        return rc;
    if ((rc = rate_admit(r, peer, now_us)) < 0)
        return rc;
    if (*len == 0) {
        r->stats.state_errors[RELAY_STATE_ERR_SHORT]++;
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "empty message");
    }
    return 0;
}

int core_admit(struct relay *r, uint32_t peer, uint32_t flags, uint8_t **bytes, size_t *len,
               uint64_t now_us)
{
    const struct relay_peer *p = core_peer_get(r, peer);
    if (!p) {
        r->stats.drops[RELAY_DROP_CLOSED]++;
        return -1 - RELAY_DROP_CLOSED;
    }
    r->stats.bytes_in += *len;
    core_edge_stats(r, peer)->bytes_in += *len;
    if (p->ticket.sealed)
        return admit_sealed(r, peer, flags, bytes, len, now_us);
    int rc = rate_admit(r, peer, now_us);
    if (rc < 0)
        return rc;
    if (flags & RELAY_IN_TRUNCATED)
        return core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                           "datagram of more than %zu bytes, max %zu", *len,
                           r->cfg.max_packet_size);
    if (*len > r->cfg.max_packet_size)
        return core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                           "datagram of %zu bytes, max %zu", *len, r->cfg.max_packet_size);
    if (*bytes && *len > 0 && (rc = core_unseal(r, peer, bytes, len, now_us)) < 0)
        return rc;
    if (*len == 0 || !*bytes) {
        r->stats.state_errors[RELAY_STATE_ERR_SHORT]++;
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "empty datagram");
    }
    return 0;
}
