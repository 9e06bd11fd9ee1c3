/* test_live_lanes.c: the lesson's count of a lane's states (live_lanes.c): a
 * state on its way when its sender or the lane's receiver was disconnected,
 * and never come, is lost with that connection ("disconnected", within
 * lost_explained); the receiver's loss takes every sender's, a sender's only
 * its own; one that still comes is delivered; a lossless lane's state not
 * come within the grace while its receiver still gets states, or behind a
 * state netsim dropped that has not come, is late ("late", within
 * lost_explained); a stream's behind a segment netsim dropped, its copy not
 * come before the state was sent, is "behind_segment"; one netsim carried up
 * a grace before the window's end and never down, the relay kept
 * ("relay_kept"; both within lost_explained); one a QUIC sender dropped
 * before it left (congestion control held back its most: client_set_fate)
 * is lost at once, its sender's ("sender_dropped", within lost_explained);
 * any other state lost with no connection lost and no drop of netsim's
 * stays unexplained. A state its
 * sender handed over late (a loop held up: the swarm keeps the intended
 * times) has its grace from when it went, not from its intended time: not
 * lost before it could come, counted on its way ("pending") meanwhile */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lab/lesson/live_lanes.h"
#include "lab/lesson/live_snapshot.h"
#include "lab/netsim/droplog.h"
#include "stats/histogram.h"

#define STEP_US 50000u   /* a state every 50 ms */
#define GRACE_US 2000000u

static struct histogram lat; /* 420 KB: not on the stack */

/* A lane of the table by name, n senders, every one's seq from 1. */
static struct live_lane *lane_new(const char *name, size_t n)
{
    struct live_lane *l = calloc(1, sizeof *l);
    assert_non_null(l);
    for (int i = 0; (l->def = bench_lane(i)) != NULL; i++)
        if (strcmp(l->def->name, name) == 0)
            break;
    assert_non_null(l->def);
    l->n_senders = n;
    for (size_t k = 0; k < n; k++)
        l->seq0[k] = 1 + (uint32_t)k * LIVE_SEQ_APART;
    return l;
}

/* Every sender sends states 0 to count - 1, the i-th intended for
 * (i + 1) * STEP_US. */
static void send_all(struct live_lane *l, uint32_t count)
{
    struct ricochet_state s = {0};
    for (uint32_t i = 0; i < count; i++)
        for (size_t k = 0; k < l->n_senders; k++)
            live_lane_sent(l, (int)k, l->seq0[k] + i, (i + 1) * STEP_US, &s, (i + 1) * STEP_US);
}

static void got(struct live_lane *l, int k, uint32_t i, uint64_t at_us)
{
    struct ricochet_event ev = {.type = RICOCHET_EV_STATE, .recv_us = at_us};
    ev.state.seq = l->seq0[k] + i;
    live_lane_got(l, k, &ev, false, 0);
}

static struct live_figures figures(struct live_lane *l, uint64_t now_us)
{
    struct live_figures f;
    live_lane_settle(l, GRACE_US, now_us);
    live_lane_figures(l, 0, now_us, &lat, &f);
    return f;
}

/* The receiver disconnected with 10 of 20 states on their way: they are
 * lost with it, explained. */
static void receiver_lost_takes_its_states(void **state)
{
    (void)state;
    struct live_lane *l = lane_new("reliable", 1);
    send_all(l, 20);
    for (uint32_t i = 0; i < 10; i++)
        got(l, 0, i, (i + 1) * STEP_US + 30000);
    live_lane_cut(l, 1, 21 * STEP_US);
    struct live_figures f = figures(l, 21 * STEP_US + GRACE_US + 1);
    assert_int_equal(f.expected, 20);
    assert_int_equal(f.delivered, 10);
    assert_int_equal(f.disconnected, 10);
    assert_int_equal(f.lost_explained, 10);
    free(l);
}

/* One sender of four disconnected: its states on their way are explained,
 * one that the relay still forwards is delivered, the other senders'
 * lost states are not the connection's. */
