/* textwidth.h: how many terminal columns UTF-8 text takes (a Hangul
 * syllable 2, a combining mark 0, a Latin letter 1), for the tables and
 * lines that show players' names: the terminal client's and ricochet-bot's. */
#ifndef RICOCHET_SYS_TEXTWIDTH_H
#define RICOCHET_SYS_TEXTWIDTH_H

#include <stddef.h>

/* Columns of code point c: wcwidth(3)'s where the locale knows it (a UTF-8
 * LC_CTYPE, as ncursesw uses), else Unicode's East Asian wide and
 * combining ranges (2 and 0), 1 for the rest; 0 for a control. */
int text_char_cols(unsigned long c);

/* Bytes of the longest prefix of s, whole characters only, that fits in
 * cols columns; its columns in *used (may be NULL). A byte that is not
 * UTF-8 counts as one column of one byte. */
size_t text_fit(const char *s, size_t cols, size_t *used);

/* Columns all of s takes. */
size_t text_cols(const char *s);

/* s cut to at most cols columns (whole characters) and padded with spaces
 * to exactly cols, into out (cap bytes; cut shorter if cap is too small).
 * Returns out: for printf("%s") where "%-10.10s" would count bytes. */
char *text_pad(char *out, size_t cap, const char *s, size_t cols);

#endif
