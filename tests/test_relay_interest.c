/* test_relay_interest.c: the relay core through a fake transport and a fake
 * clock (support/fake_relay.h): rooms with interest. A member receives the
 * states of those within the room's radius; who comes within it appears,
 * who goes beyond PROTO_AOI_LEAVE times it vanishes; notices about a member
 * go to those who see it, and a creator's leave to its heir wherever it is. A world's tick sends each sender's newest state
 * of the tick, the others conflated, to one group of receivers at a time,
 * each at its own phase of the tick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "stats/pattern.h"
#include "stats/rng.h"
#include "tests/support/fake_relay.h"

#define R 10.0f /* the radius of the tests' world */

static int join_aoi(struct relay *r, uint32_t peer, const char *name, float aoi)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "world");
    snprintf(m.name, sizeof m.name, "%s", name);
    m.aoi = aoi;
    return send_control_msg(r, peer, PROTO_CHANNEL_CONTROL, &m);
}

/* peer's state number seq, at (x, y), on channel with flags. */
static int send_at(struct relay *r, uint32_t peer, uint32_t seq, float x, float y,
                   uint8_t channel, uint32_t flags)
{
    struct proto_state s = { .seq = seq, .send_us = 1000 + seq, .x = x, .y = y };
    uint8_t buf[PROTO_STATE_SIZE];
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    return relay_on_datagram(r, peer, channel, flags, buf, sizeof buf, now_us);
}

/* peer's state number seq, at (x, y), unsequenced. */
static int move(struct relay *r, uint32_t peer, uint32_t seq, float x, float y)
{
    return send_at(r, peer, seq, x, y, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED);
}

/* Whether peer got a state from relay id `from` since the last fake_clear. */
static bool got_state_from(uint32_t peer, uint32_t from)
{
    for (size_t i = 0; i < fk.n_states; i++) {
        struct proto_state s;
        if (fk.states[i].peer == peer &&
            proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s) == PROTO_OK &&
            s.sender == from)
            return true;
    }
    return false;
}

/* The ids of the notices of type sent to peer since the last fake_clear. */
static size_t notices(uint32_t peer, enum proto_ctl_type type, uint32_t *ids, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == peer && ctl_at(i)->type == type && n < cap)
            ids[n++] = dec->id;
    return n;
}

static void welcome_has_radius_and_no_roster(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 3);
    assert_int_equal(join_aoi(r, 0, "a", R), 0);
    assert_int_equal(join_aoi(r, 1, "b", 3 * R), 0); /* the creator's radius holds */
    const struct proto_control *w = last_ctl(1, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_true(fabsf(w->aoi - R) < 1e-6f);
    assert_int_equal(w->roster_len, 0); /* the others come as they come into sight */
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 0);
    /* A room without interest says none. */
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    assert_true(last_ctl(2, PROTO_CTL_WELCOME)->aoi == 0);
    relay_destroy(r);
}

