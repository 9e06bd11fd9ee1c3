/* test_e2e_lesson_door.c: the lesson's door cannot be shut by connections that
 * say nothing, and holds a class. */
/* ricochet-lesson in IP mode (its TCP
 * door needs it; skipped without namespaces). More TCP connections to the
 * door that never send a byte than the door holds programs; then the docs'
 * TCP player (examples/sockets/tcp_player.c) joins through the door at
 * once, and as many silent connections again while it plays never take its
 * place: a newcomer takes the place of the oldest silent connection, a
 * silent one is closed at the relay's join deadline, and one that has
 * spoken is no longer silent, even while the door's connection to the
 * relay for it is on its way: a player that sent its join while netsim
 * loses 99% of the path is still there past the join deadline, and joins
 * once the loss is taken back. A class: the door on a bridge's address
 * (--door-address, said on standard error), 30 machines (network
 * namespaces on the bridge, tests/support/nemesis.h) each run the docs' C
 * player, over UDP and over TCP in turn: live.json has 30 programs from 30
 * addresses, joined, each one's states carried by netsim and growing; one
 * machine's extra sockets get no more than 4 places; the lesson's CPU over
 * the class is printed (a figure, not a bound). One host's IPv6 /64 is one
 * address: programs proven to the door (its cookie echoed) from six
 * addresses of a /64 (a namespace of the test's own) get 4 places, one
 * from the next /64 a place of its own. Datagrams that never join do not
 * shut a class's door: one machine holding ten addresses of the bridge's
 * network sends 40 datagrams of 5 bytes, four from each, and again every
 * 250 ms; a student on an eleventh address is welcomed within the join
 * deadline (2 s), the docs' C player over UDP and then over TCP, and the
 * flood, which never echoed the door's cookie, holds no place; then the
 * machine's 80 sockets prove their addresses, round after round, and never
 * join: they fill the door but the students' places, and students are
 * welcomed within 2 s all the same (the time to each welcome is printed).
 * A forged datagram does not speak for a TCP
 * student: a raw socket on another machine sends the door a chat and a
 * leave with a joined TCP student's address and port; no chat from its id
 * reaches a member watching the room, its lane stays joined and it plays
 * to its end (the same against a UDP student is printed: what plain UDP
 * cannot prove). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/netlab.h"
#include "lab/harness/spawn.h"
#include "lab/lesson/live_door.h"
#include "lab/lesson/live_guests.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/nemesis.h"

#define SILENT (LIVE_GUESTS + 9) /* more than the door holds programs */
#define WAIT_MS 30000
#define CLASS 30         /* the students' machines */
#define CLASS_PLAY "40"  /* seconds each student's program plays */

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

