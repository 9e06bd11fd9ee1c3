// NativeSession.cs: a session through libricochet (P/Invoke over the
// installed C library, Native.cs's calls), for the edges only it speaks:
// WebRTC, QUIC, WebTransport, HTTP polling and plain UDP. Session holds one
// when Config asks for one of those; everything else runs managed (Core).
// Structs mirror ricochet.h's layout (pinned by tests/test_ricochet.c).
using System;
using System.Runtime.InteropServices;

namespace Ricochet
{
    internal sealed class NativeSession : IDisposable
    {
        IntPtr r;
        bool ended;

        public NativeSession(Config c)
        {
            if (c == null)
                throw new ArgumentNullException("c");
            // Session checked the port, the host and a room and a name (or a ticket)
            IntPtr cfg = Native.Loaded(() => Native.ricochet_config_new());
            if (cfg == IntPtr.Zero)
                throw new OutOfMemoryException("libricochet: no memory for a configuration");
            try {
                Set(Native.ricochet_config_set_relay(cfg, Native.Utf8(c.Host), c.Port), "Host", c.Host,
                    "an address or a host name of 1-255 bytes");
                // as read from a file: the newline is not the ticket's
                if (c.Ticket != null && Native.ricochet_config_set_ticket(cfg, Native.Utf8(c.Ticket.Trim())) != 0)
                    throw new ArgumentException("ticket: not a ticket (ricochet-ticket mint makes them)", "Ticket");
                if (c.Room != null)
                    Set(Native.ricochet_config_set_room(cfg, Native.Utf8(c.Room)), "Room", c.Room,
                        "a room's name is " + Native.NameRule);
                if (c.Room != null && c.AnyRoom && c.Room.Length > Native.AnyRoomMax)
                    throw new ArgumentException("Room \"" + c.Room + "\": with AnyRoom, a prefix of 1-" +
                                                Native.AnyRoomMax + " characters (the relay adds a number " +
                                                "of up to 4 digits)", "Room");
                Native.ricochet_config_set_any_room(cfg, c.AnyRoom);
                RoomSetup(cfg, c);
                Native.ricochet_config_set_lobby(cfg, c.Lobby);
                if (c.Name != null) // the library's words for what it breaks, after "name '...': "
                    Set(Native.ricochet_config_set_name(cfg, Native.Utf8(c.Name)), "Name", c.Name,
                        After(Native.Str(Native.ricochet_config_error(cfg)), "': "));
                Set(Native.ricochet_config_set_mode(cfg, c.Mode), "Mode", c.Mode.ToString(), "not a mode");
                Set(Native.ricochet_config_set_transport(cfg, c.Transport), "Transport", c.Transport.ToString(),
                    "not a transport");
                if (c.Transport == Transport.Poll && c.Mode != Mode.Tcp)
                    throw new ArgumentException("Mode \"" + c.Mode + "\": Transport.Poll carries the mode Tcp", "Mode");
                if (c.PollWaitMs > Native.PollWaitMaxMs)
                    throw new ArgumentException("PollWaitMs \"" + c.PollWaitMs + "\": a long poll's wait of 1-" +
                                                Native.PollWaitMaxMs + " ms (0: 20000)", "PollWaitMs");
                if (c.PollIntervalMs != 0 || c.PollWaitMs != 0)
                    Set(Native.ricochet_config_set_poll(cfg, c.PollIntervalMs != 0 ? 0 : c.PollWaitMs, c.PollIntervalMs),
                        "PollIntervalMs", c.PollIntervalMs.ToString(),
                        "0 (long polling) or a short poll's interval of 1-" + Native.PollIntervalMaxMs + " ms");
                if (c.TimeoutMs != 0)
                    Set(Native.ricochet_config_set_timeout_ms(cfg, c.TimeoutMs), "TimeoutMs", c.TimeoutMs.ToString(),
                        "1-3600000 ms");
                Set(Native.ricochet_config_set_rejoin(cfg, c.RejoinMs), "RejoinMs", c.RejoinMs.ToString(),
                    "0 (none) to 3600000 ms");
                if (c.RejoinAfterMs != 0)
                    Set(Native.ricochet_config_set_rejoin_after(cfg, c.RejoinAfterMs), "RejoinAfterMs",
                        c.RejoinAfterMs.ToString(), "100-3600000 ms");
                foreach (var relay in c.Relays ?? new string[0]) {
                    string h;
                    ushort p;
                    Core.SplitHostPort(relay, out h, out p);
                    Set(Native.ricochet_config_add_relay(cfg, Native.Utf8(h), p), "Relays", relay,
                        "up to 7 of the fleet's other relays, HOST:PORT");
                }
                SetKey(cfg, c.Key);
                if (c.Lockstep != null) {
                    var ls = c.Lockstep.ToNative();
                    if (Native.ricochet_config_set_lockstep(cfg, ref ls) != 0)
                        throw new ArgumentException("Lockstep: " + Native.Str(Native.ricochet_config_error(cfg)),
                                                    "Lockstep");
                }
                Native.ricochet_config_set_spectator(cfg, c.Spectator);
                Native.ricochet_config_set_reflect(cfg, c.Reflect);
                Set(Native.ricochet_config_set_aoi(cfg, c.Aoi), "Aoi", c.Aoi.ToString(), "0 (none) or 0.01-100000");
                if (c.Pin != null)
                    Set(Native.ricochet_config_set_pin(cfg, Native.Utf8(c.Pin)), "Pin", c.Pin,
                        "a SHA-256 in 64 hex digits");
                var err = new byte[256];
                r = Native.ricochet_connect(cfg, err, (UIntPtr)err.Length);
                if (r == IntPtr.Zero) {
                    string why = Native.Str(err);
                    throw new InvalidOperationException(why.Length > 0 ? why : "libricochet could not connect");
                }
            } finally {
                Native.ricochet_config_free(cfg);
            }
        }