static void enter_at_radius_leave_beyond_hysteresis(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join_aoi(r, 0, "a", R); /* id 1 */
    join_aoi(r, 1, "b", R); /* id 2 */
    fake_clear();
    uint32_t ids[8];

    assert_int_equal(move(r, 0, 1, 0, 0), 0);
    assert_int_equal(move(r, 1, 1, R + 1, 0), 0);
    assert_false(got_state_from(0, 2));
    assert_false(got_state_from(1, 1));
    assert_int_equal(notices(0, PROTO_CTL_APPEARED, ids, 8), 0);

    /* b steps to the radius: both appear to each other, b's state with it. */
    fake_clear();
    assert_int_equal(move(r, 1, 2, R, 0), 0);
    assert_int_equal(notices(0, PROTO_CTL_APPEARED, ids, 8), 1);
    assert_int_equal(ids[0], 2);
    assert_true(last_ctl(0, PROTO_CTL_APPEARED)->member.has_state);
    assert_string_equal(dec->member.name, "b");
    assert_int_equal(notices(1, PROTO_CTL_APPEARED, ids, 8), 1);
    assert_int_equal(ids[0], 1);
    assert_true(got_state_from(0, 2));

    /* Between the radius and the leave radius: still in sight, both ways. */
    fake_clear();
    assert_int_equal(move(r, 1, 3, R * 1.15f, 0), 0);
    assert_int_equal(move(r, 0, 2, 0, 0), 0);
    assert_true(got_state_from(0, 2));
    assert_true(got_state_from(1, 1));
    assert_int_equal(notices(0, PROTO_CTL_VANISHED, ids, 8), 0);

    /* Beyond the leave radius: vanished to both, and no more states. */
    fake_clear();
    assert_int_equal(move(r, 1, 4, R * PROTO_AOI_LEAVE + 0.5f, 0), 0);
    assert_int_equal(notices(0, PROTO_CTL_VANISHED, ids, 8), 1);
    assert_int_equal(ids[0], 2);
    assert_int_equal(notices(1, PROTO_CTL_VANISHED, ids, 8), 1);
    assert_int_equal(ids[0], 1);
    assert_false(got_state_from(0, 2));
    fake_clear();
    assert_int_equal(move(r, 0, 3, 0, 0), 0);
    assert_false(got_state_from(1, 1));

    /* Coming back within the leave radius is not enough: the radius is. */
    fake_clear();
    assert_int_equal(move(r, 1, 5, R * 1.1f, 0), 0);
    assert_int_equal(notices(0, PROTO_CTL_APPEARED, ids, 8), 0);
    assert_false(got_state_from(0, 2));
    relay_destroy(r);
}

/* Random walks of many members: after every state, its recipients are
 * exactly those in sight, and sight follows the positions: everyone within
 * the radius sees the sender, no one beyond the leave radius does, and
 * between the two it is what it was. */
static void states_go_to_those_in_sight_only(void **state)
{
    (void)state;
    enum { N = 40, STEPS = 1500 };
    struct relay_config cfg = small_config();
    cfg.peer_cap = N + 4;
    cfg.max_clients = N;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay *r = relay_with_peers(&cfg, N);
    float x[N], y[N];
    bool placed[N] = { false }, in_sight[N][N];
    memset(in_sight, 0, sizeof in_sight);
    struct rng g;
    rng_seed(&g, 7);
    char name[16];
    for (uint32_t i = 0; i < N; i++) {
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        assert_int_equal(join_aoi(r, i, name, R), 0);
    }
    for (uint32_t step = 0; step < STEPS; step++) {
        uint32_t s = (uint32_t)(rng_below(&g, N));
        if (!placed[s]) {
            x[s] = (float)(rng_below(&g, 60));
            y[s] = (float)(rng_below(&g, 60));
        } else {
            x[s] += ((float)rng_below(&g, 9) - 4);
            y[s] += ((float)rng_below(&g, 9) - 4);
        }
        placed[s] = true;
        fake_clear();
        assert_int_equal(move(r, s, step + 1, x[s], y[s]), 0);
        for (uint32_t j = 0; j < N; j++) {
            if (j == s || !placed[j])
                continue;
            float d = hypotf(x[s] - x[j], y[s] - y[j]);
            if (d <= R * 0.999f)
                in_sight[s][j] = true;
            else if (d > R * PROTO_AOI_LEAVE * 1.001f)
                in_sight[s][j] = false;
            else if (d > R * 1.001f && d <= R * PROTO_AOI_LEAVE * 0.999f)
                ; /* the band: unchanged */
            else
                in_sight[s][j] = got_state_from(j, s + 1); /* at an edge: floats decide */
            in_sight[j][s] = in_sight[s][j];
            assert_int_equal(got_state_from(j, s + 1), in_sight[s][j]);
        }
    }
    relay_destroy(r);
}

