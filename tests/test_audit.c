/* test_audit.c: the bench's reconciliation on hand-written drop logs: every
 * missed state in exactly its category (netsim up or down, corrupted on either
 * link, too old at the receiver or the relay, ENet's unsequenced window
 * replayed, socket overflow, shed by the relay as stale (never a state that
 * went down to anyone, never more than it counted), dropped before it left
 * the sender's or the relay's full queue (never more than each counted),
 * late, unexplained); a drop
 * on another sender's flow, or on another ENet peer of the same socket,
 * explains nothing; reliable drops matched to later forwards; what netsim
 * dropped per (state, receiver) read from the log whether missed or not; on a
 * TCP stream (IP mode's segment and frame lines) and on ENet's reliable
 * channel, each state a drop held back attributed to it: at the receiver (its
 * own segment lost, or one before it: head of line) and at a TCP sender
 * recovering a loss; a wait no drop explains, one the log never ends, a
 * stream's state complete in the log but never got, and IP mode's lines that do
 * not read */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/audit/audit.h"

/* A (id 1) and B (id 2) are two ENet peers of one socket, port 5001; C
 * (id 3) has its own, port 5003. Over ENet the header's peer id is the
 * receiver's slot for the sender: the relay's slots 0, 1, 2 upwards, the
 * client host's own (0 for C, 0 and 1 on the shared host) downwards. */
static struct audit_client clients[3];

static struct audit_flow flow(uint16_t port, int peer)
{
    struct audit_flow f = {.peer = (int16_t)peer};
    char err[128];
    assert_int_equal(netaddr_resolve("127.0.0.1", port, &f.ep, err, sizeof err), 0);
    return f;
}

static int setup_clients(void **unused)
{
    (void)unused;
    clients[0] = (struct audit_client){.id = 1, .up = flow(5001, 0), .down = flow(5001, 0)};
    clients[1] = (struct audit_client){.id = 2, .up = flow(5001, 1), .down = flow(5001, 1),
                                       .socket_owner = 0};
    clients[2] = (struct audit_client){.id = 3, .up = flow(5003, 2), .down = flow(5003, 0),
                                       .socket_drops = 1, .socket_owner = 2};
    return 0;
}

static struct audit_log *read_log(const char *text)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    char err[160] = "";
    struct audit_log *log = audit_log_read(f, err, sizeof err);
    fclose(f);
    if (!log)
        fail_msg("%s", err);
    return log;
}

/* A sends 100..109 in the window; B and C receive, except as noted. */
static const char miss_log[] =
    "# t_us event dir flow sender seq kind delay_us peer\n"
    "10 fwd up 127.0.0.1:5001 0 100 unsequenced 0 0\n"
    "11 fwd down 127.0.0.1:5001 1 100 unsequenced 0 1\n"
    "11 fwd down 127.0.0.1:5003 1 100 unsequenced 0 0\n"
    /* 101: lost on A's uplink: explained for B and C */
    "20 loss up 127.0.0.1:5001 0 101 unsequenced 0 0\n"
    /* 102: lost on B's downlink: explained for B */
    "30 fwd up 127.0.0.1:5001 0 102 unsequenced 0 0\n"
    "31 burst down 127.0.0.1:5001 1 102 unsequenced 0 1\n"
    "31 fwd down 127.0.0.1:5003 1 102 unsequenced 0 0\n"
    /* 103: a drop on A's own downlink (peer 0 of the shared socket) is not B's */
    "40 fwd up 127.0.0.1:5001 0 103 unsequenced 0 0\n"
    "41 loss down 127.0.0.1:5001 1 103 unsequenced 0 0\n"
    "41 fwd down 127.0.0.1:5003 1 103 unsequenced 0 0\n"
    /* 104: B's own state 104 lost on its uplink explains nothing of A's */
    "50 fwd up 127.0.0.1:5001 0 104 unsequenced 0 0\n"
    "50 loss up 127.0.0.1:5001 0 104 unsequenced 0 1\n"
    /* 105: forwarded to both; C's socket dropped one datagram, B's none */
    "60 fwd up 127.0.0.1:5001 0 105 unsequenced 0 0\n"
    "61 fwd down 127.0.0.1:5001 1 105 unsequenced 0 1\n"
    "61 fwd down 127.0.0.1:5003 1 105 unsequenced 0 0\n"
    /* 106: reached B after the bench stopped listening (at 1000) */
    "70 fwd up 127.0.0.1:5001 0 106 unsequenced 0 0\n"
    "1000 fwd down 127.0.0.1:5001 1 106 unsequenced 0 1\n"
    "71 fwd down 127.0.0.1:5003 1 106 unsequenced 0 0\n"
    /* 107: C filtered it as too old (sequenced) */
    "80 fwd up 127.0.0.1:5001 0 107 unsequenced 0 0\n"
    "81 fwd down 127.0.0.1:5001 1 107 unsequenced 0 1\n"
    "81 fwd down 127.0.0.1:5003 1 107 unsequenced 0 0\n"
    /* 108: netsim never saw it */
    /* 109: duplicated */
    "90 dup up 127.0.0.1:5001 0 109 unsequenced 0 0\n"
    "91 fwd up 127.0.0.1:5001 0 109 unsequenced 0 0\n"
    "92 fwd up 127.0.0.1:5001 0 109 unsequenced 0 0\n";

