/* ricochet_figures.js: what a session measures, as the C library does:
 * each sender's receive statistics (RecvStats, stats/recvstats.c), the
 * clock's offset to the relay and the one-way latency it corrects
 * (ClockSync, clockLatency: proto/clocksync.c), and the distributions of
 * latencies and round trips a session reports (TimeDistribution). Pure:
 * times are given, never read.
 */

const WINDOW = 1024; /* sequence numbers remembered for duplicates */
const RECENT = 512;  /* latencies kept for percentiles */

export class RecvStats {
  constructor() {
    this.reset();
  }

  reset() {
    this.started = false;
    this.firstSeq = 0;
    this.highestSeq = 0;
    this.span = 0;          /* sequence numbers from the first to the highest */
    this.received = 0;      /* unique states */
    this.duplicates = 0;
    this.reordered = 0;     /* arrived after a higher sequence number */
    this.outOfWindow = 0;
    this.tooOld = 0;        /* sequenced: dropped, a later one came first */
    this.noLatency = 0;     /* received before both clock offsets were known */
    this.jitterUs = 0;      /* RFC 3550 J, over the states with a latency */
    this.lastTransitUs = 0;
    this.latencySumUs = 0;
    this.latencyMaxUs = 0;
    this.window = new Uint8Array(WINDOW);
    this.recent = [];       /* the last RECENT latencies, µs */
  }

  _seq(seq) {
    seq >>>= 0;
    if (!this.started) {
      this.started = true;
      this.firstSeq = this.highestSeq = seq;
      this.span = 1;
      this.window.fill(0);
      this.window[seq % WINDOW] = 1;
      this.received = 1;
      return true;
    }
    const ahead = (seq - this.highestSeq) | 0;
    if (ahead > 0) {
      if (ahead >= WINDOW) {
        this.window.fill(0);
      } else {
        for (let q = (this.highestSeq + 1) >>> 0; q !== seq; q = (q + 1) >>> 0)
          this.window[q % WINDOW] = 0;
      }
      this.highestSeq = seq;
      this.span += ahead;
    } else {
      const behind = -ahead;
      if (behind >= WINDOW) {
        this.outOfWindow++;
        return false;
      }
      if (this.window[seq % WINDOW]) {
        this.duplicates++;
        return false;
      }
      if (((this.firstSeq - seq) | 0) > 0) { /* from before the first one seen */
        this.span += (this.firstSeq - seq) >>> 0;
        this.firstSeq = seq;
      }
      this.reordered++;
    }
    this.window[seq % WINDOW] = 1;
    this.received++;
    return true;
  }

  /* One state whose one-way latency is latencyUs (a number), or untimed
   * (null: not known). Returns true for a new state. */
  record(seq, latencyUs) {
    if (!this._seq(seq)) return false;
    if (latencyUs === null || latencyUs === undefined) {
      this.noLatency++;
      return true;
    }
    const timed = this.received - this.noLatency;
    if (timed > 1) /* J += (|D| - J) / 16 */
      this.jitterUs += (Math.abs(latencyUs - this.lastTransitUs) - this.jitterUs) / 16;
    this.lastTransitUs = latencyUs;
    const lat = Math.max(0, latencyUs);
    this.latencySumUs += lat;
    this.latencyMaxUs = Math.max(this.latencyMaxUs, lat);
    if (this.recent.length === RECENT) this.recent.shift();
    this.recent.push(lat);
    return true;
  }

  get expected() { return this.span; }
  get lost() { return Math.max(0, this.span - this.received); }
  get lossPct() { return this.span ? 100 * this.lost / this.span : 0; }
  get latencyMeanUs() {
    const timed = this.received - this.noLatency;
    return timed ? this.latencySumUs / timed : 0;
  }

  /* The p-th percentile (0..100) of the recent latencies, µs; 0 if none. */
  percentileUs(p) {
    return percentile(this.recent, p);
  }
}

/* The p-th percentile (0..100) of the numbers in a, by sorting a copy. */
export function percentile(a, p) {
  if (!a.length) return 0;
  const s = a.slice().sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))];
}

/* ---- clock offset (proto/clocksync.c) ---- */

const CLOCK_MAX_AGE_US = 60e6;

export class ClockSync {
  constructor() {
    this.valid = false;
    this.offsetUs = 0; /* relay clock - mine */
    this.boundUs = 0;  /* |error of offsetUs| <= this: half the round trip */
    this.atUs = 0;
  }

  /* One ping/pong. Returns 1 if the estimate changed, 0 if kept, -1 for an
   * impossible sample. */
  sample(sentUs, relayUs, recvUs) {
    if (recvUs < sentUs || relayUs === 0) return -1;
    const rtt = recvUs - sentUs;
    const stale = this.valid && recvUs - this.atUs > CLOCK_MAX_AGE_US;
    if (this.valid && !stale && Math.floor(rtt / 2) >= this.boundUs) return 0;
    this.valid = true;
    this.offsetUs = relayUs - (sentUs + Math.floor(rtt / 2));
    this.boundUs = Math.floor((rtt + 1) / 2);
    this.atUs = recvUs;
    return 1;
  }

  /* Set from a member's announcement. */
  set(offsetUs, boundUs, atUs) {
    this.valid = true;
    this.offsetUs = offsetUs;
    this.boundUs = boundUs;
    this.atUs = atUs;
  }
}

/* One-way latency of a state sent at sendUs (the sender's clock) and
 * received at recvUs (mine): {known, latencyUs, boundUs}. Corrected when
 * the offsets differ by more than their bounds; else the clocks are taken
 * as one. Not known (the raw difference, bound 0) while either is unknown. */
export function clockLatency(mine, sender, sendUs, recvUs) {
  const raw = recvUs - sendUs;
  if (!mine.valid || !sender.valid) return { known: false, latencyUs: raw, boundUs: 0 };
  const diff = sender.offsetUs - mine.offsetUs; /* my clock - the sender's */
  const bounds = mine.boundUs + sender.boundUs;
  if (Math.abs(diff) > bounds) return { known: true, latencyUs: raw - diff, boundUs: bounds };
  return { known: true, latencyUs: raw, boundUs: Math.abs(diff) + bounds };
}

const LATENCIES_KEPT = 4096; /* the session's recent latencies and round trips, for percentiles */

/* A distribution of times (µs): the count, the largest, the mean, and
 * percentiles of the last LATENCIES_KEPT (the C library's
 * ricochet_distribution, from a histogram there). */
class TimeDistribution {
  constructor() {
    this.count = 0;
    this.maxUs = 0;
    this.sumUs = 0;
    this.recent = [];
  }

  record(us) {
    us = Math.max(0, us);
    this.count++;
    this.maxUs = Math.max(this.maxUs, us);
    this.sumUs += us;
    if (this.recent.length === LATENCIES_KEPT) this.recent.shift();
    this.recent.push(us);
  }

  view() {
    const s = this.recent.slice().sort((x, y) => x - y);
    const p = (q) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q / 100 * s.length) - 1))] : 0);
    return { count: this.count, p50Us: p(50), p90Us: p(90), p99Us: p(99), maxUs: this.maxUs,
             meanUs: this.count ? this.sumUs / this.count : 0 };
  }
}

export { /* to the other modules, not the API */
  TimeDistribution,
};
