/* target_relay.c: fuzzes the relay core's input path (see targets.h).
 *
 * The fuzz bytes are a small program: a config byte block, then operations
 * (connect, gone, raw datagram, join, state, control, time step, burst)
 * run against a relay with a fake transport. The fake checks every answer:
 * control JSON decodes and is a relay -> client type, states are stamped
 * with the sender's relay id and go only to connected members on the
 * channel and flags they came in with, nothing is sent to a peer after its
 * disconnect, ids are never 0 or reused, counters only grow and every
 * rejection is counted, the caps hold, the stats line is JSON. */
#include <string.h>
#include <arpa/inet.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "proto/errors.h"
#include "sys/log.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "relay/stats_record.h"
#include "targets.h"

#define FR_PEER_CAP 8    /* transport handles 0..7 */
#define FR_PEER_RANGE 10 /* connect also tries 8 and 9: out of range */
#define FR_MAX_IDS 8192

struct fuzz_relay {
    struct relay *r;
    struct relay_config cfg;
    bool datagram;                  /* on a bare datagram transport's capabilities */
    bool mixed;                     /* on two edges: channels (handles 0..3), datagrams
                                       (4..7) */
    bool streams;                   /* the channels' edge counts its peers against
                                       max_clients from their join (a stream's) */
    uint64_t now;
    bool connected[FR_PEER_RANGE]; /* the fake's view: connect ok, no disconnect yet */
    uint32_t id[FR_PEER_RANGE];     /* relay id from the last welcome, 0 if none */
    int reflect[FR_PEER_RANGE];     /* 1/0 when joined through the template, -1 unknown */
    int connecting;                 /* peer inside relay_peer_connect, or -1 */
    int sender;                     /* peer inside relay_on_datagram, or -1 */
    uint8_t channel;                /* the way down of the state in hand (its mode's) */
    uint32_t flags;
    size_t len;
    uint32_t max_id_seen;
    uint8_t used_ids[FR_MAX_IDS / 8];
    struct proto_control msg; /* decoded control, reused (it is large) */
};

static struct fuzz_relay fr;

/* How often the interesting paths ran, summed over all inputs: the smoke
 * test asserts the corpus reaches them (a target that never forwards would
 * check nothing). */
struct fuzz_relay_reach {
    unsigned long welcomes, states, errors, kicks;
};
static struct fuzz_relay_reach fuzz_relay_reached;

static const char *const fr_rooms[] = { "r0", "r1", "r2", "lobby" };
static const char *const fr_names[] = { "alice", "bob", "carol", "dave", "eve", "x",
                                        "bad name", "" };

/* A code from proto/errors' table (the relay names its codes from it too). */
static int fr_error_code_known(const char *code)
{
    return proto_error_from_name(code) != PROTO_ERROR_NONE;
}

/* An edge is called with handles of its own range only (ctx: its index). */
static void fr_check_edge(void *ctx, uint32_t peer)
{
    if (fr.mixed)
        FUZZ_CHECK(peer / (FR_PEER_CAP / 2) == (uintptr_t)ctx);
}

static void fr_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    fr_check_edge(ctx, peer);
    FUZZ_CHECK(peer < FR_PEER_CAP);
    FUZZ_CHECK(fr.connected[peer] || (int)peer == fr.connecting);
    FUZZ_CHECK(len > 0 && len <= PROTO_CONTROL_MAX);
    char why[128];
    int rc = proto_control_decode(json, len, &fr.msg, why, sizeof why);
    if (rc != PROTO_OK)
        fprintf(stderr, "relay sent undecodable control (%s): %.*s\n", why, (int)len, json);
    FUZZ_CHECK(rc == PROTO_OK);
    switch (fr.msg.type) {
    case PROTO_CTL_WELCOME: {
        uint32_t id = fr.msg.id;
        FUZZ_CHECK(id != 0);
        fuzz_relay_reached.welcomes++;
        /* A repeated welcome (udp: repeated join) carries the same id. */
        if (fr.id[peer] != id) {
            FUZZ_CHECK(id < FR_MAX_IDS);
            FUZZ_CHECK(!(fr.used_ids[id / 8] & (1u << (id % 8)))); /* never reused */
            fr.used_ids[id / 8] |= (uint8_t)(1u << (id % 8));
            fr.id[peer] = id;
        }
        FUZZ_CHECK(fr.msg.roster_len < fr.cfg.max_room_size || fr.cfg.max_room_size == 0);
        for (size_t i = 0; i < fr.msg.roster_len; i++) {
            FUZZ_CHECK(fr.msg.roster[i].id != 0 && fr.msg.roster[i].id != id);
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(fr.msg.roster[i].id != fr.msg.roster[j].id);
        }
        break;
    }
    case PROTO_CTL_ERROR:
        FUZZ_CHECK(fr_error_code_known(fr.msg.code));
        fuzz_relay_reached.errors++;
        if (strcmp(fr.msg.code, "kicked") == 0)
            fuzz_relay_reached.kicks++;
        break;
    case PROTO_CTL_JOINED:
    case PROTO_CTL_LEFT:
    case PROTO_CTL_CHAT:
        FUZZ_CHECK(fr.msg.id != 0);
        break;
    case PROTO_CTL_PONG:
        break;
    case PROTO_CTL_ROOM: /* the relay's names its room: the room as it is */
        FUZZ_CHECK(fr.msg.room[0] != '\0');
        break;
    default:
        FUZZ_CHECK(!"relay sent a client -> relay message type");
    }
}

