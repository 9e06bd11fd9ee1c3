// SessionTest.cs: the C# binding against a real relay (its port the first
// argument; RICOCHET_BIN the folder of ricochet-relay and ricochet-ticket,
// for the checks that run relays of their own; tests/test_e2e_bindings.c
// builds this with mcs and runs it with mono): the native structs' sizes,
// two sessions whose payloads arrive byte for byte, events to the room and
// to one member, kept events a latecomer gets after its Welcome, names
// and chat as strings, the members with their
// statistics, README.md's example as written (the second argument: the
// folder of README.md and Ricochet/, client/csharp by default) with a
// player of the test's and with no relay, what is refused throwing before
// anything is sent and saying the rule, no relay and a refused connection
// as events then SessionEndedException, a relay gone, a rejoin that
// outlives its relay's restart (one Moved, the same Key and Player, the other
// Rejoined), a member over HTTP polling (Transport.Poll,
// long polling and short) and an ENet member exchanging states and events
// in one room (a relay with a poll edge), a ticketed session (one ticket
// minted by Tickets.Mint; a bad room or no key file refused in words), joins of any room
// under a prefix filling the fullest room with space then making the next
// and a listing naming them with members and capacity, in pages (a relay
// with --room-list off refusing both, in words), an Interp placing a
// player between its states, before, past and stale (fed states late, out
// of order and lost; and fed a relay's states, drawing between two of
// them), a closed session throwing, (ScriptTest.cs) a room's script, and
// (RefereeTest.cs) a refereed room through a restart and a fleet's move.
// A welcome longer than a datagram (ENet's fragments joined). Last
// words: an event sent right before Dispose reaches the room. The
// guide's frame block (README.md, "csharp frame") as written, driving a
// game's Net against a player of the test's.
// With RICOCHET_BIN, a wss member (its certificate pinned) too.
// RICOCHET_TEST_EDGE=ws (with RICOCHET_WS_PORT): every session the tests
// open in an ENet mode goes to the relay's ws edge instead, the same tests.
// With RICOCHET_WS_PORT, a WebSocket member beside an ENet one (states,
// events, a kept event, a leave). With RICOCHET_NO_LIBRARY=1 (no
// libricochet anywhere) every session is managed and the native library's
// own checks and HTTP polling are left out. With --no-library
// (LD_LIBRARY_PATH without libricochet): a session of an edge only it
// speaks throws DllNotFoundException saying where it looked. Prints
// "N passed, N failed" and exits 0 only if all passed.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Ricochet;

static partial class SessionTest
{
    static int passed, failed;
    // RICOCHET_NO_LIBRARY=1: no libricochet anywhere: every session managed, the
    // native library's own checks and its edges (HTTP polling) left out
    static readonly bool noLibrary = Environment.GetEnvironmentVariable("RICOCHET_NO_LIBRARY") == "1";

    static void Check(bool ok, string what)
    {
        if (ok) passed++; else { failed++; Console.WriteLine("FAILED: " + what); }
    }

    static T Throws<T>(Action a, string what) where T : Exception
    {
        try { a(); Check(false, what + ": no exception"); }
        catch (T e) { Check(true, what); return e; }
        catch (Exception e) { Check(false, what + ": " + e.GetType().Name + ": " + e.Message); }
        return null;
    }

    // RICOCHET_TEST_EDGE=ws: every session the tests open in an ENet mode goes
    // to the same relay's ws edge instead (Mode.Ws): the main relay's from
    // RICOCHET_WS_PORT, the test's own relays' from their ws edge
    static readonly bool overWs = Environment.GetEnvironmentVariable("RICOCHET_TEST_EDGE") == "ws";
    static readonly Dictionary<ushort, ushort> wsOf = new Dictionary<ushort, ushort>();

    static Session Open(Config c)
    {
        ushort ws;
        if (overWs && c.Transport == Transport.Default && c.Mode != Mode.Udp && c.Mode != Mode.Tcp &&
            c.Mode != Mode.Ws && wsOf.TryGetValue(c.Port, out ws)) {
            c.Port = ws;
            c.Mode = Mode.Ws;
        }
        return new Session(c);
    }

    static Session Open(string host, ushort port, string room, string name, Mode mode = Mode.Unsequenced)
    {
        return Open(new Config { Host = host, Port = port, Room = room, Name = name, Mode = mode });
    }

    static List<GameEvent>[] got = { new List<GameEvent>(), new List<GameEvent>(), new List<GameEvent>() };

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

