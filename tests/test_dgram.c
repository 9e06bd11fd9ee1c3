/* test_dgram: datagrams in and out of one UDP socket in batches
 * (sys/dgram.c), over 127.0.0.1: a queue of datagrams to two sockets,
 * copied in and written in place, leaves in order and arrives whole, each
 * from the sender's address; a read takes at most its batch, then the
 * rest; a datagram longer than a buffer is marked truncated, and not
 * taken but counted; one the
 * kernel refuses is skipped and counted while the others go; nothing
 * waiting reads as 0, a closed socket's queue sends nothing; each datagram
 * of a batch carries its own kernel receive stamp; a bind that
 * cannot be is one line. And when the kernel received a datagram
 * (sys/clock.h), read from the datagram's own control message: one stamp
 * one instant, however often its thread is preempted converting it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/dgram.h"

/* A non-blocking UDP socket on 127.0.0.1 and a free port; its address. */
static int udp_socket(union netaddr *at)
{
    char err[256];
    int fd = dgram_bind("127.0.0.1", 0, 1 << 20, at, err, sizeof err);
    if (fd < 0)
        fail_msg("%s", err);
    assert_int_not_equal(netaddr_port(at), 0);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    return fd;
}

/* Waits until fd has something to read (loopback is quick, but not
 * instant under a loaded machine). */
static int read_some(struct dgram_in *in, int fd)
{
    for (int tries = 0; tries < 200; tries++) {
        int n = dgram_in_read(in, fd, "test");
        if (n != 0)
            return n;
        usleep(5000);
    }
    return 0;
}

static void a_queue_leaves_in_order_and_arrives_whole(void **state)
{
    (void)state;
    union netaddr a, b, s;
    int fa = udp_socket(&a), fb = udp_socket(&b), fs = udp_socket(&s);
    struct dgram_out out;
    struct dgram_in in;
    assert_int_equal(dgram_out_init(&out, 8, 100), 0);
    assert_int_equal(dgram_in_init(&in, 3, 64), 0);
    /* five to a, copied in; one to b written in place */
    for (int i = 0; i < 5; i++) {
        uint8_t msg[40];
        memset(msg, 'a' + i, sizeof msg);
        dgram_out_add(&out, &a, msg, (size_t)(10 + i));
    }
    uint8_t *slot = dgram_out_slot(&out);
    memcpy(slot, "in place", 8);
    dgram_out_add(&out, &b, slot, 8);
    assert_int_equal(out.n, 6);
    assert_int_equal(dgram_out_send(&out, fs, "test"), 0);
    assert_int_equal(out.n, 0);
    /* a: a batch of 3, then the other 2, in order, each whole, from s */
    int got = 0;
    while (got < 5) {
        int n = read_some(&in, fa);
        assert_true(n > 0 && n <= 3);
        for (int i = 0; i < n; i++, got++) {
            const uint8_t *bytes;
            size_t len;
            const union netaddr *from;
            uint64_t too_long = 0;
            assert_true(dgram_in_take(&in, i, &bytes, &len, &from, &too_long));
            assert_int_equal(len, 10 + got);
            uint8_t want[40];
            memset(want, 'a' + got, sizeof want);
            assert_memory_equal(bytes, want, 10 + got);
            assert_int_equal(too_long, 0);
            assert_int_equal(netaddr_port(from), netaddr_port(&s));
        }
    }
    assert_int_equal(dgram_in_read(&in, fa, "test"), 0); /* nothing waits */
    assert_int_equal(read_some(&in, fb), 1);
    assert_int_equal(in.msg[0].msg_len, 8);
    assert_memory_equal(in.iov[0].iov_base, "in place", 8);
    /* longer than a buffer: cut, and said so */
    uint8_t big[100];
    memset(big, 'z', sizeof big);
    dgram_out_add(&out, &a, big, sizeof big);
    assert_int_equal(dgram_out_send(&out, fs, "test"), 0);
    assert_int_equal(read_some(&in, fa), 1);
    assert_true(in.msg[0].msg_hdr.msg_flags & MSG_TRUNC);
    const uint8_t *bytes;
    size_t len;
    const union netaddr *from;
    uint64_t too_long = 0;
    assert_false(dgram_in_take(&in, 0, &bytes, &len, &from, &too_long));
    assert_int_equal(too_long, 1); /* not handed on: counted */
    dgram_in_free(&in);
    dgram_out_free(&out);
    close(fa);
    close(fb);
    close(fs);
}

