/* test_relay_session.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): chat, ping, the datagram transport's rules, shutdown, connects
 * after shutdown and on a busy handle, too-big packets, the stats record, random garbage.
 * */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "sys/log.h"
#include "stats/rng.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/stats_record.h"
#include "tests/support/fake_relay.h"

/* ---- chat, ping, datagram transport, shutdown ------------------------- */

static void chat_reaches_everyone(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    join(r, 2, "other", "c", false);
    assert_int_equal(send_text(r, 1, "{\"type\":\"chat\",\"text\":\"hello there\"}"), 0);
    for (uint32_t p = 0; p < 2; p++) {
        const struct proto_control *m = last_ctl(p, PROTO_CTL_CHAT);
        assert_non_null(m);
        assert_int_equal(m->id, 2);
        assert_string_equal(m->name, "b");
        assert_string_equal(m->text, "hello there");
    }
    assert_int_equal(count_ctl(2, PROTO_CTL_CHAT), 0);
    relay_destroy(r);
}

static void ping_pong(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    assert_int_equal(send_text(r, 0, "{\"type\":\"ping\",\"t\":123456}"), 0);
    const struct proto_control *m = last_ctl(0, PROTO_CTL_PONG);
    assert_non_null(m);
    assert_int_equal(m->t, 123456);
    relay_destroy(r);
}

static void datagram_transport_rules(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    struct relay *r = relay_with_peers_on(&cfg, &fake_datagram_tp, 2);
    /* Ping from a stranger (an expired member): not_joined, no pong. */
    char ping[] = "{\"type\":\"ping\",\"t\":5}";
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)ping,
                                       strlen(ping), now_us), DROP(RELAY_DROP_NOT_JOINED));
    assert_string_equal(last_error(0), "not_joined");
    assert_int_equal(count_ctl(0, PROTO_CTL_PONG), 0);

    assert_int_equal(join_on(r, 0, PROTO_CHANNEL_DATAGRAM, "lobby", "a", false), 0);
    assert_int_equal(join_on(r, 1, PROTO_CHANNEL_DATAGRAM, "lobby", "b", false), 0);
    /* The join retried (the welcome was lost): same welcome, same id; but
     * not within 250 ms of the last welcome. */
    now_us += 249000;
    assert_int_equal(join_on(r, 1, PROTO_CHANNEL_DATAGRAM, "lobby", "b", false), 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_WELCOME), 1);
    now_us += 1000;
    assert_int_equal(join_on(r, 1, PROTO_CHANNEL_DATAGRAM, "lobby", "b", false), 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_WELCOME), 2);
    assert_int_equal(last_ctl(1, PROTO_CTL_WELCOME)->id, 2);
    assert_int_equal(last_ctl(1, PROTO_CTL_WELCOME)->roster[0].mode, PROTO_MODE_UDP);
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 1);

    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)ping,
                                       strlen(ping), now_us), 0);
    assert_int_equal(last_ctl(0, PROTO_CTL_PONG)->t, 5);

    fake_clear();
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, buf, len, now_us),
                     0);
    assert_int_equal(states_to(1), 1);
    /* Garbage whose first byte is neither '{' nor 1 is a bad state. */
    buf[0] = 'x';
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, buf, len, now_us),
                     DROP(RELAY_DROP_BAD_STATE));
    char leave[] = "{\"type\":\"leave\"}";
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)leave,
                                       strlen(leave), now_us), 0);
    assert_int_equal(last_ctl(1, PROTO_CTL_LEFT)->reason, PROTO_LEFT_QUIT);
    relay_destroy(r);
}

/* A join of a mode the edge does not carry: bad_field, naming those it does. */
static void enet_refuses_udp_mode(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"a\",\"name\":\"b\","
                                     "\"mode\":\"udp\"}"), DROP(RELAY_DROP_BAD_FIELD));
    assert_string_equal(last_error(0), "bad_field");
    /* the refusal names the modes the edge carries */
    assert_string_equal(last_ctl(0, PROTO_CTL_ERROR)->text,
                        "mode udp is not carried by the relay's channels edge: it carries "
                        "unsequenced, sequenced, reliable");
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"a\",\"name\":\"b\","
                                     "\"mode\":\"streams\"}"), DROP(RELAY_DROP_BAD_FIELD));
    assert_string_equal(last_ctl(0, PROTO_CTL_ERROR)->text,
                        "mode streams is not carried by the relay's channels edge: it carries "
                        "unsequenced, sequenced, reliable");
    relay_destroy(r);
}

static void shutdown_tells_everyone(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 4);
    join(r, 2, "x", "c", false);
    fake_clear();
    relay_shutdown(r, now_us);
    for (uint32_t p = 0; p < 4; p++) {
        assert_string_equal(last_error(p), "shutting_down");
        assert_true(disconnected(p));
        assert_string_equal(disconnect_why(p), "shutting_down");
        assert_int_equal(count_ctl(p, PROTO_CTL_LEFT), 0);
    }
    assert_int_equal(relay_clients(r), 0);
    assert_int_equal(relay_rooms(r), 0);
    assert_int_equal(relay_members(r), 0);
    relay_destroy(r);
}

