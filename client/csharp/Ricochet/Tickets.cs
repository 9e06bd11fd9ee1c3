// Tickets.cs: join tickets (PROTOCOL.md, "Tickets"; proto/ticket.c the
// reference) in managed code: minted for a game's backend as ricochet-ticket
// mint prints them, and read by a session (TicketClaims: its room, name,
// keys and pass).
using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace Ricochet
{
    /// <summary>For a game's backend: tickets minted as ricochet-ticket mint
    /// prints them (docs/tickets.md, "Minting in a backend").</summary>
    public static class Tickets
    {
        public const int TicketMax = 952; // RICOCHET_TICKET_MAX: characters of a ticket
        const int Format = 2, PassHeader = 45;

        /// <summary>The ticket for name in room under the key in keyFile (the
        /// relays' --ticket-key), valid ttlS seconds (1..604800) on the relays
        /// of the fleet where names (null: "ricochet") or, with a ':' in it,
        /// on the relay endpoints it lists ("host:port,..."); its session must
        /// be sealed unless clear. No newline. ArgumentException says why not.</summary>
        public static string Mint(string keyFile, string room, string name, string where = null,
                                  uint ttlS = 3600, bool clear = false)
        {
            if (keyFile == null || room == null || name == null)
                throw new ArgumentException("Tickets.Mint: a key file, a room and a name are needed");
            string text;
            try {
                text = File.ReadAllText(keyFile);
            } catch (Exception e) {
                throw new ArgumentException(keyFile + ": " + e.Message);
            }
            var secret = new byte[32];
            if (text.Length != 65 || text[64] != '\n' || !Bytes.FromHex(text.Substring(0, 64), secret, false))
                throw new ArgumentException(keyFile + ": not a ticket key (64 hex digits, as ricochet-ticket keygen writes)");
            if (!Rules.Room(room))
                throw new ArgumentException("the room breaks the name rules (1-32 of A-Z a-z 0-9 _ - .)");
            if (Rules.NameWhy(name) != null)
                throw new ArgumentException("the name breaks the name rule (1-32 bytes of UTF-8, no control or " +
                                            "format characters, not only spaces)");
            bool relays = where != null && where.IndexOf(':') >= 0;
            string fleet = relays ? "" : string.IsNullOrEmpty(where) ? "ricochet" : where;
            var ends = new List<string>();
            if (relays)
                foreach (var e in where.Split(',')) {
                    if (e.Length < 1 || e.Length > 47 || e.IndexOf(' ') >= 0 || ends.Count == 4)
                        throw new ArgumentException("relay " + e + ": at most 4 endpoints host:port of 1-47 bytes");
                    ends.Add(e);
                }
            else if (!Rules.Room(fleet))
                throw new ArgumentException("the fleet breaks the name rules (1-32 of A-Z a-z 0-9 _ - .)");
            if (ttlS < 1 || ttlS > 604800)
                throw new ArgumentException("the expiry is not after the issue time, or more than a week after");
            var up = new byte[32];
            var down = new byte[32];
            var nonce = new byte[24];
            using (var rng = RandomNumberGenerator.Create()) {
                rng.GetBytes(up);
                rng.GetBytes(down);
                rng.GetBytes(nonce);
            }
            var claims = new MemoryStream();
            claims.Write(up, 0, 32);
            claims.Write(down, 0, 32);
            claims.WriteByte((byte)(clear ? 0 : 1));
            foreach (var s in new[] { room, name, fleet }) {
                var b = Encoding.UTF8.GetBytes(s);
                claims.WriteByte((byte)b.Length);
                claims.Write(b, 0, b.Length);
            }
            claims.WriteByte((byte)ends.Count);
            foreach (var e in ends) {
                var b = Encoding.ASCII.GetBytes(e);
                claims.WriteByte((byte)b.Length);
                claims.Write(b, 0, b.Length);
            }
            byte[] plain = claims.ToArray();
            ulong issued = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var pass = new byte[PassHeader + plain.Length + 16];
            pass[0] = Format;
            Bytes.Be32(pass, 1, Bytes.Be32(Blake2b.Hash(32, null, secret), 0));
            Bytes.Be64(pass, 5, issued);
            Bytes.Be64(pass, 13, issued + ttlS);
            Buffer.BlockCopy(nonce, 0, pass, 21, 24);
            new Aead().XSeal(secret, nonce, pass, 0, PassHeader, plain, 0, plain.Length, pass, PassHeader);
            var all = new byte[3 + pass.Length + plain.Length];
            all[0] = Format;
            Bytes.Be16(all, 1, pass.Length);
            Buffer.BlockCopy(pass, 0, all, 3, pass.Length);
            Buffer.BlockCopy(plain, 0, all, 3 + pass.Length, plain.Length);
            Array.Clear(secret, 0, 32);
            return Bytes.Base64Url(all, 0, all.Length);
        }
    }

    /// <summary>What a ticket says its holder (PROTOCOL.md, "Tickets"): room,
    /// name, the session keys, whether it must be sealed, and its pass.</summary>
    internal sealed class TicketClaims
    {
        public string Room, Name, Pass;
        public byte[] UpKey = new byte[32], DownKey = new byte[32];
        public bool MustSeal;

        /// <summary>The claims of a ticket's text; null if it is not one.</summary>
        public static TicketClaims Read(string text)
        {
            byte[] b = Bytes.FromBase64Url(text);
            if (b == null || b.Length < 3 || b[0] != 2)
                return null;
            int passLen = Bytes.Be16(b, 1);
            if (passLen < 61 || 3 + passLen > b.Length || b[3] != 2)
                return null;
            var t = new TicketClaims { Pass = Bytes.Base64Url(b, 3, passLen) };
            int at = 3 + passLen;
            try {
                Buffer.BlockCopy(b, at, t.UpKey, 0, 32);
                Buffer.BlockCopy(b, at + 32, t.DownKey, 0, 32);
                int flags = b[at + 64];
                if ((flags & ~1) != 0)
                    return null;
                t.MustSeal = (flags & 1) != 0;
                at += 65;
                t.Room = Encoding.UTF8.GetString(b, at + 1, b[at]);
                at += 1 + b[at];
                t.Name = Encoding.UTF8.GetString(b, at + 1, b[at]);
                at += 1 + b[at];
                at += 1 + b[at]; // the fleet
                int relays = b[at++];
                for (int i = 0; i < relays; i++)
                    at += 1 + b[at];
                if (at != b.Length || !Rules.Room(t.Room) || Rules.NameWhy(t.Name) != null)
                    return null;
            } catch (ArgumentException) {
                return null;
            } catch (IndexOutOfRangeException) {
                return null;
            }
            return t;
        }
    }
}
