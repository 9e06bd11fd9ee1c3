/* ricochet_routes.js: how a session reaches its relay: a WebSocket (route
 * ws), WebRTC data channels (webrtc, the offer POSTed to the relay's /rtc)
 * or a WebTransport session (wt: GET /wt says where, then datagrams and
 * streams in 2-byte frames); bytes sent the route's way, and the route
 * hung up. Functions of a Session: they keep its route's objects (_ws,
 * _pc, _channels, _wt, _wtWriters) and when it last sent, and call back
 * only its _joinNow, _receive, _badMessage, _end and _stale, so a route
 * knows nothing of rooms or members. In Node without a global WebSocket, the `ws`
 * package's is imported here, and only here.
 */

import { RTC_CHANNELS, ProtocolError, nowUs } from "./ricochet_wire.js";

/* The WebSocket: the page's, Node's own (22 and later), else the `ws`
 * package's (Node 18 and 20), imported only where there is none. */
let WebSocketImpl = globalThis.WebSocket;
if (!WebSocketImpl && typeof process !== "undefined" && process.versions && process.versions.node) {
  try {
    WebSocketImpl = (await import("ws")).default;
  } catch (e) {
    WebSocketImpl = undefined; /* a Session over "ws" then ends "refused", saying why */
  }
}
const WS_OPEN = 1; /* WebSocket.OPEN, whichever WebSocket it is */

const ICE_GATHER_MS = 3000;
const WS_BUFFERED_MAX = 65536; /* a stream that holds this much: states wait their turn, skipped */
const WT_CLOSE_WAIT_MS = 1000; /* a control stream that does not drain: the session closed anyway */

/* What went wrong opening a WebSocket, from its error event: Node's `ws`
 * says why (refused, not found, an HTTP answer), a browser says nothing. */
function webSocketFailure(e, url) {
  const err = e && (e.error || e);
  const msg = err && err.message ? String(err.message) : "";
  const code = err && (err.code || (err.cause && err.cause.code)); /* ws's, or undici's */
  if (code === "ECONNREFUSED") return `nothing listens at ${url} (${msg})`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host of ${url} is not found (${msg})`;
  const http = /Unexpected server response: (\d+)/.exec(msg);
  if (http) return `${url} answered HTTP ${http[1]}, not a WebSocket: is it the relay's ws edge?`;
  return `no WebSocket at ${url}${msg ? ` (${msg})` : ""}`;
}

function openWebSocket(session, attempt) {
  let url = session._url;
  if (!url && typeof location !== "undefined")
    url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/";
  if (!WebSocketImpl) {
    session._end("refused", "no WebSocket here: in Node 18 or 20, npm install ws");
    return;
  }
  let ws;
  try {
    ws = new WebSocketImpl(url);
  } catch (e) {
    session._end("refused", `no WebSocket at ${url} (${e.message || e})`);
    return;
  }
  session._ws = ws;
  let failure = "";
  ws.binaryType = "arraybuffer";
  /* Node's `ws` throws an error event nobody listens to out of the event
   * loop: this listener stays for the socket's life (hangUp). */
  ws.onerror = (e) => { failure = webSocketFailure(e, url); };
  ws.onopen = () => session._joinNow(attempt);
  ws.onmessage = (e) => session._receive(e.data, "ws");
  ws.onclose = (e) => {
    if (session._stale(attempt)) return;
    const why = e.reason ? `: ${e.reason}` : "";
    if (session.phase === "connecting") session._end("refused", failure || `no WebSocket at ${url}${why}`);
    else session._end("disconnected", `the relay closed the WebSocket (${e.code})${why}`);
  };
}

