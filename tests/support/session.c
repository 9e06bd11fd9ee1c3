/* session.c: a session of clients for abuse tests (see session.h). */
#include "session.h"

#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "harness.h"

void session_init(struct session *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < SESSION_MAX_PEERS; i++)
        s->kicked_error_at[i] = -1;
}

static int session_index_of(const struct session *s, uint32_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (id != 0 && s->id[i] == id)
            return (int)i;
    return -1;
}

/* Counts one event of client i (the swarm's event hook; ctx is s). */
static void session_on_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct session *s = ctx;
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        s->id[i] = ricochet_id(s->c[i]);
        break;
    case RICOCHET_EV_STATE: {
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
    case RICOCHET_EV_ERROR:
        if (s->n_errors[i] < 8) {
            snprintf(s->errors[i][s->n_errors[i]], PROTO_CODE_MAX + 1, "%s",
                     ev->code);
            if (strcmp(ev->code, "kicked") == 0 && s->kicked_error_at[i] < 0)
                s->kicked_error_at[i] = (int)s->n_errors[i];
            s->n_errors[i]++;
        }
        break;
    case RICOCHET_EV_LEFT:
        if (s->n_left[i] < 8) {
            s->left_id[i][s->n_left[i]] = ev->id;
            s->left_reason[i][s->n_left[i]] = harness_left_reason(ev);
            s->n_left[i]++;
        }
        break;
    case RICOCHET_EV_DISCONNECTED:
        s->dead[i] = true;
        break;
    default:
        break;
    }
}

static void session_sent(void *ctx, size_t i, uint64_t t_us, bool ok)
{
    struct session *s = ctx;
    (void)t_us;
    s->sent[i] += ok;
}

int session_adopt(struct session *s, struct ricochet *c, const char *name, bool honest,
                  double rate_hz)
{
    char err[256];
    assert_true(s->n < SESSION_MAX_PEERS);
    if (!s->sw) {
        struct swarm_config cfg = {.host = "127.0.0.1"}; /* no client of its own */
        struct swarm_hooks hooks = {.ctx = s, .sent = session_sent, .event = session_on_event};
        s->sw = swarm_create(&cfg, &hooks, err, sizeof err);
        assert_non_null(s->sw);
    }
    assert_int_equal(swarm_size(s->sw), s->n); /* session index = swarm index */
    if (swarm_adopt(s->sw, c, name, rate_hz, err, sizeof err) != 0) {
        fprintf(stderr, "swarm_adopt %s: %s\n", name, err);
        ricochet_close(c);
        return -1;
    }
    s->c[s->n] = c;
    s->honest[s->n] = honest;
    return (int)s->n++;
}

int session_add(struct session *s, uint16_t port, const char *room, const char *name,
                enum proto_mode mode, bool honest, double rate_hz)
{
    char err[256];
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room, .name = name,
                                .mode = mode, .timeout_ms = 5000};
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c) {
        fprintf(stderr, "client_create %s: %s\n", name, err);
        return -1;
    }
    return session_adopt(s, c, name, honest, rate_hz);
}

bool session_has_error(const struct session *s, size_t i, const char *code)
{
    for (size_t k = 0; k < s->n_errors[i]; k++)
        if (strcmp(s->errors[i][k], code) == 0)
            return true;
    return false;
}

/* Everyone in [from, to) is welcomed and sees the others of that range. */
static bool session_ready(struct session *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (!ricochet_joined(s->c[i]))
            return false;
        s->id[i] = ricochet_id(s->c[i]);
        for (size_t j = from; j < to; j++)
            if (j != i && (!s->id[j] || !client_member(s->c[i], s->id[j])))
                return false;
    }
    return true;
}

void session_wait_ready(struct session *s, size_t from, size_t to)
{
    uint64_t deadline = clock_now_us() + 15000000;
    while (!session_ready(s, from, to) && clock_now_us() < deadline)
        swarm_service(s->sw, 1000);
    if (!session_ready(s, from, to))
        fprintf(stderr, "session: clients %zu..%zu not all joined and visible\n", from, to);
    assert_true(session_ready(s, from, to));
}

void session_run(struct session *s, int ms, int ms_drain, void (*hook)(void *ctx),
                 void *hook_ctx)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000u;
    swarm_schedule(s->sw, clock_now_us());
    while (clock_now_us() < end) {
        swarm_step(s->sw, end);
        if (hook)
            hook(hook_ctx);
    }
    swarm_drain(s->sw, end + (uint64_t)ms_drain * 1000u);
}

/* Delivery among honest clients: received / sent over every ordered pair. */
double session_delivery(const struct session *s, uint64_t *got_out, uint64_t *want_out)
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

void session_free(struct session *s)
{
    swarm_destroy(s->sw);
    s->sw = NULL;
    s->n = 0;
}

int session_run_tests(const char *name, const struct CMUnitTest *tests, size_t n)
{
    signal(SIGPIPE, SIG_IGN);
    if (enet_initialize() != 0) {
        fprintf(stderr, "enet_initialize failed\n");
        return 1;
    }
    int rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    spawn_kill_all();
    enet_deinitialize();
    return rc;
}
