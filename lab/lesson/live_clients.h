/* live_clients.h: the lanes' clients, driven by one swarm
 * (live_clients.c). */
#ifndef RICOCHET_LIVE_CLIENTS_H
#define RICOCHET_LIVE_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

struct live;
struct netlab;

/* "14:03:07", the wall clock's time now, into buf. */
const char *live_wall_time(char *buf, size_t cap);

/* Every lane's clients made (in lab's client namespace), adopted by one
 * swarm, joined; then their flows, the senders' ids, and one schedule for
 * every sender. Returns 0, or -1 with why on every lane (none left). */
int live_clients_start(struct live *lv, const struct netlab *lab);

/* Every lane's clients closed, the swarm with them. */
void live_clients_stop(struct live *lv);

/* A lane's lost clients made again (that lane alone: its strip says so
 * until its figures' window no longer holds the cut), a lane whose
 * clients all joined again counted afresh, the running lanes' flows read
 * again. Called every check of the loop (now: clock_now_us()). */
void live_clients_mend(struct live *lv, const struct netlab *lab, uint64_t now);

#endif
