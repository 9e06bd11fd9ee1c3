/* target_script.c: fuzzes room scripts (relay/script, see targets.h): the
 * core with the engine installed, a script that uses every hook and every
 * call of the room (send, keep, clear, set_props, open, kick, members,
 * tick_every, after, now, store), driven by arbitrary joins, leaves,
 * events, states and time. The input is a program of operations on four
 * peers in two rooms; the event's first byte picks what the script does
 * with it (drop, a body twice as long, a kick, props of its bytes, open,
 * a send to any id, a kept event of its bytes, a loop for ever, memory
 * past the cap). The fake checks: every message goes to a peer the fake
 * holds as connected; every event is one, the room's stamped with its
 * reserved sender; a state the script corrects arrives corrected while no
 * script is off or skipped; the counters add up (a stop is an error). */
#include <string.h>
#include <unistd.h>

#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/script/script.h"
#include "relay/core/script_port.h"
#include "relay/settings.h"
#include "sys/log.h"
#include "targets.h"

#define FS_PEERS 4

static const char fs_rules[] =
    "function on_room(room)\n"
    "  room.store.n = 0\n"
    "  room:tick_every(10)\n"
    "  room:after(25, function(r) r:send('timer ' .. r:now()) end)\n"
    "end\n"
    "function on_join(room, m)\n"
    "  if m.name == 'eve' then return false, 'no eve in ' .. room.name end\n"
    "  room:keep('j' .. m.id % 4, m.name)\n"
    "end\n"
    "function on_leave(room, m)\n"
    "  room:send('bye ' .. m.name)\n"
    "  room:clear('j' .. m.id % 4)\n"
    "end\n"
    "function on_event(room, m, ev)\n"
    "  local b = ev.body\n"
    "  local op = b:byte(1) or 0\n"
    "  for _, o in ipairs(room:members()) do room.store.n = room.store.n + (o.x or 0) end\n"
    "  if op == 255 then while true do end end\n"
    "  if op == 254 then local t = {} for i = 1, 1e9 do t[i] = {} end end\n"
    "  op = op % 8\n"
    "  if op == 0 then return false end\n"
    "  if op == 1 then return b:rep(2) end\n"
    "  if op == 2 then room:kick(b:byte(2) or 0, b:sub(3)) end\n"
    "  if op == 3 then room:set_props{mode = b:sub(2, 12), script = room.script} end\n"
    "  if op == 4 then room:open((b:byte(2) or 0) % 2 == 0) end\n"
    "  if op == 5 then room:send(b:sub(3), b:byte(2) or 0) end\n"
    "  if op == 6 then room:keep('e' .. (b:byte(2) or 0) % 3, b) end\n"
    "  if op == 7 then room:clear('e' .. (b:byte(2) or 0) % 3) end\n"
    "end\n"
    "function on_state(room, m, s)\n"
    "  if s.x < 0 then return false end\n"
    "  if s.x > 90 then return {x = 90, y = s.y} end\n"
    "  if s.y > 1000 then return {x = 0/0} end\n"
    "end\n"
    "function on_tick(room, now)\n"
    "  room.store.ticks = (room.store.ticks or 0) + 1\n"
    "  if room.store.ticks % 3 == 0 then room:send('tick ' .. now) end\n"
    "end\n";

struct fuzz_script {
    struct relay *r;
    struct script_engine *e;
    uint64_t now;
    bool connected[FS_PEERS];
    char dir[64];
};

static struct fuzz_script fs;

/* What the script did, summed over all inputs: the smoke test asserts the
 * corpus reaches every kind (a target whose script never runs checks
 * nothing). */
struct fuzz_script_reach {
    unsigned long calls, room_events, changed, dropped, refused, stops;
};
static struct fuzz_script_reach fuzz_script_reached;

/* The folder of the one script, made once per process. */
static const char *fs_dir(void)
{
    if (fs.dir[0])
        return fs.dir;
    snprintf(fs.dir, sizeof fs.dir, "/tmp/ricochet-fuzz-script-XXXXXX");
    FUZZ_CHECK(mkdtemp(fs.dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/rules.lua", fs.dir);
    FILE *f = fopen(path, "w");
    FUZZ_CHECK(f != NULL);
    fputs(fs_rules, f);
    fclose(f);
    return fs.dir;
}

static void fs_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    (void)ctx;
    FUZZ_CHECK(peer < FS_PEERS && fs.connected[peer]);
    const uint8_t *b = (const uint8_t *)json;
    if (!proto_is_event(b, len))
        return;
    struct proto_event e;
    FUZZ_CHECK(proto_event_decode(b, len, &e) == PROTO_OK);
    FUZZ_CHECK(e.sender != 0);
    fuzz_script_reached.room_events += e.sender == RELAY_SCRIPT_SENDER;
}

static void fs_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                          uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)ctx, (void)from, (void)channel, (void)flags;
    struct proto_state s;
    FUZZ_CHECK(proto_state_decode(bytes, len, &s) == PROTO_OK);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(peers[i] < FS_PEERS && fs.connected[peers[i]]);
    const struct relay_script_counts *c = &relay_stats(fs.r)->script;
    if (c->off == 0 && c->skipped == 0) /* every state asked, none off */
        FUZZ_CHECK(s.x >= 0 && s.x <= 90);
}

