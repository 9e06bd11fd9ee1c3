// EventType.cs: what an event is (ricochet.h's enum ricochet_event_type):
// GameEvent.Type.

namespace Ricochet
{
    public enum EventType
    {
        Welcome = 0, State = 1, TooOld = 2, Joined = 3, Left = 4, Chat = 5, Error = 6,
        Disconnected = 7, Moved = 8, Appeared = 9, Vanished = 10, Event = 11, Rooms = 12,
        Rejoined = 13, // a member back after its rejoin or move, or mine: the same Player
        Room = 14,     // my room's settings or owner changed: Session.GetRoomSettings() says them
        Frame = 15,    // a lockstep room's confirmed frame (Id: its tick; Data: its bytes), in tick order
        Late = 16,     // inputs of mine came after their tick closed (Id: the newest): Session.LockstepLate
        Desync = 17    // members' checks of tick Id differ from the room's: Session.LockstepDesync
    }
}
