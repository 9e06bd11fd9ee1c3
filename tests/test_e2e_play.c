/* test_e2e_play.c: the play page in headless Chromium against a real relay,
 * over WebSocket, WebRTC and WebTransport: what it loads, ricochet.js held to
 * PROTOCOL.md, bots of other edges moving on it and receiving its states. */
/* The play page (`client/js/`) in headless Chromium driven
 * over the DevTools protocol (`tests/support/browser.c`: a tab, JavaScript
 * evaluated, keys, screenshots), served by the relay's WebSocket edge:
 * everything it loads from the relay, `ricochet.js` against PROTOCOL.md
 * (`tests/support/ricochet_checks.js`, evaluated in the page: the example state
 * byte for byte, every refusal of states, batches and control messages, receive
 * statistics across the wrap, clock offsets, interpolation); an ENet bot and a
 * plain-UDP bot (named Nguyễn: the page shows the name whole) in one room with
 * the page: both move on it
 * (`window.ricochetPlay.snapshot()` read twice) with their modes and a one-way
 * latency, arriving as `ws`; the arrow keys steer the page's avatar, a chat
 * line typed comes back; the route switched to WebRTC (the relay's webrtc edge,
 * the offer through `/rtc`), the page joins again and the bots move on it
 * arriving as `unsequenced`, the mode menu sends `reliable` and the page's
 * reflected states keep coming; each bot receives the page's states of both
 * sessions with a one-way latency; a screenshot (`RICOCHET_SHOT_UPDATE=1`: into
 * `docs/play-page.png`); over WebTransport (Chromium with no flag of QUIC's, a
 * fresh profile, the certificate trusted by the hash the relay's `GET /wt`
 * gives): with an ENet bot and a WebSocket bot, the page opens its session on
 * the quic edge's ALPN `h3`, draws both bots moving, its states reflected in
 * every mode the route has (datagrams unsequenced and sequenced, reliable,
 * streams), both bots receive them, and the edge counted one session and
 * nothing refused; through `ricochet-netsim`'s proxy in front of the quic edge
 * at 5% loss each way (the page's `wtport`), the route loses about what netsim
 * dropped on the way down; a page that only listens (`ricochet.js`'s `Session`
 * over WebTransport, no state sent) still the same member four seconds into a
 * relay's `--timeout-ms 1200` (Chromium, were it told 1200 ms, would close it
 * after 200 ms of quiet), its pings within a third of the timeout `GET /wt`
 * names, and its pings stopped, gone at the relay's timeout (`timeout`, not
 * Chromium's `quit`); another page's `close()` a leave and its connection gone
 * at once, no join timeout counted; the lobby, on a relay of rooms of two: two
 * sessions of the page's own joined any room under `game-` are both in
 * `game-1`, which the lobby shows full, "join any" takes the page to `game-2`
 * (its URL following), and once `game-1` has space its row's button takes the
 * page there; a page whose URL names no room opens the lobby first, the bot's
 * room listed, still the one session past the relay's 2 s join timeout (it
 * watches the rooms) and told of a second bot in that room, and a click
 * joins it in that same session; on a relay with
 * neither quic nor webrtc edge the page offers neither route (a URL asking
 * for WebTransport plays over WebSocket), and at 1200 px its players' table
 * stays within the window; rooms with properties made by the page's own
 * sessions listed with them, the lobby's filter listing only those whose
 * properties hold it (one not key=value pairs said, not sent), and the join
 * form making a room with the properties typed */
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

#include <cjson/cJSON.h>

#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/servers.h"

#define WAIT_MS 15000
#define ROOM "play"
#define PAGE_NAME "web"
#define UDP_BOT "Nguyễn" /* a name in its own script: the page shows it whole */

/* A relay with five edges: ENet, plain UDP, WebSocket (the page's
 * origin), WebRTC (its offers arrive through the WebSocket edge) and QUIC
 * (WebTransport's sessions, on ALPN h3). */
struct relay4 {
    struct spawn_proc relay;
    uint16_t enet, udp, ws;
};

static void relay4_start(struct relay4 *r)
{
    const char *args[] = { "--listen", "enet://127.0.0.1:0", "--listen", "udp://127.0.0.1:0",
                           "--listen", "ws://127.0.0.1:0", "--listen", "webrtc://127.0.0.1:0",
                           "--listen", "quic://127.0.0.1:0", "--stats-interval", "0", NULL };
    int port = harness_start_relay(&r->relay, args);
    assert_true(port > 0);
    r->enet = (uint16_t)port;
    r->udp = harness_edge_port(&r->relay, "udp");
    r->ws = harness_edge_port(&r->relay, "ws");
}

static void relay4_stop(struct relay4 *r)
{
    free(harness_relay_finish(&r->relay));
    spawn_free(&r->relay);
}

