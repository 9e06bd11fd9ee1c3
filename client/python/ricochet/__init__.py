"""ricochet.py: libricochet from Python, through ctypes (ricochet.h mirrored).

    with Session("127.0.0.1", 7777, "lobby", "py") as s:
        while playing:                       # the game's loop, one frame a turn
            for ev in s.events(16):          # what came; waits 16 ms at most
                if ev.type == STATE:
                    print(ev.id, ev.state.x, ev.data)   # ev.data: its payload
                elif ev.type == EVENT:
                    print(ev.name, ev.code, ev.data)    # "room" or "direct"
                elif ev.type == DISCONNECTED:
                    print(ev.code, ev.text)             # the end: why, in words
            s.send(x, y, payload=b"red")     # -2 (NOT_JOINED) until the welcome

A lobby: Session(..., "duel-", "py", any_room=True) joins the fullest room
named duel-<n> with space (s.room names it from the welcome);
s.list_rooms("duel-") asks for the relay's rooms, and on the ROOMS event
s.rooms() gives them (a list of Room, and whether more follow). A lobby that
stays (Session(..., lobby=True)): s.watch_rooms("duel-") has the relay send
a fresh page whenever its rooms change, each a ROOMS event, and
s.room_pages() iterates over them.

Drawing the others: one Interp per player, fed its STATE events
(ip.push(ev.state, ev.recv_us)), asked where to draw it a little in the
past: ip.at(now_us() - 100000), a Point (kind, x, y).

Names, codes and texts are str; payloads and events' bodies bytes. The
library is $RICOCHET_LIB if set, else the installed libricochet.so.1 (found
as the dynamic linker finds it: LD_LIBRARY_PATH, then the system's folders
that ldconfig knows), else one beside this file; none found raises
ImportError saying where it looked and what to set. What the library would
refuse (a bad name, port or option, a payload over PAYLOAD_MAX, an event
over EVENT_MAX) raises ValueError, and None where bytes go TypeError,
before anything is sent; a failed connect (a host not resolved)
ConnectionError; polling a session that is over EOFError; any call on a
closed session SessionClosed.

Run as a program: python3 ricochet.py HOST PORT [ROOM] joins, sends ten
states with a payload, says so and exits 0."""
import ctypes as C
import os
import sys

__all__ = ["Session", "SessionClosed", "Event", "State", "Stats", "Member", "Clock",
           "Distribution", "Room", "Interp", "Point", "INTERP_KINDS", "PAYLOAD_MAX", "EVENT_MAX",
           "TICKET_MAX", "POLL_WAIT_MAX_MS", "POLL_INTERVAL_MAX_MS", "TO_ROOM", "NAME_RULE", "PLAYER_RULE",
           "PREFIX_RULE", "ROOMS_PAGE", "WELCOME", "STATE", "TOO_OLD", "JOINED", "LEFT", "CHAT",
           "ERROR", "DISCONNECTED", "MOVED", "APPEARED", "VANISHED", "EVENT", "ROOMS", "REJOINED",
           "ROOM", "RoomSettings", "KEY_RULE",
           "MODES",
           "TRANSPORTS", "NOT_JOINED", "library", "version", "protocol_version", "now_us",
           "set_log"]
__version__ = "1.5.0"

SONAME = "libricochet.so.1"


def library():
    """The path given by $RICOCHET_LIB, else the installed soname."""
    return os.environ.get("RICOCHET_LIB") or SONAME


def _load():
    """libricochet, or ImportError saying where it was looked for and what to set."""
    fix = ("Install it (make install-lib; with a PREFIX in the system's folders run "
           "`sudo ldconfig` after), or set LD_LIBRARY_PATH=PREFIX/lib, or set "
           "RICOCHET_LIB=/path/to/%s." % SONAME)
    if os.environ.get("RICOCHET_LIB"):
        path = os.environ["RICOCHET_LIB"]
        try:
            return C.CDLL(path)
        except OSError as e:
            raise ImportError("libricochet not found at RICOCHET_LIB=%s (%s). Set RICOCHET_LIB "
                              "to the path of %s, or unset it to use the installed one."
                              % (path, e, SONAME)) from e
    beside = os.path.join(os.path.dirname(os.path.abspath(__file__)), SONAME)
    try:
        return C.CDLL(SONAME)
    except OSError as first:
        try:
            return C.CDLL(beside)
        except OSError:
            pass
        raise ImportError("libricochet not found: %s is not in LD_LIBRARY_PATH (%s), nor in "
                          "the system's folders that ldconfig knows, nor beside ricochet.py (%s). "
                          "%s" % (SONAME, os.environ.get("LD_LIBRARY_PATH") or "unset",
                                  os.path.dirname(beside), fix)) from first


lib = _load()
(WELCOME, STATE, TOO_OLD, JOINED, LEFT, CHAT, ERROR, DISCONNECTED, MOVED, APPEARED,
 VANISHED, EVENT, ROOMS, REJOINED, ROOM) = range(15)
MODES = {"unsequenced": 0, "sequenced": 1, "reliable": 2, "udp": 3, "tcp": 4, "ws": 5,
         "streams": 6}
TRANSPORTS = {"default": 0, "webrtc": 1, "quic": 2, "webtransport": 3, "poll": 4}
PAYLOAD_MAX = 1135  # RICOCHET_PAYLOAD_MAX
EVENT_MAX = 1024    # RICOCHET_EVENT_MAX
TICKET_MAX = 952    # RICOCHET_TICKET_MAX
POLL_WAIT_MAX_MS = 25000      # RICOCHET_POLL_WAIT_MAX_MS: a long poll's wait, at most
POLL_INTERVAL_MAX_MS = 10000  # RICOCHET_POLL_INTERVAL_MAX_MS: a short poll's interval, at most
TO_ROOM = 0         # RICOCHET_TO_ROOM
NAME_RULE = "1-32 characters of A-Z a-z 0-9 _ . -"  # a room's name
PLAYER_RULE = ("1-32 bytes of UTF-8 in any script, no control or format characters, "
               "not only spaces")  # a player's name: "민수", "Nguyễn Văn An"
