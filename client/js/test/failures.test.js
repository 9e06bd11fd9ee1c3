// Every way a session can fail reaches the program as a "close" event whose
// reason says what happened and whose hint says what to do; none throws out
// of Node's event loop. These need no relay: each failure is staged here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import http from "node:http";
import { WebSocketServer } from "ws";
import { Session } from "../ricochet.js";

/* A port where nothing listens: one the kernel gave and took back. */
function deadPort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/* The session's close event (its detail), or a failure after ms. */
function closeOf(s, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no close event")), ms);
    s.addEventListener("close", (e) => {
      clearTimeout(t);
      resolve(e.detail);
    });
  });
}

test("no relay at the url: a close event that says so, no crash", async () => {
  const url = `ws://127.0.0.1:${await deadPort()}/`;
  const s = new Session({ url, room: "r", name: "n" }).start();
  const d = await closeOf(s);
  assert.equal(d.code, "refused");
  assert.match(d.text, /nothing listens/);
  assert.ok(d.text.includes(url), d.text);
  assert.match(d.hint, /ricochet-relay/);
  assert.equal(s.phase, "closed");
});

test("a server that never answers: timeout, saying where and for how long", async () => {
  const silent = net.createServer(() => {}); // takes the connection, says nothing
  await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const url = `ws://127.0.0.1:${silent.address().port}/`;
  const s = new Session({ url, room: "r", name: "n", timeoutMs: 300 }).start();
  const d = await closeOf(s);
  silent.close();
  assert.equal(d.code, "timeout");
  assert.match(d.text, /no answer from 127\.0\.0\.1:\d+ in 300 ms/);
  assert.match(d.hint, /timeoutMs/);
});

test("a web server that is not the relay's ws edge: refused, with its answer", async () => {
  const web = http.createServer((req, res) => res.writeHead(404).end("no"));
  await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
  const url = `ws://127.0.0.1:${web.address().port}/`;
  const d = await closeOf(new Session({ url, room: "r", name: "n" }).start());
  web.close();
  assert.equal(d.code, "refused");
  assert.match(d.text, /answered HTTP 404, not a WebSocket/);
});

/* A relay of our own making: its connection's messages are `script`'s. */
async function fakeRelay(script) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.on("listening", resolve));
  wss.on("connection", (ws) => ws.on("message", (data) => script(ws, JSON.parse(data))));
  return { wss, url: `ws://127.0.0.1:${wss.address().port}/` };
}

const welcome = (id) => JSON.stringify({ type: "welcome", id, room: "r", roster: [] });

test("the relay refuses the join: its code, its words, and what to do", async () => {
  const { wss, url } = await fakeRelay((ws) => {
    ws.send(JSON.stringify({ type: "error", code: "room_full", message: "the room is full" }));
    ws.close();
  });
  const s = new Session({ url, room: "r", name: "n" }).start();
  const errors = [];
  s.addEventListener("error", (e) => errors.push(e.detail.code));
  const d = await closeOf(s);
  wss.close();
  assert.deepEqual(errors, ["room_full"]);
  assert.equal(d.code, "room_full");
  assert.equal(d.reason, "relay refused the join: room_full (the room is full)");
  assert.match(d.hint, /another room/);
});

test("the relay closes a joined session: disconnected, and how to go on", async () => {
  const { wss, url } = await fakeRelay((ws) => {
    ws.send(welcome(5));
    setTimeout(() => ws.close(1001), 50);
  });
  const s = new Session({ url, room: "r", name: "n" }).start();
  const d = await closeOf(s);
  wss.close();
  assert.equal(d.code, "disconnected");
  assert.match(d.text, /the relay closed the WebSocket \(1001\)/);
  assert.match(d.hint, /rejoinMs/);
});