static void bot(struct spawn_proc *p, uint16_t port, const char *mode, const char *name,
                const char *seed)
{
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    const char *args[] = { "--port", port_s, "--room", ROOM, "--name", name, "--mode", mode,
                           "--rate", "20", "--duration", "0", "--seed", seed, "--json",
                           "--log-level", "error", NULL };
    assert_int_equal(harness_spawn(p, "ricochet-bot", args), 0);
}

/* The page's snapshot (window.ricochetPlay.snapshot()). */
static cJSON *snapshot(struct browser *b)
{
    cJSON *s = browser_eval(b, "window.ricochetPlay.snapshot()");
    assert_true(cJSON_IsObject(s));
    return s;
}

static double number(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *text(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The snapshot's member called name (NULL if none). */
static const cJSON *member(const cJSON *snap, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(snap, "members"))
        if (strcmp(text(m, "name"), name) == 0)
            return m;
    return NULL;
}

static void fail_with_console(struct browser *b, const char *what)
{
    browser_fail(b, "window.ricochetPlay && window.ricochetPlay.snapshot()", what);
}

static void module_holds_to_the_protocol(void **state)
{
    (void)state;
    struct relay4 r;
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[160];
    relay4_start(&r);
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play?room=codec&name=codec", (unsigned)r.ws);
    struct browser *b = browser_open(dir, url, 1280, 860);
    if (!browser_wait(b, "window.ricochetPlay", WAIT_MS))
        fail_with_console(b, "the page never loaded");
    /* Everything the page loaded came from the relay: it works offline. */
    cJSON *from = browser_eval(b, "performance.getEntriesByType('resource')"
                                  ".map((e) => e.name).concat([location.href])");
    const cJSON *e;
    int loaded = 0;
    cJSON_ArrayForEach(e, from) {
        char origin[64];
        snprintf(origin, sizeof origin, "http://127.0.0.1:%u/", (unsigned)r.ws);
        assert_true(cJSON_IsString(e));
        if (strncmp(e->valuestring, origin, strlen(origin)) != 0)
            fail_msg("the page loaded %s", e->valuestring);
        loaded++;
    }
    assert_true(loaded >= 3); /* the page, play.js, ricochet.js */
    cJSON_Delete(from);

    char *checks = harness_read_text("tests/support/ricochet_checks.js");
    assert_non_null(checks);
    cJSON *failed = browser_eval(b, checks);
    free(checks);
    if (!cJSON_IsArray(failed))
        fail_with_console(b, "the checks did not run");
    const cJSON *f;
    cJSON_ArrayForEach(f, failed)
        print_error("ricochet.js: %s\n", cJSON_IsString(f) ? f->valuestring : "?");
    assert_int_equal(cJSON_GetArraySize(failed), 0);
    cJSON_Delete(failed);
    browser_close(b);
    servers_remove_tree(dir);
    relay4_stop(&r);
}

/* Both bots listed, drawn between two states, with a latency each, their
 * states arriving as arrived (the route's way down); I am joined over route.
 * The bots: enet-1 and Nguyễn-1 (plain UDP), or enet-1 and ws-1 (other). */
static const char *other = UDP_BOT "-1";

static bool bots_seen(struct browser *b, const char *route, const char *arrived)
{
    char expr[1024];
    snprintf(expr, sizeof expr,
             "window.ricochetPlay && (() => { const s = window.ricochetPlay.snapshot();"
             " const ok = (n) => s.members.some((v) => v.name === n && v.view === 'between' &&"
             " v.latencyKnown && v.arrivedAs === '%s');"
             " return s.phase === 'joined' && s.route === '%s' && s.me.clockKnown &&"
             " ok('enet-1') && ok('%s'); })()", arrived, route, other);
    return browser_wait(b, expr, WAIT_MS);
}

#define MOVE_SAMPLES 11 /* 200 ms apart: two seconds */

/* Both bots move on the page: the path their drawn positions take over two
 * seconds, each with its mode, arriving as arrived, with a latency. A
 * bot's path is a Lissajous figure (amplitudes 15 to 45, 0.2 to 1 rad/s):
 * two positions a second apart around a corner, where both coordinates
 * turn, may be 0.2 apart (one CI run), but the path through it is longer
 * than 0.5 in any two seconds. */
static void bots_move(struct browser *b, const char *arrived)
{
    cJSON *s[MOVE_SAMPLES];
    for (int k = 0; k < MOVE_SAMPLES; k++) {
        if (k)
            clock_sleep_ms(200);
        s[k] = snapshot(b);
    }
    const char *const names[] = { "enet-1", other };
    const char *const modes[] = { "unsequenced", strcmp(other, "ws-1") == 0 ? "ws" : "udp" };
    for (int i = 0; i < 2; i++) {
        double path = 0;
        for (int k = 1; k < MOVE_SAMPLES; k++) {
            const cJSON *p = member(s[k - 1], names[i]), *q = member(s[k], names[i]);
            assert_non_null(p);
            assert_non_null(q);
            path += hypot(number(q, "x") - number(p, "x"), number(q, "y") - number(p, "y"));
        }
        const cJSON *a = member(s[0], names[i]), *c = member(s[MOVE_SAMPLES - 1], names[i]);
        print_message("%s: (%.1f, %.1f) then (%.1f, %.1f), %.1f along its path, mode %s "
                      "arriving as %s, latency %.2f +- %.2f ms, loss %.1f%%\n", names[i],
                      number(a, "x"), number(a, "y"), number(c, "x"), number(c, "y"), path,
                      text(c, "mode"), text(c, "arrivedAs"), number(c, "latencyMs"),
                      number(c, "boundMs"), number(c, "lossPct"));
        assert_true(path > 0.5);
        assert_string_equal(text(c, "mode"), modes[i]);
        assert_string_equal(text(c, "arrivedAs"), arrived);
        assert_true(number(c, "received") > number(a, "received"));
        assert_true(number(c, "latencyMs") >= 0 && number(c, "latencyMs") < 500);
    }
    for (int k = 0; k < MOVE_SAMPLES; k++)
        cJSON_Delete(s[k]);
}

/* The arrows steer my avatar: sideways, then up or down, a second each. */
static void steer(struct browser *b)
{
    cJSON *s = snapshot(b);
    const cJSON *me = cJSON_GetObjectItem(s, "me");
    double x0 = number(me, "x"), y0 = number(me, "y");
    cJSON_Delete(s);
    const char *x_key = x0 < 50 ? "ArrowRight" : "ArrowLeft";
    const char *y_key = y0 < 50 ? "ArrowDown" : "ArrowUp";
    browser_key(b, x_key, true);
    clock_sleep_ms(1000);
    browser_key(b, x_key, false);
    browser_key(b, y_key, true);
    clock_sleep_ms(1000);
    browser_key(b, y_key, false);
    s = snapshot(b);
    me = cJSON_GetObjectItem(s, "me");
    double dx = fabs(number(me, "x") - x0), dy = fabs(number(me, "y") - y0);
    print_message("me: (%.1f, %.1f) then (%.1f, %.1f), %.0f states sent, round trip %.2f ms\n",
                  x0, y0, number(me, "x"), number(me, "y"), number(me, "sent"),
                  number(me, "rttMs"));
    assert_true(dx > 15 && dx < 35); /* 25 arena units a second, for a second */
    assert_true(dy > 15 && dy < 35);
    assert_true(number(me, "vx") == 0 && number(me, "vy") == 0); /* keys released: stopped */
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(me, "echo"))); /* the relay reflected me */
    if (number(me, "bad") != 0)
        fail_msg("the page counted %.0f bad messages, the last: %s", number(me, "bad"),
                 text(me, "lastBad"));
    cJSON_Delete(s);
}

