// LockstepTest.cs: the C# binding in a lockstep room, a part of
// SessionTest (tests/test_e2e_csharp_bindings.c builds the two together): a
// relay of its own (RICOCHET_BIN) with --lockstep-log; three players, two
// managed (ENet unsequenced and reliable, or the relay's ws edge in the
// WebSocket run) and one through libricochet (plain UDP; with no library a
// third managed one), in a room of four slots, get the same frames in tick
// order, byte for byte as the relay's log; each slot's flag as the frame
// says it (present, repeated after its player stopped, empty before its
// first input, left for the slot no one holds), each present input the one
// its player sent. An input sent for a tick already closed is told (Late,
// its tick) and in the relay's log; the aim moves a tick further after it,
// and the tick it stepped over (the player sends once a tick) gets an input
// all the same: no hole in its slot. A player whose checks lie from tick 20
// is named (Desync) at tick 20, to every player, no one else.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading;
using Ricochet;

static partial class SessionTest
{
    const int LsEnd = 60, LsStop = 45, LsLiarFrom = 20;

    sealed class LsPlayer
    {
        public Session S;
        public int Me, Slot = -1, First = -1, LateTick = -1;
        public uint Seen = uint.MaxValue;
        public readonly List<byte[]> Frames = new List<byte[]>();
        public readonly List<int[]> Flags = new List<int[]>();
        public readonly Dictionary<uint, byte[]> Sent = new Dictionary<uint, byte[]>();
        public readonly List<uint> Lates = new List<uint>();
        public readonly List<KeyValuePair<uint, uint[]>> Desyncs = new List<KeyValuePair<uint, uint[]>>();
        public ulong LateBy;
        public string Trouble = "";
    }

    static ulong LsSum(List<byte[]> frames)
    {
        ulong h = 1469598103934665603;
        foreach (var f in frames)
            foreach (var b in f)
                h = (h ^ b) * 1099511628211;
        return h;
    }

    static void LsStep(LsPlayer p, uint end)
    {
        GameEvent ev;
        while (!p.S.Ended && p.S.Poll(0, out ev)) {
            if (ev.Type == EventType.Welcome) {
                uint kept;
                p.S.GetLockstep(out p.Slot, out kept);
            } else if (ev.Type == EventType.Frame) {
                if (ev.Id != p.Frames.Count)
                    p.Trouble += " frame " + ev.Id + " after " + p.Frames.Count;
                var f = new byte[ev.DataLength];
                Buffer.BlockCopy(ev.Data, 0, f, 0, f.Length);
                p.Frames.Add(f);
                var flags = new int[4];
                byte[] d;
                for (uint k = 0; k < 4; k++)
                    flags[k] = p.S.FrameInput(k, out d);
                p.Flags.Add(flags);
                if (ev.Id % 10 == 0)
                    p.S.SendCheck(ev.Id, LsSum(p.Frames) ^ (p.Me == 1 && ev.Id >= LsLiarFrom ? 1UL : 0));
            } else if (ev.Type == EventType.Late) {
                uint tick, count;
                p.S.LockstepLate(out tick, out p.LateBy, out count);
                p.Lates.Add(tick);
            } else if (ev.Type == EventType.Desync) {
                p.Desyncs.Add(new KeyValuePair<uint, uint[]>(ev.Id, p.S.LockstepDesync()));
            } else if (ev.Type == EventType.Error || ev.Type == EventType.Disconnected) {
                p.Trouble += " " + ev.Code + " " + ev.Text;
            }
        }
        uint now = p.S.LockstepTick();
        if (p.Slot < 0 || now < 5 || (p.Me == 0 && now == p.Seen))
            return;
        p.Seen = now; // the first player sends once a tick, as a game's loop
        uint t = p.S.LockstepAim();
        if (t >= end || p.Sent.ContainsKey(t))
            return;
        var data = new[] { (byte)p.Slot, (byte)t };
        if (p.S.SendInput(t, data) != Status.Ok)
            return;
        p.Sent[t] = data;
        if (p.First < 0) {
            p.First = (int)t;
            if (p.Me == 0) { // one input for a tick closed already: late
                p.LateTick = (int)now - 2;
                Check(p.S.SendInput((uint)p.LateTick, new byte[] { 0xee }) == Status.Ok, "the late input sent");
            }
        }
    }

