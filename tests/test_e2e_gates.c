/* test_e2e_gates.c: the gates game, a browser host and terminal players in
 * one room. The relay's gates page (/gates, client/js/gates.js) hosts a
 * closed room with props in headless Chromium over the WebSocket edge;
 * client/examples/gates.c, built as a game developer builds it
 * (`pkg-config --cflags --libs ricochet`), plays by itself over ENet from
 * its lobby: it lists the room, closed, filtered on its props, and joins
 * only once the host's button opened it, a latecomer that gets the gates
 * opened before it as kept events, in full. Both open gates, each seeing
 * the other's: the page's auto-player stops with two gates closed
 * (&spare=2), so the terminal opens some however fast the page plays. The relay is killed and started again: both come back as
 * the same player (the same stable player id) and keep the gates again,
 * so a latecomer after the restart, a terminal and a page, gets every
 * gate; at the end every gate is the same player's on the page and in
 * both terminals. A gate's opener name, a peer's bytes, reaches a
 * terminal with no control character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client/lib/ricochet.h"
#include "tests/support/browser.h"
#include "tests/support/examples.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/servers.h"

#define GATES 8
#define SPARE 2 /* the gates the page's auto-player leaves to the terminal */
#define WAIT_MS 30000
#define SNAP "window.ricochetGates && window.ricochetGates.snapshot()"

static char scratch[64]; /* the DESTDIR, and where gates is built */

static int setup(void **state)
{
    (void)state;
    return examples_build(scratch, sizeof scratch, "gates");
}

static int teardown(void **state)
{
    (void)state;
    return examples_remove(scratch);
}

/* A terminal player: gates --auto 0 with args (NULL-ended) then the relay. */
static void terminal(struct spawn_proc *p, const char *const *args, uint16_t enet)
{
    const char *argv[16];
    char port[8], err[256], lib[128];
    size_t n = 0;
    snprintf(port, sizeof port, "%u", (unsigned)enet);
    snprintf(lib, sizeof lib, "%s/usr/lib", scratch);
    argv[n++] = "--auto", argv[n++] = "0";
    while (*args && n < 12)
        argv[n++] = *args++;
    argv[n++] = "127.0.0.1", argv[n++] = port, argv[n] = NULL;
    setenv("LD_LIBRARY_PATH", lib, 1);
    assert_int_equal(spawn_start(p, scratch, "gates", argv, err, sizeof err), 0);
    unsetenv("LD_LIBRARY_PATH");
}

/* Waits up to ms for a line of p's stdout holding what; returns the line's
 * start in *out (the caller frees *out), or NULL. */
static const char *said(struct spawn_proc *p, const char *what, int ms, char **out)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms;; clock_sleep_ms(100)) {
        free(*out);
        *out = spawn_read_stdout(p);
        const char *at = *out ? strstr(*out, what) : NULL;
        if (at || clock_now_ms() > end)
            return at;
    }
}

/* The page's gates: each opener's player id into players[i] ("" closed).
 * Returns how many are open. */
static int page_gates(struct browser *b, char players[GATES][20])
{
    cJSON *snap = browser_eval(b, SNAP), *d;
    int n = 0, i = 0;
    assert_true(cJSON_IsObject(snap));
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(snap, "gates")) {
        const cJSON *p = cJSON_GetObjectItem(d, "player");
        snprintf(players[i], 20, "%s", cJSON_IsString(p) ? p->valuestring : "");
        n += players[i++][0] != '\0';
    }
    cJSON_Delete(snap);
    return n;
}

/* Every gate open on the page was replayed to the terminal player whose
 * stdout is out, as kept ("kept gN by PLAYER"), after its line `since`. */
static void got_kept(const char *out, const char *since, char gates[GATES][20])
{
    const char *from = strstr(out, since);
    assert_non_null(from);
    for (int i = 0; i < GATES; i++) {
        char line[64];
        snprintf(line, sizeof line, "gates: kept g%d by %s", i, gates[i]);
        if (gates[i][0] && !strstr(from, line))
            fail_msg("no \"%s\" after \"%s\" in:\n%s", line, since, out);
    }
}