async function openWebRtc(session, attempt) {
  if (typeof RTCPeerConnection === "undefined") {
    session._end("refused", "no WebRTC here: a browser has it (in Node, route ws)");
    return;
  }
  const pc = new RTCPeerConnection({ iceServers: session.options.iceServers });
  session._pc = pc;
  for (const c of RTC_CHANNELS) {
    const ch = pc.createDataChannel(c.label, c.options);
    ch.binaryType = "arraybuffer";
    const arrived = c.label === "control" ? "reliable" : c.label;
    ch.onmessage = (e) => session._receive(e.data, arrived);
    session._channels[c.label] = ch;
  }
  session._channels.control.onopen = () => session._joinNow(attempt);
  session._channels.control.onclose = () => {
    if (session._stale(attempt)) return;
    if (session.phase === "connecting") session._end("refused", "the data channels never opened");
    else session._end("disconnected", "the relay closed the data channels");
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed" && !session._stale(attempt))
      session._end(session.phase === "connecting" ? "refused" : "disconnected",
                   "the WebRTC connection failed");
  };
  await pc.setLocalDescription(await pc.createOffer());
  /* The relay is ICE-lite and takes no trickled candidates: the offer
   * goes with every candidate gathered. */
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const done = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ICE_GATHER_MS);
  });
  if (session._stale(attempt)) return;
  const headers = { "Content-Type": "application/sdp" };
  if (session.options.ticket) headers.Authorization = "Bearer " + session.options.ticket;
  const url = session._rtcUrl || location.origin + "/rtc";
  const res = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp,
                                 cache: "no-store" });
  if (session._stale(attempt)) return;
  if (res.status !== 201) {
    const body = (await res.text()).slice(0, 120).replace(/\s+/g, " ").trim();
    session._end("refused", `POST ${url} answered ${res.status}${body ? ": " + body : ""}`);
    return;
  }
  const sdp = await res.text();
  if (session._stale(attempt)) return;
  await pc.setRemoteDescription({ type: "answer", sdp });
}

/* WebTransport (PROTOCOL.md, "WebTransport"): the relay's GET /wt says
 * where and which certificates to trust; the session's first
 * bidirectional stream carries control messages and reliable states in
 * frames, datagrams the unreliable states after their channel byte, and
 * each stream the relay opens one sender's states (mode streams). */
async function openWebTransport(session, attempt) {
  if (typeof WebTransport === "undefined") {
    session._end("refused", "no WebTransport here: a browser that speaks HTTP/3 has it");
    return;
  }
  const infoUrl = session.options.wtUrl ||
    (typeof location !== "undefined" ? location.origin + "/wt" : "");
  if (!infoUrl) {
    session._end("refused", "no wtUrl: outside a page, give the relay's http(s)://HOST:PORT/wt");
    return;
  }
  const res = await fetch(infoUrl, { cache: "no-store" });
  if (session._stale(attempt)) return;
  if (res.status !== 200) {
    session._end("refused", `GET ${infoUrl} answered ${res.status}`);
    return;
  }
  const info = await res.json();
  if (Number.isInteger(info.timeout_ms) && info.timeout_ms > 0) session._relayTimeoutMs = info.timeout_ms;
  const port = session.options.wtPort || info.port;
  let url = `https://${new URL(infoUrl).hostname}:${port}${info.path}`;
  if (session.options.ticket) url += "?pass=" + encodeURIComponent(session.options.ticket);
  const opts = {};
  if (info.hashes && info.hashes.length) /* a certificate the relay drew: trust it by hash */
    opts.serverCertificateHashes = info.hashes.map((h) => ({ algorithm: "sha-256",
      value: new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16))) }));
  if (session._stale(attempt)) return;
  const wt = new WebTransport(url, opts);
  session._wt = wt;
  const gone = (why) => {
    if (session._stale(attempt)) return;
    if (session.phase === "connecting") session._end("refused", `no WebTransport session at ${url}${why}`);
    else session._end("disconnected", `the relay closed the WebTransport session${why}`);
  };
  wt.closed.then(() => gone(""), (e) => gone(`: ${e && e.message || e}`));
  await wt.ready;
  const control = await wt.createBidirectionalStream();
  if (session._stale(attempt)) return;
  session._wtWriters.control = control.writable.getWriter();
  session._wtWriters.datagrams = wt.datagrams.writable.getWriter();
  readFrames(session, control.readable, "reliable", attempt);
  readDatagrams(session, wt.datagrams.readable, attempt);
  readStreams(session, wt.incomingUnidirectionalStreams, attempt);
  session._joinNow(attempt);
}

