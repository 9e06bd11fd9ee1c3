/* settings.c: ricochet-relay's option table (see settings.h). */
#include "settings.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "proto/enet/enet_wire.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "sys/keyfile.h"

#define STR_(x) #x
#define STR(x) STR_(x) /* a number macro as text, for help strings */
#define SET(f) offsetof(struct relay_settings, f)
#define CORE(f) offsetof(struct relay_settings, core.f)
#define NET(f) offsetof(struct relay_settings, net.f)
#define FLEET(f) offsetof(struct relay_settings, fleet.f)
#define SIZE(f) sizeof(((struct relay_settings *)0)->f)

const struct option_def relay_settings_options[] = {
    { .name = "listen", .type = OPTION_LIST, .offset = SET(listen), .def = "",
      .max = SIZE(listen),
      .help = "an edge, SCHEME://HOST:PORT with SCHEME one of " RELAY_TRANSPORT_CHOICES
              " (udp://[::]:7778 for IPv6; PORT 0 picks a free one); one relay runs up to "
              STR(RELAY_EDGES_MAX) " edges and a room mixes their members; replaces "
              "--transport, --bind and --port" },
    { .name = "bind", .type = OPTION_STRING, .offset = SET(bind), .def = "0.0.0.0",
      .min = 1, .max = SIZE(bind), /* a string's max is its buffer's size */ .short_name = 'B',
      .help = "local address to bind: IPv4, IPv6 with --transport udp, tcp, ws, wss or webrtc (:: "
              "also serves IPv4), or a host name" },
    { .name = "port", .type = OPTION_UINT, .offset = NET(port), .size = SIZE(net.port),
      .def = "7777", .min = 0, .max = 65535, .short_name = 'p',
      .help = "port to bind (UDP; TCP with --transport tcp, ws or wss); 0 picks a free one "
              "(see the 'listening on' line)" },
    { .name = "transport", .type = OPTION_CHOICE, .offset = SET(transport), .def = "enet",
      .choices = RELAY_TRANSPORT_CHOICES, .short_name = 'u', .short_value = "udp",
      .help = "enet: ENet connections and channels; udp: one bare datagram socket; tcp: a "
              "stream per client, messages in length-prefixed frames; ws: HTTP and "
              "WebSocket, as browsers speak (the play page at /play, tag at /tag); wss: the "
              "same in TLS; "
              "webrtc: browsers' data channels (ICE-lite, DTLS, SCTP), offers answered through "
              "a ws edge's POST /rtc; quic: QUIC connections (datagrams and streams, ALPN "
              "ricochet)" },
    { .name = "tls-cert", .type = OPTION_STRING, .offset = SET(tls_cert), .def = "",
      .min = 0, .max = SIZE(tls_cert),
      .help = "wss, quic: PEM file of the edge's certificate (its chain after it); quic "
              "without it: a certificate drawn at start, its SHA-256 logged" },
    { .name = "tls-key", .type = OPTION_STRING, .offset = SET(tls_key), .def = "",
      .min = 0, .max = SIZE(tls_key),
      .help = "wss, quic: PEM file of --tls-cert's private key" },
    { .name = "webrtc-advertise", .type = OPTION_STRING, .offset = SET(webrtc_advertise),
      .def = "", .min = 0, .max = SIZE(webrtc_advertise),
      .help = "HOST:PORT a webrtc edge writes into its answers as its candidate, where browsers "
              "send to (a proxy's, a NAT's public address; PORT 0: the port bound); \"\" = the "
              "address bound, which may then not be 0.0.0.0 or ::" },
    { .name = "allow-origin", .type = OPTION_LIST, .offset = SET(allow_origin), .def = "",
      .max = SIZE(allow_origin),
      .help = "ws, wss: an origin (https://game.example, or * for any) whose pages may read "
              "GET /wt and POST /rtc from another site: the answers name it in "
              "Access-Control-Allow-Origin; none by default (the relay's own pages need none)" },
    { .name = "max-clients", .type = OPTION_UINT, .offset = CORE(max_clients),
      .size = SIZE(core.max_clients), .def = "1024", .min = 1, .max = RELAY_CLIENTS_MAX,
      .help = "clients: over enet, udp and webrtc from their connection, over tcp and ws "
              "from their join; more are refused with server_full" },
    { .name = "max-rooms", .type = OPTION_UINT, .offset = CORE(max_rooms),
      .size = SIZE(core.max_rooms), .def = "256", .min = 1, .max = RELAY_CLIENTS_MAX,
      .help = "live rooms; a join that would create more gets too_many_rooms" },
    { .name = "room-file", .type = OPTION_STRING, .offset = SET(room_file), .def = "",
      .min = 0, .max = SIZE(room_file),
      .help = "FILE the relay keeps its rooms in (settings, owner, kept events with stay): "
              "written at most every 100 ms after a change and at a stop, read back at "
              "start; each room then waits --room-hold-s for its members; not with --directory "
              "(a fleet keeps its rooms in the directory); \"\" = none" },
    { .name = "lockstep-log", .type = OPTION_STRING, .offset = SET(lockstep_log), .def = "",
      .min = 0, .max = SIZE(lockstep_log),
      .help = "FILE the relay appends its lockstep rooms' confirmed logs to, a JSON object a "
              "line: each room made, each frame, who holds which slot from when, each late "
              "input, each desync (flushed every 100 ms); libricochet plays it back; \"\" = "
              "none" },
    { .name = "lockstep-keep-kb", .type = OPTION_UINT, .offset = CORE(lockstep_keep_kb),
      .size = SIZE(core.lockstep_keep_kb), .def = "1024", .min = 16, .max = 1048576,
      .help = "KiB of its newest frames a lockstep room holds for joiners catching up (an "
              "hour of 8 players at 30 Hz with 2-byte inputs in 1024)" },
    { .name = "room-hold-s", .type = OPTION_UINT, .offset = CORE(room_hold_s),
      .size = SIZE(core.room_hold_s), .def = "60", .min = 1, .max = 86400,
      .help = "seconds a room read back from --room-file (in a fleet: placed here with "
              "the record the directory kept) waits, empty, for its members before it ends" },
    { .name = "max-room-size", .type = OPTION_UINT, .offset = CORE(max_room_size),
      .size = SIZE(core.max_room_size), .def = "256", .min = 1, .max = RELAY_CLIENTS_MAX,
      .help = "members per room; more get room_full (a room without interest: at most 256)" },
    { .name = "max-per-address", .type = OPTION_UINT, .offset = NET(max_per_address),
      .size = SIZE(net.max_per_address), .def = "16", .min = 0,
      .max = ENET_WIRE_PEERS_MAX,
      .help = "clients from one IP address (ENet duplicatePeers), and replies at once to a "
              "stranger's address; 0 = up to --max-clients, no reply budget per address" },
    { .name = "max-packet-size", .type = OPTION_UINT, .offset = CORE(max_packet_size),
      .size = SIZE(core.max_packet_size), .def = "4608", .min = 64, .max = 65536,
      .help = "largest datagram accepted from a client, bytes (the default holds the largest "
              "event, sealed); longer: too_big" },
    { .name = "max-waiting-data", .type = OPTION_UINT, .offset = NET(max_waiting_data),
      .size = SIZE(net.max_waiting_data), .def = "1048576", .min = 4096, .max = 268435456,
      .help = "ENet: bytes one peer may have buffered awaiting reassembly or order" },
    { .name = "timeout-ms", .type = OPTION_UINT, .offset = NET(timeout_ms),
      .size = SIZE(net.timeout_ms), .def = OPTION_DEF(PROTO_TIMEOUT_MS), .min = 100,
      .max = 600000,
      .help = "a client silent (udp) or unacknowledging (enet) this long is dropped: "
              "timeout" },
    { .name = "join-timeout-ms", .type = OPTION_UINT, .offset = CORE(join_timeout_ms),
      .size = SIZE(core.join_timeout_ms), .def = "2000", .min = 100, .max = 600000,
      .help = "ENet, tcp, ws: a connection that is not in a room this long (from its "
              "handshake, or since it left one) is closed: error not_joined, so connections "
              "that never join cannot hold the slots; ws: also a connection not upgraded "
              "this long (408)" },
    { .name = "lobby-idle-ms", .type = OPTION_UINT, .offset = CORE(lobby_idle_ms),
      .size = SIZE(core.lobby_idle_ms), .def = "30000", .min = 100, .max = 3600000,
      .help = "a lobby that watches the rooms listed (a rooms request with watch: true) "
              "has no join timeout while it sends a ping or a rooms request at least this "
              "often; silent longer it is closed: error not_joined" },
    { .name = "max-lobbies", .type = OPTION_UINT, .offset = CORE(max_lobbies),
      .size = SIZE(core.max_lobbies), .def = "1024", .min = 0, .max = RELAY_CLIENTS_MAX,
      .help = "lobbies watching the rooms listed at once (each is sent a fresh page, at "
              "most every 500 ms, when its rooms change); a watch past it is refused "
              "server_full and its connection closed; 0: none watch" },
    { .name = "max-lobbies-per-address", .type = OPTION_UINT,
      .offset = CORE(max_lobbies_per_address), .size = SIZE(core.max_lobbies_per_address),
      .def = "8", .min = 0, .max = RELAY_CLIENTS_MAX,
      .help = "lobbies watching from one IP address (an IPv6 /64); a watch past it is "
              "refused server_full and its connection closed" },
    { .name = "max-queued-packets", .type = OPTION_UINT, .offset = NET(max_queued_packets),
      .size = SIZE(net.max_queued_packets), .def = "1024", .min = 0, .max = 1000000,
      .help = "ENet: packets queued to one client unacknowledged past which its "
              "unreliable states are dropped (slow_reader; a batch is one packet); 0 = "
              "no limit" },
    { .name = "max-queued-bytes", .type = OPTION_UINT, .offset = CORE(max_queued_bytes),
      .size = SIZE(core.max_queued_bytes), .def = "262144", .min = 4096, .max = 268435456,
      .help = "bytes an edge may hold for one client, unsent or unacknowledged, on every "
              "edge; past it the client is closed (slow_reader); past half of it, the "
              "messages of an address past its fair share (three quarters of it over the "
              "addresses sending to that client) are held back (throttled); ENet also "
              "drops unreliable states past it" },
    { .name = "slow-reader-ms", .type = OPTION_UINT, .offset = CORE(slow_reader_ms),
      .size = SIZE(core.slow_reader_ms), .def = "2000", .min = 0, .max = 600000,
      .help = "a client for which an edge holds something and the network took none of it "
              "this long (a stream's kernel took no byte; ENet, QUIC, WebRTC: nothing heard "
              "from it; HTTP polling: no GET took any of over 64 KiB) is closed: error "
              "slow_reader; 0 = never" },
    { .name = "max-held-commands", .type = OPTION_UINT, .offset = NET(max_held_commands),
      .size = SIZE(net.max_held_commands), .def = "1024", .min = 0, .max = 1000000,
      .help = "ENet: commands one client may have held out of order; datagrams past it "
              "are refused (held_commands); 0 = no limit" },
    { .name = "max-half-open", .type = OPTION_UINT, .offset = NET(max_half_open),
      .size = SIZE(net.max_half_open), .def = "0", .min = 0,
      .max = ENET_WIRE_PEERS_MAX,
      .help = "ENet: handshakes in progress at once, at most (and 0 =) a quarter of the "
              "peer slots; past it a CONNECT takes the place of the oldest if that is "
              "250 ms old and its address has none in progress (any, with "
              "--max-per-address 0), else it is refused (half_open); tcp, ws: connections "
              "that have not joined (ws: upgraded or not), 0 = a quarter of the slots; past "
              "it the oldest of the address holding the most is closed (half_open); webrtc: "
              "sessions answered and not yet peers, 0 = a quarter; past it the oldest not "
              "yet checked gives way if 250 ms old, else the offer is refused (503)" },
    { .name = "rate-limit", .type = OPTION_UINT, .offset = CORE(rate_limit),
      .size = SIZE(core.rate_limit), .def = "180", .min = 0, .max = 1000000,
      .help = "datagrams per second per client (token bucket); 0 = no limit" },
    { .name = "rate-burst", .type = OPTION_UINT, .offset = CORE(rate_burst),
      .size = SIZE(core.rate_burst), .def = "60", .min = 1, .max = 1000000,
      .help = "token bucket depth: datagrams a client may send at once" },
    { .name = "byte-limit", .type = OPTION_UINT, .offset = CORE(byte_limit),
      .size = SIZE(core.byte_limit), .def = "2097152", .min = 0, .max = 1073741824,
      .help = "bytes per second a client may make the relay send into its room (each "
              "message's length times its recipients: states, events, chat); past it, "
              "rate_limited as --rate-limit; 0 = no limit" },
    { .name = "byte-burst", .type = OPTION_UINT, .offset = CORE(byte_burst),
      .size = SIZE(core.byte_burst), .def = "524288", .min = 1024, .max = 1073741824,
      .help = "bytes a client may make the relay send into its room at once, over "
              "--byte-limit" },
    { .name = "kick-after", .type = OPTION_SECONDS, .offset = CORE(kick_after_ms),
      .def = "2", .min = 0, .max = 3600,
      .help = "seconds of sustained rate limiting before a kick; 0 = never kick" },
    { .name = "max-strikes", .type = OPTION_UINT, .offset = CORE(max_strikes),
      .size = SIZE(core.max_strikes), .def = "20", .min = 0, .max = 1000000,
      .help = "invalid messages (forgiven at 1/s) before a kick; 0 = never kick" },
    { .name = "kick-ban-s", .type = OPTION_UINT, .offset = CORE(kick_ban_ms),
      .size = SIZE(core.kick_ban_ms), .scale = 1000, /* whole seconds given, ms kept */
      .def = "10", .min = 0, .max = 86400,
      .help = "seconds a kicked client's IP address is refused (error kicked); 0 = off" },
    { .name = "name-max", .type = OPTION_UINT, .offset = CORE(name_max),
      .size = SIZE(core.name_max), .def = "32", .min = 1, .max = PROTO_NAME_MAX,
      .help = "longest player name, in bytes of UTF-8 (a Hangul syllable takes 3)" },
    { .name = "room-max", .type = OPTION_UINT, .offset = CORE(room_max),
      .size = SIZE(core.room_max), .def = "32", .min = 1, .max = PROTO_ROOM_MAX,
      .help = "longest room name, bytes" },
    { .name = "room-list", .type = OPTION_CHOICE, .offset = CORE(room_list), .def = "on",
      .choices = "on|off",
      .help = "on: clients may list this relay's rooms (a rooms request: names, members, "
              "capacity; in a fleet the other relays' too, and this relay's are published "
              "to them) and join any room with space under a prefix; off: both refused "
              "with listing_off, and none published, so a room is reached only by its name" },
    { .name = "tick-ms", .type = OPTION_INT, .offset = SET(tick_ms), .def = "2",
      .min = 0, .max = 1000,
      .help = "hold states and fan them out once per tick of this many ms (adds up to "
              "that much latency, saves datagrams); 0 = forward each at once (the default "
              "is measured in docs/benchmarks.md, Tick batching)" },
    { .name = "world-tick-ms", .type = OPTION_INT, .offset = SET(world_tick_ms), .def = "50",
      .min = 0, .max = 1000,
      .help = "a room with interest (a world) fans out on a tick of its own, this many ms "
              "(20 Hz: a world's players' send rate), each receiver getting every sender's "
              "newest state of the tick in one batch; older ones are conflated (counted); 0 = "
              "--tick-ms" },
    { .name = "stale-ms", .type = OPTION_INT, .offset = SET(stale_ms), .def = "-1",
      .min = -1, .max = 60000,
      .help = "an unreliable state whose fan-out comes more than this many ms after it "
              "arrived (the relay fell behind) is dropped, counted as stale; 0 = never; "
              "-1 = two ticks, at least " STR(RELAY_STALE_MIN_MS) " ms (a relay a few ms late "
              "is jitter, not behind)" },
    { .name = "ticket-key", .type = OPTION_STRING, .offset = SET(ticket_key), .def = "",
      .min = 0, .max = SIZE(ticket_key),
      .help = "key file (ricochet-ticket keygen): admit only joins with a ticket minted "
              "under it (or --ticket-key-previous); error ticket_required otherwise" },
    { .name = "ticket-key-previous", .type = OPTION_STRING,
      .offset = SET(ticket_key_previous), .def = "", .min = 0,
      .max = SIZE(ticket_key_previous),
      .help = "key file of the previous ticket key, still accepted while keys are rotated" },
    { .name = "encrypt", .type = OPTION_BOOL, .offset = CORE(encrypt), .def = "false",
      .help = "seal every state and control message of a session with its ticket's keys "
              "(ChaCha20-Poly1305); needs --ticket-key" },
    { .name = "fleet-name", .type = OPTION_STRING, .offset = CORE(fleet_name),
      .def = "ricochet", .min = 1, .max = SIZE(core.fleet_name),
      .help = "the fleet this relay belongs to: tickets minted for it (mint --fleet) are "
              "valid here; with --directory, the prefix of every directory key" },
    { .name = "directory", .type = OPTION_STRING, .offset = FLEET(directory), .def = "",
      .min = 0, .max = SIZE(fleet.directory),
      .help = "redis://[USER:PASSWORD@]HOST:PORT[/DB] (rediss:// over TLS; "
              "redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER[/DB] for the primary Redis "
              "Sentinel names): join the fleet whose directory is there (rooms placed across "
              "relays, proto/FLEET.md); \"\" = a relay on its own" },
    { .name = "directory-password-file", .type = OPTION_STRING,
      .offset = FLEET(password_file), .def = "", .min = 0, .max = SIZE(fleet.password_file),
      .help = "file whose first line is the directory's password (AUTH, with the URL's "
              "user): kept out of the command line; overrides a password in the URL" },
    { .name = "directory-ca", .type = OPTION_STRING, .offset = FLEET(tls_ca), .def = "",
      .min = 0, .max = SIZE(fleet.tls_ca),
      .help = "rediss: PEM file of the CAs the directory's certificate is checked against "
              "(\"\" = the system's)" },
    { .name = "directory-cert", .type = OPTION_STRING, .offset = FLEET(tls_cert), .def = "",
      .min = 0, .max = SIZE(fleet.tls_cert),
      .help = "rediss: PEM client certificate, for a directory that asks for one "
              "(tls-auth-clients)" },
    { .name = "directory-key", .type = OPTION_STRING, .offset = FLEET(tls_key), .def = "",
      .min = 0, .max = SIZE(fleet.tls_key),
      .help = "rediss: the PEM key of --directory-cert" },
    { .name = "advertise", .type = OPTION_STRING, .offset = FLEET(advertise), .def = "",
      .min = 0, .max = SIZE(fleet.advertise),
      .help = "HOST:PORT clients reach this relay at, given to them in moved (HOST:0: the "
              "port bound); needed with --directory, except under Agones (asked of the SDK)" },
    { .name = "directory-ttl", .type = OPTION_SECONDS, .offset = FLEET(ttl_ms), .def = "10",
      .min = 1, .max = 600,
      .help = "seconds a relay's registration and claims outlive its last heartbeat (one "
              "every tenth of it): how long rooms ride out a directory outage; a dead "
              "relay's rooms move once it missed three heartbeats if a client reports it, "
              "else after this" },
    { .name = "park-ms", .type = OPTION_UINT, .offset = FLEET(park_ms),
      .size = SIZE(fleet.park_ms), .def = "2000", .min = 100, .max = 60000,
      .help = "a join for a new room (or of any room) waits this long for the directory, then "
              "is refused directory_unavailable; a rooms request then gets this relay's "
              "rooms only (partial)" },
    { .name = "park-max", .type = OPTION_UINT, .offset = FLEET(park_max),
      .size = SIZE(fleet.park_max), .def = "1024", .min = 1, .max = 65536,
      .help = "joins waiting for the directory at once (and, apart, as many rooms requests and "
              "joins of any room); more are refused directory_unavailable (a rooms request: "
              "answered with this relay's rooms, partial)" },
    { .name = "directory-records-mb", .type = OPTION_UINT, .offset = FLEET(records_mb),
      .size = SIZE(fleet.records_mb), .def = "16", .min = 1, .max = 4096,
      .help = "MiB of its rooms' records (owner, settings, stay kept events: 40 KB a room at "
              "most) and members' ids this relay keeps, in the directory and in its own memory "
              "to write them again; past it a record is not kept (the one before stands) and "
              "the relay takes no new room (proto/FLEET.md, Memory)" },
    { .name = "script-dir", .type = OPTION_STRING, .offset = SET(script.dir), .def = "",
      .min = 0, .max = SIZE(script.dir),
      .help = "a folder of room scripts, NAME.lua (Lua 5.4, the game's rules: "
              "docs/scripts.md), read and checked at start and on SIGHUP; a room runs the "
              "one its prop script=NAME names, or --script-default; \"\" = none" },
    { .name = "script-default", .type = OPTION_STRING, .offset = SET(script.default_name),
      .def = "", .min = 0, .max = SIZE(script.default_name),
      .help = "the script (a NAME of --script-dir) of every room that names none; "
              "\"\" = such rooms run none" },
    { .name = "script-room", .type = OPTION_LIST, .offset = SET(script.pins), .def = "",
      .max = SIZE(script.pins),
      .help = "PREFIX=NAME: the rooms whose names start with PREFIX run the script NAME (of "
              "--script-dir), whatever a join's props say (one naming another is refused "
              "script_refused): no joiner picks such a room's rules by coming first; the "
              "longest PREFIX that fits wins; up to 16 (repeatable)" },
    { .name = "script-failed", .type = OPTION_CHOICE, .offset = SET(script.failed),
      .def = "close", .choices = "close|end",
      .help = "what a room does when its script is switched off after 10 errors: close, it "
              "goes on closed, taking no joiner and passing none of its members' events, "
              "states and inputs; end, each member is closed with error kicked. Either way "
              "its members are told (an event from the room)" },
    { .name = "script-memory-kb", .type = OPTION_UINT, .offset = SET(script.memory_kb),
      .size = SIZE(script.memory_kb), .def = "1024", .min = 64, .max = 262144,
      .help = "KiB of memory a room's script may hold; an allocation past it fails (the "
              "call stopped, counted)" },
    { .name = "script-budget", .type = OPTION_UINT, .offset = SET(script.budget),
      .size = SIZE(script.budget), .def = "1000000", .min = 10000, .max = 1000000000,
      .help = "instructions one call of a room's script (a hook, a timer) may run; past "
              "them it is stopped and counted as an error" },
    { .name = "script-share", .type = OPTION_UINT, .offset = SET(script.share),
      .size = SIZE(script.share), .def = "50", .min = 1, .max = 100,
      .help = "percent of the relay's time (its last second) all rooms' scripts may take; "
              "past it, a room that took more than its part (this over the rooms whose "
              "scripts ran) is not called: what its script would judge is dropped "
              "(drops.script_busy), its timers wait; 100 = no bound" },
    { .name = "stats-interval", .type = OPTION_SECONDS, .offset = SET(stats_interval_ms),
      .def = "5", .min = 0, .max = 86400,
      .help = "seconds between stats records on stdout; 0 = only at exit" },
    { .name = "stats-json", .type = OPTION_BOOL, .offset = SET(stats_json), .def = "false",
      .help = "stats records as JSON lines on a terminal too (piped or redirected: "
              "always JSON)" },
    { .name = "log-level", .type = OPTION_CHOICE, .offset = SET(log_level), .def = "info",
      .choices = "debug|info|warn|error|off", .short_name = 'V', .short_value = "debug",
      .help = "stderr log verbosity" },
    { .name = "log-json", .type = OPTION_BOOL, .offset = SET(log_json), .def = "false",
      .help = "log lines as JSON objects (time, level, program, msg), for a log collector" },
    { .name = "metrics", .type = OPTION_STRING, .offset = SET(metrics), .def = "",
      .min = 0, .max = SIZE(metrics),
      .help = "serve /metrics (Prometheus), /healthz, /readyz and a live page at / over "
              "HTTP on HOST:PORT (a bare PORT: 127.0.0.1; 0: a free one); empty: off" },
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
    s->core.peer_cap = s->core.max_clients + RELAY_SPARE_PEERS;
    s->net.peer_cap = s->core.peer_cap;
    s->net.max_packet_size = s->core.max_packet_size;
    s->net.bind = s->bind;
    s->net.tls_cert = s->tls_cert;
    s->net.tls_key = s->tls_key;
    s->net.handshake_ms = s->core.join_timeout_ms;
    s->net.webrtc_advertise = s->webrtc_advertise;
    s->net.allow_origin = s->allow_origin;
    s->core.timeout_ms = s->net.timeout_ms;
    s->net.max_queued_bytes = s->core.max_queued_bytes; /* ENet's unreliable drop */
    long tick_ms = s->tick_ms;
    s->core.tick_us = (uint32_t)tick_ms * 1000u;
    s->core.world_tick_us = (uint32_t)s->world_tick_ms * 1000u;
    long stale_ms = 2 * tick_ms > RELAY_STALE_MIN_MS ? 2 * tick_ms : RELAY_STALE_MIN_MS;
    s->core.stale_us = (uint32_t)(s->stale_ms >= 0 ? s->stale_ms : stale_ms) * 1000u;
}

