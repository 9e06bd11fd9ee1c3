/* test_e2e_quic_ngtcp2_client.c: the relay's quic edge reached by an
 * independent client, Debian's ngtcp2-client (`gtlsclient`, HTTP/3):
 * answered with a Retry first, then let in on ALPN `h3` (WebTransport's),
 * its GET answered 405, read from its output and the edge's counters
 * (`wt_refused`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/harness.h"

/* gtlsclient (ngtcp2's example client on GnuTLS, HTTP/3): its Initial gets
 * a Retry, then its handshake is let in on ALPN h3 (WebTransport's), where
 * its GET is no WebTransport CONNECT: answered 405 (counted wt_refused). */
static void ngtcp2_client_reaches_the_edge(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    char port[8], err[256];
    snprintf(port, sizeof port, "%u", harness_edge_port(&relay, "quic"));
    const char *cl[] = {"--timeout=2s", "--exit-on-all-streams-close", "127.0.0.1", port,
                        "https://127.0.0.1/", NULL};
    struct spawn_proc gtls;
    assert_int_equal(spawn_start(&gtls, "/usr/bin", "gtlsclient", cl, err, sizeof err), 0);
    spawn_stop(&gtls, 0, 10000);
    char *out = spawn_read_stdout(&gtls), *log = spawn_read_stderr(&gtls);
    assert_non_null(out);
    assert_non_null(log);
    size_t n = strlen(out) + strlen(log) + 2;
    char *all = malloc(n);
    snprintf(all, n, "%s\n%s", out, log);
    /* address validation first: a Retry, then its Initial again with the token */
    assert_non_null(strstr(all, "type=Retry"));
    bool refused = strstr(all, "CONNECTION_CLOSE(0x1c) error_code=CRYPTO_ERROR(0x178)") != NULL;
    bool let_in = strstr(all, "Negotiated ALPN is") != NULL;
    assert_true(refused != let_in);
    char *stats = harness_relay_stats_now(&relay);
    assert_non_null(stats);
    assert_true(harness_stats_field(stats, false, "edges.quic.retries") >= 1);
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.alpn_refused"), refused);
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.handshakes") >= 1, let_in);
    assert_true(let_in); /* h3 is WebTransport's */
    for (int k = 0; k < 50 && harness_stats_field(stats, false, "edges.quic.wt_refused") < 1; k++) {
        free(stats);
        clock_sleep_ms(100);
        stats = harness_relay_stats_now(&relay);
    }
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.wt_refused"), 1);
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.wt_sessions"), 0);
    if (refused) /* refused cleanly: no peer, no state left */
        assert_int_equal(harness_stats_field(stats, false, "edges.quic.clients"), 0);
    print_message("gtlsclient let in on h3, its GET refused (405)\n");
    free(stats);
    free(all);
    free(out);
    free(log);
    spawn_free(&gtls);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ngtcp2_client_reaches_the_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