/* The path's loss, as the page's control sets it. */
static void set_path_loss(const struct lesson *l, int pct)
{
    char body[48];
    struct http_response r;
    snprintf(body, sizeof body, "{\"path-loss\": %d}", pct);
    assert_int_equal(http_send(l->at, "PUT", "/model", body, 10000, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
}

/* A program that spoke at once, while the door's connection towards the
 * relay for it cannot get through (99% loss over the path): past the join
 * deadline it is still there, and joins once the network lets the
 * connection through. */
static void a_program_that_spoke_waits_for_the_relay(void **state)
{
    (void)state;
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    int port = door_tcp_port(&l);
    if (!port) {
        spawn_stop(&l.proc, SIGINT, 15000);
        spawn_free(&l.proc);
        skip();
    }
    char port_s[8], dir[512], err[256];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    const char *player_args[] = {"127.0.0.1", port_s, "2", NULL};
    struct spawn_proc player;
    set_path_loss(&l, 99);
    assert_int_equal(spawn_start(&player, dir, "tcp_player", player_args, err, sizeof err), 0);
    /* Its join sent, the door's SYN lost: past the join deadline (2 s), and
     * well before the SYN's second retransmission (3 s after the first), so
     * that a busy machine's late PUT still lets that one through (the
     * player waits 5 s for an answer). */
    clock_sleep_ms(2200);
    set_path_loss(&l, 0);
    int rc = spawn_stop(&player, 0, 20000);
    char *out = spawn_read_stdout(&player), *perr = spawn_read_stderr(&player);
    print_message("the player behind a lossy connect: %s%s\n", out ? out : "", perr ? perr : "");
    bool joined = out && strstr(out, "joined as");
    free(out);
    free(perr);
    spawn_free(&player);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    assert_true(joined);
    assert_int_equal(rc, 0);
}

/* Proves fd's endpoint to the door as a program of another machine must
 * before the door holds anything for it: a join, then the same join
 * echoing the cookie the door sent back (tries times at most). The door
 * passes that join on; the relay's own cookie, answering it, is left
 * unanswered, so the program is never welcomed. Returns whether the
 * door's cookie came. */
static bool door_proven(int fd, const struct sockaddr *door, socklen_t len, int tries)
{
    const char *join = "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\",\"name\":\"x\","
                       "\"pad\":\"xxxxxxxxxxxxxxxx\"";
    char out[256], in[256];
    for (int k = 0; k < tries; k++) {
        snprintf(out, sizeof out, "%s}", join);
        sendto(fd, out, strlen(out), 0, door, len);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n = poll(&p, 1, 300) == 1 ? recv(fd, in, sizeof in - 1, MSG_DONTWAIT) : -1;
        if (n <= 0)
            continue;
        in[n] = '\0';
        const char *c = strstr(in, "\"cookie\":\"");
        if (!strstr(in, "\"type\":\"cookie\"") || !c)
            continue;
        snprintf(out, sizeof out, "%s,\"cookie\":\"%.16s\"}", join, c + 10);
        return sendto(fd, out, strlen(out), 0, door, len) > 0;
    }
    return false;
}

/* live.json's programs that are not gone: those from host into *from_host,
 * and each one's states netsim carried up into fwd (CLASS + 8 at most, by
 * endpoint order in the array). Returns how many are joined. */
static int class_seen(const struct lesson *l, const char *host, int *from_host,
                      double *fwd, char (*endpoint)[48], int *n_live)
{
    cJSON *j = lesson_get_json(l, "/live.json");
    const cJSON *g;
    int joined = 0, n = 0;
    *from_host = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) {
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(g, "state"));
        const char *ep = cJSON_GetStringValue(cJSON_GetObjectItem(g, "endpoint"));
        if (!st || !ep || !strcmp(st, "gone") || n >= CLASS + 8)
            continue;
        *from_host += !strncmp(ep, host, strlen(host)) && ep[strlen(host)] == ':';
        joined += !strcmp(st, "joined");
        fwd[n] = cJSON_GetNumberValue(cJSON_GetObjectItem(g, "fwd_up"));
        snprintf(endpoint[n++], 48, "%s", ep);
    }
    cJSON_Delete(j);
    *n_live = n;
    return joined;
}

/* The door's port once the relay behind it is up (live.json): its UDP
 * edge's, or with tcp also its TCP edge's (the TCP door's number is the
 * UDP door's); the door's address into at. */
static int door_port_up(const struct lesson *l, bool tcp, char *at, size_t cap)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        cJSON *j = lesson_get_json(l, "/live.json");
        const cJSON *door = cJSON_GetObjectItem(j, "door");
        const char *udp = cJSON_GetStringValue(cJSON_GetObjectItem(door, "udp"));
        const char *tcp_at = cJSON_GetStringValue(cJSON_GetObjectItem(door, "tcp"));
        const char *relay = cJSON_GetStringValue(
            cJSON_GetObjectItem(door, tcp ? "relay_tcp" : "relay_udp"));
        bool up = udp && relay && relay[0] &&
                  (!tcp || (tcp_at && !strcmp(strrchr(udp, ':'), strrchr(tcp_at, ':'))));
        int port = up ? atoi(strrchr(udp, ':') + 1) : 0;
        if (port)
            snprintf(at, cap, "%s", udp);
        cJSON_Delete(j);
        if (port)
            return port;
        clock_sleep_ms(200);
    }
    fail_msg("the door never opened with its relay behind it");
    return 0;
}

/* The door's port on the class's network, at address. */
static int class_door_port(const struct lesson *l, const char *address)
{
    char at[80];
    int port = door_port_up(l, true, at, sizeof at);
    assert_true(!strncmp(at, address, strlen(address)));
    return port;
}

