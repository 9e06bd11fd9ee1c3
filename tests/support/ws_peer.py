#!/usr/bin/python3
"""ws_peer.py: a client of the relay's WebSocket edge written with Debian's
python3-websockets (an implementation of RFC 6455 that shares nothing with
ricochet's), for test_e2e_ws. Every answer is one JSON line on stdout; a
timeout exits 2.

  ws_peer.py states URL COUNT RATE [CAFILE]
      joins room "mix" as "py", prints {"joined": ID} once welcomed, sends
      COUNT states (40 bytes each, seq 1..COUNT) at RATE a second and reads
      until it has COUNT states from one other sender; prints what it
      sent, what it got from whom, whether each sender's came in order and
      whether every message was binary.
  ws_peer.py bad URL KIND [CAFILE]
      joins room "bad", then misbehaves as KIND says: too-big (a message
      of 8192 bytes), ping-flood (20 pings at once), fragmented (its join
      was sent in three fragments: nothing bad), text-join (its join was a
      text message: nothing bad); prints the messages it got and the
      relay's close code and reason.
  ws_peer.py page URL [CAFILE]
      GETs URL (http or https); prints its status, type and length.
wss:// and https:// are checked against CAFILE."""
import asyncio
import json
import ssl
import struct
import sys
import time
import urllib.request

import websockets

TIMEOUT_S = 20
STATE = struct.Struct(">BBHIIQfffff")


def tls(cafile):
    return ssl.create_default_context(cafile=cafile) if cafile else None


def join(room, name):
    return json.dumps({"type": "join", "version": 3, "room": room, "name": name})


def out(obj):
    print(json.dumps(obj), flush=True)


async def welcome(ws):
    while True:
        m = await ws.recv()
        if isinstance(m, bytes) and m[:1] == b"{":
            o = json.loads(m)
            if o.get("type") == "welcome":
                return o


async def states(url, count, rate, cafile):
    async with websockets.connect(url, ssl=tls(cafile), max_size=1 << 20) as ws:
        await ws.send(join("mix", "py").encode())
        me = (await welcome(ws))["id"]
        out({"joined": me})
        got, last, in_order, binary = {}, {}, True, True

        async def send_all():
            t0 = time.monotonic()
            for seq in range(1, count + 1):
                send_us = time.monotonic_ns() // 1000
                await ws.send(STATE.pack(1, 1, 0, 0, seq, send_us, 10.0, 20.0, 0.0, 0.0, 0.0))
                ahead = t0 + seq / rate - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)

        sender = asyncio.ensure_future(send_all())
        while not got or max(got.values()) < count:
            m = await ws.recv()
            binary = binary and isinstance(m, bytes)
            if not isinstance(m, bytes) or m[:1] == b"{" or len(m) < STATE.size:
                continue
            _, kind, _, who, seq, *_ = STATE.unpack(m[:STATE.size])
            if kind != 1 or who == me:
                continue
            in_order = in_order and seq > last.get(who, 0)
            last[who] = seq
            got[who] = got.get(who, 0) + 1
        await sender
        out({"sent": count, "got": {str(k): v for k, v in got.items()}, "in_order": in_order,
             "binary": binary})


async def bad(url, kind, cafile):
    async with websockets.connect(url, ssl=tls(cafile), max_size=1 << 20) as ws:
        if kind == "fragmented":
            text = join("bad", "pieces").encode()
            await ws.send([text[:10], text[10:20], text[20:]])
        elif kind == "text-join":
            await ws.send(join("bad", "texty"))
        else:
            await ws.send(join("bad", "bad").encode())
        await welcome(ws)
        got, pongs = ["welcome"], []
        if kind == "too-big":
            await ws.send(bytes(8192))
        elif kind == "ping-flood":
            pongs = [await ws.ping() for _ in range(20)]
        else:
            out({"got": got})
            return
        try:
            while True:
                m = await ws.recv()
                got.append(m.decode() if isinstance(m, bytes) else m)
        except websockets.ConnectionClosed as e:
            await asyncio.gather(*pongs, return_exceptions=True)
            out({"got": got, "code": e.rcvd.code if e.rcvd else None,
                 "reason": e.rcvd.reason if e.rcvd else None})


def page(url, cafile):
    with urllib.request.urlopen(url, timeout=5, context=tls(cafile)) as r:
        body = r.read()
        out({"status": r.status, "type": r.headers["Content-Type"], "length": len(body)})


def main():
    cmd, url = sys.argv[1], sys.argv[2]
    if cmd == "page":
        page(url, sys.argv[3] if len(sys.argv) > 3 else None)
        return
    if cmd == "states":
        job = states(url, int(sys.argv[3]), float(sys.argv[4]),
                     sys.argv[5] if len(sys.argv) > 5 else None)
    else:
        job = bad(url, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    try:
        asyncio.run(asyncio.wait_for(job, TIMEOUT_S))
    except asyncio.TimeoutError:
        out({"timeout": TIMEOUT_S})
        sys.exit(2)


main()
