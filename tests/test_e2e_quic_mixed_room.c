/* test_e2e_quic_mixed_room.c: QUIC members of every mode (`unsequenced`,
 * `sequenced` in datagrams, `reliable` on the control stream, `streams`
 * on streams of their own) and libricochet's WebTransport sessions
 * (`unsequenced`, `reliable`, `streams`, on the edge's ALPN `h3`) in one
 * room with ENet, WebSocket and WebRTC members, through a relay on
 * 127.0.0.1: every state under its sender's id both ways, in the mode its
 * receiver gets it in, the reliable ones all; chat across; the edge's
 * counters; a close is a quit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/quic_relay.h"

/* A member and the way it comes. */
enum way { BY_QUIC, BY_WT, BY_ENET, BY_WS, BY_WEBRTC };

struct member {
    const char *name;
    enum proto_mode mode;
    enum way way;
};

static struct ricochet *member_client(const struct edges *e, const struct member *m,
                                      const char *room)
{
    if (m->way == BY_QUIC || m->way == BY_WT)
        return quic_client_over(e->quic, room, m->name, m->mode, NULL,
                                m->way == BY_WT ? RICOCHET_TRANSPORT_WEBTRANSPORT
                                                : RICOCHET_TRANSPORT_QUIC);
    uint16_t port = m->way == BY_ENET ? e->enet : e->ws;
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room,
                                .name = m->name, .mode = m->mode, .timeout_ms = 5000,
                                .transport = m->way == BY_WEBRTC ? RICOCHET_TRANSPORT_WEBRTC
                                                                 : RICOCHET_TRANSPORT_DEFAULT};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", m->name, err);
    return c;
}

/* The mode receiver r gets sender s's states in: a WebSocket member gets
 * everything as ws; a streams member a reliable sender's as streams; a
 * ws sender's reach the others as unsequenced, a streams sender's as
 * reliable; else the sender's own. */
static enum proto_mode seen_as(const struct member *r, const struct member *s)
{
    bool reliable = proto_mode_info(s->mode)->down_flags & PROTO_FLAG_RELIABLE;
    if (r->mode == PROTO_MODE_WS)
        return PROTO_MODE_WS;
    if (r->mode == PROTO_MODE_STREAMS && reliable)
        return PROTO_MODE_STREAMS;
    if (s->mode == PROTO_MODE_WS)
        return PROTO_MODE_UNSEQUENCED;
    return reliable ? PROTO_MODE_RELIABLE : s->mode;
}

#define MIXED 10

/* The mixed room's members, their ids and the rounds sent, for its wait. */
static const struct member *mixed_members;
static uint32_t mixed_ids[MIXED];
static int mixed_rounds;

/* Every member of a lossless mode has every lossless sender's states
 * (harness_poll_until's done, on a struct harness_rec). */
static bool lossless_all_there(void *ctx)
{
    const struct harness_rec *r = ctx;
    for (size_t i = 0; i < MIXED; i++)
        for (size_t j = 0; j < MIXED; j++)
            if (i != j && proto_mode_lossless(mixed_members[i].mode) &&
                proto_mode_lossless(mixed_members[j].mode) &&
                r->states[i][mixed_ids[j]] < (uint64_t)mixed_rounds)
                return false;
    return true;
}

/* QUIC members of every QUIC mode and WebTransport members (libricochet's
 * session as a page opens one: datagrams, one stream, a stream per sender)
 * beside ENet, WebSocket and WebRTC ones: every state under its sender's
 * id, both ways, in the mode its receiver gets it in; every reliable
 * sender's state to every member that loses nothing; chat across; the
 * edge's counters; a close is a quit. */
