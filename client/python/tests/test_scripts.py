"""The Python binding against a room's script (docs/scripts.md): a relay of
its own (RICOCHET_BIN) with --script-dir tests/scripts, a room that runs
bindings.lua (the script every binding's tests share): a join named
"banned" refused, an ERROR then DISCONNECTED script_refused with the
script's reason; the room's word on a join an EVENT from ROOM_SENDER,
listed as no member; the room's kept "score" cleared neither by a member
nor by the room's owner (ERROR not_owner, the session going on), and a
latecomer reading it after its WELCOME."""
import os
import time
import unittest

import ricochet
from test_player_room import wait
from test_session import BIN, HERE, Relay

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "scripts")


def ending(s, limit_s=5):
    """Polls s until its DISCONNECTED: every event it had, in order."""
    got, t0 = [], time.monotonic()
    while time.monotonic() - t0 < limit_s:
        for ev in s.events(10):
            got.append(ev)
            if ev.type == ricochet.DISCONNECTED:
                return got
    raise AssertionError("no DISCONNECTED within %d s: %r" % (limit_s, got))


def rooms_word(sessions, who, key=""):
    """Polls every session until sessions[who] has an EVENT from the room
    under key ("": one not kept); it."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:
        ev = wait(sessions, who, ricochet.EVENT)
        if ev.id == ricochet.ROOM_SENDER and ev.key == key:
            return ev
    raise AssertionError("no word of the room's under %r" % key)


@unittest.skipUnless(BIN and os.path.exists(os.path.join(SCRIPTS, "bindings.lua")),
                     "needs ricochet-relay (RICOCHET_BIN) and tests/scripts")
class RoomScript(unittest.TestCase):
    def setUp(self):
        self.relay = Relay("--script-dir", SCRIPTS)
        self.sessions = []

    def tearDown(self):
        for s in self.sessions:
            s.close()
        self.relay.stop()

    def join(self, name, **opts):
        s = ricochet.Session("127.0.0.1", self.relay.port, "pyden", name, mode="reliable", **opts)
        self.sessions.append(s)
        return s

    def test_refusal_word_and_kept_score(self):
        ann = self.join("ann", props={"script": "bindings"})
        ev = rooms_word([ann], 0, "score")
        self.assertEqual((ev.data, ev.kept, ev.name), (b"1", True, ""))
        bob = self.join("bob")
        ev = rooms_word([bob, ann], 0, "score")
        self.assertEqual(ev.data, b"2")
        ev = rooms_word([ann, bob], 0)  # bob's join, said by the room
        self.assertEqual((ev.id, ev.code, ev.data), (ricochet.ROOM_SENDER, "room", b"hello bob"))
        self.assertIsNone(ann.member(ev.id))  # no member is the room
        banned = self.join("banned")
        got = ending(banned)
        errors = [(e.code, e.text) for e in got if e.type == ricochet.ERROR]
        self.assertEqual(errors, [("script_refused", "no entry for banned")])
        self.assertEqual(got[-1].code, "script_refused")
        self.assertIn("no entry for banned", banned.end_reason)
        for s, other in ((bob, ann), (ann, bob)):  # a member's clear, then the owner's
            self.assertEqual(s.event(ricochet.TO_ROOM, b"", keep="score"), 0)
            ev = wait([s, other], 0, ricochet.ERROR)
            self.assertEqual(ev.code, "not_owner")
            self.assertIn("score", ev.text)
            self.assertTrue(s.joined)
        cy = self.join("cy")
        ev = rooms_word([cy, ann, bob], 0, "score")
        self.assertEqual((ev.data, ev.kept), (b"3", True))


if __name__ == "__main__":
    unittest.main()
