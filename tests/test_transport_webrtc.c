/* test_transport_webrtc.c: the webrtc edge in process with rtc_peer clients:
 * states on each channel, control, batches, a leave, and the offers it
 * refuses. */
/* The webrtc edge in process on 127.0.0.1, the real
 * edge and core, `rtc/rtc_peer` clients on sockets of their own, offers through
 * the edge's answer op (`tests/support/rtc_edge.c`): states on each channel
 * arriving on their mode's channel with the sender's id, a mode switch, chat
 * and ping over `control`, JSON on a state channel refused; batches for a
 * member that asks; a missing channel's fallback; a member that ends is `left`
 * (quit); offers refused for their SDP, their ticket (the core's precheck) and
 * past `--max-half-open` while no session not yet checked is 250 ms old,
 * nothing kept; sessions not yet checked giving way to newer offers: from one
 * address past `--max-per-address` (its oldest, at once), with one pass (its
 * session, while unchecked; once checked, `403`, and its own join admitted),
 * past `--max-half-open` (the oldest once 250 ms old), each pass free again
 * with its session; a session past `--max-per-address` as its control channel
 * opens closed from inside SCTP's callback, freed once that returned (it was
 * freed inside it); a shutdown's error delivered before the close; checks under
 * a wrong password or for no session, DTLS hellos and SCTP outside DTLS from
 * 100 source addresses, counted and answered with no byte while two members
 * play; channels of other labels or kinds and a flood of opens refused;
 * messages over `a=max-message-size` dropped; every counter of `edges.webrtc`
 * in STATS.md; behind `ricochet-netsim`, the answers naming netsim
 * (`--webrtc-advertise`) and sessions running through it; python3-aiortc
 * (`tests/support/aiortc_player.py`, its offer through a file) and
 * `ricochet-bot` over ENet exchanging 1,000 reliable states each way through
 * the relay's loop in process on both edges, all delivered, in order */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/harness/freeport.h"
#include "lab/harness/spawn.h"
#include "proto/ticket.h"
#include "relay/edges.h"
#include "relay/settings.h"
#include "relay/stats_record.h"
#include "rtc/rtc_dtls.h"
#include "rtc/rtc_sctp.h"
#include "rtc/rtc_sdp.h"
#include "rtc/rtc_stun.h"
#include "relay/webrtc/transport_webrtc.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "tests/support/edge_turn.h"
#include "tests/support/harness.h"
#include "tests/support/rtc_edge.h"

#define STRANGERS 100

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    return ticket_crypto_init();
}

/* Clients 0 and 1 open, joined to "lobby"; their ids in ids. */
static void lobby_of_two(uint32_t ids[2], const char *extra1)
{
    for (int i = 0; i < 2; i++) {
        rtc_client_new(i, RTC_PEER_OPEN_ALL);
        assert_true(rtc_client_offer(i, NULL) > 0);
        rtc_until_open(i);
    }
    ids[0] = rtc_join(0, "lobby", "alice", "");
    ids[1] = rtc_join(1, "lobby", "bob", extra1);
}

static size_t want_states;
static uint32_t want_sender;

static bool has_states(int i)
{
    return rtc_states(i, want_sender, UINT16_MAX) >= want_states;
}

/* Turns until client i got n states from sender, 3 s at most. */
static bool until_states(int i, uint32_t sender, size_t n)
{
    want_sender = sender;
    want_states = n;
    return rtc_until(has_states, i, 3000);
}

/* Turns until what(arg) is at least want, 3 s at most; returns it. */
static uint64_t until_at_least(uint64_t (*what)(const void *arg), const void *arg,
                               uint64_t want)
{
    uint64_t end = clock_now_us() + 3000000;
    while (what(arg) < want && clock_now_us() < end)
        rtc_pump(1);
    rtc_pump(20); /* and nothing more comes */
    return what(arg);
}

static uint64_t counter_of(const void *name)
{
    return rtc_counter(name);
}

static uint64_t drops_of(const void *why)
{
    return relay_stats(rtc_env.r)->drops[*(const enum relay_drop *)why];
}

static uint64_t closed_of(const void *p)
{
    return rtc_peer_channels_closed(p);
}

static uint64_t got_of(const void *i)
{
    return rtc_env.c[*(const int *)i].n_got;
}

/* Each mode on its own channel both ways, stamped; a mode switch; chat and
 * ping over control; the relay's counters by mode. */
