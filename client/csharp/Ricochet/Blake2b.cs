// Blake2b.cs: BLAKE2b (RFC 7693), keyed or not, 1-64 bytes out: what the
// relay's libsodium crypto_generichash computes for a ticket key's id, a
// sealed session's keys and tag (PROTOCOL.md, "Sealed sessions") and a
// player's id. Managed, so the binding needs no native library; checked
// against RFC 7693's vector and libsodium's outputs (tests/test_csharp_crypto.c).
using System;

namespace Ricochet
{
    public sealed class Blake2b
    {
        static readonly ulong[] IV = {
            0x6a09e667f3bcc908UL, 0xbb67ae8584caa73bUL, 0x3c6ef372fe94f82bUL, 0xa54ff53a5f1d36f1UL,
            0x510e527fade682d1UL, 0x9b05688c2b3e6c1fUL, 0x1f83d9abfb41bd6bUL, 0x5be0cd19137e2179UL
        };
        static readonly byte[,] Sigma = {
            { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
            { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
            { 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
            { 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
            { 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
            { 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
            { 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
            { 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
            { 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
            { 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 }
        };

        readonly ulong[] h = new ulong[8], v = new ulong[16], m = new ulong[16];
        readonly byte[] block = new byte[128];
        int fill, outLen;
        ulong t0, t1;

        /// <summary>A hash of outLen bytes (1-64), keyed with key (null or
        /// empty: none; at most 64 bytes).</summary>
        public Blake2b(int outLen, byte[] key = null)
        {
            Init(outLen, key);
        }

        public void Init(int outLen, byte[] key)
        {
            int keyLen = key == null ? 0 : key.Length;
            if (outLen < 1 || outLen > 64 || keyLen > 64)
                throw new ArgumentException("BLAKE2b: 1-64 bytes out, a key of at most 64");
            this.outLen = outLen;
            Array.Copy(IV, h, 8);
            h[0] ^= 0x01010000UL ^ ((ulong)keyLen << 8) ^ (ulong)outLen;
            t0 = t1 = 0;
            fill = 0;
            Array.Clear(block, 0, 128);
            if (keyLen > 0) {
                Update(key, 0, keyLen);
                fill = 128; // the key is a whole block of its own
            }
        }

        public void Update(byte[] data, int offset, int count)
        {
            while (count > 0) {
                if (fill == 128) { // a full block waits: only the last is final
                    Add(128);
                    Compress(false);
                    fill = 0;
                }
                int take = Math.Min(128 - fill, count);
                Buffer.BlockCopy(data, offset, block, fill, take);
                fill += take;
                offset += take;
                count -= take;
            }
        }

        /// <summary>The hash into output at offset (outLen bytes).</summary>
        public void Final(byte[] output, int offset)
        {
            Add((ulong)fill);
            Array.Clear(block, fill, 128 - fill);
            Compress(true);
            for (int i = 0; i < outLen; i++)
                output[offset + i] = (byte)(h[i >> 3] >> (8 * (i & 7)));
        }

        /// <summary>BLAKE2b of the parts one after another, keyed with key (null: none).</summary>
        public static byte[] Hash(int outLen, byte[] key, params byte[][] parts)
        {
            var b = new Blake2b(outLen, key);
            foreach (var p in parts)
                b.Update(p, 0, p.Length);
            var o = new byte[outLen];
            b.Final(o, 0);
            return o;
        }

        void Add(ulong n)
        {
            t0 += n;
            if (t0 < n)
                t1++;
        }

        static ulong Rotr(ulong x, int n) { return (x >> n) | (x << (64 - n)); }

        void G(int a, int b, int c, int d, ulong x, ulong y)
        {
            v[a] = v[a] + v[b] + x; v[d] = Rotr(v[d] ^ v[a], 32);
            v[c] = v[c] + v[d];     v[b] = Rotr(v[b] ^ v[c], 24);
            v[a] = v[a] + v[b] + y; v[d] = Rotr(v[d] ^ v[a], 16);
            v[c] = v[c] + v[d];     v[b] = Rotr(v[b] ^ v[c], 63);
        }

        void Compress(bool last)
        {
            for (int i = 0; i < 16; i++)
                m[i] = Bytes.Le64(block, i * 8);
            for (int i = 0; i < 8; i++) {
                v[i] = h[i];
                v[i + 8] = IV[i];
            }
            v[12] ^= t0;
            v[13] ^= t1;
            if (last)
                v[14] = ~v[14];
            for (int r = 0; r < 12; r++) {
                int s = r % 10;
                G(0, 4, 8, 12, m[Sigma[s, 0]], m[Sigma[s, 1]]);
                G(1, 5, 9, 13, m[Sigma[s, 2]], m[Sigma[s, 3]]);
                G(2, 6, 10, 14, m[Sigma[s, 4]], m[Sigma[s, 5]]);
                G(3, 7, 11, 15, m[Sigma[s, 6]], m[Sigma[s, 7]]);
                G(0, 5, 10, 15, m[Sigma[s, 8]], m[Sigma[s, 9]]);
                G(1, 6, 11, 12, m[Sigma[s, 10]], m[Sigma[s, 11]]);
                G(2, 7, 8, 13, m[Sigma[s, 12]], m[Sigma[s, 13]]);
                G(3, 4, 9, 14, m[Sigma[s, 14]], m[Sigma[s, 15]]);
            }
            for (int i = 0; i < 8; i++)
                h[i] ^= v[i] ^ v[i + 8];
        }
    }
}
