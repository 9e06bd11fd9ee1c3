/* test_e2e_bench.c: a small ricochet-bench run through netsim: what it missed
 * is what netsim's drop log shows, the audit explains every miss, and a loss
 * hidden from the log is flagged. */
/* A small `ricochet-bench` run through netsim, the bench
 * frozen for 0.5 s in each unreliable window (its catch-up packed into few
 * datagrams): the states it missed are exactly those netsim's drop log shows
 * dropped on the way (plus any the host lost), and the audit explains every
 * missed state (netsim drops on both hops), reliable delivers everything and
 * every drop was retransmitted; a loss hidden from netsim's log (the relay's
 * rate limit) is flagged: listed as `up_fwd`, exit status 3; 8 clients through
 * a reordering netsim: sequenced never delivers a sender's state after a
 * newer one, and each state it loses is counted by its kind; a sealed
 * run (`--encrypt`) through a lossy netsim: every session sealed, reliable
 * delivers everything, the per-state audit skipped with its reason; ENet
 * batches through a lossy netsim: each state of a dropped batch in the drop
 * log, every missed state explained; the HTTP polling lanes on loopback
 * delivering every state, short polling's p50 a third of its 250 ms interval
 * above long polling's at least; a world's every in-radius state delivered,
 * superseded or gone with a pair that walked apart, across relay stalls too.
 * Where every state on loopback is counted
 * (and in the world with interest) the relay runs with --stale-ms 0: on a
 * loaded host it may fall behind and by default then sheds states as stale */

/* tests/run: alone (its p99 and p999 comparisons are latencies a
 * neighbour's load moves) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/bench_json.h"
#include "tests/support/harness.h"
#include "tests/support/procs.h"

/* The last bench's parsed JSON and stderr: freed by the next bench_finish
 * or by bench_output_free, the group's teardown (which cmocka runs after a
 * failed test too), so a failed assertion leaks neither. */
static cJSON *bench_root;
static char *bench_err;

static int bench_output_free(void **state)
{
    (void)state;
    cJSON_Delete(bench_root);
    free(bench_err);
    bench_root = NULL;
    bench_err = NULL;
    return 0;
}

/* Waits for the bench p, expects exit status want and returns its parsed
 * JSON; its stderr in *err_out if not NULL. Neither is the caller's to
 * free (bench_root, bench_err). */
static cJSON *bench_finish(struct spawn_proc *p, int want, char **err_out)
{
    int code = spawn_stop(p, 0, 120000);
    char *out = spawn_read_stdout(p);
    bench_output_free(NULL);
    bench_err = spawn_read_stderr(p);
    spawn_free(p);
    bench_root = code == want && out ? cJSON_Parse(out) : NULL;
    if (code != want)
        print_error("ricochet-bench exited %d, not %d; stderr:\n%s\n", code, want,
                    bench_err ? bench_err : "");
    else if (!bench_root)
        print_error("bench stdout is not JSON:\n%s\n", out ? out : "(none)");
    free(out);
    if (!bench_root)
        fail();
    if (err_out)
        *err_out = bench_err;
    return bench_root;
}

/* Runs the bench with args: bench_finish. */
static cJSON *run_bench_status(const char *const *args, int want, char **err_out)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    return bench_finish(&p, want, err_out);
}

static cJSON *run_bench(const char *const *args)
{
    return run_bench_status(args, 0, NULL);
}

/* The audit of an unreliable run: every missed state is in one category,
 * and the categories add up to what the bench counted as lost. */
static void check_audit_sums(const cJSON *r)
{
    double missed = bj_num(r, "audit.missed"), explained = bj_num(r, "audit.explained");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r, "audit"), "done")));
    assert_true(missed == bj_num(r, "expected") - bj_num(r, "delivered"));
    assert_true(explained + bj_num(r, "audit.unexplained") == missed);
    assert_true(explained == bj_num(r, "audit.explained_by.netsim_up") +
                                 bj_num(r, "audit.explained_by.netsim_down") +
                                 bj_num(r, "audit.explained_by.too_old") +
                                 bj_num(r, "audit.explained_by.enet_window") +
                                 bj_num(r, "audit.explained_by.socket_overflow") +
                                 bj_num(r, "audit.explained_by.relay_stale") +
                                 bj_num(r, "audit.explained_by.sender_queue") +
                                 bj_num(r, "audit.explained_by.relay_queue") +
                                 bj_num(r, "audit.explained_by.late"));
}

#define FREEZE_MS 500 /* a quarter of the window: 50 states a client owed */

/* Freezes the bench (SIGSTOP, FREEZE_MS, SIGCONT) once inside the window
 * whose drop log is path, as a loaded host does: the generator's clients
 * then send the states they owed all at once, and ENet packs that backlog
 * into a few datagrams, so one netsim drop loses many states. The log
 * fills once states flow, at the start of the 0.5 s warm-up; the window
 * follows for 2 s. */
static void freeze_in_window(pid_t bench, const char *path)
{
    struct stat st;
    uint64_t until = clock_now_ms() + 60000;
    while ((stat(path, &st) != 0 || st.st_size == 0) && clock_now_ms() < until)
        usleep(5000);
    if (clock_now_ms() >= until)
        return; /* the bench failed: its exit status says why */
    usleep(800 * 1000); /* the warm-up over, a sixth into the window */
    kill(bench, SIGSTOP);
    usleep(FREEZE_MS * 1000);
    kill(bench, SIGCONT);
}

