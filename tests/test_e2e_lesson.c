/* test_e2e_lesson.c: ricochet-lesson, the lesson you can watch, with real
 * clients and headless Chromium: every lane drawn and measured, and the page's
 * controls moving what the lanes show as the network changes. */
/* Ricochet-lesson, the lesson you can watch,
 * with real clients: the lesson starts the relay with every lane's edge
 * and netsim in IP mode between two namespaces; headless Chromium (the
 * DevTools protocol, tests/support/browser.c) opens the page. Everything
 * the page loads comes from the lesson; every lane of the lane table is
 * drawn and measured; HTTP polling's lanes say what asking costs (a short
 * poll's state waiting for the next GET, a long poll's not; the heads a
 * state pays); raising the loss from 0 to 10% with the page's own
 * control brings every lossy lane to about 90% delivered: the states
 * every lossy lane dropped by netsim's drop log are at least the path's
 * loss by netsim's own counters over the same window, less two points (its
 * verdict's, paired loss; a lost datagram takes the states it shares
 * along, more where a busy machine packs several states a datagram), and
 * no state the page says netsim dropped came; TCP's p99 is above the
 * unsequenced lane's at the same moment; each strip has its latency scale
 * (one for all, ticked). Paused, a click on a lost state
 * shows its 40 bytes with the dissector's field names and what netsim did
 * to it, and one lost on the way up no carrier where netsim has no line
 * of it; a TCP state, the segments that carried it (its figures count
 * segments and states apart). Bad controls get a
 * clear 400, other requests 404 or 405. The relay killed (SIGKILL): the
 * page says so and the lanes come back; netsim the same. SIGINT stops
 * everything: no process, no namespace left, and the page says its server
 * is gone. A lesson killed outright leaves nothing either. Without the
 * rights for namespaces (unshare --user), one line says what is missing
 * and how to get it, the streams' lanes are listed as missing and the
 * datagram lanes run through the UDP proxy, and so does the door for a
 * program of one's own (over UDP only: the line and the page say why
 * not TCP, and the docs' Python player joins through it); there a request
 * naming another
 * Host (a DNS-rebinding page) gets 421 and leaves the model as it was,
 * localhost is served. Four senders per lane (--senders 4) at 4% loss:
 * live.json has every lane's four senders' states (HTTP polling's lanes'
 * arrived too), and the states one
 * sender's loss held back of the others (counted from orders alone: netsim's
 * drop log, the receiver's order of arrival) grow over TCP's one stream
 * and stay at none over QUIC's stream per sender; PUT /senders switches
 * back to one and the lanes start again with it. Every TCP connection of
 * the relay torn down (ss -K): the tcp lane alone connects again and says
 * so until its figures' window is past the cut, the others run on in the
 * same generation; started at 45% loss, a
 * lane that cannot join at first connects again alone, the others run in
 * one generation throughout. The relay stopped three
 * times for 300 ms at 0% loss: the unreliable lanes lose no state netsim
 * does not explain (the relay forwards late, never sheds). Refused options say so in
 * one line. With
 * RICOCHET_SHOT_UPDATE=1 the screenshot goes to docs/lesson-page.png. */

/* tests/run: alone (its paired drops and TCP's p99 are timings a
 * neighbour's load moves) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/procs.h"
#include "tests/support/servers.h"

#define WAIT_MS 60000
#define WINDOW_S 20   /* --duration: the figures' window */
#define RATE "30"
#define GRACE "5"     /* a state later than this counts as lost: a busy host's stream stalls */

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItem(o, a);
    if (b)
        v = cJSON_GetObjectItem(v, b);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *text(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItem(o, a);
    if (b)
        v = cJSON_GetObjectItem(v, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The lane name of a live.json or a page snapshot. */
static const cJSON *lane(const cJSON *root, const char *name)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(root, "lanes"))
        if (!strcmp(text(l, "name", NULL), name))
            return l;
    return NULL;
}

/* Every lane running (but the missing), each with figures; true within ms. */
static bool lanes_running(const struct lesson *l, int ms)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < deadline) {
        cJSON *j = lesson_get_json(l, "/live.json");
        const cJSON *x;
        bool all = j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "lanes")) > 0;
        const cJSON *lanes = j ? cJSON_GetObjectItem(j, "lanes") : NULL;
        cJSON_ArrayForEach(x, lanes)
            all &= !strcmp(text(x, "state", NULL), "missing") ||
                   (!strcmp(text(x, "state", NULL), "running") &&
                    cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "figures"), "valid")));
        cJSON_Delete(j);
        if (all)
            return true;
        clock_sleep_ms(250);
    }
    return false;
}

/* The page's snapshot (window.lessonPage.snapshot()). */
static cJSON *page(struct browser *b)
{
    cJSON *s = browser_eval(b, "window.lessonPage.snapshot()");
    assert_true(cJSON_IsObject(s));
    return s;
}

/* The page's snapshot once its figures cover a whole window: at once, or,
 * where the lanes started again (a client lost: its last incident says
 * which), after the window that followed. */
static cJSON *whole_window(struct browser *b)
{
    uint64_t end = clock_now_ms() + WAIT_MS;
    for (;;) {
        cJSON *s = page(b);
        const cJSON *net = cJSON_GetObjectItem(s, "net");
        if ((cJSON_IsTrue(cJSON_GetObjectItem(net, "valid")) &&
             num(net, "window_s", NULL) >= WINDOW_S - 1) || clock_now_ms() > end)
            return s;
        print_message("a window not whole (%.1f s): %s\n", num(net, "window_s", NULL),
                      text(cJSON_GetObjectItem(s, "status"), "incident", NULL));
        cJSON_Delete(s);
        clock_sleep_ms(2000);
    }
}

/* Each name of ricochet.js's STATE_FIELDS is a field of the dissector. */
static void fields_are_the_dissectors(struct browser *b)
{
    char *lua = harness_read_text("proto/wireshark/ricochet.lua");
    assert_non_null(lua);
    cJSON *names = browser_eval(b, "import('/ricochet.js').then((r) => r.STATE_FIELDS.map((f) => f.field))");
    assert_true(cJSON_GetArraySize(names) == 11);
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
        char quoted[80];
        snprintf(quoted, sizeof quoted, "\"%s\"", n->valuestring);
        if (!strstr(lua, quoted))
            fail_msg("%s is not a field of proto/wireshark/ricochet.lua", n->valuestring);
    }
    cJSON_Delete(names);
    free(lua);
}

static int by_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The keys (seq * 8 + sender) of the states lane x of live.json dropped
 * by netsim (a drop on either hop), sent in [from, to) ms, sorted, into
 * keys (cap); how many. */
