/* test_e2e_dissector.c: the Wireshark dissector as tshark runs it: every
 * mode's bench capture read whole, nothing malformed, every state it finds
 * where netsim's drop log says. */
/* The Wireshark dissector (`proto/wireshark/`) as `tshark
 * -X lua_script:` runs it: a bench run of each mode (unsequenced, sequenced,
 * reliable, udp, ENet and plain-UDP batches, sealed over both) through a lossy
 * netsim keeping its capture, read whole with nothing malformed or warned
 * about; the (sender, seq) of every state tshark finds is netsim's drop log
 * (the ledger the bench's audit checks), copy for copy, in what netsim
 * forwarded and what it dropped, by port and by the heuristic alone, each
 * sender's seqs and each sealed lane's counters without a gap; the small
 * captures in `tests/wireshark/` read as their golden text (the browsers'
 * sample, WebSocket and WebRTC members of one room, with its DTLS key log); DNS
 * and QUIC on their ports and others never claimed. Skips with one line without
 * tshark. New samples: `tests/wireshark/dissector_sample.sh`, then
 * `RICOCHET_GOLDEN_UPDATE=1` writes the golden text; the relay's TCP edge
 * through netsim's IP mode, every frame read by the heuristic and the states
 * each way the bench's (a segment TCP sent again, and the one after its gap,
 * left to TCP's analysis and counted); a join with a format-1 ticket named as
 * such (`ricochet.old_ticket`); players' names in Hangul and Vietnamese, raw or
 * escaped, shown as they are, a bidi override's escape kept; a client on
 * a port Wireshark gives another protocol read by port and by heuristic */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/netsim/capture.h"
#include "proto/wire.h"
#include "stats/rng.h"
#include "tests/support/harness.h"
#include "tests/support/tshark.h"

#define SAMPLES "tests/wireshark/"
#define CLIENTS 3

/* Fails if tshark finds, in pcap, a frame for filter (bad: NULL for one
 * that is malformed, raises a Lua error or a warning, or that neither ENet
 * nor ricochet claims). */
static void clean_of(const char *pcap, const char *prefs, const char *bad)
{
    char opts[1024];
    snprintf(opts, sizeof opts, "%s -T fields -e frame.number -Y '%s'", prefs,
             bad ? bad : "_ws.malformed || _ws.lua.error || _ws.expert.severity >= 0x00600000 "
                         "|| !(ricochet || enet)");
    char *out = tshark_run(pcap, opts);
    if (*out)
        fail_msg("%s: frames malformed, warned about or not read: %s", pcap, out);
    free(out);
}

/* Fails if tshark finds, in pcap, a datagram that is malformed, raises a
 * Lua error or a warning, or that neither ENet nor ricochet claims. */
static void clean(const char *pcap, const char *prefs)
{
    clean_of(pcap, prefs, NULL);
}

/* What tshark exports from pcap, one line "dir flow peer A B" per item:
 * (sender, seq) of states or (lane, counter) of sealed messages (fields
 * a and b, one value each per item). dir: up towards relay_port; flow: the
 * client's endpoint; peer: ENet's header peer id ("-" for udp). */
static void export(const char *pcap, const char *prefs, const char *a, const char *b,
                   uint16_t relay_port, struct tshark_list *out)
{
    char opts[512];
    snprintf(opts, sizeof opts, "%s -T fields -E occurrence=a -e ip.src -e udp.srcport "
             "-e ip.dst -e udp.dstport -e enet.peer_id -e %s -e %s", prefs, a, b);
    char *text = tshark_run(pcap, opts);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[7], *va[128], *vb[128], item[160];
        assert_int_equal(tshark_split(line, f, 7, '\t'), 7);
        if (!*f[5])
            continue;
        bool up = atoi(f[3]) == relay_port;
        assert_true(up || atoi(f[1]) == relay_port);
        size_t na = tshark_split(f[5], va, 128, ','), nb = tshark_split(f[6], vb, 128, ',');
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
            snprintf(item, sizeof item, "%s %s:%s %s %s %s", up ? "up" : "down",
                     up ? f[0] : f[2], up ? f[1] : f[3], *f[4] ? f[4] : "-", va[i], vb[i]);
            tshark_list_add(out, item);
        }
    }
    free(text);
}

