// InterpPoint.cs: struct ricochet_interp_point, where to draw a player
// (Interp.At).
using System.Runtime.InteropServices;

namespace Ricochet
{
    /// <summary>struct ricochet_interp_point: where to draw a player; X and Y
    /// in the game's units (0 for None), SeqA and SeqB the states used (equal when
    /// one was).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct InterpPoint
    {
        public InterpKind Kind;
        public float X, Y;
        public uint SeqA, SeqB;
    }
}
