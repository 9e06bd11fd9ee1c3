/* test_e2e_droplog.c: ricochet-netsim --drop-log and --pcap. The line format on
 * a memory stream, then netsim end to end over 127.0.0.1 in udp mode: every
 * state a fake relay did not receive has a loss line, every copy it received
 * has a fwd line, duplicates show as dup, and tcpdump -r counts in the two
 * capture files exactly what netsim says it forwarded and dropped; the same
 * with the states in batches, where a lost batch is a loss line for each of
 * its states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/netsim/capture.h"
#include "lab/netsim/droplog.h"
#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "sys/netaddr.h"
#include "proto/wire.h"
#include "tests/support/harness.h"

#define N_STATES 800

static void put_state(uint8_t *buf, uint32_t seq)
{
    struct proto_state s = {.seq = seq, .send_us = 1};
    assert_int_equal(proto_state_encode(buf, PROTO_STATE_SIZE, &s), PROTO_STATE_SIZE);
}

static void line_format(void **unused)
{
    (void)unused;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct droplog_counts c = {0};
    uint8_t st[PROTO_STATE_SIZE];
    put_state(st, 42);
    droplog_header(f, "udp");
    struct statescan_ref refs[STATESCAN_MAX];
    struct statescan_result r = statescan_datagram(STATESCAN_UDP, st, sizeof st, refs);
    droplog_datagram(f, &c, DROPLOG_FWD, NETSIM_DOWN, "127.0.0.1:5", 100, 7, &r, refs);
    r = statescan_datagram(STATESCAN_UDP, (const uint8_t *)"{}", 2, refs);
    droplog_datagram(f, &c, DROPLOG_LOSS, NETSIM_UP, "127.0.0.1:5", 101, 0, &r, refs);
    fclose(f);
    assert_non_null(strstr(text, "\n100 fwd down 127.0.0.1:5 0 42 plain 7 - -\n"));
    assert_null(strstr(text, "101 loss"));
    assert_int_equal(c.states[DROPLOG_FWD], 1);
    assert_int_equal(c.states[DROPLOG_LOSS], 0);
    assert_int_equal(droplog_event_parse("burst"), DROPLOG_BURST);
    assert_int_equal(droplog_event_parse("exit"), DROPLOG_EXIT);
    assert_int_equal(droplog_event_parse("nope"), -1);
    free(text);
}

/* Counts the states of a datagram the fake relay got (a batch's entries). */
static void count_got(const uint8_t *buf, size_t len, int got[N_STATES])
{
    struct proto_state s;
    if (!proto_is_batch(buf, len)) {
        assert_int_equal(proto_state_decode(buf, len, &s), PROTO_OK);
        assert_true(s.seq < N_STATES);
        got[s.seq]++;
        return;
    }
    assert_true(proto_batch_check(buf, len) > 0);
    size_t at = PROTO_BATCH_HEADER, n;
    const uint8_t *e;
    while (proto_batch_next(buf, len, &at, &e, &n))
        count_got(e, n, got);
}

/* The next datagram of per states from seq *sent on (one alone, more in a
 * batch) in buf; returns its length. */
static size_t next_datagram(uint8_t *buf, int per, int *sent)
{
    if (per == 1) {
        put_state(buf, (uint32_t)(*sent)++);
        return PROTO_STATE_SIZE;
    }
    uint8_t st[PROTO_STATE_SIZE];
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(buf);
    for (int k = 0; k < per && *sent < N_STATES; k++) {
        put_state(st, (uint32_t)(*sent)++);
        assert_int_equal(proto_batch_add(buf, PROTO_BATCH_MAX, &used, st, sizeof st), PROTO_OK);
    }
    return used;
}

/* Sends N_STATES states, per to a datagram, through netsim to a socket
 * playing the relay (it hears only netsim's sockets); fills got[seq] with
 * the copies that arrived. Returns netsim's stdout. */
