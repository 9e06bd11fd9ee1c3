/* test_e2e_webrtc.c: ricochet-relay's webrtc edge end to end, as a browser
 * meets it: python3-aiortc (tests/support/aiortc_player.py, run by Debian's
 * /usr/bin/python3) POSTs its offer to the relay's HTTP front (/rtc on its
 * ws edge), opens the three data channels, joins over control and
 * exchanges 1,000 reliable states each way with ricochet-bot over the
 * relay's ENet edge: every one delivered, in order, the aiortc player's on
 * its control channel; the relay's stats record counts the offer and the
 * member of its webrtc edge. A relay with --ticket-key and --encrypt:
 * an offer without a ticket is refused (403) before any session exists;
 * with a sealed ticket the aiortc player joins in clear (DTLS encrypts its
 * edge; no `sealed` message) and plays with a bot whose ENet session is
 * sealed. Offers that would keep browsers out: 300 from one address, and
 * 300 with one ticket's pass from 40 addresses, still coming while an
 * aiortc player from 127.0.0.1 offers, joins and plays with a bot: each
 * address holds at most --max-per-address sessions not yet checked, each
 * pass one, the older giving way. Skipped, with a line, by a relay
 * without a ws edge. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/harness/spawn.h"
#include "proto/ticket.h"
#include "rtc/rtc_peer.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/streams.h"

static char dir[] = "/tmp/ricochet-e2e-webrtc-XXXXXX";
static char key_path[256];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(key_path, sizeof key_path, "%s/backend.key", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The relay with args, its ws edge first; skips the test (the relay
 * exits at once) when it has no ws edge. Returns the ws edge's port. */
static int relay_with_ws(struct spawn_proc *relay, const char *const *args)
{
    int port = harness_start_relay(relay, args);
    if (port > 0)
        return port;
    char *err = spawn_read_stderr(relay);
    bool no_ws = err && strstr(err, "no edge speaks 'ws'");
    free(err);
    spawn_free(relay);
    if (no_ws) {
        printf("skipped: this relay has no ws edge, whose POST /rtc carries offers\n");
        skip();
    }
    fail_msg("the relay did not start");
    return -1;
}

/* line_with, waiting up to ms for it (or for p's exit). */
static cJSON *wait_line(struct spawn_proc *p, const char *key, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    cJSON *found;
    for (;;) {
        bool running = spawn_running(p);
        if ((found = harness_json_line(p, key)) || !running || clock_now_ms() >= end)
            return found;
        clock_sleep_ms(20);
    }
}