static void fr_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                          uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    struct proto_state s;
    FUZZ_CHECK(fr.sender >= 0); /* states only go out while handling one */
    FUZZ_CHECK(from == (uint32_t)fr.sender);
    fuzz_relay_reached.states++;
    FUZZ_CHECK(n >= 1 && n <= PROTO_ROSTER_MAX);
    FUZZ_CHECK(channel == fr.channel && flags == fr.flags && len == fr.len);
    FUZZ_CHECK(proto_state_decode(bytes, len, &s) == PROTO_OK);
    uint32_t sender_id = relay_peer_id(fr.r, (uint32_t)fr.sender);
    FUZZ_CHECK(sender_id != 0 && s.sender == sender_id); /* stamped, not forged */
    FUZZ_CHECK(fr.id[fr.sender] == 0 || fr.id[fr.sender] == sender_id);
    for (size_t i = 0; i < n; i++) {
        fr_check_edge(ctx, peers[i]);
        FUZZ_CHECK(peers[i] < FR_PEER_CAP && fr.connected[peers[i]]);
        FUZZ_CHECK(relay_peer_joined(fr.r, peers[i]));
        if ((int)peers[i] == fr.sender)
            FUZZ_CHECK(fr.reflect[fr.sender] != 0); /* back to me only with reflect */
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(peers[i] != peers[j]);
    }
}

static void fr_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    fr_check_edge(ctx, peer);
    /* the core says why it closes a peer (the ENet disconnect data) */
    FUZZ_CHECK(proto_error_info(why) != NULL);
    FUZZ_CHECK(peer < FR_PEER_CAP);
    FUZZ_CHECK(fr.connected[peer] || (int)peer == fr.connecting);
    fr.connected[peer] = false;
    fr.id[peer] = 0;
    fr.reflect[peer] = -1;
}

static void fr_check_caps(const struct relay_stats *before)
{
    const struct relay_stats *st = relay_stats(fr.r);
    /* a stream's connections that have not joined are its own to bound */
    FUZZ_CHECK((fr.streams ? relay_members(fr.r) : relay_clients(fr.r)) <= fr.cfg.max_clients);
    FUZZ_CHECK(relay_members(fr.r) <= relay_clients(fr.r));
    FUZZ_CHECK(relay_rooms(fr.r) <= fr.cfg.max_rooms);
    for (size_t i = 0; i < sizeof fr_rooms / sizeof fr_rooms[0]; i++)
        FUZZ_CHECK(relay_room_size(fr.r, fr_rooms[i]) <= fr.cfg.max_room_size);
    for (int d = 0; d < RELAY_DROP_COUNT; d++)
        FUZZ_CHECK(st->drops[d] >= before->drops[d]);
    FUZZ_CHECK(st->states_in >= before->states_in && st->states_out >= before->states_out);
    FUZZ_CHECK(st->bytes_in >= before->bytes_in && st->joins >= before->joins);
    uint32_t connected = 0;
    for (uint32_t p = 0; p < FR_PEER_CAP; p++) {
        FUZZ_CHECK(relay_peer_connected(fr.r, p) == fr.connected[p]);
        if (fr.connected[p])
            connected++;
        if (relay_peer_joined(fr.r, p))
            FUZZ_CHECK(fr.connected[p] && relay_peer_id(fr.r, p) != 0);
    }
    FUZZ_CHECK(relay_clients(fr.r) == connected);
}

