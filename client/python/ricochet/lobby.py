"""lobby.py: the relay's rooms as a lobby sees them (PROTOCOL.md, "Rooms
with properties" and "A lobby that stays"): Room, one of a listing; and
Session's part: a listing asked for (list_rooms) and read (rooms), a
lobby's join, and a lobby that stays, which watches the rooms
(watch_rooms) and reads their pages as they come (room_pages)."""
import ctypes as C

from .constants import DISCONNECTED, E_INVALID, NAME_RULE, PREFIX_RULE, PROPS_MAX, ROOMS, ROOMS_PAGE
from .errors import _text
from .native import lib, now_us
from .room import _props
from .structs import _NativeProp, _NativeRoom, _str


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


class _Lobby:
    """Session's part: the relay's rooms listed, joined from a lobby, watched."""

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