int relay_settings_tickets(struct relay_settings *s, char *err, size_t err_cap)
{
    const char *files[2] = {s->ticket_key, s->ticket_key_previous};
    if (!s->ticket_key[0] && (s->ticket_key_previous[0] || s->core.encrypt)) {
        snprintf(err, err_cap, "%s needs --ticket-key",
                 s->core.encrypt ? "--encrypt" : "--ticket-key-previous");
        return -1;
    }
    s->core.n_ticket_keys = 0;
    for (int i = 0; i < 2 && files[i][0]; i++)
        if (keyfile_load(files[i], &s->core.ticket_keys[s->core.n_ticket_keys++], err,
                         err_cap) != 0)
            return -1;
    return 0;
}

void relay_settings_endpoint(struct relay_settings *s, const char *address)
{
    union netaddr a;
    char why[128], text[NETADDR_STR_MAX];
    if (netaddr_parse_endpoint(address, &a, why, sizeof why) != 0)
        return;
    bool any = a.sa.sa_family == AF_INET ? a.v4.sin_addr.s_addr == htonl(INADDR_ANY)
                                         : IN6_IS_ADDR_UNSPECIFIED(&a.v6.sin6_addr);
    netaddr_format(&a, text, sizeof text);
    if (any || strlen(text) > TICKET_ENDPOINT_MAX ||
        s->core.n_endpoints == sizeof s->core.endpoints / sizeof s->core.endpoints[0])
        return;
    memcpy(s->core.endpoints[s->core.n_endpoints++], text, strlen(text) + 1);
}

