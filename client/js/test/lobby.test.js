// A lobby that stays (PROTOCOL.md, "A lobby that stays"), the JavaScript
// client against a ricochet-relay of its own (RICOCHET_BIN, as
// relays.test.js): a lobby that watches the rooms (watchRooms) is open
// 60 s later at the relay's defaults (its join timeout 2 s, its idle
// bound 30 s: the session's pings keep it), is told of a room made then
// within a second, and once it ends its watch is closed at the join
// timeout. RICOCHET_LOBBY_HOLD_S shortens the 60 s while developing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Session } from "../ricochet.js";
import { noRelay, startRelay, until } from "./support.js";

const skip = noRelay("runs a relay of its own");
const HOLD_MS = Number(process.env.RICOCHET_LOBBY_HOLD_S || 60) * 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("a watching lobby stays open a minute and is told of a new room", { skip, timeout: HOLD_MS + 30000 },
  async () => {
    const relay = await startRelay();
    const lobby = new Session({ url: relay.url, name: "looker", lobby: true });
    const listings = [], closes = [];
    lobby.addEventListener("rooms", (e) => listings.push(e.detail));
    lobby.addEventListener("close", (e) => closes.push(e.detail));
    let maker;
    try {
      assert.throws(() => lobby.watchRooms("", undefined, "yes"), TypeError);
      assert.equal(lobby.watchRooms("w-"), true); // asked at once: sent once the route is up
      lobby.start();
      await until(() => listings.length === 1, 5000, "the first page");
      assert.equal(lobby.watching, true);
      assert.deepEqual(listings[0].rooms, []);
      await sleep(HOLD_MS);
      assert.deepEqual(closes, []);
      assert.equal(lobby.phase, "lobby");
      assert.equal(lobby.watching, true);
      const t0 = Date.now();
      maker = new Session({ url: relay.url, name: "maker", room: "w-late" }).start();
      await until(() => listings.some((l) => l.rooms.some((r) => r.room === "w-late")), 3000,
                  `the page naming w-late (${JSON.stringify(listings)}, maker ${maker.phase})`);
      const took = Date.now() - t0;
      assert.ok(took < 1500, `told in ${took} ms`); // the maker's own join counts in it
      // watch false: the join timeout counts again
      assert.equal(lobby.watchRooms("w-", undefined, false), true);
      assert.equal(lobby.watching, false);
      await until(() => closes.length === 1, 5000, "the join timeout's close");
      assert.equal(closes[0].code, "not_joined");
    } finally {
      lobby.close();
      if (maker) maker.close();
      await relay.stop();
    }
  });

test("watchRooms is a lobby's", () => {
  const s = new Session({ url: "ws://127.0.0.1:1/", name: "p", room: "r" });
  assert.equal(s.watchRooms(""), false); // joins at connect: no lobby
  const l = new Session({ url: "ws://127.0.0.1:1/", name: "l", lobby: true });
  assert.throws(() => l.watchRooms("a b"), TypeError);
  assert.throws(() => l.watchRooms("", { "bad key": "x" }), TypeError);
});