static void a_class_joins_through_a_door_on_its_network(void **state)
{
    (void)state;
    struct nemesis n;
    char why[256], err[256], dir[512], port_s[8];
    if (nemesis_open(&n, CLASS + 1, why, sizeof why) != 0) {
        print_message("skipped: %s\n", why);
        skip();
    }
    const char *address = nemesis_addr(&n, NEMESIS_HUB);
    const char *class_args[] = {"--port", "0", "--door-port", "0", "--door-address", address,
                                "--rate", "10", "--duration", "5", NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", class_args);
    char *said = spawn_read_stderr(&l.proc);
    assert_non_null(said);
    assert_non_null(strstr(said, "warning: the door is open to other machines"));
    free(said);
    int port = class_door_port(&l, address);
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    struct spawn_proc players[CLASS];
    const char *player_args[] = {address, port_s, CLASS_PLAY, NULL};
    for (int i = 0; i < CLASS; i++) /* every machine at once, over UDP and TCP in turn */
        assert_int_equal(spawn_start_in(&players[i], n.ns[i + 1], dir,
                                        i % 2 ? "tcp_player" : "udp_player", player_args, err,
                                        sizeof err), 0);
    /* one machine's extra programs: its sockets, each proven to the door, never joining */
    int extra[LIVE_GUESTS_PER_ADDRESS + 2];
    struct sockaddr_in door = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, address, &door.sin_addr);
    nemesis_enter(&n, 2);
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
        extra[k] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(extra[k] >= 0);
    }
    nemesis_enter(&n, NEMESIS_HUB);
    double fwd[CLASS + 8], fwd2[CLASS + 8];
    char ep[CLASS + 8][48], ep2[CLASS + 8][48];
    int from_host = 0, live = 0, live2 = 0, joined = 0;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while ((joined = class_seen(&l, "", &from_host, fwd, ep, &live)) < CLASS &&
           clock_now_ms() < deadline)
        clock_sleep_ms(500);
    print_message("%d programs of %d machines joined through the door on %s:%d\n", joined,
                  CLASS, address, port);
    if (joined < CLASS) { /* what the others are, in the lesson's words */
        cJSON *j = lesson_get_json(&l, "/live.json");
        const cJSON *g;
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) {
            const char *keys[] = {"proto", "state", "endpoint", "end", "error_code"};
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                print_message("%s ", cJSON_GetStringValue(cJSON_GetObjectItem(g, keys[k])));
            print_message("\n");
        }
        cJSON_Delete(j);
    }
    assert_int_equal(joined, CLASS);
    assert_int_equal(live, CLASS);
    /* the class plays: the lesson's CPU over ten seconds of it */
    struct spawn_usage u0, u1;
    assert_int_equal(spawn_usage(&l.proc, &u0), 0);
    uint64_t t0 = clock_now_ms();
    clock_sleep_ms(10000);
    assert_int_equal(spawn_usage(&l.proc, &u1), 0);
    double window_s = (double)(clock_now_ms() - t0) / 1000;
    class_seen(&l, "", &from_host, fwd2, ep2, &live2);
    print_message("the lesson's CPU with %d programs: %.1f%% of a core over %.1f s "
                  "(%s's build)\n", CLASS, 100 * (u1.cpu_s - u0.cpu_s) / window_s, window_s,
                  harness_bin_dir());
    assert_int_equal(live2, CLASS);
    int still = 0;
    for (int i = 0; i < CLASS; i++) { /* every program's states carried, and still coming */
        assert_string_equal(ep[i], ep2[i]);
        if (fwd2[i] <= fwd[i])
            print_message("%s: netsim carried %.0f of its states, none in ten seconds\n", ep[i],
                          fwd2[i]);
        still += fwd2[i] <= fwd[i];
    }
    assert_int_equal(still, 0);
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) /* each its own program */
        assert_true(door_proven(extra[k], (struct sockaddr *)&door, sizeof door, 5));
    clock_sleep_ms(1000);
    class_seen(&l, nemesis_addr(&n, 2), &from_host, fwd2, ep2, &live2);
    print_message("one machine's player and %zu more sockets: %d places\n",
                  sizeof extra / sizeof extra[0], from_host);
    assert_int_equal(from_host, LIVE_GUESTS_PER_ADDRESS);
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
        close(extra[k]);
    int failed = 0;
    for (int i = 0; i < CLASS; i++) {
        if (spawn_stop(&players[i], 0, 60000) != 0) { /* each played to its end */
            char *perr = spawn_read_stderr(&players[i]);
            print_message("machine %d's player failed: %s\n", i + 1, perr ? perr : "");
            free(perr);
            failed++;
        }
        spawn_free(&players[i]);
    }
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    nemesis_close(&n);
    assert_int_equal(failed, 0);
}

/* The programs live.json holds from addresses beginning with prefix (an
 * endpoint "PREFIX...:port"), over proto ("udp", "tcp"; NULL: either), not
 * gone: how many, and how many joined. */
static int held_from(const struct lesson *l, const char *prefix, const char *proto,
                     int *joined)
{
    cJSON *j = lesson_get_json(l, "/live.json");
    const cJSON *g;
    int n = 0;
    *joined = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) {
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(g, "state"));
        const char *ep = cJSON_GetStringValue(cJSON_GetObjectItem(g, "endpoint"));
        const char *pr = cJSON_GetStringValue(cJSON_GetObjectItem(g, "proto"));
        if (!st || !ep || !strcmp(st, "gone") || strncmp(ep, prefix, strlen(prefix)) ||
            (proto && (!pr || strcmp(pr, proto))))
            continue;
        n++;
        *joined += !strcmp(st, "joined");
    }
    cJSON_Delete(j);
    return n;
}

