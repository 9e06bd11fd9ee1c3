/* options.c: one option table for the command line and the config file. */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "version.h"

static bool named(const char *name, const char *text, size_t len)
{
    return name && strlen(name) == len && strncmp(name, text, len) == 0;
}

/* The option called name (its len bytes), by its name or its former one. */
static const struct option_def *find(const struct option_def *defs, const char *name,
                                     size_t len)
{
    for (; defs->name; defs++)
        if (named(defs->name, name, len) || named(defs->old_name, name, len))
            return defs;
    return NULL;
}

/* The program's name for a warning: argv[0] without its folder. */
static const char *prog_name(const char *argv0)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    return slash ? slash + 1 : argv0 ? argv0 : "?";
}

/* A former name still works until OPTIONS_FORMER_UNTIL, and says what
 * replaced it. */
static void warn_if_old(const char *prog, const struct option_def *d, const char *used,
                        size_t len, bool in_config)
{
    if (!named(d->old_name, used, len))
        return;
    if (in_config)
        fprintf(stderr, "%s: warning: config key \"%s\" is the former name of \"%s\"; "
                "version " OPTIONS_FORMER_UNTIL " will not read it\n", prog, d->old_name,
                d->name);
    else
        fprintf(stderr, "%s: warning: --%s is the former name of --%s; version "
                OPTIONS_FORMER_UNTIL " will not read it\n", prog, d->old_name, d->name);
}

/* Index of value in the '|'-separated choices, or -1. */
static int choice_index(const char *choices, const char *value)
{
    size_t len = strlen(value);
    int i = 0;
    for (const char *p = choices; *p; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, value, n) == 0)
            return i;
        p += n + (bar ? 1 : 0);
    }
    return -1;
}

/* A whole number in [d->min, d->max] from value, into *v. */
static int parse_whole(const struct option_def *d, const char *value, long *v, char *err,
                       size_t err_cap)
{
    char *end;
    errno = 0;
    *v = strtol(value, &end, 10);
    if (errno || end == value || *end) {
        snprintf(err, err_cap, "--%s: '%s' is not a whole number", d->name, value);
        return -1;
    }
    if (*v < d->min || *v > d->max) {
        snprintf(err, err_cap, "--%s: %ld is out of range [%.0f, %.0f]", d->name, *v, d->min,
                 d->max);
        return -1;
    }
    return 0;
}

/* A finite number in [d->min, d->max] from value, into *v. */
static int parse_number(const struct option_def *d, const char *value, double *v, char *err,
                        size_t err_cap)
{
    char *end;
    errno = 0;
    *v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(*v)) {
        snprintf(err, err_cap, "--%s: '%s' is not a number", d->name, value);
        return -1;
    }
    if (*v < d->min || *v > d->max) {
        snprintf(err, err_cap, "--%s: %g is out of range [%g, %g]", d->name, *v, d->min,
                 d->max);
        return -1;
    }
    return 0;
}

static unsigned long long scale_of(const struct option_def *d)
{
    return d->type == OPTION_SECONDS ? 1000 : d->scale ? d->scale : 1;
}

/* An OPTION_UINT or OPTION_SECONDS field: its width, 0 if the table entry
 * is wrong (an unknown size, or a range that does not fit it scaled). */
static size_t uint_size(const struct option_def *d)
{
    size_t size = d->type == OPTION_SECONDS ? sizeof(uint32_t) : d->size;
    double top = size == 2 ? UINT16_MAX : size == 4 ? UINT32_MAX : size == 8 ? 9e18 : 0;
    if (d->min < 0 || d->max * (double)scale_of(d) > top)
        return 0;
    return size;
}

static void store_uint(void *field, size_t size, unsigned long long v)
{
    uint16_t v16 = (uint16_t)v;
    uint32_t v32 = (uint32_t)v;
    uint64_t v64 = v;
    memcpy(field, size == 2 ? (void *)&v16 : size == 4 ? (void *)&v32 : (void *)&v64, size);
}

