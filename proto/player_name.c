/* player_name.c: the rule of a player's name (UTF-8 in any script, no
 * control or format characters, something visible, bounded in bytes) and
 * the words that say which part of it a refused name breaks. Rooms keep
 * their ASCII rule (control.c). */
#include "control.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define IN(table, c) proto_utf8_in(table, sizeof table / sizeof table[0], c)

/* C0, DEL, C1 (0x9B is a terminal's CSI), and the line and paragraph
 * separators: none belongs on one line of a roster. */
static const struct proto_utf8_range controls[] = {
    { 0x00, 0x1f }, { 0x7f, 0x9f }, { 0x2028, 0x2029 },
};

/* Unicode's format characters (general category Cf, Unicode 15): the bidi
 * embeddings, overrides and isolates that turn a line round (U+202A-202E,
 * U+2066-2069), zero-width ones (U+200B-200F, U+2060-2064, U+FEFF), the
 * soft hyphen, tags (U+E0000-E007F) and the rest. They draw nothing and
 * let two names that look alike differ, or one name rewrite the line. */
static const struct proto_utf8_range formats[] = {
    { 0xad, 0xad },         { 0x600, 0x605 },       { 0x61c, 0x61c },
    { 0x6dd, 0x6dd },       { 0x70f, 0x70f },       { 0x890, 0x891 },
    { 0x8e2, 0x8e2 },       { 0x180e, 0x180e },     { 0x200b, 0x200f },
    { 0x202a, 0x202e },     { 0x2060, 0x2064 },     { 0x2066, 0x206f },
    { 0xfeff, 0xfeff },     { 0xfff9, 0xfffb },     { 0x110bd, 0x110bd },
    { 0x110cd, 0x110cd },   { 0x13430, 0x1343f },   { 0x1bca0, 0x1bca3 },
    { 0x1d173, 0x1d17a },   { 0xe0000, 0xe007f },
};

/* Spaces (category Zs) and the Hangul fillers, which draw as a space: a
 * name of nothing else shows as nobody. */
static const struct proto_utf8_range blanks[] = {
    { 0x20, 0x20 },     { 0xa0, 0xa0 },     { 0x115f, 0x1160 }, { 0x1680, 0x1680 },
    { 0x2000, 0x200a }, { 0x202f, 0x202f }, { 0x205f, 0x205f }, { 0x3000, 0x3000 },
    { 0x3164, 0x3164 }, { 0xffa0, 0xffa0 },
};

static int say(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the reason (if why) and returns 0: the name is refused. */
static int say(char *why, size_t cap, const char *fmt, ...)
{
    if (why && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return 0;
}

int proto_name_check(const char *name, size_t max, char *why, size_t why_cap)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t n = strlen(name), len;
    int visible = 0;
    if (n == 0)
        return say(why, why_cap, "a name may not be empty");
    for (size_t i = 0; i < n; i += len) {
        if ((len = proto_utf8_len(p + i, n - i)) == 0)
            return say(why, why_cap, "a name must be UTF-8 text (byte %zu is not)", i + 1);
        unsigned long c = proto_utf8_code(p + i, len);
        if (c > 0x20 && c < 0x7f) { /* printable ASCII: the common case, no tables */
            visible = 1;
            continue;
        }
        if (IN(controls, c))
            return say(why, why_cap, "a name may not hold control characters (U+%04lX)", c);
        if (IN(formats, c))
            return say(why, why_cap,
                       "a name may not hold invisible format characters (U+%04lX)", c);
        visible |= !IN(blanks, c);
    }
    if (!visible)
        return say(why, why_cap, "a name may not be only spaces");
    if (n > max)
        return say(why, why_cap,
                   "a name may not be longer than %zu bytes of UTF-8 (this one is %zu; "
                   "a Hangul syllable takes 3, a Vietnamese letter with its marks 2 or 3)",
                   max, n);
    if (why && why_cap > 0)
        why[0] = '\0';
    return 1;
}

int proto_name_valid(const char *name)
{
    return proto_name_check(name, PROTO_NAME_MAX, NULL, 0);
}
