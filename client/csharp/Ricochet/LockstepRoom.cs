// LockstepRoom.cs: a lockstep room as a managed session follows it (Core
// holds one from a welcome that says lockstep), as libricochet's
// client/lib/client_lockstep.c does: the welcome's lockstep object read; my
// inputs kept until their frames came, each inputs message (type 4) written
// with every one of them; frames (type 5) kept in tick order and handed
// over one at a time, none skipped; the tick to aim at by my clock offset.
using System;
using System.Collections.Generic;
using System.Text;

namespace Ricochet
{
    internal sealed class LockstepRoom
    {
        const int Ahead = 64;              // frames kept past the one awaited
        const int Pending = 64;            // my inputs not yet confirmed, at most
        const int DatagramMax = 1175;      // an inputs message, sealed or not
        const long LateCalmUs = 5000000;   // a tick less aimed ahead after this long without a late

        public readonly Lockstep Settings;
        public readonly int Slot;          // -1: a spectator
        public readonly uint Kept;
        public readonly string[] Players;
        readonly long startUs, welcomeAtUs, periodUs;
        readonly uint welcomeTick;
        uint next;                         // the frame to hand over next
        public bool Started;               // frames asked for (an ack sent)
        readonly Dictionary<uint, byte[]> ahead = new Dictionary<uint, byte[]>();
        readonly SortedDictionary<uint, byte[]> pending = new SortedDictionary<uint, byte[]>();
        uint extra;                        // ticks aimed further after lates
        uint newest, jumped;               // my newest input's tick + 1 (0: none); the aim's jumps since
        long lateAtUs;
        public uint LateTick, LateCount;
        public ulong LateByUs;
        public uint[] Desync = new uint[0];
        public bool AckDue;
        public long AckDueUs;
        bool goneSaid;

        LockstepRoom(Lockstep s, Dictionary<string, object> o, long now)
        {
            Settings = s;
            periodUs = 1000000 / s.Hz;
            startUs = (long)Json.Number(o, "start_us");
            welcomeTick = (uint)Json.Number(o, "tick");
            welcomeAtUs = now;
            Slot = o.ContainsKey("slot") ? (int)Json.Number(o, "slot") : -1;
            Kept = (uint)Json.Number(o, "kept");
            Players = new string[s.Slots];
            var ps = Json.List(o, "players");
            for (int i = 0; i < Players.Length; i++)
                Players[i] = ps != null && i < ps.Count && ps[i] is string ? (string)ps[i] : "";
        }

        /// <summary>A welcome's lockstep object; null if it breaks a bound.</summary>
        public static LockstepRoom Read(Dictionary<string, object> o, long now)
        {
            if (o == null)
                return null;
            var s = new Lockstep {
                Hz = (uint)Json.Number(o, "hz"), Delay = (uint)Json.Number(o, "delay"),
                Slots = (uint)Json.Number(o, "slots"), InputMax = (uint)Json.Number(o, "input_max"),
                StandInLast = Json.Text(o, "stand_in", "last") != "none",
                CheckEvery = (uint)Json.Number(o, "check_every"),
                SpectatorDelay = (uint)Json.Number(o, "spectator_delay")
            };
            return s.Broken() == null ? new LockstepRoom(s, o, now) : null;
        }

        /// <summary>The join's lockstep object for settings s.</summary>
        public static void Join(StringBuilder sb, Lockstep s)
        {
            sb.Append(",\"lockstep\":{\"hz\":").Append(s.Hz).Append(",\"delay\":").Append(s.Delay)
              .Append(",\"slots\":").Append(s.Slots).Append(",\"input_max\":").Append(s.InputMax)
              .Append(",\"stand_in\":\"").Append(s.StandInLast ? "last" : "none")
              .Append("\",\"check_every\":").Append(s.CheckEvery)
              .Append(",\"spectator_delay\":").Append(s.SpectatorDelay).Append('}');
        }

        /// <summary>The tick the relay collects now, by my clock offset to it
        /// (before it is known: from my welcome, late by its way here).</summary>
        public uint Tick(ClockSync clock, long now)
        {
            if (!clock.Known)
                return welcomeTick + (uint)((now - welcomeAtUs) / periodUs);
            long relayNow = now + clock.OffsetUs;
            return relayNow < startUs ? 0 : (uint)((relayNow - startUs) / periodUs);
        }

        /// <summary>My clock offset to the relay changed at now: the ticks it
        /// moved on since it said before, the aim stepped over (they get my
        /// next input too).</summary>
        public void ClockMoved(uint before, ClockSync clock, long now)
        {
            uint after = Tick(clock, now);
            if (after > before)
                jumped += after - before;
        }

        /// <summary>The tick to send my input for now: Tick plus the delay, a
        /// tick more for each late (at most delay more, a tick less after 5 s
        /// without one).</summary>
        public uint Aim(ClockSync clock, long now)
        {
            if (extra > 0 && now - lateAtUs > LateCalmUs) {
                extra--;
                lateAtUs = now;
            }
            return Tick(clock, now) + Settings.Delay + extra;
        }

        public void Late(uint tick, ulong byUs, uint count, long now)
        {
            LateTick = tick;
            LateByUs = byUs;
            LateCount = count;
            lateAtUs = now;
            if (extra < Settings.Delay) {
                extra++; // aim further ahead
                jumped++;
            }
        }

