// A ricochet-relay of a test's own (RICOCHET_BIN, a folder relative to the
// repository's root or absolute, build/asan/bin if unset: the tests'
// harness's default folder too, tests/support/harness.c), with a ws edge:
// what lobby.test.js, player.test.js and relays.test.js start.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = path.resolve(ROOT, process.env.RICOCHET_BIN || "build/asan/bin");

/* A test's skip when BIN has no relay (what: what the test runs), else false. */
export function noRelay(what) {
  return !fs.existsSync(path.join(BIN, "ricochet-relay")) &&
    `${what}: no ricochet-relay in ${BIN} (RICOCHET_BIN)`;
}

/* A ricochet-relay with a ws edge on port (0: a free one) and args, once it
 * listens: its process, url and port, gone (its exit) and stop() (SIGTERM,
 * then its exit). */
export async function startRelay(port = 0, ...args) {
  const proc = spawn(path.join(BIN, "ricochet-relay"),
                     ["--listen", `ws://127.0.0.1:${port}`, ...args],
                     { stdio: ["ignore", "ignore", "pipe"] });
  const gone = new Promise((resolve) => proc.on("exit", resolve));
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the relay did not start: ${log}`)), 10000);
    proc.stderr.on("data", (d) => {
      log += d;
      const m = /listening on 127\.0\.0\.1:(\d+) \(ws\)/.exec(log);
      if (m) {
        clearTimeout(t);
        resolve(`ws://127.0.0.1:${m[1]}/`);
      }
    });
    proc.on("exit", (code) => reject(new Error(`the relay exited (${code}): ${log}`)));
  });
  proc.stderr.resume();
  return { proc, url, port: Number(new URL(url).port), gone,
           stop: () => {
             if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
             return gone;
           } };
}
