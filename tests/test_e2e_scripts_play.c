/* test_e2e_scripts_play.c: the example room scripts refereeing games that a
 * browser and a terminal play together, as docs/scripts.md says to play
 * them: a relay with --script-dir examples/scripts and an ENet and a
 * WebSocket edge; the relay's pages (/gates, /tag) in headless Chromium;
 * client/examples/gates.c and tag.c built as a game developer builds them.
 * Gates (gates.lua): the page hosts a refereed room (&script=gates) and
 * plays by itself, leaving two gates (&spare=2), so the outcome is no race
 * of which player is faster; the terminal joins from its lobby once the
 * room is opened and opens the spare ones. Each gate opens once, to the
 * first touch in the relay's order, the same opener on both; a member of
 * the test's own touching an open gate changes nothing, and its clear of
 * the room's score is refused (not_owner); both see the room's score,
 * clock, and the winner it names when the last gate opens. Tag (tag.lua):
 * the terminal teleports, and the room corrects it to the speed limit:
 * the terminal goes on from where the room put it, the page sees it there;
 * then the page teleports, and the terminal sees the page corrected. The
 * play page (/play), in a refereed room, shows what the room says. */
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

#include "client/lib/ricochet.h"
#include "tests/support/browser.h"
#include "tests/support/examples.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"
#include "tests/support/servers.h"

#define GATES 8
#define SPARE 2 /* the gates the page's auto-player leaves to the terminal */
#define WAIT_MS 30000
#define GATES_SNAP "window.ricochetGates && window.ricochetGates.snapshot()"
#define TAG_SNAP "window.ricochetTag && window.ricochetTag.snapshot()"

static char gates_dir[64], tag_dir[64]; /* DESTDIRs, where gates and tag are built */

static int setup(void **state)
{
    (void)state;
    return examples_build(gates_dir, sizeof gates_dir, "gates") ||
           examples_build(tag_dir, sizeof tag_dir, "tag");
}

static int teardown(void **state)
{
    (void)state;
    return examples_remove(gates_dir) | examples_remove(tag_dir);
}

/* The relay as docs/scripts.md runs it, on free ports: its ENet and
 * WebSocket ports into *enet and *ws. */
static void relay_start(struct spawn_proc *relay, uint16_t *enet, uint16_t *ws)
{
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                          "--script-dir", "examples/scripts", "--stats-interval", "0", NULL};
    assert_true(harness_start_relay(relay, args) > 0);
    *enet = harness_edge_port(relay, "enet");
    *ws = harness_edge_port(relay, "ws");
}

/* A terminal player: dir/prog with args (NULL-ended), then the relay and
 * the words after (NULL-ended). */
static void terminal(struct spawn_proc *p, const char *dir, const char *prog,
                     const char *const *args, uint16_t enet, const char *const *after)
{
    const char *argv[24];
    char port[8], err[256], lib[128];
    size_t n = 0;
    snprintf(port, sizeof port, "%u", (unsigned)enet);
    snprintf(lib, sizeof lib, "%s/usr/lib", dir);
    while (*args && n < 16)
        argv[n++] = *args++;
    argv[n++] = "127.0.0.1", argv[n++] = port;
    while (after && *after && n < 23)
        argv[n++] = *after++;
    argv[n] = NULL;
    setenv("LD_LIBRARY_PATH", lib, 1);
    assert_int_equal(spawn_start(p, dir, prog, argv, err, sizeof err), 0);
    unsetenv("LD_LIBRARY_PATH");
}

/* Waits up to ms for p's stdout to hold what; returns where (in *out, which
 * the caller frees), or NULL. */
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

/* said, for what after the first `since` of p's stdout. */
static const char *said_after(struct spawn_proc *p, const char *since, const char *what, int ms,
                              char **out)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms;; clock_sleep_ms(100)) {
        free(*out);
        *out = spawn_read_stdout(p);
        const char *from = *out ? strstr(*out, since) : NULL;
        const char *at = from ? strstr(from, what) : NULL;
        if (at || clock_now_ms() > end)
            return at;
    }
}

/* How many times out holds what. */
static int times(const char *out, const char *what)
{
    int n = 0;
    for (const char *at = out; (at = strstr(at, what)); at++)
        n++;
    return n;
}

static const char *text_of(const cJSON *o, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
    return s ? s : "";
}

/* The page's gates: each opener's player id into players[i] ("" closed).
 * Returns how many are open. */
