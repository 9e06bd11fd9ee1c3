/* bot_main.c: ricochet-bot, headless players.
 *
 * Runs --count bots in one process through the swarm driver (swarm.h),
 * each its own client (own ENet peer or own UDP socket), all waited on
 * with one ppoll(2). Each bot moves along a
 * Lissajous curve drawn from --seed and sends its state at --rate Hz. Send
 * times are the *intended* times start + k/rate, so a stalled loop shows up
 * as latency instead of hiding it (coordinated omission). At the end: who
 * saw whom, delivery, loss, duplicates, reordering, latency and jitter, per
 * bot and per mode; --json for one machine-readable object. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../proto/clock.h"
#include "../proto/histogram.h"
#include "../proto/log.h"
#include "../proto/netaddr.h"
#include "../proto/options.h"
#include "../proto/rng.h"
#include "../proto/signals.h"
#include "../proto/version.h"
#include "bot_progress.h"
#include "client.h"
#include "swarm.h"

#define PROG "ricochet-bot"
#define DRAIN_US 500000 /* keep receiving after the last send */
#define SETTLE_US 200000 /* after everyone joined, before the first send */

struct bot_options {
    char host[256];
    long port;
    char room[PROTO_ROOM_MAX + 1];
    char name[20];
    int mode_choice; /* index into mode_choices; see bot_mode() */
    double rate;
    double duration;
    long count;
    long seed;
    long payload;
    bool reflect;
    bool json;
    double interval;
    int log_level;
    long timeout_ms;
};

/* --mode's choices: the mode table's names, then "mixed" (filled in main). */
static char mode_choices[256];

static const struct option_def bot_option_defs[] = {
    {"host", OPTION_STRING, offsetof(struct bot_options, host), "127.0.0.1", 1, 256, NULL,
     "relay address"},
    {"port", OPTION_INT, offsetof(struct bot_options, port), "7777", 1, 65535, NULL,
     "relay port"},
    {"room", OPTION_STRING, offsetof(struct bot_options, room), "lobby", 1,
     PROTO_ROOM_MAX + 1, NULL, "room to join"},
    {"name", OPTION_STRING, offsetof(struct bot_options, name), "bot", 1, 20, NULL,
     "name prefix; bots are called PREFIX-1, PREFIX-2, ..."},
    {"mode", OPTION_CHOICE, offsetof(struct bot_options, mode_choice), "unsequenced", 0, 0,
     mode_choices,
     "delivery mode; mixed = round-robin over the three ENet modes; udp needs "
     "a relay with --transport udp"},
    {"rate", OPTION_DOUBLE, offsetof(struct bot_options, rate), "30", 0.1, 1000, NULL,
     "states per second per bot"},
    {"duration", OPTION_DOUBLE, offsetof(struct bot_options, duration), "10", 0, 86400,
     NULL, "seconds of sending; 0 = until SIGINT"},
    {"count", OPTION_INT, offsetof(struct bot_options, count), "1", 1, 1000, NULL,
     "bots in this process (each its own connection)"},
    {"seed", OPTION_INT, offsetof(struct bot_options, seed), "0", 0, 2147483647, NULL,
     "seed of the paths; 0 = pick one from the clock (printed)"},
    {"payload", OPTION_INT, offsetof(struct bot_options, payload), "0", 0,
     PROTO_STATE_MAX, NULL, "pad each state datagram to this many bytes (0 = 40)"},
    {"reflect", OPTION_BOOL, offsetof(struct bot_options, reflect), "false", 0, 0, NULL,
     "ask the relay to send my states back (round-trip times)"},
    {"json", OPTION_BOOL, offsetof(struct bot_options, json), "false", 0, 0, NULL,
     "print the summary as one JSON object"},
    {"interval", OPTION_DOUBLE, offsetof(struct bot_options, interval), "0", 0, 86400, NULL,
     "every this many seconds of sending, a row of what was sent and received in it "
     "(--json: one JSON record per line, before the summary's); 0 = only the summary"},
    {"log-level", OPTION_CHOICE, offsetof(struct bot_options, log_level), "warn", 0, 0,
     "debug|info|warn|error|off", "stderr log threshold"},
    {"timeout-ms", OPTION_INT, offsetof(struct bot_options, timeout_ms), "5000", 100,
     600000, NULL, "connect + join deadline, and connection timeout"},
    {0}};

