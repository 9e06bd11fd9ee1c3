/* test_fuzz_smoke.c: every fuzz target over its kept corpus plus a seeded
 * mutation run, the same inputs every time. */
/* Every fuzz target (`tests/fuzz/`: state decoder, control
 * decoder, relay core, netsim core, client receive path, datagram state scan
 * (and IP packets), tickets and sealed messages, the WebRTC edge's readers:
 * STUN, SDP offers, DCEP opens, and a host's input from a checked address never
 * answered with more bytes than it got; the WebSocket edge's HTTP request
 * heads, their routes and answers; netsim's IP packets, TCP streams cut anyhow,
 * DTLS records and QUIC packets; the relay's ENet guards; its WebSocket edge's
 * frames; what the QUIC edge and libricochet's QUIC transport read themselves:
 * a stream's frames read in any cut, a datagram's channel byte, a stream's
 * chunks acknowledged in any cut, and the edge's router answering a stranger
 * with no state and never with more bytes than it has; WebTransport's HTTP/3:
 * frames in any cut, SETTINGS, a CONNECT's header block through nghttp3's QPACK
 * and its answer, an answer's status as libricochet reads it, a datagram's
 * quarter stream ID; the QUIC edge past a real handshake: its streams',
 * WebTransport's and datagrams' bytes into the core, what it queues back read
 * as a client reads it; libricochet's QUIC transport past a real handshake:
 * what it queues of its streams, the CONNECT's answer, WebTransport's preambles
 * and datagrams; the local HTTP servers' Host check and `PUT /model` bodies,
 * netsim's and the lesson's; the key log as it grows; netsim's drop log as the
 * audit reads it; the wire a flow speaks and the states it shows first; the
 * HTTP polling edge's queries and frames, and its requests on two keep-alive
 * connections, cut and pipelined, naming the sessions they opened; a room's
 * record as a relay reads it back; room scripts, a script using every hook
 * and call of its room driven by arbitrary joins, events, states and time)
 * over its kept corpus plus a seeded mutation run, the same inputs every time
 * ([Fuzzing](../testing.md#fuzzing)) */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/rng.h"
#include "tests/fuzz/targets.h"

#include "tests/fuzz/target_client.c"
#include "tests/fuzz/target_control.c"
#include "tests/fuzz/target_netsim.c"
#include "tests/fuzz/target_relay.c"
#include "tests/fuzz/target_state.c"
#include "tests/fuzz/target_statescan.c"
#include "tests/fuzz/target_ticket.c"
#include "tests/fuzz/target_webrtc.c"
#include "tests/fuzz/target_http.c"
#include "tests/fuzz/target_quic.c"
#include "tests/fuzz/target_h3.c"
#include "tests/fuzz/target_ippacket.c"
#include "tests/fuzz/target_tcpstream.c"
#include "tests/fuzz/target_enetguard.c"
#include "tests/fuzz/target_dtlsview.c"
#include "tests/fuzz/target_quicview.c"
#include "tests/fuzz/target_wsframes.c"
#include "tests/fuzz/target_quicedge.c"
#include "tests/fuzz/target_localhttp.c"
#include "tests/fuzz/target_keylog.c"
#include "tests/fuzz/target_droplog.c"
#include "tests/fuzz/target_flowscan.c"
#include "tests/fuzz/target_quicclient.c"
#include "tests/fuzz/target_pollwire.c"
#include "tests/fuzz/target_poll.c"
#include "tests/fuzz/target_sourcekey.c"
#include "tests/fuzz/target_roomrecord.c"
#include "tests/fuzz/target_script.c"

#define SMOKE_MAX_INPUT 70000 /* above PROTO_CONTROL_MAX, to hit the length check */

struct smoke_target {
    const char *name;   /* corpus folder name */
    int (*fn)(const uint8_t *data, size_t size);
    size_t max_len;     /* mutated inputs are cut to this */
    int text;           /* mutate with JSON tokens too */
    long iters;         /* default mutated inputs (a few seconds under ASan) */
};

