/* params.h: one scenario's parameters, a point of the bench's sweep grid
 * and where the lesson starts from: clients, rate, payload and the path's
 * loss, delay and jitter end to end, with their names, ranges, and how
 * the path splits over netsim's two hops. Here, beside the children both
 * start, so that the lesson checks a model change by these rows without
 * linking the bench. */
#ifndef RICOCHET_PARAMS_H
#define RICOCHET_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

/* One point of the sweep grid. */
struct bench_params {
    long clients;     /* in all; each receives every other state of its room */
    double rate_hz;   /* states per second per client */
    long payload;     /* datagram bytes (state padded up to it) */
    double loss_pct;  /* end-to-end delivery loss */
    double delay_ms;  /* end-to-end one-way delay */
    double jitter_ms; /* end-to-end jitter (uniform +- per hop: half of it) */
};

/* Parameters a sweep can vary; bench_param_parse takes their names. */
enum bench_param {
    BENCH_P_NONE = -1,
    BENCH_P_CLIENTS,
    BENCH_P_RATE,
    BENCH_P_PAYLOAD,
    BENCH_P_LOSS,
    BENCH_P_DELAY,
    BENCH_P_JITTER,
    BENCH_P_COUNT
};

/* "clients", "rate", "payload", "path-loss", ... (as the options), or NULL. */
const char *bench_param_name(enum bench_param p);
/* Parses a parameter's name or its former one ("loss" for "path-loss").
 * Returns it, or BENCH_P_NONE. */
enum bench_param bench_param_parse(const char *name);
double bench_param_get(const struct bench_params *p, enum bench_param which);
/* Sets one parameter, checking its range. Returns 0 or -1 with err. */
int bench_param_set(struct bench_params *p, enum bench_param which, double v,
                    char *err, size_t err_cap);

/* The path's loss, delay and jitter (end to end) as netsim's per hop:
 * loss L becomes p with (1-p)^2 = 1-L, delay and jitter are halved. */
void bench_params_per_hop(const struct bench_params *p, double *loss_pct, double *delay_ms,
                          double *jitter_ms);

/* Do a and b describe the same scenario? */
bool bench_params_equal(const struct bench_params *a, const struct bench_params *b);

#endif
