/* test_e2e_doors.c: the stream edges' front doors of ricochet-relay, tried
 * from outside over 127.0.0.1 with raw clients (support/streams.h).
 * Every refusal a datagram client gets, a client over tcp and ws gets
 * too, whole, on a relay that takes tickets: a stream's handshake showed
 * its address, so no reply is cut to the request's length. */
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

#include "../proto/control.h"
#include "../proto/ticket.h"
#include "../proto/wire.h"
#include "support/harness.h"
#include "support/streams.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refusals_whole_over_tcp_and_ws),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