static void sender_lost_takes_only_its_own(void **state)
{
    (void)state;
    struct live_lane *l = lane_new("tcp", LIVE_SENDERS);
    send_all(l, 10);
    for (uint32_t i = 0; i < 5; i++)
        for (int k = 0; k < LIVE_SENDERS; k++)
            got(l, k, i, (i + 1) * STEP_US + 30000);
    live_lane_cut(l, 2, 11 * STEP_US);
    got(l, 2, 5, 11 * STEP_US + 1000); /* the relay had it: it still comes */
    struct live_figures f = figures(l, 11 * STEP_US + GRACE_US + 1);
    assert_int_equal(f.expected, 40);
    assert_int_equal(f.delivered, 21);
    assert_int_equal(f.disconnected, 4);   /* sender 2's 6 to 9 */
    assert_int_equal(f.lost_explained, 4); /* the others' 15: no one's */
    free(l);
}

/* States sent after the cut are not the connection's: a lane sends none
 * until it runs again, and a reset forgets every mark. */
static void reset_forgets_the_cut(void **state)
{
    (void)state;
    struct live_lane *l = lane_new("udp", 1);
    send_all(l, 4);
    live_lane_cut(l, 1, 5 * STEP_US);
    live_lane_reset(l);
    l->seq0[0] = 1;
    send_all(l, 4);
    struct live_figures f = figures(l, 5 * STEP_US + GRACE_US + 1);
    assert_int_equal(f.expected, 4);
    assert_int_equal(f.delivered, 0);
    assert_int_equal(f.disconnected, 0);
    assert_int_equal(f.lost_explained, 0);
    free(l);
}

/* Not come within the grace, no drop, no connection lost: a lossless
 * lane's whose receiver still gets states is late, on its way; a lossy
 * lane's, or one of a lane that stopped getting any, is no one's. */
static void late_only_while_a_lossless_lane_moves(void **state)
{
    (void)state;
    const char *names[] = {"tcp", "udp", "tcp"};
    const uint64_t late[] = {4, 0, 0}, now = 30 * STEP_US + GRACE_US;
    for (int c = 0; c < 3; c++) {
        struct live_lane *l = lane_new(names[c], 1);
        send_all(l, 30);
        for (uint32_t i = 0; i < 10; i++) /* 10 to 13 in the window, late */
            got(l, 0, i, (i + 1) * STEP_US + 30000);
        if (c != 2)
            got(l, 0, 15, now - 1000); /* the lane moves */
        struct live_figures f;
        live_lane_settle(l, GRACE_US, now);
        live_lane_figures(l, 0, 15 * STEP_US, &lat, &f);
        assert_int_equal(f.expected, 14);
        assert_int_equal(f.late, late[c]);
        assert_int_equal(f.lost_explained, late[c]);
        free(l);
    }
}

/* A lossless lane that gets nothing but waits behind a state netsim
 * dropped (its retransmission not come): the states behind it are late. */
static void behind_a_drop_is_late(void **state)
{
    (void)state;
    struct live_lane *l = lane_new("reliable", 1);
    send_all(l, 30);
    for (uint32_t i = 0; i < 10; i++)
        got(l, 0, i, (i + 1) * STEP_US + 30000);
    live_lane_mark(l, 0, l->seq0[0] + 11)->hop[0].drop = 1; /* lost on the uplink */
    struct live_figures f;
    live_lane_settle(l, GRACE_US, 30 * STEP_US + GRACE_US);
    live_lane_figures(l, 0, 15 * STEP_US, &lat, &f);
    assert_int_equal(f.expected, 14);
    assert_int_equal(f.netsim_dropped, 1);
    assert_int_equal(f.late, 2); /* 12 and 13; 10 came before it: no one's */
    assert_int_equal(f.lost_explained, 3);
    free(l);
}

/* A segment line of the lane's flow: dir, which sender's (up), the
 * sequence numbers it took, what netsim did. */
