/* ring.h: a bounded single-producer, single-consumer queue between two
 * threads (the relay's loop and a side thread), with an eventfd that wakes
 * the consumer.
 *
 * Messages are fixed-size slots copied in and out; C11 atomics, no lock.
 * The producer never waits: a push into a full ring is refused and counted.
 * The consumer may poll(2) ring_fd() and must call ring_ack() before it
 * drains, so a push that lands during the drain wakes it again. Exactly one
 * thread pushes and exactly one pops. */
#ifndef RICOCHET_RING_H
#define RICOCHET_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring;

/* A ring of at least `slots` slots (rounded up to a power of two, at least
 * 2) of slot_size bytes each. Returns NULL with a one-line message in err
 * (out of memory, eventfd(2) failed). */
struct ring *ring_create(size_t slots, size_t slot_size, char *err, size_t err_cap);

/* NULL is fine. Neither thread may use the ring any more. */
void ring_destroy(struct ring *r);

/* Producer: copies slot_size bytes of msg into the ring and wakes the
 * consumer. Returns false (and counts it in ring_refused) if the ring is
 * full; never blocks. */
bool ring_push(struct ring *r, const void *msg);

/* Consumer: copies the oldest message into out and frees its slot. Returns
 * false if the ring is empty. */
bool ring_pop(struct ring *r, void *out);

/* Consumer: the eventfd that is readable after a push (for poll(2)). */
int ring_fd(const struct ring *r);

/* Consumer: clears the wake-up before draining with ring_pop. */
void ring_ack(struct ring *r);

/* Pushes refused because the ring was full, since creation (either thread
 * may read it). */
uint64_t ring_refused(const struct ring *r);

#endif
