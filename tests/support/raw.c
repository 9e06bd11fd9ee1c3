/* raw.c: hand-driven UDP sockets and ENet peers for tests (see raw.h). */
#include "raw.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lab/harness/netlab.h"
#include "harness.h"
#include "sys/clock.h"
#include "proto/wire.h"

struct sockaddr_in raw_loopback(uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* ---- a proxy that loses the relay's cookies ---- */

void raw_cookie_proxy_open(struct raw_cookie_proxy *px, uint16_t relay_port)
{
    memset(px, 0, sizeof *px);
    struct sockaddr_in at = raw_loopback(0), relay = raw_loopback(relay_port);
    px->near = socket(AF_INET, SOCK_DGRAM, 0);
    px->far = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(px->near >= 0 && px->far >= 0);
    assert_int_equal(bind(px->near, (struct sockaddr *)&at, sizeof at), 0);
    assert_int_equal(connect(px->far, (struct sockaddr *)&relay, sizeof relay), 0);
}

uint16_t raw_cookie_proxy_port(const struct raw_cookie_proxy *px)
{
    struct sockaddr_in at;
    socklen_t len = sizeof at;
    assert_int_equal(getsockname(px->near, (struct sockaddr *)&at, &len), 0);
    return ntohs(at.sin_port);
}

void raw_cookie_proxy_pump(struct raw_cookie_proxy *px)
{
    static const char join[] = "\"type\":\"join\"";
    uint8_t buf[2048];
    for (;;) {
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(px->near, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from,
                             &len);
        if (n < 0)
            break;
        px->client = from;
        px->client_known = true;
        px->joins += memmem(buf, (size_t)n, join, sizeof join - 1) != NULL;
        send(px->far, buf, (size_t)n, 0);
    }
    char drop[48];
    snprintf(drop, sizeof drop, "\"type\":\"%s\"", px->drop_type ? px->drop_type : "cookie");
    for (ssize_t n; (n = recv(px->far, buf, sizeof buf, MSG_DONTWAIT)) >= 0;) {
        if (px->drop_left > 0 && memmem(buf, (size_t)n, drop, strlen(drop))) {
            px->drop_left--;
            px->cookies_dropped++;
            continue;
        }
        if (px->client_known)
            sendto(px->near, buf, (size_t)n, 0, (struct sockaddr *)&px->client,
                   sizeof px->client);
    }
}

void raw_cookie_proxy_close(struct raw_cookie_proxy *px)
{
    close(px->near);
    close(px->far);
}

/* Drains fd; returns bytes read. */
uint64_t raw_udp_drain(int fd, uint64_t *datagrams)
{
    uint8_t buf[2048];
    uint64_t bytes = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0)
            break;
        bytes += (uint64_t)n;
        if (datagrams)
            (*datagrams)++;
    }
    return bytes;
}

int raw_udp_next(int fd, int ms, struct proto_control *out)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    char buf[PROTO_CONTROL_MAX + 1];
    while (clock_now_ms() < deadline) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        poll(&p, 1, 20);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0 && buf[0] == '{' &&
            proto_control_decode(buf, (size_t)n, out, NULL, 0) == PROTO_OK)
            return 0;
    }
    return -1;
}

int raw_udp_expect(int fd, enum proto_ctl_type type, const char *code, int ms,
                   struct proto_control *out)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    for (uint64_t now; (now = clock_now_ms()) < deadline;) {
        if (raw_udp_next(fd, (int)(deadline - now), out) != 0)
            break;
        if (out->type == type && (!code || strcmp(out->code, code) == 0))
            return 0;
    }
    return -1;
}

/* UDP "Udp:" counters of the whole host, for drops the kernel made. */
long long raw_udp_snmp(const char *field)
{
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f)
        return -1;
    char head[1024], vals[1024];
    long long result = -1;
    while (fgets(head, sizeof head, f)) {
        if (strncmp(head, "Udp:", 4) != 0 || !fgets(vals, sizeof vals, f))
            continue;
        char *hs, *vs;
        char *h = strtok_r(head, " \n", &hs), *v = strtok_r(vals, " \n", &vs);
        while (h && v) {
            if (strcmp(h, field) == 0)
                result = atoll(v);
            h = strtok_r(NULL, " \n", &hs);
            v = strtok_r(NULL, " \n", &vs);
        }
        break;
    }
    fclose(f);
    return result;
}