static void every_miss_in_its_category(void **unused)
{
    (void)unused;
    struct audit_track *t = audit_track_new(3, 3, 16);
    assert_non_null(t);
    for (uint32_t seq = 100; seq < 110; seq++) {
        audit_track_sent(t, 0, seq);
        if (seq != 101 && seq != 102 && seq != 103 && seq != 104 && seq != 105 &&
            seq != 106 && seq != 108)
            audit_track_got(t, 1, 0, seq, AUDIT_GOT);
        if (seq != 101 && seq != 104 && seq != 105 && seq != 107)
            audit_track_got(t, 2, 0, seq, AUDIT_GOT);
    }
    audit_track_got(t, 2, 0, 107, AUDIT_TOO_OLD);
    audit_track_got(t, 1, 0, 150, AUDIT_GOT); /* outside the window: ignored */
    audit_track_failed(t, 0);             /* a send that never reached the wire */
    struct audit_log *log = read_log(miss_log);
    assert_int_equal(audit_log_states(log), 24);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, clients, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    assert_int_equal(a.missed, 11);
    assert_int_equal(a.up, 2);
    assert_int_equal(a.down, 1);
    assert_int_equal(a.too_old, 1);
    assert_int_equal(a.overflow, 1);
    assert_int_equal(a.late, 1);
    assert_int_equal(a.unexplained, 5);
    /* from the log: 101 for B and C, 102 for B; 103 and 104 were others' */
    assert_int_equal(a.netsim_dropped, 3);
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_NONE], 1);
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_UP_FWD], 3);
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_DOWN_FWD], 1);
    assert_int_equal(a.not_sent, 2); /* two receivers */
    assert_int_equal(a.socket_drops, 1);
    assert_int_equal(a.state_drops, 0); /* not reliable: not looked at */
    /* listed in receiver order, then sender, then seq */
    static const struct {
        uint32_t seq, receiver;
        int where;
    } want[5] = {{103, 2, AUDIT_WHERE_UP_FWD}, {104, 2, AUDIT_WHERE_UP_FWD},
                 {105, 2, AUDIT_WHERE_DOWN_FWD}, {108, 2, AUDIT_WHERE_NONE},
                 {104, 3, AUDIT_WHERE_UP_FWD}};
    assert_int_equal(a.listed, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_int_equal(a.items[k].sender, 1);
        assert_int_equal(a.items[k].seq, want[k].seq);
        assert_int_equal(a.items[k].receiver, want[k].receiver);
        assert_int_equal(a.items[k].where, want[k].where);
    }
    char flow[40];
    audit_flow_str(&a.items[0].receiver_flow, flow, sizeof flow);
    assert_string_equal(flow, "127.0.0.1:5001#1");
    assert_string_equal(audit_where_name(AUDIT_WHERE_UP_FWD), "up_fwd");
    assert_false(audit_clean(&a)); /* not done */
    a.done = true;
    assert_false(audit_clean(&a));
    audit_log_free(log);
    audit_track_free(t);
}

/* Reliable: every drop of a window state is followed by a forward of it on
 * the same flow (a retransmission), or followed one (a redundant copy). */
static void reliable_drops_matched(void **unused)
{
    (void)unused;
    static const char text[] =
        "10 loss up 127.0.0.1:5001 0 100 reliable 0 0\n"
        "20 fwd up 127.0.0.1:5001 0 100 reliable 0 0\n"
        "30 fwd down 127.0.0.1:5003 1 101 reliable 0 0\n"
        "40 queue down 127.0.0.1:5003 1 101 reliable 0 0\n"
        "50 loss down 127.0.0.1:5001 1 102 reliable 0 1\n"
        "50 loss down 127.0.0.1:5001 1 102 reliable 0 1\n"
        "60 loss up 127.0.0.1:5001 0 500 reliable 0 0\n"  /* not a window state */
        "70 loss down 127.0.0.1:5001 9 100 reliable 0 1\n" /* not a client of ours */
        "80 loss up 127.0.0.1:6000 0 100 reliable 0 0\n"; /* not a flow of ours */
    struct audit_track *t = audit_track_new(3, 3, 16);
    for (uint32_t seq = 100; seq < 103; seq++) {
        audit_track_sent(t, 0, seq);
        audit_track_got(t, 1, 0, seq, AUDIT_GOT);
        audit_track_got(t, 2, 0, seq, AUDIT_GOT);
    }
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, clients, log, PROTO_MODE_RELIABLE, 1000, &a);
    a.done = true;
    assert_int_equal(a.missed, 0);
    assert_int_equal(a.state_drops, 4);
    assert_int_equal(a.retransmitted, 1);
    assert_int_equal(a.redundant, 1);
    assert_int_equal(a.unretransmitted, 2);
    assert_int_equal(a.netsim_dropped, 1); /* 102 to B: never forwarded, yet counted */
    assert_int_equal(a.listed, 1); /* one state, dropped twice */
    assert_int_equal(a.items[0].seq, 102);
    assert_int_equal(a.items[0].receiver, 2);
    assert_int_equal(a.items[0].where, AUDIT_WHERE_DOWN_DROP);
    assert_false(audit_clean(&a));
    audit_log_free(log);
    audit_track_free(t);
}

/* What netsim dropped, per state and receiver, is read from the log for
 * every state sent, missed or not: it equals the misses netsim explains
 * (up + down) only if no state it dropped was counted as delivered. */
