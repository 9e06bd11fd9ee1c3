/* bot_options.c: ricochet-bot's command line (see bot_options.h). */
#include "bot_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"
#include "proto/mode.h"
#include "sys/options.h"
#include "sys/keyfile.h"
#include "client/lib/ricochet.h"

/* Whether text is a certificate's pin the library takes (it says so
 * through a configuration of its own: the public API is the bot's). */
static bool pin_valid(const char *text)
{
    struct ricochet_config *cfg = ricochet_config_new();
    bool ok = cfg && ricochet_config_set_pin(cfg, text) == RICOCHET_OK;
    ricochet_config_free(cfg);
    return ok;
}

/* --mode's choices: the mode table's names, then "mixed" (filled in main). */
static char mode_choices[256];

static const struct option_def bot_option_defs[] = {
    {"host", OPTION_STRING, offsetof(struct bot_options, host), "127.0.0.1", 1, 256, NULL,
     "relay address", .short_name = 'c'},
    {"port", OPTION_INT, offsetof(struct bot_options, port), "7777", 1, 65535, NULL,
     "relay port", .short_name = 'p'},
    {"room", OPTION_STRING, offsetof(struct bot_options, room), "lobby", 1,
     PROTO_ROOM_MAX + 1, NULL, "room to join"},
    {"name", OPTION_STRING, offsetof(struct bot_options, name), "bot", 1, 20, NULL,
     "name prefix (UTF-8, any script); bots are called PREFIX-1, PREFIX-2, ..."},
    {"mode", OPTION_CHOICE, offsetof(struct bot_options, mode_choice), "unsequenced", 0, 0,
     mode_choices,
     "delivery mode; mixed = round-robin over the three ENet modes; udp needs "
     "a relay's plain-UDP edge (--transport udp, or --listen udp://...), tcp one with a TCP edge (or examples/sockets/tcp_relay), ws one with a WebSocket edge (ws://)",
     .short_name = 'u', .short_value = "udp"},
    {"transport", OPTION_CHOICE, offsetof(struct bot_options, transport), "default", 0, 0,
     "default|webrtc|quic|wt|poll",
     "what carries the states: default, the mode's own (ENet for the three ENet modes, QUIC "
     "for streams); webrtc, data channels as a browser's (an ENet mode or mixed; --host and "
     "--port name the relay's ws edge, where the offer goes: POST /rtc); quic, a QUIC "
     "connection to the relay's quic edge (an ENet mode, streams or mixed); wt, a WebTransport "
     "session there, as a browser's page opens one (the same modes); poll, HTTP requests to "
     "the relay's poll edge (--mode tcp; long polls, states POSTed)"},
    {"keylog", OPTION_STRING, offsetof(struct bot_options, keylog), "", 0, 512, NULL,
     "--transport webrtc, quic or wt: append the sessions' DTLS or TLS secrets to this file "
     "(SSLKEYLOGFILE's format: ricochet-netsim --keylog and Wireshark read the channels); a "
     "network under test only"},
    {"pin", OPTION_STRING, offsetof(struct bot_options, pin), "", 0, 128, NULL,
     "QUIC: the relay certificate's SHA-256 (64 hex digits, colons allowed, as the relay "
     "logs it at start); \"\" = any certificate (the relay not authenticated)"},
    {"rate", OPTION_DOUBLE, offsetof(struct bot_options, rate), "30", 0.1, 1000, NULL,
     "states per second per bot; a relay kicks a client above its --rate-limit (default 180 "
     "datagrams a second)"},
    {"events", OPTION_DOUBLE, offsetof(struct bot_options, events), "0", 0, 1000, NULL,
     "events a second per bot, beside its states (a game's own messages: reliable, in "
     "order; the relay's --rate-limit counts each as it counts a state, its --byte-limit "
     "their length times their recipients); 0 = none"},
    {"event-bytes", OPTION_INT, offsetof(struct bot_options, event_bytes), "64", 0,
     RICOCHET_EVENT_MAX, NULL, "bytes of each event's body"},
    {"event-to", OPTION_STRING, offsetof(struct bot_options, event_to), "room", 1, 16, NULL,
     "whom each event goes to: room (every other member) or a member's id (one the relay "
     "gave: it logs them, so does a bot at --log-level info; the relay answers no_member "
     "while it is no member of the room)"},
    {"duration", OPTION_DOUBLE, offsetof(struct bot_options, duration), "10", 0, 86400,
     NULL, "seconds of sending; 0 = until SIGINT", .short_name = 't'},
    {"count", OPTION_INT, offsetof(struct bot_options, count), "1", 1, 1000, NULL,
     "bots in this process (each its own connection)", .short_name = 'P'},
    {"seed", OPTION_INT, offsetof(struct bot_options, seed), "0", 0, 2147483647, NULL,
     "seed of the paths; 0 = pick one from the clock (printed)"},
    {"payload", OPTION_INT, offsetof(struct bot_options, payload), "0", 0,
     PROTO_STATE_MAX, NULL, "pad each state datagram to this many bytes (0 = 40)",
     .short_name = 'l'},
    {"reflect", OPTION_BOOL, offsetof(struct bot_options, reflect), "false", 0, 0, NULL,
     "ask the relay to send my states back (round-trip times)"},
    {"json", OPTION_BOOL, offsetof(struct bot_options, json), "false", 0, 0, NULL,
     "print the summary as one JSON object", .short_name = 'J'},
    {"interval", OPTION_DOUBLE, offsetof(struct bot_options, interval), "0", 0, 86400, NULL,
     "every this many seconds of sending, a row of what was sent and received in it "
     "(--json: one JSON record per line, before the summary's); 0 = only the summary",
     .short_name = 'i'},
    {"log-level", OPTION_CHOICE, offsetof(struct bot_options, log_level), "warn", 0, 0,
     "debug|info|warn|error|off", "stderr log threshold", .short_name = 'V',
     .short_value = "debug"},
    {"timeout-ms", OPTION_INT, offsetof(struct bot_options, timeout_ms),
     OPTION_DEF(PROTO_TIMEOUT_MS), 100,
     600000, NULL, "connect + join deadline, and connection timeout"},
    {"rejoin-ms", OPTION_INT, offsetof(struct bot_options, rejoin_ms), "0", 0, 3600000, NULL,
     "a fleet: a bot whose relay falls silent (1.5 s) joins again through --host and --port, "
     "and keeps trying this long (ricochet_config_set_rejoin); 0 = its session ends"},
    {"ticket", OPTION_STRING, offsetof(struct bot_options, ticket), "", 0, 1024, NULL,
     "join with a ticket (ricochet-ticket mint), or @FILE: one ticket a line, one per bot "
     "(--count; inline, every user of the machine can read it in ps: a warning says so); "
     "the tickets say the rooms and names (--room and --name are not used)"},
    {0}};