static unsigned long long load_uint(const void *field, size_t size)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    memcpy(size == 2 ? (void *)&v16 : size == 4 ? (void *)&v32 : (void *)&v64, field, size);
    return size == 2 ? v16 : size == 4 ? v32 : v64;
}

/* OPTION_UINT and OPTION_SECONDS: the value, scaled, into its field. */
static int set_uint(const struct option_def *d, char *field, const char *value, char *err,
                    size_t err_cap)
{
    size_t size = uint_size(d);
    if (!size) {
        snprintf(err, err_cap, "--%s: bad option table entry", d->name);
        return -1;
    }
    if (d->type == OPTION_UINT) {
        long v;
        if (parse_whole(d, value, &v, err, err_cap) != 0)
            return -1;
        store_uint(field, size, (unsigned long long)v * scale_of(d));
        return 0;
    }
    double v;
    if (parse_number(d, value, &v, err, err_cap) != 0)
        return -1;
    /* Rounded to 0 it would mean "off", or whatever 0 means: refuse it. */
    if (v > 0 && v < 0.001) {
        snprintf(err, err_cap, "--%s: %g is too small: use 0 (off) or at least 0.001",
                 d->name, v);
        return -1;
    }
    store_uint(field, size, (unsigned long long)(v * 1000.0 + 0.5));
    return 0;
}

/* One more value of a list: after a space, unless it is the first. */
static int append_list(const struct option_def *d, char *field, const char *value, char *err,
                       size_t err_cap)
{
    size_t len = strlen(value), used = strlen(field), cap = (size_t)d->max;
    if (len == 0 || strchr(value, ' ')) {
        snprintf(err, err_cap, "--%s: '%s': a value may be neither empty nor hold a space",
                 d->name, value);
        return -1;
    }
    if (used + (used ? 1 : 0) + len >= cap) {
        snprintf(err, err_cap, "--%s: the values given are over %zu characters in all",
                 d->name, cap - 1);
        return -1;
    }
    if (used)
        field[used++] = ' ';
    memcpy(field + used, value, len + 1);
    return 0;
}

