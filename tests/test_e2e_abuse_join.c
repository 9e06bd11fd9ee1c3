/* test_e2e_abuse_join.c: what a join may cost the relay, over 127.0.0.1
 * with the real relay (plain UDP and ENet edges). A member fills its room
 * with 1,092 kept events of one byte (16,380 of its 16,384 bytes); four
 * sources (127.0.0.2-5, one socket each) join it and leave again and
 * again, echoing their cookie (two at once, two after 300 ms), while two honest plain-UDP players play in
 * another room. The honest players get >= 99% of their states; each
 * churning source is sent no more kept events and welcomes than its
 * source's budget pays for (JOIN_COST_*), however many times it joins;
 * and latecomers from fresh sources still get every kept event in order
 * before the room's later events: one of the library (batches of kept
 * events), one by hand that did not ask for batches (one event a
 * datagram, paced). The same churn into a room with nothing kept, beside
 * it, keeps the same bounds; each prints the relay's CPU over its churn
 * (bench/join_cost.sh: a figure, not a bound here).
 * tests/run: alone (its bounds are rates: delivery beside a churn). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/ricochet.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/join_cost_internal.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/session.h"

#define KEPT_N 1092        /* 15 bytes each (12, a key of 2, 1 byte): 16,380 */
#define CHURNERS 4
#define CHURN_MS 6000
#define WAIT_MS 20000

static const char KEY_CHARS[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static void key_of(size_t i, char key[3])
{
    size_t n = sizeof KEY_CHARS - 1;
    key[0] = KEY_CHARS[i / n];
    key[1] = KEY_CHARS[i % n];
    key[2] = '\0';
}

/* ---- the filler: a member keeping KEPT_N events in room "full" ---------- */

static struct ricochet *fill(struct spawn_proc *relay, uint16_t enet_port, size_t n_kept)
{
    struct ricochet_config *cfg = players_config(enet_port, RICOCHET_MODE_RELIABLE, "filler");
    assert_int_equal(ricochet_config_set_room(cfg, "full"), RICOCHET_OK);
    struct ricochet *c = players_connect(cfg);
    struct ricochet_event ev;
    players_wait_event(&c, 1, 0, RICOCHET_EV_WELCOME, &ev);
    long long before = harness_relay_stat(relay, "events_in");
    for (size_t i = 0; i < n_kept; i++) {
        char key[3];
        key_of(i, key);
        assert_int_equal(ricochet_send_kept(c, key, "x", 1, 0), RICOCHET_OK);
        if (i % 64 == 63) /* within ENet's window: let it go out */
            while (ricochet_poll(c, 5, &ev) == 1) {
            }
    }
    uint64_t end = clock_now_ms() + WAIT_MS;
    while (harness_relay_stat(relay, "events_in") < before + (long long)n_kept &&
           clock_now_ms() < end)
        while (ricochet_poll(c, 50, &ev) == 1) {
        }
    assert_true(harness_relay_stat(relay, "events_in") >= before + (long long)n_kept);
    return c;
}

/* ---- the churners: join, leave, again, from one socket each ------------- */

struct churner {
    int fd;
    char cookie[PROTO_COOKIE_LEN + 1];
    uint64_t sent;       /* datagrams sent */
    uint64_t got;        /* datagrams received */
    uint64_t kept;       /* of them, kept events (alone or in a batch) */
    uint64_t welcomes;
    uint64_t refused;    /* errors */
    uint64_t notices;    /* joined and left: the others' joins, while a member */
    uint64_t last_us;
};

struct churn {
    struct churner c[CHURNERS];
    struct ricochet *filler;
    struct sockaddr_in relay;
};

static void churner_open(struct churner *ch, int k)
{
    memset(ch, 0, sizeof *ch);
    ch->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(ch->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)k); /* 127.0.0.2 .. */
    assert_int_equal(bind(ch->fd, (struct sockaddr *)&a, sizeof a), 0);
}

