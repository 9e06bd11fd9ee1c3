/* settings.c: ricochet-relay's option table (see settings.h). */
#include "settings.h"

#include <stddef.h>
#include <string.h>

#include "../sys/log.h"

#define SET(f) offsetof(struct relay_settings, f)
#define CORE(f) offsetof(struct relay_settings, core.f)
#define NET(f) offsetof(struct relay_settings, net.f)
#define SIZE(f) sizeof(((struct relay_settings *)0)->f)
#define U32 sizeof(uint32_t)

const struct option_def relay_settings_options[] = {
    { "bind", OPTION_STRING, SET(bind), "0.0.0.0", 1, SIZE(bind), NULL,
      "local address to bind: IPv4, IPv6 with --transport udp (:: also serves IPv4), "
      "or a host name" },
    { "port", OPTION_UINT, NET(port), "7777", 0, 65535, NULL,
      "UDP port to bind; 0 picks a free one (see the 'listening on' line)", SIZE(net.port) },
    { "transport", OPTION_CHOICE, SET(transport), "enet", 0, 0, RELAY_TRANSPORT_CHOICES,
      "enet: ENet connections and channels; udp: one bare datagram socket" },
    { "max-clients", OPTION_UINT, CORE(max_clients), "1024", 1, 4000, NULL,
      "connected clients; more are refused with server_full", U32 },
    { "max-rooms", OPTION_UINT, CORE(max_rooms), "256", 1, 4000, NULL,
      "live rooms; a join that would create more gets too_many_rooms", U32 },
    { "max-room-size", OPTION_UINT, CORE(max_room_size), "256", 1, PROTO_ROSTER_MAX, NULL,
      "members per room; more get room_full", U32 },
    { "max-per-address", OPTION_UINT, NET(max_per_address), "16", 0, 4095, NULL,
      "clients from one IP address (ENet duplicatePeers); 0 = up to --max-clients", U32 },
    { "max-packet-size", OPTION_UINT, CORE(max_packet_size), "2048", 64, 65536, NULL,
      "largest datagram accepted from a client, bytes; longer: too_big",
      SIZE(core.max_packet_size) },
    { "max-waiting-data", OPTION_UINT, NET(max_waiting_data), "1048576", 4096, 268435456,
      NULL, "ENet: bytes one peer may have buffered awaiting reassembly or order",
      SIZE(net.max_waiting_data) },
    { "timeout-ms", OPTION_UINT, NET(timeout_ms), "5000", 100, 600000, NULL,
      "a client silent (udp) or unacknowledging (enet) this long is dropped: timeout", U32 },
    { "max-queued-packets", OPTION_UINT, NET(max_queued_packets), "1024", 0, 1000000, NULL,
      "ENet: packets queued to one client unacknowledged past which its unreliable "
      "states are dropped (slow_reader); 0 = no limit", U32 },
    { "max-queued-bytes", OPTION_UINT, NET(max_queued_bytes), "262144", 0, 268435456, NULL,
      "ENet: the same bound in bytes; 0 = no limit", SIZE(net.max_queued_bytes) },
    { "slow-reader-ms", OPTION_UINT, NET(slow_reader_ms), "2000", 0, 600000, NULL,
      "ENet: a client over a queue bound this long (or at twice one) is closed: "
      "error slow_reader; 0 = never", U32 },
    { "max-held-commands", OPTION_UINT, NET(max_held_commands), "1024", 0, 1000000, NULL,
      "ENet: commands one client may have held out of order; datagrams past it are "
      "refused (held_commands); 0 = no limit", U32 },
    { "max-half-open", OPTION_UINT, NET(max_half_open), "0", 0, 4095, NULL,
      "ENet: handshakes in progress at once, at most (and 0 =) a quarter of the peer "
      "slots; past it a CONNECT takes the place of the oldest if that is 250 ms old and "
      "its address has none in progress (any, with --max-per-address 0), else it is "
      "refused (half_open)", U32 },
    { "rate-limit", OPTION_UINT, CORE(rate_limit), "180", 0, 1000000, NULL,
      "datagrams per second per client (token bucket); 0 = no limit", U32 },
    { "rate-burst", OPTION_UINT, CORE(rate_burst), "60", 1, 1000000, NULL,
      "token bucket depth: datagrams a client may send at once", U32 },
    { "kick-after", OPTION_SECONDS, CORE(kick_after_ms), "2", 0, 3600, NULL,
      "seconds of sustained rate limiting before a kick; 0 = never kick" },
    { "max-strikes", OPTION_UINT, CORE(max_strikes), "20", 0, 1000000, NULL,
      "invalid messages (forgiven at 1/s) before a kick; 0 = never kick", U32 },
    { "kick-ban-s", OPTION_UINT, CORE(kick_ban_ms), "10", 0, 86400, NULL,
      "seconds a kicked client's IP address is refused (error kicked); 0 = off", U32,
      1000 },
    { "name-max", OPTION_UINT, CORE(name_max), "32", 1, PROTO_NAME_MAX, NULL,
      "longest player name, bytes", U32 },
    { "room-max", OPTION_UINT, CORE(room_max), "32", 1, PROTO_ROOM_MAX, NULL,
      "longest room name, bytes", U32 },
    { "tick-ms", OPTION_INT, SET(tick_ms), "-1", -1, 1000, NULL,
      "hold states and fan them out once per tick of this many ms (adds up to that "
      "much latency, saves datagrams); 0 = forward each at once; -1 = 2 over enet, "
      "0 over udp (see README)" },
    { "stats-interval", OPTION_SECONDS, SET(stats_interval_ms), "5", 0, 86400, NULL,
      "seconds between stats records on stdout; 0 = only at exit" },
    { "stats-json", OPTION_BOOL, SET(stats_json), "false", 0, 0, NULL,
      "stats records as JSON lines on a terminal too (piped or redirected: always JSON)" },
    { "log-level", OPTION_CHOICE, SET(log_level), "info", 0, 0,
      "debug|info|warn|error|off", "stderr log verbosity" },
    { 0 }
};

void relay_settings_defaults(struct relay_settings *s)
{
    char err[128];
    memset(s, 0, sizeof *s);
    if (options_defaults(relay_settings_options, s, err, sizeof err) != 0)
        log_error("relay: option table: %s", err); /* a bug: test_relay checks */
}

void relay_settings_derive(struct relay_settings *s)
{
    const struct relay_transport_ops *ops = relay_transports[s->transport];
    s->core.peer_cap = s->core.max_clients + RELAY_SPARE_PEERS;
    s->net.peer_cap = s->core.peer_cap;
    s->net.max_packet_size = s->core.max_packet_size;
    s->net.bind = s->bind;
    long tick_ms = s->tick_ms >= 0 ? s->tick_ms : (long)ops->default_tick_ms;
    s->core.tick_us = (uint32_t)tick_ms * 1000u;
}

void relay_default_config(struct relay_config *cfg)
{
    struct relay_settings s;
    relay_settings_defaults(&s);
    *cfg = s.core;
    cfg->peer_cap = cfg->max_clients + RELAY_SPARE_PEERS;
}

void relay_config_clamp(struct relay_config *cfg)
{
    struct relay_settings s;
    memset(&s, 0, sizeof s);
    s.core = *cfg;
    options_clamp(relay_settings_options, &s);
    *cfg = s.core;
}
