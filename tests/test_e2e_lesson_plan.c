/* test_e2e_lesson_plan.c: the class's plan played against the page, every
 * figure of its answer key checked, in four languages. */
/* The plan (docs/class/plan.LANG.md): a lesson as make lesson starts it, its teacher's page in headless
 * Chromium, each preset pressed at its minute (its button's numbers taken
 * by netsim, a whole window under it), and every figure the answer key
 * states read off the page and checked: the relay's fixed ports and the
 * clients' ephemeral ones, new when the lanes start again (Q1); the
 * relay's socket, bind, listen and an accept per client returning a new
 * socket, three in all, the clients' socket and connect, plain UDP's no
 * listen and no accept (Q2); send and recv against sendto and recvfrom,
 * each lane's bytes per state (Q3); at 2% loss plain UDP's p50 and
 * delivery, TCP's whole delivery, each state plain UDP lost to netsim
 * come over TCP a hop's round trip late at least, each p99 at least its p50
 * (Q4, Q5); on the train the longest gaps of
 * a burst (Q6); with jitter the states out of order, ENet sequenced's too
 * old, none over TCP (Q7); short polling's wait for the GET clean and at
 * 2% (Q8), its requests and heads against the WebSocket's one request per
 * client (Q9); on the class's network two students' UDP players, fetched
 * from the lesson as a laptop does, each with its round trip and its share
 * of states dropped, each losing other states than the other (Q10, Q11);
 * the figures' window (Q12). Every language's key holds each question's
 * figures and every language's worksheet its twelve questions. */

/* tests/run: alone (a lesson of its own, in IP mode) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/servers.h"

static const char *const langs[] = {"en", "id", "ko", "vi"};
static const char *const sheets[] = {"plan", "worksheet"};

#define WINDOW_MS 12500   /* a window of states (--duration 10) and its grace (2 s) */
#define STEP_MS 60000     /* the most a step waits for what it looks for */

/* Each question of the key: the figures its answer states, in every
 * language's key as they are (numbers, the calls' names), and the
 * worksheet's words every language's question holds. */
static const struct question {
    const char *q;
    const char *key[16];      /* in plan.LANG.md's "**Qn." paragraph (NULL-ended) */
    const char *sheet[8];     /* in worksheet.LANG.md's "**Qn." paragraph (NULL-ended) */
} questions[] = {
    {"Q1", {"7778", "7779", "80", "1024", "32768", "60999", "connect()", "sendto()"},
     {"UDP", "80", "1024"}},
    {"Q2", {"socket()", "bind()", "listen()", "accept()", "connect()", "7779", "3", "2",
            "recvfrom()", "sendto()", "SYN"},
     {"TCP", "UDP"}},
    {"Q3", {"136", "180", "280", "360", "400", "40", "68", "8", "20", "send()", "recv()",
            "recvfrom()"},
     {"UDP", "TCP", "40", "send()", "recv()", "recvfrom()"}},
    {"Q4", {"2%", "40 ms", "20 ms", "55", "96", "100%", "2 x 20 ms = 40 ms", "80 ms", "200 ms"},
     {"2%", "p50", "p99"}},
    {"Q5", {"p50", "p99", "99", "1", "100", "2%", "TCP", "UDP"}, {"p99", "p50"}},
    {"Q6", {"4%", "10", "120", "200 ms", "300 ms"}, {"Q4", "TCP"}},
    {"Q7", {"100 ms", "50 ms", "20", "0"}, {"TCP"}},
    {"Q8", {"250 ms", "100", "160", "125", "300", "2%", "20 ms"}, {"GET", "2%"}},
    {"Q9", {"150", "400", "2", "10 s", "WebSocket", "HTTP"}, {"HTTP", "WebSocket", "10 s"}},
    {"Q10", {"2%", "40 ms", "20 ms", "55", "1%", "3%"}, {}},
    {"Q11", {"UDP", "TCP"}, {"TCP", "UDP"}},
    {"Q12", {"10 s", "p50", "p99"}, {"CSV", "p50", "p99"}},
};

/* The paragraph of text that starts with "**Q<n>." (to the next blank
 * line), its lines joined by spaces. */
