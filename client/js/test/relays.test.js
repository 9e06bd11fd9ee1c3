// The JavaScript client against relays of its own (ricochet-relay and
// ricochet-ticket from RICOCHET_BIN, a folder relative to the repository's
// root or absolute, build/asan/bin if unset): the members with their
// statistics and the figures of the session; a relay gone ends the session
// with words; a session with a rejoin window outlives its relay's restart
// on the same address (one "moved" however many attempts, the same key and
// player, the other "rejoined", never "left" then "joined"; a room its
// creator opened comes back open), and gives up after it; a ticket as mint prints it
// (newline and all, or its pass) admits to its room under its name, a
// lobby lists the rooms others made before it joins one, rooms with
// properties are made, listed and joined by them (a creator who leaves
// telling its heir it holds the room now) and refused in words
// (no_such_room, room_closed, not_creator, a bound), a relay of tickets
// refuses a join without one, and on a relay that seals (--encrypt) whole
// tickets seal their sessions (states both ways, a changed sealed message
// counted and dropped, a rejoin through the relay's restart sealed again
// as the same player) and a pass alone ends with what to do; a ticket a backend mints with
// mintTicket (mint.js) admits, one under another key is ticket_tampered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session, TO_ROOM, readTicket } from "../ricochet.js";
import { mintTicket } from "../mint.js";
import { BIN, noRelay, player, startRelay, until } from "./support.js";

const skip = noRelay("runs relays of its own");

const types = (s) => s.got.map((e) => e.type);
const has = (s, type) => s.got.some((e) => e.type === type);

test("members with their statistics, the latency and the round trip", { skip }, async () => {
  const relay = await startRelay();
  const a = player({ url: relay.url, room: "stats", name: "ana", reflect: true }, true);
  const b = player({ url: relay.url, room: "stats", name: "bo" }, true);
  try {
    await until(() => a.member(b.id) && a.member(b.id).stats.received >= 20 &&
                b.member(a.id) && b.member(a.id).stats.received >= 20 && a.rtt().count >= 5,
                10000, "states both ways");
    const list = a.memberList();
    assert.deepEqual(list.map((m) => m.name), ["bo"]);
    const m = a.member(b.id);
    assert.equal(m.id, b.id);
    assert.equal(m.mode, "ws");
    assert.equal(m.arrivedAs, "ws");
    assert.ok(m.hasState && m.last.x === 1 && m.last.y === 2);
    assert.equal(new TextDecoder().decode(m.last.payload), "bo");
    assert.equal(m.stats.lost, 0);
    assert.ok(m.stats.expected >= m.stats.received, JSON.stringify(m.stats));
    m.name = "changed"; // a copy: the session's own is untouched
    assert.equal(a.member(b.id).name, "bo");
    assert.equal(a.member(4000000), null);
    const rtt = a.rtt();
    assert.ok(rtt.p50Us > 0 && rtt.p50Us <= rtt.p99Us && rtt.p99Us <= rtt.maxUs, JSON.stringify(rtt));
    assert.equal(b.rtt().count, 0); // b asked for no reflection
    const lat = b.latency();
    assert.ok(lat.count > 0 && lat.p50Us <= lat.maxUs, JSON.stringify(lat));
    b.close();
    await until(() => has(a, "left"), 5000, "a left");
    const left = a.got.find((e) => e.type === "left");
    assert.equal(left.name, "bo");
    assert.equal(left.reason, "quit");
    assert.equal(left.member.name, "bo");
    assert.ok(left.member.stats.received >= 20);
    assert.deepEqual(a.memberList(), []);
  } finally {
    a.close();
    b.close();
    await relay.stop();
  }
});

