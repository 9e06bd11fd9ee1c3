/* harness_clients.c: see harness.h. Clients of libricochet driven until
 * a condition holds or a deadline passes, their events recorded
 * (struct harness_rec), a relay with a room of them (a session), and the
 * room every stream edge's test makes. */
#include "harness.h"
#include "stats/pattern.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "client/lib/client.h"

int harness_poll_until(struct ricochet *const *clients, size_t n, int timeout_ms,
                       void (*on_event)(void *ctx, size_t index,
                                        const struct ricochet_event *ev),
                       bool (*done)(void *ctx), void *ctx)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    bool *over = calloc(n ? n : 1, sizeof *over);
    struct pollfd *fds = calloc(n ? n : 1, sizeof *fds);
    int rc = -1;
    if (!over || !fds)
        goto out;
    for (;;) {
        /* Drain every client's pending events. */
        for (size_t i = 0; i < n; i++) {
            if (!clients[i] || over[i])
                continue;
            struct ricochet_event ev;
            for (int guard = 0; guard < 100000; guard++) {
                int r = ricochet_poll(clients[i], 0, &ev);
                if (r == 0)
                    break;
                if (r < 0) {
                    over[i] = true;
                    break;
                }
                if (on_event)
                    on_event(ctx, i, &ev);
            }
        }
        if (done && done(ctx)) {
            rc = 0;
            goto out;
        }
        uint64_t now = clock_now_ms();
        if (now >= deadline)
            goto out;
        nfds_t nfds = 0;
        for (size_t i = 0; i < n; i++) {
            if (!clients[i] || over[i])
                continue;
            int fd = ricochet_fd(clients[i]);
            if (fd >= 0) {
                fds[nfds].fd = fd;
                fds[nfds].events = POLLIN;
                nfds++;
            }
        }
        /* Wake at least every 10 ms: ENet also has timers (resends, pings). */
        int wait = (int)(deadline - now);
        if (wait > 10)
            wait = 10;
        if (nfds)
            poll(fds, nfds, wait);
        else
            clock_sleep_until_us(clock_now_us() + (uint64_t)wait * 1000u);
    }
out:
    free(over);
    free(fds);
    return rc;
}

static bool never(void *ctx)
{
    (void)ctx;
    return false;
}

void harness_poll_for(struct ricochet *const *clients, size_t n, int ms,
                      void (*on_event)(void *ctx, size_t index,
                                       const struct ricochet_event *ev),
                      void *ctx)
{
    harness_poll_until(clients, n, ms, on_event, never, ctx);
}

void harness_rec_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct harness_rec *r = ctx;
    if (i >= HARNESS_MAX_CLIENTS)
        return;
    switch (ev->type) {
    case RICOCHET_EV_APPEARED: /* rooms with interest: test_e2e_interest counts them */
    case RICOCHET_EV_VANISHED:
    case RICOCHET_EV_TOO_OLD: /* counted in the member's stats */
    case RICOCHET_EV_ROOMS:   /* a listing asked for: test_e2e_rooms reads it */
    case RICOCHET_EV_ROOM:    /* my room changed: ricochet_room_* read it */
    case RICOCHET_EV_FRAME:   /* a lockstep room's: test_e2e_lockstep reads them */
    case RICOCHET_EV_LATE:
    case RICOCHET_EV_DESYNC:
        break;
    case RICOCHET_EV_WELCOME:
        r->welcomed[i] = true;
        break;
    case RICOCHET_EV_MOVED:
        r->moved[i]++;
        break;
    case RICOCHET_EV_STATE: {
        uint32_t id = ev->state.sender;
        if (id != ev->id || id == 0 || id >= HARNESS_MAX_IDS) {
            r->states_bad_id[i]++;
            break;
        }
        if (id == ricochet_id(r->c[i]))
            r->self_states[i]++;
        r->states[i][id]++;
        if ((unsigned)ev->mode < PROTO_MODE_COUNT)
            r->arrived[i][ev->mode]++;
        r->arrived_as[i][id] = (enum proto_mode)ev->mode;
        r->last[i][id] = ev->state;
        size_t len;
        const uint8_t *p = ricochet_event_bytes(r->c[i], &len);
        if (len && pattern_ok(ev->state.seq, p, len)) {
            r->payloads[i]++;
            r->payload_bytes[i] += len;
        } else if (len) {
            r->payloads_bad[i]++;
        }
        break;
    }
    case RICOCHET_EV_EVENT: {
        size_t len;
        const uint8_t *p = ricochet_event_bytes(r->c[i], &len);
        if (pattern_ok_keyed(p, len))
            r->events[i]++;
        else
            r->events_bad[i]++;
        r->event_from[i] = ev->id;
        snprintf(r->event_code[i], sizeof r->event_code[i], "%s", ev->code);
        break;
    }
    case RICOCHET_EV_JOINED:
        if (r->n_joined[i] < HARNESS_MAX_NOTICES) {
            r->joined[i][r->n_joined[i]] = ev->id;
            snprintf(r->joined_name[i][r->n_joined[i]], PROTO_NAME_MAX + 1, "%s",
                     ev->name);
            r->n_joined[i]++;
        }
        break;
    case RICOCHET_EV_LEFT:
        if (r->n_left[i] < HARNESS_MAX_NOTICES) {
            r->left[i][r->n_left[i]] = ev->id;
            r->left_reason[i][r->n_left[i]] = harness_left_reason(ev);
            r->n_left[i]++;
        }
        break;
    case RICOCHET_EV_REJOINED:
        r->rejoined[i]++;
        break;
    case RICOCHET_EV_ERROR:
        r->n_errors[i]++;
        snprintf(r->last_error[i], sizeof r->last_error[i], "%s", ev->code);
        break;
    case RICOCHET_EV_CHAT:
        r->n_chat[i]++;
        break;
    case RICOCHET_EV_DISCONNECTED:
        r->disconnected[i] = true;
        break;
    }
}