static void notices_go_to_those_in_sight(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 3);
    join_aoi(r, 0, "a", R); /* id 1 */
    join_aoi(r, 1, "b", R); /* id 2 */
    join_aoi(r, 2, "c", R); /* id 3 */
    move(r, 0, 1, 0, 0);
    move(r, 1, 1, 5, 0);
    move(r, 2, 1, 50, 50);
    fake_clear();
    assert_int_equal(send_text(r, 1, "{\"type\":\"clock\",\"offset_us\":5,\"bound_us\":9}"), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_CLOCK), 1);
    assert_int_equal(count_ctl(2, PROTO_CTL_CLOCK), 0);

    relay_peer_gone(r, 1, PROTO_LEFT_QUIT, now_us);
    expect_left(0, 2, PROTO_LEFT_QUIT);
    assert_int_equal(count_ctl(2, PROTO_CTL_LEFT), 0);
    /* Who left sees no one: a later join sees no one until it moves. */
    connect_peer(r, 1);
    assert_int_equal(join_aoi(r, 1, "d", R), 0); /* id 4 */
    fake_clear();
    move(r, 0, 2, 0, 0);
    assert_false(got_state_from(1, 1));
    relay_destroy(r);
}

/* A creator who leaves out of its heir's sight: the heir (the member in the
 * room longest) still hears the left notice that names it; one out of
 * sight that is not the heir does not. */
static void a_creators_heir_hears_of_its_leave_out_of_sight(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 3);
    join_aoi(r, 0, "a", R); /* id 1, the creator */
    join_aoi(r, 1, "b", R); /* id 2, its heir */
    join_aoi(r, 2, "c", R); /* id 3 */
    move(r, 0, 1, 0, 0);
    move(r, 1, 1, 50, 50);
    move(r, 2, 1, -50, -50);
    char heir[PROTO_PLAYER_LEN + 1];
    snprintf(heir, sizeof heir, "%s", last_ctl(1, PROTO_CTL_WELCOME)->player);
    assert_true(heir[0] != '\0');
    fake_clear();
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_string_equal(expect_left(1, 1, PROTO_LEFT_QUIT)->owner, heir);
    assert_int_equal(count_ctl(2, PROTO_CTL_LEFT), 0);
    relay_destroy(r);
}

static void held_states_go_to_those_in_sight(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.tick_us = 20000;
    struct relay *r = relay_with_peers(&cfg, 3);
    join_aoi(r, 0, "a", R);
    join_aoi(r, 1, "b", R);
    join_aoi(r, 2, "c", R);
    move(r, 1, 1, 3, 0);
    move(r, 2, 1, 80, 0);
    move(r, 0, 1, 0, 0);
    fake_clear();
    relay_tick(r, now_us + cfg.tick_us);
    assert_true(got_state_from(1, 1));
    assert_false(got_state_from(2, 1));
    assert_true(got_state_from(0, 2));
    relay_shutdown(r, now_us); /* a room with interest torn down whole: no leak (ASan) */
    relay_destroy(r);
}

/* The seqs of the states peer got from relay id `from`, in order. */
static size_t seqs_from(uint32_t peer, uint32_t from, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_states; i++) {
        struct proto_state s;
        if (fk.states[i].peer == peer &&
            proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s) == PROTO_OK &&
            s.sender == from && n < cap)
            out[n++] = s.seq;
    }
    return n;
}

/* peer's state number seq at (x, y), sent reliably. */
static int move_reliable(struct relay *r, uint32_t peer, uint32_t seq, float x, float y)
{
    return send_at(r, peer, seq, x, y, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE);
}

/* The fake clock one world tick on, and the relay's tick run then. */
static void world_tick(struct relay *r, const struct relay_config *cfg)
{
    now_us += cfg->world_tick_us;
    relay_tick(r, now_us);
}

/* A world's tick: a room with interest holds its states for a tick of its
 * own (not the relay's), and each receiver gets the newest state of each
 * sender it sees, once a tick; the older ones are conflated, counted for
 * each member that sees the sender. A room without interest keeps the
 * relay's tick and every state. */