static void a_room_mixes_quic_wt_enet_ws_and_webrtc_members(void **state)
{
    (void)state;
    static struct edges e;
    edges_start(&e, NULL);
    static const struct member m[MIXED] = {
        {"qun", PROTO_MODE_UNSEQUENCED, BY_QUIC}, {"qseq", PROTO_MODE_SEQUENCED, BY_QUIC},
        {"qrel", PROTO_MODE_RELIABLE, BY_QUIC},   {"qstr", PROTO_MODE_STREAMS, BY_QUIC},
        {"enet", PROTO_MODE_RELIABLE, BY_ENET},   {"web", PROTO_MODE_WS, BY_WS},
        {"rtc", PROTO_MODE_SEQUENCED, BY_WEBRTC}, {"wun", PROTO_MODE_UNSEQUENCED, BY_WT},
        {"wrel", PROTO_MODE_RELIABLE, BY_WT},     {"wstr", PROTO_MODE_STREAMS, BY_WT}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = MIXED;
    for (size_t i = 0; i < MIXED; i++)
        r.c[i] = member_client(&e, &m[i], "every");
    assert_int_equal(harness_poll_until(r.c, MIXED, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    assert_int_equal(ricochet_transport(r.c[0]), RICOCHET_TRANSPORT_QUIC);
    assert_int_equal(ricochet_transport(r.c[7]), RICOCHET_TRANSPORT_WEBTRANSPORT);
    uint32_t id[MIXED];
    for (size_t i = 0; i < MIXED; i++)
        id[i] = ricochet_id(r.c[i]);
    const int rounds = 40;
    harness_send_rounds(&r, rounds);
    /* the last rounds may still be on their way on a loaded machine: wait
     * for the lossless ones (bounded), then a little for the others */
    mixed_members = m;
    memcpy(mixed_ids, id, sizeof id);
    mixed_rounds = rounds;
    harness_poll_until(r.c, MIXED, WAIT_MS, harness_rec_event, lossless_all_there, &r);
    harness_poll_for(r.c, MIXED, 300, harness_rec_event, &r);
    for (size_t i = 0; i < MIXED; i++) {
        assert_int_equal(r.states_bad_id[i], 0);
        assert_int_equal(r.self_states[i], 0);
        for (size_t j = 0; j < MIXED; j++) {
            if (i == j)
                continue;
            if (proto_mode_lossless(m[j].mode) && proto_mode_lossless(m[i].mode))
                assert_int_equal(r.states[i][id[j]], rounds);
            else
                assert_in_range(r.states[i][id[j]], rounds * 8 / 10, rounds);
            if (r.arrived_as[i][id[j]] != seen_as(&m[i], &m[j]))
                fail_msg("%s got %s's states as %s, not %s", m[i].name, m[j].name,
                         proto_mode_name(r.arrived_as[i][id[j]]),
                         proto_mode_name(seen_as(&m[i], &m[j])));
        }
    }
    assert_int_equal(ricochet_send_chat(r.c[3], "over quic"), RICOCHET_OK);
    harness_poll_for(r.c, MIXED, 300, harness_rec_event, &r);
    for (size_t i = 0; i < MIXED; i++)
        assert_true(i == 3 || r.n_chat[i] >= 1);
    char *out = harness_relay_stats_now(&e.relay);
    assert_non_null(out);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.members"), 7);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.states_in"), 7 * rounds);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.handshakes"), 7);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.retries"), 7);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.wt_sessions"), 3);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.wt_refused"), 0);
    /* each streams member's senders of reliable states (qrel, qstr, enet,
     * wrel, wstr but itself): a stream each */
    assert_int_equal(harness_stats_field(out, false, "edges.quic.sender_streams"), 8);
    free(out);
    ricochet_close(r.c[3]); /* CONNECTION_CLOSE: leaving, over QUIC and WebTransport */
    ricochet_close(r.c[9]);
    r.c[3] = r.c[9] = NULL;
    harness_poll_for(r.c, MIXED, 500, harness_rec_event, &r);
    for (size_t i = 0; i < MIXED; i++)
        for (size_t k = 3; k <= 9; k += 6)
            assert_true(i == 3 || i == 9 || harness_rec_saw_left(&r, i, id[k], PROTO_LEFT_QUIT));
    for (size_t i = 0; i < MIXED; i++)
        ricochet_close(r.c[i]);
    edges_stop(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_room_mixes_quic_wt_enet_ws_and_webrtc_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
