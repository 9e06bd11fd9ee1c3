/* test_e2e_swarm.c: the swarm driver against a real relay over both
 * transports: each client hears exactly its room, every state once, on the
 * intended schedule. */
/* The swarm driver (client/swarm/swarm.c) against a real relay on
 * 127.0.0.1, both transports: clients in rooms hear exactly their room,
 * every state sent is received by every other member once, the schedule
 * is the intended one, and names and rooms follow the slice (first).
 * ENet clients share hosts per_host at a time (one local port each host),
 * udp clients never. Clients the test made itself join the swarm
 * (swarm_adopt) with modes and rates of their own. A swarm waiting for
 * something else keeps its clients alive (swarm_wait_readable). With a
 * tick, ENet clients on a wire hub send together at each tick, stamped
 * with their intended times and in order, and the swarm sleeps once a
 * tick, not once a send or a datagram, and polls a client's timers
 * when they have work, not at every pass; the clients keep no statistics
 * per member (the caller keeps them). Where
 * every state is counted, the relay runs with --stale-ms 0 (on a loaded
 * host it may fall behind, and by default it then sheds unreliable states
 * as stale) and the drain lasts until all have arrived (at most 5 s).
 * A swarm of one client whose connect was refused makes it again (that
 * every client failed once proves nothing: a relay may start there); if
 * it cannot (no descriptor left), the wait says why, the caller is told
 * the old client is gone, and the swarm answers for a client i it lacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/swarm/swarm.h"
#include "lab/harness/freeport.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define N 7 /* rooms of 3: 3 + 3 + 1 */
#define RATE 50.0
#define SEND_US 400000

struct seen {
    uint64_t sent[N];
    uint64_t from[N][N]; /* [receiver][sender index] */
    uint64_t bad_time;   /* a send not on the intended schedule */
    uint64_t t0;
    size_t made;         /* clients 0..made-1 made by the swarm, the rest adopted */
    uint64_t period[N];  /* each client's, µs */
    struct swarm *sw;
};

static void on_sent(void *ctx, size_t i, uint64_t t_us, bool ok)
{
    struct seen *s = ctx;
    assert_true(ok);
    /* made client i's k-th state is intended for t0 + period * i / made +
     * k * period, an adopted one's for t0 + k * its period */
    uint64_t period = s->period[i], phase = i < s->made ? period * i / s->made : 0;
    if ((t_us - s->t0 - phase) % period != 0)
        s->bad_time++;
    s->sent[i]++;
}

static void on_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct seen *s = ctx;
    if (ev->type != RICOCHET_EV_STATE)
        return;
    for (size_t j = 0; j < swarm_size(s->sw); j++)
        if (ricochet_id(swarm_client(s->sw, j)) == ev->id)
            s->from[i][j]++;
}

/* Has every client heard every state sent by each other member of its
 * room (one_room: by every other client)? */
static bool heard_all(const struct seen *s, size_t n, bool one_room)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && (one_room || swarm_room_of(s->sw, i) == swarm_room_of(s->sw, j)) &&
                s->from[i][j] < s->sent[j])
                return false;
    return true;
}

/* Drains 300 ms (what is on its way, strays included), then on until
 * heard_all or 5 s: on a loaded host a state may take longer. */
static void drain_heard(struct seen *s, size_t n, bool one_room)
{
    uint64_t start = clock_now_us();
    swarm_drain(s->sw, start + 300000);
    while (!heard_all(s, n, one_room) && clock_now_us() < start + 5000000)
        swarm_drain(s->sw, clock_now_us() + 20000);
}

static uint16_t local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

/* Clients i and j share a socket exactly when both are ENet clients of the
 * same block of per_host. */
static void check_sockets(const struct swarm *sw, size_t per_host, bool enet)
{
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < N; j++) {
            int fi = ricochet_fd(swarm_client(sw, i));
            int fj = ricochet_fd(swarm_client(sw, j));
            bool shared = enet && per_host > 1 && i / per_host == j / per_host;
            assert_int_equal(fi == fj, i == j || shared);
            assert_int_equal(local_port(fi) == local_port(fj), i == j || shared);
        }
    }
}

