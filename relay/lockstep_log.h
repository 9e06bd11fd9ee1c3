/* lockstep_log.h: the relay's kept log of its lockstep rooms (--lockstep-log;
 * PROTOCOL.md, "The kept log"): every line the core makes (a room made,
 * each frame, who holds a slot from when, each late input, a desync, a
 * room's end), appended to one file, one JSON object a line, flushed at
 * most every 100 ms and at a stop. Runs on the loop's thread. */
#ifndef RICOCHET_LOCKSTEP_LOG_H
#define RICOCHET_LOCKSTEP_LOG_H

#include <stddef.h>
#include <stdint.h>

struct relay;
struct lockstep_log;

/* Opens path for appending and makes it r's sink of lines. Returns the log,
 * or NULL with one line in err (the file cannot be opened). */
struct lockstep_log *lockstep_log_open(const char *path, struct relay *r, char *err,
                                       size_t err_cap);

/* ricochet-relay's start: lockstep_log_open for --lockstep-log path ("":
 * none, NULL); a file it cannot open ends the program (exit 1) with its one
 * line on stderr. */
struct lockstep_log *lockstep_log_start(const char *path, struct relay *r);

/* The loop's periodic call: what was written since goes to the file. A
 * failed write is logged once until one succeeds. */
void lockstep_log_tick(struct lockstep_log *l);

/* Flushes and closes the log (NULL: none); the relay's rooms have ended, or
 * r is gone: its sink is no longer called. */
void lockstep_log_close(struct lockstep_log *l);

#endif
