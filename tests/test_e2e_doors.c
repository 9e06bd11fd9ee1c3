/* test_e2e_doors.c: the stream edges' front doors of ricochet-relay, tried
 * from outside over 127.0.0.1 with raw clients (support/streams.h), the
 * attackers on loopback addresses of their own (127.0.0.2 on).
 *   - Every refusal a datagram client gets, a client over tcp and ws gets
 *     too, whole, on a relay that takes tickets: a stream's handshake
 *     showed its address, so no reply is cut to the request's length.
 *   - Silent connections from many addresses (tcp; ws before and after
 *     the upgrade) keep no one out: an ENet player, and tcp and ws ones,
 *     join while they keep coming; each stream edge holds at most
 *     --max-half-open of them, never counted against --max-clients. */
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

#include "../client/client.h"
#include "../proto/control.h"
#include "../proto/ticket.h"
#include "../proto/wire.h"
#include "support/harness.h"
#include "support/streams.h"
#include "../sys/clock.h"

#define WAIT_MS 5000

static char dir[] = "/tmp/ricochet-e2e-doors-XXXXXX";
static char key_path[256];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(key_path, sizeof key_path, "%s/relay.key", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ricochet-ticket with args, to its exit; its stdout's first line (the
 * caller frees). */
static char *ticket_prog(const char *const *args)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-ticket", args), 0);
    assert_int_equal(spawn_stop(&p, 0, 10000), 0);
    char *out = spawn_read_stdout(&p);
    spawn_free(&p);
    assert_non_null(out);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

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
        {"{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"a b\"}", "bad_name", NULL},
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
        const cJSON *code = cJSON_GetObjectItem(e, "code"), *text = cJSON_GetObjectItem(e, "message");
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
    const char *keygen[] = {"keygen", key_path, NULL};
    free(ticket_prog(keygen));
    struct spawn_proc relay;
    const char *args[] = {"--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                          "--ticket-key", key_path, "--stats-interval", "0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    refusals_whole_over(STREAMS_TCP, harness_edge_port(&relay, "tcp"));
    refusals_whole_over(STREAMS_WS, harness_edge_port(&relay, "ws"));
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refusals_whole_over_tcp_and_ws),
        cmocka_unit_test(silent_streams_keep_no_one_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