static void swarm_session(const char *transport, enum proto_mode mode, size_t per_host)
{
    struct spawn_proc relay;
    const char *args[] = {"--transport", transport, "--max-per-address", "0", "--stale-ms", "0",
                          NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct seen s;
    memset(&s, 0, sizeof s);
    s.made = N;
    for (size_t i = 0; i < N; i++)
        s.period[i] = (uint64_t)(1e6 / RATE);
    struct swarm_config cfg = {.host = "127.0.0.1", .port = (uint16_t)port, .clients = N,
                               .first = 3, .room_size = 3, .room = "r", .name = "sw",
                               .mode = mode, .timeout_ms = 5000, .rate_hz = RATE,
                               .per_host = per_host};
    struct swarm_hooks hooks = {.ctx = &s, .sent = on_sent, .event = on_event};
    char err[256];
    s.sw = swarm_create(&cfg, &hooks, err, sizeof err);
    assert_non_null(s.sw);
    /* first = 3: clients are sw-4.. and rooms start at r-2 (3 / 3 + 1) */
    assert_string_equal(swarm_name(s.sw, 0), "sw-4");
    assert_int_equal(swarm_room_of(s.sw, 0), 1);
    assert_int_equal(swarm_room_of(s.sw, 6), 3);
    assert_int_equal(swarm_room_members(s.sw, 0), 3);
    assert_int_equal(swarm_room_members(s.sw, 6), 1); /* the last room: 1 member */
    check_sockets(s.sw, per_host ? per_host : SWARM_PER_HOST, proto_mode_info(mode)->enet);
    assert_int_equal(swarm_wait_ready(s.sw, true, clock_now_us() + 10000000, NULL, err,
                                      sizeof err), 0);
    s.t0 = clock_now_us() + 10000;
    swarm_schedule(s.sw, s.t0);
    uint64_t end = s.t0 + SEND_US;
    /* A stall of 2.5 periods a third of the way in (a descheduled
     * generator): the late states go out with their intended times and
     * none is skipped or left behind at the end. */
    uint64_t period = (uint64_t)(1e6 / RATE);
    bool stalled = false;
    while (swarm_step(s.sw, end) != UINT64_MAX) {
        if (!stalled && clock_now_us() > s.t0 + SEND_US / 3) {
            clock_sleep_until_us(clock_now_us() + period * 5 / 2);
            stalled = true;
        }
    }
    drain_heard(&s, N, false);

    assert_int_equal(s.bad_time, 0);
    uint64_t expected = 0;
    for (size_t i = 0; i < N; i++) {
        /* every intended time t0 + phase + k * period before end, exactly */
        uint64_t phase = period * i / N, slots = (SEND_US - phase + period - 1) / period;
        assert_int_equal(s.sent[i], slots);
        for (size_t j = 0; j < N; j++) {
            bool same_room = swarm_room_of(s.sw, i) == swarm_room_of(s.sw, j);
            /* loopback loses nothing: all of the room's states, none of others' */
            assert_int_equal(s.from[i][j], same_room && i != j ? s.sent[j] : 0);
            if (same_room && i != j)
                expected += s.sent[j];
        }
    }
    const struct swarm_stats *st = swarm_stats(s.sw);
    assert_int_equal(st->received, expected);
    assert_int_equal(swarm_alive(s.sw), N);
    struct client_netinfo wire;
    swarm_wire(s.sw, &wire);
    assert_true(wire.datagrams_sent >= st->sent); /* hubs' counts included */
    assert_true(wire.datagrams_received > 0);
    swarm_destroy(s.sw);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
}

static void swarm_enet(void **state)
{
    (void)state;
    swarm_session("enet", PROTO_MODE_UNSEQUENCED, 0); /* one hub (SWARM_PER_HOST) */
}

static void swarm_enet_hubs(void **state)
{
    (void)state;
    swarm_session("enet", PROTO_MODE_UNSEQUENCED, 3); /* 3 hubs, the last holds 1 */
}

static void swarm_enet_own_hosts(void **state)
{
    (void)state;
    swarm_session("enet", PROTO_MODE_UNSEQUENCED, 1);
}

static void swarm_udp(void **state)
{
    (void)state;
    swarm_session("udp", PROTO_MODE_UDP, 0);
}

/* made clients of the swarm, then three the test made (its own modes, one
 * room "a"), adopted at 20 Hz, 0 (it only listens) and 40 Hz: each sends
 * on its own schedule and hears every other. ASan sees the swarm free them. */
static void adopted_session(size_t made)
{
    struct spawn_proc relay;
    const char *args[] = {"--stale-ms", "0", NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct seen s;
    memset(&s, 0, sizeof s);
    s.made = made;
    struct swarm_config cfg = {.host = "127.0.0.1", .port = (uint16_t)port, .clients = made,
                               .room = "a", .name = "made", .mode = PROTO_MODE_SEQUENCED,
                               .timeout_ms = 5000, .rate_hz = RATE};
    struct swarm_hooks hooks = {.ctx = &s, .sent = on_sent, .event = on_event};
    char err[256];
    s.sw = swarm_create(&cfg, &hooks, err, sizeof err);
    assert_non_null(s.sw);
    const enum proto_mode modes[] = {PROTO_MODE_RELIABLE, PROTO_MODE_UNSEQUENCED,
                                     PROTO_MODE_SEQUENCED};
    const double rates[] = {20.0, 0.0, 40.0};
    for (size_t i = 0; i < made; i++)
        s.period[i] = (uint64_t)(1e6 / RATE);
    for (size_t a = 0; a < 3; a++) {
        char name[16];
        snprintf(name, sizeof name, "own-%zu", a);
        struct ricochet *c = harness_client((uint16_t)port, "a", name, modes[a], false);
        assert_int_equal(swarm_adopt(s.sw, c, name, rates[a], err, sizeof err), 0);
        s.period[made + a] = rates[a] > 0 ? (uint64_t)(1e6 / rates[a]) : 0;
        assert_int_equal(swarm_size(s.sw), made + a + 1);
        assert_ptr_equal(swarm_client(s.sw, made + a), c);
        assert_string_equal(swarm_name(s.sw, made + a), name);
        assert_int_equal(swarm_mode(s.sw, made + a), modes[a]);
        assert_int_equal(swarm_room_of(s.sw, made + a), SIZE_MAX);
    }
    size_t n = made + 3;
    assert_int_equal(swarm_wait_ready(s.sw, true, clock_now_us() + 10000000, NULL, err,
                                      sizeof err), 0);
    /* every one sees the whole room before anything is sent */
    uint64_t by = clock_now_us() + 5000000;
    for (size_t i = 0; i < n; i++) {
        size_t members;
        while (client_members(swarm_client(s.sw, i), &members), members < n - 1 &&
               clock_now_us() < by)
            swarm_service(s.sw, 1000);
        assert_int_equal(members, n - 1);
    }
    s.t0 = clock_now_us() + 10000;
    swarm_schedule(s.sw, s.t0);
    uint64_t end = s.t0 + SEND_US;
    while (swarm_step(s.sw, end) != UINT64_MAX)
        ;
    drain_heard(&s, n, true);

    assert_int_equal(s.bad_time, 0);
    uint64_t expected = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t p = s.period[i], phase = i < made ? p * i / made : 0;
        assert_int_equal(s.sent[i], p ? (SEND_US - phase + p - 1) / p : 0);
        for (size_t j = 0; j < n; j++) {
            /* loopback loses nothing, whatever the modes */
            assert_int_equal(s.from[i][j], i != j ? s.sent[j] : 0);
            expected += i != j ? s.sent[j] : 0;
        }
    }
    assert_int_equal(swarm_stats(s.sw)->received, expected);
    assert_int_equal(swarm_alive(s.sw), n);
    swarm_destroy(s.sw);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
}

static void swarm_adopted_after_made(void **state)
{
    (void)state;
    adopted_session(2);
}

static void swarm_adopted_only(void **state)
{
    (void)state;
    adopted_session(0);
}

#define TICKED 16       /* clients on one wire hub, rooms of 4 */
#define TICK_US 4000    /* the swarm's tick (send_grain_us) */
#define POLL_EVERY_US 40000 /* a client's timers polled this often at most, on average */

struct ticked {
    uint64_t t0, period, sent[TICKED], from[TICKED][TICKED];
    uint32_t last_seq[TICKED][TICKED];
    uint64_t bad_stamp, reordered;
    struct swarm *sw;
};

/* Is t client j's intended time t0 + period * j / TICKED + k * period? */
static bool intended(const struct ticked *s, size_t j, uint64_t t)
{
    uint64_t phase = s->period * j / TICKED;
    return t >= s->t0 + phase && (t - s->t0 - phase) % s->period == 0;
}

static void ticked_sent(void *ctx, size_t i, uint64_t t_us, bool ok)
{
    struct ticked *s = ctx;
    assert_true(ok);
    s->bad_stamp += !intended(s, i, t_us);
    s->sent[i]++;
}

/* Each state as the receiver got it: stamped with its intended time, and
 * after every earlier one of its sender. */
static void ticked_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct ticked *s = ctx;
    if (ev->type != RICOCHET_EV_STATE || ev->id == ricochet_id(swarm_client(s->sw, i)))
        return;
    for (size_t j = 0; j < TICKED; j++) {
        if (ricochet_id(swarm_client(s->sw, j)) != ev->id)
            continue;
        s->bad_stamp += !intended(s, j, ev->state.send_us);
        s->reordered += s->from[i][j] && ev->state.seq <= s->last_seq[i][j];
        s->last_seq[i][j] = ev->state.seq;
        s->from[i][j]++;
    }
}

