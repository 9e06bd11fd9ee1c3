/* test_rtc_dtls.c: DTLS 1.2 for WebRTC (rtc/rtc_dtls.h), a client
 * and a server in one process with datagrams carried by hand: the cookie
 * exchange (no association before it, the HelloVerifyRequest shorter than
 * the ClientHello, a cookie good for one peer only), fingerprints checked
 * both ways, application data both ways, no datagram over the MTU, a lost
 * flight sent again on the timer, close_notify, garbage dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "rtc/rtc_dtls.h"

#define QUEUE_MAX 64

/* Datagrams on their way to one end, and what that end decrypted. */
struct queue {
    uint8_t dgram[QUEUE_MAX][1500];
    size_t len[QUEUE_MAX];
    int n;
    size_t biggest;
    char data[4096];   /* application data the end sending here decrypted, concatenated */
    size_t data_len;
};

static struct queue to_server, to_client;

static void push(void *ctx, const uint8_t *data, size_t len)
{
    struct queue *q = ctx;
    assert_true(q->n < QUEUE_MAX);
    assert_true(len <= sizeof q->dgram[0]);
    memcpy(q->dgram[q->n], data, len);
    q->len[q->n++] = len;
    if (len > q->biggest)
        q->biggest = len;
}

static void received(void *ctx, const uint8_t *data, size_t len)
{
    struct queue *q = ctx;
    assert_true(q->data_len + len <= sizeof q->data);
    memcpy(q->data + q->data_len, data, len);
    q->data_len += len;
}

static const struct rtc_dtls_io client_io = {push, received, &to_server};
static const struct rtc_dtls_io server_io = {push, received, &to_client};

static void reset(void)
{
    memset(&to_server, 0, sizeof to_server);
    memset(&to_client, 0, sizeof to_client);
}

/* Delivers every queued datagram to d (NULL: drops them). */
static void deliver(struct queue *q, struct rtc_dtls *d)
{
    struct queue copy = *q;
    q->n = 0;
    for (int i = 0; i < copy.n; i++)
        if (d)
            rtc_dtls_input(d, copy.dgram[i], copy.len[i]);
}

struct pair {
    struct rtc_dtls_ctx *sc, *cc;
    struct rtc_dtls *server, *client;
};

static void pair_open(struct pair *p)
{
    char err[128];
    reset();
    p->sc = rtc_dtls_ctx_new(true, err, sizeof err);
    p->cc = rtc_dtls_ctx_new(false, err, sizeof err);
    assert_non_null(p->sc);
    assert_non_null(p->cc);
    p->server = p->client = NULL;
}

/* The client's hello, the cookie exchange, and the association. */
static void pair_accept(struct pair *p, const uint8_t *server_fp, const uint8_t *client_fp)
{
    p->client = rtc_dtls_connect(p->cc, server_fp, &client_io);
    assert_non_null(p->client);
    assert_int_equal(to_server.n, 1);
    size_t hello = to_server.len[0];
    assert_int_equal(rtc_dtls_listen(p->sc, (const uint8_t *)"peer-a", 6, to_server.dgram[0],
                                     hello, client_fp, &server_io, &p->server),
                     RTC_DTLS_LISTEN_VERIFY);
    assert_null(p->server);
    assert_int_equal(to_client.n, 1);
    assert_true(to_client.len[0] < hello); /* never more bytes than a stranger sent */
    to_server.n = 0;
    deliver(&to_client, p->client);
    assert_int_equal(to_server.n, 1); /* the hello again, with the cookie */
    assert_int_equal(rtc_dtls_listen(p->sc, (const uint8_t *)"peer-a", 6, to_server.dgram[0],
                                     to_server.len[0], client_fp, &server_io, &p->server),
                     RTC_DTLS_LISTEN_ACCEPTED);
    assert_non_null(p->server);
    to_server.n = 0;
    assert_true(to_client.n >= 1); /* the server's flight */
}

static void pair_run(struct pair *p)
{
    for (int i = 0; i < 10 && (to_client.n || to_server.n); i++) {
        deliver(&to_client, p->client);
        deliver(&to_server, p->server);
    }
}

static void pair_close(struct pair *p)
{
    rtc_dtls_free(p->server);
    rtc_dtls_free(p->client);
    rtc_dtls_ctx_free(p->sc);
    rtc_dtls_ctx_free(p->cc);
}

