/* test_e2e_poll.c: the relay's HTTP polling edge beside ENet and plain UDP, by
 * hand over HTTP/1.1: sessions, long and short polls, their limits and
 * refusals. */
/* `ricochet-relay`'s HTTP polling edge with an ENet and a
 * plain-UDP edge (`tests/support/poll_client.h`, HTTP/1.1 by hand): a join
 * POSTed answered with a 40-digit session id, the welcome with the first GET,
 * 20 states each way between the session and an ENet member of its room, all
 * delivered under each sender's id, then a DELETE ending it (the ENet member
 * told it quit, its id then 404); a GET without `wait=` answered empty at once
 * (within 400 ms), one with `wait=800` answered empty after it, one with
 * `wait=5000` answered as soon as an ENet member's state came; a session that
 * stops asking closed (`slow_reader`, its room told `kicked`) and one alone
 * closed at `--timeout-ms` (its id then 404) while a session that asks gets
 * every state; a session not asking while 150 KiB of an ENet member's
 * unsequenced states come for it conflated (`edges.poll.conflated`), then given
 * fewer than 150 states, ending with the newest; a wrong session id, no id, a
 * query not the protocol's, a cut frame, a body too long, no Content-Length, a
 * wrong method or path, bytes that are no HTTP and a DELETE without an id each
 * answered with its 4xx and `Connection: close`, a head never finished answered
 * 408 at `--join-timeout-ms`, each counted `bad_http`, an honest session going
 * on; a third session from one address past `--max-per-address 2` answered 429
 * (`per_address`, not `bad_http`) while the two go on; refused joins holding
 * no session, their error kept for one GET; one keep-alive
 * connection carrying the join and five POSTs, another every GET, and kept
 * after a GET held longer than `--timeout-ms`; with
 * `--allow-origin`, a preflight answered with the edge's methods and a GET with
 * its origin's line, another origin's with none */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <poll.h>

#include "proto/wire.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/poll_client.h"

#define WAIT_MS 10000

#define JOIN(room, name) \
    "{\"type\":\"join\",\"version\":3,\"room\":\"" room "\",\"name\":\"" name "\"}"

/* ---- helpers ------------------------------------------------------------ */

/* What a poll member got: its welcome's id, states by sender. */
struct got {
    uint32_t id;
    uint64_t states[HARNESS_MAX_IDS];
    char left_why[32];
};

/* One message of a poll member's, counted. */
static void take(struct got *g, const uint8_t *msg, int len)
{
    struct proto_state st;
    if (len > 0 && msg[0] == '{') {
        char text[2048];
        snprintf(text, sizeof text, "%.*s", len, (const char *)msg);
        const char *id = strstr(text, "\"id\":");
        if (strstr(text, "\"type\":\"welcome\"") && id)
            g->id = (uint32_t)strtoul(id + 5, NULL, 10);
    } else if (len > 0 && proto_state_decode(msg, (size_t)len, &st) == PROTO_OK &&
               st.sender < HARNESS_MAX_IDS) {
        g->states[st.sender]++;
    }
}

/* Reads what c has for up to ms, counting it. Returns -1 once it ended. */
static int drain(struct poll_client *c, struct got *g, int ms)
{
    uint8_t msg[4096];
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    do {
        int n = poll_client_recv(c, msg, sizeof msg, 20);
        if (n == 0)
            return -1;
        if (n > 0)
            take(g, msg, n);
    } while (clock_now_ms() < end);
    return 0;
}

/* A poll member of room, welcomed. */
static void poll_join(struct poll_client *c, struct got *g, uint16_t port, const char *join,
                      uint32_t wait_ms)
{
    memset(g, 0, sizeof *g);
    assert_int_equal(poll_client_join(c, "127.0.0.1", port, join, wait_ms, WAIT_MS), 0);
    assert_int_equal(strlen(c->session), 40);
    uint64_t end = clock_now_ms() + WAIT_MS;
    while (g->id == 0 && clock_now_ms() < end)
        assert_int_equal(drain(c, g, 50), 0);
    assert_true(g->id > 0);
}

