/* live_calls.c: each lane's two ends (see live.h), what the socket course
 * teaches on real sockets: the relay's fixed, named ports (IP mode: the
 * relay has a network namespace of its own, so the lesson takes the
 * course's ports, HTTP's 80 for the polling lanes), each client's
 * ephemeral one, and the system calls both ends made with the descriptors
 * and ports they got; and what HTTP cost a stream's lane. The relay's
 * descriptors are read where the kernel keeps them: /proc/PID/net/tcp and
 * udp (its namespace's sockets, by inode) and /proc/PID/fd (which
 * descriptor holds each inode); the clients' are the lesson's own. Runs in
 * the page server's thread, on a snapshot. */
#include "live_calls.h"
#include "live_guests.h"
#include "live_snapshot.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/netsim/droplog.h"

#define SOCKETS_MAX 64 /* the relay's sockets on one port looked at */

/* The lesson's fixed ports: the course's well-known ones where it has
 * them, ricochet's own (README.md's) for the rest. */
static const struct {
    const char *edge;
    uint16_t port;
} fixed_ports[] = {{"poll", 80},    {"quic", 443},   {"enet", 7777}, {"udp", 7778},
                   {"tcp", 7779},   {"ws", 7780},    {"webrtc", 7781}};

uint16_t live_fixed_port(const char *edge)
{
    for (size_t i = 0; i < sizeof fixed_ports / sizeof fixed_ports[0]; i++)
        if (!strcmp(fixed_ports[i].edge, edge))
            return fixed_ports[i].port;
    return 0;
}

void live_ends_json(FILE *f, const struct live_lane_snap *l)
{
    fputs("{\"relay\":", f);
    live_json_str(f, l->ends.relay);
    fprintf(f, ",\"fixed\":%s,\"edge\":", l->ends.fixed ? "true" : "false");
    live_json_str(f, bench_lane(l->lane)->edge);
    fputs(",\"senders\":[", f);
    for (size_t k = 0; k < l->n_senders; k++) {
        fputs(k ? "," : "", f);
        live_json_str(f, l->up_flow[k]);
    }
    fputs("],\"receiver\":", f);
    live_json_str(f, l->down_flow);
    fputc('}', f);
}

void live_http_cost_json(FILE *f, const struct live_figures *x)
{
    fprintf(f, ",\"segments_dropped\":%llu,\"behind_segment\":%llu",
            (unsigned long long)x->segments_dropped, (unsigned long long)x->behind_segment);
    fprintf(f, ",\"http\":{\"clients\":%u,\"requests\":%llu,\"heads\":%llu,"
               "\"requests_window\":%llu,\"heads_window\":%llu}", x->clients,
            (unsigned long long)x->requests_all, (unsigned long long)x->heads_all,
            (unsigned long long)x->requests_window, (unsigned long long)x->heads_window);
}

/* One socket of the relay's, as /proc/PID/net/{tcp,udp} lists it. */
struct proc_socket {
    char local[48], remote[48];
    unsigned state;                 /* TCP: 0x0A listening, 0x01 established */
    unsigned long inode;
    int fd;                         /* the relay's descriptor of it (-1: not found) */
};

/* "0100A8C0:1E61" (the kernel's hex of an IPv4 endpoint) as "192.168.0.1:7777". */
static void proc_endpoint(const char *hex, char *out, size_t cap)
{
    unsigned addr = 0, port = 0;
    char ip[INET_ADDRSTRLEN] = "?";
    if (sscanf(hex, "%8X:%4X", &addr, &port) == 2) {
        struct in_addr a = {.s_addr = addr}; /* printed as the host reads the network's */
        inet_ntop(AF_INET, &a, ip, sizeof ip);
    }
    snprintf(out, cap, "%s:%u", ip, port);
}

/* The relay's sockets of one table (tcp or udp) whose local endpoint is
 * local, into out. Returns how many. */
static size_t proc_sockets(int pid, const char *table, const char *local,
                           struct proc_socket *out, size_t cap)
{
    char path[64], line[512], l[32], r[32];
    size_t n = 0;
    snprintf(path, sizeof path, "/proc/%d/net/%s", pid, table);
    FILE *f = fopen(path, "r");
    while (f && n < cap && fgets(line, sizeof line, f)) {
        struct proc_socket *s = &out[n];
        if (sscanf(line, " %*u: %31s %31s %X %*s %*s %*s %*u %*u %lu", l, r, &s->state,
                   &s->inode) != 4)
            continue; /* the heading */
        proc_endpoint(l, s->local, sizeof s->local);
        proc_endpoint(r, s->remote, sizeof s->remote);
        s->fd = -1;
        n += !strcmp(s->local, local);
    }
    if (f)
        fclose(f);
    return n;
}

/* Each socket's descriptor in the relay's process, by its inode. */
static void proc_fds(int pid, struct proc_socket *s, size_t n)
{
    char path[64], link[64], want[40];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));) {
        char at[320];
        snprintf(at, sizeof at, "%s/%.255s", path, e->d_name);
        ssize_t len = readlink(at, link, sizeof link - 1);
        if (len <= 0)
            continue;
        link[len] = '\0';
        for (size_t i = 0; i < n; i++) {
            snprintf(want, sizeof want, "socket:[%lu]", s[i].inode);
            if (!strcmp(link, want))
                s[i].fd = atoi(e->d_name);
        }
    }
    if (d)
        closedir(d);
}

/* A step: {"call": NAME, "fd": FD, "ret": RET, "at": AT, "who": WHO}, the
 * negative numbers and NULL strings left out. */
