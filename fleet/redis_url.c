/* redis_url.c: see redis_url.h. */
#include "redis_url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/netaddr.h"

#define SENTINEL_PORT 26379

static const struct {
    const char *prefix;
    bool tls, sentinel;
} schemes[] = {
    {"redis://", false, false},
    {"rediss://", true, false},
    {"redis-sentinel://", false, true},
    {"rediss-sentinel://", true, true},
};

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Percent-decodes n bytes of s into out (cap bytes, NUL included).
 * Returns 0, or -1 if malformed or too long. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
                return -1;
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (c == '\0' || k + 1 >= cap)
            return -1;
        out[k++] = c;
    }
    out[k] = '\0';
    return 0;
}

/* USER:PASSWORD, USER or :PASSWORD (n bytes at s) into u. */
static int userinfo(const char *s, size_t n, struct fleet_redis_url *u, char *err,
                    size_t err_cap)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    if (decode(s, ulen, u->user, sizeof u->user) != 0 ||
        (colon && decode(colon + 1, n - ulen - 1, u->password, sizeof u->password) != 0)) {
        snprintf(err, err_cap, "the user or password is malformed or over %d bytes",
                 FLEET_URL_SECRET_MAX - 1);
        return -1;
    }
    u->has_password = colon != NULL;
    return 0;
}

/* One HOST:PORT (n bytes at s). */
static int endpoint(const char *s, size_t n, char *host, uint16_t *port, char *err,
                    size_t err_cap)
{
    char text[FLEET_URL_HOST_MAX + 8];
    if (n == 0 || n >= sizeof text) {
        snprintf(err, err_cap, "expected HOST:PORT");
        return -1;
    }
    memcpy(text, s, n);
    text[n] = '\0';
    if (netaddr_split_endpoint(text, host, FLEET_URL_HOST_MAX, port, err, err_cap) != 0)
        return -1;
    if (*port == 0) {
        snprintf(err, err_cap, "'%.100s': the port must be 1 to 65535", text);
        return -1;
    }
    return 0;
}

/* HOST:PORT[,HOST:PORT...] (n bytes at s) as sentinels. */
static int sentinel_list(const char *s, size_t n, struct fleet_redis_url *u, char *err,
                         size_t err_cap)
{
    const char *end = s + n;
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        size_t len = comma ? (size_t)(comma - s) : (size_t)(end - s);
        if (u->n_sentinels == FLEET_SENTINELS_MAX) {
            snprintf(err, err_cap, "at most %d sentinels", FLEET_SENTINELS_MAX);
            return -1;
        }
        struct fleet_endpoint *e = &u->sentinels[u->n_sentinels++];
        if (endpoint(s, len, e->host, &e->port, err, err_cap) != 0)
            return -1;
        s += len + (comma != NULL);
        if (comma && s == end) {
            snprintf(err, err_cap, "a sentinel is missing after ','");
            return -1;
        }
    }
    return u->n_sentinels ? 0 : (snprintf(err, err_cap, "no sentinel"), -1);
}

static int database(const char *s, unsigned *db, char *err, size_t err_cap)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > 65535 || *s == '-' || *s == '+') {
        snprintf(err, err_cap, "the database must be a number");
        return -1;
    }
    *db = (unsigned)v;
    return 0;
}

/* The path: /DB for a server, /MASTER[/DB] with sentinels ("" allowed for
 * a server). */
static int path(const char *s, bool sentinel, struct fleet_redis_url *u, char *err,
                size_t err_cap)
{
    if (!sentinel)
        return *s ? database(s + 1, &u->db, err, err_cap) : 0;
    const char *name = *s ? s + 1 : s, *slash = strchr(name, '/');
    size_t n = slash ? (size_t)(slash - name) : strlen(name);
    if (n == 0 || n >= sizeof u->master || strcspn(name, " \t") < n) {
        snprintf(err, err_cap, "expected /MASTER after the sentinels (the primary's name)");
        return -1;
    }
    memcpy(u->master, name, n);
    u->master[n] = '\0';
    return slash ? database(slash + 1, &u->db, err, err_cap) : 0;
}

/* The last '@' of the authority after the scheme (s), or NULL: a password
 * may hold '@' only percent-encoded, but never echo one that did not. */
static const char *userinfo_end(const char *s)
{
    const char *at = NULL;
    for (const char *p = s; *p && *p != '/'; p++)
        if (*p == '@')
            at = p;
    return at;
}

static int parse(const char *url, struct fleet_redis_url *u, char *err, size_t err_cap)
{
    size_t k = 0;
    while (k < sizeof schemes / sizeof schemes[0] &&
           strncmp(url, schemes[k].prefix, strlen(schemes[k].prefix)) != 0)
        k++;
    if (k == sizeof schemes / sizeof schemes[0]) {
        snprintf(err, err_cap, "expected redis://, rediss://, redis-sentinel:// or "
                               "rediss-sentinel://");
        return -1;
    }
    u->tls = schemes[k].tls;
    const char *rest = url + strlen(schemes[k].prefix);
    size_t auth_end = strcspn(rest, "/");
    const char *at = userinfo_end(rest);
    if (at && userinfo(rest, (size_t)(at - rest), u, err, err_cap) != 0)
        return -1;
    const char *hosts = at ? at + 1 : rest;
    size_t n = (size_t)(rest + auth_end - hosts);
    int rc = schemes[k].sentinel ? sentinel_list(hosts, n, u, err, err_cap)
                                 : endpoint(hosts, n, u->host, &u->port, err, err_cap);
    return rc ? rc : path(rest + auth_end, schemes[k].sentinel, u, err, err_cap);
}

int fleet_redis_url_parse(const char *url, struct fleet_redis_url *u, char *err,
                          size_t err_cap)
{
    char why[200];
    memset(u, 0, sizeof *u);
    if (parse(url, u, why, sizeof why) == 0)
        return 0;
    memset(u, 0, sizeof *u);
    const char *scheme_end = strstr(url, "://");
    const char *at = scheme_end ? userinfo_end(scheme_end + 3) : NULL;
    if (at) /* never echo a password */
        snprintf(err, err_cap, "'%.*s***@%s': %s", (int)(scheme_end + 3 - url), url, at + 1,
                 why);
    else
        snprintf(err, err_cap, "'%s': %s", url, why);
    return -1;
}

void fleet_redis_url_text(const struct fleet_redis_url *u, char *buf, size_t cap)
{
    size_t n = 0;
#define ADD(...) \
    do { \
        int w = snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__); \
        n += w > 0 ? (size_t)w : 0; \
    } while (0)
    ADD("%s%s://", u->tls ? "rediss" : "redis", u->n_sentinels ? "-sentinel" : "");
    if (u->user[0] || u->has_password)
        ADD("%s%s@", u->user, u->has_password ? ":***" : "");
    for (size_t i = 0; i < u->n_sentinels; i++)
        ADD(strchr(u->sentinels[i].host, ':') ? "%s[%s]:%u" : "%s%s:%u", i ? "," : "",
            u->sentinels[i].host, (unsigned)u->sentinels[i].port);
    if (!u->n_sentinels)
        ADD(strchr(u->host, ':') ? "[%s]:%u" : "%s:%u", u->host, (unsigned)u->port);
    if (u->n_sentinels)
        ADD("/%s", u->master);
    if (u->db)
        ADD("/%u", u->db);
#undef ADD
}
