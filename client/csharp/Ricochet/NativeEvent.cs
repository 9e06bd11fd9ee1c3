// NativeEvent.cs: struct ricochet_event as ricochet_poll fills it, its texts
// fixed arrays of bytes (GameEvent reads them); 352 bytes on 64-bit Linux.
using System.Runtime.InteropServices;

namespace Ricochet
{
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeEvent
    {
        public EventType Type;
        public uint Id;
        public Mode Mode;
        public State State;
        public ulong RecvUs;
        public long LatencyUs;
        public ulong LatencyBoundUs;
        [MarshalAs(UnmanagedType.I1)] public bool LatencyKnown;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 33)] public byte[] Name;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 32)] public byte[] Code;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 201)] public byte[] Text;
    }
}
