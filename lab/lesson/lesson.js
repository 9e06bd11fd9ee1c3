/* lesson.js: the lesson page (served by ricochet-lesson). It polls
 * /live.json, draws each lane and sends the controls to PUT /model; every
 * figure it shows is the bench's (computed in C, served as JSON), and a
 * state's bytes are read by ricochet.js, the protocol's one module in the
 * browser. The page keeps the states it was sent and draws them at one
 * moment of the lesson's clock for every lane, a little behind, so that what
 * it draws has arrived. Its controls show the model in force (the server's
 * in_force, read at load and followed while no change of this page's is
 * on its way). Its words come from /lang/LANG.json (lesson/lang/, through
 * lesson_words.js, which also says the lesson's own sentences), in the
 * language of ?lang=, of the page's switch, or the first of the browser's
 * it speaks; English for a word a language lacks. A lane has one sender or
 * four (the page's switch, PUT /senders): each sender's dot in a colour of
 * its own, its states in the strip in it too. A state clicked opens in the
 * inspector (lesson_inspect.js).
 * window.lessonPage: a copy of what the page shows, and its actions, for
 * tests (snapshot, setControls, preset, pause, pauseAt, markPoint, marks,
 * inspect, setLang, pickLang). */
import { InterpBuffer } from "/ricochet.js";
import { clearGone, drawGuestLanes, drawGuests, guestKey, guestLanesForTests, isMine }
  from "/lesson_guests.js";
import { callsHtml, endsText, httpText } from "/lesson_calls.js";
import { SENDERS, STRIP_MS, drawArena, drawStrip, markKey, pointAt, pointOnScreen, scaleMs }
  from "/lesson_arena.js";
import { STATUS, stateView } from "/lesson_inspect.js";
import { LANGS, LANG_NAMES, i18n, langFile, pickLang, said, tName, tr } from "/lesson_words.js";

const POLL_MS = 200;
const DRAW_LAG_MS = 400;      /* drawn this far behind the lesson's now: what arrived is known */
const RATES = [0, 64, 96, 112, 128, 256, 512, 1024];
/* By their key in the language files; lessonPage.preset takes the key or the English name. */
const PRESETS = {
  "preset.none": { loss: 0, burst: 0, delay: 0, jitter: 0, reorder: true, up: 0, down: 0 },
  "preset.wifi": { loss: 0.5, burst: 0, delay: 10, jitter: 4, reorder: true, up: 0, down: 0 },
  "preset.train": { loss: 4, burst: 10, delay: 120, jitter: 40, reorder: true, up: 0, down: 0 },
  "preset.loss2": { loss: 2, burst: 0, delay: 40, jitter: 0, reorder: true, up: 0, down: 0 },
  /* the walk's fourth step: one state may overtake another */
  "preset.jitter": { loss: 0, burst: 0, delay: 60, jitter: 100, reorder: true, up: 0, down: 0 },
  /* the class step: the students' programs see a little of everything */
  "preset.class": { loss: 2, burst: 0, delay: 40, jitter: 10, reorder: true, up: 0, down: 0 },
  /* a share of what the lanes send up: saturated with one sender a lane or four */
  "preset.uplink": { loss: 0, burst: 0, delay: 20, jitter: 0, reorder: true, upShare: 0.8, down: 0 },
};
const LANG_STORE = "ricochet-lesson-lang";
const VIEW_POLL_MS = 1000;    /* a student's view: the shared answer is made at most this often */

/* Who reads the page (GET /view.json): the teacher, on the lesson's own
 * address, or a student on the class's (view: true): read-only, its own
 * program's lane marked by the address it comes from. */
const who = await fetch("/view.json", { cache: "no-store" }).then((r) => r.json())
  .catch(() => ({ view: false, you: "" }));
if (who.view) document.body.classList.add("viewer");

/* The lanes shown and how (?lanes=udp,tcp&compact=1: kept in the address,
 * so that a reload or a bookmark brings the same view). */
const wanted = { lanes: null, compact: false };
{
  const q = new URLSearchParams(location.search);
  if (q.get("lanes")) wanted.lanes = new Set(q.get("lanes").split(",").filter(Boolean));
  wanted.compact = q.get("compact") === "1";
  document.body.classList.toggle("compact", wanted.compact);
}

function keepInAddress() {
  const q = new URLSearchParams(location.search);
  if (wanted.lanes) q.set("lanes", [...wanted.lanes].join(","));
  else q.delete("lanes");
  if (wanted.compact) q.set("compact", "1");
  else q.delete("compact");
  const text = q.toString();
  history.replaceState(null, "", location.pathname + (text ? "?" + text : ""));
}

function shown(name) {
  return !wanted.lanes || wanted.lanes.has(name);
}