static void segment(struct live_lane *l, int dir, int who, uint32_t start, uint32_t end,
                    int event, uint64_t t_us)
{
    struct live_segment *g = &l->seg[l->seg_at];
    *g = (struct live_segment){.t_us = t_us, .start = start, .end = end, .dir = (uint8_t)dir,
                               .event = (uint8_t)event, .who = (uint8_t)who};
    l->seg_at = (l->seg_at + 1) % LIVE_SEGMENTS;
    l->seg_n += l->seg_n < LIVE_SEGMENTS;
}

/* A stream lane gets nothing more: state 10's frame went up in a segment
 * netsim dropped (its copy not come), 11 and 12 wait in the sender's
 * buffer (netsim read no frame of theirs): behind the segment. 13 and 14
 * went in a segment that crossed, but a segment was dropped before it
 * and sent again only after they were sent: behind it too. In the lane
 * where that segment came again before 13 was sent, 13 and 14 are no
 * one's. */
static void behind_a_dropped_segment(void **state)
{
    (void)state;
    const uint64_t expect[] = {5, 3};
    for (int c = 0; c < 2; c++) {
        struct live_lane *l = lane_new("tcp", 1);
        send_all(l, 30);
        for (uint32_t i = 0; i < 10; i++)
            got(l, 0, i, (i + 1) * STEP_US + 30000);
        for (uint32_t i = 10; i < 15; i++) { /* frames of 42 bytes from 1000 on */
            struct live_hop *h = &live_lane_mark(l, 0, l->seq0[0] + i)->hop[0];
            if (i == 11 || i == 12)
                continue;
            h->seen_us = (i + 1) * STEP_US + 1000;
            h->start = 1000 + 42 * (i - 10);
            h->end = h->start + 42;
            h->kind = 255;
        }
        segment(l, 0, 0, 1000, 1042, DROPLOG_QUEUE, 11 * STEP_US + 1000);  /* 10's */
        segment(l, 0, 0, 1042, 1126, DROPLOG_QUEUE, 12 * STEP_US + 1000);  /* 11's, 12's */
        segment(l, 0, 0, 1126, 1210, DROPLOG_FWD, 14 * STEP_US + 1000);    /* 13's, 14's */
        segment(l, 0, 0, 1042, 1126, DROPLOG_FWD, (c ? 13 : 40) * STEP_US); /* again */
        if (c) /* 10's copy came before 13 was sent, then was lost down */
            segment(l, 0, 0, 1000, 1042, DROPLOG_FWD, 13 * STEP_US);
        struct live_figures f;
        live_lane_settle(l, GRACE_US, 30 * STEP_US + GRACE_US);
        live_lane_figures(l, 0, 16 * STEP_US, &lat, &f);
        assert_int_equal(f.expected, 15);
        assert_int_equal(f.netsim_dropped, 0); /* states: netsim dropped segments */
        assert_int_equal(f.late, 0);
        assert_int_equal(f.behind_segment, expect[c]);
        assert_int_equal(f.lost_explained, expect[c]);
        free(l);
    }
}

/* States 10 to 13 crossed netsim up and never went down, the receiver
 * still connected: the relay kept 10 to 12, up more than a grace ago; 13
 * crossed half a grace ago (netsim behind on a busy machine), the relay's
 * line of it down may yet come: on its way, its grace from when it
 * crossed, not lost. On a lossy lane and a lossless one. */
static void kept_by_the_relay(void **state)
{
    (void)state;
    const char *names[] = {"udp", "reliable"};
    for (int c = 0; c < 2; c++) {
        struct live_lane *l = lane_new(names[c], 1);
        send_all(l, 30);
        for (uint32_t i = 0; i < 10; i++)
            got(l, 0, i, (i + 1) * STEP_US + 30000);
        for (uint32_t i = 10; i < 14; i++) {
            struct live_hop *h = &live_lane_mark(l, 0, l->seq0[0] + i)->hop[0];
            h->fwds = 1;
            h->seen_us = (i + 1) * STEP_US + 1000;
            h->fwd_us = i < 13 ? (i + 1) * STEP_US + 40000 : 30 * STEP_US + GRACE_US / 2;
        }
        struct live_figures f;
        live_lane_settle(l, GRACE_US, 30 * STEP_US + GRACE_US);
        live_lane_figures(l, 0, 15 * STEP_US, &lat, &f);
        assert_int_equal(f.expected, 14);
        assert_int_equal(f.late, 0);
        assert_int_equal(f.relay_kept, 3);
        assert_int_equal(f.pending, 1);
        assert_int_equal(f.lost_explained, 3);
        free(l);
    }
}

