// Interp.cs: one player's states, to draw it smoothly a little in the past
// (libricochet's interp.c in managed code: the same answers, no native
// library): Interp.
using System;

namespace Ricochet
{
    /// <summary>One player's states, to draw it smoothly a little in the past:
    /// Push every State event of that player, then each frame
    /// At(Clock.NowUs() - delay) says where to draw it; 100 ms of delay (two
    /// states at 20 Hz) hides one lost state, more hides more and shows the
    /// player later. No shared clock and no session needed: it keeps the 32
    /// newest states; times are the caller's (Clock.NowUs, RecvUs). Clear it
    /// when the player leaves or on a Moved event. Nothing allocated per state.</summary>
    public sealed class Interp : IDisposable
    {
        const int Cap = 32;
        const long ResetUs = 60000000; // a jump in send times this far: another run of states
        struct Sample { public uint Seq; public ulong SendUs; public float X, Y, Vx, Vy; }
        readonly Sample[] s = new Sample[Cap];
        int n;
        bool haveOffset, haveRaw, disposed;
        ulong offsetUs;
        State raw;
        readonly ulong extrapUs, maxGapUs;

        /// <summary>extrapolateMs: how far past the newest state it moves the
        /// player on along its velocity (0: never); maxGapMs (1-3600000): a wider
        /// hole between two states is not glided across.</summary>
        public Interp(uint extrapolateMs = 250, uint maxGapMs = 1000)
        {
            if (maxGapMs < 1 || maxGapMs > 3600000)
                throw new ArgumentException("maxGapMs " + maxGapMs + ": 1-3600000 ms", "maxGapMs");
            extrapUs = extrapolateMs * 1000UL;
            maxGapUs = maxGapMs * 1000UL;
        }

        void Live()
        {
            if (disposed)
                throw new ObjectDisposedException("Ricochet.Interp", "the interpolation buffer is freed");
        }

        static long Diff(ulong a, ulong b) { return (long)(a - b); }
        ulong Local(int i) { return s[i].SendUs + offsetUs; }

        /// <summary>Records a state of the player received at recvUs (the
        /// event's RecvUs): true if kept, false if not (a duplicate, or older
        /// than all kept).</summary>
        public bool Push(State st, ulong recvUs)
        {
            Live();
            ulong cand = recvUs - st.SendUs;
            raw = st;
            haveRaw = true;
            if (n > 0) {
                long d = Diff(st.SendUs, s[n - 1].SendUs);
                if (d > ResetUs || d < -ResetUs) {
                    n = 0;
                    haveOffset = false;
                }
            }
            if (!haveOffset || Diff(cand, offsetUs) < 0) {
                offsetUs = cand;
                haveOffset = true;
            }
            int pos = n;
            while (pos > 0 && (int)(s[pos - 1].Seq - st.Seq) > 0)
                pos--;
            if (pos > 0 && s[pos - 1].Seq == st.Seq)
                return false;
            if (n == Cap) {
                if (pos == 0)
                    return false;
                Array.Copy(s, 1, s, 0, Cap - 1);
                n--;
                pos--;
            }
            Array.Copy(s, pos, s, pos + 1, n - pos);
            s[pos] = new Sample { Seq = st.Seq, SendUs = st.SendUs, X = st.X, Y = st.Y, Vx = st.Vx, Vy = st.Vy };
            n++;
            return true;
        }

        InterpPoint Extrapolate(int a, ulong dt)
        {
            var kind = InterpKind.Extrapolated;
            if (dt > extrapUs) {
                dt = extrapUs;
                kind = InterpKind.Stale;
            }
            double secs = dt / 1e6;
            return new InterpPoint { Kind = kind, X = (float)(s[a].X + (double)s[a].Vx * secs),
                                     Y = (float)(s[a].Y + (double)s[a].Vy * secs), SeqA = s[a].Seq, SeqB = s[a].Seq };
        }

        InterpPoint On(int i, InterpKind kind)
        {
            return new InterpPoint { Kind = kind, X = s[i].X, Y = s[i].Y, SeqA = s[i].Seq, SeqB = s[i].Seq };
        }

        /// <summary>Where to draw the player at renderUs of my clock, normally
        /// Clock.NowUs() minus the delay.</summary>
        public InterpPoint At(ulong renderUs)
        {
            Live();
            if (n == 0)
                return new InterpPoint { Kind = InterpKind.None };
            long first = Diff(renderUs, Local(0));
            if (first <= 0)
                return On(0, first == 0 ? InterpKind.Between : InterpKind.Before);
            int i = n - 1;
            while (i > 0 && Diff(Local(i), renderUs) > 0)
                i--;
            long into = Diff(renderUs, Local(i));
            if (i == n - 1)
                return into == 0 ? On(i, InterpKind.Between) : Extrapolate(i, (ulong)into);
            long gap = Diff(Local(i + 1), Local(i));
            if (gap <= 0)
                return On(i + 1, InterpKind.Between);
            if ((ulong)gap > maxGapUs)
                return Extrapolate(i, (ulong)into);
            double f = (double)into / gap;
            return new InterpPoint { Kind = InterpKind.Between, X = (float)(s[i].X + ((double)s[i + 1].X - s[i].X) * f),
                                     Y = (float)(s[i].Y + ((double)s[i + 1].Y - s[i].Y) * f),
                                     SeqA = s[i].Seq, SeqB = s[i + 1].Seq };
        }

        /// <summary>The last state pushed, whatever its Seq (the raw arrivals,
        /// for a view without interpolation); false if none yet.</summary>
        public bool Latest(out State st)
        {
            Live();
            st = raw;
            return haveRaw;
        }

        /// <summary>Empties it (the player left, or the session moved), keeping its limits.</summary>
        public void Clear()
        {
            Live();
            n = 0;
            haveOffset = haveRaw = false;
            offsetUs = 0;
        }

        /// <summary>Done with it; twice is fine.</summary>
        public void Dispose()
        {
            disposed = true;
        }
    }
}
