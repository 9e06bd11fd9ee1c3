// A player key kept past its process, and the room as the relay says it
// (ricochet_roomview.js): a saved key goes in the first join and a bad one
// is refused without being shown, and a join of it refused rate_limited
// (the relay's bound on keys from one address) goes again a second later; the welcome's owner, props, open, listed
// and size are read back (roomSettings, owner, isOwner), a `room` message
// is a "room" event that replaces them (before the welcome nothing, for
// another room bad); through a relay (RICOCHET_WS_URL) a key handed to a
// new Node process after its session left is the same player, and while
// the session is still in the room its place (the same id, the others told
// "rejoined"); on a relay that says the room, a change comes as a "room"
// event and a member that is not the owner cannot clear another's kept
// event ("error" not_owner); a room kept in a relay's --room-file (one of
// its own, RICOCHET_BIN) outlives a SIGKILL, its settings and kept events
// there for the members that come back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Session, TO_ROOM, encodeControl } from "../ricochet.js";
import { BIN, player, startRelay, until } from "./support.js";

const URL_ = process.env.RICOCHET_WS_URL;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const KEY = "00112233445566778899aabbccddeeff";
const ME = "1111111111111111", OTHER = "2222222222222222";

const has = (s, type, pred = () => true) => s.got.some((e) => e.type === type && pred(e));

test("a saved key goes in the first join; a bad one is refused unshown", () => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "js", name: "p", key: KEY });
  assert.equal(s.key, KEY);
  assert.equal(JSON.parse(encodeControl(s._joinMessage())).key, KEY);
  for (const bad of ["00112233445566778899AABBCCDDEEFF", "0011", 7]) {
    assert.throws(() => new Session({ url: "ws://127.0.0.1:9/", room: "js", name: "p", key: bad }),
                  (e) => e instanceof TypeError && !e.message.includes(String(bad)) &&
                         e.message.includes("32 lowercase hex digits"));
  }
  const none = new Session({ url: "ws://127.0.0.1:9/", room: "js", name: "p" });
  assert.equal(JSON.parse(encodeControl(none._joinMessage())).key, undefined);
});

test("a keyed join refused rate_limited goes again a second later; the session goes on",
     async () => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "js", name: "p", key: KEY });
  let joins = 0;
  s._sendJoin = () => { joins++; };
  s.phase = "joining";
  s._receive(JSON.stringify({ type: "error", code: "rate_limited", message: "too many joins with " +
                              "keys this relay does not hold from your address" }), "control");
  assert.equal(s.phase, "joining");
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(joins, 1);
  const plain = new Session({ url: "ws://127.0.0.1:9/", room: "js", name: "p" });
  plain.phase = "joining"; // without a key: a refusal as any other
  plain._receive(JSON.stringify({ type: "error", code: "rate_limited", message: "slow down" }),
                 "control");
  assert.equal(plain.phase, "closed");
});

test("the welcome says the room; a room message is a room event", () => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "cave", name: "p" });
  const rooms = [];
  s.addEventListener("room", (e) => rooms.push(e.detail));
  const say = (m) => s._receive(JSON.stringify(m), "control");
  say({ type: "room", room: "cave", owner: ME, props: {}, open: false }); // before the welcome
  assert.equal(rooms.length, 0);
  assert.equal(s.bad, 0);
  say({ type: "welcome", id: 3, room: "cave", key: KEY, player: ME, owner: OTHER,
        props: { map: "dust" }, open: true, listed: true, size: 3, roster: [] });
  assert.deepEqual({ ...s.roomSettings }, { owner: OTHER, props: { map: "dust" }, open: true,
                                            listed: true, size: 3 });
  assert.equal(s.owner, OTHER);
  assert.equal(s.isOwner, false);
  say({ type: "room", room: "cave", owner: ME, props: { map: "mill" }, open: false, listed: false,
        size: 3 });
  assert.deepEqual(rooms, [{ owner: ME, props: { map: "mill" }, open: false, listed: false,
                             size: 3, mine: true }]);
  assert.ok(s.isOwner && s.roomMine);
  assert.throws(() => { s.roomSettings.open = true; }, TypeError); // a frozen copy
  say({ type: "room", room: "hall", owner: OTHER, open: true }); // another room's: bad
  assert.equal(s.bad, 1);
  assert.equal(s.owner, ME);
  say({ type: "room", room: "cave", owner: "", props: {}, open: true, listed: true, size: 3 });
  assert.equal(s.owner, "");
  assert.equal(s.isOwner, false);
  for (const bad of [{ owner: "nope" }, { size: 0 }, { listed: 1 }, { props: { "a b": "x" } }]) {
    const before = s.bad;
    say({ type: "room", room: "cave", ...bad });
    assert.equal(s.bad, before + 1, JSON.stringify(bad));
  }
});

