/* test_abuse.c: the relay under abuse, over 127.0.0.1 with the real relay
 * (issue 5). Honest clients (client library) run a session while something
 * misbehaves next to them:
 *   - 100k random datagrams at the relay port (ENet and udp transports);
 *   - more connections than --max-clients, more than --max-per-address;
 *   - a client sending 10x its rate limit (throttled, then kicked);
 *   - oversize packets, invalid JSON, unknown types, states before join,
 *     wrong channels, forged sender ids: each answered with its error code
 *     and counted under its drop reason (read back through SIGUSR1).
 * Everything is bounded in time; the relay and sockets are closed on every
 * path (the harness kills children at exit). Randomness: seed 5 (printed). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "../client/client.h"
#include "../proto/clock.h"
#include "../proto/control.h"
#include "../proto/rng.h"
#include "../proto/wire.h"
#include "harness.h"

#define ABUSE_SEED 5
#define MAX_PEERS 16

/* ---- a session of clients, honest or not ------------------------------ */

struct session {
    struct client *c[MAX_PEERS];
    size_t n;
    bool honest[MAX_PEERS];
    double rate_hz[MAX_PEERS];  /* states per second while running */
    uint64_t sent[MAX_PEERS];
    uint64_t next_send_us[MAX_PEERS];
    uint32_t id[MAX_PEERS];     /* relay id once welcomed */
    bool dead[MAX_PEERS];       /* DISCONNECTED seen */
    uint64_t got_from[MAX_PEERS][MAX_PEERS]; /* states receiver <- sender index */
    uint64_t got_unknown[MAX_PEERS];         /* states from ids not in the session */
    uint64_t got_as_self[MAX_PEERS];         /* states stamped with my own id */
    char errors[MAX_PEERS][8][PROTO_CODE_MAX + 1]; /* first error codes received */
    size_t n_errors[MAX_PEERS];
    int kicked_error_at[MAX_PEERS]; /* index in errors of "kicked", -1 */
    uint32_t left_id[MAX_PEERS][8]; /* left notices: id and reason */
    enum proto_left_reason left_reason[MAX_PEERS][8];
    size_t n_left[MAX_PEERS];
};

static void session_init(struct session *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < MAX_PEERS; i++)
        s->kicked_error_at[i] = -1;
}

static int session_index_of(const struct session *s, uint32_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (id != 0 && s->id[i] == id)
            return (int)i;
    return -1;
}

static void session_on_event(void *ctx, size_t i, const struct client_event *ev)
{
    struct session *s = ctx;
    switch (ev->type) {
    case CLIENT_EV_WELCOME:
        s->id[i] = client_id(s->c[i]);
        break;
    case CLIENT_EV_STATE: {
        if (ev->id == s->id[i]) {
            s->got_as_self[i]++;
            break;
        }
        int j = session_index_of(s, ev->id);
        if (j < 0)
            s->got_unknown[i]++;
        else
            s->got_from[i][j]++;
        break;
    }
    case CLIENT_EV_ERROR:
        if (s->n_errors[i] < 8) {
            snprintf(s->errors[i][s->n_errors[i]], PROTO_CODE_MAX + 1, "%s",
                     ev->control->code);
            if (strcmp(ev->control->code, "kicked") == 0 && s->kicked_error_at[i] < 0)
                s->kicked_error_at[i] = (int)s->n_errors[i];
            s->n_errors[i]++;
        }
        break;
    case CLIENT_EV_LEFT:
        if (s->n_left[i] < 8) {
            s->left_id[i][s->n_left[i]] = ev->id;
            s->left_reason[i][s->n_left[i]] = ev->control->reason;
            s->n_left[i]++;
        }
        break;
    case CLIENT_EV_DISCONNECTED:
        s->dead[i] = true;
        break;
    default:
        break;
    }
}

static int session_add(struct session *s, uint16_t port, const char *room,
                       const char *name, enum proto_mode mode, bool honest, double rate_hz)
{
    char err[256];
    struct client_config cfg = { "127.0.0.1", port, room, name, mode, false, 5000 };
    assert_true(s->n < MAX_PEERS);
    struct client *c = client_create(&cfg, err, sizeof err);
    if (!c) {
        fprintf(stderr, "client_create %s: %s\n", name, err);
        return -1;
    }
    s->c[s->n] = c;
    s->honest[s->n] = honest;
    s->rate_hz[s->n] = rate_hz;
    return (int)s->n++;
}

static bool session_has_error(const struct session *s, size_t i, const char *code)
{
    for (size_t k = 0; k < s->n_errors[i]; k++)
        if (strcmp(s->errors[i][k], code) == 0)
            return true;
    return false;
}

/* Everyone in [from, to) is welcomed and sees the others of that range. */
struct ready_ctx {
    struct session *s;
    size_t from, to;
};

static bool session_ready(void *ctx)
{
    struct ready_ctx *rc = ctx;
    struct session *s = rc->s;
    for (size_t i = rc->from; i < rc->to; i++) {
        if (!client_joined(s->c[i]))
            return false;
        s->id[i] = client_id(s->c[i]);
        for (size_t j = rc->from; j < rc->to; j++)
            if (j != i && (!s->id[j] || !client_member(s->c[i], s->id[j])))
                return false;
    }
    return true;
}

static void session_on_event_thunk(void *ctx, size_t i, const struct client_event *ev)
{
    session_on_event(((struct ready_ctx *)ctx)->s, i, ev);
}

static void session_wait_ready(struct session *s, size_t from, size_t to)
{
    struct ready_ctx rc = { s, from, to };
    int r = harness_poll_until(s->c, s->n, 15000, session_on_event_thunk, session_ready, &rc);
    if (r != 0)
        fprintf(stderr, "session: clients %zu..%zu not all joined and visible\n", from, to);
    assert_int_equal(r, 0);
}

/* Polls every live client once (all pending events). */
static void session_poll(struct session *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (!s->c[i] || s->dead[i])
            continue;
        struct client_event ev;
        for (int guard = 0; guard < 10000; guard++) {
            int r = client_poll(s->c[i], 0, &ev);
            if (r <= 0) {
                if (r < 0)
                    s->dead[i] = true;
                break;
            }
            session_on_event(s, i, &ev);
        }
    }
}

/* Runs the session for ms: each live, joined client sends at its rate;
 * hook(ctx) runs every iteration (the abuse). Then ms_drain of polling only,
 * so reliable resends and late datagrams arrive. */