/* A program's lane: shown with every program ("programs"), or chosen alone. */
function shownGuest(key) {
  return shown(key) || (!!wanted.lanes && wanted.lanes.has(PROGRAMS));
}

/* The lanes in sight (or nearly): on a student's laptop the lesson sends
 * only those whole, the others by name and state (their figures and states
 * would cross the class's Wi-Fi for nobody), and only they are drawn.
 * fresh: those come into sight since the last poll, whose states the next
 * answer brings all of. */
const inView = new Set(), fresh = new Set();
const sight = new IntersectionObserver((seen) => {
  for (const e of seen) {
    const name = e.target.dataset.name;
    if (!e.isIntersecting) {
      inView.delete(name);
    } else if (!inView.has(name)) {
      inView.add(name);
      fresh.add(name);
    }
  }
}, { rootMargin: "200px" });

function observe(el, name) {
  el.dataset.name = name;
  sight.observe(el);
}

/* Is lane name drawn now: the teacher's page draws every lane shown, a laptop those in sight. */
const drawn = (name) => !who.view || inView.has(name);

/* The row of lanes to choose from: the lanes shown, in a line that opens
 * into a box a lane and "all", then the programs through the door (all of
 * them, and each); and compact. */
const PROGRAMS = "programs";
function drawPick() {
  const programs = (view.guests || []).filter((g) => !isMine(g, who.you)).map(guestKey);
  const box = $("pick"), names = view.order.concat(programs).join(",");
  if (box.dataset.names !== names || box.dataset.lang !== i18n.lang) {
    const open = box.querySelector("details") && box.querySelector("details").open;
    box.dataset.names = names;
    box.dataset.lang = i18n.lang;
    box.textContent = "";
    const details = document.createElement("details"), summary = document.createElement("summary");
    const boxes = document.createElement("div");
    boxes.className = "boxes";
    details.open = !!open;
    summary.textContent = tr("pick.label") + ": " + (wanted.lanes
      ? view.order.filter(shown).map((n) => tName("lane." + n, n))
          .concat(wanted.lanes.has(PROGRAMS) ? [tr("pick.programs")] : []).join(" · ")
      : tr("pick.all"));
    details.append(summary, boxes);
    box.appendChild(details);
    const add = (cls, text, checked, on, into = boxes) => {
      const label = document.createElement("label"), input = document.createElement("input");
      input.type = "checkbox";
      input.checked = checked;
      input.onchange = () => on(input.checked);
      label.className = cls;
      label.append(input, " " + text);
      into.appendChild(label);
      return input;
    };
    add("all", tr("pick.all"), !wanted.lanes, (on) => choose(on ? null : new Set()));
    const every = view.order.concat(programs.length ? [PROGRAMS] : []);
    const toggle = (name) => (on) => {
      const set = new Set(wanted.lanes || every);
      if (on) set.add(name);
      else set.delete(name);
      choose(every.every((n) => set.has(n)) ? null : set);
    };
    for (const name of view.order)
      add("one", tName("lane." + name, view.lanes.get(name).title), shown(name), toggle(name))
        .dataset.lane = name;
    if (programs.length)
      add("programs", tr("pick.programs"), shown(PROGRAMS), toggle(PROGRAMS)).dataset.lane =
        PROGRAMS;
    for (const key of programs)
      add("one program", key, shownGuest(key), toggle(key)).dataset.lane = key;
    add("compact", tr("pick.compact"), wanted.compact, (on) => {
      wanted.compact = on;
      document.body.classList.toggle("compact", on);
      keepInAddress();
      render();
    }, box);
  }
}

/* Shows the lanes of set (null: every lane). */
function choose(set) {
  wanted.lanes = set;
  keepInAddress();
  $("pick").dataset.names = ""; /* drawn again with the boxes as chosen */
  render();
  return set ? [...set] : null;
}

const $ = (id) => document.getElementById(id);

/* ---- words ---- */

/* The page's fixed words: each element's data-i18n key (its other data-
 * attributes the values), data-i18n-title's for its title. */
function translatePage() {
  document.documentElement.lang = i18n.lang;
  document.title = tr("title");
  for (const el of document.querySelectorAll("[data-i18n]"))
    el.textContent = tr(el.dataset.i18n, el.dataset);
  for (const el of document.querySelectorAll("[data-i18n-title]"))
    el.title = tr(el.dataset.i18nTitle);
  $("pause").textContent = tr(view.paused ? "ctl.goon" : "ctl.pause");
  /* the guide in the page's language (docs/sockets.LANG.md); English's is docs/sockets.md */
  if (i18n.lang === "en") $("guide").removeAttribute("href");
  else $("guide").href = "/guide/" + i18n.lang;
  $("worksheet").href = "/worksheet?lang=" + i18n.lang;
}