/* A handshake that completes during the shutdown drain is told too,
 * instead of becoming a client that nobody will ever say goodbye to. */
static void connect_after_shutdown_refused(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    relay_shutdown(r, now_us);
    fake_clear();
    assert_int_equal(connect_at(r, 1, "127.0.0.1:40001"), -1);
    assert_string_equal(last_error(1), "shutting_down");
    assert_true(disconnected(1));
    assert_false(relay_peer_connected(r, 1));
    assert_int_equal(relay_clients(r), 0);
    relay_destroy(r);
}

/* relay.h: a connect on a handle the core still holds (the transport
 * missed a gone) ends the old session, with a left notice to its room, and
 * takes the new peer: the transport's slot is the truth. */
static void connect_on_busy_handle_replaces_session(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 0, "lobby", "old", false);
    join(r, 1, "lobby", "watcher", false);
    uint32_t old_id = relay_peer_id(r, 0);
    fake_clear();
    assert_int_equal(connect_at(r, 0, "127.0.0.1:50000"), 0);
    expect_left(1, old_id, PROTO_LEFT_QUIT);
    assert_int_equal(fk.n_disc, 0); /* the new connection is not closed */
    assert_true(relay_peer_connected(r, 0));
    assert_false(relay_peer_joined(r, 0));
    assert_int_equal(relay_clients(r), 2);
    assert_int_equal(relay_room_size(r, "lobby"), 1);
    assert_int_equal(join(r, 0, "lobby", "new", false), 0);
    assert_true(relay_peer_id(r, 0) > old_id); /* ids are not reused */
    relay_destroy(r);
}

/* relay_peer_too_big: what the transport could not deliver (ENet's packet
 * size cap). Unreliable: counted, answered, the peer stays. Reliable: the
 * channel can never move on, so the peer is closed like a kick. */
/* A connection that is not a member for join_timeout_ms (from its
 * connection, or since it left) is closed with not_joined and counted; a
 * member is not, and neither pings nor a leave from outside a room put the
 * deadline off. */
static void join_deadline_closes_who_never_joins(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    assert_int_equal(cfg.join_timeout_ms, 2000); /* the option's default */
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    uint64_t t0 = now_us;
    struct relay *r = relay_with_peers(&cfg, 3);
    assert_int_equal(join(r, 0, "lobby", "member", false), 0);
    assert_int_equal(join(r, 2, "lobby", "leaver", false), 0);
    now_us = t0 + 1500000;
    assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
    for (int i = 0; i < 5; i++) {
        now_us = t0 + 1800000 + (uint64_t)i * 30000;
        assert_int_equal(send_text(r, 1, "{\"type\":\"ping\",\"t\":1}"), 0);
        assert_int_equal(send_text(r, 1, "{\"type\":\"leave\"}"), 0);
    }
    relay_sweep(r, t0 + 1999999);
    assert_int_equal(fk.n_disc, 0);
    relay_sweep(r, t0 + 2000000);
    assert_true(disconnected(1));
    assert_string_equal(disconnect_why(1), "not_joined");
    assert_string_equal(last_error(1), "not_joined");
    assert_false(disconnected(0));
    assert_false(disconnected(2));
    relay_sweep(r, t0 + 3499999);
    assert_false(disconnected(2));
    relay_sweep(r, t0 + 3500000);
    assert_true(disconnected(2));
    assert_string_equal(disconnect_why(2), "not_joined");
    relay_sweep(r, t0 + 60000000);
    assert_false(disconnected(0)); /* a member, however long */
    assert_int_equal(drops(r, RELAY_DROP_JOIN_TIMEOUT), 2);
    assert_int_equal(relay_clients(r), 1);
    relay_destroy(r);
}

static void too_big_reported_by_transport(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);
    uint32_t id0 = relay_peer_id(r, 0);

    relay_peer_too_big(r, 0, 100000, 65536, false, now_us);
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 1);
    assert_string_equal(last_error(0), "too_big");
    assert_true(relay_peer_joined(r, 0));
    assert_false(disconnected(0));

    relay_peer_too_big(r, 0, 100000, 65536, true, now_us);
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 2);
    assert_string_equal(last_error(0), "too_big");
    assert_true(disconnected(0));
    assert_false(relay_peer_connected(r, 0));
    expect_left(1, id0, PROTO_LEFT_KICKED);
    assert_int_equal(relay_stats(r)->kicks, 1);
    assert_int_equal(relay_clients(r), 1);

    /* the rest of that packet, resent: the peer is gone, nothing more */
    size_t n_ctl = fk.n_ctl;
    relay_peer_too_big(r, 0, 100000, 65536, true, now_us);
    relay_peer_too_big(r, 7, 100000, 65536, true, now_us); /* never connected */
    relay_peer_too_big(r, 9999, 100000, 65536, true, now_us); /* out of range */
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 2);
    assert_int_equal(fk.n_ctl, n_ctl);
    assert_int_equal(relay_stats(r)->kicks, 1);
    relay_destroy(r);
}

