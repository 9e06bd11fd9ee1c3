/* harness.c: see harness.h. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../client/client.h"

/* Children still to be killed at exit, and temp files still to be removed.
 * A test may keep its struct spawn_proc on the stack, so the registry
 * keeps copies. pid > 0: maybe running; pid == -1: reaped, files remain;
 * pid == 0: free slot. */
#define REGISTRY_MAX 128
static struct {
    pid_t pid;
    char out_path[64], err_path[64];
} registry[REGISTRY_MAX];
static bool atexit_done;

uint64_t harness_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

const char *harness_bin_dir(void)
{
    const char *dir = getenv("RICOCHET_BIN");
    return dir && *dir ? dir : "build/asan/bin";
}

static void registry_add(const struct spawn_proc *p)
{
    for (int i = 0; i < REGISTRY_MAX; i++) {
        if (registry[i].pid == 0) {
            registry[i].pid = p->pid;
            memcpy(registry[i].out_path, p->out_path, sizeof p->out_path);
            memcpy(registry[i].err_path, p->err_path, sizeof p->err_path);
            return;
        }
    }
}

/* The child was reaped: nothing to kill, files still to remove. */
static void registry_reaped(pid_t pid)
{
    for (int i = 0; i < REGISTRY_MAX; i++)
        if (pid > 0 && registry[i].pid == pid)
            registry[i].pid = -1;
}

/* harness_proc_free removed the files: forget the slot. */
static void registry_drop(const char *out_path)
{
    for (int i = 0; i < REGISTRY_MAX; i++)
        if (registry[i].pid != 0 && strcmp(registry[i].out_path, out_path) == 0)
            registry[i].pid = 0;
}

void harness_kill_all(void)
{
    for (int i = 0; i < REGISTRY_MAX; i++) {
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

static int make_temp(char *path, size_t cap, const char *what)
{
    snprintf(path, cap, "/tmp/ricochet-test-%s-XXXXXX", what);
    int fd = mkstemp(path);
    if (fd < 0)
        fprintf(stderr, "harness: mkstemp: %s\n", strerror(errno));
    return fd;
}

int harness_spawn(struct spawn_proc *p, const char *prog,
                  const char *const *args)
{
    memset(p, 0, sizeof *p);
    snprintf(p->prog, sizeof p->prog, "%s", prog);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", harness_bin_dir(), prog);
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "harness: %s: %s (set RICOCHET_BIN)\n", path,
                strerror(errno));
        return -1;
    }
    const char *argv[HARNESS_MAX_ARGS + 2];
    size_t argc = 0;
    argv[argc++] = path;
    for (size_t i = 0; args && args[i] && argc < HARNESS_MAX_ARGS + 1; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;

    int out = make_temp(p->out_path, sizeof p->out_path, "out");
    if (out < 0)
        return -1;
    int err = make_temp(p->err_path, sizeof p->err_path, "err");
    if (err < 0) {
        close(out);
        unlink(p->out_path);
        return -1;
    }
    if (!atexit_done) {
        atexit(harness_kill_all);
        atexit_done = true;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "harness: fork: %s\n", strerror(errno));
        close(out);
        close(err);
        unlink(p->out_path);
        unlink(p->err_path);
        return -1;
    }
    if (pid == 0) {
        /* Die with the test, even if it crashes. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        close(out);
        close(err);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        execv(path, (char *const *)argv);
        fprintf(stderr, "harness: exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(out);
    close(err);
    p->pid = pid;
    registry_add(p);
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
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len + 1 < cap)
            break;
        cap *= 2;
        char *bigger = realloc(buf, cap);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

char *harness_read_stdout(const struct spawn_proc *p)
{
    return read_file(p->out_path);
}

char *harness_read_stderr(const struct spawn_proc *p)
{
    return read_file(p->err_path);
}

bool harness_running(struct spawn_proc *p)
{
    if (p->pid <= 0 || p->exited)
        return false;
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid) {
        p->exited = true;
        p->status = status;
        registry_reaped(p->pid);
        return false;
    }
    return true;
}

int harness_wait_listening(struct spawn_proc *p, int timeout_ms)
{
    uint64_t deadline = harness_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        char *text = harness_read_stderr(p);
        const char *at = text ? strstr(text, "listening on ") : NULL;
        if (at) {
            /* "listening on IP:PORT (...)": the port follows the last ':'
             * before the first space after the address. */
            const char *addr = at + strlen("listening on ");
            const char *end = strchr(addr, ' ');
            if (!end)
                end = addr + strlen(addr);
            const char *colon = NULL;
            for (const char *c = addr; c < end; c++)
                if (*c == ':')
                    colon = c;
            if (colon && end > colon + 1) {
                int port = atoi(colon + 1);
                free(text);
                if (port > 0 && port < 65536)
                    return port;
                return -1;
            }
        }
        free(text);
        if (!harness_running(p)) {
            char *err = harness_read_stderr(p);
            fprintf(stderr, "harness: %s exited before listening:\n%s\n",
                    p->prog, err ? err : "");
            free(err);
            return -1;
        }
        if (harness_now_ms() >= deadline) {
            fprintf(stderr, "harness: %s: no \"listening on\" line within %d ms\n",
                    p->prog, timeout_ms);
            return -1;
        }
        sleep_ms(10);
    }
}

