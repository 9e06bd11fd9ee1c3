// Seal.cs: a sealed session's two directions (PROTOCOL.md, "Sealed
// sessions"; proto/seal.c the reference): the session keys from the
// ticket's keys, the join's nonce and the relay's salt, the `sealed`
// message's tag, and each message sealed on its lane with a counter, opened
// against a window of 1024 counters per lane. No allocation per message.
using System;

namespace Ricochet
{
    public sealed class Seal
    {
        public const int Overhead = 25, Header = 9, Prefix = 0x80, Window = 1024;
        public const int LaneControl = 0, LaneState = 1, LaneReliable = 2;
        public const int Forged = -3, Replayed = -4, Short = -2;

        static readonly byte[] SessionLabel = System.Text.Encoding.ASCII.GetBytes("ricochet-session");
        static readonly byte[] SealedLabel = System.Text.Encoding.ASCII.GetBytes("ricochet-sealed");

        readonly Aead aead = new Aead();
        readonly byte[] up = new byte[32], down = new byte[32], nonce = new byte[12];
        readonly ulong[] next = new ulong[3];       // each lane's next counter out
        readonly ulong[] top = new ulong[3];        // each lane's newest counter in + 1; 0: none
        readonly ulong[,] seen = new ulong[3, Window / 64];

        /// <summary>A direction's session key: BLAKE2b-256 keyed with the
        /// ticket's key of it, of "ricochet-session", nonce and salt.</summary>
        public static byte[] SessionKey(byte[] ticketKey, byte[] joinNonce, byte[] salt)
        {
            return Blake2b.Hash(32, ticketKey, SessionLabel, joinNonce, salt);
        }

        /// <summary>The `sealed` message's tag: BLAKE2b-128 keyed with the
        /// ticket's down key, of "ricochet-sealed", nonce and salt.</summary>
        public static byte[] Proof(byte[] downKey, byte[] joinNonce, byte[] salt)
        {
            return Blake2b.Hash(16, downKey, SealedLabel, joinNonce, salt);
        }

        /// <summary>The session of a join: keys from the ticket's, the join's
        /// nonce and the relay's salt; counters and windows at zero.</summary>
        public Seal(byte[] upKey, byte[] downKey)
        {
            Buffer.BlockCopy(upKey, 0, up, 0, 32);
            Buffer.BlockCopy(downKey, 0, down, 0, 32);
        }

        public static bool IsSealed(byte[] b, int at, int n)
        {
            return n >= 1 && b[at] >= Prefix && b[at] < Prefix + 3;
        }

        void LaneNonce(int lane, ulong counter)
        {
            Array.Clear(nonce, 0, 12);
            nonce[0] = (byte)lane;
            Bytes.Le64(nonce, 4, counter);
        }

        /// <summary>m[mo..mo+n) sealed on lane into output at oo (n + 25
        /// bytes; not overlapping m); the sealed length.</summary>
        public int Box(int lane, byte[] m, int mo, int n, byte[] output, int oo)
        {
            ulong counter = next[lane]++;
            output[oo] = (byte)(Prefix + lane);
            Bytes.Be64(output, oo + 1, counter);
            LaneNonce(lane, counter);
            aead.Seal(up, nonce, output, oo, Header, m, mo, n, output, oo + Header);
            return n + Overhead;
        }

        /// <summary>A sealed message c[co..co+n) opened into output at oo
        /// (n - 25 bytes), its counter recorded; lane gets its lane. The
        /// plaintext's length, or Short, Replayed (nothing decrypted) or Forged
        /// (the window untouched).</summary>
        public int Open(byte[] c, int co, int n, byte[] output, int oo, out int lane)
        {
            lane = -1;
            if (n < Overhead || !IsSealed(c, co, n))
                return Short;
            lane = c[co] - Prefix;
            ulong counter = Bytes.Be64(c, co + 1);
            ulong t = top[lane];
            if (counter < t && (t - 1 - counter >= Window || // the newest, or 1023 below it, at most
                                (seen[lane, (counter % Window) / 64] >> (int)(counter % 64) & 1) != 0))
                return Replayed;
            LaneNonce(lane, counter);
            if (!aead.Open(down, nonce, c, co, Header, c, co + Header, n - Header, output, oo))
                return Forged;
            if (counter >= t) { // newer: forget what slides out of the window
                for (ulong k = t; k <= counter && k - t < Window; k++)
                    seen[lane, (k % Window) / 64] &= ~(1UL << (int)(k % 64));
                top[lane] = counter + 1;
            }
            seen[lane, (counter % Window) / 64] |= 1UL << (int)(counter % 64);
            return n - Overhead;
        }
    }
}
