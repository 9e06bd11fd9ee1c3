/* test_e2e_mismatch.c: a client and a relay of different transports say so at
 * once. An ENet client against ricochet-relay --transport udp, and a
 * plain-UDP client against an ENet relay, end with "wrong_transport" and a
 * sentence naming the address, the relay's edge there and what to do, in
 * the library's words (no program's flag), instead of "no welcome
 * (timeout)" after 5 s; a WebSocket client at a TCP edge refused in words
 * that name the address and the ws edge; and the datagram sniffing that
 * makes it possible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enet/enet.h>

#include "client/lib/client.h"
#include "proto/enet/sniff.h"
#include "tests/support/harness.h"

struct ending {
    struct harness_rec rec;
    int port; /* the relay's */
    char code[PROTO_CODE_MAX + 1];
    char text[PROTO_TEXT_MAX + 1];
};

static void on_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct ending *e = ctx;
    harness_rec_event(&e->rec, i, ev);
    if (ev->type == RICOCHET_EV_DISCONNECTED) {
        snprintf(e->code, sizeof e->code, "%s", ev->code);
        snprintf(e->text, sizeof e->text, "%s", ev->text);
    }
}

static bool ended(void *ctx)
{
    return ((struct ending *)ctx)->rec.disconnected[0];
}

/* Starts a relay with args, points one client of mode at it and returns
 * how its session ended (the client's timeout is 5 s: a timeout would say
 * "timeout", not "wrong_transport"). */
static void end_of(const char *const *relay_args, enum proto_mode mode, struct ending *e)
{
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, relay_args);
    assert_true(port > 0);
    memset(e, 0, sizeof *e);
    e->port = port;
    e->rec.n = 1;
    e->rec.c[0] = harness_client((uint16_t)port, "lobby", "mismatch", mode, false);
    assert_int_equal(harness_poll_until(e->rec.c, 1, 15000, on_event, ended, e), 0);
    assert_false(e->rec.welcomed[0]);
    ricochet_close(e->rec.c[0]);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
}

static void enet_client_udp_relay(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", NULL};
    struct ending e;
    end_of(args, PROTO_MODE_UNSEQUENCED, &e);
    assert_string_equal(e.code, "wrong_transport");
    /* the address, the edge and what to do, in the library's words: no
     * program's flag */
    assert_non_null(strstr(e.text, "127.0.0.1:"));
    assert_non_null(strstr(e.text, " is the relay's plain-UDP edge: connect with the udp mode, "
                                   "or to its ENet edge"));
    assert_null(strstr(e.text, "--"));
}

static void udp_client_enet_relay(void **state)
{
    (void)state;
    struct ending e;
    end_of(NULL, PROTO_MODE_UDP, &e);
    assert_string_equal(e.code, "wrong_transport");
    assert_non_null(strstr(e.text, "127.0.0.1:"));
    assert_non_null(strstr(e.text, " is the relay's ENet edge: connect with an ENet mode "
                                   "(unsequenced, sequenced or reliable), or to its plain-UDP "
                                   "edge"));
    assert_null(strstr(e.text, "--"));
}

/* A WebSocket session at the relay's TCP edge (only that edge listens):
 * refused at once, in words that name the address and the edge to use. */
static void ws_client_tcp_edge(void **state)
{
    (void)state;
    const char *args[] = {"--listen", "tcp://127.0.0.1:0", NULL};
    struct ending e;
    char addr[32];
    end_of(args, PROTO_MODE_WS, &e);
    assert_string_equal(e.code, RICOCHET_END_REFUSED);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", e.port);
    if (!strstr(e.text, addr) || !strstr(e.text, "ws edge"))
        fail_msg("not both the address %s and the ws edge in \"%s\"", addr, e.text);
    assert_null(strstr(e.text, "--"));
}

/* A real ENet connect is recognised (the udp relay's short answer depends
 * on it), the ENet relay's answer is recognised, and nothing a plain-UDP
 * relay sends before a welcome (JSON, a state, garbage) is taken for it. */
static void sniff_recognises_enet_only(void **state)
{
    (void)state;
    /* What ENet 1.3.17 sent to connect (strace of ricochet-bot): header with
     * sent time, CONNECT with the ack flag to peer 0xFFF, 48 bytes. */
    const uint8_t connect[52] = {0x8f, 0xff, 0x5b, 0x15, 0x82, 0xff, 0, 1, 0, 0, 0xff, 0xff,
                                 0, 0, 5, 0x78, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0x13, 0x88, 0, 0, 0, 2, 0, 0, 0, 2, 4, 0x6b,
                                 0x6b, 0x24, 0, 0, 0, 0};
    assert_true(sniff_is_enet_connect(connect, sizeof connect));
    assert_false(sniff_is_enet_connect(connect, sizeof connect - 1));
    assert_false(sniff_is_json(connect, sizeof connect));
    assert_false(sniff_is_enet_reply(connect, sizeof connect));
    uint8_t other[52];
    memcpy(other, connect, sizeof other);
    other[4] = 0x83; /* VERIFY_CONNECT */
    assert_false(sniff_is_enet_connect(other, sizeof other));
    memcpy(other, connect, sizeof other);
    other[1] = 0x00; /* to peer 0, not 0xFFF */
    assert_false(sniff_is_enet_connect(other, sizeof other));
    memcpy(other, connect, sizeof other);
    other[0] |= 0x40; /* compressed */
    assert_false(sniff_is_enet_connect(other, sizeof other));

    uint8_t reply[SNIFF_ENET_REPLY_LEN];
    sniff_enet_reply(reply);
    assert_true(sniff_is_enet_reply(reply, sizeof reply));
    assert_int_equal(reply[2] & ENET_PROTOCOL_COMMAND_MASK, ENET_PROTOCOL_COMMAND_DISCONNECT);
    assert_int_equal((reply[0] << 8 | reply[1]), ENET_PROTOCOL_MAXIMUM_PEER_ID);
    assert_false(sniff_is_enet_reply(reply, sizeof reply - 1));
    assert_false(sniff_is_enet_connect(reply, sizeof reply));

    const char *join = "{\"type\":\"join\",\"room\":\"lobby\"}";
    assert_true(sniff_is_json((const uint8_t *)join, strlen(join)));
    assert_false(sniff_is_enet_reply((const uint8_t *)join, 10));
    assert_false(sniff_is_enet_connect((const uint8_t *)join, strlen(join)));
    const uint8_t state_like[10] = {1, 0, 0, 0, 0, 7, 0, 0, 0, 1};
    assert_false(sniff_is_enet_reply(state_like, sizeof state_like));
    assert_false(sniff_is_enet_reply((const uint8_t *)"\x07garbage!", 10));
    assert_false(sniff_is_json(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enet_client_udp_relay),
        cmocka_unit_test(udp_client_enet_relay),
        cmocka_unit_test(ws_client_tcp_edge),
        cmocka_unit_test(sniff_recognises_enet_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
