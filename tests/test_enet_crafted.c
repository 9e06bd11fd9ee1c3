/* test_enet_crafted.c: datagrams no ENet peer would send, at the relay's
 * ENet edge: random ones, most of them shaped like ENet commands, never
 * make the datagram inspection read past their end (ASan), and it does
 * find oversize fragments among them; hand-made ones from a joined peer's
 * own socket (in process, on 127.0.0.1), malformed so that ENet stops
 * before a fragment, are not counted as too_big and leave the peer alone,
 * and a random stream of them does not bring the relay down: it still
 * answers another member. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "proto/control.h"
#include "stats/rng.h"
#include "proto/wire.h"
#include "relay/enet/enet_internals.h"
#include "relay/core/relay.h"
#include "relay/transport.h"
#include "tests/support/enet_datagrams.h"
#include "tests/support/enet_edge.h"

/* Random datagrams, most of them shaped like ENet commands, each in an
 * exact-size heap buffer: ASan fails the test on any read past the end. */
static void find_oversize_fuzz(void **state)
{
    (void)state;
    struct rng g;
    rng_seed(&g, 42);
    uint8_t b[1600];
    struct relay_enet_oversize o;
    size_t found = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = rng_below(&g, 8) == 0 ? rng_below(&g, 1500) : rng_below(&g, 80);
        for (size_t k = 0; k < len; k++)
            b[k] = (uint8_t)rng_u64(&g);
        /* command bytes where commands would start, now and then */
        if (len > 4 && rng_below(&g, 2)) {
            size_t off = (b[0] & 0x80) ? 4 : 2;
            while (off + 4 <= len) {
                static const uint8_t cmds[] = { RELIABLE_FRAGMENT, UNRELIABLE_FRAGMENT,
                                                ENET_PROTOCOL_COMMAND_SEND_RELIABLE,
                                                ENET_PROTOCOL_COMMAND_ACKNOWLEDGE,
                                                ENET_PROTOCOL_COMMAND_PING };
                b[off] = cmds[rng_below(&g, sizeof cmds)];
                b[off + 1] = (uint8_t)rng_below(&g, 4);
                if (b[off] == RELIABLE_FRAGMENT || b[off] == UNRELIABLE_FRAGMENT) {
                    if (off + FRAG_SIZE > len)
                        break;
                    /* short payloads, so they often fit */
                    b[off + 6] = 0;
                    b[off + 7] = (uint8_t)rng_below(&g, 64);
                }
                off += 4 + rng_below(&g, 40);
            }
        }
        uint8_t *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, b, len);
        found += relay_enet_find_oversize(copy, len, rng_below(&g, 2) * 4, PROTO_CHANNEL_COUNT,
                                          MAX_PACKET, &o);
        free(copy);
    }
    print_message("find_oversize fuzz: 200000 datagrams, %zu with an oversize fragment\n", found);
    assert_true(found > 0); /* the generator does reach the interesting case */
}

/* Hand-made datagrams at the relay from a joined peer's own socket (its
 * peer id and session, so ENet takes them as that peer's): malformed ones
 * are not counted as too_big and leave the peer alone; a random stream
 * does not bring the relay down. */
static void crafted_datagrams_from_a_peer(void **state)
{
    (void)state;
    struct cl cs[2];
    cl_open(&cs[0], PROTO_CHANNEL_COUNT);
    cl_open(&cs[1], PROTO_CHANNEL_COUNT);
    connect_and_join(cs, 2, 0, "mallory");
    connect_and_join(cs, 2, 1, "bob");
    const ENetPeer *pe = cs[0].peer;
    uint16_t h = (uint16_t)(pe->outgoingPeerID |
                            (pe->outgoingSessionID << ENET_PROTOCOL_HEADER_SESSION_SHIFT));
    uint8_t b[1500];
    uint64_t too_big0 = relay_stats(R)->drops[RELAY_DROP_TOO_BIG];

    /* malformed: each stops ENet (and the inspection) before a fragment */
    for (int k = 0; k < 6; k++) {
        size_t n = 0;
        uint16_t hh = h | ENET_PROTOCOL_HEADER_FLAG_SENT_TIME;
        b[n++] = (uint8_t)(hh >> 8);
        b[n++] = (uint8_t)hh;
        b[n++] = 0;
        b[n++] = 1;
        switch (k) {
        case 0: /* truncated fragment */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG) - 110;
            break;
        case 1: /* payload past the end */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG) - 1;
            break;
        case 2: /* no payload */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 0, 100, 0, BIG);
            break;
        case 3: /* channel 9 */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 9, 100, 100, 0, BIG);
            break;
        case 4: /* unknown command first */
            memset(b + n, 0x0F, 4);
            n += 4;
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG);
            break;
        case 5: /* header only */
            break;
        }
        ENetBuffer eb = { .data = b, .dataLength = n };
        assert_int_equal(enet_socket_send(cs[0].host->socket, &relay_addr, &eb, 1), (int)n);
        pump(cs, 2);
    }
    for (uint64_t end = clock_now_us() + 200000; clock_now_us() < end;)
        pump(cs, 2);
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_TOO_BIG], too_big0);
    assert_false(cs[0].disconnected);
    assert_true(relay_peer_joined(R, pe->outgoingPeerID));

    /* random commands with mallory's header: whatever ENet makes of them,
     * the relay survives and still answers bob */
    struct rng g;
    rng_seed(&g, 7);
    for (int i = 0; i < 3000; i++) {
        size_t n = 2 + rng_below(&g, 200);
        uint16_t hh = h | (rng_below(&g, 2) ? ENET_PROTOCOL_HEADER_FLAG_SENT_TIME : 0);
        b[0] = (uint8_t)(hh >> 8);
        b[1] = (uint8_t)hh;
        for (size_t k = 2; k < n; k++)
            b[k] = (uint8_t)rng_u64(&g);
        if (n >= 4 + FRAG_SIZE && rng_below(&g, 2)) {
            size_t off = (hh & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? 4 : 2;
            b[off] = rng_below(&g, 2) ? RELIABLE_FRAGMENT : UNRELIABLE_FRAGMENT;
            b[off + 1] = (uint8_t)rng_below(&g, 4);
            b[off + 6] = 0;
            b[off + 7] = (uint8_t)rng_below(&g, 200);
        }
        ENetBuffer eb = { .data = b, .dataLength = n };
        enet_socket_send(cs[0].host->socket, &relay_addr, &eb, 1);
        if (i % 50 == 0)
            pump(cs, 2);
    }
    const char *ping = "{\"type\":\"ping\",\"t\":99}";
    send_on(&cs[1], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, ping, strlen(ping));
    assert_true(wait_ctl(cs, 2, 1, PROTO_CTL_PONG, WAIT_MS) >= 0);
    assert_int_equal(msg->t, 99);
    print_message("crafted: 6 malformed not counted; 3000 random: too_big +%llu, mallory %s\n",
                  (unsigned long long)(relay_stats(R)->drops[RELAY_DROP_TOO_BIG] - too_big0),
                  cs[0].disconnected ? "disconnected" : "still connected");
    /* mallory may have been kicked or disconnected by the noise */
    enet_peer_reset(cs[0].peer);
    cl_close(&cs[0]);
    enet_peer_disconnect(cs[1].peer, 0);
    wait_no_clients(cs, 2, WAIT_MS + TIMEOUT_MS);
    cl_close(&cs[1]);
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(find_oversize_fuzz),
        cmocka_unit_test(crafted_datagrams_from_a_peer),
    };
    int rc = cmocka_run_group_tests(tests, enet_edge_setup, enet_edge_teardown);
    enet_deinitialize();
    return rc;
}
