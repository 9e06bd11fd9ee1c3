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

/* A kernel's wall-clock stamp on clock_now_us()'s clock. */
static uint64_t received_us(const struct timespec *stamp)
{
    struct timespec real, mono;
    if (stamp->tv_sec < 0)
        return 0;
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    uint64_t ago = timespec_us(&real) > timespec_us(stamp)
                       ? timespec_us(&real) - timespec_us(stamp) : 0;
    uint64_t now = timespec_us(&mono);
    return ago < now ? now - ago : 0;
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
