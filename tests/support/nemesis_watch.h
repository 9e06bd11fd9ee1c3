/* nemesis_watch.h: what the players of one room received while the
 * nemesis cut the fleet (nemesis.h), and through which relay, checked
 * against proto/FLEET.md's invariants from what the relays forwarded
 * (never from their logs): time is cut into slots of WATCH_SLOT_MS, and a
 * slot in which states came through two relays is a slot the room was
 * served by two. Wraps harness_rec: pass watch_event as on_event and the
 * watch as ctx. */
#ifndef RICOCHET_TEST_NEMESIS_WATCH_H
#define RICOCHET_TEST_NEMESIS_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

#define WATCH_SLOT_MS 100
#define WATCH_SLOTS 3000       /* 300 s watched at most */
#define WATCH_RELAYS 8

struct nemesis_watch {
    struct harness_rec rec;    /* its clients (c[], n), as harness_rec */
    uint64_t start_ms;         /* slot 0 starts then */
    char relay[WATCH_RELAYS][32]; /* "host:port" of each relay seen */
    int n_relays;
    uint8_t slot[WATCH_SLOTS]; /* bit i: a state came through relay i */
    uint64_t sent_ms[WATCH_RELAYS]; /* the newest send time (clock_now_ms) of a
                                  state that came through relay i: it forwarded
                                  that state then or later */
    struct ricochet *others[HARNESS_MAX_CLIENTS]; /* players of other rooms: polled,
                                  not watched (the caller closes them) */
    size_t n_others;
};

/* Starts watching now (the clients are set in rec afterwards). */
void watch_start(struct nemesis_watch *w);

/* harness_rec_event, and the state's relay marked in its slot. */
void watch_event(void *watch, size_t index, const struct ricochet_event *ev);

/* Every client sends a state (joined or between relays), then all are
 * polled for ms. */
void watch_play(struct nemesis_watch *w, int ms);

/* How long (ms) states of the room came through two relays or more at
 * once, from since_ms to now (clock_now_ms). */
uint64_t watch_split_ms(const struct nemesis_watch *w, uint64_t since_ms);

/* The newest send time (clock_now_ms) of a state that came through the
 * relay at host:port, 0 if none: the relay forwarded it no sooner, however
 * late the players read it (a loaded machine can hold them back a second). */
uint64_t watch_last_sent(const struct nemesis_watch *w, const char *host, uint16_t port);

/* Whether every client is joined, all on one relay, and each has a state
 * from every other since mark (harness_rec's counters then: watch_mark). */
bool watch_one_group(const struct nemesis_watch *w, const struct harness_rec *mark);

/* Plays (watch_play, 50 ms a round) until watch_one_group holds after a
 * mark taken at each change of relay, or timeout_ms passes. Returns the
 * ms it took, or -1 on timeout. */
long watch_until_one_group(struct nemesis_watch *w, int timeout_ms);

#endif
