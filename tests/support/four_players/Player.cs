// Player.cs: the C# player of test_e2e_four_players, written from
// client/csharp/README.md alone and built as it says (mcs with Ricochet/*.cs,
// run by mono): the same game as player.c (see there). It joins ROOM as
// NAME, sends its state with its name as payload and "hi NAME" events, and
// says "NAME: phase N ok" on stderr once it has every peer's payload, event
// and roster entry and a listing shows ROOM with 4 members; a relay lost
// and back starts phase 2; then "done NAME" until every peer said it, and
// it leaves. Exit 0, or 1 if the session ends or 30 s pass.
// Run: mono player.exe HOST PORT ROOM NAME
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using Ricochet;

static class Player
{
    static readonly string[] Names = { "c", "py", "cs", "js" };

    static int Main(string[] args)
    {
        string room = args[2], name = args[3];
        var peers = new HashSet<string>(Names.Where(n => n != name));
        var config = new Config { Host = args[0], Port = ushort.Parse(args[1]), Room = room, Name = name,
                                  RejoinMs = 15000 };
        var payloads = new HashSet<string>();
        var events = new HashSet<string>();
        var done = new HashSet<string>();
        bool listed = false;
        int phase = 1, reported = 0;
        long nextState = 0, nextEvent = 0, nextList = 0, leave = -1;
        var clock = Stopwatch.StartNew();
        using (var s = new Session(config)) {
            while (!s.Ended && clock.ElapsedMilliseconds < 30000 &&
                   (leave < 0 || clock.ElapsedMilliseconds < leave)) {
                GameEvent ev;
                for (bool got = s.Poll(10, out ev); got; got = !s.Ended && s.Poll(0, out ev)) {
                    if (ev.Type == EventType.State) {
                        payloads.Add(Encoding.UTF8.GetString(ev.Data));
                    } else if (ev.Type == EventType.Event) {
                        var words = Encoding.UTF8.GetString(ev.Data).Split(' ');
                        if (words.Length == 2)
                            (words[0] == "hi" ? events : done).Add(words[1]);
                    } else if (ev.Type == EventType.Rooms) {
                        bool more;
                        listed |= s.Rooms(out more).Any(r => r.Name == room && r.Members == 4);
                    } else if (ev.Type == EventType.Moved && ev.Code == "rejoin") {
                        payloads.Clear();
                        events.Clear();
                        done.Clear();
                        listed = false;
                        phase = 2;
                    } else if (ev.Type == EventType.Disconnected) {
                        Console.Error.WriteLine("player cs: over: " + ev.Code + " " + ev.Text);
                    }
                }
                if (s.Ended || !s.Joined)
                    continue;
                long now = clock.ElapsedMilliseconds;
                if (now >= nextState) {
                    s.SendState(new State { X = 20, Y = 50 }, Encoding.UTF8.GetBytes(name));
                    nextState = now + 100;
                }
                bool ok = reported == phase;
                if (now >= nextEvent) {
                    s.SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("hi " + name));
                    if (ok && phase == 2)
                        s.SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("done " + name));
                    nextEvent = now + 300;
                }
                bool whole = peers.IsSubsetOf(payloads) && peers.IsSubsetOf(events) &&
                             peers.IsSubsetOf(s.Members().Select(m => m.Name));
                if (whole && !listed && now >= nextList) {
                    s.ListRooms(room);
                    nextList = now + 500;
                }
                if (whole && listed && !ok) {
                    Console.Error.WriteLine(name + ": phase " + phase + " ok");
                    reported = phase;
                }
                if (ok && phase == 2 && peers.IsSubsetOf(done) && leave < 0)
                    leave = now + 500; // my own done has reached them by then
            }
        }
        bool finished = leave >= 0 && clock.ElapsedMilliseconds >= leave;
        Console.Error.WriteLine(name + ": " + (finished ? "left" : "gave up"));
        return finished ? 0 : 1;
    }
}
