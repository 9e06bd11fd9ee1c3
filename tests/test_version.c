/* test_version: ricochet's version string, asked for the first time by two
 * threads at once (the relay's loop and its HTTP thread do): both get the
 * same text, and under ThreadSanitizer (make test-tsan) neither call
 * writes what the other reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "sys/version.h"

static void *ask(void *arg)
{
    (void)arg;
    return (void *)version_ricochet();
}

/* The first calls of the process: no call before the thread starts may
 * order one before the other. */
static void first_asked_by_two_threads_at_once(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, ask, NULL), 0);
    const char *mine = version_ricochet();
    void *theirs;
    assert_int_equal(pthread_join(t, &theirs), 0);
    assert_true(strlen(mine) > 0);
    assert_string_equal(mine, (const char *)theirs);
    assert_ptr_equal(version_ricochet(), mine); /* a static string */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_asked_by_two_threads_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
