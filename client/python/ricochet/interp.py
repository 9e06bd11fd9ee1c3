"""interp.py: snapshot interpolation of one player, the library's
ricochet_interp_* (client/lib/interp.c): Interp, fed a player's states,
says where to draw it a little in the past (a Point), between two states
or along its velocity past the newest."""
import ctypes as C

from .errors import _ClosedOnExit, _ms
from .native import lib
from .structs import State, _NativePoint


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
