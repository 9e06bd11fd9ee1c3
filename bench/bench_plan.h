/* bench_plan.h: running ricochet-bench's plan: every sweep point in every
 * mode, --repeat times each, with the progress lines and the sweep limits. */
#ifndef RICOCHET_BENCH_PLAN_H
#define RICOCHET_BENCH_PLAN_H

#include <stddef.h>

#include "bench_options.h"

/* Runs every point of the plan in every mode, skipping a mode at larger
 * values once it broke the limits. Returns the number of results; counts
 * failed runs in *failures and runs with unexplained losses in
 * *unexplained. */
size_t bench_plan_run(const struct bench_options *c, const struct bench_config *cfg,
                      const struct bench_plan *p, struct bench_result *results, int *failures,
                      int *unexplained);

#endif