    static void LockstepPlay()
    {
        string log = Path.GetTempFileName();
        var relay = new Relay(0, "--listen", "udp://127.0.0.1:0", "--lockstep-log", log);
        var settings = new Lockstep { Hz = 30, Delay = 4, Slots = 4, InputMax = 2, CheckEvery = 10 };
        Func<string, Mode, ushort, LsPlayer> seat = (name, mode, port) => new LsPlayer {
            S = Open(new Config { Port = port, Room = "cs-ls", Name = name, Mode = mode, Lockstep = settings }) };
        var ps = new[] { seat("ca", Mode.Unsequenced, relay.Port), seat("cb", Mode.Reliable, relay.Port),
                         noLibrary ? seat("cc", Mode.Sequenced, relay.Port) : seat("cc", Mode.Udp, relay.Ports["udp"]) };
        for (int i = 0; i < ps.Length; i++)
            ps[i].Me = i;
        var clock = Stopwatch.StartNew();
        uint liar = 0;
        try {
            while (clock.ElapsedMilliseconds < 20000 && Array.Exists(ps, p => p.Frames.Count < LsEnd)) {
                for (int i = 0; i < ps.Length; i++)
                    LsStep(ps[i], i == 2 ? (uint)LsStop : LsEnd + 8);
                Thread.Sleep(1);
            }
            foreach (var p in ps)
                foreach (var q in ps)
                    Check(p.S.LockstepPlayer((uint)q.Slot) == q.S.Player, "lockstep: slot " + q.Slot + "'s player");
            liar = ps[1].S.Id;
        } finally {
            foreach (var p in ps)
                p.S.Dispose();
            relay.Stop();
        }
        string text = File.ReadAllText(log);
        File.Delete(log);
        foreach (var p in ps)
            Check(p.Frames.Count >= LsEnd && p.Trouble == "", "lockstep: player " + p.Me + " got " + p.Frames.Count +
                  " frames" + p.Trouble);
        if (failed > 0)
            return;
        var held = new HashSet<int>(Array.ConvertAll(ps, p => p.Slot));
        int left = 0;
        while (held.Contains(left))
            left++;
        LsPlayer a = ps[0], b = ps[1], c = ps[2];
        bool same = true, flagsOk = true, asSent = true;
        for (int t = 0; t < LsEnd; t++) {
            var m = Regex.Match(text, "\\{\"room\":\"cs-ls\",\"tick\":" + t + ",\"frame\":\"([0-9a-f]*)\"");
            if (!m.Success) {
                Check(false, "lockstep: frame " + t + " in the relay's log");
                return;
            }
            var frame = new byte[m.Groups[1].Value.Length / 2];
            Bytes.FromHex(m.Groups[1].Value, frame, true);
            foreach (var p in ps) {
                same &= Bytes.Equal(p.Frames[t], 0, frame, 0, frame.Length) && p.Frames[t].Length == frame.Length;
                byte[] d;
                for (uint k = 0; k < 4; k++)
                    flagsOk &= p.Flags[t][k] == Lockstep.Input(frame, frame.Length, 4, k, out d);
            }
            byte[] none;
            flagsOk &= Lockstep.Input(frame, frame.Length, 4, (uint)left, out none) == (int)SlotFlag.Left;
            foreach (var p in ps) {
                byte[] data, sent;
                int flag = Lockstep.Input(frame, frame.Length, 4, (uint)p.Slot, out data);
                if (t < p.First)
                    asSent &= flag == (int)SlotFlag.Empty;
                else if (p == c && t >= LsStop)
                    asSent &= flag == (int)SlotFlag.Repeated && Bytes.Equal(data, 0, c.Sent[LsStop - 1], 0, 2);
                else // the tick an aim stepped over: the next one's input
                    asSent &= flag == (int)SlotFlag.Present &&
                              (p.Sent.TryGetValue((uint)t, out sent) || p.Sent.TryGetValue((uint)t + 1, out sent)) &&
                              data.Length == 2 && Bytes.Equal(data, 0, sent, 0, 2);
                if (!asSent) {
                    Check(false, "lockstep: tick " + t + " slot " + p.Slot + " flag " + flag);
                    return;
                }
            }
        }
        Check(same, "lockstep: every player's frames are the relay's log's, byte for byte");
        Check(flagsOk, "lockstep: FrameInput says each slot's flag, a free slot Left");
        Check(asSent, "lockstep: empty before a first input, present as sent, repeated once stopped");
        Check(a.LateTick < a.First && a.Lates.Count == 1 && a.Lates[0] == (uint)a.LateTick && a.LateBy > 0,
              "lockstep: the late input told, its tick " + a.LateTick);
        Check(text.Contains("{\"room\":\"cs-ls\",\"tick\":" + a.LateTick + ",\"slot\":" + a.Slot + ",\"late_us\":"),
              "lockstep: the late input in the relay's log");
        Check(b.Lates.Count + c.Lates.Count == 0, "lockstep: no other late");
        bool skipped = false;
        for (uint t = (uint)a.First; t < LsEnd; t++)
            skipped |= !a.Sent.ContainsKey(t) && a.Sent.ContainsKey(t + 1);
        Check(skipped, "lockstep: the aim stepped over a tick after the late (and it was played, above)");
        foreach (var p in ps)
            Check(p.Desyncs.Count > 0 && p.Desyncs[0].Key == LsLiarFrom &&
                  p.Desyncs.TrueForAll(d => d.Value.Length == 1 && d.Value[0] == liar),
                  "lockstep: the liar named at tick " + LsLiarFrom + ", alone, to player " + p.Me);
    }

