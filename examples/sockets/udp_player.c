/* udp_player.c: a player of your own over plain UDP, with nothing but the
 * socket calls (socket, bind, sendto, recvfrom): join a room of
 * ricochet-relay (or udp_relay.c), send your position 20 times a second,
 * print everyone else's. udp_player.py is the same in Python.
 *
 *     cc -Wall -o udp_player udp_player.c -lm && ./udp_player 127.0.0.1 7777 10 */
#include <arpa/inet.h>
#include <math.h>
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

static void wait_at_most(int fd, double s) /* recvfrom gives up after s */
{
    struct timeval tv = {(time_t)s, (suseconds_t)((s - (time_t)s) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Joins room "lobby". The relay first answers with a cookie to send back
 * (proof that we receive at this address), then with our id. Either answer
 * may be lost, so the join is sent again until one comes. Returns the id,
 * or 0 if the relay refused. */
static int join(int fd, const struct sockaddr_in *relay)
{
    char join[256], in[1200 + 1], cookie[17] = "";
    int id = 0;
    wait_at_most(fd, 0.25);
    while (!id) {
        int n = snprintf(join, sizeof join,
                         "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\",\"name\":\"c\","
                         "\"pad\":\"xxxxxxxxxxxxxxxx\"%s%s%s}",
                         cookie[0] ? ",\"cookie\":\"" : "", cookie, cookie[0] ? "\"" : "");
        sendto(fd, join, n, 0, (const struct sockaddr *)relay, sizeof *relay);
        ssize_t got = recvfrom(fd, in, sizeof in - 1, 0, NULL, NULL);
        if (got <= 0)
            continue; /* lost: ask again */
        in[got] = '\0';
        const char *c = strstr(in, "\"cookie\":\"");
        if (strstr(in, "\"type\":\"cookie\"") && c)
            snprintf(cookie, sizeof cookie, "%.16s", c + 10);
        else if (strstr(in, "\"type\":\"welcome\""))
            id = atoi(strstr(in, "\"id\":") + 5);
        else if (strstr(in, "\"type\":\"error\"")) {
            fprintf(stderr, "relay: %s\n", in);
            return 0;
        }
    }
    return id;
}

int main(int argc, char **argv)
{
    const char *usage = "usage: udp_player [IPV4] [PORT] [SECONDS] (default 127.0.0.1 7777 10)\n";
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

    int fd = socket(AF_INET, SOCK_DGRAM, 0);      /* an endpoint */
    struct sockaddr_in me = {.sin_family = AF_INET}; /* port 0: the kernel picks */
    socklen_t me_len = sizeof me;
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) != 0 ||
        getsockname(fd, (struct sockaddr *)&me, &me_len) != 0) {
        perror("udp_player");
        return 1;
    }
    printf("my port %d, the relay %s:%d\n", ntohs(me.sin_port), inet_ntoa(relay.sin_addr),
           ntohs(relay.sin_port));

    int id = join(fd, &relay);
    if (!id)
        return 1;
    printf("joined as %d\n", id);

    /* States: 40 bytes, one each 50 ms; a ping each second, which the relay
       answers with a pong carrying the same t: the time it took is the round
       trip. Between them, whatever comes. */
    char in[1200 + 1], ping[64];
    uint32_t seq = 0;
    double now = now_s(), next_send = now, next_ping = now, end = now + seconds;
    while (now < end) {
        if (now >= next_ping) {
            int n = snprintf(ping, sizeof ping, "{\"type\":\"ping\",\"t\":%.0f}", now * 1e6);
            sendto(fd, ping, n, 0, (struct sockaddr *)&relay, sizeof relay);
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
            sendto(fd, st, sizeof st, 0, (struct sockaddr *)&relay, sizeof relay);
            next_send += 0.05;
        }
        double left = next_send - now_s();
        wait_at_most(fd, left > 0.001 ? left : 0.001);
        ssize_t got = recvfrom(fd, in, sizeof in - 1, 0, NULL, NULL);
        if (got > 0 && in[0] == '{') {
            in[got] = '\0';
            const char *t = strstr(in, "\"t\":");
            if (strstr(in, "\"type\":\"pong\"") && t) /* our ping's t back */
                printf("round trip %.1f ms\n", (now_s() * 1e6 - atof(t + 4)) / 1e3);
            else
                printf("relay says %s\n", in);
        } else if (got >= 40) {
            uint32_t who, n;
            memcpy(&who, in + 4, 4);
            memcpy(&n, in + 8, 4);
            printf("player %u at %.1f %.1f (state %u)\n", ntohl(who),
                   get_float((uint8_t *)in + 20), get_float((uint8_t *)in + 24), ntohl(n));
        }
        now = now_s();
    }
    sendto(fd, "{\"type\":\"leave\"}", 16, 0, (struct sockaddr *)&relay, sizeof relay);
    return 0;
}
