/* procstat.h: the standard process_ series of a Prometheus client (CPU
 * seconds, resident and virtual memory, open and maximum file
 * descriptors, start time), read from Linux's /proc for this process. */
#ifndef RICOCHET_PROCSTAT_H
#define RICOCHET_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>

struct promtext;

struct procstat {
    double cpu_seconds;      /* user + system */
    uint64_t resident_bytes;
    uint64_t virtual_bytes;
    uint64_t open_fds;
    uint64_t max_fds;        /* the soft RLIMIT_NOFILE */
    double start_time_s;     /* since the Unix epoch */
};

/* Pure: fills the CPU, memory and start fields from the text of
 * /proc/PID/stat (a process name may hold spaces and parentheses), given
 * the clock ticks per second, the page size and the boot time (Unix
 * seconds). Returns 0, or -1 if the text is not such a line. */
int procstat_parse(const char *stat, long ticks_per_s, long page_size, double boot_time_s,
                   struct procstat *out);

/* Reads this process's figures from /proc. Returns 0, or -1 with errno
 * set (nothing useful in out). */
int procstat_read(struct procstat *out);

/* Writes the process_ families (HELP, TYPE, sample) for ps. */
void procstat_write(struct promtext *t, const struct procstat *ps);

#endif
