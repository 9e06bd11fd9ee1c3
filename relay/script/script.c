/* script.c: the engine (see script.h): the operator's scripts read from
 * their folder and checked (each compiled and its chunk run once in a
 * sandbox of its own, within the limits), at start and on SIGHUP; the
 * engine installed into the core, its timers run, closed. */
#include "script_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "sys/log.h"

/* ---- the folder ----------------------------------------------------------------- */

static bool name_ok(const char *name, size_t len)
{
    if (len < 1 || len > SCRIPT_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void sources_free(struct script_source *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(src[i].text);
    free(src);
}

/* Reads path whole (at most SCRIPT_FILE_MAX bytes) into s. */
static int read_source(struct script_source *s, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    s->text = malloc(SCRIPT_FILE_MAX + 1);
    size_t n = s->text ? fread(s->text, 1, SCRIPT_FILE_MAX + 1, f) : 0;
    bool bad = ferror(f);
    fclose(f);
    if (!s->text || bad || n > SCRIPT_FILE_MAX) {
        snprintf(err, cap, "%s: %s", path,
                 !s->text ? "out of memory" : bad ? "cannot read it" : "longer than 256 KiB");
        return -1;
    }
    s->len = n;
    char *fit = realloc(s->text, n ? n : 1); /* what it holds, not the bound */
    s->text = fit ? fit : s->text;
    return 0;
}

/* A scratch room for s: compiled and its chunk run in the sandbox, within
 * the limits. Returns 0 or -1 with err (file and line). */
static int check_source(struct script_engine *e, const struct script_source *s, char *err,
                        size_t cap)
{
    struct room_vm vm = {.eng = e, .cap = (size_t)e->set.memory_kb * 1024,
                         .room_ref = LUA_NOREF, .keys_ref = LUA_NOREF};
    snprintf(vm.file, sizeof vm.file, "%s", s->path + 1);
    vm.L = script_vm_state(&vm);
    if (!vm.L) {
        snprintf(err, cap, "%s: out of memory", vm.file);
        return -1;
    }
    lua_State *L = vm.L;
    lua_pushcfunction(L, script_sandbox_open);
    int st = script_vm_pcall(&vm, 0, 0, true);
    if (st == LUA_OK)
        st = luaL_loadbufferx(L, s->text, s->len, s->path, "t");
    if (st == LUA_OK)
        st = script_vm_pcall(&vm, 0, 0, false); /* one budget, as a room's start */
    if (st != LUA_OK) {
        const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "an error";
        snprintf(err, cap, "%s%s%s", strchr(msg, ':') ? "" : vm.file,
                 strchr(msg, ':') ? "" : ": ", msg);
        for (char *c = err; *c; c++)
            if (*c == '\n' || *c == '\r' || *c == '\t')
                *c = ' ';
    }
    script_vm_close(&vm);
    return st == LUA_OK ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct script_source *)a)->name,
                  ((const struct script_source *)b)->name);
}

/* Every NAME.lua of the folder, read and checked, into *out (name order).
 * Returns how many, or -1 with err. */
static long read_folder(struct script_engine *e, struct script_source **out, char *err,
                        size_t cap)
{
    DIR *d = opendir(e->set.dir);
    if (!d) {
        snprintf(err, cap, "--script-dir %s: %s", e->set.dir, strerror(errno));
        return -1;
    }
    struct script_source *src = calloc(SCRIPTS_MAX, sizeof *src);
    size_t n = 0;
    int rc = src ? 0 : -1;
    if (!src)
        snprintf(err, cap, "out of memory");
    for (struct dirent *de; rc == 0 && (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0)
            continue;
        if (!name_ok(de->d_name, len - 4)) {
            log_warn("script: %s/%s: not read: a script's name is 1..%d of A-Z a-z 0-9 _ -",
                     e->set.dir, de->d_name, SCRIPT_NAME_MAX);
            continue;
        }
        if (n == SCRIPTS_MAX) {
            snprintf(err, cap, "--script-dir %s: more than %d scripts", e->set.dir, SCRIPTS_MAX);
            rc = -1;
            break;
        }
        struct script_source *s = &src[n++];
        snprintf(s->name, sizeof s->name, "%.*s", (int)(len - 4), de->d_name);
        snprintf(s->path, sizeof s->path, "@%.255s/%.40s", e->set.dir, de->d_name);
        rc = read_source(s, s->path + 1, err, cap);
        if (rc == 0)
            rc = check_source(e, s, err, cap);
    }
    closedir(d);
    if (rc != 0) {
        sources_free(src, n);
        return -1;
    }
    qsort(src, n, sizeof *src, by_name);
    *out = src;
    return (long)n;
}

/* --script-room's PREFIX=NAMEs into e->pins, each NAME one of probe's.
 * Returns 0, or -1 with err. */
