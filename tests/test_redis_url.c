/* test_redis_url: --directory's addresses without Redis: a server, TLS, an
 * ACL user and its password (percent-encoded), sentinels and the primary's
 * name, a database; what is refused, never echoing a password; the text
 * logs show. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fleet/redis_url.h"

static char err[512];

static void a_server(void **state)
{
    (void)state;
    struct fleet_redis_url u;
    assert_int_equal(fleet_redis_url_parse("redis://127.0.0.1:6379", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_false(u.tls || u.has_password || u.n_sentinels);
    assert_int_equal(fleet_redis_url_parse("redis://[::1]:6380/3", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 3);
    assert_int_equal(fleet_redis_url_parse("rediss://redis.example:6390", &u, err, sizeof err),
                     0);
    assert_true(u.tls);
    assert_string_equal(u.host, "redis.example");
}

static void users_and_passwords(void **state)
{
    (void)state;
    struct fleet_redis_url u;
    assert_int_equal(fleet_redis_url_parse("redis://relay:s3cret@h:1/2", &u, err, sizeof err),
                     0);
    assert_string_equal(u.user, "relay");
    assert_string_equal(u.password, "s3cret");
    assert_true(u.has_password);
    assert_string_equal(u.host, "h");
    assert_int_equal(u.db, 2);
    assert_int_equal(fleet_redis_url_parse("redis://:only%40pass%3a%2F@h:1", &u, err,
                                           sizeof err), 0);
    assert_string_equal(u.user, "");
    assert_string_equal(u.password, "only@pass:/");
    assert_int_equal(fleet_redis_url_parse("redis://nopass@h:1", &u, err, sizeof err), 0);
    assert_string_equal(u.user, "nopass");
    assert_false(u.has_password);
    char text[256];
    assert_int_equal(fleet_redis_url_parse("rediss://relay:s3cret@h:1/2", &u, err, sizeof err),
                     0);
    fleet_redis_url_text(&u, text, sizeof text);
    assert_string_equal(text, "rediss://relay:***@h:1/2");
}

static void sentinels(void **state)
{
    (void)state;
    struct fleet_redis_url u;
    assert_int_equal(fleet_redis_url_parse("redis-sentinel://10.0.0.1:26379,[fd00::2]:26380,"
                                           "s3.example:26381/fleet-main/4", &u, err, sizeof err),
                     0);
    assert_int_equal(u.n_sentinels, 3);
    assert_string_equal(u.sentinels[1].host, "fd00::2");
    assert_int_equal(u.sentinels[2].port, 26381);
    assert_string_equal(u.master, "fleet-main");
    assert_int_equal(u.db, 4);
    assert_false(u.tls);
    char text[256];
    fleet_redis_url_text(&u, text, sizeof text);
    assert_string_equal(text, "redis-sentinel://10.0.0.1:26379,[fd00::2]:26380,"
                              "s3.example:26381/fleet-main/4");
    assert_int_equal(fleet_redis_url_parse("rediss-sentinel://u:p@s:1/m", &u, err, sizeof err),
                     0);
    assert_true(u.tls);
    assert_string_equal(u.user, "u");
    assert_int_equal(u.n_sentinels, 1);
    assert_string_equal(u.master, "m");
}

static void what_is_refused(void **state)
{
    (void)state;
    struct fleet_redis_url u;
    const char *bad[] = {"127.0.0.1:6379", "redis://127.0.0.1", "redis://h:0",
                         "redis://h:6379/", "redis://h:6379/x", "http://h:1",
                         "redis-sentinel://s:1", "redis-sentinel://s:1/",
                         "redis-sentinel://s:1,/m", "redis-sentinel://s:1/m/x",
                         "redis://u:p%zz@h:1", "redis://u:p%4@h:1",
                         "redis-sentinel://a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1,i:1/m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fleet_redis_url_parse(bad[i], &u, err, sizeof err) != -1)
            fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(fleet_redis_url_parse("redis://relay:topsecret@h:0", &u, err, sizeof err),
                     -1);
    assert_null(strstr(err, "topsecret")); /* the message never shows it */
    assert_non_null(strstr(err, "redis://***@h:0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_server),
        cmocka_unit_test(users_and_passwords),
        cmocka_unit_test(sentinels),
        cmocka_unit_test(what_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