static char *paragraph(const char *text, const char *q)
{
    char head[16];
    snprintf(head, sizeof head, "**%s.", q);
    const char *at = strstr(text, head);
    if (!at)
        return NULL;
    const char *end = strstr(at, "\n\n");
    char *p = strndup(at, end ? (size_t)(end - at) : strlen(at));
    for (char *c = p; c && *c; c++)
        if (*c == '\n')
            *c = ' ';
    return p;
}

/* Every language's key and worksheet hold each question, with its figures. */
static void every_key_holds_the_figures(void)
{
    for (size_t l = 0; l < 4; l++)
        for (size_t k = 0; k < 2; k++) {
            char path[64];
            snprintf(path, sizeof path, "docs/class/%s.%s.md", sheets[k], langs[l]);
            char *text = harness_read_text(path);
            assert_non_null(text);
            for (size_t i = 0; i < sizeof questions / sizeof questions[0]; i++) {
                char *p = paragraph(text, questions[i].q);
                if (!p)
                    fail_msg("%s: no %s", path, questions[i].q);
                const char *const *words = k ? questions[i].sheet : questions[i].key;
                for (size_t w = 0; words[w]; w++)
                    if (!strstr(p, words[w]))
                        fail_msg("%s, %s: no \"%s\" in: %s", path, questions[i].q, words[w], p);
                free(p);
            }
            char next[16];
            snprintf(next, sizeof next, "**Q%zu.", sizeof questions / sizeof questions[0] + 1);
            assert_null(strstr(text, next)); /* as many questions as the key answers */
            free(text);
        }
}

/* The page's copy of what it shows (lessonPage.snapshot()), and one lane's. */
static cJSON *page_now(struct browser *b)
{
    cJSON *j = browser_eval(b, "lessonPage.snapshot()");
    assert_non_null(j);
    return j;
}

static const cJSON *lane_in(const cJSON *page, const char *name)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(page, "lanes"))
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(l, "name")), name))
            return l;
    fail_msg("the page has no lane %s", name);
    return NULL;
}

static double fig(const cJSON *page, const char *lane, const char *key)
{
    const cJSON *f = cJSON_GetObjectItem(lane_in(page, lane), "figures");
    const cJSON *v = cJSON_GetObjectItem(f, key);
    if (!cJSON_IsNumber(v))
        fail_msg("lane %s: no figure %s", lane, key);
    return v->valuedouble;
}

/* A figure the key states, checked: its words, the page's number, the range. */
static void within(const char *q, const char *what, double v, double lo, double hi)
{
    print_message("%s: %s %.1f (the key: %g to %g)\n", q, what, v, lo, hi);
    if (!(v >= lo && v <= hi))
        fail_msg("%s: %s is %.2f, the key says %g to %g", q, what, v, lo, hi);
}

/* The page's snapshot once expr (JavaScript, of the page, p its snapshot)
 * holds, waiting at most wait_ms. */
static cJSON *when_within(struct browser *b, const char *expr, const char *what, int wait_ms)
{
    char js[2000];
    snprintf(js, sizeof js, "((p) => %s)(lessonPage.snapshot())", expr);
    if (!browser_wait(b, js, wait_ms))
        lesson_fail_with_page(b, what);
    return page_now(b);
}

static cJSON *when(struct browser *b, const char *expr, const char *what)
{
    return when_within(b, expr, what, STEP_MS);
}

/* A preset pressed as the teacher presses it (the page's button), waiting
 * until netsim has it. */
static void take(struct browser *b, const char *preset, double loss, double delay)
{
    char js[300];
    snprintf(js, sizeof js, "lessonPage.preset('%s')", preset);
    cJSON_Delete(browser_eval(b, js));
    snprintf(js, sizeof js, "p.model && p.model.in_force && p.model.in_force['path-loss'] === %g"
             " && p.model.in_force['path-delay'] === %g", loss, delay);
    cJSON_Delete(when(b, js, "the preset never took"));
    print_message("%s pressed\n", preset);
}

/* ... and a whole window of states under it. */
static void press(struct browser *b, const char *preset, double loss, double delay)
{
    take(b, preset, loss, delay);
    clock_sleep_ms(WINDOW_MS);
}