static void play_on_every_channel(void **state)
{
    (void)state;
    uint32_t id[2];
    rtc_env_open(NULL, NULL);
    lobby_of_two(id, "");
    assert_true(id[0] != id[1]);
    const struct relay_stats *s = relay_stats(rtc_env.r);
    assert_int_equal(s->edges[0].members, 2);
    /* alice joined unsequenced; she sends on each channel in turn */
    static const uint16_t sids[] = {RTC_PEER_STATE, RTC_PEER_SEQUENCED, RTC_PEER_CONTROL};
    for (uint32_t k = 0; k < 30; k++)
        rtc_send_state(0, sids[k % 3], k);
    assert_true(until_states(1, id[0], 30));
    for (int k = 0; k < 3; k++)
        assert_int_equal(rtc_states(1, id[0], sids[k]), 10); /* each on its sender's channel */
    assert_int_equal(s->states_in_mode[PROTO_MODE_UNSEQUENCED], 10);
    assert_int_equal(s->states_in_mode[PROTO_MODE_SEQUENCED], 10);
    assert_int_equal(s->states_in_mode[PROTO_MODE_RELIABLE], 10);
    /* and back */
    for (uint32_t k = 0; k < 6; k++)
        rtc_send_state(1, sids[k % 3], 100 + k);
    assert_true(until_states(0, id[1], 6));
    assert_int_equal(rtc_states(0, id[1], RTC_PEER_CONTROL), 2);
    assert_int_equal(rtc_states(0, id[0], UINT16_MAX), 0); /* never back to its sender */
    /* control: a chat reaches the other, a ping is answered */
    static const int bob = 1;
    size_t before = rtc_env.c[1].n_got;
    rtc_send_json(0, "{\"type\":\"chat\",\"text\":\"hi\"}");
    rtc_send_json(1, "{\"type\":\"ping\",\"t\":7}");
    until_at_least(got_of, &bob, before + 2);
    assert_non_null(rtc_last(1, PROTO_CTL_CHAT));
    assert_int_equal(rtc_last(1, PROTO_CTL_CHAT)->id, id[0]);
    assert_non_null(rtc_last(1, PROTO_CTL_PONG));
    assert_int_equal(rtc_last(1, PROTO_CTL_PONG)->sid, RTC_PEER_CONTROL);
    assert_int_equal(s->drops[RELAY_DROP_WRONG_CHANNEL] + s->drops[RELAY_DROP_BAD_STATE], 0);
    /* JSON on a state channel is refused as it is on ENet's */
    assert_int_equal(rtc_peer_send(rtc_env.c[0].p, RTC_PEER_STATE, false,
                                   (const uint8_t *)"{\"type\":\"ping\"}", 15), 0);
    static const enum relay_drop wrong = RELAY_DROP_WRONG_CHANNEL;
    assert_int_equal(until_at_least(drops_of, &wrong, 1), 1);
    rtc_env_close();
}

static bool left_quit(int i)
{
    const struct rtc_got *g = rtc_last(i, PROTO_CTL_LEFT);
    return g && g->reason == PROTO_LEFT_QUIT;
}

/* A member whose session ends (its ABORT) is gone: left, quit, to the
 * others; closing its control channel is leaving too. */
static void a_member_that_ends_is_left(void **state)
{
    (void)state;
    uint32_t id[2];
    rtc_env_open(NULL, NULL);
    lobby_of_two(id, "");
    rtc_client_free(1);
    assert_true(rtc_until(left_quit, 0, 3000));
    assert_int_equal(rtc_last(0, PROTO_CTL_LEFT)->id, id[1]);
    assert_int_equal(relay_members(rtc_env.r), 1);
    assert_int_equal(relay_clients(rtc_env.r), 1);
    rtc_pump(300);
    assert_int_equal(relay_clients(rtc_env.r), 1);
    rtc_env_close();
}

/* With a tick, a member that asked for batches gets a tick's states in
 * one batch message a channel; the other, each alone. A state too long for
 * a batch goes alone, in its order. */
static void batches_when_asked(void **state)
{
    (void)state;
    uint32_t id[2];
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.tick_us = 50000;
    rtc_env_open(NULL, &cfg);
    lobby_of_two(id, "\"batch\":true");
    rtc_client_new(2, RTC_PEER_OPEN_ALL);
    assert_true(rtc_client_offer(2, NULL) > 0);
    rtc_until_open(2);
    uint32_t carol = rtc_join(2, "lobby", "carol", "");
    for (uint32_t k = 0; k < 8; k++)
        rtc_send_state(0, RTC_PEER_STATE, k);
    for (uint32_t k = 0; k < 8; k++)
        rtc_send_state(2, RTC_PEER_SEQUENCED, k);
    assert_true(until_states(1, id[0], 8));
    assert_true(until_states(1, carol, 8));
    const struct rtc_client *bob = &rtc_env.c[1];
    assert_true(bob->batches >= 2 && bob->batches <= 6); /* a tick's, a channel's */
    size_t in_batches = 0;
    for (size_t k = 0; k < bob->n_got; k++)
        in_batches += bob->got[k].in_batch;
    assert_true(in_batches >= 12);
    assert_int_equal(rtc_states(1, carol, RTC_PEER_SEQUENCED), 8);
    assert_true(until_states(2, id[0], 8));
    assert_int_equal(rtc_env.c[2].batches, 0); /* carol did not ask */
    /* states too long for a batch (padded to PROTO_STATE_MAX) go alone, in order on
       control after the batch of the same flush */
    rtc_send_state(0, RTC_PEER_CONTROL, 100);
    rtc_send_padded(0, RTC_PEER_CONTROL, 101, PROTO_STATE_MAX);
    rtc_send_state(0, RTC_PEER_CONTROL, 102);
    assert_true(until_states(1, id[0], 11));
    assert_int_equal(rtc_states(1, id[0], RTC_PEER_CONTROL), 3);
    uint32_t last = 0;
    for (size_t k = 0; k < bob->n_got; k++)
        if (bob->got[k].state && bob->got[k].sid == RTC_PEER_CONTROL) {
            assert_true(bob->got[k].seq > last);
            last = bob->got[k].seq;
        }
    rtc_env_close();
}