/* A datagram the kernel refuses (over 65,507 bytes: EMSGSIZE) is skipped
 * and counted; those around it go. */
static void a_refused_datagram_is_skipped(void **state)
{
    (void)state;
    union netaddr a, s;
    int fa = udp_socket(&a), fs = udp_socket(&s);
    int big = 1 << 20;
    assert_int_equal(setsockopt(fa, SOL_SOCKET, SO_RCVBUF, &big, sizeof big), 0);
    struct dgram_out out;
    struct dgram_in in;
    assert_int_equal(dgram_out_init(&out, 4, 70000), 0);
    assert_int_equal(dgram_in_init(&in, 4, 70000), 0);
    static uint8_t data[70000];
    dgram_out_add(&out, &a, (const uint8_t *)"one", 3);
    dgram_out_add(&out, &a, data, sizeof data);
    dgram_out_add(&out, &a, (const uint8_t *)"three", 5);
    assert_int_equal(dgram_out_send(&out, fs, "test"), 1);
    int got = 0;
    size_t lens[4];
    while (got < 2) {
        int n = read_some(&in, fa);
        assert_true(n > 0);
        for (int i = 0; i < n && got < 4; i++)
            lens[got++] = in.msg[i].msg_len;
    }
    assert_int_equal(got, 2);
    assert_int_equal(lens[0], 3);
    assert_int_equal(lens[1], 5);
    /* a closed socket (-1): nothing sent, nothing failed, the queue empty */
    dgram_out_add(&out, &a, (const uint8_t *)"x", 1);
    assert_int_equal(dgram_out_send(&out, -1, "test"), 0);
    assert_int_equal(out.n, 0);
    dgram_in_free(&in);
    dgram_out_free(&out);
    close(fa);
    close(fs);
}

/* A bind that cannot be: one line saying why, no socket left open. */
static void binds_refused_in_one_line(void **state)
{
    (void)state;
    union netaddr a, b;
    char err[256];
    int fd = udp_socket(&a);
    assert_int_equal(dgram_bind("127.0.0.1", netaddr_port(&a), 1 << 16, &b, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "bind 127.0.0.1:"));
    assert_int_equal(dgram_bind("no.such.host.invalid", 0, 1 << 16, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "bind address: "));
    assert_null(strchr(err, '\n'));
    close(fd);
}

/* A datagram read with room for control messages from a stamped socket
 * carries when the kernel received it: on the monotonic clock, between the
 * send and the read. One read without that room says 0. */
static void a_datagram_carries_when_it_arrived(void **state)
{
    (void)state;
    union netaddr at, from_at;
    int fd = udp_socket(&at), from = udp_socket(&from_at);
    assert_int_equal(clock_stamp_socket(fd), 0);
    for (int with_room = 1; with_room >= 0; with_room--) {
        uint64_t before = clock_now_us();
        assert_int_equal(sendto(from, "x", 1, 0, &at.sa, netaddr_len(&at)), 1);
        char byte, control[CLOCK_STAMP_CONTROL];
        struct iovec iov = {&byte, 1};
        struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = with_room ? control : NULL,
                           .msg_controllen = with_room ? sizeof control : 0};
        ssize_t n = -1;
        for (int tries = 0; tries < 200 && n < 0; tries++)
            if ((n = recvmsg(fd, &h, 0)) < 0)
                usleep(1000);
        assert_int_equal(n, 1);
        uint64_t after = clock_now_us(), got = clock_msg_received_us(&h);
        if (!with_room) {
            assert_int_equal(got, 0);
            continue;
        }
        /* the clocks' difference is an estimate: a millisecond of slack */
        assert_true(got + 1000 >= before);
        assert_true(got <= after);
    }
    close(fd);
    close(from);
}

