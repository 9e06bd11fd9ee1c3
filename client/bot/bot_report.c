/* bot_report.c: ricochet-bot's summary (see bot_report.h). */
#include "bot_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sys/netaddr.h"
#include "sys/textwidth.h"
#include "sys/version.h"

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

/* One bot's lines: what it sent, every sender it saw, its latency and
 * (--reflect) round trips. */
static void print_bot_human(const struct bot_options *o, struct bot *bots, size_t n,
                            const struct bot *b, const struct bot_totals *t)
{
    struct ricochet_distribution lat;
    ricochet_latency(b->c, &lat);
    printf("%s (id %u, %s, relay %s:%u%s): sent %llu, saw %zu other%s%s%s\n", b->name,
           (unsigned)b->id, proto_mode_name(b->mode), ricochet_relay_host(b->c),
           (unsigned)ricochet_relay_port(b->c), b->moves ? ", moved" : "",
           (unsigned long long)b->sent, b->n_seen, b->n_seen == 1 ? "" : "s",
           b->dead ? ", DISCONNECTED: " : "", b->dead ? b->dead_why : "");
    for (size_t j = 0; j < b->n_seen; j++) {
        const struct seen *s = &b->seen[j];
        struct pair_fig f = bot_pair_figures(bots, n, s);
        /* states that came before both clock offsets were known: no latency */
        char untimed[48] = "";
        if (s->stats.no_latency)
            snprintf(untimed, sizeof untimed, ", %llu before clock offsets",
                     (unsigned long long)s->stats.no_latency);
        const char *who = s->name[0] ? s->name : "?";
        size_t cols = text_cols(who) > 12 ? text_cols(who) : 12; /* padded, never cut */
        char name[4 * 12 + PROTO_NAME_MAX + 1];
        printf("  from %s id %-3u %-11s %6llu/%-6llu %6.2f%%  lost %llu dup %llu "
               "reord %llu old %llu  lat mean %.2f max %.2f ms (+-%.2f%s)  jitter %.3f ms%s%s\n",
               text_pad(name, sizeof name, who, cols), (unsigned)s->id, proto_mode_name(s->mode),
               (unsigned long long)f.received, (unsigned long long)f.expected,
               f.delivery, (unsigned long long)f.lost,
               (unsigned long long)s->stats.duplicates,
               (unsigned long long)s->stats.reordered,
               (unsigned long long)s->stats.too_old, s->stats.latency_mean_us / 1000.0,
               ms(s->stats.latency_max_us), ms(s->lat_bound_us), untimed,
               s->stats.jitter_us / 1000.0, s->left ? "  (left)" : "",
               s->session < b->session ? "  (before a rejoin)" : "");
    }
    if (o->events > 0 || b->events_received || b->throttled) {
        char failed[64] = "";
        if (b->events_failed)
            snprintf(failed, sizeof failed, " (%llu more not sent: not joined)",
                     (unsigned long long)b->events_failed);
        printf("  events: sent %llu%s, received %llu; throttled %llu time%s\n",
               (unsigned long long)b->events_sent, failed,
               (unsigned long long)b->events_received, (unsigned long long)b->throttled,
               b->throttled == 1 ? "" : "s");
    }
    if (lat.count)
        printf("  latency of all received: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
               "(clock offsets: +-%.2f ms)\n",
               ms(lat.p50_us), ms(lat.p99_us), ms(lat.max_us), ms(t->lat_bound_max_us));
    if (o->reflect) {
        struct ricochet_distribution rtt;
        struct ricochet_stats rs;
        ricochet_rtt(b->c, &rtt, &rs);
        printf("  reflected: %llu of my %llu states back, rtt p50 %.2f ms, p99 %.2f ms\n",
               (unsigned long long)rs.received, (unsigned long long)b->sent, ms(rtt.p50_us),
               ms(rtt.p99_us));
    }
}