/* Enter opens the chat line; typed and sent with Enter, it comes back. */
static void chat(struct browser *b)
{
    browser_key(b, "Enter", true);
    browser_key(b, "Enter", false);
    for (const char *c = "hi bots"; *c; c++) {
        char key[2] = { *c, '\0' };
        browser_key(b, key, true);
        browser_key(b, key, false);
    }
    browser_key(b, "Enter", true);
    browser_key(b, "Enter", false);
    if (!browser_wait(b, "window.ricochetPlay.snapshot().chat.some((c) => c.name === '" PAGE_NAME
                         "' && c.text === 'hi bots')", WAIT_MS))
        fail_with_console(b, "the chat line never came back");
}

/* The route switch to datagrams: the page joins again over WebRTC; then
 * the mode menu sends reliable, on the control channel, and my reflected
 * states keep coming back. */
static void switch_to_webrtc(struct browser *b)
{
    cJSON_Delete(browser_eval(b, "document.querySelector('input[value=webrtc]').click()"));
    if (!bots_seen(b, "webrtc", "unsequenced"))
        fail_with_console(b, "the page never played over WebRTC");
    bots_move(b, "unsequenced");
    double before = browser_eval_number(b, "window.ricochetPlay.snapshot().me.echo.seq");
    cJSON_Delete(browser_eval(b, "(() => { const m = document.getElementById('mode');"
                                 " m.value = 'reliable'; m.dispatchEvent(new Event('change')); })()"));
    char expr[160];
    snprintf(expr, sizeof expr, "window.ricochetPlay.snapshot().mode === 'reliable' &&"
             " window.ricochetPlay.snapshot().me.echo.seq > %.0f + 10", before);
    if (!browser_wait(b, expr, WAIT_MS))
        fail_with_console(b, "my reliable states never came back");
    cJSON *s = snapshot(b);
    const cJSON *routes = cJSON_GetObjectItem(s, "routes");
    for (int i = 0; i < 2; i++) {
        const cJSON *r = cJSON_GetObjectItem(routes, i ? "webrtc" : "ws");
        print_message("route %s: %.0f states received, %.1f%% lost, p99 %.2f ms\n",
                      i ? "webrtc" : "ws", number(r, "received"), number(r, "lossPct"),
                      number(r, "p99Us") / 1000);
        assert_true(number(r, "received") > 0 && number(r, "sessions") == 1);
    }
    cJSON_Delete(s);
}

