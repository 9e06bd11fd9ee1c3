/* live_door_strangers.h: the door's answers to programs of other machines
 * it holds no place for (live_door_strangers.c): a cookie, as the relay's. */
#ifndef RICOCHET_LIVE_DOOR_STRANGERS_H
#define RICOCHET_LIVE_DOOR_STRANGERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

struct live_door;

/* The door's cookie key drawn and its budgets filled; 0, or -1 (no
 * randomness). */
int live_door_strangers_init(struct live_door *d, uint64_t now_us);

/* A datagram (b, its n bytes) from a UDP endpoint of another machine that
 * the door holds no place for: true if it is a join echoing the door's
 * cookie for from (a place for it, the join passed on); otherwise answered
 * as the relay answers a stranger (a join: the door's cookie; never longer
 * than the datagram), and false. */
bool live_door_stranger_proven(struct live_door *d, const union netaddr *from,
                               const unsigned char *b, size_t n, uint64_t now_us);

#endif