/* What a bot sent in one session: as id, sequence numbers [first_seq, end_seq). */
struct membership {
    uint32_t id;
    uint32_t first_seq, end_seq;
    uint64_t sent;
};

/* What a bot learned about one sender in one of its own sessions (welcomes:
 * after a udp rejoin, e.g. when the relay restarted, ids start again and id
 * 2 may be another bot, or the same bot with a fresh sequence). Snapshotted
 * when the sender leaves, read from the client's member table otherwise. */
struct seen {
    uint32_t id;
    uint32_t session;      /* the receiver's welcome it was seen under, from 1 */
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    bool left;
    struct recv_stats stats;
    uint64_t lat_bound_us; /* largest error bound of its states' latency (clock offsets) */
};

struct bot {
    struct client *c;
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    uint32_t id;
    bool dead;
    char dead_why[PROTO_TEXT_MAX + PROTO_CODE_MAX + 64]; /* client_end_reason() */
    uint64_t sent;
    uint64_t send_failed;
    uint64_t next_send_us;  /* intended time of the next state */
    uint64_t offset_us;     /* this bot's phase within a period */
    uint64_t errors;        /* error events from the relay */
    /* Lissajous path */
    double ax, ay, wx, wy, px, py;
    struct seen *seen;
    size_t n_seen, cap_seen;
    uint32_t session;       /* welcomes so far: a udp rejoin starts another */
    struct membership *ms;  /* one per welcome: what this bot sent as which id */
    size_t n_ms, cap_ms;
};

static volatile sig_atomic_t stop_requested;

