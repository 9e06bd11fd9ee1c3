// Room.cs: a room of the relay as its listing said (Session.Rooms): its
// members, capacity, props and whether it is open.

namespace Ricochet
{
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
}
