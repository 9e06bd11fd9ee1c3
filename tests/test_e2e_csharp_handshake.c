/* test_e2e_csharp_handshake.c: the managed C# session's ENet handshake
 * and join when a datagram of them is lost.
 *
 * Its acknowledgement of VERIFY_CONNECT lost: a relay written here
 * (a UDP socket) answers the session's CONNECT with VERIFY_CONNECT, takes
 * the acknowledgement as lost and sends VERIFY_CONNECT again, as ENet does
 * until it is acknowledged; the session acknowledges it again. (Without
 * that, the relay forgets the half-open handshake after 5 s and the
 * session never gets its welcome: under 5% loss each way, a join in about
 * thirty.)
 *
 * The relay's first three cookies lost (it sends each unsequenced, once
 * for each join without it, 4 a connection): the session asks again after
 * 0.3 s, then every 0.6 s, as libricochet does (test_e2e_wire_cookie), its
 * fourth ask within the relay's join timeout, and is welcomed. */
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
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"
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

/* The managed lockstep player (client/csharp/tests/lockstep/Player.cs),
 * built in dir, started as a session (no libricochet where mono looks)
 * joining room r at 127.0.0.1:port, playing 30 ticks. */
static void start_player(struct spawn_proc *mono, char *dir, uint16_t port)
{
    char cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "mcs -nologo -warnaserror -out:%s/player.exe "
             "client/csharp/Ricochet/*.cs client/csharp/tests/lockstep/Player.cs 1>&2", dir);
    assert_int_equal(system(cmd), 0);
    char at[8], empty[96], path[96], err[256];
    snprintf(at, sizeof at, "%u", port);
    snprintf(empty, sizeof empty, "LD_LIBRARY_PATH=%s/empty", dir);
    snprintf(path, sizeof path, "%s/empty", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/player.exe", dir);
    const char *args[] = {empty, "mono", path, "127.0.0.1", at, "r", "cs", "30", NULL};
    assert_int_equal(spawn_start(mono, "/usr/bin", "env", args, err, sizeof err), 0);
}

static void verify_connect_again_is_acknowledged_again(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-cs-handshake-XXXXXX";
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof me;
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
    struct spawn_proc mono;
    start_player(&mono, dir, ntohs(me.sin_port));

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

#define LOST 3 /* the relay's first cookies lost */

static void three_lost_cookies_within_the_join_timeout(void **state)
{
    (void)state;
    struct spawn_proc relay, mono;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    struct raw_cookie_proxy px;
    raw_cookie_proxy_open(&px, (uint16_t)port);
    px.drop_left = LOST;
    char dir[] = "/tmp/ricochet-cs-cookie-XXXXXX";
    start_player(&mono, dir, raw_cookie_proxy_port(&px));
    /* each ask's time: a join within 100 ms of the one before is that ask
     * again (ENet's resend of the reliable join) */
    uint64_t at[LOST + 1] = {0}, until = clock_now_ms() + 30000;
    int asks = 0;
    for (int seen = 0; spawn_running(&mono) && clock_now_ms() < until; usleep(1000)) {
        raw_cookie_proxy_pump(&px);
        uint64_t now = clock_now_ms();
        if (seen < px.joins && (!asks || now >= at[asks - 1] + 100) && asks <= LOST)
            at[asks++] = now;
        seen = px.joins;
    }
    int code = spawn_stop(&mono, SIGKILL, 5000);
    char said[300] = "";
    char *out = spawn_read_stdout(&mono);
    snprintf(said, sizeof said, "%s", out ? out : "");
    free(out);
    spawn_free(&mono);
    raw_cookie_proxy_close(&px);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    servers_remove_tree(dir);
    print_message("%d joins, %d cookies lost; the waits between the first four asks: %d, %d, "
                  "%d ms\n", px.joins, px.cookies_dropped, (int)(at[1] - at[0]),
                  (int)(at[2] - at[1]), (int)(at[3] - at[2]));
    assert_int_equal(px.cookies_dropped, LOST);
    if (code != 0) /* welcomed once a cookie came, and played its 30 ticks */
        fail_msg("the session: exit %d: %s", code, said);
    /* 0.3 s, then 0.6 and 0.6: the fourth within the relay's join timeout
     * (2 s), never a flood */
    assert_true(at[3] && at[1] - at[0] >= 200 && at[2] - at[1] >= 450 && at[3] - at[2] >= 450);
    assert_true(at[3] - at[0] < 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify_connect_again_is_acknowledged_again),
        cmocka_unit_test(three_lost_cookies_within_the_join_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