/* Rooms and the generated names PREFIX-1..PREFIX-count must pass the
 * relay's rules: a typo is exit 2 here, not a failed join later. */
static void check_names(const struct bot_options *o)
{
    char last[PROTO_NAME_MAX + 32], names[2 * sizeof last];
    if (!proto_room_valid(o->room))
        options_fail(BOT_PROG, "--room '%s': use 1-%d of [A-Za-z0-9_.-]", o->room, PROTO_ROOM_MAX);
    /* The prefix's characters are in every name; the longest name is the last. */
    char why[PROTO_TEXT_MAX + 1];
    snprintf(last, sizeof last, "%s-%ld", o->name, o->count);
    if (proto_name_check(last, PROTO_NAME_MAX, why, sizeof why))
        return;
    if (o->count == 1)
        snprintf(names, sizeof names, "name %s", last);
    else
        snprintf(names, sizeof names, "names %s-1 to %s", o->name, last);
    options_fail(BOT_PROG, "--name: the bot %s: %s", names, why);
}

/* The name of the --mode choice (the text of mode_choices, not an index). */
const char *bot_mode_choice_name(const struct bot_options *o, char *buf, size_t cap)
{
    const char *p = mode_choices;
    for (int i = 0; i < o->mode_choice && p; i++)
        if ((p = strchr(p, '|')))
            p++;
    size_t n = p ? strcspn(p, "|") : 0;
    snprintf(buf, cap, "%.*s", (int)n, p ? p : "");
    return buf;
}

