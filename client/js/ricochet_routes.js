/* ricochet_routes.js: how a session reaches its relay: a WebSocket (route
 * ws), WebRTC data channels (webrtc, the offer POSTed to the relay's /rtc),
 * a WebTransport session (wt: GET /wt says where, then datagrams and
 * streams in 2-byte frames) or HTTP polling (poll: fetch, for a network
 * that passes plain HTTP requests and nothing else); bytes sent the
 * route's way, and the route hung up. Functions of a Session: they keep
 * its route's objects (_ws, _pc, _channels, _wt, _wtWriters, _poll) and
 * when it last sent, and call back
 * only its _joinNow, _receive, _badMessage, _end and _stale, so a route
 * knows nothing of rooms or members. In Node without a global WebSocket, the `ws`
 * package's is imported here, and only here.
 */

import { RTC_CHANNELS, ProtocolError, nowUs } from "./ricochet_wire.js";
import { sealOut } from "./ricochet_seal.js";

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
    session._end("refused", "no WebSocket here: Node 18 and 20 have none, and the package ws " +
                 "is not installed where ricochet.js can import it",
                 "install ricochet-relay-client from its npm pack tarball, which brings ws " +
                 "(README.md, Install), or npm install ws beside it");
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

/* ---- HTTP polling (PROTOCOL.md, "HTTP polling") ----
 * The join POSTed alone, its answer the session's id; then one GET out at
 * a time (held up to pollWaitMs, or at once every pollIntervalMs), each
 * answer's frames handed on in order; what the session sends queued and
 * POSTed once per turn of the event loop (one request a burst, one POST
 * out at a time, so the relay takes them in order); DELETE at the end. */

const POLL_FRAME_MAX = 65535;          /* a frame's 2-byte length */
const POLL_POST_MAX = 16384;           /* a POST's body the relay takes whatever its settings */
const POLL_BODY_MAX = 65536 + 2 + POLL_FRAME_MAX; /* a GET's answer: 64 KiB of whole frames, or
                                                      one frame alone past it */
const POLL_ID_MAX = 64;                /* the join's answer: 40 hex digits (and a line end) */
const POLL_TEXT_MAX = 4096;            /* an error's text, as much as is read of it */
const POLL_CLOSE_MS = 2000;            /* the last POST and the DELETE, each at most */

/* The messages of a body of frames (2 bytes of length, big-endian, 1 to
 * 65535, then the message, back to back), or a ProtocolError: nothing of a
 * body that is not whole frames is handed on. */
function pollFrames(body) {
  const out = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 2)
      throw new ProtocolError("bad_state", `a poll answer cut in a frame's length at byte ${at}`);
    const n = body[at] << 8 | body[at + 1];
    if (n === 0) throw new ProtocolError("bad_state", `an empty frame at byte ${at} of a poll answer`);
    if (body.length - at - 2 < n)
      throw new ProtocolError("bad_state", `a poll answer's frame of ${n} bytes cut after ` +
                              `${body.length - at - 2}`);
    out.push(body.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}

/* An HTTP answer that is not the one the request wants. */
class PollAnswer extends Error {
  constructor(method, url, status, text) {
    super(`${method} ${url} answered ${status}${text ? ": " + text : ""}`);
    this.status = status;
  }
}

/* No answer within the request's time. */
class PollTimeout extends Error {}

/* A body, at most max bytes (past it a ProtocolError, the rest not read). */
async function readBody(res, max) {
  const declared = Number(res.headers.get("content-length"));
  if (declared > max) {
    if (res.body) res.body.cancel().catch(() => {});
    throw new ProtocolError("bad_state", `a poll answer of ${declared} bytes, ${max} at most`);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader(), parts = [];
  let n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      reader.cancel().catch(() => {});
      throw new ProtocolError("bad_state", `a poll answer longer than ${max} bytes`);
    }
    parts.push(value);
  }
  const body = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  return body;
}

/* An error answer's one line of text ("" if it has none or it cannot be read). */
async function shortText(res) {
  try {
    const t = new TextDecoder().decode(await readBody(res, POLL_TEXT_MAX));
    return t.replace(/\s+/g, " ").trim().slice(0, 160);
  } catch (e) {
    return "";
  }
}

/* One request, its answer read by read(res), all within ms (else a
 * PollTimeout); a GET can be cut short by the session's end (p.gets). */