/* A member without a state's channel gets it on the other state channel,
 * or on control when it opened none. */
static void a_missing_channel_falls_back(void **state)
{
    (void)state;
    rtc_env_open(NULL, NULL);
    rtc_client_new(0, RTC_PEER_OPEN_ALL);
    rtc_client_new(1, RTC_PEER_OPEN_CONTROL | RTC_PEER_OPEN_SEQUENCED);
    rtc_client_new(2, RTC_PEER_OPEN_CONTROL);
    for (int i = 0; i < 3; i++) {
        assert_true(rtc_client_offer(i, NULL) > 0);
        rtc_until_open(i);
    }
    uint32_t alice = rtc_join(0, "lobby", "alice", "");
    rtc_join(1, "lobby", "bob", "");
    rtc_join(2, "lobby", "carol", "");
    for (uint32_t k = 0; k < 4; k++)
        rtc_send_state(0, RTC_PEER_STATE, k);
    assert_true(until_states(1, alice, 4));
    assert_true(until_states(2, alice, 4));
    assert_int_equal(rtc_states(1, alice, RTC_PEER_SEQUENCED), 4);
    assert_int_equal(rtc_states(2, alice, RTC_PEER_CONTROL), 4);
    rtc_env_close();
}

/* A session whose control channel opens while its address has
 * --max-per-address peers already is closed then and there, from inside
 * SCTP's own callback (counted per_address): its association is freed
 * only once SCTP's call returned, the other member plays on. */
static void a_peer_past_max_per_address_is_closed(void **state)
{
    (void)state;
    struct relay_net_config net = rtc_env_net();
    net.max_per_address = 1;
    rtc_env_open(&net, NULL);
    rtc_client_new(0, RTC_PEER_OPEN_ALL);
    assert_true(rtc_client_offer(0, NULL) > 0);
    rtc_until_open(0);
    rtc_join(0, "lobby", "first", "");
    rtc_client_new(1, RTC_PEER_OPEN_ALL);
    assert_true(rtc_client_offer(1, NULL) > 0);
    static const enum relay_drop why = RELAY_DROP_PER_ADDRESS;
    assert_int_equal(until_at_least(drops_of, &why, 1), 1);
    rtc_pump(200);
    assert_int_equal(relay_members(rtc_env.r), 1);
    assert_int_equal(relay_clients(rtc_env.r), 1);
    rtc_send_json(0, "{\"type\":\"chat\",\"text\":\"still here\"}");
    static const int first = 0;
    size_t before = rtc_env.c[0].n_got;
    assert_true(until_at_least(got_of, &first, before + 1) > before);
    rtc_env_close();
}

/* A relay config taking tickets under a key of its own (fleet ricochet). */
static struct relay_config ticket_config(void)
{
    struct relay_config cfg;
    relay_default_config(&cfg);
    uint8_t secret[TICKET_KEY_BYTES] = {7};
    ticket_key_from_secret(&cfg.ticket_keys[0], secret);
    cfg.n_ticket_keys = 1;
    snprintf(cfg.fleet_name, sizeof cfg.fleet_name, "ricochet");
    return cfg;
}

/* A ticket's pass for name in room lobby under cfg's key, valid 60 s. */
static void mint_pass(const struct relay_config *cfg, const char *name, char *pass)
{
    char text[TICKET_TEXT_MAX + 1];
    struct ticket_claims want = {.issued_s = clock_unix_s(), .expires_s = clock_unix_s() + 60},
                         c;
    snprintf(want.room, sizeof want.room, "lobby");
    snprintf(want.name, sizeof want.name, "%s", name);
    snprintf(want.fleet, sizeof want.fleet, "ricochet");
    assert_true(ticket_mint(&cfg->ticket_keys[0], &want, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, &c, pass, TICKET_PASS_TEXT_MAX + 1), 0);
}

/* Client i (open) joins with pass's ticket: welcomed (asserted). */
static void ticketed_join(int i, const char *pass)
{
    char json[TICKET_PASS_TEXT_MAX + 64];
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\"}",
             pass);
    rtc_send_json(i, json);
    until_at_least(got_of, &i, 1);
    assert_non_null(rtc_last(i, PROTO_CTL_WELCOME));
}

/* Offers refused keep nothing: an SDP that does not read; a ticket the
 * core's precheck refuses; past the half-open sessions allowed while none
 * not yet checked is 250 ms old. */
