/* live_door.c: the lesson's door for a program of the learner's own (see
 * live.h; docs/sockets.md, "Your own player"). The lanes' clients open
 * their sockets in the clients' network namespace, where no program of
 * this machine can reach; the door is a UDP socket and a TCP listener on
 * 127.0.0.1 in the lesson's own (or on the address a teacher names, for a
 * class's machines: a few places an address, so none holds the door). A
 * program the relay has not welcomed is one a newcomer's place may be
 * taken from (the oldest first, an address's own first), and gets the
 * relay's join deadline: a TCP connection that sent nothing, a UDP
 * program from another machine not welcomed. For each program that
 * comes, the door makes a socket of its own in the clients' namespace
 * towards the relay's plain-UDP or TCP edge, so that the program's bytes
 * cross the same netsim as the lanes' (its flow is that socket's
 * endpoint); without IP mode its datagrams go through netsim's proxy of
 * the udp edge, and there is no TCP door (netsim impairs a stream only in
 * IP mode). The door copies bytes as they are, both ways, and reads them
 * on the way: the join and the relay's welcome say who the program is,
 * states are counted each way, and the relay's errors are kept with the
 * message the program sent before them, so that a program sending garbage
 * gets a line on the page, even when the relay answers nothing (a
 * stranger's datagram shorter than the answer). Its states, its pings and
 * netsim's lines of them make its lane (live_guests.c). */
#include "live_door.h"
#include "live.h"
#include "live_door_strangers.h"
#include "live_guests.h"
#include "live_snapshot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/audit/audit.h"
#include "lab/harness/netlab.h"
#include "lab/netsim/droplog.h"
#include "lab/netsim/netsim_ip.h"
#include "proto/utf8.h"
#include "relay/core/source_key.h"
#include "sys/clock.h"
#include "sys/netaddr.h"

#define GONE_KEEP_US 15000000u  /* a program gone stays on the page this long */
#define SILENT_US 30000000u     /* a UDP program silent this long is gone */
#define JOIN_DEADLINE_US 2000000u /* a connection that sent no byte this long is closed: the
                                     relay's --join-timeout-ms (its default, as the lesson
                                     runs it) */
#define UNANSWERED_US 1000000u  /* no answer this long after its message: said */
#define ODD_RECENT_US 2000000u  /* a message that was no state, this recent: what an error
                                   answered */
#define DATAGRAM_MAX 2048

/* The relay's port for edge name (0: none). */
static uint16_t edge_port(const struct live *lv, const char *name)
{
    for (size_t i = 0; i < lv->n_edges; i++)
        if (!strcmp(lv->edges[i].name, name))
            return lv->edges[i].port;
    return 0;
}

/* Where the door sends a program's bytes: the relay's edge, or without IP
 * mode netsim's proxy in front of the udp edge (0: not up). */
static uint16_t target_port(const struct live *lv, bool tcp)
{
    for (size_t i = 0; !lv->ip_mode && !tcp && i < lv->n_netsims; i++)
        if (lv->netsims[i].edge && !strcmp(lv->netsims[i].edge, "udp") && lv->netsims[i].started)
            return (uint16_t)lv->netsims[i].port;
    if (!lv->relay_started)
        return 0;
    return lv->ip_mode || !tcp ? edge_port(lv, tcp ? "tcp" : "udp") : 0;
}

/* The door's socket of type on host:port, its endpoint into at; -1 with
 * errno set (a name that does not resolve: EADDRNOTAVAIL). */