static int page_gates(struct browser *b, char players[GATES][20])
{
    cJSON *snap = browser_eval(b, GATES_SNAP), *d;
    int n = 0, i = 0;
    assert_true(cJSON_IsObject(snap));
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(snap, "gates")) {
        snprintf(players[i], 20, "%s", text_of(d, "player"));
        n += players[i++][0] != '\0';
    }
    cJSON_Delete(snap);
    return n;
}

static bool room_event(struct ricochet *c, const struct ricochet_event *ev, const char *key)
{
    return ev->type == RICOCHET_EV_EVENT && ev->id == UINT32_MAX &&
           strcmp(ricochet_event_key(c), key) == 0;
}

/* A member of the test's own in the refereed room: it touches gate `gate`,
 * open already, claims a gate of its own and clears the room's score; the
 * gate stays its opener's, the claim is dropped and the clear refused,
 * not_owner. Returns the member, still in the room. */
static struct ricochet *mallory(uint16_t enet, int gate)
{
    struct ricochet_config *cfg = players_config(enet, RICOCHET_MODE_RELIABLE, "mallory");
    assert_int_equal(ricochet_config_set_room(cfg, "ring"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room_exists(cfg, true), RICOCHET_OK);
    struct ricochet *c = players_connect(cfg);
    struct ricochet_event ev;
    bool score = false;
    for (uint64_t end = clock_now_ms() + WAIT_MS; !score && clock_now_ms() < end;)
        while (!score && ricochet_poll(c, 10, &ev) == 1)
            score = room_event(c, &ev, "score"); /* kept, replayed after the welcome */
    assert_true(score);
    struct ricochet_state s = {.x = 50 + 35 * cosf((float)gate * 6.2831853f / GATES),
                               .y = 50 + 35 * sinf((float)gate * 6.2831853f / GATES)};
    assert_int_equal(ricochet_send_state(c, &s), RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(c, "g7.mallory", "\x01\x01\x07\x07mallory", 11,
                                        RICOCHET_KEEP_STAY), RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(c, "score", NULL, 0, RICOCHET_KEEP_STAY), RICOCHET_OK);
    ricochet_flush(c);
    bool refused = false;
    for (uint64_t end = clock_now_ms() + WAIT_MS; !refused && clock_now_ms() < end;)
        while (!refused && ricochet_poll(c, 10, &ev) == 1) {
            assert_false(ev.type == RICOCHET_EV_DISCONNECTED);
            refused = ev.type == RICOCHET_EV_ERROR && strcmp(ev.code, "not_owner") == 0;
        }
    assert_true(refused);
    print_message("mallory's clear of the room's score: not_owner, \"%s\"\n", ev.text);
    return c;
}

static void browser_and_terminal_play_refereed_gates(void **state)
{
    (void)state;
    struct spawn_proc relay, term;
    uint16_t enet, ws;
    char dir[] = "/tmp/ricochet-scripts-play-XXXXXX", url[240], expr[200], *out = NULL;
    char gates[GATES][20], line[256];
    relay_start(&relay, &enet, &ws);
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/gates?host=ring&name=web&colour=ff8000"
             "&auto=1&spare=%d&script=gates", (unsigned)ws, SPARE);
    struct browser *b = browser_open(dir, url, 1100, 720);
    if (!browser_wait(b, GATES_SNAP " && window.ricochetGates.snapshot().referee", WAIT_MS))
        browser_fail(b, GATES_SNAP, "the page's room has no referee");
    /* The page plays alone, the room opening its gates, all but the spare. */
    snprintf(expr, sizeof expr, "window.ricochetGates.snapshot().roomGates.length >= %d",
             GATES - SPARE);
    if (!browser_wait(b, expr, WAIT_MS))
        browser_fail(b, GATES_SNAP, "the room never opened all but the spare gates");
    clock_sleep_ms(3000); /* two gates' walk: the page opens no more alone */
    if (page_gates(b, gates) != GATES - SPARE)
        browser_fail(b, GATES_SNAP, "the page's auto-player opened a spare gate");
    if (!browser_wait(b, "window.ricochetGates.snapshot().clock > 0", WAIT_MS))
        browser_fail(b, GATES_SNAP, "the page never showed the round's clock");
    int opened = 0;
    while (!gates[opened][0])
        opened++;