/* An ENet member of room (mode) as r's only client, welcomed: its id. */
static uint32_t enet_member(struct harness_rec *r, uint16_t port, const char *room,
                            enum proto_mode mode)
{
    memset(r, 0, sizeof *r);
    r->c[0] = harness_client(port, room, "enet", mode, false);
    r->n = 1;
    assert_int_equal(harness_poll_until(r->c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, r), 0);
    return ricochet_id(r->c[0]);
}

static int post_state(struct poll_client *c, uint32_t seq)
{
    uint8_t buf[PROTO_STATE_MAX];
    struct proto_state s = {.seq = seq, .send_us = clock_now_us(), .x = 10, .y = 20};
    int n = proto_state_encode(buf, sizeof buf, &s);
    assert_true(n > 0);
    return poll_client_send(c, buf, (size_t)n, WAIT_MS);
}

static void enet_send(struct ricochet *e, int n)
{
    for (int k = 0; k < n; k++) {
        struct ricochet_state s = {.x = (float)k, .y = 5};
        assert_int_equal(ricochet_send_state(e, &s), RICOCHET_OK);
    }
}

/* ---- the tests ------------------------------------------------------------ */

/* A join POSTed, answered with a session id; the welcome comes with the
 * first GET; states cross both ways between the session and an ENet
 * member of its room, under each sender's id. */
static void states_both_ways_with_enet(void **state)
{
    (void)state;
    static struct harness_three t;
    harness_three_start(&t, "poll://127.0.0.1:0", NULL);
    static struct poll_client c;
    struct got g;
    poll_join(&c, &g, t.stream, JOIN("both", "poller"), 1000);
    static struct harness_rec r;
    uint32_t enet_id = enet_member(&r, t.enet, "both", PROTO_MODE_RELIABLE);
    for (int k = 1; k <= 20; k++) {
        assert_int_equal(post_state(&c, (uint32_t)k), 204);
        enet_send(r.c[0], 1);
        harness_poll_for(r.c, 1, 10, harness_rec_event, &r);
        drain(&c, &g, 10);
    }
    uint64_t end = clock_now_ms() + WAIT_MS;
    while ((g.states[enet_id] < 20 || r.states[0][g.id] < 20) && clock_now_ms() < end) {
        harness_poll_for(r.c, 1, 20, harness_rec_event, &r);
        drain(&c, &g, 20);
    }
    assert_int_equal(g.states[enet_id], 20); /* reliable: every one */
    assert_int_equal(r.states[0][g.id], 20);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.members"), 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.states_in"), 20);
    /* DELETE ends the session: the ENet member is told it quit */
    assert_int_equal(poll_client_leave(&c, WAIT_MS), 204);
    end = clock_now_ms() + WAIT_MS;
    while (r.n_left[0] == 0 && clock_now_ms() < end)
        harness_poll_for(r.c, 1, 20, harness_rec_event, &r);
    assert_int_equal(r.n_left[0], 1);
    assert_int_equal(r.left[0][0], g.id);
    assert_int_equal(r.left_reason[0][0], PROTO_LEFT_QUIT);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.members"), 0);
    char req[256];
    snprintf(req, sizeof req, "GET /poll?s=%s HTTP/1.1\r\nHost: x\r\n\r\n", c.session);
    assert_int_equal(poll_client_raw(t.stream, req, strlen(req), NULL, 0, 2000), 404);
    ricochet_close(r.c[0]);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* A GET without wait= is answered at once, empty when nothing waits; one
 * with wait= is held until a state comes (answered with it at once) or
 * its wait ends (answered empty then). */