static size_t dropped_keys(const cJSON *x, double from, double to, uint64_t *keys, size_t cap)
{
    size_t n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(x, "marks")) {
        double t = cJSON_GetArrayItem(m, 1)->valuedouble;
        const char *up = cJSON_GetStringValue(cJSON_GetArrayItem(m, 8));
        const char *down = cJSON_GetStringValue(cJSON_GetArrayItem(m, 9));
        if (t >= from && t < to && ((up && *up) || (down && *down)) && n < cap)
            keys[n++] = (uint64_t)cJSON_GetArrayItem(m, 0)->valuedouble * 8 +
                        (uint64_t)cJSON_GetArrayItem(m, 10)->valuedouble;
    }
    qsort(keys, n, sizeof keys[0], by_key);
    return n;
}

/* The share (%) of the states sent in the figures' window of live.json j
 * (from the grace and the duration ago to the grace ago) that netsim
 * dropped in every lane of names[n], expected the first lane's: the states
 * its verdict lost. A datagram that carries a lost state is dropped whole
 * (paired loss), so a lane also loses the states that shared one with it,
 * more of them where a busy relay or client packs several states a
 * datagram; those differ from lane to lane, the verdict's do not. */
static double dropped_in_every_lane(const cJSON *j, const char *const *names, size_t n,
                                    double expected)
{
    static uint64_t keys[16][4096];
    size_t got[16];
    double now = num(j, "now_ms", NULL), to = now - atoi(GRACE) * 1000.0;
    double from = to - WINDOW_S * 1000.0;
    assert_true(n <= 16 && expected > 0);
    for (size_t i = 0; i < n; i++)
        got[i] = dropped_keys(lane(j, names[i]), from, to, keys[i], 4096);
    size_t common = 0;
    for (size_t k = 0; k < got[0]; k++) {
        bool every = true;
        for (size_t i = 1; i < n && every; i++)
            every = bsearch(&keys[0][k], keys[i], got[i], sizeof keys[i][0], by_key) != NULL;
        common += every;
    }
    return 100.0 * (double)common / expected;
}

/* Raising the loss on the page: every lossy lane about 90% delivered, the
 * states netsim's verdict lost lost in each; the lossless ones all
 * delivered, TCP later; netsim's own counters agree. */
static void loss_from_the_page(struct browser *b, const struct lesson *l)
{
    cJSON *s = page(b);
    double tcp_p99 = num(cJSON_GetObjectItem(lane(s, "tcp"), "figures"), "p99_ms", NULL);
    double before = num(cJSON_GetObjectItem(lane(s, "unsequenced"), "figures"), "delivered_pct",
                        NULL);
    print_message("at 0%%: unsequenced %.2f%% delivered, tcp p99 %.1f ms\n", before, tcp_p99);
    /* nothing dropped on the way; on a busy machine some states come past
     * the grace (94.8% delivered beside two busy loops) */
    assert_true(before >= 90);
    cJSON_Delete(s);
    cJSON_Delete(browser_eval(b, "(() => { const e = document.getElementById('loss');"
                                 " e.value = 10; e.dispatchEvent(new Event('input')); })()"));
    if (!browser_wait(b, "(() => { const s = lessonPage.snapshot(); return s.model &&"
                         " s.model.controls['path-loss'] === 10 && s.modelError === ''; })()",
                      10000))
        lesson_fail_with_page(b, "the page never set the loss");
    clock_sleep_ms((WINDOW_S + atoi(GRACE)) * 1000 + 2500); /* a whole window after the change */
    s = whole_window(b);
    cJSON *live = lesson_get_json(l, "/live.json"); /* every state's fate, a moment later */
    assert_non_null(live);
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(s, "lanes")) {
        const cJSON *f = cJSON_GetObjectItem(x, "figures");
        print_message("  %-17s %6.2f%% delivered (%3.0f of %3.0f netsim dropped, %2.0f too old), "
                      "p50 %6.1f ms, p99 %6.1f ms, longest gap %5.0f ms, %4.0f B a state\n",
                      text(x, "name", NULL), num(f, "delivered_pct", NULL),
                      num(f, "netsim_dropped", NULL), num(f, "expected", NULL),
                      num(f, "too_old", NULL), num(f, "p50_ms", NULL), num(f, "p99_ms", NULL),
                      num(f, "max_gap_ms", NULL), num(f, "bytes_per_state", NULL));
    }
    static const char *const lossy[] = {"unsequenced", "sequenced", "udp", "webrtc",
                                        "webrtc-sequenced", "quic", "quic-sequenced", "wt"};
    const size_t n_lossy = sizeof lossy / sizeof lossy[0];
    const cJSON *u = cJSON_GetObjectItem(lane(s, "unsequenced"), "figures");
    double delivered = num(u, "delivered_pct", NULL);
    double dropped = 100 * num(u, "netsim_dropped", NULL) / num(u, "expected", NULL);
    double common = dropped_in_every_lane(live, lossy, n_lossy, num(u, "expected", NULL));
    double path = num(cJSON_GetObjectItem(s, "net"), "path_loss_pct", NULL);
    double p99 = num(cJSON_GetObjectItem(lane(s, "tcp"), "figures"), "p99_ms", NULL);
    const char *incident = text(cJSON_GetObjectItem(s, "status"), "incident", NULL);
    print_message("at 10%%: unsequenced %.2f%% delivered, %.2f%% dropped by netsim (its drop "
                  "log), %.2f%% in every lossy lane; netsim's counters: %.2f%% over the path; "
                  "tcp p99 %.1f ms%s%s\n",
                  delivered, dropped, common, path, p99, incident[0] ? "; last incident: " : "",
                  incident);
    /* what netsim did not drop came as at 0% (the busy machine's too) */
    assert_true(delivered >= 100 - dropped - (100 - before) - 1 && delivered <= 95);
    /* Every state netsim's verdict lost is lost in every lossy lane: those
     * all lanes lost are at least the share its counters say, less two
     * points (read a moment apart: 9.50% against 9.47%). A state that shared a
     * datagram with a lost one is lost too: more of them where a busy
     * machine packs several states a datagram, in one lane (17.4% against
     * 9.7% beside two busy loops) or in all (11.8% against 9.9%, the
     * lesson's senders late together). A state netsim dropped never came:
     * no drop counted twice, none folded in from elsewhere. */
    assert_true(common >= path - 2);
    for (size_t i = 0; i < n_lossy; i++) {
        const cJSON *f = cJSON_GetObjectItem(lane(s, lossy[i]), "figures");
        double lost = num(f, "netsim_dropped", NULL);
        assert_true(100 * lost / num(f, "expected", NULL) >= common - 1);
        assert_true(num(f, "delivered", NULL) + lost <= num(f, "expected", NULL));
    }
    /* A lost segment is noticed when the next state's segment comes, 50 ms
     * later at 20 Hz, and every state behind it waits: a tenth of TCP's
     * states wait 50 ms or more where the unsequenced lane's, at the same
     * moment, wait nothing (a busy machine's stalls are in both). */
    double unseq_p99 = num(u, "p99_ms", NULL);
    assert_true(p99 > unseq_p99 + 40);
    static const char *const lossless[] = {"reliable",      "tcp",          "ws",
                                           "poll-long",     "poll-short",
                                           "webrtc-reliable", "quic-reliable", "quic-streams",
                                           "wt-reliable",   "wt-streams"};
    for (size_t i = 0; i < sizeof lossless / sizeof lossless[0]; i++) { /* none lost: late */
        const cJSON *f = cJSON_GetObjectItem(lane(s, lossless[i]), "figures");
        assert_true(num(f, "netsim_dropped", NULL) == 0);
        assert_true(num(f, "delivered_pct", NULL) >= 99); /* a busy host's stall past the grace */
    }
    /* each strip its own latency scale (the datagrams' milliseconds beside
     * polling's seconds), or, ticked, every strip the longest's; a busy
     * machine's stall of a second is in every strip's sight (both 1500 ms
     * beside two busy loops) */
    double top = num(lane(s, "unsequenced"), "top", NULL);
    double poll = num(lane(s, "poll-short"), "top", NULL);
    print_message("latency scales: unsequenced %.0f ms, poll-short %.0f ms\n", top, poll);
    assert_true(top <= poll);
    cJSON_Delete(browser_eval(b, "document.getElementById('one-scale').click()"));
    if (!browser_wait(b, "(() => { const l = lessonPage.snapshot().lanes.filter((x) => x.top);"
                         " return l.every((x) => x.top === l[0].top); })()", 5000))
        lesson_fail_with_page(b, "one scale never came");
    cJSON_Delete(browser_eval(b, "document.getElementById('one-scale').click()"));
    /* TCP's counts say what they count: segments dropped, no state */
    assert_true(num(cJSON_GetObjectItem(lane(s, "tcp"), "figures"), "segments_dropped", NULL) > 0);
    cJSON *figs = browser_eval(b, "document.querySelector('[data-lane=tcp] .figs').textContent");
    if (!cJSON_IsString(figs) || !strstr(figs->valuestring, "segments") ||
        !strstr(figs->valuestring, "states"))
        fail_msg("tcp's figures: %s", cJSON_IsString(figs) ? figs->valuestring : "none");
    cJSON_Delete(figs);
    cJSON_Delete(live);
    cJSON_Delete(s);
}

