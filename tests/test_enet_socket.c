/* test_enet_socket.c: ENet's socket calls as the relay takes them over
 * (relay/enet/enet_socket.c), on 127.0.0.1: libenet's own service reads
 * through them; a batch read keeps each sender's order and every
 * datagram's arrival time; a full batch loses nothing, either way; what is
 * sent leaves at the flush, in one sendmmsg; a source that has not shown
 * its address is sent no more than it sent; a datagram too long for ENet
 * is dropped alone; a socket not adopted works as ENet's own */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay/enet/enet_socket.h"
#include "sys/clock.h"

/* A non-blocking UDP socket on 127.0.0.1, a free port, room for bursts. */
static int udp_open(struct sockaddr_in *at)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    struct sockaddr_in me = {.sin_family = AF_INET};
    me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    socklen_t len = sizeof *at;
    assert_int_equal(getsockname(fd, (struct sockaddr *)at, &len), 0);
    return fd;
}

static ENetAddress enet_addr(const struct sockaddr_in *sin)
{
    return (ENetAddress){.host = sin->sin_addr.s_addr, .port = ntohs(sin->sin_port)};
}

static void send_to(int fd, const struct sockaddr_in *to, const void *d, size_t n)
{
    assert_int_equal(sendto(fd, d, n, 0, (const struct sockaddr *)to, sizeof *to), (ssize_t)n);
}

/* Datagrams waiting at fd now (it is drained). */
static unsigned drain(int fd)
{
    uint8_t d[8192];
    unsigned n = 0;
    while (recv(fd, d, sizeof d, 0) >= 0)
        n++;
    return n;
}

static bool yes(void *ctx, const ENetAddress *to)
{
    (void)ctx, (void)to;
    return true;
}

static bool no(void *ctx, const ENetAddress *to)
{
    (void)ctx, (void)to;
    return false;
}

/* One datagram through enet_socket_send (ENet's shape: header and body). */
static int shim_send(int fd, const struct sockaddr_in *to, const void *d, size_t n)
{
    ENetAddress a = enet_addr(to);
    ENetBuffer b[2] = {{.data = (void *)d, .dataLength = n / 2},
                       {.data = (uint8_t *)d + n / 2, .dataLength = n - n / 2}};
    return enet_socket_send(fd, &a, b, 2);
}