/* Starts the aiortc player, its offer to ws_port's /rtc, with more args. */
static void player_start(struct spawn_proc *p, int ws_port, const char *const *more)
{
    static char url[64];
    char err[256];
    const char *args[32] = {"tests/support/aiortc_player.py", "--post", url};
    size_t n = 3;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/rtc", ws_port);
    for (; more && *more && n < 31; more++)
        args[n++] = *more;
    args[n] = NULL;
    if (spawn_start(p, "/usr/bin", "python3", args, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* The player's welcome: its id (fails the test without one). */
static uint32_t player_welcomed(struct spawn_proc *p)
{
    cJSON *w = wait_line(p, "welcome", 30000);
    if (!w) {
        char *e = spawn_read_stderr(p), *o = spawn_read_stdout(p);
        fail_msg("aiortc was not welcomed (python3-aiortc installed?): %s %s", o ? o : "",
                 e ? e : "");
    }
    uint32_t id = (uint32_t)cJSON_GetObjectItem(w, "welcome")->valueint;
    cJSON_Delete(w);
    return id;
}

/* What the bot's summary says its first bot received from id, or -1;
 * *bot_id gets that bot's own id. */
static int bot_received_from(const cJSON *summary, uint32_t id, uint32_t *bot_id)
{
    const cJSON *bot = cJSON_GetArrayItem(cJSON_GetObjectItem(summary, "bots"), 0), *from;
    *bot_id = (uint32_t)cJSON_GetObjectItem(bot, "id")->valueint;
    cJSON_ArrayForEach(from, cJSON_GetObjectItem(bot, "from"))
        if ((uint32_t)cJSON_GetObjectItem(from, "id")->valueint == id)
            return cJSON_GetObjectItem(from, "received")->valueint;
    return -1;
}

/* The player and a bot (bot_args) play until the player has n of the bot's
 * states: each must get all of the other's, the player's on control and
 * in order. Returns the player's result line (the caller frees). */
static cJSON *play(struct spawn_proc *player, uint32_t player_id, const char *const *bot_args,
                   int n)
{
    struct spawn_proc bot;
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", bot_args), 0);
    cJSON *got = wait_line(player, "got", 60000);
    if (!got) {
        char *e = spawn_read_stderr(player);
        fail_msg("aiortc did not finish: %s", e ? e : "");
    }
    assert_int_equal(spawn_stop(&bot, 0, 20000), 0);
    cJSON *summary = harness_json_line(&bot, "bots");
    assert_non_null(summary);
    uint32_t bot_id;
    int to_bot = bot_received_from(summary, player_id, &bot_id);
    char key[16];
    snprintf(key, sizeof key, "%u", bot_id);
    const cJSON *from_bot = cJSON_GetObjectItem(cJSON_GetObjectItem(got, "got"), key);
    assert_non_null(from_bot);
    int to_player = cJSON_GetObjectItem(from_bot, "control")->valueint;
    printf("aiortc got %d of the bot's %d reliable states (on control), the bot %d of "
           "aiortc's %d\n", to_player, n, to_bot, n);
    assert_int_equal(to_player, n);
    assert_int_equal(cJSON_GetArraySize(from_bot), 1); /* every one on control */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(got, "in_order")));
    assert_int_equal(to_bot, n);
    cJSON_Delete(summary);
    spawn_free(&bot);
    assert_int_equal(spawn_stop(player, 0, 10000), 0);
    return got;
}

/* python3-aiortc and an ENet bot: 1,000 reliable states each way. */
static void aiortc_plays_with_a_bot(void **state)
{
    (void)state;
    struct spawn_proc relay, player;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--listen", "webrtc://127.0.0.1:0",
                          "--listen", "enet://127.0.0.1:0", "--rate-limit", "0",
                          "--stats-interval", "0", NULL};
    int ws = relay_with_ws(&relay, args);
    char enet[16];
    snprintf(enet, sizeof enet, "%u", harness_edge_port(&relay, "enet"));
    const char *more[] = {"--states", "1000", "--rate", "400", "--expect", "1000", NULL};
    player_start(&player, ws, more);
    uint32_t id = player_welcomed(&player);
    const char *bot[] = {"-p", enet, "--mode", "reliable", "--rate", "200", "-t", "5",
                         "--json", NULL};
    cJSON_Delete(play(&player, id, bot, 1000));
    spawn_free(&player);
    char *out = harness_relay_finish(&relay);
    assert_int_equal(harness_stats_field(out, true, "edges.webrtc.offers"), 1);
    assert_int_equal(harness_stats_field(out, true, "edges.webrtc.states_in"), 1000);
    assert_int_equal(harness_stats_field(out, true, "edges.webrtc.half_open"), 0);
    free(out);
}

/* A relay that takes tickets and seals: no ticket, no session (403); a
 * sealed ticket's player joins in clear and plays with a sealed bot. */
static void tickets_on_a_relay_that_seals(void **state)
{
    (void)state;
    const char *keygen[] = {"keygen", key_path, NULL};
    free(harness_program_line("ricochet-ticket", keygen));
    const char *mint_web[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "web",
                              NULL};
    const char *mint_bot[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "bot",
                              NULL};
    struct spawn_proc relay, player;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--listen", "webrtc://127.0.0.1:0",
                          "--listen", "enet://127.0.0.1:0", "--rate-limit", "0",
                          "--ticket-key", key_path, "--encrypt", "--stats-interval", "0",
                          NULL};
    int ws = relay_with_ws(&relay, args);
    char *web = harness_program_line("ricochet-ticket", mint_web);
    char *bot_ticket = harness_program_line("ricochet-ticket", mint_bot);
    char enet[16];
    snprintf(enet, sizeof enet, "%u", harness_edge_port(&relay, "enet"));
    player_start(&player, ws, NULL); /* no ticket */
    cJSON *refused = wait_line(&player, "refused", 30000);
    assert_non_null(refused);
    assert_int_equal(cJSON_GetObjectItem(refused, "refused")->valueint, 403);
    assert_int_equal(spawn_stop(&player, 0, 10000), 3);
    cJSON_Delete(refused);
    spawn_free(&player);
    const char *more[] = {"--ticket", web, "--states", "200", "--rate", "400", "--expect",
                          "200", NULL};
    player_start(&player, ws, more);
    uint32_t id = player_welcomed(&player);
    const char *bot[] = {"-p", enet, "--mode", "reliable", "--rate", "200", "-t", "1",
                         "--ticket", bot_ticket, "--json", NULL};
    cJSON *got = play(&player, id, bot, 200);
    const cJSON *control = cJSON_GetObjectItem(got, "control");
    assert_null(cJSON_GetObjectItem(control, "sealed")); /* DTLS is its seal */
    assert_non_null(cJSON_GetObjectItem(control, "welcome"));
    cJSON_Delete(got);
    spawn_free(&player);
    char *out = harness_relay_finish(&relay);
    assert_int_equal(harness_stats_field(out, true, "edges.webrtc.offers_ticket"), 1);
    assert_int_equal(harness_stats_field(out, true, "edges.webrtc.offers"), 1);
    assert_int_equal(harness_stats_field(out, true, "drops.seal_forged"), 0);
    free(out);
    free(web);
    free(bot_ticket);
}