/* A burst the figures' window holds whole, the longest gaps its: a run of
 * at least 5 states plain UDP lost to netsim, closed by an arrival
 * sent 3 s (the grace, 2 s, and a netsim sample's second) before the newest
 * state, begun at most 10 s (the window) before it, and TCP's copies of the
 * run all arrived. A window's end can cut a burst in two: its drops are
 * counted, the state that closes its gap is not, yet. On the train (a path
 * of 80 to 160 ms, a state every 50 ms) a run of 5 leaves a gap of at
 * least 6 x 50 - 80 = 220 ms, whatever the jitter. */
#define BURST_WAIT_MS 150000 /* runs of 5 start about once in 18 s */
static const char burst_whole[] =
    "(() => { const tcp = new Map(lessonPage.marks('tcp').filter((m) => m.sender === 0)"
    ".map((m) => [m.seq, m])); const u = lessonPage.marks('udp').filter((m) =>"
    " m.sender === 0).sort((a, b) => a.seq - b.seq); const newest ="
    " Math.max(0, ...u.map((m) => m.t)); let run = 0; for (let i = 0; i < u.length; i++) {"
    " const m = u[i]; if (i && m.seq !== u[i - 1].seq + 1) run = 0;"
    " if (m.status === 'lost' && (m.up || m.down)) { run++; continue; }"
    " if (run >= 5 && m.status === 'arrived' && newest - m.t >= 3000 &&"
    " newest - u[i - run].t <= 10000 && u.slice(i - run, i).every((l) =>"
    " tcp.has(l.seq) && tcp.get(l.seq).status === 'arrived')) return true; run = 0; }"
    " return false; })()";

/* The relay's port and the clients' of lane's endpoints (ends: relay,
 * senders, receiver). */
static int port_of(const char *at)
{
    const char *c = at ? strrchr(at, ':') : NULL;
    return c ? atoi(c + 1) : -1;
}

static void q1_ports(struct browser *b, cJSON *page)
{
    static const struct { const char *lane; int port; } fixed[] = {
        {"udp", 7778}, {"tcp", 7779}, {"poll-short", 80}};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *ends = cJSON_GetObjectItem(lane_in(page, fixed[i].lane), "ends");
        within("Q1", fixed[i].lane, port_of(cJSON_GetStringValue(cJSON_GetObjectItem(ends,
               "relay"))), fixed[i].port, fixed[i].port);
    }
    const cJSON *ends = cJSON_GetObjectItem(lane_in(page, "udp"), "ends");
    const cJSON *senders = cJSON_GetObjectItem(ends, "senders");
    int sender = port_of(cJSON_GetStringValue(cJSON_GetArrayItem(senders, 0)));
    int receiver = port_of(cJSON_GetStringValue(cJSON_GetObjectItem(ends, "receiver")));
    within("Q1", "the sender's ephemeral port", sender, 32768, 60999);
    within("Q1", "the receiver's ephemeral port", receiver, 32768, 60999);
    /* started again: new ephemeral ports, the relay's the same */
    char js[400];
    cJSON_Delete(browser_eval(b, "lessonPage.setSenders(4)"));
    cJSON_Delete(when(b, "p.senders === 4 && p.lanes.find((l) => l.name === 'udp').state ==="
                         " 'running'", "the lanes never started again with four senders"));
    cJSON_Delete(browser_eval(b, "lessonPage.setSenders(1)"));
    snprintf(js, sizeof js, "p.senders === 1 && ((e) => e && e.receiver &&"
             " e.relay.endsWith(':7778') && !e.receiver.endsWith(':%d'))(p.lanes.find((l) =>"
             " l.name === 'udp').ends)", receiver);
    cJSON *again = when(b, js, "the lanes started again kept the receiver's port");
    ends = cJSON_GetObjectItem(lane_in(again, "udp"), "ends");
    print_message("Q1: started again, the receiver's port %d, was %d; the relay's %s\n",
                  port_of(cJSON_GetStringValue(cJSON_GetObjectItem(ends, "receiver"))), receiver,
                  cJSON_GetStringValue(cJSON_GetObjectItem(ends, "relay")));
    cJSON_Delete(again);
}

/* The calls of lane as the page shows them (its button), into a JSON the caller frees. */
static cJSON *calls(struct browser *b, const char *lane)
{
    char js[200];
    snprintf(js, sizeof js, "lessonPage.showCalls('%s')", lane);
    cJSON *c = browser_eval(b, js);
    if (!c || cJSON_GetObjectItem(c, "error"))
        fail_msg("the %s lane's calls did not show", lane);
    return c;
}

