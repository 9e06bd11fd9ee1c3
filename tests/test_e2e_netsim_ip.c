/* test_e2e_netsim_ip.c: `ricochet-netsim`'s IP mode between two namespaces the
 * test makes (`lab/harness/netlab.h`): a TCP connection through 10% loss delivers
 * every byte, the drop log's segments are the captures' (`tcpdump -S`), and
 * every sequence number crosses exactly once, each one netsim dropped sent
 * again and no other; 2000 states in 2-byte-length frames on a stream through
 * 10% loss, each named once, frame after frame, with the 42 numbers it took;
 * plain-UDP states named by the client's endpoint, a loss line for each one
 * missed; without the privilege for namespaces (a user namespace with no
 * mapping and no capability), one line from the harness and one from netsim;
 * half of IP mode, or the proxy's `--relay` with it, refused, and so are
 * netsim's own namespace and one namespace for both sides; a run killed with
 * `SIGKILL` leaves no process and no namespace */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/harness/netlab.h"
#include "lab/harness/spawn.h"
#include "lab/netsim/droplog.h"
#include "proto/wire.h"
#include "tests/support/harness.h"
#include "tests/support/procs.h"

#define TCP_BYTES (192 * 1024)
#define SEQ_SPAN (TCP_BYTES + 2)  /* the SYN, the data, the FIN */
#define MAX_SEGMENTS 4096
#define N_STATES 400
#define N_FRAMES 2000             /* states on a stream */
#define FRAME (2 + PROTO_STATE_SIZE)
#define RUN_MS 30000              /* every exchange's deadline */

/* A run of netsim in IP mode between a lab's two namespaces. */
struct wire {
    struct netlab lab;
    struct spawn_proc netsim;
    char log[64], pcap[80], dropped[96];
};

/* Makes the namespaces (the test is skipped where the system cannot) and
 * starts netsim between them with model (NULL-ended), a drop log and a
 * capture. */
static void wire_up(struct wire *w, const char *const *model, const char *wire_kind)
{
    char err[256];
    if (netlab_open(&w->lab, err, sizeof err) != 0) {
        print_message("no network namespaces here: %s\n", err);
        skip();
    }
    snprintf(w->log, sizeof w->log, "/tmp/ricochet-ipwire-%d.drops", (int)getpid());
    snprintf(w->pcap, sizeof w->pcap, "/tmp/ricochet-ipwire-%d.pcap", (int)getpid());
    snprintf(w->dropped, sizeof w->dropped, "%s.dropped", w->pcap);
    const char *args[SPAWN_MAX_ARGS + 1];
    size_t n = 0;
    const char *fixed[] = {"--client-netns", w->lab.path[NETLAB_CLIENT], "--relay-netns",
                           w->lab.path[NETLAB_RELAY], "--drop-log", w->log, "--pcap", w->pcap,
                           "--wire", wire_kind, "--duration", "60", NULL};
    for (size_t i = 0; fixed[i]; i++)
        args[n++] = fixed[i];
    for (size_t i = 0; model[i]; i++)
        args[n++] = model[i];
    args[n] = NULL;
    assert_int_equal(harness_spawn(&w->netsim, "ricochet-netsim", args), 0);
    char line[512];
    if (spawn_wait_line(&w->netsim, "wire up:", 10000, line, sizeof line, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* Stops netsim: it must exit 0. Returns its stdout (the caller frees). */
static char *wire_down(struct wire *w)
{
    assert_int_equal(spawn_stop(&w->netsim, SIGTERM, 10000), 0);
    char *out = spawn_read_stdout(&w->netsim);
    spawn_free(&w->netsim);
    netlab_close(&w->lab);
    return out;
}

static void wire_files_remove(const struct wire *w)
{
    unlink(w->log);
    unlink(w->pcap);
    unlink(w->dropped);
}

static struct sockaddr_in relay_side(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "198.19.0.1", &a.sin_addr);
    return a;
}

static uint16_t local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}


/* ---- TCP ---- */

/* A segment that takes sequence space: [start, end) as the wire numbers. */
struct seg {
    uint32_t start, end;
    bool syn;
};

struct seglist {
    struct seg s[MAX_SEGMENTS];
    size_t n;
};

static void seg_add(struct seglist *l, uint32_t start, uint32_t end, const char *flags)
{
    assert_true(l->n < MAX_SEGMENTS);
    l->s[l->n++] = (struct seg){start, end, strchr(flags, 'S') != NULL};
}

static int seg_cmp(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;
    return x->start != y->start ? (x->start < y->start ? -1 : 1)
                                : (x->end < y->end ? -1 : x->end > y->end);
}

/* The client's segments (those that take sequence space) in a capture, as
 * tcpdump -S reads them: "Flags [FP.], seq A:B, ..., length N". */
static void tcpdump_segments(const char *path, struct seglist *l)
{
    char cmd[256], line[512];
    snprintf(cmd, sizeof cmd, "tcpdump -n -S -r '%s' 'tcp and src host 198.18.0.1' 2>/dev/null",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof line, p)) {
        const char *flags = strstr(line, "Flags ["), *seq = strstr(line, ", seq ");
        const char *len = strstr(line, ", length ");
        if (!flags || !seq || !len)
            continue; /* an acknowledgement only */
        uint32_t a = (uint32_t)strtoul(seq + 6, NULL, 10);
        const char *close = strchr(flags, ']');
        uint32_t span = (uint32_t)strtoul(len + 9, NULL, 10);
        char letters[16];
        snprintf(letters, sizeof letters, "%.*s", (int)(close - flags - 7), flags + 7);
        for (const char *f = letters; *f; f++)
            span += *f == 'S' || *f == 'F';
        seg_add(l, a, a + span, letters);
    }
    assert_int_equal(pclose(p), 0);
}