/* The sender id in the bot's current session (a new one after a rejoin). */
static struct seen *seen_get(struct bot *b, uint32_t id)
{
    for (size_t i = 0; i < b->n_seen; i++)
        if (b->seen[i].id == id && b->seen[i].session == b->session)
            return &b->seen[i];
    if (b->n_seen == b->cap_seen) {
        size_t cap = b->cap_seen ? b->cap_seen * 2 : 16;
        struct seen *bigger = realloc(b->seen, cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        b->seen = bigger;
        b->cap_seen = cap;
    }
    struct seen *s = &b->seen[b->n_seen++];
    memset(s, 0, sizeof *s);
    s->id = id;
    s->session = b->session;
    return s;
}

/* A new session (welcome): states sent from now on go out as id, from the
 * client's next seq. Returns -1 out of memory (the stats then merge). */
static int membership_start(struct bot *b, uint32_t id)
{
    if (b->n_ms == b->cap_ms) {
        size_t cap = b->cap_ms ? b->cap_ms * 2 : 4;
        struct membership *bigger = realloc(b->ms, cap * sizeof *bigger);
        if (!bigger)
            return -1;
        b->ms = bigger;
        b->cap_ms = cap;
    }
    uint32_t seq = client_next_seq(b->c);
    b->ms[b->n_ms++] = (struct membership){.id = id, .first_seq = seq, .end_seq = seq};
    return 0;
}

/* Copies names, modes and stats of the current members into b->seen. */
static void seen_refresh(struct bot *b)
{
    size_t n;
    const struct client_member *m = client_members(b->c, &n);
    for (size_t i = 0; i < n; i++) {
        struct seen *s = seen_get(b, m[i].id);
        if (!s)
            continue;
        if (m[i].name[0])
            snprintf(s->name, sizeof s->name, "%s", m[i].name);
        s->mode = m[i].mode;
        s->stats = m[i].stats;
    }
}

/* Position on the bot's path at time t seconds (stays inside the arena). */
static void bot_path(const struct bot *b, double t, struct proto_state *s)
{
    double cx = PROTO_ARENA_W / 2, cy = PROTO_ARENA_H / 2;
    s->x = (float)(cx + b->ax * sin(b->wx * t + b->px));
    s->y = (float)(cy + b->ay * sin(b->wy * t + b->py));
    s->vx = (float)(b->ax * b->wx * cos(b->wx * t + b->px));
    s->vy = (float)(b->ay * b->wy * cos(b->wy * t + b->py));
    s->heading = (float)atan2(s->vy, s->vx);
}

static void bot_init_path(struct bot *b, uint64_t seed, size_t index)
{
    struct rng r;
    rng_seed(&r, seed * 0x9E3779B97F4A7C15ull + index + 1);
    b->ax = 15 + rng_uniform(&r) * 30; /* 15..45: inside 5..95 */
    b->ay = 15 + rng_uniform(&r) * 30;
    b->wx = 0.2 + rng_uniform(&r) * 0.8; /* rad/s */
    b->wy = 0.2 + rng_uniform(&r) * 0.8;
    b->px = rng_uniform(&r) * 2 * M_PI;
    b->py = rng_uniform(&r) * 2 * M_PI;
}

/* Per-mode aggregates: counts by the mode each sender joined with, latency
 * by the mode each state arrived in (bots never switch modes). */
struct mode_agg {
    struct histogram *lat;
    uint64_t pairs, expected, received, lost, duplicates, reordered, too_old;
};

static struct mode_agg agg[PROTO_MODE_COUNT];
static uint64_t lat_bound_max_us; /* largest latency error bound of any state */

static void handle_event(struct bot *b, const struct client_event *ev)
{
    switch (ev->type) {
    case CLIENT_EV_TOO_OLD: /* counted in the member's stats */
        break;
    case CLIENT_EV_WELCOME:
        b->id = client_id(b->c);
        if (membership_start(b, b->id) == 0)
            b->session++;
        log_info("%s: joined as %u (session %u)", b->name, (unsigned)b->id,
                 (unsigned)b->session);
        seen_refresh(b);
        break;
    case CLIENT_EV_JOINED: {
        struct seen *s = seen_get(b, ev->id);
        if (s && ev->control) {
            snprintf(s->name, sizeof s->name, "%s", ev->control->name);
            s->mode = ev->control->mode;
        }
        break;
    }
    case CLIENT_EV_LEFT: {
        /* The member is still in the table during this event: keep its stats. */
        const struct client_member *m = client_member(b->c, ev->id);
        struct seen *s = seen_get(b, ev->id);
        if (s) {
            if (m) {
                s->stats = m->stats;
                s->mode = m->mode;
                if (m->name[0])
                    snprintf(s->name, sizeof s->name, "%s", m->name);
            }
            s->left = true;
        }
        break;
    }
    case CLIENT_EV_STATE: {
        if (ev->id == b->id || ev->arrived_as >= PROTO_MODE_COUNT)
            break;
        /* corrected by the clocks' offsets to the relay: right across machines */
        if (ev->latency_us >= 0)
            histogram_record(agg[ev->arrived_as].lat, (uint64_t)ev->latency_us);
        struct seen *s = seen_get(b, ev->id);
        if (s && ev->latency_bound_us > s->lat_bound_us)
            s->lat_bound_us = ev->latency_bound_us;
        if (ev->latency_bound_us > lat_bound_max_us)
            lat_bound_max_us = ev->latency_bound_us;
        break;
    }
    case CLIENT_EV_ERROR:
        /* udp not_joined: the client empties its member table at the next
         * poll and joins again; keep this session's last figures. */
        seen_refresh(b);
        b->errors++;
        log_warn("%s: relay error %s: %s", b->name, ev->control->code,
                 ev->control->text);
        break;
    case CLIENT_EV_DISCONNECTED:
        b->dead = true;
        snprintf(b->dead_why, sizeof b->dead_why, "%s", client_end_reason(b->c));
        break;
    case CLIENT_EV_CHAT:
        break;
    }
}

/* What a sender of this process sent in the session s saw it in: the
 * membership with its id whose sequence numbers hold the first one s
 * received (ids repeat across relay restarts, sequence numbers do not). */
static uint64_t sender_sent(const struct bot *bots, size_t n, const struct seen *s, bool *known)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < bots[i].n_ms; k++) {
            const struct membership *m = &bots[i].ms[k];
            if (m->id == s->id && s->stats.started &&
                s->stats.first_seq - m->first_seq < m->end_seq - m->first_seq) {
                *known = true;
                return m->sent;
            }
        }
    }
    *known = false;
    return 0;
}

