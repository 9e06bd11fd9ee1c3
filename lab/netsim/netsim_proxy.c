/* netsim_proxy.c: ricochet-netsim's proxy and its loop (see netsim_proxy.h). */
#include "netsim_proxy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "netsim_ip.h"
#include "statescan.h"

#define RECV_BATCH 256         /* datagrams read per socket per loop turn */
#define TICK_US 100000u        /* flow expiry check */
#define SOCKET_BUFFER (1 << 21) /* asked for; the kernel may give less */
#define ERROR_LOG_US 1000000u  /* a repeating error is logged at most this often */

/* A socket of addr's family. */
static int udp_socket_nonblock(const union netaddr *family)
{
    int fd = netaddr_udp_socket(family, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    int size = SOCKET_BUFFER;
    /* Best effort: a bigger buffer absorbs bursts between two loop turns. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

static struct netsim_flow *flow_find(struct netsim_proxy *px, const union netaddr *from,
                                     size_t *index)
{
    for (size_t i = 0; i < (size_t)px->cfg.max_flows; i++) {
        struct netsim_flow *f = &px->flows[i];
        if (f->used && netaddr_equal(&f->client, from)) {
            *index = i;
            return f;
        }
    }
    return NULL;
}

/* Logs a failed upstream socket at most once per ERROR_LOG_US: at the
 * descriptor limit it fails for every datagram of every new client. */
static void upstream_failed(struct netsim_proxy *px, const union netaddr *from, int err,
                            uint64_t now)
{
    char a[NETADDR_STR_MAX];
    if (now < px->upstream_next_log_us) {
        px->upstream_unlogged++;
        return;
    }
    if (px->upstream_unlogged)
        log_error("netsim: upstream socket for %s: %s (and %llu more failures since the last "
                  "report)", netaddr_format(from, a, sizeof a), strerror(err),
                  (unsigned long long)px->upstream_unlogged);
    else
        log_error("netsim: upstream socket for %s: %s", netaddr_format(from, a, sizeof a),
                  strerror(err));
    px->upstream_unlogged = 0;
    px->upstream_next_log_us = now + ERROR_LOG_US;
}

/* Opens an upstream socket for a new client address. Returns the flow, or
 * NULL (counted) if the table is full or the socket cannot be made. */
static struct netsim_flow *flow_open(struct netsim_proxy *px, const union netaddr *from,
                                     uint64_t now, size_t *index)
{
    char a[NETADDR_STR_MAX];
    size_t i;
    for (i = 0; i < (size_t)px->cfg.max_flows && px->flows[i].used; i++)
        ;
    if (i == (size_t)px->cfg.max_flows) {
        if (px->counts.flows_refused++ == 0)
            log_warn("netsim: %zu flows in use, refusing %s (see --max-flows)", i,
                     netaddr_format(from, a, sizeof a));
        return NULL;
    }
    int fd = udp_socket_nonblock(&px->relay_addr);
    if (fd < 0 || connect(fd, &px->relay_addr.sa, netaddr_len(&px->relay_addr)) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        px->counts.flows_refused++;
        upstream_failed(px, from, err, now);
        return NULL;
    }
    struct netsim_flow *f = &px->flows[i];
    *f = (struct netsim_flow){.used = true, .client = *from, .fd = fd, .last_us = now};
    flowscan_init(&f->scan, px->cfg.wire);
    px->counts.flows++;
    px->counts.flows_created++;
    union netaddr local;
    socklen_t len = sizeof local;
    char b[NETADDR_STR_MAX];
    if (getsockname(fd, (struct sockaddr *)&local, &len) == 0)
        log_debug("netsim: flow %s <-> %s", netaddr_format(from, a, sizeof a),
                  netaddr_format(&local, b, sizeof b));
    *index = i;
    return f;
}

/* Closes flows that have been silent for --flow-timeout and have nothing
 * left in the simulator (a pending copy needs its socket). */
static void flows_expire(struct netsim_proxy *px, uint64_t now)
{
    uint64_t idle = (uint64_t)(px->cfg.flow_timeout * 1e6);
    for (size_t i = 0; i < (size_t)px->cfg.max_flows; i++) {
        struct netsim_flow *f = &px->flows[i];
        if (f->used && f->pending == 0 && now - f->last_us >= idle) {
            char a[NETADDR_STR_MAX];
            log_debug("netsim: flow %s expired", netaddr_format(&f->client, a, sizeof a));
            if (f->fd >= 0)
                close(f->fd);
            free(f->stream);
            f->stream = NULL;
            flowscan_free(&f->scan);
            f->used = false;
            px->counts.flows--;
            px->counts.flows_expired++;
        }
    }
}

/* --drop-log: one line per state for each event one datagram met. */
static void log_states(struct netsim_proxy *px, enum droplog_event ev, enum netsim_dir dir,
                       struct netsim_flow *f, uint64_t now, uint64_t delay_us,
                       const unsigned char *bytes, size_t len)
{
    char a[NETADDR_STR_MAX];
    if (px->ip) {
        netsim_ip_log(px, f, ev, dir, now, delay_us, bytes, len);
        return;
    }
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = flowscan_datagram(&f->scan, px->keylog, dir, bytes, len, refs);
    droplog_datagram(px->drop_log, &px->drop_counts, ev, dir,
                     netaddr_format(&f->client, a, sizeof a), now, delay_us, &r, refs);
}

/* --paired-loss: the sequence numbers of the states the datagram carries
 * for the first time on its flow (IP mode: a UDP packet's, or those its
 * TCP segment completes), into seqs. Returns how many. */
static size_t paired_seqs(struct netsim_proxy *px, struct netsim_flow *f, enum netsim_dir dir,
                          size_t len, uint32_t *seqs)
{
    if (!px->cfg.paired_loss)
        return 0;
    if (px->ip)
        return netsim_ip_first_states(px, f, dir, px->buf, len, seqs);
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = flowscan_datagram(&f->scan, px->keylog, dir, px->buf, len, refs);
    return flowscan_first(&f->scan, dir, &r, refs, seqs);
}

/* --pcap: one datagram as the client and the relay see it (IP mode: the
 * packet itself), at wall-clock now. */
static void capture(struct netsim_proxy *px, struct capture *cap, enum netsim_dir dir,
                    const struct netsim_flow *f, const unsigned char *bytes, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (px->ip)
        capture_write_packet(cap, bytes, len, tv);
    else if (dir == NETSIM_UP)
        capture_write(cap, &f->client, &px->relay_addr, bytes, len, tv);
    else
        capture_write(cap, &px->relay_addr, &f->client, bytes, len, tv);
}

static void submit(struct netsim_proxy *px, enum netsim_dir dir, size_t index, size_t len,
                   uint64_t now)
{
    struct netsim_flow *f = &px->flows[index];
    struct droplog_mark before, after;
    f->last_us = now;
    if (!px->ip && (px->drop_log || px->cfg.paired_loss)) /* IP mode: netsim_ip_read's */
        flowscan_arrived(&f->scan, px->keylog, dir, px->buf, len);
    uint32_t seqs[STATESCAN_MAX];
    size_t n = paired_seqs(px, f, dir, len, seqs);
    droplog_mark(&before, netsim_counters(px->sim, dir));
    int r = netsim_submit_paired(px->sim, dir, index, px->buf, len, now, seqs, n);
    if (r > 0)
        f->pending += (uint64_t)r;
    droplog_mark(&after, netsim_counters(px->sim, dir));
    for (int ev = 0; ev < DROPLOG_FWD; ev++) {
        if (after.n[ev] == before.n[ev])
            continue;
        if (px->drop_log)
            log_states(px, (enum droplog_event)ev, dir, f, now, 0, px->buf, len);
        /* Both copies of a duplicated datagram may be dropped: one record each. */
        for (uint64_t k = before.n[ev]; px->cap_drop && ev != DROPLOG_DUP && k < after.n[ev]; k++)
            capture(px, px->cap_drop, dir, f, px->buf, len);
    }
}

static void read_clients(struct netsim_proxy *px, uint64_t now)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        union netaddr from;
        socklen_t fl = sizeof from;
        ssize_t len = recvfrom(px->listen_fd, px->buf, sizeof px->buf, 0,
                               (struct sockaddr *)&from, &fl);
        if (len < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                px->counts.recv_errors[NETSIM_UP]++;
                log_debug("netsim: recvfrom: %s", strerror(errno));
            }
            return;
        }
        if (len == 0 || netaddr_from_sockaddr(&from, &from.sa, fl) != 0)
            continue;
        size_t index;
        if (!flow_find(px, &from, &index) && !flow_open(px, &from, now, &index))
            continue;
        submit(px, NETSIM_UP, index, (size_t)len, now);
    }
}

