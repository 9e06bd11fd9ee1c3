/* test_enet_speak.c: ENet's commands as `proto/enet/enet_speak.c` writes them
 * (header, CONNECT, ACKNOWLEDGE, PING, DISCONNECT, the three sends) read back
 * by `enet_wire.c` field by field, a buffer one byte short refused; against
 * libenet itself over 127.0.0.1: its host takes our CONNECT, its VERIFY_CONNECT
 * reads back with our connect id and peer id, our acknowledgement makes a
 * connected peer, its reliable packet reads as a SEND_RELIABLE with its bytes,
 * our unsequenced, sequenced and reliable sends arrive as packets with ENet's
 * flags, our DISCONNECT ends the peer */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <enet/enet.h>

#include "proto/enet/enet_speak.h"

/* The one command of a datagram (d, len) with a header of hsize bytes. */
static const uint8_t *only_command(const uint8_t *d, size_t len, struct enet_wire_command *w)
{
    struct enet_wire_header h;
    assert_int_equal(enet_wire_header(d, len, 0, &h), 0);
    size_t off = h.size;
    assert_int_equal(enet_wire_next(d, len, &off, w), 1);
    assert_int_equal(off, len);
    return d + h.size;
}

static void header_round_trip(void **state)
{
    (void)state;
    uint8_t d[4];
    struct enet_wire_header h;
    assert_int_equal(enet_speak_header(d, 0x123, 2, true, 0xBEEF), 4);
    assert_int_equal(enet_wire_header(d, 4, 0, &h), 0);
    assert_int_equal(h.peer_id, 0x123);
    assert_int_equal(h.session, 2);
    assert_true(h.sent_time);
    assert_false(h.compressed);
    assert_int_equal(h.size, 4);
    assert_int_equal(enet_speak_read_sent_time(d), 0xBEEF);
    assert_int_equal(enet_speak_header(d, ENET_WIRE_NO_PEER, 0, false, 0), 2);
    assert_int_equal(enet_wire_header(d, 2, 0, &h), 0);
    assert_int_equal(h.peer_id, ENET_WIRE_NO_PEER);
    assert_false(h.sent_time);
    assert_int_equal(h.size, 2);
}

static void commands_round_trip(void **state)
{
    (void)state;
    uint8_t d[128];
    struct enet_wire_command w;
    size_t h = enet_speak_header(d, 7, 1, true, 1);

    struct enet_speak_connect cc = {.my_peer_id = 42, .reliable_seq = 1, .mtu = 1392,
                                    .window_size = 65536, .channel_count = 3,
                                    .connect_id = 0xA1B2C3D4u};
    size_t n = enet_speak_connect(d + h, sizeof d - h, &cc);
    assert_int_equal(n, ENET_SPEAK_CONNECT_SIZE);
    const uint8_t *cmd = only_command(d, h + n, &w);
    assert_int_equal(w.command, ENET_PROTOCOL_COMMAND_CONNECT);
    assert_true(w.acknowledge);
    assert_int_equal(w.channel, ENET_SPEAK_CONTROL_CHANNEL);
    assert_int_equal(w.channel_count, 3);
    assert_int_equal(w.connect_id, 0xA1B2C3D4u);
    assert_int_equal(enet_speak_reliable_seq(cmd), 1);
    assert_int_equal(enet_speak_connect(d, ENET_SPEAK_CONNECT_SIZE - 1, &cc), 0);

    n = enet_speak_ack(d + h, sizeof d - h, 2, 513, 0x7001);
    cmd = only_command(d, h + n, &w);
    assert_int_equal(w.command, ENET_PROTOCOL_COMMAND_ACKNOWLEDGE);
    assert_false(w.acknowledge);
    assert_int_equal(w.channel, 2);
    uint16_t seq, sent;
    enet_speak_read_ack(cmd, &seq, &sent);
    assert_int_equal(seq, 513);
    assert_int_equal(sent, 0x7001);

    n = enet_speak_ping(d + h, sizeof d - h, 9);
    cmd = only_command(d, h + n, &w);
    assert_int_equal(w.command, ENET_PROTOCOL_COMMAND_PING);
    assert_true(w.acknowledge);
    assert_int_equal(enet_speak_reliable_seq(cmd), 9);

    n = enet_speak_disconnect(d + h, sizeof d - h, 10, 77);
    cmd = only_command(d, h + n, &w);
    assert_int_equal(w.command, ENET_PROTOCOL_COMMAND_DISCONNECT);
    assert_int_equal(enet_speak_read_disconnect(cmd), 77);

    static const struct {
        enum enet_speak_kind kind;
        unsigned command;
        bool acknowledge;
    } kinds[] = {{ENET_SPEAK_RELIABLE, ENET_PROTOCOL_COMMAND_SEND_RELIABLE, true},
                 {ENET_SPEAK_UNRELIABLE, ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE, false},
                 {ENET_SPEAK_UNSEQUENCED, ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED, false}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        n = enet_speak_send(d + h, sizeof d - h, kinds[k].kind, 1, 5, 300, "state!", 6);
        cmd = only_command(d, h + n, &w);
        assert_int_equal(w.command, kinds[k].command);
        assert_int_equal(w.acknowledge, kinds[k].acknowledge);
        assert_int_equal(w.channel, 1);
        assert_true(w.data_fits);
        assert_int_equal(w.data_len, 6);
        assert_memory_equal(w.data, "state!", 6);
        if (kinds[k].kind == ENET_SPEAK_UNSEQUENCED) {
            assert_int_equal(w.unsequenced_group, 300);
            assert_int_equal(enet_speak_reliable_seq(cmd), 0);
        } else {
            assert_int_equal(enet_speak_reliable_seq(cmd), 5);
        }
        assert_int_equal(enet_speak_send(d, 11, kinds[k].kind, 1, 5, 300, /* one byte short */
                                         "state!", 6),
                         0);
    }
}

