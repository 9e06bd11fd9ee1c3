/* member.c: a member over any way into the relay (see member.h). */
#include "member.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client/lib/client.h"
#include "proto/errors.h"
#include "proto/wire.h"
#include "sys/clock.h"
#include "poll_client.h"
#include "streams.h"

/* Every edge of relay_transports[] has a way here (test_e2e_faults checks
 * it); a new edge needs one. */
const struct way member_ways[] = {
    {"enet", "enet", NULL, PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_DEFAULT, false, true},
    {"udp", "udp", NULL, PROTO_MODE_UDP, RICOCHET_TRANSPORT_DEFAULT, false, false},
    {"tcp", "tcp", NULL, PROTO_MODE_TCP, RICOCHET_TRANSPORT_DEFAULT, false, true},
    {"ws", "ws", NULL, PROTO_MODE_WS, RICOCHET_TRANSPORT_DEFAULT, false, true},
    {"wss", "wss", NULL, PROTO_MODE_WS, RICOCHET_TRANSPORT_DEFAULT, true, true},
    {"webrtc", "webrtc", "ws", PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_WEBRTC, false, true},
    {"quic", "quic", NULL, PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_QUIC, false, true},
    {"quic", "wt", NULL, PROTO_MODE_STREAMS, RICOCHET_TRANSPORT_WEBTRANSPORT, false, true},
    {"poll", "poll", NULL, PROTO_MODE_TCP, RICOCHET_TRANSPORT_DEFAULT, false, true, true},
};
const size_t member_n_ways = sizeof member_ways / sizeof member_ways[0];

const struct way *member_way(const char *name)
{
    for (size_t i = 0; i < member_n_ways; i++)
        if (strcmp(member_ways[i].name, name) == 0)
            return &member_ways[i];
    return NULL;
}

/* ---- what comes in ------------------------------------------------------ */

static void note_left(struct member *m, uint32_t id, const char *why)
{
    if (m->n_left == sizeof m->left / sizeof m->left[0])
        return;
    m->left[m->n_left] = id;
    snprintf(m->left_why[m->n_left], sizeof m->left_why[0], "%s", why);
    m->left_at_ms[m->n_left++] = clock_now_ms();
}

static void on_event(struct member *m, const struct ricochet_event *ev)
{
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        m->id = ev->id;
        break;
    case RICOCHET_EV_STATE:
        if (ev->id < MEMBER_IDS)
            m->states[ev->id]++;
        break;
    case RICOCHET_EV_EVENT:
        m->events++;
        m->events_from[ev->id < MEMBER_IDS ? ev->id : 0]++;
        break;
    case RICOCHET_EV_LEFT:
        note_left(m, ev->id, ev->code);
        break;
    case RICOCHET_EV_ERROR:
        m->errors_throttled += strcmp(ev->code, "throttled") == 0;
        break;
    case RICOCHET_EV_DISCONNECTED:
        m->ended = true;
        snprintf(m->end_code, sizeof m->end_code, "%s", ev->code);
        break;
    default:
        break;
    }
}

/* A control message the raw client got (JSON). */
static void raw_control(struct member *m, const char *json)
{
    cJSON *o = cJSON_Parse(json);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));
    const cJSON *id = cJSON_GetObjectItem(o, "id");
    if (type && !strcmp(type, "welcome") && cJSON_IsNumber(id))
        m->id = (uint32_t)id->valuedouble;
    if (type && !strcmp(type, "left") && cJSON_IsNumber(id)) {
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(o, "reason"));
        note_left(m, (uint32_t)id->valuedouble, why ? why : "");
    }
    if (type && !strcmp(type, "error")) {
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(o, "code"));
        m->errors_throttled += code && !strcmp(code, "throttled");
        if (code && proto_error_info(proto_error_from_name(code)) &&
            proto_error_info(proto_error_from_name(code))->ends_session)
            snprintf(m->end_code, sizeof m->end_code, "%s", code);
    }
    cJSON_Delete(o);
}

/* One message from the raw client: over its WebSocket, or POSTed. */
static int raw_send(struct member *m, const void *bytes, size_t len)
{
    if (m->p)
        return poll_client_send(m->p, bytes, len, 2000) == 204 ? 0 : -1;
    return streams_send(m->s, bytes, len);
}

/* The raw client pings once quiet for a second, as the library does for
 * a third of its timeout: the relay closes a stream silent for its own. */
static void raw_keepalive(struct member *m)
{
    uint64_t now = clock_now_ms();
    if (m->id == 0 || now - m->sent_ms < 1000)
        return;
    char ping[64];
    int n = snprintf(ping, sizeof ping, "{\"type\":\"ping\",\"t\":%llu}",
                     (unsigned long long)clock_now_us());
    raw_send(m, ping, (size_t)n);
    m->sent_ms = now;
}

/* What the raw client got: a control message, a state, an event. */
static void raw_message(struct member *m, const char *msg, size_t len)
{
    const uint8_t *b = (const uint8_t *)msg;
    struct proto_state st;
    struct proto_event ev;
    if (len > 0 && msg[0] == '{') {
        raw_control(m, msg);
    } else if (proto_is_event(b, len)) {
        m->events++;
        if (proto_event_decode(b, len, &ev) == PROTO_OK && ev.sender < MEMBER_IDS)
            m->events_from[ev.sender]++;
    } else if (proto_state_decode(b, len, &st) == PROTO_OK && st.sender < MEMBER_IDS)
        m->states[st.sender]++;
}