/* Waits up to ms for every gate open in gates[] to be replayed to the
 * terminal player p as kept after its line `since`; its stdout into *out
 * (the caller frees). The replay follows the welcome's line: a busy
 * machine prints it later. */
static void wait_kept(struct spawn_proc *p, const char *since, char gates[GATES][20], int ms,
                      char **out)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms;; clock_sleep_ms(100)) {
        free(*out);
        *out = spawn_read_stdout(p);
        const char *from = *out ? strstr(*out, since) : NULL;
        bool all = from != NULL;
        for (int i = 0; i < GATES && all; i++) {
            char line[64];
            snprintf(line, sizeof line, "gates: kept g%d by %s", i, gates[i]);
            all = !gates[i][0] || strstr(from, line);
        }
        if (all || clock_now_ms() > end)
            return;
    }
}

/* Whether the terminal player's stdout out last claimed each gate for the
 * player gates[] names ("gates: gate N is PLAYER's"). */
static bool claims_match(const char *out, char gates[GATES][20])
{
    for (int i = 0; i < GATES; i++) {
        char line[40];
        const char *last = NULL;
        snprintf(line, sizeof line, "gates: gate %d is ", i);
        for (const char *at = out; (at = strstr(at, line)); at++)
            last = at + strlen(line);
        if (!last || strncmp(last, gates[i], strlen(gates[i])) || last[strlen(gates[i])] != '\'')
            return false;
    }
    return true;
}

/* A page joining vault late (it must exist) gets every gate open in
 * gates[] replayed as kept, by its key. */
static void page_latecomer(uint16_t ws, char gates[GATES][20])
{
    char dir[] = "/tmp/ricochet-gates-late-XXXXXX", url[160], expr[160];
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/gates?room=vault&name=late2", (unsigned)ws);
    struct browser *b = browser_open(dir, url, 900, 700);
    if (!browser_wait(b, SNAP " && window.ricochetGates.snapshot().phase === 'joined'", WAIT_MS))
        browser_fail(b, SNAP, "the late page never joined");
    for (int i = 0; i < GATES; i++) {
        snprintf(expr, sizeof expr, "window.ricochetGates.snapshot().kept.includes('g%d.%s')", i,
                 gates[i]);
        if (gates[i][0] && !browser_wait(b, expr, WAIT_MS))
            browser_fail(b, SNAP, "the late page missed a kept gate");
    }
    browser_close(b);
    servers_remove_tree(dir);
}

