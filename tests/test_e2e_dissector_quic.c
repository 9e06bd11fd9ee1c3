/* test_e2e_dissector_quic.c: the Wireshark dissector (proto/wireshark/)
 * on the relay's quic edge, as tshark runs it on a capture of a real
 * session: ricochet-bots over QUIC on loopback (three of the mode mixed:
 * unsequenced and sequenced in DATAGRAM frames, reliable on the control
 * stream; one of the mode streams, on streams of their own), captured by
 * dumpcap, their TLS secrets in a key log. With the log: every state each
 * bot sent is found on its way up, once for each seq it sent, in each of
 * the four ways; every state found on its way down is one a bot sent, and
 * each bot's connection carries at least what it says it received; every
 * DATAGRAM frame is ricochet's; the joins and welcomes name the bots and
 * their ids; nothing is malformed or warned about. Without the log nothing
 * is claimed and nothing breaks. Skips with one line where tshark or a
 * capture on loopback is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/harness.h"
#include "tests/support/tshark.h"

#define RATE "8"
#define DURATION "1"

/* Fails if tshark lists a frame of pcap for filter (with opts). */
static void none_of(const char *pcap, const char *opts, const char *filter, const char *what)
{
    char all[1024];
    snprintf(all, sizeof all, "%s -T fields -e frame.number -Y '%s'", opts, filter);
    char *out = tshark_run(pcap, all);
    if (*out)
        fail_msg("%s: %s: frames %s", pcap, what, out);
    free(out);
}

/* Starts ricochet-bot over QUIC into b: count bots of mode named name-N,
 * on the relay's port, their secrets appended to keylog. */
static void bots_start(struct spawn_proc *b, const char *mode, const char *count,
                       const char *name, uint16_t port, const char *keylog)
{
    char p[8];
    snprintf(p, sizeof p, "%u", port);
    const char *args[] = {"--transport", "quic", "--pin", "", "--keylog", keylog, "--port", p,
                          "--room", "dissect", "--mode", mode, "-P", count, "--name", name,
                          "--rate", RATE, "--duration", DURATION, "--json", NULL};
    assert_int_equal(harness_spawn(b, "ricochet-bot", args), 0);
}

/* Waits for the bots of b to end; their JSON summary (the caller deletes). */
static cJSON *bots_end(struct spawn_proc *b)
{
    int rc = spawn_stop(b, 0, 30000);
    char *out = spawn_read_stdout(b), *err = spawn_read_stderr(b);
    if (rc != 0)
        fail_msg("ricochet-bot exited %d: %s", rc, err ? err : "");
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    free(out);
    free(err);
    spawn_free(b);
    return root;
}

/* What the bots say: "up 0 SEQ" for each state each sent, their ids and
 * names, and how many states they received in all. */
struct ledger {
    struct tshark_list up, ids, names;
    long sent_by[64]; /* by id */
    long received;
};

static void ledger_add(struct ledger *l, const cJSON *root)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(root, "bots")) {
        int id = cJSON_GetObjectItemCaseSensitive(b, "id")->valueint;
        int sent = cJSON_GetObjectItemCaseSensitive(b, "sent")->valueint;
        char item[64];
        assert_true(id > 0 && id < 64 && sent > 0);
        l->sent_by[id] = sent;
        for (int seq = 1; seq <= sent; seq++) {
            snprintf(item, sizeof item, "up 0 %d", seq);
            tshark_list_add(&l->up, item);
        }
        snprintf(item, sizeof item, "%d", id);
        tshark_list_add(&l->ids, item);
        tshark_list_add(&l->names, cJSON_GetObjectItemCaseSensitive(b, "name")->valuestring);
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(b, "from"))
            l->received += cJSON_GetObjectItemCaseSensitive(f, "received")->valueint;
    }
}

static void ledger_free(struct ledger *l)
{
    tshark_list_free(&l->up);
    tshark_list_free(&l->ids);
    tshark_list_free(&l->names);
}

/* Adds s to l unless l holds it already; whether it did. */
static bool add_once(struct tshark_list *l, const char *s)
{
    for (size_t k = 0; k < l->n; k++)
        if (strcmp(l->v[k], s) == 0)
            return false;
    tshark_list_add(l, s);
    return true;
}

/* The states tshark finds, each (connection, sender, seq) once (a
 * retransmitted STREAM frame is read again): up ones as "up 0 SEQ" into
 * up, down ones checked against the ledger and counted; the ways they
 * travelled into ways, each once. */
