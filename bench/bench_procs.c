/* bench_procs.c: a run over several generator processes, --procs (see
 * run_internal.h).
 *
 * The clients are split into P slices of whole rooms, one per child
 * process (fork), so every state a client hears comes from its own
 * process and the per-pair figures stay local. Each child joins its
 * clients and says so; the parent then gives every child the same start
 * time, measures the relay over the window, and merges what the children
 * send back: counts add up, histograms merge exactly. */
#include "run_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/clock.h"

#define REPORT_SLACK_MS 5000   /* a generator's report after its own deadline */

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads len bytes from a pipe; gives up (-2) at deadline_us or on a stop
 * request: a generator stuck anywhere cannot hold the bench for ever, nor
 * a parent gone quiet its generator. Returns 0, -1 (closed, error) or -2. */
static int read_until(int fd, void *buf, size_t len, uint64_t deadline_us)
{
    char *p = buf;
    while (len > 0) {
        uint64_t now = clock_now_us();
        if (run_stop || now >= deadline_us)
            return -2;
        uint64_t wait_ms = (deadline_us - now + 999) / 1000;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        /* at most 100 ms: a signal just before poll is seen in time */
        int r = poll(&pf, 1, wait_ms < 100 ? (int)wait_ms : 100);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r <= 0)
            continue;
        ssize_t got = read(fd, p, len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        p += got;
        len -= (size_t)got;
    }
    return 0;
}

/* What a child sends back: its result and its histograms. */
struct part {
    struct bench_result r; /* r.latency, r.send_late are not valid across processes */
    struct histogram latency, send_late;
};

/* A child: joins clients [first, first + n), reports ready ('R') or not
 * ('E'), waits for t0 (servicing its clients), measures, sends its part, exits. */
static void child_run(struct run *run, size_t first, size_t n, const char *host, int port,
                      int up, int down)
{
    static struct part pt;
    run->relay_started = run->netsim_started = false; /* the parent's */
    run->first = first;
    run->n = n;
    run->peers = calloc(n, sizeof *run->peers);
    run->rs = calloc(n * run->k, sizeof *run->rs);
    run->last_rx = calloc(n * run->k, sizeof *run->last_rx);
    if (!run->peers || !run->rs || !run->last_rx)
        _exit(3);
    for (size_t i = 0; i < n * run->k; i++)
        recv_stats_reset(&run->rs[i]);
    int rc = run_setup_clients(run, host, port);
    char ready = rc == 0 ? 'R' : 'E';
    uint64_t t0 = 0;
    if (write_all(up, &ready, 1) == 0 && rc == 0) {
        /* The other generators may still be joining (thousands of clients
         * take seconds): ours are serviced meanwhile, or the relay times
         * out their ENet peers (udp: expires them) before the start. */
        if (swarm_wait_readable(run->sw, down, UINT64_MAX, &run_stop) != 0 ||
            read_until(down, &t0, sizeof t0, UINT64_MAX) != 0 || t0 == 0)
            rc = run_fail(run, "no start time from the parent");
        else if ((rc = run_measure(run, t0)) == 0)
            run_summarize(run);
    }
    pt.r = *run->r;
    pt.latency = *run->r->latency;
    pt.send_late = *run->r->send_late;
    write_all(up, &pt, sizeof pt);
    /* No polite goodbyes: the parent stops the relay, which ends them. */
    _exit(rc == 0 ? 0 : 1);
}

/* Adds a child's part into r (means weighted by what they average over). */
static void merge_part(struct bench_result *r, const struct part *pt, size_t p)
{
    const struct bench_result *x = &pt->r;
    r->sent += x->sent;
    r->send_errors += x->send_errors;
    r->audit.payload_checked += x->audit.payload_checked;
    r->audit.payload_corrupt += x->audit.payload_corrupt;
    r->expected += x->expected;
    r->delivered += x->delivered;
    r->duplicates += x->duplicates;
    r->reordered += x->reordered;
    r->too_old += x->too_old;
    if (x->clock_bound_us > r->clock_bound_us)
        r->clock_bound_us = x->clock_bound_us;
    if (x->max_gap_us > r->max_gap_us)
        r->max_gap_us = x->max_gap_us;
    r->disconnects += x->disconnects;
    r->connect_retries += x->connect_retries;
    r->wire_bytes += x->wire_bytes;
    r->wire_datagrams += x->wire_datagrams;
    r->wire_bps += x->wire_bps; /* the processes' windows are the same seconds */
    r->jitter_us += x->jitter_us * (double)x->jitter_pairs;
    r->jitter_pairs += x->jitter_pairs;
    r->enet_rtt_ms += x->enet_rtt_ms * (double)x->enet_clients;
    r->enet_loss_pct += x->enet_loss_pct * (double)x->enet_clients;
    r->enet_clients += x->enet_clients;
    r->rooms += x->rooms;
    r->rooms_below += x->rooms_below;
    if (p == 0 || x->worst_room_pct < r->worst_room_pct)
        r->worst_room_pct = x->worst_room_pct;
    r->proc_cpu_pct[p] = x->bench_cpu_pct;
    if (x->bench_cpu_pct > r->bench_cpu_pct)
        r->bench_cpu_pct = x->bench_cpu_pct;
    histogram_merge(r->latency, &pt->latency);
    histogram_merge(r->send_late, &pt->send_late);
    for (size_t b = 0; b < BENCH_TIMELINE_MAX; b++) {
        r->timeline.expected[b] += x->timeline.expected[b];
        r->timeline.delivered[b] += x->timeline.delivered[b];
        r->timeline.late[b] += x->timeline.late[b];
    }
}

struct child {
    pid_t pid;
    int up, down; /* child -> parent, parent -> child */
};