/* Removes dir and the files in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

static void loss_matches_netsim(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-test-drops-XXXXXX";
    assert_non_null(mkdtemp(dir));
    /* 3 clients x 100 Hz x 2 s = 600 states, 1200 expected deliveries per mode */
    const char *args[] = {"--clients", "3", "--rate", "100", "--duration", "2",
                          "--warmup", "0.5", "--grace", "3", "--path-loss", "10",
                          "--path-delay", "10", "--path-jitter", "4", "--seed", "7",
                          "--modes", "unsequenced,reliable,udp", "--drop-log-dir", dir,
                          "--json-file", "-", "--quiet", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    /* unsequenced (ENet packs; plain udp sends a datagram per state) */
    char log[256];
    snprintf(log, sizeof log, "%s/drops_unsequenced_clients3_rate100_loss10_delay10_jitter4.log",
             dir);
    freeze_in_window(p.pid, log);
    cJSON *root = bench_finish(&p, 0, NULL);
    remove_dir(dir);
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    assert_int_equal(cJSON_GetArraySize(results), 3);

    const char *lossy[] = {"unsequenced", "udp"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *r = bj_mode(results, lossy[i]);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")));
        double sent = bj_num(r, "sent"), expected = bj_num(r, "expected");
        double delivered = bj_num(r, "delivered");
        double lost = bj_num(r, "lost_pct"), truth = bj_num(r, "netsim.e2e_loss_pct");
        /* every intended send happened, the frozen ones too: 3 clients,
         * 100 Hz, 2 s (+-1 each) */
        assert_true(fabs(sent - 600) <= 3);
        assert_true(expected == 2 * sent);
        assert_true(fabs(lost - 100.0 * (expected - delivered) / expected) < 1e-6);
        /* netsim dropped in both directions, about the 5.1% per hop asked
         * (of its datagrams: how many states each carried varies, most with
         * the freeze's backlog, so that rate is no measure of ours) */
        assert_true(bj_num(r, "netsim.up.dropped") > 0);
        assert_true(bj_num(r, "netsim.down.dropped") > 0);
        assert_in_range((long)truth, 5, 16);
        assert_true(fabs(bj_num(r, "netsim.measured_minus_netsim_pct") - (lost - truth)) < 1e-6);
        /* our loss is what the network did, state by state: the states
         * netsim's drop log shows dropped on the way to a receiver (counted
         * from the log, missed or not) are exactly the misses netsim
         * explains, and with what the host itself lost (its socket buffers,
         * the relay shedding states when it fell behind, ENet's window,
         * late) they are every state the bench missed */
        double missed = expected - delivered, dropped = bj_num(r, "audit.netsim_dropped");
        double by_netsim = bj_num(r, "audit.explained_by.netsim_up") +
                           bj_num(r, "audit.explained_by.netsim_down");
        double by_host = bj_num(r, "audit.explained_by.socket_overflow") +
                         bj_num(r, "audit.explained_by.relay_stale") +
                         bj_num(r, "audit.explained_by.enet_window") +
                         bj_num(r, "audit.explained_by.late");
        print_message("%s: measured %.2f%% lost (%.0f states), netsim's log: %.0f dropped on "
                      "the way, the host lost %.0f; netsim dropped %.2f%% of its datagrams\n",
                      lossy[i], lost, missed, dropped, by_host, truth);
        assert_true(dropped > 0);
        assert_true(dropped == by_netsim);
        assert_true(missed == dropped + by_host);
        assert_true(bj_num(r, "audit.explained_by.too_old") == 0); /* no sequenced filter */
        /* the audit: every missed state matched to a netsim drop, on the
         * sender's uplink or the receiver's downlink */
        check_audit_sums(r);
        if (bj_num(r, "audit.unexplained") != 0)
            print_error("%s: %.0f of %.0f missed states unexplained\n", lossy[i],
                        bj_num(r, "audit.unexplained"), bj_num(r, "audit.missed"));
        assert_true(bj_num(r, "audit.unexplained") == 0);
        assert_true(bj_num(r, "audit.explained_by.netsim_up") > 0);
        assert_true(bj_num(r, "audit.explained_by.netsim_down") > 0);
        /* one-way latency: 10 ms through netsim, jitter +-2 ms per hop */
        assert_true(bj_num(r, "latency_ms.p50") >= 9.0);
        assert_true(bj_num(r, "latency_ms.p50") < 100.0);
    }

    const cJSON *rel = bj_mode(results, "reliable");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rel, "ok")));
    assert_true(bj_num(rel, "expected") > 1000);
    /* netsim dropped datagrams, ENet retransmitted: everything arrived */
    assert_true(bj_num(rel, "netsim.down.dropped") + bj_num(rel, "netsim.up.dropped") > 0);
    assert_true(bj_num(rel, "delivered") == bj_num(rel, "expected"));
    assert_true(bj_num(rel, "lost_pct") == 0.0);
    assert_true(bj_num(rel, "duplicates") == 0.0);
    /* every drop of a measured state was followed by its retransmission */
    assert_true(bj_num(rel, "audit.state_drops") > 0);
    assert_true(bj_num(rel, "audit.retransmitted") > 0);
    assert_true(bj_num(rel, "audit.unretransmitted") == 0);
    assert_true(bj_num(rel, "audit.state_drops") ==
                bj_num(rel, "audit.retransmitted") + bj_num(rel, "audit.redundant"));
    /* head-of-line blocking: the retransmissions show in the tail (against
     * udp: the frozen unsequenced run's tail holds the freeze) */
    assert_true(bj_num(rel, "latency_ms.p999") >
                bj_num(bj_mode(results, "udp"), "latency_ms.p999"));
}

