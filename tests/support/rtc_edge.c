/* rtc_edge.c: the webrtc edge, a core and WebRTC clients in process (see
 * rtc_edge.h). */
#include "rtc_edge.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "relay/settings.h"
#include "sys/clock.h"
#include "edge_turn.h"

struct rtc_env rtc_env;

struct relay_net_config rtc_env_net(void)
{
    return (struct relay_net_config){.peer_cap = 16, .max_packet_size = 2048,
                                     .timeout_ms = 5000};
}

void rtc_env_open(const struct relay_net_config *net_in, const struct relay_config *cfg_in)
{
    char err[256];
    struct relay_net_config net = net_in ? *net_in : rtc_env_net();
    net.bind = "127.0.0.1";
    net.port = 0;
    memset(&rtc_env, 0, sizeof rtc_env);
    rtc_env.t = relay_webrtc_ops.create(&net, err, sizeof err);
    if (!rtc_env.t)
        fail_msg("webrtc edge: %s", err);
    struct relay_transport tp = relay_webrtc_ops.core(rtc_env.t, 0);
    struct relay_config cfg;
    if (cfg_in) {
        cfg = *cfg_in;
    } else {
        relay_default_config(&cfg);
        cfg.tick_us = 0;
    }
    cfg.peer_cap = tp.peers;
    cfg.max_clients = tp.peers - 2;
    rtc_env.r = relay_create(&cfg, &tp, 1);
    assert_non_null(rtc_env.r);
    relay_set_unix_time(rtc_env.r, clock_unix_s());
    assert_int_equal(netaddr_parse_endpoint(relay_webrtc_ops.address(rtc_env.t),
                                            &rtc_env.relay_addr, err, sizeof err), 0);
    for (int i = 0; i < RTC_CLIENTS; i++)
        rtc_env.c[i].fd = -1;
}

void rtc_env_close(void)
{
    for (int i = 0; i < RTC_CLIENTS; i++)
        rtc_client_free(i);
    relay_webrtc_ops.destroy(rtc_env.t);
    relay_destroy(rtc_env.r);
    memset(&rtc_env, 0, sizeof rtc_env);
}

/* ---- clients ------------------------------------------------------------ */

static void client_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    struct rtc_client *c = ctx;
    (void)sendto(c->fd, data, len, 0, &to->sa, netaddr_len(to));
}

static void client_open(void *ctx)
{
    ((struct rtc_client *)ctx)->opened = true;
}

static void client_closed(void *ctx)
{
    ((struct rtc_client *)ctx)->closed = true;
}

static void got_state(struct rtc_client *c, uint16_t sid, const uint8_t *data, size_t len,
                      bool in_batch)
{
    struct proto_state s;
    if (c->n_got == RTC_GOT_MAX || proto_state_decode(data, len, &s) != PROTO_OK)
        fail_msg("a state that does not read, or too many messages");
    c->got[c->n_got++] = (struct rtc_got){.sid = sid, .binary = true, .state = true,
                                          .in_batch = in_batch, .sender = s.sender,
                                          .seq = s.seq};
}

static void client_message(void *ctx, uint16_t sid, bool binary, const uint8_t *data,
                           size_t len)
{
    struct rtc_client *c = ctx;
    if (len > 0 && data[0] == '{') {
        static struct proto_control m;
        char why[128];
        if (binary || proto_control_decode((const char *)data, len, &m, why, sizeof why) != 0)
            fail_msg("a control message that does not read (binary %d): %s", binary, why);
        if (c->n_got == RTC_GOT_MAX)
            fail_msg("too many messages");
        struct rtc_got *g = &c->got[c->n_got++];
        *g = (struct rtc_got){.sid = sid, .type = m.type, .id = m.id, .reason = m.reason};
        snprintf(g->code, sizeof g->code, "%s", m.code);
        return;
    }
    if (proto_is_batch(data, len)) {
        const uint8_t *entry;
        size_t at = PROTO_BATCH_HEADER, n;
        assert_true(proto_batch_check(data, len) > 1); /* a batch of one is the state */
        c->batches++;
        while (proto_batch_next(data, len, &at, &entry, &n))
            got_state(c, sid, entry, n, true);
        return;
    }
    got_state(c, sid, data, len, false);
}

void rtc_client_new(int i, unsigned which)
{
    static const struct rtc_peer_ops ops = {client_send, client_open, client_message,
                                            client_closed};
    struct rtc_client *c = &rtc_env.c[i];
    char err[128];
    rtc_client_free(i);
    memset(c, 0, sizeof *c);
    assert_int_equal(netaddr_resolve("127.0.0.1", 0, &c->addr, err, sizeof err), 0);
    c->fd = netaddr_udp_socket(&c->addr, SOCK_NONBLOCK);
    assert_true(c->fd >= 0);
    socklen_t len = sizeof c->addr;
    assert_int_equal(bind(c->fd, &c->addr.sa, netaddr_len(&c->addr)), 0);
    assert_int_equal(getsockname(c->fd, &c->addr.sa, &len), 0);
    c->got = calloc(RTC_GOT_MAX, sizeof *c->got);
    assert_non_null(c->got);
    c->p = rtc_peer_new(&c->addr, &ops, c, err, sizeof err);
    if (!c->p)
        fail_msg("rtc_peer_new: %s", err);
    rtc_peer_channels(c->p, which);
}

