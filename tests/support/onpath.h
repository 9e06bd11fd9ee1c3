/* onpath.h: an attacker on the path between one client and a relay on
 * 127.0.0.1: a UDP forwarder in a thread of its own that the client takes
 * for the relay. It sees every datagram both ways (kept, to be replayed),
 * drops the ones a test's filter says, and sends whatever the test forges,
 * to the client as the relay, or to the relay as the client. ENet is UDP
 * too: an ENet client goes through it as well. Every datagram is kept up to
 * ONPATH_KEPT each way; the thread stops with onpath_stop, or for every one
 * still running with onpath_stop_all (a test's teardown: a failed assertion
 * leaves the test function at once). */
#ifndef RICOCHET_TEST_ONPATH_H
#define RICOCHET_TEST_ONPATH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define ONPATH_KEPT 8192
#define ONPATH_BYTES 2100 /* above any datagram of the relay's or a client's */

enum onpath_way { ONPATH_UP, ONPATH_DOWN }; /* client -> relay, relay -> client */

struct onpath_dgram {
    uint16_t len;
    uint8_t bytes[ONPATH_BYTES];
};

struct onpath {
    int front;               /* the client sends here: it is "the relay" */
    int back;                /* connected to the relay: the relay's "client" */
    uint16_t port;           /* front's port, for the client */
    union netaddr client;    /* the first endpoint that sent to front */
    bool have_client;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t lock;    /* over what follows */
    /* Return false to drop a datagram (called in the thread, locked). */
    bool (*pass)(void *ctx, enum onpath_way way, const uint8_t *bytes, size_t len);
    void *ctx;
    struct onpath_dgram *kept[2]; /* by way, ONPATH_KEPT each */
    size_t n_kept[2];
    struct onpath *next;     /* the running ones */
};

/* Starts a forwarder towards the relay at 127.0.0.1:relay_port; the
 * client is to be pointed at 127.0.0.1:op->port. Fails the test on error. */
struct onpath *onpath_start(uint16_t relay_port);

/* Stops the thread, closes the sockets, frees op. */
void onpath_stop(struct onpath *op);

/* Stops every forwarder still running. Returns 0 (a cmocka teardown). */
int onpath_stop_all(void **state);

/* Installs (or removes, with NULL) the filter. */
void onpath_filter(struct onpath *op,
                   bool (*pass)(void *ctx, enum onpath_way way, const uint8_t *bytes, size_t len),
                   void *ctx);

/* Sends len bytes to the client as the relay (from the front socket), or
 * to the relay as the client (from the back socket). */
void onpath_to_client(struct onpath *op, const void *bytes, size_t len);
void onpath_to_relay(struct onpath *op, const void *bytes, size_t len);

/* How many datagrams went way so far (forwarded or dropped), and a copy of
 * the i-th (returns its length, 0 if none). */
size_t onpath_count(struct onpath *op, enum onpath_way way);
size_t onpath_copy(struct onpath *op, enum onpath_way way, size_t i, uint8_t *out, size_t cap);

/* Whether any datagram kept going way holds the bytes needle (len n). */
bool onpath_saw(struct onpath *op, enum onpath_way way, const void *needle, size_t n);

#endif
