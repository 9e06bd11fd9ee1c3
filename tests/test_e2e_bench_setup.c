/* test_e2e_bench_setup.c: ricochet-bench's setup against the real relay when a
 * client cannot get in at first: its connect made again within the setup and
 * counted, and a setup that cannot succeed ended at once, saying why. */
/* Ricochet-bench's setup against the real relay on
 * 127.0.0.1 (--relay), when a client cannot get in at first. A forwarder on
 * the path (support/onpath.h) drops the first ENet handshake the generator
 * starts (its CONNECT and every resend) and ends it with a DISCONNECT of
 * its own, as a relay that closed a half-open handshake would: that client
 * ends "could not connect to the relay (refused)", on shared ENet hosts
 * (--enet-hosts) as a fleet's clients are, and a new one is made in its
 * place; the run sets up within its --setup-timeout, every state is
 * delivered, the failed connect is no disconnect, and the JSON counts the
 * connect made again (connect_retries). The same handshake swallowed with
 * nothing said back (clients on the bench's default wire hubs) fails at
 * the connect's own limit, a third of --setup-timeout, and is made again
 * within the setup, also when every client's first connect was lost
 * together. A relay that refuses a join by name (server_full:
 * --max-clients) still ends the setup at once, saying so, with no connect
 * made again; and --relay where nothing answers ends it once every client's
 * connect failed twice (the first and the one made again), saying where it
 * looked and what to start there, whole. That limit of a connect's own
 * is ENet's handshake's: every other lane's connect (WebRTC, QUIC, a
 * stream, polls) has the whole setup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench/run_internal.h"
#include "lab/harness/freeport.h"
#include "lab/harness/lanes.h"
#include "lab/harness/spawn.h"
#include "proto/enet/enet_speak.h"
#include "proto/enet/enet_wire.h"
#include "sys/clock.h"
#include "tests/support/bench_json.h"
#include "tests/support/harness.h"
#include "tests/support/onpath.h"

#define FIRST_CONNECT_MS 30000 /* the bench's first CONNECT, on a busy machine */

#define LOST_MAX 4 /* first handshakes the path drops, at most */

/* The first handshakes the path saw (lost of them): their connect ids
 * (ENet resends one unchanged), and the peer id the first one's client
 * took, which a DISCONNECT to that client names. The filter writes them
 * once each, and sets seen after the first. */
struct first_connect {
    uint32_t connect_id[LOST_MAX];
    size_t lost, n;
    unsigned peer_id;
    atomic_bool seen;
};

/* onpath's filter (its thread): every CONNECT of the first f->lost
 * handshakes upwards is dropped, all else passes. */
static bool drop_first_handshake(void *ctx, enum onpath_way way, const uint8_t *d, size_t len)
{
    struct first_connect *f = ctx;
    struct enet_wire_header h;
    struct enet_wire_command c;
    if (way != ONPATH_UP || enet_wire_header(d, len, 0, &h) != 0)
        return true;
    for (size_t off = h.size, at = off; enet_wire_next(d, len, &off, &c) == 1; at = off) {
        if (c.command != ENET_PROTOCOL_COMMAND_CONNECT)
            continue;
        for (size_t k = 0; k < f->n; k++)
            if (c.connect_id == f->connect_id[k])
                return false;
        if (f->n == f->lost)
            continue;
        f->connect_id[f->n++] = c.connect_id;
        if (!atomic_load(&f->seen)) {
            f->peer_id = (unsigned)d[at + 4] << 8 | d[at + 5]; /* its outgoingPeerID */
            atomic_store(&f->seen, true);
        }
        return false;
    }
    return true;
}

/* The handshake's end, from the relay's address: a DISCONNECT to the
 * connecting peer (ENet takes it whatever the session bits until the
 * handshake is done), data 0, no error named. */
static void end_first_handshake(struct onpath *op, const struct first_connect *f)
{
    uint8_t d[ENET_SPEAK_HEADER_MAX + ENET_SPEAK_DISCONNECT_SIZE];
    size_t n = enet_speak_header(d, f->peer_id, 0, true, 0);
    n += enet_speak_disconnect(d + n, sizeof d - n, 1, 0);
    onpath_to_client(op, d, n);
}

