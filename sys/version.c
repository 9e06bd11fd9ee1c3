/* version.c: versions of ricochet and of the libraries it is built with. */
#include "version.h"

#include <stdio.h>

#include <cjson/cJSON.h>
#include <enet/enet.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* Set by the Makefile for this file only: `git describe --tags --always
 * --dirty` at build time, "" outside a git checkout. */
#ifndef RICOCHET_GIT_DESCRIBE
#define RICOCHET_GIT_DESCRIBE ""
#endif

/* Every answer is a string literal, so no call writes anything: the loop
 * and a side thread (the relay's /metrics) may ask at once. */
const char *version_ricochet(void)
{
    static const char with_commit[] = RICOCHET_VERSION_BASE "+g" RICOCHET_GIT_DESCRIBE;
    const char *git = RICOCHET_GIT_DESCRIBE;
    if (!git[0])
        return RICOCHET_VERSION_BASE;
    if (git[0] == 'v' && git[1] >= '0' && git[1] <= '9')
        return git + 1; /* past a release tag: describe says it all */
    return with_commit; /* no tag: the commit */
}

const char *version_enet(void)
{
    /* The header's: this needs no ENet library, so a program that does not
     * link one (ricochet-netsim) can say it too; the relay refuses to start
     * on a linked ENet of another version (relay_enet_internals_check). */
    return STR(ENET_VERSION_MAJOR) "." STR(ENET_VERSION_MINOR) "." STR(ENET_VERSION_PATCH);
}

const char *version_cjson(void)
{
    return cJSON_Version();
}

void version_line(char *buf, size_t cap, const char *prog)
{
    snprintf(buf, cap, "%s %s (ENet %s, cJSON %s)", prog, version_ricochet(), version_enet(),
             version_cjson());
}