/* Delivery figures for one (receiver, sender) pair. For a sender in this
 * process the truth is what it sent; otherwise the sequence numbers seen. */
struct pair_fig {
    uint64_t expected, received, lost;
    double delivery; /* percent */
};

static struct pair_fig pair_figures(const struct bot *bots, size_t n,
                                    const struct seen *s)
{
    struct pair_fig f;
    bool known;
    uint64_t sent = sender_sent(bots, n, s, &known);
    f.received = s->stats.received;
    f.expected = known ? sent : recv_stats_expected(&s->stats);
    if (f.expected < f.received)
        f.expected = f.received;
    f.lost = f.expected - f.received;
    f.delivery = f.expected ? 100.0 * (double)f.received / (double)f.expected : 0;
    return f;
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static void print_human(const struct bot_options *o, struct bot *bots, size_t n,
                        uint64_t seed, double elapsed_s)
{
    printf("ricochet-bot: %zu bot%s in room %s at %.1f Hz for %.1f s, seed %llu, "
           "datagram %ld bytes\n\n",
           n, n == 1 ? "" : "s", o->room, o->rate, elapsed_s, (unsigned long long)seed,
           o->payload > PROTO_STATE_SIZE ? o->payload : (long)PROTO_STATE_SIZE);
    for (size_t i = 0; i < n; i++) {
        struct bot *b = &bots[i];
        const struct histogram *lat = client_latency(b->c);
        printf("%s (id %u, %s): sent %llu, saw %zu other%s%s%s\n", b->name,
               (unsigned)b->id, proto_mode_name(b->mode), (unsigned long long)b->sent,
               b->n_seen, b->n_seen == 1 ? "" : "s", b->dead ? ", DISCONNECTED: " : "",
               b->dead ? b->dead_why : "");
        for (size_t j = 0; j < b->n_seen; j++) {
            const struct seen *s = &b->seen[j];
            struct pair_fig f = pair_figures(bots, n, s);
            double mean = s->stats.received
                              ? (double)s->stats.latency_sum_us / (double)s->stats.received
                              : 0;
            printf("  from %-12s id %-3u %-11s %6llu/%-6llu %6.2f%%  lost %llu dup %llu "
                   "reord %llu old %llu  lat mean %.2f max %.2f ms (+-%.2f)  jitter %.3f ms%s%s\n",
                   s->name[0] ? s->name : "?", (unsigned)s->id, proto_mode_name(s->mode),
                   (unsigned long long)f.received, (unsigned long long)f.expected,
                   f.delivery, (unsigned long long)f.lost,
                   (unsigned long long)s->stats.duplicates,
                   (unsigned long long)s->stats.reordered,
                   (unsigned long long)s->stats.too_old, mean / 1000.0,
                   ms(s->stats.latency_max_us), ms(s->lat_bound_us), s->stats.jitter_us / 1000.0,
                   s->left ? "  (left)" : "",
                   s->session < b->session ? "  (before a rejoin)" : "");
        }
        if (lat->total)
            printf("  latency of all received: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
                   "(clock offsets: +-%.2f ms)\n",
                   ms(histogram_percentile(lat, 50)), ms(histogram_percentile(lat, 99)),
                   ms(lat->max), ms(lat_bound_max_us));
        if (o->reflect) {
            const struct histogram *rtt = client_rtt(b->c);
            const struct recv_stats *rs = client_reflect_stats(b->c);
            printf("  reflected: %llu of my %llu states back, rtt p50 %.2f ms, p99 %.2f ms\n",
                   (unsigned long long)rs->received, (unsigned long long)b->sent,
                   ms(histogram_percentile(rtt, 50)), ms(histogram_percentile(rtt, 99)));
        }
    }
    if (n > 1 && n <= 12) {
        /* Who saw whom: % of each sender's states that each receiver got. */
        printf("\nwho saw whom (%% of the sender's states received):\n  %-14s", "receiver \\ from");
        for (size_t j = 0; j < n; j++)
            printf(" %8.8s", bots[j].name);
        printf("\n");
        for (size_t i = 0; i < n; i++) {
            printf("  %-14s", bots[i].name);
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
                    printf(" %7.1f%%", pair_figures(bots, n, s).delivery);
            }
            printf("\n");
        }
    }
    printf("\nper mode (each sender under the mode it joined with; latency by the mode each\n"
           "state arrived in; they differ only for players who switch modes):\n");
    printf("  %-12s %6s %9s %9s %9s %6s %6s %6s %6s %8s %8s\n", "mode", "pairs", "expected",
           "received", "delivery", "lost", "dup", "reord", "old", "p50 ms", "p99 ms");
    for (int m = 0; m < PROTO_MODE_COUNT; m++) {
        const struct mode_agg *a = &agg[m];
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

static void print_json(const struct bot_options *o, struct bot *bots, size_t n,
                       uint64_t seed, double elapsed_s)
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
    for (size_t i = 0; i < n; i++) {
        struct bot *b = &bots[i];
        cJSON *jb = cJSON_CreateObject();
        cJSON_AddStringToObject(jb, "name", b->name);
        cJSON_AddNumberToObject(jb, "id", b->id);
        cJSON_AddStringToObject(jb, "mode", proto_mode_name(b->mode));
        cJSON_AddNumberToObject(jb, "sent", (double)b->sent);
        cJSON_AddBoolToObject(jb, "connected", !b->dead);
        if (b->dead)
            cJSON_AddStringToObject(jb, "error", b->dead_why);
        cJSON_AddNumberToObject(jb, "errors", (double)b->errors);
        const struct histogram *lat = client_latency(b->c);
        cJSON_AddNumberToObject(jb, "latency_p50_us", (double)histogram_percentile(lat, 50));
        cJSON_AddNumberToObject(jb, "latency_p99_us", (double)histogram_percentile(lat, 99));
        cJSON_AddNumberToObject(jb, "latency_max_us", (double)lat->max);
        if (o->reflect) {
            const struct histogram *rtt = client_rtt(b->c);
            cJSON_AddNumberToObject(jb, "reflected", (double)client_reflect_stats(b->c)->received);
            cJSON_AddNumberToObject(jb, "rtt_p50_us", (double)histogram_percentile(rtt, 50));
            cJSON_AddNumberToObject(jb, "rtt_p99_us", (double)histogram_percentile(rtt, 99));
        }
        struct client_netinfo ni;
        client_netinfo(b->c, &ni);
        cJSON_AddNumberToObject(jb, "bytes_sent", (double)ni.bytes_sent);
        cJSON_AddNumberToObject(jb, "bytes_received", (double)ni.bytes_received);
        cJSON_AddNumberToObject(jb, "enet_rtt_ms", ni.enet_rtt_ms);
        cJSON *from = cJSON_AddArrayToObject(jb, "from");
        for (size_t j = 0; j < b->n_seen; j++) {
            const struct seen *s = &b->seen[j];
            struct pair_fig f = pair_figures(bots, n, s);
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
            cJSON_AddNumberToObject(js, "latency_mean_us",
                                    s->stats.received ? (double)s->stats.latency_sum_us /
                                                            (double)s->stats.received
                                                      : 0);
            cJSON_AddNumberToObject(js, "latency_max_us", (double)s->stats.latency_max_us);
            cJSON_AddNumberToObject(js, "jitter_us", s->stats.jitter_us);
            cJSON_AddItemToArray(from, js);
        }
        cJSON_AddItemToArray(arr, jb);
    }
    cJSON *modes = cJSON_AddArrayToObject(root, "modes");
    for (int m = 0; m < PROTO_MODE_COUNT; m++) {
        const struct mode_agg *a = &agg[m];
        if (!a->pairs)
            continue;
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
        cJSON_AddNumberToObject(jm, "latency_bound_us", (double)lat_bound_max_us);
        cJSON_AddItemToArray(modes, jm);
    }
    char *text = cJSON_PrintUnformatted(root);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(root);
}

/* Adds every (receiver, sender) pair into the per-mode aggregates. */
static void aggregate(struct bot *bots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < bots[i].n_seen; j++) {
            const struct seen *s = &bots[i].seen[j];
            if (s->mode >= PROTO_MODE_COUNT)
                continue;
            struct pair_fig f = pair_figures(bots, n, s);
            struct mode_agg *a = &agg[s->mode];
            a->pairs++;
            a->expected += f.expected;
            a->received += f.received;
            a->lost += f.lost;
            a->duplicates += s->stats.duplicates;
            a->reordered += s->stats.reordered;
            a->too_old += s->stats.too_old;
        }
    }
}

