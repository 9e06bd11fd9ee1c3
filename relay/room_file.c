/* room_file.c: the rooms a relay keeps in a file (see room_file.h): read
 * back at start, written atomically after changes. Each room's record is
 * kept encoded beside the stamp of its last change, so a write encodes
 * only the rooms that changed since. */
#include "room_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "proto/room_record.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "relay/core/relay.h"

#define ROOM_FILE_VERSION 1
#define WRITE_EVERY_US 100000 /* at most this often: what a SIGKILL may lose */

/* A room's record as last encoded. */
struct cached {
    char name[PROTO_ROOM_MAX + 1];
    uint64_t changed; /* relay_room_at's stamp when it was encoded */
    char *json;
    size_t len;
};

struct room_file {
    char path[4096], tmp[4100];
    struct cached *rooms; /* n of them, in name order */
    uint32_t n, cap;
    uint64_t written;     /* relay_rooms_changed when last written (UINT64_MAX: never) */
    uint64_t written_us;
    bool failing;         /* the last write failed: said once */
    struct proto_room_record rec; /* scratch: large */
};

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* The most bytes a file this relay could have written holds: a record of
 * every room at its bound, with its name. */
static size_t file_max(uint32_t max_rooms)
{
    return (size_t)max_rooms * (PROTO_ROOM_RECORD_MAX + PROTO_ROOM_MAX + 8) + 64;
}

/* path's bytes into *text (NUL-terminated, *len), at most max. Returns 1,
 * 0 (no such file), or -1 with err. */
static int slurp(const char *path, size_t max, char **text, size_t *len, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : fail(err, cap, "cannot read it: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return fail(err, cap, "not a regular file");
    }
    if ((uint64_t)st.st_size > max) {
        fclose(f);
        return fail(err, cap, "%" PRIu64 " bytes, more than the %zu this relay's rooms "
                    "(--max-rooms) could have written", (uint64_t)st.st_size, max);
    }
    char *t = malloc((size_t)st.st_size + 1);
    size_t n = t ? fread(t, 1, (size_t)st.st_size, f) : 0;
    bool bad = !t || ferror(f) || n != (size_t)st.st_size;
    fclose(f);
    if (bad) {
        free(t);
        return fail(err, cap, "cannot read it whole");
    }
    t[n] = '\0';
    *text = t;
    *len = n;
    return 1;
}

/* The rooms of a parsed file, each made again. */
static int restore(struct room_file *f, const cJSON *o, struct relay *r, uint64_t now_us,
                   char *err, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(o, "rooms");
    if (!cJSON_IsObject(o) || !cJSON_IsNumber(v) || !cJSON_IsObject(rooms) ||
        cJSON_GetArraySize(o) != 2)
        return fail(err, cap, "not a room file ({\"v\":%d,\"rooms\":{...}})", ROOM_FILE_VERSION);
    if (v->valuedouble != ROOM_FILE_VERSION)
        return fail(err, cap, "a room file of version %g, this relay reads %d", v->valuedouble,
                    ROOM_FILE_VERSION);
    const cJSON *room;
    char why[256];
    cJSON_ArrayForEach(room, rooms) {
        if (proto_room_record_read(room, &f->rec, why, sizeof why) != 0)
            return fail(err, cap, "room '%.32s': %s", room->string, why);
        if (relay_room_restore(r, room->string, &f->rec, now_us, why, sizeof why) != 0)
            return fail(err, cap, "%s", why);
    }
    return 0;
}

