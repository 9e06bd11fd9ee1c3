// Clock.cs: struct ricochet_clock, my clock's offset to the relay's
// (Session.ClockOffset).
using System.Runtime.InteropServices;

namespace Ricochet
{
    /// <summary>struct ricochet_clock: my clock's offset to the relay's.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Clock
    {
        [MarshalAs(UnmanagedType.I1)] public bool Known;
        public long OffsetUs;
        public ulong BoundUs;
    }
}