/* netsim's drop log in the same form: the states forwarded (fwd) or
 * dropped (loss, burst, queue, overflow). */
static void drop_log(const char *path, struct tshark_list *fwd, struct tshark_list *dropped)
{
    char *text = harness_read_text(path);
    assert_non_null(text);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[10], item[160];
        if (line[0] == '#')
            continue;
        assert_int_equal(tshark_split(line, f, 10, ' '), 10);
        snprintf(item, sizeof item, "%s %s %s %s %s", f[2], f[3], f[8], f[4], f[5]);
        if (!strcmp(f[1], "fwd"))
            tshark_list_add(fwd, item);
        else if (strcmp(f[1], "dup") != 0 && strcmp(f[1], "exit") != 0)
            tshark_list_add(dropped, item);
    }
    free(text);
}

/* Every stream in items ("... key N", grouped by all but N and only for
 * lines starting with dir, "" for all) runs from first without a gap
 * (repeats allowed: retransmissions, duplicates). Returns the streams. */
static size_t no_gaps(struct tshark_list *items, const char *dir, unsigned long long first)
{
    tshark_list_sort(items);
    struct tshark_list keyed = {0};
    char buf[200];
    for (size_t i = 0; i < items->n; i++) {
        if (strncmp(items->v[i], dir, strlen(dir)) != 0)
            continue;
        char *last = strrchr(items->v[i], ' ');
        snprintf(buf, sizeof buf, "%.*s %020llu", (int)(last - items->v[i]), items->v[i],
                 strtoull(last + 1, NULL, 10));
        tshark_list_add(&keyed, buf);
    }
    tshark_list_sort(&keyed);
    size_t streams = 0;
    unsigned long long prev = 0;
    for (size_t i = 0; i < keyed.n; i++) {
        size_t klen = strlen(keyed.v[i]) - 21;
        unsigned long long n = strtoull(keyed.v[i] + klen + 1, NULL, 10);
        bool same = i > 0 && strncmp(keyed.v[i], keyed.v[i - 1], klen + 1) == 0;
        if (!same)
            streams++;
        if ((!same && n != first) || (same && n != prev && n != prev + 1))
            fail_msg("a gap before %s (after %llu)", keyed.v[i], same ? prev : first);
        prev = n;
    }
    tshark_list_free(&keyed);
    return streams;
}

/* The relay's port: where the capture's first datagram went (a client's). */
static uint16_t relay_port(const char *pcap)
{
    char *out = tshark_run(pcap, "-c 1 -T fields -e udp.dstport");
    int port = atoi(out);
    free(out);
    assert_in_range(port, 1, 65535);
    return (uint16_t)port;
}

struct mode_run {
    const char *name, *mode, *relay_args;
    bool sealed;
};

/* One bench run through a lossy netsim keeping its capture; returns the
 * parsed JSON result of the run. */
static cJSON *bench_with_capture(const struct mode_run *m, const char *pcap, const char *logs)
{
    char netsim_args[256];
    snprintf(netsim_args, sizeof netsim_args, "--pcap %s", pcap);
    const char *args[32] = {"--clients", "3", "--rate", "30", "--duration", "1",
                            "--warmup", "0.3", "--grace", "1", "--path-loss", "10",
                            "--seed", "5", "--modes", m->mode, "--netsim-args", netsim_args,
                            "--drop-log-dir", logs, "--json-file", "-", "--quiet"};
    size_t n = 23;
    if (m->relay_args) {
        args[n++] = "--relay-args";
        args[n++] = m->relay_args;
    }
    if (m->sealed)
        args[n++] = "--encrypt";
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    int rc = spawn_stop(&p, 0, 120000);
    char *out = spawn_read_stdout(&p);
    if (rc != 0) {
        char *err = spawn_read_stderr(&p);
        fail_msg("%s: ricochet-bench exited %d: %s", m->name, rc, err ? err : "");
    }
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    free(out);
    spawn_free(&p);
    cJSON *r = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(root, "results"), 0);
    cJSON_Delete(root);
    assert_non_null(r);
    return r;
}

