/* test_e2e_lesson_door.c: the lesson's door cannot be shut by connections
 * that say nothing. ricochet-lesson in IP mode (its TCP door needs it;
 * skipped without namespaces); 17 TCP connections to the door that never
 * send a byte, more than the door holds programs; then the docs' TCP
 * player (examples/sockets/tcp_player.py) joins through the door at once
 * and plays a second: a newcomer takes the place of the oldest silent
 * connection, and a silent one gets the relay's join deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../harness/spawn.h"
#include "../sys/clock.h"
#include "support/harness.h"
#include "support/lesson.h"

#define SILENT 17
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

static int connect_to(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
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
    int silent[SILENT];
    for (int i = 0; i < SILENT; i++)
        silent[i] = connect_to(port);
    clock_sleep_ms(300); /* the door has taken them */
    char port_s[8], err[256];
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *py[] = {"examples/sockets/tcp_player.py", "127.0.0.1", port_s, "1", NULL};
    struct spawn_proc player;
    uint64_t t0 = clock_now_ms();
    assert_int_equal(spawn_start(&player, "/usr/bin", "python3", py, err, sizeof err), 0);
    int rc = spawn_stop(&player, 0, 15000);
    uint64_t took = clock_now_ms() - t0;
    char *out = spawn_read_stdout(&player), *perr = spawn_read_stderr(&player);
    print_message("after %d silent connections the player %s in %llu ms: %s%s\n", SILENT,
                  rc == 0 ? "played" : "FAILED", (unsigned long long)took, out ? out : "",
                  perr ? perr : "");
    free(out);
    free(perr);
    spawn_free(&player);
    for (int i = 0; i < SILENT; i++)
        close(silent[i]);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    assert_int_equal(rc, 0);
    assert_true(took < 8000); /* a second's play, the join at once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silent_connections_do_not_shut_the_door),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
