// The JavaScript client in Node against a real relay (its ws edge in
// RICOCHET_WS_URL; tests/test_e2e_js_bindings.c starts one): two sessions
// exchange states whose payloads arrive byte for byte, events to the room
// and to one member; a latecomer gets the kept events after its welcome,
// in order, marked kept; what is refused throws before anything is sent; a
// closed session throws, never sends. A room's fields are sent as the
// protocol has them, and a listing past the props' bounds is counted bad.
// A route offers the modes its edge carries and no other (PROTOCOL.md,
// "Modes by edge"); a session that only
// listens pings within a third of the relay's timeout; an InterpBuffer
// interpolates, extrapolates and holds as ricochet.d.ts says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Session, TO_ROOM, PAYLOAD_MAX, EVENT_MAX, encodeState, decodeState,
         InterpBuffer, encodeControl, propsFault } from "../ricochet.js";
import { until } from "./support.js";

const URL = process.env.RICOCHET_WS_URL;

function open(name) {
  const s = new Session({ url: URL, room: "js", name, timeoutMs: 5000 });
  s.got = [];
  for (const type of ["state", "event", "error", "close"])
    s.addEventListener(type, (e) => s.got.push({ type, ...e.detail }));
  return new Promise((resolve, reject) => {
    s.addEventListener("welcome", () => resolve(s));
    s.addEventListener("close", (e) => reject(new Error(e.detail.reason)));
    s.start();
  });
}

const payloadFor = (seq) => Uint8Array.from({ length: (seq * 53) % 600 }, (_, i) => (seq + i * 7) & 255);

test("the codec keeps a payload whole", () => {
  const p = Uint8Array.from({ length: PAYLOAD_MAX }, (_, i) => i & 255);
  const st = decodeState(encodeState({ seq: 9, send_us: 1, x: 1, y: 2, vx: 0, vy: 0, heading: 0 }, p));
  assert.deepEqual(st.payload, p);
  assert.throws(() => encodeState({ seq: 1, send_us: 1, x: 0, y: 0, vx: 0, vy: 0, heading: 0 },
                                  new Uint8Array(PAYLOAD_MAX + 1)), RangeError);
});

test("a state that overtakes the welcome is dropped, not counted bad", () => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "js", name: "early" });
  const b = encodeState({ seq: 1, send_us: 1, x: 0, y: 0, vx: 0, vy: 0, heading: 0 });
  s._receive(b, "unsequenced"); // sender 0: bad whenever it comes
  assert.equal(s.bad, 1);
  b[7] = 7; // from member 7, before my welcome: a race of two ways, no fault
  s._receive(b, "unsequenced");
  assert.equal(s.bad, 1);
});

test("a rejoin's join names the relay it lost on the wire, as the fleet checks it", () => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "r", name: "p" });
  s._reportLost = true;
  s._lostRelay = "127.0.0.1:7780";
  const join = JSON.parse(encodeControl(s._joinMessage()));
  assert.deepEqual([join.lost, join.lost_relay], [true, "127.0.0.1:7780"]);
  assert.throws(() => encodeControl({ type: "join", room: "r", name: "p", lost: true,
                                      lost_relay: "a b:1" }), /lost_relay/);
  assert.throws(() => encodeControl({ type: "join", room: "r", name: "p", lost: true,
                                      lost_relay: "h".repeat(72) }), /lost_relay/);
});

test("a room's fields go as the protocol has them; a listing past the props' bounds is bad", () => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "duel-", name: "p", any: true,
                          props: { map: "dust" }, size: 4, open: false, exists: true,
                          match: { map: "dust" } });
  const join = JSON.parse(encodeControl(s._joinMessage()));
  assert.deepEqual([join.props, join.size, join.open, join.exists, join.match, join.listed],
                   [{ map: "dust" }, 4, false, true, { map: "dust" }, undefined]);
  s._wasJoined = true;
  s.room = "duel-1"; // a room of mine: a join again asks neither exists nor match
  const again = JSON.parse(encodeControl(s._joinMessage()));
  assert.deepEqual([again.exists, again.match, again.props], [undefined, undefined, { map: "dust" }]);
  assert.equal(encodeControl({ type: "room", open: true, props: {} }),
               '{"type":"room","open":true,"props":{}}');
  assert.equal(propsFault({ map: "a\u0007" }), "props: the value of 'map' is not 0..64 bytes of " +
               "printable UTF-8");
  assert.equal(propsFault({ k: "v".repeat(64), l: "v".repeat(64), m: "v".repeat(64),
                            n: "v".repeat(64) }),
               "props: keys and values are at most 256 bytes together (n passes it)");
  const listing = (entry) => s._receive(JSON.stringify({ type: "rooms", more: false,
                                                         rooms: [{ room: "a", members: 1,
                                                                   capacity: 2, ...entry }] }),
                                        "control");
  const got = [];
  s.addEventListener("rooms", (e) => got.push(e.detail.rooms[0]));
  listing({ props: { map: "dust" }, open: false });
  assert.deepEqual(got, [{ room: "a", members: 1, capacity: 2, props: { map: "dust" }, open: false }]);
  for (const bad of [{ props: { "a b": "x" } }, { props: ["x"] }, { open: 1 },
                     { props: { map: 7 } }]) {
    const before = s.bad;
    listing(bad);
    assert.equal(s.bad, before + 1, JSON.stringify(bad));
  }
  assert.equal(got.length, 1);
});

