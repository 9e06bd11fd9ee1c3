// Histogram.cs: times in µs counted in buckets 1/16 of an octave wide
// (about 4%), for Session.Latency and Rtt: count, percentiles, max, mean,
// with no allocation per time added.
using System;

namespace Ricochet
{
    internal sealed class Histogram
    {
        readonly ulong[] counts = new ulong[16 * 41];
        ulong n, max;
        double sum;

        static int Bucket(ulong v)
        {
            if (v < 16)
                return (int)v;
            int octave = 63 - Lz(v);               // v in [2^octave, 2^(octave+1))
            int sub = (int)((v >> (octave - 4)) & 15);
            return Math.Min((octave - 3) * 16 + sub, 16 * 41 - 1);
        }

        static int Lz(ulong v)
        {
            int z = 0;
            for (ulong bit = 1UL << 63; (v & bit) == 0 && z < 64; bit >>= 1)
                z++;
            return z;
        }

        static ulong Upper(int b)
        {
            if (b < 16)
                return (ulong)b;
            int octave = b / 16 + 3, sub = b % 16;
            return ((16UL + (ulong)sub + 1) << (octave - 4)) - 1;
        }

        public void Add(long us)
        {
            ulong v = us < 0 ? 0 : (ulong)us;
            counts[Bucket(v)]++;
            n++;
            sum += v;
            max = Math.Max(max, v);
        }

        ulong At(double q)
        {
            ulong want = (ulong)Math.Ceiling(q * n), seen = 0;
            for (int b = 0; b < counts.Length; b++)
                if ((seen += counts[b]) >= want && want > 0)
                    return Math.Min(Upper(b), max);
            return max;
        }

        public Distribution Get()
        {
            return new Distribution { Count = n, P50Us = At(0.5), P90Us = At(0.9), P99Us = At(0.99), MaxUs = max,
                                      MeanUs = n > 0 ? (ulong)(sum / n) : 0 };
        }
    }
}
