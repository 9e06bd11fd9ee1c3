"""figures.py: what a session measures, as the library keeps it: my clock's
offset to the relay's (Clock), the one-way latency of every state received
and the round trip of my own reflected states (Distribution, Stats)."""
import ctypes as C

from .native import lib
from .structs import Distribution, Stats, _NativeClock


class Clock:
    """My clock's offset to the relay's: known, offset_us, bound_us."""
    __slots__ = ("known", "offset_us", "bound_us")

    def __init__(self, n):
        self.known, self.offset_us, self.bound_us = n.known, n.offset_us, n.bound_us


class _Figures:
    """Session's figures (the library's ricochet_clock, _latency, _rtt)."""

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