int harness_start_relay(struct spawn_proc *p, const char *const *args)
{
    const char *argv[HARNESS_MAX_ARGS + 1];
    size_t n = 0;
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--port";
    argv[n++] = "0";
    for (size_t i = 0; args && args[i] && n < HARNESS_MAX_ARGS; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (harness_spawn(p, "ricochet-relay", argv) != 0)
        return -1;
    int port = harness_wait_listening(p, 10000);
    if (port < 0)
        harness_stop(p, SIGKILL, 2000);
    return port;
}

int harness_stop(struct spawn_proc *p, int sig, int timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    if (!p->exited) {
        if (sig > 0)
            kill(p->pid, sig);
        uint64_t deadline = harness_now_ms() + (uint64_t)timeout_ms;
        while (harness_running(p) && harness_now_ms() < deadline)
            sleep_ms(5);
        if (!p->exited) {
            fprintf(stderr, "harness: %s did not exit within %d ms: SIGKILL\n",
                    p->prog, timeout_ms);
            kill(p->pid, SIGKILL);
            if (waitpid(p->pid, &p->status, 0) == p->pid)
                p->exited = true;
            registry_reaped(p->pid);
        }
    }
    if (WIFEXITED(p->status))
        return WEXITSTATUS(p->status);
    if (WIFSIGNALED(p->status))
        return 128 + WTERMSIG(p->status);
    return -1;
}

void harness_proc_free(struct spawn_proc *p)
{
    if (p->pid > 0 && !p->exited)
        harness_stop(p, SIGKILL, 2000);
    if (p->out_path[0])
        unlink(p->out_path);
    if (p->err_path[0])
        unlink(p->err_path);
    if (p->out_path[0])
        registry_drop(p->out_path);
    memset(p, 0, sizeof *p);
}

long long harness_stats_field(const char *text, bool want_final,
                              const char *path)
{
    long long result = -1;
    if (!text)
        return -1;
    /* Scan every line; keep the last one that matches. */
    const char *line = text;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        cJSON *obj = len && line[0] == '{' ? cJSON_ParseWithLength(line, len) : NULL;
        const cJSON *type = obj ? cJSON_GetObjectItemCaseSensitive(obj, "type") : NULL;
        if (cJSON_IsString(type) && strcmp(type->valuestring, "stats") == 0 &&
            (!want_final ||
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "final")))) {
            const cJSON *node = obj;
            char key[128];
            const char *k = path;
            long long sum = -1;
            while (node && *k) {
                if (strcmp(k, "*") == 0) {
                    /* "drops.*": the sum of every counter in the object */
                    const cJSON *item;
                    sum = 0;
                    cJSON_ArrayForEach(item, node)
                        if (cJSON_IsNumber(item))
                            sum += (long long)item->valuedouble;
                    break;
                }
                const char *dot = strchr(k, '.');
                size_t kl = dot ? (size_t)(dot - k) : strlen(k);
                if (kl >= sizeof key)
                    kl = sizeof key - 1;
                memcpy(key, k, kl);
                key[kl] = '\0';
                node = cJSON_GetObjectItemCaseSensitive(node, key);
                k = dot ? dot + 1 : k + kl;
            }
            /* A line without the field (e.g. no drops yet) counts as 0 for
             * "drops.*", missing otherwise. */
            if (sum >= 0)
                result = sum;
            else if (cJSON_IsNumber(node))
                result = (long long)node->valuedouble;
            else if (strncmp(path, "drops.", 6) == 0)
                result = 0;
            else
                result = -1;
        }
        cJSON_Delete(obj);
        if (!eol)
            break;
        line = eol + 1;
    }
    return result;
}