/* Sequenced means per sender: 8 clients through netsim with
 * reordering and no loss. ENet's sequencing on the relay->receiver link
 * ran across senders and dropped about half; now only a sender's own late
 * states are dropped, by the receiver (too_old), never by the relay: no
 * state of a sender is delivered after a newer one of its, and every state
 * lost is counted by its kind (too old at the receiver, late, a full
 * socket, shed as stale by a relay a busy host held back), none
 * unexplained. How many that is follows the host's stalls (a stall packs
 * a backlog into few datagrams, and one reordered datagram then makes
 * several states too old), so it is counted, not bounded. */
static void sequenced_per_sender(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "8", "--rate", "30", "--duration", "2",
                          "--warmup", "0.5", "--grace", "1", "--path-delay", "40",
                          "--path-jitter", "30", "--reorder", "--seed", "9",
                          "--modes", "unsequenced,sequenced", "--json-file", "-", "--quiet",
                          NULL};
    cJSON *root = run_bench(args);
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    const cJSON *uns = bj_mode(results, "unsequenced");
    const cJSON *seq = bj_mode(results, "sequenced");
    double expected = bj_num(seq, "expected");
    double lost = expected - bj_num(seq, "delivered");
    double too_old = bj_num(seq, "audit.explained_by.too_old");
    double late = bj_num(seq, "audit.explained_by.late");
    double overflow = bj_num(seq, "audit.explained_by.socket_overflow");
    double stale = bj_num(seq, "audit.explained_by.relay_stale");
    print_message("sequenced: lost %.0f of %.0f: %.0f too old at receivers, %.0f late, %.0f "
                  "in full sockets, %.0f shed as stale, %.0f unexplained; unsequenced "
                  "reordered %.2f%%\n", lost, expected, too_old, late, overflow, stale,
                  bj_num(seq, "audit.unexplained"),
                  100.0 * bj_num(uns, "reordered") / bj_num(uns, "delivered"));
    assert_true(expected > 1000);
    assert_true(bj_num(uns, "reordered") > 0); /* the scenario does reorder */
    assert_true(bj_num(seq, "reordered") == 0); /* never an older after a newer */
    assert_true(bj_num(seq, "duplicates") == 0);
    assert_true(too_old > 0); /* ... so sequenced filters */
    assert_true(bj_num(seq, "too_old") >= too_old);
    /* a state the relay did not forward would be unexplained; netsim drops none */
    check_audit_sums(seq);
    assert_true(bj_num(seq, "audit.unexplained") == 0);
    assert_true(lost == too_old + late + overflow + stale);
}

/* A loss hidden from netsim's drop log: the relay's rate limit drops states
 * netsim forwarded to it. The audit must flag them as unexplained, each last
 * seen going up to the relay, and the bench must exit with status 3.
 * --loss 10 (5.1% a hop): netsim drops some of the ~180 states on the way
 * up but for a chance of 1e-4 (at --loss 4 it was 2.5% per mode). */
static void audit_flags_hidden_loss(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "3", "--rate", "60", "--duration", "1",
                          "--warmup", "0.5", "--grace", "1", "--path-loss", "10",
                          "--path-delay", "10", "--seed", "5", "--modes", "udp,unsequenced",
                          "--relay-args", "--rate-limit 45 --rate-burst 5 --kick-after 0",
                          "--json-file", "-", "--quiet", NULL};
    char *err = NULL;
    cJSON *root = run_bench_status(args, 3, &err);
    assert_non_null(strstr(err, "AUDIT FAILED: udp"));
    assert_non_null(strstr(err, "AUDIT FAILED: unsequenced"));
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    const char *modes[] = {"udp", "unsequenced"};
    for (int m = 0; m < 2; m++) {
        const cJSON *r = bj_mode(results, modes[m]);
        check_audit_sums(r);
        double unexplained = bj_num(r, "audit.unexplained");
        print_message("%s: relay dropped %.0f datagrams (whole run); %.0f of %.0f missed "
                      "states unexplained\n", modes[m], bj_num(r, "relay_drops"), unexplained,
                      bj_num(r, "audit.missed"));
        assert_true(unexplained > 0);
        /* each one the relay dropped is missed by both other clients */
        assert_true(unexplained <= 2 * bj_num(r, "relay_drops"));
        assert_true(bj_num(r, "audit.explained_by.netsim_up") > 0); /* netsim's own loss */
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r, "audit"), "unexplained_states");
        assert_int_equal(cJSON_GetArraySize(list),
                         unexplained < bj_num(r, "audit.listed_max") ? unexplained
                                                                  : bj_num(r, "audit.listed_max"));
        const cJSON *it;
        cJSON_ArrayForEach(it, list) {
            const cJSON *where = cJSON_GetObjectItemCaseSensitive(it, "where");
            assert_true(cJSON_IsString(where));
            assert_string_equal(where->valuestring, "up_fwd");
            assert_true(bj_num(it, "sender") != bj_num(it, "receiver"));
        }
    }
}

