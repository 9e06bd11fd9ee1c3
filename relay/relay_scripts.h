/* relay_scripts.h: ricochet-relay's room scripts beside its loop
 * (relay/script, docs/scripts.md): checked with the other settings, the
 * engine started on the core before any input, read again on SIGHUP, its
 * timers and ticks run each turn of the loop. One engine a program. */
#ifndef RICOCHET_RELAY_SCRIPTS_H
#define RICOCHET_RELAY_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"

/* --script-default and --script-room need --script-dir; every script of --script-dir read
 * and checked (one line naming the file and line into err). Returns 0, or
 * -1 with err. Without --script-dir: 0. */
int relay_scripts_check(const struct relay_settings *s, char *err, size_t cap);

/* With --script-dir: the engine on r, and SIGHUP reads the scripts again.
 * Exits 1 (one line on stderr) if it cannot start. */
void relay_scripts_start(struct relay *r, const struct relay_settings *s);

/* by_us, or the engine's next timer or tick if sooner. */
uint64_t relay_scripts_due(uint64_t by_us);

/* Runs what is due (timers, ticks, kicks asked for) and a reload SIGHUP
 * asked for. Returns whether something may wait to be flushed. */
bool relay_scripts_run(uint64_t now_us);

/* Frees the engine (before the core it is installed in). */
void relay_scripts_stop(void);

#endif
