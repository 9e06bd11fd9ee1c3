/* test_e2e_doors.c: the stream edges' front doors tried from outside with raw
 * clients: each refusal before the join whole, and silent, slow and half-open
 * connections closed without holding the others up. */
/* The stream edges' front doors, tried from outside with raw
 * clients (`tests/support/streams.c`: a connection from a loopback address of
 * the test's choosing, TCP frames or WebSocket frames by hand): on a relay with
 * `--ticket-key`, each refusal before the join over tcp and ws whole however
 * short what it answers (`ticket_required`, `bad_version`, `ticket_malformed`,
 * `bad_name`, `bad_field`, `bad_json`, `unknown_type`, `missing_field`, a chat
 * and a 40-byte state before the join), each message the one the decoder, the
 * ticket's reader or the core gives; silent connections from 40 addresses (100
 * tcp, 100 ws upgraded, 60 ws never upgraded, 25 more every 20 ms) on a
 * `--max-clients 64` relay while an ENet, a tcp and a ws player join from
 * 127.0.0.1 and play on: all welcomed, none closed, each stream edge holding at
 * most `--max-half-open` of them, none refused `server_full`; what the doors
 * cost, printed for `bench/doors.sh`: 60 timed joins through each door (ENet,
 * tcp, ws, WebRTC) on an idle relay and with the stream edges' budgets held
 * full, every one welcomed, and the relay's RSS per silent tcp connection, ws
 * connection before and after its upgrade and WebRTC offer's session, 120 of
 * each held, none giving way; out of descriptors (the relay under `prlimit
 * --nofile=48:48`, 80 silent tcp connections from 8 addresses): the relay's
 * loop turns under 5000 times where it spun on its listening socket
 * before, the oldest silent connections give way to newcomers
 * (`half_open`), it warns once, and an ENet and a tcp player join while the
 * silent ones keep coming */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client/lib/client.h"
#include "proto/control.h"
#include "proto/ticket.h"
#include "proto/wire.h"
#include "rtc/rtc_peer.h"
#include "stats/histogram.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/streams.h"
#include "sys/clock.h"

#define WAIT_MS 5000

/* ---- replies on streams are whole ------------------------------------------- */

/* One refusal: what is sent before any join, the code and the whole
 * message it is answered with. */
struct refusal {
    char sent[256];
    size_t len;
    const char *code;
    char message[PROTO_TEXT_MAX + 1];
};

/* The refusals a relay with --ticket-key gives a peer before its join,
 * each message as short as it can be: the decoder's reasons from the
 * decoder, the ticket's from its reader, the core's as the core words
 * them. */
static size_t refusals(struct refusal *out)
{
    static const struct {
        const char *sent, *code, *message; /* message NULL: the decoder's or the ticket's */
    } rows[] = {
        {"{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"b\"}", "ticket_required",
         "this relay admits tickets only"},
        {"{\"type\":\"join\",\"version\":9,\"ticket\":\"x\"}", "bad_version",
         "client speaks protocol version 9, this relay 3: upgrade the client"},
        {"{\"type\":\"join\",\"version\":3,\"ticket\":\"x\"}", "ticket_malformed", NULL},
        {"{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"a\\u001bb\"}", "bad_name", NULL},
        {"{\"type\":\"join\",\"version\":\"3\"}", "bad_field", NULL},
        {"{", "bad_json", NULL},
        {"{\"type\":\"zz\"}", "unknown_type", NULL},
        {"{\"type\":\"chat\"}", "missing_field", NULL},
        {"{\"type\":\"chat\",\"text\":\"hi\"}", "not_joined", "chat before join: send join first"},
    };
    size_t n = 0;
    for (; n < sizeof rows / sizeof rows[0]; n++) {
        struct refusal *f = &out[n];
        snprintf(f->sent, sizeof f->sent, "%s", rows[n].sent);
        f->len = strlen(f->sent);
        f->code = rows[n].code;
        f->message[0] = '\0';
        static struct proto_control m;
        int err = proto_control_decode(f->sent, f->len, &m, f->message, sizeof f->message);
        if (rows[n].message) {
            snprintf(f->message, sizeof f->message, "%s", rows[n].message);
        } else if (err == 0) { /* it reads: the ticket does not */
            struct ticket_key none = {0};
            struct ticket_claims c;
            struct ticket_self self = {"ricochet", NULL, 0};
            ticket_verify(m.ticket, &none, 1, &self, 0, &c, f->message, sizeof f->message);
        } else if (!f->message[0]) {
            snprintf(f->message, sizeof f->message, "%s", proto_strerror(err));
        }
    }
    /* a state before the join, 40 bytes */
    struct refusal *f = &out[n++];
    struct proto_state s = {.seq = 1};
    f->len = (size_t)proto_state_encode((uint8_t *)f->sent, sizeof f->sent, &s);
    f->code = "not_joined";
    snprintf(f->message, sizeof f->message, "state before join: send join first");
    return n;
}