void harness_send_rounds(struct harness_rec *r, int rounds)
{
    for (int k = 1; k <= rounds; k++) {
        for (size_t i = 0; i < r->n; i++)
            if (r->c[i]) {
                struct ricochet_state s = {.x = (float)k, .y = (float)i};
                assert_int_equal(ricochet_send_state(r->c[i], &s), RICOCHET_OK);
            }
        harness_poll_for(r->c, r->n, 20, harness_rec_event, r);
    }
}

enum proto_left_reason harness_left_reason(const struct ricochet_event *ev)
{
    for (int k = PROTO_LEFT_QUIT; k <= PROTO_LEFT_KICKED; k++)
        if (strcmp(ev->code, proto_left_reason_name((enum proto_left_reason)k)) == 0)
            return (enum proto_left_reason)k;
    return (enum proto_left_reason)-1;
}

bool harness_rec_saw_left(const struct harness_rec *r, size_t i, uint32_t id,
                          enum proto_left_reason reason)
{
    for (size_t k = 0; k < r->n_left[i]; k++)
        if (r->left[i][k] == id && r->left_reason[i][k] == reason)
            return true;
    return false;
}

struct ricochet *harness_client(uint16_t port, const char *room, const char *name,
                              enum proto_mode mode, bool reflect)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room,
                                .name = name, .mode = mode, .reflect = reflect,
                                .timeout_ms = 5000};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", name, err);
    return c;
}

bool harness_all_welcomed(void *ctx)
{
    const struct harness_rec *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i] && !r->welcomed[i])
            return false;
    return true;
}

bool harness_all_see_all(void *ctx)
{
    const struct harness_rec *r = ctx;
    for (size_t i = 0; i < r->n; i++) {
        size_t m;
        if (!r->c[i])
            continue;
        client_members(r->c[i], &m);
        if (!r->welcomed[i] || m != r->n - 1)
            return false;
    }
    return true;
}

struct harness_rec *harness_session_start(struct harness_session *s,
                                          const char *const *args, const char *room,
                                          const struct harness_member *members, size_t n,
                                          void (*on_event)(void *ctx, size_t index,
                                                           const struct ricochet_event *ev),
                                          int timeout_ms)
{
    memset(s, 0, sizeof *s);
    assert_true(n <= HARNESS_MAX_CLIENTS);
    int port = harness_start_relay(&s->relay, args);
    assert_true(port > 0);
    s->port = (uint16_t)port;
    s->rec.n = n;
    for (size_t i = 0; i < n; i++)
        s->rec.c[i] = harness_client(s->port, room, members[i].name, members[i].mode,
                                     members[i].reflect);
    assert_int_equal(harness_poll_until(s->rec.c, n, timeout_ms,
                                        on_event ? on_event : harness_rec_event,
                                        harness_all_see_all, &s->rec), 0);
    return &s->rec;
}

void harness_session_end(struct harness_session *s, int timeout_ms, char **relay_stdout)
{
    for (size_t i = 0; i < HARNESS_MAX_CLIENTS; i++) {
        if (s->rec.c[i])
            ricochet_close(s->rec.c[i]);
        s->rec.c[i] = NULL;
    }
    assert_int_equal(spawn_stop(&s->relay, SIGTERM, timeout_ms), 0);
    if (relay_stdout)
        *relay_stdout = spawn_read_stdout(&s->relay);
    spawn_free(&s->relay);
}