static void a_world_tick_sends_each_senders_newest(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.tick_us = 2000;
    cfg.world_tick_us = 50000;
    struct relay *r = relay_with_peers(&cfg, 4);
    join_aoi(r, 0, "a", R); /* id 1 */
    join_aoi(r, 1, "b", R); /* id 2 */
    join_aoi(r, 2, "c", R); /* id 3, far away */
    move(r, 0, 1, 0, 0);
    move(r, 1, 1, 3, 0);
    move(r, 2, 1, 80, 0);
    world_tick(r, &cfg);
    fake_clear();
    /* Three states of a's within one world tick: b gets only the third. */
    assert_int_equal(move(r, 0, 2, 0.1f, 0), 0);
    assert_int_equal(move(r, 0, 3, 0.2f, 0), 0);
    assert_int_equal(move(r, 0, 4, 0.3f, 0), 0);
    relay_tick(r, now_us + cfg.tick_us); /* the relay's tick is not the world's */
    uint32_t seqs[8];
    assert_int_equal(seqs_from(1, 1, seqs, 8), 0);
    world_tick(r, &cfg);
    assert_int_equal(seqs_from(1, 1, seqs, 8), 1);
    assert_int_equal(seqs[0], 4);
    assert_int_equal(seqs_from(2, 1, seqs, 8), 0); /* c does not see a */
    /* 2 conflated, each for b alone (the one member that sees a) */
    const struct relay_stats *st = relay_stats(r);
    assert_int_equal(st->edges[0].conflated, 2);
    assert_int_equal(st->drops[RELAY_DROP_STALE], 0); /* a world's wait is not staleness */

    /* Late by seq: the newer held state stays, the older one gives way. */
    fake_clear();
    assert_int_equal(move(r, 0, 9, 0.4f, 0), 0);
    assert_int_equal(move(r, 0, 8, 0.5f, 0), 0);
    world_tick(r, &cfg);
    assert_int_equal(seqs_from(1, 1, seqs, 8), 1);
    assert_int_equal(seqs[0], 9);
    assert_int_equal(relay_stats(r)->edges[0].conflated, 3);

    /* Reliable states are never conflated, and keep their order around
     * an unreliable one. */
    fake_clear();
    assert_int_equal(move_reliable(r, 0, 10, 0.5f, 0), 0);
    assert_int_equal(move(r, 0, 11, 0.5f, 0), 0);
    assert_int_equal(move_reliable(r, 0, 12, 0.5f, 0), 0);
    assert_int_equal(move(r, 0, 13, 0.5f, 0), 0);
    assert_int_equal(move(r, 0, 14, 0.5f, 0), 0);
    world_tick(r, &cfg);
    assert_int_equal(seqs_from(1, 1, seqs, 8), 4);
    assert_int_equal(seqs[0], 10);
    assert_int_equal(seqs[1], 11);
    assert_int_equal(seqs[2], 12);
    assert_int_equal(seqs[3], 14);
    assert_int_equal(relay_stats(r)->edges[0].conflated, 4);

    /* A room without interest: the relay's tick, every state. */
    assert_int_equal(join(r, 3, "lobby", "d", false), 0);
    fake_clear();
    move(r, 3, 1, 0, 0);
    move(r, 3, 2, 0, 0);
    relay_tick(r, now_us + cfg.tick_us);
    assert_int_equal(relay_stats(r)->edges[0].conflated, 4);
    relay_shutdown(r, now_us);
    relay_destroy(r);
}

/* peer's state number seq at (x, y) with a payload of len bytes that
 * checks itself (stats/pattern.h, keyed by seq), on channel with flags. */