static void session_run(struct session *s, int ms, int ms_drain,
                        void (*hook)(void *ctx), void *hook_ctx)
{
    uint64_t start = clock_now_us();
    uint64_t end = start + (uint64_t)ms * 1000u;
    uint64_t drain_end = end + (uint64_t)ms_drain * 1000u;
    for (size_t i = 0; i < s->n; i++)
        s->next_send_us[i] = start;
    for (;;) {
        uint64_t now = clock_now_us();
        if (now >= drain_end)
            break;
        if (now < end) {
            for (size_t i = 0; i < s->n; i++) {
                if (!s->c[i] || s->dead[i] || s->rate_hz[i] <= 0 || !client_joined(s->c[i]))
                    continue;
                uint64_t period = (uint64_t)(1e6 / s->rate_hz[i]);
                /* Catch up at most a few: a stalled loop must not burst. */
                for (int k = 0; k < 16 && now >= s->next_send_us[i]; k++) {
                    struct proto_state st = { 0 };
                    st.send_us = s->next_send_us[i];
                    st.x = (float)(i * 5);
                    st.y = (float)(s->sent[i] % 100);
                    if (client_send_state(s->c[i], &st, 0) == 0)
                        s->sent[i]++;
                    s->next_send_us[i] += period;
                }
                if (now >= s->next_send_us[i])
                    s->next_send_us[i] = now + period;
            }
            if (hook)
                hook(hook_ctx);
        }
        session_poll(s);
        struct pollfd fds[MAX_PEERS];
        nfds_t nfds = 0;
        for (size_t i = 0; i < s->n; i++)
            if (s->c[i] && !s->dead[i] && client_socket_fd(s->c[i]) >= 0)
                fds[nfds++] = (struct pollfd){ .fd = client_socket_fd(s->c[i]), .events = POLLIN };
        poll(fds, nfds, 1);
    }
}

/* Delivery among honest clients: received / sent over every ordered pair. */
static double session_delivery(const struct session *s, uint64_t *got_out, uint64_t *want_out)
{
    uint64_t got = 0, want = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!s->honest[i])
            continue;
        for (size_t j = 0; j < s->n; j++) {
            if (j == i || !s->honest[j])
                continue;
            want += s->sent[j];
            got += s->got_from[i][j] < s->sent[j] ? s->got_from[i][j] : s->sent[j];
        }
    }
    if (got_out)
        *got_out = got;
    if (want_out)
        *want_out = want;
    return want ? (double)got / (double)want : 0.0;
}

static void session_free(struct session *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i])
            client_destroy(s->c[i]);
    s->n = 0;
}

/* ---- the relay and its counters ---------------------------------------- */

static int count_stats_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, "\"type\":\"stats\"")) != NULL; p++)
        n++;
    return n;
}

/* SIGUSR1, then waits for the new stats line. Returns all of stdout (caller
 * frees), NULL if no line came within 3 s. */
static char *relay_stats_now(struct spawn_proc *relay)
{
    char *text = spawn_read_stdout(relay);
    int before = count_stats_lines(text);
    free(text);
    kill(relay->pid, SIGUSR1);
    uint64_t deadline = clock_now_ms() + 3000;
    while (clock_now_ms() < deadline) {
        text = spawn_read_stdout(relay);
        if (text && count_stats_lines(text) > before)
            return text;
        free(text);
        clock_sleep_ms(10);
    }
    fprintf(stderr, "relay: no stats line within 3 s of SIGUSR1 (running: %d)\n",
            spawn_running(relay));
    return NULL;
}

static long long relay_stat(struct spawn_proc *relay, const char *path)
{
    char *text = relay_stats_now(relay);
    assert_non_null(text);
    long long v = harness_stats_field(text, false, path);
    free(text);
    return v;
}

/* SIGTERM: must exit 0 with a final stats line. Returns stdout (caller frees). */
static char *relay_finish(struct spawn_proc *relay)
{
    int code = spawn_stop(relay, SIGTERM, 10000);
    char *out = spawn_read_stdout(relay);
    if (code != 0) {
        char *err = spawn_read_stderr(relay);
        fprintf(stderr, "relay exit %d; stderr tail:\n%s\n", code,
                err ? err + (strlen(err) > 3000 ? strlen(err) - 3000 : 0) : "");
        free(err);
    }
    assert_int_equal(code, 0);
    assert_non_null(out);
    assert_true(harness_stats_field(out, true, "uptime_s") >= 0);
    return out;
}

/* ---- raw sockets ------------------------------------------------------- */

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Drains fd; returns bytes read. */
static uint64_t udp_drain(int fd, uint64_t *datagrams)
{
    uint8_t buf[2048];
    uint64_t bytes = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0)
            break;
        bytes += (uint64_t)n;
        if (datagrams)
            (*datagrams)++;
    }
    return bytes;
}

/* Waits up to ms for a control datagram of type (and code if not NULL). */
static int udp_expect(int fd, enum proto_ctl_type type, const char *code, int ms,
                      struct proto_control *out)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    char buf[PROTO_CONTROL_MAX + 1];
    while (clock_now_ms() < deadline) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        poll(&p, 1, 20);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0 || buf[0] != '{')
            continue;
        if (proto_control_decode(buf, (size_t)n, out, NULL, 0) != PROTO_OK)
            continue;
        if (out->type == type && (!code || strcmp(out->code, code) == 0))
            return 0;
    }
    return -1;
}

/* UDP "Udp:" counters of the whole host, for drops the kernel made. */
static long long udp_snmp(const char *field)
{
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f)
        return -1;
    char head[1024], vals[1024];
    long long result = -1;
    while (fgets(head, sizeof head, f)) {
        if (strncmp(head, "Udp:", 4) != 0 || !fgets(vals, sizeof vals, f))
            continue;
        char *hs, *vs;
        char *h = strtok_r(head, " \n", &hs), *v = strtok_r(vals, " \n", &vs);
        while (h && v) {
            if (strcmp(h, field) == 0)
                result = atoll(v);
            h = strtok_r(NULL, " \n", &hs);
            v = strtok_r(NULL, " \n", &vs);
        }
        break;
    }
    fclose(f);
    return result;
}

/* A hand-driven ENet peer: sends whatever bytes on whatever channel. */
struct raw_enet {
    ENetHost *host;
    ENetPeer *peer;
    bool disconnected;
    uint32_t id;               /* from the welcome */
    uint64_t states_received;
};

static void raw_enet_service(struct raw_enet *re, int ms, enum proto_ctl_type want,
                             const char *code, int *found, struct proto_control *out)
{
    ENetEvent ev;
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    static char json[PROTO_CONTROL_MAX + 1];
    do {
        while (enet_host_service(re->host, &ev, 5) > 0) {
            if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
                re->disconnected = true;
            } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
                if (ev.channelID == PROTO_CHANNEL_CONTROL &&
                    ev.packet->dataLength <= PROTO_CONTROL_MAX) {
                    memcpy(json, ev.packet->data, ev.packet->dataLength);
                    if (proto_control_decode(json, ev.packet->dataLength, out, NULL, 0) ==
                        PROTO_OK) {
                        if (out->type == PROTO_CTL_WELCOME)
                            re->id = out->id;
                        if (found && out->type == want &&
                            (!code || strcmp(out->code, code) == 0))
                            *found = 1;
                    }
                } else {
                    re->states_received++;
                }
                enet_packet_destroy(ev.packet);
            }
            if (found && *found)
                return;
        }
    } while (clock_now_ms() < deadline);
}

