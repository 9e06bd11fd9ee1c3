// Bytes.cs: integers and floats in and out of byte arrays, big-endian as the
// wire has them and little-endian as the ciphers do; hex, base64url and the
// constant-time comparison of secrets. Nothing here allocates but the text forms.
using System;
using System.Text;

namespace Ricochet
{
    public static class Bytes
    {
        public static ushort Be16(byte[] b, int at) { return (ushort)(b[at] << 8 | b[at + 1]); }
        public static uint Be32(byte[] b, int at)
        {
            return (uint)b[at] << 24 | (uint)b[at + 1] << 16 | (uint)b[at + 2] << 8 | b[at + 3];
        }
        public static ulong Be64(byte[] b, int at) { return (ulong)Be32(b, at) << 32 | Be32(b, at + 4); }
        public static void Be16(byte[] b, int at, int v) { b[at] = (byte)(v >> 8); b[at + 1] = (byte)v; }
        public static void Be32(byte[] b, int at, uint v)
        {
            b[at] = (byte)(v >> 24); b[at + 1] = (byte)(v >> 16); b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v;
        }
        public static void Be64(byte[] b, int at, ulong v) { Be32(b, at, (uint)(v >> 32)); Be32(b, at + 4, (uint)v); }

        public static uint Le32(byte[] b, int at)
        {
            return b[at] | (uint)b[at + 1] << 8 | (uint)b[at + 2] << 16 | (uint)b[at + 3] << 24;
        }
        public static ulong Le64(byte[] b, int at) { return Le32(b, at) | (ulong)Le32(b, at + 4) << 32; }
        public static void Le32(byte[] b, int at, uint v)
        {
            b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24);
        }
        public static void Le64(byte[] b, int at, ulong v) { Le32(b, at, (uint)v); Le32(b, at + 4, (uint)(v >> 32)); }

        // binary32 through its bits, with no allocation (BitConverter's would)
        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit)]
        struct FloatBits
        {
            [System.Runtime.InteropServices.FieldOffset(0)] public float F;
            [System.Runtime.InteropServices.FieldOffset(0)] public uint U;
        }
        public static float BeFloat(byte[] b, int at) { return new FloatBits { U = Be32(b, at) }.F; }
        public static void BeFloat(byte[] b, int at, float f) { Be32(b, at, new FloatBits { F = f }.U); }

        /// <summary>Whether a[ao..ao+n) equals b[bo..bo+n), in time that does not
        /// depend on where they differ (a tag, a key).</summary>
        public static bool Equal(byte[] a, int ao, byte[] b, int bo, int n)
        {
            int d = 0;
            for (int i = 0; i < n; i++)
                d |= a[ao + i] ^ b[bo + i];
            return d == 0;
        }

        public static string Hex(byte[] b, int at = 0, int n = -1)
        {
            if (n < 0)
                n = b.Length - at;
            var s = new StringBuilder(n * 2);
            for (int i = 0; i < n; i++)
                s.Append("0123456789abcdef"[b[at + i] >> 4]).Append("0123456789abcdef"[b[at + i] & 15]);
            return s.ToString();
        }

        /// <summary>Lowercase hex of exactly n bytes into bytes; false if it is not.</summary>
        public static bool FromHex(string s, byte[] into, bool lowerOnly)
        {
            if (s == null || s.Length != into.Length * 2)
                return false;
            for (int i = 0; i < s.Length; i++) {
                int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                              : !lowerOnly && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0)
                    return false;
                into[i / 2] = (byte)(i % 2 == 0 ? d << 4 : into[i / 2] | d);
            }
            return true;
        }

        const string B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        /// <summary>base64url without padding (RFC 4648 section 5).</summary>
        public static string Base64Url(byte[] b, int at, int n)
        {
            var s = new StringBuilder((n * 4 + 2) / 3);
            for (int i = 0; i < n; i += 3) {
                int v = b[at + i] << 16 | (i + 1 < n ? b[at + i + 1] << 8 : 0) | (i + 2 < n ? b[at + i + 2] : 0);
                s.Append(B64[v >> 18 & 63]).Append(B64[v >> 12 & 63]);
                if (i + 1 < n) s.Append(B64[v >> 6 & 63]);
                if (i + 2 < n) s.Append(B64[v & 63]);
            }
            return s.ToString();
        }

        /// <summary>base64url without padding back to bytes; null if it is not
        /// (a bad character, a length no encoding has, stray bits set).</summary>
        public static byte[] FromBase64Url(string s)
        {
            if (s == null || s.Length % 4 == 1)
                return null;
            var o = new byte[s.Length * 3 / 4];
            int acc = 0, bits = 0, n = 0;
            foreach (char c in s) {
                int d = B64.IndexOf(c);
                if (d < 0)
                    return null;
                acc = acc << 6 | d;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    o[n++] = (byte)(acc >> bits);
                    acc &= (1 << bits) - 1;
                }
            }
            return acc == 0 ? o : null;
        }
    }
}