async function pollRequest(p, url, init, ms, read) {
  const ac = new AbortController();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    ac.abort();
  }, ms);
  if (init.method === "GET") p.gets.add(ac);
  try {
    return await read(await fetch(url, Object.assign({ signal: ac.signal }, init)));
  } catch (e) {
    throw late ? new PollTimeout(`no answer to ${init.method} ${url} in ${ms} ms`) : e;
  } finally {
    clearTimeout(timer);
    p.gets.delete(ac);
  }
}

const drain = async (res) => {
  if (res.body) await res.body.cancel().catch(() => {});
  return res.status;
};

/* What a failed fetch says, in words: Node's undici names the cause. */
function fetchFailure(e, url) {
  const cause = e && e.cause;
  const code = cause && cause.code;
  const msg = String(cause && cause.message || e && e.message || e);
  if (code === "ECONNREFUSED") return `nothing listens at ${url} (${msg})`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host of ${url} is not found (${msg})`;
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET")
    return `${url} closed the connection (${msg}): is it the relay's poll edge?`;
  return `no answer from ${url} (${msg}; a page of another site needs the relay's ` +
    "--allow-origin)";
}

/* What to do about an HTTP refusal of the join, where the status says more
 * than the route's own hint. */
const POLL_STATUS_HINTS = {
  429: "the relay holds as many sessions from this address as it allows (--max-per-address): " +
    "close one, or try later",
  503: "the relay is full: try again later, or another relay",
  404: "the url is not the relay's poll edge (--listen poll://HOST:PORT; the path is /poll)",
  405: "the url is not the relay's poll edge (--listen poll://HOST:PORT; the path is /poll)",
};

/* A request that failed: the session ends with what happened, unless it
 * has ended already (whatever its requests say after is not heard). */
function pollFailed(session, p, e) {
  if (p.closed || session._stale(p.attempt)) return;
  if (e instanceof PollTimeout) {
    session._end("timeout", e.message);
  } else if (e instanceof PollAnswer) {
    if (!p.id) session._end("refused", e.message, POLL_STATUS_HINTS[e.status]);
    else if (e.status === 410 || e.status === 404)
      session._end("disconnected", `the relay ended this polling session (${e.message})`);
    else session._end("disconnected", e.message);
  } else if (!p.id) {
    session._end("refused", fetchFailure(e, p.url));
  } else {
    session._end("disconnected", `the relay's poll edge stopped answering: ${fetchFailure(e, p.url)}`);
  }
}

/* The relay's poll edge's url: the one given, its path /poll unless it
 * names it already (a proxy's prefix kept), no query. */
function pollUrl(url) {
  const u = new URL(url);
  if (!/\/poll$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/?$/, "/poll");
  u.search = "";
  u.hash = "";
  return u.href;
}

function openPoll(session, attempt) {
  if (typeof fetch !== "function") {
    session._end("refused", "no fetch here: Node 18 or later, or a browser, has it");
    return;
  }
  let url = session._url;
  if (!url && typeof location !== "undefined") url = location.origin + "/poll";
  session._poll = { url: pollUrl(url), id: "", attempt, queue: [], queued: 0, posting: null,
                    flushing: false, closed: false, gets: new Set(), pause: 0 };
  session._joinNow(attempt); /* queued: the first POST carries it */
}

/* The frames queued, as one body of at most POLL_POST_MAX bytes (a frame
 * longer than that alone); taken off the queue. */
function takeBody(p) {
  let n = 0, k = 0;
  while (k < p.queue.length && (k === 0 || n + p.queue[k].length <= POLL_POST_MAX))
    n += p.queue[k++].length;
  const body = new Uint8Array(n);
  let at = 0;
  for (const f of p.queue.splice(0, k)) {
    body.set(f, at);
    at += f.length;
  }
  p.queued -= n;
  return body;
}

/* A message queued for the next POST, sent when this turn of the event
 * loop is over; false if the queue holds WS_BUFFERED_MAX already (the
 * relay takes them slower than they come) or the session is over. */
function sendPoll(session, bytes) {
  const p = session._poll;
  if (!p || p.closed || bytes.length > POLL_FRAME_MAX) return false;
  if (p.queued + 2 + bytes.length > WS_BUFFERED_MAX) return false;
  const f = new Uint8Array(2 + bytes.length);
  f[0] = bytes.length >> 8;
  f[1] = bytes.length & 255;
  f.set(bytes, 2);
  p.queue.push(f);
  p.queued += f.length;
  if (!p.flushing) {
    p.flushing = true;
    queueMicrotask(() => {
      p.flushing = false;
      flushPoll(session, p);
    });
  }
  return true;
}

