#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum log_level log_threshold = LOG_INFO;

static log_sink sink = log_stderr_sink;
static void *sink_ctx;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

int log_level_parse(const char *name, enum log_level *level)
{
    for (int i = LOG_DEBUG; i <= LOG_OFF; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_sink(log_sink s, void *ctx)
{
    sink = s ? s : log_stderr_sink;
    sink_ctx = s ? ctx : NULL;
}

void log_stderr_sink(void *ctx, enum log_level level, const char *msg)
{
    static const char *const tags[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
    char stamp[32];
    struct timeval tv;
    struct tm tm;

    (void)ctx;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ld %s %s\n", stamp, (long)(tv.tv_usec / 1000), tags[level], msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (level < log_threshold || level >= LOG_OFF)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sink(sink_ctx, level, line);
}