static int read_pins(struct script_engine *e, const struct script_engine *probe, char *err,
                     size_t cap)
{
    e->n_pins = 0;
    for (const char *p = e->set.pins; *p;) {
        size_t len = strcspn(p, " ");
        const char *eq = memchr(p, '=', len);
        struct script_pin *pin = &e->pins[e->n_pins];
        size_t plen = eq ? (size_t)(eq - p) : 0, nlen = eq ? len - plen - 1 : 0;
        if (e->n_pins == SCRIPT_PINS_MAX) {
            snprintf(err, cap, "--script-room: %d at most", SCRIPT_PINS_MAX);
            return -1;
        }
        if (!eq || plen == 0 || plen > PROTO_ROOM_MAX || nlen == 0 || nlen > SCRIPT_NAME_MAX) {
            snprintf(err, cap, "--script-room %.*s: PREFIX=NAME, a room name's start (1..32 of "
                     "A-Z a-z 0-9 _ . -) and a script's name", (int)len, p);
            return -1;
        }
        snprintf(pin->prefix, sizeof pin->prefix, "%.*s", (int)plen, p);
        snprintf(pin->name, sizeof pin->name, "%.*s", (int)nlen, eq + 1);
        if (!proto_prefix_valid(pin->prefix)) {
            snprintf(err, cap, "--script-room %s=%s: '%s' is no start of a room name (1..32 "
                     "of A-Z a-z 0-9 _ . -)", pin->prefix, pin->name, pin->prefix);
            return -1;
        }
        if (!script_find(probe, pin->name)) {
            snprintf(err, cap, "--script-room %s=%s: no %s/%s.lua", pin->prefix, pin->name,
                     e->set.dir, pin->name);
            return -1;
        }
        e->n_pins++;
        p += len;
        p += *p == ' ';
    }
    return 0;
}

static int load(struct script_engine *e, char *err, size_t cap)
{
    struct script_source *src = NULL;
    long n = read_folder(e, &src, err, cap);
    if (n < 0)
        return -1;
    struct script_engine probe = {.src = src, .n_src = (size_t)n};
    if (e->set.default_name[0] && !script_find(&probe, e->set.default_name)) {
        snprintf(err, cap, "--script-default %s: no %s/%s.lua", e->set.default_name, e->set.dir,
                 e->set.default_name);
        sources_free(src, (size_t)n);
        return -1;
    }
    if (read_pins(e, &probe, err, cap) != 0) {
        sources_free(src, (size_t)n);
        return -1;
    }
    sources_free(e->src, e->n_src);
    e->src = src;
    e->n_src = (size_t)n;
    return 0;
}

int script_check(const struct script_settings *s, char *err, size_t cap)
{
    struct relay_script_counts counts = {0};
    struct script_engine e = {.set = *s, .counts = &counts, .due_us = UINT64_MAX};
    int rc = load(&e, err, cap);
    sources_free(e.src, e.n_src);
    return rc;
}

int script_engine_open(struct script_engine **out, struct relay *r,
                       const struct script_settings *s, char *err, size_t cap)
{
    uint32_t max_rooms = relay_script_slots(r);
    *out = NULL;
    struct script_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->rooms = calloc(max_rooms ? max_rooms : 1, sizeof *e->rooms))) {
        free(e);
        snprintf(err, cap, "out of memory");
        return -1;
    }
    e->r = r;
    e->set = *s;
    e->max_rooms = max_rooms;
    e->due_us = UINT64_MAX;
    e->log_tokens = SCRIPT_LOG_BURST * 1000000ull;
    e->counts = relay_script_counts(r);
    if (load(e, err, cap) != 0) {
        free(e->rooms);
        free(e);
        return -1;
    }
    struct relay_script_ops ops;
    script_hooks_ops(e, &ops);
    relay_set_script(r, &ops);
    log_info("script: %zu scripts from %s%s%s", e->n_src, s->dir,
             s->default_name[0] ? ", every room's: " : "", s->default_name);
    *out = e;
    return 0;
}

int script_engine_reload(struct script_engine *e, char *err, size_t cap)
{
    e->counts->reloads++;
    if (load(e, err, cap) != 0) {
        e->counts->reload_errors++;
        return -1;
    }
    log_info("script: %zu scripts read again from %s: new rooms run them", e->n_src, e->set.dir);
    return 0;
}

size_t script_engine_scripts(const struct script_engine *e)
{
    return e ? e->n_src : 0;
}

uint64_t script_engine_due(const struct script_engine *e)
{
    return e ? e->due_us : UINT64_MAX;
}

bool script_engine_run(struct script_engine *e, uint64_t now_us)
{
    if (!e)
        return false;
    bool ran = now_us >= e->due_us;
    if (ran) {
        e->now_us = now_us;
        e->due_us = UINT64_MAX;
        script_hooks_leaves(e);
        for (uint32_t i = 0; i < e->max_rooms; i++)
            if (e->rooms[i])
                script_api_due(e->rooms[i], now_us);
    }
    return relay_script_settle(e->r, now_us) || ran;
}

void script_engine_close(struct script_engine *e)
{
    if (!e)
        return;
    relay_set_script(e->r, NULL);
    free(e->leaves);
    for (uint32_t i = 0; i < e->max_rooms; i++)
        if (e->rooms[i] != &e->none)
            script_vm_free(e->rooms[i]);
    free(e->rooms);
    sources_free(e->src, e->n_src);
    free(e);
}
