/* bindings.h: what the bindings' tests share: libricochet installed as a
 * game gets it, into a scratch folder that is also where programs are
 * built, and one relay with an ENet and a ws edge that every case of a
 * binary speaks to. */
#ifndef RICOCHET_TEST_BINDINGS_H
#define RICOCHET_TEST_BINDINGS_H

#include <stdint.h>

#include "lab/harness/spawn.h"

struct bindings {
  char scratch[64]; /* the DESTDIR, and where programs are built */
  struct spawn_proc relay;
  uint16_t enet_port, ws_port;
};

/* Installs the library (LD_LIBRARY_PATH points at it), exports an absolute
 * RICOCHET_BIN (the bindings' own tests start relays from another folder)
 * and starts the relay. 0, or -1. */
int bindings_setup(struct bindings *b);

/* Stops the relay and removes the scratch folder. 0, or -1. */
int bindings_teardown(struct bindings *b);

/* Runs a shell command line (at most 120 s), its output to stderr, and
 * returns its exit code, printing the line if it is not 0. */
int bindings_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