static void read_relay(struct netsim_proxy *px, size_t index, uint64_t now)
{
    for (int n = 0; n < RECV_BATCH; n++) {
        ssize_t len = recv(px->flows[index].fd, px->buf, sizeof px->buf, 0);
        if (len < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            /* ECONNREFUSED: an earlier send met no relay (ICMP port
             * unreachable). Counted; the socket stays usable. */
            px->counts.recv_errors[NETSIM_DOWN]++;
            log_debug("netsim: recv from relay: %s", strerror(errno));
            return;
        }
        if (len > 0)
            submit(px, NETSIM_DOWN, index, (size_t)len, now);
    }
}

/* IP mode: at most a batch of packets from one side's device. */
static void read_device(struct netsim_proxy *px, enum netsim_dir dir, uint64_t now)
{
    size_t flow, len;
    for (int n = 0; n < RECV_BATCH && (len = netsim_ip_read(px, dir, now, &flow)) > 0; n++)
        submit(px, dir, flow, len, now);
}

static void deliver_due(struct netsim_proxy *px, uint64_t now)
{
    struct netsim_datagram dg;
    while (netsim_next_due(px->sim, now, &dg)) {
        struct netsim_flow *f = &px->flows[dg.flow];
        f->pending--;
        /* The proxy's own timing error (wake-up latency), on top of the
         * modelled delay; the benchmark sees both. */
        histogram_record(&px->counts.late_us[dg.dir], now - dg.due_us);
        if (px->drop_log && dg.corrupt_at < 0) {
            log_states(px, DROPLOG_FWD, dg.dir, f, now, dg.due_us - dg.entry_us, dg.bytes,
                       dg.len);
        } else if (px->drop_log) { /* the states it carried, from the bytes before the flip */
            memcpy(px->buf, dg.bytes, dg.len);
            px->buf[dg.corrupt_at] ^= (unsigned char)(1u << dg.corrupt_bit);
            log_states(px, DROPLOG_CORRUPT, dg.dir, f, now, dg.due_us - dg.entry_us, px->buf,
                       dg.len);
        }
        if (px->cap_fwd)
            capture(px, px->cap_fwd, dg.dir, f, dg.bytes, dg.len);
        ssize_t r;
        if (px->ip)
            r = netsim_ip_send(px, &dg);
        else if (dg.dir == NETSIM_UP)
            r = send(f->fd, dg.bytes, dg.len, 0);
        else
            r = sendto(px->listen_fd, dg.bytes, dg.len, 0, &f->client.sa,
                       netaddr_len(&f->client));
        if (r < 0) {
            if (px->counts.send_errors[dg.dir]++ == 0)
                log_warn("netsim: send %s: %s (counted in send_errors)",
                         netsim_dir_name(dg.dir), strerror(errno));
        }
    }
}

