/* ricochet_seal.js: a sealed session (PROTOCOL.md, "Sealed sessions";
 * proto/seal.c is the reference): the whole ticket's keys, a fresh nonce
 * for each join, the relay's one salt a join (its tag checked), then every
 * message out sealed on its lane and every message in opened. Only on the
 * routes the relay seals: ws:// and poll over http:// (over wss://, https://,
 * webrtc and wt, TLS or DTLS is the seal, and the relay seals nothing
 * again). Crypto is libsodium's own JavaScript build, libsodium-wrappers:
 * Node imports it (installed beside this package); a page loads its
 * browser script first, which sets globalThis.sodium. The Web Crypto API
 * has neither ChaCha20-Poly1305 nor keyed BLAKE2b.
 */

import { ProtocolError, bytesOf, randomHex } from "./ricochet_wire.js";
import { ticketKeys } from "./ricochet_ticket.js";

const SEAL_PREFIX = 0x80;  /* byte 0 of a sealed message: 0x80 | lane */
const SEAL_LANES = 3;      /* 0 control, 1 a state sent unreliably, 2 reliably */
const SEAL_HEADER = 9;     /* prefix, counter (8 bytes, big-endian) */
const SEAL_TAG = 16;
const SEAL_HEX = /^[0-9a-f]{32}$/;

let sodium = null;

/* libsodium-wrappers, ready: the page's (globalThis.sodium) or Node's
 * import. Rejects with an Error saying what to install. */
async function loadSodium() {
  if (sodium) return sodium;
  let m = globalThis.sodium;
  if (!m) {
    try {
      m = (await import("libsodium-wrappers")).default;
    } catch (e) {
      throw new Error("libsodium-wrappers is not installed: npm install libsodium-wrappers " +
                      "(in a page: load its browser script before ricochet.js)");
    }
  }
  await m.ready;
  sodium = m;
  return sodium;
}

/* parts (byte arrays) one after another. */
function joinBytes(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/* BLAKE2b of label, nonce and salt keyed with key, n bytes (seal.c's keyed_hash). */
function keyedHash(n, key, label, nonce, salt) {
  const text = new TextEncoder().encode(label);
  return sodium.crypto_generichash(n, joinBytes([text, nonce, salt]), key);
}

/* The IETF nonce of a lane's counter: the lane, three zero bytes, the counter little-endian. */
function laneNonce(lane, counter) {
  const n = new Uint8Array(12);
  n[0] = lane;
  new DataView(n.buffer).setBigUint64(4, counter, true);
  return n;
}

/* A sealed session's keys and counters; a session holds one from its
 * whole ticket, on a route the relay seals. */
class Sealer {
  constructor(keys, mustSeal) {
    this._up = keys.up;        /* the ticket's keys: each join's come from them */
    this._down = keys.down;
    this.mustSeal = mustSeal;  /* the ticket says so: nothing in clear speaks for the relay */
    this.restart(false);
  }

  /* A new join (the first, a rejoin, a move): a fresh nonce, no keys
   * until its salt; over TLS (secure) nothing is sealed, nothing awaited. */
  restart(secure) {
    this.secure = secure;
    this.nonceHex = randomHex(16);
    this.sealed = false;
    this.noted = null;         /* an error that came in clear before the keys */
    this._salt = "";
    this._tx = [0n, 0n, 0n];   /* the next counter of each lane, out */
    this._rx = [0n, 0n, 0n];   /* the lowest counter still taken, in (the routes keep order) */
  }

  /* Whether what comes in clear is suspect: the session is sealed, or must be. */
  get guarded() {
    return !this.secure && (this.sealed || this.mustSeal);
  }

  /* The relay's `sealed` message: null if taken (fresh: the keys are new,
   * the join goes again sealed), or what is wrong with it. */
  takeSalt(saltHex, tagHex) {
    if (!SEAL_HEX.test(saltHex) || !SEAL_HEX.test(tagHex)) return { wrong: "a bad salt or tag" };
    if (this.sealed) /* counters start once a join: another salt would start them again */
      return saltHex === this._salt ? { fresh: false } : { wrong: "a second salt for one join" };
    const nonce = sodium.from_hex(this.nonceHex), salt = sodium.from_hex(saltHex);
    const tag = keyedHash(16, this._down, "ricochet-sealed", nonce, salt);
    if (!sodium.memcmp(tag, sodium.from_hex(tagHex)))
      return { wrong: "a salt whose tag is not the relay's for this join" };
    this._txKey = keyedHash(32, this._up, "ricochet-session", nonce, salt);
    this._rxKey = keyedHash(32, this._down, "ricochet-session", nonce, salt);
    this._salt = saltHex;
    this.sealed = true;
    return { fresh: true };
  }

  /* bytes sealed on lane: 25 bytes longer. */
  seal(lane, bytes) {
    const counter = this._tx[lane]++;
    const head = new Uint8Array(SEAL_HEADER);
    head[0] = SEAL_PREFIX | lane;
    new DataView(head.buffer).setBigUint64(1, counter);
    return joinBytes([head, sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
      bytes, head, null, laneNonce(lane, counter), this._txKey)]);
  }

  /* What a sealed message holds, or null (forged, or opened already). */
  open(bytes) {
    const lane = bytes[0] - SEAL_PREFIX;
    if (!this.sealed || bytes.length < SEAL_HEADER + SEAL_TAG) return null;
    const head = bytes.subarray(0, SEAL_HEADER);
    const counter = new DataView(head.buffer, head.byteOffset).getBigUint64(1);
    if (counter < this._rx[lane]) return null;
    let plain;
    try {
      plain = sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
        null, bytes.subarray(SEAL_HEADER), head, laneNonce(lane, counter), this._rxKey);
    } catch (e) {
      return null;
    }
    this._rx[lane] = counter + 1n;
    return plain;
  }
}

