"""ricochet.py: libricochet from Python, through ctypes (ricochet.h mirrored).

    s = Session("127.0.0.1", 7777, "lobby", "py")
    while True:
        ev = s.poll(10)              # an Event, None (nothing in time), or EOFError
        if ev and ev.type == WELCOME:
            s.send(x=50.0, y=50.0, payload=b"red")
        elif ev and ev.type == STATE:
            print(ev.id, ev.state.x, ev.data)   # ev.data: the state's payload
        elif ev and ev.type == EVENT:
            print(ev.id, ev.code, ev.data)      # an event's body ("room" or "direct")

The library is the installed libricochet (libricochet.so.1, found as the
dynamic linker finds it: LD_LIBRARY_PATH, then the system's folders), or
$RICOCHET_LIB. What the library refuses (a payload over PAYLOAD_MAX, an
event over EVENT_MAX, None where bytes go) raises ValueError or TypeError
before anything is sent; a closed session raises SessionClosed.

Run as a program: python3 ricochet.py HOST PORT [ROOM] joins, sends ten
states with a payload, says so and exits 0."""
import ctypes as C
import ctypes.util
import os
import sys

__all__ = ["Session", "SessionClosed", "Event", "State", "PAYLOAD_MAX", "EVENT_MAX",
           "TO_ROOM", "WELCOME", "STATE", "TOO_OLD", "JOINED", "LEFT", "CHAT", "ERROR",
           "DISCONNECTED", "MOVED", "APPEARED", "VANISHED", "EVENT", "MODES", "library"]
__version__ = "1.1.0"


def library():
    """The path given by $RICOCHET_LIB, else the installed soname."""
    if os.environ.get("RICOCHET_LIB"):
        return os.environ["RICOCHET_LIB"]
    return "libricochet.so.1" if os.name == "posix" else ctypes.util.find_library("ricochet")


lib = C.CDLL(library())
(WELCOME, STATE, TOO_OLD, JOINED, LEFT, CHAT, ERROR, DISCONNECTED, MOVED, APPEARED,
 VANISHED, EVENT) = range(12)
MODES = {"unsequenced": 0, "sequenced": 1, "reliable": 2, "udp": 3, "tcp": 4, "ws": 5}
PAYLOAD_MAX = 1135  # RICOCHET_PAYLOAD_MAX
EVENT_MAX = 1024    # RICOCHET_EVENT_MAX
TO_ROOM = 0         # RICOCHET_TO_ROOM
E_INVALID, E_TOO_BIG = -1, -5


class State(C.Structure):
    _fields_ = [("sender", C.c_uint32), ("seq", C.c_uint32), ("send_us", C.c_uint64)] + \
        [(f, C.c_float) for f in ("x", "y", "vx", "vy", "heading")]


class Event(C.Structure):
    """struct ricochet_event; data: the bytes that came with it (a state's
    payload, an event's body), copied: b"" when none."""
    _fields_ = [("type", C.c_int), ("id", C.c_uint32), ("mode", C.c_int), ("state", State),
                ("recv_us", C.c_uint64), ("latency_us", C.c_int64),
                ("latency_bound_us", C.c_uint64), ("latency_known", C.c_bool),
                ("name", C.c_char * 33), ("code", C.c_char * 32), ("text", C.c_char * 201)]


class SessionClosed(RuntimeError):
    """The session was closed: nothing more can be done with it."""


def api(name, restype, *argtypes):
    f = getattr(lib, "ricochet_" + name)
    f.restype, f.argtypes = restype, list(argtypes)


P = C.c_void_p  # struct ricochet *, struct ricochet_config *
api("config_new", P)
api("config_free", None, P)
api("config_set_relay", C.c_int, P, C.c_char_p, C.c_uint16)
api("config_set_room", C.c_int, P, C.c_char_p)
api("config_set_name", C.c_int, P, C.c_char_p)
api("config_set_mode", C.c_int, P, C.c_int)
api("connect", P, P, C.c_char_p, C.c_size_t)
api("close", None, P)
api("poll", C.c_int, P, C.c_int, C.POINTER(Event))
api("send_state", C.c_int, P, C.POINTER(State))
api("send_state_payload", C.c_int, P, C.POINTER(State), C.c_char_p, C.c_size_t)
api("send_event", C.c_int, P, C.c_uint32, C.c_char_p, C.c_size_t)
api("event_bytes", C.POINTER(C.c_uint8), P, C.POINTER(C.c_size_t))
api("send_chat", C.c_int, P, C.c_char_p)
api("end_reason", C.c_char_p, P)
api("id", C.c_uint32, P)
api("strerror", C.c_char_p, C.c_int)


