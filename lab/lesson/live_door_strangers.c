/* live_door_strangers.c: what the lesson's door answers a UDP program from
 * another machine that it holds no place for (see live.h). Anyone on a
 * class's network can put any source address on a datagram; the door takes
 * no place, opens no socket towards the relay and passes nothing on for an
 * endpoint until it has shown that it receives at its address, as the
 * relay's plain-UDP edge does (PROTOCOL.md, "Return routability (plain
 * UDP)"): its join echoes a cookie the door sent there, a keyed hash of
 * the endpoint and a 10 s window (relay/core/cookies.h), so the door
 * remembers nothing until then. Everything else gets what the relay would
 * answer a stranger, never longer than what came, within the same budgets
 * (relay/core/strangers.h). The relay's own cookie, for the door's socket,
 * follows once the join is passed on: the program echoes it as any. */
#include "live_door_strangers.h"
#include "live_door.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>

#include <cjson/cJSON.h>

#include "proto/enet/sniff.h"
#include "proto/wire.h"
#include "relay/core/cookies.h"

int live_door_strangers_init(struct live_door *d, uint64_t now_us)
{
    if (getrandom(d->cookie_key, sizeof d->cookie_key, 0) != (ssize_t)sizeof d->cookie_key)
        return -1;
    strangers_init(&d->strangers, d->cookie_key, LIVE_GUESTS_PER_ADDRESS, now_us);
    return 0;
}

/* json to the stranger at to, if no longer than what it sent and the
 * budgets allow (admission: the cookie answering a join). */
static void reply(struct live_door *d, const union netaddr *to, const char *json,
                  size_t request_len, bool admission, uint64_t now_us)
{
    size_t len = strlen(json);
    if (len <= request_len && strangers_may_reply(&d->strangers, to, admission, now_us))
        sendto(d->udp, json, len, MSG_DONTWAIT, &to->sa, netaddr_len(to));
}

bool live_door_stranger_proven(struct live_door *d, const union netaddr *from,
                               const unsigned char *b, size_t n, uint64_t now_us)
{
    cJSON *o = n && b[0] == '{' ? cJSON_ParseWithLength((const char *)b, n) : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *cookie = cJSON_GetObjectItemCaseSensitive(o, "cookie");
    bool join = cJSON_IsString(type) && !strcmp(type->valuestring, "join"), ok = false;
    if (!join && sniff_is_enet_connect(b, n)) {
        reply(d, from, "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"udp\"}", n,
              false, now_us);
    } else if (!join) {
        reply(d, from, "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"join\"}", n,
              false, now_us);
    } else if (!cJSON_IsNumber(version) ||
               (version->valuedouble != PROTO_VERSION && version->valuedouble != 2)) {
        reply(d, from, "{\"type\":\"error\",\"code\":\"bad_version\",\"message\":\"upgrade\"}",
              n, false, now_us);
    } else if (cJSON_IsString(cookie) &&
               cookies_valid(d->cookie_key, from, cookie->valuestring, now_us)) {
        ok = true;
    } else {
        char text[COOKIE_TEXT_LEN + 1], json[64];
        cookies_write(d->cookie_key, from, now_us, text);
        snprintf(json, sizeof json, "{\"type\":\"cookie\",\"cookie\":\"%s\"}", text);
        reply(d, from, json, n, true, now_us);
    }
    cJSON_Delete(o);
    return ok;
}