    /// <summary>A lockstep room as the managed session follows it, with no
    /// relay: a room of two slots as its welcome left it.</summary>
    static LockstepRoom LsWelcomed()
    {
        var o = new Dictionary<string, object> {
            {"hz", 30.0}, {"delay", 4.0}, {"slots", 2.0}, {"input_max", 16.0}, {"stand_in", "last"},
            {"check_every", 30.0}, {"spectator_delay", 60.0}, {"start_us", 0.0}, {"tick", 0.0},
            {"slot", 0.0}, {"kept", 0.0}
        };
        return LockstepRoom.Read(o, 0);
    }

    /// <summary>The frames asked for moving on (From, or the relay's frames
    /// gone) forget my inputs for the ticks skipped: else one still waiting
    /// refuses every input 64 past it.</summary>
    static void LockstepSkipForgets()
    {
        var a = LsWelcomed();
        Check(a.Input(5, new byte[] { 1 }) == Status.Ok, "an input for tick 5");
        Check(a.From(100), "frames from tick 100");
        Check(a.Input(170, new byte[] { 2 }) == Status.Ok, "an input 165 past tick 5, skipped");

        var g = LsWelcomed();
        Check(g.Input(3, new byte[] { 1 }) == Status.Ok, "an input for tick 3");
        // the relay holds frames from tick 300 on: one frame, both slots empty
        var fr = new byte[] { 1, 5, 1, 2, 0, 0, 1, 0x2c, 0, 0, 1, 0x2c, 0, 0 };
        uint gone;
        Check(g.Take(fr, 0, fr.Length, 0, out gone) && gone == 300, "frames gone before 300");
        uint tick;
        byte[] frame;
        Check(g.HandOver(out tick, out frame) && tick == 300, "frame 300 handed over");
        Check(g.Input(380, new byte[] { 2 }) == Status.Ok, "an input 377 past tick 3, gone");
        // a frames message whose ticks would pass 2^32 is not taken for ticks near 0
        var w = LsWelcomed();
        Check(w.From(0), "frames from tick 0");
        var wrap = new byte[] { 1, 5, 2, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 };
        Check(w.Take(wrap, 0, wrap.Length, 0, out gone) && !w.HandOver(out tick, out frame),
              "no frame 0 out of ticks past 2^32");
    }

    /// <summary>The ticks my aim steps over when my clock offset to the
    /// relay moves on (the first pong, the welcome late by its way here)
    /// get my next input too: one run of inputs, none left out.</summary>
    static void LockstepClockSteps()
    {
        var ls = LsWelcomed(); // 30 Hz, delay 4, tick 0 at 0
        var clock = new ClockSync();
        const long now = 1000;
        uint a = ls.Aim(clock, now);
        Check(a == 4 && ls.Input(a, new byte[] { 1 }) == Status.Ok, "an input at the aim, 4");
        // the first pong: the relay 3 ticks on, half a tick into tick 3
        uint before = ls.Tick(clock, now);
        clock.Sample(now, now, 3 * 33333 + 16666);
        ls.ClockMoved(before, clock, now);
        uint t = ls.Aim(clock, now);
        Check(t == 7 && ls.Input(t, new byte[] { 2 }) == Status.Ok, "an input at the aim, 7");
        var runs = ls.Messages();
        var m = runs[0];
        Check(runs.Count == 1 && m.Length == 20 && m[8] == 0 && m[11] == 4 &&
              Bytes.Equal(m, 12, new byte[] { 1, 1, 1, 2, 1, 2, 1, 2 }, 0, 8),
              "ticks 4 to 7 in one run, the ticks stepped over with the input after them");
    }
}