int harness_poll_until(struct client *const *clients, size_t n, int timeout_ms,
                       void (*on_event)(void *ctx, size_t index,
                                        const struct client_event *ev),
                       bool (*done)(void *ctx), void *ctx)
{
    uint64_t deadline = harness_now_ms() + (uint64_t)timeout_ms;
    bool *over = calloc(n ? n : 1, sizeof *over);
    struct pollfd *fds = calloc(n ? n : 1, sizeof *fds);
    int rc = -1;
    if (!over || !fds)
        goto out;
    for (;;) {
        /* Drain every client's pending events. */
        for (size_t i = 0; i < n; i++) {
            if (!clients[i] || over[i])
                continue;
            struct client_event ev;
            for (int guard = 0; guard < 100000; guard++) {
                int r = client_poll(clients[i], 0, &ev);
                if (r == 0)
                    break;
                if (r < 0) {
                    over[i] = true;
                    break;
                }
                if (on_event)
                    on_event(ctx, i, &ev);
            }
        }
        if (done && done(ctx)) {
            rc = 0;
            goto out;
        }
        uint64_t now = harness_now_ms();
        if (now >= deadline)
            goto out;
        nfds_t nfds = 0;
        for (size_t i = 0; i < n; i++) {
            if (!clients[i] || over[i])
                continue;
            int fd = client_socket_fd(clients[i]);
            if (fd >= 0) {
                fds[nfds].fd = fd;
                fds[nfds].events = POLLIN;
                nfds++;
            }
        }
        /* Wake at least every 10 ms: ENet also has timers (resends, pings). */
        int wait = (int)(deadline - now);
        if (wait > 10)
            wait = 10;
        if (nfds)
            poll(fds, nfds, wait);
        else
            sleep_ms(wait);
    }
out:
    free(over);
    free(fds);
    return rc;
}

static bool never(void *ctx)
{
    (void)ctx;
    return false;
}

void harness_poll_for(struct client *const *clients, size_t n, int ms,
                      void (*on_event)(void *ctx, size_t index,
                                       const struct client_event *ev),
                      void *ctx)
{
    harness_poll_until(clients, n, ms, on_event, never, ctx);
}

void harness_rec_event(void *ctx, size_t i, const struct client_event *ev)
{
    struct harness_rec *r = ctx;
    if (i >= HARNESS_MAX_CLIENTS)
        return;
    switch (ev->type) {
    case CLIENT_EV_WELCOME:
        r->welcomed[i] = true;
        break;
    case CLIENT_EV_STATE: {
        uint32_t id = ev->state.sender;
        if (id != ev->id || id == 0 || id >= HARNESS_MAX_IDS) {
            r->states_bad_id[i]++;
            break;
        }
        if (id == client_id(r->c[i]))
            r->self_states[i]++;
        r->states[i][id]++;
        if (ev->arrived_as < 4)
            r->arrived[i][ev->arrived_as]++;
        r->arrived_as[i][id] = ev->arrived_as;
        r->last[i][id] = ev->state;
        break;
    }
    case CLIENT_EV_JOINED:
        if (r->n_joined[i] < HARNESS_MAX_NOTICES) {
            r->joined[i][r->n_joined[i]] = ev->id;
            snprintf(r->joined_name[i][r->n_joined[i]], PROTO_NAME_MAX + 1, "%s",
                     ev->control ? ev->control->name : "");
            r->n_joined[i]++;
        }
        break;
    case CLIENT_EV_LEFT:
        if (r->n_left[i] < HARNESS_MAX_NOTICES) {
            r->left[i][r->n_left[i]] = ev->id;
            r->left_reason[i][r->n_left[i]] =
                ev->control ? ev->control->reason : PROTO_LEFT_QUIT;
            r->n_left[i]++;
        }
        break;
    case CLIENT_EV_ERROR:
        r->n_errors[i]++;
        snprintf(r->last_error[i], sizeof r->last_error[i], "%s",
                 ev->control ? ev->control->code : "");
        break;
    case CLIENT_EV_CHAT:
        r->n_chat[i]++;
        break;
    case CLIENT_EV_DISCONNECTED:
        r->disconnected[i] = true;
        break;
    }
}

bool harness_rec_saw_left(const struct harness_rec *r, size_t i, uint32_t id,
                          enum proto_left_reason reason)
{
    for (size_t k = 0; k < r->n_left[i]; k++)
        if (r->left[i][k] == id && r->left_reason[i][k] == reason)
            return true;
    return false;
}

struct client *harness_client(uint16_t port, const char *room, const char *name,
                              enum proto_mode mode, bool reflect)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room,
                                .name = name, .mode = mode, .reflect = reflect,
                                .timeout_ms = 5000};
    char err[256] = "";
    struct client *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", name, err);
    return c;
}