/* A session's sealer for its whole ticket (text), on a route the relay
 * seals; null for a pass alone, or another route. */
function sealerFor(text, mustSeal, route) {
  const keys = route === "ws" || route === "poll" ? ticketKeys(text) : null;
  return keys ? new Sealer(keys, mustSeal) : null;
}

/* What to do without libsodium-wrappers: the program's install lacks a
 * package, nothing the relay could mend. */
const NO_SODIUM_HINT = "install the npm package libsodium-wrappers beside " +
  "ricochet-relay-client (npm install libsodium-wrappers; in a page, load its browser script " +
  "before ricochet.js), or join over wss://, webrtc or wt, where nothing is sealed again";

/* Before a route opens: the join's nonce, and libsodium where the relay
 * may seal. A ticket that must be sealed cannot go on without it (the
 * Error says so); one that may be clear goes on in clear. */
async function sealReady(session) {
  const s = session._sealer;
  if (!s) return;
  const url = session._url || (typeof location !== "undefined" ? location.href : "");
  s.restart(/^(wss|https):/.test(url));
  session.sealed = false;
  if (s.secure) return;
  try {
    await loadSodium();
  } catch (e) {
    if (s.mustSeal) {
      /* the program's install lacks a package: nothing the relay could mend */
      const missing = new Error(`a sealed session needs libsodium: ${e.message}`);
      missing.hint = NO_SODIUM_HINT;
      throw missing;
    }
    session._sealer = null;
    session._noSodium = e.message; /* said if the relay seals after all */
  }
}

/* bytes to send on label's way, sealed if the session is. */
function sealOut(session, bytes, label) {
  const s = session._sealer;
  if (!s || !s.sealed) return bytes;
  if (typeof bytes === "string") bytes = new TextEncoder().encode(bytes);
  return s.seal(label === "control" ? 0 : label === "reliable" ? 2 : 1, bytes);
}

/* A message as it came: {data, clear} to read on, or null (a sealed
 * message that does not open: counted bad, dropped). */
function sealIn(session, data) {
  const bytes = typeof data === "string" || !session._sealer ? null : bytesOf(data);
  if (!bytes || bytes[0] < SEAL_PREFIX || bytes[0] >= SEAL_PREFIX + SEAL_LANES)
    return { data, clear: true };
  const plain = session._sealer.open(bytes);
  if (plain) return { data: plain, clear: false };
  session._badMessage(new ProtocolError("bad_state", "a sealed message that does not open"));
  return null;
}

/* Whether a control message m that came in clear is taken: always, but in
 * a session that is or must be sealed, where only `sealed`, and before the
 * keys an error (noted, not acted on: anyone on the path could send it),
 * are (PROTOCOL.md, "Sealed sessions"). */
function clearTaken(session, m) {
  const s = session._sealer;
  if (!s || !s.guarded || m.type === "sealed") return true;
  if (m.type === "error" && !s.sealed) s.noted = m;
  return false;
}

/* The relay's `sealed` message: the keys, then the join again, sealed. */
function takeSealed(session, m) {
  const s = session._sealer;
  const got = s ? s.takeSalt(m.salt, m.tag) : { wrong: "no keys" };
  if (got.wrong === "no keys" && session._noSodium)
    session._end("refused", `the relay seals this ticket's session: ${session._noSodium}`,
                 NO_SODIUM_HINT);
  else if (got.wrong === "no keys")
    session._end("refused", "the relay seals this ticket's session (--encrypt), and this " +
                 "session holds only its pass, or has no libsodium-wrappers",
                 "give the whole ticket (its keys) with libsodium-wrappers installed; or join " +
                 "over wss://, webrtc or wt, where nothing is sealed again");
  else if (got.wrong) session._badMessage(new ProtocolError("bad_field", got.wrong));
  else if (got.fresh && session.phase !== "joined") {
    session.sealed = true;
    session._sendJoin();
  }
}

/* The end of a session whose route closed after an error in clear: that
 * error's code, said to be unauthenticated; else code and text as they are. */
function sealedEnd(session, code, text) {
  const n = session._sealer && session._sealer.noted;
  if (!n || session.phase === "joined" || (code !== "disconnected" && code !== "timeout"))
    return [code, text];
  return [n.code, `${n.message} (said in clear before the session was sealed: unauthenticated)`];
}

export { /* to the other modules, not the API */
  clearTaken, joinBytes, loadSodium, sealIn, sealOut, sealReady, sealedEnd, sealerFor, takeSealed,
};