static int count_calls(const cJSON *steps, const char *call)
{
    int n = 0;
    const cJSON *st;
    cJSON_ArrayForEach(st, steps)
        n += !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(st, "call")), call);
    return n;
}

static void q2_q3_calls(struct browser *b)
{
    cJSON *tcp = calls(b, "tcp"), *udp = calls(b, "udp");
    const cJSON *server = cJSON_GetObjectItem(tcp, "server"), *st;
    static const char *const order[] = {"socket", "bind", "listen", "accept", "accept"};
    int i = 0, listening = -1, sockets = 1;
    cJSON_ArrayForEach(st, server) {
        const char *call = cJSON_GetStringValue(cJSON_GetObjectItem(st, "call"));
        assert_true(i < 5 && !strcmp(call, order[i]));
        if (!strcmp(call, "socket"))
            listening = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(st, "ret"));
        if (!strcmp(call, "accept")) { /* a new socket, the listening one waiting on */
            int got = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(st, "ret"));
            assert_true(got >= 0 && got != listening);
            sockets++;
        }
        i++;
    }
    within("Q2", "the relay's sockets for the TCP lane", sockets, 3, 3);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(tcp, "clients")) {
        const cJSON *steps = cJSON_GetObjectItem(c, "steps");
        assert_int_equal(count_calls(steps, "socket") + count_calls(steps, "connect"), 2);
        assert_int_equal(count_calls(steps, "send") + count_calls(steps, "recv"), 1); /* Q3 */
    }
    server = cJSON_GetObjectItem(udp, "server");
    within("Q2", "plain UDP's listen() and accept()", count_calls(server, "listen") +
           count_calls(server, "accept"), 0, 0);
    assert_int_equal(count_calls(server, "socket") + count_calls(server, "bind") +
                     count_calls(server, "recvfrom") + count_calls(server, "sendto"), 4);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(udp, "clients")) /* Q3 */
        assert_int_equal(count_calls(cJSON_GetObjectItem(c, "steps"), "sendto") +
                         count_calls(cJSON_GetObjectItem(c, "steps"), "recvfrom"), 1);
    cJSON_Delete(tcp);
    cJSON_Delete(udp);
}

static double ws_requests(const cJSON *page, const char *key)
{
    const cJSON *f = cJSON_GetObjectItem(lane_in(page, "ws"), "figures");
    return cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "http"), key));
}

/* A program of the docs, as the lesson hands it to a laptop (/players/NAME), into dir. */
static void fetch_player(const struct lesson *l, const char *dir, const char *name, char *path,
                         size_t cap)
{
    char route[64];
    snprintf(route, sizeof route, "/players/%s", name);
    struct http_response r = http_get(l->at, route);
    assert_int_equal(r.status, 200);
    char docs[96];
    snprintf(docs, sizeof docs, "examples/sockets/%s", name);
    char *mine = harness_read_text(docs);
    assert_non_null(mine);
    assert_string_equal(r.body, mine); /* the docs' player, byte for byte */
    free(mine);
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(r.body, 1, r.len, f);
    fclose(f);
    http_response_free(&r);
}

