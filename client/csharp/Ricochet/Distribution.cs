// Distribution.cs: struct ricochet_distribution, latencies or round trips in
// µs: count, percentiles, max and mean.
using System.Runtime.InteropServices;

namespace Ricochet
{
    /// <summary>struct ricochet_distribution: times in µs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Distribution
    {
        public ulong Count, P50Us, P90Us, P99Us, MaxUs, MeanUs;
    }
}
