/* test_e2e_edges.c: ricochet-relay with two edges at once (--listen
 * enet://... --listen udp://...) and the client library over 127.0.0.1:
 * one room of ENet and plain-UDP members, states both ways stamped with
 * the same sender id (an ENet member sees a plain-UDP member's as
 * unsequenced), control messages across edges, the tick and batches (the
 * library asks for them), counters per edge; tickets and --encrypt on
 * both edges; limits per member whatever its edge; interest across edges;
 * in a fleet (a real redis-server) of two such relays, a member of either
 * edge moved to the other relay's edge of its kind; --listen's mistakes,
 * each one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client/lib/client.h"
#include "proto/ticket.h"
#include "sys/clock.h"
#include "sys/keyfile.h"
#include "tests/support/harness.h"
#include "tests/support/redis.h"

#define WAIT_MS 15000
#define TWO_EDGES "--listen", "enet://127.0.0.1:0", "--listen", "udp://127.0.0.1:0"

static char dir[] = "/tmp/test_e2e_edges.XXXXXX";
static char key_path[256];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir) || ticket_crypto_init() != 0)
        return -1;
    snprintf(key_path, sizeof key_path, "%s/backend.key", dir);
    char err[256];
    return keyfile_generate(key_path, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A relay on two edges: its ENet and plain-UDP ports. */
struct two {
    struct spawn_proc relay;
    uint16_t enet, udp;
};

static void two_start(struct two *t, const char *const *more)
{
    const char *args[32] = {TWO_EDGES};
    size_t n = 4;
    for (size_t i = 0; more && more[i] && n < 31; i++)
        args[n++] = more[i];
    args[n] = NULL;
    int first = harness_start_relay(&t->relay, args);
    assert_true(first > 0);
    t->enet = harness_edge_port(&t->relay, "enet");
    t->udp = harness_edge_port(&t->relay, "udp");
    assert_int_equal(first, t->enet); /* the first line is the first edge's */
}

static uint16_t port_for(const struct two *t, enum proto_mode mode)
{
    return mode == PROTO_MODE_UDP ? t->udp : t->enet;
}

/* One room, two ENet members (unsequenced, reliable) and two plain-UDP
 * ones: everyone sees everyone and gets everyone's states under the
 * sender's one id; chat and left notices cross the edges; the stats
 * record counts each edge's share. */