/* What one bot received from the page, from its --json summary: a session
 * over each route, each with states and a one-way latency. */
static void bot_saw_page(struct spawn_proc *p, const char *bot_name, int expected)
{
    assert_int_equal(spawn_stop(p, SIGINT, WAIT_MS), 0);
    char *out = spawn_read_stdout(p);
    assert_non_null(out);
    cJSON *j = cJSON_Parse(out);
    if (!j)
        fail_msg("%s: no JSON summary: %s", bot_name, out);
    const cJSON *me = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "bots"), 0), *e;
    int sessions = 0;
    bool over_ws = false;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(me, "from")) {
        if (strcmp(text(e, "name"), PAGE_NAME) != 0)
            continue;
        double received = number(e, "received"), mean = number(e, "latency_mean_us");
        print_message("%s from the page #%.0f: %.0f states (%s), latency mean %.0f us, "
                      "%.0f without one\n", bot_name, number(e, "id"), received,
                      text(e, "mode"), mean, number(e, "no_latency"));
        bool ws = strcmp(text(e, "mode"), "ws") == 0;
        assert_true(received >= (ws ? 40 : 20)); /* steered two seconds at 20 Hz; one */
        assert_true(number(e, "no_latency") < received); /* the page's clock was announced */
        assert_true(mean > 0 && mean < 500000);
        over_ws |= ws;
        sessions++;
    }
    if (sessions != expected || (expected == 2 && !over_ws))
        fail_msg("%s: not the page's two sessions: %s", bot_name, out);
    cJSON_Delete(j);
    free(out);
    spawn_free(p);
}

static void page_plays_with_bots(void **state)
{
    (void)state;
    struct relay4 r;
    struct spawn_proc enet_bot, udp_bot;
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[160], png[160];
    relay4_start(&r);
    bot(&enet_bot, r.enet, "unsequenced", "enet", "11");
    bot(&udp_bot, r.udp, "udp", UDP_BOT, "12");
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play?room=" ROOM "&name=" PAGE_NAME,
             (unsigned)r.ws);
    struct browser *b = browser_open(dir, url, 1280, 720);
    if (!bots_seen(b, "ws", "ws"))
        fail_with_console(b, "the page never showed both bots");
    bots_move(b, "ws");
    steer(b);
    chat(b);
    switch_to_webrtc(b);

    bool update = getenv("RICOCHET_SHOT_UPDATE") && !strcmp(getenv("RICOCHET_SHOT_UPDATE"), "1");
    snprintf(png, sizeof png, "%s", update ? "docs/play-page.png" : dir);
    if (!update)
        snprintf(png + strlen(png), sizeof png - strlen(png), "/play.png");
    clock_sleep_ms(500); /* the tables refreshed once more */
    long size = browser_screenshot(b, png);
    print_message("screenshot: %s, %ld bytes\n", png, size);
    assert_true(size > 20000);

    browser_close(b);
    bot_saw_page(&enet_bot, "enet-1", 2);
    bot_saw_page(&udp_bot, UDP_BOT "-1", 2);
    servers_remove_tree(dir);
    relay4_stop(&r);
}

/* The page's mode menu set to mode; its reflected states keep coming. */
static void page_sends(struct browser *b, const char *mode)
{
    double before = browser_eval_number(b, "window.ricochetPlay.snapshot().me.echo.seq");
    char expr[320];
    snprintf(expr, sizeof expr, "(() => { const m = document.getElementById('mode');"
             " m.value = '%s'; m.dispatchEvent(new Event('change')); })()", mode);
    cJSON_Delete(browser_eval(b, expr));
    snprintf(expr, sizeof expr, "window.ricochetPlay.snapshot().mode === '%s' &&"
             " window.ricochetPlay.snapshot().me.echo.seq > %.0f + 10", mode, before);
    if (!browser_wait(b, expr, WAIT_MS))
        fail_with_console(b, "my states never came back in the mode I switched to");
    print_message("over WebTransport, sending %s: my states come back\n", mode);
}

/* What the relay's quic edge counted, from its final stats line. */
static long long quic_count(const char *stats, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "edges.quic.%s", name);
    return harness_stats_field(stats, true, path);
}

