// What the JavaScript tests share: a ricochet-relay of a test's own
// (RICOCHET_BIN, a folder relative to the repository's root or absolute,
// build/asan/bin if unset: the tests' harness's default folder too,
// tests/support/harness.c) with a ws edge, a wait for a condition, and a
// session that records what it is told.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "../ricochet.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = path.resolve(ROOT, process.env.RICOCHET_BIN || "build/asan/bin");

/* A test's skip when BIN has no relay (what: what the test runs), else false. */
export function noRelay(what) {
  return !fs.existsSync(path.join(BIN, "ricochet-relay")) &&
    `${what}: no ricochet-relay in ${BIN} (RICOCHET_BIN)`;
}

/* A ricochet-relay with a ws edge on port (0: a free one) and args, once it
 * listens on every edge: its process, url and port, poll (the url of a
 * poll edge args asked for, "poll://127.0.0.1:0"), ports (every edge's, by
 * its name: ws, poll, enet, ...), gone (its exit) and stop() (SIGTERM,
 * then its exit). */
export async function startRelay(port = 0, ...args) {
  const proc = spawn(path.join(BIN, "ricochet-relay"),
                     ["--listen", `ws://127.0.0.1:${port}`, ...args],
                     { stdio: ["ignore", "ignore", "pipe"] });
  const gone = new Promise((resolve) => proc.on("exit", resolve));
  const edges = 1 + args.filter((a) => a === "--listen").length;
  let log = "";
  const ports = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the relay did not start: ${log}`)), 10000);
    proc.stderr.on("data", (d) => {
      log += d;
      const said = {};
      for (const m of log.matchAll(/listening on 127\.0\.0\.1:(\d+) \((\w+)\)/g))
        said[m[2]] = Number(m[1]);
      if (Object.keys(said).length >= edges) {
        clearTimeout(t);
        resolve(said);
      }
    });
    proc.on("exit", (code) => reject(new Error(`the relay exited (${code}): ${log}`)));
  });
  proc.stderr.resume();
  return { proc, url: `ws://127.0.0.1:${ports.ws}/`, port: ports.ws, gone, ports,
           poll: ports.poll && `http://127.0.0.1:${ports.poll}/`,
           stop: () => {
             if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
             return gone;
           } };
}

/* Resolves once pred() holds, checked every 10 ms; rejects after ms,
 * naming what. */
export function until(pred, ms = 10000, what = "a condition") {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const step = () => {
      if (pred()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(step, 10);
    };
    step();
  });
}

/* A started Session on opts that records what it is told in s.got
 * ({ type, ...detail }, in order); moving: once joined it sends a state
 * every 20 ms, its name as the payload. */
export function player(opts, moving = false) {
  const s = new Session(opts);
  s.got = [];
  for (const type of ["welcome", "state", "event", "moved", "joined", "rejoined", "left",
                      "error", "room", "bad", "close"])
    s.addEventListener(type, (e) => s.got.push({ type, ...e.detail }));
  if (moving) {
    const me = new TextEncoder().encode(opts.name || "");
    const t = setInterval(() => {
      if (s.phase === "joined") s.sendState({ x: 1, y: 2 }, me);
    }, 20);
    s.addEventListener("close", () => clearInterval(t));
  }
  return s.start();
}
