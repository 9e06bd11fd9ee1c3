// Through.cs: two managed sessions through a bad network
// (tests/test_e2e_csharp_netsim.c puts ricochet-netsim, lossy and jittery,
// between them and the relay): once each sees the other, one sends STATES
// unsequenced states at 20 Hz and EVENTS reliable events numbered 1, 2, ...
// to the other, which records what came. Prints "events in order" (each
// number once, in order, every one) or the first that was not, then
// "got SEQ" for every state received; exits 0 once every event came.
//   mono through.exe PORT STATES EVENTS
using System;
using System.Collections.Generic;
using System.Diagnostics;
using Ricochet;

static class Through
{
    static int Main(string[] a)
    {
        ushort port = ushort.Parse(a[0]);
        int states = int.Parse(a[1]), events = int.Parse(a[2]);
        var tx = new Session(new Config { Port = port, Room = "through", Name = "tx", TimeoutMs = 10000 });
        var rx = new Session(new Config { Port = port, Room = "through", Name = "rx", TimeoutMs = 10000 });
        var got = new List<uint>();
        var numbers = new List<uint>();
        var clock = Stopwatch.StartNew();
        long next = 0;
        int sent = 0, told = 0;
        Action take = () => { // what came, to both
            GameEvent e;
            while (tx.Poll(0, out e)) { }
            while (rx.Poll(1, out e))
                if (e.Type == EventType.State && e.Id == tx.Id)
                    got.Add(e.State.Seq);
                else if (e.Type == EventType.Event && e.Id == tx.Id && e.Data.Length == 4)
                    numbers.Add(Bytes.Be32(e.Data, 0));
        };
        while (clock.ElapsedMilliseconds < 60000 && (numbers.Count < events || sent < states)) {
            take();
            bool seen = tx.Joined && rx.Joined && rx.FindMember(tx.Id) != null && tx.FindMember(rx.Id) != null;
            if (!seen || clock.ElapsedMilliseconds < next)
                continue;
            next = clock.ElapsedMilliseconds + 50;
            if (sent < states && tx.SendState(new State { X = sent % 100, Y = 50 }) == Status.Ok)
                sent++;
            if (told < events) {
                var body = new byte[4];
                Bytes.Be32(body, 0, (uint)(told + 1));
                if (tx.SendEvent(rx.Id, body) == Status.Ok)
                    told++;
            }
        }
        var tail = Stopwatch.StartNew(); // what is still on its way
        while (tail.ElapsedMilliseconds < 2000)
            take();
        int bad = -1;
        for (int i = 0; i < numbers.Count && bad < 0; i++)
            if (numbers[i] != i + 1)
                bad = i;
        Console.WriteLine(bad < 0 && numbers.Count == events ? "events in order " + events
                          : "events out: " + numbers.Count + " of " + events + ", at " + bad);
        Console.WriteLine("sent " + sent);
        foreach (var s in got)
            Console.WriteLine("got " + s);
        tx.Dispose();
        rx.Dispose();
        return bad < 0 && numbers.Count == events && sent == states ? 0 : 1;
    }
}