static void fs_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)ctx, (void)why;
    FUZZ_CHECK(peer < FS_PEERS);
    fs.connected[peer] = false;
}

static void fs_join(uint32_t peer, uint8_t b)
{
    static const char *const names[] = {"ann", "bob", "eve", "dan"};
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "%s", b & 4 ? "den" : "hall");
    snprintf(m.name, sizeof m.name, "%s", names[b & 3]);
    m.mode = PROTO_MODE_RELIABLE;
    /* every room runs rules: a join naming none makes no room (refused) */
    proto_props_add(&m.props, "props", "script", b & 16 ? "nosuch" : "rules", NULL, 0);
    char json[PROTO_CONTROL_MAX + 1];
    int n = proto_control_encode(json, sizeof json, &m);
    FUZZ_CHECK(n > 0);
    relay_on_datagram(fs.r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE,
                      (uint8_t *)json, (size_t)n, fs.now);
}

static void fs_op(struct fuzz_input *in)
{
    uint8_t op = fuzz_byte(in), b = fuzz_byte(in);
    uint32_t peer = op >> 5 & (FS_PEERS - 1);
    switch (op & 7) {
    case 0:
        if (!fs.connected[peer] && relay_peer_connect(fs.r, peer, NULL, fs.now) == 0)
            fs.connected[peer] = true;
        break;
    case 1:
        fs_join(peer, b);
        break;
    case 2: {
        uint8_t len = fuzz_byte(in);
        uint8_t *body = fuzz_take(in, len);
        uint8_t ev[PROTO_EVENT_MAX];
        int n = proto_event_encode(ev, sizeof ev, b % 6, body, len);
        if (n > 0)
            relay_on_datagram(fs.r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, ev,
                              (size_t)n, fs.now);
        free(body);
        break;
    }
    case 3: {
        uint8_t *xy = fuzz_take(in, 4);
        struct proto_state s = {.seq = b, .send_us = fs.now,
                                .x = (float)(int16_t)(xy[0] | xy[1] << 8) / 100,
                                .y = (float)(int16_t)(xy[2] | xy[3] << 8) / 10};
        uint8_t buf[PROTO_STATE_SIZE];
        if (proto_state_encode(buf, sizeof buf, &s) == PROTO_STATE_SIZE)
            relay_on_datagram(fs.r, peer, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                              sizeof buf, fs.now);
        free(xy);
        break;
    }
    case 4:
        relay_on_datagram(fs.r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE,
                          (uint8_t *)"{\"type\":\"leave\"}", 16, fs.now);
        break;
    case 5:
        if (fs.connected[peer]) {
            relay_peer_gone(fs.r, peer, PROTO_LEFT_QUIT, fs.now);
            fs.connected[peer] = false;
        }
        break;
    default:
        fs.now += (uint64_t)b * 1000;
        relay_sweep(fs.r, fs.now);
        break;
    }
    script_engine_run(fs.e, fs.now);
}

int fuzz_target_script(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    struct relay_transport tr = {.send_control = fs_send_control, .send_state = fs_send_state,
                                 .disconnect = fs_disconnect,
                                 .modes = (1u << PROTO_MODE_UNSEQUENCED) |
                                          (1u << PROTO_MODE_SEQUENCED) |
                                          (1u << PROTO_MODE_RELIABLE)};
    const char *dir = fs_dir();
    memset(fs.connected, 0, sizeof fs.connected);
    fs.now = 1000000;
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = FS_PEERS;
    cfg.max_clients = FS_PEERS;
    cfg.max_rooms = 2;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    cfg.max_strikes = 0;
    log_threshold = LOG_OFF;
    fs.r = relay_create(&cfg, &tr, 1);
    FUZZ_CHECK(fs.r != NULL);
    struct script_settings set = {.memory_kb = 256, .budget = 100000};
    snprintf(set.dir, sizeof set.dir, "%s", dir);
    char err[256];
    FUZZ_CHECK(script_engine_open(&fs.e, fs.r, &set, err, sizeof err) == 0);
    while (in.left > 0)
        fs_op(&in);
    const struct relay_script_counts *c = &relay_stats(fs.r)->script;
    FUZZ_CHECK(c->errors >= c->budget + c->memory);
    FUZZ_CHECK(c->calls >= c->errors);
    FUZZ_CHECK(c->refused == relay_stats(fs.r)->drops[RELAY_DROP_SCRIPT_REFUSED]);
    fuzz_script_reached.calls += c->calls;
    fuzz_script_reached.changed += c->changed;
    fuzz_script_reached.dropped += c->dropped;
    fuzz_script_reached.refused += c->refused;
    fuzz_script_reached.stops += c->budget + c->memory;
    relay_shutdown(fs.r, fs.now);
    script_engine_close(fs.e);
    relay_destroy(fs.r);
    return 0;
}
