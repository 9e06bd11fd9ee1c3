/* bot_progress.h: ricochet-bot --interval S, like iperf3 -i: every S
 * seconds of sending, what the bots sent and received in that interval, as
 * one table row or (--json) one JSON record per line. */
#ifndef RICOCHET_BOT_PROGRESS_H
#define RICOCHET_BOT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Counters of all the bots of a process since they started sending; the
 * report prints how much each grew over the interval. */
struct bot_progress_totals {
    uint64_t sent;      /* states the bots sent */
    uint64_t received;  /* states of others they received */
    uint64_t expected;  /* of others' states, as far as sequence numbers tell */
    size_t connected;   /* bots still connected */
    size_t bots;        /* bots in this process */
};

struct bot_progress;

/* Reports every interval_s seconds (> 0) from start_us, rows or JSON lines
 * to out. Returns NULL on allocation failure. */
struct bot_progress *bot_progress_create(double interval_s, bool json, uint64_t start_us,
                                         FILE *out);
void bot_progress_destroy(struct bot_progress *p);

/* A state of another player arrived latency_us after it was sent. */
void bot_progress_latency(struct bot_progress *p, uint64_t latency_us);

/* When the current interval ends. */
uint64_t bot_progress_due(const struct bot_progress *p);

/* Reports the interval that ends at now_us (the end of a full interval,
 * or earlier for the last, partial one) with the totals at that time, and
 * starts the next. */
void bot_progress_report(struct bot_progress *p, uint64_t now_us,
                         const struct bot_progress_totals *t);

#endif
