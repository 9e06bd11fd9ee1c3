/* tui_draw.h: ricochet-client's terminal: curses setup and teardown, keys,
 * and one frame of the model (client/tui/tui_model.h) per call.
 *
 * The only module of the client that calls ncurses. While the screen is in
 * use, stderr goes to a log file or /dev/null so logs cannot scribble over
 * it; tui_screen_close (also run at exit) gives the terminal and stderr
 * back. */
#ifndef RICOCHET_TUI_DRAW_H
#define RICOCHET_TUI_DRAW_H

#include <stdint.h>

#include "tui_model.h"

/* Hands the terminal to curses, stderr to log_file (or /dev/null when
 * empty). Returns 0, or -1 with a one-line error printed as prog (the
 * terminal restored). */
int tui_screen_open(const char *prog, const char *log_file);

/* Gives the terminal and stderr back; safe to call more than once. */
void tui_screen_close(void);

/* The next key code waiting (never blocks), or -1 when none. */
int tui_screen_key(void);

/* Draws the whole screen for m at now, in one write. */
void tui_draw_frame(struct tui_model *m, uint64_t now);

#endif
