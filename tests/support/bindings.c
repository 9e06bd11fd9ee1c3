/* bindings.c: the relay and the installed library the bindings' tests
 * share (bindings.h). */
#include "tests/support/bindings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/support/harness.h"

int bindings_setup(struct bindings *b)
{
    if (harness_install_lib(b->scratch, sizeof b->scratch) != 0)
        return -1;
    char lib[128];
    snprintf(lib, sizeof lib, "%s/usr/lib", b->scratch);
    setenv("LD_LIBRARY_PATH", lib, 1);
    char *bin = realpath(harness_bin_dir(), NULL);
    if (!bin)
        return -1;
    setenv("RICOCHET_BIN", bin, 1);
    free(bin);
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "ws://127.0.0.1:0",
                          NULL};
    if (harness_start_relay(&b->relay, args) < 0)
        return -1;
    b->enet_port = harness_edge_port(&b->relay, "enet");
    b->ws_port = harness_edge_port(&b->relay, "ws");
    return b->enet_port && b->ws_port ? 0 : -1;
}

int bindings_teardown(struct bindings *b)
{
    free(harness_relay_finish(&b->relay));
    spawn_free(&b->relay);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", b->scratch);
    return system(cmd) == 0 ? 0 : -1;
}

int bindings_run(const char *fmt, ...)
{
    char cmd[2048], line[2100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "timeout 120 sh -c '%s' 1>&2", cmd);
    int rc = system(line);
    if (rc != 0)
        fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}
