/* test_e2e_webrtc_client.c: libricochet over WebRTC
 * (`client/lib/transports/client_webrtc.c`) against `ricochet-relay` with ws, webrtc, ENet
 * and plain-UDP edges: its offer POSTed to the ws edge, its channels on the
 * webrtc edge; WebRTC members beside ENet and plain-UDP ones, every state under
 * its sender's id and in the mode it was sent in (a plain-UDP sender's as
 * unsequenced), a reliable sender's all delivered, chat across edges,
 * `edges.webrtc` counting them, the key log holding the session's secret, a
 * close read as a quit; a mode switch live, each mode on its own channel as a
 * WebRTC and an ENet receiver see it, udp and ws refused; a relay taking sealed
 * tickets with `--encrypt`: WebRTC members with their tickets unsealed (DTLS)
 * beside a sealed ENet member, an offer without a ticket refused (403); a relay
 * without a webrtc edge (404), a mode WebRTC does not carry and a transport
 * that is none, refused */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_tickets.h"
#include "client/lib/client.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000

/* A relay with ws (the offers), webrtc, ENet and plain-UDP edges. */
struct edges {
    struct spawn_proc relay;
    uint16_t ws, webrtc, enet, udp;
};

static void edges_start(struct edges *e, const char *const *more)
{
    static const char *const schemes[] = {"ws", "webrtc", "enet", "udp", NULL};
    uint16_t port[4];
    harness_start_edges(&e->relay, schemes, more, port);
    e->ws = port[0];
    e->webrtc = port[1];
    e->enet = port[2];
    e->udp = port[3];
}

static void edges_stop(struct edges *e)
{
    free(harness_relay_finish(&e->relay));
    spawn_free(&e->relay);
}

/* A member: over WebRTC (to the ws edge) or the mode's own transport. */
struct member {
    const char *name;
    enum proto_mode mode;
    bool webrtc;
};

static struct ricochet *member_client(const struct edges *e, const struct member *m,
                                      const char *room, const char *ticket, const char *keylog)
{
    uint16_t port = m->webrtc ? e->ws : m->mode == PROTO_MODE_UDP ? e->udp : e->enet;
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room,
                                .name = m->name, .mode = m->mode, .timeout_ms = 5000,
                                .ticket = ticket, .keylog = keylog,
                                .transport = m->webrtc ? RICOCHET_TRANSPORT_WEBRTC
                                                       : RICOCHET_TRANSPORT_DEFAULT};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", m->name, err);
    return c;
}

/* The mode receiver r sees sender s's states in: a plain-UDP member sees
 * everything as udp; the others see each state in its sender's mode, a
 * plain-UDP sender's as unsequenced. */
static enum proto_mode seen_as(const struct member *r, const struct member *s)
{
    if (r->mode == PROTO_MODE_UDP)
        return PROTO_MODE_UDP;
    return s->mode == PROTO_MODE_UDP ? PROTO_MODE_UNSEQUENCED : s->mode;
}

/* WebRTC members beside ENet and plain-UDP ones: every state under its
 * sender's id, in the mode it was sent in; a reliable sender's all of them
 * to every member with channels; chat across edges; the edge's counters;
 * the key log written; a close is a quit. */
