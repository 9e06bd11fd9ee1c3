/* test_ring.c: the single-producer, single-consumer ring between the loop and a
 * side thread: order, a full ring refuses and counts, the eventfd wakes and
 * clears, a million messages through a small ring from another thread */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <string.h>

#include "sys/ring.h"

struct msg {
    uint64_t seq;
    char text[24];
};

static char err[256];

static bool fd_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

static void pops_in_push_order_and_refuses_when_full(void **state)
{
    (void)state;
    struct ring *r = ring_create(3, sizeof(struct msg), err, sizeof err); /* 4 slots */
    assert_non_null(r);
    struct msg m = {0}, out;
    assert_false(ring_pop(r, &out));
    for (uint64_t round = 0; round < 5; round++) { /* wraps the indices */
        for (uint64_t i = 0; i < 4; i++) {
            m.seq = round * 10 + i;
            assert_true(ring_push(r, &m));
        }
        m.seq = 99;
        assert_false(ring_push(r, &m));
        assert_int_equal(ring_refused(r), round + 1);
        for (uint64_t i = 0; i < 4; i++) {
            assert_true(ring_pop(r, &out));
            assert_int_equal(out.seq, round * 10 + i);
        }
        assert_false(ring_pop(r, &out));
    }
    ring_destroy(r);
}

static void eventfd_wakes_after_push_and_ack_clears_it(void **state)
{
    (void)state;
    struct ring *r = ring_create(8, sizeof(struct msg), err, sizeof err);
    assert_non_null(r);
    assert_false(fd_readable(ring_fd(r)));
    struct msg m = {.seq = 1}, out;
    strcpy(m.text, "room-a");
    assert_true(ring_push(r, &m));
    assert_true(ring_push(r, &m));
    assert_true(fd_readable(ring_fd(r)));
    ring_ack(r);
    assert_false(fd_readable(ring_fd(r)));
    assert_true(ring_pop(r, &out));
    assert_string_equal(out.text, "room-a");
    ring_ack(r); /* nothing pushed since: harmless */
    assert_false(fd_readable(ring_fd(r)));
    ring_destroy(r);
}

#define MANY 1000000u

static void *producer(void *arg)
{
    struct ring *r = arg;
    struct msg m = {0};
    for (uint64_t i = 0; i < MANY; i++) {
        m.seq = i;
        while (!ring_push(r, &m))
            ; /* the consumer frees slots; spinning is the test's own choice */
    }
    return NULL;
}

static void two_threads_pass_every_message_in_order(void **state)
{
    (void)state;
    struct ring *r = ring_create(64, sizeof(struct msg), err, sizeof err);
    assert_non_null(r);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
    uint64_t expect = 0;
    struct msg out;
    while (expect < MANY) {
        struct pollfd p = {.fd = ring_fd(r), .events = POLLIN};
        assert_true(poll(&p, 1, 5000) == 1); /* a push always wakes the consumer */
        ring_ack(r);
        while (ring_pop(r, &out)) {
            if (out.seq != expect)
                fail_msg("got %llu, expected %llu", (unsigned long long)out.seq,
                         (unsigned long long)expect);
            expect++;
        }
    }
    pthread_join(t, NULL);
    assert_false(ring_pop(r, &out));
    ring_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_push_order_and_refuses_when_full),
        cmocka_unit_test(eventfd_wakes_after_push_and_ack_clears_it),
        cmocka_unit_test(two_threads_pass_every_message_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
