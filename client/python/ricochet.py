"""ricochet.py: libricochet from Python, through ctypes (ricochet.h mirrored).

    s = Session("127.0.0.1", 7777, "lobby", "py")
    while True:
        ev = s.poll(10)              # an Event, None (nothing in time), or EOFError
        if ev and ev.type == WELCOME:
            s.send(x=50.0, y=50.0)

The library is found as libricochet.so.1 (LD_LIBRARY_PATH) or $RICOCHET_LIB.
Run as a program: python3 ricochet.py HOST PORT [ROOM] joins, sends ten
states, says so and exits 0."""
import ctypes as C
import os
import sys

lib = C.CDLL(os.environ.get("RICOCHET_LIB", "libricochet.so.1"))
(WELCOME, STATE, TOO_OLD, JOINED, LEFT, CHAT, ERROR, DISCONNECTED, MOVED) = range(9)


class State(C.Structure):
    _fields_ = [("sender", C.c_uint32), ("seq", C.c_uint32), ("send_us", C.c_uint64)] + \
        [(f, C.c_float) for f in ("x", "y", "vx", "vy", "heading")]


class Event(C.Structure):
    _fields_ = [("type", C.c_int), ("id", C.c_uint32), ("mode", C.c_int), ("state", State),
                ("recv_us", C.c_uint64), ("latency_us", C.c_int64),
                ("latency_bound_us", C.c_uint64), ("latency_known", C.c_bool),
                ("name", C.c_char * 33), ("code", C.c_char * 32), ("text", C.c_char * 201)]




def api(name, restype, *argtypes):
    f = getattr(lib, "ricochet_" + name)
    f.restype, f.argtypes = restype, list(argtypes)


P = C.c_void_p  # struct ricochet *, struct ricochet_config *
api("config_new", P)
api("config_free", None, P)
api("config_set_relay", C.c_int, P, C.c_char_p, C.c_uint16)
api("config_set_room", C.c_int, P, C.c_char_p)
api("config_set_name", C.c_int, P, C.c_char_p)
api("connect", P, P, C.c_char_p, C.c_size_t)
api("close", None, P)
api("poll", C.c_int, P, C.c_int, C.POINTER(Event))
api("send_state", C.c_int, P, C.POINTER(State))
api("send_chat", C.c_int, P, C.c_char_p)
api("end_reason", C.c_char_p, P)


class Session:
    def __init__(self, host, port, room, name):
        cfg, err = lib.ricochet_config_new(), C.create_string_buffer(256)
        ok = (lib.ricochet_config_set_relay(cfg, host.encode(), port) == 0 and
              lib.ricochet_config_set_room(cfg, room.encode()) == 0 and
              lib.ricochet_config_set_name(cfg, name.encode()) == 0)
        self.r = lib.ricochet_connect(cfg, err, 256) if ok else None
        lib.ricochet_config_free(cfg)
        if not self.r:
            raise ConnectionError(err.value.decode() or "bad relay, room or name")

    def poll(self, timeout_ms=0):
        ev = Event()
        got = lib.ricochet_poll(self.r, timeout_ms, C.byref(ev))
        if got < 0:
            raise EOFError(lib.ricochet_end_reason(self.r).decode())
        return ev if got == 1 else None

    def send(self, x, y, vx=0.0, vy=0.0, heading=0.0):
        return lib.ricochet_send_state(self.r, C.byref(State(0, 0, 0, x, y, vx, vy, heading)))

    def chat(self, text):
        return lib.ricochet_send_chat(self.r, text.encode())

    def close(self):
        lib.ricochet_close(self.r)
        self.r = None


if __name__ == "__main__":
    s = Session(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "lobby",
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
        if ev is None and s.send(10.0 + sent, 50.0, vx=20.0) == 0:
            sent += 1
    print("sent %d states, got %d; event size %d" % (sent, heard, C.sizeof(Event)))
    s.close()
