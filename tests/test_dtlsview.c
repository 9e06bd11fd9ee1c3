/* test_dtlsview.c: the states netsim reads inside a WebRTC flow
 * (lab/netsim/dtlsview.h): a real DTLS association (rtc/rtc_dtls.h, a
 * client and a server in one process, the client's key log written to a
 * file) carrying SCTP packets made here: a data channel's open names its
 * label, and the states of a whole binary message on it are found both
 * ways with the ENet channel and kind its label stands for; a batch's
 * states; fragments, DCEP and strings passed over; nothing read without
 * the key log's line, or with another session's; records that do not open
 * counted, garbage reported malformed; the key log read as it grows, past
 * lines none of the clients write (too long, a NUL byte, a digit not hex). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/netsim/dtlsview.h"
#include "proto/wire.h"
#include "rtc/rtc_dtls.h"

#define QUEUE_MAX 32

struct queue {
    uint8_t dgram[QUEUE_MAX][1500];
    size_t len[QUEUE_MAX];
    int n;
};

static struct queue to_server, to_client;

static void push(void *ctx, const uint8_t *data, size_t len)
{
    struct queue *q = ctx;
    assert_true(q->n < QUEUE_MAX && len <= sizeof q->dgram[0]);
    memcpy(q->dgram[q->n], data, len);
    q->len[q->n++] = len;
}

static void ignore(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx, (void)data, (void)len;
}

static const struct rtc_dtls_io client_io = {push, ignore, &to_server};
static const struct rtc_dtls_io server_io = {push, ignore, &to_client};

struct net {
    char keylog[64];
    struct rtc_dtls_ctx *sc, *cc;
    struct rtc_dtls *server, *client;
    struct dtlsview_keylog *k;
    struct dtlsview_flow flow;
    struct statescan_ref refs[STATESCAN_MAX];
    size_t found;          /* states found by the last delivery */
    int malformed;
};

/* Hands every queued datagram to its end (d, or rtc_dtls_listen for a
 * server without one yet) and to the view. */
static void deliver(struct net *n, bool from_client)
{
    struct queue *q = from_client ? &to_server : &to_client;
    struct queue copy = *q;
    q->n = 0;
    n->found = 0;
    for (int i = 0; i < copy.n; i++) {
        struct statescan_result r = dtlsview_datagram(&n->flow, n->k, from_client, copy.dgram[i],
                                                      copy.len[i], n->refs);
        n->found += r.states;
        n->malformed |= r.malformed;
        if (!from_client)
            rtc_dtls_input(n->client, copy.dgram[i], copy.len[i]);
        else if (n->server)
            rtc_dtls_input(n->server, copy.dgram[i], copy.len[i]);
        else
            rtc_dtls_listen(n->sc, (const uint8_t *)"peer", 4, copy.dgram[i], copy.len[i],
                            rtc_dtls_ctx_fingerprint_bytes(n->cc), &server_io, &n->server);
    }
}

static void net_open(struct net *n, bool log_keys)
{
    char err[160];
    memset(n, 0, sizeof *n);
    memset(&to_server, 0, sizeof to_server);
    memset(&to_client, 0, sizeof to_client);
    snprintf(n->keylog, sizeof n->keylog, "/tmp/test_dtlsview.XXXXXX");
    int fd = mkstemp(n->keylog);
    assert_true(fd >= 0);
    close(fd);
    n->sc = rtc_dtls_ctx_new(true, err, sizeof err);
    n->cc = rtc_dtls_ctx_new(false, err, sizeof err);
    assert_non_null(n->sc);
    assert_non_null(n->cc);
    if (log_keys)
        assert_int_equal(rtc_dtls_ctx_keylog(n->cc, n->keylog, err, sizeof err), 0);
    n->k = dtlsview_keylog_open(n->keylog, err, sizeof err);
    assert_non_null(n->k);
    n->client = rtc_dtls_connect(n->cc, rtc_dtls_ctx_fingerprint_bytes(n->sc), &client_io);
    for (int i = 0; i < 10 && (to_client.n || to_server.n); i++) {
        deliver(n, true);
        deliver(n, false);
    }
    assert_int_equal(rtc_dtls_state(n->client), RTC_DTLS_CONNECTED);
    assert_non_null(n->server);
    assert_int_equal(rtc_dtls_state(n->server), RTC_DTLS_CONNECTED);
}

static void net_close(struct net *n)
{
    rtc_dtls_free(n->server);
    rtc_dtls_free(n->client);
    rtc_dtls_ctx_free(n->sc);
    rtc_dtls_ctx_free(n->cc);
    dtlsview_keylog_free(n->k);
    unlink(n->keylog);
}

/* An SCTP packet of one DATA chunk (flags: B|E = 3 whole; ppid) of
 * payload[0..len) on stream sid, into p. Returns its length. */
