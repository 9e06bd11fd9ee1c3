// ricochet.js in a refereed room that outlives its relay (relays of its
// own, RICOCHET_BIN, with examples/scripts and tictactoe.lua pinned to the
// rooms "ttt-..."): X and O play a game and two moves of the next; the
// relay is SIGKILLed with --room-file and started again on its file: both
// are back ("moved" rejoin, the other told "rejoined" with the id it had
// before in was), the room's kept roles, score and board as they were, and
// the referee plays on from them. The same after a fleet's move: two
// relays sharing a redis-server, X over a WebSocket entering through the
// room's relay (relays names the other), O polling over HTTP and an ENet
// watcher (ricochet-bot --rejoin-ms) entering through the other; the room's
// relay is SIGKILLed and all three are back on the other within their
// rejoin window, none ended (moved_too_far or any), the two pages never
// sent back to the relay they lost. And a second live session with a
// player's key ends the first "replaced", once: it does not come back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOM_SENDER, TO_ROOM } from "../ricochet.js";
import { BIN, noRelay, player, startRelay, until } from "./support.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const PIN = ["--script-dir", path.join(ROOT, "examples/scripts"), "--script-room", "ttt-=tictactoe"];
const REJOIN_MS = 10000;
const skip = noRelay("a refereed room") ||
  (!fs.existsSync(path.join(ROOT, "examples/scripts/tictactoe.lua")) && "no tictactoe.lua");

/* A player: its session and what the room told it, its newest kept events
 * by key (cleared at each "moved": they come again from the relay it goes
 * to), its last word. */
function seat(opts) {
  const s = player({ rejoinMs: REJOIN_MS, ...opts });
  s.kept = {};
  s.said = "";
  s.hops = [];
  s.addEventListener("moved", (e) => {
    s.kept = {};
    s.hops.push(e.detail.text);
  });
  s.addEventListener("event", ({ detail: e }) => {
    if (e.id !== ROOM_SENDER) return;
    const text = new TextDecoder().decode(e.data);
    if (e.key) s.kept[e.key] = text;
    else s.said = text;
  });
  return s;
}

async function move(s, cell, answer) {
  s.said = "";
  assert.ok(s.sendEvent(TO_ROOM, new TextEncoder().encode(`move ${cell}`)), `${s.name} joined`);
  await until(() => s.said === answer, 15000, `${s.name}'s answer ${answer}`);
}

const kept = (s, key, want) => until(() => s.kept[key] === want, 15000,
                                     `${s.name}'s ${key} ${want} (has ${JSON.stringify(s.kept)})`);

/* X wins a game, then O and X move once in the next; the roles kept. */
async function playBefore(x, o) {
  /* each told the roles: joined, the room's kept events heard */
  await until(() => [x, o].every((s) => (s.kept.roles || "").length === 37), 15000, "both seated");
  for (const [s, cell, answer] of [[x, 1, "X 1"], [o, 4, "O 4"], [x, 2, "X 2"], [o, 5, "O 5"],
                                   [x, 3, "X wins"], [o, 5, "O 5"], [x, 1, "X 1"]])
    await move(s, cell, answer);
  for (const s of [x, o]) {
    await kept(s, "board", "X...O.... O");
    await kept(s, "score", "X=1,O=0,draw=0");
  }
  return x.kept.roles;
}

/* Back: the game as it was, and the referee going on from it. */
async function playAfter(x, o, roles, others = []) {
  for (const s of [x, o, ...others]) {
    await until(() => s.got.some((e) => e.type === "moved"), 15000, `${s.name} moved`);
    await kept(s, "roles", roles);
    await kept(s, "board", "X...O.... O");
    await kept(s, "score", "X=1,O=0,draw=0");
  }
  await move(x, 9, "refused: not your turn");
  await move(o, 4, "O 4");
  await move(x, 7, "X 7");
  await move(o, 6, "O wins");
  for (const s of [x, o, ...others]) await kept(s, "score", "X=1,O=1,draw=0");
}