#define FORGED 10       /* addresses one machine holds on the class's network */
#define FORGED_BASE 100 /* ... 198.19.0.100 to .109 */
#define FORGED_SOCKETS (2 * LIVE_GUESTS_PER_ADDRESS) /* ... the sockets on each */

/* One machine's sockets, FORGED_SOCKETS on each of its FORGED addresses,
 * sending the door what never joins. */
struct flood {
    int fds[FORGED * FORGED_SOCKETS];
    uint64_t echoed_ms[FORGED * FORGED_SOCKETS]; /* when each last echoed a cookie */
    struct sockaddr_in door;
    bool proven;  /* each proves its address to the door (else: 5 bytes, no more) */
};

#define FLOOD_JOIN "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\",\"name\":\"x\"," \
                   "\"pad\":\"xxxxxxxxxxxxxxxx\""

/* A round of the flood. Not proven: LIVE_GUESTS_PER_ADDRESS sockets of
 * each address send 5 bytes (which the relay answers with nothing).
 * Proven: every socket sends a join, and echoes the cookie that comes back
 * only if it echoed none for 2.5 s: the door's, its place (if it had one)
 * gone at the join deadline; the relay's own it never echoes, so none is
 * welcomed. */
static void flood_round(struct flood *f)
{
    const struct sockaddr *to = (const struct sockaddr *)&f->door;
    for (int i = 0; i < FORGED * FORGED_SOCKETS; i++) {
        if (!f->proven && i % FORGED_SOCKETS < LIVE_GUESTS_PER_ADDRESS)
            sendto(f->fds[i], "hello", 5, 0, to, sizeof f->door);
        else if (f->proven)
            sendto(f->fds[i], FLOOD_JOIN "}", strlen(FLOOD_JOIN "}"), 0, to, sizeof f->door);
    }
    for (uint64_t end = clock_now_ms() + 60; f->proven && clock_now_ms() < end;) {
        clock_sleep_ms(5);
        for (int i = 0; i < FORGED * FORGED_SOCKETS; i++) {
            char in[256], out[256];
            ssize_t n = recv(f->fds[i], in, sizeof in - 1, MSG_DONTWAIT);
            if (n <= 0)
                continue;
            in[n] = '\0';
            const char *c = strstr(in, "\"cookie\":\"");
            if (!c || !strstr(in, "\"type\":\"cookie\"") ||
                clock_now_ms() - f->echoed_ms[i] < 2500)
                continue;
            snprintf(out, sizeof out, FLOOD_JOIN ",\"cookie\":\"%.16s\"}", c + 10);
            sendto(f->fds[i], out, strlen(out), 0, to, sizeof f->door);
            f->echoed_ms[i] = clock_now_ms();
        }
    }
}

/* A student's player (prog) from node 2 while the flood goes on, a round
 * every 250 ms: the ms until live.json has it joined (-1: not within
 * WAIT_MS); the most places the flood held into *most_held. */
static long welcomed_among_the_flood(const struct lesson *l, const struct nemesis *n,
                                     const char *prog, const char *proto, struct flood *f,
                                     int *most_held)
{
    char dir[512], err[256], port_s[8], prefix[24];
    snprintf(port_s, sizeof port_s, "%d", ntohs(f->door.sin_port));
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    snprintf(prefix, sizeof prefix, "%s:", nemesis_addr(n, 2));
    const char *player_args[] = {nemesis_addr(n, NEMESIS_HUB), port_s, "3", NULL};
    struct spawn_proc p;
    uint64_t t0 = clock_now_ms(), next_flood = t0;
    assert_int_equal(spawn_start_in(&p, n->ns[2], dir, prog, player_args, err, sizeof err), 0);
    long took = -1;
    while (took < 0 && clock_now_ms() - t0 < WAIT_MS) {
        int joined = 0, held;
        if (clock_now_ms() >= next_flood) {
            flood_round(f);
            next_flood += 250;
        }
        if (held_from(l, prefix, proto, &joined) && joined)
            took = (long)(clock_now_ms() - t0);
        held = held_from(l, "198.19.0.1", NULL, &joined); /* .100 to .109 (the door: .1:) */
        if (held > *most_held)
            *most_held = held;
        clock_sleep_ms(20);
    }
    spawn_stop(&p, SIGTERM, 5000);
    spawn_free(&p);
    return took;
}

