/* js_seal_cost.mjs: what sealing costs ricochet.js in Node (client/js/ricochet_seal.js
 * on libsodium-wrappers): µs to seal a 40-byte state and to open it, and
 * to take the relay's salt (the tag checked, both keys derived), each the
 * mean of N calls on one core. `node bench/costs/js_seal_cost.mjs [N]` (from the
 * repository's root, after npm ci in client/js) prints one JSON line. */
import { loadSodium, sealIn, sealerFor } from "../../client/js/ricochet_seal.js";
import { encodeState } from "../../client/js/ricochet_wire.js";

const n = Number(process.argv[2] || 20000);
const na = await loadSodium();

/* A whole ticket's bytes as ricochet_ticket.js reads them: a pass of one
 * byte, the keys, flags, room, name, fleet, no relays. */
const text = (s) => [s.length, ...new TextEncoder().encode(s)];
const up = na.randombytes_buf(32), down = na.randombytes_buf(32);
const whole = Uint8Array.from([2, 0, 1, 0, ...up, ...down, 1, ...text("bench"), ...text("b"),
                               ...text("ricochet"), 0]);
const ticket = na.to_base64(whole, na.base64_variants.URLSAFE_NO_PADDING);

/* The relay's side: the salt and tag for a sealer's nonce, and a sealer
 * facing it (keys swapped: what one seals the other opens). */
function salted(sealer, relayDown) {
  const salt = na.randombytes_buf(16), nonce = na.from_hex(sealer.nonceHex);
  const m = new Uint8Array([...new TextEncoder().encode("ricochet-sealed"), ...nonce, ...salt]);
  return { salt: na.to_hex(salt), tag: na.to_hex(na.crypto_generichash(16, m, relayDown)) };
}

const me = sealerFor(ticket, true, "ws");
const relayTicket = na.to_base64(Uint8Array.from([2, 0, 1, 0, ...down, ...up,
                                                  ...whole.subarray(68)]),
                                 na.base64_variants.URLSAFE_NO_PADDING);
const relay = sealerFor(relayTicket, true, "ws");
relay.nonceHex = me.nonceHex;

const joins = [];
for (let i = 0; i < n; i++) {
  me.restart(false);
  joins.push({ nonceHex: me.nonceHex, ...salted(me, down) });
}
let t0 = process.hrtime.bigint();
for (const j of joins) {
  me.restart(false);
  me.nonceHex = j.nonceHex;
  if (!me.takeSalt(j.salt, j.tag).fresh) throw new Error("salt refused");
}
const saltUs = Number(process.hrtime.bigint() - t0) / 1000 / n;

me.restart(false);
const s = salted(me, down);
me.takeSalt(s.salt, s.tag);
relay.nonceHex = me.nonceHex;
relay.takeSalt(s.salt, na.to_hex(na.crypto_generichash(16, new Uint8Array([
  ...new TextEncoder().encode("ricochet-sealed"), ...na.from_hex(me.nonceHex),
  ...na.from_hex(s.salt)]), up)));
const state = encodeState({ seq: 1, send_us: 1, x: 1, y: 2, vx: 0, vy: 0, heading: 0 });
const boxes = [];
t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) boxes.push(me.seal(1, state));
const sealUs = Number(process.hrtime.bigint() - t0) / 1000 / n;

const session = { _sealer: relay, _badMessage: (e) => { throw e; } };
t0 = process.hrtime.bigint();
for (const b of boxes) sealIn(session, b);
const openUs = Number(process.hrtime.bigint() - t0) / 1000 / n;

console.log(JSON.stringify({ n, salt_us: +saltUs.toFixed(3), seal_us: +sealUs.toFixed(3),
                             open_us: +openUs.toFixed(3), node: process.version }));
