/* bench_network.c: the network a run crosses (see run_internal.h): its
 * relay on 127.0.0.1 behind netsim's UDP proxy, or, with --netsim-ip, in a
 * network namespace of its own, bound to 198.19.0.1, its clients' sockets
 * made in another (198.18.0.1) and netsim's IP mode between the two, so
 * that a TCP stream crosses the same impairment as the datagrams; and what
 * serves the tcp mode: ricochet-relay's TCP edge, or with --tcp-relay
 * example the teaching relay examples/sockets/tcp_relay; and the reference
 * lane's relay, bench/reference/'s reference-relay. */
#include "run_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/harness/freeport.h"
#include "lab/harness/netlab.h"
#include "lab/netsim/netsim_ip.h"

#define EXAMPLE_START_MS 5000  /* "listening on" deadline for the example relay */
#define REFERENCE_START_MS 5000 /* "listening on" deadline for the reference relay */
#define WIRE_START_MS 10000    /* netsim's "wire up" in IP mode (two devices, routes) */

const char *run_relay_host(const struct run *run)
{
    return run->cfg->lab ? "198.19.0.1" : "127.0.0.1";
}

int run_relay_netns(const struct run *run)
{
    return run->cfg->lab ? run->cfg->lab->ns[NETLAB_RELAY] : -1;
}

const char *run_relay_transport(const struct run *run)
{
    const struct bench_lane *l = bench_lane_of((struct bench_mode){run->mode, run->carrier});
    /* over WebRTC: where the offers go; the webrtc edge is beside it */
    return l->offers ? l->offers : l->edge;
}

size_t run_relay_edges(struct run *run, char *buf, size_t cap, const char **args)
{
    const char *host = run_relay_host(run);
    size_t n = 0;
    int w = snprintf(buf, cap, "ws://%s:0", host) + 1;
    if (w <= 0 || (size_t)w * 2 + 1 > cap)
        return 0;
    snprintf(buf + w, cap - (size_t)w, "webrtc://%s:0", host);
    args[n++] = "--listen";
    args[n++] = buf;
    args[n++] = "--listen";
    args[n++] = buf + w;
    if (run->advertise[0]) {
        args[n++] = "--webrtc-advertise";
        args[n++] = run->advertise;
    }
    return n;
}

int run_pick_advertise(struct run *run)
{
    uint16_t port;
    char err[160];
    if (free_port(SOCK_DGRAM, &port, err, sizeof err) != 0)
        return run_fail(run, "webrtc: a port for netsim: %s", err);
    /* free now: netsim binds it next (--listen) */
    snprintf(run->advertise, sizeof run->advertise, "127.0.0.1:%u", (unsigned)port);
    return 0;
}

bool run_example_relay(const struct run *run)
{
    return strcmp(run_relay_transport(run), "tcp") == 0 &&
           run->cfg->tcp_relay == BENCH_TCP_EXAMPLE;
}

/* Where the example is built: beside the programs, or in ../examples
 * (make's build/examples/ beside build/bin/). Returns 0 or -1. */
static int example_dir(const struct run *run, char *dir, size_t cap)
{
    char path[640];
    snprintf(dir, cap, "%s", run->cfg->bin);
    snprintf(path, sizeof path, "%s/tcp_relay", dir);
    if (access(path, X_OK) == 0)
        return 0;
    snprintf(dir, cap, "%s/../examples", run->cfg->bin);
    snprintf(path, sizeof path, "%s/tcp_relay", dir);
    return access(path, X_OK);
}

int run_start_example_relay(struct run *run, struct spawn_proc *relay, int *port)
{
    char dir[600], err[256];
    if (example_dir(run, dir, sizeof dir) != 0)
        return run_fail(run, "tcp: examples/sockets/tcp_relay is not built in %s or "
                        "%s/../examples (make builds it)", run->cfg->bin, run->cfg->bin);
    const char *args[] = {"0", NULL}; /* the kernel picks the port; it says which */
    if (spawn_start_in(relay, run_relay_netns(run), dir, "tcp_relay", args, err,
                       sizeof err) != 0)
        return run_fail(run, "tcp relay: %s", err);
    run->relay_started = true;
    snprintf(run->r->relay, sizeof run->r->relay, "examples/sockets/tcp_relay");
    run_log(run, "tcp: examples/sockets/tcp_relay serves this mode (--tcp-relay example)");
    *port = spawn_wait_listening(relay, EXAMPLE_START_MS, err, sizeof err);
    if (*port < 0)
        return run_fail(run, "%s", err);
    return 0;
}

const char *run_lane_program(const struct run *run)
{
    return bench_lane_of((struct bench_mode){run->mode, run->carrier})->program;
}

/* The value of --tick-ms in --relay-args ("--tick-ms V" or "--tick-ms=V"),
 * into tick (cap bytes). Returns 0, or -1 when it has none. */