static void offers_refused(void **state)
{
    (void)state;
    struct relay_net_config net = rtc_env_net();
    net.max_half_open = 2;
    struct relay_config cfg = ticket_config();
    rtc_env_open(&net, &cfg);
    char out[RELAY_ANSWER_MAX + 1], why[160];
    const char *junk = "v=0\r\nnot an offer\r\n";
    /* tickets first: none, one that does not read, then a good one */
    rtc_client_new(0, RTC_PEER_OPEN_ALL);
    assert_int_equal(rtc_client_offer(0, NULL), RELAY_OFFER_TICKET);
    assert_int_equal(rtc_client_offer(0, "not-a-ticket"), RELAY_OFFER_TICKET);
    char pass[3][TICKET_PASS_TEXT_MAX + 1];
    mint_pass(&cfg, "alice", pass[0]);
    mint_pass(&cfg, "bob", pass[1]);
    mint_pass(&cfg, "carol", pass[2]);
    assert_int_equal(relay_webrtc_answer(rtc_env.t, rtc_env.r, junk, strlen(junk), pass[0], NULL,
                                         out, sizeof out, why, sizeof why),
                     RELAY_OFFER_BAD);
    assert_true(rtc_client_offer(0, pass[0]) > 0);
    /* half-open: one more, then no more until one opens */
    rtc_client_new(1, RTC_PEER_OPEN_ALL);
    assert_true(rtc_client_offer(1, pass[1]) > 0);
    rtc_client_new(2, RTC_PEER_OPEN_ALL);
    assert_int_equal(rtc_client_offer(2, pass[2]), RELAY_OFFER_FULL);
    rtc_until_open(0);
    ticketed_join(0, pass[0]);
    assert_true(rtc_client_offer(2, pass[2]) > 0);
    rtc_pump(100);
    assert_int_equal(rtc_counter("offers"), 3);
    assert_int_equal(rtc_counter("offers_bad"), 1);
    assert_int_equal(rtc_counter("offers_ticket"), 2);
    assert_int_equal(rtc_counter("offers_full"), 1);
    assert_int_equal(rtc_counter("evicted"), 0);
    assert_int_equal(relay_members(rtc_env.r), 1);
    rtc_env_close();
}

/* Does the pass have a live session (an offer's, or a member's)? */
static bool pass_held(const char *pass)
{
    char why[160];
    return relay_ticket_precheck(rtc_env.r, pass, clock_now_us(), NULL, why, sizeof why) ==
           PROTO_ERROR_TICKET_REPLAYED;
}

/* Sessions answered and not yet peers are bounded three ways, a session
 * not yet checked giving way to a newer offer: from one address at most
 * --max-per-address (that address's oldest goes, at once); with one pass
 * one (a newer offer with it takes the place of its session while that is
 * not checked; once it is, the offer is refused ticket_replayed, and the
 * session's own join is admitted); in all --max-half-open (the oldest
 * goes once 250 ms old; before, the offer is refused). */
static void offers_make_room(void **state)
{
    (void)state;
    struct relay_net_config net = rtc_env_net();
    net.max_per_address = 2;
    net.max_half_open = 3;
    struct relay_config cfg = ticket_config();
    rtc_env_open(&net, &cfg);
    union netaddr a, b, c;
    char err[128], pass[7][TICKET_PASS_TEXT_MAX + 1];
    assert_int_equal(netaddr_resolve("127.0.0.2", 9, &a, err, sizeof err), 0);
    assert_int_equal(netaddr_resolve("127.0.0.3", 9, &b, err, sizeof err), 0);
    assert_int_equal(netaddr_resolve("127.0.0.4", 9, &c, err, sizeof err), 0);
    for (int i = 0; i < 7; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        mint_pass(&cfg, name, pass[i]);
        rtc_client_new(i, RTC_PEER_OPEN_ALL);
    }
    /* per address: a third from 127.0.0.2 closes its first */
    for (int i = 0; i < 3; i++)
        assert_true(rtc_client_offer_from(i, pass[i], &a) > 0);
    assert_int_equal(rtc_counter("evicted"), 1);
    assert_false(pass_held(pass[0]));
    assert_true(pass_held(pass[1]) && pass_held(pass[2]));
    /* per pass: client 2's pass again, from elsewhere, takes its place */
    assert_true(rtc_client_offer_from(3, pass[2], &b) > 0);
    assert_int_equal(rtc_counter("evicted"), 2);
    /* in all: 1 and 3 and one more; then none is 250 ms old: refused */
    assert_true(rtc_client_offer_from(4, pass[4], &c) > 0);
    assert_int_equal(rtc_client_offer_from(5, pass[5], &c), RELAY_OFFER_FULL);
    assert_false(pass_held(pass[5]));
    clock_sleep_ms(300);
    assert_true(rtc_client_offer_from(5, pass[5], &c) > 0); /* client 1's goes */
    assert_int_equal(rtc_counter("evicted"), 3);
    assert_false(pass_held(pass[1]));
    /* checked, its pass is no newcomer's: refused; its own join admitted */
    rtc_until_open(3);
    assert_int_equal(rtc_client_offer_from(6, pass[2], &a), RELAY_OFFER_TICKET);
    ticketed_join(3, pass[2]);
    assert_int_equal(rtc_counter("offers_full"), 1);
    assert_int_equal(rtc_counter("offers_ticket"), 1);
    assert_int_equal(relay_members(rtc_env.r), 1);
    rtc_env_close();
}

