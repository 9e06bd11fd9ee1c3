// colyseus_bench.js: ricochet-bench's rooms-of-K workload against a Colyseus
// 0.16 server (colyseus_server.js, WebSocket transport) with colyseus.js
// clients, or with --colyseus ../colyseus-0.18 Colyseus 0.18 and its
// @colyseus/sdk (peer_modules.js): the same schedule, window, grace and figures, so bench/peers.sh
// can put the two side by side. Starts the server, forks --procs generator
// processes (colyseus_swarm.js, whole rooms each), starts them at one time,
// and reads the server's CPU from /proc/PID/stat from the window's start
// until every state counted has arrived or the grace is over: CPU per
// delivered state.
// Writes one record in ricochet-bench's JSON shape (--json-file); the
// server's figures carry the relay_ names ricochet-bench gives its relay's.
'use strict';

const { spawn, fork, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { histogramNew, histogramPercentile, histogramMerge } = require('./peer_histogram');

const HELP = `usage: node colyseus_bench.js [options]
Colyseus (0.16, or the one --colyseus names) under ricochet-bench's workload:
rooms of K clients, each sending a 40-byte state at a constant intended rate
to the others.
  --room relay|state   relay: Colyseus's RelayRoom (every state forwarded);
                       state: schema state patched every --patch-ms (default relay)
  --clients N          clients (default 1000)
  --room-size K        clients a room (default 8)
  --rate HZ            states a second per client (default 10)
  --procs P            generator processes, whole rooms each (default 1)
  --patch-ms MS        state rooms' patch interval (default 50)
  --duration S         measurement window, seconds (default 3)
  --warmup S           sending before the window, seconds (default 2)
  --grace S            draining after it, seconds (default 1)
  --setup-timeout S    joins must be done within (default 90)
  --colyseus DIR       the folder whose packages to run (default this one,
                       0.16; ../colyseus-0.18: 0.18), npm ci'd
  --json-file FILE     the run's record, as JSON
  --quiet              no summary line on stdout`;

const PROG = 'colyseus_bench.js';
// Options for every node process it starts (PEER_NODE_ARGS='--cpu-prof'
// profiles the server and the generators).
const NODE_ARGS = (process.env.PEER_NODE_ARGS || '').split(' ').filter(Boolean);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function fail(msg) {
    process.stderr.write(`${PROG}: error: ${msg}\n`);
    process.exit(1);
}

// One row per option: name, key, kind, default, min, max.
const OPTIONS = [
    ['room', 'room', ['relay', 'state'], 'relay'],
    ['clients', 'clients', 'int', 1000, 2, 20000],
    ['room-size', 'roomSize', 'int', 8, 2, 256],
    ['rate', 'rateHz', 'num', 10, 0.1, 1000],
    ['procs', 'procs', 'int', 1, 1, 16],
    ['patch-ms', 'patchMs', 'int', 50, 1, 1000],
    ['duration', 'duration', 'num', 3, 0.1, 3600],
    ['warmup', 'warmup', 'num', 2, 0, 3600],
    ['grace', 'grace', 'num', 1, 0, 3600],
    ['setup-timeout', 'setupTimeout', 'num', 90, 1, 3600],
    ['colyseus', 'colyseusDir', 'str', null],
    ['json-file', 'jsonFile', 'str', null],
    ['quiet', 'quiet', 'bool', false],
];

function parse(argv) {
    const o = {};
    for (const [, key, , def] of OPTIONS)
        o[key] = def;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--help' || argv[i] === '-h') {
            process.stdout.write(HELP + '\n');
            process.exit(0);
        }
        const row = OPTIONS.find((r) => `--${r[0]}` === argv[i]);
        if (!row)
            fail(`unknown option ${argv[i]} (--help lists them)`);
        const [name, key, kind, , min, max] = row;
        if (kind === 'bool') {
            o[key] = true;
            continue;
        }
        const v = argv[++i];
        if (v === undefined)
            fail(`--${name} needs a value`);
        if (Array.isArray(kind)) {
            if (!kind.includes(v))
                fail(`--${name} is one of ${kind.join(', ')}, not ${v}`);
            o[key] = v;
        } else if (kind === 'str') {
            o[key] = v;
        } else {
            const x = Number(v);
            if (!/^[0-9.]+$/.test(v) || !Number.isFinite(x) || x < min || x > max ||
                (kind === 'int' && !Number.isInteger(x)))
                fail(`--${name} ${v}: give ${kind === 'int' ? 'an integer' : 'a number'} ` +
                     `from ${min} to ${max}`);
            o[key] = x;
        }
    }
    const rooms = Math.ceil(o.clients / o.roomSize);
    if (o.procs > rooms)
        fail(`--procs ${o.procs} needs at least as many rooms (${rooms})`);
    return o;
}