/* Hands one datagram to the core and checks the verdict is counted. */
static void fr_datagram(uint32_t peer, uint8_t channel, uint32_t flags, const uint8_t *bytes,
                        size_t len)
{
    struct relay_stats before = *relay_stats(fr.r);
    uint8_t *copy = malloc(len ? len : 1); /* exact size: over-reads are caught */
    FUZZ_CHECK(copy != NULL);
    if (len)
        memcpy(copy, bytes, len);
    fr.sender = (int)peer;
    /* A state goes down the way its mode's row says (proto/mode.c). */
    enum proto_mode mode = PROTO_MODE_UDP;
    if (channel == PROTO_CHANNEL_DATAGRAM || proto_mode_from_up(channel, flags, &mode) == 0) {
        fr.channel = proto_mode_info(mode)->down_channel;
        fr.flags = proto_mode_info(mode)->down_flags;
    } else {
        fr.channel = channel;
        fr.flags = flags;
    }
    fr.len = len;
    int rc = relay_on_datagram(fr.r, peer, channel, flags, copy, len, fr.now);
    fr.sender = -1;
    free(copy);
    FUZZ_CHECK(rc == 0 || (rc <= -1 && rc >= -RELAY_DROP_COUNT));
    if (rc < 0) {
        FUZZ_CHECK(relay_stats(fr.r)->drops[-1 - rc] > before.drops[-1 - rc]);
        FUZZ_CHECK(strcmp(relay_drop_name((enum relay_drop)(-1 - rc)), "?") != 0);
    }
    fr_check_caps(&before);
}

/* Does peer's edge have the capabilities of a bare datagram socket? */
static bool fr_dgram(uint32_t peer)
{
    return fr.mixed ? peer >= FR_PEER_CAP / 2 : fr.datagram;
}

static uint8_t fr_state_channel(uint32_t peer, uint8_t sel, uint32_t *flags)
{
    if (fr_dgram(peer)) {
        *flags = 0;
        return PROTO_CHANNEL_DATAGRAM;
    }
    switch (sel % 4) {
    case 0: *flags = PROTO_FLAG_UNSEQUENCED; return PROTO_CHANNEL_STATE;
    case 1: *flags = 0; return PROTO_CHANNEL_STATE;
    case 2: *flags = PROTO_FLAG_RELIABLE; return PROTO_CHANNEL_RELIABLE;
    default: *flags = PROTO_FLAG_RELIABLE; return PROTO_CHANNEL_STATE; /* wrong */
    }
}

static void fr_control(uint32_t peer, const char *json)
{
    uint8_t ch = fr_dgram(peer) ? PROTO_CHANNEL_DATAGRAM : PROTO_CHANNEL_CONTROL;
    uint32_t flags = fr_dgram(peer) ? 0 : PROTO_FLAG_RELIABLE;
    fr_datagram(peer, ch, flags, (const uint8_t *)json, strlen(json));
}

