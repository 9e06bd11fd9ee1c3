"""The Python binding in a lockstep room (a relay of its own, RICOCHET_BIN,
with --lockstep-log): three players over ENet unsequenced, sequenced and
plain UDP in a room of four slots get the same frames, in tick order, byte
for byte as the relay's kept log; each slot's flag as the frame says it
(present, repeated after its player stopped, empty before its first input,
left for the slot no one holds), each present input the one its player
sent. An input sent for a tick already closed is told (LATE, with its
tick) and in the relay's log; the aim moves a tick further after it, and
the tick it stepped over (the player sends once a tick) gets an input all
the same: no hole in the player's slot. A player whose checks lie from tick 20 is named (DESYNC)
at tick 20, to every player, no one else."""
import os
import tempfile
import time
import unittest

import ricochet
from test_session import BIN, Relay

END = 60        # frames every player gets: 2 s at 30 Hz
STOP = 45       # the third player's inputs stop here: REPEATED from it
LIAR_FROM = 20  # the second player's checks lie from this tick


class Player:
    def __init__(self, port, name, mode, settings):
        self.s = ricochet.Session("127.0.0.1", port, "py-ls", name, mode=mode,
                                  lockstep=settings)
        self.slot, self.frames, self.flags, self.sent = None, [], [], {}
        self.lates, self.desyncs, self.late_tick = [], [], None
        self.first = None  # the tick of my first input
        self.seen = None   # the relay's tick when I last sent

    def step(self, me, end):
        for ev in self.s.events(0):
            if ev.type == ricochet.WELCOME:
                ls, self.slot, _ = self.s.lockstep()
                assert ls.slots == 4 and ls.check_every == 10, ls
            elif ev.type == ricochet.FRAME:
                assert ev.id == len(self.frames), (ev.id, len(self.frames))
                self.frames.append(ev.data)
                self.flags.append([self.s.frame_input(k) for k in range(4)])
                if ev.id % 10 == 0:
                    liar = me == 1 and ev.id >= LIAR_FROM
                    assert self.s.send_check(ev.id, sum_of(self.frames) ^ liar) == 0
            elif ev.type == ricochet.LATE:
                self.lates.append(self.s.lockstep_late())
            elif ev.type == ricochet.DESYNC:
                self.desyncs.append((ev.id, self.s.lockstep_desync()))
            elif ev.type in (ricochet.DISCONNECTED, ricochet.ERROR):
                raise AssertionError("%s: %s %s" % (me, ev.code, ev.text))
        now = self.s.lockstep_tick()
        if self.slot is None or now < 5 or (me == 0 and now == self.seen):
            return
        self.seen = now  # the first player sends once a tick, as a game's loop
        t = self.s.lockstep_aim()
        if t < end and t not in self.sent:
            data = bytes([self.slot, t & 255])
            if self.s.send_input(t, data) == 0:
                self.sent[t] = data
                if self.first is None:
                    self.first = t
                    if me == 0:  # one input for a tick closed already: late
                        self.late_tick = now - 2
                        assert self.s.send_input(self.late_tick, b"\xee") == 0


def sum_of(frames):
    """The test's simulation: a hash of every frame so far (FNV-1a)."""
    h = 1469598103934665603
    for f in frames:
        for b in f:
            h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def entries(frame, slots):
    """A frame's bytes as [(flag, bytes)] a slot, as PROTOCOL.md says them."""
    out, at = [], 0
    for _ in range(slots):
        flag = frame[at]
        if flag in (ricochet.SLOT_PRESENT, ricochet.SLOT_REPEATED):
            out.append((flag, frame[at + 2:at + 2 + frame[at + 1]]))
            at += 2 + frame[at + 1]
        else:
            out.append((flag, b""))
            at += 1
    return out


@unittest.skipUnless(BIN, "needs the relay's folder: RICOCHET_BIN")
class LockstepRoom(unittest.TestCase):
    def test_frames_flags_late_and_desync(self):
        log = tempfile.NamedTemporaryFile(prefix="lockstep-", suffix=".log", delete=False)
        log.close()
        relay = Relay("--listen", "udp://127.0.0.1:0", "--lockstep-log", log.name)
        settings = ricochet.Lockstep(hz=30, delay=4, slots=4, input_max=2, check_every=10)
        try:
            ps = [Player(relay.port, "pa", "unsequenced", settings),
                  Player(relay.port, "pb", "sequenced", {"hz": 30, "slots": 4}),
                  Player(relay.ports["udp"], "pc", "udp", None)]
            deadline = time.monotonic() + 20
            while any(len(p.frames) < END for p in ps):
                self.assertLess(time.monotonic(), deadline, [len(p.frames) for p in ps])
                for i, p in enumerate(ps):
                    p.step(i, STOP if i == 2 else END + 8)
                time.sleep(0.002)
            ids = [p.s.id for p in ps]
            for p in ps:
                self.assertEqual([p.s.lockstep_player(q.slot) for q in ps],
                                 [q.s.player for q in ps])
        finally:
            for p in locals().get("ps", []):
                p.s.close()
            relay.stop()
        with open(log.name) as f:
            lines = f.read()
        os.unlink(log.name)

        # every player's frames are the relay's log's, byte for byte
        for t in range(END):
            key = '{"room":"py-ls","tick":%d,"frame":"' % t
            at = lines.index(key) + len(key)
            frame = bytes.fromhex(lines[at:lines.index('"', at)])
            for p in ps:
                self.assertEqual(p.frames[t], frame, t)
                self.assertEqual(p.flags[t], entries(frame, 4), t)
        # the flags: left where no one plays, empty before a first input,
        # present from it, repeated once the third player stopped
        held = {p.slot for p in ps}
        left = ({0, 1, 2, 3} - held).pop()
        a, c = ps[0], ps[2]
        late = a.late_tick
        for t in range(END):
            f = entries(a.frames[t], 4)
            self.assertEqual(f[left][0], ricochet.SLOT_LEFT)
            for p in ps:
                flag, data = f[p.slot]
                if t < p.first:
                    self.assertEqual(flag, ricochet.SLOT_EMPTY, (t, p.slot))
                elif p is c and t >= STOP:
                    self.assertEqual((flag, data), (ricochet.SLOT_REPEATED, c.sent[STOP - 1]))
                else:
                    # present: the input sent for it, or (the tick an aim
                    # stepped over) the one sent for the tick after
                    self.assertEqual(flag, ricochet.SLOT_PRESENT, (t, p.slot, p.sent.keys()))
                    self.assertEqual(data, p.sent.get(t) or p.sent[t + 1], t)
        # the late input: told, logged, its frame without it
        self.assertTrue(late < a.first)
        self.assertEqual([x[0] for x in a.lates], [late])
        self.assertGreater(a.lates[0][1], 0)
        self.assertIn('{"room":"py-ls","tick":%d,"slot":%d,"late_us":' % (late, a.slot), lines)
        self.assertEqual(ps[1].lates + ps[2].lates, [])
        # the aim went a tick further after the late: the tick it stepped
        # over got an input all the same (checked present above)
        self.assertTrue(any(t not in a.sent and t + 1 in a.sent
                            for t in range(a.first, END)), sorted(a.sent))
        # the liar named at its first lying check, at each after, alone
        for p in ps:
            self.assertEqual(p.desyncs[0], (LIAR_FROM, [ids[1]]))
            self.assertTrue(all(named == [ids[1]] for _, named in p.desyncs))


if __name__ == "__main__":
    unittest.main()
