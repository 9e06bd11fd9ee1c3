/* test_e2e_csharp_handshake.c: the managed C# session's ENet handshake
 * when its acknowledgement of VERIFY_CONNECT is lost: a relay written here
 * (a UDP socket) answers the session's CONNECT with VERIFY_CONNECT, takes
 * the acknowledgement as lost and sends VERIFY_CONNECT again, as ENet does
 * until it is acknowledged; the session acknowledges it again. (Without
 * that, the relay forgets the half-open handshake after 5 s and the
 * session never gets its welcome: under 5% loss each way, a join in about
 * thirty.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <enet/enet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/harness/spawn.h"
#include "tests/support/harness.h"
#include "tests/support/servers.h"

/* The next datagram on fd within ms into buf (cap bytes); its length, or
 * -1 if none came. */
static ssize_t next_datagram(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return -1;
    socklen_t len = sizeof *from;
    return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &len);
}

/* Whether the datagram acknowledges our reliable command 1 on the
 * connection's channel (0xFF) sent at sent_time: an ACKNOWLEDGE command
 * (1), its received sequence number 1 and sent time, anywhere in it. */
static bool acknowledges(const uint8_t *d, ssize_t n, uint16_t sent_time)
{
    const uint8_t want[] = {1, 0xFF, 0, 0, 0, 1, (uint8_t)(sent_time >> 8), (uint8_t)sent_time};
    for (ssize_t i = 0; i + (ssize_t)sizeof want <= n; i++)
        if ((d[i] & 0x0F) == want[0] && d[i + 1] == want[1] && !memcmp(d + i + 4, want + 4, 4))
            return true;
    return false;
}

/* Sends VERIFY_CONNECT for connect (the session's CONNECT) to to, stamped
 * sent_time; the session's acknowledgement should name that time. */
static void verify_connect(int fd, const ENetProtocolConnect *connect, const struct sockaddr_in *to,
                           uint16_t sent_time)
{
    uint8_t b[4 + sizeof(ENetProtocolVerifyConnect)];
    uint16_t word = htons((uint16_t)(ntohs(connect->outgoingPeerID) |
                                     ENET_PROTOCOL_HEADER_FLAG_SENT_TIME));
    uint16_t sent = htons(sent_time);
    memcpy(b, &word, 2);
    memcpy(b + 2, &sent, 2);
    ENetProtocolVerifyConnect v = {
        .header = {.command = ENET_PROTOCOL_COMMAND_VERIFY_CONNECT |
                              ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                   .channelID = 0xFF, .reliableSequenceNumber = htons(1)},
        .outgoingPeerID = htons(0), .mtu = connect->mtu, .windowSize = connect->windowSize,
        .channelCount = connect->channelCount, .packetThrottleInterval = htonl(5000),
        .packetThrottleAcceleration = htonl(2), .packetThrottleDeceleration = htonl(2),
        .connectID = connect->connectID};
    memcpy(b + 4, &v, sizeof v);
    assert_int_equal(sendto(fd, b, sizeof b, 0, (const struct sockaddr *)to, sizeof *to),
                     (ssize_t)sizeof b);
}

/* Waits up to 3 s for the session's acknowledgement of the VERIFY_CONNECT
 * stamped sent_time. */
static bool acknowledged(int fd, uint16_t sent_time)
{
    uint8_t buf[1500];
    struct sockaddr_in from;
    for (int k = 0; k < 300; k++) {
        ssize_t n = next_datagram(fd, buf, sizeof buf, &from, 10);
        if (n > 0 && acknowledges(buf, n, sent_time))
            return true;
    }
    return false;
}

static void verify_connect_again_is_acknowledged_again(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-cs-handshake-XXXXXX", cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "mcs -nologo -warnaserror -out:%s/player.exe "
             "client/csharp/Ricochet/*.cs client/csharp/tests/lockstep/Player.cs 1>&2", dir);
    assert_int_equal(system(cmd), 0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof me;
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
    /* the managed session (no libricochet where mono looks) joining here */
    char port[8], empty[64], path[96];
    snprintf(port, sizeof port, "%u", ntohs(me.sin_port));
    snprintf(empty, sizeof empty, "LD_LIBRARY_PATH=%s/empty", dir);
    snprintf(path, sizeof path, "%s/empty", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/player.exe", dir);
    const char *args[] = {empty, "mono", path, "127.0.0.1", port, "r", "cs", "30", NULL};
    struct spawn_proc mono;
    char err[256];
    assert_int_equal(spawn_start(&mono, "/usr/bin", "env", args, err, sizeof err), 0);

    uint8_t buf[1500];
    struct sockaddr_in from;
    ssize_t n = -1;
    for (int k = 0; k < 100 && n < (ssize_t)(4 + sizeof(ENetProtocolConnect)); k++)
        n = next_datagram(fd, buf, sizeof buf, &from, 100);
    assert_true(n >= (ssize_t)(4 + sizeof(ENetProtocolConnect)));
    ENetProtocolConnect connect;
    memcpy(&connect, buf + 4, sizeof connect);
    assert_int_equal(connect.header.command & ENET_PROTOCOL_COMMAND_MASK,
                     ENET_PROTOCOL_COMMAND_CONNECT);
    verify_connect(fd, &connect, &from, 0x1234);
    assert_true(acknowledged(fd, 0x1234));
    /* that acknowledgement lost on its way: the relay sends it again */
    verify_connect(fd, &connect, &from, 0xBEEF);
    bool again = acknowledged(fd, 0xBEEF);
    spawn_stop(&mono, SIGKILL, 5000);
    spawn_free(&mono);
    close(fd);
    servers_remove_tree(dir);
    assert_true(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify_connect_again_is_acknowledged_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
