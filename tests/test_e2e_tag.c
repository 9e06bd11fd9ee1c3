/* test_e2e_tag.c: the tag game, a terminal player and a browser player in
 * one room. client/examples/tag.c is built as a game developer builds it
 * (the library installed, `pkg-config --cflags --libs ricochet`) and plays
 * by itself (--auto) over ENet; the relay's tag page (/tag, client/js/
 * tag.js) plays by itself (auto=1) in headless Chromium over the WebSocket
 * edge, driven over the DevTools protocol (tests/support/browser.c). Each
 * side reads the other's colour and score from its states' payloads; each
 * tags the other, by an event stamped by the relay, and the other sees it:
 * "it" and the scores change on both sides, and every hand-off both saw is
 * the same hand-off on both (who tagged whom, read from the page and from
 * the terminal player's output). */
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

#include "tests/support/browser.h"
#include "tests/support/examples.h"
#include "tests/support/harness.h"
#include "tests/support/servers.h"

#define WAIT_MS 45000     /* both have tagged: a hand-off takes a few seconds */
#define ROOM "tagroom"
#define HANDOFFS_MAX 256

static char scratch[64]; /* the DESTDIR, and where tag is built */

static int setup(void **state)
{
    (void)state;
    return examples_build(scratch, sizeof scratch, "tag");
}

static int teardown(void **state)
{
    (void)state;
    return examples_remove(scratch);
}

/* One hand-off of "it": who tagged whom. */
struct handoff {
    unsigned from, to;
    bool seen;
};