    /* The terminal, from its lobby, joins once the host opens the room. */
    terminal(&term, gates_dir, "gates", (const char *[]){"--auto", "0", "--name", "term",
                                                          "--colour", "00a0ff", NULL}, enet, NULL);
    if (!said(&term, "gates: lobby: ring 1/8 closed", WAIT_MS, &out))
        fail_msg("the lobby never listed the closed room:\n%s", out ? out : "");
    assert_true(browser_eval_number(b, "(document.getElementById('open').click(), 1)") == 1);
    if (!said(&term, "gates: the room referees", WAIT_MS, &out))
        fail_msg("the terminal never joined a refereed room:\n%s", out ? out : "");
    if (!said(&term, "gates: the round ends in ", WAIT_MS, &out))
        fail_msg("the terminal never showed the round's clock:\n%s", out ? out : "");
    struct ricochet *m = mallory(enet, opened);

    /* The terminal opens the spare gates: the round is over, its winner
     * named by the room, the same on both. */
    if (!browser_wait(b, "window.ricochetGates.snapshot().winner !== ''", WAIT_MS))
        browser_fail(b, GATES_SNAP, "the page never saw the room's winner");
    const char *won = said(&term, "gates: the round is over: the room's winner ", WAIT_MS, &out);
    if (!won)
        fail_msg("the terminal never saw the room's winner:\n%s", out ? out : "");
    snprintf(line, sizeof line, "gates: the round is over: the room's winner web (%d gates)\n",
             GATES - SPARE);
    assert_non_null(strstr(out, line));
    cJSON *snap = browser_eval(b, GATES_SNAP);
    snprintf(line, sizeof line, "web=%d", GATES - SPARE);
    assert_string_equal(text_of(snap, "winner"), line);
    snprintf(line, sizeof line, "term=%d,web=%d", SPARE, GATES - SPARE);
    assert_string_equal(text_of(snap, "score"), line);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(snap, "roomGates")), GATES);
    cJSON_Delete(snap);
    snprintf(line, sizeof line, "gates: the room's score term=%d,web=%d\n", SPARE, GATES - SPARE);
    if (!strstr(out, line))
        fail_msg("no \"%s\" in:\n%s", line, out);
    print_message("the room's winner web, its score %.*s, on the page and in the terminal\n",
                  (int)strcspn(line + strlen("gates: the room's score "), "\n"),
                  line + strlen("gates: the room's score "));

    /* Each gate opened once, to the same player on both; mallory's touch
     * of gate `opened` changed nothing. */
    page_gates(b, gates);
    for (int i = 0; i < GATES; i++) {
        char once[64];
        snprintf(once, sizeof once, "gates: the room opens gate %d to %s ", i, gates[i]);
        assert_int_equal(times(out, once), 1);
        snprintf(once, sizeof once, "gates: the room opens gate %d to ", i);
        assert_int_equal(times(out, once), 1);
    }
    assert_true(browser_eval_number(b, "window.ricochetGates.snapshot().bad") == 0);
    assert_int_equal(spawn_stop(&term, SIGINT, 10000), 0);
    free(out);
    out = spawn_read_stdout(&term);
    snprintf(line, sizeof line, "gates: gates");
    for (int i = 0; i < GATES; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), " %d:%s", i, gates[i]);
    if (!strstr(out, line))
        fail_msg("the page's \"%s\" is not in:\n%s", line, out);
    print_message("%s: the same on the page and in the terminal\n", line);

    free(out);
    spawn_free(&term);
    ricochet_close(m);
    browser_close(b);
    servers_remove_tree(dir);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* The fix the room said for member id, as `tag: the room corrected #ID to
 * (X, Y)` in out after `since`: its point into x, y. Returns whether one
 * is there. */
static bool corrected(const char *out, const char *since, unsigned id, double *x, double *y)
{
    char what[64];
    snprintf(what, sizeof what, "tag: the room corrected #%u to (", id);
    const char *at = strstr(out, since);
    return at && (at = strstr(at, what)) && sscanf(at + strlen(what), "%lf, %lf", x, y) == 2;
}

