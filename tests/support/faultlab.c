/* faultlab.c: the namespaces, slow links, relay and victims of
 * test_e2e_faults (see faultlab.h). */
#include "faultlab.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relay/transport.h"
#include "sys/clock.h"
#include "harness.h"

/* A certificate and its key in f->dir, for wss and quic. */
static void make_certificate(struct faultlab *f, char *cert, char *key, size_t cap)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/ricochet-faults-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(cert, cap, "%s/cert.pem", f->dir);
    snprintf(key, cap, "%s/key.pem", f->dir);
    harness_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
        "-out %s -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1", key, cert);
}

int faultlab_open(struct faultlab *f, const char *const *more, int rtc_link, char *skip_why,
                  size_t cap)
{
    memset(f, 0, sizeof *f);
    if (netlab_open(&f->lab, skip_why, cap) != 0)
        return -1;
    char err[256];
    if (netlab_enter(&f->lab, NETLAB_RELAY, err, sizeof err) != 0 || f->lab.userns) {
        snprintf(skip_why, cap, "%s", f->lab.userns ? "namespaces of a user namespace: no "
                                                       "way back, no tc" : err);
        netlab_close(&f->lab);
        return -1;
    }
    faultlab_link(f, rtc_link);
    char cert[96], key[96], listen[FAULTLAB_EDGES][48], advertise[32];
    snprintf(advertise, sizeof advertise, "198.18.%d.1:0", 10 + rtc_link);
    make_certificate(f, cert, key, sizeof cert);
    const char *args[SPAWN_MAX_ARGS + 1];
    size_t n = 0;
    for (size_t i = 0; relay_transports[i]; i++) {
        assert_true(i < FAULTLAB_EDGES);
        f->edge[i] = relay_transports[i]->name;
        snprintf(listen[i], sizeof listen[i], "%s://0.0.0.0:0", f->edge[i]);
        args[n++] = "--listen";
        args[n++] = listen[i];
        f->n_edges++;
    }
    args[n++] = "--webrtc-advertise";
    args[n++] = advertise;
    args[n++] = "--tls-cert";
    args[n++] = cert;
    args[n++] = "--tls-key";
    args[n++] = key;
    for (size_t i = 0; more && more[i]; i++) {
        assert_true(n < SPAWN_MAX_ARGS);
        args[n++] = more[i];
    }
    args[n] = NULL;
    assert_true(harness_start_relay(&f->relay, args) > 0);
    for (int i = 0; i < f->n_edges; i++)
        assert_int_not_equal(f->port[i] = harness_edge_port(&f->relay, f->edge[i]), 0);
    return 0;
}

uint16_t faultlab_port(const struct faultlab *f, const char *scheme)
{
    for (int i = 0; i < f->n_edges; i++)
        if (strcmp(f->edge[i], scheme) == 0)
            return f->port[i];
    fail_msg("faultlab: the relay has no %s edge", scheme);
    return 0;
}

void faultlab_link(struct faultlab *f, int i)
{
    const char *slow = f->lab.path[NETLAB_CLIENT];
    if (f->links >> i & 1)
        return;
    harness_sh("ip link add fr%d type veth peer name fv%d netns %s", i, i, slow);
    harness_sh("ip addr add 198.18.%d.1/30 dev fr%d && ip link set fr%d up", 10 + i, i, i);
    /* 0.5 Mbit/s toward the slow member, what would wait over a second
     * dropped: a bottleneck with a phone link's buffer (62 kB) */
    harness_sh("tc qdisc add dev fr%d root tbf rate %dkbit burst 8kb latency 1000ms", i,
        FAULTLAB_SLOW_KBIT);
    harness_sh("nsenter --net=%s sh -c 'ip addr add 198.18.%d.2/30 dev fv%d && ip link set fv%d up'",
        slow, 10 + i, i, i);
    f->links |= 1u << i;
}