PREFIX_RULE = "0-32 characters of A-Z a-z 0-9 _ . -"  # what list_rooms takes
ANY_ROOM_MAX = 28   # a prefix with any_room: RICOCHET_ROOM_MAX less 4 for the number
ROOMS_PAGE = 64     # RICOCHET_ROOMS_PAGE: rooms in one listing, at most
KEY_RULE = "32 lowercase hex digits, as Session.key gave it"  # a saved player key
E_INVALID, NOT_JOINED, E_TOO_BIG = -1, -2, -5


class State(C.Structure):
    """struct ricochet_state: sender and seq set by the relay and the library."""
    _fields_ = [("sender", C.c_uint32), ("seq", C.c_uint32), ("send_us", C.c_uint64)] + \
        [(f, C.c_float) for f in ("x", "y", "vx", "vy", "heading")]

    def __repr__(self):
        return "State(sender=%d, seq=%d, x=%g, y=%g, vx=%g, vy=%g, heading=%g)" % (
            self.sender, self.seq, self.x, self.y, self.vx, self.vy, self.heading)


class _NativeEvent(C.Structure):
    _fields_ = [("type", C.c_int), ("id", C.c_uint32), ("mode", C.c_int), ("state", State),
                ("recv_us", C.c_uint64), ("latency_us", C.c_int64),
                ("latency_bound_us", C.c_uint64), ("latency_known", C.c_bool),
                ("name", C.c_char * 33), ("code", C.c_char * 32), ("text", C.c_char * 201)]


class Stats(C.Structure):
    """struct ricochet_stats: what I received from one sender, plain numbers."""
    _fields_ = [(f, C.c_uint64) for f in ("received", "expected", "lost", "duplicates",
                                          "reordered", "too_old", "no_latency",
                                          "latency_max_us", "latency_bound_us")] + \
        [("latency_mean_us", C.c_double), ("jitter_us", C.c_double)]

    def __repr__(self):
        return "Stats(%s)" % ", ".join("%s=%s" % (f, getattr(self, f)) for f, _ in self._fields_)


class _NativeMember(C.Structure):
    _fields_ = [("id", C.c_uint32), ("name", C.c_char * 33), ("mode", C.c_int),
                ("has_state", C.c_bool), ("last", State), ("last_recv_us", C.c_uint64),
                ("stats", Stats)]


class _NativeRoom(C.Structure):
    _fields_ = [("room", C.c_char * 33), ("members", C.c_uint32), ("capacity", C.c_uint32)]


class _NativeProp(C.Structure):
    _fields_ = [("key", C.c_char * 17), ("value", C.c_char * 65)]


PROPS_MAX = 8  # RICOCHET_PROPS_MAX: a room's props, at most


class Room:
    """A room of the relay as its listing said: name, members (when the relay
    answered) and capacity (what a join may fill it to); full when equal;
    props (a dict of str) and open (False: it takes no joiners)."""
    __slots__ = ("name", "members", "capacity", "props", "open")

    def __init__(self, n, props=None, open_=True):
        self.name, self.members, self.capacity = _str(n.room), n.members, n.capacity
        self.props, self.open = props or {}, open_

    @property
    def full(self):
        return self.members >= self.capacity

    def __repr__(self):
        return "Room(name=%r, members=%d, capacity=%d)" % (self.name, self.members,
                                                           self.capacity)


class _NativePoint(C.Structure):
    _fields_ = [("kind", C.c_int), ("x", C.c_float), ("y", C.c_float), ("seq_a", C.c_uint32),
                ("seq_b", C.c_uint32)]


INTERP_KINDS = ("none", "before", "between", "extrapolated", "stale")  # Point.kind


class Point:
    """Where to draw a player (Interp.at): kind, one of INTERP_KINDS ("none":
    no state yet, nothing to draw, x and y 0; "before": held at the oldest
    state kept; "between": between the states seq_a and seq_b, or on one;
    "extrapolated": moved on along its velocity, past the newest or across a
    hole wider than max_gap_ms; "stale": held where extrapolate_ms put it);
    x, y in the game's units; seq_a, seq_b the states used (equal when one was)."""
    __slots__ = ("kind", "x", "y", "seq_a", "seq_b")

    def __init__(self, n):
        self.kind = INTERP_KINDS[n.kind] if 0 <= n.kind < len(INTERP_KINDS) else str(n.kind)
        self.x, self.y = (n.x, n.y) if n.kind else (0.0, 0.0)
        self.seq_a, self.seq_b = n.seq_a, n.seq_b

    def __repr__(self):
        return "Point(kind=%r, x=%g, y=%g, seq_a=%d, seq_b=%d)" % (
            self.kind, self.x, self.y, self.seq_a, self.seq_b)


class RoomSettings:
    """My room as the relay last said it (the WELCOME, then each ROOM event):
    owner (its owner's player id, "" for none or a relay that does not say),
    props (a dict of str), open and listed (True where not said), size (the
    most members it takes, 0: not said), and mine (its owner is my player:
    set_room is mine)."""
    __slots__ = ("owner", "props", "open", "listed", "size", "mine")

    def __init__(self, owner, props, is_open, listed, size, mine):
        self.owner, self.props, self.open, self.listed = owner, props, is_open, listed
        self.size, self.mine = size, mine

    def __repr__(self):
        return "RoomSettings(owner=%r, props=%r, open=%r, listed=%r, size=%d, mine=%r)" % (
            self.owner, self.props, self.open, self.listed, self.size, self.mine)


class _NativeClock(C.Structure):
    _fields_ = [("known", C.c_bool), ("offset_us", C.c_int64), ("bound_us", C.c_uint64)]


class Distribution(C.Structure):
    """struct ricochet_distribution: times in µs."""
    _fields_ = [(f, C.c_uint64) for f in ("count", "p50_us", "p90_us", "p99_us", "max_us",
                                          "mean_us")]

    def __repr__(self):
        return "Distribution(%s)" % ", ".join("%s=%d" % (f, getattr(self, f))
                                              for f, _ in self._fields_)


def _str(raw):
    return raw.decode("utf-8", "replace")


