/* ricochet_interp.js: InterpBuffer, snapshot interpolation of one remote
 * member without a shared clock (client/lib/interp.c's ricochet_interp_*, as
 * ricochet-client draws): where to draw a member a little in the past,
 * between two of its states or along its velocity past the newest. Pure
 * and apart from the session: a game keeps one per member it draws.
 */

import { seqAfter } from "./ricochet_wire.js";

const INTERP_CAP = 32;              /* samples kept (1.6 s at 20 Hz) */
const INTERP_RESET_US = 60e6;       /* a sample this far from the newest restarts */

export class InterpBuffer {
  /* extrapLimitUs: how far past the newest sample to extrapolate;
   * maxGapUs: do not interpolate across a wider hole. */
  constructor(extrapLimitUs = 250000, maxGapUs = 1000000) {
    this.extrapLimitUs = extrapLimitUs;
    this.maxGapUs = maxGapUs;
    this.s = [];          /* ordered by seq, oldest first */
    this.offsetUs = null; /* local = send + offset */
    this.raw = null;      /* the last sample to arrive, whatever its seq */
    this.arrivals = 0;
    this.dropped = 0;
    this.resets = 0;
  }

  clear() {
    this.s = [];
    this.offsetUs = null;
    this.raw = null;
  }

  /* A state {seq, send_us, x, y, vx, vy} received at recvUs (my clock).
   * Returns true if stored. */
  push(st, recvUs) {
    const smp = { seq: st.seq >>> 0, send: st.send_us, recv: recvUs, x: st.x, y: st.y,
                  vx: st.vx, vy: st.vy };
    this.arrivals++;
    this.raw = smp;
    if (this.s.length && Math.abs(smp.send - this.s[this.s.length - 1].send) > INTERP_RESET_US) {
      this.s = [];
      this.offsetUs = null;
      this.resets++;
    }
    /* The smallest recv - send is the fastest trip plus the clock difference:
     * samples mapped with it land where a jitter-free network put them. */
    const cand = recvUs - smp.send;
    if (this.offsetUs === null || cand < this.offsetUs) this.offsetUs = cand;
    let pos = this.s.length;
    while (pos > 0 && seqAfter(this.s[pos - 1].seq, smp.seq)) pos--;
    if (pos > 0 && this.s[pos - 1].seq === smp.seq) {
      this.dropped++;
      return false;
    }
    if (this.s.length === INTERP_CAP) {
      if (pos === 0) {
        this.dropped++;
        return false;
      }
      this.s.shift();
      pos--;
    }
    this.s.splice(pos, 0, smp);
    return true;
  }

  localTime(i) {
    return this.s[i].send + this.offsetUs;
  }

  _extrapolate(a, dt) {
    let kind = "extrapolated";
    if (dt > this.extrapLimitUs) {
      dt = this.extrapLimitUs;
      kind = "stale";
    }
    return { kind, x: a.x + a.vx * dt / 1e6, y: a.y + a.vy * dt / 1e6, seqA: a.seq, seqB: a.seq };
  }

  /* Where the member is at renderUs on my clock (normally now - delay):
   * {kind: "none" | "before" | "between" | "extrapolated" | "stale", x, y}. */
  sampleAt(renderUs) {
    const n = this.s.length;
    if (!n) return { kind: "none" };
    const at = (a, kind) => ({ kind, x: a.x, y: a.y, seqA: a.seq, seqB: a.seq });
    const t0 = this.localTime(0);
    if (renderUs <= t0) return at(this.s[0], renderUs === t0 ? "between" : "before");
    let i = n - 1;
    while (i > 0 && this.localTime(i) > renderUs) i--;
    const a = this.s[i], into = renderUs - this.localTime(i);
    if (i === n - 1) return into === 0 ? at(a, "between") : this._extrapolate(a, into);
    const c = this.s[i + 1], gap = this.localTime(i + 1) - this.localTime(i);
    if (gap <= 0) return at(c, "between");
    if (gap > this.maxGapUs) return this._extrapolate(a, into);
    const f = into / gap;
    return { kind: "between", x: a.x + (c.x - a.x) * f, y: a.y + (c.y - a.y) * f,
             seqA: a.seq, seqB: c.seq };
  }
}
