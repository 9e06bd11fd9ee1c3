/* test_quic_tables.c: the quic edge's pure tables (relay/quic/), against
 * references: connection IDs to slots (every ID found, removals in any
 * order, a table's bound) and the timers' heap (the earliest always
 * first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include <ngtcp2/ngtcp2.h>

#include "relay/quic/transport_quic.h"
#include "stats/rng.h"

static void connection_ids(void **state)
{
    (void)state;
    struct quic_cids c;
    uint8_t key[16] = {1, 2, 3};
    assert_int_equal(quic_cids_init(&c, 1000, key), 0);
    static uint8_t ids[2000][NGTCP2_MAX_CIDLEN];
    static bool live[2000];
    struct rng g;
    rng_seed(&g, 11);
    for (int i = 0; i < 2000; i++)
        for (int k = 0; k < NGTCP2_MAX_CIDLEN; k++)
            ids[i][k] = (uint8_t)(rng_u64(&g) >> 24);
    for (int round = 0; round < 20000; round++) {
        int i = (int)(rng_u64(&g) % 2000);
        size_t len = 4 + (size_t)i % 17;
        if (live[i]) {
            quic_cids_remove(&c, ids[i], len);
            live[i] = false;
        } else if (c.n < 1000) {
            assert_int_equal(quic_cids_add(&c, ids[i], len, (uint32_t)i), 0);
            assert_int_equal(quic_cids_add(&c, ids[i], len, 7), -1); /* there already */
            live[i] = true;
        }
        if (round % 997 == 0)
            for (int k = 0; k < 2000; k++)
                assert_int_equal(quic_cids_find(&c, ids[k], 4 + (size_t)k % 17),
                                 live[k] ? k : -1);
    }
    uint32_t n = c.n;
    while (c.n < 1000)
        for (int k = 0; k < 2000 && c.n < 1000; k++)
            if (!live[k] && quic_cids_add(&c, ids[k], 4 + (size_t)k % 17, (uint32_t)k) == 0)
                live[k] = true;
    assert_true(c.n >= n);
    uint8_t one_more[4] = {9, 9, 9, 9};
    assert_true(2 * (c.n + 1) > c.cap || quic_cids_add(&c, one_more, 4, 1) == 0);
    assert_int_equal(quic_cids_find(&c, one_more, 0), -1);
    quic_cids_free(&c);
}

static void timers(void **state)
{
    (void)state;
    struct quic_timers q;
    static uint64_t at[64];
    assert_int_equal(quic_timers_init(&q, 64), 0);
    for (int i = 0; i < 64; i++)
        at[i] = UINT64_MAX;
    struct rng g;
    rng_seed(&g, 5);
    for (int round = 0; round < 20000; round++) {
        uint32_t s = (uint32_t)(rng_u64(&g) % 64);
        uint64_t v = rng_u64(&g) % 4 == 0 ? UINT64_MAX : rng_u64(&g) % 1000;
        quic_timers_set(&q, s, v);
        at[s] = v;
        uint64_t min = UINT64_MAX;
        for (int i = 0; i < 64; i++)
            min = at[i] < min ? at[i] : min;
        uint32_t slot = 0;
        uint64_t next = quic_timers_next(&q, &slot);
        assert_int_equal(next, min);
        if (min != UINT64_MAX)
            assert_int_equal(at[slot], min);
    }
    quic_timers_set(&q, 64, 1); /* out of range: nothing */
    quic_timers_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connection_ids),
        cmocka_unit_test(timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
