/* test_edges.c: the relay's edges as the program holds them (relay/edges.c)
 * with two fake edges in process: --listen parsed, one line per mistake;
 * a turn services each edge that has work once, from a rotating start, so
 * an edge that always has a backlog costs the other one batch a turn and
 * never starves it; an edge's own deadline (due) and the watched
 * descriptor wake the wait; a relay that fanned out a tick ago reads on
 * the tick's grid, not at each datagram; the drain ends when every edge is
 * settled or the time is up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "relay/edges.h"
#include "relay/settings.h"
#include "sys/clock.h"
#include "sys/log.h"

/* ---- two fake edges ---- */

struct fake_edge {
    int fd;              /* an eventfd: readable when the test says so */
    bool flooded;        /* always a backlog */
    uint64_t due_us;     /* UINT64_MAX: never */
    int services, flushes, ticks;
    int settle_after;    /* services until settled (0: settled) */
    char addr[32];
};


/* One turn of the loop, as ricochet-relay takes it: the wait, then the rest. */
static int edges_turn(struct relay_edges *E, struct relay *r, uint64_t wake_by_us,
                      uint64_t *woke_us)
{
    if (relay_edges_wait(E, r, wake_by_us, woke_us) != 0)
        return -1;
    return relay_edges_serve(E, r);
}

static char order[256]; /* which edge each service was, in order: "abab..." */
static size_t n_order;
static struct fake_edge *made[2];

static void *fake_create(const struct relay_net_config *cfg, char *err, size_t cap)
{
    (void)err, (void)cap;
    struct fake_edge *e = calloc(1, sizeof *e);
    assert_non_null(e);
    e->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    e->due_us = UINT64_MAX;
    snprintf(e->addr, sizeof e->addr, "%s:%u", cfg->bind, (unsigned)cfg->port);
    made[made[0] ? 1 : 0] = e;
    return e;
}

static void nop_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    (void)ctx, (void)peer, (void)json, (void)len;
}

static void nop_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                      uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)ctx, (void)from, (void)peers, (void)n, (void)channel, (void)flags, (void)bytes,
        (void)len;
}

static void nop_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)ctx, (void)peer, (void)why;
}

static struct relay_transport fake_core(void *t, uint32_t base)
{
    (void)base;
    return (struct relay_transport){.ctx = t, .name = "fake", .peers = 4,
                                    .modes = 1u << PROTO_MODE_UDP,
                                    .send_control = nop_control, .send_state = nop_state,
                                    .disconnect = nop_disconnect};
}

static const char *fake_address(const void *t)
{
    return ((const struct fake_edge *)t)->addr;
}

static int fake_fd(const void *t)
{
    return ((const struct fake_edge *)t)->fd;
}

static uint64_t fake_due(const void *t)
{
    return ((const struct fake_edge *)t)->due_us;
}

static int fake_service(void *t, struct relay *r)
{
    (void)r;
    struct fake_edge *e = t;
    uint64_t v;
    if (read(e->fd, &v, sizeof v) < 0) /* one batch: all it has */
        v = 0;
    e->services++;
    if (e->settle_after > 0)
        e->settle_after--;
    if (e->due_us != UINT64_MAX)
        e->due_us = UINT64_MAX;
    if (n_order < sizeof order - 1)
        order[n_order++] = e == made[0] ? 'a' : 'b';
    return 1;
}

static bool fake_backlog(const void *t)
{
    return ((const struct fake_edge *)t)->flooded;
}

static void fake_flush(void *t, struct relay *r)
{
    (void)r;
    ((struct fake_edge *)t)->flushes++;
}

static void fake_tick(void *t, struct relay *r)
{
    (void)r;
    ((struct fake_edge *)t)->ticks++;
}

static bool fake_settled(const void *t)
{
    return ((const struct fake_edge *)t)->settle_after == 0;
}

static void fake_destroy(void *t)
{
    struct fake_edge *e = t;
    close(e->fd);
    free(e);
}

