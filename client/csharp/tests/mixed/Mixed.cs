// Mixed.cs: the managed C# player of a room of four languages
// (tests/test_e2e_mixed_room.c; the C, Python and JavaScript players in
// tests/support/mixed/ do the same): joins ROOM as NAME, keeps an event under
// its name (its name its bytes), sends states 20 times a second with its
// name as their payload, and once it has a state and the kept event of
// every player of OTHERS (comma-separated), says "done:NAME" to the room;
// it leaves when every other one said so. Prints "saw all" then, or what
// it missed after 40 s.
//   mono mixed.exe PORT ROOM NAME OTHERS
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using Ricochet;

static class Mixed
{
    static int Main(string[] a)
    {
        var others = new HashSet<string>(a[3].Split(','));
        var states = new HashSet<string>();
        var kept = new HashSet<string>();
        var done = new HashSet<string>();
        var s = new Session(new Config { Port = ushort.Parse(a[0]), Room = a[1], Name = a[2] });
        var me = Encoding.UTF8.GetBytes(a[2]);
        var clock = Stopwatch.StartNew();
        long next = 0;
        bool said = false;
        while (clock.ElapsedMilliseconds < 40000 && !(said && done.IsSupersetOf(others))) {
            GameEvent ev;
            while (s.Poll(5, out ev)) {
                string text = Encoding.UTF8.GetString(ev.Data);
                if (ev.Type == EventType.Welcome)
                    s.SendEvent(Native.ToRoom, me, a[2]);
                else if (ev.Type == EventType.State)
                    states.Add(text);
                else if (ev.Type == EventType.Event && ev.Key == text)
                    kept.Add(text);
                else if (ev.Type == EventType.Event && text.StartsWith("done:"))
                    done.Add(text.Substring(5));
            }
            if (s.Joined && clock.ElapsedMilliseconds >= next) {
                s.SendState(new State { X = 10, Y = 20 }, me);
                next = clock.ElapsedMilliseconds + 50;
            }
            if (!said && states.IsSupersetOf(others) && kept.IsSupersetOf(others)) {
                s.SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("done:" + a[2]));
                said = true;
            }
        }
        s.Dispose();
        bool all = states.IsSupersetOf(others) && kept.IsSupersetOf(others) && done.IsSupersetOf(others);
        Console.WriteLine(all ? "saw all" : "missed: states " + string.Join(",", states) + " kept " +
                                            string.Join(",", kept) + " done " + string.Join(",", done));
        return all ? 0 : 1;
    }
}