static int listen_on(const char *host, int type, uint16_t port, char *at, size_t cap)
{
    union netaddr a;
    char err[160];
    if (netaddr_resolve(host, port, &a, err, sizeof err) != 0) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int fd = socket(a.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    socklen_t len = sizeof a;
    if (fd < 0)
        return -1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, &a.sa, netaddr_len(&a)) != 0 || (type == SOCK_STREAM && listen(fd, 64) != 0) ||
        getsockname(fd, &a.sa, &len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    netaddr_format(&a, at, cap);
    return fd;
}

int live_door_open(struct live *lv, char *err, size_t err_cap)
{
    struct live_door *d = &lv->door;
    d->tcp = -1;
    for (size_t i = 0; i < LIVE_GUESTS; i++)
        d->guests[i].fd = d->guests[i].conn = -1;
    const char *host = lv->cfg->door_address;
    if (live_door_strangers_init(d, clock_now_us()) != 0) {
        snprintf(err, err_cap, "no random bytes for its cookies: %s", strerror(errno));
        return -1;
    }
    d->udp = listen_on(host, SOCK_DGRAM, (uint16_t)lv->cfg->door_port, d->udp_at,
                       sizeof d->udp_at);
    if (d->udp < 0) {
        snprintf(err, err_cap, "udp: %s", strerror(errno));
        return -1;
    }
    if (!lv->ip_mode) {
        snprintf(d->why, sizeof d->why, "over TCP only in IP mode: netsim impairs a stream "
                 "only between the two namespaces");
        return 0;
    }
    uint16_t port = (uint16_t)atoi(strrchr(d->udp_at, ':') + 1); /* the same number if free */
    d->tcp = listen_on(host, SOCK_STREAM, port, d->tcp_at, sizeof d->tcp_at);
    if (d->tcp < 0 && !lv->cfg->door_port)
        d->tcp = listen_on(host, SOCK_STREAM, 0, d->tcp_at, sizeof d->tcp_at);
    if (d->tcp < 0) {
        snprintf(err, err_cap, "tcp port %u: %s", (unsigned)port, strerror(errno));
        close(d->udp);
        d->udp = -1;
        return -1;
    }
    return 0;
}

bool live_door_local(const struct live *lv)
{
    union netaddr a;
    char err[160];
    return netaddr_parse_endpoint(lv->door.udp_at, &a, err, sizeof err) == 0 &&
           netaddr_is_loopback(&a);
}

/* ---- a program's messages, read on the way ---- */

/* A message (whole bytes, m its first len) as the program's words. */
static void keep_sent(struct live_sent *k, const unsigned char *m, size_t len, size_t whole,
                      bool raw)
{
    k->hex[0] = '\0';
    for (size_t i = 0; i < len && i < 16; i++)
        snprintf(k->hex + (i ? 3 * i - 1 : 0), sizeof k->hex - 3 * i, "%s%02x", i ? " " : "",
                 m[i]);
    k->len = whole;
    k->raw = raw;
}

/* A stream's bytes before its first whole message: its first ones kept. */
static void raw_start(struct live_guest *g, const unsigned char *p, size_t n, uint64_t now_us)
{
    size_t had = g->last.len;
    for (size_t i = 0; had + i < sizeof g->raw && i < n; i++)
        g->raw[had + i] = p[i];
    keep_sent(&g->last, g->raw, had + n < sizeof g->raw ? had + n : sizeof g->raw, had + n,
              true);
    g->odd = g->last;
    g->odd_us = now_us;
}

/* A message the program sent: its join, its leave, a state; kept as the
 * last one, for the line an error gets. */
static void read_up(struct live_guest *g, const unsigned char *m, size_t len, size_t whole,
                    uint64_t now_us)
{
    g->s.messages_up++;
    g->last_sent_us = now_us;
    keep_sent(&g->last, m, len, whole, false);
    if (whole >= 40 && m[0] == 1 && m[1] == 1) {
        g->s.states_up++;
        live_guest_state(g, m, len, now_us);
        return;
    }
    g->odd = g->last;
    g->odd_us = now_us;
    cJSON *o = len && m[0] == '{' ? cJSON_ParseWithLength((const char *)m, len) : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *room = cJSON_GetObjectItemCaseSensitive(o, "room");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "ping") && cJSON_IsNumber(t)) {
        live_guest_ping(g, t->valuedouble, now_us);
    } else if (cJSON_IsString(type) && !strcmp(type->valuestring, "join")) {
        snprintf(g->s.room, sizeof g->s.room, "%s", cJSON_IsString(room) ? room->valuestring : "");
        snprintf(g->s.name, sizeof g->s.name, "%s", cJSON_IsString(name) ? name->valuestring : "");
        /* cut where a character ends: the card shows it as text, 민수 or Nguyễn */
        g->s.name[proto_utf8_valid_prefix(g->s.name, strlen(g->s.name))] = '\0';
    } else if (cJSON_IsString(type) && !strcmp(type->valuestring, "leave")) {
        snprintf(g->s.end, sizeof g->s.end, "it left");
    }
    cJSON_Delete(o);
}

