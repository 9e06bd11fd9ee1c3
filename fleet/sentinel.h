/* sentinel.h: a fleet's Redis primary found through Redis Sentinel
 * (redis-sentinel://): which server the sentinels name the primary
 * (SENTINEL get-master-addr-by-name, a majority of them agreeing), and a
 * subscription that hears when they fail over to another (+switch-master),
 * checked with a PING. For the directory thread:
 * blocking calls, each within the timeout. */
#ifndef RICOCHET_FLEET_SENTINEL_H
#define RICOCHET_FLEET_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis_url.h"
#include "redisconn.h"

/* Asks the sentinels of u in turn which server is u->master's primary,
 * until a majority of them (of all u names) name the same one: a sentinel
 * cut off with an old primary cannot name it alone. Those that did not
 * answer are moved to the end of u's list, to be asked last next time
 * (each costs a timeout). Returns 0 with host (cap bytes) and *port, or -1
 * with a one-line message in err (none, or too few, answered, or they
 * disagree). */
int sentinel_primary(struct fleet_redis_url *u, const struct redisconn_tls *tls,
                     uint32_t timeout_ms, char *host, size_t cap, uint16_t *port, char *err,
                     size_t err_cap);

struct sentinel_watch;

/* Subscribes to +switch-master on the first sentinel of u that answers.
 * Returns the subscription, or NULL with a message in err. */
struct sentinel_watch *sentinel_watch_open(const struct fleet_redis_url *u,
                                           const struct redisconn_tls *tls,
                                           uint32_t timeout_ms, char *err, size_t err_cap);

void sentinel_watch_close(struct sentinel_watch *w); /* NULL is fine */

/* Its socket, for poll(2). */
int sentinel_watch_fd(const struct sentinel_watch *w);

/* Reads the messages that came (without waiting). Returns 1 if the
 * sentinels switched u->master to another server, 0 if not, -1 with a
 * message if the subscription broke (close it; open another). */
int sentinel_watch_read(struct sentinel_watch *w, char *err, size_t err_cap);

/* Keeps the subscription checked: sends a PING, whose answer
 * sentinel_watch_read takes. Returns -1 with a message if the PING sent
 * at the call before is still unanswered (call it once a heartbeat: a
 * subscription that stays silent that long is broken; close it and open
 * another), or the send failed; 0 if sent. */
int sentinel_watch_ping(struct sentinel_watch *w, char *err, size_t err_cap);

#endif
