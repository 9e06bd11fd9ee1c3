"""program.py: the package run as a program (python3 -m ricochet HOST PORT
[ROOM], or the ricochet-py script pip installs): joins, sends ten states
with a payload, says so and exits 0."""
import ctypes as C
import os
import sys

from .constants import DISCONNECTED, STATE, WELCOME
from .session import Session
from .structs import _NativeEvent


def main(argv):
    s = Session(argv[1], int(argv[2]), argv[3] if len(argv) > 3 else "lobby",
                "py-%d" % os.getpid())
    sent, heard = 0, 0
    while sent < 10:
        ev = s.poll(50)  # an event, or None after 50 ms without one: then a step
        if ev and ev.type == WELCOME:
            print("joined as #%d" % ev.id)
        elif ev and ev.type == STATE:
            heard += 1
        elif ev and ev.type == DISCONNECTED:
            sys.exit("py: " + ev.text)
        if ev is None and s.send(10.0 + sent, 50.0, vx=20.0, payload=b"py %d" % sent) == 0:
            sent += 1
    print("sent %d states, got %d; event size %d" % (sent, heard, C.sizeof(_NativeEvent)))
    s.close()


def _script():
    main(sys.argv)
