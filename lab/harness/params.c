/* params.c: one scenario's parameters, the ones a sweep varies (see
 * params.h): names, ranges, get and set, the path per hop. */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "proto/wire.h"
#include "relay/core/relay.h"

/* The path's parameters are named as the bench's options (--path-loss, ...);
 * former names are still parsed. */
static const struct {
    const char *name, *former;
    double min, max;
} param_info[BENCH_P_COUNT] = {
    [BENCH_P_CLIENTS] = {"clients", NULL, 2, RELAY_CLIENTS_MAX},
    [BENCH_P_RATE] = {"rate", NULL, 0.1, 10000},
    [BENCH_P_PAYLOAD] = {"payload", NULL, PROTO_STATE_SIZE, PROTO_STATE_MAX},
    [BENCH_P_LOSS] = {"path-loss", "loss", 0, 99},
    [BENCH_P_DELAY] = {"path-delay", "delay", 0, 10000},
    [BENCH_P_JITTER] = {"path-jitter", "jitter", 0, 10000},
};

const char *bench_param_name(enum bench_param p)
{
    return p >= 0 && p < BENCH_P_COUNT ? param_info[p].name : NULL;
}

enum bench_param bench_param_parse(const char *name)
{
    for (int i = 0; i < BENCH_P_COUNT; i++)
        if (!strcmp(name, param_info[i].name) ||
            (param_info[i].former && !strcmp(name, param_info[i].former)))
            return (enum bench_param)i;
    return BENCH_P_NONE;
}

double bench_param_get(const struct bench_params *p, enum bench_param which)
{
    switch (which) {
    case BENCH_P_CLIENTS: return (double)p->clients;
    case BENCH_P_RATE: return p->rate_hz;
    case BENCH_P_PAYLOAD: return (double)p->payload;
    case BENCH_P_LOSS: return p->loss_pct;
    case BENCH_P_DELAY: return p->delay_ms;
    case BENCH_P_JITTER: return p->jitter_ms;
    default: return 0;
    }
}

int bench_param_set(struct bench_params *p, enum bench_param which, double v,
                    char *err, size_t err_cap)
{
    if (which < 0 || which >= BENCH_P_COUNT) {
        snprintf(err, err_cap, "unknown parameter");
        return -1;
    }
    if (!isfinite(v) || v < param_info[which].min || v > param_info[which].max) {
        snprintf(err, err_cap, "%s %g is out of range [%g, %g]", param_info[which].name,
                 v, param_info[which].min, param_info[which].max);
        return -1;
    }
    if ((which == BENCH_P_CLIENTS || which == BENCH_P_PAYLOAD) && v != floor(v)) {
        snprintf(err, err_cap, "%s must be a whole number", param_info[which].name);
        return -1;
    }
    switch (which) {
    case BENCH_P_CLIENTS: p->clients = (long)v; break;
    case BENCH_P_RATE: p->rate_hz = v; break;
    case BENCH_P_PAYLOAD: p->payload = (long)v; break;
    case BENCH_P_LOSS: p->loss_pct = v; break;
    case BENCH_P_DELAY: p->delay_ms = v; break;
    case BENCH_P_JITTER: p->jitter_ms = v; break;
    default: break;
    }
    return 0;
}

bool bench_params_equal(const struct bench_params *a, const struct bench_params *b)
{
    return a->clients == b->clients && a->rate_hz == b->rate_hz &&
           a->payload == b->payload && a->loss_pct == b->loss_pct &&
           a->delay_ms == b->delay_ms && a->jitter_ms == b->jitter_ms;
}

void bench_params_per_hop(const struct bench_params *p, double *loss_pct, double *delay_ms,
                          double *jitter_ms)
{
    *loss_pct = 100.0 * (1.0 - sqrt(1.0 - p->loss_pct / 100.0));
    *delay_ms = p->delay_ms / 2;
    *jitter_ms = p->jitter_ms / 2;
}