/* ENet clients on a wire hub with a tick: the sends due by a tick leave
 * together at it, each stamped with its intended time, none reordered
 * within its sender, every one delivered; and the swarm sleeps once a
 * tick (data waits for it: the kernel stamps each arrival), where before
 * every datagram from the relay woke it besides. */
static void swarm_ticks(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--max-per-address", "0", "--stale-ms", "0", NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct ticked s;
    memset(&s, 0, sizeof s);
    s.period = (uint64_t)(1e6 / RATE);
    struct swarm_config cfg = {.host = "127.0.0.1", .port = (uint16_t)port, .clients = TICKED,
                               .room_size = 4, .room = "t", .name = "tk",
                               .mode = PROTO_MODE_UNSEQUENCED, .timeout_ms = 5000,
                               .rate_hz = RATE, .wire_hubs = true, .send_grain_us = TICK_US};
    struct swarm_hooks hooks = {.ctx = &s, .sent = ticked_sent, .event = ticked_event};
    char err[256];
    s.sw = swarm_create(&cfg, &hooks, err, sizeof err);
    assert_non_null(s.sw);
    assert_int_equal(swarm_wait_ready(s.sw, true, clock_now_us() + 10000000, NULL, err,
                                      sizeof err), 0);
    s.t0 = clock_now_us() + 10000;
    swarm_schedule(s.sw, s.t0);
    uint64_t wakes0 = swarm_stats(s.sw)->wakes, start = clock_now_us();
    uint64_t polls0 = swarm_stats(s.sw)->polls;
    while (swarm_step(s.sw, s.t0 + SEND_US) != UINT64_MAX)
        ;
    uint64_t wakes = swarm_stats(s.sw)->wakes - wakes0, ticks = (clock_now_us() - start) / TICK_US;
    uint64_t polls = swarm_stats(s.sw)->polls - polls0, lasted = clock_now_us() - start;
    uint64_t by = clock_now_us() + 5000000, expected = 0, got = 0;
    do {
        swarm_drain(s.sw, clock_now_us() + 20000);
        expected = got = 0;
        for (size_t i = 0; i < TICKED; i++)
            for (size_t j = 0; j < TICKED; j++)
                if (i != j && i / 4 == j / 4) {
                    expected += s.sent[j];
                    got += s.from[i][j];
                }
    } while (got < expected && clock_now_us() < by);

    assert_int_equal(s.bad_stamp, 0);
    assert_int_equal(s.reordered, 0);
    assert_int_equal(got, expected);
    assert_int_equal(swarm_stats(s.sw)->received, expected);
    for (size_t i = 0; i < TICKED; i++) {
        uint64_t phase = s.period * i / TICKED;
        assert_int_equal(s.sent[i], (SEND_US - phase + s.period - 1) / s.period);
    }
    /* one sleep a tick, not one a send or a datagram (a late wake-up only
     * makes fewer) */
    assert_true(wakes < swarm_stats(s.sw)->sent);
    assert_true(wakes <= ticks + 2);
    /* a client's timers are polled when they have work (its clock pings
     * every 75-125 ms now; 250 ms at most between), not at every pass (5 ms) */
    assert_true(polls <= TICKED * (lasted / POLL_EVERY_US + 2));
    /* each state counted once: by the caller, not again per member */
    struct ricochet_member mem[4];
    size_t listed = ricochet_members(swarm_client(s.sw, 0), mem, 4);
    assert_true(listed == 3);
    for (size_t k = 0; k < listed; k++)
        assert_int_equal(mem[k].stats.received, 0);
    swarm_destroy(s.sw);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
}

