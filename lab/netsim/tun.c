/* tun.c: a TUN device in another network namespace (see tun.h).
 *
 * Entering a namespace is per thread (setns with CLONE_NEWNET), so a
 * thread of its own enters, opens and configures the device, and ends; the
 * descriptor it opened stays tied to the device, whatever namespace the
 * process is in. The addresses and routes are set with the old ioctls (no
 * netlink, no `ip` to run): a /32 address and whole-prefix routes are all
 * the wire needs. */
#include "tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct tun_job {
    const char *netns_path;
    uint32_t addr;
    int fd;            /* the device, or -1 */
    char err[200];
};

static void put_addr(struct sockaddr *sa, uint32_t addr)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(addr)};
    memcpy(sa, &sin, sizeof sin);
}

/* A route to dst/mask over the device; EEXIST is fine when may_exist. */
static int add_route(int s, uint32_t dst, uint32_t mask, bool may_exist)
{
    struct rtentry rt;
    memset(&rt, 0, sizeof rt);
    put_addr(&rt.rt_dst, dst);
    put_addr(&rt.rt_genmask, mask);
    rt.rt_flags = RTF_UP;
    rt.rt_dev = (char *)TUN_NAME;
    if (ioctl(s, SIOCADDRT, &rt) == 0 || (may_exist && errno == EEXIST))
        return 0;
    return -1;
}

/* IPv6 off on the device: no link-local address, no router solicitations
 * crossing netsim. Best effort: a kernel without IPv6 has no such file. */
static void ipv6_off(void)
{
    int fd = open("/proc/sys/net/ipv6/conf/" TUN_NAME "/disable_ipv6", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "1", 1) != 1) {
            /* nothing to do: IPv6 packets are not forwarded anyway */
        }
        close(fd);
    }
}

/* err = "WHAT: strerror(errno)". Returns -1. */
static int job_fail(struct tun_job *j, const char *what)
{
    snprintf(j->err, sizeof j->err, "%s %s: %s", TUN_NAME, what, strerror(errno));
    return -1;
}

/* Address, IPv6 off, up, routes: in the device's namespace, through s. */
static int configure(struct tun_job *j, int s)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", TUN_NAME);
    put_addr(&ifr.ifr_addr, j->addr);
    if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
        return job_fail(j, "address");
    put_addr(&ifr.ifr_netmask, 0xffffffffu);
    if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
        return job_fail(j, "netmask");
    ipv6_off();
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        return job_fail(j, "flags");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
        return job_fail(j, "up");
    if (add_route(s, 0xc6120000u, 0xfffe0000u, false) != 0 || add_route(s, 0, 0, true) != 0)
        return job_fail(j, "route");
    return 0;
}

static void *tun_thread(void *arg)
{
    struct tun_job *j = arg;
    int ns = open(j->netns_path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
        int e = errno;
        snprintf(j->err, sizeof j->err, "%s: %s%s", j->netns_path, strerror(e),
                 e == EPERM || e == EACCES ? " (entering a network namespace needs "
                                             "CAP_SYS_ADMIN over it)" : "");
        if (ns >= 0)
            close(ns);
        return NULL;
    }
    close(ns);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(j->err, sizeof j->err, "/dev/net/tun: %s", strerror(errno));
        return NULL;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", TUN_NAME);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    int s = -1;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        snprintf(j->err, sizeof j->err, "%s: TUNSETIFF %s: %s", j->netns_path, TUN_NAME,
                 strerror(errno));
    } else if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
        snprintf(j->err, sizeof j->err, "socket: %s", strerror(errno));
    } else if (configure(j, s) == 0) {
        j->fd = fd;
        fd = -1;
    }
    if (s >= 0)
        close(s);
    if (fd >= 0)
        close(fd);
    return NULL;
}

int tun_open_in(const char *netns_path, uint32_t addr, char *err, size_t err_cap)
{
    struct tun_job j = {.netns_path = netns_path, .addr = addr, .fd = -1};
    pthread_t t;
    int rc = pthread_create(&t, NULL, tun_thread, &j);
    if (rc != 0) {
        snprintf(err, err_cap, "thread: %s", strerror(rc));
        return -1;
    }
    pthread_join(t, NULL);
    if (j.fd < 0)
        snprintf(err, err_cap, "%s", j.err);
    return j.fd;
}
