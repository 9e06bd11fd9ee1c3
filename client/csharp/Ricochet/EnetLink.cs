// EnetLink.cs: ENet 1.3's wire spoken from managed code, as much of it as a
// ricochet client needs (PROTOCOL.md, "ENet channels and flags"; the same
// commands as proto/enet/enet_speak.c writes and client_wire.c's client
// speaks): CONNECT with 3 channels and data 1, VERIFY_CONNECT, reliable
// commands numbered per channel (the peer's own sequence on channel 0xFF
// for pings and the goodbye), acknowledged with the sender's time echoed,
// resent after the round trip and four times its variation (doubling),
// held when they come early, reliable fragments joined, unsequenced and
// unreliable sends, pings when the relay is quiet, and DISCONNECT. A
// reliable message longer than a datagram holds (an event of a few KB) goes
// in reliable fragments, as ENet's own; an unreliable one fits one datagram.
// One connected UDP socket; no allocation per state once warm.
using System;
using System.Net;
using System.Net.Sockets;

namespace Ricochet
{
    internal sealed class EnetLink : Link
    {
        const int Mtu = 1400, Body = Mtu - 4, CommandsMax = 32;
        const byte Acknowledge = 1, Connect = 2, VerifyConnect = 3, Disconnect = 4, Ping = 5,
                   SendReliable = 6, SendUnreliable = 7, SendFragment = 8, SendUnsequenced = 9,
                   BandwidthLimit = 10, ThrottleConfigure = 11, SendUnreliableFragment = 12;
        const byte FlagAck = 0x80, FlagUnseq = 0x40, ControlChannel = 0xFF;
        const int NoPeer = 0xFFF, Channels = 3, UnackedMax = 256, HeldMax = 64, FragmentsMax = 65536;
        const int FragmentHead = 24, FragmentBody = Body - FragmentHead; // a fragment fills a datagram
        static readonly int[] Sizes = { 0, 8, 48, 44, 8, 4, 6, 8, 24, 8, 12, 16, 24 };

        enum St { Connecting, Connected, Gone }

        struct Unacked { public int Channel, Seq, Len; public long FirstUs, SentUs; public byte[] Bytes; }
        struct Held { public int Channel, Seq, Command, Len; public byte[] Bytes; public uint FragNumber, FragCount, FragTotal, FragOffset; }

        readonly Socket sock;
        readonly long timeoutUs;
        long pingQuietUs;
        St st = St.Connecting;
        uint connectId;
        int relayPeer = NoPeer, session, peerSeq, unseqGroup;
        readonly int[] outReliable = new int[Channels], outUnreliable = new int[Channels], inReliable = new int[Channels];
        readonly Unacked[] unacked = new Unacked[UnackedMax];
        int nUnacked;
        readonly Held[] held = new Held[HeldMax];
        int nHeld;
        readonly byte[] outBuf = new byte[Mtu], inBuf = new byte[65536], cmd = new byte[Mtu];
        int outLen = 4, outCommands;
        bool outTime;
        byte[] frag;
        uint fragTotal, fragGot, fragCount, fragNext;
        int fragChannel;
        long lastRecvUs, lastPingUs, rttUs, rttVarUs;