static bool shut_down(int i)
{
    const struct rtc_got *g = rtc_last(i, PROTO_CTL_ERROR);
    return g && strcmp(g->code, "shutting_down") == 0 && rtc_env.c[i].closed;
}

/* A shutdown: each member gets its error, then its session is closed once
 * that arrived; the edge settles. */
static void shutdown_says_why_first(void **state)
{
    (void)state;
    uint32_t id[2];
    rtc_env_open(NULL, NULL);
    lobby_of_two(id, "");
    relay_shutdown(rtc_env.r, clock_now_us());
    assert_false(relay_webrtc_ops.settled(rtc_env.t));
    assert_true(rtc_until(shut_down, 0, 3000));
    assert_true(rtc_until(shut_down, 1, 3000));
    assert_true(relay_webrtc_ops.settled(rtc_env.t));
    assert_int_equal(rtc_counter("closed_late"), 0);
    rtc_env_close();
}

/* Sockets on 127.0.0.2 .. 127.0.0.(n+1), each its own source address. */
static void strangers_open(int fds[STRANGERS])
{
    for (int i = 0; i < STRANGERS; i++) {
        char ip[32], err[128];
        union netaddr a;
        snprintf(ip, sizeof ip, "127.0.0.%d", i + 2);
        assert_int_equal(netaddr_resolve(ip, 0, &a, err, sizeof err), 0);
        fds[i] = netaddr_udp_socket(&a, SOCK_NONBLOCK);
        assert_true(fds[i] >= 0);
        assert_int_equal(bind(fds[i], &a.sa, netaddr_len(&a)), 0);
    }
}

/* Sends data from every stranger; returns the bytes sent. */
static size_t strangers_send(const int fds[STRANGERS], const uint8_t *data, size_t len)
{
    const union netaddr *to = &rtc_env.relay_addr;
    for (int i = 0; i < STRANGERS; i++)
        assert_int_equal(sendto(fds[i], data, len, 0, &to->sa, netaddr_len(to)), (ssize_t)len);
    return STRANGERS * len;
}

static size_t strangers_read(const int fds[STRANGERS])
{
    uint8_t buf[2048];
    size_t got = 0;
    ssize_t n;
    for (int i = 0; i < STRANGERS; i++)
        while ((n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT)) > 0)
            got += (size_t)n;
    return got;
}

static void capture(void *ctx, const uint8_t *data, size_t len)
{
    uint8_t *hello = ctx;
    memcpy(hello + 2, data, len);
    hello[0] = (uint8_t)(len >> 8);
    hello[1] = (uint8_t)len;
}

static void ignore(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx, (void)data, (void)len;
}

/* A DTLS ClientHello (bytes 2.. of hello, its length in the first two). */
static size_t client_hello(uint8_t hello[RTC_DTLS_MTU + 2])
{
    char err[128];
    uint8_t fp[RTC_DTLS_FINGERPRINT] = {0};
    struct rtc_dtls_ctx *ctx = rtc_dtls_ctx_new(false, err, sizeof err);
    assert_non_null(ctx);
    const struct rtc_dtls_io io = {capture, ignore, hello};
    struct rtc_dtls *d = rtc_dtls_connect(ctx, fp, &io);
    assert_non_null(d);
    rtc_dtls_free(d);
    rtc_dtls_ctx_free(ctx);
    return (size_t)hello[0] << 8 | hello[1];
}

/* Checks under a wrong password and naming no session, DTLS hellos and
 * SCTP outside DTLS, from 100 addresses while two members play: each
 * counted, nothing sent back, the members' states all through. */
