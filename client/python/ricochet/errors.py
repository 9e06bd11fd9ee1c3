"""errors.py: how the binding refuses: SessionClosed, any call on a closed
session; the checks of a call's arguments, which raise ValueError (with the
rule) or TypeError before anything is sent; and what Session and Interp
share, closed on leaving a with block."""
from .constants import E_TOO_BIG
from .native import lib


class SessionClosed(RuntimeError):
    """The session was closed: nothing more can be done with it."""


class _ClosedOnExit:
    """What Session and Interp share: as a context manager (with ... as x),
    closed on the way out."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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


def _ms(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ValueError("%r: a whole number of ms" % (value,))
    return value