/* --tls-cert and --tls-key are a wss or quic edge's: with neither, they
 * are a mistake. Returns n, or -1 with err. */
static int tls_for_edges(const struct relay_settings *s,
                         const struct relay_edge_spec specs[RELAY_EDGES_MAX], int n, char *err,
                         size_t err_cap)
{
    if (!s->tls_cert[0] && !s->tls_key[0])
        return n;
    for (int i = 0; i < n; i++)
        if (strcmp(specs[i].ops->name, "wss") == 0 || strcmp(specs[i].ops->name, "quic") == 0)
            return n;
    snprintf(err, err_cap, "--tls-cert and --tls-key are for wss:// and quic:// edges, and none "
             "is given");
    return -1;
}

/* Without tickets anyone who reaches the relay joins, and without
 * --encrypt sessions travel in clear: listening where other machines can
 * reach it is allowed, but said once, at start. */
int relay_settings_edges(const struct relay_settings *s,
                         struct relay_edge_spec specs[RELAY_EDGES_MAX], char *err,
                         size_t err_cap)
{
    if (s->listen[0]) {
        struct relay_settings def;
        relay_settings_defaults(&def);
        if (s->transport != def.transport || s->net.port != def.net.port ||
            strcmp(s->bind, def.bind) != 0) {
            snprintf(err, err_cap, "--listen replaces --transport, --bind and --port: give "
                     "either");
            return -1;
        }
        int n = relay_edges_parse(s->listen, specs, err, err_cap);
        return n < 0 ? n : tls_for_edges(s, specs, n, err, err_cap);
    }
    specs[0].ops = relay_transports[s->transport];
    snprintf(specs[0].host, sizeof specs[0].host, "%s", s->bind);
    specs[0].port = s->net.port;
    return tls_for_edges(s, specs, 1, err, err_cap);
}