/* The drop log's segment lines of event ev going up. */
static void log_segments(const char *path, const char *ev, struct seglist *l)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256], e[16], dir[8], flow[48], kind[16], flags[16];
    uint64_t t, delay;
    uint32_t a, b;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        int got = sscanf(line, "%" SCNu64 " %15s %7s %47s - - %15s %" SCNu64 " %" SCNu32
                               ":%" SCNu32 " %15s", &t, e, dir, flow, kind, &delay, &a, &b, flags);
        if (got != 9 && strstr(line, " sent ") && strstr(line, " stream "))
            continue; /* a state of the stream, not a segment */
        assert_int_equal(got, 9);
        assert_string_equal(kind, "segment");
        assert_non_null(strstr(flow, "198.18.0.1:"));
        if (strcmp(e, ev) == 0 && strcmp(dir, "up") == 0 && a != b) /* a != b: not the
                                                    handshake's bare ACK, which tcpdump -S
                                                    prints without its seq */
            seg_add(l, a, b, flags);
    }
    fclose(f);
}

static void assert_same_segments(struct seglist *a, struct seglist *b, const char *what)
{
    qsort(a->s, a->n, sizeof a->s[0], seg_cmp);
    qsort(b->s, b->n, sizeof b->s[0], seg_cmp);
    if (a->n != b->n)
        fail_msg("%s: %zu segments in the drop log, %zu in the capture", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        if (seg_cmp(&a->s[i], &b->s[i]) != 0)
            fail_msg("%s: the log's %" PRIu32 ":%" PRIu32 " against the capture's %" PRIu32
                     ":%" PRIu32, what, a->s[i].start, a->s[i].end, b->s[i].start, b->s[i].end);
}

/* How many times each sequence number from the SYN's on went through. */
static void coverage(const struct seglist *l, uint32_t isn, unsigned *count)
{
    for (size_t i = 0; i < l->n; i++)
        for (uint32_t s = l->s[i].start; s != l->s[i].end; s++) {
            uint32_t at = s - isn;
            assert_true(at < SEQ_SPAN);
            count[at]++;
        }
}

/* Accepts on srv once, then reads everything cli sends until its FIN;
 * counts the bytes that match the pattern. The receiver acknowledges at
 * once (TCP_QUICKACK after each read): a delayed acknowledgement could let
 * the sender's loss probe fire and retransmit what was not lost. */
static size_t tcp_transfer(int srv, int cli, const uint8_t *data, size_t total)
{
    static uint8_t buf[65536];
    size_t sent = 0, got = 0, good = 0;
    int acc = -1, one = 1;
    bool eof = false;
    uint64_t deadline = clock_now_ms() + RUN_MS;
    while (!eof && clock_now_ms() < deadline) {
        struct pollfd pf[2] = {{acc < 0 ? srv : acc, POLLIN, 0},
                               {cli, sent < total ? POLLOUT : 0, 0}};
        if (poll(pf, 2, 50) <= 0)
            continue;
        if (pf[1].revents & POLLOUT) {
            ssize_t w = write(cli, data + sent, total - sent < 4096 ? total - sent : 4096);
            if (w > 0 && (sent += (size_t)w) == total)
                assert_int_equal(shutdown(cli, SHUT_WR), 0);
        }
        if (acc < 0 && (pf[0].revents & POLLIN)) {
            acc = accept4(srv, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            assert_true(acc >= 0);
            setsockopt(acc, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        } else if (acc >= 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
            ssize_t r = read(acc, buf, sizeof buf);
            eof = r == 0;
            for (ssize_t i = 0; i < r && got + (size_t)i < total; i++)
                good += buf[i] == data[got + (size_t)i];
            got += r > 0 ? (size_t)r : 0;
            setsockopt(acc, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        }
    }
    assert_true(eof);
    assert_int_equal(got, total);
    close(acc);
    return good;
}

/* Through w, total bytes of data from the client side to the relay side
 * over one TCP connection: every byte must arrive, in order. */
static void tcp_cross(struct wire *w, const uint8_t *data, size_t total)
{
    int srv = netlab_socket(&w->lab, NETLAB_RELAY, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int cli = netlab_socket(&w->lab, NETLAB_CLIENT, AF_INET,
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(srv >= 0 && cli >= 0);
    struct sockaddr_in at = relay_side(0);
    assert_int_equal(bind(srv, (struct sockaddr *)&at, sizeof at), 0);
    assert_int_equal(listen(srv, 1), 0);
    at.sin_port = htons(local_port(srv));
    assert_true(connect(cli, (struct sockaddr *)&at, sizeof at) == 0 || errno == EINPROGRESS);
    assert_int_equal(tcp_transfer(srv, cli, data, total), total);
    close(cli);
    close(srv);
    clock_sleep_ms(100); /* the last acknowledgements cross */
}

static void tcp_with_loss_retransmits_exactly_the_drops(void **unused)
{
    (void)unused;
    static struct wire w;
    static uint8_t data[TCP_BYTES];
    for (size_t i = 0; i < TCP_BYTES; i++)
        data[i] = (uint8_t)(i * 131 + i / 251);
    const char *model[] = {"--up-loss", "10", "--delay", "5", "--seed", "36", NULL};
    wire_up(&w, model, "udp");
    tcp_cross(&w, data, TCP_BYTES);
    char *out = wire_down(&w);

    static struct seglist log_lost, log_fwd, cap_lost, cap_fwd;
    log_lost.n = log_fwd.n = cap_lost.n = cap_fwd.n = 0;
    log_segments(w.log, "loss", &log_lost);
    log_segments(w.log, "fwd", &log_fwd);
    tcpdump_segments(w.dropped, &cap_lost);
    tcpdump_segments(w.pcap, &cap_fwd);
    assert_true(log_lost.n > 0);
    assert_same_segments(&log_lost, &cap_lost, "dropped");
    assert_same_segments(&log_fwd, &cap_fwd, "forwarded");
    /* Every number the client's side sent went through exactly once: each
     * one netsim dropped was sent again (a retransmission), and nothing
     * netsim did not drop was. */
    static unsigned fwd[SEQ_SPAN], lost[SEQ_SPAN];
    memset(fwd, 0, sizeof fwd);
    memset(lost, 0, sizeof lost);
    uint32_t isn = 0;
    for (size_t i = 0; i < cap_fwd.n; i++)
        if (cap_fwd.s[i].syn)
            isn = cap_fwd.s[i].start;
    coverage(&cap_fwd, isn, fwd);
    coverage(&cap_lost, isn, lost);
    size_t resent = 0;
    for (size_t i = 0; i < SEQ_SPAN; i++) {
        if (fwd[i] != 1)
            fail_msg("sequence number ISN+%zu went through %u times (dropped %u)", i, fwd[i],
                     lost[i]);
        resent += lost[i] > 0;
    }
    assert_int_equal(harness_stats_field(out, true, "up.drops.loss"),
                     harness_stats_field(out, true, "up.dropped"));
    print_message("%zu segments dropped, %zu sequence numbers sent again, each once through\n",
                  log_lost.n, resent);
    free(out);
    wire_files_remove(&w);
}

/* States in PROTOCOL.md's frames on a TCP stream through 10% loss: each
 * named once, in order, with the 42 sequence numbers its frame took. */
static void tcp_states_named_with_their_numbers(void **unused)
{
    (void)unused;
    static struct wire w;
    static uint8_t data[N_FRAMES * FRAME];
    static unsigned named[N_FRAMES + 1];
    memset(named, 0, sizeof named);
    for (uint32_t k = 0; k < N_FRAMES; k++) {
        struct proto_state st = {.seq = k + 1, .send_us = 1};
        data[k * FRAME] = 0;
        data[k * FRAME + 1] = PROTO_STATE_SIZE;
        assert_int_equal(proto_state_encode(data + k * FRAME + 2, PROTO_STATE_SIZE, &st),
                         PROTO_STATE_SIZE);
    }
    const char *model[] = {"--up-loss", "10", "--delay", "5", "--seed", "3", NULL};
    wire_up(&w, model, "udp");
    tcp_cross(&w, data, sizeof data);
    free(wire_down(&w));
    static struct seglist lost;
    lost.n = 0;
    FILE *f = fopen(w.log, "r");
    assert_non_null(f);
    char line[256], ev[16], dir[8], flow[48], kind[16];
    uint64_t t, delay;
    uint32_t sender, seq, a, b, prev_end = 0, first = 0;
    size_t in_lost = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%" SCNu64 " %15s %7s %47s %" SCNu32 " %" SCNu32 " %15s %" SCNu64
                         " %" SCNu32 ":%" SCNu32, &t, ev, dir, flow, &sender, &seq, kind, &delay,
                   &a, &b) != 10)
            continue; /* comments and segment lines */
        assert_string_equal(ev, "sent");
        assert_string_equal(kind, "stream");
        assert_true(seq >= 1 && seq <= N_FRAMES);
        assert_int_equal(b - a, FRAME);
        if (seq > 1)
            assert_int_equal(a, prev_end); /* frame after frame, nothing between */
        first = seq == 1 ? a : first;
        prev_end = b;
        named[seq]++;
    }
    fclose(f);
    log_segments(w.log, "loss", &lost);
    for (uint32_t k = 1; k <= N_FRAMES; k++)
        assert_int_equal(named[k], 1);
    for (size_t i = 0; i < lost.n; i++) /* drops that held states back */
        in_lost += lost.s[i].start - first < (uint32_t)sizeof data;
    assert_true(lost.n > 0 && in_lost > 0);
    wire_files_remove(&w);
}

/* ---- UDP ---- */

static void put_state(uint8_t *buf, uint32_t seq)
{
    struct proto_state s = {.seq = seq, .send_us = 1};
    assert_int_equal(proto_state_encode(buf, PROTO_STATE_SIZE, &s), PROTO_STATE_SIZE);
}

/* Sends N_STATES states from the client side to a socket on the relay
 * side; counts the copies that arrived in got. Returns the client's port. */
static uint16_t udp_states_cross(struct wire *w, int got[N_STATES])
{
    int rx = netlab_socket(&w->lab, NETLAB_RELAY, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int tx = netlab_socket(&w->lab, NETLAB_CLIENT, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(rx >= 0 && tx >= 0);
    struct sockaddr_in at = relay_side(0);
    assert_int_equal(bind(rx, (struct sockaddr *)&at, sizeof at), 0);
    at.sin_port = htons(local_port(rx));
    uint8_t buf[2048];
    int sent = 0;
    uint64_t quiet_since = clock_now_ms(), deadline = clock_now_ms() + RUN_MS;
    while (clock_now_ms() < deadline) {
        for (int k = 0; k < 2 && sent < N_STATES; k++) { /* paced: no buffer loss */
            put_state(buf, (uint32_t)sent++);
            assert_int_equal(sendto(tx, buf, PROTO_STATE_SIZE, 0, (struct sockaddr *)&at,
                                    sizeof at), PROTO_STATE_SIZE);
        }
        struct pollfd pf = {rx, POLLIN, 0};
        int r = poll(&pf, 1, sent < N_STATES ? 1 : 20);
        if (r == 0 && sent == N_STATES && clock_now_ms() - quiet_since > 300)
            break;
        ssize_t len;
        while (r > 0 && (len = recv(rx, buf, sizeof buf, 0)) > 0) {
            struct proto_state s;
            assert_int_equal(proto_state_decode(buf, (size_t)len, &s), PROTO_OK);
            assert_true(s.seq < N_STATES);
            got[s.seq]++;
            quiet_since = clock_now_ms();
        }
    }
    uint16_t port = local_port(tx);
    close(rx);
    close(tx);
    return port;
}

static void udp_states_named_by_client_endpoint(void **unused)
{
    (void)unused;
    static struct wire w;
    static int got[N_STATES], fwd[N_STATES], lost[N_STATES];
    memset(got, 0, sizeof got);
    memset(fwd, 0, sizeof fwd);
    memset(lost, 0, sizeof lost);
    const char *model[] = {"--up-loss", "20", "--delay", "2", "--seed", "7", NULL};
    wire_up(&w, model, "udp");
    uint16_t port = udp_states_cross(&w, got);
    free(wire_down(&w));
    char want_flow[32], line[256], ev[16], dir[8], flow[48], kind[16];
    snprintf(want_flow, sizeof want_flow, "198.18.0.1:%u", port);
    FILE *f = fopen(w.log, "r");
    assert_non_null(f);
    uint64_t t, delay;
    uint32_t sender, seq;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%" SCNu64 " %15s %7s %47s %" SCNu32 " %" SCNu32 " %15s %"
                                      SCNu64, &t, ev, dir, flow, &sender, &seq, kind, &delay), 8);
        assert_string_equal(flow, want_flow);
        assert_string_equal(kind, "plain");
        assert_true(seq < N_STATES);
        (droplog_event_parse(ev) == DROPLOG_FWD ? fwd : lost)[seq]++;
    }
    fclose(f);
    int n_lost = 0;
    for (int i = 0; i < N_STATES; i++) {
        assert_int_equal(fwd[i], got[i]);       /* every copy received has its fwd line */
        assert_int_equal(lost[i], got[i] == 0); /* every state missed, its loss line */
        n_lost += lost[i];
    }
    assert_true(n_lost > N_STATES / 10);
    wire_files_remove(&w);
}

/* ---- without the privilege ---- */

/* In a forked child: a user namespace without a mapping, every capability
 * dropped (a user the system gives nothing); netlab_open's message through
 * the pipe. */
static void unprivileged_child(int out)
{
    char err[256] = "";
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct none[2];
    memset(none, 0, sizeof none);
    if (unshare(CLONE_NEWUSER) != 0 || syscall(SYS_capset, &h, none) != 0)
        snprintf(err, sizeof err, "setup: %s", strerror(errno));
    struct netlab lab;
    if (!err[0] && netlab_open(&lab, err, sizeof err) == 0)
        snprintf(err, sizeof err, "netlab_open succeeded");
    ssize_t n = write(out, err, strlen(err));
    _exit(n > 0 ? 0 : 1);
}

static void without_privilege_one_line(void **unused)
{
    (void)unused;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        unprivileged_child(fds[1]);
    }
    close(fds[1]);
    char msg[512] = "";
    ssize_t n = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    msg[n] = '\0';
    print_message("netlab: %s\n", msg);
    assert_null(strchr(msg, '\n'));
    assert_non_null(strstr(msg, "CAP_SYS_ADMIN"));

    /* netsim run by such a user, pointed at namespaces it cannot enter */
    struct netlab lab;
    char err[256], bin[512];
    if (netlab_open(&lab, err, sizeof err) != 0)
        skip();
    snprintf(bin, sizeof bin, "%s/ricochet-netsim", harness_bin_dir());
    const char *args[] = {"--user", bin, "--client-netns", lab.path[NETLAB_CLIENT],
                          "--relay-netns", lab.path[NETLAB_RELAY], NULL};
    struct spawn_proc p;
    assert_int_equal(spawn_start(&p, "/usr/bin", "unshare", args, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&p, 0, 10000), 1);
    char *text = spawn_read_stderr(&p);
    assert_non_null(text);
    print_message("netsim: %s", text);
    assert_non_null(strstr(text, "--client-netns"));
    assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text)); /* one line */
    free(text);
    spawn_free(&p);
    netlab_close(&lab);
}