int options_set(const struct option_def *defs, void *cfg, const char *name,
                const char *value, char *err, size_t err_cap)
{
    const struct option_def *d = find(defs, name, strlen(name));
    char *field;

    if (!d) {
        snprintf(err, err_cap, "unknown option --%s (see --help)", name);
        return -1;
    }
    field = (char *)cfg + d->offset;
    switch (d->type) {
    case OPTION_INT: {
        long v;
        if (parse_whole(d, value, &v, err, err_cap) != 0)
            return -1;
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case OPTION_DOUBLE: {
        double v;
        if (parse_number(d, value, &v, err, err_cap) != 0)
            return -1;
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case OPTION_UINT:
    case OPTION_SECONDS:
        return set_uint(d, field, value, err, err_cap);
    case OPTION_BOOL: {
        bool v;
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes")) {
            v = true;
        } else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no")) {
            v = false;
        } else {
            snprintf(err, err_cap, "--%s: '%s' is not true or false", name, value);
            return -1;
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case OPTION_STRING: {
        size_t len = strlen(value), cap = (size_t)d->max;
        if (len < (size_t)d->min || len >= cap) {
            snprintf(err, err_cap, "--%s: length must be %.0f to %zu characters", name,
                     d->min, cap - 1);
            return -1;
        }
        memcpy(field, value, len + 1);
        return 0;
    }
    case OPTION_LIST:
        return append_list(d, field, value, err, err_cap);
    case OPTION_CHOICE: {
        int v = choice_index(d->choices, value);
        if (v < 0) {
            snprintf(err, err_cap, "--%s: '%s' is not one of %s", name, value, d->choices);
            return -1;
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    }
    snprintf(err, err_cap, "--%s: bad option table entry", name);
    return -1;
}

int options_defaults(const struct option_def *defs, void *cfg, char *err, size_t err_cap)
{
    for (const struct option_def *d = defs; d->name; d++) {
        if (d->type == OPTION_LIST) {
            *((char *)cfg + d->offset) = '\0';
            if (!d->def || !d->def[0])
                continue;
        }
        if (d->def && options_set(defs, cfg, d->name, d->def, err, err_cap) != 0)
            return -1;
    }
    return 0;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void options_clamp(const struct option_def *defs, void *cfg)
{
    for (const struct option_def *d = defs; d->name; d++) {
        char *field = (char *)cfg + d->offset;
        if (d->type == OPTION_INT) {
            long v;
            memcpy(&v, field, sizeof v);
            v = (long)clamp((double)v, d->min, d->max);
            memcpy(field, &v, sizeof v);
        } else if (d->type == OPTION_DOUBLE) {
            double v;
            memcpy(&v, field, sizeof v);
            v = clamp(v, d->min, d->max);
            memcpy(field, &v, sizeof v);
        } else if ((d->type == OPTION_UINT || d->type == OPTION_SECONDS) && uint_size(d)) {
            size_t size = uint_size(d);
            double k = (double)scale_of(d);
            double v = clamp((double)load_uint(field, size), d->min * k, d->max * k);
            store_uint(field, size, (unsigned long long)v);
        }
    }
}

/* 1-based line and column (in characters, not bytes) of offset in text. */
static void text_position(const char *text, size_t offset, unsigned *line, unsigned *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) { /* not a UTF-8 continuation */
            (*column)++;
        }
    }
}

static const char *json_type_name(const cJSON *item)
{
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "a boolean";
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsArray(item))
        return "an array";
    return "an object";
}

/* The JSON type an option takes in a config file: the command line's text
 * "7790" is a number there, but {"port": "7790"} is a mistake we refuse
 * rather than guess about. */
static bool json_type_fits(const struct option_def *d, const cJSON *item,
                           const char **wanted)
{
    switch (d->type) {
    case OPTION_INT:
    case OPTION_DOUBLE:
    case OPTION_UINT:
    case OPTION_SECONDS: *wanted = "a number"; return cJSON_IsNumber(item);
    case OPTION_BOOL: *wanted = "true or false"; return cJSON_IsBool(item);
    case OPTION_STRING:
    case OPTION_CHOICE: *wanted = "a string"; return cJSON_IsString(item);
    case OPTION_LIST:
        *wanted = "a string or an array of strings";
        if (cJSON_IsArray(item))
            for (const cJSON *v = item->child; v; v = v->next)
                if (!cJSON_IsString(v))
                    return false;
        return cJSON_IsString(item) || cJSON_IsArray(item);
    }
    *wanted = "?";
    return false;
}

/* Applies one {name: value} member of a config file through options_set. */
static int apply_config_item(const struct option_def *defs, void *cfg, const cJSON *item,
                             const char *prog, char *err, size_t err_cap)
{
    const struct option_def *d = find(defs, item->string, strlen(item->string));
    const char *value, *wanted;
    char num[64];

    if (!strcmp(item->string, "config")) {
        snprintf(err, err_cap, "\"config\" cannot nest");
        return -1;
    }
    if (!d) {
        snprintf(err, err_cap, "unknown option --%s (see --help)", item->string);
        return -1;
    }
    warn_if_old(prog, d, item->string, strlen(item->string), true);
    if (!json_type_fits(d, item, &wanted)) {
        snprintf(err, err_cap, "\"%s\" must be %s, not %s", item->string, wanted,
                 json_type_name(item));
        return -1;
    }
    if (cJSON_IsArray(item)) { /* a list's values */
        for (const cJSON *v = item->child; v; v = v->next)
            if (options_set(defs, cfg, item->string, v->valuestring, err, err_cap) != 0)
                return -1;
        return 0;
    }
    if (cJSON_IsString(item)) {
        value = item->valuestring;
    } else if (cJSON_IsBool(item)) {
        value = cJSON_IsTrue(item) ? "true" : "false";
    } else {
        snprintf(num, sizeof num, "%.17g", item->valuedouble);
        value = num;
    }
    return options_set(defs, cfg, item->string, value, err, err_cap);
}

/* Reads the whole file (at most 1 MiB) into a NUL-terminated buffer the
 * caller frees. */
static char *read_small_file(const char *path, size_t *size, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n;

    if (!f) {
        snprintf(err, err_cap, "--config %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1 << 20) ||
        fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, err_cap, "--config %s: cannot read (or larger than 1 MiB)", path);
        goto fail;
    }
    text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, err_cap, "--config %s: read failed", path);
        free(text);
        text = NULL;
        goto fail;
    }
    text[n] = '\0';
    *size = (size_t)n;
fail:
    fclose(f);
    return text;
}