/* Connects with `channels` channels; 0, or -1 if not connected within ms. */
static int raw_enet_open_within(struct raw_enet *re, uint16_t port, size_t channels, int ms)
{
    memset(re, 0, sizeof *re);
    re->host = enet_host_create(NULL, 1, channels, 0, 0);
    assert_non_null(re->host);
    ENetAddress a = { .port = port };
    enet_address_set_host(&a, "127.0.0.1");
    re->peer = enet_host_connect(re->host, &a, channels, 0);
    assert_non_null(re->peer);
    ENetEvent ev;
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < deadline) {
        if (enet_host_service(re->host, &ev, 20) > 0 && ev.type == ENET_EVENT_TYPE_CONNECT) {
            enet_peer_throttle_configure(re->peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                         ENET_PEER_PACKET_THROTTLE_SCALE, 0);
            enet_host_flush(re->host); /* the acknowledgement: connected at the relay too */
            return 0;
        }
    }
    return -1;
}

static int raw_enet_open_channels(struct raw_enet *re, uint16_t port, size_t channels)
{
    return raw_enet_open_within(re, port, channels, 5000);
}

static int raw_enet_open(struct raw_enet *re, uint16_t port)
{
    return raw_enet_open_channels(re, port, PROTO_CHANNEL_COUNT);
}

static void raw_enet_send(struct raw_enet *re, uint8_t channel, uint32_t flags,
                          const void *bytes, size_t len)
{
    ENetPacket *p = enet_packet_create(bytes, len, flags);
    assert_non_null(p);
    assert_int_equal(enet_peer_send(re->peer, channel, p), 0);
    enet_host_flush(re->host);
}

static int raw_enet_expect(struct raw_enet *re, enum proto_ctl_type type, const char *code,
                           int ms, struct proto_control *out)
{
    int found = 0;
    raw_enet_service(re, ms, type, code, &found, out);
    return found ? 0 : -1;
}

static void raw_enet_close(struct raw_enet *re)
{
    if (!re->host)
        return;
    if (!re->disconnected) {
        enet_peer_disconnect_now(re->peer, 0);
        enet_host_flush(re->host);
    }
    enet_host_destroy(re->host);
    re->host = NULL;
}

static size_t make_state(uint8_t *buf, size_t cap, uint32_t sender, uint32_t seq, size_t len)
{
    struct proto_state s = { 0 };
    s.sender = sender;
    s.seq = seq;
    s.send_us = clock_now_us();
    s.x = 1;
    s.y = 2;
    memset(buf, 0, cap);
    assert_int_equal(proto_state_encode(buf, cap, &s), PROTO_STATE_SIZE);
    return len < PROTO_STATE_SIZE ? PROTO_STATE_SIZE : len;
}

/* ---- 1. 100k random datagrams while a session runs ---------------------- */

#define FLOOD_TOTAL 100000
#define FLOOD_SOCKETS 4

struct flood {
    struct rng rng;
    int fd[FLOOD_SOCKETS];
    struct sockaddr_in relay;
    uint64_t sent, send_errors;
    uint64_t per_call;      /* datagrams per hook call */
    uint64_t kinds[4];
    uint64_t reply_bytes, reply_datagrams, sent_bytes;
};

/* Random bytes; ENet-looking headers for peer ids 0..7; states (version 1)
 * from strangers; broken JSON. */
static size_t flood_make(struct flood *f, uint8_t *buf)
{
    uint32_t kind = rng_below(&f->rng, 4);
    size_t len = 1 + rng_below(&f->rng, kind == 0 ? 1400 : 120);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rng_u64(&f->rng);
    switch (kind) {
    case 1: /* ENet protocol header: peer id, maybe sent-time flag, commands */
        if (len < 4)
            len = 4;
        buf[0] = (uint8_t)(rng_below(&f->rng, 2) ? 0x80 : 0x00) | (uint8_t)rng_below(&f->rng, 2);
        buf[1] = (uint8_t)rng_below(&f->rng, 8);
        break;
    case 2: /* a state from nobody */
        len = make_state(buf, 1400, rng_below(&f->rng, 5), (uint32_t)rng_u64(&f->rng),
                         PROTO_STATE_SIZE + rng_below(&f->rng, 100));
        if (rng_below(&f->rng, 4) == 0)
            buf[1 + rng_below(&f->rng, 38)] ^= (uint8_t)rng_u64(&f->rng);
        break;
    case 3: { /* JSON-ish */
        static const char *const j[] = {
            "{", "{\"type\":\"join\"", "{\"type\":\"join\",\"version\":2,\"room\":\"lobby\",\"name\":7}",
            "{\"type\":\"teleport\"}", "{\"type\":\"ping\",\"t\":-1}", "{}",
        };
        const char *s = j[rng_below(&f->rng, 6)];
        len = strlen(s);
        memcpy(buf, s, len);
        break;
    }
    }
    f->kinds[kind]++;
    return len;
}

static void flood_hook(void *ctx)
{
    struct flood *f = ctx;
    uint8_t buf[1500];
    for (uint64_t k = 0; k < f->per_call && f->sent < FLOOD_TOTAL; k++) {
        size_t len = flood_make(f, buf);
        int fd = f->fd[f->sent % FLOOD_SOCKETS];
        if (sendto(fd, buf, len, 0, (struct sockaddr *)&f->relay, sizeof f->relay) < 0)
            f->send_errors++;
        f->sent++;
        f->sent_bytes += len;
    }
    for (int i = 0; i < FLOOD_SOCKETS; i++)
        f->reply_bytes += udp_drain(f->fd[i], &f->reply_datagrams);
}