static void page_plays_over_webtransport(void **state)
{
    (void)state;
    struct relay4 r;
    struct spawn_proc enet_bot, ws_bot;
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[200];
    relay4_start(&r);
    other = "ws-1";
    bot(&enet_bot, r.enet, "unsequenced", "enet", "21");
    bot(&ws_bot, r.ws, "ws", "ws", "22");
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play?room=" ROOM "&name=" PAGE_NAME
             "&route=wt", (unsigned)r.ws);
    struct browser *b = browser_open_quic(dir, url, 1280, 720, true);
    if (!bots_seen(b, "wt", "unsequenced"))
        fail_with_console(b, "the page never played over WebTransport");
    bots_move(b, "unsequenced");
    steer(b);
    page_sends(b, "sequenced");
    page_sends(b, "reliable");
    page_sends(b, "streams");
    cJSON *s = snapshot(b);
    const cJSON *route = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "routes"), "wt");
    print_message("route wt: %.0f states received, %.1f%% lost, p99 %.2f ms\n",
                  number(route, "received"), number(route, "lossPct"),
                  number(route, "p99Us") / 1000);
    assert_true(number(route, "received") > 0 && number(route, "sessions") == 1);
    cJSON_Delete(s);
    browser_close(b);
    bot_saw_page(&enet_bot, "enet-1", 1);
    bot_saw_page(&ws_bot, "ws-1", 1);
    char *stats = harness_relay_finish(&r.relay);
    assert_non_null(stats);
    long long sessions = quic_count(stats, "wt_sessions");
    long long refused = quic_count(stats, "wt_refused") + quic_count(stats, "wt_settings") +
                        quic_count(stats, "wt_qpack_refused") + quic_count(stats, "wt_h3_errors");
    free(stats);
    print_message("quic edge: %lld WebTransport sessions, %lld refused\n", sessions, refused);
    assert_true(sessions == 1 && refused == 0);
    spawn_free(&r.relay);
    servers_remove_tree(dir);
    other = UDP_BOT "-1";
}

/* Through ricochet-netsim's proxy in front of the quic edge, 5% of the
 * datagrams lost each way: the page's WebTransport route loses about what
 * netsim dropped on the way down (each state its own packet, the relay
 * without a tick), its session going on through the losses. */
static void webtransport_through_loss(void **state)
{
    (void)state;
    struct relay4 r;
    struct spawn_proc enet_bot, ws_bot, netsim;
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[240], target[32];
    relay4_start(&r);
    other = "ws-1";
    snprintf(target, sizeof target, "127.0.0.1:%u", harness_edge_port(&r.relay, "quic"));
    const char *nargs[] = {"--relay", target, "--loss", "5", "--seed", "47", "--duration", "120",
                           NULL};
    int via = harness_start_netsim(&netsim, nargs);
    bot(&enet_bot, r.enet, "unsequenced", "enet", "31");
    bot(&ws_bot, r.ws, "ws", "ws", "32");
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play?room=" ROOM "&name=" PAGE_NAME
             "&route=wt&wtport=%d", (unsigned)r.ws, via);
    struct browser *b = browser_open_quic(dir, url, 1280, 720, true);
    if (!bots_seen(b, "wt", "unsequenced"))
        fail_with_console(b, "the page never played over WebTransport through netsim");
    clock_sleep_ms(12000);
    cJSON *s = snapshot(b);
    const cJSON *route = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "routes"), "wt");
    double lost = number(route, "lossPct"), got = number(route, "received");
    assert_true(number(route, "sessions") == 1 && strcmp(text(s, "phase"), "joined") == 0);
    cJSON_Delete(s);
    browser_close(b);
    assert_int_equal(spawn_stop(&netsim, SIGINT, WAIT_MS), 0);
    char *out = spawn_read_stdout(&netsim);
    assert_non_null(out);
    long long dropped = harness_stats_field(out, true, "down.dropped");
    long long received = harness_stats_field(out, true, "down.received");
    free(out);
    spawn_free(&netsim);
    double netsim_pct = received > 0 ? 100.0 * (double)dropped / (double)received : -1;
    print_message("through 5%% loss: the page lost %.2f%% of %.0f states over WebTransport, "
                  "netsim dropped %.2f%% of %lld datagrams down\n", lost, got, netsim_pct,
                  received);
    assert_true(got > 300);
    assert_true(netsim_pct > 2 && netsim_pct < 8);
    /* about what netsim dropped; a busy machine's own losses on top (the
     * page lost 8.0% where netsim dropped 4.2%, beside two busy loops) */
    assert_true(lost > 1 && lost > netsim_pct - 3.5 && lost < netsim_pct + 8);
    harness_stop(&enet_bot);
    harness_stop(&ws_bot);
    relay4_stop(&r);
    servers_remove_tree(dir);
    other = UDP_BOT "-1";
}

/* A page that only listens: ricochet.js's Session over WebTransport, in a
 * room of its own, sending no state, on a relay that drops a connection
 * silent for 1200 ms. Its pings (within a third of the timeout GET /wt
 * names: 400 ms) keep it a member for four seconds and more; Chromium's
 * own idle timer, a second short of the max_idle_timeout it is told, would
 * close it after 200 ms of quiet if the relay announced its timeout as it
 * is. Its pings stopped, the room hears it leave at the relay's timeout
 * (left timeout), not at Chromium's (quit). Another page's close() is
 * leaving (quit) and its connection's end at once: no join timeout after. */