static int relay_tick_arg(const char *relay_args, char *tick, size_t cap)
{
    const char *at = strstr(relay_args, "--tick-ms");
    if (!at)
        return -1;
    at += strlen("--tick-ms");
    at += strspn(at, " \t=");
    size_t n = strcspn(at, " \t");
    if (!n || n >= cap)
        return -1;
    memcpy(tick, at, n);
    tick[n] = '\0';
    return 0;
}

int run_start_lane_relay(struct run *run, struct spawn_proc *relay, int *port)
{
    const char *prog = run_lane_program(run);
    char members[24], tick[24], err[256];
    /* a member per client, and the clients' rooms (every run has fewer) */
    snprintf(members, sizeof members, "%zu", run->n > 1024 ? run->n : 1024);
    const char *args[10] = {"--bind", run_relay_host(run), "--port", "0", "--max-members",
                            members};
    size_t n = 6;
    if (relay_tick_arg(run->cfg->relay_args, tick, sizeof tick) == 0) {
        args[n++] = "--tick-ms"; /* the same tick as ricochet-relay would have */
        args[n++] = tick;
    }
    args[n] = NULL;
    if (spawn_start_in(relay, run_relay_netns(run), run->cfg->bin, prog, args, err,
                       sizeof err) != 0)
        return run_fail(run, "%s: %s (make builds it beside the programs)", prog, err);
    run->relay_started = true;
    snprintf(run->r->relay, sizeof run->r->relay, "%s", prog);
    *port = spawn_wait_listening(relay, REFERENCE_START_MS, err, sizeof err);
    if (*port < 0)
        return run_fail(run, "%s", err);
    return 0;
}

size_t run_netsim_place(const struct run *run, const char *relay_host, int relay_port,
                        char *upstream, size_t cap, const char **args)
{
    const struct netlab *lab = run->cfg->lab;
    size_t n = 0;
    if (lab) {
        args[n++] = "--client-netns";
        args[n++] = lab->path[NETLAB_CLIENT];
        args[n++] = "--relay-netns";
        args[n++] = lab->path[NETLAB_RELAY];
        return n;
    }
    snprintf(upstream, cap, "%s:%d", relay_host, relay_port);
    args[n++] = "--relay";
    args[n++] = upstream;
    return n;
}

int run_wait_netsim(struct run *run, int *port, int timeout_ms)
{
    char err[256], line[256];
    if (!run->cfg->lab) {
        *port = spawn_wait_listening(&run->netsim, timeout_ms, err, sizeof err);
        return *port < 0 ? run_fail(run, "%s", err) : 0;
    }
    /* IP mode: the devices are up and addressed once it says so */
    if (spawn_wait_line(&run->netsim, "wire up:", WIRE_START_MS, line, sizeof line, err,
                        sizeof err) != 0)
        return run_fail(run, "%s", err);
    *port = 0;
    return 0;
}

/* The swarm made and joined from a thread in the client namespace: a
 * socket stays in the namespace it was made in, whichever thread uses it
 * later, so only the making needs the namespace (a client made anew after
 * a failed connect too: the wait makes it), and the bench's own threads
 * stay in theirs (from a user namespace, a thread could not come back). */
struct swarm_job {
    const struct netlab *lab; /* NULL: made here */
    const struct swarm_config *sc;
    const struct swarm_hooks *hooks;
    uint64_t deadline_us;
    struct swarm *sw;
    int ready;                /* swarm_wait_ready's */
    char err[512];
};

static void *swarm_job_run(void *arg)
{
    struct swarm_job *j = arg;
    if (j->lab && netlab_enter(j->lab, NETLAB_CLIENT, j->err, sizeof j->err) != 0)
        return NULL;
    j->sw = swarm_create(j->sc, j->hooks, j->err, sizeof j->err);
    /* Joined means the relay has us in the room. In udp mode the joined
     * notices are best effort and a lost one is never resent (the library
     * learns a member from its first state instead), so only the ENet modes
     * also wait for every member to be known. */
    if (j->sw)
        j->ready = swarm_wait_ready(j->sw, true, j->deadline_us, &run_stop, j->err,
                                    sizeof j->err);
    return NULL;
}

/* ENet resends an unanswered CONNECT at 0.5, 1.5, 3.5 and 7.5 s (a wire
 * client every second after its first), and the relay forgets a half-open
 * handshake after 5 s (transport_enet_guards.c): within 5 s a lost
 * handshake has been made again by a resend; by 10 s one that is still
 * not answered will not be, and a new client (a new connect id) has the
 * rest of the setup. A third of the setup leaves two more tries.
 *
 * Only ENet's handshake: these figures say nothing of the others. A TCP
 * stream's SYN is resent at 1, 3 and 7 s, and a WebSocket's or a poll's
 * request follows it; WebRTC's offer, ICE checks, DTLS and SCTP, and
 * QUIC's handshake back off by their own timers, several round trips
 * each: under netsim's loss they may need more than 5 or 10 s, and cut
 * short they would only start over from nothing. They keep the whole
 * setup, as before connects had limits of their own. (Plain UDP has no
 * connection: its join is resent until the client's timeout.) */