/* The bots of this process and what waiting on them needs. */
struct bot_run {
    const struct bot_options *o;
    uint64_t seed;
    struct bot *bots;
    size_t n;
    struct swarm *sw;     /* the clients */
    struct bot_progress *progress; /* --interval reports, or NULL */
    uint64_t start_us;    /* first intended send */
    uint64_t sent_end_us; /* sending stopped */
};

/* Rooms and the generated names PREFIX-1..PREFIX-count must pass the
 * relay's rules: a typo is exit 2 here, not a failed join later. */
static void check_names(const struct bot_options *o)
{
    char last[PROTO_NAME_MAX + 32], names[2 * sizeof last];
    if (!proto_room_valid(o->room))
        options_fail(PROG, "--room '%s': use 1-%d of [A-Za-z0-9_.-]", o->room, PROTO_ROOM_MAX);
    /* The prefix's characters are in every name; the longest name is the last. */
    snprintf(last, sizeof last, "%s-%ld", o->name, o->count);
    if (proto_name_valid(last))
        return;
    if (o->count == 1)
        snprintf(names, sizeof names, "name %s", last);
    else
        snprintf(names, sizeof names, "names %s-1 to %s", o->name, last);
    options_fail(PROG, "--name '%s': the bot %s must be 1-%d of [A-Za-z0-9_.-]", o->name, names,
                 PROTO_NAME_MAX);
}

