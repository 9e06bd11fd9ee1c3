#!/usr/bin/env python3
"""bench/fleet_listing.py: one listing benchmark round against a fleet that
bench/fleet_listing.sh started (a redis-server and relays registered in it).

  fleet_listing.py seed REDIS_PORT FLEET N
      writes N rooms into the directory, room00000.., spread over the
      registered relays in turn, each held (a claim naming the relay) with
      an entry of 2 props {"map": "m<i % 10>", "tag": "t<i>"}: the bulk
      path (no clients), what the relays' heartbeats would have written;
      the rooms of an earlier seed are removed first
  fleet_listing.py measure RELAY_PORT REDIS_PORT FLEET N RUNS
      through a lobby session on the relay (libricochet through the
      Python binding, RICOCHET_LIB), RUNS times each: the first page, a page
      from the middle (after the N/2-th name) and a filtered page (match
      tag=t<N/2>: 1 room in N); prints one line per request:
        KIND RUN CLIENT_MS LISTING_BYTES CALLS REPLY_BYTES SCRIPT_MS ROOMS
      CLIENT_MS the request's round trip as the client sees it,
      LISTING_BYTES the listing message's bytes (the relay's encoding:
      compact JSON, the same fields in the same order), CALLS, REPLY_BYTES
      and SCRIPT_MS the directory's side of the same page: its LIST script
      calls as the relay makes them (fleet/directory.c, directory_list),
      their replies' bytes (RESP) and their time seen from here.
"""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "client", "python"))
import ricochet  # noqa: E402

PAGE = 64      # PROTO_ROOMS_PAGE
WALK = 2000    # FLEET_LIST_WALK
WALK_MOST = 100000


class Resp:
    """A RESP connection to the directory, as little as this needs."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.got = 0  # reply bytes read

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()
        self.got += len(line)
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            self.got += n + 2
            return data[:-2].decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("RESP: %r" % line)


SEED = """
local p, n0, n1 = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local relays = redis.call('SMEMBERS', p .. ':relays')
table.sort(relays)
for i = n0, n1 do
  local a = relays[(i % #relays) + 1]
  local h = redis.call('HMGET', p .. ':relay:' .. a, 'instance', 'transport')
  local name = string.format('room%05d', i)
  redis.call('SET', p .. ':room:' .. name, (1000000 + i) .. ' ' .. a .. ' ' .. h[2] .. ' ' .. h[1])
  redis.call('HSET', p .. ':rooms', name, a .. ' ' .. h[1] .. ' ' .. (i % 8) .. ' 8 ' ..
             '{"map":"m' .. (i % 10) .. '","tag":"t' .. i .. '"}')
  redis.call('ZADD', p .. ':roomidx', 0, name)
end
return #relays
"""


def seed(redis_port, fleet, n):
    r = Resp(redis_port)
    old = r.call("ZRANGE", fleet + ":roomidx", 0, -1)
    for k in range(0, len(old), 1000):
        part = old[k:k + 1000]
        r.call("DEL", *[fleet + ":room:" + x for x in part])
    r.call("DEL", fleet + ":rooms", fleet + ":roomidx")
    for k in range(0, n, 1000):
        relays = r.call("EVAL", SEED, 0, fleet, k, min(n, k + 1000) - 1)
    print("seeded %d rooms over %d relays" % (n, relays))


def list_script_sha(r):
    # The relay loaded it; SCRIPT LOAD of the same source gives its sha. The
    # source is put together as the Makefile does: the preamble naming its
    # arguments (fleet/script_args.h's FLEET_LIST_ARGS, as FLEET_LUA_ARGS
    # writes it), then entry.lua (its fleet_lua_parts_list), then list.lua.
    top = os.path.join(os.path.dirname(__file__), "..", "fleet")
    header = open(os.path.join(top, "script_args.h")).read()
    names = header[header.index("#define FLEET_LIST_ARGS(X, S)"):]
    names = re.findall(r"X\(S, (\w+)\)", names[:names.index("\n\n")])
    lua = ("local ARG, NARG = {}, 0\n"
           "for i, k in ipairs({%s}) do ARG[k], NARG = ARGV[i], i end\n"
           % "".join("'%s', " % n for n in names))
    for part in ("entry.lua", "list.lua"):
        lua += open(os.path.join(top, "scripts", part)).read()
    return r.call("SCRIPT", "LOAD", lua)


def directory_side(r, sha, fleet, after, match):
    """directory_list's calls for one page: (calls, reply bytes, ms)."""
    got, calls, n, walked = r.got, 0, 0, 0
    pairs = ['"%s":"%s"' % kv for kv in (match or {}).items()]  # no escapes in these
    match = json.dumps(match, separators=(",", ":")) if match else ""
    t0 = time.perf_counter()
    while True:
        want = max(PAGE - n, 0)
        text, code, last = r.call("EVALSHA", sha, 0, fleet, "", after, match, want, WALK,
                                  "list", *pairs)
        calls += 1
        walked += WALK
        n += text.count("\n")
        after = last
        if code != 2 or walked >= WALK_MOST:
            break
    return calls, r.got - got, (time.perf_counter() - t0) * 1000


def listing_bytes(rooms, more):
    """The listing as the relay encodes it (proto/control_encode.c)."""
    parts = []
    for x in rooms:
        e = '{"room":"%s","members":%d,"capacity":%d' % (x.name, x.members, x.capacity)
        if not x.open:
            e += ',"open":false'
        if x.props:
            e += ',"props":' + json.dumps(x.props, separators=(",", ":"))
        parts.append(e + "}")
    text = '{"type":"rooms","rooms":[%s],"more":%s}' % (",".join(parts),
                                                         "true" if more else "false")
    return len(text.encode())


def ask(s, after, match):
    t0 = time.perf_counter()
    s.list_rooms("", after, match)
    while True:
        for ev in s.events(50):
            if ev.type == ricochet.ROOMS:
                ms = (time.perf_counter() - t0) * 1000
                rooms, more = s.rooms()
                return ms, rooms, more
            if ev.type in (ricochet.ERROR, ricochet.DISCONNECTED):
                raise RuntimeError("%s %s" % (ev.code, ev.text))
        if time.perf_counter() - t0 > 10:
            raise RuntimeError("no listing in 10 s")


def measure(relay_port, redis_port, fleet, n, runs):
    s = ricochet.Session("127.0.0.1", relay_port, name="bench", lobby=True, timeout_ms=10000)
    r = Resp(redis_port)
    sha = list_script_sha(r)
    middle = "room%05d" % (n // 2 - 1)
    needle = {"tag": "t%d" % (n // 2)}
    kinds = [("first", "", None), ("middle", middle, None), ("filtered", "", needle)]
    for run in range(runs):
        for kind, after, match in kinds:
            ms, rooms, more = ask(s, after, match)
            size = listing_bytes(rooms, more)
            calls, reply, script_ms = directory_side(r, sha, fleet, after, match)
            want = 1 if match else min(PAGE, n - (n // 2 if after else 0))
            if len(rooms) != want:
                raise RuntimeError("%s: %d rooms listed, not %d" % (kind, len(rooms), want))
            print("%s %d %.3f %d %d %d %.3f %d" % (kind, run, ms, size, calls, reply,
                                                   script_ms, len(rooms)))
            sys.stdout.flush()
            time.sleep(0.1)  # the relay's byte budget refills
    s.close()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "seed":
        seed(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 7 and sys.argv[1] == "measure":
        measure(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
                int(sys.argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
