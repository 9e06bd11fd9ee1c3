// README.md's example, as written, run as a developer who installed the
// package runs it: a program of its own in a folder of its own, the
// package in its node_modules (linked, and as the README says to install
// it: npm pack's tarball installed by npm in an empty folder, with ws). Only the relay's address is this test's.
// Against a relay (RICOCHET_WS_URL) it meets a player of the test's: each
// gets the other's states with their payloads and events, and it leaves
// after its three seconds; with nothing listening it ends with the words
// the README shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Session, TO_ROOM } from "../ricochet.js";
import { until } from "./support.js";

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const README = fs.readFileSync(path.join(HERE, "README.md"), "utf8");
const EXAMPLE = /```js\n([\s\S]*?)```/.exec(README)[1];
const WRITTEN_URL = "ws://127.0.0.1:7780/";
const URL = process.env.RICOCHET_WS_URL;

/* The package in dir's node_modules: this folder, linked. */
function linked(dir) {
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(HERE, path.join(dir, "node_modules", "ricochet-relay-client"), "dir");
}

/* The package in dir's node_modules as the README says to install it: the
 * tarball of npm pack, installed by npm in an empty folder with its
 * dependency, ws, given as a tarball too (packed from this folder's
 * node_modules, npm ci's) where a registry would give it: no registry
 * asked. */
function packed(dir) {
  const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", timeout: 60000,
                                                         stdio: ["ignore", "pipe", "pipe"] })
    .trim().split("\n").pop();
  const ws = path.join(HERE, "node_modules", "ws");
  assert.ok(fs.existsSync(ws), "no ws to give npm: run npm ci in client/js (.ci/deps test)");
  const tarballs = [npm(["pack", "--silent", "--pack-destination", dir], ws),
                    npm(["pack", "--silent", "--pack-destination", dir], HERE)];
  npm(["install", "--offline", "--no-audit", "--no-fund", "--silent",
       ...tarballs.map((t) => "./" + t)], dir);
  assert.ok(fs.existsSync(path.join(dir, "node_modules", "ricochet-relay-client", "ricochet.js")));
  assert.ok(!fs.lstatSync(path.join(dir, "node_modules", "ricochet-relay-client")).isSymbolicLink());
}

/* Runs the example against url in a folder of its own, the package put
 * there by install; resolves with its exit code and output, and calls
 * onLine with each line as it comes. */
function runExample(url, onLine = () => {}, install = linked) {
  assert.ok(EXAMPLE.includes(WRITTEN_URL), "the example names its relay");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ricochet-readme-"));
  install(dir);
  fs.writeFileSync(path.join(dir, "game.mjs"), EXAMPLE.replaceAll(WRITTEN_URL, url));
  const child = spawn(process.execPath, ["game.mjs"], { cwd: dir });
  let out = "", err = "", partial = "";
  child.stdout.on("data", (d) => {
    out += d;
    partial += d;
    const lines = partial.split("\n");
    partial = lines.pop();
    for (const l of lines) onLine(l);
  });
  child.stderr.on("data", (d) => { err += d; });
  return new Promise((resolve) => child.on("exit", (code) => {
    fs.rmSync(dir, { recursive: true, force: true });
    resolve({ code, out, err });
  }));
}

/* The example, installed so, meets bo: each gets the other's states and
 * events, and it leaves after its three seconds. */
async function playsWithBo(install) {
  let bo = null;
  const got = [];
  const ran = runExample(URL, (line) => {
    if (line.startsWith("joined lobby as ") && !bo) {
      /* a second player once the example is in: it greets bo, bo answers */
      bo = new Session({ url: URL, room: "lobby", name: "bo" });
      for (const type of ["state", "event"]) bo.addEventListener(type, (e) => got.push({ type, ...e.detail }));
      bo.addEventListener("welcome", () => {
        bo.sendState({ x: 7, y: 8 }, new Uint8Array([1, 2]));
        bo.sendEvent(TO_ROOM, new TextEncoder().encode("hi js"));
      });
      bo.start();
    }
  }, install);
  const { code, out, err } = await ran;
  try {
    assert.equal(code, 0, err);
    assert.equal(err, "");
    assert.ok(bo, out);
    const lines = out.split("\n").filter(Boolean);
    assert.match(lines[0], /^joined lobby as \d+$/);
    const jsId = Number(lines[0].split(" ").pop());
    assert.ok(lines.includes(`state of ${bo.id} Uint8Array(2) [ 1, 2 ]`), out);
    assert.ok(lines.includes("event from bo hi js"), out);
    assert.equal(lines[lines.length - 1], "over: closed: close() was called ");
    await until(() => got.some((e) => e.type === "event"), 2000, "the greeting");
    const states = got.filter((e) => e.type === "state");
    assert.ok(states.length >= 5, `${states.length} states`);
    for (const st of states) {
      assert.equal(st.id, jsId);
      assert.deepEqual(st.state.payload, new Uint8Array([255, 0, 0]));
    }
    const hello = got.find((e) => e.type === "event");
    assert.equal(hello.name, "js");
    assert.equal(new TextDecoder().decode(hello.data), "hello bo");
  } finally {
    if (bo) bo.close();
  }
}

test("the README's example plays with another player", { skip: !URL && "needs RICOCHET_WS_URL" },
     () => playsWithBo(linked));

test("the package as npm installs its tarball plays the README's example",
     { skip: !URL && "needs RICOCHET_WS_URL" }, () => playsWithBo(packed));

test("the README's example with no relay: the words it shows, no crash", async () => {
  const port = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const url = `ws://127.0.0.1:${port}/`;
  const { code, out, err } = await runExample(url);
  assert.equal(code, 0, err);
  const shown = /With no relay there it prints \([^)]*\) `([^`]*)`/.exec(README.replace(/\n/g, " "))[1];
  if (globalThis.WebSocket) /* Node's own WebSocket: its words, not ws's */
    assert.match(out, /^over: refused: .* check the url/);
  else
    assert.equal(out.trim(), shown.replaceAll(WRITTEN_URL, url).replaceAll("127.0.0.1:7780",
                                                                         `127.0.0.1:${port}`));
});
