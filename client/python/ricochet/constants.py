"""constants.py: ricochet.h's numbers as the binding names them: the event
types, the delivery modes and transports by name, the bounds of what a
session sends, the rules of names as the errors say them, and the library's
statuses a call returns."""

(WELCOME, STATE, TOO_OLD, JOINED, LEFT, CHAT, ERROR, DISCONNECTED, MOVED, APPEARED,
 VANISHED, EVENT, ROOMS, REJOINED, ROOM, FRAME, LATE, DESYNC) = range(18)
SLOT_EMPTY, SLOT_PRESENT, SLOT_REPEATED, SLOT_LEFT = range(4)  # a slot's flag in a frame
INPUT_MAX = 255     # RICOCHET_INPUT_MAX: bytes of one lockstep input, at most
MODES = {"unsequenced": 0, "sequenced": 1, "reliable": 2, "udp": 3, "tcp": 4, "ws": 5,
         "streams": 6}
TRANSPORTS = {"default": 0, "webrtc": 1, "quic": 2, "webtransport": 3, "poll": 4}
PAYLOAD_MAX = 1135  # RICOCHET_PAYLOAD_MAX
EVENT_MAX = 4096    # RICOCHET_EVENT_MAX
TICKET_MAX = 952    # RICOCHET_TICKET_MAX
POLL_WAIT_MAX_MS = 25000      # RICOCHET_POLL_WAIT_MAX_MS: a long poll's wait, at most
POLL_INTERVAL_MAX_MS = 10000  # RICOCHET_POLL_INTERVAL_MAX_MS: a short poll's interval, at most
TO_ROOM = 0         # RICOCHET_TO_ROOM
ROOM_SENDER = 4294967295  # RICOCHET_ROOM_SENDER: an EVENT's id when the room sent it
NAME_RULE = "1-32 characters of A-Z a-z 0-9 _ . -"  # a room's name
PLAYER_RULE = ("1-32 bytes of UTF-8 in any script, no control or format characters, "
               "not only spaces")  # a player's name: "민수", "Nguyễn Văn An"
PREFIX_RULE = "0-32 characters of A-Z a-z 0-9 _ . -"  # what list_rooms takes
ANY_ROOM_MAX = 28   # a prefix with any_room: RICOCHET_ROOM_MAX less 4 for the number
ROOMS_PAGE = 64     # RICOCHET_ROOMS_PAGE: rooms in one listing, at most
KEY_RULE = "32 lowercase hex digits, as Session.key gave it"  # a saved player key
E_INVALID, NOT_JOINED, E_TOO_BIG = -1, -2, -5
PROPS_MAX = 8  # RICOCHET_PROPS_MAX: a room's props, at most
