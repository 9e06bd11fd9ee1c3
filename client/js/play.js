/* play.js: the play page: joins a room over the relay's WebSocket and
 * lists what comes back. */
import { Session } from "/ricochet.js";

const log = (line) => {
  document.getElementById("log").textContent += line + "\n";
};

document.getElementById("join").addEventListener("click", () => {
  const room = document.getElementById("room").value;
  const name = document.getElementById("name").value;
  const s = new Session({ room, name });
  s.onmessage = (m) => log(typeof m === "string" ? m : `state from ${m.sender} seq ${m.seq}`);
  s.onclose = (why) => log(`closed: ${why}`);
  s.start();
});
