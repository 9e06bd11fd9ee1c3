"""ricochet: libricochet from Python, through ctypes (ricochet.h mirrored); this
file, the package's entry, names the API and its modules hold it.

    with Session("127.0.0.1", 7777, "lobby", "py") as s:
        while playing:                       # the game's loop, one frame a turn
            for ev in s.events(16):          # what came; waits 16 ms at most
                if ev.type == STATE:
                    print(ev.id, ev.state.x, ev.data)   # ev.data: its payload
                elif ev.type == EVENT:
                    print(ev.name, ev.code, ev.data)    # "room" or "direct"
                elif ev.type == DISCONNECTED:
                    print(ev.code, ev.text)             # the end: why, in words
            s.send(x, y, payload=b"red")     # -2 (NOT_JOINED) until the welcome

A lobby: Session(..., "duel-", "py", any_room=True) joins the fullest room
named duel-<n> with space (s.room names it from the welcome);
s.list_rooms("duel-") asks for the relay's rooms, and on the ROOMS event
s.rooms() gives them (a list of Room, and whether more follow). A lobby that
stays (Session(..., lobby=True)): s.watch_rooms("duel-") has the relay send
a fresh page whenever its rooms change, each a ROOMS event, and
s.room_pages() iterates over them.

Drawing the others: one Interp per player, fed its STATE events
(ip.push(ev.state, ev.recv_us)), asked where to draw it a little in the
past: ip.at(now_us() - 100000), a Point (kind, x, y).

Names, codes and texts are str; payloads and events' bodies bytes. The
library is $RICOCHET_LIB if set, else the installed libricochet.so.1 (found
as the dynamic linker finds it: LD_LIBRARY_PATH, then the system's folders
that ldconfig knows), else one beside the package's modules; none found raises
ImportError saying where it looked and what to set. What the library would
refuse (a bad name, port or option, a payload over PAYLOAD_MAX, an event
over EVENT_MAX) raises ValueError, and None where bytes go TypeError,
before anything is sent; a failed connect (a host not resolved)
ConnectionError; polling a session that is over EOFError; any call on a
closed session SessionClosed.

Run as a program: python3 -m ricochet HOST PORT [ROOM] joins, sends ten
states with a payload, says so and exits 0.

The modules, each a part a reader can take alone: constants.py, ricochet.h's
numbers and the rules of names; structs.py, its structs as ctypes mirrors
them; native.py, the library loaded and its calls declared; errors.py, how
the binding refuses; received.py, Event and Member; session.py, Session;
lobby.py, the relay's rooms listed, joined and watched (Room); room.py, my
room as the relay says it and my player across sessions (RoomSettings);
lockstep.py, a lockstep room's settings (Lockstep), inputs, frames and checks;
figures.py, a session's clock and latencies (Clock); interp.py, Interp and
Point; tickets.py, mint_ticket; program.py, the package run as a program."""
__all__ = ["Session", "SessionClosed", "Event", "State", "Stats", "Member", "Clock",
           "Distribution", "Room", "Interp", "Point", "INTERP_KINDS", "PAYLOAD_MAX", "EVENT_MAX",
           "TICKET_MAX", "POLL_WAIT_MAX_MS", "POLL_INTERVAL_MAX_MS", "TO_ROOM", "ROOM_SENDER",
           "NAME_RULE", "PLAYER_RULE",
           "PREFIX_RULE", "ROOMS_PAGE", "WELCOME", "STATE", "TOO_OLD", "JOINED", "LEFT", "CHAT",
           "ERROR", "DISCONNECTED", "MOVED", "APPEARED", "VANISHED", "EVENT", "ROOMS", "REJOINED",
           "ROOM", "RoomSettings", "KEY_RULE", "FRAME", "LATE", "DESYNC", "Lockstep",
           "SLOT_EMPTY", "SLOT_PRESENT", "SLOT_REPEATED", "SLOT_LEFT", "INPUT_MAX",
           "MODES",
           "TRANSPORTS", "NOT_JOINED", "library", "version", "protocol_version", "now_us",
           "set_log"]
__version__ = "1.7.0"

# the names of __all__, and those a program reaches for beyond it, at the top as the
# one module had them (lib, api and P: the library and its calls; mint_ticket, main)
from .constants import (ANY_ROOM_MAX, APPEARED, CHAT, DESYNC, DISCONNECTED, E_INVALID,
                        E_TOO_BIG, ERROR, EVENT, EVENT_MAX, FRAME, INPUT_MAX, JOINED, KEY_RULE,
                        LATE, LEFT, MODES, MOVED, NAME_RULE, NOT_JOINED, PAYLOAD_MAX,
                        PLAYER_RULE, POLL_INTERVAL_MAX_MS,
                        POLL_WAIT_MAX_MS, PREFIX_RULE, PROPS_MAX, REJOINED, ROOM, ROOM_SENDER,
                        ROOMS, ROOMS_PAGE, SLOT_EMPTY, SLOT_LEFT, SLOT_PRESENT,
                        SLOT_REPEATED, STATE, TICKET_MAX, TO_ROOM, TOO_OLD, TRANSPORTS, VANISHED,
                        WELCOME)
from .structs import Distribution, State, Stats
from .native import P, SONAME, api, lib, library, now_us, protocol_version, set_log, version
from .errors import SessionClosed
from .received import Event, Member
from .figures import Clock
from .lobby import Room
from .room import RoomSettings
from .lockstep import Lockstep
from .interp import INTERP_KINDS, Interp, Point
from .session import Session
from .tickets import mint_ticket
from .program import _script, main