static size_t sctp_data(uint8_t *p, uint8_t flags, uint16_t sid, uint32_t ppid,
                        const uint8_t *payload, size_t len)
{
    memset(p, 0, 12); /* ports, verification tag, checksum: not read */
    uint8_t *c = p + 12;
    size_t chunk = 16 + len;
    c[0] = 0;
    c[1] = flags;
    c[2] = (uint8_t)(chunk >> 8);
    c[3] = (uint8_t)chunk;
    memset(c + 4, 0, 4); /* TSN */
    c[8] = (uint8_t)(sid >> 8);
    c[9] = (uint8_t)sid;
    c[10] = c[11] = 0;
    c[12] = (uint8_t)(ppid >> 24);
    c[13] = (uint8_t)(ppid >> 16);
    c[14] = (uint8_t)(ppid >> 8);
    c[15] = (uint8_t)ppid;
    memcpy(c + 16, payload, len);
    size_t padded = (chunk + 3) & ~(size_t)3;
    memset(c + chunk, 0, padded - chunk);
    return 12 + padded;
}

/* A DATA_CHANNEL_OPEN for label on sid, sent by the client. */
static void open_channel(struct net *n, uint16_t sid, const char *label)
{
    uint8_t m[64] = {3, 0x80}, p[128]; /* OPEN, partially reliable (not read) */
    size_t len = strlen(label);
    m[8] = 0;
    m[9] = (uint8_t)len;
    memcpy(m + 12, label, len);
    assert_int_equal(rtc_dtls_write(n->client, p, sctp_data(p, 3, sid, 50, m, 12 + len)), 0);
    deliver(n, true);
    assert_int_equal(n->found, 0);
}

/* Sends a state (seq) on sid with ppid and flags, from one end. */
static size_t send_state(struct net *n, bool from_client, uint16_t sid, uint32_t ppid,
                         uint8_t flags, uint32_t seq)
{
    uint8_t st[PROTO_STATE_SIZE], p[128];
    struct proto_state s = {.sender = from_client ? 0 : 9, .seq = seq, .send_us = 1};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    size_t len = sctp_data(p, flags, sid, ppid, st, sizeof st);
    assert_int_equal(rtc_dtls_write(from_client ? n->client : n->server, p, len), 0);
    deliver(n, from_client);
    return n->found;
}

static void states_by_channel_both_ways(void **unused)
{
    (void)unused;
    struct net n;
    net_open(&n, true);
    open_channel(&n, 1, "control");
    open_channel(&n, 3, "unsequenced");
    open_channel(&n, 5, "sequenced");
    static const struct { uint16_t sid; uint8_t channel, kind; } want[] = {
        {1, 2, STATESCAN_RELIABLE}, {3, 1, STATESCAN_UNSEQUENCED},
        {5, 2, STATESCAN_UNSEQUENCED}, {7, 1, STATESCAN_UNSEQUENCED}, /* 7: never opened */
    };
    for (int way = 0; way < 2; way++)
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            assert_int_equal(send_state(&n, way == 0, want[i].sid, 53, 3, 100 + (uint32_t)i), 1);
            assert_int_equal(n.refs[0].seq, 100 + i);
            assert_int_equal(n.refs[0].sender, way == 0 ? 0 : 9);
            assert_int_equal(n.refs[0].channel, want[i].channel);
            assert_int_equal(n.refs[0].kind, want[i].kind);
        }
    /* a fragment (B without E), a string, an empty message: no state */
    assert_int_equal(send_state(&n, true, 3, 53, 2, 1), 0);
    assert_int_equal(send_state(&n, true, 3, 51, 3, 1), 0);
    assert_int_equal(n.flow.unread, 0);
    assert_int_equal(n.malformed, 0);
    assert_int_equal(n.flow.suite, 0xC02B); /* ECDHE-ECDSA-AES128-GCM-SHA256 */
    net_close(&n);
}

static void a_batch_read_whole(void **unused)
{
    (void)unused;
    struct net n;
    net_open(&n, true);
    open_channel(&n, 3, "unsequenced");
    uint8_t batch[PROTO_BATCH_MAX], st[PROTO_STATE_SIZE], p[PROTO_BATCH_MAX + 64];
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(batch);
    for (uint32_t k = 1; k <= 5; k++) {
        struct proto_state s = {.sender = 4, .seq = k, .send_us = 1};
        proto_state_encode(st, sizeof st, &s);
        assert_int_equal(proto_batch_add(batch, sizeof batch, &used, st, sizeof st), PROTO_OK);
    }
    assert_int_equal(rtc_dtls_write(n.server, p, sctp_data(p, 3, 3, 53, batch, used)), 0);
    deliver(&n, false);
    assert_int_equal(n.found, 5);
    for (uint32_t k = 0; k < 5; k++)
        assert_int_equal(n.refs[k].seq, k + 1);
    net_close(&n);
}

