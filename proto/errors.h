/* errors.h: the error codes of the control protocol, in one table.
 *
 * Every code the relay sends in an "error" message is a row of proto/errors.c:
 * its wire name, its number (the ENet disconnect data that carries it when a
 * relay closes a peer), a human sentence for programs that have only the
 * code, and whether the relay ends the session with it. The relay sends
 * them, the client library and programs read them; nobody compares code
 * strings by hand. Adding a code: the enum here, a row in errors.c, a line
 * in PROTOCOL.md's table. Pure: no I/O. */
#ifndef RICOCHET_ERRORS_H
#define RICOCHET_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

/* The values are the wire numbers (ENet disconnect data): never renumber. */
enum proto_error_code {
    PROTO_ERROR_NONE = 0,        /* no code (disconnect data 0: no reason given) */
    PROTO_ERROR_BAD_JSON = 1,
    PROTO_ERROR_MISSING_FIELD = 2,
    PROTO_ERROR_BAD_FIELD = 3,
    PROTO_ERROR_UNKNOWN_TYPE = 4,
    PROTO_ERROR_BAD_NAME = 5,
    PROTO_ERROR_BAD_ROOM = 6,
    PROTO_ERROR_NOT_JOINED = 7,
    PROTO_ERROR_ALREADY_JOINED = 8,
    PROTO_ERROR_ROOM_FULL = 9,
    PROTO_ERROR_TOO_MANY_ROOMS = 10,
    PROTO_ERROR_SERVER_FULL = 11,
    PROTO_ERROR_BAD_STATE = 12,
    PROTO_ERROR_BAD_VERSION = 13,
    PROTO_ERROR_TOO_BIG = 14,
    PROTO_ERROR_RATE_LIMITED = 15,
    PROTO_ERROR_KICKED = 16,
    PROTO_ERROR_SHUTTING_DOWN = 17,
    PROTO_ERROR_SLOW_READER = 18,
    PROTO_ERROR_TICKET_REQUIRED = 19,
    PROTO_ERROR_TICKET_EXPIRED = 20,
    PROTO_ERROR_TICKET_WRONG_RELAY = 21,
    PROTO_ERROR_TICKET_TAMPERED = 22,
    PROTO_ERROR_TICKET_REPLAYED = 23,
    PROTO_ERROR_TICKET_MALFORMED = 24,
    PROTO_ERROR_DIRECTORY_UNAVAILABLE = 25,
    PROTO_ERROR_MOVED = 26,
    PROTO_ERROR_NO_MEMBER = 27,
    PROTO_ERROR_THROTTLED = 28,
    PROTO_ERROR_LISTING_OFF = 29,
    /* rooms with properties */
    PROTO_ERROR_NO_SUCH_ROOM = 30,
    PROTO_ERROR_ROOM_CLOSED = 31,
    PROTO_ERROR_NOT_ROOM_OWNER = 32, /* "not_creator" on the wire, its first name */
    PROTO_ERROR_NOT_OWNER = 33,  /* a kept key another player keeps */
    /* room scripts */
    PROTO_ERROR_SCRIPT_REFUSED = 34,
    PROTO_ERROR_SCRIPT_ERROR = 35, /* not sent: a script's failure is told by an event from
                                      the room; its number kept for the codes after it */
    /* one live session a player */
    PROTO_ERROR_REPLACED = 36,   /* the player joined again from another session */
    PROTO_ERROR_COUNT
};

struct proto_error_info {
    const char *name;  /* on the wire: "server_full" */
    const char *text;  /* for people, when the relay's message is not at hand */
    bool ends_session; /* the relay disconnects the peer after sending it */
};

/* The row of code, or NULL for PROTO_ERROR_NONE and values out of range. */
const struct proto_error_info *proto_error_info(enum proto_error_code code);

/* The wire name of code ("?" for none or out of range). */
const char *proto_error_name(enum proto_error_code code);

/* The code named name, or PROTO_ERROR_NONE if no row has that name. */
enum proto_error_code proto_error_from_name(const char *name);

/* One line for people about a session the relay refused or ended:
 * "relay refused the join: server_full (the relay is full: 1024 clients)",
 * or with joined "relay ended the session: kicked (...)". message may be
 * NULL or empty (the table's text is used). Returns snprintf's result. */
int proto_error_describe(char *buf, size_t cap, enum proto_error_code code,
                         const char *message, bool joined);

#endif
