"""The package as a program sees it: `import ricochet` gives every name the
binding has (those of __all__, and the others a program or a test reaches
for: lib, mint_ticket, main, the statuses), `from ricochet import *`
exactly __all__, Session and Interp every method and property, whichever
module holds them; each module opens with a docstring that names it and
says what it holds; and `python3 -m ricochet HOST PORT` runs the program,
which with nothing listening there says why it ended and exits 1."""
import os
import socket
import subprocess
import sys
import unittest

import ricochet

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# the names of __all__, as the binding has always exported them
EXPORTED = ["Session", "SessionClosed", "Event", "State", "Stats", "Member", "Clock",
            "Distribution", "Room", "Interp", "Point", "INTERP_KINDS", "PAYLOAD_MAX",
            "EVENT_MAX", "TICKET_MAX", "POLL_WAIT_MAX_MS", "POLL_INTERVAL_MAX_MS", "TO_ROOM",
            "ROOM_SENDER", "NAME_RULE", "PLAYER_RULE", "PREFIX_RULE", "ROOMS_PAGE", "WELCOME", "STATE",
            "TOO_OLD", "JOINED", "LEFT", "CHAT", "ERROR", "DISCONNECTED", "MOVED", "APPEARED",
            "VANISHED", "EVENT", "ROOMS", "REJOINED", "ROOM", "RoomSettings", "KEY_RULE",
            "MODES", "TRANSPORTS", "NOT_JOINED", "library", "version", "protocol_version",
            "now_us", "set_log", "FRAME", "LATE", "DESYNC", "Lockstep", "SLOT_EMPTY",
            "SLOT_PRESENT", "SLOT_REPEATED", "SLOT_LEFT", "INPUT_MAX"]
# and the other names of its top level
OTHERS = ["lib", "api", "P", "SONAME", "mint_ticket", "main", "_script", "E_INVALID",
          "E_TOO_BIG", "ANY_ROOM_MAX", "PROPS_MAX", "__version__"]
SESSION = ["id", "key", "player", "player_of", "joined", "sealed", "mode", "transport",
           "fileno", "room_aoi", "relay", "room", "end_reason", "poll", "events", "send",
           "event", "chat", "set_mode", "flush", "members", "member", "list_rooms", "join",
           "rooms", "set_room", "room_mine", "is_owner", "owner", "room_settings", "clock",
           "latency", "rtt", "watch_rooms", "watching", "room_pages", "close", "__enter__",
           "__exit__", "lockstep", "lockstep_from", "lockstep_tick", "lockstep_aim",
           "send_input", "frame_input", "send_check", "lockstep_late", "lockstep_desync",
           "lockstep_player"]
INTERP = ["push", "at", "latest", "clear", "close", "__enter__", "__exit__"]


class Names(unittest.TestCase):
    def test_every_name_is_at_the_top(self):
        self.assertEqual(sorted(ricochet.__all__), sorted(EXPORTED))
        for name in EXPORTED + OTHERS:
            self.assertTrue(hasattr(ricochet, name), name)

    def test_star_gives_all(self):
        space = {}
        exec("from ricochet import *", space)
        self.assertEqual(sorted(k for k in space if k != "__builtins__"), sorted(EXPORTED))

    def test_session_and_interp_have_every_member(self):
        for cls, names in ((ricochet.Session, SESSION), (ricochet.Interp, INTERP)):
            for name in names:
                self.assertTrue(hasattr(cls, name), "%s.%s" % (cls.__name__, name))

    def test_values_are_the_library_s(self):
        self.assertEqual((ricochet.WELCOME, ricochet.ROOM), (0, 14))
        self.assertEqual((ricochet.PAYLOAD_MAX, ricochet.EVENT_MAX, ricochet.TO_ROOM,
                          ricochet.ROOM_SENDER), (1135, 4096, 0, 4294967295))
        self.assertEqual(ricochet.NOT_JOINED, -2)
        self.assertEqual((ricochet.FRAME, ricochet.DESYNC, ricochet.SLOT_LEFT,
                          ricochet.INPUT_MAX), (15, 17, 3, 255))
        self.assertIs(ricochet.Interp.push.__globals__["State"], ricochet.State)


class Modules(unittest.TestCase):
    def test_each_opens_saying_what_it_holds(self):
        folder = os.path.join(HERE, "ricochet")
        names = sorted(f for f in os.listdir(folder) if f.endswith(".py"))
        self.assertIn("session.py", names)
        for name in names:
            with open(os.path.join(folder, name)) as f:
                head = f.read(200)
            said = "ricochet:" if name == "__init__.py" else name + ":"
            self.assertTrue(head.startswith('"""' + said), name)

    def test_run_as_a_program_with_no_relay(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))  # held: nothing answers there
            port = u.getsockname()[1]
            run = subprocess.run([sys.executable, "-m", "ricochet", "127.0.0.1", str(port)],
                                 cwd=HERE, timeout=60, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        self.assertEqual(run.returncode, 1)
        self.assertTrue(run.stderr.startswith("py: "), run.stderr)


if __name__ == "__main__":
    unittest.main()