/* ---- refusals ---- */

/* netsim with args must exit with status, one line on stderr holding want. */
static void netsim_refuses(const char *const *args, int status, const char *want)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-netsim", args), 0);
    assert_int_equal(spawn_stop(&p, 0, 10000), status);
    char *text = spawn_read_stderr(&p);
    assert_non_null(text);
    if (!strstr(text, want))
        fail_msg("wanted \"%s\" in: %s", want, text);
    assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text));
    free(text);
    spawn_free(&p);
}

/* Half of IP mode, or the proxy's --relay with it: usage errors. Its own
 * namespace (where the host's interfaces are), or one for both sides:
 * refused before any device is made. */
static void ip_mode_refusals(void **unused)
{
    (void)unused;
    struct netlab lab;
    char err[256];
    if (netlab_open(&lab, err, sizeof err) != 0)
        skip();
    const char *c = lab.path[NETLAB_CLIENT], *r = lab.path[NETLAB_RELAY];
    const char *half[] = {"--client-netns", c, NULL};
    netsim_refuses(half, 2, "needs both --client-netns and --relay-netns");
    const char *proxy[] = {"--client-netns", c, "--relay-netns", r, "--relay", "127.0.0.1:9",
                           NULL};
    netsim_refuses(proxy, 2, "--relay is the UDP proxy's");
    const char *own[] = {"--client-netns", c, "--relay-netns", "/proc/self/ns/net", NULL};
    netsim_refuses(own, 1, "is netsim's own network namespace");
    const char *same[] = {"--client-netns", c, "--relay-netns", c, NULL};
    netsim_refuses(same, 1, "name one namespace");
    netlab_close(&lab);
}

