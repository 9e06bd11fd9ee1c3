"""structs.py: ricochet.h's structs as ctypes mirrors them, field for field
(tests/test_e2e_library.c holds the event to the C one's size): the public
State, Stats and Distribution, and the private ones the other modules read
into Python values; and _str, a C string of them as str."""
import ctypes as C


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


class _NativePoint(C.Structure):
    _fields_ = [("kind", C.c_int), ("x", C.c_float), ("y", C.c_float), ("seq_a", C.c_uint32),
                ("seq_b", C.c_uint32)]


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
    """A C string of the library's (bytes) as str, whatever its bytes."""
    return raw.decode("utf-8", "replace")

