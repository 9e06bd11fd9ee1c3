// player.mjs: the JavaScript player of a lockstep room of four bindings
// (tests/test_e2e_lockstep_bindings.c), as player.py, over the relay's ws
// edge: sends its input ([slot, tick low, tick high]) for every tick from
// the first it aims at to the one it aims at now, before END, keeps the
// frames of ticks 0 to END - 1, and once it has them prints its slot, the
// ticks it sent, those whose frames came first, and the FNV-1a hash of
// those frames.   node player.mjs WS_URL ROOM NAME END
import { Session } from "../../../client/js/ricochet.js";

const [url, room, name] = process.argv.slice(2, 5);
const end = Number(process.argv[5]);
const s = new Session({ url, room, name, timeoutMs: 15000,
                        lockstep: { hz: 30, delay: 4, slots: 4, inputMax: 3, checkEvery: 0 } });
const frames = [], sent = new Set(), held = new Set();
let toSend = null;
let slot = null, trouble = "";

const finish = () => {
  clearInterval(loop);
  clearTimeout(limit);
  s.close();
  let h = 1469598103934665603n;
  for (const f of frames.slice(0, end))
    for (const b of f) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 1099511628211n);
  console.log(`slot ${slot}`);
  console.log(`sent ${[...sent].sort((a, b) => a - b).join(" ")}`);
  console.log(`held ${[...held].sort((a, b) => a - b).join(" ")}`);
  console.log(`frames ${frames.length}`);
  console.log(`hash ${h.toString(16).padStart(16, "0")}`);
  if (trouble || frames.length < end) {
    console.log(`trouble ${trouble || "frames stopped"}`);
    process.exitCode = 1;
  }
};
s.addEventListener("welcome", () => { slot = s.lockstep().slot; });
s.addEventListener("frame", ({ detail: f }) => {
  if (f.tick !== frames.length) trouble ||= `frame ${f.tick} after ${frames.length}`;
  frames.push(f.bytes);
});
s.addEventListener("error", ({ detail }) => { trouble ||= `error ${detail.code}`; });
s.addEventListener("close", ({ detail }) => {
  if (frames.length < end) trouble ||= `close ${detail.code}`;
});
const loop = setInterval(() => {
  if (trouble || frames.length >= end) return finish();
  if (slot === null) return;
  const aim = s.lockstepAim();
  if (toSend === null) toSend = aim;
  for (; toSend <= aim && toSend < end; toSend++) {
    const t = toSend;
    if (t < frames.length) held.add(t); /* its frame came first */
    else if (s.sendInput(t, new Uint8Array([slot, t & 255, t >> 8]))) sent.add(t);
  }
}, 2);
const limit = setTimeout(() => { trouble ||= "out of time"; finish(); }, (end / 30 + 40) * 1000);
s.start();