/* Speaks lang from now on (kept for the next visit when the reader chose it). */
async function setLang(lang, chosen) {
  if (!LANGS.includes(lang)) lang = "en";
  try {
    if (!Object.keys(i18n.en).length) i18n.en = await langFile("en");
    i18n.dict = lang === "en" ? i18n.en : await langFile(lang);
    i18n.lang = lang;
  } catch (e) {
    view.error = "/lang/" + lang + ".json: " + e.message;
  }
  if (chosen) {
    try { localStorage.setItem(LANG_STORE, lang); } catch (e) { /* private mode */ }
  }
  $("lang").value = i18n.lang;
  translatePage();
  render();
  return i18n.lang;
}

/* The language asked in the address, else the reader's last choice, else the browser's. */
function firstLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  let kept = null;
  try { kept = localStorage.getItem(LANG_STORE); } catch (e) { /* private mode */ }
  if (asked && LANGS.includes(asked)) return asked;
  if (kept && LANGS.includes(kept)) return kept;
  return pickLang(navigator.languages && navigator.languages.length ? navigator.languages
                                                                    : [navigator.language]);
}
const view = {
  cursor: 0, generation: "", nowMs: 0, polledAt: 0, rate: 20, lanes: new Map(), order: [],
  status: null, net: null, models: [], model: null, paused: false, pausedAt: 0, error: "",
  modelError: "", lastOk: 0, inspected: null, senders: 1,
};

/* ---- data ---- */

function laneOf(d) {
  let l = view.lanes.get(d.name);
  if (!l) {
    l = { name: d.name, marks: new Map(), arrivals: [], fed: 0,
          ib: Array.from({ length: SENDERS }, () => new InterpBuffer()),
          el: null, strip: null, arena: null, senders: 1, firstSeq: [1] };
    view.lanes.set(d.name, l);
    view.order.push(d.name);
  }
  Object.assign(l, { title: d.title, color: d.color, lossless: d.lossless, state: d.state,
                     why: d.why });
  if (!d.brief) /* a lane out of sight keeps what it last had */
    Object.assign(l, { ends: d.ends, figures: d.figures, senderId: d.sender_id,
                       senders: Math.max(1, (d.sender_ids || []).length),
                       firstSeq: d.first_seq || [1] });
  return l;
}

/* A mark [seq, send ms, status, latency ms, x, y, vx, vy, drop up, drop down,
 * sender, arrival, first copy down lost, seen down ms, the later seq it came after]. */
function takeMark(l, m) {
  const [seq, t, status, lat, x, y, vx, vy, up, down, sender = 0, , firstLost = 0,
         seen = null, after = 0] = m;
  const key = markKey(sender, seq), had = l.marks.get(key);
  const mark = { seq, sender, t, status, lat, x, y, vx, vy, up, down, firstLost: !!firstLost,
                 seen, after, recv: lat === null ? null : t + lat };
  l.marks.set(key, mark);
  if (status === 1 && !(had && had.status === 1))
    insertArrival(l, mark);
}

function insertArrival(l, mark) {
  let i = l.arrivals.length;
  while (i > 0 && l.arrivals[i - 1].recv > mark.recv) i--;
  l.arrivals.splice(i, 0, mark);
  if (i < l.fed) l.fed = i; /* a late one: fed again from there */
}

/* States older than the strip and the trail are let go; paused, those
 * around the moment shown stay too (the reader studies them, clicks them,
 * and pauseAt feeds the receivers again from them). */
function prune(l, nowMs) {
  const span = STRIP_MS + 5000, at = view.paused ? view.pausedAt : nowMs;
  const kept = (t) => t >= nowMs - span || (t >= at - span && t <= at + span);
  for (const [key, m] of l.marks)
    if (!kept(m.t)) l.marks.delete(key);
  l.fed = l.arrivals.slice(0, l.fed).filter((m) => kept(m.recv)).length;
  l.arrivals = l.arrivals.filter((m) => kept(m.recv));
}

function reset() {
  view.lanes.clear();
  view.order = [];
  $("lanes").textContent = "";
  view.cursor = 0;
}

/* live.json's address: on a laptop, the lanes in sight whole, the newly seen with all
 * their states. */
function liveUrl() {
  const list = (set) => encodeURIComponent([...set].join(","));
  if (!who.view) return "/live.json?since=" + view.cursor;
  return "/live.json?since=" + view.cursor + "&shown=" + list(inView) +
         (fresh.size ? "&fresh=" + list(fresh) : "");
}

