/* test_e2e_poll.c: ricochet-relay's HTTP polling edge (--listen
 * poll://...) over 127.0.0.1: a session joined by POST, states both ways
 * with an ENet member of its room, then ended by DELETE; a short poll
 * answered at once, a long poll held until a state comes or its wait
 * ends; a session that stops asking closed (slow_reader while states wait
 * for it, timeout when nothing does) while another keeps going, and one
 * whose GETs are held up by the network kept while less than an answer
 * waits; one
 * behind conflated to each sender's newest; requests that are not the
 * protocol's (a wrong session id, bad frames, a body too long, a wrong
 * method or path, a head never finished) answered 4xx and counted,
 * harming no one; sessions per address bounded; several requests on one
 * keep-alive connection, kept after a GET held longer than --timeout-ms;
 * CORS lines for an origin --allow-origin names. */
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

#include "../proto/wire.h"
#include "../sys/clock.h"
#include "support/harness.h"
#include "support/poll_client.h"

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
    assert_true(clock_now_ms() - t0 < 400); /* at once: a long poll below waits 800 */
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
        cmocka_unit_test(keep_alive_carries_many_requests),
        cmocka_unit_test(keep_alive_outlives_a_long_poll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
