/* recvstats.h: what a receiver learns from one sender's stream of states:
 * received, lost (sequence gaps), duplicates, out-of-order arrivals, one-way
 * latency and RFC 3550 interarrival jitter.
 *
 * Pure: the receive time is passed in. One-way latency needs sender and
 * receiver to share a clock (same host, CLOCK_MONOTONIC), or a send time
 * the caller corrected to the receiver's clock (clocksync.h); a state whose
 * latency the caller cannot know is recorded without one. */
#ifndef RICOCHET_RECVSTATS_H
#define RICOCHET_RECVSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "histogram.h"

#define RECV_STATS_WINDOW 1024 /* sequence numbers remembered for duplicates */

struct recv_stats {
    bool started;
    uint32_t first_seq;    /* first sequence number seen */
    uint32_t highest_seq;  /* highest (wrap-safe) sequence number seen */
    uint64_t span;         /* sequence numbers from the first to the highest,
                              counted in 64 bits so jumps cannot wrap it */
    uint64_t received;     /* unique states received */
    uint64_t duplicates;   /* same sequence number seen again */
    uint64_t reordered;    /* arrived after a higher sequence number */
    uint64_t out_of_window; /* older than the window: cannot tell, not counted as received */
    uint64_t too_old;      /* dropped by the client library (sequenced): not after the
                              newest state already delivered from this sender */
    uint64_t no_latency;   /* received without a usable latency (recv_stats_record_untimed):
                              in received, not in the latency figures or the jitter */
    double jitter_us;      /* RFC 3550 J, smoothed 1/16, over the states with a latency */
    int64_t last_transit_us;
    uint64_t latency_sum_us; /* for the mean (recv_stats_latency_mean) */
    uint64_t latency_max_us;
    uint64_t window[RECV_STATS_WINDOW / 64]; /* bit per recent sequence number */
};

void recv_stats_reset(struct recv_stats *s);

/* Records one state. recv_us and send_us are on the same clock; latency
 * below zero (clock mismatch) is recorded as 0. If h is not NULL the
 * one-way latency is also recorded there. Returns 1 for a new state, 0 for
 * a duplicate or one too old to judge. */
int recv_stats_record(struct recv_stats *s, uint32_t seq, uint64_t send_us,
                      uint64_t recv_us, struct histogram *h);

/* Records one state whose one-way latency is not known (e.g. the clocks'
 * offsets are not known yet): as recv_stats_record for received, loss,
 * duplicates and reordering, and counted in no_latency, but it leaves the
 * latency figures and the jitter alone. Returns as recv_stats_record. */
int recv_stats_record_untimed(struct recv_stats *s, uint32_t seq);

/* Mean one-way latency of the states recorded with one, µs (0: none). */
double recv_stats_latency_mean(const struct recv_stats *s);

/* States the sender has sent so far as far as we can tell:
 * highest - first + 1 (0 before the first state), never less than received. */
uint64_t recv_stats_expected(const struct recv_stats *s);

/* expected - received, never negative. */
uint64_t recv_stats_lost(const struct recv_stats *s);

#endif