/* Who saw whom: % of each sender's states that each receiver got. */
static void print_who_saw_whom(struct bot *bots, size_t n)
{
    char cell[4 * 14 + 1]; /* a name in 8 or 14 columns, at most 4 bytes each */
    printf("\nwho saw whom (%% of the sender's states received):\n  %-14s", "receiver \\ from");
    for (size_t j = 0; j < n; j++)
        printf(" %s", text_pad(cell, sizeof cell, bots[j].name, 8));
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        printf("  %s", text_pad(cell, sizeof cell, bots[i].name, 14));
        for (size_t j = 0; j < n; j++) {
            const struct seen *s = NULL;
            for (size_t k = 0; k < bots[i].n_seen; k++)
                if (bots[j].id && bots[i].seen[k].id == bots[j].id &&
                    bots[i].seen[k].session == bots[i].session)
                    s = &bots[i].seen[k]; /* as they are now */
            if (i == j)
                printf(" %8s", "-");
            else if (!s)
                printf(" %8s", "never");
            else
                printf(" %7.1f%%", bot_pair_figures(bots, n, s).delivery);
        }
        printf("\n");
    }
}

/* The per-mode table. */
static void print_modes_human(const struct bot_totals *t)
{
    printf("\nper mode (each sender under the mode it joined with; latency by the mode each\n"
           "state arrived in; they differ only for players who switch modes):\n");
    printf("  %-12s %6s %9s %9s %9s %6s %6s %6s %6s %8s %8s\n", "mode", "pairs", "expected",
           "received", "delivery", "lost", "dup", "reord", "old", "p50 ms", "p99 ms");
    for (int m = 0; m < PROTO_MODE_COUNT; m++) {
        const struct mode_agg *a = &t->agg[m];
        if (!a->pairs)
            continue;
        printf("  %-12s %6llu %9llu %9llu %8.2f%% %6llu %6llu %6llu %6llu %8.2f %8.2f\n",
               proto_mode_name((enum proto_mode)m), (unsigned long long)a->pairs,
               (unsigned long long)a->expected, (unsigned long long)a->received,
               a->expected ? 100.0 * (double)a->received / (double)a->expected : 0.0,
               (unsigned long long)a->lost, (unsigned long long)a->duplicates,
               (unsigned long long)a->reordered, (unsigned long long)a->too_old,
               ms(histogram_percentile(a->lat, 50)),
               ms(histogram_percentile(a->lat, 99)));
    }
}

static void print_human(const struct bot_options *o, struct bot *bots, size_t n,
                        uint64_t seed, double elapsed_s, const struct bot_totals *t)
{
    printf("ricochet-bot: %zu bot%s in room %s at %.1f Hz for %.1f s, seed %llu, "
           "datagram %ld bytes\n\n",
           n, n == 1 ? "" : "s", o->room, o->rate, elapsed_s, (unsigned long long)seed,
           o->payload > PROTO_STATE_SIZE ? o->payload : (long)PROTO_STATE_SIZE);
    for (size_t i = 0; i < n; i++)
        print_bot_human(o, bots, n, &bots[i], t);
    if (n > 1 && n <= 12)
        print_who_saw_whom(bots, n);
    print_modes_human(t);
}

/* --json: what one bot saw of one sender. */
static cJSON *json_sender(struct bot *bots, size_t n, const struct seen *s)
{
    struct pair_fig f = bot_pair_figures(bots, n, s);
    cJSON *js = cJSON_CreateObject();
    cJSON_AddNumberToObject(js, "id", s->id);
    cJSON_AddNumberToObject(js, "session", s->session);
    cJSON_AddStringToObject(js, "name", s->name);
    cJSON_AddStringToObject(js, "mode", proto_mode_name(s->mode));
    cJSON_AddBoolToObject(js, "left", s->left);
    cJSON_AddNumberToObject(js, "received", (double)f.received);
    cJSON_AddNumberToObject(js, "expected", (double)f.expected);
    cJSON_AddNumberToObject(js, "delivery_pct", f.delivery);
    cJSON_AddNumberToObject(js, "lost", (double)f.lost);
    cJSON_AddNumberToObject(js, "duplicates", (double)s->stats.duplicates);
    cJSON_AddNumberToObject(js, "reordered", (double)s->stats.reordered);
    cJSON_AddNumberToObject(js, "too_old", (double)s->stats.too_old);
    cJSON_AddNumberToObject(js, "latency_bound_us", (double)s->lat_bound_us);
    cJSON_AddNumberToObject(js, "latency_mean_us", s->stats.latency_mean_us);
    cJSON_AddNumberToObject(js, "latency_max_us", (double)s->stats.latency_max_us);
    cJSON_AddNumberToObject(js, "jitter_us", s->stats.jitter_us);
    /* received before both clock offsets were known: in received, not in latency */
    cJSON_AddNumberToObject(js, "no_latency", (double)s->stats.no_latency);
    return js;
}