/* The audit's verdict on an unsealed run: done, nothing unexplained. */
static void audited(const cJSON *r)
{
    const cJSON *audit = cJSON_GetObjectItemCaseSensitive(r, "audit");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(audit, "done")));
    assert_true(cJSON_GetObjectItemCaseSensitive(audit, "unexplained")->valuedouble == 0);
}

static void unsealed_run(const struct mode_run *m, const char *pcap, const char *dropped,
                         const char *logs, uint16_t port, const char *prefs)
{
    char log[512];
    snprintf(log, sizeof log, "ls %s/drops_*.log", logs);
    FILE *ls = popen(log, "r");
    assert_non_null(ls);
    assert_non_null(fgets(log, sizeof log, ls));
    pclose(ls);
    log[strcspn(log, "\n")] = '\0';
    struct tshark_list want_fwd = {0}, want_drop = {0}, fwd = {0}, drop = {0}, heur = {0};
    drop_log(log, &want_fwd, &want_drop);
    export(pcap, prefs, "ricochet.state.sender", "ricochet.state.seq", port, &fwd);
    export(dropped, prefs, "ricochet.state.sender", "ricochet.state.seq", port, &drop);
    /* the heuristic alone, asked before any dissector of the ports */
    export(pcap, "-o udp.try_heuristic_first:TRUE", "ricochet.state.sender",
           "ricochet.state.seq", port, &heur);
    print_message("%s: %zu states forwarded, %zu dropped\n", m->name, fwd.n, drop.n);
    assert_true(fwd.n > 100 && drop.n > 0);
    tshark_lists_equal(&fwd, &want_fwd, "states netsim forwarded");
    tshark_lists_equal(&drop, &want_drop, "states netsim dropped");
    tshark_lists_equal(&heur, &want_fwd, "states netsim forwarded, found by the heuristic");
    /* the senders' side: each client's seqs, from 1, none missing */
    for (size_t i = 0; i < drop.n; i++)
        tshark_list_add(&fwd, drop.v[i]);
    assert_int_equal(no_gaps(&fwd, "up ", 1), CLIENTS);
    tshark_list_free(&want_fwd);
    tshark_list_free(&want_drop);
    tshark_list_free(&fwd);
    tshark_list_free(&drop);
    tshark_list_free(&heur);
}

static void sealed_run(const struct mode_run *m, const char *pcap, const char *dropped,
                       uint16_t port, const char *prefs)
{
    struct tshark_list sealed = {0}, clear = {0};
    export(pcap, prefs, "ricochet.sealed.lane", "ricochet.sealed.counter", port, &sealed);
    export(dropped, prefs, "ricochet.sealed.lane", "ricochet.sealed.counter", port, &sealed);
    export(pcap, prefs, "ricochet.state.sender", "ricochet.state.seq", port, &clear);
    export(dropped, prefs, "ricochet.state.sender", "ricochet.state.seq", port, &clear);
    export(pcap, prefs, "ricochet.control.salt", "ricochet.control.type", port, &clear);
    print_message("%s: %zu sealed messages, %zu clear\n", m->name, sealed.n, clear.n);
    /* no state in clear, only the salts (again before a repeated welcome) */
    assert_true(clear.n >= 1);
    for (size_t i = 0; i < clear.n; i++)
        assert_non_null(strstr(clear.v[i], " sealed"));
    /* each lane of each flow counts from 0 without a gap: control both
     * ways, states from each client and to each */
    assert_true(no_gaps(&sealed, "", 0) >= 4 * CLIENTS);
    assert_int_equal(no_gaps(&sealed, "up ", 0), 2 * CLIENTS);
    tshark_list_free(&sealed);
    tshark_list_free(&clear);
}

/* A bench run of each mode: its capture read whole and clean, and its
 * states the ledger's. */
