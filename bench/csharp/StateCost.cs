// StateCost.cs: what a state costs a C# game, managed against native
// (bench/csharp_cost.sh runs two of these in one room): one session that
// sends RATE states a second, each with a 16-byte payload, and takes every
// state of the other's into one buffer (Poll's overload that allocates
// nothing), for WARMUP seconds, then SECONDS measured: the process's CPU
// and the bytes this thread allocated, per state sent and received. Prints
// one JSON line. Built with client/csharp/Ricochet/*.cs, so the native
// backend (NativeSession: libricochet through P/Invoke) is at hand too.
//   mono statecost.exe managed|native PORT ROOM NAME RATE SECONDS WARMUP
using System;
using System.Diagnostics;
using System.Globalization;
using Ricochet;

static class StateCost
{
    interface Backend
    {
        bool Poll(out GameEvent ev, byte[] into);
        void Send(State st, byte[] payload);
        bool Joined { get; }
    }

    sealed class Managed : Backend
    {
        readonly Session s;
        public Managed(Config c) { s = new Session(c); }
        public bool Poll(out GameEvent ev, byte[] into) { return s.Poll(0, out ev, into); }
        public void Send(State st, byte[] payload) { s.SendState(st, payload, payload.Length); }
        public bool Joined { get { return s.Joined; } }
    }

    sealed class Native : Backend
    {
        readonly NativeSession s;
        public Native(Config c) { s = new NativeSession(c); }
        public bool Poll(out GameEvent ev, byte[] into) { return s.Poll(0, out ev); }
        public void Send(State st, byte[] payload) { s.SendState(st, payload); }
        public bool Joined { get { return s.Joined; } }
    }

    static int Main(string[] a)
    {
        var c = new Config { Port = ushort.Parse(a[1]), Room = a[2], Name = a[3], Mode = Mode.Unsequenced };
        int rate = int.Parse(a[4]), seconds = int.Parse(a[5]), warmup = int.Parse(a[6]);
        Backend b = a[0] == "native" ? (Backend)new Native(c) : new Managed(c);
        var payload = new byte[16];
        var into = new byte[Ricochet.Native.PayloadMax];
        var clock = Stopwatch.StartNew();
        long sent = 0, received = 0, next = 0, cpu0 = 0, alloc0 = 0, sent0 = 0, received0 = 0;
        bool measuring = false;
        var me = Process.GetCurrentProcess();
        while (clock.ElapsedMilliseconds < (warmup + seconds) * 1000L) {
            GameEvent ev;
            while (b.Poll(out ev, into))
                if (ev.Type == EventType.State)
                    received++;
            long now = clock.ElapsedTicks * 1000000L / Stopwatch.Frequency;
            if (!measuring && clock.ElapsedMilliseconds >= warmup * 1000L) {
                measuring = true;
                me.Refresh();
                cpu0 = (long)(me.TotalProcessorTime.TotalMilliseconds * 1000);
                alloc0 = GC.GetAllocatedBytesForCurrentThread();
                sent0 = sent;
                received0 = received;
            }
            while (b.Joined && now >= next) { // every state due, even after a late wake
                payload[0] = (byte)sent;
                b.Send(new State { X = sent % 100, Y = 50, Vx = 1 }, payload);
                sent++;
                next += 1000000 / rate;
                if (next < now - 100000)
                    next = now; // a pause of more than 100 ms is not made up
            }
            System.Threading.Thread.Sleep(1);
        }
        me.Refresh();
        double cpuUs = me.TotalProcessorTime.TotalMilliseconds * 1000 - cpu0;
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0, states = sent - sent0 + received - received0;
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "{{\"backend\":\"{0}\",\"sent\":{1},\"received\":{2},\"cpu_us\":{3:F0},\"us_per_state\":{4:F3}," +
            "\"bytes_per_state\":{5:F3}", a[0], sent - sent0, received - received0, cpuUs,
            states > 0 ? cpuUs / states : 0, states > 0 ? (double)alloc / states : 0) + "}");
        return states > 0 ? 0 : 1;
    }
}
