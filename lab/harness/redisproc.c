/* redisproc.c: see redisproc.h. It speaks just enough of Redis's protocol
 * to see it up (an inline PING answered +PONG), so nothing here needs
 * hiredis. */
#include "redisproc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "freeport.h"

#define START_MS 5000

/* The folder on PATH that holds prog (redis-server, redis-sentinel). */
static int redis_dir(const char *prog, char *out, size_t cap, char *err, size_t err_cap)
{
    const char *path = getenv("PATH");
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path ? path : "/usr/bin:/usr/sbin");
    for (char *save, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char full[4200];
        snprintf(full, sizeof full, "%s/%s", d, prog);
        if (access(full, X_OK) == 0) {
            snprintf(out, cap, "%s", d);
            return 0;
        }
    }
    snprintf(err, err_cap, "%s is not on PATH (Debian: apt-get install %s)", prog, prog);
    return -1;
}

/* Sends one inline command and reads the start of its reply into buf
 * (at most 200 ms). Returns the bytes read, or -1. */
static ssize_t ask(uint16_t port, const char *cmd, char *buf, size_t cap);

ssize_t redisproc_ask(const struct redisproc *r, const char *cmd, char *buf, size_t cap)
{
    char line[512];
    snprintf(line, sizeof line, "%s\r\n", cmd);
    return ask(r->port, line, buf, cap);
}

static ssize_t ask(uint16_t port, const char *cmd, char *buf, size_t cap)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ssize_t n = -1;
    size_t len = strlen(cmd);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        send(fd, cmd, len, MSG_NOSIGNAL) == (ssize_t)len) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) == 1)
            n = recv(fd, buf, cap - 1, 0);
    }
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

static bool answers_ping(uint16_t port)
{
    char buf[16];
    return ask(port, "PING\r\n", buf, sizeof buf) > 0 && strncmp(buf, "+PONG", 5) == 0;
}

int redisproc_count_keys(const struct redisproc *r, const char *pattern)
{
    char cmd[256], buf[64];
    if (strpbrk(pattern, " \r\n") ||
        snprintf(cmd, sizeof cmd, "KEYS %s\r\n", pattern) >= (int)sizeof cmd)
        return -1;
    /* only the array's header is read: "*COUNT\r\n" */
    if (ask(r->port, cmd, buf, sizeof buf) <= 0 || buf[0] != '*')
        return -1;
    return atoi(buf + 1);
}

/* Waits until the server on r->port answers PING (START_MS at most). */
static int wait_up(struct redisproc *r, char *err, size_t err_cap)
{
    uint64_t deadline = clock_now_ms() + START_MS;
    while (!answers_ping(r->port)) {
        if (!spawn_running(&r->proc) || clock_now_ms() > deadline) {
            char *out = spawn_read_stdout(&r->proc);
            const char *last = out ? strrchr(out, '#') : NULL;
            snprintf(err, err_cap, "%s on port %u did not start: %.200s", r->proc.prog,
                     r->port, last ? last : "");
            free(out);
            redisproc_stop(r);
            return -1;
        }
        clock_sleep_ms(20);
    }
    return 0;
}

