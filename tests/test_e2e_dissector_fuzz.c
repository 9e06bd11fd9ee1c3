/* test_e2e_dissector_fuzz.c: the Wireshark dissector (proto/wireshark/)
 * fed garbage through tshark: random bytes on the registered port and on
 * others, and mutations of the datagrams of the sample captures
 * (tests/wireshark/). No Lua error anywhere; and where the dissector reads
 * ENet's commands, a state or a batch, it reads what the C readers read
 * (proto/enet/enet_wire.c, proto/wire.c): the same commands walked, the
 * same point where ENet stops, the same refusals. Skips with one line where
 * tshark is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/netsim/capture.h"
#include "proto/enet/enet_wire.h"
#include "proto/wire.h"
#include "stats/rng.h"
#include "tests/support/tshark.h"

#define SAMPLES "tests/wireshark/"

#define FUZZ_MAX 1500  /* bytes of a fuzzed datagram */
#define FUZZ_N 2400    /* fuzzed datagrams: a quarter random, the rest mutated */

struct datagrams {
    uint8_t (*d)[FUZZ_MAX];
    size_t *len, n, cap;
};

static void datagrams_add(struct datagrams *g, const uint8_t *d, size_t len)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 512;
        g->d = realloc(g->d, g->cap * sizeof *g->d);
        g->len = realloc(g->len, g->cap * sizeof *g->len);
        assert_true(g->d && g->len);
    }
    memcpy(g->d[g->n], d, len);
    g->len[g->n++] = len;
}

/* The UDP payloads of a capture netsim wrote (raw IPv4 packets). */
static void sample_payloads(const char *path, struct datagrams *g)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    assert_non_null(p);
    struct pcap_pkthdr *h;
    const u_char *pkt;
    while (pcap_next_ex(p, &h, &pkt) == 1) {
        size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
        assert_true(h->caplen >= ihl + 8 && h->caplen - ihl - 8 <= FUZZ_MAX);
        datagrams_add(g, pkt + ihl + 8, h->caplen - ihl - 8);
    }
    pcap_close(p);
}

/* One to four random changes to d (len bytes): a bit flipped, a byte or a
 * 16-bit field (lengths, ids) set to a value that matters, cut short, bytes
 * added. Returns the new length. */
static size_t mutate(struct rng *r, uint8_t *d, size_t len)
{
    static const uint8_t bytes[] = {0x00, 0x01, 0x02, 0x0f, 0x22, 0x7b, 0x7d, 0x80, 0x81, 0x82,
                                    0xff};
    static const uint16_t words[] = {0, 1, 24, 39, 40, 41, 1200, 1201, 0x0fff, 0xffff};
    for (int k = (int)rng_below(r, 4); k >= 0; k--) {
        size_t at = len ? rng_below(r, (uint32_t)len) : 0;
        switch (rng_below(r, 6)) {
        case 0: if (len) d[at] ^= (uint8_t)(1u << rng_below(r, 8)); break;
        case 1: if (len) d[at] = bytes[rng_below(r, sizeof bytes)]; break;
        case 2:
            if (len > 1) {
                uint16_t w = words[rng_below(r, sizeof words / sizeof words[0])];
                d[at - (at == len - 1)] = (uint8_t)(w >> 8);
                d[at + (at < len - 1)] = (uint8_t)w;
            }
            break;
        case 3: len = rng_below(r, (uint32_t)len + 1); break;
        default:
            for (uint32_t n = rng_below(r, 2) ? rng_below(r, 64) : rng_below(r, 1300);
                 n > 0 && len < FUZZ_MAX; n--)
                d[len++] = (uint8_t)rng_u64(r);
        }
    }
    return len;
}

/* Where the dissector read ENet (the frame's fields f: enet, enet.commands,
 * enet.short, enet.truncated, enet.unknown_command, enet.compressed_data),
 * it read what enet_wire.c reads. Returns 1 if it stopped early. */
static int enet_agrees(const uint8_t *d, size_t len, char **f)
{
    struct enet_wire_header h;
    bool too_short = enet_wire_header(d, len, 0, &h) != 0 || len < h.size;
    assert_int_equal(*f[2] != '\0', too_short);
    if (too_short)
        return 1;
    assert_int_equal(*f[5] != '\0', h.compressed);
    if (h.compressed)
        return 0;
    size_t at = h.size, n = 0;
    struct enet_wire_command c;
    int rc;
    while ((rc = enet_wire_next(d, len, &at, &c)) > 0 && c.data_fits)
        n++;
    assert_int_equal(strtoul(f[1], NULL, 10), n);
    assert_int_equal(*f[3] || *f[4], rc != 0);
    return rc != 0;
}

