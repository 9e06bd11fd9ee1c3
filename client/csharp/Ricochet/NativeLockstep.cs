// NativeLockstep.cs: struct ricochet_lockstep as P/Invoke passes it (a
// lockstep room's settings, Lockstep's fields), field for field.
using System.Runtime.InteropServices;

namespace Ricochet
{
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeLockstep
    {
        public uint Hz, Delay, Slots, InputMax;
        [MarshalAs(UnmanagedType.I1)] public bool StandInLast;
        public uint CheckEvery, SpectatorDelay;
    }
}