/* POSTs what is queued, if no POST is out: the first is the join, whose
 * answer is the id (then the GETs start). */
function flushPoll(session, p) {
  if (p.posting || p.closed || !p.queue.length) return;
  const joining = !p.id;
  const url = joining ? p.url : `${p.url}?s=${p.id}`;
  const body = takeBody(p);
  const ms = session.options.timeoutMs;
  p.posting = pollRequest(p, url, { method: "POST", body,
                                    headers: { "Content-Type": "application/octet-stream" } }, ms,
    async (res) => {
      if (res.status !== (joining ? 200 : 204))
        throw new PollAnswer("POST", url, res.status, await shortText(res));
      if (!joining) return drain(res);
      let id = "";
      try {
        id = new TextDecoder().decode(await readBody(res, POLL_ID_MAX)).trim();
      } catch (e) { /* said below */ }
      if (!/^[0-9a-fA-F]{40}$/.test(id))
        throw new PollAnswer("POST", url, res.status, "not a session id: is it the relay's poll edge?");
      p.id = id; /* even if the session has ended: its DELETE needs it */
      if (!p.closed && !session._stale(p.attempt)) pollLoop(session, p);
    })
    .catch((e) => pollFailed(session, p, e))
    .finally(() => {
      p.posting = null;
      flushPoll(session, p);
    });
}

/* The GETs, one at a time, for the session's life. */
async function pollLoop(session, p) {
  const o = session.options;
  while (!p.closed && !session._stale(p.attempt)) {
    const wait = o.pollIntervalMs ? 0 : o.pollWaitMs;
    const url = `${p.url}?s=${p.id}${wait ? `&wait=${wait}` : ""}`;
    let body;
    try {
      body = await pollRequest(p, url, { method: "GET" }, wait + o.timeoutMs, async (res) => {
        if (res.status !== 200) throw new PollAnswer("GET", url, res.status, await shortText(res));
        return readBody(res, POLL_BODY_MAX);
      });
    } catch (e) {
      if (!(e instanceof ProtocolError)) return pollFailed(session, p, e);
      body = e; /* an answer too long: counted, and the next GET */
    }
    if (p.closed || session._stale(p.attempt)) return;
    let frames = [];
    try {
      if (body instanceof Error) throw body;
      frames = pollFrames(body);
    } catch (e) {
      session._badMessage(e);
    }
    for (const f of frames) {
      if (p.closed || session._stale(p.attempt)) return;
      session._receive(f, "tcp");
    }
    if (o.pollIntervalMs)
      await new Promise((done) => { p.pause = setTimeout(done, o.pollIntervalMs); });
  }
}

/* The end: the GET cut short, what is queued POSTed after the POST out,
 * then the DELETE (the room told the session left, reason quit). Nothing
 * of it is heard: the session has ended already. */
function endPoll(p) {
  p.closed = true;
  clearTimeout(p.pause);
  for (const ac of p.gets) ac.abort();
  (async () => {
    if (p.posting) await p.posting;
    if (!p.id) return;
    const url = `${p.url}?s=${p.id}`;
    while (p.queue.length)
      await pollRequest(p, url, { method: "POST", body: takeBody(p) }, POLL_CLOSE_MS, drain);
    await pollRequest(p, url, { method: "DELETE" }, POLL_CLOSE_MS, drain);
  })().catch(() => { /* the relay drops the session after --timeout-ms anyway */ });
}

/* bytes (text: a control message) out on label's way: a channel's name,
 * "control", or null for a state on a route of one way; sealed if the
 * session is. False if the route cannot take them now. */
function sendBytes(session, bytes, label) {
  bytes = sealOut(session, bytes, label);
  if (session.route === "poll") {
    if (!sendPoll(session, typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes))
      return false;
  } else if (session.route === "wt") {
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
  if (session._poll) {
    const p = session._poll;
    session._poll = null;
    endPoll(p);
  }
}

export { /* to the other modules, not the API */
  WS_BUFFERED_MAX, hangUp, openPoll, openWebRtc, openWebSocket, openWebTransport, pollFrames,
  sendBytes,
};
