"""session.py: Session, one session with one relay (ricochet_connect): its
options checked into the library's configuration, polled for events, what
it sends (states with payloads, events, chat), the members of my room,
and its end; its rooms (lobby.py), my room and player (room.py) and its
figures (figures.py) are parts of their own."""
import ctypes as C

from .constants import (ANY_ROOM_MAX, DISCONNECTED, E_INVALID, E_TOO_BIG, EVENT_MAX, LEFT,
                        MODES, NAME_RULE, PAYLOAD_MAX, PLAYER_RULE, POLL_INTERVAL_MAX_MS,
                        POLL_WAIT_MAX_MS, TICKET_MAX, TO_ROOM, TRANSPORTS)
from .errors import (SessionClosed, _bytes, _ClosedOnExit, _ms, _name_of, _number_of, _set,
                     _text)
from .figures import _Figures
from .lobby import _Lobby
from .lockstep import _LockstepRoom, _lockstep_setup
from .native import lib
from .received import Event, Member
from .room import _MyRoom, _room_setup, _set_key
from .structs import State, _NativeEvent, _NativeMember, _str


class Session(_Lobby, _MyRoom, _LockstepRoom, _Figures, _ClosedOnExit):
    """One session with one relay (ricochet_connect): connecting and joining
    go on in poll, whose events say how it went (WELCOME, or DISCONNECTED
    with the reason). room is NAME_RULE's, name PLAYER_RULE's; with a ticket (from the
    game's backend) they are the ticket's and may be left out. any_room:
    room is a prefix (1-28 characters) and the relay puts me in the fullest
    room under it with space, or makes the next ("duel-" gives "duel-1",
    then "duel-2"; the room property names it from the welcome). timeout_ms:
    the join's deadline and how long a silent relay is waited for (5000 by
    default); rejoin_ms: when the relay is lost (it went silent for
    rejoin_after_ms, 1500 by default, closed, or restarted), join the room
    again through host and port for up to that long (MOVED with code
    "rejoin", then WELCOME); 0, the default: a lost relay ends the session.
    relays: the fleet's other relays, [(host, port), ...] (up to 7, the
    same edge as port's): when the address a rejoin goes through is the
    relay lost, or an attempt through it fails, the next goes instead, in
    turn. A session another of its player's sessions takes the place of
    ends (DISCONNECTED, code "replaced") and does not rejoin.
    transport="poll" (TRANSPORTS; mode="tcp", host and port the relay's
    poll:// edge): plain HTTP requests, long polling, each GET held up to
    poll_wait_ms (1-25000; None: 20000), or with poll_interval_ms (1-10000;
    0, the default: long polling) short polling, a GET every so many ms.
    lobby=True: join nothing yet (room not needed): list_rooms, then join(),
    in this session, within the relay's --join-timeout-ms (2 s by default);
    not over mode "udp", transport "poll" or with a ticket (ConnectionError
    saying so). key: an earlier session's Session.key (kept as a password
    is): this one is the same player (the same player id; from the same
    address while that session is still in the room, its place and id).
    lockstep: the room my join makes is a lockstep room of these settings (a
    Lockstep or a dict of its fields; a room that exists is joined as it
    is); spectator=True joins one without a slot (lockstep.py)."""

    def __init__(self, host, port=7777, room=None, name=None, mode="unsequenced", *,
                 ticket=None, any_room=False, lobby=False, timeout_ms=None, rejoin_ms=0,
                 rejoin_after_ms=None, reflect=False, aoi=0.0, transport="default", pin=None,
                 keylog=None, poll_wait_ms=None, poll_interval_ms=0, props=None, size=0,
                 listed=True, open=True, exists=False, match=None, key=None, relays=(),
                 lockstep=None, spectator=False):
        self.r = None
        mode_number = _number_of(MODES, "mode", mode)
        transport_number = _number_of(TRANSPORTS, "transport", transport)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError("port %r: 1-65535" % (port,))
        cfg, err = lib.ricochet_config_new(), C.create_string_buffer(256)
        if not cfg:
            raise MemoryError("libricochet: no memory for a configuration")
        try:
            _set(lib.ricochet_config_set_relay(cfg, _text(host, "host"), port), "host", host,
                 "an address or a host name of 1-255 bytes")
            if ticket is not None:
                # as read from a file: the newline is not the ticket's
                if lib.ricochet_config_set_ticket(cfg, _text(ticket, "ticket").strip()) != 0:
                    raise ValueError("ticket: not a ticket (ricochet-ticket mint makes them: "
                                     "at most %d characters)" % TICKET_MAX)
            elif (room is None and not lobby) or name is None:
                raise ValueError("room and name are required (a room: %s; a name: %s), or a "
                                 "ticket" % (NAME_RULE, PLAYER_RULE))
            lib.ricochet_config_set_lobby(cfg, bool(lobby))
            if room is not None and not lobby:
                _set(lib.ricochet_config_set_room(cfg, _text(room, "room")), "room", room,
                     "a room's name is " + NAME_RULE)
                if any_room and len(room) > ANY_ROOM_MAX:
                    raise ValueError("room %r: with any_room, a prefix of 1-%d characters (the "
                                     "relay adds a number of up to 4 digits)"
                                     % (room, ANY_ROOM_MAX))
            lib.ricochet_config_set_any_room(cfg, bool(any_room))
            _room_setup(cfg, props, size, listed, open, exists, match)
            _lockstep_setup(cfg, lockstep, spectator)
            if name is not None:
                # the library's words for what the name breaks, after its "name '...': "
                _set(lib.ricochet_config_set_name(cfg, _text(name, "name")), "name", name,
                     _str(lib.ricochet_config_error(cfg)).rsplit("': ", 1)[-1])
            lib.ricochet_config_set_mode(cfg, mode_number)
            lib.ricochet_config_set_transport(cfg, transport_number)
            if transport == "poll" and mode != "tcp":
                raise ValueError("mode %r: transport 'poll' carries the mode tcp" % (mode,))
            _set_poll(cfg, poll_wait_ms, poll_interval_ms)
            if timeout_ms is not None:
                _set(lib.ricochet_config_set_timeout_ms(cfg, _ms(timeout_ms)), "timeout_ms",
                     timeout_ms, "1-3600000 ms")
            _set(lib.ricochet_config_set_rejoin(cfg, _ms(rejoin_ms)), "rejoin_ms", rejoin_ms,
                 "0 (none) to 3600000 ms")
            if rejoin_after_ms is not None:
                _set(lib.ricochet_config_set_rejoin_after(cfg, _ms(rejoin_after_ms)),
                     "rejoin_after_ms", rejoin_after_ms, "100-3600000 ms")
            _set_key(cfg, key)
            for relay in relays:
                r_host, r_port = relay
                good = isinstance(r_port, int) and not isinstance(r_port, bool) and \
                    0 < r_port < 65536
                _set(lib.ricochet_config_add_relay(cfg, _text(r_host, "relays"), r_port)
                     if good else -1, "relays", relay,
                     "up to 7 (host, port) of the fleet's other relays")
            lib.ricochet_config_set_reflect(cfg, bool(reflect))
            _set(lib.ricochet_config_set_aoi(cfg, aoi), "aoi", aoi, "0 (none) or 0.01-100000")
            if pin is not None:
                _set(lib.ricochet_config_set_pin(cfg, _text(pin, "pin")), "pin", pin,
                     "a SHA-256 in 64 hex digits")
            if keylog is not None:
                _set(lib.ricochet_config_set_keylog(cfg, _text(keylog, "keylog")), "keylog",
                     keylog, "a path of 1-4095 bytes")
            self.r = lib.ricochet_connect(cfg, err, 256)
        finally:
            lib.ricochet_config_free(cfg)
        if not self.r:
            raise ConnectionError(err.value.decode() or "libricochet could not connect")

    def _live(self):
        if not self.r:
            raise SessionClosed("the session is closed")
        return self.r

    @property
    def id(self):
        """My id in the room; 0 before the welcome."""
        return lib.ricochet_id(self._live())

    @property
    def joined(self):
        return lib.ricochet_joined(self._live())

    @property
    def sealed(self):
        return lib.ricochet_sealed(self._live())

    @property
    def mode(self):
        """The delivery mode's name."""
        m = lib.ricochet_mode(self._live())
        return _name_of(MODES, m)

    @property
    def transport(self):
        """What carries my states: the transport's name ("default", "webrtc", ...)."""
        t = lib.ricochet_transport(self._live())
        return _name_of(TRANSPORTS, t)

    def fileno(self):
        """The session's socket, for select or selectors (readable: poll(0));
        poll at least every 10 ms all the same: the library has timers."""
        return lib.ricochet_fd(self._live())

    @property
    def room_aoi(self):
        return lib.ricochet_room_aoi(self._live())

    @property
    def relay(self):
        """(host, port) of the relay the session talks to now."""
        r = self._live()
        return _str(lib.ricochet_relay_host(r) or b""), lib.ricochet_relay_port(r)

    @property
    def room(self):
        """My room's name: the one asked for, or with any_room the one the relay
        picked (the prefix until the welcome; a ticket's room with a ticket)."""
        return _str(lib.ricochet_room_name(self._live()) or b"")

    @property
    def end_reason(self):
        """Why the session ended, one line for people ("" while it has not)."""
        return _str(lib.ricochet_end_reason(self._live()) or b"")

    def poll(self, timeout_ms=0):
        """The next Event, None if none came within timeout_ms; EOFError once
        the session is over (its DISCONNECTED event was returned)."""
        r = self._live()
        n = _NativeEvent()
        got = lib.ricochet_poll(r, timeout_ms, C.byref(n))
        if got < 0:
            raise EOFError(_str(lib.ricochet_end_reason(r) or b"the session is over"))
        if got != 1:
            return None
        size = C.c_size_t(0)
        p = lib.ricochet_event_bytes(r, C.byref(size))
        creator = _str(lib.ricochet_left_creator(r)) if n.type == LEFT else ""
        return Event(n, C.string_at(p, size.value) if size.value else b"",
                     _str(lib.ricochet_event_key(r)), creator, lib.ricochet_event_was(r))

    def events(self, timeout_ms=0):
        """Every event that came, waiting at most timeout_ms for the first: a
        frame's worth. Stops after DISCONNECTED; the next call (as any poll)
        then raises EOFError."""
        ev = self.poll(timeout_ms)
        while ev is not None:
            yield ev
            if ev.type == DISCONNECTED:
                return
            ev = self.poll(0)

    def send(self, x, y, vx=0.0, vy=0.0, heading=0.0, payload=b""):
        """Sends my state with a payload of at most PAYLOAD_MAX bytes. Returns
        0, or the library's status (NOT_JOINED, -2: not in a room yet or any
        more; -3: the transport could not send)."""
        payload = _bytes(payload, "payload", PAYLOAD_MAX)
        st = State(0, 0, 0, x, y, vx, vy, heading)
        rc = lib.ricochet_send_state_payload(self._live(), C.byref(st), payload, len(payload))
        if rc in (E_INVALID, E_TOO_BIG):
            raise ValueError("state (x %r, y %r, ...): %s (positions and speeds within "
                             "1e6)" % (x, y, lib.ricochet_strerror(rc).decode()))
        return rc

    def event(self, to, data, keep=None, stay=False):
        """Sends an event of at most EVENT_MAX bytes to member `to`, or to the
        room (TO_ROOM). With keep, a key (1-32 characters 0x21-0x7e), the relay
        also keeps it for the room, the newest per key, and replays it to
        whoever joins later (their Event's kept is True); b"" clears the key;
        stay keeps it after I leave. Key and data: EVENT_MAX bytes at most.
        Returns 0, or the library's status."""
        data = _bytes(data, "event", EVENT_MAX)
        if keep is None:
            rc = lib.ricochet_send_event(self._live(), to, data, len(data))
        elif to != TO_ROOM:
            raise ValueError("a kept event goes to the room (TO_ROOM), not to %d" % to)
        else:
            rc = lib.ricochet_send_kept(self._live(), _text(keep, "keep"), data, len(data),
                                        1 if stay else 0)
        if rc in (E_INVALID, E_TOO_BIG):
            raise ValueError(lib.ricochet_strerror(rc).decode())
        return rc

    def chat(self, text):
        """Sends a chat line (1-200 bytes of printable UTF-8) to the room.
        Returns 0, or the library's status."""
        r = self._live()
        rc = lib.ricochet_send_chat(r, _text(text, "chat"))
        if rc == E_INVALID:
            raise ValueError("chat %r: 1-200 bytes of printable UTF-8" % (text,))
        return rc

    def set_mode(self, mode):
        """Switches among unsequenced, sequenced and reliable live (over ENet,
        WebRTC or QUIC). Returns 0, or -4: not on this transport."""
        mode_number = _number_of(MODES, "mode", mode)
        return lib.ricochet_set_mode(self._live(), mode_number)

    def flush(self):
        """Sends what is queued now rather than at the next poll."""
        lib.ricochet_flush(self._live())

    def members(self):
        """The members of my room (not me), a list of Member; one who left
        is listed until the next poll."""
        r = self._live()
        cap = 16
        while True:
            out = (_NativeMember * cap)()
            n = lib.ricochet_members(r, out, cap)
            if n <= cap:
                return [Member(out[i], self.player_of(out[i].id) or "") for i in range(n)]
            cap = n

    def member(self, id):
        """Member id, or None if no member has that id."""
        n = _NativeMember()
        if lib.ricochet_member(self._live(), id, C.byref(n)) != 0:
            return None
        return Member(n, self.player_of(id) or "")

    def close(self):
        """Leaves and frees the session; closing twice is fine."""
        if self.r:
            lib.ricochet_close(self.r)
        self.r = None


def _set_poll(cfg, wait_ms, interval_ms):
    """ricochet_config_set_poll from Session's poll_wait_ms and
    poll_interval_ms (as JavaScript's pollWaitMs and pollIntervalMs): an
    interval is short polling, else a wait (None: the library's 20000) long."""
    whole = lambda v, low, high: not isinstance(v, bool) and isinstance(v, int) and low <= v <= high
    if wait_ms is not None and not whole(wait_ms, 1, POLL_WAIT_MAX_MS):
        raise ValueError("poll_wait_ms %r: a long poll's wait of 1-%d ms"
                         % (wait_ms, POLL_WAIT_MAX_MS))
    if not whole(interval_ms, 0, POLL_INTERVAL_MAX_MS):
        raise ValueError("poll_interval_ms %r: 0 (long polling) or a short poll's interval "
                         "of 1-%d ms" % (interval_ms, POLL_INTERVAL_MAX_MS))
    if interval_ms or wait_ms is not None:  # both within range: the library takes them
        lib.ricochet_config_set_poll(cfg, 0 if interval_ms else wait_ms, interval_ms)

