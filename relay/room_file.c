/* room_file.c: the rooms a relay keeps in a file (see room_file.h): read
 * back at start, written after changes by a thread of its own. The loop
 * only hands over what changed since it last did: the names of the rooms
 * in their order, and a copy of the record of each room whose stamp
 * changed. The writer keeps each room's record encoded, encodes only the
 * copies it is handed, and writes the file whole, never faster than
 * WRITE_EVERY_US nor than WRITE_BYTES_PER_S. */
#include "room_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "proto/room_record.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "relay/core/relay.h"

#define ROOM_FILE_VERSION 1
#define WRITE_EVERY_US 100000          /* at most this often: what a SIGKILL may lose */
#define WRITE_BYTES_PER_S (4u << 20)   /* ... and no faster than this many bytes a second */

/* A room as the loop last handed it over, and as the writer keeps it. */
struct room_at {
    char name[PROTO_ROOM_MAX + 1];
    uint64_t changed;                 /* the loop's: relay_room_at's stamp */
    struct proto_room_record *rec;    /* a batch's: a copy to encode (NULL: as before) */
    char *json;                       /* the writer's: its record encoded */
    size_t len;
};

/* What the loop hands the writer: every room, in name order. */
struct batch {
    struct room_at *rooms;
    uint32_t n;
    uint64_t seq;                     /* the loop's count of batches handed over */
    bool now;                         /* write it at once (a stop), whatever the rate */
};

struct room_file {
    char path[4096];
    char name[256], tmp[262];         /* in the folder, dir */
    int dir;                          /* the folder, opened at start */
    /* the loop's */
    struct room_at *handed;           /* names and stamps, as last handed over */
    uint32_t n_handed;
    uint64_t handed_changes;          /* relay_rooms_changed then (UINT64_MAX: never) */
    /* between the two, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *next;               /* handed over, not yet taken */
    bool stop;
    uint64_t seq;                     /* batches handed over */
    uint64_t written;                 /* the seq of the last written (or failed) */
    int last_rc;                      /* ... its outcome */
    /* the writer's */
    pthread_t thread;
    struct room_at *rooms;            /* the file's rooms, encoded */
    uint32_t n;
    uint64_t not_before_us;
    bool failing;                     /* the last write failed: said once */
    struct proto_room_record scratch; /* large: what the open reads into */
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

/* ---- the folder -------------------------------------------------------------- */

/* Opens path's folder into f->dir and checks it is the relay's alone: a
 * folder another user may write is one where PATH.tmp can be planted
 * (a link to a file of the relay's, overwritten at the next write).
 * Returns 0, or -1 with err. */
static int folder_open(struct room_file *f, char *err, size_t cap)
{
    char dir[sizeof f->path], base[sizeof f->path];
    snprintf(dir, sizeof dir, "%s", f->path);
    snprintf(base, sizeof base, "%s", f->path);
    const char *d = dirname(dir), *b = basename(base);
    if (strlen(b) + 5 > sizeof f->name || !strcmp(b, "/") || !strcmp(b, ".") || !strcmp(b, ".."))
        return fail(err, cap, "not a file's name");
    snprintf(f->name, sizeof f->name, "%s", b);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp", b);
    f->dir = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dir < 0)
        return fail(err, cap, "its folder %s: %s", d, strerror(errno));
    struct stat st;
    if (fstat(f->dir, &st) != 0)
        return fail(err, cap, "its folder %s: %s", d, strerror(errno));
    if (st.st_uid != geteuid() && st.st_uid != 0)
        return fail(err, cap, "its folder %s belongs to another user (uid %u): give the relay "
                    "a folder of its own", d, (unsigned)st.st_uid);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return fail(err, cap, "its folder %s is writable by others (mode %04o): another user "
                    "could plant %s there; give the relay a folder of its own", d,
                    (unsigned)(st.st_mode & 07777), f->tmp);
    return 0;
}

/* ---- reading back ---------------------------------------------------------- */

/* The file's bytes into *text (NUL-terminated, *len), at most max. Returns
 * 1, 0 (no such file), or -1 with err. */
