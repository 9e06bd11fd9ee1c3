// The JavaScript client over the relay's HTTP polling edge (route "poll"),
// against a ricochet-relay of its own (from RICOCHET_BIN, as
// relays.test.js finds it) with a ws edge and a poll edge: a polling
// session and a WebSocket member in one room exchange states (payloads
// byte for byte) and events both ways, long polling and short, and sealed
// on a relay that seals (--encrypt, whole tickets); close()
// ends the polling session (DELETE: the other member sees it leave, reason
// quit); no relay, a relay gone, a join refused (room_full), a server that
// never answers, and one that answers what the relay never would (frames
// cut, an answer too long, 410 gone) reach the program as events (error,
// bad, close with a reason and a hint), never as an exception.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Session, TO_ROOM } from "../ricochet.js";
import { BIN, noRelay, player, startRelay as startWsRelay, until } from "./support.js";

const skip = noRelay("runs relays of its own");

/* A relay with a ws edge and a poll edge on free ports (relay.url, relay.poll). */
const startRelay = (...args) => startWsRelay(0, "--listen", "poll://127.0.0.1:0", ...args);

const has = (s, type) => s.got.some((e) => e.type === type);
const last = (s) => s.got[s.got.length - 1];
const text = (b) => new TextDecoder().decode(b);

/* A port nothing listens on: one the system gave, then closed. */
async function freePort() {
  const srv = net.createServer().listen(0, "127.0.0.1");
  await new Promise((r) => srv.once("listening", r));
  const port = srv.address().port;
  await new Promise((r) => srv.close(r));
  return port;
}

/* A polling session and a WebSocket member in one room: states and events
 * both ways; then the polling session closes and the other sees it leave. */
async function bothWays(relay, room, pollOpts) {
  const p = player({ route: "poll", url: relay.poll, room, name: "pol", ...pollOpts }, true);
  const w = player({ url: relay.url, room, name: "wsm" }, true);
  try {
    await until(() => p.member(w.id) && p.member(w.id).stats.received >= 20 &&
                w.member(p.id) && w.member(p.id).stats.received >= 20, 10000, "states both ways");
    assert.equal(p.mode, "tcp");
    const fromW = p.member(w.id), fromP = w.member(p.id);
    assert.equal(text(fromW.last.payload), "wsm");
    assert.equal(text(fromP.last.payload), "pol");
    assert.equal(fromP.mode, "tcp"); // the edge's mode: everything in order
    assert.equal(fromW.arrivedAs, "tcp");
    assert.equal(fromP.stats.lost, 0);
    assert.equal(fromW.stats.lost, 0);
    /* events, sent in a burst: one POST carries them, in order */
    for (const n of [1, 2, 3]) assert.ok(p.sendEvent(TO_ROOM, new Uint8Array([n, 255, 0])));
    assert.ok(w.sendEvent(p.id, new TextEncoder().encode("to pol")));
    await until(() => w.got.filter((e) => e.type === "event").length >= 3 &&
                has(p, "event"), 5000, "the events");
    assert.deepEqual(w.got.filter((e) => e.type === "event").map((e) => [e.name, ...e.data]),
                     [["pol", 1, 255, 0], ["pol", 2, 255, 0], ["pol", 3, 255, 0]]);
    const ev = p.got.find((e) => e.type === "event");
    assert.equal(ev.code, "direct");
    assert.equal(text(ev.data), "to pol");
    assert.equal(p.bad, 0, p.lastBad);
    p.close();
    assert.equal(last(p).type, "close");
    assert.equal(last(p).code, "closed");
    await until(() => has(w, "left"), 5000, "the polling member leaving");
    const left = w.got.find((e) => e.type === "left");
    assert.equal(left.name, "pol");
    assert.equal(left.reason, "quit");
    assert.equal(w.bad, 0, w.lastBad);
  } finally {
    p.close();
    w.close();
  }
}

test("a polling session options: a url of the poll edge, its times", () => {
  const o = { route: "poll", room: "r", name: "n" };
  assert.throws(() => new Session({ ...o, url: "ws://127.0.0.1:7780/" }), TypeError);
  assert.throws(() => new Session({ ...o }), /poll edge/);
  assert.throws(() => new Session({ ...o, url: "http://h/", pollWaitMs: 25001 }), RangeError);
  assert.throws(() => new Session({ ...o, url: "http://h/", pollWaitMs: 0 }), RangeError);
  assert.throws(() => new Session({ ...o, url: "http://h/", pollIntervalMs: -1 }), RangeError);
  assert.throws(() => new Session({ ...o, url: "http://h/", pollIntervalMs: 5000 }),
                /pollIntervalMs 5000: shorter than timeoutMs \(5000\)/);
  new Session({ ...o, url: "http://h/", pollIntervalMs: 5000, timeoutMs: 10000 });
  assert.equal(new Session({ ...o, url: "http://h:7781" }).where, "h:7781");
});