static void run_flood(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--log-level", "warn", "--stats-interval", "0", NULL };
    const char *args_udp[] = { "--transport", "udp", "--log-level", "warn",
                               "--stats-interval", "0", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);

    struct session s;
    session_init(&s);
    const enum proto_mode modes[] = { PROTO_MODE_UNSEQUENCED, PROTO_MODE_SEQUENCED,
                                      PROTO_MODE_RELIABLE, PROTO_MODE_UNSEQUENCED };
    for (int i = 0; i < 4; i++) {
        char name[24];
        snprintf(name, sizeof name, "honest%d", i);
        assert_true(session_add(&s, (uint16_t)port, "lobby", name,
                                udp ? PROTO_MODE_UDP : modes[i], true, 30) >= 0);
    }
    session_wait_ready(&s, 0, s.n);

    struct flood f;
    memset(&f, 0, sizeof f);
    rng_seed(&f.rng, ABUSE_SEED);
    f.relay = loopback((uint16_t)port);
    for (int i = 0; i < FLOOD_SOCKETS; i++)
        f.fd[i] = harness_udp_socket(NULL);
    f.per_call = 40; /* ~1 ms per iteration: ~100k in 3-8 s */
    long long rcvbuf0 = udp_snmp("RcvbufErrors");

    uint64_t t0 = clock_now_ms();
    while (f.sent < FLOOD_TOTAL && clock_now_ms() - t0 < 60000)
        session_run(&s, 1000, 0, flood_hook, &f);
    uint64_t flood_ms = clock_now_ms() - t0;
    session_run(&s, 500, 1000, flood_hook, &f); /* honest traffic after the flood */
    long long rcvbuf1 = udp_snmp("RcvbufErrors");

    assert_true(spawn_running(&relay)); /* stayed up */
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    for (size_t i = 0; i < s.n; i++) {
        assert_false(s.dead[i]);
        assert_true(client_joined(s.c[i]));
        assert_int_equal(s.got_unknown[i], 0); /* no state from a stranger got through */
    }
    char *out = relay_finish(&relay);
    long long drops = harness_stats_field(out, true, "drops.*");
    long long bad_state = harness_stats_field(out, true, "drops.bad_state");
    long long bad_json = harness_stats_field(out, true, "drops.bad_json");
    long long not_joined = harness_stats_field(out, true, "drops.not_joined");
    long long stray = harness_stats_field(out, true, "drops.stray");
    long long kicks = harness_stats_field(out, true, "kicks");
    print_message("flood %s: %llu datagrams (%llu bytes, %llu send errors) in %llu ms; "
                  "kinds random/enet-header/state/json %llu/%llu/%llu/%llu; "
                  "honest delivery %.4f (%llu/%llu); relay drops total %lld "
                  "(bad_state %lld, bad_json %lld, not_joined %lld, stray %lld), kicks %lld; "
                  "kernel RcvbufErrors +%lld; replies to the flood: %llu datagrams, %llu bytes\n",
                  udp ? "udp" : "enet", (unsigned long long)f.sent,
                  (unsigned long long)f.sent_bytes, (unsigned long long)f.send_errors,
                  (unsigned long long)flood_ms, (unsigned long long)f.kinds[0],
                  (unsigned long long)f.kinds[1], (unsigned long long)f.kinds[2],
                  (unsigned long long)f.kinds[3], delivery, (unsigned long long)got,
                  (unsigned long long)want, drops, bad_state, bad_json, not_joined, stray, kicks,
                  rcvbuf1 - rcvbuf0, (unsigned long long)f.reply_datagrams,
                  (unsigned long long)f.reply_bytes);
    assert_true(f.sent == FLOOD_TOTAL);
    assert_true(want > 0);
    assert_true(delivery >= 0.99);
    assert_int_equal(kicks, 0); /* no honest client was kicked */
    /* Drops counted: every datagram the relay got is counted (the kernel
     * may have dropped some before the relay read them). */
    long long lost_in_kernel = rcvbuf1 - rcvbuf0;
    assert_true(drops >= (long long)FLOOD_TOTAL - lost_in_kernel - FLOOD_TOTAL / 100);
    free(out);
    session_free(&s);
    for (int i = 0; i < FLOOD_SOCKETS; i++)
        close(f.fd[i]);
    spawn_free(&relay);
}

static void test_flood_enet(void **state)
{
    (void)state;
    run_flood(false);
}

static void test_flood_udp(void **state)
{
    (void)state;
    run_flood(true);
}

/* ---- 2. more connections than the caps --------------------------------- */