/* The player id in a line "gates: joined|back in ROOM as #ID, player P". */
static void player_of(const char *line, char player[20])
{
    const char *p = strstr(line, ", player ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, ", player %19s", player), 1);
}

/* The relay, with an ENet and a WebSocket edge on the ports given (0: free
 * ones, then set). */
static void relay_start(struct spawn_proc *relay, uint16_t *enet, uint16_t *ws)
{
    char e[40], w[40];
    snprintf(e, sizeof e, "enet://127.0.0.1:%u", (unsigned)*enet);
    snprintf(w, sizeof w, "ws://127.0.0.1:%u", (unsigned)*ws);
    const char *args[] = {"--listen", e, "--listen", w, "--stats-interval", "0", NULL};
    assert_true(harness_start_relay(relay, args) > 0);
    *enet = harness_edge_port(relay, "enet");
    *ws = harness_edge_port(relay, "ws");
}

static void browser_and_terminals_play_gates(void **state)
{
    (void)state;
    struct spawn_proc relay, term, late;
    uint16_t enet = 0, ws = 0;
    char dir[] = "/tmp/ricochet-gates-XXXXXX", url[200], *out = NULL, *late_out = NULL;
    char gates[GATES][20], host[20], mine[20], back[20];
    relay_start(&relay, &enet, &ws);
    servers_tmpdir(dir);
    /* The page's auto-player leaves SPARE gates closed: the terminal opens
     * some however much faster the page plays. */
    snprintf(url, sizeof url,
             "http://127.0.0.1:%u/gates?host=vault&name=web&colour=ff8000&auto=1&spare=%d",
             (unsigned)ws, SPARE);
    struct browser *b = browser_open(dir, url, 1100, 720);
    if (!browser_wait(b, SNAP " && window.ricochetGates.snapshot().phase === 'joined'", WAIT_MS))
        browser_fail(b, SNAP, "the host's page never made its room");

    /* The terminal's lobby lists the room, closed, and waits. */
    terminal(&term, (const char *[]){"--name", "term", "--colour", "00a0ff", NULL}, enet);
    if (!said(&term, "gates: lobby: vault 1/8 closed", WAIT_MS, &out))
        fail_msg("the lobby never listed the closed room:\n%s", out ? out : "");
    /* The host opens all but the spare gates alone, and stops there; then
     * its room: the terminal comes late, and the spare gates are its. */
    char expr[160];
    snprintf(expr, sizeof expr,
             "window.ricochetGates.snapshot().gates.filter((d) => d).length >= %d", GATES - SPARE);
    if (!browser_wait(b, expr, WAIT_MS))
        browser_fail(b, SNAP, "the host never opened all but the spare gates");
    clock_sleep_ms(3000); /* two gates' walk: the page opens no more alone */
    assert_null(strstr(out, "gates: joined"));
    int before = page_gates(b, gates);
    if (before != GATES - SPARE)
        browser_fail(b, SNAP, "the page's auto-player opened a spare gate");
    assert_true(browser_eval_number(b, "(document.getElementById('open').click(), 1)") == 1);
    const char *joined = said(&term, "gates: joined vault as #", WAIT_MS, &out);
    if (!joined)
        fail_msg("the terminal never joined the opened room:\n%s", out ? out : "");
    player_of(joined, mine);
    got_kept(out, "gates: joined vault", gates);
    print_message("the terminal joined with %d gates open, each replayed to it kept\n", before);

    /* Each sees the other: the page the terminal's colour and gates. */
    if (!browser_wait(b, "(() => { const s = window.ricochetGates.snapshot();"
                         " return s.members.some((m) => m.name === 'term' && m.colour === '00a0ff')"
                         " && s.gates.some((d) => d && d.name === 'term'); })()", WAIT_MS))
        browser_fail(b, SNAP, "the page never saw the terminal open a gate");
    cJSON *snap = browser_eval(b, SNAP);
    snprintf(host, sizeof host, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(snap, "player")));
    cJSON_Delete(snap);

    /* The relay killed and started again on the same ports. */
    page_gates(b, gates);
    assert_int_equal(spawn_stop(&relay, SIGKILL, 5000), 128 + SIGKILL);
    spawn_free(&relay);
    relay_start(&relay, &enet, &ws);
    uint64_t restarted = clock_now_ms();
    const char *again = said(&term, "gates: back in vault as #", WAIT_MS, &out);
    if (!again)
        fail_msg("the terminal never came back:\n%s", out ? out : "");
    uint64_t term_back = clock_now_ms() - restarted;
    player_of(again, back);
    assert_string_equal(back, mine);
    if (!browser_wait(b, "window.ricochetGates.snapshot().welcomes >= 2 &&"
                         " window.ricochetGates.snapshot().phase === 'joined'", WAIT_MS))
        browser_fail(b, SNAP, "the page never came back");
    snap = browser_eval(b, SNAP);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(snap, "player")), host);
    cJSON_Delete(snap);
    print_message("both back after the restart, the same players: %s (page), %s (terminal); "
                  "back %llu ms (terminal), %llu ms (page) after the relay listened again\n",
                  host, mine, (unsigned long long)term_back,
                  (unsigned long long)(clock_now_ms() - restarted));

    /* A latecomer after the restart gets every gate known before it. Both
     * keep the gates again as they are welcomed back; their kept events
     * reach the relay within a moment (3 s: a busy machine's). */
    clock_sleep_ms(3000);
    terminal(&late, (const char *[]){"--watch", "--join", "vault", "--name", "late", NULL}, enet);
    if (!said(&late, "gates: joined vault as #", WAIT_MS, &late_out))
        fail_msg("the latecomer never joined:\n%s", late_out ? late_out : "");
    wait_kept(&late, "gates: joined vault", gates, WAIT_MS, &late_out);
    got_kept(late_out, "gates: joined vault", gates);
    page_latecomer(ws, gates);

    /* Every gate opened, the same player's everywhere. */
    if (!browser_wait(b, "window.ricochetGates.snapshot().gates.every((d) => d)", WAIT_MS))
        browser_fail(b, SNAP, "not every gate opened");
    /* until both terminals claimed every gate for whom the page does (the
     * last opened is on its way to them) */
    for (uint64_t end = clock_now_ms() + WAIT_MS;; clock_sleep_ms(200)) {
        page_gates(b, gates);
        free(out);
        free(late_out);
        out = spawn_read_stdout(&term);
        late_out = spawn_read_stdout(&late);
        if ((claims_match(out, gates) && claims_match(late_out, gates)) ||
            clock_now_ms() > end)
            break;
    }
    assert_int_equal(spawn_stop(&term, SIGINT, 10000), 0);
    assert_int_equal(spawn_stop(&late, SIGINT, 10000), 0);
    char line[256] = "gates: gates";
    for (int i = 0; i < GATES; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), " %d:%s", i, gates[i]);
    for (struct spawn_proc *p = &term; p; p = p == &term ? &late : NULL) {
        free(out);
        out = spawn_read_stdout(p);
        if (!strstr(out, line))
            fail_msg("the page's \"%s\" is not in:\n%s", line, out);
    }
    print_message("%s: the same on the page and in both terminals\n", line);
    assert_true(browser_eval_number(b, "window.ricochetGates.snapshot().bad") == 0);

    free(out);
    free(late_out);
    spawn_free(&term);
    spawn_free(&late);
    browser_close(b);
    servers_remove_tree(dir);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* A gate's event whose opener name holds an escape sequence, kept by a
 * member of the test's own: a terminal player replayed it prints the
 * name with no control character. */
