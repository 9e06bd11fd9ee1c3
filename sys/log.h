/* log.h: leveled logging, one line per call. Where lines go is a sink the
 * program chooses; the default, log_stderr_sink, writes
 *   2026-11-21 12:00:00.123 INFO  relay: joined 127.0.0.1:50123 as 3
 * to stderr. log_msg itself reads no clock: the time is the sink's
 * business, so pure code that logs (the relay core, the terminal client's
 * model) never reaches the wall clock through the logger, and a test can
 * catch its lines with a sink of its own. */
#ifndef RICOCHET_LOG_H
#define RICOCHET_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

extern enum log_level log_threshold; /* lines below it are not printed */

/* Parses "debug|info|warn|error|off". Returns 0, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *level);

/* Receives every line at or above log_threshold: its level and the
 * formatted message (no newline, no time). ctx is log_set_sink's. */
typedef void (*log_sink)(void *ctx, enum log_level level, const char *msg);

/* Sends every later line to sink(ctx, ...); NULL restores log_stderr_sink. */
void log_set_sink(log_sink sink, void *ctx);

/* The default sink: the wall-clock time, the level and msg as one line on
 * stderr (one fprintf, so lines from one process never interleave). */
void log_stderr_sink(void *ctx, enum log_level level, const char *msg);

/* A sink for log collectors (--log-json): one JSON object per line on
 * stderr, {"time":"2026-11-21T12:00:00.123Z","level":"info",
 * "program":ctx,"msg":msg}, ctx being the program's name (a const char *).
 * msg is escaped; bytes that are not UTF-8 become U+FFFD. */
void log_json_sink(void *ctx, enum log_level level, const char *msg);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