/* The HTTP polling lanes straight to the relay's poll edge on loopback:
 * both deliver every state, and a short poll's state waits for the next
 * GET (up to the interval, --poll-every 400 ms, which its record says: a
 * third of it at the median at the least, whatever the machine's load)
 * where a long poll's is answered as it is queued. */
static void poll_lanes_deliver_all(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "2", "--rate", "20", "--duration", "2",
                          "--warmup", "0.5", "--grace", "1.5", "--modes", "poll-long,poll-short",
                          "--poll-every", "400", "--json-file", "-", "--quiet", NULL};
    cJSON *root = run_bench(args);
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    assert_int_equal(cJSON_GetArraySize(results), 2);
    const cJSON *lng = bj_mode(results, "poll-long"), *shrt = bj_mode(results, "poll-short");
    assert_non_null(lng);
    assert_non_null(shrt);
    const cJSON *lanes[2] = {lng, shrt};
    for (int m = 0; m < 2; m++) {
        double sent = bj_num(lanes[m], "sent");
        assert_true(sent >= 2 * 20 * 2 * 0.9);
        assert_true(bj_num(lanes[m], "expected") == sent);
        assert_true(bj_num(lanes[m], "delivered") == bj_num(lanes[m], "expected"));
        assert_true(bj_num(lanes[m], "bytes_per_msg") > 0);
    }
    double p50_long = bj_num(lng, "latency_ms.p50"), p50_short = bj_num(shrt, "latency_ms.p50");
    print_message("p50: long polls %.1f ms, short polls (every 400 ms) %.1f ms\n", p50_long,
                  p50_short);
    assert_true(p50_short >= p50_long + 400.0 / 3);
    assert_true(bj_num(shrt, "poll_interval_ms") == 400);
    assert_null(cJSON_GetObjectItemCaseSensitive(lng, "poll_interval_ms"));
}

static void no_netsim_no_loss(void **state)
{
    (void)state;
    /* straight to the relay on loopback: nothing may go missing (none shed
     * as stale either, by a relay a loaded host held back) */
    const char *args[] = {"--clients", "2", "--rate", "50", "--duration", "1",
                          "--warmup", "0.3", "--grace", "1", "--modes", "sequenced",
                          "--relay-args", "--stale-ms 0", "--csv-file", "-",
                          "--json-file", "/dev/null", "--quiet", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    assert_int_equal(spawn_stop(&p, 0, 60000), 0);
    char *out = spawn_read_stdout(&p);
    assert_non_null(out);
    /* header + one record */
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_true(!strncmp(out, "mode,ok,clients,", 16));
    char *rec = nl + 1;
    assert_true(!strncmp(rec, "sequenced,1,2,50,40,0,0,0,", 26));
    /* sent, expected, delivered, lost_pct follow */
    unsigned long sent, expected, delivered;
    double lost;
    assert_int_equal(sscanf(rec + 26, "%lu,%lu,%lu,%lf", &sent, &expected, &delivered, &lost), 4);
    assert_true(sent >= 99 && sent <= 101);
    assert_int_equal(expected, sent);
    assert_int_equal(delivered, expected);
    assert_true(lost == 0.0);
    free(out);
    spawn_free(&p);
}

/* --repeat: the modes take turns round by round (the progress lines say
 * so), and each mode after the first has the relay's CPU per delivery
 * over the first's, paired round by round. */
static void rounds_take_turns(void **state)
{
    (void)state;
    /* enough deliveries for the relay's CPU to show in clock ticks */
    const char *args[] = {"--clients", "32", "--rate", "60", "--duration", "1", "--warmup",
                          "0.3", "--grace", "0.5", "--modes", "sequenced,unsequenced",
                          "--repeat", "2", "--json-file", "-", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    assert_int_equal(spawn_stop(&p, 0, 60000), 0);
    char *out = spawn_read_stdout(&p), *err = spawn_read_stderr(&p);
    assert_non_null(out);
    assert_non_null(err);
    const char *order[] = {"run 1/2 sequenced", "run 1/2 unsequenced", "run 2/2 sequenced",
                           "run 2/2 unsequenced"};
    const char *at = err;
    for (size_t i = 0; i < 4; i++) {
        if (!(at = strstr(at, order[i])))
            fail_msg("\"%s\" not in turn in: %s", order[i], err);
        at++;
    }
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    const cJSON *results = cJSON_GetObjectItem(root, "results"), *r;
    int paired = 0;
    cJSON_ArrayForEach(r, results) {
        const cJSON *q = cJSON_GetObjectItem(r, "relay_us_ratio");
        const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(r, "mode"));
        if (strcmp(mode, "sequenced") == 0) {
            assert_null(q);
            continue;
        }
        assert_non_null(q);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(q, "vs")), "sequenced");
        assert_int_equal(cJSON_GetObjectItem(q, "rounds")->valueint, 2);
        double lo = cJSON_GetObjectItem(q, "min")->valuedouble;
        double mid = cJSON_GetObjectItem(q, "median")->valuedouble;
        assert_true(lo > 0 && lo <= mid && mid <= cJSON_GetObjectItem(q, "max")->valuedouble);
        paired++;
    }
    assert_int_equal(paired, 1);
    cJSON_Delete(root);
    free(out);
    free(err);
    spawn_free(&p);
}

