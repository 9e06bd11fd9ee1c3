/* log.c: one line per call, at or above the threshold, handed to the
 * program's sink: stderr as text (the default) or as JSON. */
#include "log.h"
#include "proto/utf8.h"

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

/* msg as the inside of a JSON string into out (cap >= 8). Truncates at a
 * whole character. */
static void json_escape(const char *msg, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)msg; *s;) {
        char esc[8];
        size_t n = 1;
        const char *put = esc;
        if (*s == '"' || *s == '\\')
            snprintf(esc, sizeof esc, "\\%c", *s);
        else if (*s < 0x20 || *s == 0x7f)
            snprintf(esc, sizeof esc, "\\u%04x", *s);
        else if (*s < 0x80)
            snprintf(esc, sizeof esc, "%c", *s);
        else if ((n = proto_utf8_len(s, 4)) != 0) /* a NUL stops it */
            snprintf(esc, sizeof esc, "%.*s", (int)n, (const char *)s);
        else {
            put = "\\ufffd";
            n = 1;
        }
        size_t len = strlen(put);
        if (o + len >= cap)
            break;
        memcpy(out + o, put, len);
        o += len;
        s += n;
    }
    out[o] = '\0';
}

void log_json_sink(void *ctx, enum log_level level, const char *msg)
{
    char stamp[32], text[2048];
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    json_escape(msg, text, sizeof text);
    fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"program\":\"%s\","
                    "\"msg\":\"%s\"}\n",
            stamp, (long)(tv.tv_usec / 1000), level_names[level], (const char *)ctx, text);
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