test("listRooms before the welcome: false and nothing sent, nothing queued", async () => {
  const sent = [], early = [];
  let s;
  const { wss, url } = await fakeRelay((ws, m) => {
    sent.push(m.type);
    if (m.type !== "join") return;
    early.push(s.phase, s.listRooms("duel-")); // the join in, no welcome yet
    ws.send(welcome(5));
  });
  s = new Session({ url, room: "r", name: "n" }).start();
  early.push(s.listRooms());
  await new Promise((resolve) => s.addEventListener("welcome", resolve));
  assert.equal(s.listRooms("duel-"), true);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the relay reads what came
  const closed = closeOf(s);
  s.close();
  await closed;
  wss.close();
  assert.deepEqual(early, [false, "joining", false]);
  assert.deepEqual(sent.filter((t) => t !== "ping"), ["join", "rooms"]);
  assert.equal(s.listRooms(), false); // closed
});

test("close(): said as what happened, nothing to do", async () => {
  const { wss, url } = await fakeRelay((ws) => ws.send(welcome(5)));
  const s = new Session({ url, room: "r", name: "n" }).start();
  await new Promise((resolve) => s.addEventListener("welcome", resolve));
  const closed = closeOf(s);
  s.close();
  const d = await closed;
  wss.close();
  assert.equal(d.code, "closed");
  assert.equal(d.reason, "closed: close() was called");
  assert.equal(d.hint, "");
  assert.doesNotMatch(d.reason, /page/);
});

test("a failure at once reaches a listener added after start()", async () => {
  const s = new Session({ route: "webrtc", room: "r", name: "n" }).start();
  const d = await closeOf(s); // Node has no WebRTC
  assert.equal(d.code, "refused");
  assert.match(d.text, /no WebRTC here/);
});