        public EnetLink(Core core, IPEndPoint relay, long timeoutUs, long pingQuietUs) : base(core)
        {
            this.timeoutUs = timeoutUs;
            this.pingQuietUs = pingQuietUs;
            sock = new Socket(relay.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            sock.Blocking = false;
            sock.Connect(relay);
            var r = new byte[4];
            using (var rng = System.Security.Cryptography.RandomNumberGenerator.Create())
                rng.GetBytes(r);
            connectId = Bytes.Le32(r, 0);
            // CONNECT: my peer id 0, no session yet, the MTU, a window, 3 channels, data 1 (I echo cookies)
            peerSeq = 1;
            Array.Clear(cmd, 0, 48);
            Header(cmd, Connect | FlagAck, ControlChannel, peerSeq);
            cmd[6] = 0xFF; cmd[7] = 0xFF;
            Bytes.Be32(cmd, 8, Mtu);
            Bytes.Be32(cmd, 12, 32768);      // window size: ENet's default for a host without bandwidth
            Bytes.Be32(cmd, 16, Channels);
            Bytes.Be32(cmd, 28, 5000);       // throttle interval, acceleration, deceleration: as
            Bytes.Be32(cmd, 32, 2);          // enet_host_connect proposes them
            Bytes.Be32(cmd, 36, 2);
            Bytes.Le32(cmd, 40, connectId);  // ENet compares it as sent
            Bytes.Be32(cmd, 44, 1);
            Reliable(ControlChannel, peerSeq, cmd, 48, Clock.NowUs());
            Flush();
        }

        public override bool Ready { get { return st == St.Connected; } }

        public int RelayPeer { get { return relayPeer; } }

        static void Header(byte[] b, int command, int channel, int seq)
        {
            b[0] = (byte)command;
            b[1] = (byte)channel;
            Bytes.Be16(b, 2, seq);
        }

        // ---- sending: commands gathered into one datagram, sent by Flush ----

        void Room(int len, bool time)
        {
            if (outLen + len > Mtu || outCommands == CommandsMax)
                Flush();
            outCommands++;
            outTime |= time;
        }

        void Put(byte[] b, int len, bool time)
        {
            Room(len, time);
            Buffer.BlockCopy(b, 0, outBuf, outLen, len);
            outLen += len;
        }

        public override void Flush()
        {
            if (outCommands == 0 || st == St.Gone && relayPeer == -1)
                return;
            // the header: the relay's peer id and session bits, my time when a command wants an ack
            int word = (relayPeer & 0xFFF) | (session & 3) << 12 | (outTime ? 0x8000 : 0);
            int at = outTime ? 0 : 2;
            Bytes.Be16(outBuf, at, word);
            if (outTime)
                Bytes.Be16(outBuf, 2, (int)(Clock.NowUs() / 1000));
            try {
                sock.Send(outBuf, at, outLen - at, SocketFlags.None);
            } catch (SocketException e) {
                Failed(e);
            } catch (ObjectDisposedException) {
            }
            outLen = 4;
            outCommands = 0;
            outTime = false;
        }

        /// <summary>A reliable command, kept until acknowledged; false if too
        /// many are on their way already.</summary>
        bool Reliable(int channel, int seq, byte[] b, int len, long now)
        {
            if (nUnacked == UnackedMax)
                return false;
            if (unacked[nUnacked].Bytes == null)
                unacked[nUnacked].Bytes = new byte[Mtu];
            Buffer.BlockCopy(b, 0, unacked[nUnacked].Bytes, 0, len);
            unacked[nUnacked].Channel = channel;
            unacked[nUnacked].Seq = seq;
            unacked[nUnacked].Len = len;
            unacked[nUnacked].FirstUs = unacked[nUnacked].SentUs = now;
            nUnacked++;
            Put(b, len, true);
            return true;
        }

        void Ack(int channel, int seq, int sentTime)
        {
            Room(8, false);
            int at = outLen;
            outBuf[at] = Acknowledge;
            outBuf[at + 1] = (byte)channel;
            Bytes.Be16(outBuf, at + 2, seq);
            Bytes.Be16(outBuf, at + 4, seq);
            Bytes.Be16(outBuf, at + 6, sentTime);
            outLen += 8;
        }

        bool Send(int channel, int flags, byte[] b, int off, int len)
        {
            bool reliable = (flags & FlagReliable) != 0 ||
                            (flags & FlagUnsequenced) == 0 && outUnreliable[channel] == 0xFFFF;
            if (st != St.Connected || len > (reliable ? FragmentsMax : Body - 8))
                return false;
            if (reliable && len > Body - 6)
                return Fragments(channel, b, off, len);
            if (reliable) {
                int seq = (outReliable[channel] + 1) & 0xFFFF;
                Header(cmd, SendReliable | FlagAck, channel, seq);
                Bytes.Be16(cmd, 4, len);
                Buffer.BlockCopy(b, off, cmd, 6, len);
                if (!Reliable(channel, seq, cmd, 6 + len, Clock.NowUs()))
                    return false;
                outReliable[channel] = seq;
                outUnreliable[channel] = 0;
                return true;
            }
            if ((flags & FlagUnsequenced) != 0) {
                unseqGroup = (unseqGroup + 1) & 0xFFFF;
                Header(cmd, SendUnsequenced | FlagUnseq, channel, 0);
                Bytes.Be16(cmd, 4, unseqGroup);
            } else {
                outUnreliable[channel]++;
                Header(cmd, SendUnreliable, channel, outReliable[channel]);
                Bytes.Be16(cmd, 4, outUnreliable[channel]);
            }
            Bytes.Be16(cmd, 6, len);
            Room(8 + len, false);
            Buffer.BlockCopy(cmd, 0, outBuf, outLen, 8);
            Buffer.BlockCopy(b, off, outBuf, outLen + 8, len);
            outLen += 8 + len;
            return true;
        }

        public override bool SendControl(byte[] b, int off, int len)
        {
            return Send(0, FlagReliable, b, off, len);
        }

        public override bool SendState(byte[] b, int off, int len, Mode mode)
        {
            return mode == Mode.Unsequenced ? Send(1, FlagUnsequenced, b, off, len)
                 : mode == Mode.Sequenced ? Send(2, FlagUnsequenced, b, off, len)
                 : Send(2, FlagReliable, b, off, len);
        }

        /// <summary>A reliable message in fragments, each a reliable command of
        /// its own numbered in turn (ENet's layout: start, length, count,
        /// number, total, offset); false, nothing sent, if too many are on
        /// their way already.</summary>
        bool Fragments(int channel, byte[] b, int off, int len)
        {
            int count = (len + FragmentBody - 1) / FragmentBody;
            if (nUnacked + count > UnackedMax)
                return false;
            int start = (outReliable[channel] + 1) & 0xFFFF;
            long now = Clock.NowUs();
            for (int i = 0, at = 0; i < count; i++, at += FragmentBody) {
                int n = Math.Min(FragmentBody, len - at), seq = (start + i) & 0xFFFF;
                Header(cmd, SendFragment | FlagAck, channel, seq);
                Bytes.Be16(cmd, 4, start);
                Bytes.Be16(cmd, 6, n);
                Bytes.Be32(cmd, 8, (uint)count);
                Bytes.Be32(cmd, 12, (uint)i);
                Bytes.Be32(cmd, 16, (uint)len);
                Bytes.Be32(cmd, 20, (uint)at);
                Buffer.BlockCopy(b, off + at, cmd, FragmentHead, n);
                Reliable(channel, seq, cmd, FragmentHead + n, now);
            }
            outReliable[channel] = (start + count - 1) & 0xFFFF;
            outUnreliable[channel] = 0;
            return true;
        }

        /// <summary>Says goodbye as enet_peer_disconnect_later does: what is on
        /// its way reliably is acknowledged first (1 s at most), since a relay's
        /// ENet drops what came in the datagram of a DISCONNECT, or before it
        /// and not yet handed over.</summary>
        public override void Close()
        {
            if (closing)
                return;
            closing = true;
            Flush();
            long until = Clock.NowUs() + 1000000;
            while (st == St.Connected && Sending() && Clock.NowUs() < until)
                Service(Clock.NowUs(), 10);
            if (st == St.Connected) {
                peerSeq = (peerSeq + 1) & 0xFFFF;
                Header(cmd, Disconnect | FlagAck, ControlChannel, peerSeq);
                Bytes.Be32(cmd, 4, 0);
                Put(cmd, 8, true);
                Flush();
            }
            st = St.Gone;
            sock.Close();
        }

        bool closing;

        /// <summary>A reliable message of mine is not acknowledged yet.</summary>
        bool Sending()
        {
            for (int i = 0; i < nUnacked; i++)
                if (unacked[i].Channel != ControlChannel)
                    return true;
            return false;
        }

        public override long SilentUs(long nowUs)
        {
            return st == St.Connected && nowUs > lastRecvUs ? nowUs - lastRecvUs : 0;
        }

        void Failed(SocketException e)
        {
            if (st == St.Gone)
                return;
            bool refused = e.SocketErrorCode == SocketError.ConnectionRefused ||
                           e.SocketErrorCode == SocketError.ConnectionReset;
            st = St.Gone;
            core.LinkLost(refused ? "refused" : "disconnected", refused ? null : e.Message, 0);
        }

        // ---- timers ----

        long Rto()
        {
            long rto = rttUs > 0 ? rttUs + 4 * rttVarUs : 500000;
            return rto < 50000 ? 50000 : rto;
        }

        void Timers(long now)
        {
            long rto = Rto();
            for (int i = 0; i < nUnacked; i++) {
                if (now - unacked[i].FirstUs >= timeoutUs) {
                    st = St.Gone;
                    core.LinkLost("timeout", null, 0);
                    return;
                }
                long sent = unacked[i].SentUs;
                if (now >= sent + (rto << (sent - unacked[i].FirstUs >= rto ? 1 : 0))) {
                    Put(unacked[i].Bytes, unacked[i].Len, true);
                    unacked[i].SentUs = now;
                }
            }
            long heard = Math.Max(lastRecvUs, lastPingUs);
            if (st == St.Connected && nUnacked == 0 && now - heard >= pingQuietUs) {
                peerSeq = (peerSeq + 1) & 0xFFFF;
                Header(cmd, Ping | FlagAck, ControlChannel, peerSeq);
                Reliable(ControlChannel, peerSeq, cmd, 4, now);
                lastPingUs = now;
            }
        }

        // ---- receiving ----

        public override void Service(long nowUs, int waitMs)
        {
            if (st == St.Gone)
                return;
            try {
                if (waitMs > 0 && sock.Available == 0)
                    sock.Poll(waitMs * 1000, SelectMode.SelectRead);
                while (st != St.Gone && sock.Available > 0) {
                    int n = sock.Receive(inBuf, 0, inBuf.Length, SocketFlags.None);
                    Datagram(inBuf, n, Clock.NowUs());
                }
            } catch (SocketException e) {
                Failed(e);
                return;
            } catch (ObjectDisposedException) {
                return;
            }
            if (st != St.Gone)
                Timers(Clock.NowUs());
            Flush();
        }

        void Datagram(byte[] d, int len, long now)
        {
            if (len < 2)
                return;
            int word = Bytes.Be16(d, 0);
            bool sentTime = (word & 0x8000) != 0;
            if ((word & 0x4000) != 0) // compressed: ricochet compresses nothing
                return;
            int at = sentTime ? 4 : 2;
            if (at > len)
                return;
            int sent = sentTime ? Bytes.Be16(d, 2) : 0;
            lastRecvUs = now;
            while (at < len && st != St.Gone) {
                if (len - at < 4)
                    return;
                int command = d[at] & 0x0F, channel = d[at + 1], seq = Bytes.Be16(d, at + 2);
                bool ack = (d[at] & FlagAck) != 0 && sentTime;
                if (command == 0 || command >= Sizes.Length || len - at < Sizes[command])
                    return;
                int size = Sizes[command], dataLen = 0;
                if (command == SendReliable) dataLen = Bytes.Be16(d, at + 4);
                else if (command == SendUnreliable || command == SendUnsequenced) dataLen = Bytes.Be16(d, at + 6);
                else if (command == SendFragment || command == SendUnreliableFragment) dataLen = Bytes.Be16(d, at + 6);
                if (dataLen > len - at - size)
                    return;
                int data = at + size;
                switch (command) {
                case Acknowledge:
                    OnAck(Bytes.Be16(d, at + 4), Bytes.Be16(d, at + 6), channel, now);
                    break;
                case VerifyConnect:
                    if (Bytes.Le32(d, at + 40) != connectId || Bytes.Be16(d, at + 4) >= NoPeer)
                        break;
                    if (st == St.Connected && ack) {
                        Ack(channel, seq, sent); // again: the relay lost my acknowledgement
                    } else if (st == St.Connecting) {
                        relayPeer = Bytes.Be16(d, at + 4);
                        session = d[at + 7];
                        st = St.Connected;
                        Forget(ControlChannel, 1);
                        if (ack)
                            Ack(channel, seq, sent);
                        core.LinkUp();
                    }
                    break;
                case Disconnect:
                    if (ack)
                        Ack(channel, seq, sent);
                    Flush();
                    st = St.Gone;
                    sock.Close();
                    core.LinkLost("disconnected", null, (int)Bytes.Be32(d, at + 4));
                    return;
                case SendReliable:
                case SendFragment:
                    OnReliable(d, at, command, channel, seq, data, dataLen, ack ? sent : -1);
                    break;
                case SendUnreliable:
                case SendUnsequenced:
                    if (st == St.Connected && channel < Channels)
                        core.Arrived(d, data, dataLen, channel, command == SendUnsequenced ? FlagUnsequenced : 0);
                    break;
                case Ping:
                case BandwidthLimit:
                case ThrottleConfigure:
                    if (ack)
                        Ack(channel, seq, sent);
                    break;
                default:
                    break; // unreliable fragments and CONNECTs: the relay sends none
                }
                at = data + dataLen;
            }
        }

        void Forget(int channel, int seq)
        {
            for (int i = 0; i < nUnacked; i++)
                if (unacked[i].Channel == channel && unacked[i].Seq == seq) {
                    var u = unacked[i];
                    unacked[i] = unacked[--nUnacked];
                    unacked[nUnacked] = u; // its buffer kept for the next
                    return;
                }
        }

        void OnAck(int seq, int sentTime, int channel, long now)
        {
            int rttMs = ((int)(now / 1000) - sentTime) & 0xFFFF;
            if (rttMs < 0x8000) {
                long rtt = rttMs * 1000L;
                if (rttUs == 0) {
                    rttUs = rtt > 0 ? rtt : 1;
                    rttVarUs = rtt / 2;
                } else {
                    long diff = Math.Abs(rtt - rttUs);
                    rttVarUs = rttVarUs - rttVarUs / 4 + diff / 4;
                    rttUs += rtt > rttUs ? diff / 8 : -diff / 8;
                }
            }
            Forget(channel, seq);
        }

        /// <summary>A reliable send or fragment: delivered if the next of its
        /// channel (then what was held after it), held if early, or dropped
        /// unacknowledged when there is no room (the relay resends it).</summary>
        void OnReliable(byte[] d, int at, int command, int channel, int seq, int data, int dataLen, int sent)
        {
            if (st != St.Connected || channel >= Channels)
                return;
            int ahead = (short)(seq - inReliable[channel]);
            if (ahead > 1 && !Hold(d, at, command, channel, seq, data, dataLen))
                return;
            if (sent >= 0)
                Ack(channel, seq, sent);
            if (ahead != 1)
                return;
            Take(d, at, command, channel, seq, data, dataLen);
            for (bool more = true; more && st == St.Connected;) {
                more = false;
                int next = (inReliable[channel] + 1) & 0xFFFF;
                for (int i = 0; i < nHeld; i++) {
                    if (held[i].Channel != channel || held[i].Seq != next)
                        continue;
                    var h = held[i];
                    held[i] = held[--nHeld];
                    held[nHeld] = h;
                    TakeHeld(h, channel, next);
                    more = true;
                    break;
                }
            }
        }

        bool Hold(byte[] d, int at, int command, int channel, int seq, int data, int dataLen)
        {
            for (int i = 0; i < nHeld; i++)
                if (held[i].Channel == channel && held[i].Seq == seq)
                    return true; // held already: acknowledged again
            if (nHeld == HeldMax || ((seq - inReliable[channel]) & 0xFFFF) > HeldMax)
                return false;
            var h = held[nHeld];
            if (h.Bytes == null || h.Bytes.Length < dataLen)
                h.Bytes = new byte[Math.Max(dataLen, 64)];
            Buffer.BlockCopy(d, data, h.Bytes, 0, dataLen);
            h.Channel = channel; h.Seq = seq; h.Command = command; h.Len = dataLen;
            if (command == SendFragment) {
                h.FragCount = Bytes.Be32(d, at + 8); h.FragNumber = Bytes.Be32(d, at + 12);
                h.FragTotal = Bytes.Be32(d, at + 16); h.FragOffset = Bytes.Be32(d, at + 20);
            }
            held[nHeld++] = h;
            return true;
        }

        void TakeHeld(Held h, int channel, int seq)
        {
            inReliable[channel] = seq;
            if (h.Command == SendFragment)
                Fragment(h.Bytes, 0, h.Len, channel, h.FragNumber, h.FragCount, h.FragTotal, h.FragOffset);
            else
                core.Arrived(h.Bytes, 0, h.Len, channel, FlagReliable);
        }

        void Take(byte[] d, int at, int command, int channel, int seq, int data, int dataLen)
        {
            inReliable[channel] = seq;
            if (command == SendFragment)
                Fragment(d, data, dataLen, channel, Bytes.Be32(d, at + 12), Bytes.Be32(d, at + 8),
                         Bytes.Be32(d, at + 16), Bytes.Be32(d, at + 20)); // number, count: ENet's layout
            else
                core.Arrived(d, data, dataLen, channel, FlagReliable);
        }

        /// <summary>A fragment of a reliable message, in its turn: the message
        /// to the session once whole; one out of place drops the message.</summary>
        void Fragment(byte[] d, int data, int dataLen, int channel, uint number, uint count, uint total, uint offset)
        {
            if (number == 0) {
                if (total == 0 || total > FragmentsMax || count == 0) {
                    fragCount = 0;
                    return;
                }
                if (frag == null || frag.Length < total)
                    frag = new byte[FragmentsMax];
                fragTotal = total; fragCount = count; fragGot = fragNext = 0; fragChannel = channel;
            }
            if (fragCount == 0 || number != fragNext || channel != fragChannel || offset > fragTotal ||
                dataLen > fragTotal - offset) {
                fragCount = 0;
                return;
            }
            Buffer.BlockCopy(d, data, frag, (int)offset, dataLen);
            fragGot += (uint)dataLen;
            if (++fragNext < fragCount)
                return;
            fragCount = 0;
            if (fragGot == fragTotal)
                core.Arrived(frag, 0, (int)fragTotal, channel, FlagReliable);
        }
    }
}