static void strangers_get_nothing(void **state)
{
    (void)state;
    uint32_t id[2];
    int fds[STRANGERS];
    rtc_env_open(NULL, NULL);
    lobby_of_two(id, "");
    strangers_open(fds);
    struct rtc_sdp answer, offer;
    const char *o = rtc_peer_offer(rtc_env.c[0].p);
    assert_int_equal(rtc_sdp_parse(rtc_env.c[0].answer, strlen(rtc_env.c[0].answer), &answer), 0);
    assert_int_equal(rtc_sdp_parse(o, strlen(o), &offer), 0);
    char user[600];
    uint8_t integrity[RTC_STUN_MSG_MAX], unknown[RTC_STUN_MSG_MAX];
    uint8_t txid[RTC_STUN_TXID] = {1, 2, 3};
    static const char wrong[] = "wrongpasswordwrongpassword";
    snprintf(user, sizeof user, "%s:%s", answer.ufrag, offer.ufrag);
    struct rtc_stun_check check = {.username = user, .priority = 1, .tiebreaker = 9,
                                   .use_candidate = true};
    size_t n_integrity = rtc_stun_write_check(integrity, sizeof integrity, txid, &check,
                                              (const uint8_t *)wrong, strlen(wrong));
    check.username = "AAAAxyzw:abcd"; /* slot 0's first characters, not its ufrag */
    size_t n_unknown = rtc_stun_write_check(unknown, sizeof unknown, txid, &check,
                                            (const uint8_t *)wrong, strlen(wrong));
    assert_true(n_integrity > 0 && n_unknown > 0);
    uint8_t hello[RTC_DTLS_MTU + 2];
    size_t hello_len = client_hello(hello), sent = 0;
    static const uint8_t sctp_init[32] = {0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    for (uint32_t round = 0; round < 5; round++) {
        sent += strangers_send(fds, integrity, n_integrity);
        sent += strangers_send(fds, unknown, n_unknown);
        sent += strangers_send(fds, hello + 2, hello_len);
        sent += strangers_send(fds, sctp_init, sizeof sctp_init);
        for (uint32_t k = 0; k < 6; k++)
            rtc_send_state(0, RTC_PEER_CONTROL, round * 6 + k);
        rtc_pump(50);
    }
    assert_true(until_states(1, id[0], 30));
    rtc_pump(200);
    assert_int_equal(until_at_least(counter_of, "stun_integrity", 5 * STRANGERS), 5 * STRANGERS);
    assert_int_equal(until_at_least(counter_of, "stun_unknown", 5 * STRANGERS), 5 * STRANGERS);
    assert_int_equal(until_at_least(counter_of, "dtls_unverified", 5 * STRANGERS), 5 * STRANGERS);
    assert_int_equal(until_at_least(counter_of, "not_webrtc", 5 * STRANGERS), 5 * STRANGERS);
    assert_int_equal(relay_clients(rtc_env.r), 2);
    assert_int_equal(strangers_read(fds), 0);
    printf("strangers sent %zu bytes, got none back\n", sent);
    for (int i = 0; i < STRANGERS; i++)
        close(fds[i]);
    rtc_env_close();
}

/* Channels of another label or kind, a second "control", and a flood of
 * opens past the channels a session may have: each refused (the client
 * sees it closed) and counted; the session plays on. */
static void channels_refused(void **state)
{
    (void)state;
    rtc_env_open(NULL, NULL);
    rtc_client_new(0, RTC_PEER_OPEN_CONTROL);
    assert_true(rtc_client_offer(0, NULL) > 0);
    rtc_until_open(0);
    struct rtc_peer *p = rtc_env.c[0].p;
    assert_int_equal(rtc_peer_open(p, 2, true, "chat"), 0);
    assert_int_equal(rtc_peer_open(p, 4, true, "control"), 0);
    assert_int_equal(until_at_least(counter_of, "channels_refused", 2), 2);
    assert_int_equal(until_at_least(closed_of, p, 2), 2);
    assert_int_equal(rtc_peer_open(p, 6, true, "unsequenced"), 0); /* reliable: refused */
    assert_int_equal(rtc_peer_open(p, 8, false, "sequenced"), 0);  /* taken */
    assert_int_equal(until_at_least(counter_of, "channels_refused", 3), 3);
    assert_int_equal(until_at_least(closed_of, p, 3), 3);
    for (uint16_t sid = 10; sid < RTC_SCTP_STREAMS; sid += 2) /* a second, then past the 3 */
        assert_int_equal(rtc_peer_open(p, sid, false, "sequenced"), 0);
    assert_int_equal(until_at_least(counter_of, "channels_refused", 6), 6);
    assert_int_equal(until_at_least(closed_of, p, 6), 6);
    uint32_t alice = rtc_join(0, "lobby", "alice", "");
    rtc_client_new(1, RTC_PEER_OPEN_ALL);
    assert_true(rtc_client_offer(1, NULL) > 0);
    rtc_until_open(1);
    rtc_join(1, "lobby", "bob", "");
    rtc_send_state(0, 8, 1);
    assert_true(until_states(1, alice, 1));
    assert_int_equal(rtc_states(1, alice, RTC_PEER_SEQUENCED), 1);
    rtc_env_close();
}

/* A message over the answer's a=max-message-size (the relay's
 * --max-packet-size) is dropped and counted, on a reliable channel too;
 * what follows it arrives. */
static void oversize_messages_dropped(void **state)
{
    (void)state;
    uint32_t id[2];
    rtc_env_open(NULL, NULL);
    lobby_of_two(id, "");
    rtc_peer_unlimited(rtc_env.c[0].p);
    static uint8_t big[6000];
    memset(big, 'x', sizeof big);
    for (int k = 0; k < 3; k++)
        assert_int_equal(rtc_peer_send(rtc_env.c[0].p, RTC_PEER_CONTROL, true, big, sizeof big),
                         0);
    rtc_send_state(0, RTC_PEER_CONTROL, 1);
    assert_true(until_states(1, id[0], 1));
    assert_int_equal(until_at_least(counter_of, "oversize", 3), 3);
    assert_int_equal(relay_stats(rtc_env.r)->drops[RELAY_DROP_TOO_BIG], 0);
    assert_true(relay_peer_joined(rtc_env.r, 0));
    rtc_env_close();
}

/* Every counter of the edge's part of the stats record is in STATS.md. */
static void counters_documented(void **state)
{
    (void)state;
    rtc_env_open(NULL, NULL);
    char line[8192], *doc = harness_read_text("proto/STATS.md");
    assert_non_null(doc);
    assert_true(relay_stats_json(rtc_env.r, line, sizeof line, 1.0, false) > 0);
    cJSON *j = cJSON_Parse(line), *edge = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "edges"),
                                                              "webrtc");
    assert_non_null(edge);
    const cJSON *f;
    int n = 0;
    cJSON_ArrayForEach(f, edge) {
        char key[80];
        snprintf(key, sizeof key, "`%s`", f->string);
        if (!strstr(doc, key))
            fail_msg("proto/STATS.md does not document edges.webrtc.%s", f->string);
        n++;
    }
    assert_int_equal(n, 7 + RTC_COUNTS);
    cJSON_Delete(j);
    free(doc);
    rtc_env_close();
}