test("bad options throw at once, naming the rule", () => {
  const url = "ws://127.0.0.1:7780/";
  assert.throws(() => new Session({ url, room: "r b", name: "ana" }),
                { name: "TypeError", message: /room "r b": 1 to 32 of A-Z a-z 0-9 _ \. -/ });
  assert.throws(() => new Session({ url, room: "", name: "ana" }), /room "": 1 to 32/);
  // a player's name in any script; a refusal says which part of the rule, as the relay would
  new Session({ url, room: "r", name: "Nguyễn Văn An" }).close();
  assert.throws(() => new Session({ url, room: "r", name: "a\u001b[2J" }),
                { name: "TypeError",
                  message: /name "a\\u001b\[2J": a name may not hold control characters \(U\+001B\)/ });
  assert.throws(() => new Session({ url, room: "r", name: "\u202e민수" }),
                /a name may not hold invisible format characters \(U\+202E\)/);
  assert.throws(() => new Session({ url, room: "r", name: "  " }), /a name may not be only spaces/);
  assert.throws(() => new Session({ url, room: "r", name: "민수".repeat(6) }),
                /a name may not be longer than 32 bytes of UTF-8 \(this one is 36;/);
  assert.throws(() => new Session({ url, room: "r", name: "x".repeat(33) }), TypeError);
  assert.throws(() => new Session({ room: "r", name: "n" }), /url: outside a page/);
  assert.throws(() => new Session({ url: "http://127.0.0.1/", room: "r", name: "n" }),
                /ws:\/\/ or wss:\/\//);
  assert.throws(() => new Session({ url, room: "r", name: "n", timeoutMs: 0 }), RangeError);
  assert.throws(() => new Session({ url, room: "r", name: "n", rejoinAfterMs: 50 }), RangeError);
  assert.throws(() => new Session({ url, room: "r", name: "n", route: "tcp" }), TypeError);
});

test("no ws where Node needs one: the close says to install it, not to check the relay",
     { skip: globalThis.WebSocket && "this Node has a WebSocket of its own" }, async () => {
  /* the package copied where no node_modules holds ws, as a folder linked
   * by npm install <folder> without its npm ci */
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ricochet-nows-"));
  try {
    const pkg = path.join(dir, "node_modules", "ricochet-relay-client");
    fs.mkdirSync(pkg, { recursive: true });
    for (const f of fs.readdirSync(here).filter((f) => /^ricochet.*\.js$|^package\.json$/.test(f)))
      fs.copyFileSync(path.join(here, f), path.join(pkg, f));
    const url = `ws://127.0.0.1:${await deadPort()}/`;
    fs.writeFileSync(path.join(dir, "game.mjs"),
                     `import { Session } from "ricochet-relay-client";
                      const s = new Session({ url: "${url}", room: "r", name: "n" });
                      s.addEventListener("close", (e) => console.log(JSON.stringify(e.detail)));
                      s.start();`);
    const d = JSON.parse(execFileSync(process.execPath, ["game.mjs"], { cwd: dir, encoding: "utf8",
                                                                     timeout: 10000 }));
    assert.equal(d.code, "refused");
    assert.match(d.text, /no WebSocket here/);
    assert.match(d.hint, /npm pack/);
    assert.doesNotMatch(d.hint, /check the url/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/* A whole ticket of format 2 (ricochet_ticket.js's readTicket), its keys
 * zeros: sealed (flags bit 0) or clear, for room r and name n. */
function wholeTicket(sealed) {
  const pass = [1, 2, 3, 4];
  const str = (s) => [s.length, ...new TextEncoder().encode(s)];
  const b = [2, 0, pass.length, ...pass, ...new Array(64).fill(0), sealed ? 1 : 0,
             ...str("r"), ...str("n"), ...str(""), 0];
  return Buffer.from(b).toString("base64url");
}

/* Runs a game in a folder whose node_modules holds the package and ws but
 * no libsodium-wrappers, as a game installs it without the optional peer
 * dependency: its session with ticket against url; its close's detail. */
async function closeWithoutSodium(url, ticket) {
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ricochet-nosodium-"));
  try {
    const pkg = path.join(dir, "node_modules", "ricochet-relay-client");
    fs.mkdirSync(pkg, { recursive: true });
    for (const f of fs.readdirSync(here).filter((f) => /^ricochet.*\.js$|^package\.json$/.test(f)))
      fs.copyFileSync(path.join(here, f), path.join(pkg, f));
    fs.symlinkSync(path.join(here, "node_modules", "ws"), path.join(dir, "node_modules", "ws"));
    fs.writeFileSync(path.join(dir, "game.mjs"),
                     `import { Session } from "ricochet-relay-client";
                      const s = new Session({ url: "${url}", ticket: "${ticket}" });
                      s.addEventListener("close", (e) => console.log(JSON.stringify(e.detail)));
                      s.start();`);
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, ["game.mjs"], { cwd: dir, encoding: "utf8", timeout: 10000 },
               (err, stdout) => (err ? reject(err) : resolve(stdout))));
    return JSON.parse(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("a sealed ticket without libsodium-wrappers: the close names the package, not the relay",
     async () => {
  const d = await closeWithoutSodium(`ws://127.0.0.1:${await deadPort()}/`, wholeTicket(true));
  assert.equal(d.code, "refused");
  assert.match(d.text, /libsodium-wrappers is not installed/);
  assert.match(d.hint, /npm install libsodium-wrappers/);
  assert.doesNotMatch(d.hint, /ricochet-relay runs there|check the url/);
});

test("a clear ticket, a relay that seals, no libsodium-wrappers: the package named", async () => {
  const { wss, url } = await fakeRelay((ws, m) => {
    const hex = "0".repeat(32); /* a relay with --encrypt answers a ticket's join so */
    if (m.type === "join") ws.send(JSON.stringify({ type: "sealed", salt: hex, tag: hex }));
  });
  const d = await closeWithoutSodium(url, wholeTicket(false));
  wss.close();
  assert.equal(d.code, "refused");
  assert.match(d.text, /the relay seals this ticket's session: libsodium-wrappers is not installed/);
  assert.match(d.hint, /npm install libsodium-wrappers/);
});
