/* lesson_watch.c: a lesson's figures watched as a class's tests watch
 * them (see lesson_watch.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "http.h"
#include "lesson_watch.h"

void lesson_put(const struct lesson *l, const char *path, const char *body)
{
    uint64_t deadline = clock_now_ms() + 60000;
    int status = 0;
    while (status != 200 && clock_now_ms() < deadline) {
        struct http_response r;
        assert_int_equal(http_send(l->at, "PUT", path, body, 10000, &r), 0);
        status = r.status;
        http_response_free(&r);
        if (status != 200)
            clock_sleep_ms(500);
    }
    assert_int_equal(status, 200);
}

static double num(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));
}

static double num_at(const cJSON *a, int i)
{
    return cJSON_GetNumberValue(cJSON_GetArrayItem(a, i));
}

int lesson_look(const struct lesson *l, int senders, double lossy, struct lesson_tally *t,
                const char *phase)
{
    cJSON *j = lesson_get_json(l, LESSON_FIGURES);
    assert_non_null(j);
    const cJSON *log = cJSON_GetObjectItem(j, "log");
    assert_non_null(log);
    double behind = num(log, "behind_max_s");
    if (behind > t->behind_max_s)
        t->behind_max_s = behind;
    if (behind > LESSON_BEHIND_MAX_S)
        print_message("%s: the drop log's reading %.2f s behind (%.0f bytes unread)\n", phase,
                      behind, num(log, "unread_bytes"));
    int judged = 0;
    const cJSON *lane;
    if (senders && (int)num(j, "senders") != senders) {
        cJSON_Delete(j);
        return 0;
    }
    cJSON_ArrayForEach(lane, cJSON_GetObjectItem(j, "lanes")) {
        const cJSON *f = cJSON_GetObjectItem(lane, "figures");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(lane, "name"));
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(lane, "state"));
        if (!st || strcmp(st, "running") || !cJSON_IsTrue(cJSON_GetObjectItem(f, "valid")) ||
            num(f, "window_s") < 9)
            continue;
        judged++;
        double expected = num(f, "expected"), delivered = num(f, "delivered");
        double explained = num(f, "lost_explained"), dropped = num(f, "netsim_dropped");
        /* not come yet within their grace (handed over late) are on their way, not lost */
        long unexplained = (long)(expected - delivered - explained - num(f, "pending"));
        if (unexplained > 0) {
            /* lost, no drop: the relay sent it on, or not (the marks of the look after
             * this one, every lane's, once); the first three nothing explains, shown */
            int down = 0, none = 0, shown = 0;
            if (!t->marks) /* once a look: the states of its windows */
                t->marks = lesson_get_json(l, "/live.json");
            const cJSON *ml = NULL, *x;
            cJSON_ArrayForEach(x, cJSON_GetObjectItem(t->marks, "lanes"))
                if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "name")), name))
                    ml = x;
            const cJSON *m;
            cJSON_ArrayForEach(m, cJSON_GetObjectItem(ml, "marks")) {
                const char *up_drop = cJSON_GetStringValue(cJSON_GetArrayItem(m, 8));
                const char *down_drop = cJSON_GetStringValue(cJSON_GetArrayItem(m, 9));
                if (num_at(m, 2) != 2)
                    continue;
                bool undropped = up_drop && !up_drop[0] && down_drop && !down_drop[0];
                down += undropped && cJSON_IsNumber(cJSON_GetArrayItem(m, 13));
                none += undropped && !cJSON_IsNumber(cJSON_GetArrayItem(m, 13));
                if (shown < 3) { /* the lesson's word on an unexplained one: its hops */
                    char path[160];
                    snprintf(path, sizeof path, "/state?lane=%s&seq=%d&sender=%d", name,
                             (int)num_at(m, 0), (int)num_at(m, 10));
                    cJSON *one = lesson_get_json(l, path);
                    const char *fate = cJSON_GetStringValue(cJSON_GetObjectItem(one, "fate"));
                    char *text = one ? cJSON_PrintUnformatted(one) : NULL;
                    if (fate && !strcmp(fate, "unexplained") && ++shown)
                        print_message("%s: lane %s, state %d: %.1400s\n", phase, name,
                                      (int)num_at(m, 0), text);
                    free(text);
                    cJSON_Delete(one);
                }
            }
            print_message("%s: lane %s: %ld of %.0f states lost, nothing explains them "
                          "(netsim dropped %.0f; delivered %.0f, explained %.0f; kernel "
                          "dropped %.0f at its receiver, %.0f at the relay and netsim; "
                          "relay kept %.0f; its senders dropped %.0f before they left; its "
                          "marks lost undropped: %d sent down, %d not)\n",
                          phase, name, unexplained, expected, dropped, delivered, explained,
                          num(f, "socket_dropped"), num(f, "host_socket_dropped"),
                          num(f, "relay_kept"), num(f, "sender_dropped"), down, none);
            t->unexplained += unexplained;
        }
        if (num(f, "behind") > 0) {
            t->behind += (long)num(f, "behind");
            if (num(f, "behind_ms") > t->behind_ms)
                t->behind_ms = num(f, "behind_ms");
        }
        bool lossless = cJSON_IsTrue(cJSON_GetObjectItem(lane, "lossless"));
        if (!lossless && expected >= lossy && dropped == 0) {
            print_message("%s: lane %s: netsim dropped 0 of %.0f\n", phase, name, expected);
            t->silent_lossy++;
        }
        if (name && !strcmp(name, "tcp") && num(f, "held") > t->tcp_held)
            t->tcp_held = num(f, "held");
        if (num(f, "sender_dropped") > t->unsent)
            t->unsent = num(f, "sender_dropped");
    }
    t->windows += judged;
    t->samples += judged > 0;
    cJSON_Delete(j);
    cJSON_Delete(t->marks);
    t->marks = NULL;
    return judged;
}

