/* test_e2e_lesson_door.c: the lesson's door cannot be shut by connections
 * that say nothing. ricochet-lesson in IP mode (its TCP door needs it;
 * skipped without namespaces); more TCP connections to the door that never
 * send a byte than the door holds programs; then the docs' TCP player
 * (examples/sockets/tcp_player.c) joins through the door at once, and as
 * many silent connections again while it plays never take its place: a
 * newcomer takes the place of the oldest silent connection, a silent one
 * is closed at the relay's join deadline, and one that has spoken is no
 * longer silent, even while the door's connection to the relay for it is
 * on its way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../harness/spawn.h"
#include "../lesson/live.h"
#include "../sys/clock.h"
#include "support/harness.h"
#include "support/lesson.h"

#define SILENT (LIVE_GUESTS + 9) /* more than the door holds programs */
#define WAIT_MS 30000

static const char *const args[] = {"--port", "0", "--door-port", "0", "--rate", "10",
                                   "--duration", "5", NULL};

/* The door's TCP port once the relay behind it is up (live.json); 0 if
 * the lesson has no IP mode here. */
static int door_tcp_port(const struct lesson *l)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    int port = 0;
    while (!port && clock_now_ms() < deadline) {
        cJSON *j = lesson_get_json(l, "/live.json");
        const cJSON *st = cJSON_GetObjectItem(j, "status");
        const cJSON *door = cJSON_GetObjectItem(j, "door");
        const cJSON *tcp = cJSON_GetObjectItem(door, "tcp");
        const cJSON *relay = cJSON_GetObjectItem(door, "relay_tcp");
        bool ip = cJSON_IsTrue(cJSON_GetObjectItem(st, "ip_mode"));
        if (j && !ip) {
            cJSON_Delete(j);
            return 0;
        }
        if (cJSON_IsString(tcp) && cJSON_IsString(relay) && relay->valuestring[0])
            port = atoi(strrchr(tcp->valuestring, ':') + 1);
        cJSON_Delete(j);
        if (!port)
            clock_sleep_ms(200);
    }
    assert_int_not_equal(port, 0);
    return port;
}

static void connect_silent(int *fds, int n, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fds[i] >= 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&a, sizeof a), 0);
    }
}

/* Has the door closed fd (its end read, or reset)? Waits up to ms. */
static bool closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

static void silent_connections_do_not_shut_the_door(void **state)
{
    (void)state;
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    int port = door_tcp_port(&l);
    if (!port) {
        spawn_stop(&l.proc, SIGINT, 15000);
        spawn_free(&l.proc);
        skip(); /* no namespaces here: no TCP door */
    }
    int before[SILENT], after[SILENT];
    connect_silent(before, SILENT, port);
    clock_sleep_ms(300); /* the door has taken them */
    char port_s[8], dir[512], err[256];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    const char *player_args[] = {"127.0.0.1", port_s, "4", NULL};
    struct spawn_proc player;
    uint64_t t0 = clock_now_ms();
    assert_int_equal(spawn_start(&player, dir, "tcp_player", player_args, err, sizeof err), 0);
    clock_sleep_ms(1000); /* it has spoken: as many silent ones again never take its place */
    connect_silent(after, SILENT, port);
    int rc = spawn_stop(&player, 0, 20000);
    uint64_t took = clock_now_ms() - t0;
    char *out = spawn_read_stdout(&player), *perr = spawn_read_stderr(&player);
    print_message("among %d silent connections the player %s in %llu ms: %.300s%s\n",
                  2 * SILENT, rc == 0 ? "played" : "FAILED", (unsigned long long)took,
                  out ? out : "", perr ? perr : "");
    bool joined = out && strstr(out, "joined as");
    free(out);
    free(perr);
    spawn_free(&player);
    int open_still = 0;
    for (int i = 0; i < SILENT; i++) /* closed at the join deadline, or by a newcomer */
        open_still += !closed_within(before[i], 5000);
    for (int i = 0; i < SILENT; i++) {
        close(before[i]);
        close(after[i]);
    }
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    assert_int_equal(rc, 0);
    assert_true(joined);
    assert_true(took < 12000); /* four seconds' play, the join at once */
    assert_int_equal(open_still, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silent_connections_do_not_shut_the_door),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
