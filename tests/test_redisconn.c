/* test_redisconn: the directory's own Redis connection against a real
 * redis-server each test starts: commands and replies, a server that stops
 * answering (the timeout), AUTH as an ACL user (a wrong password refused,
 * never shown), TLS verified against a CA (another CA refused, the host
 * checked, a client certificate when the server asks), and a relay's
 * directory over TLS as the least-privileged ACL user docs/fleet.md
 * gives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fleet/directory.h"
#include "fleet/redisconn.h"
#include "lab/harness/freeport.h"
#include "sys/clock.h"
#include "tests/support/redis.h"

/* docs/fleet.md's ACL line for a fleet named ricochet (the password aside). */
#define FLEET_ACL "~ricochet:* resetchannels -@all +evalsha +script|load +select +role " \
                  "+del +srem +get +set +incr +hget +hmget +hset +hdel +hexists +hincrby " \
                  "+pexpire +pttl +sadd +sismember +smembers +exists +time +zadd +zrem " \
                  "+zrangebylex"

static char err[512];

static struct redisconn *open_to(uint16_t port, const struct redisconn_tls *tls,
                                 const char *host, const char *user, const char *password)
{
    struct redisconn_opts o = {.host = host ? host : "127.0.0.1", .port = port, .tls = tls,
                               .user = user, .password = password, .timeout_ms = 500};
    return redisconn_open(&o, err, sizeof err);
}

static void ping(struct redisconn *c)
{
    redisReply *r = redisconn_cmd(c, err, sizeof err, "PING");
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
}

static void commands_replies_and_a_silent_server(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct redisconn *c = open_to(r.port, NULL, NULL, NULL, NULL);
    assert_non_null(c);
    ping(c);
    const char *set[] = {"SET", "k", "a value with spaces"};
    redisReply *rep = redisconn_argv(c, 3, set, err, sizeof err);
    assert_non_null(rep);
    freeReplyObject(rep);
    rep = redisconn_cmd(c, err, sizeof err, "GET %s", "k");
    assert_string_equal(rep->str, "a value with spaces");
    freeReplyObject(rep);
    rep = redisconn_cmd(c, err, sizeof err, "NOSUCHCOMMAND");
    assert_int_equal(rep->type, REDIS_REPLY_ERROR); /* an answer, not a failure */
    freeReplyObject(rep);
    kill(r.proc.pid, SIGSTOP);
    uint64_t t0 = clock_now_ms();
    assert_null(redisconn_cmd(c, err, sizeof err, "PING"));
    assert_in_range(clock_now_ms() - t0, 400, 2000);
    assert_non_null(strstr(err, "timed out"));
    kill(r.proc.pid, SIGCONT);
    redisconn_close(c);
    test_redis_stop(&r);
    assert_null(open_to(r.port, NULL, NULL, NULL, NULL)); /* nobody there */
    assert_non_null(strstr(err, "refused"));
}

static void auth_as_an_acl_user(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    char out[64];
    test_redis_cmd(&r, out, sizeof out, "ACL SETUSER relay on >s3cret-pw ~* +@all");
    struct redisconn *c = open_to(r.port, NULL, NULL, "relay", "s3cret-pw");
    assert_non_null(c);
    redisReply *rep = redisconn_cmd(c, err, sizeof err, "ACL WHOAMI");
    assert_string_equal(rep->str, "relay");
    freeReplyObject(rep);
    redisconn_close(c);
    assert_null(open_to(r.port, NULL, NULL, "relay", "wrong-pw"));
    assert_non_null(strstr(err, "WRONGPASS"));
    assert_null(strstr(err, "wrong-pw"));
    test_redis_stop(&r);
}

/* A TLS server on its own port (its plain port for the harness). */
static void start_tls(struct redisproc *r, const char *pki, bool ask_clients,
                      uint16_t *tls_port)
{
    char port[8], cert[300], key[300], ca[300], e[256];
    assert_int_equal(free_port(SOCK_STREAM, tls_port, e, sizeof e), 0);
    snprintf(port, sizeof port, "%u", *tls_port);
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    const char *extra[] = {"--tls-port", port, "--tls-cert-file", cert, "--tls-key-file", key,
                           "--tls-ca-cert-file", ca, "--tls-auth-clients",
                           ask_clients ? "yes" : "no", NULL};
    test_redis_start_with(r, extra);
}