static int fork_children(struct run *run, struct child *ch, size_t procs, const char *host,
                         int port)
{
    size_t rooms = (run->n + run->k - 1) / run->k;
    for (size_t p = 0; p < procs; p++) {
        size_t first = rooms * p / procs * run->k, end = rooms * (p + 1) / procs * run->k;
        if (end > run->n)
            end = run->n;
        int up[2], down[2];
        if (pipe(up) != 0 || pipe(down) != 0)
            return run_fail(run, "pipe: %s", strerror(errno));
        fflush(NULL);
        ch[p].pid = fork();
        if (ch[p].pid < 0)
            return run_fail(run, "fork: %s", strerror(errno));
        if (ch[p].pid == 0) {
            close(up[0]);
            close(down[1]);
            child_run(run, first, end - first, host, port, up[1], down[0]);
        }
        close(up[1]);
        close(down[0]);
        ch[p].up = up[0];
        ch[p].down = down[1];
    }
    return 0;
}

/* Closes the pipes and reaps the children; after a failure each gets
 * SIGTERM and, if it is not gone within STOP_WAIT_MS (stuck, stopped),
 * SIGKILL: waitpid must not wait for ever either. */
static void reap_children(struct child *ch, size_t procs, bool failed)
{
    for (size_t p = 0; p < procs; p++) {
        /* Closed first: a child still writing its part (a failed run stops
         * reading) gets EPIPE instead of blocking our waitpid for ever. */
        close(ch[p].up);
        close(ch[p].down);
        if (ch[p].pid > 0 && failed)
            kill(ch[p].pid, SIGTERM);
    }
    uint64_t kill_at = clock_now_us() + (uint64_t)STOP_WAIT_MS * 1000u;
    for (size_t p = 0; p < procs; p++) {
        if (ch[p].pid <= 0)
            continue;
        pid_t gone = 0;
        while (failed && (gone = waitpid(ch[p].pid, NULL, WNOHANG)) == 0 &&
               clock_now_us() < kill_at)
            clock_sleep_ms(10);
        if (!failed || gone == 0) {
            if (failed)
                kill(ch[p].pid, SIGKILL);
            waitpid(ch[p].pid, NULL, 0);
        }
    }
}

int run_procs(struct run *run, size_t procs, const char *host, int port)
{
    struct bench_result *r = run->r;
    if ((run->n + run->k - 1) / run->k < procs)
        return run_fail(run, "--procs %zu needs at least %zu rooms (--room-size): a room is never "
                        "split over processes", procs, procs);
    struct child ch[BENCH_MAX_PROCS];
    static struct part pt;
    memset(ch, 0, sizeof ch);
    /* each generator's setup ends by its own --setup-timeout (see
     * setup_clients); what it reports comes a little later */
    uint64_t ready_by = clock_now_us() +
                        (uint64_t)(run->cfg->setup_timeout_ms + REPORT_SLACK_MS) * 1000u;
    int rc = fork_children(run, ch, procs, host, port);
    for (size_t p = 0; rc == 0 && p < procs; p++) {
        char ready = 0;
        int got = read_until(ch[p].up, &ready, 1, ready_by);
        if (got == -2)
            rc = run_stop ? run_fail(run, "interrupted")
                           : run_fail(run, "generator process %zu did not finish its setup "
                                       "within %ld ms", p + 1,
                                      run->cfg->setup_timeout_ms + REPORT_SLACK_MS);
        else if (got != 0)
            rc = run_fail(run, "generator process %zu died during setup", p + 1);
        else if (ready != 'R')
            rc = read_until(ch[p].up, &pt, sizeof pt, ready_by) == 0
                     ? run_fail(run, "generator process %zu: %s", p + 1, pt.r.error)
                     : run_fail(run, "generator process %zu failed", p + 1);
    }
    uint64_t t0 = rc == 0 ? clock_now_us() + START_LEAD_US : 0;
    for (size_t p = 0; p < procs; p++)
        if (ch[p].pid > 0)
            write_all(ch[p].down, &t0, sizeof t0); /* 0: give up */
    if (rc == 0) {
        run->win_start = t0 + (uint64_t)run->cfg->warmup_ms * 1000u;
        clock_sleep_until_us(run->win_start);
        struct spawn_usage relay0 = {0};
        if (run->relay_started)
            spawn_usage(&run->relay, &relay0);
        for (uint64_t next; (next = run_pause_step(run, clock_now_us())) != UINT64_MAX;)
            clock_sleep_until_us(next);
        uint64_t parts_by = run->win_start + (uint64_t)(run->cfg->duration_ms +
                                                         run->cfg->grace_ms +
                                                         REPORT_SLACK_MS) * 1000u;
        for (size_t p = 0; rc == 0 && p < procs; p++) {
            int got = read_until(ch[p].up, &pt, sizeof pt, parts_by);
            if (got == -2)
                rc = run_stop ? run_fail(run, "interrupted")
                               : run_fail(run, "generator process %zu sent no result within "
                                           "%d ms of the drain's end", p + 1, REPORT_SLACK_MS);
            else if (got != 0)
                rc = run_fail(run, "generator process %zu died", p + 1);
            else if (!pt.r.ok)
                rc = run_fail(run, "generator process %zu: %s", p + 1, pt.r.error);
            else
                merge_part(r, &pt, p);
        }
        run_relay_figures(run, &relay0, run->win_start);
    }
    r->procs = procs;
    reap_children(ch, procs, rc != 0);
    if (rc == 0) {
        if (r->jitter_pairs)
            r->jitter_us /= (double)r->jitter_pairs;
        if (r->enet_clients) {
            r->enet_rtt_ms /= (double)r->enet_clients;
            r->enet_loss_pct /= (double)r->enet_clients;
        }
        bench_result_derive(r);
    }
    return rc;
}
