/* signals.h: the stop and stats signals of every program's main loop.
 * Handlers only store into the caller's flags (and may call one
 * async-signal-safe hook); the loop reads the flags. */
#ifndef RICOCHET_SIGNALS_H
#define RICOCHET_SIGNALS_H

#include <signal.h>

/* Installs handlers without SA_RESTART, so that a blocked poll()/ppoll()
 * returns EINTR, and ignores SIGPIPE:
 *   SIGINT, SIGTERM: *stop = the signal number, then notify() if not NULL;
 *   SIGUSR1: *usr1 = 1 (SIGUSR1 keeps its default when usr1 is NULL).
 * stop may be NULL (notify only). The flags must live as long as the
 * process (static); notify must be async-signal-safe. Call once. */
void signals_install(volatile sig_atomic_t *stop, volatile sig_atomic_t *usr1,
                     void (*notify)(void));

/* Makes sig stop the program like SIGINT does (the terminal client: SIGHUP).
 * Call after signals_install. */
void signals_stop_on(int sig);

#endif
