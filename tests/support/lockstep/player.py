# player.py: the Python player of a lockstep room of four bindings
# (tests/test_e2e_lockstep_bindings.c; player.mjs and
# client/csharp/tests/lockstep/Player.cs do the same): joins ROOM as NAME,
# sends its input ([slot, tick low, tick high]) for every tick from the
# first it aims at to the one it aims at now (those a stall of its loop
# stepped over too, as a game's fixed step does) before END, keeps the
# frames of ticks 0 to END - 1, and once it has them prints its slot, the
# ticks it sent, those whose frames came before it sent, and the FNV-1a
# hash of those frames.
#   python3 player.py HOST PORT ROOM NAME END
import sys
import time

import ricochet

host, port, room, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
end = int(sys.argv[5])
settings = ricochet.Lockstep(hz=30, delay=4, slots=4, input_max=3, check_every=0)
s = ricochet.Session(host, port, room, name, mode="sequenced", lockstep=settings,
                     timeout_ms=15000)
slot, frames, sent, held, to_send = None, [], set(), set(), None
deadline = time.monotonic() + end / 30 + 40
trouble = ""
while len(frames) < end and not trouble and time.monotonic() < deadline:
    for ev in s.events(0):
        if ev.type == ricochet.WELCOME:
            _, slot, _ = s.lockstep()
        elif ev.type == ricochet.FRAME:
            if ev.id != len(frames):
                trouble = "frame %d after %d" % (ev.id, len(frames))
            frames.append(ev.data)
        elif ev.type in (ricochet.DISCONNECTED, ricochet.ERROR):
            trouble = "%s %s" % (ev.code, ev.text)
    if slot is not None:
        aim = s.lockstep_aim()
        to_send = aim if to_send is None else to_send
        while to_send <= aim and to_send < end:
            t, to_send = to_send, to_send + 1
            if t < len(frames):  # its frame came first
                held.add(t)
            elif s.send_input(t, bytes([slot, t & 255, t >> 8])) == 0:
                sent.add(t)
    time.sleep(0.002)
s.close()
h = 1469598103934665603
for f in frames[:end]:
    for b in f:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
print("slot %s" % slot)
print("sent %s" % " ".join(str(t) for t in sorted(sent)))
print("held %s" % " ".join(str(t) for t in sorted(held)))
print("frames %d" % len(frames))
print("hash %016x" % h)
if trouble or len(frames) < end:
    print("trouble %s" % (trouble or "frames stopped"))
    sys.exit(1)