static const struct smoke_target smoke_targets[] = {
    { "state", fuzz_target_state, 1400, 0, 200000 },
    { "control", fuzz_target_control, 8192, 1, 30000 },
    { "relay", fuzz_target_relay, 4096, 1, 20000 },
    { "netsim", fuzz_target_netsim, 4096, 0, 8000 },
    { "client", fuzz_target_client, 4096, 1, 20000 },
    { "statescan", fuzz_target_statescan, 1500, 0, 50000 },
    { "ticket", fuzz_target_ticket, 1024, 0, 20000 },
    { "webrtc", fuzz_target_webrtc, 1500, 1, 20000 },
    { "http", fuzz_target_http, 9000, 0, 20000 },
    { "quic", fuzz_target_quic, 1500, 0, 20000 },
    { "h3", fuzz_target_h3, 5000, 0, 20000 },
    { "ippacket", fuzz_target_ippacket, 1500, 0, 50000 },
    { "tcpstream", fuzz_target_tcpstream, 8192, 0, 20000 },
    { "enetguard", fuzz_target_enetguard, 1500, 0, 50000 },
    { "dtlsview", fuzz_target_dtlsview, 2048, 0, 20000 },
    { "quicview", fuzz_target_quicview, 2048, 0, 20000 },
    { "wsframes", fuzz_target_wsframes, 8192, 0, 2000 },
    { "quicedge", fuzz_target_quicedge, 4096, 0, 5000 },
    { "localhttp", fuzz_target_localhttp, 4096, 1, 20000 },
    { "keylog", fuzz_target_keylog, 4096, 0, 3000 },
    { "droplog", fuzz_target_droplog, 8192, 0, 3000 },
    { "flowscan", fuzz_target_flowscan, 8192, 0, 10000 },
    { "quicclient", fuzz_target_quicclient, 4096, 0, 10000 },
    { "pollwire", fuzz_target_pollwire, 4096, 0, 50000 },
    { "poll", fuzz_target_poll, 8192, 0, 2000 },
    { "sourcekey", fuzz_target_sourcekey, 128, 0, 50000 },
    { "roomrecord", fuzz_target_roomrecord, 40960, 1, 5000 },
    { "script", fuzz_target_script, 4096, 0, 3000 },
};

struct smoke_seed {
    uint8_t *data;
    size_t len;
};

/* What is running now, for the crash report. */
static const char *smoke_current_target = "";
static const uint8_t *smoke_current_data;
static size_t smoke_current_len;

static void smoke_dump_current(void)
{
    char path[128];
    snprintf(path, sizeof path, "/tmp/ricochet-fuzz-smoke-%s.bin", smoke_current_target);
    fprintf(stderr, "fuzz smoke: crashing input for target %s (%zu bytes), saved to %s:\n",
            smoke_current_target, smoke_current_len, path);
    for (size_t i = 0; smoke_current_data && i < smoke_current_len && i < 2048; i++)
        fprintf(stderr, "%02x%s", smoke_current_data[i], i % 32 == 31 ? "\n" : "");
    fprintf(stderr, "\n");
    FILE *f = fopen(path, "wb");
    if (f) {
        if (smoke_current_len)
            fwrite(smoke_current_data, 1, smoke_current_len, f);
        fclose(f);
    }
}

static void smoke_on_abort(int sig)
{
    (void)sig;
    smoke_dump_current();
    signal(SIGABRT, SIG_DFL);
    abort();
}

/* Sanitizer reports end in _exit, not abort: hook them when present. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static const char *smoke_corpus_root(char *buf, size_t cap)
{
    const char *env = getenv("RICOCHET_FUZZ_CORPUS");
    if (env && *env)
        return env;
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int dir_len = slash ? (int)(slash - file) : 1;
    snprintf(buf, cap, "%.*s/fuzz/corpus", dir_len, slash ? file : ".");
    return buf;
}

/* Every file of the target's corpus, each in a buffer of its length
 * (cut to SMOKE_MAX_INPUT); *n_out files. The caller frees them. */
