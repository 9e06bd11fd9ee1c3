/* transport_webrtc_channels.c: a WebRTC member's data channels, chosen by
 * label, mapped onto ENet's rows of the mode table (proto/mode.c), so the
 * core sees such a member as it sees an ENet one: what counts is how it
 * sends (PROTOCOL.md, "WebRTC data channels").
 *
 *   label          kind                      up (channel, flags)       down
 *   control        ordered, reliable         '{', event: 0, reliable   control messages,
 *                                            else 2, reliable          events, reliable states
 *   unsequenced    unordered, partly rel.    1, unsequenced            unsequenced states
 *   sequenced      unordered, partly rel.    2, unsequenced            sequenced states
 *
 * A member that did not open a state's channel gets it on the other state
 * channel (unordered too: it loses nothing it would not have), else on
 * control (where it arrives late rather than never). Pure. */
#include "transport_webrtc.h"

#include <string.h>

#include "proto/mode.h"
#include "proto/wire.h"

static const char *const labels[RTC_ROLES] = {
    [RTC_ROLE_CONTROL] = "control",
    [RTC_ROLE_UNSEQUENCED] = "unsequenced",
    [RTC_ROLE_SEQUENCED] = "sequenced",
};

const char *transport_webrtc_label(enum rtc_role role)
{
    return (unsigned)role < RTC_ROLES ? labels[role] : "?";
}

enum rtc_role transport_webrtc_role(const struct rtc_sctp_channel *ch)
{
    for (int r = 0; r < RTC_ROLES; r++) {
        if (strcmp(ch->label, labels[r]) != 0)
            continue;
        bool control = r == RTC_ROLE_CONTROL;
        /* control must keep order and deliver everything; a state
         * channel must not, or it would stall like one */
        if (control ? ch->ordered && ch->reliable : !ch->ordered && !ch->reliable)
            return (enum rtc_role)r;
        return RTC_ROLE_NONE;
    }
    return RTC_ROLE_NONE;
}

void transport_webrtc_up(enum rtc_role role, const uint8_t *data, size_t len, uint8_t *channel,
                         uint32_t *flags)
{
    switch (role) {
    case RTC_ROLE_CONTROL:
        if (len > 0 && (data[0] == '{' || proto_is_event(data, len))) {
            *channel = PROTO_CHANNEL_CONTROL;
            *flags = PROTO_FLAG_RELIABLE;
        } else {
            *channel = PROTO_CHANNEL_RELIABLE;
            *flags = PROTO_FLAG_RELIABLE;
        }
        return;
    case RTC_ROLE_SEQUENCED:
        *channel = PROTO_CHANNEL_RELIABLE;
        *flags = PROTO_FLAG_UNSEQUENCED;
        return;
    default:
        *channel = PROTO_CHANNEL_STATE;
        *flags = PROTO_FLAG_UNSEQUENCED;
        return;
    }
}

enum rtc_role transport_webrtc_down(uint8_t channel, uint32_t flags, unsigned open)
{
    enum rtc_role want, other;
    if (flags & PROTO_FLAG_RELIABLE) {
        want = other = RTC_ROLE_CONTROL;
    } else if (channel == PROTO_CHANNEL_RELIABLE) {
        want = RTC_ROLE_SEQUENCED;
        other = RTC_ROLE_UNSEQUENCED;
    } else {
        want = RTC_ROLE_UNSEQUENCED;
        other = RTC_ROLE_SEQUENCED;
    }
    if (open & (1u << want))
        return want;
    if (open & (1u << other))
        return other;
    return open & (1u << RTC_ROLE_CONTROL) ? RTC_ROLE_CONTROL : RTC_ROLE_NONE;
}