/* A connection the server will not talk on: refused while opening, or
 * (TLS 1.3 checks a client's certificate after the handshake) at the
 * first command. */
static void refused_at_first_command(uint16_t port, const struct redisconn_tls *tls)
{
    struct redisconn *c = open_to(port, tls, NULL, NULL, NULL);
    if (!c)
        return;
    redisReply *rep = redisconn_cmd(c, err, sizeof err, "PING");
    assert_null(rep);
    redisconn_close(c);
}

static void tls_verified_against_a_ca(void **state)
{
    (void)state;
    char pki[64], ca[300], other[300], cert[300], key[300];
    test_tls_make(pki, sizeof pki);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    snprintf(other, sizeof other, "%s/other-ca.crt", pki);
    snprintf(cert, sizeof cert, "%s/client.crt", pki);
    snprintf(key, sizeof key, "%s/client.key", pki);
    struct redisproc r;
    uint16_t port;
    start_tls(&r, pki, false, &port);
    struct redisconn_tls tls = {.ca = ca};
    struct redisconn *c = open_to(port, &tls, NULL, NULL, NULL);
    assert_non_null(c);
    ping(c);
    redisconn_close(c);
    c = open_to(port, &tls, "localhost", NULL, NULL); /* the certificate names it too */
    assert_non_null(c);
    redisconn_close(c);
    assert_null(open_to(port, &tls, "127.1", NULL, NULL)); /* the same server, not named */
    assert_non_null(strstr(err, "hostname mismatch"));
    struct redisconn_tls wrong = {.ca = other};
    assert_null(open_to(port, &wrong, NULL, NULL, NULL));
    assert_non_null(strstr(err, "certificate"));
    refused_at_first_command(port, NULL); /* plain TCP to a TLS port */
    test_redis_stop(&r);

    start_tls(&r, pki, true, &port); /* the server asks for our certificate */
    refused_at_first_command(port, &tls);
    struct redisconn_tls mutual = {.ca = ca, .cert = cert, .key = key};
    c = open_to(port, &mutual, NULL, NULL, NULL);
    assert_non_null(c);
    ping(c);
    redisconn_close(c);
    test_redis_stop(&r);
    test_tls_remove(pki);
}

/* Relay n of the fleet (127.0.0.1:700n) over rediss:// to port, as the
 * ACL user ricochet. */
static struct directory *acl_relay(const char *pki, uint16_t port, int n)
{
    struct directory_config cfg = {.capacity = 10, .ttl_ms = 10000, .timeout_ms = 500};
    char url[128];
    snprintf(url, sizeof url, "rediss://ricochet:fleet-pw@127.0.0.1:%u/1", port); /* SELECT too */
    assert_int_equal(fleet_redis_url_parse(url, &cfg.url, err, sizeof err), 0);
    snprintf(cfg.tls_ca, sizeof cfg.tls_ca, "%s/ca.crt", pki);
    strcpy(cfg.prefix, "ricochet");
    snprintf(cfg.addr, sizeof cfg.addr, "127.0.0.1:%d", 7000 + n);
    strcpy(cfg.transport, "enet");
    memset(cfg.instance, 'a' + n, FLEET_INSTANCE_LEN);
    struct directory *d = directory_create(&cfg);
    assert_non_null(d);
    if (directory_connect(d, err, sizeof err) != 0)
        fail_msg("%s", err);
    return d;
}

#define MEMBER "a11ce00000000001" /* a member's player id */

/* A relay's directory over rediss:// as the ACL user the docs give: every
 * script, down each of its ways to Redis, and every call it makes is
 * allowed (a command the user lacks fails the call that needs it), nothing
 * else is. */