static struct smoke_seed *smoke_load_seeds(const char *target, size_t *n_out)
{
    char root[512], dir[700];
    snprintf(dir, sizeof dir, "%s/%s", smoke_corpus_root(root, sizeof root), target);
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz smoke: cannot open corpus %s\n", dir);
        return NULL;
    }
    size_t n = 0, cap = 0;
    struct smoke_seed *seeds = NULL;
    uint8_t *buf = malloc(SMOKE_MAX_INPUT);
    assert_non_null(buf);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t len = fread(buf, 1, SMOKE_MAX_INPUT, f);
        fclose(f);
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            seeds = realloc(seeds, cap * sizeof *seeds);
            assert_non_null(seeds);
        }
        seeds[n].data = malloc(len ? len : 1);
        assert_non_null(seeds[n].data);
        memcpy(seeds[n].data, buf, len);
        seeds[n].len = len;
        n++;
    }
    closedir(d);
    free(buf);
    *n_out = n;
    return seeds;
}

/* Runs fn on an exact-size heap copy, so a read past the end is an ASan
 * error (the fuzzers get the same guarantee from libFuzzer). */
static void smoke_run_one(const struct smoke_target *t, const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, data, len);
    smoke_current_data = copy;
    smoke_current_len = len;
    t->fn(copy, len);
    smoke_current_data = NULL;
    free(copy);
}

static const char *const smoke_json_tokens[] = {
    "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true",
    "false", "0", "-1", "1e999", "-0", "4294967296", "9007199254740993", "1.5",
    "\"type\"", "\"join\"", "\"welcome\"", "\"joined\"", "\"left\"", "\"error\"",
    "\"chat\"", "\"leave\"", "\"ping\"", "\"pong\"", "\"room\"", "\"name\"",
    "\"mode\"", "\"reliable\"", "\"udp\"", "\"reflect\"", "\"roster\"", "\"state\"",
    "\"id\"", "\"reason\"", "\"kicked\"", "\"code\"", "\"message\"", "\"text\"",
    "\"t\"", "\"seq\"", "\"x\"", "\"heading\"", "\"\"", "\xff", "\xc3\xa9",
};

