/* snapshot.c: see snapshot.h. */
#include "snapshot.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sys/triple.h"

struct relay_board {
    struct triple *tb;
    _Atomic uint64_t heartbeat_us;
};

bool relay_ready(const struct relay_readiness *r)
{
    return r->listening && !r->draining &&
           (!r->directory_configured || r->directory_reachable);
}

void relay_loop_second(struct relay_loop_figures *f, const struct relay_stats *st,
                       uint64_t now_us)
{
    if (now_us < f->next_second_us)
        return;
    if (f->seconds == RELAY_SECONDS) {
        memmove(f->second_in, f->second_in + 1, (RELAY_SECONDS - 1) * sizeof *f->second_in);
        memmove(f->second_out, f->second_out + 1, (RELAY_SECONDS - 1) * sizeof *f->second_out);
        f->seconds--;
    }
    f->second_in[f->seconds] = st->states_in;
    f->second_out[f->seconds] = st->states_out;
    f->seconds++;
    /* On the grid of whole seconds since the start; a late tick does not
     * shift it. */
    uint64_t since = now_us - f->start_us;
    f->next_second_us = f->start_us + (since / 1000000u + 1) * 1000000u;
}

void relay_snapshot_take(struct relay_snapshot *s, const struct relay *r,
                         const struct relay_config *cfg, const struct relay_loop_figures *loop,
                         const struct relay_readiness *ready, uint64_t now_us)
{
    s->taken_us = now_us;
    s->uptime_s = (double)(now_us - loop->start_us) / 1e6;
    s->clients = relay_clients(r);
    s->members = relay_members(r);
    s->rooms = relay_rooms(r);
    s->max_clients = cfg->max_clients;
    s->max_rooms = cfg->max_rooms;
    s->tick_us = cfg->tick_us;
    s->stats = *relay_stats(r);
    s->loop = *loop;
    s->ready = *ready;
    s->nbusiest = (uint32_t)relay_busiest_rooms(r, s->busiest, RELAY_BUSIEST_MAX);
}

struct relay_board *relay_board_create(void)
{
    struct relay_board *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->tb = triple_create(sizeof(struct relay_snapshot));
    if (!b->tb) {
        free(b);
        return NULL;
    }
    atomic_init(&b->heartbeat_us, 0);
    return b;
}

void relay_board_destroy(struct relay_board *b)
{
    if (!b)
        return;
    triple_destroy(b->tb);
    free(b);
}

struct relay_snapshot *relay_board_back(struct relay_board *b)
{
    return triple_back(b->tb);
}

void relay_board_publish(struct relay_board *b)
{
    triple_publish(b->tb);
}

void relay_board_beat(struct relay_board *b, uint64_t now_us)
{
    /* Relaxed: a time, read alone; nothing else is published through it. */
    atomic_store_explicit(&b->heartbeat_us, now_us, memory_order_relaxed);
}

const struct relay_snapshot *relay_board_newest(struct relay_board *b)
{
    return triple_front(b->tb);
}

uint64_t relay_board_heartbeat(const struct relay_board *b)
{
    return atomic_load_explicit(&b->heartbeat_us, memory_order_relaxed);
}
