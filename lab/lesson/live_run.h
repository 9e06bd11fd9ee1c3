/* live_run.h: the lesson's process set and its loop (live_run.c), as
 * lesson_main.c starts and stops it. */
#ifndef RICOCHET_LIVE_RUN_H
#define RICOCHET_LIVE_RUN_H

#include <signal.h>

struct bench_params;
struct live_config;

#define LIVE_PUBLISH_US 200000 /* the snapshot's period */
#define LESSON_PROG "ricochet-lesson"

/* Set by SIGINT or SIGTERM (signals.h): live_run() stops everything and
 * returns. */
extern volatile sig_atomic_t live_stop;

/* Serves the lesson on 127.0.0.1:port (0: a free one) until live_stop:
 * params' rate and path (end to end) to start with; cfg->lab NULL with
 * no_lab saying why there are no namespaces (the streams' lanes are then
 * left out). Returns the exit status. */
int live_run(const struct live_config *cfg, const struct bench_params *params, int port,
             const char *no_lab);

#endif
