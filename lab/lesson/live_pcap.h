/* live_pcap.h: each lane's last packets, as a capture Wireshark opens
 * (GET /pcap?lane=NAME, the link under each lane). IP mode only: a packet
 * socket in the clients' namespace sees every packet of the lanes' clients
 * on netsim's device there, up before netsim and down after it; a packet is
 * a lane's by its client-side port (its senders' flows and its receiver's).
 * The loop reads (live_pcap_read); the page's server thread copies
 * (live_pcap_lane): a lock between them. */
#ifndef RICOCHET_LIVE_PCAP_H
#define RICOCHET_LIVE_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define LIVE_PCAP_PACKETS 2048 /* a lane's last packets kept: some 10 s of four senders' */

struct live;
struct netlab;
struct live_pcap;

/* The packet socket in lab's clients' namespace, for lv's lanes. Returns
 * NULL with a one-line reason in err (the lesson goes on without it). */
struct live_pcap *live_pcap_open(const struct netlab *lab, const struct live *lv, char *err,
                                 size_t err_cap);

/* Files what the socket holds by lane, by lv's lanes' flows now. */
void live_pcap_read(struct live_pcap *p, const struct live *lv);

/* Lane name's kept packets as a pcap file (LINKTYPE_RAW: IPv4 packets),
 * into a buffer the caller frees, its length in *len. NULL: no such lane
 * (or out of memory). */
unsigned char *live_pcap_lane(struct live_pcap *p, const char *name, size_t *len);

void live_pcap_close(struct live_pcap *p);

#endif
