/* bench_status.c: what every part of a run shares (see run_internal.h):
 * its error, its progress lines, the request to stop. Every other file of
 * a run calls these; these call none of them. */
#include "run_internal.h"

#include <stdarg.h>
#include <stdio.h>

#include "sys/log.h"

volatile sig_atomic_t run_stop;

void bench_request_stop(void)
{
    run_stop = 1;
}

bool bench_stop_requested(void)
{
    return run_stop != 0;
}

void run_log(const struct run *run, const char *fmt, ...)
{
    if (!run->cfg->verbose)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_info("bench: %s", line);
}

int run_fail(struct run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->r->error, sizeof run->r->error, fmt, ap);
    va_end(ap);
    run->r->ok = false;
    return -1;
}