/* PUT /model: the newest model posted, in force from now (logged, and
 * written into the drop log with its time). */
static void take_model(struct netsim_proxy *px, uint64_t now)
{
    struct netsim_model models[NETSIM_DIRS];
    char err[200];
    if (!netsim_metrics_take(px->metrics, models))
        return;
    if (netsim_set_models(px->sim, models, err, sizeof err) != 0) {
        log_warn("netsim: model refused: %s", err); /* checked before it was posted */
        return;
    }
    log_info("netsim: model changed");
    for (int d = 0; d < NETSIM_DIRS; d++) {
        netsim_report_model((enum netsim_dir)d, &models[d]);
        if (px->drop_log)
            droplog_model(px->drop_log, now, (enum netsim_dir)d, &models[d], &px->base[d], false);
    }
}

/* What the loop waits on, into px->pfds: the devices (IP mode) or the
 * listening socket, PUT /model's wake-up (index *control; -1 without
 * --metrics: not polled), then each flow's socket. Returns how many. */
static size_t fill_polls(struct netsim_proxy *px, size_t *control)
{
    size_t n = 0;
    if (px->ip) {
        px->pfds[n++] = (struct pollfd){.fd = px->tun_fd[NETSIM_UP], .events = POLLIN};
        px->pfds[n++] = (struct pollfd){.fd = px->tun_fd[NETSIM_DOWN], .events = POLLIN};
    } else {
        px->pfds[n++] = (struct pollfd){.fd = px->listen_fd, .events = POLLIN};
    }
    *control = n;
    px->pfds[n++] = (struct pollfd){.fd = netsim_metrics_fd(px->metrics), .events = POLLIN};
    for (size_t i = 0; !px->ip && i < (size_t)px->cfg.max_flows; i++) {
        if (px->flows[i].used) {
            px->pfd_flow[n] = i;
            px->pfds[n++] = (struct pollfd){.fd = px->flows[i].fd, .events = POLLIN};
        }
    }
    return n;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

int netsim_proxy_run(struct netsim_proxy *px)
{
    const struct netsim_options *cfg = &px->cfg;
    uint64_t end_us = cfg->duration > 0 ? px->counts.start_us + (uint64_t)(cfg->duration * 1e6)
                                        : UINT64_MAX;
    uint64_t stats_every = (uint64_t)(cfg->stats_interval * 1e6);
    uint64_t next_stats = stats_every ? px->counts.start_us + stats_every : UINT64_MAX;
    uint64_t next_tick = px->counts.start_us + TICK_US;

    /* Signals are blocked except inside ppoll, so a SIGTERM between the flag
     * check and the wait cannot be missed. */
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGUSR1);

    while (!*px->stop) {
        uint64_t now = clock_now_us();
        if (now >= end_us)
            break;
        if (*px->stats || now >= next_stats) {
            *px->stats = 0;
            netsim_report_json(stdout, px->sim, &px->counts, now, false);
            while (next_stats <= now)
                next_stats += stats_every;
        }
        if (now >= next_tick) {
            flows_expire(px, now);
            netsim_metrics_publish(px->metrics, px->sim, &px->counts);
            next_tick = now + TICK_US;
        }

        size_t control, n = fill_polls(px, &control);
        uint64_t wake = min_u64(min_u64(netsim_next_deadline(px->sim), end_us),
                                min_u64(next_tick, next_stats));
        uint64_t wait_us = wake > now ? wake - now : 0;
        struct timespec ts = {.tv_sec = (time_t)(wait_us / 1000000u),
                              .tv_nsec = (long)(wait_us % 1000000u) * 1000};
        int r = ppoll(px->pfds, n, &ts, &wait_mask);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_error("netsim: ppoll: %s", strerror(errno));
            return -1;
        }
        now = clock_now_us();
        if (r > 0 && px->pfds[control].revents)
            take_model(px, now);
        if (r > 0 && px->ip) {
            for (int d = 0; d < NETSIM_DIRS; d++)
                if (px->pfds[d].revents)
                    read_device(px, (enum netsim_dir)d, now);
        } else if (r > 0) {
            if (px->pfds[0].revents)
                read_clients(px, now);
            for (size_t i = control + 1; i < n; i++)
                if (px->pfds[i].revents)
                    read_relay(px, px->pfd_flow[i], now);
        }
        deliver_due(px, clock_now_us());
    }
    return 0;
}