static void browser_and_terminal_see_a_teleport_corrected(void **state)
{
    (void)state;
    struct spawn_proc relay, term;
    uint16_t enet, ws;
    char dir[] = "/tmp/ricochet-scripts-play-XXXXXX", url[200], *out = NULL, what[64];
    relay_start(&relay, &enet, &ws);
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/tag?room=yard&name=web&auto=1&script=tag",
             (unsigned)ws);
    struct browser *b = browser_open(dir, url, 1000, 700);
    if (!browser_wait(b, TAG_SNAP " && window.ricochetTag.snapshot().roomIt > 0", WAIT_MS))
        browser_fail(b, TAG_SNAP, "the page's room never said who is it");
    unsigned web = (unsigned)browser_eval_number(b, "window.ricochetTag.snapshot().id");

    /* The terminal jumps once, 3 s in: the room puts it back at the speed
     * limit; it goes on from there, and the page sees it there. */
    terminal(&term, tag_dir, "tag", (const char *[]){"--auto", "0", "--name", "term",
                                                      "--teleport", "3", NULL}, enet,
             (const char *[]){"yard", NULL});
    const char *joined = said(&term, "tag: joined as #", WAIT_MS, &out);
    if (!joined)
        fail_msg("the terminal never joined:\n%s", out ? out : "");
    unsigned me = 0;
    assert_int_equal(sscanf(joined, "tag: joined as #%u", &me), 1);
    snprintf(what, sizeof what, "tag: #%u teleports from (", me);
    const char *jump = said(&term, what, WAIT_MS, &out);
    if (!jump)
        fail_msg("the terminal never teleported:\n%s", out ? out : "");
    double fx, fy, tx, ty, cx = 0, cy = 0;
    assert_int_equal(sscanf(jump + strlen(what), "%lf, %lf) to (%lf, %lf)", &fx, &fy, &tx, &ty),
                     4);
    for (uint64_t end = clock_now_ms() + WAIT_MS; !corrected(out, what, me, &cx, &cy);) {
        if (clock_now_ms() > end)
            fail_msg("the room never corrected the terminal's teleport:\n%s", out);
        clock_sleep_ms(100);
        free(out);
        out = spawn_read_stdout(&term);
    }
    if (hypot(cx - fx, cy - fy) > 6 || hypot(cx - tx, cy - ty) < 30)
        fail_msg("from (%.2f, %.2f) to (%.2f, %.2f), corrected to (%.2f, %.2f): no speed limit",
                 fx, fy, tx, ty, cx, cy);
    char expr[300];
    snprintf(expr, sizeof expr, "window.ricochetTag.snapshot().fixes.some((f) => f.id === %u && "
             "f.seen && Math.abs(f.x - %.2f) < 0.011 && Math.abs(f.y - %.2f) < 0.011 && "
             "Math.hypot(f.seen.x - f.x, f.seen.y - f.y) < 0.05)", me, cx, cy);
    if (!browser_wait(b, expr, WAIT_MS))
        browser_fail(b, TAG_SNAP, "the page never saw the terminal where the room put it");
    print_message("the terminal's jump from (%.1f, %.1f) to (%.1f, %.1f): put at (%.2f, %.2f) "
                  "by the room, seen there by the page\n", fx, fy, tx, ty, cx, cy);

    /* The page jumps (its key T): the terminal sees it corrected. */
    browser_key(b, "t", true);
    browser_key(b, "t", false);
    if (!browser_wait(b, "window.ricochetTag.snapshot().teleports.length === 1", WAIT_MS))
        browser_fail(b, TAG_SNAP, "the page never teleported");
    /* the first fix of the page's after its jump (one before: its own pace) */
    snprintf(expr, sizeof expr, "(() => { const s = window.ricochetTag.snapshot();"
             " return s.fixes.slice(s.teleports[0].fixesBefore).some((f) => f.id === %u); })()",
             web);
    if (!browser_wait(b, expr, WAIT_MS))
        browser_fail(b, TAG_SNAP, "the room never corrected the page's teleport");
    cJSON *snap = browser_eval(b, TAG_SNAP), *f;
    const cJSON *jumped = cJSON_GetArrayItem(cJSON_GetObjectItem(snap, "teleports"), 0);
    const cJSON *to = cJSON_GetObjectItem(jumped, "to");
    double px = cJSON_GetNumberValue(cJSON_GetObjectItem(to, "x"));
    double py = cJSON_GetNumberValue(cJSON_GetObjectItem(to, "y"));
    int before = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(jumped, "fixesBefore")), i = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(snap, "fixes"))
        if (i++ >= before && (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(f, "id")) == web)
            break;
    assert_non_null(f);
    cx = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "x"));
    cy = cJSON_GetNumberValue(cJSON_GetObjectItem(f, "y"));
    cJSON_Delete(snap);
    if (hypot(cx - px, cy - py) < 30)
        fail_msg("the page's jump to (%.2f, %.2f) corrected to (%.2f, %.2f) only", px, py, cx, cy);
    char fix[80];
    snprintf(fix, sizeof fix, "tag: the room corrected #%u to (%.2f, %.2f)", web, cx, cy);
    const char *seen = said(&term, fix, WAIT_MS, &out);
    if (!seen)
        fail_msg("no \"%s\" in the terminal's:\n%s", fix, out ? out : "");
    snprintf(what, sizeof what, "tag: #%u seen at (", web);
    if (!(seen = said_after(&term, fix, what, WAIT_MS, &out)))
        fail_msg("the terminal never saw the page after its correction:\n%s", out ? out : "");
    double sx, sy;
    assert_int_equal(sscanf(seen + strlen(what), "%lf, %lf", &sx, &sy), 2);
    if (hypot(sx - px, sy - py) < 30)
        fail_msg("the terminal saw the page at (%.2f, %.2f), by its jump's (%.2f, %.2f)", sx, sy,
                 px, py);
    print_message("the page's jump to (%.1f, %.1f): put at (%.2f, %.2f) by the room, seen at "
                  "(%.2f, %.2f) by the terminal\n", px, py, cx, cy, sx, sy);
    assert_true(browser_eval_number(b, "window.ricochetTag.snapshot().bad") == 0);

    assert_int_equal(spawn_stop(&term, SIGINT, 10000), 0);
    free(out);
    spawn_free(&term);
    browser_close(b);
    servers_remove_tree(dir);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* The play page in a tag room a member of the test's own made refereed:
 * the room's "it", kept, and its word on the member's teleport, in the
 * page's log. */