class Event:
    """One event from poll: which fields mean something depends on the type
    (ricochet.h, enum ricochet_event_type); name, code and text are str,
    data the bytes that came with it (a state's payload, an event's body):
    b"" when none. An EVENT the relay kept has its key (str, "" for none),
    and kept True when it was replayed to me after my WELCOME. A LEFT of
    the room's creator names in creator the player id of the member who
    changes the room now ("" otherwise; Session.room_mine: it is me)."""
    __slots__ = ("type", "id", "mode", "state", "recv_us", "latency_us", "latency_bound_us",
                 "latency_known", "name", "code", "text", "data", "key", "kept", "creator")

    def __init__(self, n, data, key="", creator=""):
        self.type, self.id, self.mode, self.state = n.type, n.id, n.mode, n.state
        self.recv_us, self.latency_us = n.recv_us, n.latency_us
        self.latency_bound_us, self.latency_known = n.latency_bound_us, n.latency_known
        self.name, self.code, self.text = _str(n.name), _str(n.code), _str(n.text)
        self.data, self.key, self.kept = data, key, self.code == "kept"
        self.creator = creator

    def __repr__(self):
        return "Event(type=%d, id=%d, name=%r, code=%r, text=%r, data=%d bytes)" % (
            self.type, self.id, self.name, self.code, self.text, len(self.data))


class Member:
    """A member of my room (not me) as this session sees it: name ("" until
    its joined notice came), player (its player id, the same across rejoins
    and moves), mode, state (its newest, None until one came),
    last_recv_us, and stats (a Stats)."""
    __slots__ = ("id", "name", "player", "mode", "state", "last_recv_us", "stats")

    def __init__(self, n, player=""):
        self.id, self.name, self.player, self.mode = n.id, _str(n.name), player, n.mode
        self.state = State.from_buffer_copy(n.last) if n.has_state else None
        self.last_recv_us, self.stats = n.last_recv_us, Stats.from_buffer_copy(n.stats)

    def __repr__(self):
        return "Member(id=%d, name=%r, state=%r)" % (self.id, self.name, self.state)


class Clock:
    """My clock's offset to the relay's: known, offset_us, bound_us."""
    __slots__ = ("known", "offset_us", "bound_us")

    def __init__(self, n):
        self.known, self.offset_us, self.bound_us = n.known, n.offset_us, n.bound_us


class SessionClosed(RuntimeError):
    """The session was closed: nothing more can be done with it."""


def api(name, restype, *argtypes):
    f = getattr(lib, "ricochet_" + name)
    f.restype, f.argtypes = restype, list(argtypes)


P = C.c_void_p  # struct ricochet *, struct ricochet_config *
_LOG_FN = C.CFUNCTYPE(None, C.c_void_p, C.c_int, C.c_char_p)
api("version", C.c_char_p)
api("version_number", C.c_uint)
api("protocol_version", C.c_uint)
api("strerror", C.c_char_p, C.c_int)
api("now_us", C.c_uint64)
api("set_log", None, C.c_int, _LOG_FN, C.c_void_p)
api("config_new", P)
api("config_free", None, P)
api("config_set_relay", C.c_int, P, C.c_char_p, C.c_uint16)
api("config_set_room", C.c_int, P, C.c_char_p)
api("config_set_name", C.c_int, P, C.c_char_p)
api("config_error", C.c_char_p, P)
api("config_set_mode", C.c_int, P, C.c_int)
api("config_set_transport", C.c_int, P, C.c_int)
api("config_set_keylog", C.c_int, P, C.c_char_p)
api("config_set_pin", C.c_int, P, C.c_char_p)
api("config_set_reflect", C.c_int, P, C.c_bool)
api("config_set_aoi", C.c_int, P, C.c_float)
api("config_set_timeout_ms", C.c_int, P, C.c_uint32)
api("config_set_rejoin", C.c_int, P, C.c_uint32)
api("config_set_rejoin_after", C.c_int, P, C.c_uint32)
api("config_set_ticket", C.c_int, P, C.c_char_p)
api("config_set_any_room", C.c_int, P, C.c_bool)
api("config_set_poll", C.c_int, P, C.c_uint32, C.c_uint32)
api("connect", P, P, C.c_char_p, C.c_size_t)
api("close", None, P)
api("poll", C.c_int, P, C.c_int, C.POINTER(_NativeEvent))
api("send_state", C.c_int, P, C.POINTER(State))
api("send_state_payload", C.c_int, P, C.POINTER(State), C.c_char_p, C.c_size_t)
api("send_event", C.c_int, P, C.c_uint32, C.c_char_p, C.c_size_t)
api("event_bytes", C.POINTER(C.c_uint8), P, C.POINTER(C.c_size_t))
api("send_kept", C.c_int, P, C.c_char_p, C.c_char_p, C.c_size_t, C.c_uint)
api("event_key", C.c_char_p, P)
api("send_chat", C.c_int, P, C.c_char_p)
api("set_mode", C.c_int, P, C.c_int)
api("flush", None, P)
api("joined", C.c_bool, P)
api("sealed", C.c_bool, P)
api("id", C.c_uint32, P)
api("key", C.c_char_p, P)
api("player", C.c_char_p, P, C.c_uint32)
api("room_aoi", C.c_float, P)
api("mode", C.c_int, P)
api("transport", C.c_int, P)
api("fd", C.c_int, P)
api("relay_host", C.c_char_p, P)
api("relay_port", C.c_uint16, P)
api("end_reason", C.c_char_p, P)
api("members", C.c_size_t, P, C.POINTER(_NativeMember), C.c_size_t)
api("member", C.c_int, P, C.c_uint32, C.POINTER(_NativeMember))
api("room_name", C.c_char_p, P)
api("list_rooms", C.c_int, P, C.c_char_p, C.c_char_p)
api("config_set_lobby", C.c_int, P, C.c_bool)
api("join", C.c_int, P, C.c_char_p, C.c_bool)
api("rooms", C.c_size_t, P, C.POINTER(_NativeRoom), C.c_size_t, C.POINTER(C.c_bool))
for _f in ("prop", "match"):
    api("config_set_room_" + _f, C.c_int, P, C.c_char_p, C.c_char_p)
for _f in ("listed", "open", "exists"):
    api("config_set_room_" + _f, C.c_int, P, C.c_bool)