static void modes_match_the_ledger(void **state)
{
    (void)state;
    static const struct mode_run runs[] = {
        {"unsequenced", "unsequenced", NULL, false},
        {"sequenced", "sequenced", NULL, false},
        {"reliable", "reliable", NULL, false},
        {"udp", "udp", NULL, false},
        {"batched", "unsequenced", "--tick-ms 30", false},
        {"batched udp", "udp", "--tick-ms 30", false},
        {"sealed", "unsequenced", NULL, true},
        {"sealed udp", "udp", NULL, true},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const struct mode_run *m = &runs[i];
        char pcap[128], dropped[160], logs[128], prefs[64];
        snprintf(pcap, sizeof pcap, "%s/run%zu.pcap", tshark_dir(), i);
        snprintf(dropped, sizeof dropped, "%s.dropped", pcap);
        snprintf(logs, sizeof logs, "%s/logs%zu", tshark_dir(), i);
        assert_int_equal(mkdir(logs, 0700), 0);
        cJSON *r = bench_with_capture(m, pcap, logs);
        uint16_t port = relay_port(pcap);
        snprintf(prefs, sizeof prefs, "-o ricochet.ports:%u", port);
        clean(pcap, prefs);
        clean(dropped, prefs);
        if (m->sealed) {
            sealed_run(m, pcap, dropped, port, prefs);
        } else {
            audited(r);
            unsealed_run(m, pcap, dropped, logs, port, prefs);
        }
        cJSON_Delete(r);
    }
}

/* States tshark finds in pcap over TCP, each direction (up: towards
 * port). */
static void tcp_states(const char *pcap, uint16_t port, size_t *up, size_t *down)
{
    char *text = tshark_run(pcap, "-T fields -E occurrence=a -e tcp.dstport "
                                  "-e ricochet.state.seq");
    *up = *down = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[2], *v[256];
        if (tshark_split(line, f, 2, '\t') != 2 || !*f[1])
            continue;
        size_t n = tshark_split(f[1], v, 256, ',');
        *(atoi(f[0]) == port ? up : down) += n;
    }
    free(text);
}

/* The relay's TCP edge through netsim's IP mode (the bench's namespaces):
 * every frame read, found by the heuristic on each stream's first frame
 * (the relay's port is not a preference), nothing malformed or warned
 * about; the states tshark finds are the bench's, each way: every one the
 * clients sent up, every one delivered down. A segment TCP sent again, and
 * the one after its gap, are the path's doing, not the dissector's:
 * Wireshark hands the first's bytes to no dissector and warns of the gap,
 * so frames TCP's analysis marks are left out (and counted). So are TCP's
 * own warnings: the D-SACK a spurious retransmission draws (a loaded
 * machine holds an ACK past the timer) and the RST of a socket closed with
 * bytes unread at the end.
 * Skips where the bench may make no namespaces. */
static void tcp_edge_frames_read(void **state)
{
    (void)state;
    char pcap[128], netsim_args[160];
    snprintf(pcap, sizeof pcap, "%s/tcp.pcap", tshark_dir());
    snprintf(netsim_args, sizeof netsim_args, "--pcap %s", pcap);
    const char *args[] = {"--netsim-ip", "--clients", "3", "--rate", "30", "--duration", "1",
                          "--warmup", "0.3", "--grace", "1", "--modes", "tcp",
                          "--netsim-args", netsim_args, "--json-file", "-", "--quiet", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    int rc = spawn_stop(&p, 0, 120000);
    char *out = spawn_read_stdout(&p), *err = spawn_read_stderr(&p);
    if (err && strstr(err, "no IP mode here")) {
        print_message("%s", err);
        free(out);
        free(err);
        spawn_free(&p);
        skip();
    }
    if (rc != 0)
        fail_msg("ricochet-bench exited %d: %s", rc, err ? err : "");
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "results"), 0);
    double sent = cJSON_GetObjectItemCaseSensitive(r, "sent")->valuedouble;
    double delivered = cJSON_GetObjectItemCaseSensitive(r, "delivered")->valuedouble;
    char *first = tshark_run(pcap, "-c 1 -T fields -e tcp.dstport");
    uint16_t port = (uint16_t)atoi(first);
    free(first);
    char *bad = tshark_run(pcap, "-T fields -e frame.number -Y '_ws.malformed || _ws.lua.error "
                                 "|| (!tcp.analysis.flags && ((_ws.expert.severity >= 0x00600000 "
                                 "&& !tcp.options.sack.dsack && !tcp.connection.rst) "
                                 "|| (tcp.len > 0 && !ricochet_tcp)))'");
    char *resent = tshark_run(pcap, "-T fields -e frame.number -Y 'tcp.len > 0 && "
                                    "tcp.analysis.flags'");
    size_t resent_frames = 0;
    for (const char *c = resent; *c; c++)
        resent_frames += *c == '\n';
    free(resent);
    print_message("tcp: %zu segments TCP sent again or out of order, left to TCP\n",
                  resent_frames);
    if (*bad) {
        char why[512];
        snprintf(why, sizeof why, "%s: frames malformed, warned about or not read: %s", pcap,
                 bad);
        free(bad);
        fail_msg("%s", why);
    }
    free(bad);
    size_t up, down;
    tcp_states(pcap, port, &up, &down);
    print_message("tcp: %zu states up, %zu down (the bench: %.0f sent, %.0f delivered)\n", up,
                  down, sent, delivered);
    assert_true(up > 0 && (double)up >= sent);  /* the window's, and the warm-up's */
    assert_true((double)down >= delivered);
    assert_true(down >= 2 * up - 2 * 3 * 30);    /* 2 receivers each, give or take a tick */
    cJSON_Delete(root);
    free(out);
    free(err);
    spawn_free(&p);
}

