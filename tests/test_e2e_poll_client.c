/* test_e2e_poll_client.c: libricochet over the HTTP polling edge
 * (`RICOCHET_TRANSPORT_POLL`): a long-polling, a short-polling (20 ms) and an
 * ENet session in one room of a real relay, welcomed, each listing the two
 * others (the polling ones as tcp); idle for a second, the short poller
 * receives at least 20 empty answers' bytes more than the long poller; 20
 * states each way between all three, none lost; the long poller's close is
 * leaving (both others told `quit` well within the 3 s timeout) while the short
 * poller goes on; both closed, the relay's poll edge has no member left; the
 * config's refusals (a wait over 25000, short polling without an interval or
 * past 10000, a mode other than tcp); a port nobody listens on ends the session
 * `refused` within a second, and a port that speaks no HTTP (a TCP edge)
 * `disconnected`, its reason naming the address and pointing to the poll://
 * edge; a session made in a
 * network namespace and driven from another thread dials its next connection
 * in its own namespace; a fleet's session alone in its room, idle long polls
 * answered, never takes its live relay for lost */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "lab/harness/netlab.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define WAIT_MS 10000
#define STATES 20

/* What one session saw. */
struct seen {
    uint32_t id;                          /* the welcome's */
    unsigned states_from[HARNESS_MAX_IDS]; /* states by sender */
    bool left_quit[HARNESS_MAX_IDS];      /* a left notice, reason quit */
    bool disconnected;
    char code[RICOCHET_CODE_MAX + 1];
    char text[RICOCHET_TEXT_MAX + 1];
};

static void seen_event(struct seen *s, const struct ricochet_event *ev)
{
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        s->id = ev->id;
        break;
    case RICOCHET_EV_STATE:
        if (ev->id < HARNESS_MAX_IDS)
            s->states_from[ev->id]++;
        break;
    case RICOCHET_EV_LEFT:
        if (ev->id < HARNESS_MAX_IDS && strcmp(ev->code, "quit") == 0)
            s->left_quit[ev->id] = true;
        break;
    case RICOCHET_EV_DISCONNECTED:
        s->disconnected = true;
        snprintf(s->code, sizeof s->code, "%s", ev->code);
        snprintf(s->text, sizeof s->text, "%s", ev->text);
        break;
    default:
        break;
    }
}

/* Polls every session (NULL skipped) without waiting, 5 ms between rounds,
 * until done(ctx) or ms pass. Returns done's last word. */
static bool poll_all(struct ricochet **r, struct seen *s, size_t n, int ms,
                     bool (*done)(const struct seen *, size_t), int clamp)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            struct ricochet_event ev;
            while (r[i] && ricochet_poll(r[i], 0, &ev) == 1)
                seen_event(&s[i], &ev);
        }
        if (done(s, n) || clock_now_ms() >= end)
            return done(s, n);
        usleep((useconds_t)clamp * 1000u);
    }
}

static bool all_welcomed(const struct seen *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i].id)
            return false;
    return true;
}

/* Every session has every other's STATES states (nothing lost: the
 * senders' modes are lossless but ENet's unsequenced, sent on loopback). */
static bool all_states(const struct seen *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && s[i].states_from[s[j].id] < STATES)
                return false;
    return true;
}

static bool first_disconnected(const struct seen *s, size_t n)
{
    (void)n;
    return s[0].disconnected;
}

static struct ricochet_config *poll_config(uint16_t port, const char *name, uint32_t wait_ms,
                                           uint32_t interval_ms)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "pollroom"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, name), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, RICOCHET_MODE_TCP), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_transport(cfg, RICOCHET_TRANSPORT_POLL), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, 3000), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_poll(cfg, wait_ms, interval_ms), RICOCHET_OK);
    return cfg;
}

static struct ricochet *poll_session(uint16_t port, const char *name, uint32_t wait_ms,
                                     uint32_t interval_ms)
{
    struct ricochet_config *cfg = poll_config(port, name, wait_ms, interval_ms);
    char err[256] = "";
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!r)
        fail_msg("connect: %s", err);
    assert_int_equal(ricochet_transport(r), RICOCHET_TRANSPORT_POLL);
    return r;
}

