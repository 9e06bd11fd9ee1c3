"""room.py: my room as the relay says it is, and my player across sessions
(PROTOCOL.md, "Rooms with properties" and "Players who come back"): a new
room's settings and a saved player key put into the configuration, checked
(a key without being shown: it is a secret); a room's props as the library
takes them; and Session's part: my player and key, my room's settings and
owner (RoomSettings, from the welcome and each ROOM event), set_room."""
from .constants import KEY_RULE, PROPS_MAX
from .errors import _text
from .native import lib
from .structs import _NativeProp, _str


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


class _MyRoom:
    """Session's part: my player across sessions, and my room as it is."""

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

    # ---- my room as it is (ROOM events) ----

    @property
    def room_mine(self):
        """My player owns my room (the relay said so: the welcome, a ROOM event,
        a LEFT of the owner that handed it to me): set_room is mine."""
        return bool(lib.ricochet_room_mine(self._live()))

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

    def set_room(self, open=None, listed=None, props=None):
        """From my room's owner (its player): open it to joiners or close it,
        list it or not, replace its props (a dict of str); what is None stays.
        No answer; another member gets an ERROR not_creator (the wire's name for
        it). Returns 0, or the library's status (NOT_JOINED -2, -3: could not
        send)."""
        for rc in ((lib.ricochet_set_room_open(self._live(), bool(open))
                    if open is not None else 0),
                   (lib.ricochet_set_room_listed(self._live(), bool(listed))
                    if listed is not None else 0),
                   (lib.ricochet_set_room_props(self._live(), *_props("props", props))
                    if props is not None else 0)):
            if rc != 0:
                return rc
        return 0