test("a relay gone ends the session, saying what to do", { skip }, async () => {
  const relay = await startRelay();
  const s = player({ url: relay.url, room: "gone", name: "ana", timeoutMs: 1000 }, true);
  try {
    await until(() => has(s, "welcome"), 5000, "the welcome");
    await relay.stop();
    await until(() => has(s, "close"), 5000, "the close");
    const close = s.got[s.got.length - 1];
    assert.equal(close.type, "close");
    assert.equal(close.code, "shutting_down"); // SIGTERM: the relay says so
    assert.equal(close.reason, "relay ended the session: shutting_down (relay shutting down)");
    assert.match(close.hint, /rejoinMs/);
    assert.equal(s.phase, "closed");
  } finally {
    s.close();
    await relay.stop();
  }
});

test("a rejoin window outlives a lone relay's restart", { skip }, async () => {
  let relay = await startRelay();
  const { port } = relay;
  const kw = { url: relay.url, room: "again", rejoinMs: 15000, rejoinAfterMs: 500 };
  const a = player({ ...kw, name: "a" }, true), b = player({ ...kw, name: "b" }, true);
  try {
    await until(() => a.got.some((e) => e.type === "state") && b.got.some((e) => e.type === "state"),
                10000, "states both ways");
    const keys = [a.key, b.key], players = [a.player, b.player];
    assert.match(a.key, /^[0-9a-f]{32}$/);
    assert.match(a.player, /^[0-9a-f]{16}$/);
    assert.equal(a.member(b.id).player, b.player); // the others see my player id, not my key
    const since = [a.got.length, b.got.length];
    await relay.stop();
    await new Promise((resolve) => setTimeout(resolve, 800)); // attempts refused meanwhile
    relay = await startRelay(port); // the same address, a relay that knows no one
    const back = (s, i) => s.got.slice(since[i]).some((e) => e.type === "state") &&
                           s.got.slice(since[i]).some((e) => e.type === "welcome") &&
                           s.got.slice(since[i]).some((e) => e.type === "rejoined");
    await until(() => back(a, 0) && back(b, 1), 20000, "both back in the room");
    for (const [i, s] of [a, b].entries()) {
      const t = types(s);
      assert.ok(!t.includes("close"), t.join());
      assert.equal(t.filter((x) => x === "moved").length, 1, t.join()); // one a move
      const moved = s.got.find((e) => e.type === "moved");
      assert.equal(moved.code, "rejoin");
      assert.equal(moved.text, `127.0.0.1:${port}`);
      assert.ok(t.indexOf("moved") < t.lastIndexOf("welcome"), t.join());
      assert.equal(s.phase, "joined");
      assert.equal(s.key, keys[i]);
      assert.equal(s.player, players[i]);
      const other = [b, a][i];
      const rejoined = s.got.find((e) => e.type === "rejoined");
      assert.equal(rejoined.player, players[1 - i]);
      assert.equal(rejoined.id, other.id);
      const after = types({ got: s.got.slice(since[i]) });
      assert.ok(!after.includes("joined") && !after.includes("left"), after.join()); // not left+joined
    }
    assert.deepEqual(a.memberList().map((m) => m.name), ["b"]);
    assert.ok(a.sendEvent(TO_ROOM, new Uint8Array([1, 2, 3])));
    await until(() => has(b, "event"), 5000, "an event after the rejoin");
  } finally {
    a.close();
    b.close();
    await relay.stop();
  }
});

test("a room its creator opened comes back open from its rejoin after a restart", { skip }, async () => {
  let relay = await startRelay();
  const { port } = relay;
  const host = player({ url: relay.url, room: "door", name: "host", open: false,
                        rejoinMs: 15000, rejoinAfterMs: 500 }, true);
  let guest = null;
  try {
    await until(() => has(host, "welcome"), 5000, "the host's welcome");
    assert.equal(host.setRoom({ open: true }), true);
    assert.equal(host.options.open, true); // what its rejoin asks of the room
    await new Promise((resolve) => setTimeout(resolve, 300)); // the change on its way
    await relay.stop();
    relay = await startRelay(port);
    await until(() => host.got.filter((e) => e.type === "welcome").length === 2, 10000,
                "the host's welcome again");
    guest = player({ url: relay.url, room: "door", name: "guest" }, true);
    await until(() => has(guest, "welcome") || has(guest, "close"), 5000, "the guest's answer");
    assert.deepEqual(types(guest).filter((t) => t === "welcome" || t === "close"), ["welcome"]);
  } finally {
    host.close();
    if (guest) guest.close();
    await relay.stop();
  }
});

