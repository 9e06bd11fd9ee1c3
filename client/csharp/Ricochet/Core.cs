// Core.cs: a managed session, the protocol above its link (PROTOCOL.md:
// the join with its cookie, a ticket's sealed session, the welcome and the
// room's notices, states and events, kept events, rooms listed and watched,
// rooms with properties and owners, players who come back, clock offsets,
// a lost relay's rejoin and a fleet's moved), the events it makes queued
// for Session.Poll. What libricochet's client_*.c do, for the edges a
// managed program speaks itself: ENet, TCP and WebSocket (plain or TLS).
// One thread at a time; nothing allocated per state once warm (a state's
// payload goes to the caller's buffer: Session.Poll's overload).
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ricochet
{
    internal sealed class Core
    {
        enum Phase { Connecting, Joining, Joined, Lobby, Dead }

        static readonly string[] ErrorNames = {
            "", "bad_json", "missing_field", "bad_field", "unknown_type", "bad_name", "bad_room", "not_joined",
            "already_joined", "room_full", "too_many_rooms", "server_full", "bad_state", "bad_version", "too_big",
            "rate_limited", "kicked", "shutting_down", "slow_reader", "ticket_required", "ticket_expired",
            "ticket_wrong_relay", "ticket_tampered", "ticket_replayed", "ticket_malformed",
            "directory_unavailable", "moved", "no_member", "throttled", "listing_off", "no_such_room",
            "room_closed", "not_creator", "not_owner", "script_refused", "script_error", "replaced"
        };
        static readonly HashSet<string> Ending = new HashSet<string> {
            "server_full", "kicked", "shutting_down", "slow_reader", "ticket_required", "ticket_expired",
            "ticket_wrong_relay", "ticket_tampered", "ticket_replayed", "ticket_malformed",
            "directory_unavailable", "moved", "replaced"
        };

        readonly Config cfg;
        Link link;
        Phase phase = Phase.Connecting;
        string host;          // the relay now (a fleet moves it)
        ushort port;
        // where rejoins go: where the session started, then Config.Relays in turn
        readonly string[] entryHosts;
        readonly ushort[] entryPorts;
        int entry, attempts;  // the entry the next rejoin goes through; attempts of this rejoin
        long hopAtUs;         // a rejoin's next attempt waits until then (0: none waits)
        public Mode mode;
        readonly long timeoutUs, rejoinUs, rejoinAfterUs;
        long joinStartedUs, sentUs, lastControlUs, lostUs, nextJoinUs, joinWaitUs;
        string cookie = "";
        bool cookieEchoed;
        public uint id;
        public string roomName, key = "", player = "";
        string lostRelay = "";
        int epoch;
        bool wasJoined;
        // the end
        string deadCode = "", deadText = "", deadWhy = "", farewellCode = "", farewellText = "";
        string clearCode = "", clearText = "";
        string lastErrorCode = "", lastErrorText = ""; // the relay's last error, which a stream's close follows
        bool finalQueued, failAfter;
        string failCode, failText;
        // a ticket: its claims, the pass, this join's nonce; the sealed session's keys
        readonly TicketClaims ticket;
        byte[] joinNonce;
        Seal seal;
        // states out
        uint seq;
        readonly byte[] stateBuf = new byte[1200], boxBuf = new byte[65536 + 64], openBuf = new byte[65536];
        // members, by id; players away after a hop, by player id
        public readonly Dictionary<uint, MemberState> members = new Dictionary<uint, MemberState>();
        readonly Dictionary<string, long> away = new Dictionary<string, long>();
        readonly Dictionary<string, uint> awayWas = new Dictionary<string, uint>(); // their ids then
        readonly List<uint> leaving = new List<uint>();
        // the room as it is
        public string owner = "";
        public Dictionary<string, string> props = new Dictionary<string, string>();
        public bool open = true, listed = true, mine;
        public uint size;
        public float aoi;
        public string leftCreator = "";
        // listings
        public Room[] rooms = new Room[0];
        public bool roomsMore, watching;
        bool wantWatch, watchAsked;
        string listPrefix, listAfter;
        Dictionary<string, string> listMatch;
        bool listPending;
        // clock offsets
        public readonly ClockSync clock = new ClockSync();
        long nextPingUs;
        readonly Random jitter = new Random();
        int pings;
        // figures
        public readonly Histogram latency = new Histogram(), rtt = new Histogram();
        // a lockstep room, from the welcome (null: a room of states)
        public LockstepRoom lockstep;
        public Stats rttStats = new Stats();
        // events for Poll; a state's or an event's bytes in data (one at a time: see Take)
        readonly Queue<Pending> queue = new Queue<Pending>();
        struct Pending { public GameEvent Ev; public byte[] Bytes; public int Len; }
        readonly Stack<byte[]> spare = new Stack<byte[]>();
        public long inputs;

        public Core(Config c, IPAddress address, TicketClaims claims)
        {
            cfg = c;
            ticket = claims;
            host = c.Host;
            port = c.Port;
            var relays = c.Relays ?? new string[0];
            entryHosts = new string[1 + relays.Length];
            entryPorts = new ushort[1 + relays.Length];
            entryHosts[0] = c.Host;
            entryPorts[0] = c.Port;
            for (int i = 0; i < relays.Length; i++)
                SplitHostPort(relays[i], out entryHosts[1 + i], out entryPorts[1 + i]);
            mode = c.Mode;
            roomName = claims != null ? claims.Room : c.Room ?? "";
            key = c.Key ?? "";
            timeoutUs = (c.TimeoutMs != 0 ? c.TimeoutMs : 5000) * 1000L;
            rejoinUs = c.RejoinMs * 1000L;
            rejoinAfterUs = (c.RejoinAfterMs != 0 ? c.RejoinAfterMs : 1500) * 1000L;
            Open(address);
        }

        public bool Channels { get { return link is EnetLink; } }
        public bool Joined { get { return phase == Phase.Joined; } }
        public bool Sealed { get { return seal != null; } }
        public string RelayHost { get { return host; } }
        public ushort RelayPort { get { return port; } }
        public bool Dead { get { return phase == Phase.Dead; } }
        public string EndReason { get { return phase == Phase.Dead ? deadWhy : ""; } }
        public int Handle { get { return link is EnetLink ? 1 : 2; } }

        // ---- the link ----

        void Open(IPAddress address)
        {
            var ep = new IPEndPoint(address, port);
            phase = cfg.Lobby && id == 0 && !wasJoined ? Phase.Connecting : Phase.Connecting;
            joinStartedUs = Clock.NowUs();
            cookie = "";
            cookieEchoed = false;
            seal = null;
            joinNonce = null;
            long quiet = Math.Min(timeoutUs / 2, rejoinUs > 0 ? rejoinAfterUs / 3 : long.MaxValue);
            try {
                if (mode == Mode.Tcp || mode == Mode.Ws)
                    link = new StreamLink(this, ep, host, mode == Mode.Ws, cfg.Tls, cfg.Pin);
                else
                    link = new EnetLink(this, ep, timeoutUs, quiet);
            } catch (SocketException e) {
                link = null;
                LinkLost(e.SocketErrorCode == SocketError.ConnectionRefused ? "refused" : "disconnected", e.Message, 0);
            }
        }

        string Edge { get { return mode == Mode.Tcp ? "tcp" : mode == Mode.Ws ? (cfg.Tls ? "wss" : "ws") : "enet"; } }

        string NoRelayText(string what)
        {
            string addr = (host.Contains(":") ? "[" + host + "]" : host) + ":" + port, edge = Edge;
            return what + " at " + addr + " (expected: a relay's " + edge + " edge); start ricochet-relay --listen " +
                   edge + "://" + addr + " there, or give its " + edge + " edge's address";
        }

        public void LinkUp()
        {
            if (phase != Phase.Connecting)
                return;
            if (cfg.Lobby && !wasJoined && id == 0 && string.IsNullOrEmpty(cfg.Room)) {
                phase = Phase.Lobby;
                lostUs = 0; // a lobby that rejoined watches again
                if (listPending)
                    SendRooms();
                return;
            }
            phase = Phase.Joining;
            SendJoin();
        }

        /// <summary>The link ended: code a local one (refused, timeout,
        /// disconnected) or, with data, the relay's number for it.</summary>
        public void LinkLost(string code, string text, int data)
        {
            if (phase == Phase.Dead)
                return;
            if (farewellCode.Length > 0) {
                GoDead(farewellCode, farewellText);
                return;
            }
            if (clearCode.Length > 0 && data == 0) {
                GoDead(clearCode, clearText);
                return;
            }
            if (data > 0 && data < ErrorNames.Length) {
                GoDead(ErrorNames[data], null);
                return;
            }
            if (code == "disconnected" && lastErrorCode.Length > 0 && link is StreamLink) {
                GoDead(lastErrorCode, lastErrorText); // a stream's relay says why, then closes
                return;
            }
            if (code == "refused") {
                GoDead(code, NoRelayText("nothing listens"));
                return;
            }
            if (code == "timeout")
                text = phase == Phase.Connecting ? NoRelayText("no answer in " + timeoutUs / 1000 + " ms")
                                                 : "the relay went silent";
            GoDead(code, text ?? (phase == Phase.Joined ? "the relay closed the connection" : "the relay closed the connection before the welcome"));
        }

        void GoDead(string code, string text)
        {
            if (phase == Phase.Dead)
                return;
            if (Rejoin(code))
                return;
            int n = Array.IndexOf(ErrorNames, code);
            if (n > 0) {
                string msg = string.IsNullOrEmpty(text) ? ErrorText(code) : text;
                deadWhy = "relay " + (phase == Phase.Joined ? "ended the session" : "refused the join") + ": " + code +
                          " (" + msg + ")";
            } else
                deadWhy = text + " (" + code + ")";
            deadCode = code;
            deadText = text ?? "";
            phase = Phase.Dead;
            if (link != null)
                link.Close();
        }

        static string ErrorText(string code)
        {
            return code == "shutting_down" ? "the relay is shutting down" : code == "kicked" ? "kicked by the relay"
                 : code == "server_full" ? "the relay is full" : "no reason given";
        }

        // ---- a lost relay, and a fleet's moved ----

        static readonly string[] LostCodes = { "timeout", "disconnected", "refused", "shutting_down",
                                               "directory_unavailable", "moved", "moved_too_far" };

        /// <summary>"host:port" or "[v6]:port" (Config.Relays) into its parts;
        /// ArgumentException for anything else.</summary>
        internal static void SplitHostPort(string text, out string h, out ushort p)
        {
            int colon = text == null ? -1 : text.LastIndexOf(':');
            h = colon > 0 ? text.Substring(0, colon).Trim('[', ']') : "";
            if (h.Length == 0 || !ushort.TryParse(text.Substring(colon + 1), out p) || p == 0)
                throw new System.ArgumentException("Relays: \"" + text + "\" is not HOST:PORT (a port 1-65535)");
        }

        static string HostPort(string h, ushort p)
        {
            return (h.Contains(":") ? "[" + h + "]" : h) + ":" + p;
        }

        /// <summary>A relay lost (code one of LostCodes) after a welcome, or by a
        /// lobby that watches, within the rejoin window: the join again through
        /// the address the session started from, or if that is the relay lost or
        /// an attempt through it failed the next of Config.Relays, in turn, after
        /// a pause that doubles from 250 ms to a second (none after a silence);
        /// libricochet's client_rejoin.</summary>
        bool Rejoin(string code)
        {
            long now = Clock.NowUs();
            bool lobby = cfg.Lobby && wantWatch && !wasJoined;
            if (rejoinUs == 0 || !(wasJoined || lobby) || Array.IndexOf(LostCodes, code) < 0 ||
                lostUs != 0 && now - lostUs > rejoinUs)
                return false;
            bool fresh = lostUs == 0;
            string here = HostPort(host, port), through = HostPort(entryHosts[entry], entryPorts[entry]);
            if (fresh) {
                lostUs = now;
                attempts = 0;
            }
            // the join names the relay lost: the one it was on, unless that is
            // the entry it came through and one is named already (a refusal there)
            if (!lobby && (here != through || lostRelay.Length == 0))
                lostRelay = here;
            if (!fresh || here == through)
                entry = (entry + 1) % entryHosts.Length;
            if (lobby) { // its watch asked again once connected
                listPending = watchAsked = true;
                listAfter = "";
                watching = false;
            }
            long pause = fresh && code == "timeout" ? 0 : Math.Min(250000L << Math.Min(attempts, 3), 1000000L);
            attempts++;
            if (fresh)
                Hop(entryHosts[entry], entryPorts[entry], "rejoin", pause);
            else
                Later(entryHosts[entry], entryPorts[entry], pause);
            return true;
        }

        /// <summary>To another relay (a move) or the first again (a rejoin): one
        /// Moved event, the members away by player until they are back.</summary>
        void Hop(string toHost, ushort toPort, string why, long pauseUs = 0)
        {
            foreach (var m in members.Values)
                if (m.Player.Length > 0) {
                    away[m.Player] = 0;
                    awayWas[m.Player] = m.Id;
                }
            members.Clear();
            var moved = new GameEvent(EventType.Moved, id, mode, new State(), "", why);
            moved.text = toHost + ":" + toPort;
            Queue(moved, null, 0);
            Later(toHost, toPort, pauseUs);
        }

        /// <summary>The link to toHost:toPort, pauseUs from now.</summary>
        void Later(string toHost, ushort toPort, long pauseUs)
        {
            host = toHost;
            port = toPort;
            if (pauseUs == 0) {
                Reconnect();
                return;
            }
            if (link != null)
                link.Close();
            link = null;
            phase = Phase.Connecting;
            hopAtUs = Clock.NowUs() + pauseUs;
            joinStartedUs = hopAtUs; // its deadline counts from the attempt
        }

        void Reconnect()
        {
            if (link != null)
                link.Close();
            link = null;
            IPAddress a;
            try {
                a = Session.Resolve(host);
            } catch (Exception) {
                a = null;
            }
            phase = Phase.Connecting;
            if (a == null) {
                joinStartedUs = Clock.NowUs();
                return; // tried again at the deadline
            }
            Open(a);
        }

        // ---- sending ----

        readonly StringBuilder sb = new StringBuilder(1024);
        byte[] ctl = new byte[4096];

        /// <summary>A control message (sb, a JSON object), padded to min
        /// bytes, sealed in a sealed session.</summary>
        bool SendControl(int min = 0)
        {
            sb.Append('}');
            if (sb.Length < min) {
                sb.Length--;
                sb.Append(",\"pad\":\"").Append('x', Math.Max(0, min - sb.Length - 2)).Append("\"}");
            }
            string text = sb.ToString();
            sb.Length = 0;
            int n = Encoding.UTF8.GetBytes(text, 0, text.Length, ctl, 0);
            sentUs = lastControlUs = Clock.NowUs();
            if (link == null)
                return false;
            if (seal != null) {
                int m = seal.Box(Seal.LaneControl, ctl, 0, n, boxBuf, 0);
                return link.SendControl(boxBuf, 0, m);
            }
            return link.SendControl(ctl, 0, n);
        }

        int ControlMin { get { return link is EnetLink && !cookieEchoed ? 64 : 0; } }

        void SendJoin()
        {
            Json.Field(sb, "type", "join");
            Json.Field(sb, "version", 3);
            if (ticket != null) {
                Json.Field(sb, "ticket", ticket.Pass);
                if (!cfg.Tls) {
                    if (joinNonce == null) {
                        joinNonce = new byte[16];
                        using (var rng = System.Security.Cryptography.RandomNumberGenerator.Create())
                            rng.GetBytes(joinNonce);
                    }
                    Json.Field(sb, "nonce", Bytes.Hex(joinNonce));
                }
            } else {
                Json.Field(sb, "room", roomName);
                Json.Field(sb, "name", cfg.Name);
            }
            Json.Field(sb, "mode", ModeName(mode));
            if (cfg.Reflect)
                Json.Field(sb, "reflect", true);
            Json.Field(sb, "batch", true);
            if (cfg.Aoi != 0)
                Json.Field(sb, "aoi", cfg.Aoi);
            if (epoch > 0)
                Json.Field(sb, "epoch", epoch);
            if (lostUs != 0) {
                Json.Field(sb, "lost", true);
                Json.Field(sb, "lost_relay", lostRelay);
            }
            if (cfg.AnyRoom && ticket == null && !wasJoined)
                Json.Field(sb, "any", true);
            if (cfg.Props != null && cfg.Props.Count > 0)
                Json.Field(sb, "props", cfg.Props);
            if (cfg.AnyRoom && cfg.Match != null && cfg.Match.Count > 0 && !wasJoined)
                Json.Field(sb, "match", cfg.Match);
            if (cfg.Size != 0)
                Json.Field(sb, "size", (double)cfg.Size);
            if (!cfg.Listed)
                Json.Field(sb, "listed", false);
            if (!cfg.Open)
                Json.Field(sb, "open", false);
            if (cfg.Exists && player.Length == 0)
                Json.Field(sb, "exists", true);
            if (cfg.Lockstep != null)
                LockstepRoom.Join(sb, cfg.Lockstep);
            if (cfg.Spectator)
                Json.Field(sb, "spectator", true);
            if (cookie.Length > 0)
                Json.Field(sb, "cookie", cookie);
            bool mustSeal = ticket != null && ticket.MustSeal && !cfg.Tls;
            if (key.Length > 0 && (!mustSeal || seal != null))
                Json.Field(sb, "key", key);
            SendControl(ControlMin);
            joinWaitUs = 300000;
            nextJoinUs = Clock.NowUs() + joinWaitUs;
        }

        void SendPing(long now)
        {
            Json.Field(sb, "type", "ping");
            Json.Field(sb, "t", (double)now);
            SendControl(ControlMin);
        }

        void SendRooms()
        {
            Json.Field(sb, "type", "rooms");
            if (!string.IsNullOrEmpty(listPrefix))
                Json.Field(sb, "prefix", listPrefix);
            if (!string.IsNullOrEmpty(listAfter))
                Json.Field(sb, "after", listAfter);
            if (listMatch != null && listMatch.Count > 0)
                Json.Field(sb, "match", listMatch);
            if (watchAsked)
                Json.Field(sb, "watch", wantWatch);
            SendControl(ControlMin);
            listPending = false;
        }

        public static string ModeName(Mode m)
        {
            switch (m) {
            case Mode.Sequenced: return "sequenced";
            case Mode.Reliable: return "reliable";
            case Mode.Udp: return "udp";
            case Mode.Tcp: return "tcp";
            case Mode.Ws: return "ws";
            case Mode.Streams: return "streams";
            default: return "unsequenced";
            }
        }

        static Mode ModeOf(string s)
        {
            switch (s) {
            case "sequenced": return Mode.Sequenced;
            case "reliable": return Mode.Reliable;
            case "udp": return Mode.Udp;
            case "tcp": return Mode.Tcp;
            case "ws": return Mode.Ws;
            case "streams": return Mode.Streams;
            default: return Mode.Unsequenced;
            }
        }

        public Status SendState(ref State st, byte[] payload, int len)
        {
            if (phase != Phase.Joined || link == null || !link.Ready)
                return Status.NotJoined;
            st.Seq = ++seq;
            st.SendUs = (ulong)Clock.NowUs();
            st.Sender = 0;
            Wire.PutState(stateBuf, 0, ref st);
            if (len > 0)
                Buffer.BlockCopy(payload, 0, stateBuf, 40, len);
            int n = 40 + len;
            bool ok;
            if (seal != null) {
                int m = seal.Box(mode == Mode.Reliable ? Seal.LaneReliable : Seal.LaneState, stateBuf, 0, n, boxBuf, 0);
                ok = link.SendState(boxBuf, 0, m, mode);
            } else
                ok = link.SendState(stateBuf, 0, n, mode);
            sentUs = Clock.NowUs();
            return ok ? Status.Ok : Status.Send;
        }

        // ---- a lockstep room (LockstepRoom.cs) ----

        /// <summary>Every input not yet confirmed, with my ack, the way a state goes up.</summary>
        Status SendInputs()
        {
            bool ok = true;
            foreach (var m in lockstep.Messages()) {
                if (seal != null) {
                    int n = seal.Box(mode == Mode.Reliable ? Seal.LaneReliable : Seal.LaneState, m, 0, m.Length, boxBuf, 0);
                    ok &= link.SendState(boxBuf, 0, n, mode);
                } else
                    ok &= link.SendState(m, 0, m.Length, mode);
            }
            sentUs = Clock.NowUs();
            return ok ? Status.Ok : Status.Send;
        }

        Status LockstepReady(bool player)
        {
            if (phase != Phase.Joined || link == null || !link.Ready)
                return Status.NotJoined;
            return lockstep == null || (player && lockstep.Slot < 0) ? Status.Unsupported : Status.Ok;
        }

        public Status LockstepFrom(uint tick)
        {
            var rc = LockstepReady(false);
            if (rc != Status.Ok)
                return rc;
            return lockstep.From(tick) ? SendInputs() : Status.Invalid;
        }

        public Status SendInput(uint tick, byte[] data)
        {
            var rc = LockstepReady(true);
            if (rc != Status.Ok)
                return rc;
            if (data.Length > lockstep.Settings.InputMax)
                return Status.TooBig;
            rc = lockstep.Input(tick, data);
            return rc != Status.Ok ? rc : SendInputs();
        }

        public Status SendCheck(uint tick, ulong sum)
        {
            var rc = LockstepReady(false);
            if (rc != Status.Ok)
                return rc;
            Json.Field(sb, "type", "check");
            Json.Field(sb, "tick", (double)tick);
            Json.Field(sb, "sum", sum.ToString("x16"));
            return SendControl() ? Status.Ok : Status.Send;
        }

        public uint LockstepTick() { return lockstep == null ? 0 : lockstep.Tick(clock, Clock.NowUs()); }
        public uint LockstepAim() { return lockstep == null ? 0 : lockstep.Aim(clock, Clock.NowUs()); }

        public Status SendEvent(uint to, byte[] data, string keep, bool stay)
        {
            if (phase != Phase.Joined || link == null)
                return Status.NotJoined;
            int kl = keep == null ? 0 : keep.Length;
            var b = new byte[12 + kl + data.Length];
            b[0] = 1;
            b[1] = 3;
            b[2] = (byte)(keep != null ? 1 | (stay ? 2 : 0) : 0);
            b[3] = (byte)kl;
            Bytes.Be32(b, 8, to);
            for (int i = 0; i < kl; i++)
                b[12 + i] = (byte)keep[i];
            Buffer.BlockCopy(data, 0, b, 12 + kl, data.Length);
            bool ok;
            if (seal != null) {
                int m = seal.Box(Seal.LaneControl, b, 0, b.Length, boxBuf, 0);
                ok = link.SendControl(boxBuf, 0, m);
            } else
                ok = link.SendControl(b, 0, b.Length);
            sentUs = Clock.NowUs();
            return ok ? Status.Ok : Status.Send;
        }

        public Status SendChat(string text)
        {
            if (phase != Phase.Joined)
                return Status.NotJoined;
            Json.Field(sb, "type", "chat");
            Json.Field(sb, "text", text);
            return SendControl() ? Status.Ok : Status.Send;
        }

        public Status ListRooms(string prefix, string after, Dictionary<string, string> match)
        {
            if (phase != Phase.Joined && !(cfg.Lobby && (phase == Phase.Lobby || phase == Phase.Connecting)))
                return Status.NotJoined;
            listPrefix = prefix;
            listAfter = after;
            listMatch = match;
            listPending = true;
            if (phase == Phase.Joined || phase == Phase.Lobby)
                SendRooms();
            return Status.Ok;
        }

        public Status WatchRooms(string prefix, Dictionary<string, string> match, bool watch)
        {
            if (!cfg.Lobby || phase == Phase.Joined || phase == Phase.Joining)
                return Status.Unsupported;
            wantWatch = watch;
            watchAsked = true;
            return ListRooms(prefix, null, match);
        }

        public Status Join(string room, bool any)
        {
            if (!cfg.Lobby || phase == Phase.Joined || phase == Phase.Joining || roomName.Length > 0 && phase != Phase.Lobby && phase != Phase.Connecting)
                return Status.Unsupported;
            if (phase == Phase.Dead)
                return Status.Send;
            if (!string.IsNullOrEmpty(cfg.Room) || joinAsked)
                return Status.Unsupported;
            joinAsked = true;
            roomName = room;
            cfg.AnyRoom = any;
            watching = false;
            if (phase == Phase.Lobby) {
                phase = Phase.Joining;
                joinStartedUs = Clock.NowUs();
                SendJoin();
            }
            return Status.Ok;
        }
        bool joinAsked;

        /// <summary>The owner's change, a message a setting (as libricochet
        /// sends them: each answered by a Room event to every member).</summary>
        public Status SetRoom(bool? openIt, bool? listIt, Dictionary<string, string> newProps)
        {
            if (phase != Phase.Joined)
                return Status.NotJoined;
            bool ok = true;
            if (openIt.HasValue) {
                Json.Field(sb, "type", "room");
                Json.Field(sb, "open", openIt.Value);
                ok &= SendControl();
            }
            if (listIt.HasValue) {
                Json.Field(sb, "type", "room");
                Json.Field(sb, "listed", listIt.Value);
                ok &= SendControl();
            }
            if (newProps != null) {
                Json.Field(sb, "type", "room");
                Json.Field(sb, "props", newProps);
                ok &= SendControl();
            }
            return ok ? Status.Ok : Status.Send;
        }

        public Status SetMode(Mode m)
        {
            if (!Channels || m != Mode.Unsequenced && m != Mode.Sequenced && m != Mode.Reliable)
                return Status.Unsupported;
            mode = m;
            return Status.Ok;
        }

        public void Flush()
        {
            if (link != null)
                link.Flush();
        }

        public void Close()
        {
            if (link != null) {
                link.Close();
                link = null;
            }
            phase = Phase.Dead;
        }

        // ---- polling ----

        /// <summary>The next event within timeoutMs: 1 with ev and its bytes
        /// copied into data (len), 0 none, -1 the session is over and its
        /// Disconnected was given.</summary>
        public int Poll(int timeoutMs, out GameEvent ev, out byte[] bytes, out int len)
        {
            long deadline = Clock.NowUs() + timeoutMs * 1000L;
            for (;;) {
                Settle();
                if (queue.Count > 0) {
                    var p = queue.Dequeue();
                    if (p.Ev.Type == EventType.Left || p.Ev.Type == EventType.Vanished)
                        leaving.Add(p.Ev.Id); // listed until the next poll
                    ev = p.Ev;
                    bytes = p.Bytes;
                    len = p.Len;
                    return 1;
                }
                if (phase == Phase.Dead) {
                    ev = new GameEvent();
                    bytes = null;
                    len = 0;
                    if (finalQueued)
                        return -1;
                    finalQueued = true;
                    ev = new GameEvent(EventType.Disconnected, id, mode, new State(), "", deadCode);
                    ev.text = deadText;
                    return 1;
                }
                long now = Clock.NowUs();
                Timers(now);
                if (queue.Count > 0 || phase == Phase.Dead)
                    continue;
                int wait = now >= deadline ? 0 : (int)Math.Min((deadline - now + 999) / 1000, 10);
                if (link != null)
                    link.Service(now, wait);
                else if (wait > 0)
                    System.Threading.Thread.Sleep(wait);
                if (queue.Count > 0 || phase == Phase.Dead)
                    continue;
                if (Clock.NowUs() >= deadline) {
                    Flush();
                    ev = new GameEvent();
                    bytes = null;
                    len = 0;
                    return 0;
                }
            }
        }

        /// <summary>A buffer of the events' bytes back for the next (the caller is done with it).</summary>
        public void GiveBack(byte[] b)
        {
            if (b != null && spare.Count < 64)
                spare.Push(b);
        }

        void Settle()
        {
            foreach (var gone in leaving)
                members.Remove(gone);
            leaving.Clear();
            if (failAfter && queue.Count == 0) {
                failAfter = false;
                GoDead(failCode, failText);
            }
        }

        void Queue(GameEvent ev, byte[] src, int off, int len = 0)
        {
            byte[] b = null;
            if (len > 0) {
                b = spare.Count > 0 ? spare.Pop() : new byte[1200];
                if (b.Length < len)
                    b = new byte[len];
                Buffer.BlockCopy(src, off, b, 0, len);
            }
            queue.Enqueue(new Pending { Ev = ev, Bytes = b, Len = len });
        }

        void Timers(long now)
        {
            if (phase != Phase.Joined && phase != Phase.Lobby && phase != Phase.Dead &&
                now - joinStartedUs > timeoutUs) {
                if (clearCode.Length > 0)
                    GoDead(clearCode, clearText);
                else if (phase == Phase.Connecting)
                    GoDead("timeout", NoRelayText("no answer in " + timeoutUs / 1000 + " ms"));
                else
                    GoDead("timeout", "no welcome from the relay at " + host + ":" + port + " in " + timeoutUs / 1000 + " ms");
                return;
            }
            if (phase == Phase.Connecting && link == null && hopAtUs != 0) {
                if (now >= hopAtUs) {
                    hopAtUs = 0;
                    Reconnect();
                }
                return;
            }
            if (phase == Phase.Connecting && link == null && lostUs != 0) {
                if (now - joinStartedUs > rejoinAfterUs)
                    Reconnect();
                return;
            }
            if (phase == Phase.Joining && link is EnetLink && cookie.Length == 0 && now >= nextJoinUs) {
                SendJoin(); // the cookie is unsequenced: lost, it is asked for again
                joinWaitUs *= 2;
                nextJoinUs = now + joinWaitUs;
            }
            if (phase == Phase.Lobby && listPending && link != null && link.Ready)
                SendRooms();
            // a watching lobby pings: within 10 s for the relay's lobby idleness, over a
            // stream within a third of the timeout, as a member does, and with a rejoin
            // window within a third of its rejoin-after, so that a loss is heard in time
            long lobbyQuiet = rejoinUs > 0 ? Math.Min(rejoinAfterUs / 3, 10000000) : 10000000;
            if (phase == Phase.Lobby && watching &&
                (now - lastControlUs > lobbyQuiet || link is StreamLink && now - sentUs > timeoutUs / 3))
                SendPing(now);
            if (phase == Phase.Lobby && wantWatch && rejoinUs > 0 && link != null &&
                link.SilentUs(now) > rejoinAfterUs)
                GoDead("timeout", "the relay went silent");
            if (phase == Phase.Joined) {
                if (now >= nextPingUs) {
                    SendPing(now);
                    pings++;
                    long wait = pings < 10 ? 100000 : clock.NextWaitUs;
                    nextPingUs = now + wait * 3 / 4 + (long)(jitter.NextDouble() * wait / 2);
                } else if (link is StreamLink && (now - sentUs > timeoutUs / 3 || link.SilentUs(now) > timeoutUs / 3))
                    SendPing(now);
                else if (seal != null && now - sentUs > 1000000)
                    SendPing(now);
                if (lockstep != null && lockstep.AckDue && now >= lockstep.AckDueUs)
                    SendInputs(); // what came, acknowledged
                if (clock.Changed) {
                    clock.Changed = false;
                    Json.Field(sb, "type", "clock");
                    Json.Field(sb, "offset_us", (double)clock.OffsetUs);
                    Json.Field(sb, "bound_us", (double)clock.BoundUs);
                    SendControl();
                }
                long silent = link != null ? link.SilentUs(now) : 0;
                if (rejoinUs > 0 && silent > rejoinAfterUs)
                    GoDead("timeout", "the relay went silent");
                else if (link is StreamLink && silent > timeoutUs)
                    GoDead("timeout", "the relay went silent");
                foreach (var kv in away)
                    if (kv.Value != 0 && now - kv.Value > timeoutUs) {
                        var gone = kv.Key;
                        away.Remove(gone);
                        Queue(new GameEvent(EventType.Left, 0, mode, new State(), "timeout", ""), null, 0);
                        break;
                    }
            }
        }

        // ---- receiving ----

        public void Arrived(byte[] b, int off, int len, int channel, int flags)
        {
            inputs++;
            if (phase == Phase.Dead || len < 1)
                return;
            if (Seal.IsSealed(b, off, len)) {
                if (seal == null)
                    return;
                int lane;
                int n = seal.Open(b, off, len, openBuf, 0, out lane);
                if (n < 0)
                    return;
                Message(openBuf, 0, n, channel, flags, false);
                return;
            }
            Message(b, off, len, channel, flags, true);
        }

        void Message(byte[] b, int off, int len, int channel, int flags, bool clear)
        {
            if (b[off] == (byte)'{') {
                Control(Encoding.UTF8.GetString(b, off, len), clear);
                return;
            }
            bool mustSeal = ticket != null && ticket.MustSeal && !cfg.Tls;
            if (clear && (seal != null || mustSeal))
                return;
            if (len < 2 || b[off] != 1)
                return;
            if (b[off + 1] == 3) {
                OnEvent(b, off, len);
                return;
            }
            if (b[off + 1] == 5) {
                OnFrames(b, off, len);
                return;
            }
            if (b[off + 1] == 2) { // a batch: entries of a 2-byte length each
                int at = off + 4, end = off + len;
                if (len < 7)
                    return;
                for (int k = at; k < end;) {
                    if (end - k < 2)
                        return;
                    int el = Bytes.Be16(b, k);
                    if (el == 0 || end - k - 2 < el)
                        return;
                    k += 2 + el;
                }
                while (at < end) {
                    int el = Bytes.Be16(b, at);
                    if (Seal.IsSealed(b, at + 2, el)) {
                        if (seal != null) {
                            int lane, n = seal.Open(b, at + 2, el, openBuf, 0, out lane);
                            if (n >= 2 && openBuf[1] == 5)
                                OnFrames(openBuf, 0, n);
                            else if (n >= 40)
                                OnState(openBuf, 0, n, channel, flags);
                        }
                    } else if ((!clear || seal == null) && el >= 2 && b[at + 3] == 5)
                        OnFrames(b, at + 2, el);
                    else if (!clear || seal == null)
                        OnState(b, at + 2, el, channel, flags);
                    at += 2 + el;
                }
                return;
            }
            if (b[off + 1] == 1)
                OnState(b, off, len, channel, flags);
        }

        State st; // decoded here, no allocation

        void OnState(byte[] b, int off, int len, int channel, int flags)
        {
            if (phase != Phase.Joined || !Wire.GetState(b, off, len, ref st))
                return;
            long now = Clock.NowUs();
            if (st.Sender == id) { // reflected: my round trip
                rtt.Add(now - (long)st.SendUs);
                rttStats.Received++;
                return;
            }
            MemberState m;
            if (!members.TryGetValue(st.Sender, out m)) {
                m = new MemberState { Id = st.Sender, Name = "", Player = "" };
                members[st.Sender] = m;
            }
            Mode how = !Channels ? mode : channel == 1 ? Mode.Unsequenced
                     : (flags & Link.FlagReliable) != 0 ? Mode.Reliable : Mode.Sequenced;
            m.Mode = how;
            bool tooOld = m.Delivered && how == Mode.Sequenced && (int)(st.Seq - m.Newest) <= 0;
            m.Count(st.Seq, tooOld);
            long lat = now - (long)st.SendUs;
            bool known = clock.Known && m.ClockKnown;
            long bound = 0;
            if (known) {
                long d = m.OffsetUs - clock.OffsetUs;
                bound = (long)clock.BoundUs + m.BoundUs;
                if (Math.Abs(d) > bound)
                    lat -= d;
                else
                    bound += Math.Abs(d);
            }
            var ev = new GameEvent(tooOld ? EventType.TooOld : EventType.State, st.Sender, how, st,
                                   m.Name, "", (ulong)now, lat, (ulong)bound, known);
            if (tooOld) {
                Queue(ev, null, 0);
                return;
            }
            if (!m.Delivered || (int)(st.Seq - m.Newest) > 0)
                m.Newest = st.Seq;
            m.Delivered = true;
            m.State = st;
            m.HasState = true;
            m.LastRecvUs = (ulong)now;
            if (known) {
                latency.Add(lat);
                m.Latency(lat, (ulong)bound);
            } else
                m.Stats.NoLatency++;
            Queue(ev, b, off + 40, len - 40);
        }

        /// <summary>A lockstep room's frames: kept, and those in order handed
        /// over as Frame events (a frames_gone Error first if the relay let go
        /// of those I need next).</summary>
        void OnFrames(byte[] b, int off, int len)
        {
            uint gone, tick;
            byte[] frame;
            if (phase != Phase.Joined || lockstep == null || !lockstep.Take(b, off, len, Clock.NowUs(), out gone))
                return;
            if (gone != 0) {
                var ev = new GameEvent(EventType.Error, 0, mode, new State(), "", "frames_gone");
                ev.text = "the relay holds frames from tick " + gone + " on: those before are gone";
                Queue(ev, null, 0);
            }
            while (lockstep.HandOver(out tick, out frame))
                Queue(new GameEvent(EventType.Frame, tick, mode, new State(), "", ""), frame, 0, frame.Length);
        }

        void OnEvent(byte[] b, int off, int len)
        {
            if (len < 12 || phase != Phase.Joined)
                return;
            int flags = b[off + 2], kl = b[off + 3];
            uint sender = Bytes.Be32(b, off + 4), to = Bytes.Be32(b, off + 8);
            if (kl > len - 12 || sender == 0 || to != 0 && to != id)
                return;
            MemberState m;
            members.TryGetValue(sender, out m);
            string k = kl > 0 ? Encoding.ASCII.GetString(b, off + 12, kl) : "";
            var ev = new GameEvent(EventType.Event, sender, m != null ? m.Mode : mode, new State(),
                                   m != null ? m.Name : "", (flags & 4) != 0 ? "kept" : to == 0 ? "room" : "direct");
            ev.key = k;
            Queue(ev, b, off + 12 + kl, len - 12 - kl);
        }

        static State RosterState(Dictionary<string, object> s, uint sender)
        {
            if (s == null)
                return new State();
            return new State {
                Sender = sender, Seq = (uint)Json.Number(s, "seq"), SendUs = (ulong)Json.Number(s, "t"),
                X = (float)Json.Number(s, "x"), Y = (float)Json.Number(s, "y"), Vx = (float)Json.Number(s, "vx"),
                Vy = (float)Json.Number(s, "vy"), Heading = (float)Json.Number(s, "heading")
            };
        }

        MemberState AddMember(Dictionary<string, object> o)
        {
            uint mid = (uint)Json.Number(o, "id");
            MemberState m;
            if (!members.TryGetValue(mid, out m))
                members[mid] = m = new MemberState { Id = mid };
            m.Name = Json.Text(o, "name");
            m.Player = Json.Text(o, "player");
            m.Mode = ModeOf(Json.Text(o, "mode"));
            var s = Json.Obj(o, "state");
            if (s != null) {
                m.State = RosterState(s, mid);
                m.HasState = true;
            }
            var c = Json.Obj(o, "clock");
            if (c != null)
                m.SetClock((long)Json.Number(c, "offset_us"), (long)Json.Number(c, "bound_us"));
            return m;
        }

        void RoomSettings(Dictionary<string, object> o)
        {
            owner = Json.Text(o, "owner");
            props = new Dictionary<string, string>();
            var p = Json.Obj(o, "props");
            if (p != null)
                foreach (var kv in p)
                    props[kv.Key] = kv.Value as string ?? "";
            open = Json.Flag(o, "open", true);
            listed = Json.Flag(o, "listed", true);
            size = (uint)Json.Number(o, "size");
            mine = owner.Length > 0 && owner == player;
        }

        /// <summary>A player back: its id before the hop (now: its id now, if
        /// none was noted).</summary>
        uint WasOf(string p, uint now)
        {
            uint was;
            if (!awayWas.TryGetValue(p, out was))
                was = now;
            awayWas.Remove(p);
            return was;
        }

        void Control(string text, bool clear)
        {
            var o = Json.Parse(text);
            if (o == null)
                return;
            string type = Json.Text(o, "type");
            bool mustSeal = ticket != null && ticket.MustSeal && !cfg.Tls;
            if (clear && (seal != null || mustSeal) && type != "sealed" && type != "cookie" &&
                !(type == "error" && seal == null))
                return;
            if (clear && mustSeal && type == "error") { // noted, not acted on
                clearCode = Json.Text(o, "code");
                clearText = Json.Text(o, "message") + " (in clear, unauthenticated)";
                if (Ending.Contains(clearCode)) {
                    farewellCode = clearCode;
                    farewellText = clearText;
                }
                return;
            }
            long now = Clock.NowUs();
            uint mid = (uint)Json.Number(o, "id");
            switch (type) {
            case "cookie":
                if (phase != Phase.Joining && phase != Phase.Lobby)
                    return;
                cookie = Json.Text(o, "cookie");
                if (phase == Phase.Lobby) {
                    Json.Field(sb, "type", "cookie");
                    Json.Field(sb, "cookie", cookie);
                    SendControl();
                    cookieEchoed = true;
                    SendRooms();
                } else {
                    SendJoin();
                    cookieEchoed = true;
                }
                return;
            case "sealed": {
                if (ticket == null || joinNonce == null || seal != null || phase != Phase.Joining)
                    return;
                var salt = new byte[16];
                var tag = new byte[16];
                if (!Bytes.FromHex(Json.Text(o, "salt"), salt, true) || !Bytes.FromHex(Json.Text(o, "tag"), tag, true))
                    return;
                var proof = Seal.Proof(ticket.DownKey, joinNonce, salt);
                if (!Bytes.Equal(proof, 0, tag, 0, 16))
                    return;
                seal = new Seal(Seal.SessionKey(ticket.UpKey, joinNonce, salt), Seal.SessionKey(ticket.DownKey, joinNonce, salt));
                clearCode = clearText = "";
                SendJoin();
                return;
            }
            case "welcome": {
                if (phase != Phase.Joining && phase != Phase.Joined)
                    return;
                bool again = phase == Phase.Joined;
                id = mid;
                roomName = Json.Text(o, "room", roomName);
                key = Json.Text(o, "key", key);
                player = Json.Text(o, "player", player);
                aoi = (float)Json.Number(o, "aoi");
                RoomSettings(o);
                phase = Phase.Joined;
                wasJoined = true;
                lostUs = 0;
                clearCode = clearText = "";
                nextPingUs = now;
                pings = 0;
                if (again)
                    return;
                lockstep = LockstepRoom.Read(Json.Obj(o, "lockstep"), now);
                var back = new List<MemberState>();
                var roster = Json.List(o, "roster");
                if (roster != null)
                    foreach (var r in roster) {
                        var ro = r as Dictionary<string, object>;
                        if (ro == null)
                            continue;
                        var m = AddMember(ro);
                        if (m.Player.Length > 0 && away.Remove(m.Player))
                            back.Add(m);
                    }
                var keys = new List<string>(away.Keys);
                foreach (var k in keys)
                    away[k] = now; // the others of before: their timeout counts from here
                Queue(new GameEvent(EventType.Welcome, id, mode, new State(), roomName, ""), null, 0);
                foreach (var m in back) {
                    var ev = new GameEvent(EventType.Rejoined, m.Id, m.Mode, m.State, m.Name, "");
                    ev.was = WasOf(m.Player, m.Id);
                    Queue(ev, null, 0);
                }
                return;
            }
            case "joined": {
                if (phase != Phase.Joined || mid == 0)
                    return;
                if (mid != id)
                    AddMember(o);
                string p = Json.Text(o, "player");
                int slot = (int)Json.Number(o, "slot", -1);
                if (lockstep != null && slot >= 0 && slot < lockstep.Players.Length)
                    lockstep.Players[slot] = p;
                bool away_ = away.Remove(p), back = away_ || Json.Flag(o, "rejoined");
                var ev = new GameEvent(back ? EventType.Rejoined : EventType.Joined, mid, ModeOf(Json.Text(o, "mode")),
                                       new State(), Json.Text(o, "name"), "");
                if (back)
                    ev.was = away_ ? WasOf(p, mid) : mid; // its own place back: its id kept
                Queue(ev, null, 0);
                return;
            }
            case "left": {
                if (phase != Phase.Joined || mid == 0)
                    return;
                leftCreator = Json.Text(o, "creator");
                if (leftCreator.Length > 0) {
                    mine = leftCreator == player;
                    owner = leftCreator;
                }
                var ev = new GameEvent(EventType.Left, mid, ModeOf(Json.Text(o, "mode")), new State(),
                                       Json.Text(o, "name"), Json.Text(o, "reason"));
                ev.creator = leftCreator;
                Queue(ev, null, 0);
                return;
            }
            case "chat":
                if (phase == Phase.Joined && mid != 0) {
                    var ev = new GameEvent(EventType.Chat, mid, mode, new State(), Json.Text(o, "name"), "");
                    ev.text = Json.Text(o, "text");
                    Queue(ev, null, 0);
                }
                return;
            case "clock": {
                MemberState m;
                if (members.TryGetValue(mid, out m))
                    m.SetClock((long)Json.Number(o, "offset_us"), (long)Json.Number(o, "bound_us"));
                return;
            }
            case "pong": {
                uint tick = lockstep == null ? 0 : lockstep.Tick(clock, now);
                clock.Sample((long)Json.Number(o, "t"), now, (long)Json.Number(o, "relay_t"));
                if (lockstep != null)
                    lockstep.ClockMoved(tick, clock, now);
                return;
            }
            case "room":
                RoomSettings(o);
                Queue(new GameEvent(EventType.Room, id, mode, new State(), "", ""), null, 0);
                return;
            case "rooms": {
                var list = Json.List(o, "rooms");
                var got = new List<Room>();
                if (list != null)
                    foreach (var r in list) {
                        var ro = r as Dictionary<string, object>;
                        if (ro == null)
                            continue;
                        var room = new Room { Name = Json.Text(ro, "room"), Members = (uint)Json.Number(ro, "members"),
                                              Capacity = (uint)Json.Number(ro, "capacity"),
                                              Open = Json.Flag(ro, "open", true),
                                              Props = new Dictionary<string, string>() };
                        var p = Json.Obj(ro, "props");
                        if (p != null)
                            foreach (var kv in p)
                                room.Props[kv.Key] = kv.Value as string ?? "";
                        got.Add(room);
                    }
                rooms = got.ToArray();
                roomsMore = Json.Flag(o, "more");
                watching = Json.Flag(o, "watch");
                var ev = new GameEvent(EventType.Rooms, 0, mode, new State(), "", "");
                ev.text = Json.Text(o, "prefix");
                Queue(ev, null, 0);
                return;
            }
            case "appeared": {
                if (phase != Phase.Joined || mid == 0 || mid == id)
                    return;
                var m = AddMember(o);
                m.Stats = new Stats();
                m.Delivered = false;
                Queue(new GameEvent(EventType.Appeared, mid, m.Mode, m.State, m.Name, ""), null, 0);
                return;
            }
            case "vanished":
                if (phase == Phase.Joined && members.ContainsKey(mid)) {
                    Queue(new GameEvent(EventType.Vanished, mid, mode, new State(), members[mid].Name, ""), null, 0);
                }
                return;
            case "moved": {
                string to = Json.Text(o, "host");
                int p = (int)Json.Number(o, "port");
                if (to.Length == 0 || p < 1 || p > 65535)
                    return;
                epoch = (int)Json.Number(o, "epoch");
                roomName = Json.Text(o, "room", roomName);
                Hop(to, (ushort)p, "moved");
                return;
            }
            case "late":
                if (phase == Phase.Joined && lockstep != null) {
                    lockstep.Late((uint)Json.Number(o, "tick"), (ulong)Json.Number(o, "by_us"),
                                  (uint)Json.Number(o, "count"), now);
                    Queue(new GameEvent(EventType.Late, lockstep.LateTick, mode, new State(), "", ""), null, 0);
                }
                return;
            case "desync":
                if (phase == Phase.Joined && lockstep != null) {
                    var ids = Json.List(o, "ids") ?? new List<object>();
                    lockstep.Desync = ids.ConvertAll(x => x is double ? (uint)(double)x : 0).ToArray();
                    Queue(new GameEvent(EventType.Desync, (uint)Json.Number(o, "tick"), mode, new State(), "", ""),
                          null, 0);
                }
                return;
            case "error": {
                string code = Json.Text(o, "code"), message = Json.Text(o, "message");
                lastErrorCode = code;
                lastErrorText = message;
                var ev = new GameEvent(EventType.Error, 0, mode, new State(), "", code);
                ev.text = message;
                Queue(ev, null, 0);
                if (Ending.Contains(code)) {
                    farewellCode = code;
                    farewellText = message;
                }
                if (phase == Phase.Joining && code != "rate_limited" && code != "not_owner") {
                    failAfter = true;
                    failCode = code;
                    failText = message;
                }
                return;
            }
            }
        }
    }
}