static void a_directory_over_tls_as_a_least_privileged_user(void **state)
{
    (void)state;
    char pki[64];
    test_tls_make(pki, sizeof pki);
    struct redisproc r;
    uint16_t port;
    start_tls(&r, pki, false, &port);
    char out[64];
    test_redis_cmd(&r, out, sizeof out, "ACL SETUSER ricochet on >fleet-pw " FLEET_ACL);
    assert_string_equal(out, "OK");
    struct directory *a = acl_relay(pki, port, 1), *b = acl_relay(pki, port, 2);
    struct fleet_claim held[1], moved;
    struct directory_placement pl;
    enum directory_renewal res[1];
    static struct directory_listing listed;
    char cursor[PROTO_ROOM_MAX + 1] = "";
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){0}, NULL, 0, NULL, err,
                                         sizeof err), 0);
    assert_int_equal(directory_heartbeat(b, &(struct directory_load){.unheard_ms = 5000}, NULL,
                                         0, NULL, err, sizeof err), 0); /* placed on last */
    assert_int_equal(directory_place(a, "r", NULL, NULL, &pl, err, sizeof err),
                     DIRECTORY_CLAIMED);
    held[0] = pl.claim;
    directory_placement_free(&pl);
    assert_int_equal(directory_place(a, "h", NULL, NULL, &pl, err, sizeof err),
                     DIRECTORY_CLAIMED);
    assert_int_equal(directory_handover(a, &pl.claim, &moved, err, sizeof err), 1);
    directory_placement_free(&pl);
    assert_string_equal(moved.addr, "127.0.0.1:7002");
    assert_string_equal(held[0].addr, "127.0.0.1:7001");
    const char *members[] = {MEMBER};
    assert_int_equal(directory_keep(a, &held[0], "{\"size\":4}", 1, false, members, 1, err,
                                    sizeof err),
                     DIRECTORY_KEPT);
    assert_int_equal(directory_place(a, "r", NULL, NULL, &pl, err, sizeof err),
                     DIRECTORY_CLAIMED);
    assert_string_equal(pl.record, "{\"size\":4}"); /* the holder's own: with its record */
    assert_string_equal(pl.members, MEMBER);
    directory_placement_free(&pl);
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){1, 1, false}, held, 1, res,
                                         err, sizeof err), 0);
    assert_int_equal(res[0], DIRECTORY_RENEWED);

    const char *rooms[] = {"r"}, *entries[] = {"1 8 {\"map\":\"dune\"}"}, *gone[] = {""};
    assert_int_equal(directory_rooms_put(a, rooms, entries, 1, err, sizeof err), 0);
    assert_int_equal(directory_list(b, &(struct directory_query){.prefix = ""}, &listed, err,
                                    sizeof err), 0);
    assert_int_equal(listed.n, 1);
    assert_int_equal(directory_list(b, &(struct directory_query){.prefix = "x", .any = true},
                                    &listed, err, sizeof err), 0);
    assert_string_equal(listed.free, "x1");
    assert_int_equal(directory_sweep(b, cursor, err, sizeof err), 0);
    assert_int_equal(directory_rooms_put(a, rooms, gone, 1, err, sizeof err), 0);

    /* A member's report names the holder: the room moves to b. */
    assert_int_equal(directory_place(b, "r", "127.0.0.1:7001", MEMBER, &pl, err, sizeof err),
                     DIRECTORY_CLAIMED);
    moved = pl.claim;
    directory_placement_free(&pl);
    assert_string_equal(moved.addr, "127.0.0.1:7002");
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){1, 1, false}, held, 1, res,
                                         err, sizeof err), 0);
    assert_int_equal(res[0], DIRECTORY_LOST);
    assert_int_equal(directory_release(b, &moved, 1000, true, err, sizeof err), 1);
    assert_int_equal(directory_deregister(a, err, sizeof err), 0);
    assert_int_equal(directory_deregister(b, err, sizeof err), 0);
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
    test_tls_remove(pki);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commands_replies_and_a_silent_server),
        cmocka_unit_test(auth_as_an_acl_user),
        cmocka_unit_test(tls_verified_against_a_ca),
        cmocka_unit_test(a_directory_over_tls_as_a_least_privileged_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
