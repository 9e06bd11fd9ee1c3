/* ring.c: see ring.h. head and tail live on their own cache lines: the
 * producer writes only head, the consumer only tail; each reads the other's
 * with acquire ordering, so a slot's bytes are visible before its index. */
#include "ring.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ring {
    alignas(64) _Atomic size_t head;  /* next slot the producer fills */
    alignas(64) _Atomic size_t tail;  /* next slot the consumer reads */
    alignas(64) _Atomic uint64_t refused; /* pushes into a full ring */
    size_t mask;                      /* slots - 1 (slots a power of two) */
    size_t slot_size;                 /* bytes per message */
    int efd;                          /* eventfd, non-blocking */
    unsigned char *slots;
};

struct ring *ring_create(size_t slots, size_t slot_size, char *err, size_t err_cap)
{
    size_t n = 2;
    while (n < slots)
        n <<= 1;
    struct ring *r = aligned_alloc(64, (sizeof *r + 63) / 64 * 64);
    if (!r) {
        snprintf(err, err_cap, "ring: out of memory");
        return NULL;
    }
    memset(r, 0, sizeof *r);
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->refused, 0);
    r->mask = n - 1;
    r->slot_size = slot_size;
    r->slots = calloc(n, slot_size);
    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!r->slots || r->efd < 0) {
        snprintf(err, err_cap, "ring: %s", r->slots ? strerror(errno) : "out of memory");
        if (r->efd >= 0)
            close(r->efd);
        free(r->slots);
        free(r);
        return NULL;
    }
    return r;
}

void ring_destroy(struct ring *r)
{
    if (!r)
        return;
    close(r->efd);
    free(r->slots);
    free(r);
}

bool ring_push(struct ring *r, const void *msg)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head - tail > r->mask) {
        atomic_fetch_add_explicit(&r->refused, 1, memory_order_relaxed);
        return false;
    }
    memcpy(r->slots + (head & r->mask) * r->slot_size, msg, r->slot_size);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    /* Adds 1 to the counter; it cannot reach its maximum (2^64 - 2) before
     * the consumer reads it, so this write never fails or blocks. */
    uint64_t one = 1;
    ssize_t w = write(r->efd, &one, sizeof one);
    (void)w;
    return true;
}

bool ring_pop(struct ring *r, void *out)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (tail == head)
        return false;
    memcpy(out, r->slots + (tail & r->mask) * r->slot_size, r->slot_size);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

int ring_fd(const struct ring *r)
{
    return r->efd;
}

void ring_ack(struct ring *r)
{
    uint64_t count;
    ssize_t n = read(r->efd, &count, sizeof count); /* EAGAIN: nothing pushed */
    (void)n;
}

uint64_t ring_refused(const struct ring *r)
{
    return atomic_load_explicit(&r->refused, memory_order_relaxed);
}
