/* ticket_main.c: ricochet-ticket, the backend's side of join tickets.
 *
 *   ricochet-ticket keygen KEYFILE
 *   ricochet-ticket mint --key KEYFILE --room R --name N [--ttl SECONDS]
 *                        [--fleet F | --relay HOST:PORT[,HOST:PORT...]] [--count N]
 *                        [--clear]
 *
 * mint prints each ticket on its own line of stdout. The relays of the fleet
 * run with --ticket-key KEYFILE (the same key). */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ticket.h"
#include "sys/clock.h"
#include "sys/options.h"
#include "sys/keyfile.h"

#define PROG "ricochet-ticket"
#define SUMMARY                                                                              \
    "Join tickets for ricochet-relay --ticket-key. Commands: 'keygen KEYFILE' writes a "   \
    "new random key (mode 0600; an existing file is never overwritten); 'mint' prints a "   \
    "ticket for one player (--count N: N tickets, one a line, for the names NAME-1 .. "    \
    "NAME-N of ricochet-bot --count N) under --key, valid for --ttl seconds in --fleet, "   \
    "or on the --relay endpoints only, for a session that must be sealed (--clear: one "   \
    "that may run in clear). A relay accepts it with the same key as --ticket-key (or "    \
    "--ticket-key-previous), and a sealed one only with --encrypt."

struct mint_options {
    char key[256];
    char room[PROTO_ROOM_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    long ttl;
    char fleet[TICKET_FLEET_MAX + 1];
    char relay[256];
    long count;
    bool clear;
};

#define OFF(FIELD) offsetof(struct mint_options, FIELD)
static const struct option_def option_defs[] = {
    {"key", OPTION_STRING, OFF(key), "", 0, 255, NULL,
     "mint: the key file (from keygen) to seal tickets under (required)"},
    {"room", OPTION_STRING, OFF(room), "", 0, PROTO_ROOM_MAX, NULL,
     "mint: the room the ticket admits to (required)"},
    {"name", OPTION_STRING, OFF(name), "", 0, PROTO_NAME_MAX, NULL,
     "mint: the player's name (required; with --count, the prefix of NAME-1 .. NAME-N)"},
    {"ttl", OPTION_INT, OFF(ttl), "3600", 1, TICKET_TTL_MAX_S, NULL,
     "mint: seconds the ticket stays valid from now"},
    {"fleet", OPTION_STRING, OFF(fleet), "ricochet", 1, TICKET_FLEET_MAX, NULL,
     "mint: the fleet whose relays accept it (their --fleet-name)"},
    {"relay", OPTION_STRING, OFF(relay), "", 0, 255, NULL,
     "mint: instead of a fleet, up to 4 relay endpoints HOST:PORT, comma-separated"},
    {"count", OPTION_INT, OFF(count), "1", 1, 1000, NULL,
     "mint: tickets to print, one a line, for NAME-1 .. NAME-N (1: NAME itself)"},
    {"clear", OPTION_BOOL, OFF(clear), "false", 0, 0, NULL,
     "mint: the session may run in clear, on a relay without --encrypt (without it the "
     "relay must seal the session and the client takes nothing in clear; with it an "
     "attacker on the path can downgrade the session: PROTOCOL.md's threat model)"},
    {0}};

static const char *const exit_status[] = {
    "0", "the key was written, or the tickets printed",
    "1", "the tickets could not be written to standard output",
    "2", "a bad option or value, an unreadable key, an existing key file, with one line on "
         "standard error",
    NULL};

static const char *const files[] = {
    "KEYFILE", "a key: 64 hexadecimal digits, mode 0600, shared by the backend (mint --key) "
               "and every relay of the fleet (--ticket-key)",
    NULL};

static const struct options_example examples[] = {
    {"A new key, then a ticket for ana in room lobby, valid for an hour on any relay of the "
     "default fleet:",
     "ricochet-ticket keygen backend.key\n"
     "ricochet-ticket mint --key backend.key --room lobby --name ana"},
    {"Four tickets for ricochet-bot --count 4 --name bot, for one relay only:",
     "ricochet-ticket mint --key backend.key --room lobby --name bot --count 4 \\\n"
     "    --relay 127.0.0.1:7777"},
    {0}};

static const struct options_manual manual = {
    .description = "A ticket admits one player, by name, to one room, for a limited time, "
                   "on the relays of one fleet (or the listed relays only). It is sealed "
                   "under the key: a relay opens it with the same key, and nobody without "
                   "the key can make or change one. It holds the session's keys: hand it to "
                   "the player over a confidential channel, and to programs in a file "
                   "(--ticket @FILE), not on their command line, where every user of the "
                   "machine can read it (ps).",
    .exit_status = exit_status,
    .files = files,
    .examples = examples,
    .config_example = "{\"key\": \"backend.key\", \"room\": \"lobby\", \"ttl\": 600}",
    .see_also = "tickets.md, PROTOCOL.md (Tickets, Sealed sessions)",
};

static const struct options_program program = {
    .name = PROG,
    .summary = SUMMARY,
    .defs = option_defs,
    .manual = &manual,
};

static int mint(int argc, char **argv)
{
    struct mint_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    if (!o.key[0] || !o.room[0] || !o.name[0])
        options_fail(PROG, "mint needs --key KEYFILE, --room R and --name N");
    struct ticket_key key;
    char err[512];
    if (ticket_crypto_init() != 0 || keyfile_load(o.key, &key, err, sizeof err) != 0)
        options_fail(PROG, "%s", o.key[0] ? err : "libsodium cannot start");
    struct keyfile_ask ask = {.room = o.room, .name = o.name, .fleet = o.fleet,
                              .relays = o.relay, .ttl_s = o.ttl, .clear = o.clear};
    uint64_t now_s = clock_unix_s();
    struct ticket_claims first; /* what --check checks too */
    if (keyfile_claims(&ask, now_s, &first, err, sizeof err) != 0)
        options_fail(PROG, "%s", err);
    options_checked(&program);
    for (long i = 1; i <= o.count; i++) {
        char text[TICKET_TEXT_MAX + 1], name[PROTO_NAME_MAX + 2];
        struct ticket_claims claims;
        if (o.count > 1 &&
            snprintf(name, sizeof name, "%s-%ld", o.name, i) > PROTO_NAME_MAX)
            options_fail(PROG, "--name %s-%ld is longer than %d bytes", o.name, i,
                         PROTO_NAME_MAX);
        ask.name = o.count > 1 ? name : o.name;
        if (keyfile_claims(&ask, now_s, &claims, err, sizeof err) != 0)
            options_fail(PROG, "%s", err);
        if (ticket_mint(&key, &claims, text, sizeof text) < 0)
            options_fail(PROG, "cannot mint the ticket");
        printf("%s\n", text);
    }
    sodium_memzero(&key, sizeof key);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc >= 2 && strcmp(argv[1], "mint") == 0)
        return mint(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "keygen") == 0) {
        if (argc != 3 || argv[2][0] == '-') {
            struct mint_options o; /* --help, --version */
            options_parse_or_exit(&program, &o, argc - 1, argv + 1);
            options_fail(PROG, "usage: " PROG " keygen KEYFILE");
        }
        if (keyfile_generate(argv[2], err, sizeof err) != 0)
            options_fail(PROG, "%s", err);
        return 0;
    }
    struct mint_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    options_checked(&program); /* --check without a command: the options alone */
    options_fail(PROG, "a command first: keygen KEYFILE, or mint --key KEYFILE --room R "
                       "--name N (see --help)");
}
