// State.cs: struct ricochet_state, a member's place and speed: Sender and Seq
// set by the relay and the library.
using System.Runtime.InteropServices;

namespace Ricochet
{
    [StructLayout(LayoutKind.Sequential)]
    public struct State
    {
        public uint Sender;
        public uint Seq;
        public ulong SendUs;
        public float X, Y, Vx, Vy, Heading;
    }
}
