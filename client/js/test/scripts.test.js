// A room's script (docs/scripts.md), the JavaScript client against a
// ricochet-relay of its own (RICOCHET_BIN, as relays.test.js) with
// --script-dir tests/scripts, a room running bindings.lua (the script every
// binding's tests share): a join named "banned" refused, an "error" then a
// "close" script_refused with the script's reason; the room's word on a
// join an "event" from ROOM_SENDER, no member's; the room's kept "score"
// cleared neither by a member nor by the room's owner ("error" not_owner,
// the session going on), and a latecomer reading it after its welcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TO_ROOM, ROOM_SENDER } from "../ricochet.js";
import { noRelay, player, startRelay, until } from "./support.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SCRIPTS = path.join(ROOT, "tests/scripts");
const skip = noRelay("runs a relay of its own") ||
  (!fs.existsSync(path.join(SCRIPTS, "bindings.lua")) && `no ${SCRIPTS}/bindings.lua`);

const text = (data) => new TextDecoder().decode(data);
/* s's events from the room (key: kept under it, "": not kept). */
const fromRoom = (s, key = "") =>
  s.got.filter((e) => e.type === "event" && e.id === ROOM_SENDER && (e.key || "") === key);

test("a room's script: a refusal's reason, its word, its kept score", { skip }, async () => {
  const relay = await startRelay(0, "--script-dir", SCRIPTS);
  const all = [];
  const join = (name, more = {}) => {
    const s = player({ url: relay.url, room: "jsden", name, ...more });
    all.push(s);
    return s;
  };
  try {
    const ann = join("ann", { props: { script: "bindings" } });
    await until(() => fromRoom(ann, "score").length === 1, 5000, "ann's score");
    const first = fromRoom(ann, "score")[0];
    assert.deepEqual([text(first.data), first.kept, first.name], ["1", true, ""]);
    const bob = join("bob");
    await until(() => fromRoom(ann).length === 1, 5000, "the room's hello");
    const hello = fromRoom(ann)[0];
    assert.deepEqual([hello.id, hello.code, text(hello.data)], [ROOM_SENDER, "room", "hello bob"]);
    assert.equal(ann.member(hello.id), null); // no member is the room
    await until(() => fromRoom(bob, "score").length === 1, 5000, "bob's score");
    assert.equal(text(fromRoom(bob, "score")[0].data), "2");

    const banned = join("banned");
    await until(() => banned.phase === "closed", 5000, "banned's close");
    const errors = banned.got.filter((e) => e.type === "error");
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [["script_refused", "no entry for banned"]]);
    const close = banned.got.at(-1);
    assert.deepEqual([close.type, close.code, close.text], ["close", "script_refused", "no entry for banned"]);
    assert.equal(banned.endCode, "script_refused");

    for (const s of [bob, ann]) { // a member's clear, then the owner's
      s.sendEvent(TO_ROOM, new Uint8Array(0), { keep: "score" });
      await until(() => s.got.some((e) => e.type === "error"), 5000, `${s.name}'s refusal`);
      const refused = s.got.find((e) => e.type === "error");
      assert.equal(refused.code, "not_owner");
      assert.match(refused.message, /score/);
      assert.equal(s.phase, "joined");
    }
    const cy = join("cy");
    await until(() => fromRoom(cy, "score").length === 1, 5000, "cy's score");
    const late = fromRoom(cy, "score")[0];
    assert.deepEqual([text(late.data), late.kept], ["3", true]);
  } finally {
    for (const s of all) s.close();
    await relay.stop();
  }
});