static void run_peer_cap(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--max-clients", "4", "--log-level", "warn", NULL };
    const char *args_udp[] = { "--transport", "udp", "--max-clients", "4",
                               "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);
    enum proto_mode mode = udp ? PROTO_MODE_UDP : PROTO_MODE_UNSEQUENCED;

    struct session s;
    session_init(&s);
    assert_int_equal(session_add(&s, (uint16_t)port, "lobby", "first", mode, true, 30), 0);
    assert_int_equal(session_add(&s, (uint16_t)port, "lobby", "second", mode, true, 30), 1);
    session_wait_ready(&s, 0, 2);
    session_run(&s, 500, 0, NULL, NULL);

    /* Eight more: two fit under --max-clients 4, six are refused. */
    for (int i = 0; i < 8; i++) {
        char name[24];
        snprintf(name, sizeof name, "extra%d", i);
        assert_true(session_add(&s, (uint16_t)port, "other", name, mode, false, 0) >= 0);
    }
    session_run(&s, 3000, 500, NULL, NULL);

    size_t welcomed = 0, refused = 0;
    for (size_t i = 2; i < s.n; i++) {
        if (client_joined(s.c[i]) && !s.dead[i])
            welcomed++;
        else if (s.dead[i] && session_has_error(&s, i, "server_full"))
            refused++;
        else
            fprintf(stderr, "extra %zu: joined %d dead %d errors %zu\n", i,
                    client_joined(s.c[i]), s.dead[i], s.n_errors[i]);
    }
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    long long server_full = relay_stat(&relay, "drops.server_full");
    long long clients = relay_stat(&relay, "clients");
    print_message("peer cap %s: --max-clients 4 with 2 in session: %zu extras welcomed, "
                  "%zu refused with server_full; relay drops.server_full %lld, clients %lld; "
                  "session delivery %.4f (%llu/%llu)\n",
                  udp ? "udp" : "enet", welcomed, refused, server_full, clients, delivery,
                  (unsigned long long)got, (unsigned long long)want);
    assert_int_equal(welcomed, 2);
    assert_int_equal(refused, 6);
    assert_true(server_full >= 6);
    assert_int_equal(clients, 4);
    assert_false(s.dead[0] || s.dead[1]);
    assert_true(client_joined(s.c[0]) && client_joined(s.c[1]));
    assert_true(delivery >= 0.99);
    /* The session's room never saw the extras. */
    assert_int_equal(s.got_unknown[0] + s.got_unknown[1], 0);
    session_free(&s);
    free(relay_finish(&relay));
    spawn_free(&relay);
}

static void test_peer_cap_enet(void **state)
{
    (void)state;
    run_peer_cap(false);
}

static void test_peer_cap_udp(void **state)
{
    (void)state;
    run_peer_cap(true);
}

/* --max-per-address 2: every test client is 127.0.0.1, so the third is
 * refused (ENet ignores the connect, the client times out; the relay counts
 * it either way). */
static void run_per_address(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--max-per-address", "2", "--log-level", "warn", NULL };
    const char *args_udp[] = { "--transport", "udp", "--max-per-address", "2",
                               "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);
    enum proto_mode mode = udp ? PROTO_MODE_UDP : PROTO_MODE_SEQUENCED;
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "lobby", "a", mode, true, 30);
    session_add(&s, (uint16_t)port, "lobby", "b", mode, true, 30);
    session_wait_ready(&s, 0, 2);

    char err[256];
    struct client_config cfg = { "127.0.0.1", (uint16_t)port, "lobby", "c", mode, false, 1500 };
    s.c[s.n] = client_create(&cfg, err, sizeof err);
    assert_non_null(s.c[s.n]);
    s.honest[s.n++] = false;
    session_run(&s, 2500, 300, NULL, NULL);
    bool third_refused = s.dead[2] && !client_joined(s.c[2]);
    long long per_address = relay_stat(&relay, "drops.per_address");
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    print_message("per-address %s: third client from 127.0.0.1 refused: %s (errors %zu); "
                  "drops.per_address %lld; session delivery %.4f\n", udp ? "udp" : "enet",
                  third_refused ? "yes" : "no", s.n_errors[2], per_address, delivery);
    assert_true(third_refused);
    assert_false(s.dead[0] || s.dead[1]);
    assert_true(delivery >= 0.99);
    assert_true(per_address >= 1);
    session_free(&s);
    free(relay_finish(&relay));
    spawn_free(&relay);
}

static void test_per_address_enet(void **state)
{
    (void)state;
    run_per_address(false);
}

static void test_per_address_udp(void **state)
{
    (void)state;
    run_per_address(true);
}

/* ---- 3. ten times the rate limit: throttled, then kicked ---------------- */

static void run_rate_kick(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--rate-limit", "30", "--rate-burst", "10", "--kick-after",
                                "1.5", "--log-level", "warn", NULL };
    const char *args_udp[] = { "--transport", "udp", "--rate-limit", "30", "--rate-burst",
                               "10", "--kick-after", "1.5", "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);
    struct session s;
    session_init(&s);
    enum proto_mode hm = udp ? PROTO_MODE_UDP : PROTO_MODE_SEQUENCED;
    session_add(&s, (uint16_t)port, "lobby", "honest0", hm, true, 15);
    session_add(&s, (uint16_t)port, "lobby", "honest1", udp ? hm : PROTO_MODE_RELIABLE, true, 15);
    session_add(&s, (uint16_t)port, "lobby", "honest2", hm, true, 15);
    session_add(&s, (uint16_t)port, "lobby", "flooder", udp ? hm : PROTO_MODE_UNSEQUENCED,
                false, 300);
    session_wait_ready(&s, 0, 4);
    uint32_t flooder_id = s.id[3];
    session_run(&s, 4000, 800, NULL, NULL);

    uint64_t from_flooder = 0;
    bool others_saw_kick = true;
    for (size_t i = 0; i < 3; i++) {
        from_flooder += s.got_from[i][3];
        bool saw = false;
        for (size_t k = 0; k < s.n_left[i]; k++)
            if (s.left_id[i][k] == flooder_id && s.left_reason[i][k] == PROTO_LEFT_KICKED)
                saw = true;
        others_saw_kick = others_saw_kick && saw;
        assert_int_equal(s.n_errors[i], 0); /* the honest got no errors */
        assert_false(s.dead[i]);
    }
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    char *out = relay_finish(&relay);
    long long rate_limited = harness_stats_field(out, true, "drops.rate_limited");
    long long kicks = harness_stats_field(out, true, "kicks");
    print_message("rate kick %s: flooder sent %llu states at 300/s against --rate-limit 30; "
                  "each honest got %.0f of them on average; flooder errors: %s%s%s; dead %d; "
                  "others saw left(kicked): %s; drops.rate_limited %lld, kicks %lld; "
                  "honest delivery %.4f (%llu/%llu)\n",
                  udp ? "udp" : "enet", (unsigned long long)s.sent[3], from_flooder / 3.0,
                  s.n_errors[3] > 0 ? s.errors[3][0] : "-", s.n_errors[3] > 1 ? ", " : "",
                  s.n_errors[3] > 1 ? s.errors[3][s.n_errors[3] - 1] : "", s.dead[3],
                  others_saw_kick ? "yes" : "no", rate_limited, kicks, delivery,
                  (unsigned long long)got, (unsigned long long)want);
    /* Throttled: some got through, most did not. */
    assert_true(from_flooder > 0);
    assert_true(from_flooder / 3 < s.sent[3] / 2);
    assert_true(rate_limited > 0);
    /* rate_limited first, then kicked, then the end of the connection. */
    assert_true(session_has_error(&s, 3, "rate_limited"));
    assert_true(s.kicked_error_at[3] > 0);
    assert_string_equal(s.errors[3][0], "rate_limited");
    assert_true(s.dead[3]);
    assert_true(others_saw_kick);
    assert_int_equal(kicks, 1);
    assert_true(delivery >= 0.99);
    free(out);
    session_free(&s);
    spawn_free(&relay);
}

static void test_rate_kick_enet(void **state)
{
    (void)state;
    run_rate_kick(false);
}

static void test_rate_kick_udp(void **state)
{
    (void)state;
    run_rate_kick(true);
}

/* ---- 4. bad input: each answered with its code and counted --------------- */

enum bad_kind { BAD_JSON, BAD_STATE, BAD_STATE_V2, BAD_STATE_PADDED, BAD_BIG_JSON };

struct bad_case {
    const char *what;
    enum bad_kind kind;
    uint8_t channel;
    uint32_t flags;
    const char *json; /* BAD_JSON */
    size_t len;       /* BAD_STATE_PADDED, BAD_BIG_JSON */
    const char *code; /* error code expected back */
    const char *counter;
};

static size_t bad_bytes(const struct bad_case *bc, uint8_t *buf, size_t cap)
{
    switch (bc->kind) {
    case BAD_JSON:
        snprintf((char *)buf, cap, "%s", bc->json);
        return strlen(bc->json);
    case BAD_STATE:
        return make_state(buf, cap, 0, 1, PROTO_STATE_SIZE);
    case BAD_STATE_V2: {
        size_t n = make_state(buf, cap, 0, 1, PROTO_STATE_SIZE);
        buf[0] = 2;
        return n;
    }
    case BAD_STATE_PADDED:
        return make_state(buf, cap, 0, 1, bc->len);
    case BAD_BIG_JSON: { /* valid JSON, just long */
        size_t n = (size_t)snprintf((char *)buf, cap, "{\"type\":\"ping\",\"pad\":\"");
        while (n < bc->len - 2)
            buf[n++] = 'x';
        buf[n++] = '"';
        buf[n++] = '}';
        return n;
    }
    }
    return 0;
}

#define R ENET_PACKET_FLAG_RELIABLE
#define U ENET_PACKET_FLAG_UNSEQUENCED
static const struct bad_case bad_enet_groups[][8] = {
    {
        { "state before join", BAD_STATE, 1, U, NULL, 0, "not_joined", "drops.not_joined" },
        { "invalid JSON", BAD_JSON, 0, R, "{\"type\":\"join\",\"version\":2,", 0, "bad_json", "drops.bad_json" },
        { "JSON array", BAD_JSON, 0, R, "[1,2,3]", 0, "bad_json", "drops.bad_json" },
        { "unknown type", BAD_JSON, 0, R, "{\"type\":\"teleport\",\"x\":1}", 0,
          "unknown_type", "drops.unknown_type" },
        { "relay-only type", BAD_JSON, 0, R,
          "{\"type\":\"welcome\",\"id\":1,\"room\":\"x\",\"roster\":[]}", 0, "unknown_type",
          "drops.unknown_type" },
        { "missing field", BAD_JSON, 0, R, "{\"type\":\"join\",\"version\":2,\"name\":\"a\"}", 0,
          "missing_field", "drops.missing_field" },
        { "wrong field type", BAD_JSON, 0, R, "{\"type\":\"join\",\"version\":2,\"room\":5,\"name\":\"a\"}",
          0, "bad_field", "drops.bad_field" },
        { NULL },
    },
    {
        { "state on the control channel", BAD_STATE, 0, R, NULL, 0, "bad_json",
          "drops.wrong_channel" },
        { "JSON on the state channel", BAD_JSON, 1, U, "{\"type\":\"ping\",\"t\":1}", 0,
          "bad_state", "drops.wrong_channel" },
        { "reliable state on channel 1", BAD_STATE, 1, R, NULL, 0, "bad_state",
          "drops.wrong_channel" },
        { "state version 2", BAD_STATE_V2, 1, U, NULL, 0, "bad_state", "drops.bad_state" },
        { "state of 1300 bytes", BAD_STATE_PADDED, 1, U, NULL, 1300, "too_big",
          "drops.too_big" },
        { "control of 3000 bytes", BAD_BIG_JSON, 0, R, NULL, 3000, "too_big", "drops.too_big" },
        { "name longer than --name-max 8", BAD_JSON, 0, R,
          "{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"abcdefghij\"}", 0, "bad_name",
          "drops.bad_name" },
        { "room longer than --room-max 8", BAD_JSON, 0, R,
          "{\"type\":\"join\",\"version\":2,\"room\":\"abcdefghij\",\"name\":\"n\"}", 0, "bad_room",
          "drops.bad_room" },
    },
};

static void expect_counted(struct spawn_proc *relay, const char *what, const char *counter,
                           long long before)
{
    long long after = relay_stat(relay, counter);
    if (after != before + 1)
        fprintf(stderr, "%s: %s went %lld -> %lld, want +1\n", what, counter, before, after);
    assert_int_equal(after, before + 1);
}

static void test_bad_input_enet(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--name-max", "8", "--room-max", "8", "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static uint8_t buf[4096];
    static struct proto_control msg;
    int cases = 0;

    for (size_t g = 0; g < sizeof bad_enet_groups / sizeof bad_enet_groups[0]; g++) {
        struct raw_enet re; /* a fresh peer per group: error budget, strikes */
        assert_int_equal(raw_enet_open(&re, (uint16_t)port), 0);
        for (const struct bad_case *bc = bad_enet_groups[g]; bc < bad_enet_groups[g] + 8 && bc->what;
             bc++) {
            long long before = relay_stat(&relay, bc->counter);
            size_t len = bad_bytes(bc, buf, sizeof buf);
            raw_enet_send(&re, bc->channel, bc->flags, buf, len);
            int rc = raw_enet_expect(&re, PROTO_CTL_ERROR, bc->code, 3000, &msg);
            if (rc != 0)
                fprintf(stderr, "%s: no error %s came back\n", bc->what, bc->code);
            assert_int_equal(rc, 0);
            expect_counted(&relay, bc->what, bc->counter, before);
            assert_false(re.disconnected);
            cases++;
        }
        raw_enet_close(&re);
    }

    /* Joined: a second join elsewhere, a repeated join, forged chat, ping. */
    struct raw_enet a;
    assert_int_equal(raw_enet_open(&a, (uint16_t)port), 0);
    const char *join = "{\"type\":\"join\",\"version\":2,\"room\":\"forge\",\"name\":\"mallory\","
                       "\"mode\":\"unsequenced\"}";
    raw_enet_send(&a, 0, R, join, strlen(join));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_WELCOME, NULL, 3000, &msg), 0);
    uint32_t mallory = a.id;
    assert_true(mallory != 0);
    long long before = relay_stat(&relay, "drops.already_joined");
    const char *join2 = "{\"type\":\"join\",\"version\":2,\"room\":\"other\",\"name\":\"mallory\"}";
    raw_enet_send(&a, 0, R, join2, strlen(join2));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_ERROR, "already_joined", 3000, &msg), 0);
    expect_counted(&relay, "join elsewhere", "drops.already_joined", before);
    raw_enet_send(&a, 0, R, join, strlen(join));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_WELCOME, NULL, 3000, &msg), 0);
    assert_int_equal(msg.id, mallory); /* a repeated join: same id */
    const char *chat = "{\"type\":\"chat\",\"id\":1,\"name\":\"admin\",\"text\":\"hello\"}";
    raw_enet_send(&a, 0, R, chat, strlen(chat));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_CHAT, NULL, 3000, &msg), 0);
    assert_int_equal(msg.id, mallory); /* the relay says who spoke */
    assert_string_equal(msg.name, "mallory");
    const char *ping = "{\"type\":\"ping\",\"t\":424242}";
    raw_enet_send(&a, 0, R, ping, strlen(ping));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_PONG, NULL, 3000, &msg), 0);
    assert_int_equal(msg.t, 424242);

    /* Forged sender ids: a real client in the room sees mallory's id. */
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "forge", "victim", PROTO_MODE_UNSEQUENCED, true, 0);
    session_wait_ready(&s, 0, 1);
    raw_enet_service(&a, 200, PROTO_CTL_JOINED, NULL, NULL, &msg);
    const uint32_t forged[] = { 0, s.id[0], 0xFFFFFFFFu, mallory + 1000 };
    for (size_t k = 0; k < 4; k++) {
        size_t len = make_state(buf, sizeof buf, forged[k], (uint32_t)k, PROTO_STATE_SIZE);
        raw_enet_send(&a, 1, U, buf, len);
    }
    s.id[1] = mallory; /* count states stamped with mallory's id as from index 1 */
    s.n = 2;           /* index 1 has no client: session_poll skips it */
    session_run(&s, 300, 500, NULL, NULL);
    raw_enet_service(&a, 50, PROTO_CTL_PONG, NULL, NULL, &msg);
    print_message("bad input enet: %d cases answered and counted; forged states seen by the "
                  "victim: %llu as mallory, %llu as itself, %llu as others\n", cases,
                  (unsigned long long)s.got_from[0][1], (unsigned long long)s.got_as_self[0],
                  (unsigned long long)s.got_unknown[0]);
    assert_int_equal(s.got_from[0][1], 4);
    assert_int_equal(s.got_as_self[0], 0);
    assert_int_equal(s.got_unknown[0], 0);
    s.n = 1;
    session_free(&s);
    raw_enet_close(&a);

    /* Strikes: a stream of garbage gets the peer kicked; errors are capped. */
    struct raw_enet b;
    assert_int_equal(raw_enet_open(&b, (uint16_t)port), 0);
    long long kicks0 = relay_stat(&relay, "kicks");
    long long suppressed0 = relay_stat(&relay, "errors_suppressed");
    for (int k = 0; k < 40 && !b.disconnected; k++)
        raw_enet_send(&b, 0, R, "{x", 2);
    int kicked = raw_enet_expect(&b, PROTO_CTL_ERROR, "kicked", 3000, &msg);
    raw_enet_service(&b, 1500, PROTO_CTL_PONG, NULL, NULL, &msg);
    long long kicks1 = relay_stat(&relay, "kicks");
    long long suppressed1 = relay_stat(&relay, "errors_suppressed");
    print_message("bad input enet: 40 invalid messages: kicked %s, disconnected %s, kicks +%lld, "
                  "errors suppressed +%lld\n", kicked == 0 ? "yes" : "no",
                  b.disconnected ? "yes" : "no", kicks1 - kicks0, suppressed1 - suppressed0);
    assert_int_equal(kicked, 0);
    assert_true(b.disconnected);
    assert_int_equal(kicks1 - kicks0, 1);
    assert_true(suppressed1 > suppressed0);
    raw_enet_close(&b);

    /* Kicked from 127.0.0.1: a new connection from there is refused for
     * --kick-ban-s (default 10 s) with error kicked, counted as banned. */
    struct raw_enet again;
    long long banned0 = relay_stat(&relay, "drops.banned");
    assert_int_equal(raw_enet_open(&again, (uint16_t)port), 0);
    int refused = raw_enet_expect(&again, PROTO_CTL_ERROR, "kicked", 3000, &msg);
    char refusal[PROTO_TEXT_MAX + 1];
    snprintf(refusal, sizeof refusal, "%s", refused == 0 ? msg.text : "-");
    uint64_t until = clock_now_ms() + 3000;
    while (!again.disconnected && clock_now_ms() < until)
        raw_enet_service(&again, 50, PROTO_CTL_PONG, NULL, NULL, &msg);
    long long banned1 = relay_stat(&relay, "drops.banned");
    print_message("bad input enet: reconnect after the kick: refused %s (%s), disconnected %s, "
                  "drops.banned +%lld\n", refused == 0 ? "yes" : "no",
                  refusal, again.disconnected ? "yes" : "no",
                  banned1 - banned0);
    assert_int_equal(refused, 0);
    assert_true(again.disconnected);
    assert_int_equal(banned1 - banned0, 1);
    raw_enet_close(&again);

    free(relay_finish(&relay));
    spawn_free(&relay);
}