/* One machine of the class holds ten addresses of its network (as any
 * machine can: the addresses are its to take) and sends the door 40
 * datagrams of 5 bytes, four from each, again every 250 ms: programs that
 * never join. Students on an eleventh address, the docs' C players over
 * UDP and then TCP, are each welcomed within the relay's join deadline
 * (2 s), and the flood holds no place. Then the same machine's 80 sockets
 * each prove their address to the door and never join, round after round:
 * they fill the door, and students are welcomed within 2 s all the same,
 * each taking the place of the oldest not joined. */
static void datagrams_that_never_join_do_not_shut_a_class_door(void **state)
{
    (void)state;
    struct nemesis n;
    char why[256];
    if (nemesis_open(&n, 3, why, sizeof why) != 0) {
        print_message("skipped: %s\n", why);
        skip();
    }
    const char *address = nemesis_addr(&n, NEMESIS_HUB);
    const char *class_args[] = {"--port", "0", "--door-port", "0", "--door-address", address,
                                "--rate", "10", "--duration", "5", NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", class_args);
    static struct flood f;
    memset(&f, 0, sizeof f);
    f.door = (struct sockaddr_in){.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)class_door_port(&l, address))};
    inet_pton(AF_INET, address, &f.door.sin_addr);
    nemesis_enter(&n, 1);
    for (int a = 0; a < FORGED; a++) {
        char cmd[96], host[24];
        snprintf(host, sizeof host, "198.19.0.%d", FORGED_BASE + a);
        snprintf(cmd, sizeof cmd, "ip addr add %s/24 dev eth0", host);
        assert_int_equal(system(cmd), 0); /* in node 1: the thread's namespace */
        for (int k = 0; k < FORGED_SOCKETS; k++) {
            struct sockaddr_in at = {.sin_family = AF_INET};
            inet_pton(AF_INET, host, &at.sin_addr);
            int *fd = &f.fds[a * FORGED_SOCKETS + k];
            *fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            assert_true(*fd >= 0);
            assert_int_equal(bind(*fd, (struct sockaddr *)&at, sizeof at), 0);
        }
    }
    nemesis_enter(&n, NEMESIS_HUB);
    flood_round(&f);
    clock_sleep_ms(1000); /* the door has taken what it takes of them */
    int joined = 0, most = held_from(&l, "198.19.0.1", NULL, &joined);
    print_message("%d datagrams of 5 bytes from %d addresses: %d places\n",
                  FORGED * LIVE_GUESTS_PER_ADDRESS, FORGED, most);
    long udp = welcomed_among_the_flood(&l, &n, "udp_player", "udp", &f, &most);
    long tcp = welcomed_among_the_flood(&l, &n, "tcp_player", "tcp", &f, &most);
    print_message("a student on an eleventh address, the flood every 250 ms: welcomed over "
                  "UDP in %ld ms, over TCP in %ld ms; the flood held %d places at most\n", udp,
                  tcp, most);
    f.proven = true; /* the same machine's sockets, each proving its address */
    int most_proven = 0;
    for (int k = 0; k < 4; k++) { /* the door full of them */
        flood_round(&f);
        clock_sleep_ms(190);
    }
    int full = held_from(&l, "198.19.0.1", NULL, &joined);
    long udp2 = welcomed_among_the_flood(&l, &n, "udp_player", "udp", &f, &most_proven);
    long tcp2 = welcomed_among_the_flood(&l, &n, "tcp_player", "tcp", &f, &most_proven);
    print_message("%d sockets on %d addresses proving theirs, never joining: %d places, %d at "
                  "most; a student welcomed over UDP in %ld ms, over TCP in %ld ms\n",
                  FORGED * FORGED_SOCKETS, FORGED, full, most_proven, udp2, tcp2);
    for (int i = 0; i < FORGED * FORGED_SOCKETS; i++)
        close(f.fds[i]);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    nemesis_close(&n);
    assert_true(udp >= 0 && udp < 2000);
    assert_true(tcp >= 0 && tcp < 2000);
    assert_int_equal(most, 0); /* none echoed the door's cookie: the door held nothing */
    assert_int_equal(joined, 0); /* the proven ones: none welcomed */
    assert_true(most_proven >= LIVE_GUESTS - 2); /* the door full but the students' */
    assert_true(udp2 >= 0 && udp2 < 2000);
    assert_true(tcp2 >= 0 && tcp2 < 2000);
}

/* A member of room lobby of the test's own, through the door: it reads
 * the chats the relay sends the room. */
