/* settings.h: every setting of ricochet-relay, each declared once.
 *
 * One option table (sys/options.h) whose rows point straight into the
 * structures the code reads: struct relay_config (the core's limits and
 * policy, relay.h) and struct relay_net_config (the transport's,
 * transport.h), both inside struct relay_settings. --help, the command
 * line, the JSON config file and range checks (options.c), the core's
 * defaults (relay_default_config) and its clamp (relay_config_clamp) all
 * read that one row. Adding a limit: a field in one of the structures and a
 * row in settings.c. */
#ifndef RICOCHET_SETTINGS_H
#define RICOCHET_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/options.h"
#include "relay/core/relay.h"
#include "relay/script/script.h"
#include "relay_fleet.h"
#include "edges.h"
#include "transport.h"

/* --stale-ms -1: two ticks, but never under this. */
#define RELAY_STALE_MIN_MS 20

struct relay_settings {
    struct relay_config core;    /* what relay_create gets */
    struct relay_net_config net; /* what the transport's create gets */
    char bind[64];               /* net.bind points here */
    int transport;               /* index into relay_transports */
    char listen[RELAY_EDGES_MAX * 96]; /* --listen values, space-separated */
    long tick_ms;                /* 0: each state forwarded at once */
    long world_tick_ms;          /* rooms with interest; 0: tick_ms */
    long stale_ms;               /* -1: two ticks, at least RELAY_STALE_MIN_MS */
    uint32_t stats_interval_ms;  /* between stats records; 0 = only at exit */
    bool stats_json;             /* JSON stats records on a terminal too */
    int log_level;               /* enum log_level */
    char tls_cert[256];          /* wss: PEM certificate (chain) file; net.tls_cert */
    char tls_key[256];           /* wss: its PEM private key file; net.tls_key */
    char ticket_key[256];        /* key file: joins need a ticket sealed under it */
    char ticket_key_previous[256]; /* key file: ... or under this one (rotation) */
    struct relay_fleet_settings fleet; /* --directory and the rest of a fleet */
    bool log_json;               /* log lines as JSON (log_json_sink) */
    char metrics[80];            /* HTTP endpoint, "" = none */
    char room_file[256];         /* --room-file: the rooms kept, "" = none */
    char lockstep_log[256];      /* --lockstep-log: lockstep rooms' kept log, "" = none */
    char webrtc_advertise[80];   /* net.webrtc_advertise points here */
    char allow_origin[1024];     /* --allow-origin values, space-separated; net.allow_origin */
    struct script_settings script; /* --script-*: rooms' scripts (relay/script) */
};

/* The table, ending with {0}. */
extern const struct option_def relay_settings_options[];
/* ricochet-relay as --help and its manual page describe it (the table and
 * relay_manual.c's text). */
extern const struct options_program relay_program;

/* Fills s from the table's defaults (no derived fields). */
void relay_settings_defaults(struct relay_settings *s);

/* The core's limits at their options' defaults, with peer_cap (max_clients
 * + RELAY_SPARE_PEERS): a config relay_create() takes as it is. */
void relay_default_config(struct relay_config *cfg);

/* Brings every limit of a config filled by code into its option's range. */
void relay_config_clamp(struct relay_config *cfg);

/* What follows from the settings, for the program: peer_cap (max_clients
 * + RELAY_SPARE_PEERS) in both structures, the transport's packet size and
 * bind address, the tick (tick_ms, or the transport's default). */
void relay_settings_derive(struct relay_settings *s);

/* Tickets: reads the key files of --ticket-key and --ticket-key-previous
 * into the core's config; --encrypt needs --ticket-key. Returns 0, or -1
 * with a one-line message in err. */
int relay_settings_tickets(struct relay_settings *s, char *err, size_t err_cap);

/* --room-file with --directory: refused (a fleet keeps its rooms in the
 * directory). Returns 0, or -1 with a one-line message in err. */
int relay_settings_rooms(const struct relay_settings *s, char *err, size_t err_cap);

/* An endpoint a ticket may name this relay by, once bound: address (an
 * edge's "ip:port"), unless it is the wildcard (0.0.0.0, ::). Call it for
 * every edge. */
void relay_settings_endpoint(struct relay_settings *s, const char *address);

/* The edges to open: --listen's, or the shorthand's one (--transport on
 * --bind:--port), which may not be given beside --listen. Returns how
 * many, or -1 with a one-line message in err. */
int relay_settings_edges(const struct relay_settings *s,
                         struct relay_edge_spec specs[RELAY_EDGES_MAX], char *err,
                         size_t err_cap);

/* Says once, at start, if the relay listens beyond this machine (on bind,
 * an edge's host; NULL: it does not) without tickets or without --encrypt
 * (allowed, but worth a warning). */
void relay_settings_warn(const struct relay_settings *s, const char *bind);

#endif