char *faultlab_close(struct faultlab *f)
{
    char *err = NULL;
    if (f->relay.pid) {
        free(harness_relay_finish(&f->relay));
        err = spawn_read_stderr(&f->relay);
        spawn_free(&f->relay);
    }
    for (int i = 0; i < 32; i++)
        if (f->links >> i & 1)
            harness_sh("ip link del fr%d", i); /* its peer goes with it */
    char e[256];
    netlab_enter(&f->lab, NETLAB_SIDES, e, sizeof e);
    netlab_close(&f->lab);
    if (f->dir[0]) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "faultlab: could not remove %s\n", f->dir);
    }
    return err;
}

/* ---- victims: members in processes of their own ------------------------ */

static volatile sig_atomic_t victim_done;

static void on_term(int sig)
{
    (void)sig;
    victim_done = 1;
}

/* The victim's process: join, say the id, read until SIGTERM, say how it
 * went. */
static void victim_run(int out, const struct way *w, const char *host, uint16_t port,
                       const char *room, const char *name)
{
    signal(SIGTERM, on_term);
    struct member m;
    /* a handshake behind a slow link, under ASan, on a busy machine: 30 s,
     * a refusal (the link just up) tried again within them */
    uint32_t id = 0;
    for (uint64_t end = clock_now_ms() + 30000; !id && clock_now_ms() + 200 < end;) {
        if (member_join(&m, w, host, port, room, name, (int)(end - clock_now_ms())) == 0)
            id = m.id;
        else
            clock_sleep_ms(200);
    }
    if (write(out, &id, sizeof id) != sizeof id || !id)
        _exit(1);
    while (!victim_done && member_poll(&m, 5) == 0)
        ;
    while (!victim_done)
        clock_sleep_ms(5);
    struct victim_end end = {.ended = m.ended, .events = m.events};
    memcpy(end.events_from, m.events_from, sizeof end.events_from);
    snprintf(end.code, sizeof end.code, "%s", m.end_code);
    for (size_t i = 0; i < MEMBER_IDS; i++)
        end.states += m.states[i];
    if (write(out, &end, sizeof end) != sizeof end)
        _exit(1);
    member_close(&m);
    _exit(0);
}

void victim_start(struct victim *v, struct faultlab *f, const struct way *w, int link,
                  const char *room, const char *name)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    char host[32];
    snprintf(host, sizeof host, link < 0 ? "127.0.0.1" : "198.18.%d.1", 10 + link);
    uint16_t port = faultlab_port(f, w->offers ? w->offers : w->edge);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* it dies with the test */
        if (link >= 0 && setns(f->lab.ns[NETLAB_CLIENT], CLONE_NEWNET) != 0)
            _exit(1);
        victim_run(p[1], w, host, port, room, name);
    }
    close(p[1]);
    *v = (struct victim){.pid = pid, .fd = p[0]};
}

/* Reads len bytes from v's pipe within ms. Returns true if they came. */
static bool read_report(struct victim *v, void *out, size_t len, int ms)
{
    struct pollfd pf = {.fd = v->fd, .events = POLLIN};
    return poll(&pf, 1, ms) == 1 && read(v->fd, out, len) == (ssize_t)len;
}

uint32_t victim_joined(struct victim *v, int ms)
{
    if (!v->id && !read_report(v, &v->id, sizeof v->id, ms))
        v->id = 0;
    return v->id;
}

void victim_stop(struct victim *v)
{
    kill(v->pid, SIGSTOP);
    v->stopped = true;
}

struct victim_end victim_end(struct victim *v)
{
    struct victim_end end = {0};
    if (v->stopped) {
        kill(v->pid, SIGKILL);
    } else {
        kill(v->pid, SIGTERM);
        if (!read_report(v, &end, sizeof end, 5000))
            snprintf(end.code, sizeof end.code, "no report");
    }
    waitpid(v->pid, NULL, 0);
    close(v->fd);
    return end;
}
