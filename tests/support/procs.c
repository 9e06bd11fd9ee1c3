/* procs.c: see procs.h. */
#include "procs.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool procs_alive(pid_t pid)
{
    char path[64], stat_line[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    const char *end = fgets(stat_line, sizeof stat_line, f) ? strrchr(stat_line, ')') : NULL;
    fclose(f);
    return end && end[2] != 'Z';
}

/* The inode a "net:[INODE]" link at path names, or 0. */
static uint64_t netns_link(const char *path)
{
    char target[64];
    ssize_t n = readlink(path, target, sizeof target - 1);
    uint64_t ino = 0;
    if (n > 0) {
        target[n] = '\0';
        if (sscanf(target, "net:[%" SCNu64 "]", &ino) != 1)
            ino = 0;
    }
    return ino;
}

size_t procs_netns_of(pid_t pid, uint64_t *out, size_t cap)
{
    char path[600];
    size_t n = 0;
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    uint64_t own = netns_link(path);
    if (own && n < cap)
        out[n++] = own;
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *fds = opendir(path);
    for (struct dirent *d; fds && (d = readdir(fds));) {
        snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)pid, d->d_name);
        uint64_t ino = netns_link(path);
        bool seen = !ino;
        for (size_t i = 0; i < n && !seen; i++)
            seen = out[i] == ino;
        if (!seen && n < cap)
            out[n++] = ino;
    }
    if (fds)
        closedir(fds);
    return n;
}

bool procs_netns_held(uint64_t ino)
{
    DIR *proc = opendir("/proc");
    bool held = false;
    for (struct dirent *e; proc && !held && (e = readdir(proc));) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        uint64_t ns[64];
        size_t n = procs_netns_of(atoi(e->d_name), ns, 64);
        for (size_t i = 0; i < n && !held; i++)
            held = ns[i] == ino;
    }
    if (proc)
        closedir(proc);
    return held;
}

size_t procs_children(pid_t parent, const char *comm, pid_t *out, size_t cap)
{
    DIR *proc = opendir("/proc");
    size_t n = 0;
    for (struct dirent *e; proc && n < cap && (e = readdir(proc));) {
        char path[300], line[512];
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        const char *open = fgets(line, sizeof line, f) ? strchr(line, '(') : NULL;
        const char *close = open ? strrchr(line, ')') : NULL;
        int ppid = 0;
        char state;
        if (close && sscanf(close + 2, "%c %d", &state, &ppid) == 2 && ppid == (int)parent &&
            state != 'Z' && (size_t)(close - open - 1) == strlen(comm) &&
            !strncmp(open + 1, comm, strlen(comm)))
            out[n++] = atoi(e->d_name);
        fclose(f);
    }
    if (proc)
        closedir(proc);
    return n;
}