/* Applies a JSON object of {name: value} through options_set. A syntax
 * error names its line and column; anything after the object is one. */
static int load_config(const struct option_def *defs, void *cfg, const char *path,
                       const char *prog, char *err, size_t err_cap)
{
    size_t size = 0;
    char *text = read_small_file(path, &size, err, err_cap);
    const char *end = NULL;
    cJSON *root = NULL, *item;
    char sub[200];
    int rc = -1;

    if (!text)
        return -1;
    if (strlen(text) != size) {
        snprintf(err, err_cap, "--config %s: contains a NUL byte", path);
        goto fail;
    }
    root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        unsigned line, column;
        text_position(text, end ? (size_t)(end - text) : 0, &line, &column);
        snprintf(err, err_cap, "--config %s: JSON syntax error at line %u, column %u", path,
                 line, column);
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, err_cap, "--config %s: not a JSON object", path);
        goto fail;
    }
    cJSON_ArrayForEach(item, root) {
        /* cJSON keeps a repeated key (under either of an option's names):
         * the file is refused rather than read with one value silently
         * winning */
        const struct option_def *d = find(defs, item->string, strlen(item->string));
        for (const cJSON *prev = root->child; prev != item; prev = prev->next) {
            if (d ? find(defs, prev->string, strlen(prev->string)) == d
                  : !strcmp(prev->string, item->string)) {
                snprintf(err, err_cap, "--config %s: \"%s\" is given twice", path,
                         d ? d->name : item->string);
                goto fail;
            }
        }
        if (apply_config_item(defs, cfg, item, prog, sub, sizeof sub) != 0) {
            snprintf(err, err_cap, "--config %s: %s", path, sub);
            goto fail;
        }
    }
    rc = 0;
fail:
    cJSON_Delete(root);
    free(text);
    return rc;
}

/* The option a short name stands for ("-p"), or NULL. */
static const struct option_def *find_short(const struct option_def *defs, const char *arg)
{
    if (arg[0] != '-' || arg[1] == '\0' || arg[1] == '-' || arg[2] != '\0')
        return NULL;
    for (; defs->name; defs++)
        if (defs->short_name == arg[1])
            return defs;
    return NULL;
}

static bool is_request(const char *arg, const char *name, const char *short_name)
{
    return !strcmp(arg, name) || (short_name && !strcmp(arg, short_name));
}

/* One argument of argv (and its value, the next one, if it takes one):
 * applied to cfg. Returns 0 or -1 with a message in err. */
/* A list given on the command line replaces what the config file gave:
 * emptied at its first occurrence there (given[]: per row, by index). */
static void list_restart(const struct option_def *defs, const struct option_def *d, void *cfg,
                         bool *given)
{
    size_t k = (size_t)(d - defs);
    if (d->type != OPTION_LIST || given[k])
        return;
    given[k] = true;
    *((char *)cfg + d->offset) = '\0';
}

