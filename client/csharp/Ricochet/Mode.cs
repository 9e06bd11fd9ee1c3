// Mode.cs: how my states travel (ricochet.h's enum ricochet_mode): Config.Mode,
// Session.SetMode.

namespace Ricochet
{
    public enum Mode { Unsequenced = 0, Sequenced = 1, Reliable = 2, Udp = 3, Tcp = 4, Ws = 5, Streams = 6 }
}