/* ---- against libenet ---- */

/* Services host until an event of type, at most a second. */
static void host_event(ENetHost *host, ENetEventType type, ENetEvent *e)
{
    for (int i = 0; i < 100; i++) {
        if (enet_host_service(host, e, 10) > 0 && e->type == type)
            return;
    }
    fail_msg("no ENet event %d", (int)type);
}

/* Services host (its sends go out) and reads one datagram at fd. */
static size_t next_datagram(ENetHost *host, int fd, uint8_t *buf, size_t cap)
{
    for (int i = 0; i < 100; i++) {
        ENetEvent e;
        enet_host_service(host, &e, 0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10) == 1) {
            ssize_t n = recv(fd, buf, cap, 0);
            assert_true(n > 0);
            return (size_t)n;
        }
    }
    fail_msg("no datagram from the ENet host");
    return 0;
}

static void talks_with_libenet(void **state)
{
    (void)state;
    assert_int_equal(enet_initialize(), 0);
    ENetAddress at = {.port = 0};
    enet_address_set_host_ip(&at, "127.0.0.1");
    ENetHost *host = enet_host_create(&at, 4, 3, 0, 0);
    assert_non_null(host);
    ENetAddress bound;
    assert_int_equal(enet_socket_get_address(host->socket, &bound), 0);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(bound.port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);

    uint8_t d[2048];
    size_t h = enet_speak_header(d, ENET_WIRE_NO_PEER, 0, true, 100);
    struct enet_speak_connect cc = {.my_peer_id = 5, .reliable_seq = 1, .mtu = 1392,
                                    .window_size = 65536, .channel_count = 3,
                                    .connect_id = 0x01020304u};
    size_t n = h + enet_speak_connect(d + h, sizeof d - h, &cc);
    assert_int_equal(send(fd, d, n, 0), (ssize_t)n);

    /* its VERIFY_CONNECT, to my peer id, my connect id echoed */
    n = next_datagram(host, fd, d, sizeof d);
    struct enet_wire_header wh;
    assert_int_equal(enet_wire_header(d, n, 0, &wh), 0);
    assert_int_equal(wh.peer_id, 5);
    assert_true(wh.sent_time);
    uint16_t their_time = enet_speak_read_sent_time(d);
    struct enet_wire_command w;
    size_t off = wh.size, at_cmd = off;
    assert_int_equal(enet_wire_next(d, n, &off, &w), 1);
    assert_int_equal(w.command, ENET_PROTOCOL_COMMAND_VERIFY_CONNECT);
    assert_true(w.acknowledge);
    struct enet_speak_verify v;
    enet_speak_read_verify(d + at_cmd, &v);
    assert_int_equal(v.connect_id, 0x01020304u);
    assert_int_equal(v.channel_count, 3);
    assert_int_equal(v.mtu, 1392);
    assert_int_equal(v.peer_id, 0); /* the host's first slot */
    uint16_t verify_seq = enet_speak_reliable_seq(d + at_cmd);

    /* acknowledged: a connected peer at the host */
    h = enet_speak_header(d, v.peer_id, v.outgoing_session, false, 0);
    n = h + enet_speak_ack(d + h, sizeof d - h, w.channel, verify_seq, their_time);
    assert_int_equal(send(fd, d, n, 0), (ssize_t)n);
    ENetEvent e;
    host_event(host, ENET_EVENT_TYPE_CONNECT, &e);
    ENetPeer *peer = e.peer;
    assert_int_equal(peer->connectID, 0x01020304u);

    /* its reliable packet reads as a SEND_RELIABLE with its bytes */
    enet_peer_send(peer, 0, enet_packet_create("welcome", 7, ENET_PACKET_FLAG_RELIABLE));
    bool got = false;
    for (int tries = 0; tries < 10 && !got; tries++) {
        n = next_datagram(host, fd, d, sizeof d);
        assert_int_equal(enet_wire_header(d, n, 0, &wh), 0);
        for (off = wh.size; enet_wire_next(d, n, &off, &w) == 1;) {
            if (w.command != ENET_PROTOCOL_COMMAND_SEND_RELIABLE)
                continue;
            assert_int_equal(w.channel, 0);
            assert_int_equal(w.data_len, 7);
            assert_memory_equal(w.data, "welcome", 7);
            got = true;
        }
    }
    assert_true(got);

    /* my sends of each kind arrive as ENet's packets, with its flags */
    static const struct {
        enum enet_speak_kind kind;
        uint8_t channel;
        enet_uint32 flag;
    } kinds[] = {{ENET_SPEAK_UNSEQUENCED, 1, ENET_PACKET_FLAG_UNSEQUENCED},
                 {ENET_SPEAK_UNRELIABLE, 1, 0},
                 {ENET_SPEAK_RELIABLE, 2, ENET_PACKET_FLAG_RELIABLE}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        h = enet_speak_header(d, v.peer_id, v.outgoing_session, true, 200);
        n = h + enet_speak_send(d + h, sizeof d - h, kinds[k].kind, kinds[k].channel,
                                kinds[k].kind == ENET_SPEAK_RELIABLE ? 1 : 0, 1, "abc", 3);
        assert_int_equal(send(fd, d, n, 0), (ssize_t)n);
        host_event(host, ENET_EVENT_TYPE_RECEIVE, &e);
        assert_int_equal(e.channelID, kinds[k].channel);
        assert_int_equal(e.packet->dataLength, 3);
        assert_memory_equal(e.packet->data, "abc", 3);
        assert_int_equal(e.packet->flags & (ENET_PACKET_FLAG_RELIABLE |
                                            ENET_PACKET_FLAG_UNSEQUENCED),
                         kinds[k].flag);
        enet_packet_destroy(e.packet);
    }

    /* my goodbye ends the peer */
    h = enet_speak_header(d, v.peer_id, v.outgoing_session, true, 300);
    n = h + enet_speak_disconnect(d + h, sizeof d - h, 2, 0);
    assert_int_equal(send(fd, d, n, 0), (ssize_t)n);
    host_event(host, ENET_EVENT_TYPE_DISCONNECT, &e);

    close(fd);
    enet_host_destroy(host);
    enet_deinitialize();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_round_trip),
        cmocka_unit_test(commands_round_trip),
        cmocka_unit_test(talks_with_libenet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