/* --encrypt through a lossy netsim: the bench's relay seals every session
 * (the run fails otherwise), reliable still delivers everything, and the
 * per-state audit is skipped, saying why, since netsim cannot read sealed
 * states. */
/* The downlink drops of the drop log in dir (one file) that lost several
 * states at once: lines "t_us loss down flow sender seq kind delay peer
 * group" sharing the datagram (time, flow, peer, group). */
static int multi_state_drops(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "awk '!/^#/ && $2 == \"loss\" && $3 == \"down\" { n[$1 \" \" $4 \" \" $9 \" \" $10]++ }"
             " END { m = 0; for (k in n) if (n[k] > 1) m++; print m }' %s/drops_*.log", dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    int m = -1;
    assert_int_equal(fscanf(f, "%d", &m), 1);
    pclose(f);
    return m;
}

/* ENet batches through netsim: with a 16 ms tick each receiver gets its
 * share of a tick in one batch packet, so one dropped datagram loses
 * several states; the drop log names each of them, and the audit explains
 * every state missed. */
static void enet_batches_audited_state_by_state(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-test-batches-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *args[] = {"--clients", "8", "--rate", "60", "--duration", "1.5",
                          "--warmup", "0.5", "--grace", "2", "--path-loss", "5",
                          "--seed", "3", "--modes", "unsequenced",
                          "--relay-args", "--tick-ms 16", "--drop-log-dir", dir,
                          "--json-file", "-", "--quiet", NULL};
    cJSON *root = run_bench(args);
    int multi = multi_state_drops(dir);
    remove_dir(dir);
    const cJSON *r = bj_mode(cJSON_GetObjectItemCaseSensitive(root, "results"), "unsequenced");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")));
    print_message("batches: %d dropped datagrams held several states; %.0f missed, %.0f "
                  "explained by netsim's downlink\n", multi, bj_num(r, "audit.missed"),
                  bj_num(r, "audit.explained_by.netsim_down"));
    assert_true(multi > 0);
    check_audit_sums(r);
    assert_true(bj_num(r, "audit.unexplained") == 0);
    assert_true(bj_num(r, "audit.explained_by.netsim_down") > 0);
    assert_true(bj_num(r, "audit.netsim_dropped") ==
                bj_num(r, "audit.explained_by.netsim_up") +
                    bj_num(r, "audit.explained_by.netsim_down"));
}

static void sealed_through_netsim(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "3", "--rate", "50", "--duration", "1",
                          "--warmup", "0.3", "--grace", "2", "--path-loss", "10",
                          "--seed", "7", "--modes", "unsequenced,reliable", "--encrypt",
                          "--json-file", "-", "--quiet", NULL};
    cJSON *root = run_bench(args);
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    assert_int_equal(cJSON_GetArraySize(results), 2);
    const char *modes[] = {"unsequenced", "reliable"};
    for (size_t m = 0; m < 2; m++) {
        const cJSON *r = bj_mode(results, modes[m]);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")));
        const cJSON *audit = cJSON_GetObjectItemCaseSensitive(r, "audit");
        assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(audit, "done")));
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(audit, "skipped");
        assert_true(cJSON_IsString(why) && !strncmp(why->valuestring, "sealed states", 13));
        assert_true(bj_num(r, "delivered") > 0);
    }
    const cJSON *rel = bj_mode(results, "reliable");
    assert_true(bj_num(rel, "expected") > 0 && bj_num(rel, "delivered") == bj_num(rel, "expected"));
}

/* --fleet 2 with a drain: 96 clients (more than the swarm creates between
 * two services, so welcomes come while it still creates clients) join
 * through both relays; every room on one relay, the drained relay's
 * clients moved, and in reliable mode at least 99% delivered (a move
 * without the states held across it loses a second of the room's). */
static void fleet_drain(void **state)
{
    (void)state;
    const char *args[] = {"--fleet", "2", "--clients", "96", "--room-size", "8", "--rate", "10",
                          "--modes", "reliable", "--fleet-event", "term", "--event-at", "1",
                          "--duration", "3", "--warmup", "0.5", "--grace", "2",
                          "--recovered-p99-ms", "100",
                          "--setup-timeout", "30", "--json-file", "-", "--quiet", NULL};
    cJSON *root = run_bench(args);
    const cJSON *r = bj_mode(cJSON_GetObjectItemCaseSensitive(root, "results"), "reliable");
    print_message("fleet drain: %.0f of %.0f delivered, %.0f moved, joins p50 %.2f ms\n",
                  bj_num(r, "delivered"), bj_num(r, "expected"), bj_num(r, "moved"),
                  bj_num(r, "join_p50_ms"));
    assert_true(bj_num(r, "relays") == 2);
    assert_true(bj_num(r, "split_rooms") == 0);
    assert_true(bj_num(r, "moved") > 0);
    assert_true(bj_num(r, "join_p50_ms") > 0);
    assert_true(bj_num(r, "expected") > 0);
    assert_true(bj_num(r, "delivered") >= 0.99 * bj_num(r, "expected"));
}