/* Rejections ENet makes before the core sees anything must be counted too
 * (and answered where the client is connected): a connection with fewer
 * channels than the protocol needs, and a packet above ENet's
 * maximumPacketSize (which ENet drops without acknowledging it, so the
 * client's reliable channel 0 stalls until it times out). Both are measured
 * first, then asserted. */
static void test_enet_level_rejections(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct proto_control msg;

    struct raw_enet one;
    long long drops0 = relay_stat(&relay, "drops.*");
    long long chan0 = relay_stat(&relay, "drops.bad_channels");
    assert_int_equal(raw_enet_open_channels(&one, (uint16_t)port, 1), 0);
    raw_enet_service(&one, 1500, PROTO_CTL_PONG, NULL, NULL, &msg);
    long long drops1 = relay_stat(&relay, "drops.*");
    long long chan1 = relay_stat(&relay, "drops.bad_channels");
    bool one_refused = one.disconnected;
    raw_enet_close(&one);

    struct raw_enet big;
    assert_int_equal(raw_enet_open(&big, (uint16_t)port), 0);
    size_t n = 100000; /* > 65536, the relay's ENet maximumPacketSize */
    char *buf = malloc(n);
    assert_non_null(buf);
    memset(buf, 'x', n);
    memcpy(buf, "{\"type\":\"ping\",\"pad\":\"", 20);
    buf[n - 2] = '"';
    buf[n - 1] = '}';
    long long too_big0 = relay_stat(&relay, "drops.too_big");
    raw_enet_send(&big, 0, ENET_PACKET_FLAG_RELIABLE, buf, n);
    free(buf);
    int answered = raw_enet_expect(&big, PROTO_CTL_ERROR, "too_big", 3000, &msg);
    /* then the relay closes the connection: nothing can follow on channel 0 */
    uint64_t deadline = clock_now_ms() + 3000;
    while (!big.disconnected && clock_now_ms() < deadline)
        raw_enet_service(&big, 50, PROTO_CTL_PONG, NULL, NULL, &msg);
    long long too_big1 = relay_stat(&relay, "drops.too_big");
    bool big_disconnected = big.disconnected;
    raw_enet_close(&big);

    /* The relay is still fine for the next client. */
    struct raw_enet after;
    assert_int_equal(raw_enet_open(&after, (uint16_t)port), 0);
    const char *ping = "{\"type\":\"ping\",\"t\":7}";
    raw_enet_send(&after, 0, ENET_PACKET_FLAG_RELIABLE, ping, strlen(ping));
    int ponged = raw_enet_expect(&after, PROTO_CTL_PONG, NULL, 3000, &msg);
    raw_enet_close(&after);
    print_message("enet-level rejections: 1-channel connection refused %s, drops +%lld "
                  "(bad_channels +%lld); 100000-byte packet: error too_big %s, disconnected "
                  "%s, drops.too_big +%lld\n",
                  one_refused ? "yes" : "no", drops1 - drops0, chan1 - chan0,
                  answered == 0 ? "yes" : "no", big_disconnected ? "yes" : "no",
                  too_big1 - too_big0);
    free(relay_finish(&relay));
    spawn_free(&relay);
    assert_true(one_refused);
    assert_int_equal(chan1 - chan0, 1);
    assert_true(drops1 > drops0);
    assert_int_equal(answered, 0);
    assert_true(big_disconnected);
    assert_int_equal(too_big1 - too_big0, 1); /* once per packet, not per fragment */
    assert_int_equal(ponged, 0);
}

