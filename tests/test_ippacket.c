/* test_ippacket.c: the IP packets `ricochet-netsim`'s IP mode reads: endpoints,
 * payloads with IP options, the sequence space a SYN, data and a FIN take,
 * later fragments and ICMP without ports, every packet cut short or of another
 * version refused; tcpdump's flag letters; the drop log's line for a TCP
 * segment, its range wrapping with the numbers */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/netsim/droplog.h"
#include "lab/netsim/ippacket.h"
#include "proto/byteorder.h"

/* An IPv4 header (ihl words) of proto from 198.18.0.1 to 198.19.0.1 at
 * buf, total bytes in all. */
static void put_ip(uint8_t *buf, int ihl, uint8_t proto, size_t total)
{
    memset(buf, 0, (size_t)ihl * 4);
    buf[0] = (uint8_t)(0x40 | ihl);
    be16_put(buf + 2, (uint16_t)total);
    buf[8] = 64;
    buf[9] = proto;
    be32_put(buf + 12, 0xc6120001u);
    be32_put(buf + 16, 0xc6130001u);
}

/* A TCP segment of n payload bytes with flags, seq 4294967290 (it wraps). */
static size_t tcp_packet(uint8_t *buf, uint8_t flags, size_t n)
{
    size_t total = 20 + 24 + n; /* a 4-byte option: the data offset counts */
    put_ip(buf, 5, IPPACKET_TCP, total);
    uint8_t *t = buf + 20;
    memset(t, 0, 24);
    be16_put(t, 40000);
    be16_put(t + 2, 7777);
    be32_put(t + 4, 4294967290u);
    be32_put(t + 8, 77);
    t[12] = 6 << 4;
    t[13] = flags;
    memset(t + 24, 'x', n);
    return total;
}

static void tcp_segments(void **unused)
{
    (void)unused;
    uint8_t buf[256];
    struct ippacket p;
    size_t len = tcp_packet(buf, IPPACKET_SYN, 0);
    assert_int_equal(ippacket_parse(buf, len, &p), 0);
    assert_int_equal(p.proto, IPPACKET_TCP);
    assert_true(p.ports);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 7777);
    assert_int_equal(p.src, 0xc6120001u);
    assert_int_equal(p.seq, 4294967290u);
    assert_int_equal(p.ack, 77);
    assert_int_equal(p.seq_len, 1); /* a SYN takes one number */
    assert_int_equal(p.payload_len, 0);
    len = tcp_packet(buf, IPPACKET_FIN | IPPACKET_PSH | IPPACKET_ACK, 100);
    assert_int_equal(ippacket_parse(buf, len + 7, &p), 0); /* bytes past total: ignored */
    assert_int_equal(p.payload_off, 44);
    assert_int_equal(p.payload_len, 100);
    assert_int_equal(p.seq_len, 101);
    len = tcp_packet(buf, IPPACKET_ACK, 0);
    assert_int_equal(ippacket_parse(buf, len, &p), 0);
    assert_int_equal(p.seq_len, 0); /* an acknowledgement alone takes none */
}

static void udp_and_others(void **unused)
{
    (void)unused;
    uint8_t buf[128];
    struct ippacket p;
    put_ip(buf, 6, IPPACKET_UDP, 24 + 8 + 40); /* with 4 bytes of IP options */
    be16_put(buf + 24, 5000);
    be16_put(buf + 26, 6000);
    assert_int_equal(ippacket_parse(buf, 72, &p), 0);
    assert_true(p.ports);
    assert_int_equal(p.sport, 5000);
    assert_int_equal(p.payload_off, 32);
    assert_int_equal(p.payload_len, 40);
    put_ip(buf, 5, 1, 28); /* ICMP: no ports */
    assert_int_equal(ippacket_parse(buf, 28, &p), 0);
    assert_false(p.ports);
    assert_int_equal(p.payload_len, 8);
    put_ip(buf, 5, IPPACKET_UDP, 60);
    be16_put(buf + 6, 0x0003); /* a later fragment: no UDP header in it */
    assert_int_equal(ippacket_parse(buf, 60, &p), 0);
    assert_false(p.ports);
    assert_int_equal(p.payload_len, 40);
}

static void refused(void **unused)
{
    (void)unused;
    uint8_t buf[128];
    struct ippacket p;
    size_t len = tcp_packet(buf, IPPACKET_SYN, 0);
    assert_int_equal(ippacket_parse(buf, 19, &p), -1);      /* no whole header */
    assert_int_equal(ippacket_parse(buf, len - 1, &p), -1); /* total beyond the bytes */
    buf[20 + 12] = 15 << 4;                                 /* a TCP header past the end */
    assert_int_equal(ippacket_parse(buf, len, &p), -1);
    buf[20 + 12] = 4 << 4; /* a TCP header shorter than 20 */
    assert_int_equal(ippacket_parse(buf, len, &p), -1);
    put_ip(buf, 4, IPPACKET_UDP, 40); /* IHL below 5 */
    assert_int_equal(ippacket_parse(buf, 40, &p), -1);
    put_ip(buf, 5, IPPACKET_UDP, 24); /* a UDP header cut short */
    assert_int_equal(ippacket_parse(buf, 24, &p), -1);
    buf[0] = 0x60; /* IPv6 */
    assert_int_equal(ippacket_parse(buf, 40, &p), -1);
    assert_true(ippacket_in_bench_range(0xc6120001u));
    assert_true(ippacket_in_bench_range(0xc613ffffu));
    assert_false(ippacket_in_bench_range(0xc6140000u));
    assert_false(ippacket_in_bench_range(0x7f000001u));
}

static void flags_as_tcpdump(void **unused)
{
    (void)unused;
    char f[IPPACKET_FLAGS_MAX];
    assert_string_equal(ippacket_flags(IPPACKET_SYN, f), "S");
    assert_string_equal(ippacket_flags(IPPACKET_SYN | IPPACKET_ACK, f), "S.");
    assert_string_equal(ippacket_flags(IPPACKET_PSH | IPPACKET_ACK, f), "P.");
    assert_string_equal(ippacket_flags(IPPACKET_FIN | IPPACKET_PSH | IPPACKET_ACK, f), "FP.");
    assert_string_equal(ippacket_flags(IPPACKET_RST, f), "R");
    assert_string_equal(ippacket_flags(0, f), "-");
    assert_string_equal(ippacket_flags(0xff, f), "FSRP.UEW");
}

/* The drop log's line for a segment: its range wraps as the numbers do. */
static void segment_line(void **unused)
{
    (void)unused;
    uint8_t buf[256];
    struct ippacket p;
    assert_int_equal(ippacket_parse(buf, tcp_packet(buf, IPPACKET_PSH | IPPACKET_ACK, 100), &p),
                     0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct droplog_counts c = {0};
    droplog_segment(f, &c, DROPLOG_LOSS, NETSIM_UP, "198.18.0.1:40000", 123, 0, &p);
    fclose(f);
    assert_string_equal(text, "123 loss up 198.18.0.1:40000 - - segment 0 4294967290:94 P.\n");
    assert_int_equal(c.segments[DROPLOG_LOSS], 1);
    assert_int_equal(c.states[DROPLOG_LOSS], 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_segments),
        cmocka_unit_test(udp_and_others),
        cmocka_unit_test(refused),
        cmocka_unit_test(flags_as_tcpdump),
        cmocka_unit_test(segment_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