test("long polling: states and events both ways with a ws member, close ends it",
     { skip }, async () => {
  const relay = await startRelay();
  try {
    await bothWays(relay, "longpoll", {});
  } finally {
    await relay.stop();
  }
});

test("sealed: on a relay that seals, a polling session and a ws one, both sealed",
     { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ricochet-poll-"));
  const tool = path.join(BIN, "ricochet-ticket"), key = path.join(dir, "backend.key");
  execFileSync(tool, ["keygen", key], { stdio: "ignore" });
  const mint = (name) => execFileSync(tool, ["mint", "--key", key, "--room", "sealed", "--name",
                                             name], { encoding: "utf8" });
  const relay = await startRelay("--ticket-key", key, "--encrypt");
  const p = player({ route: "poll", url: relay.poll, ticket: mint("pol") }, true);
  const w = player({ url: relay.url, ticket: mint("wsm") }, true);
  try {
    await until(() => p.member(w.id) && p.member(w.id).stats.received >= 20 &&
                w.member(p.id) && w.member(p.id).stats.received >= 20, 10000, "states both ways");
    assert.ok(p.sealed && w.sealed);
    assert.ok(p.sendEvent(TO_ROOM, new Uint8Array([7])));
    await until(() => has(w, "event"), 5000, "the event");
    assert.equal(w.got.find((e) => e.type === "event").name, "pol");
    assert.equal(p.bad + w.bad, 0, p.lastBad + w.lastBad);
  } finally {
    p.close();
    w.close();
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("short polling at the interval given", { skip }, async () => {
  const relay = await startRelay();
  try {
    await bothWays(relay, "shortpoll", { pollIntervalMs: 40 });
  } finally {
    await relay.stop();
  }
});

test("no relay at the url: a close event that says so, nothing thrown", async () => {
  const port = await freePort();
  const s = player({ route: "poll", url: `http://127.0.0.1:${port}/`, room: "r", name: "n" }, true);
  await until(() => has(s, "close"), 5000, "the close");
  const c = last(s);
  assert.equal(c.code, "refused");
  assert.equal(c.reason, `refused: nothing listens at http://127.0.0.1:${port}/poll ` +
               `(connect ECONNREFUSED 127.0.0.1:${port})`);
  assert.match(c.hint, /--listen poll:\/\/HOST:PORT/);
  assert.equal(s.phase, "closed");
});

test("a relay gone mid-session ends it with words", { skip }, async () => {
  const relay = await startRelay();
  const s = player({ route: "poll", url: relay.poll, room: "gone", name: "pol", timeoutMs: 1000 }, true);
  try {
    await until(() => has(s, "welcome"), 5000, "the welcome");
    await relay.stop();
    await until(() => has(s, "close"), 5000, "the close");
    const c = last(s);
    /* the relay says it stops (the GET takes it), or its edge is gone */
    assert.ok(["shutting_down", "disconnected"].includes(c.code), JSON.stringify(c));
    assert.ok(c.hint.length > 0);
  } finally {
    s.close();
    await relay.stop();
  }
});

/* A server that speaks the edge's requests but answers what the test
 * says: the join an id, then each GET one of `answers` (a status and a
 * body), the last again and again. */
async function fakeEdge(answers) {
  const seen = [];
  let n = 0;
  const srv = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/poll") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        return res.end("ab".repeat(20));
      }
      if (req.method !== "GET") {
        res.writeHead(204);
        return res.end();
      }
      const [status, body, headers] = answers[Math.min(n++, answers.length - 1)];
      res.writeHead(status, headers || {});
      res.end(body);
    });
  }).listen(0, "127.0.0.1");
  await new Promise((r) => srv.once("listening", r));
  return { url: `http://127.0.0.1:${srv.address().port}/`, seen,
           stop: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }) };
}

