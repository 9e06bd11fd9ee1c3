// Lockstep.cs: a lockstep room's settings (PROTOCOL.md, "Lockstep rooms";
// Config.Lockstep makes one, Session.GetLockstep says its room's), their
// bounds, and how a frame's bytes read, slot by slot.

namespace Ricochet
{
    public sealed class Lockstep
    {
        public uint Hz = 30;             // ticks a second, 10-60
        public uint Delay = 4;           // input delay, ticks, 0-32: Session.LockstepAim
        public uint Slots = 8;           // players at most, 1-32
        public uint InputMax = 16;       // bytes of one input, 1-255; Slots x (InputMax + 2) at most 1024
        public bool StandInLast = true;  // a missing input: the player's last (else nothing)
        public uint CheckEvery = 30;     // checks at multiples of it, 0-600 (0: none)
        public uint SpectatorDelay = 60; // ticks a spectator's frames lag, 0-600

        /// <summary>The bound these settings break, in words; null if none.</summary>
        public string Broken()
        {
            if (Hz < 10 || Hz > 60) return "Hz " + Hz + ": 10-60";
            if (Delay > 32) return "Delay " + Delay + ": 0-32 ticks";
            if (Slots < 1 || Slots > Native.LockstepSlotsMax) return "Slots " + Slots + ": 1-32";
            if (InputMax < 1 || InputMax > Native.InputMax) return "InputMax " + InputMax + ": 1-255";
            if (Slots * (InputMax + 2) > 1024)
                return "Slots x (InputMax + 2): at most 1024, not " + Slots * (InputMax + 2);
            if (CheckEvery > 600) return "CheckEvery " + CheckEvery + ": 0-600";
            if (SpectatorDelay > 600) return "SpectatorDelay " + SpectatorDelay + ": 0-600";
            return null;
        }

        internal NativeLockstep ToNative()
        {
            return new NativeLockstep { Hz = Hz, Delay = Delay, Slots = Slots, InputMax = InputMax,
                                        StandInLast = StandInLast, CheckEvery = CheckEvery,
                                        SpectatorDelay = SpectatorDelay };
        }

        internal static Lockstep Of(NativeLockstep n)
        {
            return new Lockstep { Hz = n.Hz, Delay = n.Delay, Slots = n.Slots, InputMax = n.InputMax,
                                  StandInLast = n.StandInLast, CheckEvery = n.CheckEvery,
                                  SpectatorDelay = n.SpectatorDelay };
        }

        /// <summary>Slot slot of a frame's bytes (frame's first len, of
        /// slots entries): its flag, and with Present or Repeated its bytes
        /// into data (else empty); -1 past the slots or a frame cut short.</summary>
        public static int Input(byte[] frame, int len, uint slots, uint slot, out byte[] data)
        {
            data = new byte[0];
            int at = 0;
            for (uint i = 0; i < slots; i++) {
                if (at >= len || frame[at] > 3)
                    return -1;
                int flag = frame[at], n = 1;
                if (flag == 1 || flag == 2) {
                    if (at + 1 >= len || at + 2 + frame[at + 1] > len)
                        return -1;
                    n = 2 + frame[at + 1];
                }
                if (i == slot) {
                    if (n > 1) {
                        data = new byte[n - 2];
                        System.Buffer.BlockCopy(frame, at + 2, data, 0, n - 2);
                    }
                    return flag;
                }
                at += n;
            }
            return -1;
        }
    }
}
