// GameEvent.cs: one event from Session.Poll: the native one's numbers, its
// texts as strings and the bytes that came with it.

namespace Ricochet
{
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
}
