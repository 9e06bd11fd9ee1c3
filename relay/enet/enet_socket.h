/* enet_socket.h: ENet's socket calls, taken over by the relay (see
 * enet_socket.c for how, and its catches). A socket the relay adopts has
 * its datagrams read in batches (recvmmsg) and its sends gathered into one
 * sendmmsg a flush; what would go to an address that has not shown it
 * receives there is held to what came from it (enet_ledger.h). Every other
 * socket (an ENet client's in the same process) works as in ENet. */
#ifndef RICOCHET_ENET_SOCKET_H
#define RICOCHET_ENET_SOCKET_H

#include <enet/enet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENET_SOCKET_ADOPTED_MAX 16 /* sockets taken over at once (one an ENet edge) */
#define ENET_SOCKET_RX_BATCH 64    /* datagrams one recvmmsg reads at most */
#define ENET_SOCKET_TX_BATCH 256   /* datagrams gathered before a sendmmsg, at most */

/* Has `to` (an address ENet is about to send to: ENet passes its peer's
 * own field) shown it receives there? ctx: the adopter's. */
typedef bool (*enet_socket_proven_fn)(void *ctx, const ENetAddress *to);

/* What an adopted socket counted. */
struct enet_socket_counts {
    uint64_t withheld;       /* datagrams not sent: owed nothing (enet_ledger.h) */
    uint64_t withheld_bytes; /* ... their bytes */
    uint64_t truncated;      /* datagrams read longer than ENet's buffer: dropped
                                (ENet's own call would fail the whole service) */
    uint64_t refused;        /* datagrams the kernel refused to send */
    int refused_errno;       /* why the kernel refused the last of them */
    uint64_t send_full;      /* datagrams lost to a full socket buffer */
    uint64_t sent;           /* datagrams the kernel took */
    uint64_t sendmmsg_calls; /* system calls that sent them */
    uint64_t recvmmsg_calls; /* batches read */
};

/* Takes over ENet's calls on socket fd (an ENet host's, non-blocking):
 * proven(ctx, to) tells a shown address. Turns SO_TIMESTAMPNS on. Returns
 * 0, or -1 (too many adopted, out of memory, setsockopt's errno). */
int enet_socket_adopt(int fd, enet_socket_proven_fn proven, void *ctx);

/* Gives fd back to ENet's ways, after a flush; what was read and not yet
 * handed to ENet is dropped. */
void enet_socket_release(int fd);

/* Sends what fd's sends gathered (sendmmsg, as many calls as the kernel
 * needs; a send also does when ENET_SOCKET_TX_BATCH are gathered). A
 * datagram the kernel refuses is lost, as on the wire, and counted
 * (refused); the rest go. Returns the datagrams this call refused. */
size_t enet_socket_flush(int fd);

/* When the kernel received the last datagram handed to ENet from fd (its
 * SO_TIMESTAMPNS stamp, clock.h's microseconds); 0 if none yet. */
uint64_t enet_socket_received_us(int fd);

/* Are datagrams of fd read from the kernel and not handed to ENet yet (the
 * socket's readiness no longer shows them)? */
bool enet_socket_pending(int fd);

/* fd's counts (zeros for a socket not adopted). */
struct enet_socket_counts enet_socket_counts(int fd);

#endif
