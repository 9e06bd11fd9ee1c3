/* procstat.c: see procstat.h. */
#include "procstat.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "promtext.h"

/* Fields of /proc/PID/stat counted from 1 (proc(5)). */
#define STAT_UTIME 14
#define STAT_STIME 15
#define STAT_STARTTIME 22
#define STAT_VSIZE 23
#define STAT_RSS 24

int procstat_parse(const char *stat, long ticks_per_s, long page_size, double boot_time_s,
                   struct procstat *out)
{
    /* The name (field 2) is in parentheses and may hold anything: the
     * fields go on after the last ')'. */
    const char *p = strrchr(stat, ')');
    if (!p || ticks_per_s <= 0 || page_size <= 0)
        return -1;
    unsigned long long f[STAT_RSS + 1] = { 0 };
    int field = 3;
    for (p++; field <= STAT_RSS; field++) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            return -1;
        char *end;
        f[field] = strtoull(p, &end, 10);
        if (field == 3) /* the state, a letter */
            end = (char *)p + 1;
        if (end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
            return -1;
        p = end;
    }
    out->cpu_seconds = (double)(f[STAT_UTIME] + f[STAT_STIME]) / (double)ticks_per_s;
    out->resident_bytes = f[STAT_RSS] * (unsigned long long)page_size;
    out->virtual_bytes = f[STAT_VSIZE];
    out->start_time_s = boot_time_s + (double)f[STAT_STARTTIME] / (double)ticks_per_s;
    return 0;
}

static double boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    double btime = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lf", &btime) == 1)
            break;
    if (f)
        fclose(f);
    return btime;
}

static uint64_t count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    uint64_t n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n ? n - 1 : 0; /* not the directory's own descriptor */
}

int procstat_read(struct procstat *out)
{
    char text[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    memset(out, 0, sizeof *out);
    if (procstat_parse(text, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_time(), out)) {
        errno = EINVAL;
        return -1;
    }
    out->open_fds = count_fds();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        out->max_fds = rl.rlim_cur;
    return 0;
}

void procstat_write(struct promtext *t, const struct procstat *ps)
{
    promtext_family(t, "process_cpu_seconds_total", "counter",
                    "User and system CPU time spent, seconds.");
    promtext_sample(t, "process_cpu_seconds_total", NULL, NULL, ps->cpu_seconds);
    promtext_family(t, "process_resident_memory_bytes", "gauge", "Resident memory size, bytes.");
    promtext_sample_u64(t, "process_resident_memory_bytes", NULL, NULL, ps->resident_bytes);
    promtext_family(t, "process_virtual_memory_bytes", "gauge", "Virtual memory size, bytes.");
    promtext_sample_u64(t, "process_virtual_memory_bytes", NULL, NULL, ps->virtual_bytes);
    promtext_family(t, "process_open_fds", "gauge", "Open file descriptors.");
    promtext_sample_u64(t, "process_open_fds", NULL, NULL, ps->open_fds);
    promtext_family(t, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    promtext_sample_u64(t, "process_max_fds", NULL, NULL, ps->max_fds);
    promtext_family(t, "process_start_time_seconds", "gauge",
                    "Start time of the process since the Unix epoch, seconds.");
    promtext_sample(t, "process_start_time_seconds", NULL, NULL, ps->start_time_s);
}
