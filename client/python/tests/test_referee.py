"""The Python binding in a refereed room that outlives its relay (relays of
its own, RICOCHET_BIN, with examples/scripts and tictactoe.lua pinned to
the rooms "ttt-..."): X and O play a game and two moves of the next; the
relay is SIGKILLed with --room-file and started again on its file: both
are back (MOVED "rejoin", the other told REJOINED with the id it had
before in was), the room's kept roles, score and board as they were, and
the referee plays on from them. The same after a fleet's move: two relays
sharing a redis-server, X over ENet entering through the room's relay
(relays= names the other), O over a WebSocket and a watcher polling over
HTTP entering through the other; the room's relay is SIGKILLed and all
three are back on the other within their rejoin window, none ended
(moved_too_far or any), never sent back to the relay they lost. And a
second live session with a player's key ends the first with "replaced",
once: it does not come back."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import ricochet
from test_session import BIN, HERE, Relay, free_tcp_port

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "scripts")
PIN = ("--script-dir", SCRIPTS, "--script-room", "ttt-=tictactoe")
REJOIN_MS = 10000


class Seat:
    """A session and what the room told it: its newest kept events by key,
    its last word (not kept), the MOVED events' addresses, its end."""

    def __init__(self, session, name):
        self.s, self.name = session, name
        self.kept, self.said, self.hops, self.end, self.rejoined = {}, "", [], None, []
        self.moved = 0
        self.at = 0  # the relay port of its last WELCOME

    def take(self, ev):
        if ev.type == ricochet.MOVED:
            self.moved += 1
            self.hops.append(ev.text)
            self.kept = {}  # what the room keeps comes again from the relay it goes to
        elif ev.type == ricochet.WELCOME:
            self.at = self.s.relay[1]
        elif ev.type == ricochet.REJOINED:
            self.rejoined.append((ev.id, ev.was))
        elif ev.type == ricochet.DISCONNECTED:
            self.end = ev.code
        elif ev.type == ricochet.EVENT and ev.id == ricochet.ROOM_SENDER:
            if ev.key:
                self.kept[ev.key] = ev.data.decode()
            else:
                self.said = ev.data.decode()


def pump(seats, ms):
    t = time.monotonic() + ms / 1000
    while time.monotonic() < t:
        for i, seat in enumerate(seats):
            if seat.end is None:
                for ev in seat.s.events(5 if i == 0 else 0):
                    seat.take(ev)


def wait(seats, who, what, limit_s=15):
    """Pumps until what(seats[who]) holds; fails naming it after limit_s."""
    t0 = time.monotonic()
    while not what(seats[who]):
        if time.monotonic() - t0 > limit_s or seats[who].end is not None:
            raise AssertionError("%s: not so after %d s (kept %r, said %r, ended %r)"
                                 % (seats[who].name, limit_s, seats[who].kept, seats[who].said,
                                    seats[who].end))
        pump(seats, 10)


def move(seats, who, cell, answer):
    seats[who].said = ""
    assert seats[who].s.event(ricochet.TO_ROOM, b"move %d" % cell) == 0
    wait(seats, who, lambda t: t.said == answer)


def play_before(seats):
    """X wins a game, then O and X move once in the next."""
    for i in (0, 1):  # each told the roles: joined, the room's kept events heard
        wait(seats, i, lambda t: len(t.kept.get("roles", "")) == 37)
    for who, cell, answer in ((0, 1, "X 1"), (1, 4, "O 4"), (0, 2, "X 2"), (1, 5, "O 5"),
                              (0, 3, "X wins"), (1, 5, "O 5"), (0, 1, "X 1")):
        move(seats, who, cell, answer)
    for i in range(len(seats)):
        wait(seats, i, lambda t: t.kept.get("board") == "X...O.... O" and
             t.kept.get("score") == "X=1,O=0,draw=0")
    return seats[0].kept["roles"]


def play_after(seats, roles):
    """Back (a MOVED, then the kept events of the relay it is on): the game
    as it was, and the referee going on from it."""
    for i in range(len(seats)):
        wait(seats, i, lambda t: t.moved > 0 and t.kept.get("roles") == roles and
             t.kept.get("board") == "X...O.... O" and t.kept.get("score") == "X=1,O=0,draw=0")
    move(seats, 0, 9, "refused: not your turn")
    move(seats, 1, 4, "O 4")
    move(seats, 0, 7, "X 7")
    move(seats, 1, 6, "O wins")
    for i in range(len(seats)):
        wait(seats, i, lambda t: t.kept.get("score") == "X=1,O=1,draw=0")


