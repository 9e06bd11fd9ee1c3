// Aead.cs: ChaCha20-Poly1305 IETF (RFC 8439) and XChaCha20-Poly1305 IETF
// (HChaCha20 then the IETF construction, as libsodium's
// crypto_aead_xchacha20poly1305_ietf_*): what the relay seals a session's
// messages and a ticket's pass with (proto/seal.c, proto/ticket.c). Managed,
// so the binding needs no native library; checked against RFC 8439's vectors
// and against libsodium on random inputs (tests/test_csharp_crypto.c). One
// instance holds its own scratch: no allocation per message, one thread at a
// time. The tag is checked in constant time before anything is decrypted.
using System;

namespace Ricochet
{
    public sealed class Aead
    {
        public const int KeyBytes = 32, TagBytes = 16, NonceBytes = 12, XNonceBytes = 24;

        readonly uint[] st = new uint[16], x = new uint[16];
        readonly byte[] ks = new byte[64];          // a block of key stream
        readonly byte[] subkey = new byte[32], nonce = new byte[12], tag = new byte[16], pad = new byte[16];
        uint r0, r1, r2, r3, r4, s1, s2, s3, s4, h0, h1, h2, h3, h4, p0, p1, p2, p3;

        /// <summary>Seals m[mo..mo+mn) with aad[ao..ao+an) under key and a
        /// 12-byte nonce into output at oo: mn bytes of cipher text, then the
        /// 16-byte tag. output may be the input's own array at the same offset.</summary>
        public void Seal(byte[] key, byte[] nonce12, byte[] aad, int ao, int an, byte[] m, int mo, int mn,
                         byte[] output, int oo)
        {
            Xor(key, nonce12, 1, m, mo, mn, output, oo);
            Mac(key, nonce12, aad, ao, an, output, oo, mn);
            Buffer.BlockCopy(tag, 0, output, oo + mn, TagBytes);
        }

        /// <summary>Opens c[co..co+cn) (cipher text and tag) into output at oo
        /// (cn - 16 bytes); false, output untouched, if the tag does not hold.</summary>
        public bool Open(byte[] key, byte[] nonce12, byte[] aad, int ao, int an, byte[] c, int co, int cn,
                         byte[] output, int oo)
        {
            if (cn < TagBytes)
                return false;
            int n = cn - TagBytes;
            Mac(key, nonce12, aad, ao, an, c, co, n);
            if (!Bytes.Equal(tag, 0, c, co + n, TagBytes))
                return false;
            Xor(key, nonce12, 1, c, co, n, output, oo);
            return true;
        }

        /// <summary>Seal with XChaCha20: a 24-byte nonce.</summary>
        public void XSeal(byte[] key, byte[] nonce24, byte[] aad, int ao, int an, byte[] m, int mo, int mn,
                          byte[] output, int oo)
        {
            XKey(key, nonce24);
            Seal(subkey, nonce, aad, ao, an, m, mo, mn, output, oo);
        }

        public bool XOpen(byte[] key, byte[] nonce24, byte[] aad, int ao, int an, byte[] c, int co, int cn,
                          byte[] output, int oo)
        {
            XKey(key, nonce24);
            return Open(subkey, nonce, aad, ao, an, c, co, cn, output, oo);
        }

        /// <summary>HChaCha20 of the key and the nonce's first 16 bytes, and the
        /// IETF nonce of its last 8.</summary>
        void XKey(byte[] key, byte[] nonce24)
        {
            Setup(key, Bytes.Le32(nonce24, 0), nonce24, 4);
            Rounds();
            for (int i = 0; i < 4; i++) {
                Bytes.Le32(subkey, i * 4, x[i]);
                Bytes.Le32(subkey, 16 + i * 4, x[12 + i]);
            }
            nonce[0] = nonce[1] = nonce[2] = nonce[3] = 0;
            Buffer.BlockCopy(nonce24, 16, nonce, 4, 8);
        }