static void churner_read(struct churner *ch)
{
    uint8_t buf[2048];
    ssize_t n;
    while ((n = recv(ch->fd, buf, sizeof buf, 0)) > 0) {
        ch->got++;
        if (buf[0] == PROTO_STATE_VERSION && n > 1 && buf[1] == PROTO_MSG_EVENT) {
            ch->kept++;
            continue;
        }
        if (buf[0] != '{')
            continue;
        struct proto_control m;
        char why[128];
        if (proto_control_decode((const char *)buf, (size_t)n, &m, why, sizeof why) != 0)
            continue;
        if (m.type == PROTO_CTL_COOKIE)
            snprintf(ch->cookie, sizeof ch->cookie, "%s", m.cookie);
        else if (m.type == PROTO_CTL_WELCOME)
            ch->welcomes++;
        else if (m.type == PROTO_CTL_ERROR)
            ch->refused++;
        else if (m.type == PROTO_CTL_JOINED || m.type == PROTO_CTL_LEFT)
            ch->notices++;
    }
}

static void churner_send(struct churn *cs, struct churner *ch, const char *text)
{
    if (sendto(ch->fd, text, strlen(text), 0, (struct sockaddr *)&cs->relay, sizeof cs->relay) > 0)
        ch->sent++;
}

/* Two churners join and leave at once, a round every millisecond; two
 * stay 300 ms (a replay paced over turns, its budget spent), leave and
 * join again at once. */
static void churn_hook(void *ctx)
{
    struct churn *cs = ctx;
    uint64_t now = clock_now_us();
    struct ricochet_event ev;
    while (ricochet_poll(cs->filler, 0, &ev) == 1) { /* alive */
    }
    for (int k = 0; k < CHURNERS; k++) {
        struct churner *ch = &cs->c[k];
        bool stays = k >= CHURNERS / 2;
        churner_read(ch);
        if (now - ch->last_us < (stays ? 300000u : 1000u))
            continue;
        ch->last_us = now;
        char join[256];
        snprintf(join, sizeof join,
                 "{\"type\":\"join\",\"version\":%d,\"room\":\"full\",\"name\":\"churn%d\","
                 "\"mode\":\"udp\"%s%s%s}",
                 PROTO_VERSION, k, ch->cookie[0] ? ",\"cookie\":\"" : "", ch->cookie,
                 ch->cookie[0] ? "\"" : "");
        if (stays && ch->cookie[0])
            churner_send(cs, ch, "{\"type\":\"leave\"}");
        churner_send(cs, ch, join);
        if (!stays && ch->cookie[0])
            churner_send(cs, ch, "{\"type\":\"leave\"}");
    }
}

/* ---- latecomers ------------------------------------------------------- */

/* A library session from a fresh source gets every kept event, in order,
 * packed: in a few dozen datagrams at most (1200 bytes: 70 a batch). */
static void library_latecomer(struct spawn_proc *relay, uint16_t udp_port)
{
    long long before = harness_relay_stat(relay, "control_out");
    struct ricochet_config *cfg = players_config(udp_port, RICOCHET_MODE_UDP, "late");
    assert_int_equal(ricochet_config_set_room(cfg, "full"), RICOCHET_OK);
    struct ricochet *c = players_connect(cfg);
    size_t n = 0;
    bool in_order = true;
    uint64_t end = clock_now_ms() + WAIT_MS;
    while (n < KEPT_N && clock_now_ms() < end) {
        struct ricochet_event ev;
        if (ricochet_poll(c, 20, &ev) != 1 || ev.type != RICOCHET_EV_EVENT)
            continue;
        char key[3];
        key_of(n, key);
        in_order &= strcmp(ev.code, "kept") == 0 && strcmp(ricochet_event_key(c), key) == 0;
        n++;
    }
    long long datagrams = harness_relay_stat(relay, "control_out") - before;
    fprintf(stderr, "library latecomer: %zu of %d kept events, %s, %lld control datagrams\n",
            n, KEPT_N, in_order ? "in order" : "OUT OF ORDER", datagrams);
    assert_int_equal(n, KEPT_N);
    assert_true(in_order);
    assert_true(datagrams < 40);
    ricochet_close(c);
}

