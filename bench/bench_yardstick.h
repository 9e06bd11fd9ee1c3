/* bench_yardstick.h: what a record's cost is measured against, written
 * beside it in the bench's JSON: the machine's floor measured in the same
 * run (--floor: bench/machine.sh's rate, one thread's datagrams sent and
 * received a second) and the reference relay run beside it (the lane
 * `reference`: docs/benchmarks.md, "The reference relay"). A µs per
 * delivery alone does not travel between machines; with these, a reader
 * of one file can compare it with another machine's. */
#ifndef RICOCHET_BENCH_YARDSTICK_H
#define RICOCHET_BENCH_YARDSTICK_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "bench.h"

/* "floor_dgrams_per_s" (floor_dps) and "floor_us_per_dgram" (1 s / it)
 * into o; nothing when floor_dps is 0 (not measured in this run). */
void bench_yardstick_floor(cJSON *o, double floor_dps);

/* {"command", "date", key: records} on f, each record (an array of
 * objects) with the floor of info beside it; records is freed. For the
 * runs that are not a mode's (worlds, lockstep rooms). */
void bench_yardstick_json(FILE *f, const struct bench_run_info *info, const char *key,
                          cJSON *records);

/* "reference_us_per_delivery", the relay's CPU per delivered state of the
 * reference lane at x's parameters among r[0..n), and "x_reference", x's
 * over it: paired round by round where x's relay_us_ratio is against the
 * reference, else the ratio of the two. Nothing when no reference lane ran
 * beside x or either cost was not measured. */
void bench_yardstick_reference(cJSON *o, const struct bench_result *x,
                               const struct bench_result *r, size_t n);

#endif
