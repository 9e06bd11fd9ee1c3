/* test_e2e_no_relay.c: with no relay where a session looks, the library's
 * end says where it looked, which edge it expected and what to start
 * (docs/library.md, "When no relay answers"), and ends at once where the
 * transport can know, within a second: a refused TCP connect, the ICMP
 * port unreachable on plain UDP's connected socket and on ENet's socket
 * before the relay is heard, also at a relay's TCP edge (the wrong edge);
 * a port held by a socket that never answers ends ENet at its timeout.
 * Ports are free ones of 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "client/lib/ricochet.h"
#include "lab/harness/freeport.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

#define TIMEOUT_MS 3000

/* Connects to port over mode and polls to the end (within TIMEOUT_MS and
 * a margin); the DISCONNECTED event into *ev, the time it took in ms as the
 * result, the end's reason into why. */
static uint64_t end_at(enum ricochet_mode mode, uint16_t port, struct ricochet_event *ev,
                       char *why, size_t why_cap)
{
    struct ricochet_config *cfg = players_config(port, mode, "n");
    assert_int_equal(ricochet_config_set_room(cfg, "r"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, TIMEOUT_MS), RICOCHET_OK);
    uint64_t t0 = clock_now_ms();
    struct ricochet *c = players_connect(cfg);
    bool over = false;
    while (!over && clock_now_ms() - t0 < TIMEOUT_MS + 5000)
        while (!over && ricochet_poll(c, 20, ev) == 1)
            over = ev->type == RICOCHET_EV_DISCONNECTED;
    assert_true(over);
    uint64_t took = clock_now_ms() - t0;
    snprintf(why, why_cap, "%s", ricochet_end_reason(c));
    ricochet_close(c);
    return took;
}

/* end_at a free port of mode's kind, nothing listening there (*port). */
static uint64_t end_with_no_relay(enum ricochet_mode mode, uint16_t *port,
                                  struct ricochet_event *ev, char *why, size_t why_cap)
{
    char err[256];
    int type = mode == RICOCHET_MODE_TCP ? SOCK_STREAM : SOCK_DGRAM;
    assert_int_equal(free_port(type, port, err, sizeof err), 0);
    return end_at(mode, *port, ev, why, why_cap);
}

/* The reason names the address, the edge and the relay's option for it. */
static void says_what_to_start(const char *why, uint16_t port, const char *edge)
{
    char addr[64], listen[96];
    snprintf(addr, sizeof addr, "at 127.0.0.1:%u (expected: a relay's %s edge)", (unsigned)port,
             edge);
    snprintf(listen, sizeof listen, "start ricochet-relay --listen %s://127.0.0.1:%u", edge,
             (unsigned)port);
    if (!strstr(why, addr) || !strstr(why, listen))
        fail_msg("the end does not say where and what to start: %s", why);
}

/* Over mode, whose transport knows (edge: the relay's scheme for it), the
 * session ends refused well within its timeout, saying what to start and
 * also (NULL: nothing more). */
static void ends_refused_at_once(enum ricochet_mode mode, const char *edge, const char *also)
{
    struct ricochet_event ev;
    char why[512];
    uint16_t port;
    uint64_t took = end_with_no_relay(mode, &port, &ev, why, sizeof why);
    assert_string_equal(ev.code, "refused");
    says_what_to_start(why, port, edge);
    if (also && !strstr(why, also))
        fail_msg("the end does not say \"%s\": %s", also, why);
    assert_true(took < 1000); /* at once, not at the timeout */
}

static void a_refused_tcp_connect_ends_at_once(void **state)
{
    (void)state;
    ends_refused_at_once(RICOCHET_MODE_TCP, "tcp", NULL);
}

static void plain_udp_port_unreachable_ends_at_once(void **state)
{
    (void)state;
    ends_refused_at_once(RICOCHET_MODE_UDP, "udp", "nothing listens");
}

static void enet_port_unreachable_ends_at_once(void **state)
{
    (void)state;
    ends_refused_at_once(RICOCHET_MODE_RELIABLE, "enet", "nothing listens");
}

/* ENet pointed at a relay's tcp edge: nothing listens there for ENet, and
 * the end says which edge it expected. */
static void enet_at_a_tcp_edge_ends_at_once(void **state)
{
    (void)state;
    const char *args[] = {"--listen", "tcp://127.0.0.1:0", NULL};
    struct spawn_proc relay;
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "tcp");
    struct ricochet_event ev;
    char why[512];
    uint64_t took = end_at(RICOCHET_MODE_RELIABLE, port, &ev, why, sizeof why);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_string_equal(ev.code, "refused");
    says_what_to_start(why, port, "enet");
    assert_true(took < 1000);
}

/* A socket that holds the port and never answers: no ICMP, only silence,
 * so ENet waits its timeout and says it heard nothing. */
static void enet_with_no_answer_says_so_at_its_timeout(void **state)
{
    (void)state;
    int mute = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(mute >= 0);
    assert_int_equal(bind(mute, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(mute, (struct sockaddr *)&a, &len), 0);
    struct ricochet_event ev;
    char why[512];
    uint16_t port = ntohs(a.sin_port);
    uint64_t took = end_at(RICOCHET_MODE_RELIABLE, port, &ev, why, sizeof why);
    close(mute);
    assert_string_equal(ev.code, "timeout");
    says_what_to_start(why, port, "enet");
    assert_non_null(strstr(why, "no answer in"));
    assert_true(took >= TIMEOUT_MS - 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_refused_tcp_connect_ends_at_once),
        cmocka_unit_test(plain_udp_port_unreachable_ends_at_once),
        cmocka_unit_test(enet_port_unreachable_ends_at_once),
        cmocka_unit_test(enet_at_a_tcp_edge_ends_at_once),
        cmocka_unit_test(enet_with_no_answer_says_so_at_its_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
