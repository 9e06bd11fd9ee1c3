/* test_e2e_dissector_browser.c: the Wireshark dissector (proto/wireshark/)
 * on the browsers' two transports, as tshark runs it on captures of real
 * sessions. The relay's WebSocket edge through netsim's IP mode at 10%
 * loss (ricochet-bench --modes ws --netsim-ip): HTTP reads the upgrade,
 * every WebSocket message after it is ricochet's, nothing malformed, no
 * Lua error, and the (sender, seq) of every state tshark finds is
 * netsim's drop log of the stream, copy for copy, each way: with the edge's
 * port as the preference, and by the heuristics alone. The relay's webrtc
 * edge with two python3-aiortc clients on loopback, captured by dumpcap,
 * their DTLS secrets in a key log: with the log, every state each client
 * sent is found on its way up and every state each got on its way down, in
 * the data channels' binary messages, nothing malformed; without it,
 * nothing is claimed and nothing breaks. Each part skips with one line
 * where tshark, network namespaces, aiortc or a capture on loopback is
 * missing. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/tshark.h"

#define RTC_CLIENTS 2
#define RTC_STATES 30

/* Fails if tshark lists a frame of pcap for filter (with opts). */
static void none_of(const char *pcap, const char *opts, const char *filter, const char *what)
{
    char all[1024];
    snprintf(all, sizeof all, "%s -T fields -e frame.number -Y '%s'", opts, filter);
    char *out = tshark_run(pcap, all);
    for (char *c = out; *c; c++)
        if (*c == '\n')
            *c = ' ';
    if (*out)
        fail_msg("%s: %s: frames %s", pcap, what, out);
    free(out);
}

/* The states tshark finds in pcap, one line "dir flow sender seq" each:
 * dir up towards the relay's port (TCP or UDP: proto), flow the client's
 * endpoint. */
static void states(const char *pcap, const char *opts, const char *proto, uint16_t relay,
                   struct tshark_list *out)
{
    char all[1024];
    snprintf(all, sizeof all, "%s -T fields -E occurrence=a -e ip.src -e %s.srcport -e ip.dst "
             "-e %s.dstport -e ricochet.state.sender -e ricochet.state.seq", opts, proto, proto);
    char *text = tshark_run(pcap, all);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[6], *sender[256], *seq[256], item[128];
        assert_int_equal(tshark_split(line, f, 6, '\t'), 6);
        if (!*f[5])
            continue;
        bool up = atoi(f[3]) == relay;
        size_t n = tshark_split(f[4], sender, 256, ',');
        assert_int_equal(tshark_split(f[5], seq, 256, ','), n);
        for (size_t i = 0; i < n; i++) {
            snprintf(item, sizeof item, "%s %s:%s %s %s", up ? "up" : "down", up ? f[0] : f[2],
                     up ? f[1] : f[3], sender[i], seq[i]);
            tshark_list_add(out, item);
        }
    }
    free(text);
}

/* netsim's log of the states a stream carried, as states() writes them. */
static void stream_ledger(const char *log, struct tshark_list *out)
{
    char *text = harness_read_text(log);
    assert_non_null(text);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[10], item[128];
        if (line[0] == '#' || tshark_split(line, f, 10, ' ') < 7 || strcmp(f[1], "sent") ||
            strcmp(f[6], "stream"))
            continue;
        snprintf(item, sizeof item, "%s %s %s %s", f[2], f[3], f[4], f[5]);
        tshark_list_add(out, item);
    }
    free(text);
}

/* Runs ricochet-bench with args; its stdout parsed (the caller deletes),
 * or NULL if it says the system has no IP mode (err: its stderr). */
static cJSON *bench(const char *const *args)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    int rc = spawn_stop(&p, 0, 120000);
    char *out = spawn_read_stdout(&p), *err = spawn_read_stderr(&p);
    cJSON *root = NULL;
    if (err && strstr(err, "no IP mode here"))
        print_message("%s", err);
    else if (rc != 0)
        fail_msg("ricochet-bench exited %d: %s", rc, err ? err : "");
    else
        assert_non_null(root = cJSON_Parse(out));
    free(out);
    free(err);
    spawn_free(&p);
    return root;
}