        // the state: constants, key, then word 12 and three words of n from no
        void Setup(byte[] key, uint w12, byte[] n, int no)
        {
            st[0] = 0x61707865; st[1] = 0x3320646e; st[2] = 0x79622d32; st[3] = 0x6b206574;
            for (int i = 0; i < 8; i++)
                st[4 + i] = Bytes.Le32(key, i * 4);
            st[12] = w12;
            for (int i = 0; i < 3; i++)
                st[13 + i] = Bytes.Le32(n, no + i * 4);
            Array.Copy(st, x, 16);
        }

        static uint Rotl(uint v, int n) { return (v << n) | (v >> (32 - n)); }

        void Quarter(int a, int b, int c, int d)
        {
            x[a] += x[b]; x[d] = Rotl(x[d] ^ x[a], 16);
            x[c] += x[d]; x[b] = Rotl(x[b] ^ x[c], 12);
            x[a] += x[b]; x[d] = Rotl(x[d] ^ x[a], 8);
            x[c] += x[d]; x[b] = Rotl(x[b] ^ x[c], 7);
        }

        void Rounds()
        {
            for (int i = 0; i < 10; i++) {
                Quarter(0, 4, 8, 12); Quarter(1, 5, 9, 13); Quarter(2, 6, 10, 14); Quarter(3, 7, 11, 15);
                Quarter(0, 5, 10, 15); Quarter(1, 6, 11, 12); Quarter(2, 7, 8, 13); Quarter(3, 4, 9, 14);
            }
        }

        /// <summary>The key stream block of counter into ks.</summary>
        void Block(byte[] key, byte[] nonce12, uint counter)
        {
            Setup(key, counter, nonce12, 0);
            Rounds();
            for (int i = 0; i < 16; i++)
                Bytes.Le32(ks, i * 4, x[i] + st[i]);
        }

        /// <summary>n bytes of input XOR the key stream from counter on.</summary>
        void Xor(byte[] key, byte[] nonce12, uint counter, byte[] input, int io, int n, byte[] output, int oo)
        {
            for (int done = 0; done < n; done += 64, counter++) {
                Block(key, nonce12, counter);
                int k = Math.Min(64, n - done);
                for (int i = 0; i < k; i++)
                    output[oo + done + i] = (byte)(input[io + done + i] ^ ks[i]);
            }
        }

        /// <summary>The tag of (aad, c[co..co+cn)) into tag: Poly1305 keyed
        /// with block 0 of the key stream.</summary>
        void Mac(byte[] key, byte[] nonce12, byte[] aad, int ao, int an, byte[] c, int co, int cn)
        {
            Block(key, nonce12, 0);
            PolyInit(ks);
            PolyPadded(aad, ao, an);
            PolyPadded(c, co, cn);
            Bytes.Le64(pad, 0, (ulong)an);
            Bytes.Le64(pad, 8, (ulong)cn);
            PolyBlock(pad, 0);
            PolyFinish(tag);
            Array.Clear(ks, 0, 64);
        }

        void PolyPadded(byte[] b, int at, int n)
        {
            int whole = n & ~15;
            for (int i = 0; i < whole; i += 16)
                PolyBlock(b, at + i);
            if (whole < n) {
                Array.Clear(pad, 0, 16);
                Buffer.BlockCopy(b, at + whole, pad, 0, n - whole);
                PolyBlock(pad, 0);
            }
        }

        // Poly1305 in 26-bit limbs (the 32-bit "donna" shape)
        void PolyInit(byte[] k)
        {
            r0 = Bytes.Le32(k, 0) & 0x3ffffff;
            r1 = (Bytes.Le32(k, 3) >> 2) & 0x3ffff03;
            r2 = (Bytes.Le32(k, 6) >> 4) & 0x3ffc0ff;
            r3 = (Bytes.Le32(k, 9) >> 6) & 0x3f03fff;
            r4 = (Bytes.Le32(k, 12) >> 8) & 0x00fffff;
            s1 = r1 * 5; s2 = r2 * 5; s3 = r3 * 5; s4 = r4 * 5;
            h0 = h1 = h2 = h3 = h4 = 0;
            p0 = Bytes.Le32(k, 16); p1 = Bytes.Le32(k, 20); p2 = Bytes.Le32(k, 24); p3 = Bytes.Le32(k, 28);
        }

