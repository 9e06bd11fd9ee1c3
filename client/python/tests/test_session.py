"""The Python binding against a real relay (its port in RICOCHET_PORT): two
sessions exchange states whose payloads arrive byte for byte, events to the
room and to one member; what the library refuses raises, before anything is
sent; a closed session raises SessionClosed, never crashes."""
import os
import unittest

import ricochet

PORT = int(os.environ.get("RICOCHET_PORT", "0"))


def until(sessions, done, events, limit=400):
    """Polls every session (its events into events[i]) until done() or limit rounds."""
    for _ in range(limit):
        for i, s in enumerate(sessions):
            ev = s.poll(5)
            while ev:
                events[i].append((ev.type, ev.id, bytes(ev.code), ev.data,
                                  ev.state.seq if ev.type == ricochet.STATE else 0))
                ev = s.poll(0)
        if done():
            return True
    return False


@unittest.skipUnless(PORT, "needs a relay: RICOCHET_PORT")
class TwoSessions(unittest.TestCase):
    def setUp(self):
        self.a = ricochet.Session("127.0.0.1", PORT, "py", "pa", mode="reliable")
        self.b = ricochet.Session("127.0.0.1", PORT, "py", "pb")
        self.ev = [[], []]
        welcomed = lambda i: any(e[0] == ricochet.WELCOME for e in self.ev[i])
        self.assertTrue(until([self.a, self.b], lambda: welcomed(0) and welcomed(1), self.ev))
        # each knows the other
        self.assertTrue(until([self.a, self.b],
                              lambda: any(e[0] == ricochet.JOINED for e in self.ev[0]),
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
        got = lambda: [e for e in self.ev[1] if e[0] == ricochet.STATE]
        self.assertTrue(until([self.a, self.b], lambda: len(got()) >= 20, self.ev))
        for _, sender, _, data, seq in got():
            self.assertEqual(sender, self.a.id)
            self.assertEqual(data, sent[seq])
        self.assertEqual(self.a.send(1, 1, payload=b"\0" * ricochet.PAYLOAD_MAX), 0)

    def test_events_to_the_room_and_to_one(self):
        self.assertEqual(self.a.event(ricochet.TO_ROOM, b"\x00tag\xff"), 0)
        self.assertEqual(self.a.event(self.b.id, bytes(range(256)) * 4), 0)
        got = lambda: [e for e in self.ev[1] if e[0] == ricochet.EVENT]
        self.assertTrue(until([self.a, self.b], lambda: len(got()) >= 2, self.ev))
        first, second = got()[:2]
        self.assertEqual((first[1], first[2], first[3]), (self.a.id, b"room", b"\x00tag\xff"))
        self.assertEqual((second[2], second[3]), (b"direct", bytes(range(256)) * 4))
        self.assertEqual(self.a.event(4000, b"x"), 0)  # the relay answers no_member
        errs = lambda: [e for e in self.ev[0] if e[0] == ricochet.ERROR]
        self.assertTrue(until([self.a, self.b], lambda: len(errs()) >= 1, self.ev))
        self.assertEqual(errs()[0][2], b"no_member")

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


class Closed(unittest.TestCase):
    def test_a_closed_session_raises(self):
        s = ricochet.Session("127.0.0.1", PORT or 7777, "py", "closed")
        s.close()
        s.close()  # twice is fine
        for call in (lambda: s.poll(0), lambda: s.send(1, 1), lambda: s.event(0, b"x"),
                     lambda: s.chat("hi"), lambda: s.id):
            with self.assertRaises(ricochet.SessionClosed):
                call()

    def test_the_library_takes_null(self):
        # the C calls themselves, given NULL: errors, not crashes
        self.assertEqual(ricochet.lib.ricochet_poll(None, 0, None), -1)
        self.assertEqual(ricochet.lib.ricochet_send_event(None, 0, b"x", 1), -1)
        self.assertEqual(ricochet.lib.ricochet_send_state_payload(None, None, None, 0), -1)
        self.assertEqual(ricochet.lib.ricochet_id(None), 0)


if __name__ == "__main__":
    unittest.main()
