/* test_e2e_page.c: the relay's live page in a real browser. While bots
 * play, headless Chromium loads http://.../ from ricochet-relay --metrics
 * twice, seconds apart: each time the page has fetched /stats.json and
 * filled itself in (members, rooms, the busiest rooms, a running total),
 * the totals grew between the two, and the two screenshots are pictures
 * that differ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/servers.h"

#define WAIT_MS 5000

/* The number after `before` in the DOM; -1 if absent. */
static long long dom_after(const char *dom, const char *before)
{
    const char *at = strstr(dom, before);
    return at ? strtoll(at + strlen(before), NULL, 10) : -1;
}

/* The text of the element with id in the DOM, as a number; -1 if absent. */
static long long dom_number(const char *dom, const char *id)
{
    char want[96];
    snprintf(want, sizeof want, "id=\"%s\">", id);
    return dom_after(dom, want);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static const size_t cap = 1 << 22;
    char *buf = malloc(cap);
    assert_non_null(buf);
    *len = fread(buf, 1, cap, f);
    fclose(f);
    return buf;
}

static void bots(struct spawn_proc *p, int port, const char *room, const char *count,
                 const char *mode)
{
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *args[] = { "--port", port_s, "--room", room, "--count", count, "--mode", mode,
                           "--duration", "60", "--log-level", "error", NULL };
    assert_int_equal(harness_spawn(p, "ricochet-bot", args), 0);
}

/* Waits until the relay's snapshot shows `members` members. */
static void wait_members(const char *at, int members)
{
    char want[32];
    snprintf(want, sizeof want, "\"members\":%d,", members);
    uint64_t deadline = clock_now_ms() + 15000;
    for (;;) {
        struct http_response r = http_get(at, "/stats.json");
        bool there = strstr(r.body, want) != NULL;
        http_response_free(&r);
        if (there)
            return;
        if (clock_now_ms() >= deadline)
            fail_msg("the relay never had %d members", members);
        clock_sleep_ms(100);
    }
}

static void the_page_shows_a_live_relay(void **state)
{
    (void)state;
    struct spawn_proc relay, lobby, arena;
    char at[64], url[96], dir[] = "/tmp/ricochet-page-XXXXXX", png[2][128];
    const char *args[] = { "--metrics", "0", "--stats-interval", "0", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    http_wait_endpoint(&relay, at, sizeof at);
    snprintf(url, sizeof url, "http://%s/", at);
    bots(&lobby, port, "lobby", "4", "mixed");
    bots(&arena, port, "arena", "3", "unsequenced");
    wait_members(at, 7);
    servers_tmpdir(dir);

    long long total[2];
    for (int i = 0; i < 2; i++) {
        if (i)
            clock_sleep_ms(3000);
        char *dom = servers_chromium(dir, url, NULL, 2500);
        assert_non_null(dom);
        total[i] = dom_number(dom, "states-in-total");
        print_message("load %d: %lld states in, %lld members, %lld updates\n", i, total[i],
                      dom_number(dom, "members"), dom_after(dom, "data-updates=\""));
        assert_true(dom_after(dom, "data-updates=\"") >= 1); /* the page filled itself in */
        assert_int_equal(dom_number(dom, "members"), 7);
        assert_int_equal(dom_number(dom, "rooms"), 2);
        assert_non_null(strstr(dom, "<td>lobby</td><td>4</td>")); /* the busiest first */
        assert_non_null(strstr(dom, "<td>arena</td><td>3</td>"));
        assert_non_null(strstr(dom, ">ready<"));
        free(dom);
        snprintf(png[i], sizeof png[i], "%s/page%d.png", dir, i);
        free(servers_chromium(dir, url, png[i], 2500));
    }
    assert_true(total[0] > 0);
    assert_true(total[1] > total[0]);

    size_t len[2];
    char *img[2] = { slurp(png[0], &len[0]), slurp(png[1], &len[1]) };
    for (int i = 0; i < 2; i++) {
        assert_true(len[i] > 10000);
        assert_memory_equal(img[i], "\x89PNG\r\n\x1a\n", 8);
    }
    assert_false(len[0] == len[1] && memcmp(img[0], img[1], len[0]) == 0);
    free(img[0]);
    free(img[1]);
    servers_remove_tree(dir);
    spawn_stop(&lobby, SIGINT, WAIT_MS);
    spawn_stop(&arena, SIGINT, WAIT_MS);
    spawn_free(&lobby);
    spawn_free(&arena);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_page_shows_a_live_relay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
