// SessionTest.cs: the C# binding against a real relay (its port the first
// argument; tests/test_e2e_bindings.c builds this with mcs and runs it with
// mono): the native event's size, two sessions whose payloads arrive byte
// for byte, events to the room and to one member, what is refused throwing
// before anything is sent, a closed session throwing. Prints
// "N passed, N failed" and exits 0 only if all passed.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Ricochet;

static class SessionTest
{
    static int passed, failed;

    static void Check(bool ok, string what)
    {
        if (ok) passed++; else { failed++; Console.WriteLine("FAILED: " + what); }
    }

    static void Throws<T>(Action a, string what) where T : Exception
    {
        try { a(); Check(false, what + ": no exception"); }
        catch (T) { Check(true, what); }
        catch (Exception e) { Check(false, what + ": " + e.GetType().Name); }
    }

    static List<GameEvent>[] got = { new List<GameEvent>(), new List<GameEvent>() };

    static bool Until(Session[] s, Func<bool> done)
    {
        for (int k = 0; k < 500 && !done(); k++)
            for (int i = 0; i < s.Length; i++) {
                GameEvent ev;
                while (s[i].Poll(i == 0 ? 5 : 0, out ev))
                    got[i].Add(ev);
            }
        return done();
    }

    static int Count(int i, EventType t) { return got[i].FindAll(e => e.Type == t).Count; }

    static int Main(string[] args)
    {
        ushort port = ushort.Parse(args[0]);
        Check(Marshal.SizeOf(typeof(NativeEvent)) == 352, "NativeEvent is ricochet_event's 352 bytes");
        Check(Marshal.SizeOf(typeof(State)) == 40, "State is 40 bytes");
        var a = new Session("127.0.0.1", port, "cs", "ca", Mode.Reliable);
        var b = new Session("127.0.0.1", port, "cs", "cb");
        var both = new[] { a, b };
        Check(Until(both, () => Count(0, EventType.Welcome) == 1 && Count(1, EventType.Welcome) == 1 &&
                                Count(0, EventType.Joined) == 1), "both welcomed, a sees b");
        var sent = new Dictionary<uint, byte[]>();
        for (uint k = 1; k <= 20; k++) {
            var p = new byte[(k * 57) % 900];
            for (int i = 0; i < p.Length; i++) p[i] = (byte)(k + i * 3);
            sent[k] = p;
            Check(a.SendState(new State { X = k, Y = 1 }, p) == Status.Ok, "state " + k + " sent");
        }
        Check(Until(both, () => Count(1, EventType.State) >= 20), "20 states arrive");
        foreach (var e in got[1].FindAll(e => e.Type == EventType.State)) {
            byte[] want;
            Check(e.Id == a.Id && sent.TryGetValue(e.State.Seq, out want) &&
                  Convert.ToBase64String(want) == Convert.ToBase64String(e.Data),
                  "payload of state " + e.State.Seq + " byte for byte");
        }
        var body = new byte[Native.EventMax];
        for (int i = 0; i < body.Length; i++) body[i] = (byte)(i ^ 0x3c);
        Check(a.SendEvent(Native.ToRoom, new byte[] { 0, 1, 2 }) == Status.Ok, "event to the room");
        Check(a.SendEvent(b.Id, body) == Status.Ok, "event to b");
        Check(Until(both, () => Count(1, EventType.Event) >= 2), "both events arrive");
        var evs = got[1].FindAll(e => e.Type == EventType.Event);
        Check(evs[0].Id == a.Id && evs[0].Code == "room" && evs[0].Data.Length == 3 && evs[0].Name == "ca",
              "the room's event, stamped");
        Check(evs[1].Code == "direct" && Convert.ToBase64String(evs[1].Data) == Convert.ToBase64String(body),
              "the direct event, whole");
        a.SendEvent(4000, new byte[] { 1 });
        Check(Until(both, () => got[0].Exists(e => e.Type == EventType.Error && e.Code == "no_member")),
              "an unknown member: no_member");
        Throws<ArgumentException>(() => a.SendState(new State(), new byte[Native.PayloadMax + 1]), "payload too big");
        Throws<ArgumentException>(() => a.SendEvent(0, new byte[Native.EventMax + 1]), "event too big");
        Throws<ArgumentNullException>(() => a.SendEvent(0, null), "a null event");
        Throws<ArgumentNullException>(() => a.SendChat(null), "a null chat");
        a.Dispose();
        a.Dispose(); // twice is fine
        GameEvent none;
        Throws<ObjectDisposedException>(() => a.Poll(0, out none), "poll after close");
        Throws<ObjectDisposedException>(() => a.SendState(new State()), "send after close");
        Throws<ObjectDisposedException>(() => a.SendEvent(0, new byte[1]), "event after close");
        Throws<ObjectDisposedException>(() => { var id = a.Id; }, "id after close");
        Check(Native.ricochet_send_event(IntPtr.Zero, 0, new byte[1], (UIntPtr)1) == (int)Status.Invalid,
              "the library given NULL: an error");
        b.Dispose();
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
