/* clock.c: the clocks every program reads (clock.h): monotonic, boot and
 * wall time, and when the kernel stamped a socket's last datagram. */
#include "clock.h"

#include <errno.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

static uint64_t timespec_us(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000u + (uint64_t)ts->tv_nsec / 1000u;
}

uint64_t clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return timespec_us(&ts);
}

uint64_t clock_now_ms(void)
{
    return clock_now_us() / 1000u;
}

uint64_t clock_boot_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return timespec_us(&ts);
}

uint64_t clock_unix_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec;
}

static int64_t timespec_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

#define WALL_OFFSET_TRIES 3
#define WALL_OFFSET_EVERY_US 1000000u /* the clocks' difference read again after this, */
#define WALL_STEP_US 1000u            /* ... or at once if a stamp lands this far after
                                         now, or WALL_OFFSET_EVERY_US before: the wall
                                         clock may have been set since */

/* The wall clock minus the monotonic one, ns: a wall reading between two
 * monotonic ones, the closest of three tries. Two readings in a row are
 * off by whatever ran between them: a thread preempted there read a stamp
 * milliseconds away. */
static int64_t wall_offset_ns(void)
{
    int64_t best = 0, best_gap = INT64_MAX;
    for (int i = 0; i < WALL_OFFSET_TRIES; i++) {
        struct timespec m0, real, m1;
        clock_gettime(CLOCK_MONOTONIC, &m0);
        clock_gettime(CLOCK_REALTIME, &real);
        clock_gettime(CLOCK_MONOTONIC, &m1);
        int64_t gap = timespec_ns(&m1) - timespec_ns(&m0);
        if (gap < best_gap) {
            best_gap = gap;
            best = timespec_ns(&real) - (timespec_ns(&m0) + gap / 2);
        }
    }
    return best;
}

/* A wall-clock stamp on the monotonic clock, µs (0: before it began). */
static uint64_t on_monotonic(const struct timespec *stamp, int64_t offset_ns)
{
    int64_t at_ns = timespec_ns(stamp) - offset_ns;
    return at_ns > 0 ? (uint64_t)at_ns / 1000u : 0;
}

/* A kernel's wall-clock stamp on clock_now_us()'s clock, by the clocks'
 * difference as each thread read it last: one stamp is one instant,
 * however the thread is preempted. Only setting the wall clock moves the
 * difference (NTP's slewing moves both clocks alike). */
static uint64_t received_us(const struct timespec *stamp)
{
    static _Thread_local int64_t offset_ns;
    static _Thread_local uint64_t offset_at_us;
    if (stamp->tv_sec < 0)
        return 0;
    uint64_t now = clock_now_us();
    bool fresh = !offset_at_us || now - offset_at_us >= WALL_OFFSET_EVERY_US;
    uint64_t at = fresh ? 0 : on_monotonic(stamp, offset_ns);
    if (fresh || at > now + WALL_STEP_US || at + WALL_OFFSET_EVERY_US < now) {
        offset_ns = wall_offset_ns();
        offset_at_us = now;
        at = on_monotonic(stamp, offset_ns);
    }
    return at < now ? at : now;
}

uint64_t clock_socket_received_us(int fd)
{
    struct timespec stamp;
    return ioctl(fd, SIOCGSTAMPNS, &stamp) == 0 ? received_us(&stamp) : 0;
}

uint64_t clock_msg_received_us(const struct msghdr *h)
{
    struct msghdr *m = (struct msghdr *)h; /* CMSG_NXTHDR takes no const */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
            return received_us(&stamp);
        }
    return 0;
}

int clock_stamp_socket(int fd)
{
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

_Static_assert(CLOCK_STAMP_CONTROL >= CMSG_SPACE(sizeof(struct timespec)),
               "room for a stamp's control message");

void clock_sleep_until_us(uint64_t deadline_us)
{
    struct timespec ts = {
        .tv_sec = (time_t)(deadline_us / 1000000u),
        .tv_nsec = (long)(deadline_us % 1000000u) * 1000,
    };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

void clock_sleep_ms(unsigned ms)
{
    clock_sleep_until_us(clock_now_us() + (uint64_t)ms * 1000u);
}

bool clock_once_every(uint64_t *last_us, uint64_t now_us, uint64_t every_us)
{
    if (*last_us != 0 && now_us - *last_us < every_us)
        return false;
    *last_us = now_us ? now_us : 1; /* 0 is never */
    return true;
}