test("a relay that says no room: the defaults, and a creator's left names the owner", () => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "cave", name: "p" });
  const say = (m) => s._receive(JSON.stringify(m), "control");
  say({ type: "welcome", id: 3, room: "cave", key: KEY, player: ME, roster: [] });
  assert.deepEqual({ ...s.roomSettings }, { owner: "", props: {}, open: true, listed: true, size: 0 });
  say({ type: "left", id: 2, name: "ann", player: OTHER, reason: "quit", creator: ME });
  assert.equal(s.owner, ME);
  assert.ok(s.isOwner);
});

/* A new Node process: a session of key in room joins, prints "ID PLAYER",
 * stays stayMs, closes. */
function resumer(url, room, key, stayMs) {
  const code = `
    const { Session } = await import(${JSON.stringify(path.resolve(ROOT, "client/js/ricochet.js"))});
    const s = new Session({ url: process.argv[1], room: process.argv[2], name: "ann",
                            key: process.env.PLAYER_KEY });
    s.addEventListener("welcome", () => {
      console.log(s.id + " " + s.player);
      setTimeout(() => s.close(), Number(process.argv[3]));
    });
    s.addEventListener("close", () => process.exit(s.player ? 0 : 1));
    s.start();`;
  const p = spawn(process.execPath, ["--input-type=module", "-e", code, url, room, String(stayMs)],
                  { env: { ...process.env, PLAYER_KEY: key }, stdio: ["ignore", "pipe", "pipe"] });
  p.out = "";
  p.err = "";
  p.stdout.on("data", (d) => { p.out += d; });
  p.stderr.on("data", (d) => { p.err += d; });
  p.done = new Promise((resolve) => p.on("exit", resolve));
  return p;
}

test("a key handed to a new process: the same player, or its place while it is in",
     { skip: !URL_ && "needs RICOCHET_WS_URL" }, async () => {
  const obs = player({ url: URL_, room: "jskey", name: "obs" });
  await until(() => obs.phase === "joined", 5000, "obs's welcome");
  const ann = player({ url: URL_, room: "jskey", name: "ann" });
  await until(() => ann.phase === "joined" && has(obs, "joined"), 5000, "ann's welcome");
  const { key, player: who, id } = ann;
  assert.match(key, /^[0-9a-f]{32}$/);
  // ann still in (a page that crashed): the new process takes its place
  let p = resumer(URL_, "jskey", key, 500);
  assert.equal(await p.done, 0, p.err);
  assert.equal(p.out.trim(), `${id} ${who}`);
  assert.ok(has(obs, "rejoined", (e) => e.id === id && e.player === who));
  assert.ok(!p.err.includes(key) && !p.out.includes(key), "the key shown");
  ann.close();
  await until(() => has(obs, "left"), 5000, "a left");
  // ann gone: a new process with its key is its player
  p = resumer(URL_, "jskey", key, 300);
  assert.equal(await p.done, 0, p.err);
  assert.equal(p.out.trim().split(" ")[1], who);
  assert.ok(has(obs, "joined", (e) => e.player === who));
  obs.close();
});