static void the_play_page_shows_the_rooms_words(void **state)
{
    (void)state;
    struct spawn_proc relay;
    uint16_t enet, ws;
    char dir[] = "/tmp/ricochet-scripts-play-XXXXXX", url[200], expr[200];
    relay_start(&relay, &enet, &ws);
    struct ricochet_config *cfg = players_config(enet, RICOCHET_MODE_RELIABLE, "ann");
    assert_int_equal(ricochet_config_set_room(cfg, "yard"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room_prop(cfg, "script", "tag"), RICOCHET_OK);
    struct ricochet *c = players_connect(cfg);
    struct ricochet_event ev;
    players_wait_event(&c, 1, 0, RICOCHET_EV_WELCOME, &ev);
    unsigned ann = ev.id;
    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play?room=yard&name=pat", (unsigned)ws);
    struct browser *b = browser_open(dir, url, 1100, 720);
    snprintf(expr, sizeof expr, "window.ricochetPlay && window.ricochetPlay.snapshot().roomWords"
             ".some((w) => w.key === 'it' && w.text === '%u')", ann);
    if (!browser_wait(b, expr, WAIT_MS))
        browser_fail(b, "window.ricochetPlay.snapshot()", "the page never showed the room's it");
    struct ricochet_state st = {.x = 10, .y = 10};
    assert_int_equal(ricochet_send_state(c, &st), RICOCHET_OK);
    ricochet_flush(c);
    clock_sleep_ms(50);
    st.x = st.y = 90;
    assert_int_equal(ricochet_send_state(c, &st), RICOCHET_OK);
    ricochet_flush(c);
    snprintf(expr, sizeof expr, "window.ricochetPlay.snapshot().roomWords"
             ".some((w) => w.key === '' && w.text.startsWith('fix %u '))", ann);
    if (!browser_wait(b, expr, WAIT_MS))
        browser_fail(b, "window.ricochetPlay.snapshot()", "the page never showed the room's fix");
    snprintf(expr, sizeof expr, "[...document.getElementById('log').childNodes]"
             ".some((d) => d.textContent.includes('the room says: fix %u '))", ann);
    if (!browser_wait(b, expr, WAIT_MS)) /* in the log, as words */
        browser_fail(b, "window.ricochetPlay.snapshot()", "the page's log has no fix");
    ricochet_close(c);
    browser_close(b);
    servers_remove_tree(dir);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(browser_and_terminal_play_refereed_gates),
        cmocka_unit_test(browser_and_terminal_see_a_teleport_corrected),
        cmocka_unit_test(the_play_page_shows_the_rooms_words),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