test("rejoin gives up after rejoinMs, saying so", { skip }, async () => {
  const relay = await startRelay();
  const s = player({ url: relay.url, room: "lone", name: "ana", rejoinMs: 1000,
                     rejoinAfterMs: 300 }, true);
  try {
    await until(() => has(s, "welcome"), 5000, "the welcome");
    await relay.stop();
    await until(() => has(s, "close"), 10000, "the close");
    const close = s.got[s.got.length - 1];
    assert.ok(has(s, "moved"));
    assert.equal(close.code, "refused");
    assert.match(close.hint, /no relay took the room again within rejoinMs \(1000 ms\)/);
  } finally {
    s.close();
    await relay.stop();
  }
});

test("a lobby lists the rooms others made, then joins one in the same session", { skip }, async () => {
  const relay = await startRelay(0);
  const makers = ["arena-1", "arena-2"].map((room, i) => player({ url: relay.url, room,
                                                                  name: `maker${i}` }, true));
  const lobby = player({ url: relay.url, name: "looker", lobby: true }, true);
  const listings = [];
  lobby.addEventListener("rooms", (e) => listings.push(e.detail));
  try {
    await until(() => makers.every((m) => m.phase === "joined"), 5000, "the makers' welcomes");
    assert.equal(lobby.listRooms("arena-"), true); // asked at once: sent once the route is up
    await until(() => listings.length === 1, 5000, "the lobby's listing");
    assert.equal(lobby.phase, "lobby");
    assert.deepEqual(listings[0].rooms.map((r) => [r.room, r.members]),
                     [["arena-1", 1], ["arena-2", 1]]);
    assert.throws(() => lobby.join("a b"), TypeError);
    assert.equal(lobby.join(listings[0].rooms[1].room), true); // the click
    assert.equal(lobby.join("arena-1"), false); // once
    await until(() => has(lobby, "welcome"), 5000, "the lobby's welcome");
    assert.equal(lobby.room, "arena-2");
    await until(() => makers[1].memberList().some((m) => m.name === "looker"), 5000,
                "the looker among arena-2's members");
    assert.equal(makers[0].join("arena-2"), false); // joined at connect: no lobby
    assert.throws(() => new Session({ url: "http://127.0.0.1:1/", route: "poll", name: "p",
                                      lobby: true }), /lobby: not over route poll/);
  } finally {
    for (const s of [lobby, ...makers]) s.close();
    await relay.stop();
  }
});

