# mixed.py: the Python player of a room of four languages
# (tests/test_e2e_mixed_room.c), as client/csharp/tests/mixed/Mixed.cs:
# keeps an event under its name, sends states with its name as payload,
# says "done:NAME" once it has every other's state and kept event, leaves
# once every other said so.   python3 mixed.py HOST PORT ROOM NAME OTHERS
import sys
import time

import ricochet

host, port, room, name, others = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], set(sys.argv[5].split(","))
states, kept, done = set(), set(), set()
s = ricochet.Session(host, port, room, name)
me = name.encode()
end, next_send, said = time.monotonic() + 40, 0.0, False
while time.monotonic() < end and not (said and others <= done):
    for ev in s.events(5):
        text = ev.data.decode("utf-8", "replace")
        if ev.type == ricochet.WELCOME:
            s.event(ricochet.TO_ROOM, me, keep=name)
        elif ev.type == ricochet.STATE:
            states.add(text)
        elif ev.type == ricochet.EVENT and ev.key == text:
            kept.add(text)
        elif ev.type == ricochet.EVENT and text.startswith("done:"):
            done.add(text[5:])
    if time.monotonic() >= next_send:
        s.send(10.0, 20.0, payload=me)
        next_send = time.monotonic() + 0.05
    if not said and others <= states and others <= kept:
        s.event(ricochet.TO_ROOM, ("done:" + name).encode())
        said = True
s.close()
ok = others <= states and others <= kept and others <= done
print("saw all" if ok else "missed: states %s kept %s done %s" % (states, kept, done))
sys.exit(0 if ok else 1)
