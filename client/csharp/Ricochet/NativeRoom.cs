// NativeRoom.cs: struct ricochet_room, a room of the relay as its listing says
// (Session.Rooms reads it into a Room).
using System.Runtime.InteropServices;

namespace Ricochet
{
    /// <summary>struct ricochet_room: a room of the relay, as its listing says.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeRoom
    {
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 33)] public byte[] Room;
        public uint Members;
        public uint Capacity;
    }
}
