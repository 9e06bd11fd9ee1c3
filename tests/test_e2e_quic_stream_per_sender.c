/* test_e2e_quic_stream_per_sender.c: through ricochet-netsim dropping a
 * tenth of the receivers' packets, a `streams` member (a stream per
 * sender) receiving one sender's states while another sender's lost state
 * is resent, where a `reliable` member (one stream) waits, read from the
 * receivers' timelines; each sender's states in order at both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "tests/support/quic_relay.h"

#define TIMELINE_MAX 4096

/* A receiver's timeline: each state it got, when sent and when got. */
struct arrival {
    uint32_t sender, seq;
    uint64_t sent_us, got_us;
};

#define SENDERS 5

struct timeline {
    struct ricochet *c[SENDERS + 1]; /* the senders, then the receiver */
    struct arrival a[TIMELINE_MAX];
    size_t n;
    bool welcomed[SENDERS + 1];
};

static void timeline_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct timeline *tl = ctx;
    if (ev->type == RICOCHET_EV_WELCOME)
        tl->welcomed[i] = true;
    if (i == SENDERS && ev->type == RICOCHET_EV_STATE && tl->n < TIMELINE_MAX)
        tl->a[tl->n++] = (struct arrival){ev->id, ev->state.seq, ev->state.send_us, ev->recv_us};
}

static bool timeline_ready(void *ctx)
{
    const struct timeline *tl = ctx;
    for (int i = 0; i <= SENDERS; i++)
        if (!tl->welcomed[i])
            return false;
    return ricochet_members(tl->c[SENDERS], NULL, 0) == SENDERS;
}

/* What the holds of one run showed: states held (late); states of the
 * other senders sent while one was held (after it, before its release) and
 * how many of them overtook it (came before its release); states of one
 * sender out of its order. */
struct holds {
    size_t held, pairs, passed, out_of_order;
};

/* Reads tl: a state is held when it took more than hold_us; for each, the
 * other senders' states sent from its send to 1 ms before its arrival. */
static struct holds read_holds(const struct timeline *tl, uint64_t hold_us)
{
    struct holds h = {0};
    for (size_t i = 0; i < tl->n; i++) {
        const struct arrival *s = &tl->a[i];
        for (size_t k = 0; k < i; k++)
            h.out_of_order += tl->a[k].sender == s->sender && tl->a[k].seq > s->seq;
        if (s->got_us - s->sent_us <= hold_us)
            continue;
        h.held++;
        for (size_t k = 0; k < tl->n; k++) {
            const struct arrival *x = &tl->a[k];
            if (x->sender == s->sender || x->sent_us <= s->sent_us ||
                x->sent_us + 1000 > s->got_us)
                continue;
            h.pairs++;
            h.passed += x->got_us + 500 < s->got_us; /* it overtook s */
        }
    }
    return h;
}

/* SENDERS reliable senders on the relay, a receiver of `mode` through
 * netsim losing 10% of what the relay sends it; 8 s at 20 Hz each, the
 * senders' phases spread over a period (--tick-ms 0: each state in a
 * packet of its own, but for resendings). */
static struct holds run_through_loss(uint16_t quic, enum proto_mode mode, const char *room)
{
    char relay[32];
    snprintf(relay, sizeof relay, "127.0.0.1:%u", quic);
    const char *nargs[] = {"--relay", relay, "--down-loss", "10", "--seed", "7", NULL};
    struct spawn_proc netsim;
    uint16_t via = (uint16_t)harness_start_netsim(&netsim, nargs);
    static struct timeline tl;
    memset(&tl, 0, sizeof tl);
    static const char *const names[SENDERS] = {"ann", "bob", "cat", "dan", "eve"};
    for (int i = 0; i < SENDERS; i++)
        tl.c[i] = quic_client(quic, room, names[i], PROTO_MODE_RELIABLE, NULL);
    tl.c[SENDERS] = quic_client(via, room, "rec", mode, NULL);
    assert_int_equal(harness_poll_until(tl.c, SENDERS + 1, WAIT_MS, timeline_event,
                                        timeline_ready, &tl), 0);
    tl.n = 0;
    uint64_t start = clock_now_us(), period = 50000, next[SENDERS];
    for (int s = 0; s < SENDERS; s++)
        next[s] = start + period * (uint64_t)s / SENDERS;
    while (clock_now_us() < start + 8000000) {
        for (int s = 0; s < SENDERS; s++) {
            if (clock_now_us() < next[s])
                continue;
            struct ricochet_state st = {.x = 1, .y = 2};
            assert_int_equal(ricochet_send_state(tl.c[s], &st), RICOCHET_OK);
            next[s] += period;
        }
        harness_poll_for(tl.c, SENDERS + 1, 1, timeline_event, &tl);
    }
    harness_poll_for(tl.c, SENDERS + 1, 1000, timeline_event, &tl);
    assert_true(tl.n >= SENDERS * 150); /* nothing lost for good */
    struct holds h = read_holds(&tl, 10000);
    for (int i = 0; i <= SENDERS; i++)
        ricochet_close(tl.c[i]);
    assert_int_equal(spawn_stop(&netsim, SIGTERM, 5000), 0);
    spawn_free(&netsim);
    return h;
}

/* One sender's lost state holds back only that sender's states at a
 * member of the mode streams: other senders' states sent while it is held
 * overtake it; at a reliable member (one stream) none ever does. Each
 * sender's states in order at both. */
static void a_stream_per_sender_holds_back_only_its_sender(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", "--tick-ms", "0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    struct holds streams = run_through_loss(quic, PROTO_MODE_STREAMS, "perstream");
    struct holds one = run_through_loss(quic, PROTO_MODE_RELIABLE, "onestream");
    print_message("streams: %zu held, %zu of %zu states of the other sender passed; "
                  "one stream: %zu held, %zu of %zu passed\n",
                  streams.held, streams.passed, streams.pairs, one.held, one.passed, one.pairs);
    assert_int_equal(streams.out_of_order, 0);
    assert_int_equal(one.out_of_order, 0);
    assert_true(streams.held >= 10 && one.held >= 10);
    assert_true(streams.pairs >= 10 && one.pairs >= 10);
    assert_int_equal(one.passed, 0);  /* one stream: nothing overtakes a held state */
    assert_true(streams.passed >= 3); /* a stream each: others' states overtake it (those
                                         not lost themselves, nor in a packet with its
                                         own resending) */
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stream_per_sender_holds_back_only_its_sender),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
