"""received.py: what a session receives, as Python values: Event, one from
poll (names, codes and texts as str, its bytes as bytes), and Member, a
member of my room as this session sees it."""
from .structs import State, Stats, _str


class Event:
    """One event from poll: which fields mean something depends on the type
    (ricochet.h, enum ricochet_event_type); name, code and text are str,
    data the bytes that came with it (a state's payload, an event's body):
    b"" when none. An EVENT the relay kept has its key (str, "" for none),
    and kept True when it was replayed to me after my WELCOME. A LEFT of
    the room's owner names in creator (the wire's first name for the owner)
    the player id of the member who owns the room now ("" otherwise;
    Session.room_mine: it is me). A REJOINED has in was the member's id
    before it came back (its id now is id: the same if it took its own
    place back, another after a restart or a move); 0 for any other event."""
    __slots__ = ("type", "id", "mode", "state", "recv_us", "latency_us", "latency_bound_us",
                 "latency_known", "name", "code", "text", "data", "key", "kept", "creator",
                 "was")

    def __init__(self, n, data, key="", creator="", was=0):
        self.type, self.id, self.mode, self.state = n.type, n.id, n.mode, n.state
        self.recv_us, self.latency_us = n.recv_us, n.latency_us
        self.latency_bound_us, self.latency_known = n.latency_bound_us, n.latency_known
        self.name, self.code, self.text = _str(n.name), _str(n.code), _str(n.text)
        self.data, self.key, self.kept = data, key, self.code == "kept"
        self.creator, self.was = creator, was

    def __repr__(self):
        return "Event(type=%d, id=%d, name=%r, code=%r, text=%r, data=%d bytes)" % (
            self.type, self.id, self.name, self.code, self.text, len(self.data))


class Member:
    """A member of my room (not me) as this session sees it: name ("" until
    its joined notice came), player (its player id, the same across rejoins
    and moves), mode, state (its newest, None until one came),
    last_recv_us, and stats (a Stats)."""
    __slots__ = ("id", "name", "player", "mode", "state", "last_recv_us", "stats")

    def __init__(self, n, player=""):
        self.id, self.name, self.player, self.mode = n.id, _str(n.name), player, n.mode
        self.state = State.from_buffer_copy(n.last) if n.has_state else None
        self.last_recv_us, self.stats = n.last_recv_us, Stats.from_buffer_copy(n.stats)

    def __repr__(self):
        return "Member(id=%d, name=%r, state=%r)" % (self.id, self.name, self.state)

