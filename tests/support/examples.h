/* examples.h: client/examples/ built as a game developer builds them:
 * libricochet installed (harness_install_lib), then `cc` with nothing but
 * `pkg-config --cflags --libs ricochet`. */
#ifndef RICOCHET_TEST_EXAMPLES_H
#define RICOCHET_TEST_EXAMPLES_H

#include <stddef.h>

/* Installs the library into a fresh scratch DESTDIR (its path into dir, cap
 * bytes) and builds client/examples/NAME.c there as dir/NAME, warnings as
 * errors. Returns 0, or -1 with the output printed. */
int examples_build(char *dir, size_t cap, const char *name);

/* Removes dir, as examples_build made it. Returns 0, or -1. */
int examples_remove(const char *dir);

#endif