/* A message the relay sent the program: its welcome, an error, a state. */
static void read_down(struct live_guest *g, const unsigned char *m, size_t len, size_t whole,
                      uint64_t now_us)
{
    g->answered = true;
    if (whole >= 40 && m[0] == 1 && m[1] == 1) {
        g->s.states_down++;
        return;
    }
    cJSON *o = len && m[0] == '{' ? cJSON_ParseWithLength((const char *)m, len) : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(o, "message");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "pong") && cJSON_IsNumber(t)) {
        live_guest_pong(g, t->valuedouble, now_us);
    } else if (cJSON_IsString(type) && !strcmp(type->valuestring, "welcome") &&
               cJSON_IsNumber(id)) {
        g->s.id = (uint32_t)id->valuedouble;
        g->welcomed = true;
        snprintf(g->s.state, sizeof g->s.state, "joined");
    } else if (cJSON_IsString(type) && !strcmp(type->valuestring, "error")) {
        snprintf(g->s.error_code, sizeof g->s.error_code, "%s",
                 cJSON_IsString(code) ? code->valuestring : "?");
        snprintf(g->s.error_message, sizeof g->s.error_message, "%s",
                 cJSON_IsString(message) ? message->valuestring : "");
        g->s.error_us = now_us;
        /* what it answered: a message that was no state, if one went shortly before (the
           states sent since passed), else the last */
        g->s.sent = g->odd_us && now_us - g->odd_us < ODD_RECENT_US ? g->odd : g->last;
    }
    cJSON_Delete(o);
}

/* A stream's bytes into its frames: each message read as it completes (a
 * long one by its first bytes). */
static void read_frames(struct live_guest *g, int dir, const unsigned char *p, size_t n,
                        uint64_t now_us)
{
    struct live_frame_reader *r = &g->rd[dir];
    for (size_t i = 0; i < n; i++) {
        if (r->head < 2) {
            r->len = r->head ? r->len | p[i] : (size_t)p[i] << 8;
            if (++r->head == 2)
                r->have = 0;
            continue;
        }
        if (r->have < sizeof r->msg)
            r->msg[r->have] = p[i];
        if (++r->have == r->len) {
            size_t kept = r->len < sizeof r->msg ? r->len : sizeof r->msg;
            (dir ? read_down : read_up)(g, r->msg, kept, r->len, now_us);
            r->head = 0;
        }
    }
}

/* ---- the programs ---- */

static void gone(struct live_guest *g, const char *why, uint64_t now_us);

/* A connection that has not sent a byte yet: the join deadline closes it.
 * One that has spoken, even if the door's connection to the relay for it
 * is still on its way, is not silent (the door reads its bytes at once). */
static bool silent(const struct live_guest *g)
{
    return g->used && g->fd >= 0 && g->s.tcp && !g->spoke;
}

/* A program the relay has not welcomed yet, over either transport. Its
 * place can be taken: a UDP source address proves nothing until the
 * relay's cookie, sent through the door to that address, comes back in a
 * join (the welcome is that proof), and a TCP connection holds no member
 * until then. */
static bool unjoined(const struct live_guest *g)
{
    return g->used && g->fd >= 0 && !g->welcomed;
}

/* A UDP program from another machine not welcomed within the relay's join
 * deadline: its place goes (its next datagram finds one again). Loopback's
 * are the teacher's machine's, which no machine of the class can forge:
 * they stay, and their lanes with the relay's silence or its error. */
static bool past_deadline(const struct live_guest *g, uint64_t now_us)
{
    return unjoined(g) && !g->s.tcp && !netaddr_is_loopback(&g->from) &&
           now_us - g->born_us > JOIN_DEADLINE_US;
}

/* A place for a newcomer from from: its own lane again if it had one (a
 * UDP program whose place went), a free one, else the one gone longest
 * ago (kept for the page only). The door full, the place of a program not
 * joined, which is closed: the newcomer's address's own oldest if it
 * holds one, else the oldest of all. So a joined program's place is never
 * taken, programs that never join never keep a newcomer out, and an
 * address takes one other's place at a time: one machine holding ten
 * addresses of a class's network, its programs never joining, takes a
 * newcomer's place only once all its own older ones went first. An address
 * other than loopback holds LIVE_GUESTS_PER_ADDRESS places at most,
 * counted by the relay's unit (an IPv4 address, an IPv6 /64: one host may
 * hold a whole /64): past them, its own oldest not joined, else none. */
