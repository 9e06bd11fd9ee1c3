// colyseus_server.js: the Colyseus server colyseus_bench.js measures (0.16,
// or 0.18 from $COLYSEUS_DIR: peer_modules.js),
// on its WebSocket transport, in one process (as ricochet-relay is one).
// Two room types:
//   relay  Colyseus's own RelayRoom: each message a member sends goes at
//          once to every other member, with the sender's session id
//          (what ricochet-relay does with a state)
//   state  a room whose schema state holds each member's newest state;
//          Colyseus sends every member the changes each patch (--patch-ms,
//          Colyseus's default 50 ms): states superseded within one patch
//          are never sent (conflated)
// Prints "listening HOST:PORT" once it accepts connections.
'use strict';

const { DIR, serverModules } = require('./peer_modules');

const HELP = `usage: node colyseus_server.js [--host ADDR] [--port PORT] [--patch-ms MS]
  --host ADDR    address to listen on (default 127.0.0.1)
  --port PORT    TCP port, 0 for any free one (default 0)
  --patch-ms MS  state rooms' patch interval (default 50, Colyseus's own)`;

function fail(msg) {
    process.stderr.write(`colyseus_server.js: error: ${msg}\n`);
    process.exit(2);
}

function parse(argv) {
    const o = { host: '127.0.0.1', port: 0, patchMs: 50 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--help' || a === '-h') {
            process.stdout.write(HELP + '\n');
            process.exit(0);
        }
        const v = argv[i + 1];
        if (v === undefined)
            fail(`${a} needs a value (--help lists the options)`);
        i++;
        if (a === '--host')
            o.host = v;
        else if (a === '--port' && /^\d+$/.test(v) && +v <= 65535)
            o.port = +v;
        else if (a === '--patch-ms' && /^\d+$/.test(v) && +v >= 1 && +v <= 1000)
            o.patchMs = +v;
        else
            fail(`bad option ${a} ${v} (--help lists the options)`);
    }
    return o;
}

const opts = parse(process.argv.slice(2));

let colyseus, WebSocketTransport, schema;
try {
    const m = serverModules();
    colyseus = m.core;
    ({ WebSocketTransport } = m.ws);
    schema = m.schema;
} catch (e) {
    fail(`cannot load Colyseus (${e.code || e.message}): run npm ci in ${DIR}`);
}
const { Room, RelayRoom, Server } = colyseus;
const { Schema, MapSchema, defineTypes } = schema;

// A member's newest state: the fields of ricochet's 40-byte state that
// change (proto/PROTOCOL.md, "State message"); the sender is the map key.
class Player extends Schema {}
defineTypes(Player, {
    seq: 'uint32', send_us: 'float64',
    x: 'float32', y: 'float32', vx: 'float32', vy: 'float32', heading: 'float32',
});

class World extends Schema {
    constructor() {
        super();
        this.players = new MapSchema();
    }
}
defineTypes(World, { players: { map: Player } });

// The schema-state room: a 40-byte state in, its fields into the member's
// Player; Colyseus patches every member at the patch rate.
class StateRoom extends Room {
    onCreate(options) {
        this.maxClients = options.maxClients || 8;
        this.setState(new World());
        this.setPatchRate(opts.patchMs);
        const onState = (client, bytes) => {
            const p = this.state.players.get(client.sessionId);
            if (!p || !(bytes instanceof Uint8Array) || bytes.byteLength < 40)
                return; // the bench sends only whole states
            const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            p.seq = v.getUint32(8);
            p.send_us = Number(v.getBigUint64(12));
            p.x = v.getFloat32(20);
            p.y = v.getFloat32(24);
            p.vx = v.getFloat32(28);
            p.vy = v.getFloat32(32);
            p.heading = v.getFloat32(36);
        };
        // 0.18 hands a client's sendBytes to onMessageBytes' handlers only
        if (typeof this.onMessageBytes === 'function')
            this.onMessageBytes(0, onState);
        else
            this.onMessage(0, onState);
    }

    onJoin(client) {
        this.state.players.set(client.sessionId, new Player());
    }

    onLeave(client) {
        this.state.players.delete(client.sessionId);
    }
}

async function main() {
    const server = new Server({
        transport: new WebSocketTransport(),
        greet: false,
        gracefullyShutdown: false,
    });
    server.define('relay', RelayRoom);
    server.define('state', StateRoom);
    await server.listen(opts.port, opts.host);
    const a = server.transport.server.address();
    process.stdout.write(`listening ${a.address}:${a.port}\n`);
    const stop = () => process.exit(0);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

main().catch((e) => fail(e.message));