#define QUIET_RELAY_MS "1500" /* the relay's --timeout-ms */
#define WAIT_S 3                /* twice that: unserviced, every client is gone */

/* Clients joined, then WAIT_S of swarm_wait_readable on a timer (as a
 * generator waits for its start time): they are serviced all along, so the
 * relay (--timeout-ms 1500) times none out. Without the servicing, ENet's
 * peers miss the relay's pings and udp clients go silent: all gone. */
static void wait_readable_session(const char *transport, enum proto_mode mode)
{
    struct spawn_proc relay;
    const char *args[] = {"--transport", transport, "--timeout-ms", QUIET_RELAY_MS, NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct swarm_config cfg = {.host = "127.0.0.1", .port = (uint16_t)port, .clients = 3,
                               .room = "w", .name = "w", .mode = mode, .timeout_ms = 5000,
                               .rate_hz = RATE};
    char err[256];
    struct swarm *sw = swarm_create(&cfg, NULL, err, sizeof err);
    assert_non_null(sw);
    assert_int_equal(swarm_wait_ready(sw, true, clock_now_us() + 10000000, NULL, err,
                                      sizeof err), 0);
    int never[2]; /* a pipe nobody writes: the deadline ends the wait */
    assert_int_equal(pipe(never), 0);
    uint64_t t = clock_now_us();
    assert_int_equal(swarm_wait_readable(sw, never[0], t + 100000, NULL), -1);
    assert_true(clock_now_us() >= t + 100000);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    assert_true(tfd >= 0);
    struct itimerspec its = {.it_value = {.tv_sec = WAIT_S}};
    assert_int_equal(timerfd_settime(tfd, 0, &its, NULL), 0);
    t = clock_now_us();
    assert_int_equal(swarm_wait_readable(sw, tfd, t + 20000000, NULL), 0);
    assert_true(clock_now_us() >= t + WAIT_S * 1000000u - 1000); /* the timer ended it */
    long long timeouts = harness_relay_stat(&relay, "timeouts");
    long long clients = harness_relay_stat(&relay, "clients");
    print_message("wait_readable %s: %d s waiting, relay --timeout-ms %s: clients %lld, "
                  "timeouts %lld\n", transport, WAIT_S, QUIET_RELAY_MS, clients, timeouts);
    assert_int_equal(timeouts, 0);
    assert_int_equal(clients, 3);
    assert_int_equal(swarm_alive(sw), 3);
    close(tfd);
    close(never[0]);
    close(never[1]);
    swarm_destroy(sw);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
}

static void swarm_wait_readable_enet(void **state)
{
    (void)state;
    wait_readable_session("enet", PROTO_MODE_RELIABLE);
}

static void swarm_wait_readable_udp(void **state)
{
    (void)state;
    wait_readable_session("udp", PROTO_MODE_UDP);
}

/* What hooks.created said of client 0 last, and how often. */
struct made {
    struct ricochet *c;
    int calls;
};

static void on_created(void *ctx, size_t i, struct ricochet *c)
{
    struct made *m = ctx;
    assert_int_equal(i, 0);
    m->c = c;
    m->calls++;
}

/* A swarm of one udp client (its own connected socket, retry_connects)
 * towards the free port *port, serviced until its connect is refused
 * (ICMP's port unreachable: at once, within 10 s on a busy machine). */
static struct swarm *lone_refused(uint16_t *port, struct made *made)
{
    char err[256];
    assert_int_equal(free_port(SOCK_DGRAM, port, err, sizeof err), 0);
    struct swarm_config cfg = {.host = "127.0.0.1", .port = *port, .clients = 1,
                               .room = "lone", .name = "lone", .mode = PROTO_MODE_UDP,
                               .timeout_ms = 5000, .rate_hz = RATE, .retry_connects = true};
    struct swarm_hooks hooks = {.ctx = made, .created = on_created};
    struct swarm *sw = swarm_create(&cfg, &hooks, err, sizeof err);
    assert_non_null(sw);
    assert_int_equal(made->calls, 1);
    for (uint64_t until = clock_now_us() + 10000000;
         !swarm_dead(sw, 0) && clock_now_us() < until;)
        swarm_service(sw, 1000);
    assert_true(swarm_dead(sw, 0));
    return sw;
}

/* A swarm of one client whose connect was refused: every client of the
 * swarm failed, once, which is no proof that nothing will answer there (a
 * relay starting, a burst lost). A relay started on that port meanwhile,
 * the wait makes the client again and it joins. */
static void swarm_lone_client_connects_again(void **state)
{
    (void)state;
    struct made made = {0};
    uint16_t port;
    struct swarm *sw = lone_refused(&port, &made);
    struct spawn_proc relay;
    char listen[48], err[512];
    snprintf(listen, sizeof listen, "udp://127.0.0.1:%u", (unsigned)port);
    const char *args[] = {"--listen", listen, NULL};
    assert_int_equal(harness_start_relay(&relay, args), port);
    int rc = swarm_wait_ready(sw, true, clock_now_us() + 20000000, NULL, err, sizeof err);
    if (rc != 0)
        print_message("lone client: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(swarm_stats(sw)->connect_retries, 1);
    assert_int_equal(made.calls, 3); /* made, closed (NULL), made again */
    assert_ptr_equal(made.c, swarm_client(sw, 0));
    assert_true(ricochet_joined(made.c));
    swarm_destroy(sw);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
}

/* A swarm of one client whose connect was refused, and no descriptor
 * left when the wait makes it again (the soft limit of open files down to
 * the old client's socket and the lowest free one): the new client cannot
 * be made. The wait ends saying why, hooks.created was told the old client
 * is gone (NULL: the caller's pointer to it is freed with it), and the
 * swarm, which has no client i, still answers for it: its wire bytes,
 * dead, a second wait, its end. */
static void swarm_client_not_made_again(void **state)
{
    (void)state;
    struct made made = {0};
    uint16_t port;
    struct swarm *sw = lone_refused(&port, &made);
    struct rlimit was, none;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
    int fd = ricochet_fd(swarm_client(sw, 0)), lowest = dup(2);
    assert_true(fd >= 0 && lowest >= 0);
    close(lowest);
    none = (struct rlimit){.rlim_cur = (rlim_t)(fd < lowest ? fd : lowest),
                           .rlim_max = was.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &none), 0);
    char err[512];
    int rc = swarm_wait_ready(sw, true, clock_now_us() + 20000000, NULL, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
    print_message("not made again: %s\n", err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, strerror(EMFILE)));
    assert_null(made.c);
    assert_null(swarm_client(sw, 0));
    assert_true(swarm_dead(sw, 0));
    assert_int_equal(swarm_alive(sw), 0);
    struct client_netinfo wire;
    swarm_wire(sw, &wire);
    assert_int_equal(swarm_wait_ready(sw, true, clock_now_us() + 1000000, NULL, err,
                                      sizeof err), -1);
    swarm_destroy(sw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(swarm_enet),
        cmocka_unit_test(swarm_enet_hubs),
        cmocka_unit_test(swarm_enet_own_hosts),
        cmocka_unit_test(swarm_udp),
        cmocka_unit_test(swarm_ticks),
        cmocka_unit_test(swarm_adopted_after_made),
        cmocka_unit_test(swarm_adopted_only),
        cmocka_unit_test(swarm_wait_readable_enet),
        cmocka_unit_test(swarm_wait_readable_udp),
        cmocka_unit_test(swarm_lone_client_connects_again),
        cmocka_unit_test(swarm_client_not_made_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