        static string After(string text, string mark)
        {
            int at = text.LastIndexOf(mark, StringComparison.Ordinal);
            return at < 0 ? text : text.Substring(at + mark.Length);
        }

        /// <summary>A new room's settings and the join's asks into cfg, the
        /// library's words for a bound broken.</summary>
        static void RoomSetup(IntPtr cfg, Config c)
        {
            foreach (var p in Native.Props(c.Props, "Props"))
                if (Native.ricochet_config_set_room_prop(cfg, p.Key, p.Value) != 0)
                    throw new ArgumentException(Native.Str(Native.ricochet_config_error(cfg)), "Props");
            foreach (var p in Native.Props(c.Match, "Match"))
                if (Native.ricochet_config_set_room_match(cfg, p.Key, p.Value) != 0)
                    throw new ArgumentException(Native.Str(Native.ricochet_config_error(cfg)), "Match");
            Set(Native.ricochet_config_set_room_size(cfg, c.Size), "Size", c.Size.ToString(),
                "1-4095 members (0: the relay's)");
            Native.ricochet_config_set_room_listed(cfg, c.Listed);
            Native.ricochet_config_set_room_open(cfg, c.Open);
            Native.ricochet_config_set_room_exists(cfg, c.Exists);
        }

        static void Set(int rc, string what, string value, string rule)
        {
            if (rc != 0)
                throw new ArgumentException(what + " \"" + value + "\": " + rule, what);
        }

        IntPtr Live()
        {
            if (r == IntPtr.Zero)
                throw new ObjectDisposedException("Ricochet.Session", "the session is closed");
            return r;
        }

        // ---- my room as it is (Room events), and my player across sessions ----

        /// <summary>The same as RoomMine: my player owns my room.</summary>
        public bool IsOwner { get { return RoomMine; } }

        /// <summary>My room's owner's player id ("": none, or a relay that does not say).</summary>
        public string Owner { get { return Native.Str(Native.ricochet_room_owner(Live())); } }

        /// <summary>My room as the relay last said it: from the Welcome, replaced
        /// at each Room event (a change by its owner, an owner's handoff, a
        /// restore).</summary>
        public RoomSettings GetRoomSettings()
        {
            IntPtr s = Live();
            var props = new NativeProp[8];
            int n = (int)Native.ricochet_room_props(s, props, (UIntPtr)8);
            var got = new RoomSettings {
                Owner = Owner, Open = Native.ricochet_room_open(s), Listed = Native.ricochet_room_listed(s),
                Size = Native.ricochet_room_size(s), Mine = RoomMine,
                Props = new System.Collections.Generic.Dictionary<string, string>()
            };
            for (int k = 0; k < Math.Min(n, 8); k++)
                got.Props[Native.Str(props[k].Key)] = Native.Str(props[k].Value);
            return got;
        }

