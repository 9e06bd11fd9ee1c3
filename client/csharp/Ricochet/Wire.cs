// Wire.cs: the binary state message (PROTOCOL.md, "State message"): 40
// bytes, big-endian, read and written in place.
using System;

namespace Ricochet
{
    internal static class Wire
    {
        public static void PutState(byte[] b, int at, ref State s)
        {
            b[at] = 1;
            b[at + 1] = 1;
            b[at + 2] = b[at + 3] = 0;
            Bytes.Be32(b, at + 4, s.Sender);
            Bytes.Be32(b, at + 8, s.Seq);
            Bytes.Be64(b, at + 12, s.SendUs);
            Bytes.BeFloat(b, at + 20, s.X);
            Bytes.BeFloat(b, at + 24, s.Y);
            Bytes.BeFloat(b, at + 28, s.Vx);
            Bytes.BeFloat(b, at + 32, s.Vy);
            Bytes.BeFloat(b, at + 36, s.Heading);
        }

        static bool Fine(float f) { return !float.IsNaN(f) && f >= -1e6f && f <= 1e6f; }

        public static bool Valid(ref State s)
        {
            return Fine(s.X) && Fine(s.Y) && Fine(s.Vx) && Fine(s.Vy) && Fine(s.Heading);
        }

        /// <summary>A state of b[at..at+len): false if it is not a valid one.</summary>
        public static bool GetState(byte[] b, int at, int len, ref State s)
        {
            if (len < 40 || len > 1200 || b[at] != 1 || b[at + 1] != 1)
                return false;
            s.Sender = Bytes.Be32(b, at + 4);
            s.Seq = Bytes.Be32(b, at + 8);
            s.SendUs = Bytes.Be64(b, at + 12);
            s.X = Bytes.BeFloat(b, at + 20);
            s.Y = Bytes.BeFloat(b, at + 24);
            s.Vx = Bytes.BeFloat(b, at + 28);
            s.Vy = Bytes.BeFloat(b, at + 32);
            s.Heading = Bytes.BeFloat(b, at + 36);
            return s.SendUs <= 999999999999999UL && Valid(ref s);
        }
    }
}
