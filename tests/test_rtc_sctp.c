/* test_rtc_sctp.c: data channels on usrsctp (rtc/rtc_sctp.h), two
 * associations in one process with packets carried by hand (DTLS left
 * out): both INITs make one association, DCEP opens and acks, messages both
 * ways on an unordered channel without retransmissions and an ordered
 * reliable one (text, binary, empty, one in pieces), a lost reliable
 * message sent again on usrsctp's timers and a lost unreliable one not,
 * oversize messages and open floods counted, delayed SACK (one for two
 * packets, or 200 ms after a lone one), channels closed, an
 * association freed with data in flight, and no thread of usrsctp's but
 * its sleeping iterator. usrsctp reads the system's clock itself (a chunk
 * is resent only once it has been out for a retransmission timeout of
 * real time), so the timers here turn on the real clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/rtc_dcep.h"
#include "rtc/rtc_sctp.h"
#include "sys/clock.h"

#define QUEUE_MAX 256
#define UNRELIABLE (RTC_DCEP_REXMIT | RTC_DCEP_UNORDERED)

/* One end: packets on their way to it, and what it saw. */
struct end {
    struct rtc_sctp *a;
    uint8_t pkt[QUEUE_MAX][RTC_SCTP_MTU + 64];
    size_t len[QUEUE_MAX];
    int n;
    bool drop;                   /* packets to it are lost */
    enum rtc_sctp_state state;
    int channels, closed, messages;
    struct rtc_sctp_channel last_channel;
    uint16_t last_sid;
    bool last_binary;
    uint8_t last[70000];
    size_t last_len;
    int data_chunks, sack_chunks; /* in the packets it sent */
};

static struct end A, B; /* A: the DTLS client (even ids), B: the server (odd) */

/* SCTP chunk types counted (RFC 4960, 3.2). */
#define CHUNK_DATA 0
#define CHUNK_SACK 3

/* Counts the DATA and SACK chunks of packet p from `from`: the chunks
 * follow the 12-byte common header, each padded to 4 bytes. */
static void count_chunks(struct end *from, const uint8_t *p, size_t len)
{
    for (size_t at = 12; at + 4 <= len;) {
        size_t n = (size_t)p[at + 2] << 8 | p[at + 3];
        if (n < 4)
            break;
        from->data_chunks += p[at] == CHUNK_DATA;
        from->sack_chunks += p[at] == CHUNK_SACK;
        at += (n + 3) & ~(size_t)3;
    }
}

static void send_cb(void *ctx, const uint8_t *p, size_t len)
{
    struct end *to = ctx == &A ? &B : &A;
    count_chunks(ctx, p, len);
    assert_true(len <= RTC_SCTP_MTU);
    if (to->drop)
        return;
    assert_true(to->n < QUEUE_MAX);
    memcpy(to->pkt[to->n], p, len);
    to->len[to->n++] = len;
}

static void state_cb(void *ctx, enum rtc_sctp_state s)
{
    ((struct end *)ctx)->state = s;
}

static void channel_cb(void *ctx, const struct rtc_sctp_channel *ch)
{
    struct end *e = ctx;
    e->channels++;
    e->last_channel = *ch;
}

static void closed_cb(void *ctx, uint16_t sid)
{
    struct end *e = ctx;
    e->closed++;
    e->last_sid = sid;
}

static void message_cb(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    struct end *e = ctx;
    e->messages++;
    e->last_sid = sid;
    e->last_binary = binary;
    assert_true(len <= sizeof e->last);
    memcpy(e->last, data, len);
    e->last_len = len;
}

static const struct rtc_sctp_ops ops = {send_cb, state_cb, channel_cb, closed_cb, message_cb};

/* Delivers what is queued both ways, rounds times, turning usrsctp's
 * timers a millisecond (of real time) a round. */
static void run(int rounds)
{
    for (int r = 0; r < rounds; r++) {
        struct end *ends[2] = {&A, &B};
        for (int k = 0; k < 2; k++) {
            struct end *e = ends[k];
            int n = e->n;
            static uint8_t pkt[QUEUE_MAX][RTC_SCTP_MTU + 64];
            static size_t len[QUEUE_MAX];
            memcpy(pkt, e->pkt, sizeof pkt[0] * (size_t)n);
            memcpy(len, e->len, sizeof len[0] * (size_t)n);
            e->n = 0;
            for (int i = 0; i < n; i++)
                if (e->a)
                    rtc_sctp_input(e->a, pkt[i], len[i]);
        }
        clock_sleep_ms(1);
        rtc_sctp_timers(clock_now_us());
    }
}