/* Long and short polling and ENet in one room: welcomed, listed, states
 * every way; a polling session's close is leaving (quit), its session gone
 * from the relay's poll edge. */
static void poll_sessions_in_a_room(void **state)
{
    (void)state;
    struct harness_three t;
    harness_three_start(&t, "poll://127.0.0.1:0", NULL);
    struct ricochet *r[3] = {poll_session(t.stream, "longpoll", 2000, 0),
                             poll_session(t.stream, "shortpoll", 0, 20),
                             harness_client(t.enet, "pollroom", "enetpeer",
                                            PROTO_MODE_UNSEQUENCED, false)};
    struct seen s[3];
    memset(s, 0, sizeof s);
    assert_true(poll_all(r, s, 3, WAIT_MS, all_welcomed, 5));
    /* the member lists: everyone sees the two others, the poll ones as tcp */
    uint64_t end = clock_now_ms() + WAIT_MS;
    bool listed = false;
    while (!listed && clock_now_ms() < end) {
        poll_all(r, s, 3, 20, all_welcomed, 5);
        listed = true;
        for (size_t i = 0; i < 3; i++) {
            struct ricochet_member m[4];
            size_t n = ricochet_members(r[i], m, 4);
            listed = listed && n == 2 && m[0].name[0] && m[1].name[0];
        }
    }
    assert_true(listed);
    struct ricochet_member m[4];
    size_t n = ricochet_members(r[2], m, 4);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(m[i].mode, RICOCHET_MODE_TCP);
    /* idle: the short poller's empty answers come every 20 ms, heads and
     * all; the long poller's GET is held, so hardly a byte comes */
    struct client_netinfo before_long, before_short, after_long, after_short;
    client_netinfo(r[0], &before_long);
    client_netinfo(r[1], &before_short);
    uint64_t idle_end = clock_now_ms() + 1000;
    while (clock_now_ms() < idle_end)
        poll_all(r, s, 3, 20, all_welcomed, 5);
    client_netinfo(r[0], &after_long);
    client_netinfo(r[1], &after_short);
    uint64_t long_bytes = after_long.bytes_received - before_long.bytes_received;
    uint64_t short_bytes = after_short.bytes_received - before_short.bytes_received;
    /* both get the pongs to their clock pings; the short poller, besides,
     * up to 50 empty answers of 103 bytes (fewer on a loaded machine,
     * where the loop turns less often): at least 5 of them here */
    assert_true(short_bytes > long_bytes + 5 * 103);
    /* states every way, sent in bursts (a burst rides one POST) */
    for (int k = 0; k < STATES; k++) {
        for (size_t i = 0; i < 3; i++) {
            struct ricochet_state st = {.x = (float)k, .y = (float)i};
            assert_int_equal(ricochet_send_state(r[i], &st), RICOCHET_OK);
        }
        if (k % 5 == 4)
            poll_all(r, s, 3, 10, all_states, 5);
    }
    assert_true(poll_all(r, s, 3, WAIT_MS, all_states, 5));
    /* the long poller's close is leaving: the others see it quit at once,
     * not after the relay's timeout */
    uint32_t gone = s[0].id;
    uint64_t closed_at = clock_now_ms();
    ricochet_close(r[0]);
    r[0] = NULL;
    end = clock_now_ms() + WAIT_MS;
    while (!(s[1].left_quit[gone] && s[2].left_quit[gone]) && clock_now_ms() < end)
        poll_all(r, s, 3, 20, all_welcomed, 5);
    assert_true(s[1].left_quit[gone]);
    assert_true(s[2].left_quit[gone]);
    assert_true(clock_now_ms() - closed_at < 2500); /* under the 3 s timeout */
    /* the short poller still gets the ENet member's states */
    unsigned before = s[1].states_from[s[2].id];
    struct ricochet_state st = {.x = 1};
    assert_int_equal(ricochet_send_state(r[2], &st), RICOCHET_OK);
    end = clock_now_ms() + WAIT_MS;
    while (s[1].states_from[s[2].id] == before && clock_now_ms() < end)
        poll_all(r, s, 3, 20, all_welcomed, 5);
    assert_true(s[1].states_from[s[2].id] > before);
    ricochet_close(r[1]);
    ricochet_close(r[2]);
    long long ended = -1;
    end = clock_now_ms() + WAIT_MS;
    while (ended != 0 && clock_now_ms() < end) {
        ended = harness_relay_stat(&t.relay, "edges.poll.members");
        if (ended != 0)
            usleep(50000);
    }
    assert_int_equal(ended, 0); /* both polling sessions left the relay */
    harness_three_stop(&t);
}