/* Without --max-per-address the relay takes 16 connections from one IP
 * address (a public relay must not give one host every slot): the 17th
 * from 127.0.0.1 is refused and counted. */
static void test_per_address_default_enet(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    enum { N = 17 };
    struct raw_enet re[N];
    int connected = 0;
    for (int i = 0; i < N - 1; i++)
        connected += raw_enet_open(&re[i], (uint16_t)port) == 0;
    long long per_address0 = relay_stat(&relay, "drops.per_address");
    int last = raw_enet_open_within(&re[N - 1], (uint16_t)port, PROTO_CHANNEL_COUNT, 1500);
    long long per_address1 = relay_stat(&relay, "drops.per_address");
    long long clients = relay_stat(&relay, "clients");
    for (int i = 0; i < N; i++)
        raw_enet_close(&re[i]);
    print_message("per-address default: %d of 16 connected, 17th %s; drops.per_address +%lld; "
                  "clients %lld\n", connected, last == 0 ? "connected" : "refused",
                  per_address1 - per_address0, clients);
    free(relay_finish(&relay));
    spawn_free(&relay);
    assert_int_equal(connected, N - 1);
    assert_int_equal(last, -1);
    assert_true(per_address1 > per_address0);
    assert_int_equal(clients, N - 1);
}