/* Where it read a plain-UDP state or batch (fields f: ricochet.short,
 * ricochet.too_long, ricochet.bad_value, ricochet.bad_batch), it refused
 * what proto/wire.c refuses. Returns 1 for a state, 2 for a batch. */
static int plain_agrees(const uint8_t *d, size_t len, char **f)
{
    if (proto_is_batch(d, len)) {
        assert_int_equal(*f[3] != '\0', proto_batch_check(d, len) < 0);
        return 2;
    }
    struct proto_state s;
    int rc = proto_state_decode(d, len, &s);
    assert_int_equal(*f[0] != '\0', rc == PROTO_E_SHORT);
    assert_int_equal(*f[1] != '\0', rc == PROTO_E_LONG);
    if (rc != PROTO_E_LONG)
        assert_int_equal(*f[2] != '\0', rc == PROTO_E_VALUE);
    return 1;
}

/* Random bytes on the registered port and on others, and mutations of the
 * samples' datagrams: no Lua error anywhere, and the readings agree. */
static void fuzzed_captures(void **state)
{
    (void)state;
    struct datagrams real = {0}, fuzz = {0};
    sample_payloads(SAMPLES "dissector_enet.pcap", &real);
    sample_payloads(SAMPLES "dissector_modes.pcap", &real);
    struct rng r;
    rng_seed(&r, 37);
    char pcap[128], err[128], src[32], dst[32];
    snprintf(pcap, sizeof pcap, "%s/fuzz.pcap", tshark_dir());
    struct capture *c = capture_open(pcap, err, sizeof err);
    assert_non_null(c);
    uint8_t d[FUZZ_MAX];
    for (size_t i = 0; i < FUZZ_N; i++) {
        size_t len;
        if (i % 4 == 0) {
            len = rng_below(&r, 8) ? rng_below(&r, 64) : rng_below(&r, FUZZ_MAX + 1);
            for (size_t k = 0; k < len; k++)
                d[k] = (uint8_t)rng_u64(&r);
        } else {
            size_t k = rng_below(&r, (uint32_t)real.n);
            memcpy(d, real.d[k], real.len[k]);
            len = mutate(&r, d, real.len[k]);
        }
        datagrams_add(&fuzz, d, len);
        snprintf(src, sizeof src, "127.0.0.1:%u", 40000 + (unsigned)(i % 7));
        snprintf(dst, sizeof dst, "127.0.0.1:%u", i % 8 == 0 ? 20000 + rng_below(&r, 40000) : 7777);
        tshark_put(c, src, dst, d, len);
    }
    assert_int_equal(capture_close(c), 0);

    char *errors = tshark_run(pcap, "-V -Y _ws.lua.error");
    if (*errors)
        fail_msg("Lua errors:\n%.2000s", errors);
    free(errors);
    char *out = tshark_run(pcap, "-T fields -E occurrence=f -e frame.number -e enet -e enet.commands "
                             "-e enet.short -e enet.truncated -e enet.unknown_command "
                             "-e enet.compressed_data -e ricochet -e ricochet.short "
                             "-e ricochet.too_long -e ricochet.bad_value -e ricochet.bad_batch");
    size_t enet = 0, enet_bad = 0, states = 0, batches = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[12];
        assert_int_equal(tshark_split(line, f, 12, '\t'), 12);
        size_t i = strtoul(f[0], NULL, 10) - 1;
        assert_true(i < fuzz.n);
        const uint8_t *g = fuzz.d[i];
        size_t len = fuzz.len[i];
        if (*f[1]) {
            enet++;
            enet_bad += (size_t)enet_agrees(g, len, f + 1);
        } else if (*f[7] && len >= 2 && g[0] == 1 && (g[1] == 1 || g[1] == 2)) {
            int kind = plain_agrees(g, len, f + 8);
            states += kind == 1;
            batches += kind == 2;
        }
    }
    free(out);
    print_message("fuzz: %zu ENet datagrams compared (%zu cut short), %zu states, %zu "
                  "batches\n", enet, enet_bad, states, batches);
    assert_true(enet > 500 && enet_bad > 100 && enet - enet_bad > 100);
    assert_true(states > 50 && batches > 10);
    free(real.d);
    free(real.len);
    free(fuzz.d);
    free(fuzz.len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fuzzed_captures),
    };
    return TSHARK_RUN_TESTS("test_e2e_dissector_fuzz", tests);
}
