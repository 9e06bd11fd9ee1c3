// InterpKind.cs: where a player is to be drawn, as Interp.At says (ricochet.h's
// enum ricochet_interp_kind).

namespace Ricochet
{
    /// <summary>Where a player is to be drawn (Interp.At).</summary>
    public enum InterpKind
    {
        None = 0,         // no state yet: nothing to draw
        Before = 1,       // render time before the oldest state kept: held at it
        Between = 2,      // between the two states around render time (or on one)
        Extrapolated = 3, // past the newest, or across a hole wider than MaxGapMs: along its velocity
        Stale = 4         // further past than ExtrapolateMs: held where that limit put it
    }
}
