/* test_procstat.c: the process_ series. /proc/PID/stat is parsed after
 * the name's last parenthesis (a name may hold spaces and ')'), short or
 * garbled lines are refused; read from /proc, open descriptors count
 * exactly, memory and start time are this process's; every family is
 * written with HELP and TYPE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sys/procstat.h"
#include "sys/promtext.h"

/* A real line (fields 3..24 and more) with a hostile name. */
static const char line[] =
    "4242 (a b) (c)) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 3 0 "
    "1000 123456789 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n";

static void parses_after_the_last_parenthesis(void **state)
{
    (void)state;
    struct procstat ps = { 0 };
    assert_int_equal(procstat_parse(line, 100, 4096, 1700000000.0, &ps), 0);
    assert_true(ps.cpu_seconds > 2.9999 && ps.cpu_seconds < 3.0001); /* (250+50)/100 */
    assert_int_equal(ps.resident_bytes, 300 * 4096);
    assert_int_equal(ps.virtual_bytes, 123456789);
    assert_true(ps.start_time_s > 1700000009.999 && ps.start_time_s < 1700000010.001);
}

static void refuses_what_is_not_a_stat_line(void **state)
{
    (void)state;
    struct procstat ps;
    assert_int_equal(procstat_parse("", 100, 4096, 0, &ps), -1);
    assert_int_equal(procstat_parse("4242 (name S 1 2 3", 100, 4096, 0, &ps), -1);
    assert_int_equal(procstat_parse("4242 (x) S 1 2 3\n", 100, 4096, 0, &ps), -1);
    assert_int_equal(procstat_parse("4242 (x) S 1 2 3 4 5 6 7 8 9 10 x 12 13 14 15 16 17 "
                                     "18 19 20 21 22",
                                     100, 4096, 0, &ps),
                     -1);
    assert_int_equal(procstat_parse(line, 0, 4096, 0, &ps), -1);
}

static void reads_this_process(void **state)
{
    (void)state;
    struct procstat before, after;
    assert_int_equal(procstat_read(&before), 0);
    int fds[3];
    for (int i = 0; i < 3; i++)
        assert_true((fds[i] = open("/dev/null", O_RDONLY)) >= 0);
    assert_int_equal(procstat_read(&after), 0);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    assert_int_equal(after.open_fds, before.open_fds + 3);
    assert_true(after.open_fds >= 6); /* stdin, stdout, stderr and ours */
    assert_true(after.max_fds >= after.open_fds);
    assert_true(after.resident_bytes > 1024 * 1024);
    assert_true(after.virtual_bytes >= after.resident_bytes);
    double now = (double)time(NULL);
    assert_true(after.start_time_s <= now + 1 && after.start_time_s > now - 600);
}

static void writes_every_family(void **state)
{
    (void)state;
    struct procstat ps = { .cpu_seconds = 1.5, .resident_bytes = 4096, .open_fds = 7 };
    struct promtext t = { 0 };
    procstat_write(&t, &ps);
    size_t len;
    char *text = promtext_take(&t, &len);
    static const char *const want[] = {
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n",
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 4096\n",
        "# TYPE process_virtual_memory_bytes gauge\n",
        "# TYPE process_open_fds gauge\nprocess_open_fds 7\n",
        "# TYPE process_max_fds gauge\n",
        "# TYPE process_start_time_seconds gauge\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_non_null(strstr(text, want[i]));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_after_the_last_parenthesis),
        cmocka_unit_test(refuses_what_is_not_a_stat_line),
        cmocka_unit_test(reads_this_process),
        cmocka_unit_test(writes_every_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
