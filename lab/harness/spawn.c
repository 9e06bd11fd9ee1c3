/* spawn.c: see spawn.h. */
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"

/* Children to kill and temp files to remove at exit. The struct spawn_proc
 * may live anywhere (a test's stack), so the registry keeps copies.
 * pid > 0: maybe running; pid == -1: reaped, files remain; 0: free slot. */
static struct {
    pid_t pid;
    char out_path[64], err_path[64];
} registry[SPAWN_MAX_CHILDREN];
static bool atexit_done;

static int registry_free_slot(void)
{
    for (int i = 0; i < SPAWN_MAX_CHILDREN; i++)
        if (registry[i].pid == 0)
            return i;
    return -1;
}

/* The child was reaped: nothing left to kill, its files still to remove. */
static void registry_reaped(pid_t pid)
{
    for (int i = 0; i < SPAWN_MAX_CHILDREN; i++)
        if (pid > 0 && registry[i].pid == pid)
            registry[i].pid = -1;
}

/* spawn_free removed the files: forget the slot. The path is unique while
 * the file exists, unlike a pid. */
static void registry_drop(const char *out_path)
{
    for (int i = 0; i < SPAWN_MAX_CHILDREN; i++)
        if (registry[i].pid != 0 && strcmp(registry[i].out_path, out_path) == 0)
            registry[i].pid = 0;
}

void spawn_kill_all(void)
{
    for (int i = 0; i < SPAWN_MAX_CHILDREN; i++) {
        if (registry[i].pid > 0) {
            kill(registry[i].pid, SIGKILL);
            waitpid(registry[i].pid, NULL, 0);
        }
        if (registry[i].pid != 0) {
            unlink(registry[i].out_path);
            unlink(registry[i].err_path);
            registry[i].pid = 0;
        }
    }
}

/* In the child, before exec: no descriptor of the parent's but 0-2 stays
 * open (a lock, a socket or a pipe held by a daemon that outlives its
 * parent holds up whoever waits on it). */
static void close_inherited(void)
{
    if (close_range(3, ~0U, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        close((int)fd);
}

/* In the child: its stdout and stderr to the temp files, stdin from
 * /dev/null, into netns (-1: stay), nothing else inherited, then prog. */
static void __attribute__((noreturn))
child_exec(const char *path, const char *const *argv, int out, int errfd, pid_t parent, int netns,
           const char *prog)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with the parent, even a crashed one */
    if (getppid() != parent)
        _exit(127);
    dup2(out, STDOUT_FILENO);
    dup2(errfd, STDERR_FILENO);
    close(out);
    close(errfd);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        close(devnull);
    }
    if (netns >= 0 && setns(netns, CLONE_NEWNET) != 0) {
        fprintf(stderr, "%s: cannot enter its network namespace: %s\n", prog,
                strerror(errno));
        _exit(127);
    }
    close_inherited();
    execv(path, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
    _exit(127);
}

/* prog is a plain file name: it names the file for whoever finds it. */
static int make_temp(char *path, size_t cap, const char *prog, const char *what,
                     char *err, size_t err_cap)
{
    snprintf(path, cap, "/tmp/%.24s-%s-XXXXXX", prog, what);
    int fd = mkstemp(path);
    if (fd < 0)
        snprintf(err, err_cap, "mkstemp %s: %s", path, strerror(errno));
    return fd;
}

int spawn_start(struct spawn_proc *p, const char *dir, const char *prog,
                const char *const *args, char *err, size_t err_cap)
{
    return spawn_start_in(p, -1, dir, prog, args, err, err_cap);
}

int spawn_start_in(struct spawn_proc *p, int netns, const char *dir, const char *prog,
                   const char *const *args, char *err, size_t err_cap)
{
    memset(p, 0, sizeof *p);
    snprintf(p->prog, sizeof p->prog, "%s", prog);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, prog);
    if (access(path, X_OK) != 0) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    const char *argv[SPAWN_MAX_ARGS + 2];
    size_t argc = 0;
    argv[argc++] = path;
    for (size_t i = 0; args && args[i]; i++) {
        if (argc > SPAWN_MAX_ARGS) {
            snprintf(err, err_cap, "%s: too many arguments", prog);
            return -1;
        }
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;

    int slot = registry_free_slot();
    if (slot < 0) {
        snprintf(err, err_cap, "%s: more than %d children not freed", prog,
                 SPAWN_MAX_CHILDREN);
        return -1;
    }

    int out = make_temp(p->out_path, sizeof p->out_path, prog, "out", err, err_cap);
    if (out < 0)
        return -1;
    int errfd = make_temp(p->err_path, sizeof p->err_path, prog, "err", err, err_cap);
    if (errfd < 0) {
        close(out);
        unlink(p->out_path);
        return -1;
    }
    if (!atexit_done) {
        atexit(spawn_kill_all);
        atexit_done = true;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_cap, "fork: %s", strerror(errno));
        close(out);
        close(errfd);
        unlink(p->out_path);
        unlink(p->err_path);
        return -1;
    }
    if (pid == 0)
        child_exec(path, argv, out, errfd, parent, netns, prog);
    close(out);
    close(errfd);
    p->pid = pid;
    registry[slot].pid = pid;
    memcpy(registry[slot].out_path, p->out_path, sizeof p->out_path);
    memcpy(registry[slot].err_path, p->err_path, sizeof p->err_path);
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

char *spawn_read_stdout(const struct spawn_proc *p)
{
    return read_file(p->out_path);
}

char *spawn_read_stderr(const struct spawn_proc *p)
{
    return read_file(p->err_path);
}

/* Reaps p if it has exited. Returns true while it runs. */
static bool running(struct spawn_proc *p)
{
    if (p->pid <= 0)
        return false;
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == 0)
        return true;
    if (r == p->pid) {
        p->status = status;
        p->exited = true;
    }
    registry_reaped(p->pid);
    p->pid = 0;
    return false;
}

