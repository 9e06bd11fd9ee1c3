"""lockstep.py: a lockstep room (PROTOCOL.md, "Lockstep rooms"; ricochet.h's
"lockstep rooms"): Lockstep, a room's settings as the library takes them;
the join that makes one put into the configuration; and Session's part:
the room's settings and my slot, the tick to aim my input at, my inputs,
the slots of a confirmed frame, checks, and what the relay said of my late
inputs and of desyncs."""
import ctypes as C

from .constants import E_INVALID, E_TOO_BIG, INPUT_MAX
from .errors import _bytes
from .native import lib
from .structs import _str


class Lockstep(C.Structure):
    """struct ricochet_lockstep, the library's defaults where not given:
    hz (10-60), delay (ticks, 0-32), slots (1-32), input_max (bytes,
    1-255; slots x (input_max + 2) at most 1024), stand_in_last (a missing
    input: the player's last, else nothing), check_every (0-600, 0: no
    checks), spectator_delay (ticks, 0-600)."""
    _fields_ = [("hz", C.c_uint32), ("delay", C.c_uint32), ("slots", C.c_uint32),
                ("input_max", C.c_uint32), ("stand_in_last", C.c_bool),
                ("check_every", C.c_uint32), ("spectator_delay", C.c_uint32)]

    def __init__(self, **fields):
        super().__init__()
        lib.ricochet_lockstep_defaults(C.byref(self))
        names = [f for f, _ in self._fields_]
        for k, v in fields.items():
            if k not in names:
                raise ValueError("lockstep %r: one of %s" % (k, ", ".join(names)))
            setattr(self, k, v)

    def __repr__(self):
        return "Lockstep(%s)" % ", ".join("%s=%r" % (f, getattr(self, f))
                                          for f, _ in self._fields_)


def _lockstep_setup(cfg, lockstep, spectator):
    """The room my join makes a lockstep room of lockstep (a Lockstep or a
    dict of its fields); spectator: join one without a slot."""
    if lockstep is not None:
        ls = lockstep if isinstance(lockstep, Lockstep) else Lockstep(**lockstep)
        if lib.ricochet_config_set_lockstep(cfg, C.byref(ls)) != 0:
            raise ValueError(_str(lib.ricochet_config_error(cfg)))
    lib.ricochet_config_set_spectator(cfg, bool(spectator))


class _LockstepRoom:
    """Session's part: a lockstep room as the library follows it. Frames
    come as FRAME events (id: the tick, data: the frame's bytes, the
    confirmed log's unit), in tick order, none skipped; LATE and DESYNC say
    what the relay told."""

    def lockstep(self):
        """(Lockstep, slot, kept): my room's settings, my slot (-1: a
        spectator) and how many kept events follow my WELCOME; None before
        the welcome or in a room of states."""
        ls, slot, kept = Lockstep(), C.c_int32(0), C.c_uint32(0)
        if lib.ricochet_lockstep(self._live(), C.byref(ls), C.byref(slot), C.byref(kept)) != 0:
            return None
        return ls, slot.value, kept.value

    def lockstep_from(self, tick):
        """Asks for the frames from tick on (0: the room's first); later calls
        only move forward. Returns 0 or the library's status."""
        return lib.ricochet_lockstep_from(self._live(), tick)

    def lockstep_tick(self):
        """The tick the relay collects now, by my clock offset to it."""
        return lib.ricochet_lockstep_tick(self._live())

    def lockstep_aim(self):
        """The tick to send my input for now: lockstep_tick() plus the delay
        (and a tick more for each LATE, a tick less after 5 s without)."""
        return lib.ricochet_lockstep_aim(self._live())

    def send_input(self, tick, data=b""):
        """My input for tick (0..input_max bytes), sent now and again with
        each input until its frame comes; the ticks the aim stepped over
        since my newest input (a LATE, or my clock offset, moved it on) get
        this input too, so none is left without one. Returns 0 or the library's status
        (NOT_JOINED, -4 UNSUPPORTED: no slot; ValueError: too long, a tick
        whose frame came or 64 ticks from an unconfirmed one)."""
        data = _bytes(data, "input", INPUT_MAX)
        rc = lib.ricochet_send_input(self._live(), tick, data, len(data))
        if rc in (E_INVALID, E_TOO_BIG):
            raise ValueError("input for tick %d: %s" % (tick, lib.ricochet_strerror(rc).decode()))
        return rc

    def frame_input(self, slot):
        """Slot slot of the FRAME poll returned last: (flag, bytes), flag one
        of SLOT_EMPTY, SLOT_PRESENT, SLOT_REPEATED, SLOT_LEFT; None past the
        slots or with no frame."""
        data, size = C.POINTER(C.c_uint8)(), C.c_size_t(0)
        flag = lib.ricochet_frame_input(self._live(), slot, C.byref(data), C.byref(size))
        if flag < 0:
            return None
        return flag, C.string_at(data, size.value) if size.value else b""

    def send_check(self, tick, checksum):
        """Reports the 64-bit checksum of my simulation after frame tick (a
        multiple of check_every). Returns 0 or the library's status."""
        return lib.ricochet_send_check(self._live(), tick, checksum & 0xFFFFFFFFFFFFFFFF)

    def lockstep_late(self):
        """The last LATE: (tick, by_us, count): its newest tick, how late it
        came (µs), how many since the one before."""
        tick, by, count = C.c_uint32(0), C.c_uint64(0), C.c_uint32(0)
        lib.ricochet_lockstep_late(self._live(), C.byref(tick), C.byref(by), C.byref(count))
        return tick.value, by.value, count.value

    def lockstep_desync(self):
        """The member ids the last DESYNC named (mine too, if I am one)."""
        r = self._live()
        n = lib.ricochet_lockstep_desync(r, None, 0)
        ids = (C.c_uint32 * max(1, n))()
        lib.ricochet_lockstep_desync(r, ids, n)
        return list(ids[:n])

    def lockstep_player(self, slot):
        """The player id holding slot ("": none); None past the slots."""
        p = lib.ricochet_lockstep_player(self._live(), slot)
        return None if p is None else _str(p)
