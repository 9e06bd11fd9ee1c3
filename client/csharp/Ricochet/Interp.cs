// Interp.cs: one player's states, to draw it smoothly a little in the past
// (ricochet_interp_*): Interp.
using System;

namespace Ricochet
{
    /// <summary>One player's states, to draw it smoothly a little in the past
    /// (ricochet_interp_*): Push every State event of that player, then each
    /// frame At(Native.ricochet_now_us() - delay) says where to draw it; 100 ms
    /// of delay (two states at 20 Hz) hides one lost state, more hides more and
    /// shows the player later. No shared clock and no session needed: it keeps
    /// the 32 newest states; times are the caller's (ricochet_now_us, RecvUs).
    /// Clear it when the player leaves or on a Moved event; Dispose frees it.</summary>
    public sealed class Interp : IDisposable
    {
        IntPtr ip;

        /// <summary>extrapolateMs: how far past the newest state it moves the
        /// player on along its velocity (0: never); maxGapMs (1-3600000): a wider
        /// hole between two states is not glided across.</summary>
        public Interp(uint extrapolateMs = 250, uint maxGapMs = 1000)
        {
            if (maxGapMs < 1 || maxGapMs > 3600000)
                throw new ArgumentException("maxGapMs " + maxGapMs + ": 1-3600000 ms", "maxGapMs");
            ip = Native.Loaded(() => Native.ricochet_interp_new(extrapolateMs, maxGapMs));
            if (ip == IntPtr.Zero)
                throw new OutOfMemoryException("libricochet: no memory for an interpolation buffer");
        }

        IntPtr Live()
        {
            if (ip == IntPtr.Zero)
                throw new ObjectDisposedException("Ricochet.Interp", "the interpolation buffer is freed");
            return ip;
        }

        /// <summary>Records a state of the player received at recvUs (the
        /// event's RecvUs): true if kept, false if not (a duplicate, or older
        /// than all kept).</summary>
        public bool Push(State st, ulong recvUs)
        {
            return Native.ricochet_interp_push(Live(), ref st, recvUs) == 1;
        }

        /// <summary>Where to draw the player at renderUs of my clock, normally
        /// Native.ricochet_now_us() minus the delay.</summary>
        public InterpPoint At(ulong renderUs)
        {
            InterpPoint p;
            Native.ricochet_interp_at(Live(), renderUs, out p);
            if (p.Kind == InterpKind.None)
                p.X = p.Y = 0;
            return p;
        }

        /// <summary>The last state pushed, whatever its Seq (the raw arrivals,
        /// for a view without interpolation); false if none yet.</summary>
        public bool Latest(out State st)
        {
            return Native.ricochet_interp_latest(Live(), out st) == 1;
        }

        /// <summary>Empties it (the player left, or the session moved), keeping its limits.</summary>
        public void Clear()
        {
            Native.ricochet_interp_clear(Live());
        }

        /// <summary>Frees it; twice is fine.</summary>
        public void Dispose()
        {
            if (ip != IntPtr.Zero)
                Native.ricochet_interp_free(ip);
            ip = IntPtr.Zero;
            GC.SuppressFinalize(this);
        }

        ~Interp()
        {
            if (ip != IntPtr.Zero)
                Native.ricochet_interp_free(ip);
        }
    }
}