static struct live_guest *guest_place(struct live *lv, bool tcp, const union netaddr *from,
                                      uint64_t now_us)
{
    struct live_guest *again = NULL, *free_one = NULL, *gone_one = NULL, *oldest = NULL,
                      *own_oldest = NULL;
    size_t own = 0;
    for (size_t i = 0; i < LIVE_GUESTS; i++) {
        struct live_guest *g = &lv->door.guests[i];
        bool mine = g->used && g->fd >= 0 && source_same(&g->from, from);
        own += mine;
        if (!g->used && !free_one)
            free_one = g;
        else if (g->used && g->fd < 0 && !tcp && !g->s.tcp && netaddr_equal(&g->from, from))
            again = g;
        else if (g->used && g->fd < 0 && (!gone_one || g->gone_us < gone_one->gone_us))
            gone_one = g;
        if (unjoined(g) && (!oldest || g->born_us < oldest->born_us))
            oldest = g;
        if (unjoined(g) && mine && (!own_oldest || g->born_us < own_oldest->born_us))
            own_oldest = g;
    }
    struct live_guest *g = again ? again : free_one ? free_one : gone_one;
    if (!g)
        g = own_oldest ? own_oldest : oldest;
    if (!netaddr_is_loopback(from) && own >= LIVE_GUESTS_PER_ADDRESS)
        g = own_oldest;
    if (g && g->used && g->fd >= 0)
        gone(g, g->spoke ? "it had not joined, and a newcomer took its place"
                         : "it sent nothing, and a newcomer took its place", now_us);
    return g;
}

static struct live_guest *new_guest(struct live *lv, bool tcp, const union netaddr *from,
                                    uint64_t now_us)
{
    struct live_guest *g = guest_place(lv, tcp, from, now_us);
    if (!g)
        return NULL;
    memset(g, 0, sizeof *g);
    g->used = true;
    g->fd = g->conn = -1;
    g->s.tcp = tcp;
    g->from = *from;
    netaddr_format(from, g->s.endpoint, sizeof g->s.endpoint);
    g->last_us = g->born_us = now_us;
    snprintf(g->s.state, sizeof g->s.state, "joining");
    return g;
}

/* Its end: the sockets closed, the reason kept for the page. */
static void gone(struct live_guest *g, const char *why, uint64_t now_us)
{
    if (g->fd >= 0)
        close(g->fd);
    if (g->conn >= 0)
        close(g->conn);
    g->fd = g->conn = -1;
    if (!g->s.end[0]) /* the first reason stays: "it left", then its socket closed */
        snprintf(g->s.end, sizeof g->s.end, "%s", why);
    snprintf(g->s.state, sizeof g->s.state, "gone");
    g->gone_us = now_us;
}

/* The door's socket for g towards the relay, connected (a stream's: on its
 * way), in the clients' namespace in IP mode. Returns 0 or -1. */