struct watcher {
    int fd;
    struct sockaddr_in door;
    unsigned id;
    uint64_t next_ping_ms;
    unsigned chats[16];  /* the ids chats came from, in order */
    char texts[16][32];
    int n_chats;
};

static void watcher_send(struct watcher *w, const char *json)
{
    sendto(w->fd, json, strlen(json), 0, (struct sockaddr *)&w->door, sizeof w->door);
}

/* What came, read; a ping each 500 ms once joined. */
static void watcher_step(struct watcher *w)
{
    char in[1500];
    ssize_t n;
    while ((n = recv(w->fd, in, sizeof in - 1, MSG_DONTWAIT)) > 0) {
        in[n] = '\0';
        cJSON *o = in[0] == '{' ? cJSON_Parse(in) : NULL;
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));
        const char *cookie = cJSON_GetStringValue(cJSON_GetObjectItem(o, "cookie"));
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(o, "text"));
        const cJSON *id = cJSON_GetObjectItem(o, "id");
        if (type && !strcmp(type, "cookie") && cookie) { /* the door's, then the relay's */
            char join[256];
            snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\","
                     "\"name\":\"watcher\",\"pad\":\"xxxxxxxxxxxxxxxx\",\"cookie\":\"%.16s\"}",
                     cookie);
            watcher_send(w, join);
        } else if (type && !strcmp(type, "welcome") && cJSON_IsNumber(id)) {
            w->id = (unsigned)id->valuedouble;
        } else if (type && !strcmp(type, "chat") && cJSON_IsNumber(id) && w->n_chats < 16) {
            snprintf(w->texts[w->n_chats], sizeof w->texts[0], "%s", text ? text : "");
            w->chats[w->n_chats++] = (unsigned)id->valuedouble;
        }
        cJSON_Delete(o);
    }
    if (w->id && clock_now_ms() >= w->next_ping_ms) {
        watcher_send(w, "{\"type\":\"ping\",\"t\":1,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxx\"}");
        w->next_ping_ms = clock_now_ms() + 500;
    }
}

/* Keeps the watcher going for ms. */
static void watch_for(struct watcher *w, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < end) {
        watcher_step(w);
        clock_sleep_ms(20);
    }
}

/* Did a chat with text come from id? */
static bool chatted(const struct watcher *w, unsigned id, const char *text)
{
    for (int i = 0; i < w->n_chats; i++)
        if (w->chats[i] == id && !strcmp(w->texts[i], text))
            return true;
    return false;
}

/* A program from host over proto in live.json: its endpoint's port, id and
 * state (the last one listed, gone or not); 0 if none. */
static int program_of(const struct lesson *l, const char *host, const char *proto,
                      unsigned *id, char *st, size_t st_cap)
{
    cJSON *j = lesson_get_json(l, "/live.json");
    const cJSON *g;
    int port = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) {
        const char *ep = cJSON_GetStringValue(cJSON_GetObjectItem(g, "endpoint"));
        const char *pr = cJSON_GetStringValue(cJSON_GetObjectItem(g, "proto"));
        const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(g, "state"));
        if (!ep || !pr || !state || strcmp(pr, proto) || strncmp(ep, host, strlen(host)) ||
            ep[strlen(host)] != ':')
            continue;
        port = atoi(ep + strlen(host) + 1);
        *id = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(g, "id"));
        snprintf(st, st_cap, "%s", state);
    }
    cJSON_Delete(j);
    return port;
}

/* One datagram from a raw socket: payload as from from_host:from_port to
 * to (the UDP checksum left out, as IPv4 allows; the kernel fills the IP
 * header's length and checksum). */
static void forge(int raw, const char *from_host, int from_port, const struct sockaddr_in *to,
                  const char *payload)
{
    unsigned char pkt[512] = {0};
    size_t n = strlen(payload);
    struct iphdr *ip = (struct iphdr *)pkt;
    struct udphdr *udp = (struct udphdr *)(pkt + sizeof *ip);
    ip->version = 4;
    ip->ihl = 5;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    inet_pton(AF_INET, from_host, &ip->saddr);
    ip->daddr = to->sin_addr.s_addr;
    udp->source = htons((uint16_t)from_port);
    udp->dest = to->sin_port;
    udp->len = htons((uint16_t)(sizeof *udp + n));
    memcpy(pkt + sizeof *ip + sizeof *udp, payload, n);
    size_t len = sizeof *ip + sizeof *udp + n;
    ip->tot_len = htons((uint16_t)len);
    assert_int_equal(sendto(raw, pkt, len, 0, (const struct sockaddr *)to, sizeof *to),
                     (ssize_t)len);
}

