/* test_enet_oversize.c: a packet over ENet's maximumPacketSize, in process
 * on 127.0.0.1 from raw ENet client hosts: counted once as too_big and
 * answered with an error; reliable, the peer is closed (left kicked to the
 * room), since its channel can never move on; unreliable, the peer stays.
 * The inspection that finds it (relay_enet_find_oversize) on hand-made
 * datagrams: a fragment of an oversize packet is found after other
 * commands, with or without a checksum; never in a cut datagram, nor
 * where ENet gives up before the fragment or rejects it for another
 * reason; never a read past the datagram (ASan). Every wait is bounded. */
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
#include "proto/wire.h"
#include "relay/enet/enet_internals.h"
#include "relay/core/relay.h"
#include "relay/transport.h"
#include "tests/support/enet_datagrams.h"
#include "tests/support/enet_edge.h"

static bool got_error(const struct cl *c, const char *code)
{
    for (int k = 0; (k = find_ctl(c, (size_t)k, PROTO_CTL_ERROR)) >= 0; k++)
        if (strcmp(msg->code, code) == 0)
            return true;
    return false;
}

/* A reliable packet ENet will never take: error too_big, then the relay
 * closes the peer (left kicked to the room), counted once for all its
 * fragments and their resends. Before the fix: silence, and the sender's
 * channel 0 stalled until it timed out. */
static void oversize_reliable_closes_peer(void **state)
{
    (void)state;
    struct cl cs[2];
    cl_open(&cs[0], PROTO_CHANNEL_COUNT);
    cl_open(&cs[1], PROTO_CHANNEL_COUNT);
    uint32_t ida = connect_and_join(cs, 2, 0, "alice");
    connect_and_join(cs, 2, 1, "bob");
    uint64_t too_big0 = relay_stats(R)->drops[RELAY_DROP_TOO_BIG];
    uint64_t kicks0 = relay_stats(R)->kicks;
    uint8_t *big = malloc(BIG);
    assert_non_null(big);
    memset(big, '{', BIG);
    send_on(&cs[0], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, big, BIG);
    free(big);
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!cs[0].disconnected && clock_now_us() < deadline)
        pump(cs, 2);
    /* a little more: resent fragments must not be counted again */
    for (uint64_t end = clock_now_us() + 300000; clock_now_us() < end;)
        pump(cs, 2);
    assert_true(cs[0].disconnected);
    assert_true(got_error(&cs[0], "too_big"));
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_TOO_BIG], too_big0 + 1);
    assert_int_equal(relay_stats(R)->kicks, kicks0 + 1);
    int k = find_ctl(&cs[1], 0, PROTO_CTL_LEFT);
    assert_true(k >= 0);
    assert_int_equal(msg->id, ida);
    assert_int_equal(msg->reason, PROTO_LEFT_KICKED);
    assert_false(got_error(&cs[1], "too_big"));
    close_all(cs, 2);
}

/* An unreliable fragmented packet over the limit: counted once and
 * answered; nothing stalls, so the peer stays. */
static void oversize_unreliable_counted(void **state)
{
    (void)state;
    struct cl c;
    cl_open(&c, PROTO_CHANNEL_COUNT);
    connect_and_join(&c, 1, 0, "carol");
    uint64_t too_big0 = relay_stats(R)->drops[RELAY_DROP_TOO_BIG];
    uint8_t *big = calloc(1, BIG);
    assert_non_null(big);
    send_on(&c, PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT, big, BIG);
    free(big);
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!got_error(&c, "too_big") && clock_now_us() < deadline)
        pump(&c, 1);
    for (uint64_t end = clock_now_us() + 200000; clock_now_us() < end;)
        pump(&c, 1);
    assert_true(got_error(&c, "too_big"));
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_TOO_BIG], too_big0 + 1);
    assert_false(c.disconnected);
    assert_int_equal(relay_members(R), 1);
    close_all(&c, 1);
}

/* Runs the inspection on an exact-size heap copy, so that any read past
 * len is an ASan error. */
static bool oversize_in(const uint8_t *b, size_t len, size_t extra, struct relay_enet_oversize *o)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, b, len);
    bool found = relay_enet_find_oversize(copy, len, extra, PROTO_CHANNEL_COUNT, MAX_PACKET, o);
    free(copy);
    return found;
}

