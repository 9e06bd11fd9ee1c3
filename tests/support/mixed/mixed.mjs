// mixed.mjs: the JavaScript player of a room of four languages
// (tests/test_e2e_mixed_room.c), as client/csharp/tests/mixed/Mixed.cs,
// over the relay's ws edge: keeps an event under its name, sends states
// with its name as payload, says "done:NAME" once it has every other's
// state and kept event, leaves once every other said so.
//   node mixed.mjs WS_URL ROOM NAME OTHERS
import { Session, TO_ROOM } from "../../../client/js/ricochet.js";

const [url, room, name, list] = process.argv.slice(2);
const others = new Set(list.split(","));
const states = new Set(), kept = new Set(), done = new Set();
const me = new TextEncoder().encode(name);
const has = (set) => [...others].every((o) => set.has(o));
let said = false;
const s = new Session({ url, room, name }).start();
const finish = (ok) => {
  clearInterval(frames);
  clearTimeout(limit);
  s.close();
  console.log(ok ? "saw all" : `missed: states ${[...states]} kept ${[...kept]} done ${[...done]}`);
  process.exitCode = ok ? 0 : 1;
};
const frames = setInterval(() => {
  s.sendState({ x: 10, y: 20 }, me);
  if (!said && has(states) && has(kept)) {
    s.sendEvent(TO_ROOM, new TextEncoder().encode("done:" + name));
    said = true;
  }
  if (said && has(done)) finish(true);
}, 50);
const limit = setTimeout(() => finish(false), 40000);
s.addEventListener("welcome", () => s.sendEvent(TO_ROOM, me, { keep: name }));
s.addEventListener("state", (e) => states.add(new TextDecoder().decode(e.detail.state.payload)));
s.addEventListener("event", (e) => {
  const text = new TextDecoder().decode(e.detail.data);
  if (e.detail.key === text) kept.add(text);
  else if (text.startsWith("done:")) done.add(text.slice(5));
});
s.addEventListener("close", (e) => { if (!said || !has(done)) console.log("closed:", e.detail.reason); });
