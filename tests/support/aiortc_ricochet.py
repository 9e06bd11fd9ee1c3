#!/usr/bin/python3
"""aiortc_ricochet.py URL KEYLOG CLIENTS COUNT: python3-aiortc clients of a
relay's webrtc edge, for test_e2e_dissector_browser. Each offers the
channels "control" (ordered, reliable) and "unsequenced" (unordered,
maxRetransmits 0) to URL (the relay's POST /rtc), joins room "dissect" on
control, and once every client is in, sends COUNT 40-byte states on
unsequenced, 50 a second. The DTLS secrets of every connection are appended
to KEYLOG in the format Wireshark reads (-o tls.keylog_file:KEYLOG).
Prints one JSON line: each client's id, the seqs it sent and the
(sender, seq) of every state it got; exits 0, or 2 on a timeout.

ICE (aioice) leaves loopback out of its host candidates; the relay listens
on 127.0.0.1, so the candidates are 127.0.0.1's alone."""
import asyncio
import json
import struct
import sys
import time
import urllib.request

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from OpenSSL import SSL

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

TIMEOUT_S = 20
RATE_HZ = 50


def log_keys(path):
    """Every DTLS context aiortc makes writes its secrets to path."""
    out = open(path, "ab", buffering=0)
    made = SSL.Context.__init__

    def init(self, method):
        made(self, method)
        self.set_keylog_callback(lambda conn, line: out.write(line + b"\n"))

    SSL.Context.__init__ = init


def offer_to(url, sdp):
    req = urllib.request.Request(url, data=sdp.encode(), method="POST",
                                 headers={"Content-Type": "application/sdp"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
        return resp.read().decode()


def state(seq, x):
    """A state as PROTOCOL.md writes it: version 1, type 1, sender 0."""
    send_us = time.monotonic_ns() // 1000
    return struct.pack(">BBHIIQfffff", 1, 1, 0, 0, seq, send_us, x, 50.0, 0.0, 1.0, 0.0)


class Client:
    def __init__(self, name):
        self.name = name
        self.pc = RTCPeerConnection()
        self.control = self.pc.createDataChannel("control")
        self.states = self.pc.createDataChannel("unsequenced", ordered=False,
                                                maxRetransmits=0)
        self.id = None
        self.members = 0
        self.welcomed = asyncio.Event()
        self.got = []
        self.control.on("open", self.join)
        self.control.on("message", self.on_control)
        self.states.on("message", self.on_state)

    def join(self):
        self.control.send(json.dumps({"type": "join", "version": 3, "room": "dissect",
                                      "name": self.name, "mode": "unsequenced"}))

    def on_control(self, message):
        m = json.loads(message)
        if m.get("type") == "welcome":
            self.id = m["id"]
            self.members = len(m.get("roster", []))
            self.welcomed.set()
        elif m.get("type") == "joined":
            self.members += 1

    def on_state(self, message):
        if isinstance(message, bytes) and len(message) >= 12 and message[:2] == b"\x01\x01":
            self.got.append(list(struct.unpack(">II", message[4:12])))

    async def connect(self, url):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await asyncio.get_running_loop().run_in_executor(
            None, offer_to, url, self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(self.welcomed.wait(), TIMEOUT_S)


async def main(url, keylog, n, count):
    log_keys(keylog)
    clients = [Client("rtc-%d" % i) for i in range(n)]
    for c in clients:
        await c.connect(url)
    deadline = time.monotonic() + TIMEOUT_S
    while any(c.members < n - 1 for c in clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    for seq in range(1, count + 1):
        for i, c in enumerate(clients):
            c.states.send(state(seq, float(i)))
        await asyncio.sleep(1 / RATE_HZ)
    await asyncio.sleep(0.5)  # the last states on their way
    print(json.dumps([{"id": c.id, "sent": count, "got": c.got} for c in clients]), flush=True)
    for c in clients:
        await c.pc.close()
    return 0 if all(c.id for c in clients) else 2


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    try:
        sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                  int(sys.argv[4]))))
    except asyncio.TimeoutError:
        sys.exit(2)
