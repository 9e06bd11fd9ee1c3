// CryptoCheck.cs: the managed ciphers against their RFCs and libsodium
// (tests/test_csharp_crypto.c writes the vectors libsodium made, one a line,
// into the file named by the first argument): ChaCha20-Poly1305 IETF and
// XChaCha20-Poly1305 sealed byte for byte as libsodium seals, opened, and a
// changed byte refused; keyed BLAKE2b as crypto_generichash; then a long
// randomised run at Seal.Open (sealed messages cut, changed, replayed, and
// random bytes): nothing forged opens, nothing opens twice, nothing throws.
// Prints "N passed, N failed"; exits 0 only if all passed.
using System;
using System.IO;
using System.Text;
using Ricochet;

static class CryptoCheck
{
    static int passed, failed;

    static void Check(bool ok, string what)
    {
        if (ok) passed++; else { failed++; if (failed < 20) Console.WriteLine("FAILED: " + what); }
    }

    static byte[] H(string s)
    {
        var b = new byte[s.Length / 2];
        if (!Bytes.FromHex(s, b, false))
            throw new FormatException("not hex: " + s);
        return b;
    }

    static readonly byte[] Ladies = Encoding.ASCII.GetBytes(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");

    static void Rfcs()
    {
        var a = new Aead();
        var key = H("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        var aad = H("50515253c0c1c2c3c4c5c6c7");
        var o = new byte[Ladies.Length + 16];
        // RFC 8439, 2.8.2
        a.Seal(key, H("070000004041424344454647"), aad, 0, aad.Length, Ladies, 0, Ladies.Length, o, 0);
        Check(Bytes.Hex(o, 0, 16) == "d31a8d34648e60db7b86afbc53ef7ec2" &&
              Bytes.Hex(o, Ladies.Length, 16) == "1ae10b594f09e26a7e902ecbd0600691", "RFC 8439 2.8.2");
        // draft-irtf-cfrg-xchacha-03, A.3.1
        a.XSeal(key, H("404142434445464748494a4b4c4d4e4f5051525354555657"), aad, 0, aad.Length, Ladies, 0,
                Ladies.Length, o, 0);
        Check(Bytes.Hex(o, 0, 16) == "bd6d179d3e83d43b9576579493c0e939" &&
              Bytes.Hex(o, Ladies.Length, 16) == "c0875924c1c7987947deafd8780acf49", "XChaCha20-Poly1305 A.3.1");
        // RFC 7693, appendix A
        Check(Bytes.Hex(Blake2b.Hash(64, null, Encoding.ASCII.GetBytes("abc"))) ==
              "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1" +
              "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923", "RFC 7693 BLAKE2b-512(abc)");
    }

    /// <summary>One vector of libsodium's: "aead KEY NONCE AAD MSG SEALED",
    /// "xaead ...", "hash OUTLEN KEY MSG DIGEST" ("-" for empty).</summary>
    static void Vector(string line, Aead a)
    {
        var f = line.Split(' ');
        Func<int, byte[]> at = i => f[i] == "-" ? new byte[0] : H(f[i]);
        if (f[0] == "hash") {
            var key = at(2);
            Check(Bytes.Hex(Blake2b.Hash(int.Parse(f[1]), key.Length > 0 ? key : null, at(3))) == (f[4] == "-" ? "" : f[4]),
                  "BLAKE2b: " + line);
            return;
        }
        byte[] k = at(1), n = at(2), ad = at(3), m = at(4), want = at(5);
        bool x = f[0] == "xaead";
        var o = new byte[m.Length + 16];
        if (x) a.XSeal(k, n, ad, 0, ad.Length, m, 0, m.Length, o, 0);
        else a.Seal(k, n, ad, 0, ad.Length, m, 0, m.Length, o, 0);
        Check(Bytes.Hex(o) == Bytes.Hex(want), f[0] + " sealed as libsodium: " + line);
        var back = new byte[m.Length];
        bool opened = x ? a.XOpen(k, n, ad, 0, ad.Length, want, 0, want.Length, back, 0)
                        : a.Open(k, n, ad, 0, ad.Length, want, 0, want.Length, back, 0);
        Check(opened && Bytes.Hex(back) == Bytes.Hex(m), f[0] + " opened: " + line);
        want[(m.Length * 7 + 3) % want.Length] ^= 0x20; // one bit changed, message or tag
        opened = x ? a.XOpen(k, n, ad, 0, ad.Length, want, 0, want.Length, back, 0)
                   : a.Open(k, n, ad, 0, ad.Length, want, 0, want.Length, back, 0);
        Check(!opened, f[0] + " a changed byte refused: " + line);
    }

    /// <summary>A relay's side sealing (the down key) and mine opening: every
    /// honest message opens once; cut, changed, replayed or random ones never.</summary>
    static void Opener(int rounds, int seed)
    {
        var rnd = new Random(seed);
        var up = new byte[32];
        var down = new byte[32];
        rnd.NextBytes(up);
        rnd.NextBytes(down);
        var relay = new Seal(down, up);  // the relay seals with the down key
        var me = new Seal(up, down);
        var m = new byte[1200];
        var box = new byte[1300];
        var opened = new byte[1300];
        int honest = 0, forgedOpened = 0, replayOpened = 0, thrown = 0;
        for (int i = 0; i < rounds; i++) {
            int len = rnd.Next(0, 1175), lane = rnd.Next(0, 3), l;
            rnd.NextBytes(m);
            int n = relay.Box(lane, m, 0, len, box, 0);
            try {
                switch (rnd.Next(0, 4)) {
                case 0: // changed somewhere
                    box[rnd.Next(0, n)] ^= (byte)(1 << rnd.Next(0, 8));
                    if (me.Open(box, 0, n, opened, 0, out l) >= 0) forgedOpened++;
                    break;
                case 1: // cut short, or random bytes with a sealed first byte
                    if (rnd.Next(2) == 0) {
                        if (me.Open(box, 0, rnd.Next(0, n), opened, 0, out l) >= 0) forgedOpened++;
                    } else {
                        rnd.NextBytes(box);
                        box[0] = (byte)(0x80 + rnd.Next(0, 3));
                        if (me.Open(box, 0, rnd.Next(0, 1300), opened, 0, out l) >= 0) forgedOpened++;
                    }
                    break;
                default: // honest, then replayed
                    if (me.Open(box, 0, n, opened, 0, out l) == len && l == lane &&
                        Bytes.Equal(opened, 0, m, 0, len))
                        honest++;
                    if (me.Open(box, 0, n, opened, 0, out l) >= 0) replayOpened++;
                    break;
                }
            } catch (Exception) {
                thrown++;
            }
        }
        Check(honest > rounds / 3, "honest messages open: " + honest);
        Check(forgedOpened == 0 && replayOpened == 0 && thrown == 0,
              "nothing forged or replayed opens, nothing throws: " + forgedOpened + " " + replayOpened + " " + thrown);
        // the window: the newest and 1023 below it open, 1024 below does not
        var tx = new Seal(down, up);
        var rx = new Seal(up, down);
        var boxes = new byte[2049][];
        for (int c = 0; c <= 2048; c++) {
            boxes[c] = new byte[25];
            tx.Box(1, m, 0, 0, boxes[c], 0);
        }
        int lane2;
        Check(rx.Open(boxes[2048], 0, 25, opened, 0, out lane2) == 0, "counter 2048 opens");
        Check(rx.Open(boxes[2048 - 1023], 0, 25, opened, 0, out lane2) == 0, "newest - 1023 opens");
        Check(rx.Open(boxes[2048 - 1024], 0, 25, opened, 0, out lane2) == Seal.Replayed, "newest - 1024 does not");
        Check(rx.Open(boxes[2048 - 1023], 0, 25, opened, 0, out lane2) == Seal.Replayed, "nor twice");
    }

    static int Main(string[] args)
    {
        Rfcs();
        var a = new Aead();
        int n = 0;
        foreach (var line in File.ReadLines(args[0])) {
            Vector(line, a);
            n++;
        }
        Check(n >= 30000, n + " of libsodium's vectors");
        Opener(args.Length > 1 ? int.Parse(args[1]) : 200000, 1);
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