/* Every datagram of a batch read from a socket dgram_bind made carries
 * its kernel stamp (no ioctl after the batch, which says only the last's):
 * on the monotonic clock, between the send and the read, in order. */
static void a_batch_carries_each_arrival(void **state)
{
    (void)state;
    union netaddr at, from_at;
    int fd = udp_socket(&at), from = udp_socket(&from_at);
    struct dgram_in in;
    assert_int_equal(dgram_in_init(&in, 4, 16), 0);
    uint64_t before = clock_now_us();
    for (int i = 0; i < 3; i++)
        assert_int_equal(sendto(from, "x", 1, 0, &at.sa, netaddr_len(&at)), 1);
    int got = 0;
    uint64_t last = 0;
    while (got < 3) {
        int n = read_some(&in, fd);
        assert_true(n > 0);
        for (int i = 0; i < n; i++, got++) {
            uint64_t stamp = dgram_in_received_us(&in, i);
            assert_true(stamp + 1000 >= before); /* the clocks' difference estimated: 1 ms */
            assert_true(stamp <= clock_now_us());
            assert_true(stamp + 1000 >= last);
            last = stamp;
        }
    }
    dgram_in_free(&in);
    close(fd);
    close(from);
}

/* Spins on the core it shares with the converting thread until *stop:
 * the scheduler takes the core from one for the other at its ticks. */
static void *spin(void *arg)
{
    const atomic_bool *stop = arg;
    while (!atomic_load(stop)) {
    }
    return NULL;
}

/* One stamp, read again and again for 300 ms by a thread that shares its
 * core with a spinning one: converted, it is one instant. Before, each
 * conversion read the wall clock and then the monotonic one, and a thread
 * preempted between the two put the stamp a time slice later. */
static void a_stamp_is_one_instant_however_preempted(void **state)
{
    (void)state;
    cpu_set_t was, one;
    assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof was, &was), 0);
    int cpu = sched_getcpu();
    CPU_ZERO(&one);
    CPU_SET(cpu >= 0 ? cpu : 0, &one);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof one, &one), 0);
    static atomic_bool stop;
    atomic_store(&stop, false);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    assert_int_equal(pthread_attr_setaffinity_np(&attr, sizeof one, &one), 0);
    assert_int_equal(pthread_create(&t, &attr, spin, &stop), 0);
    pthread_attr_destroy(&attr);

    union {
        struct cmsghdr align;
        char buf[CLOCK_STAMP_CONTROL];
    } control;
    struct msghdr h = {.msg_control = control.buf, .msg_controllen = sizeof control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_TIMESTAMPNS;
    c->cmsg_len = CMSG_LEN(sizeof(struct timespec));
    struct timespec stamp;
    clock_gettime(CLOCK_REALTIME, &stamp);
    stamp.tv_sec -= 1; /* a second before: no conversion lands after now */
    memcpy(CMSG_DATA(c), &stamp, sizeof stamp);

    uint64_t lo = UINT64_MAX, hi = 0, n = 0, end = clock_now_us() + 300000;
    while (clock_now_us() < end) {
        for (int i = 0; i < 1000; i++, n++) {
            uint64_t at = clock_msg_received_us(&h);
            lo = at < lo ? at : lo;
            hi = at > hi ? at : hi;
        }
    }
    atomic_store(&stop, true);
    pthread_join(t, NULL);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof was, &was), 0);
    print_message("one stamp converted %llu times beside a spinning thread: %llu us apart at "
                  "most\n", (unsigned long long)n, (unsigned long long)(hi - lo));
    assert_true(lo > 0);
    assert_true(hi - lo <= 50); /* one reading of the clocks' difference against the next */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_queue_leaves_in_order_and_arrives_whole),
        cmocka_unit_test(a_refused_datagram_is_skipped),
        cmocka_unit_test(binds_refused_in_one_line),
        cmocka_unit_test(a_datagram_carries_when_it_arrived),
        cmocka_unit_test(a_batch_carries_each_arrival),
        cmocka_unit_test(a_stamp_is_one_instant_however_preempted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