/* --ticket: count tickets into list (texts after the pointers), o->room
 * the first one's. Returns NULL, or why not (into err). */
static const char *ticket_list(struct bot_options *o, const char **list, char *err,
                               size_t err_cap)
{
    size_t n_max = (size_t)o->count + 1;
    char (*texts)[TICKET_TEXT_MAX + 1] = (void *)(list + n_max);
    char why[480];
    int n = keyfile_read_tickets(o->ticket, texts, (int)n_max, why, sizeof why);
    if (n < 0)
        snprintf(err, err_cap, "--ticket: %s", why);
    else if (n != o->count)
        snprintf(err, err_cap, "--ticket gives %d ticket%s for --count %ld: one per bot", n,
                 n == 1 ? "" : "s", o->count);
    struct ticket_claims claims;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    for (int i = 0; n == o->count && i < n; i++) {
        if (ticket_read(texts[i], &claims, pass, sizeof pass) != 0) {
            snprintf(err, err_cap, "--ticket: ticket %d is not a ticket (ricochet-ticket "
                     "mint prints them)", i + 1);
            return err;
        }
        if (i == 0)
            snprintf(o->room, sizeof o->room, "%s", claims.room);
        list[i] = texts[i];
    }
    return n == o->count ? NULL : err;
}

/* --ticket: one ticket per bot, or exit 2; o->tickets then their texts in
 * one block (free(o->tickets) frees it). */
static void read_tickets(struct bot_options *o)
{
    char err[512];
    size_t n_max = (size_t)o->count + 1;
    const char **list = calloc(1, n_max * (sizeof *list + TICKET_TEXT_MAX + 1));
    if (!list)
        options_fail(BOT_PROG, "out of memory");
    keyfile_warn_inline(BOT_PROG, o->ticket);
    if (ticket_list(o, list, err, sizeof err)) {
        free(list);
        options_fail(BOT_PROG, "%s", err);
    }
    o->tickets = list;
}

/* --event-to: room, or an id 1..2^32-1 (o->event_to_id), or exit 2. */
static void check_event_to(struct bot_options *o)
{
    if (strcmp(o->event_to, "room") == 0) {
        o->event_to_id = RICOCHET_TO_ROOM;
        return;
    }
    char *end;
    unsigned long long id = strtoull(o->event_to, &end, 10);
    if (o->event_to[0] < '0' || o->event_to[0] > '9' || *end || id == 0 || id > UINT32_MAX)
        options_fail(BOT_PROG, "--event-to '%s': use room or a member's id (1 to %lu)",
                     o->event_to, (unsigned long)UINT32_MAX);
    o->event_to_id = (uint32_t)id;
}

static const char *const signals[] = {
    "SIGINT, SIGTERM", "stop sending, leave the room and print the summary", NULL};

static const char *const exit_status[] = {
    "0", "the bots ran for --duration (or until a signal), whatever they saw",
    "1", "a bot could not join or lost the relay, with one line on standard error saying "
         "which and why (the relay's error code)",
    "2", "a bad option, value or config file, with one line on standard error",
    NULL};

static const struct options_example examples[] = {
    {"Six bots in one room, round-robin over the three ENet modes, for 10 seconds:",
     "ricochet-bot --count 6 --mode mixed"},
    {"iperf3 habits: a relay on relay.lan port 7777, 30 seconds, a row every second, JSON:",
     "ricochet-bot -c relay.lan -p 7777 -t 30 -i 1 -J"},
    {"Round trips through the relay, alone in a room:", "ricochet-bot --reflect -t 5"},
    {"Two bots flooding their room with events of 1 KiB, 150 a second each, beside 10 "
     "states a second (under a default relay's --rate-limit of 180 and --byte-limit of "
     "1 MiB a second):",
     "ricochet-bot --count 2 --rate 10 --events 150 --event-bytes 1024"},
    {"Four bots over WebRTC data channels, to a relay whose ws edge is on port 7780:",
     "ricochet-bot --count 4 --transport webrtc --port 7780"},
    {"Four bots over QUIC, a stream per sender, to a relay whose quic edge is on port 7790:",
     "ricochet-bot --count 4 --mode streams --port 7790"},
    {0}};