static void open_pair(uint32_t b_max, unsigned b_channels)
{
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    assert_int_equal(rtc_sctp_global_init(clock_now_us()), 0);
    struct rtc_sctp_config ca = {.local_port = 5000, .remote_port = 5000, .dtls_server = false,
                                 .max_message = 65536, .channels_max = 4, .buffer = 256 * 1024};
    struct rtc_sctp_config cb = ca;
    cb.dtls_server = true;
    cb.max_message = b_max;
    cb.channels_max = b_channels;
    A.a = rtc_sctp_new(&ca, &ops, &A);
    B.a = rtc_sctp_new(&cb, &ops, &B);
    assert_non_null(A.a);
    assert_non_null(B.a);
    assert_int_equal(rtc_sctp_count(), 2);
    assert_true(rtc_sctp_due() <= clock_now_us() + RTC_SCTP_TICK_US);
    run(20);
    assert_int_equal(A.state, RTC_SCTP_OPEN);
    assert_int_equal(B.state, RTC_SCTP_OPEN);
}

static void close_pair(void)
{
    rtc_sctp_free(A.a);
    rtc_sctp_free(B.a);
    A.a = B.a = NULL;
    run(5);
    assert_int_equal(rtc_sctp_count(), 0);
    assert_int_equal(rtc_sctp_due(), UINT64_MAX);
}

static void send_ok(struct end *from, uint16_t sid, bool binary, const char *text)
{
    assert_int_equal(rtc_sctp_send(from->a, sid, binary, (const uint8_t *)text, strlen(text)), 0);
}

