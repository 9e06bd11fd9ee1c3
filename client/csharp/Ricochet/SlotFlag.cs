// SlotFlag.cs: a slot's flag in a lockstep room's frame (ricochet.h's enum
// ricochet_slot_flag): Session.FrameInput.

namespace Ricochet
{
    public enum SlotFlag
    {
        Empty = 0,    // a player, no input in time, nothing stands in
        Present = 1,  // its input
        Repeated = 2, // no input in time: its last stands in
        Left = 3      // no player holds the slot
    }
}