/* The WebSocket edge through netsim's IP mode at 10% loss: read whole,
 * its states netsim's ledger, by port and by the heuristics. TCP puts
 * segments that arrive after a later one back in order
 * (reassemble_out_of_order): the capture has the retransmissions where
 * netsim forwarded them. */
static void ws_read_through_ip_mode(void **state)
{
    (void)state;
    char pcap[128], logs[128], netsim_args[160], log[640];
    snprintf(pcap, sizeof pcap, "%s/ws.pcap", tshark_dir());
    snprintf(logs, sizeof logs, "%s/wslogs", tshark_dir());
    snprintf(netsim_args, sizeof netsim_args, "--pcap %s", pcap);
    assert_int_equal(mkdir(logs, 0700), 0);
    const char *args[] = {"--netsim-ip", "--modes", "ws", "--clients", "3", "--rate", "30",
                          "--duration", "1", "--warmup", "0.3", "--grace", "1", "--path-loss",
                          "10", "--seed", "5", "--netsim-args", netsim_args, "--drop-log-dir",
                          logs, "--json-file", "-", "--quiet", NULL};
    cJSON *root = bench(args);
    if (!root)
        skip();
    cJSON_Delete(root);
    snprintf(log, sizeof log, "%s/drops_ws_clients3_rate30_loss10_delay0_jitter0.log", logs);
    char *first = tshark_run(pcap, "-c 1 -T fields -e tcp.dstport");
    uint16_t relay = (uint16_t)atoi(first);
    free(first);
    struct tshark_list want = {0};
    stream_ledger(log, &want);
    assert_true(want.n > 100);
    char by_port[160];
    snprintf(by_port, sizeof by_port, "-o tcp.reassemble_out_of_order:TRUE "
             "-o ricochet_ws.ports:%u --disable-heuristic http_tcp", relay);
    const char *ways[] = {by_port, "-o tcp.reassemble_out_of_order:TRUE "
                                   "-o tcp.try_heuristic_first:TRUE"};
    for (size_t w = 0; w < 2; w++) {
        none_of(pcap, ways[w], TSHARK_RICOCHET_WARNED, "malformed or warned about");
        none_of(pcap, ways[w], "tcp.len > 0 && !(http || ricochet_ws || websocket.opcode >= 8 "
                "|| tcp.reassembled_in || tcp.segment_data)", "not read as ricochet's");
        struct tshark_list got = {0};
        states(pcap, ways[w], "tcp", relay, &got);
        print_message("ws, %s: %zu states found, netsim's log %zu\n", w ? "heuristics" : "port",
                      got.n, want.n);
        tshark_lists_equal(&got, &want, "states the WebSocket streams carried");
        tshark_list_free(&got);
    }
    tshark_list_free(&want);
}

/* ---- WebRTC ------------------------------------------------------------------ */

/* The aiortc clients' session: their report (the caller deletes), or NULL
 * (with a line) without python3-aiortc. */
static cJSON *aiortc_session(uint16_t http_port, const char *keylog)
{
    char url[64], clients[8], count[8], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/rtc", http_port);
    snprintf(clients, sizeof clients, "%d", RTC_CLIENTS);
    snprintf(count, sizeof count, "%d", RTC_STATES);
    const char *args[] = {"tests/support/aiortc_ricochet.py", url, keylog, clients, count, NULL};
    struct spawn_proc p;
    assert_int_equal(spawn_start(&p, "/usr/bin", "python3", args, err, sizeof err), 0);
    int rc = spawn_stop(&p, 0, 60000);
    char *out = spawn_read_stdout(&p), *e = spawn_read_stderr(&p);
    cJSON *root = NULL;
    if (e && strstr(e, "No module named"))
        print_message("no python3-aiortc: %s", e);
    else if (rc != 0)
        fail_msg("aiortc_ricochet.py exited %d: %s", rc, e ? e : "");
    else
        assert_non_null(root = cJSON_Parse(out));
    free(out);
    free(e);
    spawn_free(&p);
    return root;
}