static void find_oversize_cases(void **state)
{
    (void)state;
    uint8_t b[4096];
    struct relay_enet_oversize o;
    const uint8_t sent_time[4] = { 0x80, 0x05, 0x12, 0x34 }; /* peer 5, sent time */
    const uint8_t no_time[2] = { 0x00, 0x05 };
    size_t n;

    /* found: a reliable fragment of a 100000-byte packet */
    memcpy(b, sent_time, 4);
    n = 4 + put_fragment(b + 4, RELIABLE_FRAGMENT, 0, 1000, 100, 3, BIG);
    memset(&o, 0, sizeof o);
    assert_true(oversize_in(b, n, 0, &o));
    assert_true(o.reliable);
    assert_false(o.first);
    assert_int_equal(o.total, BIG);
    /* every prefix is cut inside the fragment: never found, never a bad read */
    for (size_t cut = 0; cut < n; cut++)
        assert_false(oversize_in(b, cut, 0, &o));
    /* with a checksum the commands start 4 bytes later */
    assert_false(oversize_in(b, n, 4, &o));
    memcpy(b, sent_time, 4);
    memset(b + 4, 0, 4);
    n = 8 + put_fragment(b + 8, RELIABLE_FRAGMENT, 0, 1000, 100, 0, BIG);
    assert_true(oversize_in(b, n, 4, &o));
    assert_true(o.first);
    /* exactly the limit is fine */
    memcpy(b, sent_time, 4);
    n = 4 + put_fragment(b + 4, RELIABLE_FRAGMENT, 0, 1000, 66, 0, MAX_PACKET);
    assert_false(oversize_in(b, n, 0, &o));

    /* found after other commands: an acknowledgement, an unreliable send */
    memcpy(b, sent_time, 4);
    n = 4;
    ENetProtocolAcknowledge ack = { .header.command = ENET_PROTOCOL_COMMAND_ACKNOWLEDGE };
    memcpy(b + n, &ack, sizeof ack);
    n += sizeof ack;
    ENetProtocolSendUnreliable su = { .header.command = ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE,
                                      .header.channelID = 1,
                                      .dataLength = ENET_HOST_TO_NET_16(40) };
    memcpy(b + n, &su, sizeof su);
    n += sizeof su + 40;
    n += put_fragment(b + n, UNRELIABLE_FRAGMENT, 1, 500, 200, 0, 200000);
    assert_true(oversize_in(b, n, 0, &o));
    assert_false(o.reliable);
    assert_true(o.first);
    assert_int_equal(o.total, 200000);

    /* not found: where ENet gives up before the fragment, or rejects it for
     * another reason */
    struct {
        const char *what;
        size_t len;
    } cases[16];
    uint8_t bufs[16][2048];
    size_t nc = 0;
#define CASE(w) (cases[nc].what = (w), bufs[nc])
    uint8_t *c;
    c = CASE("fragment with no payload");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4 + put_fragment(c + 4, RELIABLE_FRAGMENT, 0, 0, 100, 0, BIG);
    c = CASE("payload past the end");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4 + put_fragment(c + 4, RELIABLE_FRAGMENT, 0, 1000, 100, 0, BIG) - 1;
    c = CASE("fragment on channel 9");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4 + put_fragment(c + 4, RELIABLE_FRAGMENT, 9, 100, 100, 0, BIG);
    c = CASE("acknowledged ping without a sent time, then the fragment");
    memcpy(c, no_time, 2);
    c[2] = ENET_PROTOCOL_COMMAND_PING | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE;
    c[3] = 0xFF;
    c[4] = 0;
    c[5] = 1;
    cases[nc++].len = 6 + put_fragment(c + 6, UNRELIABLE_FRAGMENT, 1, 100, 100, 0, BIG);
    c = CASE("command 0, then the fragment");
    memcpy(c, sent_time, 4);
    memset(c + 4, 0, 4);
    cases[nc++].len = 8 + put_fragment(c + 8, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG);
    c = CASE("command 13, then the fragment");
    memcpy(c, sent_time, 4);
    c[4] = 13;
    memset(c + 5, 0, 3);
    cases[nc++].len = 8 + put_fragment(c + 8, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG);
    c = CASE("unreliable send longer than the datagram, then the fragment");
    memcpy(c, sent_time, 4);
    su.dataLength = ENET_HOST_TO_NET_16(5000);
    memcpy(c + 4, &su, sizeof su);
    cases[nc++].len = 4 + sizeof su + put_fragment(c + 4 + sizeof su, RELIABLE_FRAGMENT, 0, 100,
                                                   100, 0, BIG);
    c = CASE("disconnect, then the fragment");
    memcpy(c, sent_time, 4);
    ENetProtocolDisconnect dc = { .header.command = ENET_PROTOCOL_COMMAND_DISCONNECT };
    memcpy(c + 4, &dc, sizeof dc);
    cases[nc++].len = 4 + sizeof dc + put_fragment(c + 4 + sizeof dc, RELIABLE_FRAGMENT, 0, 100,
                                                   100, 0, BIG);
    c = CASE("header only");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4;
    c = CASE("sent-time flag, 3 bytes");
    memcpy(c, sent_time, 3);
    cases[nc++].len = 3;
    c = CASE("one byte");
    c[0] = 0x80;
    cases[nc++].len = 1;
    c = CASE("empty");
    cases[nc++].len = 0;
#undef CASE
    for (size_t k = 0; k < nc; k++) {
        if (oversize_in(bufs[k], cases[k].len, 0, &o))
            fail_msg("found an oversize fragment in: %s", cases[k].what);
    }
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oversize_reliable_closes_peer),
        cmocka_unit_test(oversize_unreliable_counted),
        cmocka_unit_test(find_oversize_cases),
    };
    int rc = cmocka_run_group_tests(tests, enet_edge_setup, enet_edge_teardown);
    enet_deinitialize();
    return rc;
}
