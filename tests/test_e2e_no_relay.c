/* test_e2e_no_relay.c: with no relay where a session looks, the library's
 * end says where it looked, which edge it expected and what to start
 * (docs/library.md, "When no relay answers"), and ends at once where the
 * transport can know: a refused TCP connect, and plain UDP's ICMP port
 * unreachable on its connected socket; ENet, which hears nothing, at its
 * timeout. Ports are free ones of 127.0.0.1, nothing listening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "../client/lib/ricochet.h"
#include "../harness/freeport.h"
#include "support/harness.h"
#include "support/players.h"

#define TIMEOUT_MS 3000

/* Connects to a free port over mode and polls to the end (within
 * TIMEOUT_MS and a margin); the DISCONNECTED event into *ev, the time it
 * took in ms as the result, the end's reason into why. */
static uint64_t end_with_no_relay(enum ricochet_mode mode, uint16_t *port,
                                  struct ricochet_event *ev, char *why, size_t why_cap)
{
    char err[256];
    int type = mode == RICOCHET_MODE_TCP ? SOCK_STREAM : SOCK_DGRAM;
    assert_int_equal(free_port(type, port, err, sizeof err), 0);
    struct ricochet_config *cfg = players_config(*port, mode, "n");
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
    assert_true(took < TIMEOUT_MS / 2);
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

static void enet_with_no_answer_says_so_at_its_timeout(void **state)
{
    (void)state;
    struct ricochet_event ev;
    char why[512];
    uint16_t port;
    end_with_no_relay(RICOCHET_MODE_RELIABLE, &port, &ev, why, sizeof why);
    assert_string_equal(ev.code, "timeout");
    says_what_to_start(why, port, "enet");
    assert_non_null(strstr(why, "no answer in"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_refused_tcp_connect_ends_at_once),
        cmocka_unit_test(plain_udp_port_unreachable_ends_at_once),
        cmocka_unit_test(enet_with_no_answer_says_so_at_its_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