static void netsim_dropped_from_the_log(void **unused)
{
    (void)unused;
    static const char text[] =
        "10 loss up 127.0.0.1:5001 0 100 unsequenced 0 0\n"   /* A's 100: nobody's */
        "20 fwd up 127.0.0.1:5001 0 101 unsequenced 0 0\n"
        "21 loss down 127.0.0.1:5003 1 101 unsequenced 0 0\n" /* C's 101 */
        "21 fwd down 127.0.0.1:5001 1 101 unsequenced 0 1\n"
        "30 loss up 127.0.0.1:5001 0 102 unsequenced 0 0\n"   /* dropped, then */
        "31 fwd up 127.0.0.1:5001 0 102 unsequenced 0 0\n"    /* ... a copy through */
        "32 fwd down 127.0.0.1:5001 1 102 unsequenced 0 1\n"
        "32 fwd down 127.0.0.1:5003 1 102 unsequenced 0 0\n";
    struct audit_track *t = audit_track_new(3, 3, 16);
    for (uint32_t seq = 100; seq < 103; seq++)
        audit_track_sent(t, 0, seq);
    audit_track_got(t, 1, 0, 100, AUDIT_GOT); /* B "got" 100 netsim never forwarded */
    audit_track_got(t, 1, 0, 101, AUDIT_GOT);
    audit_track_got(t, 1, 0, 102, AUDIT_GOT);
    audit_track_got(t, 2, 0, 102, AUDIT_GOT);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, clients, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    assert_int_equal(a.missed, 2);         /* C: 100, 101 */
    assert_int_equal(a.up, 1);
    assert_int_equal(a.down, 1);
    assert_int_equal(a.netsim_dropped, 3); /* 100 to B and C, 101 to C */
    audit_log_free(log);
    audit_track_free(t);
}

/* The relay drops no state for being out of order: a state netsim
 * forwarded to the relay, after a newer one of the same sender or not, and
 * never forwarded on is unexplained in every mode (the relay shed none as
 * stale). */
static void no_drop_at_the_relay(void **unused)
{
    (void)unused;
    static const char text[] =
        "40 fwd up 127.0.0.1:5003 0 4 unreliable 0 2\n"
        "50 fwd up 127.0.0.1:5003 0 3 unreliable 0 2\n" /* overtaken by 4 */
        "60 fwd up 127.0.0.1:5003 0 5 unreliable 0 2\n";
    struct audit_track *t = audit_track_new(3, 3, 8);
    for (uint32_t seq = 3; seq < 6; seq++)
        audit_track_sent(t, 2, seq);
    audit_track_got(t, 0, 2, 4, AUDIT_GOT);
    audit_track_got(t, 1, 2, 4, AUDIT_GOT);
    struct audit_log *log = read_log(text);
    static const enum proto_mode modes[2] = {PROTO_MODE_SEQUENCED, PROTO_MODE_UNSEQUENCED};
    for (int m = 0; m < 2; m++) {
        struct audit_result a;
        memset(&a, 0, sizeof a);
        audit_reconcile(t, clients, log, modes[m], 1000, &a);
        assert_int_equal(a.missed, 4); /* 3 and 5, at A and B */
        assert_int_equal(a.unexplained, 4);
        assert_int_equal(a.items[0].seq, 3);
        assert_int_equal(a.items[0].where, AUDIT_WHERE_UP_FWD);
    }
    audit_log_free(log);
    audit_track_free(t);
}

/* A relay that fell behind sheds states as stale (drops.stale): each one
 * it counted explains one state netsim forwarded up that no member got and
 * netsim sent down to none, for every receiver; never one that went down
 * to someone, nor more states than it counted. */
static void shed_by_the_relay(void **unused)
{
    (void)unused;
    static const char text[] =
        "10 fwd up 127.0.0.1:5001 0 200 unsequenced 0 0\n"  /* shed */
        "20 fwd up 127.0.0.1:5001 0 201 unsequenced 0 0\n"  /* C got it */
        "21 fwd down 127.0.0.1:5003 1 201 unsequenced 0 0\n"
        "30 fwd up 127.0.0.1:5001 0 202 unsequenced 0 0\n"  /* down to C, lost in */
        "31 fwd down 127.0.0.1:5003 1 202 unsequenced 0 0\n" /* its socket */
        "40 fwd up 127.0.0.1:5001 0 203 unsequenced 0 0\n"  /* C: too old, got */
        "50 fwd up 127.0.0.1:5001 0 204 unsequenced 0 0\n"  /* shed */
        "60 fwd up 127.0.0.1:5001 0 205 unsequenced 0 0\n"; /* beyond the count */
    struct audit_track *t = audit_track_new(3, 3, 16);
    for (uint32_t seq = 200; seq < 206; seq++)
        audit_track_sent(t, 0, seq);
    audit_track_got(t, 2, 0, 201, AUDIT_GOT);
    audit_track_got(t, 2, 0, 203, AUDIT_TOO_OLD);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    a.relay_stale = 2;
    audit_reconcile(t, clients, log, PROTO_MODE_SEQUENCED, 1000, &a);
    assert_int_equal(a.missed, 11);
    assert_int_equal(a.too_old, 1);
    assert_int_equal(a.stale, 4);    /* 200 and 204, at B and C */
    assert_int_equal(a.overflow, 1); /* 202 at C */
    assert_int_equal(a.unexplained, 5);
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_UP_FWD], 5);
    static const struct {
        uint32_t seq, receiver;
    } want[5] = {{201, 2}, {202, 2}, {203, 2}, {205, 2}, {205, 3}};
    assert_int_equal(a.listed, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_int_equal(a.items[k].seq, want[k].seq);
        assert_int_equal(a.items[k].receiver, want[k].receiver);
    }
    audit_log_free(log);
    audit_track_free(t);
}

/* States dropped before they left: by the sender's full datagram queue
 * (QUIC's), never seen by netsim, one drop explaining a state for every
 * receiver, never more than the sender counted; by the relay's queue to a
 * receiver (a slow reader, a held-back edge), forwarded up and never down
 * to it, one (state, receiver) pair a drop, never more than it counted. */