static int send_payload(struct relay *r, uint32_t peer, uint32_t seq, float x, size_t len,
                        uint8_t channel, uint32_t flags)
{
    struct proto_state s = { .seq = seq, .send_us = 1000 + seq, .x = x };
    uint8_t buf[PROTO_STATE_MAX];
    assert_true(len <= PROTO_PAYLOAD_MAX);
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    pattern_fill(seq, buf + PROTO_STATE_SIZE, len);
    return relay_on_datagram(r, peer, channel, flags, buf, PROTO_STATE_SIZE + len, now_us);
}

/* How many states peer got from relay id `from` with a payload of len
 * bytes intact (and none with another: that fails the test); the last
 * one's seq into *last. */
static size_t whole_from(uint32_t peer, uint32_t from, size_t len, uint32_t *last)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_states; i++) {
        struct proto_state s;
        const struct sent_state *st = &fk.states[i];
        if (st->peer != peer || proto_state_decode(st->bytes, st->len, &s) != PROTO_OK ||
            s.sender != from)
            continue;
        assert_int_equal(st->len, PROTO_STATE_SIZE + len);
        if (!pattern_ok(s.seq, st->bytes + PROTO_STATE_SIZE, len))
            fail_msg("state %u from %u to peer %u: its payload changed on the way",
                     (unsigned)s.seq, (unsigned)from, (unsigned)peer);
        *last = s.seq;
        n++;
    }
    return n;
}

/* A sender's state that grows within a world's tick takes its place in
 * the tick (its bytes moved to the arena's end); the states held beside
 * it, of a room on another tick, go out whole at theirs, and the grown
 * one whole at the world's. */
static void a_world_tick_keeps_grown_states_whole(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.tick_us = 2000;
    cfg.world_tick_us = 50000;
    struct relay *r = relay_with_peers(&cfg, 4);
    join_aoi(r, 0, "a", R); /* id 1 */
    join_aoi(r, 1, "b", R); /* id 2 */
    assert_int_equal(join(r, 2, "lobby", "d", false), 0); /* id 3 */
    assert_int_equal(join(r, 3, "lobby", "e", false), 0); /* id 4 */
    move(r, 0, 1, 0, 0);
    move(r, 1, 1, 3, 0);
    relay_tick(r, now_us + cfg.world_tick_us);
    fake_clear();
    uint32_t last = 0;
    assert_int_equal(send_payload(r, 0, 2, 0.1f, 8, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED),
                     0);
    assert_int_equal(send_payload(r, 2, 1, 5, 200, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED),
                     0);
    assert_int_equal(send_payload(r, 0, 3, 0.2f, 300, PROTO_CHANNEL_STATE,
                                  PROTO_FLAG_UNSEQUENCED), 0);
    relay_tick(r, now_us + cfg.tick_us); /* the lobby's tick, not the world's */
    assert_int_equal(whole_from(1, 1, 300, &last), 0);
    assert_int_equal(whole_from(3, 3, 200, &last), 1);
    relay_tick(r, now_us + cfg.world_tick_us);
    assert_int_equal(whole_from(1, 1, 300, &last), 1);
    assert_int_equal(last, 3);
    relay_destroy(r);
}

/* A world's tick holds at most TICK_ARENA bytes: a tick of big states
 * past it goes out early, whole and in order, and nothing is lost; each
 * sender's newest state still goes out (at the tick's end), though an
 * older one of the same tick may have gone before it. */
