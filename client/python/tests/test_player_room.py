"""The Python binding's player key across processes and its view of the room,
against a real relay (its port in RICOCHET_PORT; RICOCHET_BIN for relays of
its own): a session's key, given to Session(key=...) in a new process after
the session left, is the same player (the same player id), and while the
session is still in the room its place (the same id, the others told
REJOINED); the key appears in no log line, even at debug, and a bad one is
refused without being shown; the welcome says the room's settings and owner
(owner, props, open, listed, size; is_owner), a change by its owner comes as
a ROOM event to every member; a member that is not the owner cannot clear
another's kept event (ERROR not_owner); a room kept in a relay's
--room-file outlives a SIGKILL: its settings and kept events are there for
the members that come back."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import ricochet
from test_session import BIN, HERE, PORT, Relay

RESUME = r"""
import os, sys, time
import ricochet
lines = []
ricochet.set_log(0, lambda level, line: lines.append(line))
s = ricochet.Session("127.0.0.1", int(sys.argv[1]), sys.argv[2], "ann", mode="reliable",
                     key=os.environ["PLAYER_KEY"])
t0 = time.monotonic()
while time.monotonic() - t0 < 5:
    if any(ev.type == ricochet.WELCOME for ev in s.events(10)):
        break
print(s.id, s.player, flush=True)
t0 = time.monotonic()
while time.monotonic() - t0 < float(sys.argv[3]):
    list(s.events(10))
s.close()
sys.stderr.write("\n".join(lines) + "\n")
"""


def wait(sessions, who, type_, limit_s=5, code=None):
    """Polls every session until sessions[who] has an event of type_ (and
    code); it."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        for i, s in enumerate(sessions):
            for ev in s.events(10 if i == who else 0):
                if i == who and ev.type == type_ and (code is None or ev.code == code):
                    return ev
    raise AssertionError("no event %d for session %d within %d s" % (type_, who, limit_s))