/* At 0% loss: what asking costs, beside the WebSocket that pushes. A
 * short poll's state waits for the next GET (up to its 250 ms: about half
 * of it on average, a quarter at the least whatever the host's load),
 * a long poll's was asked for before it came (on a quiet host nothing; a
 * busy one sends each next GET late, but the short poll's interval comes
 * on top of that); both pay HTTP heads a state, the WebSocket none (no
 * such figure). */
static void asking_costs(struct browser *b)
{
    cJSON *s = page(b);
    const cJSON *lng = cJSON_GetObjectItem(lane(s, "poll-long"), "figures");
    const cJSON *shrt = cJSON_GetObjectItem(lane(s, "poll-short"), "figures");
    const cJSON *ws = cJSON_GetObjectItem(lane(s, "ws"), "figures");
    assert_non_null(lng);
    assert_non_null(shrt);
    print_message("asking: long polls wait %.1f ms (at most %.1f), %.0f B of heads and %.2f "
                  "requests a state; short polls %.1f ms (at most %.1f), %.0f B, %.2f; "
                  "WebSocket %.0f B a state\n",
                  num(lng, "ask_wait_ms", NULL), num(lng, "ask_wait_max_ms", NULL),
                  num(lng, "head_bytes_per_state", NULL), num(lng, "requests_per_state", NULL),
                  num(shrt, "ask_wait_ms", NULL), num(shrt, "ask_wait_max_ms", NULL),
                  num(shrt, "head_bytes_per_state", NULL), num(shrt, "requests_per_state", NULL),
                  num(ws, "bytes_per_state", NULL));
    assert_true(num(shrt, "ask_wait_ms", NULL) >= 250.0 / 4);
    assert_true(num(lng, "ask_wait_ms", NULL) < num(shrt, "ask_wait_ms", NULL));
    assert_true(num(lng, "head_bytes_per_state", NULL) > 0);
    assert_true(num(shrt, "head_bytes_per_state", NULL) > 0);
    assert_null(cJSON_GetObjectItem(ws, "ask_wait_ms"));
    cJSON_Delete(s);
}

/* Clicks state seq of lane in its strip (paused) and waits for the
 * inspector; returns what it shows. */
static cJSON *click_state(struct browser *b, const char *lane_name, unsigned seq)
{
    char expr[512];
    snprintf(expr, sizeof expr,
             "(() => { const p = lessonPage.markPoint('%s', %u); if (!p) return false;"
             " const e = document.elementFromPoint(p.x, p.y); e.dispatchEvent(new MouseEvent("
             "'click', {clientX: p.x, clientY: p.y, bubbles: true})); return true; })()",
             lane_name, seq);
    cJSON *ok = browser_eval(b, expr);
    if (!cJSON_IsTrue(ok))
        lesson_fail_with_page(b, "the state is not drawn");
    cJSON_Delete(ok);
    snprintf(expr, sizeof expr, "lessonPage.inspected() && lessonPage.inspected().seq === %u &&"
             " lessonPage.inspected().lane === '%s'", seq, lane_name);
    if (!browser_wait(b, expr, 5000))
        lesson_fail_with_page(b, "the inspector never showed the state");
    return browser_eval(b, "lessonPage.inspected()");
}

/* The value the inspector shows for field. */
static double field(const cJSON *in, const char *name)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(in, "rows"))
        if (!strcmp(text(r, "field", NULL), name))
            return num(r, "value", NULL);
    fail_msg("no field %s", name);
    return NAN;
}

/* The last of the seqs expr lists, or the test fails saying none. */
static unsigned newest_seq(struct browser *b, const char *expr, const char *none)
{
    cJSON *seqs = browser_eval(b, expr);
    int n = cJSON_GetArraySize(seqs);
    if (n <= 0)
        lesson_fail_with_page(b, none);
    unsigned seq = (unsigned)cJSON_GetArrayItem(seqs, n - 1)->valuedouble;
    cJSON_Delete(seqs);
    return seq;
}

/* A state netsim dropped on the way up: no line of it down, and the
 * inspector names no carrier there. */
static void lost_up_names_no_carrier(struct browser *b)
{
    unsigned seq = newest_seq(b, "lessonPage.marks('unsequenced').filter((m) => m.status === "
                                 "'lost' && m.up && lessonPage.markPoint('unsequenced', m.seq))"
                                 ".map((m) => m.seq)", "no state lost on the way up in sight");
    cJSON *in = click_state(b, "unsequenced", seq);
    assert_string_equal(text(cJSON_GetArrayItem(cJSON_GetObjectItem(in, "hops"), 1), "kind", NULL),
                        "");
    cJSON_Delete(in);
    cJSON *box = browser_eval(b, "document.getElementById('inspect').textContent");
    print_message("unsequenced state %u, lost on the way up: %s\n", seq, box->valuestring);
    assert_non_null(strstr(box->valuestring, "netsim has no line for it (yet)"));
    const char *up_carrier = strstr(box->valuestring, "carried by"); /* the uplink's only */
    assert_true(up_carrier && !strstr(up_carrier + 1, "carried by"));
    cJSON_Delete(box);
}