async function poll() {
  try {
    const asked = [...fresh];
    const r = await fetch(liveUrl(), { cache: "no-store" });
    if (r.status === 503 && who.view) return; /* a student's view: the lesson starting */
    if (!r.ok) throw new Error("HTTP " + r.status);
    const d = await r.json();
    if (d.generation !== view.generation) {
      reset();
      view.generation = d.generation;
      return poll(); /* everything again, from the new start */
    }
    view.cursor = d.cursor;
    for (const name of asked) fresh.delete(name);
    view.nowMs = d.now_ms;
    view.polledAt = performance.now();
    view.rate = d.rate_hz;
    view.senders = d.senders;
    if (!sendersEdit) $("senders").value = String(d.senders_wanted);
    view.status = d.status;
    view.net = d.net;
    view.models = d.models;
    view.model = d.model;
    [view.door, view.guests] = [d.door, d.guests];
    view.lastOk = Date.now();
    view.error = "";
    for (const ld of d.lanes) {
      const l = laneOf(ld);
      for (const m of ld.marks || []) takeMark(l, m); /* a lane out of sight: none */
      prune(l, view.nowMs);
    }
    showModel(d.model.in_force);
    render();
  } catch (e) {
    view.error = tr("banner.gone", { error: e.message });
    render();
  }
}

/* ---- the controls ---- */

function controlsNow() {
  return {
    loss: +$("loss").value, burst: +$("burst").value, delay: +$("delay").value,
    jitter: +$("jitter").value, reorder: $("reorder").checked, up: +$("rate-up").value,
    down: +$("rate-down").value,
  };
}

/* The controls as the bench's model: the path's figures, netsim's own. */
function modelBody(c) {
  return {
    "path-loss": c.loss, "burst-length": c.burst, "path-delay": c.delay, "path-jitter": c.jitter,
    "reorder": c.reorder, "up-rate-kbps": c.up, "down-rate-kbps": c.down, "queue-limit": 100,
  };
}

/* A number as the page's language writes it, at most digits decimals. */
function fmtShort(v, digits) {
  return new Intl.NumberFormat(i18n.lang, { maximumFractionDigits: digits, useGrouping: false })
    .format(v);
}

function showOutputs() {
  for (const id of ["loss", "delay", "jitter", "interp"])
    document.querySelector("output[for=" + id + "]").textContent =
      fmtShort(+$(id).value, 1) + (id === "loss" ? "%" : " ms");
}

/* Changes of this page's: made, and answered (the model in force waits for them). */
const edits = { made: 0, answered: 0, inFlight: 0 };
const editing = () => edits.inFlight > 0 || edits.answered < edits.made;

/* A menu at value, given an option of its own if it has none (a model set elsewhere). */
function selectValue(id, value) {
  const el = $(id);
  if (![...el.options].some((o) => +o.value === +value)) {
    const o = document.createElement("option");
    o.value = value;
    Object.assign(o.dataset, { i18n: id === "burst" ? "burst.of" : "rate.kbps", n: value });
    o.textContent = tr(o.dataset.i18n, { n: value });
    el.appendChild(o);
  }
  el.value = [...el.options].find((o) => +o.value === +value).value;
}

function sliderValue(id, value) {
  if (value > +$(id).max) $(id).max = value;
  $(id).value = value;
}

let applied = ""; /* the model in force the controls last took, as JSON */

/* The controls at the model in force (the server's in_force: netsim's
 * model in the controls' terms), whoever set it: at load, and after
 * another page's or a PUT /model's change; not while a change of this
 * page's is on its way. */
function showModel(body) {
  if (!body || body["path-loss"] === undefined || editing()) return;
  const text = JSON.stringify(body);
  if (text === applied) return;
  applied = text;
  sliderValue("loss", body["path-loss"]);
  sliderValue("delay", body["path-delay"]);
  sliderValue("jitter", body["path-jitter"]);
  $("reorder").checked = !!body.reorder;
  selectValue("burst", body["burst-length"]);
  selectValue("rate-up", body["up-rate-kbps"]);
  selectValue("rate-down", body["down-rate-kbps"]);
  showOutputs();
}

/* share: the uplink's rate as a share of what the lanes send (the server
 * measures it and answers with the model in force, its kbit/s). */
async function sendModel(share) {
  if (who.view) return; /* a student's view changes nothing */
  const m = modelBody(controlsNow());
  if (share) {
    delete m["up-rate-kbps"];
    m["up-rate-share"] = share;
  }
  const body = JSON.stringify(m), made = edits.made;
  edits.inFlight++;
  try {
    const r = await fetch("/model", { method: "PUT", body, headers: { "Content-Type": "application/json" } });
    const text = await r.text();
    view.modelError = r.ok ? "" : said(text.trim());
    if (!r.ok) applied = ""; /* refused: back to the model in force */
  } catch (e) {
    view.modelError = tr("model.unsent", { error: e.message });
  }
  edits.inFlight--;
  edits.answered = Math.max(edits.answered, made);
  showOutputs();
  $("model-error").textContent = view.modelError;
}