int spawn_signal(const struct spawn_proc *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    return kill(p->pid, sig);
}

bool spawn_running(struct spawn_proc *p)
{
    return running(p);
}

/* "exit 1" or "signal 6" for a reaped child. */
static void describe_exit(const struct spawn_proc *p, char *buf, size_t cap)
{
    if (!p->exited)
        snprintf(buf, cap, "status unknown");
    else if (WIFEXITED(p->status))
        snprintf(buf, cap, "exit %d", WEXITSTATUS(p->status));
    else
        snprintf(buf, cap, "signal %d", WTERMSIG(p->status));
}

/* err = "PROG exited before listening (exit 1):" and as many whole last
 * lines of its stderr as fit: usually its error, or the end of a sanitizer
 * report. */
static void explain_early_exit(const struct spawn_proc *p, char *text,
                               char *err, size_t err_cap)
{
    char how[32];
    describe_exit(p, how, sizeof how);
    int n = snprintf(err, err_cap, "%s exited before listening (%s):", p->prog, how);
    if (!text || n < 0 || (size_t)n + 2 >= err_cap)
        return;
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    size_t room = err_cap - (size_t)n - 2; /* a separator and the NUL */
    const char *tail = text;
    if (len > room) {
        tail = text + len - room;
        const char *nl = strchr(tail, '\n');
        if (nl) /* start at a line; a single too-long line is cut instead */
            tail = nl + 1;
    }
    snprintf(err + n, err_cap - (size_t)n, "%s%s", strchr(tail, '\n') ? "\n" : " ",
             tail);
}

/* The whole line of text holding at, into line (without its newline). */
static void copy_line(const char *text, const char *at, char *line, size_t cap)
{
    const char *start = at, *end = strchr(at, '\n');
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(line, cap, "%.*s", (int)(end - start), start);
}

int spawn_wait_line(struct spawn_proc *p, const char *marker, int timeout_ms, char *line,
                    size_t line_cap, char *err, size_t err_cap)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        /* check for exit first: a child that exits has written all it will */
        bool up = running(p);
        char *text = spawn_read_stderr(p);
        const char *at = text ? strstr(text, marker) : NULL;
        /* wait for the whole line: its end may still be half written */
        if (at && strchr(at, '\n')) {
            copy_line(text, at, line, line_cap);
            free(text);
            return 0;
        }
        if (!up) {
            explain_early_exit(p, text, err, err_cap);
            free(text);
            return -1;
        }
        free(text);
        if (clock_now_ms() >= deadline) {
            int shown = (int)strlen(marker);
            while (shown > 0 && marker[shown - 1] == ' ')
                shown--;
            snprintf(err, err_cap, "%s: no \"%.*s\" line within %d ms", p->prog, shown, marker,
                     timeout_ms);
            return -1;
        }
        clock_sleep_ms(5);
    }
}