static double number(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *text(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void fail_with_console(struct browser *b, const char *what)
{
    cJSON *s = browser_eval(b, "window.ricochetTag && window.ricochetTag.snapshot()");
    char *shown = s ? cJSON_PrintUnformatted(s) : NULL;
    print_error("the page: %s\nits console:\n%s", shown ? shown : "-", browser_console(b));
    free(shown);
    cJSON_Delete(s);
    fail_msg("%s", what);
}

/* The terminal player's lines "tag: #A tagged #B (hand-off N)" into h[N];
 * its own id from "tag: joined as #ID". Returns how many. */
static int terminal_handoffs(const char *out, unsigned *me, struct handoff h[HANDOFFS_MAX])
{
    int n = 0;
    for (const char *line = out; line && *line; line = strchr(line, '\n'), line += !!line) {
        unsigned from, to, k;
        if (sscanf(line, "tag: joined as #%u", me) == 1)
            continue;
        if (sscanf(line, "tag: #%u tagged #%u (hand-off %u)", &from, &to, &k) == 3 &&
            k < HANDOFFS_MAX) {
            h[k] = (struct handoff){from, to, true};
            n++;
        }
    }
    return n;
}

/* The terminal player's summary: its score, and the score and colour it
 * read from the page's payloads ("tag: player #ID web score S colour #C"). */
static void terminal_summary(const char *out, unsigned me, unsigned page, unsigned *my_score,
                             unsigned *page_score, char page_colour[8])
{
    char pattern[64];
    unsigned score;
    snprintf(pattern, sizeof pattern, "tag: #%u score ", me);
    const char *line = strstr(out, pattern);
    assert_non_null(line);
    assert_int_equal(sscanf(line + strlen(pattern), "%u", &score), 1);
    *my_score = score;
    snprintf(pattern, sizeof pattern, "tag: player #%u web score ", page);
    line = strstr(out, pattern);
    assert_non_null(line);
    assert_int_equal(sscanf(line + strlen(pattern), "%u colour #%7s", page_score, page_colour),
                     2);
}

/* The page's hand-offs (its snapshot's tags) into h[N]. */
static int page_handoffs(const cJSON *snap, struct handoff h[HANDOFFS_MAX])
{
    int n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(snap, "tags")) {
        double k = number(t, "handoff");
        if (k >= 0 && k < HANDOFFS_MAX) {
            h[(int)k] = (struct handoff){(unsigned)number(t, "from"), (unsigned)number(t, "to"),
                                         true};
            n++;
        }
    }
    return n;
}

static void terminal_and_browser_play_tag(void **state)
{
    (void)state;
    struct spawn_proc relay, term;
    const char *relay_args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                                "--stats-interval", "0", NULL};
    int enet = harness_start_relay(&relay, relay_args);
    assert_true(enet > 0);
    uint16_t ws = harness_edge_port(&relay, "ws");
    char port_s[16], lib[128], err[256], dir[] = "/tmp/ricochet-tag-XXXXXX", url[200];
    snprintf(port_s, sizeof port_s, "%d", enet);
    snprintf(lib, sizeof lib, "%s/usr/lib", scratch);
    const char *args[] = {"--auto", "0", "--name", "term", "--colour", "00a0ff", "127.0.0.1",
                          port_s, ROOM, NULL};
    setenv("LD_LIBRARY_PATH", lib, 1);
    assert_int_equal(spawn_start(&term, scratch, "tag", args, err, sizeof err), 0);
    unsetenv("LD_LIBRARY_PATH");

    servers_tmpdir(dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/tag?room=" ROOM "&name=web&colour=ff8000&auto=1",
             (unsigned)ws);
    struct browser *b = browser_open(dir, url, 1100, 720);
    if (!browser_wait(b, "window.ricochetTag && window.ricochetTag.snapshot().phase === 'joined'",
                      15000))
        fail_with_console(b, "the page never joined");
    /* The page reads the terminal player's colour from its payloads. */
    if (!browser_wait(b, "window.ricochetTag.snapshot().members.some((m) => m.name === 'term' &&"
                         " m.colour === '00a0ff')", 15000))
        fail_with_console(b, "the page never read the terminal player's payload");
    /* Each has tagged the other, and each one's score reached the other. */
    if (!browser_wait(b, "(() => { const s = window.ricochetTag.snapshot();"
                         " const t = s.members.find((m) => m.name === 'term');"
                         " return t && s.tags.some((x) => x.from === s.id && x.to === t.id) &&"
                         " s.tags.some((x) => x.from === t.id && x.to === s.id) &&"
                         " t.score >= 1 && s.me.score >= 1; })()", WAIT_MS))
        fail_with_console(b, "the two players did not tag each other");
    clock_sleep_ms(1000); /* the last payloads on their way */
    cJSON *snap = browser_eval(b, "window.ricochetTag.snapshot()");
    assert_true(cJSON_IsObject(snap));
    assert_int_equal(spawn_stop(&term, SIGINT, 10000), 0);
    char *out = spawn_read_stdout(&term);
    assert_non_null(out);
    print_message("the terminal player said:\n%s", out);

    struct handoff mine[HANDOFFS_MAX] = {{0}}, theirs[HANDOFFS_MAX] = {{0}};
    unsigned me = 0, page = (unsigned)number(snap, "id");
    int n_term = terminal_handoffs(out, &me, theirs), n_page = page_handoffs(snap, mine);
    assert_true(me > 0 && page > 0 && me != page);
    unsigned by_term = 0, by_page = 0, common = 0;
    for (int k = 0; k < HANDOFFS_MAX; k++) {
        if (theirs[k].seen) {
            by_term += theirs[k].from == me && theirs[k].to == page;
            by_page += theirs[k].from == page && theirs[k].to == me;
        }
        if (!mine[k].seen || !theirs[k].seen)
            continue;
        common++;
        if (mine[k].from != theirs[k].from || mine[k].to != theirs[k].to)
            fail_msg("hand-off %d: #%u tagged #%u on the page, #%u tagged #%u in the terminal", k,
                     mine[k].from, mine[k].to, theirs[k].from, theirs[k].to);
    }
    print_message("hand-offs: %d seen by the page, %d by the terminal, %u by both, the same; "
                  "the terminal tagged %u times, the page %u\n", n_page, n_term, common, by_term,
                  by_page);
    assert_true(by_term >= 1 && by_page >= 1); /* the terminal saw the page's tag */
    assert_true(common >= 2);

    /* Scores: each side's own, and the other's read from its payloads. */
    unsigned my_score, page_score;
    char colour[8];
    terminal_summary(out, me, page, &my_score, &page_score, colour);
    const cJSON *t, *term_seen = NULL;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(snap, "members"))
        if (strcmp(text(t, "name"), "term") == 0)
            term_seen = t;
    assert_non_null(term_seen);
    print_message("the terminal's score %u (the page read %.0f), the page's %.0f (the terminal "
                  "read %u, colour #%s)\n", my_score, number(term_seen, "score"),
                  number(cJSON_GetObjectItem(snap, "me"), "score"), page_score, colour);
    assert_int_equal(my_score, by_term);
    assert_true(page_score >= 1 && number(term_seen, "score") >= 1);
    assert_string_equal(colour, "ff8000");
    assert_true(number(snap, "bad") == 0);

    cJSON_Delete(snap);
    free(out);
    spawn_free(&term);
    browser_close(b);
    servers_remove_tree(dir);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(terminal_and_browser_play_tag),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
