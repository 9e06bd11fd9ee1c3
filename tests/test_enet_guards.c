/* test_enet_guards.c: what the relay's ENet guards (relay/enet/
 * enet_internals.c) take from ENet 1.3.17's insides still holds: the
 * installed ENet, header and library, is 1.3.17 and the wire layouts the
 * guards read have not moved; the intercept callback is given the very
 * event passed to enet_host_service (on 127.0.0.1); relay_enet_refusal
 * refuses, on hand-made datagrams, what ENet mishandles and not what a
 * real ENet peer sends, and counts the data commands ENet may hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>

#include "sys/clock.h"
#include "proto/wire.h"
#include "relay/enet/enet_internals.h"
#include "relay/transport.h"
#include "tests/support/enet_edge.h"

/* The relay's ENet guards (relay/enet/enet_internals.c) copy checks from ENet
 * 1.3.17's protocol.c and read its structures. This fails loudly when the
 * installed ENet is another version: header and library must both be
 * 1.3.17, and the wire layouts the guards read must not have moved. */
static void enet_internals_match_enet(void **state)
{
    (void)state;
    char err[160] = "";
    int rc = relay_enet_internals_check(err, sizeof err);
    if (rc != 0)
        fail_msg("%s: re-read ENet's protocol.c and redo relay/enet/enet_internals.c", err);
    assert_int_equal(ENET_VERSION, ENET_WIRE_VERSION);
    assert_int_equal(enet_linked_version(), ENET_WIRE_VERSION);
    assert_int_equal(offsetof(ENetProtocolSendFragment, dataLength), 6);
    assert_int_equal(offsetof(ENetProtocolSendFragment, fragmentCount), 8);
    assert_int_equal(offsetof(ENetProtocolSendFragment, totalLength), 16);
    assert_int_equal(offsetof(ENetProtocolSendReliable, dataLength), 4);
    assert_int_equal(offsetof(ENetProtocolSendUnsequenced, dataLength), 6);
    assert_int_equal(ENET_PROTOCOL_HEADER_FLAG_SENT_TIME, 1 << 15);
    assert_int_equal(ENET_PROTOCOL_HEADER_SESSION_SHIFT, 12);
    assert_int_equal(ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE, 1 << 7);
}

/* The intercept callback finds its transport through the event given to
 * enet_host_service (enet_internals.h): ENet 1.3.17 passes that very
 * pointer on. If ENet ever stops doing so, this fails, not the counters. */
static ENetEvent *intercepted_with;

static int ENET_CALLBACK record_event(ENetHost *host, ENetEvent *event)
{
    (void)host;
    intercepted_with = event;
    return 0;
}

static void intercept_gets_the_service_event(void **state)
{
    (void)state;
    ENetAddress a = { .host = ENET_HOST_ANY, .port = 0 };
    enet_address_set_host(&a, "127.0.0.1");
    ENetHost *server = enet_host_create(&a, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(server);
    assert_int_equal(enet_socket_get_address(server->socket, &a), 0);
    server->intercept = record_event;
    ENetHost *client = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(client);
    assert_non_null(enet_host_connect(client, &a, PROTO_CHANNEL_COUNT, 0));
    enet_host_flush(client);

    int marker;
    struct relay_enet_service_event se = { .ctx = &marker };
    intercepted_with = NULL;
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!intercepted_with && clock_now_us() < deadline)
        enet_host_service(server, &se.event, 1);
    assert_ptr_equal(intercepted_with, &se.event);
    assert_ptr_equal(relay_enet_intercept_ctx(intercepted_with), &marker);
    assert_null(relay_enet_intercept_ctx(NULL));
    enet_host_destroy(client);
    enet_host_destroy(server);
}

/* relay_enet_refusal on hand-made datagrams: what ENet mishandles is
 * refused, what a real ENet peer sends is not. */