static void short_and_long_polls(void **state)
{
    (void)state;
    static struct harness_three t;
    harness_three_start(&t, "poll://127.0.0.1:0", NULL);
    static struct poll_client c;
    struct got g;
    poll_join(&c, &g, t.stream, JOIN("polls", "poller"), 0);
    drain(&c, &g, 200); /* the welcome's roster and all: nothing left */
    char req[256], answer[1024];
    snprintf(req, sizeof req, "GET /poll?s=%s HTTP/1.1\r\nHost: x\r\n\r\n", c.session);
    uint64_t t0 = clock_now_ms();
    assert_int_equal(poll_client_raw(t.stream, req, strlen(req), answer, sizeof answer, 2000),
                     200);
    assert_true(clock_now_ms() - t0 < 700); /* at once: a long poll below waits 800 */
    assert_non_null(strstr(answer, "Content-Length: 0\r\n"));

    snprintf(req, sizeof req, "GET /poll?s=%s&wait=800 HTTP/1.1\r\nHost: x\r\n\r\n", c.session);
    t0 = clock_now_ms();
    assert_int_equal(poll_client_raw(t.stream, req, strlen(req), answer, sizeof answer, 3000),
                     200);
    uint64_t held = clock_now_ms() - t0;
    assert_true(held >= 750 && held < 1600);
    assert_non_null(strstr(answer, "Content-Length: 0\r\n"));

    /* held until an ENet member's state comes, 300 ms in */
    static struct harness_rec r;
    uint32_t enet_id = enet_member(&r, t.enet, "polls", PROTO_MODE_RELIABLE);
    drain(&c, &g, 300); /* the joined notice */
    c.wait_ms = 5000;
    uint8_t msg[4096];
    assert_int_equal(poll_client_recv(&c, msg, sizeof msg, 200), -1); /* held: nothing yet */
    t0 = clock_now_ms();
    clock_sleep_ms(300);
    enet_send(r.c[0], 1);
    harness_poll_for(r.c, 1, 5, harness_rec_event, &r);
    uint64_t end = clock_now_ms() + 3000;
    while (g.states[enet_id] == 0 && clock_now_ms() < end) { /* a notice may come first */
        int n = poll_client_recv(&c, msg, sizeof msg, 100);
        if (n > 0)
            take(&g, msg, n);
    }
    assert_int_equal(g.states[enet_id], 1);
    assert_true(clock_now_ms() - t0 < 1000);
    ricochet_close(r.c[0]);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* A session that stops asking while more than one answer's worth of
 * states queue for it is closed slow_reader; one alone that stops asking
 * is gone at --timeout-ms; a session that keeps asking gets every state
 * meanwhile. */
static void a_session_that_stops_asking_is_closed(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--slow-reader-ms", "1000", "--timeout-ms", "2500",
                                       "--rate-limit", "2000", NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    static struct poll_client asking, stopped, alone;
    struct got ga, gs, gl;
    poll_join(&asking, &ga, t.stream, JOIN("stop", "asking"), 500);
    poll_join(&stopped, &gs, t.stream, JOIN("stop", "stopped"), 500);
    poll_join(&alone, &gl, t.stream, JOIN("alone", "alone"), 500);
    static struct harness_rec r;
    uint32_t enet_id = enet_member(&r, t.enet, "stop", PROTO_MODE_RELIABLE);
    poll_client_close(&stopped); /* asks no more */
    poll_client_close(&alone);
    static uint8_t payload[1000]; /* past one answer's worth in well under a second */
    int sent = 0;
    uint64_t end = clock_now_ms() + 3000;
    while (clock_now_ms() < end) {
        for (int k = 0; k < 3; k++, sent++) {
            struct ricochet_state s = {.x = (float)sent, .y = 5};
            assert_int_equal(ricochet_send_state_payload(r.c[0], &s, payload, sizeof payload),
                             RICOCHET_OK);
        }
        harness_poll_for(r.c, 1, 10, harness_rec_event, &r);
        drain(&asking, &ga, 10);
    }
    end = clock_now_ms() + 2000;
    while (ga.states[enet_id] < (uint64_t)sent && clock_now_ms() < end)
        drain(&asking, &ga, 20);
    assert_int_equal(ga.states[enet_id], (uint64_t)sent);
    assert_true(harness_relay_stat(&t.relay, "drops.slow_reader") >= 1);
    assert_true(harness_relay_stat(&t.relay, "timeouts") >= 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.members"), 1);
    bool kicked = false;
    for (size_t k = 0; k < r.n_left[0]; k++)
        kicked |= r.left[0][k] == gs.id && r.left_reason[0][k] == PROTO_LEFT_KICKED;
    assert_true(kicked);
    /* the closed session's id names nothing now, once its error was fetched or
     * its last messages lingered out */
    clock_sleep_ms(2200);
    char req[256];
    snprintf(req, sizeof req, "GET /poll?s=%s HTTP/1.1\r\nHost: x\r\n\r\n", alone.session);
    assert_int_equal(poll_client_raw(t.stream, req, strlen(req), NULL, 0, 2000), 404);
    ricochet_close(r.c[0]);
    poll_client_close(&asking);
    harness_three_stop(&t);
}

/* A session whose next GET is held up (its answer's way through a lossy
 * network, TCP backing off) is no slow reader while less than one
 * answer waits for it, as a stream's kernel takes that much for a reader
 * whatever the network does: past --slow-reader-ms it is still a member,
 * and its next GET takes every state. */
static void a_session_held_up_is_not_a_slow_reader(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--slow-reader-ms", "800", "--timeout-ms", "3000",
                                       NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    static struct poll_client c;
    struct got g;
    poll_join(&c, &g, t.stream, JOIN("held", "poller"), 0);
    static struct harness_rec r;
    uint32_t enet_id = enet_member(&r, t.enet, "held", PROTO_MODE_RELIABLE);
    int sent = 0;
    uint64_t end = clock_now_ms() + 2000; /* no GET for 2.5 times --slow-reader-ms */
    while (clock_now_ms() < end) {
        enet_send(r.c[0], 1);
        sent++;
        harness_poll_for(r.c, 1, 50, harness_rec_event, &r);
    }
    end = clock_now_ms() + WAIT_MS;
    while (g.states[enet_id] < (uint64_t)sent && clock_now_ms() < end)
        assert_int_equal(drain(&c, &g, 20), 0);
    assert_int_equal(g.states[enet_id], (uint64_t)sent);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.slow_reader"), 0);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.members"), 1);
    assert_int_equal(r.n_left[0], 0);
    ricochet_close(r.c[0]);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* A session that asks too slowly for what comes: while more than one
 * answer (64 KiB) waits for it, each sender's unreliable states wait
 * newest-only (conflated); what it then takes ends with the newest. */
static void a_session_behind_gets_the_newest(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--rate-limit", "2000", "--slow-reader-ms", "5000",
                                       "--timeout-ms", "10000", NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    static struct poll_client c;
    struct got g;
    poll_join(&c, &g, t.stream, JOIN("behind", "poller"), 0);
    static struct harness_rec r;
    uint32_t enet_id = enet_member(&r, t.enet, "behind", PROTO_MODE_UNSEQUENCED);
    static uint8_t payload[1000];
    for (int k = 0; k < 150; k++) { /* 150 KiB, the poller not asking */
        struct ricochet_state s = {.x = (float)k, .y = 5};
        assert_int_equal(ricochet_send_state_payload(r.c[0], &s, payload, sizeof payload),
                         RICOCHET_OK);
        harness_poll_for(r.c, 1, 5, harness_rec_event, &r);
    }
    harness_poll_for(r.c, 1, 300, harness_rec_event, &r);
    assert_true(harness_relay_stat(&t.relay, "edges.poll.conflated") > 0);
    uint64_t end = clock_now_ms() + WAIT_MS;
    uint8_t msg[4096];
    float last_x = -1;
    int n;
    while ((n = poll_client_recv(&c, msg, sizeof msg, 300)) > 0 && clock_now_ms() < end) {
        struct proto_state st;
        if (msg[0] != '{' && proto_state_decode(msg, (size_t)n, &st) == PROTO_OK &&
            st.sender == enet_id) {
            g.states[enet_id]++;
            last_x = st.x;
        }
    }
    assert_true(g.states[enet_id] > 60 && g.states[enet_id] < 150); /* one answer and more */
    assert_true(last_x == 149.0f);                                     /* the newest */
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.members"), 1);
    ricochet_close(r.c[0]);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* Requests that are not the protocol's: each answered with its 4xx and
 * counted bad_http, the relay unharmed and an honest session unharmed. */
static void garbage_is_answered_and_counted(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--join-timeout-ms", "500", NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    static struct poll_client c;
    struct got g;
    poll_join(&c, &g, t.stream, JOIN("junk", "honest"), 200);
    char wrong[256];
    snprintf(wrong, sizeof wrong, "GET /poll?s=%.8s%032x HTTP/1.1\r\nHost: x\r\n\r\n",
             c.session, 7u);
    static char big[40000];
    int head = snprintf(big, sizeof big,
                        "POST /poll?s=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 30000\r\n\r\n",
                        c.session);
    memset(big + head, 'z', 30000);
    char bad_frames[256]; /* a frame of 9 bytes cut after 3 */
    int bf = snprintf(bad_frames, sizeof bad_frames,
                      "POST /poll?s=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
                      c.session);
    memcpy(bad_frames + bf, "\x00\x09{\"a", 5);
    bf += 5;
    struct {
        const char *req;
        size_t len;
        int status;
    } cases[] = {
        {wrong, strlen(wrong), 404},                                     /* no such session */
        {"GET /poll?s=zz HTTP/1.1\r\n\r\n", 27, 400},                    /* not an id */
        {"GET /poll HTTP/1.1\r\n\r\n", 22, 400},                         /* no session */
        {"GET /poll?wait=99999999 HTTP/1.1\r\n\r\n", 36, 400},           /* a wait too long */
        {bad_frames, (size_t)bf, 400},                                   /* a cut frame */
        {big, (size_t)head + 30000, 413},                                /* a body too long */
        {"POST /poll HTTP/1.1\r\n\r\n", 23, 411},                        /* no length */
        {"PUT /poll HTTP/1.1\r\n\r\n", 22, 405},                         /* a wrong method */
        {"DELETE /poll HTTP/1.1\r\n\r\n", 25, 400},                      /* no session */
        {"GET /elsewhere HTTP/1.1\r\n\r\n", 27, 404},                    /* a wrong path */
        {"\x16\x03\x01 hello\r\n\r\n", 14, 400},                         /* no HTTP at all */
    };
    long long before = harness_relay_stat(&t.relay, "drops.bad_http");
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t k = 0; k < n; k++) {
        char answer[2048];
        int status = poll_client_raw(t.stream, cases[k].req, cases[k].len, answer,
                                     sizeof answer, 3000);
        if (status != cases[k].status)
            fprintf(stderr, "case %zu: %d, not %d: %s\n", k, status, cases[k].status, answer);
        assert_int_equal(status, cases[k].status);
        assert_non_null(strstr(answer, "Connection: close\r\n"));
    }
    /* slowloris: a head never finished is answered 408 at the join timeout */
    uint64_t t0 = clock_now_ms();
    assert_int_equal(poll_client_raw(t.stream, "GET /poll?s=", 12, NULL, 0, 3000), 408);
    assert_true(clock_now_ms() - t0 >= 400 && clock_now_ms() - t0 < 2000);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.bad_http") - before, (long long)n + 1);
    /* the honest session still speaks and is answered */
    assert_int_equal(post_state(&c, 1), 204);
    assert_int_equal(drain(&c, &g, 300), 0);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.members"), 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.states_in"), 1);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* Sessions from one address are at most --max-per-address: one more
 * join is answered 429 and counted per_address (not bad_http), and the
 * others go on. */