let debounce = 0;
function controlChanged() {
  edits.made++;
  showOutputs();
  clearTimeout(debounce);
  debounce = setTimeout(sendModel, 150);
}

function setControls(c) {
  edits.made++;
  if (c.loss !== undefined) $("loss").value = c.loss;
  if (c.burst !== undefined) selectValue("burst", c.burst);
  if (c.delay !== undefined) $("delay").value = c.delay;
  if (c.jitter !== undefined) $("jitter").value = c.jitter;
  if (c.reorder !== undefined) $("reorder").checked = c.reorder;
  if (c.up !== undefined) selectValue("rate-up", c.up);
  if (c.down !== undefined) selectValue("rate-down", c.down);
  return sendModel(c.upShare);
}

/* ---- drawing ---- */

function benchNow() {
  return view.nowMs + (performance.now() - view.polledAt);
}

function drawTime() {
  return view.paused ? view.pausedAt : benchNow() - DRAW_LAG_MS;
}

function laneElement(l) {
  const el = document.createElement("div");
  el.className = "lane";
  el.dataset.lane = l.name;
  el.innerHTML = "<div><h2></h2><div class=ends></div><button class=calls></button>" +
                 "<button class=csv></button><a class=pcap></a>" +
                 "<div class=figs></div><div class=why></div></div>" +
                 "<canvas class=arena width=130 height=130></canvas><canvas class=strip></canvas>";
  el.querySelector("h2").style.color = l.color;
  l.el = el;
  observe(el, l.name);
  l.arena = el.querySelector(".arena");
  l.strip = el.querySelector(".strip");
  l.strip.addEventListener("click", (e) => clickStrip(l, e));
  el.querySelector(".calls").onclick = () => showCalls(l.name);
  el.querySelector(".csv").onclick = () => saveCsv(l.name);
  /* its last packets, as netsim's clients' side carried them: Wireshark's */
  const pcap = el.querySelector(".pcap");
  pcap.href = "/pcap?lane=" + encodeURIComponent(l.name);
  pcap.download = "ricochet-lesson-" + l.name + ".pcap";
  $("lanes").appendChild(el);
}

/* v with digits decimals, as the page's language writes it; "-" for none. */
function fmt(v, digits) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "-";
  const key = i18n.lang + digits;
  if (!i18n.formats.has(key))
    i18n.formats.set(key, new Intl.NumberFormat(i18n.lang, {
      minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }));
  return i18n.formats.get(key).format(v);
}

/* A projector's figures: what tells the lanes apart, in three lines at most. */
function figuresShort(f, senders) {
  if (!f || !f.valid) return tr("fig.none");
  return tr("fig.delivered", { pct: fmt(f.delivered_pct, 1), grace: fmt(f.grace_s, 0) }) +
         " · " + tr("fig.latency", { p50: fmt(f.p50_ms, 1), p99: fmt(f.p99_ms, 1) }) + "<br>" +
         (senders > 1 ? tr("fig.gaps", { one: fmt(f.max_gap_sender_ms, 0),
                                         all: fmt(f.max_gap_ms, 0) })
                      : tr("fig.gap", { ms: fmt(f.max_gap_ms, 0) })) + " · " +
         tr("fig.bytes", { bytes: fmt(f.bytes_per_state, 0) }) +
         (f.ask_wait_ms === undefined ? "" :
         "<br>" + tr("fig.ask", { ms: fmt(f.ask_wait_ms, 0), max: fmt(f.ask_wait_max_ms, 0) })) +
         /* a busy machine's states lost, said even here */
         (f.behind ? "<br>" + tr("fig.behind", { n: f.behind, ms: fmt(f.behind_ms, 0) })
                     .replace(/^, /, "") : "");
}