/* ---- offers that would keep browsers out ------------------------------------ */

/* An attacker's offers: one SDP (an rtc_peer's, whose session it never
 * runs) POSTed again and again, from 127.0.0.first on (addrs addresses in
 * turn), with a ticket's pass or none. */
struct offers {
    uint16_t port;
    char request[8192];
    size_t len;
    unsigned first, addrs, sent, answered, refused;
};

static void offers_init(struct offers *o, uint16_t port, const char *pass, unsigned first,
                        unsigned addrs)
{
    static const struct rtc_peer_ops ops = {0};
    union netaddr self;
    char err[160], auth[TICKET_PASS_TEXT_MAX + 40] = "";
    assert_int_equal(netaddr_resolve("127.0.0.1", 9, &self, err, sizeof err), 0);
    struct rtc_peer *p = rtc_peer_new(&self, &ops, NULL, err, sizeof err);
    if (!p)
        fail_msg("rtc_peer_new: %s", err);
    const char *sdp = rtc_peer_offer(p);
    if (pass)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", pass);
    *o = (struct offers){.port = port, .first = first, .addrs = addrs};
    int n = snprintf(o->request, sizeof o->request,
                     "POST /rtc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n"
                     "Content-Length: %zu\r\n%s\r\n%s", strlen(sdp), auth, sdp);
    assert_true(n > 0 && (size_t)n < sizeof o->request);
    o->len = (size_t)n;
    rtc_peer_free(p);
}

/* n more offers, each from the next address in turn. */
static void offers_more(struct offers *o, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        char from[16];
        snprintf(from, sizeof from, "127.0.0.%u", o->first + o->sent++ % o->addrs);
        int status = streams_http(from, o->port, o->request, o->len, NULL, 0, 5000);
        o->answered += status == 201;
        o->refused += status != 201;
    }
}

/* The player's welcome (its id) while the offers keep coming, 20 every
 * 50 ms; fails the test if it was refused or timed out. */
static uint32_t welcomed_under(struct spawn_proc *p, struct offers *o)
{
    uint64_t start = clock_now_ms(), end = start + 30000;
    cJSON *w = NULL;
    while (!(w = harness_json_line(p, "welcome")) && spawn_running(p) && clock_now_ms() < end) {
        offers_more(o, 20);
        clock_sleep_ms(50);
    }
    if (!w && !(w = harness_json_line(p, "welcome"))) {
        char *out = spawn_read_stdout(p), *e = spawn_read_stderr(p);
        fail_msg("aiortc was not welcomed under %u offers (%u refused): %s %s", o->sent,
                 o->refused, out ? out : "", e ? e : "");
    }
    uint32_t id = (uint32_t)cJSON_GetObjectItem(w, "welcome")->valueint;
    cJSON_Delete(w);
    printf("offers: aiortc welcomed after %llu ms, under %u offers (%u answered)\n",
           (unsigned long long)(clock_now_ms() - start), o->sent, o->answered);
    return id;
}

/* The relay ends: every offer of o was answered, all but the last held
 * (at most) taking the place of one before (edges.webrtc.evicted), none
 * refused for want of room. */