static void states_found(const char *pcap, const char *opts, uint16_t relay,
                         const struct ledger *l, struct tshark_list *up, long *down,
                         struct tshark_list *ways)
{
    char all[1024];
    snprintf(all, sizeof all, "%s -T fields -E occurrence=a -e udp.dstport "
             "-e quic.connection.number -e ricochet.state.sender -e ricochet.state.seq "
             "-e ricochet.way -Y ricochet.state.seq", opts);
    char *text = tshark_run(pcap, all);
    struct tshark_list seen = {0};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[5], *sender[64], *seq[64], *way[64], item[128];
        assert_int_equal(tshark_split(line, f, 5, '\t'), 5);
        size_t n = tshark_split(f[2], sender, 64, ',');
        assert_int_equal(tshark_split(f[3], seq, 64, ','), n);
        assert_int_equal(tshark_split(f[4], way, 64, ','), n);
        for (size_t i = 0; i < n; i++) {
            snprintf(item, sizeof item, "%s %s %s", f[1], sender[i], seq[i]);
            if (!add_once(&seen, item))
                continue;
            bool is_up = atoi(f[0]) == relay;
            int id = atoi(sender[i]);
            if (is_up) {
                assert_int_equal(id, 0);
                snprintf(item, sizeof item, "up 0 %s", seq[i]);
                tshark_list_add(up, item);
            } else {
                assert_true(id > 0 && id < 64 && atol(seq[i]) <= l->sent_by[id]);
                ++*down;
            }
            add_once(ways, way[i]);
        }
    }
    tshark_list_free(&seen);
    free(text);
}

/* The first value of field in each frame of filter, each value once, into
 * out. */
static void values(const char *pcap, const char *opts, const char *filter, const char *field,
                   struct tshark_list *out)
{
    char all[1024];
    snprintf(all, sizeof all, "%s -T fields -E occurrence=f -e %s -Y '%s'", opts, field,
             filter);
    char *text = tshark_run(pcap, all);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        add_once(out, line);
    free(text);
}

/* The joins name the bots; the welcomes give them their ids (a welcome is
 * the first message a member gets). */
static void controls_read(const char *pcap, const char *opts, struct ledger *l)
{
    struct tshark_list names = {0}, ids = {0};
    values(pcap, opts, "ricochet.control.type == \"join\"", "ricochet.control.name", &names);
    values(pcap, opts, "ricochet.control.type == \"welcome\"", "ricochet.control.id", &ids);
    /* Each once: a STREAM frame sent again reads again. */
    tshark_lists_equal(&names, &l->names, "the joins' names");
    tshark_lists_equal(&ids, &l->ids, "the welcomes' ids");
    tshark_list_free(&names);
    tshark_list_free(&ids);
}

static void quic_read_with_the_key_log(void **state)
{
    (void)state;
    struct spawn_proc relay, cap;
    const char *relay_args[] = {"--listen", "quic://127.0.0.1:0", "--log-level", "warn", NULL};
    assert_true(harness_start_relay(&relay, relay_args) > 0);
    uint16_t port = harness_edge_port(&relay, "quic");
    char pcap[128], keylog[128];
    snprintf(pcap, sizeof pcap, "%s/quic.pcapng", tshark_dir());
    snprintf(keylog, sizeof keylog, "%s/quic.keys", tshark_dir());
    if (!tshark_capture(&cap, port, pcap)) {
        harness_stop(&relay);
        skip();
    }
    struct spawn_proc mixed, own;
    bots_start(&mixed, "mixed", "3", "bot", port, keylog);
    bots_start(&own, "streams", "1", "own", port, keylog);
    cJSON *a = bots_end(&mixed), *b = bots_end(&own);
    clock_sleep_ms(200); /* the last packets into the file */
    spawn_stop(&cap, SIGINT, 5000);
    spawn_free(&cap);
    harness_stop(&relay);
    struct ledger l = {0};
    ledger_add(&l, a);
    ledger_add(&l, b);
    cJSON_Delete(a);
    cJSON_Delete(b);

    char with[320];
    snprintf(with, sizeof with, "-o tls.keylog_file:%s", keylog);
    none_of(pcap, with, TSHARK_RICOCHET_WARNED " || ricochet_quic.bad_channel",
            "malformed or warned about");
    none_of(pcap, with, "quic.dg && !ricochet_quic", "datagrams not read as ricochet's");
    struct tshark_list up = {0}, ways = {0};
    long down = 0;
    states_found(pcap, with, port, &l, &up, &down, &ways);
    print_message("quic: %zu states up, %ld down found; the bots sent %zu, received %ld\n", up.n,
                  down, l.up.n, l.received);
    tshark_lists_equal(&up, &l.up, "states the bots sent");
    assert_true(down >= l.received && l.received > 0);
    static const char *const all_ways[] = {"unsequenced", "sequenced", "reliable", "streams"};
    struct tshark_list want_ways = {0};
    for (size_t i = 0; i < 4; i++)
        tshark_list_add(&want_ways, all_ways[i]);
    tshark_lists_equal(&ways, &want_ways, "the ways states travelled");
    controls_read(pcap, with, &l);
    none_of(pcap, "", "_ws.lua.error || _ws.malformed || ricochet || ricochet_quic",
            "read without the key log");
    tshark_list_free(&up);
    tshark_list_free(&ways);
    tshark_list_free(&want_ways);
    ledger_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quic_read_with_the_key_log),
    };
    return TSHARK_RUN_TESTS("test_e2e_dissector_quic", tests);
}