static void stats_record_is_json(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);
    send_state(r, 0, 0, 1);
    send_text(r, 0, "{oops");
    char line[4096];
    int n = relay_stats_json(r, line, sizeof line, 1.5, true);
    assert_true(n > 0);
    assert_int_equal(line[n - 1], '\n');
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "stats");
    assert_int_equal(cJSON_GetObjectItem(j, "clients")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(j, "rooms")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(j, "states_in")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(j, "states_out")->valueint, 1);
    assert_true(cJSON_GetObjectItem(j, "bytes_in")->valuedouble > 40);
    cJSON *d = cJSON_GetObjectItem(j, "drops");
    assert_int_equal(cJSON_GetObjectItem(d, "bad_json")->valueint, 1);
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        assert_non_null(cJSON_GetObjectItem(d, relay_drop_name((enum relay_drop)i)));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "final")));
    cJSON_Delete(j);
    assert_int_equal(relay_stats_json(r, line, 20, 1.5, true), -1);
    relay_destroy(r);
}

/* Every field of the relay's stats record, drops and bad_state causes
 * included, is documented in proto/STATS.md (as `name`): a new counter
 * cannot go out undocumented. The edges are named by their own names (of
 * the transport's choosing): each one's fields are checked instead. */
static void stats_record_is_documented(void **state)
{
    (void)state;
    const char *path = getenv("RICOCHET_STATS_MD");
    FILE *f = fopen(path ? path : "proto/STATS.md", "r");
    assert_non_null(f);
    static char doc[1 << 16];
    doc[fread(doc, 1, sizeof doc - 1, f)] = '\0';
    fclose(f);
    struct relay *r = relay_with_peers(NULL, 1);
    char line[4096];
    assert_true(relay_stats_json(r, line, sizeof line, 1.5, false) > 0);
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    const cJSON *top, *sub;
    cJSON_ArrayForEach(top, j) {
        char key[80];
        snprintf(key, sizeof key, "`%s`", top->string);
        if (!strstr(doc, key) && !cJSON_IsObject(top))
            fail_msg("proto/STATS.md does not document the relay record's %s", key);
        cJSON_ArrayForEach(sub, top) {
            const cJSON *field;
            if (strcmp(top->string, "edges") == 0) {
                assert_true(cJSON_IsObject(sub));
                cJSON_ArrayForEach(field, sub) {
                    snprintf(key, sizeof key, "`%s`", field->string);
                    if (!strstr(doc, key))
                        fail_msg("proto/STATS.md does not document edges.*.%s", field->string);
                }
                continue;
            }
            snprintf(key, sizeof key, "`%s`", sub->string);
            if (!strstr(doc, key))
                fail_msg("proto/STATS.md does not document %s.%s", top->string, sub->string);
        }
    }
    cJSON_Delete(j);
    relay_destroy(r);
}

/* Random bytes on every channel from members and strangers: no crash, no
 * forwarding of anything that is not a valid state, counters add up. */
static void random_garbage_is_survived(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay *r = lobby_of_two(&cfg, 3);
    struct rng g;
    rng_seed(&g, 42);
    uint8_t buf[600];
    uint64_t rejected = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = rng_below(&g, sizeof buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rng_below(&g, 256);
        if (len > 0 && rng_below(&g, 4) == 0)
            buf[0] = '{';
        if (len > 1 && rng_below(&g, 4) == 0)
            buf[0] = 1, buf[1] = 1;
        uint8_t ch = (uint8_t)rng_below(&g, 4);
        if (ch == 3)
            ch = PROTO_CHANNEL_DATAGRAM;
        uint32_t flags = rng_below(&g, 4);
        int rc = relay_on_datagram(r, rng_below(&g, 4), ch, flags, buf, len, now_us);
        rejected += rc < 0;
        now_us += 100;
        if (fk.n_ctl > MAX_CTL / 2 || fk.n_states > MAX_STATES / 2)
            fake_clear();
    }
    const struct relay_stats *st = relay_stats(r);
    uint64_t sum = 0;
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        sum += st->drops[i];
    assert_true(rejected > 10000);
    assert_int_equal(sum, rejected);
    assert_true(relay_rooms(r) <= 3);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_reaches_everyone),
        cmocka_unit_test(ping_pong),
        cmocka_unit_test(datagram_transport_rules),
        cmocka_unit_test(enet_refuses_udp_mode),
        cmocka_unit_test(shutdown_tells_everyone),
        cmocka_unit_test(connect_after_shutdown_refused),
        cmocka_unit_test(connect_on_busy_handle_replaces_session),
        cmocka_unit_test(join_deadline_closes_who_never_joins),
        cmocka_unit_test(too_big_reported_by_transport),
        cmocka_unit_test(stats_record_is_json),
        cmocka_unit_test(stats_record_is_documented),
        cmocka_unit_test(random_garbage_is_survived),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
