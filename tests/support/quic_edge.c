/* quic_edge.c: the quic edge in process and its clients (see quic_edge.h). */
#include "quic_edge.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "client/lib/client_test.h"
#include "relay/settings.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "edge_turn.h"

struct env E;
uint32_t env_timeout_ms = 5000;

int quic_edge_setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    return 0;
}

void env_open_ticked(struct env *e, uint32_t half_open, uint32_t tick_us)
{
    char err[256];
    struct relay_net_config ncfg = {.bind = "127.0.0.1", .port = 0, .peer_cap = PEERS,
                                    .max_packet_size = 2048, .timeout_ms = env_timeout_ms,
                                    .max_half_open = half_open, .handshake_ms = JOIN_MS};
    memset(e, 0, sizeof *e);
    e->t = relay_quic_ops.create(&ncfg, err, sizeof err);
    if (!e->t)
        fail_msg("relay_quic_ops.create: %s", err);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = PEERS;
    cfg.max_clients = PEERS - 2;
    cfg.join_timeout_ms = JOIN_MS;
    cfg.tick_us = tick_us;
    struct relay_transport tp = relay_quic_ops.core(e->t, 0);
    e->r = relay_create(&cfg, &tp, 1);
    assert_non_null(e->r);
    e->port = netaddr_port(&e->t->local);
}

void env_open(struct env *e, uint32_t half_open)
{
    env_open_ticked(e, half_open, 0);
}

void env_close(struct env *e)
{
    relay_destroy(e->r);
    relay_quic_ops.destroy(e->t);
}

void turn(struct env *e, int wait_ms)
{
    edge_turn(&relay_quic_ops, e->t, e->r, wait_ms);
    uint64_t now = clock_now_us();
    if (now - e->last_periodic_us >= 100000) {
        e->last_periodic_us = now;
        edge_periodic(&relay_quic_ops, e->t, e->r);
    }
}

void pump_for(struct env *e, struct harness_rec *rec, int ms)
{
    uint64_t until = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < until) {
        turn(e, 1);
        for (size_t i = 0; rec && i < rec->n; i++) {
            struct ricochet_event ev;
            while (rec->c[i] && ricochet_poll(rec->c[i], 0, &ev) > 0)
                harness_rec_event(rec, i, &ev);
        }
    }
}

uint64_t own(const struct env *e, enum quic_count k)
{
    return e->t->own[k];
}

struct ricochet *member_over(const struct env *e, const char *name, enum proto_mode mode,
                             enum ricochet_transport transport)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = e->port, .room = "q",
                                .name = name, .mode = mode, .timeout_ms = 5000,
                                .transport = transport};
    char err[256];
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create: %s", err);
    return c;
}

struct ricochet *member(const struct env *e, const char *name, enum proto_mode mode)
{
    return member_over(e, name, mode, RICOCHET_TRANSPORT_QUIC);
}

struct client_quic *link_of(struct ricochet *c)
{
    return (struct client_quic *)c->tp;
}

void welcome_all(struct env *e, struct harness_rec *r)
{
    for (int k = 0; k < 400 && !harness_all_see_all(r); k++)
        pump_for(e, r, 10);
    assert_true(harness_all_see_all(r));
}

void bare_open_alpn(struct env *e, struct bare *b, const char *name, const char *alpn)
{
    struct client_config cfg = {.room = "q", .name = name, .mode = PROTO_MODE_RELIABLE,
                                .timeout_ms = 5000};
    char err[256];
    memset(b, 0, sizeof *b);
    b->c = client_create_detached(&cfg, err, sizeof err);
    assert_non_null(b->c);
    snprintf(b->c->host, sizeof b->c->host, "127.0.0.1");
    assert_int_equal(netaddr_resolve("127.0.0.1", e->port, &b->c->relay, err, sizeof err), 0);
    b->q.c = b->c;
    b->q.alpn = alpn;
    assert_int_equal(client_quic_start(b->c, &b->q, &cfg, err, sizeof err), 0);
}

void bare_open(struct env *e, struct bare *b, const char *name)
{
    bare_open_alpn(e, b, name, NULL);
}

bool bare_pump(struct env *e, struct bare *b, int n, int *rv, int ms,
               bool (*done)(const struct env *, const struct bare *, const int *))
{
    uint64_t until = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < until) {
        turn(e, 1);
        for (int i = 0; i < n; i++) {
            if (rv[i] == 0)
                rv[i] = client_quic_read(b[i].c, &b[i].q, clock_now_us());
            if (rv[i] == 0)
                rv[i] = client_quic_write(b[i].c, &b[i].q);
        }
        if (done(e, b, rv))
            return true;
    }
    return false;
}

void bare_close(struct bare *b)
{
    client_quic_free(&b->q);
    ricochet_close(b->c);
}

void stream_send(struct ricochet *c, struct client_quic *q, int64_t sid, const uint8_t *p,
                 size_t len, bool fin)
{
    ngtcp2_vec v = {.base = (uint8_t *)p, .len = len};
    uint64_t until = clock_now_us() + 3000000;
    while ((v.len > 0 || fin) && clock_now_us() < until) {
        uint8_t pkt[1452];
        ngtcp2_path_storage ps;
        ngtcp2_path_storage_zero(&ps);
        ngtcp2_ssize sent = -1;
        ngtcp2_ssize n = ngtcp2_conn_writev_stream(
            q->conn, &ps.path, NULL, pkt, sizeof pkt, &sent,
            fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0, sid, &v, 1, clock_now_us() * 1000u);
        assert_true(n >= 0);
        if (sent > 0) {
            v.base += sent;
            v.len -= (size_t)sent;
        }
        if (n > 0)
            assert_int_equal(send(q->fd, pkt, (size_t)n, 0), n);
        if (sent >= 0 && v.len == 0)
            fin = false;
        if (n == 0) { /* held back: a turn, q's acknowledgements read */
            turn(&E, 1);
            assert_int_equal(client_quic_read(c, q, clock_now_us()), 0);
        }
    }
    assert_int_equal(v.len, 0);
}