        /// <summary>A saved player key (an earlier Session.Key) into cfg; refused
        /// without showing it: a key is a secret.</summary>
        static void SetKey(IntPtr cfg, string key)
        {
            if (key != null && Native.ricochet_config_set_key(cfg, Native.Utf8(key)) != 0)
                throw new ArgumentException("Key: 32 lowercase hex digits, as Session.Key gave it", "Key");
        }

        /// <summary>My id in the room; 0 before the welcome.</summary>
        public uint Id { get { return Native.ricochet_id(Live()); } }
        /// <summary>My player's key: 32 hex digits from my first welcome, sent in
        /// every later join so that a rejoin or a move keeps me the same player
        /// ("" before it; Config.Key until then). Kept (as a password is) and
        /// given to a later session's Config.Key, even in another process, it
        /// makes that session the same player. A secret: never show or log it;
        /// the others see Player.</summary>
        public string Key { get { return Native.Str(Native.ricochet_key(Live())); } }
        /// <summary>My player id: 16 hex digits, the same across rejoins and moves.</summary>
        public string Player { get { return PlayerOf(0); } }
        /// <summary>Member id's player id (0: mine), null if no member has that id;
        /// a Rejoined event's Id is the same player as before, perhaps a new id.</summary>
        public string PlayerOf(uint id)
        {
            IntPtr p = Native.ricochet_player(Live(), id);
            return p == IntPtr.Zero ? null : Native.Str(p);
        }
        public bool Joined { get { return Native.ricochet_joined(Live()); } }
        public bool Sealed { get { return Native.ricochet_sealed(Live()); } }
        public Mode Mode { get { return Native.ricochet_mode(Live()); } }
        public float RoomAoi { get { return Native.ricochet_room_aoi(Live()); } }
        public Transport Transport { get { return Native.ricochet_transport(Live()); } }
        /// <summary>The session's socket, for the program's own poll(2) (readable:
        /// Poll(0, ...)); poll at least every 10 ms all the same.</summary>
        public int Fd { get { return Native.ricochet_fd(Live()); } }
        /// <summary>The relay the session talks to now (a fleet may move it).</summary>
        public string RelayHost { get { return Native.Str(Native.ricochet_relay_host(Live())); } }
        public ushort RelayPort { get { return Native.ricochet_relay_port(Live()); } }
        /// <summary>My room's name: Config.Room, or with AnyRoom the one the
        /// relay picked (the prefix until the welcome); a ticket's room.</summary>
        public string RoomName { get { return Native.Str(Native.ricochet_room_name(Live())); } }
        /// <summary>Why the session ended, one line for people ("" while it has not).</summary>
        public string EndReason { get { return Native.Str(Native.ricochet_end_reason(Live())); } }
        /// <summary>The Disconnected event was returned: the session is over.</summary>
        public bool Ended { get { return ended; } }

        /// <summary>The next event within timeoutMs (0: do not wait): true with
        /// ev, false if none came; SessionEndedException once the session is
        /// over and its Disconnected event was returned.</summary>
        public bool Poll(int timeoutMs, out GameEvent ev)
        {
            IntPtr s = Live();
            NativeEvent n;
            int got = Native.ricochet_poll(s, timeoutMs, out n);
            ev = new GameEvent();
            if (got < 0) {
                ended = true;
                string why = Native.Str(Native.ricochet_end_reason(s));
                throw new SessionEndedException(why.Length > 0 ? why : "the session is over");
            }
            if (got == 0)
                return false;
            UIntPtr len;
            IntPtr p = Native.ricochet_event_bytes(s, out len);
            var data = new byte[(int)len];
            if (data.Length > 0)
                Marshal.Copy(p, data, 0, data.Length);
            string heir = n.Type == EventType.Left ? Native.Str(Native.ricochet_left_creator(s)) : "";
            ev = new GameEvent(n, data, Native.Str(Native.ricochet_event_key(s)), heir, Native.ricochet_event_was(s));
            if (n.Type == EventType.Disconnected)
                ended = true;
            return true;
        }

