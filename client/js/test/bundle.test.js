// The script a page gets (the Makefile's $(BUILD)/gen/ricochet.js: the
// entry's comment and its modules joined in order, for a relay's and the
// lesson's /ricochet.js) against the modules Node imports: the same names,
// each of the same kind and value, the same bytes for a state. A module
// the entry names but the Makefile does not join, or a name the page's
// script shares by mistake, shows here, and so does a module the Makefile
// leaves out that exports nothing of the API. The script is looked for beside
// RICOCHET_BIN (build/asan/gen for build/asan/bin, the default).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as modules from "../ricochet.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = path.resolve(ROOT, process.env.RICOCHET_BIN || "build/asan/bin");
const SCRIPT = path.resolve(BIN, "../gen/ricochet.js");
const skip = !fs.existsSync(SCRIPT) && `no page's script at ${SCRIPT} (make, RICOCHET_BIN)`;

test("the page's script exports what the modules do, alike", { skip }, async () => {
  const page = await import(pathToFileURL(SCRIPT).href);
  assert.deepEqual(Object.keys(page).sort(), Object.keys(modules).sort());
  for (const [name, v] of Object.entries(modules)) {
    assert.equal(typeof page[name], typeof v, name);
    if (typeof v !== "function") assert.deepEqual(page[name], v, name);
  }
  const st = { seq: 7, send_us: 123456, x: 1.5, y: 2, vx: 0, vy: -1, heading: 3 };
  const payload = new Uint8Array([1, 2, 3]);
  assert.deepEqual(page.encodeState(st, payload), modules.encodeState(st, payload));
  const s = new page.Session({ url: "ws://127.0.0.1:9/", room: "r", name: "n" });
  assert.equal(s.listRooms(), false); // not joined: nothing sent
  assert.equal(page.readTicket("no"), null);
});

test("the page's script holds every module, in the entry's order", { skip }, () => {
  const text = fs.readFileSync(SCRIPT, "utf8");
  const here = path.resolve(ROOT, "client/js");
  const named = [...fs.readFileSync(path.join(here, "ricochet.js"), "utf8")
    .matchAll(/from "\.\/(ricochet_[a-z]+\.js)";/g)].map((m) => m[1]);
  const files = fs.readdirSync(here).filter((f) => /^ricochet_[a-z]+\.js$/.test(f));
  const at = (f) => text.indexOf(fs.readFileSync(path.join(here, f), "utf8").split("\n")[0]);
  for (const f of files) assert.ok(at(f) >= 0, `${f} is not in ${SCRIPT}`);
  assert.ok(!/^import /m.test(text), "an import left in the page's script");
  const order = named.map(at);
  assert.deepEqual(order, order.slice().sort((x, y) => x - y), "modules out of the entry's order");
});