api("config_set_room_size", C.c_int, P, C.c_uint32)
api("list_rooms_matching", C.c_int, P, C.c_char_p, C.c_char_p, C.POINTER(_NativeProp),
    C.c_size_t)
api("listed_props", C.c_size_t, P, C.c_size_t, C.POINTER(_NativeProp), C.c_size_t,
    C.POINTER(C.c_bool))
api("set_room_open", C.c_int, P, C.c_bool)
api("set_room_listed", C.c_int, P, C.c_bool)
api("set_room_props", C.c_int, P, C.POINTER(_NativeProp), C.c_size_t)
# a lobby that stays
api("watch_rooms", C.c_int, P, C.c_char_p, C.POINTER(_NativeProp), C.c_size_t, C.c_bool)
api("watching", C.c_bool, P)
api("left_creator", C.c_char_p, P)
api("config_set_key", C.c_int, P, C.c_char_p)
api("room_owner", C.c_char_p, P)
api("room_open", C.c_bool, P)
api("room_listed", C.c_bool, P)
api("room_size", C.c_uint32, P)
api("room_props", C.c_size_t, P, C.POINTER(_NativeProp), C.c_size_t)
api("room_mine", C.c_bool, P)
api("clock", None, P, C.POINTER(_NativeClock))
api("latency", None, P, C.POINTER(Distribution))
api("rtt", None, P, C.POINTER(Distribution), C.POINTER(Stats))
api("interp_new", P, C.c_uint32, C.c_uint32)
api("interp_free", None, P)
api("interp_clear", None, P)
api("interp_push", C.c_int, P, C.POINTER(State), C.c_uint64)
api("interp_at", C.c_int, P, C.c_uint64, C.POINTER(_NativePoint))
api("interp_latest", C.c_int, P, C.POINTER(State))
api("ticket_mint", C.c_int, C.c_char_p, C.c_char_p, C.c_char_p, C.c_char_p, C.c_uint32,
    C.c_uint, C.c_char_p, C.c_size_t)


def version():
    """The loaded library's version, "1.5.0"."""
    return lib.ricochet_version().decode()


def protocol_version():
    """The wire protocol version the library speaks."""
    return lib.ricochet_protocol_version()


def now_us():
    """The library's clock, µs (CLOCK_MONOTONIC): recv_us and send_us use it."""
    return lib.ricochet_now_us()


def mint_ticket(key_file, room, name, where=None, ttl_s=3600, clear=False):
    """For a game's backend: the ticket ricochet-ticket mint would print (a
    str, no newline) for name in room under the key in key_file (the relays'
    --ticket-key), valid ttl_s seconds on the relays of the fleet where
    names (None: "ricochet") or, with a ':' in it, on the relay endpoints it
    lists ("host:port,..."); sealed unless clear. ValueError says why not."""
    out = C.create_string_buffer(TICKET_MAX + 1)
    args = [None if v is None else _text(v, what) for v, what in
            ((key_file, "key_file"), (room, "room"), (name, "name"), (where, "where"))]
    if lib.ricochet_ticket_mint(*args, int(ttl_s), 1 if clear else 0, out, len(out)) < 0:
        raise ValueError(_str(out.value))
    return _str(out.value)


_log_keep = None  # the callback ctypes calls: kept alive while the library holds it


def set_log(level, fn=None):
    """Process-wide: the library's log lines at level (0 debug, 1 info, 2 warn,
    3 error, 4 off) and above go to fn(level, line) (str), or to stderr."""
    global _log_keep
    _log_keep = _LOG_FN(lambda ctx, lvl, line: fn(lvl, _str(line))) if fn else _LOG_FN()
    lib.ricochet_set_log(level, _log_keep, None)


def _bytes(data, what, limit):
    if data is None or not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("%s: bytes expected, not %s" % (what, type(data).__name__))
    data = bytes(data)
    if len(data) > limit:
        raise ValueError("%s of %d bytes, max %d: %s" % (
            what, len(data), limit, lib.ricochet_strerror(E_TOO_BIG).decode()))
    return data


def _text(value, what):
    if not isinstance(value, str):
        raise TypeError("%s: str expected, not %s" % (what, type(value).__name__))
    return value.encode()


def _props(what, pairs):
    """A dict of str (a room's props or a match) as the library's array;
    ValueError past the bounds."""
    if not isinstance(pairs, dict):
        raise TypeError("%s: dict expected, not %s" % (what, type(pairs).__name__))
    if len(pairs) > PROPS_MAX:
        raise ValueError("%s: at most %d keys" % (what, PROPS_MAX))
    out = (_NativeProp * max(1, len(pairs)))()
    for i, (k, v) in enumerate(pairs.items()):
        k, v = _text(k, what + " key"), _text(v, what + " value")
        if not 0 < len(k) <= 16 or len(v) > 64:
            raise ValueError("%s %r: a key of 1-16 bytes, a value of 0-64" % (what, pairs))
        out[i].key, out[i].value = k, v
    return out, len(pairs)


def _room_setup(cfg, props, size, listed, open_, exists, match):
    """A new room's settings and the join's asks into cfg (PROTOCOL.md, "Rooms
    with properties"); the library's words for a bound broken."""
    for setter, what, pairs in ((lib.ricochet_config_set_room_prop, "props", props),
                                (lib.ricochet_config_set_room_match, "match", match)):
        _props(what, pairs or {})
        for k, v in (pairs or {}).items():
            if setter(cfg, k.encode(), v.encode()) != 0:
                raise ValueError(_str(lib.ricochet_config_error(cfg)))
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= 4095:
        raise ValueError("size %r: 1-4095 members (0: the relay's)" % (size,))
    lib.ricochet_config_set_room_size(cfg, size)
    lib.ricochet_config_set_room_listed(cfg, bool(listed))
    lib.ricochet_config_set_room_open(cfg, bool(open_))
    lib.ricochet_config_set_room_exists(cfg, bool(exists))


def _set_key(cfg, key):
    """A saved player key (Session.key of an earlier session) into cfg;
    ValueError without the value: a key is a secret, never shown."""
    if key is None:
        return
    if not isinstance(key, str):
        raise TypeError("key: str expected, not %s" % type(key).__name__)
    if lib.ricochet_config_set_key(cfg, key.encode()) != 0:
        raise ValueError("key: " + KEY_RULE)