/* ---- killed ---- */

/* The whole run in a child: namespaces, netsim between them, a relay in
 * one; tells the parent their pids and the namespaces' inodes, then waits
 * to be killed. */
static void killed_run_child(int out)
{
    struct netlab lab;
    struct spawn_proc netsim, relay;
    char err[512], line[512];
    if (netlab_open(&lab, err, sizeof err) != 0)
        _exit(2);
    const char *ns_args[] = {"--client-netns", lab.path[NETLAB_CLIENT], "--relay-netns",
                             lab.path[NETLAB_RELAY], "--loss", "5", NULL};
    const char *relay_args[] = {"--bind", "198.19.0.1", "--port", "0", NULL};
    if (spawn_start(&netsim, harness_bin_dir(), "ricochet-netsim", ns_args, err, sizeof err) ||
        spawn_wait_line(&netsim, "wire up:", 10000, line, sizeof line, err, sizeof err) ||
        spawn_start_in(&relay, lab.ns[NETLAB_RELAY], harness_bin_dir(), "ricochet-relay",
                       relay_args, err, sizeof err) ||
        spawn_wait_listening(&relay, 10000, err, sizeof err) < 0)
        _exit(3);
    struct stat a, b;
    fstat(lab.ns[NETLAB_CLIENT], &a);
    fstat(lab.ns[NETLAB_RELAY], &b);
    uint64_t facts[4] = {(uint64_t)netsim.pid, (uint64_t)relay.pid, (uint64_t)a.st_ino,
                         (uint64_t)b.st_ino};
    if (write(out, facts, sizeof facts) != (ssize_t)sizeof facts)
        _exit(4);
    for (;;)
        pause();
}