int spawn_wait_listening(struct spawn_proc *p, int timeout_ms, char *err,
                         size_t err_cap)
{
    char line[512];
    if (spawn_wait_line(p, "listening on ", timeout_ms, line, sizeof line, err, err_cap) != 0)
        return -1;
    /* "listening on 127.0.0.1:PORT (enet)": the port is up to the space */
    const char *colon = NULL;
    for (const char *q = strstr(line, "listening on ") + 13; *q && *q != ' '; q++)
        if (*q == ':')
            colon = q;
    int port = colon ? atoi(colon + 1) : 0;
    if (port > 0 && port < 65536)
        return port;
    snprintf(err, err_cap, "%s: cannot read the port in its listening line", p->prog);
    return -1;
}

int spawn_stop(struct spawn_proc *p, int sig, int timeout_ms)
{
    if (p->pid > 0) {
        if (sig)
            kill(p->pid, sig);
        uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
        while (running(p) && clock_now_ms() < deadline)
            clock_sleep_ms(2);
    }
    if (p->pid > 0) {
        if (sig != SIGKILL) /* worth knowing: it ignored sig or hangs */
            log_warn("%s (pid %d) still runs %d ms after signal %d (%s): SIGKILL",
                     p->prog, (int)p->pid, timeout_ms, sig,
                     sig ? strsignal(sig) : "none");
        kill(p->pid, SIGKILL);
        int status;
        if (waitpid(p->pid, &status, 0) == p->pid) {
            p->status = status;
            p->exited = true;
        }
        registry_reaped(p->pid);
        p->pid = 0;
    }
    if (!p->exited)
        return -1;
    if (WIFEXITED(p->status))
        return WEXITSTATUS(p->status);
    return 128 + WTERMSIG(p->status);
}

/* The CPU time of every thread of pid, to the nanosecond, from each
 * /proc/PID/task/TID/schedstat's first field (the time it ran); -1 where
 * the kernel has none. /proc/PID/stat counts in clock ticks (10 ms): a
 * light relay's round of a second can read 0 there. */
static double cpu_s_of_threads(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    unsigned long long ns = 0;
    int read = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char file[320];
        snprintf(file, sizeof file, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        FILE *f = fopen(file, "r");
        unsigned long long ran = 0;
        if (f && fscanf(f, "%llu", &ran) == 1) {
            ns += ran;
            read++;
        }
        if (f)
            fclose(f);
    }
    closedir(d);
    return read ? (double)ns / 1e9 : -1;
}

int spawn_usage(const struct spawn_proc *p, struct spawn_usage *u)
{
    char path[64], buf[4096];
    memset(u, 0, sizeof *u);
    if (p->pid <= 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name may hold spaces: fields start after the last ')' */
    const char *q = strrchr(buf, ')');
    if (!q)
        return -1;
    unsigned long utime = 0, stime = 0;
    /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime(14) stime(15) */
    if (sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &utime, &stime) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    u->cpu_s = cpu_s_of_threads(p->pid);
    if (u->cpu_s < 0)
        u->cpu_s = (double)(utime + stime) / (double)(hz > 0 ? hz : 100);

    snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmHWM:", 6))
            u->hwm_kb = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "VmRSS:", 6))
            u->rss_kb = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return 0;
}

void spawn_free(struct spawn_proc *p)
{
    if (p->pid > 0)
        spawn_stop(p, SIGKILL, 1000);
    if (p->out_path[0]) {
        unlink(p->out_path);
        registry_drop(p->out_path);
    }
    if (p->err_path[0])
        unlink(p->err_path);
    p->out_path[0] = p->err_path[0] = '\0';
}