        static byte[] Checked(byte[] bytes, string what, int max)
        {
            if (bytes == null)
                throw new ArgumentNullException(what);
            if (bytes.Length > max)
                throw new ArgumentException(what + " of " + bytes.Length + " bytes, max " + max + ": " +
                                            Native.Str(Native.ricochet_strerror((int)Status.TooBig)), what);
            return bytes;
        }

        /// <summary>My state with a payload (PayloadMax bytes at most). Ok, or
        /// NotJoined (not in a room yet, or any more), or Send.</summary>
        public Status SendState(State st, byte[] payload = null)
        {
            payload = Checked(payload ?? new byte[0], "payload", Native.PayloadMax);
            var rc = (Status)Native.ricochet_send_state_payload(Live(), ref st, payload, (UIntPtr)payload.Length);
            if (rc == Status.Invalid)
                throw new ArgumentException("state: positions and speeds finite and within 1e6", "st");
            return rc;
        }

        /// <summary>An event (EventMax bytes at most) to member `to`, or to the room (Native.ToRoom).
        /// With keep, a key (1-32 characters 0x21-0x7e), the relay also keeps it for the room,
        /// the newest per key, for whoever joins later (their GameEvent's Kept); empty data
        /// clears the key; stay keeps it after I leave. Key and data: EventMax bytes at most.</summary>
        public Status SendEvent(uint to, byte[] data, string keep = null, bool stay = false)
        {
            data = Checked(data, "data", Native.EventMax);
            if (keep == null)
                return (Status)Native.ricochet_send_event(Live(), to, data, (UIntPtr)data.Length);
            if (to != Native.ToRoom)
                throw new ArgumentException("a kept event goes to the room (Native.ToRoom), not to " + to, "to");
            var rc = (Status)Native.ricochet_send_kept(Live(), Native.Utf8(keep), data, (UIntPtr)data.Length,
                                                      stay ? 1u : 0u);
            if (rc == Status.Invalid || rc == Status.TooBig)
                throw new ArgumentException("keep: a key of 1-32 characters 0x21-0x7e, key and data " +
                                            "EventMax bytes at most: " + Native.Str(Native.ricochet_strerror((int)rc)), "keep");
            return rc;
        }

        // ---- a lockstep room (Session's calls of the same names say them) ----

        public Lockstep GetLockstep(out int slot, out uint kept)
        {
            NativeLockstep n;
            if (Native.ricochet_lockstep(Live(), out n, out slot, out kept) != 0)
                return null;
            return Lockstep.Of(n);
        }

        public Status LockstepFrom(uint tick) { return (Status)Native.ricochet_lockstep_from(Live(), tick); }
        public uint LockstepTick() { return Native.ricochet_lockstep_tick(Live()); }
        public uint LockstepAim() { return Native.ricochet_lockstep_aim(Live()); }

        public Status SendInput(uint tick, byte[] data)
        {
            return (Status)Native.ricochet_send_input(Live(), tick, data, (UIntPtr)data.Length);
        }

        public Status SendCheck(uint tick, ulong sum) { return (Status)Native.ricochet_send_check(Live(), tick, sum); }

        public bool LockstepLate(out uint tick, out ulong byUs, out uint count)
        {
            return Native.ricochet_lockstep_late(Live(), out tick, out byUs, out count) == 0;
        }

        public uint[] LockstepDesync()
        {
            int n = (int)Native.ricochet_lockstep_desync(Live(), null, UIntPtr.Zero);
            var ids = new uint[n];
            Native.ricochet_lockstep_desync(Live(), ids, (UIntPtr)n);
            return ids;
        }

        public string LockstepPlayer(uint slot)
        {
            IntPtr p = Native.ricochet_lockstep_player(Live(), slot);
            return p == IntPtr.Zero ? null : Native.Str(p);
        }

        /// <summary>A chat line to the room: 1-200 bytes of printable UTF-8.</summary>
        public Status SendChat(string text)
        {
            if (text == null)
                throw new ArgumentNullException("text");
            var rc = (Status)Native.ricochet_send_chat(Live(), Native.Utf8(text));
            if (rc == Status.Invalid)
                throw new ArgumentException("chat: 1-200 bytes of printable UTF-8", "text");
            return rc;
        }

        /// <summary>Switches among Unsequenced, Sequenced and Reliable live (ENet,
        /// WebRTC, QUIC); Unsupported to or from Udp, Tcp or Ws.</summary>
        public Status SetMode(Mode mode)
        {
            return (Status)Native.ricochet_set_mode(Live(), mode);
        }