static void a_listening_page_keeps_its_session(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--listen", "quic://127.0.0.1:0",
                          "--timeout-ms", "1200", "--stats-interval", "0", NULL};
    int ws = harness_start_relay(&relay, args);
    assert_true(ws > 0);
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[160];
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/wt", ws); /* a page of the relay's origin */
    struct browser *b = browser_open_quic(dir, url, 800, 600, true);
    cJSON_Delete(browser_eval(b, "import('/ricochet.js').then((m) => { window.ear = new m.Session("
                                 "{ route: 'wt', room: 'quiet', name: 'ear' }).start(); return 1; })"));
    if (!browser_wait(b, "window.ear && window.ear.phase === 'joined'", WAIT_MS))
        browser_fail(b, "window.ear && [window.ear.phase, window.ear.endText]",
                     "the listening page never joined over WebTransport");
    double id = browser_eval_number(b, "window.ear.id");
    clock_sleep_ms(4000);
    cJSON *s = browser_eval(b, "({ phase: window.ear.phase, id: window.ear.id, sent: window.ear.sent,"
                               " end: window.ear.endCode + ' ' + window.ear.endText })");
    print_message("a page that only listens, 4 s on a relay of --timeout-ms 1200: %s #%.0f, "
                  "%.0f states sent%s%s\n", text(s, "phase"), number(s, "id"), number(s, "sent"),
                  *text(s, "end") != ' ' ? ", ended " : "", text(s, "end"));
    assert_string_equal(text(s, "phase"), "joined");
    assert_true(number(s, "id") == id && number(s, "sent") == 0);
    cJSON_Delete(s);
    assert_int_equal(harness_relay_stat(&relay, "members"), 1);
    /* silent from now: gone at the relay's timeout, not Chromium's */
    cJSON_Delete(browser_eval(b, "clearInterval(window.ear._timer), 1"));
    uint64_t quiet = clock_now_us();
    long long members = 1;
    while (members == 1 && clock_now_us() - quiet < 5000000) {
        clock_sleep_ms(50);
        members = harness_relay_stat(&relay, "members");
    }
    long long after_ms = (long long)(clock_now_us() - quiet) / 1000;
    long long timeouts = harness_relay_stat(&relay, "timeouts");
    long long leaves = harness_relay_stat(&relay, "leaves");
    print_message("its pings stopped: gone after %lld ms, %lld timeouts, %lld leaves\n",
                  after_ms, timeouts, leaves);
    assert_int_equal(members, 0);
    assert_true(timeouts == 1 && leaves == 0);
    /* its last ping 400 to 500 ms before; Chromium's own would close it at
     * 2200 ms after that, and the room would hear quit */
    assert_true(after_ms >= 600 && after_ms < 2500);

    /* a page that closes its session (ricochet.js: a leave, its control
     * stream's end, the session's): the relay closes the connection at
     * once, and nothing is left for the join timeout to close and count */
    cJSON_Delete(browser_eval(b, "import('/ricochet.js').then((m) => { window.bye = new m.Session("
                                 "{ route: 'wt', room: 'quiet', name: 'bye' }).start(); return 1; })"));
    if (!browser_wait(b, "window.bye && window.bye.phase === 'joined'", WAIT_MS))
        browser_fail(b, "window.bye && [window.bye.phase, window.bye.endText]",
                     "the second page never joined over WebTransport");
    cJSON_Delete(browser_eval(b, "window.bye.close(), 1"));
    uint64_t closed = clock_now_us();
    long long clients = 1;
    while (clients != 0 && clock_now_us() - closed < 5000000) {
        clock_sleep_ms(50);
        clients = harness_relay_stat(&relay, "clients");
    }
    long long closed_ms = (long long)(clock_now_us() - closed) / 1000;
    clock_sleep_ms(2500); /* past --join-timeout-ms */
    long long join_timeouts = harness_relay_stat(&relay, "drops.join_timeout");
    leaves = harness_relay_stat(&relay, "leaves");
    print_message("a page that closes: its connection gone after %lld ms, %lld leaves, "
                  "%lld join timeouts\n", closed_ms, leaves, join_timeouts);
    assert_int_equal(clients, 0);
    assert_true(closed_ms < 1500);
    assert_true(leaves == 1 && join_timeouts == 0);
    browser_close(b);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    servers_remove_tree(dir);
}

/* The lobby's rows as the page draws them: "room players [properties]
 * button" (an empty cell left out), by ", ". */
#define LOBBY_ROWS "[...document.querySelectorAll('#rooms tbody tr')].map((tr) => " \
    "[...tr.cells].map((c) => c.textContent).filter(Boolean).join(' ')).join(', ')"

static void lobby_shows(struct browser *b, const char *rows, const char *what)
{
    char expr[512];
    snprintf(expr, sizeof expr, "(%s) === '%s'", LOBBY_ROWS, rows);
    if (!browser_wait(b, expr, WAIT_MS))
        browser_fail(b, LOBBY_ROWS, what);
}

