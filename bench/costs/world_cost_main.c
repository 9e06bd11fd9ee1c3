/* world_cost_main.c: world-cost, what one world costs the relay's core
 * (relay/core/relay.h) by itself: no socket, no edge, a fake clock.
 *
 * --clients members join one room with interest (radius --radius) and walk
 * at random on a --field x --field square at 5 units a second, each
 * sending its state --rate times a second at intended times spread over
 * the period (as ricochet-bench's clients do); the core runs the relay's
 * tick every millisecond of the fake clock, with --world-tick-ms, for
 * --seconds. Its one edge only counts what it is handed: states, calls,
 * control messages. So the program's work is the core's (interest, the
 * tick, the fan-out) plus a little of its own, and the same on every run
 * (one seed): under `valgrind --tool=callgrind --toggle-collect=measure`
 * its instructions per delivered state compare two builds of the core
 * exactly, whatever else the machine runs. It also reports how long the states waited in the core
 * (fan-out time minus send time on the fake clock): the wait the world's
 * tick imposes, p50, p99 and the longest. Not installed. */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "stats/histogram.h"
#include "stats/rng.h"
#include "sys/log.h"
#include "sys/options.h"

#define PROG "world-cost"
#define SPEED 5.0       /* units a second a walker covers */
#define TURN_RATE 1.0   /* radians per sqrt(second) of wandering */
#define STEP_US 1000    /* the fake clock's step: the relay's tick runs every one */
#define START_US 1000000000ull /* the fake clock's start */

struct cost_options {
    unsigned clients, rate, world_tick_ms, tick_ms;
    double radius, field, seconds;
    uint64_t seed;
    bool json;
    double floor; /* the machine's floor, datagrams a second (0: not measured) */
};

static const struct option_def option_defs[] = {
    {"clients", OPTION_UINT, offsetof(struct cost_options, clients), "3000", 2,
     RELAY_CLIENTS_MAX, NULL, "members of the world", sizeof(unsigned), 0, 'n', NULL, NULL},
    {"radius", OPTION_DOUBLE, offsetof(struct cost_options, radius), "100", 1, PROTO_AOI_MAX,
     NULL, "the world's radius of interest, units", 0, 0, 'r', NULL, NULL},
    {"field", OPTION_DOUBLE, offsetof(struct cost_options, field), "0", 0, PROTO_VALUE_MAX,
     NULL, "the field's side, units; 0: one member per 1000 square units", 0, 0, 'f', NULL,
     NULL},
    {"rate", OPTION_UINT, offsetof(struct cost_options, rate), "20", 1, 1000, NULL,
     "states a second per member", sizeof(unsigned), 0, 'R', NULL, NULL},
    {"world-tick-ms", OPTION_UINT, offsetof(struct cost_options, world_tick_ms), "50", 0, 1000,
     NULL, "the world's tick (the relay's --world-tick-ms)", sizeof(unsigned), 0, 0, NULL,
     NULL},
    {"tick-ms", OPTION_UINT, offsetof(struct cost_options, tick_ms), "2", 1, 1000, NULL,
     "the relay's tick (--tick-ms)", sizeof(unsigned), 0, 0, NULL, NULL},
    {"seconds", OPTION_DOUBLE, offsetof(struct cost_options, seconds), "2", 0.1, 600, NULL,
     "of the fake clock, after every member's first state", 0, 0, 't', NULL, NULL},
    {"seed", OPTION_UINT, offsetof(struct cost_options, seed), "1", 0, 1e15, NULL,
     "the walks' seed", sizeof(uint64_t), 0, 0, NULL, NULL},
    {"json", OPTION_BOOL, offsetof(struct cost_options, json), "false", 0, 0, NULL,
     "one JSON object instead of the lines", 0, 0, 'J', NULL, NULL},
    {"floor", OPTION_DOUBLE, offsetof(struct cost_options, floor), "0", 0, 1e9, NULL,
     "the machine's floor measured in the same run, datagrams a second (bench/machine.sh): "
     "the JSON object carries it, as floor_dgrams_per_s and floor_us_per_dgram; 0: not measured",
     0, 0, 0, NULL, NULL},
    {0},
};

