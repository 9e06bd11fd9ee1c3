// RefereeTest.cs: the C# binding in a refereed room that outlives its relay,
// a part of SessionTest (relays of its own, RICOCHET_BIN, with
// examples/scripts and tictactoe.lua pinned to the rooms "ttt-..."): X and O
// (managed ENet sessions) play a game and two moves of the next; the relay
// is SIGKILLed with --room-file and started again on its file: both are back
// (Moved "rejoin", the other told Rejoined with the id it had before in
// Was), the room's kept roles, score and board as they were, and the
// referee plays on from them. The same after a fleet's move: two relays
// sharing a redis-server, X over managed ENet entering through the room's
// relay (Config.Relays names the other), O over a managed WebSocket and a
// watcher polling over HTTP (libricochet's) entering through the other; the
// room's relay is SIGKILLed and all three are back on the other within
// their rejoin window, none ended, the managed ones never sent back to the
// relay they lost. And a second live session with a player's key ends the
// first Disconnected "replaced", once: it does not come back.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using Ricochet;

static partial class SessionTest
{
    const uint RefereeRejoinMs = 10000;

    /// <summary>A player and what the room told it: its newest kept events by
    /// key (cleared at a Moved: they come again from the relay it goes to),
    /// its last word, where its Moved events sent it, its end.</summary>
    sealed class Seat
    {
        public Session S;
        public string Name, Said = "", End;
        public readonly Dictionary<string, string> Kept = new Dictionary<string, string>();
        public readonly List<string> Hops = new List<string>();
        public readonly List<KeyValuePair<uint, uint>> Rejoined = new List<KeyValuePair<uint, uint>>();
        public int Moved;
        public ushort At; // the relay port of its last Welcome

        public string K(string key) { string v; return Kept.TryGetValue(key, out v) ? v : ""; }

        public void Take(GameEvent ev)
        {
            if (ev.Type == EventType.Moved) {
                Moved++;
                Hops.Add(ev.Text);
                Kept.Clear();
            } else if (ev.Type == EventType.Welcome)
                At = S.RelayPort;
            else if (ev.Type == EventType.Rejoined)
                Rejoined.Add(new KeyValuePair<uint, uint>(ev.Id, ev.Was));
            else if (ev.Type == EventType.Disconnected)
                End = ev.Code;
            else if (ev.Type == EventType.Event && ev.Id == Native.RoomSender) {
                string text = Encoding.UTF8.GetString(ev.Data, 0, ev.DataLength);
                if (ev.Key.Length > 0)
                    Kept[ev.Key] = text;
                else
                    Said = text;
            }
        }
    }

    static void Pump(List<Seat> seats, int ms)
    {
        var clock = Stopwatch.StartNew();
        do {
            for (int i = 0; i < seats.Count; i++) {
                GameEvent ev;
                while (seats[i].End == null && seats[i].S.Poll(i == 0 ? 5 : 0, out ev))
                    seats[i].Take(ev);
            }
        } while (clock.ElapsedMilliseconds < ms);
    }

    /// <summary>Pumps until what(seats[who]) holds, at most 15 s; a check of its own.</summary>
    static bool Until(List<Seat> seats, int who, Func<Seat, bool> what, string said)
    {
        var clock = Stopwatch.StartNew();
        while (!what(seats[who]) && seats[who].End == null && clock.ElapsedMilliseconds < 15000)
            Pump(seats, 10);
        bool ok = what(seats[who]);
        Check(ok, seats[who].Name + ": " + said + " (ended: " + seats[who].End + ")");
        return ok;
    }