#define FORGED_CHAT "{\"type\":\"chat\",\"text\":\"forged\"}"
#define FORGED_LEAVE "{\"type\":\"leave\"}"

/* Another machine on the class's network forges datagrams with a joined
 * student's address and port (a raw socket in node 1, the student's
 * programs in node 2): a chat, then a leave. Against the student's TCP
 * program they do nothing: the door holds no UDP program for that
 * endpoint, and the forgery is no join echoing its cookie, so nothing
 * reaches the relay; no chat comes from its id to a member watching the
 * room, its lane stays joined and it plays to its end. Against its
 * plain-UDP program the same two datagrams are printed, not asserted:
 * what plain UDP cannot prove (docs/sockets.md, a class). */
static void forged_datagrams_do_not_speak_for_a_tcp_student(void **state)
{
    (void)state;
    struct nemesis n;
    char why[256], err[256], dir[512], port_s[8], st[16];
    if (nemesis_open(&n, 3, why, sizeof why) != 0) {
        print_message("skipped: %s\n", why);
        skip();
    }
    const char *address = nemesis_addr(&n, NEMESIS_HUB), *student = nemesis_addr(&n, 2);
    const char *class_args[] = {"--port", "0", "--door-port", "0", "--door-address", address,
                                "--rate", "10", "--duration", "5", NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", class_args);
    struct watcher w = {.door = {.sin_family = AF_INET}};
    int port = class_door_port(&l, address);
    w.door.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, address, &w.door.sin_addr);
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    const char *player_args[] = {address, port_s, "10", NULL};
    struct spawn_proc tcp_p, udp_p;
    assert_int_equal(spawn_start_in(&tcp_p, n.ns[2], dir, "tcp_player", player_args, err,
                                    sizeof err), 0);
    assert_int_equal(spawn_start_in(&udp_p, n.ns[2], dir, "udp_player", player_args, err,
                                    sizeof err), 0);
    w.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* the hub's: 198.19.0.1 */
    assert_true(w.fd >= 0);
    unsigned tcp_id = 0, udp_id = 0;
    int tcp_port = 0, udp_port = 0;
    uint64_t deadline = clock_now_ms() + WAIT_MS, next_join = 0;
    while ((!w.id || !tcp_id || !udp_id) && clock_now_ms() < deadline) {
        if (!w.id && clock_now_ms() >= next_join) { /* again each second until welcomed */
            watcher_send(&w, "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\",\"name\":"
                             "\"watcher\",\"pad\":\"xxxxxxxxxxxxxxxx\"}");
            next_join = clock_now_ms() + 1000;
        }
        watch_for(&w, 200);
        tcp_port = program_of(&l, student, "tcp", &tcp_id, st, sizeof st);
        tcp_id = strcmp(st, "joined") ? 0 : tcp_id;
        udp_port = program_of(&l, student, "udp", &udp_id, st, sizeof st);
        udp_id = strcmp(st, "joined") ? 0 : udp_id;
    }
    assert_true(w.id && tcp_id && udp_id);
    int raw;
    nemesis_enter(&n, 1); /* the forger's machine */
    raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    nemesis_enter(&n, NEMESIS_HUB);
    assert_true(raw >= 0);
    /* the TCP student's address and port: a chat, then a leave */
    forge(raw, student, tcp_port, &w.door, FORGED_CHAT);
    watch_for(&w, 500);
    forge(raw, student, tcp_port, &w.door, FORGED_LEAVE);
    watch_for(&w, 1500);
    bool tcp_spoke = chatted(&w, tcp_id, "forged");
    unsigned id_after = 0;
    program_of(&l, student, "tcp", &id_after, st, sizeof st);
    bool tcp_still = !strcmp(st, "joined") && id_after == tcp_id;
    char tcp_state[16];
    snprintf(tcp_state, sizeof tcp_state, "%s", st);
    /* the same against the UDP student's: what plain UDP cannot prove */
    forge(raw, student, udp_port, &w.door, FORGED_CHAT);
    watch_for(&w, 500);
    forge(raw, student, udp_port, &w.door, FORGED_LEAVE);
    watch_for(&w, 1500);
    bool udp_spoke = chatted(&w, udp_id, "forged");
    program_of(&l, student, "udp", &id_after, st, sizeof st);
    print_message("forged from node 1 as the TCP student %s:%d: its chat %s, its lane %s; as "
                  "the UDP student %s:%d: its chat %s, its lane %s\n", student, tcp_port,
                  tcp_spoke ? "SPOKE" : "reached no one", tcp_state, student, udp_port,
                  udp_spoke ? "spoke" : "reached no one", st);
    close(raw);
    int tcp_rc = spawn_stop(&tcp_p, 0, 30000);
    spawn_stop(&udp_p, SIGTERM, 5000);
    spawn_free(&tcp_p);
    spawn_free(&udp_p);
    close(w.fd);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    nemesis_close(&n);
    assert_false(tcp_spoke);
    assert_true(tcp_still);
    assert_int_equal(tcp_rc, 0); /* it played to its end */
}