test("a route takes only the modes its edge carries", () => {
  const who = { room: "js", name: "m" };
  for (const mode of ["udp", "tcp", "ws", "streams"])
    assert.throws(() => new Session({ ...who, route: "webrtc", mode }), TypeError);
  for (const mode of ["udp", "tcp", "ws"])
    assert.throws(() => new Session({ ...who, route: "wt", mode }), TypeError);
  const wt = new Session({ ...who, route: "wt", mode: "streams" });
  assert.equal(wt.setMode("udp"), false);
  assert.equal(wt.setMode("sequenced"), true);
  const rtc = new Session({ ...who, route: "webrtc", mode: "reliable" });
  assert.equal(rtc.setMode("streams"), false);
  const ws = new Session({ ...who, url: "ws://127.0.0.1:9/", mode: "reliable" });
  assert.equal(ws.mode, "ws"); // one mode on a WebSocket, whatever is asked
  assert.equal(ws.setMode("unsequenced"), false);
});

test("a session that only listens pings within a third of the relay's timeout", () => {
  const s = new Session({ route: "wt", room: "js", name: "l" });
  assert.equal(s._idlePingUs(), 1000000); // 1 s: within a third of the default 5 s
  s._relayTimeoutMs = 900; // as GET /wt says it
  assert.equal(s._idlePingUs(), 300000);
  const short = new Session({ url: "ws://127.0.0.1:9/", room: "js", name: "l", timeoutMs: 1500 });
  assert.equal(short._idlePingUs(), 500000);
});

test("payloads and events through a relay", { skip: !URL && "needs RICOCHET_WS_URL" }, async () => {
  const a = await open("ja"), b = await open("jb");
  await until(() => a.members.has(b.id) && b.members.has(a.id));
  const sent = new Map();
  for (let k = 0; k < 20; k++) {
    const p = payloadFor(k + 1);
    const seq = a.sendState({ x: k, y: 1 }, p);
    assert.ok(seq > 0);
    sent.set(seq, p);
  }
  await until(() => b.got.filter((e) => e.type === "state").length >= 20);
  for (const e of b.got.filter((e) => e.type === "state")) {
    assert.equal(e.id, a.id);
    assert.deepEqual(e.state.payload, sent.get(e.state.seq));
  }
  assert.ok(a.sendEvent(TO_ROOM, new Uint8Array([0, 116, 97, 103, 255])));
  assert.ok(a.sendEvent(b.id, new Uint8Array(EVENT_MAX).fill(7)));
  await until(() => b.got.filter((e) => e.type === "event").length >= 2);
  const [room, direct] = b.got.filter((e) => e.type === "event");
  assert.equal(room.id, a.id);
  assert.equal(room.code, "room");
  assert.equal(room.name, "ja");
  assert.deepEqual(room.data, new Uint8Array([0, 116, 97, 103, 255]));
  assert.equal(direct.code, "direct");
  assert.deepEqual(direct.data, new Uint8Array(EVENT_MAX).fill(7));
  a.sendEvent(4000, new Uint8Array([1]));
  await until(() => a.got.some((e) => e.type === "error" && e.code === "no_member"));

  // refused before anything is sent
  assert.throws(() => a.sendState({ x: 1, y: 1 }, new Uint8Array(PAYLOAD_MAX + 1)), RangeError);
  assert.throws(() => a.sendEvent(TO_ROOM, new Uint8Array(EVENT_MAX + 1)), RangeError);
  assert.throws(() => a.sendEvent(TO_ROOM, null), TypeError);
  assert.throws(() => a.sendState({ x: 1, y: 1 }, "text"), TypeError);

  // a closed session throws, and sends nothing
  a.close();
  assert.equal(a.phase, "closed");
  assert.throws(() => a.sendState({ x: 1, y: 1 }), /closed/);
  assert.throws(() => a.sendEvent(TO_ROOM, new Uint8Array([1])), /closed/);
  a.close(); // twice is fine
  b.close();
});

