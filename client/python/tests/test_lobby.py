"""A lobby that stays (PROTOCOL.md, "A lobby that stays"), the Python
binding against a ricochet-relay of its own (RICOCHET_BIN, as
test_session.py's): a lobby that watches the rooms (watch_rooms) is open 60
s later at the relay's defaults (its join timeout 2 s, its idle bound 30
s: the library pings), is told of a room made then within a second through
room_pages(), and once it ends its watch is closed at the join timeout
(not_joined); watch_rooms is a lobby's. RICOCHET_LOBBY_HOLD_S shortens the
60 s while developing."""
import os
import time
import unittest

import ricochet
from test_session import BIN, Relay

HOLD_S = float(os.environ.get("RICOCHET_LOBBY_HOLD_S", "60"))


@unittest.skipUnless(BIN, "runs a relay of its own: RICOCHET_BIN")
class LobbyThatStays(unittest.TestCase):
    def test_a_watching_lobby_stays_a_minute_and_is_told(self):
        relay = Relay()
        lobby = ricochet.Session("127.0.0.1", relay.port, None, "looker", lobby=True)
        maker = None
        try:
            self.assertEqual(lobby.watch_rooms("w-"), 0)  # goes once connected
            pages = lobby.room_pages(1000)
            first, t0 = None, time.monotonic()
            while first is None and time.monotonic() - t0 < 5:
                first = next(pages)
            self.assertEqual(first, ([], False))
            self.assertTrue(lobby.watching)
            until = time.monotonic() + HOLD_S
            while time.monotonic() < until:
                next(pages)  # None each second: no room changed, and still open
            self.assertTrue(lobby.watching)
            maker = ricochet.Session("127.0.0.1", relay.port, "w-late", "maker")
            t0 = time.monotonic()
            names = []
            pages = lobby.room_pages(20)  # a step each 20 ms: the maker polled too
            while "w-late" not in names and time.monotonic() - t0 < 3:
                list(maker.events(0))
                page = next(pages)
                names = [r.name for r in page[0]] if page else names
            self.assertIn("w-late", names)
            self.assertLess(time.monotonic() - t0, 1.5)  # the maker's own join counts in it
            # watch=False: the relay's join timeout counts again
            self.assertEqual(lobby.watch_rooms("w-", watch=False), 0)
            ended = None
            t0 = time.monotonic()
            while ended is None and time.monotonic() - t0 < 5:
                for ev in lobby.events(20):
                    if ev.type == ricochet.DISCONNECTED:
                        ended = ev
            self.assertIsNotNone(ended)
            self.assertEqual(ended.code, "not_joined")
        finally:
            lobby.close()
            if maker:
                maker.close()
            relay.stop()

    def test_watch_rooms_is_a_lobbys(self):
        relay = Relay()
        s = ricochet.Session("127.0.0.1", relay.port, "r", "p")
        try:
            self.assertEqual(s.watch_rooms(""), -4)  # joins at connect: no lobby
            with self.assertRaises(ValueError):
                s.watch_rooms("a b")
        finally:
            s.close()
            relay.stop()


if __name__ == "__main__":
    unittest.main()
