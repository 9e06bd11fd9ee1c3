"""native.py: libricochet found and loaded through ctypes ($RICOCHET_LIB,
else libricochet.so.1 where the dynamic linker looks, else beside the
package's modules; none: ImportError saying where it looked and what to
set), ricochet.h's calls declared on it with their types, and the calls of
the whole process: version, protocol_version, now_us, set_log."""
import ctypes as C
import os

from .structs import (State, Stats, Distribution, _NativeEvent, _NativeMember, _NativeRoom,
                      _NativeProp, _NativePoint, _NativeClock, _str)

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
                          "the system's folders that ldconfig knows, nor beside the package's "
                          "modules (%s). "
                          "%s" % (SONAME, os.environ.get("LD_LIBRARY_PATH") or "unset",
                                  os.path.dirname(beside), fix)) from first


lib = _load()


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
api("event_was", C.c_uint32, P)
api("config_add_relay", C.c_int, P, C.c_char_p, C.c_uint16)
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
# lockstep rooms (lockstep.py)
api("lockstep_defaults", None, P)
api("config_set_lockstep", C.c_int, P, P)
api("config_set_spectator", C.c_int, P, C.c_bool)
api("lockstep", C.c_int, P, P, C.POINTER(C.c_int32), C.POINTER(C.c_uint32))
api("lockstep_from", C.c_int, P, C.c_uint32)
api("lockstep_tick", C.c_uint32, P)
api("lockstep_aim", C.c_uint32, P)
api("send_input", C.c_int, P, C.c_uint32, C.c_char_p, C.c_size_t)
api("frame_input", C.c_int, P, C.c_uint32, C.POINTER(C.POINTER(C.c_uint8)),
    C.POINTER(C.c_size_t))
api("send_check", C.c_int, P, C.c_uint32, C.c_uint64)
api("lockstep_late", C.c_int, P, C.POINTER(C.c_uint32), C.POINTER(C.c_uint64),
    C.POINTER(C.c_uint32))
api("lockstep_desync", C.c_size_t, P, C.POINTER(C.c_uint32), C.c_size_t)
api("lockstep_player", C.c_char_p, P, C.c_uint32)
api("ticket_mint", C.c_int, C.c_char_p, C.c_char_p, C.c_char_p, C.c_char_p, C.c_uint32,
    C.c_uint, C.c_char_p, C.c_size_t)


def version():
    """The loaded library's version, "1.7.0"."""
    return lib.ricochet_version().decode()


def protocol_version():
    """The wire protocol version the library speaks."""
    return lib.ricochet_protocol_version()


def now_us():
    """The library's clock, µs (CLOCK_MONOTONIC): recv_us and send_us use it."""
    return lib.ricochet_now_us()


_log_keep = None  # the callback ctypes calls: kept alive while the library holds it


def set_log(level, fn=None):
    """Process-wide: the library's log lines at level (0 debug, 1 info, 2 warn,
    3 error, 4 off) and above go to fn(level, line) (str), or to stderr."""
    global _log_keep
    _log_keep = _LOG_FN(lambda ctx, lvl, line: fn(lvl, _str(line))) if fn else _LOG_FN()
    lib.ricochet_set_log(level, _log_keep, None)