        /// <summary>Sends what is queued now rather than at the next poll.</summary>
        public void Flush()
        {
            Native.ricochet_flush(Live());
        }

        Member FromNative(NativeMember n)
        {
            return new Member { Id = n.Id, Name = Native.Str(n.Name), Player = PlayerOf(n.Id) ?? "",
                                Mode = n.Mode, HasState = n.HasState, State = n.Last,
                                LastRecvUs = n.LastRecvUs, Stats = n.Stats };
        }

        /// <summary>The members of my room (not me), with what I received
        /// from each; one who left is listed until the next poll.</summary>
        public Member[] Members()
        {
            IntPtr s = Live();
            int size = Marshal.SizeOf(typeof(NativeMember));
            IntPtr buf = Marshal.AllocHGlobal(size * Native.MembersMax);
            try {
                int n = (int)Native.ricochet_members(s, buf, (UIntPtr)Native.MembersMax);
                var all = new Member[Math.Min(n, Native.MembersMax)];
                for (int i = 0; i < all.Length; i++)
                    all[i] = FromNative((NativeMember)Marshal.PtrToStructure(
                        new IntPtr(buf.ToInt64() + (long)i * size), typeof(NativeMember)));
                return all;
            } finally {
                Marshal.FreeHGlobal(buf);
            }
        }

        /// <summary>Member id, or null if no member has that id.</summary>
        public Member FindMember(uint id)
        {
            IntPtr s = Live();
            IntPtr buf = Marshal.AllocHGlobal(Marshal.SizeOf(typeof(NativeMember)));
            try {
                if (Native.ricochet_member(s, id, buf) != 0)
                    return null;
                return FromNative((NativeMember)Marshal.PtrToStructure(buf, typeof(NativeMember)));
            } finally {
                Marshal.FreeHGlobal(buf);
            }
        }

        /// <summary>Asks the relay for a page of its rooms whose names start with
        /// prefix (null or "": all), after the name `after` (null or "": from the
        /// first; the next page: the last name of this one). The answer is a
        /// Rooms event (its Text: the prefix), then Rooms(out more) gives them; a
        /// relay run with --room-list off answers an Error listing_off, one asked
        /// too often rate_limited. Ask when the lobby is shown, not every frame.
        /// A Lobby may ask at once: it goes once connected. Ok, NotJoined
        /// (neither in a room nor a lobby) or Send.</summary>
        public Status ListRooms(string prefix = null, string after = null,
                                System.Collections.Generic.Dictionary<string, string> match = null)
        {
            var want = Native.Props(match, "match");
            var rc = (Status)Native.ricochet_list_rooms_matching(Live(), Native.Utf8(prefix ?? ""),
                                                                 Native.Utf8(after ?? ""), want,
                                                                 (UIntPtr)want.Length);
            if (rc == Status.Invalid)
                throw new ArgumentException("prefix \"" + prefix + "\", after \"" + after + "\": each " +
                                            Native.PrefixRule, "prefix");
            return rc;
        }

        /// <summary>A Lobby's join: room, or with anyRoom the fullest room with
        /// space under the prefix room; Welcome or Disconnected answer. Join
        /// within the relay's --join-timeout-ms (2 s by default). Ok,
        /// Unsupported (not a lobby, or joined already) or Send (the session
        /// is over); a bad room throws ArgumentException.</summary>
        public Status Join(string room, bool anyRoom = false)
        {
            if (room == null)
                throw new ArgumentNullException("room");
            var rc = (Status)Native.ricochet_join(Live(), Native.Utf8(room), anyRoom);
            if (rc == Status.Invalid)
                throw new ArgumentException("room \"" + room + "\": a room's name is " + Native.NameRule, "room");
            return rc;
        }