test("answers that are not whole frames are counted bad, a 410 ends the session", async () => {
  const welcome = Buffer.from(JSON.stringify({ type: "welcome", id: 7, room: "r", roster: [] }));
  const framed = (b) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
  const edge = await fakeEdge([
    [200, framed(welcome)],
    [200, Buffer.concat([framed(welcome), Buffer.from([0])])],  // cut in a length
    [200, Buffer.from([0, 0])],                                 // an empty frame
    [200, Buffer.from([0, 9, 1, 2])],                           // a frame cut short
    [200, Buffer.alloc(200000, 1)],                             // past any answer's bound
    [200, Buffer.alloc(200000, 1), { "Content-Length": "200000" }], // said so before its body
    [410, "410 Gone: the session has ended"],
  ]);
  try {
    const s = player({ route: "poll", url: edge.url, room: "r", name: "n", pollIntervalMs: 10 }, true);
    await until(() => has(s, "close"), 5000, "the close");
    assert.ok(has(s, "welcome"));
    const bad = s.got.filter((e) => e.type === "bad").map((e) => e.error.message);
    assert.equal(bad.length, 5, JSON.stringify(bad));
    assert.match(bad[0], /cut in a frame's length/);
    assert.match(bad[1], /an empty frame/);
    assert.match(bad[2], /frame of 9 bytes cut after 2/);
    assert.equal(bad[3], "a poll answer longer than 131073 bytes");
    assert.equal(bad[4], "a poll answer of 200000 bytes, 131073 at most");
    assert.equal(s.got.filter((e) => e.type === "welcome").length, 1); // none from a bad body
    const c = last(s);
    assert.equal(c.code, "disconnected");
    assert.match(c.reason, /the relay ended this polling session \(GET .* answered 410/);
    assert.match(c.hint, /start a new Session/);
    assert.ok(edge.seen.some((r) => r.startsWith("GET ")) &&
              !edge.seen.some((r) => r.includes("wait=")), edge.seen.join(", ")); // short polling
    assert.ok(edge.seen.every((r) => r === "POST /poll" || r.startsWith(`GET /poll?s=${"ab".repeat(20)}`) ||
                              r === `DELETE /poll?s=${"ab".repeat(20)}` ||
                              r === `POST /poll?s=${"ab".repeat(20)}`), edge.seen.join(", "));
  } finally {
    await edge.stop();
  }
});

test("long polling asks the relay to hold each GET pollWaitMs; close() DELETEs", async () => {
  const welcome = Buffer.from(JSON.stringify({ type: "welcome", id: 7, room: "r", roster: [] }));
  const edge = await fakeEdge([[200, Buffer.concat([Buffer.from([0, welcome.length]), welcome])],
                               [200, ""]]);
  try {
    const s = player({ route: "poll", url: edge.url + "poll", room: "r", name: "n", pollWaitMs: 3000 }, true);
    await until(() => has(s, "welcome") && edge.seen.length >= 3, 5000, "the welcome");
    const id = "ab".repeat(20);
    assert.deepEqual(edge.seen.slice(0, 3), ["POST /poll", `GET /poll?s=${id}&wait=3000`,
                                             `GET /poll?s=${id}&wait=3000`]);
    s.close();
    await until(() => edge.seen.includes(`DELETE /poll?s=${id}`), 3000, "the DELETE");
    assert.equal(last(s).code, "closed");
  } finally {
    await edge.stop();
  }
});

test("the relay refuses the join over poll: its code, after an error event", { skip }, async () => {
  const relay = await startRelay("--max-room-size", "1");
  const w = player({ url: relay.url, room: "full", name: "wsm" }, true);
  try {
    await until(() => has(w, "welcome"), 5000, "the first member");
    const p = player({ route: "poll", url: relay.poll, room: "full", name: "pol" }, true);
    await until(() => has(p, "close"), 5000, "the refusal");
    assert.ok(has(p, "error"));
    const c = last(p);
    assert.equal(c.code, "room_full");
    assert.match(c.reason, /^relay refused the join: room_full/);
    assert.equal(c.hint, "the room is full: join another room");
  } finally {
    w.close();
    await relay.stop();
  }
});

test("a server that never answers the join: timeout, saying how long", async () => {
  const srv = net.createServer(() => {}).listen(0, "127.0.0.1"); // takes, never answers
  await new Promise((r) => srv.once("listening", r));
  try {
    const s = player({ route: "poll", url: `http://127.0.0.1:${srv.address().port}/`, room: "r",
                       name: "n", timeoutMs: 400 }, true);
    await until(() => has(s, "close"), 5000, "the close");
    const c = last(s);
    assert.equal(c.code, "timeout");
    assert.match(c.reason, /in 400 ms/);
    assert.match(c.hint, /timeoutMs gives it longer/);
  } finally {
    srv.close();
  }
});