/* clients of the bench (its setup --setup-timeout setup, shared ENet
 * hosts if enet_hosts) through a forwarder that drops the first lost
 * handshakes they start; told: a DISCONNECT ends the first once seen, else
 * nothing is said back. The run must set up with the connects made again,
 * every state delivered and no client disconnected. */
static void first_handshake_lost(const char *clients, size_t lost, const char *setup,
                                 bool enet_hosts, bool told)
{
    struct spawn_proc relay, bench;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    struct onpath *op = onpath_start((uint16_t)port);
    static struct first_connect first;
    first = (struct first_connect){.lost = lost};
    onpath_filter(op, drop_first_handshake, &first);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)op->port);
    const char *args[] = {"--relay", addr, "--clients", clients, "--rate", "20", "--modes",
                          "reliable", "--duration", "1", "--warmup", "0.5", "--grace", "2",
                          "--setup-timeout", setup, "--json-file", "-", "--quiet",
                          enet_hosts ? "--enet-hosts" : NULL, NULL};
    assert_int_equal(harness_spawn(&bench, "ricochet-bench", args), 0);
    for (uint64_t until = clock_now_ms() + FIRST_CONNECT_MS;
         told && !atomic_load(&first.seen) && spawn_running(&bench) && clock_now_ms() < until;)
        clock_sleep_ms(10);
    if (told) {
        assert_true(atomic_load(&first.seen));
        end_first_handshake(op, &first);
    }
    const cJSON *r = bj_mode(bj_finish(&bench, 0), "reliable");
    print_message("first %zu handshakes %s on the path: %.0f connects made again, %.0f of "
                  "%.0f delivered\n", lost, told ? "ended" : "swallowed",
                  bj_num(r, "connect_retries"), bj_num(r, "delivered"), bj_num(r, "expected"));
    assert_true(atomic_load(&first.seen));
    assert_true(bj_flag(r, "ok", NULL));
    assert_true(bj_num(r, "connect_retries") >= (double)lost);
    assert_true(bj_num(r, "disconnects") == 0);
    assert_true(bj_num(r, "expected") > 0);
    assert_true(bj_num(r, "delivered") == bj_num(r, "expected"));
    onpath_stop(op);
    harness_stop(&relay);
}

static void a_refused_connect_is_made_again(void **state)
{
    (void)state;
    first_handshake_lost("4", 1, "60", true, true);
}

/* The first handshake swallowed on the path, every resend of its CONNECT
 * too, and nothing said back: no DISCONNECT, no ICMP. That connect fails
 * only by its own limit, which must leave the setup time to make a new
 * client (the bench gives each connect a third of --setup-timeout, at most
 * 10 s): the run sets up, and counts the connect made again. The clients
 * speak ENet's wire from one shared socket, as the bench's do by default. */
static void a_swallowed_connect_is_made_again(void **state)
{
    (void)state;
    first_handshake_lost("4", 1, "30", false, false);
}

/* Both clients' first handshakes swallowed on the path: every client of
 * the swarm failed to connect, together, once, which says nothing of the
 * address (a relay's half-open cap in a burst, a loaded machine lose
 * handshakes too): each is made again, and the run sets up. (A generator
 * process of --procs, which splits a run by room, may hold as few.) */
static void every_first_connect_lost_is_made_again(void **state)
{
    (void)state;
    first_handshake_lost("2", 2, "30", false, false);
}

/* The setup of 4 clients against addr (--setup-timeout 60), which must
 * fail with retries connects made again: its error (the bench's JSON's,
 * kept until the next run), printed after what. */
static const char *setup_fails(const char *addr, const char *what, double retries)
{
    struct spawn_proc bench;
    const char *args[] = {"--relay", addr, "--clients", "4", "--modes", "reliable",
                          "--duration", "1", "--setup-timeout", "60", "--json-file", "-",
                          "--quiet", NULL};
    assert_int_equal(harness_spawn(&bench, "ricochet-bench", args), 0);
    const cJSON *r = bj_mode(bj_finish(&bench, 1), "reliable");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(r, "error");
    assert_true(cJSON_IsString(error));
    print_message("%s: %s\n", what, error->valuestring);
    assert_false(bj_flag(r, "ok", NULL));
    print_message("%s: %.0f connects made again\n", what, bj_num(r, "connect_retries"));
    assert_true(bj_num(r, "connect_retries") == retries);
    return error->valuestring;
}