/* Q10 and Q11: two students' UDP players through the door, their lanes' figures. */
static void q10_q11_programs(const struct lesson *l, struct browser *b, const char *dir)
{
    char py[600], door[8], err[256];
    fetch_player(l, dir, "udp_player.py", py, sizeof py);
    snprintf(door, sizeof door, "%d", lesson_door_port(l));
    const char *args[] = {py, "127.0.0.1", door, "60", NULL};
    struct spawn_proc p[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(spawn_start(&p[i], "/usr/bin", "python3", args, err, sizeof err), 0);
    cJSON *page = when(b, "p.guests && p.guests.filter((g) => g.state === 'joined' && g.rtt &&"
                          " g.rtt.n >= 20 && g.states_up >= 500).length === 2",
                       "two students' programs never played a while");
    const cJSON *g;
    int lost[2][64], n_lost[2] = {0, 0}, k = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(page, "guests")) {
        double rtt = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "rtt"),
                                                              "p50_ms"));
        double up = cJSON_GetNumberValue(cJSON_GetObjectItem(g, "states_up"));
        double dropped = cJSON_GetNumberValue(cJSON_GetObjectItem(g, "dropped_up"));
        within("Q10", "a program's round trip, ms", rtt, 40, 55);
        within("Q10", "its states netsim dropped, %", 100 * dropped / up, 0, 3);
        print_message("Q10: %s: %.0f sent, %.0f dropped\n",
                      cJSON_GetStringValue(cJSON_GetObjectItem(g, "endpoint")), up, dropped);
        k++;
    }
    assert_int_equal(k, 2);
    cJSON_Delete(page);
    /* Q11: each its own losses: the seqs each lost, from its lane's states */
    cJSON *lanes = browser_eval(b, "lessonPage.guestLanes().map((l) => l.lost)");
    char *text = cJSON_PrintUnformatted(lanes);
    print_message("Q11: the seqs each program lost: %s\n", text);
    free(text);
    const cJSON *a = cJSON_GetArrayItem(lanes, 0), *c = cJSON_GetArrayItem(lanes, 1), *x;
    cJSON_ArrayForEach(x, a)
        if (n_lost[0] < 64)
            lost[0][n_lost[0]++] = x->valueint;
    cJSON_ArrayForEach(x, c)
        if (n_lost[1] < 64)
            lost[1][n_lost[1]++] = x->valueint;
    bool same = n_lost[0] == n_lost[1];
    for (int i = 0; same && i < n_lost[0]; i++)
        same = lost[0][i] == lost[1][i];
    assert_true(n_lost[0] + n_lost[1] > 0 && !same);
    cJSON_Delete(lanes);
    for (int i = 0; i < 2; i++) {
        spawn_stop(&p[i], SIGTERM, 5000);
        spawn_free(&p[i]);
    }
}

