/* relay_manual.c: what ricochet-relay's --help and manual page say beside
 * the option table (settings.c). */
#include "settings.h"

static const char *const signals[] = {
    "SIGINT, SIGTERM",
    "stop: with --directory, first move the rooms this relay holds to other relays of the "
    "fleet; with --room-file, write its rooms there; then tell every client (error "
    "shutting_down), disconnect them, write the final stats record and exit 0 (SIGKILL: "
    "--room-file loses the changes since its last write: 100 ms, or a file's bytes at 4 MiB "
    "a second)",
    "SIGUSR1", "write a stats record now",
    "SIGHUP", "with --script-dir, read the room scripts again: checked first, rooms made from "
              "then on run the new ones, rooms alive go on with theirs; a script that fails "
              "its check is named (file and line) and the scripts before are kept",
    NULL};

static const char *const exit_status[] = {
    "0", "stopped by SIGINT or SIGTERM",
    "1", "could not start (the port is taken, the address is wrong, a key file is unreadable, "
         "--room-file is not a room file this relay could have written), with one line on "
         "standard error saying why",
    "2", "a bad option, value or config file, or a room script of --script-dir that fails "
         "its check, with one line on standard error (the script's file and line)",
    NULL};

static const char *const files[] = {
    "--ticket-key FILE", "the key joins must be sealed under (ricochet-ticket keygen)",
    "--tls-cert FILE, --tls-key FILE", "a wss:// edge's certificate and key (PEM)",
    "--room-file FILE", "the rooms this relay keeps (their settings, owners and kept events "
                        "with stay), written as FILE.tmp (made afresh, never through a link) then "
                        "renamed over FILE, in a folder no other user may write (checked at "
                        "start); a FILE it cannot read back stops it at start: move it away to "
                        "start without it",
    "--script-dir DIR", "the operator's room scripts, DIR/NAME.lua (docs/scripts.md), each "
                        "room's within --script-memory-kb and --script-budget, all together "
                        "within --script-share of the relay's time",
    NULL};

static const struct options_example examples[] = {
    {"A relay for this machine only, on the default port:",
     "ricochet-relay --bind 127.0.0.1"},
    {"Plain UDP, IPv6 and IPv4 clients on one dual-stack socket:",
     "ricochet-relay -u -B :: -p 7790"},
    {"ENet and plain-UDP players in the same rooms, each on a port of its own:",
     "ricochet-relay --listen enet://0.0.0.0:7777 --listen udp://0.0.0.0:7778"},
    {"Browsers beside ENet players: the play page at http://HOST:7780/play (and the games at "
     "/tag and /gates), its WebSocket on the same port:",
     "ricochet-relay --listen enet://0.0.0.0:7777 --listen ws://0.0.0.0:7780"},
    {"The same in TLS (https://HOST:7443/play, wss://):",
     "ricochet-relay --listen wss://0.0.0.0:7443 --tls-cert cert.pem --tls-key key.pem"},
    {"Browsers' WebRTC data channels on one UDP port, the answers naming the public address:",
     "ricochet-relay --listen webrtc://0.0.0.0:7781 --webrtc-advertise 203.0.113.7:7781"},
    {"A stats record every second as a JSON line, for a script:",
     "ricochet-relay --stats-interval 1 --stats-json | jq -c .drops"},
    {"Rooms that outlive a restart, waiting two minutes for their players:",
     "ricochet-relay --room-file /var/lib/ricochet-relay/rooms.json --room-hold-s 120"},
    {"The project's example room scripts (gates, tag) for the rooms that name one, together "
     "at most a third of the relay's time, from the source tree:",
     "ricochet-relay --script-dir examples/scripts --script-share 33"},
    {"Whether a config file is right, without starting:",
     "ricochet-relay --config relay.json --check"},
    {0}};

static const struct options_manual manual = {
    .description =
        "The relay binds one UDP port (ENet, or a bare datagram socket with --transport "
        "udp), or one per edge with --listen (ENet and plain UDP at once, TCP streams, "
        "WebSockets for browsers with the play page beside them, a room mixing their "
        "players), keeps rooms of clients, and forwards each client's state "
        "datagrams, stamped with its id, to the other members of its room. Control messages (join, leave, chat, "
        "errors) are JSON on a reliable channel; proto/PROTOCOL.md is the wire contract.\n"
        "\n"
        "Every byte from the network is validated: a bad datagram is counted and dropped, "
        "and the limits below (clients, rooms, rates, packet sizes, queues) keep one client "
        "from hurting the others. Nothing is authenticated or encrypted unless --ticket-key "
        "and --encrypt say so; the relay warns once at start when it listens beyond "
        "loopback.\n"
        "\n"
        "Every --stats-interval seconds and at exit the relay writes a stats record on "
        "standard output: one line for a person on a terminal, one JSON object per line "
        "when piped or with --stats-json (every field: proto/STATS.md). Logs go to standard "
        "error.",
    .signals = signals,
    .exit_status = exit_status,
    .files = files,
    .examples = examples,
    .config_example = "{\"bind\": \"127.0.0.1\", \"port\": 7790, \"max-clients\": 256, "
                      "\"tick-ms\": 2}",
    .see_also = "operations.md (threat model, limits, abuse handling), tickets.md, "
                "scripts.md (room scripts), PROTOCOL.md, STATS.md",
};

const struct options_program relay_program = {
    .name = "ricochet-relay",
    .summary = "ricochet relay: rooms of clients, each client's state datagrams forwarded "
               "to the others.",
    .defs = relay_settings_options,
    .manual = &manual,
};
