// Link.cs: what carries a managed session to its relay (EnetLink: ENet's
// wire over UDP; StreamLink: TCP or a WebSocket, plain or TLS), as the
// session (Core) sees it: it sends control messages and states, and the link
// hands it each message that came, whole, with its channel and flags.
using System;

namespace Ricochet
{
    internal abstract class Link
    {
        public const int FlagReliable = 1, FlagUnsequenced = 2; // ENet's packet flags

        protected readonly Core core;

        protected Link(Core core) { this.core = core; }

        /// <summary>Connected: control messages may go.</summary>
        public abstract bool Ready { get; }

        /// <summary>Reads what came (waiting up to waitMs for the first of
        /// it), handing each message to core.Arrived, and runs the link's
        /// timers. A link that ends says so with core.LinkLost.</summary>
        public abstract void Service(long nowUs, int waitMs);

        public abstract bool SendControl(byte[] b, int off, int len);

        /// <summary>A state on its way for mode (ENet: its channel and flags).</summary>
        public abstract bool SendState(byte[] b, int off, int len, Mode mode);

        public abstract void Flush();

        /// <summary>Says goodbye (what is queued goes first) and closes.</summary>
        public abstract void Close();

        /// <summary>How long the relay has said nothing at all (0 while connecting).</summary>
        public abstract long SilentUs(long nowUs);
    }
}