void harness_stream_room(struct spawn_proc *relay, enum proto_mode stream, uint16_t stream_port,
                         uint16_t enet, uint16_t udp)
{
    static const char *const names[4] = {"ann", "ben", "cat", "dan"};
    const enum proto_mode mode[4] = {stream, PROTO_MODE_UNSEQUENCED, PROTO_MODE_UDP, stream};
    const uint16_t port[4] = {stream_port, enet, udp, stream_port};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 4;
    for (size_t i = 0; i < 4; i++)
        r.c[i] = harness_client(port[i], "mixed", names[i], mode[i], false);
    assert_int_equal(harness_poll_until(r.c, 4, 5000, harness_rec_event, harness_all_see_all,
                                        &r), 0);
    uint32_t id[4];
    for (size_t i = 0; i < 4; i++)
        id[i] = ricochet_id(r.c[i]);
    const int rounds = 40;
    harness_send_rounds(&r, rounds);
    harness_poll_for(r.c, 4, 300, harness_rec_event, &r);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.states_bad_id[i], 0);
        assert_int_equal(r.self_states[i], 0);
        for (size_t j = 0; j < 4; j++) {
            if (i == j)
                continue;
            if (mode[i] == stream && mode[j] == stream)
                assert_int_equal(r.states[i][id[j]], rounds); /* a stream both ways */
            else
                assert_in_range(r.states[i][id[j]], rounds * 8 / 10, rounds);
            assert_int_equal(r.arrived_as[i][id[j]], mode[i]); /* the receiver's mode */
        }
    }
    assert_int_equal(ricochet_send_chat(r.c[0], "from a stream"), RICOCHET_OK);
    harness_poll_for(r.c, 4, 300, harness_rec_event, &r);
    assert_true(r.n_chat[1] >= 1 && r.n_chat[2] >= 1 && r.n_chat[3] >= 1);
    char *out = harness_relay_stats_now(relay);
    assert_non_null(out);
    char key[64];
    const char *edge = proto_mode_name(stream);
    snprintf(key, sizeof key, "edges.%s.members", edge);
    assert_int_equal(harness_stats_field(out, false, key), 2);
    snprintf(key, sizeof key, "edges.%s.states_in", edge);
    assert_int_equal(harness_stats_field(out, false, key), 2 * rounds);
    snprintf(key, sizeof key, "edges.%s.conflated", edge);
    assert_int_equal(harness_stats_field(out, false, key), 0);
    free(out);
    ricochet_close(r.c[3]); /* closing the connection (tcp), a close frame (ws): leaving */
    r.c[3] = NULL;
    harness_poll_for(r.c, 4, 500, harness_rec_event, &r);
    assert_true(harness_rec_saw_left(&r, 1, id[3], PROTO_LEFT_QUIT));
    assert_true(harness_rec_saw_left(&r, 2, id[3], PROTO_LEFT_QUIT));
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
}

/* Has client 0 of rec (a struct harness_rec) ended? */
static bool first_disconnected(void *rec)
{
    return ((struct harness_rec *)rec)->disconnected[0];
}

void harness_stream_silence(enum proto_mode stream, const char *listen)
{
    static struct harness_three t;
    static const char *const more[] = {"--timeout-ms", "1500", NULL};
    harness_three_start(&t, listen, more);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 1;
    struct client_config cfg = {.host = "127.0.0.1", .port = t.stream, .room = "alone",
                                .name = "sender", .mode = stream, .timeout_ms = 1500};
    char err[256];
    r.c[0] = client_create(&cfg, err, sizeof err);
    assert_non_null(r.c[0]);
    assert_int_equal(harness_poll_until(r.c, 1, 5000, harness_rec_event, harness_all_welcomed,
                                        &r), 0);
    for (int k = 0; k < 40; k++) {
        struct ricochet_state s = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[0], &s), RICOCHET_OK);
        harness_poll_for(r.c, 1, 100, harness_rec_event, &r);
    }
    assert_false(r.disconnected[0]);
    assert_int_equal(spawn_signal(&t.relay, SIGSTOP), 0);
    uint64_t stopped = clock_now_ms();
    int rc = harness_poll_until(r.c, 1, 6000, harness_rec_event, first_disconnected, &r);
    uint64_t took = clock_now_ms() - stopped;
    assert_int_equal(spawn_signal(&t.relay, SIGCONT), 0);
    assert_int_equal(rc, 0);
    assert_in_range(took, 1000, 6000);
    assert_non_null(strstr(ricochet_end_reason(r.c[0]), "the relay went silent"));
    ricochet_close(r.c[0]);
    harness_three_stop(&t);
}

void harness_stream_alone_in_a_fleet(enum proto_mode stream, enum ricochet_transport transport,
                                     const char *listen)
{
    static struct harness_three t;
    harness_three_start(&t, listen, NULL);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 1;
    struct client_config cfg = {.host = "127.0.0.1", .port = t.stream, .room = "alone",
                                .name = "sender", .mode = stream, .transport = transport,
                                .rejoin_ms = 10000};
    char err[256];
    r.c[0] = client_create(&cfg, err, sizeof err);
    assert_non_null(r.c[0]);
    assert_int_equal(harness_poll_until(r.c, 1, 5000, harness_rec_event, harness_all_welcomed,
                                        &r), 0);
    uint32_t id = ricochet_id(r.c[0]);
    for (int k = 0; k < 50; k++) { /* 5 s: three times the relay's silence a fleet allows */
        struct ricochet_state s = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[0], &s), RICOCHET_OK);
        harness_poll_for(r.c, 1, 100, harness_rec_event, &r);
    }
    assert_false(r.disconnected[0]);
    assert_int_equal(ricochet_id(r.c[0]), id); /* never joined again */
    assert_int_equal(harness_relay_stat(&t.relay, "joins"), 1);
    ricochet_close(r.c[0]);
    harness_three_stop(&t);
}
