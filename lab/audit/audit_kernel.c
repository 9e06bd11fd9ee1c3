/* audit_kernel.c: the datagrams the kernel dropped on a socket whose
 * receive buffer was full, as /proc counts them, or the socket's own
 * SO_MEMINFO (see audit.h). */
#include "audit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sock_diag.h>

/* One /proc/net/udp* file: drops[i] for each line whose inode is inodes[i]. */
static int proc_udp_drops(const char *path, const ino_t *inodes, size_t n, uint64_t *drops)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    unsigned long inode;
    unsigned long long count;
    while (fgets(line, sizeof line, f)) {
        /* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops */
        if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %llu", &inode,
                   &count) != 2)
            continue; /* the header */
        for (size_t i = 0; i < n; i++)
            if (inodes[i] == (ino_t)inode)
                drops[i] = count;
    }
    fclose(f);
    return 0;
}

int audit_socket_drops(const int *fds, size_t n, uint64_t *drops, size_t *owner)
{
    for (size_t i = 0; owner && i < n; i++)
        owner[i] = i > 0 && fds[i - 1] == fds[i] ? owner[i - 1] : i;
    ino_t *inodes = calloc(n ? n : 1, sizeof *inodes);
    if (!inodes)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        inodes[i] = fstat(fds[i], &st) == 0 ? st.st_ino : 0;
        drops[i] = 0;
    }
    int v4 = proc_udp_drops("/proc/net/udp", inodes, n, drops);
    int v6 = proc_udp_drops("/proc/net/udp6", inodes, n, drops);
    free(inodes);
    return v4 == 0 || v6 == 0 ? 0 : -1;
}

int audit_fd_drops(int fd, uint64_t *drops)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
        len <= SK_MEMINFO_DROPS * sizeof mem[0])
        return -1;
    *drops = mem[SK_MEMINFO_DROPS];
    return 0;
}

long audit_process_sockets(pid_t pid, ino_t **out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    size_t n = 0, cap = 16;
    ino_t *inodes = malloc(cap * sizeof *inodes);
    struct dirent *e;
    while (inodes && (e = readdir(d))) {
        char link[96], target[64];
        unsigned long inode;
        snprintf(link, sizeof link, "%s/%.20s", path, e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (sscanf(target, "socket:[%lu]", &inode) != 1)
            continue;
        if (n == cap) {
            ino_t *bigger = realloc(inodes, (cap *= 2) * sizeof *inodes);
            if (!bigger) {
                free(inodes);
                inodes = NULL;
                break;
            }
            inodes = bigger;
        }
        inodes[n++] = (ino_t)inode;
    }
    closedir(d);
    *out = inodes;
    return inodes ? (long)n : -1;
}

int audit_process_socket_drops(pid_t pid, uint64_t *drops)
{
    ino_t *inodes = NULL;
    long n = audit_process_sockets(pid, &inodes);
    uint64_t *each = n > 0 ? calloc((size_t)n, sizeof *each) : NULL;
    *drops = 0;
    if (n < 0 || (n > 0 && !each)) {
        free(inodes);
        return -1;
    }
    char path[64]; /* the process's own network namespace's sockets */
    snprintf(path, sizeof path, "/proc/%ld/net/udp", (long)pid);
    proc_udp_drops(path, inodes, (size_t)n, each);
    snprintf(path, sizeof path, "/proc/%ld/net/udp6", (long)pid);
    proc_udp_drops(path, inodes, (size_t)n, each);
    for (long i = 0; i < n; i++)
        *drops += each[i];
    free(each);
    free(inodes);
    return 0;
}
