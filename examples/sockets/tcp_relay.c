/* tcp_relay.c: a game-state relay over TCP, to read from top to bottom:
 * socket, bind, listen, then accept a connection per client and read and
 * write on each, poll() saying which has something. Its twin over UDP is
 * udp_relay.c (the same messages and rules: read it first); the walk
 * through both is docs/sockets.md. A stream has no message boundaries, so
 * each message travels as a frame: 2 bytes of length (big-endian), then
 * the message (PROTOCOL.md, "Streams"). Closing the connection is leaving.
 *
 *     cc -Wall -o tcp_relay tcp_relay.c && ./tcp_relay 7777 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64    /* one bit each in a uint64_t (told) */
#define MAX_MESSAGE 2048 /* longer frames are refused: the connection is closed */

struct client {
    int fd;                             /* its connection; -1: a free slot */
    uint32_t id;                        /* 0 until it joins */
    char room[33];
    char clock[160];                    /* its last clock, as the room gets it ("": none) */
    uint64_t told;                      /* who got that clock: bit i for clients[i] */
    unsigned char in[2 + MAX_MESSAGE];  /* what has arrived of the next frame(s) */
    size_t have;
};

static struct client clients[MAX_CLIENTS];
static uint32_t next_id = 1;

static void drop(struct client *c)
{
    close(c->fd);
    c->fd = -1;
    c->id = 0;
}

/* One frame to c, in one send. A client whose socket buffer cannot take it
 * whole reads too slowly: waiting would hold up everyone, half a frame
 * would garble its stream; it is closed. */
static void send_frame(struct client *c, const void *msg, size_t len)
{
    unsigned char frame[2 + MAX_MESSAGE];
    frame[0] = (unsigned char)(len >> 8);
    frame[1] = (unsigned char)len;
    memcpy(frame + 2, msg, len);
    if (send(c->fd, frame, 2 + len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(2 + len))
        drop(c);
}

/* A state from c to every other member of its room. There are no rosters
 * here: a client learns of a member from its states, and takes a member's
 * clock only once it knows the member. So c's clock goes to each of them
 * right after the first of c's states it gets since c announced it (a
 * member who joined later gets it too). */
static void send_room(struct client *c, const void *msg, size_t len)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *to = &clients[i];
        if (!to->id || to == c || strcmp(to->room, c->room))
            continue;
        send_frame(to, msg, len);
        if (c->clock[0] && !(c->told & 1ull << i) && to->fd >= 0) {
            send_frame(to, c->clock, strlen(c->clock));
            c->told |= 1ull << i;
        }
    }
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

/* One whole message from c: control (JSON) or a state. */
static void on_message(struct client *c, unsigned char *msg, size_t len)
{
    char text[MAX_MESSAGE + 1], out[MAX_MESSAGE + 40];
    if (msg[0] != '{') { /* a state: c's id into bytes 4..7, then to the room */
        uint32_t id = htonl(c->id);
        if (c->id && len >= 40 && msg[0] == 1 && msg[1] == 1) {
            memcpy(msg + 4, &id, 4);
            send_room(c, msg, len);
        }
        return;
    }
    char type[16];
    snprintf(text, sizeof text, "%.*s", (int)len, (const char *)msg);
    json_string(text, "type", type, sizeof type);
    if (!strcmp(type, "join")) {
        if (!c->id)
            c->id = next_id++;
        json_string(text, "room", c->room, sizeof c->room);
        snprintf(out, sizeof out, "{\"type\":\"welcome\",\"id\":%u,\"room\":\"%s\",\"roster\":[]}",
                 c->id, c->room);
        send_frame(c, out, strlen(out));
    } else if (!strcmp(type, "ping")) { /* the client's clock against ours */
        const char *t = strstr(text, "\"t\":");
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        snprintf(out, sizeof out, "{\"type\":\"pong\",\"t\":%llu,\"relay_t\":%llu}",
                 t ? strtoull(t + 4, NULL, 10) : 0ull,
                 now.tv_sec * 1000000ull + (unsigned long long)now.tv_nsec / 1000);
        send_frame(c, out, strlen(out));
    } else if (c->id && !strcmp(type, "clock")) { /* with the sender's id, for its states */
        int n = snprintf(c->clock, sizeof c->clock, "{\"id\":%u,%s", c->id, text + 1);
        if (n < 0 || (size_t)n >= sizeof c->clock)
            c->clock[0] = '\0'; /* longer than any clock: not passed on */
        c->told = 0;
    }
}

/* What c sent: every whole frame in it is handled; a partial one waits. */
static void read_from(struct client *c)
{
    ssize_t n = read(c->fd, c->in + c->have, sizeof c->in - c->have);
    if (n <= 0) { /* 0: the client closed its end, it left */
        drop(c);
        return;
    }
    c->have += (size_t)n;
    while (c->fd >= 0 && c->have >= 2) {
        size_t len = (size_t)c->in[0] << 8 | c->in[1];
        if (len == 0 || len > MAX_MESSAGE) {
            drop(c);
            return;
        }
        if (c->have < 2 + len)
            return;
        on_message(c, c->in + 2, len);
        memmove(c->in, c->in + 2 + len, c->have - 2 - len);
        c->have -= 2 + len;
    }
}

int main(int argc, char **argv)
{
    char *end = "";
    long port = argc > 1 ? strtol(argv[1], &end, 10) : 7777;
    if (argc > 2 || *end || port < 0 || port > 65535) { /* --help too */
        int help = !strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr, "usage: tcp_relay [PORT] (0..65535, default 7777)\n");
        return help ? 0 : 2;
    }
    int one = 1;
    int lsock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY)};
    setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lsock < 0 || bind(lsock, (struct sockaddr *)&me, sizeof me) < 0 || listen(lsock, 16) < 0) {
        perror("tcp_relay: bind");
        return 1;
    }
    socklen_t me_len = sizeof me; /* port 0: the kernel picked one; say which */
    getsockname(lsock, (struct sockaddr *)&me, &me_len);
    fprintf(stderr, "listening on 0.0.0.0:%d (tcp)\n", ntohs(me.sin_port));
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i].fd = -1;
    for (;;) {
        struct pollfd pfd[1 + MAX_CLIENTS] = {{.fd = lsock, .events = POLLIN}};
        for (int i = 0; i < MAX_CLIENTS; i++) /* a free slot's -1 is skipped by poll */
            pfd[1 + i] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
        if (poll(pfd, 1 + MAX_CLIENTS, -1) < 0)
            continue;
        if (pfd[0].revents & POLLIN) { /* a new connection: a socket of its own */
            int fd = accept(lsock, NULL, NULL), i = 0;
            while (i < MAX_CLIENTS && clients[i].fd >= 0)
                i++;
            if (fd >= 0 && i == MAX_CLIENTS)
                close(fd); /* full */
            else if (fd >= 0) { /* no Nagle: a state leaves at once, not with the next */
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                clients[i] = (struct client){.fd = fd};
                for (int k = 0; k < MAX_CLIENTS; k++) /* slot i holds a newcomer */
                    clients[k].told &= ~(1ull << i);
            }
        }
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (pfd[1 + i].revents && clients[i].fd == pfd[1 + i].fd)
                read_from(&clients[i]);
    }
}