static void the_plan_played_against_the_page(void **state)
{
    (void)state;
    every_key_holds_the_figures();
    /* the plan's lesson: make lesson's options, on this machine's loopback */
    const char *args[] = {"--port", "0", "--door-port", "0", "--rate", "20", "--senders", "1",
                          "--duration", "10", NULL};
    struct lesson l;
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    cJSON *j = lesson_get_json(&l, "/live.json");
    bool ip = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "ip_mode"));
    cJSON_Delete(j);
    if (!ip) { /* the plan's lanes and ports are IP mode's */
        spawn_stop(&l.proc, SIGINT, 15000);
        spawn_free(&l.proc);
        skip();
    }
    char dir[] = "/tmp/ricochet-lesson-plan-XXXXXX", url[160];
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "%s?lang=en", l.url);
    struct browser *b = browser_open(dir, url, 1400, 1000);
    cJSON_Delete(when(b, "p.lanes.length >= 16 && ['udp', 'tcp', 'poll-short', 'ws',"
                         " 'sequenced'].every((n) => p.lanes.some((l) => l.name === n &&"
                         " l.state === 'running' && l.figures && l.figures.valid))",
                      "the lanes never ran"));
    /* the plan's presets, each pressed once, every question of it asked there: a clean
     * network (0-25 and 55-65's first half), 2% loss (25-40 and 55-65's second), the
     * train (40-48), jitter (48-55), the class's network (65-85) */
    /* 0-25: a clean network: ports, calls, bytes */
    press(b, "preset.none", 0, 0);
    cJSON *page = page_now(b);
    q1_ports(b, page);
    cJSON_Delete(page);
    q2_q3_calls(b);
    clock_sleep_ms(WINDOW_MS); /* a window of one sender again */
    page = page_now(b);
    within("Q3", "plain UDP's B per state", fig(page, "udp", "bytes_per_state"), 136, 180);
    within("Q3", "TCP's B per state", fig(page, "tcp", "bytes_per_state"), 280, 360);
    within("Q3", "short polling's B per state", fig(page, "poll-short", "bytes_per_state"), 400,
           1e9);
    /* 55-65's clean half (the same preset): a polling lane's asking, HTTP against a socket */
    within("Q8", "a state's wait for the GET, clean, ms", fig(page, "poll-short", "ask_wait_ms"),
           100, 160);
    within("Q8", "... at most, ms", fig(page, "poll-short", "ask_wait_max_ms"), 200, 1e9);
    within("Q9", "short polling's requests per state", fig(page, "poll-short",
           "requests_per_state"), 1, 2);
    within("Q9", "short polling's B of heads per state", fig(page, "poll-short",
           "head_bytes_per_state"), 150, 400);
    within("Q9", "the WebSocket's requests", ws_requests(page, "requests"), 2, 2);
    within("Q9", "... in the last 10 s", ws_requests(page, "requests_window"), 0, 0);
    cJSON_Delete(page);
    /* 25-40: 2% loss, a window where netsim dropped some */
    press(b, "preset.loss2", 2, 40);
    page = when(b, "p.lanes.find((l) => l.name === 'udp').figures.netsim_dropped >= 1",
                "netsim never dropped a state at 2%");
    within("Q4", "plain UDP's p50, ms", fig(page, "udp", "p50_ms"), 40, 55);
    within("Q4", "plain UDP's delivered, %", fig(page, "udp", "delivered_pct"), 96, 100);
    within("Q4", "TCP's delivered, %", fig(page, "tcp", "delivered_pct"), 100, 100);
    /* 55-65's half at 2% (the same preset): the wait for the GET, the figures' window */
    within("Q8", "a state's wait for the GET, 2% loss, ms", fig(page, "poll-short",
           "ask_wait_ms"), 125, 300);
    within("Q8", "... at most, ms", fig(page, "poll-short", "ask_wait_max_ms"), 250, 1e9);
    within("Q12", "the figures' window, s", fig(page, "udp", "window_s"), 10, 10);
    within("Q5", "plain UDP's p99 over its p50, ms", fig(page, "udp", "p99_ms") -
           fig(page, "udp", "p50_ms"), 0, 1e9);
    within("Q5", "TCP's p99 over its p50, ms", fig(page, "tcp", "p99_ms") -
           fig(page, "tcp", "p50_ms"), 0, 1e9);
    cJSON_Delete(page);
    /* the states plain UDP lost to netsim (paired: TCP's same seqs were lost too): each
     * TCP copy came after the path's 40 ms and a hop's round trip, 2 x 20 ms, at least.
     * Only a loss between two arrivals: a relay running late sends a client two states
     * in one datagram, and netsim drops it for either's verdict, so a state lost beside
     * a lost neighbour may be lost for the neighbour's, its TCP copy not */
    cJSON *late = browser_eval(b, "(() => { const tcp = new Map(lessonPage.marks('tcp')"
                                  ".map((m) => [m.seq, m])), udp = new Map(lessonPage"
                                  ".marks('udp').map((m) => [m.seq, m])); const got = (s) =>"
                                  " udp.has(s) && udp.get(s).status === 'arrived';"
                                  " return [...udp.values()]"
                                  ".filter((m) => m.status === 'lost' && (m.up || m.down) &&"
                                  " got(m.seq - 1) && got(m.seq + 1) &&"
                                  " tcp.has(m.seq) && tcp.get(m.seq).status === 'arrived')"
                                  ".map((m) => tcp.get(m.seq).recv - tcp.get(m.seq).t); })()");
    const cJSON *x;
    int held = 0;
    cJSON_ArrayForEach(x, late) {
        within("Q4", "a state plain UDP lost, TCP's copy's latency, ms", x->valuedouble, 80, 1e9);
        held++;
    }
    assert_true(held >= 1);
    cJSON_Delete(late);
    /* 40-48: the train: a burst */
    take(b, "preset.train", 4, 120);
    page = when_within(b, burst_whole, "no whole burst on the train", BURST_WAIT_MS);
    within("Q6", "plain UDP's longest gap, ms", fig(page, "udp", "max_gap_ms"), 200, 1e9);
    within("Q6", "TCP's longest gap, ms", fig(page, "tcp", "max_gap_ms"), 300, 1e9);
    cJSON_Delete(page);
    /* 48-55: jitter and reordering */
    press(b, "preset.jitter", 0, 60);
    page = page_now(b);
    within("Q7", "plain UDP's out of order", fig(page, "udp", "out_of_order"), 1, 1e9);
    within("Q7", "ENet sequenced's too old", fig(page, "sequenced", "too_old"), 1, 1e9);
    within("Q7", "TCP's out of order", fig(page, "tcp", "out_of_order"), 0, 0);
    cJSON_Delete(page);
    /* 65-85: the class's network and two students' programs */
    press(b, "preset.class", 2, 40);
    q10_q11_programs(&l, b, dir);
    lesson_end(&l, b, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_plan_played_against_the_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