/* --json: one bot, and every sender it saw. */
static cJSON *json_bot(const struct bot_options *o, struct bot *bots, size_t n,
                       const struct bot *b)
{
    cJSON *jb = cJSON_CreateObject();
    cJSON_AddStringToObject(jb, "name", b->name);
    cJSON_AddNumberToObject(jb, "id", b->id);
    cJSON_AddStringToObject(jb, "mode", proto_mode_name(b->mode));
    cJSON_AddNumberToObject(jb, "sent", (double)b->sent);
    cJSON_AddBoolToObject(jb, "connected", !b->dead);
    if (b->dead)
        cJSON_AddStringToObject(jb, "error", b->dead_why);
    cJSON_AddNumberToObject(jb, "errors", (double)b->errors);
    cJSON_AddNumberToObject(jb, "events_sent", (double)b->events_sent);
    cJSON_AddNumberToObject(jb, "events_failed", (double)b->events_failed);
    cJSON_AddNumberToObject(jb, "events_received", (double)b->events_received);
    cJSON_AddNumberToObject(jb, "throttled", (double)b->throttled);
    char relay[NETADDR_STR_MAX];
    netaddr_host_port(ricochet_relay_host(b->c), ricochet_relay_port(b->c), relay,
                      sizeof relay);
    cJSON_AddStringToObject(jb, "relay", relay);
    cJSON_AddNumberToObject(jb, "moves", b->moves);
    struct ricochet_distribution lat, rtt;
    struct ricochet_stats rs;
    ricochet_latency(b->c, &lat);
    cJSON_AddNumberToObject(jb, "latency_p50_us", (double)lat.p50_us);
    cJSON_AddNumberToObject(jb, "latency_p99_us", (double)lat.p99_us);
    cJSON_AddNumberToObject(jb, "latency_max_us", (double)lat.max_us);
    if (o->reflect) {
        ricochet_rtt(b->c, &rtt, &rs);
        cJSON_AddNumberToObject(jb, "reflected", (double)rs.received);
        cJSON_AddNumberToObject(jb, "rtt_p50_us", (double)rtt.p50_us);
        cJSON_AddNumberToObject(jb, "rtt_p99_us", (double)rtt.p99_us);
    }
    struct client_netinfo ni;
    client_netinfo(b->c, &ni);
    cJSON_AddNumberToObject(jb, "bytes_sent", (double)ni.bytes_sent);
    cJSON_AddNumberToObject(jb, "bytes_received", (double)ni.bytes_received);
    cJSON_AddNumberToObject(jb, "enet_rtt_ms", ni.enet_rtt_ms);
    cJSON *from = cJSON_AddArrayToObject(jb, "from");
    for (size_t j = 0; j < b->n_seen; j++)
        cJSON_AddItemToArray(from, json_sender(bots, n, &b->seen[j]));
    return jb;
}

/* --json: one mode's totals. */
static cJSON *json_mode(int m, const struct mode_agg *a, const struct bot_totals *t)
{
    cJSON *jm = cJSON_CreateObject();
    cJSON_AddStringToObject(jm, "mode", proto_mode_name((enum proto_mode)m));
    cJSON_AddNumberToObject(jm, "pairs", (double)a->pairs);
    cJSON_AddNumberToObject(jm, "expected", (double)a->expected);
    cJSON_AddNumberToObject(jm, "received", (double)a->received);
    cJSON_AddNumberToObject(jm, "delivery_pct",
                            a->expected ? 100.0 * (double)a->received / (double)a->expected
                                        : 0.0);
    cJSON_AddNumberToObject(jm, "lost", (double)a->lost);
    cJSON_AddNumberToObject(jm, "duplicates", (double)a->duplicates);
    cJSON_AddNumberToObject(jm, "reordered", (double)a->reordered);
    cJSON_AddNumberToObject(jm, "too_old", (double)a->too_old);
    cJSON_AddNumberToObject(jm, "latency_p50_us", (double)histogram_percentile(a->lat, 50));
    cJSON_AddNumberToObject(jm, "latency_p99_us", (double)histogram_percentile(a->lat, 99));
    cJSON_AddNumberToObject(jm, "latency_max_us", (double)a->lat->max);
    cJSON_AddNumberToObject(jm, "latency_bound_us", (double)t->lat_bound_max_us);
    return jm;
}

