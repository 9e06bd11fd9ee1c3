/* test_rtc_peer.c: the WebRTC client's peer (rtc/rtc_peer.c) checks its
 * randomness: with OpenSSL's generator failing for the ICE password's
 * bytes (a method of the test's own, which fails a request of exactly
 * that many bytes), rtc_peer_new refuses with a one-line error instead of
 * offering a password of whatever the buffer held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/random.h>

#include <openssl/rand.h>

#include "rtc/rtc_peer.h"

#define PWD_BYTES 24 /* what rtc_peer_new draws for its ICE password */

static int fail_pwd(unsigned char *buf, int num)
{
    return num != PWD_BYTES && getrandom(buf, (size_t)num, 0) == num;
}

static int status(void)
{
    return 1;
}

/* OpenSSL 3 keeps the legacy method hook (deprecated) for exactly this:
 * a generator of the caller's own. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const RAND_METHOD failing = {.bytes = fail_pwd, .status = status};

static void set_method(const RAND_METHOD *m)
{
    RAND_set_rand_method(m);
}
#pragma GCC diagnostic pop

static void a_failing_generator_is_an_error(void **state)
{
    (void)state;
    static const struct rtc_peer_ops ops = {0};
    union netaddr self;
    char err[160] = "";
    assert_int_equal(netaddr_resolve("127.0.0.1", 9, &self, err, sizeof err), 0);
    struct rtc_peer *p = rtc_peer_new(&self, &ops, NULL, err, sizeof err);
    assert_non_null(p); /* the generator works */
    rtc_peer_free(p);
    set_method(&failing);
    p = rtc_peer_new(&self, &ops, NULL, err, sizeof err);
    set_method(NULL);
    if (p)
        rtc_peer_free(p);
    assert_null(p);
    assert_non_null(strstr(err, "random"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_failing_generator_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
