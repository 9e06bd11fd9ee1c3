// Config.cs: what a session needs (new Session(Config)): the relay, the room
// and my name or a ticket, and the options of ricochet_config_set_*.

namespace Ricochet
{
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
        public string[] Relays;               // the fleet's other relays, "HOST:PORT" (up to 7, the same
                                              // edge as Port's): a rejoin goes through the next when the
                                              // one it would is the relay lost, or an attempt fails
        public bool Reflect;                  // my own states back to me (Session.Rtt)
        public float Aoi;                     // a room I create: its radius of interest; 0: none
        public string Pin;                    // QUIC, wss: the relay's certificate's SHA-256 (64 hex digits)
        public bool Tls;                      // Mode.Ws over TLS (wss://), the platform's SslStream
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
        // A lockstep room: the room my join makes is one of these settings (a room that exists is
        // joined as it is); null: a room of states. Spectator: join one without a slot
        public Lockstep Lockstep;
        public bool Spectator;

        internal object Clone() { return MemberwiseClone(); }
    }
}
