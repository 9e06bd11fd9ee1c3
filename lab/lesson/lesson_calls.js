/* lesson_calls.js: a lane's two ends on the lesson page (lesson.js imports
 * it), the socket course on real sockets: the relay's fixed, named port
 * beside each client's ephemeral one, and, from GET /calls, the system
 * calls both ends made, step by step, with the descriptors and ports they
 * got, and a TCP connection's handshake as netsim saw it; and what HTTP
 * cost a stream's lane (the polling lanes' many requests, the WebSocket's
 * one). Its words come through tr (lesson_words.js). */

/* Each relay edge's port by its name in the language files. */
const PORT_NAMES = { poll: "port.poll", quic: "port.quic", enet: "port.enet", udp: "port.udp",
                     tcp: "port.tcp", ws: "port.ws", webrtc: "port.webrtc" };

const portOf = (at) => at.slice(at.lastIndexOf(":") + 1);

/* A client's endpoint, its port labelled ephemeral. */
export function clientEnd(at, tr) {
  return at ? tr("ends.client", { at, port: portOf(at) }) : tr("ends.unknown");
}

/* The relay's endpoint, its port labelled fixed and named (IP mode), or the kernel's. */
export function relayEnd(ends, tr) {
  if (!ends || !ends.relay) return tr("ends.unknown");
  return ends.fixed ? tr("ends.relay_fixed", { at: ends.relay, port: portOf(ends.relay),
                                               name: tr(PORT_NAMES[ends.edge] || "port.enet") })
                    : tr("ends.relay_free", { at: ends.relay });
}

/* The lane's line of its endpoints: sender(s) → relay → receiver; short (a
 * projector's compact view): the addresses and ports alone, the relay's
 * marked fixed (the ports' key and the calls say the rest). */
export function endsText(ends, tr, short) {
  if (!ends || !ends.receiver) return "";
  if (short)
    return tr("ends.line", { senders: ends.senders.join(", "), receiver: ends.receiver,
                             relay: ends.fixed ? tr("ends.relay_short", { at: ends.relay })
                                               : ends.relay });
  return tr("ends.line", { senders: ends.senders.map((s) => clientEnd(s, tr)).join(", "),
                           relay: relayEnd(ends, tr), receiver: clientEnd(ends.receiver, tr) });
}

/* A call's words by its name: a server's, a client's (a stream's or a datagram socket's). */
const SERVER_CALLS = { socket: "calls.socket", bind: "calls.bind", listen: "calls.listen",
                       accept: "calls.accept", recvfrom: "calls.recvfrom_server",
                       sendto: "calls.sendto_server" };
const CLIENT_CALLS = { socket: "calls.socket", connect: "calls.connect_stream",
                       bind: "calls.bind_client", send: "calls.send", recv: "calls.recv",
                       sendto: "calls.sendto", recvfrom: "calls.recvfrom" };

function stepText(st, words, tr, extra) {
  const fd = st.fd === undefined ? "?" : st.fd, ret = st.ret === undefined ? "?" : st.ret;
  return tr(words[st.call], { fd, ret, at: st.at || "", who: st.who ? tr("srv." + st.who) : "",
                              ...extra });
}

/* The handshake's segments in words: SYN, SYN-ACK, ACK, each way and what netsim did. */
function handshakeText(segs, client, relay, tr, fmt) {
  const names = { S: "SYN", "S.": "SYN-ACK", ".": "ACK" };
  return segs.map((g, i) => { /* the first opens it: no time "after the SYN" of its own */
    const [from, to] = g.dir === "up" ? [client, relay] : [relay, client];
    return tr(i ? "hs.segment" : "hs.first", { name: names[g.flags] || g.flags, flags: g.flags, from, to,
                              ms: fmt(g.t_ms - segs[0].t_ms, 2), t: fmt(g.t_ms / 1000, 2),
                              what: g.event === "fwd" ? tr("hs.fwd")
                                                      : tr("hs.dropped", { event: g.event }) });
  });
}

/* A sentence's first letter a capital, as a sentence that begins with a
 * name ("{who}, a client on ...": "pengirim") needs in id and vi. */
export const cap = (text) => text.charAt(0).toLocaleUpperCase() + text.slice(1);

const list = (items) => "<ol>" + items.map((x) => `<li>${x}</li>`).join("") + "</ol>";

/* The calls of d (GET /calls's answer) as the inspector's HTML: the
 * relay's, then each client's with its handshake. */
export function callsHtml(d, title, tr, fmt) {
  const relay = d.ends.relay;
  const server = d.server.map((st) => stepText(st, SERVER_CALLS, tr, {}));
  let html = `<b>${tr("calls.head", { lane: title })}</b>` +
    `<p>${tr(d.stream ? "calls.server_stream" : "calls.server_dgram",
             { relay: relayEnd(d.ends, tr) })}</p>` +
    list(server);
  d.clients.forEach((c, e) => {
    const port = c.at ? portOf(c.at) : "?";
    const words = { ...CLIENT_CALLS,
                    connect: d.stream ? "calls.connect_stream" : "calls.connect_dgram" };
    html += `<p>${cap(tr("calls.client", { who: tr("srv." + c.who), at: clientEnd(c.at, tr) }))}</p>` +
      list(c.steps.map((st) => stepText(st, words, tr, { port })));
    const hs = d.handshake[e] || [];
    if (d.stream)
      html += `<p>${cap(tr("hs.head", { who: tr("srv." + c.who) }))}</p>` +
        (hs.length ? list(handshakeText(hs, c.at, relay, tr, fmt)) +
                     /* it dates from the connection's start, not from the model now */
                     `<p>${tr("hs.when", { t: fmt(hs[0].t_ms / 1000, 2) })}</p>`
                   : `<p>${tr("hs.none")}</p>`);
  });
  return html;
}

/* A stream lane's HTTP (its figures' http): requests and heads in all and in the window. */
export function httpText(f, tr, fmt) {
  const h = f.http;
  return tr("fig.http", { n: h.requests, clients: h.clients, bytes: h.heads,
                          s: fmt(f.window_s, 0), wn: h.requests_window, wb: h.heads_window });
}