/* --fleet 2, one relay killed: its clients notice (their own timeout),
 * rejoin through the relay they came in by, and their rooms flow on the
 * other relay, on time again before the window ends (recovery_ms is -1
 * otherwise). A 2 s TTL lets the killed relay's registration expire soon.
 * On time is 99% delivered, 99% of it within 1 s: a room still on the dead
 * relay delivers nothing, and a busy machine holds states past 100 ms. */
static void fleet_failover(void **state)
{
    (void)state;
    const char *args[] = {"--fleet", "2", "--clients", "32", "--room-size", "8", "--rate", "10",
                          "--modes", "reliable", "--fleet-event", "kill", "--event-at", "1",
                          "--duration", "10", "--warmup", "0.5", "--grace", "1",
                          "--recovered-p99-ms", "1000", "--relay-args", "--directory-ttl 2",
                          "--setup-timeout", "30", "--json-file", "-", "--quiet", NULL};
    cJSON *root = run_bench(args);
    const cJSON *r = bj_mode(cJSON_GetObjectItemCaseSensitive(root, "results"), "reliable");
    print_message("fleet failover: %.0f of %.0f delivered, %.0f moved\n", bj_num(r, "delivered"),
                  bj_num(r, "expected"), bj_num(r, "moved"));
    assert_true(bj_num(r, "split_rooms") == 0);
    assert_true(bj_num(r, "moved") > 0);
    print_message("fleet failover: on time again %.0f ms after the kill\n",
                  bj_num(r, "recovery_ms"));
    assert_true(bj_num(r, "recovery_ms") > 0);
}

/* Rooms split over generator processes: every room whole in one process,
 * the processes' counts and histograms merged exactly, each one's CPU
 * reported. 9 clients in rooms of 3: each state has 2 receivers. */
static void rooms_over_procs(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "9", "--room-size", "3", "--procs", "2", "--rate",
                          "50", "--duration", "1", "--warmup", "0.3", "--grace", "1",
                          "--modes", "unsequenced,udp", "--relay-args", "--stale-ms 0",
                          "--json-file", "-", "--quiet", NULL};
    cJSON *root = run_bench(args);
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    assert_int_equal(cJSON_GetArraySize(results), 2);
    const char *modes[] = {"unsequenced", "udp"};
    for (int m = 0; m < 2; m++) {
        const cJSON *r = bj_mode(results, modes[m]);
        double sent = bj_num(r, "sent");
        assert_true(sent >= 9 * 50 * 0.9 && sent <= 9 * 50 * 1.1);
        assert_true(bj_num(r, "expected") == 2 * sent);
        assert_true(bj_num(r, "delivered") == bj_num(r, "expected")); /* loopback */
        assert_true(bj_num(r, "rooms") == 3);
        assert_true(bj_num(r, "worst_room_pct") == 100);
        assert_true(bj_num(r, "procs") == 2);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r,
                                                                              "proc_cpu_pct")),
                         2);
    }
}

/* Both generator processes fail their setup (the relay takes 2 clients of
 * 9): the bench must say so and exit, not wait for ever on a process that
 * is blocked writing its report into a pipe nobody reads any more. */
static void procs_failing_setup_exit(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "9", "--room-size", "3", "--procs", "2",
                          "--relay-args", "--max-clients 2", "--setup-timeout", "2",
                          "--duration", "0.5", "--modes", "unsequenced", "--quiet", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    int code = spawn_stop(&p, 0, 30000); /* setup fails within ~2 s */
    char *out = spawn_read_stdout(&p);
    assert_true(code > 0 && code < 128); /* a failure exit, not a kill after the wait */
    assert_non_null(out);
    assert_non_null(strstr(out, "FAILED: generator process"));
    free(out);
    spawn_free(&p);
}

/* The processes whose parent is ppid (from /proc/PID/stat), up to cap. */
static size_t children_of(pid_t ppid, pid_t *out, size_t cap)
{
    DIR *d = opendir("/proc");
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%.20s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[len] = '\0';
        const char *close_paren = strrchr(stat, ')'); /* the name may hold spaces */
        long pid = atol(stat), parent;
        if (close_paren && sscanf(close_paren + 1, " %*c %ld", &parent) == 1 &&
            parent == (long)ppid)
            out[n++] = (pid_t)pid;
    }
    closedir(d);
    return n;
}

/* A generator process that never reports (stopped here at once: it stands
 * for one stuck anywhere, as a 2000-client sweep once was for more than 10
 * minutes) must not keep the bench waiting: --setup-timeout bounds the
 * wait for every generator, then the bench kills them and says which. */
