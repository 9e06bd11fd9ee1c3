/* test_live_log.c: the lesson's reading of netsim's drop log (live_log.c).
 * A UDP socket and a TCP socket may hold the same port at once, so a flow
 * names a lane only with its protocol: a TCP connection's handshake and
 * segments go to the stream's lane, never to a datagram lane whose client
 * has the same address and port, whichever comes first in the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lesson/live.h"
#include "lab/lesson/live_lanes.h"
#include "lab/lesson/live_log.h"
#include "sys/clock.h"

#define FLOW "198.18.0.1:43586" /* the receivers' port, on UDP and on TCP */

static void lane_named(struct live_lane *l, const char *name)
{
    for (int i = 0; (l->def = bench_lane(i)) != NULL; i++)
        if (strcmp(l->def->name, name) == 0)
            break;
    assert_non_null(l->def);
    l->clients = true;
    l->n_senders = 1;
    snprintf(l->up_flow[0], sizeof l->up_flow[0], "198.18.0.1:%s",
             l->def->ip ? "43584" : "40001");
    snprintf(l->down_flow, sizeof l->down_flow, "%s", FLOW);
}

static void udp_and_tcp_on_one_port(void **state)
{
    (void)state;
    struct live *lv = calloc(1, sizeof *lv);
    assert_non_null(lv);
    lane_named(&lv->lanes[0], "udp"); /* first in the table: it was matched first */
    lane_named(&lv->lanes[1], "tcp");
    lv->n_lanes = 2;
    struct live_netsim *n = &lv->netsims[0];
    n->started = true;
    lv->n_netsims = 1;
    snprintf(n->drop_log, sizeof n->drop_log, "/tmp/ricochet-live-log-XXXXXX");
    int fd = mkstemp(n->drop_log);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# ricochet-netsim drop log, ip datagrams\n"
          "1000 fwd up " FLOW " - - segment 0 100:101 S\n"
          "1100 fwd down " FLOW " - - segment 0 900:901 S.\n"
          "1200 fwd up " FLOW " - - segment 0 101:101 .\n"
          "1300 fwd down " FLOW " 1 7 plain 0 - -\n",
          f);
    fclose(f);
    live_log_read(lv, clock_now_us());
    unlink(n->drop_log);

    const struct live_ends *udp = &lv->lanes[0].ends, *tcp = &lv->lanes[1].ends;
    assert_int_equal(tcp->n_hs[1], 3);
    static const char *const flags[] = {"S", "S.", "."};
    for (int k = 0; k < 3; k++)
        assert_string_equal(tcp->hs[1][k].flags, flags[k]);
    assert_int_equal(udp->n_hs[1], 0);
    assert_int_equal(lv->lanes[1].seg_n, 1); /* the SYN-ACK down to its receiver */
    assert_int_equal(lv->lanes[0].seg_n, 0);
    free(lv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_and_tcp_on_one_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