static void a_room_mixes_enet_and_udp_members(void **state)
{
    (void)state;
    static struct two t;
    two_start(&t, NULL);
    static const struct harness_member m[4] = {{"ann", PROTO_MODE_UNSEQUENCED, false},
                                               {"ben", PROTO_MODE_RELIABLE, false},
                                               {"cat", PROTO_MODE_UDP, false},
                                               {"dan", PROTO_MODE_UDP, false}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 4;
    for (size_t i = 0; i < 4; i++)
        r.c[i] = harness_client(port_for(&t, m[i].mode), "mixed", m[i].name, m[i].mode, false);
    assert_int_equal(harness_poll_until(r.c, 4, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    uint32_t id[4];
    for (size_t i = 0; i < 4; i++)
        id[i] = ricochet_id(r.c[i]);
    assert_int_equal(client_member(r.c[0], id[2])->mode, PROTO_MODE_UDP);
    assert_int_equal(client_member(r.c[2], id[1])->mode, PROTO_MODE_RELIABLE);

    const int rounds = 40;
    harness_send_rounds(&r, rounds);
    harness_poll_for(r.c, 4, 300, harness_rec_event, &r);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.states_bad_id[i], 0);
        assert_int_equal(r.self_states[i], 0);
        for (size_t j = 0; j < 4; j++) {
            if (i == j)
                continue;
            /* loopback rarely loses; reliable to an ENet member loses nothing */
            if (j == 1 && i < 2)
                assert_int_equal(r.states[i][id[j]], rounds);
            else
                assert_in_range(r.states[i][id[j]], rounds * 8 / 10, rounds);
            enum proto_mode want = i >= 2 ? PROTO_MODE_UDP
                                   : j >= 2 ? PROTO_MODE_UNSEQUENCED : m[j].mode;
            assert_int_equal(r.arrived_as[i][id[j]], want);
        }
    }

    /* A chat from a plain-UDP member reaches the ENet members, and back. */
    assert_int_equal(ricochet_send_chat(r.c[2], "from udp"), RICOCHET_OK);
    assert_int_equal(ricochet_send_chat(r.c[1], "from enet"), RICOCHET_OK);
    harness_poll_for(r.c, 4, 300, harness_rec_event, &r);
    for (size_t i = 0; i < 4; i++)
        assert_true(r.n_chat[i] >= 1);
    assert_true(r.n_chat[0] >= 2 && r.n_chat[3] >= 2);

    /* Counted per edge: each edge's share of the totals. */
    char *out = harness_relay_stats_now(&t.relay);
    assert_non_null(out);
    assert_int_equal(harness_stats_field(out, false, "edges.enet.members"), 2);
    assert_int_equal(harness_stats_field(out, false, "edges.udp.members"), 2);
    long long in_enet = harness_stats_field(out, false, "edges.enet.states_in");
    long long in_udp = harness_stats_field(out, false, "edges.udp.states_in");
    assert_in_range(in_enet, 2 * rounds * 8 / 10, 2 * rounds);
    assert_in_range(in_udp, 2 * rounds * 8 / 10, 2 * rounds);
    assert_int_equal(in_enet + in_udp, harness_stats_field(out, false, "states_in"));
    assert_int_equal(harness_stats_field(out, false, "edges.enet.states_out") +
                         harness_stats_field(out, false, "edges.udp.states_out"),
                     harness_stats_field(out, false, "states_out"));
    assert_int_equal(harness_stats_field(out, false, "edges.enet.bytes_out") +
                         harness_stats_field(out, false, "edges.udp.bytes_out"),
                     harness_stats_field(out, false, "bytes_out"));
    assert_int_equal(harness_stats_field(out, false, "edges.udp.conflated"), 0);
    assert_true(harness_stats_field(out, false, "ticks") > 0); /* the default tick */
    free(out);

    /* A plain-UDP member leaves: the ENet members hear it, quit. */
    ricochet_close(r.c[3]);
    r.c[3] = NULL;
    harness_poll_for(r.c, 4, 500, harness_rec_event, &r);
    assert_true(harness_rec_saw_left(&r, 0, id[3], PROTO_LEFT_QUIT));
    assert_true(harness_rec_saw_left(&r, 2, id[3], PROTO_LEFT_QUIT));
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    free(harness_relay_finish(&t.relay));
    spawn_free(&t.relay);
}

/* A ticketed client of its mode, at the relay's edge for it. */
static struct ricochet *ticketed(const struct two *t, enum proto_mode mode, const char *name)
{
    struct ticket_key key;
    char err[256], text[TICKET_TEXT_MAX + 1];
    assert_int_equal(keyfile_load(key_path, &key, err, sizeof err), 0);
    struct ticket_claims c = {.issued_s = clock_unix_s(), .expires_s = clock_unix_s() + 60};
    snprintf(c.room, sizeof c.room, "vault");
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.fleet, sizeof c.fleet, "ricochet");
    assert_true(ticket_mint(&key, &c, text, sizeof text) > 0);
    struct client_config cfg = {.host = "127.0.0.1", .port = port_for(t, mode), .mode = mode,
                                .ticket = text, .timeout_ms = 5000};
    struct ricochet *cl = client_create(&cfg, err, sizeof err);
    if (!cl)
        fail_msg("client_create: %s", err);
    return cl;
}

/* Tickets and sealed sessions on both edges: an ENet member and a
 * plain-UDP member, each sealed with its own ticket's keys, exchange
 * states and chat. */
static void tickets_and_encrypt_on_both_edges(void **state)
{
    (void)state;
    static struct two t;
    const char *more[] = {"--ticket-key", key_path, "--encrypt", NULL};
    two_start(&t, more);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = ticketed(&t, PROTO_MODE_SEQUENCED, "alice");
    r.c[1] = ticketed(&t, PROTO_MODE_UDP, "bob");
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    assert_true(ricochet_sealed(r.c[0]) && ricochet_sealed(r.c[1]));
    harness_send_rounds(&r, 25);
    assert_int_equal(ricochet_send_chat(r.c[1], "sealed across edges"), RICOCHET_OK);
    harness_poll_for(r.c, 2, 300, harness_rec_event, &r);
    uint32_t a = ricochet_id(r.c[0]), b = ricochet_id(r.c[1]);
    assert_true(r.states[1][a] >= 20 && r.states[0][b] >= 20);
    assert_true(r.n_chat[0] >= 1);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.seal_forged"), 0);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.unsealed"), 0);
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    free(harness_relay_finish(&t.relay));
    spawn_free(&t.relay);
}

/* Polls c until its session ends; its end reason into why. */
static void end_reason(struct ricochet *c, char *why, size_t cap)
{
    struct ricochet_event ev;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (ricochet_poll(c, 10, &ev) >= 0 && clock_now_ms() < deadline)
        ;
    snprintf(why, cap, "%s", ricochet_end_reason(c));
}