def _bytes(data, what, limit):
    if data is None or not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("%s: bytes expected, not %s" % (what, type(data).__name__))
    data = bytes(data)
    if len(data) > limit:
        raise ValueError("%s of %d bytes, max %d: %s" % (
            what, len(data), limit, lib.ricochet_strerror(E_TOO_BIG).decode()))
    return data


class Session:
    def __init__(self, host, port, room, name, mode="unsequenced"):
        if mode not in MODES:
            raise ValueError("mode: one of " + ", ".join(MODES))
        cfg, err = lib.ricochet_config_new(), C.create_string_buffer(256)
        ok = (lib.ricochet_config_set_relay(cfg, host.encode(), port) == 0 and
              lib.ricochet_config_set_room(cfg, room.encode()) == 0 and
              lib.ricochet_config_set_name(cfg, name.encode()) == 0 and
              lib.ricochet_config_set_mode(cfg, MODES[mode]) == 0)
        self.r = lib.ricochet_connect(cfg, err, 256) if ok else None
        lib.ricochet_config_free(cfg)
        if not self.r:
            raise ConnectionError(err.value.decode() or "bad relay, room or name")

    def _live(self):
        if not self.r:
            raise SessionClosed("the session is closed")
        return self.r

    @property
    def id(self):
        return lib.ricochet_id(self._live())

    def poll(self, timeout_ms=0):
        """The next Event, None if none came within timeout_ms; EOFError once
        the session is over (its DISCONNECTED event was returned)."""
        r = self._live()
        ev = Event()
        got = lib.ricochet_poll(r, timeout_ms, C.byref(ev))
        if got < 0:
            raise EOFError(lib.ricochet_end_reason(r).decode())
        if got != 1:
            return None
        n = C.c_size_t(0)
        p = lib.ricochet_event_bytes(r, C.byref(n))
        ev.data = C.string_at(p, n.value) if n.value else b""
        return ev

    def send(self, x, y, vx=0.0, vy=0.0, heading=0.0, payload=b""):
        """Sends my state with a payload of at most PAYLOAD_MAX bytes. Returns
        0, or the library's status (-2: not in a room yet or any more)."""
        payload = _bytes(payload, "payload", PAYLOAD_MAX)
        st = State(0, 0, 0, x, y, vx, vy, heading)
        rc = lib.ricochet_send_state_payload(self._live(), C.byref(st), payload, len(payload))
        if rc in (E_INVALID, E_TOO_BIG):
            raise ValueError(lib.ricochet_strerror(rc).decode())
        return rc

    def event(self, to, data):
        """Sends an event of at most EVENT_MAX bytes to member `to`, or to the
        room (TO_ROOM). Returns 0, or the library's status."""
        data = _bytes(data, "event", EVENT_MAX)
        rc = lib.ricochet_send_event(self._live(), to, data, len(data))
        if rc in (E_INVALID, E_TOO_BIG):
            raise ValueError(lib.ricochet_strerror(rc).decode())
        return rc

    def chat(self, text):
        if text is None:
            raise TypeError("chat: text expected, not None")
        return lib.ricochet_send_chat(self._live(), text.encode())

    def close(self):
        """Leaves and frees the session; closing twice is fine."""
        if self.r:
            lib.ricochet_close(self.r)
        self.r = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
            sys.exit("py: " + ev.text.decode())
        if ev is None and s.send(10.0 + sent, 50.0, vx=20.0, payload=b"py %d" % sent) == 0:
            sent += 1
    print("sent %d states, got %d; event size %d" % (sent, heard, C.sizeof(Event)))
    s.close()


def _script():
    main(sys.argv)


if __name__ == "__main__":
    main(sys.argv)