/* Allocates the bots and the per-mode histograms. Returns 0 or -1. */
static int bot_alloc(struct bot_run *sw)
{
    sw->bots = calloc(sw->n, sizeof *sw->bots);
    for (int m = 0; m < PROTO_MODE_COUNT; m++)
        agg[m].lat = malloc(sizeof *agg[m].lat);
    if (!sw->bots || !agg[0].lat || !agg[1].lat || !agg[2].lat || !agg[3].lat) {
        fprintf(stderr, PROG ": error: out of memory\n");
        return -1;
    }
    for (int m = 0; m < PROTO_MODE_COUNT; m++)
        histogram_reset(agg[m].lat);
    return 0;
}

static void bot_free(struct bot_run *sw)
{
    bot_progress_destroy(sw->progress);
    swarm_destroy(sw->sw);
    if (sw->bots)
        for (size_t i = 0; i < sw->n; i++) {
            free(sw->bots[i].seen);
            free(sw->bots[i].ms);
        }
    free(sw->bots);
    for (int m = 0; m < PROTO_MODE_COUNT; m++)
        free(agg[m].lat);
}

/* swarm hooks: the bot's path, its send counters, its events */
static void bot_fill(void *ctx, size_t i, uint64_t t_us, struct proto_state *s)
{
    struct bot_run *sw = ctx;
    bot_path(&sw->bots[i], (double)(t_us - sw->start_us) / 1e6, s);
}

static void bot_sent(void *ctx, size_t i, uint64_t t_us, bool ok)
{
    struct bot_run *sw = ctx;
    (void)t_us;
    struct bot *b = &sw->bots[i];
    if (ok) {
        b->sent++;
        if (b->n_ms) {
            b->ms[b->n_ms - 1].sent++;
            b->ms[b->n_ms - 1].end_seq = client_next_seq(b->c);
        }
    } else {
        b->send_failed++;
    }
}

static void bot_event(void *ctx, size_t i, const struct client_event *ev)
{
    struct bot_run *sw = ctx;
    struct bot *b = &sw->bots[i];
    if (sw->progress && ev->type == CLIENT_EV_STATE && ev->id != b->id && ev->latency_us >= 0)
        bot_progress_latency(sw->progress, (uint64_t)ev->latency_us);
    handle_event(b, ev);
}

/* The counters --interval reports grow from: every bot, every sender it
 * has seen (those that left keep their last counters in b->seen). */