static void libenet_reads_through_the_shim(void **state)
{
    (void)state;
    assert_int_equal(enet_initialize(), 0);
    ENetAddress any = {.host = htonl(INADDR_LOOPBACK), .port = 0};
    ENetHost *h = enet_host_create(&any, 4, 2, 0, 0);
    assert_non_null(h);
    ENetAddress bound;
    assert_int_equal(enet_socket_get_address(h->socket, &bound), 0);
    assert_int_equal(enet_socket_adopt(h->socket, no, NULL), 0);
    struct sockaddr_in me, to = {.sin_family = AF_INET, .sin_port = htons(bound.port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int c = udp_open(&me);
    send_to(c, &to, "junk, not ENet", 14);
    ENetEvent ev;
    for (uint64_t end = clock_now_ms() + 5000;
         enet_socket_counts(h->socket).recvmmsg_calls == 0 && clock_now_ms() < end;)
        enet_host_service(h, &ev, 0);
    assert_int_equal(enet_socket_counts(h->socket).recvmmsg_calls, 1);
    enet_socket_release(h->socket);
    enet_host_destroy(h);
    enet_deinitialize();
    close(c);
}

/* Two senders interleaved, more than a batch each: all read, each sender's
 * in order, every one with its arrival time, each sender's in order too
 * (the kernel stamps a datagram on the core that sent it, before it joins
 * the socket's queue: two senders' stamps may cross). */
static void a_batch_keeps_each_senders_order(void **state)
{
    (void)state;
    struct sockaddr_in at, s_at[2];
    int fd = udp_open(&at), s[2] = {udp_open(&s_at[0]), udp_open(&s_at[1])};
    assert_int_equal(enet_socket_adopt(fd, no, NULL), 0);
    enum { EACH = 3 * ENET_SOCKET_RX_BATCH + 5 };
    for (uint32_t i = 0; i < EACH; i++)
        for (int k = 0; k < 2; k++)
            send_to(s[k], &at, &i, sizeof i);
    uint32_t next[2] = {0, 0};
    uint64_t last_us[2] = {0, 0};
    for (uint64_t end = clock_now_ms() + 5000;
         (next[0] < EACH || next[1] < EACH) && clock_now_ms() < end;) {
        uint32_t v;
        ENetAddress from;
        ENetBuffer b = {.data = &v, .dataLength = sizeof v};
        int n = enet_socket_receive(fd, &from, &b, 1);
        assert_true(n >= 0);
        if (n == 0)
            continue;
        assert_int_equal(n, sizeof v);
        int k = from.port == ntohs(s_at[0].sin_port) ? 0 : 1;
        assert_int_equal(from.port, ntohs(s_at[k].sin_port));
        assert_int_equal(v, next[k]); /* in order, none lost */
        next[k]++;
        uint64_t us = enet_socket_received_us(fd);
        assert_true(us >= last_us[k] && us > 0);
        last_us[k] = us;
    }
    assert_int_equal(next[0], EACH);
    assert_int_equal(next[1], EACH);
    assert_false(enet_socket_pending(fd));
    assert_true(enet_socket_counts(fd).recvmmsg_calls >= 2 * EACH / ENET_SOCKET_RX_BATCH);
    enet_socket_release(fd);
    close(fd), close(s[0]), close(s[1]);
}

/* Sends wait for the flush, which sends them in one call; more than a batch
 * before it: the full batch goes at once, nothing is lost. */
static void sends_leave_at_the_flush(void **state)
{
    (void)state;
    struct sockaddr_in at, r_at;
    int fd = udp_open(&at), r = udp_open(&r_at);
    assert_int_equal(enet_socket_adopt(fd, yes, NULL), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(shim_send(fd, &r_at, "a state", 7), 7);
    clock_sleep_ms(20);
    assert_int_equal(drain(r), 0);
    assert_int_equal(enet_socket_flush(fd), 0);
    assert_int_equal(enet_socket_counts(fd).sendmmsg_calls, 1);
    clock_sleep_ms(20);
    assert_int_equal(drain(r), 10);
    enum { MANY = 2 * ENET_SOCKET_TX_BATCH + 10 };
    for (int i = 0; i < MANY; i++)
        assert_int_equal(shim_send(fd, &r_at, "a state", 7), 7);
    enet_socket_flush(fd);
    clock_sleep_ms(50);
    assert_int_equal(drain(r), MANY);
    assert_int_equal(enet_socket_counts(fd).sendmmsg_calls, 1 + 3);
    enet_socket_release(fd);
    close(fd), close(r);
}

/* A source not shown is sent what it sent, no more: the rest is reported
 * sent (ENet resends as after a loss) and counted. */
static void a_stranger_gets_no_more_than_it_sent(void **state)
{
    (void)state;
    struct sockaddr_in at, r_at;
    int fd = udp_open(&at), r = udp_open(&r_at);
    assert_int_equal(enet_socket_adopt(fd, no, NULL), 0);
    uint8_t connect[52] = {0}, verify[48] = {1};
    send_to(r, &at, connect, sizeof connect);
    uint8_t d[64];
    ENetBuffer b = {.data = d, .dataLength = sizeof d};
    for (uint64_t end = clock_now_ms() + 5000;
         enet_socket_receive(fd, NULL, &b, 1) == 0 && clock_now_ms() < end;)
        ;
    assert_int_equal(shim_send(fd, &r_at, verify, sizeof verify), 48);
    assert_int_equal(shim_send(fd, &r_at, verify, sizeof verify), 48); /* withheld */
    enet_socket_flush(fd);
    clock_sleep_ms(20);
    assert_int_equal(drain(r), 1);
    struct enet_socket_counts c = enet_socket_counts(fd);
    assert_int_equal(c.withheld, 1);
    assert_int_equal(c.withheld_bytes, 48);
    enet_socket_release(fd);
    close(fd), close(r);
}

/* A datagram longer than ENet's buffer is dropped; the next is read. */
static void a_datagram_too_long_is_dropped_alone(void **state)
{
    (void)state;
    struct sockaddr_in at, s_at;
    int fd = udp_open(&at), s = udp_open(&s_at);
    assert_int_equal(enet_socket_adopt(fd, no, NULL), 0);
    static uint8_t big[ENET_PROTOCOL_MAXIMUM_MTU + 100];
    send_to(s, &at, big, sizeof big);
    send_to(s, &at, "small", 5);
    uint8_t d[ENET_PROTOCOL_MAXIMUM_MTU];
    ENetBuffer b = {.data = d, .dataLength = sizeof d};
    int n = 0;
    for (uint64_t end = clock_now_ms() + 5000; n == 0 && clock_now_ms() < end;)
        n = enet_socket_receive(fd, NULL, &b, 1);
    assert_int_equal(n, 5);
    assert_int_equal(enet_socket_counts(fd).truncated, 1);
    enet_socket_release(fd);
    close(fd), close(s);
}

/* A socket not adopted: sent at once, read one at a time, counted nowhere. */
static void other_sockets_are_enets_own(void **state)
{
    (void)state;
    struct sockaddr_in at, r_at;
    int fd = udp_open(&at), r = udp_open(&r_at);
    assert_int_equal(shim_send(fd, &r_at, "hello", 5), 5);
    clock_sleep_ms(20);
    uint8_t d[16];
    ENetBuffer b = {.data = d, .dataLength = sizeof d};
    ENetAddress from;
    assert_int_equal(enet_socket_receive(r, &from, &b, 1), 5);
    assert_int_equal(from.port, ntohs(at.sin_port));
    assert_int_equal(enet_socket_receive(r, &from, &b, 1), 0);
    assert_int_equal(enet_socket_counts(fd).sendmmsg_calls, 0);
    close(fd), close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(libenet_reads_through_the_shim),
        cmocka_unit_test(a_batch_keeps_each_senders_order),
        cmocka_unit_test(sends_leave_at_the_flush),
        cmocka_unit_test(a_stranger_gets_no_more_than_it_sent),
        cmocka_unit_test(a_datagram_too_long_is_dropped_alone),
        cmocka_unit_test(other_sockets_are_enets_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