static void fr_op(struct fuzz_input *in)
{
    uint8_t op = fuzz_byte(in);
    uint32_t peer = fuzz_byte(in) % FR_PEER_RANGE;
    uint32_t cpeer = peer % FR_PEER_CAP; /* datagrams only come from valid handles */

    switch (op % 9) {
    case 0: { /* connect */
        struct relay_stats before = *relay_stats(fr.r);
        union netaddr addr = {.v4 = {.sin_family = AF_INET, .sin_port = htons(40000 + peer),
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}};
        bool was = peer < FR_PEER_CAP && fr.connected[peer];
        fr.connecting = (int)peer;
        int rc = relay_peer_connect(fr.r, peer, &addr, fr.now);
        fr.connecting = -1;
        FUZZ_CHECK(rc == 0 || rc == -1);
        if (peer >= FR_PEER_CAP)
            FUZZ_CHECK(rc == -1);
        if (rc == 0) {
            /* A busy handle: the core ends the old session (left quit to
             * its room, no disconnect call) and starts a new one. */
            (void)was;
            fr.connected[peer] = true;
            fr.id[peer] = 0;
            fr.reflect[peer] = -1;
        }
        fr_check_caps(&before);
        break;
    }
    case 1: { /* gone */
        struct relay_stats before = *relay_stats(fr.r);
        enum proto_left_reason why = fuzz_byte(in) & 1 ? PROTO_LEFT_TIMEOUT : PROTO_LEFT_QUIT;
        relay_peer_gone(fr.r, peer, why, fr.now);
        if (peer < FR_PEER_CAP) {
            fr.connected[peer] = false;
            fr.id[peer] = 0;
            fr.reflect[peer] = -1;
        }
        fr_check_caps(&before);
        break;
    }
    case 2: { /* raw datagram: channel, flags, length, bytes from the input */
        uint8_t chsel = fuzz_byte(in);
        uint8_t channel = chsel % 5 == 4 ? PROTO_CHANNEL_DATAGRAM : (uint8_t)(chsel % 5);
        if (chsel >= 0xF0)
            channel = chsel; /* channels nobody uses */
        uint32_t flags = fuzz_byte(in) % 4;
        size_t len = fuzz_byte(in);
        if (len >= 0xF0)
            len = (len - 0xF0) * 300; /* up to 4500 bytes: beyond the caps */
        uint8_t *buf = fuzz_take(in, len);
        fr_datagram(cpeer, channel, flags, buf, len);
        free(buf);
        break;
    }
    case 3: { /* join from templates */
        uint8_t a = fuzz_byte(in), b = fuzz_byte(in);
        char json[256];
        const char *room = fr_rooms[a % 4];
        const char *name = fr_names[(a >> 2) % 8];
        enum proto_mode mode = (enum proto_mode)(b % PROTO_MODE_COUNT);
        bool reflect = (b >> 2) & 1;
        snprintf(json, sizeof json,
                 "{\"type\":\"join\",\"version\":2,\"room\":\"%s\",\"name\":\"%s\",\"mode\":\"%s\","
                 "\"reflect\":%s}",
                 room, name, proto_mode_name(mode), reflect ? "true" : "false");
        bool was_joined = relay_peer_joined(fr.r, cpeer);
        fr_control(cpeer, json);
        if (!was_joined && relay_peer_joined(fr.r, cpeer))
            fr.reflect[cpeer] = reflect;
        break;
    }
    case 4: { /* a valid state, maybe forged, maybe padded */
        struct proto_state s = { 0 };
        uint8_t buf[PROTO_STATE_MAX + 64];
        uint8_t sel = fuzz_byte(in);
        s.sender = sel & 0x80 ? 0xFFFFFFFFu : (uint32_t)(sel & 7); /* forged ids */
        s.seq = (uint32_t)fuzz_byte(in) << 8 | fuzz_byte(in);
        s.send_us = fr.now;
        s.x = (float)fuzz_byte(in);
        s.y = (float)fuzz_byte(in);
        proto_state_encode(buf, sizeof buf, &s);
        size_t len = PROTO_STATE_SIZE;
        uint8_t pad = fuzz_byte(in);
        if (pad & 1)
            len = PROTO_STATE_SIZE + (size_t)pad * 5; /* up to 1315: past the max too */
        memset(buf + PROTO_STATE_SIZE, 0xEE, sizeof buf - PROTO_STATE_SIZE);
        if (len > sizeof buf)
            len = sizeof buf;
        uint32_t flags;
        uint8_t ch = fr_state_channel(cpeer, sel >> 3, &flags);
        fr_datagram(cpeer, ch, flags, buf, len);
        break;
    }
    case 5: { /* other client -> relay control messages, and some relay -> client ones */
        static const char *const msgs[] = {
            "{\"type\":\"leave\"}", "{\"type\":\"ping\",\"t\":12345}",
            "{\"type\":\"chat\",\"text\":\"hello\"}",
            "{\"type\":\"chat\",\"id\":1,\"name\":\"mallory\",\"text\":\"forged\"}",
            "{\"type\":\"welcome\",\"id\":1,\"room\":\"r0\",\"roster\":[]}",
            "{\"type\":\"left\",\"id\":1,\"name\":\"a\",\"reason\":\"kicked\"}",
            "{\"type\":\"teleport\"}", "{\"type\":\"join\",\"version\":2,\"room\":\"r0\"}",
        };
        fr_control(cpeer, msgs[fuzz_byte(in) % 8]);
        break;
    }
    case 6: { /* time passes: up to 2.5 s, or a long gap */
        uint8_t t = fuzz_byte(in);
        fr.now += t == 0xFF ? 60000000u : (uint64_t)t * 10000u;
        break;
    }
    case 7: { /* burst of states: the rate limit and the kick */
        struct proto_state s = { 0 };
        uint8_t buf[PROTO_STATE_SIZE];
        uint8_t sel = fuzz_byte(in);
        unsigned count = fuzz_byte(in);
        uint32_t flags;
        uint8_t ch = fr_state_channel(cpeer, sel, &flags);
        for (unsigned i = 0; i < count; i++) {
            s.seq = i;
            s.send_us = fr.now;
            proto_state_encode(buf, sizeof buf, &s);
            fr_datagram(cpeer, ch, flags, buf, sizeof buf);
            fr.now += (uint64_t)(sel & 0xF0) * 10u; /* 0 .. 2.4 ms apart */
        }
        break;
    }
    case 8: { /* SIGUSR1: the stats line is JSON at any moment */
        char line[8192];
        int n = relay_stats_json(fr.r, line, sizeof line, (double)fr.now / 1e6, false);
        FUZZ_CHECK(n > 0 && (size_t)n < sizeof line && line[n - 1] == '\n');
        cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
        FUZZ_CHECK(o != NULL);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
        FUZZ_CHECK(cJSON_IsString(type) && strcmp(type->valuestring, "stats") == 0);
        cJSON_Delete(o);
        break;
    }
    }
}