/* Four QUIC senders, sender 1's states 5 to 8 dropped by its client
 * before they left (netsim has no line of them): lost at once, not a grace
 * later, and explained as its sender's; the others' all came. */
static void dropped_by_its_sender(void **state)
{
    (void)state;
    struct live_lane *l = lane_new("quic", LIVE_SENDERS);
    send_all(l, 20);
    for (uint32_t i = 5; i < 9; i++)
        live_lane_unsent(l, 1, l->seq0[1] + i, 10 * STEP_US);
    live_lane_settle(l, GRACE_US, 10 * STEP_US);
    for (uint32_t i = 5; i < 9; i++)
        assert_int_equal(live_lane_mark(l, 1, l->seq0[1] + i)->status, LIVE_LOST);
    for (uint32_t i = 0; i < 20; i++)
        for (int k = 0; k < LIVE_SENDERS; k++)
            if (k != 1 || i < 5 || i >= 9)
                got(l, k, i, (i + 1) * STEP_US + 30000);
    struct live_figures f = figures(l, 21 * STEP_US + GRACE_US);
    assert_int_equal(f.expected, 80);
    assert_int_equal(f.delivered, 76);
    assert_int_equal(f.netsim_dropped, 0);
    assert_int_equal(f.sender_dropped, 4);
    assert_int_equal(f.lost_explained, 4);
    free(l);
}

/* A lossy lane's states sent 2.5 s after their intended times (the loop
 * was held up) are pending a grace after they went, not lost the moment
 * they go; once they come they are delivered, none unexplained. */
static void late_sends_have_their_grace(void **state)
{
    (void)state;
    struct live_lane *l = lane_new("unsequenced", 4);
    struct ricochet_state s = {0};
    uint64_t held = 2500000u;
    for (uint32_t i = 0; i < 20; i++)
        for (size_t k = 0; k < l->n_senders; k++)
            live_lane_sent(l, (int)k, l->seq0[k] + i, (i + 1) * STEP_US, &s,
                           (i + 1) * STEP_US + held);
    uint64_t now = 20 * STEP_US + held + 100000; /* the last went 100 ms ago */
    live_lane_settle(l, GRACE_US, now);
    for (uint32_t i = 0; i < 20; i++)
        for (size_t k = 0; k < l->n_senders; k++)
            assert_int_equal(live_lane_mark(l, (int)k, l->seq0[k] + i)->status, LIVE_PENDING);
    /* a window taken now counts them on their way, neither delivered nor lost */
    struct live_figures w;
    live_lane_figures(l, 0, now, &lat, &w);
    assert_int_equal(w.expected, 80);
    assert_int_equal(w.pending, 80);
    assert_int_equal(w.delivered + w.lost_explained, 0);
    for (uint32_t i = 0; i < 20; i++)
        for (size_t k = 0; k < l->n_senders; k++)
            got(l, (int)k, i, now + 40000);
    struct live_figures f = figures(l, now + GRACE_US + STEP_US * 30);
    assert_int_equal(f.expected, 80);
    assert_int_equal(f.delivered, 80);
    assert_int_equal(f.pending, 0);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(receiver_lost_takes_its_states),
        cmocka_unit_test(sender_lost_takes_only_its_own),
        cmocka_unit_test(reset_forgets_the_cut),
        cmocka_unit_test(late_only_while_a_lossless_lane_moves),
        cmocka_unit_test(behind_a_drop_is_late),
        cmocka_unit_test(behind_a_dropped_segment),
        cmocka_unit_test(kept_by_the_relay),
        cmocka_unit_test(late_sends_have_their_grace),
        cmocka_unit_test(dropped_by_its_sender),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
