/* utf8.h: strict UTF-8 (RFC 3629), the project's one reading of it: the
 * control messages' JSON and text (control.c), players' names
 * (player_name.c), the log's JSON escaping (sys/log.c) and the width of
 * names on a terminal (sys/textwidth.c) ask the same question of the same
 * bytes. Inline: the log, below every component, needs no library of
 * proto's to link. */
#ifndef RICOCHET_PROTO_UTF8_H
#define RICOCHET_PROTO_UTF8_H

#include <stddef.h>

/* Length (1-4) of the UTF-8 sequence at p, of which at most n bytes may
 * be read (a NUL ends a string early: it stops the reading), or 0 where
 * it is not strict UTF-8: a stray continuation byte, an overlong form, a
 * surrogate (U+D800-DFFF), a code point past U+10FFFF, a cut sequence, or
 * a NUL. */
static inline size_t proto_utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0x80 ? 1 : p[0] < 0xc2 ? 0 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3
               : p[0] < 0xf5 ? 4 : 0;
    if (len == 0 || len > n || p[0] == 0)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) || /* overlong, surrogate */
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))   /* overlong, > U+10FFFF */
        return 0;
    return len;
}

/* The code point of the len-byte sequence at p, as proto_utf8_len read it. */
static inline unsigned long proto_utf8_code(const unsigned char *p, size_t len)
{
    static const unsigned char lead_bits[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
    unsigned long c = p[0] & lead_bits[len];
    for (size_t i = 1; i < len; i++)
        c = c << 6 | (p[i] & 0x3f);
    return c;
}

/* A range of code points, lo..hi inclusive, in a table asked with
 * proto_utf8_in. */
struct proto_utf8_range {
    unsigned long lo, hi;
};

/* Whether code point c is in one of the n ranges of t. */
static inline int proto_utf8_in(const struct proto_utf8_range *t, size_t n, unsigned long c)
{
    for (size_t i = 0; i < n; i++)
        if (c >= t[i].lo && c <= t[i].hi)
            return 1;
    return 0;
}

/* Length of the longest strict UTF-8 prefix of s[0..n). */
static inline size_t proto_utf8_valid_prefix(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, len;
    while (i < n && (len = proto_utf8_len(p + i, n - i)) != 0)
        i += len;
    return i;
}

#endif