function figuresText(f, senders) {
  if (wanted.compact) return figuresShort(f, senders);
  if (!f || !f.valid) return tr("fig.none");
  return tr("fig.delivered", { pct: fmt(f.delivered_pct, 1), grace: fmt(f.grace_s, 0) }) +
         " · " + tr("fig.latency", { p50: fmt(f.p50_ms, 1), p99: fmt(f.p99_ms, 1) }) + "<br>" +
         (senders > 1 ? tr("fig.gaps", { one: fmt(f.max_gap_sender_ms, 0),
                                         all: fmt(f.max_gap_ms, 0) })
                      : tr("fig.gap", { ms: fmt(f.max_gap_ms, 0) })) + " · " +
         tr("fig.bytes", { bytes: fmt(f.bytes_per_state, 0) }) + "<br>" +
         /* a stream's loss is its segments' (sent again), not its states' */
         (f.segments_dropped === undefined
           ? tr("fig.dropped", { dropped: f.netsim_dropped, expected: f.expected })
           : tr("fig.dropped_segments", { n: f.segments_dropped,
                                          dropped: f.netsim_dropped, expected: f.expected })) +
         (f.too_old ? tr("fig.too_old", { n: f.too_old }) : "") +
         /* lost outside netsim: a socket's receive buffer was full */
         (f.socket_dropped || f.host_socket_dropped
           ? tr("fig.sockets", { n: f.socket_dropped, relay: f.host_socket_dropped }) : "") +
         (f.disconnected ? tr("fig.disconnected", { n: f.disconnected }) : "") +
         (f.late ? tr("fig.late", { n: f.late, s: fmt(f.grace_s, 0) }) : "") +
         (f.behind_segment ? tr("fig.behind_segment", { n: f.behind_segment }) : "") +
         (f.relay_kept ? tr("fig.relay_kept", { n: f.relay_kept }) : "") +
         (f.sender_dropped ? tr("fig.sender_dropped", { n: f.sender_dropped }) : "") +
         (f.behind ? tr("fig.behind", { n: f.behind, ms: fmt(f.behind_ms, 0) }) : "") +
         (f.pending ? tr("fig.pending", { n: f.pending }) : "") + " " +
         tr("fig.window", { s: fmt(f.window_s, 0) }) +
         (senders > 1 ? "<br>" + tr("fig.held", { n: f.held || 0 }) : "") +
         (f.ask_wait_ms === undefined ? "" :
         /* HTTP polling: what asking costs (the WebSocket beside it pushes) */
         "<br>" + tr("fig.ask", { ms: fmt(f.ask_wait_ms, 0), max: fmt(f.ask_wait_max_ms, 0) }) +
         " · " + tr("fig.heads", { bytes: fmt(f.head_bytes_per_state, 0),
                                   n: fmt(f.requests_per_state, 1) })) +
         (f.http ? "<br>" + httpText(f, tr, fmt) : "");
}

function netText(n, model) {
  if (!n || !n.valid) return tr("net.none");
  const d = (k) => tr("net.dir", { kbps: fmt(n[k].kbps, 0), drop: fmt(n[k].drop_pct, 1),
                                   states: fmt(n[k].state_loss_pct, 1) });
  const force = model && model.in_force;
  const asked = force && force["path-loss"] !== undefined
    ? tr("net.asked", { loss: fmtShort(force["path-loss"], 2) }) : "";
  return tr("net.line", { s: fmt(n.window_s, 0), up: d("up"), down: d("down"),
                         path: fmt(n.path_loss_pct, 1) }) + asked;
}

function render() {
  const s = view.status;
  const words = s ? tr("status.line", { relay: said(s.relay), netsim: said(s.netsim) }) +
                    (s.incident ? tr("status.last", { incident: said(s.incident) }) : "")
                  : tr("status.connecting");
  $("status").textContent = words;
  const down = view.error || (s && !s.relay_up ? tr("banner.relay", { why: said(s.relay) }) : "") ||
               (s && !s.netsim_up ? tr("banner.netsim", { why: said(s.netsim) }) : "");
  $("banner").textContent = down;
  $("banner").className = down ? "on" : "";
  $("missing").textContent = s ? said(s.missing) : "";
  $("net").textContent = netText(view.net, view.model);
  $("viewer").textContent = who.view ? tr("view.banner", { you: who.you }) : "";
  drawPick();
  $("clear-guests").hidden = !drawGuests($("door"), $("mine"), $("guests"),
                                          { ...view, you: who.you, viewer: who.view }, tr, fmt,
                                          (lane, seq) => {
                                            pause(true);
                                            inspect(lane, seq);
                                          }, shownGuest, observe);
  for (const name of view.order) {
    const l = view.lanes.get(name);
    if (!l.el) laneElement(l);
    l.el.className = "lane" + (l.state === "missing" ? " missing" : "") +
                     (shown(name) ? "" : " hidden");
    l.el.querySelector("h2").textContent = tName("lane." + l.name, l.title);
    l.el.querySelector(".ends").textContent = endsText(l.ends, tr, wanted.compact);
    l.el.querySelector(".calls").textContent = tr("calls.button");
    l.el.querySelector(".csv").textContent = tr("csv.button");
    l.el.querySelector(".pcap").textContent = tr("pcap.button");
    l.el.querySelector(".figs").innerHTML = figuresText(l.figures, l.senders);
    l.el.querySelector(".why").textContent = l.state === "running" ? said(l.why) // connected again
      : tName("state." + l.state, l.state) + ": " + said(l.why);
  }
}

