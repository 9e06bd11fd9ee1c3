// colyseus_swarm.js: one generator process of colyseus_bench.js (forked by
// it): whole rooms of colyseus.js clients (0.18's @colyseus/sdk) in one event loop, as
// client/swarm/swarm.c runs ricochet's. Client i of N sends a 40-byte state every period from
// t0 + period * i / N on; each state carries its intended send time, so a
// sender that falls behind still stamps the schedule and its delay counts
// as latency. Only states intended inside the window count; receivers
// drain for the grace period, and later arrivals are lost.
// Messages from colyseus_bench.js: {setup}, then {start}; answers {ready},
// then {done}.
'use strict';

const { Client, getStateCallbacks } = require('./peer_modules').clientModule();
const { histogramNew, histogramAdd, histogramPack } = require('./peer_histogram');

const STATE_BYTES = 40;
const ROOMS_JOINING = 8; // rooms whose members join at once

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

let cfg; // the setup message
// per client of this process: its room, its phase, the newest seq it got
// from each member of its room (-1: none yet), intended(q): when its
// state q is due (µs)
const members = [];
const sidIndex = new Map(); // session id -> client index in this process
let t0 = 0, winStart = 0, winEnd = 0, drainEnd = 0, period = 0;
const hist = histogramNew();
const late = histogramNew();
const count = { sentWindow: 0, unsent: 0, expected: 0, delivered: 0, conflated: 0,
                duplicates: 0, reordered: 0, afterDrain: 0 };
let cpu0 = null;
let left = null; // why a client left, if one did

function send(m) {
    process.send(m);
}

function failRun(msg) {
    send({ type: 'error', message: msg });
    setTimeout(() => process.exit(1), 100);
}

// The members of client i's room in this process, i local.
function roomOf(i) {
    const first = i - ((cfg.first + i) % cfg.roomSize);
    const last = Math.min(first + cfg.roomSize, cfg.count);
    return { first, n: last - first };
}

// A state arrived at receiver r from sender s: seq and intended send time
// (a state room's member has none before its first state).
function onState(r, s, seq, sendUs) {
    if (s === undefined || s === r || !(sendUs > 0))
        return;
    const now = nowUs();
    const pair = members[r].last;
    const k = s - roomOf(r).first;
    const prev = pair[k];
    if (prev >= 0 && seq <= prev) {
        if (seq === prev)
            count.duplicates++;
        else
            count.reordered++;
        return;
    }
    pair[k] = seq;
    // the states skipped since the last one: superseded within a patch
    if (cfg.kind === 'state' && prev >= 0) {
        for (let q = prev + 1; q < seq; q++) {
            const at = members[s].intended(q);
            if (at >= winStart && at < winEnd)
                count.conflated++;
        }
    }
    if (sendUs < winStart || sendUs >= winEnd)
        return;
    if (now > drainEnd) {
        count.afterDrain++;
        return;
    }
    count.delivered++;
    histogramAdd(hist, now - sendUs);
}

function stateBytes(i, seq, at) {
    const b = new Uint8Array(STATE_BYTES);
    const v = new DataView(b.buffer);
    v.setUint8(0, 1);
    v.setUint8(1, 1);
    v.setUint32(8, seq);
    v.setBigUint64(12, BigInt(at));
    v.setFloat32(20, (i * 7 + seq) % 100);
    v.setFloat32(24, (i * 13 + seq * 3) % 100);
    v.setFloat32(28, 10);
    v.setFloat32(32, 30);
    v.setFloat32(36, 0.5);
    return b;
}

function watch(i, room) {
    room.onLeave((code) => {
        if (!left)
            left = `client ${cfg.first + i} left its room (WebSocket close code ${code})`;
    });
    room.onError((code, message) => {
        if (!left)
            left = `client ${cfg.first + i}: error ${code} ${message}`;
    });
    if (cfg.kind === 'relay') {
        room.onMessage(0, (msg) => {
            const bytes = msg[1];
            const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            onState(i, sidIndex.get(msg[0]), v.getUint32(8), Number(v.getBigUint64(12)));
        });
        return;
    }
    const $ = getStateCallbacks(room);
    $(room.state).players.onAdd((player, sid) => {
        $(player).onChange(() => onState(i, sidIndex.get(sid), player.seq, player.send_us));
    });
}