static const struct options_program program = {
    .name = PROG,
    .summary = "What one world costs the relay's core by itself (no socket, a fake clock, "
               "the same work on every run): for callgrind, and the wait its tick imposes.",
    .defs = option_defs,
};

/* What the counting edge saw, and the fake clock. */
static struct {
    uint64_t now_us;
    uint64_t states, calls, control;
    uint64_t *sent_us;     /* each member's newest state's send time */
    struct histogram wait; /* fan-out time minus intended send time, µs */
} E;

static void count_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    (void)ctx, (void)peer, (void)json, (void)len;
    E.control++;
}

/* The state handed over is its sender's newest (one mode, unreliable: the
 * world's tick keeps only that), sent at E.sent_us[from]: no need to
 * decode it, which would weigh on the calls the core makes. */
static void count_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                        uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)ctx, (void)peers, (void)channel, (void)flags, (void)bytes, (void)len;
    E.calls++;
    E.states += n;
    if (E.now_us >= E.sent_us[from])
        histogram_record_n(&E.wait, E.now_us - E.sent_us[from], n);
}

static void count_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)ctx, (void)peer, (void)why;
}

struct walker {
    double x, y, heading;
    uint32_t seq;
};

/* Member i joins "world" with the radius, asking for batches. */
static void join(struct relay *r, uint32_t i, float radius)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "world");
    snprintf(m.name, sizeof m.name, "w%u", (unsigned)i);
    m.mode = PROTO_MODE_UNSEQUENCED;
    m.batch = true;
    m.aoi = radius;
    static char json[PROTO_CONTROL_MAX];
    int len = proto_control_encode(json, sizeof json, &m);
    if (len < 0 || relay_on_datagram(r, i, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE,
                                     (uint8_t *)json, (size_t)len, E.now_us) != 0)
        options_fail(PROG, "member %u could not join", (unsigned)i);
}

/* Walker w's next state, intended for t_us, dt seconds after its last. */
static void step(struct relay *r, uint32_t i, struct walker *w, struct rng *g, double dt,
                 double field, uint64_t t_us)
{
    w->heading += TURN_RATE * sqrt(dt) * (2 * rng_uniform(g) - 1);
    w->x += SPEED * dt * cos(w->heading);
    w->y += SPEED * dt * sin(w->heading);
    if (w->x < 0 || w->x > field)
        w->heading = M_PI - w->heading, w->x = w->x < 0 ? 0 : field;
    if (w->y < 0 || w->y > field)
        w->heading = -w->heading, w->y = w->y < 0 ? 0 : field;
    struct proto_state s = {.seq = ++w->seq, .send_us = t_us, .x = (float)w->x,
                            .y = (float)w->y, .heading = (float)w->heading};
    uint8_t buf[PROTO_STATE_SIZE];
    proto_state_encode(buf, sizeof buf, &s);
    relay_on_datagram(r, i, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, sizeof buf,
                      E.now_us);
    E.sent_us[i] = t_us; /* after: an older one may go out while this one comes in */
}

/* Runs the world for `us` of the fake clock from its current time: each
 * member's states at its intended times, the relay's tick every step. */
static void run(struct relay *r, const struct cost_options *o, struct walker *w, struct rng *g,
                uint64_t from_us, uint64_t us)
{
    uint64_t period = 1000000u / o->rate;
    for (uint64_t t = E.now_us; t < from_us + us; t += STEP_US) {
        E.now_us = t;
        for (uint32_t i = 0; i < o->clients; i++) {
            uint64_t phase = period * i / o->clients;
            uint64_t since = t - from_us;
            if (since >= phase && (since - phase) % period < STEP_US)
                step(r, i, &w[i], g, (double)period / 1e6, o->field, t);
        }
        relay_tick(r, t);
    }
}

