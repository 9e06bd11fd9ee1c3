// StreamLink.cs: a managed session over one TCP connection (PROTOCOL.md,
// "Streams (TCP)": each message in a frame of 2 bytes of length) or a
// WebSocket ("WebSocket": an upgrade on /, then each message one binary
// message, the client's frames masked), plain or in TLS (wss://: the
// platform's SslStream, the relay's certificate checked by the platform or
// by its SHA-256 pinned). The socket is never waited on but in Service.
using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ricochet
{
    internal sealed class StreamLink : Link
    {
        const int FrameMax = 65535 + 14;
        readonly Socket sock;
        readonly bool ws, tls;
        readonly string host, pin;
        readonly int port;
        SslStream ssl;
        enum St { Connecting, Upgrading, Open, Gone }
        St st = St.Connecting;
        readonly byte[] inBuf = new byte[2 * FrameMax + 8192], outBuf = new byte[FrameMax], rbuf = new byte[16384];
        int inLen;
        string wsKey;
        uint rnd;
        // a message of fragments being joined (WebSocket)
        readonly byte[] msg = new byte[65536 + 16];
        int msgLen;
        bool inMessage;
        long lastRecvUs;
        // TLS reads come on the thread pool: into this, under its lock
        readonly byte[] tlsIn = new byte[1 << 17];
        int tlsLen;
        bool tlsEnd;
        Exception tlsError;

        public StreamLink(Core core, IPEndPoint relay, string host, bool ws, bool tls, string pin) : base(core)
        {
            this.ws = ws;
            this.tls = tls;
            this.host = host;
            this.port = relay.Port;
            this.pin = pin;
            var seed = new byte[4];
            using (var rng = RandomNumberGenerator.Create())
                rng.GetBytes(seed);
            rnd = Bytes.Le32(seed, 0) | 1;
            sock = new Socket(relay.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            sock.NoDelay = true; // each frame at once
            sock.Blocking = false;
            try {
                sock.Connect(relay);
                Connected();
            } catch (SocketException e) {
                if (e.SocketErrorCode != SocketError.WouldBlock && e.SocketErrorCode != SocketError.InProgress)
                    throw;
            }
        }

        public override bool Ready { get { return st == St.Open; } }

        void Connected()
        {
            if (tls) {
                sock.Blocking = true;
                ssl = new SslStream(new NetworkStream(sock, false), false, CheckCertificate);
                ssl.AuthenticateAsClient(host);
                ssl.BeginRead(rbuf, 0, rbuf.Length, TlsRead, null);
            }
            if (!ws) {
                st = St.Open;
                lastRecvUs = Clock.NowUs();
                core.LinkUp();
                return;
            }
            var key = new byte[16];
            using (var rng = RandomNumberGenerator.Create())
                rng.GetBytes(key);
            wsKey = Convert.ToBase64String(key);
            var head = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: " + host + ":" + port +
                                               "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                                               "Sec-WebSocket-Key: " + wsKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
            Write(head, 0, head.Length);
            st = St.Upgrading;
        }

        bool CheckCertificate(object sender, X509Certificate cert, X509Chain chain, SslPolicyErrors errors)
        {
            if (pin == null)
                return errors == SslPolicyErrors.None;
            using (var sha = SHA256.Create())
                return string.Equals(Bytes.Hex(sha.ComputeHash(cert.GetRawCertData())), pin,
                                     StringComparison.OrdinalIgnoreCase);
        }

        void TlsRead(IAsyncResult ar)
        {
            try {
                int n = ssl.EndRead(ar);
                lock (tlsIn) {
                    if (n <= 0 || tlsLen + n > tlsIn.Length)
                        tlsEnd = true;
                    else {
                        Buffer.BlockCopy(rbuf, 0, tlsIn, tlsLen, n);
                        tlsLen += n;
                    }
                }
                if (n > 0)
                    ssl.BeginRead(rbuf, 0, rbuf.Length, TlsRead, null);
            } catch (Exception e) {
                lock (tlsIn) {
                    tlsError = e;
                    tlsEnd = true;
                }
            }
        }

        void Write(byte[] b, int off, int len)
        {
            if (ssl != null) {
                ssl.Write(b, off, len);
                return;
            }
            // a non-blocking socket takes what fits; a relay that reads too slowly ends us
            while (len > 0) {
                SocketError err;
                int n = sock.Send(b, off, len, SocketFlags.None, out err);
                if (err == SocketError.WouldBlock) {
                    sock.Poll(10000, SelectMode.SelectWrite);
                    continue;
                }
                if (err != SocketError.Success)
                    throw new SocketException((int)err);
                off += n;
                len -= n;
            }
        }

        /// <summary>One message out: a TCP frame, or a masked binary WebSocket frame.</summary>
        bool Send(byte[] b, int off, int len)
        {
            if (st != St.Open || len < 1 || len > 65535)
                return false;
            int at = 0;
            if (!ws) {
                Bytes.Be16(outBuf, 0, len);
                at = 2;
            } else {
                outBuf[0] = 0x82; // FIN, binary
                if (len < 126) {
                    outBuf[1] = (byte)(0x80 | len);
                    at = 2;
                } else {
                    outBuf[1] = 0x80 | 126;
                    Bytes.Be16(outBuf, 2, len);
                    at = 4;
                }
                rnd ^= rnd << 13; rnd ^= rnd >> 17; rnd ^= rnd << 5;
                Bytes.Le32(outBuf, at, rnd);
                at += 4;
            }
            Buffer.BlockCopy(b, off, outBuf, at, len);
            if (ws)
                for (int i = 0; i < len; i++)
                    outBuf[at + i] ^= outBuf[at - 4 + (i & 3)];
            try {
                Write(outBuf, 0, at + len);
            } catch (Exception e) {
                Lost(e);
                return false;
            }
            return true;
        }

        public override bool SendControl(byte[] b, int off, int len) { return Send(b, off, len); }
        public override bool SendState(byte[] b, int off, int len, Mode mode) { return Send(b, off, len); }
        public override void Flush() { }

        public override void Close()
        {
            if (st == St.Open && ws) {
                var close = new byte[] { 0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8 }; // 1000, masked with zeros
                try { Write(close, 0, close.Length); } catch (Exception) { }
            }
            st = St.Gone;
            try {
                if (ssl != null)
                    ssl.Close();
                sock.Close();
            } catch (Exception) {
            }
        }

        public override long SilentUs(long nowUs)
        {
            return st == St.Open && nowUs > lastRecvUs ? nowUs - lastRecvUs : 0;
        }

        void Lost(Exception e)
        {
            if (st == St.Gone)
                return;
            var se = e as SocketException;
            bool refused = se != null && se.SocketErrorCode == SocketError.ConnectionRefused;
            bool connecting = st == St.Connecting;
            st = St.Gone;
            try { sock.Close(); } catch (Exception) { }
            core.LinkLost(refused ? "refused" : "disconnected",
                          refused || e == null ? null : connecting ? e.Message : "the relay closed the connection", 0);
        }

        public override void Service(long nowUs, int waitMs)
        {
            try {
                if (st == St.Connecting) {
                    if (!sock.Poll(waitMs * 1000, SelectMode.SelectWrite)) {
                        if (sock.Poll(0, SelectMode.SelectError))
                            throw new SocketException((int)sock.GetSocketOption(SocketOptionLevel.Socket,
                                                                                SocketOptionName.Error));
                        return;
                    }
                    int err = (int)sock.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error);
                    if (err != 0)
                        throw new SocketException(err);
                    Connected();
                    waitMs = 0;
                }
                if (ssl != null) {
                    if (waitMs > 0 && tlsLen == 0)
                        System.Threading.Thread.Sleep(Math.Min(waitMs, 1));
                    lock (tlsIn) {
                        int n = Math.Min(tlsLen, inBuf.Length - inLen);
                        Buffer.BlockCopy(tlsIn, 0, inBuf, inLen, n);
                        Buffer.BlockCopy(tlsIn, n, tlsIn, 0, tlsLen - n);
                        tlsLen -= n;
                        inLen += n;
                        if (n > 0)
                            lastRecvUs = Clock.NowUs();
                        if (tlsEnd && tlsLen == 0 && n == 0)
                            throw tlsError ?? new SocketException((int)SocketError.ConnectionReset);
                    }
                    Frames();
                    return;
                }
                if (waitMs > 0 && sock.Available == 0)
                    sock.Poll(waitMs * 1000, SelectMode.SelectRead);
                while (st != St.Gone && (sock.Available > 0 || sock.Poll(0, SelectMode.SelectRead))) {
                    int n = sock.Receive(inBuf, inLen, inBuf.Length - inLen, SocketFlags.None);
                    if (n <= 0)
                        throw new SocketException((int)SocketError.ConnectionReset);
                    inLen += n;
                    lastRecvUs = Clock.NowUs();
                    Frames();
                }
            } catch (Exception e) when (e is SocketException || e is System.IO.IOException ||
                                        e is AuthenticationException || e is ObjectDisposedException) {
                Lost(e);
            }
        }

        /// <summary>Every whole frame in inBuf to the session.</summary>
        void Frames()
        {
            int at = 0;
            if (st == St.Upgrading) {
                int end = Find(inBuf, inLen, "\r\n\r\n");
                if (end < 0)
                    return;
                string head = Encoding.ASCII.GetString(inBuf, 0, end);
                string accept;
                using (var sha = SHA1.Create())
                    accept = Convert.ToBase64String(sha.ComputeHash(Encoding.ASCII.GetBytes(
                        wsKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
                if (!head.StartsWith("HTTP/1.1 101") || head.IndexOf(accept, StringComparison.Ordinal) < 0) {
                    st = St.Gone;
                    core.LinkLost("refused", "no WebSocket there: the answer was " +
                                  head.Split('\r')[0], 0);
                    return;
                }
                at = end + 4;
                st = St.Open;
                core.LinkUp();
            }
            while (st == St.Open) {
                int n = inLen - at;
                if (!ws) {
                    if (n < 2)
                        break;
                    int len = Bytes.Be16(inBuf, at);
                    if (len == 0) { // the relay's end of the stream
                        Lost(null);
                        return;
                    }
                    if (n < 2 + len)
                        break;
                    core.Arrived(inBuf, at + 2, len, 0, FlagReliable);
                    at += 2 + len;
                    continue;
                }
                if (n < 2)
                    break;
                int op = inBuf[at] & 0x0F;
                bool fin = (inBuf[at] & 0x80) != 0;
                long plen = inBuf[at + 1] & 0x7F;
                int hl = 2;
                if (plen == 126) {
                    if (n < 4) break;
                    plen = Bytes.Be16(inBuf, at + 2);
                    hl = 4;
                } else if (plen == 127) {
                    if (n < 10) break;
                    plen = (long)Bytes.Be64(inBuf, at + 2);
                    hl = 10;
                }
                if (plen > 65536) {
                    Lost(new System.IO.IOException("a WebSocket message too long"));
                    return;
                }
                if (n < hl + plen)
                    break;
                int p = at + hl, pl = (int)plen;
                at += hl + pl;
                if (op == 8) { // close: its code and reason (the error's name)
                    string reason = pl > 2 ? Encoding.UTF8.GetString(inBuf, p + 2, pl - 2) : "";
                    int code = pl >= 2 ? Bytes.Be16(inBuf, p) : 1005;
                    st = St.Gone;
                    try { sock.Close(); } catch (Exception) { }
                    core.LinkLost("disconnected", "the relay closed the WebSocket (" + code +
                                  (reason.Length > 0 ? " " + reason : "") + ")", 0);
                    return;
                }
                if (op == 9) { // ping: pong with its bytes
                    var pong = new byte[pl + 6];
                    pong[0] = 0x8A;
                    pong[1] = (byte)(0x80 | pl);
                    Buffer.BlockCopy(inBuf, p, pong, 6, pl);
                    try { Write(pong, 0, pong.Length); } catch (Exception e) { Lost(e); return; }
                    continue;
                }
                if (op == 10)
                    continue;
                if (op == 1 || op == 2) {
                    msgLen = 0;
                    inMessage = true;
                }
                if (!inMessage || msgLen + pl > msg.Length)
                    continue;
                Buffer.BlockCopy(inBuf, p, msg, msgLen, pl);
                msgLen += pl;
                if (fin) {
                    inMessage = false;
                    core.Arrived(msg, 0, msgLen, 0, FlagReliable);
                }
            }
            if (at > 0) {
                Buffer.BlockCopy(inBuf, at, inBuf, 0, inLen - at);
                inLen -= at;
            }
        }

        static int Find(byte[] b, int n, string s)
        {
            for (int i = 0; i + s.Length <= n; i++) {
                int k = 0;
                while (k < s.Length && b[i + k] == s[k])
                    k++;
                if (k == s.Length)
                    return i;
            }
            return -1;
        }
    }
}