/* --drop-log: opens the file and writes its header. Returns 0 or -1 (logged). */
static int drop_log_open(struct netsim_proxy *px)
{
    if (!px->cfg.drop_log[0])
        return 0;
    if (netsim_default_models(px->base) != 0) {
        log_error("netsim: no default model");
        return -1;
    }
    px->drop_log = fopen(px->cfg.drop_log, "w");
    if (!px->drop_log) {
        log_error("netsim: --drop-log %s: %s", px->cfg.drop_log, strerror(errno));
        return -1;
    }
    droplog_header(px->drop_log, flowscan_wire_name(px->cfg.wire));
    uint64_t now = clock_now_us();
    for (int d = 0; d < NETSIM_DIRS; d++)
        droplog_model(px->drop_log, now, (enum netsim_dir)d,
                      netsim_model_of(px->sim, (enum netsim_dir)d), &px->base[d], true);
    return 0;
}

/* --keylog: the WebRTC and QUIC flows' sessions (--wire webrtc or quic, or
 * auto with a key log), when something reads their states. Returns 0 or -1
 * (logged). */
static int keylog_open(struct netsim_proxy *px)
{
    const struct netsim_options *c = &px->cfg;
    if ((!c->drop_log[0] && !c->paired_loss) ||
        !(c->wire == NETSIM_WIRE_WEBRTC || c->wire == NETSIM_WIRE_QUIC ||
          (c->wire == NETSIM_WIRE_AUTO && c->keylog[0])))
        return 0;
    char err[160];
    px->keylog = dtlsview_keylog_open(c->keylog, err, sizeof err);
    if (!px->keylog) {
        log_error("netsim: --keylog %s: %s", c->keylog, err);
        return -1;
    }
    return 0;
}