/* What the config refuses: another mode than tcp, waits out of range. */
static void poll_config_refusals(void **state)
{
    (void)state;
    struct ricochet_config *cfg = poll_config(7777, "cfg", 1000, 0);
    assert_int_equal(ricochet_config_set_poll(cfg, 25001, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_poll(cfg, 0, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_poll(cfg, 0, 10001), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_poll(NULL, 1000, 0), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_mode(cfg, RICOCHET_MODE_RELIABLE), RICOCHET_OK);
    char err[256] = "";
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    assert_null(r);
    assert_non_null(strstr(err, "HTTP polling carries the mode tcp"));
    ricochet_config_free(cfg);
}

/* A port nobody listens on: refused, within a second, in words that name
 * the address and the edge the session expected. */
static void poll_relay_not_there(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* a port just freed: nobody there */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    struct ricochet *r[1] = {poll_session(ntohs(a.sin_port), "lonely", 1000, 0)};
    struct seen s[1];
    memset(s, 0, sizeof s);
    uint64_t started = clock_now_ms();
    assert_true(poll_all(r, s, 1, WAIT_MS, first_disconnected, 5));
    assert_true(clock_now_ms() - started < 1000);
    assert_string_equal(s[0].code, RICOCHET_END_REFUSED);
    assert_non_null(strstr(s[0].text, "Connection refused at 127.0.0.1:"));
    assert_non_null(strstr(s[0].text, "expected: a relay's poll edge"));
    ricochet_close(r[0]);
}

/* A port that speaks no HTTP (the relay's TCP edge reads the request as
 * frames): the session ends, DISCONNECTED, within the join timeout, with
 * words that point to the poll:// edge. */
static void poll_port_speaks_no_http(void **state)
{
    (void)state;
    struct harness_three t;
    harness_three_start(&t, "tcp://127.0.0.1:0", NULL);
    struct ricochet *r[1] = {poll_session(t.stream, "lost", 1000, 0)};
    struct seen s[1];
    memset(s, 0, sizeof s);
    assert_true(poll_all(r, s, 1, WAIT_MS, first_disconnected, 5));
    assert_false(s[0].id);
    assert_true(strcmp(s[0].code, RICOCHET_END_DISCONNECTED) == 0 ||
                strcmp(s[0].code, RICOCHET_END_TIMEOUT) == 0);
    assert_non_null(strstr(ricochet_end_reason(r[0]), "poll"));
    char addr[32]; /* where it looked */
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)t.stream);
    if (!strstr(ricochet_end_reason(r[0]), addr))
        fail_msg("no %s in \"%s\"", addr, ricochet_end_reason(r[0]));
    ricochet_close(r[0]);
    harness_three_stop(&t);
}

/* ---- a session made in a namespace, driven from the test's own ---- */

static int lab_socket(void *lab, int domain, int type, int protocol)
{
    return netlab_socket(lab, NETLAB_CLIENT, domain, type, protocol);
}

struct lab_sessions {
    struct netlab *lab;
    struct client_config cfg[2];
    struct ricochet *r[2];
    int making; /* the session lab_sessions_make makes */
    char err[256];
};

/* client_create in the lab's client namespace, as the lesson makes its
 * lanes' clients (only the making enters it). */
static void *lab_sessions_make(void *arg)
{
    struct lab_sessions *j = arg;
    if (netlab_enter(j->lab, NETLAB_CLIENT, j->err, sizeof j->err) == 0)
        j->r[j->making] = client_create(&j->cfg[j->making], j->err, sizeof j->err);
    return NULL;
}

static void lab_session_make(struct lab_sessions *j, int i)
{
    pthread_t t;
    j->making = i;
    assert_int_equal(pthread_create(&t, NULL, lab_sessions_make, j), 0);
    pthread_join(t, NULL);
    if (!j->r[i])
        fail_msg("client_create in the namespace: %s", j->err);
}