static void queue_drops_before_they_left(void **unused)
{
    (void)unused;
    static const char text[] =
        /* 300, 301: never seen going up */
        "30 fwd up 127.0.0.1:5001 0 302 unsequenced 0 0\n"  /* down to C only */
        "31 fwd down 127.0.0.1:5003 1 302 unsequenced 0 0\n"
        "40 fwd up 127.0.0.1:5001 0 303 unsequenced 0 0\n"; /* down to none */
    struct audit_result a = {.relay_queued = 1}; /* the relay's count */
    clients[0].queue_drops = 1;                  /* A's */
    struct audit_track *t = audit_track_new(3, 3, 16);
    for (uint32_t seq = 300; seq < 304; seq++)
        audit_track_sent(t, 0, seq);
    audit_track_got(t, 2, 0, 302, AUDIT_GOT);
    struct audit_log *log = read_log(text);
    audit_reconcile(t, clients, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    clients[0].queue_drops = 0;
    assert_int_equal(a.missed, 7);
    assert_int_equal(a.sender_queue, 2); /* 300, at B and C */
    assert_int_equal(a.relay_queue, 1);  /* 302 at B */
    assert_int_equal(a.unexplained, 4);  /* 301 and 303, at B and C */
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_NONE], 2);
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_UP_FWD], 2);
    audit_log_free(log);
    audit_track_free(t);
}

/* ENet's receiver discards an unsequenced command whose group is older than
 * its window of 1024 groups: replayed from the forwards netsim logged, in
 * their order, per flow. */
static void enet_unsequenced_window(void **unused)
{
    (void)unused;
    static const char text[] =
        "1 fwd up 127.0.0.1:5001 0 200 unsequenced 0 0 1\n"
        "2 fwd up 127.0.0.1:5001 0 201 unsequenced 0 0 2\n"
        "3 fwd up 127.0.0.1:5001 0 203 unsequenced 0 0 4\n"
        "3 fwd up 127.0.0.1:5001 0 202 unsequenced 0 0 3\n" /* same window: kept */
        "4 fwd up 127.0.0.1:5001 0 204 unsequenced 0 0 5\n"
        "10 fwd down 127.0.0.1:5003 1 200 unsequenced 0 0 1020\n"
        "11 fwd down 127.0.0.1:5003 1 201 unsequenced 0 0 1021\n"
        "12 fwd down 127.0.0.1:5003 1 203 unsequenced 0 0 1025\n" /* the next window */
        "13 fwd down 127.0.0.1:5003 1 202 unsequenced 0 0 1022\n" /* now too old */
        "14 fwd down 127.0.0.1:5003 1 204 unsequenced 0 0 1026\n"
        "14 fwd down 127.0.0.1:5003 1 204 unsequenced 0 0 1026\n"; /* a duplicate */
    struct audit_track *t = audit_track_new(3, 3, 8);
    for (uint32_t seq = 200; seq < 205; seq++) {
        audit_track_sent(t, 0, seq);
        audit_track_got(t, 1, 0, seq, AUDIT_GOT);
        if (seq != 202)
            audit_track_got(t, 2, 0, seq, AUDIT_GOT);
    }
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, clients, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    assert_int_equal(a.missed, 1);
    assert_int_equal(a.enet_window, 1);
    assert_int_equal(a.unexplained, 0);
    audit_log_free(log);
    audit_track_free(t);
}

/* ENet's window is ENet's: a WebRTC flow has no ENet peer, and netsim's
 * DTLS reader logs each message of its unsequenced channel with group 0.
 * Replaying ENet's window over those would call every forward after the
 * first a duplicate and explain away a state netsim did deliver. */
static void no_enet_window_without_a_peer(void **unused)
{
    (void)unused;
    const struct audit_client rtc[2] = {
        {.id = 4, .up = flow(4100, -1), .down = flow(4100, -1)},
        {.id = 5, .up = flow(4101, -1), .down = flow(4101, -1), .socket_owner = 1},
    };
    static const char text[] = "1 fwd up 127.0.0.1:4100 0 300 unsequenced 0 - 0\n"
                               "2 fwd up 127.0.0.1:4100 0 301 unsequenced 0 - 0\n"
                               "3 fwd down 127.0.0.1:4101 4 300 unsequenced 0 - 0\n"
                               "4 fwd down 127.0.0.1:4101 4 301 unsequenced 0 - 0\n";
    struct audit_track *t = audit_track_new(2, 2, 4);
    audit_track_sent(t, 0, 300);
    audit_track_sent(t, 0, 301);
    audit_track_got(t, 1, 0, 300, AUDIT_GOT);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, rtc, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    assert_int_equal(a.missed, 1);
    assert_int_equal(a.enet_window, 0);
    assert_int_equal(a.unexplained, 1); /* delivered by netsim, never read */
    assert_int_equal(a.items[0].seq, 301);
    assert_int_equal(a.items[0].where, AUDIT_WHERE_DOWN_FWD);
    audit_log_free(log);
    audit_track_free(t);
}

/* Late: a state that arrived after the bench stopped counting, or that
 * netsim still held when it stopped (logged as exit on either hop). */
static void late_and_exit(void **unused)
{
    (void)unused;
    static const char text[] =
        "1 fwd up 127.0.0.1:5001 0 300 unsequenced 0 0 1\n"
        "2 fwd up 127.0.0.1:5001 0 301 unsequenced 0 0 2\n"
        "3 exit down 127.0.0.1:5003 1 301 unsequenced 0 0 2\n"
        "4 exit up 127.0.0.1:5001 0 302 unsequenced 0 0 3\n";
    struct audit_track *t = audit_track_new(3, 3, 8);
    for (uint32_t seq = 300; seq < 303; seq++) {
        audit_track_sent(t, 0, seq);
        audit_track_got(t, 1, 0, seq, AUDIT_GOT);
    }
    audit_track_got(t, 2, 0, 300, AUDIT_GOT_LATE);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, clients, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    assert_int_equal(a.missed, 3);
    assert_int_equal(a.late, 3);
    assert_int_equal(a.up + a.down + a.unexplained, 0);
    audit_log_free(log);
    audit_track_free(t);
}

