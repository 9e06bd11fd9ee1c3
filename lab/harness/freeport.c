/* freeport.c: a loopback port free now, picked below the kernel's
 * ephemeral range (freeport.h says why). */
#include "freeport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Debian's default ephemeral range is 32768-60999: pick in 20000-32767. */
#define FREE_PORT_LOW 20000
#define FREE_PORT_SPAN 12768
#define FREE_PORT_TRIES 200

static int bindable(int type, uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    close(fd);
    return rc;
}

int free_port(int type, uint16_t *port, char *err, size_t err_cap)
{
    /* A different start in every process: two tests starting together
     * rarely probe the same ports. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)now.tv_nsec;
    for (int i = 0; i < FREE_PORT_TRIES; i++) {
        seed = seed * 1103515245u + 12345u;
        uint16_t p = (uint16_t)(FREE_PORT_LOW + (seed >> 8) % FREE_PORT_SPAN);
        if (bindable(type, p) == 0) {
            *port = p;
            return 0;
        }
    }
    snprintf(err, err_cap, "no free port in %d-%d on 127.0.0.1: %s", FREE_PORT_LOW,
             FREE_PORT_LOW + FREE_PORT_SPAN - 1, strerror(errno));
    return -1;
}