static void step(FILE *f, bool *first, const char *call, int fd, int ret, const char *at,
                 const char *who)
{
    fprintf(f, "%s{\"call\":\"%s\"", *first ? "" : ",", call);
    *first = false;
    if (fd >= 0)
        fprintf(f, ",\"fd\":%d", fd);
    if (ret >= 0)
        fprintf(f, ",\"ret\":%d", ret);
    if (at) {
        fputs(",\"at\":", f);
        live_json_str(f, at);
    }
    if (who)
        fprintf(f, ",\"who\":\"%s\"", who);
    fputc('}', f);
}

/* The relay's calls: TCP socket, bind, listen, then an accept per client
 * (the new socket it returned, the client's endpoint); UDP socket, bind,
 * then recvfrom the sender and sendto the receiver on the one socket. */
static void server_json(FILE *f, const struct live_snapshot *s, const struct live_lane_snap *l,
                        bool stream)
{
    struct proc_socket sk[SOCKETS_MAX];
    size_t n = s->relay_pid ? proc_sockets(s->relay_pid, stream ? "tcp" : "udp",
                                           l->ends.relay, sk, SOCKETS_MAX) : 0;
    proc_fds(s->relay_pid, sk, n);
    int fd = -1;
    for (size_t i = 0; i < n && fd < 0; i++)
        if (!stream || sk[i].state == 0x0A)
            fd = sk[i].fd;
    bool first = true;
    fputs("\"server\":[", f);
    step(f, &first, "socket", -1, fd, NULL, NULL);
    step(f, &first, "bind", fd, -1, l->ends.relay, NULL);
    if (stream)
        step(f, &first, "listen", fd, -1, NULL, NULL);
    const char *peer[2] = {l->up_flow[0], l->down_flow}, *who[2] = {"sender", "receiver"};
    for (int e = 0; e < 2; e++) {
        int got = -1;
        for (size_t i = 0; stream && i < n; i++)
            if (sk[i].state == 0x01 && !strcmp(sk[i].remote, peer[e]))
                got = sk[i].fd;
        if (stream)
            step(f, &first, "accept", fd, got, peer[e], who[e]);
        else
            step(f, &first, e ? "sendto" : "recvfrom", fd, -1, l->ends.fixed ? peer[e] : NULL,
                 who[e]);
    }
    fputc(']', f);
}

/* A client's calls: socket, then connect (a stream's, with its handshake;
 * a datagram socket's, which sends nothing and only fixes where send()
 * goes) or bind / its first sendto (the kernel's port), then its traffic. */
static void client_json(FILE *f, const struct live_lane_snap *l, int e, bool stream)
{
    int fd = e ? l->ends.down_fd : l->ends.up_fd[0];
    const char *at = e ? l->down_flow : l->up_flow[0];
    union netaddr peer;
    socklen_t len = sizeof peer;
    bool connected = fd >= 0 && getpeername(fd, &peer.sa, &len) == 0;
    bool first = true;
    fprintf(f, "{\"who\":\"%s\",\"at\":", e ? "receiver" : "sender");
    live_json_str(f, at);
    fputs(",\"steps\":[", f);
    step(f, &first, "socket", -1, fd, NULL, NULL);
    step(f, &first, connected || stream ? "connect" : "bind", fd, -1,
         connected || stream ? l->ends.relay : at, NULL);
    step(f, &first, stream ? (e ? "recv" : "send") : (e ? "recvfrom" : "sendto"), fd, -1,
         l->ends.relay, NULL);
    fputs("]}", f);
}

static void handshake_json(FILE *f, const struct live_lane_snap *l, uint64_t t0)
{
    fputs("\"handshake\":[", f);
    for (int e = 0; e < 2; e++) {
        fputs(e ? ",[" : "[", f);
        for (size_t k = 0; k < l->ends.n_hs[e]; k++) {
            const struct live_segment *g = &l->ends.hs[e][k];
            fprintf(f, "%s{\"flags\":", k ? "," : "");
            live_json_str(f, g->flags);
            fprintf(f, ",\"dir\":\"%s\",\"event\":\"%s\",\"t_ms\":%.1f,\"seq\":%u}",
                    g->dir ? "down" : "up", droplog_event_name(g->event),
                    g->t_us >= t0 ? (double)(g->t_us - t0) / 1e3 : -(double)(t0 - g->t_us) / 1e3,
                    (unsigned)g->start);
        }
        fputc(']', f);
    }
    fputc(']', f);
}

char *live_calls_text(const struct live_snapshot *s, const char *lane, unsigned *status,
                      char *why, size_t why_cap)
{
    const struct live_lane_snap *l = NULL;
    for (size_t k = 0; lane && !l && k < s->n_lanes; k++)
        if (!strcmp(bench_lane(s->lanes[k].lane)->name, lane))
            l = &s->lanes[k];
    *status = !lane ? 400 : !l ? 404 : 409;
    if (!lane)
        snprintf(why, why_cap, "want /calls?lane=NAME");
    else if (!l)
        snprintf(why, why_cap, "%.60s: no such lane", lane);
    else if (strcmp(l->state, "running"))
        snprintf(why, why_cap, "%.60s: not running yet", lane);
    if (!l || strcmp(l->state, "running"))
        return NULL;
    bool stream = bench_lane(l->lane)->ip;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        *status = 500;
        snprintf(why, why_cap, "out of memory");
        return NULL;
    }
    fprintf(f, "{\"lane\":");
    live_json_str(f, lane);
    fprintf(f, ",\"stream\":%s,\"ends\":", stream ? "true" : "false");
    live_ends_json(f, l);
    fputc(',', f);
    server_json(f, s, l, stream);
    fputs(",\"clients\":[", f);
    client_json(f, l, 0, stream);
    fputc(',', f);
    client_json(f, l, 1, stream);
    fputs("],", f);
    handshake_json(f, l, s->t0_us);
    fputc('}', f);
    fclose(f);
    *status = 200;
    return text;
}