class Redis:
    """A redis-server of this test's own on a free port, in a folder of its own."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="redis-")
        self.port = free_tcp_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind",
                                      "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                      self.dir], stdout=subprocess.DEVNULL)
        self.url = "redis://127.0.0.1:%d" % self.port
        for _ in range(500):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                              capture_output=True).stdout.strip() == b"PONG":
                return
            time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(BIN and os.path.exists(os.path.join(SCRIPTS, "tictactoe.lua")),
                     "needs ricochet-relay (RICOCHET_BIN) and examples/scripts")
class Referee(unittest.TestCase):
    def setUp(self):
        self.relays, self.seats, self.dir = [], [], tempfile.mkdtemp(prefix="referee-")

    def tearDown(self):
        for seat in self.seats:
            seat.s.close()
        for relay in self.relays:
            relay.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def seat(self, name, port, **opts):
        self.seats.append(Seat(ricochet.Session("127.0.0.1", port, opts.pop("room", "ttt-1"),
                                                name, rejoin_ms=REJOIN_MS, **opts), name))
        return self.seats[-1]

    def test_a_room_file_outlives_a_sigkill(self):
        rooms = os.path.join(self.dir, "rooms.json")
        relay = Relay("--room-file", rooms, *PIN)
        self.relays.append(relay)
        x = self.seat("ann", relay.port, mode="reliable")
        wait(self.seats, 0, lambda t: t.kept.get("board") == "......... X")
        o = self.seat("bob", relay.port, mode="reliable")
        roles = play_before(self.seats)
        self.assertIn(x.s.player, roles)
        self.assertIn(o.s.player, roles)
        pump(self.seats, 300)  # the file is written within 100 ms of a change
        x_was = x.s.id
        relay.proc.kill()
        relay.proc.wait()
        self.relays.append(Relay("--room-file", rooms, *PIN, port=relay.port))
        play_after(self.seats, roles)
        # o saw x come back: its id now, and before
        self.assertTrue(any(was == x_was and now == x.s.id for now, was in o.rejoined),
                        o.rejoined)
        self.assertEqual([s.end for s in self.seats], [None, None])

    def test_a_fleets_move_keeps_every_edges_players(self):
        redis = Redis()
        try:
            fleet = ("--listen", "ws://127.0.0.1:0", "--listen", "poll://127.0.0.1:0",
                     "--directory", redis.url, "--advertise", "127.0.0.1:0",
                     "--directory-ttl", "2") + PIN
            a, b = Relay(*fleet), Relay(*fleet)
            self.relays += [a, b]
            self.seat("ann", a.port, room="ttt-2", mode="reliable",
                      relays=[("127.0.0.1", b.port)])
            wait(self.seats, 0, lambda t: t.kept.get("board") == "......... X")
            self.seat("bob", b.ports["ws"], room="ttt-2", mode="ws")
            roles = play_before(self.seats)
            self.seat("cat", b.ports["poll"], room="ttt-2", mode="tcp", transport="poll")
            wait(self.seats, 2, lambda t: t.kept.get("score") == "X=1,O=0,draw=0")
            edges = ("enet", "ws", "poll")
            self.assertEqual([s.s.relay[1] for s in self.seats], [a.ports[e] for e in edges])
            pump(self.seats, 300)  # the directory has the room's record
            for seat in self.seats:
                seat.moved, seat.hops = 0, []
            a.proc.kill()
            a.proc.wait()
            killed = time.monotonic()
            for i, e in enumerate(edges):
                wait(self.seats, i, lambda t: t.moved > 0 and t.at == b.ports[e] and
                     t.kept.get("board") == "X...O.... O")
                self.assertNotIn("127.0.0.1:%d" % a.ports[e], self.seats[i].hops)
            self.assertLess(time.monotonic() - killed, REJOIN_MS / 1000)
            play_after(self.seats, roles)
            move(self.seats, 2, 1, "refused: you watch: two players play")
            self.assertEqual([s.end for s in self.seats], [None, None, None])
        finally:
            redis.stop()

    def test_a_second_live_session_ends_the_first_replaced(self):
        relay = Relay()
        self.relays.append(relay)
        first = self.seat("ann", relay.port, room="keep", mode="reliable")
        other = self.seat("obs", relay.port, room="keep", mode="reliable")
        wait(self.seats, 0, lambda t: t.s.joined)
        wait(self.seats, 1, lambda t: t.s.joined)
        again = self.seat("ann", relay.port, room="keep", mode="reliable", key=first.s.key)
        errors = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3:  # long enough for a rejoin to come back: none does
            for seat in self.seats:
                if seat.end is None:
                    for ev in seat.s.events(5):
                        if seat is first and ev.type == ricochet.ERROR:
                            errors.append(ev.code)
                        seat.take(ev)
        self.assertEqual(errors, ["replaced"])
        self.assertEqual(first.end, "replaced")
        self.assertEqual(first.moved, 0)
        self.assertEqual(len(other.rejoined), 1)
        self.assertTrue(again.s.joined)
        self.assertIsNone(again.end)


if __name__ == "__main__":
    unittest.main()