/* A state netsim forwarded only with a bit flipped (--corrupt), on the
 * sender's uplink or the receiver's downlink, explains its miss; one that
 * also went through intact, or that was corrupted on another receiver's
 * link, does not. */
static void corrupted_on_the_way(void **unused)
{
    (void)unused;
    static const char text[] =
        "1 corrupt up 127.0.0.1:5001 0 400 unsequenced 0 0 1\n"     /* to both: up */
        "2 fwd up 127.0.0.1:5001 0 401 unsequenced 0 0 2\n"
        "3 corrupt down 127.0.0.1:5003 1 401 unsequenced 0 0 2\n"   /* C's downlink */
        "4 fwd up 127.0.0.1:5001 0 402 unsequenced 0 0 3\n"
        "5 corrupt down 127.0.0.1:5001 1 402 unsequenced 0 1 3\n"   /* B's, not C's */
        "6 fwd down 127.0.0.1:5003 1 402 unsequenced 0 0 3\n";
    struct audit_track *t = audit_track_new(3, 3, 8);
    for (uint32_t seq = 400; seq < 403; seq++)
        audit_track_sent(t, 0, seq);
    audit_track_got(t, 1, 0, 401, AUDIT_GOT);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, clients, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    /* missed: B 400 402, C 400 401 402 */
    assert_int_equal(a.missed, 5);
    assert_int_equal(a.corrupt, 4);  /* B 400, C 400, C 401, B 402 */
    assert_int_equal(a.overflow, 1); /* C 402 went through intact: its socket */
    assert_int_equal(a.up + a.down + a.unexplained, 0);
    audit_log_free(log);
    audit_track_free(t);
}

/* Two receivers on one socket (an ENet hub) share its drop count: one
 * datagram dropped explains one state, not one per client. */
static void shared_socket_drops(void **unused)
{
    (void)unused;
    struct audit_client hub[3] = {
        {.id = 1, .up = flow(5001, 0), .down = flow(5001, 0)},
        {.id = 2, .up = flow(6000, 1), .down = flow(6000, 0), .socket_drops = 1,
         .socket_owner = 1},
        {.id = 3, .up = flow(6000, 2), .down = flow(6000, 1), .socket_drops = 1,
         .socket_owner = 1},
    };
    static const char text[] = "1 fwd up 127.0.0.1:5001 0 9 unsequenced 0 0 1\n"
                               "2 fwd down 127.0.0.1:6000 1 9 unsequenced 0 0 1\n"
                               "2 fwd down 127.0.0.1:6000 1 9 unsequenced 0 1 1\n";
    struct audit_track *t = audit_track_new(3, 3, 4);
    audit_track_sent(t, 0, 9);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, hub, log, PROTO_MODE_UNSEQUENCED, 1000, &a);
    assert_int_equal(a.missed, 2);
    assert_int_equal(a.socket_drops, 1); /* the socket's, once */
    assert_int_equal(a.overflow, 1);
    assert_int_equal(a.unexplained, 1);
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_DOWN_FWD], 1);
    audit_log_free(log);
    audit_track_free(t);
}

/* A udp batch (or an ENet datagram) the receiver's full socket dropped
 * explains every state netsim forwarded in it: one socket drop, three
 * states; a later datagram is not explained by it. */
static void socket_drop_of_a_batch(void **unused)
{
    (void)unused;
    const struct audit_client udp[2] = {
        {.id = 7, .up = flow(4000, -1), .down = flow(4000, -1)},
        {.id = 8, .up = flow(4001, -1), .down = flow(4001, -1), .socket_drops = 1,
         .socket_owner = 1},
    };
    static const char text[] = "1 fwd up 127.0.0.1:4000 0 1 plain 0 - -\n"
                               "1 fwd up 127.0.0.1:4000 0 2 plain 0 - -\n"
                               "1 fwd up 127.0.0.1:4000 0 3 plain 0 - -\n"
                               "1 fwd up 127.0.0.1:4000 0 4 plain 0 - -\n"
                               "5 fwd down 127.0.0.1:4001 7 1 batched 0 - -\n"
                               "5 fwd down 127.0.0.1:4001 7 2 batched 0 - -\n"
                               "5 fwd down 127.0.0.1:4001 7 3 batched 0 - -\n"
                               "6 fwd down 127.0.0.1:4001 7 4 plain 0 - -\n";
    struct audit_track *t = audit_track_new(2, 2, 8);
    for (uint32_t seq = 1; seq <= 4; seq++)
        audit_track_sent(t, 0, seq);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, udp, log, PROTO_MODE_UDP, 1000, &a);
    assert_int_equal(a.missed, 4);
    assert_int_equal(a.overflow, 3);
    assert_int_equal(a.unexplained, 1);
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_DOWN_FWD], 1);
    audit_log_free(log);
    audit_track_free(t);
}

