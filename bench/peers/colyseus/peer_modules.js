// peer_modules.js: where the Colyseus scripts load Colyseus from. The
// packages of this folder (Colyseus 0.16, package-lock.json), or those of
// the folder $COLYSEUS_DIR names (../colyseus-0.18: Colyseus 0.18 and its
// client, @colyseus/sdk), which colyseus_bench.js --colyseus DIR sets for
// the server and the generators it starts. The scripts are the same for
// both: what they use of Colyseus has one shape in 0.16 and 0.18.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const DIR = path.resolve(process.env.COLYSEUS_DIR || __dirname);
const req = createRequire(path.join(DIR, 'package.json'));

// The first of names that loads; throws the last one's error.
function first(names) {
    let err;
    for (const n of names) {
        try {
            return req(n);
        } catch (e) {
            err = e;
        }
    }
    throw err;
}

// The server's modules: Room, RelayRoom and Server (colyseus, 0.18's
// @colyseus/core), its WebSocket transport and @colyseus/schema.
function serverModules() {
    const core = first(['colyseus', '@colyseus/core']);
    return { core, ws: req('@colyseus/ws-transport'), schema: req('@colyseus/schema') };
}

// The client's: Client and getStateCallbacks (colyseus.js, 0.18's @colyseus/sdk).
function clientModule() {
    return first(['colyseus.js', '@colyseus/sdk']);
}

// The installed versions: node's, the server's as "colyseus", and every
// package of the folder's; null (with why) when the server is missing.
function versions() {
    const v = { node: process.versions.node };
    for (const p of ['colyseus', '@colyseus/core', '@colyseus/ws-transport', '@colyseus/schema',
                     'colyseus.js', '@colyseus/sdk']) {
        try {
            v[p] = JSON.parse(fs.readFileSync(path.join(DIR, 'node_modules', p, 'package.json'),
                                              'utf8')).version;
        } catch (e) {
            // not every package is in both folders
        }
    }
    v.colyseus = v.colyseus || v['@colyseus/core'];
    const ok = v.colyseus && v['@colyseus/ws-transport'] && v['@colyseus/schema'] &&
               (v['colyseus.js'] || v['@colyseus/sdk']);
    return ok ? v : null;
}

module.exports = { DIR, serverModules, clientModule, versions };