static void report(const struct cost_options *o, uint64_t in, double cpu_us)
{
    double us = E.states ? cpu_us / (double)E.states : 0;
    double p50 = histogram_percentile(&E.wait, 50) / 1e3;
    double p99 = histogram_percentile(&E.wait, 99) / 1e3;
    double max = (double)E.wait.max / 1e3;
    if (o->json) {
        printf("{\"clients\":%u,\"radius\":%g,\"field\":%g,\"rate\":%u,\"world_tick_ms\":%u,"
               "\"seconds\":%g,\"states_in\":%llu,\"deliveries\":%llu,\"send_calls\":%llu,"
               "\"wait_p50_ms\":%.2f,\"wait_p99_ms\":%.2f,\"wait_max_ms\":%.2f,"
               "\"cpu_us_per_delivery\":%.3f",
               o->clients, o->radius, o->field, o->rate, o->world_tick_ms, o->seconds,
               (unsigned long long)in, (unsigned long long)E.states,
               (unsigned long long)E.calls, p50, p99, max, us);
        if (o->floor > 0) /* the machine it ran on, as every bench record says */
            printf(",\"floor_dgrams_per_s\":%.0f,\"floor_us_per_dgram\":%.3f", o->floor,
                   1e6 / o->floor);
        printf("}\n");
        return;
    }
    printf("%s: %u members, radius %g on a %g field, %u Hz, world tick %u ms, %g s\n", PROG,
           o->clients, o->radius, o->field, o->rate, o->world_tick_ms, o->seconds);
    printf("  states in %llu, delivered %llu (%.1f a state) in %llu calls to the edge\n",
           (unsigned long long)in, (unsigned long long)E.states,
           in ? (double)E.states / (double)in : 0, (unsigned long long)E.calls);
    printf("  wait in the core: p50 %.2f ms, p99 %.2f ms, longest %.2f ms\n", p50, p99, max);
    printf("  CPU per delivered state: %.3f us (this process; the machine's noise in it)\n", us);
}

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The measured run, after the world has settled: its CPU time, µs. Alone
 * in a function of its own, so that `valgrind --tool=callgrind
 * --toggle-collect=measure` counts it alone. */
static __attribute__((noinline)) double measure(struct relay *r, const struct cost_options *o,
                                                struct walker *w, struct rng *g)
{
    E.states = E.calls = 0;
    histogram_reset(&E.wait);
    double cpu0 = cpu_us();
    run(r, o, w, g, E.now_us, (uint64_t)(o->seconds * 1e6));
    return cpu_us() - cpu0;
}

int main(int argc, char **argv)
{
    struct cost_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    if (o.field == 0)
        o.field = floor(sqrt(o.clients / 1000.0) * 1000 + 0.5);
    options_checked(&program);
    log_threshold = LOG_WARN; /* no line per join */
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.max_clients = o.clients;
    cfg.max_room_size = o.clients;
    cfg.peer_cap = o.clients;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    cfg.tick_us = o.tick_ms * 1000u;
    cfg.world_tick_us = o.world_tick_ms * 1000u;
    static const struct relay_transport edge = {
        .name = "count", .modes = 1u << PROTO_MODE_UNSEQUENCED, .send_control = count_control,
        .send_state = count_state, .disconnect = count_disconnect};
    struct relay *r = relay_create(&cfg, &edge, 1);
    struct walker *w = calloc(o.clients, sizeof *w);
    E.sent_us = calloc(o.clients, sizeof *E.sent_us);
    if (!r || !w || !E.sent_us)
        options_fail(PROG, "out of memory");
    struct rng g;
    rng_seed(&g, o.seed);
    E.now_us = START_US;
    for (uint32_t i = 0; i < o.clients; i++) {
        /* each a port of its own: on loopback a source each, as the relay's
         * bound of joins a source counts them */
        union netaddr at = {.v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(1 + i)),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}};
        relay_peer_connect(r, i, &at, E.now_us);
        join(r, i, (float)o.radius);
        w[i] = (struct walker){.x = rng_uniform(&g) * o.field, .y = rng_uniform(&g) * o.field,
                               .heading = rng_uniform(&g) * 2 * M_PI};
    }
    /* A period for every member to place itself (appeared notices), then
     * the measured run. */
    run(r, &o, w, &g, E.now_us, 1000000u / o.rate + 100000u);
    uint64_t in0 = relay_stats(r)->states_in;
    double cpu = measure(r, &o, w, &g);
    report(&o, relay_stats(r)->states_in - in0, cpu);
    relay_destroy(r);
    free(w);
    free(E.sent_us);
    return 0;
}