/* A new temporary folder for r (r->dir). Returns 0 or -1 with a message. */
static int make_folder(struct redisproc *r, const char *what, char *err, size_t err_cap)
{
    snprintf(r->dir, sizeof r->dir, "/tmp/ricochet-%s-XXXXXX", what);
    if (!mkdtemp(r->dir)) {
        snprintf(err, err_cap, "%s: mkdtemp: %s", what, strerror(errno));
        r->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* Removes r's folder and what is in it (Redis writes files, not folders). */
static void remove_folder(struct redisproc *r)
{
    if (!r->dir[0])
        return;
    DIR *d = opendir(r->dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[sizeof r->dir + 300];
        snprintf(path, sizeof path, "%s/%s", r->dir, e->d_name);
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(r->dir);
    r->dir[0] = '\0';
    r->conf[0] = '\0';
}

static int start_on_port(struct redisproc *r, char *err, size_t err_cap)
{
    char dir[1024], port[8];
    if (redis_dir("redis-server", dir, sizeof dir, err, err_cap) != 0 ||
        make_folder(r, "redis", err, err_cap) != 0)
        return -1;
    snprintf(port, sizeof port, "%u", r->port);
    const char *args[15 + REDISPROC_EXTRA_MAX] = {"--port", port, "--bind", "127.0.0.1",
                                                  "--save", "", "--appendonly", "no",
                                                  "--daemonize", "no", "--dir", r->dir,
                                                  "--dbfilename", "dump.rdb"};
    size_t n = 14;
    for (size_t i = 0; i < r->n_extra; i++)
        args[n++] = r->extra[i];
    args[n] = NULL;
    if (spawn_start(&r->proc, dir, "redis-server", args, err, err_cap) != 0) {
        remove_folder(r);
        return -1;
    }
    return wait_up(r, err, err_cap);
}

int redisproc_start(struct redisproc *r, char *err, size_t err_cap)
{
    return redisproc_start_with(r, NULL, err, err_cap);
}

int redisproc_start_with(struct redisproc *r, const char *const *extra, char *err,
                         size_t err_cap)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; extra && extra[i]; i++) {
        if (r->n_extra == REDISPROC_EXTRA_MAX) {
            snprintf(err, err_cap, "redis-server: more than %d extra arguments",
                     REDISPROC_EXTRA_MAX);
            return -1;
        }
        snprintf(r->extra[r->n_extra++], sizeof r->extra[0], "%s", extra[i]);
    }
    if (free_port(SOCK_STREAM, &r->port, err, err_cap) != 0)
        return -1;
    snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%u", r->port);
    return start_on_port(r, err, err_cap);
}

/* Writes a sentinel's config file into a new temporary folder, which is
 * also its working directory (`dir`). */
static int sentinel_conf(struct redisproc *r, const char *master, const char *primary_host,
                         uint16_t primary_port, const char *bind, int quorum,
                         unsigned down_ms, char *err, size_t err_cap)
{
    if (make_folder(r, "sentinel", err, err_cap) != 0)
        return -1;
    snprintf(r->conf, sizeof r->conf, "%s/sentinel.conf", r->dir);
    FILE *f = fopen(r->conf, "w");
    if (!f) {
        snprintf(err, err_cap, "sentinel: %s: %s", r->conf, strerror(errno));
        remove_folder(r);
        return -1;
    }
    fprintf(f, "port %u\nbind 127.0.0.1%s%s\nprotected-mode no\ndaemonize no\ndir %s\n"
               "sentinel monitor %s %s %u %d\n"
               "sentinel down-after-milliseconds %s %u\n"
               "sentinel failover-timeout %s %u\n"
               "sentinel parallel-syncs %s 1\n",
            r->port, bind ? " " : "", bind ? bind : "", r->dir, master, primary_host,
            (unsigned)primary_port, quorum, master, down_ms, master, 4 * down_ms, master);
    fclose(f);
    return 0;
}

int redisproc_start_sentinel(struct redisproc *r, const char *master, uint16_t primary_port,
                             int quorum, unsigned down_ms, char *err, size_t err_cap)
{
    return redisproc_start_sentinel_at(r, master, "127.0.0.1", primary_port, NULL, quorum,
                                       down_ms, err, err_cap);
}

int redisproc_start_sentinel_at(struct redisproc *r, const char *master,
                                const char *primary_host, uint16_t primary_port,
                                const char *bind, int quorum, unsigned down_ms, char *err,
                                size_t err_cap)
{
    char dir[1024];
    memset(r, 0, sizeof *r);
    if (redis_dir("redis-sentinel", dir, sizeof dir, err, err_cap) != 0 ||
        free_port(SOCK_STREAM, &r->port, err, err_cap) != 0 ||
        sentinel_conf(r, master, primary_host, primary_port, bind, quorum, down_ms, err,
                      err_cap) != 0)
        return -1;
    snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%u", r->port);
    const char *args[] = {r->conf, NULL};
    if (spawn_start(&r->proc, dir, "redis-sentinel", args, err, err_cap) != 0) {
        redisproc_stop(r);
        return -1;
    }
    return wait_up(r, err, err_cap);
}

int redisproc_restart(struct redisproc *r, char *err, size_t err_cap)
{
    return start_on_port(r, err, err_cap);
}

void redisproc_stop(struct redisproc *r)
{
    if (r->proc.pid > 0)
        spawn_stop(&r->proc, SIGTERM, 3000);
    spawn_free(&r->proc);
    memset(&r->proc, 0, sizeof r->proc);
    /* Redis rewrites and leaves files there (a sentinel its config, a
     * replica dump.rdb): the folder goes whole. */
    remove_folder(r);
}