static void offers_answered(struct spawn_proc *relay, const struct offers *o, const char *what,
                            unsigned held)
{
    char *out = harness_relay_finish(relay);
    long long evicted = harness_stats_field(out, true, "edges.webrtc.evicted");
    printf("offers %s: %u sent, %u answered, %lld evicted\n", what, o->sent, o->answered,
           evicted);
    assert_int_equal(o->answered, o->sent);
    assert_true(evicted >= (long long)o->answered - held);
    assert_int_equal(harness_stats_field(out, true, "edges.webrtc.offers_full"), 0);
    free(out);
}

/* 300 offers from 127.0.0.2, and more while an aiortc player from
 * 127.0.0.1 offers and joins: 127.0.0.2 holds at most --max-per-address
 * (16) sessions not yet checked, its oldest giving way to its newest, so
 * the player is answered and plays. Before, the 300 took every one of the
 * 264 half-open sessions and the player was refused 503. */
static void offers_from_one_address(void **state)
{
    (void)state;
    struct spawn_proc relay, player;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--listen", "webrtc://127.0.0.1:0",
                          "--listen", "enet://127.0.0.1:0", "--stats-interval", "0", NULL};
    int ws = relay_with_ws(&relay, args);
    char enet[16];
    snprintf(enet, sizeof enet, "%u", harness_edge_port(&relay, "enet"));
    static struct offers o;
    offers_init(&o, (uint16_t)ws, NULL, 2, 1);
    offers_more(&o, 300);
    const char *more[] = {"--states", "100", "--rate", "200", "--expect", "100", NULL};
    player_start(&player, ws, more);
    uint32_t id = welcomed_under(&player, &o);
    const char *bot[] = {"-p", enet, "--mode", "reliable", "--rate", "100", "-t", "1",
                         "--json", NULL};
    cJSON_Delete(play(&player, id, bot, 100));
    spawn_free(&player);
    offers_answered(&relay, &o, "from one address", 16); /* each in its oldest's place */
}

/* 300 offers with one ticket's pass from 40 addresses, and more while an
 * aiortc player with a ticket of its own offers and joins: the pass holds
 * one session not yet checked at a time, the newer offer taking its
 * place, so the player is answered and plays with a ticketed bot. Before,
 * /rtc checked the pass without claiming it: the 300 took the 264
 * half-open sessions and the player was refused 503. */
static void offers_with_one_pass(void **state)
{
    (void)state;
    char key[300];
    snprintf(key, sizeof key, "%s/passes.key", dir);
    const char *keygen[] = {"keygen", key, NULL};
    free(harness_program_line("ricochet-ticket", keygen));
    const char *mint_web[] = {"mint", "--key", key, "--room", "lobby", "--name", "web",
                              "--clear", NULL};
    const char *mint_bot[] = {"mint", "--key", key, "--room", "lobby", "--name", "bot",
                              "--clear", NULL};
    const char *mint_bad[] = {"mint", "--key", key, "--room", "lobby", "--name", "bad",
                              "--clear", NULL};
    struct spawn_proc relay, player;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--listen", "webrtc://127.0.0.1:0",
                          "--listen", "enet://127.0.0.1:0", "--ticket-key", key,
                          "--stats-interval", "0", NULL};
    int ws = relay_with_ws(&relay, args);
    char *web = harness_program_line("ricochet-ticket", mint_web);
    char *bot_ticket = harness_program_line("ricochet-ticket", mint_bot);
    char *bad = harness_program_line("ricochet-ticket", mint_bad);
    char pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims c;
    assert_int_equal(ticket_read(bad, &c, pass, sizeof pass), 0);
    char enet[16];
    snprintf(enet, sizeof enet, "%u", harness_edge_port(&relay, "enet"));
    static struct offers o;
    offers_init(&o, (uint16_t)ws, pass, 2, 40);
    offers_more(&o, 300);
    const char *more[] = {"--ticket", web, "--states", "100", "--rate", "200", "--expect",
                          "100", NULL};
    player_start(&player, ws, more);
    uint32_t id = welcomed_under(&player, &o);
    const char *bot[] = {"-p", enet, "--mode", "reliable", "--rate", "100", "-t", "1",
                         "--ticket", bot_ticket, "--json", NULL};
    cJSON_Delete(play(&player, id, bot, 100));
    spawn_free(&player);
    offers_answered(&relay, &o, "with one pass", 1); /* each in the place of the one before */
    free(web);
    free(bot_ticket);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aiortc_plays_with_a_bot),
        cmocka_unit_test(tickets_on_a_relay_that_seals),
        cmocka_unit_test(offers_from_one_address),
        cmocka_unit_test(offers_with_one_pass),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