async function joinRoom(client, first, n) {
    const opts = { maxClients: cfg.roomSize };
    const rooms = [await client.create(cfg.kind, opts)];
    const rest = [];
    for (let k = 1; k < n; k++)
        rest.push(client.joinById(rooms[0].roomId, opts));
    rooms.push(...await Promise.all(rest));
    for (let k = 0; k < n; k++) {
        const i = first + k;
        members[i].room = rooms[k];
        sidIndex.set(rooms[k].sessionId, i);
    }
}

// Every client joined, and (state rooms) every member known to every other.
async function setup() {
    const client = new Client(cfg.url);
    period = 1e6 / cfg.rateHz;
    for (let i = 0; i < cfg.count; i++) {
        const phase = period * (cfg.first + i) / cfg.total;
        members.push({ room: null, phase, last: new Float64Array(cfg.roomSize).fill(-1),
                       intended: (q) => Math.round(t0 + phase + q * period) });
    }
    const starts = [];
    for (let i = 0; i < cfg.count; i += roomOf(i).n)
        starts.push(i);
    for (let j = 0; j < starts.length; j += ROOMS_JOINING)
        await Promise.all(starts.slice(j, j + ROOMS_JOINING)
            .map((i) => joinRoom(client, i, roomOf(i).n)));
    members.forEach((m, i) => watch(i, m.room));
    if (cfg.kind === 'state') {
        for (;;) {
            if (members.every((m, i) => m.room.state.players?.size === roomOf(i).n))
                break;
            if (left)
                throw new Error(left);
            await new Promise((r) => setTimeout(r, 20));
        }
    }
}

// Sends every state due by now, in intended-time order (client by client
// within a period), then waits for the next one.
let cursor = 0, round = 0;
function pump() {
    const now = nowUs();
    for (let sent = 0; ; sent++) {
        const m = members[cursor];
        const at = m.intended(round);
        if (at >= winEnd)
            return;
        if (at > now) {
            setTimeout(pump, Math.floor((at - now) / 1000));
            return;
        }
        if (sent >= 256 && nowUs() - now > 2000) {
            setImmediate(pump); // let what arrived be read
            return;
        }
        m.room.sendBytes(0, stateBytes(cursor, round, at));
        if (at >= winStart) {
            histogramAdd(late, nowUs() - at);
            count.sentWindow++;
            count.expected += roomOf(cursor).n - 1;
        }
        if (++cursor === members.length) {
            cursor = 0;
            round++;
        }
    }
}

// States intended inside the window that were never sent: a generator that
// fell that far behind measured itself, not the server.
function unsent() {
    let due = 0;
    for (const m of members)
        for (let q = 0; m.intended(q) < winEnd; q++)
            due += m.intended(q) >= winStart;
    return due - count.sentWindow;
}

function finish() {
    count.unsent = unsent();
    const c = process.cpuUsage(cpu0);
    const s = (nowUs() - winStart) / 1e6;
    send({ type: 'done', end_us: nowUs(), count, left,
           cpu_pct: 100 * (c.user + c.system) / 1e6 / s,
           latency: histogramPack(hist), send_late: histogramPack(late) });
}

// After the last send: done once everything expected arrived (or was
// superseded), or the grace is over.
function waitDrain() {
    const now = nowUs();
    if (now >= drainEnd || left ||
        (now >= winEnd && count.delivered + count.conflated >= count.expected)) {
        finish();
        return;
    }
    setTimeout(waitDrain, 10);
}

process.on('message', (m) => {
    if (m.type === 'setup') {
        cfg = m;
        setup().then(() => send({ type: 'ready' }), (e) => failRun(`setup: ${e.message || e}`));
    } else if (m.type === 'start') {
        ({ t0, winStart, winEnd, drainEnd } = m);
        setTimeout(() => { cpu0 = process.cpuUsage(); }, Math.max(0, (winStart - nowUs()) / 1000));
        setTimeout(pump, Math.max(0, (t0 - nowUs()) / 1000));
        setTimeout(waitDrain, Math.max(0, (winEnd - nowUs()) / 1000));
    } else if (m.type === 'stop') {
        process.exit(0);
    }
});
process.on('disconnect', () => process.exit(0));