int member_poll(struct member *m, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)(ms > 0 ? ms : 0);
    if (m->ended)
        return -1;
    do {
        if (m->c) {
            struct ricochet_event ev;
            int got;
            while ((got = ricochet_poll(m->c, 0, &ev)) > 0)
                on_event(m, &ev);
            if (got < 0 || m->ended) {
                m->ended = true;
                return -1;
            }
        } else {
            static char msg[1 << 16];
            int n;
            while ((n = m->p ? poll_client_recv(m->p, msg, sizeof msg, 0)
                             : streams_recv(m->s, msg, sizeof msg, 0)) > 0)
                raw_message(m, msg, (size_t)n);
            if (n == 0) {
                m->ended = true;
                return -1;
            }
            raw_keepalive(m);
        }
        if (ms > 0)
            clock_sleep_ms(1);
    } while (clock_now_ms() < end);
    return 0;
}

/* ---- joining, sending -------------------------------------------------- */

static int join_raw(struct member *m, const char *host, uint16_t port, const char *room,
                    const char *name, int ms)
{
    char join[256];
    int n = snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":%d,\"room\":\"%s\","
                     "\"name\":\"%s\",\"mode\":\"%s\"}", PROTO_VERSION, room, name,
                     m->way->raw_poll ? "tcp" : "ws");
    if (m->way->raw_poll) { /* long polls of a second */
        m->p = calloc(1, sizeof *m->p);
        if (!m->p || poll_client_join(m->p, host, port, join, 1000, ms) != 0) {
            fprintf(stderr, "member %s: no poll session at %s:%u\n", name, host, port);
            return -1;
        }
    } else {
        m->s = calloc(1, sizeof *m->s);
        if (!m->s || streams_open_to(m->s, STREAMS_WSS, NULL, host, port) != 0) {
            fprintf(stderr, "member %s: no wss connection to %s:%u\n", name, host, port);
            return -1;
        }
        if (streams_send(m->s, join, (size_t)n) != 0)
            return -1;
    }
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (m->id == 0 && clock_now_ms() < end && member_poll(m, 10) == 0)
        ;
    return m->id ? 0 : -1;
}

int member_join(struct member *m, const struct way *w, const char *host, uint16_t port,
                const char *room, const char *name, int ms)
{
    memset(m, 0, sizeof *m);
    m->way = w;
    m->next_seq = 1;
    int rc;
    if (w->raw_wss || w->raw_poll) {
        rc = join_raw(m, host, port, room, name, ms);
    } else {
        struct client_config cfg = {.host = host, .port = port, .room = room, .name = name,
                                    .mode = w->mode, .timeout_ms = 5000,
                                    .transport = w->transport};
        char err[256] = "";
        m->c = client_create(&cfg, err, sizeof err);
        if (!m->c) {
            fprintf(stderr, "member %s over %s: %s\n", name, w->name, err);
            return -1;
        }
        uint64_t end = clock_now_ms() + (uint64_t)ms;
        while (m->id == 0 && clock_now_ms() < end && member_poll(m, 10) == 0)
            ;
        rc = m->id ? 0 : -1;
    }
    if (rc != 0) {
        fprintf(stderr, "member %s over %s: not welcomed within %d ms%s%s\n", name, w->name,
                ms, m->end_code[0] ? ": " : "", m->end_code);
        member_close(m);
    }
    return rc;
}

int member_send_state(struct member *m, size_t payload)
{
    static uint8_t bytes[RICOCHET_PAYLOAD_MAX];
    memset(bytes, 0x3c, payload);
    if (m->c) {
        struct ricochet_state s = {.x = (float)(m->next_seq % 100), .y = 50};
        m->next_seq++;
        return ricochet_send_state_payload(m->c, &s, bytes, payload) == RICOCHET_OK ? 0 : -1;
    }
    uint8_t buf[PROTO_STATE_MAX];
    struct proto_state s = {.seq = m->next_seq++, .send_us = clock_now_us(), .x = 1, .y = 50};
    int n = proto_state_encode(buf, sizeof buf, &s);
    if (n < 0 || (size_t)n + payload > sizeof buf)
        return -1;
    memcpy(buf + n, bytes, payload);
    m->sent_ms = clock_now_ms();
    return raw_send(m, buf, (size_t)n + payload);
}

int member_send_event(struct member *m, uint32_t to, size_t len)
{
    static uint8_t body[RICOCHET_EVENT_MAX];
    memset(body, 0x5a, len);
    if (m->c)
        return ricochet_send_event(m->c, to, body, len) == RICOCHET_OK ? 0 : -1;
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode(buf, sizeof buf, to, body, len);
    m->sent_ms = clock_now_ms();
    return n < 0 ? -1 : raw_send(m, buf, (size_t)n);
}

int member_fd(const struct member *m)
{
    return m->c ? ricochet_fd(m->c) : m->s ? streams_fd(m->s) : m->p ? poll_client_fd(m->p) : -1;
}

void member_close(struct member *m)
{
    if (m->c)
        ricochet_close(m->c);
    if (m->s) {
        streams_close(m->s);
        free(m->s);
    }
    if (m->p) {
        poll_client_leave(m->p, 500); /* as a stream's close: the session ends now */
        poll_client_close(m->p);
        free(m->p);
    }
    m->c = NULL;
    m->s = NULL;
    m->p = NULL;
}