static const struct relay_transport_ops fake_ops = {
    .name = "fake", .create = fake_create, .core = fake_core, .address = fake_address,
    .fd = fake_fd, .due = fake_due, .service = fake_service, .backlog = fake_backlog,
    .flush = fake_flush, .tick = fake_tick, .settled = fake_settled, .destroy = fake_destroy,
};

/* Two fake edges and a core on them, its tick tick_us (0: none). */
static struct relay *open_two_ticked(struct relay_edges *E, uint32_t tick_us)
{
    made[0] = made[1] = NULL;
    n_order = 0;
    memset(order, 0, sizeof order);
    struct relay_edge_spec specs[2] = {{.ops = &fake_ops, .host = "127.0.0.1", .port = 1},
                                       {.ops = &fake_ops, .host = "127.0.0.1", .port = 2}};
    struct relay_net_config net = {.peer_cap = 4};
    char err[128];
    assert_int_equal(relay_edges_open(E, specs, 2, &net, err, sizeof err), 0);
    assert_string_equal(E->e[0].name, "fake");
    assert_string_equal(E->e[1].name, "fake:2"); /* a second of one scheme: by its port */
    struct relay_transport tp[RELAY_EDGES_MAX];
    relay_edges_cores(E, tp);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.tick_us = tick_us;
    struct relay *r = relay_create(&cfg, tp, E->n);
    assert_non_null(r);
    assert_int_equal(relay_edge_base(r, 1), 4);
    return r;
}

static struct relay *open_two(struct relay_edges *E)
{
    return open_two_ticked(E, 0);
}

static void close_two(struct relay_edges *E, struct relay *r)
{
    relay_destroy(r);
    relay_edges_close(E);
}

static void ready(struct fake_edge *e)
{
    uint64_t one = 1;
    assert_int_equal(write(e->fd, &one, sizeof one), (ssize_t)sizeof one);
}

/* ---- the turn ---- */

/* Edge a always has more to read (a flood); b has input every turn. Each
 * turn services both once, never a then a again: b is never starved, and
 * the first serviced alternates. No turn waits: a has a backlog. */
static void a_flooded_edge_costs_the_other_one_batch_a_turn(void **state)
{
    (void)state;
    struct relay_edges E;
    struct relay *r = open_two(&E);
    made[0]->flooded = true;
    uint64_t start = clock_now_us();
    for (int turn = 0; turn < 10; turn++) {
        ready(made[1]);
        uint64_t woke;
        assert_int_equal(edges_turn(&E, r, clock_now_us() + 100000, &woke), 0);
        assert_int_equal(made[0]->services, turn + 1);
        assert_int_equal(made[1]->services, turn + 1);
        assert_int_equal(made[0]->flushes, turn + 1);
        assert_int_equal(made[1]->flushes, turn + 1);
    }
    assert_string_equal(order, "abbaabbaabbaabbaabba");
    assert_true(clock_now_us() - start < 50000);

    /* Without input, b is not serviced; a's backlog still is. */
    uint64_t woke;
    assert_int_equal(edges_turn(&E, r, clock_now_us() + 100000, &woke), 0);
    assert_int_equal(made[0]->services, 11);
    assert_int_equal(made[1]->services, 10);
    close_two(&E, r);
}

/* Nothing to read: the turn waits until the first deadline, an edge's own
 * (due) among them, and services that edge then. */
static void an_edge_is_serviced_when_due(void **state)
{
    (void)state;
    struct relay_edges E;
    struct relay *r = open_two(&E);
    uint64_t t0 = clock_now_us();
    made[1]->due_us = t0 + 20000;
    uint64_t woke;
    assert_int_equal(edges_turn(&E, r, t0 + 1000000, &woke), 0);
    assert_true(woke >= t0 + 19000);
    assert_true(woke < t0 + 500000);
    assert_int_equal(made[1]->services, 1);
    assert_int_equal(made[0]->services, 0);

    /* Input wakes it long before the deadline the caller gave. */
    t0 = clock_now_us();
    ready(made[0]);
    assert_int_equal(edges_turn(&E, r, t0 + 1000000, &woke), 0);
    assert_true(woke < t0 + 500000);
    assert_int_equal(made[0]->services, 1);
    close_two(&E, r);
}

