#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum log_level log_threshold = LOG_INFO;

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

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const tags[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
    char stamp[32], line[1024];
    struct timeval tv;
    struct tm tm;
    va_list ap;

    if (level < log_threshold || level >= LOG_OFF)
        return;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so lines from one process never interleave. */
    fprintf(stderr, "%s.%03ld %s %s\n", stamp, (long)(tv.tv_usec / 1000), tags[level], line);
}
