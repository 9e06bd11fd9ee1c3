/* netlab.c: two anonymous network namespaces (see netlab.h).
 *
 * Entering a network namespace is per thread, so each is made by a thread
 * of its own (unshare, loopback up, a descriptor of it), which then ends:
 * the process never leaves its namespace, and the descriptor keeps the new
 * one alive. */
#include "netlab.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct netlab_job {
    int ns;          /* in: the namespace to enter, -1 for a new one */
    int domain, type, protocol;
    int fd;          /* out: the new namespace, or the socket */
    int err;         /* errno of what failed */
};

/* Loopback up in the calling thread's namespace (a new one has it down). */
static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    if (rc == 0)
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    close(s);
    return rc;
}

static void *job_thread(void *arg)
{
    struct netlab_job *j = arg;
    if (j->ns < 0) {
        if (unshare(CLONE_NEWNET) != 0 || loopback_up() != 0)
            j->err = errno;
        else if ((j->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
            j->err = errno;
        return NULL;
    }
    if (setns(j->ns, CLONE_NEWNET) != 0)
        j->err = errno;
    else if ((j->fd = socket(j->domain, j->type, j->protocol)) < 0)
        j->err = errno;
    return NULL;
}

/* Runs j in a thread of its own. Returns j->fd, or -1 with errno set. */
static int job_run(struct netlab_job *j)
{
    pthread_t t;
    j->fd = -1;
    j->err = 0;
    int rc = pthread_create(&t, NULL, job_thread, j);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    pthread_join(t, NULL);
    if (j->fd < 0)
        errno = j->err;
    return j->fd;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Into a user namespace of our own, as root there (uid and gid mapped to
 * ours): what an unprivileged user may do where the system allows it. */
static int enter_userns(void)
{
    char map[64];
    unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
    if (unshare(CLONE_NEWUSER) != 0)
        return -1;
    snprintf(map, sizeof map, "0 %u 1\n", uid);
    if (write_file("/proc/self/uid_map", map) != 0)
        return -1;
    if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
        return -1;
    snprintf(map, sizeof map, "0 %u 1\n", gid);
    return write_file("/proc/self/gid_map", map);
}

/* Whether the process may make namespaces as it is (CAP_SYS_ADMIN in its
 * own user namespace). */
static bool have_sys_admin(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0)
        return false;
    return d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
}

int netlab_open(struct netlab *lab, char *err, size_t err_cap)
{
    memset(lab, 0, sizeof *lab);
    lab->ns[NETLAB_CLIENT] = lab->ns[NETLAB_RELAY] = lab->home = -1;
    /* before any thread: a user namespace is for single-threaded processes */
    if (!have_sys_admin()) {
        if (enter_userns() != 0) {
            snprintf(err, err_cap, "network namespaces need CAP_SYS_ADMIN or a user namespace "
                     "of our own, and this system gives neither (user namespace: %s)",
                     strerror(errno));
            return -1;
        }
        lab->userns = true;
    }
    lab->home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    for (int side = 0; side < NETLAB_SIDES; side++) {
        int ns = netlab_new_ns();
        if (ns < 0) {
            snprintf(err, err_cap, "network namespace: %s", strerror(errno));
            netlab_close(lab);
            return -1;
        }
        lab->ns[side] = ns;
        snprintf(lab->path[side], sizeof lab->path[side], "/proc/%d/fd/%d", (int)getpid(), ns);
    }
    return 0;
}

int netlab_new_ns(void)
{
    struct netlab_job j = {.ns = -1};
    return job_run(&j);
}

int netlab_socket(const struct netlab *lab, enum netlab_side side, int domain, int type,
                  int protocol)
{
    struct netlab_job j = {.ns = lab->ns[side], .domain = domain, .type = type,
                           .protocol = protocol};
    return job_run(&j);
}

int netlab_enter(const struct netlab *lab, int side, char *err, size_t err_cap)
{
    int fd = side >= 0 && side < NETLAB_SIDES ? lab->ns[side] : lab->home;
    if (setns(fd, CLONE_NEWNET) == 0)
        return 0;
    snprintf(err, err_cap, "cannot enter the %s network namespace: %s%s",
             side == NETLAB_CLIENT ? "client" : side == NETLAB_RELAY ? "relay" : "caller's own",
             strerror(errno),
             lab->userns && side == NETLAB_SIDES ? " (from a user namespace there is no way back)"
                                                 : "");
    return -1;
}

void netlab_close(struct netlab *lab)
{
    int *fds[] = {&lab->ns[NETLAB_CLIENT], &lab->ns[NETLAB_RELAY], &lab->home};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] > 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}
