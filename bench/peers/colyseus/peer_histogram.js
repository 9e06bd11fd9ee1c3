// peer_histogram.js: latencies in microseconds, log-linear like ricochet-bench's
// (stats/histogram.h): exact below 2048 us, then 1024 buckets per power of
// two (0.1 %), so generator processes' histograms add up bucket by bucket.
'use strict';

const EXACT = 2048;
const SUB = 1024;
const MAX_POW = 31; // 2^31 us: 35 minutes
const SIZE = EXACT + (MAX_POW - 10) * SUB;

function histogramNew() {
    return { counts: new Float64Array(SIZE), n: 0, sum: 0 };
}

function bucketOf(us) {
    let v = Math.max(0, Math.round(us));
    if (v < EXACT)
        return v;
    const e = Math.min(Math.floor(Math.log2(v)) - 10, MAX_POW - 10);
    const sub = Math.min(Math.floor(v / 2 ** e), 2 * SUB - 1);
    return EXACT + (e - 1) * SUB + (sub - SUB);
}

// The middle of bucket b, in microseconds.
function valueOf(b) {
    if (b < EXACT)
        return b;
    const e = Math.floor((b - EXACT) / SUB) + 1;
    const sub = (b - EXACT) % SUB + SUB;
    return sub * 2 ** e + 2 ** (e - 1);
}

function histogramAdd(h, us) {
    h.counts[bucketOf(us)]++;
    h.n++;
    h.sum += us;
}

// p in 0..100; 0 if empty.
function histogramPercentile(h, p) {
    if (!h.n)
        return 0;
    const rank = Math.max(1, Math.ceil(h.n * p / 100));
    let seen = 0;
    for (let b = 0; b < SIZE; b++) {
        seen += h.counts[b];
        if (seen >= rank)
            return valueOf(b);
    }
    return valueOf(SIZE - 1);
}

// For a message between processes: the buckets that hold something.
function histogramPack(h) {
    const b = [];
    for (let i = 0; i < SIZE; i++)
        if (h.counts[i])
            b.push([i, h.counts[i]]);
    return { b, n: h.n, sum: h.sum };
}

function histogramMerge(h, packed) {
    for (const [i, c] of packed.b)
        h.counts[i] += c;
    h.n += packed.n;
    h.sum += packed.sum;
}

module.exports = { histogramNew, histogramAdd, histogramPercentile, histogramPack, histogramMerge };