static void procs_stuck_generator_exit(void **state)
{
    (void)state;
    uint16_t silent_port;
    int silent = harness_udp_socket(&silent_port); /* a relay that never answers */
    char relay[32];
    snprintf(relay, sizeof relay, "127.0.0.1:%u", silent_port);
    const char *args[] = {"--relay", relay, "--clients", "4", "--room-size", "2", "--procs",
                          "2", "--setup-timeout", "1", "--duration", "0.5", "--modes",
                          "unsequenced", "--quiet", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    pid_t kids[2];
    size_t n = 0;
    for (uint64_t until = clock_now_ms() + 10000; n < 2 && clock_now_ms() < until;) {
        n = children_of(p.pid, kids, 2);
        for (size_t i = 0; i < n; i++)
            kill(kids[i], SIGSTOP);
    }
    assert_int_equal(n, 2);
    uint64_t t0 = clock_now_ms();
    int code = spawn_stop(&p, 0, 30000);
    uint64_t took = clock_now_ms() - t0;
    for (size_t i = 0; i < n; i++)
        kill(kids[i], SIGKILL); /* without the bench's own kill they would stay stopped */
    char *out = spawn_read_stdout(&p);
    print_message("bench with stopped generators: exit %d after %llu ms\n", code,
                  (unsigned long long)took);
    assert_true(code > 0 && code < 128); /* a failure exit, not a kill after the wait */
    assert_non_null(out);
    assert_non_null(strstr(out, "FAILED: generator process"));
    free(out);
    spawn_free(&p);
    close(silent);
}

/* A world's in-radius states, each accounted for: delivered, superseded
 * (a newer one of its sender delivered: the world's tick conflates), or
 * left the radius (the pair apart at a later send, so nothing newer was
 * the receiver's to get); the unsettled rest only where the kernel
 * dropped datagrams on the clients' sockets. A late state counts both
 * delivered and superseded. Returns the count left the radius. */
static double world_accounted(const cJSON *w, const char *mode)
{
    double in = bj_num(w, "in_radius"), got = bj_num(w, "in_radius_delivered");
    double sup = bj_num(w, "in_radius_superseded"), left = bj_num(w, "in_radius_left");
    double unsettled = bj_num(w, "in_radius_unsettled");
    print_message("%s: of %g in-radius states %g delivered, %g superseded, %g left the "
                  "radius, %g unsettled (%g socket drops)\n", mode, in, got, sup, left,
                  unsettled, bj_num(w, "socket_drops"));
    assert_true(in > 0);
    assert_true(got > 0 && got <= in);
    assert_true(got + sup + left + unsettled >= in);
    assert_true(got + sup + left + unsettled <= in * 1.001 + 2);
    if (unsettled > 0 && bj_num(w, "socket_drops") == 0)
        fail_msg("%s: %g in-radius states neither delivered, superseded nor out of radius "
                 "after", mode, unsettled);
    return left;
}

/* --aoi: one world on both transports. States reach those in radius (or
 * a newer one of the same sender does: the world's tick) and never anyone
 * beyond the leave radius; members come into sight; what the clients sent
 * and got is what the relay counted in and out. */
static void world_with_interest(void **state)
{
    (void)state;
    /* --stale-ms 0: a relay a loaded host held back must not shed states as
     * stale here (the shed state at the window's end has no newer one to
     * supersede it); what is measured is interest, not staleness */
    const char *args[] = { "--aoi", "30", "--field", "100", "--clients", "12", "--rate", "20",
                           "--duration", "1", "--warmup", "0.5", "--modes",
                           "unsequenced,reliable,udp", "--relay-args", "--stale-ms 0",
                           "--json-file", "-", "--quiet", NULL };
    cJSON *root = run_bench(args);
    const cJSON *worlds = cJSON_GetObjectItemCaseSensitive(root, "worlds");
    assert_int_equal(cJSON_GetArraySize(worlds), 3);
    const char *modes[] = { "unsequenced", "reliable", "udp" };
    for (size_t i = 0; i < 3; i++) {
        const cJSON *w = bj_mode(worlds, modes[i]);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "ok")));
        world_accounted(w, modes[i]);
        /* a world's tick holds reliable states, never replaces them */
        if (i == 1)
            assert_true(bj_num(w, "in_radius_superseded") == 0);
        assert_true(bj_num(w, "relay_stale") == 0);
        assert_true(bj_num(w, "beyond_leave") == 0);
        assert_true(bj_num(w, "appeared") > 0);
        /* the generator's counts against the relay's (udp: twelve clients on
         * one socket, each from an address of its own) */
        assert_true(bj_num(w, "generator_sent") > 0);
        assert_true(bj_num(w, "generator_sent") == bj_num(w, "relay_states_in"));
        assert_true(bj_num(w, "generator_received") == bj_num(w, "relay_states_out"));
        assert_true(bj_num(w, "generator_cpu_pct") > 0);
        assert_true(bj_num(w, "max_ms") >= bj_num(w, "p99_ms"));
    }
}

#define WORLD_STALL_MS 2000 /* a walker covers 10 m: some pairs part beyond 1.2 radii */

/* A relay stalled 2 s at a time in a world, as a loaded host holds it: the
 * backlog it reads at once moves walkers its tick then judges sight by,
 * and a pair that walked apart meanwhile gets none of what was sent while
 * it was in radius, nor anything newer. Every state is still accounted for,
 * some as left the radius, none unsettled; and a stall longer than the
 * audit kept positions for (1.6 s) loses no count. */
