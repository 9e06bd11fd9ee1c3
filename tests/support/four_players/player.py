"""player.py: the Python player of test_e2e_four_players, written from
client/python/README.md alone: the same game as player.c (see there). It
joins ROOM as NAME, sends its state with its name as payload and "hi NAME"
events, and says "NAME: phase N ok" on stderr once it has every peer's
payload, event and roster entry and a listing shows ROOM with 4 members;
a relay lost and back starts phase 2; then "done NAME" until every peer
said it, and it leaves. Exit 0, or 1 if the session ends or 30 s pass.
Run: python3 player.py HOST PORT ROOM NAME"""
import sys
import time

import ricochet

NAMES = ("c", "py", "cs", "js")


def main():
    host, port, room, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    peers = set(NAMES) - {name}
    s = ricochet.Session(host, port, room, name, rejoin_ms=15000)
    payloads, events, done, listed = set(), set(), set(), False
    phase, reported = 1, 0
    next_state = next_event = next_list = 0.0
    leave, end = None, time.monotonic() + 30
    try:
        while time.monotonic() < end and (leave is None or time.monotonic() < leave):
            for ev in s.events(10):
                if ev.type == ricochet.STATE:
                    payloads.add(ev.data.decode())
                elif ev.type == ricochet.EVENT:
                    word, _, who = ev.data.decode().partition(" ")
                    (events if word == "hi" else done).add(who)
                elif ev.type == ricochet.ROOMS:
                    rooms, _ = s.rooms()
                    listed |= any(r.name == room and r.members == 4 for r in rooms)
                elif ev.type == ricochet.MOVED and ev.code == "rejoin":
                    payloads, events, done, listed = set(), set(), set(), False
                    phase = 2
                elif ev.type == ricochet.DISCONNECTED:
                    print("player py: over:", ev.code, ev.text, file=sys.stderr)
            if not s.joined:
                continue
            now = time.monotonic()
            if now >= next_state:
                s.send(10.0, 50.0, payload=name.encode())
                next_state = now + 0.1
            ok = reported == phase
            if now >= next_event:
                s.event(ricochet.TO_ROOM, ("hi " + name).encode())
                if ok and phase == 2:
                    s.event(ricochet.TO_ROOM, ("done " + name).encode())
                next_event = now + 0.3
            whole = (peers <= payloads and peers <= events and
                     peers <= {m.name for m in s.members()})
            if whole and not listed and now >= next_list:
                s.list_rooms(room)
                next_list = now + 0.5
            if whole and listed and not ok:
                print("%s: phase %d ok" % (name, phase), file=sys.stderr)
                reported = phase
            if ok and phase == 2 and peers <= done and leave is None:
                leave = now + 0.5  # my own done has reached them by then
    except EOFError as why:
        print("player py: ended:", why, file=sys.stderr)
    finally:
        s.close()
    finished = leave is not None and time.monotonic() >= leave
    print("%s: %s" % (name, "left" if finished else "gave up"), file=sys.stderr)
    return 0 if finished else 1


if __name__ == "__main__":
    sys.exit(main())