    static void Move(List<Seat> seats, int who, int cell, string answer)
    {
        seats[who].Said = "";
        Check(seats[who].S.SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("move " + cell)) == Status.Ok,
              seats[who].Name + " moves " + cell);
        Until(seats, who, t => t.Said == answer, "the room's answer " + answer);
    }

    static string PlayBefore(List<Seat> seats)
    {
        for (int i = 0; i < 2; i++) // each told the roles: joined, the room's kept events heard
            Until(seats, i, t => t.K("roles").Length == 37, "both seated");
        var moves = new[] { Tuple.Create(0, 1, "X 1"), Tuple.Create(1, 4, "O 4"), Tuple.Create(0, 2, "X 2"),
                            Tuple.Create(1, 5, "O 5"), Tuple.Create(0, 3, "X wins"), Tuple.Create(1, 5, "O 5"),
                            Tuple.Create(0, 1, "X 1") };
        foreach (var m in moves)
            Move(seats, m.Item1, m.Item2, m.Item3);
        for (int i = 0; i < 2; i++)
            Until(seats, i, t => t.K("board") == "X...O.... O" && t.K("score") == "X=1,O=0,draw=0",
                  "the board and the score kept");
        return seats[0].K("roles");
    }

    static void PlayAfter(List<Seat> seats, string roles)
    {
        for (int i = 0; i < seats.Count; i++)
            Until(seats, i, t => t.Moved > 0 && t.K("roles") == roles && t.K("board") == "X...O.... O" &&
                                 t.K("score") == "X=1,O=0,draw=0", "back, the game kept as it was");
        Move(seats, 0, 9, "refused: not your turn");
        Move(seats, 1, 4, "O 4");
        Move(seats, 0, 7, "X 7");
        Move(seats, 1, 6, "O wins");
        for (int i = 0; i < seats.Count; i++)
            Until(seats, i, t => t.K("score") == "X=1,O=1,draw=0", "the score counted on from the kept one");
    }

    static Seat TakeSeat(List<Seat> seats, string name, Config c)
    {
        c.Name = name;
        c.RejoinMs = RefereeRejoinMs;
        var seat = new Seat { S = new Session(c), Name = name };
        seats.Add(seat);
        return seat;
    }

    static void Referee(string folder)
    {
        string scripts = Path.GetFullPath(Path.Combine(folder, "..", "..", "examples", "scripts"));
        if (!File.Exists(Path.Combine(scripts, "tictactoe.lua"))) {
            Console.WriteLine("skipped: a refereed room (no " + scripts + "/tictactoe.lua)");
            return;
        }
        string pin = "--script-dir " + scripts + " --script-room ttt-=tictactoe";
        RefereeRoomFile(pin);
        RefereeFleet(pin);
        SecondSessionReplaces();
    }

    static void RefereeRoomFile(string pin)
    {
        string dir = Path.Combine(Path.GetTempPath(), "referee-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "rooms.json");
        var relay = new Relay(0, "--room-file", file, pin);
        var seats = new List<Seat>();
        try {
            var x = TakeSeat(seats, "ann", new Config { Port = relay.Port, Room = "ttt-1", Mode = Mode.Reliable });
            Until(seats, 0, t => t.K("board") == "......... X", "a fresh board");
            var o = TakeSeat(seats, "bob", new Config { Port = relay.Port, Room = "ttt-1", Mode = Mode.Reliable });
            string roles = PlayBefore(seats);
            Check(roles.Contains(x.S.Player) && roles.Contains(o.S.Player), "the roles are the players': " + roles);
            Pump(seats, 300); // the file is written within 100 ms of a change
            uint xWas = x.S.Id;
            ushort port = relay.Port;
            relay.Kill();
            relay = new Relay(port, "--room-file", file, pin);
            PlayAfter(seats, roles);
            Check(o.Rejoined.Exists(r => r.Key == x.S.Id && r.Value == xWas),
                  "o told x came back, with the id it had before");
            Check(x.End == null && o.End == null, "neither ended");
        } finally {
            foreach (var s in seats)
                s.S.Dispose();
            relay.Stop();
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A redis-server of the test's own, on a free port.</summary>
    static Process StartRedis(string dir, out ushort port)
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        port = (ushort)((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var info = new ProcessStartInfo("redis-server", "--port " + port + " --bind 127.0.0.1 --save \"\" " +
                                        "--appendonly no --dir " + dir);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        var p = Process.Start(info);
        p.OutputDataReceived += (s, e) => { };
        p.BeginOutputReadLine();
        for (var clock = Stopwatch.StartNew(); clock.ElapsedMilliseconds < 5000; Thread.Sleep(10))
            try {
                using (var c = new System.Net.Sockets.TcpClient("127.0.0.1", port))
                    return p;
            } catch (System.Net.Sockets.SocketException) {
            }
        return p;
    }

    static void RefereeFleet(string pin)
    {
        string dir = Path.Combine(Path.GetTempPath(), "redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        ushort rport;
        var redis = StartRedis(dir, out rport);
        string fleet = "--directory redis://127.0.0.1:" + rport + " --advertise 127.0.0.1:0 --directory-ttl 2 " + pin;
        var a = new Relay(0, "--listen", "ws://127.0.0.1:0", "--listen", "poll://127.0.0.1:0", fleet);
        var b = new Relay(0, "--listen", "ws://127.0.0.1:0", "--listen", "poll://127.0.0.1:0", fleet);
        var seats = new List<Seat>();
        try {
            TakeSeat(seats, "ann", new Config { Port = a.Port, Room = "ttt-2", Mode = Mode.Reliable,
                                                Relays = new[] { "127.0.0.1:" + b.Port } });
            Until(seats, 0, t => t.K("board") == "......... X", "a fresh board");
            TakeSeat(seats, "bob", new Config { Port = b.Ports["ws"], Room = "ttt-2", Mode = Mode.Ws });
            string roles = PlayBefore(seats);
            TakeSeat(seats, "cat", new Config { Port = b.Ports["poll"], Room = "ttt-2", Mode = Mode.Tcp,
                                                Transport = Transport.Poll });
            Until(seats, 2, t => t.K("score") == "X=1,O=0,draw=0", "the watcher reads the score");
            var edges = new[] { "enet", "ws", "poll" };
            for (int i = 0; i < 3; i++)
                Check(seats[i].S.RelayPort == a.Ports[edges[i]], seats[i].Name + " on a");
            Pump(seats, 300); // the directory has the room's record
            foreach (var s in seats) {
                s.Moved = 0;
                s.Hops.Clear();
            }
            a.Kill();
            var killed = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++) {
                ushort at = b.Ports[edges[i]];
                Until(seats, i, t => t.Moved > 0 && t.At == at && t.K("board") == "X...O.... O", "back on b");
                Check(!seats[i].Hops.Contains("127.0.0.1:" + a.Ports[edges[i]]),
                      seats[i].Name + " never sent back to a: " + string.Join(" ", seats[i].Hops));
            }
            Check(killed.ElapsedMilliseconds < RefereeRejoinMs, "every player back within its rejoin window: " +
                  killed.ElapsedMilliseconds + " ms");
            PlayAfter(seats, roles);
            Move(seats, 2, 1, "refused: you watch: two players play");
            foreach (var s in seats)
                Check(s.End == null, s.Name + " did not end");
        } finally {
            foreach (var s in seats)
                s.S.Dispose();
            b.Stop();
            a.Kill();
            Process.Start("kill", "-KILL " + redis.Id).WaitForExit();
            redis.WaitForExit(5000);
            Directory.Delete(dir, true);
        }
    }

    static void SecondSessionReplaces()
    {
        var relay = new Relay(0);
        var seats = new List<Seat>();
        try {
            var first = TakeSeat(seats, "ann", new Config { Port = relay.Port, Room = "keep", Mode = Mode.Reliable });
            var other = TakeSeat(seats, "obs", new Config { Port = relay.Port, Room = "keep", Mode = Mode.Reliable });
            Until(seats, 0, t => t.S.Joined, "ann joined");
            Until(seats, 1, t => t.S.Joined, "obs joined");
            var again = TakeSeat(seats, "ann", new Config { Port = relay.Port, Room = "keep", Mode = Mode.Reliable,
                                                            Key = first.S.Key });
            var errors = new List<string>();
            for (var clock = Stopwatch.StartNew(); clock.ElapsedMilliseconds < 3000;) // a rejoin would come back
                for (int i = 0; i < seats.Count; i++) {
                    GameEvent ev;
                    while (seats[i].End == null && seats[i].S.Poll(i == 0 ? 5 : 0, out ev)) {
                        if (i == 0 && ev.Type == EventType.Error)
                            errors.Add(ev.Code);
                        seats[i].Take(ev);
                    }
                }
            Check(errors.Count == 1 && errors[0] == "replaced", "the first told replaced, once: " +
                  string.Join(",", errors));
            Check(first.End == "replaced" && first.Moved == 0, "the first ended replaced, no rejoin: " + first.End);
            Check(other.Rejoined.Count == 1, "the room told one Rejoined: " + other.Rejoined.Count);
            Check(again.S.Joined && again.End == null, "the second plays on");
        } finally {
            foreach (var s in seats)
                s.S.Dispose();
            relay.Stop();
        }
    }
}