static void a_full_tick_fans_out_early_and_keeps_the_newest(void **state)
{
    (void)state;
    enum { BIG = PROTO_PAYLOAD_MAX, RELIABLE_N = 300 };
    struct relay_config cfg = small_config();
    cfg.tick_us = 2000;
    cfg.world_tick_us = 50000;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay *r = relay_with_peers(&cfg, 3);
    join_aoi(r, 0, "a", R); /* id 1 */
    join_aoi(r, 1, "b", R); /* id 2 */
    join_aoi(r, 2, "c", R); /* id 3 */
    move(r, 0, 1, 0, 0);
    move(r, 1, 1, 3, 0);
    move(r, 2, 1, 1, 0);
    relay_tick(r, now_us + cfg.world_tick_us);
    fake_clear();
    uint32_t last = 0;
    assert_int_equal(send_payload(r, 2, 2, 1, BIG, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED),
                     0);
    /* c's reliable states are never conflated: they fill the tick's bytes. */
    for (uint32_t i = 0; i < RELIABLE_N; i++)
        assert_int_equal(send_payload(r, 0, 2 + i, 0, BIG, PROTO_CHANNEL_RELIABLE,
                                      PROTO_FLAG_RELIABLE), 0);
    assert_true(fk.n_states > 0); /* the tick was full: out early */
    assert_int_equal(whole_from(1, 3, BIG, &last), 1);
    assert_int_equal(send_payload(r, 2, 3, 1, BIG, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED),
                     0);
    relay_tick(r, now_us + cfg.world_tick_us);
    assert_int_equal(whole_from(1, 1, BIG, &last), RELIABLE_N);
    assert_int_equal(last, 1 + RELIABLE_N);
    assert_int_equal(whole_from(1, 3, BIG, &last), 2);
    assert_int_equal(last, 3); /* the newest, last */
    relay_destroy(r);
}

/* A world's receivers fan out in groups, each at its own phase of the
 * world's tick (a group every 5 ms: 10 of them for 50 ms; the handles of
 * one word of the sight bitsets, handle / 64, are one group), as rooms'
 * ticks are staggered, instead of the whole world at the tick's end. Each
 * receiver still gets each sender's newest state once a tick, in one
 * fan-out, at its group's phase; a fan-out sends to one group; and every
 * state sent before a group's phase reaches it then, so none waits more
 * than a tick. */
static void a_world_fans_out_a_group_at_a_time(void **state)
{
    (void)state;
    enum { GROUPS = 10, TICK = 50000, STEP = TICK / GROUPS, SEND_EVERY = 20000 };
    struct relay_config cfg = small_config();
    cfg.peer_cap = 64 * GROUPS + 1;
    cfg.tick_us = 2000;
    cfg.world_tick_us = TICK;
    struct relay *r = make_relay(&cfg);
    uint32_t rcv[GROUPS]; /* receiver g: handle 64 g + 1, of group g */
    connect_peer(r, 0);
    join_aoi(r, 0, "s", R); /* the sender, id 1 */
    for (uint32_t g = 0; g < GROUPS; g++) {
        rcv[g] = 64 * g + 1;
        connect_peer(r, rcv[g]);
        char name[8];
        snprintf(name, sizeof name, "r%u", (unsigned)g);
        join_aoi(r, rcv[g], name, R);
        move(r, rcv[g], 1, 0.1f * (float)g, 1);
    }
    move(r, 0, 1, 0, 0);
    now_us = now_us - now_us % TICK + TICK; /* group 0's phase */
    relay_tick(r, now_us);
    for (int ms = 0; ms < 100; ms++) {
        now_us += 1000;
        relay_tick(r, now_us);
    }
    fake_clear();
    /* The sender moves every 20 ms, 2.5 times a tick, for six ticks; the
     * relay ticks every millisecond. sent[k]: when seq k + 2 was sent. */
    uint64_t sent[16];
    uint32_t seq = 2, nsent = 0;
    uint64_t start = now_us;
    for (uint64_t t = 0; t < 6 * TICK; t += 1000) {
        now_us = start + t;
        if (t % SEND_EVERY == 0) {
            sent[nsent++] = now_us;
            assert_int_equal(move(r, 0, seq++, 0.01f * (float)nsent, 0), 0);
        }
        relay_tick(r, now_us);
    }
    /* One group a fan-out. */
    for (size_t i = 1; i < fk.n_states; i++)
        if (fk.states[i].call == fk.states[i - 1].call)
            assert_int_equal(fk.states[i].peer / 64, fk.states[i - 1].peer / 64);
    for (uint32_t g = 0; g < GROUPS; g++) {
        uint64_t last = 0;
        size_t got = 0;
        for (size_t i = 0; i < fk.n_states; i++) {
            const struct sent_state *st = &fk.states[i];
            struct proto_state ps;
            if (st->peer != rcv[g] ||
                proto_state_decode(st->bytes, st->len, &ps) != PROTO_OK || ps.sender != 1)
                continue;
            /* at its group's phase, once a tick */
            assert_int_equal(st->at_us % TICK, (uint64_t)g * STEP);
            assert_true(last == 0 || st->at_us - last == TICK);
            /* the newest sent before it (a state sent at the phase itself
             * is the next one's) */
            uint32_t newest = 0;
            for (uint32_t k = 0; k < nsent; k++)
                if (sent[k] < st->at_us)
                    newest = k + 2;
            assert_int_equal(ps.seq, newest);
            last = st->at_us;
            got++;
        }
        assert_true(got >= 5); /* every tick of the six but maybe the first */
        /* and the last state sent reached it within a tick */
        assert_true(last + TICK > sent[nsent - 1]);
    }
    relay_shutdown(r, now_us);
    relay_destroy(r);
}

