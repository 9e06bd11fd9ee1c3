/* version.h: what produced an output: ricochet's version and the versions
 * of the libraries it runs with (--version, stats records, bench JSON). */
#ifndef RICOCHET_VERSION_H
#define RICOCHET_VERSION_H

#include <stddef.h>

/* The release this source tree is. The one place to change it; a build
 * from a git checkout appends what `git describe` says (see the Makefile). */
#define RICOCHET_VERSION_BASE "0.1.0"

/* ricochet's version: "0.1.0" without git, "0.1.0+gd7257da" (or
 * "...-dirty") from an untagged checkout, "1.2.0-3-gabc1234" past a tag
 * v1.2.0. A static string; any thread may ask. */
const char *version_ricochet(void);

/* The ENet version built against (its header), "1.3.17". A static string. */
const char *version_enet(void);

/* The cJSON library linked at run time, "1.7.15". A static string. */
const char *version_cjson(void);

/* "PROG VERSION (ENet X, cJSON Y)" into buf, no newline. */
void version_line(char *buf, size_t cap, const char *prog);

#endif