static void killed_run_leaves_nothing(void **unused)
{
    (void)unused;
    struct netlab probe;
    char err[256];
    if (netlab_open(&probe, err, sizeof err) != 0)
        skip();
    netlab_close(&probe);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        killed_run_child(fds[1]);
    }
    close(fds[1]);
    uint64_t facts[4];
    assert_int_equal(read(fds[0], facts, sizeof facts), (ssize_t)sizeof facts);
    close(fds[0]);
    assert_true(procs_alive((pid_t)facts[0]) && procs_alive((pid_t)facts[1]));
    assert_true(procs_netns_held(facts[2]) && procs_netns_held(facts[3]));
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    uint64_t deadline = clock_now_ms() + 5000;
    bool gone = false;
    while (!gone && clock_now_ms() < deadline) {
        gone = !procs_alive((pid_t)facts[0]) && !procs_alive((pid_t)facts[1]) &&
               !procs_netns_held(facts[2]) && !procs_netns_held(facts[3]);
        if (!gone)
            clock_sleep_ms(50);
    }
    assert_true(gone); /* netsim, the relay, both namespaces and so the devices */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_with_loss_retransmits_exactly_the_drops),
        cmocka_unit_test(tcp_states_named_with_their_numbers),
        cmocka_unit_test(udp_states_named_by_client_endpoint),
        cmocka_unit_test(without_privilege_one_line),
        cmocka_unit_test(ip_mode_refusals),
        cmocka_unit_test(killed_run_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
