/* test_e2e_lesson_pcap.c: a lane's capture from the lesson page's pcap
 * link (GET /pcap?lane=NAME, lab/lesson/live_pcap.c) opens in tshark with
 * the project's dissector (proto/wireshark/ricochet.lua): the udp lane's
 * states read both ways, up from its sender's address to the relay's and
 * down from the relay's to its receiver's, and the tcp lane's from its
 * stream; nothing the dissector warns of; a lane the page does not have
 * is 404. IP mode (root; skipped
 * without it, and without tshark). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/tshark.h"

#define WAIT_MS 60000
#define STATES_MIN 20 /* each way: a second of the lane's, in the last packets kept */

/* The lesson stopped as Ctrl-C stops it: exit 0 within 15 s. */
static void stop(struct lesson *l)
{
    assert_int_equal(spawn_stop(&l->proc, SIGINT, 15000), 0);
    spawn_free(&l->proc);
}

/* Waits until lane runs and its window has states; false if the lesson
 * has no IP mode here (skip). */
static bool wait_lane(const struct lesson *l, const char *lane)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        clock_sleep_ms(500);
        cJSON *j = lesson_get_json(l, "/live.json?since=18446744073709551615");
        if (!j)
            continue;
        bool ip = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"),
                                                   "ip_mode"));
        bool ok = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "lanes")) {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(x, "name"));
            const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(x, "state"));
            double expected = cJSON_GetNumberValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(x, "figures"), "expected"));
            ok |= name && !strcmp(name, lane) && st && !strcmp(st, "running") &&
                  expected >= 2 * STATES_MIN;
        }
        cJSON_Delete(j);
        if (!ip)
            return false;
        if (ok)
            return true;
    }
    fail_msg("lane %s never ran", lane);
    return false;
}

/* The lane's capture into WORK/LANE.pcap; its path into path. */
static void save(const struct lesson *l, const char *lane, char *path, size_t cap)
{
    char q[64], type[64];
    snprintf(q, sizeof q, "/pcap?lane=%s", lane);
    struct http_response r = http_get(l->at, q);
    assert_int_equal(r.status, 200);
    assert_non_null(http_header(&r, "Content-Type", type, sizeof type));
    assert_string_equal(type, "application/vnd.tcpdump.pcap");
    snprintf(path, cap, "%s/%s.pcap", tshark_dir(), lane);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(r.body, 1, r.len, f), r.len);
    assert_int_equal(fclose(f), 0);
    http_response_free(&r);
}

/* The states tshark reads in pcap with the dissector from src (ip.src). */
static int states_from(const char *pcap, const char *src)
{
    char *out = tshark_run(pcap, "-Y ricochet.state.seq -T fields -e ip.src "
                                 "-E occurrence=a -e ricochet.state.seq");
    int n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[2];
        if (tshark_split(line, f, 2, '\t') == 2 && !strcmp(f[0], src))
            for (const char *c = f[1]; c; c = strchr(c + 1, ',')) /* a batch's seqs: a,b */
                n++;
    }
    free(out);
    return n;
}

/* What the dissector warns of in pcap: "" when nothing. */
static char *warned(const char *pcap)
{
    return tshark_run(pcap, "-Y '" TSHARK_RICOCHET_WARNED "' -T fields -e frame.number");
}

static void a_lanes_capture_opens_in_wireshark(void **state)
{
    (void)state;
    const char *args[] = {"--port", "0", "--door-port", "0", "--rate", "20", "--duration", "10",
                          "--seed", "5", NULL};
    struct lesson l;
    char path[512];
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    if (!wait_lane(&l, "udp") || !wait_lane(&l, "tcp")) {
        stop(&l);
        print_message("skipped: no IP mode here (the capture is of netsim's devices)\n");
        skip();
    }
    const char *names[] = {"udp", "tcp"};
    for (int k = 0; k < 2; k++) {
        save(&l, names[k], path, sizeof path);
        int up = states_from(path, "198.18.0.1"), down = states_from(path, "198.19.0.1");
        print_message("%s: %d states up, %d down\n", names[k], up, down);
        assert_true(up >= STATES_MIN);
        assert_true(down >= STATES_MIN);
        char *w = warned(path);
        assert_string_equal(w, "");
        free(w);
    }
    struct http_response r = http_get(l.at, "/pcap?lane=nothing");
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    stop(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_lanes_capture_opens_in_wireshark),
    };
    return TSHARK_RUN_TESTS("test_e2e_lesson_pcap", tests);
}
