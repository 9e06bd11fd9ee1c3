/* lesson_watch.h: a lesson's figures watched as its class-scale tests
 * watch them (test_e2e_lesson_scale, test_e2e_lesson_laptops): live.json
 * read every 2 s as a page polls it, without the marks, each running lane's
 * window judged (every lost state explained, the drop log's reading close
 * behind netsim, a lossy lane's window saying netsim dropped some). */
#ifndef RICOCHET_TEST_LESSON_WATCH_H
#define RICOCHET_TEST_LESSON_WATCH_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "lesson.h"

#define LESSON_BEHIND_MAX_S 1.0 /* the reading's most behind netsim's newest line */
#define LESSON_FIGURES "/live.json?since=18446744073709551615" /* no marks: a page's poll */

/* What a phase saw. */
struct lesson_tally {
    int samples;          /* live.json reads with a lane judged */
    int windows;          /* lanes' windows judged */
    long unexplained;     /* states lost that nothing explains, every window summed (those
                             still on their way, "pending", are not lost) */
    long behind;          /* states lost while the machine fell behind (the lane says so) */
    double behind_ms;     /* ... how late the states beside them came, at most */
    double behind_max_s;  /* the reading's most behind */
    int silent_lossy;     /* lossy lanes' windows of `lossy` or more that say netsim dropped
                             none */
    double tcp_held;      /* TCP's lane's held back behind another sender's loss, most */
    double unsent;        /* a lane's states its senders dropped before they left, most in a
                             window (explained: QUIC's congestion control held them back) */
    cJSON *marks;         /* live.json with the marks, read once a state is unexplained */
};

/* PUT body to l's path, again while netsim is not up yet to take a model
 * (502), for up to a minute; fails the test without a 200. */
void lesson_put(const struct lesson *l, const char *path, const char *body);

/* One read of live.json into t, with senders each lane's senders now (0:
 * any); the lanes not running with their senders, or whose window is not
 * whole, are left out; a lossy lane's window of at least lossy states must
 * say netsim dropped some. A lane's unexplained states are printed with
 * their marks and the lesson's word on the first three. Returns the lanes
 * judged. */
int lesson_look(const struct lesson *l, int senders, double lossy, struct lesson_tally *t,
                const char *phase);

/* Reads live.json every 2 s for ms (lesson_look), each (NULL: nothing)
 * called with arg every second meanwhile; prints what phase saw. */
void lesson_watch(const struct lesson *l, int senders, double lossy, uint64_t ms,
                  struct lesson_tally *t, const char *phase, void (*each)(void *), void *arg);

/* Waits up to a minute until most lanes run with senders each and a whole
 * window. */
void lesson_wait_running(const struct lesson *l, int senders);

/* Fails the test unless t judged windows and every lost state in them was
 * explained, the reading never far behind, no lossy window silent. */
void lesson_tally_holds(const struct lesson_tally *t);

#endif
