// Player.cs: the managed C# player of a lockstep room of four bindings
// (tests/test_e2e_lockstep_bindings.c; tests/support/lockstep/player.py
// does the same), over ENet with no native library: sends its input
// ([slot, tick low, tick high]) for every tick from the first it aims at
// to the one it aims at now, before END, keeps the frames of ticks 0 to
// END - 1, and once it has them prints its slot, the ticks it sent, those
// whose frames came first, and the FNV-1a hash of those frames.
//   mono player.exe HOST PORT ROOM NAME END
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Ricochet;

static class Player
{
    static int Main(string[] a)
    {
        uint end = uint.Parse(a[4]);
        var s = new Session(new Config {
            Host = a[0], Port = ushort.Parse(a[1]), Room = a[2], Name = a[3], TimeoutMs = 15000,
            Lockstep = new Lockstep { Hz = 30, Delay = 4, Slots = 4, InputMax = 3,
                                      CheckEvery = 0 } });
        var frames = new List<byte[]>();
        var sent = new SortedSet<uint>();
        var held = new SortedSet<uint>();
        long toSend = -1;
        int slot = -1;
        string trouble = s.Managed ? "" : "not the managed session";
        var clock = Stopwatch.StartNew();
        long limit = (end / 30 + 40) * 1000L;
        while (frames.Count < end && trouble == "" && clock.ElapsedMilliseconds < limit) {
            GameEvent ev;
            while (trouble == "" && !s.Ended && s.Poll(0, out ev)) {
                if (ev.Type == EventType.Welcome) {
                    uint kept;
                    s.GetLockstep(out slot, out kept);
                } else if (ev.Type == EventType.Frame) {
                    if (ev.Id != frames.Count)
                        trouble = "frame " + ev.Id + " after " + frames.Count;
                    var f = new byte[ev.DataLength];
                    Buffer.BlockCopy(ev.Data, 0, f, 0, f.Length);
                    frames.Add(f);
                } else if (ev.Type == EventType.Error || ev.Type == EventType.Disconnected) {
                    trouble = ev.Code + " " + ev.Text;
                }
            }
            if (slot >= 0) {
                uint aim = s.LockstepAim();
                if (toSend < 0)
                    toSend = aim;
                for (; toSend <= aim && toSend < end; toSend++) {
                    uint t = (uint)toSend;
                    if (t < frames.Count)
                        held.Add(t); // its frame came first
                    else if (s.SendInput(t, new[] { (byte)slot, (byte)t, (byte)(t >> 8) }) ==
                             Status.Ok)
                        sent.Add(t);
                }
            }
            Thread.Sleep(2);
        }
        s.Dispose();
        ulong h = 1469598103934665603;
        for (int i = 0; i < frames.Count && i < end; i++)
            foreach (var b in frames[i])
                h = (h ^ b) * 1099511628211;
        Console.WriteLine("slot " + slot);
        Console.WriteLine("sent " + string.Join(" ", sent));
        Console.WriteLine("held " + string.Join(" ", held));
        Console.WriteLine("frames " + frames.Count);
        Console.WriteLine("hash " + h.ToString("x16"));
        if (trouble != "" || frames.Count < end) {
            Console.WriteLine("trouble " + (trouble != "" ? trouble : "frames stopped"));
            return 1;
        }
        return 0;
    }
}
