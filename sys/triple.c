/* triple.c: see triple.h. */
#include "triple.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#define FRESH 4u /* in middle: published since the reader last took it */

struct triple {
    unsigned char *slots; /* 3 * size bytes */
    size_t size;
    unsigned back;        /* the writer's slot */
    unsigned front;       /* the reader's slot */
    bool front_valid;     /* the reader has taken one publish at least */
    _Atomic unsigned middle; /* slot index | FRESH */
};

struct triple *triple_create(size_t size)
{
    struct triple *tb = calloc(1, sizeof *tb);
    if (!tb)
        return NULL;
    tb->slots = calloc(3, size ? size : 1);
    if (!tb->slots) {
        free(tb);
        return NULL;
    }
    tb->size = size;
    tb->back = 0;
    atomic_init(&tb->middle, 1u);
    tb->front = 2;
    return tb;
}

void triple_destroy(struct triple *tb)
{
    if (!tb)
        return;
    free(tb->slots);
    free(tb);
}

void *triple_back(struct triple *tb)
{
    return tb->slots + tb->back * tb->size;
}

void triple_publish(struct triple *tb)
{
    /* Release: the slot's contents are visible before its index is. */
    unsigned old = atomic_exchange_explicit(&tb->middle, tb->back | FRESH,
                                            memory_order_acq_rel);
    tb->back = old & ~FRESH;
}

const void *triple_front(struct triple *tb)
{
    if (atomic_load_explicit(&tb->middle, memory_order_acquire) & FRESH) {
        /* Acquire: the newest slot's contents are visible once its index is. */
        unsigned old = atomic_exchange_explicit(&tb->middle, tb->front,
                                                memory_order_acq_rel);
        tb->front = old & ~FRESH;
        tb->front_valid = true;
    }
    return tb->front_valid ? tb->slots + tb->front * tb->size : NULL;
}