/* A relay that fanned states out a tick ago is busy: input does not wake
 * it at once, it sleeps to the next step of the tick's grid (the default
 * tick: 2 ms) and reads all that came then. One that has not fanned out
 * for longer than two steps waits for input again. */
static void a_busy_relay_reads_on_the_grid(void **state)
{
    (void)state;
    struct relay_edges E;
    struct relay *r = open_two_ticked(&E, 2000); /* ricochet-relay's default */
    uint64_t step = relay_tick_us(r);
    for (int turn = 0; turn < 5; turn++) {
        uint64_t t0 = clock_now_us(), woke;
        E.fanned_us = t0;
        ready(made[0]);
        assert_int_equal(edges_turn(&E, r, t0 + 1000000, &woke), 0);
        assert_true(woke >= t0 - t0 % step + step);
        assert_int_equal(made[0]->services, turn + 1);
    }
    /* idle for long: the next input wakes the wait, however long the
     * deadline (a second here) */
    uint64_t t0 = clock_now_us(), woke;
    E.fanned_us = t0 - 3 * step;
    ready(made[1]);
    assert_int_equal(edges_turn(&E, r, t0 + 1000000, &woke), 0);
    assert_true(woke < t0 + 500000);
    assert_int_equal(made[1]->services, 1);
    close_two(&E, r);
}

/* The watched descriptor (the directory thread's results) ends the wait;
 * the turn services no edge for it. */
static void the_watched_descriptor_wakes_the_wait(void **state)
{
    (void)state;
    struct relay_edges E;
    struct relay *r = open_two(&E);
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_int_equal(relay_edges_watch(&E, fd), 0);
    uint64_t one = 1, t0 = clock_now_us(), woke;
    assert_int_equal(write(fd, &one, sizeof one), (ssize_t)sizeof one);
    assert_int_equal(edges_turn(&E, r, t0 + 1000000, &woke), 0);
    assert_true(woke < t0 + 500000);
    assert_int_equal(made[0]->services + made[1]->services, 0);
    assert_int_equal(relay_edges_watch(&E, -1), 0); /* nothing to watch: fine */
    close_two(&E, r);
    close(fd);
}

/* The periodic work reaches every edge; the drain services until every
 * edge is settled, or its time is up. */
static void periodic_work_and_the_drain(void **state)
{
    (void)state;
    struct relay_edges E;
    struct relay *r = open_two(&E);
    relay_edges_periodic(&E, r, clock_now_us());
    assert_int_equal(made[0]->ticks, 1);
    assert_int_equal(made[1]->ticks, 1);
    made[0]->settle_after = 3;
    relay_edges_drain(&E, r, 2000);
    assert_int_equal(made[0]->services, 3);
    assert_true(made[0]->flushes >= 3);
    made[1]->settle_after = 1000000; /* never settles: the time is up */
    uint64_t t0 = clock_now_us();
    relay_edges_drain(&E, r, 100);
    assert_true(clock_now_us() - t0 >= 100000);
    assert_true(clock_now_us() - t0 < 1000000);
    close_two(&E, r);
}

/* ---- --listen ---- */

