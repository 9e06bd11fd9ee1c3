// ScriptTest.cs: the C# binding against a room's script (docs/scripts.md),
// a part of SessionTest (tests/test_e2e_bindings.c builds the two together):
// a relay of its own (RICOCHET_BIN) with --script-dir tests/scripts, a room
// running bindings.lua (the script every binding's tests share): a join named
// "banned" refused, an Error then Disconnected script_refused with the
// script's reason; the room's word on a join an Event from
// Native.RoomSender, no member's; the room's kept "score" cleared neither by
// a member nor by the room's owner (Error not_owner, the session going on),
// and a latecomer reading it after its Welcome.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using Ricochet;

static partial class SessionTest
{
    /// <summary>Polls every session until ps[who] has an Event from the room
    /// under key ("": one not kept); it.</summary>
    static GameEvent RoomsWord(List<Session> ps, int who, string key)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 5000)
            for (int i = 0; i < ps.Count; i++) {
                GameEvent ev;
                while (!ps[i].Ended && ps[i].Poll(i == who ? 10 : 0, out ev))
                    if (i == who && ev.Type == EventType.Event && ev.Id == Native.RoomSender && ev.Key == key)
                        return ev;
            }
        Check(false, "session " + who + ": no word of the room's under '" + key + "' within 5 s");
        return new GameEvent();
    }

    /// <summary>tests/scripts/bindings.lua (folder: the binding's, client/csharp,
    /// two below the repository's top).</summary>
    static void RoomScript(string folder)
    {
        string scripts = Path.GetFullPath(Path.Combine(folder, "..", "..", "tests", "scripts"));
        if (!File.Exists(Path.Combine(scripts, "bindings.lua"))) {
            Console.WriteLine("skipped: a room's script (no " + scripts + "/bindings.lua)");
            return;
        }
        var relay = new Relay(0, "--script-dir", scripts);
        Func<string, Dictionary<string, string>, Session> join = (name, props) =>
            Open(new Config { Port = relay.Port, Room = "csden", Name = name, Mode = Mode.Reliable,
                                     Props = props });
        var ps = new List<Session> { join("ann", new Dictionary<string, string> { { "script", "bindings" } }) };
        try {
            var ev = RoomsWord(ps, 0, "score");
            Check(Encoding.UTF8.GetString(ev.Data) == "1" && ev.Kept && ev.Name == "",
                  "the room's score after ann's welcome: " + Encoding.UTF8.GetString(ev.Data));
            ps.Add(join("bob", null));
            ev = RoomsWord(ps, 1, "score");
            Check(Encoding.UTF8.GetString(ev.Data) == "2", "bob reads the room's score");
            ev = RoomsWord(ps, 0, "");
            Check(ev.Id == Native.RoomSender && ev.Code == "room" &&
                  Encoding.UTF8.GetString(ev.Data) == "hello bob", "the room says bob's join to ann");
            Check(ps[0].FindMember(ev.Id) == null, "no member is the room");

            var banned = join("banned", null);
            var errors = new List<string>();
            string end = "";
            try {
                var clock = Stopwatch.StartNew();
                GameEvent b;
                while (clock.ElapsedMilliseconds < 5000 && !banned.Ended)
                    while (!banned.Ended && banned.Poll(10, out b)) {
                        if (b.Type == EventType.Error)
                            errors.Add(b.Code + ": " + b.Text);
                        if (b.Type == EventType.Disconnected)
                            end = b.Code;
                    }
                Check(errors.Count == 1 && errors[0] == "script_refused: no entry for banned",
                      "banned refused with the script's reason: " + string.Join("; ", errors));
                Check(end == "script_refused" && banned.EndReason.Contains("no entry for banned"),
                      "banned's end: " + end + " " + banned.EndReason);
            } finally {
                banned.Dispose();
            }

            for (int i = 1; i >= 0; i--) { // a member's clear, then the owner's
                Check(ps[i].SendEvent(Native.ToRoom, new byte[0], "score") == Status.Ok,
                      (i == 0 ? "ann" : "bob") + " clears the room's score");
                var refused = Wait(ps, i, EventType.Error);
                Check(refused.Code == "not_owner" && refused.Text.Contains("score") && ps[i].Joined,
                      "refused not_owner, the session goes on: " + refused.Code + " " + refused.Text);
            }
            ps.Add(join("cy", null));
            ev = RoomsWord(ps, 2, "score");
            Check(Encoding.UTF8.GetString(ev.Data) == "3" && ev.Kept, "the latecomer reads the room's score");
        } finally {
            foreach (var s in ps)
                s.Dispose();
            relay.Stop();
        }
    }
}
