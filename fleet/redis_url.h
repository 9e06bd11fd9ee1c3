/* redis_url.h: where a fleet's directory is, as --directory names it:
 *   redis://[[USER]:PASSWORD@]HOST:PORT[/DB]
 *   rediss://...                       the same over TLS
 *   redis-sentinel://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]
 *   rediss-sentinel://...              the same over TLS (sentinels too)
 * USER is an ACL user (none: the default user), PASSWORD its password
 * (both percent-encoded where they hold ':', '@', '/' or '%'). With
 * sentinels, the primary is the one they name MASTER.
 *
 * Pure: no I/O, nothing resolved. */
#ifndef RICOCHET_FLEET_REDIS_URL_H
#define RICOCHET_FLEET_REDIS_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_SENTINELS_MAX 8    /* sentinels one URL may name */
#define FLEET_URL_HOST_MAX 256   /* a host name or address, NUL included */
#define FLEET_URL_SECRET_MAX 128 /* a user name or password, NUL included */

struct fleet_endpoint {
    char host[FLEET_URL_HOST_MAX]; /* a name or address (IPv6 without brackets) */
    uint16_t port;                 /* 1..65535 */
};

struct fleet_redis_url {
    bool tls;                      /* rediss:// or rediss-sentinel:// */
    char user[FLEET_URL_SECRET_MAX];     /* "" = the default user */
    char password[FLEET_URL_SECRET_MAX]; /* "" = none */
    bool has_password;
    char host[FLEET_URL_HOST_MAX]; /* redis://: the server (with sentinels: unset) */
    uint16_t port;
    char master[64];               /* with sentinels: the primary's name */
    struct fleet_endpoint sentinels[FLEET_SENTINELS_MAX];
    size_t n_sentinels;            /* 0: a plain redis:// or rediss:// */
    unsigned db;
};

/* Returns 0, or -1 with a one-line message in err (which never repeats
 * the password). */
int fleet_redis_url_parse(const char *url, struct fleet_redis_url *u, char *err,
                          size_t err_cap);

/* The URL as logs may show it: the password replaced by "***". */
void fleet_redis_url_text(const struct fleet_redis_url *u, char *buf, size_t cap);

#endif