// The versions a run is measured with, from the installed packages of
// --colyseus's folder (the server and generators load from it too).
function versions(o) {
    if (o.colyseusDir) {
        if (!fs.existsSync(path.join(o.colyseusDir, 'package.json')))
            fail(`--colyseus ${o.colyseusDir}: no package.json there`);
        process.env.COLYSEUS_DIR = path.resolve(o.colyseusDir);
    }
    const pm = require('./peer_modules');
    const v = pm.versions();
    if (!v)
        fail(`Colyseus is not installed: run npm ci in ${pm.DIR} (make bench-peers does)`);
    return v;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;

// CPU seconds and peak RSS (kB) of process pid, as lab/harness/spawn.c reads them.
function usage(pid) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu_s: (Number(f[11]) + Number(f[12])) / CLK_TCK, hwm_kb: hwm ? Number(hwm[1]) : 0 };
}

// Starts colyseus_server.js; resolves with the child and its ws:// URL.
function startServer(o) {
    const args = [...NODE_ARGS, path.join(__dirname, 'colyseus_server.js'), '--port', '0',
                  '--patch-ms', String(o.patchMs)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('the server did not start within 20 s')),
                                 20000);
        child.on('exit', (code) => reject(new Error(`the server exited (status ${code})`)));
        child.stdout.on('data', (d) => {
            out += d;
            const m = /listening (\S+):(\d+)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ child, url: `ws://${m[1]}:${m[2]}` });
            }
        });
    });
}

// Forks the generators, whole rooms each, and sends each its setup.
function startGenerators(o, url) {
    const rooms = Math.ceil(o.clients / o.roomSize);
    const gens = [];
    let room = 0;
    for (let p = 0; p < o.procs; p++) {
        const take = Math.floor(rooms * (p + 1) / o.procs) - room;
        const first = room * o.roomSize;
        const count = Math.min((room + take) * o.roomSize, o.clients) - first;
        room += take;
        const child = fork(path.join(__dirname, 'colyseus_swarm.js'), [],
                           { stdio: 'inherit', execArgv: NODE_ARGS });
        child.send({ type: 'setup', url, kind: o.room, first, count, total: o.clients,
                     roomSize: o.roomSize, rateHz: o.rateHz });
        gens.push(child);
    }
    return gens;
}

// Resolves with each generator's next message of type want, in order.
function collect(gens, want, timeoutMs) {
    return Promise.all(gens.map((g, p) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(
            `generator ${p}: no ${want} within ${timeoutMs / 1000} s`)), timeoutMs);
        g.on('message', (m) => {
            if (m.type === 'error' || m.type === want) {
                clearTimeout(timer);
                if (m.type === 'error')
                    reject(new Error(`generator ${p}: ${m.message}`));
                else
                    resolve(m);
            }
        });
        g.on('exit', (code) => reject(new Error(`generator ${p} exited (status ${code})`)));
    })));
}

// Percentile p of h, in ms (to the µs).
const pct_ms = (h, p) => Math.round(histogramPercentile(h, p)) / 1000;

