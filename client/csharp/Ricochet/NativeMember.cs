// NativeMember.cs: struct ricochet_member as ricochet_members fills it
// (Session.Members reads it into a Member).
using System.Runtime.InteropServices;

namespace Ricochet
{
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeMember
    {
        public uint Id;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 33)] public byte[] Name;
        public Mode Mode;
        [MarshalAs(UnmanagedType.I1)] public bool HasState;
        public State Last;
        public ulong LastRecvUs;
        public Stats Stats;
    }
}