void rtc_client_free(int i)
{
    struct rtc_client *c = &rtc_env.c[i];
    rtc_peer_free(c->p); /* its ABORT goes out through its socket, still open */
    c->p = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->got);
    c->got = NULL;
}

int rtc_client_offer(int i, const char *pass)
{
    return rtc_client_offer_from(i, pass, &rtc_env.c[i].addr);
}

int rtc_client_offer_from(int i, const char *pass, const union netaddr *from)
{
    struct rtc_client *c = &rtc_env.c[i];
    char why[160], err[160];
    const char *offer = rtc_peer_offer(c->p);
    relay_set_unix_time(rtc_env.r, clock_unix_s());
    int n = relay_webrtc_answer(rtc_env.t, rtc_env.r, offer, strlen(offer), pass, from,
                                c->answer, sizeof c->answer, why, sizeof why);
    if (n > 0 && rtc_peer_answer(c->p, c->answer, (size_t)n, clock_now_us(), err,
                                 sizeof err) != 0)
        fail_msg("client %d: %s", i, err);
    return n;
}

/* ---- the loop --------------------------------------------------------------- */

/* Reads client i's socket into its peer; turns its timers. */
static void client_turn(struct rtc_client *c)
{
    uint8_t buf[2048];
    union netaddr from;
    socklen_t fl = sizeof from;
    ssize_t n;
    while (c->p && (n = recvfrom(c->fd, buf, sizeof buf, MSG_DONTWAIT, &from.sa, &fl)) >= 0) {
        rtc_peer_input(c->p, &from, buf, (size_t)n, clock_now_us());
        fl = sizeof from;
    }
    if (c->p && rtc_peer_due(c->p) <= clock_now_us())
        rtc_peer_timers(c->p, clock_now_us());
}

void rtc_pump(int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    do {
        edge_turn(&relay_webrtc_ops, rtc_env.t, rtc_env.r, 1);
        for (int i = 0; i < RTC_CLIENTS; i++)
            client_turn(&rtc_env.c[i]);
        if (clock_now_us() - rtc_env.last_periodic_us >= 100000) {
            rtc_env.last_periodic_us = clock_now_us();
            edge_periodic(&relay_webrtc_ops, rtc_env.t, rtc_env.r);
        }
    } while (clock_now_us() < end);
}

bool rtc_until(bool (*cond)(int i), int i, int ms)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (!cond(i) && clock_now_us() < end)
        rtc_pump(1);
    return cond(i);
}

static bool is_open(int i)
{
    return rtc_env.c[i].opened;
}

void rtc_until_open(int i)
{
    if (!rtc_until(is_open, i, 5000))
        fail_msg("client %d: its channels did not open", i);
}

void rtc_send_json(int i, const char *json)
{
    assert_int_equal(rtc_peer_send(rtc_env.c[i].p, RTC_PEER_CONTROL, false,
                                   (const uint8_t *)json, strlen(json)), 0);
}

void rtc_send_padded(int i, uint16_t sid, uint32_t seq, size_t len)
{
    uint8_t buf[PROTO_STATE_MAX] = {0};
    struct proto_state s = {.seq = seq, .send_us = clock_now_us(), .x = 10.0f + (float)seq,
                            .y = 20};
    assert_true(len >= PROTO_STATE_SIZE && len <= sizeof buf);
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    assert_int_equal(rtc_peer_send(rtc_env.c[i].p, sid, true, buf, len), 0);
}

void rtc_send_state(int i, uint16_t sid, uint32_t seq)
{
    rtc_send_padded(i, sid, seq, PROTO_STATE_SIZE);
}

static bool welcomed(int i)
{
    return rtc_last(i, PROTO_CTL_WELCOME) != NULL;
}

uint32_t rtc_join(int i, const char *room, const char *name, const char *extra)
{
    char json[512];
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":%d,\"room\":\"%s\","
             "\"name\":\"%s\"%s%s}", PROTO_VERSION, room, name, extra[0] ? "," : "", extra);
    rtc_send_json(i, json);
    if (!rtc_until(welcomed, i, 3000))
        fail_msg("client %d: no welcome", i);
    return rtc_last(i, PROTO_CTL_WELCOME)->id;
}

const struct rtc_got *rtc_last(int i, enum proto_ctl_type type)
{
    const struct rtc_client *c = &rtc_env.c[i];
    for (size_t k = c->n_got; k-- > 0;)
        if (!c->got[k].state && c->got[k].type == type)
            return &c->got[k];
    return NULL;
}

size_t rtc_states(int i, uint32_t sender, uint16_t sid)
{
    const struct rtc_client *c = &rtc_env.c[i];
    size_t n = 0;
    for (size_t k = 0; k < c->n_got; k++)
        n += c->got[k].state && c->got[k].sender == sender &&
             (sid == UINT16_MAX || c->got[k].sid == sid);
    return n;
}

uint64_t rtc_counter(const char *name)
{
    const struct relay_edge_stats *e = &relay_stats(rtc_env.r)->edges[0];
    for (uint32_t k = 0; k < e->n_own; k++)
        if (strcmp(e->own_names[k], name) == 0)
            return e->own[k];
    fail_msg("the webrtc edge has no counter %s", name);
    return 0;
}