struct loop {
    struct relay_edges E;
    struct relay *r;
    uint64_t periodic_us;
};

/* The relay's loop (relay_main.c's turn) for up to ms, or until key is in
 * a JSON line of p's stdout (NULL: until p exits); the line parsed, or NULL. */
static cJSON *serve(struct loop *L, int ms, struct spawn_proc *p, const char *key)
{
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    cJSON *found = NULL;
    while (clock_now_us() < end) {
        uint64_t woke;
        relay_set_unix_time(L->r, clock_unix_s());
        relay_edges_wait(&L->E, L->r, L->periodic_us, &woke);
        relay_edges_serve(&L->E, L->r);
        if (woke >= L->periodic_us) {
            L->periodic_us = woke + 100000;
            relay_edges_periodic(&L->E, L->r, woke);
            relay_edges_flush(&L->E, L->r);
        }
        if (key ? (found = harness_json_line(p, key)) != NULL : !spawn_running(p))
            break;
    }
    return found;
}

/* Writes text to path whole, at once (a rename): the player waits for it. */
static void write_answer(const char *path, const char *text)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

/* What bot's summary says it received from id, or -1. */
static int bot_received_from(const cJSON *summary, uint32_t id)
{
    const cJSON *bot = cJSON_GetArrayItem(cJSON_GetObjectItem(summary, "bots"), 0), *from;
    cJSON_ArrayForEach(from, cJSON_GetObjectItem(bot, "from"))
        if ((uint32_t)cJSON_GetObjectItem(from, "id")->valueint == id)
            return cJSON_GetObjectItem(from, "received")->valueint;
    return -1;
}