/* The browsers' and QUIC's samples: their secrets, and only ricochet's
 * frames but pings and pongs in the golden text. */
#define BROWSERS_OPTS "-o tls.keylog_file:" SAMPLES "dissector_browsers.keys"
#define QUIC_OPTS "-o tls.keylog_file:" SAMPLES "dissector_quic.keys"
#define BROWSERS_FRAMES                                                                       \
    " -Y 'ricochet && !(ricochet.control.type == \"ping\" || "                                  \
    "ricochet.control.type == \"pong\")'"

/* The committed samples read as their golden text, byte for byte
 * (RICOCHET_GOLDEN_UPDATE=1 writes it instead, after
 * tests/wireshark/dissector_sample.sh made new samples). The browsers'
 * sample holds TCP, STUN and DTLS as well: clean is what the dissector
 * warns of, every WebSocket message and every binary data channel message
 * read as ricochet's; the QUIC sample's, every DATAGRAM frame. */
static void samples_read_as_golden(void **state)
{
    (void)state;
    static const char *const samples[][4] = {
        {"dissector_enet.pcap", "dissector_enet.txt", "", NULL},
        {"dissector_enet.pcap.dropped", "dissector_enet_dropped.txt", "", NULL},
        {"dissector_modes.pcap", "dissector_modes.txt", "", NULL},
        {"dissector_browsers.pcapng", "dissector_browsers.txt", BROWSERS_OPTS,
         TSHARK_RICOCHET_WARNED " || (websocket.opcode == 2 && !ricochet_ws) || "
         "(sctp.data_payload_proto_id == 53 && !ricochet_rtc)"},
        {"dissector_quic.pcapng", "dissector_quic.txt", QUIC_OPTS,
         TSHARK_RICOCHET_WARNED " || ricochet_quic.bad_channel || (quic.dg && !ricochet_quic)"},
    };
    bool update = getenv("RICOCHET_GOLDEN_UPDATE") != NULL;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char pcap[128], golden[128], actual[128], cmd[512], opts[512];
        snprintf(pcap, sizeof pcap, SAMPLES "%s", samples[i][0]);
        snprintf(golden, sizeof golden, SAMPLES "%s", samples[i][1]);
        snprintf(actual, sizeof actual, "%s/%s", tshark_dir(), samples[i][1]);
        clean_of(pcap, samples[i][2], samples[i][3]);
        snprintf(opts, sizeof opts, "%s%s -P -V -O enet,ricochet,ricochet_quic", samples[i][2],
                 samples[i][3] ? BROWSERS_FRAMES : "");
        char *out = tshark_run(pcap, opts);
        FILE *f = fopen(update ? golden : actual, "w");
        assert_non_null(f);
        fputs(out, f);
        fclose(f);
        char *want = harness_read_text(golden);
        assert_non_null(want);
        if (strcmp(out, want) != 0) {
            snprintf(cmd, sizeof cmd, "diff -u %s %s | head -40 >&2", golden, actual);
            if (system(cmd) < 0)
                print_error("diff failed\n");
            fail_msg("%s does not read as %s (diff above)", pcap, golden);
        }
        free(want);
        free(out);
    }
}

