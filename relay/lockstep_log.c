/* lockstep_log.c: the kept log of lockstep rooms, a file (see lockstep_log.h). */
#include "lockstep_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/core/relay.h"
#include "sys/log.h"

struct lockstep_log {
    FILE *f;
    char path[256];
    bool failed; /* a write failed: said once until one succeeds */
};

static void failed(struct lockstep_log *l)
{
    if (!l->failed)
        log_error("relay: --lockstep-log %s: %s", l->path, strerror(errno));
    l->failed = true;
}

static void line(void *ctx, const char *text, size_t len)
{
    struct lockstep_log *l = ctx;
    if (fwrite(text, 1, len, l->f) != len || fputc('\n', l->f) == EOF)
        failed(l);
}

struct lockstep_log *lockstep_log_open(const char *path, struct relay *r, char *err,
                                       size_t err_cap)
{
    struct lockstep_log *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, err_cap, "--lockstep-log %s: out of memory", path);
        return NULL;
    }
    snprintf(l->path, sizeof l->path, "%s", path);
    if (!(l->f = fopen(path, "a"))) {
        snprintf(err, err_cap, "--lockstep-log %s: %s", path, strerror(errno));
        free(l);
        return NULL;
    }
    setvbuf(l->f, NULL, _IOFBF, 1 << 16);
    relay_set_lockstep_sink(r, &(struct relay_lockstep_sink){.ctx = l, .line = line});
    return l;
}

struct lockstep_log *lockstep_log_start(const char *path, struct relay *r)
{
    char err[512];
    struct lockstep_log *l = NULL;
    if (path[0] && !(l = lockstep_log_open(path, r, err, sizeof err))) {
        fprintf(stderr, "ricochet-relay: error: %s\n", err);
        exit(1);
    }
    return l;
}

void lockstep_log_tick(struct lockstep_log *l)
{
    if (!l)
        return;
    if (fflush(l->f) != 0)
        failed(l);
    else
        l->failed = false;
}

void lockstep_log_close(struct lockstep_log *l)
{
    if (!l)
        return;
    if (fclose(l->f) != 0)
        failed(l);
    free(l);
}