void relay_settings_warn(const struct relay_settings *s, const char *bind)
{
    const struct relay_config *cfg = &s->core;
    if (!bind || cfg->encrypt)
        return;
    if (cfg->n_ticket_keys)
        log_warn("relay: an edge on %s listens beyond this machine: joins need a ticket, but "
                 "sessions travel in clear (--encrypt seals them)", bind);
    else
        log_warn("relay: an edge on %s listens beyond this machine: anyone who reaches it can "
                 "join, and nothing is authenticated or encrypted (--ticket-key admits only "
                 "tickets, --encrypt seals sessions, binding 127.0.0.1 keeps it local)", bind);
}

void relay_default_config(struct relay_config *cfg)
{
    struct relay_settings s;
    relay_settings_defaults(&s);
    *cfg = s.core;
    cfg->peer_cap = cfg->max_clients + RELAY_SPARE_PEERS;
    cfg->timeout_ms = s.net.timeout_ms;
}

void relay_config_clamp(struct relay_config *cfg)
{
    struct relay_settings s;
    memset(&s, 0, sizeof s);
    s.core = *cfg;
    options_clamp(relay_settings_options, &s);
    *cfg = s.core;
}

int relay_settings_rooms(const struct relay_settings *s, char *err, size_t err_cap)
{
    if (!s->room_file[0] || !s->fleet.directory[0])
        return 0;
    /* a fleet's rooms move between its relays: their records are the directory's */
    snprintf(err, err_cap, "--room-file keeps one relay's rooms: not with --directory, whose "
             "relays keep them in the directory");
    return -1;
}