/* The frame numbers tshark lists for filter in pcap (its options in
 * prefs), one line. */
static char *frames(const char *pcap, const char *prefs, const char *filter)
{
    char opts[512];
    snprintf(opts, sizeof opts, "%s -Y '%s' -T fields -e frame.number", prefs, filter);
    char *out = tshark_run(pcap, opts);
    for (char *c = out; *c; c++)
        if (*c == '\n')
            *c = ' ';
    return out;
}

/* A join whose ticket's pass is of format 1 (protocol 2's) is read and
 * named as such (expert info ricochet.old_ticket), without a Lua error. */
static void an_old_ticket_is_named(void **state)
{
    (void)state;
    uint8_t pass[64] = {1}; /* format 1, the rest any bytes */
    for (size_t i = 1; i < sizeof pass; i++)
        pass[i] = (uint8_t)(i * 37);
    char text[96], join[256];
    sodium_bin2base64(text, sizeof text, pass, sizeof pass,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int len = snprintf(join, sizeof join,
                       "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\",\"mode\":\"udp\"}",
                       text);
    char pcap[128], err[128];
    snprintf(pcap, sizeof pcap, "%s/old_ticket.pcap", tshark_dir());
    struct capture *c = capture_open(pcap, err, sizeof err);
    assert_non_null(c);
    tshark_put(c, "127.0.0.1:40004", "127.0.0.1:7777", (const uint8_t *)join, (size_t)len);
    assert_int_equal(capture_close(c), 0);
    char *named = frames(pcap, "", "ricochet.old_ticket");
    assert_string_equal(named, "1 ");
    free(named);
    char *bad = frames(pcap, "", "_ws.lua.error || _ws.malformed");
    assert_string_equal(bad, "");
    free(bad);
}

/* Players' names in their own scripts show as they are, raw UTF-8 or
 * JSON's \u escapes (a surrogate pair too); an escape that would turn the
 * line round (a bidi override) or a control stays an escape. */
static void names_show_in_their_scripts(void **state)
{
    (void)state;
    static const char *const joins[] = {
        "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"민수\"}",
        "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"Nguy\\u1ec5n\"}",
        "{\"type\":\"joined\",\"id\":2,\"name\":\"\\ud83d\\ude00 \\ubbfc\\uc218\"}",
        "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"\\u202eevil\\u001b\"}",
    };
    char pcap[128], err[128];
    snprintf(pcap, sizeof pcap, "%s/names.pcap", tshark_dir());
    struct capture *c = capture_open(pcap, err, sizeof err);
    assert_non_null(c);
    for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++)
        tshark_put(c, "127.0.0.1:40004", "127.0.0.1:7777", (const uint8_t *)joins[i],
                   strlen(joins[i]));
    assert_int_equal(capture_close(c), 0);
    char *names = tshark_run(pcap, "-T fields -e ricochet.control.name");
    assert_string_equal(names, "민수\nNguyễn\n😀 민수\n\\u202eevil\\u001b\n");
    free(names);
}

/* A game's own bytes: events (type 3) to the room and to one member, as a
 * client sends them and as the relay stamps them, one on a port of no
 * preference (the heuristic), one with a body over 4096 bytes (the relay
 * refuses it, too_big: expert info ricochet.too_long); a state with a
 * payload after its 40 bytes. */