    /// <summary>Frames of 20 ms for up to ms, or until done(events): each
    /// session takes what came and sends a state; the events per session.</summary>
    static List<GameEvent>[] Play(Session[] s, int ms, Func<List<GameEvent>[], bool> done)
    {
        var evs = new List<GameEvent>[s.Length];
        for (int i = 0; i < s.Length; i++)
            evs[i] = new List<GameEvent>();
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < ms && !done(evs)) {
            for (int i = 0; i < s.Length; i++) {
                if (s[i].Ended)
                    continue;
                GameEvent ev;
                while (!s[i].Ended && s[i].Poll(0, out ev))
                    evs[i].Add(ev);
                s[i].SendState(new State { X = 1 + i, Y = 2 }, new[] { (byte)'p', (byte)('0' + i) });
            }
            Thread.Sleep(20);
        }
        return evs;
    }

    static bool Has(List<GameEvent> evs, EventType t) { return evs.Exists(e => e.Type == t); }

    static ushort FreePort(bool tcp)
    {
        var s = tcp ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
                    : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        ushort port = (ushort)((IPEndPoint)s.LocalEndPoint).Port;
        s.Close();
        return port;
    }

    /// <summary>A ricochet-relay of this test's own; Port: its enet edge's;
    /// Ports: every edge's (more given as "--listen", URL in more), by its
    /// name ("enet", "poll", ...), once all of them listen.</summary>
    sealed class Relay
    {
        readonly Process p;
        readonly StringBuilder log = new StringBuilder();
        public ushort Port;
        public readonly Dictionary<string, ushort> Ports = new Dictionary<string, ushort>();

        public Relay(ushort port, params string[] more)
        {
            var info = new ProcessStartInfo(Path.Combine(Environment.GetEnvironmentVariable("RICOCHET_BIN"),
                                                         "ricochet-relay"),
                                            "--listen enet://127.0.0.1:" + port + " " + string.Join(" ", more) +
                                            (overWs ? " --listen ws://127.0.0.1:" + WsPort(port) : ""));
            info.UseShellExecute = false;
            info.RedirectStandardError = true;
            info.RedirectStandardOutput = true;
            p = Process.Start(info);
            p.ErrorDataReceived += (o, e) => { lock (log) log.AppendLine(e.Data); };
            p.OutputDataReceived += (o, e) => { };
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            int edges = 1 + Array.FindAll(more, m => m == "--listen").Length;
            if (overWs && Array.Exists(more, m => m.StartsWith("ws://")))
                edges--; // the test's own ws edge is the one
            if (overWs)
                edges++; // the test's ws edge, whose line may come after the others'
            var clock = Stopwatch.StartNew();
            while (Ports.Count < edges && clock.ElapsedMilliseconds < 10000 && !p.HasExited) {
                lock (log) {
                    foreach (var line in log.ToString().Split('\n')) {
                        int at = line.IndexOf("listening on ");
                        string end = line.TrimEnd();
                        if (at >= 0 && end.EndsWith(")")) {
                            string[] words = end.Substring(at + 13).Split(' ');
                            string addr = words[0], edge = words[words.Length - 1].Trim('(', ')');
                            Ports[edge] = ushort.Parse(addr.Substring(addr.LastIndexOf(':') + 1));
                        }
                    }
                }
                Thread.Sleep(20);
            }
            if (Ports.Count < edges || !Ports.TryGetValue("enet", out Port))
                throw new Exception("the relay did not start: " + log);
            if (overWs)
                wsOf[Port] = Ports["ws"];
        }

        static ushort WsPort(ushort port)
        {
            ushort ws;
            return port != 0 && wsOf.TryGetValue(port, out ws) ? ws : (ushort)0;
        }

        public void Kill()
        {
            if (!p.HasExited) {
                Process.Start("kill", "-KILL " + p.Id).WaitForExit();
                p.WaitForExit(10000);
            }
        }

        public void Stop()
        {
            if (!p.HasExited) {
                Process.Start("kill", "-TERM " + p.Id).WaitForExit();
                p.WaitForExit(10000);
            }
        }
    }

    static string Run(string prog, string args)
    {
        var info = new ProcessStartInfo(prog, args);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        var p = Process.Start(info);
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return text.Trim();
    }

    /// <summary>A latecomer gets the room's kept events after its Welcome, in
    /// order, Kept, with their keys; a kept event to one member is refused.</summary>
    static void KeptEvents(ushort port)
    {
        foreach (var g in got)
            g.Clear();
        using (var a = Open("127.0.0.1", port, "cs-kept", "ka")) {
            Check(Until(new[] { a }, () => Count(0, EventType.Welcome) == 1), "ka welcomed");
            var utf8 = Encoding.UTF8;
            Check(a.SendEvent(Native.ToRoom, utf8.GetBytes("kb"), "it") == Status.Ok, "kept: it");
            Check(a.SendEvent(Native.ToRoom, utf8.GetBytes("1:0"), "score", true) == Status.Ok, "kept: score");
            Check(a.SendEvent(Native.ToRoom, utf8.GetBytes("ka"), "it") == Status.Ok, "kept: it again");
            Throws<ArgumentException>(() => a.SendEvent(5, new byte[1], "it"), "a kept event to one member");
            Throws<ArgumentException>(() => a.SendEvent(Native.ToRoom, new byte[1], "a b"), "a key with a space");
            using (var b = Open("127.0.0.1", port, "cs-kept", "kb")) {
                Check(Until(new[] { a, b }, () => Count(1, EventType.Event) >= 2), "kb gets two kept events");
                var evs = got[1].FindAll(e => e.Type == EventType.Event);
                Check(got[1][0].Type == EventType.Welcome, "its welcome first");
                Check(evs[0].Kept && evs[0].Code == "kept" && evs[0].Key == "score" && evs[0].Id == a.Id &&
                      utf8.GetString(evs[0].Data) == "1:0", "score first, kept: " + evs[0].Key);
                Check(evs[1].Kept && evs[1].Key == "it" && utf8.GetString(evs[1].Data) == "ka",
                      "it then, its newest: " + utf8.GetString(evs[1].Data));
            }
        }
    }

    // ---- a player key across processes, and the room as it is ----

    /// <summary>--resume PORT ROOM SECONDS (the key in PLAYER_KEY): a session of
    /// that key joins, prints "ID PLAYER" from its Welcome, stays, leaves.</summary>
    static int Resume(string[] args)
    {
        using (var s = Open(new Config { Port = ushort.Parse(args[1]), Room = args[2], Name = "ann",
                                                Mode = Mode.Reliable,
                                                Key = Environment.GetEnvironmentVariable("PLAYER_KEY") })) {
            var clock = Stopwatch.StartNew();
            GameEvent ev;
            bool welcomed = false;
            while (!welcomed && clock.ElapsedMilliseconds < 5000)
                while (s.Poll(10, out ev))
                    welcomed |= ev.Type == EventType.Welcome;
            Console.WriteLine(s.Id + " " + s.Player);
            Console.Out.Flush();
            clock.Restart();
            while (clock.ElapsedMilliseconds < int.Parse(args[3]) * 1000)
                s.Poll(10, out ev);
            return welcomed ? 0 : 1;
        }
    }

    /// <summary>This program again as --resume with key: its line, once it exits.</summary>
    static string[] Resumed(ushort port, string room, string key, int seconds)
    {
        var info = new ProcessStartInfo("mono", "\"" + System.Reflection.Assembly.GetExecutingAssembly().Location +
                                        "\" --resume " + port + " " + room + " " + seconds);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.EnvironmentVariables["PLAYER_KEY"] = key;
        var p = Process.Start(info);
        string line = p.StandardOutput.ReadLine() ?? "";
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Check(p.ExitCode == 0, "the resuming process welcomed");
        return line.Split(' ');
    }

    /// <summary>A session's Key in a new process after it left: the same
    /// Player; while it is still in the room: its place, its Id, the others
    /// told Rejoined; a bad key refused without being shown.</summary>
    static void PlayerKey(ushort port)
    {
        var ps = new List<Session> { Open(new Config { Port = port, Room = "cskey", Name = "obs",
                                                              Mode = Mode.Reliable }) };
        Wait(ps, 0, EventType.Welcome);
        ps.Add(Open(new Config { Port = port, Room = "cskey", Name = "ann", Mode = Mode.Reliable }));
        Wait(ps, 1, EventType.Welcome);
        Wait(ps, 0, EventType.Joined);
        string key = ps[1].Key, player = ps[1].Player;
        uint id = ps[1].Id;
        Check(key.Length == 32, "a key of 32 hex digits");
        var line = Resumed(port, "cskey", key, 1);
        Check(line.Length == 2 && line[0] == id.ToString() && line[1] == player,
              "a new process with the key while ann is in: ann's place: " + string.Join(" ", line));
        Check(Wait(ps, 0, EventType.Rejoined).Id == id, "the room told Rejoined");
        ps[1].Dispose();
        ps.RemoveAt(1);
        Wait(ps, 0, EventType.Left);
        line = Resumed(port, "cskey", key, 0);
        Check(line.Length == 2 && line[1] == player, "a new process with the key after ann left: ann's player");
        var joined = Wait(ps, 0, EventType.Joined);
        Check(ps[0].PlayerOf(joined.Id) == player, "the room sees ann's player");
        const string secret = "0123456789ABCDEF0123456789ABCDEF";
        var e = Throws<ArgumentException>(() => Open(new Config { Port = port, Room = "cskey", Name = "x",
                                                                         Key = secret }), "a bad key");
        Check(e != null && !e.Message.Contains(secret) && e.Message.Contains("32 lowercase hex digits"),
              "refused without being shown");
        ps[0].Dispose();
    }

    /// <summary>The Welcome says the room (owner, props, open, listed, size;
    /// IsOwner); the owner's change comes as a Room event to the others; a
    /// member that is not the owner cannot clear another's kept event
    /// (Error not_owner), the owner can.</summary>
    static void RoomView(ushort port)
    {
        var ps = new List<Session> { Open(new Config { Port = port, Room = "csroom", Name = "ann",
            Mode = Mode.Reliable, Props = new Dictionary<string, string> { { "map", "dust" } }, Size = 3 }) };
        Wait(ps, 0, EventType.Welcome);
        if (ps[0].Owner == "") {
            Console.WriteLine("skipped: the room as it is (this relay says no room in its welcome)");
            ps[0].Dispose();
            return;
        }
        var got = ps[0].GetRoomSettings();
        Check(got.Owner == ps[0].Player && got.Props["map"] == "dust" && got.Open && got.Listed && got.Size == 3 &&
              got.Mine && ps[0].IsOwner, "the welcome says the room, mine");
        ps.Add(Open(new Config { Port = port, Room = "csroom", Name = "bob", Mode = Mode.Reliable }));
        Wait(ps, 1, EventType.Welcome);
        Check(ps[1].Owner == ps[0].Player && !ps[1].IsOwner, "another's room, to bob");
        Check(ps[1].SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("bob's"), "coin0") == Status.Ok &&
              ps[1].SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("bob's too"), "coin1") == Status.Ok,
              "bob keeps coin0 and coin1");
        Wait(ps, 0, EventType.Event);
        ps.Add(Open(new Config { Port = port, Room = "csroom", Name = "cid", Mode = Mode.Reliable }));
        Wait(ps, 2, EventType.Welcome);
        Check(ps[2].SendEvent(Native.ToRoom, new byte[0], "coin0") == Status.Ok, "cid clears bob's coin0");
        var refused = Wait(ps, 2, EventType.Error);
        Check(refused.Code == "not_owner" && refused.Text.Contains("coin0") && ps[2].Joined,
              "refused not_owner, the session goes on: " + refused.Code + " " + refused.Text);
        Check(ps[0].SendEvent(Native.ToRoom, new byte[0], "coin1") == Status.Ok, "the owner clears coin1");
        var cleared = Wait(ps, 1, EventType.Event);
        Check(cleared.Key == "coin1" && cleared.Data.Length == 0, "the owner's clear reaches bob");
        Check(ps[0].SetRoom(false, null, new Dictionary<string, string> { { "map", "mill" } }) == Status.Ok,
              "the owner changes the room");
        Wait(ps, 1, EventType.Room); // open, then props: a Room event each
        Wait(ps, 1, EventType.Room);
        got = ps[1].GetRoomSettings();
        Check(!got.Open && got.Props["map"] == "mill" && got.Owner == ps[0].Player, "bob sees the change");
        foreach (var s in ps)
            s.Dispose();
    }

    /// <summary>A room kept in a relay's --room-file outlives a SIGKILL: bob,
    /// who joined without props, back first finds its props, size and owner;
    /// a newcomer gets its kept event.</summary>
    static void RoomFile()
    {
        if (!Run(Path.Combine(Environment.GetEnvironmentVariable("RICOCHET_BIN"), "ricochet-relay"), "--help")
                 .Contains("--room-file")) {
            Console.WriteLine("skipped: a room kept in a file (this relay has no --room-file)");
            return;
        }
        // a folder of its own: the relay refuses a room file where others may write (/tmp)
        string dir = Path.Combine(Path.GetTempPath(), "cs-rooms-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "rooms.json");
        var relay = new Relay(0, "--room-file", path);
        ushort port = relay.Port;
        var ps = new List<Session> {
            Open(new Config { Port = port, Room = "cskeep", Name = "ann", Mode = Mode.Reliable, RejoinMs = 10000,
                                     Props = new Dictionary<string, string> { { "map", "dust" } }, Size = 4 }),
        };
        Wait(ps, 0, EventType.Welcome);
        ps.Add(Open(new Config { Port = port, Room = "cskeep", Name = "bob", Mode = Mode.Reliable,
                                        RejoinMs = 10000 }));
        Wait(ps, 1, EventType.Welcome);
        Check(ps[0].SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("red"), "flag", true) == Status.Ok, "a flag kept");
        Wait(ps, 1, EventType.Event);
        Thread.Sleep(300); // past the relay's 100 ms of writing
        relay.Kill();
        relay = new Relay(port, "--room-file", path);
        Wait(new List<Session> { ps[1] }, 0, EventType.Welcome); // bob first: ann not polled yet
        var got = ps[1].GetRoomSettings();
        Check(got.Props.ContainsKey("map") && got.Props["map"] == "dust" && got.Size == 4 && got.Owner == ps[0].Player,
              "bob back first: the room as kept");
        Wait(ps, 0, EventType.Welcome);
        Check(ps[0].IsOwner, "ann owns it again");
        ps.Add(Open(new Config { Port = port, Room = "cskeep", Name = "cid", Mode = Mode.Reliable }));
        var flag = Wait(ps, 2, EventType.Event);
        Check(flag.Key == "flag" && flag.Kept && Encoding.UTF8.GetString(flag.Data) == "red", "the kept flag survived");
        foreach (var s in ps)
            s.Dispose();
        relay.Stop();
        Directory.Delete(dir, true);
    }

    static void TwoSessions(ushort port)
    {
        var a = Open("127.0.0.1", port, "cs", "ca", Mode.Reliable);
        var b = Open("127.0.0.1", port, "cs", "cb");
        var both = new[] { a, b };
        Check(Until(both, () => Count(0, EventType.Welcome) == 1 && Count(1, EventType.Welcome) == 1 &&
                                Count(0, EventType.Joined) == 1), "both welcomed, a sees b");
        var joined = got[0].Find(e => e.Type == EventType.Joined);
        Check(joined.Id == b.Id && joined.Name == "cb", "the joined notice names cb: " + joined.Name);
        using (var c = Open("127.0.0.1", port, "cs", "민수")) {
            Check(Until(new[] { a, b, c }, () => got[0].Exists(e => e.Type == EventType.Joined && e.Name == "민수")),
                  "a sees 민수 join, the name whole");
            Check(a.FindMember(c.Id) != null && a.FindMember(c.Id).Name == "민수", "the member is 민수");
        }
        var sent = new Dictionary<uint, byte[]>();
        for (uint k = 1; k <= 20; k++) {
            var p = new byte[(k * 57) % 900];
            for (int i = 0; i < p.Length; i++) p[i] = (byte)(k + i * 3);
            sent[k] = p;
            Check(a.SendState(new State { X = k, Y = 1, Vx = 2.5f }, p) == Status.Ok, "state " + k + " sent");
        }
        Check(Until(both, () => Count(1, EventType.State) >= 20), "20 states arrive");
        foreach (var e in got[1].FindAll(e => e.Type == EventType.State)) {
            byte[] want;
            Check(e.Id == a.Id && sent.TryGetValue(e.State.Seq, out want) &&
                  Convert.ToBase64String(want) == Convert.ToBase64String(e.Data),
                  "payload of state " + e.State.Seq + " byte for byte");
        }
        var members = b.Members();
        Check(members.Length == 1 && members[0].Id == a.Id && members[0].Name == "ca" && members[0].HasState &&
              members[0].State.Seq == 20 && members[0].State.X == 20 && members[0].State.Vx == 2.5f &&
              members[0].Stats.Received == 20 && members[0].Stats.Lost == 0 && members[0].LastRecvUs > 0,
              "b's members: a, its newest state and its statistics");
        Check(b.FindMember(a.Id) != null && b.FindMember(a.Id).Name == "ca" && b.FindMember(4000) == null,
              "one member by id");
        Check(b.Latency().Count >= 20, "the latency of 20 states");
        Check(a.Joined && a.RelayHost == "127.0.0.1" && a.RelayPort == (overWs ? wsOf[port] : port) &&
              a.Mode == (overWs ? Mode.Ws : Mode.Reliable) &&
              a.EndReason == "" && !a.Ended, "what the session knows");
        Check(a.Transport == Transport.Default && (a.Managed ? a.Fd == -1 : a.Fd >= 0 && a.Fd != b.Fd),
              "its transport and socket");
        Check(overWs ? a.SetMode(Mode.Sequenced) == Status.Unsupported
                     : a.SetMode(Mode.Sequenced) == Status.Ok && a.Mode == Mode.Sequenced, "a mode switched live");
        Check(b.SendChat("héllo ✓") == Status.Ok, "a chat line in UTF-8");
        Check(Until(both, () => Count(0, EventType.Chat) == 1), "the chat arrives");
        var chat = got[0].Find(e => e.Type == EventType.Chat);
        Check(chat.Name == "cb" && chat.Text == "héllo ✓", "the chat's name and text as strings: " + chat.Text);
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
        for (uint k = 0; k < 10; k++) { // 20 ms apart, X 10 a state: seq 21 to 30
            a.SendState(new State { X = 10 * k, Y = 5 });
            Thread.Sleep(20);
        }
        Check(Until(both, () => got[1].FindAll(e => e.Type == EventType.State && e.State.Seq > 20).Count >= 10),
              "10 more states arrive");
        using (var ip = new Interp()) {
            Check(ip.At((ulong)Clock.NowUs()).Kind == InterpKind.None, "an empty Interp: nothing to draw");
            long off = long.MaxValue;
            State s5 = new State(), s6 = new State();
            foreach (var e in got[1].FindAll(e => e.Type == EventType.State && e.State.Seq > 20)) {
                Check(ip.Push(e.State, e.RecvUs), "state " + e.State.Seq + " kept");
                off = Math.Min(off, (long)(e.RecvUs - e.State.SendUs));
                if (e.State.Seq == 25) s5 = e.State;
                if (e.State.Seq == 26) s6 = e.State;
            }
            State last;
            Check(ip.Latest(out last) && last.Seq == 30, "the latest state: " + last.Seq);
            // the send times placed on my clock by the smallest delay seen: halfway
            // between the 5th and 6th state's places is halfway between their X
            var p = ip.At((ulong)((long)((s5.SendUs + s6.SendUs) / 2) + off));
            Check(p.Kind == InterpKind.Between && p.SeqA == 25 && p.SeqB == 26 && Math.Abs(p.X - 45) < 0.5 &&
                  p.Y == 5, "b draws a halfway between two states: " + p.Kind + " " + p.X);
            Check(ip.At((ulong)Clock.NowUs() + 5000000).Kind == InterpKind.Stale, "long after: stale");
        }
        Throws<ArgumentException>(() => a.SendState(new State(), new byte[Native.PayloadMax + 1]), "payload too big");
        Throws<ArgumentException>(() => a.SendEvent(0, new byte[Native.EventMax + 1]), "event too big");
        Throws<ArgumentException>(() => a.SendState(new State { X = float.NaN }), "a state not finite");
        Throws<ArgumentException>(() => a.SendChat(""), "an empty chat line");
        Throws<ArgumentNullException>(() => a.SendEvent(0, null), "a null event");
        Throws<ArgumentNullException>(() => a.SendChat(null), "a null chat");
        a.Dispose();
        a.Dispose(); // twice is fine
        GameEvent none;
        Throws<ObjectDisposedException>(() => a.Poll(0, out none), "poll after close");
        Throws<ObjectDisposedException>(() => a.SendState(new State()), "send after close");
        Throws<ObjectDisposedException>(() => a.SendEvent(0, new byte[1]), "event after close");
        Throws<ObjectDisposedException>(() => { var id = a.Id; }, "id after close");
        Throws<ObjectDisposedException>(() => a.Members(), "members after close");
        if (!noLibrary)
            Check(Native.ricochet_send_event(IntPtr.Zero, 0, new byte[1], (UIntPtr)1) == (int)Status.Invalid,
                  "the library given NULL: an error");
        b.Dispose();
    }

    /// <summary>Interp as a game uses it, no relay needed: a player's states 50
    /// ms apart (X = seq, Vx 20/s) received 30 ms late, seq 5 at 80 ms, seq 4
    /// lost, seq 6 before 5.</summary>
    static void Interpolation()
    {
        const ulong ms = 1000;
        var ip = new Interp(250, 1000);
        Check(ip.At(5 * ms).Kind == InterpKind.None, "nothing pushed: nothing to draw");
        State latest;
        Check(!ip.Latest(out latest), "nothing pushed: no latest");
        var st = new State();
        foreach (uint seq in new uint[] { 0, 1, 2, 3, 6, 5, 7, 8, 9 }) {
            st = new State { Sender = 7, Seq = seq, SendUs = 1000000 + seq * 50 * ms, X = seq, Y = 2, Vx = 20 };
            Check(ip.Push(st, st.SendUs + (seq == 5 ? 80UL : 30UL) * ms), "state " + seq + " kept");
        }
        Check(!ip.Push(st, st.SendUs + 40 * ms), "the same state again: not kept");
        Check(ip.Latest(out latest) && latest.Seq == 9, "the latest: 9");
        ulong local0 = 1000000 + 30 * ms;
        var p = ip.At(local0 + 125 * ms);
        Check(p.Kind == InterpKind.Between && p.SeqA == 2 && p.SeqB == 3 && Math.Abs(p.X - 2.5) < 1e-4 && p.Y == 2,
              "halfway between 2 and 3: " + p.X);
        p = ip.At(local0 + 210 * ms);
        Check(p.Kind == InterpKind.Between && p.SeqA == 3 && p.SeqB == 5 && Math.Abs(p.X - 4.2) < 1e-4,
              "across the lost 4: " + p.X);
        Check(ip.At(local0 - ms).Kind == InterpKind.Before, "before the oldest");
        p = ip.At(local0 + 550 * ms);
        Check(p.Kind == InterpKind.Extrapolated && Math.Abs(p.X - (9 + 20 * 0.1)) < 1e-4, "past the newest: " + p.X);
        p = ip.At(local0 + 2000 * ms);
        Check(p.Kind == InterpKind.Stale && Math.Abs(p.X - (9 + 20 * 0.25)) < 1e-4, "held 250 ms past it: " + p.X);
        ip.Clear();
        Check(ip.At(local0).Kind == InterpKind.None && !ip.Latest(out latest), "cleared: nothing to draw");
        ip.Dispose();
        ip.Dispose(); // twice is fine
        Throws<ObjectDisposedException>(() => ip.At(0), "an Interp after Dispose");
        Throws<ArgumentException>(() => new Interp(250, 0), "a max gap of 0");
        Throws<ArgumentException>(() => new Interp(250, 3600001), "a max gap too long");
        InterpPoint none;
        if (!noLibrary)
            Check(Native.ricochet_interp_at(IntPtr.Zero, 0, out none) == (int)Status.Invalid,
                  "the library given NULL: an error");
    }

    static void BadNames()
    {
        string[][] bad = { new[] { "a b", "n", "Room \"a b\"" }, new[] { "", "n", "Room \"\"" },
                           new[] { "é", "n", "Room \"é\"" } };
        foreach (var b in bad) {
            var e = Throws<ArgumentException>(() => Open("127.0.0.1", 7777, b[0], b[1]), "bad: " + b[2]);
            Check(e != null && e.Message.Contains(b[2]) && e.Message.Contains("1-32 characters of A-Z a-z 0-9 _ . -"),
                  "the rule in words: " + (e == null ? "" : e.Message));
        }
        // a player's name in any script; a refusal says which part of the rule
        string[][] names = { new[] { new string('x', 33), "may not be longer than 32 bytes of UTF-8 (this one is 33;" },
                             new[] { "a\u001b[2J", "may not hold control characters (U+001B)" },
                             new[] { "\u202e민수", "may not hold invisible format characters (U+202E)" },
                             new[] { "  ", "may not be only spaces" } };
        foreach (var n in names) {
            var e = Throws<ArgumentException>(() => Open("127.0.0.1", 7777, "r", n[0]), "bad name: " + n[1]);
            Check(e != null && e.Message.Contains("Name \"" + n[0] + "\": a name " + n[1]),
                  "the name's rule in words: " + (e == null ? "" : e.Message));
        }
        var none = Throws<ArgumentException>(() => Open(new Config { Room = "r" }), "no name");
        Check(none != null && none.Message.Contains("room and name are required"), "no name: said so");
        Throws<ArgumentException>(() => Open("127.0.0.1", 0, "r", "n"), "port 0");
        var t = Throws<ArgumentException>(() => Open(new Config { Room = "r", Name = "n", TimeoutMs = 4000000 }),
                                          "a timeout too long");
        Check(t != null && t.Message.Contains("1-3600000 ms"), "the timeout's range said");
        var k = Throws<ArgumentException>(() => Open(new Config { Ticket = "nope" }), "not a ticket");
        Check(k != null && k.Message.Contains("not a ticket"), "not a ticket: said so");
        Throws<ArgumentException>(() => Open(new Config { Room = "r", Name = "n", RejoinAfterMs = 50 }),
                                  "a rejoin after too short");
        var polls = new[] {
            Tuple.Create(new Config { Room = "r", Name = "n", Transport = Transport.Poll },
                         "Mode \"Unsequenced\": Transport.Poll carries the mode Tcp"),
            Tuple.Create(new Config { Room = "r", Name = "n", Mode = Mode.Tcp, Transport = Transport.Poll, PollWaitMs = 25001 },
                         "PollWaitMs \"25001\": a long poll's wait of 1-25000 ms"),
            Tuple.Create(new Config { Room = "r", Name = "n", Mode = Mode.Tcp, Transport = Transport.Poll, PollIntervalMs = 10001 },
                         "PollIntervalMs \"10001\": 0 (long polling) or a short poll's interval of 1-10000 ms"),
            Tuple.Create(new Config { Room = "r", Name = "n", Transport = (Transport)9 },
                         "Transport \"9\": not a transport"),
        };
        foreach (var p in polls) {
            var e = Throws<ArgumentException>(() => Open(p.Item1), "refused: " + p.Item2);
            Check(e != null && e.Message.Contains(p.Item2), "the rule in words: " + (e == null ? "" : e.Message));
        }
    }

    /// <summary>Polls to the end: the events, then SessionEndedException.</summary>
    static List<GameEvent> ToTheEnd(Session s, int ms)
    {
        var evs = new List<GameEvent>();
        var clock = Stopwatch.StartNew();
        var e = Throws<SessionEndedException>(() => {
            while (clock.ElapsedMilliseconds < ms) {
                GameEvent ev;
                if (s.Poll(10, out ev))
                    evs.Add(ev);
            }
        }, "the session ends");
        Check(s.Ended && e != null && e.Message == s.EndReason && s.EndReason.Length > 0, "the end, in words");
        Check(evs.Count > 0 && evs[evs.Count - 1].Type == EventType.Disconnected, "Disconnected is the last event");
        return evs;
    }

    static void NoRelay()
    {
        var clock = Stopwatch.StartNew();
        // a port held by a socket that never answers: no ICMP, only silence
        using (var mute = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)) {
            mute.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            ushort held = (ushort)((IPEndPoint)mute.LocalEndPoint).Port;
            using (var s = Open(new Config { Port = held, Room = "r", Name = "n", TimeoutMs = 300 })) {
                var evs = ToTheEnd(s, 5000);
                Check(evs.Count > 0 && evs[evs.Count - 1].Code == "timeout" && clock.ElapsedMilliseconds < 2500,
                      "nothing answers: timeout within the timeout asked for");
            }
        }
        clock.Restart();
        using (var s = Open(new Config { Port = FreePort(false), Room = "r", Name = "n", TimeoutMs = 3000 })) {
            var evs = ToTheEnd(s, 5000);
            Check(evs.Count > 0 && evs[evs.Count - 1].Code == "refused" && clock.ElapsedMilliseconds < 1000 &&
                  evs[evs.Count - 1].Text.Contains("nothing listens at 127.0.0.1:"),
                  "nothing listens: refused at once");
        }
        ushort port = FreePort(true);
        clock.Restart();
        using (var s = Open("127.0.0.1", port, "r", "n", Mode.Tcp)) {
            var evs = ToTheEnd(s, 5000);
            Check(evs.Count > 0 && evs[evs.Count - 1].Code == "refused" && clock.ElapsedMilliseconds < 2500 &&
                  evs[evs.Count - 1].Text.Contains("at 127.0.0.1:" + port + " (expected: a relay's tcp edge); " +
                                                   "start ricochet-relay --listen tcp://127.0.0.1:" + port),
                  "tcp: refused at once, saying where and what to start");
        }
        var e = Throws<InvalidOperationException>(() => Open("no-such-host.invalid", 7777, "r", "n"),
                                                  "a host not resolved");
        Check(e != null && e.Message.Contains("no-such-host.invalid"), "the host named");
    }

    /// <summary>Polls every session until s[who] has an event of type t
    /// (within 5 s); the event, Check'd.</summary>
    static GameEvent Wait(List<Session> s, int who, EventType t)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 5000)
            for (int i = 0; i < s.Count; i++) {
                GameEvent ev;
                while (!s[i].Ended && s[i].Poll(i == who ? 10 : 0, out ev))
                    if (i == who && ev.Type == t) {
                        Check(true, "session " + who + ": " + t);
                        return ev;
                    }
            }
        Check(false, "session " + who + ": no " + t + " within 5 s");
        return new GameEvent();
    }

    static string Names(Room[] rooms)
    {
        var names = new List<string>();
        foreach (var r in rooms)
            names.Add(r.Name);
        return string.Join(",", names);
    }

    static void RoomsToList()
    {
        var relay = new Relay(0, "--max-room-size", "2");
        var ps = new List<Session>();
        string[] want = { "duel-1", "duel-1", "duel-2" };
        for (int i = 0; i < want.Length; i++) { // one after the other
            ps.Add(Open(new Config { Port = relay.Port, Room = "duel-", Name = "p" + i, AnyRoom = true }));
            Check(ps[i].RoomName == "duel-", "the prefix until the welcome: " + ps[i].RoomName);
            Wait(ps, i, EventType.Welcome);
            Check(ps[i].RoomName == want[i], "any room: " + want[i] + ", took " + ps[i].RoomName);
        }
        ps.Add(Open("127.0.0.1", relay.Port, "lobby", "q"));
        Wait(ps, 3, EventType.Welcome);
        var s = ps[2];
        bool more = true;
        Check(s.Rooms(out more).Length == 0 && !more, "no listing before one is asked for");
        Check(s.ListRooms("duel-") == Status.Ok, "a listing asked for");
        var ev = Wait(ps, 2, EventType.Rooms);
        Check(ev.Text == "duel-", "the Rooms event names the prefix: " + ev.Text);
        var rooms = s.Rooms(out more);
        Check(rooms.Length == 2 && !more && rooms[0].Name == "duel-1" && rooms[0].Members == 2 &&
              rooms[0].Capacity == 2 && rooms[0].Full && rooms[1].Name == "duel-2" && rooms[1].Members == 1 &&
              !rooms[1].Full, "the rooms under duel-, their members and capacity: " + Names(rooms));
        Check(s.ListRooms() == Status.Ok, "every room asked for");
        Wait(ps, 2, EventType.Rooms);
        Check(Names(s.Rooms(out more)) == "duel-1,duel-2,lobby", "every room");
        Check(s.ListRooms(null, "duel-2") == Status.Ok, "the next page asked for");
        Wait(ps, 2, EventType.Rooms);
        Check(Names(s.Rooms(out more)) == "lobby", "the page after duel-2");
        var e = Throws<ArgumentException>(() => s.ListRooms("a b"), "a prefix that is no name's");
        Check(e != null && e.Message.Contains(Native.PrefixRule), "the prefix's rule in words");
        e = Throws<ArgumentException>(() => Open(new Config { Port = relay.Port, Room = new string('x', 29),
                                                                     Name = "n", AnyRoom = true }),
                                      "a prefix too long for any room");
        Check(e != null && e.Message.Contains("with AnyRoom, a prefix of 1-28 characters"), "its rule in words");
        var late = Open(new Config { Port = relay.Port, Room = "duel-", Name = "late", AnyRoom = true });
        ps.Add(late);
        Check(late.ListRooms() == Status.NotJoined, "a listing before the welcome: NotJoined");
        Wait(ps, 4, EventType.Welcome);
        Check(late.RoomName == "duel-2", "the fullest room with space: " + late.RoomName);
        foreach (var p in ps)
            p.Dispose();
        Throws<ObjectDisposedException>(() => s.Rooms(out more), "rooms after close");
        Throws<ObjectDisposedException>(() => s.ListRooms(), "a listing after close");
        if (!noLibrary)
            Check(Native.ricochet_list_rooms(IntPtr.Zero, null, null) == (int)Status.Invalid,
                  "the library given NULL: an error");
        relay.Stop();

        relay = new Relay(0, "--room-list", "off");
        ps.Clear();
        ps.Add(Open(new Config { Port = relay.Port, Room = "duel-", Name = "a", AnyRoom = true }));
        var end = Wait(ps, 0, EventType.Disconnected);
        Check(end.Code == "listing_off" && ps[0].EndReason.Contains("--room-list off"),
              "--room-list off: any room refused, in words: " + ps[0].EndReason);
        ps[0].Dispose();
        ps.Clear();
        ps.Add(Open("127.0.0.1", relay.Port, "lobby", "b"));
        Wait(ps, 0, EventType.Welcome);
        Check(ps[0].ListRooms() == Status.Ok, "a listing asked of a relay that lists none");
        Check(Wait(ps, 0, EventType.Error).Code == "listing_off" && ps[0].Joined,
              "--room-list off: the listing refused, the session going on");
        ps[0].Dispose();
        relay.Stop();
    }

    /// <summary>Rooms with properties: made with props and a size, listed
    /// filtered, joined by match; refused missing with Exists, closed, and a
    /// non-creator's change.</summary>
    static void RoomsWithProperties()
    {
        var relay = new Relay(0, "--max-room-size", "8");
        var ps = new List<Session>();
        Func<Config, EventType, GameEvent> join = (c, t) => {
            c.Port = relay.Port;
            ps.Add(Open(c));
            var ev = Wait(ps, ps.Count - 1, t);
            if (t == EventType.Disconnected) { // over: polled no more
                ps[ps.Count - 1].Dispose();
                ps.RemoveAt(ps.Count - 1);
            }
            return ev;
        };
        var dust = new Dictionary<string, string> { { "map", "dust" } };
        join(new Config { Room = "arena-1", Name = "a", Props = dust, Size = 2 }, EventType.Welcome);
        join(new Config { Room = "arena-2", Name = "b",
                          Props = new Dictionary<string, string> { { "map", "mill" } } }, EventType.Welcome);
        join(new Config { Room = "arena-", Name = "c", AnyRoom = true, Match = dust }, EventType.Welcome);
        Check(ps[2].RoomName == "arena-1", "a join of any room by its match: " + ps[2].RoomName);
        Check(ps[0].ListRooms(null, null, dust) == Status.Ok, "a filtered listing asked for");
        Wait(ps, 0, EventType.Rooms);
        bool more;
        var rooms = ps[0].Rooms(out more);
        Check(rooms.Length == 1 && rooms[0].Name == "arena-1" && rooms[0].Capacity == 2 &&
              rooms[0].Props["map"] == "dust" && rooms[0].Open, "listed with its props and its size");
        Check(join(new Config { Room = "arean", Name = "d", Exists = true }, EventType.Disconnected).Code ==
              "no_such_room", "a room that must exist, refused");
        join(new Config { Room = "game", Name = "e", Open = false }, EventType.Welcome);
        Check(join(new Config { Room = "game", Name = "f" }, EventType.Disconnected).Code == "room_closed",
              "a closed room refused");
        Check(ps[2].SetRoom(false) == Status.Ok && Wait(ps, 2, EventType.Error).Code == "not_creator",
              "another member cannot close it");
        Check(!ps[2].RoomMine, "not the creator's");
        ps[0].Dispose(); // arena-1's creator leaves: c has it now, and is told
        ps.RemoveAt(0);
        var left = Wait(ps, 1, EventType.Left);
        Check(left.Name == "a" && left.Creator == ps[1].Player && ps[1].RoomMine,
              "the new creator told: " + left.Creator);
        var many = new Dictionary<string, string>();
        for (int i = 0; i < 9; i++)
            many["k" + i] = "v";
        Throws<ArgumentException>(() => Open(new Config { Port = relay.Port, Room = "x", Name = "g",
                                                                 Props = many }), "nine props");
        foreach (var s in ps)
            s.Dispose();
        relay.Stop();
    }

    /// <summary>A lobby lists the rooms others made, then joins one in the
    /// same session, over ENet and TCP; plain UDP has none, in words.</summary>
    static void Lobby()
    {
        var relay = new Relay(0, "--listen", "tcp://127.0.0.1:0");
        var ps = new List<Session>();
        foreach (var room in new[] { "arena-1", "arena-2" }) { // rooms others made
            ps.Add(Open("127.0.0.1", relay.Port, room, "maker" + ps.Count));
            Wait(ps, ps.Count - 1, EventType.Welcome);
        }
        foreach (var edge in new[] { "enet", "tcp" }) {
            var lobby = Open(new Config { Port = relay.Ports[edge], Name = "looker-" + edge, Lobby = true,
                                                 Mode = edge == "tcp" ? Mode.Tcp : Mode.Reliable });
            ps.Add(lobby);
            Check(lobby.ListRooms("arena-") == Status.Ok, edge + ": a lobby lists before joining");
            Wait(ps, ps.Count - 1, EventType.Rooms);
            bool more;
            var rooms = lobby.Rooms(out more);
            Check(Names(rooms) == "arena-1,arena-2" && !lobby.Joined, edge + ": the rooms others made: " +
                  Names(rooms));
            Check(lobby.Join(rooms[1].Name) == Status.Ok, edge + ": the click joins");
            Check(lobby.Join(rooms[1].Name) == Status.Unsupported, edge + ": once");
            Wait(ps, ps.Count - 1, EventType.Welcome);
            Check(lobby.RoomName == "arena-2", edge + ": in the room clicked: " + lobby.RoomName);
        }
        var e = Throws<Exception>(() => Open(new Config { Port = relay.Port, Name = "u", Lobby = true,
                                                                 Mode = Mode.Udp }), "a lobby over plain UDP");
        Check(e != null && e.Message.Contains("plain UDP lists only to members"), "no lobby over udp, in words");
        Check(ps[0].Join("arena-2") == Status.Unsupported, "a session joined at connect has no lobby");
        foreach (var p in ps)
            p.Dispose();
        relay.Stop();
    }

    /// <summary>A WebSocket member (Mode.Ws at the relay's ws edge, its port in
    /// RICOCHET_WS_PORT) beside an ENet one: states both ways, payloads byte
    /// for byte, an event each way, a kept event a WebSocket latecomer gets
    /// after its Welcome; and the WebSocket member's leave seen as a quit.</summary>
    static void OverWebSocket(ushort enetPort, ushort wsPort)
    {
        var w = Open(new Config { Port = wsPort, Room = "csws", Name = "w", Mode = Mode.Ws });
        var e = Open("127.0.0.1", enetPort, "csws", "e");
        var we = new[] { w, e };
        Func<List<GameEvent>[], bool> states = x =>
            x[0].Exists(v => v.Type == EventType.State && v.Id == e.Id && Encoding.ASCII.GetString(v.Data) == "p1") &&
            x[1].Exists(v => v.Type == EventType.State && v.Id == w.Id && Encoding.ASCII.GetString(v.Data) == "p0");
        Check(states(Play(we, 10000, states)), "ws: states both ways, payloads byte for byte");
        Check(w.Mode == Mode.Ws && w.Managed && w.SetMode(Mode.Reliable) == Status.Unsupported, "ws: its mode, managed");
        Check(w.SendEvent(e.Id, Encoding.ASCII.GetBytes("to e")) == Status.Ok &&
              e.SendEvent(Native.ToRoom, Encoding.ASCII.GetBytes("to w"), "flag", true) == Status.Ok, "ws: events sent");
        var evs = Play(we, 10000, x => Has(x[0], EventType.Event) && Has(x[1], EventType.Event));
        var toW = evs[0].Find(v => v.Type == EventType.Event);
        var toE = evs[1].Find(v => v.Type == EventType.Event);
        Check(toW.Id == e.Id && toW.Key == "flag" && Encoding.ASCII.GetString(toW.Data) == "to w", "ws: the ENet member's event");
        Check(toE.Id == w.Id && toE.Code == "direct" && Encoding.ASCII.GetString(toE.Data) == "to e", "ws: the WebSocket member's event");
        var late = Open(new Config { Port = wsPort, Room = "csws", Name = "late", Mode = Mode.Ws });
        var l = Play(new[] { late, w, e }, 10000, x => Has(x[0], EventType.Event));
        Check(l[0].Count > 0 && l[0][0].Type == EventType.Welcome && l[0].Exists(v => v.Type == EventType.Event &&
              v.Kept && v.Key == "flag" && Encoding.ASCII.GetString(v.Data) == "to w"), "ws: a latecomer's kept event");
        late.Dispose();
        w.Dispose();
        var left = Play(new[] { e }, 10000, x => x[0].Exists(v => v.Type == EventType.Left && v.Name == "w"));
        Check(left[0].Exists(v => v.Type == EventType.Left && v.Name == "w" && v.Code == "quit"), "ws: its leave a quit");
        e.Dispose();
    }

    /// <summary>README.md's "csharp frame" block (the guide's Net class) as
    /// written, built with Ricochet/*.cs and a driver of the test's that runs
    /// its Frame every 16 ms for 3 s in room "guide" while a player of the
    /// test's moves there: Net draws that player, between two of its states.</summary>
    static void GuideFrame(string csharp, ushort port)
    {
        string text = File.ReadAllText(Path.Combine(csharp, "README.md"));
        const string fence = "```csharp frame\n";
        int from = text.IndexOf(fence);
        Check(from >= 0, "the guide's frame block");
        if (from < 0)
            return;
        from += fence.Length;
        string block = text.Substring(from, text.IndexOf("```", from) - from);
        string dir = Path.Combine(Path.GetTempPath(), "cs-guide-" + Process.GetCurrentProcess().Id);
        Directory.CreateDirectory(dir);
        try {
            File.WriteAllText(Path.Combine(dir, "Net.cs"), block);
            File.WriteAllText(Path.Combine(dir, "Drive.cs"),
                "using System; using System.Diagnostics; using Ricochet;\n" +
                "static class Drive { static int Main(string[] a) {\n" +
                "  var net = new Net(\"127.0.0.1\", ushort.Parse(a[0]), \"guide\", \"g\");\n" +
                "  var clock = Stopwatch.StartNew(); string last = \"none\";\n" +
                "  while (clock.ElapsedMilliseconds < 3000 && !net.Over) {\n" +
                "    net.Frame(clock.ElapsedMilliseconds / 100f, 5, 7);\n" +
                "    foreach (var kv in net.Others) last = kv.Value.Kind + \" \" + (kv.Value.X > 0);\n" +
                "    System.Threading.Thread.Sleep(16); }\n" +
                "  Console.WriteLine(\"others \" + net.Others.Count + \" \" + last); net.Close(); return 0; } }\n");
            var binding = Directory.GetFiles(Path.Combine(csharp, "Ricochet"), "*.cs");
            var build = Process.Start("mcs", "-nologo -warnaserror -out:" + Path.Combine(dir, "drive.exe") + " " +
                                      Path.Combine(dir, "Net.cs") + " " + Path.Combine(dir, "Drive.cs") + " " +
                                      string.Join(" ", binding));
            build.WaitForExit();
            Check(build.ExitCode == 0, "the guide's block builds as written");
            if (build.ExitCode != 0)
                return;
            var info = new ProcessStartInfo("mono", Path.Combine(dir, "drive.exe") + " " + port);
            info.UseShellExecute = false;
            info.RedirectStandardOutput = true;
            var game = Process.Start(info);
            var mover = Open("127.0.0.1", port, "guide", "mover");
            var clock = Stopwatch.StartNew();
            while (!game.HasExited && clock.ElapsedMilliseconds < 20000) {
                GameEvent ev;
                while (mover.Poll(0, out ev)) { }
                mover.SendState(new State { X = 1 + clock.ElapsedMilliseconds / 50f, Y = 3, Vx = 20 });
                Thread.Sleep(30);
            }
            string said = game.StandardOutput.ReadToEnd().Trim();
            game.WaitForExit();
            mover.Dispose();
            Check(game.ExitCode == 0 && said == "others 1 Between True", "the guide's Net draws the mover: " + said);
        } finally {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>An event sent right before Dispose reaches the room, and so
    /// does the leave after it (ENet: the goodbye waits for what is on its
    /// way, as enet_peer_disconnect_later).</summary>
    static void LastWords(ushort port)
    {
        var hearer = new List<Session> { Open("127.0.0.1", port, "cs-last", "hearer") };
        Wait(hearer, 0, EventType.Welcome);
        using (var q = Open("127.0.0.1", port, "cs-last", "quitter")) {
            Check(Until(new[] { q }, () => q.Joined), "the quitter welcomed");
            Check(q.SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("last words")) == Status.Ok, "its last words sent");
        }
        var words = Wait(hearer, 0, EventType.Event);
        Check(Encoding.UTF8.GetString(words.Data) == "last words" && words.Name == "quitter",
              "the last words before a Dispose arrive");
        Check(Wait(hearer, 0, EventType.Left).Code == "quit", "then its leave, a quit");
        hearer[0].Dispose();
    }

    /// <summary>wss: a managed WebSocket in TLS (the platform's SslStream) at a
    /// relay's wss edge of a certificate of the test's own: refused unpinned
    /// (no one vouches for it), welcomed with Config.Pin its SHA-256, and
    /// playing with an ENet member of the same relay.</summary>
    static void OverTls()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cs-tls-" + Process.GetCurrentProcess().Id);
        Directory.CreateDirectory(dir);
        string cert = Path.Combine(dir, "cert.pem"), key = Path.Combine(dir, "key.pem");
        var gen = Process.Start("openssl", "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes " +
                                "-subj /CN=127.0.0.1 -days 1 -keyout " + key + " -out " + cert);
        gen.WaitForExit();
        Check(gen.ExitCode == 0, "wss: a certificate of the test's");
        var relay = new Relay(0, "--listen", "wss://127.0.0.1:0", "--tls-cert", cert, "--tls-key", key);
        string pin;
        using (var sha = System.Security.Cryptography.SHA256.Create())
            pin = BitConverter.ToString(sha.ComputeHash(
                new System.Security.Cryptography.X509Certificates.X509Certificate2(cert).GetRawCertData()))
                .Replace("-", "").ToLowerInvariant();
        var untrusted = Open(new Config { Port = relay.Ports["wss"], Room = "tls", Name = "u", Mode = Mode.Ws,
                                                 Tls = true });
        var end = ToTheEnd(untrusted, 5000);
        Check(end.Count > 0 && !end.Exists(e => e.Type == EventType.Welcome), "wss: unpinned, not welcomed: " +
              untrusted.EndReason);
        untrusted.Dispose();
        var w = Open(new Config { Port = relay.Ports["wss"], Room = "tls", Name = "w", Mode = Mode.Ws,
                                         Tls = true, Pin = pin });
        var e2 = Open("127.0.0.1", relay.Port, "tls", "e");
        Func<List<GameEvent>[], bool> states = x =>
            x[0].Exists(v => v.Type == EventType.State && v.Id == e2.Id && Encoding.ASCII.GetString(v.Data) == "p1") &&
            x[1].Exists(v => v.Type == EventType.State && v.Id == w.Id && Encoding.ASCII.GetString(v.Data) == "p0");
        Check(states(Play(new[] { w, e2 }, 10000, states)), "wss: pinned, states both ways");
        w.Dispose();
        e2.Dispose();
        relay.Stop();
        Directory.Delete(dir, true);
    }

    /// <summary>A welcome longer than a datagram (over ENet the relay sends
    /// it in fragments, which the session joins): twelve members of 32-byte
    /// names, each with a state, all in a joiner's roster.</summary>
    static void BigWelcome(ushort port)
    {
        var ps = new List<Session>();
        for (int i = 0; i < 12; i++) {
            ps.Add(Open("127.0.0.1", port, "cs-big", "member-" + i.ToString("D2") + new string('x', 23)));
            Wait(ps, i, EventType.Welcome);
            ps[i].SendState(new State { X = i, Y = i, Vx = 1.25f, Vy = -2.5f, Heading = 0.5f });
        }
        Thread.Sleep(200);
        ps.Add(Open("127.0.0.1", port, "cs-big", "joiner"));
        Wait(ps, 12, EventType.Welcome);
        var members = ps[12].Members();
        Check(members.Length == 12 && Array.TrueForAll(members, m => m.Name.Length == 32 && m.HasState &&
                                                       m.State.Vy == -2.5f),
              "a welcome of twelve 32-byte names and their states, whole: " + members.Length);
        foreach (var s in ps)
            s.Dispose();
    }

    static void RelaysOfItsOwn()
    {
        var relay = new Relay(0);
        using (var s = Open(new Config { Port = relay.Port, Room = "gone", Name = "g", TimeoutMs = 1000 })) {
            Check(Has(Play(new[] { s }, 5000, e => Has(e[0], EventType.Welcome))[0], EventType.Welcome),
                  "welcomed by a relay of its own");
            relay.Stop();
            var evs = Play(new[] { s }, 5000, e => Has(e[0], EventType.Disconnected))[0];
            Check(Has(evs, EventType.Disconnected) && s.Ended, "a relay gone: Disconnected");
        }

        relay = new Relay(0);
        ushort port = relay.Port;
        var a = Open(new Config { Port = port, Room = "again", Name = "a", RejoinMs = 15000, RejoinAfterMs = 500 });
        var b = Open(new Config { Port = port, Room = "again", Name = "b", RejoinMs = 15000, RejoinAfterMs = 500 });
        var ab = new[] { a, b };
        Func<List<GameEvent>[], bool> states = e => Has(e[0], EventType.State) && Has(e[1], EventType.State);
        Check(states(Play(ab, 10000, states)), "a and b play");
        string[] keys = { a.Key, b.Key }, players = { a.Player, b.Player };
        Check(keys[0].Length == 32 && players[0].Length == 16 && keys[0] != keys[1],
              "a key and a player id each");
        Check(a.FindMember(b.Id).Player == players[1], "the others see my player id, never my key");
        relay.Stop();
        Thread.Sleep(300);
        relay = new Relay(port);
        Func<List<GameEvent>[], bool> back = e => states(e) && Has(e[0], EventType.Welcome) && Has(e[1], EventType.Welcome)
            && Has(e[0], EventType.Rejoined) && Has(e[1], EventType.Rejoined);
        var again = Play(ab, 20000, back);
        for (int i = 0; i < 2; i++) {
            var x = again[i];
            int moved = x.FindIndex(e => e.Type == EventType.Moved), welcome = x.FindIndex(e => e.Type == EventType.Welcome);
            Check(moved >= 0 && x[moved].Code == "rejoin" &&
                  x[moved].Text == "127.0.0.1:" + (overWs ? wsOf[port] : port) && moved < welcome,
                  "the relay restarted: Moved rejoin, then Welcome");
            Check(x.FindAll(e => e.Type == EventType.Moved).Count == 1, "one Moved a move");
            Check(!Has(x, EventType.Disconnected), "the session outlived its relay");
            Check(!Has(x, EventType.Left) && !Has(x, EventType.Joined), "the other back: not Left then Joined");
            Check(ab[i].Key == keys[i] && ab[i].Player == players[i], "the same key and player");
            var rejoined = x.Find(e => e.Type == EventType.Rejoined);
            Check(ab[i].PlayerOf(rejoined.Id) == players[1 - i], "Rejoined: the other's player");
        }
        Check(back(again) && a.Joined && b.Joined && a.Members().Length == 1 && a.Members()[0].Name == "b",
              "back in the room together");
        a.Dispose();
        b.Dispose();
        relay.Stop();

        string dir = Path.Combine(Path.GetTempPath(), "cs-ticket-" + Process.GetCurrentProcess().Id);
        Directory.CreateDirectory(dir);
        string key = Path.Combine(dir, "backend.key");
        string tool = Path.Combine(Environment.GetEnvironmentVariable("RICOCHET_BIN"), "ricochet-ticket");
        Run(tool, "keygen " + key);
        relay = new Relay(0, "--ticket-key", key, "--encrypt");
        var ta = Open(new Config { Port = relay.Port, Ticket = Run(tool, "mint --key " + key + " --room vip --name ana") });
        // minted by a call, as a backend does, then read from a file, its newline too
        var tb = Open(new Config { Port = relay.Port, Ticket = Tickets.Mint(key, "vip", "bo", ttlS: 300) + "\n" });
        var bad = Throws<ArgumentException>(() => Tickets.Mint(key, "v i p", "bo"), "a bad room");
        Check(bad != null && bad.Message.Contains("room"), "Tickets.Mint: a bad room, said so: " + (bad == null ? "" : bad.Message));
        bad = Throws<ArgumentException>(() => Tickets.Mint(Path.Combine(dir, "none.key"), "vip", "bo"), "no key file");
        Check(bad != null && bad.Message.Contains("none.key"), "Tickets.Mint: no key file, said so");
        var plain = Open("127.0.0.1", relay.Port, "vip", "eve");
        var t = Play(new[] { ta, tb, plain }, 10000, e => Has(e[0], EventType.State) && Has(e[2], EventType.Disconnected));
        var st = t[0].Find(e => e.Type == EventType.State);
        Check(ta.Sealed && tb.Sealed && ta.FindMember(tb.Id) != null && ta.FindMember(tb.Id).Name == "bo" &&
              st.Data != null && Encoding.ASCII.GetString(st.Data) == "p1", "tickets: admitted, sealed, playing");
        Check(t[2].Count > 0 && t[2][t[2].Count - 1].Code == "ticket_required", "no ticket: ticket_required");
        ta.Dispose();
        tb.Dispose();
        plain.Dispose();
        relay.Stop();
        Directory.Delete(dir, true);
    }

    /// <summary>A poll member (Transport.Poll at the relay's poll edge,
    /// long polling with the default wait and a shorter one, then short
    /// polling) and an ENet member in one room: states both ways, payloads
    /// byte for byte, and an event each way.</summary>
    static void OverHttpPolling()
    {
        var relay = new Relay(0, "--listen", "poll://127.0.0.1:0");
        var ways = new[] { new Config(), new Config { PollWaitMs = 2000 }, new Config { PollIntervalMs = 50 } };
        for (int n = 0; n < ways.Length; n++) {
            var c = ways[n];
            string room = "http" + n, how = "polling " + (c.PollIntervalMs != 0 ? "short" : "long, wait " + c.PollWaitMs);
            c.Port = relay.Ports["poll"];
            c.Room = room;
            c.Name = "p" + n;
            c.Mode = Mode.Tcp;
            c.Transport = Transport.Poll;
            var e = Open("127.0.0.1", relay.Port, room, "e" + n);
            var p = Open(c);
            var ep = new[] { e, p };
            Check(p.Transport == Transport.Poll && p.Mode == Mode.Tcp, how + ": its transport and mode");
            Func<List<GameEvent>[], bool> states = x =>
                x[0].Exists(v => v.Type == EventType.State && v.Id == p.Id && v.Data != null && Encoding.ASCII.GetString(v.Data) == "p1") &&
                x[1].Exists(v => v.Type == EventType.State && v.Id == e.Id && v.Data != null && Encoding.ASCII.GetString(v.Data) == "p0");
            Check(states(Play(ep, 15000, states)), how + ": states both ways, payloads byte for byte");
            Check(e.SendEvent(p.Id, Encoding.ASCII.GetBytes("to the poller")) == Status.Ok &&
                  p.SendEvent(Native.ToRoom, new byte[] { 0, 7, 255 }) == Status.Ok, how + ": events sent");
            var evs = Play(ep, 15000, x => Has(x[0], EventType.Event) && Has(x[1], EventType.Event));
            var toP = evs[1].Find(v => v.Type == EventType.Event);
            var toE = evs[0].Find(v => v.Type == EventType.Event);
            Check(toP.Id == e.Id && toP.Code == "direct" && toP.Data != null &&
                  Encoding.ASCII.GetString(toP.Data) == "to the poller", how + ": the poll member's event");
            Check(toE.Id == p.Id && toE.Code == "room" && toE.Name == "p" + n && toE.Data != null &&
                  Convert.ToBase64String(toE.Data) == "AAf/", how + ": the ENet member's event");
            e.Dispose();
            p.Dispose();
        }
        relay.Stop();
    }

    const string Written = "Host = \"127.0.0.1\", Port = 7777,";

    /// <summary>README.md's example as written, in a folder of its own, only
    /// the relay's port changed: built with mcs with Ricochet/*.cs and run
    /// with mono; player(lines) is called every 20 ms while it runs. Its exit
    /// code; its output in lines.</summary>
    static int RunExample(string csharp, ushort port, List<string> lines, Action<List<string>> player)
    {
        string text = File.ReadAllText(Path.Combine(csharp, "README.md"));
        int from = text.IndexOf("```csharp\n") + 10;
        string example = text.Substring(from, text.IndexOf("```", from) - from);
        Check(example.Contains(Written), "the example names its relay");
        string dir = Path.Combine(Path.GetTempPath(), "cs-readme-" + Process.GetCurrentProcess().Id + "-" + port);
        Directory.CreateDirectory(dir);
        try {
            File.WriteAllText(Path.Combine(dir, "Game.cs"),
                              example.Replace(Written, "Host = \"127.0.0.1\", Port = " + port + ","));
            var binding = Directory.GetFiles(Path.Combine(csharp, "Ricochet"), "*.cs"); // Ricochet/*.cs
            var build = Process.Start("mcs", "-nologo -warnaserror -out:" + Path.Combine(dir, "game.exe") + " " +
                                      Path.Combine(dir, "Game.cs") + " " + string.Join(" ", binding));
            build.WaitForExit();
            Check(build.ExitCode == 0, "the example builds as written");
            if (build.ExitCode != 0)
                return -1;
            var info = new ProcessStartInfo("mono", Path.Combine(dir, "game.exe"));
            info.UseShellExecute = false;
            info.RedirectStandardOutput = true;
            var game = Process.Start(info);
            game.OutputDataReceived += (o, e) => { if (e.Data != null) lock (lines) lines.Add(e.Data); };
            game.BeginOutputReadLine();
            var clock = Stopwatch.StartNew();
            while (!game.HasExited && clock.ElapsedMilliseconds < 30000) {
                if (player != null)
                    lock (lines) player(lines);
                Thread.Sleep(20);
            }
            game.WaitForExit();
            return game.ExitCode;
        } finally {
            Directory.Delete(dir, true);
        }
    }

    static void ReadmeExample(string csharp, ushort port)
    {
        Session bo = null;
        var seen = new List<GameEvent>();
        uint boId = 0;
        var lines = new List<string>();
        int code = RunExample(csharp, port, lines, l => {
            if (bo == null && l.Exists(x => x.StartsWith("joined as ")))
                bo = Open("127.0.0.1", port, "lobby", "bo");
            if (bo == null || bo.Ended)
                return;
            GameEvent ev;
            while (!bo.Ended && bo.Poll(0, out ev)) {
                seen.Add(ev);
                if (ev.Type == EventType.Welcome) {
                    boId = ev.Id;
                    bo.SendEvent(Native.ToRoom, Encoding.UTF8.GetBytes("hi cs"));
                }
            }
            bo.SendState(new State { X = 7, Y = 8 }, new byte[] { 1, 2 });
        });
        string all = string.Join("\n", lines);
        Check(code == 0 && bo != null, "the README's example ran with another player: " + all);
        // the example's leave reaches bo after the example's last line
        var until = DateTime.UtcNow.AddSeconds(5);
        while (bo != null && !bo.Ended && DateTime.UtcNow < until
               && !seen.Exists(e => e.Type == EventType.Left)) {
            GameEvent late;
            if (bo.Poll(100, out late))
                seen.Add(late);
        }
        Check(lines.Exists(x => x.StartsWith("joined as ")), "the example joined");
        Check(lines.Contains("state of " + boId + " 7 8 01-02"), "the example saw bo's states and payload");
        Check(lines.Contains("event from bo hi cs"), "the example saw bo's event");
        Check(lines.Exists(x => x.StartsWith("bo received ") && x.EndsWith(" lost 0")), "the example's members");
        var st = seen.FindLast(e => e.Type == EventType.State);
        Check(st.Data != null && Convert.ToBase64String(st.Data) == Convert.ToBase64String(new byte[] { 255, 0, 0 }),
              "bo saw the example's payload");
        var evs = seen.FindAll(e => e.Type == EventType.Event);
        Check(evs.Count == 1 && evs[0].Name == "cs" && Encoding.UTF8.GetString(evs[0].Data) == "hello bo",
              "bo was greeted");
        Check(seen.Exists(e => e.Type == EventType.Left && e.Name == "cs"), "the example left when it was done");
        if (bo != null)
            bo.Dispose();

        lines.Clear();
        ushort none = FreePort(false);
        code = RunExample(csharp, none, lines, null);
        const string words = "nothing listens at 127.0.0.1:{0} (expected: a relay's enet edge); start " +
                             "ricochet-relay --listen enet://127.0.0.1:{0} there, or give its enet edge's address";
        Check(File.ReadAllText(Path.Combine(csharp, "README.md")).Contains("`over: refused " +
                                                                          string.Format(words, 7777) + "`"),
              "the README shows the words");
        string said = string.Format(words, none);
        Check(code == 0 && lines.Count == 2 && lines[0] == "over: refused " + said &&
              lines[1] == "ended: " + said + " (refused)",
              "with no relay: the README's words: " + string.Join("\n", lines));
    }

    /// <summary>A lobby that stays: one that watches the rooms (WatchRooms)
    /// is open 60 s later at the relay's defaults (its join timeout 2 s, its
    /// idle bound 30 s: the library pings), is told of a room made then
    /// within a second (RoomsChanged), and once it ends its watch is closed
    /// at the join timeout; WatchRooms is a lobby's. RICOCHET_LOBBY_HOLD_S
    /// shortens the 60 s while developing.</summary>
    static void LobbyThatStays()
    {
        var hold = Environment.GetEnvironmentVariable("RICOCHET_LOBBY_HOLD_S");
        int holdMs = (int)(1000 * (hold != null ? double.Parse(hold) : 60));
        var relay = new Relay(0);
        var lobby = Open(new Config { Port = relay.Port, Name = "looker", Lobby = true });
        var pages = new List<Room[]>();
        lobby.RoomsChanged += (rooms, more) => pages.Add(rooms);
        Check(lobby.WatchRooms("w-") == Status.Ok, "a lobby watches (sent once connected)");
        GameEvent ev;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (pages.Count == 0 && sw.ElapsedMilliseconds < 5000)
            lobby.Poll(10, out ev);
        Check(pages.Count == 1 && pages[0].Length == 0 && lobby.Watching, "the first page, watched");
        bool ended = false;
        sw.Restart();
        while (!ended && sw.ElapsedMilliseconds < holdMs)
            if (lobby.Poll(20, out ev) && ev.Type == EventType.Disconnected)
                ended = true;
        Check(!ended && lobby.Watching, "open after " + holdMs + " ms: " + lobby.EndReason);
        var maker = Open("127.0.0.1", relay.Port, "w-late", "maker");
        sw.Restart();
        bool told = false;
        while (!told && sw.ElapsedMilliseconds < 3000) {
            maker.Poll(0, out ev);
            lobby.Poll(10, out ev);
            foreach (var page in pages)
                told |= Names(page) == "w-late";
        }
        Check(told && sw.ElapsedMilliseconds < 1500, "told of w-late in " + sw.ElapsedMilliseconds + " ms");
        Check(lobby.WatchRooms("w-", null, false) == Status.Ok, "the watch ended");
        sw.Restart();
        string code = "";
        while (code == "" && sw.ElapsedMilliseconds < 5000)
            if (lobby.Poll(20, out ev) && ev.Type == EventType.Disconnected)
                code = ev.Code;
        Check(code == "not_joined", "closed at the join timeout once it watches no more: " + code);
        Check(maker.WatchRooms("") == Status.Unsupported, "joined at connect: no lobby to watch");
        Throws<ArgumentException>(() => maker.WatchRooms("a b"), "a bad prefix");
        lobby.Dispose();
        maker.Dispose();
        relay.Stop();
    }

    static int Main(string[] args)
    {
        var wsPort = Environment.GetEnvironmentVariable("RICOCHET_WS_PORT");
        if (overWs && wsPort != null && args.Length > 1 && args[0] == "--resume")
            wsOf[ushort.Parse(args[1])] = ushort.Parse(wsPort);
        else if (overWs && wsPort != null && args.Length > 0 && args[0] != "--no-library")
            wsOf[ushort.Parse(args[0])] = ushort.Parse(wsPort);
        if (args.Length > 0 && args[0] == "--resume")
            return Resume(args);
        if (args.Length > 0 && args[0] == "--no-library") {
            var e = Throws<DllNotFoundException>(() => Open("127.0.0.1", 7777, "r", "n", Mode.Udp),
                                                "no library for plain UDP, an edge only it speaks");
            foreach (var words in new[] { "libricochet not found", "DllImport(\"ricochet\")", "LD_LIBRARY_PATH (",
                                          "ldconfig", "beside the game" })
                Check(e != null && e.Message.Contains(words), "the message says " + words + ": " + (e == null ? "" : e.Message));
            Console.WriteLine(passed + " passed, " + failed + " failed");
            return failed == 0 ? 0 : 1;
        }
        ushort port = ushort.Parse(args[0]);
        Check(Marshal.SizeOf(typeof(NativeEvent)) == 352, "NativeEvent is ricochet_event's 352 bytes");
        Check(Marshal.SizeOf(typeof(State)) == 40, "State is 40 bytes");
        Check(Marshal.SizeOf(typeof(NativeMember)) == 184, "NativeMember is ricochet_member's 184 bytes");
        Check(Marshal.OffsetOf(typeof(NativeMember), "Last") == (IntPtr)48, "NativeMember's state at 48");
        Check(Marshal.SizeOf(typeof(Stats)) == 88, "Stats is 88 bytes");
        Check(Marshal.SizeOf(typeof(Clock)) == 24, "Clock is 24 bytes");
        Check(Marshal.SizeOf(typeof(NativeLockstep)) == 28, "NativeLockstep is ricochet_lockstep's 28 bytes");
        Check(Marshal.SizeOf(typeof(Distribution)) == 48, "Distribution is 48 bytes");
        Check(Marshal.SizeOf(typeof(NativeRoom)) == 44, "NativeRoom is ricochet_room's 44 bytes");
        Check(Marshal.SizeOf(typeof(InterpPoint)) == 20, "InterpPoint is ricochet_interp_point's 20 bytes");
        if (!noLibrary)
            Check(Native.Version().StartsWith("1."), "the library's version");
        Interpolation();
        LockstepSkipForgets();
        LockstepClockSteps();
        TwoSessions(port);
        KeptEvents(port);
        LastWords(port);
        BigWelcome(port);
        PlayerKey(port);
        RoomView(port);
        ReadmeExample(args.Length > 1 ? args[1] : "client/csharp", port);
        BadNames();
        NoRelay();
        GuideFrame(args.Length > 1 ? args[1] : "client/csharp", port);
        var ws = Environment.GetEnvironmentVariable("RICOCHET_WS_PORT");
        if (ws != null)
            OverWebSocket(port, ushort.Parse(ws));
        else
            Console.WriteLine("skipped: a WebSocket member (RICOCHET_WS_PORT)");
        if (Environment.GetEnvironmentVariable("RICOCHET_BIN") != null) {
            RelaysOfItsOwn();
            OverTls();
            if (!noLibrary) // an edge only libricochet speaks
                OverHttpPolling();
            RoomsToList();
            Lobby();
            LobbyThatStays();
            RoomsWithProperties();
            RoomFile();
            RoomScript(args.Length > 1 ? args[1] : "client/csharp");
            if (!noLibrary || overWs) // the managed ENet players play in the first run already
                LockstepPlay();
            if (!noLibrary) // its fleet's watcher polls over HTTP; the managed sessions are the same both runs
                Referee(args.Length > 1 ? args[1] : "client/csharp");
        } else
            Console.WriteLine("skipped: relays of its own (RICOCHET_BIN)");
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