/* Each refusal over a fresh connection of kind to port: its error, code
 * and message whole. */
static void refusals_whole_over(enum streams_kind kind, uint16_t port)
{
    struct refusal rows[16];
    size_t n = refusals(rows);
    for (size_t i = 0; i < n; i++) {
        struct streams_conn c;
        char got[1024];
        assert_int_equal(streams_open(&c, kind, NULL, port), 0);
        assert_int_equal(streams_send(&c, rows[i].sent, rows[i].len), 0);
        int len = streams_recv(&c, got, sizeof got, WAIT_MS);
        cJSON *e = len > 0 ? cJSON_Parse(got) : NULL;
        const cJSON *code = cJSON_GetObjectItem(e, "code");
        const cJSON *text = cJSON_GetObjectItem(e, "message");
        if (!cJSON_IsString(code) || !cJSON_IsString(text) ||
            strcmp(code->valuestring, rows[i].code) != 0 ||
            strcmp(text->valuestring, rows[i].message) != 0)
            fail_msg("%s: %zu bytes sent over %s, answered %s; not %s \"%s\"",
                     i + 1 == n ? "a state" : rows[i].sent, rows[i].len,
                     kind == STREAMS_TCP ? "tcp" : "ws", len > 0 ? got : "nothing",
                     rows[i].code, rows[i].message);
        printf("%s, %zu bytes: %s\n", kind == STREAMS_TCP ? "tcp" : "ws", rows[i].len, got);
        cJSON_Delete(e);
        streams_close(&c);
    }
}

/* A relay with --ticket-key: over tcp and ws, each refusal before the join
 * comes whole, however short what it answers (plain UDP alone, whose
 * sources can be forged, cuts them: test_relay_tickets). */