def resume(port, room, key, stay_s):
    """A new process joining room with key: (its process, its stdout)."""
    env = dict(os.environ, PLAYER_KEY=key, PYTHONPATH=HERE)
    return subprocess.Popen([sys.executable, "-c", RESUME, str(port), room, str(stay_s)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


@unittest.skipUnless(PORT, "needs a relay: RICOCHET_PORT")
class PlayerKey(unittest.TestCase):
    def pair(self, room):
        obs = ricochet.Session("127.0.0.1", PORT, room, "obs", mode="reliable")
        wait([obs], 0, ricochet.WELCOME)
        ann = ricochet.Session("127.0.0.1", PORT, room, "ann", mode="reliable")
        wait([ann, obs], 0, ricochet.WELCOME)
        wait([ann, obs], 1, ricochet.JOINED)
        return ann, obs

    def test_a_new_process_is_the_same_player(self):
        ann, obs = self.pair("pykey1")
        try:
            key, player = ann.key, ann.player
            self.assertRegex(key, "^[0-9a-f]{32}$")
            ann.close()
            wait([obs], 0, ricochet.LEFT)
            p = resume(PORT, "pykey1", key, 0.5)
            line = p.stdout.readline().split()
            self.assertEqual(line[1], player)
            ev = wait([obs], 0, ricochet.JOINED)
            self.assertEqual(obs.player_of(ev.id), player)
            _, err = p.communicate(timeout=20)
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("joined room pykey1", err)  # the debug log was on...
            self.assertNotIn(key, err)  # ... and never said the key
        finally:
            ann.close()
            obs.close()

    def test_a_new_process_takes_its_place_back(self):
        ann, obs = self.pair("pykey2")
        try:
            p = resume(PORT, "pykey2", ann.key, 1.0)
            line = p.stdout.readline().split()
            self.assertEqual((int(line[0]), line[1]), (ann.id, ann.player))
            ev = wait([obs], 0, ricochet.REJOINED)
            self.assertEqual(ev.id, ann.id)
            p.communicate(timeout=20)
            self.assertEqual(p.returncode, 0)
        finally:
            ann.close()
            obs.close()

    def test_a_bad_key_is_refused_unshown(self):
        secret = "0123456789ABCDEF0123456789ABCDEF"
        with self.assertRaises(ValueError) as e:
            ricochet.Session("127.0.0.1", PORT, "pykey3", "ann", key=secret)
        self.assertNotIn(secret, str(e.exception))
        self.assertIn("32 lowercase hex digits", str(e.exception))
        with self.assertRaises(TypeError):
            ricochet.Session("127.0.0.1", PORT, "pykey3", "ann", key=b"0" * 32)


@unittest.skipUnless(PORT, "needs a relay: RICOCHET_PORT")
class RoomSettings(unittest.TestCase):
    def test_the_welcome_and_a_change(self):
        a = ricochet.Session("127.0.0.1", PORT, "pyroom1", "ann", mode="reliable",
                             props={"map": "dust"}, size=3)
        b = None
        try:
            wait([a], 0, ricochet.WELCOME)
            if not a.owner:
                self.skipTest("this relay says no room in its welcome")
            got = a.room_settings()
            self.assertEqual((got.owner, got.props, got.open, got.listed, got.size, got.mine),
                             (a.player, {"map": "dust"}, True, True, 3, True))
            self.assertTrue(a.is_owner)
            b = ricochet.Session("127.0.0.1", PORT, "pyroom1", "bob", mode="reliable")
            wait([b, a], 0, ricochet.WELCOME)
            self.assertEqual(b.owner, a.player)
            self.assertFalse(b.is_owner)
            self.assertEqual(b.room_settings().props, {"map": "dust"})
            self.assertEqual(a.set_room(open=False, props={"map": "mill"}), 0)
            wait([b, a], 0, ricochet.ROOM)  # open, then props: a ROOM event each
            wait([b, a], 0, ricochet.ROOM)
            got = b.room_settings()
            self.assertEqual((got.props, got.open, got.owner), ({"map": "mill"}, False, a.player))
        finally:
            a.close()
            if b:
                b.close()

    def test_a_stranger_cannot_clear_anothers_kept_event(self):
        a = ricochet.Session("127.0.0.1", PORT, "pyroom2", "ann", mode="reliable")
        b = None
        try:
            wait([a], 0, ricochet.WELCOME)
            if not a.owner:
                self.skipTest("this relay says no room in its welcome")
            b = ricochet.Session("127.0.0.1", PORT, "pyroom2", "bob", mode="reliable")
            wait([b, a], 0, ricochet.WELCOME)
            self.assertEqual(b.event(ricochet.TO_ROOM, b"bob's", keep="coin0"), 0)
            wait([a, b], 0, ricochet.EVENT)
            self.assertEqual(b.event(ricochet.TO_ROOM, b"bob's too", keep="coin1"), 0)
            wait([a, b], 0, ricochet.EVENT)
            c = ricochet.Session("127.0.0.1", PORT, "pyroom2", "cid", mode="reliable")
            try:
                wait([c, a, b], 0, ricochet.WELCOME)
                self.assertEqual(c.event(ricochet.TO_ROOM, b"", keep="coin0"), 0)  # a clear of bob's
                ev = wait([c, a, b], 0, ricochet.ERROR, code="not_owner")
                self.assertIn("coin0", ev.text)
                self.assertTrue(c.joined)
                # the room's owner may
                self.assertEqual(a.event(ricochet.TO_ROOM, b"", keep="coin1"), 0)
                ev = wait([b, a, c], 0, ricochet.EVENT)
                self.assertEqual((ev.key, ev.data), ("coin1", b""))
            finally:
                c.close()
        finally:
            a.close()
            if b:
                b.close()


def keeps_rooms():
    """Does RICOCHET_BIN's relay take --room-file?"""
    out = subprocess.run([os.path.join(BIN, "ricochet-relay"), "--help"], capture_output=True,
                         text=True).stdout
    return "--room-file" in out


@unittest.skipUnless(BIN and keeps_rooms(), "needs ricochet-relay with --room-file: RICOCHET_BIN")
class RoomFile(unittest.TestCase):
    def test_a_room_outlives_a_sigkill(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rooms.json")
            relay = Relay("--room-file", path)
            port = relay.port
            a = ricochet.Session("127.0.0.1", port, "pykeep", "ann", mode="reliable",
                                 props={"map": "dust"}, size=4, rejoin_ms=10000)
            b = ricochet.Session("127.0.0.1", port, "pykeep", "bob", mode="reliable",
                                 rejoin_ms=10000)
            try:
                wait([a], 0, ricochet.WELCOME)
                wait([b, a], 0, ricochet.WELCOME)
                self.assertEqual(a.event(ricochet.TO_ROOM, b"red", keep="flag", stay=True), 0)
                wait([b, a], 0, ricochet.EVENT)
                time.sleep(0.3)  # past the relay's 100 ms of writing
                relay.proc.send_signal(signal.SIGKILL)
                relay.proc.wait(10)
                relay.stop()
                relay = Relay("--room-file", path, port=port)
                # bob, who joined without props, comes back first: the room as kept
                wait([b], 0, ricochet.WELCOME, limit_s=15)  # ann not polled yet
                got = b.room_settings()
                self.assertEqual((got.props, got.size, got.owner), ({"map": "dust"}, 4, a.player))
                wait([a, b], 0, ricochet.WELCOME, limit_s=15)
                self.assertTrue(a.is_owner)
                c = ricochet.Session("127.0.0.1", port, "pykeep", "cid", mode="reliable")
                try:
                    ev = wait([c, a, b], 0, ricochet.EVENT)
                    self.assertEqual((ev.key, ev.data, ev.kept), ("flag", b"red", True))
                finally:
                    c.close()
            finally:
                a.close()
                b.close()
                relay.stop()


if __name__ == "__main__":
    unittest.main()
