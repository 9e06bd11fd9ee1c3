/* test_e2e_abuse_rate.c: the relay under abuse, over 127.0.0.1 with the
 * real relay: a client sending 10x its rate limit is throttled,
 * then kicked, while honest clients next to it are unaffected.
 * Everything is bounded in time; the relay and sockets are closed on every
 * path (the harness kills children at exit). */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"
#include "tests/support/session.h"

/* ---- 3. ten times the rate limit: throttled, then kicked ---------------- */

static void run_rate_kick(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--rate-limit", "30", "--rate-burst", "10", "--kick-after",
                                "1.5", "--log-level", "warn", NULL };
    const char *args_udp[] = { "--transport", "udp", "--rate-limit", "30", "--rate-burst",
                               "10", "--kick-after", "1.5", "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);
    struct session s;
    session_init(&s);
    enum proto_mode hm = udp ? PROTO_MODE_UDP : PROTO_MODE_SEQUENCED;
    session_add(&s, (uint16_t)port, "lobby", "honest0", hm, true, 15);
    session_add(&s, (uint16_t)port, "lobby", "honest1", udp ? hm : PROTO_MODE_RELIABLE, true, 15);
    session_add(&s, (uint16_t)port, "lobby", "honest2", hm, true, 15);
    session_add(&s, (uint16_t)port, "lobby", "flooder", udp ? hm : PROTO_MODE_UNSEQUENCED,
                false, 300);
    session_wait_ready(&s, 0, 4);
    uint32_t flooder_id = s.id[3];
    session_run(&s, 4000, 800, NULL, NULL);

    uint64_t from_flooder = 0;
    bool others_saw_kick = true;
    for (size_t i = 0; i < 3; i++) {
        from_flooder += s.got_from[i][3];
        bool saw = false;
        for (size_t k = 0; k < s.n_left[i]; k++)
            if (s.left_id[i][k] == flooder_id && s.left_reason[i][k] == PROTO_LEFT_KICKED)
                saw = true;
        others_saw_kick = others_saw_kick && saw;
        if (s.n_errors[i])
            print_error("honest%zu got error %s\n", i, s.errors[i][0]);
        assert_int_equal(s.n_errors[i], 0); /* the honest got no errors */
        assert_false(s.dead[i]);
    }
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    char *out = harness_relay_finish(&relay);
    long long rate_limited = harness_stats_field(out, true, "drops.rate_limited");
    long long kicks = harness_stats_field(out, true, "kicks");
    print_message("rate kick %s: flooder sent %llu states at 300/s against --rate-limit 30; "
                  "each honest got %.0f of them on average; flooder errors: %s%s%s; dead %d; "
                  "others saw left(kicked): %s; drops.rate_limited %lld, kicks %lld; "
                  "honest delivery %.4f (%llu/%llu)\n",
                  udp ? "udp" : "enet", (unsigned long long)s.sent[3], from_flooder / 3.0,
                  s.n_errors[3] > 0 ? s.errors[3][0] : "-", s.n_errors[3] > 1 ? ", " : "",
                  s.n_errors[3] > 1 ? s.errors[3][s.n_errors[3] - 1] : "", s.dead[3],
                  others_saw_kick ? "yes" : "no", rate_limited, kicks, delivery,
                  (unsigned long long)got, (unsigned long long)want);
    /* Throttled: some got through, most did not. */
    assert_true(from_flooder > 0);
    assert_true(from_flooder / 3 < s.sent[3] / 2);
    assert_true(rate_limited > 0);
    /* rate_limited first, then kicked, then the end of the connection. */
    assert_true(session_has_error(&s, 3, "rate_limited"));
    assert_true(s.kicked_error_at[3] > 0);
    assert_string_equal(s.errors[3][0], "rate_limited");
    assert_true(s.dead[3]);
    assert_true(others_saw_kick);
    assert_int_equal(kicks, 1);
    assert_true(delivery >= 0.99);
    free(out);
    session_free(&s);
    spawn_free(&relay);
}

static void rate_kick_enet(void **state)
{
    (void)state;
    run_rate_kick(false);
}

static void rate_kick_udp(void **state)
{
    (void)state;
    run_rate_kick(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rate_kick_enet),
        cmocka_unit_test(rate_kick_udp),
    };
    return session_run_tests("abuse_rate", tests, sizeof tests / sizeof tests[0]);
}
