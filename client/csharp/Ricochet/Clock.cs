// Clock.cs: struct ricochet_clock, my clock's offset to the relay's
// (Session.ClockOffset); and my clock itself, Clock.NowUs().
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ricochet
{
    /// <summary>struct ricochet_clock: my clock's offset to the relay's.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Clock
    {
        [MarshalAs(UnmanagedType.I1)] public bool Known;
        public long OffsetUs;
        public ulong BoundUs;

        static readonly double UsPerTick = 1e6 / Stopwatch.Frequency;

        /// <summary>My monotonic clock in µs: what states' SendUs and events'
        /// RecvUs are on (Interp.At takes it). Mono on Linux reads
        /// CLOCK_MONOTONIC, as libricochet's ricochet_now_us does, so the two
        /// agree on one machine.</summary>
        public static long NowUs()
        {
            long t = Stopwatch.GetTimestamp();
            return Stopwatch.Frequency == 10000000 ? t / 10 : (long)(t * UsPerTick);
        }
    }
}
