/* ricochet_checks.js: client/js/ricochet.js against proto/PROTOCOL.md, in a
 * page the relay serves (test_e2e_play evaluates this file there). The
 * value of the expression is the list of what failed: empty when all holds. */
(async () => {
  const r = await import("/ricochet.js");
  const failed = [];
  const check = (what, ok) => { if (!ok) failed.push(what); };
  const hex = (b) => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  const bytes = (h) => new Uint8Array(h.match(/../g).map((v) => parseInt(v, 16)));
  const refused = (fn, code, why) => {
    try {
      fn();
      return false;
    } catch (e) {
      return e instanceof r.ProtocolError && e.code === code && (!why || e.message === why);
    }
  };

  /* PROTOCOL.md's example state, byte for byte. */
  const example = "01010000" + "00000000" + "00000001" + "00000000004c4b40" +
                  "41480000" + "42480000" + "00000000" + "bfc00000" + "00000000";
  const st = { seq: 1, send_us: 5000000, x: 12.5, y: 50, vx: 0, vy: -1.5, heading: 0 };
  check("encodeState: the example's bytes", hex(r.encodeState(st)) === example);
  const back = r.decodeState(bytes(example));
  check("decodeState: the example", back.sender === 0 && back.seq === 1 && back.send_us === 5000000 &&
        back.x === 12.5 && back.y === 50 && back.vy === -1.5);
  const big = r.encodeState(Object.assign({}, st, { seq: 4294967295, send_us: r.TIME_MAX }));
  const bigBack = r.decodeState(big);
  check("decodeState: the largest seq and send_us", bigBack.seq === 4294967295 &&
        bigBack.send_us === r.TIME_MAX);
  const padded = new Uint8Array(1200);
  padded.set(bytes(example));
  check("decodeState: padding up to 1200 bytes", r.decodeState(padded).seq === 1);

  /* STATE_FIELDS: the 40 bytes in order, each field where decodeState reads it. */
  let at = 0;
  for (const f of r.STATE_FIELDS) {
    check("STATE_FIELDS: " + f.field + " follows the one before", f.offset === at);
    at = f.offset + f.size;
  }
  check("STATE_FIELDS: 40 bytes", at === r.STATE_SIZE);
  const ex40 = bytes(example), dv = new DataView(ex40.buffer);
  for (const f of r.STATE_FIELDS.filter((f) => f.key)) {
    const v = f.size === 8 ? dv.getUint32(f.offset) * 4294967296 + dv.getUint32(f.offset + 4)
            : f.key === "sender" || f.key === "seq" ? dv.getUint32(f.offset)
            : dv.getFloat32(f.offset);
    check("STATE_FIELDS: " + f.field + " is decodeState's " + f.key, back[f.key] === v);
  }

  /* Every refusal, in PROTOCOL.md's order. */
  const ex = bytes(example);
  const with_ = (at, v) => { const b = ex.slice(); b[at] = v; return b; };
  check("state: 1 byte is too short", refused(() => r.decodeState(ex.subarray(0, 1)), "bad_state", "too short"));
  check("state: version 2", refused(() => r.decodeState(with_(0, 2)), "bad_state", "bad version"));
  check("state: type 3", refused(() => r.decodeState(with_(1, 3)), "bad_state", "unknown message type"));
  check("state: a batch is not a state", refused(() => r.decodeState(with_(1, 2)), "bad_state", "unknown message type"));
  check("state: 39 bytes", refused(() => r.decodeState(ex.subarray(0, 39)), "bad_state", "too short"));
  check("state: 1201 bytes", refused(() => r.decodeState(new Uint8Array(1201).fill(0).map((v, i) => i < 40 ? ex[i] : 0)),
                                     "bad_state", "too long"));
  const nan = ex.slice();
  new DataView(nan.buffer).setFloat32(20, NaN);
  check("state: NaN", refused(() => r.decodeState(nan), "bad_state", "value out of range"));
  const far = ex.slice();
  new DataView(far.buffer).setFloat32(24, 1000001);
  check("state: beyond 1e6", refused(() => r.decodeState(far), "bad_state", "value out of range"));
  const late = ex.slice();
  new DataView(late.buffer).setUint32(12, 232831);
  check("state: send_us past TIME_MAX", refused(() => r.decodeState(late), "bad_state", "value out of range"));
  let threw = false;
  try { r.encodeState(Object.assign({}, st, { x: Infinity })); } catch (e) { threw = e instanceof RangeError; }
  check("encodeState: refuses infinity", threw);

  /* Batches. */
  const batch = new Uint8Array(4 + 2 * 42);
  batch.set([1, 2, 0, 0, 0, 40]);
  batch.set(ex, 6);
  batch.set([0, 40], 46);
  batch.set(r.encodeState(Object.assign({}, st, { seq: 2 })), 48);
  const entries = r.unpackBatch(batch);
  check("unpackBatch: two entries", r.isBatch(batch) && entries.length === 2 &&
        r.decodeState(entries[1]).seq === 2);
  check("batch: 6 bytes", refused(() => r.unpackBatch(batch.subarray(0, 6)), "bad_state", "too short"));
  check("batch: cut in an entry", refused(() => r.unpackBatch(batch.subarray(0, 60)), "bad_state", "too short"));
  const zero = batch.slice();
  zero[5] = 0;
  check("batch: an entry of length 0", refused(() => r.unpackBatch(zero), "bad_state", "value out of range"));

  /* Control messages. */
  const welcome = '{"type":"welcome","id":3,"room":"lobby","later":[1,{"x":2}],"roster":[' +
    '{"id":1,"name":"bob","mode":"reliable","state":{"seq":812,"t":9912345678,"x":40.5,"y":12,' +
    '"vx":3,"vy":0,"heading":0},"clock":{"offset_us":-5,"bound_us":7}},' +
    '{"id":2,"name":"carol","mode":"unsequenced","state":null}]}';
  const w = r.decodeControl(new TextEncoder().encode(welcome));
  check("welcome: PROTOCOL.md's, an unknown field ignored", w.type === "welcome" && w.id === 3 &&
        w.room === "lobby" && w.roster.length === 2 && w.roster[0].state.t === 9912345678 &&
        w.roster[0].clock.offset_us === -5 && w.roster[1].state === null && !("later" in w));
  check("welcome: a later mode name kept", r.decodeControl(
    '{"type":"joined","id":4,"name":"dave","mode":"ws"}').mode === "ws");
  check("pong", r.decodeControl('{"type":"pong","t":123456789,"relay_t":5021400000}').relay_t === 5021400000);
  check("numbers: 1e3 and 1000.0 are 1000", r.decodeControl('{"type":"vanished","id":1e3}').id === 1000 &&
        r.decodeControl('{"type":"vanished","id":1000.0}').id === 1000);
  check("bad_json: not JSON", refused(() => r.decodeControl("{nope"), "bad_json"));
  check("bad_json: an array", refused(() => r.decodeControl("[1]"), "bad_json"));
  check("bad_json: invalid UTF-8", refused(() => r.decodeControl(new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x7d])), "bad_json"));
  check("bad_json: a NUL byte", refused(() => r.decodeControl(new Uint8Array([0x7b, 0, 0x7d])), "bad_json"));
  check("bad_json: a lone surrogate", refused(() => r.decodeControl('{"type":"chat","id":1,"name":"a","text":"\\ud800"}'), "bad_json"));
  check("bad_field: \\u0000", refused(() => r.decodeControl('{"type":"chat","id":1,"name":"a","text":"ok\\u0000x"}'), "bad_field"));
  check("missing_field: type", refused(() => r.decodeControl('{"id":1}'), "missing_field"));
  check("bad_field: type 5", refused(() => r.decodeControl('{"type":5}'), "bad_field"));
  check("unknown_type", refused(() => r.decodeControl('{"type":"teleport"}'), "unknown_type"));
  check("bad_field: id 1.5", refused(() => r.decodeControl('{"type":"vanished","id":1.5}'), "bad_field"));
  check("bad_field: id \"5\"", refused(() => r.decodeControl('{"type":"vanished","id":"5"}'), "bad_field"));
  check("bad_field: id past 2^32", refused(() => r.decodeControl('{"type":"vanished","id":4294967296}'), "bad_field"));
  check("bad_field: a chat with a control character", refused(() =>
    r.decodeControl('{"type":"chat","id":1,"name":"a","text":"a\\u001bb"}'), "bad_field"));
  check("bad_field: a roster float past 1e6", refused(() => r.decodeControl(
    '{"type":"appeared","id":7,"name":"e","state":{"seq":1,"t":1,"x":2e6,"y":0,"vx":0,"vy":0,"heading":0}}'), "bad_field"));
  check("bad_field: a left reason", refused(() => r.decodeControl('{"type":"left","id":1,"name":"a","reason":"bored"}'), "bad_field"));
  const long = r.decodeControl(JSON.stringify({ type: "error", code: "x", message: "\u00e9".repeat(150) + "\u0007" }));
  check("error: a long message cut at a character", long.message === "\u00e9".repeat(100));
  const bell = r.decodeControl(JSON.stringify({ type: "error", code: "x", message: "a\u0007b" }));
  check("error: controls shown as spaces", bell.message === "a b");
  const join = JSON.parse(r.encodeControl({ type: "join", room: "lobby", name: "ana", reflect: true, extra: 1 }));
  check("join: version 3, known fields only", join.version === 3 && join.room === "lobby" &&
        join.reflect === true && !("extra" in join) && !("mode" in join));
  check("join: a bad name", refused(() => r.encodeControl({ type: "join", room: "lobby", name: "a\u202eb" }), "bad_name"));
  check("join: a name in Hangul", r.encodeControl({ type: "join", room: "lobby", name: "민수" }).includes("민수"));
  check("chat: 201 bytes", refused(() => r.encodeControl({ type: "chat", text: "x".repeat(201) }), "bad_field"));
  check("chat: 200 bytes", JSON.parse(r.encodeControl({ type: "chat", text: "x".repeat(200) })).text.length === 200);
  check("clock: out of range", refused(() => r.encodeControl({ type: "clock", offset_us: 1e16, bound_us: 1 }), "bad_field"));

  /* Sequence numbers, receive statistics, clocks, interpolation. */
  check("seqAfter: across the wrap", r.seqAfter(0, 4294967295) && !r.seqAfter(4294967295, 0) &&
        !r.seqAfter(5, 5));
  const s = new r.RecvStats();
  for (const q of [4294967294, 4294967295, 1, 0, 0, 3]) s.record(q, 1000);
  check("RecvStats: across the wrap", s.received === 5 && s.expected === 6 && s.lost === 1 &&
        s.duplicates === 1 && s.reordered === 1 && s.latencyMeanUs === 1000);
  s.record(4, null);
  check("RecvStats: a state without latency", s.received === 6 && s.noLatency === 1 && s.latencyMeanUs === 1000);
  const mine = new r.ClockSync(), other = new r.ClockSync();
  check("ClockSync: a sample", mine.sample(1000, 51000, 3000) === 1 && mine.offsetUs === 49000 &&
        mine.boundUs === 1000 && mine.sample(5000, 60000, 9000) === 0);
  check("latency: unknown without the sender's offset", !r.clockLatency(mine, other, 100, 600).known);
  other.set(49000 + 10000000, 500, 0); /* the sender's clock 10 s behind mine */
  const lat = r.clockLatency(mine, other, 100, 10000600);
  check("latency: corrected across clocks", lat.known && lat.latencyUs === 500 && lat.boundUs === 1500);
  const ib = new r.InterpBuffer(250000, 1000000);
  ib.push({ seq: 1, send_us: 0, x: 0, y: 0, vx: 10, vy: 0 }, 50000);
  ib.push({ seq: 3, send_us: 100000, x: 10, y: 0, vx: 10, vy: 0 }, 150000);
  ib.push({ seq: 2, send_us: 50000, x: 6, y: 0, vx: 10, vy: 0 }, 170000);
  const mid = ib.sampleAt(125000), past = ib.sampleAt(1000000);
  check("InterpBuffer: a late sample in its place", ib.s.map((v) => v.seq).join() === "1,2,3" &&
        mid.kind === "between" && Math.abs(mid.x - 8) < 1e-9);
  check("InterpBuffer: stale past the limit", past.kind === "stale" && Math.abs(past.x - 12.5) < 1e-9);
  return failed;
})()