test("a latecomer gets the kept events after its welcome, in order, marked kept",
     { skip: !URL && "needs RICOCHET_WS_URL" }, async () => {
  const a = await open("ka");
  const text = (s) => new TextEncoder().encode(s);
  assert.ok(a.sendEvent(TO_ROOM, text("kb"), { keep: "it" }));
  assert.ok(a.sendEvent(TO_ROOM, text("1:0"), { keep: "score", stay: true }));
  assert.ok(a.sendEvent(TO_ROOM, text("x"), { keep: "gone" }));
  assert.ok(a.sendEvent(TO_ROOM, text("ka"), { keep: "it" }));
  assert.ok(a.sendEvent(TO_ROOM, new Uint8Array(0), { keep: "gone" }));
  assert.throws(() => a.sendEvent(3, text("x"), { keep: "it" }), RangeError);
  assert.throws(() => a.sendEvent(TO_ROOM, text("x"), { keep: "a b" }), RangeError);
  assert.throws(() => a.sendEvent(TO_ROOM, new Uint8Array(EVENT_MAX), { keep: "k" }), RangeError);
  const order = [];
  const b = new Session({ url: URL, room: "js", name: "kb", timeoutMs: 5000 });
  b.addEventListener("welcome", () => order.push("welcome"));
  b.addEventListener("event", (e) => order.push(e.detail));
  b.start();
  await until(() => order.length >= 3);
  assert.equal(order[0], "welcome");
  assert.deepEqual(order.slice(1, 3).map((e) => [e.id, e.code, e.kept, e.key,
                                                 new TextDecoder().decode(e.data)]),
                   [[a.id, "kept", true, "score", "1:0"], [a.id, "kept", true, "it", "ka"]]);
  assert.ok(a.sendEvent(TO_ROOM, text("live")));
  await until(() => order.length >= 4);
  assert.deepEqual([order[3].code, order[3].kept, order[3].key], ["room", false, ""]);
  a.close();
  b.close();
});

test("names in Hangul and Vietnamese through a relay, whole", { skip: !URL && "needs RICOCHET_WS_URL" },
     async () => {
  const a = await open("민수"), b = await open("Nguyễn Văn An");
  await until(() => a.members.has(b.id) && b.members.has(a.id));
  assert.equal(a.members.get(b.id).name, "Nguyễn Văn An");
  assert.equal(b.members.get(a.id).name, "민수");
  a.close();
  b.close();
});

test("InterpBuffer: between, past the newest, a late state in its place", () => {
  const ib = new InterpBuffer(250000, 1000000);
  assert.deepEqual(ib.sampleAt(0), { kind: "none" });
  // the sender's clock 1 s behind mine, trips of 20 to 50 ms
  const st = (seq, sendUs, x) => ({ seq, send_us: sendUs, x, y: 0, vx: 100, vy: 0 });
  assert.ok(ib.push(st(1, 0, 0), 1020000));
  assert.ok(ib.push(st(3, 100000, 10), 1150000));
  assert.ok(ib.push(st(2, 50000, 5), 1100000)); // late: in its place
  assert.equal(ib.push(st(2, 50000, 5), 1100000), false); // twice: dropped
  assert.deepEqual(ib.s.map((v) => v.seq), [1, 2, 3]);
  assert.equal(ib.offsetUs, 1020000); // the fastest trip
  const mid = ib.sampleAt(1020000 + 75000);
  assert.equal(mid.kind, "between");
  assert.ok(Math.abs(mid.x - 7.5) < 1e-9 && mid.seqA === 2 && mid.seqB === 3);
  const ahead = ib.sampleAt(1020000 + 200000); // 100 ms past the newest: along its velocity
  assert.equal(ahead.kind, "extrapolated");
  assert.ok(Math.abs(ahead.x - 20) < 1e-9);
  const stale = ib.sampleAt(1020000 + 1000000); // past the limit: held there
  assert.equal(stale.kind, "stale");
  assert.ok(Math.abs(stale.x - 35) < 1e-9);
  assert.equal(ib.sampleAt(0).kind, "before");
  assert.deepEqual([ib.arrivals, ib.dropped, ib.resets], [4, 1, 0]);
  ib.clear();
  assert.equal(ib.raw, null);
  assert.deepEqual(ib.sampleAt(0), { kind: "none" });
});