/* udp: no peer column ("-", or absent in logs older than it). */
static void udp_flows_and_bad_lines(void **unused)
{
    (void)unused;
    const struct audit_client udp[2] = {
        {.id = 7, .up = flow(4000, -1), .down = flow(4000, -1)},
        {.id = 8, .up = flow(4001, -1), .down = flow(4001, -1), .socket_owner = 1},
    };
    struct audit_track *t = audit_track_new(2, 2, 4);
    audit_track_sent(t, 0, 0);
    audit_track_sent(t, 0, 1);
    audit_track_sent(t, 1, 0);
    struct audit_log *log = read_log("1 loss up 127.0.0.1:4000 0 0 plain 0 -\n"
                                     "2 overflow down 127.0.0.1:4000 8 0 plain 0\n");
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, udp, log, PROTO_MODE_UDP, 1000, &a);
    assert_int_equal(a.missed, 3);
    assert_int_equal(a.up, 1);
    assert_int_equal(a.down, 1);
    assert_int_equal(a.unexplained, 1); /* 7's seq 1 */
    assert_int_equal(a.items[0].seq, 1);
    assert_int_equal(a.items[0].where, AUDIT_WHERE_NONE);
    audit_log_free(log);
    audit_track_free(t);

    static const char *const bad[] = {"1 loss sideways 127.0.0.1:1 0 0 plain 0 -\n",
                                      "1 vanish up 127.0.0.1:1 0 0 plain 0 -\n",
                                      "1 loss up localhost:1 0 0 plain 0 -\n",
                                      "1 loss up [::1]:99999 0 0 plain 0 -\n",
                                      "1 loss up 127.0.0.1 0 0 plain 0 -\n",
                                      "1 loss up\n"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char text[128], err[160] = "";
        snprintf(text, sizeof text, "# header\n%s", bad[k]);
        FILE *f = fmemopen(text, strlen(text), "r");
        assert_null(audit_log_read(f, err, sizeof err));
        fclose(f);
        assert_non_null(strstr(err, "line 2"));
    }
}

/* The kernel's own count of datagrams a full receive buffer dropped, read
 * back by socket: what arrived plus what it dropped is what was sent. */
static void kernel_socket_drops_read_back(void **unused)
{
    (void)unused;
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int tx = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(rx >= 0 && tx >= 0);
    int small = 1; /* the kernel rounds it up to its minimum: a few datagrams */
    assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(rx, (struct sockaddr *)&a, &len), 0);
    char buf[1000] = {0};
    for (int i = 0; i < 200; i++)
        assert_int_equal(sendto(tx, buf, sizeof buf, 0, (struct sockaddr *)&a, sizeof a),
                         (ssize_t)sizeof buf);
    int fds[3] = {rx, rx, tx}; /* two clients of one hub, and another */
    uint64_t drops[3] = {7, 7, 7};
    size_t owner[3];
    assert_int_equal(audit_socket_drops(fds, 3, drops, owner), 0);
    assert_int_equal(owner[0], 0);
    assert_int_equal(owner[1], 0);
    assert_int_equal(owner[2], 2);
    assert_int_equal(drops[1], drops[0]);
    int got = 0;
    while (recv(rx, buf, sizeof buf, 0) > 0)
        got++;
    print_message("200 sent: %d received, %llu dropped by the kernel\n", got,
                  (unsigned long long)drops[0]);
    assert_true(drops[0] > 0);
    assert_int_equal((uint64_t)got + drops[0], 200);
    assert_int_equal(drops[2], 0); /* found, nothing dropped */
    /* a process's sockets, found through its /proc/PID/fd: ours hold rx */
    uint64_t mine = 0;
    assert_int_equal(audit_process_socket_drops(getpid(), &mine), 0);
    assert_true(mine >= drops[0]);
    assert_int_equal(audit_process_socket_drops(0x7ffffff0, &mine), -1); /* no such process */
    close(rx);
    close(tx);
}


/* ---- ordered flows: a stream, ENet's reliable channel ---- */

/* Two clients on TCP streams through IP mode: A (id 1) sends, B (id 2)
 * receives; their flows have no ENet peer id. */
static void tcp_clients(struct audit_client *c)
{
    c[0] = (struct audit_client){.id = 1, .up = flow(6001, -1), .down = flow(6001, -1)};
    c[1] = (struct audit_client){.id = 2, .up = flow(6002, -1), .down = flow(6002, -1),
                                 .socket_owner = 1};
    char err[128];
    for (int i = 0; i < 2; i++) { /* IP mode's client side */
        assert_int_equal(netaddr_resolve("198.18.0.1", (uint16_t)(6001 + i), &c[i].up.ep, err,
                                         sizeof err), 0);
        c[i].down.ep = c[i].up.ep;
    }
}

/* A's stream loses the segment of its seq 10: 10 waits for the
 * retransmission, and so does 11 behind it (head of line), although 11
 * crossed at once; 12 does not. On B's stream the segment of 12 is lost:
 * 12 waits for its own retransmission. Every wait is attributed to its
 * dropped segment. */
static const char stream_log[] =
    "1 fwd up 198.18.0.1:6001 - - segment 0 1000:1001 S\n"
    "1 fwd down 198.18.0.1:6002 - - segment 0 5000:5001 S.\n"
    "100 sent up 198.18.0.1:6001 0 10 stream 0 1001:1043 -\n"
    "100 loss up 198.18.0.1:6001 - - segment 0 1001:1043 P.\n"
    "150 sent up 198.18.0.1:6001 0 11 stream 0 1043:1085 -\n"
    "170 fwd up 198.18.0.1:6001 - - segment 20 1043:1085 P.\n"
    "420 fwd up 198.18.0.1:6001 - - segment 20 1001:1043 P.\n"
    "421 sent down 198.18.0.1:6002 1 10 stream 0 5001:5043 -\n"
    "421 sent down 198.18.0.1:6002 1 11 stream 0 5043:5085 -\n"
    "441 fwd down 198.18.0.1:6002 - - segment 20 5001:5085 P.\n"
    "450 sent up 198.18.0.1:6001 0 12 stream 0 1085:1127 -\n"
    "470 fwd up 198.18.0.1:6001 - - segment 20 1085:1127 P.\n"
    "471 sent down 198.18.0.1:6002 1 12 stream 0 5085:5127 -\n"
    "471 loss down 198.18.0.1:6002 - - segment 0 5085:5127 P.\n"
    "700 fwd down 198.18.0.1:6002 - - segment 20 5085:5127 P.\n"
    /* another connection's leftovers on another endpoint: not the run's */
    "705 loss up 198.18.0.1:7000 - - segment 0 1:2 F.\n";

