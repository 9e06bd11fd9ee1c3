// Tickets.cs: tickets minted for a game's backend, as ricochet-ticket mint
// prints them (ricochet_ticket_mint).
using System;

namespace Ricochet
{
    /// <summary>For a game's backend: tickets minted as ricochet-ticket mint
    /// prints them (docs/tickets.md, "Minting in a backend").</summary>
    public static class Tickets
    {
        public const int TicketMax = 952; // RICOCHET_TICKET_MAX: characters of a ticket

        /// <summary>The ticket for name in room under the key in keyFile (the
        /// relays' --ticket-key), valid ttlS seconds (1..604800) on the relays
        /// of the fleet where names (null: "ricochet") or, with a ':' in it,
        /// on the relay endpoints it lists ("host:port,..."); its session must
        /// be sealed unless clear. No newline. ArgumentException says why not.</summary>
        public static string Mint(string keyFile, string room, string name, string where = null,
                                  uint ttlS = 3600, bool clear = false)
        {
            var out_ = new byte[TicketMax + 1];
            int n = Native.Loaded(() => Native.ricochet_ticket_mint(
                Native.Utf8(keyFile), Native.Utf8(room), Native.Utf8(name), Native.Utf8(where), ttlS,
                clear ? 1u : 0u, out_, (UIntPtr)out_.Length));
            if (n < 0)
                throw new ArgumentException(Native.Str(out_));
            return Native.Str(out_);
        }
    }
}
