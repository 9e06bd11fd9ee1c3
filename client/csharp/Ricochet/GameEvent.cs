// GameEvent.cs: one event from Session.Poll: what it is, who, its state,
// its names and texts as strings, and the bytes that came with it (a
// state's payload, an event's body).

namespace Ricochet
{
    /// <summary>One event. Data: its bytes, never null: a copy of its own
    /// from Poll(ms, out ev); with Poll(ms, out ev, buffer) the buffer itself,
    /// its first DataLength bytes the event's (nothing allocated).</summary>
    public struct GameEvent
    {
        EventType type;
        uint id;
        Mode mode;
        State state;
        ulong recvUs, boundUs;
        long latencyUs;
        bool latencyKnown;
        string name, code;
        internal string text, key, creator;
        internal uint was;
        byte[] data;
        int dataLen;

        internal GameEvent(EventType type, uint id, Mode mode, State state, string name, string code,
                           ulong recvUs = 0, long latencyUs = 0, ulong boundUs = 0, bool known = false)
        {
            this.type = type;
            this.id = id;
            this.mode = mode;
            this.state = state;
            this.name = name;
            this.code = code;
            this.recvUs = recvUs != 0 ? recvUs : (ulong)Clock.NowUs();
            this.latencyUs = latencyUs;
            this.boundUs = boundUs;
            latencyKnown = known;
            text = key = creator = null;
            was = 0;
            data = null;
            dataLen = 0;
        }

        internal GameEvent(NativeEvent n, byte[] bytes, string kept, string heir, uint before)
            : this(n.Type, n.Id, n.Mode, n.State, Native.Str(n.Name), Native.Str(n.Code), n.RecvUs, n.LatencyUs,
                   n.LatencyBoundUs, n.LatencyKnown)
        {
            text = Native.Str(n.Text);
            key = kept;
            creator = heir;
            was = before;
            data = bytes;
            dataLen = bytes == null ? 0 : bytes.Length;
        }

        internal void SetData(byte[] bytes, int len)
        {
            data = bytes;
            dataLen = len;
        }

        static readonly byte[] None = new byte[0];

        public EventType Type { get { return type; } }
        public uint Id { get { return id; } }
        public Mode Mode { get { return mode; } }
        public State State { get { return state; } }
        public ulong RecvUs { get { return recvUs; } }
        public long LatencyUs { get { return latencyUs; } }
        public ulong LatencyBoundUs { get { return boundUs; } }
        public bool LatencyKnown { get { return latencyKnown; } }
        public string Name { get { return name ?? ""; } }
        public string Code { get { return code ?? ""; } }
        public string Text { get { return text ?? ""; } }
        public byte[] Data { get { return data ?? None; } }
        /// <summary>How many bytes of Data are the event's (Data.Length but
        /// with Poll's buffer).</summary>
        public int DataLength { get { return dataLen; } }
        /// <summary>A kept event's key (PROTOCOL.md, "Kept events"), else "".</summary>
        public string Key { get { return key ?? ""; } }
        /// <summary>Replayed by the relay to me, a latecomer, after my Welcome.</summary>
        public bool Kept { get { return Code == "kept"; } }
        /// <summary>A Left of my room's owner: the player id of the member who
        /// owns it now (Session.RoomMine: it is me), else "".</summary>
        public string Creator { get { return creator ?? ""; } }
        /// <summary>A Rejoined member's id before it came back (Id: its id now,
        /// the same when it took its own place back, another after a relay's
        /// restart or a move); 0 for any other event.</summary>
        public uint Was { get { return was; } }
    }
}