int raw_own_netns(void)
{
    int ns = netlab_new_ns();
    if (ns < 0)
        return -1;
    int rc = setns(ns, CLONE_NEWNET);
    close(ns);
    return rc;
}

long long raw_relay_losses(const char *stats, bool final)
{
    static const char *const kinds[] = {"drops.*", "edges.enet.conflated",
                                        "edges.enet.withheld", "edges.enet.send_full",
                                        "edges.enet.socket_errors"};
    assert_non_null(stats);
    long long n = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        n += harness_stats_field(stats, final, kinds[k]);
    return n;
}


/* A control message that arrived at re: remembers the welcome's id and the
 * last error's code. Returns true if it is type want (and code). */
static bool raw_enet_control(struct raw_enet *re, const ENetPacket *pk, enum proto_ctl_type want,
                             const char *code, struct proto_control *out)
{
    static char json[PROTO_CONTROL_MAX + 1];
    memcpy(json, pk->data, pk->dataLength);
    if (proto_control_decode(json, pk->dataLength, out, NULL, 0) != PROTO_OK)
        return false;
    if (out->type == PROTO_CTL_WELCOME)
        re->id = out->id;
    if (out->type == PROTO_CTL_ERROR)
        snprintf(re->last_error, sizeof re->last_error, "%s", out->code);
    return out->type == want && (!code || strcmp(out->code, code) == 0);
}

void raw_enet_service(struct raw_enet *re, int ms, enum proto_ctl_type want,
                      const char *code, int *found, struct proto_control *out)
{
    static struct proto_control scratch;
    ENetEvent ev;
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    if (!out)
        out = &scratch;
    do {
        while (enet_host_service(re->host, &ev, 5) > 0) {
            if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
                re->disconnected = true;
            } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
                if (ev.channelID == PROTO_CHANNEL_CONTROL &&
                    ev.packet->dataLength <= PROTO_CONTROL_MAX) {
                    if (raw_enet_control(re, ev.packet, want, code, out) && found)
                        *found = 1;
                } else {
                    re->states_received++;
                }
                enet_packet_destroy(ev.packet);
            }
            if (found && *found)
                return;
        }
    } while (clock_now_ms() < deadline);
}

/* A reliable control message from peer, flushed. */
static void send_control(ENetPeer *peer, const char *json)
{
    ENetPacket *pk = enet_packet_create(json, strlen(json), ENET_PACKET_FLAG_RELIABLE);
    assert_non_null(pk);
    assert_int_equal(enet_peer_send(peer, PROTO_CHANNEL_CONTROL, pk), 0);
    enet_host_flush(peer->host);
}

int raw_enet_prove(ENetHost *host, ENetPeer *peer, int ms)
{
    /* Long enough to be answered (PROTOCOL.md: 64 bytes at least). */
    send_control(peer, "{\"type\":\"cookie\",\"cookie\":\"0000000000000000\","
                       "\"pad\":\"..........................\"}");
    ENetEvent ev;
    static struct proto_control m;
    static char json[PROTO_CONTROL_MAX + 1];
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < deadline) {
        if (enet_host_service(host, &ev, 10) <= 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT)
            return -1;
        if (ev.type != ENET_EVENT_TYPE_RECEIVE)
            continue;
        size_t n = ev.packet->dataLength < PROTO_CONTROL_MAX ? ev.packet->dataLength
                                                              : PROTO_CONTROL_MAX;
        memcpy(json, ev.packet->data, n);
        enet_packet_destroy(ev.packet);
        if (proto_control_decode(json, n, &m, NULL, 0) == PROTO_OK &&
            m.type == PROTO_CTL_COOKIE) {
            char echo[64];
            snprintf(echo, sizeof echo, "{\"type\":\"cookie\",\"cookie\":\"%s\"}", m.cookie);
            send_control(peer, echo);
            return 0;
        }
    }
    return -1;
}

