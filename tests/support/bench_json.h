/* bench_json.h (bj_): ricochet-bench runs for tests, and its JSON read: the
 * bench spawned from $RICOCHET_BIN with the test's arguments (ending
 * --json-file - --quiet), or by the test itself, its results, a result by
 * mode, a number or a flag by a dotted path; and the runs a bench script
 * (bench/NAME.sh) kept. A missing field fails the test. */
#ifndef RICOCHET_TEST_BENCH_JSON_H
#define RICOCHET_TEST_BENCH_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* Runs the bench with args; it must exit 0 with JSON on stdout (else its
 * stderr is printed and the test fails). Returns the "results" array,
 * valid until the next run or bj_free. */
const cJSON *bj_results(const char *const *args);

struct spawn_proc;
/* Waits for a bench the test spawned (harness_spawn, with --json-file -):
 * it must exit want within 120 s with JSON on stdout (else its stderr is
 * printed and the test fails); p is freed. Returns "results" as
 * bj_results does. */
const cJSON *bj_finish(struct spawn_proc *p, int want);

/* The "runs" of the runs.json a bench script wrote into dir (it must be
 * there and parse), valid until the next run or bj_free. */
const cJSON *bj_script_runs(const char *dir);

/* Frees the last run's JSON: a group's teardown (cmocka runs it after a
 * failed test too). Returns 0. */
int bj_free(void **state);

/* The number at path ("audit.explained_by.netsim_up") in o; fails the
 * test if there is none. */
double bj_num(const cJSON *o, const char *path);

/* Is o's member a (or a's member b, when b is not NULL) true? */
bool bj_flag(const cJSON *o, const char *a, const char *b);

/* The result of mode (a lane's name) in results; fails the test if none. */
const cJSON *bj_mode(const cJSON *results, const char *mode);

#endif