static void page_lobby_lists_and_joins_any(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--max-room-size", "2",
                          "--stats-interval", "0", NULL};
    int ws = harness_start_relay(&relay, args);
    assert_true(ws > 0);
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[160];
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/play?room=lobby&name=" PAGE_NAME, ws);
    struct browser *b = browser_open(dir, url, 1280, 860);
    if (!browser_wait(b, "window.ricochetPlay && window.ricochetPlay.snapshot().phase === 'joined'",
                      WAIT_MS))
        fail_with_console(b, "the page never joined its room");
    /* two of the page's own, one after the other: the relay puts both in game-1 */
    for (int i = 0; i < 2; i++) {
        char js[320];
        snprintf(js, sizeof js, "import('/ricochet.js').then((m) => { window.p%d = new m.Session("
                 "{ room: 'game-', any: true, name: 'p%d' }).start(); return 1; })", i, i);
        cJSON_Delete(browser_eval(b, js));
        snprintf(js, sizeof js, "window.p%d && window.p%d.phase === 'joined' && "
                 "window.p%d.room === 'game-1'", i, i, i);
        if (!browser_wait(b, js, WAIT_MS))
            fail_with_console(b, "a join of any room under game- was not game-1");
    }
    lobby_shows(b, "game-1 2/2 full, lobby 1/2 here", "the lobby never listed game-1 full");

    cJSON_Delete(browser_eval(b, "document.getElementById('any').click(), 1"));
    if (!browser_wait(b, "(() => { const s = window.ricochetPlay.snapshot(); return s.phase === "
                         "'joined' && s.room === 'game-2' && location.search.includes('room=game-2')"
                         " && !location.search.includes('any='); })()", WAIT_MS))
        fail_with_console(b, "join any never put the page in game-2");
    lobby_shows(b, "game-1 2/2 full, game-2 1/2 here", "the lobby never listed game-2 as mine");

    cJSON_Delete(browser_eval(b, "window.p1.close(), 1"));
    lobby_shows(b, "game-1 1/2 join, game-2 1/2 here", "game-1 never had space again");
    cJSON_Delete(browser_eval(b, "document.querySelector('#rooms tbody tr button').click(), 1"));
    if (!browser_wait(b, "(() => { const s = window.ricochetPlay.snapshot(); return s.phase === "
                         "'joined' && s.room === 'game-1' && s.members.some((m) => m.name === "
                         "'p0'); })()", WAIT_MS))
        fail_with_console(b, "the row's join never took the page to game-1 with p0");
    lobby_shows(b, "game-1 2/2 here", "the lobby never listed game-1 as mine, game-2 gone");
    print_message("lobby: listed, any room (game-2), a room of the list (game-1)\n");
    browser_close(b);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    servers_remove_tree(dir);
}

/* A page whose URL names no room opens the lobby: the rooms others made
 * listed first, and a click joins one in the lobby's own session. */
static void page_lobby_before_a_room(void **state)
{
    (void)state;
    struct spawn_proc relay, b1, b2;
    /* the relay's 2 s join timeout: the lobby watches, and stays */
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                          "--max-room-size", "4", "--stats-interval", "0", NULL};
    int enet = harness_start_relay(&relay, args);
    assert_true(enet > 0);
    uint16_t ws = harness_edge_port(&relay, "ws");
    bot(&b1, (uint16_t)enet, "reliable", "bot-lobby", "7");
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[160];
    servers_tmpdir(dir);
    /* asked for WebTransport, on a relay with no quic edge (nor webrtc) */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play?name=" PAGE_NAME "&route=wt",
             (unsigned)ws);
    struct browser *b = browser_open(dir, url, 1200, 860);
    if (!browser_wait(b, "window.ricochetPlay && window.ricochetPlay.snapshot().phase === 'lobby'",
                      WAIT_MS))
        fail_with_console(b, "the page never opened its lobby");
    if (!browser_wait(b, "(() => { const s = window.ricochetPlay.snapshot(); return s.route === "
                         "'ws' && s.lacks.wt && s.lacks.webrtc && !s.lacks.ws && document."
                         "querySelector('input[value=wt]').disabled && document.querySelector("
                         "'input[value=webrtc]').disabled && !document.querySelector("
                         "'input[value=ws]').disabled; })()",
                      WAIT_MS))
        fail_with_console(b, "the page offered routes the relay has no edge for");
    /* 1200 px wide: the players' table scrolls within the page, never cut */
    if (!browser_wait(b, "(() => { const t = document.getElementById('players'); return "
                         "t.getBoundingClientRect().right <= document.documentElement.clientWidth"
                         "; })()",
                      WAIT_MS))
        fail_with_console(b, "the players' table is cut off at 1200 px");
    lobby_shows(b, ROOM " 1/4 join", "the lobby never listed the bot's room");
    /* past the join timeout one session still, told of a second bot */
    uint64_t until = clock_now_ms() + 3000;
    while (clock_now_ms() < until)
        clock_sleep_ms(100);
    bot(&b2, (uint16_t)enet, "reliable", "bot-lobby2", "8");
    lobby_shows(b, ROOM " 2/4 join", "the watching lobby was never told of the second bot");
    cJSON *watched = snapshot(b);
    assert_int_equal((int)number(watched, "sessions"), 1);
    cJSON_Delete(watched);
    cJSON_Delete(browser_eval(b, "document.querySelector('#rooms tbody tr button').click(), 1"));
    if (!browser_wait(b, "(() => { const s = window.ricochetPlay.snapshot(); return s.phase === "
                         "'joined' && s.room === '" ROOM "' && s.members.some((m) => m.name."
                         "startsWith('bot-lobby')) && location.search.includes('room=" ROOM "'); })()",
                      WAIT_MS))
        fail_with_console(b, "the click never joined the bot's room");
    cJSON *snap = snapshot(b);
    assert_int_equal((int)number(snap, "sessions"), 1); /* listed and joined in one session */
    cJSON_Delete(snap);
    lobby_shows(b, ROOM " 3/4 here", "the lobby never listed the room as mine");
    print_message("lobby before a room: watched past the join timeout, then joined in the same "
                  "session\n");
    browser_close(b);
    spawn_stop(&b1, SIGINT, WAIT_MS);
    spawn_free(&b1);
    spawn_stop(&b2, SIGINT, WAIT_MS);
    spawn_free(&b2);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    servers_remove_tree(dir);
}