/* One mutation of buf (len in/out, capacity cap), libFuzzer style. */
static void smoke_mutate_once(struct rng *r, uint8_t *buf, size_t *len, size_t cap,
                              const struct smoke_seed *seeds, size_t n_seeds, int text)
{
    size_t n = *len;
    uint32_t op = rng_below(r, text ? 9 : 8);
    switch (op) {
    case 0: /* flip a bit */
        if (n)
            buf[rng_below(r, (uint32_t)n)] ^= (uint8_t)(1u << rng_below(r, 8));
        break;
    case 1: /* random byte */
        if (n)
            buf[rng_below(r, (uint32_t)n)] = (uint8_t)rng_u64(r);
        break;
    case 2: { /* interesting byte */
        static const uint8_t v[] = { 0, 1, 2, 0x7f, 0x80, 0xff, '{', '"', '0' };
        if (n)
            buf[rng_below(r, (uint32_t)n)] = v[rng_below(r, sizeof v)];
        break;
    }
    case 3: { /* insert random bytes */
        size_t k = 1 + rng_below(r, 8), at = rng_below(r, (uint32_t)n + 1);
        if (n + k > cap)
            break;
        memmove(buf + at + k, buf + at, n - at);
        for (size_t i = 0; i < k; i++)
            buf[at + i] = (uint8_t)rng_u64(r);
        *len = n + k;
        break;
    }
    case 4: { /* delete a range */
        if (!n)
            break;
        size_t at = rng_below(r, (uint32_t)n);
        size_t k = 1 + rng_below(r, (uint32_t)(n - at < 16 ? n - at : 16));
        memmove(buf + at, buf + at + k, n - at - k);
        *len = n - k;
        break;
    }
    case 5: /* truncate */
        *len = n ? rng_below(r, (uint32_t)n + 1) : 0;
        break;
    case 6: { /* overwrite with 2/4/8 random big-endian-ish bytes (a field) */
        size_t k = (size_t)2 << rng_below(r, 3);
        if (n < k)
            break;
        size_t at = rng_below(r, (uint32_t)(n - k + 1));
        uint64_t v = rng_below(r, 4) == 0 ? ~(uint64_t)0 : rng_u64(r);
        for (size_t i = 0; i < k; i++)
            buf[at + i] = (uint8_t)(v >> (8 * i));
        break;
    }
    case 7: { /* splice: a chunk of another seed */
        const struct smoke_seed *s = &seeds[rng_below(r, (uint32_t)n_seeds)];
        if (!s->len)
            break;
        size_t from = rng_below(r, (uint32_t)s->len);
        size_t k = 1 + rng_below(r, (uint32_t)(s->len - from));
        size_t at = rng_below(r, (uint32_t)n + 1);
        if (n + k > cap)
            break;
        memmove(buf + at + k, buf + at, n - at);
        memcpy(buf + at, s->data + from, k);
        *len = n + k;
        break;
    }
    case 8: { /* a JSON token */
        const char *tok = smoke_json_tokens[rng_below(
            r, sizeof smoke_json_tokens / sizeof smoke_json_tokens[0])];
        size_t k = strlen(tok), at = rng_below(r, (uint32_t)n + 1);
        if (n + k > cap)
            break;
        memmove(buf + at + k, buf + at, n - at);
        memcpy(buf + at, tok, k);
        *len = n + k;
        break;
    }
    }
}

