/* test_e2e_room_restart.c: a room kept through a relay's restart, a real
 * ricochet-relay with --room-file on its plain-UDP edge on 127.0.0.1,
 * spoken to byte by byte. ann makes room cave (map arena, size 3) and
 * keeps coin0 with stay, bob joins without props; the relay is killed
 * (SIGKILL, a moment after the last change) and started again on the same
 * file: bob back first, with his key and props of his own, finds cave as
 * it was (map arena, size 3, ann its owner, coin0 replayed), ann back is
 * its owner, bob's clear of coin0 (neither its keeper nor the owner) is
 * refused not_owner and a latecomer still gets coin0. A room nobody comes
 * back to ends with its hold (--room-hold-s), and leaves the file; a
 * stop (SIGTERM) writes the rooms; a file that is no room file stops the
 * relay at start, one line naming the file and saying to move it away; a
 * relay of a fleet (--directory) takes no --room-file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define WAIT_MS 10000

static struct proto_control msg; /* large: not on the stack */

struct player {
    int fd;
    char key[PROTO_KEY_LEN + 1];
    char player[PROTO_PLAYER_LEN + 1];
    char kept[256];             /* keys of the kept events replayed to it, ',' between */
    char error[PROTO_CODE_MAX + 1]; /* the last error's code */
};

/* Reads p's datagrams for up to ms (until one kept event keyed want, or an
 * error, came, when want is not NULL): kept events noted, errors noted. */
static void drain(struct player *p, int ms, const char *want)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    static uint8_t buf[PROTO_CONTROL_MAX + 1];
    while (clock_now_ms() < end) {
        struct pollfd pf = {.fd = p->fd, .events = POLLIN};
        poll(&pf, 1, 20);
        ssize_t n = recv(p->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n <= 0)
            continue;
        struct proto_event e;
        if (proto_is_event(buf, (size_t)n) && proto_event_decode(buf, (size_t)n, &e) == 0) {
            if (e.flags & PROTO_EVENT_KEPT) {
                size_t at = strlen(p->kept);
                snprintf(p->kept + at, sizeof p->kept - at, "%s%.*s", at ? "," : "",
                         (int)e.key_len, (const char *)e.key);
                if (want && e.key_len == strlen(want) && memcmp(e.key, want, e.key_len) == 0)
                    return;
            }
            continue;
        }
        buf[n] = '\0';
        if (proto_control_decode((const char *)buf, (size_t)n, &msg, NULL, 0) == 0 &&
            msg.type == PROTO_CTL_ERROR) {
            snprintf(p->error, sizeof p->error, "%s", msg.code);
            if (want)
                return;
        }
    }
}

/* p joins room on the relay at port as name (with its key if it has one,
 * and props given as JSON text, or NULL); the welcome decoded into msg. */
static void join(struct player *p, uint16_t port, const char *room, const char *name,
                 const char *more)
{
    char json[400];
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":%d,\"room\":\"%s\",\"name\":"
             "\"%s\"%s%s%s%s%s}", PROTO_VERSION, room, name, p->key[0] ? ",\"key\":\"" : "",
             p->key, p->key[0] ? "\"" : "", more ? "," : "", more ? more : "");
    p->kept[0] = p->error[0] = '\0';
    assert_true(harness_udp_join(p->fd, port, json, &msg, WAIT_MS));
    assert_int_equal(msg.type, PROTO_CTL_WELCOME);
    snprintf(p->key, sizeof p->key, "%s", msg.key);
    snprintf(p->player, sizeof p->player, "%s", msg.player);
}

static void keep(struct player *p, const char *key, const char *body)
{
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode_kept(buf, sizeof buf, key, true, body, body ? strlen(body) : 0);
    assert_true(n > 0);
    assert_int_equal(send(p->fd, buf, (size_t)n, 0), n);
}

static uint16_t start(struct spawn_proc *relay, const char *file, uint16_t port,
                      const char *hold)
{
    char url[48];
    snprintf(url, sizeof url, "udp://127.0.0.1:%u", (unsigned)port);
    const char *args[] = {"--listen", url, "--room-file", file, "--room-hold-s", hold, NULL};
    assert_true(harness_start_relay(relay, args) > 0);
    return harness_edge_port(relay, "udp");
}