/* Two sessions of the page's own make rooms with properties: the lobby
 * lists each with its properties, its filter lists only the rooms whose
 * properties hold it (a filter that is not key=value pairs is said, not
 * sent), and the join form makes a room with the properties typed. */
static void page_lobby_with_properties(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--max-room-size", "4",
                          "--join-timeout-ms", "60000", "--stats-interval", "0", NULL};
    int ws = harness_start_relay(&relay, args);
    assert_true(ws > 0);
    char dir[] = "/tmp/ricochet-play-XXXXXX", url[160];
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/play?name=" PAGE_NAME, ws);
    struct browser *b = browser_open(dir, url, 1280, 860);
    if (!browser_wait(b, "window.ricochetPlay && window.ricochetPlay.snapshot().phase === 'lobby'",
                      WAIT_MS))
        fail_with_console(b, "the page never opened its lobby");
    cJSON_Delete(browser_eval(b, "import('/ricochet.js').then((m) => { window.p0 = new m.Session("
                                 "{ room: 'dune-1', name: 'p0', props: { map: 'dune', mode: 'ctf' "
                                 "} }).start(); window.p1 = new m.Session({ room: 'ice-1', name: "
                                 "'p1', props: { map: 'ice' } }).start(); return 1; })"));
    lobby_shows(b, "dune-1 1/4 map=dune mode=ctf join, ice-1 1/4 map=ice join",
                "the lobby never listed both rooms with their properties");
    cJSON_Delete(browser_eval(b, "document.getElementById('match').value = 'map=ice', "
                                 "document.querySelector('#filter button').click(), 1"));
    lobby_shows(b, "ice-1 1/4 map=ice join", "the filter never left ice-1 alone");
    cJSON_Delete(browser_eval(b, "document.getElementById('match').value = 'map', "
                                 "document.querySelector('#filter button').click(), 1"));
    if (!browser_wait(b, "document.getElementById('status').textContent.includes('filter: "
                         "key=value pairs')", WAIT_MS))
        fail_with_console(b, "a filter that is not pairs was not said");
    cJSON_Delete(browser_eval(b, "document.getElementById('match').value = '', "
                                 "document.getElementById('room').value = 'fort-1', "
                                 "document.getElementById('props').value = 'map=fort size=big', "
                                 "document.querySelector('#join button').click(), 1"));
    if (!browser_wait(b, "(() => { const s = window.ricochetPlay.snapshot(); return s.phase === "
                         "'joined' && s.room === 'fort-1'; })()", WAIT_MS))
        fail_with_console(b, "the join form never made fort-1");
    lobby_shows(b, "dune-1 1/4 map=dune mode=ctf join, fort-1 1/4 map=fort size=big here, "
                   "ice-1 1/4 map=ice join", "the lobby never listed fort-1 with its properties");
    print_message("lobby with properties: listed, filtered, a room made with them\n");
    browser_close(b);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    servers_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(module_holds_to_the_protocol),
        cmocka_unit_test(page_plays_with_bots),
        cmocka_unit_test(page_plays_over_webtransport),
        cmocka_unit_test(webtransport_through_loss),
        cmocka_unit_test(a_listening_page_keeps_its_session),
        cmocka_unit_test(page_lobby_lists_and_joins_any),
        cmocka_unit_test(page_lobby_before_a_room),
        cmocka_unit_test(page_lobby_with_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
