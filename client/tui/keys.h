/* keys.h: what each key does in ricochet-client, and the chat line editor.
 *
 * Pure: takes the key codes getch() returns (ASCII, or curses KEY_* values)
 * and returns actions; no curses calls, so tests link without ncurses. */
#ifndef RICOCHET_KEYS_H
#define RICOCHET_KEYS_H

#include <stddef.h>

#include "proto/control.h"

enum keys_action {
    KEYS_NONE = 0,        /* unknown key: ignored */
    KEYS_UP,              /* steer up (arrow, w, k) */
    KEYS_DOWN,            /* steer down (arrow, s, j) */
    KEYS_LEFT,            /* steer left (arrow, a, h) */
    KEYS_RIGHT,           /* steer right (arrow, d, l) */
    KEYS_STOP,            /* stop moving (space, x) */
    KEYS_MODE,            /* a mode's key in the mode table (1 2 3): keys_mode_for */
    KEYS_RATE_UP,         /* + = */
    KEYS_RATE_DOWN,       /* - _ */
    KEYS_DELAY_UP,        /* ] : more interpolation delay */
    KEYS_DELAY_DOWN,      /* [ */
    KEYS_TOGGLE_INTERP,   /* i */
    KEYS_TOGGLE_GHOST,    /* g */
    KEYS_CHAT,            /* c, Enter: start a chat line */
    KEYS_HELP,            /* ? */
    KEYS_RECONNECT,       /* r: reconnect after the relay was lost */
    KEYS_REDRAW,          /* Ctrl-L */
    KEYS_RESIZE,          /* KEY_RESIZE from curses */
    KEYS_QUIT,            /* q, Q */
    KEYS_ACTION_COUNT
};

/* Action for a key code in normal (not chat) input. KEYS_NONE if unbound. */
enum keys_action keys_action_for(int ch);

/* The mode whose key (proto/mode.c's table) is ch: returns 0 and sets
 * *mode, or -1. */
int keys_mode_for(int ch, enum proto_mode *mode);

/* Short name of an action ("up", "quit", ...) for logs and tests. */
const char *keys_action_name(enum keys_action a);

/* One row of the help screen. */
struct keys_help_row {
    const char *keys; /* "arrows/WASD" */
    const char *what; /* "steer (keeps moving)" */
};

/* The help rows, *n set to their count. Static storage. */
const struct keys_help_row *keys_help(size_t *n);

/* Chat line being typed (printable ASCII only). */
struct keys_line {
    char text[PROTO_TEXT_MAX + 1]; /* NUL-terminated */
    size_t len;
};

enum keys_edit {
    KEYS_EDIT_CONTINUE, /* keep typing */
    KEYS_EDIT_SUBMIT,   /* Enter: send line->text (may be empty) */
    KEYS_EDIT_CANCEL    /* Esc: drop the line */
};

/* Empties the line. */
void keys_line_clear(struct keys_line *l);

/* Applies one key to the line: printable ASCII is appended (until full),
 * Backspace deletes, Ctrl-U clears, Enter submits, Esc cancels. */
enum keys_edit keys_line_edit(struct keys_line *l, int ch);

#endif