static int apply_arg(const struct option_def *defs, void *cfg, int argc, char **argv, int *i,
                     bool *given, char *err, size_t err_cap)
{
    const char *arg = argv[*i], *value;
    const struct option_def *d = find_short(defs, arg);
    if (d) {
        value = d->short_value;
        if (!value && d->type == OPTION_BOOL)
            value = "true";
        if (!value && *i + 1 >= argc) {
            snprintf(err, err_cap, "%s (--%s) needs a value", arg, d->name);
            return -1;
        }
        list_restart(defs, d, cfg, given);
        return options_set(defs, cfg, d->name, value ? value : argv[++*i], err, err_cap);
    }
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        snprintf(err, err_cap, "%s '%s' (see --help)",
                 arg[0] == '-' && arg[1] ? "unknown option" : "unexpected argument", arg);
        return -1;
    }
    arg += 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (named("config", arg, len)) {
        *i += eq ? 0 : 1;
        return 0;
    }
    if (named("check", arg, len) && !eq)
        return 0;
    d = find(defs, arg, len);
    if (!d) {
        snprintf(err, err_cap, "unknown option --%.*s (see --help)", (int)len, arg);
        return -1;
    }
    warn_if_old(prog_name(argv[0]), d, arg, len, false);
    if (eq) {
        value = eq + 1;
    } else if (d->type == OPTION_BOOL) {
        value = "true";
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        snprintf(err, err_cap, "--%s needs a value", d->name);
        return -1;
    }
    list_restart(defs, d, cfg, given);
    return options_set(defs, cfg, d->name, value, err, err_cap);
}

int options_parse(const struct option_def *defs, void *cfg, int argc, char **argv,
                  char *err, size_t err_cap)
{
    bool check = false;
    if (options_defaults(defs, cfg, err, err_cap) != 0)
        return -1;
    for (int i = 1; i < argc; i++)
        if (is_request(argv[i], "--help", "-h"))
            return OPTIONS_HELP;
    for (int i = 1; i < argc; i++)
        if (is_request(argv[i], "--version", "-v"))
            return OPTIONS_VERSION;
    for (int i = 1; i < argc; i++) {
        if (is_request(argv[i], "--man", NULL))
            return OPTIONS_MAN;
        check |= is_request(argv[i], "--check", NULL);
    }
    /* The config file first, so the command line overrides it. */
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                snprintf(err, err_cap, "--config needs a file name");
                return -1;
            }
            path = argv[i + 1];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            path = argv[i] + 9;
        }
        if (path && load_config(defs, cfg, path, prog_name(argv[0]), err, err_cap) != 0)
            return -1;
    }
    size_t rows = 0;
    while (defs[rows].name)
        rows++;
    bool *given = calloc(rows + 1, sizeof *given);
    if (!given) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    int rc = check ? OPTIONS_CHECK : 0;
    for (int i = 1; i < argc && rc >= 0; i++)
        if (apply_arg(defs, cfg, argc, argv, &i, given, err, err_cap) != 0)
            rc = -1;
    free(given);
    return rc;
}

static bool check_requested;

void options_parse_or_exit(const struct options_program *p, void *cfg, int argc, char **argv)
{
    char err[256];
    int rc = options_parse(p->defs, cfg, argc, argv, err, sizeof err);
    if (rc == OPTIONS_HELP) {
        options_print_help(stdout, p);
        exit(0);
    }
    if (rc == OPTIONS_MAN) {
        options_print_man(stdout, p);
        exit(0);
    }
    if (rc == OPTIONS_VERSION) {
        char line[256];
        version_line(line, sizeof line, p->name);
        printf("%s\n", line);
        exit(0);
    }
    if (rc < 0)
        options_fail(p->name, "%s", err);
    check_requested = rc == OPTIONS_CHECK;
}

void options_checked(const struct options_program *p)
{
    if (!check_requested)
        return;
    printf("%s: the options are valid\n", p->name);
    exit(0);
}

void options_fail(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: error: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}