int fuzz_target_relay(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct relay_transport tr = { .send_control = fr_send_control,
                                  .send_state = fr_send_state,
                                  .disconnect = fr_disconnect };

    memset(&fr, 0, sizeof fr);
    fr.connecting = -1;
    fr.sender = -1;
    for (int p = 0; p < FR_PEER_RANGE; p++)
        fr.reflect[p] = -1;
    fr.now = 1000000;

    /* Small limits so every cap is reachable in a few operations. */
    uint8_t c0 = fuzz_byte(&in), c1 = fuzz_byte(&in), c2 = fuzz_byte(&in);
    relay_default_config(&fr.cfg);
    fr.cfg.peer_cap = FR_PEER_CAP;
    fr.datagram = c0 & 1;
    uint8_t edges_byte = fuzz_byte(&in);
    fr.mixed = edges_byte & 1;
    fr.streams = edges_byte & 2;
    /* The capabilities of a bare datagram socket (plain UDP) or of a
     * transport with channels (ENet); mixed: one edge of each. */
    struct relay_transport edges[2] = {tr, tr};
    for (int e = 0; e < 2; e++) {
        bool dgram = fr.mixed ? e == 1 : fr.datagram;
        edges[e].message_max = dgram ? RELAY_DATAGRAM_MAX : 0;
        edges[e].forgeable = dgram;
        edges[e].count_at_join = !dgram && fr.streams;
        edges[e].modes = dgram ? 1u << PROTO_MODE_UDP
                               : (1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) |
                                     (1u << PROTO_MODE_RELIABLE);
        edges[e].peers = fr.mixed ? FR_PEER_CAP / 2 : 0;
        edges[e].ctx = (void *)(uintptr_t)e;
    }
    fr.cfg.max_clients = 1 + (c0 >> 1) % 7;
    fr.cfg.max_rooms = 1 + (c0 >> 4) % 3;
    fr.cfg.max_room_size = 1 + c1 % 5;
    fr.cfg.name_max = 3 + (c1 >> 3) % 30;
    fr.cfg.room_max = 2 + (c1 >> 5);
    fr.cfg.max_packet_size = c2 & 1 ? 2048 : 600;
    fr.cfg.rate_limit = c2 & 2 ? 0 : 50;
    fr.cfg.rate_burst = 1 + (c2 >> 2) % 10;
    fr.cfg.kick_after_ms = c2 & 0x40 ? 0 : 300;
    fr.cfg.max_strikes = c2 & 0x80 ? 0 : 5;
    fr.cfg.kick_ban_ms = c1 & 0x80 ? 0 : 500; /* short enough to expire within an input */

    log_threshold = LOG_OFF; /* the core logs every join and kick */
    fr.r = relay_create(&fr.cfg, edges, fr.mixed ? 2 : 1);
    FUZZ_CHECK(fr.r != NULL);
    while (in.left > 0)
        fr_op(&in);

    /* Shutdown notifies and closes everyone. */
    relay_shutdown(fr.r, fr.now);
    for (uint32_t p = 0; p < FR_PEER_CAP; p++)
        FUZZ_CHECK(!fr.connected[p]);
    FUZZ_CHECK(relay_clients(fr.r) == 0 && relay_members(fr.r) == 0);
    relay_destroy(fr.r);
    fr.r = NULL;
    return 0;
}
