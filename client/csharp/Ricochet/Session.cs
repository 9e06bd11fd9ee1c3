// Ricochet.cs: libricochet from C# (Unity, Godot's C#, Mono, .NET), through
// P/Invoke over the installed C library, in one file, the way ENet-CSharp
// binds ENet. The reference is the C header (man 3 ricochet); the guide
// docs/library.md; a whole example client/csharp/README.md. Structs mirror
// ricochet.h's layout (pinned by tests/test_ricochet.c; NativeEvent is 352
// bytes on 64-bit Linux).
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
// A backend mints tickets with Tickets.Mint("backend.key", "lobby", "alice", ttlS: 300).
//
// A lobby: Config.AnyRoom makes Room a prefix ("duel-"): the relay puts me in
// the fullest room under it with space, or makes the next (s.RoomName from
// the welcome); s.ListRooms("duel-") asks for the relay's rooms, and on the
// Rooms event s.Rooms(out more) gives them. Before joining: Config.Lobby
// connects and joins nothing; ListRooms, then s.Join(room) in this session.
// A lobby that stays: s.WatchRooms("duel-") has the relay send a fresh page
// whenever its rooms change, each raising s.RoomsChanged from Poll.
//
// Drawing the others: one Interp per player, fed its State events
// (ip.Push(ev.State, ev.RecvUs)), asked where to draw it a little in the past:
// ip.At(Native.ricochet_now_us() - 100000), an InterpPoint (Kind, X, Y).
//
// In an engine's frame (Unity's Update, Godot's _Process), drain without
// waiting: while (!s.Ended && s.Poll(0, out ev)) { ... }. A bare
// while (s.Poll(10, out ev)) as the game's loop stops at the first quiet
// 10 ms. Poll at least every 10 ms or so: the library has timers.
//
// Names, codes and texts are strings (UTF-8 on the wire); payloads and
// events' bodies byte arrays. A bad name, port or option throws
// ArgumentException saying the rule, a payload past PayloadMax or an event
// past EventMax ArgumentException, null where bytes go
// ArgumentNullException, before anything is sent; libricochet not found
// DllNotFoundException saying where it was looked for and what to set; a
// poll after the session's end SessionEndedException; any call on a closed
// session ObjectDisposedException.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Ricochet
{
    public enum EventType
    {
        Welcome = 0, State = 1, TooOld = 2, Joined = 3, Left = 4, Chat = 5, Error = 6,
        Disconnected = 7, Moved = 8, Appeared = 9, Vanished = 10, Event = 11, Rooms = 12,
        Rejoined = 13, // a member back after its rejoin or move, or mine: the same Player
        Room = 14      // my room's settings or owner changed: Session.GetRoomSettings() says them
    }

    public enum Mode { Unsequenced = 0, Sequenced = 1, Reliable = 2, Udp = 3, Tcp = 4, Ws = 5, Streams = 6 }

    public enum Transport { Default = 0, WebRtc = 1, Quic = 2, WebTransport = 3, Poll = 4 }

    public enum Status { Ok = 0, Invalid = -1, NotJoined = -2, Send = -3, Unsupported = -4, TooBig = -5 }

    [StructLayout(LayoutKind.Sequential)]
    public struct State
    {
        public uint Sender;
        public uint Seq;
        public ulong SendUs;
        public float X, Y, Vx, Vy, Heading;
    }

    /// <summary>struct ricochet_stats: what I received from one sender.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stats
    {
        public ulong Received, Expected, Lost, Duplicates, Reordered, TooOld, NoLatency;
        public ulong LatencyMaxUs, LatencyBoundUs;
        public double LatencyMeanUs, JitterUs;
    }

    /// <summary>struct ricochet_distribution: times in µs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Distribution
    {
        public ulong Count, P50Us, P90Us, P99Us, MaxUs, MeanUs;
    }

    /// <summary>struct ricochet_clock: my clock's offset to the relay's.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Clock
    {
        [MarshalAs(UnmanagedType.I1)] public bool Known;
        public long OffsetUs;
        public ulong BoundUs;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct NativeEvent
    {
        public EventType Type;
        public uint Id;
        public Mode Mode;
        public State State;
        public ulong RecvUs;
        public long LatencyUs;
        public ulong LatencyBoundUs;
        [MarshalAs(UnmanagedType.I1)] public bool LatencyKnown;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 33)] public byte[] Name;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 32)] public byte[] Code;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 201)] public byte[] Text;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct NativeMember
    {
        public uint Id;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 33)] public byte[] Name;
        public Mode Mode;
        [MarshalAs(UnmanagedType.I1)] public bool HasState;
        public State Last;
        public ulong LastRecvUs;
        public Stats Stats;
    }

    /// <summary>struct ricochet_room: a room of the relay, as its listing says.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeRoom
    {
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 33)] public byte[] Room;
        public uint Members;
        public uint Capacity;
    }

    /// <summary>A room of the relay as its listing said (Session.Rooms):
    /// Members when the relay answered, Capacity what a join may fill it
    /// to.</summary>
    public sealed class Room
    {
        public string Name;
        public uint Members, Capacity;
        public bool Full { get { return Members >= Capacity; } }
        public System.Collections.Generic.Dictionary<string, string> Props; // its creator's
        public bool Open;                     // false: it takes no joiners
    }

    /// <summary>struct ricochet_prop: a room's property, a key (1-16 bytes) and
    /// a value (0-64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeProp
    {
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 17)] public byte[] Key;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 65)] public byte[] Value;
    }

    /// <summary>Where a player is to be drawn (Interp.At).</summary>
    public enum InterpKind
    {
        None = 0,         // no state yet: nothing to draw
        Before = 1,       // render time before the oldest state kept: held at it
        Between = 2,      // between the two states around render time (or on one)
        Extrapolated = 3, // past the newest, or across a hole wider than MaxGapMs: along its velocity
        Stale = 4         // further past than ExtrapolateMs: held where that limit put it
    }

    /// <summary>struct ricochet_interp_point: where to draw a player; X and Y
    /// in the game's units (0 for None), SeqA and SeqB the states used (equal when
    /// one was).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct InterpPoint
    {
        public InterpKind Kind;
        public float X, Y;
        public uint SeqA, SeqB;
    }

    /// <summary>One event: the native one, and the bytes that came with it
    /// (a state's payload, an event's body), copied: never null.</summary>
    public struct GameEvent
    {
        readonly NativeEvent n; // its numbers read through; its texts decoded once
        readonly string name, code, text, key, creator;
        readonly byte[] data;

        internal GameEvent(NativeEvent native, byte[] bytes, string kept, string heir)
        {
            n = native;
            creator = heir;
            name = Native.Str(n.Name);
            code = Native.Str(n.Code);
            text = Native.Str(n.Text);
            data = bytes;
            key = kept;
        }

        public EventType Type { get { return n.Type; } }
        public uint Id { get { return n.Id; } }
        public Mode Mode { get { return n.Mode; } }
        public State State { get { return n.State; } }
        public ulong RecvUs { get { return n.RecvUs; } }
        public long LatencyUs { get { return n.LatencyUs; } }
        public ulong LatencyBoundUs { get { return n.LatencyBoundUs; } }
        public bool LatencyKnown { get { return n.LatencyKnown; } }
        public string Name { get { return name ?? ""; } }
        public string Code { get { return code ?? ""; } }
        public string Text { get { return text ?? ""; } }
        public byte[] Data { get { return data ?? new byte[0]; } }
        /// <summary>A kept event's key (PROTOCOL.md, "Kept events"), else "".</summary>
        public string Key { get { return key ?? ""; } }
        /// <summary>Replayed by the relay to me, a latecomer, after my Welcome.</summary>
        public bool Kept { get { return Code == "kept"; } }
        /// <summary>A Left of my room's creator: the player id of the member who
        /// changes the room now (Session.RoomMine: it is me), else "".</summary>
        public string Creator { get { return creator ?? ""; } }
    }

    /// <summary>A member of my room (not me), as this session sees it: Name
    /// "" until its joined notice came; State its newest (HasState false:
    /// none yet).</summary>
    public sealed class Member
    {
        public uint Id;
        public string Name;
        public string Player;   // its player id: the same across rejoins and moves

        public Mode Mode;
        public bool HasState;
        public State State;
        public ulong LastRecvUs;
        public Stats Stats;
    }

    /// <summary>What a session needs: the relay, the room and my name (or
    /// a ticket), and the options of ricochet_config_set_*.</summary>
    public sealed class Config
    {
        public string Host = "127.0.0.1";
        public ushort Port = Native.DefaultPort;
        public string Room, Name;             // NameRule; not needed with a Ticket
        public bool AnyRoom;                  // Room a prefix (1-28): the relay picks a room with space
        public bool Lobby;                    // join nothing: ListRooms, then Join (no Room needed)
        public Mode Mode = Mode.Unsequenced;
        public Transport Transport = Transport.Default;
        public string Ticket;                 // from the game's backend (ricochet-ticket mint)
        public uint TimeoutMs;                // the join's deadline, a silent relay's; 0: 5000
        public uint RejoinMs;                 // a lost relay (restarted too): join again for so long; 0: end
        public uint RejoinAfterMs;            // a relay silent so long is lost; 0: 1500
        public bool Reflect;                  // my own states back to me (Session.Rtt)
        public float Aoi;                     // a room I create: its radius of interest; 0: none
        public string Pin;                    // QUIC: the relay's certificate's SHA-256
        public uint PollWaitMs;               // Transport.Poll: a long poll's wait, 1-25000; 0: 20000
        public uint PollIntervalMs;           // Transport.Poll: short polling, a GET every 1-10000 ms; 0: long
        // Rooms with properties: a room my join makes gets Props (8 keys of 1-16 bytes, values of
        // 0-64), Size (0: the relay's), Listed, Open (false: only its creator joins); Exists: the
        // room must exist (else Disconnected no_such_room); with AnyRoom, Match picks rooms by props
        public System.Collections.Generic.Dictionary<string, string> Props, Match;
        public uint Size;
        public bool Listed = true, Open = true, Exists;
        // An earlier session's Session.Key: this one is the same player (the same Player; from the
        // same address while that session is still in the room, its place and Id). A secret: keep
        // it as a password is (a file only the player reads), never show or log it
        public string Key;
    }

    /// <summary>My room as the relay last said it (Session.GetRoomSettings): the
    /// Welcome's, then each Room event's. Owner: its owner's player id ("": none,
    /// or a relay that does not say); Open and Listed true where not said; Size
    /// the most members it takes (0: not said); Mine: its owner is my player
    /// (SetRoom is mine).</summary>
    public sealed class RoomSettings
    {
        public string Owner;
        public System.Collections.Generic.Dictionary<string, string> Props;
        public bool Open, Listed, Mine;
        public uint Size;
    }

    /// <summary>A poll after the session's end: the reason in words (the
    /// Disconnected event said it first).</summary>
    /// <summary>For a game's backend: tickets minted as ricochet-ticket mint
    /// prints them (docs/tickets.md, "Minting in a backend").</summary>
    public static class Tickets
    {
        public const int TicketMax = 952; // RICOCHET_TICKET_MAX: characters of a ticket

        /// <summary>The ticket for name in room under the key in keyFile (the
        /// relays' --ticket-key), valid ttlS seconds (1..604800) on the relays
        /// of the fleet where names (null: "ricochet") or, with a ':' in it,
        /// on the relay endpoints it lists ("host:port,..."); its session must
        /// be sealed unless clear. No newline. ArgumentException says why not.</summary>
        public static string Mint(string keyFile, string room, string name, string where = null,
                                  uint ttlS = 3600, bool clear = false)
        {
            var out_ = new byte[TicketMax + 1];
            int n = Native.Loaded(() => Native.ricochet_ticket_mint(
                Native.Utf8(keyFile), Native.Utf8(room), Native.Utf8(name), Native.Utf8(where), ttlS,
                clear ? 1u : 0u, out_, (UIntPtr)out_.Length));
            if (n < 0)
                throw new ArgumentException(Native.Str(out_));
            return Native.Str(out_);
        }
    }

    public sealed class SessionEndedException : InvalidOperationException
    {
        public SessionEndedException(string reason) : base(reason) { }
    }

    public static class Native
    {
        public const string Lib = "ricochet"; // libricochet.so, beside the game or where ld.so looks
        public const ushort DefaultPort = 7777; // RICOCHET_DEFAULT_PORT
        public const int PayloadMax = 1135;   // RICOCHET_PAYLOAD_MAX
        public const int EventMax = 1024;     // RICOCHET_EVENT_MAX
        public const int MembersMax = 256;    // RICOCHET_MEMBERS_MAX
        public const int RoomsPage = 64;      // RICOCHET_ROOMS_PAGE: rooms in one listing, at most
        public const int AnyRoomMax = 28;     // a prefix with AnyRoom: a room's 32 less 4 for the number
        public const uint ToRoom = 0;         // RICOCHET_TO_ROOM
        public const string NameRule = "1-32 characters of A-Z a-z 0-9 _ . -"; // rooms
        public const string PlayerRule = "1-32 bytes of UTF-8 in any script, no control or format " +
                                         "characters, not only spaces"; // players' names: "민수"
        public const string PrefixRule = "0-32 characters of A-Z a-z 0-9 _ . -"; // what ListRooms takes
        public const uint PollWaitMaxMs = 25000;    // RICOCHET_POLL_WAIT_MAX_MS: a long poll's wait, at most
        public const uint PollIntervalMaxMs = 10000; // RICOCHET_POLL_INTERVAL_MAX_MS: a short poll's interval

        [DllImport(Lib)] public static extern IntPtr ricochet_version();
        [DllImport(Lib)] public static extern uint ricochet_protocol_version();
        [DllImport(Lib)] public static extern IntPtr ricochet_strerror(int status);
        [DllImport(Lib)] public static extern ulong ricochet_now_us();
        [DllImport(Lib)] public static extern IntPtr ricochet_config_new();
        [DllImport(Lib)] public static extern void ricochet_config_free(IntPtr cfg);
        [DllImport(Lib)] public static extern int ricochet_config_set_relay(IntPtr cfg, byte[] host, ushort port);
        [DllImport(Lib)] public static extern int ricochet_config_set_room(IntPtr cfg, byte[] room);
        [DllImport(Lib)] public static extern int ricochet_config_set_name(IntPtr cfg, byte[] name);
        [DllImport(Lib)] public static extern int ricochet_config_set_mode(IntPtr cfg, Mode mode);
        [DllImport(Lib)] public static extern int ricochet_config_set_transport(IntPtr cfg, Transport transport);
        [DllImport(Lib)] public static extern int ricochet_config_set_pin(IntPtr cfg, byte[] sha256);
        [DllImport(Lib)] public static extern int ricochet_config_set_reflect(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool reflect);
        [DllImport(Lib)] public static extern int ricochet_config_set_aoi(IntPtr cfg, float radius);
        [DllImport(Lib)] public static extern int ricochet_config_set_timeout_ms(IntPtr cfg, uint ms);
        [DllImport(Lib)] public static extern int ricochet_config_set_rejoin(IntPtr cfg, uint windowMs);
        [DllImport(Lib)] public static extern int ricochet_config_set_rejoin_after(IntPtr cfg, uint silentMs);
        [DllImport(Lib)] public static extern int ricochet_config_set_ticket(IntPtr cfg, byte[] ticket);
        [DllImport(Lib)] public static extern int ricochet_ticket_mint(byte[] keyFile, byte[] room, byte[] name, byte[] where,
                                                                      uint ttlS, uint flags, byte[] out_, UIntPtr cap);
        [DllImport(Lib)] public static extern int ricochet_config_set_any_room(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool any);
        [DllImport(Lib)] public static extern int ricochet_config_set_poll(IntPtr cfg, uint waitMs, uint intervalMs);
        [DllImport(Lib)] public static extern IntPtr ricochet_connect(IntPtr cfg, byte[] err, UIntPtr cap);
        [DllImport(Lib)] public static extern void ricochet_close(IntPtr r);
        [DllImport(Lib)] public static extern int ricochet_poll(IntPtr r, int timeoutMs, out NativeEvent ev);
        [DllImport(Lib)] public static extern int ricochet_send_state_payload(IntPtr r, ref State s, byte[] payload, UIntPtr len);
        [DllImport(Lib)] public static extern int ricochet_send_event(IntPtr r, uint to, byte[] data, UIntPtr len);
        [DllImport(Lib)] public static extern IntPtr ricochet_event_bytes(IntPtr r, out UIntPtr len);
        [DllImport(Lib)] public static extern int ricochet_send_kept(IntPtr r, byte[] key, byte[] data, UIntPtr len, uint flags);
        [DllImport(Lib)] public static extern IntPtr ricochet_event_key(IntPtr r);
        [DllImport(Lib)] public static extern int ricochet_send_chat(IntPtr r, byte[] text);
        [DllImport(Lib)] public static extern int ricochet_set_mode(IntPtr r, Mode mode);
        [DllImport(Lib)] public static extern void ricochet_flush(IntPtr r);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)] public static extern bool ricochet_joined(IntPtr r);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)] public static extern bool ricochet_sealed(IntPtr r);
        [DllImport(Lib)] public static extern uint ricochet_id(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_key(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_player(IntPtr r, uint id);
        [DllImport(Lib)] public static extern float ricochet_room_aoi(IntPtr r);
        [DllImport(Lib)] public static extern Mode ricochet_mode(IntPtr r);
        [DllImport(Lib)] public static extern Transport ricochet_transport(IntPtr r);
        [DllImport(Lib)] public static extern int ricochet_fd(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_relay_host(IntPtr r);
        [DllImport(Lib)] public static extern ushort ricochet_relay_port(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_end_reason(IntPtr r);
        [DllImport(Lib)] public static extern UIntPtr ricochet_members(IntPtr r, IntPtr out_, UIntPtr cap);
        [DllImport(Lib)] public static extern int ricochet_member(IntPtr r, uint id, IntPtr out_);
        [DllImport(Lib)] public static extern IntPtr ricochet_room_name(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_config_error(IntPtr cfg);
        [DllImport(Lib)] public static extern int ricochet_list_rooms(IntPtr r, byte[] prefix, byte[] after);
        [DllImport(Lib)] public static extern int ricochet_config_set_room_prop(IntPtr cfg, byte[] key, byte[] value);
        [DllImport(Lib)] public static extern int ricochet_config_set_room_match(IntPtr cfg, byte[] key, byte[] value);
        [DllImport(Lib)] public static extern int ricochet_config_set_room_size(IntPtr cfg, uint size);
        [DllImport(Lib)] public static extern int ricochet_config_set_room_listed(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool listed);
        [DllImport(Lib)] public static extern int ricochet_config_set_room_open(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool open);
        [DllImport(Lib)] public static extern int ricochet_config_set_room_exists(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool exists);
        [DllImport(Lib)] public static extern int ricochet_list_rooms_matching(IntPtr r, byte[] prefix, byte[] after,
                                                                              [In] NativeProp[] match, UIntPtr n);
        [DllImport(Lib)] public static extern UIntPtr ricochet_listed_props(IntPtr r, UIntPtr i, [Out] NativeProp[] out_,
                                                                           UIntPtr cap, [MarshalAs(UnmanagedType.I1)] out bool open);
        [DllImport(Lib)] public static extern int ricochet_set_room_open(IntPtr r, [MarshalAs(UnmanagedType.I1)] bool open);
        [DllImport(Lib)] public static extern int ricochet_set_room_listed(IntPtr r, [MarshalAs(UnmanagedType.I1)] bool listed);
        [DllImport(Lib)] public static extern int ricochet_set_room_props(IntPtr r, [In] NativeProp[] props, UIntPtr n);
        [DllImport(Lib)] public static extern int ricochet_watch_rooms(IntPtr r, byte[] prefix, [In] NativeProp[] match,
                                                                      UIntPtr n, [MarshalAs(UnmanagedType.I1)] bool watch);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)]
        public static extern bool ricochet_watching(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_left_creator(IntPtr r);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)]
        public static extern bool ricochet_room_mine(IntPtr r);
        // a player key across sessions, and my room as it is
        [DllImport(Lib)] public static extern int ricochet_config_set_key(IntPtr cfg, byte[] key);
        [DllImport(Lib)] public static extern IntPtr ricochet_room_owner(IntPtr r);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)]
        public static extern bool ricochet_room_open(IntPtr r);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)]
        public static extern bool ricochet_room_listed(IntPtr r);
        [DllImport(Lib)] public static extern uint ricochet_room_size(IntPtr r);
        [DllImport(Lib)] public static extern UIntPtr ricochet_room_props(IntPtr r, [Out] NativeProp[] out_, UIntPtr cap);

        /// <summary>A dictionary of props (or a match) as the library's array;
        /// ArgumentException past the bounds.</summary>
        public static NativeProp[] Props(System.Collections.Generic.Dictionary<string, string> d, string what)
        {
            if (d == null)
                return new NativeProp[0];
            if (d.Count > 8)
                throw new ArgumentException(what + ": at most 8 keys", what);
            var a = new NativeProp[d.Count];
            int i = 0;
            foreach (var kv in d) {
                byte[] k = Utf8(kv.Key), v = Utf8(kv.Value ?? "");
                if (k.Length < 2 || k.Length > 17 || v.Length > 65)
                    throw new ArgumentException(what + " \"" + kv.Key + "\": a key of 1-16 bytes, a value of 0-64", what);
                a[i] = new NativeProp { Key = new byte[17], Value = new byte[65] };
                Array.Copy(k, a[i].Key, k.Length);
                Array.Copy(v, a[i].Value, v.Length);
                i++;
            }
            return a;
        }
        [DllImport(Lib)] public static extern int ricochet_config_set_lobby(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool lobby);
        [DllImport(Lib)] public static extern int ricochet_join(IntPtr r, byte[] room, [MarshalAs(UnmanagedType.I1)] bool any);
        [DllImport(Lib)] public static extern UIntPtr ricochet_rooms(IntPtr r, IntPtr out_, UIntPtr cap,
                                                                     [MarshalAs(UnmanagedType.I1)] out bool more);
        [DllImport(Lib)] public static extern void ricochet_clock(IntPtr r, out Clock out_);
        [DllImport(Lib)] public static extern void ricochet_latency(IntPtr r, out Distribution out_);
        [DllImport(Lib)] public static extern void ricochet_rtt(IntPtr r, out Distribution out_, out Stats stats);
        [DllImport(Lib)] public static extern IntPtr ricochet_interp_new(uint extrapolateMs, uint maxGapMs);
        [DllImport(Lib)] public static extern void ricochet_interp_free(IntPtr ip);
        [DllImport(Lib)] public static extern void ricochet_interp_clear(IntPtr ip);
        [DllImport(Lib)] public static extern int ricochet_interp_push(IntPtr ip, ref State st, ulong recvUs);
        [DllImport(Lib)] public static extern int ricochet_interp_at(IntPtr ip, ulong renderUs, out InterpPoint out_);
        [DllImport(Lib)] public static extern int ricochet_interp_latest(IntPtr ip, out State out_);

        /// <summary>A C string the library owns, as UTF-8 ("" for NULL).</summary>
        public static string Str(IntPtr p)
        {
            if (p == IntPtr.Zero)
                return "";
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0)
                n++;
            var b = new byte[n];
            Marshal.Copy(p, b, 0, n);
            return Encoding.UTF8.GetString(b);
        }

        /// <summary>A fixed-size char array of a struct, up to its NUL.</summary>
        public static string Str(byte[] b)
        {
            if (b == null)
                return "";
            int n = Array.IndexOf(b, (byte)0);
            return Encoding.UTF8.GetString(b, 0, n < 0 ? b.Length : n);
        }

        /// <summary>A string as the library takes it: UTF-8, NUL-terminated.</summary>
        public static byte[] Utf8(string s)
        {
            return s == null ? null : Encoding.UTF8.GetBytes(s + "\0");
        }

        /// <summary>The library's version ("1.5.0"); DllNotFoundException,
        /// saying what to do, if it is not found.</summary>
        public static string Version()
        {
            return Loaded(() => Str(ricochet_version()));
        }

        internal static T Loaded<T>(Func<T> first)
        {
            try {
                return first();
            } catch (DllNotFoundException e) {
                string here = AppDomain.CurrentDomain.BaseDirectory;
                string ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
                throw new DllNotFoundException(
                    "libricochet not found: DllImport(\"" + Lib + "\") looks for libricochet.so beside the " +
                    "game's assemblies (" + here + "), in LD_LIBRARY_PATH (" +
                    (string.IsNullOrEmpty(ldPath) ? "unset" : ldPath) + ") and in the system's folders " +
                    "that ldconfig knows; or a library it needs is missing (ldd libricochet.so says which). " +
                    "Copy libricochet.so beside the game, or set LD_LIBRARY_PATH=PREFIX/lib after " +
                    "make install-lib PREFIX=..., or run sudo ldconfig after installing into a system folder.",
                    e);
            }
        }
    }

    public sealed class Session : IDisposable
    {
        IntPtr r;
        bool ended;

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
                SetKey(cfg, c.Key);
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
            ev = new GameEvent(n, data, Native.Str(Native.ricochet_event_key(s)), heir);
            if (n.Type == EventType.Disconnected)
                ended = true;
            if (n.Type == EventType.Rooms)
                RoomsCame();
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

        /// <summary>Each page of rooms Poll returns (a Rooms event: a listing's
        /// answer, or a watching lobby's change), with more: the relay has more
        /// after the last.</summary>
        public event Action<Room[], bool> RoomsChanged;

        void RoomsCame()
        {
            var handler = RoomsChanged;
            if (handler == null)
                return;
            bool more;
            var rooms = Rooms(out more);
            handler(rooms, more);
        }

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

    /// <summary>One player's states, to draw it smoothly a little in the past
    /// (ricochet_interp_*): Push every State event of that player, then each
    /// frame At(Native.ricochet_now_us() - delay) says where to draw it; 100 ms
    /// of delay (two states at 20 Hz) hides one lost state, more hides more and
    /// shows the player later. No shared clock and no session needed: it keeps
    /// the 32 newest states; times are the caller's (ricochet_now_us, RecvUs).
    /// Clear it when the player leaves or on a Moved event; Dispose frees it.</summary>
    public sealed class Interp : IDisposable
    {
        IntPtr ip;

        /// <summary>extrapolateMs: how far past the newest state it moves the
        /// player on along its velocity (0: never); maxGapMs (1-3600000): a wider
        /// hole between two states is not glided across.</summary>
        public Interp(uint extrapolateMs = 250, uint maxGapMs = 1000)
        {
            if (maxGapMs < 1 || maxGapMs > 3600000)
                throw new ArgumentException("maxGapMs " + maxGapMs + ": 1-3600000 ms", "maxGapMs");
            ip = Native.Loaded(() => Native.ricochet_interp_new(extrapolateMs, maxGapMs));
            if (ip == IntPtr.Zero)
                throw new OutOfMemoryException("libricochet: no memory for an interpolation buffer");
        }

        IntPtr Live()
        {
            if (ip == IntPtr.Zero)
                throw new ObjectDisposedException("Ricochet.Interp", "the interpolation buffer is freed");
            return ip;
        }

        /// <summary>Records a state of the player received at recvUs (the
        /// event's RecvUs): true if kept, false if not (a duplicate, or older
        /// than all kept).</summary>
        public bool Push(State st, ulong recvUs)
        {
            return Native.ricochet_interp_push(Live(), ref st, recvUs) == 1;
        }

        /// <summary>Where to draw the player at renderUs of my clock, normally
        /// Native.ricochet_now_us() minus the delay.</summary>
        public InterpPoint At(ulong renderUs)
        {
            InterpPoint p;
            Native.ricochet_interp_at(Live(), renderUs, out p);
            if (p.Kind == InterpKind.None)
                p.X = p.Y = 0;
            return p;
        }

        /// <summary>The last state pushed, whatever its Seq (the raw arrivals,
        /// for a view without interpolation); false if none yet.</summary>
        public bool Latest(out State st)
        {
            return Native.ricochet_interp_latest(Live(), out st) == 1;
        }

        /// <summary>Empties it (the player left, or the session moved), keeping its limits.</summary>
        public void Clear()
        {
            Native.ricochet_interp_clear(Live());
        }

        /// <summary>Frees it; twice is fine.</summary>
        public void Dispose()
        {
            if (ip != IntPtr.Zero)
                Native.ricochet_interp_free(ip);
            ip = IntPtr.Zero;
            GC.SuppressFinalize(this);
        }

        ~Interp()
        {
            if (ip != IntPtr.Zero)
                Native.ricochet_interp_free(ip);
        }
    }
}
