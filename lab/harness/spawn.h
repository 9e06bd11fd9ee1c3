/* spawn.h: child processes of ricochet-bench and of the tests (the relay,
 * netsim, bots).
 *
 * A child's stdout and stderr go to temp files, so no pipe can fill up and
 * block it; it gets PR_SET_PDEATHSIG(SIGKILL) so it dies with its parent,
 * it inherits no descriptor above 2 (nothing it could hold up), and
 * spawn_kill_all (also registered with atexit) kills whatever is left and
 * removes the temp files spawn_free did not. */
#ifndef RICOCHET_SPAWN_H
#define RICOCHET_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SPAWN_MAX_ARGS 64
#define SPAWN_MAX_CHILDREN 128 /* started and not yet spawn_free'd */

struct spawn_proc {
    pid_t pid;          /* 0 when not running (reaped) */
    int status;         /* waitpid status once reaped */
    bool exited;
    char prog[64];      /* "ricochet-relay", for messages */
    char out_path[64];  /* captured stdout */
    char err_path[64];  /* captured stderr */
};

/* CPU and memory of a running child, from /proc/PID/stat and status. */
struct spawn_usage {
    double cpu_s;       /* seconds on a CPU so far, every live thread, to the ns */
    long rss_kb;        /* VmRSS now */
    long hwm_kb;        /* VmHWM: peak resident set */
};

/* Starts dir/prog with args (NULL-terminated, without argv[0]); prog is a
 * plain file name. Returns 0, or -1 with a message in err. */
int spawn_start(struct spawn_proc *p, const char *dir, const char *prog,
                const char *const *args, char *err, size_t err_cap);

/* The same, the child in the network namespace netns (a descriptor, as
 * netlab.h holds them; -1: the caller's). A child that cannot enter it
 * exits 127 with the reason on its stderr. */
int spawn_start_in(struct spawn_proc *p, int netns, const char *dir, const char *prog,
                   const char *const *args, char *err, size_t err_cap);

/* Waits up to timeout_ms for a "listening on IP:PORT" line on p's stderr.
 * Returns the port, or -1 with a message in err (timeout, or the child
 * exited: then err names it, its exit status and the end of its stderr). */
int spawn_wait_listening(struct spawn_proc *p, int timeout_ms, char *err,
                         size_t err_cap);

/* Waits up to timeout_ms for a whole line holding marker on p's stderr,
 * copied into line (without its newline). Returns 0, or -1 with a message
 * in err as spawn_wait_listening's. */
int spawn_wait_line(struct spawn_proc *p, const char *marker, int timeout_ms, char *line,
                    size_t line_cap, char *err, size_t err_cap);

/* Sends sig (0: none, just wait), waits up to timeout_ms for the exit, then
 * SIGKILLs (with a warning on stderr). Returns the exit code, 128+signal if
 * killed, -1 if it never ran. Safe to call again: same result. */
int spawn_stop(struct spawn_proc *p, int sig, int timeout_ms);

/* Sends sig to a running child (no wait). Returns 0, or -1 if not running. */
int spawn_signal(const struct spawn_proc *p, int sig);

/* Whether the child still runs (reaps it once it has exited). */
bool spawn_running(struct spawn_proc *p);

/* Reads a running child's usage. Returns 0, or -1 (not running, no /proc). */
int spawn_usage(const struct spawn_proc *p, struct spawn_usage *u);

/* The whole captured stdout or stderr, malloc'ed and NUL-terminated (caller
 * frees); NULL on error. */
char *spawn_read_stdout(const struct spawn_proc *p);
char *spawn_read_stderr(const struct spawn_proc *p);

/* Kills p if still running, reaps it and removes its temp files. */
void spawn_free(struct spawn_proc *p);

/* SIGKILLs every child still running and removes every temp file not yet
 * removed (atexit and signal paths). */
void spawn_kill_all(void);

#endif
