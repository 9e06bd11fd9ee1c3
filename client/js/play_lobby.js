/* play_lobby.js: the play page's lobby (play.js holds the page and its
 * session): the relay's rooms as the rooms table's rows, each with its
 * players, its properties and a button that joins it; and the filter and
 * a new room's properties as the page's inputs take them ("map=dune
 * mode=ctf"), read into what PROTOCOL.md's "Rooms with properties" has;
 * and how the page asks for them: a lobby watches, a member lists.
 */

import { propsFault } from "./ricochet.js";

/* "k=v k2=v2" (spaces or commas between the pairs) as {k: v, k2: v2}, or
 * a string saying what is wrong, in the relay's words past a bound. */
function readPairs(text, what) {
  const out = {};
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at < 1) return `${what}: key=value pairs, not "${pair}"`;
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return propsFault(out, what) || out;
}

/* The filter's text and a new room's props' (the inputs') into page.match
 * (undefined: every room) and page.props (undefined: none); "" or what is
 * wrong (page unchanged). */
export function takeRoomInputs(page, matchText, propsText) {
  const match = readPairs(matchText, "filter"), props = readPairs(propsText, "props");
  const bad = [match, props].find((v) => typeof v === "string");
  const some = (o) => (Object.keys(o).length ? o : undefined);
  if (!bad) Object.assign(page, { match: some(match), props: some(props) });
  return bad || "";
}

/* A room's props as the inputs write them. */
export function pairsText(props) {
  return Object.entries(props || {}).map(([k, v]) => `${k}=${v}`).join(" ");
}

/* Asks session s for the rooms the page shows (those whose props hold
 * match): a lobby (no room yet) watches them (PROTOCOL.md, "A lobby that
 * stays"): the relay sends each change and keeps the session while it
 * pings, so it is asked again only when the filter changed, or while no
 * relay said it watches (an older one: it closes the lobby at its join
 * timeout, and the page opens the next); a member lists them, every time
 * the page asks. */
export function askLobby(s, match, changed) {
  if (s.phase === "lobby" || s.phase === "connecting") {
    if (changed || !s.watching) s.watchRooms("", match);
  } else if (s.phase === "joined") {
    s.listRooms("", "", match);
  }
}

/* The rooms table's rows for a listing ({rooms, more, off}): the room
 * (here: the one I am in), players of capacity, properties, and a button
 * that calls join(room); a row that says why when there is none. */
export function roomRows(lobby, here, join) {
  const rows = lobby.rooms.map((r) => {
    const mine = r.room === here, full = r.members >= r.capacity;
    const go = document.createElement("button");
    go.textContent = mine ? "here" : full ? "full" : r.open === false ? "closed" : "join";
    go.disabled = mine || full || r.open === false;
    go.addEventListener("click", () => join(r.room));
    return [{ text: r.room, cls: mine ? "mine" : "" }, `${r.members}/${r.capacity}`,
            { text: pairsText(r.props), cls: "props" }, go];
  });
  if (lobby.more) rows.push(["and more", "", "", ""]);
  return rows.length ? rows : [[lobby.off ? "this relay lists no rooms" : "-", "", "", ""]];
}