static void channels_and_messages(void **state)
{
    (void)state;
    open_pair(65536, 4);
    assert_int_equal(rtc_sctp_open(A.a, 0, UNRELIABLE, 0, "state"), 0);
    assert_int_equal(rtc_sctp_open(A.a, 2, RTC_DCEP_RELIABLE, 0, "control"), 0);
    assert_int_equal(rtc_sctp_open(A.a, 1, RTC_DCEP_RELIABLE, 0, "odd"), -1); /* B's parity */
    assert_int_equal(rtc_sctp_open(A.a, 2, RTC_DCEP_RELIABLE, 0, "again"), -1);
    run(5);
    assert_int_equal(B.channels, 2);
    assert_int_equal(A.channels, 2); /* both acknowledged */
    const struct rtc_sctp_channel *ch = rtc_sctp_channel(B.a, 0);
    assert_non_null(ch);
    assert_string_equal(ch->label, "state");
    assert_false(ch->ordered || ch->reliable || ch->ours);
    assert_int_equal(ch->reliability, 0);
    ch = rtc_sctp_channel(B.a, 2);
    assert_true(ch->ordered && ch->reliable);
    assert_true(rtc_sctp_channel(A.a, 2)->ours);
    assert_null(rtc_sctp_channel(B.a, 4));

    send_ok(&A, 0, true, "a state");
    run(3);
    assert_int_equal(B.messages, 1);
    assert_int_equal(B.last_sid, 0);
    assert_true(B.last_binary);
    assert_memory_equal(B.last, "a state", 7);
    send_ok(&B, 2, false, "{\"type\":\"welcome\"}");
    send_ok(&B, 0, true, "down");
    run(3);
    assert_int_equal(A.messages, 2);
    assert_int_equal(A.last_sid, 0);
    assert_int_equal(A.last_len, 4);
    send_ok(&A, 2, false, "");
    run(3);
    assert_int_equal(B.last_len, 0); /* an empty message stays empty */
    assert_false(B.last_binary);
    assert_int_equal(rtc_sctp_send(A.a, 4, true, (const uint8_t *)"x", 1), -1); /* no channel */
    /* a message larger than the partial delivery point arrives whole */
    static uint8_t big[60000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    assert_int_equal(rtc_sctp_send(A.a, 2, true, big, sizeof big), 0);
    run(30);
    assert_int_equal(B.last_len, sizeof big);
    assert_memory_equal(B.last, big, sizeof big);
    rtc_sctp_set_peer_max(A.a, 1000);
    assert_int_equal(rtc_sctp_send(A.a, 2, true, big, 1001), -1);
    close_pair();
}

/* A lost reliable message comes again on usrsctp's timers; a lost
 * unreliable one (maxRetransmits 0) never does. */
static void loss_and_timers(void **state)
{
    (void)state;
    open_pair(65536, 4);
    rtc_sctp_open(A.a, 0, UNRELIABLE, 0, "state");
    rtc_sctp_open(A.a, 2, RTC_DCEP_RELIABLE, 0, "control");
    run(5);
    B.drop = true;
    send_ok(&A, 0, true, "lost for good");
    send_ok(&A, 2, true, "lost once");
    run(1);
    B.drop = false;
    int before = B.messages;
    uint64_t deadline = clock_now_us() + 3000000; /* a few retransmission timeouts */
    while (B.messages == before && clock_now_us() < deadline)
        run(10);
    run(50);
    assert_int_equal(B.messages, before + 1);
    assert_memory_equal(B.last, "lost once", 9);
    send_ok(&A, 0, true, "next");
    run(3);
    assert_int_equal(B.messages, before + 2);
    assert_memory_equal(B.last, "next", 4);
    close_pair();
}

/* Delayed SACK as RFC 4960 (6.2) has it, not one SACK a packet: a packet
 * now and then (a state every 60 ms, one way) is acknowledged at the
 * latest with the second one after it, or 200 ms after it arrived; so
 * about one SACK for two DATA chunks (a 20 ms delay sent one for each). */
static void sack_every_second_packet(void **state)
{
    (void)state;
    open_pair(65536, 4);
    rtc_sctp_open(A.a, 0, UNRELIABLE, 0, "state");
    run(5);
    int data0 = A.data_chunks, sacks0 = B.sack_chunks;
    for (int i = 0; i < 12; i++) {
        send_ok(&A, 0, true, "a state");
        uint64_t next = clock_now_us() + 60000;
        while (clock_now_us() < next)
            run(1);
    }
    int data = A.data_chunks - data0;
    int sacks = B.sack_chunks - sacks0;
    assert_int_equal(data, 12);
    assert_true(sacks <= data / 2 + 1);
    assert_true(sacks >= data / 2);
    uint64_t end = clock_now_us() + 400000; /* the last one's SACK: 200 ms after it */
    while (clock_now_us() < end && B.sack_chunks - sacks0 == sacks)
        run(1);
    assert_true(B.sack_chunks - sacks0 <= data / 2 + 1);
    assert_int_equal(rtc_sctp_unsent(A.a), 0); /* everything acknowledged */
    close_pair();
}

/* Too long, refused whole, counted; the association goes on. */
static void oversize_messages(void **state)
{
    (void)state;
    open_pair(1000, 4);
    rtc_sctp_open(A.a, 2, RTC_DCEP_RELIABLE, 0, "control");
    run(5);
    static uint8_t big[30000];
    assert_int_equal(rtc_sctp_send(A.a, 2, true, big, 1001), 0);
    assert_int_equal(rtc_sctp_send(A.a, 2, true, big, sizeof big), 0); /* in pieces */
    assert_int_equal(rtc_sctp_send(A.a, 2, true, big, 1000), 0);
    run(30);
    assert_int_equal(rtc_sctp_counters(B.a)->oversize, 2);
    assert_int_equal(B.messages, 1);
    assert_int_equal(B.last_len, 1000);
    close_pair();
}

/* Opens past channels_max are refused (the stream reset: the opener sees
 * its channel closed); a channel closed by one side closes on both. */
static void open_flood_and_close(void **state)
{
    (void)state;
    open_pair(65536, 2);
    for (uint16_t sid = 0; sid < 8; sid += 2)
        assert_int_equal(rtc_sctp_open(A.a, sid, RTC_DCEP_RELIABLE, 0, "flood"), 0);
    run(10);
    assert_int_equal(B.channels, 2);
    assert_int_equal(rtc_sctp_counters(B.a)->channels_refused, 2);
    assert_int_equal(A.channels, 2);
    assert_int_equal(A.closed, 2);
    assert_null(rtc_sctp_channel(A.a, 6));
    rtc_sctp_close_channel(A.a, 0);
    run(10);
    assert_int_equal(B.closed, 1);
    assert_int_equal(B.last_sid, 0);
    assert_null(rtc_sctp_channel(B.a, 0));
    assert_int_equal(A.closed, 3);
    assert_null(rtc_sctp_channel(A.a, 0));
    /* the freed slot may be opened again */
    assert_int_equal(rtc_sctp_open(A.a, 0, RTC_DCEP_RELIABLE, 0, "again"), 0);
    run(5);
    assert_int_equal(B.channels, 3);
    close_pair();
}

/* Freed with data in flight and a peer still sending: the ABORT closes
 * the peer, timers run on, nothing touches the freed association. */
static void free_in_flight(void **state)
{
    (void)state;
    open_pair(65536, 4);
    assert_int_equal(rtc_sctp_open(B.a, 1, RTC_DCEP_RELIABLE, 0, "down"), 0);
    run(5);
    A.drop = true;
    for (int i = 0; i < 20; i++)
        send_ok(&B, 1, false, "unacknowledged");
    A.drop = false;
    rtc_sctp_free(B.a);
    B.a = NULL;
    run(100);
    assert_int_equal(A.state, RTC_SCTP_CLOSED);
    rtc_sctp_free(A.a);
    A.a = NULL;
    run(5);
    assert_int_equal(rtc_sctp_count(), 0);
}

/* usrsctp runs no thread here but its iterator, which sleeps. */
static void no_threads_but_the_iterator(void **state)
{
    (void)state;
    assert_int_equal(rtc_sctp_global_init(clock_now_us()), 0);
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int tasks = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        tasks += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(tasks, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(channels_and_messages),
        cmocka_unit_test(loss_and_timers),
        cmocka_unit_test(sack_every_second_packet),
        cmocka_unit_test(oversize_messages),
        cmocka_unit_test(open_flood_and_close),
        cmocka_unit_test(free_in_flight),
        cmocka_unit_test(no_threads_but_the_iterator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
