/* seen.h: test support for a test's libricochet clients (tests/test_e2e_fleet_keep.c,
 * tests/test_e2e_partition_keep.c): each by its index, polled together,
 * and what each saw (welcomed, moved, room events, its last kept event, why
 * it ended). Failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_SEEN_H
#define RICOCHET_TEST_SEEN_H

#include <stdbool.h>
#include <stddef.h>

#include "client/lib/client.h"
#include "client/lib/ricochet.h"

#define SEEN_MAX 24

/* The clients of a test, each by its index, and what they saw. */
struct seen {
    struct ricochet *c[SEEN_MAX];
    size_t n;
    bool welcomed[SEEN_MAX], gone[SEEN_MAX];
    unsigned moved[SEEN_MAX];                    /* RICOCHET_EV_MOVEDs */
    unsigned room_evs[SEEN_MAX];                 /* RICOCHET_EV_ROOMs */
    char code[SEEN_MAX][RICOCHET_CODE_MAX + 1];  /* DISCONNECTED's, or an ERROR's */
    char kept[SEEN_MAX][64];                     /* the last kept event: "key=data" */
};

/* A client made from cfg, the next index (returned). */
size_t seen_add(struct seen *s, const struct client_config *cfg);

/* Polls the clients whose bit is in mask (all: ~0u) once, each until it
 * has nothing more. */
void seen_poll(struct seen *s, unsigned mask);

/* Polls every client for ms. */
void seen_pump(struct seen *s, int ms);

/* Polls every client until client i is joined (welcomed) or gone; fails
 * past ms. */
void seen_until_settled(struct seen *s, size_t i, int ms);

#endif