int raw_enet_connect(struct raw_enet *re, uint16_t port, size_t channels, enet_uint32 data,
                     int ms)
{
    memset(re, 0, sizeof *re);
    re->host = enet_host_create(NULL, 1, channels, 0, 0);
    assert_non_null(re->host);
    ENetAddress a = { .port = port };
    enet_address_set_host(&a, "127.0.0.1");
    re->peer = enet_host_connect(re->host, &a, channels, data);
    assert_non_null(re->peer);
    ENetEvent ev;
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < deadline) {
        if (enet_host_service(re->host, &ev, 20) > 0 && ev.type == ENET_EVENT_TYPE_CONNECT) {
            enet_peer_throttle_configure(re->peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                         ENET_PEER_PACKET_THROTTLE_SCALE, 0);
            enet_host_flush(re->host); /* the acknowledgement: connected at the relay too */
            return 0;
        }
    }
    return -1;
}

/* Connects with `channels` channels and shows the relay it receives here;
 * 0, or -1 if not done within ms. */
int raw_enet_open_within(struct raw_enet *re, uint16_t port, size_t channels, int ms)
{
    uint64_t start = clock_now_ms();
    if (raw_enet_connect(re, port, channels, PROTO_ENET_ECHOES_COOKIES, ms) != 0)
        return -1;
    /* A peer without our channels is refused at its connect: nothing to prove. */
    if (channels < PROTO_CHANNEL_COUNT)
        return 0;
    int left = ms - (int)(clock_now_ms() - start);
    return raw_enet_prove(re->host, re->peer, left > 500 ? left : 500);
}

int raw_enet_open_channels(struct raw_enet *re, uint16_t port, size_t channels)
{
    return raw_enet_open_within(re, port, channels, 5000);
}

int raw_enet_open(struct raw_enet *re, uint16_t port)
{
    return raw_enet_open_channels(re, port, PROTO_CHANNEL_COUNT);
}

void raw_enet_send(struct raw_enet *re, uint8_t channel, uint32_t flags,
                          const void *bytes, size_t len)
{
    ENetPacket *p = enet_packet_create(bytes, len, flags);
    assert_non_null(p);
    assert_int_equal(enet_peer_send(re->peer, channel, p), 0);
    enet_host_flush(re->host);
}

int raw_enet_expect(struct raw_enet *re, enum proto_ctl_type type, const char *code,
                           int ms, struct proto_control *out)
{
    int found = 0;
    raw_enet_service(re, ms, type, code, &found, out);
    return found ? 0 : -1;
}

int raw_enet_join(struct raw_enet *re, const char *room, const char *name,
                  enum proto_mode mode, int ms)
{
    struct proto_control m;
    char buf[1024];
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_JOIN;
    snprintf(m.room, sizeof m.room, "%s", room);
    snprintf(m.name, sizeof m.name, "%s", name);
    m.mode = mode;
    int len = proto_control_encode(buf, sizeof buf, &m);
    assert_true(len > 0);
    raw_enet_send(re, PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, buf, (size_t)len);
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (re->id == 0 && clock_now_ms() < deadline)
        raw_enet_service(re, 10, 0, NULL, NULL, NULL);
    return re->id != 0 ? 0 : -1;
}

void raw_enet_close(struct raw_enet *re)
{
    if (!re->host)
        return;
    if (!re->disconnected) {
        enet_peer_disconnect_now(re->peer, 0);
        enet_host_flush(re->host);
    }
    enet_host_destroy(re->host);
    re->host = NULL;
}

size_t raw_state_bytes(uint8_t *buf, size_t cap, uint32_t sender, uint32_t seq, size_t len)
{
    struct proto_state s = { 0 };
    s.sender = sender;
    s.seq = seq;
    s.send_us = clock_now_us();
    s.x = 1;
    s.y = 2;
    memset(buf, 0, cap);
    assert_int_equal(proto_state_encode(buf, cap, &s), PROTO_STATE_SIZE);
    return len < PROTO_STATE_SIZE ? PROTO_STATE_SIZE : len;
}