static void print_json(const struct bot_options *o, struct bot *bots, size_t n,
                       uint64_t seed, double elapsed_s, const struct bot_totals *t)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "type", "bot_summary");
    cJSON_AddStringToObject(root, "version", version_ricochet());
    cJSON_AddStringToObject(root, "enet_version", version_enet());
    cJSON_AddStringToObject(root, "room", o->room);
    cJSON_AddNumberToObject(root, "seed", (double)seed);
    cJSON_AddNumberToObject(root, "rate_hz", o->rate);
    cJSON_AddNumberToObject(root, "duration_s", elapsed_s);
    cJSON_AddNumberToObject(root, "count", (double)n);
    cJSON_AddNumberToObject(root, "datagram_bytes",
                            o->payload > PROTO_STATE_SIZE ? o->payload : PROTO_STATE_SIZE);
    cJSON *arr = cJSON_AddArrayToObject(root, "bots");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, json_bot(o, bots, n, &bots[i]));
    cJSON *modes = cJSON_AddArrayToObject(root, "modes");
    for (int m = 0; m < PROTO_MODE_COUNT; m++) {
        const struct mode_agg *a = &t->agg[m];
        if (!a->pairs)
            continue;
        cJSON_AddItemToArray(modes, json_mode(m, a, t));
    }
    char *text = cJSON_PrintUnformatted(root);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(root);
}

/* A first run often starts one bot alone: an empty table is then no
 * failure, but it needs a word on what to do (stderr: --json stays one
 * object). */
static void hint_if_alone(const struct bot_options *o, const struct bot *bots, size_t n)
{
    if (o->reflect)
        return;
    for (size_t i = 0; i < n; i++)
        if (bots[i].n_seen > 0 || bots[i].dead)
            return;
    fprintf(stderr, "ricochet-bot: nobody else was in room %s: run --count 2 or more, start "
            "another bot or a ricochet-client in that room, or pass --reflect to get your "
            "own states back\n", o->room);
}

/* Prints the summary (human or --json) and one error line if bots lost
 * their connection. Returns the exit status: 0, or 1 if any did. */
int bot_report(struct bot_run *sw)
{
    struct bot *bots = sw->bots;
    size_t n = sw->n;
    /* The member tables outlive a lost connection: refresh everyone. */
    for (size_t i = 0; i < n; i++)
        bot_seen_refresh(&bots[i]);
    bot_aggregate(bots, n, &sw->totals);
    double elapsed_s = (double)(sw->sent_end_us - sw->start_us) / 1e6;
    if (sw->o->json)
        print_json(sw->o, bots, n, sw->seed, elapsed_s, &sw->totals);
    else
        print_human(sw->o, bots, n, sw->seed, elapsed_s, &sw->totals);
    fflush(stdout);
    hint_if_alone(sw->o, bots, n);

    size_t lost = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (bots[i].dead && lost++ == 0)
            first = i;
    if (!lost)
        return 0;
    /* One line, however many bots. */
    char relay[NETADDR_STR_MAX + 256];
    fprintf(stderr, BOT_PROG ": error: %s lost its connection to %s: %s", bots[first].name,
            netaddr_host_port(sw->o->host, sw->o->port, relay, sizeof relay),
            bots[first].dead_why);
    if (lost > 1)
        fprintf(stderr, " (and %zu other bot%s)", lost - 1, lost == 2 ? "" : "s");
    fprintf(stderr, "\n");
    return 1;
}
