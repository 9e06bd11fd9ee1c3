/* script_share.c: the bound on the time scripts take of the relay's one
 * thread, fair between rooms (docs/scripts.md, "Limits"). Each call is
 * timed by the clock around it; the time goes into the relay's last
 * second and its room's (rings of tenths of a second). Once the scripts
 * together have spent --script-share percent of the last second, a room
 * that has taken more than its fair part (the share over the rooms whose
 * scripts ran in that second) is not called until it is under it again,
 * or the relay's scripts under their share; the others go on. A room's
 * instruction budget bounds one call and its 10 budgets a second its own
 * rate; this bounds how many rooms' calls the thread carries at once.
 * And the scripts' hold on the loop, at the scale of one call: their time
 * goes into a bucket that drains as the clock runs without them; a call
 * starts only while the bucket is at most half of SCRIPT_HOLD_MS, and runs
 * at most to its brim. So however many rooms' calls come at once, the
 * scripts hold the loop at most SCRIPT_HOLD_MS at a stretch, and after
 * it leave it at least half as long: a datagram that waited for them is
 * answered before they run again. */
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

/* The bucket drained to now. */
static void hold_drain(struct script_engine *e, uint64_t now)
{
    if (now <= e->hold_at_us)
        return;
    uint64_t quiet = now - e->hold_at_us;
    e->hold_us = e->hold_us > quiet ? e->hold_us - quiet : 0;
    e->hold_at_us = now;
}

int64_t script_share_hold_left(struct script_engine *e)
{
    hold_drain(e, clock_now_us());
    return (int64_t)SCRIPT_HOLD_MS * 1000 - (int64_t)e->hold_us;
}

uint64_t script_share_hold_free(struct script_engine *e)
{
    int64_t left = script_share_hold_left(e);
    return e->now_us + (left < SCRIPT_HOLD_LEAST_US ? (uint64_t)(SCRIPT_HOLD_LEAST_US - left) : 0);
}

/* The scripts' share of a second, µs (all of it: none asked, no bound). */
static uint64_t share_us(const struct script_engine *e)
{
    uint32_t pct = e->set.share && e->set.share < 100 ? e->set.share : 100;
    return (uint64_t)pct * (SCRIPT_SHARE_SLICES * SCRIPT_SHARE_SLICE_US / 100);
}

/* Has vm taken more than its fair part of the share over the last second
 * (the share over the rooms whose scripts ran in it)? */
static bool past_part(struct script_engine *e, struct room_vm *vm, uint64_t n)
{
    ring_to(&vm->took, n);
    return vm->took.sum > share_us(e) / (e->rooms_ran ? e->rooms_ran : 1);
}

bool script_share_busy(struct room_vm *vm, enum vm_how how)
{
    struct script_engine *e = vm->eng;
    uint64_t n = clock_now_us() / SCRIPT_SHARE_SLICE_US;
    relay_to(e, n);
    bool bound = e->set.share && e->set.share < 100; /* 0: none asked */
    bool spent = bound && e->took.sum >= share_us(e);
    /* a new room has taken nothing yet: the share itself bounds starts */
    bool busy = spent && (vm->starting || past_part(e, vm, n));
    int64_t left = script_share_hold_left(e);
    if (!busy && left < SCRIPT_HOLD_LEAST_US) /* light: its last call did little */
        busy = how != VM_INPUT || left <= -SCRIPT_HOLD_SLIP_CAP_US || vm->starting ||
               vm->last_spent >= SCRIPT_HOLD_LIGHT;
    if (busy)
        e->counts->busy++;
    return busy;
}

void script_share_took(struct room_vm *vm, uint64_t t0, uint64_t t1)
{
    struct script_engine *e = vm->eng;
    uint64_t us = t1 > t0 ? t1 - t0 : 0;
    uint64_t n = t1 / SCRIPT_SHARE_SLICE_US;
    e->counts->time_us += us;
    /* in the hold, no more than its allowance and the slip cap: past them
     * the call was stopped within a step, and what ran longer was the
     * machine's doing (the relay's thread taken away), not the script's */
    uint64_t most = vm->deadline_us > t0 ? vm->deadline_us - t0 + SCRIPT_HOLD_SLIP_CAP_US : us;
    hold_drain(e, t0);
    e->hold_us += us < most ? us : most;
    e->hold_at_us = t1 > e->hold_at_us ? t1 : e->hold_at_us;
    relay_to(e, n);
    ring_to(&vm->took, n);
    if (vm->took.sum == 0 && us > 0)
        e->rooms_ran++; /* it ran in this second from now: counted until the next slice's count */
    ring_add(&e->took, n, us);
    ring_add(&vm->took, n, us);
}
