/* notify.c: see notify.h. */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_service_manager(const char *state, char *err, size_t err_cap)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof a.sun_path) {
        snprintf(err, err_cap, "NOTIFY_SOCKET '%s': not a socket path", path);
        return -1;
    }
    memcpy(a.sun_path, path, len);
    if (path[0] == '@')
        a.sun_path[0] = '\0'; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_cap, "NOTIFY_SOCKET: socket: %s", strerror(errno));
        return -1;
    }
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    ssize_t n = sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
                       (struct sockaddr *)&a, alen);
    int saved = errno;
    close(fd);
    if (n < 0) {
        snprintf(err, err_cap, "NOTIFY_SOCKET %s: %s", path, strerror(saved));
        return -1;
    }
    return 1;
}
