/* bot_progress.c: ricochet-bot's periodic reports (see bot_progress.h). */
#include "bot_progress.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "stats/histogram.h"
#include "sys/version.h"

struct bot_progress {
    uint64_t interval_us;
    bool json;
    FILE *out;
    uint64_t start_us;            /* when sending started */
    uint64_t from_us;             /* start of the current interval */
    struct bot_progress_totals prev; /* totals at from_us */
    struct histogram latency;     /* states received in the current interval */
    bool header_done;
};

struct bot_progress *bot_progress_create(double interval_s, bool json, uint64_t start_us,
                                         FILE *out)
{
    struct bot_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->interval_us = (uint64_t)(interval_s * 1e6);
    p->json = json;
    p->out = out;
    p->start_us = p->from_us = start_us;
    histogram_reset(&p->latency);
    return p;
}

void bot_progress_destroy(struct bot_progress *p)
{
    free(p);
}

void bot_progress_latency(struct bot_progress *p, uint64_t latency_us)
{
    histogram_record(&p->latency, latency_us);
}

uint64_t bot_progress_due(const struct bot_progress *p)
{
    return p->from_us + p->interval_us;
}

/* What grew over an interval. A member leaving takes nothing away (the bot
 * keeps its counters), but clamp anyway: a row must never go negative. */
static uint64_t grew(uint64_t now, uint64_t before)
{
    return now > before ? now - before : 0;
}

static void print_json(struct bot_progress *p, double from_s, double to_s,
                       const struct bot_progress_totals *t, uint64_t received, uint64_t expected)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "bot_interval");
    cJSON_AddStringToObject(o, "version", version_ricochet());
    cJSON_AddStringToObject(o, "enet_version", version_enet());
    cJSON_AddNumberToObject(o, "start_s", from_s);
    cJSON_AddNumberToObject(o, "end_s", to_s);
    cJSON_AddNumberToObject(o, "sent", (double)grew(t->sent, p->prev.sent));
    cJSON_AddNumberToObject(o, "received", (double)received);
    cJSON_AddNumberToObject(o, "expected", (double)expected);
    cJSON_AddNumberToObject(o, "lost", (double)grew(expected, received));
    cJSON_AddNumberToObject(o, "delivery_pct",
                            expected ? 100.0 * (double)received / (double)expected : 100.0);
    cJSON_AddNumberToObject(o, "latency_p50_us", (double)histogram_percentile(&p->latency, 50));
    cJSON_AddNumberToObject(o, "latency_p99_us", (double)histogram_percentile(&p->latency, 99));
    cJSON_AddNumberToObject(o, "latency_max_us", (double)p->latency.max);
    cJSON_AddNumberToObject(o, "connected", (double)t->connected);
    cJSON_AddNumberToObject(o, "bots", (double)t->bots);
    char *text = cJSON_PrintUnformatted(o);
    if (text)
        fprintf(p->out, "%s\n", text);
    free(text);
    cJSON_Delete(o);
}

static void print_row(struct bot_progress *p, double from_s, double to_s,
                      const struct bot_progress_totals *t, uint64_t received, uint64_t expected)
{
    if (!p->header_done)
        fprintf(p->out, "%-15s %8s %9s %9s %9s %6s %8s %8s %7s\n", "interval s", "sent",
                "received", "expected", "delivery", "lost", "p50 ms", "p99 ms", "bots");
    p->header_done = true;
    char span[32], bots[32];
    snprintf(span, sizeof span, "%.1f-%.1f", from_s, to_s);
    snprintf(bots, sizeof bots, "%zu/%zu", t->connected, t->bots);
    fprintf(p->out, "%-15s %8llu %9llu %9llu %8.2f%% %6llu %8.2f %8.2f %7s\n", span,
            (unsigned long long)grew(t->sent, p->prev.sent), (unsigned long long)received,
            (unsigned long long)expected,
            expected ? 100.0 * (double)received / (double)expected : 100.0,
            (unsigned long long)grew(expected, received),
            (double)histogram_percentile(&p->latency, 50) / 1000.0,
            (double)histogram_percentile(&p->latency, 99) / 1000.0, bots);
}

void bot_progress_report(struct bot_progress *p, uint64_t now_us,
                         const struct bot_progress_totals *t)
{
    /* Rows on the grid start + k * interval: the loop notices a due row up
     * to a few ms late, which must not drift the grid. */
    uint64_t due = bot_progress_due(p);
    if (now_us >= due && now_us < due + p->interval_us)
        now_us = due;
    double from_s = (double)(p->from_us - p->start_us) / 1e6;
    double to_s = (double)(now_us - p->start_us) / 1e6;
    uint64_t received = grew(t->received, p->prev.received);
    uint64_t expected = grew(t->expected, p->prev.expected);
    if (expected < received) /* a late state filled a gap of an earlier interval */
        expected = received;
    if (p->json)
        print_json(p, from_s, to_s, t, received, expected);
    else
        print_row(p, from_s, to_s, t, received, expected);
    fflush(p->out);
    p->prev = *t;
    p->from_us = now_us;
    histogram_reset(&p->latency);
}
