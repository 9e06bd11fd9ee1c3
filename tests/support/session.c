/* session.c: a session of clients for abuse tests (see session.h). */
#include "session.h"

#include <poll.h>
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

void session_on_event(void *ctx, size_t i, const struct client_event *ev)
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

int session_add(struct session *s, uint16_t port, const char *room,
                       const char *name, enum proto_mode mode, bool honest, double rate_hz)
{
    char err[256];
    struct client_config cfg = { "127.0.0.1", port, room, name, mode, false, 5000 };
    assert_true(s->n < SESSION_MAX_PEERS);
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

bool session_has_error(const struct session *s, size_t i, const char *code)
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

void session_wait_ready(struct session *s, size_t from, size_t to)
{
    struct ready_ctx rc = { s, from, to };
    int r = harness_poll_until(s->c, s->n, 15000, session_on_event_thunk, session_ready, &rc);
    if (r != 0)
        fprintf(stderr, "session: clients %zu..%zu not all joined and visible\n", from, to);
    assert_int_equal(r, 0);
}

/* Polls every live client once (all pending events). */
void session_poll(struct session *s)
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
void session_run(struct session *s, int ms, int ms_drain,
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
        struct pollfd fds[SESSION_MAX_PEERS];
        nfds_t nfds = 0;
        for (size_t i = 0; i < s->n; i++)
            if (s->c[i] && !s->dead[i] && client_socket_fd(s->c[i]) >= 0)
                fds[nfds++] = (struct pollfd){ .fd = client_socket_fd(s->c[i]), .events = POLLIN };
        poll(fds, nfds, 1);
    }
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
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i])
            client_destroy(s->c[i]);
    s->n = 0;
}

int session_run_tests(const char *name, const struct CMUnitTest *tests, size_t n)
{
    signal(SIGPIPE, SIG_IGN);
    if (enet_initialize() != 0) {
        fprintf(stderr, "enet_initialize failed\n");
        return 1;
    }
    if (getenv("RICOCHET_ABUSE_ONLY")) /* e.g. "*flood*" */
        cmocka_set_test_filter(getenv("RICOCHET_ABUSE_ONLY"));
    int rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    spawn_kill_all();
    enet_deinitialize();
    return rc;
}