static int slurp(struct room_file *f, size_t max, char **text, size_t *len, char *err,
                 size_t cap)
{
    int fd = openat(f->dir, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : fail(err, cap, "cannot read it: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, cap, "not a regular file");
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return fail(err, cap, "%" PRIu64 " bytes, more than the %zu this relay's rooms "
                    "(--max-rooms) could have written", (uint64_t)st.st_size, max);
    }
    char *t = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (t && n < (size_t)st.st_size) {
        ssize_t r = read(fd, t + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (!t || n != (size_t)st.st_size) {
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
        if (proto_room_record_read(room, &f->scratch, why, sizeof why) != 0)
            return fail(err, cap, "room '%.32s': %s", room->string, why);
        if (relay_room_restore(r, room->string, &f->scratch, now_us, why, sizeof why) != 0)
            return fail(err, cap, "%s", why);
    }
    return 0;
}

/* ---- the records ------------------------------------------------------------- */

static void rooms_free(struct room_at *rooms, uint32_t n)
{
    for (uint32_t i = 0; rooms && i < n; i++) {
        free(rooms[i].rec);
        free(rooms[i].json);
    }
    free(rooms);
}

static void batch_free(struct batch *b)
{
    if (b)
        rooms_free(b->rooms, b->n);
    free(b);
}

/* rec as JSON into *json (malloc'd, what it holds), *len. Returns 0 or -1. */
static int encode(const struct proto_room_record *rec, char **json, size_t *len)
{
    char *j = malloc(PROTO_ROOM_RECORD_MAX + 1);
    int n = j ? proto_room_record_encode(j, PROTO_ROOM_RECORD_MAX + 1, rec) : -1;
    if (n < 0) {
        free(j);
        return -1;
    }
    char *fit = realloc(j, (size_t)n + 1); /* most records are far below the bound */
    *json = fit ? fit : j;
    *len = (size_t)n;
    return 0;
}

/* The loop's: every room of r in name order, with a copy of the record of
 * each whose stamp is not the one last handed over (all: every one).
 * NULL out of memory. */
static struct batch *batch_take(struct room_file *f, const struct relay *r, bool all)
{
    uint32_t n = relay_rooms(r), at = 0;
    struct batch *b = calloc(1, sizeof *b);
    struct room_at *rooms = b ? calloc(n ? n : 1, sizeof *rooms) : NULL;
    if (!rooms) {
        free(b);
        return NULL;
    }
    b->rooms = rooms;
    b->n = n;
    for (uint32_t i = 0; i < n; i++) {
        struct room_at *e = &rooms[i];
        snprintf(e->name, sizeof e->name, "%s", relay_room_at(r, i, &e->changed));
        while (at < f->n_handed && strcmp(f->handed[at].name, e->name) < 0)
            at++;
        if (!all && at < f->n_handed && strcmp(f->handed[at].name, e->name) == 0 &&
            f->handed[at].changed == e->changed)
            continue; /* as before */
        e->rec = malloc(sizeof *e->rec);
        if (!e->rec || relay_room_record(r, e->name, e->rec) != 0) {
            batch_free(b);
            return NULL;
        }
    }
    return b;
}

/* The loop's: b is what the writer will have: its names and stamps are
 * the handed ones from now on. */
static int handed(struct room_file *f, const struct batch *b, uint64_t changes)
{
    struct room_at *h = calloc(b->n ? b->n : 1, sizeof *h);
    if (!h)
        return -1;
    for (uint32_t i = 0; i < b->n; i++) {
        memcpy(h[i].name, b->rooms[i].name, sizeof h[i].name);
        h[i].changed = b->rooms[i].changed;
    }
    free(f->handed);
    f->handed = h;
    f->n_handed = b->n;
    f->handed_changes = changes;
    return 0;
}

/* The writer's: its rooms as b says, each record handed encoded, the
 * others kept (b's names are in order, as f->rooms'). Returns 0 or -1
 * (out of memory: the rooms as they were). */
static int merge(struct room_file *f, struct batch *b)
{
    for (uint32_t i = 0, at = 0; i < b->n; i++) {
        struct room_at *e = &b->rooms[i];
        if (e->rec) {
            int rc = encode(e->rec, &e->json, &e->len);
            free(e->rec);
            e->rec = NULL;
            if (rc != 0)
                return -1;
            continue;
        }
        while (at < f->n && strcmp(f->rooms[at].name, e->name) < 0)
            at++;
        if (at == f->n || strcmp(f->rooms[at].name, e->name) != 0)
            return -1; /* never: the loop hands a copy of every room it did not */
        e->json = f->rooms[at].json;
        e->len = f->rooms[at].len;
        f->rooms[at].json = NULL;
    }
    rooms_free(f->rooms, f->n);
    f->rooms = b->rooms;
    f->n = b->n;
    b->rooms = NULL;
    b->n = 0;
    return 0;
}

/* ---- writing ------------------------------------------------------------------ */

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

/* PATH.tmp made afresh: never opened through a link, never one that was
 * there (a stale one, or one planted: removed, said once). -1 with why. */
static int tmp_open(struct room_file *f, char *why, size_t cap)
{
    for (int tries = 0;; tries++) {
        int fd = openat(f->dir, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
        if (fd >= 0 || errno != EEXIST || tries)
            return fd >= 0 ? fd : fail(why, cap, "%s: %s", f->tmp, strerror(errno));
        struct stat st;
        bool link = fstatat(f->dir, f->tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        if (unlinkat(f->dir, f->tmp, 0) != 0)
            return fail(why, cap, "%s was there and cannot be removed: %s", f->tmp,
                        strerror(errno));
        log_warn("relay: --room-file %s: %s was there (%s): removed, not followed", f->path,
                 f->tmp, link ? "a symbolic link" : "left from before");
    }
}

/* The rooms into PATH.tmp, synced, renamed over PATH, the folder synced:
 * a reader finds the old file or the new one, whole. Returns the bytes
 * written, or -1 with why. */
static long write_file(struct room_file *f, char *why, size_t cap)
{
    int fd = tmp_open(f, why, cap);
    if (fd < 0)
        return -1;
    char head[32];
    snprintf(head, sizeof head, "{\"v\":%d,\"rooms\":{", ROOM_FILE_VERSION);
    bool ok = put(fd, head, strlen(head));
    size_t bytes = strlen(head) + 3;
    for (uint32_t i = 0; ok && i < f->n; i++) {
        char name[PROTO_ROOM_MAX + 8];
        snprintf(name, sizeof name, "%s\"%s\":", i ? "," : "", f->rooms[i].name);
        ok = put(fd, name, strlen(name)) && put(fd, f->rooms[i].json, f->rooms[i].len);
        bytes += strlen(name) + f->rooms[i].len;
    }
    ok = ok && put(fd, "}}\n", 3) && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok || renameat(f->dir, f->tmp, f->dir, f->name) != 0) {
        if (ok)
            saved = errno;
        unlinkat(f->dir, f->tmp, 0);
        return fail(why, cap, "%s: %s", ok ? f->name : f->tmp, strerror(saved));
    }
    fsync(f->dir); /* the rename itself survives a crash */
    return (long)bytes;
}

/* Sleeps until t (CLOCK_MONOTONIC µs) or a stop. Under mu. */
static void wait_until(struct room_file *f, uint64_t t)
{
    while (!f->stop && clock_now_us() < t) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t left = t - clock_now_us();
        ts.tv_sec += (time_t)(left / 1000000u);
        ts.tv_nsec += (long)(left % 1000000u) * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
}

/* One batch merged and written; the outcome said once while it fails. */
static int write_batch(struct room_file *f, struct batch *b)
{
    char why[600];
    long bytes = merge(f, b) == 0 ? write_file(f, why, sizeof why)
                                  : fail(why, sizeof why, "out of memory");
    uint64_t gap = bytes > 0 ? (uint64_t)bytes * 1000000u / WRITE_BYTES_PER_S : 0;
    /* from the write's end: the rate holds however long the write took */
    f->not_before_us = clock_now_us() + (gap > WRITE_EVERY_US ? gap : WRITE_EVERY_US);
    if (bytes < 0) {
        if (!f->failing)
            log_warn("relay: --room-file %s: not written: %s (tried again at the next change)",
                     f->path, why);
        f->failing = true;
        return -1;
    }
    if (f->failing)
        log_info("relay: --room-file %s: written again", f->path);
    f->failing = false;
    return 0;
}

/* The writer: a batch at a time, each no sooner than the rate allows (a
 * stop's at once), until stopped with nothing handed over. */
static void *writer(void *arg)
{
    struct room_file *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->next && !f->stop)
            pthread_cond_wait(&f->cv, &f->mu);
        if (!f->next)
            break;
        if (!f->next->now)
            wait_until(f, f->not_before_us); /* what changes meanwhile waits too */
        struct batch *b = f->next;
        uint64_t b_seq = b->seq;
        f->next = NULL;
        pthread_mutex_unlock(&f->mu);
        int rc = write_batch(f, b);
        batch_free(b);
        pthread_mutex_lock(&f->mu);
        f->written = b_seq;
        f->last_rc = rc;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* ---- the loop's calls ---------------------------------------------------------- */

/* Hands what changed to the writer if it has taken the last (wait: until
 * it has, and then until this one is written, at once). The loop never
 * waits on the writer otherwise: a lock the writer holds that moment is
 * tried again at the next turn. Returns 0, 1 (nothing to hand over, or
 * the writer busy), or -1 (out of memory, or with wait the write failed). */
static int hand_over(struct room_file *f, const struct relay *r, bool wait)
{
    uint64_t changes = relay_rooms_changed(r);
    if (changes == f->handed_changes)
        return 1;
    if (wait)
        pthread_mutex_lock(&f->mu);
    else if (pthread_mutex_trylock(&f->mu) != 0)
        return 1;
    while (wait && f->next)
        pthread_cond_wait(&f->cv, &f->mu);
    if (f->next) {
        pthread_mutex_unlock(&f->mu);
        return 1;
    }
    struct batch *b = batch_take(f, r, false);
    if (!b || handed(f, b, changes) != 0) {
        pthread_mutex_unlock(&f->mu);
        batch_free(b);
        log_warn("relay: --room-file %s: out of memory: not written (tried again at the next "
                 "change)", f->path);
        return -1;
    }
    b->now = wait;
    uint64_t mine = b->seq = ++f->seq;
    f->next = b;
    pthread_cond_broadcast(&f->cv);
    int rc = 0;
    while (wait && f->written < mine)
        pthread_cond_wait(&f->cv, &f->mu);
    if (wait)
        rc = f->last_rc;
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int room_file_open(struct room_file **out, const char *path, struct relay *r,
                   uint32_t max_rooms, uint64_t now_us, char *err, size_t err_cap)
{
    char why[400];
    struct room_file *f = calloc(1, sizeof *f);
    if (!f)
        return fail(err, err_cap, "--room-file %s: out of memory", path);
    f->dir = -1;
    f->handed_changes = UINT64_MAX;
    if (strlen(path) >= sizeof f->path) {
        free(f);
        return fail(err, err_cap, "--room-file: the path is too long");
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    char *text = NULL;
    size_t len = 0;
    int got = folder_open(f, why, sizeof why);
    if (got == 0)
        got = slurp(f, file_max(max_rooms), &text, &len, why, sizeof why);
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
    /* The writer starts with the rooms as they are: what it writes next
     * encodes only what changes from now (handed before merge takes b's). */
    struct batch *b = got >= 0 && rc == 0 ? batch_take(f, r, true) : NULL;
    if (got >= 0 && rc == 0 && (!b || handed(f, b, relay_rooms_changed(r)) || merge(f, b) != 0))
        rc = fail(why, sizeof why, "out of memory");
    batch_free(b);
    if (got >= 0 && rc == 0) {
        pthread_condattr_t ca; /* its waits are timed on the monotonic clock */
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_mutex_init(&f->mu, NULL);
        pthread_cond_init(&f->cv, &ca);
        pthread_condattr_destroy(&ca);
        if ((errno = pthread_create(&f->thread, NULL, writer, f)) != 0) {
            rc = fail(why, sizeof why, "no thread to write it: %s", strerror(errno));
            pthread_cond_destroy(&f->cv);
            pthread_mutex_destroy(&f->mu);
        }
    }
    if (got < 0 || rc != 0) {
        rooms_free(f->rooms, f->n);
        free(f->handed);
        if (f->dir >= 0)
            close(f->dir);
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

void room_file_tick(struct room_file *f, const struct relay *r, uint64_t now_us)
{
    (void)now_us;
    if (f)
        hand_over(f, r, false);
}

int room_file_save(struct room_file *f, const struct relay *r)
{
    return f && hand_over(f, r, true) < 0 ? -1 : 0;
}

void room_file_close(struct room_file *f, const struct relay *r)
{
    if (!f)
        return;
    room_file_save(f, r);
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    rooms_free(f->rooms, f->n);
    free(f->handed);
    close(f->dir);
    free(f);
}
