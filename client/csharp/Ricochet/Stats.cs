// Stats.cs: struct ricochet_stats, what I received from one sender: counts,
// latency and jitter.
using System.Runtime.InteropServices;

namespace Ricochet
{
    /// <summary>struct ricochet_stats: what I received from one sender.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stats
    {
        public ulong Received, Expected, Lost, Duplicates, Reordered, TooOld, NoLatency;
        public ulong LatencyMaxUs, LatencyBoundUs;
        public double LatencyMeanUs, JitterUs;
    }
}
