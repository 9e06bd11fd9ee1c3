// Native.cs: libricochet's calls as P/Invoke declares them
// (DllImport("ricochet")), its constants and rules, and the conversions every
// type uses: strings as UTF-8 both ways, props as the library's array, and the
// library not found said in words.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Ricochet
{
    public static class Native
    {
        public const string Lib = "ricochet"; // libricochet.so, beside the game or where ld.so looks
        public const ushort DefaultPort = 7777; // RICOCHET_DEFAULT_PORT
        public const int PayloadMax = 1135;   // RICOCHET_PAYLOAD_MAX
        public const int EventMax = 4096;     // RICOCHET_EVENT_MAX
        public const int MembersMax = 256;    // RICOCHET_MEMBERS_MAX
        public const int RoomsPage = 64;      // RICOCHET_ROOMS_PAGE: rooms in one listing, at most
        public const int AnyRoomMax = 28;     // a prefix with AnyRoom: a room's 32 less 4 for the number
        public const uint ToRoom = 0;         // RICOCHET_TO_ROOM
        public const uint RoomSender = 4294967295; // RICOCHET_ROOM_SENDER: an Event's Id when the room sent it
        public const string NameRule = "1-32 characters of A-Z a-z 0-9 _ . -"; // rooms
        public const string PlayerRule = "1-32 bytes of UTF-8 in any script, no control or format " +
                                         "characters, not only spaces"; // players' names: "민수"
        public const string PrefixRule = "0-32 characters of A-Z a-z 0-9 _ . -"; // what ListRooms takes
        public const uint PollWaitMaxMs = 25000;    // RICOCHET_POLL_WAIT_MAX_MS: a long poll's wait, at most
        public const uint PollIntervalMaxMs = 10000; // RICOCHET_POLL_INTERVAL_MAX_MS: a short poll's interval
        public const int LockstepSlotsMax = 32; // RICOCHET_LOCKSTEP_SLOTS_MAX: players of a lockstep room
        public const int InputMax = 255;        // RICOCHET_INPUT_MAX: bytes of one lockstep input, at most

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
        [DllImport(Lib)] public static extern uint ricochet_event_was(IntPtr r);
        [DllImport(Lib)] public static extern int ricochet_config_add_relay(IntPtr cfg, byte[] host, ushort port);
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
        // lockstep rooms
        [DllImport(Lib)] public static extern int ricochet_config_set_lockstep(IntPtr cfg, ref NativeLockstep ls);
        [DllImport(Lib)] public static extern int ricochet_config_set_spectator(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool spectator);
        [DllImport(Lib)] public static extern int ricochet_lockstep(IntPtr r, out NativeLockstep out_, out int slot, out uint kept);
        [DllImport(Lib)] public static extern int ricochet_lockstep_from(IntPtr r, uint tick);
        [DllImport(Lib)] public static extern uint ricochet_lockstep_tick(IntPtr r);
        [DllImport(Lib)] public static extern uint ricochet_lockstep_aim(IntPtr r);
        [DllImport(Lib)] public static extern int ricochet_send_input(IntPtr r, uint tick, byte[] data, UIntPtr len);
        [DllImport(Lib)] public static extern int ricochet_send_check(IntPtr r, uint tick, ulong sum);
        [DllImport(Lib)] public static extern int ricochet_lockstep_late(IntPtr r, out uint tick, out ulong byUs, out uint count);
        [DllImport(Lib)] public static extern UIntPtr ricochet_lockstep_desync(IntPtr r, [Out] uint[] ids, UIntPtr cap);
        [DllImport(Lib)] public static extern IntPtr ricochet_lockstep_player(IntPtr r, uint slot);
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

        /// <summary>The library's version ("1.7.0"); DllNotFoundException,
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
}