static void refusals_whole_over_tcp_and_ws(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-e2e-doors-XXXXXX", key_path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(key_path, sizeof key_path, "%s/relay.key", dir);
    const char *keygen[] = {"keygen", key_path, NULL};
    free(harness_program_line("ricochet-ticket", keygen));
    struct spawn_proc relay;
    const char *args[] = {"--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                          "--ticket-key", key_path, "--stats-interval", "0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    refusals_whole_over(STREAMS_TCP, harness_edge_port(&relay, "tcp"));
    refusals_whole_over(STREAMS_WS, harness_edge_port(&relay, "ws"));
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    unlink(key_path);
    rmdir(dir);
}

/* ---- connections that have not joined ---------------------------------------- */

#define FLOOD_RING 128   /* connections an attacker keeps open, at most */

/* An attacker's silent connections of one kind, from addrs addresses from
 * 127.0.0.first on, the oldest closed to open another past FLOOD_RING. */
struct flood {
    uint16_t port;
    enum streams_kind kind;
    bool upgrade;        /* ws: upgraded, then silent; else not even a request */
    unsigned first, addrs;
    int fd[FLOOD_RING];
    unsigned next, opened, failed;
};

static void flood_init(struct flood *f, uint16_t port, enum streams_kind kind, bool upgrade,
                       unsigned first, unsigned addrs)
{
    *f = (struct flood){.port = port, .kind = kind, .upgrade = upgrade, .first = first,
                        .addrs = addrs};
    for (unsigned k = 0; k < FLOOD_RING; k++)
        f->fd[k] = -1;
}

/* n more connections, each from the next address in turn. */
static void flood_more(struct flood *f, unsigned n)
{
    static struct streams_conn c;
    for (unsigned k = 0; k < n; k++) {
        char from[16];
        snprintf(from, sizeof from, "127.0.0.%u", f->first + f->opened % f->addrs);
        int *slot = &f->fd[f->next++ % FLOOD_RING];
        if (*slot >= 0)
            close(*slot);
        *slot = -1;
        f->opened++;
        if (f->kind == STREAMS_WS && f->upgrade) {
            if (streams_open(&c, STREAMS_WS, from, f->port) == 0)
                *slot = c.fd;
        } else {
            *slot = streams_connect(from, f->port);
        }
        f->failed += *slot < 0;
    }
}

static void flood_end(struct flood *f)
{
    for (unsigned k = 0; k < FLOOD_RING; k++)
        if (f->fd[k] >= 0)
            close(f->fd[k]);
}

/* A relay with tcp, ws and ENet edges and --max-clients 64 (96 slots an
 * edge, --max-half-open a quarter of them: 24): silent connections from
 * 40 addresses, 100 tcp, 100 ws upgraded and 60 ws never upgraded, and
 * 25 more of them every 20 ms while an ENet, a tcp and a ws player join
 * from 127.0.0.1 and play on. Before, the silent stream connections
 * counted against --max-clients: the ENet player was refused server_full. */
static void silent_streams_keep_no_one_out(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                          "--listen", "enet://127.0.0.1:0", "--max-clients", "64",
                          "--stats-interval", "0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t tcp = harness_edge_port(&relay, "tcp"), ws = harness_edge_port(&relay, "ws");
    uint16_t enet = harness_edge_port(&relay, "enet");
    static struct flood fl[3];
    flood_init(&fl[0], tcp, STREAMS_TCP, false, 2, 10);
    flood_init(&fl[1], ws, STREAMS_WS, true, 12, 10);
    flood_init(&fl[2], ws, STREAMS_WS, false, 22, 20);
    flood_more(&fl[0], 100);
    flood_more(&fl[1], 100);
    flood_more(&fl[2], 60);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    r.c[0] = harness_client(enet, "doors", "enet", PROTO_MODE_UNSEQUENCED, false);
    r.c[1] = harness_client(tcp, "doors", "tcp", PROTO_MODE_TCP, false);
    r.c[2] = harness_client(ws, "doors", "ws", PROTO_MODE_WS, false);
    uint64_t start = clock_now_ms(), end = start + 15000;
    while (!harness_all_welcomed(&r) && clock_now_ms() < end) {
        flood_more(&fl[0], 10);
        flood_more(&fl[1], 10);
        flood_more(&fl[2], 5);
        harness_poll_for(r.c, r.n, 20, harness_rec_event, &r);
    }
    printf("silent streams: %u tcp, %u ws upgraded, %u ws not: players welcomed %s in %llu ms\n",
           fl[0].opened, fl[1].opened, fl[2].opened, harness_all_welcomed(&r) ? "all" : "NOT all",
           (unsigned long long)(clock_now_ms() - start));
    for (size_t i = 0; i < r.n; i++)
        if (!r.welcomed[i])
            fail_msg("player %zu not welcomed (%s)", i, r.last_error[i]);
    for (int round = 0; round < 25; round++) { /* they play on through more */
        flood_more(&fl[0], 10);
        flood_more(&fl[1], 10);
        flood_more(&fl[2], 5);
        harness_send_rounds(&r, 1);
    }
    for (size_t i = 0; i < r.n; i++)
        assert_false(r.disconnected[i]);
    for (size_t i = 0; i < r.n; i++)
        assert_true(r.states[i][ricochet_id(r.c[(i + 1) % r.n])] > 0);
    char *stats = harness_relay_stats_now(&relay);
    assert_non_null(stats);
    long long held_tcp = harness_stats_field(stats, false, "edges.tcp.clients");
    long long held_ws = harness_stats_field(stats, false, "edges.ws.clients");
    long long evicted = harness_stats_field(stats, false, "drops.half_open");
    printf("silent streams: held tcp %lld, ws %lld (members included); %lld gave way, "
           "%lld refused server_full\n", held_tcp, held_ws, evicted,
           harness_stats_field(stats, false, "drops.server_full"));
    assert_true(held_tcp <= 24 + 1);
    assert_true(held_ws <= 24 + 1);
    assert_true(evicted > 0);
    assert_int_equal(harness_stats_field(stats, false, "drops.server_full"), 0);
    free(stats);
    for (size_t i = 0; i < r.n; i++)
        ricochet_close(r.c[i]);
    for (int k = 0; k < 3; k++)
        flood_end(&fl[k]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* ---- what the doors cost ----------------------------------------------------- */

#define JOINS 60          /* joins timed per door and case */
#define HELD 120          /* connections (sessions) held for the memory figures (a
                             flood's ring holds 128) */

/* One join through port: a client of mode over transport, from its
 * creation to its welcome (µs into h), then closed. Returns whether it
 * was welcomed within 10 s. */
static bool timed_join(uint16_t port, enum proto_mode mode, enum ricochet_transport transport,
                       int k, struct histogram *h)
{
    char name[24], err[256] = "";
    snprintf(name, sizeof name, "j%d", k);
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = "timed",
                                .name = name, .mode = mode, .timeout_ms = 10000,
                                .no_histograms = true, .transport = transport};
    uint64_t start = clock_now_us();
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create: %s", err);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 1;
    r.c[0] = c;
    bool in = harness_poll_until(r.c, 1, 10000, harness_rec_event, harness_all_welcomed, &r) == 0;
    if (in)
        histogram_record(h, clock_now_us() - start);
    ricochet_close(c);
    return in;
}

/* The ports of a relay with an edge of each kind. */
struct doors {
    struct spawn_proc relay;
    uint16_t enet, tcp, ws, webrtc;
};

static void doors_start(struct doors *d, const char *const *more)
{
    const char *args[32] = {"--listen", "enet://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
                            "--listen", "ws://127.0.0.1:0", "--listen", "webrtc://127.0.0.1:0",
                            "--stats-interval", "0", "--rate-limit", "0"};
    size_t n = 12;
    for (size_t i = 0; more && more[i] && n < 31; i++)
        args[n++] = more[i];
    args[n] = NULL;
    assert_true(harness_start_relay(&d->relay, args) > 0);
    d->enet = harness_edge_port(&d->relay, "enet");
    d->tcp = harness_edge_port(&d->relay, "tcp");
    d->ws = harness_edge_port(&d->relay, "ws");
    d->webrtc = harness_edge_port(&d->relay, "webrtc");
}

/* JOINS timed joins through each door, one after the other; with floods,
 * 25 more silent connections before each. Prints one figure line. */
static int time_joins(struct doors *d, const char *what, struct flood *fl, size_t n_fl)
{
    static struct histogram h[4];
    static const char *const door[4] = {"enet", "tcp", "ws", "webrtc"};
    const uint16_t port[4] = {d->enet, d->tcp, d->ws, d->ws};
    const enum proto_mode mode[4] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_TCP, PROTO_MODE_WS,
                                     PROTO_MODE_UNSEQUENCED};
    int refused = 0;
    for (int i = 0; i < 4; i++) {
        histogram_reset(&h[i]);
        for (int k = 0; k < JOINS; k++) {
            for (size_t f = 0; f < n_fl; f++)
                flood_more(&fl[f], f == n_fl - 1 ? 5 : 10);
            refused += !timed_join(port[i], mode[i], i == 3 ? RICOCHET_TRANSPORT_WEBRTC
                                                            : RICOCHET_TRANSPORT_DEFAULT,
                                   k, &h[i]);
        }
    }
    printf("doors: joins %s:", what);
    for (int i = 0; i < 4; i++)
        printf(" %s p50 %.2f p99 %.2f ms%s", door[i], histogram_percentile(&h[i], 50) / 1000.0,
               histogram_percentile(&h[i], 99) / 1000.0, i < 3 ? "," : ";");
    printf(" refused %d of %d\n", refused, 4 * JOINS);
    return refused;
}

/* The relay's resident memory (KiB) once what prepare opened is held
 * (settled 300 ms), over HELD: KiB a held connection or session costs. */
static double held_cost(struct spawn_proc *relay, long before_kib)
{
    clock_sleep_ms(300);
    return (double)(harness_usage(relay).rss_kb - before_kib) / HELD;
}

/* HELD offers of one SDP to ws's /rtc from 10 addresses (15 each: under
 * --max-per-address): sessions answered, none checked. */
static unsigned held_offers(uint16_t ws)
{
    static const struct rtc_peer_ops ops = {0};
    static char request[8192];
    union netaddr self;
    char err[160];
    assert_int_equal(netaddr_resolve("127.0.0.1", 9, &self, err, sizeof err), 0);
    struct rtc_peer *p = rtc_peer_new(&self, &ops, NULL, err, sizeof err);
    assert_non_null(p);
    const char *sdp = rtc_peer_offer(p);
    int n = snprintf(request, sizeof request,
                     "POST /rtc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(sdp), sdp);
    unsigned answered = 0;
    for (unsigned k = 0; k < HELD; k++) {
        char from[16];
        snprintf(from, sizeof from, "127.0.0.%u", 200 + k % 10);
        answered += streams_http(from, ws, request, (size_t)n, NULL, 0, 5000) == 201;
    }
    rtc_peer_free(p);
    return answered;
}

/* The memory a held slot costs: a relay that keeps what has not joined for
 * a minute (--join-timeout-ms) and 300 of it an edge (--max-half-open),
 * its RSS before and after HELD silent tcp connections (from 15
 * addresses), HELD ws ones that never upgrade, HELD that do, and HELD
 * WebRTC offers' sessions never checked; each is held, none gives way. */
static void what_a_held_slot_costs(void **state)
{
    (void)state;
    struct doors d;
    const char *more[] = {"--join-timeout-ms", "60000", "--max-half-open", "300", NULL};
    doors_start(&d, more);
    static struct flood fl[3];
    flood_init(&fl[0], d.tcp, STREAMS_TCP, false, 2, 15);
    flood_init(&fl[1], d.ws, STREAMS_WS, false, 20, 15);
    flood_init(&fl[2], d.ws, STREAMS_WS, true, 40, 15);
    double cost[4];
    for (int k = 0; k < 3; k++) {
        long before = harness_usage(&d.relay).rss_kb;
        flood_more(&fl[k], HELD);
        cost[k] = held_cost(&d.relay, before);
    }
    long before = harness_usage(&d.relay).rss_kb;
    unsigned answered = held_offers(d.ws);
    cost[3] = held_cost(&d.relay, before);
    char *stats = harness_relay_stats_now(&d.relay);
    assert_non_null(stats);
    long long tcp = harness_stats_field(stats, false, "edges.tcp.clients");
    long long ws = harness_stats_field(stats, false, "edges.ws.clients");
    long long evicted = harness_stats_field(stats, false, "drops.half_open");
    free(stats);
    printf("doors: held slot: tcp %.1f KiB, ws %.1f KiB, ws upgraded %.1f KiB, webrtc %.1f KiB "
           "(relay RSS over %d held of each: tcp %lld, ws upgraded %lld, webrtc %u)\n",
           cost[0], cost[1], cost[2], cost[3], HELD, tcp, ws, answered);
    assert_int_equal(tcp, HELD);
    assert_int_equal(ws, HELD);
    assert_int_equal(answered, HELD);
    assert_int_equal(evicted, 0);
    for (int k = 0; k < 3; k++)
        flood_end(&fl[k]);
    free(harness_relay_finish(&d.relay));
    spawn_free(&d.relay);
}

/* An honest join's time through each door on an idle relay and with the
 * stream edges' budgets (--max-half-open 64, of 1056 slots an edge) held
 * full by silent connections from 40 addresses, topped up before each
 * join, every newcomer making room. Every join is welcomed. The figures
 * are for bench/doors.sh on the release build; here they are printed
 * only. */
static void what_the_doors_cost(void **state)
{
    (void)state;
    struct doors d;
    const char *more[] = {"--max-half-open", "64", NULL}; /* 128 silent ones fill it */
    doors_start(&d, more);
    int refused = time_joins(&d, "idle", NULL, 0);
    static struct flood fl[3];
    flood_init(&fl[0], d.tcp, STREAMS_TCP, false, 2, 10);
    flood_init(&fl[1], d.ws, STREAMS_WS, true, 12, 10);
    flood_init(&fl[2], d.ws, STREAMS_WS, false, 22, 20);
    flood_more(&fl[0], FLOOD_RING);
    flood_more(&fl[1], FLOOD_RING);
    flood_more(&fl[2], FLOOD_RING);
    refused += time_joins(&d, "budgets full", fl, 3);
    printf("doors: budgets full: %u silent connections opened, %lld closed to make room\n",
           fl[0].opened + fl[1].opened + fl[2].opened,
           harness_relay_stat(&d.relay, "drops.half_open"));
    for (int k = 0; k < 3; k++)
        flood_end(&fl[k]);
    free(harness_relay_finish(&d.relay));
    spawn_free(&d.relay);
    assert_int_equal(refused, 0);
}

/* A relay with fewer descriptors than its tcp edge may hold (prlimit
 * --nofile=48:48: hard as soft, it cannot raise them): 80 silent tcp
 * connections from 8 addresses. Past the limit accept() fails (EMFILE) and
 * the kernel keeps the connection queued, the listening socket ready.
 * Before, the relay retried at once, for ever: a core spent and a warning
 * a retry. Now the oldest silent connection gives way to the newcomer (as
 * for a slot: half_open), the relay says so once, its loop turns for what
 * comes (a few hundred times, not a spin's thousands a second), and an
 * ENet and a tcp player join while the silent ones keep coming. */
static void out_of_descriptors(void **state)
{
    (void)state;
    if (access("/usr/bin/prlimit", X_OK) != 0) {
        print_message("no prlimit (util-linux) here\n");
        skip();
    }
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/ricochet-relay", harness_bin_dir());
    const char *args[] = {"--nofile=48:48", path, "--listen", "tcp://127.0.0.1:0", "--listen",
                          "enet://127.0.0.1:0", "--stats-json", "--metrics", "0", NULL};
    struct spawn_proc relay;
    assert_int_equal(spawn_start(&relay, "/usr/bin", "prlimit", args, err, sizeof err), 0);
    uint16_t tcp = harness_edge_port(&relay, "tcp"), enet = harness_edge_port(&relay, "enet");
    char metrics[64];
    http_wait_endpoint(&relay, metrics, sizeof metrics);
    double turns = http_relay_loop_turns(metrics);
    struct flood f;
    flood_init(&f, tcp, STREAMS_TCP, false, 2, 8);
    flood_more(&f, 80);
    clock_sleep_ms(1500);
    static struct histogram h;
    histogram_reset(&h);
    assert_true(timed_join(enet, PROTO_MODE_UNSEQUENCED, RICOCHET_TRANSPORT_DEFAULT, 0, &h));
    flood_more(&f, 20);
    assert_true(timed_join(tcp, PROTO_MODE_TCP, RICOCHET_TRANSPORT_DEFAULT, 1, &h));
    flood_end(&f);
    turns = http_relay_loop_turns(metrics) - turns;
    print_message("100 connections against 48 descriptors, two joins: the relay's loop turned "
                  "%.0f times\n", turns);
    assert_true(turns < 5000);
    char *out = harness_relay_finish(&relay), *log = spawn_read_stderr(&relay);
    assert_non_null(log);
    size_t lines = 0;
    for (const char *at = log; (at = strstr(at, "no descriptor left")); at++)
        lines++;
    long long gave_way = harness_stats_field(out, true, "drops.half_open");
    print_message("silent connections that gave way: %lld; lines said: %zu\n", gave_way, lines);
    assert_true(gave_way > 0);
    assert_int_equal(lines, 1);
    free(log);
    free(out);
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refusals_whole_over_tcp_and_ws),
        cmocka_unit_test(silent_streams_keep_no_one_out),
        cmocka_unit_test(what_the_doors_cost),
        cmocka_unit_test(what_a_held_slot_costs),
        cmocka_unit_test(out_of_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