/* What the clients say they sent and got, as states() writes them but
 * without the flow (each client's port is aiortc's own). */
static void rtc_ledger(const cJSON *report, struct tshark_list *up, struct tshark_list *down)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, report) {
        int sent = cJSON_GetObjectItemCaseSensitive(c, "sent")->valueint;
        char item[64];
        for (int seq = 1; seq <= sent; seq++) {
            snprintf(item, sizeof item, "up 0 %d", seq);
            tshark_list_add(up, item);
        }
        const cJSON *g;
        cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(c, "got")) {
            snprintf(item, sizeof item, "down %d %d", cJSON_GetArrayItem(g, 0)->valueint,
                     cJSON_GetArrayItem(g, 1)->valueint);
            tshark_list_add(down, item);
        }
    }
}

/* states() without the flow, each way apart. */
static void rtc_found(const char *pcap, const char *opts, uint16_t relay, struct tshark_list *up,
                      struct tshark_list *down)
{
    struct tshark_list all = {0};
    states(pcap, opts, "udp", relay, &all);
    for (size_t i = 0; i < all.n; i++) {
        char dir[8], flow[64], item[64];
        unsigned sender, seq;
        assert_int_equal(sscanf(all.v[i], "%7s %63s %u %u", dir, flow, &sender, &seq), 4);
        snprintf(item, sizeof item, "%s %u %u", dir, sender, seq);
        tshark_list_add(strcmp(dir, "up") ? down : up, item);
    }
    tshark_list_free(&all);
}

static void webrtc_read_with_the_key_log(void **state)
{
    (void)state;
    struct spawn_proc relay, cap;
    const char *relay_args[] = {"--listen", "ws://127.0.0.1:0", "--listen",
                                "webrtc://127.0.0.1:0", "--log-level", "warn", NULL};
    assert_true(harness_start_relay(&relay, relay_args) > 0);
    uint16_t http = harness_edge_port(&relay, "ws"), rtc = harness_edge_port(&relay, "webrtc");
    char pcap[128], keylog[128];
    snprintf(pcap, sizeof pcap, "%s/rtc.pcapng", tshark_dir());
    snprintf(keylog, sizeof keylog, "%s/rtc.keys", tshark_dir());
    if (!tshark_capture(&cap, rtc, pcap)) {
        harness_stop(&relay);
        skip();
    }
    cJSON *report = aiortc_session(http, keylog);
    clock_sleep_ms(200); /* the last datagrams into the file */
    spawn_stop(&cap, SIGINT, 5000);
    spawn_free(&cap);
    harness_stop(&relay);
    if (!report)
        skip();
    char with[320], without[64];
    snprintf(with, sizeof with, "-o tls.keylog_file:%s -o ricochet_rtc.ports:%u", keylog, rtc);
    snprintf(without, sizeof without, "-o ricochet_rtc.ports:%u", rtc);
    none_of(pcap, with, TSHARK_RICOCHET_WARNED, "malformed or warned about");
    none_of(pcap, with, "sctp.data_payload_proto_id == 53 && !ricochet_rtc",
            "binary messages not read as ricochet's");
    struct tshark_list up = {0}, down = {0}, want_up = {0}, want_down = {0};
    rtc_ledger(report, &want_up, &want_down);
    rtc_found(pcap, with, rtc, &up, &down);
    print_message("webrtc: %zu states up, %zu down found; the clients sent %zu, got %zu\n", up.n,
                  down.n, want_up.n, want_down.n);
    assert_true(want_down.n > 0);
    tshark_lists_equal(&up, &want_up, "states the clients sent");
    tshark_lists_equal(&down, &want_down, "states the clients got");
    none_of(pcap, without, "_ws.lua.error || ricochet || sctp", "read without the key log");
    tshark_list_free(&up);
    tshark_list_free(&down);
    tshark_list_free(&want_up);
    tshark_list_free(&want_down);
    cJSON_Delete(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ws_read_through_ip_mode),
        cmocka_unit_test(webrtc_read_with_the_key_log),
    };
    return TSHARK_RUN_TESTS("test_e2e_dissector_browser", tests);
}