static void listen_values_are_parsed(void **state)
{
    (void)state;
    struct relay_edge_spec specs[RELAY_EDGES_MAX];
    char err[256];
    assert_int_equal(relay_edges_parse("", specs, err, sizeof err), 0);
    assert_int_equal(relay_edges_parse("enet://0.0.0.0:7777 udp://[::]:7778 udp://127.0.0.1:0 "
                                       "enet://localhost:0",
                                       specs, err, sizeof err),
                     4);
    assert_string_equal(specs[0].ops->name, "enet");
    assert_string_equal(specs[0].host, "0.0.0.0");
    assert_int_equal(specs[0].port, 7777);
    assert_string_equal(specs[1].ops->name, "udp");
    assert_string_equal(specs[1].host, "::");
    assert_int_equal(specs[1].port, 7778);
    assert_int_equal(specs[2].port, 0);
    assert_int_equal(relay_edges_parse("ws://127.0.0.1:7780 wss://[::1]:7443 udp://0.0.0.0:7780",
                                       specs, err, sizeof err),
                     3);
    assert_string_equal(specs[0].ops->name, "ws");
    assert_string_equal(specs[1].ops->name, "wss");
    assert_true(specs[0].ops->stream && specs[1].ops->stream);
    static const struct {
        const char *listen, *says;
    } bad[] = {
        {"http://0.0.0.0:7780", "no edge speaks 'http'"},
        {"tcp://0.0.0.0:7780 ws://0.0.0.0:7780", "port 7780 is given twice (tcp and ws)"},
        {"enet:/0.0.0.0:1", "not SCHEME://HOST:PORT"},
        {"://0.0.0.0:1", "no edge speaks ''"},
        {"udp://0.0.0.0", "expected HOST:PORT"},
        {"udp://0.0.0.0:70000", "udp://0.0.0.0:70000"},
        {"udp://0.0.0.0:9 enet://127.0.0.1:9", "port 9 is given twice (udp and enet)"},
        {"udp://[::]:0 udp://[::]:0 udp://[::]:0 udp://[::]:0 udp://[::]:0 udp://[::]:0 "
         "udp://[::]:0 udp://[::]:0 udp://[::]:0",
         "at most 8 edges"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(relay_edges_parse(bad[i].listen, specs, err, sizeof err), -1);
        if (!strstr(err, bad[i].says) || strchr(err, '\n'))
            fail_msg("--listen %s: '%s' does not say '%s' in one line", bad[i].listen, err,
                     bad[i].says);
    }
}

/* --transport, --bind and --port are the one-edge shorthand; beside
 * --listen they are a mistake. */
static void the_shorthand_is_one_edge(void **state)
{
    (void)state;
    struct relay_settings s;
    relay_settings_defaults(&s);
    struct relay_edge_spec specs[RELAY_EDGES_MAX];
    char err[256];
    assert_int_equal(relay_settings_edges(&s, specs, err, sizeof err), 1);
    assert_string_equal(specs[0].ops->name, "enet");
    assert_string_equal(specs[0].host, "0.0.0.0");
    assert_int_equal(specs[0].port, 7777);
    snprintf(s.listen, sizeof s.listen, "udp://127.0.0.1:0 enet://127.0.0.1:0");
    assert_int_equal(relay_settings_edges(&s, specs, err, sizeof err), 2);
    s.net.port = 9000;
    assert_int_equal(relay_settings_edges(&s, specs, err, sizeof err), -1);
    assert_non_null(strstr(err, "--listen replaces --transport, --bind and --port"));
    /* --tls-cert and --tls-key are a wss edge's */
    relay_settings_defaults(&s);
    snprintf(s.tls_cert, sizeof s.tls_cert, "cert.pem");
    assert_int_equal(relay_settings_edges(&s, specs, err, sizeof err), -1);
    assert_non_null(strstr(err, "--tls-cert and --tls-key are for wss:// and quic:// edges"));
    snprintf(s.listen, sizeof s.listen, "enet://127.0.0.1:0 wss://127.0.0.1:0");
    assert_int_equal(relay_settings_edges(&s, specs, err, sizeof err), 2);
}

int main(void)
{
    log_threshold = LOG_OFF;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_flooded_edge_costs_the_other_one_batch_a_turn),
        cmocka_unit_test(an_edge_is_serviced_when_due),
        cmocka_unit_test(the_watched_descriptor_wakes_the_wait),
        cmocka_unit_test(a_busy_relay_reads_on_the_grid),
        cmocka_unit_test(periodic_work_and_the_drain),
        cmocka_unit_test(listen_values_are_parsed),
        cmocka_unit_test(the_shorthand_is_one_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