test("a refereed room outlives its relay's SIGKILL with --room-file", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "referee-"));
  const file = path.join(dir, "rooms.json");
  let relay = await startRelay(0, "--room-file", file, ...PIN);
  const x = seat({ url: relay.url, room: "ttt-1", name: "ann" });
  await kept(x, "board", "......... X");
  const o = seat({ url: relay.url, room: "ttt-1", name: "bob" });
  try {
    const roles = await playBefore(x, o);
    assert.ok(roles.includes(x.player) && roles.includes(o.player));
    await new Promise((r) => setTimeout(r, 300)); // past the relay's 100 ms of writing
    const xWas = x.id;
    relay.proc.kill("SIGKILL");
    await relay.gone;
    relay = await startRelay(relay.port, "--room-file", file, ...PIN);
    await playAfter(x, o, roles);
    assert.ok(o.got.some((e) => e.type === "rejoined" && e.was === xWas && e.id === x.id),
              "o told x came back, with its id before");
    assert.deepEqual([x.phase, o.phase], ["joined", "joined"]);
  } finally {
    for (const s of [x, o]) s.close();
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/* A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

test("a fleet's move keeps a WebSocket, a polling and an ENet player", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-"));
  const rport = await freePort();
  const redis = spawn("redis-server", ["--port", String(rport), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  await until(() => {
    try {
      return execFileSync("redis-cli", ["-p", String(rport), "ping"], { encoding: "utf8" })
        .trim() === "PONG";
    } catch (e) {
      return false;
    }
  }, 5000, "redis-server");
  const fleet = ["--listen", "poll://127.0.0.1:0", "--listen", "enet://127.0.0.1:0", "--directory",
                 `redis://127.0.0.1:${rport}`, "--advertise", "127.0.0.1:0", "--directory-ttl", "2",
                 ...PIN];
  const a = await startRelay(0, ...fleet), b = await startRelay(0, ...fleet);
  const x = seat({ url: a.url, room: "ttt-2", name: "ann", relays: [b.url] });
  let o = null, bot = null;
  try {
    await kept(x, "board", "......... X");
    o = seat({ url: b.poll, route: "poll", room: "ttt-2", name: "bob" });
    const roles = await playBefore(x, o);
    let botLog = "";
    bot = spawn(path.join(BIN, "ricochet-bot"),
                ["--port", String(b.ports.enet), "--room", "ttt-2", "--name", "eve", "--rate", "10",
                 "--duration", "60", "--rejoin-ms", String(REJOIN_MS), "--log-level", "info"],
                { stdio: ["ignore", "ignore", "pipe"] });
    bot.stderr.on("data", (d) => { botLog += d; });
    await until(() => x.got.some((e) => e.type === "joined" && e.name === "eve-1"), 15000,
                "the ENet watcher in the room");
    assert.equal(x.where, `127.0.0.1:${a.ports.ws}`);
    assert.equal(o.where, `127.0.0.1:${a.ports.poll}`);
    await new Promise((r) => setTimeout(r, 300)); // the directory has the room's record
    for (const s of [x, o]) s.hops = [];
    a.proc.kill("SIGKILL");
    await a.gone;
    const killed = Date.now();
    await until(() => [x, o].every((s) => s.phase === "joined" && s.kept.board === "X...O.... O"),
                REJOIN_MS, "both pages back");
    await until(() => (botLog.match(/joined as \d+ \(session 2\)/) || []).length === 1, REJOIN_MS,
                `the ENet watcher back: ${botLog}`);
    assert.ok(Date.now() - killed < REJOIN_MS);
    assert.equal(x.where, `127.0.0.1:${b.ports.ws}`);
    assert.equal(o.where, `127.0.0.1:${b.ports.poll}`);
    for (const [s, edge] of [[x, "ws"], [o, "poll"]])
      assert.ok(!s.hops.includes(`127.0.0.1:${a.ports[edge]}`), `${s.name}: ${s.hops}`);
    await playAfter(x, o, roles);
    assert.deepEqual([x.endCode, o.endCode, bot.exitCode], ["", "", null]);
  } finally {
    for (const s of [x, o]) if (s) s.close();
    if (bot) bot.kill("SIGTERM");
    await b.stop();
    if (a.proc.exitCode === null && a.proc.signalCode === null) await a.stop();
    redis.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a second live session with a player's key ends the first replaced, once", { skip },
     async () => {
  const relay = await startRelay(0);
  const first = player({ url: relay.url, room: "keep", name: "ann", rejoinMs: REJOIN_MS });
  const obs = player({ url: relay.url, room: "keep", name: "obs" });
  let again = null;
  try {
    await until(() => first.phase === "joined" && obs.phase === "joined", 5000, "both joined");
    again = player({ url: relay.url, room: "keep", name: "ann", key: first.key,
                     rejoinMs: REJOIN_MS });
    await until(() => first.phase === "closed", 5000, "the first's end");
    await new Promise((r) => setTimeout(r, 2000)); // long enough for a rejoin: none comes
    assert.deepEqual(first.got.filter((e) => e.type === "error").map((e) => e.code), ["replaced"]);
    assert.deepEqual(first.got.filter((e) => e.type === "close").map((e) => e.code), ["replaced"]);
    assert.ok(!first.got.some((e) => e.type === "moved"));
    assert.equal(obs.got.filter((e) => e.type === "rejoined").length, 1);
    assert.equal(again.phase, "joined");
  } finally {
    for (const s of [first, obs, again]) if (s) s.close();
    await relay.stop();
  }
});