static void a_refusal_by_name_ends_the_setup(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *relay_args[] = {"--max-clients", "2", NULL};
    int port = harness_start_relay(&relay, relay_args);
    assert_true(port > 0);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    /* the relay's refusal, not the setup's timeout after tries again */
    assert_non_null(strstr(setup_fails(addr, "refused by name", 0), "server_full"));
    harness_stop(&relay);
}

/* --relay where nothing answers (a mistyped port): no client's first
 * connect gets in, nor the second of each made again; the setup ends
 * there, after two connects' limits (10 s each) with most of
 * --setup-timeout left, and says what happened whole: the address, that
 * nothing answered, and what to start there. */
static void an_address_nothing_answers_ends_the_setup(void **state)
{
    (void)state;
    char addr[32], err[256];
    uint16_t port;
    assert_int_equal(free_port(SOCK_DGRAM, &port, err, sizeof err), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
    const char *error = setup_fails(addr, "nothing answers", 4);
    assert_non_null(strstr(error, addr));
    assert_non_null(strstr(error, "clients could connect"));
    assert_non_null(strstr(error, "start ricochet-relay"));
    /* whole: the bench's own words after the library's */
    const char *tail = " (within 60000 ms)";
    size_t n = strlen(error);
    assert_true(n > strlen(tail));
    assert_string_equal(error + n - strlen(tail), tail);
}

/* Each connect's own limit, for a setup of 60 s, lane by lane: ENet's
 * handshake (the lanes of the relay's enet edge) has a third of it (10 s
 * at most), the limit its resends are sized for; every other lane's connect (WebRTC's
 * offer, ICE, DTLS and SCTP; QUIC's and WebTransport's handshakes; a TCP
 * stream's, a WebSocket's, a poll's) has the whole setup, as before there
 * was a limit: under netsim's loss it backs off in its own way, and may
 * need more than 5 or 10 s. */
static void only_enet_s_handshake_has_a_limit_of_its_own(void **state)
{
    (void)state;
    struct bench_mode m;
    const char *whole[] = {"webrtc-reliable", "quic", "quic-streams", "tcp", "ws", NULL};
    for (const char *const *name = whole; *name; name++) {
        assert_int_equal(bench_mode_parse(*name, &m), 0);
        const struct bench_lane *l = bench_lane_of(m);
        uint32_t ms = run_connect_try_ms(60000, l->mode.mode, l->transport);
        print_message("%s: each connect %u ms (0: the whole setup)\n", *name, ms);
        assert_int_equal(ms, 0);
    }
    size_t enet = 0, others = 0;
    for (int k = 0; k < BENCH_MODES; k++) {
        const struct bench_lane *l = bench_lane(k);
        if (!l)
            continue;
        bool handshake = strcmp(l->edge, "enet") == 0;
        uint32_t ms = run_connect_try_ms(60000, l->mode.mode, l->transport);
        assert_int_equal(ms, handshake ? 10000 : 0);
        enet += handshake;
        others += !handshake;
    }
    assert_int_equal(enet, 3);
    assert_true(others >= 10);
    /* the limit's bounds: 5 to 10 s, never over a setup shorter than that */
    assert_int_equal(run_connect_try_ms(3000, PROTO_MODE_RELIABLE, 0), 3000);
    assert_int_equal(run_connect_try_ms(9000, PROTO_MODE_RELIABLE, 0), 5000);
    assert_int_equal(run_connect_try_ms(90000, PROTO_MODE_RELIABLE, 0), 10000);
}

/* A failed assertion leaves a test at once: the forwarder's thread and the
 * last bench's JSON go here. */
static int teardown(void **state)
{
    onpath_stop_all(state);
    return bj_free(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_refused_connect_is_made_again),
        cmocka_unit_test(a_swallowed_connect_is_made_again),
        cmocka_unit_test(every_first_connect_lost_is_made_again),
        cmocka_unit_test(a_refusal_by_name_ends_the_setup),
        cmocka_unit_test(an_address_nothing_answers_ends_the_setup),
        cmocka_unit_test(only_enet_s_handshake_has_a_limit_of_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
