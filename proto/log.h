/* log.h: leveled logging to stderr, one line per call:
 *   2026-11-21 12:00:00.123 INFO  relay: joined 127.0.0.1:50123 as 3 */
#ifndef RICOCHET_LOG_H
#define RICOCHET_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

extern enum log_level log_threshold; /* lines below it are not printed */

/* Parses "debug|info|warn|error|off". Returns 0, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