static void make_dir(char *dir)
{
    strcpy(dir, "/tmp/ricochet-rooms-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    harness_sh("rm -rf '%s'", dir);
}

static void a_room_outlives_a_kill(void **state)
{
    (void)state;
    char dir[64], file[96];
    make_dir(dir);
    snprintf(file, sizeof file, "%s/rooms.json", dir);
    struct spawn_proc relay;
    uint16_t port = start(&relay, file, 0, "60");
    struct player a = {.fd = harness_udp_socket(NULL)}, b = {.fd = harness_udp_socket(NULL)},
                  c = {.fd = harness_udp_socket(NULL)};
    join(&a, port, "cave", "ann", "\"props\":{\"map\":\"arena\"},\"size\":3,\"open\":true");
    assert_string_equal(msg.owner, a.player);
    keep(&a, "coin0", "gold");
    join(&b, port, "cave", "bob", NULL);
    drain(&b, WAIT_MS, "coin0");
    assert_string_equal(b.kept, "coin0");
    usleep(400 * 1000); /* past the writer's 100 ms */
    assert_int_equal(spawn_stop(&relay, SIGKILL, 5000), 128 + SIGKILL);
    spawn_free(&relay);
    char *text = harness_read_text(file);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"cave\":{"));
    free(text);

    start(&relay, file, port, "60");
    /* bob first, asking a room of his own mind: cave as it was */
    join(&b, port, "cave", "bob", "\"props\":{\"map\":\"dust\"},\"size\":2");
    assert_string_equal(msg.room, "cave");
    assert_string_equal(msg.owner, a.player);
    assert_string_equal(proto_props_get(&msg.props, "map"), "arena");
    assert_int_equal(msg.size, 3);
    assert_false(msg.closed);
    drain(&b, WAIT_MS, "coin0");
    assert_string_equal(b.kept, "coin0");
    join(&a, port, "cave", "ann", NULL);
    assert_string_equal(msg.owner, a.player);
    /* bob is neither coin0's keeper nor the owner */
    keep(&b, "coin0", NULL);
    drain(&b, WAIT_MS, "");
    assert_string_equal(b.error, "not_owner");
    join(&c, port, "cave", "cat", NULL);
    assert_string_equal(msg.owner, a.player);
    drain(&c, WAIT_MS, "coin0");
    assert_string_equal(c.kept, "coin0");
    assert_int_equal(harness_relay_stat(&relay, "drops.not_owner"), 1);
    close(a.fd);
    close(b.fd);
    close(c.fd);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    remove_dir(dir);
}

static void a_hold_ends_and_a_stop_writes(void **state)
{
    (void)state;
    char dir[64], file[96];
    make_dir(dir);
    snprintf(file, sizeof file, "%s/rooms.json", dir);
    struct spawn_proc relay;
    uint16_t port = start(&relay, file, 0, "1");
    struct player a = {.fd = harness_udp_socket(NULL)}, d = {.fd = harness_udp_socket(NULL)};
    join(&a, port, "den", "ann", "\"props\":{\"map\":\"arena\"}");
    keep(&a, "coin0", "gold");
    usleep(50 * 1000);
    /* a stop writes what a kill might not have yet */
    assert_int_equal(spawn_stop(&relay, SIGTERM, 5000), 0);
    spawn_free(&relay);
    char *text = harness_read_text(file);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"den\":{"));
    free(text);

    start(&relay, file, port, "1");
    usleep(1500 * 1000); /* nobody comes back within the hold */
    join(&d, port, "den", "dan", NULL);
    assert_string_equal(msg.owner, d.player); /* a new room, its own */
    assert_int_equal(msg.props.n, 0);
    drain(&d, 300, NULL);
    assert_string_equal(d.kept, "");
    close(a.fd);
    close(d.fd);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    text = harness_read_text(file);
    assert_non_null(text);
    assert_null(strstr(text, "\"map\":\"arena\""));
    free(text);
    remove_dir(dir);
}

static void a_bad_file_stops_the_start(void **state)
{
    (void)state;
    char dir[64], file[96];
    make_dir(dir);
    snprintf(file, sizeof file, "%s/rooms.json", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"v\":1,\"rooms\":{\"cave\":{\"v\":1}}}", f);
    fclose(f);
    struct spawn_proc relay;
    const char *args[] = {"--listen", "udp://127.0.0.1:0", "--room-file", file, NULL};
    assert_int_equal(harness_spawn(&relay, "ricochet-relay", args), 0);
    assert_int_equal(spawn_stop(&relay, 0, 10000), 1);
    char *err = spawn_read_stderr(&relay);
    assert_non_null(err);
    char want[160];
    snprintf(want, sizeof want, "ricochet-relay: error: --room-file %s: room 'cave': ", file);
    if (!strstr(err, want) || !strstr(err, "move it away to start without it"))
        fail_msg("stderr: %s", err);
    free(err);
    spawn_free(&relay);
    /* a fleet's rooms are its directory's to keep */
    const char *fleet[] = {"--listen", "udp://127.0.0.1:0", "--room-file", file,
                           "--directory", "redis://127.0.0.1:1", NULL};
    assert_int_equal(harness_spawn(&relay, "ricochet-relay", fleet), 0);
    assert_int_equal(spawn_stop(&relay, 0, 10000), 2);
    err = spawn_read_stderr(&relay);
    assert_non_null(strstr(err, "--room-file keeps one relay's rooms: not with --directory"));
    free(err);
    spawn_free(&relay);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_room_outlives_a_kill),
        cmocka_unit_test(a_hold_ends_and_a_stop_writes),
        cmocka_unit_test(a_bad_file_stops_the_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
