#!/usr/bin/python3
"""aiortc_peer.py ANSWER_FILE COUNT: a python3-aiortc client for
test_rtc_aiortc. Opens the play page's two data channels, "state"
(unordered, maxRetransmits 0) and "control" (ordered, reliable), prints its
offer as one JSON line ({"offer": SDP}), waits for the answer to appear in
ANSWER_FILE, then sends COUNT messages on each channel (binary on state,
text on control) and counts what comes back: the relay's echo of each
("echo " + message) and its greeting on each channel once open. Prints one
JSON line of counts and exits 0, or exits 2 on a timeout.

ICE (aioice) leaves loopback out of its host candidates; the test sends
only to 127.0.0.1, so the candidates are 127.0.0.1's alone."""
import asyncio
import json
import os
import sys
import time

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

TIMEOUT_S = 20


async def wait_file(path):
    deadline = time.monotonic() + TIMEOUT_S
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError("no answer in " + path)
        await asyncio.sleep(0.02)
    with open(path) as f:
        return f.read()


async def main(answer_path, count):
    pc = RTCPeerConnection()
    state = pc.createDataChannel("state", ordered=False, maxRetransmits=0)
    control = pc.createDataChannel("control")
    opened = asyncio.Event()
    got = {"state_echoes": 0, "control_echoes": 0, "state_greeting": 0, "control_greeting": 0,
           "control_in_order": True}
    last_control = [-1]

    def on_open():
        if state.readyState == "open" and control.readyState == "open":
            opened.set()

    state.on("open", on_open)
    control.on("open", on_open)

    @state.on("message")
    def on_state(message):
        if message == b"hello state":
            got["state_greeting"] += 1
        elif isinstance(message, bytes) and message.startswith(b"echo state "):
            got["state_echoes"] += 1

    @control.on("message")
    def on_control(message):
        if message == "hello control":
            got["control_greeting"] += 1
        elif isinstance(message, str) and message.startswith("echo control "):
            n = int(message.split()[-1])
            if n != last_control[0] + 1:
                got["control_in_order"] = False
            last_control[0] = n
            got["control_echoes"] += 1

    await pc.setLocalDescription(await pc.createOffer())
    print(json.dumps({"offer": pc.localDescription.sdp}), flush=True)
    answer = await wait_file(answer_path)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await asyncio.wait_for(opened.wait(), TIMEOUT_S)
    for i in range(count):
        state.send(b"state %d" % i)
        control.send("control %d" % i)
        if i % 20 == 19:
            await asyncio.sleep(0.005)  # a game's pace, not a burst
    deadline = time.monotonic() + TIMEOUT_S
    while got["control_echoes"] < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)  # late unordered echoes
    print(json.dumps(got), flush=True)
    await pc.close()
    return 0 if got["control_echoes"] == count else 2


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
