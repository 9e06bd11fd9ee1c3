/* tcp_player.c: a player of your own over TCP, with nothing but the socket
 * calls (socket, connect, send, recv): join a room of ricochet-relay's tcp
 * edge (or tcp_relay.c), send your position 20 times a second, print
 * everyone else's. A stream has no message boundaries, so each message
 * goes in a frame: 2 bytes of length (big-endian), then the message
 * (PROTOCOL.md, "Streams (TCP)"). tcp_player.py is the same in Python.
 *
 *     cc -Wall -o tcp_player tcp_player.c -lm && ./tcp_player 127.0.0.1 7777 10 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Big-endian, as the wire wants (PROTOCOL.md, "State message"). */
static void put32(uint8_t *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, 4);
}

static void put_float(uint8_t *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put32(p, v);
}

static float get_float(const uint8_t *p)
{
    uint32_t v;
    float f;
    memcpy(&v, p, 4);
    v = ntohl(v);
    memcpy(&f, &v, 4);
    return f;
}

static void wait_at_most(int fd, double s) /* recv gives up after s */
{
    struct timeval tv = {(time_t)s, (suseconds_t)((s - (time_t)s) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* One message in its frame, in one send. */
static void send_frame(int fd, const void *msg, size_t len)
{
    uint8_t frame[2 + 1200];
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, msg, len);
    send(fd, frame, 2 + len, MSG_NOSIGNAL);
}

/* What has arrived of the next frame(s): a recv may give part of one, or
 * several. */
static uint8_t got[2 + 65535];
static size_t have;

/* The next whole message into msg (NUL-terminated after its length).
 * Returns its length; 0 if none came within the wait; -1 if the relay
 * closed (a frame of length 0 says so too). */
static long receive(int fd, uint8_t *msg)
{
    while (have < 2 || have < 2 + (size_t)(got[0] << 8 | got[1])) {
        ssize_t n = recv(fd, got + have, sizeof got - have, 0);
        if (n == 0)
            return -1;
        if (n < 0)
            return 0; /* the wait is over; what came stays in got */
        have += (size_t)n;
    }
    size_t len = (size_t)(got[0] << 8 | got[1]);
    memcpy(msg, got + 2, len);
    msg[len] = '\0';
    have -= 2 + len;
    memmove(got, got + 2 + len, have);
    return len ? (long)len : -1;
}

/* Joins room "lobby", once: no cookie and no repeats, the stream loses
 * nothing. Returns our id, or 0 if the relay refused, closed or said
 * nothing for 5 s. */
static int join(int fd, uint8_t *in)
{
    const char *join = "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\",\"name\":\"c\"}";
    send_frame(fd, join, strlen(join));
    wait_at_most(fd, 5);
    for (;;) {
        long n = receive(fd, in);
        if (n <= 0 || strstr((char *)in, "\"type\":\"error\"")) {
            fprintf(stderr, "relay: %s\n", n < 0 ? "closed" : n == 0 ? "no answer" : (char *)in);
            return 0;
        }
        if (strstr((char *)in, "\"type\":\"welcome\""))
            return atoi(strstr((char *)in, "\"id\":") + 5);
    }
}

/* A ping with our clock (µs) as t: the relay answers a pong with the same t. */
static void send_ping(int fd, double now)
{
    char ping[64];
    int n = snprintf(ping, sizeof ping, "{\"type\":\"ping\",\"t\":%.0f}", now * 1e6);
    send_frame(fd, ping, (size_t)n);
}

int main(int argc, char **argv)
{
    const char *usage = "usage: tcp_player [IPV4] [PORT] [SECONDS] (default 127.0.0.1 7777 10)\n";
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("%s", usage);
        return 0;
    }
    struct sockaddr_in relay = {.sin_family = AF_INET};
    int port = argc > 2 ? atoi(argv[2]) : 7777;
    double seconds = argc > 3 ? atof(argv[3]) : 10;
    relay.sin_port = htons(port);
    if (argc > 4 || inet_pton(AF_INET, argc > 1 ? argv[1] : "127.0.0.1", &relay.sin_addr) != 1 ||
        port < 1 || port > 65535 || seconds <= 0) {
        fprintf(stderr, "%s", usage);
        return 2;
    }

    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in me;
    socklen_t me_len = sizeof me;
    if (fd < 0 || connect(fd, (struct sockaddr *)&relay, sizeof relay) != 0 || /* the kernel
                                                                             picks our port */
        getsockname(fd, (struct sockaddr *)&me, &me_len) != 0) {
        perror("tcp_player");
        return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* each frame at once */
    printf("my port %d, the relay %s:%d\n", ntohs(me.sin_port), inet_ntoa(relay.sin_addr),
           ntohs(relay.sin_port));

    static uint8_t in[65535 + 1];
    int id = join(fd, in);
    if (!id)
        return 1;
    printf("joined as %d\n", id);

    /* States: 40 bytes, one each 50 ms; a ping each second, which the relay
       answers with a pong carrying the same t: the time it took is the round
       trip. Between them, whatever comes. */
    uint32_t seq = 0;
    double now = now_s(), next_send = now, next_ping = now, end = now + seconds;
    while (now < end) {
        if (now >= next_ping) {
            send_ping(fd, now);
            next_ping += 1;
        }
        if (now >= next_send) {
            uint8_t st[40] = {1, 1}; /* version 1, type 1 (a state), the rest 0 */
            uint64_t us = (uint64_t)(now * 1e6);
            put32(st + 8, ++seq);
            put32(st + 12, (uint32_t)(us >> 32));
            put32(st + 16, (uint32_t)us);
            put_float(st + 20, 50 + 30 * cosf(seq / 20.0f));
            put_float(st + 24, 50 + 30 * sinf(seq / 20.0f));
            send_frame(fd, st, sizeof st);
            next_send += 0.05;
        }
        double left = next_send - now_s();
        wait_at_most(fd, left > 0.001 ? left : 0.001);
        long got_len = receive(fd, in);
        if (got_len < 0) {
            fprintf(stderr, "relay: closed\n");
            return 1;
        } else if (got_len > 0 && in[0] == '{') {
            const char *t = strstr((char *)in, "\"t\":");
            if (strstr((char *)in, "\"type\":\"pong\"") && t) /* our ping's t back */
                printf("round trip %.1f ms\n", (now_s() * 1e6 - atof(t + 4)) / 1e3);
            else
                printf("relay says %s\n", in);
        } else if (got_len >= 40) {
            uint32_t who, n;
            memcpy(&who, in + 4, 4);
            memcpy(&n, in + 8, 4);
            printf("player %u at %.1f %.1f (state %u)\n", ntohl(who), get_float(in + 20),
                   get_float(in + 24), ntohl(n));
        }
        now = now_s();
    }
    return 0; /* the connection closes as the program ends: closing it is leaving */
}