/* Paused, a lost unsequenced state clicked: its bytes by the dissector's
 * names, dropped by netsim on one hop; the same state over TCP: the
 * segments that carried it, the first dropped, then sent again. */
static void look_inside(struct browser *b)
{
    cJSON_Delete(browser_eval(b, "lessonPage.pause(true)"));
    /* the newest state unsequenced lost whose TCP copy has arrived by the paused moment */
    unsigned seq = newest_seq(b, "lessonPage.drawn('unsequenced').filter((d) => d.status ==="
                                 " 'lost' && lessonPage.markPoint('tcp', d.seq)).map((d) => d.seq)",
                              "no state lost in sight");
    cJSON *in = click_state(b, "unsequenced", seq);
    assert_true(field(in, "ricochet.state.seq") == seq);
    assert_true(field(in, "ricochet.version") == 1);
    const cJSON *h;
    int dropped = -1, dir = 0;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(in, "hops")) {
        if (strlen(text(h, "drop", NULL)) && dropped < 0)
            dropped = dir;
        dir++;
    }
    print_message("unsequenced state %u: lost, dropped on the %s\n", seq,
                  dropped == 0 ? "uplink" : "downlink");
    assert_true(dropped >= 0);
    assert_string_equal(text(in, "status", NULL), "lost");
    cJSON_Delete(in);
    cJSON *banner = browser_eval(b, "document.getElementById('inspect').textContent");
    assert_non_null(strstr(banner->valuestring, "dropped by netsim"));
    assert_non_null(strstr(banner->valuestring, "ricochet.state.send_us"));
    cJSON_Delete(banner);
    /* paired: the same state lost in QUIC's and WebRTC's datagram lanes, each
     * named in what carries it there */
    static const struct {
        const char *lane, *carrier;
    } inside[] = {{"quic", "in a DATAGRAM frame"}, {"webrtc", "SCTP message of the unreliable"}};
    for (size_t k = 0; k < sizeof inside / sizeof inside[0]; k++) {
        in = click_state(b, inside[k].lane, seq);
        assert_string_equal(text(in, "status", NULL), "lost");
        cJSON_Delete(in);
        banner = browser_eval(b, "document.getElementById('inspect').textContent");
        if (!strstr(banner->valuestring, inside[k].carrier))
            fail_msg("%s state %u: %s", inside[k].lane, seq, banner->valuestring);
        print_message("%s state %u: lost, carried %s\n", inside[k].lane, seq, inside[k].carrier);
        cJSON_Delete(banner);
    }
    /* paired: TCP's segment of that state was dropped on the same hop, and sent again */
    in = click_state(b, "tcp", seq);
    banner = browser_eval(b, "document.getElementById('inspect').textContent");
    assert_null(strstr(banner->valuestring, "carried by")); /* a stream's: its segments */
    cJSON_Delete(banner);
    const cJSON *hop = cJSON_GetArrayItem(cJSON_GetObjectItem(in, "hops"), dropped);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(hop, "frame")));
    bool lost_seg = false, sent_again = false;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(hop, "segments")) {
        lost_seg |= strcmp(text(g, "event", NULL), "fwd") != 0;
        sent_again |= lost_seg && !strcmp(text(g, "event", NULL), "fwd");
    }
    print_message("tcp state %u: %s, %d segments over its frame\n", seq, text(in, "status", NULL),
                  cJSON_GetArraySize(cJSON_GetObjectItem(hop, "segments")));
    assert_true(lost_seg && sent_again);
    assert_string_equal(text(in, "status", NULL), "arrived");
    cJSON_Delete(in);
    lost_up_names_no_carrier(b);
    cJSON_Delete(browser_eval(b, "lessonPage.pause(false)"));
}

/* Bad controls and other requests, answered by the lesson. */
static void refuses_bad_input(const struct lesson *l)
{
    static const struct {
        const char *method, *path, *body, *says;
        int status;
    } cases[] = {
        {"PUT", "/model", "{\"path-loss\": 150}", "path-loss 150 is out of range", 400},
        {"PUT", "/model", "{\"path-delay\": -1}", "path-delay", 400},
        {"PUT", "/model", "{\"up-rate-kbps\": -3}", "--up-rate-kbps", 400},
        {"PUT", "/model", "{\"burst-length\": 500}", "burst-length", 400},
        {"PUT", "/model", "{\"relay\": \"x\"}", "not a setting of the model", 400},
        {"PUT", "/model", "{\"reorder-pct\": 5, \"path-delay\": 0}", "needs a delay", 400},
        {"PUT", "/model", "loss=5", "not a JSON object", 400},
        {"POST", "/model", "{}", "", 405},
        {"PUT", "/live.json", "{}", "", 405},
        {"DELETE", "/", NULL, "", 405},
        {"GET", "/etc/passwd", NULL, "", 404},
        {"GET", "/state?lane=unsequenced&seq=x", NULL, "want /state", 400},
        {"GET", "/state?lane=nope&seq=1", NULL, "no state", 404},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response r;
        assert_int_equal(http_send(l->at, cases[i].method, cases[i].path, cases[i].body, 10000,
                                   &r), 0);
        if (r.status != cases[i].status || !strstr(r.body, cases[i].says))
            fail_msg("%s %s %s: %d %s", cases[i].method, cases[i].path,
                     cases[i].body ? cases[i].body : "", r.status, r.body);
        if (cases[i].status == 400)
            assert_ptr_equal(strchr(r.body, '\n'), r.body + r.len - 1); /* one line */
        http_response_free(&r);
    }
}

/* The status of method path sent to the lesson naming host in Host; the
 * body into *text (the caller frees) if text is not NULL. */
static int status_as(const struct lesson *l, const char *host, const char *method,
                     const char *path, const char *body, char **text)
{
    struct http_response r;
    assert_int_equal(http_send_host(l->at, host, method, path, body, 10000, &r), 0);
    int status = r.status;
    if (text)
        *text = strdup(r.body);
    http_response_free(&r);
    return status;
}

/* A page whose name was rebound to 127.0.0.1 (DNS rebinding) asks under
 * that name: 421 on every path, the loss not turned up; under localhost
 * the lesson answers. */
static void refuses_a_foreign_host(const struct lesson *l)
{
    char host[96], *before, *after;
    const char *port = strrchr(l->at, ':') + 1;
    assert_int_equal(status_as(l, l->at, "GET", "/model", NULL, &before), 200);
    snprintf(host, sizeof host, "rebind.attacker.example:%s", port);
    const char *foreign[] = {"rebind.attacker.example", host};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(status_as(l, foreign[i], "PUT", "/model", "{\"path-loss\": 50}", NULL),
                         421);
        assert_int_equal(status_as(l, foreign[i], "GET", "/live.json", NULL, NULL), 421);
        assert_int_equal(status_as(l, foreign[i], "GET", "/", NULL, NULL), 421);
    }
    snprintf(host, sizeof host, "localhost:%s", port);
    assert_int_equal(status_as(l, host, "GET", "/model", NULL, &after), 200);
    assert_string_equal(after, before); /* the model as it was */
    assert_int_equal(status_as(l, "localhost", "GET", "/live.json", NULL, NULL), 200);
    free(before);
    free(after);
}