/* Limits are per member, whatever its edge: a room of two is full for a
 * third of either edge; a member of either edge sending far over the rate
 * limit is kicked, and the other edge's member hears it. */
static void limits_apply_to_members_of_every_edge(void **state)
{
    (void)state;
    static struct two t;
    const char *more[] = {"--max-room-size", "2", "--rate-limit", "40", "--rate-burst", "10",
                          "--kick-after", "0.4", "--kick-ban-s", "0", NULL};
    two_start(&t, more);
    static struct harness_rec r;
    for (int flooder = 0; flooder < 2; flooder++) {
        memset(&r, 0, sizeof r);
        r.n = 2;
        r.c[0] = harness_client(t.enet, "small", "ann", PROTO_MODE_UNSEQUENCED, false);
        r.c[1] = harness_client(t.udp, "small", "cat", PROTO_MODE_UDP, false);
        assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                            harness_all_see_all, &r), 0);
        if (flooder == 0) { /* the room is full for both edges */
            for (int k = 0; k < 2; k++) {
                enum proto_mode mode = k ? PROTO_MODE_UDP : PROTO_MODE_RELIABLE;
                struct ricochet *third = harness_client(port_for(&t, mode), "small", "late",
                                                        mode, false);
                char why[256];
                end_reason(third, why, sizeof why);
                ricochet_close(third);
                assert_non_null(strstr(why, "room_full"));
            }
        }
        /* one of them sends at 400/s, ten times the limit, for a second */
        uint32_t victim = ricochet_id(r.c[flooder]);
        size_t other = 1 - (size_t)flooder;
        for (int k = 0; k < 400 && !harness_rec_saw_left(&r, other, victim, PROTO_LEFT_KICKED);
             k++) {
            struct ricochet_state s = {.x = 1, .y = 1};
            ricochet_send_state(r.c[flooder], &s);
            harness_poll_for(r.c, 2, 2, harness_rec_event, &r);
        }
        harness_poll_for(r.c, 2, 300, harness_rec_event, &r);
        assert_true(harness_rec_saw_left(&r, other, victim, PROTO_LEFT_KICKED));
        for (size_t i = 0; i < 2; i++)
            ricochet_close(r.c[i]);
    }
    assert_true(harness_relay_stat(&t.relay, "drops.rate_limited") > 0);
    assert_int_equal(harness_relay_stat(&t.relay, "kicks"), 2);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.room_full"), 2);
    free(harness_relay_finish(&t.relay));
    spawn_free(&t.relay);
}

/* A room with interest across edges: two near members of different edges
 * see each other, a far one (of either) sees neither and is seen by none. */
static void interest_across_edges(void **state)
{
    (void)state;
    static struct two t;
    two_start(&t, NULL);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    static const enum proto_mode modes[3] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_UDP,
                                             PROTO_MODE_UDP};
    static const char *const names[3] = {"near_enet", "near_udp", "far_udp"};
    const float x[3] = {0, 5, 80};
    r.n = 3;
    for (size_t i = 0; i < 3; i++) {
        struct client_config cfg = {.host = "127.0.0.1", .port = port_for(&t, modes[i]),
                                    .room = "world", .name = names[i], .mode = modes[i],
                                    .aoi = 20, .timeout_ms = 5000};
        char err[256];
        r.c[i] = client_create(&cfg, err, sizeof err);
        if (!r.c[i])
            fail_msg("client_create: %s", err);
    }
    assert_int_equal(harness_poll_until(r.c, 3, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    for (int k = 0; k < 30; k++) {
        for (size_t i = 0; i < 3; i++) {
            struct ricochet_state s = {.x = x[i], .y = 0};
            ricochet_send_state(r.c[i], &s);
        }
        harness_poll_for(r.c, 3, 20, harness_rec_event, &r);
    }
    uint32_t id[3];
    for (size_t i = 0; i < 3; i++)
        id[i] = ricochet_id(r.c[i]);
    assert_true(r.states[0][id[1]] > 10 && r.states[1][id[0]] > 10);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(r.states[i][id[2]], 0);
        assert_int_equal(r.states[2][id[i]], 0);
    }
    assert_int_equal(r.arrived_as[0][id[1]], PROTO_MODE_UNSEQUENCED);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    free(harness_relay_finish(&t.relay));
    spawn_free(&t.relay);
}

/* Two relays of two edges each in a fleet: a room placed on the first,
 * joined through the second by an ENet and a plain-UDP member, each moved
 * to the first relay's edge of its own kind. */