void lesson_watch(const struct lesson *l, int senders, double lossy, uint64_t ms,
                  struct lesson_tally *t, const char *phase, void (*each)(void *), void *arg)
{
    uint64_t end = clock_now_ms() + ms;
    for (int turn = 1; clock_now_ms() < end; turn++) {
        uint64_t next = clock_now_ms() + 1000;
        if (each)
            each(arg);
        if (clock_now_ms() < next)
            clock_sleep_ms(next - clock_now_ms());
        if (turn % 2 == 0)
            lesson_look(l, senders, lossy, t, phase);
    }
    print_message("%s: %d looks, %d windows: %ld states unexplained, %ld lost while the "
                  "machine fell behind (said on their lanes; the states beside them up to "
                  "%.0f ms late), the reading at most %.2f s behind, TCP's held back at most "
                  "%.0f, a lane's senders dropped at most %.0f before they left\n", phase,
                  t->samples, t->windows, t->unexplained, t->behind, t->behind_ms,
                  t->behind_max_s, t->tcp_held, t->unsent);
    cJSON_Delete(t->marks);
    t->marks = NULL;
}

void lesson_wait_running(const struct lesson *l, int senders)
{
    uint64_t deadline = clock_now_ms() + 60000;
    while (clock_now_ms() < deadline) {
        clock_sleep_ms(1000);
        cJSON *j = lesson_get_json(l, LESSON_FIGURES);
        int running = 0;
        const cJSON *lane;
        bool ok = j && (int)num(j, "senders") == senders;
        cJSON_ArrayForEach(lane, cJSON_GetObjectItem(j, "lanes")) {
            const cJSON *f = cJSON_GetObjectItem(lane, "figures");
            const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(lane, "state"));
            running += st && !strcmp(st, "running") && num(f, "window_s") >= 9;
        }
        cJSON_Delete(j);
        if (ok && running >= 11)
            return;
    }
    fail_msg("the lanes never ran with %d senders and a whole window", senders);
}

void lesson_tally_holds(const struct lesson_tally *t)
{
    assert_true(t->samples >= 5); /* judged, not skipped */
    assert_int_equal(t->unexplained, 0);
    assert_true(t->behind_max_s <= LESSON_BEHIND_MAX_S);
    assert_int_equal(t->silent_lossy, 0);
}