/* The lesson's child of that name (one). */
static pid_t child(const struct lesson *l, const char *comm)
{
    pid_t pid[4];
    size_t n = procs_children(l->proc.pid, comm, pid, 4);
    if (n != 1)
        fail_msg("%zu children named %s", n, comm);
    return pid[0];
}

/* SIGKILL to the lesson's child comm: the page says so, then every lane
 * runs again, a new generation of its clients. */
static void a_child_dies_and_comes_back(struct browser *b, const struct lesson *l,
                                        const char *comm, const char *said)
{
    cJSON *was = browser_eval(b, "lessonPage.snapshot().generation");
    char gen[64];
    assert_true(cJSON_IsString(was)); /* "INSTANCE.GENERATION" */
    snprintf(gen, sizeof gen, "%s", was->valuestring);
    cJSON_Delete(was);
    pid_t pid = child(l, comm);
    assert_int_equal(kill(pid, SIGKILL), 0);
    char expr[512];
    snprintf(expr, sizeof expr, "lessonPage.snapshot().status.incident.includes('%s was killed"
             " by signal 9')", said);
    if (!browser_wait(b, expr, 10000))
        lesson_fail_with_page(b, "the page never said the child died");
    snprintf(expr, sizeof expr, "(() => { const s = lessonPage.snapshot(); return s.generation !=="
             " '%s' && s.status.relay_up && s.status.netsim_up && s.lanes.every((l) =>"
             " l.state === 'missing' || (l.state === 'running' && l.marks > 10)); })()", gen);
    if (!browser_wait(b, expr, WAIT_MS))
        lesson_fail_with_page(b, "the lanes never came back");
    assert_false(procs_alive(pid));
    assert_true(child(l, comm) != pid);
    cJSON *s = page(b);
    print_message("%s killed: %s\n", comm, text(cJSON_GetObjectItem(s, "status"), "incident",
                                                NULL));
    cJSON_Delete(s);
}

/* What a stop must leave behind: nothing. The lesson's children and the
 * namespaces it holds, noted while it runs. */
struct run_facts {
    pid_t pids[4];
    size_t n_pids;
    uint64_t ns[8];
    size_t n_ns;
};

static void note_facts(const struct lesson *l, struct run_facts *f)
{
    memset(f, 0, sizeof *f);
    f->n_pids = procs_children(l->proc.pid, "ricochet-relay", f->pids, 4);
    f->n_pids += procs_children(l->proc.pid, "ricochet-netsim", f->pids + f->n_pids,
                                4 - f->n_pids);
    uint64_t all[8];
    size_t n = procs_netns_of(l->proc.pid, all, 8);
    for (size_t i = 1; i < n; i++) /* its own is the machine's */
        f->ns[f->n_ns++] = all[i];
    assert_true(f->n_pids == 2);
    assert_true(f->n_ns == 2); /* the client and the relay namespaces */
}

/* The files the children of a run write that their lesson removes when it
 * ends (their captured output, netsim's drop log and the key log), found
 * in /proc, into files. Returns how many. */
static size_t child_files(const struct run_facts *f, char (*files)[256], size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_pids; i++) {
        char path[64], args[4096];
        for (int fd = 1; fd <= 2 && n < cap; fd++) {
            snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)f->pids[i], fd);
            ssize_t len = readlink(path, files[n], sizeof files[n] - 1);
            if (len > 0 && (files[n][len] = '\0', !strncmp(files[n], "/tmp/", 5)))
                n++;
        }
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)f->pids[i]);
        FILE *c = fopen(path, "r");
        size_t got = c ? fread(args, 1, sizeof args - 1, c) : 0;
        if (c)
            fclose(c);
        args[got] = '\0';
        for (size_t at = 0; at < got && n < cap; at += strlen(args + at) + 1) /* NUL-separated */
            if ((!strcmp(args + at, "--drop-log") || !strcmp(args + at, "--keylog")) &&
                at + strlen(args + at) + 1 < got)
                snprintf(files[n++], sizeof files[0], "%s", args + at + strlen(args + at) + 1);
    }
    return n;
}

static void nothing_left(const struct run_facts *f)
{
    uint64_t deadline = clock_now_ms() + 10000;
    bool gone = false;
    while (!gone && clock_now_ms() < deadline) {
        gone = true;
        for (size_t i = 0; i < f->n_pids; i++)
            gone &= !procs_alive(f->pids[i]);
        for (size_t i = 0; i < f->n_ns; i++)
            gone &= !procs_netns_held(f->ns[i]);
        if (!gone)
            clock_sleep_ms(50);
    }
    assert_true(gone); /* the relay, netsim, both namespaces and so netsim's devices */
}

/* Whether lesson l runs its lanes in IP mode (namespaces); if not, it is
 * stopped, and the caller skips. */
static bool ip_mode_or_stop(struct lesson *l)
{
    cJSON *j = lesson_get_json(l, "/live.json");
    bool ip = j && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "ip_mode"));
    cJSON_Delete(j);
    if (!ip) {
        spawn_stop(&l->proc, SIGINT, 15000);
        spawn_free(&l->proc);
    }
    return ip;
}

static const char *const live_args[] = {"--port", "0", "--door-port", "0", "--rate", RATE,
                                        "--duration", "20", "--grace", GRACE, "--seed", "3",
                                        NULL};

static void the_page_teaches(void **state)
{
    (void)state;
    struct lesson l;
    char dir[] = "/tmp/ricochet-lesson-XXXXXX", png[160];
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", live_args);
    if (!ip_mode_or_stop(&l))
        skip(); /* no namespaces here: without_namespaces covers it */
    if (!lanes_running(&l, WAIT_MS))
        fail_msg("the lanes never ran");
    servers_tmpdir(dir);
    struct browser *b = browser_open(dir, l.url, 1500, 2650);
    if (!browser_wait(b, "window.lessonPage && lessonPage.snapshot().lanes.length >= 16 &&"
                         " lessonPage.snapshot().lanes.every((l) => l.state === 'missing' ||"
                         " (l.figures && l.figures.valid))",
                      WAIT_MS))
        lesson_fail_with_page(b, "the page never drew every lane");
    cJSON *from = browser_eval(b, "performance.getEntriesByType('resource')"
                                  ".map((e) => e.name).concat([location.href])");
    const cJSON *e;
    cJSON_ArrayForEach(e, from) /* everything from the lesson: it works offline */
        if (strncmp(e->valuestring, l.url, strlen(l.url)) != 0)
            fail_msg("the page loaded %s", e->valuestring);
    cJSON_Delete(from);
    fields_are_the_dissectors(b);
    asking_costs(b);
    loss_from_the_page(b, &l);
    bool update = getenv("RICOCHET_SHOT_UPDATE") && !strcmp(getenv("RICOCHET_SHOT_UPDATE"), "1");
    snprintf(png, sizeof png, "%s/lesson.png", dir);
    long size = browser_screenshot(b, update ? "docs/lesson-page.png" : png);
    print_message("screenshot: %s, %ld bytes\n", update ? "docs/lesson-page.png" : png, size);
    assert_true(size > 50000);
    look_inside(b);
    refuses_bad_input(&l);
    a_child_dies_and_comes_back(b, &l, "ricochet-relay", "the relay");
    a_child_dies_and_comes_back(b, &l, "ricochet-netsim", "netsim");
    struct run_facts f;
    note_facts(&l, &f);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0); /* Ctrl-C */
    nothing_left(&f);
    if (!browser_wait(b, "lessonPage.snapshot().error.includes('does not answer')", 5000))
        lesson_fail_with_page(b, "the page never said its server went");
    browser_close(b);
    servers_remove_tree(dir);
    spawn_free(&l.proc);
}