static void world_walks_apart_across_a_stall(void **state)
{
    (void)state;
    const char *args[] = { "--aoi", "30", "--field", "100", "--clients", "12", "--rate", "20",
                           "--duration", "6", "--warmup", "0.5", "--modes", "udp",
                           "--relay-args", "--stale-ms 0", "--setup-timeout", "60",
                           "--json-file", "-", "--quiet", NULL };
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-bench", args), 0);
    pid_t relay = 0;
    uint64_t until = clock_now_ms() + 60000;
    while (!procs_children(p.pid, "ricochet-relay", &relay, 1) && clock_now_ms() < until)
        usleep(10000);
    /* stalls of WORLD_STALL_MS, 0.3 s apart, until the bench ends (or two
     * minutes pass: bench_finish then says why) */
    until = clock_now_ms() + 120000;
    while (relay && procs_alive(relay) && procs_alive(p.pid) && clock_now_ms() < until) {
        usleep(300 * 1000);
        kill(relay, SIGSTOP);
        usleep(WORLD_STALL_MS * 1000);
        kill(relay, SIGCONT);
    }
    cJSON *root = bench_finish(&p, 0, NULL);
    const cJSON *w = bj_mode(cJSON_GetObjectItemCaseSensitive(root, "worlds"), "udp");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "ok")));
    assert_true(world_accounted(w, "udp stalled") > 0);
    assert_true(bj_num(w, "beyond_leave") == 0);
}

/* --payload-check: each state carries 256 bytes that check themselves,
 * and every delivered one is checked. Through the relay's batches (a 16
 * ms tick) and a world's tick none may change; through a netsim that
 * flips bits the ones it hit are counted corrupted, said on stderr, and
 * the run fails (exit 3). */
static void payload_check_counts_corrupted_payloads(void **state)
{
    (void)state;
    const char *clean[] = {"--clients", "3", "--rate", "50", "--duration", "1",
                           "--warmup", "0.3", "--grace", "1", "--modes", "udp,unsequenced",
                           "--payload", "296", "--payload-check", "--relay-args", "--tick-ms 16",
                           "--json-file", "-", "--quiet", NULL};
    cJSON *root = run_bench(clean);
    const char *modes[] = {"udp", "unsequenced"};
    for (int m = 0; m < 2; m++) {
        const cJSON *r = bj_mode(cJSON_GetObjectItemCaseSensitive(root, "results"), modes[m]);
        print_message("%s: %.0f payloads checked, %.0f corrupted\n", modes[m],
                      bj_num(r, "audit.payloads_checked"), bj_num(r, "audit.payloads_corrupted"));
        assert_true(bj_num(r, "audit.payloads_checked") >= bj_num(r, "delivered"));
        assert_true(bj_num(r, "audit.payloads_corrupted") == 0);
    }
    const char *world[] = {"--aoi", "30", "--field", "100", "--clients", "8", "--rate", "20",
                           "--duration", "1", "--warmup", "0.5", "--modes", "unsequenced",
                           "--payload", "1064", "--payload-check", "--json-file", "-",
                           "--quiet", NULL};
    root = run_bench(world);
    const cJSON *w = bj_mode(cJSON_GetObjectItemCaseSensitive(root, "worlds"), "unsequenced");
    print_message("a world: %.0f payloads of %.0f-byte states checked, %.0f corrupted\n",
                  bj_num(w, "payloads_checked"), bj_num(w, "payload"),
                  bj_num(w, "payloads_corrupted"));
    assert_true(bj_num(w, "payload") == 1064);
    assert_true(bj_num(w, "payloads_checked") >= bj_num(w, "delivered"));
    assert_true(bj_num(w, "payloads_corrupted") == 0);

    const char *flipped[] = {"--clients", "3", "--rate", "50", "--duration", "1",
                             "--warmup", "0.3", "--grace", "1", "--modes", "udp", "--netsim",
                             "--netsim-args", "--corrupt 3", "--seed", "4", "--payload", "296",
                             "--payload-check", "--json-file", "-", "--quiet", NULL};
    char *err = NULL;
    root = run_bench_status(flipped, 3, &err);
    const cJSON *r = bj_mode(cJSON_GetObjectItemCaseSensitive(root, "results"), "udp");
    double bad = bj_num(r, "audit.payloads_corrupted");
    print_message("through bit flips: %.0f of %.0f payloads corrupted\n", bad,
                  bj_num(r, "audit.payloads_checked"));
    assert_true(bad > 0);
    assert_non_null(strstr(err, "PAYLOAD CHECK FAILED: udp"));
    assert_non_null(strstr(err, "a corrupted payload from"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rooms_over_procs),
        cmocka_unit_test(fleet_drain),
        cmocka_unit_test(fleet_failover),
        cmocka_unit_test(procs_failing_setup_exit),
        cmocka_unit_test(procs_stuck_generator_exit),
        cmocka_unit_test(no_netsim_no_loss),
        cmocka_unit_test(poll_lanes_deliver_all),
        cmocka_unit_test(rounds_take_turns),
        cmocka_unit_test(sealed_through_netsim),
        cmocka_unit_test(enet_batches_audited_state_by_state),
        cmocka_unit_test(sequenced_per_sender),
        cmocka_unit_test(world_with_interest),
        cmocka_unit_test(world_walks_apart_across_a_stall),
        cmocka_unit_test(loss_matches_netsim),
        cmocka_unit_test(audit_flags_hidden_loss),
        cmocka_unit_test(payload_check_counts_corrupted_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, bench_output_free);
}
