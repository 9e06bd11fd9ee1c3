/* udp_relay.c: a game-state relay over UDP, in one file to read from top to
 * bottom: socket, bind, then recvfrom and sendto, for ever. Its twin over
 * TCP is tcp_relay.c; docs/sockets.md walks through both side by side.
 *
 * Clients speak ricochet's plain-UDP protocol (proto/PROTOCOL.md): a JSON
 * "join" names a room, the relay answers "welcome" with the client's id,
 * and from then on every 40-byte state the client sends goes to every
 * other member of its room, with the sender's id written into it. Much of
 * what ricochet-relay --transport udp does is left out: cookies, limits,
 * notices, rosters, expiry of silent members (a member that is gone stays
 * listed until it sends "leave").
 *
 *     cc -Wall -o udp_relay udp_relay.c && ./udp_relay 7777 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_MEMBERS 64   /* one bit each in a uint64_t (told) */
#define STATE_SIZE 40   /* PROTOCOL.md, "State message": version 1, type 1, ... */
#define MAX_DATAGRAM 1200

struct member {
    uint32_t id;               /* 0: a free slot */
    struct sockaddr_in addr;   /* its endpoint, ip:port: how we tell members apart */
    char room[33];
    char clock[160];           /* its last clock, as the room gets it ("": none) */
    uint64_t told;             /* who got that clock: bit i for members[i] */
};

static struct member members[MAX_MEMBERS];
static uint32_t next_id = 1;
static int sock;

static void send_to(const struct member *m, const void *buf, size_t len)
{
    sendto(sock, buf, len, 0, (const struct sockaddr *)&m->addr, sizeof m->addr);
}

static struct member *member_at(const struct sockaddr_in *from)
{
    for (int i = 0; i < MAX_MEMBERS; i++)
        if (members[i].id && members[i].addr.sin_addr.s_addr == from->sin_addr.s_addr &&
            members[i].addr.sin_port == from->sin_port)
            return &members[i];
    return NULL;
}

/* The string value of "key" in msg, into out ("" if absent): the JSON is
 * searched, not parsed (the client library writes it without spaces). */
static void json_string(const char *msg, const char *key, char *out, size_t cap)
{
    char want[40];
    snprintf(want, sizeof want, "\"%s\":\"", key);
    const char *at = strstr(msg, want);
    size_t n = at ? strcspn(at += strlen(want), "\"") : 0;
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), at ? at : "");
}

/* A control message (JSON text, NUL-terminated) from m, or from a stranger at from. */
static void on_control(struct member *m, const struct sockaddr_in *from, const char *msg)
{
    char out[MAX_DATAGRAM + 40], type[16];
    json_string(msg, "type", type, sizeof type);
    if (!strcmp(type, "join")) {
        for (int i = 0; !m && i < MAX_MEMBERS; i++)
            if (!members[i].id)
                m = &members[i];
        if (!m)
            return; /* full: the client's joins go unanswered, it gives up */
        if (!m->id) {
            *m = (struct member){.id = next_id++, .addr = *from};
            for (int k = 0; k < MAX_MEMBERS; k++) /* its slot holds a newcomer */
                members[k].told &= ~(1ull << (m - members));
        }
        json_string(msg, "room", m->room, sizeof m->room);
        snprintf(out, sizeof out, "{\"type\":\"welcome\",\"id\":%u,\"room\":\"%s\",\"roster\":[]}",
                 m->id, m->room);
        send_to(m, out, strlen(out));
    } else if (m && !strcmp(type, "ping")) { /* the client's clock against ours */
        const char *t = strstr(msg, "\"t\":");
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        snprintf(out, sizeof out, "{\"type\":\"pong\",\"t\":%llu,\"relay_t\":%llu}",
                 t ? strtoull(t + 4, NULL, 10) : 0ull,
                 now.tv_sec * 1000000ull + (unsigned long long)now.tv_nsec / 1000);
        send_to(m, out, strlen(out));
    } else if (m && !strcmp(type, "clock")) {
        /* its clock offset, for its states: the same object with its id added */
        int n = snprintf(m->clock, sizeof m->clock, "{\"id\":%u,%s", m->id, msg + 1);
        if (n < 0 || (size_t)n >= sizeof m->clock)
            m->clock[0] = '\0'; /* longer than any clock: not passed on */
        m->told = 0;
    } else if (m && !strcmp(type, "leave")) {
        m->id = 0;
    }
}

/* A state from m: its id into bytes 4..7, then to every other member of its
 * room. There are no rosters here: a client learns of a member from its
 * states, and takes a member's clock only once it knows the member. So m's
 * clock goes to each of them right after the first of m's states it gets
 * since m announced it (a member who joined later gets it too). */
static void on_state(struct member *m, unsigned char *buf, size_t len)
{
    if (len < STATE_SIZE || buf[0] != 1 || buf[1] != 1)
        return;
    uint32_t id = htonl(m->id);
    memcpy(buf + 4, &id, 4);
    for (int i = 0; i < MAX_MEMBERS; i++) {
        if (!members[i].id || &members[i] == m || strcmp(members[i].room, m->room))
            continue;
        send_to(&members[i], buf, len);
        if (m->clock[0] && !(m->told & 1ull << i)) {
            send_to(&members[i], m->clock, strlen(m->clock));
            m->told |= 1ull << i;
        }
    }
}

int main(int argc, char **argv)
{
    char *end = "";
    long port = argc > 1 ? strtol(argv[1], &end, 10) : 7777;
    if (argc > 2 || *end || port < 0 || port > 65535) { /* --help too */
        int help = !strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr, "usage: udp_relay [PORT] (0..65535, default 7777)\n");
        return help ? 0 : 2;
    }
    sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (sock < 0 || bind(sock, (struct sockaddr *)&me, sizeof me) < 0) {
        perror("udp_relay: bind");
        return 1;
    }
    socklen_t me_len = sizeof me; /* port 0: the kernel picked one; say which */
    getsockname(sock, (struct sockaddr *)&me, &me_len);
    fprintf(stderr, "listening on 0.0.0.0:%d (udp)\n", ntohs(me.sin_port));
    for (;;) {
        unsigned char buf[MAX_DATAGRAM + 1];
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t len = recvfrom(sock, buf, MAX_DATAGRAM, 0, (struct sockaddr *)&from, &from_len);
        if (len <= 0)
            continue;
        struct member *m = member_at(&from);
        if (buf[0] == '{') {
            buf[len] = '\0';
            on_control(m, &from, (const char *)buf);
        } else if (m) {
            on_state(m, buf, (size_t)len);
        } else { /* a state from someone who never joined: tell it */
            const char *e = "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"join\"}";
            sendto(sock, e, strlen(e), 0, (struct sockaddr *)&from, from_len);
        }
    }
}
