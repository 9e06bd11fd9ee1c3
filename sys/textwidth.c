/* textwidth.c: terminal columns of UTF-8 text (textwidth.h). */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "textwidth.h"

#include "proto/utf8.h"

#include <string.h>
#include <wchar.h>


/* Unicode's East Asian Wide and Fullwidth blocks (UAX #11), coarsely:
 * Hangul, CJK, kana, fullwidth forms, the emoji most used. */
static const struct proto_utf8_range wide[] = {
    { 0x1100, 0x115f },   { 0x2e80, 0x303e },   { 0x3041, 0x33ff },   { 0x3400, 0x4dbf },
    { 0x4e00, 0x9fff },   { 0xa000, 0xa4cf },   { 0xa960, 0xa97f },   { 0xac00, 0xd7a3 },
    { 0xf900, 0xfaff },   { 0xfe30, 0xfe4f },   { 0xff00, 0xff60 },   { 0xffe0, 0xffe6 },
    { 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd },
};

/* Combining marks (Vietnamese written decomposed: e + U+0302 + U+0303)
 * and Hangul's medial and final jamo, which join the syllable before. */
static const struct proto_utf8_range zero[] = {
    { 0x0300, 0x036f }, { 0x1160, 0x11ff }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
    { 0x200b, 0x200f }, { 0x20d0, 0x20ff }, { 0xd7b0, 0xd7ff }, { 0xfe00, 0xfe0f },
    { 0xfe20, 0xfe2f },
};

#define IN(t, c) proto_utf8_in(t, sizeof t / sizeof t[0], c)

int text_char_cols(unsigned long c)
{
    if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        return 0;
    int w = wcwidth((wchar_t)c);
    if (w >= 0)
        return w; /* the locale's word, as ncursesw will draw it */
    return IN(zero, c) ? 0 : IN(wide, c) ? 2 : 1;
}

size_t text_fit(const char *s, size_t cols, size_t *used)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, w = 0, len;
    while (i < n) {
        len = proto_utf8_len(p + i, n - i);
        int cw = len ? text_char_cols(proto_utf8_code(p + i, len)) : 1;
        if (w + (size_t)cw > cols)
            break;
        w += (size_t)cw;
        i += len ? len : 1;
    }
    if (used)
        *used = w;
    return i;
}

size_t text_cols(const char *s)
{
    size_t w;
    text_fit(s, (size_t)-1, &w);
    return w;
}

char *text_pad(char *out, size_t cap, const char *s, size_t cols)
{
    size_t w = 0, n = 0;
    if (cap == 0)
        return out;
    for (size_t c = cols; c > 0 && (n = text_fit(s, c, &w)) >= cap; c--)
        n = 0, w = 0; /* too small a buffer: fewer columns of s */
    memcpy(out, s, n);
    while (w < cols && n + 1 < cap) {
        out[n++] = ' ';
        w++;
    }
    out[n] = '\0';
    return out;
}
