/* recvstats.c: per-sender receive statistics (see recvstats.h).
 *
 * A bitmap of the last RECV_STATS_WINDOW sequence numbers, indexed by
 * seq % WINDOW (WINDOW divides 2^32, so the index survives wraparound),
 * tells a late arrival from a duplicate. Everything compares sequence
 * numbers relative to highest_seq, never absolutely, so it is wrap-safe. */
#include "recvstats.h"

#include <math.h>
#include <string.h>

_Static_assert((RECV_STATS_WINDOW & (RECV_STATS_WINDOW - 1)) == 0,
               "window is a power of two");

static int window_test(const struct recv_stats *s, uint32_t seq)
{
    uint32_t b = seq % RECV_STATS_WINDOW;
    return (int)((s->window[b / 64] >> (b % 64)) & 1);
}

static void window_set(struct recv_stats *s, uint32_t seq)
{
    uint32_t b = seq % RECV_STATS_WINDOW;
    s->window[b / 64] |= (uint64_t)1 << (b % 64);
}

static void window_clear(struct recv_stats *s, uint32_t seq)
{
    uint32_t b = seq % RECV_STATS_WINDOW;
    s->window[b / 64] &= ~((uint64_t)1 << (b % 64));
}

void recv_stats_reset(struct recv_stats *s)
{
    memset(s, 0, sizeof *s);
}

/* States recorded with a latency so far. */
static uint64_t timed(const struct recv_stats *s)
{
    return s->received - s->no_latency;
}

/* Latency, RFC 3550 jitter and the histogram, for a state just counted as
 * new (the first with a latency has no predecessor for the jitter). */
static void record_timing(struct recv_stats *s, uint64_t send_us,
                          uint64_t recv_us, struct histogram *h)
{
    int64_t transit = (int64_t)(recv_us - send_us);
    if (timed(s) > 1) {
        /* J += (|D| - J) / 16, D = difference of successive transits */
        /* In double: send_us comes off the wire, and a hostile sender's
         * extreme values must not overflow int64 arithmetic. */
        double d = fabs((double)transit - (double)s->last_transit_us);
        s->jitter_us += (d - s->jitter_us) / 16.0;
    }
    s->last_transit_us = transit;
    uint64_t lat = transit > 0 ? (uint64_t)transit : 0;
    if (lat > HISTOGRAM_MAX_VALUE) /* keeps latency_sum_us from wrapping */
        lat = HISTOGRAM_MAX_VALUE;
    s->latency_sum_us += lat;
    if (lat > s->latency_max_us)
        s->latency_max_us = lat;
    if (h)
        histogram_record(h, lat);
}

/* Counts seq: received, duplicate, reordered or out of the window.
 * Returns 1 for a new state, 0 otherwise. */
static int record_seq(struct recv_stats *s, uint32_t seq)
{
    if (!s->started) {
        s->started = true;
        s->first_seq = s->highest_seq = seq;
        s->span = 1;
        window_set(s, seq);
        s->received = 1;
        return 1;
    }
    int32_t ahead = (int32_t)(seq - s->highest_seq);
    if (ahead > 0) {
        /* forget the slots that now stand for the new sequence numbers */
        if ((uint32_t)ahead >= RECV_STATS_WINDOW) {
            memset(s->window, 0, sizeof s->window);
        } else {
            for (uint32_t q = s->highest_seq + 1; q != seq; q++)
                window_clear(s, q);
            window_clear(s, seq);
        }
        s->highest_seq = seq;
        s->span += (uint32_t)ahead;
    } else {
        uint32_t behind = (uint32_t)(-(int64_t)ahead);
        if (behind >= RECV_STATS_WINDOW) {
            s->out_of_window++;
            return 0;
        }
        if (window_test(s, seq)) {
            s->duplicates++;
            return 0;
        }
        /* a late state from before the first one we saw (the first arrived
         * out of order): the stream started earlier than we thought */
        if ((int32_t)(s->first_seq - seq) > 0) {
            s->span += (uint32_t)(s->first_seq - seq);
            s->first_seq = seq;
        }
        s->reordered++;
    }
    window_set(s, seq);
    s->received++;
    return 1;
}

int recv_stats_record(struct recv_stats *s, uint32_t seq, uint64_t send_us,
                      uint64_t recv_us, struct histogram *h)
{
    if (!record_seq(s, seq))
        return 0;
    record_timing(s, send_us, recv_us, h);
    return 1;
}

int recv_stats_record_untimed(struct recv_stats *s, uint32_t seq)
{
    if (!record_seq(s, seq))
        return 0;
    s->no_latency++;
    return 1;
}

double recv_stats_latency_mean(const struct recv_stats *s)
{
    return timed(s) ? (double)s->latency_sum_us / (double)timed(s) : 0;
}

uint64_t recv_stats_expected(const struct recv_stats *s)
{
    return s->span;
}

uint64_t recv_stats_lost(const struct recv_stats *s)
{
    uint64_t e = recv_stats_expected(s);
    return e > s->received ? e - s->received : 0;
}