        /// <summary>The last listing (the Rooms event's), in name order, at most
        /// RoomsPage; more: the relay has more after the last. Empty before any.</summary>
        public Room[] Rooms(out bool more)
        {
            IntPtr s = Live();
            int size = Marshal.SizeOf(typeof(NativeRoom));
            IntPtr buf = Marshal.AllocHGlobal(size * Native.RoomsPage);
            try {
                int n = (int)Native.ricochet_rooms(s, buf, (UIntPtr)Native.RoomsPage, out more);
                var all = new Room[Math.Min(n, Native.RoomsPage)];
                for (int i = 0; i < all.Length; i++) {
                    var nr = (NativeRoom)Marshal.PtrToStructure(new IntPtr(buf.ToInt64() + (long)i * size),
                                                                typeof(NativeRoom));
                    all[i] = new Room { Name = Native.Str(nr.Room), Members = nr.Members, Capacity = nr.Capacity };
                    var props = new NativeProp[8];
                    bool open;
                    int np = (int)Native.ricochet_listed_props(s, (UIntPtr)i, props, (UIntPtr)8, out open);
                    all[i].Open = open;
                    all[i].Props = new System.Collections.Generic.Dictionary<string, string>();
                    for (int k = 0; k < Math.Min(np, 8); k++)
                        all[i].Props[Native.Str(props[k].Key)] = Native.Str(props[k].Value);
                }
                return all;
            } finally {
                Marshal.FreeHGlobal(buf);
            }
        }

        /// <summary>From my room's creator (its player): open it to joiners or
        /// close it, list it or not, replace its props; null stays. No answer;
        /// another member gets an Error not_creator. Ok, NotJoined or Send.</summary>
        public Status SetRoom(bool? open = null, bool? listed = null,
                              System.Collections.Generic.Dictionary<string, string> props = null)
        {
            IntPtr s = Live();
            var rc = open.HasValue ? (Status)Native.ricochet_set_room_open(s, open.Value) : Status.Ok;
            if (rc == Status.Ok && listed.HasValue)
                rc = (Status)Native.ricochet_set_room_listed(s, listed.Value);
            if (rc == Status.Ok && props != null) {
                var a = Native.Props(props, "props");
                rc = (Status)Native.ricochet_set_room_props(s, a, (UIntPtr)a.Length);
            }
            return rc;
        }

        /// <summary>My player owns my room (the relay said so: the Welcome, a Room
        /// event, a Left of the creator that handed it to me): SetRoom is mine.</summary>
        public bool RoomMine { get { return Native.ricochet_room_mine(Live()); } }

        // ---- a lobby that stays ----

        /// <summary>A Lobby asks the relay to watch its rooms whose names start
        /// with prefix (null or "": all) and whose props hold match: the first
        /// page answers, and a fresh one comes whenever it changes (a room made
        /// or gone, its members, size, props or open), at most every 500 ms,
        /// each a Rooms event (and RoomsChanged). While it watches the lobby has
        /// no join timeout: keep polling (the library pings; the relay closes a
        /// lobby silent for its --lobby-idle-ms, 30 s). watch false ends it, as
        /// Join does. Asked while connecting: sent once connected. Ok,
        /// Unsupported (not a lobby, or joined) or Send; a bad prefix or match
        /// throws ArgumentException.</summary>
        public Status WatchRooms(string prefix = null,
                                 System.Collections.Generic.Dictionary<string, string> match = null,
                                 bool watch = true)
        {
            var want = Native.Props(match, "match");
            var rc = (Status)Native.ricochet_watch_rooms(Live(), Native.Utf8(prefix ?? ""), want,
                                                         (UIntPtr)want.Length, watch);
            if (rc == Status.Invalid)
                throw new ArgumentException("prefix \"" + prefix + "\": " + Native.PrefixRule, "prefix");
            return rc;
        }

        /// <summary>The relay's last listing said it watches for this lobby.</summary>
        public bool Watching { get { return Native.ricochet_watching(Live()); } }

        /// <summary>My clock's offset to the relay's.</summary>
        public Clock ClockOffset()
        {
            Clock c;
            Native.ricochet_clock(Live(), out c);
            return c;
        }

        /// <summary>The one-way latency of every state received.</summary>
        public Distribution Latency()
        {
            Distribution d;
            Native.ricochet_latency(Live(), out d);
            return d;
        }

        /// <summary>The round trip of my own reflected states (Config.Reflect).</summary>
        public Distribution Rtt(out Stats stats)
        {
            Distribution d;
            Native.ricochet_rtt(Live(), out d, out stats);
            return d;
        }

        /// <summary>Leaves and frees the session; twice is fine.</summary>
        public void Dispose()
        {
            if (r != IntPtr.Zero)
                Native.ricochet_close(r);
            r = IntPtr.Zero;
        }
    }
}
