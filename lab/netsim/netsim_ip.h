/* netsim_ip.h: ricochet-netsim's IP mode (--client-netns, --relay-netns):
 * instead of a UDP proxy, a wire between two network namespaces. Each side
 * has a TUN device (tun.h); every IP packet the client side's kernel sends
 * towards the relay side goes through the "up" model, every packet back
 * through "down", so TCP segments, ENet and plain UDP datagrams all meet
 * the same impairment, and each side's kernel sees the other's real
 * addresses and ports (no proxy in between).
 *
 * A flow is a client endpoint (the client side's address and port) and its
 * protocol; the drop log names its states (UDP: statescan.h in the payload)
 * or its segments (TCP: sequence range and flags). The capture holds the
 * packets themselves. */
#ifndef RICOCHET_NETSIM_IP_H
#define RICOCHET_NETSIM_IP_H

#include <stddef.h>
#include <stdint.h>

#include "droplog.h"
#include "netsim.h"
#include "netsim_proxy.h"

/* The two sides' addresses, host order (198.18.0.0/15, RFC 2544). */
#define NETSIM_IP_CLIENT 0xc6120001u /* 198.18.0.1 */
#define NETSIM_IP_RELAY 0xc6130001u  /* 198.19.0.1 */

/* Opens both devices in setup's namespaces. Returns 0, or -1 (logged). */
int netsim_ip_open(struct netsim_proxy *px, const struct netsim_setup *setup);

/* Reads the next packet netsim carries from one side's device (client
 * side: up) into px->buf, skipping (and counting) those it does not carry;
 * *flow gets its flow, and --drop-log the states it completes in a TCP
 * stream. Returns its length, or 0 when the device has no more. */
size_t netsim_ip_read(struct netsim_proxy *px, enum netsim_dir dir, uint64_t now, size_t *flow);

/* Writes a due copy into the other side's device. Returns what write()
 * did (-1: errno set). */
long netsim_ip_send(struct netsim_proxy *px, const struct netsim_datagram *dg);

/* --drop-log: the lines for one packet of flow f and event. */
void netsim_ip_log(struct netsim_proxy *px, struct netsim_flow *f, enum droplog_event ev,
                   enum netsim_dir dir, uint64_t now, uint64_t delay_us,
                   const unsigned char *bytes, size_t len);

/* --paired-loss: the sequence numbers of the states a packet of flow f
 * (just read: netsim_ip_read) carries for the first time: a UDP packet's
 * (flowscan.h), or those its TCP segment's bytes complete, into seqs.
 * Returns how many. */
size_t netsim_ip_first_states(struct netsim_proxy *px, struct netsim_flow *f,
                              enum netsim_dir dir, const unsigned char *bytes, size_t len,
                              uint32_t *seqs);

/* Closes both devices (removing them and their routes). */
void netsim_ip_close(struct netsim_proxy *px);

#endif
