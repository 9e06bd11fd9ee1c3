/* test_triple.c: the triple buffer. Nothing to read before the first
 * publish; the reader gets the newest publish, keeps its slot unchanged
 * while the writer goes on, and is never handed the slot being written;
 * across two threads every snapshot read is whole (never half of two
 * publishes) and never older than the one read before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "sys/triple.h"

struct snap {
    uint64_t seq;
    uint64_t words[64]; /* each equal to seq in a whole snapshot */
};

static void fill(struct triple *tb, uint64_t seq)
{
    struct snap *s = triple_back(tb);
    s->seq = seq;
    for (size_t i = 0; i < 64; i++)
        s->words[i] = seq;
    triple_publish(tb);
}

static void nothing_before_the_first_publish(void **state)
{
    (void)state;
    struct triple *tb = triple_create(sizeof(struct snap));
    assert_non_null(tb);
    assert_null(triple_front(tb));
    fill(tb, 1);
    const struct snap *s = triple_front(tb);
    assert_non_null(s);
    assert_int_equal(s->seq, 1);
    triple_destroy(tb);
    triple_destroy(NULL);
}

static void reader_gets_the_newest_and_keeps_it(void **state)
{
    (void)state;
    struct triple *tb = triple_create(sizeof(struct snap));
    assert_non_null(tb);
    fill(tb, 1);
    fill(tb, 2);
    fill(tb, 3);
    const struct snap *s = triple_front(tb);
    assert_int_equal(s->seq, 3); /* 1 and 2 were overtaken, never waited for */
    /* The writer goes on: the reader's slot is not among those it writes. */
    for (uint64_t seq = 4; seq < 20; seq++) {
        assert_ptr_not_equal(triple_back(tb), s);
        fill(tb, seq);
        assert_int_equal(s->seq, 3);
        assert_int_equal(s->words[63], 3);
    }
    /* Nothing new: the same slot again. */
    const struct snap *t = triple_front(tb);
    assert_int_equal(t->seq, 19);
    assert_ptr_equal(triple_front(tb), t);
    assert_int_equal(t->seq, 19);
    triple_destroy(tb);
}

struct race {
    struct triple *tb;
    atomic_bool done;
    uint64_t publishes;
};

static void *writer(void *arg)
{
    struct race *r = arg;
    for (uint64_t seq = 1; seq <= r->publishes; seq++)
        fill(r->tb, seq);
    atomic_store(&r->done, true);
    return NULL;
}

static void two_threads_read_whole_snapshots_in_order(void **state)
{
    (void)state;
    struct race r = { .tb = triple_create(sizeof(struct snap)), .publishes = 200000 };
    assert_non_null(r.tb);
    atomic_init(&r.done, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer, &r), 0);
    uint64_t last = 0, reads = 0, torn = 0, backwards = 0;
    for (;;) {
        bool finished = atomic_load(&r.done);
        const struct snap *s = triple_front(r.tb);
        if (s) {
            for (size_t i = 0; i < 64; i++)
                torn += s->words[i] != s->seq;
            backwards += s->seq < last;
            last = s->seq;
            reads++;
        }
        if (finished)
            break;
    }
    pthread_join(th, NULL);
    assert_int_equal(torn, 0);
    assert_int_equal(backwards, 0);
    assert_int_equal(last, r.publishes); /* the final publish is read */
    assert_true(reads > 0);
    triple_destroy(r.tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_before_the_first_publish),
        cmocka_unit_test(reader_gets_the_newest_and_keeps_it),
        cmocka_unit_test(two_threads_read_whole_snapshots_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