        /// <summary>Frames from tick on; false: before one asked.</summary>
        public bool From(uint tick)
        {
            if (Started && tick < next)
                return false;
            Started = true;
            SkipTo(tick);
            return true;
        }

        /// <summary>The frames awaited start at tick: my inputs and the frames
        /// kept for the ticks before it are forgotten (their frames will not come).</summary>
        void SkipTo(uint tick)
        {
            next = tick;
            foreach (var t in new List<uint>(pending.Keys))
                if (t < tick)
                    pending.Remove(t);
            foreach (var t in new List<uint>(ahead.Keys))
                if (t < tick)
                    ahead.Remove(t);
        }

        /// <summary>My input for tick kept until its frame came, and for the
        /// ticks the aim stepped over since my newest (a late, or my clock
        /// offset, moved it on);
        /// Invalid: a tick whose frame came, or 64 from one still waiting.</summary>
        public Status Input(uint tick, byte[] data)
        {
            if (Started && tick < next)
                return Status.Invalid;
            foreach (var t in pending.Keys)
                if (Math.Abs((long)t - tick) >= Pending)
                    return Status.Invalid;
            if (!Started) { // a player that sends asks for the frames from the room's first
                Started = true;
                next = 0;
            }
            pending[tick] = data;
            if (newest != 0 && tick >= newest)
                for (uint t = tick - 1; t >= newest && tick - t <= jumped; t--)
                    if (t >= next && !pending.ContainsKey(t))
                        pending[t] = data; // else it would have none
            if (newest == 0 || tick >= newest) {
                newest = tick + 1;
                jumped = 0;
            }
            return Status.Ok;
        }

        uint Ack()
        {
            uint t = next;
            while (ahead.ContainsKey(t))
                t++;
            return t;
        }

        /// <summary>The inputs messages that say every input not yet
        /// confirmed, one a run of ticks that follow one another (the ack
        /// alone with none).</summary>
        public List<byte[]> Messages()
        {
            AckDue = false;
            var runs = new List<byte[]>();
            var run = new List<byte[]>();
            uint first = 0;
            int size = 12;
            foreach (var kv in pending) {
                if (kv.Key < next)
                    continue;
                if (run.Count > 0 && (kv.Key != first + run.Count || run.Count == 64 ||
                                      size + 1 + kv.Value.Length > DatagramMax)) {
                    runs.Add(Encode(first, run));
                    run.Clear();
                    size = 12;
                }
                if (run.Count == 0)
                    first = kv.Key;
                run.Add(kv.Value);
                size += 1 + kv.Value.Length;
            }
            if (run.Count > 0 || runs.Count == 0)
                runs.Add(Encode(first, run));
            return runs;
        }

        byte[] Encode(uint first, List<byte[]> inputs)
        {
            int size = 12;
            foreach (var b in inputs)
                size += 1 + b.Length;
            var m = new byte[size];
            m[0] = 1;
            m[1] = 4;
            m[2] = (byte)inputs.Count;
            Bytes.Be32(m, 4, Ack());
            Bytes.Be32(m, 8, first);
            int at = 12;
            foreach (var b in inputs) {
                m[at] = (byte)b.Length;
                Buffer.BlockCopy(b, 0, m, at + 1, b.Length);
                at += 1 + b.Length;
            }
            return m;
        }

        /// <summary>A frames message: its frames kept (false: it does not
        /// hold); gone: the relay let go of the frames I need next (from
        /// held on now).</summary>
        public bool Take(byte[] b, int off, int len, long now, out uint gone)
        {
            gone = 0;
            if (len < 12 || b[off + 2] == 0 || b[off + 3] != Settings.Slots)
                return false;
            int count = b[off + 2], at = off + 12, end = off + len;
            uint first = Bytes.Be32(b, off + 4), held = Bytes.Be32(b, off + 8);
            var frames = new List<byte[]>();
            for (int i = 0; i < count; i++) {
                int start = at;
                for (uint k = 0; k < Settings.Slots; k++) {
                    if (at >= end || b[at] > 3)
                        return false;
                    int n = b[at] == 1 || b[at] == 2 ? (at + 1 < end ? 2 + b[at + 1] : end) : 1;
                    if (at + n > end)
                        return false;
                    at += n;
                }
                var f = new byte[at - start];
                Buffer.BlockCopy(b, start, f, 0, f.Length);
                frames.Add(f);
            }
            if (at != end)
                return false;
            if (!Started)
                return true; // frames I did not ask for (yet)
            if (next < held && !goneSaid) {
                goneSaid = true;
                SkipTo(held);
                gone = held;
            }
            for (int i = 0; i < frames.Count && (ulong)first + (ulong)i <= uint.MaxValue; i++) {
                uint t = first + (uint)i;
                if (t >= next && t - next < Ahead)
                    ahead[t] = frames[i];
            }
            if (!AckDue) {
                AckDue = true;
                AckDueUs = now + periodUs / 2;
            }
            return true;
        }

        /// <summary>The frame awaited, if it came: its tick and bytes.</summary>
        public bool HandOver(out uint tick, out byte[] frame)
        {
            tick = next;
            if (!Started || !ahead.TryGetValue(next, out frame)) {
                frame = null;
                return false;
            }
            ahead.Remove(next);
            pending.Remove(next); // settled: in it, or stood in for
            next++;
            goneSaid = false;
            return true;
        }
    }
}