static void moved_to_an_edge_of_ones_kind(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    static struct two a, b;
    const char *fleet[] = {"--directory", redis.url, "--advertise", "127.0.0.1:0",
                           "--directory-ttl", "2", "--stats-interval", "0", NULL};
    two_start(&a, fleet);
    two_start(&b, fleet);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 1;
    r.c[0] = harness_client(a.enet, "placed", "first", PROTO_MODE_RELIABLE, false);
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    r.n = 3;
    r.c[1] = harness_client(b.enet, "placed", "viaenet", PROTO_MODE_UNSEQUENCED, false);
    r.c[2] = harness_client(b.udp, "placed", "viaudp", PROTO_MODE_UDP, false);
    assert_int_equal(harness_poll_until(r.c, 3, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    assert_int_equal(r.moved[1], 1);
    assert_int_equal(r.moved[2], 1);
    assert_int_equal(ricochet_relay_port(r.c[1]), a.enet);
    assert_int_equal(ricochet_relay_port(r.c[2]), a.udp);
    assert_int_equal(harness_relay_stat(&b.relay, "moved"), 2);
    assert_int_equal(harness_relay_stat(&a.relay, "edges.udp.members"), 1);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    free(harness_relay_finish(&a.relay));
    free(harness_relay_finish(&b.relay));
    spawn_free(&a.relay);
    spawn_free(&b.relay);
    test_redis_stop(&redis);
}

/* Runs ricochet-relay with args to its exit: its status, and its stderr's
 * first line into line. Returns the number of lines it wrote there. */
static int relay_refuses(const char *const *args, char *line, size_t cap, int *status)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-relay", args), 0);
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (spawn_running(&p) && clock_now_ms() < deadline)
        clock_sleep_ms(5);
    assert_false(spawn_running(&p));
    *status = p.exited && WIFEXITED(p.status) ? WEXITSTATUS(p.status) : -1;
    char *err = spawn_read_stderr(&p);
    int lines = 0;
    for (const char *s = err; s && *s; s++)
        lines += *s == '\n';
    snprintf(line, cap, "%.*s", err ? (int)strcspn(err, "\n") : 0, err ? err : "");
    free(err);
    spawn_free(&p);
    return lines;
}

/* --listen's mistakes: each one line that names it, exit 2 (an option) or
 * 1 (the edge could not listen), before anything listens. */
static void listen_mistakes_are_one_line(void **state)
{
    (void)state;
    static const struct {
        const char *args[12];
        int status;
        const char *says;
    } cases[] = {
        {{"--listen", "tcp2://127.0.0.1:0", NULL}, 2, "no edge speaks 'tcp2'"},
        {{"--listen", "127.0.0.1:7000", NULL}, 2, "not SCHEME://HOST:PORT"},
        {{"--listen", "udp://127.0.0.1", NULL}, 2, "--listen udp://127.0.0.1"},
        {{"--listen", "udp://127.0.0.1:7391", "--listen", "enet://127.0.0.1:7391", NULL}, 2,
         "port 7391 is given twice"},
        {{"--listen", "udp://127.0.0.1:0", "--listen", "udp://127.0.0.1:0", "--listen",
          "udp://127.0.0.1:0", "--listen", "udp://127.0.0.1:0", "--listen",
          "udp://127.0.0.1:0", NULL}, 2, "--listen: at most"},
        {{"--listen", "udp://127.0.0.1:0", "--transport", "udp", NULL}, 2,
         "--listen replaces --transport"},
        {{"--listen", "udp://127.0.0.1:0", "--listen", "enet://[::1]:0", NULL}, 1,
         "IPv4 only"},
        {{"--listen", "", NULL}, 2, "--listen"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[512];
        int status;
        const char *args[24];
        size_t n = 0;
        for (; cases[i].args[n]; n++)
            args[n] = cases[i].args[n];
        /* the "at most" case gives 5 here and 4 more below: 9 edges */
        if (strstr(cases[i].says, "at most"))
            for (int k = 0; k < 4; k++) {
                args[n++] = "--listen";
                args[n++] = "udp://127.0.0.1:0";
            }
        args[n] = NULL;
        int lines = relay_refuses(args, line, sizeof line, &status);
        print_message("%s\n", line);
        assert_int_equal(lines, 1);
        assert_int_equal(status, cases[i].status);
        assert_true(strncmp(line, "ricochet-relay: error: ", 23) == 0);
        if (!strstr(line, cases[i].says))
            fail_msg("'%s' does not say '%s'", line, cases[i].says);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_room_mixes_enet_and_udp_members),
        cmocka_unit_test(tickets_and_encrypt_on_both_edges),
        cmocka_unit_test(limits_apply_to_members_of_every_edge),
        cmocka_unit_test(interest_across_edges),
        cmocka_unit_test(moved_to_an_edge_of_ones_kind),
        cmocka_unit_test(listen_mistakes_are_one_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