static void events_and_payloads_read(void **state)
{
    (void)state;
    uint8_t room[32], one[32], big[PROTO_EVENT_MAX + 1], st[PROTO_STATE_SIZE + 5];
    static const uint8_t body_big[PROTO_EVENT_BODY_MAX + 1] = {0};
    int room_len = proto_event_encode(room, sizeof room, PROTO_EVENT_ROOM, "hi", 2);
    int one_len = proto_event_encode(one, sizeof one, 7, "tg", 2);
    assert_true(room_len == 14 && one_len == 14);
    proto_state_stamp_sender(one, 3); /* PROTOCOL.md's example, as a receiver gets it */
    assert_memory_equal(one, "\x01\x03\x00\x00\x00\x00\x00\x03\x00\x00\x00\x07tg", 14);
    memcpy(big, one, PROTO_EVENT_HEAD); /* the encoder refuses a body this long */
    memcpy(big + PROTO_EVENT_HEAD, body_big, sizeof body_big);
    struct proto_state s = {.sender = 2, .seq = 9, .send_us = 5000000, .x = 12.5f};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    memcpy(st + PROTO_STATE_SIZE, "hello", 5);

    char pcap[128], err[128];
    snprintf(pcap, sizeof pcap, "%s/events.pcap", tshark_dir());
    struct capture *c = capture_open(pcap, err, sizeof err);
    assert_non_null(c);
    tshark_put(c, "127.0.0.1:40005", "127.0.0.1:7777", room, (size_t)room_len);
    tshark_put(c, "127.0.0.1:7777", "127.0.0.1:40005", one, (size_t)one_len);
    tshark_put(c, "127.0.0.1:40006", "127.0.0.1:45001", room, (size_t)room_len); /* heuristic */
    tshark_put(c, "127.0.0.1:40005", "127.0.0.1:7777", big, sizeof big);
    tshark_put(c, "127.0.0.1:7777", "127.0.0.1:40005", st, sizeof st);
    assert_int_equal(capture_close(c), 0);

    char *out = tshark_run(pcap, "-T fields -E separator=, -e frame.number -e ricochet.type "
                                 "-e ricochet.event.sender -e ricochet.event.to "
                                 "-e ricochet.event.body -e ricochet.state.payload");
    static const char want[] = "1,3,0,0,6869,\n"
                               "2,3,3,7,7467,\n"
                               "3,3,0,0,6869,\n"
                               "4,3,3,7,",
                      payload[] = "5,1,,,,68656c6c6f\n";
    if (strncmp(out, want, strlen(want)) != 0 || !strstr(out, payload))
        fail_msg("tshark read:\n%s", out);
    free(out);
    char *warned = frames(pcap, "", TSHARK_RICOCHET_WARNED);
    assert_string_equal(warned, "4 ");
    free(warned);
    char *too_long = frames(pcap, "", "ricochet.too_long");
    assert_string_equal(too_long, "4 ");
    free(too_long);
    out = tshark_run(pcap, "-Y 'frame.number <= 2' -T fields -e _ws.col.Info");
    if (!strstr(out, "event to the room, 2 bytes") || !strstr(out, "event #3 to 7, 2 bytes"))
        fail_msg("Info column:\n%s", out);
    free(out);
}

/* DNS and QUIC, on their ports and on others, are never claimed, even with
 * the heuristic asked first; a ricochet state on an unknown port is. */