static void smoke_run_target(const struct smoke_target *t)
{
    size_t n_seeds;
    struct smoke_seed *seeds = smoke_load_seeds(t->name, &n_seeds);
    const char *env_seed = getenv("RICOCHET_FUZZ_SEED");
    const char *env_iters = getenv("RICOCHET_FUZZ_ITERS");
    uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 1;
    long iters = t->iters;
    if (env_iters && strtol(env_iters, NULL, 0) < iters) /* a cap: the slow targets keep theirs */
        iters = strtol(env_iters, NULL, 0);

    /* A missing corpus would make the run meaningless: fail. */
    assert_true(n_seeds >= 4);
    smoke_current_target = t->name;

    for (size_t i = 0; i < n_seeds; i++)
        smoke_run_one(t, seeds[i].data, seeds[i].len < t->max_len ? seeds[i].len : t->max_len);

    struct rng r;
    rng_seed(&r, seed);
    uint8_t *buf = malloc(t->max_len);
    assert_non_null(buf);
    for (long it = 0; it < iters; it++) {
        const struct smoke_seed *s = &seeds[rng_below(&r, (uint32_t)n_seeds)];
        size_t len = s->len < t->max_len ? s->len : t->max_len;
        memcpy(buf, s->data, len);
        uint32_t rounds = 1 + rng_below(&r, 4);
        for (uint32_t k = 0; k < rounds; k++)
            smoke_mutate_once(&r, buf, &len, t->max_len, seeds, n_seeds, t->text);
        smoke_run_one(t, buf, len);
    }
    free(buf);
    if (t->fn == fuzz_target_relay) {
        /* The corpus must drive the core through its real paths. */
        print_message("fuzz smoke relay: %lu welcomes, %lu state sends, %lu errors, "
                      "%lu kicks\n", fuzz_relay_reached.welcomes, fuzz_relay_reached.states,
                      fuzz_relay_reached.errors, fuzz_relay_reached.kicks);
        assert_true(fuzz_relay_reached.welcomes > 0 && fuzz_relay_reached.states > 0);
        assert_true(fuzz_relay_reached.errors > 0 && fuzz_relay_reached.kicks > 0);
    }
    if (t->fn == fuzz_target_script) {
        const struct fuzz_script_reach *sr = &fuzz_script_reached;
        print_message("fuzz smoke script: %lu calls, %lu events from rooms, %lu changed, "
                      "%lu dropped, %lu refused, %lu stops\n", sr->calls, sr->room_events,
                      sr->changed, sr->dropped, sr->refused, sr->stops);
        assert_true(sr->calls > 0 && sr->room_events > 0 && sr->changed > 0);
        assert_true(sr->dropped > 0 && sr->refused > 0 && sr->stops > 0);
    }
    if (t->fn == fuzz_target_client) {
        const struct fuzz_client_reach *cr = &fuzz_client_reached;
        print_message("fuzz smoke client: %lu welcomes, %lu states, %lu joined, %lu left, "
                      "%lu chats, %lu errors, %lu disconnects, %lu departed drops, "
                      "%lu full, %lu rejoins, %lu expiries\n",
                      cr->welcomes, cr->states, cr->joined, cr->left, cr->chats, cr->errors,
                      cr->disconnects, cr->departed_drops, cr->table_full, cr->rejoins,
                      cr->expiries);
        assert_true(cr->welcomes > 0 && cr->states > 0 && cr->joined > 0 && cr->left > 0);
        assert_true(cr->chats > 0 && cr->errors > 0 && cr->disconnects > 0 &&
                    cr->departed_drops > 0 && cr->table_full > 0);
        assert_true(cr->rejoins > 0 && cr->expiries > 0);
    }
    if (t->fn == fuzz_target_quicedge) {
        /* The corpus must take the edge past the handshake into the core
         * and back: members of both ALPNs, what each way carries. */
        const struct fuzz_quicedge_reach *q = &fuzz_quicedge_reached;
        print_message("fuzz smoke quicedge: %lu peers, %lu welcomes, %lu states in datagrams, "
                      "%lu on senders' streams, %lu sessions, %lu closes\n", q->peers,
                      q->welcomes, q->dgram_states, q->stream_states, q->sessions, q->closes);
        assert_true(q->peers > 0 && q->welcomes > 0 && q->dgram_states > 0);
        assert_true(q->stream_states > 0 && q->sessions > 0 && q->closes > 0);
    }
    if (t->fn == fuzz_target_quicclient) {
        /* The corpus must reach every way a message comes, and a session. */
        const struct fuzz_quicclient_reach *q = &fuzz_quicclient_reached;
        print_message("fuzz smoke quicclient: %lu messages from the control stream, %lu from "
                      "senders' streams, %lu from datagrams, %lu sessions, %lu events\n",
                      q->control, q->senders, q->datagrams, q->sessions, q->events);
        assert_true(q->control > 0 && q->senders > 0 && q->datagrams > 0);
        assert_true(q->sessions > 0 && q->events > 0);
    }
    print_message("fuzz smoke %s: %zu seeds + %ld mutated inputs (seed %llu)\n", t->name,
                  n_seeds, iters, (unsigned long long)seed);
    for (size_t i = 0; i < n_seeds; i++)
        free(seeds[i].data);
    free(seeds);
}

static void test_fuzz_target(void **state)
{
    smoke_run_target(*state);
}

int main(void)
{
    signal(SIGABRT, smoke_on_abort);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(smoke_dump_current);
    struct CMUnitTest tests[sizeof smoke_targets / sizeof smoke_targets[0]];
    for (size_t i = 0; i < sizeof smoke_targets / sizeof smoke_targets[0]; i++) {
        struct CMUnitTest t = { smoke_targets[i].name, test_fuzz_target, NULL, NULL,
                                (void *)&smoke_targets[i] };
        tests[i] = t;
    }
    return cmocka_run_group_tests_name("fuzz_smoke", tests, NULL, NULL);
}
