# tcp_player.py: a player of your own over TCP, with nothing but the
# socket calls: join a room of ricochet-relay's tcp edge (or tcp_relay.c),
# send your position 20 times a second, print everyone else's. A stream
# has no message boundaries, so each message goes in a frame: 2 bytes of
# length (big-endian), then the message (PROTOCOL.md, "Streams (TCP)").
#   python3 tcp_player.py [HOST] [PORT] [SECONDS]
import json, math, socket, struct, sys, time

usage = "usage: tcp_player.py [HOST] [PORT] [SECONDS] (default 127.0.0.1 7777 10)"
if sys.argv[1:2] == ["--help"]:
    sys.exit(print(usage))
try:
    relay = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1",
             int(sys.argv[2]) if len(sys.argv) > 2 else 7777)
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    assert 0 < relay[1] < 65536 and seconds > 0 and len(sys.argv) <= 4
except (ValueError, AssertionError):
    print(usage, file=sys.stderr)
    sys.exit(2)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(relay)                      # the kernel picks our port
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each frame at once
print("my port %d, the relay %s:%d" % ((s.getsockname()[1],) + relay))


def send(msg):
    s.sendall(struct.pack("!H", len(msg)) + msg)


got = b""                             # what has arrived of the next frame(s)


def receive(timeout):
    """The next whole message; None if none came in time, b"" if the relay
    closed (a frame of length 0 says so too)."""
    global got
    s.settimeout(timeout)
    while len(got) < 2 or len(got) < 2 + struct.unpack("!H", got[:2])[0]:
        try:
            more = s.recv(4096)
        except socket.timeout:
            return None
        if not more:
            return b""
        got += more
    n = struct.unpack("!H", got[:2])[0]
    msg, got = got[2:2 + n], got[2 + n:]
    return msg


# Join: no cookie and no repeats, the stream loses nothing.
send(json.dumps({"type": "join", "version": 3, "room": "lobby", "name": "py"}).encode())
me = None
while me is None:
    msg = receive(5)
    if not msg:
        sys.exit("relay: %s" % ("no answer" if msg is None else "closed"))
    if msg[:1] == b"{" and json.loads(msg)["type"] == "welcome":
        me = json.loads(msg)["id"]
    elif msg[:1] == b"{" and json.loads(msg)["type"] == "error":
        sys.exit("relay: %s" % msg.decode())
print("joined as", me)

# States: 40 bytes, big-endian (PROTOCOL.md, "State message"), one each
# 50 ms; a ping each second, which the relay answers with a pong carrying
# the same t: the time it took is the round trip. Between them, whatever
# comes.
seq, now = 0, time.monotonic()
next_send, next_ping, end = now, now, now + seconds
while now < end:
    if now >= next_send:
        seq += 1
        x, y = 50 + 30 * math.cos(seq / 20), 50 + 30 * math.sin(seq / 20)
        send(struct.pack("!BBHIIQfffff", 1, 1, 0, 0, seq,
                         time.monotonic_ns() // 1000, x, y, 0, 0, 0))
        next_send += 0.05
    if now >= next_ping:
        send(json.dumps({"type": "ping", "t": time.monotonic_ns() // 1000}).encode())
        next_ping += 1
    data = receive(max(next_send - time.monotonic(), 0.001))
    if data == b"":
        sys.exit("relay: closed")
    elif data and data[:1] == b"{":
        msg = json.loads(data)
        if msg["type"] == "pong":         # our ping's t back
            t = msg["t"]
            print("round trip %.1f ms" % ((time.monotonic_ns() // 1000 - t) / 1000))
        else:
            print("relay says", data.decode())
    elif data and len(data) >= 40:
        _, _, _, who, n, _, x, y = struct.unpack("!BBHIIQff", data[:28])
        print("player %d at %.1f %.1f (state %d)" % (who, x, y, n))
    now = time.monotonic()
s.close()                             # closing the connection is leaving