#define CONNECT_TRY_MIN_MS 5000
#define CONNECT_TRY_MAX_MS 10000

uint32_t run_connect_try_ms(long setup_timeout_ms, enum proto_mode mode, int transport)
{
    if (transport != RICOCHET_TRANSPORT_DEFAULT || !proto_mode_info(mode)->enet)
        return 0;
    long ms = setup_timeout_ms / 3;
    if (ms < CONNECT_TRY_MIN_MS)
        ms = CONNECT_TRY_MIN_MS;
    if (ms > CONNECT_TRY_MAX_MS)
        ms = CONNECT_TRY_MAX_MS;
    return (uint32_t)(ms < setup_timeout_ms ? ms : setup_timeout_ms);
}

int run_swarm_start(struct run *run, const struct swarm_config *sc,
                    const struct swarm_hooks *hooks, uint64_t deadline_us)
{
    struct swarm_job j = {.lab = run->cfg->lab, .sc = sc, .hooks = hooks,
                          .deadline_us = deadline_us};
    pthread_t t;
    int rc = j.lab ? pthread_create(&t, NULL, swarm_job_run, &j) : 0;
    if (rc != 0)
        return run_fail(run, "pthread_create: %s", strerror(rc));
    if (j.lab)
        pthread_join(t, NULL);
    else
        swarm_job_run(&j);
    run->sw = j.sw;
    if (!j.sw)
        return run_fail(run, "%s", j.err);
    run->r->connect_retries = swarm_stats(j.sw)->connect_retries;
    return j.ready == 0 ? 0 : run_fail(run, "setup: %s (within %ld ms)", j.err,
                                       run->cfg->setup_timeout_ms);
}

void run_client_side(const struct run *run, union netaddr *ep)
{
    if (ep->sa.sa_family == AF_INET && ep->v4.sin_addr.s_addr == htonl(INADDR_ANY))
        ep->v4.sin_addr.s_addr = htonl(run->cfg->lab ? NETSIM_IP_CLIENT : INADDR_LOOPBACK);
    else if (ep->sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&ep->v6.sin6_addr))
        ep->v6.sin6_addr = in6addr_loopback;
}

/* The values of names on the "prefix:" lines of a /proc/net file (a line
 * of names, then one of values) into v. Returns 0, or -1. */
static int proc_counters(const char *path, const char *prefix, const char *const *names,
                         size_t n, uint64_t *v)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char head[4096], line[4096];
    size_t found = 0;
    while (fgets(head, sizeof head, f) && found < n) {
        if (strncmp(head, prefix, strlen(prefix)) || !fgets(line, sizeof line, f))
            continue;
        char *hs, *vs, *h = strtok_r(head, " \n", &hs), *x = strtok_r(line, " \n", &vs);
        for (; h && x; h = strtok_r(NULL, " \n", &hs), x = strtok_r(NULL, " \n", &vs))
            for (size_t i = 0; i < n; i++)
                if (!strcmp(h, names[i])) {
                    v[i] = strtoull(x, NULL, 10);
                    found++;
                }
    }
    fclose(f);
    return found == n ? 0 : -1;
}

struct counters_job {
    const struct netlab *lab;
    int side;
    uint64_t *n;    /* BENCH_TCP_COUNTERS */
    int rc;
};

/* In a thread of its own in the side's namespace: what /proc/thread-self/net says there. */
static void *counters_run(void *arg)
{
    struct counters_job *j = arg;
    static const char *const snmp[] = {"RetransSegs"};
    static const char *const ext[] = {"TCPFastRetrans", "TCPLossProbes", "TCPTimeouts"};
    char err[160];
    j->rc = netlab_enter(j->lab, j->side, err, sizeof err) == 0 &&
                    proc_counters("/proc/thread-self/net/snmp", "Tcp:", snmp, 1,
                                  &j->n[BENCH_TCP_RETRANS]) == 0 &&
                    proc_counters("/proc/thread-self/net/netstat", "TcpExt:", ext, 3,
                                  &j->n[BENCH_TCP_FAST]) == 0
                ? 0
                : -1;
    return NULL;
}

int run_tcp_counters(const struct run *run, uint64_t n[2][BENCH_TCP_COUNTERS])
{
    if (!run->cfg->lab)
        return -1;
    for (int side = 0; side < 2; side++) {
        struct counters_job j = {.lab = run->cfg->lab,
                                 .side = side ? NETLAB_RELAY : NETLAB_CLIENT, .n = n[side],
                                 .rc = -1};
        pthread_t t;
        if (pthread_create(&t, NULL, counters_run, &j) != 0)
            return -1;
        pthread_join(t, NULL);
        if (j.rc != 0)
            return -1;
    }
    return 0;
}