static void aiortc_plays_with_an_enet_bot(void **state)
{
    (void)state;
    struct loop L = {0};
    struct relay_edge_spec specs[RELAY_EDGES_MAX];
    char err[256];
    assert_int_equal(relay_edges_parse("webrtc://127.0.0.1:0 enet://127.0.0.1:0", specs, err,
                                       sizeof err), 2);
    struct relay_net_config net = rtc_env_net();
    net.max_waiting_data = 1 << 20;
    assert_int_equal(relay_edges_open(&L.E, specs, 2, &net, err, sizeof err), 0);
    struct relay_transport tps[RELAY_EDGES_MAX];
    relay_edges_cores(&L.E, tps);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    cfg.tick_us = 2000; /* the relay's default tick */
    assert_non_null(L.r = relay_create(&cfg, tps, L.E.n));
    char enet_port[16], answer_path[] = "/tmp/ricochet-aiortc-XXXXXX";
    const char *enet_at = strrchr(L.E.e[1].ops->address(L.E.e[1].t), ':') + 1;
    snprintf(enet_port, sizeof enet_port, "%s", enet_at);
    int afd = mkstemp(answer_path);
    assert_true(afd >= 0);
    close(afd);
    unlink(answer_path); /* the player waits for it to appear */

    const char *py[] = {"tests/support/aiortc_player.py", "--answer-file", answer_path,
                        "--states", "1000", "--rate", "400", "--expect", "1000", NULL};
    struct spawn_proc player, bot;
    if (spawn_start(&player, "/usr/bin", "python3", py, err, sizeof err) != 0)
        fail_msg("%s", err);
    cJSON *offer = serve(&L, 20000, &player, "offer");
    if (!offer)
        fail_msg("no offer from aiortc (python3-aiortc installed?): %s",
                 spawn_read_stderr(&player));
    const char *sdp = cJSON_GetObjectItem(offer, "offer")->valuestring;
    char answer[RELAY_ANSWER_MAX + 1], why[160];
    assert_true(relay_webrtc_answer(L.E.e[0].t, L.r, sdp, strlen(sdp), NULL, NULL, answer,
                                    sizeof answer, why, sizeof why) > 0);
    cJSON_Delete(offer);
    write_answer(answer_path, answer);
    cJSON *welcome = serve(&L, 20000, &player, "welcome");
    if (!welcome)
        fail_msg("aiortc was not welcomed: %s", spawn_read_stderr(&player));
    uint32_t aiortc_id = (uint32_t)cJSON_GetObjectItem(welcome, "welcome")->valueint;
    cJSON_Delete(welcome);

    const char *args[] = {"-p", enet_port, "--mode", "reliable", "--rate", "200", "-t", "5",
                          "--json", NULL};
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", args), 0);
    cJSON *got = serve(&L, 30000, &player, "got");
    if (!got)
        fail_msg("aiortc did not finish: %s", spawn_read_stderr(&player));
    serve(&L, 10000, &bot, NULL);
    assert_int_equal(spawn_stop(&bot, 0, 5000), 0);
    cJSON *summary = harness_json_line(&bot, "bots");
    assert_non_null(summary);
    uint32_t bot_id = (uint32_t)cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(summary, "bots"), 0), "id")->valueint;
    char key[16];
    snprintf(key, sizeof key, "%u", bot_id);
    const cJSON *from_bot = cJSON_GetObjectItem(cJSON_GetObjectItem(got, "got"), key);
    int to_aiortc = cJSON_GetObjectItem(from_bot, "control")->valueint;
    int to_bot = bot_received_from(summary, aiortc_id);
    printf("aiortc got %d reliable states of the bot's 1000 (on control), the bot %d of "
           "aiortc's 1000\n", to_aiortc, to_bot);
    assert_int_equal(to_aiortc, 1000);
    assert_int_equal(cJSON_GetArraySize(from_bot), 1); /* all on control */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(got, "in_order")));
    assert_int_equal(to_bot, 1000);
    serve(&L, 2000, &player, NULL); /* its close */
    assert_int_equal(spawn_stop(&player, 0, 5000), 0);
    assert_int_equal(relay_stats(L.r)->edges[0].clients, 0);
    cJSON_Delete(got);
    cJSON_Delete(summary);
    spawn_free(&player);
    spawn_free(&bot);
    unlink(answer_path);
    relay_edges_close(&L.E);
    relay_destroy(L.r);
}


/* A free UDP port on 127.0.0.1 (netsim binds it next). */
static uint16_t udp_free_port(void)
{
    uint16_t port;
    char err[128];
    if (free_port(SOCK_DGRAM, &port, err, sizeof err) != 0)
        fail_msg("%s", err);
    return port;
}

/* Behind a UDP proxy (ricochet-netsim) the answers name the proxy
 * (--webrtc-advertise): the clients' checks, DTLS and SCTP go through it,
 * and the relay meets each client at the proxy's address for it. */
static void behind_netsim_by_the_advertised_address(void **state)
{
    (void)state;
    char at[32], relay_at[32];
    snprintf(at, sizeof at, "127.0.0.1:%u", udp_free_port());
    struct relay_net_config net = rtc_env_net();
    net.webrtc_advertise = at;
    rtc_env_open(&net, NULL);
    netaddr_format(&rtc_env.relay_addr, relay_at, sizeof relay_at);
    const char *args[] = {"--listen", at, "--relay", relay_at, "--delay", "5",
                          "--duration", "60", NULL};
    struct spawn_proc netsim;
    harness_start_netsim(&netsim, args);
    uint32_t id[2];
    lobby_of_two(id, "");
    struct rtc_sdp answer;
    assert_int_equal(rtc_sdp_parse(rtc_env.c[0].answer, strlen(rtc_env.c[0].answer), &answer), 0);
    char candidate[64];
    netaddr_format(&answer.candidate, candidate, sizeof candidate);
    assert_string_equal(candidate, at);
    for (uint32_t k = 0; k < 20; k++)
        rtc_send_state(0, RTC_PEER_CONTROL, k);
    assert_true(until_states(1, id[0], 20));
    const union netaddr *seen = rtc_host_peer(((struct relay_webrtc *)rtc_env.t)->host, 0);
    assert_non_null(seen);
    assert_false(netaddr_equal(seen, &rtc_env.c[0].addr)); /* netsim's socket for it */
    harness_stop(&netsim);
    rtc_env_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(play_on_every_channel),
        cmocka_unit_test(a_member_that_ends_is_left),
        cmocka_unit_test(batches_when_asked),
        cmocka_unit_test(a_missing_channel_falls_back),
        cmocka_unit_test(offers_refused),
        cmocka_unit_test(a_peer_past_max_per_address_is_closed),
        cmocka_unit_test(offers_make_room),
        cmocka_unit_test(shutdown_says_why_first),
        cmocka_unit_test(strangers_get_nothing),
        cmocka_unit_test(channels_refused),
        cmocka_unit_test(oversize_messages_dropped),
        cmocka_unit_test(counters_documented),
        cmocka_unit_test(behind_netsim_by_the_advertised_address),
        cmocka_unit_test(aiortc_plays_with_an_enet_bot),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