/* Closes the drop log with a summary line. Returns 0, or -1 if writing failed. */
static int drop_log_close(struct netsim_proxy *px)
{
    if (!px->drop_log)
        return 0;
    const struct droplog_counts *c = &px->drop_counts;
    for (int seg = 0; seg < 2; seg++) {
        const uint64_t *n = seg ? c->segments : c->states;
        if (seg && !px->ip)
            break;
        fprintf(px->drop_log, "# %s: loss %llu burst %llu queue %llu overflow %llu dup %llu "
                              "fwd %llu exit %llu",
                seg ? "segments" : "states", (unsigned long long)n[DROPLOG_LOSS],
                (unsigned long long)n[DROPLOG_BURST], (unsigned long long)n[DROPLOG_QUEUE],
                (unsigned long long)n[DROPLOG_OVERFLOW], (unsigned long long)n[DROPLOG_DUP],
                (unsigned long long)n[DROPLOG_FWD], (unsigned long long)n[DROPLOG_EXIT]);
        if (seg)
            fprintf(px->drop_log, "; stream states sent %llu\n",
                    (unsigned long long)c->states[DROPLOG_SENT]);
        else
            fprintf(px->drop_log, "; unreadable datagrams %llu\n",
                    (unsigned long long)c->unreadable);
    }
    bool bad = ferror(px->drop_log);
    if (fclose(px->drop_log) != 0 || bad) {
        log_error("netsim: --drop-log %s: write failed", px->cfg.drop_log);
        return -1;
    }
    px->drop_log = NULL;
    return 0;
}

/* --pcap: FILE for what was forwarded, FILE.dropped for what was dropped.
 * Returns 0 or -1 (logged). */
static int pcap_open(struct netsim_proxy *px)
{
    char path[sizeof px->cfg.pcap + 16], err[256];
    if (!px->cfg.pcap[0])
        return 0;
    snprintf(path, sizeof path, "%s.dropped", px->cfg.pcap);
    px->cap_fwd = capture_open(px->cfg.pcap, err, sizeof err);
    if (px->cap_fwd)
        px->cap_drop = capture_open(path, err, sizeof err);
    if (!px->cap_fwd || !px->cap_drop) {
        log_error("netsim: --pcap: %s", err);
        return -1;
    }
    return 0;
}

/* Closes the captures, saying how many datagrams each holds. Returns 0, or
 * -1 if writing failed. */
