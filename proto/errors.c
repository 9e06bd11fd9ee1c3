/* errors.c: the error code table (see errors.h and PROTOCOL.md, Error codes). */
#include "errors.h"

#include <stdio.h>
#include <string.h>

static const struct proto_error_info errors[PROTO_ERROR_COUNT] = {
    [PROTO_ERROR_BAD_JSON] = {"bad_json", "a control message that is not a JSON object", false},
    [PROTO_ERROR_MISSING_FIELD] = {"missing_field", "a required field is missing", false},
    [PROTO_ERROR_BAD_FIELD] = {"bad_field", "a field has a wrong type or value", false},
    [PROTO_ERROR_UNKNOWN_TYPE] = {"unknown_type", "a message type the relay does not take",
                                  false},
    [PROTO_ERROR_BAD_NAME] = {"bad_name", "the name breaks the relay's name rules", false},
    [PROTO_ERROR_BAD_ROOM] = {"bad_room", "the room name breaks the relay's name rules",
                              false},
    [PROTO_ERROR_NOT_JOINED] = {"not_joined", "not a member of a room: join first", false},
    [PROTO_ERROR_ALREADY_JOINED] = {"already_joined", "already a member of another room",
                                    false},
    [PROTO_ERROR_ROOM_FULL] = {"room_full", "the room is full", false},
    [PROTO_ERROR_TOO_MANY_ROOMS] = {"too_many_rooms", "the relay has as many rooms as it allows",
                                    false},
    [PROTO_ERROR_SERVER_FULL] = {"server_full", "the relay is full", true},
    [PROTO_ERROR_BAD_STATE] = {"bad_state", "a state or an event failed validation", false},
    [PROTO_ERROR_BAD_VERSION] = {"bad_version", "the relay speaks another protocol version",
                                 false},
    [PROTO_ERROR_TOO_BIG] = {"too_big", "a message larger than the relay accepts", false},
    [PROTO_ERROR_RATE_LIMITED] = {"rate_limited", "sending faster than the relay's rate limit",
                                  false},
    [PROTO_ERROR_KICKED] = {"kicked", "kicked by the relay", true},
    [PROTO_ERROR_SHUTTING_DOWN] = {"shutting_down", "the relay is shutting down", true},
    [PROTO_ERROR_SLOW_READER] = {"slow_reader",
                                 "you read (acknowledge) too slowly for your room's traffic",
                                 true},
    [PROTO_ERROR_TICKET_REQUIRED] = {"ticket_required",
                                     "this relay admits only joins with a ticket", true},
    [PROTO_ERROR_TICKET_EXPIRED] = {"ticket_expired", "the ticket is out of its validity",
                                    true},
    [PROTO_ERROR_TICKET_WRONG_RELAY] = {"ticket_wrong_relay",
                                        "the ticket is valid for other relays", true},
    [PROTO_ERROR_TICKET_TAMPERED] = {"ticket_tampered",
                                     "the ticket was changed or sealed under another key",
                                     true},
    [PROTO_ERROR_TICKET_REPLAYED] = {"ticket_replayed",
                                     "the ticket is in use by a live session", true},
    [PROTO_ERROR_TICKET_MALFORMED] = {"ticket_malformed", "the ticket cannot be read", true},
    [PROTO_ERROR_DIRECTORY_UNAVAILABLE] = {"directory_unavailable",
                                           "the fleet's directory cannot place a new room "
                                           "now: try again",
                                           true},
    [PROTO_ERROR_MOVED] = {"moved", "the room lives on another relay", true},
    [PROTO_ERROR_NO_MEMBER] = {"no_member", "an event for a member who is not in your room",
                               false},
    [PROTO_ERROR_THROTTLED] = {"throttled",
                               "a member you send to reads too slowly: your messages to it "
                               "are dropped until it catches up",
                               false},
    [PROTO_ERROR_LISTING_OFF] = {"listing_off",
                                 "this relay lists no rooms and takes no joins of any room "
                                 "(--room-list off): join a room by its name",
                                 false},
    [PROTO_ERROR_NO_SUCH_ROOM] = {"no_such_room",
                                  "no room of that name here: check the name, or join "
                                  "without exists to make it",
                                  false},
    [PROTO_ERROR_ROOM_CLOSED] = {"room_closed",
                                 "the room takes no joiners now: wait for its owner to "
                                 "open it, or join another",
                                 false},
    /* the wire keeps the first name of a room's owner here (PROTOCOL.md) */
    [PROTO_ERROR_NOT_ROOM_OWNER] = {"not_creator",
                                    "only the room's owner changes its settings", false},
    [PROTO_ERROR_NOT_OWNER] = {"not_owner",
                               "the kept key is another player's: only it or the room's "
                               "owner replaces or clears it",
                               false},
    [PROTO_ERROR_SCRIPT_REFUSED] = {"script_refused",
                                    "the room's script refused the join (its reason "
                                    "follows)", false},
    [PROTO_ERROR_SCRIPT_ERROR] = {"script_error",
                                  "not sent: a room's script's failure comes as an event "
                                  "from the room", false},
    [PROTO_ERROR_REPLACED] = {"replaced",
                              "your player joined again from another session, which has its "
                              "place now: this one ends",
                              true},
};

const struct proto_error_info *proto_error_info(enum proto_error_code code)
{
    if ((unsigned)code >= PROTO_ERROR_COUNT || !errors[code].name)
        return NULL;
    return &errors[code];
}

const char *proto_error_name(enum proto_error_code code)
{
    const struct proto_error_info *e = proto_error_info(code);
    return e ? e->name : "?";
}

enum proto_error_code proto_error_from_name(const char *name)
{
    for (int i = 1; name && i < PROTO_ERROR_COUNT; i++)
        if (errors[i].name && strcmp(name, errors[i].name) == 0)
            return (enum proto_error_code)i;
    return PROTO_ERROR_NONE;
}

int proto_error_describe(char *buf, size_t cap, enum proto_error_code code,
                         const char *message, bool joined)
{
    const struct proto_error_info *e = proto_error_info(code);
    if (!message || !message[0])
        message = e ? e->text : "no reason given";
    return snprintf(buf, cap, "relay %s: %s (%s)",
                    joined ? "ended the session" : "refused the join",
                    proto_error_name(code), message);
}