static void enet_refusal_cases(void **state)
{
    (void)state;
    /* peer 0, sent time; RELIABLE ch 0 seq 1, 2 bytes "{}" */
    uint8_t ok[] = { 0x80, 0, 0, 0, 0x86, 0, 0, 1, 0, 2, '{', '}' };
    assert_int_equal(relay_enet_refusal(ok, sizeof ok, 0), RELAY_DROP_COUNT);
    /* an empty packet is taken (the core answers bad_state), and counts as
     * a data command ENet may hold */
    uint8_t empty[] = { 0x80, 0, 0, 0, 0x86, 0, 0, 1, 0, 0 };
    assert_int_equal(relay_enet_refusal(empty, sizeof empty, 0), RELAY_DROP_COUNT);
    struct relay_enet_scanned scanned;
    assert_int_equal(relay_enet_scan(empty, sizeof empty, 0, &scanned), RELAY_DROP_COUNT);
    assert_int_equal(scanned.data_commands, 1);
    assert_false(scanned.disconnect);
    /* no sent time, DISCONNECT with the acknowledge flag: a ghost */
    uint8_t ghost[] = { 0x00, 0, 0x84, 0xff, 0, 1, 0, 0, 0, 0 };
    assert_int_equal(relay_enet_refusal(ghost, sizeof ghost, 0), RELAY_DROP_ENET_GUARD);
    /* the same without the acknowledge flag: ENet handles it (zombie) */
    uint8_t polite[] = { 0x00, 0, 0x04, 0xff, 0, 1, 0, 0, 0, 0 };
    assert_int_equal(relay_enet_refusal(polite, sizeof polite, 0), RELAY_DROP_COUNT);
    /* fragment: count 4, number 0, total 100, offset 0, 1 byte: fine */
    uint8_t frag[] = { 0x80, 0, 0, 0, 0x88, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 4,
                       0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 'x' };
    assert_int_equal(relay_enet_refusal(frag, sizeof frag, 0), RELAY_DROP_COUNT);
    frag[23] = 3; /* totalLength 3 < fragmentCount 4 */
    assert_int_equal(relay_enet_refusal(frag, sizeof frag, 0), RELAY_DROP_ENET_GUARD);
    frag[23] = 100;
    frag[27] = 100; /* offset past the end */
    assert_int_equal(relay_enet_refusal(frag, sizeof frag, 0), RELAY_DROP_ENET_GUARD);
    frag[27] = 0;
    frag[11] = 0; /* a fragment of zero bytes: refused, as ENet 1.3.18 does */
    assert_int_equal(relay_enet_refusal(frag, sizeof frag - 1, 0), RELAY_DROP_ENET_GUARD);
    /* bounds: every prefix is safe and never refused for what it lacks */
    for (size_t n = 0; n < sizeof ok; n++)
        assert_int_equal(relay_enet_refusal(ok, n, 0), RELAY_DROP_COUNT);
    /* data commands counted (what ENet may hold out of order): the send,
     * not a PING after it, nor a truncated one */
    uint8_t two[] = { 0x80, 0, 0, 0, 0x86, 0, 0, 1, 0, 2, '{', '}', 0x85, 0xff, 0, 2,
                      0x07, 1, 0, 3, 0, 1, 0, 1, 'x' };
    assert_int_equal(relay_enet_scan(two, sizeof two, 0, &scanned), RELAY_DROP_COUNT);
    assert_int_equal(scanned.data_commands, 2); /* RELIABLE "{}" and UNRELIABLE "x"; PING has none */
    assert_int_equal(relay_enet_scan(two, sizeof two - 1, 0, &scanned), RELAY_DROP_COUNT);
    assert_int_equal(scanned.data_commands, 1); /* the unreliable one runs past the end */
    /* a DISCONNECT is noted (ENet discards what it has not handed over) */
    assert_int_equal(relay_enet_scan(polite, sizeof polite, 0, &scanned), RELAY_DROP_COUNT);
    assert_true(scanned.disconnect);
    assert_int_equal(scanned.data_commands, 0);
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enet_internals_match_enet),
        cmocka_unit_test(intercept_gets_the_service_event),
        cmocka_unit_test(enet_refusal_cases),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return rc;
}
