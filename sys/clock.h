/* clock.h: the one place that reads the clock. Only programs' main loops
 * and transport edges call it; pure code takes `now` as an argument. */
#ifndef RICOCHET_CLOCK_H
#define RICOCHET_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds. Comparable across processes on one host,
 * which is what one-way latency measurements rely on. */
uint64_t clock_now_us(void);

/* The same in milliseconds, for deadlines in tests and child-process
 * handling. */
uint64_t clock_now_ms(void);

/* CLOCK_BOOTTIME in microseconds: like CLOCK_MONOTONIC, but it also
 * counts the time the machine was suspended. Leases run on it: a relay in
 * a VM suspended past its lease must see that it ran out. */
uint64_t clock_boot_us(void);

/* Wall-clock time (CLOCK_REALTIME), Unix seconds: what tickets expire by,
 * shared with the machine that minted them. Never for intervals. */
uint64_t clock_unix_s(void);

/* When the kernel received the last datagram read from socket fd, on
 * clock_now_us()'s clock (the kernel stamps in wall-clock time: converted
 * by the clocks' difference, read at most a second ago, and again at once
 * for a stamp that lands after now or over a second before, as one does
 * after the wall clock is set). Never after now. Returns it, or 0 if the
 * socket cannot say. */
uint64_t clock_socket_received_us(int fd);

/* The same from a datagram's own stamp, its SCM_TIMESTAMPNS control
 * message (a socket with SO_TIMESTAMPNS on: clock_stamp_socket), read
 * with the datagram: no system call of its own. 0 if h carries none. */
struct msghdr;
uint64_t clock_msg_received_us(const struct msghdr *h);

/* Turns SO_TIMESTAMPNS on for socket fd: each datagram read with room for
 * control messages (CLOCK_STAMP_CONTROL bytes) carries its stamp, and
 * clock_socket_received_us(fd) says nothing any more (the kernel keeps
 * the socket's last stamp only for sockets without it). Returns
 * setsockopt's. */
int clock_stamp_socket(int fd);
#define CLOCK_STAMP_CONTROL 32 /* CMSG_SPACE(sizeof(struct timespec)) on Linux */

/* Sleeps until the monotonic clock reaches deadline_us (returns at once if
 * it already has); signals do not cut it short. */
void clock_sleep_until_us(uint64_t deadline_us);

/* Sleeps ms milliseconds. */
void clock_sleep_ms(unsigned ms);

/* Something done at most once every every_us (a warning, an error sent to
 * a peer): whether it is due at now_us, *last_us (0: never) the last time
 * it was, set to now_us when it is. */
bool clock_once_every(uint64_t *last_us, uint64_t now_us, uint64_t every_us);

#endif
