/* test_e2e_interest.c: a room with interest against the real relay on
 * 127.0.0.1, through the public library, on both transports: three members
 * of one world, two near each other and one far away. The near ones appear
 * to each other and get each other's states; the far one gets nothing and
 * sends to no one; when one walks away both see it vanish and its states
 * stop. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/lib/ricochet.h"
#include "tests/support/harness.h"

#define RADIUS 10.0f
#define N 3

struct world {
    struct ricochet *c[N];
    uint32_t id[N];
    float x[N], y[N];
    uint32_t seq[N];
    uint64_t states[N][N];   /* [receiver][sender] */
    unsigned appeared[N][N]; /* [receiver][sender] */
    unsigned vanished[N][N];
};

static int index_of(const struct world *w, uint32_t id)
{
    for (int i = 0; i < N; i++)
        if (w->id[i] == id)
            return i;
    return -1;
}

static void on_event(struct world *w, int i, const struct ricochet_event *ev)
{
    int from = index_of(w, ev->id);
    switch (ev->type) {
    case RICOCHET_EV_WELCOME: w->id[i] = ev->id; break;
    case RICOCHET_EV_STATE: if (from >= 0) w->states[i][from]++; break;
    case RICOCHET_EV_APPEARED: if (from >= 0) w->appeared[i][from]++; break;
    case RICOCHET_EV_VANISHED: if (from >= 0) w->vanished[i][from]++; break;
    default: break;
    }
}

/* Every member sends its position every 20 ms and everyone polls, for ms. */
static void run_for(struct world *w, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < end) {
        for (int i = 0; i < N; i++) {
            if (w->id[i]) {
                struct ricochet_state s = { .x = w->x[i], .y = w->y[i] };
                ricochet_send_state(w->c[i], &s);
            }
        }
        uint64_t until = clock_now_ms() + 20;
        while (clock_now_ms() < until) {
            struct ricochet_event ev;
            for (int i = 0; i < N; i++)
                while (ricochet_poll(w->c[i], 0, &ev) == 1)
                    on_event(w, i, &ev);
            clock_sleep_ms(2);
        }
    }
}

static struct ricochet *member(uint16_t port, const char *name, enum ricochet_mode mode)
{
    char err[256];
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "world"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, name), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, mode), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_aoi(cfg, RADIUS), RICOCHET_OK);
    struct ricochet *c = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!c)
        fail_msg("connect: %s", err);
    return c;
}

static void world_of_three(enum ricochet_mode mode)
{
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", "--transport",
                           mode == RICOCHET_MODE_UDP ? "udp" : "enet", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct world w;
    memset(&w, 0, sizeof w);
    const char *names[N] = { "near1", "near2", "far" };
    const float x[N] = { 0, 5, 60 }, y[N] = { 0, 0, 60 };
    for (int i = 0; i < N; i++) {
        w.c[i] = member((uint16_t)port, names[i], mode);
        w.x[i] = x[i];
        w.y[i] = y[i];
    }
    run_for(&w, 600);
    for (int i = 0; i < N; i++)
        assert_true(w.id[i] != 0);
    assert_true(ricochet_room_aoi(w.c[0]) == RADIUS);

    /* The near ones see each other; the far one sees no one and no one it. */
    assert_int_equal(w.appeared[0][1], 1);
    assert_int_equal(w.appeared[1][0], 1);
    assert_true(w.states[0][1] > 5 && w.states[1][0] > 5);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(w.states[i][2], 0);
        assert_int_equal(w.states[2][i], 0);
        assert_int_equal(w.appeared[2][i] + w.appeared[i][2], 0);
    }
    struct ricochet_member list[4];
    assert_int_equal(ricochet_members(w.c[0], list, 4), 1);
    assert_int_equal(ricochet_members(w.c[2], list, 4), 0);

    /* near2 walks away, beyond the leave radius: both see the other vanish,
     * and its states stop. */
    w.x[1] = 5 + RADIUS * 1.5f;
    run_for(&w, 300);
    assert_int_equal(w.vanished[0][1], 1);
    assert_int_equal(w.vanished[1][0], 1);
    uint64_t got = w.states[0][1];
    run_for(&w, 200);
    assert_int_equal(w.states[0][1], got);
    assert_int_equal(ricochet_members(w.c[0], list, 4), 0);

    for (int i = 0; i < N; i++)
        ricochet_close(w.c[i]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static void world_over_enet(void **state)
{
    (void)state;
    world_of_three(RICOCHET_MODE_UNSEQUENCED);
}

static void world_over_udp(void **state)
{
    (void)state;
    world_of_three(RICOCHET_MODE_UDP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(world_over_enet),
        cmocka_unit_test(world_over_udp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