static const struct options_manual manual = {
    .description =
        "Each bot is one connection (ENet, plain UDP with --mode udp, WebRTC with --transport "
        "webrtc, QUIC with --transport quic or --mode streams, WebTransport with --transport wt) "
        "that joins --room, "
        "moves along a path drawn from --seed and sends its state --rate times a second for "
        "--duration seconds; with --events, also that many events a second of --event-bytes "
        "each, to the room or to one member (--event-to). At the end ricochet-bot prints "
        "what every bot received from every other: delivery, loss, duplicates, reordering, "
        "one-way latency (corrected by the clocks' offsets to the relay, with its error "
        "bound) and jitter; who saw whom; the figures per mode; and the events each bot sent "
        "and received, and how often the relay held them back (throttled: a receiver fell "
        "behind). --json prints it as one object; --interval adds a row every few seconds.\n"
        "\n"
        "A bot alone in a room sees nobody: run --count 2 or more, another bot or a "
        "ricochet-client in the room, or pass --reflect; a bot that saw nobody says so on "
        "standard error. A relay kicks a client that sends more than its --rate-limit "
        "(180 datagrams a second by default).",
    .signals = signals,
    .exit_status = exit_status,
    .examples = examples,
    .config_example = "{\"host\": \"127.0.0.1\", \"port\": 7777, \"count\": 4, "
                      "\"mode\": \"mixed\", \"duration\": 5}",
    .see_also = "clients.md (the bot's reports), PROTOCOL.md",
};

static const struct options_program program = {
    .name = BOT_PROG,
    .summary = "headless players: join a room, move, send states, report what everyone "
               "received",
    .defs = bot_option_defs,
    .manual = &manual,
};

void bot_options_parse(struct bot_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    proto_mode_choices(mode_choices, sizeof mode_choices, "mixed");
    options_parse_or_exit(&program, o, argc, argv);
    log_threshold = (enum log_level)o->log_level;
    if (o->ticket[0])
        read_tickets(o);
    check_names(o);
    check_event_to(o);
    char mode[32];
    enum proto_mode pm;
    bool parsed = proto_mode_parse(bot_mode_choice_name(o, mode, sizeof mode), &pm) == 0;
    if (o->transport == RICOCHET_TRANSPORT_WEBRTC && parsed && !proto_mode_info(pm)->enet)
        options_fail(BOT_PROG, "--transport webrtc carries the ENet modes (or mixed), not %s",
                     mode);
    if (o->transport == RICOCHET_TRANSPORT_POLL && (!parsed || pm != PROTO_MODE_TCP))
        options_fail(BOT_PROG, "--transport poll carries the mode tcp (--mode tcp), not %s",
                     mode);
    bool quic = o->transport == RICOCHET_TRANSPORT_QUIC ||
                o->transport == RICOCHET_TRANSPORT_WEBTRANSPORT;
    if (quic && parsed && !proto_mode_info(pm)->enet && pm != PROTO_MODE_STREAMS)
        options_fail(BOT_PROG, "--transport %s carries the ENet modes, streams (or mixed), "
                     "not %s", o->transport == RICOCHET_TRANSPORT_QUIC ? "quic" : "wt", mode);
    quic = quic || (parsed && pm == PROTO_MODE_STREAMS);
    if (o->keylog[0] && o->transport != RICOCHET_TRANSPORT_WEBRTC && !quic)
        options_fail(BOT_PROG, "--keylog: only --transport webrtc, quic or wt has secrets to log");
    if (o->pin[0] && (!quic || !pin_valid(o->pin)))
        options_fail(BOT_PROG, "--pin: %s", quic ? "not a SHA-256 in hex (64 digits)"
                                                : "only a QUIC session has a certificate");
    if (o->interval > 0 && o->interval < 0.1)
        options_fail(BOT_PROG, "--interval: %g is too small: use 0 (off) or at least 0.1",
                     o->interval);
    options_checked(&program);
}