static struct audit_track *stream_track(uint32_t first, uint32_t n, const uint64_t *sent_at)
{
    struct audit_track *t = audit_track_new(2, 2, 16);
    assert_non_null(t);
    for (uint32_t k = 0; k < n; k++) {
        audit_track_sent(t, 0, first + k);
        audit_track_sent_at(t, 0, first + k, sent_at[k]);
    }
    return t;
}

static void stream_held_at_the_receiver(void **unused)
{
    (void)unused;
    struct audit_client c[2];
    tcp_clients(c);
    const uint64_t sent_at[] = {100, 150, 450};
    struct audit_track *t = stream_track(10, 3, sent_at);
    for (uint32_t seq = 10; seq < 13; seq++)
        audit_track_got(t, 1, 0, seq, AUDIT_GOT);
    audit_track_got(t, 1, 0, 11, AUDIT_SLOW); /* late, and held: explained */
    struct audit_log *log = read_log(stream_log);
    assert_int_equal(audit_log_states(log), 6);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, c, log, PROTO_MODE_TCP, 100000, &a);
    a.done = true;
    assert_int_equal(a.missed, 0);
    assert_int_equal(a.held, 3);
    assert_int_equal(a.held_up, 2);
    assert_int_equal(a.held_down, 1);
    assert_int_equal(a.held_unresolved + a.unattributed + a.late_unheld, 0);
    assert_int_equal(a.segment_drops, 3);
    assert_int_equal(a.listed, 0);
    assert_true(audit_clean(&a));
    audit_log_free(log);
    audit_track_free(t);
}

/* A's seq 20 is lost, and its TCP sends nothing new until the
 * retransmission is acknowledged: 21, written at 1.05 s, leaves at 1.29 s,
 * held at the sender by 20's drop; 22, written once that was over,
 * is not held. A delivery late for no drop is the host's (listed). */
static void stream_held_at_the_sender(void **unused)
{
    (void)unused;
    struct audit_client c[2];
    tcp_clients(c);
    static const char text[] =
        "1 fwd up 198.18.0.1:6001 - - segment 0 1000:1001 S\n"
        "1 fwd down 198.18.0.1:6002 - - segment 0 5000:5001 S.\n"
        "1000000 sent up 198.18.0.1:6001 0 20 stream 0 1001:1043 -\n"
        "1000000 loss up 198.18.0.1:6001 - - segment 0 1001:1043 P.\n"
        "1270000 fwd up 198.18.0.1:6001 - - segment 20000 1001:1043 P.\n"
        "1290000 sent up 198.18.0.1:6001 0 21 stream 0 1043:1085 -\n"
        "1310000 fwd up 198.18.0.1:6001 - - segment 20000 1043:1085 P.\n"
        "1400000 sent up 198.18.0.1:6001 0 22 stream 0 1085:1127 -\n"
        "1420000 fwd up 198.18.0.1:6001 - - segment 20000 1085:1127 P.\n"
        "1421000 sent down 198.18.0.1:6002 1 22 stream 0 5001:5043 -\n"
        "1441000 fwd down 198.18.0.1:6002 - - segment 20000 5001:5043 P.\n";
    const uint64_t sent_at[] = {1000000, 1050000, 1400000};
    struct audit_track *t = stream_track(20, 3, sent_at);
    for (uint32_t seq = 20; seq < 23; seq++)
        audit_track_got(t, 1, 0, seq, AUDIT_GOT);
    audit_track_got(t, 1, 0, 22, AUDIT_SLOW);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, c, log, PROTO_MODE_TCP, 100000, &a);
    a.done = true;
    assert_int_equal(a.held, 2); /* 20 by its own drop, 21 at the sender */
    assert_int_equal(a.held_up, 2);
    assert_int_equal(a.held_unresolved + a.unattributed, 0);
    assert_int_equal(a.late_unheld, 1);
    assert_int_equal(a.listed, 1);
    assert_int_equal(a.items[0].seq, 22);
    assert_int_equal(a.items[0].where, AUDIT_WHERE_SLOW);
    assert_true(audit_clean(&a)); /* the host's lateness is a note, not a failure */
    audit_log_free(log);
    audit_track_free(t);
}

/* What a stream cannot explain: a wait with no drop over its gap (a log
 * that misses a line), a wait never over in the log, a state complete in
 * the log that never arrived; a state still on its way at the end is late. */