/* A latecomer by hand that did not ask for batches: one kept event a
 * datagram, paced within its budget, in order, and the filler's live
 * event sent after its welcome comes after every one of them. */
static void raw_latecomer(uint16_t udp_port, struct ricochet *filler)
{
    int fd = harness_udp_socket(NULL);
    struct proto_control m;
    char join[200];
    snprintf(join, sizeof join,
             "{\"type\":\"join\",\"version\":%d,\"room\":\"full\",\"name\":\"old\","
             "\"mode\":\"udp\"}", PROTO_VERSION);
    assert_true(harness_udp_join(fd, udp_port, join, &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_WELCOME);
    assert_int_equal(ricochet_send_event(filler, RICOCHET_TO_ROOM, "live", 4), RICOCHET_OK);
    ricochet_flush(filler);
    size_t kept = 0, datagrams = 0;
    bool in_order = true, live = false, live_last = true;
    uint64_t start = clock_now_ms(), end = start + WAIT_MS, pinged = start;
    struct sockaddr_in relay = {.sin_family = AF_INET, .sin_port = htons(udp_port)};
    relay.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (!live && clock_now_ms() < end) {
        struct ricochet_event ev;
        while (ricochet_poll(filler, 0, &ev) == 1) {
        }
        if (clock_now_ms() - pinged >= 1000) { /* alive, as a client is */
            pinged = clock_now_ms();
            sendto(fd, "{\"type\":\"ping\"}", 15, 0, (struct sockaddr *)&relay, sizeof relay);
        }
        uint8_t buf[2048];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            clock_sleep_ms(1);
            continue;
        }
        if (n < 12 || buf[0] != PROTO_STATE_VERSION || buf[1] != PROTO_MSG_EVENT)
            continue;
        datagrams++;
        if (!(buf[2] & PROTO_EVENT_KEPT)) {
            live = true;
            live_last = kept == KEPT_N;
            continue;
        }
        char key[3];
        key_of(kept, key);
        in_order &= buf[3] == 2 && n == 15 && memcmp(buf + 12, key, 2) == 0;
        kept++;
    }
    fprintf(stderr, "raw latecomer: %zu of %d kept events in %zu datagrams over %llu ms, %s, "
            "the live event %s\n", kept, KEPT_N, datagrams,
            (unsigned long long)(clock_now_ms() - start), in_order ? "in order" : "OUT OF ORDER",
            live ? (live_last ? "after them" : "BEFORE THEM") : "MISSING");
    assert_int_equal(kept, KEPT_N);
    assert_true(in_order);
    assert_true(live && live_last);
    close(fd);
}

/* ---- the test ----------------------------------------------------------- */

/* The churn beside the honest players, into a room of n_kept kept events
 * (0: the same churn with nothing kept, for the relay's CPU beside it). */
