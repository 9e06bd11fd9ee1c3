/* tun.h: ricochet-netsim's two ends in IP mode, a TUN device in each of
 * two network namespaces. What the kernel of one namespace routes into its
 * device, netsim reads as whole IP packets; what netsim writes into the
 * other's device, that kernel receives as if from a link. */
#ifndef RICOCHET_TUN_H
#define RICOCHET_TUN_H

#include <stddef.h>
#include <stdint.h>

#define TUN_NAME "netsim0" /* the device's name, the same in both namespaces */

/* Opens a TUN device (TUN_NAME, IPv4 only: IPv6 turned off on it) in the
 * network namespace at netns_path (any file that names one: /run/netns/NAME
 * as `ip netns` makes, /proc/PID/ns/net, an open descriptor's
 * /proc/PID/fd/N), gives it addr (host order) as a /32, routes
 * 198.18.0.0/15 and, if the namespace has none, the default route over it,
 * and brings it up. The caller's own thread stays in its namespace (the
 * work is done by a short-lived thread). Returns a non-blocking descriptor
 * (one read is one packet, one write sends one; closing it removes the
 * device and its routes), or -1 with a one-line message in err. */
int tun_open_in(const char *netns_path, uint32_t addr, char *err, size_t err_cap);

#endif
