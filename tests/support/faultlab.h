/* faultlab.h: where test_e2e_faults tries every fault on every edge. Two
 * network namespaces of the test's own (lab/harness/netlab.h): the relay's,
 * where the test's thread moves, the relay runs with every edge on
 * 0.0.0.0 and the honest members and flooders reach it on 127.0.0.1; and
 * the slow members', each behind a veth pair of its own whose relay end
 * sends at most 0.5 Mbit/s (tbf), 198.18.(10+i).2 to the relay's
 * 198.18.(10+i).1. A member that is to stop reading or sit behind a slow
 * link runs in a process of its own (a victim), forked before the test's
 * own sessions start threads: it joins, says its id, and reads until
 * told to stop, then says how its session went. */
#ifndef RICOCHET_TEST_FAULTLAB_H
#define RICOCHET_TEST_FAULTLAB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lab/harness/netlab.h"
#include "lab/harness/spawn.h"
#include "member.h"

#define FAULTLAB_EDGES 8        /* the relay's edges, at most */
#define FAULTLAB_SLOW_KBIT 500  /* a slow member's link down */

struct faultlab {
    struct netlab lab;
    struct spawn_proc relay;
    char dir[64];               /* its certificate and key (wss, quic) */
    const char *edge[FAULTLAB_EDGES]; /* each edge's scheme, as started */
    uint16_t port[FAULTLAB_EDGES];
    int n_edges;
    uint32_t links;             /* bit i: slow link i made */
};

/* Makes the namespaces, moves the calling thread into the relay's, makes
 * slow link rtc_link, and starts the relay there with every edge of
 * relay_transports[] and more (NULL-ended arguments), its webrtc edge's
 * candidate that link's relay end (a WebRTC member answers from the
 * address it was offered, so the slow one reaches it there, and the others
 * in the relay's namespace). Fails the test if any of it cannot be done;
 * the reason why it cannot here (no rights for namespaces) in skip_why
 * and -1 returned, for the caller to skip. */
int faultlab_open(struct faultlab *f, const char *const *more, int rtc_link, char *skip_why,
                  size_t cap);

/* The port of the relay's edge scheme; fails the test if it has none. */
uint16_t faultlab_port(const struct faultlab *f, const char *scheme);

/* Slow link i (its addresses 198.18.(10+i).1 and .2), unless made. */
void faultlab_link(struct faultlab *f, int i);

/* Stops the relay (it must exit 0: no sanitizer report, no leak), and
 * undoes the rest; the test's thread back in its own namespace. Returns
 * the relay's stderr (the caller frees). */
char *faultlab_close(struct faultlab *f);

/* A member in a process of its own. */
struct victim {
    pid_t pid;
    int fd;                     /* the pipe its reports come on */
    uint32_t id;                /* its relay id, once joined */
    bool stopped;
};

/* What a victim says at the end. */
struct victim_end {
    bool ended;                 /* the relay closed its session */
    char code[RICOCHET_CODE_MAX + 1];
    uint64_t events, states;    /* what it got */
    uint64_t events_from[MEMBER_IDS]; /* its events by sender id */
};

/* Forks a victim over way w into room as name: in the slow members'
 * namespace behind link `link` (-1: the relay's, on 127.0.0.1). It joins
 * and reads until victim_end; victim_joined waits for its id. */
void victim_start(struct victim *v, struct faultlab *f, const struct way *w, int link,
                  const char *room, const char *name);

/* Waits up to ms for v's id. Returns it, or 0. */
uint32_t victim_joined(struct victim *v, int ms);

/* Stops v reading (SIGSTOP): its process, its socket and everything. */
void victim_stop(struct victim *v);

/* Tells v to stop and reads what it says (a stopped one is killed: its
 * end is unknown). */
struct victim_end victim_end(struct victim *v);

#endif
