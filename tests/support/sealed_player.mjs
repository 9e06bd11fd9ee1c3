/* sealed_player.mjs: a ricochet.js player in Node for test_e2e_js_sealed:
 * `node sealed_player.mjs WS_URL TICKET_FILE PEER` joins with the ticket,
 * sends a state every 20 ms, and once it has 10 states of PEER sends one
 * sealed state with a byte changed on the way, then three good seconds more
 * (the relay must drop only that one). Prints one JSON line ({sealed, got,
 * bad, lastBad, forged, phase, end}) and exits 0, or 1 if it saw no 10
 * states in 20 s or its session ended. */
import fs from "node:fs";
import { Session, encodeState } from "../../client/js/ricochet.js";

const [url, ticketFile, peer] = process.argv.slice(2);
const s = new Session({ url, ticket: fs.readFileSync(ticketFile, "utf8") }).start();
let got = 0, forged = false, end = "";
s.addEventListener("state", (e) => {
  const m = s.member(e.detail.id);
  if (m && m.name === peer && new TextDecoder().decode(e.detail.state.payload) === "c") got++;
});
s.addEventListener("close", (e) => { end = `${e.detail.code}: ${e.detail.reason}`; });
const me = new TextEncoder().encode("js");
const pace = setInterval(() => {
  if (s.phase === "joined") s.sendState({ x: 1, y: 2 }, me);
  if (got >= 10 && !forged && s.sealed) {
    forged = true;
    const box = s._sealer.seal(1, encodeState({ seq: 1, send_us: 1, x: 0, y: 0, vx: 0, vy: 0,
                                                heading: 0 }));
    box[box.length - 1] ^= 0x01; /* the tag no longer holds */
    s._ws.send(box);
    setTimeout(finish, 3000);
  }
}, 20);
const deadline = setTimeout(finish, 20000);

function finish() {
  clearInterval(pace);
  clearTimeout(deadline);
  console.log(JSON.stringify({ sealed: s.sealed, got, bad: s.bad, lastBad: s.lastBad, forged,
                              phase: s.phase, end }));
  const ok = forged && s.phase === "joined";
  s.close();
  process.exit(ok ? 0 : 1);
}
