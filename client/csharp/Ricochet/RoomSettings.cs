// RoomSettings.cs: my room as the relay last said it (Session.GetRoomSettings):
// its owner, props, open, listed, size, and whether it is mine.

namespace Ricochet
{
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
}