function frame() {
  const t = drawTime(), all = $("one-scale").checked && scaleMs(view.lanes.values(), t);
  for (const l of view.lanes.values()) {
    if (!l.el || !shown(l.name) || !drawn(l.name)) continue;
    drawArena(l, t, view.rate, +$("interp").value);
    drawStrip(l, t, l.top = all || scaleMs([l], t), view.models);
  }
  drawGuestLanes(t, +$("interp").value, all, view.models, drawn);
  requestAnimationFrame(frame);
}

/* ---- a lane's figures to take away ---- */

/* The lane's states the page keeps, one a row, and its figures now, as CSV:
 * what a student's spreadsheet reads (the lesson's clock, ms). */
function laneCsv(name) {
  const l = view.lanes.get(name);
  if (!l) return "";
  const rows = [["seq", "sender", "send_ms", "status", "latency_ms", "drop_up", "drop_down",
                 "came_after_seq"].join(",")];
  const marks = [...l.marks.values()].sort((a, b) => a.t - b.t || a.sender - b.sender);
  for (const m of marks)
    rows.push([m.seq, m.sender + 1, m.t.toFixed(1), STATUS[m.status],
               m.lat === null ? "" : m.lat.toFixed(2), m.up || "", m.down || "", m.after || ""]
      .join(","));
  const f = l.figures || {};
  rows.push("");
  rows.push("figure,value");
  for (const [k, v] of Object.entries(f))
    if (typeof v === "number" || typeof v === "boolean") rows.push(k + "," + v);
  return rows.join("\n") + "\n";
}

function saveCsv(name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([laneCsv(name)], { type: "text/csv" }));
  a.download = "ricochet-lesson-" + name + ".csv";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/* ---- looking inside a state ---- */

async function inspect(lane, seq, sender = 0) {
  const r = await fetch(`/state?lane=${encodeURIComponent(lane)}&seq=${seq}&sender=${sender}`,
                        { cache: "no-store" });
  const box = $("inspect");
  box.className = "on";
  if (!r.ok) {
    box.textContent = said((await r.text()).trim());
    view.inspected = { error: box.textContent };
    return view.inspected;
  }
  const d = await r.json(), title = tName("lane." + lane, lane), l = view.lanes.get(lane);
  const who = l && l.senders > 1 ? " " + tr("insp.sender", { n: sender + 1 }) : "";
  const shown = stateView(d, title, who, l, fmt);
  view.inspected = { lane, seq, sender, ...shown.inspected };
  box.innerHTML = shown.html;
  $("close-inspect").onclick = () => { box.className = ""; };
  return view.inspected;
}

/* The system calls of the lane's two ends (GET /calls), in the inspector. */
async function showCalls(lane) {
  const r = await fetch("/calls?lane=" + encodeURIComponent(lane), { cache: "no-store" });
  const box = $("inspect");
  box.className = "on";
  if (!r.ok) {
    box.textContent = said((await r.text()).trim());
    return (view.calls = { error: box.textContent });
  }
  const d = await r.json();
  box.innerHTML = callsHtml(d, tName("lane." + lane, lane), tr, fmt) +
                  ` <button id=close-inspect>${tr("insp.close")}</button>`;
  $("close-inspect").onclick = () => { box.className = ""; };
  return (view.calls = { ...d, text: box.textContent });
}

function clickStrip(l, e) {
  const best = pointAt(l, e);
  if (!best) return;
  pause(true);
  inspect(l.name, best.seq, best.sender);
}

/* Each lane's senders (1 or 4): the lesson starts the lanes again with them. */
let sendersEdit = 0; /* requests on their way: the switch shows this page's choice */
async function setSenders(n) {
  sendersEdit++;
  $("senders").value = String(n);
  try {
    const r = await fetch("/senders", { method: "PUT", body: JSON.stringify({ senders: n }),
                                        headers: { "Content-Type": "application/json" } });
    view.modelError = r.ok ? "" : (await r.text()).trim();
  } catch (e) {
    view.modelError = tr("model.unsent", { error: e.message });
  }
  sendersEdit--;
  $("model-error").textContent = view.modelError;
}

function pause(on) {
  if (on && !view.paused) view.pausedAt = drawTime();
  view.paused = on;
  $("pause").textContent = tr(on ? "ctl.goon" : "ctl.pause");
}

/* Paused at t (the lesson's ms), earlier than what was drawn too: each
 * lane's receivers are fed again from the states it keeps. */
function pauseAt(t) {
  pause(true);
  view.pausedAt = t;
  for (const l of view.lanes.values()) {
    l.ib = l.ib.map(() => new InterpBuffer());
    l.fed = 0;
  }
}

/* ---- the page's start, and what tests read ---- */

