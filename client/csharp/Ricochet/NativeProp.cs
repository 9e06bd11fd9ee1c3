// NativeProp.cs: struct ricochet_prop, a room's property as the library takes
// and gives it: a key of 1-16 bytes, a value of 0-64.
using System.Runtime.InteropServices;

namespace Ricochet
{
    /// <summary>struct ricochet_prop: a room's property, a key (1-16 bytes) and
    /// a value (0-64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeProp
    {
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 17)] public byte[] Key;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 65)] public byte[] Value;
    }
}