static void stream_waits_unexplained(void **unused)
{
    (void)unused;
    struct audit_client c[2];
    tcp_clients(c);
    static const char text[] =
        "1 fwd up 198.18.0.1:6001 - - segment 0 1000:1001 S\n"
        "1 fwd down 198.18.0.1:6002 - - segment 0 5000:5001 S.\n"
        /* 30's bytes never logged before 31 crossed, then forwarded */
        "100 sent up 198.18.0.1:6001 0 30 stream 0 1001:1043 -\n"
        "150 sent up 198.18.0.1:6001 0 31 stream 0 1043:1085 -\n"
        "170 fwd up 198.18.0.1:6001 - - segment 20 1043:1085 P.\n"
        "300 fwd up 198.18.0.1:6001 - - segment 20 1001:1043 P.\n"
        "301 sent down 198.18.0.1:6002 1 30 stream 0 5001:5043 -\n"
        "301 sent down 198.18.0.1:6002 1 31 stream 0 5043:5085 -\n"
        "321 fwd down 198.18.0.1:6002 - - segment 20 5001:5085 P.\n"
        /* 32 complete on B's stream before the end, never got */
        "400 sent up 198.18.0.1:6001 0 32 stream 0 1085:1127 -\n"
        "420 fwd up 198.18.0.1:6001 - - segment 20 1085:1127 P.\n"
        "421 sent down 198.18.0.1:6002 1 32 stream 0 5085:5127 -\n"
        "441 fwd down 198.18.0.1:6002 - - segment 20 5085:5127 P.\n"
        /* 33 lost on B's stream and never sent again before netsim stopped */
        "500 sent up 198.18.0.1:6001 0 33 stream 0 1127:1169 -\n"
        "520 fwd up 198.18.0.1:6001 - - segment 20 1127:1169 P.\n"
        "521 sent down 198.18.0.1:6002 1 33 stream 0 5127:5169 -\n"
        "521 loss down 198.18.0.1:6002 - - segment 0 5127:5169 P.\n";
    const uint64_t sent_at[] = {100, 150, 400, 500};
    struct audit_track *t = stream_track(30, 4, sent_at);
    audit_track_got(t, 1, 0, 30, AUDIT_GOT);
    audit_track_got(t, 1, 0, 31, AUDIT_GOT);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, c, log, PROTO_MODE_TCP, 100000, &a);
    a.done = true;
    assert_int_equal(a.held, 2);
    assert_int_equal(a.unattributed, 2);
    assert_int_equal(a.missed, 2);
    assert_int_equal(a.late, 1);        /* 33: never complete */
    assert_int_equal(a.unexplained, 1); /* 32 */
    assert_int_equal(a.unexplained_where[AUDIT_WHERE_DOWN_FWD], 1);
    assert_false(audit_clean(&a));
    audit_log_free(log);
    audit_track_free(t);
}

/* ENet's reliable channel to B (shared socket 5001, B's own peer id 1):
 * A's 101 is lost and sent again; 102 crossed before that and waits for
 * it. A's uplink loses nothing. */
static void reliable_held_on_its_channel(void **unused)
{
    (void)unused;
    static const char text[] =
        "10 fwd up 127.0.0.1:5001 0 100 reliable 5 0\n"
        "15 fwd down 127.0.0.1:5001 1 100 reliable 5 1\n"
        "20 fwd up 127.0.0.1:5001 0 101 reliable 5 0\n"
        "21 loss down 127.0.0.1:5001 1 101 reliable 0 1\n"
        "30 fwd up 127.0.0.1:5001 0 102 reliable 5 0\n"
        "36 fwd down 127.0.0.1:5001 1 102 reliable 5 1\n"
        "36 fwd down 127.0.0.1:5003 1 102 reliable 5 0\n" /* C's channel: its own */
        "90 fwd down 127.0.0.1:5001 1 101 reliable 5 1\n";
    struct audit_track *t = audit_track_new(3, 3, 16);
    for (uint32_t seq = 100; seq < 103; seq++) {
        audit_track_sent(t, 0, seq);
        audit_track_got(t, 1, 0, seq, AUDIT_GOT);
    }
    audit_track_got(t, 2, 0, 102, AUDIT_GOT);
    struct audit_log *log = read_log(text);
    struct audit_result a;
    memset(&a, 0, sizeof a);
    audit_reconcile(t, clients, log, PROTO_MODE_RELIABLE, 1000, &a);
    a.done = true;
    assert_int_equal(a.held, 2); /* B's 101 and 102 */
    assert_int_equal(a.held_down, 2);
    assert_int_equal(a.held_up + a.held_unresolved + a.unattributed, 0);
    assert_int_equal(a.retransmitted, 1);
    audit_log_free(log);
    audit_track_free(t);
}

/* Lines of IP mode that do not read as segments or stream states. */
static void stream_bad_lines(void **unused)
{
    (void)unused;
    static const char *const bad[] = {"1 loss up 198.18.0.1:1 - - segment 0 12 P.\n",
                                      "1 loss up 198.18.0.1:1 - - segment 0 1:x P.\n",
                                      "1 sent up 198.18.0.1:1 - - segment 0 1:2 P.\n",
                                      "1 sent up 198.18.0.1:1 0 1 plain 0 1:2 -\n",
                                      "1 sent up 198.18.0.1:1 - - stream 0 1:2 -\n",
                                      "1 sent up 198.18.0.1:1 0 -1 stream 0 1:2 -\n"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char text[128], err[160] = "";
        snprintf(text, sizeof text, "# header\n%s", bad[k]);
        FILE *f = fmemopen(text, strlen(text), "r");
        assert_null(audit_log_read(f, err, sizeof err));
        fclose(f);
        assert_non_null(strstr(err, "line 2"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_miss_in_its_category),
        cmocka_unit_test(reliable_drops_matched),
        cmocka_unit_test(netsim_dropped_from_the_log),
        cmocka_unit_test(no_drop_at_the_relay),
        cmocka_unit_test(shed_by_the_relay),
        cmocka_unit_test(queue_drops_before_they_left),
        cmocka_unit_test(enet_unsequenced_window),
        cmocka_unit_test(no_enet_window_without_a_peer),
        cmocka_unit_test(late_and_exit),
        cmocka_unit_test(corrupted_on_the_way),
        cmocka_unit_test(shared_socket_drops),
        cmocka_unit_test(socket_drop_of_a_batch),
        cmocka_unit_test(udp_flows_and_bad_lines),
        cmocka_unit_test(kernel_socket_drops_read_back),
        cmocka_unit_test(stream_held_at_the_receiver),
        cmocka_unit_test(stream_held_at_the_sender),
        cmocka_unit_test(stream_waits_unexplained),
        cmocka_unit_test(reliable_held_on_its_channel),
        cmocka_unit_test(stream_bad_lines),
    };
    return cmocka_run_group_tests(tests, setup_clients, NULL);
}