static void progress_totals(struct bot_run *sw, struct bot_progress_totals *t)
{
    memset(t, 0, sizeof *t);
    t->bots = sw->n;
    t->connected = swarm_alive(sw->sw);
    for (size_t i = 0; i < sw->n; i++) {
        struct bot *b = &sw->bots[i];
        t->sent += b->sent;
        seen_refresh(b);
        for (size_t j = 0; j < b->n_seen; j++) {
            uint64_t expected = recv_stats_expected(&b->seen[j].stats);
            t->received += b->seen[j].stats.received;
            t->expected += expected > b->seen[j].stats.received ? expected
                                                                : b->seen[j].stats.received;
        }
    }
}

static void progress_report(struct bot_run *sw, uint64_t now_us)
{
    struct bot_progress_totals t;
    progress_totals(sw, &t);
    bot_progress_report(sw->progress, now_us, &t);
}

/* The name of the --mode choice (the text of mode_choices, not an index). */
static const char *mode_choice_name(const struct bot_options *o, char *buf, size_t cap)
{
    const char *p = mode_choices;
    for (int i = 0; i < o->mode_choice && p; i++)
        if ((p = strchr(p, '|')))
            p++;
    size_t n = p ? strcspn(p, "|") : 0;
    snprintf(buf, cap, "%.*s", (int)n, p ? p : "");
    return buf;
}

