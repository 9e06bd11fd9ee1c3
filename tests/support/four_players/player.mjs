// player.mjs: the Node player of test_e2e_four_players, written from
// client/js/README.md and ricochet.d.ts alone, the package in its
// node_modules: the same game as player.c (see there). It joins ROOM as
// NAME over the relay's ws edge, sends its state with its name as payload
// and "hi NAME" events, and says "NAME: phase N ok" on stderr once it has
// every peer's payload, event and roster entry and a listing shows ROOM
// with 4 members; a relay lost and back starts phase 2; then "done NAME"
// until every peer said it, and it leaves. Exit 0, or 1 if the session
// ends or 30 s pass.
// Run: node player.mjs WS_URL ROOM NAME
import { Session, TO_ROOM } from "ricochet-relay-client";

const [url, room, name] = process.argv.slice(2);
const peers = ["c", "py", "cs", "js"].filter((n) => n !== name);
const text = new TextDecoder(), bytes = (s) => new TextEncoder().encode(s);
const s = new Session({ url, room, name, rejoinMs: 15000 }).start();
let seen = { payloads: new Set(), events: new Set(), done: new Set(), listed: false };
let phase = 1, reported = 0, nextState = 0, nextEvent = 0, nextList = 0, leave = 0;
const has = (set) => peers.every((p) => set.has(p));

s.addEventListener("state", (e) => seen.payloads.add(text.decode(e.detail.state.payload)));
s.addEventListener("event", (e) => {
  const [word, who] = text.decode(e.detail.data).split(" ");
  (word === "hi" ? seen.events : seen.done).add(who);
});
s.addEventListener("rooms", (e) => {
  seen.listed ||= e.detail.rooms.some((r) => r.room === room && r.members === 4);
});
s.addEventListener("moved", (e) => {
  if (e.detail.code !== "rejoin") return;
  seen = { payloads: new Set(), events: new Set(), done: new Set(), listed: false };
  phase = 2;
});
s.addEventListener("close", (e) => {             // always the last event
  clearInterval(frames);
  clearTimeout(deadline);
  const finished = leave > 0 && Date.now() >= leave;
  if (!finished) console.error(`player js: over: ${e.detail.reason} ${e.detail.hint}`);
  console.error(`${name}: ${finished ? "left" : "gave up"}`);
  process.exitCode = finished ? 0 : 1;
});
const deadline = setTimeout(() => s.close(), 30000);

const frames = setInterval(() => {               // the game's loop
  const now = Date.now();
  if (leave > 0 && now >= leave) return s.close();
  if (s.phase !== "joined") return;
  if (now >= nextState) {
    s.sendState({ x: 30, y: 50 }, bytes(name));
    nextState = now + 100;
  }
  const ok = reported === phase;
  if (now >= nextEvent) {
    s.sendEvent(TO_ROOM, bytes(`hi ${name}`));
    if (ok && phase === 2) s.sendEvent(TO_ROOM, bytes(`done ${name}`));
    nextEvent = now + 300;
  }
  const whole = has(seen.payloads) && has(seen.events) &&
    has(new Set(s.memberList().map((m) => m.name)));
  if (whole && !seen.listed && now >= nextList) {
    s.listRooms(room);
    nextList = now + 500;
  }
  if (whole && seen.listed && !ok) {
    console.error(`${name}: phase ${phase} ok`);
    reported = phase;
  }
  if (ok && phase === 2 && has(seen.done) && leave === 0) leave = now + 500;
}, 10);
