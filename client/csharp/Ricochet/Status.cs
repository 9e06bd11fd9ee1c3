// Status.cs: what a call returns (ricochet.h's RICOCHET_E*): Ok, or why it did
// not send.

namespace Ricochet
{
    public enum Status { Ok = 0, Invalid = -1, NotJoined = -2, Send = -3, Unsupported = -4, TooBig = -5 }
}