int room_file_open(struct room_file **out, const char *path, struct relay *r,
                   uint32_t max_rooms, uint64_t now_us, char *err, size_t err_cap)
{
    char why[400];
    struct room_file *f = calloc(1, sizeof *f);
    if (!f)
        return fail(err, err_cap, "--room-file %s: out of memory", path);
    if (strlen(path) >= sizeof f->path) {
        free(f);
        return fail(err, err_cap, "--room-file: the path is too long");
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp", path);
    f->written = UINT64_MAX;
    char *text = NULL;
    size_t len = 0;
    int got = slurp(path, file_max(max_rooms), &text, &len, why,
                    sizeof why);
    int rc = 0;
    if (got > 0) {
        cJSON *o = cJSON_ParseWithLength(text, len);
        rc = o ? restore(f, o, r, now_us, why, sizeof why)
               : fail(why, sizeof why, "not JSON (cut short, or not a room file)");
        cJSON_Delete(o);
        free(text);
        if (rc == 0)
            log_info("relay: --room-file %s: %" PRIu32 " rooms made again", path, relay_rooms(r));
    }
    if (got < 0 || rc != 0) {
        free(f);
        return fail(err, err_cap, "--room-file %s: %s: move it away to start without it", path,
                    why);
    }
    *out = f;
    return 0;
}

struct room_file *room_file_start(const char *path, struct relay *r, uint32_t max_rooms)
{
    struct room_file *f = NULL;
    char err[4500];
    if (path[0] && room_file_open(&f, path, r, max_rooms, clock_now_us(), err, sizeof err) != 0) {
        fprintf(stderr, "ricochet-relay: error: %s\n", err);
        exit(1);
    }
    return f;
}

/* The cached record of name from the old cache (old[*at..] in name order),
 * moved out if its stamp is changed; else NULL. */
static struct cached *reuse(struct cached *old, uint32_t n_old, uint32_t *at, const char *name,
                            uint64_t changed)
{
    while (*at < n_old && strcmp(old[*at].name, name) < 0)
        (*at)++;
    if (*at < n_old && strcmp(old[*at].name, name) == 0 && old[*at].changed == changed)
        return &old[(*at)++];
    return NULL;
}

/* The rooms' records as they are now, encoding only those that changed. */
static int refresh(struct room_file *f, const struct relay *r)
{
    uint32_t n = relay_rooms(r), at = 0;
    struct cached *now = calloc(n ? n : 1, sizeof *now);
    if (!now)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t changed;
        const char *name = relay_room_at(r, i, &changed);
        struct cached *c = reuse(f->rooms, f->n, &at, name, changed);
        if (c) {
            now[i] = *c;
            c->json = NULL;
            continue;
        }
        snprintf(now[i].name, sizeof now[i].name, "%s", name);
        now[i].changed = changed;
        char *json = malloc(PROTO_ROOM_RECORD_MAX + 1);
        int len = json && relay_room_record(r, name, &f->rec) == 0
                      ? proto_room_record_encode(json, PROTO_ROOM_RECORD_MAX + 1, &f->rec)
                      : -1;
        if (len < 0) {
            free(json);
            rc = -1;
            break;
        }
        char *fit = realloc(json, (size_t)len + 1); /* most records are far below the bound */
        now[i].json = fit ? fit : json;
        now[i].len = (size_t)len;
    }
    for (uint32_t i = 0; i < f->n; i++)
        free(f->rooms[i].json);
    free(f->rooms);
    f->rooms = now;
    f->n = rc == 0 ? n : 0;
    if (rc != 0)
        for (uint32_t i = 0; i < n; i++)
            free(now[i].json);
    return rc;
}

static bool put(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        len -= (size_t)w;
    }
    return true;
}

/* The cache into PATH.tmp, synced, renamed over PATH, the folder synced:
 * a reader finds the old file or the new one, whole. */
static int write_file(struct room_file *f, char *why, size_t cap)
{
    int fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(why, cap, "%s: %s", f->tmp, strerror(errno));
    char head[32];
    snprintf(head, sizeof head, "{\"v\":%d,\"rooms\":{", ROOM_FILE_VERSION);
    bool ok = put(fd, head, strlen(head));
    for (uint32_t i = 0; ok && i < f->n; i++) {
        char name[PROTO_ROOM_MAX + 8];
        snprintf(name, sizeof name, "%s\"%s\":", i ? "," : "", f->rooms[i].name);
        ok = put(fd, name, strlen(name)) && put(fd, f->rooms[i].json, f->rooms[i].len);
    }
    ok = ok && put(fd, "}}\n", 3) && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok || rename(f->tmp, f->path) != 0) {
        if (ok)
            saved = errno;
        unlink(f->tmp);
        return fail(why, cap, "%s: %s", ok ? f->path : f->tmp, strerror(saved));
    }
    char dir[sizeof f->path];
    snprintf(dir, sizeof dir, "%s", f->path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* the rename itself survives a crash */
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int room_file_save(struct room_file *f, const struct relay *r)
{
    if (!f)
        return 0;
    uint64_t changes = relay_rooms_changed(r);
    if (changes == f->written)
        return 0;
    char why[600];
    int rc = refresh(f, r) == 0 ? write_file(f, why, sizeof why)
                                : fail(why, sizeof why, "out of memory");
    if (rc != 0) {
        if (!f->failing)
            log_warn("relay: --room-file %s: not written: %s (tried again at the next change)",
                     f->path, why);
        f->failing = true;
        return -1;
    }
    if (f->failing)
        log_info("relay: --room-file %s: written again", f->path);
    f->failing = false;
    f->written = changes;
    return 0;
}

void room_file_tick(struct room_file *f, const struct relay *r, uint64_t now_us)
{
    if (!f || relay_rooms_changed(r) == f->written || now_us < f->written_us + WRITE_EVERY_US)
        return;
    f->written_us = now_us;
    room_file_save(f, r);
}

void room_file_close(struct room_file *f, const struct relay *r)
{
    if (!f)
        return;
    room_file_save(f, r);
    for (uint32_t i = 0; i < f->n; i++)
        free(f->rooms[i].json);
    free(f->rooms);
    free(f);
}
