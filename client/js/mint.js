/* mint.js: mintTicket, for a game's backend in Node ("ricochet-relay-client/mint"):
 * the ticket ricochet-ticket mint prints (PROTOCOL.md, "Tickets";
 * proto/ticket.c's ticket_mint), under the key in a key file. Sealed with
 * libsodium's own JavaScript build, libsodium-wrappers, which the backend
 * installs beside this package: Node's crypto has neither the key's id
 * (BLAKE2b-256) nor XChaCha20-Poly1305. Never for a page: the key is the
 * backend's secret.
 */

import fs from "node:fs";
import { validName, nameFault } from "./ricochet_wire.js";
import { TICKET_FORMAT, toBase64Url } from "./ricochet_ticket.js";
import { joinBytes, loadSodium } from "./ricochet_seal.js";

const KEY_HEX = /^[0-9a-fA-F]{64}$/;
const TTL_MAX_S = 604800;  /* a week */
const RELAYS_MAX = 4;
const ENDPOINT = /^[\x21-\x7e]{1,47}$/;  /* printable, no space: as the relay writes its own */

/* n bytes of v, most significant first. */
function bigEndian(v, n) {
  const b = new Uint8Array(n);
  for (let i = n - 1, x = BigInt(v); i >= 0; i--, x >>= 8n) b[i] = Number(x & 0xffn);
  return b;
}

/* A string as its length in a byte, then its UTF-8. */
function str(s) {
  const b = new TextEncoder().encode(s);
  return joinBytes([Uint8Array.of(b.length), b]);
}

/* Why the ticket asked for cannot be minted (ticket_claims_invalid's
 * words), or "". */
function fault(room, name, fleet, relays, ttlS) {
  if (!validName(room)) return "the room breaks the name rules (1-32 of A-Z a-z 0-9 _ - .)";
  const bad = nameFault(name);
  if (bad) return `the name: ${bad}`;
  if (!Array.isArray(relays) || relays.length > RELAYS_MAX)
    return "relays: an array of at most 4 endpoints";
  if (!relays.length && !validName(fleet))
    return "the fleet breaks the name rules (1-32 of A-Z a-z 0-9 _ - .)";
  if (!relays.every((r) => typeof r === "string" && ENDPOINT.test(r)))
    return "a relay endpoint is empty, has a space or is too long";
  if (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > TTL_MAX_S)
    return "ttlS: 1 to 604800 seconds (a week)";
  return "";
}

/* The ticket for name in room under the key in keyFile (ricochet-ticket
 * keygen's, the relays' --ticket-key), valid ttlS seconds from now on the
 * relays of fleet, or only on relays ("host:port" as each relay writes its
 * own endpoint) if some are given; its session must be sealed unless clear.
 * Resolves with its text (no newline); rejects with an Error saying why. */
export async function mintTicket(keyFile, { room, name, fleet = "ricochet", relays = [],
                                            ttlS = 3600, clear = false } = {}) {
  const why = fault(room, name, fleet, relays, ttlS);
  if (why) throw new Error(why);
  const hex = fs.readFileSync(keyFile, "utf8").replace(/\r?\n$/, "");
  if (!KEY_HEX.test(hex))
    throw new Error(`${keyFile}: not a ticket key (64 hex digits, as ricochet-ticket keygen writes)`);
  const na = await loadSodium().catch((e) => {
    throw new Error(`mintTicket needs ${e.message}`);
  });
  const secret = na.from_hex(hex);
  const id = na.crypto_generichash(32, secret).subarray(0, 4);
  const issued = Math.floor(Date.now() / 1000);
  const nonce = na.randombytes_buf(na.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const header = joinBytes([Uint8Array.of(TICKET_FORMAT), id, bigEndian(issued, 8),
                         bigEndian(issued + ttlS, 8), nonce]);
  const claims = joinBytes([na.randombytes_buf(32), na.randombytes_buf(32),
                         Uint8Array.of(clear ? 0 : 1), str(room), str(name),
                         str(relays.length ? "" : fleet), Uint8Array.of(relays.length),
                         ...relays.map(str)]);
  const sealed = na.crypto_aead_xchacha20poly1305_ietf_encrypt(claims, header, null, nonce,
                                                                secret);
  na.memzero(secret);
  const pass = joinBytes([header, sealed]);
  return toBase64Url(joinBytes([Uint8Array.of(TICKET_FORMAT), bigEndian(pass.length, 2), pass,
                             claims]));
}