static void run_churn(size_t n_kept)
{
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "udp://127.0.0.1:0",
                          "--rate-limit", "2000", "--rate-burst", "2000",
                          "--log-level", "warn", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t enet_port = harness_edge_port(&relay, "enet");
    uint16_t udp_port = harness_edge_port(&relay, "udp");

    static struct churn cs;
    memset(&cs, 0, sizeof cs);
    cs.filler = fill(&relay, enet_port, n_kept);
    cs.relay = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(udp_port)};
    cs.relay.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int k = 0; k < CHURNERS; k++)
        churner_open(&cs.c[k], k);

    struct session s;
    session_init(&s);
    session_add(&s, udp_port, "honest", "honest0", PROTO_MODE_UDP, true, 30);
    session_add(&s, udp_port, "honest", "honest1", PROTO_MODE_UDP, true, 30);
    session_wait_ready(&s, 0, 2);
    long long events_before = harness_relay_stat(&relay, "events_out");
    uint64_t t0 = clock_now_us();
    double cpu0 = harness_usage(&relay).cpu_s;
    session_run(&s, CHURN_MS, 0, churn_hook, &cs);
    double cpu = harness_usage(&relay).cpu_s - cpu0;
    double seconds = (double)(clock_now_us() - t0) / 1e6;
    for (int k = 0; k < CHURNERS; k++) /* the ones that stay too: no replay goes on */
        churner_send(&cs, &cs.c[k], "{\"type\":\"leave\"}");
    session_run(&s, 500, 500, NULL, NULL); /* late datagrams in */
    for (int k = 0; k < CHURNERS; k++)
        churner_read(&cs.c[k]);
    long long events_out = harness_relay_stat(&relay, "events_out") - events_before;

    uint64_t got = 0, want = 0;
    double delivery = session_delivery(&s, &got, &want);
    /* What a source's budget pays for over the run: each datagram a join
     * sends it costs its bytes and JOIN_COST_DATAGRAM; a kept event alone
     * is 15 bytes, a welcome more; one datagram past the budget at most. */
    double budget = JOIN_COST_BYTES_BURST + JOIN_COST_BYTES_PER_S * seconds;
    double paid = budget / (15 + JOIN_COST_DATAGRAM) + 1;
    double joins_paid = JOIN_COST_JOINS_BURST + JOIN_COST_JOINS_PER_S * seconds + 1;
    uint64_t churn_sent = 0, churn_got = 0;
    for (int k = 0; k < CHURNERS; k++)
        churn_sent += cs.c[k].sent, churn_got += cs.c[k].got;
    fprintf(stderr, "honest delivery %.4f (%llu of %llu); %.1f s of churn, %lld events out\n",
            delivery, (unsigned long long)got, (unsigned long long)want, seconds, events_out);
    /* one line for bench/join_cost.sh */
    fprintf(stderr,
            "join-cost: {\"kept\":%zu,\"churn_s\":%.3f,\"relay_cpu_s\":%.3f,"
            "\"relay_core\":%.4f,\"delivery\":%.4f,\"churn_sent\":%llu,\"churn_got\":%llu,"
            "\"events_out\":%lld}\n",
            n_kept, seconds, cpu, cpu / seconds, delivery, (unsigned long long)churn_sent,
            (unsigned long long)churn_got, events_out);
    for (int k = 0; k < CHURNERS; k++) {
        const struct churner *ch = &cs.c[k];
        fprintf(stderr,
                "churner 127.0.0.%d: sent %llu, got %llu (%.2fx): %llu welcomes, %llu kept "
                "events (%.1f a welcome), %llu refusals, %llu notices of the others; budget "
                "pays %.0f datagrams, %.0f joins\n",
                k + 2, (unsigned long long)ch->sent, (unsigned long long)ch->got,
                ch->sent ? (double)ch->got / (double)ch->sent : 0.0,
                (unsigned long long)ch->welcomes, (unsigned long long)ch->kept,
                ch->welcomes ? (double)ch->kept / (double)ch->welcomes : 0.0,
                (unsigned long long)ch->refused, (unsigned long long)ch->notices, paid,
                joins_paid);
        assert_true(ch->welcomes >= 1);              /* it did get in */
        assert_true((double)ch->welcomes <= joins_paid);
        assert_true((double)(ch->kept + ch->welcomes) <= paid);
        /* no amplification: what its own joins made the relay send it */
        assert_true(ch->got - ch->notices <= ch->sent + (uint64_t)paid);
    }
    assert_true(delivery >= 0.99);

    /* Fresh sources still get the whole room. */
    if (n_kept == KEPT_N) {
        library_latecomer(&relay, udp_port);
        raw_latecomer(udp_port, cs.filler);
    }

    for (int k = 0; k < CHURNERS; k++)
        close(cs.c[k].fd);
    ricochet_close(cs.filler);
    session_free(&s);
    char *out = harness_relay_finish(&relay);
    free(out);
    spawn_free(&relay);
}

static void churn_into_a_full_room(void **state)
{
    (void)state;
    run_churn(KEPT_N);
}

static void churn_into_a_room_with_nothing_kept(void **state)
{
    (void)state;
    run_churn(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(churn_into_a_full_room),
        cmocka_unit_test(churn_into_a_room_with_nothing_kept),
    };
    return session_run_tests("abuse_join", tests, sizeof tests / sizeof tests[0]);
}