test("the room's owner changes it for all; a stranger cannot clear another's kept event",
     { skip: !URL_ && "needs RICOCHET_WS_URL" }, async (t) => {
  const ann = player({ url: URL_, room: "jsroom", name: "ann", props: { map: "dust" }, size: 3 });
  await until(() => ann.phase === "joined", 5000, "ann's welcome");
  if (!ann.owner) {
    ann.close();
    return t.skip("this relay says no room in its welcome");
  }
  assert.deepEqual({ ...ann.roomSettings }, { owner: ann.player, props: { map: "dust" }, open: true,
                                              listed: true, size: 3 });
  assert.ok(ann.isOwner);
  const bob = player({ url: URL_, room: "jsroom", name: "bob" });
  await until(() => bob.phase === "joined", 5000, "bob's welcome");
  assert.equal(bob.owner, ann.player);
  assert.ok(!bob.isOwner);
  bob.sendEvent(TO_ROOM, new TextEncoder().encode("bob's"), { keep: "coin0" });
  bob.sendEvent(TO_ROOM, new TextEncoder().encode("bob's too"), { keep: "coin1" });
  await until(() => ann.got.filter((e) => e.type === "event").length === 2, 5000, "bob's coins");
  const cid = player({ url: URL_, room: "jsroom", name: "cid" });
  await until(() => cid.phase === "joined", 5000, "cid's welcome");
  cid.sendEvent(TO_ROOM, new Uint8Array(0), { keep: "coin0" });
  await until(() => has(cid, "error"), 5000, "cid's refusal");
  const refused = cid.got.find((e) => e.type === "error");
  assert.equal(refused.code, "not_owner");
  assert.match(refused.message, /coin0/);
  assert.equal(cid.phase, "joined");
  ann.sendEvent(TO_ROOM, new Uint8Array(0), { keep: "coin1" }); // the owner may
  await until(() => has(bob, "event", (e) => e.key === "coin1" && e.data.length === 0), 5000,
              "the owner's clear");
  assert.ok(!has(bob, "event", (e) => e.key === "coin0" && e.data.length === 0));
  assert.equal(ann.setRoom({ open: false, props: { map: "mill" } }), true);
  await until(() => has(bob, "room") && has(cid, "room"), 5000, "the change told");
  assert.deepEqual({ ...bob.roomSettings }, { owner: ann.player, props: { map: "mill" }, open: false,
                                              listed: true, size: 3 });
  for (const s of [ann, bob, cid]) s.close();
});

/* Does RICOCHET_BIN's relay keep rooms (--room-file)? */
function keepsRooms() {
  try {
    return execFileSync(path.join(BIN, "ricochet-relay"), ["--help"], { encoding: "utf8" })
      .includes("--room-file");
  } catch (e) {
    return false;
  }
}

test("a room kept in a --room-file outlives the relay's SIGKILL",
     { skip: !keepsRooms() && `no --room-file in ${BIN}/ricochet-relay` }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rooms-"));
  const file = path.join(dir, "rooms.json");
  let relay = await startRelay(0, "--room-file", file);
  const port = relay.port;
  // ann, whose join made the room, ends with the relay and comes back by its key after bob
  let ann = player({ url: relay.url, room: "jskeep", name: "ann", props: { map: "dust" }, size: 4 });
  await until(() => ann.phase === "joined", 5000, "ann's welcome");
  const bob = player({ url: relay.url, room: "jskeep", name: "bob", rejoinMs: 10000 });
  await until(() => bob.phase === "joined", 5000, "bob's welcome");
  ann.sendEvent(TO_ROOM, new TextEncoder().encode("red"), { keep: "flag", stay: true });
  await until(() => has(bob, "event", (e) => e.key === "flag"), 5000, "the flag");
  const { key, player: owner } = ann;
  await new Promise((r) => setTimeout(r, 300)); // past the relay's 100 ms of writing
  relay.proc.kill("SIGKILL");
  await relay.gone;
  await until(() => ann.phase === "closed", 5000, "ann's end");
  const welcomes = (s) => s.got.filter((e) => e.type === "welcome").length;
  relay = await startRelay(port, "--room-file", file);
  try {
    // bob, who joined without props, back first: the room as kept
    await until(() => welcomes(bob) === 2, 15000, "bob back");
    assert.deepEqual({ ...bob.roomSettings }, { owner, props: { map: "dust" }, open: true,
                                                listed: true, size: 4 });
    ann = player({ url: relay.url, room: "jskeep", name: "ann", key });
    await until(() => ann.phase === "joined", 5000, "ann back by its key");
    assert.equal(ann.player, owner);
    assert.ok(ann.isOwner);
    const cid = player({ url: relay.url, room: "jskeep", name: "cid" });
    await until(() => has(cid, "event", (e) => e.key === "flag"), 5000, "the kept flag");
    const flag = cid.got.find((e) => e.type === "event");
    assert.equal(new TextDecoder().decode(flag.data), "red");
    assert.ok(flag.kept);
    for (const s of [ann, bob, cid]) s.close();
  } finally {
    relay.proc.kill("SIGTERM");
    await relay.gone;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
