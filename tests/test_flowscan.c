/* test_flowscan.c: a flow's datagrams read by its wire (--wire auto
 * takes it from the first: a STUN check is WebRTC's, a JSON join plain
 * UDP's, an ENet connect ENet's), and the states it shows for the first
 * time (paired loss): a retransmission of a state, per direction, peer and
 * sender, is not new; a seq across the wrap is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lab/netsim/flowscan.h"
#include "proto/wire.h"

static size_t put_state(uint8_t *buf, uint32_t sender, uint32_t seq)
{
    struct proto_state s = {.sender = sender, .seq = seq, .send_us = 1};
    assert_int_equal(proto_state_encode(buf, PROTO_STATE_SIZE, &s), PROTO_STATE_SIZE);
    return PROTO_STATE_SIZE;
}

static void wire_from_the_first_datagram(void **state)
{
    (void)state;
    struct flowscan fs;
    struct statescan_ref refs[STATESCAN_MAX];
    /* a STUN binding request: type 0x0001, length 0, the magic cookie */
    uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
    flowscan_init(&fs, NETSIM_WIRE_AUTO);
    assert_int_equal(fs.wire, -1);
    flowscan_datagram(&fs, NULL, NETSIM_UP, stun, sizeof stun, refs);
    assert_int_equal(fs.wire, NETSIM_WIRE_WEBRTC);
    uint8_t st[PROTO_STATE_SIZE];
    put_state(st, 0, 7);
    struct statescan_result r = flowscan_datagram(&fs, NULL, NETSIM_UP, st, sizeof st, refs);
    assert_int_equal(r.states, 0); /* no key log: a WebRTC flow stays unread */
    flowscan_free(&fs);

    const char *join = "{\"type\":\"join\",\"room\":\"a\",\"name\":\"b\"}";
    flowscan_init(&fs, NETSIM_WIRE_AUTO);
    flowscan_datagram(&fs, NULL, NETSIM_UP, (const uint8_t *)join, strlen(join), refs);
    assert_int_equal(fs.wire, NETSIM_WIRE_UDP);
    r = flowscan_datagram(&fs, NULL, NETSIM_DOWN, st, sizeof st, refs);
    assert_int_equal(r.states, 1);
    assert_int_equal(refs[0].seq, 7);
    flowscan_free(&fs);

    /* an ENet connect to no peer yet: the header's peer 0xFFF with sent time */
    uint8_t connect[48] = {0x8F, 0xFF, 0x00, 0x01, 0x82, 0xFF, 0x00, 0x01};
    flowscan_init(&fs, NETSIM_WIRE_AUTO);
    flowscan_datagram(&fs, NULL, NETSIM_UP, connect, sizeof connect, refs);
    assert_int_equal(fs.wire, NETSIM_WIRE_ENET);
    flowscan_free(&fs);

    /* a QUIC version 1 Initial (a long header's first bits, version 1),
     * padded to 1200 bytes: QUIC; without a key log nothing is named */
    uint8_t initial[1200] = {0xc3, 0x00, 0x00, 0x00, 0x01, 0x08};
    flowscan_init(&fs, NETSIM_WIRE_AUTO);
    flowscan_arrived(&fs, NULL, NETSIM_UP, initial, sizeof initial);
    assert_int_equal(fs.wire, NETSIM_WIRE_QUIC);
    r = flowscan_datagram(&fs, NULL, NETSIM_UP, st, sizeof st, refs);
    assert_int_equal(r.states, 0);
    flowscan_free(&fs);
    flowscan_init(&fs, NETSIM_WIRE_AUTO); /* shorter than a client's first: not QUIC's */
    flowscan_datagram(&fs, NULL, NETSIM_UP, initial, 1199, refs);
    assert_int_equal(fs.wire, NETSIM_WIRE_ENET);
    flowscan_free(&fs);

    flowscan_init(&fs, NETSIM_WIRE_UDP); /* a wire given is kept */
    flowscan_datagram(&fs, NULL, NETSIM_UP, stun, sizeof stun, refs);
    assert_int_equal(fs.wire, NETSIM_WIRE_UDP);
    flowscan_free(&fs);
    assert_string_equal(flowscan_wire_name(NETSIM_WIRE_AUTO), "auto");
    assert_string_equal(flowscan_wire_name(NETSIM_WIRE_QUIC), "quic");
}

/* The seqs flowscan_first finds new in one udp datagram of one state. */
static size_t first(struct flowscan *fs, enum netsim_dir dir, uint32_t sender, uint32_t seq,
                    uint32_t *got)
{
    uint8_t st[PROTO_STATE_SIZE];
    struct statescan_ref refs[STATESCAN_MAX];
    put_state(st, sender, seq);
    struct statescan_result r = flowscan_datagram(fs, NULL, dir, st, sizeof st, refs);
    return flowscan_first(fs, dir, &r, refs, got);
}

static void first_sightings_only(void **state)
{
    (void)state;
    struct flowscan fs;
    uint32_t got[STATESCAN_MAX];
    flowscan_init(&fs, NETSIM_WIRE_UDP);
    assert_int_equal(first(&fs, NETSIM_UP, 0, 10, got), 1);
    assert_int_equal(got[0], 10);
    assert_int_equal(first(&fs, NETSIM_UP, 0, 10, got), 0);  /* sent again */
    assert_int_equal(first(&fs, NETSIM_UP, 0, 9, got), 0);   /* older */
    assert_int_equal(first(&fs, NETSIM_DOWN, 0, 10, got), 1); /* the other way: its own */
    assert_int_equal(first(&fs, NETSIM_DOWN, 3, 10, got), 1); /* another sender */
    assert_int_equal(first(&fs, NETSIM_DOWN, 3, 11, got), 1);
    assert_int_equal(first(&fs, NETSIM_DOWN, 3, 11, got), 0);
    assert_int_equal(first(&fs, NETSIM_UP, 0, 12, got), 1);  /* a gap: still new */
    /* across the wrap */
    assert_int_equal(first(&fs, NETSIM_UP, 5, UINT32_MAX, got), 1);
    assert_int_equal(first(&fs, NETSIM_UP, 5, 0, got), 1);
    assert_int_equal(first(&fs, NETSIM_UP, 5, UINT32_MAX, got), 0);

    /* a batch of three, one of them sent before */
    uint8_t batch[PROTO_BATCH_MAX], st[PROTO_STATE_SIZE];
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(batch);
    for (uint32_t seq = 12; seq <= 14; seq++) {
        put_state(st, 0, seq);
        assert_int_equal(proto_batch_add(batch, sizeof batch, &used, st, sizeof st), PROTO_OK);
    }
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = flowscan_datagram(&fs, NULL, NETSIM_UP, batch, used, refs);
    assert_int_equal(r.states, 3);
    assert_int_equal(flowscan_first(&fs, NETSIM_UP, &r, refs, got), 2);
    assert_int_equal(got[0], 13);
    assert_int_equal(got[1], 14);
    flowscan_free(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wire_from_the_first_datagram),
        cmocka_unit_test(first_sightings_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