static void a_peers_name_reaches_no_terminal_raw(void **state)
{
    (void)state;
    struct spawn_proc relay, watch;
    struct ricochet_event ev;
    char *out = NULL;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--stats-interval", "0", NULL};
    uint16_t port = (uint16_t)harness_start_relay(&relay, args);
    struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, "mallory");
    assert_int_equal(ricochet_config_set_room(cfg, "den"), RICOCHET_OK);
    struct ricochet *c = players_connect(cfg);
    players_wait_event(&c, 1, 0, RICOCHET_EV_WELCOME, &ev);
    static const unsigned char body[] = {1, 1, 1, 6, 'a', 0x1b, '[', '2', 'J', 0x7f};
    assert_int_equal(ricochet_send_kept(c, "g1.0123456789abcdef", body, sizeof body,
                                        RICOCHET_KEEP_STAY), RICOCHET_OK);
    ricochet_flush(c);
    clock_sleep_ms(300);
    terminal(&watch, (const char *[]){"--watch", "--join", "den", NULL}, port);
    const char *kept = said(&watch, "gates: kept g1 by 0123456789abcdef (a?[2J?)", WAIT_MS, &out);
    if (!kept)
        fail_msg("no kept gate, its name cleaned, in:\n%s", out ? out : "");
    assert_null(strchr(out, 0x1b));
    assert_int_equal(spawn_stop(&watch, SIGINT, 10000), 0);
    free(out);
    spawn_free(&watch);
    ricochet_close(c);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(browser_and_terminals_play_gates),
        cmocka_unit_test(a_peers_name_reaches_no_terminal_raw),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
