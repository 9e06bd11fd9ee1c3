// Session.cs: one session with one relay, the front of the binding: the
// ricochet protocol from C# (Unity, Godot's C#, Mono, .NET), a file a type
// in this folder. Over ENet (the modes Unsequenced, Sequenced, Reliable),
// TCP and a WebSocket (Mode.Tcp, Mode.Ws; Config.Tls for wss://) it runs in
// managed code alone (Core.cs and the links): no native library, on every
// platform .NET Standard 2.0 runs. The edges only libricochet speaks
// (Transport.WebRtc, Quic, WebTransport, Poll, and Mode.Udp) go through it
// (NativeSession.cs, P/Invoke), behind this same class. The reference is
// the C header (man 3 ricochet); the guide docs/library.md; a whole example
// client/csharp/README.md.
//
//   using (var s = new Ricochet.Session("127.0.0.1", 7777, "lobby", "cs")) {
//       while (!s.Ended) {                    // the game's loop, one frame a turn
//           GameEvent ev;                     // every event that came, the first within 10 ms
//           for (bool got = s.Poll(10, out ev); got; got = !s.Ended && s.Poll(0, out ev))
//               { ... ev.Type, ev.Id, ev.State, ev.Data ... }
//           s.SendState(new Ricochet.State { X = 50, Y = 50 }, payload);
//       }
//   }
//
// Names, codes and texts are strings (UTF-8 on the wire); payloads and
// events' bodies byte arrays. A bad name, port or option throws
// ArgumentException saying the rule, a payload past PayloadMax or an event
// past EventMax ArgumentException, null where bytes go
// ArgumentNullException, before anything is sent; a poll after the
// session's end SessionEndedException; any call on a closed session
// ObjectDisposedException.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ricochet
{
    public sealed class Session : IDisposable
    {
        Core core;            // the managed session, or
        NativeSession native; // libricochet's
        bool ended, disposed;

        /// <summary>Starts connecting and joining; does not block (Poll's
        /// events say how it went: Welcome, or Disconnected and why).</summary>
        public Session(string host, ushort port, string room, string name, Mode mode = Mode.Unsequenced)
            : this(new Config { Host = host, Port = port, Room = room, Name = name, Mode = mode })
        {
        }

        public Session(Config c)
        {
            if (c == null)
                throw new ArgumentNullException("c");
            if (c.Port == 0)
                throw new ArgumentException("port 0: 1-65535", "Port");
            if (c.Host == null)
                throw new ArgumentNullException("Host");
            if (c.Ticket == null && ((c.Room == null && !c.Lobby) || c.Name == null))
                throw new ArgumentException("room and name are required (a room: " + Native.NameRule +
                                            "; a name: " + Native.PlayerRule + "), or a ticket");
            string noLobby = c.Ticket != null ? "a ticket names its room, and a relay of tickets lists only to its members"
                           : c.Mode == Mode.Udp ? "plain UDP lists only to members (a source there can be forged)"
                           : c.Transport == Transport.Poll ? "HTTP polling's session starts with its join" : null;
            if (c.Lobby && noLobby != null)
                throw new InvalidOperationException("a lobby: " + noLobby);
            // the native backend's options, refused here too: said before any library is looked for
            if (c.Transport < Transport.Default || c.Transport > Transport.Poll)
                Refuse("Transport", ((int)c.Transport).ToString(), "not a transport");
            if (c.Transport == Transport.Poll && c.Mode != Mode.Tcp)
                Refuse("Mode", c.Mode.ToString(), "Transport.Poll carries the mode Tcp");
            if (c.PollWaitMs > Native.PollWaitMaxMs)
                Refuse("PollWaitMs", c.PollWaitMs.ToString(), "a long poll's wait of 1-" + Native.PollWaitMaxMs +
                       " ms (0: 20000)");
            if (c.PollIntervalMs > Native.PollIntervalMaxMs)
                Refuse("PollIntervalMs", c.PollIntervalMs.ToString(), "0 (long polling) or a short poll's " +
                       "interval of 1-" + Native.PollIntervalMaxMs + " ms");
            if (c.Relays != null && c.Relays.Length > 7)
                Refuse("Relays", c.Relays.Length + " relays", "up to 7 of the fleet's other relays");
            string relayHost;
            ushort relayPort;
            foreach (var relay in c.Relays ?? new string[0])
                Core.SplitHostPort(relay, out relayHost, out relayPort); // ArgumentException if it is none
            if (c.Lockstep != null && c.Lockstep.Broken() != null)
                Refuse("Lockstep", c.Lockstep.Broken(), "a lockstep room's bound");
            if (c.Transport != Transport.Default || c.Mode == Mode.Udp || c.Mode == Mode.Streams) {
                native = new NativeSession(c);
                return;
            }
            TicketClaims claims = null;
            if (c.Ticket != null && (claims = TicketClaims.Read(c.Ticket.Trim())) == null)
                throw new ArgumentException("ticket: not a ticket (ricochet-ticket mint makes them)", "Ticket");
            if (c.Host.Length < 1 || c.Host.Length > 255)
                Refuse("Host", c.Host, "an address or a host name of 1-255 bytes");
            if (c.Room != null && !Rules.Room(c.Room))
                Refuse("Room", c.Room, "a room's name is " + Native.NameRule);
            if (c.Room != null && c.AnyRoom && c.Room.Length > Native.AnyRoomMax)
                throw new ArgumentException("Room \"" + c.Room + "\": with AnyRoom, a prefix of 1-" +
                                            Native.AnyRoomMax + " characters (the relay adds a number " +
                                            "of up to 4 digits)", "Room");
            Rules.Props(c.Props, "Props");
            Rules.Props(c.Match, "Match");
            if (c.Size > 4095)
                Refuse("Size", c.Size.ToString(), "1-4095 members (0: the relay's)");
            if (c.Name != null && Rules.NameWhy(c.Name) != null)
                Refuse("Name", c.Name, Rules.NameWhy(c.Name));
            if (c.Tls && c.Mode != Mode.Ws)
                throw new ArgumentException("Tls: a WebSocket's (Mode.Ws)", "Tls");
            if (c.TimeoutMs > 3600000)
                Refuse("TimeoutMs", c.TimeoutMs.ToString(), "1-3600000 ms");
            if (c.RejoinMs > 3600000)
                Refuse("RejoinMs", c.RejoinMs.ToString(), "0 (none) to 3600000 ms");
            if (c.RejoinAfterMs != 0 && (c.RejoinAfterMs < 100 || c.RejoinAfterMs > 3600000))
                Refuse("RejoinAfterMs", c.RejoinAfterMs.ToString(), "100-3600000 ms");
            var k = new byte[16];
            if (c.Key != null && !Bytes.FromHex(c.Key, k, true))
                throw new ArgumentException("Key: 32 lowercase hex digits, as Session.Key gave it", "Key");
            if (c.Aoi != 0 && !(c.Aoi >= 0.01f && c.Aoi <= 100000))
                Refuse("Aoi", c.Aoi.ToString(), "0 (none) or 0.01-100000");
            var pin = new byte[32];
            if (c.Pin != null && !Bytes.FromHex(c.Pin, pin, false))
                Refuse("Pin", c.Pin, "a SHA-256 in 64 hex digits");
            var copy = (Config)c.Clone();
            if (c.Lockstep != null)
                copy.Lockstep = Lockstep.Of(c.Lockstep.ToNative());
            if (c.Relays != null)
                copy.Relays = (string[])c.Relays.Clone();
            core = new Core(copy, Resolve(c.Host), claims);
        }

        static void Refuse(string what, string value, string rule)
        {
            throw new ArgumentException(what + " \"" + value + "\": " + rule, what);
        }

        internal static IPAddress Resolve(string host)
        {
            IPAddress a;
            if (IPAddress.TryParse(host, out a))
                return a;
            try {
                foreach (var x in Dns.GetHostAddresses(host))
                    if (x.AddressFamily == AddressFamily.InterNetwork)
                        return x;
            } catch (SocketException) {
            }
            throw new InvalidOperationException(host + ": the host name does not resolve");
        }

        void Live()
        {
            if (disposed)
                throw new ObjectDisposedException("Ricochet.Session", "the session is closed");
        }

        /// <summary>Runs in managed code alone (false: through libricochet).</summary>
        public bool Managed { get { Live(); return core != null; } }

        // ---- my room as it is (Room events), and my player across sessions ----

        /// <summary>The same as RoomMine: my player owns my room.</summary>
        public bool IsOwner { get { return RoomMine; } }

        /// <summary>My room's owner's player id ("": none, or a relay that does not say).</summary>
        public string Owner { get { Live(); return core != null ? core.owner : native.Owner; } }

        /// <summary>My room as the relay last said it: from the Welcome, replaced
        /// at each Room event (a change by its owner, an owner's handoff, a
        /// restore).</summary>
        public RoomSettings GetRoomSettings()
        {
            Live();
            if (native != null)
                return native.GetRoomSettings();
            return new RoomSettings { Owner = core.owner, Open = core.open, Listed = core.listed, Size = core.size,
                                      Mine = core.mine, Props = new Dictionary<string, string>(core.props) };
        }

        /// <summary>My id in the room; 0 before the welcome.</summary>
        public uint Id { get { Live(); return core != null ? core.id : native.Id; } }
        /// <summary>My player's key: 32 hex digits from my first welcome, sent in
        /// every later join so that a rejoin or a move keeps me the same player
        /// ("" before it; Config.Key until then). Kept (as a password is) and
        /// given to a later session's Config.Key, even in another process, it
        /// makes that session the same player. A secret: never show or log it;
        /// the others see Player.</summary>
        public string Key { get { Live(); return core != null ? core.key : native.Key; } }
        /// <summary>My player id: 16 hex digits, the same across rejoins and moves.</summary>
        public string Player { get { return PlayerOf(0); } }
        /// <summary>Member id's player id (0: mine), null if no member has that id;
        /// a Rejoined event's Id is the same player as before, perhaps a new id.</summary>
        public string PlayerOf(uint id)
        {
            Live();
            if (native != null)
                return native.PlayerOf(id);
            if (id == 0 || id == core.id)
                return core.player;
            MemberState m;
            return core.members.TryGetValue(id, out m) ? m.Player : null;
        }
        public bool Joined { get { Live(); return core != null ? core.Joined : native.Joined; } }
        public bool Sealed { get { Live(); return core != null ? core.Sealed : native.Sealed; } }
        public Mode Mode { get { Live(); return core != null ? core.mode : native.Mode; } }
        public float RoomAoi { get { Live(); return core != null ? core.aoi : native.RoomAoi; } }
        public Transport Transport { get { Live(); return core != null ? Transport.Default : native.Transport; } }
        /// <summary>libricochet's socket, for a program's own poll(2); -1 for a
        /// managed session (poll it every frame).</summary>
        public int Fd { get { Live(); return core != null ? -1 : native.Fd; } }
        /// <summary>The relay the session talks to now (a fleet may move it).</summary>
        public string RelayHost { get { Live(); return core != null ? core.RelayHost : native.RelayHost; } }
        public ushort RelayPort { get { Live(); return core != null ? core.RelayPort : native.RelayPort; } }
        /// <summary>My room's name: Config.Room, or with AnyRoom the one the
        /// relay picked (the prefix until the welcome); a ticket's room.</summary>
        public string RoomName { get { Live(); return core != null ? core.roomName : native.RoomName; } }
        /// <summary>Why the session ended, one line for people ("" while it has not).</summary>
        public string EndReason { get { Live(); return core != null ? core.EndReason : native.EndReason; } }
        /// <summary>The Disconnected event was returned: the session is over.</summary>
        public bool Ended { get { return ended; } }

        /// <summary>The next event within timeoutMs (0: do not wait): true with
        /// ev (its Data a copy of its own), false if none came;
        /// SessionEndedException once the session is over and its
        /// Disconnected event was returned.</summary>
        public bool Poll(int timeoutMs, out GameEvent ev)
        {
            return Poll(timeoutMs, out ev, null);
        }

        /// <summary>Poll without allocating: the event's bytes (a state's
        /// payload, PayloadMax at most; an event's body, EventMax) go into
        /// buffer, and ev.Data is buffer, its first ev.DataLength bytes the
        /// event's. buffer null: a copy of their own, as Poll(ms, out ev).</summary>
        public bool Poll(int timeoutMs, out GameEvent ev, byte[] buffer)
        {
            Live();
            if (native != null) {
                bool got = native.Poll(timeoutMs, out ev);
                if (got && buffer != null)
                    Into(ref ev, ev.Data, ev.Data.Length, buffer);
                return Came(got, ref ev);
            }
            byte[] bytes;
            int len;
            int r = core.Poll(timeoutMs, out ev, out bytes, out len);
            if (r < 0) {
                ended = true;
                throw new SessionEndedException(core.EndReason.Length > 0 ? core.EndReason : "the session is over");
            }
            if (r == 0)
                return false;
            if (buffer != null)
                Into(ref ev, bytes, len, buffer);
            else if (len > 0) {
                var own = new byte[len];
                Buffer.BlockCopy(bytes, 0, own, 0, len);
                ev.SetData(own, len);
            }
            core.GiveBack(bytes);
            return Came(true, ref ev);
        }

        static void Into(ref GameEvent ev, byte[] bytes, int len, byte[] buffer)
        {
            if (len > buffer.Length)
                throw new ArgumentException("buffer of " + buffer.Length + " bytes: an event's bytes are " + len, "buffer");
            if (len > 0)
                Buffer.BlockCopy(bytes, 0, buffer, 0, len);
            ev.SetData(buffer, len);
        }

        bool Came(bool got, ref GameEvent ev)
        {
            if (!got)
                return false;
            if (ev.Type == EventType.Disconnected)
                ended = true;
            if (ev.Type == EventType.Frame) { // FrameInput reads it
                frame = new byte[ev.DataLength];
                Buffer.BlockCopy(ev.Data, 0, frame, 0, frame.Length);
            }
            if (ev.Type == EventType.Rooms) {
                var handler = RoomsChanged;
                if (handler != null) {
                    bool more;
                    var rooms = Rooms(out more);
                    handler(rooms, more);
                }
            }
            return true;
        }

        static byte[] Checked(byte[] bytes, string what, int max)
        {
            if (bytes == null)
                throw new ArgumentNullException(what);
            if (bytes.Length > max)
                throw new ArgumentException(what + " of " + bytes.Length + " bytes, max " + max +
                                            ": too big for the protocol", what);
            return bytes;
        }

        static readonly byte[] NoBytes = new byte[0];

        /// <summary>My state with a payload (PayloadMax bytes at most). Ok, or
        /// NotJoined (not in a room yet, or any more), or Send.</summary>
        public Status SendState(State st, byte[] payload = null)
        {
            return SendState(st, payload, payload == null ? 0 : payload.Length);
        }

        /// <summary>SendState with the payload's first length bytes (nothing allocated).</summary>
        public Status SendState(State st, byte[] payload, int length)
        {
            Live();
            payload = payload ?? NoBytes;
            if (length < 0 || length > payload.Length)
                throw new ArgumentException("length " + length + ": 0 to the payload's " + payload.Length, "length");
            if (length > Native.PayloadMax)
                throw new ArgumentException("payload of " + length + " bytes, max " + Native.PayloadMax +
                                            ": too big for the protocol", "payload");
            if (native != null) {
                if (length != payload.Length) {
                    var cut = new byte[length];
                    Buffer.BlockCopy(payload, 0, cut, 0, length);
                    payload = cut;
                }
                return native.SendState(st, payload);
            }
            if (!Wire.Valid(ref st))
                throw new ArgumentException("state: positions and speeds finite and within 1e6", "st");
            return core.SendState(ref st, payload, length);
        }

        /// <summary>An event (EventMax bytes at most) to member `to`, or to the room (Native.ToRoom).
        /// With keep, a key (1-32 characters 0x21-0x7e), the relay also keeps it for the room,
        /// the newest per key, for whoever joins later (their GameEvent's Kept); empty data
        /// clears the key; stay keeps it after I leave. Key and data: EventMax bytes at most.</summary>
        public Status SendEvent(uint to, byte[] data, string keep = null, bool stay = false)
        {
            Live();
            if (native != null)
                return native.SendEvent(to, data, keep, stay);
            data = Checked(data, "data", Native.EventMax);
            if (keep == null)
                return core.SendEvent(to, data, null, false);
            if (to != Native.ToRoom)
                throw new ArgumentException("a kept event goes to the room (Native.ToRoom), not to " + to, "to");
            if (!Rules.Key(keep) || keep.Length + data.Length > Native.EventMax)
                throw new ArgumentException("keep: a key of 1-32 characters 0x21-0x7e, key and data " +
                                            "EventMax bytes at most", "keep");
            return core.SendEvent(to, data, keep, stay);
        }

        // ---- a lockstep room (PROTOCOL.md, "Lockstep rooms"; ricochet.h's calls of these names) ----

        byte[] frame;           // the last Frame event's bytes

        /// <summary>My room's lockstep settings, my slot (-1: a spectator) and
        /// how many kept events the relay replays after my Welcome; null
        /// before the Welcome or in a room of states.</summary>
        public Lockstep GetLockstep(out int slot, out uint kept)
        {
            Live();
            if (native != null)
                return native.GetLockstep(out slot, out kept);
            var ls = core.Joined ? core.lockstep : null;
            slot = ls != null ? ls.Slot : -1;
            kept = ls != null ? ls.Kept : 0;
            return ls != null ? Lockstep.Of(ls.Settings.ToNative()) : null;
        }

        /// <summary>Asks for the frames from tick on (0: the room's first; a
        /// late joiner: the tick after its snapshot); later asks only move
        /// forward (Invalid). Ok, NotJoined, Unsupported (a room of states) or Send.</summary>
        public Status LockstepFrom(uint tick)
        {
            Live();
            return native != null ? native.LockstepFrom(tick) : core.LockstepFrom(tick);
        }

        /// <summary>The tick the relay collects now, by my clock offset to it.</summary>
        public uint LockstepTick()
        {
            Live();
            return native != null ? native.LockstepTick() : core.LockstepTick();
        }

        /// <summary>The tick to send my input for now: LockstepTick plus the
        /// room's delay (a tick more for each Late, at most delay more, a tick
        /// less after 5 s without one).</summary>
        public uint LockstepAim()
        {
            Live();
            return native != null ? native.LockstepAim() : core.LockstepAim();
        }

        /// <summary>My input for tick (InputMax bytes at most), sent now and
        /// again with each input until its frame came. The ticks the aim
        /// stepped over since my newest input (a Late, or my clock offset,
        /// moved it on) get this input too, so none is left without one. Ok, NotJoined,
        /// Unsupported (no slot, a room of states), TooBig, Invalid (a tick
        /// whose frame came, or 64 from an input still waiting) or Send.</summary>
        public Status SendInput(uint tick, byte[] data)
        {
            Live();
            data = Checked(data, "data", Native.InputMax);
            return native != null ? native.SendInput(tick, data) : core.SendInput(tick, data);
        }

        /// <summary>Slot slot of the Frame event Poll returned last: its flag,
        /// and with Present or Repeated its bytes into data (else empty);
        /// -1 with no frame or past the slots.</summary>
        public int FrameInput(uint slot, out byte[] data)
        {
            int s;
            uint kept;
            var ls = GetLockstep(out s, out kept);
            data = new byte[0];
            return ls == null || frame == null ? -1 : Lockstep.Input(frame, frame.Length, ls.Slots, slot, out data);
        }

        /// <summary>Reports the checksum of my simulation after frame tick (a
        /// multiple of CheckEvery) for the relay to compare.</summary>
        public Status SendCheck(uint tick, ulong sum)
        {
            Live();
            return native != null ? native.SendCheck(tick, sum) : core.SendCheck(tick, sum);
        }

        /// <summary>The last Late: its newest tick, how late it came (µs), how
        /// many since the one before; false outside a lockstep room.</summary>
        public bool LockstepLate(out uint tick, out ulong byUs, out uint count)
        {
            Live();
            if (native != null)
                return native.LockstepLate(out tick, out byUs, out count);
            var ls = core.lockstep;
            tick = ls != null ? ls.LateTick : 0;
            byUs = ls != null ? ls.LateByUs : 0;
            count = ls != null ? ls.LateCount : 0;
            return ls != null;
        }

        /// <summary>The member ids the last Desync named (mine too, if I am one).</summary>
        public uint[] LockstepDesync()
        {
            Live();
            if (native != null)
                return native.LockstepDesync();
            return core.lockstep != null ? (uint[])core.lockstep.Desync.Clone() : new uint[0];
        }

        /// <summary>The player id holding slot ("": none); null past the slots
        /// or outside a lockstep room.</summary>
        public string LockstepPlayer(uint slot)
        {
            Live();
            if (native != null)
                return native.LockstepPlayer(slot);
            var ls = core.lockstep;
            return ls != null && slot < ls.Players.Length ? ls.Players[slot] : null;
        }

        /// <summary>A chat line to the room: 1-200 bytes of printable UTF-8.</summary>
        public Status SendChat(string text)
        {
            Live();
            if (text == null)
                throw new ArgumentNullException("text");
            if (native != null)
                return native.SendChat(text);
            if (!Rules.Text(text))
                throw new ArgumentException("chat: 1-200 bytes of printable UTF-8", "text");
            return core.SendChat(text);
        }

        /// <summary>Switches among Unsequenced, Sequenced and Reliable live (ENet,
        /// WebRTC, QUIC); Unsupported to or from Udp, Tcp or Ws.</summary>
        public Status SetMode(Mode mode)
        {
            Live();
            return core != null ? core.SetMode(mode) : native.SetMode(mode);
        }

        /// <summary>Sends what is queued now rather than at the next poll.</summary>
        public void Flush()
        {
            Live();
            if (core != null) core.Flush(); else native.Flush();
        }

        /// <summary>The members of my room (not me), with what I received
        /// from each; one who left is listed until the next poll.</summary>
        public Member[] Members()
        {
            Live();
            if (native != null)
                return native.Members();
            var all = new List<Member>();
            foreach (var m in core.members.Values)
                all.Add(ToMember(m));
            all.Sort((a, b) => a.Id.CompareTo(b.Id));
            return all.ToArray();
        }

        static Member ToMember(MemberState m)
        {
            return new Member { Id = m.Id, Name = m.Name, Player = m.Player, Mode = m.Mode, HasState = m.HasState,
                                State = m.State, LastRecvUs = m.LastRecvUs, Stats = m.Stats };
        }

        /// <summary>Member id, or null if no member has that id.</summary>
        public Member FindMember(uint id)
        {
            Live();
            if (native != null)
                return native.FindMember(id);
            MemberState m;
            return core.members.TryGetValue(id, out m) ? ToMember(m) : null;
        }

        /// <summary>Asks the relay for a page of its rooms whose names start with
        /// prefix (null or "": all), after the name `after` (null or "": from the
        /// first; the next page: the last name of this one). The answer is a
        /// Rooms event (its Text: the prefix), then Rooms(out more) gives them; a
        /// relay run with --room-list off answers an Error listing_off, one asked
        /// too often rate_limited. Ask when the lobby is shown, not every frame.
        /// A Lobby may ask at once: it goes once connected. Ok, NotJoined
        /// (neither in a room nor a lobby) or Send.</summary>
        public Status ListRooms(string prefix = null, string after = null, Dictionary<string, string> match = null)
        {
            Live();
            if (native != null)
                return native.ListRooms(prefix, after, match);
            Rules.Props(match, "match");
            if (!Rules.Room(prefix ?? "", 0) || !Rules.Room(after ?? "", 0))
                throw new ArgumentException("prefix \"" + prefix + "\", after \"" + after + "\": each " +
                                            Native.PrefixRule, "prefix");
            return core.ListRooms(prefix, after, match);
        }

        /// <summary>A Lobby's join: room, or with anyRoom the fullest room with
        /// space under the prefix room; Welcome or Disconnected answer. Join
        /// within the relay's --join-timeout-ms (2 s by default). Ok,
        /// Unsupported (not a lobby, or joined already) or Send (the session
        /// is over); a bad room throws ArgumentException.</summary>
        public Status Join(string room, bool anyRoom = false)
        {
            Live();
            if (room == null)
                throw new ArgumentNullException("room");
            if (native != null)
                return native.Join(room, anyRoom);
            if (!Rules.Room(room, 1, anyRoom ? Native.AnyRoomMax : Rules.RoomMax))
                throw new ArgumentException("room \"" + room + "\": a room's name is " + Native.NameRule, "room");
            return core.Join(room, anyRoom);
        }

        /// <summary>The last listing (the Rooms event's), in name order, at most
        /// RoomsPage; more: the relay has more after the last. Empty before any.</summary>
        public Room[] Rooms(out bool more)
        {
            Live();
            if (native != null)
                return native.Rooms(out more);
            more = core.roomsMore;
            return (Room[])core.rooms.Clone();
        }

        /// <summary>From my room's owner: open it to joiners or close it, list
        /// it or not, replace its props; null stays. No answer; another member
        /// gets an Error not_creator. Ok, NotJoined or Send.</summary>
        public Status SetRoom(bool? open = null, bool? listed = null, Dictionary<string, string> props = null)
        {
            Live();
            if (native != null)
                return native.SetRoom(open, listed, props);
            Rules.Props(props, "props");
            return core.SetRoom(open, listed, props);
        }

        /// <summary>My player owns my room (the relay said so: the Welcome, a Room
        /// event, a Left of the owner that handed it to me): SetRoom is mine.</summary>
        public bool RoomMine { get { Live(); return core != null ? core.mine : native.RoomMine; } }

        // ---- a lobby that stays ----

        /// <summary>Each page of rooms Poll returns (a Rooms event: a listing's
        /// answer, or a watching lobby's change), with more: the relay has more
        /// after the last.</summary>
        public event Action<Room[], bool> RoomsChanged;

        /// <summary>A Lobby asks the relay to watch its rooms whose names start
        /// with prefix (null or "": all) and whose props hold match: the first
        /// page answers, and a fresh one comes whenever it changes (a room made
        /// or gone, its members, size, props or open), at most every 500 ms,
        /// each a Rooms event (and RoomsChanged). While it watches the lobby has
        /// no join timeout: keep polling (the session pings; the relay closes a
        /// lobby silent for its --lobby-idle-ms, 30 s). watch false ends it, as
        /// Join does. Asked while connecting: sent once connected. Ok,
        /// Unsupported (not a lobby, or joined) or Send; a bad prefix or match
        /// throws ArgumentException.</summary>
        public Status WatchRooms(string prefix = null, Dictionary<string, string> match = null, bool watch = true)
        {
            Live();
            if (native != null)
                return native.WatchRooms(prefix, match, watch);
            Rules.Props(match, "match");
            if (!Rules.Room(prefix ?? "", 0))
                throw new ArgumentException("prefix \"" + prefix + "\": " + Native.PrefixRule, "prefix");
            return core.WatchRooms(prefix, match, watch);
        }

        /// <summary>The relay's last listing said it watches for this lobby.</summary>
        public bool Watching { get { Live(); return core != null ? core.watching : native.Watching; } }

        /// <summary>My clock's offset to the relay's.</summary>
        public Clock ClockOffset()
        {
            Live();
            if (native != null)
                return native.ClockOffset();
            return new Clock { Known = core.clock.Known, OffsetUs = core.clock.OffsetUs, BoundUs = (ulong)core.clock.BoundUs };
        }

        /// <summary>The one-way latency of every state received.</summary>
        public Distribution Latency()
        {
            Live();
            return native != null ? native.Latency() : core.latency.Get();
        }

        /// <summary>The round trip of my own reflected states (Config.Reflect).</summary>
        public Distribution Rtt(out Stats stats)
        {
            Live();
            if (native != null)
                return native.Rtt(out stats);
            stats = core.rttStats;
            return core.rtt.Get();
        }

        /// <summary>Leaves and frees the session; twice is fine.</summary>
        public void Dispose()
        {
            if (disposed)
                return;
            disposed = true;
            if (core != null)
                core.Close();
            if (native != null)
                native.Dispose();
        }
    }
}