/* The lesson started with args, its lanes running in IP mode: true; false
 * (the lesson stopped) without namespaces; the test fails if they never ran. */
static bool start_ip(struct lesson *l, const char *const *args)
{
    lesson_start(l, harness_bin_dir(), "ricochet-lesson", args);
    if (!ip_mode_or_stop(l))
        return false;
    if (lanes_running(l, WAIT_MS))
        return true;
    spawn_stop(&l->proc, SIGINT, 15000);
    spawn_free(&l->proc);
    fail_msg("the lanes never ran");
    return false;
}

/* Whether lane name of live.json j is in state, its why holding why_has
 * (NULL: anything). */
static bool lane_is(const cJSON *j, const char *name, const char *state, const char *why_has)
{
    const cJSON *x = lane(j, name);
    return x && !strcmp(text(x, "state", NULL), state) &&
           (!why_has || strstr(text(x, "why", NULL), why_has));
}

/* Every TCP connection of the relay's namespace torn down (ss -K, as a
 * middlebox's reset would): the tcp lane's clients are disconnected and
 * made again, that lane alone, which says so on its strip until its
 * figures' window (3 s and the grace) no longer holds the cut; the
 * lanes' generation stays (no lane started the others again), and the
 * unsequenced lane runs throughout. */
static void a_lane_alone_connects_again(void **state)
{
    (void)state;
    static const char *const args[] = {"--port", "0", "--door-port", "0", "--rate", RATE,
                                       "--duration", "3", "--grace", GRACE, "--seed", "3",
                                       NULL};
    struct lesson l;
    if (!start_ip(&l, args))
        skip();
    cJSON *j = lesson_get_json(&l, "/live.json");
    char gen[64], cmd[160];
    snprintf(gen, sizeof gen, "%s", text(j, "generation", NULL));
    cJSON_Delete(j);
    snprintf(cmd, sizeof cmd, "nsenter --net=/proc/%d/ns/net ss -K -tn state established "
             ">/dev/null", (int)child(&l, "ricochet-relay"));
    assert_int_equal(system(cmd), 0);
    bool again = false, steady = true;
    uint64_t end = clock_now_ms() + WAIT_MS, again_ms = 0;
    while (!again && clock_now_ms() < end) {
        clock_sleep_ms(250);
        j = lesson_get_json(&l, "/live.json");
        assert_non_null(j);
        again = lane_is(j, "tcp", "running", "connected again");
        steady &= lane_is(j, "unsequenced", "running", NULL) &&
                  !strcmp(text(j, "generation", NULL), gen);
        if (!again && lane(j, "tcp"))
            print_message("tcp: %s: %s\n", text(lane(j, "tcp"), "state", NULL),
                          text(lane(j, "tcp"), "why", NULL));
        cJSON_Delete(j);
    }
    assert_true(again);
    assert_true(steady);
    again_ms = clock_now_ms();
    bool said = true; /* the cut said until the window is past it, then nothing */
    end = clock_now_ms() + WAIT_MS;
    while (said && clock_now_ms() < end) {
        clock_sleep_ms(250);
        j = lesson_get_json(&l, "/live.json");
        assert_non_null(j);
        said = !lane_is(j, "tcp", "running", "") || text(lane(j, "tcp"), "why", NULL)[0];
        cJSON_Delete(j);
    }
    assert_false(said);
    print_message("the tcp lane said it connected again for %llu ms\n",
                  (unsigned long long)(clock_now_ms() - again_ms));
    assert_true(clock_now_ms() - again_ms >= 7000); /* --duration 3 and --grace 5, polled */
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
}

/* How many lanes of live.json j run. */
static int lanes_in(const cJSON *j, const char *state)
{
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "lanes"))
        n += !strcmp(text(x, "state", NULL), state);
    return n;
}

/* Started at 45% loss each way, some lanes' first joins are lost past
 * their deadline: those lanes connect again alone, the others start and
 * run; the lanes' generation is set once and stays (no lane that could
 * not join started them all again). */
static void a_lane_that_cannot_join_holds_no_one_back(void **state)
{
    (void)state;
    struct lesson l;
    const char *args[] = {"--port", "0", "--door-port", "0", "--rate", RATE, "--duration", "20",
                          "--grace", GRACE, "--seed", "3", "--path-loss", "45", NULL};
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    if (!ip_mode_or_stop(&l))
        skip();
    cJSON *j;
    char gen[64] = "";
    uint64_t end = clock_now_ms() + WAIT_MS;
    while (!gen[0] && clock_now_ms() < end) { /* the first start */
        clock_sleep_ms(250);
        j = lesson_get_json(&l, "/live.json");
        assert_non_null(j);
        if (lanes_in(j, "running") > 0)
            snprintf(gen, sizeof gen, "%s", text(j, "generation", NULL));
        cJSON_Delete(j);
    }
    if (!gen[0])
        fail_msg("no lane ever ran at 45%% loss");
    int least = 99;
    for (end = clock_now_ms() + 15000; clock_now_ms() < end;) {
        clock_sleep_ms(500);
        j = lesson_get_json(&l, "/live.json");
        assert_non_null(j);
        if (strcmp(text(j, "generation", NULL), gen) != 0)
            fail_msg("the lanes started again: generation %s, then %s (%s)", gen,
                     text(j, "generation", NULL),
                     text(cJSON_GetObjectItem(j, "status"), "incident", ""));
        int running = lanes_in(j, "running");
        least = running < least ? running : least;
        cJSON_Delete(j);
    }
    print_message("at 45%% loss: generation %s throughout, at least %d lanes running\n", gen,
                  least);
    assert_true(least > 0);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
}

/* States of lane name lost with nothing to say why (netsim dropped them on
 * neither hop), of those live.json j holds. */
static int lost_unexplained(const cJSON *j, const char *name)
{
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(lane(j, name), "marks"))
        n += cJSON_GetArrayItem(m, 2)->valueint == 2 && !cJSON_GetArrayItem(m, 8)->valuestring[0] &&
             !cJSON_GetArrayItem(m, 9)->valuestring[0];
    return n;
}