static char *run_through_netsim(const char *log_path, const char *pcap_path, int per,
                                int got[N_STATES])
{
    uint16_t relay_port, client_port;
    int relay = harness_udp_socket(&relay_port);
    int client = harness_udp_socket(&client_port);
    int size = 1 << 21; /* a full buffer would be loss netsim did not do */
    setsockopt(relay, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    char relay_arg[32];
    snprintf(relay_arg, sizeof relay_arg, "127.0.0.1:%u", relay_port);
    const char *args[] = {"--relay", relay_arg, "--loss", "20", "--dup", "5", "--wire", "udp",
                          "--seed", "99", "--drop-log", log_path, "--pcap", pcap_path,
                          "--duration", "60", NULL};
    struct spawn_proc p;
    int port = harness_start_netsim(&p, args);
    struct sockaddr_in proxy = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    /* What another test's relay may send to this port, its client's a moment
     * ago (a 10-byte ENet DISCONNECT): not netsim's, so not counted. */
    int stray = harness_udp_socket(NULL);
    struct sockaddr_in relay_addr = proxy;
    relay_addr.sin_port = htons(relay_port);
    assert_int_equal(sendto(stray, "\xff\xff\0\0\x84\xff\0\x01\0\0", 10, 0,
                            (struct sockaddr *)&relay_addr, sizeof relay_addr), 10);
    close(stray);
    uint8_t buf[2048];
    int sent = 0;
    uint64_t quiet_since = clock_now_ms(), deadline = clock_now_ms() + 60000;
    while (clock_now_ms() < deadline) {
        for (int k = 0; k < 2 && sent < N_STATES; k++) { /* paced: no buffer loss */
            size_t len = next_datagram(buf, per, &sent);
            assert_true(sendto(client, buf, len, 0, (struct sockaddr *)&proxy, sizeof proxy) ==
                        (ssize_t)len);
        }
        struct pollfd pf = {relay, POLLIN, 0};
        int r = poll(&pf, 1, sent < N_STATES ? 1 : 20);
        if (r == 0 && sent == N_STATES && clock_now_ms() - quiet_since > 300)
            break;
        if (r <= 0)
            continue;
        quiet_since = clock_now_ms();
        ssize_t len;
        while ((len = harness_recv_from_pid(relay, p.pid, buf, sizeof buf, NULL)) > 0)
            count_got(buf, (size_t)len, got);
    }
    assert_int_equal(spawn_stop(&p, SIGTERM, 10000), 0);
    char *out = spawn_read_stdout(&p);
    spawn_free(&p);
    close(relay);
    close(client);
    return out;
}

/* Datagrams in a pcap file as tcpdump -r reads them, or -1. */
static long tcpdump_count(const char *path)
{
    char cmd[512], line[512];
    snprintf(cmd, sizeof cmd, "tcpdump -n -r '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    long n = 0;
    while (fgets(line, sizeof line, p))
        n += strstr(line, " UDP, length ") != NULL;
    return pclose(p) == 0 ? n : -1;
}

static void accounted_in_batches_of(int per)
{
    static int got[N_STATES], fwd[N_STATES], lost[N_STATES], dup[N_STATES];
    memset(got, 0, sizeof got);
    memset(fwd, 0, sizeof fwd);
    memset(lost, 0, sizeof lost);
    memset(dup, 0, sizeof dup);
    char path[] = "/tmp/ricochet-droplog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char pcap[64], dropped[80];
    snprintf(pcap, sizeof pcap, "%s.pcap", path);
    snprintf(dropped, sizeof dropped, "%s.dropped", pcap);
    char *out = run_through_netsim(path, pcap, per, got);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256], ev[16], dir[8], flow[32], kind[16], peer[8];
    uint64_t t, delay;
    uint32_t sender, seq;
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%" SCNu64 " %15s %7s %31s %" SCNu32 " %" SCNu32
                                      " %15s %" SCNu64 " %7s", &t, ev, dir, flow, &sender,
                                &seq, kind, &delay, peer), 9);
        assert_string_equal(dir, "up");
        assert_string_equal(peer, "-"); /* udp: no ENet header */
        assert_string_equal(kind, per == 1 ? "plain" : "batched");
        assert_true(seq < N_STATES);
        int e = droplog_event_parse(ev);
        assert_true(e == DROPLOG_FWD || e == DROPLOG_LOSS || e == DROPLOG_DUP);
        (e == DROPLOG_FWD ? fwd : e == DROPLOG_LOSS ? lost : dup)[seq]++;
        lines++;
    }
    fclose(f);
    unlink(path);
    int n_lost = 0, n_dup = 0;
    for (int i = 0; i < N_STATES; i++) {
        if (fwd[i] != got[i] || lost[i] != (got[i] == 0) || fwd[i] != (dup[i] ? 2 : !lost[i]))
            print_error("seq %d: relay got %d, log says fwd %d loss %d dup %d\n", i, got[i],
                        fwd[i], lost[i], dup[i]);
        assert_int_equal(fwd[i], got[i]);          /* every copy received was logged */
        assert_int_equal(lost[i], got[i] == 0);    /* every state missed was a loss */
        assert_int_equal(fwd[i], dup[i] ? 2 : !lost[i]);
        n_lost += lost[i];
        n_dup += dup[i];
    }
    /* netsim counts datagrams: a batch of per states is per lines */
    assert_int_equal(harness_stats_field(out, true, "up.drops.loss") * per, n_lost);
    assert_int_equal(harness_stats_field(out, true, "up.duplicated") * per, n_dup);
    assert_int_equal(harness_stats_field(out, true, "up.send_errors"), 0);
    assert_true(n_lost > N_STATES / 10 && n_dup > 0);
    /* The captures hold what netsim reported, and tcpdump can read them. */
    assert_int_equal(tcpdump_count(pcap), harness_stats_field(out, true, "up.forwarded"));
    assert_int_equal(tcpdump_count(dropped), harness_stats_field(out, true, "up.dropped"));
    unlink(pcap);
    unlink(dropped);
    print_message("drop log: %d lines, %d lost, %d duplicated of %d\n", lines, n_lost, n_dup,
                  N_STATES);
    free(out);
}

