#!/usr/bin/python3
"""aiortc_player.py: a player of ricochet in python3-aiortc, as a browser's
play page is one (PROTOCOL.md, "WebRTC data channels"), for the tests of
the relay's webrtc edge.

It opens the three channels ("control" ordered and reliable; "unsequenced"
and "sequenced" unordered, maxRetransmits 0), sends its offer and reads the
answer, either by POST /rtc to the relay's HTTP front (--post URL) or
through a file (--answer-file PATH: it prints {"offer": SDP} on a line and
waits for the answer to appear there); with --ticket TICKET, the ticket's
pass goes as Authorization: Bearer and in the join (a refused offer:
{"refused": STATUS} and exit 3). Then it joins --room as --name on
control, waits for --wait-for other members, sends --states states at
--rate a second on --channel (reliable states on control), and takes every
state that comes back until it has --expect from each other member or
--timeout seconds passed. Last it prints one JSON line: its id, what it
sent, and per sender and channel what it got, whether each sender's states
on control came in order, and the control messages by type; then it closes
(exit 0), or exits 2 when a step timed out.

ICE (aioice) leaves loopback out of its host candidates; the tests reach
the relay on 127.0.0.1 only, so that is its one candidate."""
import argparse
import asyncio
import base64
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

STATE = struct.Struct(">BBHIIQfffff")  # PROTOCOL.md, State message (binary)


def state_bytes(seq):
    now_us = time.monotonic_ns() // 1000
    return STATE.pack(1, 1, 0, 0, seq, now_us, 50.0, 50.0, 1.0, 0.0, 0.0)


def pass_of(ticket):
    """A ticket's pass (PROTOCOL.md, Tickets): the ticket is base64url of its
    format (1 byte), the pass's length (2 bytes), the pass, its claims."""
    raw = base64.urlsafe_b64decode(ticket + "=" * (-len(ticket) % 4))
    n = (raw[1] << 8) | raw[2]
    return base64.urlsafe_b64encode(raw[3:3 + n]).decode().rstrip("=")


def states_in(message):
    """The (sender, seq) of a state, or of each state of a batch."""
    if len(message) >= 4 and message[0] == 1 and message[1] == 2:
        at, out = 4, []
        while at + 2 <= len(message):
            n = (message[at] << 8) | message[at + 1]
            out += states_in(message[at + 2:at + 2 + n])
            at += 2 + n
        return out
    if len(message) < STATE.size:
        return []
    fields = STATE.unpack(message[:STATE.size])
    return [(fields[3], fields[4])]


async def signal_post(url, offer, ticket):
    headers = {"Content-Type": "application/sdp"}
    if ticket:
        headers["Authorization"] = "Bearer " + ticket
    request = urllib.request.Request(url, data=offer.encode(), headers=headers, method="POST")

    def post():
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()

    try:
        status, body = await asyncio.get_running_loop().run_in_executor(None, post)
    except urllib.error.HTTPError as e:
        print(json.dumps({"refused": e.code, "text": e.read().decode(errors="replace")}),
              flush=True)
        sys.exit(3)
    if status != 201:
        raise RuntimeError("POST /rtc answered %d" % status)
    return body


async def signal_file(path, offer, timeout):
    print(json.dumps({"offer": offer}), flush=True)
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError("no answer in " + path)
        await asyncio.sleep(0.02)
    with open(path) as f:
        return f.read()


class Player:
    def __init__(self, args):
        self.args = args
        self.pc = RTCPeerConnection()
        self.ch = {
            "control": self.pc.createDataChannel("control"),
            "unsequenced": self.pc.createDataChannel("unsequenced", ordered=False,
                                                     maxRetransmits=0),
            "sequenced": self.pc.createDataChannel("sequenced", ordered=False,
                                                   maxRetransmits=0),
        }
        self.opened = asyncio.Event()
        self.welcomed = asyncio.Event()
        self.id = None
        self.others = set()
        self.got = {}          # sender -> label -> count
        self.last_control = {}  # sender -> last seq on control
        self.in_order = True
        self.control = {}      # control messages by type
        for label, channel in self.ch.items():
            channel.on("open", self.on_open)
            channel.on("message", self.receiver(label))

    def on_open(self):
        if all(c.readyState == "open" for c in self.ch.values()):
            self.opened.set()

    def receiver(self, label):
        def on_message(message):
            if isinstance(message, str) or (message[:1] == b"{"):
                self.on_control(json.loads(message))
                return
            for sender, seq in states_in(message):
                per = self.got.setdefault(sender, {})
                per[label] = per.get(label, 0) + 1
                if label == "control":
                    if seq <= self.last_control.get(sender, -1):
                        self.in_order = False
                    self.last_control[sender] = seq
        return on_message

    def on_control(self, m):
        kind = m.get("type", "?")
        self.control[kind] = self.control.get(kind, 0) + 1
        if kind == "welcome":
            self.id = m["id"]
            self.others |= {r["id"] for r in m.get("roster", [])}
            self.welcomed.set()
        elif kind == "joined":
            self.others.add(m["id"])
        elif kind == "left":
            self.others.discard(m["id"])

    def received_all(self):
        return all(sum(self.got.get(o, {}).values()) >= self.args.expect for o in self.others)

    async def until(self, done, what):
        deadline = time.monotonic() + self.args.timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(what)
            await asyncio.sleep(0.01)

    async def run(self):
        a = self.args
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = self.pc.localDescription.sdp
        if a.post:
            answer = await signal_post(a.post, offer, a.ticket and pass_of(a.ticket))
        else:
            answer = await signal_file(a.answer_file, offer, a.timeout)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(self.opened.wait(), a.timeout)
        join = {"type": "join", "version": 3, "room": a.room, "name": a.name, "mode": a.mode}
        if a.ticket:
            join["ticket"] = pass_of(a.ticket)
        self.ch["control"].send(json.dumps(join))
        await asyncio.wait_for(self.welcomed.wait(), a.timeout)
        print(json.dumps({"welcome": self.id}), flush=True)
        await self.until(lambda: len(self.others) >= a.wait_for, "others to join")
        start = time.monotonic()
        for seq in range(1, a.states + 1):
            self.ch[a.channel].send(state_bytes(seq))
            delay = start + seq / a.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await self.until(self.received_all, "states from the others")
        await asyncio.sleep(0.2)  # late unordered ones
        print(json.dumps({"id": self.id, "sent": a.states, "channel": a.channel,
                          "got": {str(k): v for k, v in self.got.items()},
                          "in_order": self.in_order, "control": self.control}), flush=True)
        await self.pc.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--post")
    p.add_argument("--answer-file")
    p.add_argument("--ticket")
    p.add_argument("--room", default="lobby")
    p.add_argument("--name", default="aiortc")
    p.add_argument("--mode", default="reliable")
    p.add_argument("--channel", default="control",
                   choices=["control", "unsequenced", "sequenced"])
    p.add_argument("--states", type=int, default=1000)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--wait-for", type=int, default=1)
    p.add_argument("--expect", type=int, default=1000)
    p.add_argument("--timeout", type=float, default=30)
    args = p.parse_args()
    if not args.post and not args.answer_file:
        p.error("--post URL or --answer-file PATH")
    try:
        asyncio.run(Player(args).run())
    except (TimeoutError, asyncio.TimeoutError) as e:
        print(json.dumps({"timeout": str(e)}), flush=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