/* The relay stopped for a moment (SIGSTOP, 300 ms: a machine busy with
 * other work), at 0% loss: the unreliable lanes' states of that moment
 * come late, none is lost that netsim does not explain (a relay that
 * sheds what it forwards late would lose them with no word on the page). */
static void a_relay_late_loses_nothing(void **state)
{
    (void)state;
    struct lesson l;
    if (!start_ip(&l, live_args))
        skip();
    pid_t relay = child(&l, "ricochet-relay");
    for (int k = 0; k < 3; k++) {
        assert_int_equal(kill(relay, SIGSTOP), 0);
        clock_sleep_ms(300);
        assert_int_equal(kill(relay, SIGCONT), 0);
        clock_sleep_ms(700);
    }
    clock_sleep_ms(4000); /* past the grace: each of those states arrived or is lost */
    cJSON *j = lesson_get_json(&l, "/live.json");
    assert_non_null(j);
    static const char *const lanes[] = {"udp", "unsequenced", "sequenced", "quic"};
    for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++) {
        int lost = lost_unexplained(j, lanes[i]);
        if (lost)
            fail_msg("%s: %d states lost that no one explains", lanes[i], lost);
    }
    cJSON_Delete(j);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
}

/* A lesson killed outright (a crash) takes its children and namespaces
 * with it. */
static void a_crash_leaves_nothing(void **state)
{
    (void)state;
    struct lesson l;
    if (!start_ip(&l, live_args))
        skip();
    struct run_facts f;
    note_facts(&l, &f);
    char files[8][256];
    size_t n_files = child_files(&f, files, 8);
    spawn_stop(&l.proc, SIGKILL, 5000);
    nothing_left(&f);
    spawn_free(&l.proc);
    for (size_t i = 0; i < n_files; i++) /* what a killed lesson could not remove */
        unlink(files[i]);
}

/* Without IP mode the door is UDP's alone, through netsim's proxy of the
 * udp edge: the line and live.json say so; the docs' Python player joins
 * through it and netsim carries its states. */
static void door_through_the_proxy(const struct lesson *l)
{
    char *out = spawn_read_stdout(&l->proc), port[8], err[256];
    const char *at = out ? strstr(out, "through the same network: udp://127.0.0.1:") : NULL;
    assert_non_null(at);
    assert_non_null(strstr(at, ", not TCP: no IP mode here"));
    snprintf(port, sizeof port, "%d", atoi(at + strlen("through the same network: udp://127.0.0.1:")));
    free(out);
    struct spawn_proc py;
    const char *args[] = {"examples/sockets/udp_player.py", "127.0.0.1", port, "3", NULL};
    assert_int_equal(spawn_start(&py, "/usr/bin", "python3", args, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&py, 0, 15000), 0);
    spawn_free(&py);
    cJSON *j = NULL;
    const cJSON *g = NULL;
    uint64_t deadline = clock_now_ms() + 10000;
    do { /* netsim's drop log read a publish later */
        cJSON_Delete(j);
        clock_sleep_ms(300);
        j = lesson_get_json(l, "/live.json");
        g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "guests"), 0);
    } while (!(g && num(g, "fwd_up", NULL) >= 40) && clock_now_ms() < deadline);
    const cJSON *door = cJSON_GetObjectItem(j, "door");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(door, "proxy")));
    assert_string_equal(text(door, "tcp", NULL), "");
    assert_non_null(strstr(text(door, "why", NULL), "IP mode"));
    assert_non_null(g);
    print_message("the door without IP mode: %s joined from %s, %.0f states, netsim carried "
                  "%.0f\n", text(g, "name", NULL), text(g, "endpoint", NULL),
                  num(g, "states_up", NULL), num(g, "fwd_up", NULL));
    assert_string_equal(text(g, "room", NULL), "lobby");
    assert_true(num(g, "id", NULL) > 0 && num(g, "fwd_up", NULL) >= 40);
    cJSON_Delete(j);
}

/* In a user namespace of its own without a mapping the lesson may make no
 * namespace: one line says which lanes are missing and how to get them;
 * the page lists them with why; the datagram lanes run through netsim's
 * UDP proxy. */
static void without_namespaces(void **state)
{
    (void)state;
    struct lesson l;
    char lesson[512];
    snprintf(lesson, sizeof lesson, "%s/ricochet-lesson", harness_bin_dir());
    const char *args[] = {"--user", lesson, "--port", "0", "--door-port", "0", "--rate", RATE,
                          "--duration", "5", NULL};
    lesson_start(&l, "/usr/bin", "unshare", args);
    if (!lanes_running(&l, WAIT_MS))
        fail_msg("the datagram lanes never ran");
    cJSON *j = lesson_get_json(&l, "/live.json");
    const cJSON *st = cJSON_GetObjectItem(j, "status");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(st, "ip_mode")));
    print_message("missing: %s\n", text(st, "missing", NULL));
    assert_non_null(strstr(text(st, "missing", NULL), "tcp, ws"));
    assert_non_null(strstr(text(st, "missing", NULL), "unprivileged_userns_clone"));
    static const char *const streams[] = {"tcp", "ws", "poll-long", "poll-short"};
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        assert_string_equal(text(lane(j, streams[i]), "state", NULL), "missing");
        assert_non_null(strstr(text(lane(j, streams[i]), "why", NULL), "IP mode"));
    }
    /* QUIC's and WebTransport's lanes drawn too: netsim reads their states
     * with the key log */
    static const char *const datagrams[] = {"unsequenced",    "udp",           "webrtc",
                                            "webrtc-reliable", "quic",          "quic-sequenced",
                                            "quic-reliable",  "quic-streams",  "wt",
                                            "wt-reliable",    "wt-streams"};
    for (size_t i = 0; i < sizeof datagrams / sizeof datagrams[0]; i++) {
        double pct = num(cJSON_GetObjectItem(lane(j, datagrams[i]), "figures"), "delivered_pct",
                         NULL);
        print_message("  %-17s %6.2f%% delivered\n", datagrams[i], pct);
        assert_true(pct > 0);
    }
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(st, "netsim_metrics")), 4);
    cJSON_Delete(j);
    door_through_the_proxy(&l);
    refuses_a_foreign_host(&l);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    char *err = spawn_read_stderr(&l.proc);
    const char *line = strstr(err, "ricochet-lesson: no IP mode here");
    assert_non_null(line);
    assert_null(strstr(line + strlen("ricochet-lesson: no IP mode here"), "no IP mode here"));
    free(err);
    spawn_free(&l.proc);
}

/* A live.json lane's marks: how many of each sender's (up to 4). */
static void per_sender(const cJSON *ln, int counts[4])
{
    const cJSON *m;
    memset(counts, 0, 4 * sizeof counts[0]);
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(ln, "marks")) {
        const cJSON *sender = cJSON_GetArrayItem(m, 10);
        if (cJSON_IsNumber(sender) && sender->valueint >= 0 && sender->valueint < 4)
            counts[sender->valueint]++;
    }
}