/* Messages in 2-byte length frames on a stream, each as arrivedAs. */
async function readFrames(session, readable, arrivedAs, attempt) {
  const reader = readable.getReader();
  let buf = new Uint8Array(0);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || session._stale(attempt)) return;
      const more = new Uint8Array(buf.length + value.length);
      more.set(buf);
      more.set(value, buf.length);
      buf = more;
      while (buf.length >= 2) {
        const n = buf[0] << 8 | buf[1];
        if (n === 0) return session._badMessage(new ProtocolError("bad_state", "an empty frame"));
        if (buf.length < 2 + n) break;
        session._receive(buf.slice(2, 2 + n), arrivedAs);
        buf = buf.subarray(2 + n);
      }
    }
  } catch (e) { /* the stream ended with the session: its close says why */ }
}

async function readDatagrams(session, readable, attempt) {
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || session._stale(attempt)) return;
      const way = value[0] === 1 ? "unsequenced" : value[0] === 2 ? "sequenced" : "";
      if (!way || value.length < 2) session._badMessage(new ProtocolError("bad_state", "a datagram's channel"));
      else session._receive(value.subarray(1), way);
    }
  } catch (e) { /* ended with the session */ }
}

/* The streams the relay opens: one sender's states each (mode streams). */
async function readStreams(session, incoming, attempt) {
  const reader = incoming.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || session._stale(attempt)) return;
      readFrames(session, value, "streams", attempt);
    }
  } catch (e) { /* ended with the session */ }
}

/* bytes the way `way` says (a datagram's channel, "control", "own"). */
function sendWt(session, bytes, way) {
  const w = session._wtWriters;
  if (typeof way === "number") {
    if (!w.datagrams) return false;
    const d = new Uint8Array(1 + bytes.length);
    d[0] = way;
    d.set(bytes, 1);
    w.datagrams.write(d).catch(() => {});
    return true;
  }
  if (way === "own" && !w.own) {
    if (!w.opening && session._wt) /* my own stream, opened at its first state */
      w.opening = session._wt.createUnidirectionalStream()
        .then((s) => { w.own = s.getWriter(); }, () => {});
    return false;
  }
  const writer = way === "own" ? w.own : w.control;
  if (!writer || (writer.desiredSize !== null && writer.desiredSize < -WS_BUFFERED_MAX)) return false;
  const f = new Uint8Array(2 + bytes.length);
  f[0] = bytes.length >> 8;
  f[1] = bytes.length & 255;
  f.set(bytes, 2);
  writer.write(f).catch(() => {});
  return true;
}

function sendBytes(session, bytes, label) {
  if (session.route === "wt") {
    if (!sendWt(session, typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes,
                label === "control" ? "control" : label))
      return false;
  } else if (session.route === "ws") {
    if (!session._ws || session._ws.readyState !== WS_OPEN) return false;
    session._ws.send(bytes);
  } else {
    const ch = session._channels[label];
    if (!ch || ch.readyState !== "open") return false;
    ch.send(bytes);
  }
  session._sentUs = nowUs();
  return true;
}

/* Closes the route, saying nothing to the program (the end's or a
 * hop's first step); whatever the old route says after is not heard. */
function hangUp(session) {
  session._attempt++;
  if (session._ws) {
    const ws = session._ws;
    session._ws = null;
    ws.onopen = ws.onclose = ws.onmessage = null;
    ws.onerror = () => {}; /* Node's `ws` throws an error nobody hears */
    try { ws.close(1000); } catch (e) { /* already closed */ }
  }
  if (session._wt) {
    const wt = session._wt;
    session._wt = null;
    /* the control stream ended after what is queued (a leave), then the
     * session: closing at once would drop the leave. Either end is
     * leaving to the relay, which closes the connection at the first. */
    const close = () => { try { wt.close(); } catch (e) { /* already closed */ } };
    const c = session._wtWriters.control;
    const ended = c ? c.close() : Promise.resolve();
    Promise.race([ended, new Promise((done) => setTimeout(done, WT_CLOSE_WAIT_MS))])
      .then(close, close);
  }
  session._wtWriters = {};
  if (session._pc) {
    for (const ch of Object.values(session._channels)) ch.onopen = ch.onclose = ch.onmessage = null;
    session._pc.onconnectionstatechange = null;
    try { session._pc.close(); } catch (e) { /* already closed */ }
    session._pc = null;
  }
  session._channels = {};
}

export { /* to the other modules, not the API */
  WS_BUFFERED_MAX, hangUp, openWebRtc, openWebSocket, openWebTransport, sendBytes,
};
