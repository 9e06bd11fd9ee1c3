/* ricochet_ticket.js: readTicket, a whole ticket as ricochet-ticket mint
 * prints it (PROTOCOL.md, "Tickets"; proto/ticket.c's ticket_read) read
 * into its pass and claims in clear; ticketKeys, its session keys, which
 * only a sealed session holds (ricochet_seal.js). Pure.
 */

import { validName, validPlayerName } from "./ricochet_wire.js";

const TICKET_FORMAT = 2;
const TICKET_TEXT_MAX = 952;

/* base64url without padding as bytes, or null. */
function fromBase64Url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1)
    return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function toBase64Url(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/* A whole ticket (format 2, the pass's length in 2 bytes, the pass, the
 * claims in clear: two keys of 32 bytes, flags, room, name, fleet, relays)
 * as {pass, room, name, fleet, relays, sealed}; null if text is not one.
 * Spaces and a newline around it (mint's line, a file's) are not the
 * ticket's. The keys are not in it: ticketKeys has them. */
export function readTicket(text) {
  if (typeof text === "string") text = text.trim();
  const b = typeof text === "string" && text.length <= TICKET_TEXT_MAX ? fromBase64Url(text) : null;
  if (!b || b.length < 3 || b[0] !== TICKET_FORMAT) return null;
  let at = 3 + ((b[1] << 8) | b[2]);
  if (at > b.length) return null;
  const pass = toBase64Url(b.subarray(3, at));
  at += 64; /* the session's keys */
  const flags = b[at++];
  const str = () => {
    if (at >= b.length || at + 1 + b[at] > b.length) return null;
    const v = new TextDecoder().decode(b.subarray(at + 1, at + 1 + b[at]));
    at += 1 + b[at];
    return v;
  };
  if (at > b.length || flags === undefined || flags & ~1) return null;
  const room = str(), name = str(), fleet = str();
  const n = b[at++];
  if (!validName(room) || !validPlayerName(name) || fleet === null || n === undefined || n > 4)
    return null;
  const relays = [];
  for (let i = 0; i < n; i++) relays.push(str());
  if (relays.includes(null) || at !== b.length) return null;
  return { pass, room, name, fleet, relays, sealed: (flags & 1) === 1 };
}

/* A whole ticket's session keys, {up, down} (32 bytes each), or null if
 * text is not a whole ticket (a pass has none). */
function ticketKeys(text) {
  if (!readTicket(text)) return null;
  const b = fromBase64Url(text.trim());
  const at = 3 + ((b[1] << 8) | b[2]);
  return { up: b.slice(at, at + 32), down: b.slice(at + 32, at + 64) };
}

/* mint.js writes what readTicket reads; a sealed session takes the keys */
export { TICKET_FORMAT, ticketKeys, toBase64Url };