/* How many of sender k's states the live.json lane's marks say arrived
 * (a latency). */
static int arrived_of(const cJSON *ln, int k)
{
    const cJSON *m;
    int n = 0;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(ln, "marks")) {
        const cJSON *sender = cJSON_GetArrayItem(m, 10);
        n += cJSON_IsNumber(sender) && sender->valueint == k &&
             cJSON_IsNumber(cJSON_GetArrayItem(m, 3));
    }
    return n;
}

/* Four senders per lane through one network losing 4% end to end: every
 * lane's states are per sender (HTTP polling's lanes too: each sender's
 * states arrive by the receiver's GETs); over TCP (one stream) a state lost on the
 * downlink holds back the other senders' states behind it, over QUIC's
 * stream per sender it never does. The count is the lesson's "held": the
 * states that passed netsim after another sender's lost state and before
 * its copy that came, and still arrived after it (orders, not times). */
static void four_senders(void **state)
{
    (void)state;
    struct lesson l;
    static const char *const args[] = {"--port", "0", "--door-port", "0", "--rate", "20",
                                       "--duration", "20", "--grace", GRACE, "--seed", "3",
                                       "--senders", "4", NULL};
    if (!start_ip(&l, args))
        skip(); /* the TCP lane needs IP mode */
    cJSON *j;
    struct http_response r;
    assert_int_equal(http_send(l.at, "PUT", "/model", "{\"path-loss\": 4}", 10000, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    double tcp_held = 0, streams_held = 0, samples = 0;
    double froze[2][2] = {{0}}; /* tcp, quic-streams: a sender's longest freeze, all four's */
    static const char *const polls[] = {"poll-long", "poll-short"};
    bool polled[2] = {false, false}; /* each seen with all four senders' states arrived */
    uint64_t deadline = clock_now_ms() + 2 * WAIT_MS;
    while (clock_now_ms() < deadline && (tcp_held < 1 || samples < 40 || !polled[0] ||
                                         !polled[1])) {
        clock_sleep_ms(500);
        j = lesson_get_json(&l, "/live.json");
        assert_non_null(j);
        assert_int_equal((int)num(j, "senders", NULL), 4);
        const cJSON *tcp = lane(j, "tcp"), *streams = lane(j, "quic-streams"), *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "lanes")) {
            if (strcmp(text(x, "state", NULL), "running") != 0)
                continue;
            int counts[4];
            per_sender(x, counts);
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(x, "sender_ids")), 4);
            for (int k = 0; k < 4 && samples == 0; k++) /* each sender's states, from the start */
                if (counts[k] == 0)
                    fail_msg("%s: no state of sender %d", text(x, "name", NULL), k);
        }
        for (size_t p = 0; p < 2; p++) {
            const cJSON *pl = lane(j, polls[p]);
            bool all = !strcmp(text(pl, "state", NULL), "running");
            for (int k = 0; k < 4 && all; k++)
                all = arrived_of(pl, k) > 0;
            polled[p] = polled[p] || all;
        }
        if (!strcmp(text(tcp, "state", NULL), "running") &&
            !strcmp(text(streams, "state", NULL), "running")) {
            samples++;
            tcp_held = fmax(tcp_held, num(cJSON_GetObjectItem(tcp, "figures"), "held", NULL));
            streams_held = fmax(streams_held,
                                num(cJSON_GetObjectItem(streams, "figures"), "held", NULL));
            for (int w = 0; w < 2; w++) {
                const cJSON *f = cJSON_GetObjectItem(w ? streams : tcp, "figures");
                froze[w][0] = fmax(froze[w][0], num(f, "max_gap_sender_ms", NULL));
                froze[w][1] = fmax(froze[w][1], num(f, "max_gap_ms", NULL));
            }
        }
        cJSON_Delete(j);
    }
    print_message("four senders at 4%% loss, %.0f samples: held back behind another sender's "
                  "loss, at most %.0f states over TCP, %.0f over QUIC's stream per sender\n",
                  samples, tcp_held, streams_held);
    print_message("longest freeze: tcp a sender's %.0f ms, all four at once %.0f ms; "
                  "quic-streams %.0f and %.0f ms\n", froze[0][0], froze[0][1], froze[1][0],
                  froze[1][1]);
    assert_true(polled[0] && polled[1]);
    assert_true(streams_held == 0); /* orders: never, however loaded the machine */
    if (samples >= 20) /* a loaded machine's lanes start again (a client too slow for the
                          relay) before a window has passed: then too few to say */
        assert_true(tcp_held >= 1);
    else
        print_message("too few samples with both lanes running to judge TCP's\n");
    assert_int_equal(http_send(l.at, "PUT", "/senders", "{\"senders\": 1}", 10000, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    assert_int_equal(http_send(l.at, "PUT", "/senders", "{\"senders\": 3}", 10000, &r), 0);
    assert_int_equal(r.status, 400); /* 1 or 4 */
    http_response_free(&r);
    deadline = clock_now_ms() + WAIT_MS;
    bool one = false;
    while (!one && clock_now_ms() < deadline) {
        clock_sleep_ms(250);
        j = lesson_get_json(&l, "/live.json");
        const cJSON *tcp = lane(j, "tcp");
        one = num(j, "senders", NULL) == 1 &&
              cJSON_GetArraySize(cJSON_GetObjectItem(tcp, "sender_ids")) == 1 &&
              !strcmp(text(tcp, "state", NULL), "running");
        cJSON_Delete(j);
    }
    assert_true(one);
    assert_int_equal(spawn_stop(&l.proc, SIGINT, 15000), 0);
    spawn_free(&l.proc);
}

/* Options refused: one line each, status 2. */
static void options_refused(void **state)
{
    (void)state;
    static const char *const cases[][8] = {
        {"--port", "0", "--rate", "60", "--duration", "30", NULL},
        {"--port", "0", "--relay", "127.0.0.1:9", NULL},
        {"--port", "0", "--path-loss", "100", NULL},
        {"--port", "70000", NULL},
        {"--port", "0", "--senders", "2", NULL},
    };
    static const char *const says[] = {"keeps a lane's last", "--relay", "--path-loss",
                                       "--port", "--senders"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct spawn_proc p;
        assert_int_equal(harness_spawn(&p, "ricochet-lesson", cases[i]), 0);
        assert_int_equal(spawn_stop(&p, 0, 10000), 2);
        char *err = spawn_read_stderr(&p);
        assert_non_null(strstr(err, says[i]));
        assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err)); /* one line */
        free(err);
        spawn_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_page_teaches),
        cmocka_unit_test(a_crash_leaves_nothing),
        cmocka_unit_test(a_lane_alone_connects_again),
        cmocka_unit_test(a_lane_that_cannot_join_holds_no_one_back),
        cmocka_unit_test(a_relay_late_loses_nothing),
        cmocka_unit_test(without_namespaces),
        cmocka_unit_test(four_senders),
        cmocka_unit_test(options_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