/* Programs not gone whose endpoint begins with prefix ("[fd69::"). */
static int guests_from(const struct lesson *l, const char *prefix)
{
    cJSON *j = lesson_get_json(l, "/live.json");
    const cJSON *g;
    int n = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "guests")) {
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(g, "state"));
        const char *ep = cJSON_GetStringValue(cJSON_GetObjectItem(g, "endpoint"));
        n += st && ep && strcmp(st, "gone") && !strncmp(ep, prefix, strlen(prefix));
    }
    cJSON_Delete(j);
    return n;
}

#define V6_HOST 6 /* addresses of one /64, each a socket of its own */

/* One host holds a whole IPv6 /64: its addresses count as one address.
 * In a namespace of the test's own, the door on fd69::1 (a /64 on
 * loopback's device, not loopback's address); a program proven to the
 * door from each of V6_HOST addresses of fd69::/64 gets
 * LIVE_GUESTS_PER_ADDRESS places, and one from the next /64 still gets
 * its own. */
static void one_v6_64_is_one_address(void **state)
{
    (void)state;
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns = netlab_new_ns();
    if (home < 0 || ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
        print_message("skipped: no network namespace here: %s\n", strerror(errno));
        skip();
    }
    char cmd[512];
    size_t n = (size_t)snprintf(cmd, sizeof cmd, "ip -6 addr add fd69::1/64 dev lo nodad &&"
                                " ip -6 addr add fd69:0:0:1::2/128 dev lo nodad");
    for (int i = 0; i < V6_HOST; i++)
        n += (size_t)snprintf(cmd + n, sizeof cmd - n,
                              " && ip -6 addr add fd69::%d/128 dev lo nodad", i + 2);
    assert_int_equal(system(cmd), 0); /* in the test's namespace: the thread's */
    const char *v6_args[] = {"--port", "0", "--door-port", "0", "--door-address", "fd69::1",
                             "--rate", "10", "--duration", "5", NULL};
    struct lesson l;
    char at[80];
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", v6_args);
    struct sockaddr_in6 door = {.sin6_family = AF_INET6,
                                .sin6_port = htons((uint16_t)door_port_up(&l, false, at,
                                                                          sizeof at))};
    inet_pton(AF_INET6, "fd69::1", &door.sin6_addr);
    int fds[V6_HOST + 1];
    for (int i = 0; i <= V6_HOST; i++) { /* the last: the next /64's */
        char from[32];
        snprintf(from, sizeof from, i < V6_HOST ? "fd69::%d" : "fd69:0:0:1::2", i + 2);
        struct sockaddr_in6 a = {.sin6_family = AF_INET6};
        inet_pton(AF_INET6, from, &a.sin6_addr);
        fds[i] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(fds[i], (struct sockaddr *)&a, sizeof a), 0);
        assert_true(door_proven(fds[i], (struct sockaddr *)&door, sizeof door, 5));
    }
    int one = 0, next = 0;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (next < 1 && clock_now_ms() < deadline) { /* the last came: the others before it */
        clock_sleep_ms(200);
        next = guests_from(&l, "[fd69:0:0:1::");
    }
    clock_sleep_ms(500);
    one = guests_from(&l, "[fd69::");
    print_message("%d addresses of one /64: %d places; the next /64: %d\n", V6_HOST, one, next);
    for (int i = 0; i <= V6_HOST; i++)
        close(fds[i]);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
    assert_int_equal(setns(home, CLONE_NEWNET), 0);
    close(home);
    close(ns);
    assert_int_equal(one, LIVE_GUESTS_PER_ADDRESS);
    assert_int_equal(next, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silent_connections_do_not_shut_the_door),
        cmocka_unit_test(a_program_that_spoke_waits_for_the_relay),
        cmocka_unit_test(a_class_joins_through_a_door_on_its_network),
        cmocka_unit_test(one_v6_64_is_one_address),
        cmocka_unit_test(datagrams_that_never_join_do_not_shut_a_class_door),
        cmocka_unit_test(forged_datagrams_do_not_speak_for_a_tcp_student),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
