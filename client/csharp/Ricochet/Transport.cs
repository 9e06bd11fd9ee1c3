// Transport.cs: what carries a session (ricochet.h's enum ricochet_transport):
// Config.Transport.

namespace Ricochet
{
    public enum Transport { Default = 0, WebRtc = 1, Quic = 2, WebTransport = 3, Poll = 4 }
}