/* Without the session's line nothing is read, and each record is counted;
 * the line written late (before the next record) is found then. */
static void nothing_without_the_key(void **unused)
{
    (void)unused;
    struct net n;
    net_open(&n, false);
    assert_int_equal(send_state(&n, true, 3, 53, 3, 1), 0);
    assert_int_equal(n.flow.unread, 1);
    FILE *f = fopen(n.keylog, "w"); /* another session's secret: still nothing */
    fprintf(f, "# a comment\nCLIENT_RANDOM %064d %096d\n", 0, 0);
    fclose(f);
    assert_int_equal(send_state(&n, true, 3, 53, 3, 2), 0);
    assert_int_equal(n.flow.unread, 2);
    net_close(&n);

    net_open(&n, true); /* a record changed on the way does not open */
    uint8_t st[PROTO_STATE_SIZE] = {0}, p[128];
    size_t len = sctp_data(p, 3, 3, 53, st, sizeof st);
    assert_int_equal(rtc_dtls_write(n.client, p, len), 0);
    to_server.dgram[0][to_server.len[0] - 1] ^= 1;
    to_server.n = 0;
    struct statescan_result r = dtlsview_datagram(&n.flow, n.k, true, to_server.dgram[0],
                                                  to_server.len[0], n.refs);
    assert_int_equal(r.states, 0);
    assert_int_equal(n.flow.unread, 1);
    static const uint8_t junk[] = {0x00, 0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    r = dtlsview_datagram(&n.flow, n.k, true, junk, sizeof junk, n.refs); /* STUN, not DTLS */
    assert_int_equal(r.malformed, 1);
    net_close(&n);
}

/* The key log as it grows: a line not ended waits for its end; a line
 * longer than any of the clients' (a browser's, another tool's) and one
 * with a NUL byte are passed over, and the sessions after them found; a
 * random with a character that is no hex digit names no session. */
static void the_key_log_past_odd_lines(void **unused)
{
    (void)unused;
    char path[64], err[128];
    snprintf(path, sizeof path, "/tmp/test_dtlsview.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct dtlsview_keylog *k = dtlsview_keylog_open(path, err, sizeof err);
    assert_non_null(k);
    uint8_t r1[DTLSVIEW_RANDOM], r2[DTLSVIEW_RANDOM], out[DTLSVIEW_SECRET];
    memset(r1, 0x11, sizeof r1);
    memset(r2, 0x22, sizeof r2);
    FILE *f = fopen(path, "w");
    fprintf(f, "# %0700d\n", 7);                  /* 703 bytes */
    fwrite("# a\0NUL\n", 1, 8, f);                 /* a NUL byte in a line */
    fprintf(f, "CLIENT_RANDOM %s %s\n", "1111111111111111111111111111111111111111111111111111111111111111",
            "333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333");
    fprintf(f, "CLIENT_TRAFFIC_SECRET_0 %s", "2222222222222222222222222222222222222222222222222222222222222222");
    fclose(f);
    assert_int_equal(dtlsview_keylog_secret(k, "CLIENT_RANDOM", r1, out, sizeof out), 48);
    assert_int_equal(out[0], 0x33);
    assert_int_equal(dtlsview_keylog_secret(k, "CLIENT_TRAFFIC_SECRET_0", r2, out, sizeof out), 0);
    f = fopen(path, "a"); /* the line ends */
    fprintf(f, " %s\n", "4444444444444444444444444444444444444444444444444444444444444444");
    fclose(f);
    assert_int_equal(dtlsview_keylog_secret(k, "CLIENT_TRAFFIC_SECRET_0", r2, out, sizeof out), 32);
    assert_int_equal(out[31], 0x44);
    /* hex digits only: "1`" is no byte (sscanf's %2x would read it as 0x01) */
    uint8_t r3[DTLSVIEW_RANDOM];
    memset(r3, 0x01, sizeof r3);
    f = fopen(path, "a");
    fprintf(f, "CLIENT_RANDOM 1`");
    for (int i = 1; i < DTLSVIEW_RANDOM; i++)
        fprintf(f, "01");
    fprintf(f, " %096d\n", 5);
    fclose(f);
    assert_int_equal(dtlsview_keylog_secret(k, "CLIENT_RANDOM", r3, out, sizeof out), 0);
    dtlsview_keylog_free(k);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(states_by_channel_both_ways),
        cmocka_unit_test(a_batch_read_whole),
        cmocka_unit_test(nothing_without_the_key),
        cmocka_unit_test(the_key_log_past_odd_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