static void test_bad_input_udp(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--transport", "udp", "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct sockaddr_in to = loopback((uint16_t)port);
    int fd = harness_udp_socket(NULL);
    static uint8_t buf[4096];
    static struct proto_control msg;
    /* A stranger's state (long enough for the answer, see PROTOCOL.md's
     * return routability): not_joined. */
    size_t slen = make_state(buf, sizeof buf, 0, 1, PROTO_STATE_SIZE + 20);
    long long nj = relay_stat(&relay, "drops.not_joined");
    sendto(fd, buf, slen, 0, (struct sockaddr *)&to, sizeof to);
    assert_int_equal(udp_expect(fd, PROTO_CTL_ERROR, "not_joined", 3000, &msg), 0);
    expect_counted(&relay, "state before join", "drops.not_joined", nj);
    /* The rest from a member: a stranger gets no more than not_joined. */
    int bad = harness_udp_socket(NULL);
    assert_true(harness_udp_join(bad, (uint16_t)port,
                                 "{\"type\":\"join\",\"version\":2,\"room\":\"bad\","
                                 "\"name\":\"bad\",\"mode\":\"udp\"}", &msg, 3000));
    assert_int_equal(msg.type, PROTO_CTL_WELCOME);
    static const struct bad_case cases[] = {
        { "invalid JSON", BAD_JSON, 0, 0, "{\"type\":", 0, "bad_json", "drops.bad_json" },
        { "unknown type", BAD_JSON, 0, 0, "{\"type\":\"teleport\"}", 0, "unknown_type",
          "drops.unknown_type" },
        { "missing field", BAD_JSON, 0, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"r\"}", 0,
          "missing_field", "drops.missing_field" },
        { "state version 2", BAD_STATE_V2, 0, 0, NULL, 0, "bad_state", "drops.bad_state" },
        { "state of 1300 bytes", BAD_STATE_PADDED, 0, 0, NULL, 1300, "too_big",
          "drops.too_big" },
        { "datagram of 3000 bytes", BAD_BIG_JSON, 0, 0, NULL, 3000, "too_big",
          "drops.too_big" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct bad_case *bc = &cases[k];
        long long before = relay_stat(&relay, bc->counter);
        size_t len = bad_bytes(bc, buf, sizeof buf);
        assert_true(sendto(bad, buf, len, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)len);
        int rc = udp_expect(bad, PROTO_CTL_ERROR, bc->code, 3000, &msg);
        if (rc != 0)
            fprintf(stderr, "udp %s: no error %s came back\n", bc->what, bc->code);
        assert_int_equal(rc, 0);
        expect_counted(&relay, bc->what, bc->counter, before);
    }

    /* Join by hand, then forge sender ids; the victim sees our relay id. */
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "forge", "victim", PROTO_MODE_UDP, true, 0);
    session_wait_ready(&s, 0, 1);
    const char *join = "{\"type\":\"join\",\"version\":2,\"room\":\"forge\",\"name\":\"mallory\",\"mode\":\"udp\"}";
    assert_true(harness_udp_join(fd, (uint16_t)port, join, &msg, 3000));
    assert_int_equal(msg.type, PROTO_CTL_WELCOME);
    uint32_t mallory = msg.id;
    session_run(&s, 200, 0, NULL, NULL);
    const uint32_t forged[] = { 0, s.id[0], 0xFFFFFFFFu, mallory + 1000 };
    for (size_t k = 0; k < 4; k++) {
        size_t len = make_state(buf, sizeof buf, forged[k], (uint32_t)k, PROTO_STATE_SIZE);
        sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to);
    }
    /* Datagrams at the victim's own socket from a stranger are ignored. */
    struct sockaddr_in victim_addr;
    socklen_t alen = sizeof victim_addr;
    assert_int_equal(getsockname(client_socket_fd(s.c[0]), (struct sockaddr *)&victim_addr,
                                 &alen), 0);
    int stranger = harness_udp_socket(NULL);
    for (size_t k = 0; k < 4; k++) {
        size_t len = make_state(buf, sizeof buf, mallory, 100 + (uint32_t)k, PROTO_STATE_SIZE);
        sendto(stranger, buf, len, 0, (struct sockaddr *)&victim_addr, sizeof victim_addr);
    }
    const char *fake_left = "{\"type\":\"left\",\"id\":1,\"name\":\"victim\",\"reason\":\"kicked\"}";
    sendto(stranger, fake_left, strlen(fake_left), 0, (struct sockaddr *)&victim_addr,
           sizeof victim_addr);
    s.id[1] = mallory;
    s.n = 2;
    session_run(&s, 300, 500, NULL, NULL);
    print_message("bad input udp: %zu cases answered and counted; forged states seen by the "
                  "victim: %llu as mallory, %llu as itself, %llu as others; left notices %zu\n",
                  sizeof cases / sizeof cases[0], (unsigned long long)s.got_from[0][1],
                  (unsigned long long)s.got_as_self[0], (unsigned long long)s.got_unknown[0],
                  s.n_left[0]);
    assert_int_equal(s.got_from[0][1], 4); /* the relay's 4, not the stranger's */
    assert_int_equal(s.got_as_self[0], 0);
    assert_int_equal(s.got_unknown[0], 0);
    assert_int_equal(s.n_left[0], 0);
    assert_true(client_joined(s.c[0]));
    s.n = 1;
    session_free(&s);
    close(stranger);
    close(bad);
    close(fd);
    free(relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (enet_initialize() != 0) {
        fprintf(stderr, "enet_initialize failed\n");
        return 1;
    }
    print_message("test_abuse: seed %d\n", ABUSE_SEED);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input_enet),
        cmocka_unit_test(test_bad_input_udp),
        cmocka_unit_test(test_enet_level_rejections),
        cmocka_unit_test(test_peer_cap_enet),
        cmocka_unit_test(test_peer_cap_udp),
        cmocka_unit_test(test_per_address_enet),
        cmocka_unit_test(test_per_address_udp),
        cmocka_unit_test(test_per_address_default_enet),
        cmocka_unit_test(test_rate_kick_enet),
        cmocka_unit_test(test_rate_kick_udp),
        cmocka_unit_test(test_flood_enet),
        cmocka_unit_test(test_flood_udp),
    };
    if (getenv("RICOCHET_ABUSE_ONLY")) /* e.g. "*flood*" */
        cmocka_set_test_filter(getenv("RICOCHET_ABUSE_ONLY"));
    int rc = cmocka_run_group_tests_name("abuse", tests, NULL, NULL);
    spawn_kill_all();
    enet_deinitialize();
    return rc;
}
