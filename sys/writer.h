/* writer.h: what a writer's mark (docs/design.md, "Who writes what")
 * expands to in a file other than the writer's. A part's header defines
 * its mark as ONLY_ITS_WRITER unless the writer defined it empty first.
 *
 * In the build that is linked it is nothing: every file sees one type for
 * each struct, as C asks of an object shared between files. In the
 * writers check (make writers-check: every source compiled again, for its
 * errors only, with -DRICOCHET_WRITERS_CHECK) it is const, so a write to a
 * part from any file but its writer does not compile. */
#ifndef RICOCHET_WRITER_H
#define RICOCHET_WRITER_H

#ifdef RICOCHET_WRITERS_CHECK
#define ONLY_ITS_WRITER const
#else
#define ONLY_ITS_WRITER
#endif

#endif
