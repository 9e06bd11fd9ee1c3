/* transport_udp_cookies.c: what the plain-UDP edge answers strangers
 * (see transport_udp.h), and the cookie a join must echo first.
 *
 * Anyone can put any source address on a datagram. Before the relay keeps
 * state for an endpoint, answers it with more than it sent, or tells a room
 * about it, the endpoint must prove it receives at its address: its join
 * echoes a cookie the relay sent there. The cookie is a keyed hash of the
 * endpoint and a 10 s window (cookies.h), so the relay remembers nothing
 * until then (as DTLS HelloVerifyRequest, QUIC Retry, netcode.io connect
 * tokens). */
#include "transport_udp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sys/clock.h"
#include "proto/enet/sniff.h"
#include "relay/core/cookies.h"

/* Sends json to a stranger only if it is no longer than what the stranger
 * sent (amplification at most 1x) and its budgets allow (strangers.h;
 * admission: the cookie answering a join). */
static void reply_stranger(struct relay_udp *t, const union netaddr *to, const char *json,
                           size_t request_len, bool admission)
{
    size_t len = strlen(json);
    if (len > request_len || !strangers_may_reply(&t->strangers, to, admission, clock_now_us()))
        return;
    transport_udp_flush(t);
    if (sendto(t->fd, json, len, 0, &to->sa, netaddr_len(to)) < 0)
        transport_udp_count_failed(t, 1);
}

/* A datagram from an endpoint that is not a member. Returns true if it is a
 * join of this version echoing a valid cookie (go on as a member to be);
 * otherwise answers it (cookie, bad_version or not_joined, never longer than
 * the datagram), counts it and returns false. */
bool transport_udp_stranger_verified(struct relay_udp *t, struct relay *r,
                                     const union netaddr *from, const uint8_t *bytes,
                                     size_t len, uint64_t now_us)
{
    cJSON *o = len > 0 && bytes[0] == '{' ? cJSON_ParseWithLength((const char *)bytes, len)
                                          : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    bool join = cJSON_IsString(type) && strcmp(type->valuestring, "join") == 0;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *cookie = cJSON_GetObjectItemCaseSensitive(o, "cookie");
    bool ok = false;
    char reply[64];
    if (!join && sniff_is_enet_connect(bytes, len)) {
        /* An ENet client: the usual answer is longer than its 52-byte
         * connect, this one is not, and it tells the client we are plain
         * UDP (PROTOCOL.md, "Transport mismatch"). */
        relay_count_drop(r, RELAY_DROP_NOT_JOINED);
        reply_stranger(t, from, "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"udp\"}", len,
                       false);
    } else if (!join) {
        relay_count_drop(r, RELAY_DROP_NOT_JOINED);
        reply_stranger(t, from, "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"join\"}", len,
                       false);
    } else if (!cJSON_IsNumber(version) ||
               (version->valuedouble != PROTO_VERSION && version->valuedouble != 2)) {
        /* Version 2 without a ticket is still taken (join.c says why). */
        relay_count_drop(r, RELAY_DROP_BAD_VERSION);
        reply_stranger(t, from, "{\"type\":\"error\",\"code\":\"bad_version\",\"message\":\"upgrade\"}", len,
                       false);
    } else if (cJSON_IsString(cookie) && cookies_valid(t->cookie_key, from, cookie->valuestring, now_us)) {
        ok = true;
    } else {
        relay_count_drop(r, RELAY_DROP_UNVERIFIED);
        char text[COOKIE_TEXT_LEN + 1];
        cookies_write(t->cookie_key, from, now_us, text);
        snprintf(reply, sizeof reply, "{\"type\":\"cookie\",\"cookie\":\"%s\"}", text);
        reply_stranger(t, from, reply, len, true);
    }
    cJSON_Delete(o);
    return ok;
}

