/* test_e2e_play_player.c: the play page keeps its player across a reload,
 * in headless Chromium (`tests/support/browser.c`) served by the relay's
 * WebSocket edge: the page joins, an ENet member of the room sees its
 * player; reloaded, the page joins again as the same player id (its key
 * kept in the tab's sessionStorage), and the member sees that player come
 * back; the key is in neither the page's text, its URL nor its snapshot;
 * a page whose sessionStorage holds no key (another tab's) is another
 * player; and a second session with the page's key (as a duplicated tab,
 * which copies its storage, joins) takes its place: the page ends
 * replaced, says the player plays in another tab or window, forgets its
 * key and does not join again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client/lib/ricochet.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/players.h"

#define WAIT_MS 15000

/* The page's player id once it is joined (16 hex digits). */
static void page_player(struct browser *b, char out[17])
{
    if (!browser_wait(b, "window.ricochetPlay && window.ricochetPlay.snapshot().phase === 'joined'",
                      WAIT_MS))
        browser_fail(b, "window.ricochetPlay && window.ricochetPlay.snapshot()", "the page joined");
    cJSON *p = browser_eval(b, "window.ricochetPlay.snapshot().player");
    assert_true(cJSON_IsString(p));
    snprintf(out, 17, "%s", p->valuestring);
    cJSON_Delete(p);
    assert_int_equal(strlen(out), 16);
}

/* Polls obs until a member of player is listed (JOINED or REJOINED). */
static void obs_sees(struct ricochet *obs, const char *player)
{
    struct ricochet_event ev;
    for (uint64_t end = ricochet_now_us() + WAIT_MS * 1000ull; ricochet_now_us() < end;) {
        if (ricochet_poll(obs, 20, &ev) != 1)
            continue;
        if ((ev.type == RICOCHET_EV_JOINED || ev.type == RICOCHET_EV_REJOINED) &&
            strcmp(ricochet_player(obs, ev.id) ? ricochet_player(obs, ev.id) : "", player) == 0)
            return;
    }
    fail_msg("no member of player %s seen", player);
}

static bool page_says(struct browser *b, const char *expr)
{
    cJSON *v = browser_eval(b, expr);
    bool yes = cJSON_IsTrue(v);
    cJSON_Delete(v);
    return yes;
}

static void a_reload_is_the_same_player(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                           "--stats-interval", "0", NULL };
    int enet = harness_start_relay(&relay, args);
    assert_true(enet > 0);
    uint16_t ws = harness_edge_port(&relay, "ws");
    struct ricochet_config *cfg = players_config((uint16_t)enet, RICOCHET_MODE_RELIABLE, "obs");
    assert_int_equal(ricochet_config_set_room(cfg, "keep"), RICOCHET_OK);
    struct ricochet *obs = players_connect(cfg);
    players_wait_event(&obs, 1, 0, RICOCHET_EV_WELCOME, &(struct ricochet_event){0});

    char dir[] = "/tmp/ricochet-play-XXXXXX", url[160];
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play?room=keep&name=web", (unsigned)ws);
    struct browser *b = browser_open(dir, url, 1024, 720);
    char first[17], again[17];
    page_player(b, first);
    obs_sees(obs, first);
    assert_true(page_says(b, "/^[0-9a-f]{32}$/.test(sessionStorage.getItem('ricochet.play.key'))"));

    browser_navigate(b, url); /* a reload */
    page_player(b, again);
    assert_string_equal(again, first);
    obs_sees(obs, first);
    /* the key is a secret: not on the page, in its URL or in its snapshot */
    assert_true(page_says(b, "(() => { const k = sessionStorage.getItem('ricochet.play.key');"
                             " return k.length === 32 && !document.body.innerText.includes(k) &&"
                             " !location.href.includes(k) &&"
                             " !JSON.stringify(window.ricochetPlay.snapshot()).includes(k); })()"));

    /* another tab's storage holds no key: another player */
    cJSON_Delete(browser_eval(b, "sessionStorage.clear()"));
    browser_navigate(b, url);
    page_player(b, again);
    assert_string_not_equal(again, first);

    /* its key in a second session (a duplicated tab's copy): the page is replaced */
    cJSON *key = browser_eval(b, "sessionStorage.getItem('ricochet.play.key')");
    assert_true(cJSON_IsString(key));
    cfg = players_config((uint16_t)enet, RICOCHET_MODE_RELIABLE, "web");
    assert_int_equal(ricochet_config_set_room(cfg, "keep"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_key(cfg, key->valuestring), RICOCHET_OK);
    cJSON_Delete(key);
    struct ricochet *copy = players_connect(cfg);
    /* the page says so, its key forgotten, and does not join again: no second REJOINED */
    const char *said = "document.body.innerText.includes('replaced: this player plays in another"
                       " tab or window') && window.ricochetPlay.snapshot().phase === 'closed' &&"
                       " sessionStorage.getItem('ricochet.play.key') === null";
    struct ricochet_event ev;
    unsigned back = 0;
    bool replaced = false;
    for (uint64_t end = ricochet_now_us() + WAIT_MS * 1000ull, quiet = UINT64_MAX;
         ricochet_now_us() < (replaced ? quiet : end);) {
        for (int i = 0; i < 5; i++) {
            if (ricochet_poll(obs, 10, &ev) == 1 && ev.type == RICOCHET_EV_REJOINED &&
                strcmp(ricochet_player(obs, ev.id) ? ricochet_player(obs, ev.id) : "", again) == 0)
                back++; /* the copy taking the place; a second: the page taking it back */
            ricochet_poll(copy, 0, &ev);
        }
        if (!replaced && (replaced = page_says(b, said)))
            quiet = ricochet_now_us() + 2000000; /* long enough for the page to come back */
    }
    if (!replaced)
        browser_fail(b, "document.getElementById('log').innerText.slice(-600)",
                     "the page says it was replaced");
    assert_int_equal(back, 1);
    assert_true(ricochet_joined(copy));
    ricochet_close(copy);

    browser_close(b);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    ricochet_close(obs);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_reload_is_the_same_player),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