static bool second_has_five(const struct seen *s, size_t n)
{
    (void)n;
    return s[0].disconnected || s[1].states_from[s[0].id] >= 5;
}

/* The first session has every ping answered (so no pong is on its way to
 * take the GET it holds). */
static struct ricochet *pinger;
static bool pong_home(const struct seen *s, size_t n)
{
    (void)n;
    struct client_netinfo info;
    client_netinfo(pinger, &info);
    return s[0].disconnected || (s[0].id && info.pongs_received >= info.pings_sent);
}

/* The relay in a network namespace (on its 127.0.0.1), two polling
 * sessions made there and driven from the test's own thread: the first,
 * left alone past the relay's --timeout-ms (its GET held meanwhile), has
 * its idle POST connection closed, so its next states' POST dials a new
 * one, from a thread in another namespace, where nothing listens (the
 * lesson's lanes met this as "Connection refused"). The config's socket
 * maker puts it where the first went: the states arrive, the session goes
 * on. The first is left alone only with no answer on its way (its last
 * ping's pong home), and the second joins after: an answer would end the
 * held GET, and a session that asks nothing for --timeout-ms is gone. */
static void poll_redial_in_its_namespace(void **state)
{
    (void)state;
    struct netlab lab;
    char err[256];
    if (netlab_open(&lab, err, sizeof err) != 0)
        skip();
    const char *args[] = {"--listen", "poll://127.0.0.1:0", "--timeout-ms", "1000", NULL};
    struct spawn_proc relay;
    assert_int_equal(spawn_start_in(&relay, lab.ns[NETLAB_CLIENT], harness_bin_dir(),
                                    "ricochet-relay", args, err, sizeof err), 0);
    uint16_t port = harness_edge_port(&relay, "poll");
    struct lab_sessions j = {.lab = &lab};
    const char *names[2] = {"idle-poster", "watcher"};
    for (int i = 0; i < 2; i++)
        j.cfg[i] = (struct client_config){
            .host = "127.0.0.1", .port = port, .room = "nsroom", .name = names[i],
            .mode = PROTO_MODE_TCP, .timeout_ms = 3000, .poll_wait_ms = 5000,
            .transport = RICOCHET_TRANSPORT_POLL, .make_socket = lab_socket,
            .make_socket_ctx = &lab};
    struct seen s[2];
    memset(s, 0, sizeof s);
    lab_session_make(&j, 0);
    pinger = j.r[0];
    assert_true(poll_all(j.r, s, 1, WAIT_MS, pong_home, 5));
    assert_false(s[0].disconnected);
    clock_sleep_ms(1600); /* nothing driven: the POST connection idles past 1 s */
    lab_session_make(&j, 1);
    assert_true(poll_all(j.r, s, 2, WAIT_MS, all_welcomed, 5));
    for (int k = 0; k < 10 && !s[0].disconnected; k++) {
        struct ricochet_state st = {.x = (float)k};
        ricochet_send_state(j.r[0], &st);
        poll_all(j.r, s, 2, 50, first_disconnected, 5);
    }
    poll_all(j.r, s, 2, WAIT_MS, second_has_five, 5);
    if (s[0].disconnected)
        fail_msg("the session ended: %s (%s)", s[0].code, s[0].text);
    assert_true(s[1].states_from[s[0].id] >= 5);
    for (int i = 0; i < 2; i++)
        ricochet_close(j.r[i]);
    spawn_stop(&relay, SIGTERM, 3000);
    spawn_free(&relay);
    netlab_close(&lab);
}

/* A fleet's session alone in its room: an idle long poll is answered
 * (empty) before a fleet's session takes its relay for lost. */
static void poll_alone_in_a_fleet(void **state)
{
    (void)state;
    harness_stream_alone_in_a_fleet(PROTO_MODE_TCP, RICOCHET_TRANSPORT_POLL,
                                    "poll://127.0.0.1:0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(poll_sessions_in_a_room),
        cmocka_unit_test(poll_config_refusals),
        cmocka_unit_test(poll_relay_not_there),
        cmocka_unit_test(poll_port_speaks_no_http),
        cmocka_unit_test(poll_redial_in_its_namespace),
        cmocka_unit_test(poll_alone_in_a_fleet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
