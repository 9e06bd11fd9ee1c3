/* test_client_lockstep.c: libricochet's side of a lockstep room
 * (client_lockstep.c): after a `late` its aim goes a tick further, and the
 * tick its aim so steps over gets the game's next input too, in the same
 * inputs message, so no tick of a game that sends at its aim goes without
 * one; so do the ticks its aim steps over when its clock to the relay's
 * moves (the first pong after a welcome late by its way here); a tick the
 * game itself leaves out stays out. */
/* Sessions are detached (client_test.h): the test plays the relay, on a
 * 10 Hz room whose welcome came now, so the tick stays put for 100 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/client.h"
#include "client/lib/client_test.h"
#include "client/lib/ricochet.h"
#include "proto/lockstep.h"
#include "proto/mode.h"

#define WELCOME_TICK 100
#define DELAY 3

static struct ricochet *welcomed(void)
{
    struct ricochet_config *cfg = ricochet_config_new();
    char err[200];
    assert_int_equal(ricochet_config_set_relay(cfg, "relay.example", 7000), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "rts"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, "me"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, RICOCHET_MODE_UDP), RICOCHET_OK);
    struct ricochet *r = client_connect_detached(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    assert_non_null(r);
    char welcome[1024];
    snprintf(welcome, sizeof welcome,
             "{\"type\":\"welcome\",\"id\":1,\"room\":\"rts\",\"key\":"
             "\"0123456789abcdef0123456789abcdef\",\"player\":\"1111111111111111\","
             "\"roster\":[],\"lockstep\":{\"hz\":10,\"delay\":%d,\"slots\":2,\"input_max\":4,"
             "\"stand_in\":\"last\",\"check_every\":0,\"spectator_delay\":20,"
             "\"start_us\":1000,\"tick\":%d,\"slot\":0,\"players\":[\"1111111111111111\",\"\"],"
             "\"kept\":0}}",
             DELAY, WELCOME_TICK);
    struct ricochet_event ev;
    assert_int_equal(client_receive(r, PROTO_CHANNEL_DATAGRAM, 0, (const uint8_t *)welcome,
                                    strlen(welcome), ricochet_now_us(), &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    assert_int_equal(ricochet_lockstep_tick(r), WELCOME_TICK);
    return r;
}

/* The last inputs message r sent: its first tick and count, the input
 * bytes' first byte of each into firsts. */
static void last_inputs(struct ricochet *r, uint32_t *first, uint32_t *count, uint8_t *firsts)
{
    uint8_t buf[1500];
    size_t n = client_last_state(r, buf, sizeof buf);
    struct proto_inputs in;
    assert_int_equal(proto_inputs_decode(buf, n, 4, &in), PROTO_OK);
    *first = in.first;
    *count = in.count;
    size_t at = PROTO_LOCKSTEP_HEAD, len;
    const uint8_t *d;
    for (uint32_t i = 0; proto_inputs_next(&in, &at, &d, &len); i++)
        firsts[i] = len ? d[0] : 0;
}

/* Waits (a tick at most: 100 ms) for the tick after `tick`. */
static void next_tick(struct ricochet *r, uint32_t tick)
{
    uint64_t until = ricochet_now_us() + 500000;
    while (ricochet_lockstep_tick(r) == tick && ricochet_now_us() < until)
        usleep(1000);
    if (ricochet_lockstep_tick(r) != tick + 1)
        skip(); /* stalled a whole tick (load): no step to look at */
}

static void the_tick_a_late_steps_over_gets_an_input(void **state)
{
    (void)state;
    struct ricochet *r = welcomed();
    uint32_t a = ricochet_lockstep_aim(r);
    assert_int_equal(a, WELCOME_TICK + DELAY);
    const uint8_t one = 1, two = 2;
    assert_int_equal(ricochet_send_input(r, a, &one, 1), RICOCHET_OK);
    /* late: from now on the aim is a tick further */
    const char *late = "{\"type\":\"late\",\"tick\":95,\"by_us\":20000,\"count\":1}";
    struct ricochet_event ev;
    assert_int_equal(client_receive(r, PROTO_CHANNEL_DATAGRAM, 0, (const uint8_t *)late,
                                    strlen(late), ricochet_now_us(), &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_LATE);
    /* the game sends at its aim once a tick: the next tick's aim is two on */
    next_tick(r, WELCOME_TICK);
    uint32_t t = ricochet_lockstep_aim(r);
    assert_int_equal(t, a + 2);
    assert_int_equal(ricochet_send_input(r, t, &two, 1), RICOCHET_OK);
    uint32_t first, count;
    uint8_t firsts[64];
    last_inputs(r, &first, &count, firsts);
    assert_int_equal(first, a); /* one run: a, the tick stepped over, t */
    assert_int_equal(count, 3);
    assert_int_equal(firsts[0], 1);
    assert_int_equal(firsts[1], 2); /* the input that came after it */
    assert_int_equal(firsts[2], 2);
    ricochet_close(r);
}

static void the_ticks_a_clock_steps_over_get_an_input(void **state)
{
    (void)state;
    struct ricochet *r = welcomed();
    uint32_t a = ricochet_lockstep_aim(r);
    const uint8_t one = 1, two = 2;
    assert_int_equal(ricochet_send_input(r, a, &one, 1), RICOCHET_OK);
    /* the first pong: the relay is 3 ticks on from what the welcome said
     * (it took 300 ms to come), half a tick into tick 103 (start_us 1000) */
    uint64_t now = ricochet_now_us();
    char pong[128];
    snprintf(pong, sizeof pong, "{\"type\":\"pong\",\"t\":%llu,\"relay_t\":%d}",
             (unsigned long long)now, 1000 + (WELCOME_TICK + 3) * 100000 + 50000);
    struct ricochet_event ev;
    assert_int_equal(client_receive(r, PROTO_CHANNEL_DATAGRAM, 0, (const uint8_t *)pong,
                                    strlen(pong), now, &ev), 0);
    uint32_t t = ricochet_lockstep_aim(r);
    if (t != a + 3)
        skip(); /* stalled half a tick (load): the aim moved on by itself too */
    assert_int_equal(ricochet_send_input(r, t, &two, 1), RICOCHET_OK);
    uint32_t first, count;
    uint8_t firsts[64];
    last_inputs(r, &first, &count, firsts);
    assert_int_equal(first, a); /* one run: a, the two ticks stepped over, t */
    assert_int_equal(count, 4);
    assert_int_equal(firsts[0], 1);
    assert_int_equal(firsts[1], 2);
    assert_int_equal(firsts[2], 2);
    assert_int_equal(firsts[3], 2);
    ricochet_close(r);
}

static void a_tick_the_game_leaves_out_stays_out(void **state)
{
    (void)state;
    struct ricochet *r = welcomed();
    uint32_t a = ricochet_lockstep_aim(r);
    const uint8_t one = 1, two = 2;
    assert_int_equal(ricochet_send_input(r, a, &one, 1), RICOCHET_OK);
    assert_int_equal(ricochet_send_input(r, a + 2, &two, 1), RICOCHET_OK);
    uint32_t first, count;
    uint8_t firsts[64];
    last_inputs(r, &first, &count, firsts); /* runs go in tick order: a's, then a + 2's */
    assert_int_equal(first, a + 2);
    assert_int_equal(count, 1);
    ricochet_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_tick_a_late_steps_over_gets_an_input),
        cmocka_unit_test(the_ticks_a_clock_steps_over_get_an_input),
        cmocka_unit_test(a_tick_the_game_leaves_out_stays_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
