# udp_player.py: a player of your own over plain UDP, with nothing but the
# socket calls: join a room of ricochet-relay (or udp_relay.c), send your
# position 20 times a second, print everyone else's.
#   python3 udp_player.py [HOST] [PORT] [SECONDS]
import json, math, socket, struct, sys, time

usage = "usage: udp_player.py [HOST] [PORT] [SECONDS] (default 127.0.0.1 7777 10)"
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

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # an endpoint
s.bind(("", 0))                       # port 0: the kernel picks a free one
print("my port %d, the relay %s:%d" % ((s.getsockname()[1],) + relay))

# Join. The relay first answers with a cookie to send back (proof that we
# receive at this address), then with our id. Either answer may be lost.
join = {"type": "join", "version": 3, "room": "lobby", "name": "py", "pad": "x" * 16}
s.settimeout(0.25)
me = None
while me is None:
    s.sendto(json.dumps(join).encode(), relay)
    try:
        data = s.recvfrom(1200)[0]
    except socket.timeout:
        continue                      # lost: ask again
    if data[:1] != b"{":
        continue                      # a state: our welcome was lost, ask again
    msg = json.loads(data)
    if msg["type"] == "cookie":
        join["cookie"] = msg["cookie"]
    elif msg["type"] == "welcome":
        me = msg["id"]
    elif msg["type"] == "error":
        sys.exit("relay: %s %s" % (msg["code"], msg.get("message", "")))
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
        s.sendto(struct.pack("!BBHIIQfffff", 1, 1, 0, 0, seq,
                             time.monotonic_ns() // 1000, x, y, 0, 0, 0), relay)
        next_send += 0.05
    if now >= next_ping:
        ping = {"type": "ping", "t": time.monotonic_ns() // 1000}
        s.sendto(json.dumps(ping).encode(), relay)
        next_ping += 1
    s.settimeout(max(next_send - time.monotonic(), 0.001))
    try:
        data, sender = s.recvfrom(1200)
        if data[:1] == b"{":
            msg = json.loads(data)
            if msg["type"] == "pong":     # our ping's t back
                t = msg["t"]
                print("round trip %.1f ms" % ((time.monotonic_ns() // 1000 - t) / 1000))
            else:
                print("relay says", data.decode())
        elif len(data) >= 40:
            _, _, _, who, n, _, x, y = struct.unpack("!BBHIIQff", data[:28])
            print("player %d at %.1f %.1f (state %d)" % (who, x, y, n))
    except socket.timeout:
        pass
    now = time.monotonic()
s.sendto(b'{"type":"leave"}', relay)