static void dns_and_quic_left_alone(void **state)
{
    (void)state;
    static const uint8_t question[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
                                       0, 0, 1, 0, 1};
    uint8_t query[64] = {0x1a, 0x2b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(query + 12, question, sizeof question);
    size_t qlen = 12 + sizeof question;
    uint8_t plain_query[64]; /* id 0x0101, no flags: starts as a state does */
    memcpy(plain_query, query, qlen);
    memcpy(plain_query, "\x01\x01\x00\x00", 4);
    uint8_t answer[80] = {0x8a, 0x2b, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0};
    memcpy(answer + 12, question, sizeof question);
    static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34};
    memcpy(answer + qlen, rr, sizeof rr);
    uint8_t initial[1200], shorthdr[60];
    struct rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < sizeof initial; i++)
        initial[i] = (uint8_t)rng_u64(&r);
    memcpy(initial, "\xc3\x00\x00\x00\x01\x08", 6); /* Initial, QUIC v1, 8-byte ids */
    initial[14] = 8;
    memcpy(initial + 23, "\x00\x44\x9e", 3); /* no token, length 1182 */
    for (size_t i = 0; i < sizeof shorthdr; i++)
        shorthdr[i] = (uint8_t)rng_u64(&r);
    shorthdr[0] = 0x43; /* short header, fixed bit */
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = 2, .seq = 9, .send_us = 5000000, .x = 12.5f};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);

    char pcap[128];
    snprintf(pcap, sizeof pcap, "%s/dns_quic.pcap", tshark_dir());
    char err[128];
    struct capture *c = capture_open(pcap, err, sizeof err);
    assert_non_null(c);
    static const char *const dns_ports[] = {"53", "45353"}, *const quic_ports[] = {"443", "44433"};
    for (int i = 0; i < 2; i++) {
        char server[32];
        snprintf(server, sizeof server, "127.0.0.1:%s", dns_ports[i]);
        tshark_put(c, "127.0.0.1:40001", server, query, qlen);
        tshark_put(c, "127.0.0.1:40001", server, plain_query, qlen);
        tshark_put(c, server, "127.0.0.1:40001", answer, qlen + sizeof rr);
        snprintf(server, sizeof server, "127.0.0.1:%s", quic_ports[i]);
        tshark_put(c, "127.0.0.1:40002", server, initial, sizeof initial);
        tshark_put(c, "127.0.0.1:40002", server, shorthdr, sizeof shorthdr);
    }
    tshark_put(c, "127.0.0.1:40003", "127.0.0.1:45000", st, sizeof st); /* frame 11 */
    assert_int_equal(capture_close(c), 0);

    char *dns = frames(pcap, "", "dns"); /* the same on 45353 too, by DNS's own heuristic */
    assert_true(strncmp(dns, "1 2 3 ", 6) == 0);
    free(dns);
    for (int first = 0; first < 2; first++) {
        char *ours = frames(pcap, first ? "-o udp.try_heuristic_first:TRUE" : "",
                            "ricochet || enet");
        assert_string_equal(ours, "11 ");
        free(ours);
    }
}

/* A client may get any port of the machine's ephemeral range, some of which
 * Wireshark gives other protocols by number (PROFINET's 34962, TZSP's
 * 37008), and Wireshark tries the lower of a datagram's two ports first:
 * such a client's states, by port or by heuristic, read as ricochet's only
 * with those protocols off, as tshark_run has them. */
static void a_client_on_a_taken_port_is_read(void **state)
{
    (void)state;
    struct tshark_list taken = {0};
    tshark_taken_ports(&taken);
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = 2, .seq = 9, .send_us = 5000000, .x = 12.5f};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    char pcap[128], err[128], client[32], want[4096] = "";
    snprintf(pcap, sizeof pcap, "%s/taken.pcap", tshark_dir());
    struct capture *c = capture_open(pcap, err, sizeof err);
    assert_non_null(c);
    size_t n = 0;
    for (size_t i = 0; i < taken.n; i++) {
        if (strncmp(taken.v[i], "udp ", 4) != 0)
            continue;
        snprintf(client, sizeof client, "127.0.0.1:%d", atoi(taken.v[i] + 4));
        tshark_put(c, client, "127.0.0.1:61000", st, sizeof st); /* the relay's port above */
        snprintf(want + strlen(want), sizeof want - strlen(want), "%zu ", ++n);
    }
    assert_int_equal(capture_close(c), 0);
    print_message("%zu client ports this Wireshark gives other protocols\n", n);
    for (int by_port = 0; by_port < 2; by_port++) {
        char *ours = frames(pcap, by_port ? "-o ricochet.ports:61000" : "", "ricochet");
        assert_string_equal(ours, want);
        free(ours);
    }
    tshark_list_free(&taken);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(samples_read_as_golden),
        cmocka_unit_test(dns_and_quic_left_alone),
        cmocka_unit_test(a_client_on_a_taken_port_is_read),
        cmocka_unit_test(an_old_ticket_is_named),
        cmocka_unit_test(names_show_in_their_scripts),
        cmocka_unit_test(events_and_payloads_read),
        cmocka_unit_test(modes_match_the_ledger),
        cmocka_unit_test(tcp_edge_frames_read),
    };
    return TSHARK_RUN_TESTS("test_e2e_dissector", tests);
}