for (const id of ["rate-up", "rate-down"])
  $(id).innerHTML = RATES.map((r) => r ? `<option value=${r} data-i18n=rate.kbps data-n=${r}></option>`
    : "<option value=0 data-i18n=rate.unlimited></option>").join("");
for (const id of ["loss", "delay", "jitter", "burst", "reorder", "rate-up", "rate-down"])
  $(id).addEventListener(id === "loss" || id === "delay" || id === "jitter" ? "input" : "change",
                         controlChanged);
$("interp").addEventListener("input", showOutputs);
$("senders").addEventListener("change", () => setSenders(+$("senders").value));
for (const key of Object.keys(PRESETS)) {
  const b = document.createElement("button");
  b.dataset.i18n = key;
  b.onclick = () => setControls(PRESETS[key]);
  $("presets").appendChild(b);
}
$("lang").innerHTML = LANGS.map((l) => `<option value=${l}>${LANG_NAMES[l]}</option>`).join("");
$("lang").addEventListener("change", () => setLang($("lang").value, true));
$("pause").onclick = () => pause(!view.paused);
document.addEventListener("keydown", (e) => {
  if (e.key === " " && e.target === document.body) {
    e.preventDefault();
    pause(!view.paused);
  }
});
await setLang(firstLang(), false);
showOutputs();
setInterval(poll, who.view ? VIEW_POLL_MS : POLL_MS);
$("clear-guests").onclick = clearGone;
/* The controls stay at the top: a strip scrolled into view stops below them. */
new ResizeObserver(() => document.documentElement.style.setProperty(
  "--top-h", $("top").offsetHeight + "px")).observe($("top"));
poll();
requestAnimationFrame(frame);

window.lessonPage = {
  snapshot: () => JSON.parse(JSON.stringify({
    status: view.status, error: view.error, banner: $("banner").textContent,
    modelError: view.modelError, paused: view.paused, net: view.net, model: view.model,
    generation: view.generation, controls: controlsNow(), lang: i18n.lang,
    senders: view.senders,
    missing: [...i18n.missing], untranslated: [...i18n.untranslated], door: view.door, guests: view.guests,
    lanes: view.order.map((n) => {
      const l = view.lanes.get(n);
      return { name: n, title: l.title, state: l.state, why: l.why, figures: l.figures,
               ends: l.ends || null, /* its endpoints: the relay's, its clients' */
               senders: l.senders, marks: l.marks.size, shown: l.shown || null,
               top: l.top, /* its strip's latency scale, ms */
               labels: l.labels || [] }; /* the words its strip wrote, and where */
    }),
  })),
  setControls, pause, pauseAt, pickLang, setSenders, showCalls, inspect, ...guestLanesForTests,
  laneCsv, choose, clearGone,
  /* The lanes drawn (not hidden by the choice), by name; whether compact; a student's view;
   * the lanes and programs in sight (on a laptop, the only ones it is sent whole). */
  shownLanes: () => view.order.filter(shown),
  inView: () => [...inView],
  compact: () => wanted.compact,
  viewer: () => ({ ...who }),
  setLang: (lang) => setLang(lang, true),
  /* A preset by its key ("preset.loss2") or its English name ("2% loss"). */
  preset: (name) => setControls(PRESETS[name] ||
                                PRESETS[Object.keys(PRESETS).find((k) => i18n.en[k] === name)]),
  /* Where a state (of sender, 0 first) is drawn in its lane's strip, in the window's
   * coordinates, the strip scrolled to the top of the window to be clicked there (the
   * inspector, once open, holds the bottom right); or null. */
  markPoint: (lane, seq, sender = 0) => pointOnScreen(view.lanes.get(lane), seq, sender),
  /* The states the strip of lane draws now: [{seq, sender, status}]. */
  drawn: (lane) => {
    const l = view.lanes.get(lane);
    return (l && l.points || []).map((p) => ({
      seq: p.seq, sender: p.sender, status: STATUS[l.marks.get(markKey(p.sender, p.seq)).status] }));
  },
  inspected: () => view.inspected,
  /* The states the page keeps of lane: [{seq, sender, t, recv, seen, status, up, down,
   * firstLost, after}] (ms, the lesson's clock; seen: netsim first saw it on the downlink,
   * null not yet; up and down: netsim's drop of a datagram, or ""; firstLost: the first
   * copy down lost, a datagram or a stream's segment; after: the later seq it came after,
   * 0 in order). */
  marks: (lane) => {
    const l = view.lanes.get(lane);
    return l ? [...l.marks.values()].map(({ seq, sender, t, recv, seen, status, up, down,
                                            firstLost, after }) =>
      ({ seq, sender, t, recv, seen, status: STATUS[status], up, down, firstLost, after })) : [];
  },
};