function summarize(o, done, cpu, wall_s, hwm_kb) {
    const hist = histogramNew(), late = histogramNew();
    const c = { sentWindow: 0, unsent: 0, expected: 0, delivered: 0, conflated: 0,
                duplicates: 0, reordered: 0, afterDrain: 0 };
    for (const d of done) {
        histogramMerge(hist, d.latency);
        histogramMerge(late, d.send_late);
        for (const k of Object.keys(c))
            c[k] += d.count[k];
    }
    // a state superseded within a patch was conflated, not lost
    const lost = Math.max(0, c.expected - c.delivered - c.conflated);
    const pct = (x) => c.expected ? 100 * x / c.expected : 0;
    const cpus = done.map((d) => d.cpu_pct);
    return {
        peer: 'colyseus', room: o.room, mode: `colyseus-${o.room}`, ok: true,
        clients: o.clients, room_size: o.roomSize, rate_hz: o.rateHz, payload: 40,
        patch_ms: o.room === 'state' ? o.patchMs : undefined,
        sent: c.sentWindow, unsent: c.unsent, expected: c.expected, delivered: c.delivered,
        conflated: c.conflated, duplicates: c.duplicates, reordered: c.reordered,
        arrived_after_grace: c.afterDrain,
        lost_pct: pct(lost), delivery_pct: pct(c.delivered), conflated_pct: pct(c.conflated),
        latency_ms: { p50: pct_ms(hist, 50), p90: pct_ms(hist, 90), p99: pct_ms(hist, 99),
                      p999: pct_ms(hist, 99.9), max: pct_ms(hist, 100),
                      mean: hist.n ? hist.sum / hist.n / 1000 : 0 },
        send_late_ms: { p50: pct_ms(late, 50), p99: pct_ms(late, 99) },
        relay_cpu_s: cpu, relay_cpu_pct: 100 * cpu / wall_s,
        relay_us_per_delivery: c.delivered ? cpu * 1e6 / c.delivered : 0,
        relay_peak_rss_kb: hwm_kb,
        bench_cpu_pct: Math.max(...cpus), procs: o.procs, proc_cpu_pct: cpus,
        rooms: Math.ceil(o.clients / o.roomSize),
    };
}

async function run(o) {
    const { child: server, url } = await startServer(o);
    let gens = [];
    const cleanup = () => {
        for (const g of gens)
            g.kill('SIGKILL');
        server.kill('SIGTERM');
    };
    process.on('exit', cleanup);
    process.on('SIGINT', () => process.exit(130));
    process.on('SIGTERM', () => process.exit(143));
    gens = startGenerators(o, url);
    await collect(gens, 'ready', o.setupTimeout * 1000);
    const t0 = nowUs() + 200000; // every generator starts on one schedule
    const winStart = t0 + o.warmup * 1e6, winEnd = winStart + o.duration * 1e6;
    const drainEnd = winEnd + o.grace * 1e6;
    const done = collect(gens, 'done', (drainEnd - nowUs()) / 1000 + 30000);
    for (const g of gens)
        g.send({ type: 'start', t0, winStart, winEnd, drainEnd });
    const u0 = await new Promise((resolve) => setTimeout(
        () => resolve({ ...usage(server.pid), wall_us: nowUs() }), (winStart - nowUs()) / 1000));
    const results = await done;
    const u1 = usage(server.pid), wall_s = (nowUs() - u0.wall_us) / 1e6;
    for (const d of results)
        if (d.left)
            throw new Error(d.left);
    const r = summarize(o, results, u1.cpu_s - u0.cpu_s, wall_s, u1.hwm_kb);
    r.window_s = o.duration;
    // they exit by themselves (a profile is written then); the rest are killed
    await Promise.all(gens.map((g) => new Promise((resolve) => {
        g.on('exit', resolve);
        g.send({ type: 'stop' });
        setTimeout(resolve, 5000);
    })));
    return r;
}

async function main() {
    const o = parse(process.argv.slice(2));
    const ver = versions(o);
    const r = await run(o);
    const rec = { type: 'bench', peer: 'colyseus', version: ver,
                  command: ['node', path.relative(process.cwd(), __filename) || PROG,
                            ...process.argv.slice(2)].join(' '),
                  date: new Date().toISOString().replace(/T(\d\d:\d\d).*/, ' $1 UTC'),
                  results: [r] };
    if (o.jsonFile)
        fs.writeFileSync(o.jsonFile, JSON.stringify(rec, null, 2) + '\n');
    if (!o.quiet)
        process.stdout.write(`colyseus ${o.room}: ${o.clients} clients in rooms of ${o.roomSize} ` +
            `at ${o.rateHz} Hz: delivered ${r.delivery_pct.toFixed(2)}%` +
            (o.room === 'state' ? ` (conflated ${r.conflated_pct.toFixed(2)}%)` : '') +
            `, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms; server ` +
            `${r.relay_cpu_pct.toFixed(1)}% of a core, ${r.relay_us_per_delivery.toFixed(3)} us ` +
            `a delivery; generator ${r.bench_cpu_pct.toFixed(0)}% of a core, sends ` +
            `${r.send_late_ms.p99} ms late at p99` +
            (r.unsent ? `, ${r.unsent} states of the window never sent` : '') + '\n');
    process.exit(0);
}

main().catch((e) => fail(e.message || String(e)));
