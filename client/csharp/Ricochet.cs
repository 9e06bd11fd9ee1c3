// Ricochet.cs: libricochet from C# (Unity, Godot's C#, Mono, .NET), through
// P/Invoke over the installed C library, in one file, the way ENet-CSharp
// binds ENet. The reference is the C header (man 3 ricochet); the guide
// docs/library.md. Structs mirror ricochet.h's layout (pinned by
// tests/test_ricochet.c; NativeEvent is 352 bytes on 64-bit Linux).
//
//   using (var s = new Ricochet.Session("127.0.0.1", 7777, "lobby", "cs")) {
//       while (s.Poll(10, out var ev)) { ... ev.Type, ev.Id, ev.State, ev.Data ... }
//       s.SendState(new Ricochet.State { X = 50, Y = 50 }, payload);
//       s.SendEvent(Ricochet.Native.ToRoom, body);
//   }
//
// A payload past PayloadMax or an event past EventMax throws
// ArgumentException, null where bytes go ArgumentNullException, before
// anything is sent; any call on a closed session ObjectDisposedException.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Ricochet
{
    public enum EventType
    {
        Welcome = 0, State = 1, TooOld = 2, Joined = 3, Left = 4, Chat = 5, Error = 6,
        Disconnected = 7, Moved = 8, Appeared = 9, Vanished = 10, Event = 11
    }

    public enum Mode { Unsequenced = 0, Sequenced = 1, Reliable = 2, Udp = 3, Tcp = 4, Ws = 5 }

    public enum Status { Ok = 0, Invalid = -1, NotJoined = -2, Send = -3, Unsupported = -4, TooBig = -5 }

    [StructLayout(LayoutKind.Sequential)]
    public struct State
    {
        public uint Sender;
        public uint Seq;
        public ulong SendUs;
        public float X, Y, Vx, Vy, Heading;
    }

    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Ansi)]
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
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 33)] public string Name;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 32)] public string Code;
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 201)] public string Text;
    }

    /// <summary>One event: the native one, and the bytes that came with it
    /// (a state's payload, an event's body), copied.</summary>
    public struct GameEvent
    {
        public EventType Type;
        public uint Id;
        public Mode Mode;
        public State State;
        public string Name, Code, Text;
        public byte[] Data;
    }

    public static class Native
    {
        public const string Lib = "ricochet"; // libricochet.so (make install-lib)
        public const int PayloadMax = 1135;   // RICOCHET_PAYLOAD_MAX
        public const int EventMax = 1024;     // RICOCHET_EVENT_MAX
        public const uint ToRoom = 0;         // RICOCHET_TO_ROOM

        [DllImport(Lib)] public static extern IntPtr ricochet_config_new();
        [DllImport(Lib)] public static extern void ricochet_config_free(IntPtr cfg);
        [DllImport(Lib)] public static extern int ricochet_config_set_relay(IntPtr cfg, string host, ushort port);
        [DllImport(Lib)] public static extern int ricochet_config_set_room(IntPtr cfg, string room);
        [DllImport(Lib)] public static extern int ricochet_config_set_name(IntPtr cfg, string name);
        [DllImport(Lib)] public static extern int ricochet_config_set_mode(IntPtr cfg, Mode mode);
        [DllImport(Lib)] public static extern IntPtr ricochet_connect(IntPtr cfg, StringBuilder err, UIntPtr cap);
        [DllImport(Lib)] public static extern void ricochet_close(IntPtr r);
        [DllImport(Lib)] public static extern int ricochet_poll(IntPtr r, int timeoutMs, out NativeEvent ev);
        [DllImport(Lib)] public static extern int ricochet_send_state_payload(IntPtr r, ref State s, byte[] payload, UIntPtr len);
        [DllImport(Lib)] public static extern int ricochet_send_event(IntPtr r, uint to, byte[] data, UIntPtr len);
        [DllImport(Lib)] public static extern IntPtr ricochet_event_bytes(IntPtr r, out UIntPtr len);
        [DllImport(Lib)] public static extern int ricochet_send_chat(IntPtr r, string text);
        [DllImport(Lib)] public static extern uint ricochet_id(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_end_reason(IntPtr r);
        [DllImport(Lib)] public static extern IntPtr ricochet_strerror(int status);
        [DllImport(Lib)] public static extern IntPtr ricochet_version();

        public static string Str(IntPtr p) { return p == IntPtr.Zero ? "" : Marshal.PtrToStringAnsi(p); }
    }

    public sealed class Session : IDisposable
    {
        IntPtr r;

        public Session(string host, ushort port, string room, string name, Mode mode = Mode.Unsequenced)
        {
            IntPtr cfg = Native.ricochet_config_new();
            var err = new StringBuilder(256);
            bool ok = Native.ricochet_config_set_relay(cfg, host, port) == 0 &&
                      Native.ricochet_config_set_room(cfg, room) == 0 &&
                      Native.ricochet_config_set_name(cfg, name) == 0 &&
                      Native.ricochet_config_set_mode(cfg, mode) == 0;
            r = ok ? Native.ricochet_connect(cfg, err, (UIntPtr)256) : IntPtr.Zero;
            Native.ricochet_config_free(cfg);
            if (r == IntPtr.Zero)
                throw new InvalidOperationException(err.Length > 0 ? err.ToString() : "bad relay, room or name");
        }

        IntPtr Live()
        {
            if (r == IntPtr.Zero)
                throw new ObjectDisposedException("Ricochet.Session", "the session is closed");
            return r;
        }

        public uint Id { get { return Native.ricochet_id(Live()); } }

        /// <summary>The next event within timeoutMs: true with ev, false if none
        /// came; InvalidOperationException once the session is over.</summary>
        public bool Poll(int timeoutMs, out GameEvent ev)
        {
            IntPtr s = Live();
            NativeEvent n;
            int got = Native.ricochet_poll(s, timeoutMs, out n);
            ev = new GameEvent();
            if (got < 0)
                throw new InvalidOperationException(Native.Str(Native.ricochet_end_reason(s)));
            if (got == 0)
                return false;
            UIntPtr len;
            IntPtr p = Native.ricochet_event_bytes(s, out len);
            var data = new byte[(int)len];
            if (data.Length > 0)
                Marshal.Copy(p, data, 0, data.Length);
            ev = new GameEvent { Type = n.Type, Id = n.Id, Mode = n.Mode, State = n.State,
                                 Name = n.Name, Code = n.Code, Text = n.Text, Data = data };
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

        /// <summary>My state with a payload (PayloadMax bytes at most).</summary>
        public Status SendState(State st, byte[] payload = null)
        {
            payload = Checked(payload ?? new byte[0], "payload", Native.PayloadMax);
            return (Status)Native.ricochet_send_state_payload(Live(), ref st, payload, (UIntPtr)payload.Length);
        }

        /// <summary>An event (EventMax bytes at most) to member `to`, or to the room (Native.ToRoom).</summary>
        public Status SendEvent(uint to, byte[] data)
        {
            data = Checked(data, "data", Native.EventMax);
            return (Status)Native.ricochet_send_event(Live(), to, data, (UIntPtr)data.Length);
        }

        public Status SendChat(string text)
        {
            if (text == null)
                throw new ArgumentNullException("text");
            return (Status)Native.ricochet_send_chat(Live(), text);
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