static int pcap_close(struct netsim_proxy *px)
{
    if (!px->cap_fwd)
        return 0;
    if (px->cap_drop)
        log_info("netsim: --pcap: %llu forwarded datagrams in %s, %llu dropped in %s.dropped",
                 (unsigned long long)capture_count(px->cap_fwd), px->cfg.pcap,
                 (unsigned long long)capture_count(px->cap_drop), px->cfg.pcap);
    int rc = capture_close(px->cap_fwd) | capture_close(px->cap_drop);
    px->cap_fwd = px->cap_drop = NULL;
    if (rc)
        log_error("netsim: --pcap %s: write failed", px->cfg.pcap);
    return rc ? -1 : 0;
}

int netsim_proxy_open(struct netsim_proxy *px, const struct netsim_setup *setup)
{
    size_t max_flows = (size_t)px->cfg.max_flows;

    px->listen_fd = -1;
    px->tun_fd[NETSIM_UP] = px->tun_fd[NETSIM_DOWN] = -1;
    px->ip = setup->ip;
    px->listen_addr = setup->listen_addr;
    px->relay_addr = setup->relay_addr;
    px->counts.seed = setup->seed;
    histogram_reset(&px->counts.late_us[NETSIM_UP]);
    histogram_reset(&px->counts.late_us[NETSIM_DOWN]);
    px->flows = calloc(max_flows + 1, sizeof *px->flows);
    px->pfds = calloc(max_flows + 3, sizeof *px->pfds); /* + listener or devices, control */
    px->pfd_flow = calloc(max_flows + 3, sizeof *px->pfd_flow);
    px->sim = netsim_create(setup->models, px->counts.seed);
    if (!px->flows || !px->pfds || !px->pfd_flow || !px->sim) {
        log_error("netsim: out of memory");
        return -1;
    }
    if (keylog_open(px) < 0)
        return -1;
    if (px->ip)
        return netsim_ip_open(px, setup) < 0 || drop_log_open(px) < 0 || pcap_open(px) < 0 ? -1
                                                                                         : 0;
    px->listen_fd = udp_socket_nonblock(&px->listen_addr);
    if (px->listen_fd < 0 || bind(px->listen_fd, &px->listen_addr.sa,
                                  netaddr_len(&px->listen_addr)) < 0) {
        log_error("netsim: bind %s: %s", px->cfg.listen, strerror(errno));
        return -1;
    }
    socklen_t len = sizeof px->listen_addr;
    getsockname(px->listen_fd, &px->listen_addr.sa, &len);
    return drop_log_open(px) < 0 || pcap_open(px) < 0 ? -1 : 0;
}

/* --drop-log: a copy still held at exit, about to be thrown away. */
static void log_exit(void *ctx, const struct netsim_datagram *dg)
{
    struct netsim_proxy *px = ctx;
    log_states(px, DROPLOG_EXIT, dg->dir, &px->flows[dg->flow], clock_now_us(), 0, dg->bytes,
               dg->len);
}

/* Final report (if the loop ran), then closes everything. Returns the exit
 * status: rc, or 1 if the --stats-file file could not be written. */
int netsim_proxy_close(struct netsim_proxy *px, int rc)
{
    uint64_t now = clock_now_us();
    if (px->sim) {
        if (px->counts.start_us) {
            netsim_report_human(px->sim, &px->counts, now);
            if (px->drop_log)
                netsim_each_pending(px->sim, log_exit, px);
            netsim_discard(px->sim);
            netsim_report_json(stdout, px->sim, &px->counts, now, true);
            if (px->cfg.stats_json[0] &&
                netsim_report_file(px->cfg.stats_json, px->sim, &px->counts, now) < 0)
                rc = 1;
        }
        netsim_destroy(px->sim);
    }
    netsim_metrics_stop(px->metrics);
    if (drop_log_close(px) < 0 || pcap_close(px) < 0)
        rc = 1;
    for (size_t i = 0; px->flows && i < (size_t)px->cfg.max_flows; i++) {
        if (px->flows[i].used && px->flows[i].fd >= 0)
            close(px->flows[i].fd);
        free(px->flows[i].stream);
        flowscan_free(&px->flows[i].scan);
    }
    dtlsview_keylog_free(px->keylog);
    netsim_ip_close(px);
    if (px->listen_fd >= 0)
        close(px->listen_fd);
    free(px->flows);
    free(px->pfds);
    free(px->pfd_flow);
    return rc;
}
