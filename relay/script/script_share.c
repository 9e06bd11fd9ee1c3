/* script_share.c: the bound on the time scripts take of the relay's one
 * thread, fair between rooms (docs/scripts.md, "Limits"). Each call is
 * timed by the clock around it; the time goes into the relay's last
 * second and its room's (rings of tenths of a second). Once the scripts
 * together have spent --script-share percent of the last second, a room
 * that has taken more than its fair part (the share over the rooms whose
 * scripts ran in that second) is not called until it is under it again,
 * or the relay's scripts under their share; the others go on. A room's
 * instruction budget bounds one call and its 10 budgets a second its own
 * rate; this bounds how many rooms' calls the thread carries at once. */
#include "script_internal.h"

#include "sys/clock.h"

/* r moved on to slice n: the slices between, and those over a second old,
 * emptied. Time never goes back in it (a slice before at is at's). */
static void ring_to(struct script_ring *r, uint64_t n)
{
    if (n <= r->at)
        return;
    if (n - r->at >= SCRIPT_SHARE_SLICES) {
        memset(r->us, 0, sizeof r->us);
        r->sum = 0;
    } else {
        for (uint64_t k = r->at + 1; k <= n; k++) {
            r->sum -= r->us[k % SCRIPT_SHARE_SLICES];
            r->us[k % SCRIPT_SHARE_SLICES] = 0;
        }
    }
    r->at = n;
}

static void ring_add(struct script_ring *r, uint64_t n, uint64_t us)
{
    ring_to(r, n);
    uint32_t *slot = &r->us[r->at % SCRIPT_SHARE_SLICES];
    uint64_t add = us > UINT32_MAX - *slot ? UINT32_MAX - *slot : us;
    *slot += (uint32_t)add;
    r->sum += add;
}

/* The relay's ring moved on to slice n; at a new slice, the rooms whose
 * scripts ran in the last second counted again (each room's ring moved on
 * too: a room called no more drops out of the count). */
static void relay_to(struct script_engine *e, uint64_t n)
{
    if (n <= e->took.at)
        return;
    ring_to(&e->took, n);
    uint32_t ran = 0;
    for (uint32_t i = 0; i < e->max_rooms; i++) {
        struct room_vm *vm = e->rooms[i];
        if (!vm || vm == &e->none)
            continue;
        ring_to(&vm->took, n);
        ran += vm->took.sum > 0;
    }
    e->rooms_ran = ran;
}

bool script_share_busy(struct room_vm *vm)
{
    struct script_engine *e = vm->eng;
    if (!e->set.share || e->set.share >= 100 || vm->starting) /* 0: none asked, no bound */
        return false;
    uint64_t n = clock_now_us() / SCRIPT_SHARE_SLICE_US;
    relay_to(e, n);
    uint64_t share_us =
        (uint64_t)e->set.share * (SCRIPT_SHARE_SLICES * SCRIPT_SHARE_SLICE_US / 100);
    if (e->took.sum < share_us)
        return false;
    ring_to(&vm->took, n);
    uint64_t fair = share_us / (e->rooms_ran ? e->rooms_ran : 1);
    if (vm->took.sum <= fair)
        return false;
    e->counts->busy++;
    return true;
}

void script_share_took(struct room_vm *vm, uint64_t t0, uint64_t t1)
{
    struct script_engine *e = vm->eng;
    uint64_t us = t1 > t0 ? t1 - t0 : 0;
    uint64_t n = t1 / SCRIPT_SHARE_SLICE_US;
    e->counts->time_us += us;
    relay_to(e, n);
    ring_to(&vm->took, n);
    if (vm->took.sum == 0 && us > 0)
        e->rooms_ran++; /* it ran in this second from now: counted until the next slice's count */
    ring_add(&e->took, n, us);
    ring_add(&vm->took, n, us);
}
