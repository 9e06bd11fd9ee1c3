/* examples.c: client/examples/ built as a game developer builds them (see
 * examples.h). */
#include "examples.h"

#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

int examples_build(char *dir, size_t cap, const char *name)
{
    if (harness_install_lib(dir, cap) != 0)
        return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "PKG_CONFIG_PATH=%s/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s sh -c "
             "'cc -std=c11 -Wall -Wextra -Werror -o %s/%s client/examples/%s.c "
             "$(pkg-config --cflags --libs ricochet) -lm'",
             dir, dir, dir, name, name);
    return system(cmd) == 0 ? 0 : -1;
}

int examples_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}