static void sessions_per_address_are_bounded(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--max-per-address", "2", NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    static struct poll_client a, b, c;
    struct got ga, gb;
    poll_join(&a, &ga, t.stream, JOIN("few", "a"), 0);
    poll_join(&b, &gb, t.stream, JOIN("few", "b"), 0);
    poll_client_close(&a); /* its session stays: connections are not members */
    assert_int_equal(poll_client_join(&c, "127.0.0.1", t.stream, JOIN("few", "c"), 0, WAIT_MS),
                     429);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.per_address"), 1);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.bad_http"), 0);
    assert_int_equal(post_state(&a, 1), 204);
    assert_int_equal(drain(&b, &gb, 300), 0);
    assert_int_equal(gb.states[ga.id], 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.members"), 2);
    poll_client_close(&a);
    poll_client_close(&b);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* One connection carries the join and every POST after it, another every
 * GET, one request after another (HTTP/1.1 keep-alive); a page of an
 * origin --allow-origin names gets its CORS lines, and its preflight the
 * edge's methods. */
static void keep_alive_carries_many_requests(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--allow-origin", "http://page.example", NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    static struct poll_client c;
    struct got g;
    poll_join(&c, &g, t.stream, JOIN("keep", "keeper"), 0);
    int post_fd = c.post_fd, get_fd = c.get_fd;
    assert_true(post_fd >= 0 && get_fd >= 0);
    for (uint32_t k = 1; k <= 5; k++) {
        assert_int_equal(post_state(&c, k), 204);
        assert_int_equal(drain(&c, &g, 20), 0);
    }
    assert_int_equal(c.post_fd, post_fd);
    assert_int_equal(c.get_fd, get_fd);
    assert_true(c.gets >= 5);
    static const char preflight[] = "OPTIONS /poll HTTP/1.1\r\nHost: x\r\n"
                                    "Origin: http://page.example\r\n"
                                    "Access-Control-Request-Method: DELETE\r\n\r\n";
    char answer[1024];
    assert_int_equal(poll_client_raw(t.stream, preflight, sizeof preflight - 1, answer,
                                     sizeof answer, 2000), 204);
    assert_non_null(strstr(answer, "Access-Control-Allow-Origin: http://page.example\r\n"));
    assert_non_null(strstr(answer, "Access-Control-Allow-Methods: GET, POST, DELETE\r\n"));
    char get[256];
    int len = snprintf(get, sizeof get, "GET /poll?s=%s HTTP/1.1\r\nHost: x\r\n"
                                        "Origin: http://page.example\r\n\r\n", c.session);
    assert_int_equal(poll_client_raw(t.stream, get, (size_t)len, answer, sizeof answer, 2000), 200);
    assert_non_null(strstr(answer, "Access-Control-Allow-Origin: http://page.example\r\n"));
    assert_null(strstr(answer, "Access-Control-Allow-Methods"));
    len = snprintf(get, sizeof get, "GET /poll?s=%s HTTP/1.1\r\nHost: x\r\n"
                                    "Origin: http://elsewhere.example\r\n\r\n", c.session);
    assert_int_equal(poll_client_raw(t.stream, get, (size_t)len, answer, sizeof answer, 2000), 200);
    assert_null(strstr(answer, "Access-Control"));
    assert_int_equal(harness_relay_stat(&t.relay, "drops.bad_http"), 0);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.poll.states_in"), 5);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* A connection from src (an address of 127.0.0.0/8) to 127.0.0.1:port
 * with n joins of room "bad room!" written at once; -1 if it cannot. */
static int bad_joins_from(const char *src, uint16_t port, int n)
{
    static const char join[] = JOIN("bad room!", "x");
    char req[256];
    int len = snprintf(req, sizeof req,
                       "POST /poll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                       "application/octet-stream\r\nContent-Length: %zu\r\n\r\n%c%c%s",
                       sizeof join + 1, (char)0, (char)(sizeof join - 1), join);
    struct sockaddr_in a = {.sin_family = AF_INET}, b = {.sin_family = AF_INET,
                                                         .sin_port = htons(port)};
    inet_pton(AF_INET, src, &a.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &b.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        connect(fd, (struct sockaddr *)&b, sizeof b) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
            break; /* refused (429) and closed: the rest is not read */
    return fd;
}

/* Reads what came on fd within ms into buf (NUL-terminated); the 200
 * answers' count into *ok, the last one's session id into id. */
static void read_joins(int fd, char *buf, size_t cap, int ms, int *ok, char id[41])
{
    size_t have = 0;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (have < cap - 1 && clock_now_ms() < end && poll(&pf, 1, 50) >= 0) {
        ssize_t n = pf.revents ? read(fd, buf + have, cap - 1 - have) : 1;
        if (n <= 0)
            break;
        if (pf.revents)
            have += (size_t)n;
    }
    buf[have] = '\0';
    for (const char *p = buf; (p = strstr(p, "HTTP/1.1 200 OK")); p++) {
        const char *body = strstr(p, "\r\n\r\n");
        if (body && strlen(body + 4) >= 40)
            snprintf(id, 41, "%.40s", body + 4);
        (*ok)++;
    }
}

/* Joins the relay refuses (room "bad room!"), many at once from 80
 * addresses, take no session: each is answered its id at once and freed,
 * an honest join right after them gets in, and a refused join's error
 * waits for one GET of its id (then the id names nothing). */
static void refused_joins_hold_no_session(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--max-clients", "32", NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    int fds[80], ok = 0;
    for (int a = 0; a < 80; a++) {
        char src[24];
        snprintf(src, sizeof src, "127.0.%d.%d", 1 + a / 200, 2 + a % 200);
        fds[a] = bad_joins_from(src, t.stream, 20);
        assert_true(fds[a] >= 0);
    }
    char id[41] = "";
    static char buf[65536];
    for (int a = 0; a < 80; a++) {
        read_joins(fds[a], buf, sizeof buf, 200, &ok, id);
        close(fds[a]);
    }
    static struct poll_client c;
    struct got g;
    int honest = poll_client_join(&c, "127.0.0.1", t.stream, JOIN("fine", "honest"), 0, WAIT_MS);
    print_message("refused joins answered 200: %d; an honest join then: %s\n", ok,
                  honest == 0 ? "in" : "refused");
    assert_int_equal(honest, 0);
    poll_client_close(&c);
    poll_join(&c, &g, t.stream, JOIN("fine", "honest"), 0);
    assert_true(ok >= 300);
    int fd = bad_joins_from("127.0.0.1", t.stream, 1); /* one more, its error fetched */
    id[0] = '\0';
    ok = 0;
    read_joins(fd, buf, sizeof buf, 500, &ok, id);
    close(fd);
    assert_int_equal(strlen(id), 40);
    char get[128], answer[1024];
    snprintf(get, sizeof get, "GET /poll?s=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", id);
    assert_int_equal(poll_client_raw(t.stream, get, strlen(get), answer, sizeof answer, 2000),
                     200);
    const char *length = strstr(answer, "Content-Length: "); /* the body's frame starts with 0 */
    assert_non_null(length);
    assert_true(atoi(length + 16) > 40); /* the error frame refusing the room */
    assert_int_equal(poll_client_raw(t.stream, get, strlen(get), NULL, 0, 2000), 404);
    poll_client_close(&c);
    harness_three_stop(&t);
}

/* req on the connection fd, and its answer's status once whole; -1 if the
 * connection ends or nothing whole comes within ms. */
static int ask_on(int fd, const char *req, int ms)
{
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
        return -1;
    uint8_t in[4096];
    size_t len = 0, whole, body;
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < end && len < sizeof in) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = recv(fd, in + len, sizeof in - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        int status = poll_client_answer(in, len, &whole, &body);
        if (status != 0)
            return status;
    }
    return -1;
}

/* A GET held longer than --timeout-ms is activity, not silence: once it
 * is answered, the connection it came on takes the next request (it was
 * closed at the next tick: idle since the GET came, a client's next
 * request then met a closed connection). */
static void keep_alive_outlives_a_long_poll(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--timeout-ms", "1000", NULL};
    harness_three_start(&t, "poll://127.0.0.1:0", more);
    static struct poll_client c;
    struct got g;
    poll_join(&c, &g, t.stream, JOIN("held", "holder"), 0);
    drain(&c, &g, 200);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(t.stream),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char held[256], again[256];
    snprintf(held, sizeof held, "GET /poll?s=%s&wait=1500 HTTP/1.1\r\nHost: x\r\n\r\n",
             c.session);
    snprintf(again, sizeof again, "GET /poll?s=%s HTTP/1.1\r\nHost: x\r\n\r\n", c.session);
    assert_int_equal(ask_on(fd, held, 4000), 200);
    clock_sleep_ms(300); /* a few of the edge's ticks, well within --timeout-ms */
    assert_int_equal(ask_on(fd, again, 2000), 200);
    close(fd);
    poll_client_close(&c);
    harness_three_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(states_both_ways_with_enet),
        cmocka_unit_test(short_and_long_polls),
        cmocka_unit_test(a_session_that_stops_asking_is_closed),
        cmocka_unit_test(a_session_held_up_is_not_a_slow_reader),
        cmocka_unit_test(a_session_behind_gets_the_newest),
        cmocka_unit_test(garbage_is_answered_and_counted),
        cmocka_unit_test(sessions_per_address_are_bounded),
        cmocka_unit_test(refused_joins_hold_no_session),
        cmocka_unit_test(keep_alive_carries_many_requests),
        cmocka_unit_test(keep_alive_outlives_a_long_poll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
