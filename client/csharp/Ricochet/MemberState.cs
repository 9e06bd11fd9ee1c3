// MemberState.cs: what a managed session knows of another member: its name,
// player, mode and newest state, its clock offset if it announced one, and
// what I received from it (loss by gaps in seq, duplicates in a window of
// 1024, reordering, too old; latency and jitter), updated per state without
// allocation. Session.Members gives copies (Member).
using System;

namespace Ricochet
{
    internal sealed class MemberState
    {
        public uint Id;
        public string Name = "", Player = "";
        public Mode Mode;
        public bool HasState, Delivered, ClockKnown;
        public State State;
        public uint Newest;                 // the newest seq delivered (sequenced drops by it)
        public ulong LastRecvUs;
        public Stats Stats;
        public long OffsetUs, BoundUs;
        uint first, top;                    // the first seq seen, the highest + 1
        bool any;
        readonly ulong[] seen = new ulong[16];
        double lastLatency;
        bool hadLatency;

        public void SetClock(long offset, long bound)
        {
            OffsetUs = offset;
            BoundUs = bound;
            ClockKnown = true;
        }

        public void Count(uint seq, bool tooOld)
        {
            if (tooOld) {
                Stats.TooOld++;
                return;
            }
            if (!any) {
                any = true;
                first = seq;
                top = seq + 1;
                Mark(seq);
                Stats.Received++;
                Stats.Expected = 1;
                return;
            }
            int ahead = (int)(seq - top);
            if (ahead >= 0) {
                for (uint k = top; k != seq + 1 && k - top < 1024; k++)
                    seen[(k % 1024) / 64] &= ~(1UL << (int)(k % 64));
                top = seq + 1;
            } else if (-ahead <= 1024 && (seen[(seq % 1024) / 64] >> (int)(seq % 64) & 1) != 0) {
                Stats.Duplicates++;
                return;
            } else
                Stats.Reordered++;
            Mark(seq);
            Stats.Received++;
            Stats.Expected = top - first;
            Stats.Lost = Stats.Expected > Stats.Received ? Stats.Expected - Stats.Received : 0;
        }

        void Mark(uint seq) { seen[(seq % 1024) / 64] |= 1UL << (int)(seq % 64); }

        public void Latency(long us, ulong bound)
        {
            ulong n = Stats.Received - Stats.NoLatency;
            Stats.LatencyMaxUs = Math.Max(Stats.LatencyMaxUs, (ulong)Math.Max(0, us));
            Stats.LatencyBoundUs = bound;
            Stats.LatencyMeanUs += (us - Stats.LatencyMeanUs) / Math.Max(1, n);
            if (hadLatency) // RFC 3550's jitter: a running mean of the differences
                Stats.JitterUs += (Math.Abs(us - lastLatency) - Stats.JitterUs) / 16;
            lastLatency = us;
            hadLatency = true;
        }
    }

    /// <summary>My clock's offset to the relay's from pings (PROTOCOL.md,
    /// "Clock offset"): the sample of the smallest round trip, given way
    /// after 60 s; Changed when worth announcing to the room.</summary>
    internal sealed class ClockSync
    {
        public bool Known, Changed;
        public long OffsetUs, BoundUs;
        long sampleUs, announcedOffset, announcedBound = -1, waitUs = 1000000;

        public long NextWaitUs { get { return waitUs; } }

        public void Sample(long sent, long now, long relayT)
        {
            if (sent <= 0 || now < sent)
                return;
            long rtt = now - sent, bound = (rtt + 1) / 2, offset = relayT - (sent + now) / 2;
            if (!Known || bound <= BoundUs || now - sampleUs > 60000000) {
                bool moved = !Known || offset != OffsetUs || bound != BoundUs;
                Known = true;
                OffsetUs = offset;
                BoundUs = bound;
                sampleUs = now;
                waitUs = moved ? 1000000 : Math.Min(waitUs * 2, 8000000);
            } else
                waitUs = Math.Min(waitUs * 2, 8000000);
            if (announcedBound < 0 || BoundUs * 2 < announcedBound || BoundUs > announcedBound * 2 ||
                Math.Abs(OffsetUs - announcedOffset) > announcedBound) {
                Changed = true;
                announcedOffset = OffsetUs;
                announcedBound = BoundUs;
            }
        }
    }
}
