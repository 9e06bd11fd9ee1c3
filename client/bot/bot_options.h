/* bot_options.h: ricochet-bot's command line: the option table (with
 * --mode's choices: the mode table's names, then "mixed"), the checks the
 * table cannot express, and the name of the chosen --mode. */
#ifndef RICOCHET_BOT_OPTIONS_H
#define RICOCHET_BOT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"

#define BOT_PROG "ricochet-bot"

struct bot_options {
    char host[256];
    long port;
    char room[PROTO_ROOM_MAX + 1];
    char name[20];
    int mode_choice; /* index into mode_choices; see bot_mode() */
    double rate;
    double duration;
    long count;
    long seed;
    long payload;
    bool reflect;
    bool json;
    double interval;
    int log_level;
    long timeout_ms;
    long rejoin_ms;              /* --rejoin-ms: a lost relay rejoined for this long (0: the
                                    bot's session ends) */
    int transport;               /* --transport: enum ricochet_transport */
    char keylog[512];            /* --keylog: WebRTC's DTLS or QUIC's TLS secrets appended
                                    here */
    char pin[129];               /* --pin: the QUIC relay certificate's SHA-256 ("": none) */
    double events;               /* --events: events a second per bot (0: none) */
    long event_bytes;            /* --event-bytes: each event's body */
    char event_to[16];           /* --event-to: "room" or a member's id */
    uint32_t event_to_id;        /* ... as ricochet_send_event takes it (RICOCHET_TO_ROOM:
                                    the room) */
    char ticket[1024];           /* --ticket: a ticket or @FILE */
    const char **tickets;        /* bot i's ticket (count of them), or NULL: none; one
                                    block with the texts: free(tickets) frees it */
};

/* Fills o from argv (and --config): exits 2 on anything wrong, 0 after
 * --help or --version; sets the log threshold. With --ticket, reads one
 * ticket per bot (o->tickets, kept for the process's life; o->room is the
 * first ticket's room). */
void bot_options_parse(struct bot_options *o, int argc, char **argv);

/* The name of the --mode choice ("unsequenced", ..., "mixed") in buf. */
const char *bot_mode_choice_name(const struct bot_options *o, char *buf, size_t cap);

#endif