static void handshake_and_data(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    const char *fp = rtc_dtls_ctx_fingerprint(p.sc);
    assert_int_equal(strlen(fp), RTC_DTLS_FINGERPRINT_TEXT - 1);
    assert_int_equal(fp[2], ':');
    assert_string_not_equal(fp, rtc_dtls_ctx_fingerprint(p.cc));
    pair_accept(&p, rtc_dtls_ctx_fingerprint_bytes(p.sc), rtc_dtls_ctx_fingerprint_bytes(p.cc));
    pair_run(&p);
    assert_int_equal(rtc_dtls_state(p.server), RTC_DTLS_CONNECTED);
    assert_int_equal(rtc_dtls_state(p.client), RTC_DTLS_CONNECTED);
    assert_true(to_client.biggest <= RTC_DTLS_MTU && to_server.biggest <= RTC_DTLS_MTU);
    assert_int_equal(rtc_dtls_timeout_us(p.server), UINT64_MAX);

    assert_int_equal(rtc_dtls_write(p.client, (const uint8_t *)"up", 2), 0);
    assert_int_equal(rtc_dtls_write(p.server, (const uint8_t *)"down", 4), 0);
    uint8_t big[RTC_DTLS_MTU - RTC_DTLS_OVERHEAD] = {0};
    assert_int_equal(rtc_dtls_write(p.server, big, sizeof big), 0);
    assert_int_equal(to_client.len[to_client.n - 1], RTC_DTLS_MTU); /* the overhead is exact */
    assert_int_equal(rtc_dtls_write(p.server, big, sizeof big + 1), -1);
    pair_run(&p);
    assert_int_equal(to_client.data_len, 2); /* what the server read */
    assert_memory_equal(to_client.data, "up", 2);
    assert_int_equal(to_server.data_len, 4 + sizeof big); /* what the client read */
    assert_memory_equal(to_server.data, "down", 4);

    rtc_dtls_close(p.client);
    pair_run(&p);
    assert_int_equal(rtc_dtls_state(p.server), RTC_DTLS_CLOSED);
    assert_int_equal(rtc_dtls_write(p.server, (const uint8_t *)"late", 4), -1);
    pair_close(&p);
}

/* A cookie names its peer: another name gets a new HelloVerifyRequest. */
static void cookie_is_per_peer(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    p.client = rtc_dtls_connect(p.cc, rtc_dtls_ctx_fingerprint_bytes(p.sc), &client_io);
    struct rtc_dtls *out = NULL;
    assert_int_equal(rtc_dtls_listen(p.sc, (const uint8_t *)"peer-a", 6, to_server.dgram[0],
                                     to_server.len[0], rtc_dtls_ctx_fingerprint_bytes(p.cc),
                                     &server_io, &out),
                     RTC_DTLS_LISTEN_VERIFY);
    to_server.n = 0;
    deliver(&to_client, p.client);
    assert_int_equal(rtc_dtls_listen(p.sc, (const uint8_t *)"peer-b", 6, to_server.dgram[0],
                                     to_server.len[0], rtc_dtls_ctx_fingerprint_bytes(p.cc),
                                     &server_io, &out),
                     RTC_DTLS_LISTEN_VERIFY);
    assert_null(out);
    /* garbage: dropped, nothing sent */
    to_client.n = 0;
    uint8_t junk[64];
    memset(junk, 22, sizeof junk);
    assert_int_equal(rtc_dtls_listen(p.sc, (const uint8_t *)"peer-a", 6, junk, sizeof junk,
                                     rtc_dtls_ctx_fingerprint_bytes(p.cc), &server_io, &out),
                     RTC_DTLS_LISTEN_DROPPED);
    assert_int_equal(rtc_dtls_listen(p.sc, (const uint8_t *)"peer-a", 6, junk, 3,
                                     rtc_dtls_ctx_fingerprint_bytes(p.cc), &server_io, &out),
                     RTC_DTLS_LISTEN_DROPPED);
    assert_int_equal(to_client.n, 0);
    pair_close(&p);
}

/* A certificate that is not the SDP's fails the handshake, on either side. */
static void fingerprints_are_checked(void **state)
{
    (void)state;
    uint8_t wrong[RTC_DTLS_FINGERPRINT];
    for (int side = 0; side < 2; side++) {
        struct pair p;
        pair_open(&p);
        memcpy(wrong, rtc_dtls_ctx_fingerprint_bytes(side ? p.cc : p.sc), sizeof wrong);
        wrong[7] ^= 0x40;
        pair_accept(&p, side ? rtc_dtls_ctx_fingerprint_bytes(p.sc) : wrong,
                    side ? wrong : rtc_dtls_ctx_fingerprint_bytes(p.cc));
        pair_run(&p);
        struct rtc_dtls *checker = side ? p.server : p.client;
        assert_int_equal(rtc_dtls_state(checker), RTC_DTLS_FAILED);
        assert_non_null(strstr(rtc_dtls_why(checker), "fingerprint"));
        assert_int_not_equal(rtc_dtls_state(side ? p.client : p.server), RTC_DTLS_CONNECTED);
        pair_close(&p);
    }
}

/* The server's flight lost: the timer (500 ms first) sends it again. */
static void lost_flight_is_sent_again(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    pair_accept(&p, rtc_dtls_ctx_fingerprint_bytes(p.sc), rtc_dtls_ctx_fingerprint_bytes(p.cc));
    to_client.n = 0; /* lost */
    uint64_t left = rtc_dtls_timeout_us(p.server);
    assert_true(left > 0 && left <= 500000);
    rtc_dtls_on_timeout(p.server); /* not due yet: nothing */
    assert_int_equal(to_client.n, 0);
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(left + 20000) * 1000};
    nanosleep(&ts, NULL);
    assert_int_equal(rtc_dtls_timeout_us(p.server), 0);
    rtc_dtls_on_timeout(p.server);
    assert_true(to_client.n >= 1);
    pair_run(&p);
    assert_int_equal(rtc_dtls_state(p.server), RTC_DTLS_CONNECTED);
    assert_int_equal(rtc_dtls_state(p.client), RTC_DTLS_CONNECTED);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_and_data),
        cmocka_unit_test(cookie_is_per_peer),
        cmocka_unit_test(fingerprints_are_checked),
        cmocka_unit_test(lost_flight_is_sent_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