static void a_room_mixes_webrtc_enet_and_udp_members(void **state)
{
    (void)state;
    static struct edges e;
    edges_start(&e, NULL);
    char dir[] = "/tmp/ricochet-keylog-XXXXXX", keylog[64];
    assert_non_null(mkdtemp(dir));
    snprintf(keylog, sizeof keylog, "%s/keys", dir);
    static const struct member m[4] = {{"ann", PROTO_MODE_UNSEQUENCED, true},
                                       {"ben", PROTO_MODE_RELIABLE, true},
                                       {"cat", PROTO_MODE_SEQUENCED, false},
                                       {"dan", PROTO_MODE_UDP, false}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 4;
    for (size_t i = 0; i < 4; i++)
        r.c[i] = member_client(&e, &m[i], "mixed", NULL, i == 0 ? keylog : NULL);
    assert_int_equal(harness_poll_until(r.c, 4, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    assert_int_equal(ricochet_transport(r.c[0]), RICOCHET_TRANSPORT_WEBRTC);
    assert_int_equal(ricochet_transport(r.c[2]), RICOCHET_TRANSPORT_DEFAULT);
    uint32_t id[4];
    for (size_t i = 0; i < 4; i++)
        id[i] = ricochet_id(r.c[i]);
    const int rounds = 40;
    harness_send_rounds(&r, rounds);
    harness_poll_for(r.c, 4, 400, harness_rec_event, &r);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.states_bad_id[i], 0);
        assert_int_equal(r.self_states[i], 0);
        for (size_t j = 0; j < 4; j++) {
            if (i == j)
                continue;
            if (m[j].mode == PROTO_MODE_RELIABLE && m[i].mode != PROTO_MODE_UDP)
                assert_int_equal(r.states[i][id[j]], rounds);
            else
                assert_in_range(r.states[i][id[j]], rounds * 8 / 10, rounds);
            assert_int_equal(r.arrived_as[i][id[j]], seen_as(&m[i], &m[j]));
        }
    }
    assert_int_equal(ricochet_send_chat(r.c[0], "from webrtc"), RICOCHET_OK);
    harness_poll_for(r.c, 4, 300, harness_rec_event, &r);
    assert_true(r.n_chat[1] >= 1 && r.n_chat[2] >= 1 && r.n_chat[3] >= 1);
    char *out = harness_relay_stats_now(&e.relay);
    assert_non_null(out);
    assert_int_equal(harness_stats_field(out, false, "edges.webrtc.members"), 2);
    assert_int_equal(harness_stats_field(out, false, "edges.webrtc.states_in"), 2 * rounds);
    free(out);
    char *keys = harness_read_text(keylog);
    assert_non_null(keys);
    assert_non_null(strstr(keys, "CLIENT_RANDOM "));
    free(keys);
    unlink(keylog);
    rmdir(dir);
    ricochet_close(r.c[0]); /* SCTP's ABORT: leaving */
    r.c[0] = NULL;
    harness_poll_for(r.c, 4, 500, harness_rec_event, &r);
    for (size_t i = 1; i < 4; i++)
        assert_true(harness_rec_saw_left(&r, i, id[0], PROTO_LEFT_QUIT));
    for (size_t i = 1; i < 4; i++)
        ricochet_close(r.c[i]);
    edges_stop(&e);
}

static bool first_disconnected(void *ctx)
{
    return ((const struct harness_rec *)ctx)->disconnected[0];
}

/* Sends n states from client s, then polls everyone for 30 ms. */
static void send_some(struct harness_rec *r, size_t s, int n)
{
    for (int k = 0; k < n; k++) {
        struct ricochet_state st = {.x = (float)k, .y = 1};
        assert_int_equal(ricochet_send_state(r->c[s], &st), RICOCHET_OK);
        harness_poll_for(r->c, r->n, 10, harness_rec_event, r);
    }
    harness_poll_for(r->c, r->n, 150, harness_rec_event, r);
}

/* A WebRTC member switches mode live: each state goes on the channel of
 * its mode, and a WebRTC and an ENet receiver see every mode in turn. The
 * stream transports' modes are not WebRTC's. */
static void a_mode_switch_is_another_channel(void **state)
{
    (void)state;
    static struct edges e;
    edges_start(&e, NULL);
    static const struct member m[3] = {{"eve", PROTO_MODE_UNSEQUENCED, true},
                                       {"fay", PROTO_MODE_UNSEQUENCED, true},
                                       {"gus", PROTO_MODE_UNSEQUENCED, false}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    for (size_t i = 0; i < 3; i++)
        r.c[i] = member_client(&e, &m[i], "switch", NULL, NULL);
    assert_int_equal(harness_poll_until(r.c, 3, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    static const enum proto_mode modes[] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_SEQUENCED,
                                            PROTO_MODE_RELIABLE};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(ricochet_set_mode(r.c[0], (enum ricochet_mode)modes[k]), RICOCHET_OK);
        assert_int_equal(ricochet_mode(r.c[0]), (enum ricochet_mode)modes[k]);
        send_some(&r, 0, 10);
        for (size_t i = 1; i < 3; i++) {
            assert_in_range(r.arrived[i][modes[k]], 8, 10);
            assert_int_equal(r.arrived_as[i][ricochet_id(r.c[0])], modes[k]);
        }
    }
    assert_int_equal(r.arrived[1][PROTO_MODE_RELIABLE], 10);
    assert_int_equal(ricochet_set_mode(r.c[0], RICOCHET_MODE_UDP), RICOCHET_E_UNSUPPORTED);
    assert_int_equal(ricochet_set_mode(r.c[0], RICOCHET_MODE_WS), RICOCHET_E_UNSUPPORTED);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    edges_stop(&e);
}

/* A relay that takes sealed tickets and seals (--encrypt): WebRTC members
 * with their tickets (the pass in the offer's Authorization, then in the
 * join) play beside a sealed ENet member; the relay seals nothing of
 * theirs. An offer without a ticket is refused before any session (403). */
static void tickets_and_a_sealing_relay(void **state)
{
    (void)state;
    static struct bench_tickets bt;
    char err[256];
    assert_int_equal(bench_tickets_open(&bt, true, NULL, 0, 3, 3, err, sizeof err), 0);
    const char *more[] = {"--ticket-key", bt.key_file, "--encrypt", NULL};
    static struct edges e;
    edges_start(&e, more);
    /* the tickets say the room and the names (bench, bench-1..3) */
    static const struct member m[3] = {{NULL, PROTO_MODE_UNSEQUENCED, true},
                                       {NULL, PROTO_MODE_RELIABLE, true},
                                       {NULL, PROTO_MODE_UNSEQUENCED, false}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    for (size_t i = 0; i < 3; i++)
        r.c[i] = member_client(&e, &m[i], NULL, bt.list[i], NULL);
    assert_int_equal(harness_poll_until(r.c, 3, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    assert_false(ricochet_sealed(r.c[0])); /* DTLS encrypts it whole */
    assert_false(ricochet_sealed(r.c[1]));
    assert_true(ricochet_sealed(r.c[2]));
    assert_string_equal(client_name(r.c[0]), "bench-1");
    const int rounds = 20;
    harness_send_rounds(&r, rounds);
    harness_poll_for(r.c, 3, 300, harness_rec_event, &r);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            if (i != j)
                assert_in_range(r.states[i][ricochet_id(r.c[j])], rounds * 8 / 10, rounds);
    assert_int_equal(r.states[0][ricochet_id(r.c[1])], rounds);
    assert_int_equal(r.states[2][ricochet_id(r.c[1])], rounds);

    static const struct member stranger = {"zed", PROTO_MODE_UNSEQUENCED, true};
    static struct harness_rec z;
    memset(&z, 0, sizeof z);
    z.n = 1;
    z.c[0] = member_client(&e, &stranger, "bench", NULL, NULL);
    assert_int_equal(harness_poll_until(z.c, 1, WAIT_MS, harness_rec_event, first_disconnected,
                                        &z), 0);
    assert_true(z.disconnected[0]);
    assert_non_null(strstr(ricochet_end_reason(z.c[0]), "403"));
    ricochet_close(z.c[0]);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    edges_stop(&e);
    bench_tickets_close(&bt);
}

/* What a program is told: a relay with no webrtc edge answers the offer
 * 404 (the session ends, refused); a mode WebRTC does not carry, or a
 * transport that is none, is refused at once. */
static void refusals(void **state)
{
    (void)state;
    static struct spawn_proc relay;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    static const struct member alone = {"ivy", PROTO_MODE_SEQUENCED, true};
    struct edges e = {.ws = harness_edge_port(&relay, "ws")};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 1;
    r.c[0] = member_client(&e, &alone, "nowhere", NULL, NULL);
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event, first_disconnected,
                                        &r), 0);
    assert_true(r.disconnected[0]);
    assert_non_null(strstr(ricochet_end_reason(r.c[0]), "404"));
    ricochet_close(r.c[0]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);

    struct client_config cfg = {.host = "127.0.0.1", .port = 9, .room = "r", .name = "n",
                                .mode = PROTO_MODE_UDP, .transport = RICOCHET_TRANSPORT_WEBRTC};
    char err[256] = "";
    assert_null(client_create(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "WebRTC carries"));
    struct ricochet_config *pub = ricochet_config_new();
    assert_non_null(pub);
    assert_int_equal(ricochet_config_set_transport(pub, (enum ricochet_transport)7),
                     RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_transport(pub, RICOCHET_TRANSPORT_WEBRTC), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_keylog(pub, ""), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_keylog(pub, NULL), RICOCHET_OK);
    ricochet_config_free(pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_room_mixes_webrtc_enet_and_udp_members),
        cmocka_unit_test(a_mode_switch_is_another_channel),
        cmocka_unit_test(tickets_and_a_sealing_relay),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
