/* target_keylog.c: fuzzes the reader of the clients' key log
 * (lab/netsim/dtlsview.c: dtlsview_keylog_open, dtlsview_keylog_secret), the
 * file of SSLKEYLOGFILE lines the WebRTC and QUIC clients append to and
 * netsim reads as it grows, to open DTLS records and QUIC packets (see
 * targets.h). The first two bytes cut the rest, the file's text, in two.
 *
 * The file is read twice: written whole, then read; and written up to the
 * cut, read (a lookup of a session no line names makes the reader read
 * what is there), the rest appended, read again, as a client writing
 * while netsim reads. Checked: every whole line of the form the clients
 * write ("CLIENT_RANDOM <64 hex> <96 hex>", "CLIENT_TRAFFIC_SECRET_0" and
 * "SERVER_TRAFFIC_SECRET_0" with a secret of 64 or 96 hex digits, a space
 * between, the line's end after) is found under its label and client
 * random, with its secret when no other line names that random; a secret
 * found is 32 or 48 bytes; and both reads find the same. */
#include <ctype.h>
#include <stdbool.h>
#include <strings.h>
#include <unistd.h>

#include "lab/netsim/dtlsview.h"
#include "targets.h"

#define FKL_LINES 64 /* well-formed lines checked per input, at most */

static const char *const fkl_labels[] = {"CLIENT_RANDOM", "CLIENT_TRAFFIC_SECRET_0",
                                         "SERVER_TRAFFIC_SECRET_0"};

static char fkl_path[2][64];

static void fkl_remove(void)
{
    for (int i = 0; i < 2; i++)
        if (fkl_path[i][0])
            unlink(fkl_path[i]);
}

/* Two temporary files, made once per process. */
static void fkl_files(void)
{
    if (fkl_path[0][0])
        return;
    for (int i = 0; i < 2; i++) {
        snprintf(fkl_path[i], sizeof fkl_path[i], "/tmp/ricochet-fuzz-keylog-%d-XXXXXX", i);
        int fd = mkstemp(fkl_path[i]);
        FUZZ_CHECK(fd >= 0);
        close(fd);
    }
    atexit(fkl_remove);
}

static void fkl_write(const char *path, const char *mode, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, mode);
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(p, 1, n, f) == n || n == 0);
    FUZZ_CHECK(fclose(f) == 0);
}

/* A lookup of a random no line names: the reader reads what is new. */
static void fkl_read_new(struct dtlsview_keylog *k)
{
    uint8_t none[DTLSVIEW_RANDOM], out[DTLSVIEW_SECRET];
    memset(none, 0xa5, sizeof none);
    none[0] = 0x5a; /* a line may name 0xa5...; this one it never does twice */
    dtlsview_keylog_secret(k, "CLIENT_RANDOM", none, out, sizeof out);
}

static int fkl_hex(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* n bytes of hex at s, exactly 2n hex digits, into out. */
static bool fkl_unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int a = fkl_hex((unsigned char)s[2 * i]), b = fkl_hex((unsigned char)s[2 * i + 1]);
        if (a < 0 || b < 0)
            return false;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return true;
}

struct fkl_line {
    int label;
    uint8_t random[DTLSVIEW_RANDOM];
    uint8_t secret[DTLSVIEW_SECRET];
    size_t secret_len;
};

/* A line of the form the clients write: label SP random SP secret. */
static bool fkl_parse(const char *line, size_t len, struct fkl_line *l)
{
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1)
        return false;
    const char *rnd = sp1 + 1, *sp2 = memchr(rnd, ' ', len - (size_t)(rnd - line));
    if (!sp2)
        return false;
    const char *sec = sp2 + 1;
    size_t sec_len = len - (size_t)(sec - line);
    for (l->label = 0; l->label < 3; l->label++)
        if ((size_t)(sp1 - line) == strlen(fkl_labels[l->label]) &&
            memcmp(line, fkl_labels[l->label], (size_t)(sp1 - line)) == 0)
            break;
    if (l->label == 3 || !fkl_unhex(rnd, (size_t)(sp2 - rnd), l->random, DTLSVIEW_RANDOM))
        return false;
    l->secret_len = sec_len / 2;
    if (l->secret_len != DTLSVIEW_SECRET && (l->label == 0 || l->secret_len != 32))
        return false;
    return fkl_unhex(sec, sec_len, l->secret, l->secret_len);
}

/* Does text name random (in hex, any case) elsewhere than in the line at
 * [at, at + len)? */
static bool fkl_named_elsewhere(const char *text, size_t n, size_t at, size_t len,
                                const uint8_t *random)
{
    char hex[2 * DTLSVIEW_RANDOM + 1];
    for (size_t i = 0; i < DTLSVIEW_RANDOM; i++)
        snprintf(hex + 2 * i, 3, "%02x", random[i]);
    for (size_t i = 0; i + 2 * DTLSVIEW_RANDOM <= n; i++) {
        if (i >= at && i < at + len)
            continue; /* its own line */
        if (strncasecmp(text + i, hex, 2 * DTLSVIEW_RANDOM) == 0)
            return true;
    }
    return false;
}

int fuzz_target_keylog(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    fkl_files();
    size_t n = size - 2, cut = ((size_t)data[0] << 8 | data[1]) % (n + 1);
    const uint8_t *text = data + 2;
    char err[128];
    /* whole */
    fkl_write(fkl_path[0], "w", text, n);
    struct dtlsview_keylog *whole = dtlsview_keylog_open(fkl_path[0], err, sizeof err);
    FUZZ_CHECK(whole != NULL);
    fkl_read_new(whole);
    /* cut: the first part, read, then the rest */
    fkl_write(fkl_path[1], "w", text, cut);
    struct dtlsview_keylog *grown = dtlsview_keylog_open(fkl_path[1], err, sizeof err);
    FUZZ_CHECK(grown != NULL);
    fkl_read_new(grown);
    fkl_write(fkl_path[1], "a", text + cut, n - cut);
    fkl_read_new(grown);

    char *s = calloc(1, n + 1);
    FUZZ_CHECK(s != NULL);
    memcpy(s, text, n);
    int checked = 0;
    for (size_t at = 0; at < n && checked < FKL_LINES;) {
        char *nl = memchr(s + at, '\n', n - at);
        if (!nl)
            break; /* a line not ended yet waits */
        size_t len = (size_t)(nl - (s + at));
        struct fkl_line l;
        if (memchr(s + at, '\0', len) == NULL && fkl_parse(s + at, len, &l)) {
            uint8_t a[DTLSVIEW_SECRET], b[DTLSVIEW_SECRET];
            size_t na = dtlsview_keylog_secret(whole, fkl_labels[l.label], l.random, a, sizeof a);
            size_t nb = dtlsview_keylog_secret(grown, fkl_labels[l.label], l.random, b, sizeof b);
            FUZZ_CHECK(na == 32 || na == DTLSVIEW_SECRET);
            FUZZ_CHECK(na == nb && memcmp(a, b, na) == 0);
            if (!fkl_named_elsewhere(s, n, at, len, l.random))
                FUZZ_CHECK(na == l.secret_len && memcmp(a, l.secret, na) == 0);
            checked++;
        }
        at += len + 1;
    }
    free(s);
    dtlsview_keylog_free(whole);
    dtlsview_keylog_free(grown);
    return 0;
}
