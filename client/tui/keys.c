/* keys.c: key-to-action mapping and the chat line editor (see keys.h).
 * curses.h is included for its KEY_* constants only; nothing here calls
 * into ncurses. */
#include "keys.h"

#include <curses.h>

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27

enum keys_action keys_action_for(int ch)
{
    switch (ch) {
    case KEY_UP: case 'w': case 'W': case 'k': return KEYS_UP;
    case KEY_DOWN: case 's': case 'S': case 'j': return KEYS_DOWN;
    case KEY_LEFT: case 'a': case 'A': case 'h': return KEYS_LEFT;
    case KEY_RIGHT: case 'd': case 'D': case 'l': return KEYS_RIGHT;
    case ' ': case 'x': case 'X': return KEYS_STOP;
    case '+': case '=': return KEYS_RATE_UP;
    case '-': case '_': return KEYS_RATE_DOWN;
    case ']': return KEYS_DELAY_UP;
    case '[': return KEYS_DELAY_DOWN;
    case 'i': case 'I': return KEYS_TOGGLE_INTERP;
    case 'g': case 'G': return KEYS_TOGGLE_GHOST;
    case 'c': case 'C': case 't': case '\n': case '\r': case KEY_ENTER: return KEYS_CHAT;
    case '?': case KEY_F(1): return KEYS_HELP;
    case 'r': case 'R': return KEYS_RECONNECT;
    case KEY_CTRL('l'): return KEYS_REDRAW;
    case KEY_RESIZE: return KEYS_RESIZE;
    case 'q': case 'Q': return KEYS_QUIT;
    default: {
        enum proto_mode m;
        return keys_mode_for(ch, &m) == 0 ? KEYS_MODE : KEYS_NONE;
    }
    }
}

int keys_mode_for(int ch, enum proto_mode *mode)
{
    for (int i = 0; i < PROTO_MODE_COUNT; i++) {
        const struct proto_mode_info *m = proto_mode_info((enum proto_mode)i);
        if (m->key && m->key == ch) {
            *mode = (enum proto_mode)i;
            return 0;
        }
    }
    return -1;
}

const char *keys_action_name(enum keys_action a)
{
    static const char *const names[KEYS_ACTION_COUNT] = {
        [KEYS_NONE] = "none", [KEYS_UP] = "up", [KEYS_DOWN] = "down",
        [KEYS_LEFT] = "left", [KEYS_RIGHT] = "right", [KEYS_STOP] = "stop",
        [KEYS_MODE] = "mode", [KEYS_RATE_UP] = "rate-up",
        [KEYS_RATE_DOWN] = "rate-down", [KEYS_DELAY_UP] = "delay-up",
        [KEYS_DELAY_DOWN] = "delay-down", [KEYS_TOGGLE_INTERP] = "toggle-interp",
        [KEYS_TOGGLE_GHOST] = "toggle-ghost", [KEYS_CHAT] = "chat",
        [KEYS_HELP] = "help", [KEYS_RECONNECT] = "reconnect",
        [KEYS_REDRAW] = "redraw", [KEYS_RESIZE] = "resize", [KEYS_QUIT] = "quit",
    };
    if ((unsigned)a >= KEYS_ACTION_COUNT)
        return "?";
    return names[a];
}

static const struct keys_help_row help_rows[] = {
    { "arrows / WASD / hjkl", "steer: you keep moving that way" },
    { "space / x", "stop" },
    { "1 2 3", "send mode: unsequenced, sequenced, reliable" },
    { "+ / -", "send rate up / down (Hz)" },
    { "[ / ]", "interpolation delay down / up" },
    { "i", "interpolation on/off (off: raw arrivals)" },
    { "g", "ghosts: last raw state received" },
    { "c / Enter", "chat (Enter sends, Esc cancels)" },
    { "r", "reconnect after the relay was lost" },
    { "Ctrl-L", "redraw" },
    { "?", "this help (any key closes)" },
    { "q", "quit" },
};

const struct keys_help_row *keys_help(size_t *n)
{
    *n = sizeof help_rows / sizeof help_rows[0];
    return help_rows;
}

void keys_line_clear(struct keys_line *l)
{
    l->len = 0;
    l->text[0] = '\0';
}

enum keys_edit keys_line_edit(struct keys_line *l, int ch)
{
    switch (ch) {
    case '\n': case '\r': case KEY_ENTER:
        return KEYS_EDIT_SUBMIT;
    case KEY_ESC:
        return KEYS_EDIT_CANCEL;
    case KEY_BACKSPACE: case 127: case KEY_CTRL('h'):
        if (l->len > 0)
            l->text[--l->len] = '\0';
        return KEYS_EDIT_CONTINUE;
    case KEY_CTRL('u'):
        keys_line_clear(l);
        return KEYS_EDIT_CONTINUE;
    default:
        if (ch >= 0x20 && ch <= 0x7e && l->len < PROTO_TEXT_MAX) {
            l->text[l->len++] = (char)ch;
            l->text[l->len] = '\0';
        }
        return KEYS_EDIT_CONTINUE;
    }
}