static void room_without_interest_holds_a_roster(void **state)
{
    (void)state;
    enum { N = PROTO_ROSTER_MAX + 2 };
    struct relay_config cfg = small_config();
    cfg.peer_cap = N + 4;
    cfg.max_clients = N;
    cfg.max_room_size = N;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay *r = relay_with_peers(&cfg, N);
    char name[16];
    for (uint32_t i = 0; i < PROTO_ROSTER_MAX; i++) {
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        fake_clear(); /* each join tells everyone: keep the record short */
        assert_int_equal(join(r, i, "lobby", name, false), 0);
    }
    /* Everyone lists everyone there: a welcome's roster is the most. */
    assert_int_equal(join(r, PROTO_ROSTER_MAX, "lobby", "late", false),
                     DROP(RELAY_DROP_ROOM_FULL));
    /* With interest, --max-room-size is the bound. */
    for (uint32_t i = 0; i < PROTO_ROSTER_MAX; i++) {
        fake_clear();
        relay_peer_gone(r, i, PROTO_LEFT_QUIT, now_us);
        connect_peer(r, i);
    }
    for (uint32_t i = 0; i < N; i++) {
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        assert_int_equal(join_aoi(r, i, name, R), 0);
    }
    assert_int_equal(relay_room_size(r, "world"), N);
    relay_destroy(r); /* members and grid freed with it (ASan) */
}

static void radius_out_of_range_refused(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"room\":\"w\",\"name\":\"a\","
                                     "\"version\":2,\"aoi\":-1}"),
                     DROP(RELAY_DROP_BAD_FIELD));
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"room\":\"w\",\"name\":\"a\","
                                     "\"version\":2,\"aoi\":\"far\"}"),
                     DROP(RELAY_DROP_BAD_FIELD));
    assert_int_equal(relay_rooms(r), 0);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(welcome_has_radius_and_no_roster),
        cmocka_unit_test(enter_at_radius_leave_beyond_hysteresis),
        cmocka_unit_test(states_go_to_those_in_sight_only),
        cmocka_unit_test(notices_go_to_those_in_sight),
        cmocka_unit_test(a_creators_heir_hears_of_its_leave_out_of_sight),
        cmocka_unit_test(held_states_go_to_those_in_sight),
        cmocka_unit_test(a_world_tick_sends_each_senders_newest),
        cmocka_unit_test(a_world_tick_keeps_grown_states_whole),
        cmocka_unit_test(a_full_tick_fans_out_early_and_keeps_the_newest),
        cmocka_unit_test(a_world_fans_out_a_group_at_a_time),
        cmocka_unit_test(room_without_interest_holds_a_roster),
        cmocka_unit_test(radius_out_of_range_refused),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
