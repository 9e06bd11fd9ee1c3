/* fleet_e2e.c: see fleet_e2e.h. */
#include "fleet_e2e.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* The relay's arguments: the fleet's, then extra. */
static size_t fleet_args(const char **argv, size_t cap, struct fleet_relay *r,
                         const char *url, const char *const *extra)
{
    static const char *const base[] = {"--port", "0", "--directory-ttl", FLEET_TTL,
                                       "--stats-interval", "0", "--directory"};
    snprintf(r->advertise, sizeof r->advertise, "%s:0", r->host);
    size_t n = 0;
    argv[n++] = "--bind";
    argv[n++] = r->host;
    argv[n++] = "--advertise";
    argv[n++] = r->advertise;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        argv[n++] = base[i];
    argv[n++] = url;
    for (size_t i = 0; extra && extra[i] && n + 1 < cap; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return n;
}

static void wait_port(struct fleet_relay *r)
{
    char err[4096];
    int port = spawn_wait_listening(&r->p, 10000, err, sizeof err);
    if (port <= 0) {
        spawn_stop(&r->p, SIGKILL, 2000);
        fail_msg("a relay of the fleet did not start: %s", err);
    }
    r->port = (uint16_t)port;
}

void fleet_start_relay(struct fleet_relay *r, const char *url, const char *const *extra)
{
    fleet_start_relay_in(r, -1, "127.0.0.1", url, extra);
}

void fleet_start_relay_in(struct fleet_relay *r, int netns, const char *host, const char *url,
                          const char *const *extra)
{
    const char *argv[32];
    char err[256];
    memset(r, 0, sizeof *r);
    snprintf(r->host, sizeof r->host, "%s", host);
    fleet_args(argv, 32, r, url, extra);
    if (spawn_start_in(&r->p, netns, harness_bin_dir(), "ricochet-relay", argv, err,
                       sizeof err) != 0)
        fail_msg("ricochet-relay did not start: %s", err);
    wait_port(r);
    r->pid = r->p.pid;
}

/* The one child of pid (unshare --fork's), from /proc; 0 if none yet. */
static pid_t child_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    char *text = harness_read_text(path);
    pid_t child = text ? (pid_t)atoi(text) : 0;
    free(text);
    return child;
}

void fleet_start_relay_ns(struct fleet_relay *r, const char *url, const char *const *extra,
                          unsigned boottime_s)
{
    char relay[1024], boot[16], err[256];
    snprintf(relay, sizeof relay, "%s/ricochet-relay", harness_bin_dir());
    snprintf(boot, sizeof boot, "%u", boottime_s);
    const char *argv[40] = {"--time", "--fork", "--kill-child", "--boottime", boot, relay};
    memset(r, 0, sizeof *r);
    snprintf(r->host, sizeof r->host, "127.0.0.1");
    fleet_args(argv + 6, 34, r, url, extra);
    if (spawn_start(&r->p, "/usr/bin", "unshare", argv, err, sizeof err) != 0)
        fail_msg("unshare: %s", err);
    wait_port(r);
    for (uint64_t end = clock_now_ms() + 2000; !(r->pid = child_of(r->p.pid));)
        if (clock_now_ms() > end)
            fail_msg("unshare --time: no relay process under %d", (int)r->p.pid);
}

void fleet_signal(const struct fleet_relay *r, int sig)
{
    kill(r->pid, sig);
}

long long fleet_relay_stat(struct fleet_relay *r, const char *path)
{
    struct spawn_proc self = r->p; /* the same captured output, its own pid */
    self.pid = r->pid;
    return harness_relay_stat(&self, path);
}

char *fleet_relay_finish(struct fleet_relay *r)
{
    if (r->pid != r->p.pid) /* unshare ends with its child, and exits as it did */
        kill(r->pid, SIGTERM);
    return harness_relay_finish(&r->p);
}

struct ricochet *fleet_client(const struct fleet_relay *via, const char *room,
                              const char *name, enum proto_mode mode, uint32_t timeout_ms,
                              uint32_t rejoin_ms)
{
    char err[256];
    struct client_config cfg = {.host = via->host, .port = via->port, .room = room,
                                .name = name, .mode = mode, .timeout_ms = timeout_ms,
                                .rejoin_ms = rejoin_ms};
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
}

bool fleet_all_welcomed(void *ctx)
{
    struct harness_rec *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i] && !ricochet_joined(r->c[i]))
            return false;
    return true;
}

void fleet_until_all_see_all(struct harness_rec *rec, int timeout_ms)
{
    assert_int_equal(harness_poll_until(rec->c, rec->n, timeout_ms, harness_rec_event,
                                        fleet_all_welcomed, rec), 0);
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        bool done = true;
        for (size_t i = 0; i < rec->n; i++) {
            struct ricochet_state s = {.x = 1, .y = 2};
            ricochet_send_state(rec->c[i], &s);
            done &= ricochet_members(rec->c[i], NULL, 0) + 1 == rec->n;
            struct ricochet_member m[HARNESS_MAX_CLIENTS];
            size_t k = ricochet_members(rec->c[i], m, HARNESS_MAX_CLIENTS);
            for (size_t j = 0; j < k; j++)
                done &= m[j].stats.received > 0;
        }
        if (done)
            return;
        if (clock_now_ms() > deadline)
            fail_msg("clients do not all see each other");
        harness_poll_for(rec->c, rec->n, 50, harness_rec_event, rec);
    }
}

void fleet_close_clients(struct harness_rec *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        ricochet_close(rec->c[i]);
}