static void every_state_accounted(void **unused)
{
    (void)unused;
    accounted_in_batches_of(1);
}

/* Batches of 4: a lost batch is a loss line for each of its states. */
static void every_batched_state_accounted(void **unused)
{
    (void)unused;
    accounted_in_batches_of(4);
}

/* With an IPv6 endpoint the capture holds IPv6 packets (an IPv4 side as
 * ::ffff:a.b.c.d) whose mandatory UDP checksum tcpdump finds right, for odd
 * and even lengths; two IPv4 endpoints still give IPv4. */
static void pcap_ipv6(void **unused)
{
    (void)unused;
    char path[] = "/tmp/ricochet-test-pcap6-XXXXXX", err[256], cmd[512], line[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct capture *cap = capture_open(path, err, sizeof err);
    assert_non_null(cap);
    union netaddr c6, r6, c4, r4;
    assert_int_equal(netaddr_parse_endpoint("[::1]:40000", &c6, err, sizeof err), 0);
    assert_int_equal(netaddr_parse_endpoint("[2001:db8::7]:7777", &r6, err, sizeof err), 0);
    assert_int_equal(netaddr_parse_endpoint("127.0.0.1:40001", &c4, err, sizeof err), 0);
    assert_int_equal(netaddr_parse_endpoint("127.0.0.1:7777", &r4, err, sizeof err), 0);
    struct timeval tv = {1, 0};
    const uint8_t bytes[] = "0123456789";
    capture_write(cap, &c6, &r6, bytes, 10, tv);
    capture_write(cap, &r6, &c6, bytes, 7, tv);
    capture_write(cap, &c4, &r6, bytes, 3, tv);
    capture_write(cap, &c4, &r4, bytes, 5, tv);
    assert_int_equal(capture_close(cap), 0);
    snprintf(cmd, sizeof cmd, "tcpdump -vv -n -r '%s' 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int sum_ok = 0, v6 = 0, mapped = 0, v4 = 0;
    while (fgets(line, sizeof line, p)) {
        sum_ok += strstr(line, "[udp sum ok]") != NULL;
        v6 += strstr(line, "::1.40000 > 2001:db8::7.7777") != NULL;
        v6 += strstr(line, "2001:db8::7.7777 > ::1.40000") != NULL;
        mapped += strstr(line, "::ffff:127.0.0.1.40001 > 2001:db8::7.7777") != NULL;
        v4 += strstr(line, "127.0.0.1.40001 > 127.0.0.1.7777") != NULL &&
              strstr(line, "::ffff") == NULL;
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(v6, 2);
    assert_int_equal(mapped, 1);
    assert_int_equal(v4, 1);
    assert_int_equal(sum_ok, 3); /* the IPv4 one has no checksum */
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(line_format),
        cmocka_unit_test(every_state_accounted),
        cmocka_unit_test(every_batched_state_accounted),
        cmocka_unit_test(pcap_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
