"""The Python binding against a real relay (its port in RICOCHET_PORT; the
folder of ricochet-relay and ricochet-ticket in RICOCHET_BIN, for the tests
that run relays of their own): two sessions exchange states whose payloads
arrive byte for byte, events to the room and to one member, kept events
(a latecomer gets them after its welcome, in order, marked kept), names and chat
as str, the members with their statistics; what the library refuses raises,
before anything is sent, saying the rule; no relay, a refused connection
and a relay gone reach the game as events and EOFError; README.md's
example runs as written; a session with a rejoin window outlives its
relay's restart (one MOVED, the same key and player, the other REJOINED); a member over HTTP polling (transport "poll", long
polling and short) and an ENet member in one room exchange states and
events (a relay of its own with a poll edge), and bad polling settings
raise saying the rule; a ticketed session joins a relay that admits only
tickets, sealed; joins of any room under a prefix fill the fullest room with space,
then make the next, and a listing names them with members and capacity, in
pages (a relay with --room-list off refuses both, in words); a lobby
lists the rooms others made, then joins one, in the same session, over
ENet and TCP, and is refused over plain UDP in words; an Interp
places a player between its states, before, past and stale, fed states
late, out of order and lost, and one fed a relay's states draws between two
of them; libricochet not found says where it looked and what to set; a
closed session raises SessionClosed, never crashes."""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import ricochet

PORT = int(os.environ.get("RICOCHET_PORT", "0"))
BIN = os.environ.get("RICOCHET_BIN", "")
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def until(sessions, done, events, limit=400):
    """Polls every session (its events into events[i]) until done() or limit rounds."""
    for _ in range(limit):
        for i, s in enumerate(sessions):
            for ev in s.events(5 if i == 0 else 0):
                events[i].append(ev)
        if done():
            return True
    return False


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        return u.getsockname()[1]


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        t.bind(("127.0.0.1", 0))
        return t.getsockname()[1]