        void PolyBlock(byte[] m, int at)
        {
            h0 += Bytes.Le32(m, at) & 0x3ffffff;
            h1 += (Bytes.Le32(m, at + 3) >> 2) & 0x3ffffff;
            h2 += (Bytes.Le32(m, at + 6) >> 4) & 0x3ffffff;
            h3 += (Bytes.Le32(m, at + 9) >> 6) & 0x3ffffff;
            h4 += (Bytes.Le32(m, at + 12) >> 8) | (1u << 24);
            ulong d0 = (ulong)h0 * r0 + (ulong)h1 * s4 + (ulong)h2 * s3 + (ulong)h3 * s2 + (ulong)h4 * s1;
            ulong d1 = (ulong)h0 * r1 + (ulong)h1 * r0 + (ulong)h2 * s4 + (ulong)h3 * s3 + (ulong)h4 * s2;
            ulong d2 = (ulong)h0 * r2 + (ulong)h1 * r1 + (ulong)h2 * r0 + (ulong)h3 * s4 + (ulong)h4 * s3;
            ulong d3 = (ulong)h0 * r3 + (ulong)h1 * r2 + (ulong)h2 * r1 + (ulong)h3 * r0 + (ulong)h4 * s4;
            ulong d4 = (ulong)h0 * r4 + (ulong)h1 * r3 + (ulong)h2 * r2 + (ulong)h3 * r1 + (ulong)h4 * r0;
            ulong c = d0 >> 26; h0 = (uint)d0 & 0x3ffffff;
            d1 += c; c = d1 >> 26; h1 = (uint)d1 & 0x3ffffff;
            d2 += c; c = d2 >> 26; h2 = (uint)d2 & 0x3ffffff;
            d3 += c; c = d3 >> 26; h3 = (uint)d3 & 0x3ffffff;
            d4 += c; c = d4 >> 26; h4 = (uint)d4 & 0x3ffffff;
            h0 += (uint)c * 5; h1 += h0 >> 26; h0 &= 0x3ffffff;
        }

        void PolyFinish(byte[] output)
        {
            uint c = h1 >> 26; h1 &= 0x3ffffff;
            h2 += c; c = h2 >> 26; h2 &= 0x3ffffff;
            h3 += c; c = h3 >> 26; h3 &= 0x3ffffff;
            h4 += c; c = h4 >> 26; h4 &= 0x3ffffff;
            h0 += c * 5; c = h0 >> 26; h0 &= 0x3ffffff;
            h1 += c;
            // h - p, kept if it does not go below 0: chosen by a mask, not a branch
            uint g0 = h0 + 5; c = g0 >> 26; g0 &= 0x3ffffff;
            uint g1 = h1 + c; c = g1 >> 26; g1 &= 0x3ffffff;
            uint g2 = h2 + c; c = g2 >> 26; g2 &= 0x3ffffff;
            uint g3 = h3 + c; c = g3 >> 26; g3 &= 0x3ffffff;
            uint g4 = h4 + c - (1u << 26);
            uint keep = (g4 >> 31) - 1; // all ones: g, else h
            h0 = (h0 & ~keep) | (g0 & keep);
            h1 = (h1 & ~keep) | (g1 & keep);
            h2 = (h2 & ~keep) | (g2 & keep);
            h3 = (h3 & ~keep) | (g3 & keep);
            h4 = (h4 & ~keep) | (g4 & keep);
            uint w0 = h0 | (h1 << 26), w1 = (h1 >> 6) | (h2 << 20), w2 = (h2 >> 12) | (h3 << 14),
                 w3 = (h3 >> 18) | (h4 << 8);
            ulong f = (ulong)w0 + p0; Bytes.Le32(output, 0, (uint)f);
            f = (ulong)w1 + p1 + (f >> 32); Bytes.Le32(output, 4, (uint)f);
            f = (ulong)w2 + p2 + (f >> 32); Bytes.Le32(output, 8, (uint)f);
            f = (ulong)w3 + p3 + (f >> 32); Bytes.Le32(output, 12, (uint)f);
        }
    }
}