static int open_towards(struct live *lv, struct live_guest *g, uint16_t port)
{
    int type = (g->s.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, one = 1;
    g->fd = lv->ip_mode ? netlab_socket(lv->cfg->lab, NETLAB_CLIENT, AF_INET, type, 0)
                        : socket(AF_INET, type, 0);
    union netaddr to;
    char err[160];
    if (g->fd < 0 || netaddr_resolve(lv->relay_host, port, &to, err, sizeof err) != 0)
        return -1;
    if (g->s.tcp)
        setsockopt(g->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(g->fd, &to.sa, netaddr_len(&to)) != 0 && errno != EINPROGRESS)
        return -1;
    g->target_port = port;
    netaddr_format(&to, g->s.relay, sizeof g->s.relay);
    union netaddr me;
    socklen_t len = sizeof me;
    if (getsockname(g->fd, &me.sa, &len) == 0 && netaddr_from_sockaddr(&me, &me.sa, len) == 0) {
        if (me.v4.sin_addr.s_addr == htonl(INADDR_ANY))
            me.v4.sin_addr.s_addr = htonl(lv->ip_mode ? NETSIM_IP_CLIENT : INADDR_LOOPBACK);
        netaddr_format(&me, g->s.flow, sizeof g->s.flow);
    }
    return 0;
}

/* The program a datagram (b, n bytes) from from is for: the one the door
 * holds for that endpoint, else a new one, from another machine only once
 * its join has echoed the door's cookie. Loopback's are the teacher's
 * machine's: the kernel drops a datagram from another machine that names
 * loopback as its source (a martian), so none of the class can send as
 * it. NULL: dropped. */
static struct live_guest *udp_guest(struct live *lv, const union netaddr *from,
                                    const unsigned char *b, size_t n, uint64_t now_us)
{
    for (size_t i = 0; i < LIVE_GUESTS; i++) {
        struct live_guest *g = &lv->door.guests[i];
        if (g->used && !g->s.tcp && g->fd >= 0 && netaddr_equal(&g->from, from))
            return g;
    }
    if (!netaddr_is_loopback(from) && !live_door_stranger_proven(&lv->door, from, b, n, now_us))
        return NULL;
    uint16_t port = target_port(lv, false);
    struct live_guest *g = port ? new_guest(lv, false, from, now_us) : NULL;
    if (!g)
        return NULL; /* the relay not up, or the door full: the datagram is dropped */
    if (open_towards(lv, g, port) != 0) {
        gone(g, "the door could not open its socket towards the relay", now_us);
        return NULL;
    }
    return g;
}

/* The door's UDP socket: each datagram to its program's socket. */
static void udp_in(struct live *lv, uint64_t now_us)
{
    unsigned char buf[DATAGRAM_MAX];
    for (int k = 0; k < 64; k++) {
        union netaddr from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(lv->door.udp, buf, sizeof buf, 0, &from.sa, &len);
        if (n < 0)
            return;
        struct live_guest *g = udp_guest(lv, &from, buf, (size_t)n, now_us);
        if (!g)
            continue;
        g->last_us = now_us;
        g->spoke = true;
        g->s.bytes += (uint64_t)n;
        g->s.datagrams++;
        read_up(g, buf, (size_t)n, (size_t)n, now_us);
        send(g->fd, buf, (size_t)n, MSG_DONTWAIT);
    }
}

/* A program's UDP socket: the relay's datagrams back to the program. */
static void udp_out(struct live *lv, struct live_guest *g, uint64_t now_us)
{
    unsigned char buf[DATAGRAM_MAX];
    for (int k = 0; k < 64; k++) {
        ssize_t n = recv(g->fd, buf, sizeof buf, 0);
        if (n < 0)
            return;
        g->s.bytes += (uint64_t)n;
        g->s.datagrams++;
        read_down(g, buf, (size_t)n, (size_t)n, now_us);
        sendto(lv->door.udp, buf, (size_t)n, MSG_DONTWAIT, &g->from.sa, netaddr_len(&g->from));
    }
}

static void tcp_accept(struct live *lv, uint64_t now_us)
{
    union netaddr from;
    socklen_t len = sizeof from;
    int c = accept4(lv->door.tcp, &from.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
    if (c < 0)
        return;
    uint16_t port = target_port(lv, true);
    struct live_guest *g = port && netaddr_from_sockaddr(&from, &from.sa, len) == 0
                               ? new_guest(lv, true, &from, now_us) : NULL;
    if (!g) { /* the relay not up, or the door full */
        close(c);
        return;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g->conn = c;
    if (open_towards(lv, g, port) != 0)
        gone(g, "the door could not open its connection towards the relay", now_us);
}

/* What waits in g's buffer dir written to its socket; false on an error. */
static bool flush(struct live_guest *g, int dir)
{
    int fd = dir ? g->conn : g->fd;
    if (!g->pend_n[dir] || (!dir && !g->connected))
        return true;
    ssize_t n = send(fd, g->pend[dir], g->pend_n[dir], MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK;
    memmove(g->pend[dir], g->pend[dir] + n, g->pend_n[dir] - (size_t)n);
    g->pend_n[dir] -= (size_t)n;
    return true;
}

/* One direction of a program's stream: read what its buffer has room for,
 * read its frames, pass it on. Returns 0, or -1 with why in *why. */
static int tcp_pass(struct live_guest *g, int dir, short revents, uint64_t now_us,
                    const char **why)
{
    int from = dir ? g->fd : g->conn;
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        size_t room = sizeof g->pend[dir] - g->pend_n[dir];
        ssize_t n = room ? recv(from, g->pend[dir] + g->pend_n[dir], room, 0) : -1;
        if (n == 0 || (n < 0 && room && errno != EAGAIN)) {
            *why = dir ? (g->s.error_code[0] ? "the relay closed the connection after its error"
                                             : "the relay closed the connection")
                       : "it closed its connection";
            return -1;
        }
        if (n > 0 && !dir && !g->s.messages_up) /* what a garbled stream began with */
            raw_start(g, g->pend[0] + g->pend_n[0], (size_t)n, now_us);
        if (n > 0) {
            read_frames(g, dir, g->pend[dir] + g->pend_n[dir], (size_t)n, now_us);
            g->pend_n[dir] += (size_t)n;
            g->s.bytes += (uint64_t)n;
            g->last_us = now_us;
            g->spoke |= !dir;
        }
    }
    if (!flush(g, dir)) {
        *why = dir ? "its connection failed" : "the connection to the relay failed";
        return -1;
    }
    return 0;
}

/* A program's stream: its connection and the door's towards the relay. */
static void tcp_step(struct live_guest *g, short conn_ev, short fd_ev, uint64_t now_us)
{
    const char *why = NULL;
    if (!g->connected && (fd_ev & (POLLOUT | POLLERR | POLLHUP))) {
        int e = 0;
        socklen_t len = sizeof e;
        getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &e, &len);
        if (e) {
            gone(g, "the relay refused the connection", now_us);
            return;
        }
        g->connected = true;
    }
    /* the program's bytes are read while the connection towards the relay is still on its
       way (kept until it is up): one that spoke is never taken for silent */
    if ((g->connected && tcp_pass(g, 1, fd_ev, now_us, &why) != 0) ||
        tcp_pass(g, 0, conn_ev, now_us, &why) != 0) {
        flush(g, 1); /* the relay's last words, an error frame, to the program */
        gone(g, why, now_us);
    }
}

void live_door_step(struct live *lv, uint64_t now_us)
{
    struct live_door *d = &lv->door;
    struct pollfd p[2 + 2 * LIVE_GUESTS];
    size_t n = 0;
    p[n++] = (struct pollfd){.fd = d->udp, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = d->tcp, .events = POLLIN};
    for (size_t i = 0; i < LIVE_GUESTS; i++) {
        struct live_guest *g = &d->guests[i];
        bool live = g->used && g->fd >= 0;
        short up = g->s.tcp && g->pend_n[0] < sizeof g->pend[0] ? POLLIN : 0;
        short fd_ev = POLLIN | (g->s.tcp && (!g->connected || g->pend_n[0]) ? POLLOUT : 0);
        p[n++] = (struct pollfd){.fd = live && g->s.tcp ? g->conn : -1,
                                 .events = (short)(up | (g->pend_n[1] ? POLLOUT : 0))};
        p[n++] = (struct pollfd){.fd = live ? g->fd : -1, .events = fd_ev};
    }
    if (poll(p, n, 0) <= 0)
        return;
    if (p[0].revents & POLLIN)
        udp_in(lv, now_us);
    if (p[1].revents & POLLIN)
        tcp_accept(lv, now_us);
    for (size_t i = 0; i < LIVE_GUESTS; i++) {
        struct live_guest *g = &d->guests[i];
        short conn_ev = p[2 + 2 * i].revents, fd_ev = p[3 + 2 * i].revents;
        if (!g->used || g->fd < 0 || p[3 + 2 * i].fd != g->fd || !(conn_ev | fd_ev))
            continue;
        if (g->s.tcp)
            tcp_step(g, conn_ev, fd_ev, now_us);
        else if (fd_ev & POLLIN)
            udp_out(lv, g, now_us);
    }
}

/* ---- netsim's word on a program's flow ---- */

/* netsim carried one of its states (up: when, for the gaps). */
static void carried(struct live_guest *g, bool up, uint64_t t_us)
{
    (*(up ? &g->s.fwd_up : &g->s.fwd_down))++;
    if (!up)
        return;
    g->fwd_t[g->fwd_at] = t_us;
    g->fwd_at = (g->fwd_at + 1) % LIVE_GUEST_GAPS;
    g->fwd_n += g->fwd_n < LIVE_GUEST_GAPS;
}

bool live_door_log(struct live *lv, const struct audit_line *a)
{
    struct live_guest *g = NULL;
    for (size_t i = 0; i < LIVE_GUESTS && !g; i++)
        if (lv->door.guests[i].used && !strcmp(lv->door.guests[i].s.flow, a->flow))
            g = &lv->door.guests[i];
    if (!g)
        return false;
    live_guest_hop(g, a);
    bool up = a->dir == NETSIM_UP, segment = !strcmp(a->kind, "segment");
    if (a->event == DROPLOG_DUP || a->event == DROPLOG_EXIT || (segment && a->event ==
                                                                  DROPLOG_FWD))
        return true; /* no state's fate */
    if (segment || a->event == DROPLOG_SENT) { /* a stream: its segments lost, its states */
        if (a->event != DROPLOG_SENT)
            (*(up ? &g->s.dropped_up : &g->s.dropped_down))++;
        else
            carried(g, up, a->t_us);
        return true;
    }
    if (a->event == DROPLOG_FWD || a->event == DROPLOG_CORRUPT) {
        carried(g, up, a->t_us);
    } else {
        (*(up ? &g->s.dropped_up : &g->s.dropped_down))++;
    }
    return true;
}

/* The longest gap between its states netsim forwarded up, over the last
 * window (the ring in time order: netsim writes its lines so). */
static double max_gap_ms(const struct live_guest *g, uint64_t from_us)
{
    double gap = 0;
    for (size_t k = 1; k < g->fwd_n; k++) {
        uint64_t a = g->fwd_t[(g->fwd_at + LIVE_GUEST_GAPS - g->fwd_n + k - 1) % LIVE_GUEST_GAPS];
        uint64_t b = g->fwd_t[(g->fwd_at + LIVE_GUEST_GAPS - g->fwd_n + k) % LIVE_GUEST_GAPS];
        if (a >= from_us && b > a && (double)(b - a) / 1e3 > gap)
            gap = (double)(b - a) / 1e3;
    }
    return gap;
}

void live_door_snap(struct live *lv, struct live_snapshot *s, uint64_t now_us)
{
    struct live_door *d = &lv->door;
    uint16_t up = target_port(lv, false), tp = target_port(lv, true);
    snprintf(s->door_udp, sizeof s->door_udp, "%s", d->udp >= 0 ? d->udp_at : "");
    snprintf(s->door_tcp, sizeof s->door_tcp, "%s", d->tcp >= 0 ? d->tcp_at : "");
    s->door_relay_udp[0] = s->door_relay_tcp[0] = '\0';
    if (up)
        netaddr_host_port(lv->relay_host, up, s->door_relay_udp, sizeof s->door_relay_udp);
    if (tp && d->tcp >= 0)
        netaddr_host_port(lv->relay_host, tp, s->door_relay_tcp, sizeof s->door_relay_tcp);
    snprintf(s->door_why, sizeof s->door_why, "%s", d->why);
    s->n_guests = 0;
    uint64_t span = (uint64_t)lv->cfg->duration_ms * 1000u;
    for (size_t i = 0; i < LIVE_GUESTS; i++) {
        struct live_guest *g = &d->guests[i];
        if (!g->used)
            continue;
        if (g->fd >= 0 && g->target_port != target_port(lv, g->s.tcp))
            gone(g, "the relay started again: its membership went with it", now_us);
        else if (g->fd >= 0 && !g->s.tcp && (now_us - g->last_us > SILENT_US || g->s.end[0]))
            gone(g, g->s.end[0] ? g->s.end : "silent for 30 s", now_us);
        else if (silent(g) && now_us - g->last_us > JOIN_DEADLINE_US)
            gone(g, "it sent nothing within the relay's join deadline (2 s)", now_us);
        else if (past_deadline(g, now_us))
            gone(g, "it was not welcomed within the relay's join deadline (2 s)", now_us);
        if (g->fd < 0 && now_us - g->gone_us > GONE_KEEP_US) {
            g->used = false;
            continue;
        }
        g->s.unanswered = !g->answered && g->s.messages_up &&
                          now_us - g->last_sent_us > UNANSWERED_US;
        if (!g->s.error_code[0])
            g->s.sent = g->last;
        g->s.max_gap_ms = max_gap_ms(g, now_us > span ? now_us - span : 0);
        s->guests[s->n_guests++] = g->s;
    }
}

void live_door_close(struct live *lv)
{
    struct live_door *d = &lv->door;
    for (size_t i = 0; i < LIVE_GUESTS; i++)
        if (d->guests[i].used)
            gone(&d->guests[i], "the lesson stopped", 0);
    if (d->udp >= 0)
        close(d->udp);
    if (d->tcp >= 0)
        close(d->tcp);
    d->udp = d->tcp = -1;
}