def _set(rc, what, value, rule):
    if rc != 0:
        raise ValueError("%s %r: %s" % (what, value, rule))


def _number_of(names, what, name):
    """names[name] (names: MODES or TRANSPORTS); ValueError naming the
    choices if it is none of them."""
    if name not in names:
        raise ValueError("%s %r: one of %s" % (what, name, ", ".join(names)))
    return names[name]


def _name_of(names, number):
    """The name names (MODES or TRANSPORTS) gives number, or the number as
    text if it gives none."""
    return next((k for k, v in names.items() if v == number), str(number))


class _ClosedOnExit:
    """What Session and Interp share: as a context manager (with ... as x),
    closed on the way out."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Session(_ClosedOnExit):
    """One session with one relay (ricochet_connect): connecting and joining
    go on in poll, whose events say how it went (WELCOME, or DISCONNECTED
    with the reason). room is NAME_RULE's, name PLAYER_RULE's; with a ticket (from the
    game's backend) they are the ticket's and may be left out. any_room:
    room is a prefix (1-28 characters) and the relay puts me in the fullest
    room under it with space, or makes the next ("duel-" gives "duel-1",
    then "duel-2"; the room property names it from the welcome). timeout_ms:
    the join's deadline and how long a silent relay is waited for (5000 by
    default); rejoin_ms: when the relay is lost (it went silent for
    rejoin_after_ms, 1500 by default, closed, or restarted), join the room
    again through host and port for up to that long (MOVED with code
    "rejoin", then WELCOME); 0, the default: a lost relay ends the session.
    transport="poll" (TRANSPORTS; mode="tcp", host and port the relay's
    poll:// edge): plain HTTP requests, long polling, each GET held up to
    poll_wait_ms (1-25000; None: 20000), or with poll_interval_ms (1-10000;
    0, the default: long polling) short polling, a GET every so many ms.
    lobby=True: join nothing yet (room not needed): list_rooms, then join(),
    in this session, within the relay's --join-timeout-ms (2 s by default);
    not over mode "udp", transport "poll" or with a ticket (ConnectionError
    saying so). key: an earlier session's Session.key (kept as a password
    is): this one is the same player (the same player id; from the same
    address while that session is still in the room, its place and id)."""

    def __init__(self, host, port=7777, room=None, name=None, mode="unsequenced", *,
                 ticket=None, any_room=False, lobby=False, timeout_ms=None, rejoin_ms=0,
                 rejoin_after_ms=None, reflect=False, aoi=0.0, transport="default", pin=None,
                 keylog=None, poll_wait_ms=None, poll_interval_ms=0, props=None, size=0,
                 listed=True, open=True, exists=False, match=None, key=None):
        self.r = None
        mode_number = _number_of(MODES, "mode", mode)
        transport_number = _number_of(TRANSPORTS, "transport", transport)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError("port %r: 1-65535" % (port,))
        cfg, err = lib.ricochet_config_new(), C.create_string_buffer(256)
        if not cfg:
            raise MemoryError("libricochet: no memory for a configuration")
        try:
            _set(lib.ricochet_config_set_relay(cfg, _text(host, "host"), port), "host", host,
                 "an address or a host name of 1-255 bytes")
            if ticket is not None:
                # as read from a file: the newline is not the ticket's
                if lib.ricochet_config_set_ticket(cfg, _text(ticket, "ticket").strip()) != 0:
                    raise ValueError("ticket: not a ticket (ricochet-ticket mint makes them: "
                                     "at most %d characters)" % TICKET_MAX)
            elif (room is None and not lobby) or name is None:
                raise ValueError("room and name are required (a room: %s; a name: %s), or a "
                                 "ticket" % (NAME_RULE, PLAYER_RULE))
            lib.ricochet_config_set_lobby(cfg, bool(lobby))
            if room is not None and not lobby:
                _set(lib.ricochet_config_set_room(cfg, _text(room, "room")), "room", room,
                     "a room's name is " + NAME_RULE)
                if any_room and len(room) > ANY_ROOM_MAX:
                    raise ValueError("room %r: with any_room, a prefix of 1-%d characters (the "
                                     "relay adds a number of up to 4 digits)"
                                     % (room, ANY_ROOM_MAX))
            lib.ricochet_config_set_any_room(cfg, bool(any_room))
            _room_setup(cfg, props, size, listed, open, exists, match)
            if name is not None:
                # the library's words for what the name breaks, after its "name '...': "
                _set(lib.ricochet_config_set_name(cfg, _text(name, "name")), "name", name,
                     _str(lib.ricochet_config_error(cfg)).rsplit("': ", 1)[-1])
            lib.ricochet_config_set_mode(cfg, mode_number)
            lib.ricochet_config_set_transport(cfg, transport_number)
            if transport == "poll" and mode != "tcp":
                raise ValueError("mode %r: transport 'poll' carries the mode tcp" % (mode,))
            _set_poll(cfg, poll_wait_ms, poll_interval_ms)
            if timeout_ms is not None:
                _set(lib.ricochet_config_set_timeout_ms(cfg, _ms(timeout_ms)), "timeout_ms",
                     timeout_ms, "1-3600000 ms")
            _set(lib.ricochet_config_set_rejoin(cfg, _ms(rejoin_ms)), "rejoin_ms", rejoin_ms,
                 "0 (none) to 3600000 ms")
            if rejoin_after_ms is not None:
                _set(lib.ricochet_config_set_rejoin_after(cfg, _ms(rejoin_after_ms)),
                     "rejoin_after_ms", rejoin_after_ms, "100-3600000 ms")
            _set_key(cfg, key)
            lib.ricochet_config_set_reflect(cfg, bool(reflect))
            _set(lib.ricochet_config_set_aoi(cfg, aoi), "aoi", aoi, "0 (none) or 0.01-100000")
            if pin is not None:
                _set(lib.ricochet_config_set_pin(cfg, _text(pin, "pin")), "pin", pin,
                     "a SHA-256 in 64 hex digits")
            if keylog is not None:
                _set(lib.ricochet_config_set_keylog(cfg, _text(keylog, "keylog")), "keylog",
                     keylog, "a path of 1-4095 bytes")
            self.r = lib.ricochet_connect(cfg, err, 256)
        finally:
            lib.ricochet_config_free(cfg)
        if not self.r:
            raise ConnectionError(err.value.decode() or "libricochet could not connect")

    def _live(self):
        if not self.r:
            raise SessionClosed("the session is closed")
        return self.r

    @property
    def id(self):
        """My id in the room; 0 before the welcome."""
        return lib.ricochet_id(self._live())

    @property
    def key(self):
        """My player's key: 32 hex digits from my first welcome, sent in every
        later join so that a rejoin or a move keeps me the same player ("" before
        it; the key= given until then). Kept (stored as a password is: a file
        only the player reads, never logged or shown) and given to a later
        Session(..., key=...), even in another process, it makes that session
        the same player. A secret: never show it; the others see my player id."""
        return _str(lib.ricochet_key(self._live()) or b"")

    @property
    def player(self):
        """My player id: 16 hex digits, the same across rejoins and moves."""
        return self.player_of(0)

    def player_of(self, id):
        """Member id's player id (0: mine), None if no member has that id; a
        REJOINED event's id is the same player as before, perhaps a new id."""
        p = lib.ricochet_player(self._live(), id)
        return None if p is None else _str(p)

    @property
    def joined(self):
        return lib.ricochet_joined(self._live())

    @property
    def sealed(self):
        return lib.ricochet_sealed(self._live())

    @property
    def mode(self):
        """The delivery mode's name."""
        m = lib.ricochet_mode(self._live())
        return _name_of(MODES, m)

    @property
    def transport(self):
        """What carries my states: the transport's name ("default", "webrtc", ...)."""
        t = lib.ricochet_transport(self._live())
        return _name_of(TRANSPORTS, t)

    def fileno(self):
        """The session's socket, for select or selectors (readable: poll(0));
        poll at least every 10 ms all the same: the library has timers."""
        return lib.ricochet_fd(self._live())

    @property
    def room_aoi(self):
        return lib.ricochet_room_aoi(self._live())

    @property
    def relay(self):
        """(host, port) of the relay the session talks to now."""
        r = self._live()
        return _str(lib.ricochet_relay_host(r) or b""), lib.ricochet_relay_port(r)

    @property
    def room(self):
        """My room's name: the one asked for, or with any_room the one the relay
        picked (the prefix until the welcome; a ticket's room with a ticket)."""
        return _str(lib.ricochet_room_name(self._live()) or b"")

    @property
    def end_reason(self):
        """Why the session ended, one line for people ("" while it has not)."""
        return _str(lib.ricochet_end_reason(self._live()) or b"")

    def poll(self, timeout_ms=0):
        """The next Event, None if none came within timeout_ms; EOFError once
        the session is over (its DISCONNECTED event was returned)."""
        r = self._live()
        n = _NativeEvent()
        got = lib.ricochet_poll(r, timeout_ms, C.byref(n))
        if got < 0:
            raise EOFError(_str(lib.ricochet_end_reason(r) or b"the session is over"))
        if got != 1:
            return None
        size = C.c_size_t(0)
        p = lib.ricochet_event_bytes(r, C.byref(size))
        creator = _str(lib.ricochet_left_creator(r)) if n.type == LEFT else ""
        return Event(n, C.string_at(p, size.value) if size.value else b"",
                     _str(lib.ricochet_event_key(r)), creator)

    def events(self, timeout_ms=0):
        """Every event that came, waiting at most timeout_ms for the first: a
        frame's worth. Stops after DISCONNECTED; the next call (as any poll)
        then raises EOFError."""
        ev = self.poll(timeout_ms)
        while ev is not None:
            yield ev
            if ev.type == DISCONNECTED:
                return
            ev = self.poll(0)

    def send(self, x, y, vx=0.0, vy=0.0, heading=0.0, payload=b""):
        """Sends my state with a payload of at most PAYLOAD_MAX bytes. Returns
        0, or the library's status (NOT_JOINED, -2: not in a room yet or any
        more; -3: the transport could not send)."""
        payload = _bytes(payload, "payload", PAYLOAD_MAX)
        st = State(0, 0, 0, x, y, vx, vy, heading)
        rc = lib.ricochet_send_state_payload(self._live(), C.byref(st), payload, len(payload))
        if rc in (E_INVALID, E_TOO_BIG):
            raise ValueError("state (x %r, y %r, ...): %s (positions and speeds within "
                             "1e6)" % (x, y, lib.ricochet_strerror(rc).decode()))
        return rc

    def event(self, to, data, keep=None, stay=False):
        """Sends an event of at most EVENT_MAX bytes to member `to`, or to the
        room (TO_ROOM). With keep, a key (1-32 characters 0x21-0x7e), the relay
        also keeps it for the room, the newest per key, and replays it to
        whoever joins later (their Event's kept is True); b"" clears the key;
        stay keeps it after I leave. Key and data: EVENT_MAX bytes at most.
        Returns 0, or the library's status."""
        data = _bytes(data, "event", EVENT_MAX)
        if keep is None:
            rc = lib.ricochet_send_event(self._live(), to, data, len(data))
        elif to != TO_ROOM:
            raise ValueError("a kept event goes to the room (TO_ROOM), not to %d" % to)
        else:
            rc = lib.ricochet_send_kept(self._live(), _text(keep, "keep"), data, len(data),
                                        1 if stay else 0)
        if rc in (E_INVALID, E_TOO_BIG):
            raise ValueError(lib.ricochet_strerror(rc).decode())
        return rc

    def chat(self, text):
        """Sends a chat line (1-200 bytes of printable UTF-8) to the room.
        Returns 0, or the library's status."""
        r = self._live()
        rc = lib.ricochet_send_chat(r, _text(text, "chat"))
        if rc == E_INVALID:
            raise ValueError("chat %r: 1-200 bytes of printable UTF-8" % (text,))
        return rc

    def set_mode(self, mode):
        """Switches among unsequenced, sequenced and reliable live (over ENet,
        WebRTC or QUIC). Returns 0, or -4: not on this transport."""
        mode_number = _number_of(MODES, "mode", mode)
        return lib.ricochet_set_mode(self._live(), mode_number)

    def flush(self):
        """Sends what is queued now rather than at the next poll."""
        lib.ricochet_flush(self._live())

    def members(self):
        """The members of my room (not me), a list of Member; one who left
        is listed until the next poll."""
        r = self._live()
        cap = 16
        while True:
            out = (_NativeMember * cap)()
            n = lib.ricochet_members(r, out, cap)
            if n <= cap:
                return [Member(out[i], self.player_of(out[i].id) or "") for i in range(n)]
            cap = n

    def member(self, id):
        """Member id, or None if no member has that id."""
        n = _NativeMember()
        if lib.ricochet_member(self._live(), id, C.byref(n)) != 0:
            return None
        return Member(n, self.player_of(id) or "")

    def list_rooms(self, prefix="", after="", match=None):
        """Asks the relay for a page of its rooms whose names start with prefix
        ("": all), after the name `after` ("": from the first; the next page:
        the last name of this one). The answer is a ROOMS event (its text: the
        prefix), then rooms() gives them; a relay run with --room-list off
        answers an ERROR listing_off, one asked too often rate_limited. Ask
        when the lobby is shown, not every frame. Returns 0, or the library's
        status (NOT_JOINED, -2: neither in a room nor a lobby; -3: could not
        send). A lobby may ask at once: it goes once connected. match (a
        dict of str): only rooms whose props hold those values."""
        want, n = _props("match", match or {})
        rc = lib.ricochet_list_rooms_matching(self._live(), _text(prefix, "prefix"),
                                              _text(after, "after"), want, n)
        if rc == E_INVALID:
            raise ValueError("prefix %r, after %r: each %s" % (prefix, after, PREFIX_RULE))
        return rc

    def join(self, room, any_room=False):
        """A lobby's join (Session(..., lobby=True)): room, or with any_room the
        fullest room with space under the prefix room; WELCOME or DISCONNECTED
        answer. Returns 0, or -4 (UNSUPPORTED: not a lobby, or joined already),
        -3 (the session is over); a bad room raises ValueError."""
        rc = lib.ricochet_join(self._live(), _text(room, "room"), bool(any_room))
        if rc == E_INVALID:
            raise ValueError("room %r: a room's name is %s" % (room, NAME_RULE))
        return rc

    def rooms(self):
        """The last listing (ROOMS event): (a list of Room in name order, at
        most ROOMS_PAGE; more: True if the relay has more after the last);
        ([], False) before any."""
        out, more = (_NativeRoom * ROOMS_PAGE)(), C.c_bool(False)
        n = lib.ricochet_rooms(self._live(), out, ROOMS_PAGE, C.byref(more))
        return [self._listed(out[i], i) for i in range(min(n, ROOMS_PAGE))], bool(more.value)

    def _listed(self, native, i):
        props, is_open = (_NativeProp * PROPS_MAX)(), C.c_bool(True)
        n = lib.ricochet_listed_props(self.r, i, props, PROPS_MAX, C.byref(is_open))
        return Room(native, {_str(p.key): _str(p.value) for p in props[:min(n, PROPS_MAX)]},
                    bool(is_open.value))

    def set_room(self, open=None, listed=None, props=None):
        """From my room's creator (its player): open it to joiners or close it,
        list it or not, replace its props (a dict of str); what is None stays.
        No answer; another member gets an ERROR not_creator. Returns 0, or
        the library's status (NOT_JOINED -2, -3: could not send)."""
        for rc in ((lib.ricochet_set_room_open(self._live(), bool(open))
                    if open is not None else 0),
                   (lib.ricochet_set_room_listed(self._live(), bool(listed))
                    if listed is not None else 0),
                   (lib.ricochet_set_room_props(self._live(), *_props("props", props))
                    if props is not None else 0)):
            if rc != 0:
                return rc
        return 0

    @property
    def room_mine(self):
        """My player owns my room (the relay said so: the welcome, a ROOM event,
        a LEFT of the creator that handed it to me): set_room is mine."""
        return bool(lib.ricochet_room_mine(self._live()))

    # ---- my room as it is (ROOM events), and my player across sessions ----

    @property
    def is_owner(self):
        """The same as room_mine: my player owns my room."""
        return self.room_mine

    @property
    def owner(self):
        """My room's owner's player id ("": none, or a relay that does not say)."""
        return _str(lib.ricochet_room_owner(self._live()) or b"")

    def room_settings(self):
        """My room as the relay last said it: a RoomSettings, from the WELCOME,
        replaced at each ROOM event (a change by its owner, an owner's
        handoff, a restore)."""
        r = self._live()
        props = (_NativeProp * PROPS_MAX)()
        n = lib.ricochet_room_props(r, props, PROPS_MAX)
        return RoomSettings(self.owner,
                            {_str(p.key): _str(p.value) for p in props[:min(n, PROPS_MAX)]},
                            bool(lib.ricochet_room_open(r)), bool(lib.ricochet_room_listed(r)),
                            lib.ricochet_room_size(r), self.room_mine)

    def clock(self):
        """My clock's offset to the relay's (a Clock)."""
        n = _NativeClock()
        lib.ricochet_clock(self._live(), C.byref(n))
        return Clock(n)

    def latency(self):
        """The one-way latency of every state received (a Distribution)."""
        d = Distribution()
        lib.ricochet_latency(self._live(), C.byref(d))
        return d

    def rtt(self):
        """The round trip of my own reflected states (reflect=True): a
        Distribution and a Stats."""
        d, s = Distribution(), Stats()
        lib.ricochet_rtt(self._live(), C.byref(d), C.byref(s))
        return d, s

    # ---- a lobby that stays ----

    def watch_rooms(self, prefix="", match=None, watch=True):
        """A lobby (Session(..., lobby=True)) asks the relay to watch its rooms
        whose names start with prefix ("": all) and whose props hold match (a
        dict of str): the first page answers, and a fresh one comes whenever
        it changes (a room made or gone, its members, size, props or open),
        at most every 500 ms, each a ROOMS event (rooms() gives it). While it
        watches the lobby has no join timeout: keep polling (the library
        pings; the relay closes a lobby silent for its --lobby-idle-ms, 30
        s). watch=False ends it, as join() does. Returns 0, or -4
        (UNSUPPORTED: not a lobby, or joined), -3 (could not send); a bad
        prefix or match raises ValueError. Asked while connecting: sent once
        connected."""
        want, n = _props("match", match or {})
        rc = lib.ricochet_watch_rooms(self._live(), _text(prefix, "prefix"), want, n,
                                      bool(watch))
        if rc == E_INVALID:
            raise ValueError("prefix %r: %s" % (prefix, PREFIX_RULE))
        return rc

    @property
    def watching(self):
        """The relay's last listing said it watches for this lobby."""
        return bool(lib.ricochet_watching(self._live()))

    def room_pages(self, timeout_ms=1000):
        """Iterates over a watching lobby's pages, polling meanwhile (other
        events are dropped): (rooms, more) at each page, as rooms() gives it;
        None after timeout_ms without one (the loop may do other work, then
        go on); returns once the session ended (its DISCONNECTED polled)."""
        deadline = now_us() + timeout_ms * 1000
        while True:
            ev = self.poll(max(0, min(50, (deadline - now_us()) // 1000)))
            if ev is not None and ev.type == DISCONNECTED:
                return
            if ev is not None and ev.type == ROOMS:
                yield self.rooms()
                deadline = now_us() + timeout_ms * 1000
            elif now_us() >= deadline:
                yield None
                deadline = now_us() + timeout_ms * 1000

    def close(self):
        """Leaves and frees the session; closing twice is fine."""
        if self.r:
            lib.ricochet_close(self.r)
        self.r = None


class Interp(_ClosedOnExit):
    """One player's states, to draw it smoothly a little in the past
    (ricochet_interp_*): push every STATE event of that player
    (ip.push(ev.state, ev.recv_us)), then each frame ip.at(now_us() - delay)
    says where to draw it (a Point); 100 ms of delay (two states at 20 Hz)
    hides one lost state, more hides more and shows the player later. No
    shared clock is needed and no session: it keeps the 32 newest states,
    and times are the caller's (now_us(), recv_us). extrapolate_ms: how far
    past the newest state it moves the player on along its velocity (0:
    never); max_gap_ms (1-3600000): a wider hole between two states is not
    glided across. clear() it when the player leaves or on a MOVED event."""

    def __init__(self, extrapolate_ms=250, max_gap_ms=1000):
        self.ip = None
        if not 1 <= _ms(max_gap_ms) <= 3600000:
            raise ValueError("max_gap_ms %r: 1-3600000 ms" % (max_gap_ms,))
        self.ip = lib.ricochet_interp_new(_ms(extrapolate_ms), max_gap_ms)
        if not self.ip:
            raise MemoryError("libricochet: no memory for an interpolation buffer")

    def _live(self):
        if not self.ip:
            raise ValueError("the interpolation buffer is closed")
        return self.ip

    def push(self, state, recv_us):
        """Records a State of the player received at recv_us (the event's).
        True if kept; False if not (a duplicate, or older than all kept)."""
        if not isinstance(state, State):
            raise TypeError("state: a State expected, not %s" % type(state).__name__)
        return lib.ricochet_interp_push(self._live(), C.byref(state), recv_us) == 1

    def at(self, render_us):
        """Where to draw the player at render_us of my clock (a Point),
        normally now_us() minus the delay."""
        n = _NativePoint()
        lib.ricochet_interp_at(self._live(), render_us, C.byref(n))
        return Point(n)

    def latest(self):
        """The last State pushed, whatever its seq (the raw arrivals, for a
        view without interpolation); None if none yet."""
        st = State()
        return st if lib.ricochet_interp_latest(self._live(), C.byref(st)) == 1 else None

    def clear(self):
        """Empties it (the player left, or the session moved), keeping its limits."""
        lib.ricochet_interp_clear(self._live())

    def close(self):
        """Frees it; twice is fine."""
        if self.ip:
            lib.ricochet_interp_free(self.ip)
        self.ip = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # the library already unloaded, at exit
            pass


def _set_poll(cfg, wait_ms, interval_ms):
    """ricochet_config_set_poll from Session's poll_wait_ms and
    poll_interval_ms (as JavaScript's pollWaitMs and pollIntervalMs): an
    interval is short polling, else a wait (None: the library's 20000) long."""
    whole = lambda v, low, high: not isinstance(v, bool) and isinstance(v, int) and low <= v <= high
    if wait_ms is not None and not whole(wait_ms, 1, POLL_WAIT_MAX_MS):
        raise ValueError("poll_wait_ms %r: a long poll's wait of 1-%d ms"
                         % (wait_ms, POLL_WAIT_MAX_MS))
    if not whole(interval_ms, 0, POLL_INTERVAL_MAX_MS):
        raise ValueError("poll_interval_ms %r: 0 (long polling) or a short poll's interval "
                         "of 1-%d ms" % (interval_ms, POLL_INTERVAL_MAX_MS))
    if interval_ms or wait_ms is not None:  # both within range: the library takes them
        lib.ricochet_config_set_poll(cfg, 0 if interval_ms else wait_ms, interval_ms)


def _ms(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ValueError("%r: a whole number of ms" % (value,))
    return value


def main(argv):
    s = Session(argv[1], int(argv[2]), argv[3] if len(argv) > 3 else "lobby",
                "py-%d" % os.getpid())
    sent, heard = 0, 0
    while sent < 10:
        ev = s.poll(50)  # an event, or None after 50 ms without one: then a step
        if ev and ev.type == WELCOME:
            print("joined as #%d" % ev.id)
        elif ev and ev.type == STATE:
            heard += 1
        elif ev and ev.type == DISCONNECTED:
            sys.exit("py: " + ev.text)
        if ev is None and s.send(10.0 + sent, 50.0, vx=20.0, payload=b"py %d" % sent) == 0:
            sent += 1
    print("sent %d states, got %d; event size %d" % (sent, heard, C.sizeof(_NativeEvent)))
    s.close()


def _script():
    main(sys.argv)


if __name__ == "__main__":
    main(sys.argv)