test("rooms with properties: made, listed and joined by them, refused in words", { skip }, async () => {
  const relay = await startRelay(0, "--max-room-size", "8");
  const ps = [];
  const join = async (opts, event) => {
    const s = player({ url: relay.url, ...opts }, true);
    ps.push(s);
    await until(() => has(s, event), 5000, `${opts.name}'s ${event}`);
    return s;
  };
  const listing = async (s, ...ask) => {
    const got = new Promise((resolve) => s.addEventListener("rooms", (e) => resolve(e.detail),
                                                            { once: true }));
    assert.equal(s.listRooms(...ask), true);
    return (await got).rooms;
  };
  try {
    const a = await join({ room: "arena-1", name: "a", props: { map: "dust" }, size: 2 }, "welcome");
    await join({ room: "arena-2", name: "b", props: { map: "mill" } }, "welcome");
    await join({ room: "hidden", name: "h", listed: false }, "welcome");
    const c = await join({ room: "arena-", name: "c", any: true, match: { map: "dust" } },
                         "welcome");
    assert.equal(c.room, "arena-1"); // by its props, though arena-2 has room
    assert.deepEqual(await listing(a, "", "", { map: "dust" }),
                     [{ room: "arena-1", members: 2, capacity: 2, props: { map: "dust" }, open: true }]);
    assert.deepEqual((await listing(a)).map((r) => r.room), ["arena-1", "arena-2"]); // not hidden

    const d = await join({ room: "arean", name: "d", exists: true }, "close");
    assert.equal(d.endCode, "no_such_room");
    assert.match(d.endHint, /name/);
    const e = await join({ room: "game", name: "e", open: false }, "welcome");
    const f = await join({ room: "game", name: "f" }, "close");
    assert.equal(f.endCode, "room_closed");
    assert.equal(c.setRoom({ open: false }), true); // c did not make arena-1
    await until(() => c.got.some((x) => x.type === "error" && x.code === "not_creator"), 5000,
                "not_creator");
    assert.equal(c.phase, "joined"); // refused, not ended
    assert.equal(c.roomMine, false);
    a.close(); // arena-1's creator leaves: c has it now, and is told
    await until(() => c.got.some((x) => x.type === "left" && x.mine), 5000, "c's room now");
    assert.equal(c.got.find((x) => x.type === "left").creator, c.player);
    assert.equal(c.roomMine, true);
    assert.equal(e.setRoom({ open: true, props: { map: "keep" } }), true);
    // the same connection: the listing answers after the change
    assert.deepEqual(await listing(e, "game"), [{ room: "game", members: 1, capacity: 8, props: { map: "keep" },
                              open: true }]);
    await join({ room: "game", name: "g", exists: true }, "welcome");
    const lobby = player({ url: relay.url, name: "l", lobby: true }, true);
    ps.push(lobby);
    assert.equal(lobby.join("made", false, { props: { map: "lobby" }, size: 3, name: "x" }), true);
    assert.equal(lobby.options.name, "l"); // a setup sets up the room, nothing else
    await until(() => has(lobby, "welcome"), 5000, "the lobby's welcome");
    assert.deepEqual(await listing(lobby, "made"), [{ room: "made", members: 1, capacity: 3,
                                                      props: { map: "lobby" }, open: true }]);

    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i + 1}`, "v"]));
    assert.throws(() => new Session({ url: relay.url, room: "x", name: "n", props: nine }),
                  { name: "TypeError", message: /props: at most 8 keys \(k9 is the ninth\)/ });
    assert.throws(() => new Session({ url: relay.url, room: "x", name: "n", size: 5000 }),
                  /size 5000: 1 to 4095/);
    assert.throws(() => c.listRooms("", "", { "a b": "x" }), /match: key 'a b'/);
    assert.throws(() => c.setRoom({ props: { map: "x".repeat(65) } }), /0\.\.64 bytes/);
  } finally {
    for (const s of ps) s.close();
    await relay.stop();
  }
});

test("a ticket admits under its name, sealed where the relay seals; without one, words",
     { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ricochet-js-"));
  const tool = path.join(BIN, "ricochet-ticket"), key = path.join(dir, "backend.key");
  execFileSync(tool, ["keygen", key], { stdio: "ignore" });
  const mint = (name, ...more) => execFileSync(tool, ["mint", "--key", key, "--room", "vip",
                                                      "--name", name, ...more],
                                                { encoding: "utf8" }); // its newline too
  const relay = await startRelay(0, "--ticket-key", key);
  const a = player({ url: relay.url, ticket: mint("ana", "--clear") }, true);
  const b = player({ url: relay.url, ticket: mint("bo", "--clear") }, true);
  const plain = player({ url: relay.url, room: "vip", name: "eve" }, true);
  try {
    await until(() => a.got.some((e) => e.type === "state") && has(plain, "close"), 10000,
                "a state, and the plain join refused").catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify([a.got, b.got, plain.got])}`);
    });
    assert.equal(a.room, "vip");
    assert.equal(a.name, "ana");
    assert.equal(a.ticket.sealed, false);
    assert.equal(a.member(b.id).name, "bo");
    const st = a.got.find((e) => e.type === "state");
    assert.equal(new TextDecoder().decode(st.state.payload), ""); // b's name is the ticket's
    assert.equal(plain.endCode, "ticket_required");
    assert.match(plain.endHint, /ticket/);
    // a pass alone joins as well; a ticket whose session must be sealed cannot be here
    const pass = player({ url: relay.url, ticket: readTicket(mint("cy", "--clear")).pass }, true);
    const sealed = player({ url: relay.url, ticket: mint("di") }, true);
    await until(() => has(pass, "welcome") && has(sealed, "close"), 5000, "the pass and the sealed");
    assert.equal(pass.room, "vip"); // the welcome's
    assert.ok(a.memberList().some((m) => m.name === "cy"));
    assert.equal(sealed.endCode, "ticket_wrong_relay");
    pass.close();
    // on a relay that seals, whole tickets seal their sessions; a pass alone cannot
    const sealer = await startRelay(0, "--ticket-key", key, "--encrypt");
    const ed = player({ url: sealer.url, ticket: mint("ed") }, true);
    const fi = player({ url: sealer.url, ticket: mint("fi", "--clear") }, true);
    const gil = player({ url: sealer.url, ticket: readTicket(mint("gil")).pass }, true);
    try {
      await until(() => [ed, fi].every((p) => p.got.some((e) => e.type === "state")) &&
                  has(gil, "close"), 10000, "sealed states both ways");
      assert.ok(ed.sealed && fi.sealed);
      assert.equal(ed.member(fi.id).name, "fi");
      assert.equal(ed.bad + fi.bad, 0);
      assert.equal(gil.endCode, "refused");
      assert.match(gil.endReason, /holds only its pass/);
      // a sealed message changed on the path is counted and dropped, the session goes on
      const forged = ed._sealer.seal(1, new Uint8Array(40));
      forged[forged.length - 1] ^= 1;
      ed._receive(forged.buffer, "ws");
      assert.equal(ed.bad, 1);
      assert.match(ed.lastBad, /does not open/);
      const n = ed.got.length;
      await until(() => ed.got.length > n + 3, 5000, "states after the forgery");
      assert.equal(ed.phase, "joined");
    } finally {
      ed.close();
      fi.close();
      await sealer.stop();
    }
  } finally {
    a.close();
    b.close();
    plain.close();
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("sealed sessions rejoin a relay's restart sealed, the same players", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ricochet-js-"));
  const tool = path.join(BIN, "ricochet-ticket"), key = path.join(dir, "backend.key");
  execFileSync(tool, ["keygen", key], { stdio: "ignore" });
  const mint = (name) => execFileSync(tool, ["mint", "--key", key, "--room", "vault", "--name",
                                             name], { encoding: "utf8" });
  let relay = await startRelay(0, "--ticket-key", key, "--encrypt");
  const { port } = relay;
  const kw = { url: relay.url, rejoinMs: 15000, rejoinAfterMs: 500 };
  const a = player({ ...kw, ticket: mint("a") }, true), b = player({ ...kw, ticket: mint("b") }, true);
  try {
    await until(() => a.got.some((e) => e.type === "state") && b.got.some((e) => e.type === "state"),
                10000, "sealed states both ways");
    const keys = [a.key, b.key], since = [a.got.length, b.got.length];
    await relay.stop();
    relay = await startRelay(port, "--ticket-key", key, "--encrypt");
    const back = (s, i) => s.got.slice(since[i]).some((e) => e.type === "rejoined") &&
                           s.got.slice(since[i]).some((e) => e.type === "state");
    await until(() => back(a, 0) && back(b, 1), 20000, "both back in the room, sealed");
    for (const [i, s] of [a, b].entries()) {
      assert.ok(s.sealed && s.phase === "joined");
      assert.equal(s.key, keys[i]); // sent in the sealed join only
      assert.equal(s.bad, 0, s.lastBad);
    }
  } finally {
    a.close();
    b.close();
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("any room with space, and the rooms listed with members and capacity", { skip }, async () => {
  const relay = await startRelay(0, "--max-room-size", "2");
  const off = await startRelay(0, "--room-list", "off");
  const all = [];
  const join = async (name, url = relay.url) => {
    const s = player({ url, room: "duel-", name, any: true }, true);
    s.addEventListener("rooms", (e) => s.got.push({ type: "rooms", ...e.detail }));
    all.push(s);
    await until(() => has(s, "welcome") || has(s, "close"), 5000, `${name}'s welcome`);
    return s;
  };
  try {
    assert.throws(() => new Session({ url: relay.url, room: "p".repeat(29), name: "x", any: true }),
                  { name: "TypeError", message: /with any, a prefix of 1 to 28/ });
    const a = await join("ana"), b = await join("bo"), c = await join("cy");
    assert.deepEqual([a.room, b.room, c.room], ["duel-1", "duel-1", "duel-2"]);
    assert.equal(a.member(b.id).name, "bo");
    const named = player({ url: relay.url, room: "other", name: "di" }, true);
    all.push(named);
    await until(() => has(named, "welcome"), 5000, "di's welcome");
    assert.throws(() => a.listRooms("no spaces"), TypeError);
    assert.equal(a.listRooms("duel-"), true);
    await until(() => has(a, "rooms"), 5000, "a listing");
    const page = a.got.find((e) => e.type === "rooms");
    assert.equal(page.prefix, "duel-");
    assert.deepEqual(page.rooms, [{ room: "duel-1", members: 2, capacity: 2, props: {}, open: true },
                                  { room: "duel-2", members: 1, capacity: 2, props: {}, open: true }]);
    assert.equal(page.more, false);
    a.got.length = 0;
    assert.equal(a.listRooms("", "duel-1"), true); // after a name, every prefix
    await until(() => has(a, "rooms"), 5000, "a second listing");
    assert.deepEqual(a.got.find((e) => e.type === "rooms").rooms.map((r) => r.room),
                     ["duel-2", "other"]);
    // a relay with --room-list off: a listing is an error, the session goes on; any is refused
    const plain = player({ url: off.url, room: "lobby", name: "ed" }, true);
    all.push(plain);
    await until(() => has(plain, "welcome"), 5000, "ed's welcome");
    assert.equal(plain.listRooms(), true);
    await until(() => has(plain, "error"), 5000, "listing_off");
    assert.equal(plain.got.find((e) => e.type === "error").code, "listing_off");
    assert.equal(plain.phase, "joined");
    const refused = await join("fy", off.url);
    assert.equal(refused.endCode, "listing_off");
  } finally {
    for (const s of all) s.close();
    await relay.stop();
    await off.stop();
  }
});

test("a ticket mintTicket mints admits; one under another key does not", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ricochet-js-"));
  const tool = path.join(BIN, "ricochet-ticket");
  const key = path.join(dir, "backend.key"), other = path.join(dir, "other.key");
  for (const k of [key, other]) execFileSync(tool, ["keygen", k], { stdio: "ignore" });
  const relay = await startRelay(0, "--ticket-key", key);
  const mint = (k, name) => mintTicket(k, { room: "vip", name, ttlS: 60, clear: true });
  const a = player({ url: relay.url, ticket: (await mint(key, "ana")) + "\n" }, true);
  const eve = player({ url: relay.url, ticket: await mint(other, "eve") }, true);
  try {
    await until(() => has(a, "welcome") && has(eve, "close"), 10000, "a welcome and a refusal");
    assert.equal(a.room, "vip");
    assert.equal(a.name, "ana");
    assert.equal(eve.endCode, "ticket_tampered");
    await assert.rejects(mintTicket(key, { room: "a b", name: "n" }), /the room breaks/);
    await assert.rejects(mintTicket(key, { room: "r", name: "n", ttlS: 604801 }), /a week/);
    await assert.rejects(mintTicket(path.join(dir, "none"), { room: "r", name: "n" }), /ENOENT/);
  } finally {
    a.close();
    eve.close();
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
