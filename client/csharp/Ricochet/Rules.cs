// Rules.cs: the names the protocol takes (PROTOCOL.md, "Control messages"):
// a room's (ASCII), a player's (UTF-8 in any script, proto/player_name.c's
// rule and words), a kept event's key, a prop's key and value, chat.
using System;
using System.Collections.Generic;
using System.Text;

namespace Ricochet
{
    public static class Rules
    {
        public const int NameMax = 32, RoomMax = 32;

        static bool RoomChar(char c)
        {
            return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' ||
                   c == '.' || c == '-';
        }

        /// <summary>min-max characters of A-Z a-z 0-9 _ . - (a room, a prefix, a prop's key).</summary>
        public static bool Room(string s, int min = 1, int max = RoomMax)
        {
            if (s == null || s.Length < min || s.Length > max)
                return false;
            foreach (char c in s)
                if (!RoomChar(c))
                    return false;
            return true;
        }

        static readonly int[] Controls = { 0x00, 0x1f, 0x7f, 0x9f, 0x2028, 0x2029 };
        static readonly int[] Formats = {
            0xad, 0xad, 0x600, 0x605, 0x61c, 0x61c, 0x6dd, 0x6dd, 0x70f, 0x70f, 0x890, 0x891, 0x8e2, 0x8e2,
            0x180e, 0x180e, 0x200b, 0x200f, 0x202a, 0x202e, 0x2060, 0x2064, 0x2066, 0x206f, 0xfeff, 0xfeff,
            0xfff9, 0xfffb, 0x110bd, 0x110bd, 0x110cd, 0x110cd, 0x13430, 0x1343f, 0x1bca0, 0x1bca3,
            0x1d173, 0x1d17a, 0xe0000, 0xe007f
        };
        static readonly int[] Blanks = {
            0x20, 0x20, 0xa0, 0xa0, 0x115f, 0x1160, 0x1680, 0x1680, 0x2000, 0x200a, 0x202f, 0x202f,
            0x205f, 0x205f, 0x3000, 0x3000, 0x3164, 0x3164, 0xffa0, 0xffa0
        };

        static bool In(int[] ranges, int c)
        {
            for (int i = 0; i < ranges.Length; i += 2)
                if (c >= ranges[i] && c <= ranges[i + 1])
                    return true;
            return false;
        }

        /// <summary>Why a player's name is refused, in the relay's words; null if it is taken.</summary>
        public static string NameWhy(string name)
        {
            if (string.IsNullOrEmpty(name))
                return "a name may not be empty";
            bool visible = false;
            for (int i = 0; i < name.Length; i++) {
                int c = name[i];
                if (char.IsHighSurrogate(name, i) && i + 1 < name.Length && char.IsLowSurrogate(name, i + 1))
                    c = char.ConvertToUtf32(name[i], name[++i]);
                else if (char.IsSurrogate(name, i))
                    return "a name must be UTF-8 text (a lone surrogate)";
                if (c > 0x20 && c < 0x7f) {
                    visible = true;
                    continue;
                }
                if (In(Controls, c))
                    return "a name may not hold control characters (U+" + c.ToString("X4") + ")";
                if (In(Formats, c))
                    return "a name may not hold invisible format characters (U+" + c.ToString("X4") + ")";
                visible |= !In(Blanks, c);
            }
            if (!visible)
                return "a name may not be only spaces";
            int n = Encoding.UTF8.GetByteCount(name);
            if (n > NameMax)
                return "a name may not be longer than " + NameMax + " bytes of UTF-8 (this one is " + n +
                       "; a Hangul syllable takes 3, a Vietnamese letter with its marks 2 or 3)";
            return null;
        }

        /// <summary>A kept event's key: 1-32 bytes 0x21-0x7e.</summary>
        public static bool Key(string k)
        {
            if (k == null || k.Length < 1 || k.Length > 32)
                return false;
            foreach (char c in k)
                if (c < 0x21 || c > 0x7e)
                    return false;
            return true;
        }

        /// <summary>Chat: 1-200 bytes of UTF-8, no control characters.</summary>
        public static bool Text(string t)
        {
            if (t == null)
                return false;
            foreach (char c in t)
                if (c < 0x20 || c >= 0x7f && c <= 0x9f)
                    return false;
            int n = Encoding.UTF8.GetByteCount(t);
            return n >= 1 && n <= 200;
        }

        /// <summary>Props (or a match) checked: at most 8 keys of 1-16 of the
        /// room characters, values of 0-64 bytes of UTF-8 without controls,
        /// 256 bytes together; ArgumentException saying the bound.</summary>
        public static void Props(Dictionary<string, string> d, string what)
        {
            if (d == null)
                return;
            if (d.Count > 8)
                throw new ArgumentException(what + ": at most 8 keys", what);
            int total = 0;
            foreach (var kv in d) {
                string v = kv.Value ?? "";
                int vn = Encoding.UTF8.GetByteCount(v);
                bool ok = Room(kv.Key, 1, 16) && vn <= 64;
                foreach (char c in v)
                    ok &= c >= 0x20 && !(c >= 0x7f && c <= 0x9f);
                if (!ok)
                    throw new ArgumentException(what + " \"" + kv.Key + "\": a key of 1-16 bytes, a value of 0-64", what);
                total += kv.Key.Length + vn;
            }
            if (total > 256)
                throw new ArgumentException(what + ": keys and values 256 bytes together at most", what);
        }
    }
}