/* Creates every bot's client (connecting starts). Returns 0 or -1 (printed). */
static int bot_connect(struct bot_run *sw)
{
    const struct bot_options *o = sw->o;
    char name[32];
    enum proto_mode mode = PROTO_MODE_UNSEQUENCED;
    bool mixed = proto_mode_parse(mode_choice_name(o, name, sizeof name), &mode) != 0;
    struct swarm_config sc = {.host = o->host, .port = (uint16_t)o->port,
                              .clients = sw->n, .room = o->room, .name = o->name,
                              .mode = mode, .mixed = mixed, .reflect = o->reflect,
                              .timeout_ms = (uint32_t)o->timeout_ms, .rate_hz = o->rate,
                              .payload = (size_t)o->payload,
                              .per_host = 1 /* each bot its own socket: the JSON
                                               reports each bot's bytes */};
    struct swarm_hooks hooks = {.ctx = sw, .fill = bot_fill, .sent = bot_sent,
                                .event = bot_event};
    char err[320];
    sw->sw = swarm_create(&sc, &hooks, err, sizeof err);
    if (!sw->sw) {
        fprintf(stderr, PROG ": error: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < sw->n; i++) {
        struct bot *b = &sw->bots[i];
        b->c = swarm_client(sw->sw, i);
        b->mode = swarm_mode(sw->sw, i);
        snprintf(b->name, sizeof b->name, "%s", swarm_name(sw->sw, i));
        bot_init_path(b, sw->seed, i);
    }
    return 0;
}

/* Waits until every bot has joined, then lets the roster notices settle.
 * Returns 0, or -1 (printed) if one could not join or a signal came. */
static int bot_join(struct bot_run *sw)
{
    char err[320];
    if (swarm_wait_ready(sw->sw, false, UINT64_MAX, &stop_requested, err, sizeof err) != 0) {
        for (size_t i = 0; i < sw->n; i++)
            if (sw->bots[i].dead) {
                char relay[NETADDR_STR_MAX + 256];
                fprintf(stderr, PROG ": error: %s could not join %s: %s\n", sw->bots[i].name,
                        netaddr_host_port(sw->o->host, sw->o->port, relay, sizeof relay),
                        sw->bots[i].dead_why);
                return -1;
            }
        fprintf(stderr, PROG ": error: %s\n",
                stop_requested ? "interrupted while joining" : err);
        return -1;
    }
    uint64_t settle_end = clock_now_us() + SETTLE_US;
    while (clock_now_us() < settle_end && !stop_requested)
        swarm_service(sw->sw, 5000);
    return 0;
}

/* Sends at a constant rate from intended times, bots spread over a period,
 * until --duration, a signal, or no bot left; then lets the last states
 * arrive. */
static void bot_send(struct bot_run *sw)
{
    sw->start_us = clock_now_us();
    uint64_t end = sw->o->duration > 0 ? sw->start_us + (uint64_t)(sw->o->duration * 1e6)
                                       : UINT64_MAX;
    swarm_schedule(sw->sw, sw->start_us);
    if (sw->o->interval > 0) {
        sw->progress = bot_progress_create(sw->o->interval, sw->o->json, sw->start_us, stdout);
        if (!sw->progress)
            fprintf(stderr, PROG ": warning: out of memory: no --interval reports\n");
    }
    while (!stop_requested && swarm_alive(sw->sw) > 0 && clock_now_us() < end) {
        swarm_step(sw->sw, end);
        if (sw->progress && clock_now_us() >= bot_progress_due(sw->progress))
            progress_report(sw, clock_now_us());
    }
    sw->sent_end_us = clock_now_us();
    /* the last, shorter interval (unless sending stopped right on a row) */
    if (sw->progress && sw->sent_end_us >= bot_progress_due(sw->progress) -
                                               (uint64_t)(sw->o->interval * 1e6) + 10000)
        progress_report(sw, sw->sent_end_us);
    if (sw->progress && !sw->o->json)
        fputc('\n', stdout); /* the rows, then the summary */
    swarm_drain(sw->sw, sw->sent_end_us + DRAIN_US);
}

/* Prints the summary (human or --json) and one error line if bots lost
 * their connection. Returns the exit status: 0, or 1 if any did. */
static int bot_report(struct bot_run *sw)
{
    struct bot *bots = sw->bots;
    size_t n = sw->n;
    /* The member tables outlive a lost connection: refresh everyone. */
    for (size_t i = 0; i < n; i++)
        seen_refresh(&bots[i]);
    aggregate(bots, n);
    double elapsed_s = (double)(sw->sent_end_us - sw->start_us) / 1e6;
    if (sw->o->json)
        print_json(sw->o, bots, n, sw->seed, elapsed_s);
    else
        print_human(sw->o, bots, n, sw->seed, elapsed_s);
    fflush(stdout);

    size_t lost = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (bots[i].dead && lost++ == 0)
            first = i;
    if (!lost)
        return 0;
    /* One line, however many bots. */
    char relay[NETADDR_STR_MAX + 256];
    fprintf(stderr, PROG ": error: %s lost its connection to %s: %s", bots[first].name,
            netaddr_host_port(sw->o->host, sw->o->port, relay, sizeof relay),
            bots[first].dead_why);
    if (lost > 1)
        fprintf(stderr, " (and %zu other bot%s)", lost - 1, lost == 2 ? "" : "s");
    fprintf(stderr, "\n");
    return 1;
}

int main(int argc, char **argv)
{
    struct bot_options o;
    memset(&o, 0, sizeof o);
    proto_mode_choices(mode_choices, sizeof mode_choices, "mixed");
    options_parse_or_exit(bot_option_defs, &o, argc, argv, PROG,
                          "headless players: join a room, move, send states, report "
                          "what everyone received");
    log_threshold = (enum log_level)o.log_level;
    check_names(&o);
    if (o.interval > 0 && o.interval < 0.1)
        options_fail(PROG, "--interval: %g is too small: use 0 (off) or at least 0.1", o.interval);

    struct bot_run sw = {.o = &o, .seed = (uint64_t)o.seed, .n = (size_t)o.count};
    if (sw.seed == 0)
        sw.seed = (clock_now_us() ^ (uint64_t)time(NULL)) % 2147483647u + 1;
    signals_install(&stop_requested, NULL, NULL);

    int rc = 1;
    if (bot_alloc(&sw) == 0) {
        char mode_name[32], relay[NETADDR_STR_MAX + 256];
        fprintf(stderr, PROG ": %zu bot%s -> %s room %s, mode %s, %.1f Hz, seed %llu\n",
                sw.n, sw.n == 1 ? "" : "s", netaddr_host_port(o.host, o.port, relay, sizeof relay),
                o.room,
                mode_choice_name(&o, mode_name, sizeof mode_name), o.rate, (unsigned long long)sw.seed);
        if (bot_connect(&sw) == 0 && bot_join(&sw) == 0) {
            bot_send(&sw);
            rc = bot_report(&sw);
        }
    }
    bot_free(&sw);
    return rc;
}