class Relay:
    """A ricochet-relay of this test's own, its log in a file; port: its enet
    edge's; ports: every edge's (more given as "--listen", URL in args), by
    its name ("enet", "poll", ...), once all of them listen."""

    def __init__(self, *args, port=0):
        self.log = tempfile.NamedTemporaryFile(prefix="relay-", suffix=".log")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "ricochet-relay"), "--listen", "enet://127.0.0.1:%d" % port] +
            list(args), stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 10
        self.ports = {}
        while len(self.ports) < 1 + args.count("--listen"):
            with open(self.log.name) as f:
                for line in f:
                    if "listening on " in line and line.rstrip().endswith(")"):
                        where, edge = line.rstrip()[:-1].rsplit(" (", 1)
                        self.ports[edge] = int(where.rsplit(":", 1)[1])
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the relay did not start: " + open(self.log.name).read())
            time.sleep(0.02)
        self.port = self.ports["enet"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.log.close()


@unittest.skipUnless(PORT, "needs a relay: RICOCHET_PORT")
class TwoSessions(unittest.TestCase):
    def setUp(self):
        self.a = ricochet.Session("127.0.0.1", PORT, "py", "pa", mode="reliable")
        self.b = ricochet.Session("127.0.0.1", PORT, "py", "pb")
        self.ev = [[], []]
        welcomed = lambda i: any(e.type == ricochet.WELCOME for e in self.ev[i])
        self.assertTrue(until([self.a, self.b], lambda: welcomed(0) and welcomed(1), self.ev))
        # each knows the other
        self.assertTrue(until([self.a, self.b],
                              lambda: any(e.type == ricochet.JOINED for e in self.ev[0]),
                              self.ev))

    def tearDown(self):
        self.a.close()
        self.b.close()

    def test_payloads_arrive_byte_for_byte(self):
        sent = {}
        for k in range(20):
            payload = bytes((k * 7 + i) % 256 for i in range(k * 50))
            self.assertEqual(self.a.send(1.0 + k, 2.0, payload=payload), 0)
            sent[k + 1] = payload  # the library numbers states from 1
        got = lambda: [e for e in self.ev[1] if e.type == ricochet.STATE]
        self.assertTrue(until([self.a, self.b], lambda: len(got()) >= 20, self.ev))
        for e in got():
            self.assertEqual(e.id, self.a.id)
            self.assertEqual(e.data, sent[e.state.seq])
        self.assertEqual(self.a.send(1, 1, payload=b"\0" * ricochet.PAYLOAD_MAX), 0)

    def test_events_to_the_room_and_to_one(self):
        self.assertEqual(self.a.event(ricochet.TO_ROOM, b"\x00tag\xff"), 0)
        self.assertEqual(self.a.event(self.b.id, bytes(range(256)) * 4), 0)
        got = lambda: [e for e in self.ev[1] if e.type == ricochet.EVENT]
        self.assertTrue(until([self.a, self.b], lambda: len(got()) >= 2, self.ev))
        first, second = got()[:2]
        self.assertEqual((first.id, first.name, first.code, first.data),
                         (self.a.id, "pa", "room", b"\x00tag\xff"))
        self.assertEqual((second.code, second.data), ("direct", bytes(range(256)) * 4))
        self.assertEqual(self.a.event(4000, b"x"), 0)  # the relay answers no_member
        errs = lambda: [e for e in self.ev[0] if e.type == ricochet.ERROR]
        self.assertTrue(until([self.a, self.b], lambda: len(errs()) >= 1, self.ev))
        self.assertEqual(errs()[0].code, "no_member")
        self.assertIsInstance(errs()[0].text, str)

    def test_a_latecomer_gets_the_kept_events_in_order(self):
        self.assertEqual(self.a.event(ricochet.TO_ROOM, b"pb", keep="it"), 0)
        self.assertEqual(self.a.event(ricochet.TO_ROOM, b"1:0", keep="score", stay=True), 0)
        self.assertEqual(self.a.event(ricochet.TO_ROOM, b"pa", keep="it"), 0)
        live = lambda: [e for e in self.ev[1] if e.type == ricochet.EVENT]
        self.assertTrue(until([self.a, self.b], lambda: len(live()) >= 3, self.ev))
        self.assertEqual([(e.key, e.kept) for e in live()],
                         [("it", False), ("score", False), ("it", False)])
        with self.assertRaises(ValueError):
            self.a.event(self.b.id, b"x", keep="it")  # kept events go to the room
        with self.assertRaises(ValueError):
            self.a.event(ricochet.TO_ROOM, b"x", keep="a b")
        with ricochet.Session("127.0.0.1", PORT, "py", "late") as c:
            ev = self.ev + [[]]
            kept = lambda: [e for e in ev[2] if e.type == ricochet.EVENT]
            self.assertTrue(until([self.a, self.b, c], lambda: len(kept()) >= 2, ev))
            self.assertEqual(ev[2][0].type, ricochet.WELCOME)
            self.assertEqual([(e.id, e.key, e.data, e.kept) for e in kept()],
                             [(self.a.id, "score", b"1:0", True), (self.a.id, "it", b"pa", True)])

    def test_a_name_in_hangul_and_in_vietnamese(self):
        with ricochet.Session("127.0.0.1", PORT, "py", "민수") as c, \
                ricochet.Session("127.0.0.1", PORT, "py", "Nguyễn Văn An") as d:
            ev = self.ev + [[], []]
            names = lambda: {e.name for e in ev[0] if e.type == ricochet.JOINED}
            self.assertTrue(until([self.a, self.b, c, d],
                                  lambda: {"민수", "Nguyễn Văn An"} <= names(), ev))
            self.assertTrue(until([self.a, self.b, c, d],
                                  lambda: any(m.name == "민수" for m in d.members()), ev))
            self.assertEqual(self.a.member(c.id).name, "민수")

    def test_names_and_chat_are_str(self):
        joined = [e for e in self.ev[0] if e.type == ricochet.JOINED][0]
        self.assertEqual((joined.id, joined.name), (self.b.id, "pb"))
        self.assertEqual(self.b.chat("héllo ✓"), 0)
        chats = lambda: [e for e in self.ev[0] if e.type == ricochet.CHAT]
        self.assertTrue(until([self.a, self.b], lambda: chats(), self.ev))
        self.assertEqual((chats()[0].name, chats()[0].text), ("pb", "héllo ✓"))

    def test_members_with_their_statistics(self):
        # a latency needs both clocks' offsets to the relay, and b's announced
        # to a: wait for both, then a few rounds for b's announcement to land
        clocks = lambda: self.a.clock().known and self.b.clock().known
        self.assertTrue(until([self.a, self.b], clocks, self.ev))
        until([self.a, self.b], lambda: False, self.ev, limit=40)
        for k in range(10):
            self.assertEqual(self.b.send(5.0 + k, 6.0, vx=1.5), 0)
        seen = lambda: [m for m in self.a.members() if m.state is not None and m.state.seq == 10]
        self.assertTrue(until([self.a, self.b], lambda: seen(), self.ev))
        (m,) = self.a.members()
        self.assertEqual((m.id, m.name, m.state.x, m.state.vx), (self.b.id, "pb", 14.0, 1.5))
        self.assertEqual((m.stats.received, m.stats.lost), (10, 0))
        self.assertGreater(m.last_recv_us, 0)
        self.assertEqual(self.a.member(self.b.id).name, "pb")
        self.assertIsNone(self.a.member(4000))
        self.assertTrue(self.a.joined and self.b.joined)
        self.assertEqual(self.a.relay, ("127.0.0.1", PORT))
        self.assertEqual((self.a.mode, self.b.mode), ("reliable", "unsequenced"))
        self.assertEqual(self.a.transport, "default")
        self.assertGreaterEqual(self.a.fileno(), 0)
        self.assertNotEqual(self.a.fileno(), self.b.fileno())
        self.assertEqual(self.a.end_reason, "")
        self.assertIsInstance(self.a.clock().known, bool)
        self.assertGreaterEqual(self.a.latency().count, 10)
        self.assertEqual(self.a.set_mode("sequenced"), 0)
        self.assertEqual(self.a.mode, "sequenced")

    def test_an_interp_fed_the_relays_states(self):
        for k in range(10):  # 20 ms apart, x 10 a state
            self.assertEqual(self.a.send(10.0 * k, 5.0), 0)
            time.sleep(0.02)
        got = lambda: [e for e in self.ev[1] if e.type == ricochet.STATE]
        self.assertTrue(until([self.a, self.b], lambda: len(got()) >= 10, self.ev))
        with ricochet.Interp() as ip:
            self.assertEqual(ip.at(ricochet.now_us()).kind, "none")
            for e in got():
                self.assertTrue(ip.push(e.state, e.recv_us))
            self.assertEqual(ip.latest().seq, 10)
            # the send times placed on my clock by the smallest delay seen: halfway
            # between the 5th and 6th state's places is halfway between their x
            off = min(e.recv_us - e.state.send_us for e in got())
            s5, s6 = [e.state for e in got() if e.state.seq in (5, 6)]
            p = ip.at((s5.send_us + s6.send_us) // 2 + off)
            self.assertEqual((p.kind, p.seq_a, p.seq_b), ("between", 5, 6))
            self.assertAlmostEqual(p.x, 45.0, delta=0.5)
            self.assertEqual(p.y, 5.0)
            self.assertEqual(ip.at(ricochet.now_us() + 5000000).kind, "stale")

    def test_refused_before_sending(self):
        with self.assertRaises(ValueError) as why:
            self.a.send(1, 1, payload=b"x" * (ricochet.PAYLOAD_MAX + 1))
        self.assertIn("too big", str(why.exception))
        with self.assertRaises(ValueError):
            self.a.event(ricochet.TO_ROOM, b"x" * (ricochet.EVENT_MAX + 1))
        with self.assertRaises(TypeError):
            self.a.event(ricochet.TO_ROOM, None)
        with self.assertRaises(TypeError):
            self.a.send(1, 1, payload=None)
        with self.assertRaises(TypeError):
            self.a.chat(None)
        with self.assertRaises(ValueError):
            self.a.send(float("nan"), 1)
        with self.assertRaises(ValueError):
            self.a.chat("")


class BadNames(unittest.TestCase):
    """Each mistake named, with the rule, before anything is sent."""

    def test_the_rule_in_words(self):
        for room, name, what in (("a b", "n", "room 'a b'"), ("", "n", "room ''"),
                                 ("é", "n", "room 'é'")):
            with self.assertRaises(ValueError) as why:
                ricochet.Session("127.0.0.1", 7777, room, name)
            self.assertIn(what, str(why.exception))
            self.assertIn("1-32 characters of A-Z a-z 0-9 _ . -", str(why.exception))
        # a player's name in any script; a refusal says which part of the rule
        for name, why_words in (("x" * 33, "may not be longer than 32 bytes of UTF-8"),
                                ("민수" * 6, "may not be longer than 32 bytes of UTF-8 (this one is 36;"),
                                ("a\x1b[2J", "may not hold control characters (U+001B)"),
                                ("\u202e민수", "may not hold invisible format characters (U+202E)"),
                                ("  ", "may not be only spaces"), ("", "may not be empty")):
            with self.assertRaises(ValueError) as why:
                ricochet.Session("127.0.0.1", 7777, "r", name)
            self.assertIn("name %r: a name %s" % (name, why_words), str(why.exception))
        with self.assertRaises(ValueError) as why:
            ricochet.Session("127.0.0.1", 7777, "r")
        self.assertIn("room and name are required", str(why.exception))
        for port in (0, 70000, -1, "7777"):
            with self.assertRaises(ValueError) as why:
                ricochet.Session("127.0.0.1", port, "r", "n")
            self.assertIn("1-65535", str(why.exception))
        for kw, words in ((dict(mode="fast"), "mode 'fast': one of unsequenced"),
                          (dict(timeout_ms=0), "timeout_ms 0: 1-3600000 ms"),
                          (dict(rejoin_after_ms=50), "rejoin_after_ms 50: 100-3600000"),
                          (dict(ticket="nope"), "ticket: not a ticket"),
                          (dict(aoi=-1.0), "aoi -1.0"),
                          (dict(transport="pigeon"), "transport 'pigeon': one of default, "
                           "webrtc, quic, webtransport, poll"),
                          (dict(transport="poll"), "mode 'unsequenced': transport 'poll' "
                           "carries the mode tcp"),
                          (dict(mode="tcp", transport="poll", poll_wait_ms=25001),
                           "poll_wait_ms 25001: a long poll's wait of 1-25000 ms"),
                          (dict(mode="tcp", transport="poll", poll_wait_ms=0),
                           "poll_wait_ms 0: a long poll's wait of 1-25000 ms"),
                          (dict(mode="tcp", transport="poll", poll_interval_ms=10001),
                           "poll_interval_ms 10001: 0 (long polling) or a short poll's "
                           "interval of 1-10000 ms"),
                          (dict(mode="tcp", transport="poll", poll_interval_ms=-5),
                           "poll_interval_ms -5: 0 (long polling)")):
            with self.assertRaises(ValueError) as why:
                ricochet.Session("127.0.0.1", 7777, "r", "n", **kw)
            self.assertIn(words, str(why.exception))
        with self.assertRaises(ValueError) as why:
            ricochet.Session("", 7777, "r", "n")
        self.assertIn("host ''", str(why.exception))
        with self.assertRaises(TypeError):
            ricochet.Session("127.0.0.1", 7777, b"r", "n")


class NoRelay(unittest.TestCase):
    """Nothing there: an event the game can handle, then EOFError; never a crash."""

    def ends(self, s, limit_s):
        t0, evs = time.monotonic(), []
        with self.assertRaises(EOFError) as why:
            while time.monotonic() - t0 < limit_s:
                evs.extend(s.events(10))
        self.assertTrue(s.end_reason)
        self.assertEqual(str(why.exception), s.end_reason)
        self.assertEqual(evs[-1].type, ricochet.DISCONNECTED)
        return evs[-1], time.monotonic() - t0

    def test_no_answer_within_the_timeout(self):
        # a port held by a socket that never answers: no ICMP, only silence
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
            mute.bind(("127.0.0.1", 0))
            with ricochet.Session("127.0.0.1", mute.getsockname()[1], "r", "n",
                                  timeout_ms=300) as s:
                last, took = self.ends(s, 5)
        self.assertEqual(last.code, "timeout")
        self.assertLess(took, 2.5)  # the timeout asked for, not the default 5 s

    def test_nothing_listens_ends_at_once(self):
        port = free_udp_port()
        with ricochet.Session("127.0.0.1", port, "r", "n", timeout_ms=3000) as s:
            last, took = self.ends(s, 5)
            self.assertEqual(last.code, "refused")
            self.assertLess(took, 1.0)  # at once: the port unreachable, not the timeout
            self.assertIn("nothing listens at 127.0.0.1:%d" % port, last.text)
            with self.assertRaises(EOFError):
                s.poll(0)

    def test_a_refused_connection(self):
        port = free_tcp_port()
        with ricochet.Session("127.0.0.1", port, "r", "n", mode="tcp") as s:
            last, took = self.ends(s, 5)
            self.assertEqual(last.code, "refused")
            self.assertLess(took, 2.5)  # at once, not at the timeout
            self.assertIn("at 127.0.0.1:%d (expected: a relay's tcp edge); start ricochet-relay "
                          "--listen tcp://127.0.0.1:%d" % (port, port), last.text)

    def test_a_host_not_resolved(self):
        with self.assertRaises(ConnectionError) as why:
            ricochet.Session("no-such-host.invalid", 7777, "r", "n")
        self.assertIn("no-such-host.invalid", str(why.exception))


@unittest.skipUnless(BIN, "runs relays of its own: RICOCHET_BIN")
class RelaysOfItsOwn(unittest.TestCase):
    def play(self, sessions, seconds, done=lambda evs: False):
        """Frames of 20 ms for up to seconds, or until done(events): each session
        takes what came and sends a state; the events per session."""
        evs = [[] for _ in sessions]
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds and not done(evs):
            for i, s in enumerate(sessions):
                try:
                    evs[i].extend(s.events(0))
                    s.send(1.0 + i, 2.0, payload=b"p%d" % i)
                except EOFError:
                    pass
            time.sleep(0.02)
        return evs

    def test_a_relay_gone_ends_the_session(self):
        relay = Relay()
        try:
            with ricochet.Session("127.0.0.1", relay.port, "gone", "a", timeout_ms=1000) as s:
                self.play([s], 5, lambda e: any(x.type == ricochet.WELCOME for x in e[0]))
                relay.stop()
                evs = self.play([s], 5, lambda e: any(x.type == ricochet.DISCONNECTED
                                                      for x in e[0]))[0]
                self.assertEqual(evs[-1].type, ricochet.DISCONNECTED, evs)
                with self.assertRaises(EOFError):
                    s.poll(0)
        finally:
            relay.stop()

    def test_rejoin_outlives_a_lone_relay_restart(self):
        relay = Relay()
        port = relay.port
        kw = dict(rejoin_ms=15000, rejoin_after_ms=500)
        a = ricochet.Session("127.0.0.1", port, "again", "a", **kw)
        b = ricochet.Session("127.0.0.1", port, "again", "b", **kw)
        try:
            both = lambda evs: all(any(e.type == ricochet.STATE for e in x) for x in evs)
            self.assertTrue(both(self.play([a, b], 10, both)))
            keys, players = [a.key, b.key], [a.player, b.player]
            self.assertRegex(a.key, "^[0-9a-f]{32}$")
            self.assertRegex(a.player, "^[0-9a-f]{16}$")
            self.assertEqual(a.member(b.id).player, b.player)  # never the key
            relay.stop()
            time.sleep(0.3)
            relay = Relay(port=port)  # the same address, a relay that knows no one
            back = lambda evs: all(any(e.type == ricochet.STATE for e in x) and
                                   any(e.type == ricochet.WELCOME for e in x) and
                                   any(e.type == ricochet.REJOINED for e in x) for x in evs)
            evs = self.play([a, b], 20, back)
            for i, x in enumerate(evs):
                types = [e.type for e in x]
                self.assertEqual(types.count(ricochet.MOVED), 1)  # one a move
                self.assertNotIn(ricochet.DISCONNECTED, types)
                self.assertNotIn(ricochet.LEFT, types)  # the other is back: not left, joined
                self.assertNotIn(ricochet.JOINED, types)
                s, other = [(a, b), (b, a)][i]
                self.assertEqual((s.key, s.player), (keys[i], players[i]))
                again = [e for e in x if e.type == ricochet.REJOINED][0]
                self.assertEqual(s.player_of(again.id), players[1 - i])
                self.assertEqual(again.id, other.id)
                moved = [e for e in x if e.type == ricochet.MOVED][0]
                self.assertEqual((moved.code, moved.text), ("rejoin", "127.0.0.1:%d" % port))
                self.assertLess(types.index(ricochet.MOVED), types.index(ricochet.WELCOME))
            self.assertTrue(back(evs), evs)
            self.assertTrue(a.joined and b.joined)
            self.assertEqual([m.name for m in a.members()], ["b"])
        finally:
            a.close()
            b.close()
            relay.stop()

    def test_over_http_polling_long_and_short(self):
        relay = Relay("--listen", "poll://127.0.0.1:0")
        ps = []
        try:
            for n, kw in enumerate((dict(), dict(poll_wait_ms=2000), dict(poll_interval_ms=50))):
                room = "http%d" % n  # long polling, the default's and a shorter wait; short
                e = ricochet.Session("127.0.0.1", relay.port, room, "e%d" % n)
                p = ricochet.Session("127.0.0.1", relay.ports["poll"], room, "p%d" % n,
                                     mode="tcp", transport="poll", **kw)
                ps += [e, p]
                self.assertEqual((p.transport, p.mode), ("poll", "tcp"))
                states = lambda evs: all(
                    any(x.type == ricochet.STATE and x.data == b"p%d" % (1 - i) for x in evs[i])
                    for i in (0, 1))
                evs = self.play([e, p], 15, states)
                self.assertTrue(states(evs), (kw, evs))
                self.assertEqual(e.event(p.id, b"to the poller"), 0)
                self.assertEqual(p.event(ricochet.TO_ROOM, b"\x00from the poller\xff"), 0)
                got = lambda evs, i: [x for x in evs[i] if x.type == ricochet.EVENT]
                evs = self.play([e, p], 15, lambda evs: got(evs, 0) and got(evs, 1))
                self.assertEqual([(x.id, x.code, x.data) for x in got(evs, 1)],
                                 [(e.id, "direct", b"to the poller")], kw)
                self.assertEqual([(x.id, x.name, x.code, x.data) for x in got(evs, 0)],
                                 [(p.id, "p%d" % n, "room", b"\x00from the poller\xff")], kw)
                e.close()
                p.close()
        finally:
            for s in ps:
                s.close()
            relay.stop()

    def wait(self, sessions, who, type_, limit_s=5):
        """Polls every session until sessions[who] has an event of type_; it."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit_s:
            for i, s in enumerate(sessions):
                for ev in s.events(10 if i == who else 0):
                    if i == who and ev.type == type_:
                        return ev
        self.fail("no event %d for session %d within %d s" % (type_, who, limit_s))

    def test_any_room_with_space_and_a_listing(self):
        relay = Relay("--max-room-size", "2")
        ps = []
        try:
            for i, want in enumerate(("duel-1", "duel-1", "duel-2")):  # one after the other
                ps.append(ricochet.Session("127.0.0.1", relay.port, "duel-", "p%d" % i,
                                           any_room=True))
                self.assertEqual(ps[i].room, "duel-")  # the prefix until the welcome
                self.wait(ps, i, ricochet.WELCOME)
                self.assertEqual(ps[i].room, want)
            ps.append(ricochet.Session("127.0.0.1", relay.port, "lobby", "q"))
            self.wait(ps, 3, ricochet.WELCOME)
            self.assertEqual(ps[3].room, "lobby")
            s = ps[2]
            self.assertEqual(s.rooms(), ([], False))  # none asked for yet
            self.assertEqual(s.list_rooms("duel-"), 0)
            ev = self.wait(ps, 2, ricochet.ROOMS)
            self.assertEqual(ev.text, "duel-")
            rooms, more = s.rooms()
            self.assertFalse(more)
            self.assertEqual([(r.name, r.members, r.capacity, r.full) for r in rooms],
                             [("duel-1", 2, 2, True), ("duel-2", 1, 2, False)])
            self.assertEqual(s.list_rooms(), 0)  # every room
            self.wait(ps, 2, ricochet.ROOMS)
            self.assertEqual([r.name for r in s.rooms()[0]], ["duel-1", "duel-2", "lobby"])
            self.assertEqual(s.list_rooms(after="duel-2"), 0)  # the next page after a name
            self.assertEqual(self.wait(ps, 2, ricochet.ROOMS).text, "")
            self.assertEqual([r.name for r in s.rooms()[0]], ["lobby"])
            with self.assertRaises(ValueError) as why:
                s.list_rooms("a b")
            self.assertIn("0-32 characters of A-Z a-z 0-9 _ . -", str(why.exception))
            with self.assertRaises(TypeError):
                s.list_rooms(None)
            with self.assertRaises(ValueError) as why:
                ricochet.Session("127.0.0.1", relay.port, "x" * 29, "n", any_room=True)
            self.assertIn("with any_room, a prefix of 1-28 characters", str(why.exception))
            late = ricochet.Session("127.0.0.1", relay.port, "duel-", "late", any_room=True)
            ps.append(late)
            self.assertEqual(late.list_rooms(), ricochet.NOT_JOINED)  # before the welcome
            self.wait(ps, 4, ricochet.WELCOME)
            self.assertEqual(late.room, "duel-2")  # the fullest with space
        finally:
            for s in ps:
                s.close()
            relay.stop()
        with self.assertRaises(ricochet.SessionClosed):
            s.rooms()

    def test_a_lobby_lists_then_joins(self):
        relay = Relay("--listen", "tcp://127.0.0.1:0")
        ps = []
        try:
            for i, room in enumerate(("arena-1", "arena-2")):  # rooms others made
                ps.append(ricochet.Session("127.0.0.1", relay.port, room, "maker%d" % i))
                self.wait(ps, i, ricochet.WELCOME)
            for mode, port in (("reliable", relay.port), ("tcp", relay.ports["tcp"])):
                lobby = ricochet.Session("127.0.0.1", port, None, "looker-" + mode, mode,
                                         lobby=True)
                ps.append(lobby)
                self.assertEqual(lobby.list_rooms("arena-"), 0)  # goes once connected
                self.wait(ps, len(ps) - 1, ricochet.ROOMS)
                self.assertFalse(lobby.joined)
                rooms, _ = lobby.rooms()
                self.assertEqual([r.name for r in rooms], ["arena-1", "arena-2"])
                self.assertEqual(lobby.join(rooms[1].name), 0)  # the click
                self.assertEqual(lobby.join(rooms[1].name), -4)  # once
                self.wait(ps, len(ps) - 1, ricochet.WELCOME)
                self.assertEqual(lobby.room, "arena-2")
            with self.assertRaises(ConnectionError) as why:
                ricochet.Session("127.0.0.1", relay.port, None, "u", "udp", lobby=True)
            self.assertIn("plain UDP lists only to members", str(why.exception))
            with self.assertRaises(ValueError):
                ps[0].join("a b")
            self.assertEqual(ps[0].join("arena-2"), -4)  # joined at connect: no lobby
        finally:
            for s in ps:
                s.close()
            relay.stop()

    def test_rooms_with_properties(self):
        relay = Relay("--max-room-size", "8")
        ps = []
        try:
            def join(room, name, event, **kw):
                ps.append(ricochet.Session("127.0.0.1", relay.port, room, name, **kw))
                ev = self.wait(ps, len(ps) - 1, event)
                if event == ricochet.DISCONNECTED:  # over: polled no more
                    ps.pop().close()
                return ev
            join("arena-1", "a", ricochet.WELCOME, props={"map": "dust"}, size=2)
            join("arena-2", "b", ricochet.WELCOME, props={"map": "mill"})
            join("arena-", "c", ricochet.WELCOME, any_room=True, match={"map": "dust"})
            self.assertEqual(ps[2].room, "arena-1")  # by its props, though arena-2 has room
            self.assertEqual(ps[0].list_rooms(match={"map": "dust"}), 0)
            self.wait(ps, 0, ricochet.ROOMS)
            self.assertEqual([(r.name, r.members, r.capacity, r.props, r.open)
                              for r in ps[0].rooms()[0]],
                             [("arena-1", 2, 2, {"map": "dust"}, True)])
            self.assertEqual(join("arean", "d", ricochet.DISCONNECTED, exists=True).code,
                             "no_such_room")
            join("game", "e", ricochet.WELCOME, open=False)
            self.assertEqual(join("game", "f", ricochet.DISCONNECTED).code, "room_closed")
            self.assertEqual(ps[2].set_room(open=False), 0)  # not arena-1's creator
            self.assertEqual(self.wait(ps, 2, ricochet.ERROR).code, "not_creator")
            self.assertFalse(ps[2].room_mine)
            ps.pop(0).close()  # arena-1's creator leaves: c has it now, and is told
            left = self.wait(ps, 1, ricochet.LEFT)
            self.assertEqual((left.name, left.creator), ("a", ps[1].player))
            self.assertTrue(ps[1].room_mine)
            with self.assertRaises(ValueError) as why:
                ricochet.Session("127.0.0.1", relay.port, "x", "g",
                                 props={"k%d" % i: "v" for i in range(9)})
            self.assertIn("at most 8 keys", str(why.exception))
        finally:
            for s in ps:
                s.close()
            relay.stop()

    def test_room_list_off_says_so(self):
        relay = Relay("--room-list", "off")
        try:
            with ricochet.Session("127.0.0.1", relay.port, "duel-", "a", any_room=True) as s:
                ev = self.wait([s], 0, ricochet.DISCONNECTED)
                self.assertEqual(ev.code, "listing_off")
                self.assertIn("--room-list off", s.end_reason)
            with ricochet.Session("127.0.0.1", relay.port, "lobby", "b") as s:
                self.wait([s], 0, ricochet.WELCOME)
                self.assertEqual(s.list_rooms(), 0)
                self.assertEqual(self.wait([s], 0, ricochet.ERROR).code, "listing_off")
                self.assertTrue(s.joined)
                self.assertEqual(s.rooms(), ([], False))
        finally:
            relay.stop()

    def test_a_ticket_admits_and_seals(self):
        with tempfile.TemporaryDirectory() as d:
            key = os.path.join(d, "backend.key")
            tool = os.path.join(BIN, "ricochet-ticket")
            subprocess.run([tool, "keygen", key], check=True, stdout=subprocess.DEVNULL)
            mint = lambda name: subprocess.run(
                [tool, "mint", "--key", key, "--room", "vip", "--name", name], check=True,
                stdout=subprocess.PIPE, text=True).stdout.strip()
            relay = Relay("--ticket-key", key, "--encrypt")
            try:
                a = ricochet.Session("127.0.0.1", relay.port, ticket=mint("ana"))
                # as read from a file, its newline too
                b = ricochet.Session("127.0.0.1", relay.port, ticket=mint("bo") + "\n")
                plain = ricochet.Session("127.0.0.1", relay.port, "vip", "eve")
                with a, b, plain:
                    done = lambda evs: (any(e.type == ricochet.STATE for e in evs[0]) and
                                        any(e.type == ricochet.DISCONNECTED for e in evs[2]))
                    evs = self.play([a, b, plain], 10, done)
                    self.assertTrue(a.sealed and b.sealed)
                    self.assertEqual(a.member(b.id).name, "bo")
                    got = [e for e in evs[0] if e.type == ricochet.STATE][0]
                    self.assertEqual(got.data, b"p1")
                    self.assertEqual(evs[2][-1].code, "ticket_required")
            finally:
                relay.stop()

    def test_a_backend_mints_tickets(self):
        with tempfile.TemporaryDirectory() as d:
            key, other = os.path.join(d, "backend.key"), os.path.join(d, "other.key")
            tool = os.path.join(BIN, "ricochet-ticket")
            for k in (key, other):
                subprocess.run([tool, "keygen", k], check=True, stdout=subprocess.DEVNULL)
            relay = Relay("--ticket-key", key, "--encrypt")
            try:
                ticket = ricochet.mint_ticket(key, "vip", "ana", ttl_s=60)
                self.assertNotIn("\n", ticket)
                with ricochet.Session("127.0.0.1", relay.port, ticket=ticket + "\n") as a:
                    self.wait([a], 0, ricochet.WELCOME)
                    self.assertTrue(a.sealed)
                    self.assertEqual(a.room, "vip")
                wrong = ricochet.mint_ticket(other, "vip", "eve", ttl_s=60)
                with ricochet.Session("127.0.0.1", relay.port, ticket=wrong) as e:
                    self.assertIn("ticket_tampered",
                                  self.wait([e], 0, ricochet.DISCONNECTED).code)
            finally:
                relay.stop()
            with self.assertRaisesRegex(ValueError, "room"):
                ricochet.mint_ticket(key, "a b", "ana")
        with self.assertRaisesRegex(ValueError, "No such file"):
            ricochet.mint_ticket(key, "vip", "ana")  # the folder is gone


class Interpolation(unittest.TestCase):
    """ricochet.Interp as a game uses it, no relay needed: a player's states
    50 ms apart (x = seq, vx 20/s) received 30 ms late, seq 5 at 80 ms, seq 4
    lost, seq 6 before 5."""

    MS = 1000

    def state(self, seq):
        return ricochet.State(sender=7, seq=seq, send_us=1000000 + seq * 50 * self.MS, x=seq,
                              y=2.0, vx=20.0)

    def test_between_before_past_and_stale(self):
        ms, ip = self.MS, ricochet.Interp(extrapolate_ms=250, max_gap_ms=1000)
        self.assertEqual(repr(ip.at(5 * ms)), "Point(kind='none', x=0, y=0, seq_a=0, seq_b=0)")
        self.assertIsNone(ip.latest())
        for seq in (0, 1, 2, 3, 6, 5, 7, 8, 9):
            st = self.state(seq)
            self.assertTrue(ip.push(st, st.send_us + (80 if seq == 5 else 30) * ms))
        self.assertFalse(ip.push(st, st.send_us + 40 * ms))  # again
        self.assertEqual(ip.latest().seq, 9)
        local0 = 1000000 + 30 * ms
        p = ip.at(local0 + 125 * ms)  # halfway between 2 and 3
        self.assertEqual((p.kind, p.seq_a, p.seq_b, p.y), ("between", 2, 3, 2.0))
        self.assertAlmostEqual(p.x, 2.5, places=4)
        p = ip.at(local0 + 210 * ms)  # across the lost 4
        self.assertEqual((p.kind, p.seq_a, p.seq_b), ("between", 3, 5))
        self.assertAlmostEqual(p.x, 4.2, places=4)
        self.assertEqual(ip.at(local0 - ms).kind, "before")
        p = ip.at(local0 + 550 * ms)  # 100 ms past the newest, along vx
        self.assertEqual(p.kind, "extrapolated")
        self.assertAlmostEqual(p.x, 9 + 20 * 0.1, places=4)
        p = ip.at(local0 + 2000 * ms)  # held at 250 ms past it
        self.assertEqual(p.kind, "stale")
        self.assertAlmostEqual(p.x, 9 + 20 * 0.25, places=4)
        ip.clear()
        self.assertEqual(ip.at(local0).kind, "none")
        self.assertIsNone(ip.latest())
        ip.close()
        ip.close()  # twice is fine
        with self.assertRaises(ValueError):
            ip.at(0)

    def test_refusals(self):
        for gap in (0, 3600001):
            with self.assertRaises(ValueError) as why:
                ricochet.Interp(max_gap_ms=gap)
            self.assertIn("1-3600000 ms", str(why.exception))
        with self.assertRaises(TypeError):
            ricochet.Interp().push(None, 0)
        self.assertEqual(ricochet.lib.ricochet_interp_at(None, 0, None), -1)
        self.assertEqual(ricochet.lib.ricochet_interp_push(None, None, 0), -1)


class ReadmeExample(unittest.TestCase):
    """README.md's example, as written, run as a program of its own in a folder
    of its own, the package on its path: only the relay's port is the test's."""

    WRITTEN = '"127.0.0.1", 7777,'

    def run_example(self, port, player=None):
        """Runs the example against port; player(lines) is called every 20 ms
        while it runs (lines: its output so far). Its exit code and output."""
        with open(os.path.join(HERE, "README.md")) as f:
            example = f.read()
        example = example.split("```python\n", 1)[1].split("```", 1)[0]
        self.assertIn(self.WRITTEN, example)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "game.py"), "w") as f:
                f.write(example.replace(self.WRITTEN, '"127.0.0.1", %d,' % port))
            env = dict(os.environ, PYTHONPATH=HERE, PYTHONUNBUFFERED="1")
            # Read through an open file of our own: one shared with the
            # program shares its offset, and a seek here would move where
            # the program writes next.
            path = os.path.join(d, "out.txt")
            with open(path, "w") as out, open(path) as seen:
                proc = subprocess.Popen([sys.executable, "game.py"], cwd=d, env=env, stdout=out,
                                        stderr=subprocess.PIPE, text=True)
                t0 = time.monotonic()
                while proc.poll() is None and time.monotonic() - t0 < 30:
                    if player:
                        seen.seek(0)
                        player(seen.read().split("\n")[:-1])  # whole lines
                    time.sleep(0.02)
                err = proc.communicate(timeout=10)[1]
                seen.seek(0)
                return proc.returncode, seen.read(), err

    @unittest.skipUnless(PORT, "needs a relay: RICOCHET_PORT")
    def test_with_another_player(self):
        bo, got = None, []

        def player(lines):
            nonlocal bo
            if bo is None and any(l.startswith("joined as ") for l in lines):
                bo = ricochet.Session("127.0.0.1", PORT, "lobby", "bo")
            if bo is not None:
                for ev in bo.events(0):
                    got.append(ev)
                    if ev.type == ricochet.WELCOME:
                        bo.event(ricochet.TO_ROOM, b"hi py")
                bo.send(7.0, 8.0, payload=b"\x01\x02")

        try:
            code, out, err = self.run_example(PORT, player)
            self.assertIsNotNone(bo, out)
            bo_id = bo.id
            # the example's leave reaches bo after the example's last line
            deadline = time.monotonic() + 5
            while (time.monotonic() < deadline
                   and not any(e.type == ricochet.LEFT for e in got)):
                got.extend(bo.events(100))
        finally:
            if bo is not None:
                bo.close()
        self.assertEqual((code, err), (0, ""), out)
        self.assertRegex(out, r"(?m)^joined as \d+$")
        self.assertRegex(out, r"(?m)^state of %d 7\.0 8\.0 b'\\x01\\x02'$" % bo_id)
        self.assertRegex(out, r"(?m)^event from bo hi py$")
        # the example's count of bo's states: loopback loses none, but a
        # relay on a loaded machine may shed one as stale (unsequenced)
        seen = re.search(r"(?m)^bo received (\d+) lost (\d+)$", out)
        self.assertIsNotNone(seen, out)
        self.assertLessEqual(int(seen.group(2)), max(1, int(seen.group(1)) // 20), out)
        states = [e for e in got if e.type == ricochet.STATE]
        self.assertTrue(states and states[-1].data == b"\xff\x00\x00", got)
        events = [e for e in got if e.type == ricochet.EVENT]
        self.assertEqual([(e.name, e.data) for e in events], [("py", b"hello bo")])
        left = [e for e in got if e.type == ricochet.LEFT]
        self.assertEqual([e.name for e in left], ["py"])  # it left when it was done

    def test_with_no_relay(self):
        port = free_udp_port()
        code, out, err = self.run_example(port)
        self.assertEqual((code, err), (0, ""), out)
        # the words README.md shows, where it looked and what to start
        words = ("nothing listens at 127.0.0.1:%d (expected: a relay's enet edge); start "
                 "ricochet-relay --listen enet://127.0.0.1:%d there, or give its enet edge's "
                 "address")
        with open(os.path.join(HERE, "README.md")) as f:
            self.assertIn("`over: refused %s`" % (words % (7777, 7777)), f.read())
        said = words % (port, port)
        self.assertEqual(out.splitlines(), ["over: refused " + said, "ended: %s (refused)" % said])


class LibraryNotFound(unittest.TestCase):
    """Import fails with words: where it looked, what to set."""

    def import_with(self, env):
        env = dict(os.environ, **env)
        return subprocess.run([sys.executable, "-c", "import ricochet"], cwd=HERE, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_ricochet_lib_pointing_nowhere(self):
        run = self.import_with({"RICOCHET_LIB": "/nonexistent/libricochet.so.1"})
        self.assertNotEqual(run.returncode, 0)
        last = run.stderr.strip().splitlines()[-1]
        self.assertIn("ImportError: libricochet not found at RICOCHET_LIB=/nonexistent/", last)

    def test_not_installed(self):
        with tempfile.TemporaryDirectory() as empty:
            run = self.import_with({"RICOCHET_LIB": "", "LD_LIBRARY_PATH": empty})
            if run.returncode == 0:
                self.skipTest("libricochet is installed in the system's folders")
            last = run.stderr.strip().splitlines()[-1]
            for words in ("ImportError: libricochet not found", "LD_LIBRARY_PATH (%s)" % empty,
                          "ldconfig", "RICOCHET_LIB=",
                          "beside the package's modules"):
                self.assertIn(words, last)


class Closed(unittest.TestCase):
    def test_a_closed_session_raises(self):
        s = ricochet.Session("127.0.0.1", PORT or 7777, "py", "closed")
        s.close()
        s.close()  # twice is fine
        for call in (lambda: s.poll(0), lambda: s.send(1, 1), lambda: s.event(0, b"x"),
                     lambda: s.chat("hi"), lambda: s.id, lambda: s.members(),
                     lambda: list(s.events()), lambda: s.list_rooms(), lambda: s.rooms(),
                     lambda: s.room):
            with self.assertRaises(ricochet.SessionClosed):
                call()

    def test_the_library_takes_null(self):
        # the C calls themselves, given NULL: errors, not crashes
        self.assertEqual(ricochet.lib.ricochet_poll(None, 0, None), -1)
        self.assertEqual(ricochet.lib.ricochet_send_event(None, 0, b"x", 1), -1)
        self.assertEqual(ricochet.lib.ricochet_send_state_payload(None, None, None, 0), -1)
        self.assertEqual(ricochet.lib.ricochet_id(None), 0)
        self.assertEqual(ricochet.lib.ricochet_members(None, None, 0), 0)
        self.assertEqual(ricochet.lib.ricochet_list_rooms(None, None, None), -1)
        self.assertEqual(ricochet.lib.ricochet_rooms(None, None, 0, None), 0)


if __name__ == "__main__":
    unittest.main()
